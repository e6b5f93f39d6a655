//! Per-flow TCP stream reassembly (RFC 9293), independent of what the stream carries.
//!
//! A flow is one direction of a TCP connection, keyed by its (source, destination) address
//! and port pair. [`Reassembler::push`] takes [`CaptureEvent`]s in capture order and emits
//! [`ReassemblyEvent`]s: each flow's bytes in order and exactly once, the holes that can no
//! longer be filled ([`ReassemblyEvent::Gap`]) and the end of the flow. Bytes carry the
//! timestamp of the segment that made them deliverable (the one that filled the last hole
//! before them).
//!
//! - The stream starts after the SYN (RFC 9293 §3.4: the SYN occupies one sequence number),
//!   or, for a capture that starts mid-connection, at the first segment seen.
//! - Retransmitted bytes are dropped and counted; bytes that differ from the first copy
//!   (conflicting overlaps) are counted and the first copy is kept.
//! - Sequence numbers wrap (RFC 9293 §3.4.1): they are turned into 64-bit stream offsets
//!   relative to the next expected byte, so that a wrap is an ordinary step forward.
//! - Out-of-order bytes wait in a bounded buffer. A hole before them is declared lost when
//!   the receiver acknowledges bytes beyond it (it will not be retransmitted), when the
//!   buffer exceeds its limits, when the flow ends (FIN reached, RST, end of input), or at
//!   once for bytes the capture's snap length cut off.
//! - A SYN with a new initial sequence number, or a segment further from the expected
//!   sequence number than any TCP window (2^30, RFC 7323 §2.3), starts a new incarnation.
//! - Flows do not live forever: ended flows are forgotten after two maximum segment
//!   lifetimes, flows idle in capture time beyond their class's timeout are closed, and when
//!   [`ReassemblyConfig::max_flows`] flows are tracked the least recently active one makes
//!   room, ended flows first, then half-open ones (no byte seen: scans, SYN floods), then
//!   established ones. Each is counted; none costs a scan of the table (see `table.rs`).

mod buffer;
mod stats;
mod table;

use serde::Serialize;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::capture::CaptureEvent;
use buffer::{Content, History, Overlap, PieceBuffer};
use table::{Class, FlowTable};

pub use stats::ReassemblyStats;

/// The largest TCP window (RFC 7323 §2.3); a segment further away is not of this stream.
const RESTART_DISTANCE: i64 = 1 << 30;

/// One direction of a TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Flow {
    /// Sender address and port.
    pub src: SocketAddr,
    /// Receiver address and port.
    pub dst: SocketAddr,
}

impl Flow {
    /// The flow of `ev`.
    pub fn of(ev: &CaptureEvent) -> Self {
        Self { src: ev.src, dst: ev.dst }
    }

    /// The other direction of the same connection.
    pub fn reverse(self) -> Self {
        Self { src: self.dst, dst: self.src }
    }
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.src, self.dst)
    }
}

/// Limits and policies of the reassembler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// Out-of-order bytes held per flow before the hole before them is declared lost.
    pub max_buffered_bytes: u64,
    /// Out-of-order ranges held per flow before the hole before them is declared lost.
    pub max_buffered_segments: usize,
    /// Delivered bytes kept per flow to compare retransmissions with (0: do not compare).
    pub history_bytes: usize,
    /// Declare a hole lost as soon as the receiver acknowledges bytes beyond it.
    pub ack_gap_detection: bool,
    /// Flows tracked at once; beyond it the least recently active flow is evicted (ended
    /// flows first, then half-open ones, then established ones). With 0, nothing is tracked
    /// and segments are counted in [`ReassemblyStats::untracked_segments`].
    pub max_flows: usize,
    /// Capture time after which a flow that never carried a byte (a lone SYN) is closed.
    pub half_open_timeout: Duration,
    /// Capture time after which a silent flow carrying a stream is closed.
    pub idle_timeout: Duration,
    /// Capture time an ended flow is remembered, to recognise late retransmissions.
    pub closed_timeout: Duration,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        Self {
            max_buffered_bytes: 4 << 20,
            max_buffered_segments: 4096,
            history_bytes: 64 << 10,
            ack_gap_detection: true,
            max_flows: 65536,
            // Linux gives up a connection attempt after 127 s (tcp_syn_retries = 6).
            half_open_timeout: Duration::from_secs(130),
            // A BGP speaker sends within its hold time, at most 65,535 s (RFC 4271 §4.2).
            idle_timeout: Duration::from_secs(65_536),
            // Twice the maximum segment lifetime, as TIME-WAIT (RFC 9293 §3.4.2).
            closed_timeout: Duration::from_secs(240),
        }
    }
}

/// Why a hole in a flow was given up on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GapCause {
    /// The receiver acknowledged bytes beyond the hole: they were sent but not captured.
    Acked,
    /// Out-of-order bytes behind the hole exceeded the buffer limits.
    BufferLimit,
    /// The capture's snap length cut the segment.
    Snapped,
    /// The flow ended (FIN reached, RST, new incarnation, end of input) with the hole open.
    FlowEnd,
}

/// How a flow ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloseReason {
    /// Every byte up to the sender's FIN was delivered.
    Fin,
    /// A RST in either direction aborted the connection.
    Rst,
    /// A new SYN or a far sequence number started a new incarnation of the same 4-tuple.
    Restarted,
    /// The input ended with the flow open.
    EndOfInput,
    /// The flow was silent for longer than its idle timeout (capture time).
    IdleTimeout,
    /// The flow table was full and this flow was the least recently active.
    Evicted,
}

/// What the reassembler reports, per flow, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReassemblyEvent {
    /// A flow (or a new incarnation of it) starts; `syn` tells whether its start was seen.
    Opened {
        /// The flow.
        flow: Flow,
        /// Time of the first segment.
        ts_ns: u64,
        /// Whether the stream starts at a SYN (else mid-stream: the first bytes may be the
        /// middle of whatever the protocol sends).
        syn: bool,
    },
    /// Bytes of the stream, in order.
    Data {
        /// The flow.
        flow: Flow,
        /// Time of the segment that completed these bytes.
        ts_ns: u64,
        /// Stream offset of the first byte.
        offset: u64,
        /// The bytes.
        data: Vec<u8>,
    },
    /// Bytes of the stream that will never be delivered.
    Gap {
        /// The flow.
        flow: Flow,
        /// Time of the segment that made the hole final.
        ts_ns: u64,
        /// TCP sequence number of the first missing byte.
        seq: u32,
        /// Stream offset of the first missing byte.
        offset: u64,
        /// Missing bytes.
        len: u64,
        /// Why the hole is final.
        cause: GapCause,
    },
    /// The flow ended; nothing more is delivered for this incarnation.
    Closed {
        /// The flow.
        flow: Flow,
        /// Time of the segment that ended it (the last segment seen, at end of input).
        ts_ns: u64,
        /// How it ended.
        reason: CloseReason,
    },
}

struct FlowState {
    next_seq: u32,
    next_off: u64,
    isn: Option<u32>,
    buf: PieceBuffer,
    history: History,
    fin_off: Option<u64>,
    /// Ended, half-open or established: decides when the flow is given up.
    class: Class,
    /// Incarnation number, set by the table.
    id: u64,
    /// Capture time of the flow's last segment.
    last_ts: u64,
    /// The SYN carried data and nothing has come since: the next segment may reveal that the
    /// sender numbered that data from the SYN's sequence number.
    syn_data: bool,
}

impl FlowState {
    fn new(next_seq: u32, isn: Option<u32>, history: usize, ts: u64) -> Self {
        Self {
            next_seq,
            next_off: 0,
            isn,
            buf: PieceBuffer::default(),
            history: History::new(history, 0),
            fin_off: None,
            class: Class::HalfOpen,
            id: 0,
            last_ts: ts,
            syn_data: false,
        }
    }

    fn closed(&self) -> bool {
        self.class == Class::Closed
    }

    /// Stream offset of sequence number `seq`, taken to be within 2^31 of the next one.
    fn offset_of(&self, seq: u32) -> i64 {
        self.next_off as i64 + i64::from(seq.wrapping_sub(self.next_seq) as i32)
    }

    fn advance(&mut self, n: u64) {
        self.next_off += n;
        self.next_seq = self.next_seq.wrapping_add(n as u32);
    }
}

/// Reassembles every TCP flow of a capture.
pub struct Reassembler {
    cfg: ReassemblyConfig,
    flows: FlowTable,
    stats: ReassemblyStats,
    last_ts: u64,
    /// The timeouts in nanoseconds, in [`Class`] order (closed, half-open, established).
    timeouts_ns: [u64; 3],
}

impl Reassembler {
    /// A reassembler with the given limits.
    pub fn new(cfg: ReassemblyConfig) -> Self {
        let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let timeouts_ns = [ns(cfg.closed_timeout), ns(cfg.half_open_timeout), ns(cfg.idle_timeout)];
        Self {
            cfg,
            flows: FlowTable::default(),
            stats: ReassemblyStats::default(),
            last_ts: 0,
            timeouts_ns,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &ReassemblyStats {
        &self.stats
    }

    /// Takes one segment and appends what it made known to `out`.
    pub fn push(&mut self, ev: CaptureEvent, out: &mut Vec<ReassemblyEvent>) {
        self.stats.segments += 1;
        self.last_ts = ev.ts_ns;
        self.expire(ev.ts_ns, out);
        let flow = Flow::of(&ev);
        if ev.flags.ack() && self.cfg.ack_gap_detection {
            self.acknowledged(flow.reverse(), ev.ack, ev.ts_ns, out);
        }
        if ev.flags.rst() {
            // RFC 9293 §3.10.7: a reset aborts the connection, both directions.
            for f in [flow, flow.reverse()] {
                self.close(f, CloseReason::Rst, ev.ts_ns, out);
            }
            return;
        }
        if !self.admit(flow, &ev, out) {
            return;
        }
        self.data(flow, ev, out);
    }

    /// Ends every open flow: holes become gaps, then each flow is closed.
    pub fn finish(&mut self, out: &mut Vec<ReassemblyEvent>) {
        let mut open: Vec<Flow> =
            self.flows.iter().filter(|(_, s)| !s.closed()).map(|(f, _)| *f).collect();
        open.sort();
        for f in open {
            self.close(f, CloseReason::EndOfInput, self.last_ts, out);
        }
    }

    /// Forgets flows that have ended (their state is kept to recognise late retransmissions).
    pub fn forget_closed(&mut self) {
        self.flows.forget_closed();
    }

    /// Flows tracked now (open or recently ended).
    pub fn tracked_flows(&self) -> usize {
        self.flows.len()
    }

    /// Gives up the flows idle beyond their class's timeout at capture time `now`.
    fn expire(&mut self, now: u64, out: &mut Vec<ReassemblyEvent>) {
        for class in Class::EVICTION_ORDER {
            let timeout = self.timeouts_ns[class as usize];
            while let Some(flow) = self.flows.pop_oldest(class, now, Some(timeout)) {
                if class != Class::Closed {
                    self.stats.idle_expired += 1;
                    self.close(flow, CloseReason::IdleTimeout, now, out);
                }
                self.flows.remove(&flow);
            }
        }
    }

    /// Makes room for one flow: forgets the least recently active ended flow, or else
    /// evicts the least recently active half-open one, or else an established one.
    fn evict_one(&mut self, now: u64, out: &mut Vec<ReassemblyEvent>) -> bool {
        for class in Class::EVICTION_ORDER {
            let Some(flow) = self.flows.pop_oldest(class, now, None) else { continue };
            match class {
                Class::Closed => {}
                Class::HalfOpen => self.stats.evicted_half_open += 1,
                Class::Established => self.stats.evicted_established += 1,
            }
            self.close(flow, CloseReason::Evicted, now, out);
            self.flows.remove(&flow);
            return true;
        }
        false
    }

    /// Decides whether the segment belongs to the current incarnation of its flow, opening or
    /// restarting it as needed; `false` when there is nothing more to do with it.
    fn admit(&mut self, flow: Flow, ev: &CaptureEvent, out: &mut Vec<ReassemblyEvent>) -> bool {
        let has_data = ev.payload_len > 0;
        let syn = ev.flags.syn();
        let Some(st) = self.flows.get(&flow) else {
            if syn || has_data || ev.flags.fin() {
                self.open(flow, ev, out);
            }
            return true;
        };
        let off = st.offset_of(ev.seq);
        let far = (off - st.next_off as i64).abs() > RESTART_DISTANCE;
        if syn {
            // Same ISN and no byte known to differ: a retransmitted SYN, not a new connection.
            let same_syn =
                st.isn == Some(ev.seq) && st.history.compare(0, &ev.payload).conflicting == 0;
            if same_syn {
                self.stats.retransmitted_segments += 1;
                self.stats.duplicate_bytes += ev.payload.len() as u64;
                return false;
            }
        } else if st.closed() {
            let end = st.fin_off.unwrap_or(st.next_off) as i64;
            if !has_data || (!far && off + i64::from(ev.payload_len) <= end) {
                self.stats.retransmitted_segments += u64::from(has_data);
                self.stats.duplicate_bytes += u64::from(ev.payload_len);
                return false;
            }
        } else if !far {
            return true;
        }
        if !st.closed() {
            self.close(flow, CloseReason::Restarted, ev.ts_ns, out);
        }
        self.stats.restarts += 1;
        self.open(flow, ev, out);
        true
    }

    fn open(&mut self, flow: Flow, ev: &CaptureEvent, out: &mut Vec<ReassemblyEvent>) {
        if !self.flows.contains_key(&flow) {
            while self.flows.len() >= self.cfg.max_flows {
                if !self.evict_one(ev.ts_ns, out) {
                    self.stats.untracked_segments += 1;
                    return;
                }
            }
        }
        let syn = ev.flags.syn();
        let (h, ts) = (self.cfg.history_bytes, ev.ts_ns);
        let st = if syn {
            FlowState::new(ev.seq.wrapping_add(1), Some(ev.seq), h, ts)
        } else {
            self.stats.mid_stream_starts += 1;
            FlowState::new(ev.seq, None, h, ts)
        };
        self.flows.insert(flow, st);
        self.stats.flows += 1;
        out.push(ReassemblyEvent::Opened { flow, ts_ns: ev.ts_ns, syn });
    }

    /// Places the segment's bytes and FIN in the flow's stream.
    fn data(&mut self, flow: Flow, ev: CaptureEvent, out: &mut Vec<ReassemblyEvent>) {
        let Some(st) = self.flows.get_mut(&flow) else { return };
        st.last_ts = st.last_ts.max(ev.ts_ns);
        let syn = ev.flags.syn();
        // Data in a SYN starts after the SYN's own sequence number (RFC 9293 §3.4).
        let mut off = st.offset_of(ev.seq.wrapping_add(u32::from(syn)));
        if ev.payload_len > 0
            && !syn
            && std::mem::take(&mut st.syn_data)
            && off == st.next_off as i64 - 1
            && st.buf.is_empty()
        {
            st.next_seq = st.next_seq.wrapping_sub(1);
            self.stats.syn_data_shifts += 1;
            off += 1;
        }
        if syn && ev.payload_len > 0 {
            st.syn_data = true;
        }
        let wire_end = off + i64::from(ev.payload_len);
        if ev.flags.fin() {
            st.fin_off = Some(wire_end.max(0) as u64);
        }
        let ts = ev.ts_ns;
        let mut payload = ev.payload;
        let next = st.next_off as i64;
        if ev.payload_len > 0 && wire_end <= next {
            self.stats.retransmitted_segments += 1;
        }
        if off < next && !payload.is_empty() {
            // Bytes already delivered: a retransmission, compared with the history.
            let old = usize::try_from(next - off).unwrap_or(usize::MAX).min(payload.len());
            let unknown = usize::try_from(-off).unwrap_or(0).min(old);
            let mut o = st.history.compare(off.max(0) as u64, &payload[unknown..old]);
            o.duplicate += unknown as u64;
            record(&mut self.stats, o);
            payload.drain(..old);
            off += old as i64;
        }
        let off = off.max(0) as u64;
        let lost_from = off + payload.len() as u64;
        if !payload.is_empty() {
            if off == st.next_off && st.buf.is_empty() {
                deliver(st, flow, ts, off, payload, &mut self.stats, out);
            } else {
                if off > st.next_off {
                    self.stats.out_of_order_segments += 1;
                }
                let o = st.buf.insert(off, &payload);
                record(&mut self.stats, o);
            }
        }
        let lost_from = lost_from.max(st.next_off);
        if wire_end > lost_from as i64 {
            st.buf.insert_lost(lost_from, wire_end as u64 - lost_from);
        }
        drain(st, flow, ts, &mut self.stats, out);
        if st.class == Class::HalfOpen && (st.next_off > 0 || !st.buf.is_empty()) {
            self.flows.reclassify(flow, Class::Established);
        }
        self.enforce_limits(flow, ts, out);
        self.maybe_finished(flow, ts, out);
    }

    /// The receiver of `flow` acknowledged up to `ack`: holes below it are final.
    fn acknowledged(&mut self, flow: Flow, ack: u32, ts: u64, out: &mut Vec<ReassemblyEvent>) {
        let Some(st) = self.flows.get_mut(&flow) else { return };
        if st.closed() || (st.buf.is_empty() && st.fin_off.is_none()) {
            return;
        }
        let ack_off = st.offset_of(ack);
        let next = st.next_off as i64;
        if ack_off <= next || ack_off - next > RESTART_DISTANCE {
            return;
        }
        // The ACK of a FIN counts the FIN's own sequence number.
        let limit = st.fin_off.map_or(ack_off as u64, |f| f.min(ack_off as u64));
        while st.next_off < limit {
            let end = st.buf.first_offset().unwrap_or(limit).min(limit);
            if end <= st.next_off {
                break;
            }
            gap(st, flow, ts, end - st.next_off, GapCause::Acked, &mut self.stats, out);
            drain(st, flow, ts, &mut self.stats, out);
        }
        self.maybe_finished(flow, ts, out);
    }

    fn enforce_limits(&mut self, flow: Flow, ts: u64, out: &mut Vec<ReassemblyEvent>) {
        let Some(st) = self.flows.get_mut(&flow) else { return };
        while st.buf.bytes() > self.cfg.max_buffered_bytes
            || st.buf.pieces() > self.cfg.max_buffered_segments
        {
            let Some(first) = st.buf.first_offset() else { break };
            self.stats.buffer_limit_gaps += 1;
            gap(
                st,
                flow,
                ts,
                first.saturating_sub(st.next_off),
                GapCause::BufferLimit,
                &mut self.stats,
                out,
            );
            drain(st, flow, ts, &mut self.stats, out);
        }
    }

    fn maybe_finished(&mut self, flow: Flow, ts: u64, out: &mut Vec<ReassemblyEvent>) {
        let done = self
            .flows
            .get(&flow)
            .is_some_and(|st| !st.closed() && st.fin_off.is_some_and(|f| st.next_off >= f));
        if done {
            self.close(flow, CloseReason::Fin, ts, out);
        }
    }

    /// Gives up on every hole of `flow`, delivers what it held and ends it.
    fn close(&mut self, flow: Flow, reason: CloseReason, ts: u64, out: &mut Vec<ReassemblyEvent>) {
        let Some(st) = self.flows.get_mut(&flow) else { return };
        if st.closed() {
            return;
        }
        while let Some(first) = st.buf.first_offset() {
            gap(
                st,
                flow,
                ts,
                first.saturating_sub(st.next_off),
                GapCause::FlowEnd,
                &mut self.stats,
                out,
            );
            drain(st, flow, ts, &mut self.stats, out);
        }
        if let Some(fin) = st.fin_off.filter(|&f| f > st.next_off) {
            gap(st, flow, ts, fin - st.next_off, GapCause::FlowEnd, &mut self.stats, out);
        }
        st.history = History::new(0, st.next_off);
        st.buf.clear();
        self.flows.reclassify(flow, Class::Closed);
        out.push(ReassemblyEvent::Closed { flow, ts_ns: ts, reason });
    }
}

fn record(stats: &mut ReassemblyStats, o: Overlap) {
    stats.duplicate_bytes += o.duplicate;
    stats.conflicting_bytes += o.conflicting;
}

fn deliver(
    st: &mut FlowState,
    flow: Flow,
    ts: u64,
    offset: u64,
    data: Vec<u8>,
    stats: &mut ReassemblyStats,
    out: &mut Vec<ReassemblyEvent>,
) {
    st.history.push(offset, &data);
    st.advance(data.len() as u64);
    stats.delivered_bytes += data.len() as u64;
    out.push(ReassemblyEvent::Data { flow, ts_ns: ts, offset, data });
}

/// Delivers the ranges that now follow the delivered bytes without a hole.
fn drain(
    st: &mut FlowState,
    flow: Flow,
    ts: u64,
    stats: &mut ReassemblyStats,
    out: &mut Vec<ReassemblyEvent>,
) {
    while let Some(content) = st.buf.take_at(st.next_off) {
        match content {
            Content::Bytes(data) => {
                let off = st.next_off;
                deliver(st, flow, ts, off, data, stats, out)
            }
            Content::Lost(n) => gap(st, flow, ts, n, GapCause::Snapped, stats, out),
        }
    }
}

fn gap(
    st: &mut FlowState,
    flow: Flow,
    ts: u64,
    len: u64,
    cause: GapCause,
    stats: &mut ReassemblyStats,
    out: &mut Vec<ReassemblyEvent>,
) {
    if len == 0 {
        return;
    }
    stats.gaps += 1;
    stats.gap_bytes += len;
    out.push(ReassemblyEvent::Gap {
        flow,
        ts_ns: ts,
        seq: st.next_seq,
        offset: st.next_off,
        len,
        cause,
    });
    st.history.skip(st.next_off, len);
    st.advance(len);
}

#[cfg(test)]
mod tests;
