//! What checks return and record: a pass, a typed failure, the counts of a session at a
//! named snapshot, and the text lines of a RIB. Below both the runner and the checks, so
//! neither imports the other for them.

use bgpstorm_wire::Nlri;

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
