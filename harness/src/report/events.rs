//! The events a run of scenarios emits, the [`Reporter`] trait its outputs implement, and the
//! [`EventBus`] that hands every event to every subscribed output in order.

use std::path::{Path, PathBuf};

use super::model::RunReport;
use super::model::StepReport;
use crate::dut::Column;

/// Something that happened while running scenarios, in the order it happened.
#[derive(Clone, Copy, Debug)]
pub enum RunEvent<'a> {
    /// A scenario starts against one DUT.
    RunStarted {
        /// Scenario name.
        scenario: &'a str,
        /// The DUT's column.
        dut: &'a Column,
        /// The scenario's file.
        path: &'a Path,
    },
    /// A scenario does not apply to a DUT (its kind or its version) and is not run.
    NotApplicable {
        /// Scenario name.
        scenario: &'a str,
        /// The DUT's column.
        dut: &'a Column,
        /// Why it does not apply.
        why: &'a str,
    },
    /// A run could not start: the environment (privileges, daemon, kernel), not the scenario.
    CouldNotStart {
        /// Scenario name.
        scenario: &'a str,
        /// The DUT's column.
        dut: &'a Column,
        /// What was missing.
        why: &'a str,
    },
    /// A step of the current run ended (passed, failed or skipped).
    StepFinished {
        /// The step's result.
        step: &'a StepReport,
        /// How many steps the scenario has.
        total: usize,
    },
    /// A run ended; its report is complete.
    RunFinished {
        /// The run's report.
        report: &'a RunReport,
    },
    /// Every run ended.
    AllFinished {
        /// What the runs came to.
        totals: &'a Totals,
    },
}

/// What a set of runs came to, counted from the events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Runs that started and finished.
    pub ran: usize,
    /// Of those, the ones whose steps all passed.
    pub passed: usize,
    /// Of those, the ones a signal stopped (neither passed nor failed).
    pub interrupted: usize,
    /// Runs that could not start (environment).
    pub environment: usize,
    /// (scenario, DUT) pairs that do not apply.
    pub not_applicable: usize,
}

impl Totals {
    /// Counts one event.
    pub fn count(&mut self, e: &RunEvent<'_>) {
        match e {
            RunEvent::RunFinished { report } => {
                self.ran += 1;
                self.passed += usize::from(report.passed());
                self.interrupted += usize::from(report.interrupted.is_some());
            }
            RunEvent::CouldNotStart { .. } => self.environment += 1,
            RunEvent::NotApplicable { .. } => self.not_applicable += 1,
            RunEvent::RunStarted { .. }
            | RunEvent::StepFinished { .. }
            | RunEvent::AllFinished { .. } => {}
        }
    }

    /// Runs that finished with a failed step.
    pub fn failed(&self) -> usize {
        self.ran - self.passed - self.interrupted
    }
}

/// Which output could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// `--json`.
    Json,
    /// `--junit`.
    Junit,
    /// `--matrix`.
    Matrix,
    /// A matrix cell file.
    Cell,
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Output::Json => "--json",
            Output::Junit => "--junit",
            Output::Matrix => "--matrix",
            Output::Cell => "matrix cell",
        })
    }
}

/// An output that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The output file could not be created before the runs (a path the user gave: usage).
    #[error("{output} {}: cannot create: {source}", path.display())]
    Create {
        /// Which output.
        output: Output,
        /// Its path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The output could not be written after the runs (disk full, I/O error: environment).
    #[error("{output} {}: cannot write: {source}", path.display())]
    Write {
        /// Which output.
        output: Output,
        /// Its path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl ReportError {
    /// Whether the user gave a path that cannot be used (rather than the system failing later).
    pub fn is_usage(&self) -> bool {
        matches!(self, ReportError::Create { .. })
    }
}

/// An output of runs: sees every event, then writes what it gathered.
pub trait Reporter {
    /// Takes in one event.
    fn event(&mut self, e: &RunEvent<'_>);

    /// Writes what the events added up to (files are written here, not while running).
    fn finish(&mut self) -> Result<(), ReportError> {
        Ok(())
    }
}

/// Hands each event to every subscriber, in the order they subscribed, and counts the runs.
#[derive(Default)]
pub struct EventBus {
    subscribers: Vec<Box<dyn Reporter>>,
    totals: Totals,
}

impl EventBus {
    /// A bus with no subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an output.
    pub fn subscribe(&mut self, r: Box<dyn Reporter>) {
        self.subscribers.push(r);
    }

    /// The runs so far.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Sends [`RunEvent::AllFinished`], then lets every output write. Every output gets its
    /// turn; the errors of those that failed are returned together.
    pub fn finish(&mut self) -> Result<Totals, Vec<ReportError>> {
        let totals = self.totals;
        self.event(&RunEvent::AllFinished { totals: &totals });
        let errors: Vec<ReportError> =
            self.subscribers.iter_mut().filter_map(|s| s.finish().err()).collect();
        if errors.is_empty() { Ok(totals) } else { Err(errors) }
    }
}

impl Reporter for EventBus {
    fn event(&mut self, e: &RunEvent<'_>) {
        self.totals.count(e);
        for s in &mut self.subscribers {
            s.event(e);
        }
    }
}

/// Creates `path` (and its folder) for an output, before anything runs.
pub(crate) fn create(output: Output, path: &Path) -> Result<std::fs::File, ReportError> {
    let fail = |source| ReportError::Create { output, path: path.to_path_buf(), source };
    if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d).map_err(fail)?;
    }
    std::fs::File::create(path).map_err(fail)
}

/// Writes `text` into an output created by [`create`].
pub(crate) fn write_all(
    output: Output,
    path: &Path,
    file: &mut std::fs::File,
    text: &str,
) -> Result<(), ReportError> {
    use std::io::Write;
    file.write_all(text.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|source| ReportError::Write { output, path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::StepStatus;
    use crate::report::test_support::{col, report, step};
    use crate::scenario::model::DutKind;
    use std::cell::RefCell;
    use std::rc::Rc;

    struct Log(Rc<RefCell<Vec<String>>>);

    impl Reporter for Log {
        fn event(&mut self, e: &RunEvent<'_>) {
            let name = match e {
                RunEvent::RunStarted { .. } => "started",
                RunEvent::NotApplicable { .. } => "n/a",
                RunEvent::CouldNotStart { .. } => "env",
                RunEvent::StepFinished { .. } => "step",
                RunEvent::RunFinished { .. } => "finished",
                RunEvent::AllFinished { .. } => "all",
            };
            self.0.borrow_mut().push(name.into());
        }
    }

    #[test]
    fn every_subscriber_sees_every_event_in_order_and_the_bus_counts_the_runs() {
        let (a, b) = (Rc::new(RefCell::new(Vec::new())), Rc::new(RefCell::new(Vec::new())));
        let mut bus = EventBus::new();
        bus.subscribe(Box::new(Log(a.clone())));
        bus.subscribe(Box::new(Log(b.clone())));
        let passed = report("s", DutKind::Bird, &[step(0, StepStatus::Passed, "ok")]);
        let failed = report("s", DutKind::Frr, &[step(0, StepStatus::Failed, "no")]);
        let path = Path::new("s.yaml");
        bus.event(&RunEvent::RunStarted { scenario: "s", dut: &col(DutKind::Bird), path });
        bus.event(&RunEvent::StepFinished { step: &passed.steps[0], total: 1 });
        bus.event(&RunEvent::RunFinished { report: &passed });
        bus.event(&RunEvent::RunFinished { report: &failed });
        bus.event(&RunEvent::CouldNotStart { scenario: "s", dut: &col(DutKind::Gobgp), why: "x" });
        bus.event(&RunEvent::NotApplicable { scenario: "s", dut: &col(DutKind::None), why: "y" });
        let totals = bus.finish().map_err(|e| format!("{e:?}")).unwrap();
        assert_eq!(
            totals,
            Totals { ran: 2, passed: 1, interrupted: 0, environment: 1, not_applicable: 1 }
        );
        assert_eq!(totals.failed(), 1);
        let want = ["started", "step", "finished", "finished", "env", "n/a", "all"];
        assert_eq!(*a.borrow(), want);
        assert_eq!(*b.borrow(), want);
    }

    #[test]
    fn an_output_in_a_folder_that_cannot_exist_is_a_usage_error() {
        let e = create(Output::Json, Path::new("/proc/no-such-folder/r.json")).unwrap_err();
        assert!(e.is_usage());
        assert!(e.to_string().starts_with("--json /proc/no-such-folder/r.json: cannot create"));
    }
}
