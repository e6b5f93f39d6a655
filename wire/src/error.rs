//! Errors of the wire layer that end the message (and, on a live session, the session).

use serde::Serialize;

use super::iana::{ErrorCode, MessageHeaderError, UpdateMessageError};
use super::rfc7606::AttributeError;

/// A BGP message that cannot be used at all. On a live session each of these is a session
/// reset with the NOTIFICATION given by [`WireError::notification`] (RFC 4271 §6, RFC 7606 §2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum WireError {
    /// Fewer bytes than the header or the declared length need.
    #[error("truncated message at byte {offset}: {needed} bytes needed, {available} available")]
    Truncated {
        /// Offset of the message start.
        offset: usize,
        /// Bytes the message needs.
        needed: usize,
        /// Bytes there are.
        available: usize,
    },
    /// Marker, length or type in the 19-byte header are wrong (RFC 4271 §6.1).
    #[error("bad message header at byte {offset}: {reason}")]
    Header {
        /// Offset within the message.
        offset: usize,
        /// What was wrong.
        reason: String,
        /// NOTIFICATION subcode (error code 1).
        subcode: u8,
    },
    /// The body of a message cannot be parsed (RFC 4271 §6.2–6.3, RFC 7606 §5).
    #[error("malformed {message} at byte {offset}: {reason}")]
    Body {
        /// Message type name.
        message: &'static str,
        /// Offset within the message.
        offset: usize,
        /// What was wrong.
        reason: String,
        /// NOTIFICATION (code, subcode).
        notification: (u8, u8),
    },
    /// A malformed attribute for which RFC 7606 requires a session reset.
    #[error("{0}")]
    Attribute(AttributeError),
}

impl WireError {
    /// A short stable name for counting errors by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Truncated { .. } => "truncated",
            Self::Header { .. } => "header",
            Self::Body { message, .. } => message,
            Self::Attribute(_) => "attribute",
        }
    }

    /// The NOTIFICATION (error code, subcode) a speaker sends for this error.
    pub fn notification(&self) -> (u8, u8) {
        match self {
            Self::Truncated { .. } => {
                ErrorCode::MessageHeader.with(MessageHeaderError::BadMessageLength)
            }
            Self::Header { subcode, .. } => ErrorCode::MessageHeader.with(*subcode),
            Self::Body { notification, .. } => *notification,
            // UPDATE Message Error / Malformed Attribute List or Optional Attribute Error.
            Self::Attribute(e) if e.type_code == super::rfc7606::code::MP_REACH => {
                ErrorCode::UpdateMessage.with(UpdateMessageError::OptionalAttributeError)
            }
            Self::Attribute(_) => {
                ErrorCode::UpdateMessage.with(UpdateMessageError::MalformedAttributeList)
            }
        }
    }

    /// Byte offset of the error within the message.
    pub fn offset(&self) -> usize {
        match self {
            Self::Truncated { offset, .. }
            | Self::Header { offset, .. }
            | Self::Body { offset, .. } => *offset,
            Self::Attribute(e) => e.offset,
        }
    }
}
