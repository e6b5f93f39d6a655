//! `bgpstorm decode`: the options, then [`crate::decode`] does the work.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::decode::{self, Format};

/// Options of `bgpstorm decode`.
#[derive(clap::Args)]
pub struct DecodeArgs {
    /// Files to decode (`-` is standard input; pipes and FIFOs are read once, as they come);
    /// the kind (MRT or pcap) is detected from the content.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output: `pipe` is one line per route in `bgpdump -m` layout; `jsonl` one JSON object
    /// per message or RIB entry with every decoded field.
    #[arg(long, value_enum, default_value_t = Format::Pipe)]
    pub format: Format,
    /// Print message, route, peer, error and throughput counts on stderr at the end.
    #[arg(long)]
    pub stats: bool,
    /// TCP ports that carry BGP in captures.
    #[arg(long = "port", default_value = "179", value_delimiter = ',')]
    pub ports: Vec<u16>,
}

/// Runs `bgpstorm decode`.
pub fn main(a: DecodeArgs) -> ExitCode {
    let opts = decode::Options { format: a.format, stats: a.stats, ports: a.ports };
    decode::main(&a.files, &opts)
}
