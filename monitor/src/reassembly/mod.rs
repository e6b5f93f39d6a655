//! Per-flow TCP stream reassembly. Being written.
