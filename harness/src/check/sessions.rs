//! Session checks: Established by a deadline, stayed up since the start.

use std::time::Duration;

use tokio::time::Instant;

use super::{CheckFailure, CheckResult, Pass};
use crate::run::Runner;
use crate::speaker::State;

impl Runner<'_> {
    pub(super) async fn established(
        &self,
        names: &[String],
        within: Duration,
        deadline: Instant,
    ) -> CheckResult {
        for n in names {
            let s = self.checked_session(n)?;
            s.established(deadline).await.map_err(|err| {
                CheckFailure::new(
                    n,
                    format!("Established within {within:?}"),
                    format!("is not: {err}"),
                )
            })?;
        }
        Ok(Pass(format!("{} Established", names.join(", "))))
    }

    pub(super) fn stayed_up(&self, names: &[String]) -> CheckResult {
        for n in names {
            let s = self.checked_session(n)?;
            let status = s.status();
            let expected = "Established once, no NOTIFICATION";
            if let Some(first) = s.notifications().first() {
                return Err(CheckFailure::new(n, expected, format!("saw NOTIFICATION {first}"))
                    .with_context(self.dut_log_tail()));
            }
            if status.state != State::Established || status.established_count != 1 {
                return Err(CheckFailure::new(
                    n,
                    expected,
                    format!(
                        "is {} after reaching Established {} time(s) (last error: {})",
                        status.state,
                        status.established_count,
                        status.last_error.as_deref().unwrap_or("none")
                    ),
                )
                .with_context(self.dut_log_tail()));
            }
        }
        Ok(Pass(format!("{} stayed up: Established once, no NOTIFICATION", names.join(", "))))
    }
}
