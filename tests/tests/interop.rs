//! Protocol compatibility: our speaker A announces 10,000 IPv4 and 1,000 IPv6 prefixes with
//! communities and large communities through a real daemon to our speaker B; B must get all
//! of them with the daemon's AS prepended, the communities kept and the next hop rewritten;
//! after A withdraws them B must hold none. The daemon is started by the harness's own
//! driver (`bgpstorm_harness::dut`, the configuration `bgpstorm run` generates), and each
//! runs as 2-octet-AS and 4-octet-AS (4200000001) variants.
//!
//! Needs root and the daemons (`bash ci/setup`); fails with a clear message otherwise.
//! Every namespace, veth and daemon is removed by its guard, also when the test fails.

#[path = "interop/topology.rs"]
mod topology;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bgpstorm_harness::dut::{Dut, DutError, DutPlan, Neighbor};
use bgpstorm_harness::scenario::model::{DutKind, Family};
use bgpstorm_harness::speaker::prefixes::range;
use bgpstorm_harness::speaker::{Injector, Mode, RouteSpec, Session, SessionConfig};
use bgpstorm_tests::daemon::Scratch;
use bgpstorm_tests::lab::{Netns, require_root};
use bgpstorm_wire::Nlri;
use bgpstorm_wire::model::{AsPath, Community, LargeCommunity};
use tokio::time::Instant;

use topology::{Line, addr};

/// The daemon's AS.
const DUT_AS: u32 = 65000;
/// Speaker B's AS.
const B_AS: u32 = 65003;

fn deadline(secs: u64) -> Instant {
    Instant::now() + Duration::from_secs(secs)
}

fn speaker(ns: &Netns, local: &str, peer: &str, asn: u32, passive: bool) -> Session {
    let mut c = SessionConfig::new(asn, DUT_AS, local.parse().expect("router id"));
    c.name = format!("AS{asn}@{local}");
    c.netns = Some(ns.path());
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

/// The DUT between A (which connects to it) and B (which it connects to).
fn plan(kind: DutKind, a_asn: u32, dir: &std::path::Path) -> DutPlan {
    let neighbor =
        |name: &str, addr: &str, local: &str, local_v6: &str, asn, dut_passive| Neighbor {
            name: name.into(),
            addr: topology::addr(addr),
            local: topology::addr(local),
            local_v6: local_v6.parse().ok(),
            asn,
            dut_passive,
            families: vec![Family::Ipv4, Family::Ipv6],
            md5: None,
            ttl_security: false,
            graceful_restart: false,
            add_path: None,
            extended_messages: false,
        };
    DutPlan {
        kind,
        asn: DUT_AS,
        router_id: topology::D4A.parse().expect("router id"),
        neighbors: vec![
            neighbor("a", topology::A4, topology::D4A, topology::D6A, a_asn, true),
            neighbor("b", topology::B4, topology::D4B, topology::D6B, B_AS, false),
        ],
        extra: None,
        dir: dir.to_path_buf(),
        source: bgpstorm_harness::dut::Source::Host,
        version: bgpstorm_harness::dut::host_version(kind),
    }
}

/// The IPv6 next hop B must see, where the daemon's choice is configured.
///
/// Finding: OpenBGPD 7.7 (Debian portable) sends `::1` as the IPv6 next hop on an IPv4
/// session whatever `local-address` or `set nexthop` say (its log: "nexthop ::1 now
/// valid"), and GoBGP keeps its own choice: only "rewritten" is checked for those.
fn ipv6_next_hop(kind: DutKind) -> Option<&'static str> {
    match kind {
        DutKind::Bird | DutKind::Frr => Some(topology::D6B),
        DutKind::Gobgp | DutKind::Openbgpd | DutKind::None => None,
    }
}

/// The whole scenario against one daemon.
fn interop(kind: DutKind, a_asn: u32) {
    require_root();
    let name = kind.name();
    let line = Line::new();
    let scratch = Scratch::new(name);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let b = speaker(line.b(), topology::B4, topology::D4B, B_AS, true);
        let mut dut =
            match Dut::start(plan(kind, a_asn, &scratch.path), line.d(), Duration::from_secs(30)) {
                Ok(dut) => dut,
                Err(e @ DutError::Missing { .. }) => panic!("{e}"),
                Err(e) => panic!("{name} did not start: {e}"),
            };
        let a = speaker(line.a(), topology::A4, topology::D4A, a_asn, false);
        let fail = |what: &str, e: &dyn std::fmt::Debug| -> ! {
            panic!("{name}: {what}: {e:?}\n--- {name} output ---\n{}", dut.output())
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
        assert!(notes.is_empty(), "{name}: NOTIFICATIONs during the run: {notes:?}");
        a.stop(Duration::from_secs(2)).await;
        b.stop(Duration::from_secs(2)).await;
        let errors = dut.log_errors();
        let first: Vec<&str> = errors.iter().map(String::as_str).take(10).collect();
        assert!(
            errors.is_empty(),
            "{name}: {} errors in its log, the first:\n{}",
            errors.len(),
            first.join("\n")
        );
        dut.stop(Duration::from_secs(5));
    });
}

fn check_routes(kind: DutKind, b: &Session, a_asn: u32) {
    let name = kind.name();
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
            "{name}: {what} AS_PATH"
        );
        assert_eq!(r.attributes.communities, want.communities, "{name}: {what} communities");
        assert_eq!(
            r.attributes.large_communities, want.large_communities,
            "{name}: {what} large communities"
        );
    }
    assert_eq!(
        &*v4.next_hop,
        &[IpAddr::V4(topology::D4B.parse::<Ipv4Addr>().unwrap())],
        "{name}: IPv4 next hop"
    );
    let nh6 = v6.next_hop.first().copied();
    assert_ne!(nh6, Some(addr(topology::A6)), "{name}: IPv6 next hop not rewritten");
    if let Some(expected) = ipv6_next_hop(kind) {
        assert_eq!(nh6, Some(addr(expected)), "{name}: IPv6 next hop ({:?})", v6.next_hop);
    }
}

macro_rules! interop_tests {
    ($($daemon:ident => $two:ident, $four:ident;)*) => {$(
        #[test]
        fn $two() {
            interop(DutKind::$daemon, 65001);
        }
        #[test]
        fn $four() {
            interop(DutKind::$daemon, 4_200_000_001);
        }
    )*};
}

interop_tests! {
    Bird => bird_passes_routes_between_speakers, bird_passes_routes_from_a_four_octet_as;
    Gobgp => gobgp_passes_routes_between_speakers, gobgp_passes_routes_from_a_four_octet_as;
    Frr => frr_passes_routes_between_speakers, frr_passes_routes_from_a_four_octet_as;
    Openbgpd => openbgpd_passes_routes_between_speakers, openbgpd_passes_routes_from_a_four_octet_as;
}
