//! bgpstorm-harness: the `bgpstorm` command line and the test harness behind it.
//!
//! `bgpstorm decode` ([`decode`]): files (MRT, pcap) → the monitor crate's readers and wire
//! decoder → pipe (`bgpdump -m`) or JSON lines on stdout, statistics on stderr.
//! `bgpstorm inject` ([`inject`]): command-line options → a [`speaker`] session → UPDATE
//! programs on the wire, or a sink that counts what arrives.

pub mod decode;
pub mod inject;
pub mod speaker;
