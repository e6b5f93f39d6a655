//! MRT reading speed on the RIPE RIS update file of data (54,514 records), held in
//! memory: framing only, framing plus decoding, and decoding from the gzip file as shipped.
//!
//! `cargo bench -p bgpstorm-monitor --bench mrt_read`

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::io::{Cursor, Read};
use std::path::Path;
use std::time::Duration;

use bgpstorm_wire::mrt::{MrtBody, MrtReader, decompressed};

const RIS: &str = "../data/mrt/ris-rrc00-2019/updates.20190101.0000.gz";

fn ris_gz() -> Bytes {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(RIS);
    Bytes::from(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// Reads every record, decodes it, and counts the announced and withdrawn prefixes.
fn decode_all(input: Bytes) -> (u64, usize) {
    let mut records = 0;
    let mut prefixes = 0;
    for record in MrtReader::new(Cursor::new(input)).expect("reader") {
        let record = record.expect("well-formed file");
        records += 1;
        if let MrtBody::Message(m) = &record.body
            && let Ok(bgpstorm_wire::Message::Update(u)) = &m.message
        {
            prefixes += u.announced_count() + u.withdrawn.len();
        }
    }
    (records, prefixes)
}

fn bench(c: &mut Criterion) {
    let gz = ris_gz();
    let mut plain = Vec::new();
    decompressed(Cursor::new(gz.clone())).expect("gzip").1.read_to_end(&mut plain).unwrap();
    let plain = Bytes::from(plain);
    assert_eq!(decode_all(plain.clone()), (54_514, 159_948 + 2_626));

    let mut g = c.benchmark_group("mrt_read/ris-rrc00-updates");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(54_514));
    g.bench_function("frame_only_plain", |b| {
        b.iter(|| {
            let mut r = MrtReader::new(Cursor::new(plain.clone())).unwrap();
            let mut n = 0u64;
            while let Some(rec) = r.next_raw() {
                n += black_box(rec.unwrap()).raw.len() as u64;
            }
            n
        })
    });
    g.bench_function("decode_plain", |b| b.iter(|| decode_all(black_box(plain.clone()))));
    g.bench_function("decode_gzip", |b| b.iter(|| decode_all(black_box(gz.clone()))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
