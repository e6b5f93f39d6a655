//! Single messages a speaker sends on request: ROUTE-REFRESH, End-of-RIB, a raw UPDATE.

use bgpstorm_wire::framing::kind;

use super::Runner;
use super::error::{StepError, program};
use super::routes::{Outcome, afi_safi};
use crate::scenario::model::{Refresh, SendRaw};
use crate::speaker::template::frame;

impl Runner<'_> {
    /// A speaker sends ROUTE-REFRESH (RFC 2918 §3) for a family.
    pub(super) async fn refresh(&mut self, r: &Refresh) -> Outcome {
        let family = afi_safi(r.family);
        let inj = self.injector(&r.from).await?;
        if !inj.link().negotiated.route_refresh {
            return Err(StepError::NotNegotiated {
                speaker: r.from.clone(),
                what: "route refresh",
            });
        }
        inj.route_refresh(family).await.map_err(program(&r.from))?;
        Ok(format!("{} sent ROUTE-REFRESH for {family}", r.from))
    }

    /// A speaker sends End-of-RIB for its session's families (RFC 4724 §2).
    pub(super) async fn end_of_rib(&mut self, name: &str) -> Outcome {
        let inj = self.injector(name).await?;
        let families = inj.link().negotiated.families.clone();
        inj.end_of_rib().await.map_err(program(name))?;
        inj.flush().await.map_err(program(name))?;
        let list: Vec<String> = families.iter().map(|f| f.to_string()).collect();
        Ok(format!("{name} sent End-of-RIB for {}", list.join(", ")))
    }

    /// A speaker sends an UPDATE given in hex (the header is added; RFC 4271 §4.1).
    pub(super) async fn send_raw(&mut self, r: &SendRaw) -> Outcome {
        let inj = self.injector(&r.from).await?;
        let max = inj.link().negotiated.send.max_message_len();
        let msg = frame(kind::UPDATE, &r.update, max).ok_or_else(|| StepError::TooLong {
            speaker: r.from.clone(),
            len: r.update.len(),
            max,
        })?;
        if let Err(source) = inj.send_raw(&msg).await {
            // Most likely the DUT answered with a NOTIFICATION: say which.
            let s = self.session(&r.from)?;
            return Err(StepError::RawRefused {
                speaker: r.from.clone(),
                source,
                last_error: s.status().last_error.unwrap_or_default(),
                notifications: s.notifications().iter().map(|n| n.to_string()).collect(),
            });
        }
        Ok(format!("{} sent a raw UPDATE of {} octets", r.from, msg.len()))
    }
}
