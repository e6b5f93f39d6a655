//! `bgpstorm run FILE|DIR... [--dut KIND,...]`: run scenarios, print a line per step and a
//! summary, write JSON / JUnit / a Markdown compatibility matrix, exit 0 (all passed),
//! 1 (an assertion failed), 2 (invalid scenario or usage) or 3 (environment).

use std::path::PathBuf;
use std::process::ExitCode;

use super::exit;
use crate::run::{self, RunError, RunOptions, RunReport, report};
use crate::scenario::{self, model::DutKind};

/// Options of `bgpstorm run`.
#[derive(Clone, Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario files or directories (searched for *.yaml).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Daemons to run each scenario against (the cross product), e.g. bird,frr,gobgp,openbgpd.
    #[arg(long = "dut", value_name = "DUT", value_enum, value_delimiter = ',')]
    pub duts: Vec<DutKind>,
    /// Write a JUnit report.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Write the results as JSON.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write the compatibility matrix (scenarios × daemons) as Markdown.
    #[arg(long, value_name = "PATH")]
    pub matrix: Option<PathBuf>,
    /// Folder for each run's artifacts (result, monitor log, DUT config and logs).
    #[arg(long, value_name = "DIR", default_value = "target/bgpstorm-runs")]
    pub artifacts: PathBuf,
    /// Keep the artifacts of passing runs too (failing runs always keep theirs).
    #[arg(long)]
    pub keep_artifacts: bool,
    /// When a step fails, keep the network, DUT and sessions up and print how to enter
    /// them, until Enter is pressed (on a terminal only).
    #[arg(long)]
    pub keep_on_failure: bool,
    /// Folder of insta snapshots.
    #[arg(long, value_name = "DIR", default_value = "snapshots")]
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

/// Runs `bgpstorm run`.
pub fn main(mut o: RunArgs) -> ExitCode {
    o.snapshots = std::path::absolute(&o.snapshots).unwrap_or(o.snapshots);
    o.artifacts = std::path::absolute(&o.artifacts).unwrap_or(o.artifacts);
    let o = &o;
    let files = match scenario::discover(&o.paths) {
        Ok(f) if !f.is_empty() => f,
        Ok(_) => {
            eprintln!("bgpstorm run: no scenario files under the given paths");
            return exit::code(exit::USAGE);
        }
        Err(e) => {
            eprintln!("bgpstorm run: {e}");
            return exit::code(exit::USAGE);
        }
    };
    let mut loaded = Vec::new();
    for f in &files {
        match scenario::load(f) {
            Ok(s) => loaded.push((f.clone(), s)),
            Err(e) => {
                eprintln!("{e}");
                return exit::code(exit::USAGE);
            }
        }
    }
    let opts = RunOptions {
        dut: None,
        artifacts: o.artifacts.clone(),
        keep_artifacts: o.keep_artifacts,
        snapshots: o.snapshots.clone(),
        progress: true,
        keep_on_failure: o.keep_on_failure,
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
        exit::code(exit::ENVIRONMENT)
    } else if failed > 0 || env > 0 {
        exit::code(exit::FAILED)
    } else if ran.is_empty() {
        eprintln!("bgpstorm run: no scenario was applicable to the chosen DUT kinds");
        exit::code(exit::USAGE)
    } else {
        exit::code(exit::SUCCESS)
    }
}

fn outputs(o: &RunArgs, cells: &[(String, DutKind, Cell)]) {
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
