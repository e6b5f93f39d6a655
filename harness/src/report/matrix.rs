//! The compatibility matrix: rows scenarios, columns daemon versions (`bird@2.0.12`,
//! `bird@3.1.8`, …). `--matrix` writes it as Markdown, with the differences between versions
//! of one daemon below it; [`CellFiles`] writes one JSON file per cell, the input of
//! `ci/matrix`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::events::{self, Output, ReportError, Reporter, RunEvent};
use crate::dut::Column;
use crate::scenario::model::DutKind;

/// What a (scenario, DUT) pair came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// It ran and every step passed, in this many seconds.
    Passed(f64),
    /// It ran and failed: the first failure, in this many seconds.
    Failed(String, f64),
    /// The scenario does not apply to the DUT (its kind or its version): why.
    NotApplicable(String),
    /// It could not start (environment): why.
    Environment(String),
    /// A signal stopped it: where, in this many seconds.
    Interrupted(String, f64),
}

impl Cell {
    /// The cell an event settles, with its scenario and DUT column.
    pub fn of(e: &RunEvent<'_>) -> Option<(String, Column, Cell)> {
        match e {
            RunEvent::RunFinished { report } => {
                let secs = report.duration.as_secs_f64();
                let cell = if let Some(why) = report.interruption() {
                    Cell::Interrupted(why, secs)
                } else if report.passed() {
                    Cell::Passed(secs)
                } else {
                    Cell::Failed(report.first_failure().unwrap_or_default(), secs)
                };
                Some((report.scenario.clone(), report.column.clone(), cell))
            }
            RunEvent::NotApplicable { scenario, dut, why } => {
                Some((scenario.to_string(), (*dut).clone(), Cell::NotApplicable(why.to_string())))
            }
            RunEvent::CouldNotStart { scenario, dut, why } => {
                Some((scenario.to_string(), (*dut).clone(), Cell::Environment(why.to_string())))
            }
            RunEvent::RunStarted { .. }
            | RunEvent::StepFinished { .. }
            | RunEvent::AllFinished { .. } => None,
        }
    }

    /// The status word of a cell file and of the differences: `pass`, `fail`, `n/a`, `env`,
    /// `interrupted`.
    pub fn status(&self) -> &'static str {
        match self {
            Cell::Passed(_) => "pass",
            Cell::Failed(..) => "fail",
            Cell::NotApplicable(_) => "n/a",
            Cell::Environment(_) => "env",
            Cell::Interrupted(..) => "interrupted",
        }
    }

    /// The Markdown text: pass / FAIL / n/a / could not run / interrupted, with the first
    /// line of the reason ([`first_line`]).
    fn markdown(&self) -> String {
        match self {
            Cell::Passed(secs) => format!("pass ({secs:.1}s)"),
            Cell::Failed(first, _) => format!("**FAIL**: {}", first_line(first)),
            Cell::NotApplicable(why) => format!("n/a: {}", first_line(why)),
            Cell::Environment(why) => format!("**could not run**: {}", first_line(why)),
            Cell::Interrupted(why, _) => format!("**interrupted**: {}", first_line(why)),
        }
    }
}

/// Gathers the cells and writes the Markdown matrix at the end.
pub struct MatrixWriter {
    path: PathBuf,
    file: std::fs::File,
    cells: Vec<(String, Column, Cell)>,
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

/// The columns of `cells`, each once, by daemon and then version.
fn columns(cells: &[(String, Column, Cell)]) -> Vec<&Column> {
    let mut cols: Vec<&Column> = cells.iter().map(|(_, c, _)| c).collect();
    cols.sort_by_key(|c| c.sort_key());
    cols.dedup_by(|a, b| a.name == b.name);
    cols
}

/// The scenarios of `cells`, each once, in the order they ran.
fn rows(cells: &[(String, Column, Cell)]) -> Vec<&String> {
    let mut rows: Vec<&String> = Vec::new();
    for (s, _, _) in cells {
        if !rows.contains(&s) {
            rows.push(s);
        }
    }
    rows
}

/// The cell of (`row`, `col`).
fn cell_at<'a>(cells: &'a [(String, Column, Cell)], row: &str, col: &Column) -> Option<&'a Cell> {
    cells.iter().find(|(s, c, _)| s == row && c.name == col.name).map(|(_, _, c)| c)
}

/// The matrix as a Markdown table, rows in the order the scenarios ran, then the differences
/// between versions of one daemon ([`differences`]) when there are any.
pub fn markdown(cells: &[(String, Column, Cell)]) -> String {
    let cols = columns(cells);
    let mut out = format!(
        "| scenario | {} |\n|---|{}\n",
        cols.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(" | "),
        "---|".repeat(cols.len())
    );
    for row in rows(cells) {
        let mut line = format!("| {row} |");
        for col in &cols {
            let text = cell_at(cells, row, col).map_or_else(|| "—".to_string(), Cell::markdown);
            line.push_str(&format!(" {text} |"));
        }
        out.push_str(&line);
        out.push('\n');
    }
    let diffs = differences(cells);
    if !diffs.is_empty() {
        out.push_str("\nDifferences between versions:\n\n");
        for d in diffs {
            out.push_str(&format!("- {d}\n"));
        }
    }
    out
}

/// One line per (scenario, daemon) whose versions' cells differ in status, e.g.
/// `route-refresh, openbgpd: openbgpd@7.7 n/a (…); openbgpd@8.8 pass`.
pub fn differences(cells: &[(String, Column, Cell)]) -> Vec<String> {
    let cols = columns(cells);
    let mut out = Vec::new();
    for row in rows(cells) {
        for kind in DutKind::DAEMONS {
            let of_kind: Vec<(&Column, &Cell)> = cols
                .iter()
                .filter(|c| c.kind == kind)
                .filter_map(|col| Some((*col, cell_at(cells, row, col)?)))
                .collect();
            let first = of_kind.first().map(|(_, c)| c.status());
            if of_kind.iter().all(|(_, c)| Some(c.status()) == first) {
                continue;
            }
            let each: Vec<String> = of_kind
                .iter()
                .map(|(col, cell)| match cell {
                    Cell::Passed(_) => format!("{col} pass"),
                    Cell::Failed(why, _)
                    | Cell::NotApplicable(why)
                    | Cell::Environment(why)
                    | Cell::Interrupted(why, _) => {
                        format!("{col} {} ({})", cell.status(), first_line(why))
                    }
                })
                .collect();
            out.push(format!("{row}, {}: {}", kind.name(), each.join("; ")));
        }
    }
    out
}

/// The first line of a reason without `|` (a table separator), cut to 157 characters and
/// `...` when longer than 160.
fn first_line(why: &str) -> String {
    let line = why.lines().next().unwrap_or_default().replace('|', "/");
    if line.chars().count() > 160 {
        format!("{}...", line.chars().take(157).collect::<String>())
    } else {
        line
    }
}

/// One cell as `ci/matrix` reads it (fields in alphabetical order).
#[derive(Debug, Serialize)]
struct CellFile<'a> {
    detail: &'a str,
    /// The column: `bird@2.0.12`, `frr=/opt/frr`, `none`.
    dut: &'a str,
    kind: &'static str,
    scenario: &'a str,
    seconds: f64,
    status: &'static str,
    version: Option<&'a str>,
}

/// The JSON text of one cell file:
/// `{"detail":…,"dut":…,"kind":…,"scenario":…,"seconds":…,"status":…,"version":…}`.
pub fn cell_json(scenario: &str, dut: &Column, cell: &Cell) -> String {
    let (detail, seconds) = match cell {
        Cell::Passed(s) => ("", *s),
        Cell::Failed(f, s) | Cell::Interrupted(f, s) => (f.as_str(), *s),
        Cell::NotApplicable(w) | Cell::Environment(w) => (w.as_str(), 0.0),
    };
    let file = CellFile {
        detail,
        dut: &dut.name,
        kind: dut.kind.name(),
        scenario,
        seconds,
        status: cell.status(),
        version: dut.version.as_deref(),
    };
    serde_json::to_string(&file).unwrap_or_default()
}

/// The file name of a cell: `SCENARIO__COLUMN.json`, with every character of the column
/// other than letters, digits, `@`, `.`, `-` and `_` written as `_` (`frr=/opt/frr` becomes
/// `frr__opt_frr`).
pub fn cell_file_name(scenario: &str, dut: &Column) -> String {
    let col: String = dut
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "@.-_".contains(c) { c } else { '_' })
        .collect();
    format!("{scenario}__{col}.json")
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

    fn write(&self, scenario: &str, dut: &Column, cell: &Cell) -> Result<(), ReportError> {
        let path = self.dir.join(cell_file_name(scenario, dut));
        let fail = |source| ReportError::Write { output: Output::Cell, path: path.clone(), source };
        std::fs::create_dir_all(&self.dir).map_err(fail)?;
        std::fs::write(&path, cell_json(scenario, dut, cell)).map_err(fail)
    }
}

impl Reporter for CellFiles {
    fn event(&mut self, e: &RunEvent<'_>) {
        if let Some((scenario, dut, cell)) = Cell::of(e)
            && let Err(err) = self.write(&scenario, &dut, &cell)
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
    use crate::dut::{Installed, Source};
    use crate::report::model::StepStatus;
    use crate::report::test_support::{col, report, scratch, step};

    fn events_of_two_scenarios(w: &mut dyn Reporter) {
        let pass = report("a", DutKind::Frr, &[step(0, StepStatus::Passed, "ok")]);
        let fail = report("a", DutKind::Bird, &[step(1, StepStatus::Failed, "x | y\nmore")]);
        w.event(&RunEvent::RunFinished { report: &pass });
        w.event(&RunEvent::RunFinished { report: &fail });
        w.event(&RunEvent::NotApplicable {
            scenario: "b",
            dut: &col(DutKind::Frr),
            why: "frr only",
        });
        w.event(&RunEvent::CouldNotStart {
            scenario: "b",
            dut: &col(DutKind::Bird),
            why: "root\n2",
        });
    }

    /// The column of `kind` at `version` from the host (`root` false) or the debian13 root.
    fn version(kind: DutKind, version: &str, root: bool) -> Column {
        let source = if root {
            Source::Root { name: Some("debian13".into()), path: "/r".into() }
        } else {
            Source::Host
        };
        let i = Installed { kind, version: version.into(), source, path: String::new() };
        Column::of(kind, Some(&i))
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
    fn versions_of_a_daemon_are_columns_side_by_side_and_their_differences_are_listed() {
        let (old, new) =
            (version(DutKind::Openbgpd, "7.7", false), version(DutKind::Openbgpd, "8.8", true));
        let bird = version(DutKind::Bird, "2.0.12", false);
        let mut passed = report("refresh", DutKind::Openbgpd, &[step(0, StepStatus::Passed, "ok")]);
        passed.column = new.clone();
        let mut same = report("refresh", DutKind::Bird, &[step(0, StepStatus::Passed, "ok")]);
        same.column = bird.clone();
        let path = scratch("v.md");
        let mut w = MatrixWriter::create(&path).unwrap();
        w.event(&RunEvent::RunFinished { report: &passed });
        w.event(&RunEvent::RunFinished { report: &same });
        w.event(&RunEvent::NotApplicable {
            scenario: "refresh",
            dut: &old,
            why: "ignores it | 7.7\nmore",
        });
        w.finish().unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "| scenario | bird@2.0.12 | openbgpd@7.7 | openbgpd@8.8 |\n\
             |---|---|---|---|\n\
             | refresh | pass (1.5s) | n/a: ignores it / 7.7 | pass (1.5s) |\n\
             \n\
             Differences between versions:\n\
             \n\
             - refresh, openbgpd: openbgpd@7.7 n/a (ignores it / 7.7); openbgpd@8.8 pass\n"
        );
    }

    #[test]
    fn a_cell_file_is_what_ci_matrix_reads() {
        let path = scratch("cells");
        let dir = path.parent().unwrap().join("cells");
        let mut w = CellFiles::new(&dir);
        events_of_two_scenarios(&mut w);
        let mut root = report("c", DutKind::Frr, &[step(0, StepStatus::Passed, "ok")]);
        root.column = version(DutKind::Frr, "10.3", true);
        w.event(&RunEvent::RunFinished { report: &root });
        let user = Installed {
            kind: DutKind::Frr,
            version: "10.5-dev".into(),
            source: Source::Prefix { path: "/opt/frr".into() },
            path: String::new(),
        };
        let user = Column::of(DutKind::Frr, Some(&user));
        w.event(&RunEvent::NotApplicable { scenario: "c", dut: &user, why: "x" });
        w.finish().unwrap();
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        assert_eq!(
            read("a__frr.json"),
            r#"{"detail":"","dut":"frr","kind":"frr","scenario":"a","seconds":1.5,"status":"pass","version":null}"#
        );
        assert_eq!(
            read("a__bird.json"),
            r#"{"detail":"step 2 (step 2): x | y","dut":"bird","kind":"bird","scenario":"a","seconds":1.5,"status":"fail","version":null}"#
        );
        assert_eq!(
            read("b__frr.json"),
            r#"{"detail":"frr only","dut":"frr","kind":"frr","scenario":"b","seconds":0.0,"status":"n/a","version":null}"#
        );
        assert_eq!(
            read("b__bird.json"),
            r#"{"detail":"root\n2","dut":"bird","kind":"bird","scenario":"b","seconds":0.0,"status":"env","version":null}"#
        );
        assert_eq!(
            read("c__frr@10.3.json"),
            r#"{"detail":"","dut":"frr@10.3","kind":"frr","scenario":"c","seconds":1.5,"status":"pass","version":"10.3"}"#
        );
        assert_eq!(
            read("c__frr__opt_frr.json"),
            r#"{"detail":"x","dut":"frr=/opt/frr","kind":"frr","scenario":"c","seconds":0.0,"status":"n/a","version":"10.5-dev"}"#
        );
    }
}
