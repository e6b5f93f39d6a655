//! eBPF programs of bgpstorm's wire monitor.
//!
//! The TC classifier that copies BGP segments into a ring buffer lands here with the live
//! monitor (issue 4): C sources compiled by clang `-target bpf` from build.rs and embedded as
//! bytes that `bgpstorm-monitor` loads with aya. Until then this crate holds no program.
