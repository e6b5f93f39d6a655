//! Made-up reports for the subscribers' tests.

use std::path::PathBuf;
use std::time::Duration;

use super::model::{RunReport, StepReport, StepStatus};
use crate::dut::Column;
use crate::scenario::model::DutKind;

/// Step `index` (named `step N`), 0.25 s long.
pub fn step(index: usize, status: StepStatus, detail: &str) -> StepReport {
    StepReport {
        index,
        name: format!("step {}", index + 1),
        status,
        detail: detail.into(),
        duration: Duration::from_millis(250),
    }
}

/// A run of `scenario` on `kind` without a DUT version: 1.5 s, setup 0.125 s, teardown 0.05 s.
pub fn report(scenario: &str, kind: DutKind, steps: &[StepReport]) -> RunReport {
    RunReport {
        scenario: scenario.into(),
        kind: kind.name(),
        column: col(kind),
        dut: None,
        dut_usage: None,
        sender_rate: None,
        steps: steps.to_vec(),
        monitor: None,
        convergence: None,
        notes: Vec::new(),
        notifications: Vec::new(),
        duration: Duration::from_millis(1500),
        setup: Duration::from_millis(125),
        teardown: Duration::from_millis(50),
        artifacts: None,
        interrupted: None,
    }
}

/// The column of `kind` with no known installation (named as the kind).
pub fn col(kind: DutKind) -> Column {
    Column::of(kind, None)
}

/// A fresh path for one test's output file, under the workspace's target/.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/tmp/report")
        .join(format!("{}-{name}", std::process::id()))
        .join(format!("{:?}", std::thread::current().id()).replace(['(', ')'], ""));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join(name)
}
