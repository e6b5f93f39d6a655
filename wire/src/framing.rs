//! BGP message framing (RFC 4271 §4.1): finding where one message ends in a byte stream.

use super::error::WireError;

/// Length of the fixed header: 16-byte marker, 2-byte length, 1-byte type.
pub const HEADER_LEN: usize = 19;

/// Message type codes (RFC 4271 §4.1, RFC 2918 §3).
pub mod kind {
    /// OPEN.
    pub const OPEN: u8 = 1;
    /// UPDATE.
    pub const UPDATE: u8 = 2;
    /// NOTIFICATION.
    pub const NOTIFICATION: u8 = 3;
    /// KEEPALIVE.
    pub const KEEPALIVE: u8 = 4;
    /// ROUTE-REFRESH.
    pub const ROUTE_REFRESH: u8 = 5;
}

/// Name of a message type code.
pub fn kind_name(t: u8) -> &'static str {
    match t {
        kind::OPEN => "OPEN",
        kind::UPDATE => "UPDATE",
        kind::NOTIFICATION => "NOTIFICATION",
        kind::KEEPALIVE => "KEEPALIVE",
        kind::ROUTE_REFRESH => "ROUTE-REFRESH",
        _ => "UNKNOWN",
    }
}

/// Checks the header at the start of `buf` and returns the whole message's length, or
/// `Ok(None)` when fewer than 19 bytes are there yet. `max_len` is 4096, or 65535 with
/// extended messages (RFC 8654); OPEN and KEEPALIVE are limited to 4096 regardless.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           Marker (16 octets of 0xff)          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |          Length               |      Type     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
pub fn message_len(buf: &[u8], max_len: usize) -> Result<Option<usize>, WireError> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    if buf[..16].iter().any(|&b| b != 0xff) {
        return Err(WireError::Header {
            offset: 0,
            reason: "marker is not all ones (connection not synchronized)".into(),
            subcode: 1,
        });
    }
    let len = u16::from_be_bytes([buf[16], buf[17]]) as usize;
    let t = buf[18];
    let limit = if matches!(t, kind::OPEN | kind::KEEPALIVE) { 4096 } else { max_len };
    let min = match t {
        kind::OPEN => 29,
        kind::UPDATE => 23,
        kind::NOTIFICATION => 21,
        kind::KEEPALIVE => 19,
        kind::ROUTE_REFRESH => 23,
        _ => {
            return Err(WireError::Header {
                offset: 18,
                reason: format!("unknown message type {t}"),
                subcode: 3,
            });
        }
    };
    if len < min || len > limit || (t == kind::KEEPALIVE && len != HEADER_LEN) {
        return Err(WireError::Header {
            offset: 16,
            reason: format!(
                "length {len} is invalid for {} (allowed {min}..={limit})",
                kind_name(t)
            ),
            subcode: 2,
        });
    }
    Ok(Some(len))
}
