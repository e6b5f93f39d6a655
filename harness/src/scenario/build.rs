//! Typing one step: its one action from the YAML form's optional fields, with the values
//! checked and converted (communities, origin, keywords, hex), and an `expect:` map into its
//! [`Check`]s. Problems are collected with where they are; nothing is parsed again later.

use std::path::Path;
use std::time::Duration;

use bgpstorm_wire::model::Origin;

use super::model::*;
use super::raw;

/// Default deadline of `expect:` checks.
pub const DEFAULT_WITHIN: Duration = Duration::from_secs(10);

/// Builds the steps of one scenario, collecting problems.
pub(super) struct Builder<'a> {
    /// Where the step is (`steps[3] (name)`).
    pub at: &'a str,
    /// The scenario (for speaker names and capabilities).
    pub s: &'a raw::Scenario,
    /// The problems so far.
    pub p: &'a mut Vec<String>,
    /// The scenario's folder: files it names (MRT prefixes, replays) are relative to it.
    pub base: &'a Path,
}

impl Builder<'_> {
    /// The step's action, or `None` (with problems) when it cannot be built.
    pub fn action(mut self, step: &raw::Step) -> Option<Action> {
        // Every field of the raw step, by name: a new action that is not counted here (and
        // built in `one`) does not compile.
        let raw::Step {
            name: _,
            wait,
            announce,
            withdraw,
            flap,
            churn,
            storm,
            replay,
            reset,
            link,
            impair,
            restart,
            refresh,
            end_of_rib,
            send_raw,
            snapshot,
            expect,
        } = step;
        let n = [
            wait.is_some(),
            announce.is_some(),
            withdraw.is_some(),
            flap.is_some(),
            churn.is_some(),
            storm.is_some(),
            replay.is_some(),
            reset.is_some(),
            link.is_some(),
            impair.is_some(),
            restart.is_some(),
            refresh.is_some(),
            end_of_rib.is_some(),
            send_raw.is_some(),
            snapshot.is_some(),
            expect.is_some(),
        ]
        .iter()
        .filter(|a| **a)
        .count();
        if n != 1 {
            let at = self.at;
            self.p.push(format!(
                "{at}: a step has exactly one action (wait, announce, withdraw, flap, churn, storm, replay, reset, link, impair, restart, refresh, end_of_rib, send_raw, snapshot, expect); this one has {n}"
            ));
            return None;
        }
        let before = self.p.len();
        let action = self.one(step)?;
        (self.p.len() == before).then_some(action)
    }

    fn one(&mut self, step: &raw::Step) -> Option<Action> {
        if let Some(w) = &step.wait {
            return Some(Action::Wait(self.wait(w)));
        }
        if let Some(a) = &step.announce {
            return Some(Action::Announce(self.announce(a)));
        }
        if let Some(a) = &step.storm {
            return Some(Action::Storm(self.announce(a)));
        }
        if let Some(w) = &step.withdraw {
            return Some(Action::Withdraw(self.withdraw(w)));
        }
        if let Some(f) = &step.flap {
            self.known("flap.from", &f.from);
            self.prefixes("flap.prefixes", &f.prefixes);
            if f.cycles == 0 || f.cycles > 10_000 {
                self.problem(format!("flap.cycles: 1 to 10000, not {}", f.cycles));
            }
            return Some(Action::Flap(f.clone()));
        }
        if let Some(c) = &step.churn {
            self.known("churn.from", &c.from);
            self.prefixes("churn.prefixes", &c.prefixes);
            if !(c.rate > 0.0 && c.rate <= 10_000_000.0) || c.duration.as_secs() > 3600 {
                self.problem("churn: rate 0 to 10M changes/s and duration at most 1 h".into());
            }
            return Some(Action::Churn(c.clone()));
        }
        if let Some(r) = &step.replay {
            self.known("replay.from", &r.from);
            self.mrt_file("replay.file", &r.file);
            if r.speed.is_some_and(|s| s <= 0.0) {
                self.problem("replay.speed: must be above 0".into());
            }
            return Some(Action::Replay(r.clone()));
        }
        if let Some(r) = &step.reset {
            self.known("reset", r);
            return Some(Action::Reset(r.clone()));
        }
        if let Some(l) = &step.link {
            self.known("link.speaker", &l.speaker);
            return Some(Action::Link(l.clone()));
        }
        if let Some(i) = &step.impair {
            self.known("impair.speaker", &i.speaker);
            return Some(Action::Impair(i.clone()));
        }
        match &step.restart {
            Some(raw::Restart::Keyword(k)) if k == "dut" => return Some(Action::RestartDut),
            Some(raw::Restart::Keyword(k)) => {
                self.problem(format!(
                    "restart: `dut` or {{speaker: NAME, graceful: true}}, not {k:?}"
                ));
                return None;
            }
            Some(raw::Restart::Speaker(r)) => {
                self.known("restart.speaker", &r.speaker);
                return Some(Action::RestartSpeaker(r.clone()));
            }
            None => {}
        }
        if let Some(r) = &step.refresh {
            self.known("refresh.from", &r.from);
            return Some(Action::Refresh(r.clone()));
        }
        if let Some(n) = &step.end_of_rib {
            self.known("end_of_rib", n);
            return Some(Action::EndOfRib(n.clone()));
        }
        if let Some(r) = &step.send_raw {
            self.known("send_raw.from", &r.from);
            return match parse_hex(&r.update) {
                Ok(update) => Some(Action::SendRaw(SendRaw { from: r.from.clone(), update })),
                Err(e) => {
                    self.problem(format!("send_raw.update: {e}"));
                    None
                }
            };
        }
        if let Some(n) = &step.snapshot {
            return Some(Action::Snapshot(n.clone()));
        }
        step.expect.as_ref().map(|e| Action::Expect(self.expect(e)))
    }

    fn problem(&mut self, what: String) {
        self.p.push(format!("{}.{what}", self.at));
    }

    /// `n` names a speaker.
    fn known(&mut self, what: &str, n: &str) {
        if !self.s.speakers.contains_key(n) {
            let list = self.s.speakers.keys().map(String::as_str).collect::<Vec<_>>().join(", ");
            self.problem(format!("{what}: no speaker named {n:?} (speakers: {list})"));
        }
    }

    /// The speaker sends path ids (RFC 7911).
    fn sends_paths(&self, n: &str) -> bool {
        let mode = self.s.speakers.get(n).and_then(|sp| sp.capabilities.add_path);
        matches!(mode, Some(AddPathMode::Send | AddPathMode::Both))
    }

    /// A prefix set that `run` can build: a non-empty list, a range inside the address space,
    /// an MRT file that opens as MRT.
    fn prefixes(&mut self, what: &str, set: &Prefixes) {
        match set {
            Prefixes::List(l) if l.is_empty() => self.problem(format!("{what}: an empty list")),
            Prefixes::List(_) => {}
            Prefixes::Range(r) if r.count == 0 || r.count > 10_000_000 => {
                self.problem(format!("{what}.count: 1 to 10,000,000, not {}", r.count))
            }
            Prefixes::Range(r) => {
                if !super::prefixes::range_fits(r.start, r.count) {
                    self.problem(format!(
                        "{what}: {} prefixes from {} run past the end of the address space",
                        r.count, r.start
                    ));
                }
            }
            Prefixes::Mrt(m) => self.mrt_file(&format!("{what}.mrt"), &m.mrt),
        }
    }

    /// A file named by the scenario (relative to its folder) that opens as MRT (plain, gzip
    /// or bzip2): the first record is read, the rest is left to the run.
    fn mrt_file(&mut self, what: &str, file: &Path) {
        let path = self.base.join(file);
        let first = bgpstorm_wire::mrt::MrtReader::open(&path).map(|mut r| r.next());
        match first {
            Err(e) => self.problem(format!("{what}: {e}")),
            Ok(None) => self.problem(format!("{what}: {} holds no MRT record", path.display())),
            Ok(Some(Err(e))) if e.is_fatal() => {
                self.problem(format!("{what}: {}: {e}", path.display()))
            }
            Ok(Some(_)) => {}
        }
    }

    fn wait(&mut self, w: &raw::Wait) -> Wait {
        match w {
            raw::Wait::Keyword(k) => {
                if k != "established" {
                    self.problem(format!(
                        "wait: `established` or {{established: [...], within: ...}}, not {k:?}"
                    ));
                }
                Wait { speakers: None, within: None }
            }
            raw::Wait::Sessions(s) => {
                for n in s.established.iter().flatten() {
                    self.known("wait.established", n);
                }
                Wait { speakers: s.established.clone(), within: s.within }
            }
        }
    }

    fn announce(&mut self, a: &raw::Announce) -> Announce {
        self.known("announce.from", &a.from);
        for w in &a.with {
            self.known("announce.with", w);
        }
        self.prefixes("announce.prefixes", &a.prefixes);
        if a.path_id.is_some() {
            for sender in std::iter::once(&a.from).chain(&a.with) {
                if !self.sends_paths(sender) {
                    self.problem(format!(
                        "announce.path_id: speaker {sender:?} needs capabilities.add_path send or both"
                    ));
                }
            }
        }
        let origin = match a.origin.as_deref() {
            None | Some("igp") => Origin::Igp,
            Some("egp") => Origin::Egp,
            Some("incomplete") => Origin::Incomplete,
            Some(o) => {
                self.problem(format!("announce.origin: igp, egp or incomplete, not {o:?}"));
                Origin::Igp
            }
        };
        let mut communities = Vec::new();
        for c in a.communities.iter().flatten() {
            match super::parse_community(c) {
                Some(c) => communities.push(c),
                None => self.problem(format!(
                    "announce.communities: {c:?} is not asn:value (each 0..65535)"
                )),
            }
        }
        if let Some(r) = &a.community_range {
            match super::community_range(r) {
                Some(range) => communities.extend(range),
                None => self.problem(format!(
                    "announce.community_range: start {:?} must be asn:value and count at least 1, without the value passing 65535",
                    r.start
                )),
            }
        }
        let mut large_communities = Vec::new();
        for c in a.large_communities.iter().flatten() {
            match super::parse_large_community(c) {
                Some(c) => large_communities.push(c),
                None => self.problem(format!(
                    "announce.large_communities: {c:?} is not global:local1:local2"
                )),
            }
        }
        let mut extended_communities = Vec::new();
        for c in a.extended_communities.iter().flatten() {
            match super::parse_extended_community(c) {
                Some(c) => extended_communities.push(c),
                None => self.problem(format!(
                    "announce.extended_communities: {c:?} is not rt:asn:value or soo:asn:value"
                )),
            }
        }
        Announce {
            from: a.from.clone(),
            with: a.with.clone(),
            prefixes: a.prefixes.clone(),
            as_path: a.as_path.clone().unwrap_or_default(),
            prepend: a.prepend.unwrap_or(0),
            next_hop: a.next_hop,
            origin,
            med: a.med,
            local_pref: a.local_pref,
            communities,
            large_communities,
            extended_communities,
            path_id: a.path_id,
        }
    }

    fn withdraw(&mut self, w: &raw::Withdraw) -> Withdraw {
        self.known("withdraw.from", &w.from);
        if w.path_id.is_some() {
            if !self.sends_paths(&w.from) {
                self.problem(format!(
                    "withdraw.path_id: speaker {:?} needs capabilities.add_path send or both",
                    w.from
                ));
            }
            if matches!(w.prefixes, raw::WithdrawSet::Keyword(_)) {
                self.problem("withdraw.path_id: only with a set of prefixes, not `all`".into());
            }
        }
        let prefixes = match &w.prefixes {
            raw::WithdrawSet::Keyword(k) => {
                if k != "all" {
                    self.problem(format!("withdraw.prefixes: `all` or a prefix set, not {k:?}"));
                }
                WithdrawSet::All
            }
            raw::WithdrawSet::Set(set) => {
                self.prefixes("withdraw.prefixes", set);
                WithdrawSet::Set(set.clone())
            }
        };
        Withdraw { from: w.from.clone(), prefixes, path_id: w.path_id }
    }

    /// The checks of an `expect:` map, in the order they are evaluated.
    fn expect(&mut self, e: &raw::Expect) -> Vec<Check> {
        self.expect_problems(e);
        let within = e.within.unwrap_or(DEFAULT_WITHIN);
        let mut checks = Vec::new();
        if let Some(speakers) = &e.established {
            checks.push(Check::Established { speakers: speakers.clone(), within });
        }
        if let Some(speakers) = &e.stayed_up {
            checks.push(Check::StayedUp { speakers: speakers.clone() });
        }
        if let Some(at) = &e.at {
            self.route_checks(at, e, within, &mut checks);
        }
        if let Some(budget) = &e.convergence {
            checks.push(Check::Convergence { budget: budget.clone(), within });
        }
        if let Some(flap) = &e.flap {
            checks.push(Check::Flap { flap: flap.clone(), within });
        }
        if let Some(prefix) = e.hidden {
            checks.push(Check::Hidden { prefix, within });
        }
        if let Some(raised) = e.community_alert {
            checks.push(Check::CommunityAlert { raised, within });
        }
        if let Some(name) = &e.dut_rib {
            checks.push(Check::DutRib { name: name.clone(), within });
        }
        if let Some(prefixes) = &e.dut_prefixes {
            let mut prefixes = prefixes.clone();
            prefixes.sort();
            prefixes.dedup();
            checks.push(Check::DutPrefixes { prefixes, within });
        }
        if e.clean == Some(true) {
            checks.push(Check::Clean);
        }
        checks
    }

    /// The checks of `at`'s routes and session.
    fn route_checks(&self, at: &str, e: &raw::Expect, within: Duration, out: &mut Vec<Check>) {
        let at = at.to_string();
        if let Some(count) = e.routes {
            out.push(Check::Routes { at: at.clone(), count, within });
        }
        if let Some(paths) = e.paths_per_prefix {
            out.push(Check::PathsPerPrefix { at: at.clone(), paths, within });
        }
        if let Some(prefixes) = &e.prefixes {
            out.push(Check::Prefixes {
                at: at.clone(),
                prefixes: prefixes.clone(),
                within,
                wait_for_count: e.routes.is_none(),
            });
        }
        if let Some(routes) = &e.rib {
            let mut routes = routes.clone();
            routes.sort();
            out.push(Check::Rib { at: at.clone(), routes, within });
        }
        if let Some(name) = &e.snapshot {
            out.push(Check::Snapshot { at: at.clone(), name: name.clone(), within });
        }
        // An explicit `routes: 0` says that agreeing on nothing is the point.
        let empty_expected = e.routes == Some(0);
        if e.dut_matches == Some(true) {
            out.push(Check::DutMatches { at: at.clone(), within, empty_expected });
        }
        if e.monitor_agrees == Some(true) {
            out.push(Check::MonitorAgrees { at: at.clone(), within, empty_expected });
        }
        if let Some(diff) = &e.rib_diff {
            out.push(Check::RibDiff { at: at.clone(), diff: diff.clone(), within });
        }
        if let Some(families) = &e.end_of_rib {
            out.push(Check::EndOfRib { at: at.clone(), families: families.clone(), within });
        }
        if let Some(since) = &e.since {
            if let Some(count) = e.announced {
                out.push(Check::Announced { at: at.clone(), since: since.clone(), count, within });
            }
            if e.uninterrupted == Some(true) {
                out.push(Check::Uninterrupted { at: at.clone(), since: since.clone() });
            }
            if let Some(count) = e.withdrawn {
                out.push(Check::Withdrawn { at, since: since.clone(), count });
            }
        }
    }

    fn expect_problems(&mut self, e: &raw::Expect) {
        // Every field of the raw map, by name: a new check that is not counted here (and
        // turned into a `Check` in `expect`) does not compile.
        let raw::Expect {
            at: _,
            within: _,
            since: _,
            routes,
            paths_per_prefix,
            prefixes,
            rib,
            established,
            stayed_up,
            convergence,
            flap,
            hidden,
            community_alert,
            snapshot,
            dut_rib,
            rib_diff,
            clean,
            dut_matches,
            dut_prefixes,
            monitor_agrees,
            end_of_rib,
            announced,
            withdrawn,
            uninterrupted,
        } = e;
        let checks = [
            routes.is_some(),
            prefixes.is_some(),
            rib.is_some(),
            paths_per_prefix.is_some(),
            established.is_some(),
            stayed_up.is_some(),
            convergence.is_some(),
            flap.is_some(),
            hidden.is_some(),
            community_alert.is_some(),
            snapshot.is_some(),
            dut_rib.is_some(),
            rib_diff.is_some(),
            clean.is_some(),
            dut_matches.is_some(),
            dut_prefixes.is_some(),
            monitor_agrees.is_some(),
            end_of_rib.is_some(),
            announced.is_some(),
            withdrawn.is_some(),
            uninterrupted.is_some(),
        ];
        if !checks.iter().any(|c| *c) {
            self.problem("expect: nothing to check".into());
        }
        let counts = e.announced.is_some() || e.withdrawn.is_some() || e.uninterrupted.is_some();
        if counts != e.since.is_some() {
            self.problem(
                "expect: announced, withdrawn and uninterrupted go with `since: SNAPSHOT`, and `since` with one of them".into(),
            );
        }
        if e.paths_per_prefix == Some(0) {
            self.problem("expect.paths_per_prefix: at least 1".into());
        }
        let needs_at = e.routes.is_some()
            || e.prefixes.is_some()
            || e.rib.is_some()
            || e.paths_per_prefix.is_some()
            || e.snapshot.is_some()
            || e.rib_diff.is_some()
            || e.dut_matches.is_some()
            || e.monitor_agrees.is_some()
            || e.end_of_rib.is_some()
            || counts;
        match &e.at {
            Some(a) if !self.s.speakers.contains_key(a) => {
                self.problem(format!("expect.at: no speaker named {a:?}"))
            }
            None if needs_at => self.problem(
                "expect: routes, prefixes, rib, paths_per_prefix, snapshot, rib_diff, end_of_rib and the counts since a snapshot need `at: SPEAKER`".into(),
            ),
            _ => {}
        }
        for (what, list) in [("established", &e.established), ("stayed_up", &e.stayed_up)] {
            for n in list.iter().flatten() {
                if !self.s.speakers.contains_key(n) {
                    self.problem(format!("expect.{what}: no speaker named {n:?}"));
                }
            }
        }
        for name in
            e.snapshot.iter().chain(&e.dut_rib).chain(e.rib_diff.iter().map(|d| &d.snapshot))
        {
            if name.is_empty()
                || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                self.problem(format!(
                    "expect: snapshot names are letters, digits, - or _: {name:?}"
                ));
            }
        }
    }
}

/// A hex string that is not whole octets.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// An odd number of digits, or none.
    #[error("{0} hex digits: give whole octets, at least one")]
    Length(usize),
    /// Two characters that are not a hex octet.
    #[error("{0:?} is not a hex octet")]
    Octet(String),
}

/// The bytes of a hex string with optional whitespace (`send_raw.update`).
pub fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return Err(HexError::Length(digits.len()));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = String::from_utf8_lossy(pair).into_owned();
            u8::from_str_radix(&s, 16).map_err(|_| HexError::Octet(s))
        })
        .collect()
}
