//! The generated configurations carry what the speakers' capabilities ask of the DUT, and
//! every daemon kind has a driver that writes, starts and reads it.

use std::net::Ipv4Addr;

use super::{
    DutError, DutPlan, Neighbor, RibError, Source, Version, bird, driver, frr, gobgp, openbgpd,
};
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
        source: Source::Host,
        version: Version::default(),
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
fn openbgpd_8_offers_extended_messages_and_7_has_no_such_option() {
    let mut p = plan(DutKind::Openbgpd, None, true);
    p.version = Version::parse("8.8");
    assert!(openbgpd::config(&p).contains("  announce extended message yes\n"));
    p.version = Version::parse("7.7");
    assert!(!openbgpd::config(&p).contains("extended message"));
    p.version = Version::parse("8.8");
    p.neighbors[0].extended_messages = false;
    assert!(!openbgpd::config(&p).contains("extended message"));
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
fn openbgpd_keeps_as_set_paths_on_every_version() {
    let mut p = plan(DutKind::Openbgpd, None, false);
    for v in ["7.7", "8.8"] {
        p.version = Version::parse(v);
        let c = openbgpd::config(&p);
        let global = &c[..c.find("neighbor").expect("a neighbor block")];
        assert!(global.contains("\nreject as-set no\n"), "{v}: {c}");
    }
}

#[test]
fn openbgpd_announces_add_path_send_and_receive() {
    let c = openbgpd::config(&plan(DutKind::Openbgpd, Some(AddPathMode::Both), false));
    assert!(c.contains("  announce add-path send all\n  announce add-path recv yes"), "{c}");
    let c = openbgpd::config(&plan(DutKind::Openbgpd, Some(AddPathMode::Receive), false));
    assert!(c.contains("add-path send all") && !c.contains("add-path recv"), "{c}");
}

#[test]
fn every_daemon_kind_has_a_driver_named_as_in_scenarios() {
    for kind in DutKind::DAEMONS {
        let d = driver(kind).unwrap_or_else(|| panic!("{kind:?} has no driver"));
        assert_eq!(d.name(), kind.name());
    }
    assert!(driver(DutKind::None).is_none());
}

#[test]
fn each_driver_writes_its_configuration_and_points_its_argv_at_it() {
    for kind in DutKind::DAEMONS {
        let d = driver(kind).unwrap();
        let p = plan(kind, None, false);
        let files = d.config(&p);
        assert!(!files.is_empty(), "{kind:?}");
        // The first file is the BGP configuration: it names the neighbor.
        assert!(files[0].text.contains("10.0.1.2"), "{kind:?}: {}", files[0].text);
        match d.processes(&p) {
            Ok(procs) => {
                let last = procs.last().expect("a process");
                let conf = p.dir.join(files[0].name).to_string_lossy().into_owned();
                assert!(last.argv.contains(&conf), "{kind:?}: {:?}", last.argv);
            }
            // Not installed here: a clear error naming the binary, never a panic.
            Err(e @ DutError::Missing { .. }) => assert!(e.to_string().contains("ci/setup")),
            Err(e) => panic!("{kind:?}: {e}"),
        }
    }
}

#[test]
fn only_openbgpd_keeps_its_configuration_private() {
    for kind in DutKind::DAEMONS {
        let private = driver(kind).unwrap().config(&plan(kind, None, false))[0].private;
        assert_eq!(private, kind == DutKind::Openbgpd, "{kind:?}");
    }
}

#[test]
fn log_errors_are_recognised_per_daemon() {
    let cases = [
        (DutKind::Bird, "2024-01-01 <ERR> sp_up: Socket error", "<INFO> sp_up: Established"),
        (
            DutKind::Frr,
            "bgpd[1]: [EC 100663299] can't connect",
            "zebra: [EC 4043309121] Disabling MPLS support (no kernel support)",
        ),
        (DutKind::Gobgp, "level=error msg=\"fail\"", "level=info msg=\"Peer Up\""),
        (DutKind::Openbgpd, "fatal in RDE: bad", "neighbor 10.0.1.2: state change"),
    ];
    for (kind, error, fine) in cases {
        let d = driver(kind).unwrap();
        assert!(d.is_log_error(error), "{kind:?}: {error}");
        assert!(!d.is_log_error(fine), "{kind:?}: {fine}");
    }
}

#[test]
fn a_rib_dump_that_is_not_json_is_a_typed_error() {
    for kind in [DutKind::Frr, DutKind::Gobgp, DutKind::Openbgpd] {
        let e = driver(kind).unwrap().rib("% Unknown command").unwrap_err();
        assert!(matches!(e, RibError::Json { .. }), "{kind:?}: {e}");
        assert!(e.to_string().contains("Unknown command"), "{e}");
    }
}

#[test]
fn bird_3_gets_worker_threads_and_bird_2_does_not() {
    let mut p = plan(DutKind::Bird, None, false);
    p.version = Version::parse("2.0.12");
    assert!(!bird::config(&p).contains("threads"), "{}", bird::config(&p));
    p.version = Version::parse("3.1.8");
    let c = bird::config(&p);
    assert!(c.contains(&format!("\nthreads {};\n", bird::worker_threads())), "{c}");
}

#[test]
fn bird_keeps_next_hop_self_towards_an_ibgp_speaker_of_ipv6() {
    let mut p = plan(DutKind::Bird, None, false);
    p.neighbors[0].asn = p.asn;
    p.neighbors[0].families = vec![Family::Ipv4, Family::Ipv6];
    p.neighbors[0].local_v6 = Some("fd00:0:0:1::1".parse().unwrap());
    let c = bird::config(&p);
    assert!(
        c.contains(
            "ipv6 { import all; export all; next hop self; next hop address fd00:0:0:1::1; }"
        ),
        "{c}"
    );
    assert!(c.contains("ipv4 { import all; export all; next hop self; }"), "{c}");
}

/// A plan with an eBGP speaker on link 1 and an iBGP speaker on link 2, both of IPv4 and
/// IPv6, as explore builds them.
fn dual_stack_plan(kind: DutKind) -> DutPlan {
    let mut p = plan(kind, None, false);
    p.neighbors[0].families = vec![Family::Ipv4, Family::Ipv6];
    p.neighbors[0].local_v6 = Some("fd00:0:0:1::1".parse().unwrap());
    let mut ibgp = p.neighbors[0].clone();
    ibgp.name = "core".into();
    ibgp.addr = "10.0.2.2".parse().unwrap();
    ibgp.local = "10.0.2.1".parse().unwrap();
    ibgp.local_v6 = Some("fd00:0:0:2::1".parse().unwrap());
    ibgp.asn = p.asn;
    p.neighbors.push(ibgp);
    p
}

/// The statement of GoBGP's next-hop policy for neighbor set `set` and `family`.
fn gobgp_next_hop(set: &str, family: &str, next_hop: &str) -> String {
    format!(
        "    name = \"{set}-{family}\"\n    [policy-definitions.statements.conditions.match-neighbor-set]\n      neighbor-set = \"{set}\"\n    [policy-definitions.statements.conditions.bgp-conditions]\n      afi-safi-in-list = [\"{family}\"]\n    [policy-definitions.statements.actions]\n      route-disposition = \"none\"\n    [policy-definitions.statements.actions.bgp-actions]\n      set-next-hop = \"{next_hop}\"\n"
    )
}

#[test]
fn gobgp_sets_itself_as_next_hop_towards_ibgp_and_its_link_address_for_ipv6() {
    for version in ["3.10.0", "3.36.0"] {
        let mut p = dual_stack_plan(DutKind::Gobgp);
        p.version = Version::parse(version);
        let c = gobgp::config(&p);
        assert!(
            c.contains("[global.apply-policy.config]\n  export-policy-list = [\"next-hop\"]\n  default-export-policy = \"accept-route\"\n"),
            "{c}"
        );
        assert!(
            c.contains("neighbor-set-name = \"nh-0\"\n  neighbor-info-list = [\"10.0.1.2\"]"),
            "{c}"
        );
        assert!(
            c.contains("neighbor-set-name = \"nh-1\"\n  neighbor-info-list = [\"10.0.2.2\"]"),
            "{c}"
        );
        // eBGP: GoBGP itself puts its session address on IPv4 routes, not on IPv6 ones.
        assert!(!c.contains(&gobgp_next_hop("nh-0", "ipv4-unicast", "self")), "{c}");
        assert!(c.contains(&gobgp_next_hop("nh-0", "ipv6-unicast", "fd00:0:0:1::1")), "{c}");
        // iBGP: next hop self for IPv4, the link's IPv6 address for IPv6.
        assert!(c.contains(&gobgp_next_hop("nh-1", "ipv4-unicast", "self")), "{c}");
        assert!(c.contains(&gobgp_next_hop("nh-1", "ipv6-unicast", "fd00:0:0:2::1")), "{c}");
        // The policy is global: defined once, before the neighbors.
        assert_eq!(c.matches("[[policy-definitions]]").count(), 1, "{c}");
        assert!(c.find("[global.apply-policy.config]") < c.find("[[neighbors]]"), "{c}");
    }
}

#[test]
fn gobgp_has_no_policy_when_gobgp_sets_every_next_hop_itself() {
    // One eBGP speaker of IPv4 only: nothing to correct.
    let c = gobgp::config(&plan(DutKind::Gobgp, None, false));
    assert!(!c.contains("policy"), "{c}");
}

#[test]
fn openbgpd_7_sets_the_ipv6_next_hop_by_filter_and_8_needs_none() {
    let mut p = dual_stack_plan(DutKind::Openbgpd);
    p.version = Version::parse("7.7");
    let c = openbgpd::config(&p);
    // eBGP: only a multihop session with `nexthop no-modify` sends the set address.
    assert!(c.contains("neighbor 10.0.1.2 {\n  remote-as 65100\n  local-address 10.0.1.1\n  local-address fd00:0:0:1::1\n  multihop 2\n"), "{c}");
    assert!(
        c.contains("match to 10.0.1.2 inet6 set nexthop fd00:0:0:1::1\nmatch to 10.0.1.2 inet6 set nexthop no-modify\n"),
        "{c}"
    );
    // iBGP: next hop self, then the link's IPv6 address for IPv6 prefixes.
    assert!(c.contains("  set nexthop self\n"), "{c}");
    assert!(c.contains("match to 10.0.2.2 inet6 set nexthop fd00:0:0:2::1\n"), "{c}");
    assert!(!c.contains("match to 10.0.2.2 inet6 set nexthop no-modify"), "{c}");
    assert_eq!(c.matches("multihop").count(), 1, "{c}");
    // The filter rules come after the neighbors (bgpd reads neighbors before rules naming them).
    assert!(c.find("match to 10.0.2.2") > c.find("neighbor 10.0.2.2 {"), "{c}");

    p.version = Version::parse("8.8");
    let c = openbgpd::config(&p);
    assert!(!c.contains("multihop") && !c.contains("match to"), "{c}");
}

#[test]
fn openbgpd_7_keeps_gtsm_exact_rather_than_set_the_ipv6_next_hop() {
    let mut p = dual_stack_plan(DutKind::Openbgpd);
    p.version = Version::parse("7.7");
    p.neighbors[0].ttl_security = true;
    let c = openbgpd::config(&p);
    assert!(!c.contains("multihop") && !c.contains("match to 10.0.1.2"), "{c}");
    assert!(c.contains("match to 10.0.2.2 inet6 set nexthop fd00:0:0:2::1\n"), "{c}");
}
