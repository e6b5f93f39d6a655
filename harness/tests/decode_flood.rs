//! `bgpstorm decode` of a capture in which 100,000 junk connection attempts (SYNs to port 179
//! from distinct addresses and ports) come before a real BGP session: the flood fills the flow
//! table past its limit, and the session must still be decoded in full, with every evicted
//! flow counted in `--stats`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bgpstorm_monitor::capture::writer::PcapWriter;
use bgpstorm_monitor::capture::{CaptureEvent, PcapSource, TcpFlags};

/// A capture of a real session (OPENs, then UPDATEs of 4-octet AS paths).
const SESSION: &str = "data/pcap/feature-captures/bgp-4byte-asn.pcap";
const FLOOD: u32 = 100_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
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

/// The `name: value` counter of a `--stats` report, 0 when not printed.
fn counter(stats: &str, name: &str) -> u64 {
    stats
        .lines()
        .filter_map(|l| l.trim().split_once(char::is_whitespace))
        .find(|(k, _)| k.trim_end_matches(':') == name)
        .map_or(0, |(_, v)| v.trim().parse().unwrap())
}

/// One junk SYN: source 198.18.x.y (RFC 2544 benchmarking space), port from the index.
fn junk_syn(i: u32, ts_ns: u64) -> CaptureEvent {
    let [_, b, c, d] = i.to_be_bytes();
    CaptureEvent {
        ts_ns,
        ifindex: 0,
        direction: None,
        src: SocketAddr::from((Ipv4Addr::new(198, 18 | (b & 1), c, d), 1024 + (i % 50_000) as u16)),
        dst: SocketAddr::from((Ipv4Addr::new(198, 19, 255, 1), 179)),
        seq: i.wrapping_mul(2_654_435_761),
        ack: 0,
        flags: TcpFlags(0x02),
        payload: Vec::new(),
        payload_len: 0,
    }
}

/// Writes `FLOOD` junk SYNs within the second before the session, then the session as
/// captured (same timestamps, so its decoded lines are the original's).
fn flooded_capture(path: &Path) {
    let mut source = PcapSource::open(root().join(SESSION)).expect("open the session capture");
    let mut session = Vec::new();
    while let Some(ev) = source.next_event() {
        session.push(ev.expect("the session capture reads cleanly"));
    }
    let start = session.first().expect("the capture has segments").ts_ns;
    let file = std::fs::File::create(path).unwrap();
    let mut w = PcapWriter::new(std::io::BufWriter::new(file), 0).unwrap();
    let from = start - 1_000_000_000;
    for i in 0..FLOOD {
        w.write(&junk_syn(i, from + u64::from(i) * 5_000)).unwrap();
    }
    for ev in &session {
        w.write(ev).unwrap();
    }
    drop(w.into_inner());
}

#[test]
fn a_session_after_a_flood_of_100000_junk_syns_is_decoded_in_full() {
    let dir = root().join("target/tmp/decode-flood");
    std::fs::create_dir_all(&dir).unwrap();
    let flooded = dir.join("flood-then-session.pcap");
    flooded_capture(&flooded);

    let alone = bgpstorm(&["decode", SESSION]);
    let routes = text(&alone.stdout);
    assert!(routes.lines().count() > 10, "the session alone decodes to routes: {routes}");

    let got = bgpstorm(&["decode", "--stats", flooded.to_str().unwrap()]);
    let stats = text(&got.stderr);
    assert_eq!(text(&got.stdout), routes, "every route of the session, as without the flood");
    assert_eq!(got.status.code(), alone.status.code(), "{stats}");
    // The table holds 65,536 flows: the flood's excess and then room for each session
    // flow were evicted, junk first, and nothing was refused.
    let evicted = counter(&stats, "evicted_half_open");
    assert!(evicted >= u64::from(FLOOD) - 65_536, "{stats}");
    assert_eq!(counter(&stats, "evicted_established"), 0, "{stats}");
    assert_eq!(counter(&stats, "untracked_segments"), 0, "{stats}");
}
