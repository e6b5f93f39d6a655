//! Snapshot checks: `at`'s RIB, the difference of `at`'s RIB since a named snapshot, and the
//! DUT's own RIB, each compared with an insta snapshot in the snapshot folder.

use std::collections::BTreeSet;

use tokio::time::Instant;

use super::{CheckFailure, CheckResult, Pass, rib_lines};
use crate::run::Runner;
use crate::scenario::model::RibDiff;

impl Runner<'_> {
    pub(super) async fn rib_snapshot(
        &self,
        at: &str,
        name: &str,
        deadline: Instant,
    ) -> CheckResult {
        // Compare once the DUT has answered the last change.
        self.settle(deadline).await;
        let s = self.checked_session(at)?;
        let lines = rib_lines(&s.rib_in().snapshot());
        self.snapshot(
            &format!("{}__{name}__{}", self.scenario.name, self.kind.name()),
            &lines.join("\n"),
        )
        .map_err(|got| CheckFailure::new(format!("{at}'s RIB"), format!("snapshot {name}"), got))?;
        Ok(Pass(format!("{at}'s RIB matches snapshot {name}")))
    }

    pub(super) async fn rib_diff(&self, at: &str, d: &RibDiff, deadline: Instant) -> CheckResult {
        self.settle(deadline).await;
        let s = self.checked_session(at)?;
        let before = self.named.get(&d.from).and_then(|m| m.get(at)).ok_or_else(|| {
            CheckFailure::new(at, format!("a snapshot named {:?} taken before", d.from), "has none")
        })?;
        let now: BTreeSet<String> = rib_lines(&s.rib_in().snapshot()).into_iter().collect();
        let before: BTreeSet<String> = before.iter().cloned().collect();
        let mut diff: Vec<String> = before.difference(&now).map(|l| format!("- {l}")).collect();
        diff.extend(now.difference(&before).map(|l| format!("+ {l}")));
        diff.sort_by(|a, b| a[2..].cmp(&b[2..]).then(a.cmp(b)));
        self.snapshot(
            &format!("{}__{}__{}", self.scenario.name, d.snapshot, self.kind.name()),
            &diff.join("\n"),
        )
        .map_err(|got| {
            CheckFailure::new(
                format!("{at}'s RIB since {}", d.from),
                format!("snapshot {}", d.snapshot),
                got,
            )
        })?;
        Ok(Pass(format!(
            "{at}'s RIB since {} matches snapshot {} ({} lines)",
            d.from,
            d.snapshot,
            diff.len()
        )))
    }

    pub(super) async fn dut_rib(&self, name: &str, deadline: Instant) -> CheckResult {
        self.settle(deadline).await;
        let dut = self
            .dut
            .as_ref()
            .ok_or_else(|| CheckFailure::new("dut_rib", "a DUT", "has none (dut: none)"))?;
        let routes = dut
            .rib(self.topo.node(0))
            .map_err(|e| CheckFailure::new("the DUT", "its RIB", format!("cannot say: {e}")))?;
        let text = serde_json::to_string_pretty(&routes).unwrap_or_default();
        self.snapshot(&format!("{}__{name}__{}", self.scenario.name, self.kind.name()), &text)
            .map_err(|got| CheckFailure::new("the DUT's RIB", format!("snapshot {name}"), got))?;
        Ok(Pass(format!("DUT RIB ({} routes) matches snapshot {name}", routes.len())))
    }

    /// Compares `content` with snapshot `name` (insta's file format) in the snapshot folder.
    fn snapshot(&self, name: &str, content: &str) -> Result<(), String> {
        let mode = crate::snapshot::Mode::from_env();
        match crate::snapshot::check(&self.snapshot_dir, name, file!(), content, mode) {
            Ok(crate::snapshot::Passed::Matched) => Ok(()),
            Ok(note) => {
                eprintln!("{note}");
                Ok(())
            }
            Err(e) => Err(e.to_string()),
        }
    }
}
