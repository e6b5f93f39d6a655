//! BGP4MP and BGP4MP_ET records: BGP messages and state changes as a collector saw them
//! (RFC 6396 §4.4, RFC 8050 §3).

use std::net::IpAddr;

use super::cursor::{BodyError, Cursor};
use super::types::Bgp4mpSubtype;
use crate::error::WireError;
use crate::framing::HEADER_LEN;
use crate::message::{Message, MessageDecoder};

/// A BGP message of a `MESSAGE*` subtype (RFC 6396 §4.4.2, §4.4.3, §4.4.5, §4.4.6;
/// RFC 8050 §3 for the `_ADDPATH` ones). The AS fields are 2 octets in the subtypes without
/// `AS4`; IP fields are 4 or 16 octets after the Address Family.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Peer AS Number                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Local AS Number                       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |        Interface Index        |        Address Family         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      Peer IP Address (variable)               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      Local IP Address (variable)              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    BGP Message... (variable)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Bgp4mpMessage {
    /// The record's subtype; for a record of the deprecated BGP type (5), whose layout is that
    /// of `MESSAGE` without the interface and family fields, [`Bgp4mpSubtype::Message`].
    pub subtype: Bgp4mpSubtype,
    /// Peer AS Number.
    pub peer_asn: u32,
    /// Local AS Number (the collector's).
    pub local_asn: u32,
    /// Interface Index.
    pub interface_index: u16,
    /// Address Family of the two IP fields (1 IPv4, 2 IPv6).
    pub afi: u16,
    /// Peer IP Address.
    pub peer_ip: IpAddr,
    /// Local IP Address.
    pub local_ip: IpAddr,
    /// Offset of the BGP message (its marker) within the record's raw bytes; `None` for the
    /// deprecated BGP type, whose records hold the message without its header.
    pub message_offset: Option<usize>,
    /// Whether the NLRI were read with ADD-PATH path identifiers: the subtype says so
    /// (RFC 8050 §3), or the writer mislabelled a session that negotiated ADD-PATH (BIRD 1.6
    /// writes `MESSAGE_AS4`) and the message only decodes with the families the peer's OPEN
    /// offered.
    pub add_path: bool,
    /// The BGP message, decoded under the context the subtype implies: 4-octet AS for the
    /// `AS4` subtypes, ADD-PATH for every family for the `_ADDPATH` ones.
    pub message: Result<Message, WireError>,
}

impl Bgp4mpMessage {
    /// Whether the collector sent this message (`*_LOCAL`) rather than received it.
    pub fn is_local(&self) -> bool {
        self.subtype.local()
    }
}

/// A BGP FSM state change (RFC 6396 §4.4.1, §4.4.4; the deprecated BGP type's
/// BGP_STATE_CHANGE, Appendix B.2.1, has no local fields: they are the unspecified address and
/// AS 0 there). States are numbered as in RFC 4271 §8:
/// 1 Idle, 2 Connect, 3 Active, 4 OpenSent, 5 OpenConfirm, 6 Established.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Peer AS Number                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Local AS Number                       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |        Interface Index        |        Address Family         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      Peer IP Address (variable)               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      Local IP Address (variable)              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |            Old State          |          New State            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateChange {
    /// Whether the AS fields were 4 octets (`STATE_CHANGE_AS4`).
    pub asn4: bool,
    /// Peer AS Number.
    pub peer_asn: u32,
    /// Local AS Number.
    pub local_asn: u32,
    /// Interface Index.
    pub interface_index: u16,
    /// Address Family of the IP fields.
    pub afi: u16,
    /// Peer IP Address.
    pub peer_ip: IpAddr,
    /// Local IP Address.
    pub local_ip: IpAddr,
    /// Old State.
    pub old_state: u16,
    /// New State.
    pub new_state: u16,
}

/// The fields both layouts share, up to the end of the local IP address.
struct Common {
    peer_asn: u32,
    local_asn: u32,
    interface_index: u16,
    afi: u16,
    peer_ip: IpAddr,
    local_ip: IpAddr,
}

fn common(c: &mut Cursor<'_>, asn4: bool) -> Result<Common, BodyError> {
    let peer_asn = c.asn(asn4, "Peer AS Number")?;
    let local_asn = c.asn(asn4, "Local AS Number")?;
    let interface_index = c.u16("Interface Index")?;
    let at = c.pos();
    let afi = c.u16("Address Family")?;
    if !matches!(afi, 1 | 2) {
        return Err(BodyError::new(at, format!("unsupported address family {afi}")));
    }
    let peer_ip = c.ip(afi, "Peer IP Address")?;
    let local_ip = c.ip(afi, "Local IP Address")?;
    Ok(Common { peer_asn, local_asn, interface_index, afi, peer_ip, local_ip })
}

/// Parses a `MESSAGE*` body starting at `body` in `rec` and decodes its BGP message.
pub(crate) fn parse_message(
    rec: &[u8],
    body: usize,
    subtype: Bgp4mpSubtype,
    decoder: &mut MessageDecoder,
) -> Result<Bgp4mpMessage, BodyError> {
    let mut c = Cursor::new(rec, body);
    let f = common(&mut c, subtype.asn4())?;
    let message_offset = c.pos();
    let msg = c.rest();
    if msg.len() < HEADER_LEN {
        return Err(BodyError::new(
            message_offset,
            format!("BGP message needs at least {HEADER_LEN} bytes, {} left", msg.len()),
        ));
    }
    let declared = usize::from(u16::from_be_bytes([msg[16], msg[17]]));
    if declared != msg.len() {
        return Err(BodyError::new(
            message_offset + 16,
            format!(
                "BGP message length {declared} does not match the {} bytes left in the record",
                msg.len()
            ),
        ));
    }
    Ok(Bgp4mpMessage {
        subtype,
        peer_asn: f.peer_asn,
        local_asn: f.local_asn,
        interface_index: f.interface_index,
        afi: f.afi,
        peer_ip: f.peer_ip,
        local_ip: f.local_ip,
        message_offset: Some(message_offset),
        add_path: subtype.add_path(),
        message: decoder.decode(msg),
    })
}

/// Parses a `STATE_CHANGE` or `STATE_CHANGE_AS4` body.
pub(crate) fn parse_state_change(
    rec: &[u8],
    body: usize,
    asn4: bool,
) -> Result<StateChange, BodyError> {
    let mut c = Cursor::new(rec, body);
    let f = common(&mut c, asn4)?;
    let old_state = c.u16("Old State")?;
    let new_state = c.u16("New State")?;
    c.end("New State")?;
    Ok(StateChange {
        asn4,
        peer_asn: f.peer_asn,
        local_asn: f.local_asn,
        interface_index: f.interface_index,
        afi: f.afi,
        peer_ip: f.peer_ip,
        local_ip: f.local_ip,
        old_state,
        new_state,
    })
}
