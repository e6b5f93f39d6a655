//! Counters of a decode run, printed by `--stats`.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};
use std::net::IpAddr;
use std::time::Duration;

/// What a decode run saw.
#[derive(Debug, Default)]
pub struct Stats {
    /// Files read.
    pub files: u64,
    /// MRT records or captured frames read.
    pub records: u64,
    /// BGP messages by type name.
    pub messages: BTreeMap<&'static str, u64>,
    /// RIB entries (TABLE_DUMP, TABLE_DUMP_V2).
    pub rib_entries: u64,
    /// Announced prefixes (UPDATE NLRI and RIB entries).
    pub announcements: u64,
    /// Withdrawn prefixes.
    pub withdrawals: u64,
    /// NLRI of families outside the route model.
    pub not_modelled: u64,
    /// Records of MRT types or subtypes outside the model.
    pub records_not_modelled: u64,
    /// Distinct peers (MRT peer address, or capture sender).
    pub peers: HashSet<IpAddr>,
    /// Errors by kind (malformed messages, truncated files, RFC 7606 actions, capture drops).
    pub errors: BTreeMap<String, u64>,
}

impl Stats {
    /// Counts one error of `kind`.
    pub fn error(&mut self, kind: impl Into<String>) {
        *self.errors.entry(kind.into()).or_default() += 1;
    }

    /// Counts one message of type `name`.
    pub fn message(&mut self, name: &'static str) {
        *self.messages.entry(name).or_default() += 1;
    }

    /// Total errors.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Writes the report.
    pub fn write(&self, w: &mut impl Write, elapsed: Duration) -> io::Result<()> {
        let secs = elapsed.as_secs_f64().max(1e-9);
        writeln!(w, "files            {}", self.files)?;
        writeln!(w, "records          {}", self.records)?;
        let total: u64 = self.messages.values().sum();
        writeln!(w, "messages         {total}")?;
        for (name, n) in &self.messages {
            writeln!(w, "  {name:<14} {n}")?;
        }
        if self.rib_entries > 0 {
            writeln!(w, "rib entries      {}", self.rib_entries)?;
        }
        writeln!(w, "announcements    {}", self.announcements)?;
        writeln!(w, "withdrawals      {}", self.withdrawals)?;
        writeln!(w, "not modelled     {} NLRI, {} records", self.not_modelled, self.records_not_modelled)?;
        writeln!(w, "peers            {}", self.peers.len())?;
        writeln!(w, "errors           {}", self.error_count())?;
        for (kind, n) in &self.errors {
            writeln!(w, "  {kind:<14} {n}")?;
        }
        writeln!(w, "elapsed          {:.3} s", secs)?;
        writeln!(
            w,
            "throughput       {:.0} records/s, {:.0} prefixes/s",
            self.records as f64 / secs,
            (self.announcements + self.withdrawals) as f64 / secs
        )
    }
}
