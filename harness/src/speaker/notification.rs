//! NOTIFICATION messages (RFC 4271 §4.5, §6): the error codes we send and a record of every
//! NOTIFICATION a session sent or received.

use std::time::Instant;

use bgpstorm_wire::framing::kind;

/// NOTIFICATION error codes (RFC 4271 §4.5, RFC 4486 for Cease subcodes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ErrorCode {
    /// Message Header Error (1).
    MessageHeader = 1,
    /// OPEN Message Error (2).
    Open = 2,
    /// UPDATE Message Error (3).
    Update = 3,
    /// Hold Timer Expired (4).
    HoldTimerExpired = 4,
    /// Finite State Machine Error (5, RFC 6608 subcodes).
    Fsm = 5,
    /// Cease (6).
    Cease = 6,
}

/// OPEN Message Error subcodes (RFC 4271 §4.5, RFC 5492 §5).
pub mod open_subcode {
    /// Unsupported Version Number.
    pub const UNSUPPORTED_VERSION: u8 = 1;
    /// Bad Peer AS.
    pub const BAD_PEER_AS: u8 = 2;
    /// Bad BGP Identifier.
    pub const BAD_BGP_ID: u8 = 3;
    /// Unacceptable Hold Time.
    pub const UNACCEPTABLE_HOLD_TIME: u8 = 6;
    /// Unsupported Capability (RFC 5492 §5).
    pub const UNSUPPORTED_CAPABILITY: u8 = 7;
}

/// FSM Error subcodes (RFC 6608 §4).
pub mod fsm_subcode {
    /// Receive Unexpected Message in OpenSent State.
    pub const IN_OPEN_SENT: u8 = 1;
    /// Receive Unexpected Message in OpenConfirm State.
    pub const IN_OPEN_CONFIRM: u8 = 2;
    /// Receive Unexpected Message in Established State.
    pub const IN_ESTABLISHED: u8 = 3;
}

/// Cease subcodes (RFC 4486 §4).
pub mod cease_subcode {
    /// Administrative Shutdown.
    pub const ADMINISTRATIVE_SHUTDOWN: u8 = 2;
    /// Connection Rejected.
    pub const CONNECTION_REJECTED: u8 = 5;
    /// Connection Collision Resolution.
    pub const COLLISION_RESOLUTION: u8 = 7;
}

/// Who sent a recorded NOTIFICATION.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// We sent it.
    Sent,
    /// The peer sent it.
    Received,
}

/// One NOTIFICATION of a session, as sent or received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationRecord {
    /// Sent or received.
    pub direction: Direction,
    /// Error code.
    pub code: u8,
    /// Error subcode.
    pub subcode: u8,
    /// Data field.
    pub data: Vec<u8>,
    /// When (monotonic).
    pub at: Instant,
}

impl std::fmt::Display for NotificationRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dir = match self.direction {
            Direction::Sent => "sent",
            Direction::Received => "received",
        };
        write!(
            f,
            "NOTIFICATION {dir} {}/{} ({})",
            self.code,
            self.subcode,
            describe(self.code, self.subcode)
        )
    }
}

/// A human name for a (code, subcode) pair.
pub fn describe(code: u8, subcode: u8) -> &'static str {
    match (code, subcode) {
        (1, 1) => "connection not synchronized",
        (1, 2) => "bad message length",
        (1, 3) => "bad message type",
        (1, _) => "message header error",
        (2, 1) => "unsupported version number",
        (2, 2) => "bad peer AS",
        (2, 3) => "bad BGP identifier",
        (2, 6) => "unacceptable hold time",
        (2, 7) => "unsupported capability",
        (2, _) => "OPEN message error",
        (3, _) => "UPDATE message error",
        (4, _) => "hold timer expired",
        (5, _) => "finite state machine error",
        (6, 2) => "cease: administrative shutdown",
        (6, 4) => "cease: administrative reset",
        (6, 5) => "cease: connection rejected",
        (6, 7) => "cease: connection collision resolution",
        (6, _) => "cease",
        _ => "unknown error code",
    }
}

/// Encodes a NOTIFICATION message (RFC 4271 §4.5).
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | Error code    | Error subcode |   Data (variable)             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
pub fn encode(code: u8, subcode: u8, data: &[u8]) -> Vec<u8> {
    let data = &data[..data.len().min(4096 - 21)];
    let mut m = Vec::with_capacity(21 + data.len());
    m.extend_from_slice(&[0xff; 16]);
    m.extend_from_slice(&((21 + data.len()) as u16).to_be_bytes());
    m.push(kind::NOTIFICATION);
    m.extend_from_slice(&[code, subcode]);
    m.extend_from_slice(data);
    m
}

/// A KEEPALIVE message (RFC 4271 §4.4): the header alone.
pub fn keepalive() -> [u8; 19] {
    let mut m = [0xff; 19];
    m[16] = 0;
    m[17] = 19;
    m[18] = kind::KEEPALIVE;
    m
}
