//! Checks: one function per [`Check`] variant, each returning what it saw ([`Pass`]) or a
//! typed [`CheckFailure`] (where, what was expected, what was found). Route checks wait on
//! a speaker's RIB, monitor checks on the engine, both event-driven up to their deadline;
//! snapshots compare with insta files in `snapshots/`.

mod agree;
mod monitor;
mod routes;
mod sessions;
mod since;
mod snapshot;

use tokio::time::Instant;

use bgpstorm_wire::Nlri;

use crate::run::Runner;
use crate::scenario::model::Check;
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
    announced: u64,
    /// Prefix withdrawals received (treat-as-withdraw included only as the peer sent them).
    withdrawn: u64,
    /// Times the session was Established.
    established: u32,
    /// NOTIFICATIONs sent or received.
    notifications: usize,
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

impl Runner<'_> {
    /// Runs the checks of an `expect:` step in order; the first that fails ends it.
    pub(crate) async fn expect(&mut self, checks: &[Check]) -> Result<String, CheckFailure> {
        let started = Instant::now();
        let mut done = Vec::with_capacity(checks.len());
        for c in checks {
            done.push(self.check(c, started + c.within()).await?.0);
        }
        Ok(done.join("; "))
    }

    /// One check: the one place each kind of check is handled.
    async fn check(&mut self, c: &Check, deadline: Instant) -> CheckResult {
        match c {
            Check::Established { speakers, within } => {
                self.established(speakers, *within, deadline).await
            }
            Check::StayedUp { speakers } => self.stayed_up(speakers),
            Check::Routes { at, count, within } => self.routes(at, *count, *within, deadline).await,
            Check::PathsPerPrefix { at, paths, within } => {
                self.paths_per_prefix(at, *paths, *within, deadline).await
            }
            Check::Prefixes { at, prefixes, within, wait_for_count } => {
                self.prefixes(at, prefixes, *wait_for_count, *within, deadline).await
            }
            Check::Snapshot { at, name, .. } => self.rib_snapshot(at, name, deadline).await,
            Check::DutMatches { at, empty_expected, .. } => {
                self.dut_matches(at, *empty_expected, deadline).await
            }
            Check::MonitorAgrees { at, empty_expected, .. } => {
                self.monitor_agrees(at, *empty_expected, deadline).await
            }
            Check::RibDiff { at, diff, .. } => self.rib_diff(at, diff, deadline).await,
            Check::EndOfRib { at, families, within } => {
                self.end_of_rib_after_routes(at, families, *within, deadline).await
            }
            Check::Announced { at, since, count, within } => {
                self.announced(at, since, *count, *within, deadline).await
            }
            Check::Uninterrupted { at, since } => self.uninterrupted(at, since),
            Check::Withdrawn { at, since, count } => self.withdrawn(at, since, *count),
            Check::Convergence { budget, .. } => self.convergence(budget, deadline).await,
            Check::Flap { flap, .. } => {
                self.flap_alert(&flap.prefixes, flap.raised, deadline).await
            }
            Check::Hidden { prefix, .. } => self.hidden(*prefix, deadline).await,
            Check::CommunityAlert { raised, .. } => self.community_alert(*raised, deadline).await,
            Check::DutRib { name, .. } => self.dut_rib(name, deadline).await,
            Check::Clean => self.clean(),
        }
    }

    /// A speaker's session, or the failure of a check that names one the run does not have.
    fn checked_session(&self, at: &str) -> Result<&Session, CheckFailure> {
        self.sessions
            .get(at)
            .ok_or_else(|| CheckFailure::new(at, "a speaker of the scenario", "is not one"))
    }

    /// The wire monitor, or the failure of a check that needs it.
    fn monitor(&self) -> Result<&crate::run::Watch, CheckFailure> {
        self.watch.as_ref().ok_or_else(|| {
            CheckFailure::new(
                "this check",
                "a running monitor",
                "needs the wire monitor, which is not running (dut: none has no DUT interfaces to watch)",
            )
        })
    }
}
