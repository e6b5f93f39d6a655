//! Monitor throughput on one core: decoded UPDATE stream items pushed into a fresh
//! [`Engine`] (RIB, flap and community detectors, history, convergence, event log), in prefixes
//! per second. Decoding is measured apart (`pcap_decode`, `mrt_read`); this is the cost after it.
//!
//! - `ris-rrc00`: the 5 minutes of RIPE RIS rrc00 UPDATEs of data (63 peers, 159,948
//!   announcements, 2,626 withdrawals), each BGP4MP message turned into the stream item the
//!   capture path would give.
//! - `storm`: 4 sessions each announcing the same 100,000 prefixes in UPDATEs of 200, then
//!   withdrawing them: a full-table failover as the storm scenarios produce it.
//!
//! `cargo bench -p bgpstorm-monitor --bench engine_throughput`

use std::io::Cursor;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use bgpstorm_monitor::engine::{Engine, MonitorConfig};
use bgpstorm_monitor::reassembly::Flow;
use bgpstorm_monitor::stream::{CapturedMessage, ContextSource, Speaker, StreamItem};
use bgpstorm_wire::model::{AsPath, Community, Origin};
use bgpstorm_wire::mrt::{MrtBody, MrtReader};
use bgpstorm_wire::{AfiSafi, Message, Nlri, PathAttributes, Reach, Update};
use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ipnet::{IpNet, Ipv4Net};

const RIS: &str = "../data/mrt/ris-rrc00-2019/updates.20190101.0000.gz";

fn item(flow: Flow, ts_ns: u64, sender: Speaker, message: Message) -> StreamItem {
    StreamItem::Message(CapturedMessage {
        ts_ns,
        flow,
        offset: 0,
        raw: Vec::new(),
        message: Ok(message),
        context: ContextSource::Negotiated,
        sender: Some(sender),
    })
}

/// The RIS file's UPDATEs as stream items, and the prefixes they carry.
fn ris_items() -> (Vec<StreamItem>, u64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(RIS);
    let gz =
        Bytes::from(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    let mut items = Vec::new();
    let mut prefixes = 0;
    for record in MrtReader::new(Cursor::new(gz)).expect("gzip MRT") {
        let record = record.expect("well-formed file");
        let MrtBody::Message(m) = record.body else { continue };
        let Ok(Message::Update(u)) = m.message else { continue };
        prefixes += (u.announced_count() + u.withdrawn.len()) as u64;
        let flow =
            Flow { src: SocketAddr::new(m.peer_ip, 179), dst: SocketAddr::new(m.local_ip, 179) };
        let id = match m.peer_ip {
            IpAddr::V4(a) => a,
            IpAddr::V6(a) => Ipv4Addr::from(a.to_bits() as u32),
        };
        let ts = u64::from(record.header.timestamp) * 1_000_000_000
            + u64::from(record.header.microseconds.unwrap_or(0)) * 1000;
        items.push(item(flow, ts, Speaker { asn: m.peer_asn, bgp_id: id }, Message::Update(u)));
    }
    (items, prefixes)
}

/// Four upstreams announce the same `n` prefixes, then withdraw them.
fn storm_items(n: u32) -> (Vec<StreamItem>, u64) {
    let mut items = Vec::new();
    let prefix =
        |i: u32| IpNet::V4(Ipv4Net::new(Ipv4Addr::from((1u32 << 24) + (i << 8)), 24).unwrap());
    let mut ts = 0;
    for withdraw in [false, true] {
        for s in 0..4u8 {
            let flow = Flow {
                src: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, s, 2)), 40_000),
                dst: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, s, 1)), 179),
            };
            let sender = Speaker { asn: 64_600 + u32::from(s), bgp_id: Ipv4Addr::new(10, 0, s, 2) };
            for first in (0..n).step_by(200) {
                let nlri: Vec<Nlri> = (first..(first + 200).min(n))
                    .map(|i| Nlri { prefix: prefix(i), path_id: None })
                    .collect();
                let u = if withdraw {
                    Update { withdrawn: nlri, ..Update::default() }
                } else {
                    Update {
                        reach: vec![Reach {
                            family: AfiSafi::IPV4_UNICAST,
                            next_hop: vec![IpAddr::V4(Ipv4Addr::new(10, 0, s, 2))],
                            nlri,
                        }],
                        attributes: PathAttributes {
                            origin: Some(Origin::Igp),
                            as_path: Some(AsPath::sequence(vec![
                                sender.asn,
                                174,
                                10_000 + first % 1000,
                            ])),
                            communities: vec![Community(sender.asn << 16 | 100)],
                            ..PathAttributes::default()
                        },
                        ..Update::default()
                    }
                };
                ts += 10_000;
                items.push(item(flow, ts, sender, Message::Update(u)));
            }
        }
    }
    (items, 8 * u64::from(n))
}

fn bench(c: &mut Criterion) {
    let config = MonitorConfig::default();
    let mut g = c.benchmark_group("engine");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    for (name, (items, prefixes)) in
        [("ris-rrc00", ris_items()), ("storm-4x100k", storm_items(100_000))]
    {
        assert!(prefixes > 100_000, "{name}: {prefixes}");
        g.throughput(Throughput::Elements(prefixes));
        g.bench_function(name, |b| {
            b.iter_batched(
                || Engine::new(&config).expect("default configuration"),
                |mut engine| {
                    for it in &items {
                        engine.push(it);
                    }
                    assert_eq!(engine.counters().announced + engine.counters().withdrawn, prefixes);
                    engine
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
