//! Properties of capture reading, TCP reassembly and BGP framing over generated input.

use bgpstorm_monitor::capture::{CaptureEvent, PcapSource, TcpFlags};
use bgpstorm_monitor::reassembly::{Flow, Reassembler, ReassemblyConfig, ReassemblyEvent};
use bgpstorm_monitor::stream::{DecodeOptions, PcapStream, StreamDecoder, StreamItem};
use proptest::prelude::*;
use proptest::sample::Index;
use std::collections::HashMap;
use std::net::SocketAddr;

const SYN: u8 = 0x02;
const FIN: u8 = 0x01;
const PSH_ACK: u8 = 0x18;

fn flow() -> Flow {
    Flow { src: "192.0.2.1:40000".parse().unwrap(), dst: "192.0.2.2:179".parse().unwrap() }
}

fn event(flow: Flow, ts: u64, seq: u32, flags: u8, payload: &[u8]) -> CaptureEvent {
    CaptureEvent {
        ts_ns: ts,
        ifindex: 0,
        direction: None,
        src: flow.src,
        dst: flow.dst,
        seq,
        ack: 0,
        flags: TcpFlags(flags),
        payload: payload.to_vec(),
        payload_len: payload.len() as u32,
    }
}

/// A deterministic Fisher-Yates shuffle driven by `seed`.
fn shuffle<T>(v: &mut [T], mut seed: u64) {
    for i in (1..v.len()).rev() {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        v.swap(i, (seed >> 33) as usize % (i + 1));
    }
}

/// Ranges `[a, b)` covering `0..len`, cut at `cuts`.
fn split(len: usize, cuts: &[Index]) -> Vec<(usize, usize)> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c.index(len)).collect();
    points.extend([0, len]);
    points.sort_unstable();
    points.dedup();
    points.windows(2).map(|w| (w[0], w[1])).collect()
}

fn isn() -> impl Strategy<Value = u32> {
    prop_oneof![any::<u32>(), (u32::MAX - 4000)..=u32::MAX]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn reassembly_delivers_the_stream_whatever_the_segment_order(
        stream in prop::collection::vec(any::<u8>(), 1..3000),
        cuts in prop::collection::vec(any::<Index>(), 0..40),
        overlaps in prop::collection::vec((any::<Index>(), 1usize..300), 0..10),
        duplicates in prop::collection::vec(any::<Index>(), 0..10),
        seed in any::<u64>(),
        isn in isn(),
        with_fin in any::<bool>(),
    ) {
        let f = flow();
        let mut ranges = split(stream.len(), &cuts);
        for (start, len) in &overlaps {
            let a = start.index(stream.len());
            ranges.push((a, (a + len).min(stream.len())));
        }
        for d in &duplicates {
            let r = ranges[d.index(ranges.len())];
            ranges.push(r);
        }
        shuffle(&mut ranges, seed);
        let mut events = vec![event(f, 0, isn, SYN, b"")];
        for (n, (a, b)) in ranges.iter().enumerate() {
            let fin = with_fin && *b == stream.len();
            let seq = isn.wrapping_add(1).wrapping_add(*a as u32);
            events.push(event(f, n as u64 + 1, seq, PSH_ACK | if fin { FIN } else { 0 }, &stream[*a..*b]));
        }
        let mut r = Reassembler::new(ReassemblyConfig::default());
        let mut out = Vec::new();
        for e in events {
            r.push(e, &mut out);
        }
        r.finish(&mut out);
        let mut delivered = Vec::new();
        for e in &out {
            match e {
                ReassemblyEvent::Data { offset, data, .. } => {
                    prop_assert_eq!(*offset, delivered.len() as u64);
                    delivered.extend_from_slice(data);
                }
                ReassemblyEvent::Gap { .. } => prop_assert!(false, "unexpected gap {:?}", e),
                _ => {}
            }
        }
        prop_assert_eq!(delivered, stream);
        prop_assert_eq!(r.stats().conflicting_bytes, 0);
    }

    #[test]
    fn arbitrary_segments_never_panic_the_reassembler(
        segments in prop::collection::vec(
            (0usize..3, 0usize..3, any::<u32>(), 0u32..5000, any::<u8>(),
             prop::collection::vec(any::<u8>(), 0..64), prop_oneof![Just(0u32), any::<u32>()],
             any::<u32>()),
            0..200),
        base in any::<u32>(),
    ) {
        let hosts: [SocketAddr; 3] =
            ["10.0.0.1:179".parse().unwrap(), "10.0.0.2:40000".parse().unwrap(), "[2001:db8::1]:179".parse().unwrap()];
        let mut r = Reassembler::new(ReassemblyConfig { max_buffered_bytes: 2000, max_buffered_segments: 16, ..Default::default() });
        let mut out = Vec::new();
        for (n, (s, d, far, near, flags, payload, extra, ack)) in segments.into_iter().enumerate() {
            // Mostly sequence numbers near each other, sometimes anywhere.
            let seq = if far % 8 == 0 { far } else { base.wrapping_add(near) };
            let mut e = event(Flow { src: hosts[s], dst: hosts[d] }, n as u64, seq, flags, &payload);
            e.ack = ack;
            e.payload_len = e.payload_len.saturating_add(extra % 100_000);
            r.push(e, &mut out);
        }
        r.finish(&mut out);
        // Whatever came in, each incarnation's bytes and gaps tile its stream from offset 0.
        let mut next: HashMap<Flow, u64> = HashMap::new();
        for e in &out {
            match e {
                ReassemblyEvent::Opened { flow, .. } => { next.insert(*flow, 0); }
                ReassemblyEvent::Data { flow, offset, data, .. } => {
                    let n = next.entry(*flow).or_default();
                    prop_assert_eq!(*offset, *n);
                    *n += data.len() as u64;
                }
                ReassemblyEvent::Gap { flow, offset, len, .. } => {
                    let n = next.entry(*flow).or_default();
                    prop_assert_eq!(*offset, *n);
                    *n += len;
                }
                ReassemblyEvent::Closed { .. } => {}
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_pcap_reader(
        header in prop_oneof![
            Just(Vec::new()),
            prop::sample::select(vec![0u32, 1, 9, 101, 104, 108, 113, 178, 228, 229, 276, 147])
                .prop_map(pcap_header),
            Just(pcapng_header()),
        ],
        body in prop::collection::vec(any::<u8>(), 0..2000),
    ) {
        decode_all([header, body].concat());
    }

    #[test]
    fn damaged_real_captures_never_panic_the_decoder(
        file in prop::sample::select(vec![
            "feature-captures/bgp-4byte-asn.pcap",
            "feature-captures/bgp-role.pcapng",
            "feature-captures/bgp-bgpsec.pcap",
            "multi-peer-sessions/303-BGP-high-availability/traffic-00.pcap",
        ]),
        damage in prop::collection::vec((any::<Index>(), any::<u8>()), 1..20),
        cut in any::<Index>(),
    ) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/pcap").join(file);
        let mut bytes = std::fs::read(path).unwrap();
        for (at, value) in damage {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        bytes.truncate(cut.index(bytes.len() + 1).max(1));
        decode_all(bytes);
    }

    #[test]
    fn bgp_framing_finds_every_message_whatever_the_segment_boundaries(
        kinds in prop::collection::vec((0u8..3, prop::collection::vec(any::<u8>(), 0..300)), 1..30),
        cuts in prop::collection::vec(any::<Index>(), 0..60),
        isn in isn(),
    ) {
        let messages: Vec<Vec<u8>> = kinds.iter().map(|(k, data)| message(*k, data)).collect();
        let stream = messages.concat();
        let ranges = split(stream.len(), &cuts);
        let f = flow();
        let mut d = StreamDecoder::new(DecodeOptions::default());
        let mut out = Vec::new();
        d.push(event(f, 0, isn, SYN, b""), &mut out);
        for (n, (a, b)) in ranges.iter().enumerate() {
            let seq = isn.wrapping_add(1).wrapping_add(*a as u32);
            d.push(event(f, n as u64 + 1, seq, PSH_ACK, &stream[*a..*b]), &mut out);
        }
        d.finish(&mut out);
        let framed: Vec<(u64, u64, Vec<u8>)> = out.iter().filter_map(|i| match i {
            StreamItem::Message(m) => Some((m.ts_ns, m.offset, m.raw.clone())),
            _ => None,
        }).collect();
        prop_assert_eq!(framed.len(), messages.len());
        let mut offset = 0usize;
        for ((ts, off, raw), expected) in framed.iter().zip(&messages) {
            prop_assert_eq!(*off, offset as u64);
            prop_assert_eq!(raw, expected);
            offset += expected.len();
            // The timestamp is the one of the segment that carried the last byte.
            let last = ranges.iter().position(|(a, b)| *a < offset && offset <= *b).unwrap();
            prop_assert_eq!(*ts, last as u64 + 1);
        }
        let stats = d.stats();
        prop_assert_eq!(stats.stream.error_total(), 0);
        prop_assert_eq!(stats.stream.resyncs, 0);
    }
}

/// KEEPALIVE, NOTIFICATION with `data`, or an UPDATE withdrawing /32s made of `data`.
fn message(kind: u8, data: &[u8]) -> Vec<u8> {
    let (t, body) = match kind {
        0 => (4, Vec::new()),
        1 => (3, [&[6, 2][..], data].concat()),
        _ => {
            let withdrawn: Vec<u8> =
                data.chunks_exact(4).flat_map(|c| [&[32][..], c].concat()).collect();
            let mut b = (withdrawn.len() as u16).to_be_bytes().to_vec();
            b.extend_from_slice(&withdrawn);
            b.extend_from_slice(&[0, 0]);
            (2, b)
        }
    };
    let mut m = vec![0xff; 16];
    m.extend_from_slice(&(19 + body.len() as u16).to_be_bytes());
    m.push(t);
    m.extend_from_slice(&body);
    m
}

fn pcap_header(link: u32) -> Vec<u8> {
    [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, link].iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn pcapng_header() -> Vec<u8> {
    let mut v = Vec::new();
    for w in [0x0a0d_0d0au32, 28, 0x1a2b_3c4d, 1, u32::MAX, u32::MAX, 28, 1, 20, 1, 65535, 20] {
        v.extend_from_slice(&w.to_le_bytes());
    }
    v
}

fn decode_all(bytes: Vec<u8>) {
    if let Ok(source) = PcapSource::from_reader("generated", std::io::Cursor::new(bytes)) {
        let mut stream = PcapStream::new(source, DecodeOptions::default());
        for _ in stream.by_ref() {}
        let _ = stream.stats();
    }
}
