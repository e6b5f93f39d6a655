//! Cases from a seed: proptest strategies for speakers, attributes and events, drawn by a
//! [`TestRunner`] on a ChaCha RNG seeded from the seed alone, so a seed always gives the same
//! case. A drawn case the reference model cannot decide with one answer for every daemon
//! (a tie past the rules they share) is set aside and the next one drawn from the same RNG.
//!
//! Raw announcements ([`Event::RawAnnounce`]: an AS_SET, an unknown optional transitive
//! attribute) come from a second RNG stream of the same seed, which turns some announcements
//! into raw ones ([`raw_plan`]); the first stream draws what it drew before they existed, so
//! the other cases of a seed stay as they were. Graceful restarts
//! ([`Event::GracefulRestart`]) come the same way from a third stream, which turns some
//! session resets into graceful ones ([`graceful_plan`]), a fourth gives some
//! announcements a third-party next hop ([`next_hop_plan`]), a fifth gives some cases a
//! 4-octet DUT AS ([`Case::renumber_dut`]), and a sixth says which attribute has the wrong
//! length in an UPDATE the first drew with a length error ([`length_error_plan`]).

use bgpstorm_wire::model::{Community, ExtendedCommunity, LargeCommunity, Origin};
use ipnet::IpNet;
use proptest::prelude::*;
use proptest::sample::{Index, subsequence};
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::case::{
    Attrs, Case, DUT_ASN, Event, FOUR_OCTET_DUT_ASN, Malformation, NO_ADVERTISE, NO_EXPORT,
    SpeakerSpec,
};

/// How often a case gets a 4-octet DUT AS.
const FOUR_OCTET_DUT: f64 = 0.3;

/// Draws before a seed is given up on (a drawn case is set aside when the model finds a tie
/// that daemons break differently; in practice a few draws suffice).
const MAX_DRAWS: u32 = 1000;

/// No case could be drawn from a seed.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// Every draw had a tie the daemons break differently.
    #[error("seed {seed}: no case without an undecidable tie in {MAX_DRAWS} draws")]
    Exhausted {
        /// The seed.
        seed: u64,
    },
    /// proptest refused to draw.
    #[error("seed {seed}: cannot draw a case: {reason}")]
    Draw {
        /// The seed.
        seed: u64,
        /// Why.
        reason: String,
    },
}

/// The case of a seed.
pub fn generate(seed: u64) -> Result<Case, GenError> {
    let mut runner = stream(seed, 0);
    let mut raw_runner = stream(seed, 1);
    let mut graceful_runner = stream(seed, 2);
    let mut next_hop_runner = stream(seed, 3);
    let mut dut_runner = stream(seed, 4);
    let mut length_runner = stream(seed, 5);
    let strategy = case();
    let raw_strategy = raw_plan();
    let graceful_strategy = graceful_plan();
    let next_hop_strategy = next_hop_plan();
    let dut_strategy = prop::bool::weighted(FOUR_OCTET_DUT);
    let length_strategy = length_error_plan();
    let draw = |r: proptest::test_runner::Reason| GenError::Draw { seed, reason: r.to_string() };
    for _ in 0..MAX_DRAWS {
        let mut c = strategy.new_tree(&mut runner).map_err(draw)?.current();
        let plan = raw_strategy.new_tree(&mut raw_runner).map_err(draw)?.current();
        make_raw(&mut c, &plan);
        let plan = graceful_strategy.new_tree(&mut graceful_runner).map_err(draw)?.current();
        make_graceful(&mut c, &plan);
        let plan = next_hop_strategy.new_tree(&mut next_hop_runner).map_err(draw)?.current();
        for (e, third) in c.events.iter_mut().zip(plan) {
            if let Event::Announce { attrs, .. } = e {
                attrs.third_party = third;
            }
        }
        let plan = length_strategy.new_tree(&mut length_runner).map_err(draw)?.current();
        for (e, kind) in c.events.iter_mut().zip(plan) {
            if let Event::Malformed { error, .. } = e
                && *error == Malformation::MedLength
            {
                *error = kind;
            }
        }
        if dut_strategy.new_tree(&mut dut_runner).map_err(draw)?.current() {
            c.renumber_dut(FOUR_OCTET_DUT_ASN);
        }
        c.seed = seed;
        if super::model::decidable(&c) {
            return Ok(c);
        }
    }
    Err(GenError::Exhausted { seed })
}

/// RNG stream `n` of `seed` (ChaCha keyed by the seed and the stream number): stream 0 draws
/// the case, the others what later kinds of event turn some of its events into.
fn stream(seed: u64, n: u8) -> TestRunner {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8] = n;
    TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &key))
}

/// Per event: whether an announcement becomes a raw one, and the raw one's AS_SET members and
/// unknown attribute.
type RawPlan = Vec<(bool, Vec<u32>, bool)>;

/// A [`RawPlan`] for as many events as a case has at most.
fn raw_plan() -> impl Strategy<Value = RawPlan> {
    prop::collection::vec(
        (
            prop::bool::weighted(0.2),
            prop::collection::vec(path_asn(), 0..=3),
            prop::bool::weighted(0.5),
        ),
        MAX_CASE_EVENTS,
    )
}

/// Turns the announcements `plan` picks into raw ones: of the first IPv4 prefix (the pool's
/// first when none), from any speaker (on a 2-octet AS session, 4-octet members of the set
/// go in AS4_PATH), with the AS_SET sorted and without repeats (FRR stores it so), the DUT's AS
/// not in it on iBGP (see [`resolve`]), and an AS_SET or the unknown attribute at least.
fn make_raw(c: &mut Case, plan: &RawPlan) {
    for (e, (convert, set, unknown)) in c.events.iter_mut().zip(plan) {
        let Event::Announce { from, prefixes, .. } = e else { continue };
        let sp = &c.speakers[*from];
        if !*convert {
            continue;
        }
        let mut as_set = set.clone();
        if sp.ibgp(c.dut_asn) {
            for asn in as_set.iter_mut().filter(|asn| **asn == c.dut_asn) {
                *asn = 174;
            }
        }
        as_set.sort_unstable();
        as_set.dedup();
        let prefix =
            prefixes.iter().copied().find(|p| p.addr().is_ipv4()).unwrap_or(prefix_pool()[0]);
        let unknown = *unknown || as_set.is_empty();
        *e = Event::RawAnnounce { from: *from, prefix, as_set, unknown };
    }
    withdraw_only_announced(c);
}

/// Per event: the attribute of wrong length in an UPDATE drawn with a length error (the
/// first stream draws ORIGIN 7 or a length error, which it wrote as a 3-octet MED before the
/// other lengths existed).
fn length_error_plan() -> impl Strategy<Value = Vec<Malformation>> {
    prop::collection::vec(
        prop_oneof![
            Just(Malformation::MedLength),
            Just(Malformation::NextHopLength),
            Just(Malformation::CommunitiesLength),
            Just(Malformation::AsPathOverrun),
        ],
        MAX_CASE_EVENTS,
    )
}

/// Per event: whether a session reset becomes a graceful restart.
fn graceful_plan() -> impl Strategy<Value = Vec<bool>> {
    prop::collection::vec(prop::bool::weighted(0.5), MAX_CASE_EVENTS)
}

/// Turns the resets `plan` picks into graceful restarts, of speakers whose link never goes
/// down in the case (see [`Case::graceful`]).
fn make_graceful(c: &mut Case, plan: &[bool]) {
    let flapped = c.flapped();
    for (e, convert) in c.events.iter_mut().zip(plan) {
        if let Event::Reset(x) = *e
            && *convert
            && !flapped.contains(&x)
        {
            *e = Event::GracefulRestart(x);
        }
    }
}

/// Per event: whether an announcement names a third party on the speaker's link as its
/// IPv4 next hop.
fn next_hop_plan() -> impl Strategy<Value = Vec<bool>> {
    prop::collection::vec(prop::bool::weighted(0.2), MAX_CASE_EVENTS)
}

/// The most events a drawn case has.
const MAX_CASE_EVENTS: usize = 6;

/// The prefixes announcements choose from.
pub fn prefix_pool() -> Vec<IpNet> {
    ["100.64.0.0/24", "100.64.1.0/24", "100.64.2.0/24", "2001:db8:1::/48", "2001:db8:2::/48"]
        .iter()
        .map(|p| p.parse().expect("static prefix"))
        .collect()
}

/// A case: 2 to 4 speakers (one eBGP at least), an announcement, then up to 5 more events,
/// with the 2-octet DUT AS [`DUT_ASN`] (stream 4 of [`generate`] may renumber it).
pub fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(speaker(), 2..=4),
        raw_event(),
        prop::collection::vec(raw_event(), 0..MAX_CASE_EVENTS),
    )
        .prop_map(|(mut speakers, first, rest)| {
            // iBGP-learned routes go to eBGP peers only: without one nobody would hold any.
            if speakers.iter().all(|s| s.ibgp(DUT_ASN)) {
                speakers[0].asn = 65001;
            }
            let first = match first {
                RawEvent::Announce(from, p, a) => RawEvent::Announce(from, p, a),
                RawEvent::Other(from, p, kind) => RawEvent::Announce(from, p, kind.attrs),
            };
            let events =
                std::iter::once(first).chain(rest).map(|e| resolve(&speakers, e)).collect();
            let mut c = Case { seed: 0, dut_asn: DUT_ASN, speakers, events };
            withdraw_only_announced(&mut c);
            c
        })
}

fn speaker() -> impl Strategy<Value = SpeakerSpec> {
    (
        prop_oneof![
            3 => prop::sample::select(vec![65001u32, 65002, 65003]),
            2 => prop::sample::select(vec![4_200_000_001u32, 4_200_000_002]),
            2 => Just(DUT_ASN),
        ],
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.4),
    )
        .prop_map(|(asn, two_octet, ipv6)| SpeakerSpec {
            asn,
            four_octet: !(two_octet && asn <= 0xffff && asn != DUT_ASN),
            ipv6,
        })
}

/// AS numbers for paths: transit ASes mostly, sometimes a speaker's AS (a loop at that
/// receiver) or the DUT's (a loop the DUT rejects).
fn path_asn() -> impl Strategy<Value = u32> {
    prop_oneof![
        8 => prop::sample::select(vec![174u32, 3356, 1299, 4_200_000_100]),
        2 => prop::sample::select(vec![65001u32, 65002, 4_200_000_001]),
        1 => Just(DUT_ASN),
    ]
}

fn origin() -> impl Strategy<Value = Origin> {
    prop_oneof![4 => Just(Origin::Igp), 1 => Just(Origin::Egp), 1 => Just(Origin::Incomplete)]
}

fn attrs() -> impl Strategy<Value = Attrs> {
    let communities = (
        subsequence(vec![Community(65001 << 16 | 1), Community(65002 << 16 | 2)], 0..=2),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(mut c, no_export, no_advertise)| {
            if no_export {
                c.push(NO_EXPORT);
            }
            if no_advertise {
                c.push(NO_ADVERTISE);
            }
            c
        });
    let large = subsequence(
        vec![
            LargeCommunity { global: 4_200_000_001, local1: 1, local2: 1 },
            LargeCommunity { global: 65001, local1: 2, local2: 3 },
        ],
        0..=2,
    );
    let extended = subsequence(vec![ext(0x02, 65001, 100), ext(0x03, 65002, 7)], 0..=1);
    (
        prop::collection::vec(path_asn(), 0..=3),
        prop_oneof![3 => Just(0u8), 1 => 1u8..=2],
        origin(),
        prop::option::weighted(0.5, prop::sample::select(vec![0u32, 10, 50])),
        prop::sample::select(vec![50u32, 100, 200]),
        communities,
        large,
        extended,
    )
        .prop_map(|(as_path, prepend, origin, med, lp, communities, large, extended)| Attrs {
            as_path,
            prepend,
            origin,
            med,
            local_pref: Some(lp),
            communities,
            large,
            extended,
            as_set: Vec::new(),
            unknown: false,
            third_party: false,
        })
}

/// A 2-octet AS specific extended community (RFC 4360 §3.1): route target (2) or route
/// origin (3).
fn ext(subtype: u8, asn: u16, value: u32) -> ExtendedCommunity {
    let mut b = [0u8; 8];
    b[1] = subtype;
    b[2..4].copy_from_slice(&asn.to_be_bytes());
    b[4..8].copy_from_slice(&value.to_be_bytes());
    ExtendedCommunity(b)
}

/// What else an event can be.
#[derive(Clone, Debug)]
enum Kind {
    Withdraw,
    WithdrawAll,
    Flap,
    Reset,
    Refresh,
    LinkFlap,
    RestartDut,
    Malformed(Malformation),
}

#[derive(Clone, Debug)]
struct OtherEvent {
    kind: Kind,
    /// Attributes for the case where the event becomes an announcement (the first event).
    attrs: Attrs,
}

/// An event before its speaker index and prefixes are fitted to the case's speakers.
#[derive(Clone, Debug)]
enum RawEvent {
    Announce(Index, Vec<IpNet>, Attrs),
    Other(Index, Vec<IpNet>, OtherEvent),
}

fn raw_event() -> impl Strategy<Value = RawEvent> {
    let kind = prop_oneof![
        3 => Just(Kind::Withdraw),
        1 => Just(Kind::WithdrawAll),
        1 => Just(Kind::Flap),
        1 => Just(Kind::Reset),
        1 => Just(Kind::Refresh),
        1 => Just(Kind::LinkFlap),
        1 => Just(Kind::RestartDut),
        1 => prop_oneof![Just(Malformation::Origin), Just(Malformation::MedLength)]
            .prop_map(Kind::Malformed),
    ];
    let prefixes = subsequence(prefix_pool(), 1..=3);
    prop_oneof![
        5 => (any::<Index>(), prefixes.clone(), attrs())
            .prop_map(|(i, p, a)| RawEvent::Announce(i, p, a)),
        4 => (any::<Index>(), prefixes, kind, attrs())
            .prop_map(|(i, p, kind, attrs)| RawEvent::Other(i, p, OtherEvent { kind, attrs })),
    ]
}

/// Withdrawals name only prefixes the speaker has announced by then (one that names none
/// becomes `withdraw: all`): a withdrawal of a route the DUT never had changes nothing on the
/// wire, and the run would wait its whole deadline for the DUT to answer it.
fn withdraw_only_announced(c: &mut Case) {
    let mut announced = c.empty();
    for i in 0..c.events.len() {
        if let Event::Withdraw { from, prefixes } = &mut c.events[i] {
            prefixes.retain(|p| announced[*from].contains_key(p));
            if prefixes.is_empty() {
                c.events[i] = Event::WithdrawAll(*from);
            }
        }
        let e = c.events[i].clone();
        c.apply(&mut announced, &e);
    }
}

/// Fits an event to the speakers: the index to one of them, the prefixes to its families
/// (its first IPv4 prefix when none is left), the attributes to its session (LOCAL_PREF on
/// iBGP only, prepends and the DUT's own AS in the path on eBGP only).
fn resolve(speakers: &[SpeakerSpec], e: RawEvent) -> Event {
    let (i, prefixes) = match &e {
        RawEvent::Announce(i, p, _) | RawEvent::Other(i, p, _) => (i.index(speakers.len()), p),
    };
    let sp = &speakers[i];
    let mut prefixes: Vec<IpNet> = prefixes.iter().copied().filter(|p| sp.carries(p)).collect();
    if prefixes.is_empty() {
        prefixes.push(prefix_pool()[0]);
    }
    let fit = |mut a: Attrs| {
        if sp.ibgp(DUT_ASN) {
            a.prepend = 0;
            // The DUT's own AS in an iBGP path: BIRD and FRR reject it as a loop, OpenBGPD
            // checks loops on eBGP sessions only (RFC 4271 §9.1.2 does not say which).
            for asn in a.as_path.iter_mut().filter(|asn| **asn == DUT_ASN) {
                *asn = 174;
            }
        } else {
            a.local_pref = None;
        }
        a
    };
    match e {
        RawEvent::Announce(_, _, a) => Event::Announce { from: i, prefixes, attrs: fit(a) },
        RawEvent::Other(_, _, o) => match o.kind {
            Kind::Withdraw => Event::Withdraw { from: i, prefixes },
            Kind::WithdrawAll => Event::WithdrawAll(i),
            Kind::Flap => Event::Flap {
                from: i,
                prefixes,
                cycles: 1 + u32::from(o.attrs.prepend),
                as_path: fit(o.attrs).as_path,
            },
            Kind::Reset => Event::Reset(i),
            Kind::Refresh => Event::Refresh(i),
            Kind::LinkFlap => Event::LinkFlap(i),
            Kind::RestartDut => Event::RestartDut,
            Kind::Malformed(error) => Event::Malformed {
                from: i,
                prefix: prefixes
                    .iter()
                    .copied()
                    .find(|p| p.addr().is_ipv4())
                    .unwrap_or(prefix_pool()[0]),
                error,
            },
        },
    }
}
