//! Per-session parsing context: what the two OPENs of a session negotiated that changes how
//! the bytes of later messages are read.

use netgauze_bgp_pkt::capabilities::BgpCapability;
use netgauze_bgp_pkt::wire::deserializer::BgpParsingContext;
use netgauze_iana::address_family::AddressType;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;

use super::message::Open;

/// An (AFI, SAFI) pair as carried on the wire (RFC 4760 §3 numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct AfiSafi {
    /// Address Family Identifier (IANA): 1 IPv4, 2 IPv6, 25 L2VPN, 16388 BGP-LS.
    pub afi: u16,
    /// Subsequent Address Family Identifier (IANA): 1 unicast, 2 multicast, 128 VPN, ...
    pub safi: u8,
}

impl AfiSafi {
    /// IPv4 unicast (1/1), the family of the UPDATE body's NLRI fields.
    pub const IPV4_UNICAST: AfiSafi = AfiSafi { afi: 1, safi: 1 };
    /// IPv6 unicast (2/1).
    pub const IPV6_UNICAST: AfiSafi = AfiSafi { afi: 2, safi: 1 };
    /// IPv4 multicast (1/2): unicast prefixes for multicast RPF checks (RFC 4760 §6).
    pub const IPV4_MULTICAST: AfiSafi = AfiSafi { afi: 1, safi: 2 };
    /// IPv6 multicast (2/2).
    pub const IPV6_MULTICAST: AfiSafi = AfiSafi { afi: 2, safi: 2 };

    /// Builds a pair from its wire numbers.
    pub const fn new(afi: u16, safi: u8) -> Self {
        Self { afi, safi }
    }

    /// Whether the route model carries prefixes of this family (the rest is "not modelled").
    pub const fn is_modelled(self) -> bool {
        matches!((self.afi, self.safi), (1, 1) | (2, 1))
    }

    /// Whether this is a unicast family (SAFI 1), the one the RIBs of routes hold.
    pub const fn is_unicast(self) -> bool {
        self.safi == 1
    }

    pub(crate) fn from_address_type(t: AddressType) -> Self {
        Self { afi: t.address_family().into(), safi: t.subsequent_address_family().into() }
    }

    pub(crate) fn to_address_type(self) -> Option<AddressType> {
        let afi = netgauze_iana::address_family::AddressFamily::try_from(self.afi).ok()?;
        let safi =
            netgauze_iana::address_family::SubsequentAddressFamily::try_from(self.safi).ok()?;
        AddressType::from_afi_safi(afi, safi).ok()
    }
}

impl fmt::Display for AfiSafi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.afi, self.safi) {
            (1, 1) => f.write_str("ipv4-unicast"),
            (2, 1) => f.write_str("ipv6-unicast"),
            (1, 2) => f.write_str("ipv4-multicast"),
            (2, 2) => f.write_str("ipv6-multicast"),
            (1, 4) => f.write_str("ipv4-labeled-unicast"),
            (2, 4) => f.write_str("ipv6-labeled-unicast"),
            (1, 128) => f.write_str("ipv4-vpn"),
            (2, 128) => f.write_str("ipv6-vpn"),
            (25, 70) => f.write_str("l2vpn-evpn"),
            (1, 133) => f.write_str("ipv4-flowspec"),
            (2, 133) => f.write_str("ipv6-flowspec"),
            (16388, _) => f.write_str("bgp-ls"),
            (afi, safi) => write!(f, "afi{afi}-safi{safi}"),
        }
    }
}

/// How the messages of one direction of one session are parsed.
///
/// A context belongs to a direction: ADD-PATH applies to what the sender sends only when the
/// sender advertised "send" and the receiver "receive" for that family (RFC 7911 §4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionContext {
    /// Both sides advertised the 4-octet AS capability (RFC 6793): AS_PATH carries 4-octet ASNs.
    pub asn4: bool,
    /// Both sides advertised extended messages (RFC 8654): UPDATEs may be up to 65535 bytes.
    pub extended_messages: bool,
    /// Families whose NLRI carry a 4-octet path identifier (RFC 7911).
    pub add_path: Vec<AfiSafi>,
}

impl Default for SessionContext {
    /// The common case of today's Internet: 4-octet AS, no ADD-PATH, 4096-byte messages.
    fn default() -> Self {
        Self { asn4: true, extended_messages: false, add_path: Vec::new() }
    }
}

impl SessionContext {
    /// A context with the given AS number width and nothing else negotiated.
    pub fn new(asn4: bool) -> Self {
        Self { asn4, ..Self::default() }
    }

    /// Adds ADD-PATH for one family.
    pub fn with_add_path(mut self, family: AfiSafi) -> Self {
        if !self.add_path.contains(&family) {
            self.add_path.push(family);
        }
        self
    }

    /// Whether NLRI of `family` carry path identifiers.
    pub fn has_add_path(&self, family: AfiSafi) -> bool {
        self.add_path.contains(&family)
    }

    /// The largest message this session may carry (RFC 4271 §4.1, RFC 8654 §4).
    pub fn max_message_len(&self) -> usize {
        if self.extended_messages { 65535 } else { 4096 }
    }

    /// The context of messages sent by the speaker that sent `sender` to the one that sent
    /// `receiver`, from the capabilities both advertised (RFC 6793 §4, RFC 7911 §4,
    /// RFC 8654 §3).
    pub fn negotiated(sender: &Open, receiver: &Open) -> Self {
        let asn4 = sender.four_octet_as.is_some() && receiver.four_octet_as.is_some();
        let extended_messages = sender.extended_message && receiver.extended_message;
        let mut add_path = Vec::new();
        for s in &sender.add_path {
            let peer_receives = receiver.add_path.iter().any(|r| r.family == s.family && r.receive);
            if s.send && peer_receives && !add_path.contains(&s.family) {
                add_path.push(s.family);
            }
        }
        add_path.sort();
        Self { asn4, extended_messages, add_path }
    }

    /// The context a reader must guess when it only sees one OPEN (e.g. a capture that starts
    /// with one side's OPEN): what that side offered, as if the other side offered the same.
    pub fn offered(open: &Open) -> Self {
        Self::negotiated(open, &open.mirrored_add_path())
    }

    /// netgauze's lenient parsing context for this session: malformed attributes are
    /// collected, not fatal, so that RFC 7606 decides what happens to them.
    pub(crate) fn parsing_context(&self) -> BgpParsingContext {
        let mut add_path = HashMap::new();
        for family in &self.add_path {
            if let Some(t) = family.to_address_type() {
                add_path.insert(t, true);
            }
        }
        BgpParsingContext::new(self.asn4, HashMap::new(), add_path, false, false, false, false)
    }
}

/// Feeds the ADD-PATH capability of an OPEN into a netgauze context (used for guessing).
pub(crate) fn capability_add_path(cap: &BgpCapability) -> Vec<(AfiSafi, bool, bool)> {
    match cap {
        BgpCapability::AddPath(ap) => ap
            .address_families()
            .iter()
            .map(|f| (AfiSafi::from_address_type(f.address_type()), f.send(), f.receive()))
            .collect(),
        _ => Vec::new(),
    }
}
