//! What a speaker holds: how many routes, paths per prefix (RFC 7911), which prefixes, and
//! End-of-RIB after its routes (RFC 4724 §2).

use std::collections::BTreeSet;
use std::time::Duration;

use bgpstorm_wire::Nlri;
use ipnet::IpNet;
use tokio::time::Instant;

use super::{CheckFailure, CheckResult, Pass, held_lines};
use crate::run::{Runner, afi_safi, resolve};
use crate::scenario::model::{Family, Prefixes};
use crate::speaker::Route;

/// How long the `rib` check waits for the DUT to settle before it compares.
pub(super) const SETTLE_AT_MOST: Duration = Duration::from_secs(3);

impl Runner<'_> {
    /// `at` holds exactly `n` routes by the deadline.
    async fn hold(&self, at: &str, n: usize, within: Duration, deadline: Instant) -> CheckResult {
        let s = self.checked_session(at)?;
        let started = Instant::now();
        match s.rib_in().wait_len(n, deadline).await {
            Ok(c) => Ok(Pass(format!(
                "{at} holds {} prefixes ({:.3}s after the step began)",
                c.prefixes,
                c.at.saturating_duration_since(started.into_std()).as_secs_f64()
            ))),
            Err(t) => Err(CheckFailure::new(
                at,
                format!("{n} within {within:?}"),
                format!("holds {} prefixes", t.0.prefixes),
            )
            .with_context(self.dut_log_tail())),
        }
    }

    pub(super) async fn routes(
        &self,
        at: &str,
        count: u64,
        within: Duration,
        deadline: Instant,
    ) -> CheckResult {
        self.hold(at, usize::try_from(count).unwrap_or(usize::MAX), within, deadline).await
    }

    pub(super) async fn paths_per_prefix(
        &self,
        at: &str,
        k: u32,
        within: Duration,
        deadline: Instant,
    ) -> CheckResult {
        let s = self.checked_session(at)?;
        let k = k as usize;
        let rib = s.rib_in();
        match rib.wait_until(deadline, |_| rib.path_spread().is_exactly(k)).await {
            Ok(_) => Ok(Pass(format!(
                "{at} holds exactly {k} path(s) for each of its {} prefixes",
                rib.path_spread().prefixes
            ))),
            Err(_) => {
                let p = rib.path_spread();
                Err(CheckFailure::new(
                    at,
                    format!("exactly {k} path(s) per prefix within {within:?}"),
                    format!(
                        "holds {} prefixes with {} to {} paths ({} routes without a path id)",
                        p.prefixes, p.min, p.max, p.without_id
                    ),
                )
                .with_context(self.dut_log_tail()))
            }
        }
    }

    pub(super) async fn prefixes(
        &self,
        at: &str,
        set: &Prefixes,
        wait_for_count: bool,
        within: Duration,
        deadline: Instant,
    ) -> CheckResult {
        let want: BTreeSet<IpNet> = resolve(set, self.base)
            .map_err(|e| CheckFailure::new(at, "a prefix set", e.to_string()))?
            .into_iter()
            .collect();
        if wait_for_count {
            self.hold(at, want.len(), within, deadline).await?;
        }
        let s = self.checked_session(at)?;
        let have: BTreeSet<IpNet> =
            s.rib_in().snapshot().into_iter().map(|(n, _)| n.prefix).collect();
        if have != want {
            let missing: Vec<String> =
                want.difference(&have).take(5).map(|p| p.to_string()).collect();
            let extra: Vec<String> =
                have.difference(&want).take(5).map(|p| p.to_string()).collect();
            return Err(CheckFailure::new(
                at,
                format!("exactly the {} given prefixes", want.len()),
                format!("holds other prefixes: missing {missing:?}, unexpected {extra:?}"),
            ));
        }
        Ok(Pass(format!("{at} holds exactly the {} expected prefixes", have.len())))
    }

    /// `at` holds exactly the routes `want` (sorted lines, [`super::route_line`]) once the DUT
    /// has settled, waiting for it up to the deadline; routes looped back to `at` (its own AS
    /// in the path) are not counted.
    pub(super) async fn exact_rib(
        &self,
        at: &str,
        want: &[String],
        within: Duration,
        deadline: Instant,
    ) -> CheckResult {
        // The DUT's answer to the last change first, so that a RIB that matches before it
        // does not pass; at most a few seconds: when the DUT has nothing to send (iBGP routes
        // with only iBGP peers) the monitor's count stays short of the target.
        self.settle(deadline.min(Instant::now() + SETTLE_AT_MOST)).await;
        let s = self.checked_session(at)?;
        let own = s.config().local_asn;
        let rib = s.rib_in();
        let lines = || held_lines(&rib.snapshot(), own);
        // The RIB changes with every UPDATE: wait until it matches or the deadline passes.
        let _ = rib.wait_until(deadline, |_| lines() == want).await;
        let have = lines();
        if have == want {
            return Ok(Pass(format!("{at} holds exactly the {} expected routes", have.len())));
        }
        let want: BTreeSet<&String> = want.iter().collect();
        let have: BTreeSet<&String> = have.iter().collect();
        let missing: Vec<&str> = want.difference(&have).take(5).map(|l| l.as_str()).collect();
        let extra: Vec<&str> = have.difference(&want).take(5).map(|l| l.as_str()).collect();
        Err(CheckFailure::new(
            at,
            format!("exactly the {} given routes within {within:?}", want.len()),
            format!("holds other routes: missing {missing:?}, unexpected {extra:?}"),
        )
        .with_context(self.dut_log_tail()))
    }

    /// End-of-RIB of each family arrived at `at` after every route of that family it holds
    /// (RFC 4724 §2: the marker ends the initial update).
    pub(super) async fn end_of_rib_after_routes(
        &self,
        at: &str,
        families: &[Family],
        within: Duration,
        deadline: Instant,
    ) -> CheckResult {
        let s = self.checked_session(at)?;
        let mut done = Vec::new();
        for &f in families {
            let family = afi_safi(f);
            let arrived = s
                .rib_in()
                .wait_until(deadline, |_| s.rib_in().end_of_rib_at(family).is_some())
                .await;
            let Some(eor) = arrived.ok().and_then(|_| s.rib_in().end_of_rib_at(family)) else {
                return Err(CheckFailure::new(
                    at,
                    format!("End-of-RIB for {family} within {within:?}"),
                    "received none",
                ));
            };
            let routes: Vec<(Nlri, Route)> = s
                .rib_in()
                .snapshot()
                .into_iter()
                .filter(|(n, _)| n.prefix.addr().is_ipv4() == (f == Family::Ipv4))
                .collect();
            let late: Vec<String> = routes
                .iter()
                .filter(|(_, r)| r.received > eor)
                .take(5)
                .map(|(n, _)| n.prefix.to_string())
                .collect();
            if !late.is_empty() {
                return Err(CheckFailure::new(
                    at,
                    format!("End-of-RIB for {family} after every route of its table"),
                    format!("received End-of-RIB for {family} before routes such as {late:?}"),
                ));
            }
            done.push(format!("{family} after {} routes", routes.len()));
        }
        Ok(Pass(format!("{at} received End-of-RIB: {}", done.join(", "))))
    }
}
