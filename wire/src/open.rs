//! The OPEN a speaker sends (RFC 4271 §4.2) and its capabilities (RFC 5492), as values the
//! encoder writes in order. What a received OPEN says is [`crate::Open`], decoded.

use std::net::Ipv4Addr;

use crate::iana::AfiSafi;
use crate::message::AddPathFamily;

/// An OPEN to send. Version 4 is implied; My AS becomes AS_TRANS on the wire when `asn` does
/// not fit in 2 octets (RFC 6793 §4.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenMessage {
    /// The speaker's AS number.
    pub asn: u32,
    /// Proposed hold time in seconds (0, or at least 3).
    pub hold_time: u16,
    /// BGP identifier.
    pub bgp_id: Ipv4Addr,
    /// Capabilities, in the order they go on the wire (one Capabilities parameter).
    pub capabilities: Vec<Capability>,
}

/// One capability of an OPEN (RFC 5492 §4); codes in [`crate::iana::CapabilityCode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Capability {
    /// Multiprotocol extensions for one family (RFC 4760 §8).
    Multiprotocol(AfiSafi),
    /// Route refresh (RFC 2918 §2).
    RouteRefresh,
    /// Extended messages up to 65535 bytes (RFC 8654 §3).
    ExtendedMessage,
    /// Graceful restart (RFC 4724 §3).
    GracefulRestart(GracefulRestart),
    /// 4-octet AS numbers, with the speaker's AS (RFC 6793 §3).
    FourOctetAs(u32),
    /// ADD-PATH per family (RFC 7911 §4).
    AddPath(Vec<AddPathFamily>),
}

/// The graceful restart capability's value (RFC 4724 §3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GracefulRestart {
    /// Restart State bit: the speaker has restarted.
    pub restarting: bool,
    /// Restart time in seconds (12 bits; larger values are capped at 4095).
    pub time: u16,
    /// Families whose routes the peer should keep, each with its Forwarding State bit.
    /// Empty: the capability only asks for End-of-RIB.
    pub families: Vec<(AfiSafi, bool)>,
}
