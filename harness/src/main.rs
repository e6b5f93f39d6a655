//! The `bgpstorm` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use bgpstorm_harness::decode::{self, Format};
use bgpstorm_harness::inject::{self, InjectArgs};
use bgpstorm_harness::scenario::model::DutKind;
use bgpstorm_harness::{bench, cli_new, cli_review, monitor_cmd, reference, run_cmd, scenario_cmd};
use clap::{Parser, Subcommand};

/// BGP test harness, UPDATE simulator and eBPF wire monitor.
#[derive(Parser)]
#[command(name = "bgpstorm", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode MRT archives (plain, gzip, bzip2) and pcap/pcapng captures of BGP.
    ///
    /// Exit status: 0 when everything decoded, 1 when any record or message was malformed or
    /// a file was truncated (decoding goes on with the next record where it can), 2 on wrong
    /// usage or a file that cannot be opened.
    Decode {
        /// Files to decode; the kind (MRT or pcap) is detected from the content.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output: `pipe` is one line per route in `bgpdump -m` layout; `jsonl` one JSON object
        /// per message or RIB entry with every decoded field.
        #[arg(long, value_enum, default_value_t = Format::Pipe)]
        format: Format,
        /// Print message, route, peer, error and throughput counts on stderr at the end.
        #[arg(long)]
        stats: bool,
        /// TCP ports that carry BGP in captures.
        #[arg(long = "port", default_value = "179", value_delimiter = ',')]
        ports: Vec<u16>,
    },
    /// Passive BGP route monitor: RIB, flap / hidden-route / community detection,
    /// convergence, REST API and Prometheus metrics.
    ///
    /// With --pcap, recorded traffic goes through the same pipeline as a live capture and
    /// the final state is printed; --listen then keeps serving /api/v1/... and /metrics.
    /// Exit status: 0 fine, 1 malformed or lost data, 2 usage or configuration, 3 environment.
    Monitor {
        /// Capture files (pcap or pcapng) to run through the monitor.
        #[arg(long = "pcap", value_name = "FILE", num_args = 1..)]
        pcaps: Vec<PathBuf>,
        /// Live: interfaces to watch with the eBPF capture (ingress and egress).
        #[arg(long = "iface", value_name = "IF", value_delimiter = ',')]
        ifaces: Vec<String>,
        /// Live: their network namespace (a name under /run/netns, or a path).
        #[arg(long, value_name = "NS")]
        netns: Option<String>,
        /// Live: stop after this long (e.g. 30s); default until SIGINT/SIGTERM.
        #[arg(long = "for", value_name = "DURATION", value_parser = humantime::parse_duration)]
        duration: Option<std::time::Duration>,
        /// Monitor configuration (YAML: flap, damping, communities, history, device).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Serve the REST API and /metrics on this address (e.g. 127.0.0.1:9179).
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
        /// Print the final state as JSON.
        #[arg(long)]
        json: bool,
        /// TCP ports that carry BGP.
        #[arg(long = "port", default_value = "179", value_delimiter = ',')]
        ports: Vec<u16>,
    },
    /// Run scenarios: build the network, start the DUT and the speakers, watch the DUT's
    /// interfaces with the eBPF monitor, run the steps, report, tear everything down.
    ///
    /// Exit status: 0 every run passed; 1 an assertion failed (or a run could not start);
    /// 2 invalid scenario or usage, including a --json/--junit/--matrix path that cannot be
    /// created (checked before any run); 3 environment (not root, missing daemon, kernel
    /// feature) or a report that could not be written after the runs.
    Run {
        /// Scenario files or directories (searched for *.yaml).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Daemons to run each scenario against (the cross product), e.g. bird,frr,gobgp,openbgpd.
        #[arg(long, value_enum, value_delimiter = ',')]
        dut: Vec<DutKind>,
        /// Write a JUnit report.
        #[arg(long, value_name = "PATH")]
        junit: Option<PathBuf>,
        /// Write the results as JSON.
        #[arg(long, value_name = "PATH")]
        json: Option<PathBuf>,
        /// Write the compatibility matrix (scenarios × daemons) as Markdown.
        #[arg(long, value_name = "PATH")]
        matrix: Option<PathBuf>,
        /// Folder for each run's artifacts (result, monitor log, DUT config and logs).
        #[arg(long, value_name = "DIR", default_value = "target/bgpstorm-runs")]
        artifacts: PathBuf,
        /// Keep the artifacts of passing runs too (failing runs always keep theirs).
        #[arg(long)]
        keep_artifacts: bool,
        /// When a step fails, keep the network, DUT and sessions up and print how to enter
        /// them, until Enter is pressed (on a terminal only).
        #[arg(long)]
        keep_on_failure: bool,
        /// Folder of insta snapshots.
        #[arg(long, value_name = "DIR", default_value = "snapshots")]
        snapshots: PathBuf,
    },
    /// Convergence benchmark of daemons on the wire: each workload (a scenario file, see
    /// bench/) after a warm-up run, --repeat times per daemon; median and spread of
    /// convergence time, per-prefix latency, throughput, DUT peak RSS and CPU, the harness's
    /// headroom. Exit 1 when a run fails or a regression beyond --threshold is found.
    Bench {
        /// Workload files or directories.
        #[arg(default_value = "bench")]
        paths: Vec<PathBuf>,
        /// Daemons (default: all four).
        #[arg(long, value_enum, value_delimiter = ',')]
        dut: Vec<DutKind>,
        /// Measured repetitions per workload and daemon, after one warm-up run.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// Write all results as JSON (a later --baseline).
        #[arg(long, value_name = "PATH")]
        json: Option<PathBuf>,
        /// Write the Markdown table.
        #[arg(long, value_name = "PATH")]
        markdown: Option<PathBuf>,
        /// Write the latency CDF plot (SVG).
        #[arg(long, value_name = "PATH")]
        svg: Option<PathBuf>,
        /// Write the convergence-over-time plot (SVG): the fraction of prefixes the DUT has
        /// answered against the time since the first byte went in.
        #[arg(long, value_name = "PATH")]
        svg_over_time: Option<PathBuf>,
        /// Compare with an earlier --json output.
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
        /// Allowed convergence slowdown against the baseline, percent.
        #[arg(long, default_value_t = 20.0)]
        threshold: f64,
    },
    /// Check scenario files (YAML): schema, references, values. Exit 2 when any is invalid.
    Validate {
        /// Scenario files or directories (searched for *.yaml).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// List scenarios: file, name, daemons it applies to, steps, description.
    List {
        /// Scenario files or directories.
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
    },
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
    Review {
        /// Only these snapshots (names without `.snap.new`).
        names: Vec<String>,
        /// Folder of snapshots.
        #[arg(long, value_name = "DIR", default_value = "snapshots")]
        snapshots: PathBuf,
        /// Accept every pending snapshot without asking.
        #[arg(long, conflicts_with = "reject")]
        accept: bool,
        /// Reject (delete) every pending snapshot without asking.
        #[arg(long)]
        reject: bool,
    },
    /// Write NAME.yaml, a commented starter scenario that validates and runs. Never
    /// overwrites a file (exit 2).
    New {
        /// The scenario's name (letters, digits, `-`, `_`, `.`), also its file name.
        name: String,
        /// Folder to write it to.
        #[arg(long, value_name = "DIR", default_value = "scenarios")]
        dir: PathBuf,
        /// The daemon it runs against by default.
        #[arg(long, value_enum, default_value_t = DutKind::Bird)]
        dut: DutKind,
    },
    /// Run one simulated BGP speaker against a router (or, with --passive --expect N, a sink
    /// that measures how fast N prefixes arrive).
    Inject(Box<InjectArgs>),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help and version on stdout with status 0, usage errors with 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("BGPSTORM_LOG"))
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Decode { files, format, stats, ports } => {
            let opts = decode::Options { format, stats, ports };
            decode::main(&files, &opts)
        }
        Command::Monitor { pcaps, ifaces, netns, duration, config, listen, json, ports } => {
            monitor_cmd::main(&monitor_cmd::Options {
                pcaps,
                config,
                listen,
                json,
                ports,
                netns,
                ifaces,
                duration,
            })
        }
        Command::Run {
            paths,
            dut,
            junit,
            json,
            matrix,
            artifacts,
            keep_artifacts,
            keep_on_failure,
            snapshots,
        } => {
            let snapshots = std::path::absolute(&snapshots).unwrap_or(snapshots);
            let artifacts = std::path::absolute(&artifacts).unwrap_or(artifacts);
            run_cmd::main(&run_cmd::Options {
                paths,
                duts: dut,
                junit,
                json,
                matrix,
                artifacts,
                keep_artifacts,
                keep_on_failure,
                snapshots,
            })
        }
        Command::Bench {
            paths,
            dut,
            repeat,
            json,
            markdown,
            svg,
            svg_over_time,
            baseline,
            threshold,
        } => {
            let artifacts = std::path::absolute("target/bgpstorm-bench")
                .unwrap_or_else(|_| "target/bgpstorm-bench".into());
            let snapshots = std::path::absolute("snapshots").unwrap_or_else(|_| "snapshots".into());
            bench::main(&bench::Options {
                paths,
                duts: dut,
                repeat,
                json,
                markdown,
                svg,
                svg_over_time,
                baseline,
                threshold,
                artifacts,
                snapshots,
            })
        }
        Command::Validate { paths } => scenario_cmd::validate(&paths),
        Command::List { paths } => scenario_cmd::list(&paths),
        Command::Schema { reference: false } => scenario_cmd::schema(),
        Command::Schema { reference: true } => reference::main(),
        Command::Review { names, snapshots, accept, reject } => {
            let decision = match (accept, reject) {
                (true, _) => Some(cli_review::Decision::Accept),
                (_, true) => Some(cli_review::Decision::Reject),
                _ => None,
            };
            cli_review::main(&cli_review::Options { snapshots, decision, names })
        }
        Command::New { name, dir, dut } => cli_new::main(&cli_new::Options { name, dir, dut }),
        Command::Inject(args) => inject::main(&args),
    }
}
