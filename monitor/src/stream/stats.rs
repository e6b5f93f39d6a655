//! Counters of the whole decode: capture, reassembly and BGP streams, printable for
//! `--stats`.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

use crate::capture::CaptureStats;
use crate::reassembly::ReassemblyStats;
use bgpstorm_wire::{Message, WireError};

/// Counters of the BGP stream layer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StreamStats {
    /// TCP segments on no BGP port, not reassembled.
    pub non_bgp_segments: u64,
    /// Messages framed (decoded or not).
    pub messages: u64,
    /// Decoded messages by type name (OPEN, UPDATE, ...).
    pub by_type: BTreeMap<&'static str, u64>,
    /// Messages that could not be used, by [`WireError::kind`].
    pub errors: BTreeMap<&'static str, u64>,
    /// IPv4/IPv6 unicast prefixes announced.
    pub announced: u64,
    /// IPv4/IPv6 unicast prefixes withdrawn (including treat-as-withdraw).
    pub withdrawn: u64,
    /// UPDATEs carrying NLRI of families outside the route model (VPN, EVPN, FlowSpec, ...).
    pub not_modelled_updates: u64,
    /// Those NLRI, where the wire layer could count them.
    pub not_modelled_nlri: u64,
    /// UPDATEs repaired under RFC 7606 (attribute discard or treat-as-withdraw).
    pub rfc7606_repaired: u64,
    /// Times the stream had to drop bytes to find a message header again.
    pub resyncs: u64,
    /// Bytes dropped doing so (unfinished messages cut by gaps included).
    pub resync_dropped_bytes: u64,
    /// Flows that ended in the middle of a message.
    pub unfinished_messages: u64,
    /// Bytes of those unfinished messages.
    pub unfinished_bytes: u64,
    /// Flows that ended while looking for a message header: a capture that began
    /// mid-session, or a gap, after which no BGP marker ever came.
    pub unsynced_flows: u64,
    /// Bytes of those flows never decoded (dropped since the last header was lost).
    pub unsynced_bytes: u64,
    /// UPDATEs decoded without both OPENs of their session.
    pub guessed_updates: u64,
    /// Of those, how many did not decode cleanly under the context in force.
    pub guess_retries: u64,
    /// Times another context decoded cleanly and replaced the guess.
    pub guess_switches: u64,
}

impl StreamStats {
    pub(crate) fn count(&mut self, m: &Result<Message, WireError>) {
        self.messages += 1;
        match m {
            Ok(msg) => {
                *self.by_type.entry(msg.type_name()).or_default() += 1;
                if let Message::Update(u) = msg {
                    self.announced += u.announced_count() as u64;
                    self.withdrawn += u.withdrawn.len() as u64;
                    self.not_modelled_updates += u64::from(!u.not_modelled.is_empty());
                    self.not_modelled_nlri +=
                        u.not_modelled.iter().map(|n| n.count as u64).sum::<u64>();
                    self.rfc7606_repaired += u64::from(!u.errors.is_empty());
                }
            }
            Err(e) => *self.errors.entry(e.kind()).or_default() += 1,
        }
    }

    /// Messages that could not be used, all kinds.
    pub fn error_total(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Adds another run's counts (several files in one run).
    pub fn merge(&mut self, o: &StreamStats) {
        for (k, n) in &o.by_type {
            *self.by_type.entry(k).or_default() += n;
        }
        for (k, n) in &o.errors {
            *self.errors.entry(k).or_default() += n;
        }
        let fields = [
            (&mut self.non_bgp_segments, o.non_bgp_segments),
            (&mut self.messages, o.messages),
            (&mut self.announced, o.announced),
            (&mut self.withdrawn, o.withdrawn),
            (&mut self.not_modelled_updates, o.not_modelled_updates),
            (&mut self.not_modelled_nlri, o.not_modelled_nlri),
            (&mut self.rfc7606_repaired, o.rfc7606_repaired),
            (&mut self.resyncs, o.resyncs),
            (&mut self.resync_dropped_bytes, o.resync_dropped_bytes),
            (&mut self.unfinished_messages, o.unfinished_messages),
            (&mut self.unfinished_bytes, o.unfinished_bytes),
            (&mut self.unsynced_flows, o.unsynced_flows),
            (&mut self.unsynced_bytes, o.unsynced_bytes),
            (&mut self.guessed_updates, o.guessed_updates),
            (&mut self.guess_retries, o.guess_retries),
            (&mut self.guess_switches, o.guess_switches),
        ];
        for (a, b) in fields {
            *a += b;
        }
    }
}

/// Everything counted while decoding one or more captures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DecodeStats {
    /// Frames read and why some were skipped.
    pub capture: CaptureStats,
    /// Capture files that ended in an error (truncated or corrupt).
    pub capture_errors: u64,
    /// TCP reassembly.
    pub reassembly: ReassemblyStats,
    /// BGP framing, decoding and context guessing.
    pub stream: StreamStats,
}

impl DecodeStats {
    /// Adds another capture's counts (`bgpstorm decode FILE...`).
    pub fn merge(&mut self, o: &DecodeStats) {
        self.capture.merge(&o.capture);
        self.capture_errors += o.capture_errors;
        self.reassembly.merge(&o.reassembly);
        self.stream.merge(&o.stream);
    }

    /// Whether anything was lost or malformed: capture errors, reassembly gaps or conflicts,
    /// resyncs, unfinished or undecodable messages, flows that never found a message header.
    pub fn anything_lost(&self) -> bool {
        self.capture_errors > 0
            || self.reassembly.gaps > 0
            || self.reassembly.conflicting_bytes > 0
            || self.reassembly.untracked_segments > 0
            || self.reassembly.evicted_established > 0
            || self.stream.resyncs > 0
            || self.stream.unfinished_messages > 0
            || self.stream.unsynced_flows > 0
            || self.stream.error_total() > 0
    }

    /// `(name, value)` pairs in a stable order, for `--stats` and metrics.
    pub fn entries(&self) -> Vec<(String, u64)> {
        let c = &self.capture;
        let r = &self.reassembly;
        let s = &self.stream;
        let mut v: Vec<(String, u64)> = [
            ("frames", c.frames),
            ("tcp_segments", c.tcp_segments),
            ("snapped_segments", c.snapped_segments),
            ("capture_errors", self.capture_errors),
            ("non_bgp_segments", s.non_bgp_segments),
            ("flows", r.flows),
            ("mid_stream_starts", r.mid_stream_starts),
            ("flow_restarts", r.restarts),
            ("delivered_bytes", r.delivered_bytes),
            ("out_of_order_segments", r.out_of_order_segments),
            ("retransmitted_segments", r.retransmitted_segments),
            ("duplicate_bytes", r.duplicate_bytes),
            ("conflicting_bytes", r.conflicting_bytes),
            ("gaps", r.gaps),
            ("gap_bytes", r.gap_bytes),
            ("buffer_limit_gaps", r.buffer_limit_gaps),
            ("syn_data_shifts", r.syn_data_shifts),
            ("untracked_segments", r.untracked_segments),
            ("evicted_half_open", r.evicted_half_open),
            ("evicted_established", r.evicted_established),
            ("idle_expired", r.idle_expired),
            ("messages", s.messages),
            ("announced", s.announced),
            ("withdrawn", s.withdrawn),
            ("not_modelled_updates", s.not_modelled_updates),
            ("not_modelled_nlri", s.not_modelled_nlri),
            ("rfc7606_repaired", s.rfc7606_repaired),
            ("resyncs", s.resyncs),
            ("resync_dropped_bytes", s.resync_dropped_bytes),
            ("unfinished_messages", s.unfinished_messages),
            ("unsynced_flows", s.unsynced_flows),
            ("unsynced_bytes", s.unsynced_bytes),
            ("guessed_updates", s.guessed_updates),
            ("guess_retries", s.guess_retries),
            ("guess_switches", s.guess_switches),
        ]
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect();
        for (reason, n) in c.skipped_by_reason() {
            v.push((format!("skipped.{reason}"), n));
        }
        for (t, n) in &s.by_type {
            v.push((format!("type.{t}"), *n));
        }
        for (e, n) in &s.errors {
            v.push((format!("error.{e}"), *n));
        }
        v
    }
}

impl fmt::Display for DecodeStats {
    /// One `name: value` line per counter.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, v) in self.entries() {
            writeln!(f, "{k}: {v}")?;
        }
        Ok(())
    }
}
