//! Tests of the shrinker with a stand-in for running the case: a predicate on the case that
//! says whether it "still diverges".

use super::case::{Case, Event};
use super::generator::generate;
use super::model::checkpoints;
use super::shrink::{candidates, normalize, shrink, size};

/// Whether a ROUTE-REFRESH comes from a speaker the model says holds an IPv4 route then
/// (what a DUT that ignores ROUTE-REFRESH trips on).
fn refresh_with_routes(c: &Case) -> bool {
    let Ok(points) = checkpoints(c) else { return false };
    c.events.iter().enumerate().any(|(i, e)| {
        let Event::Refresh(x) = e else { return false };
        points.iter().filter(|p| p.after == i && p.link_down.is_none()).any(|p| {
            p.ribs[*x]
                .as_ref()
                .is_some_and(|r| r.iter().any(|l| !l.split(' ').next().unwrap_or("").contains(':')))
        })
    })
}

fn first_seed(pred: impl Fn(&Case) -> bool) -> Case {
    (0..2000).map(|s| generate(s).unwrap()).find(|c| pred(c)).expect("a seed with the property")
}

#[test]
fn a_refresh_divergence_shrinks_to_one_announcement_and_the_refresh() {
    let c = first_seed(|c| refresh_with_routes(c) && c.events.len() >= 4);
    let before = size(&c);
    let s = shrink(&c, 500, None, refresh_with_routes);
    assert!(!s.budget_spent);
    assert!(refresh_with_routes(&s.case), "the shrunk case still diverges");
    assert_eq!(s.case.speakers.len(), 2, "{:#?}", s.case);
    assert_eq!(s.case.events.len(), 2, "{:#?}", s.case);
    assert!(matches!(&s.case.events[0], Event::Announce { prefixes, .. } if prefixes.len() == 1));
    assert!(matches!(s.case.events[1], Event::Refresh(_)));
    assert!(size(&s.case) < before);
    // 1-minimal: shrinking again finds nothing smaller.
    let again = shrink(&s.case, 500, None, refresh_with_routes);
    assert_eq!(again.kept, 0);
    assert_eq!(again.case, s.case);
}

#[test]
fn the_run_budget_is_kept() {
    let c = first_seed(|c| c.events.len() >= 4);
    let s = shrink(&c, 3, None, |_| false);
    assert_eq!(s.runs, 3);
    assert!(s.budget_spent);
    assert_eq!(s.case, c, "nothing diverged, nothing was kept");
}

#[test]
fn a_case_that_does_not_diverge_again_is_returned_whole() {
    let c = first_seed(|c| c.events.len() >= 3);
    let s = shrink(&c, 10_000, None, |_| false);
    assert!(!s.budget_spent);
    assert_eq!(s.kept, 0);
    assert_eq!(s.case, c);
    assert!(s.runs > 0);
}

#[test]
fn removing_a_speaker_renumbers_the_later_ones_and_drops_its_events() {
    for seed in 0..300 {
        let c = generate(seed).unwrap();
        for mut d in candidates(&c) {
            normalize(&mut d);
            for e in &d.events {
                if let Some(x) = e.speaker() {
                    assert!(x < d.speakers.len(), "seed {seed}: event of speaker {x}: {d:#?}");
                }
            }
        }
    }
}

#[test]
fn normalized_withdrawals_name_only_announced_prefixes() {
    for seed in 0..300 {
        let c = generate(seed).unwrap();
        // Without the first event (an announcement), withdrawals may name what is gone.
        let mut d = c.clone();
        d.events.remove(0);
        normalize(&mut d);
        let mut announced = d.empty();
        for e in &d.events {
            if let Event::Withdraw { from, prefixes } = e {
                assert!(!prefixes.is_empty());
                assert!(prefixes.iter().all(|p| announced[*from].contains_key(p)), "seed {seed}");
            }
            d.apply(&mut announced, e);
        }
    }
}

#[test]
fn no_candidate_starts_after_the_deadline() {
    let c = first_seed(|c| c.events.len() >= 4);
    let past = std::time::Instant::now();
    let s = shrink(&c, 1000, Some(past), |_| panic!("a candidate ran after the deadline"));
    assert_eq!(s.runs, 0);
    assert!(s.budget_spent);
}

#[test]
fn a_raw_announcement_shrinks_to_one_member_or_to_a_plain_announcement() {
    use super::case::{DUT_ASN, SpeakerSpec};
    let sp = |asn| SpeakerSpec { asn, four_octet: true, ipv6: false };
    let c = Case {
        seed: 0,
        dut_asn: DUT_ASN,
        speakers: vec![sp(65001), sp(65002), sp(DUT_ASN)],
        events: vec![Event::RawAnnounce {
            from: 0,
            prefix: "100.64.0.0/24".parse().unwrap(),
            as_set: vec![174, 1299, DUT_ASN],
            unknown: true,
        }],
    };
    // "Diverges" while the set holds the DUT's AS (a loop: every daemon drops the path, so
    // the candidates have one answer): the other members and the attribute go.
    let holds_dut = |c: &Case| {
        c.events
            .iter()
            .any(|e| matches!(e, Event::RawAnnounce { as_set, .. } if as_set.contains(&DUT_ASN)))
    };
    let s = shrink(&c, 500, None, holds_dut);
    assert!(!s.budget_spent);
    assert_eq!(s.case.speakers.len(), 1, "{:#?}", s.case);
    assert!(
        matches!(&s.case.events[..], [Event::RawAnnounce { as_set, unknown: false, .. }] if *as_set == [DUT_ASN]),
        "{:#?}",
        s.case
    );
    // Any announcement "diverges": the plain one is smaller than every raw one.
    let s = shrink(&c, 500, None, |c| !c.events.is_empty());
    assert!(matches!(&s.case.events[..], [Event::Announce { .. }]), "{:#?}", s.case);
    for d in candidates(&c) {
        assert!(size(&d) < size(&c));
    }
}

#[test]
fn a_graceful_restart_becomes_a_plain_reset_when_that_still_diverges() {
    let graceful = |c: &Case| c.events.iter().any(|e| matches!(e, Event::GracefulRestart(_)));
    let resets = |c: &Case| c.events.iter().any(|e| matches!(e, Event::Reset(_)));
    let c = first_seed(graceful);
    // A divergence any session reset brings: the graceful restart is not needed.
    let s = shrink(&c, 500, None, |c| graceful(c) || resets(c));
    assert_eq!(s.case.events.len(), 1, "{:#?}", s.case);
    assert!(matches!(s.case.events[0], Event::Reset(_)), "{:#?}", s.case);
    // One only a graceful restart brings: it stays.
    let s = shrink(&c, 500, None, graceful);
    assert_eq!(s.case.events.len(), 1, "{:#?}", s.case);
    assert!(matches!(s.case.events[0], Event::GracefulRestart(_)), "{:#?}", s.case);
}

#[test]
fn a_4_octet_dut_as_shrinks_to_the_2_octet_one_unless_the_divergence_needs_it() {
    use super::case::{DUT_ASN, FOUR_OCTET_DUT_ASN};
    let c = first_seed(|c| c.dut_asn == FOUR_OCTET_DUT_ASN && c.events.len() >= 3);
    let s = shrink(&c, 500, None, |_| true);
    assert_eq!(s.case.dut_asn, DUT_ASN, "{:#?}", s.case);
    // A divergence seen only with a 2-octet speaker behind the 4-octet DUT keeps both.
    let needs =
        |c: &Case| c.dut_asn == FOUR_OCTET_DUT_ASN && c.speakers.iter().any(|s| !s.four_octet);
    let c = first_seed(|c| needs(c) && c.events.len() >= 3);
    let s = shrink(&c, 500, None, needs);
    assert!(needs(&s.case), "{:#?}", s.case);
    assert!(size(&s.case) < size(&c));
}
