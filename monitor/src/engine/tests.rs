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
    });
    assert_eq!(e.rib().path_count(), 0);
    let resets: u64 = e.health().sessions().map(|h| h.resets).sum();
    assert_eq!(resets, 1);
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
