//! Capture sources: where TCP segments come from.
//!
//! Both sources produce the same [`CaptureEvent`]: one TCP segment with its addresses,
//! sequence numbers, flags and payload. [`pcap::PcapSource`] reads pcap and pcapng files;
//! [`live::LiveCapture`] fills the same struct from the records of the eBPF TC program
//! (crate `bgpstorm-ebpf`), so that [`crate::reassembly`] and [`crate::stream`] never know which
//! one they are fed by.
//!
//! Frames that do not carry a TCP segment (ARP, UDP, IP fragments, unknown link types, cut
//! headers) are never dropped silently: [`CaptureStats`] counts each by [`SkipReason`].

pub mod frame;
#[cfg(feature = "live")]
pub mod live;
pub mod pcap;
mod stats;
#[cfg(test)]
pub(crate) mod testutil;
pub mod writer;

use serde::Serialize;
use std::fmt;
use std::net::SocketAddr;

pub use frame::{LinkType, Segment, parse_frame};
pub use pcap::PcapSource;
pub use stats::{CaptureStats, SkipReason};

/// Which way a segment crossed the interface it was captured on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Received by the interface (TC ingress; Linux cooked "to us" / pcapng inbound).
    Ingress,
    /// Sent by the interface (TC egress; Linux cooked "outgoing" / pcapng outbound).
    Egress,
}

/// The TCP header flags octet (RFC 9293 §3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// No more data from the sender.
    pub const FIN: TcpFlags = TcpFlags(0x01);
    /// Synchronize sequence numbers.
    pub const SYN: TcpFlags = TcpFlags(0x02);
    /// Reset the connection.
    pub const RST: TcpFlags = TcpFlags(0x04);
    /// Push function.
    pub const PSH: TcpFlags = TcpFlags(0x08);
    /// The acknowledgment field is significant.
    pub const ACK: TcpFlags = TcpFlags(0x10);
    /// The urgent pointer field is significant.
    pub const URG: TcpFlags = TcpFlags(0x20);

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// SYN is set.
    pub const fn syn(self) -> bool {
        self.contains(Self::SYN)
    }

    /// FIN is set.
    pub const fn fin(self) -> bool {
        self.contains(Self::FIN)
    }

    /// RST is set.
    pub const fn rst(self) -> bool {
        self.contains(Self::RST)
    }

    /// ACK is set.
    pub const fn ack(self) -> bool {
        self.contains(Self::ACK)
    }
}

impl std::ops::BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | rhs.0)
    }
}

impl fmt::Display for TcpFlags {
    /// tcpdump's notation: `S`, `F`, `R`, `P`, `U`, `.` for ACK.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (flag, c) in [
            (Self::SYN, 'S'),
            (Self::FIN, 'F'),
            (Self::RST, 'R'),
            (Self::PSH, 'P'),
            (Self::URG, 'U'),
            (Self::ACK, '.'),
        ] {
            if self.contains(flag) {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// One TCP segment seen on the wire, from a capture file or from the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureEvent {
    /// Capture time in nanoseconds: wall clock (Unix epoch) for pcap files, the kernel's
    /// monotonic clock (bpf_ktime_get_ns) for the live capture.
    pub ts_ns: u64,
    /// Interface: the OS ifindex when known (live capture, Linux cooked v2), else the pcapng
    /// interface number, else 0.
    pub ifindex: u32,
    /// Ingress or egress, when the source says.
    pub direction: Option<Direction>,
    /// Sender address and port.
    pub src: SocketAddr,
    /// Receiver address and port.
    pub dst: SocketAddr,
    /// Sequence number (RFC 9293 §3.1).
    pub seq: u32,
    /// Acknowledgment number; meaningful only with [`TcpFlags::ACK`].
    pub ack: u32,
    /// Header flags.
    pub flags: TcpFlags,
    /// The payload bytes captured; shorter than `payload_len` when the capture cut the frame.
    pub payload: Vec<u8>,
    /// Payload length on the wire, from the IP length fields.
    pub payload_len: u32,
}

impl CaptureEvent {
    /// Whether the capture kept fewer payload bytes than the segment carried.
    pub fn is_snapped(&self) -> bool {
        (self.payload.len() as u64) < u64::from(self.payload_len)
    }
}

/// Why a capture file cannot be read (further).
///
/// Offsets are bytes from the start of the file (of the decompressed stream for gzip files).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CaptureError {
    /// The file cannot be opened or read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// Neither pcap nor pcapng magic at the start.
    #[error("{path}: not a pcap or pcapng file (starts with {magic})")]
    UnknownFormat {
        /// The file.
        path: String,
        /// The first bytes, hex.
        magic: String,
    },
    /// The file ends in the middle of a header or record.
    #[error("{path}: truncated at byte {offset}: {what} needs {needed} bytes, {available} left")]
    Truncated {
        /// The file.
        path: String,
        /// Offset of the incomplete header or record.
        offset: u64,
        /// What was being read.
        what: &'static str,
        /// Bytes it needs.
        needed: u64,
        /// Bytes the file still had.
        available: u64,
    },
    /// A header or record is invalid.
    #[error("{path}: malformed at byte {offset}: {reason}")]
    Malformed {
        /// The file.
        path: String,
        /// Offset of the header or record.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
}

impl CaptureError {
    /// A short stable name for counting errors by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Io { .. } => "io",
            Self::UnknownFormat { .. } => "unknown-format",
            Self::Truncated { .. } => "truncated-file",
            Self::Malformed { .. } => "malformed-file",
        }
    }
}
