//! KEEPALIVE, NOTIFICATION and ROUTE-REFRESH: the session's control messages.

use super::{patch_len, start};
use crate::framing::HEADER_LEN;
use crate::iana::MessageType;
use crate::message::RouteRefresh;

/// A KEEPALIVE message (RFC 4271 §4.4): the header alone.
pub fn encode_keepalive() -> [u8; HEADER_LEN] {
    let mut m = [0xff; HEADER_LEN];
    m[16..18].copy_from_slice(&(HEADER_LEN as u16).to_be_bytes());
    m[18] = MessageType::Keepalive.into();
    m
}

/// A NOTIFICATION message (RFC 4271 §4.5); `data` is cut to what fits in 4096 bytes.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | Error code    | Error subcode |   Data (variable)             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
pub fn encode_notification(code: u8, subcode: u8, data: &[u8]) -> Vec<u8> {
    let data = &data[..data.len().min(4096 - HEADER_LEN - 2)];
    let mut m = Vec::with_capacity(HEADER_LEN + 2 + data.len());
    start(&mut m, MessageType::Notification);
    m.extend_from_slice(&[code, subcode]);
    m.extend_from_slice(data);
    patch_len(&mut m);
    m
}

/// A ROUTE-REFRESH message (RFC 2918 §3, RFC 7313 §3.2 for the subtype octet).
///
/// ```text
///  0       7      15      23      31
/// +-------+-------+-------+-------+
/// |      AFI      | Subtype | SAFI |
/// +-------+-------+-------+-------+
/// ```
pub fn encode_route_refresh(rr: &RouteRefresh) -> [u8; HEADER_LEN + 4] {
    let mut m = [0xff; HEADER_LEN + 4];
    m[16..18].copy_from_slice(&((HEADER_LEN + 4) as u16).to_be_bytes());
    m[18] = MessageType::RouteRefresh.into();
    m[19..21].copy_from_slice(&rr.family.afi.to_be_bytes());
    m[21] = rr.subtype;
    m[22] = rr.family.safi;
    m
}
