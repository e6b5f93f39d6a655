//! Integration tests live in `tests/`; see the crate description. This library holds what
//! the tests that need a real network share: [`netlab`] builds throwaway namespaces joined
//! by a veth pair, and [`bgp`] writes the BGP messages they send.

pub mod bgp;
pub mod netlab;
