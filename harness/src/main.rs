//! The `bgpstorm` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use bgpstorm_harness::decode::{self, Format};
use bgpstorm_harness::inject::{self, InjectArgs};
use bgpstorm_harness::{monitor_cmd, scenario_cmd};
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
    Schema,
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
        Command::Monitor { pcaps, config, listen, json, ports } => {
            monitor_cmd::main(&monitor_cmd::Options { pcaps, config, listen, json, ports })
        }
        Command::Validate { paths } => scenario_cmd::validate(&paths),
        Command::List { paths } => scenario_cmd::list(&paths),
        Command::Schema => scenario_cmd::schema(),
        Command::Inject(args) => inject::main(&args),
    }
}
