//! Programs other than a plain announce, sender to sink over loopback: seeded churn ends with
//! the sink holding exactly what the sender's Adj-RIB-Out says; flap alternates attribute
//! sets and ends on the first; a replay at a speed factor takes the recorded time scaled.

use std::collections::BTreeSet;
use std::time::Duration;

use bgpstorm_harness::speaker::prefixes::range;
use bgpstorm_harness::speaker::replay::{PeerSelector, load_updates};
use bgpstorm_harness::speaker::{Injector, RouteSpec, Session};
use bgpstorm_wire::Nlri;
use ipnet::IpNet;

#[path = "common/speaker.rs"]
mod common;
use common::{deadline, pair};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_churn_leaves_the_sink_with_the_senders_table() {
    let (a, b) = pair(65001, 65002);
    let link = a.established(deadline(10)).await.expect("established");
    b.established(deadline(10)).await.expect("sink");
    let pool = range("10.20.0.0/24".parse().unwrap(), 100).unwrap();
    let routes = [
        RouteSpec { med: Some(1), ..RouteSpec::default() },
        RouteSpec { med: Some(2), ..RouteSpec::default() },
    ];
    let mut inj = Injector::new(&a, link, None);
    let report =
        inj.churn(&pool, &routes, 2000.0, Duration::from_millis(500), 42).await.expect("churn");
    assert!(report.announced + report.withdrawn >= 500, "{report:?}");
    let want: BTreeSet<IpNet> = a.rib_out().all().into_iter().collect();
    // Wait for the sink to match, event by event: every UPDATE wakes the waiter.
    let rib = b.rib_in();
    rib.wait_until(deadline(10), |_| {
        rib.snapshot().into_iter().map(|(n, _)| n.prefix).collect::<BTreeSet<_>>() == want
    })
    .await
    .expect("the sink converges on the sender's table");
    assert!(!want.is_empty() && want.len() < 100, "a churned table is partial: {}", want.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flap_between_two_attribute_sets_ends_on_the_first() {
    let (a, b) = pair(65001, 65002);
    let link = a.established(deadline(10)).await.expect("established");
    let prefixes = range("10.30.0.0/24".parse().unwrap(), 50).unwrap();
    let first = RouteSpec { med: Some(10), ..RouteSpec::default() };
    let second = RouteSpec { med: Some(20), ..RouteSpec::default() };
    let mut inj = Injector::new(&a, link, None);
    inj.announce(&prefixes, &first).await.expect("announce");
    inj.flap(&prefixes, &first, Some(&second), 3, Duration::from_millis(50)).await.expect("flap");
    // 1 announce + 3 × (second, first): 7 UPDATEs for 50 prefixes, the last with MED 10.
    let c = b.rib_in().wait_until(deadline(10), |c| c.updates >= 7).await.expect("all changes");
    assert_eq!(c.prefixes, 50);
    let r = b.rib_in().get(&Nlri { prefix: prefixes[17], path_id: None }).expect("route");
    assert_eq!(r.attributes.med, Some(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_at_a_speed_factor_takes_the_recorded_time_scaled() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data/mrt/ris-rrc00-2019/updates.20190101.0000.gz");
    let (_, updates) = load_updates(&file, PeerSelector::Index(0)).expect("updates");
    let v4: Vec<_> =
        updates.into_iter().filter(|r| r.update.reach.iter().all(|x| x.family.afi == 1)).collect();
    let span = v4.last().expect("updates").offset;
    assert!(span > Duration::from_secs(30), "peer 0 spans {span:?}");
    let (a, b) = pair(65001, 65002);
    let link = a.established(deadline(10)).await.expect("established");
    b.established(deadline(10)).await.expect("sink");
    let mut inj = Injector::new(&a, link, None);
    let speed = span.as_secs_f64() / 1.0; // the whole recording in about one second
    let started = std::time::Instant::now();
    let report = inj.replay(&v4, Some(speed)).await.expect("replay");
    let took = started.elapsed();
    assert_eq!(report.updates, v4.len() as u64);
    assert!(took >= Duration::from_millis(950) && took < Duration::from_secs(5), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_sessions_in_one_process_each_carry_their_own_table() {
    let pairs: Vec<(Session, Session)> = (0..20).map(|_| pair(65001, 65002)).collect();
    let mut injectors = Vec::new();
    for (i, (a, _)) in pairs.iter().enumerate() {
        let link = a.established(deadline(20)).await.expect("established");
        let mut inj = Injector::new(a, link, None);
        let start: IpNet = format!("10.{}.0.0/24", 100 + i).parse().unwrap();
        inj.announce(&range(start, 1000 + i as u64).unwrap(), &RouteSpec::default())
            .await
            .expect("announce");
        injectors.push(inj);
    }
    for (i, (_, b)) in pairs.iter().enumerate() {
        let c = b.rib_in().wait_len(1000 + i, deadline(20)).await.expect("own table");
        assert_eq!(c.prefixes, 1000 + i);
        let first: IpNet = format!("10.{}.0.0/24", 100 + i).parse().unwrap();
        assert!(b.rib_in().get(&Nlri { prefix: first, path_id: None }).is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_cycles_end_with_everything_announced_once_more() {
    let (a, b) = pair(65001, 65002);
    let link = a.established(deadline(10)).await.expect("established");
    let prefixes = range("10.40.0.0/24".parse().unwrap(), 30_000).unwrap();
    let mut inj = Injector::new(&a, link, None);
    inj.announce(&prefixes, &RouteSpec::default()).await.expect("announce");
    inj.storm(&prefixes, &RouteSpec::default(), 3).await.expect("storm");
    let c = a.counters();
    assert_eq!((c.prefixes_announced, c.prefixes_withdrawn), (120_000, 90_000));
    // The sink saw every withdrawal and re-announcement (RFC 4271 §9: in order).
    b.rib_in()
        .wait_until(deadline(20), |_| b.rib_in().totals().1 == 90_000)
        .await
        .expect("withdrawals");
    b.rib_in().wait_len(30_000, deadline(20)).await.expect("all announced at the end");
    assert_eq!(b.rib_in().totals().0, 120_000);
}
