//! Checks on the wire monitor's view: convergence latencies, flap and community alerts,
//! hidden routes at the DUT, and a clean capture.

use std::time::Duration;

use bgpstorm_monitor::engine::Engine;
use ipnet::IpNet;
use tokio::time::Instant;

use super::{CheckFailure, CheckResult, Pass};
use crate::run::Runner;
use crate::scenario::model::Budget;

impl Runner<'_> {
    pub(super) async fn convergence(&self, b: &Budget, deadline: Instant) -> CheckResult {
        let w = self.monitor()?;
        // Wait for the DUT's answer to every change of the last action.
        self.settle(deadline).await;
        let s = w.shared.engine().convergence().summary();
        let worst = |f: fn(&bgpstorm_monitor::convergence::Latencies) -> u64| {
            f(&s.announce).max(f(&s.withdraw))
        };
        let (p50, p99, max) = (worst(|l| l.p50_us), worst(|l| l.p99_us), worst(|l| l.max_us));
        let us = |d: Duration| d.as_micros() as u64;
        let mut bad = Vec::new();
        let mut budgets = Vec::new();
        for (name, got, budget) in [("p50", p50, b.p50), ("p99", p99, b.p99), ("max", max, b.max)] {
            if let Some(limit) = budget {
                budgets.push(format!("{name} ≤ {:.3} ms", limit.as_secs_f64() * 1e3));
                if got > us(limit) {
                    bad.push(format!(
                        "{name} {:.3} ms > {:.3} ms",
                        got as f64 / 1e3,
                        limit.as_secs_f64() * 1e3
                    ));
                }
            }
        }
        let measured = s.announce.count + s.withdraw.count;
        if measured == 0 {
            bad.push("no convergence event was measured (no change crossed the DUT)".into());
        }
        let figures = format!(
            "{measured} events, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms, {} unconverged",
            p50 as f64 / 1e3,
            p99 as f64 / 1e3,
            max as f64 / 1e3,
            s.unconverged
        );
        if bad.is_empty() {
            Ok(Pass(format!("convergence: {figures}")))
        } else {
            Err(CheckFailure::new(
                "convergence",
                budgets.join(", "),
                format!("is over budget: {} ({figures})", bad.join(", ")),
            ))
        }
    }

    pub(super) async fn flap_alert(
        &self,
        prefixes: &[IpNet],
        raised: bool,
        deadline: Instant,
    ) -> CheckResult {
        let w = self.monitor()?;
        let alerted = |e: &Engine, p: &IpNet| e.flap_alerts().any(|a| a.nlri.prefix == *p);
        if raised {
            let ok = w.wait_for(deadline, |e| prefixes.iter().all(|p| alerted(e, p))).await;
            let e = w.shared.engine();
            let missing: Vec<String> =
                prefixes.iter().filter(|p| !alerted(&e, p)).map(|p| p.to_string()).collect();
            if !ok {
                return Err(CheckFailure::new(
                    "flap detection",
                    format!("a flap alert for each of {} prefixes", prefixes.len()),
                    format!("raised no flap alert for {}", missing.join(", ")),
                ));
            }
            Ok(Pass(format!("flap alert for {} prefixes", prefixes.len())))
        } else {
            let e = w.shared.engine();
            let wrong: Vec<String> =
                prefixes.iter().filter(|p| alerted(&e, p)).map(|p| p.to_string()).collect();
            if wrong.is_empty() {
                Ok(Pass(format!("no flap alert for {} steady prefixes", prefixes.len())))
            } else {
                Err(CheckFailure::new(
                    "flap detection",
                    "no flap alert",
                    format!("raised a flap alert for {}", wrong.join(", ")),
                ))
            }
        }
    }

    pub(super) async fn hidden(&self, p: IpNet, deadline: Instant) -> CheckResult {
        let w = self.monitor()?;
        if w.wait_for(deadline, |e| !e.rib().hidden(p).is_empty()).await {
            let n = w.shared.engine().rib().hidden(p).len();
            return Ok(Pass(format!("{p}: {n} hidden route(s) at the DUT")));
        }
        let paths = w
            .shared
            .engine()
            .rib()
            .routes(p, bgpstorm_monitor::rib::Match::Exact)
            .iter()
            .map(|r| r.paths.len())
            .sum::<usize>();
        Err(CheckFailure::new(
            p.to_string(),
            "a hidden route at the DUT",
            format!("has no hidden route at the DUT (the monitor sees {paths} path(s))"),
        ))
    }

    pub(super) async fn community_alert(&self, raised: bool, deadline: Instant) -> CheckResult {
        let w = self.monitor()?;
        let place = "community rules";
        if raised {
            if w.wait_for(deadline, |e| e.counters().community_alerts > 0).await {
                let e = w.shared.engine();
                let a = e
                    .community_alerts()
                    .next()
                    .map(|a| format!("{} on {} carries {}", a.nlri.prefix, a.flow, a.community))
                    .unwrap_or_default();
                Ok(Pass(format!("community alert: {a}")))
            } else {
                Err(CheckFailure::new(place, "a community alert", "raised no alert"))
            }
        } else {
            let e = w.shared.engine();
            match e.community_alerts().next() {
                None => Ok(Pass("no community alert".into())),
                Some(a) => Err(CheckFailure::new(
                    place,
                    "no community alert",
                    format!(
                        "raised an alert: {} on {} carries {} (rule {}: {})",
                        a.nlri.prefix, a.flow, a.community, a.rule, a.broke
                    ),
                )),
            }
        }
    }

    pub(super) fn clean(&self) -> CheckResult {
        let w = self.monitor()?;
        let e = w.shared.engine();
        let c = e.counters();
        let cap = w.shared.capture();
        let mut bad = Vec::new();
        if c.malformed > 0 {
            bad.push(format!("{} malformed messages", c.malformed));
        }
        if c.gap_bytes > 0 {
            bad.push(format!("{} bytes never captured", c.gap_bytes));
        }
        if cap.drops > 0 {
            bad.push(format!("{} capture drops", cap.drops));
        }
        if c.events_dropped > 0 {
            bad.push(format!("{} monitor events dropped", c.events_dropped));
        }
        let errors = self.dut.as_ref().map(|d| d.log_errors()).unwrap_or_default();
        if !errors.is_empty() {
            let first: Vec<&str> = errors.iter().take(3).map(String::as_str).collect();
            bad.push(format!(
                "DUT logged {} error line(s), the first: {}",
                errors.len(),
                first.join(" | ")
            ));
        }
        if bad.is_empty() {
            Ok(Pass(format!("clean: {} segments captured, 0 drops, 0 malformed", cap.events)))
        } else {
            Err(CheckFailure::new(
                "the capture and the DUT log",
                "clean",
                format!("are not clean: {}", bad.join(", ")),
            ))
        }
    }
}
