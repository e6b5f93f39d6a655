//! Monitor configuration: [`MonitorConfig`], a YAML file for `bgpstorm monitor --config`
//! (sessions named by peer address), and [`MonitorSpec`], the `monitor:` section of a
//! scenario (sessions named by speaker), which [`MonitorSpec::resolve`] turns into the former
//! once the speakers' addresses are known.

use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::detect::Detector;
use crate::detect::community::{CommunityPolicy, Direction, RuleConfig, RuleError};
use crate::detect::damping::{Damping, DampingConfig};
use crate::detect::flap::{FlapConfig, FlapDetector};

/// What the monitor watches for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MonitorConfig {
    /// Flap detection.
    pub flap: FlapConfig,
    /// RFC 2439 damping penalties (off unless given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub damping: Option<DampingConfig>,
    /// Community rules.
    pub communities: Vec<RuleConfig>,
    /// Changes kept per (session, prefix).
    pub history: usize,
    /// Events kept in the log.
    pub event_log: usize,
    /// Addresses of the device whose convergence is measured (flows to them are ingress).
    pub device: Vec<IpAddr>,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self {
            flap: FlapConfig::default(),
            damping: None,
            communities: Vec::new(),
            history: 16,
            event_log: 100_000,
            device: Vec::new(),
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A community rule is wrong.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// A value is out of range.
    #[error("{0}")]
    Invalid(String),
}

impl MonitorConfig {
    /// The registry: the detectors this configuration asks for, in the order each sees an
    /// observation. A new detector is one line here (session health is the engine's own).
    pub fn detectors(&self) -> Result<Vec<Box<dyn Detector>>, ConfigError> {
        let mut d: Vec<Box<dyn Detector>> = vec![Box::new(FlapDetector::new(self.flap))];
        if let Some(c) = self.damping {
            d.push(Box::new(Damping::new(c)));
        }
        if !self.communities.is_empty() {
            d.push(Box::new(CommunityPolicy::new(&self.communities)?));
        }
        Ok(d)
    }

    /// Checks the values that serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.flap.changes < 2 {
            return Err(ConfigError::Invalid(format!(
                "flap.changes must be at least 2, got {}",
                self.flap.changes
            )));
        }
        if self.flap.window.is_zero() {
            return Err(ConfigError::Invalid("flap.window must be longer than 0".into()));
        }
        if self.event_log == 0 {
            return Err(ConfigError::Invalid("event_log must be at least 1".into()));
        }
        if let Some(problem) = self.damping.as_ref().and_then(DampingConfig::problem) {
            return Err(ConfigError::Invalid(problem));
        }
        crate::detect::community::CommunityPolicy::new(&self.communities)?;
        Ok(())
    }
}

// The doc comments of `MonitorSpec` and `SessionRule` are the scenario schema's descriptions
// (`bgpstorm schema`): the schema names them `Monitor` and `CommunityRule`, as it always has.
/// What the monitor watches for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Monitor")]
pub struct MonitorSpec {
    /// Flap detection (default 3 changes in 30 s).
    #[serde(default)]
    pub flap: Option<FlapConfig>,
    /// RFC 2439 damping with router defaults.
    #[serde(default)]
    pub damping: bool,
    /// Community rules.
    #[serde(default)]
    pub communities: Vec<SessionRule>,
}

/// A community rule on one speaker's session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CommunityRule")]
pub struct SessionRule {
    /// The speaker.
    pub session: String,
    /// `in` (routes it sends the DUT) or `out` (routes the DUT sends it).
    pub direction: Direction,
    /// Only matching communities may appear.
    #[serde(default)]
    pub allow: Option<String>,
    /// Matching communities must not appear.
    #[serde(default)]
    pub deny: Option<String>,
}

impl MonitorSpec {
    /// The engine configuration for a device at `device`, with each rule's session resolved to
    /// its peer address by `peer_of`; checked like a configuration file.
    pub fn resolve(
        &self,
        device: Vec<IpAddr>,
        peer_of: impl Fn(&str) -> Option<IpAddr>,
    ) -> Result<MonitorConfig, ConfigError> {
        let mut c = MonitorConfig { device, ..MonitorConfig::default() };
        if let Some(f) = self.flap {
            c.flap = f;
        }
        if self.damping {
            c.damping = Some(DampingConfig::default());
        }
        for r in &self.communities {
            let peer = peer_of(&r.session)
                .ok_or_else(|| ConfigError::Invalid(format!("no speaker {}", r.session)))?;
            c.communities.push(RuleConfig {
                peer: Some(peer),
                direction: r.direction,
                allow: r.allow.clone(),
                deny: r.deny.clone(),
            });
        }
        c.validate()?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn with(f: impl FnOnce(&mut DampingConfig)) -> Result<(), ConfigError> {
        let mut d = DampingConfig::default();
        f(&mut d);
        MonitorConfig { damping: Some(d), ..MonitorConfig::default() }.validate()
    }

    #[test]
    fn damping_refuses_nan_negative_and_zero_half_life() {
        assert!(with(|_| {}).is_ok());
        type Change = fn(&mut DampingConfig);
        let bad: [(&str, Change); 6] = [
            ("withdrawal_penalty", |d| d.withdrawal_penalty = f64::NAN),
            ("suppress", |d| d.suppress = f64::INFINITY),
            ("attribute_change_penalty", |d| d.attribute_change_penalty = -1.0),
            ("half_life", |d| d.half_life = Duration::ZERO),
            ("reuse", |d| d.reuse = 3000.0),
            ("max_suppress", |d| d.max_suppress = Duration::from_secs(1)),
        ];
        for (what, f) in bad {
            let e = with(f).expect_err(what).to_string();
            assert!(e.contains(what), "{what}: {e}");
        }
    }
}
