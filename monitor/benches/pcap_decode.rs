//! Speed of the capture pipeline: pcap records → TCP reassembly → BGP framing → decoding.
//!
//! The capture is generated: one session whose OPENs are both captured, then 20,000 UPDATEs
//! (4 IPv4 prefixes each) sent in 1448-byte segments so that messages straddle segments, with
//! an ACK every second segment. "reordered" swaps every other pair of data segments.

use bgpstorm_monitor::capture::PcapSource;
use bgpstorm_monitor::stream::{DecodeOptions, PcapStream, StreamItem};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const UPDATES: u32 = 20_000;
const MSS: usize = 1448;

fn msg(t: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![0xff; 16];
    m.extend_from_slice(&(19 + body.len() as u16).to_be_bytes());
    m.push(t);
    m.extend_from_slice(body);
    m
}

fn open(id: u8) -> Vec<u8> {
    let caps = [2, 6, 1, 4, 0, 1, 0, 1, 2, 6, 65, 4, 0, 0, 0xfd, 0xe9];
    let mut body = vec![4, 0xfd, 0xe9, 0, 90, 10, 0, 0, id, caps.len() as u8];
    body.extend_from_slice(&caps);
    msg(1, &body)
}

fn update(n: u32) -> Vec<u8> {
    let attrs = [
        0x40, 1, 1, 0, 0x40, 2, 14, 2, 3, 0, 0, 0xfd, 0xe9, 0, 0, 0x0d, 0x1c, 0, 0, 0x0b, 0x62,
        0x40, 3, 4, 192, 0, 2, 1,
    ];
    let mut body = vec![0, 0, 0, attrs.len() as u8];
    body.extend_from_slice(&attrs);
    for i in 0..4 {
        let p = (n * 4 + i).to_be_bytes();
        body.extend_from_slice(&[24, 10 | (p[1] & 0x3f), p[2], p[3]]);
    }
    msg(2, &body)
}

fn frame(from_a: bool, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let (src, dst, sport, dport) = if from_a {
        ([192, 0, 2, 1], [192, 0, 2, 2], 40000u16, 179u16)
    } else {
        ([192, 0, 2, 2], [192, 0, 2, 1], 179, 40000)
    };
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0];
    let total = (40 + payload.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

fn capture(reordered: bool) -> Vec<u8> {
    let (isn_a, isn_b) = (1_000u32, 9_000u32);
    let (open_a, open_b) = (open(1), open(2));
    let mut frames = vec![
        frame(true, isn_a, 0, 0x02, b""),
        frame(false, isn_b, isn_a + 1, 0x12, b""),
        frame(true, isn_a + 1, isn_b + 1, 0x18, &open_a),
        frame(false, isn_b + 1, isn_a + 1 + open_a.len() as u32, 0x18, &open_b),
    ];
    let stream: Vec<u8> = (0..UPDATES).flat_map(update).collect();
    let base = isn_a + 1 + open_a.len() as u32;
    let ack_b = isn_b + 1 + open_b.len() as u32;
    let mut data: Vec<Vec<u8>> = Vec::new();
    for (i, chunk) in stream.chunks(MSS).enumerate() {
        let seq = base.wrapping_add((i * MSS) as u32);
        data.push(frame(true, seq, ack_b, 0x18, chunk));
    }
    if reordered {
        for pair in data.chunks_mut(4) {
            if pair.len() >= 2 {
                pair.swap(0, 1);
            }
        }
    }
    for (i, d) in data.into_iter().enumerate() {
        frames.push(d);
        if i % 2 == 1 {
            let acked = base.wrapping_add(((i + 1) * MSS).min(stream.len()) as u32);
            frames.push(frame(false, ack_b, acked, 0x10, b""));
        }
    }
    let mut file: Vec<u8> = [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    for (i, f) in frames.iter().enumerate() {
        for w in [1_700_000_000u32, i as u32, f.len() as u32, f.len() as u32] {
            file.extend_from_slice(&w.to_le_bytes());
        }
        file.extend_from_slice(f);
    }
    file
}

fn decode(file: &[u8]) -> usize {
    let source = PcapSource::from_reader("bench", std::io::Cursor::new(file.to_vec()))
        .expect("generated capture");
    PcapStream::new(source, DecodeOptions::default())
        .filter(|i| matches!(i, StreamItem::Message(m) if m.message.is_ok()))
        .count()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("pcap_decode");
    for (name, reordered) in [("in_order", false), ("reordered", true)] {
        let file = capture(reordered);
        assert_eq!(decode(&file), UPDATES as usize + 2);
        g.throughput(Throughput::Bytes(file.len() as u64));
        g.bench_function(name, |b| b.iter(|| decode(black_box(&file))));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
