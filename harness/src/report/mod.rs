//! Reports of runs, shaped as nextest's reporter: the runner and `bgpstorm run` emit typed
//! [`RunEvent`]s into an [`EventBus`]; each output is a [`Reporter`] subscribed to it.
//!
//! - [`line`]: the terminal, a line per run and per step, summaries (always on);
//! - [`json`]: `--json`, the [`RunReport`]s;
//! - [`junit`]: `--junit`, a test suite per scenario, a test case per DUT kind;
//! - [`matrix`]: `--matrix` as Markdown, and the per-cell files `ci/matrix` reads.
//!
//! Outputs that write files create them before the first run (a path that cannot be used is
//! a usage error) and write them in [`Reporter::finish`] (a failure then is the environment's).

mod events;
pub mod json;
pub mod junit;
pub mod line;
pub mod matrix;
mod model;
#[cfg(test)]
mod test_support;

pub use events::{EventBus, Output, ReportError, Reporter, RunEvent, Totals};
pub use json::JsonWriter;
pub use junit::JunitWriter;
pub use line::LinePrinter;
pub use matrix::{CellFiles, MatrixWriter};
pub use model::{RunReport, SeenNotification, StepReport, StepStatus};
