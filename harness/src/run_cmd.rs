//! `bgpstorm run FILE|DIR... [--dut KIND,...]`: run scenarios, print a line per step and a
//! summary, write JSON / JUnit / a Markdown compatibility matrix, exit 0 (all passed),
//! 1 (an assertion failed), 2 (invalid scenario or usage, also an output path that cannot be
//! created) or 3 (environment, also an output that could not be written after the runs).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::monitor_cmd::exit;
use crate::report::{
    EventBus, JsonWriter, JunitWriter, LinePrinter, MatrixWriter, ReportError, Reporter, RunEvent,
};
use crate::run::{self, RunError, RunOptions};
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
    /// Keep a failed run's network up for inspection.
    pub keep_on_failure: bool,
    /// Snapshot folder.
    pub snapshots: PathBuf,
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
    let mut bus = match bus(o) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("bgpstorm run: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let opts = RunOptions {
        dut: None,
        artifacts: o.artifacts.clone(),
        keep_artifacts: o.keep_artifacts,
        snapshots: o.snapshots.clone(),
        progress: true,
        keep_on_failure: o.keep_on_failure,
    };
    for (path, s) in &loaded {
        let kinds = if o.duts.is_empty() { vec![s.dut.kind] } else { o.duts.clone() };
        for kind in kinds {
            let scenario = s.name.as_str();
            if let Err(why) = applicable(s, kind) {
                bus.event(&RunEvent::NotApplicable { scenario, kind, why: &why });
                continue;
            }
            bus.event(&RunEvent::RunStarted { scenario, kind, path });
            match run::run_with(s, path, kind, &opts, &mut bus) {
                Ok(report) => bus.event(&RunEvent::RunFinished { report: &report }),
                Err(RunError::Environment(why)) => {
                    bus.event(&RunEvent::CouldNotStart { scenario, kind, why: &why })
                }
            }
        }
    }
    let t = match bus.finish() {
        Ok(t) => t,
        Err(errors) => {
            for e in &errors {
                eprintln!("bgpstorm run: {e}");
            }
            return ExitCode::from(exit::ENVIRONMENT);
        }
    };
    if t.environment > 0 && t.ran == 0 {
        ExitCode::from(exit::ENVIRONMENT)
    } else if t.failed() > 0 || t.environment > 0 {
        ExitCode::from(exit::DATA)
    } else if t.ran == 0 {
        eprintln!("bgpstorm run: no scenario was applicable to the chosen DUT kinds");
        ExitCode::from(exit::USAGE)
    } else {
        ExitCode::SUCCESS
    }
}

/// The outputs the options ask for, subscribed in the order they see events: the terminal
/// first. Each file is created here, so a path that cannot be written stops before any run.
fn bus(o: &Options) -> Result<EventBus, ReportError> {
    let mut bus = EventBus::new();
    bus.subscribe(Box::new(LinePrinter::stdout()));
    if let Some(p) = &o.json {
        bus.subscribe(Box::new(JsonWriter::create(p)?));
    }
    if let Some(p) = &o.junit {
        bus.subscribe(Box::new(JunitWriter::create(p)?));
    }
    if let Some(p) = &o.matrix {
        bus.subscribe(Box::new(MatrixWriter::create(p)?));
    }
    Ok(bus)
}
