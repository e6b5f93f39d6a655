//! The monitor's core: stream items in (from a capture file or the live eBPF capture), route
//! state, detector alerts, convergence and counters out.
//!
//! [`Engine::push`] takes one [`StreamItem`] at a time: OPENs tell each session's ASes,
//! UPDATEs change the [`Rib`]; every RIB change and session event is an [`Observation`] for
//! each [`Detector`] of the configuration's registry ([`MonitorConfig::detectors`]) and for
//! [`SessionHealth`] (a detector too, kept apart because the API queries its state); a flow
//! that ends withdraws what it carried. Alerts land in a bounded event log (what falls off it
//! is counted).

mod config;
mod drive;
mod handle;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::Ipv4Addr;

use serde::Serialize;

use crate::convergence::Convergence;
use crate::detect::community::CommunityAlert;
use crate::detect::damping::DampingEvent;
use crate::detect::flap::FlapAlert;
use crate::detect::session::{SessionHealth, Transition};
use crate::detect::{Alert, Detector, Observation};
use crate::reassembly::{CloseReason, Flow};
use crate::rib::{Rib, RibChange, SessionId};
use crate::stream::{CapturedMessage, StreamItem};
use bgpstorm_wire::Message;

pub use config::{ConfigError, MonitorConfig, MonitorSpec, SessionRule};
#[cfg(feature = "live")]
pub use drive::drive_live;
pub use drive::{PcapError, drive_pcap};
pub use handle::{AlertKind, CaptureCounters, EngineHandle, RibSizes, SessionsView};

/// Something the monitor reports.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// A flap alert.
    Flap(FlapAlert),
    /// A damping suppression or reuse.
    Damping(DampingEvent),
    /// A community policy alert.
    Community(CommunityAlert),
    /// A session changed state.
    Session(Transition),
    /// A message that could not be used.
    Malformed {
        /// The flow.
        flow: Flow,
        /// Stream offset.
        offset: u64,
        /// What was wrong.
        error: String,
        /// Wire time.
        at_ns: u64,
    },
    /// Bytes of a flow that were never captured.
    Gap {
        /// The flow.
        flow: Flow,
        /// Bytes missing.
        bytes: u64,
        /// Wire time.
        at_ns: u64,
    },
}

/// Counters for `/metrics` and reports.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counters {
    /// Messages by type.
    pub messages: BTreeMap<&'static str, u64>,
    /// Prefixes announced.
    pub announced: u64,
    /// Prefixes withdrawn.
    pub withdrawn: u64,
    /// Flap alerts.
    pub flap_alerts: u64,
    /// Community alerts.
    pub community_alerts: u64,
    /// Damping suppressions.
    pub suppressions: u64,
    /// Messages that could not be decoded.
    pub malformed: u64,
    /// Bytes never captured (reassembly gaps).
    pub gap_bytes: u64,
    /// Flows that ended without finding a BGP message header again (a mid-stream start or
    /// a gap with no marker after it).
    pub unsynced_flows: u64,
    /// Bytes of those flows never decoded.
    pub unsynced_bytes: u64,
    /// Events that fell off the bounded log.
    pub events_dropped: u64,
    /// Withdrawals of paths the table did not hold.
    pub unknown_withdrawals: u64,
}

/// The monitor state.
pub struct Engine {
    rib: Rib,
    detectors: Vec<Box<dyn Detector>>,
    health: SessionHealth,
    alerts: Vec<Alert>,
    convergence: Convergence,
    events: VecDeque<Event>,
    event_limit: usize,
    counters: Counters,
    /// Each flow's sender AS and identifier, from its OPEN.
    speakers: HashMap<Flow, (u32, Ipv4Addr)>,
    last_ns: u64,
    scratch: Vec<RibChange>,
}

impl From<Alert> for Event {
    fn from(a: Alert) -> Self {
        match a {
            Alert::Flap(a) => Event::Flap(a),
            Alert::Damping(d) => Event::Damping(d),
            Alert::Community(a) => Event::Community(a),
            Alert::Session(t) => Event::Session(t),
        }
    }
}

impl Event {
    /// Wire time of the event, ns.
    pub fn at_ns(&self) -> u64 {
        match self {
            Event::Flap(a) => a.at_ns,
            Event::Damping(d) => d.at_ns,
            Event::Community(a) => a.at_ns,
            Event::Session(t) => t.at_ns,
            Event::Malformed { at_ns, .. } | Event::Gap { at_ns, .. } => *at_ns,
        }
    }
}

impl Engine {
    /// An engine with `config` (already validated).
    pub fn new(config: &MonitorConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            rib: Rib::new(config.history),
            detectors: config.detectors()?,
            health: SessionHealth::default(),
            alerts: Vec::new(),
            convergence: Convergence::new(config.device.iter().copied()),
            events: VecDeque::new(),
            event_limit: config.event_log,
            counters: Counters::default(),
            speakers: HashMap::new(),
            last_ns: 0,
            scratch: Vec::new(),
        })
    }

    /// Feeds one item of a decoded stream.
    pub fn push(&mut self, item: &StreamItem) {
        match item {
            StreamItem::Message(m) => self.message(m),
            StreamItem::Opened { flow, ts_ns, .. } => {
                self.last_ns = self.last_ns.max(*ts_ns);
                self.observe(Observation::Opened { flow }, *ts_ns);
            }
            // The end of the input is not the end of the session: its routes stay.
            StreamItem::Closed { reason: CloseReason::EndOfInput, ts_ns, unsynced, .. } => {
                self.last_ns = self.last_ns.max(*ts_ns);
                self.unsynced(*unsynced);
            }
            StreamItem::Closed { flow, ts_ns, unsynced, .. } => {
                self.unsynced(*unsynced);
                self.last_ns = self.last_ns.max(*ts_ns);
                self.observe(Observation::Closed { flow }, *ts_ns);
                let id = self.rib.session(*flow);
                let mut changes = std::mem::take(&mut self.scratch);
                self.rib.flush(id, *ts_ns, &mut changes);
                self.changes(*flow, &mut changes, *ts_ns);
                self.scratch = changes;
            }
            StreamItem::Gap { flow, ts_ns, len, .. } => {
                self.counters.gap_bytes += len;
                self.log(Event::Gap { flow: *flow, bytes: *len, at_ns: *ts_ns });
            }
            StreamItem::Resync { .. } | StreamItem::CaptureError(_) => {}
        }
    }

    fn unsynced(&mut self, bytes: u64) {
        if bytes > 0 {
            self.counters.unsynced_flows += 1;
            self.counters.unsynced_bytes += bytes;
        }
    }

    fn message(&mut self, m: &CapturedMessage) {
        self.last_ns = self.last_ns.max(m.ts_ns);
        let msg = match &m.message {
            Ok(msg) => msg,
            Err(e) => {
                self.counters.malformed += 1;
                self.log(Event::Malformed {
                    flow: m.flow,
                    offset: m.offset,
                    error: e.to_string(),
                    at_ns: m.ts_ns,
                });
                return;
            }
        };
        *self.counters.messages.entry(msg.type_name()).or_default() += 1;
        self.observe(Observation::Message { flow: &m.flow, message: msg }, m.ts_ns);
        match msg {
            Message::Open(open) => {
                self.speakers.insert(m.flow, (open.asn, open.bgp_id));
                let id = self.rib.session(m.flow);
                let reverse = self.rib.session(Flow { src: m.flow.dst, dst: m.flow.src });
                self.rib.set_speakers(id, Some((open.asn, open.bgp_id)), None);
                self.rib.set_speakers(reverse, None, Some((open.asn, open.bgp_id)));
            }
            Message::Update(u) => {
                self.counters.announced += u.announced_count() as u64;
                self.counters.withdrawn += u.withdrawn.len() as u64;
                let id = self.session_of(m);
                let mut changes = std::mem::take(&mut self.scratch);
                self.rib.apply(id, m.ts_ns, u, &mut changes);
                if self.convergence.is_enabled() && self.convergence.is_ingress(&m.flow) {
                    use crate::convergence::Trigger;
                    let real: Vec<(ipnet::IpNet, Trigger)> = changes
                        .iter()
                        .filter_map(|c| match c {
                            RibChange::Announced { nlri, .. }
                            | RibChange::Replaced { nlri, .. } => {
                                Some((nlri.prefix, Trigger::Announce))
                            }
                            RibChange::Withdrawn { nlri, .. } => {
                                Some((nlri.prefix, Trigger::Withdraw))
                            }
                            RibChange::Refreshed { .. } | RibChange::UnknownWithdrawn { .. } => {
                                None
                            }
                        })
                        .collect();
                    self.convergence.observe_ingress(&m.flow, changes.len(), &real, m.ts_ns);
                }
                self.changes(m.flow, &mut changes, m.ts_ns);
                self.scratch = changes;
                if self.convergence.is_enabled() && !self.convergence.is_ingress(&m.flow) {
                    self.convergence.observe(&m.flow, u, m.ts_ns);
                }
            }
            _ => {}
        }
    }

    /// The session of a message's flow, with the speakers its OPENs (or the stream's
    /// knowledge of them, when the capture began mid-session) named.
    fn session_of(&mut self, m: &CapturedMessage) -> SessionId {
        let id = self.rib.session(m.flow);
        if !self.speakers.contains_key(&m.flow)
            && let Some(s) = m.sender
        {
            self.speakers.insert(m.flow, (s.asn, s.bgp_id));
            self.rib.set_speakers(id, Some((s.asn, s.bgp_id)), None);
        }
        id
    }

    fn changes(&mut self, flow: Flow, changes: &mut Vec<RibChange>, ts_ns: u64) {
        for c in changes.drain(..) {
            if matches!(c, RibChange::UnknownWithdrawn { .. }) {
                self.counters.unknown_withdrawals += 1;
            }
            self.observe(Observation::Route { flow: &flow, change: &c }, ts_ns);
        }
    }

    /// Shows one observation to every detector and logs what they raise.
    fn observe(&mut self, observation: Observation<'_>, ts_ns: u64) {
        let mut alerts = std::mem::take(&mut self.alerts);
        Detector::observe(&mut self.health, observation, ts_ns, &mut alerts);
        for d in &mut self.detectors {
            d.observe(observation, ts_ns, &mut alerts);
        }
        for a in alerts.drain(..) {
            match &a {
                Alert::Flap(_) => self.counters.flap_alerts += 1,
                Alert::Damping(d) => self.counters.suppressions += u64::from(d.suppressed),
                Alert::Community(_) => self.counters.community_alerts += 1,
                Alert::Session(_) => {}
            }
            self.log(Event::from(a));
        }
        self.alerts = alerts;
    }

    fn log(&mut self, e: Event) {
        if self.events.len() == self.event_limit {
            self.events.pop_front();
            self.counters.events_dropped += 1;
        }
        self.events.push_back(e);
    }

    /// The route table.
    pub fn rib(&self) -> &Rib {
        &self.rib
    }

    /// Session health.
    pub fn health(&self) -> &SessionHealth {
        &self.health
    }

    /// Convergence tracking.
    pub fn convergence(&self) -> &Convergence {
        &self.convergence
    }

    /// Convergence tracking, to reset between measurement phases.
    pub fn convergence_mut(&mut self) -> &mut Convergence {
        &mut self.convergence
    }

    /// The event log, oldest first.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }

    /// Counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Latest wire time seen, ns.
    pub fn last_ns(&self) -> u64 {
        self.last_ns
    }

    /// Flap alerts in the log.
    pub fn flap_alerts(&self) -> impl Iterator<Item = &FlapAlert> {
        self.events.iter().filter_map(|e| if let Event::Flap(a) = e { Some(a) } else { None })
    }

    /// Community alerts in the log.
    pub fn community_alerts(&self) -> impl Iterator<Item = &CommunityAlert> {
        self.events.iter().filter_map(|e| if let Event::Community(a) = e { Some(a) } else { None })
    }
}

#[cfg(test)]
mod tests;
