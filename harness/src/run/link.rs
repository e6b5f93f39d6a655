//! Link actions: a speaker's link down or up, and impairments (delay, jitter, loss).

use super::Runner;
use super::error::StepError;
use super::routes::Outcome;
use crate::scenario::model::{Impair, LinkState};
use crate::topology::Impairment;

impl Runner<'_> {
    /// A link going down is seen by both ends, as when a cable is pulled: the speaker drops
    /// its connection at once (no NOTIFICATION can cross) and reconnects once the link is back,
    /// so a later `wait: established` waits for a new session instead of passing on the dead
    /// one. The DUT notices by its own means (interface state or hold timer).
    pub(super) async fn link(&mut self, l: &LinkState) -> Outcome {
        let link = self.speaker_link(&l.speaker)?;
        self.topo.set_link(link, l.up)?;
        if l.up {
            return Ok(format!("link of {} up", l.speaker));
        }
        self.injectors.remove(&l.speaker);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        let dropped = self.session(&l.speaker)?.drop_connection(deadline).await;
        Ok(format!(
            "link of {} down{}",
            l.speaker,
            if dropped { "; its session dropped" } else { "" }
        ))
    }

    pub(super) fn impair(&mut self, i: &Impair) -> Outcome {
        let link = self.speaker_link(&i.speaker)?;
        let imp = Impairment {
            delay: i.delay.unwrap_or_default(),
            jitter: i.jitter.unwrap_or_default(),
            loss_percent: i.loss.unwrap_or(0.0),
        };
        self.topo.impair(link, &imp)?;
        Ok(format!("link of {} impaired: {imp:?}", i.speaker))
    }

    fn speaker_link(&self, name: &str) -> Result<usize, StepError> {
        self.plan
            .speakers
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.link)
            .ok_or_else(|| StepError::NoSpeaker(name.to_string()))
    }
}
