//! Protocol compatibility: our speaker A announces 10,000 IPv4 and 1,000 IPv6 prefixes with
//! communities and large communities through a real daemon to our speaker B; B must get all
//! of them with the daemon's AS prepended, the communities kept and the next hop rewritten;
//! after A withdraws them B must hold none. Each daemon is one entry of `DAEMONS`' table and
//! runs as 2-octet-AS and 4-octet-AS (4200000001) variants.
//!
//! Needs root and the daemons (`bash ci/setup`); fails with a clear message otherwise.
//! Every namespace, veth and daemon is removed by its guard, also when the test fails.

#[path = "interop/daemons.rs"]
mod daemons;
#[path = "interop/topology.rs"]
mod topology;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bgpstorm_harness::speaker::prefixes::range;
use bgpstorm_harness::speaker::{Injector, Mode, RouteSpec, Session, SessionConfig};
use bgpstorm_monitor::wire::Nlri;
use bgpstorm_monitor::wire::model::{AsPath, Community, LargeCommunity};
use bgpstorm_tests::daemon::{Scratch, require_binary};
use bgpstorm_tests::netns::require_root;
use tokio::time::Instant;

use daemons::{DUT_AS, DaemonKind};
use topology::{Topology, addr};

const B_AS: u32 = 65003;

fn deadline(secs: u64) -> Instant {
    Instant::now() + Duration::from_secs(secs)
}

fn speaker(
    topo_ns: std::path::PathBuf,
    local: &str,
    peer: &str,
    asn: u32,
    passive: bool,
) -> Session {
    let mut c = SessionConfig::new(asn, DUT_AS, local.parse().expect("router id"));
    c.name = format!("AS{asn}@{local}");
    c.netns = Some(topo_ns);
    c.local_addr = Some(addr(local));
    c.peer_addr = Some(addr(peer));
    c.mode = if passive { Mode::Passive } else { Mode::Active };
    c.connect_retry = Duration::from_millis(500);
    Session::start(c).expect("speaker starts")
}

fn spec(a_asn: u32) -> RouteSpec {
    RouteSpec {
        next_hop_v6: Some(topology::A6.parse().expect("v6")),
        communities: vec![Community((65001 << 16) | 100), Community((65001 << 16) | 200)],
        large_communities: vec![LargeCommunity { global: a_asn, local1: 1, local2: 2 }],
        ..RouteSpec::default()
    }
}

/// The whole scenario against one daemon.
fn interop(kind: &DaemonKind, a_asn: u32) {
    require_root();
    require_binary(kind.binary);
    let topo = Topology::new(kind.name);
    let scratch = Scratch::new(kind.name);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let b = speaker(topo.b.path(), topology::B4, topology::D4B, B_AS, true);
        let daemon = (kind.start)(&topo, &scratch, a_asn);
        let a = speaker(topo.a.path(), topology::A4, topology::D4A, a_asn, false);
        let fail = |what: &str, e: &dyn std::fmt::Debug| -> ! {
            panic!(
                "{}: {what}: {e:?}\n--- {} output ---\n{}",
                kind.name,
                kind.name,
                output(&daemon)
            )
        };
        let link =
            a.established(deadline(30)).await.unwrap_or_else(|e| fail("A not established", &e));
        b.established(deadline(30)).await.unwrap_or_else(|e| fail("B not established", &e));
        let mut prefixes = range("10.100.0.0/24".parse().unwrap(), 10_000).unwrap();
        prefixes.extend(range("2001:db8:100::/48".parse().unwrap(), 1_000).unwrap());
        let mut inj = Injector::new(&a, link, None);
        inj.announce(&prefixes, &spec(a_asn)).await.unwrap_or_else(|e| fail("announce", &e));
        inj.end_of_rib().await.unwrap_or_else(|e| fail("end of rib", &e));
        b.rib_in()
            .wait_len(11_000, deadline(30))
            .await
            .unwrap_or_else(|e| fail("B did not get 11,000 prefixes", &e));
        check_routes(kind, &b, a_asn);
        inj.withdraw_all().await.unwrap_or_else(|e| fail("withdraw", &e));
        b.rib_in()
            .wait_len(0, deadline(30))
            .await
            .unwrap_or_else(|e| fail("B still holds prefixes", &e));
        let notes: Vec<_> = a.notifications().into_iter().chain(b.notifications()).collect();
        assert!(notes.is_empty(), "{}: NOTIFICATIONs during the run: {notes:?}", kind.name);
        a.stop(Duration::from_secs(2)).await;
        b.stop(Duration::from_secs(2)).await;
        let log = output(&daemon);
        let errors: Vec<&str> = log.lines().filter(|l| (kind.is_error)(l)).collect();
        let first: Vec<&str> = errors.iter().copied().take(10).collect();
        assert!(
            errors.is_empty(),
            "{}: {} errors in its log, the first:\n{}",
            kind.name,
            errors.len(),
            first.join("\n")
        );
        drop(daemon);
    });
}

/// The output of every process of a daemon.
fn output(daemon: &[bgpstorm_tests::daemon::Daemon]) -> String {
    daemon.iter().map(|d| d.output()).collect::<Vec<_>>().join("\n")
}

fn check_routes(kind: &DaemonKind, b: &Session, a_asn: u32) {
    let v4 = b
        .rib_in()
        .get(&Nlri { prefix: "10.100.39.0/24".parse().unwrap(), path_id: None })
        .expect("v4 route");
    let v6 = b
        .rib_in()
        .get(&Nlri { prefix: "2001:db8:1e7::/48".parse().unwrap(), path_id: None })
        .expect("v6 route");
    let want = spec(a_asn);
    for (what, r) in [("IPv4", &v4), ("IPv6", &v6)] {
        assert_eq!(
            r.attributes.as_path,
            Some(AsPath::sequence(vec![DUT_AS, a_asn])),
            "{}: {what} AS_PATH",
            kind.name
        );
        assert_eq!(r.attributes.communities, want.communities, "{}: {what} communities", kind.name);
        assert_eq!(
            r.attributes.large_communities, want.large_communities,
            "{}: {what} large communities",
            kind.name
        );
    }
    assert_eq!(
        &*v4.next_hop,
        &[IpAddr::V4(topology::D4B.parse::<Ipv4Addr>().unwrap())],
        "{}: IPv4 next hop",
        kind.name
    );
    let nh6 = v6.next_hop.first().copied();
    assert_ne!(nh6, Some(addr(topology::A6)), "{}: IPv6 next hop not rewritten", kind.name);
    if let Some(expected) = kind.ipv6_next_hop {
        assert_eq!(nh6, Some(addr(expected)), "{}: IPv6 next hop ({:?})", kind.name, v6.next_hop);
    }
}

macro_rules! interop_tests {
    ($($daemon:ident => $two:ident, $four:ident;)*) => {$(
        #[test]
        fn $two() {
            interop(&daemons::$daemon, 65001);
        }
        #[test]
        fn $four() {
            interop(&daemons::$daemon, 4_200_000_001);
        }
    )*};
}

interop_tests! {
    BIRD => bird_passes_routes_between_speakers, bird_passes_routes_from_a_four_octet_as;
    GOBGP => gobgp_passes_routes_between_speakers, gobgp_passes_routes_from_a_four_octet_as;
    FRR => frr_passes_routes_between_speakers, frr_passes_routes_from_a_four_octet_as;
    OPENBGPD => openbgpd_passes_routes_between_speakers, openbgpd_passes_routes_from_a_four_octet_as;
}
