//! The compatibility matrix: rows scenarios, columns daemons. `--matrix` writes it as
//! Markdown; [`CellFiles`] writes one JSON file per cell, the input of `ci/matrix`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::events::{self, Output, ReportError, Reporter, RunEvent};
use crate::scenario::model::DutKind;

/// What a (scenario, DUT kind) pair came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// It ran and every step passed, in this many seconds.
    Passed(f64),
    /// It ran and failed: the first failure, in this many seconds.
    Failed(String, f64),
    /// The scenario does not apply to the DUT kind: why.
    NotApplicable(String),
    /// It could not start (environment): why.
    Environment(String),
    /// A signal stopped it: where, in this many seconds.
    Interrupted(String, f64),
}

impl Cell {
    /// The cell an event settles, with its scenario and DUT kind.
    pub fn of(e: &RunEvent<'_>) -> Option<(String, DutKind, Cell)> {
        match e {
            RunEvent::RunFinished { report } => {
                let kind = DutKind::DAEMONS
                    .into_iter()
                    .chain([DutKind::None])
                    .find(|k| k.name() == report.kind)?;
                let secs = report.duration.as_secs_f64();
                let cell = if let Some(why) = report.interruption() {
                    Cell::Interrupted(why, secs)
                } else if report.passed() {
                    Cell::Passed(secs)
                } else {
                    Cell::Failed(report.first_failure().unwrap_or_default(), secs)
                };
                Some((report.scenario.clone(), kind, cell))
            }
            RunEvent::NotApplicable { scenario, kind, why } => {
                Some((scenario.to_string(), *kind, Cell::NotApplicable(why.to_string())))
            }
            RunEvent::CouldNotStart { scenario, kind, why } => {
                Some((scenario.to_string(), *kind, Cell::Environment(why.to_string())))
            }
            RunEvent::RunStarted { .. }
            | RunEvent::StepFinished { .. }
            | RunEvent::AllFinished { .. } => None,
        }
    }

    /// The Markdown text: pass / FAIL with the first line / n/a with why / could not run.
    fn markdown(&self) -> String {
        match self {
            Cell::Passed(secs) => format!("pass ({secs:.1}s)"),
            Cell::Failed(first, _) => format!("**FAIL**: {}", first.replace('|', "/")),
            Cell::NotApplicable(why) => format!("n/a: {why}"),
            Cell::Environment(why) => format!(
                "**could not run**: {}",
                why.lines().next().unwrap_or_default().replace('|', "/")
            ),
            Cell::Interrupted(why, _) => format!("**interrupted**: {why}"),
        }
    }
}

/// Gathers the cells and writes the Markdown matrix at the end.
pub struct MatrixWriter {
    path: PathBuf,
    file: std::fs::File,
    cells: Vec<(String, DutKind, Cell)>,
}

impl MatrixWriter {
    /// Creates the file at `path` now, so a path that cannot be written fails before any run.
    pub fn create(path: &Path) -> Result<Self, ReportError> {
        let file = events::create(Output::Matrix, path)?;
        Ok(Self { path: path.to_path_buf(), file, cells: Vec::new() })
    }
}

impl Reporter for MatrixWriter {
    fn event(&mut self, e: &RunEvent<'_>) {
        self.cells.extend(Cell::of(e));
    }

    fn finish(&mut self) -> Result<(), ReportError> {
        let text = markdown(&self.cells);
        events::write_all(Output::Matrix, &self.path, &mut self.file, &text)
    }
}

/// The matrix as a Markdown table, rows in the order the scenarios ran.
pub fn markdown(cells: &[(String, DutKind, Cell)]) -> String {
    let mut kinds: Vec<DutKind> = cells.iter().map(|(_, k, _)| *k).collect();
    kinds.sort();
    kinds.dedup();
    let mut rows: Vec<&String> = cells.iter().map(|(s, _, _)| s).collect();
    rows.dedup();
    let mut out = format!(
        "| scenario | {} |\n|---|{}\n",
        kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(" | "),
        "---|".repeat(kinds.len())
    );
    for row in rows {
        let mut line = format!("| {row} |");
        for k in &kinds {
            let cell = cells.iter().find(|(s, kk, _)| s == row && kk == k).map(|(_, _, c)| c);
            let text = cell.map_or_else(|| "—".to_string(), Cell::markdown);
            line.push_str(&format!(" {text} |"));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// One cell as `ci/matrix` reads it (fields in the order serde_json has always written them).
#[derive(Debug, Serialize)]
struct CellFile<'a> {
    detail: &'a str,
    dut: &'static str,
    scenario: &'a str,
    seconds: f64,
    status: &'static str,
}

/// The JSON text of one cell file: `{"detail":…,"dut":…,"scenario":…,"seconds":…,"status":…}`.
pub fn cell_json(scenario: &str, kind: DutKind, cell: &Cell) -> String {
    let (status, detail, seconds) = match cell {
        Cell::Passed(s) => ("pass", "", *s),
        Cell::Failed(f, s) => ("fail", f.as_str(), *s),
        Cell::NotApplicable(w) => ("n/a", w.as_str(), 0.0),
        Cell::Environment(w) => ("env", w.as_str(), 0.0),
        Cell::Interrupted(w, s) => ("interrupted", w.as_str(), *s),
    };
    let file = CellFile { detail, dut: kind.name(), scenario, seconds, status };
    serde_json::to_string(&file).unwrap_or_default()
}

/// Writes each cell, as soon as it is settled, to `DIR/SCENARIO__DAEMON.json` for `ci/matrix`.
pub struct CellFiles {
    dir: PathBuf,
    error: Option<ReportError>,
}

impl CellFiles {
    /// Cells go into `dir` (made when the first cell is written).
    pub fn new(dir: &Path) -> Self {
        Self { dir: dir.to_path_buf(), error: None }
    }

    fn write(&self, scenario: &str, kind: DutKind, cell: &Cell) -> Result<(), ReportError> {
        let path = self.dir.join(format!("{scenario}__{}.json", kind.name()));
        let fail = |source| ReportError::Write { output: Output::Cell, path: path.clone(), source };
        std::fs::create_dir_all(&self.dir).map_err(fail)?;
        std::fs::write(&path, cell_json(scenario, kind, cell)).map_err(fail)
    }
}

impl Reporter for CellFiles {
    fn event(&mut self, e: &RunEvent<'_>) {
        if let Some((scenario, kind, cell)) = Cell::of(e)
            && let Err(err) = self.write(&scenario, kind, &cell)
        {
            self.error.get_or_insert(err);
        }
    }

    fn finish(&mut self) -> Result<(), ReportError> {
        self.error.take().map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::StepStatus;
    use crate::report::test_support::{report, scratch, step};

    fn events_of_two_scenarios(w: &mut dyn Reporter) {
        let pass = report("a", DutKind::Frr, &[step(0, StepStatus::Passed, "ok")]);
        let fail = report("a", DutKind::Bird, &[step(1, StepStatus::Failed, "x | y\nmore")]);
        w.event(&RunEvent::RunFinished { report: &pass });
        w.event(&RunEvent::RunFinished { report: &fail });
        w.event(&RunEvent::NotApplicable { scenario: "b", kind: DutKind::Frr, why: "frr only" });
        w.event(&RunEvent::CouldNotStart { scenario: "b", kind: DutKind::Bird, why: "root\n2" });
    }

    #[test]
    fn the_markdown_has_a_row_per_scenario_and_a_column_per_daemon() {
        let path = scratch("m.md");
        let mut w = MatrixWriter::create(&path).unwrap();
        events_of_two_scenarios(&mut w);
        w.finish().unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "| scenario | bird | frr |\n\
             |---|---|---|\n\
             | a | **FAIL**: step 2 (step 2): x / y | pass (1.5s) |\n\
             | b | **could not run**: root | n/a: frr only |\n"
        );
    }

    #[test]
    fn a_cell_file_is_what_ci_matrix_reads() {
        let path = scratch("cells");
        let dir = path.parent().unwrap().join("cells");
        let mut w = CellFiles::new(&dir);
        events_of_two_scenarios(&mut w);
        w.finish().unwrap();
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        assert_eq!(
            read("a__frr.json"),
            r#"{"detail":"","dut":"frr","scenario":"a","seconds":1.5,"status":"pass"}"#
        );
        assert_eq!(
            read("a__bird.json"),
            r#"{"detail":"step 2 (step 2): x | y","dut":"bird","scenario":"a","seconds":1.5,"status":"fail"}"#
        );
        assert_eq!(
            read("b__frr.json"),
            r#"{"detail":"frr only","dut":"frr","scenario":"b","seconds":0.0,"status":"n/a"}"#
        );
        assert_eq!(
            read("b__bird.json"),
            r#"{"detail":"root\n2","dut":"bird","scenario":"b","seconds":0.0,"status":"env"}"#
        );
    }

    #[test]
    fn a_cell_file_matches_the_bytes_of_a_json_object_with_the_same_fields() {
        let cell = Cell::Failed("why \"quoted\"".into(), 2.25);
        let old = serde_json::json!({"scenario": "s", "dut": "gobgp", "status": "fail",
            "detail": "why \"quoted\"", "seconds": 2.25});
        assert_eq!(cell_json("s", DutKind::Gobgp, &cell), old.to_string());
    }
}
