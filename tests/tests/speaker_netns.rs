//! Our speaker against our own sink across a veth pair between two network namespaces,
//! with the socket options that need a real link: TCP MD5 (RFC 2385) and GTSM (RFC 5082),
//! plus ADD-PATH and extended messages. Needs root.

use std::net::IpAddr;
use std::time::Duration;

use bgpstorm_harness::speaker::prefixes::range;
use bgpstorm_harness::speaker::{
    AddPath, Injector, Mode, RouteSpec, Session, SessionConfig, State,
};
use bgpstorm_tests::lab::{Netns, Topology, end, lab, link, require_root};
use bgpstorm_wire::{AfiSafi, Nlri};
use tokio::time::Instant;

/// Namespaces `a` (10.9.0.1) and `b` (10.9.0.2) joined by a veth pair.
fn pair() -> Topology {
    lab(&["a", "b"], vec![link(end(0, "eth0", &["10.9.0.1/30"]), end(1, "eth0", &["10.9.0.2/30"]))])
}

fn cfg(ns: &Netns, local: &str, peer: &str, asn: u32, peer_asn: u32) -> SessionConfig {
    // The BGP identifier: the local address when it is IPv4, else derived from the AS.
    let id =
        local.parse().unwrap_or_else(|_| std::net::Ipv4Addr::new(10, 9, 255, (asn % 256) as u8));
    let mut c = SessionConfig::new(asn, peer_asn, id);
    c.netns = Some(ns.path());
    c.local_addr = Some(local.parse::<IpAddr>().expect("addr"));
    c.peer_addr = Some(peer.parse::<IpAddr>().expect("addr"));
    c.connect_retry = Duration::from_millis(300);
    c.families = vec![AfiSafi::IPV4_UNICAST];
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn md5_gtsm_add_path_extended_session_carries_a_100k_storm() {
    require_root();
    let l = pair();
    let ap = vec![AddPath { family: AfiSafi::IPV4_UNICAST, send: true, receive: true }];
    let mut b = cfg(l.node(1), "10.9.0.2", "10.9.0.1", 65002, 65001);
    b.mode = Mode::Passive;
    (b.md5_key, b.ttl_security, b.add_path, b.extended_messages) =
        (Some("s3cret".into()), true, ap.clone(), true);
    let mut a = cfg(l.node(0), "10.9.0.1", "10.9.0.2", 65001, 65002);
    (a.md5_key, a.ttl_security, a.add_path, a.extended_messages) =
        (Some("s3cret".into()), true, ap, true);
    let sink = Session::start(b).expect("sink");
    let sender = Session::start(a).expect("sender");
    let deadline = Instant::now() + Duration::from_secs(20);
    let link = sender.established(deadline).await.expect("established with MD5 and GTSM");
    assert!(
        link.negotiated.send.extended_messages
            && link.negotiated.send.has_add_path(AfiSafi::IPV4_UNICAST)
    );
    let prefixes = range("100.64.0.0/24".parse().unwrap(), 100_000).unwrap();
    let mut inj = Injector::new(&sender, link, None);
    inj.announce_family(
        &prefixes,
        AfiSafi::IPV4_UNICAST,
        spec_attrs(&inj),
        vec!["10.9.0.1".parse().unwrap()],
        9,
    )
    .await
    .expect("storm");
    inj.flush().await.expect("flush");
    sink.rib_in().wait_len(100_000, deadline).await.expect("all 100k prefixes");
    // Path identifiers survive (RFC 7911) and 65535-byte UPDATEs carried them (RFC 8654).
    let n = Nlri { prefix: "100.64.7.0/24".parse().unwrap(), path_id: Some(9) };
    assert!(sink.rib_in().get(&n).is_some(), "route with path id 9");
    assert!(sender.counters().updates_sent < 20, "{:?}", sender.counters());
}

fn spec_attrs(inj: &Injector) -> bgpstorm_wire::PathAttributes {
    RouteSpec::default().resolve(AfiSafi::IPV4_UNICAST, &inj.origination()).expect("attrs").0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn md5_key_mismatch_keeps_the_session_down() {
    require_root();
    let l = pair();
    let mut b = cfg(l.node(1), "10.9.0.2", "10.9.0.1", 65002, 65001);
    b.mode = Mode::Passive;
    b.md5_key = Some("right".into());
    let mut a = cfg(l.node(0), "10.9.0.1", "10.9.0.2", 65001, 65002);
    a.md5_key = Some("wrong".into());
    let sink = Session::start(b).expect("sink");
    let sender = Session::start(a).expect("sender");
    // The kernel drops the segments with bad signatures: no session within the deadline.
    let r = sender.established(Instant::now() + Duration::from_secs(3)).await;
    assert!(r.is_err(), "established despite mismatched MD5 keys");
    assert_ne!(sink.state(), State::Established);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_over_ipv6_announces_ipv6_with_next_hop_self() {
    require_root();
    let l = lab(
        &["a", "b"],
        vec![link(
            end(0, "eth0", &["10.9.0.1/30", "fd00:9::1/64"]),
            end(1, "eth0", &["10.9.0.2/30", "fd00:9::2/64"]),
        )],
    );
    let mut b = cfg(l.node(1), "fd00:9::2", "fd00:9::1", 65002, 65001);
    b.mode = Mode::Passive;
    b.families = vec![AfiSafi::IPV4_UNICAST, AfiSafi::IPV6_UNICAST];
    let mut a = cfg(l.node(0), "fd00:9::1", "fd00:9::2", 65001, 65002);
    a.families = b.families.clone();
    let sink = Session::start(b).expect("sink");
    let sender = Session::start(a).expect("sender");
    let deadline = Instant::now() + Duration::from_secs(20);
    let link = sender.established(deadline).await.expect("established over IPv6");
    let mut inj = Injector::new(&sender, link, None);
    let v6 = range("2001:db8:4000::/48".parse().unwrap(), 500).unwrap();
    inj.announce(&v6, &RouteSpec::default()).await.expect("IPv6 with next hop self");
    // IPv4 over an IPv6 session needs an explicit IPv4 next hop: a clear error, not a guess.
    let v4 = range("10.1.0.0/24".parse().unwrap(), 1).unwrap();
    assert!(inj.announce(&v4, &RouteSpec::default()).await.is_err());
    inj.announce(
        &v4,
        &RouteSpec { next_hop_v4: Some("10.9.0.1".parse().unwrap()), ..RouteSpec::default() },
    )
    .await
    .expect("IPv4 with an explicit next hop");
    sink.rib_in().wait_len(501, deadline).await.expect("all routes");
    let r = sink.rib_in().get(&Nlri { prefix: v6[0], path_id: None }).expect("v6 route");
    assert_eq!(r.next_hop.first(), Some(&"fd00:9::1".parse::<IpAddr>().unwrap()));
}
