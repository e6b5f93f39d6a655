//! `--json`: every finished run's [`RunReport`], as one pretty-printed JSON array.

use std::path::{Path, PathBuf};

use super::events::{self, Output, ReportError, Reporter, RunEvent};
use super::model::RunReport;

/// Gathers the finished runs and writes them as JSON at the end.
pub struct JsonWriter {
    path: PathBuf,
    file: std::fs::File,
    reports: Vec<RunReport>,
}

impl JsonWriter {
    /// Creates the file at `path` now, so a path that cannot be written fails before any run.
    pub fn create(path: &Path) -> Result<Self, ReportError> {
        let file = events::create(Output::Json, path)?;
        Ok(Self { path: path.to_path_buf(), file, reports: Vec::new() })
    }

    /// The text written at the end.
    fn text(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(&self.reports)
    }
}

impl Reporter for JsonWriter {
    fn event(&mut self, e: &RunEvent<'_>) {
        if let RunEvent::RunFinished { report } = e {
            self.reports.push((*report).clone());
        }
    }

    fn finish(&mut self) -> Result<(), ReportError> {
        let text = self.text().map_err(|e| ReportError::Write {
            output: Output::Json,
            path: self.path.clone(),
            source: e.into(),
        })?;
        events::write_all(Output::Json, &self.path, &mut self.file, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::StepStatus;
    use crate::report::test_support::{col, report, scratch, step};
    use crate::scenario::model::DutKind;

    #[test]
    fn the_file_holds_each_finished_run_with_its_steps_and_nothing_else() {
        let path = scratch("r.json");
        let mut w = JsonWriter::create(&path).unwrap();
        let r = report(
            "quickstart",
            DutKind::Bird,
            &[step(0, StepStatus::Passed, "ok"), step(1, StepStatus::Failed, "no")],
        );
        w.event(&RunEvent::StepFinished { step: &r.steps[0], total: 2 });
        w.event(&RunEvent::RunFinished { report: &r });
        w.event(&RunEvent::NotApplicable { scenario: "q", dut: &col(DutKind::Frr), why: "x" });
        w.finish().unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let runs = v.as_array().unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0]["scenario"], "quickstart");
        assert_eq!(runs[0]["kind"], "bird");
        assert_eq!(runs[0]["duration"], 1.5);
        assert_eq!(runs[0]["steps"][1]["status"], "failed");
        assert_eq!(runs[0]["steps"][1]["detail"], "no");
        assert_eq!(runs[0]["steps"][0]["duration"], 0.25);
    }
}
