//! Detectors over route changes and session events, each producing typed alerts:
//! [`flap`] (N changes within W), [`damping`] (RFC 2439 penalties), [`community`] (allow/deny
//! rules per session and direction) and [`session`] (state, resets, NOTIFICATIONs). Hidden
//! routes are a query on the RIB ([`crate::rib::Rib::hidden`]).
//!
//! Every detector implements [`Detector`]: it is shown each [`Observation`] (a RIB change or
//! a session event) in wire order and raises [`Alert`]s. The engine builds its detectors from
//! its configuration in one registry (`engine::config`) and feeds every one of them the same
//! observations; adding a detector is one impl here and one line there.

pub mod community;
pub mod damping;
pub mod flap;
pub mod session;

use serde::Serialize;

use crate::reassembly::Flow;
use crate::rib::RibChange;
use bgpstorm_wire::Message;

use community::CommunityAlert;
use damping::DampingEvent;
use flap::FlapAlert;
use session::Transition;

/// What a detector is shown.
#[derive(Clone, Copy, Debug)]
pub enum Observation<'a> {
    /// A path changed in the Adj-RIB-In of the session that `flow` carries.
    Route {
        /// Sender → receiver of the session.
        flow: &'a Flow,
        /// The change.
        change: &'a RibChange,
    },
    /// A TCP connection of a session opened.
    Opened {
        /// Its flow.
        flow: &'a Flow,
    },
    /// A BGP message was decoded on a session.
    Message {
        /// Its flow.
        flow: &'a Flow,
        /// The message.
        message: &'a Message,
    },
    /// A TCP connection of a session ended (not the end of a capture file).
    Closed {
        /// Its flow.
        flow: &'a Flow,
    },
}

/// What a detector raises.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Alert {
    /// A prefix flaps.
    Flap(FlapAlert),
    /// A path was suppressed or reused by RFC 2439 damping.
    Damping(DampingEvent),
    /// A route carries a community its session's rule does not allow.
    Community(CommunityAlert),
    /// A session changed state.
    Session(Transition),
}

/// A detector: observations in, alerts out.
pub trait Detector: Send {
    /// A short name (logs and metrics).
    fn name(&self) -> &'static str;

    /// Looks at one observation at wire time `ts_ns` and pushes what it raises onto `alerts`.
    fn observe(&mut self, observation: Observation<'_>, ts_ns: u64, alerts: &mut Vec<Alert>);
}

impl Detector for flap::FlapDetector {
    fn name(&self) -> &'static str {
        "flap"
    }

    fn observe(&mut self, observation: Observation<'_>, ts_ns: u64, alerts: &mut Vec<Alert>) {
        if let Observation::Route { change, .. } = observation
            && let Some(a) = flap::FlapDetector::observe(self, change, ts_ns)
        {
            alerts.push(Alert::Flap(a));
        }
    }
}

impl Detector for damping::Damping {
    fn name(&self) -> &'static str {
        "damping"
    }

    fn observe(&mut self, observation: Observation<'_>, ts_ns: u64, alerts: &mut Vec<Alert>) {
        if let Observation::Route { change, .. } = observation
            && let Some(d) = damping::Damping::observe(self, change, ts_ns)
        {
            alerts.push(Alert::Damping(d));
        }
    }
}

impl Detector for community::CommunityPolicy {
    fn name(&self) -> &'static str {
        "community"
    }

    fn observe(&mut self, observation: Observation<'_>, ts_ns: u64, alerts: &mut Vec<Alert>) {
        if let Observation::Route { flow, change } = observation {
            let mut raised = Vec::new();
            community::CommunityPolicy::observe(self, flow, change, ts_ns, &mut raised);
            alerts.extend(raised.into_iter().map(Alert::Community));
        }
    }
}

impl Detector for session::SessionHealth {
    fn name(&self) -> &'static str {
        "session"
    }

    fn observe(&mut self, observation: Observation<'_>, ts_ns: u64, alerts: &mut Vec<Alert>) {
        let t = match observation {
            Observation::Opened { flow } => self.opened(flow, ts_ns),
            Observation::Message { flow, message } => self.message(flow, message, ts_ns),
            Observation::Closed { flow } => self.closed(flow, ts_ns),
            Observation::Route { .. } => None,
        };
        alerts.extend(t.map(Alert::Session));
    }
}

#[cfg(test)]
mod tests;
