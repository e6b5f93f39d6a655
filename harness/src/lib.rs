//! bgpstorm-harness: the `bgpstorm` command line and the test harness behind it.
//!
//! Today it holds `bgpstorm decode` ([`decode`]): files (MRT, pcap) → the monitor crate's
//! readers and wire decoder → pipe (`bgpdump -m`) or JSON lines on stdout, statistics on stderr.

pub mod decode;
