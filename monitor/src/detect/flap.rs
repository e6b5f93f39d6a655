//! Flap detection: a prefix whose path on one session changes `changes` times within
//! `window` raises one alert; the detector re-arms once the prefix has been quiet (fewer than
//! `changes` changes in the window) again.
//!
//! A change is a withdrawal, a re-announcement after a withdrawal, or an attribute change;
//! the first announcement of a path and an unchanged re-announcement are not changes.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::rib::{RibChange, SessionId};
use bgpstorm_wire::Nlri;

// The doc comments are the scenario schema's descriptions (`bgpstorm schema`).
/// Flap threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "FlapRule")]
pub struct FlapConfig {
    /// Window.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub window: Duration,
    /// Changes within it.
    pub changes: usize,
}

impl Default for FlapConfig {
    /// 3 changes in 30 s, the figure of the original design.
    fn default() -> Self {
        Self { window: Duration::from_secs(30), changes: 3 }
    }
}

/// A flap alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlapAlert {
    /// The session.
    pub session: SessionId,
    /// The prefix (and path id).
    pub nlri: Nlri,
    /// Changes counted in the window when the alert was raised.
    pub changes: usize,
    /// Wire time of the first counted change, ns.
    pub first_ns: u64,
    /// Wire time of the change that raised the alert, ns.
    pub at_ns: u64,
}

#[derive(Debug, Default)]
struct State {
    times: VecDeque<u64>,
    alerted: bool,
}

/// Fewest counted changes between two prunes of quiet prefixes.
const PRUNE_EVERY: u64 = 4096;

/// The detector.
#[derive(Debug)]
pub struct FlapDetector {
    config: FlapConfig,
    state: HashMap<(SessionId, Nlri), State>,
    seen: u64,
    /// `seen` at which to prune next. A prune scans the whole map, so the next one waits for
    /// at least as many changes as the map still holds: amortised O(1) per change, where a
    /// fixed period made a storm of N withdrawals cost O(N²).
    next_prune: u64,
}

impl FlapDetector {
    /// A detector with `config`.
    pub fn new(config: FlapConfig) -> Self {
        Self { config, state: HashMap::new(), seen: 0, next_prune: PRUNE_EVERY }
    }

    /// Feeds one RIB change at wire time `ts_ns`; returns an alert when it completes a flap.
    pub fn observe(&mut self, change: &RibChange, ts_ns: u64) -> Option<FlapAlert> {
        let key = (change.session(), change.nlri());
        let counts = match change {
            RibChange::Replaced { .. } | RibChange::Withdrawn { .. } => true,
            // A re-announcement after a withdrawal is a change; a first announcement is not.
            RibChange::Announced { .. } => self.state.contains_key(&key),
            RibChange::Refreshed { .. } | RibChange::UnknownWithdrawn { .. } => false,
        };
        if !counts {
            return None;
        }
        self.seen += 1;
        if self.seen >= self.next_prune {
            self.prune(ts_ns);
            self.next_prune = self.seen + (self.state.len() as u64).max(PRUNE_EVERY);
        }
        let window = self.config.window.as_nanos() as u64;
        let st = self.state.entry(key).or_default();
        st.times.push_back(ts_ns);
        while st.times.front().is_some_and(|&t| ts_ns.saturating_sub(t) > window) {
            st.times.pop_front();
        }
        if st.times.len() < self.config.changes {
            st.alerted = false;
            return None;
        }
        if st.alerted {
            return None;
        }
        st.alerted = true;
        Some(FlapAlert {
            session: key.0,
            nlri: key.1,
            changes: st.times.len(),
            first_ns: st.times.front().copied().unwrap_or(ts_ns),
            at_ns: ts_ns,
        })
    }

    /// Forgets prefixes quiet for longer than the window.
    fn prune(&mut self, now_ns: u64) {
        let window = self.config.window.as_nanos() as u64;
        self.state
            .retain(|_, st| st.times.back().is_some_and(|&t| now_ns.saturating_sub(t) <= window));
    }

    /// (session, prefix) pairs tracked now.
    pub fn tracked(&self) -> usize {
        self.state.len()
    }
}
