//! `expect:` checks. Route counts wait on the speaker's RIB, monitor checks on the engine,
//! both event-driven up to the deadline; snapshots compare with insta files in `snapshots/`.

use std::collections::BTreeSet;
use std::time::Duration;

use bgpstorm_monitor::wire::Nlri;
use ipnet::IpNet;
use tokio::time::Instant;

use super::Runner;
use super::steps::{Outcome, afi_safi, resolve};
use crate::scenario::model::{Budget, Expect, Family};
use crate::speaker::{Route, Session};

/// Default deadline of route checks.
pub const DEFAULT_WITHIN: Duration = Duration::from_secs(10);

/// What a speaker's session had received and been through at a named snapshot.
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    /// Prefix announcements received (repeats count).
    announced: u64,
    /// Prefix withdrawals received (treat-as-withdraw included only as the peer sent them).
    withdrawn: u64,
    /// Times the session was Established.
    established: u32,
    /// NOTIFICATIONs sent or received.
    notifications: usize,
}

impl Mark {
    /// The session's counts now.
    pub fn of(s: &Session) -> Self {
        let (announced, withdrawn, _) = s.rib_in().totals();
        Self {
            announced,
            withdrawn,
            established: s.status().established_count,
            notifications: s.notifications().len(),
        }
    }
}

/// One line per route of a speaker's RIB: `prefix[#id] as_path next_hop communities`.
pub fn rib_lines(rib: &[(Nlri, Route)]) -> Vec<String> {
    let mut lines: Vec<String> = rib
        .iter()
        .map(|(n, r)| {
            let a = &r.attributes;
            let mut comms: Vec<String> = a.communities.iter().map(|c| c.to_string()).collect();
            comms.extend(a.large_communities.iter().map(|c| c.to_string()));
            comms.extend(a.extended_communities.iter().map(|c| c.to_string()));
            // Link-local next hops carry the interface's random MAC: name them, not their value.
            let nh: Vec<String> = r
                .next_hop
                .iter()
                .map(|h| match h {
                    std::net::IpAddr::V6(v6) if v6.is_unicast_link_local() => {
                        "link-local".to_string()
                    }
                    h => h.to_string(),
                })
                .collect();
            let id = n.path_id.map(|i| format!("#{i}")).unwrap_or_default();
            let path = a.as_path.as_ref().map(|p| p.to_string()).unwrap_or_default();
            format!("{}{id} [{path}] via {} {}", n.prefix, nh.join(","), comms.join(" "))
                .trim_end()
                .to_string()
        })
        .collect();
    lines.sort();
    lines
}

impl Runner<'_> {
    pub(super) async fn expect(&mut self, e: &Expect) -> Outcome {
        let within = e.within.unwrap_or(DEFAULT_WITHIN);
        let deadline = Instant::now() + within;
        let mut done = Vec::new();
        if let Some(names) = &e.established {
            for n in names {
                let s = self.sessions.get(n).ok_or_else(|| format!("no speaker {n}"))?;
                s.established(deadline)
                    .await
                    .map_err(|err| format!("{n}: not Established within {within:?}: {err}"))?;
            }
            done.push(format!("{} Established", names.join(", ")));
        }
        if let Some(names) = &e.stayed_up {
            done.push(self.expect_stayed_up(names)?);
        }
        if let Some(at) = &e.at {
            done.extend(self.expect_routes(at, e, deadline, within).await?);
            if let Some(families) = &e.end_of_rib {
                done.push(self.expect_end_of_rib(at, families, deadline, within).await?);
            }
            if let Some(since) = &e.since {
                done.extend(self.expect_since(at, since, e, deadline, within).await?);
            }
        }
        if let Some(b) = &e.convergence {
            done.push(self.expect_convergence(b, deadline).await?);
        }
        if let Some(f) = &e.flap {
            done.push(self.expect_flap(&f.prefixes, f.raised, deadline).await?);
        }
        if let Some(p) = e.hidden {
            done.push(self.expect_hidden(p, deadline).await?);
        }
        if let Some(raised) = e.community_alert {
            done.push(self.expect_community(raised, deadline).await?);
        }
        if let Some(name) = &e.dut_rib {
            self.settle(deadline).await;
            done.push(self.expect_dut_rib(name)?);
        }
        if e.clean == Some(true) {
            done.push(self.expect_clean()?);
        }
        Ok(done.join("; "))
    }

    async fn expect_routes(
        &mut self,
        at: &str,
        e: &Expect,
        deadline: Instant,
        within: Duration,
    ) -> Result<Vec<String>, String> {
        let mut done = Vec::new();
        let s = self.sessions.get(at).ok_or_else(|| format!("no speaker {at}"))?;
        let want_set = match &e.prefixes {
            Some(p) => Some(resolve(p, self.base)?.into_iter().collect::<BTreeSet<IpNet>>()),
            None => None,
        };
        let want_len = e.routes.map(|n| n as usize).or(want_set.as_ref().map(|s| s.len()));
        if let Some(n) = want_len {
            let started = Instant::now();
            match s.rib_in().wait_len(n, deadline).await {
                Ok(c) => done.push(format!(
                    "{at} holds {} prefixes ({:.3}s after the step began)",
                    c.prefixes,
                    c.at.saturating_duration_since(started.into_std()).as_secs_f64()
                )),
                Err(t) => {
                    return Err(format!(
                        "{at} holds {} prefixes, expected {n} within {within:?}{}",
                        t.0.prefixes,
                        self.dut_log_tail()
                    ));
                }
            }
        }
        if let Some(k) = e.paths_per_prefix {
            let k = k as usize;
            let rib = s.rib_in();
            match rib.wait_until(deadline, |_| rib.path_spread().is_exactly(k)).await {
                Ok(_) => done.push(format!(
                    "{at} holds exactly {k} path(s) for each of its {} prefixes",
                    rib.path_spread().prefixes
                )),
                Err(_) => {
                    let p = rib.path_spread();
                    return Err(format!(
                        "{at}: expected exactly {k} path(s) per prefix within {within:?}, holds {} prefixes with {} to {} paths ({} routes without a path id){}",
                        p.prefixes,
                        p.min,
                        p.max,
                        p.without_id,
                        self.dut_log_tail()
                    ));
                }
            }
        }
        if let Some(want) = want_set {
            let have: BTreeSet<IpNet> =
                s.rib_in().snapshot().into_iter().map(|(n, _)| n.prefix).collect();
            if have != want {
                let missing: Vec<String> =
                    want.difference(&have).take(5).map(|p| p.to_string()).collect();
                let extra: Vec<String> =
                    have.difference(&want).take(5).map(|p| p.to_string()).collect();
                return Err(format!(
                    "{at}: prefixes differ; missing {missing:?}, unexpected {extra:?}"
                ));
            }
            done.push(format!("{at} holds exactly the {} expected prefixes", have.len()));
        }
        if e.snapshot.is_some() || e.rib_diff.is_some() {
            // Compare once the DUT has answered the last change.
            self.settle(deadline).await;
        }
        if let Some(name) = &e.snapshot {
            let lines = rib_lines(&s.rib_in().snapshot());
            self.snapshot(
                &format!("{}__{name}__{}", self.scenario.name, self.kind.name()),
                &lines.join("\n"),
            )?;
            done.push(format!("{at}'s RIB matches snapshot {name}"));
        }
        if e.dut_matches == Some(true) || e.monitor_agrees == Some(true) {
            self.settle(deadline).await;
        }
        if e.dut_matches == Some(true) {
            let dut = self.dut.as_ref().ok_or("dut_matches needs a DUT")?;
            let theirs: BTreeSet<String> = dut
                .rib(self.topo.node(0))
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|r| r.prefix)
                .collect();
            let ours: BTreeSet<String> =
                s.rib_in().snapshot().into_iter().map(|(n, _)| n.prefix.to_string()).collect();
            if theirs != ours {
                let only_dut: Vec<&String> = theirs.difference(&ours).take(5).collect();
                let only_at: Vec<&String> = ours.difference(&theirs).take(5).collect();
                return Err(format!(
                    "the DUT's RIB ({} prefixes) and {at}'s ({}) differ: only at the DUT {only_dut:?}, only at {at} {only_at:?}",
                    theirs.len(),
                    ours.len()
                ));
            }
            done.push(format!("the DUT's RIB and {at}'s agree on {} prefixes", ours.len()));
        }
        if e.monitor_agrees == Some(true) {
            let w = self.watch()?;
            let peer = self
                .plan
                .speakers
                .iter()
                .find(|p| p.name == at)
                .map(|p| p.v4)
                .ok_or("no such speaker")?;
            let engine = w.shared.engine();
            let seen: BTreeSet<String> = engine
                .rib()
                .all_routes()
                .filter(|r| {
                    r.paths.iter().any(|p| {
                        p.peer != peer
                            && engine.rib().sessions()[usize::from(p.session.0)].flow.dst.ip()
                                == peer
                    })
                })
                .map(|r| r.prefix.to_string())
                .collect();
            drop(engine);
            let ours: BTreeSet<String> =
                s.rib_in().snapshot().into_iter().map(|(n, _)| n.prefix.to_string()).collect();
            if seen != ours {
                let only_mon: Vec<&String> = seen.difference(&ours).take(5).collect();
                let only_at: Vec<&String> = ours.difference(&seen).take(5).collect();
                return Err(format!(
                    "the monitor's view of the DUT -> {at} session ({} prefixes) and {at}'s RIB ({}) differ: only in the monitor {only_mon:?}, only at {at} {only_at:?}",
                    seen.len(),
                    ours.len()
                ));
            }
            done.push(format!("the monitor and {at} agree on {} prefixes", ours.len()));
        }
        if let Some(d) = &e.rib_diff {
            let before = self
                .named
                .get(&d.from)
                .and_then(|m| m.get(at))
                .ok_or_else(|| format!("no snapshot named {:?} taken before", d.from))?;
            let now: BTreeSet<String> = rib_lines(&s.rib_in().snapshot()).into_iter().collect();
            let before: BTreeSet<String> = before.iter().cloned().collect();
            let mut diff: Vec<String> = before.difference(&now).map(|l| format!("- {l}")).collect();
            diff.extend(now.difference(&before).map(|l| format!("+ {l}")));
            diff.sort_by(|a, b| a[2..].cmp(&b[2..]).then(a.cmp(b)));
            self.snapshot(
                &format!("{}__{}__{}", self.scenario.name, d.snapshot, self.kind.name()),
                &diff.join("\n"),
            )?;
            done.push(format!(
                "{at}'s RIB since {} matches snapshot {} ({} lines)",
                d.from,
                d.snapshot,
                diff.len()
            ));
        }
        Ok(done)
    }

    /// End-of-RIB of each family arrived at `at` after every route of that family it holds
    /// (RFC 4724 §2: the marker ends the initial update).
    async fn expect_end_of_rib(
        &self,
        at: &str,
        families: &[Family],
        deadline: Instant,
        within: Duration,
    ) -> Result<String, String> {
        let s = self.sessions.get(at).ok_or_else(|| format!("no speaker {at}"))?;
        let mut done = Vec::new();
        for &f in families {
            let family = afi_safi(f);
            let arrived = s
                .rib_in()
                .wait_until(deadline, |_| s.rib_in().end_of_rib_at(family).is_some())
                .await;
            let Some(eor) = arrived.ok().and_then(|_| s.rib_in().end_of_rib_at(family)) else {
                return Err(format!("{at}: no End-of-RIB for {family} within {within:?}"));
            };
            let routes: Vec<(Nlri, Route)> = s
                .rib_in()
                .snapshot()
                .into_iter()
                .filter(|(n, _)| n.prefix.addr().is_ipv4() == (f == Family::Ipv4))
                .collect();
            let late: Vec<String> = routes
                .iter()
                .filter(|(_, r)| r.received > eor)
                .take(5)
                .map(|(n, _)| n.prefix.to_string())
                .collect();
            if !late.is_empty() {
                return Err(format!(
                    "{at}: End-of-RIB for {family} came before routes of its table, such as {late:?}"
                ));
            }
            done.push(format!("{family} after {} routes", routes.len()));
        }
        Ok(format!("{at} received End-of-RIB: {}", done.join(", ")))
    }

    /// Counts since a named snapshot: announcements (at least, waited for), the session's
    /// continuity, then withdrawals (exactly, once the rest has passed).
    async fn expect_since(
        &self,
        at: &str,
        since: &str,
        e: &Expect,
        deadline: Instant,
        within: Duration,
    ) -> Result<Vec<String>, String> {
        let s = self.sessions.get(at).ok_or_else(|| format!("no speaker {at}"))?;
        let mark = self
            .marks
            .get(since)
            .and_then(|m| m.get(at))
            .copied()
            .ok_or_else(|| format!("no snapshot named {since:?} taken before"))?;
        let mut done = Vec::new();
        let announced = || s.rib_in().totals().0.saturating_sub(mark.announced);
        if let Some(n) = e.announced {
            let _ = s.rib_in().wait_until(deadline, |_| announced() >= n).await;
            let got = announced();
            if got < n {
                return Err(format!(
                    "{at} received {got} prefix announcements since {since}, expected at least {n} within {within:?}{}",
                    self.dut_log_tail()
                ));
            }
            done.push(format!("{at} received {got} prefix announcements since {since}"));
        }
        if e.uninterrupted == Some(true) {
            let now = Mark::of(s);
            let notes: Vec<String> =
                s.notifications().iter().skip(mark.notifications).map(|n| n.to_string()).collect();
            if now.established != mark.established || s.link().is_none() || !notes.is_empty() {
                return Err(format!(
                    "{at}: the session did not stay up since {since}: Established {} time(s) since, now {}, NOTIFICATIONs {notes:?}",
                    now.established.saturating_sub(mark.established),
                    s.state()
                ));
            }
            done.push(format!("{at}'s session stayed up since {since}"));
        }
        if let Some(n) = e.withdrawn {
            let got = s.rib_in().totals().1.saturating_sub(mark.withdrawn);
            if got != n {
                return Err(format!(
                    "{at} received {got} prefix withdrawals since {since}, expected {n}"
                ));
            }
            done.push(format!("{at} received {got} prefix withdrawals since {since}"));
        }
        Ok(done)
    }

    fn expect_stayed_up(&self, names: &[String]) -> Result<String, String> {
        for n in names {
            let s = self.sessions.get(n).ok_or_else(|| format!("no speaker {n}"))?;
            let status = s.status();
            if let Some(first) = s.notifications().first() {
                return Err(format!("{n}: NOTIFICATION {first}{}", self.dut_log_tail()));
            }
            if status.state != crate::speaker::State::Established || status.established_count != 1 {
                return Err(format!(
                    "{n}: {} after reaching Established {} time(s) (last error: {}){}",
                    status.state,
                    status.established_count,
                    status.last_error.as_deref().unwrap_or("none"),
                    self.dut_log_tail()
                ));
            }
        }
        Ok(format!("{} stayed up: Established once, no NOTIFICATION", names.join(", ")))
    }

    fn watch(&self) -> Result<&super::watch::Watch, String> {
        self.watch.as_ref().ok_or_else(|| "this check needs the wire monitor, which is not running (dut: none has no DUT interfaces to watch)".to_string())
    }

    async fn expect_convergence(&self, b: &Budget, deadline: Instant) -> Result<String, String> {
        let w = self.watch()?;
        // Wait for the DUT's answer to every change of the last action.
        self.settle(deadline).await;
        let s = w.shared.engine().convergence().summary();
        let worst = |f: fn(&bgpstorm_monitor::convergence::Latencies) -> u64| {
            f(&s.announce).max(f(&s.withdraw))
        };
        let (p50, p99, max) = (worst(|l| l.p50_us), worst(|l| l.p99_us), worst(|l| l.max_us));
        let us = |d: Duration| d.as_micros() as u64;
        let mut bad = Vec::new();
        for (name, got, budget) in [("p50", p50, b.p50), ("p99", p99, b.p99), ("max", max, b.max)] {
            if let Some(limit) = budget
                && got > us(limit)
            {
                bad.push(format!(
                    "{name} {:.3} ms > {:.3} ms",
                    got as f64 / 1e3,
                    limit.as_secs_f64() * 1e3
                ));
            }
        }
        let measured = s.announce.count + s.withdraw.count;
        if measured == 0 {
            bad.push("no convergence event was measured (no change crossed the DUT)".into());
        }
        let figures = format!(
            "{measured} events, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms, {} unconverged",
            p50 as f64 / 1e3,
            p99 as f64 / 1e3,
            max as f64 / 1e3,
            s.unconverged
        );
        if bad.is_empty() {
            Ok(format!("convergence: {figures}"))
        } else {
            Err(format!("convergence over budget: {} ({figures})", bad.join(", ")))
        }
    }

    async fn expect_flap(
        &self,
        prefixes: &[IpNet],
        raised: bool,
        deadline: Instant,
    ) -> Result<String, String> {
        let w = self.watch()?;
        let alerted = |e: &bgpstorm_monitor::engine::Engine, p: &IpNet| {
            e.flap_alerts().any(|a| a.nlri.prefix == *p)
        };
        if raised {
            let ok = w.wait_for(deadline, |e| prefixes.iter().all(|p| alerted(e, p))).await;
            let e = w.shared.engine();
            let missing: Vec<String> =
                prefixes.iter().filter(|p| !alerted(&e, p)).map(|p| p.to_string()).collect();
            if !ok {
                return Err(format!("no flap alert for {}", missing.join(", ")));
            }
            Ok(format!("flap alert for {} prefixes", prefixes.len()))
        } else {
            let e = w.shared.engine();
            let wrong: Vec<String> =
                prefixes.iter().filter(|p| alerted(&e, p)).map(|p| p.to_string()).collect();
            if wrong.is_empty() {
                Ok(format!("no flap alert for {} steady prefixes", prefixes.len()))
            } else {
                Err(format!("unexpected flap alert for {}", wrong.join(", ")))
            }
        }
    }

    async fn expect_hidden(&self, p: IpNet, deadline: Instant) -> Result<String, String> {
        let w = self.watch()?;
        if w.wait_for(deadline, |e| !e.rib().hidden(p).is_empty()).await {
            let n = w.shared.engine().rib().hidden(p).len();
            Ok(format!("{p}: {n} hidden route(s) at the DUT"))
        } else {
            Err(format!(
                "{p}: no hidden route at the DUT (the monitor sees {} path(s))",
                w.shared
                    .engine()
                    .rib()
                    .routes(p, bgpstorm_monitor::rib::Match::Exact)
                    .iter()
                    .map(|r| r.paths.len())
                    .sum::<usize>()
            ))
        }
    }

    async fn expect_community(&self, raised: bool, deadline: Instant) -> Result<String, String> {
        let w = self.watch()?;
        if raised {
            if w.wait_for(deadline, |e| e.counters().community_alerts > 0).await {
                let e = w.shared.engine();
                let a = e
                    .community_alerts()
                    .next()
                    .map(|a| format!("{} on {} carries {}", a.nlri.prefix, a.flow, a.community))
                    .unwrap_or_default();
                Ok(format!("community alert: {a}"))
            } else {
                Err("no community alert was raised".into())
            }
        } else {
            let e = w.shared.engine();
            match e.community_alerts().next() {
                None => Ok("no community alert".into()),
                Some(a) => Err(format!(
                    "community alert: {} on {} carries {} (rule {}: {})",
                    a.nlri.prefix, a.flow, a.community, a.rule, a.broke
                )),
            }
        }
    }

    fn expect_dut_rib(&self, name: &str) -> Result<String, String> {
        let dut = self.dut.as_ref().ok_or("dut_rib needs a DUT")?;
        let routes = dut.rib(self.topo.node(0)).map_err(|e| e.to_string())?;
        let text = serde_json::to_string_pretty(&routes).unwrap_or_default();
        self.snapshot(&format!("{}__{name}__{}", self.scenario.name, self.kind.name()), &text)?;
        Ok(format!("DUT RIB ({} routes) matches snapshot {name}", routes.len()))
    }

    fn expect_clean(&self) -> Result<String, String> {
        let w = self.watch()?;
        let e = w.shared.engine();
        let c = e.counters();
        let cap = w.shared.capture();
        let mut bad = Vec::new();
        if c.malformed > 0 {
            bad.push(format!("{} malformed messages", c.malformed));
        }
        if c.gap_bytes > 0 {
            bad.push(format!("{} bytes never captured", c.gap_bytes));
        }
        if cap.drops > 0 {
            bad.push(format!("{} capture drops", cap.drops));
        }
        if c.events_dropped > 0 {
            bad.push(format!("{} monitor events dropped", c.events_dropped));
        }
        let errors = self.dut.as_ref().map(|d| d.log_errors()).unwrap_or_default();
        if !errors.is_empty() {
            let first: Vec<&str> = errors.iter().take(3).map(String::as_str).collect();
            bad.push(format!(
                "DUT logged {} error line(s), the first: {}",
                errors.len(),
                first.join(" | ")
            ));
        }
        if bad.is_empty() {
            Ok(format!("clean: {} segments captured, 0 drops, 0 malformed", cap.events))
        } else {
            Err(format!("not clean: {}", bad.join(", ")))
        }
    }

    /// Compares `content` with snapshot `name` (insta's file format) in the snapshot folder.
    fn snapshot(&self, name: &str, content: &str) -> Result<(), String> {
        let mode = crate::snapshot::Mode::from_env();
        match crate::snapshot::check(&self.snapshot_dir, name, file!(), content, mode) {
            Ok(crate::snapshot::Passed::Matched) => Ok(()),
            Ok(note) => {
                eprintln!("{note}");
                Ok(())
            }
            Err(e) => Err(e.to_string()),
        }
    }
}
