use std::net::SocketAddr;
use std::time::Duration;

use super::*;
use crate::detect::community::{Direction, RuleConfig};
use crate::detect::flap::FlapConfig;
use crate::stream::ContextSource;
use bgpstorm_wire::model::{AsPath, Community, Origin};
use bgpstorm_wire::{AfiSafi, Nlri, Open, PathAttributes, Reach, Update};

const S: u64 = 1_000_000_000;

fn flow(src: &str, dst: &str) -> Flow {
    Flow { src: src.parse::<SocketAddr>().unwrap(), dst: dst.parse::<SocketAddr>().unwrap() }
}

fn item(flow: Flow, ts_ns: u64, message: Message) -> StreamItem {
    StreamItem::Message(CapturedMessage {
        ts_ns,
        flow,
        offset: 0,
        raw: Vec::new(),
        message: Ok(message),
        context: ContextSource::Negotiated,
        sender: None,
    })
}

fn open(asn: u32, id: &str) -> Message {
    Message::Open(Open {
        version: 4,
        asn,
        hold_time: 90,
        bgp_id: id.parse().unwrap(),
        four_octet_as: Some(asn),
        families: vec![AfiSafi::IPV4_UNICAST],
        route_refresh: true,
        extended_message: false,
        add_path: vec![],
        graceful_restart: None,
        capabilities: vec![],
    })
}

fn update(prefixes: &[&str], path: &[u32], communities: &[u32]) -> Message {
    Message::Update(Update {
        reach: vec![Reach {
            family: AfiSafi::IPV4_UNICAST,
            next_hop: vec!["10.0.1.2".parse().unwrap()],
            nlri: prefixes
                .iter()
                .map(|p| Nlri { prefix: p.parse().unwrap(), path_id: None })
                .collect(),
        }],
        attributes: PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(AsPath::sequence(path.to_vec())),
            communities: communities.iter().map(|&c| Community(c)).collect(),
            ..PathAttributes::default()
        },
        ..Update::default()
    })
}

fn withdraw(prefixes: &[&str]) -> Message {
    Message::Update(Update {
        withdrawn: prefixes
            .iter()
            .map(|p| Nlri { prefix: p.parse().unwrap(), path_id: None })
            .collect(),
        ..Update::default()
    })
}

/// up1 (AS 65001) and up2 (AS 65002) into the DUT (AS 65000, two links, one identifier);
/// the DUT sends on to down (AS 65100).
fn sessions(e: &mut Engine) -> (Flow, Flow, Flow) {
    let up1 = flow("10.0.1.2:40000", "10.0.1.1:179");
    let up2 = flow("10.0.2.2:40000", "10.0.2.1:179");
    let down = flow("10.0.3.1:40000", "10.0.3.2:179");
    let rev = |f: Flow| Flow { src: f.dst, dst: f.src };
    for (f, asn, id) in
        [(up1, 65001, "10.0.1.2"), (up2, 65002, "10.0.2.2"), (rev(down), 65100, "10.0.3.2")]
    {
        e.push(&StreamItem::Opened { flow: f, ts_ns: 0, syn: true });
        e.push(&item(f, 0, open(asn, id)));
        e.push(&item(rev(f), 0, open(65000, "192.0.2.254")));
        e.push(&item(f, 0, Message::Keepalive));
        e.push(&item(rev(f), 0, Message::Keepalive));
    }
    (up1, up2, down)
}

#[test]
fn a_backup_path_is_a_hidden_route_and_sessions_are_established() {
    let mut e = Engine::new(&MonitorConfig::default()).unwrap();
    let (up1, up2, _) = sessions(&mut e);
    e.push(&item(up1, S, update(&["192.0.2.0/24"], &[65001, 174], &[])));
    e.push(&item(up2, S, update(&["192.0.2.0/24"], &[65002, 3356, 174], &[])));
    let r = e.rib().routes("192.0.2.0/24".parse().unwrap(), crate::rib::Match::Exact);
    assert_eq!(r[0].paths.len(), 2);
    assert!(r[0].paths[0].best && r[0].paths[0].peer_asn == Some(65001));
    assert_eq!(e.rib().hidden_count(), 1);
    assert_eq!(e.health().count(crate::detect::session::State::Established), 3);
}

#[test]
fn flaps_and_community_breaks_are_logged_once_each() {
    let config = MonitorConfig {
        flap: FlapConfig { window: Duration::from_secs(30), changes: 3 },
        communities: vec![RuleConfig {
            peer: Some("10.0.3.2".parse().unwrap()),
            direction: Direction::Out,
            allow: Some("^65000:.*$".into()),
            deny: None,
        }],
        ..MonitorConfig::default()
    };
    let mut e = Engine::new(&config).unwrap();
    let (up1, _, down) = sessions(&mut e);
    e.push(&item(up1, S, update(&["192.0.2.0/24", "198.51.100.0/24"], &[65001], &[])));
    for i in 0..5 {
        e.push(&item(up1, (2 + 2 * i) * S, withdraw(&["192.0.2.0/24"])));
        e.push(&item(up1, (3 + 2 * i) * S, update(&["192.0.2.0/24"], &[65001], &[])));
    }
    let flaps: Vec<_> = e.flap_alerts().collect();
    assert_eq!(flaps.len(), 1);
    assert_eq!(flaps[0].nlri.prefix.to_string(), "192.0.2.0/24");
    e.push(&item(
        down,
        20 * S,
        update(&["198.51.100.0/24"], &[65000, 65001], &[65000 << 16 | 1, 65001 << 16 | 666]),
    ));
    let alerts: Vec<_> = e.community_alerts().collect();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].community, "65001:666");
    assert_eq!(e.counters().community_alerts, 1);
}

#[test]
fn a_closed_flow_withdraws_its_routes() {
    let mut e = Engine::new(&MonitorConfig::default()).unwrap();
    let (up1, _, _) = sessions(&mut e);
    e.push(&item(up1, S, update(&["192.0.2.0/24", "198.51.100.0/24"], &[65001], &[])));
    assert_eq!(e.rib().path_count(), 2);
    e.push(&StreamItem::Closed {
        flow: up1,
        ts_ns: 2 * S,
        reason: crate::reassembly::CloseReason::Rst,
        unfinished: 0,
        unsynced: 0,
    });
    assert_eq!(e.rib().path_count(), 0);
    let resets: u64 = e.health().sessions().map(|h| h.resets).sum();
    assert_eq!(resets, 1);
}

#[test]
fn flows_that_never_found_a_message_header_are_counted_and_exposed() {
    let mut e = Engine::new(&MonitorConfig::default()).unwrap();
    let lost = flow("192.0.2.1:40000", "192.0.2.2:179");
    let closed = |reason, unsynced| StreamItem::Closed {
        flow: lost,
        ts_ns: S,
        reason,
        unfinished: 0,
        unsynced,
    };
    e.push(&closed(crate::reassembly::CloseReason::Fin, 72));
    e.push(&closed(crate::reassembly::CloseReason::EndOfInput, 28));
    e.push(&closed(crate::reassembly::CloseReason::EndOfInput, 0));
    assert_eq!((e.counters().unsynced_flows, e.counters().unsynced_bytes), (2, 100));
    #[cfg(feature = "api")]
    {
        let text = crate::api::metrics::render(&e, &Default::default());
        assert!(text.contains("bgpstorm_stream_unsynced_flows_total 2\n"), "{text}");
        assert!(text.contains("bgpstorm_stream_unsynced_bytes_total 100\n"), "{text}");
    }
}

#[test]
fn a_bad_configuration_is_an_error() {
    let bad = MonitorConfig {
        flap: FlapConfig { window: Duration::from_secs(1), changes: 1 },
        ..MonitorConfig::default()
    };
    assert!(bad.validate().unwrap_err().to_string().contains("flap.changes"));
}

#[test]
fn an_unchanged_re_announcement_entering_the_device_is_no_convergence_trigger() {
    let config = MonitorConfig {
        device: vec!["10.0.1.1".parse().unwrap(), "10.0.3.1".parse().unwrap()],
        ..MonitorConfig::default()
    };
    let mut e = Engine::new(&config).unwrap();
    let (up1, _, down) = sessions(&mut e);
    e.push(&item(up1, S, update(&["192.0.2.0/24"], &[65001], &[])));
    assert_eq!(e.convergence().pending(), 1);
    e.push(&item(down, S + 1_000_000, update(&["192.0.2.0/24"], &[65000, 65001], &[])));
    assert_eq!(e.convergence().pending(), 0);
    // The same path again: counted as seen, but the device has nothing to answer.
    e.push(&item(up1, 2 * S, update(&["192.0.2.0/24"], &[65001], &[])));
    assert_eq!((e.convergence().triggers(), e.convergence().pending()), (2, 0));
    let s = e.convergence().sample("192.0.2.0/24".parse().unwrap()).unwrap();
    assert_eq!(s.latency_ns(), Some(1_000_000));
    // A real change does start a new event.
    e.push(&item(up1, 3 * S, update(&["192.0.2.0/24"], &[65001, 65001], &[])));
    assert_eq!(e.convergence().pending(), 1);
}

#[test]
fn a_scenario_monitor_section_resolves_to_the_engine_configuration() {
    let spec: MonitorSpec = serde_json::from_str(
        r#"{"flap": {"window": "10s", "changes": 4}, "damping": true,
            "communities": [{"session": "down", "direction": "out", "allow": "^65000:.*$"}]}"#,
    )
    .unwrap();
    let dut: std::net::IpAddr = "10.0.3.1".parse().unwrap();
    let peer = "10.0.3.2".parse().unwrap();
    let c = spec.resolve(vec![dut], |name| (name == "down").then_some(peer)).unwrap();
    assert_eq!(c.flap, FlapConfig { window: Duration::from_secs(10), changes: 4 });
    assert_eq!(c.damping, Some(crate::detect::damping::DampingConfig::default()));
    assert_eq!(c.device, vec![dut]);
    assert_eq!(c.communities[0].peer, Some(peer));
    assert_eq!(c.communities[0].direction, Direction::Out);
    let unknown = spec.resolve(vec![dut], |_| None).unwrap_err();
    assert_eq!(unknown.to_string(), "no speaker down");
    let typo = serde_json::from_str::<MonitorSpec>(r#"{"flaps": {}}"#).unwrap_err();
    assert!(typo.to_string().contains("unknown field `flaps`"), "{typo}");
}

#[test]
fn the_registry_holds_one_detector_per_configured_kind() {
    let names = |c: &MonitorConfig| -> Vec<&'static str> {
        c.detectors().unwrap().iter().map(|d| d.name()).collect()
    };
    assert_eq!(names(&MonitorConfig::default()), ["flap"]);
    let all = MonitorConfig {
        damping: Some(Default::default()),
        communities: vec![RuleConfig {
            peer: None,
            direction: Direction::In,
            allow: None,
            deny: Some("^65535:666$".into()),
        }],
        ..MonitorConfig::default()
    };
    assert_eq!(names(&all), ["flap", "damping", "community"]);
}

#[test]
fn the_handle_answers_the_api_queries_and_signals_each_batch() {
    let mut e = Engine::new(&MonitorConfig::default()).unwrap();
    let (up1, up2, _) = sessions(&mut e);
    let handle = EngineHandle::new(e);
    let changed = handle.subscribe();
    assert!(!changed.has_changed().unwrap());
    let mut batch = vec![
        item(up1, S, update(&["192.0.2.0/24"], &[65001, 174], &[])),
        item(up2, S, update(&["192.0.2.0/24"], &[65002, 3356, 174], &[])),
    ];
    for i in 0..3 {
        batch.push(item(up1, (2 + 2 * i) * S, withdraw(&["192.0.2.0/24"])));
        batch.push(item(up1, (3 + 2 * i) * S, update(&["192.0.2.0/24"], &[65001, 174], &[])));
    }
    handle.push_all(&batch);
    assert!(changed.has_changed().unwrap());
    let prefix = "192.0.2.0/24".parse().unwrap();
    assert_eq!(handle.routes(prefix, crate::rib::Match::Exact)[0].paths.len(), 2);
    assert_eq!(handle.hidden(prefix).len(), 1);
    assert_eq!(handle.sessions().sessions.len(), 3);
    assert_eq!(handle.alerts(Some(AlertKind::Flap)).len(), 1);
    assert!(handle.alerts(Some(AlertKind::Community)).is_empty());
    let (counters, rib) = handle.stats();
    assert_eq!((counters.flap_alerts, rib.prefixes), (1, 1));
    #[cfg(feature = "api")]
    assert!(handle.metrics().contains("bgpstorm_flap_alerts_total 1"));
}

/// A real capture (tcpdump's bgp-4byte-asn test file), from the repository's data folder.
fn real_pcap() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data/pcap/feature-captures/bgp-4byte-asn.pcap")
}

#[test]
fn driving_capture_files_equals_pushing_their_stream_item_by_item() {
    let opts = crate::stream::DecodeOptions::default();
    let handle = EngineHandle::new(Engine::new(&MonitorConfig::default()).unwrap());
    let stats = drive_pcap(&[real_pcap()], &opts, &handle, |_, e| panic!("{e}")).unwrap();
    let mut by_hand = Engine::new(&MonitorConfig::default()).unwrap();
    let mut stream = crate::stream::decode_pcap_with(real_pcap(), opts.clone()).unwrap();
    for it in stream.by_ref() {
        by_hand.push(&it);
    }
    let driven = handle.engine();
    assert!(driven.counters().announced > 0);
    assert_eq!(driven.rib().path_count(), by_hand.rib().path_count());
    assert_eq!(driven.counters().messages, by_hand.counters().messages);
    assert_eq!(stats.capture.tcp_segments, stream.stats().capture.tcp_segments);
    assert_eq!(handle.capture().events, stats.capture.tcp_segments);
    drop(driven);
    let missing = drive_pcap(&["no/such.pcap".into()], &opts, &handle, |_, _| {}).unwrap_err();
    assert!(missing.to_string().starts_with("no/such.pcap: "), "{missing}");
}
