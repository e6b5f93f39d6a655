//! The `bgpstorm` command line: [`Cli`] parses, [`main`] dispatches to one module per
//! subcommand, and every subcommand ends in a status of [`exit`].
//!
//! Modules depend downwards only: `bench` → `bench_plot` → `bench_results`; `monitor` →
//! `monitor_live` → `monitor_report`; `validate`, `list` → [`scenario_files`].

pub mod bench;
pub mod bench_plot;
pub mod bench_results;
pub mod decode;
pub mod dut;
pub mod exit;
pub mod explore;
pub mod inject;
pub mod list;
pub mod monitor;
pub mod monitor_live;
pub mod monitor_report;
pub mod new;
pub mod reference;
pub mod review;
pub mod run;
pub mod schema;
pub mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::scenario;

/// BGP test harness, UPDATE simulator and eBPF wire monitor.
#[derive(Parser)]
#[command(name = "bgpstorm", version, about, long_about = None)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Decode MRT archives (plain, gzip, bzip2) and pcap/pcapng captures of BGP.
    ///
    /// MRT: BGP4MP and BGP4MP_ET, TABLE_DUMP_V2, TABLE_DUMP and the deprecated BGP type (5)
    /// of the 1999–2000 archives. Records of other types (OSPF, IS-IS, the other deprecated
    /// types, BGP4MP_ENTRY) are reported as not decoded.
    ///
    /// Exit status: 0 when everything decoded, 1 when any record or message was malformed, a
    /// file was truncated or is not MRT (zeros, random bytes), a record's type is not decoded,
    /// or a captured flow lost bytes (a gap, a resync, a flow that never showed a BGP message
    /// header); decoding goes on with the next record where it can. 2 on wrong usage or a file
    /// that cannot be opened.
    Decode(decode::DecodeArgs),
    /// Passive BGP route monitor: RIB, flap / hidden-route / community detection,
    /// convergence, REST API and Prometheus metrics.
    ///
    /// With --pcap, recorded traffic goes through the same pipeline as a live capture and
    /// the final state is printed; --listen then keeps serving /api/v1/... and /metrics.
    /// Exit status: 0 fine, 1 malformed or lost data, 2 usage or configuration, 3 environment.
    Monitor(monitor::MonitorArgs),
    /// Run scenarios: build the network, start the DUT and the speakers, watch the DUT's
    /// interfaces with the eBPF monitor, run the steps, report, tear everything down.
    ///
    /// Exit status: 0 every run passed; 1 an assertion failed (or a run could not start);
    /// 2 invalid scenario or usage, including a --json/--junit/--matrix path that cannot be
    /// created (checked before any run), or a --dut that cannot be read; 3 environment (not
    /// root, missing daemon, a --dut version or path with no such daemon, kernel feature) or a
    /// report that could not be written after the runs; 130 SIGINT (Ctrl-C) or
    /// 143 SIGTERM stopped the runs: the run in progress stops at once (also in a wait or a
    /// DUT start), everything is torn down, the reports are written with what finished and the
    /// stopped run marked interrupted; a second signal does not stop the teardown.
    Run(run::RunArgs),
    /// Convergence benchmark of daemons on the wire: each workload (a scenario file, see
    /// bench/) after a warm-up run, --repeat times per daemon; median and spread of
    /// convergence time, per-prefix latency, throughput, DUT peak RSS and CPU, the harness's
    /// headroom. Exit 1 when a run fails or a regression beyond --threshold is found.
    Bench(bench::BenchArgs),
    /// Generated scenarios checked against a reference model: each case (from --seed,
    /// --seed+1, …) is written as a scenario whose `rib` checks are what the model of RFC 4271
    /// (decision process, export rules) predicts every speaker holds, and run on each --dut.
    ///
    /// A line per run (naming the column, e.g. bird@2.0.12), a status line on a terminal, a
    /// summary with the rates; each diverging case's scenario goes to --out, where `bgpstorm
    /// run` reproduces the divergence; each run is a line of the event log (--log, NDJSON,
    /// written as the run ends), and `--replay LOG [--line N]` runs the logged cases again.
    /// Exit status: 0 every run agreed with the model (or --write-only wrote every case);
    /// 1 a run diverged (or a seed gave no case); 2 usage (--cases 0, a --time of 0 or beyond
    /// 366 days, an --out or --log that cannot be created, a missing or malformed --replay log
    /// (its line is named), a --line with no case); 3 environment (not root, a missing daemon,
    /// a --dut or logged column with no such daemon, a log that could not be written);
    /// 130 / 143 SIGINT / SIGTERM stopped it (the run in progress is torn down, the log keeps
    /// the finished runs).
    Explore(explore::ExploreArgs),
    /// Check scenario files (YAML): schema, references, values. Exit 2 when any is invalid.
    Validate(validate::ValidateArgs),
    /// List scenarios: file, name, daemons it applies to, steps, description.
    List(list::ListArgs),
    /// Print the JSON Schema of scenario files, for editor completion.
    Schema {
        /// Print the scenario reference (Markdown, every step and check with an example)
        /// instead: `bgpstorm schema --reference > docs/scenario-reference.md`.
        #[arg(long)]
        reference: bool,
    },
    /// Review pending snapshots (`NAME.snap.new`, written when a snapshot check differs):
    /// show each diff, then accept or reject it. Asks on a terminal; exit 1 when snapshots
    /// are pending and neither --accept nor --reject is given without one.
    Review(review::ReviewArgs),
    /// Write NAME.yaml, a commented starter scenario that validates and runs. Never
    /// overwrites a file (exit 2).
    New(new::NewArgs),
    /// Run one simulated BGP speaker against a router (or, with --passive --expect N, a sink
    /// that measures how fast N prefixes arrive).
    Inject(Box<inject::InjectArgs>),
    /// Daemons under test: `dut list` shows every daemon available on this machine (host
    /// packages, roots, with their versions); `dut install [debian13]` builds a root of newer
    /// versions. A DUT is named `bird` (host), `bird@3.1.8` (that version, whatever its
    /// source) or `frr=/opt/frr` (a user's build: a prefix or a root).
    Dut(dut::DutArgs),
}

/// Parses the command line, sets up logging (`BGPSTORM_LOG`) and runs the subcommand.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help and version on stdout with status 0, usage errors with 2.
            let _ = e.print();
            return exit::code(if e.use_stderr() { exit::USAGE } else { exit::SUCCESS });
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("BGPSTORM_LOG"))
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Decode(a) => decode::main(a),
        Command::Monitor(a) => monitor::main(a),
        Command::Run(a) => run::main(a),
        Command::Bench(a) => bench::main(a),
        Command::Explore(a) => explore::main(a),
        Command::Validate(a) => validate::main(&a.paths),
        Command::List(a) => list::main(&a.paths),
        Command::Schema { reference: false } => schema::main(),
        Command::Schema { reference: true } => reference::main(),
        Command::Review(a) => review::main(&a.into()),
        Command::New(a) => new::main(&a.into()),
        Command::Inject(a) => inject::main(&a),
        Command::Dut(a) => dut::main(a),
    }
}

/// The scenario files under `paths`, or the status to exit with when there are none.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ExitCode> {
    match scenario::discover(paths) {
        Ok(f) if f.is_empty() => {
            eprintln!(
                "bgpstorm: no scenario files (*.yaml) under {}",
                paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            );
            Err(exit::code(exit::USAGE))
        }
        Ok(f) => Ok(f),
        Err(e) => {
            eprintln!("bgpstorm: {e}");
            Err(exit::code(exit::USAGE))
        }
    }
}
