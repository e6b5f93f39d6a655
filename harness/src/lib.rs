//! bgpstorm-harness: the `bgpstorm` command line and the test harness behind it.
//!
//! - [`decode`]: files (MRT, pcap) → the monitor crate's readers and wire decoder → pipe
//!   (`bgpdump -m`) or JSON lines on stdout, statistics on stderr.
//! - [`inject`]: command-line options → a [`speaker`] session → UPDATE programs on the wire,
//!   or a sink that counts what arrives.
//! - [`cli`]: the command line, one module per subcommand and one set of exit statuses
//!   ([`cli::exit`]); `bgpstorm monitor` drives the monitor crate's engine and REST API.
//! - [`explore`]: scenarios generated from a seed, with the RIBs a reference model predicts
//!   as their checks.
//! - [`scenario`], [`topology`]: scenario files and the namespaces they run in.
//! - [`interrupt`]: SIGINT / SIGTERM during a run, which stop it where it waits.

pub mod check;
pub mod cli;
pub mod decode;
pub mod dut;
pub mod explore;
pub mod inject;
pub mod interrupt;
pub mod report;
pub mod run;
pub mod scenario;
pub mod snapshot;
pub mod speaker;
pub mod topology;
