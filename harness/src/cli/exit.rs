//! The exit status of every `bgpstorm` subcommand: one documented set.
//!
//! Each subcommand's `--help` says what the statuses mean for it; the numbers mean the same
//! everywhere: nothing wrong, the thing checked is wrong, the request is wrong, the machine
//! cannot do it; and, for `bgpstorm run`, a signal stopped it.

use std::process::ExitCode;

/// Everything asked for happened: every run passed, every record decoded, nothing was lost.
pub const SUCCESS: u8 = 0;
/// The thing checked is wrong: an assertion failed, a run failed, a session or expectation
/// failed, a record was malformed or data was lost.
pub const FAILED: u8 = 1;
/// The request is wrong: bad usage or option values, an invalid scenario or configuration,
/// an unreadable input file.
pub const USAGE: u8 = 2;
/// The environment cannot do it: not root, a missing daemon, namespace or kernel feature, an
/// address in use.
pub const ENVIRONMENT: u8 = 3;

/// `bgpstorm run` was stopped by SIGINT (128 + 2, as a shell reports it): everything it had
/// built was torn down and the reports say which run was interrupted.
pub const INTERRUPTED: u8 = 130;
/// `bgpstorm run` was stopped by SIGTERM (128 + 15), with the same teardown and reports.
pub const TERMINATED: u8 = 143;

/// The process exit code of a status above.
pub fn code(status: u8) -> ExitCode {
    ExitCode::from(status)
}
