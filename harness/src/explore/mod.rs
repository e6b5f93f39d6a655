//! Generated scenarios with a reference-model oracle (`bgpstorm explore`).
//!
//! A seed gives a [`case::Case`] ([`generator::generate`]: proptest strategies on a seeded RNG):
//! speakers, and events with their attributes. The reference model ([`model`]) predicts what
//! every speaker holds after each event (RFC 4271 decision process and export rules), and
//! [`render`] writes the case as scenario YAML whose `expect: {at, rib}` steps are those
//! predictions. `bgpstorm run` of that file is the oracle: it passes on a daemon that agrees
//! with the model and reproduces a divergence by itself.

pub mod case;
pub mod generator;
pub mod log;
pub mod model;
pub mod oracle;
pub mod render;
pub mod shrink;

#[cfg(test)]
mod shrink_tests;
#[cfg(test)]
mod tests;
