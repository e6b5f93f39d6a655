//! Executing the steps that change things: sessions, announcements, links, the DUT.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use bgpstorm_monitor::wire::AfiSafi;
use bgpstorm_monitor::wire::framing::kind;
use bgpstorm_monitor::wire::model::Origin;
use ipnet::IpNet;
use tokio::time::Instant;

use super::Runner;
use crate::scenario::model::{
    Announce, Family, Prefixes, Refresh, RestartSpeaker, SendRaw, Wait, WithdrawSet,
};
use crate::scenario::{
    community_range, parse_community, parse_extended_community, parse_large_community,
};
use crate::speaker::prefixes::{from_mrt, range};
use crate::speaker::replay::{PeerSelector, load_updates};
use crate::speaker::template::frame;
use crate::speaker::{Injector, RouteSpec, Session};
use crate::topology::Impairment;

/// Default deadline of waits that do not say.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// A step's outcome: a detail line on success, the reason on failure.
pub type Outcome = Result<String, String>;

/// The prefixes of a set (files relative to the scenario's folder).
pub fn resolve(set: &Prefixes, base: &Path) -> Result<Vec<IpNet>, String> {
    match set {
        Prefixes::List(l) => Ok(l.iter().map(|p| p.trunc()).collect()),
        Prefixes::Range(r) => range(r.start, r.count).map_err(|e| e.to_string()),
        Prefixes::Mrt(m) => from_mrt(&base.join(&m.mrt), m.limit).map_err(|e| e.to_string()),
    }
}

/// The wire family of a scenario family.
pub fn afi_safi(f: Family) -> AfiSafi {
    match f {
        Family::Ipv4 => AfiSafi::IPV4_UNICAST,
        Family::Ipv6 => AfiSafi::IPV6_UNICAST,
    }
}

/// The route attributes an announcement asks for.
pub fn route_spec(a: &Announce, v6_self: std::net::Ipv6Addr) -> RouteSpec {
    let mut spec = RouteSpec {
        origin: match a.origin.as_deref() {
            Some("egp") => Origin::Egp,
            Some("incomplete") => Origin::Incomplete,
            _ => Origin::Igp,
        },
        as_path: a.as_path.clone(),
        prepend: a.prepend,
        med: a.med,
        local_pref: a.local_pref,
        communities: a
            .communities
            .iter()
            .filter_map(|c| parse_community(c))
            .chain(a.community_range.as_ref().and_then(community_range).into_iter().flatten())
            .collect(),
        large_communities: a
            .large_communities
            .iter()
            .filter_map(|c| parse_large_community(c))
            .collect(),
        extended_communities: a
            .extended_communities
            .iter()
            .filter_map(|c| parse_extended_community(c))
            .collect(),
        // Sessions run over IPv4: IPv6 routes need an IPv6 next hop, the speaker's own.
        next_hop_v6: Some(v6_self),
        path_id: a.path_id.unwrap_or(0),
        ..RouteSpec::default()
    };
    match a.next_hop {
        Some(IpAddr::V4(v4)) => spec.next_hop_v4 = Some(v4),
        Some(IpAddr::V6(v6)) => spec.next_hop_v6 = Some(v6),
        None => {}
    }
    spec
}

impl Runner<'_> {
    fn session(&self, name: &str) -> Result<&Session, String> {
        self.sessions.get(name).ok_or_else(|| format!("no session {name}"))
    }

    /// The injector of a speaker's current session (waiting for it to be Established).
    pub(super) async fn injector(&mut self, name: &str) -> Result<&mut Injector, String> {
        let stale = self.injectors.get(name).is_some_and(|i| i.link().is_closed());
        if stale {
            self.injectors.remove(name);
        }
        if !self.injectors.contains_key(name) {
            let s = self.session(name)?;
            let link = s.established(Instant::now() + DEFAULT_WAIT).await.map_err(|e| {
                format!("{name}: session not Established within {DEFAULT_WAIT:?}: {e}")
            })?;
            let inj = Injector::new(s, link, None);
            self.injectors.insert(name.to_string(), inj);
        }
        self.injectors.get_mut(name).ok_or_else(|| format!("no injector for {name}"))
    }

    pub(super) async fn wait(&mut self, w: &Wait) -> Outcome {
        let (names, within): (Vec<String>, Duration) = match w {
            Wait::Keyword(_) => (self.sessions.keys().cloned().collect(), DEFAULT_WAIT),
            Wait::Sessions(s) => (
                s.established.clone().unwrap_or_else(|| self.sessions.keys().cloned().collect()),
                s.within.unwrap_or(DEFAULT_WAIT),
            ),
        };
        let deadline = Instant::now() + within;
        for n in &names {
            let s = self.session(n)?;
            s.established(deadline).await.map_err(|e| {
                format!(
                    "{n}: not Established within {within:?} (state {}): {e}{}",
                    s.state(),
                    self.dut_log_tail()
                )
            })?;
        }
        Ok(format!("{} sessions Established", names.len()))
    }

    pub(super) async fn announce(&mut self, a: &Announce, storm: bool) -> Outcome {
        let prefixes = resolve(&a.prefixes, self.base)?;
        let names: Vec<&String> = std::iter::once(&a.from).chain(&a.with).collect();
        let mut senders = Vec::with_capacity(names.len());
        for &name in &names {
            let spec = route_spec(a, self.speaker_v6(name)?);
            self.injector(name).await?;
            let inj =
                self.injectors.remove(name).ok_or_else(|| format!("no injector for {name}"))?;
            let busy = inj.busy();
            senders.push((name, inj, spec, busy));
        }
        let started = Instant::now();
        let prefixes = &prefixes;
        // Every sender at once: each future owns its injector for the duration.
        let results = futures_util::future::join_all(senders.iter_mut().map(
            |(name, inj, spec, _)| async move {
                inj.announce(prefixes, spec).await.map_err(|e| format!("{name}: {e}"))?;
                inj.flush().await.map_err(|e| format!("{name}: {e}"))
            },
        ))
        .await;
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        let mut busy = Duration::ZERO;
        for (name, inj, _, before) in senders {
            busy += inj.busy() - before;
            self.injectors.insert(name.clone(), inj);
        }
        results.into_iter().collect::<Result<Vec<()>, String>>()?;
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

    pub(super) async fn withdraw(
        &mut self,
        from: &str,
        set: &WithdrawSet,
        path_id: Option<u32>,
    ) -> Outcome {
        let base = self.base;
        let inj = self.injector(from).await?;
        let n = match set {
            WithdrawSet::Keyword(_) => {
                inj.withdraw_all().await.map_err(|e| format!("{from}: {e}"))?
            }
            WithdrawSet::Set(s) => {
                let p = resolve(s, base)?;
                match path_id {
                    Some(id) => inj.withdraw_path(&p, id).await,
                    None => inj.withdraw(&p).await,
                }
                .map_err(|e| format!("{from}: {e}"))?;
                p.len()
            }
        };
        inj.flush().await.map_err(|e| format!("{from}: {e}"))?;
        self.sent = n as u64;
        Ok(format!("withdrew {n} prefixes from {from}"))
    }

    pub(super) async fn flap(&mut self, f: &crate::scenario::model::Flap) -> Outcome {
        let prefixes = resolve(&f.prefixes, self.base)?;
        let v6 = self.speaker_v6(&f.from)?;
        let a = Announce {
            from: f.from.clone(),
            prefixes: f.prefixes.clone(),
            as_path: f.as_path.clone(),
            ..Announce::default()
        };
        let spec = route_spec(&a, v6);
        let inj = self.injector(&f.from).await?;
        inj.flap(&prefixes, &spec, None, f.cycles, f.interval)
            .await
            .map_err(|e| format!("{}: {e}", f.from))?;
        self.sent = prefixes.len() as u64 * u64::from(f.cycles) * 2;
        Ok(format!("{} flap cycles of {} prefixes", f.cycles, prefixes.len()))
    }

    pub(super) async fn churn(&mut self, c: &crate::scenario::model::Churn) -> Outcome {
        let pool = resolve(&c.prefixes, self.base)?;
        let v6 = self.speaker_v6(&c.from)?;
        let a = Announce { from: c.from.clone(), ..Announce::default() };
        let spec = route_spec(&a, v6);
        let mut alt = spec.clone();
        alt.med = Some(100);
        let inj = self.injector(&c.from).await?;
        let r = inj
            .churn(&pool, &[spec, alt], c.rate, c.duration, c.seed)
            .await
            .map_err(|e| format!("{}: {e}", c.from))?;
        self.sent = r.announced + r.withdrawn;
        Ok(format!("churn: {} announcements, {} withdrawals", r.announced, r.withdrawn))
    }

    pub(super) async fn replay(&mut self, r: &crate::scenario::model::Replay) -> Outcome {
        let path = self.base.join(&r.file);
        let (peer, updates) = load_updates(&path, PeerSelector::Index(r.peer_index))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let inj = self.injector(&r.from).await?;
        let rep = inj.replay(&updates, r.speed).await.map_err(|e| format!("{}: {e}", r.from))?;
        inj.flush().await.map_err(|e| format!("{}: {e}", r.from))?;
        self.sent = rep.announced + rep.withdrawn;
        Ok(format!(
            "replayed {} UPDATEs of peer {} (AS{}): {} announced, {} withdrawn, {} skipped (family not negotiated)",
            rep.updates, peer.ip, peer.asn, rep.announced, rep.withdrawn, rep.skipped
        ))
    }

    pub(super) async fn reset(&mut self, name: &str) -> Outcome {
        self.injectors.remove(name);
        let s = self.sessions.remove(name).ok_or_else(|| format!("no session {name}"))?;
        let cfg = s.config().clone();
        s.stop(Duration::from_secs(2)).await;
        // Reconnect once the old connection is seen closed on the wire, as a router would
        // after its connect-retry timer, so the DUT does not meet the new OPEN while it still
        // holds the old session (FRR logs that as an OPEN receipt failure).
        self.wait_closed(cfg.local_addr, cfg.peer_addr).await;
        let s =
            Session::start(cfg).map_err(|e| format!("{name}: cannot restart the session: {e}"))?;
        self.sessions.insert(name.to_string(), s);
        Ok(format!("{name}: session reset (Cease sent, restarted)"))
    }

    /// A speaker restarts (RFC 4724 §4): its connection closes without a NOTIFICATION, its
    /// connect-retry timer brings it back, and the step ends when it is Established again.
    pub(super) async fn restart_speaker(&mut self, r: &RestartSpeaker) -> Outcome {
        let name = r.speaker.as_str();
        let within = r.within.unwrap_or(DEFAULT_WAIT);
        self.injectors.remove(name);
        let s = self.session(name)?;
        if s.link().is_none() {
            return Err(format!("{name}: not Established, nothing to restart"));
        }
        let cfg = s.config().clone();
        let started = Instant::now();
        let before = s.restart_connection(r.graceful);
        // The close seen on the wire is only reported: the restart does not wait for it.
        let closed = self.wait_closed(cfg.local_addr, cfg.peer_addr).await;
        let s = self.session(name)?;
        s.established_again(before, started + within).await.map_err(|e| {
            format!("{name}: not Established again within {within:?}: {e}{}", self.dut_log_tail())
        })?;
        let how = if r.graceful { "Restart State set" } else { "Restart State clear" };
        let seen = if closed { "close seen on the wire" } else { "close not seen by the monitor" };
        Ok(format!(
            "{name}: connection dropped without NOTIFICATION ({seen}), Established again after {:.3}s ({how})",
            started.elapsed().as_secs_f64()
        ))
    }

    /// Waits (up to 5 s) until the monitor sees the connection between two addresses closed.
    async fn wait_closed(&self, local: Option<IpAddr>, peer: Option<IpAddr>) -> bool {
        let (Some(w), Some(local), Some(peer)) = (&self.watch, local, peer) else { return false };
        let key = if local <= peer { (local, peer) } else { (peer, local) };
        let closed = |e: &bgpstorm_monitor::engine::Engine| {
            e.health().sessions().any(|h| {
                h.peers == key && h.state == bgpstorm_monitor::detect::session::State::Closed
            })
        };
        w.wait_for(Instant::now() + Duration::from_secs(5), closed).await
    }

    /// A speaker sends ROUTE-REFRESH (RFC 2918 §3) for a family.
    pub(super) async fn refresh(&mut self, r: &Refresh) -> Outcome {
        let family = afi_safi(r.family);
        let inj = self.injector(&r.from).await?;
        if !inj.link().negotiated.route_refresh {
            return Err(format!("{}: route refresh was not negotiated with the DUT", r.from));
        }
        inj.route_refresh(family).await.map_err(|e| format!("{}: {e}", r.from))?;
        Ok(format!("{} sent ROUTE-REFRESH for {family}", r.from))
    }

    /// A speaker sends End-of-RIB for its session's families (RFC 4724 §2).
    pub(super) async fn end_of_rib(&mut self, name: &str) -> Outcome {
        let inj = self.injector(name).await?;
        let families = inj.link().negotiated.families.clone();
        inj.end_of_rib().await.map_err(|e| format!("{name}: {e}"))?;
        inj.flush().await.map_err(|e| format!("{name}: {e}"))?;
        let list: Vec<String> = families.iter().map(|f| f.to_string()).collect();
        Ok(format!("{name} sent End-of-RIB for {}", list.join(", ")))
    }

    /// A speaker sends an UPDATE given in hex (the header is added).
    pub(super) async fn send_raw(&mut self, r: &SendRaw) -> Outcome {
        let body = crate::scenario::parse_hex(&r.update)?;
        let inj = self.injector(&r.from).await?;
        let max = inj.link().negotiated.send.max_message_len();
        let msg = frame(kind::UPDATE, &body, max).ok_or_else(|| {
            format!("{}: an UPDATE of {} octets is over {max}", r.from, body.len())
        })?;
        if let Err(e) = inj.send_raw(&msg).await {
            // Most likely the DUT answered with a NOTIFICATION: say which.
            let s = self.session(&r.from)?;
            let notes: Vec<String> = s.notifications().iter().map(|n| n.to_string()).collect();
            return Err(format!(
                "{}: {e} ({}; NOTIFICATIONs so far: {notes:?})",
                r.from,
                s.status().last_error.unwrap_or_default()
            ));
        }
        Ok(format!("{} sent a raw UPDATE of {} octets", r.from, msg.len()))
    }

    pub(super) fn link(&mut self, name: &str, up: bool) -> Outcome {
        let link = self.speaker_link(name)?;
        self.topo.set_link(link, up).map_err(|e| e.to_string())?;
        Ok(format!("link of {name} {}", if up { "up" } else { "down" }))
    }

    pub(super) fn impair(&mut self, i: &crate::scenario::model::Impair) -> Outcome {
        let link = self.speaker_link(&i.speaker)?;
        let imp = Impairment {
            delay: i.delay.unwrap_or_default(),
            jitter: i.jitter.unwrap_or_default(),
            loss_percent: i.loss.unwrap_or(0.0),
        };
        self.topo.impair(link, &imp).map_err(|e| e.to_string())?;
        Ok(format!("link of {} impaired: {imp:?}", i.speaker))
    }

    pub(super) fn restart_dut(&mut self) -> Outcome {
        let ns = self.topo.node(0);
        let dut = self.dut.as_mut().ok_or("no DUT to restart (dut: none)")?;
        dut.restart(ns, DEFAULT_WAIT).map_err(|e| e.to_string())?;
        self.injectors.clear();
        Ok(format!("DUT restarted ({})", dut.version()))
    }

    fn speaker_link(&self, name: &str) -> Result<usize, String> {
        self.plan
            .speakers
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.link)
            .ok_or_else(|| format!("no speaker {name}"))
    }

    fn speaker_v6(&self, name: &str) -> Result<std::net::Ipv6Addr, String> {
        self.plan
            .speakers
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.v6)
            .ok_or_else(|| format!("no speaker {name}"))
    }

    pub(super) fn dut_log_tail(&self) -> String {
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
