//! What `bgpstorm explore` tells while and after it runs: the counts ([`Tally`]) and their
//! summary line, and the status line on a terminal ([`Progress`]).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use crate::explore::oracle::Oracle;

/// Counts of an exploration, and each column's runs and run time.
pub(super) struct Tally {
    /// When explore started.
    pub(super) started: Instant,
    /// Cases finished on every column.
    pub(super) cases: u64,
    /// Runs that gave a result.
    pub(super) runs: u64,
    /// Runs that diverged.
    pub(super) divergences: u64,
    /// Divergent runs per oracle.
    per_oracle: BTreeMap<Oracle, u64>,
    /// Cases on which the columns disagreed.
    pub(super) differential: u64,
    /// Divergences shrunk, and the runs and seconds shrinking took.
    pub(super) shrunk: u64,
    pub(super) shrink_runs: u64,
    pub(super) shrink_secs: f64,
    /// Each column's runs and their seconds.
    per_column: Vec<(String, u64, f64)>,
}

impl Tally {
    pub(super) fn new() -> Self {
        Self {
            started: Instant::now(),
            cases: 0,
            runs: 0,
            divergences: 0,
            per_oracle: BTreeMap::new(),
            differential: 0,
            shrunk: 0,
            shrink_runs: 0,
            shrink_secs: 0.0,
            per_column: Vec::new(),
        }
    }

    /// A run on `column` that took `secs`, and the oracle it diverged on, if it did.
    pub(super) fn ran(&mut self, column: &str, secs: f64, diverged: Option<Oracle>) {
        self.runs += 1;
        if let Some(o) = diverged {
            self.divergences += 1;
            *self.per_oracle.entry(o).or_default() += 1;
        }
        match self.per_column.iter_mut().find(|(c, ..)| c == column) {
            Some((_, n, s)) => {
                *n += 1;
                *s += secs;
            }
            None => self.per_column.push((column.to_string(), 1, secs)),
        }
    }

    /// Cases finished per hour so far.
    pub(super) fn rate(&self) -> f64 {
        per_hour(self.cases, self.started.elapsed().as_secs_f64())
    }

    /// The summary line; `stopped` says why it ended early, if it did.
    pub(super) fn summary(&self, stopped: Option<String>) -> String {
        let secs = self.started.elapsed().as_secs_f64();
        let columns: Vec<String> = self
            .per_column
            .iter()
            .map(|(c, n, s)| format!("{c} {:.0}/h", per_hour(*n, *s)))
            .collect();
        let mut line = format!(
            "explore: {} cases, {} runs, {} diverging in {secs:.0}s; {:.0} cases per hour",
            self.cases,
            self.runs,
            self.divergences,
            self.rate()
        );
        if !columns.is_empty() {
            line += &format!(" (per column: {})", columns.join(", "));
        }
        // Each oracle's count, the differential one in cases.
        let oracles: Vec<String> = Oracle::ALL
            .iter()
            .filter(|o| **o != Oracle::Differential)
            .map(|o| format!("{o} {}", self.per_oracle.get(o).copied().unwrap_or(0)))
            .chain(std::iter::once(format!("differential {}", self.differential)))
            .collect();
        line += &format!("; divergences by oracle: {}", oracles.join(", "));
        if self.shrunk > 0 {
            line += &format!(
                "; {} shrunk in {} runs ({:.0}s)",
                self.shrunk, self.shrink_runs, self.shrink_secs
            );
        }
        if let Some(why) = stopped {
            line += &format!("; {why}");
        }
        line
    }
}

fn per_hour(n: u64, secs: f64) -> f64 {
    if secs > 0.0 { n as f64 * 3600.0 / secs } else { 0.0 }
}

/// A status line on stderr while cases run, only when it is a terminal.
pub(super) struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    pub(super) fn new() -> Self {
        if !std::io::stderr().is_terminal() {
            return Self { bar: None };
        }
        let bar = indicatif::ProgressBar::new_spinner();
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{spinner} {elapsed_precise} {wide_msg}")
        {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        Self { bar: Some(bar) }
    }

    /// Shows the counts, the rate, the remaining time and what runs now.
    pub(super) fn show(&self, t: &Tally, remaining: Option<Duration>, now: &str) {
        let Some(bar) = &self.bar else { return };
        let left = remaining
            .map(|r| {
                format!(", ~{} left", humantime::format_duration(Duration::from_secs(r.as_secs())))
            })
            .unwrap_or_default();
        bar.set_message(format!(
            "{} cases, {} runs, {} diverging, {:.0} cases/h{left}  {now}",
            t.cases,
            t.runs,
            t.divergences,
            t.rate()
        ));
    }

    /// Prints a line on stdout without tearing the status line.
    pub(super) fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| println!("{line}")),
            None => println!("{line}"),
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_gives_the_rate_per_column() {
        let mut t = Tally::new();
        t.cases = 2;
        t.ran("bird@2.0.12", 10.0, None);
        t.ran("bird@2.0.12", 8.0, Some(Oracle::Liveness));
        t.ran("frr@8.4.4", 12.0, None);
        t.differential = 1;
        let s = t.summary(Some("stopped on time (--time 1s)".into()));
        assert!(s.starts_with("explore: 2 cases, 3 runs, 1 diverging in "), "{s}");
        assert!(s.contains("(per column: bird@2.0.12 400/h, frr@8.4.4 300/h)"), "{s}");
        assert!(
            s.contains(
                "divergences by oracle: model 0, consistency 0, liveness 1, harness 0, differential 1"
            ),
            "{s}"
        );
        assert!(s.ends_with("; stopped on time (--time 1s)"), "{s}");
    }
}
