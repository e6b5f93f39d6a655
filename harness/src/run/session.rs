//! Session actions: wait for Established, reset a session; the injector of a speaker's
//! current session, which the route actions send with.

use std::net::IpAddr;
use std::time::Duration;

use tokio::time::Instant;

use super::Runner;
use super::error::StepError;
use super::routes::Outcome;
use crate::scenario::model::Wait;
use crate::speaker::{Injector, Session};

/// Default deadline of waits that do not say.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

impl Runner<'_> {
    /// A speaker's session.
    pub(crate) fn session(&self, name: &str) -> Result<&Session, StepError> {
        self.sessions.get(name).ok_or_else(|| StepError::NoSpeaker(name.to_string()))
    }

    /// The injector of a speaker's current session (waiting for it to be Established).
    pub(super) async fn injector(&mut self, name: &str) -> Result<&mut Injector, StepError> {
        let stale = self.injectors.get(name).is_some_and(|i| i.link().is_closed());
        if stale {
            self.injectors.remove(name);
        }
        if !self.injectors.contains_key(name) {
            let s = self.session(name)?;
            let link = s.established(Instant::now() + DEFAULT_WAIT).await.map_err(|e| {
                StepError::Session {
                    speaker: name.to_string(),
                    what: format!("session not Established within {DEFAULT_WAIT:?}: {e}"),
                    dut_log: String::new(),
                }
            })?;
            let inj = Injector::new(s, link, None);
            self.injectors.insert(name.to_string(), inj);
        }
        self.injectors.get_mut(name).ok_or_else(|| StepError::NoSpeaker(name.to_string()))
    }

    pub(super) async fn wait(&mut self, w: &Wait) -> Outcome {
        let names: Vec<String> =
            w.speakers.clone().unwrap_or_else(|| self.sessions.keys().cloned().collect());
        let within = w.within.unwrap_or(DEFAULT_WAIT);
        let deadline = Instant::now() + within;
        for n in &names {
            let s = self.session(n)?;
            s.established(deadline).await.map_err(|e| StepError::Session {
                speaker: n.clone(),
                what: format!("not Established within {within:?} (state {}): {e}", s.state()),
                dut_log: self.dut_log_tail(),
            })?;
        }
        Ok(format!("{} sessions Established", names.len()))
    }

    pub(super) async fn reset(&mut self, name: &str) -> Outcome {
        self.injectors.remove(name);
        let s = self.sessions.remove(name).ok_or_else(|| StepError::NoSpeaker(name.into()))?;
        let cfg = s.config().clone();
        s.stop(Duration::from_secs(2)).await;
        // Reconnect once the old connection is seen closed on the wire, as a router would
        // after its connect-retry timer, so the DUT does not meet the new OPEN while it still
        // holds the old session (FRR logs that as an OPEN receipt failure).
        self.wait_closed(cfg.local_addr, cfg.peer_addr).await;
        let s = Session::start(cfg)
            .map_err(|source| StepError::Restart { speaker: name.to_string(), source })?;
        self.sessions.insert(name.to_string(), s);
        Ok(format!("{name}: session reset (Cease sent, restarted)"))
    }

    /// Waits (up to 5 s) until the monitor sees the connection between two addresses closed.
    pub(super) async fn wait_closed(&self, local: Option<IpAddr>, peer: Option<IpAddr>) -> bool {
        let (Some(w), Some(local), Some(peer)) = (&self.watch, local, peer) else { return false };
        let key = if local <= peer { (local, peer) } else { (peer, local) };
        let closed = |e: &bgpstorm_monitor::engine::Engine| {
            e.health().sessions().any(|h| {
                h.peers == key && h.state == bgpstorm_monitor::detect::session::State::Closed
            })
        };
        w.wait_for(Instant::now() + Duration::from_secs(5), closed).await
    }

    /// The DUT's log errors as lines to add to a failure (empty when there are none).
    pub(crate) fn dut_log_tail(&self) -> String {
        match &self.dut {
            Some(d) => {
                let errors = d.log_errors();
                if errors.is_empty() {
                    String::new()
                } else {
                    format!("\n  DUT log errors:\n    {}", errors.join("\n    "))
                }
            }
            None => String::new(),
        }
    }
}
