//! bgpstorm-harness: the `bgpstorm` command line and the test harness behind it.
//!
//! - [`decode`]: files (MRT, pcap) → the monitor crate's readers and wire decoder → pipe
//!   (`bgpdump -m`) or JSON lines on stdout, statistics on stderr.
//! - [`inject`]: command-line options → a [`speaker`] session → UPDATE programs on the wire,
//!   or a sink that counts what arrives.
//! - [`monitor_cmd`]: `bgpstorm monitor`, the passive route monitor over captures (the
//!   monitor crate's engine and REST API).
//! - [`scenario`], [`topology`]: scenario files and the namespaces they run in.

pub mod bench;
pub mod bench_plot;
pub mod cli_new;
pub mod cli_review;
pub mod decode;
pub mod dut;
pub mod inject;
pub mod monitor_cmd;
pub mod monitor_live;
pub mod reference;
pub mod report;
pub mod run;
pub mod run_cmd;
pub mod scenario;
pub mod scenario_cmd;
pub mod snapshot;
pub mod speaker;
pub mod topology;
