//! The `bgpstorm` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use bgpstorm_harness::decode::{self, Format};
use bgpstorm_harness::inject::{self, InjectArgs};
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
        Command::Inject(args) => inject::main(&args),
    }
}
