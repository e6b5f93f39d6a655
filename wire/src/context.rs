//! Per-session parsing context: what the two OPENs of a session negotiated that changes how
//! the bytes of later messages are read.

use netgauze_bgp_pkt::wire::deserializer::BgpParsingContext;
use netgauze_iana::address_family::AddressType;
use serde::Serialize;
use std::collections::HashMap;

pub use super::iana::AfiSafi;

/// Conversions to and from netgauze's family type.
impl AfiSafi {
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
