use super::*;
use bgpstorm_wire::model::{AsPath, Community, Origin};
use bgpstorm_wire::{AfiSafi, PathAttributes, Reach};
use std::net::SocketAddr;

fn flow(src: &str, dst: &str) -> Flow {
    Flow { src: src.parse::<SocketAddr>().unwrap(), dst: dst.parse::<SocketAddr>().unwrap() }
}

fn announce(prefixes: &[&str], path: &[u32], nh: &str) -> Update {
    Update {
        reach: vec![Reach {
            family: AfiSafi::IPV4_UNICAST,
            next_hop: vec![nh.parse().unwrap()],
            nlri: prefixes
                .iter()
                .map(|p| Nlri { prefix: p.parse().unwrap(), path_id: None })
                .collect(),
        }],
        attributes: PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(AsPath::sequence(path.to_vec())),
            communities: vec![Community(65001 << 16 | 1)],
            ..PathAttributes::default()
        },
        ..Update::default()
    }
}

fn withdraw(prefixes: &[&str]) -> Update {
    Update {
        withdrawn: prefixes
            .iter()
            .map(|p| Nlri { prefix: p.parse().unwrap(), path_id: None })
            .collect(),
        ..Update::default()
    }
}

#[test]
fn two_upstreams_give_one_best_path_and_one_hidden_route_per_prefix() {
    let mut rib = Rib::new(8);
    let up1 = rib.session(flow("10.0.1.2:40000", "10.0.1.1:179"));
    let up2 = rib.session(flow("10.0.2.2:40000", "10.0.2.1:179"));
    let mut out = Vec::new();
    rib.apply(
        up1,
        1,
        &announce(&["192.0.2.0/24", "198.51.100.0/24"], &[65001, 174], "10.0.1.2"),
        &mut out,
    );
    assert_eq!(out.len(), 2);
    assert!(matches!(out[0], RibChange::Announced { .. }));
    rib.apply(up2, 2, &announce(&["192.0.2.0/24"], &[65002, 3356, 174], "10.0.2.2"), &mut out);
    // Until the receiver's OPEN names it, the two link addresses look like two routers.
    assert_eq!(rib.hidden_count(), 0);
    // The DUT's OPENs on both links carry one BGP identifier: one router, one best path.
    let dut = Some((65000, "192.0.2.254".parse().unwrap()));
    rib.set_speakers(up1, Some((65001, "10.0.1.2".parse().unwrap())), dut);
    rib.set_speakers(up2, Some((65002, "10.0.2.2".parse().unwrap())), dut);
    let routes = rib.routes("192.0.2.0/24".parse().unwrap(), Match::Exact);
    assert_eq!(routes.len(), 1);
    let paths = &routes[0].paths;
    assert_eq!(paths.len(), 2);
    assert!(paths[0].best && paths[0].peer.to_string() == "10.0.1.2", "{paths:?}");
    assert_eq!(paths[0].peer_asn, Some(65001));
    assert!(!paths[1].best);
    assert_eq!(rib.hidden("192.0.2.0/24".parse().unwrap()).len(), 1);
    assert_eq!(rib.hidden_count(), 1);
    // One attribute set per distinct (attributes, next hop).
    assert_eq!(rib.attr_set_count(), 2);
}

#[test]
fn a_withdrawal_removes_the_path_and_frees_its_attributes() {
    let mut rib = Rib::new(8);
    let s = rib.session(flow("10.0.1.2:40000", "10.0.1.1:179"));
    let mut out = Vec::new();
    rib.apply(s, 1, &announce(&["192.0.2.0/24"], &[65001], "10.0.1.2"), &mut out);
    rib.apply(s, 2, &withdraw(&["192.0.2.0/24", "203.0.113.0/24"]), &mut out);
    assert!(matches!(out[1], RibChange::Withdrawn { .. }));
    assert!(matches!(out[2], RibChange::UnknownWithdrawn { .. }));
    assert_eq!((rib.path_count(), rib.prefix_count(), rib.attr_set_count()), (0, 0, 0));
    assert_eq!(rib.sessions()[0].paths, 0);
}

#[test]
fn replacing_attributes_is_a_change_and_history_keeps_the_last_ones() {
    let mut rib = Rib::new(2);
    let s = rib.session(flow("10.0.1.2:40000", "10.0.1.1:179"));
    let mut out = Vec::new();
    let n = Nlri { prefix: "192.0.2.0/24".parse().unwrap(), path_id: None };
    rib.apply(s, 1, &announce(&["192.0.2.0/24"], &[65001], "10.0.1.2"), &mut out);
    rib.apply(s, 2, &announce(&["192.0.2.0/24"], &[65001, 65001], "10.0.1.2"), &mut out);
    rib.apply(s, 3, &announce(&["192.0.2.0/24"], &[65001, 65001], "10.0.1.2"), &mut out);
    rib.apply(s, 4, &withdraw(&["192.0.2.0/24"]), &mut out);
    assert!(matches!(out[1], RibChange::Replaced { .. }));
    assert!(matches!(out[2], RibChange::Refreshed { .. }));
    let h = rib.history().of(s, n);
    assert_eq!(
        h,
        vec![
            Change { ts_ns: 3, kind: ChangeKind::Refreshed },
            Change { ts_ns: 4, kind: ChangeKind::Withdrawn }
        ]
    );
}

#[test]
fn longer_and_shorter_matches_walk_the_trie() {
    let mut rib = Rib::new(0);
    let s = rib.session(flow("10.0.1.2:40000", "10.0.1.1:179"));
    let mut out = Vec::new();
    rib.apply(
        s,
        1,
        &announce(
            &["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "11.0.0.0/8"],
            &[65001],
            "10.0.1.2",
        ),
        &mut out,
    );
    let prefixes = |how| -> Vec<String> {
        rib.routes("10.1.0.0/16".parse().unwrap(), how)
            .iter()
            .map(|r| r.prefix.to_string())
            .collect()
    };
    assert_eq!(prefixes(Match::Exact), ["10.1.0.0/16"]);
    assert_eq!(prefixes(Match::Longer), ["10.1.0.0/16", "10.1.2.0/24"]);
    assert_eq!(prefixes(Match::Shorter), ["10.0.0.0/8", "10.1.0.0/16"]);
}

#[test]
fn a_session_going_down_withdraws_everything_it_held() {
    let mut rib = Rib::new(0);
    let a = rib.session(flow("10.0.1.2:40000", "10.0.1.1:179"));
    let b = rib.session(flow("10.0.2.2:40000", "10.0.1.1:179"));
    let mut out = Vec::new();
    rib.apply(
        a,
        1,
        &announce(&["192.0.2.0/24", "198.51.100.0/24"], &[65001], "10.0.1.2"),
        &mut out,
    );
    rib.apply(b, 1, &announce(&["192.0.2.0/24"], &[65002], "10.0.2.2"), &mut out);
    out.clear();
    rib.flush(a, 2, &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(rib.path_count(), 1);
    let r = rib.routes("192.0.2.0/24".parse().unwrap(), Match::Exact);
    assert!(r[0].paths[0].best && r[0].paths[0].session == b);
}

#[test]
fn the_prefixes_of_one_update_share_one_attribute_set_until_the_last_is_withdrawn() {
    let mut rib = Rib::new(0);
    let s = rib.session(flow("10.0.1.2:40000", "10.0.1.1:179"));
    let mut out = Vec::new();
    let prefixes = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];
    rib.apply(s, 1, &announce(&prefixes, &[65001], "10.0.1.2"), &mut out);
    assert_eq!((rib.path_count(), rib.attr_set_count()), (3, 1));
    rib.apply(s, 2, &withdraw(&prefixes[..2]), &mut out);
    assert_eq!((rib.path_count(), rib.attr_set_count()), (1, 1));
    // The same attributes announced again for the first two share the set with the third.
    rib.apply(s, 3, &announce(&prefixes, &[65001], "10.0.1.2"), &mut out);
    assert_eq!((rib.path_count(), rib.attr_set_count()), (3, 1));
    assert!(matches!(out.last(), Some(RibChange::Refreshed { .. })), "{out:?}");
    rib.apply(s, 4, &withdraw(&prefixes), &mut out);
    assert_eq!((rib.path_count(), rib.attr_set_count()), (0, 0));
}
