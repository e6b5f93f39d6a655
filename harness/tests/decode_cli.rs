//! `bgpstorm decode` as users run it: the binary on real files, its output, its statistics,
//! its errors and its exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bgpstorm_harness::snapshot;

const RIS: &str = "mrt/ris-rrc00-2019/updates.20190101.0000.gz";

/// The repository root: the binary is run from there so that paths in the output are the
/// relative ones users type (`data/...`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// A data file as a path relative to the repository root.
fn data(rel: &str) -> String {
    format!("data/{rel}")
}

fn bgpstorm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bgpstorm"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run bgpstorm")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn scratch(name: &str) -> PathBuf {
    let dir = root().join("target/tmp/decode-cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn pipe_output_of_the_ris_file_is_bgpdumps_byte_for_byte() {
    let ours = bgpstorm(&["decode", &data(RIS)]);
    assert_eq!(ours.status.code(), Some(0), "{}", text(&ours.stderr));
    let theirs = Command::new("bgpdump")
        .args(["-q", "-m"])
        .arg(root().join(data(RIS)))
        .output()
        .expect("bgpdump cannot run: run ci/setup, it installs Debian's bgpdump");
    assert!(theirs.status.success());
    let (ours, theirs) = (text(&ours.stdout), text(&theirs.stdout));
    assert_eq!(ours.lines().count(), 162_617);
    if let Some((i, (a, b))) =
        ours.lines().zip(theirs.lines()).enumerate().find(|(_, (a, b))| a != b)
    {
        panic!("line {} differs\n  ours:    {a}\n  bgpdump: {b}", i + 1);
    }
    assert_eq!(ours, theirs);
}

#[test]
fn stats_count_what_the_provenance_says_the_ris_file_holds() {
    let out = bgpstorm(&["decode", "--stats", &data(RIS)]);
    assert_eq!(out.status.code(), Some(0));
    let stats = text(&out.stderr);
    let field = |name: &str| -> String {
        let line = stats
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {stats}"));
        line[name.len()..].trim().to_string()
    };
    assert_eq!(field("records"), "54514");
    assert_eq!(field("announcements"), "159948");
    assert_eq!(field("withdrawals"), "2626");
    assert_eq!(field("state changes"), "43");
    assert_eq!(field("errors"), "0");
    assert!(field("throughput").ends_with("prefixes/s"), "{stats}");
}

#[test]
fn jsonl_has_one_object_per_message_with_stable_keys() {
    let out = bgpstorm(&["decode", "--format", "jsonl", &data(RIS)]);
    assert_eq!(out.status.code(), Some(0));
    let (mut messages, mut states, mut announced) = (0, 0, 0);
    for line in text(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON object per line");
        assert!(line.starts_with(r#"{"source":"mrt","file":"data/mrt/ris-rrc00-2019/"#), "{line}");
        match v["kind"].as_str() {
            Some("message") => {
                messages += 1;
                if let Some(reach) = v["message"]["reach"].as_array() {
                    announced +=
                        reach.iter().map(|r| r["nlri"].as_array().unwrap().len()).sum::<usize>();
                }
            }
            Some("state") => states += 1,
            other => panic!("unexpected kind {other:?}: {line}"),
        }
    }
    assert_eq!((messages, states, announced), (54_471, 43, 159_948));
}

#[test]
fn a_truncated_archive_keeps_the_records_before_the_cut_and_exits_1() {
    let whole =
        std::fs::read(root().join(data("mrt/routeviews-2016/updates.20161101.0000.bz2"))).unwrap();
    let plain = decompress(&whole);
    let cut = scratch("truncated.mrt");
    std::fs::write(&cut, &plain[..plain.len() / 2]).unwrap();
    let out = bgpstorm(&["decode", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("truncated.mrt") && err.contains("truncated MRT record at byte"), "{err}");
    assert!(text(&out.stdout).lines().count() > 100);
}

/// The decompressed bytes of an MRT file, through the same reader users get.
fn decompress(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut r = bgpstorm_wire::mrt::decompressed(std::io::Cursor::new(bytes.to_vec()))
        .expect("compression detected")
        .1;
    std::io::Read::read_to_end(&mut r, &mut out).unwrap();
    out
}

#[test]
fn a_missing_file_is_reported_and_exits_2() {
    let out = bgpstorm(&["decode", "no/such/file.mrt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no/such/file.mrt: cannot open"), "{}", text(&out.stderr));
}

#[test]
fn wrong_usage_exits_2_with_a_message() {
    for args in [&["decode"][..], &["decode", "--format", "xml", "x"], &["frobnicate"]] {
        let out = bgpstorm(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).starts_with("error:"), "{args:?}: {}", text(&out.stderr));
    }
}

#[test]
fn a_garbage_file_is_an_error_not_a_panic() {
    let junk = scratch("junk.bin");
    std::fs::write(&junk, b"this is not MRT, it is not a capture either\n").unwrap();
    let out = bgpstorm(&["decode", "--stats", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"));
}

#[test]
fn a_capture_prints_its_updates_with_capture_time_and_sender() {
    let out = bgpstorm(&["decode", &data("pcap/feature-captures/bgp-large-community.pcap")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let first = stdout.lines().next().expect("an A line");
    let fields: Vec<&str> = first.split('|').collect();
    assert_eq!(fields[0], "BGP4MP_ET");
    assert!(fields[1].contains('.') && fields[1].len() == 17, "seconds.micro: {first}");
    assert_eq!(fields[2], "A");
}

#[test]
fn a_capture_with_malformed_messages_reports_them_and_exits_1() {
    let out = bgpstorm(&["decode", &data("pcap/feature-captures/bgp-lu-multiple-labels.pcap")]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("bgp-lu-multiple-labels.pcap: flow 2.1.1.1:"), "{err}");
    assert!(err.contains("session-reset"), "{err}");
}

/// jsonl decodes of a few captures, checked against insta snapshots in `snapshots/`.
#[test]
fn jsonl_of_captures_matches_the_snapshots() {
    for (name, file) in [
        ("jsonl_bgp4_update", "pcap/single-messages/bgp4-update.pcap"),
        ("jsonl_large_community", "pcap/feature-captures/bgp-large-community.pcap"),
        ("jsonl_4byte_asn", "pcap/feature-captures/bgp-4byte-asn.pcap"),
        ("jsonl_table_dump_v2", "mrt/daemon-samples/bird-mrtdump_rib"),
    ] {
        let out = bgpstorm(&["decode", "--format", "jsonl", &data(file)]);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", text(&out.stderr));
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../snapshots");
        let mode = snapshot::Mode::from_env();
        if let Err(e) = snapshot::check(&dir, name, file!(), &text(&out.stdout), mode) {
            panic!("{e}");
        }
    }
}

/// One BGP4MP_MESSAGE_AS4 record (RFC 6396 §4.4.3) of `msg` from 192.0.2.1 (AS 65001) to
/// 192.0.2.2 (AS 65002) at Unix time 1,546,300,800.
fn bgp4mp_as4(msg: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&65001u32.to_be_bytes());
    body.extend_from_slice(&65002u32.to_be_bytes());
    body.extend_from_slice(&[0, 0, 0, 1, 192, 0, 2, 1, 192, 0, 2, 2]);
    body.extend_from_slice(msg);
    let mut rec = 1_546_300_800u32.to_be_bytes().to_vec();
    rec.extend_from_slice(&[0, 16, 0, 4]);
    rec.extend_from_slice(&(body.len() as u32).to_be_bytes());
    rec.extend_from_slice(&body);
    rec
}

/// An UPDATE with the path attributes and NLRI given, and no withdrawn routes.
fn update(attrs: &[u8], nlri: &[u8]) -> Vec<u8> {
    let mut m = vec![0xff; 16];
    m.extend_from_slice(&((23 + attrs.len() + nlri.len()) as u16).to_be_bytes());
    m.extend_from_slice(&[2, 0, 0]);
    m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    m.extend_from_slice(attrs);
    m.extend_from_slice(nlri);
    m
}

/// IPv4 multicast routes (SAFI 2) print as A and W lines like unicast ones, as bgpdump
/// prints them: 192.12.135.0/24 announced as multicast, then withdrawn.
#[test]
fn multicast_routes_print_their_a_and_w_lines_like_bgpdump() {
    // ORIGIN IGP, AS_PATH 65001 (4-octet); MP_REACH_NLRI AFI 1 SAFI 2, next hop
    // 198.51.100.1, 192.12.135.0/24.
    let attrs = [0x40, 1, 1, 0, 0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9];
    let mp_reach = [0x80, 14, 13, 0, 1, 2, 4, 198, 51, 100, 1, 0, 24, 192, 12, 135];
    let announce = update(&[&attrs[..], &mp_reach].concat(), &[]);
    let withdraw = update(&[0x80, 15, 7, 0, 1, 2, 24, 192, 12, 135], &[]);
    let file = scratch("multicast.mrt");
    std::fs::write(&file, [bgp4mp_as4(&announce), bgp4mp_as4(&withdraw)].concat()).unwrap();
    let out = bgpstorm(&["decode", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ours = text(&out.stdout);
    let lines: Vec<&str> = ours.lines().collect();
    assert_eq!(lines.len(), 2, "{ours}");
    assert!(
        lines[0].contains("|A|192.0.2.1|65001|192.12.135.0/24|65001|IGP|198.51.100.1|"),
        "{ours}"
    );
    assert!(lines[1].ends_with("|W|192.0.2.1|65001|192.12.135.0/24"), "{ours}");
    let theirs = Command::new("bgpdump").args(["-q", "-m"]).arg(&file).output().expect("bgpdump");
    assert_eq!(ours, text(&theirs.stdout));
}
