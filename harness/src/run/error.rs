//! Why a step failed: a check that did not hold, or an action that could not be done.

use std::path::PathBuf;

use crate::check::outcome::CheckFailure;
use crate::dut::DutError;
use crate::speaker::ProgramError;
use crate::speaker::SessionError;
use crate::speaker::prefixes::PrefixError;
use crate::speaker::replay::ReplayError;
use crate::topology::TopologyError;

/// A step that failed, printed as its detail line.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// A check did not hold.
    #[error(transparent)]
    Check(#[from] CheckFailure),
    /// A speaker's program (announce, withdraw, replay…) failed on its session.
    #[error("{speaker}: {source}")]
    Program {
        /// The speaker.
        speaker: String,
        /// Why.
        source: ProgramError,
    },
    /// A session is not (or not again) Established by its deadline.
    #[error("{speaker}: {what}{dut_log}")]
    Session {
        /// The speaker.
        speaker: String,
        /// What did not happen, with the session's own error.
        what: String,
        /// The DUT's log errors, if any (empty or starting with a new line).
        dut_log: String,
    },
    /// A speaker's session cannot be started again.
    #[error("{speaker}: cannot restart the session: {source}")]
    Restart {
        /// The speaker.
        speaker: String,
        /// Why.
        source: SessionError,
    },
    /// The scenario names a speaker the run does not have.
    #[error("no speaker {0}")]
    NoSpeaker(String),
    /// A prefix set cannot be made.
    #[error(transparent)]
    Prefixes(#[from] PrefixError),
    /// An MRT file cannot be replayed.
    #[error("{}: {source}", path.display())]
    Mrt {
        /// The file.
        path: PathBuf,
        /// Why.
        source: ReplayError,
    },
    /// A replay sent nothing: no route of the peer is of a family the session negotiated.
    #[error(
        "{speaker}: the replay of {updates} UPDATEs sent nothing ({skipped} prefixes skipped, family not negotiated); say `allow_empty: true` if that is expected"
    )]
    EmptyReplay {
        /// The speaker.
        speaker: String,
        /// UPDATEs read.
        updates: u64,
        /// Prefixes skipped.
        skipped: u64,
    },
    /// The session did not negotiate what the step needs.
    #[error("{speaker}: {what} was not negotiated with the DUT")]
    NotNegotiated {
        /// The speaker.
        speaker: String,
        /// The capability.
        what: &'static str,
    },
    /// A raw UPDATE is longer than the session allows.
    #[error("{speaker}: an UPDATE of {len} octets is over {max}")]
    TooLong {
        /// The speaker.
        speaker: String,
        /// Its body's length.
        len: usize,
        /// The session's maximum message length.
        max: usize,
    },
    /// A raw UPDATE could not be sent (most likely the DUT answered with a NOTIFICATION).
    #[error("{speaker}: {source} ({last_error}; NOTIFICATIONs so far: {notifications:?})")]
    RawRefused {
        /// The speaker.
        speaker: String,
        /// Why the send failed.
        source: ProgramError,
        /// The session's last error.
        last_error: String,
        /// The NOTIFICATIONs seen on the session.
        notifications: Vec<String>,
    },
    /// A link cannot be changed.
    #[error(transparent)]
    Topology(#[from] TopologyError),
    /// The scenario has no DUT to restart.
    #[error("no DUT to restart (dut: none)")]
    NoDut,
    /// The DUT cannot be restarted.
    #[error(transparent)]
    Dut(#[from] DutError),
}

/// `map_err` for a speaker's program errors.
pub(crate) fn program(speaker: &str) -> impl Fn(ProgramError) -> StepError + '_ {
    move |source| StepError::Program { speaker: speaker.to_string(), source }
}
