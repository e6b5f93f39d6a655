//! Two views of the same routes agree: the DUT's own RIB (its CLI) or the wire monitor's
//! view of the DUT → `at` session, against what `at` received. Agreeing on nothing fails
//! unless the same `expect` says `routes: 0`: an empty comparison proves nothing.

use std::collections::BTreeSet;
use std::time::Duration;

use ipnet::IpNet;
use tokio::time::Instant;

use super::routes::SETTLE_AT_MOST;
use super::{CheckFailure, CheckResult, Pass};
use crate::run::Runner;

/// How often the monitor's view and a speaker's RIB are compared while they differ.
const AGREE_POLL: Duration = Duration::from_millis(100);

/// How often the DUT's RIB is looked at while waiting for it to match.
const DUT_POLL: Duration = Duration::from_millis(300);

/// Both sets are empty and the scenario did not say that is expected.
fn empty_unexpected(place: &str, what: &str, empty_expected: bool, len: usize) -> CheckResult {
    if len == 0 && !empty_expected {
        return Err(CheckFailure::new(
            place,
            format!(
                "{what} on at least one prefix (say `routes: 0` in the same expect if none is the point)"
            ),
            "are both empty",
        ));
    }
    Ok(Pass(String::new()))
}

impl Runner<'_> {
    /// The prefixes `at` holds, as text.
    fn held(&self, at: &str) -> Result<BTreeSet<String>, CheckFailure> {
        let s = self.checked_session(at)?;
        Ok(s.rib_in().snapshot().into_iter().map(|(n, _)| n.prefix.to_string()).collect())
    }

    pub(super) async fn dut_matches(
        &self,
        at: &str,
        empty_expected: bool,
        deadline: Instant,
    ) -> CheckResult {
        self.settle(deadline).await;
        let dut = self
            .dut
            .as_ref()
            .ok_or_else(|| CheckFailure::new("dut_matches", "a DUT", "has none (dut: none)"))?;
        let theirs: BTreeSet<String> = dut
            .rib(self.topo.node(0))
            .map_err(|e| CheckFailure::new("the DUT", "its RIB", format!("cannot say: {e}")))?
            .into_iter()
            .map(|r| r.prefix)
            .collect();
        let ours = self.held(at)?;
        if theirs != ours {
            let only_dut: Vec<&String> = theirs.difference(&ours).take(5).collect();
            let only_at: Vec<&String> = ours.difference(&theirs).take(5).collect();
            return Err(CheckFailure::new(
                format!("the DUT's RIB and {at}'s"),
                "the same prefixes",
                format!(
                    "differ ({} and {} prefixes): only at the DUT {only_dut:?}, only at {at} {only_at:?}",
                    theirs.len(),
                    ours.len()
                ),
            ));
        }
        empty_unexpected(
            &format!("the DUT's RIB and {at}'s"),
            "agreement",
            empty_expected,
            ours.len(),
        )?;
        Ok(Pass(format!("the DUT's RIB and {at}'s agree on {} prefixes", ours.len())))
    }

    /// The DUT's own RIB (its CLI) holds exactly `want` (sorted), by the deadline.
    pub(super) async fn dut_prefixes(
        &self,
        want: &[IpNet],
        within: Duration,
        deadline: Instant,
    ) -> CheckResult {
        self.settle(deadline.min(Instant::now() + SETTLE_AT_MOST)).await;
        let dut = self
            .dut
            .as_ref()
            .ok_or_else(|| CheckFailure::new("dut_prefixes", "a DUT", "has none (dut: none)"))?;
        let want: BTreeSet<IpNet> = want.iter().copied().collect();
        loop {
            let rib = dut
                .rib(self.topo.node(0))
                .map_err(|e| CheckFailure::new("the DUT", "its RIB", format!("cannot say: {e}")))?;
            // A prefix the daemon prints in a form that does not parse is a difference too.
            let have: BTreeSet<Result<IpNet, String>> = rib
                .into_iter()
                .map(|r| r.prefix.parse::<IpNet>().map(|p| p.trunc()).map_err(|_| r.prefix))
                .collect();
            let ok: BTreeSet<IpNet> =
                have.iter().filter_map(|p| p.as_ref().ok().copied()).collect();
            if ok == want && ok.len() == have.len() {
                return Ok(Pass(format!(
                    "the DUT's RIB holds exactly the {} prefixes",
                    want.len()
                )));
            }
            if Instant::now() >= deadline {
                let missing: Vec<String> =
                    want.difference(&ok).take(5).map(|p| p.to_string()).collect();
                let extra: Vec<String> = have
                    .iter()
                    .filter(|p| p.as_ref().map_or(true, |p| !want.contains(p)))
                    .take(5)
                    .map(|p| match p {
                        Ok(p) => p.to_string(),
                        Err(s) => s.clone(),
                    })
                    .collect();
                return Err(CheckFailure::new(
                    "the DUT's RIB",
                    format!("exactly the {} given prefixes within {within:?}", want.len()),
                    format!("holds other prefixes: missing {missing:?}, unexpected {extra:?}"),
                )
                .with_context(self.dut_log_tail()));
            }
            // Each look runs the daemon's CLI: a few per second at most.
            tokio::time::sleep(DUT_POLL.min(deadline - Instant::now())).await;
        }
    }

    /// The monitor's view of the DUT -> `at` session holds what `at` received, by the deadline
    /// (both change with every UPDATE in flight: compared until they agree).
    pub(super) async fn monitor_agrees(
        &self,
        at: &str,
        empty_expected: bool,
        deadline: Instant,
    ) -> CheckResult {
        // The DUT's answer to the last change first, at most a few seconds (the monitor's
        // count of changes can stay short of the target, e.g. after a session reset).
        self.settle(deadline.min(Instant::now() + SETTLE_AT_MOST)).await;
        let w = self.monitor()?;
        let peer = self
            .plan
            .speakers
            .iter()
            .find(|p| p.name == at)
            .map(|p| p.v4)
            .ok_or_else(|| CheckFailure::new(at, "a speaker of the scenario", "is not one"))?;
        let place = format!("the monitor's view of the DUT -> {at} session and {at}'s RIB");
        loop {
            let seen: BTreeSet<String> = {
                let engine = w.shared.engine();
                engine
                    .rib()
                    .all_routes()
                    .filter(|r| {
                        r.paths.iter().any(|p| {
                            p.peer != peer
                                && engine.rib().sessions()[usize::from(p.session.0)].flow.dst.ip()
                                    == peer
                        })
                    })
                    .map(|r| r.prefix.to_string())
                    .collect()
            };
            let ours = self.held(at)?;
            if seen == ours {
                empty_unexpected(&place, "agreement", empty_expected, ours.len())?;
                return Ok(Pass(format!("the monitor and {at} agree on {} prefixes", ours.len())));
            }
            if Instant::now() >= deadline {
                let only_mon: Vec<&String> = seen.difference(&ours).take(5).collect();
                let only_at: Vec<&String> = ours.difference(&seen).take(5).collect();
                return Err(CheckFailure::new(
                    place,
                    "the same prefixes",
                    format!(
                        "differ ({} and {} prefixes): only in the monitor {only_mon:?}, only at {at} {only_at:?}",
                        seen.len(),
                        ours.len()
                    ),
                ));
            }
            tokio::time::sleep(AGREE_POLL.min(deadline - Instant::now())).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreeing_on_nothing_fails_unless_empty_is_expected() {
        let e = empty_unexpected("x", "agreement", false, 0).unwrap_err();
        assert_eq!(e.got, "are both empty");
        assert!(empty_unexpected("x", "agreement", true, 0).is_ok());
        assert!(empty_unexpected("x", "agreement", false, 3).is_ok());
    }
}
