//! Counts since a named snapshot: announcements (at least, waited for), the session's
//! continuity, withdrawals (exactly, once the rest has passed).

use std::time::Duration;

use tokio::time::Instant;

use super::{CheckFailure, CheckResult, Mark, Pass};
use crate::run::Runner;

impl Runner<'_> {
    /// The counts of `at`'s session at the snapshot `since`.
    fn mark(&self, at: &str, since: &str) -> Result<Mark, CheckFailure> {
        self.marks.get(since).and_then(|m| m.get(at)).copied().ok_or_else(|| {
            CheckFailure::new(at, format!("a snapshot named {since:?} taken before"), "has none")
        })
    }

    pub(super) async fn announced(
        &self,
        at: &str,
        since: &str,
        n: u64,
        within: Duration,
        deadline: Instant,
    ) -> CheckResult {
        let s = self.checked_session(at)?;
        let mark = self.mark(at, since)?;
        let announced = || s.rib_in().totals().0.saturating_sub(mark.announced);
        let _ = s.rib_in().wait_until(deadline, |_| announced() >= n).await;
        let got = announced();
        if got < n {
            return Err(CheckFailure::new(
                at,
                format!("at least {n} within {within:?}"),
                format!("received {got} prefix announcements since {since}"),
            )
            .with_context(self.dut_log_tail()));
        }
        Ok(Pass(format!("{at} received {got} prefix announcements since {since}")))
    }

    pub(super) fn uninterrupted(&self, at: &str, since: &str) -> CheckResult {
        let s = self.checked_session(at)?;
        let mark = self.mark(at, since)?;
        let now = Mark::of(s);
        let notes: Vec<String> =
            s.notifications().iter().skip(mark.notifications).map(|n| n.to_string()).collect();
        if now.established != mark.established || s.link().is_none() || !notes.is_empty() {
            return Err(CheckFailure::new(
                at,
                format!("the session to stay up since {since}"),
                format!(
                    "did not stay up: Established {} time(s) since, now {}, NOTIFICATIONs {notes:?}",
                    now.established.saturating_sub(mark.established),
                    s.state()
                ),
            ));
        }
        Ok(Pass(format!("{at}'s session stayed up since {since}")))
    }

    pub(super) fn withdrawn(&self, at: &str, since: &str, n: u64) -> CheckResult {
        let s = self.checked_session(at)?;
        let mark = self.mark(at, since)?;
        let got = s.rib_in().totals().1.saturating_sub(mark.withdrawn);
        if got != n {
            return Err(CheckFailure::new(
                at,
                n.to_string(),
                format!("received {got} prefix withdrawals since {since}"),
            ));
        }
        Ok(Pass(format!("{at} received {got} prefix withdrawals since {since}")))
    }
}
