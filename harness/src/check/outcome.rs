//! What checks return and record: a pass, a typed failure, the counts of a session at a
//! named snapshot, and the text lines of a RIB. Below both the runner and the checks, so
//! neither imports the other for them.

use std::net::IpAddr;

use bgpstorm_wire::Nlri;
use bgpstorm_wire::model::{AsPath, Community, ExtendedCommunity, LargeCommunity, Origin};
use ipnet::IpNet;

use crate::speaker::{Route, Session};

/// A check that held, with what it saw (the step's detail line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pass(pub String);

impl std::fmt::Display for Pass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A check that did not hold, printed as a sentence: `{place} {got}, expected {expected}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{place} {got}, expected {expected}{context}")]
pub struct CheckFailure {
    /// Where: the speaker, session or part of the monitor checked.
    pub place: String,
    /// What the scenario expects.
    pub expected: String,
    /// What was found, as a predicate of `place` (`holds 0 prefixes`).
    pub got: String,
    /// More to read (the DUT's log errors), empty or starting with a new line.
    pub context: String,
}

impl CheckFailure {
    /// A failure at `place`.
    pub fn new(
        place: impl Into<String>,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Self {
        Self {
            place: place.into(),
            expected: expected.into(),
            got: got.into(),
            context: String::new(),
        }
    }

    /// The same failure with more to read.
    pub fn with_context(mut self, context: String) -> Self {
        self.context = context;
        self
    }
}

/// What one check returns.
pub type CheckResult = Result<Pass, CheckFailure>;

/// What a speaker's session had received and been through at a named snapshot.
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    /// Prefix announcements received (repeats count).
    pub(super) announced: u64,
    /// Prefix withdrawals received (treat-as-withdraw included only as the peer sent them).
    pub(super) withdrawn: u64,
    /// Times the session was Established.
    pub(super) established: u32,
    /// NOTIFICATIONs sent or received.
    pub(super) notifications: usize,
}

impl Mark {
    /// The session's counts now.
    pub fn of(s: &Session) -> Self {
        let (announced, withdrawn, _) = s.rib_in().totals();
        Self {
            announced,
            withdrawn,
            established: s.status().established_count,
            notifications: s.notifications().len(),
        }
    }
}

/// One line per route of a speaker's RIB: `prefix[#id] as_path next_hop communities`.
pub fn rib_lines(rib: &[(Nlri, Route)]) -> Vec<String> {
    let mut lines: Vec<String> = rib
        .iter()
        .map(|(n, r)| {
            let a = &r.attributes;
            let mut comms: Vec<String> = a.communities.iter().map(|c| c.to_string()).collect();
            comms.extend(a.large_communities.iter().map(|c| c.to_string()));
            comms.extend(a.extended_communities.iter().map(|c| c.to_string()));
            // Link-local next hops carry the interface's random MAC: name them, not their value.
            let nh: Vec<String> = r
                .next_hop
                .iter()
                .map(|h| match h {
                    std::net::IpAddr::V6(v6) if v6.is_unicast_link_local() => {
                        "link-local".to_string()
                    }
                    h => h.to_string(),
                })
                .collect();
            let id = n.path_id.map(|i| format!("#{i}")).unwrap_or_default();
            let path = a.as_path.as_ref().map(|p| p.to_string()).unwrap_or_default();
            format!("{}{id} [{path}] via {} {}", n.prefix, nh.join(","), comms.join(" "))
                .trim_end()
                .to_string()
        })
        .collect();
    lines.sort();
    lines
}

/// One route as the `rib:` check compares it:
/// `prefix [as path] origin via next hop communities`, with the next hops that are not IPv6
/// link-local (daemons differ on sending one) and each kind of community sorted (standard,
/// then large, then extended), so that equal routes give equal lines whatever the order
/// their attributes came in.
pub fn route_line(
    prefix: &IpNet,
    as_path: Option<&AsPath>,
    origin: Option<Origin>,
    next_hops: &[IpAddr],
    communities: &[Community],
    large: &[LargeCommunity],
    extended: &[ExtendedCommunity],
) -> String {
    let path = as_path.map(|p| p.to_string()).unwrap_or_default();
    let origin = match origin {
        Some(Origin::Igp) => "igp",
        Some(Origin::Egp) => "egp",
        Some(Origin::Incomplete) => "incomplete",
        None => "-",
    };
    let nh: Vec<String> = next_hops
        .iter()
        .filter(|h| !matches!(h, IpAddr::V6(v6) if v6.is_unicast_link_local()))
        .map(|h| h.to_string())
        .collect();
    let mut std = communities.to_vec();
    std.sort();
    let mut large = large.to_vec();
    large.sort();
    let mut extended = extended.to_vec();
    extended.sort();
    let comms: Vec<String> = std
        .iter()
        .map(|c| c.to_string())
        .chain(large.iter().map(|c| c.to_string()))
        .chain(extended.iter().map(|c| c.to_string()))
        .collect();
    format!("{prefix} [{path}] {origin} via {} {}", nh.join(","), comms.join(" "))
        .trim_end()
        .to_string()
}

/// The lines ([`route_line`]) of the routes of a speaker's RIB, sorted, without those whose
/// AS path holds `own_asn`: a BGP speaker discards those as loops (RFC 4271 §9.1.2).
pub fn held_lines(rib: &[(Nlri, Route)], own_asn: u32) -> Vec<String> {
    let mut lines: Vec<String> = rib
        .iter()
        .filter(|(_, r)| {
            !r.attributes
                .as_path
                .as_ref()
                .is_some_and(|p| p.segments.iter().any(|s| s.asns.contains(&own_asn)))
        })
        .map(|(n, r)| {
            let a = &r.attributes;
            route_line(
                &n.prefix,
                a.as_path.as_ref(),
                a.origin,
                &r.next_hop,
                &a.communities,
                &a.large_communities,
                &a.extended_communities,
            )
        })
        .collect();
    lines.sort();
    lines
}
