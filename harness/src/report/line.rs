//! The terminal output: a line per run, per step and per skipped pair as nextest prints
//! tests, a summary per run and one for all; colours only on a terminal.

use std::io::{IsTerminal, Write};

use super::events::{Reporter, RunEvent, Totals};
use super::model::{RunReport, StepReport, StepStatus};

/// Prints the events as lines.
pub struct LinePrinter<W: Write> {
    out: W,
    colour: bool,
}

impl LinePrinter<std::io::Stdout> {
    /// Prints on stdout, in colour when it is a terminal.
    pub fn stdout() -> Self {
        let out = std::io::stdout();
        let colour = out.is_terminal();
        Self { out, colour }
    }
}

impl<W: Write> LinePrinter<W> {
    /// Prints into `out`, in colour (ANSI escapes) or not.
    pub fn new(out: W, colour: bool) -> Self {
        Self { out, colour }
    }

    /// What was printed into.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }

    /// `    PASS [  0.512s] 2/6 announce 10k — announced 10000 prefixes ...`
    fn step(&mut self, s: &StepReport, total: usize) -> std::io::Result<()> {
        let (label, code) = match s.status {
            StepStatus::Passed => ("PASS", "32"),
            StepStatus::Failed => ("FAIL", "31;1"),
            StepStatus::Skipped => ("SKIP", "33"),
            StepStatus::Interrupted => ("INTR", "35;1"),
        };
        let label = self.paint(code, label);
        let first = s.detail.lines().next().unwrap_or_default();
        writeln!(
            self.out,
            "    {label} [{:>8.3}s] {}/{total} {} — {first}",
            s.duration.as_secs_f64(),
            s.index + 1,
            s.name
        )?;
        for more in s.detail.lines().skip(1) {
            writeln!(self.out, "        {more}")?;
        }
        Ok(())
    }

    /// The end-of-run summary for one scenario.
    fn summary(&mut self, r: &RunReport) -> std::io::Result<()> {
        let status = if r.interrupted.is_some() {
            self.paint("35;1", "INTR")
        } else if r.passed() {
            self.paint("32", "PASS")
        } else {
            self.paint("31;1", "FAIL")
        };
        let version = r.dut.as_ref().map_or("no DUT".to_string(), |d| match d.source {
            crate::dut::Source::Host => d.version.clone(),
            ref s => format!("{} from {s}", d.version),
        });
        writeln!(
            self.out,
            "{status} [{:>8.3}s] {} on {} ({version}; setup {:.3}s, teardown {:.3}s)",
            r.duration.as_secs_f64(),
            r.scenario,
            r.column,
            r.setup.as_secs_f64(),
            r.teardown.as_secs_f64()
        )?;
        if let Some(c) = &r.convergence
            && c.announce.count + c.withdraw.count > 0
        {
            writeln!(
                self.out,
                "        convergence: announce p50 {:.3} ms p99 {:.3} ms max {:.3} ms ({} prefixes); withdraw p99 {:.3} ms max {:.3} ms ({})",
                c.announce.p50_us as f64 / 1e3,
                c.announce.p99_us as f64 / 1e3,
                c.announce.max_us as f64 / 1e3,
                c.announce.count,
                c.withdraw.p99_us as f64 / 1e3,
                c.withdraw.max_us as f64 / 1e3,
                c.withdraw.count
            )?;
        }
        if let Some(m) = &r.monitor {
            writeln!(
                self.out,
                "        monitor: {} records, {} payload bytes, {} drops",
                m.capture.records_read,
                m.capture.payload_bytes_read,
                m.capture.drops()
            )?;
        }
        if let Some(why) = r.interruption() {
            writeln!(self.out, "        {why}: the run stopped there and was torn down")?;
        }
        for n in &r.notes {
            writeln!(self.out, "        note: {n}")?;
        }
        if let Some(a) = &r.artifacts {
            writeln!(self.out, "        artifacts: {}", a.display())?;
        }
        Ok(())
    }

    fn totals(&mut self, t: &Totals) -> std::io::Result<()> {
        let interrupted = if t.interrupted > 0 {
            format!(", {} interrupted", t.interrupted)
        } else {
            String::new()
        };
        writeln!(
            self.out,
            "Summary: {} runs, {} passed, {} failed{interrupted}, {} could not run, {} not applicable",
            t.ran + t.environment,
            t.passed,
            t.failed(),
            t.environment,
            t.not_applicable
        )
    }

    fn print(&mut self, e: &RunEvent<'_>) -> std::io::Result<()> {
        match e {
            RunEvent::RunStarted { scenario, dut, path } => {
                writeln!(self.out, "RUN  {scenario} on {dut} ({})", path.display())
            }
            RunEvent::NotApplicable { scenario, dut, why } => {
                writeln!(self.out, "    SKIP {scenario} on {dut}: not applicable ({why})")
            }
            RunEvent::CouldNotStart { scenario, dut, why } => {
                writeln!(self.out, "    ENV  {scenario} on {dut}: {why}")
            }
            RunEvent::StepFinished { step, total } => self.step(step, *total),
            RunEvent::RunFinished { report } => self.summary(report),
            RunEvent::AllFinished { totals } => self.totals(totals),
        }
    }
}

impl<W: Write> Reporter for LinePrinter<W> {
    fn event(&mut self, e: &RunEvent<'_>) {
        // A closed terminal or pipe must not stop the runs or lose the files written after.
        let _ = self.print(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{col, report, step};
    use crate::scenario::model::DutKind;
    use std::path::Path;

    fn printed(colour: bool, events: &[RunEvent<'_>]) -> String {
        let mut p = LinePrinter::new(Vec::new(), colour);
        for e in events {
            p.event(e);
        }
        String::from_utf8(p.into_inner()).unwrap()
    }

    #[test]
    fn a_run_prints_a_line_per_step_a_summary_and_the_totals() {
        let mut r = report(
            "quickstart",
            DutKind::Bird,
            &[
                step(0, StepStatus::Passed, "2 sessions Established"),
                step(1, StepStatus::Failed, "down holds 0 prefixes, expected 5\nsecond line"),
                step(2, StepStatus::Skipped, "an earlier step failed"),
            ],
        );
        r.notes.push("DUT logged 1 error line(s), first: x".into());
        r.artifacts = Some("/tmp/a".into());
        let totals =
            Totals { ran: 1, passed: 0, interrupted: 0, environment: 1, not_applicable: 1 };
        let path = Path::new("scenarios/quickstart.yaml");
        let text = printed(
            false,
            &[
                RunEvent::RunStarted { scenario: "quickstart", dut: &col(DutKind::Bird), path },
                RunEvent::StepFinished { step: &r.steps[0], total: 3 },
                RunEvent::StepFinished { step: &r.steps[1], total: 3 },
                RunEvent::StepFinished { step: &r.steps[2], total: 3 },
                RunEvent::RunFinished { report: &r },
                RunEvent::CouldNotStart {
                    scenario: "quickstart",
                    dut: &col(DutKind::Frr),
                    why: "no",
                },
                RunEvent::NotApplicable {
                    scenario: "q",
                    dut: &col(DutKind::None),
                    why: "has a DUT",
                },
                RunEvent::AllFinished { totals: &totals },
            ],
        );
        assert_eq!(
            text,
            "RUN  quickstart on bird (scenarios/quickstart.yaml)\n\
             \x20   PASS [   0.250s] 1/3 step 1 — 2 sessions Established\n\
             \x20   FAIL [   0.250s] 2/3 step 2 — down holds 0 prefixes, expected 5\n\
             \x20       second line\n\
             \x20   SKIP [   0.250s] 3/3 step 3 — an earlier step failed\n\
             FAIL [   1.500s] quickstart on bird (no DUT; setup 0.125s, teardown 0.050s)\n\
             \x20       note: DUT logged 1 error line(s), first: x\n\
             \x20       artifacts: /tmp/a\n\
             \x20   ENV  quickstart on frr: no\n\
             \x20   SKIP q on none: not applicable (has a DUT)\n\
             Summary: 2 runs, 0 passed, 1 failed, 1 could not run, 1 not applicable\n"
        );
    }

    #[test]
    fn an_interrupted_run_says_where_the_signal_stopped_it() {
        let mut r = report(
            "long",
            DutKind::Bird,
            &[
                step(0, StepStatus::Passed, "2 sessions Established"),
                step(1, StepStatus::Interrupted, "interrupted by SIGINT after 0.250s"),
                step(2, StepStatus::Skipped, "the run was interrupted (SIGINT)"),
            ],
        );
        r.interrupted = Some("SIGINT");
        let totals =
            Totals { ran: 1, passed: 0, interrupted: 1, environment: 0, not_applicable: 0 };
        let text = printed(
            false,
            &[
                RunEvent::StepFinished { step: &r.steps[1], total: 3 },
                RunEvent::RunFinished { report: &r },
                RunEvent::AllFinished { totals: &totals },
            ],
        );
        assert_eq!(
            text,
            "    INTR [   0.250s] 2/3 step 2 — interrupted by SIGINT after 0.250s\n\
             INTR [   1.500s] long on bird (no DUT; setup 0.125s, teardown 0.050s)\n\
             \x20       interrupted by SIGINT in step 2 (step 2): the run stopped there and was torn down\n\
             Summary: 1 runs, 0 passed, 0 failed, 1 interrupted, 0 could not run, 0 not applicable\n"
        );
    }

    #[test]
    fn colours_are_ansi_escapes_around_the_status_only() {
        let s = step(0, StepStatus::Passed, "ok");
        let text = printed(true, &[RunEvent::StepFinished { step: &s, total: 1 }]);
        assert_eq!(text, "    \x1b[32mPASS\x1b[0m [   0.250s] 1/1 step 1 — ok\n");
    }
}
