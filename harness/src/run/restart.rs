//! Restarts: the DUT's daemon, or a speaker's BGP process (RFC 4724 §4).

use tokio::time::Instant;

use super::Runner;
use super::error::StepError;
use super::routes::Outcome;
use super::session::DEFAULT_WAIT;
use crate::scenario::model::RestartSpeaker;

impl Runner<'_> {
    /// A speaker restarts (RFC 4724 §4): its connection closes without a NOTIFICATION, its
    /// connect-retry timer brings it back, and the step ends when it is Established again.
    pub(super) async fn restart_speaker(&mut self, r: &RestartSpeaker) -> Outcome {
        let name = r.speaker.as_str();
        let within = r.within.unwrap_or(DEFAULT_WAIT);
        self.injectors.remove(name);
        let s = self.session(name)?;
        if s.link().is_none() {
            return Err(StepError::Session {
                speaker: name.to_string(),
                what: "not Established, nothing to restart".into(),
                dut_log: String::new(),
            });
        }
        let cfg = s.config().clone();
        let started = Instant::now();
        let before = s.restart_connection(r.graceful);
        // The close seen on the wire is only reported: the restart does not wait for it.
        let closed = self.wait_closed(cfg.local_addr, cfg.peer_addr).await;
        let s = self.session(name)?;
        s.established_again(before, started + within).await.map_err(|e| StepError::Session {
            speaker: name.to_string(),
            what: format!("not Established again within {within:?}: {e}"),
            dut_log: self.dut_log_tail(),
        })?;
        let how = if r.graceful { "Restart State set" } else { "Restart State clear" };
        let seen = if closed { "close seen on the wire" } else { "close not seen by the monitor" };
        Ok(format!(
            "{name}: connection dropped without NOTIFICATION ({seen}), Established again after {:.3}s ({how})",
            started.elapsed().as_secs_f64()
        ))
    }

    /// Stops and starts the DUT's daemon; the speakers' sessions come back by themselves.
    pub(super) fn restart_dut(&mut self) -> Outcome {
        let ns = self.topo.node(0);
        let dut = self.dut.as_mut().ok_or(StepError::NoDut)?;
        dut.restart(ns, DEFAULT_WAIT)?;
        self.injectors.clear();
        Ok(format!("DUT restarted ({})", dut.version()))
    }
}
