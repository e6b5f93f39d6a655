//! eBPF programs of bgpstorm's wire monitor, and the layout of what they write.
//!
//! `bpf/bgp_capture.bpf.c` is a TC classifier (`SEC("classifier")`, attached at ingress and
//! egress, TCX on Linux ≥ 6.6) that copies every TCP segment to or from a BGP port into a
//! BPF ring buffer. build.rs compiles it with clang `-target bpf -g -O2`; [`PROGRAM`] is the
//! object that `bgpstorm-monitor`'s live capture loads with aya. This crate also mirrors
//! `bpf/bgp_capture.h`: map and program names, the record header layout ([`record`]) and the
//! counter indices ([`Counter`]), so the user side parses records without guessing.

/// The compiled ELF object of `bpf/bgp_capture.bpf.c` (BTF maps, two classifier programs).
pub const PROGRAM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/bgp_capture.bpf.o"));

/// Program attached at TC ingress.
pub const PROG_INGRESS: &str = "bgp_ingress";
/// Program attached at TC egress.
pub const PROG_EGRESS: &str = "bgp_egress";
/// Ring buffer of records (BPF_MAP_TYPE_RINGBUF).
pub const MAP_EVENTS: &str = "EVENTS";
/// Selected TCP ports (BPF_MAP_TYPE_HASH, `u16` host order → `u8`).
pub const MAP_PORTS: &str = "PORTS";
/// Peer-address filter (BPF_MAP_TYPE_LPM_TRIE, 16-byte keys, IPv4 as `::ffff:a.b.c.d`).
pub const MAP_PEERS: &str = "PEERS";
/// Configuration (BPF_MAP_TYPE_ARRAY, one `u32`: peer filter on when non-zero).
pub const MAP_CONFIG: &str = "CONFIG";
/// Per-CPU counters (BPF_MAP_TYPE_PERCPU_ARRAY of `u64`, indexed by [`Counter`]).
pub const MAP_COUNTERS: &str = "COUNTERS";

/// Capacity of the port map.
pub const MAX_PORTS: usize = 64;
/// Capacity of the peer trie.
pub const MAX_PEERS: usize = 1024;
/// Payload bytes in a small record.
pub const CHUNK_SMALL: usize = 512;
/// Payload bytes in a mid-size record (one Ethernet MSS fits).
pub const CHUNK_MID: usize = 2048;
/// Payload bytes in a big record: a segment's payload is cut at multiples of this.
pub const CHUNK_BIG: usize = 4096;
/// Records per segment at most; payload beyond `MAX_CHUNKS * CHUNK_BIG` (512 KiB, the largest
/// BIG TCP super-packet) is counted as truncated and not captured.
pub const MAX_CHUNKS: usize = 128;

/// Layout of a ring buffer record (`struct bgp_rec_hdr` followed by the chunk's bytes).
pub mod record {
    /// Header length; the chunk's bytes follow.
    pub const HEADER_LEN: usize = 72;
    /// `u64` bpf_ktime_get_ns of the segment (CLOCK_MONOTONIC).
    pub const TS_NS: usize = 0;
    /// `u32` skb->ifindex.
    pub const IFINDEX: usize = 8;
    /// `u32` payload length of the whole segment.
    pub const PAYLOAD_LEN: usize = 12;
    /// `u32` TCP sequence number, host order.
    pub const SEQ: usize = 16;
    /// `u32` TCP acknowledgment number, host order.
    pub const ACK: usize = 20;
    /// `u32` offset of this chunk in the segment's payload.
    pub const CHUNK_OFFSET: usize = 24;
    /// `u16` bytes of payload in this record.
    pub const CHUNK_LEN: usize = 28;
    /// `u16` source port, host order.
    pub const SPORT: usize = 30;
    /// `u16` destination port, host order.
    pub const DPORT: usize = 32;
    /// `u8` [`DIR_INGRESS`] or [`DIR_EGRESS`].
    pub const DIRECTION: usize = 34;
    /// `u8` 4 or 6.
    pub const FAMILY: usize = 35;
    /// `u8` TCP flags octet (RFC 9293 §3.1).
    pub const TCP_FLAGS: usize = 36;
    /// `u8` [`FIRST`] | [`LAST`].
    pub const REC_FLAGS: usize = 37;
    /// 16 bytes, network order; IPv4 in the first 4.
    pub const SADDR: usize = 40;
    /// 16 bytes, network order; IPv4 in the first 4.
    pub const DADDR: usize = 56;

    /// Direction value: TC ingress.
    pub const DIR_INGRESS: u8 = 0;
    /// Direction value: TC egress.
    pub const DIR_EGRESS: u8 = 1;
    /// Record flag: the chunk at payload offset 0.
    pub const FIRST: u8 = 0x01;
    /// Record flag: the chunk that ends the captured payload.
    pub const LAST: u8 = 0x02;
}

/// Indices of the per-CPU counters (`enum counter` in bgp_capture.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Counter {
    /// Packets the program ran on.
    Packets = 0,
    /// Their bytes (skb->len).
    Bytes,
    /// TCP segments selected (port set and peer filter).
    Segments,
    /// Payload bytes of those segments.
    PayloadBytes,
    /// Records written to the ring buffer.
    Records,
    /// Selected segments of which at least one record was lost.
    SegmentsDropped,
    /// Records lost because the ring buffer was full.
    RecordsDropped,
    /// Records lost because bpf_skb_load_bytes failed.
    LoadErrors,
    /// Segments longer than `MAX_CHUNKS * CHUNK_BIG`, cut.
    TruncatedSegments,
    /// Payload bytes beyond that limit, not captured.
    TruncatedBytes,
    /// TCP packets not parsed, whatever their ports (unknown): IP fragments, IPv6 header
    /// chains longer than 4 extension headers, cut headers.
    Unparsed,
    /// Largest payload of a selected segment: a maximum per CPU, not a sum.
    MaxSegment,
}

impl Counter {
    /// Every counter, in index order.
    pub const ALL: [Counter; 12] = [
        Self::Packets,
        Self::Bytes,
        Self::Segments,
        Self::PayloadBytes,
        Self::Records,
        Self::SegmentsDropped,
        Self::RecordsDropped,
        Self::LoadErrors,
        Self::TruncatedSegments,
        Self::TruncatedBytes,
        Self::Unparsed,
        Self::MaxSegment,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_object_is_a_bpf_elf_with_both_programs_and_all_maps() {
        assert_eq!(&PROGRAM[..4], b"\x7fELF");
        assert_eq!(u16::from_le_bytes([PROGRAM[18], PROGRAM[19]]), 247, "e_machine EM_BPF");
        let has = |s: &str| PROGRAM.windows(s.len()).any(|w| w == s.as_bytes());
        for name in [PROG_INGRESS, PROG_EGRESS, MAP_EVENTS, MAP_PORTS, MAP_PEERS, MAP_CONFIG] {
            assert!(has(name), "{name} missing from the object");
        }
        assert!(has("classifier"), "aya 0.14 needs SEC(\"classifier\")");
    }

    #[test]
    fn the_header_offsets_match_the_c_struct() {
        let src = include_str!("../bpf/bgp_capture.h");
        assert!(src.contains(&format!("#define CHUNK_BIG {CHUNK_BIG}")));
        assert!(src.contains(&format!("#define CHUNK_SMALL {CHUNK_SMALL}")));
        assert!(src.contains(&format!("#define CHUNK_MID {CHUNK_MID}")));
        for (field, off) in [
            ("ts_ns", record::TS_NS),
            ("ifindex", record::IFINDEX),
            ("payload_len", record::PAYLOAD_LEN),
            ("seq", record::SEQ),
            ("ack", record::ACK),
            ("chunk_offset", record::CHUNK_OFFSET),
            ("chunk_len", record::CHUNK_LEN),
            ("sport", record::SPORT),
            ("dport", record::DPORT),
            ("direction", record::DIRECTION),
            ("family", record::FAMILY),
            ("tcp_flags", record::TCP_FLAGS),
            ("rec_flags", record::REC_FLAGS),
            ("saddr", record::SADDR),
            ("daddr", record::DADDR),
        ] {
            // The C side checks these with _Static_assert at compile time.
            assert!(src.contains(&format!("BGP_OFF({field}, {off});")), "{field} at {off}");
        }
        assert!(src.contains(&format!("#define MAX_CHUNKS {MAX_CHUNKS}")));
        assert!(src.contains(&format!("{} bytes, then the data", record::HEADER_LEN)));
        assert_eq!(record::DADDR + 16, record::HEADER_LEN);
    }
}
