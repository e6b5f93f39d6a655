//! Counters of the live capture: the kernel program's per-CPU counters, summed, and the
//! reader's own.

use serde::Serialize;
use std::fmt;

use bgpstorm_ebpf::Counter;

/// The kernel program's counters, summed over CPUs (`COUNTERS` map, bgp_capture.h).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KernelCounters {
    /// Packets the program ran on (every packet of the attached hooks).
    pub packets: u64,
    /// Their bytes.
    pub bytes: u64,
    /// TCP segments selected by the port set and the peer filter.
    pub segments: u64,
    /// Payload bytes of those segments.
    pub payload_bytes: u64,
    /// Records written to the ring buffer.
    pub records: u64,
    /// Selected segments of which at least one record was lost.
    pub segments_dropped: u64,
    /// Records lost because the ring buffer was full.
    pub records_dropped: u64,
    /// Records lost because the payload could not be read (bpf_skb_load_bytes).
    pub load_errors: u64,
    /// Segments longer than the 64 KiB the program copies (BIG TCP), cut.
    pub truncated_segments: u64,
    /// Payload bytes beyond that limit, not captured.
    pub truncated_bytes: u64,
    /// TCP packets not parsed, on any port since theirs are unknown: IP fragments, IPv6
    /// header chains longer than 4 extension headers, cut headers.
    pub unparsed: u64,
    /// Largest payload of a selected segment (GSO/GRO super-packets are seen whole).
    pub max_segment: u64,
}

impl KernelCounters {
    /// Builds the struct from values indexed like [`Counter::ALL`] (summed over CPUs, except
    /// [`Counter::MaxSegment`]: the maximum).
    pub fn from_values(v: &[u64; Counter::ALL.len()]) -> Self {
        let at = |c: Counter| v[c as usize];
        Self {
            packets: at(Counter::Packets),
            bytes: at(Counter::Bytes),
            segments: at(Counter::Segments),
            payload_bytes: at(Counter::PayloadBytes),
            records: at(Counter::Records),
            segments_dropped: at(Counter::SegmentsDropped),
            records_dropped: at(Counter::RecordsDropped),
            load_errors: at(Counter::LoadErrors),
            truncated_segments: at(Counter::TruncatedSegments),
            truncated_bytes: at(Counter::TruncatedBytes),
            unparsed: at(Counter::Unparsed),
            max_segment: at(Counter::MaxSegment),
        }
    }

    /// Records the kernel could not deliver, for any reason.
    pub fn lost_records(&self) -> u64 {
        self.records_dropped + self.load_errors
    }
}

/// What the live capture has seen and lost so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LiveStats {
    /// The kernel side.
    pub kernel: KernelCounters,
    /// Records read from the ring buffer.
    pub records_read: u64,
    /// Payload bytes in them.
    pub payload_bytes_read: u64,
    /// Records that could not be decoded (layout mismatch; never expected).
    pub malformed_records: u64,
}

impl LiveStats {
    /// Every way a byte can have been lost: records dropped in the kernel, segments cut,
    /// TCP packets not parsed (conservatively: their ports are unknown, they may not be BGP),
    /// records not decoded. Zero means the capture is complete.
    pub fn drops(&self) -> u64 {
        let k = &self.kernel;
        k.lost_records() + k.truncated_segments + k.unparsed + self.malformed_records
    }
}

impl fmt::Display for LiveStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = &self.kernel;
        writeln!(f, "kernel: {} packets, {} bytes seen", k.packets, k.bytes)?;
        writeln!(
            f,
            "kernel: {} BGP segments, {} payload bytes (largest segment {}), {} records written",
            k.segments, k.payload_bytes, k.max_segment, k.records
        )?;
        writeln!(
            f,
            "kernel: {} records dropped (ring full), {} load errors, {} segments dropped, \
             {} segments cut ({} bytes), {} unparsed",
            k.records_dropped,
            k.load_errors,
            k.segments_dropped,
            k.truncated_segments,
            k.truncated_bytes,
            k.unparsed
        )?;
        writeln!(
            f,
            "reader: {} records, {} payload bytes, {} malformed",
            self.records_read, self.payload_bytes_read, self.malformed_records
        )
    }
}
