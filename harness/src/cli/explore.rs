//! `bgpstorm explore --seed S --cases N [--dut KIND,...] [--out DIR] [--write-only]`: cases
//! generated from seeds S, S+1, …, each written as a scenario whose `rib` checks are the
//! reference model's prediction and run on each DUT with the ordinary runner; a line per
//! run, a summary (cases, runs, divergences, rate), and each diverging case's scenario in
//! the output folder, where `bgpstorm run` reproduces it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use super::exit;
use crate::dut::{DutSpec, Installed};
use crate::explore::{generator, render};
use crate::interrupt;
use crate::report::{ReportError, Reporter, RunEvent};
use crate::run::{self, RunError, RunOptions};
use crate::scenario::{self, model::DutKind};

/// Options of `bgpstorm explore`.
#[derive(Clone, Debug, clap::Args)]
pub struct ExploreArgs {
    /// The first seed; case i uses seed + i. A seed always gives the same scenario.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// How many cases (at least 1).
    #[arg(long, default_value_t = 10)]
    pub cases: u64,
    /// Daemons to run each case on, as for `bgpstorm run --dut` (default: bird).
    #[arg(long = "dut", value_name = "DUT", value_delimiter = ',')]
    pub duts: Vec<DutSpec>,
    /// Where the scenarios of diverging cases are written (`explore-SEED.yaml`).
    #[arg(long, value_name = "DIR", default_value = "target/bgpstorm-explore")]
    pub out: PathBuf,
    /// Write every case's scenario to --out and run nothing (no root needed).
    #[arg(long)]
    pub write_only: bool,
    /// Folder for each run's artifacts (kept for diverging runs).
    #[arg(long, value_name = "DIR", default_value = "target/bgpstorm-runs")]
    pub artifacts: PathBuf,
}

/// A reporter that keeps nothing: explore prints its own line per run.
struct Quiet;

impl Reporter for Quiet {
    fn event(&mut self, _: &RunEvent<'_>) {}

    fn finish(&mut self) -> Result<(), ReportError> {
        Ok(())
    }
}

/// Runs `bgpstorm explore`.
pub fn main(o: ExploreArgs) -> ExitCode {
    if o.cases == 0 {
        eprintln!("bgpstorm explore: --cases must be at least 1");
        return exit::code(exit::USAGE);
    }
    if let Err(e) = std::fs::create_dir_all(&o.out) {
        eprintln!("bgpstorm explore: --out {}: {e}", o.out.display());
        return exit::code(exit::USAGE);
    }
    let out = std::path::absolute(&o.out).unwrap_or(o.out.clone());
    if o.write_only {
        return write_all(&o, &out);
    }
    let duts = match resolve_duts(&o.duts) {
        Ok(d) => d,
        Err(code) => return code,
    };
    if let Err(e) = interrupt::install(
        "stopping explore; tearing down the run in progress",
        "the teardown goes on so that nothing is left behind",
    ) {
        eprintln!("bgpstorm explore: cannot handle SIGINT and SIGTERM: {e}");
        return exit::code(exit::ENVIRONMENT);
    }
    let opts = RunOptions {
        dut: None,
        artifacts: std::path::absolute(&o.artifacts).unwrap_or(o.artifacts.clone()),
        keep_artifacts: false,
        snapshots: out.join("snapshots"),
        progress: false,
        keep_on_failure: false,
    };
    let started = Instant::now();
    let (mut runs, mut divergences) = (0u64, 0u64);
    for i in 0..o.cases {
        let seed = o.seed.wrapping_add(i);
        let (text, s) = match case(seed) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("bgpstorm explore: {e}");
                return exit::code(exit::FAILED);
            }
        };
        let path = out.join(format!("{}.yaml", s.name));
        for (kind, installed) in &duts {
            if let Some(sig) = interrupt::raised() {
                summary(o.cases, runs, divergences, started);
                return exit::code(sig.exit_status());
            }
            let opts = RunOptions { dut: installed.clone(), ..opts.clone() };
            let t = Instant::now();
            let report = match run::run_with(&s, &path, *kind, &opts, &mut Quiet) {
                Ok(r) => r,
                Err(RunError::Environment(why)) => {
                    eprintln!("bgpstorm explore: seed {seed} on {}: {why}", kind.name());
                    summary(o.cases, runs, divergences, started);
                    return exit::code(exit::ENVIRONMENT);
                }
            };
            // An interrupted run is no result: the next loop turn returns.
            if report.interrupted.is_some() {
                continue;
            }
            runs += 1;
            let secs = t.elapsed().as_secs_f64();
            let head = format!("[{}/{}] seed {seed} on {}", i + 1, o.cases, kind.name());
            // Where the time went: the slowest step (waits for sessions, mostly).
            let slowest = report
                .steps
                .iter()
                .max_by_key(|st| st.duration)
                .map(|st| {
                    format!(
                        "; slowest step {} ({}) {:.1}s",
                        st.index + 1,
                        st.name,
                        st.duration.as_secs_f64()
                    )
                })
                .unwrap_or_default();
            if report.passed() {
                println!("{head}: agrees with the model ({secs:.1}s{slowest})");
                continue;
            }
            divergences += 1;
            let why = report.first_failure().unwrap_or_default();
            let note =
                format!("# bgpstorm explore: seed {seed} diverged on {}: {why}\n", kind.name());
            match std::fs::write(&path, format!("{note}{text}")) {
                Ok(()) => println!("{head}: DIVERGES ({secs:.1}s): {why}\n    {}", path.display()),
                Err(e) => {
                    eprintln!("bgpstorm explore: {}: {e}", path.display());
                    return exit::code(exit::ENVIRONMENT);
                }
            }
        }
    }
    summary(o.cases, runs, divergences, started);
    exit::code(if divergences > 0 { exit::FAILED } else { exit::SUCCESS })
}

/// The scenario of a seed, as text and as the runner's model.
fn case(seed: u64) -> Result<(String, scenario::Scenario), String> {
    let c = generator::generate(seed).map_err(|e| e.to_string())?;
    let text = render::yaml(&c, DutKind::Bird).map_err(|e| format!("seed {seed}: {e}"))?;
    let s = scenario::parse(Path::new(&format!("{}.yaml", render::name(&c))), &text)
        .map_err(|e| format!("seed {seed}: the generated scenario does not validate: {e}"))?;
    Ok((text, s))
}

fn write_all(o: &ExploreArgs, out: &Path) -> ExitCode {
    for i in 0..o.cases {
        let seed = o.seed.wrapping_add(i);
        let (text, s) = match case(seed) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("bgpstorm explore: {e}");
                return exit::code(exit::FAILED);
            }
        };
        let path = out.join(format!("{}.yaml", s.name));
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("bgpstorm explore: {}: {e}", path.display());
            return exit::code(exit::USAGE);
        }
        println!("{}", path.display());
    }
    exit::code(exit::SUCCESS)
}

/// The installation of each --dut (the host's when it names none), bird when none is given.
fn resolve_duts(specs: &[DutSpec]) -> Result<Vec<(DutKind, Option<Installed>)>, ExitCode> {
    if specs.is_empty() {
        return Ok(vec![(DutKind::Bird, None)]);
    }
    let mut duts = Vec::new();
    for spec in specs {
        if spec.kind == DutKind::None {
            eprintln!("bgpstorm explore: --dut none: explore needs a daemon under test");
            return Err(exit::code(exit::USAGE));
        }
        if spec.want == crate::dut::Want::Host {
            duts.push((spec.kind, None));
            continue;
        }
        match crate::dut::resolve(spec) {
            Ok(i) => duts.push((spec.kind, Some(i))),
            Err(e) => {
                eprintln!("bgpstorm explore: --dut {spec}: {e}");
                return Err(exit::code(exit::ENVIRONMENT));
            }
        }
    }
    Ok(duts)
}

fn summary(cases: u64, runs: u64, divergences: u64, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    let per_hour = if secs > 0.0 { runs as f64 * 3600.0 / secs } else { 0.0 };
    println!(
        "explore: {runs} runs of {cases} cases, {divergences} diverging, {secs:.0}s ({per_hour:.0} runs/hour)"
    );
}
