//! `bgpstorm run FILE|DIR... [--dut KIND,...]`: run scenarios, print a line per step and a
//! summary, write JSON / JUnit / a Markdown compatibility matrix, exit 0 (all passed),
//! 1 (an assertion failed), 2 (invalid scenario or usage) or 3 (environment).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::monitor_cmd::exit;
use crate::run::{self, RunError, RunOptions, RunReport, report};
use crate::scenario::{self, model::DutKind};

/// Options of `bgpstorm run`.
#[derive(Clone, Debug)]
pub struct Options {
    /// Scenario files or directories.
    pub paths: Vec<PathBuf>,
    /// DUT kinds (empty: each scenario's own).
    pub duts: Vec<DutKind>,
    /// JUnit output.
    pub junit: Option<PathBuf>,
    /// JSON output.
    pub json: Option<PathBuf>,
    /// Markdown matrix output.
    pub matrix: Option<PathBuf>,
    /// Artifacts folder.
    pub artifacts: PathBuf,
    /// Keep artifacts of passing runs too.
    pub keep_artifacts: bool,
    /// Snapshot folder.
    pub snapshots: PathBuf,
}

/// A cell of the matrix.
enum Cell {
    Ran(Box<RunReport>),
    NotApplicable(String),
    Environment(String),
}

fn applicable(s: &scenario::Scenario, kind: DutKind) -> Result<(), String> {
    if s.dut.kind == DutKind::None {
        return if kind == DutKind::None { Ok(()) } else { Err("runs without a DUT".into()) };
    }
    if let Some(why) = s.dut.unsupported.get(&kind) {
        return Err(why.clone());
    }
    match &s.dut.applies_to {
        Some(list) if !list.contains(&kind) => Err(format!(
            "applies to {}",
            list.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
        )),
        _ => Ok(()),
    }
}

/// The command's entry point.
pub fn main(o: &Options) -> ExitCode {
    let files = match scenario::discover(&o.paths) {
        Ok(f) if !f.is_empty() => f,
        Ok(_) => {
            eprintln!("bgpstorm run: no scenario files under the given paths");
            return ExitCode::from(exit::USAGE);
        }
        Err(e) => {
            eprintln!("bgpstorm run: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let mut loaded = Vec::new();
    for f in &files {
        match scenario::load(f) {
            Ok(s) => loaded.push((f.clone(), s)),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(exit::USAGE);
            }
        }
    }
    let opts = RunOptions {
        dut: None,
        artifacts: o.artifacts.clone(),
        keep_artifacts: o.keep_artifacts,
        snapshots: o.snapshots.clone(),
        progress: true,
    };
    let mut cells: Vec<(String, DutKind, Cell)> = Vec::new();
    for (path, s) in &loaded {
        let kinds = if o.duts.is_empty() { vec![s.dut.kind] } else { o.duts.clone() };
        for kind in kinds {
            if let Err(why) = applicable(s, kind) {
                println!("    SKIP {} on {}: not applicable ({why})", s.name, kind.name());
                cells.push((s.name.clone(), kind, Cell::NotApplicable(why)));
                continue;
            }
            println!("RUN  {} on {} ({})", s.name, kind.name(), path.display());
            match run::run(s, path, kind, &opts) {
                Ok(r) => {
                    report::print_summary(&r);
                    cells.push((s.name.clone(), kind, Cell::Ran(Box::new(r))));
                }
                Err(RunError::Environment(e)) => {
                    println!("    ENV  {} on {}: {e}", s.name, kind.name());
                    cells.push((s.name.clone(), kind, Cell::Environment(e)));
                }
            }
        }
    }
    outputs(o, &cells);
    let ran: Vec<&RunReport> = cells
        .iter()
        .filter_map(|(_, _, c)| if let Cell::Ran(r) = c { Some(&**r) } else { None })
        .collect();
    let failed = ran.iter().filter(|r| !r.passed()).count();
    let env = cells.iter().filter(|(_, _, c)| matches!(c, Cell::Environment(_))).count();
    let na = cells.len() - ran.len() - env;
    println!(
        "Summary: {} runs, {} passed, {failed} failed, {env} could not run, {na} not applicable",
        ran.len() + env,
        ran.len() - failed
    );
    if env > 0 && ran.is_empty() {
        ExitCode::from(exit::ENVIRONMENT)
    } else if failed > 0 || env > 0 {
        ExitCode::from(exit::DATA)
    } else if ran.is_empty() {
        eprintln!("bgpstorm run: no scenario was applicable to the chosen DUT kinds");
        ExitCode::from(exit::USAGE)
    } else {
        ExitCode::SUCCESS
    }
}

fn outputs(o: &Options, cells: &[(String, DutKind, Cell)]) {
    let reports: Vec<RunReport> = cells
        .iter()
        .filter_map(|(_, _, c)| if let Cell::Ran(r) = c { Some((**r).clone()) } else { None })
        .collect();
    let skipped: Vec<(String, String, String)> = cells
        .iter()
        .filter_map(|(s, k, c)| match c {
            Cell::NotApplicable(w) => {
                Some((s.clone(), k.name().to_string(), format!("not applicable: {w}")))
            }
            Cell::Environment(w) => {
                Some((s.clone(), k.name().to_string(), format!("could not run: {w}")))
            }
            Cell::Ran(_) => None,
        })
        .collect();
    let write = |p: &PathBuf, text: String| {
        if let Some(d) = p.parent() {
            let _ = std::fs::create_dir_all(d);
        }
        if let Err(e) = std::fs::write(p, text) {
            eprintln!("bgpstorm run: {}: {e}", p.display());
        }
    };
    if let Some(p) = &o.json {
        write(p, serde_json::to_string_pretty(&reports).unwrap_or_default());
    }
    if let Some(p) = &o.junit {
        write(p, report::junit(&reports, &skipped));
    }
    if let Some(p) = &o.matrix {
        write(p, matrix(cells));
    }
}

/// Rows scenarios, columns daemons; cells pass / FAIL with the first line / n/a with why.
fn matrix(cells: &[(String, DutKind, Cell)]) -> String {
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
            let text = match cell {
                Some(Cell::Ran(r)) if r.passed() => {
                    format!("pass ({:.1}s)", r.duration.as_secs_f64())
                }
                Some(Cell::Ran(r)) => {
                    format!("**FAIL**: {}", r.first_failure().unwrap_or_default().replace('|', "/"))
                }
                Some(Cell::NotApplicable(w)) => format!("n/a: {w}"),
                Some(Cell::Environment(w)) => format!(
                    "**could not run**: {}",
                    w.lines().next().unwrap_or_default().replace('|', "/")
                ),
                None => "—".into(),
            };
            line.push_str(&format!(" {text} |"));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}
