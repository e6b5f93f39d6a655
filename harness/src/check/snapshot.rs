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
        self.snapshot(&self.snapshot_name(name), &lines.join("\n")).map_err(|got| {
            CheckFailure::new(format!("{at}'s RIB"), format!("snapshot {name}"), got)
        })?;
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
        self.snapshot(&self.snapshot_name(&d.snapshot), &diff.join("\n")).map_err(|got| {
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
        self.snapshot(&self.snapshot_name(name), &text)
            .map_err(|got| CheckFailure::new("the DUT's RIB", format!("snapshot {name}"), got))?;
        Ok(Pass(format!("DUT RIB ({} routes) matches snapshot {name}", routes.len())))
    }

    /// The file name (without `.snap`) of snapshot `name` for this run's DUT: the one of its
    /// version when the folder holds one (`SCENARIO__NAME__openbgpd@8.8`, else the version's
    /// shorter starts: `…__openbgpd@8`), else the daemon's (`SCENARIO__NAME__openbgpd`).
    fn snapshot_name(&self, name: &str) -> String {
        let base = format!("{}__{name}__{}", self.scenario.name, self.kind.name());
        let said = self.dut.as_ref().map(|d| d.version().to_string()).unwrap_or_default();
        let version = crate::dut::parse_version(&said).unwrap_or_default();
        versioned_snapshot(&self.snapshot_dir, &base, &version)
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

/// `BASE@VERSION`, or `BASE@` a shorter start of the version (cut at `.` or `-`), whichever is
/// the longest that has a `.snap` file in `dir`; `BASE` when none has.
fn versioned_snapshot(dir: &std::path::Path, base: &str, version: &str) -> String {
    let mut v = version;
    while !v.is_empty() {
        let name = format!("{base}@{v}");
        if dir.join(format!("{name}.{}", crate::snapshot::EXTENSION)).is_file() {
            return name;
        }
        v = v.rfind(['.', '-']).map_or("", |i| &v[..i]);
    }
    base.to_string()
}

#[cfg(test)]
mod tests {
    use super::versioned_snapshot;

    #[test]
    fn a_version_uses_its_own_snapshot_or_the_closest_start_of_its_version_or_the_daemons() {
        let dir = std::env::temp_dir().join(format!("bgpstorm-snap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["s__r__openbgpd.snap", "s__r__openbgpd@8.snap", "s__r__frr@10.3.snap"] {
            std::fs::write(dir.join(f), "---\n---\n").unwrap();
        }
        let name = |base, v| versioned_snapshot(&dir, base, v);
        assert_eq!(name("s__r__openbgpd", "8.8"), "s__r__openbgpd@8");
        assert_eq!(name("s__r__openbgpd", "8"), "s__r__openbgpd@8");
        assert_eq!(name("s__r__openbgpd", "7.7"), "s__r__openbgpd");
        assert_eq!(name("s__r__openbgpd", "80.1"), "s__r__openbgpd");
        assert_eq!(name("s__r__openbgpd", ""), "s__r__openbgpd");
        assert_eq!(name("s__r__frr", "10.3"), "s__r__frr@10.3");
        assert_eq!(name("s__r__frr", "10.3-dev"), "s__r__frr@10.3");
        assert_eq!(name("s__r__frr", "10.4"), "s__r__frr");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
