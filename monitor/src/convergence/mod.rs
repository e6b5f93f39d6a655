//! Convergence of a watched device: each route change that enters it (an UPDATE or a
//! withdrawal on an ingress session) is correlated with the UPDATEs it causes on its egress
//! sessions for the same prefix.
//!
//! Terms follow RFC 4098 §3: per prefix and per event, the *convergence time* runs from the
//! wire time of the first triggering message in to the wire time of the last resulting
//! UPDATE out; a withdrawal's *propagation latency* from the withdrawal in to the last
//! withdrawal out. An event opens with an ingress change of a prefix that has no open event
//! (or whose open event already saw output: a new trigger after the answer); further
//! ingress changes before any output join it (the first one counts). A prefix whose event
//! saw no output is *unconverged*: the device did not react (which may be right, for a change
//! to a path it does not prefer), and is reported as such.
//!
//! Times are those of the capture: for the live monitor, kernel timestamps at the device's
//! interfaces of the segment that completed each message.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use hdrhistogram::Histogram;
use ipnet::IpNet;
use serde::Serialize;

use crate::reassembly::Flow;
use bgpstorm_wire::Update;

/// What started an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// An announcement (new path or changed attributes).
    Announce,
    /// A withdrawal.
    Withdraw,
}

#[derive(Clone, Copy, Debug)]
struct Open {
    trigger: Trigger,
    first_in_ns: u64,
    last_out_ns: Option<u64>,
    outputs: u32,
}

/// One finished (or still open) event of a prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Sample {
    /// The prefix.
    pub prefix: IpNet,
    /// What triggered it.
    pub trigger: Trigger,
    /// Wire time of the first triggering message in, ns.
    pub first_in_ns: u64,
    /// Wire time of the last resulting UPDATE out, ns (`None`: no output yet).
    pub last_out_ns: Option<u64>,
    /// Egress UPDATEs for the prefix during the event.
    pub outputs: u32,
}

impl Sample {
    /// Latency in ns, when the device answered.
    pub fn latency_ns(&self) -> Option<u64> {
        Some(self.last_out_ns?.saturating_sub(self.first_in_ns))
    }
}

/// Percentiles of one kind of latency, µs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Latencies {
    /// Events measured.
    pub count: u64,
    /// Median, µs.
    pub p50_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// Maximum, µs.
    pub max_us: u64,
    /// The distribution: (quantile, µs) at 0, 0.05, ..., 0.95, 0.99, 0.999 and 1.
    pub cdf: Vec<(f64, u64)>,
}

/// The convergence picture so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Announcement events that saw output.
    pub announce: Latencies,
    /// Withdrawal events that saw output.
    pub withdraw: Latencies,
    /// Events of the current phase with no output (yet).
    pub unconverged: u64,
    /// Events of earlier phases that never saw output (the device did not react).
    pub silent: u64,
    /// First triggering byte in → last UPDATE out over the whole capture, µs.
    pub overall_us: Option<u64>,
    /// Convergence over time: (fraction of answered events, µs from the first triggering
    /// byte in to the event's last answer), at the same quantiles as the latency CDFs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub progress: Vec<(f64, u64)>,
}

/// The tracker.
pub struct Convergence {
    device: HashSet<IpAddr>,
    open: HashMap<IpNet, Open>,
    /// Events superseded by a later trigger of the same prefix, by kind (µs).
    done_announce: Histogram<u64>,
    done_withdraw: Histogram<u64>,
    /// Finished events: first triggering byte of the capture → their last answer (µs).
    done_progress: Histogram<u64>,
    first_in_ns: Option<u64>,
    last_out_ns: Option<u64>,
    /// Ingress prefix changes seen (every trigger, joined to an event or not).
    triggers: u64,
    /// Open events without output.
    pending: u64,
    /// Events dropped at a phase boundary without output.
    silent: u64,
    /// Answers to events (egress UPDATEs of a triggered prefix) since the phase began.
    phase_answers: u64,
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 1 hour, 3 significant digits: a few tens of KiB.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("static histogram bounds are valid")
}

impl Convergence {
    /// Tracks the device that owns `addresses`: flows to them are ingress, flows from them
    /// egress.
    pub fn new(addresses: impl IntoIterator<Item = IpAddr>) -> Self {
        Self {
            device: addresses.into_iter().collect(),
            open: HashMap::new(),
            done_announce: histogram(),
            done_withdraw: histogram(),
            done_progress: histogram(),
            first_in_ns: None,
            last_out_ns: None,
            triggers: 0,
            pending: 0,
            silent: 0,
            phase_answers: 0,
        }
    }

    /// Whether any device address is known (else nothing is tracked).
    pub fn is_enabled(&self) -> bool {
        !self.device.is_empty()
    }

    /// Feeds an UPDATE seen on `flow` at wire time `ts_ns`.
    pub fn observe(&mut self, flow: &Flow, update: &Update, ts_ns: u64) {
        let ingress = self.device.contains(&flow.dst.ip());
        let egress = self.device.contains(&flow.src.ip());
        if ingress == egress {
            return;
        }
        let announced = update.reach.iter().flat_map(|r| r.nlri.iter());
        if ingress {
            self.first_in_ns.get_or_insert(ts_ns);
            for n in &update.withdrawn {
                self.trigger(n.prefix, Trigger::Withdraw, ts_ns);
            }
            for n in announced {
                self.trigger(n.prefix, Trigger::Announce, ts_ns);
            }
        } else {
            for n in update.withdrawn.iter().chain(announced) {
                self.output(n.prefix, ts_ns);
            }
        }
    }

    /// Feeds an ingress UPDATE of `nlri` prefixes of which only `changes` changed the
    /// sender's Adj-RIB-In (a re-announcement of an unchanged path is no trigger: the device
    /// rightly has nothing to send). Egress UPDATEs go through [`Convergence::observe`].
    pub fn observe_ingress(
        &mut self,
        flow: &Flow,
        nlri: usize,
        changes: &[(IpNet, Trigger)],
        ts_ns: u64,
    ) {
        if !self.device.contains(&flow.dst.ip()) || self.device.contains(&flow.src.ip()) {
            return;
        }
        self.first_in_ns.get_or_insert(ts_ns);
        let seen = nlri.saturating_sub(changes.len()) as u64;
        for &(prefix, kind) in changes {
            self.trigger(prefix, kind, ts_ns);
        }
        self.triggers += seen;
    }

    /// Whether `flow` enters the device.
    pub fn is_ingress(&self, flow: &Flow) -> bool {
        self.device.contains(&flow.dst.ip()) && !self.device.contains(&flow.src.ip())
    }

    fn trigger(&mut self, prefix: IpNet, trigger: Trigger, ts_ns: u64) {
        self.triggers += 1;
        let previous = self.open.get(&prefix).copied();
        if previous.is_some_and(|o| o.last_out_ns.is_none()) {
            // Still waiting for the device's answer: the first trigger counts.
            return;
        }
        // The previous event of the prefix is over: keep its latency.
        if let Some(Open { trigger: kind, first_in_ns, last_out_ns: Some(out), .. }) = previous {
            let us = (out.saturating_sub(first_in_ns) / 1000).max(1);
            match kind {
                Trigger::Announce => self.done_announce.saturating_record(us),
                Trigger::Withdraw => self.done_withdraw.saturating_record(us),
            }
            let since = out.saturating_sub(self.first_in_ns.unwrap_or(first_in_ns));
            self.done_progress.saturating_record((since / 1000).max(1));
        }
        self.open
            .insert(prefix, Open { trigger, first_in_ns: ts_ns, last_out_ns: None, outputs: 0 });
        self.pending += 1;
    }

    fn output(&mut self, prefix: IpNet, ts_ns: u64) {
        // Output for a prefix no trigger was seen for (the device's own routes, or a
        // capture started late) is not a convergence event.
        let Some(o) = self.open.get_mut(&prefix) else { return };
        if o.last_out_ns.is_none() {
            self.pending -= 1;
        }
        o.last_out_ns = Some(ts_ns);
        o.outputs += 1;
        self.phase_answers += 1;
        self.last_out_ns = Some(self.last_out_ns.map_or(ts_ns, |t| t.max(ts_ns)));
    }

    /// The open or finished event of `prefix`.
    pub fn sample(&self, prefix: IpNet) -> Option<Sample> {
        let o = self.open.get(&prefix)?;
        Some(Sample {
            prefix,
            trigger: o.trigger,
            first_in_ns: o.first_in_ns,
            last_out_ns: o.last_out_ns,
            outputs: o.outputs,
        })
    }

    /// Every prefix's current event.
    pub fn samples(&self) -> impl Iterator<Item = Sample> + '_ {
        self.open.keys().filter_map(|p| self.sample(*p))
    }

    /// Percentiles over every event since the start or the last [`Convergence::reset`].
    pub fn summary(&self) -> Summary {
        let (mut a, mut w) = (self.done_announce.clone(), self.done_withdraw.clone());
        let mut progress = self.done_progress.clone();
        for o in self.open.values() {
            if let Some(t) = o.last_out_ns {
                let us = (t.saturating_sub(o.first_in_ns) / 1000).max(1);
                match o.trigger {
                    Trigger::Announce => a.saturating_record(us),
                    Trigger::Withdraw => w.saturating_record(us),
                }
                let since = t.saturating_sub(self.first_in_ns.unwrap_or(o.first_in_ns));
                progress.saturating_record((since / 1000).max(1));
            }
        }
        let quantiles = |h: &Histogram<u64>| -> Vec<(f64, u64)> {
            if h.is_empty() {
                return Vec::new();
            }
            (0..20)
                .map(|i| f64::from(i) / 20.0)
                .chain([0.99, 0.999, 1.0])
                .map(|q| (q, h.value_at_quantile(q)))
                .collect()
        };
        let lat = |h: &Histogram<u64>| Latencies {
            count: h.len(),
            p50_us: if h.is_empty() { 0 } else { h.value_at_quantile(0.5) },
            p99_us: if h.is_empty() { 0 } else { h.value_at_quantile(0.99) },
            max_us: h.max(),
            cdf: quantiles(h),
        };
        Summary {
            announce: lat(&a),
            withdraw: lat(&w),
            unconverged: self.pending,
            silent: self.silent,
            overall_us: match (self.first_in_ns, self.last_out_ns) {
                (Some(a), Some(b)) => Some(b.saturating_sub(a) / 1000),
                _ => None,
            },
            progress: quantiles(&progress),
        }
    }

    /// Ingress prefix changes seen so far.
    pub fn triggers(&self) -> u64 {
        self.triggers
    }

    /// Open events still waiting for the device's output.
    pub fn pending(&self) -> u64 {
        self.pending
    }

    /// Starts a new phase (the harness is about to change something): finished events keep
    /// their latency, events that never saw output are counted as silent and closed, so a
    /// new trigger of their prefix starts a new event.
    pub fn phase(&mut self) {
        let silent = self.pending;
        self.open.retain(|_, o| o.last_out_ns.is_some());
        self.silent += silent;
        self.pending = 0;
        self.phase_answers = 0;
    }

    /// Answers the device has sent since the current phase began: zero means it has not
    /// reacted (yet) to anything of this phase.
    pub fn phase_answers(&self) -> u64 {
        self.phase_answers
    }

    /// Forgets every event (a new measurement phase, e.g. after a scenario snapshot).
    pub fn reset(&mut self) {
        self.pending = 0;
        self.phase_answers = 0;
        self.silent = 0;
        self.open.clear();
        self.first_in_ns = None;
        self.last_out_ns = None;
        self.done_announce.reset();
        self.done_withdraw.reset();
        self.done_progress.reset();
    }
}

#[cfg(test)]
mod tests;
