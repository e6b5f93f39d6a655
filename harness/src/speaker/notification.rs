//! NOTIFICATION messages (RFC 4271 §4.5, §6): the error codes we send and a record of every
//! NOTIFICATION a session sent or received.

use std::time::Instant;

use bgpstorm_wire::encode::{encode_keepalive, encode_notification};
use bgpstorm_wire::iana::{CeaseSubcode, FsmError, MessageHeaderError, OpenMessageError};

/// NOTIFICATION error codes: the wire crate's registry.
pub use bgpstorm_wire::iana::ErrorCode;

/// OPEN Message Error subcodes we send (RFC 4271 §6.2, RFC 5492 §5).
pub mod open_subcode {
    use super::OpenMessageError;

    /// Unsupported Version Number.
    pub const UNSUPPORTED_VERSION: u8 = OpenMessageError::UnsupportedVersionNumber as u8;
    /// Bad Peer AS.
    pub const BAD_PEER_AS: u8 = OpenMessageError::BadPeerAs as u8;
    /// Bad BGP Identifier.
    pub const BAD_BGP_ID: u8 = OpenMessageError::BadBgpIdentifier as u8;
    /// Unacceptable Hold Time.
    pub const UNACCEPTABLE_HOLD_TIME: u8 = OpenMessageError::UnacceptableHoldTime as u8;
    /// Unsupported Capability (RFC 5492 §5).
    pub const UNSUPPORTED_CAPABILITY: u8 = OpenMessageError::UnsupportedCapability as u8;
}

/// FSM Error subcodes we send (RFC 6608 §4).
pub mod fsm_subcode {
    use super::FsmError;

    /// Receive Unexpected Message in OpenSent State.
    pub const IN_OPEN_SENT: u8 = FsmError::UnexpectedInOpenSent as u8;
    /// Receive Unexpected Message in OpenConfirm State.
    pub const IN_OPEN_CONFIRM: u8 = FsmError::UnexpectedInOpenConfirm as u8;
    /// Receive Unexpected Message in Established State.
    pub const IN_ESTABLISHED: u8 = FsmError::UnexpectedInEstablished as u8;
}

/// Cease subcodes we send (RFC 4486 §4).
pub mod cease_subcode {
    use super::CeaseSubcode;

    /// Administrative Shutdown.
    pub const ADMINISTRATIVE_SHUTDOWN: u8 = CeaseSubcode::AdministrativeShutdown as u8;
    /// Connection Rejected.
    pub const CONNECTION_REJECTED: u8 = CeaseSubcode::ConnectionRejected as u8;
    /// Connection Collision Resolution.
    pub const COLLISION_RESOLUTION: u8 = CeaseSubcode::ConnectionCollisionResolution as u8;
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
    /// Whether the session was Established when it was sent or received (not: an answer to
    /// an OPEN, or a close before the session came up).
    pub established: bool,
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
    use MessageHeaderError as H;
    use OpenMessageError as O;
    let Ok(code) = ErrorCode::try_from(code) else { return "unknown error code" };
    match code {
        ErrorCode::MessageHeader => match H::try_from(subcode) {
            Ok(H::ConnectionNotSynchronized) => "connection not synchronized",
            Ok(H::BadMessageLength) => "bad message length",
            Ok(H::BadMessageType) => "bad message type",
            Err(_) => "message header error",
        },
        ErrorCode::OpenMessage => match O::try_from(subcode) {
            Ok(O::UnsupportedVersionNumber) => "unsupported version number",
            Ok(O::BadPeerAs) => "bad peer AS",
            Ok(O::BadBgpIdentifier) => "bad BGP identifier",
            Ok(O::UnacceptableHoldTime) => "unacceptable hold time",
            Ok(O::UnsupportedCapability) => "unsupported capability",
            _ => "OPEN message error",
        },
        ErrorCode::UpdateMessage => "UPDATE message error",
        ErrorCode::HoldTimerExpired => "hold timer expired",
        ErrorCode::Fsm => "finite state machine error",
        ErrorCode::Cease => match CeaseSubcode::try_from(subcode) {
            Ok(CeaseSubcode::AdministrativeShutdown) => "cease: administrative shutdown",
            Ok(CeaseSubcode::AdministrativeReset) => "cease: administrative reset",
            Ok(CeaseSubcode::ConnectionRejected) => "cease: connection rejected",
            Ok(CeaseSubcode::ConnectionCollisionResolution) => {
                "cease: connection collision resolution"
            }
            _ => "cease",
        },
        ErrorCode::RouteRefreshMessage => "unknown error code",
    }
}

/// Encodes a NOTIFICATION message (RFC 4271 §4.5) with the wire crate's encoder.
pub fn encode(code: u8, subcode: u8, data: &[u8]) -> Vec<u8> {
    encode_notification(code, subcode, data)
}

/// A KEEPALIVE message (RFC 4271 §4.4): the header alone.
pub fn keepalive() -> [u8; 19] {
    encode_keepalive()
}
