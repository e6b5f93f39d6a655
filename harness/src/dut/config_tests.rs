//! The generated configurations carry what the speakers' capabilities ask of the DUT.

use std::net::Ipv4Addr;

use super::{DutPlan, Neighbor, bird, frr, gobgp, openbgpd};
use crate::scenario::model::{AddPathMode, DutKind, Family};

fn plan(kind: DutKind, add_path: Option<AddPathMode>, extended_messages: bool) -> DutPlan {
    DutPlan {
        kind,
        asn: 65000,
        router_id: Ipv4Addr::new(10, 255, 255, 1),
        neighbors: vec![Neighbor {
            name: "down".into(),
            addr: "10.0.1.2".parse().unwrap(),
            local: "10.0.1.1".parse().unwrap(),
            local_v6: None,
            asn: 65100,
            dut_passive: true,
            families: vec![Family::Ipv4],
            md5: None,
            ttl_security: false,
            graceful_restart: false,
            add_path,
            extended_messages,
        }],
        extra: None,
        dir: "/tmp/unused".into(),
    }
}

#[test]
fn bird_sends_paths_to_a_receiver_and_offers_extended_messages() {
    let c = bird::config(&plan(DutKind::Bird, Some(AddPathMode::Receive), true));
    assert!(c.contains("ipv4 { import all; export all; add paths tx; }"), "{c}");
    assert!(c.contains("enable extended messages on;"), "{c}");
    let c = bird::config(&plan(DutKind::Bird, Some(AddPathMode::Both), false));
    assert!(c.contains("add paths on;") && !c.contains("extended messages"), "{c}");
    let c = bird::config(&plan(DutKind::Bird, Some(AddPathMode::Send), false));
    assert!(c.contains("add paths rx;"), "{c}");
    assert!(!bird::config(&plan(DutKind::Bird, None, false)).contains("add paths"));
}

#[test]
fn frr_sends_every_path_to_a_receiver_only() {
    let c = frr::config(&plan(DutKind::Frr, Some(AddPathMode::Receive), false));
    assert!(c.contains("  neighbor 10.0.1.2 addpath-tx-all-paths"), "{c}");
    let c = frr::config(&plan(DutKind::Frr, Some(AddPathMode::Send), false));
    assert!(!c.contains("addpath"), "{c}");
}

#[test]
fn gobgp_configures_add_paths_per_family() {
    let c = gobgp::config(&plan(DutKind::Gobgp, Some(AddPathMode::Receive), false));
    assert!(
        c.contains(
            "[neighbors.afi-safis.add-paths.config]\n      receive = false\n      send-max = 64"
        ),
        "{c}"
    );
    let c = gobgp::config(&plan(DutKind::Gobgp, Some(AddPathMode::Send), false));
    assert!(c.contains("receive = true\n      send-max = 0"), "{c}");
    assert!(!gobgp::config(&plan(DutKind::Gobgp, None, false)).contains("add-paths"));
}

#[test]
fn openbgpd_announces_add_path_send_and_receive() {
    let c = openbgpd::config(&plan(DutKind::Openbgpd, Some(AddPathMode::Both), false));
    assert!(c.contains("  announce add-path send all\n  announce add-path recv yes"), "{c}");
    let c = openbgpd::config(&plan(DutKind::Openbgpd, Some(AddPathMode::Receive), false));
    assert!(c.contains("add-path send all") && !c.contains("add-path recv"), "{c}");
}
