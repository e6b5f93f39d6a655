//! Tests of the generator (valid, deterministic, varied) and of the reference model (one
//! hand-written case per rule).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path as FsPath;

use bgpstorm_wire::model::Origin;
use ipnet::IpNet;

use super::case::{
    Attrs, Case, DUT_ASN, Event, FOUR_OCTET_DUT_ASN, NO_ADVERTISE, NO_EXPORT, SpeakerSpec,
};
use super::generator::generate;
use super::model::{Path, Profile, Rule, Tie, best, best_in, checkpoints, community, predict};
use super::render::yaml;
use crate::scenario::model::{Action, Check, DutKind};

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

fn ebgp(asn: u32) -> SpeakerSpec {
    SpeakerSpec { asn, four_octet: true, ipv6: false }
}

fn ibgp() -> SpeakerSpec {
    SpeakerSpec { asn: DUT_ASN, four_octet: true, ipv6: false }
}

fn attrs(as_path: &[u32]) -> Attrs {
    Attrs::plain(as_path.to_vec())
}

/// The RIBs when each speaker has announced what `routes` gives it (every session up).
fn ribs(speakers: &[SpeakerSpec], routes: &[(usize, &str, Attrs)]) -> Vec<Vec<String>> {
    let mut announced = vec![BTreeMap::new(); speakers.len()];
    for (s, p, a) in routes {
        announced[*s].insert(net(p), a.clone());
    }
    predict(DUT_ASN, speakers, &announced, &vec![true; speakers.len()], Profile::RFC)
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect()
}

#[test]
fn a_thousand_seeds_give_scenarios_that_validate() {
    for seed in 0..1000 {
        let c = generate(seed).unwrap();
        let text = yaml(&c, DutKind::Bird).unwrap();
        let s = crate::scenario::parse(FsPath::new("gen.yaml"), &text)
            .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
        assert_eq!(s.name, format!("explore-{seed}"));
        let checks = s
            .steps
            .iter()
            .filter(
                |st| matches!(&st.action, Action::Expect(c) if matches!(c[0], Check::Rib { .. })),
            )
            .count();
        assert!(checks >= c.speakers.len(), "seed {seed}: every speaker is checked");
    }
}

#[test]
fn the_same_seed_gives_the_same_text() {
    for seed in [0, 1, 42, 9_999_999_999] {
        let a = yaml(&generate(seed).unwrap(), DutKind::Frr).unwrap();
        let b = yaml(&generate(seed).unwrap(), DutKind::Frr).unwrap();
        assert_eq!(a, b);
    }
}

#[test]
fn different_seeds_give_different_cases() {
    let cases: BTreeSet<String> =
        (0..200).map(|s| format!("{:?}", generate(s).unwrap().events)).collect();
    assert!(cases.len() >= 195, "only {} distinct cases of 200", cases.len());
}

#[test]
fn generated_cases_cover_every_kind_of_speaker_attribute_and_event() {
    let cases: Vec<Case> = (0..1000).map(|s| generate(s).unwrap()).collect();
    let speakers = || cases.iter().flat_map(|c| &c.speakers);
    assert!(cases.iter().any(|c| c.speakers.iter().any(|s| s.ibgp(c.dut_asn))));
    assert!(cases.iter().all(|c| c.speakers.iter().any(|s| !s.ibgp(c.dut_asn))));
    // A 4-octet DUT AS, with iBGP speakers of that AS and with speakers that see it as
    // AS_TRANS; no case mixes the two DUT ASes.
    let four = || cases.iter().filter(|c| c.dut_asn == FOUR_OCTET_DUT_ASN);
    assert!(four().count() > 200 && four().count() < 400, "{}", four().count());
    assert!(four().any(|c| c.speakers.iter().any(|s| s.ibgp(c.dut_asn))));
    assert!(four().any(|c| c.speakers.iter().any(|s| !s.four_octet)));
    assert!(cases.iter().all(|c| c.dut_asn == DUT_ASN || c.dut_asn == FOUR_OCTET_DUT_ASN));
    assert!(four().all(|c| c.speakers.iter().all(|s| s.asn != DUT_ASN)));
    assert!(speakers().any(|s| s.asn > 0xffff));
    assert!(speakers().any(|s| !s.four_octet));
    assert!(speakers().any(|s| s.ipv6));
    let events = || cases.iter().flat_map(|c| &c.events);
    let announced = || {
        events()
            .filter_map(|e| if let Event::Announce { attrs, .. } = e { Some(attrs) } else { None })
    };
    assert!(announced().any(|a| a.communities.contains(&NO_EXPORT)));
    assert!(announced().any(|a| a.communities.contains(&NO_ADVERTISE)));
    assert!(announced().any(|a| a.as_path.contains(&DUT_ASN)));
    assert!(announced().any(|a| a.as_path.contains(&FOUR_OCTET_DUT_ASN)));
    assert!(four().all(|c| c.events.iter().all(|e| match e {
        Event::Announce { attrs, .. } => !attrs.as_path.contains(&DUT_ASN),
        Event::Flap { as_path, .. } => !as_path.contains(&DUT_ASN),
        Event::RawAnnounce { as_set, .. } => !as_set.contains(&DUT_ASN),
        _ => true,
    })));
    for c in &cases {
        for e in &c.events {
            let (from, path) = match e {
                Event::Announce { from, attrs, .. } => (from, &attrs.as_path),
                Event::Flap { from, as_path, .. } => (from, as_path),
                _ => continue,
            };
            let ibgp_loop = c.speakers[*from].ibgp(c.dut_asn) && path.contains(&c.dut_asn);
            assert!(!ibgp_loop, "seed {}: the DUT's AS in an iBGP path", c.seed);
        }
    }
    assert!(announced().any(|a| a.prepend > 0));
    assert!(announced().any(|a| a.med.is_some()));
    assert!(announced().any(|a| a.local_pref.is_some()));
    assert!(announced().any(|a| !a.large.is_empty() && !a.extended.is_empty()));
    assert!(announced().any(|a| a.origin == Origin::Incomplete));
    let kinds: BTreeSet<&str> = events()
        .map(|e| match e {
            Event::Announce { .. } => "announce",
            Event::Withdraw { .. } => "withdraw",
            Event::WithdrawAll(_) => "withdraw all",
            Event::Flap { .. } => "flap",
            Event::Reset(_) => "reset",
            Event::GracefulRestart(_) => "graceful restart",
            Event::Refresh(_) => "refresh",
            Event::LinkFlap(_) => "link",
            Event::RestartDut => "restart",
            Event::Malformed { .. } => "malformed",
            Event::RawAnnounce { .. } => "raw announce",
        })
        .collect();
    assert_eq!(kinds.len(), 11, "{kinds:?}");
    // The model decides with every rule somewhere in these cases.
    let mut rules = BTreeSet::new();
    for c in &cases {
        let mut announced = c.empty();
        for e in &c.events {
            c.apply(&mut announced, e);
            for p in super::generator::prefix_pool() {
                let paths: Vec<Path> = announced
                    .iter()
                    .enumerate()
                    .filter_map(|(s, m)| {
                        m.get(&p).map(|a| Path::new(s, &c.speakers[s], a, c.dut_asn))
                    })
                    .filter(|path| !path.holds(c.dut_asn))
                    .collect();
                if !paths.is_empty() {
                    rules.insert(format!("{:?}", best(&paths).unwrap().1));
                }
            }
        }
    }
    assert_eq!(rules.len(), 7, "{rules:?}");
}

#[test]
fn local_pref_beats_a_shorter_path() {
    let sp = [ebgp(65001), SpeakerSpec { ..ibgp() }];
    let mut long = attrs(&[174, 3356, 1299]);
    long.local_pref = Some(200);
    let paths = [Path::new(0, &sp[0], &attrs(&[]), DUT_ASN), Path::new(1, &sp[1], &long, DUT_ASN)];
    let (b, rule) = best(&paths).unwrap();
    assert_eq!((b.from, rule), (1, Rule::LocalPref));
    // Below the default 100 it loses instead.
    long.local_pref = Some(50);
    let paths =
        [Path::new(0, &sp[0], &attrs(&[174, 3356]), DUT_ASN), Path::new(1, &sp[1], &long, DUT_ASN)];
    assert_eq!(best(&paths).unwrap().0.from, 0);
}

#[test]
fn the_shorter_as_path_wins_prepends_included() {
    let sp = [ebgp(65001), ebgp(65002)];
    let mut prepended = attrs(&[]);
    prepended.prepend = 2;
    let paths =
        [Path::new(0, &sp[0], &prepended, DUT_ASN), Path::new(1, &sp[1], &attrs(&[174]), DUT_ASN)];
    let (b, rule) = best(&paths).unwrap();
    assert_eq!((b.from, rule), (1, Rule::AsPathLength));
}

#[test]
fn the_lower_origin_wins() {
    let sp = [ebgp(65001), ebgp(65002)];
    let mut egp = attrs(&[174]);
    egp.origin = Origin::Egp;
    let mut incomplete = attrs(&[174]);
    incomplete.origin = Origin::Incomplete;
    let paths = [Path::new(0, &sp[0], &incomplete, DUT_ASN), Path::new(1, &sp[1], &egp, DUT_ASN)];
    let (b, rule) = best(&paths).unwrap();
    assert_eq!((b.from, rule), (1, Rule::Origin));
}

#[test]
fn med_decides_within_one_neighbour_as_missing_counting_as_zero() {
    let sp = [ebgp(65001), ebgp(65001)];
    let mut high = attrs(&[174]);
    high.med = Some(10);
    let paths =
        [Path::new(0, &sp[0], &high, DUT_ASN), Path::new(1, &sp[1], &attrs(&[174]), DUT_ASN)];
    let (b, rule) = best(&paths).unwrap();
    assert_eq!((b.from, rule), (1, Rule::Med));
}

#[test]
fn med_between_neighbour_ases_is_not_compared_and_a_mixed_decision_is_a_tie() {
    // Different neighbour ASes, MEDs differ: not compared, eBGP tie at the end.
    let sp = [ebgp(65001), ebgp(65002), ebgp(65001)];
    let mut low = attrs(&[174]);
    low.med = Some(0);
    let mut high = attrs(&[174]);
    high.med = Some(50);
    let two = [Path::new(0, &sp[0], &high, DUT_ASN), Path::new(1, &sp[1], &low, DUT_ASN)];
    assert_eq!(best(&two), Err(Tie::External(vec![0, 1])));
    // A third path in 65001 with a lower MED: MED decides inside 65001 with 65002 in play.
    let three = [two[0].clone(), two[1].clone(), Path::new(2, &sp[2], &low, DUT_ASN)];
    assert_eq!(best(&three), Err(Tie::Med(vec![0, 1, 2])));
}

#[test]
fn ebgp_beats_ibgp_and_ibgp_ties_go_to_the_lowest_router_id() {
    let sp = [ibgp(), ebgp(65001), ibgp()];
    // iBGP with the speaker's AS written in the path: same length as the eBGP path.
    let paths = [
        Path::new(0, &sp[0], &attrs(&[65009]), DUT_ASN),
        Path::new(1, &sp[1], &attrs(&[]), DUT_ASN),
    ];
    let (b, rule) = best(&paths).unwrap();
    assert_eq!((b.from, rule), (1, Rule::External));
    let paths = [
        Path::new(2, &sp[2], &attrs(&[65009]), DUT_ASN),
        Path::new(0, &sp[0], &attrs(&[65009]), DUT_ASN),
    ];
    let (b, rule) = best(&paths).unwrap();
    assert_eq!((b.from, rule), (0, Rule::RouterId));
}

#[test]
fn the_dut_rejects_paths_with_its_own_as() {
    let sp = [ebgp(65001), ebgp(65002), ebgp(65100)];
    let r =
        ribs(&sp, &[(0, "100.64.0.0/24", attrs(&[174])), (1, "100.64.0.0/24", attrs(&[DUT_ASN]))]);
    // The looped path is the shorter one but never a candidate: 65002 gets 65001's path.
    assert_eq!(r[1], vec!["100.64.0.0/24 [65000 65001 174] igp via 10.0.2.1"]);
    assert_eq!(r[2], vec!["100.64.0.0/24 [65000 65001 174] igp via 10.0.3.1"]);
}

#[test]
fn a_receiver_does_not_hold_a_path_with_its_own_as() {
    let sp = [ebgp(65001), ebgp(65002), ebgp(65100)];
    let r = ribs(&sp, &[(0, "100.64.0.0/24", attrs(&[65002]))]);
    assert!(r[0].is_empty(), "its own route, echoed or not, is a loop at the sender");
    assert!(r[1].is_empty(), "65002 is in the path");
    assert_eq!(r[2], vec!["100.64.0.0/24 [65000 65001 65002] igp via 10.0.3.1"]);
}

#[test]
fn no_export_stays_inside_the_as_and_no_advertise_goes_nowhere() {
    let sp = [ebgp(65001), ibgp(), ebgp(65100)];
    let mut ne = attrs(&[]);
    ne.communities = vec![NO_EXPORT, community(65001, 1)];
    let mut na = attrs(&[]);
    na.communities = vec![NO_ADVERTISE];
    let r = ribs(&sp, &[(0, "100.64.0.0/24", ne), (0, "100.64.1.0/24", na)]);
    assert_eq!(r[1], vec!["100.64.0.0/24 [65001] igp via 10.0.2.1 65001:1 65535:65281"]);
    assert!(r[2].is_empty());
}

#[test]
fn ibgp_learned_routes_go_to_ebgp_only() {
    let sp = [ibgp(), ibgp(), ebgp(65100)];
    let mut a = attrs(&[174]);
    a.local_pref = Some(200);
    a.origin = Origin::Egp;
    let r = ribs(&sp, &[(0, "100.64.0.0/24", a)]);
    assert!(r[0].is_empty() && r[1].is_empty());
    assert_eq!(r[2], vec!["100.64.0.0/24 [65000 174] egp via 10.0.3.1"]);
}

#[test]
fn next_hop_is_the_dut_and_ipv6_goes_to_ipv6_speakers_only() {
    let v6 = |asn| SpeakerSpec { ipv6: true, ..ebgp(asn) };
    let sp = [v6(4_200_000_001), v6(65002), ebgp(65003)];
    let mut a = attrs(&[]);
    a.large = vec![bgpstorm_wire::model::LargeCommunity { global: 1, local1: 2, local2: 3 }];
    let r = ribs(&sp, &[(0, "2001:db8:1::/48", a), (0, "100.64.0.0/24", attrs(&[]))]);
    assert_eq!(
        r[1],
        vec![
            "100.64.0.0/24 [65000 4200000001] igp via 10.0.2.1",
            "2001:db8:1::/48 [65000 4200000001] igp via fd00:0:0:2::1 1:2:3",
        ]
    );
    assert_eq!(r[2], vec!["100.64.0.0/24 [65000 4200000001] igp via 10.0.3.1"]);
}

#[test]
fn a_speaker_whose_link_is_down_is_not_checked_and_its_routes_are_gone() {
    let c = Case {
        seed: 0,
        dut_asn: DUT_ASN,
        speakers: vec![ebgp(65001), ebgp(65002)],
        events: vec![
            Event::Announce { from: 0, prefixes: vec![net("100.64.0.0/24")], attrs: attrs(&[]) },
            Event::LinkFlap(0),
        ],
    };
    let points = checkpoints(&c).unwrap();
    assert_eq!(points.len(), 3);
    assert_eq!(points[1].link_down, Some(0));
    assert_eq!(points[1].ribs, vec![None, Some(vec![])]);
    // Announced again once the link is back.
    assert_eq!(
        points[2].ribs[1],
        Some(vec!["100.64.0.0/24 [65000 65001] igp via 10.0.2.1".to_string()])
    );
}

#[test]
fn a_replaced_route_and_a_withdrawal_leave_the_last_state() {
    let c = Case {
        seed: 0,
        dut_asn: DUT_ASN,
        speakers: vec![ebgp(65001), ebgp(65002)],
        events: vec![
            Event::Announce {
                from: 0,
                prefixes: vec![net("100.64.0.0/24"), net("100.64.1.0/24")],
                attrs: attrs(&[]),
            },
            Event::Announce { from: 0, prefixes: vec![net("100.64.0.0/24")], attrs: attrs(&[174]) },
            Event::Withdraw { from: 0, prefixes: vec![net("100.64.1.0/24")] },
        ],
    };
    let points = checkpoints(&c).unwrap();
    assert_eq!(points[1].ribs[1].as_ref().unwrap().len(), 2);
    assert_eq!(
        points[2].ribs[1],
        Some(vec!["100.64.0.0/24 [65000 65001 174] igp via 10.0.2.1".to_string()])
    );
}

#[test]
fn held_lines_sort_communities_drop_link_local_next_hops_and_leave_out_loops() {
    use std::net::IpAddr;
    use std::sync::Arc;

    use bgpstorm_wire::Nlri;
    use bgpstorm_wire::model::{AsPath, PathAttributes};

    use crate::check::held_lines;
    use crate::speaker::Route;

    let route = |path: Vec<u32>, comms: Vec<bgpstorm_wire::model::Community>, nh: &[&str]| Route {
        attributes: Arc::new(PathAttributes {
            origin: Some(Origin::Egp),
            as_path: Some(AsPath::sequence(path)),
            communities: comms,
            ..PathAttributes::default()
        }),
        next_hop: nh.iter().map(|h| h.parse::<IpAddr>().unwrap()).collect(),
        received: std::time::Instant::now(),
    };
    let nlri = |p: &str| Nlri { prefix: net(p), path_id: None };
    let rib = vec![
        (
            nlri("2001:db8:1::/48"),
            route(
                vec![65000, 174],
                vec![community(65002, 2), community(65001, 1)],
                &["fd00:0:0:1::1", "fe80::1"],
            ),
        ),
        (nlri("100.64.0.0/24"), route(vec![65000, 65100, 174], vec![], &["10.0.1.1"])),
        (nlri("100.64.1.0/24"), route(vec![65000], vec![], &["10.0.1.1"])),
    ];
    assert_eq!(
        held_lines(&rib, 65100),
        vec![
            "100.64.1.0/24 [65000] egp via 10.0.1.1",
            "2001:db8:1::/48 [65000 174] egp via fd00:0:0:1::1 65001:1 65002:2",
        ]
    );
}

#[test]
fn a_rib_check_needs_a_speaker_and_is_sorted() {
    let text = |expect: &str| {
        format!(
            "version: 1\nname: t\ndut: {{kind: bird, asn: 65000}}\nspeakers:\n  a: {{asn: 65001}}\nsteps:\n  - expect: {expect}\n"
        )
    };
    let err = crate::scenario::parse(FsPath::new("t.yaml"), &text("{rib: []}")).unwrap_err();
    assert!(err.to_string().contains("need `at: SPEAKER`"), "{err}");
    let s = crate::scenario::parse(FsPath::new("t.yaml"), &text("{at: a, rib: [b, a]}")).unwrap();
    let Action::Expect(checks) = &s.steps[0].action else { panic!("not an expect") };
    assert!(matches!(&checks[0], Check::Rib { routes, .. } if routes == &["a", "b"]));
}

#[test]
fn bird_prefers_any_ebgp_path_to_an_unresolvable_ibgp_one_and_such_cases_are_not_drawn() {
    let sp = [ibgp(), ebgp(65003)];
    let paths = [
        Path::new(0, &sp[0], &attrs(&[]), DUT_ASN),
        Path::new(1, &sp[1], &attrs(&[4_200_000_001]), DUT_ASN),
    ];
    assert_eq!(best(&paths).unwrap().0.from, 0, "RFC: the shorter iBGP path");
    assert_eq!(best_in(&paths, Profile::BIRD).unwrap().0.from, 1, "BIRD: the resolvable one");
    // Alone, the iBGP path is used by both.
    assert_eq!(best_in(&paths[..1], Profile::BIRD).unwrap().0.from, 0);
    let c = Case {
        seed: 0,
        dut_asn: DUT_ASN,
        speakers: sp.to_vec(),
        events: vec![
            Event::Announce { from: 0, prefixes: vec![net("100.64.1.0/24")], attrs: attrs(&[]) },
            Event::Announce {
                from: 1,
                prefixes: vec![net("100.64.1.0/24")],
                attrs: attrs(&[4_200_000_001]),
            },
        ],
    };
    assert!(matches!(checkpoints(&c), Err(Tie::Profile { after: 1, .. })));
}

#[test]
fn generated_withdrawals_name_only_announced_prefixes() {
    for seed in 0..300 {
        let c = generate(seed).unwrap();
        let mut announced = c.empty();
        for e in &c.events {
            if let Event::Withdraw { from, prefixes } = e {
                assert!(!prefixes.is_empty(), "seed {seed}");
                assert!(
                    prefixes.iter().all(|p| announced[*from].contains_key(p)),
                    "seed {seed}: {e:?}"
                );
            }
            c.apply(&mut announced, e);
        }
    }
}

#[test]
fn a_malformed_update_is_the_bytes_of_the_malformed_attribute_scenario_and_withdraws() {
    use super::case::{Malformation, malformed_update};
    // scenarios/malformed-attribute.yaml: ORIGIN 7 from AS 65001 on link 2, 100.64.1.0/24.
    let sp = ebgp(65001);
    let hex = |b: Vec<u8>| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(
        hex(malformed_update(1, &sp, DUT_ASN, &net("100.64.1.0/24"), Malformation::Origin)),
        "0000001440010107400206020100 00fde94003040a00020218644001".replace(' ', "")
    );
    assert_eq!(
        hex(malformed_update(1, &sp, DUT_ASN, &net("100.64.2.0/24"), Malformation::MedLength)),
        "0000001a4001010040020602010000fde94003040a0002028004030000001864400 2".replace(' ', "")
    );
    // 2-octet session: a 2-octet AS_PATH; iBGP: an empty path and LOCAL_PREF.
    let old = SpeakerSpec { four_octet: false, ..ebgp(65001) };
    assert_eq!(
        hex(malformed_update(0, &old, DUT_ASN, &net("100.64.0.0/24"), Malformation::Origin)),
        "000000124001010740020402 01fde94003040a00010218644000".replace(' ', "")
    );
    assert_eq!(
        hex(malformed_update(0, &ibgp(), DUT_ASN, &net("100.64.0.0/24"), Malformation::Origin)),
        "00000015400101074002004003040a0001024005040000006418644000"
    );
    // The other lengths (RFC 7606 §7.3, §7.8, §7.2), each framed so the UPDATE still parses:
    // NEXT_HOP of 3 octets; COMMUNITIES of 3 octets (optional transitive, last); a segment
    // of 2 ASes with room for 1 (4-octet, 2-octet, and iBGP's 1 with room for none).
    let p = net("100.64.1.0/24");
    let lengths = [
        (
            Malformation::NextHopLength,
            &sp,
            "00000013 40010100 400206020100 00fde9 4003030a0002 18644001",
        ),
        (
            Malformation::CommunitiesLength,
            &sp,
            "0000001a 40010100 400206020100 00fde9 4003040a000202 c00803fde900 18644001",
        ),
        (
            Malformation::AsPathOverrun,
            &sp,
            "00000014 40010100 400206020200 00fde9 4003040a000202 18644001",
        ),
        (
            Malformation::AsPathOverrun,
            &old,
            "00000012 40010100 40020402 02fde9 4003040a000202 18644001",
        ),
    ];
    for (error, speaker, bytes) in lengths {
        assert_eq!(hex(malformed_update(1, speaker, DUT_ASN, &p, error)), bytes.replace(' ', ""));
    }
    assert_eq!(
        hex(malformed_update(1, &ibgp(), DUT_ASN, &p, Malformation::AsPathOverrun)),
        "00000017 40010100 4002020201 4003040a000202 40050400000064 18644001".replace(' ', "")
    );
    // Every kind is drawn, and the length errors only where the first stream drew one.
    let mut kinds = BTreeSet::new();
    for c in (0..1000).map(|s| generate(s).unwrap()) {
        for e in &c.events {
            if let Event::Malformed { error, .. } = e {
                kinds.insert(format!("{error:?}"));
            }
        }
    }
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    let c = Case {
        seed: 0,
        dut_asn: DUT_ASN,
        speakers: vec![ebgp(65001), ebgp(65002)],
        events: vec![
            Event::Announce {
                from: 0,
                prefixes: vec![net("100.64.0.0/24"), net("100.64.1.0/24")],
                attrs: attrs(&[]),
            },
            Event::Malformed { from: 0, prefix: net("100.64.1.0/24"), error: Malformation::Origin },
        ],
    };
    let points = checkpoints(&c).unwrap();
    assert_eq!(
        points[1].ribs[1],
        Some(vec!["100.64.0.0/24 [65000 65001] igp via 10.0.2.1".to_string()])
    );
}

#[test]
fn a_raw_announcement_is_these_bytes() {
    use super::case::raw_update;
    let hex = |b: Vec<u8>| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    // eBGP from AS 65001 on link 2: ORIGIN IGP, AS_PATH [65001 {174,1299}] (a sequence of one,
    // a set of two, 4-octet), NEXT_HOP 10.0.2.2, attribute 244 (optional transitive, 4
    // octets "bgps"), 100.64.1.0/24.
    assert_eq!(
        hex(raw_update(1, &ebgp(65001), DUT_ASN, &net("100.64.1.0/24"), &Attrs::raw(vec![174, 1299], true))),
        "00000025 40010100 400210 02010000fde9 0102000000ae00000513 4003040a000202 c0f40462677073 1864400 1"
            .replace(' ', "")
    );
    // iBGP on link 1: just the set, then LOCAL_PREF 100; no unknown attribute.
    assert_eq!(
        hex(raw_update(0, &ibgp(), DUT_ASN, &net("100.64.0.0/24"), &Attrs::raw(vec![174], false))),
        "0000001b 40010100 400206 0101000000ae 4003040a000102 40050400000064 18644000"
            .replace(' ', "")
    );
    // A 2-octet session on link 3: AS_PATH [65001 {174,23456}] in 2 octets, AS_TRANS for
    // 4200000100; AS4_PATH (17, optional transitive) the set alone in 4 octets.
    let old = SpeakerSpec { four_octet: false, ..ebgp(65001) };
    let set = Attrs::raw(vec![174, 4_200_000_100], false);
    assert_eq!(
        hex(raw_update(2, &old, DUT_ASN, &net("100.64.2.0/24"), &set)),
        "00000025 40010100 40020a 0201fde9 010200ae5ba0 4003040a000302 c0110a 0102000000aefa56ea64 18644002"
            .replace(' ', "")
    );
    // No 4-octet member: no AS4_PATH.
    assert_eq!(
        hex(raw_update(2, &old, DUT_ASN, &net("100.64.2.0/24"), &Attrs::raw(vec![174], false))),
        "00000016 40010100 400208 0201fde9 010100ae 4003040a000302 18644002".replace(' ', "")
    );
    // Our own decoder merges the two into the path the model holds (RFC 6793 §4.2.3).
    let bytes = raw_update(2, &old, DUT_ASN, &net("100.64.2.0/24"), &set);
    let mut msg = vec![0xff; 16];
    msg.extend_from_slice(&((19 + bytes.len()) as u16).to_be_bytes());
    msg.push(2);
    msg.extend_from_slice(&bytes);
    let ctx = bgpstorm_wire::SessionContext { asn4: false, ..Default::default() };
    let Ok(bgpstorm_wire::Message::Update(u)) =
        bgpstorm_wire::MessageDecoder::new(ctx).decode(&msg)
    else {
        panic!("does not decode")
    };
    let path = u.attributes.as_path.expect("a path");
    assert_eq!(format!("{path}"), "65001 {174,4200000100}");
    // No set: the speaker's AS alone.
    assert_eq!(
        hex(raw_update(
            0,
            &ebgp(4_200_000_001),
            DUT_ASN,
            &net("100.64.2.0/24"),
            &Attrs::raw(vec![], true)
        )),
        "0000001b 40010100 400206 0201fa56ea01 4003040a000102 c0f40462677073 18644002"
            .replace(' ', "")
    );
}

#[test]
fn an_as_set_counts_as_one_as_and_prints_in_braces() {
    let raw = |set: &[u32]| Attrs::raw(set.to_vec(), false);
    let sp = [ebgp(65001), ebgp(65002), ebgp(65100)];
    // [65001 {174,1299,3356}] is 2 long, [65002 174 3356] is 3.
    let paths = [
        Path::new(0, &sp[0], &raw(&[174, 1299, 3356]), DUT_ASN),
        Path::new(1, &sp[1], &attrs(&[174, 3356]), DUT_ASN),
    ];
    let (b, rule) = best(&paths).unwrap();
    assert_eq!((b.from, rule), (0, Rule::AsPathLength));
    // [65001 {174,1299}] against [65002 174]: as long; ORIGIN, MED equal: a tie between eBGP
    // paths, not drawn.
    let paths = [
        Path::new(0, &sp[0], &raw(&[174, 1299]), DUT_ASN),
        Path::new(1, &sp[1], &attrs(&[174]), DUT_ASN),
    ];
    assert!(matches!(best(&paths), Err(Tie::External(_))));
    let r = ribs(&sp, &[(0, "100.64.0.0/24", raw(&[174, 1299]))]);
    assert_eq!(r[2], vec!["100.64.0.0/24 [65000 65001 {174,1299}] igp via 10.0.3.1"]);
    // The unknown attribute changes neither the choice nor the line.
    let r = ribs(&sp, &[(0, "100.64.0.0/24", Attrs::raw(vec![174], true))]);
    assert_eq!(r[2], vec!["100.64.0.0/24 [65000 65001 {174}] igp via 10.0.3.1"]);
    let r = ribs(&sp, &[(0, "100.64.0.0/24", Attrs::raw(vec![], true))]);
    assert_eq!(r[2], vec!["100.64.0.0/24 [65000 65001] igp via 10.0.3.1"]);
    // From iBGP, the set is the whole path: length 1, as [174] would be.
    let sp = [ibgp(), ebgp(65001), ebgp(65002)];
    let r = ribs(&sp, &[(0, "100.64.0.0/24", raw(&[174, 1299])), (1, "100.64.0.0/24", attrs(&[]))]);
    assert_eq!(r[2], vec!["100.64.0.0/24 [65000 65001] igp via 10.0.3.1"], "1 beats 2");
    let r = ribs(&sp, &[(0, "100.64.0.0/24", raw(&[174, 1299]))]);
    assert_eq!(r[1], vec!["100.64.0.0/24 [65000 {174,1299}] igp via 10.0.2.1"]);
}

#[test]
fn as_set_members_count_for_loops_at_the_dut_and_at_receivers() {
    let raw = |set: &[u32]| Attrs::raw(set.to_vec(), false);
    let sp = [ebgp(65001), ebgp(65002), ebgp(65100)];
    // The DUT's AS in the set: a loop, the longer path wins.
    let r = ribs(
        &sp,
        &[(0, "100.64.0.0/24", raw(&[DUT_ASN])), (1, "100.64.0.0/24", attrs(&[174, 3356]))],
    );
    assert_eq!(r[2], vec!["100.64.0.0/24 [65000 65002 174 3356] igp via 10.0.3.1"]);
    let c = Case {
        seed: 0,
        dut_asn: DUT_ASN,
        speakers: sp.to_vec(),
        events: vec![Event::RawAnnounce {
            from: 0,
            prefix: net("100.64.0.0/24"),
            as_set: vec![1299, DUT_ASN],
            unknown: true,
        }],
    };
    let points = checkpoints(&c).unwrap();
    assert!(points[0].dut.is_empty());
    assert!(points[0].ribs.iter().all(|r| r.as_ref().unwrap().is_empty()));
    // A receiver's AS in the set: that receiver does not hold it, the others do.
    let r = ribs(&sp, &[(0, "100.64.0.0/24", raw(&[65002, 65100]))]);
    assert!(r[1].is_empty() && r[2].is_empty());
    let r = ribs(&sp, &[(0, "100.64.0.0/24", raw(&[174, 65002]))]);
    assert!(r[1].is_empty());
    assert_eq!(r[2], vec!["100.64.0.0/24 [65000 65001 {174,65002}] igp via 10.0.3.1"]);
}

#[test]
fn med_next_to_a_path_that_starts_with_an_as_set_is_a_tie() {
    let sp = [ibgp(), ibgp(), ebgp(65001)];
    let mut med = attrs(&[]);
    med.med = Some(10);
    // iBGP: {174} and an empty path are as long; MED 0 against 10 between paths of which one
    // has no neighbour AS the daemons agree on.
    let paths = [
        Path::new(0, &sp[0], &Attrs::raw(vec![174], false), DUT_ASN),
        Path::new(1, &sp[1], &Attrs { as_path: vec![3356], ..med }, DUT_ASN),
    ];
    assert!(matches!(best(&paths), Err(Tie::Med(_))));
    // Equal MEDs: on to the router id.
    let paths = [
        Path::new(0, &sp[0], &Attrs::raw(vec![174], false), DUT_ASN),
        Path::new(1, &sp[1], &attrs(&[3356]), DUT_ASN),
    ];
    assert_eq!(best(&paths).unwrap().1, Rule::RouterId);
}

#[test]
fn raw_announcements_are_drawn_from_every_speaker_and_sent_again_after_a_reset() {
    let cases: Vec<Case> = (0..1000).map(|s| generate(s).unwrap()).collect();
    let (mut raws, mut two_octet) = (0, 0);
    let (mut sets, mut unknowns, mut ibgp) = (0, 0, 0);
    for c in &cases {
        for e in &c.events {
            let Event::RawAnnounce { from, prefix, as_set, unknown } = e else { continue };
            raws += 1;
            let sp = &c.speakers[*from];
            two_octet += usize::from(!sp.four_octet);
            assert!(prefix.addr().is_ipv4(), "seed {}", c.seed);
            assert!(!as_set.is_empty() || *unknown, "seed {}", c.seed);
            assert!(as_set.windows(2).all(|w| w[0] < w[1]), "seed {}: sorted, no repeats", c.seed);
            assert!(!(sp.ibgp(c.dut_asn) && as_set.contains(&c.dut_asn)), "seed {}", c.seed);
            sets += usize::from(!as_set.is_empty());
            unknowns += usize::from(*unknown);
            ibgp += usize::from(sp.ibgp(c.dut_asn));
        }
    }
    assert!(raws > 50 && sets > 20 && unknowns > 20 && ibgp > 5, "{raws} {sets} {unknowns} {ibgp}");
    assert!(two_octet > 10, "raw UPDATEs on 2-octet sessions: {two_octet}");
    // A reset sends the same raw UPDATE again; a withdraw-all names the raw route.
    let c = Case {
        seed: 0,
        dut_asn: DUT_ASN,
        speakers: vec![ebgp(65001), ebgp(65002)],
        events: vec![
            Event::RawAnnounce {
                from: 0,
                prefix: net("100.64.1.0/24"),
                as_set: vec![],
                unknown: true,
            },
            Event::Reset(0),
            Event::WithdrawAll(0),
        ],
    };
    let text = yaml(&c, DutKind::Bird).unwrap();
    let s = crate::scenario::parse(FsPath::new("gen.yaml"), &text).unwrap();
    let raw: Vec<&Vec<u8>> = s
        .steps
        .iter()
        .filter_map(|st| if let Action::SendRaw(r) = &st.action { Some(&r.update) } else { None })
        .collect();
    assert_eq!(raw.len(), 2, "{text}");
    assert_eq!(raw[0], raw[1]);
    assert!(text.contains("100.64.1.0/24 [65000 65001] igp via 10.0.2.1"), "{text}");
    let withdrawn: Vec<String> = s
        .steps
        .iter()
        .filter_map(|st| match &st.action {
            Action::Withdraw(w) => Some(format!("{w:?}")),
            _ => None,
        })
        .collect();
    assert_eq!(withdrawn.len(), 2, "{withdrawn:?}");
    assert!(withdrawn[1].contains("100.64.1.0/24"), "{withdrawn:?}");
}

#[test]
fn graceful_restarts_are_drawn_where_links_stay_up_and_checked_for_withdrawals() {
    let cases: Vec<Case> = (0..1000).map(|s| generate(s).unwrap()).collect();
    let mut restarts = 0;
    for c in &cases {
        for (i, _) in c.speakers.iter().enumerate() {
            let graceful = c.events.contains(&Event::GracefulRestart(i));
            restarts += usize::from(graceful);
            assert!(
                !(graceful && c.events.contains(&Event::LinkFlap(i))),
                "seed {}: a graceful restart and a link flap of one speaker",
                c.seed
            );
        }
    }
    assert!(restarts > 20, "{restarts}");
    // The restarting speaker offers the capability, restarts with the Restart State bit,
    // announces again and sends End-of-RIB; the others are checked for withdrawals since a
    // snapshot taken before, after the RIB checks; only the others count as steady.
    let c = Case {
        seed: 0,
        dut_asn: DUT_ASN,
        speakers: vec![ebgp(65001), ebgp(65002), ibgp()],
        events: vec![
            Event::Announce { from: 0, prefixes: vec![net("100.64.1.0/24")], attrs: attrs(&[]) },
            Event::GracefulRestart(0),
        ],
    };
    assert!(c.graceful(0) && !c.graceful(1));
    let text = yaml(&c, DutKind::Frr).unwrap();
    let s = crate::scenario::parse(FsPath::new("gen.yaml"), &text).unwrap();
    assert_eq!(s.speakers["sp1"].capabilities.graceful_restart, Some(120));
    assert_eq!(s.speakers["sp2"].capabilities.graceful_restart, None);
    let steps: Vec<String> = s.steps.iter().map(|st| format!("{:?}", st.action)).collect();
    let at = |what: &str| {
        steps.iter().position(|s| s.contains(what)).unwrap_or_else(|| panic!("{what}: {text}"))
    };
    let snapshot = at("Snapshot(\"before-graceful-restart-2\")");
    let restart = at("RestartSpeaker");
    assert!(steps[restart].contains("graceful: true"), "{}", steps[restart]);
    let reannounce = restart + 1;
    assert!(steps[reannounce].starts_with("Announce"), "{}", steps[reannounce]);
    assert_eq!(steps[reannounce + 1], "EndOfRib(\"sp1\")");
    let withdrawn: Vec<usize> =
        steps.iter().enumerate().filter(|(_, s)| s.contains("Withdrawn")).map(|(k, _)| k).collect();
    assert_eq!(withdrawn.len(), 2, "sp2 and sp3, not sp1: {text}");
    let last_rib = steps.iter().rposition(|s| s.contains("Rib {")).unwrap();
    assert!(snapshot < restart && withdrawn.iter().all(|&k| k > reannounce));
    assert!(withdrawn[0] > last_rib, "after the RIB checks of event 2: {text}");
    assert!(text.contains("sp2 saw no withdrawal while sp1 restarted gracefully"), "{text}");
    let steady = s.steps.last().map(|st| format!("{:?}", st.action)).unwrap();
    assert!(steady.contains("\"sp2\", \"sp3\"") && !steady.contains("\"sp1\""), "{steady}");
}

#[test]
fn third_party_next_hops_are_drawn_and_sent_for_ipv4_routes_only() {
    let cases: Vec<Case> = (0..1000).map(|s| generate(s).unwrap()).collect();
    let third = cases
        .iter()
        .flat_map(|c| &c.events)
        .filter(|e| matches!(e, Event::Announce { attrs, .. } if attrs.third_party))
        .count();
    assert!(third > 100, "{third}");
    // Speaker 2 (link 2) names 10.0.2.3 for its IPv4 routes, again after a reset; an IPv6-only
    // announcement names none. What the receivers hold does not change: the DUT is the next
    // hop on the way out.
    let mut a = attrs(&[174]);
    a.third_party = true;
    let c = Case {
        seed: 0,
        dut_asn: DUT_ASN,
        speakers: vec![ebgp(65001), SpeakerSpec { ipv6: true, ..ebgp(65002) }],
        events: vec![
            Event::Announce { from: 1, prefixes: vec![net("100.64.1.0/24")], attrs: a.clone() },
            Event::Announce { from: 1, prefixes: vec![net("2001:db8:1::/48")], attrs: a },
            Event::Reset(1),
        ],
    };
    let text = yaml(&c, DutKind::Bird).unwrap();
    let s = crate::scenario::parse(FsPath::new("gen.yaml"), &text).unwrap();
    let hops: Vec<Option<std::net::IpAddr>> = s
        .steps
        .iter()
        .filter_map(|st| if let Action::Announce(a) = &st.action { Some(a.next_hop) } else { None })
        .collect();
    let nh = Some("10.0.2.3".parse().unwrap());
    assert_eq!(hops, [nh, None, nh], "{text}");
    assert!(text.contains("100.64.1.0/24 [65000 65002 174] igp via 10.0.1.1"), "{text}");
}

#[test]
fn an_as_set_path_counts_as_one_as_and_such_cases_are_drawn() {
    // The AS_SET path (length 2) beats the longer sequence (length 3) at every daemon: the
    // OpenBGPD driver keeps such paths on 8.x too (`reject as-set no`), so no profile differs.
    let sp = [ebgp(65001), ebgp(65002), ebgp(65100)];
    let mut announced = vec![BTreeMap::new(); 3];
    announced[0].insert(net("100.64.0.0/24"), Attrs::raw(vec![174], false));
    announced[1].insert(net("100.64.0.0/24"), attrs(&[174, 3356]));
    let up = [true; 3];
    let rfc = predict(DUT_ASN, &sp, &announced, &up, Profile::RFC).unwrap();
    assert_eq!(rfc[2], Some(vec!["100.64.0.0/24 [65000 65001 {174}] igp via 10.0.3.1".into()]));
    let c = Case {
        seed: 0,
        dut_asn: DUT_ASN,
        speakers: sp.to_vec(),
        events: vec![Event::RawAnnounce {
            from: 0,
            prefix: net("100.64.0.0/24"),
            as_set: vec![174],
            unknown: false,
        }],
    };
    assert!(checkpoints(&c).is_ok());
}

#[test]
fn a_4_octet_dut_as_is_renumbered_everywhere_and_seen_as_as_trans_by_2_octet_speakers() {
    let old = SpeakerSpec { asn: 65001, four_octet: false, ipv6: false };
    let mut c = Case {
        seed: 0,
        dut_asn: DUT_ASN,
        speakers: vec![ebgp(4_200_000_001), old, ibgp()],
        events: vec![
            Event::Announce { from: 0, prefixes: vec![net("100.64.0.0/24")], attrs: attrs(&[174]) },
            // A loop through the DUT's AS, from the 2-octet speaker.
            Event::Announce {
                from: 1,
                prefixes: vec![net("100.64.1.0/24")],
                attrs: attrs(&[174, DUT_ASN]),
            },
            Event::RawAnnounce {
                from: 0,
                prefix: net("100.64.2.0/24"),
                as_set: vec![DUT_ASN, 65002],
                unknown: false,
            },
        ],
    };
    let two_octet = c.clone();
    c.renumber_dut(FOUR_OCTET_DUT_ASN);
    assert_eq!(c.speakers[2].asn, FOUR_OCTET_DUT_ASN, "the iBGP speaker follows the DUT");
    assert_eq!(c.speakers[1].asn, 65001);
    assert!(matches!(&c.events[1], Event::Announce { attrs, .. }
        if attrs.as_path == [174, FOUR_OCTET_DUT_ASN]));
    assert!(
        matches!(&c.events[2], Event::RawAnnounce { as_set, .. }
        if *as_set == [65002, FOUR_OCTET_DUT_ASN]),
        "sorted again: {:?}",
        c.events[2]
    );
    let mut back = c.clone();
    back.renumber_dut(DUT_ASN);
    assert_eq!(back, two_octet);
    // The DUT drops the loop; the 2-octet speaker gets the whole path (it merges AS4_PATH)
    // and the iBGP speaker of the 4-octet AS gets the eBGP route.
    let text = yaml(&c, DutKind::Frr).unwrap();
    let s = crate::scenario::parse(FsPath::new("gen.yaml"), &text).unwrap();
    assert_eq!(s.dut.asn, Some(FOUR_OCTET_DUT_ASN), "{text}");
    assert!(text.contains("100.64.0.0/24 [4200000000 4200000001 174] igp via 10.0.2.1"), "{text}");
    assert!(text.contains("100.64.0.0/24 [4200000001 174] igp via 10.0.3.1"), "{text}");
    assert!(!text.contains("100.64.1.0/24 ["), "the loop is dropped: {text}");
    assert!(!text.contains("65000"), "{text}");
    let (_, old_speaker) = s.speakers.iter().find(|(_, sp)| sp.asn == 65001).unwrap();
    assert!(!old_speaker.capabilities.four_octet_as);
    // The model drops the same loop with the 2-octet DUT AS.
    let text = yaml(&two_octet, DutKind::Frr).unwrap();
    assert!(text.contains("100.64.0.0/24 [65000 4200000001 174] igp via 10.0.2.1"), "{text}");
    assert!(!text.contains("100.64.1.0/24 ["), "{text}");
}
