//! Bounded per-(session, prefix) history of route changes.
//!
//! The first announcement of a path is not recorded (its receive time is on the path); from
//! the first change after it on, the last `per_key` changes are kept. At most `max_keys`
//! (session, prefix) pairs have a history; changes of further pairs are counted in
//! [`History::dropped`], never silently lost.

use std::collections::{HashMap, VecDeque};

use serde::Serialize;

use super::{RibChange, SessionId};
use bgpstorm_wire::Nlri;

/// The kind of a recorded change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// Announced after having been withdrawn.
    Announced,
    /// Attributes changed.
    Replaced,
    /// Announced again unchanged.
    Refreshed,
    /// Withdrawn.
    Withdrawn,
}

/// One recorded change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Wire time, ns.
    pub ts_ns: u64,
    /// What happened.
    pub kind: ChangeKind,
}

/// The history store.
#[derive(Debug, Default)]
pub struct History {
    per_key: usize,
    max_keys: usize,
    map: HashMap<(SessionId, Nlri), VecDeque<Change>>,
    dropped: u64,
}

/// Default bound on the (session, prefix) pairs with a history.
pub const DEFAULT_MAX_KEYS: usize = 1 << 20;

impl History {
    /// Keeps `per_key` changes per pair (0 disables the history).
    pub fn new(per_key: usize) -> Self {
        Self { per_key, max_keys: DEFAULT_MAX_KEYS, ..Self::default() }
    }

    pub(super) fn record(
        &mut self,
        session: SessionId,
        nlri: Nlri,
        ts_ns: u64,
        change: &RibChange,
    ) {
        if self.per_key == 0 {
            return;
        }
        let kind = match change {
            RibChange::Announced { .. } => ChangeKind::Announced,
            RibChange::Replaced { .. } => ChangeKind::Replaced,
            RibChange::Refreshed { .. } => ChangeKind::Refreshed,
            RibChange::Withdrawn { .. } => ChangeKind::Withdrawn,
            RibChange::UnknownWithdrawn { .. } => return,
        };
        let key = (session, nlri);
        if !self.map.contains_key(&key) {
            // A first announcement starts no history.
            if kind == ChangeKind::Announced {
                return;
            }
            if self.map.len() >= self.max_keys {
                self.dropped += 1;
                return;
            }
        }
        let entry = self.map.entry(key).or_default();
        if entry.len() == self.per_key {
            entry.pop_front();
        }
        entry.push_back(Change { ts_ns, kind });
    }

    /// The recorded changes of `nlri` on `session`, oldest first.
    pub fn of(&self, session: SessionId, nlri: Nlri) -> Vec<Change> {
        self.map.get(&(session, nlri)).map(|d| d.iter().copied().collect()).unwrap_or_default()
    }

    /// Changes not recorded because `max_keys` pairs already had a history.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}
