//! `--junit`: JUnit XML of the runs, a test suite per scenario and a test case per DUT kind;
//! pairs that did not apply or could not start are skipped cases with the reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::events::{self, Output, ReportError, Reporter, RunEvent};
use super::model::RunReport;

/// Gathers the runs and writes the JUnit report at the end.
pub struct JunitWriter {
    path: PathBuf,
    file: std::fs::File,
    ran: Vec<RunReport>,
    /// (scenario, DUT kind, why) of the pairs not run.
    skipped: Vec<(String, String, String)>,
}

impl JunitWriter {
    /// Creates the file at `path` now, so a path that cannot be written fails before any run.
    pub fn create(path: &Path) -> Result<Self, ReportError> {
        let file = events::create(Output::Junit, path)?;
        Ok(Self { path: path.to_path_buf(), file, ran: Vec::new(), skipped: Vec::new() })
    }

    /// The XML: the runs of a suite come first, then its skipped cases.
    fn xml(&self) -> Result<String, quick_junit::SerializeError> {
        let mut report = Report::new("bgpstorm");
        let mut suites: BTreeMap<String, TestSuite> = BTreeMap::new();
        for r in &self.ran {
            let suite = suites
                .entry(r.scenario.clone())
                .or_insert_with(|| TestSuite::new(r.scenario.clone()));
            suite.add_test_case(case(r));
        }
        for (scenario, dut, why) in &self.skipped {
            let suite =
                suites.entry(scenario.clone()).or_insert_with(|| TestSuite::new(scenario.clone()));
            let mut s = TestCaseStatus::skipped();
            s.set_message(why.clone());
            suite.add_test_case(TestCase::new(dut.as_str(), s));
        }
        report.add_test_suites(suites.into_values());
        report.to_string()
    }
}

/// A run as a test case: failed with the first failure (an error when a signal stopped it),
/// the steps as its output.
fn case(r: &RunReport) -> TestCase {
    let status = if let Some(why) = r.interruption() {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        s.set_message(why);
        s.set_type("interrupted");
        s
    } else if r.passed() {
        TestCaseStatus::success()
    } else {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_message(r.first_failure().unwrap_or_default());
        s
    };
    let mut case = TestCase::new(r.column.name.as_str(), status);
    case.set_time(r.duration);
    let out: Vec<String> = r
        .steps
        .iter()
        .map(|s| format!("{:?} {} {}: {}", s.status, s.index + 1, s.name, s.detail))
        .collect();
    case.set_system_out(out.join("\n"));
    case
}

impl Reporter for JunitWriter {
    fn event(&mut self, e: &RunEvent<'_>) {
        match e {
            RunEvent::RunFinished { report } => self.ran.push((*report).clone()),
            RunEvent::NotApplicable { scenario, dut, why } => self.skipped.push((
                scenario.to_string(),
                dut.name.clone(),
                format!("not applicable: {why}"),
            )),
            RunEvent::CouldNotStart { scenario, dut, why } => self.skipped.push((
                scenario.to_string(),
                dut.name.clone(),
                format!("could not run: {why}"),
            )),
            RunEvent::RunStarted { .. }
            | RunEvent::StepFinished { .. }
            | RunEvent::AllFinished { .. } => {}
        }
    }

    fn finish(&mut self) -> Result<(), ReportError> {
        let xml = self.xml().map_err(|e| ReportError::Write {
            output: Output::Junit,
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        events::write_all(Output::Junit, &self.path, &mut self.file, &xml)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::StepStatus;
    use crate::report::test_support::{col, report, scratch, step};
    use crate::scenario::model::DutKind;

    #[test]
    fn the_xml_parses_and_counts_runs_failures_and_skips_per_scenario() {
        let path = scratch("r.xml");
        let mut w = JunitWriter::create(&path).unwrap();
        let pass = report("a", DutKind::Bird, &[step(0, StepStatus::Passed, "ok")]);
        let fail = report("a", DutKind::Frr, &[step(0, StepStatus::Failed, "b holds 0")]);
        w.event(&RunEvent::RunFinished { report: &pass });
        w.event(&RunEvent::RunFinished { report: &fail });
        w.event(&RunEvent::NotApplicable { scenario: "b", dut: &col(DutKind::Bird), why: "none" });
        w.event(&RunEvent::CouldNotStart { scenario: "a", dut: &col(DutKind::Gobgp), why: "root" });
        w.finish().unwrap();
        let xml = std::fs::read_to_string(&path).unwrap();
        let parsed = Report::deserialize_from_str(&xml).unwrap();
        assert_eq!((parsed.tests, parsed.failures), (4, 1));
        let names: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let a = &parsed.test_suites[0];
        assert_eq!((a.tests, a.failures, a.disabled), (3, 1, 1));
        let cases: Vec<&str> = a.test_cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(cases, ["bird", "frr", "gobgp"]);
        assert_eq!(a.test_cases[0].time, Some(std::time::Duration::from_millis(1500)));
        let message = |c: &TestCase| match &c.status {
            TestCaseStatus::NonSuccess { message, .. }
            | TestCaseStatus::Skipped { message, .. } => {
                message.as_ref().map(|m| m.as_str().to_string())
            }
            TestCaseStatus::Success { .. } => None,
        };
        assert_eq!(message(&a.test_cases[1]).as_deref(), Some("step 1 (step 1): b holds 0"));
        assert_eq!(message(&a.test_cases[2]).as_deref(), Some("could not run: root"));
        assert_eq!(
            message(&parsed.test_suites[1].test_cases[0]).as_deref(),
            Some("not applicable: none")
        );
    }
}
