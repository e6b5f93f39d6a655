use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::community::{CommunityPolicy, Direction, RuleConfig};
use super::damping::{Damping, DampingConfig};
use super::flap::{FlapConfig, FlapDetector};
use crate::reassembly::Flow;
use crate::rib::{AttrSet, RibChange, SessionId};
use bgpstorm_wire::Nlri;
use bgpstorm_wire::model::{Community, LargeCommunity};

const S: u64 = 1_000_000_000;

fn nlri(p: &str) -> Nlri {
    Nlri { prefix: p.parse().unwrap(), path_id: None }
}

fn announced(p: &str) -> RibChange {
    RibChange::Announced {
        session: SessionId(0),
        nlri: nlri(p),
        attrs: Arc::new(AttrSet::default()),
    }
}

fn withdrawn(p: &str) -> RibChange {
    RibChange::Withdrawn { session: SessionId(0), nlri: nlri(p), old: Arc::new(AttrSet::default()) }
}

#[test]
fn five_flaps_in_ten_seconds_raise_exactly_one_alert_and_steady_prefixes_none() {
    let mut d = FlapDetector::new(FlapConfig::default());
    let mut alerts = Vec::new();
    alerts.extend(d.observe(&announced("192.0.2.0/24"), 0));
    alerts.extend(d.observe(&announced("198.51.100.0/24"), 0));
    for i in 0..5 {
        alerts.extend(d.observe(&withdrawn("192.0.2.0/24"), i * 2 * S));
        alerts.extend(d.observe(&announced("192.0.2.0/24"), i * 2 * S + S));
    }
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].nlri, nlri("192.0.2.0/24"));
    assert_eq!(alerts[0].changes, 3);
}

#[test]
fn the_flap_detector_rearms_after_a_quiet_window() {
    let mut d = FlapDetector::new(FlapConfig { window: Duration::from_secs(10), changes: 2 });
    let mut n = 0;
    let mut at =
        |t: u64, c: &RibChange, d: &mut FlapDetector| n += d.observe(c, t * S).is_some() as usize;
    at(0, &announced("192.0.2.0/24"), &mut d);
    at(1, &withdrawn("192.0.2.0/24"), &mut d);
    at(2, &announced("192.0.2.0/24"), &mut d); // flap 1
    at(3, &withdrawn("192.0.2.0/24"), &mut d); // still flapping: no new alert
    at(30, &announced("192.0.2.0/24"), &mut d); // quiet: re-armed, 1 change in window
    at(31, &withdrawn("192.0.2.0/24"), &mut d); // flap 2
    assert_eq!(n, 2);
}

#[test]
fn damping_suppresses_after_repeated_withdrawals_and_reuses_after_decay() {
    let mut d = Damping::new(DampingConfig::default());
    let mut events = Vec::new();
    events.extend(d.observe(&announced("192.0.2.0/24"), 0));
    events.extend(d.observe(&withdrawn("192.0.2.0/24"), S));
    events.extend(d.observe(&announced("192.0.2.0/24"), 2 * S));
    assert!(events.is_empty());
    // Two withdrawals a second apart: 1000 decayed a little, plus 1000, stays under 2000.
    events.extend(d.observe(&withdrawn("192.0.2.0/24"), 3 * S));
    events.extend(d.observe(&announced("192.0.2.0/24"), 4 * S));
    assert!(events.is_empty());
    events.extend(d.observe(&withdrawn("192.0.2.0/24"), 5 * S));
    assert_eq!(events.len(), 1);
    assert!(events[0].suppressed && events[0].penalty > 2990.0, "{events:?}");
    assert_eq!(d.suppressed(), 1);
    // Two half-lives later the penalty is about 750: a little more and it is reused.
    let later = 5 * S + 31 * 60 * S;
    let p = d.penalty(SessionId(0), nlri("192.0.2.0/24"), later);
    assert!(p < 750.0 && p > 700.0, "{p}");
    let e = d.observe(
        &RibChange::Refreshed { session: SessionId(0), nlri: nlri("192.0.2.0/24") },
        later,
    );
    assert!(e.is_some_and(|e| !e.suppressed));
}

#[test]
fn a_forbidden_community_raises_an_alert_naming_it() {
    let down: SocketAddr = "10.0.3.2:179".parse().unwrap();
    let dut: SocketAddr = "10.0.3.1:40000".parse().unwrap();
    let policy = CommunityPolicy::new(&[RuleConfig {
        peer: Some(down.ip()),
        direction: Direction::Out,
        allow: Some("^65000:.*$".into()),
        deny: None,
    }])
    .unwrap();
    let mut attrs = AttrSet::default();
    attrs.attributes.communities = vec![Community(65000 << 16 | 1), Community(65001 << 16 | 666)];
    attrs.attributes.large_communities =
        vec![LargeCommunity { global: 65000, local1: 1, local2: 2 }];
    let change = RibChange::Announced {
        session: SessionId(3),
        nlri: nlri("192.0.2.0/24"),
        attrs: Arc::new(attrs),
    };
    let mut alerts = Vec::new();
    policy.observe(&Flow { src: dut, dst: down }, &change, 7, &mut alerts);
    let named: Vec<&str> = alerts.iter().map(|a| a.community.as_str()).collect();
    // 65000:1:2 matches ^65000:.*$ too.
    assert_eq!(named, ["65001:666"]);
    assert_eq!(alerts[0].nlri, nlri("192.0.2.0/24"));
    // The other direction is not checked by an `out` rule.
    alerts.clear();
    policy.observe(&Flow { src: down, dst: dut }, &change, 7, &mut alerts);
    assert!(alerts.is_empty());
}

#[test]
fn a_rule_without_allow_or_deny_or_with_a_bad_regex_is_an_error() {
    let rule = |allow: Option<&str>| RuleConfig {
        peer: None,
        direction: Direction::In,
        allow: allow.map(String::from),
        deny: None,
    };
    assert!(CommunityPolicy::new(&[rule(None)]).is_err());
    let e = CommunityPolicy::new(&[rule(Some("(unclosed"))]).err().unwrap();
    assert!(e.to_string().contains("(unclosed"), "{e}");
}

#[test]
fn prefixes_quiet_for_longer_than_the_window_are_forgotten_during_a_storm() {
    let mut d = FlapDetector::new(FlapConfig { window: Duration::from_secs(30), changes: 3 });
    let prefix = |i: u32| format!("{}/32", std::net::Ipv4Addr::from((10 << 24) + i));
    // 10,000 withdrawals at 0 s, then 10,000 of other prefixes a minute later: the first ones
    // are outside the window by then, and a prune during the second storm drops them.
    for i in 0..10_000 {
        assert!(d.observe(&withdrawn(&prefix(i)), 0).is_none());
    }
    assert_eq!(d.tracked(), 10_000);
    for i in 10_000..20_000 {
        assert!(d.observe(&withdrawn(&prefix(i)), 60 * S).is_none());
    }
    assert_eq!(d.tracked(), 10_000);
}
