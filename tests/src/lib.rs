//! Support for bgpstorm's integration tests: network namespaces, veth links and daemon
//! processes as guards that remove what they made when dropped (also when a test fails),
//! and checks that fail with a clear message when the environment lacks root or a daemon.
//! [`netlab`] builds throwaway namespaces joined by a veth pair, and [`bgp`] writes the BGP
//! messages the capture tests send.

pub mod bgp;
pub mod daemon;
pub mod netlab;
pub mod netns;
