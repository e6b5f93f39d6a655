//! The one pass from the YAML form to the model: it checks what serde cannot (references
//! between parts, value ranges, one action per step) and builds the typed steps and checks,
//! collecting every problem with where it is (`steps[3].announce.from`).

use std::collections::BTreeSet;
use std::path::Path;

use super::build::Builder;
use super::model::*;
use super::raw;

/// The typed scenario, or every problem of the file, each with where it is. Files the
/// scenario names are looked up in `base`, its folder.
pub fn build(s: raw::Scenario, base: &Path) -> Result<Scenario, Vec<String>> {
    let mut p = header(&s);
    let mut steps = Vec::with_capacity(s.steps.len());
    let mut named = BTreeSet::new();
    for (i, step) in s.steps.iter().enumerate() {
        let at = match &step.name {
            Some(n) => format!("steps[{i}] ({n})"),
            None => format!("steps[{i}]"),
        };
        let action = Builder { at: &at, s: &s, p: &mut p, base }.action(step);
        if let Some(since) = step.expect.as_ref().and_then(|e| e.since.as_ref())
            && !named.contains(since.as_str())
        {
            p.push(format!("{at}.expect.since: no `snapshot: {since}` step comes before this one"));
        }
        if let Some(n) = &step.snapshot {
            named.insert(n.as_str());
        }
        if let Some(action) = action {
            steps.push(Step { name: label(step), action });
        }
    }
    if !p.is_empty() {
        return Err(p);
    }
    Ok(Scenario {
        version: s.version,
        name: s.name,
        description: s.description,
        dut: s.dut,
        speakers: s.speakers,
        monitor: s.monitor,
        steps,
    })
}

/// The name a step is reported under: its own, or its action as the author wrote it, every
/// written value included (zeros and `false` too).
pub fn label(step: &raw::Step) -> String {
    if let Some(n) = &step.name {
        return n.clone();
    }
    let v = serde_json::to_value(step).unwrap_or_default();
    let Some((k, v)) = v.as_object().and_then(|o| o.iter().next()) else { return "step".into() };
    let text: String = compact(v).chars().take(80).collect();
    format!("{k} {text}")
}

/// `{at: down, routes: 0}`: YAML-like flow text of a value (absent fields are not in it).
fn compact(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Object(o) => {
            let parts: Vec<String> = o
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("{k}: {}", compact(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(compact).collect::<Vec<_>>().join(", ")),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Problems of everything but the steps.
fn header(s: &raw::Scenario) -> Vec<String> {
    let mut p = Vec::new();
    if s.version != 1 {
        p.push(format!("version: only version 1 exists, this file says {}", s.version));
    }
    if s.name.trim().is_empty() {
        p.push("name: must not be empty".into());
    } else if !safe_name(&s.name) {
        p.push(format!(
            "name: {:?} names the artifacts folder: letters, digits, -, _ and . only, not starting with . or -, no ..",
            s.name
        ));
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
        if sp.asn == 0 {
            p.push(format!("{at}.asn: AS 0 is reserved (RFC 7607)"));
        } else if sp.asn > 0xffff && !sp.capabilities.four_octet_as {
            p.push(format!(
                "{at}.asn: {} is a 4-octet AS, which a speaker without the 4-octet AS capability (four_octet_as: false) cannot have (RFC 6793)",
                sp.asn
            ));
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
    p
}

/// Whether a scenario name is safe as one path component under `--artifacts` (no `/`, no
/// `..`, not absolute, not hidden): the rule `bgpstorm new` applies to names too.
fn safe_name(name: &str) -> bool {
    !name.contains("..")
        && !name.starts_with(['.', '-'])
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn dut(s: &raw::Scenario, p: &mut Vec<String>) {
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
