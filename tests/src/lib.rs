//! Support for bgpstorm's integration tests, one module per concern:
//! - [`lab`]: network namespaces and veth links (the harness's fd-held namespaces, gone with
//!   the test process however it ends), and the root check;
//! - [`daemon`]: scratch directories, installed-binary checks and waiting on a child's output;
//! - [`bgp`]: the BGP messages the capture tests send;
//! - [`mrt`]: MRT record framing for hand-written MRT files.
//!
//! Daemons under test are started through the harness's own drivers (`bgpstorm_harness::dut`).

pub mod bgp;
pub mod daemon;
pub mod lab;
pub mod mrt;
