use super::*;
use model::DutKind;
use std::path::Path;

/// `text` is invalid, with every one of `needles` among its problems.
fn assert_problems(text: &str, needles: &[&str]) {
    let Err(ScenarioError::Invalid { problems, .. }) = parse(Path::new("s.yaml"), text) else {
        panic!("expected semantic problems")
    };
    let all = problems.join("\n");
    for needle in needles {
        assert!(all.contains(needle), "missing {needle:?} in\n{all}");
    }
}

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_scenario_of_the_library_is_valid() {
    let files = discover(&[root().join("scenarios")]).unwrap();
    assert!(!files.is_empty());
    for f in files {
        load(&f).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn an_unknown_key_is_an_error_with_file_line_column_and_what_was_expected() {
    let text = "version: 1\nname: x\ndut: {kind: bird, asn: 65000}\nspeakers:\n  up: {asn: 65001, pasive: true}\nsteps:\n  - wait: established\n";
    let e = parse(Path::new("s.yaml"), text).unwrap_err().to_string();
    assert!(
        e.contains("s.yaml")
            && e.contains("line 5")
            && e.contains("pasive")
            && e.contains("passive"),
        "{e}"
    );
}

#[test]
fn a_wrong_type_is_an_error_with_its_position() {
    let text =
        "version: 1\nname: x\ndut: {kind: bird, asn: sixty}\nsteps:\n  - wait: established\n";
    let e = parse(Path::new("s.yaml"), text).unwrap_err().to_string();
    assert!(e.contains("line 3"), "{e}");
}

#[test]
fn references_and_values_are_checked_with_where_they_are() {
    let text = r#"
version: 2
name: x
dut: {kind: frr}
speakers:
  up: {asn: 65001, hold_time: 2}
steps:
  - wait: ready
  - {announce: {from: upp, with: [up, dn], prefixes: [10.0.0.0/8], communities: ["65001:70000"]}}
  - {wait: established, snapshot: a}
  - expect: {routes: 3}
  - restart: up
"#;
    assert_problems(
        text,
        &[
            "version: only version 1",
            "dut.asn: a daemon under test needs an AS",
            "speakers.up.hold_time",
            "steps[0].wait",
            "steps[1].announce.from: no speaker named \"upp\" (speakers: up)",
            "steps[1].announce.with: no speaker named \"dn\" (speakers: up)",
            "\"65001:70000\" is not asn:value",
            "steps[2]: a step has exactly one action",
            "steps[3].expect: routes, prefixes, rib, paths_per_prefix, snapshot, rib_diff, end_of_rib and the counts since a snapshot need `at: SPEAKER`",
            "steps[4].restart",
        ],
    );
}

#[test]
fn the_json_schema_describes_steps_and_speakers() {
    let s = json_schema().to_string();
    for needle in ["\"steps\"", "\"speakers\"", "\"announce\"", "\"expect\"", "openbgpd"] {
        assert!(s.contains(needle), "{needle}");
    }
}

#[test]
fn communities_parse_as_written() {
    assert_eq!(parse_community("65001:100").map(|c| c.to_string()), Some("65001:100".into()));
    assert!(parse_community("65001").is_none());
    assert_eq!(
        parse_large_community("4200000001:1:2").map(|c| c.to_string()),
        Some("4200000001:1:2".into())
    );
    assert_eq!(
        parse_extended_community("rt:65001:7").map(|c| c.to_string()),
        Some("rt:65001:7".into())
    );
}

#[test]
fn refresh_restart_end_of_rib_and_raw_updates_are_steps() {
    let text = r#"
version: 1
name: x
dut: {kind: bird, asn: 65000}
speakers:
  up: {asn: 65001, capabilities: {graceful_restart: 120}}
  down: {asn: 65100, passive: true}
steps:
  - wait: established
  - snapshot: before
  - refresh: {from: down, family: ipv4}
  - restart: {speaker: up, graceful: true, within: 20s}
  - restart: dut
  - end_of_rib: up
  - send_raw: {from: up, update: "0000 0000"}
  - expect: {at: down, since: before, announced: 3, withdrawn: 0, uninterrupted: true}
  - expect: {at: down, end_of_rib: [ipv4]}
"#;
    let s = parse(Path::new("s.yaml"), text).expect("valid");
    assert!(matches!(&s.steps[3].action, model::Action::RestartSpeaker(r) if r.graceful));
    assert!(
        matches!(&s.steps[2].action, model::Action::Refresh(r) if r.family == model::Family::Ipv4)
    );
    assert_eq!(s.steps[4].action, model::Action::RestartDut);
    assert!(matches!(&s.steps[6].action, model::Action::SendRaw(r) if r.update == [0, 0, 0, 0]));
}

#[test]
fn counts_need_an_earlier_snapshot_and_raw_updates_need_hex() {
    let text = r#"
version: 1
name: x
dut: {kind: bird, asn: 65000}
speakers:
  up: {asn: 65001}
steps:
  - expect: {at: up, since: later, withdrawn: 0}
  - snapshot: later
  - send_raw: {from: up, update: "00 0g"}
  - refresh: {from: nobody}
  - expect: {at: up, announced: 1}
"#;
    assert_problems(
        text,
        &[
            "steps[0].expect.since: no `snapshot: later` step comes before",
            "steps[2].send_raw.update: \"0g\" is not a hex octet",
            "steps[3].refresh.from: no speaker named \"nobody\"",
            "steps[4].expect: announced, withdrawn and uninterrupted go with `since: SNAPSHOT`",
        ],
    );
}

#[test]
fn add_path_and_large_attribute_fields_are_checked() {
    let text = r#"
version: 1
name: x
dut: {kind: bird, asn: 65000}
speakers:
  up: {asn: 65001}
  down: {asn: 65100, capabilities: {add_path: receive}}
steps:
  - announce: {from: up, prefixes: [10.0.0.0/24], path_id: 2}
  - announce: {from: up, prefixes: [10.0.0.0/24], community_range: {start: "65001:65000", count: 600}}
  - expect: {paths_per_prefix: 2}
  - expect: {at: down, paths_per_prefix: 0}
  - expect: {stayed_up: [dwn]}
  - withdraw: {from: up, prefixes: all, path_id: 1}
"#;
    assert_problems(
        text,
        &[
            "steps[0].announce.path_id: speaker \"up\" needs capabilities.add_path send or both",
            "steps[1].announce.community_range: start \"65001:65000\"",
            "steps[2].expect: routes, prefixes, rib, paths_per_prefix",
            "steps[3].expect.paths_per_prefix: at least 1",
            "steps[4].expect.stayed_up: no speaker named \"dwn\"",
            "steps[5].withdraw.path_id: speaker \"up\" needs capabilities.add_path send or both",
            "steps[5].withdraw.path_id: only with a set of prefixes, not `all`",
        ],
    );
}

#[test]
fn a_community_range_counts_up_the_value_and_stops_at_65535() {
    let r = |start: &str, count| model::CommunityRange { start: start.into(), count };
    let got: Vec<String> =
        community_range(&r("65001:9", 3)).unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(got, ["65001:9", "65001:10", "65001:11"]);
    assert_eq!(community_range(&r("65001:65535", 1)).map(|v| v.len()), Some(1));
    assert!(community_range(&r("65001:65535", 2)).is_none());
    assert!(community_range(&r("65001:1", 0)).is_none());
    assert!(community_range(&r("65001", 1)).is_none());
}

/// A scenario with one speaker `down` and `steps` (YAML list items).
fn with_steps(steps: &str) -> Scenario {
    let text = format!(
        "version: 1\nname: x\ndut: {{kind: bird, asn: 65000}}\nspeakers:\n  down: {{asn: 65100}}\n  up: {{asn: 65001}}\nsteps:\n{steps}"
    );
    // In the data folder, so that the replays below name a real file.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/mrt/s.yaml");
    parse(&path, &text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn labels_print_every_value_the_author_wrote_zeros_and_false_included() {
    let s = with_steps(
        "  - expect: {at: down, routes: 0, within: 30s}\n  - expect: {community_alert: false}\n  - expect: {at: down, dut_matches: false, routes: 3}\n  - {name: mine, announce: {from: up, prefixes: [10.0.0.0/24]}}\n  - replay: {from: up, file: routeviews-2016/updates.20161101.0000.bz2, peer_index: 0}\n  - announce: {from: up, prefixes: [10.0.0.0/24], prepend: 0, as_path: []}\n",
    );
    let names: Vec<&str> = s.steps.iter().map(|st| st.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "expect {at: down, routes: 0, within: 30s}",
            "expect {community_alert: false}",
            "expect {at: down, dut_matches: false, routes: 3}",
            "mine",
            "replay {file: routeviews-2016/updates.20161101.0000.bz2, from: up, peer_index: 0}",
            "announce {as_path: [], from: up, prefixes: [10.0.0.0/24], prepend: 0}",
        ]
    );
}

#[test]
fn an_expect_map_becomes_its_checks_with_speaker_and_deadline() {
    let s = with_steps(
        "  - expect: {at: down, routes: 200, within: 20s, convergence: {max: 5s}}\n  - expect: {at: down, dut_matches: true, monitor_agrees: true}\n  - expect: {at: down, routes: 0, dut_matches: true}\n",
    );
    let within = std::time::Duration::from_secs(20);
    let max = Some(std::time::Duration::from_secs(5));
    assert_eq!(
        s.steps[0].action,
        model::Action::Expect(vec![
            model::Check::Routes { at: "down".into(), count: 200, within },
            model::Check::Convergence {
                budget: model::Budget { max, ..Default::default() },
                within
            },
        ])
    );
    let within = DEFAULT_WITHIN;
    assert_eq!(
        s.steps[1].action,
        model::Action::Expect(vec![
            model::Check::DutMatches { at: "down".into(), within, empty_expected: false },
            model::Check::MonitorAgrees { at: "down".into(), within, empty_expected: false },
        ])
    );
    assert_eq!(
        s.steps[2].action,
        model::Action::Expect(vec![
            model::Check::Routes { at: "down".into(), count: 0, within },
            model::Check::DutMatches { at: "down".into(), within, empty_expected: true },
        ])
    );
}

#[test]
fn announcements_are_typed_when_read() {
    let s = with_steps(
        "  - announce: {from: up, prefixes: [10.0.0.0/24], origin: incomplete, communities: [\"65001:7\"], community_range: {start: \"65001:9\", count: 2}, large_communities: [\"1:2:3\"], extended_communities: [\"rt:65001:7\"]}\n",
    );
    let model::Action::Announce(a) = &s.steps[0].action else { panic!("{:?}", s.steps[0]) };
    assert_eq!(a.origin, bgpstorm_wire::model::Origin::Incomplete);
    let c: Vec<String> = a.communities.iter().map(|c| c.to_string()).collect();
    assert_eq!(c, ["65001:7", "65001:9", "65001:10"]);
    assert_eq!(a.large_communities.len(), 1);
    assert_eq!(a.extended_communities.len(), 1);
}

#[test]
fn a_replay_takes_an_explicit_next_hop_and_may_allow_an_empty_run() {
    let s = with_steps(
        "  - replay: {from: up, file: routeviews-2016/updates.20161101.0000.bz2, next_hop: \"fd00::99\", allow_empty: true}\n  - replay: {from: up, file: routeviews-2016/updates.20161101.0000.bz2}\n",
    );
    let model::Action::Replay(r) = &s.steps[0].action else { panic!("{:?}", s.steps[0]) };
    assert_eq!(r.next_hop, Some("fd00::99".parse().unwrap()));
    assert!(r.allow_empty);
    assert_eq!(
        s.steps[1].name,
        "replay {file: routeviews-2016/updates.20161101.0000.bz2, from: up}"
    );
    let model::Action::Replay(r) = &s.steps[1].action else { panic!("{:?}", s.steps[1]) };
    assert!(r.next_hop.is_none() && !r.allow_empty);
}

#[test]
fn the_schema_has_the_new_replay_fields() {
    let s = json_schema().to_string();
    assert!(s.contains("allow_empty") && s.contains("\"Replay\""), "{s}");
}

#[test]
fn every_bench_workload_is_valid() {
    let files = discover(&[root().join("bench")]).unwrap();
    assert!(!files.is_empty());
    for f in files {
        load(&f).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn a_prefix_set_waits_for_its_count_only_when_the_routes_are_not_counted_too() {
    let s = with_steps(
        "  - expect: {at: down, prefixes: [10.0.0.0/24]}\n  - expect: {at: down, routes: 2, prefixes: [10.0.0.0/24]}\n",
    );
    let waits: Vec<bool> = s
        .steps
        .iter()
        .flat_map(|st| match &st.action {
            model::Action::Expect(checks) => checks.clone(),
            other => panic!("{other:?}"),
        })
        .filter_map(|c| match c {
            model::Check::Prefixes { wait_for_count, .. } => Some(wait_for_count),
            _ => None,
        })
        .collect();
    assert_eq!(waits, [true, false]);
}

#[test]
fn unsupported_names_a_daemon_or_versions_of_it_and_the_longest_version_wins() {
    let text = "version: 1\nname: x\ndut:\n  kind: bird\n  asn: 65000\n  unsupported:\n    openbgpd: every\n    openbgpd@7: seven\n    openbgpd@7.7.1: one\n    frr@8: old frr\nspeakers:\n  up: {asn: 65001}\nsteps:\n  - wait: established\n";
    let s = parse(Path::new("s.yaml"), text).unwrap();
    let why = |kind, v| s.dut.not_applicable(kind, v);
    assert_eq!(why(DutKind::Openbgpd, Some("8.8")).as_deref(), Some("every"));
    assert_eq!(why(DutKind::Openbgpd, Some("7.7")).as_deref(), Some("seven"));
    assert_eq!(why(DutKind::Openbgpd, Some("7.7.1")).as_deref(), Some("one"));
    assert_eq!(why(DutKind::Openbgpd, None).as_deref(), Some("every"));
    assert_eq!(why(DutKind::Frr, Some("8.4.4")).as_deref(), Some("old frr"));
    assert_eq!(why(DutKind::Frr, Some("80.1")), None, "8 is a component, not a text prefix");
    assert_eq!(why(DutKind::Frr, Some("10.3")), None);
    assert_eq!(why(DutKind::Frr, None), None, "an unknown version is not 8.x");
    assert_eq!(why(DutKind::Bird, Some("3.1.8")), None);
    for (key, needle) in [("quagga@1", "\"quagga\" is not a daemon"), ("frr@", "nothing after `@`")]
    {
        let bad = text.replace("frr@8", key);
        let e = parse(Path::new("s.yaml"), &bad).unwrap_err().to_string();
        assert!(e.contains(needle) && e.contains("line"), "{e}");
    }
}

#[test]
fn a_speaker_of_as_0_or_a_2_octet_speaker_of_a_4_octet_as_is_refused() {
    let text = |speaker: &str| {
        format!(
            "version: 1\nname: x\ndut: {{kind: bird, asn: 4200000000}}\nspeakers:\n  s: {speaker}\nsteps:\n  - wait: established\n"
        )
    };
    assert_problems(&text("{asn: 0}"), &["speakers.s.asn: AS 0 is reserved"]);
    assert_problems(
        &text("{asn: 4200000001, capabilities: {four_octet_as: false}}"),
        &["speakers.s.asn: 4200000001 is a 4-octet AS"],
    );
    // A 2-octet speaker of a 2-octet AS may peer with a 4-octet DUT AS (it sees AS_TRANS).
    parse(Path::new("s.yaml"), &text("{asn: 65001, capabilities: {four_octet_as: false}}"))
        .expect("valid");
}
