//! Ring buffer records of bgp_capture.bpf.c turned into [`CaptureEvent`]s.
//!
//! The kernel program cuts a segment's payload into chunks (`bgpstorm_ebpf::CHUNK_BIG`
//! bytes each, so a 64 KiB GSO super-packet fits in 16 records). Each chunk becomes a
//! segment of its own, numbered at its place in the sequence space (RFC 9293 §3.4), so the
//! reassembler sees every byte without knowing about chunks: SYN only on the first chunk
//! (its data starts one past the SYN's number), FIN and RST only on the last one. A lost
//! chunk is a hole the reassembler reports as a gap, as for a packet a capture missed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bgpstorm_ebpf::{CHUNK_BIG, record as r};

use crate::capture::{CaptureEvent, Direction, TcpFlags};

/// Why a record cannot be used (a bug on one side of the record layout; counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Shorter than the header.
    #[error("record of {0} bytes is shorter than the {HEADER} byte header", HEADER = r::HEADER_LEN)]
    Short(usize),
    /// The chunk length is larger than the record or a chunk can be.
    #[error("record claims {claimed} payload bytes but holds {held}")]
    BadChunkLen {
        /// Bytes the header claims.
        claimed: usize,
        /// Bytes the record has after the header.
        held: usize,
    },
    /// Address family other than 4 or 6.
    #[error("unknown address family {0}")]
    BadFamily(u8),
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_ne_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn addr(b: &[u8], at: usize, family: u8) -> IpAddr {
    let a: [u8; 16] = b[at..at + 16].try_into().expect("16 bytes");
    if family == 4 {
        IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3]))
    } else {
        IpAddr::V6(Ipv6Addr::from(a))
    }
}

/// Decodes one record into the segment its chunk stands for.
pub fn parse_record(b: &[u8]) -> Result<CaptureEvent, RecordError> {
    if b.len() < r::HEADER_LEN {
        return Err(RecordError::Short(b.len()));
    }
    let chunk_len = usize::from(u16_at(b, r::CHUNK_LEN));
    let held = b.len() - r::HEADER_LEN;
    if chunk_len > held || chunk_len > CHUNK_BIG {
        return Err(RecordError::BadChunkLen { claimed: chunk_len, held });
    }
    let family = b[r::FAMILY];
    if family != 4 && family != 6 {
        return Err(RecordError::BadFamily(family));
    }
    let rec_flags = b[r::REC_FLAGS];
    let first = rec_flags & r::FIRST != 0;
    let last = rec_flags & r::LAST != 0;
    let wire = TcpFlags(b[r::TCP_FLAGS]);
    let chunk_offset = u32_at(b, r::CHUNK_OFFSET);
    let payload_len = u32_at(b, r::PAYLOAD_LEN);

    let mut flags = wire.0;
    if !first {
        flags &= !TcpFlags::SYN.0;
    }
    if !last {
        flags &= !(TcpFlags::FIN.0 | TcpFlags::RST.0 | TcpFlags::PSH.0);
    }
    // Chunks after the first are plain data at their place: past the SYN's own number.
    let seq = if first {
        u32_at(b, r::SEQ)
    } else {
        u32_at(b, r::SEQ).wrapping_add(u32::from(wire.syn())).wrapping_add(chunk_offset)
    };
    // The last chunk of a segment the kernel cut (longer than MAX_CHUNKS records) carries the
    // rest of the wire length, so the reassembler reports the missing bytes as snapped.
    let chunk_wire_len = if last {
        payload_len.saturating_sub(chunk_offset).max(chunk_len as u32)
    } else {
        chunk_len as u32
    };
    Ok(CaptureEvent {
        ts_ns: u64_at(b, r::TS_NS),
        ifindex: u32_at(b, r::IFINDEX),
        direction: Some(if b[r::DIRECTION] == r::DIR_EGRESS {
            Direction::Egress
        } else {
            Direction::Ingress
        }),
        src: SocketAddr::new(addr(b, r::SADDR, family), u16_at(b, r::SPORT)),
        dst: SocketAddr::new(addr(b, r::DADDR, family), u16_at(b, r::DPORT)),
        seq,
        ack: u32_at(b, r::ACK),
        flags: TcpFlags(flags),
        payload: b[r::HEADER_LEN..r::HEADER_LEN + chunk_len].to_vec(),
        payload_len: chunk_wire_len,
    })
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
