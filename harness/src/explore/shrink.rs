//! Shrinking a diverging case: delta debugging over its events, speakers, prefixes and
//! attributes, keeping each reduction that still diverges the same way.
//!
//! [`shrink`] tries reductions from the largest to the smallest (halves of the event list
//! down to single events, then whole speakers, single prefixes, single attributes and plain
//! resets for graceful restarts, the 2-octet DUT AS for a 4-octet one, speaker options) and restarts after each one that the
//! caller's test keeps. It stops at a case no single reduction shrinks further (1-minimal for these reductions), or when the run
//! budget is spent. Every candidate is first made valid ([`normalize`]) and must have one
//! answer in the reference model; a candidate already tried is not run again.

use std::collections::HashSet;
use std::time::Instant;

use bgpstorm_wire::model::Origin;

use super::case::{Attrs, Case, DUT_ASN, Event};
use super::model;

/// What shrinking did.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The smallest case found that still diverges the same way.
    pub case: Case,
    /// Candidates run.
    pub runs: u32,
    /// Reductions kept.
    pub kept: u32,
    /// Whether the run budget or the deadline ended the search before a 1-minimal case was
    /// reached.
    pub budget_spent: bool,
}

/// How big a case is: events, speakers, prefixes named and attributes set (what shrinking
/// lowers).
pub fn size(c: &Case) -> usize {
    let attrs = |a: &Attrs| {
        a.as_path.len()
            + usize::from(a.prepend)
            + usize::from(a.origin != Origin::Igp)
            + usize::from(a.med.is_some())
            + usize::from(a.local_pref.is_some_and(|lp| lp != 100))
            + a.communities.len()
            + a.large.len()
            + a.extended.len()
            + a.as_set.len()
            + usize::from(a.unknown)
            + usize::from(a.third_party)
    };
    let events: usize = c
        .events
        .iter()
        .map(|e| {
            1 + match e {
                Event::Announce { prefixes, attrs: a, .. } => prefixes.len() + attrs(a),
                Event::Withdraw { prefixes, .. } => prefixes.len(),
                Event::RawAnnounce { as_set, unknown, .. } => {
                    1 + as_set.len() + usize::from(*unknown)
                }
                Event::Flap { prefixes, as_path, cycles, .. } => {
                    prefixes.len() + as_path.len() + *cycles as usize
                }
                // The capability it needs, over a plain reset.
                Event::GracefulRestart(_) => 1,
                _ => 0,
            }
        })
        .sum();
    let speakers: usize =
        c.speakers.iter().map(|s| 1 + usize::from(s.ipv6) + usize::from(!s.four_octet)).sum();
    events + speakers + usize::from(c.dut_asn != DUT_ASN)
}

/// Shrinks `case`, which diverges, while `diverges` says a candidate still does (the same
/// way), running at most `budget` candidates and starting none after `deadline`.
pub fn shrink(
    case: &Case,
    budget: u32,
    deadline: Option<Instant>,
    mut diverges: impl FnMut(&Case) -> bool,
) -> Shrunk {
    let mut current = case.clone();
    let mut tried: HashSet<String> = HashSet::new();
    tried.insert(format!("{current:?}"));
    let (mut runs, mut kept) = (0u32, 0u32);
    'search: loop {
        for mut cand in candidates(&current) {
            normalize(&mut cand);
            if cand.events.is_empty() || size(&cand) >= size(&current) {
                continue;
            }
            if !model::decidable(&cand) || !tried.insert(format!("{cand:?}")) {
                continue;
            }
            if runs >= budget || deadline.is_some_and(|d| Instant::now() >= d) {
                return Shrunk { case: current, runs, kept, budget_spent: true };
            }
            runs += 1;
            if diverges(&cand) {
                current = cand;
                kept += 1;
                continue 'search;
            }
        }
        return Shrunk { case: current, runs, kept, budget_spent: false };
    }
}

/// Every single reduction of `c`, largest first.
pub fn candidates(c: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    // Chunks of events, halves first (ddmin's complements).
    let n = c.events.len();
    let mut chunk = n / 2;
    while chunk >= 1 {
        let mut start = 0;
        while start < n {
            let mut d = c.clone();
            d.events.drain(start..(start + chunk).min(n));
            out.push(d);
            start += chunk;
        }
        if chunk == 1 {
            break;
        }
        chunk /= 2;
    }
    // Whole speakers, with their events.
    for s in (0..c.speakers.len()).rev() {
        if c.speakers.len() > 1 {
            out.push(without_speaker(c, s));
        }
    }
    // Single prefixes of events that name several.
    for (i, e) in c.events.iter().enumerate() {
        let len = match e {
            Event::Announce { prefixes, .. }
            | Event::Withdraw { prefixes, .. }
            | Event::Flap { prefixes, .. } => prefixes.len(),
            _ => 0,
        };
        for k in 0..len {
            let mut d = c.clone();
            if let Event::Announce { prefixes, .. }
            | Event::Withdraw { prefixes, .. }
            | Event::Flap { prefixes, .. } = &mut d.events[i]
            {
                prefixes.remove(k);
            }
            out.push(d);
        }
    }
    // Attributes, one at a time.
    for (i, e) in c.events.iter().enumerate() {
        match e {
            Event::Announce { attrs, .. } => {
                for a in simpler_attrs(attrs) {
                    let mut d = c.clone();
                    if let Event::Announce { attrs, .. } = &mut d.events[i] {
                        *attrs = a;
                    }
                    out.push(d);
                }
            }
            // A plain announcement instead; one AS_SET member fewer, or no unknown attribute,
            // as long as the UPDATE still carries one of the two.
            Event::RawAnnounce { from, prefix, as_set, unknown } => {
                let mut d = c.clone();
                d.events[i] = Event::Announce {
                    from: *from,
                    prefixes: vec![*prefix],
                    attrs: Attrs::plain(vec![]),
                };
                out.push(d);
                if as_set.len() > 1 || *unknown {
                    for k in 0..as_set.len() {
                        let mut d = c.clone();
                        if let Event::RawAnnounce { as_set, .. } = &mut d.events[i] {
                            as_set.remove(k);
                        }
                        out.push(d);
                    }
                }
                if *unknown && !as_set.is_empty() {
                    let mut d = c.clone();
                    if let Event::RawAnnounce { unknown, .. } = &mut d.events[i] {
                        *unknown = false;
                    }
                    out.push(d);
                }
            }
            // A plain reset instead (and no Graceful Restart capability).
            Event::GracefulRestart(x) => {
                let mut d = c.clone();
                d.events[i] = Event::Reset(*x);
                out.push(d);
            }
            Event::Flap { as_path, cycles, .. } => {
                for k in 0..as_path.len() {
                    let mut d = c.clone();
                    if let Event::Flap { as_path, .. } = &mut d.events[i] {
                        as_path.remove(k);
                    }
                    out.push(d);
                }
                if *cycles > 1 {
                    let mut d = c.clone();
                    if let Event::Flap { cycles, .. } = &mut d.events[i] {
                        *cycles = 1;
                    }
                    out.push(d);
                }
            }
            _ => {}
        }
    }
    // The DUT's AS: the 2-octet one.
    if c.dut_asn != DUT_ASN {
        let mut d = c.clone();
        d.renumber_dut(DUT_ASN);
        out.push(d);
    }
    // Speaker options: IPv4 only, 4-octet AS numbers.
    for (s, sp) in c.speakers.iter().enumerate() {
        if sp.ipv6 {
            let mut d = c.clone();
            d.speakers[s].ipv6 = false;
            out.push(d);
        }
        if !sp.four_octet {
            let mut d = c.clone();
            d.speakers[s].four_octet = true;
            out.push(d);
        }
    }
    out
}

/// `a` with one attribute fewer (or plainer), each way there is.
fn simpler_attrs(a: &Attrs) -> Vec<Attrs> {
    let mut out = Vec::new();
    let mut push = |f: &dyn Fn(&mut Attrs)| {
        let mut b = a.clone();
        f(&mut b);
        if b != *a {
            out.push(b);
        }
    };
    for k in 0..a.as_path.len() {
        push(&|b| {
            b.as_path.remove(k);
        });
    }
    push(&|b| b.prepend = 0);
    push(&|b| b.origin = Origin::Igp);
    push(&|b| b.med = None);
    push(&|b| b.third_party = false);
    if a.local_pref.is_some_and(|lp| lp != 100) {
        push(&|b| b.local_pref = Some(100));
    }
    for k in 0..a.communities.len() {
        push(&|b| {
            b.communities.remove(k);
        });
    }
    for k in 0..a.large.len() {
        push(&|b| {
            b.large.remove(k);
        });
    }
    for k in 0..a.extended.len() {
        push(&|b| {
            b.extended.remove(k);
        });
    }
    out
}

/// `c` without speaker `s` and its events; the later speakers move down one place.
fn without_speaker(c: &Case, s: usize) -> Case {
    let mut d = c.clone();
    d.speakers.remove(s);
    let moved = |x: usize| if x > s { x - 1 } else { x };
    d.events = c
        .events
        .iter()
        .filter(|e| e.speaker() != Some(s))
        .cloned()
        .map(|mut e| {
            match &mut e {
                Event::Announce { from, .. }
                | Event::Withdraw { from, .. }
                | Event::Flap { from, .. }
                | Event::Malformed { from, .. }
                | Event::RawAnnounce { from, .. } => *from = moved(*from),
                Event::WithdrawAll(x)
                | Event::Reset(x)
                | Event::GracefulRestart(x)
                | Event::Refresh(x)
                | Event::LinkFlap(x) => {
                    *x = moved(*x);
                }
                Event::RestartDut => {}
            }
            e
        })
        .collect();
    d
}

/// Makes a reduced case valid as the generator's are: announcements only of families the
/// speaker carries, withdrawals only of prefixes announced by then (a withdrawal of a route
/// the DUT never had changes nothing on the wire for a check to wait for), no event left
/// without prefixes.
pub fn normalize(c: &mut Case) {
    let mut announced = c.empty();
    let mut events = Vec::with_capacity(c.events.len());
    for mut e in std::mem::take(&mut c.events) {
        let keep = match &mut e {
            Event::Announce { from, prefixes, .. } | Event::Flap { from, prefixes, .. } => {
                let sp = &c.speakers[*from];
                prefixes.retain(|p| sp.carries(p));
                !prefixes.is_empty()
            }
            Event::Withdraw { from, prefixes } => {
                prefixes.retain(|p| announced[*from].contains_key(p));
                !prefixes.is_empty()
            }
            _ => true,
        };
        if keep {
            c.apply(&mut announced, &e);
            events.push(e);
        }
    }
    c.events = events;
}
