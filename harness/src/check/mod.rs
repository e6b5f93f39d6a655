//! Checks: one function per [`Check`] variant, each returning what it saw ([`Pass`]) or a
//! typed [`CheckFailure`] (where, what was expected, what was found). Route checks wait on
//! a speaker's RIB, monitor checks on the engine, both event-driven up to their deadline;
//! snapshots compare with insta files in `snapshots/`.

mod agree;
mod monitor;
pub mod outcome;
mod routes;
mod sessions;
mod since;
mod snapshot;

use tokio::time::Instant;

pub use outcome::{CheckFailure, CheckResult, Mark, Pass, held_lines, rib_lines, route_line};

use crate::run::Runner;
use crate::scenario::model::Check;
use crate::speaker::Session;

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
            Check::Rib { at, routes, within } => {
                self.exact_rib(at, routes, *within, deadline).await
            }
            Check::Snapshot { at, name, .. } => self.rib_snapshot(at, name, deadline).await,
            Check::DutMatches { at, empty_expected, .. } => {
                self.dut_matches(at, *empty_expected, deadline).await
            }
            Check::DutPrefixes { prefixes, within } => {
                self.dut_prefixes(prefixes, *within, deadline).await
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
