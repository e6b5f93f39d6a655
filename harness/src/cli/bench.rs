//! `bgpstorm bench`: convergence benchmarks of daemons, measured on the wire.
//!
//! Each workload is a scenario file (`bench/`); each (workload, daemon) runs once to warm up
//! and then `--repeat` times. From every run: convergence time (first triggering byte into
//! the DUT → last UPDATE out of it, over the measured phase), per-prefix latency p50/p99/max
//! for announcements and withdrawals, throughput (prefixes / convergence time), the DUT's peak
//! RSS and CPU time, and the harness's headroom (its sender capacity, prefixes per second of
//! the sender's own busy time with waits for the DUT excluded, against the DUT's throughput;
//! capture drops must be 0). Reported: the median of the repetitions with its
//! min–max spread, as JSON, a Markdown table and an SVG plot of the per-prefix latency CDF;
//! `--baseline FILE` (an earlier JSON) flags regressions beyond `--threshold`.
//!
//! SIGINT or SIGTERM stops the benchmark at once: the run under way is torn down, the results
//! so far are written (the cell it stopped says so) and the exit status is 130 / 143. An output
//! that cannot be written is exit 3.

use std::path::PathBuf;
use std::process::ExitCode;

use super::bench_plot;
use super::bench_results::{Cell, markdown, regressions, sample};
use super::exit;
use crate::dut::DutSpec;
use crate::interrupt;
use crate::run::{self, RunError, RunOptions};
use crate::scenario::{self, model::DutKind};

/// Options of `bgpstorm bench`.
#[derive(Clone, Debug, clap::Args)]
pub struct BenchArgs {
    /// Workload files or directories.
    #[arg(default_value = "bench")]
    pub paths: Vec<PathBuf>,
    /// Daemons (default: the host's four), spelled as for `run --dut`: `bird` (the host's),
    /// `bird@3.1.8` (that version, see `bgpstorm dut list`), `frr=/opt/frr` (a user's build).
    /// Exit 2 for a bad spelling, 3 for a version or path with no such daemon.
    #[arg(long = "dut", value_name = "DUT", value_delimiter = ',')]
    pub duts: Vec<DutSpec>,
    /// Measured repetitions per workload and daemon, after one warm-up run.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Write all results as JSON (a later --baseline).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write the Markdown table.
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
    /// Write the latency CDF plot (SVG).
    #[arg(long, value_name = "PATH")]
    pub svg: Option<PathBuf>,
    /// Write the convergence-over-time plot (SVG): the fraction of prefixes the DUT has
    /// answered against the time since the first byte went in.
    #[arg(long, value_name = "PATH")]
    pub svg_over_time: Option<PathBuf>,
    /// Compare with an earlier --json output.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Allowed convergence slowdown against the baseline, percent.
    #[arg(long, default_value_t = 20.0)]
    pub threshold: f64,
}

/// Runs `bgpstorm bench`.
pub fn main(o: BenchArgs) -> ExitCode {
    let o = &o;
    let artifacts = std::path::absolute("target/bgpstorm-bench")
        .unwrap_or_else(|_| "target/bgpstorm-bench".into());
    let snapshots = std::path::absolute("snapshots").unwrap_or_else(|_| "snapshots".into());
    let files = match scenario::discover(&o.paths) {
        Ok(f) if !f.is_empty() => f,
        _ => {
            eprintln!("bgpstorm bench: no workload files under the given paths");
            return exit::code(exit::USAGE);
        }
    };
    if let Err(e) = interrupt::install(
        "stopping the benchmark; tearing down the run under way, then writing the results so far",
        "the teardown goes on so that nothing is left behind",
    ) {
        eprintln!("bgpstorm bench: cannot handle SIGINT and SIGTERM: {e}");
        return exit::code(exit::ENVIRONMENT);
    }
    let opts = RunOptions {
        dut: None,
        artifacts,
        keep_artifacts: false,
        snapshots,
        progress: false,
        keep_on_failure: false,
    };
    let specs = if o.duts.is_empty() {
        DutKind::DAEMONS.map(DutSpec::host).to_vec()
    } else {
        o.duts.clone()
    };
    // Which installation each names, read (version included) before any run.
    let duts = match crate::dut::for_runs(&specs) {
        Ok(d) => d,
        Err((spec, e)) => {
            eprintln!("bgpstorm bench: --dut {spec}: {e}");
            return exit::code(exit::ENVIRONMENT);
        }
    };
    let mut cells = Vec::new();
    for f in &files {
        let s = match scenario::load(f) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                return exit::code(exit::USAGE);
            }
        };
        for (column, installed) in &duts {
            if interrupt::raised().is_some() {
                break;
            }
            let kind = column.kind;
            let opts = RunOptions { dut: installed.clone(), ..opts.clone() };
            let mut cell = Cell {
                workload: s.name.clone(),
                dut: column.to_string(),
                version: String::new(),
                samples: Vec::new(),
                error: None,
            };
            for i in 0..=o.repeat {
                let label =
                    if i == 0 { "warm-up".to_string() } else { format!("run {i}/{}", o.repeat) };
                match run::run(&s, f, kind, &opts) {
                    Ok(r) if r.interrupted.is_some() => {
                        let why = r.interruption().unwrap_or_default();
                        println!("{} on {column} {label}: {why}", s.name);
                        cell.error = Some(why);
                        break;
                    }
                    Ok(r) => {
                        cell.version =
                            r.dut.as_ref().map(|d| d.version.clone()).unwrap_or_default();
                        match sample(&r) {
                            Ok(x) => {
                                println!(
                                    "{} on {} {label}: convergence {:.1} ms, {:.0} prefixes/s",
                                    s.name, column, x.convergence_ms, x.throughput
                                );
                                if i > 0 {
                                    cell.samples.push(x);
                                }
                            }
                            Err(e) => {
                                println!("{} on {column} {label}: {e}", s.name);
                                cell.error = Some(e);
                                break;
                            }
                        }
                    }
                    Err(RunError::Environment(e)) => {
                        println!("{} on {column}: could not run: {e}", s.name);
                        cell.error = Some(e);
                        break;
                    }
                }
            }
            cells.push(cell);
        }
    }
    let md = markdown(&cells);
    print!("\n{md}");
    let mut unwritten = false;
    let mut write = |p: &PathBuf, text: &str| {
        if let Some(d) = p.parent() {
            let _ = std::fs::create_dir_all(d);
        }
        if let Err(e) = std::fs::write(p, text) {
            eprintln!("bgpstorm bench: {}: {e}", p.display());
            unwritten = true;
        }
    };
    if let Some(p) = &o.json {
        write(p, &serde_json::to_string_pretty(&cells).unwrap_or_default());
    }
    if let Some(p) = &o.markdown {
        write(p, &md);
    }
    if let Some(p) = &o.svg
        && let Err(e) = bench_plot::cdf(p, &cells)
    {
        eprintln!("bgpstorm bench: {}: {e}", p.display());
        unwritten = true;
    }
    if let Some(p) = &o.svg_over_time
        && let Err(e) = bench_plot::over_time(p, &cells)
    {
        eprintln!("bgpstorm bench: {}: {e}", p.display());
        unwritten = true;
    }
    if let Some(sig) = interrupt::raised() {
        return exit::code(sig.exit_status());
    }
    if unwritten {
        return exit::code(exit::ENVIRONMENT);
    }
    let mut code =
        if cells.iter().any(|c| c.error.is_some()) { exit::FAILED } else { exit::SUCCESS };
    if let Some(b) = &o.baseline {
        match regressions(b, &cells, o.threshold) {
            Ok(r) if r.is_empty() => {
                println!("no regression beyond {}% against {}", o.threshold, b.display())
            }
            Ok(r) => {
                for line in r {
                    println!("REGRESSION {line}");
                }
                code = exit::FAILED;
            }
            Err(e) => {
                eprintln!("bgpstorm bench: baseline {}: {e}", b.display());
                code = exit::USAGE;
            }
        }
    }
    exit::code(code)
}
