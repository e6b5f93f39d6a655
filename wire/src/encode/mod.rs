//! Encoding: the serializer side of the codec, mirroring the model file for file.
//!
//! - [`update`]: the reference UPDATE encoder (the route model back to bytes, the other half
//!   of the decode round trip);
//! - [`template`]: the inject hot path, pre-encoded attribute blocks filled with packed NLRI;
//! - [`open`]: the OPEN a speaker sends, with its capabilities;
//! - [`control`]: KEEPALIVE, NOTIFICATION and ROUTE-REFRESH.

pub mod control;
pub mod open;
pub mod template;
#[cfg(test)]
mod template_tests;
pub mod update;

pub use control::{encode_keepalive, encode_notification, encode_route_refresh};
pub use open::encode_open;
pub use update::{as_path_bytes, encode_update, put_attr, put_nlri};

/// Writes the 19-byte header of a message of type `kind` whose length is patched later by
/// [`patch_len`] (RFC 4271 §4.1).
pub(crate) fn start(buf: &mut Vec<u8>, kind: crate::iana::MessageType) {
    buf.extend_from_slice(&[0xff; 16]);
    buf.extend_from_slice(&[0, 0, kind.into()]);
}

/// Sets the length field of the message that starts at `buf[0]` to the buffer's length.
pub(crate) fn patch_len(buf: &mut [u8]) {
    let len = buf.len() as u16;
    buf[16..18].copy_from_slice(&len.to_be_bytes());
}
