//! Counters of a decode run, printed by `--stats`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Display;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bgpstorm_monitor::stream::DecodeStats;

/// Problems printed per file on stderr; the rest are only counted.
pub const REPORTED_PER_FILE: u64 = 20;

/// What a decode run saw.
#[derive(Debug, Default)]
pub struct Stats {
    /// Files read.
    pub files: u64,
    /// MRT records or captured frames read.
    pub records: u64,
    /// BGP messages by type name.
    pub messages: BTreeMap<&'static str, u64>,
    /// BGP FSM state changes (BGP4MP STATE_CHANGE records).
    pub state_changes: u64,
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
    /// Problems seen per file, to limit what is printed.
    pub reported: HashMap<PathBuf, u64>,
    /// Capture frames, reassembly and stream counters of the pcap inputs.
    pub capture: DecodeStats,
}

impl Stats {
    /// Counts a problem of `kind` in `file` and prints it on stderr (the first
    /// [`REPORTED_PER_FILE`] of each file; a last line says that the rest are counted only).
    pub fn report(&mut self, file: &Path, kind: &str, what: impl Display) {
        self.error(kind);
        let n = self.reported.entry(file.to_path_buf()).or_default();
        *n += 1;
        if *n <= REPORTED_PER_FILE {
            eprintln!("bgpstorm decode: {}: {what}", file.display());
        } else if *n == REPORTED_PER_FILE + 1 {
            eprintln!(
                "bgpstorm decode: {}: more problems; only counted from here on (see --stats)",
                file.display()
            );
        }
    }

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
        if self.state_changes > 0 {
            writeln!(w, "state changes    {}", self.state_changes)?;
        }
        if self.rib_entries > 0 {
            writeln!(w, "rib entries      {}", self.rib_entries)?;
        }
        writeln!(w, "announcements    {}", self.announcements)?;
        writeln!(w, "withdrawals      {}", self.withdrawals)?;
        writeln!(
            w,
            "not modelled     {} NLRI, {} records",
            self.not_modelled, self.records_not_modelled
        )?;
        writeln!(w, "peers            {}", self.peers.len())?;
        writeln!(w, "errors           {}", self.error_count())?;
        for (kind, n) in &self.errors {
            writeln!(w, "  {kind:<14} {n}")?;
        }
        if self.capture.capture.frames > 0 {
            writeln!(w, "capture")?;
            for (name, n) in self.capture.entries().into_iter().filter(|(_, n)| *n > 0) {
                writeln!(w, "  {name:<24} {n}")?;
            }
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
