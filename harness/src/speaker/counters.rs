//! Counters of what a session sent and received.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Live counters, updated by the session's tasks and the programs that feed it.
#[derive(Debug, Default)]
pub struct Counters {
    messages_sent: AtomicU64,
    updates_sent: AtomicU64,
    bytes_sent: AtomicU64,
    prefixes_announced: AtomicU64,
    prefixes_withdrawn: AtomicU64,
    messages_received: AtomicU64,
    updates_received: AtomicU64,
    bytes_received: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CounterSnapshot {
    /// Messages written (all types).
    pub messages_sent: u64,
    /// UPDATE messages written.
    pub updates_sent: u64,
    /// Bytes written to the socket.
    pub bytes_sent: u64,
    /// Prefixes announced (repeats counted).
    pub prefixes_announced: u64,
    /// Prefixes withdrawn (repeats counted).
    pub prefixes_withdrawn: u64,
    /// Messages read (all types).
    pub messages_received: u64,
    /// UPDATE messages read.
    pub updates_received: u64,
    /// Bytes read from the socket.
    pub bytes_received: u64,
}

impl Counters {
    /// Counts bytes written that held `messages` messages, `updates` of them UPDATEs.
    pub fn sent(&self, bytes: usize, messages: u64, updates: u64) {
        self.bytes_sent.fetch_add(bytes as u64, Relaxed);
        self.messages_sent.fetch_add(messages, Relaxed);
        self.updates_sent.fetch_add(updates, Relaxed);
    }

    /// Counts prefixes put into UPDATEs.
    pub fn prefixes(&self, announced: u64, withdrawn: u64) {
        self.prefixes_announced.fetch_add(announced, Relaxed);
        self.prefixes_withdrawn.fetch_add(withdrawn, Relaxed);
    }

    /// Counts one message read.
    pub fn received(&self, bytes: usize, update: bool) {
        self.bytes_received.fetch_add(bytes as u64, Relaxed);
        self.messages_received.fetch_add(1, Relaxed);
        self.updates_received.fetch_add(u64::from(update), Relaxed);
    }

    /// The current values.
    pub fn snapshot(&self) -> CounterSnapshot {
        CounterSnapshot {
            messages_sent: self.messages_sent.load(Relaxed),
            updates_sent: self.updates_sent.load(Relaxed),
            bytes_sent: self.bytes_sent.load(Relaxed),
            prefixes_announced: self.prefixes_announced.load(Relaxed),
            prefixes_withdrawn: self.prefixes_withdrawn.load(Relaxed),
            messages_received: self.messages_received.load(Relaxed),
            updates_received: self.updates_received.load(Relaxed),
            bytes_received: self.bytes_received.load(Relaxed),
        }
    }
}
