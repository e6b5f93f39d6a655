//! `bgpstorm run FILE|DIR... [--dut KIND,...]`: run scenarios, print a line per step and a
//! summary, write JSON / JUnit / a Markdown compatibility matrix, exit 0 (all passed),
//! 1 (an assertion failed), 2 (invalid scenario or usage, also an output path that cannot be
//! created), 3 (environment, also an output that could not be written after the runs), or
//! 130 / 143 when SIGINT / SIGTERM stopped the runs (torn down, the reports written with what
//! finished and the stopped run marked interrupted).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use super::exit;
use crate::dut::{Column, DutSpec, Installed};
use crate::interrupt;
use crate::report::{
    EventBus, JsonWriter, JunitWriter, LinePrinter, MatrixWriter, ReportError, Reporter, RunEvent,
};
use crate::run::{self, RunError, RunOptions};
use crate::scenario::{self, model::DutKind};

/// Options of `bgpstorm run`.
#[derive(Clone, Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario files or directories (searched for *.yaml).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Daemons to run each scenario against (the cross product), e.g. bird,frr,gobgp,openbgpd.
    /// Each is `KIND` (the host's packages), `KIND@VERSION` (the available daemon of that
    /// version, e.g. bird@3.1.8: see `bgpstorm dut list`) or `KIND=PATH` (a user's build: an
    /// installation prefix or a root filesystem, e.g. frr=/opt/frr), or `all` (every daemon
    /// of `bgpstorm dut list`: the matrix over all versions). Exit 2 for a bad spelling, 3 for
    /// a version or path that has no such daemon.
    #[arg(long = "dut", value_name = "DUT", value_delimiter = ',')]
    pub duts: Vec<DutSpec>,
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

fn applicable(s: &scenario::Scenario, dut: &Column) -> Result<(), String> {
    if s.dut.kind == DutKind::None {
        return if dut.kind == DutKind::None { Ok(()) } else { Err("runs without a DUT".into()) };
    }
    s.dut.not_applicable(dut.kind, dut.version.as_deref()).map_or(Ok(()), Err)
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
    let mut bus = match bus(o) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("bgpstorm run: {e}");
            return exit::code(exit::USAGE);
        }
    };
    if let Err(e) = interrupt::install(
        "stopping the run; tearing down (namespaces, daemon, BPF programs), then writing the reports",
        "the teardown goes on so that nothing is left behind",
    ) {
        eprintln!("bgpstorm run: cannot handle SIGINT and SIGTERM: {e}");
        return exit::code(exit::ENVIRONMENT);
    }
    // Which installation each --dut names, read (version included) before any run; without
    // --dut, the host's daemon of each scenario's kind, read once per kind.
    let duts = match crate::dut::for_runs(&o.duts) {
        Ok(d) => d,
        Err((spec, e)) => {
            eprintln!("bgpstorm run: --dut {spec}: {e}");
            return exit::code(exit::ENVIRONMENT);
        }
    };
    let mut hosts: BTreeMap<DutKind, (Column, Option<Installed>)> = BTreeMap::new();
    let mut host = |kind: DutKind| {
        hosts
            .entry(kind)
            .or_insert_with(|| {
                crate::dut::for_run(&DutSpec::host(kind))
                    .unwrap_or_else(|_| (Column::of(kind, None), None))
            })
            .clone()
    };
    let opts = RunOptions {
        dut: None,
        artifacts: o.artifacts.clone(),
        keep_artifacts: o.keep_artifacts,
        snapshots: o.snapshots.clone(),
        progress: true,
        keep_on_failure: o.keep_on_failure,
    };
    'runs: for (path, s) in &loaded {
        let picked = if duts.is_empty() { vec![host(s.dut.kind)] } else { duts.clone() };
        for (dut, installed) in picked {
            let kind = dut.kind;
            let opts = RunOptions { dut: installed, ..opts.clone() };
            if interrupt::raised().is_some() {
                break 'runs;
            }
            let scenario = s.name.as_str();
            if let Err(why) = applicable(s, &dut) {
                bus.event(&RunEvent::NotApplicable { scenario, dut: &dut, why: &why });
                continue;
            }
            bus.event(&RunEvent::RunStarted { scenario, dut: &dut, path });
            match run::run_with(s, path, kind, &opts, &mut bus) {
                Ok(report) => bus.event(&RunEvent::RunFinished { report: &report }),
                Err(RunError::Environment(why)) => {
                    bus.event(&RunEvent::CouldNotStart { scenario, dut: &dut, why: &why })
                }
            }
        }
    }
    let finished = bus.finish();
    if let Err(errors) = &finished {
        for e in errors {
            eprintln!("bgpstorm run: {e}");
        }
    }
    // Interrupted: the runs that did not start are left out of the reports.
    if let Some(sig) = interrupt::raised() {
        return exit::code(sig.exit_status());
    }
    let Ok(t) = finished else {
        return exit::code(exit::ENVIRONMENT);
    };
    if t.environment > 0 && t.ran == 0 {
        exit::code(exit::ENVIRONMENT)
    } else if t.failed() > 0 || t.environment > 0 {
        exit::code(exit::FAILED)
    } else if t.ran == 0 {
        eprintln!("bgpstorm run: no scenario was applicable to the chosen DUT kinds");
        exit::code(exit::USAGE)
    } else {
        exit::code(exit::SUCCESS)
    }
}

/// The outputs the options ask for, subscribed in the order they see events: the terminal
/// first. Each file is created here, so a path that cannot be written stops before any run.
fn bus(o: &RunArgs) -> Result<EventBus, ReportError> {
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
