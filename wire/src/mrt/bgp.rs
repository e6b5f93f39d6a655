//! The deprecated BGP type (5): what MRTd wrote for IPv4 sessions with 2-octet AS numbers, and
//! what the RIPE RIS archives of 1999–2000 hold (RFC 6396 Appendix B.2.1). Messages and state
//! changes come out as the BGP4MP ones do, so an archive of 1999 and one of today produce the
//! same route model.

use std::net::{IpAddr, Ipv4Addr};

use super::bgp4mp::{Bgp4mpMessage, StateChange};
use super::cursor::{BodyError, Cursor};
use super::types::{Bgp4mpSubtype, BgpSubtype};
use crate::framing::HEADER_LEN;
use crate::message::MessageDecoder;

/// The largest message a 2-byte BGP length field can describe.
const MAX_MESSAGE: usize = u16::MAX as usize;

/// Parses a BGP_UPDATE, BGP_OPEN, BGP_NOTIFY or BGP_KEEPALIVE body (`message_type` is the BGP
/// message type its subtype stands for) and decodes the message it holds. The record carries
/// the message without its 19-byte header; the header is rebuilt in `scratch` so that the one
/// message decoder reads it.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |        Peer AS number         |        Peer IP address
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///                                 |        Local AS number        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                        Local IP address                       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           BGP message contents, after the header (variable)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
pub(crate) fn parse_message(
    rec: &[u8],
    body: usize,
    message_type: u8,
    decoder: &mut MessageDecoder,
    scratch: &mut Vec<u8>,
) -> Result<Bgp4mpMessage, BodyError> {
    let mut c = Cursor::new(rec, body);
    let peer_asn = u32::from(c.u16("Peer AS number")?);
    let peer_ip = IpAddr::V4(c.ipv4("Peer IP address")?);
    let local_asn = u32::from(c.u16("Local AS number")?);
    let local_ip = IpAddr::V4(c.ipv4("Local IP address")?);
    let at = c.pos();
    let contents = c.rest();
    let len = HEADER_LEN + contents.len();
    if len > MAX_MESSAGE {
        return Err(BodyError::new(
            at,
            format!("{} bytes of message contents do not fit a BGP message", contents.len()),
        ));
    }
    scratch.clear();
    scratch.extend_from_slice(&[0xff; 16]);
    scratch.extend_from_slice(&(len as u16).to_be_bytes());
    scratch.push(message_type);
    scratch.extend_from_slice(contents);
    Ok(Bgp4mpMessage {
        subtype: Bgp4mpSubtype::Message,
        peer_asn,
        local_asn,
        interface_index: 0,
        afi: 1,
        peer_ip,
        local_ip,
        message_offset: None,
        add_path: false,
        message: decoder.decode(scratch),
    })
}

/// Parses a BGP_STATE_CHANGE body. The record names the peer only; the local fields of the
/// result are the unspecified address and AS 0.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |        Peer AS number         |        Peer IP address
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///                                 |            Old State          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           New State           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
pub(crate) fn parse_state_change(rec: &[u8], body: usize) -> Result<StateChange, BodyError> {
    let mut c = Cursor::new(rec, body);
    let peer_asn = u32::from(c.u16("Peer AS number")?);
    let peer_ip = IpAddr::V4(c.ipv4("Peer IP address")?);
    let old_state = c.u16("Old State")?;
    let new_state = c.u16("New State")?;
    c.end("New State")?;
    Ok(StateChange {
        asn4: false,
        peer_asn,
        local_asn: 0,
        interface_index: 0,
        afi: 1,
        peer_ip,
        local_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        old_state,
        new_state,
    })
}

/// What a BGP_SYNC record says (a view number and the name of the RIB dump it marks; no
/// routes), for the report of a record that is not modelled.
pub(crate) fn describe_sync(rec: &[u8], body: usize) -> Result<String, BodyError> {
    let mut c = Cursor::new(rec, body);
    let view = c.u16("View #")?;
    let at = c.pos();
    let name = c.rest();
    let Some(end) = name.iter().position(|&b| b == 0) else {
        return Err(BodyError::new(at, "File Name is not NUL-terminated"));
    };
    let name = String::from_utf8_lossy(&name[..end]);
    Ok(format!("BGP {} (view {view}, file {name:?})", BgpSubtype::Sync))
}
