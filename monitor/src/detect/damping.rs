//! Route flap damping penalties (RFC 2439 §4): a penalty per withdrawal and per attribute
//! change, decaying exponentially with a half-life; a route is suppressed when its penalty
//! crosses the suppress threshold and reusable when it decays below the reuse threshold.
//!
//! Defaults are the common router ones (Cisco IOS / FRR `bgp dampening`): withdrawal 1000,
//! re-advertisement 0, attribute change 500, half-life 15 min, suppress 2000, reuse 750,
//! maximum suppression 60 min (so the penalty is capped at reuse × 2^(60/15) = 12000).

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::rib::{RibChange, SessionId};
use bgpstorm_wire::Nlri;

/// Damping settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DampingConfig {
    /// Penalty per withdrawal.
    pub withdrawal_penalty: f64,
    /// Penalty per re-advertisement after a withdrawal.
    pub readvertisement_penalty: f64,
    /// Penalty per attribute change.
    pub attribute_change_penalty: f64,
    /// Half-life of the penalty.
    #[serde(with = "humantime_serde")]
    pub half_life: Duration,
    /// Suppress above this penalty.
    pub suppress: f64,
    /// Reuse below this penalty.
    pub reuse: f64,
    /// Longest suppression.
    #[serde(with = "humantime_serde")]
    pub max_suppress: Duration,
}

impl DampingConfig {
    /// The problem with these values, if any: penalties finite and not negative, a half-life
    /// above 0, `0 < reuse < suppress`, and a maximum suppression at least one half-life (RFC
    /// 2439 §4.2 derives the penalty ceiling from it; a NaN or a zero half-life would make
    /// every decay computation meaningless).
    pub fn problem(&self) -> Option<String> {
        let penalties = [
            ("withdrawal_penalty", self.withdrawal_penalty),
            ("readvertisement_penalty", self.readvertisement_penalty),
            ("attribute_change_penalty", self.attribute_change_penalty),
            ("suppress", self.suppress),
            ("reuse", self.reuse),
        ];
        if let Some((name, v)) = penalties.iter().find(|(_, v)| !v.is_finite() || *v < 0.0) {
            return Some(format!("damping.{name} must be a finite number of at least 0, not {v}"));
        }
        if self.half_life.is_zero() {
            return Some("damping.half_life must be longer than 0".into());
        }
        if !(self.reuse > 0.0 && self.reuse < self.suppress) {
            return Some(format!(
                "damping: reuse ({}) must be above 0 and below suppress ({})",
                self.reuse, self.suppress
            ));
        }
        if self.max_suppress < self.half_life {
            return Some("damping.max_suppress must be at least damping.half_life".into());
        }
        None
    }
}

impl Default for DampingConfig {
    fn default() -> Self {
        Self {
            withdrawal_penalty: 1000.0,
            readvertisement_penalty: 0.0,
            attribute_change_penalty: 500.0,
            half_life: Duration::from_secs(15 * 60),
            suppress: 2000.0,
            reuse: 750.0,
            max_suppress: Duration::from_secs(60 * 60),
        }
    }
}

/// A damping state change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DampingEvent {
    /// The session.
    pub session: SessionId,
    /// The prefix.
    pub nlri: Nlri,
    /// Suppressed (true) or reusable again (false).
    pub suppressed: bool,
    /// The penalty at that time.
    pub penalty: f64,
    /// Wire time, ns.
    pub at_ns: u64,
}

#[derive(Debug, Clone, Copy)]
struct Figure {
    penalty: f64,
    at_ns: u64,
    suppressed: bool,
}

/// Penalty tracker.
#[derive(Debug)]
pub struct Damping {
    config: DampingConfig,
    figures: HashMap<(SessionId, Nlri), Figure>,
}

impl Damping {
    /// A tracker with `config`.
    pub fn new(config: DampingConfig) -> Self {
        Self { config, figures: HashMap::new() }
    }

    fn ceiling(&self) -> f64 {
        let c = &self.config;
        c.reuse * 2f64.powf(c.max_suppress.as_secs_f64() / c.half_life.as_secs_f64().max(1e-9))
    }

    fn decayed(&self, f: &Figure, now_ns: u64) -> f64 {
        let dt = now_ns.saturating_sub(f.at_ns) as f64 / 1e9;
        f.penalty * 0.5f64.powf(dt / self.config.half_life.as_secs_f64().max(1e-9))
    }

    /// Feeds one RIB change; returns a suppression or reuse event when the state flips.
    pub fn observe(&mut self, change: &RibChange, ts_ns: u64) -> Option<DampingEvent> {
        let key = (change.session(), change.nlri());
        let c = self.config;
        let add = match change {
            RibChange::Withdrawn { .. } => c.withdrawal_penalty,
            RibChange::Replaced { .. } => c.attribute_change_penalty,
            RibChange::Announced { .. } if self.figures.contains_key(&key) => {
                c.readvertisement_penalty
            }
            _ => return self.reuse_check(key, ts_ns),
        };
        let ceiling = self.ceiling();
        let prev = self.figures.get(&key).copied();
        let penalty = prev.map_or(0.0, |f| self.decayed(&f, ts_ns));
        let was = prev.is_some_and(|f| f.suppressed);
        let penalty = (penalty + add).min(ceiling);
        let suppressed = if was { penalty >= c.reuse } else { penalty >= c.suppress };
        self.figures.insert(key, Figure { penalty, at_ns: ts_ns, suppressed });
        (suppressed != was).then_some(DampingEvent {
            session: key.0,
            nlri: key.1,
            suppressed,
            penalty,
            at_ns: ts_ns,
        })
    }

    fn reuse_check(&mut self, key: (SessionId, Nlri), ts_ns: u64) -> Option<DampingEvent> {
        let f = *self.figures.get(&key)?;
        let penalty = self.decayed(&f, ts_ns);
        if f.suppressed && penalty < self.config.reuse {
            self.figures.insert(key, Figure { penalty, at_ns: ts_ns, suppressed: false });
            return Some(DampingEvent {
                session: key.0,
                nlri: key.1,
                suppressed: false,
                penalty,
                at_ns: ts_ns,
            });
        }
        None
    }

    /// The current penalty of a prefix, decayed to `now_ns`.
    pub fn penalty(&self, session: SessionId, nlri: Nlri, now_ns: u64) -> f64 {
        self.figures.get(&(session, nlri)).map_or(0.0, |f| self.decayed(f, now_ns))
    }

    /// Prefixes suppressed now.
    pub fn suppressed(&self) -> usize {
        self.figures.values().filter(|f| f.suppressed).count()
    }
}
