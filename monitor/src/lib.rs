//! bgpstorm-monitor: everything between BGP bytes and route state.
//!
//! Data flows top to bottom through the modules:
//! wire bytes ([`capture`]: pcap files, or the eBPF TC program's ring buffer live) → per-flow TCP stream
//! ([`reassembly`]) → framed BGP messages decoded under a per-session context (the codec crate
//! [`bgpstorm_wire`], which also reads MRT archives) → the normalized
//! route model ([`bgpstorm_wire::model`]) that the RIB, detectors, convergence tracking and the harness
//! consume.
//!
//! Features (both on by default): `api` is the HTTP interface (axum, prometheus-client), `live`
//! the eBPF capture (aya). Without them the crate reads pcap files only.
//! Route changes and session events go to every [`detect::Detector`]; the [`engine`] holds
//! it all, fed by one capture → engine loop and shared through an [`engine::EngineHandle`]
//! with the REST API ([`api`]), whose query strings [`query`] parses (without the `api` feature,
//! so that the fuzz targets reach it).

#[cfg(feature = "api")]
pub mod api;
pub mod capture;
pub mod convergence;
pub mod detect;
pub mod engine;
pub mod query;
pub mod reassembly;
pub mod rib;
pub mod stream;
