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

// Exit statuses, the command line's one set: 0 everything asked for happened; 1 the session
// failed or an expectation was not met by its deadline; 2 wrong usage (bad option values,
// inconsistent options, unreadable input); 3 the environment is missing something
// (namespace, address, permission).
pub use crate::cli::exit::{
    ENVIRONMENT as EXIT_ENVIRONMENT, FAILED as EXIT_FAILED, SUCCESS as EXIT_OK, USAGE as EXIT_USAGE,
};
