//! Counters of the reassembler.

use serde::Serialize;

/// Counters of the reassembler.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReassemblyStats {
    /// Segments pushed.
    pub segments: u64,
    /// Flow incarnations opened.
    pub flows: u64,
    /// Of those, opened mid-stream (no SYN seen).
    pub mid_stream_starts: u64,
    /// Incarnations replaced by a new SYN or a far sequence number.
    pub restarts: u64,
    /// Bytes delivered in order.
    pub delivered_bytes: u64,
    /// Segments that arrived ahead of a hole.
    pub out_of_order_segments: u64,
    /// Segments that carried no byte not seen before (retransmissions, duplicate SYNs).
    pub retransmitted_segments: u64,
    /// Retransmitted bytes dropped.
    pub duplicate_bytes: u64,
    /// Retransmitted bytes that differed from the first copy (which was kept).
    pub conflicting_bytes: u64,
    /// Holes given up on.
    pub gaps: u64,
    /// Bytes in those holes.
    pub gap_bytes: u64,
    /// Holes given up on because the buffer limits were exceeded (overflow).
    pub buffer_limit_gaps: u64,
    /// SYNs with data whose sender numbered the data from the SYN's own sequence number
    /// (crafted captures do); the stream was shifted by one byte to match.
    pub syn_data_shifts: u64,
    /// Segments dropped because no flow can be tracked ([`ReassemblyConfig::max_flows`] 0).
    pub untracked_segments: u64,
    /// Flows that never carried a byte, evicted to make room for a new flow.
    pub evicted_half_open: u64,
    /// Flows carrying a stream, evicted to make room for a new flow.
    pub evicted_established: u64,
    /// Open flows closed after their idle timeout.
    pub idle_expired: u64,
}

impl ReassemblyStats {
    /// Adds another run's counts (several files in one run).
    pub fn merge(&mut self, o: &ReassemblyStats) {
        let fields = [
            (&mut self.segments, o.segments),
            (&mut self.flows, o.flows),
            (&mut self.mid_stream_starts, o.mid_stream_starts),
            (&mut self.restarts, o.restarts),
            (&mut self.delivered_bytes, o.delivered_bytes),
            (&mut self.out_of_order_segments, o.out_of_order_segments),
            (&mut self.retransmitted_segments, o.retransmitted_segments),
            (&mut self.duplicate_bytes, o.duplicate_bytes),
            (&mut self.conflicting_bytes, o.conflicting_bytes),
            (&mut self.gaps, o.gaps),
            (&mut self.gap_bytes, o.gap_bytes),
            (&mut self.buffer_limit_gaps, o.buffer_limit_gaps),
            (&mut self.syn_data_shifts, o.syn_data_shifts),
            (&mut self.untracked_segments, o.untracked_segments),
            (&mut self.evicted_half_open, o.evicted_half_open),
            (&mut self.evicted_established, o.evicted_established),
            (&mut self.idle_expired, o.idle_expired),
        ];
        for (a, b) in fields {
            *a += b;
        }
    }
}
