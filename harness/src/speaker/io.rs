//! Reading whole BGP messages from a TCP stream (RFC 4271 §4.1 framing).

use std::io;
use std::time::Instant;

use bgpstorm_wire::WireError;
use bgpstorm_wire::framing::message_len;
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Why no message could be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The peer closed the connection.
    #[error("connection closed by peer")]
    Closed,
    /// The socket failed.
    #[error("socket error: {0}")]
    Io(#[from] io::Error),
    /// The header is invalid: Message Header Error (RFC 4271 §6.1).
    #[error("{0}")]
    Header(WireError),
}

/// Reads framed messages; keeps what it read past the current message.
pub struct MessageReader<R> {
    rd: R,
    buf: BytesMut,
    last_read: Instant,
}

impl<R: AsyncRead + Unpin> MessageReader<R> {
    /// A reader of `rd`.
    pub fn new(rd: R) -> Self {
        Self { rd, buf: BytesMut::with_capacity(256 * 1024), last_read: Instant::now() }
    }

    /// The next whole message (header included) and when its last byte was read.
    /// `max_len` is 4096, or 65535 after extended messages were negotiated (RFC 8654).
    pub async fn next(&mut self, max_len: usize) -> Result<(Bytes, Instant), ReadError> {
        loop {
            if let Some(len) = message_len(&self.buf, max_len).map_err(ReadError::Header)?
                && self.buf.len() >= len
            {
                return Ok((self.buf.split_to(len).freeze(), self.last_read));
            }
            if self.buf.capacity() - self.buf.len() < 64 * 1024 {
                self.buf.reserve(256 * 1024);
            }
            let n = self.rd.read_buf(&mut self.buf).await?;
            self.last_read = Instant::now();
            if n == 0 {
                return Err(ReadError::Closed);
            }
        }
    }
}
