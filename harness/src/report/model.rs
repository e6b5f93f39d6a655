//! What a run produced: one [`StepReport`] per step inside a [`RunReport`] per run.

use std::path::PathBuf;
use std::time::Duration;

use bgpstorm_monitor::convergence::Summary;
use serde::Serialize;

use crate::dut::{Column, DutInfo};
use crate::run::WatchTotals;
use crate::scenario::Scenario;

/// A step's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    /// It did what it should.
    Passed,
    /// It did not.
    Failed,
    /// Not run: an earlier step failed, or the run was interrupted.
    Skipped,
    /// Stopped by SIGINT or SIGTERM while it ran, or as it was about to begin.
    Interrupted,
}

/// One step of a run.
#[derive(Clone, Debug, Serialize)]
pub struct StepReport {
    /// Position.
    pub index: usize,
    /// Name.
    pub name: String,
    /// Result.
    pub status: StepStatus,
    /// What happened (figures on success, the reason on failure).
    pub detail: String,
    /// How long it took.
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
}

fn column_name<S: serde::Serializer>(c: &Column, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&c.name)
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// A NOTIFICATION a speaker sent or received during a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeenNotification {
    /// The speaker.
    pub speaker: String,
    /// Whether the DUT sent it (the speaker received it).
    pub from_dut: bool,
    /// Error code (RFC 4271 §4.5).
    pub code: u8,
    /// Error subcode.
    pub subcode: u8,
    /// Whether the session was Established then (not: an answer to an OPEN).
    pub established: bool,
    /// Its description.
    pub text: String,
}

/// One run of one scenario with one DUT.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// Scenario name.
    pub scenario: String,
    /// DUT kind.
    pub kind: &'static str,
    /// The DUT as the matrix and `--dut` name it: `bird@2.0.12`, `frr=/opt/frr`, `none`.
    #[serde(serialize_with = "column_name")]
    pub column: Column,
    /// The DUT's version and files.
    pub dut: Option<DutInfo>,
    /// What the DUT used (taken before it stops).
    pub dut_usage: Option<crate::dut::DutUsage>,
    /// The largest sender capacity of an announcement (prefixes per second of the senders'
    /// busy time, backpressure excluded), to check the harness's headroom.
    pub sender_rate: Option<f64>,
    /// Steps.
    pub steps: Vec<StepReport>,
    /// The monitor's totals.
    pub monitor: Option<WatchTotals>,
    /// Convergence over the last measurement phase.
    pub convergence: Option<Summary>,
    /// Remarks (DUT log errors, monitor problems).
    pub notes: Vec<String>,
    /// Every NOTIFICATION the speakers sent or received, per speaker in order.
    pub notifications: Vec<SeenNotification>,
    /// Whole run.
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
    /// Building the network and starting the DUT, the monitor and the speakers.
    #[serde(serialize_with = "secs")]
    pub setup: Duration,
    /// Stopping and removing everything.
    #[serde(serialize_with = "secs")]
    pub teardown: Duration,
    /// Artifacts folder (kept on failure).
    pub artifacts: Option<PathBuf>,
    /// The signal that stopped the run (`"SIGINT"`, `"SIGTERM"`), if one did.
    pub interrupted: Option<&'static str>,
}

impl RunReport {
    /// An empty report of a run on `column`.
    pub fn new(s: &Scenario, column: Column) -> Self {
        Self {
            scenario: s.name.clone(),
            kind: column.kind.name(),
            column,
            dut: None,
            dut_usage: None,
            sender_rate: None,
            steps: Vec::new(),
            monitor: None,
            convergence: None,
            notes: Vec::new(),
            notifications: Vec::new(),
            duration: Duration::ZERO,
            setup: Duration::ZERO,
            teardown: Duration::ZERO,
            artifacts: None,
            interrupted: None,
        }
    }

    /// Whether it ran to its end and every step passed.
    pub fn passed(&self) -> bool {
        self.interrupted.is_none() && self.steps.iter().all(|s| s.status == StepStatus::Passed)
    }

    /// Where a signal stopped it: `interrupted by SIGINT in step 3 (NAME)` or `... during
    /// setup`; `None` when it was not interrupted.
    pub fn interruption(&self) -> Option<String> {
        let sig = self.interrupted?;
        Some(match self.steps.iter().find(|s| s.status == StepStatus::Interrupted) {
            Some(s) => format!("interrupted by {sig} in step {} ({})", s.index + 1, s.name),
            None => format!("interrupted by {sig} during setup"),
        })
    }

    /// The first failure's one-line reason.
    pub fn first_failure(&self) -> Option<String> {
        self.steps.iter().find(|s| s.status == StepStatus::Failed).map(|s| {
            format!(
                "step {} ({}): {}",
                s.index + 1,
                s.name,
                s.detail.lines().next().unwrap_or_default()
            )
        })
    }
}
