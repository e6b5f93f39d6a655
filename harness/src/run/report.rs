//! Reports of runs: a line per step as nextest prints tests, a summary, JSON, JUnit.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use bgpstorm_monitor::convergence::Summary;
use serde::Serialize;

use super::watch::WatchTotals;
use crate::dut::DutInfo;
use crate::scenario::Scenario;
use crate::scenario::model::DutKind;

/// A step's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    /// It did what it should.
    Passed,
    /// It did not.
    Failed,
    /// Not run: an earlier step failed.
    Skipped,
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

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// One run of one scenario with one DUT.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// Scenario name.
    pub scenario: String,
    /// DUT kind.
    pub kind: &'static str,
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
}

impl RunReport {
    /// An empty report.
    pub fn new(s: &Scenario, kind: DutKind) -> Self {
        Self {
            scenario: s.name.clone(),
            kind: kind.name(),
            dut: None,
            dut_usage: None,
            sender_rate: None,
            steps: Vec::new(),
            monitor: None,
            convergence: None,
            notes: Vec::new(),
            duration: Duration::ZERO,
            setup: Duration::ZERO,
            teardown: Duration::ZERO,
            artifacts: None,
        }
    }

    /// Whether every step passed.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.status == StepStatus::Passed)
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

fn colour(code: &str, text: &str) -> String {
    if std::io::stdout().is_terminal() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// `    PASS [  0.512s] 2/6 announce 10k — announced 10000 prefixes ...`
pub fn print_step(s: &StepReport, total: usize) {
    let (label, code) = match s.status {
        StepStatus::Passed => ("PASS", "32"),
        StepStatus::Failed => ("FAIL", "31;1"),
        StepStatus::Skipped => ("SKIP", "33"),
    };
    let first = s.detail.lines().next().unwrap_or_default();
    println!(
        "    {} [{:>8.3}s] {}/{} {} — {first}",
        colour(code, label),
        s.duration.as_secs_f64(),
        s.index + 1,
        total,
        s.name
    );
    for more in s.detail.lines().skip(1) {
        println!("        {more}");
    }
}

/// The end-of-run summary for one scenario.
pub fn print_summary(r: &RunReport) {
    let status = if r.passed() { colour("32", "PASS") } else { colour("31;1", "FAIL") };
    let version = r.dut.as_ref().map(|d| d.version.clone()).unwrap_or_else(|| "no DUT".into());
    println!(
        "{status} [{:>8.3}s] {} on {} ({version}; setup {:.3}s, teardown {:.3}s)",
        r.duration.as_secs_f64(),
        r.scenario,
        r.kind,
        r.setup.as_secs_f64(),
        r.teardown.as_secs_f64()
    );
    if let Some(c) = &r.convergence
        && c.announce.count + c.withdraw.count > 0
    {
        println!(
            "        convergence: announce p50 {:.3} ms p99 {:.3} ms max {:.3} ms ({} prefixes); withdraw p99 {:.3} ms max {:.3} ms ({})",
            c.announce.p50_us as f64 / 1e3,
            c.announce.p99_us as f64 / 1e3,
            c.announce.max_us as f64 / 1e3,
            c.announce.count,
            c.withdraw.p99_us as f64 / 1e3,
            c.withdraw.max_us as f64 / 1e3,
            c.withdraw.count
        );
    }
    if let Some(m) = &r.monitor {
        println!(
            "        monitor: {} records, {} payload bytes, {} drops",
            m.capture.records_read,
            m.capture.payload_bytes_read,
            m.capture.drops()
        );
    }
    for n in &r.notes {
        println!("        note: {n}");
    }
    if let Some(a) = &r.artifacts {
        println!("        artifacts: {}", a.display());
    }
}

/// JUnit XML of several runs: a test suite per scenario, a test case per DUT kind.
pub fn junit(reports: &[RunReport], skipped: &[(String, String, String)]) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("bgpstorm");
    let mut suites: std::collections::BTreeMap<String, TestSuite> = Default::default();
    for r in reports {
        let suite =
            suites.entry(r.scenario.clone()).or_insert_with(|| TestSuite::new(r.scenario.clone()));
        let status = if r.passed() {
            TestCaseStatus::success()
        } else {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(r.first_failure().unwrap_or_default());
            s
        };
        let mut case = TestCase::new(r.kind, status);
        case.set_time(r.duration);
        let out: Vec<String> = r
            .steps
            .iter()
            .map(|s| format!("{:?} {} {}: {}", s.status, s.index + 1, s.name, s.detail))
            .collect();
        case.set_system_out(out.join("\n"));
        suite.add_test_case(case);
    }
    for (scenario, kind, why) in skipped {
        let suite =
            suites.entry(scenario.clone()).or_insert_with(|| TestSuite::new(scenario.clone()));
        let mut s = TestCaseStatus::skipped();
        s.set_message(why.clone());
        suite.add_test_case(TestCase::new(kind.clone(), s));
    }
    report.add_test_suites(suites.into_values());
    report.to_string().unwrap_or_default()
}
