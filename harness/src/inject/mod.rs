//! `bgpstorm inject`: one simulated speaker against any router from the command line, or,
//! with `--passive --expect N`, a sink that measures how fast a router exports N prefixes.
//!
//! Options ([`InjectArgs`]) → a [`SessionConfig`](crate::speaker::SessionConfig) and a list
//! of program steps → a session on a tokio runtime ([`run`]) → a summary on stdout (text, or
//! one JSON object with `--json`), a progress line on stderr when it is a terminal.

mod args;
mod parse;
mod run;

pub use args::InjectArgs;
pub use run::main;

/// Exit status: everything asked for happened.
pub const EXIT_OK: u8 = 0;
/// Exit status: the session failed or an expectation was not met by its deadline.
pub const EXIT_FAILED: u8 = 1;
/// Exit status: wrong usage (bad option values, inconsistent options, unreadable input).
pub const EXIT_USAGE: u8 = 2;
/// Exit status: the environment is missing something (namespace, address, permission).
pub const EXIT_ENVIRONMENT: u8 = 3;
