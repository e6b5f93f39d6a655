//! Monitor configuration: a YAML file for `bgpstorm monitor --config`, or the `monitor:`
//! section of a scenario.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::detect::community::{RuleConfig, RuleError};
use crate::detect::damping::DampingConfig;
use crate::detect::flap::FlapConfig;

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
        crate::detect::community::CommunityPolicy::new(&self.communities)?;
        Ok(())
    }
}
