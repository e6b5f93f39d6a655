//! MRT reading on the real archives of data/mrt: every file decodes, the pipe
//! output equals Debian's `bgpdump -m` line for line (except the documented lines where
//! bgpdump is wrong), the RIS file's counts agree with PROVENANCE.md, and broken input
//! (truncated, corrupted, arbitrary bytes) gives errors with offsets, never a panic.

use std::collections::HashSet;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

use bgpstorm_harness::decode::pipe;
use bgpstorm_tests::mrt::record;
use bgpstorm_wire::message::Message;
use bgpstorm_wire::mrt::{MrtBody, MrtError, MrtReader, MrtRecord, decompressed};
use proptest::prelude::*;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")
}

const RIS: &str = "mrt/ris-rrc00-2019/updates.20190101.0000.gz";

/// Every MRT file under data/mrt (the README of daemon-samples excepted).
fn mrt_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let root = data_dir().join("mrt");
    for dir in std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display())) {
        for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_none_or(|e| e != "rst") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert_eq!(files.len(), 17, "the MRT files of data changed: {files:?}");
    files
}

fn name(path: &Path) -> &str {
    path.file_name().unwrap().to_str().unwrap()
}

/// `bgpdump -m FILE`, the reference. A missing bgpdump fails the test: it must not pass
/// silently on a machine where nothing was compared.
fn bgpdump(path: &Path) -> String {
    match Command::new("bgpdump").arg("-m").arg(path).output() {
        Ok(out) if out.status.success() => String::from_utf8(out.stdout).expect("UTF-8"),
        Ok(out) => panic!(
            "bgpdump -m {} failed ({}): {}",
            path.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "bgpdump is not installed, so the pipe output cannot be checked against it: \
             run ci/setup (it installs Debian's bgpdump package)"
        ),
        Err(e) => panic!("cannot run bgpdump: {e}"),
    }
}

fn records(path: &Path) -> Vec<Result<MrtRecord, MrtError>> {
    MrtReader::open(path).unwrap_or_else(|e| panic!("{e}")).collect()
}

fn pipe_output(records: &[Result<MrtRecord, MrtError>]) -> String {
    let mut out = Vec::new();
    for r in records.iter().flatten() {
        pipe::write_record(&mut out, r).unwrap();
    }
    String::from_utf8(out).unwrap()
}

/// Lines of one file where our output and bgpdump's differ on purpose.
struct Divergence {
    file: &'static str,
    /// Selects the lines concerned, in both outputs.
    lines: fn(&str) -> bool,
    /// How many of bgpdump's lines it selects.
    bgpdump: usize,
    /// How many of ours.
    ours: usize,
}

/// The only lines excluded from the comparison with bgpdump, and why.
const DIVERGENCES: &[Divergence] = &[
    // BIRD 1.6 wrote the UPDATEs of a session that negotiated ADD-PATH as MESSAGE_AS4, where
    // RFC 8050 §3 requires MESSAGE_AS4_ADDPATH. bgpdump reads each 4-byte path identifier as
    // prefixes and prints 24 invented routes (0.0.0.0/0 three times, 24.0.0.0/2, ...). The
    // peer's OPEN in the same file offers ADD-PATH, and the UPDATEs only decode with path
    // identifiers, so we read them that way and print the 14 real routes (172.17.0.0/24,
    // ..., path ids 1 and 2, label BGP4MP_AP): the routes bird-mrtdump_bgp, the same lab
    // session written with the right subtype, holds.
    Divergence { file: "bird_bgp", lines: |l| l.contains("|A|"), bgpdump: 24, ours: 14 },
    // The IPv6 twin: bgpdump invents 32 routes (::/0, 4000::/1, 100:100::140:fd01:1/0, ...);
    // we print the 14 real ones (fd01:1::/64, ..., fd02:17::/64) with their path ids.
    Divergence { file: "bird6_bgp", lines: |l| l.contains("|A|"), bgpdump: 32, ours: 14 },
    // OpenBGPD wrote the route to 192.168.0.0/16 with an 8-byte AGGREGATOR (4-octet AS) in
    // the legacy TABLE_DUMP, whose attributes have 2-octet AS numbers (RFC 6396 §4.2).
    // bgpdump reads AS 0 and address 253.232.192.168 out of it. RFC 7606 §7.7 says to
    // discard the malformed AGGREGATOR and keep the route, which we do: our line has an
    // empty aggregator field, so it cannot match bgpdump's.
    Divergence {
        file: "openbgpd_rib_table",
        lines: |l| l.contains("|192.168.0.0/16|"),
        bgpdump: 1,
        ours: 1,
    },
];

/// Our line of the deprecated BGP type (5) as bgpdump 1.6.2 prints it, with its two slips:
/// its A lines lose the `|` between the MED and the communities (`|0|0174:100|NAG||`), and its
/// W lines print the peer address where the withdrawn prefix's address belongs (both come
/// from one `printf` with two `inet_ntoa` calls, which share one static buffer). The prefix
/// length and every other field are still compared.
fn as_bgpdump_prints_type_5(line: &str) -> String {
    let mut f: Vec<String> = line.split('|').map(String::from).collect();
    match f.get(2).map(String::as_str) {
        Some("A") if f.len() > 11 => {
            let communities = f.remove(11);
            f[10].push_str(&communities);
        }
        Some("W") if f.len() == 6 => {
            let len = f[5].split_once('/').map_or("", |(_, l)| l).to_string();
            f[5] = format!("{}/{len}", f[3]);
        }
        _ => {}
    }
    f.join("|")
}

#[test]
fn pipe_output_matches_bgpdump_line_for_line() {
    let scratch = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp/mrt-pipe");
    std::fs::create_dir_all(&scratch).unwrap();
    let mut failures = Vec::new();
    for path in mrt_files() {
        let theirs = bgpdump(&path);
        let ours = pipe_output(&records(&path));
        let ours: String = ours
            .lines()
            .map(|l| if l.starts_with("BGP|") { as_bgpdump_prints_type_5(l) } else { l.into() })
            .flat_map(|l| [l, "\n".into()])
            .collect();
        std::fs::write(scratch.join(format!("{}.bgpdump", name(&path))), &theirs).unwrap();
        std::fs::write(scratch.join(format!("{}.ours", name(&path))), &ours).unwrap();
        let divergence = DIVERGENCES.iter().find(|d| d.file == name(&path));
        let keep = |l: &&str| divergence.is_none_or(|d| !(d.lines)(l));
        let (t, o): (Vec<&str>, Vec<&str>) =
            (theirs.lines().filter(keep).collect(), ours.lines().filter(keep).collect());
        if let Some(d) = divergence {
            let excluded = (theirs.lines().count() - t.len(), ours.lines().count() - o.len());
            assert_eq!(excluded, (d.bgpdump, d.ours), "{}: excluded (bgpdump, ours)", d.file);
        }
        if let Some(i) = (0..t.len().max(o.len())).find(|&i| t.get(i) != o.get(i)) {
            failures.push(format!(
                "{}: line {} differs\n  bgpdump: {:?}\n  ours:    {:?}",
                name(&path),
                i + 1,
                t.get(i),
                o.get(i)
            ));
        }
        assert!(!t.is_empty() || name(&path) == "openbgpd_rib_table-mp", "{}", path.display());
    }
    assert!(
        failures.is_empty(),
        "{}\n(full outputs in {})",
        failures.join("\n"),
        scratch.display()
    );
}

/// Records the model does not carry, per file; nothing else may be left out.
const NOT_MODELLED: &[(&str, u64)] = &[
    // BGP4MP_ENTRY (subtype 2), deprecated by RFC 6396 and not decoded.
    ("openbgpd_rib_table-mp", 31),
    // RIB_GENERIC for IPv4 VPN (AFI 1, SAFI 128).
    ("openbgpd_rib_table-v2", 2),
];

#[test]
fn every_mrt_file_decodes_without_error() {
    for path in mrt_files() {
        let mut reader = MrtReader::open(&path).unwrap();
        let (mut failed_routes, mut discarded) = (0, Vec::new());
        for r in reader.by_ref() {
            let record = r.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            match &record.body {
                MrtBody::Message(m) => {
                    if let Err(e) = &m.message {
                        panic!("{} at byte {}: {e}", path.display(), record.offset)
                    }
                }
                MrtBody::Rib(rib) => {
                    failed_routes += rib.entries.iter().filter(|e| e.route.is_err()).count()
                }
                MrtBody::TableDump(t) => match &t.route {
                    Ok(route) => discarded
                        .extend(route.errors.iter().map(|e| (t.prefix.to_string(), e.type_code))),
                    Err(_) => failed_routes += 1,
                },
                _ => {}
            }
        }
        assert_eq!(failed_routes, 0, "{}: RIB entries rejected", path.display());
        // The bad AGGREGATOR of openbgpd_rib_table is discarded, not the route, and the
        // discard is on record (DIVERGENCES).
        let expected: &[(&str, u8)] =
            if name(&path) == "openbgpd_rib_table" { &[("192.168.0.0/16", 7)] } else { &[] };
        let discarded: Vec<(&str, u8)> = discarded.iter().map(|(p, c)| (p.as_str(), *c)).collect();
        assert_eq!(discarded, expected, "{}: attributes discarded", path.display());
        let stats = reader.stats();
        let not_modelled =
            NOT_MODELLED.iter().find(|(f, _)| *f == name(&path)).map_or(0, |(_, n)| *n);
        assert_eq!(stats.not_modelled, not_modelled, "{}", path.display());
        assert_eq!(stats.malformed, 0, "{}", path.display());
    }
}

#[test]
fn ris_counts_agree_with_provenance() {
    let (mut announced, mut withdrawn, mut peers) = (0, 0, HashSet::new());
    let records = records(&data_dir().join(RIS));
    for r in &records {
        let r = r.as_ref().unwrap();
        if let MrtBody::Message(m) = &r.body
            && let Ok(Message::Update(u)) = &m.message
        {
            announced += u.announced_count();
            withdrawn += u.withdrawn.len();
            peers.insert(m.peer_ip);
        }
    }
    // PROVENANCE.md: 54,514 records, 63 peers, 159,948 announcements, 2,626 withdrawals.
    assert_eq!((records.len(), peers.len(), announced, withdrawn), (54_514, 63, 159_948, 2_626));
}

/// The RIS file decompressed, and the offset of every record in it.
fn ris_plain() -> (Vec<u8>, Vec<u64>) {
    let file = std::fs::File::open(data_dir().join(RIS)).unwrap();
    let mut plain = Vec::new();
    decompressed(file).unwrap().1.read_to_end(&mut plain).unwrap();
    let mut reader = MrtReader::new(Cursor::new(plain.clone())).unwrap();
    let mut offsets = Vec::new();
    while let Some(r) = reader.next_raw() {
        offsets.push(r.unwrap().offset);
    }
    (plain, offsets)
}

fn read(bytes: Vec<u8>) -> Vec<Result<MrtRecord, MrtError>> {
    MrtReader::new(Cursor::new(bytes)).unwrap().collect()
}

#[test]
fn truncated_input_is_an_error_at_the_cut_record() {
    let (plain, offsets) = ris_plain();
    assert_eq!(offsets.len(), 54_514);
    let last = offsets.len() - 1;
    // Inside a header, just after one, inside a body, one byte short of the end.
    for (k, into) in [(0, 3), (1_000, 11), (20_000, 12), (40_000, 30), (last, 0)] {
        let cut = if k == last { plain.len() - 1 } else { offsets[k] as usize + into };
        let out = read(plain[..cut].to_vec());
        assert_eq!(out.len(), k + 1, "cut at {cut}");
        assert!(out[..k].iter().all(Result::is_ok), "cut at {cut}");
        match &out[k] {
            Err(e @ MrtError::Truncated { offset, available, .. }) => {
                assert_eq!((*offset, *available), (offsets[k], (cut as u64 - offsets[k])));
                assert!(e.to_string().contains(&format!("at byte {}", offsets[k])), "{e}");
            }
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
    // A cut on a record boundary is a clean end.
    let out = read(plain[..offsets[30_000] as usize].to_vec());
    assert_eq!((out.len(), out.iter().all(Result::is_ok)), (30_000, true));
}

#[test]
fn a_corrupted_length_is_an_error_for_that_record_with_its_offset() {
    let (plain, offsets) = ris_plain();
    let k = 100;
    let at = offsets[k] as usize + 8;
    let length = u32::from_be_bytes(plain[at..at + 4].try_into().unwrap());
    for (bad, fatal) in [(length + 1000, false), (length - 1, false), (u32::MAX, true)] {
        let mut bytes = plain.clone();
        bytes[at..at + 4].copy_from_slice(&bad.to_be_bytes());
        let out = read(bytes);
        assert!(out[..k].iter().all(Result::is_ok));
        let e = out[k].as_ref().expect_err("the corrupted record");
        assert_eq!((e.offset(), e.is_fatal()), (Some(offsets[k]), fatal), "length {bad}: {e}");
        if !fatal {
            assert!(matches!(e, MrtError::Malformed { reason, .. } if reason.contains("length")));
        }
    }
}

#[test]
fn corrupt_gzip_is_an_error_with_an_offset() {
    let gz = std::fs::read(data_dir().join(RIS)).unwrap();
    let mut corrupt = gz.clone();
    corrupt[600_000..600_064].iter_mut().for_each(|b| *b = !*b);
    for bytes in [corrupt, gz[..900_000].to_vec()] {
        let out = read(bytes);
        assert!(out.len() > 1_000);
        let last = out.last().unwrap().as_ref().expect_err("a fatal error at the end");
        assert!(last.is_fatal() && last.offset().is_some_and(|o| o > 1_000_000), "{last}");
        assert_eq!(out.iter().filter(|r| r.is_err()).count(), 1, "{last}");
    }
}

fn record_strategy() -> impl Strategy<Value = Vec<u8>> {
    let known = (
        prop::sample::select(vec![12u16, 13, 16, 17]),
        0u16..14,
        prop::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(t, s, body)| mrt_record(t, s, &body));
    // A RIB record for peer 0 with arbitrary attributes: the synthetic UPDATE path.
    let rib =
        (prop::sample::select(vec![2u16, 4, 8, 10]), prop::collection::vec(any::<u8>(), 0..120))
            .prop_map(|(s, attrs)| {
                let mut body = vec![0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
                if s >= 8 {
                    body.extend_from_slice(&[0, 0, 0, 7]);
                }
                body.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
                body.extend_from_slice(&attrs);
                mrt_record(13, s, &body)
            });
    // A BGP4MP_MESSAGE_AS4(_ADDPATH) with a BGP header and an arbitrary body.
    let message =
        (prop::sample::select(vec![4u16, 9]), 1u8..6, prop::collection::vec(any::<u8>(), 0..120))
            .prop_map(|(s, kind, msg)| {
                let mut body = vec![0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 10, 0, 0, 1, 10, 0, 0, 2];
                body.extend_from_slice(&[0xff; 16]);
                body.extend_from_slice(&((19 + msg.len()) as u16).to_be_bytes());
                body.push(kind);
                body.extend_from_slice(&msg);
                mrt_record(16, s, &body)
            });
    prop_oneof![known, rib, message, prop::collection::vec(any::<u8>(), 0..64)]
}

fn mrt_record(mrt_type: u16, subtype: u16, body: &[u8]) -> Vec<u8> {
    record(1, mrt_type, subtype, body)
}

/// A PEER_INDEX_TABLE with one IPv4 peer, AS 65001.
fn peer_index_table() -> Vec<u8> {
    mrt_record(13, 1, &[10, 0, 0, 1, 0, 0, 0, 1, 2, 10, 0, 0, 2, 10, 0, 0, 2, 0, 0, 0xfd, 0xe9])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Arbitrary bytes, and records of every known type with arbitrary bodies (after a peer
    /// index table, so RIB parsing goes deep), end in records or errors, never a panic or
    /// an endless loop.
    #[test]
    fn arbitrary_bytes_never_panic_the_mrt_reader(
        records in prop::collection::vec(record_strategy(), 0..8),
        gzip_magic in any::<bool>(),
    ) {
        let mut bytes = if gzip_magic { vec![0x1f, 0x8b] } else { peer_index_table() };
        bytes.extend(records.concat());
        let len = bytes.len();
        let mut reader = MrtReader::new(Cursor::new(bytes)).unwrap();
        let mut items = 0;
        for r in reader.by_ref() {
            items += 1;
            prop_assert!(items <= len / 12 + 1, "more records than the input can hold");
            if let Ok(r) = r {
                pipe::write_record(&mut std::io::sink(), &r).unwrap();
            }
        }
        prop_assert!(reader.stats().bytes <= len as u64);
    }
}
