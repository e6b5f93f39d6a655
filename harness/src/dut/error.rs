//! What can go wrong with a daemon under test: starting it, asking it, reading its RIB.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Something wrong with the daemon.
#[derive(Debug, thiserror::Error)]
pub enum DutError {
    /// Not installed.
    #[error(
        "{daemon} is not installed in {place} ({binary} not found): for the host run `bash ci/setup`, it installs bird2 frr gobgpd openbgpd; for a Debian 13 root `bgpstorm dut install debian13`"
    )]
    Missing {
        /// Daemon name.
        daemon: &'static str,
        /// The binary looked for.
        binary: String,
        /// Where it was looked for.
        place: String,
    },
    /// `dut: none` has no daemon to start.
    #[error("no daemon to start for `dut: none`")]
    NoDaemon,
    /// Its directory or a configuration file cannot be written.
    #[error("{daemon}: {}: {source}", path.display())]
    Files {
        /// Daemon name.
        daemon: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A process cannot be started.
    #[error("{daemon}: {source}")]
    Spawn {
        /// Daemon name.
        daemon: &'static str,
        /// Why.
        source: io::Error,
    },
    /// A process ended before the daemon was ready.
    #[error("{daemon}: exited before it was ready: {status}\n--- log ---\n{log}")]
    Exited {
        /// Daemon name.
        daemon: &'static str,
        /// Which process and its exit status.
        status: String,
        /// The tail of its logs.
        log: String,
    },
    /// Its control channel did not answer in time.
    #[error(
        "{daemon}: control socket did not answer within {after:?}: {source}\n--- log ---\n{log}"
    )]
    NotReady {
        /// Daemon name.
        daemon: &'static str,
        /// How long it was given.
        after: Duration,
        /// The last answer.
        source: ControlError,
        /// The tail of its logs.
        log: String,
    },
    /// A signal stopped the run while the daemon was starting.
    #[error("{daemon}: start stopped by {}", signal.name())]
    Interrupted {
        /// Daemon name.
        daemon: &'static str,
        /// The signal.
        signal: crate::interrupt::Signal,
    },
    /// A control query failed.
    #[error("{daemon}: {what}: {source}\n--- log ---\n{log}")]
    Control {
        /// Daemon name.
        daemon: &'static str,
        /// What was asked.
        what: &'static str,
        /// Why it failed.
        source: ControlError,
        /// The tail of its logs.
        log: String,
    },
    /// Its RIB dump cannot be read.
    #[error("{daemon}: RIB dump: {source}")]
    Rib {
        /// Daemon name.
        daemon: &'static str,
        /// Why.
        source: RibError,
    },
}

/// A control query that did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The control program cannot be run.
    #[error("{program}: {source}")]
    Spawn {
        /// The program.
        program: &'static str,
        /// Why.
        source: io::Error,
    },
    /// It ran and failed, or printed nothing.
    #[error("{command}: {output}")]
    Failed {
        /// The command line.
        command: String,
        /// What it printed.
        output: String,
    },
    /// It answers, but is not ready yet.
    #[error("{0}")]
    NotYet(&'static str),
}

/// A RIB dump that cannot be parsed.
#[derive(Debug, thiserror::Error)]
pub enum RibError {
    /// JSON expected.
    #[error("not JSON ({source}): {start}")]
    Json {
        /// The parser's error.
        source: serde_json::Error,
        /// The first 200 characters.
        start: String,
    },
}
