//! `bgpstorm inject`: the options are [`InjectArgs`]; [`crate::inject`] does the work.

pub use crate::inject::{InjectArgs, main};
