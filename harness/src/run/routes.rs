//! Actions that send routes: announce (and storm), withdraw, flap, churn, replay.

use std::net::{IpAddr, Ipv6Addr};
use std::path::Path;
use std::time::Duration;

use bgpstorm_wire::AfiSafi;
use ipnet::IpNet;
use tokio::time::Instant;

use super::Runner;
use super::error::{StepError, program};
use crate::scenario::model::{
    Announce, Churn, Family, Flap, Prefixes, Replay, Withdraw, WithdrawSet,
};
use crate::speaker::RouteSpec;
use crate::speaker::prefixes::{PrefixError, from_mrt, range};
use crate::speaker::replay::{PeerSelector, load_updates};

/// A step's outcome: a detail line on success, the reason on failure.
pub type Outcome = Result<String, StepError>;

/// The prefixes of a set (files relative to the scenario's folder).
pub fn resolve(set: &Prefixes, base: &Path) -> Result<Vec<IpNet>, PrefixError> {
    match set {
        Prefixes::List(l) => Ok(l.iter().map(|p| p.trunc()).collect()),
        Prefixes::Range(r) => range(r.start, r.count),
        Prefixes::Mrt(m) => from_mrt(&base.join(&m.mrt), m.limit),
    }
}

/// The wire family of a scenario family.
pub fn afi_safi(f: Family) -> AfiSafi {
    match f {
        Family::Ipv4 => AfiSafi::IPV4_UNICAST,
        Family::Ipv6 => AfiSafi::IPV6_UNICAST,
    }
}

/// Next hops: an explicit one for its family, else IPv4 the session's own address and IPv6
/// the speaker's own link address (sessions run over IPv4 and carry IPv6 with MP-BGP, so
/// IPv6 routes need one; RFC 2545 §3).
fn next_hops(spec: &mut RouteSpec, explicit: Option<IpAddr>, v6_self: Ipv6Addr) {
    spec.next_hop_v6 = Some(v6_self);
    match explicit {
        Some(IpAddr::V4(v4)) => spec.next_hop_v4 = Some(v4),
        Some(IpAddr::V6(v6)) => spec.next_hop_v6 = Some(v6),
        None => {}
    }
}

/// The route attributes an announcement asks for.
pub fn route_spec(a: &Announce, v6_self: Ipv6Addr) -> RouteSpec {
    let mut spec = RouteSpec {
        origin: a.origin,
        as_path: a.as_path.clone(),
        prepend: a.prepend,
        med: a.med,
        local_pref: a.local_pref,
        communities: a.communities.clone(),
        large_communities: a.large_communities.clone(),
        extended_communities: a.extended_communities.clone(),
        path_id: a.path_id.unwrap_or(0),
        ..RouteSpec::default()
    };
    next_hops(&mut spec, a.next_hop, v6_self);
    spec
}

/// Plain routes with an AS path (flap, churn).
fn plain_spec(as_path: &[u32], v6_self: Ipv6Addr) -> RouteSpec {
    let mut spec = RouteSpec { as_path: as_path.to_vec(), ..RouteSpec::default() };
    next_hops(&mut spec, None, v6_self);
    spec
}

impl Runner<'_> {
    pub(super) async fn announce(&mut self, a: &Announce, storm: bool) -> Outcome {
        let prefixes = resolve(&a.prefixes, self.base)?;
        let names: Vec<&String> = std::iter::once(&a.from).chain(&a.with).collect();
        let mut senders = Vec::with_capacity(names.len());
        for &name in &names {
            let spec = route_spec(a, self.speaker_v6(name)?);
            self.injector(name).await?;
            let inj =
                self.injectors.remove(name).ok_or_else(|| StepError::NoSpeaker(name.clone()))?;
            let busy = inj.busy();
            senders.push((name, inj, spec, busy));
        }
        let started = Instant::now();
        let prefixes = &prefixes;
        // Every sender at once: each future owns its injector for the duration.
        let results = futures_util::future::join_all(senders.iter_mut().map(
            |(name, inj, spec, _)| async move {
                inj.announce(prefixes, spec).await.map_err(program(name))?;
                inj.flush().await.map_err(program(name))
            },
        ))
        .await;
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        let mut busy = Duration::ZERO;
        for (name, inj, _, before) in senders {
            busy += inj.busy() - before;
            self.injectors.insert(name.clone(), inj);
        }
        results.into_iter().collect::<Result<Vec<()>, StepError>>()?;
        self.sent = (prefixes.len() * names.len()) as u64;
        let total = (prefixes.len() * names.len()) as f64;
        let rate = total / secs;
        // What the senders could produce: prefixes per second of their own busy time (the
        // wall rate above is held back by the DUT reading its socket).
        let capacity = total / busy.as_secs_f64().max(1e-9);
        // Small announcements say nothing about the sender's speed.
        if prefixes.len() >= 10_000 {
            self.sender_rate = Some(self.sender_rate.map_or(capacity, |r: f64| r.max(capacity)));
        }
        let what = if storm { "storm" } else { "announced" };
        let from = names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ");
        Ok(format!(
            "{what} {} prefixes from {from} ({rate:.0} prefixes/s; sender capacity {capacity:.0}/s)",
            prefixes.len()
        ))
    }

    pub(super) async fn withdraw(&mut self, w: &Withdraw) -> Outcome {
        let base = self.base;
        let from = w.from.as_str();
        let inj = self.injector(from).await?;
        let n = match &w.prefixes {
            WithdrawSet::All => inj.withdraw_all().await.map_err(program(from))?,
            WithdrawSet::Set(s) => {
                let p = resolve(s, base)?;
                match w.path_id {
                    Some(id) => inj.withdraw_path(&p, id).await,
                    None => inj.withdraw(&p).await,
                }
                .map_err(program(from))?;
                p.len()
            }
        };
        inj.flush().await.map_err(program(from))?;
        self.sent = n as u64;
        Ok(format!("withdrew {n} prefixes from {from}"))
    }

    pub(super) async fn flap(&mut self, f: &Flap) -> Outcome {
        let prefixes = resolve(&f.prefixes, self.base)?;
        let spec = plain_spec(f.as_path.as_deref().unwrap_or_default(), self.speaker_v6(&f.from)?);
        let inj = self.injector(&f.from).await?;
        inj.flap(&prefixes, &spec, None, f.cycles, f.interval).await.map_err(program(&f.from))?;
        self.sent = prefixes.len() as u64 * u64::from(f.cycles) * 2;
        Ok(format!("{} flap cycles of {} prefixes", f.cycles, prefixes.len()))
    }

    pub(super) async fn churn(&mut self, c: &Churn) -> Outcome {
        let pool = resolve(&c.prefixes, self.base)?;
        let spec = plain_spec(&[], self.speaker_v6(&c.from)?);
        let mut alt = spec.clone();
        alt.med = Some(100);
        let inj = self.injector(&c.from).await?;
        let r = inj
            .churn(&pool, &[spec, alt], c.rate, c.duration, c.seed.unwrap_or(0))
            .await
            .map_err(program(&c.from))?;
        self.sent = r.announced + r.withdrawn;
        Ok(format!("churn: {} announcements, {} withdrawals", r.announced, r.withdrawn))
    }

    /// Replays a peer of an MRT file. IPv6 routes over the IPv4 session get the speaker's own
    /// IPv6 link address as next hop unless the step gives one; a replay that sends nothing
    /// fails unless the step allows it.
    pub(super) async fn replay(&mut self, r: &Replay) -> Outcome {
        let path = self.base.join(&r.file);
        let (peer, updates) = load_updates(&path, PeerSelector::Index(r.peer_index.unwrap_or(0)))
            .map_err(|source| StepError::Mrt { path: path.clone(), source })?;
        let mut spec = RouteSpec::default();
        next_hops(&mut spec, r.next_hop, self.speaker_v6(&r.from)?);
        let inj = self.injector(&r.from).await?;
        let rep = inj.replay_via(&updates, r.speed, &spec).await.map_err(program(&r.from))?;
        inj.flush().await.map_err(program(&r.from))?;
        self.sent = rep.announced + rep.withdrawn;
        if self.sent == 0 && !r.allow_empty {
            return Err(StepError::EmptyReplay {
                speaker: r.from.clone(),
                updates: rep.updates,
                skipped: rep.skipped,
            });
        }
        Ok(format!(
            "replayed {} UPDATEs of peer {} (AS{}): {} announced, {} withdrawn, {} skipped (family not negotiated)",
            rep.updates, peer.ip, peer.asn, rep.announced, rep.withdrawn, rep.skipped
        ))
    }

    pub(super) fn speaker_v6(&self, name: &str) -> Result<Ipv6Addr, StepError> {
        self.plan
            .speakers
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.v6)
            .ok_or_else(|| StepError::NoSpeaker(name.to_string()))
    }
}
