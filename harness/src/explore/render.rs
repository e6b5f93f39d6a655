//! A case as a scenario file: its speakers, a step (or a few) per event, and after each event
//! one `expect: {at, rib}` per speaker with what the reference model says it holds.

use std::collections::BTreeMap;
use std::time::Duration;

use bgpstorm_wire::model::Origin;
use ipnet::IpNet;

use super::case::{
    Announced, Attrs, Case, Event, malformed_update, raw_update, speaker_name, third_party,
};
use super::model::{Checkpoint, Tie, checkpoints};
use crate::scenario::model::{
    Capabilities, Dut, DutKind, Family, Flap, Link, LinkState, Monitor, Prefixes, Refresh,
    RestartSpeaker, Speaker,
};
use crate::scenario::raw;

/// Deadline of each RIB check (the DUT settles first).
const CHECK_WITHIN: Duration = Duration::from_secs(20);
/// Deadline for sessions to come back after a reset, link flap or DUT restart.
const RECONNECT_WITHIN: Duration = Duration::from_secs(60);
/// Deadline for the DUT's answer to a ROUTE-REFRESH.
const REFRESH_WITHIN: Duration = Duration::from_secs(10);
/// Hold time of a speaker whose link goes down, so that the DUT notices soon.
const LINK_FLAP_HOLD: u16 = 6;
/// The Restart Time a gracefully restarting speaker offers (RFC 4724 §3), in seconds: the
/// DUT keeps its stale routes at most this long if it never comes back.
const GRACEFUL_RESTART_TIME: u16 = 120;

/// The name of a case's scenario.
pub fn name(case: &Case) -> String {
    format!("explore-{}", case.seed)
}

/// The scenario of a case, in its YAML form; a tie the daemons break differently is an error
/// (the generator never gives such a case).
pub fn scenario(case: &Case, kind: DutKind) -> Result<raw::Scenario, Tie> {
    let points = checkpoints(case)?;
    let mut steps = vec![raw::Step {
        wait: Some(raw::Wait::Keyword("established".into())),
        ..raw::Step::default()
    }];
    let mut announced = case.empty();
    for (i, e) in case.events.iter().enumerate() {
        let mine = || points.iter().filter(move |c| c.after == i);
        match e {
            Event::LinkFlap(x) => {
                steps.push(step_link(*x, false));
                for c in mine().filter(|c| c.link_down.is_some()) {
                    expects(c, &mut steps);
                }
                steps.push(step_link(*x, true));
                steps.push(wait(Some(vec![speaker_name(*x)])));
                reannounce(case, *x, &announced, &mut steps);
            }
            Event::Reset(x) => {
                steps.push(raw::Step { reset: Some(speaker_name(*x)), ..raw::Step::default() });
                steps.push(wait(Some(vec![speaker_name(*x)])));
                reannounce(case, *x, &announced, &mut steps);
            }
            Event::GracefulRestart(x) => {
                // RFC 4724 §4.2: the DUT keeps the speaker's routes as stale while it restarts
                // and replaces them as they come again; nothing changes, so nobody else may
                // see a withdrawal (checked after the event's `rib` checks, below).
                steps.push(raw::Step { snapshot: Some(graceful_mark(i)), ..raw::Step::default() });
                steps.push(raw::Step {
                    restart: Some(raw::Restart::Speaker(RestartSpeaker {
                        speaker: speaker_name(*x),
                        graceful: true,
                        within: Some(RECONNECT_WITHIN),
                    })),
                    ..raw::Step::default()
                });
                reannounce(case, *x, &announced, &mut steps);
            }
            Event::RawAnnounce { from, prefix, as_set, unknown } => {
                let a = Attrs::raw(as_set.clone(), *unknown);
                steps.push(send_raw(case, *from, prefix, &a));
            }
            Event::WithdrawAll(x) => {
                steps.extend(step(e));
                // The speaker's `withdraw: all` knows only what `announce` sent: the routes of
                // raw UPDATEs are withdrawn by name.
                let raw: Vec<IpNet> =
                    announced[*x].iter().filter(|(_, a)| a.needs_raw()).map(|(p, _)| *p).collect();
                if !raw.is_empty() {
                    steps.push(raw::Step {
                        withdraw: Some(raw::Withdraw {
                            from: speaker_name(*x),
                            prefixes: raw::WithdrawSet::Set(Prefixes::List(raw)),
                            path_id: None,
                        }),
                        ..raw::Step::default()
                    });
                }
            }
            Event::RestartDut => {
                steps.push(raw::Step {
                    restart: Some(raw::Restart::Keyword("dut".into())),
                    ..raw::Step::default()
                });
                steps.push(wait(None));
                for x in 0..case.speakers.len() {
                    reannounce(case, x, &announced, &mut steps);
                }
            }
            Event::Malformed { from, prefix, error } => {
                let hex: String =
                    malformed_update(*from, &case.speakers[*from], case.dut_asn, prefix, *error)
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect();
                steps.push(raw::Step {
                    name: Some(format!(
                        "{} sends {prefix} with {} (RFC 7606: treat-as-withdraw)",
                        speaker_name(*from),
                        error.name()
                    )),
                    send_raw: Some(raw::SendRaw { from: speaker_name(*from), update: hex }),
                    ..raw::Step::default()
                });
            }
            Event::Refresh(x) => {
                // RFC 2918: the DUT must send its Adj-RIB-Out for IPv4 again. The model says
                // how many IPv4 routes the speaker holds; with none there is nothing to see.
                let held = points
                    .iter()
                    .find(|c| c.after == i && c.link_down.is_none())
                    .and_then(|c| c.ribs[*x].as_ref())
                    .map_or(0, |rib| {
                        rib.iter()
                            .filter(|l| l.split(' ').next().is_some_and(|p| !p.contains(':')))
                            .count()
                    });
                let mark = format!("before-refresh-{}", i + 1);
                if held > 0 {
                    steps.push(raw::Step { snapshot: Some(mark.clone()), ..raw::Step::default() });
                }
                steps.extend(step(e));
                if held > 0 {
                    let at = speaker_name(*x);
                    steps.push(raw::Step {
                        name: Some(format!("the DUT sends {at} its {held} IPv4 routes again")),
                        expect: Some(raw::Expect {
                            at: Some(at),
                            since: Some(mark),
                            announced: Some(held as u64),
                            within: Some(REFRESH_WITHIN),
                            ..raw::Expect::default()
                        }),
                        ..raw::Step::default()
                    });
                }
            }
            other => steps.extend(step(other)),
        }
        case.apply(&mut announced, e);
        for c in mine().filter(|c| c.link_down.is_none()) {
            expects(c, &mut steps);
            if let Event::GracefulRestart(x) = e {
                no_withdrawals(c, *x, &graceful_mark(i), &mut steps);
            }
        }
    }
    // Consistency, once every event is done: the DUT's own RIB holds what the model says it
    // does, and the wire monitor saw the DUT send each speaker what that speaker holds.
    if let Some(last) = points.iter().rev().find(|c| c.link_down.is_none()) {
        steps.push(raw::Step {
            name: Some("the DUT's own RIB holds the predicted prefixes".into()),
            expect: Some(raw::Expect {
                dut_prefixes: Some(last.dut.clone()),
                within: Some(CHECK_WITHIN),
                ..raw::Expect::default()
            }),
            ..raw::Step::default()
        });
        // Only where the speaker holds something: what it received also counts routes it
        // discards as loops, so "both hold nothing" cannot be asked for in advance.
        for (r, rib) in last.ribs.iter().enumerate() {
            if rib.as_ref().is_none_or(Vec::is_empty) {
                continue;
            }
            let at = speaker_name(r);
            steps.push(raw::Step {
                name: Some(format!("the wire monitor saw what {at} holds")),
                expect: Some(raw::Expect {
                    at: Some(at),
                    monitor_agrees: Some(true),
                    within: Some(CHECK_WITHIN),
                    ..raw::Expect::default()
                }),
                ..raw::Step::default()
            });
        }
    }
    // Liveness: the sessions no event took down came up once and saw no NOTIFICATION (an
    // attribute error that resets the session instead of RFC 7606 treat-as-withdraw).
    let steady: Vec<String> = (0..case.speakers.len())
        .filter(|x| {
            !case.events.iter().any(|e| match e {
                Event::Reset(y) | Event::GracefulRestart(y) | Event::LinkFlap(y) => y == x,
                Event::RestartDut => true,
                _ => false,
            })
        })
        .map(speaker_name)
        .collect();
    if !steady.is_empty() {
        steps.push(raw::Step {
            name: Some("no session went down by itself".into()),
            expect: Some(raw::Expect { stayed_up: Some(steady), ..raw::Expect::default() }),
            ..raw::Step::default()
        });
    }
    let flapped = case.flapped();
    let speakers = case
        .speakers
        .iter()
        .enumerate()
        .map(|(i, sp)| {
            let mut families = vec![Family::Ipv4];
            if sp.ipv6 {
                families.push(Family::Ipv6);
            }
            let speaker = Speaker {
                asn: sp.asn,
                passive: false,
                families,
                router_id: None,
                hold_time: flapped.contains(&i).then_some(LINK_FLAP_HOLD),
                capabilities: Capabilities {
                    four_octet_as: sp.four_octet,
                    graceful_restart: case.graceful(i).then_some(GRACEFUL_RESTART_TIME),
                    ..Capabilities::default()
                },
                md5: None,
                ttl_security: false,
                link: Link::default(),
                peer: None,
            };
            (speaker_name(i), speaker)
        })
        .collect();
    Ok(raw::Scenario {
        version: 1,
        name: name(case),
        description: format!(
            "Generated by bgpstorm explore from seed {} ({} events); each `rib` check is what the reference model (RFC 4271 decision process and export rules) predicts.",
            case.seed,
            case.events.len()
        ),
        dut: Dut {
            kind,
            asn: Some(case.dut_asn),
            router_id: None,
            config: BTreeMap::new(),
            applies_to: None,
            unsupported: BTreeMap::new(),
        },
        speakers,
        monitor: Monitor::default(),
        steps,
    })
}

/// The scenario of a case as YAML text, without the keys that say nothing (null values and
/// empty maps, which read as their defaults).
pub fn yaml(case: &Case, kind: DutKind) -> Result<String, RenderError> {
    let s = scenario(case, kind)?;
    let mut v = serde_json::to_value(&s).map_err(|e| RenderError::Yaml(e.to_string()))?;
    prune(&mut v);
    // The sections in the order scenario files are written in (a JSON map sorts its keys).
    let mut out = String::new();
    for key in ["version", "name", "description", "dut", "speakers", "monitor", "steps"] {
        if let Some(x) = v.as_object_mut().and_then(|o| o.remove(key)) {
            let section = serde_json::Map::from_iter([(key.to_string(), x)]);
            out +=
                &serde_saphyr::to_string(&section).map_err(|e| RenderError::Yaml(e.to_string()))?;
        }
    }
    Ok(out)
}

/// Removes null values and empty maps from objects, recursively (empty lists stay: `rib: []`
/// says the speaker holds nothing).
fn prune(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            for x in o.values_mut() {
                prune(x);
            }
            o.retain(|_, x| !(x.is_null() || x.as_object().is_some_and(|m| m.is_empty())));
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(prune),
        _ => {}
    }
}

/// A case that cannot be written as a scenario.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The model has no single answer.
    #[error(transparent)]
    Tie(#[from] Tie),
    /// YAML serialization failed.
    #[error("cannot write YAML: {0}")]
    Yaml(String),
}

fn wait(speakers: Option<Vec<String>>) -> raw::Step {
    raw::Step {
        wait: Some(raw::Wait::Sessions(raw::WaitSessions {
            established: speakers,
            within: Some(RECONNECT_WITHIN),
        })),
        ..raw::Step::default()
    }
}

fn step_link(x: usize, up: bool) -> raw::Step {
    raw::Step { link: Some(LinkState { speaker: speaker_name(x), up }), ..raw::Step::default() }
}

/// One `expect: {at, rib}` per speaker that is up.
fn expects(c: &Checkpoint, steps: &mut Vec<raw::Step>) {
    let when = match c.link_down {
        Some(x) => format!("while {}'s link is down", speaker_name(x)),
        None => format!("after event {}", c.after + 1),
    };
    for (r, rib) in c.ribs.iter().enumerate() {
        let Some(rib) = rib else { continue };
        let at = speaker_name(r);
        steps.push(raw::Step {
            name: Some(format!("{at} holds the predicted routes {when}")),
            expect: Some(raw::Expect {
                at: Some(at),
                rib: Some(rib.clone()),
                within: Some(CHECK_WITHIN),
                ..raw::Expect::default()
            }),
            ..raw::Step::default()
        });
    }
}

/// The `send_raw` step of a raw announcement ([`raw_update`]).
fn send_raw(case: &Case, from: usize, prefix: &IpNet, a: &Attrs) -> raw::Step {
    let hex: String = raw_update(from, &case.speakers[from], case.dut_asn, prefix, a)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut what = Vec::new();
    if !a.as_set.is_empty() {
        let set: Vec<String> = a.as_set.iter().map(u32::to_string).collect();
        what.push(format!("AS_SET {{{}}}", set.join(",")));
    }
    if a.unknown {
        what.push("an unknown optional transitive attribute".to_string());
    }
    if what.is_empty() {
        what.push("a plain path".to_string());
    }
    raw::Step {
        name: Some(format!(
            "{} announces {prefix} with {}",
            speaker_name(from),
            what.join(" and ")
        )),
        send_raw: Some(raw::SendRaw { from: speaker_name(from), update: hex }),
        ..raw::Step::default()
    }
}

/// The snapshot taken before the graceful restart of event `i`.
fn graceful_mark(i: usize) -> String {
    format!("before-graceful-restart-{}", i + 1)
}

/// After speaker `x`'s graceful restart: every other speaker that is up received no
/// withdrawal since `mark` (a DUT that dropped the stale routes at the close, or at the
/// reconnection, and announced them again would pass the `rib` checks all the same).
fn no_withdrawals(c: &Checkpoint, x: usize, mark: &str, steps: &mut Vec<raw::Step>) {
    for (r, rib) in c.ribs.iter().enumerate() {
        if r == x || rib.is_none() {
            continue;
        }
        let at = speaker_name(r);
        steps.push(raw::Step {
            name: Some(format!(
                "{at} saw no withdrawal while {} restarted gracefully",
                speaker_name(x)
            )),
            expect: Some(raw::Expect {
                at: Some(at),
                since: Some(mark.to_string()),
                withdrawn: Some(0),
                ..raw::Expect::default()
            }),
            ..raw::Step::default()
        });
    }
}

/// Announcements of everything speaker `x` had announced, one per set of attributes, and a
/// raw UPDATE per route that only one can carry (its session is new: the routes went with the
/// old one). A speaker with the Graceful Restart capability ends them with End-of-RIB (RFC
/// 4724 §2), which a DUT that keeps stale routes waits for.
fn reannounce(case: &Case, x: usize, announced: &Announced, steps: &mut Vec<raw::Step>) {
    let mut groups: Vec<(&Attrs, Vec<IpNet>)> = Vec::new();
    for (p, a) in &announced[x] {
        if a.needs_raw() {
            steps.push(send_raw(case, x, p, a));
            continue;
        }
        match groups.iter_mut().find(|(g, _)| *g == a) {
            Some((_, ps)) => ps.push(*p),
            None => groups.push((a, vec![*p])),
        }
    }
    for (a, prefixes) in groups {
        steps.push(announce(x, prefixes, a));
    }
    if case.graceful(x) {
        steps.push(raw::Step { end_of_rib: Some(speaker_name(x)), ..raw::Step::default() });
    }
}

fn announce(from: usize, prefixes: Vec<IpNet>, a: &Attrs) -> raw::Step {
    let strings = |v: Vec<String>| (!v.is_empty()).then_some(v);
    // Only IPv4 routes take it (an IPv6 one keeps the speaker's own address).
    let next_hop = (a.third_party && prefixes.iter().any(|p| p.addr().is_ipv4()))
        .then(|| third_party(from).into());
    raw::Step {
        announce: Some(raw::Announce {
            from: speaker_name(from),
            prefixes: Prefixes::List(prefixes),
            as_path: (!a.as_path.is_empty()).then(|| a.as_path.clone()),
            prepend: (a.prepend > 0).then_some(a.prepend),
            origin: match a.origin {
                Origin::Igp => None,
                Origin::Egp => Some("egp".into()),
                Origin::Incomplete => Some("incomplete".into()),
            },
            next_hop,
            med: a.med,
            local_pref: a.local_pref,
            communities: strings(a.communities.iter().map(|c| c.to_string()).collect()),
            large_communities: strings(a.large.iter().map(|c| c.to_string()).collect()),
            extended_communities: strings(a.extended.iter().map(|c| c.to_string()).collect()),
            ..raw::Announce::default()
        }),
        ..raw::Step::default()
    }
}

/// The step of an event that is one step (`None` for the others, which `scenario` writes).
fn step(e: &Event) -> Option<raw::Step> {
    let set = |p: &[IpNet]| raw::WithdrawSet::Set(Prefixes::List(p.to_vec()));
    let step = match e {
        Event::Announce { from, prefixes, attrs } => announce(*from, prefixes.clone(), attrs),
        Event::Withdraw { from, prefixes } => raw::Step {
            withdraw: Some(raw::Withdraw {
                from: speaker_name(*from),
                prefixes: set(prefixes),
                path_id: None,
            }),
            ..raw::Step::default()
        },
        Event::WithdrawAll(from) => raw::Step {
            withdraw: Some(raw::Withdraw {
                from: speaker_name(*from),
                prefixes: raw::WithdrawSet::Keyword("all".into()),
                path_id: None,
            }),
            ..raw::Step::default()
        },
        Event::Flap { from, prefixes, as_path, cycles } => raw::Step {
            flap: Some(Flap {
                from: speaker_name(*from),
                prefixes: Prefixes::List(prefixes.clone()),
                as_path: (!as_path.is_empty()).then(|| as_path.clone()),
                cycles: *cycles,
                interval: Duration::from_millis(200),
            }),
            ..raw::Step::default()
        },
        Event::Refresh(from) => raw::Step {
            refresh: Some(Refresh { from: speaker_name(*from), family: Family::Ipv4 }),
            ..raw::Step::default()
        },
        Event::Reset(_)
        | Event::GracefulRestart(_)
        | Event::LinkFlap(_)
        | Event::RestartDut
        | Event::Malformed { .. }
        | Event::RawAnnounce { .. } => {
            return None;
        }
    };
    Some(step)
}
