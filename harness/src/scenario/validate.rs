//! Checks serde cannot do: references between parts, value ranges, one action per step.

use std::collections::BTreeSet;

use super::model::*;

/// Every problem of a parsed scenario, each with where it is (`steps[3].announce.from`).
pub fn problems(s: &Scenario) -> Vec<String> {
    let mut p = Vec::new();
    if s.version != 1 {
        p.push(format!("version: only version 1 exists, this file says {}", s.version));
    }
    if s.name.trim().is_empty() {
        p.push("name: must not be empty".into());
    }
    let names: BTreeSet<&str> = s.speakers.keys().map(String::as_str).collect();
    let known = |what: &str, n: &str, p: &mut Vec<String>| {
        if !names.contains(n) {
            let list = names.iter().copied().collect::<Vec<_>>().join(", ");
            p.push(format!("{what}: no speaker named {n:?} (speakers: {list})"));
        }
    };
    dut(s, &mut p);
    for (name, sp) in &s.speakers {
        let at = format!("speakers.{name}");
        if name.is_empty()
            || name.len() > 11
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            p.push(format!(
                "{at}: speaker names are 1 to 11 letters, digits or _ (they name interfaces)"
            ));
        }
        if sp.families.is_empty() {
            p.push(format!("{at}.families: at least one family"));
        }
        if let Some(h) = sp.hold_time
            && (h == 1 || h == 2)
        {
            p.push(format!("{at}.hold_time: 0 or at least 3 (RFC 4271 §4.2), not {h}"));
        }
        match (&sp.peer, s.dut.kind) {
            (Some(peer), DutKind::None) => known(&format!("{at}.peer"), peer, &mut p),
            (Some(_), _) => p.push(format!(
                "{at}.peer: only with dut kind none (otherwise speakers peer with the DUT)"
            )),
            (None, _) => {}
        }
        for (fam, net) in [(Family::Ipv4, sp.link.ipv4), (Family::Ipv6, sp.link.ipv6)] {
            if let Some(n) = net
                && (n.addr().is_ipv6() != (fam == Family::Ipv6)
                    || n.prefix_len() == n.max_prefix_len())
            {
                p.push(format!("{at}.link: {n} is not an {fam:?} address with a prefix length that leaves room for the DUT"));
            }
        }
    }
    for r in &s.monitor.communities {
        known("monitor.communities.session", &r.session, &mut p);
        if r.allow.is_none() && r.deny.is_none() {
            p.push(format!("monitor.communities ({}): give allow or deny", r.session));
        }
        for re in r.allow.iter().chain(&r.deny) {
            if let Err(e) = regex::Regex::new(re) {
                p.push(format!(
                    "monitor.communities ({}): invalid regular expression {re:?}: {e}",
                    r.session
                ));
            }
        }
    }
    if s.steps.is_empty() {
        p.push("steps: at least one step".into());
    }
    let mut named = BTreeSet::new();
    for (i, step) in s.steps.iter().enumerate() {
        let at = match &step.name {
            Some(n) => format!("steps[{i}] ({n})"),
            None => format!("steps[{i}]"),
        };
        steps(&at, step, s, &mut p);
        if let Some(since) = step.expect.as_ref().and_then(|e| e.since.as_ref())
            && !named.contains(since.as_str())
        {
            p.push(format!("{at}.expect.since: no `snapshot: {since}` step comes before this one"));
        }
        if let Some(n) = &step.snapshot {
            named.insert(n.as_str());
        }
    }
    p
}

fn dut(s: &Scenario, p: &mut Vec<String>) {
    let d = &s.dut;
    if d.kind != DutKind::None && d.asn.is_none() {
        p.push("dut.asn: a daemon under test needs an AS".into());
    }
    if d.asn == Some(0) {
        p.push("dut.asn: AS 0 is reserved (RFC 7607)".into());
    }
    if d.kind == DutKind::None
        && s.speakers.values().all(|sp| sp.peer.is_none())
        && !s.speakers.is_empty()
    {
        p.push(
            "speakers: with dut kind none, speakers need `peer:` to say whom they peer with".into(),
        );
    }
    if let Some(list) = &d.applies_to
        && list.contains(&DutKind::None)
    {
        p.push("dut.applies_to: list daemons (bird, frr, gobgp, openbgpd)".into());
    }
}

fn steps(at: &str, step: &Step, s: &Scenario, p: &mut Vec<String>) {
    let names: BTreeSet<&str> = s.speakers.keys().map(String::as_str).collect();
    let names = &names;
    let actions = [
        step.wait.is_some(),
        step.announce.is_some(),
        step.withdraw.is_some(),
        step.flap.is_some(),
        step.churn.is_some(),
        step.storm.is_some(),
        step.replay.is_some(),
        step.reset.is_some(),
        step.link.is_some(),
        step.impair.is_some(),
        step.restart.is_some(),
        step.refresh.is_some(),
        step.end_of_rib.is_some(),
        step.send_raw.is_some(),
        step.snapshot.is_some(),
        step.expect.is_some(),
    ];
    let n = actions.iter().filter(|a| **a).count();
    if n != 1 {
        p.push(format!(
            "{at}: a step has exactly one action (wait, announce, withdraw, flap, churn, storm, replay, reset, link, impair, restart, refresh, end_of_rib, send_raw, snapshot, expect); this one has {n}"
        ));
        return;
    }
    let known = |what: &str, n: &str, p: &mut Vec<String>| {
        if !names.contains(n) {
            let list = names.iter().copied().collect::<Vec<_>>().join(", ");
            p.push(format!("{at}.{what}: no speaker named {n:?} (speakers: {list})"));
        }
    };
    if let Some(Wait::Keyword(k)) = &step.wait
        && k != "established"
    {
        p.push(format!(
            "{at}.wait: `established` or {{established: [...], within: ...}}, not {k:?}"
        ));
    }
    if let Some(Wait::Sessions(w)) = &step.wait {
        for n in w.established.iter().flatten() {
            known("wait.established", n, p);
        }
    }
    for a in step.announce.iter().chain(&step.storm) {
        known("announce.from", &a.from, p);
        for w in &a.with {
            known("announce.with", w, p);
        }
        prefixes(&format!("{at}.announce.prefixes"), &a.prefixes, p);
        communities(at, a, p);
        for sender in std::iter::once(&a.from).chain(&a.with).filter(|_| a.path_id.is_some()) {
            let sends_paths = s.speakers.get(sender).and_then(|sp| sp.capabilities.add_path);
            if !matches!(sends_paths, Some(AddPathMode::Send | AddPathMode::Both)) {
                p.push(format!(
                    "{at}.announce.path_id: speaker {sender:?} needs capabilities.add_path send or both"
                ));
            }
        }
        if let Some(o) = &a.origin
            && !matches!(o.as_str(), "igp" | "egp" | "incomplete")
        {
            p.push(format!("{at}.announce.origin: igp, egp or incomplete, not {o:?}"));
        }
    }
    if let Some(w) = &step.withdraw {
        known("withdraw.from", &w.from, p);
        let sends_paths = s.speakers.get(&w.from).and_then(|sp| sp.capabilities.add_path);
        if w.path_id.is_some() {
            if !matches!(sends_paths, Some(AddPathMode::Send | AddPathMode::Both)) {
                p.push(format!(
                    "{at}.withdraw.path_id: speaker {:?} needs capabilities.add_path send or both",
                    w.from
                ));
            }
            if matches!(w.prefixes, WithdrawSet::Keyword(_)) {
                p.push(format!("{at}.withdraw.path_id: only with a set of prefixes, not `all`"));
            }
        }
        match &w.prefixes {
            WithdrawSet::Keyword(k) if k != "all" => {
                p.push(format!("{at}.withdraw.prefixes: `all` or a prefix set, not {k:?}"))
            }
            WithdrawSet::Set(set) => prefixes(&format!("{at}.withdraw.prefixes"), set, p),
            _ => {}
        }
    }
    if let Some(f) = &step.flap {
        known("flap.from", &f.from, p);
        if f.cycles == 0 || f.cycles > 10_000 {
            p.push(format!("{at}.flap.cycles: 1 to 10000, not {}", f.cycles));
        }
    }
    if let Some(c) = &step.churn {
        known("churn.from", &c.from, p);
        if !(c.rate > 0.0 && c.rate <= 10_000_000.0) || c.duration.as_secs() > 3600 {
            p.push(format!("{at}.churn: rate 0 to 10M changes/s and duration at most 1 h"));
        }
    }
    if let Some(r) = &step.replay {
        known("replay.from", &r.from, p);
        if r.speed.is_some_and(|s| s <= 0.0) {
            p.push(format!("{at}.replay.speed: must be above 0"));
        }
    }
    if let Some(r) = &step.reset {
        known("reset", r, p);
    }
    if let Some(l) = &step.link {
        known("link.speaker", &l.speaker, p);
    }
    if let Some(i) = &step.impair {
        known("impair.speaker", &i.speaker, p);
    }
    match &step.restart {
        Some(Restart::Keyword(k)) if k != "dut" => {
            p.push(format!("{at}.restart: `dut` or {{speaker: NAME, graceful: true}}, not {k:?}"))
        }
        Some(Restart::Speaker(r)) => known("restart.speaker", &r.speaker, p),
        _ => {}
    }
    if let Some(r) = &step.refresh {
        known("refresh.from", &r.from, p);
    }
    if let Some(n) = &step.end_of_rib {
        known("end_of_rib", n, p);
    }
    if let Some(r) = &step.send_raw {
        known("send_raw.from", &r.from, p);
        if let Err(e) = parse_hex(&r.update) {
            p.push(format!("{at}.send_raw.update: {e}"));
        }
    }
    if let Some(e) = &step.expect {
        expect(at, e, names, p);
    }
}

fn expect(at: &str, e: &Expect, names: &BTreeSet<&str>, p: &mut Vec<String>) {
    let checks = [
        e.routes.is_some(),
        e.prefixes.is_some(),
        e.paths_per_prefix.is_some(),
        e.established.is_some(),
        e.stayed_up.is_some(),
        e.convergence.is_some(),
        e.flap.is_some(),
        e.hidden.is_some(),
        e.community_alert.is_some(),
        e.snapshot.is_some(),
        e.dut_rib.is_some(),
        e.rib_diff.is_some(),
        e.clean.is_some(),
        e.dut_matches.is_some(),
        e.monitor_agrees.is_some(),
        e.end_of_rib.is_some(),
        e.announced.is_some(),
        e.withdrawn.is_some(),
        e.uninterrupted.is_some(),
    ];
    if !checks.iter().any(|c| *c) {
        p.push(format!("{at}.expect: nothing to check"));
    }
    let counts = e.announced.is_some() || e.withdrawn.is_some() || e.uninterrupted.is_some();
    if counts != e.since.is_some() {
        p.push(format!(
            "{at}.expect: announced, withdrawn and uninterrupted go with `since: SNAPSHOT`, and `since` with one of them"
        ));
    }
    if e.paths_per_prefix == Some(0) {
        p.push(format!("{at}.expect.paths_per_prefix: at least 1"));
    }
    let needs_at = e.routes.is_some()
        || e.prefixes.is_some()
        || e.paths_per_prefix.is_some()
        || e.snapshot.is_some()
        || e.rib_diff.is_some()
        || e.dut_matches.is_some()
        || e.monitor_agrees.is_some()
        || e.end_of_rib.is_some()
        || counts;
    match &e.at {
        Some(a) if !names.contains(a.as_str()) => {
            p.push(format!("{at}.expect.at: no speaker named {a:?}"))
        }
        None if needs_at => p.push(format!(
            "{at}.expect: routes, prefixes, paths_per_prefix, snapshot, rib_diff, end_of_rib and the counts since a snapshot need `at: SPEAKER`"
        )),
        _ => {}
    }
    for (what, list) in [("established", &e.established), ("stayed_up", &e.stayed_up)] {
        for n in list.iter().flatten() {
            if !names.contains(n.as_str()) {
                p.push(format!("{at}.expect.{what}: no speaker named {n:?}"));
            }
        }
    }
    for name in e.snapshot.iter().chain(&e.dut_rib).chain(e.rib_diff.iter().map(|d| &d.snapshot)) {
        if name.is_empty()
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            p.push(format!("{at}.expect: snapshot names are letters, digits, - or _: {name:?}"));
        }
    }
}

fn prefixes(at: &str, set: &Prefixes, p: &mut Vec<String>) {
    match set {
        Prefixes::List(l) if l.is_empty() => p.push(format!("{at}: an empty list")),
        Prefixes::Range(r) if r.count == 0 || r.count > 10_000_000 => {
            p.push(format!("{at}.count: 1 to 10,000,000, not {}", r.count))
        }
        _ => {}
    }
}

fn communities(at: &str, a: &Announce, p: &mut Vec<String>) {
    for c in &a.communities {
        if super::parse_community(c).is_none() {
            p.push(format!("{at}.announce.communities: {c:?} is not asn:value (each 0..65535)"));
        }
    }
    if let Some(r) = &a.community_range
        && super::community_range(r).is_none()
    {
        p.push(format!(
            "{at}.announce.community_range: start {:?} must be asn:value and count at least 1, without the value passing 65535",
            r.start
        ));
    }
    for c in &a.large_communities {
        if super::parse_large_community(c).is_none() {
            p.push(format!("{at}.announce.large_communities: {c:?} is not global:local1:local2"));
        }
    }
    for c in &a.extended_communities {
        if super::parse_extended_community(c).is_none() {
            p.push(format!(
                "{at}.announce.extended_communities: {c:?} is not rt:asn:value or soo:asn:value"
            ));
        }
    }
}

/// The bytes of a hex string with optional whitespace (`send_raw.update`).
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return Err(format!("{} hex digits: give whole octets, at least one", digits.len()));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).unwrap_or("?");
            u8::from_str_radix(s, 16).map_err(|_| format!("{s:?} is not a hex octet"))
        })
        .collect()
}
