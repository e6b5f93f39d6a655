//! [`EngineHandle`]: a running engine shared by its capture loop, the REST API and the
//! harness's waits. Every query the API answers is a method here, so no caller holds the
//! engine's lock longer than one query.

use std::sync::{Arc, Mutex, MutexGuard};

use bgpstorm_wire::AfiSafi;
use ipnet::IpNet;
use serde::Serialize;
use tokio::sync::watch;

use super::{Counters, Engine, Event};
#[cfg(feature = "live")]
use crate::capture::live::LiveStats;
use crate::convergence::Summary as ConvergenceSummary;
use crate::detect::session::Health;
use crate::rib::{Match, PathView, RouteView, Session};
use crate::stream::StreamItem;

/// Counters of the capture source behind the engine.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct CaptureCounters {
    /// Events read.
    pub events: u64,
    /// Events lost before they reached user space.
    pub drops: u64,
}

/// Which alerts of the event log to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertKind {
    /// Flap alerts.
    Flap,
    /// Community policy alerts.
    Community,
    /// Damping suppressions and reuses.
    Damping,
}

impl AlertKind {
    /// Whether `event` is an alert of this kind (`None`: of any kind).
    pub fn selects(kind: Option<Self>, event: &Event) -> bool {
        matches!(
            (kind, event),
            (None | Some(Self::Flap), Event::Flap(_))
                | (None | Some(Self::Community), Event::Community(_))
                | (None | Some(Self::Damping), Event::Damping(_))
        )
    }
}

/// Sessions as the API lists them: health and each Adj-RIB-In.
#[derive(Clone, Debug, Serialize)]
pub struct SessionsView {
    /// Health of each session.
    pub sessions: Vec<Health>,
    /// Each Adj-RIB-In.
    pub adj_ribs_in: Vec<Session>,
}

/// Table sizes for the API's statistics.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct RibSizes {
    /// Paths held.
    pub paths: u64,
    /// Distinct prefixes.
    pub prefixes: u64,
    /// Distinct attribute sets.
    pub attribute_sets: u64,
    /// Changes that fell off the bounded history.
    pub history_dropped: u64,
    /// IPv4 multicast paths held (SAFI 2, apart from `paths`).
    pub ipv4_multicast_paths: u64,
    /// IPv6 multicast paths held (SAFI 2, apart from `paths`).
    pub ipv6_multicast_paths: u64,
}

/// A cloneable handle on a running engine.
#[derive(Clone)]
pub struct EngineHandle {
    engine: Arc<Mutex<Engine>>,
    capture: Arc<Mutex<CaptureCounters>>,
    changed: Arc<watch::Sender<u64>>,
}

impl EngineHandle {
    /// Wraps an engine.
    pub fn new(engine: Engine) -> Self {
        Self {
            engine: Arc::new(Mutex::new(engine)),
            capture: Arc::default(),
            changed: Arc::new(watch::channel(0).0),
        }
    }

    /// Locks the engine (a panicked holder leaves the state as it was; keep serving it).
    pub fn engine(&self) -> MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Feeds decoded stream items to the engine, in order, and wakes the waiters.
    pub fn push_all(&self, items: &[StreamItem]) {
        if !items.is_empty() {
            let mut e = self.engine();
            for it in items {
                e.push(it);
            }
        }
        self.changed.send_modify(|n| *n += 1);
    }

    /// A receiver that changes after every batch fed to the engine.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Records the capture's counters.
    pub fn set_capture(&self, counters: CaptureCounters) {
        *self.capture.lock().unwrap_or_else(|p| p.into_inner()) = counters;
    }

    /// Records the live capture's counters (records read, every kind of loss).
    #[cfg(feature = "live")]
    pub fn set_live_capture(&self, live: &LiveStats) {
        self.set_capture(CaptureCounters { events: live.records_read, drops: live.drops() });
    }

    /// The capture's counters.
    pub fn capture(&self) -> CaptureCounters {
        *self.capture.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The paths of `prefix` (and, with `how`, of longer or shorter prefixes).
    pub fn routes(&self, prefix: IpNet, how: Match) -> Vec<RouteView> {
        self.engine().rib().routes(prefix, how)
    }

    /// The valid paths of `prefix` that are not best.
    pub fn hidden(&self, prefix: IpNet) -> Vec<PathView> {
        self.engine().rib().hidden(prefix)
    }

    /// Session health and Adj-RIBs-In.
    pub fn sessions(&self) -> SessionsView {
        let e = self.engine();
        SessionsView {
            sessions: e.health().sessions().cloned().collect(),
            adj_ribs_in: e.rib().sessions().to_vec(),
        }
    }

    /// The alerts of the event log, of one kind or all.
    pub fn alerts(&self, kind: Option<AlertKind>) -> Vec<Event> {
        self.engine().events().filter(|e| AlertKind::selects(kind, e)).cloned().collect()
    }

    /// The events at or after wire time `since_ns`, and how many fell off the log.
    pub fn events(&self, since_ns: u64) -> (Vec<Event>, u64) {
        let e = self.engine();
        let events = e.events().filter(|ev| ev.at_ns() >= since_ns).cloned().collect();
        (events, e.counters().events_dropped)
    }

    /// Convergence figures.
    pub fn convergence(&self) -> ConvergenceSummary {
        self.engine().convergence().summary()
    }

    /// The engine's counters and table sizes.
    pub fn stats(&self) -> (Counters, RibSizes) {
        let e = self.engine();
        let rib = e.rib();
        let sizes = RibSizes {
            paths: rib.path_count(),
            prefixes: rib.prefix_count() as u64,
            attribute_sets: rib.attr_set_count() as u64,
            history_dropped: rib.history().dropped(),
            ipv4_multicast_paths: rib.multicast_path_count(AfiSafi::IPV4_MULTICAST),
            ipv6_multicast_paths: rib.multicast_path_count(AfiSafi::IPV6_MULTICAST),
        };
        (e.counters().clone(), sizes)
    }

    /// The Prometheus text exposition.
    #[cfg(feature = "api")]
    pub fn metrics(&self) -> String {
        let capture = self.capture();
        crate::api::metrics::render(&self.engine(), &capture)
    }
}
