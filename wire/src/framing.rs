//! BGP message framing (RFC 4271 §4.1): finding where one message ends in a byte stream.

use super::error::WireError;
use super::iana::{MessageHeaderError, MessageType};

/// Length of the fixed header: 16-byte marker, 2-byte length, 1-byte type.
pub const HEADER_LEN: usize = 19;

/// Message type codes as `u8` constants for matching the raw type octet; the registry is
/// [`MessageType`].
pub mod kind {
    use crate::iana::MessageType;

    /// OPEN.
    pub const OPEN: u8 = MessageType::Open as u8;
    /// UPDATE.
    pub const UPDATE: u8 = MessageType::Update as u8;
    /// NOTIFICATION.
    pub const NOTIFICATION: u8 = MessageType::Notification as u8;
    /// KEEPALIVE.
    pub const KEEPALIVE: u8 = MessageType::Keepalive as u8;
    /// ROUTE-REFRESH.
    pub const ROUTE_REFRESH: u8 = MessageType::RouteRefresh as u8;
}

/// Name of a message type code.
pub fn kind_name(t: u8) -> &'static str {
    MessageType::try_from(t).map_or("UNKNOWN", MessageType::name)
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
            subcode: MessageHeaderError::ConnectionNotSynchronized.into(),
        });
    }
    let len = u16::from_be_bytes([buf[16], buf[17]]) as usize;
    let Ok(t) = MessageType::try_from(buf[18]) else {
        return Err(WireError::Header {
            offset: 18,
            reason: format!("unknown message type {}", buf[18]),
            subcode: MessageHeaderError::BadMessageType.into(),
        });
    };
    let limit =
        if matches!(t, MessageType::Open | MessageType::Keepalive) { 4096 } else { max_len };
    let min = t.min_len();
    if len < min || len > limit || (t == MessageType::Keepalive && len != HEADER_LEN) {
        return Err(WireError::Header {
            offset: 16,
            reason: format!("length {len} is invalid for {} (allowed {min}..={limit})", t.name()),
            subcode: MessageHeaderError::BadMessageLength.into(),
        });
    }
    Ok(Some(len))
}
