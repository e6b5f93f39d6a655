//! Community policy: allow/deny rules by regular expression, per session and direction.
//!
//! A rule applies to the sessions of a peer address (or every session) in one direction:
//! `in` for routes the peer sends, `out` for routes sent to it. Each community of an
//! announced route (standard `a:b`, large `a:b:c`, extended as printed by the wire layer) is
//! checked: with `allow`, a community that does not match breaks the rule; with `deny`, one
//! that matches does. Each break is an alert naming the session, prefix and community.

use std::net::IpAddr;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::reassembly::Flow;
use crate::rib::{RibChange, SessionId};
use bgpstorm_wire::Nlri;

// The peer of a rule is a neighbour of the monitored device (the DUT of a scenario): `in`
// is what the peer sends towards the device, `out` what the device sends the peer. The doc
// comments are the scenario schema's descriptions (`bgpstorm schema`).
/// A rule's direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Towards the DUT.
    In,
    /// From the DUT.
    Out,
}

/// A rule as configured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// The peer address; absent means every session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<IpAddr>,
    /// Direction.
    pub direction: Direction,
    /// Only communities matching this may appear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<String>,
    /// Communities matching this must not appear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<String>,
}

/// A rule that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// Neither `allow` nor `deny`.
    #[error("community rule {0} has neither allow nor deny")]
    Empty(usize),
    /// A bad regular expression.
    #[error("community rule {index}: invalid regular expression {pattern:?}: {source}")]
    Regex {
        /// Rule index.
        index: usize,
        /// The pattern.
        pattern: String,
        /// Why.
        source: regex::Error,
    },
}

struct Rule {
    config: RuleConfig,
    allow: Option<Regex>,
    deny: Option<Regex>,
}

/// A community policy alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommunityAlert {
    /// Index of the broken rule.
    pub rule: usize,
    /// The session.
    pub session: SessionId,
    /// Sender → receiver.
    pub flow: Flow,
    /// The prefix.
    pub nlri: Nlri,
    /// The community.
    pub community: String,
    /// `allow` (the community is not allowed) or `deny` (it is denied).
    pub broke: &'static str,
    /// Wire time, ns.
    pub at_ns: u64,
}

/// The policy checker.
pub struct CommunityPolicy {
    rules: Vec<Rule>,
}

impl CommunityPolicy {
    /// Compiles `rules`.
    pub fn new(rules: &[RuleConfig]) -> Result<Self, RuleError> {
        let compile = |index: usize, p: &Option<String>| -> Result<Option<Regex>, RuleError> {
            p.as_ref()
                .map(|pattern| {
                    Regex::new(pattern).map_err(|source| RuleError::Regex {
                        index,
                        pattern: pattern.clone(),
                        source,
                    })
                })
                .transpose()
        };
        let rules = rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if r.allow.is_none() && r.deny.is_none() {
                    return Err(RuleError::Empty(i));
                }
                Ok(Rule {
                    config: r.clone(),
                    allow: compile(i, &r.allow)?,
                    deny: compile(i, &r.deny)?,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { rules })
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Checks an announcement on `flow`; appends an alert per broken rule and community.
    pub fn observe(
        &self,
        flow: &Flow,
        change: &RibChange,
        ts_ns: u64,
        out: &mut Vec<CommunityAlert>,
    ) {
        let attrs = match change {
            RibChange::Announced { attrs, .. } => attrs,
            RibChange::Replaced { new, .. } => new,
            _ => return,
        };
        let a = &attrs.attributes;
        let mut communities: Vec<String> = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let applies = match (rule.config.direction, rule.config.peer) {
                (_, None) => true,
                (Direction::In, Some(p)) => flow.src.ip() == p,
                (Direction::Out, Some(p)) => flow.dst.ip() == p,
            };
            if !applies {
                continue;
            }
            if communities.is_empty() {
                communities.extend(a.communities.iter().map(|c| c.to_string()));
                communities.extend(a.large_communities.iter().map(|c| c.to_string()));
                communities.extend(a.extended_communities.iter().map(|c| c.to_string()));
            }
            for c in &communities {
                let broke = if rule.allow.as_ref().is_some_and(|r| !r.is_match(c)) {
                    "allow"
                } else if rule.deny.as_ref().is_some_and(|r| r.is_match(c)) {
                    "deny"
                } else {
                    continue;
                };
                out.push(CommunityAlert {
                    rule: i,
                    session: change.session(),
                    flow: *flow,
                    nlri: change.nlri(),
                    community: c.clone(),
                    broke,
                    at_ns: ts_ns,
                });
            }
        }
    }
}
