//! Link actions: a speaker's link down or up, and impairments (delay, jitter, loss).

use super::Runner;
use super::error::StepError;
use super::routes::Outcome;
use crate::scenario::model::{Impair, LinkState};
use crate::topology::Impairment;

impl Runner<'_> {
    pub(super) fn link(&mut self, l: &LinkState) -> Outcome {
        let link = self.speaker_link(&l.speaker)?;
        self.topo.set_link(link, l.up)?;
        Ok(format!("link of {} {}", l.speaker, if l.up { "up" } else { "down" }))
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
