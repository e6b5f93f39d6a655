//! `bgpstorm decode` never loses input without a word: the deprecated MRT type 5 of the
//! 1999–2000 RIS archives is decoded, input that is not MRT (zeros, random bytes) and records
//! nobody decodes are errors with exit 1, and a captured flow that starts in the middle of a
//! message and never shows a BGP marker again is counted and fails the run. An empty input
//! is no error, but it is said.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The two type-5 archives (RIPE RIS rrc00, December 1999 and January 2000).
const MRTD_1999: &str = "data/mrt/ris-rrc00-1999-2000/updates.19991214.1621.gz";
const MRTD_2000: &str = "data/mrt/ris-rrc00-1999-2000/updates.20000102.2014.gz";
/// A real capture of four BGP sessions (tcpdump's test suite).
const CAPTURE: &str = "data/pcap/feature-captures/bgp-4byte-asn.pcap";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn bgpstorm(args: &[&str]) -> Output {
    Command::new("timeout")
        .arg("120")
        .arg(env!("CARGO_BIN_EXE_bgpstorm"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run bgpstorm")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn scratch(name: &str) -> PathBuf {
    let dir = root().join("target/tmp/decode-lost");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The value of one `--stats` line (`announcements    54126`).
fn stat(stderr: &str, name: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(name).map(str::trim))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no `{name}` in the statistics:\n{stderr}"))
}

// ---- MRT ------------------------------------------------------------------------------

#[test]
fn the_deprecated_bgp_type_of_1999_archives_is_decoded_with_exit_0() {
    // PROVENANCE.md: announcements, withdrawals, state changes and peers of each file.
    for (file, announced, withdrawn, states) in
        [(MRTD_1999, 54_126, 1_363, 27), (MRTD_2000, 5_668, 675, 16)]
    {
        let out = bgpstorm(&["decode", "--stats", file]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{file}: {err}");
        let stdout = text(&out.stdout);
        let count =
            |kind: &str| stdout.lines().filter(|l| l.split('|').nth(2) == Some(kind)).count();
        assert_eq!(
            (count("A"), count("W"), count("STATE")),
            (announced, withdrawn, states),
            "{file}"
        );
        assert!(stdout.lines().all(|l| l.starts_with("BGP|")), "{file}");
        assert_eq!(stat(&err, "announcements"), announced as u64, "{file}");
        assert_eq!(stat(&err, "peers"), 8, "{file}");
        assert_eq!(stat(&err, "errors"), 0, "{file}");
    }
    // The December file holds one of every message subtype the format defines.
    let out = bgpstorm(&["decode", "--format", "jsonl", MRTD_1999]);
    let kinds = ["\"OPEN\"", "\"NOTIFICATION\"", "\"KEEPALIVE\"", "\"UPDATE\""];
    let stdout = text(&out.stdout);
    for kind in kinds {
        assert!(stdout.contains(kind), "no {kind} message in the jsonl output");
    }
}

#[test]
fn an_all_zero_file_is_not_mrt_and_exits_1() {
    let zeros = scratch("zeros.bin");
    let padded = scratch("zeros-after-a-record.mrt");
    let plain = scratch("ris-2000.mrt");
    let whole = std::fs::read(root().join(MRTD_2000)).unwrap();
    let mut decoded = Vec::new();
    let (_, mut reader) = bgpstorm_wire::mrt::decompressed(std::io::Cursor::new(whole)).unwrap();
    std::io::Read::read_to_end(&mut reader, &mut decoded).unwrap();
    std::fs::write(&plain, &decoded).unwrap();
    // Record lengths: a multiple of 12 bytes of zeros is a whole number of empty headers.
    for (file, bytes) in [(&zeros, vec![0u8; 65_536]), (&zeros, vec![0u8; 12_000])] {
        std::fs::write(file, bytes).unwrap();
        let out = bgpstorm(&["decode", file.to_str().unwrap()]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("zeros.bin: not MRT data at byte 0: a zero-filled header"), "{err}");
        assert!(out.stdout.is_empty());
    }
    // Zero padding after real records: the records are written, the padding is an error.
    let mut bytes = decoded.clone();
    bytes.extend_from_slice(&[0; 4096]);
    std::fs::write(&padded, bytes).unwrap();
    let out = bgpstorm(&["decode", padded.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("not MRT data at byte {}", decoded.len())), "{err}");
    let clean = bgpstorm(&["decode", plain.to_str().unwrap()]);
    assert_eq!(out.stdout, clean.stdout);
}

#[test]
fn an_empty_input_is_said_on_stderr_and_exits_0() {
    let empty = scratch("empty.mrt");
    std::fs::write(&empty, b"").unwrap();
    // A file, and standard input (closed at once by the test's Command).
    for (arg, name) in [(empty.to_str().unwrap(), "empty.mrt"), ("-", "-")] {
        let out = bgpstorm(&["decode", "--stats", arg]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(err.contains(&format!("{name}: empty, no records")), "{err}");
        assert_eq!(stat(&err, "records"), 0);
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn random_bytes_are_not_mrt_and_exit_1() {
    let file = scratch("random.bin");
    for seed in [1u64, 7, 42, 1999, 0x5eed] {
        // xorshift64*: the same bytes on every run.
        let mut x = seed;
        let bytes: Vec<u8> = (0..65_536)
            .map(|_| {
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
            })
            .collect();
        std::fs::write(&file, bytes).unwrap();
        let out = bgpstorm(&["decode", file.to_str().unwrap()]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "seed {seed}: {err}");
        assert!(err.contains("random.bin: "), "seed {seed}: {err}");
        assert!(!err.contains("panicked"), "seed {seed}: {err}");
    }
}

fn mrt_record(mrt_type: u16, subtype: u16, body: &[u8]) -> Vec<u8> {
    let mut r = 946_684_800u32.to_be_bytes().to_vec();
    r.extend_from_slice(&mrt_type.to_be_bytes());
    r.extend_from_slice(&subtype.to_be_bytes());
    r.extend_from_slice(&(body.len() as u32).to_be_bytes());
    r.extend_from_slice(body);
    r
}

#[test]
fn records_of_types_that_are_not_decoded_are_reported_and_exit_1() {
    let file = scratch("ospf-and-entry.mrt");
    // An OSPFv2 record (type 11) and a BGP4MP_ENTRY (16/2, deprecated): registered types
    // whose content is not read.
    let bytes = [mrt_record(11, 0, &[0; 8]), mrt_record(16, 2, &[0; 4])].concat();
    std::fs::write(&file, bytes).unwrap();
    let out = bgpstorm(&["decode", "--stats", file.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("record at byte 0: type 11 OSPFv2 is not decoded"), "{err}");
    assert!(err.contains("record at byte 20: BGP4MP subtype 2 is not decoded"), "{err}");
    assert_eq!(stat(&err, "mrt.not-decoded"), 2);
    // A RIB of a family outside the route model is counted, not an error (exit 0).
    let out = bgpstorm(&["decode", "--stats", "data/mrt/daemon-samples/openbgpd_rib_table-v2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

// ---- captures -------------------------------------------------------------------------

/// One packet of a classic little-endian pcap file.
#[derive(Clone)]
struct Packet {
    header: [u8; 16],
    data: Vec<u8>,
}

/// The global header and the packets of a classic pcap file (Ethernet).
fn read_pcap(path: &str) -> (Vec<u8>, Vec<Packet>) {
    let bytes = std::fs::read(root().join(path)).unwrap();
    assert_eq!(bytes[..4], [0xd4, 0xc3, 0xb2, 0xa1], "{path}: a little-endian pcap");
    let mut packets = Vec::new();
    let mut at = 24;
    while at < bytes.len() {
        let header: [u8; 16] = bytes[at..at + 16].try_into().unwrap();
        let len = u32::from_le_bytes(header[8..12].try_into().unwrap()) as usize;
        packets.push(Packet { header, data: bytes[at + 16..at + 16 + len].to_vec() });
        at += 16 + len;
    }
    (bytes[..24].to_vec(), packets)
}

fn write_pcap(path: &Path, global: &[u8], packets: &[Packet]) {
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(global).unwrap();
    for p in packets {
        f.write_all(&p.header).unwrap();
        f.write_all(&p.data).unwrap();
    }
}

/// Where the TCP header and the payload of an Ethernet/IPv4/TCP packet start.
fn tcp_offsets(p: &Packet) -> (usize, usize) {
    let tcp = 14 + usize::from(p.data[14] & 0x0f) * 4;
    (tcp, tcp + usize::from(p.data[tcp + 12] >> 4) * 4)
}

fn ports(p: &Packet) -> (u16, u16) {
    let (tcp, _) = tcp_offsets(p);
    let port = |at: usize| u16::from_be_bytes([p.data[at], p.data[at + 1]]);
    (port(tcp), port(tcp + 2))
}

/// The packet with the first `cut` payload bytes removed, as if the capture had begun there:
/// IP total length, TCP sequence number and the record lengths follow.
fn cut_front(p: &Packet, cut: usize) -> Packet {
    let (tcp, payload) = tcp_offsets(p);
    let mut data = p.data[..payload].to_vec();
    data.extend_from_slice(&p.data[payload + cut..]);
    let total = u16::from_be_bytes([data[16], data[17]]) - cut as u16;
    data[16..18].copy_from_slice(&total.to_be_bytes());
    let seq = u32::from_be_bytes(data[tcp + 4..tcp + 8].try_into().unwrap()) + cut as u32;
    data[tcp + 4..tcp + 8].copy_from_slice(&seq.to_be_bytes());
    let mut header = p.header;
    header[8..12].copy_from_slice(&(data.len() as u32).to_le_bytes());
    header[12..16].copy_from_slice(&(data.len() as u32).to_le_bytes());
    Packet { header, data }
}

/// The data segments one speaker (client port 35169) sent to port 179, after its OPEN and
/// KEEPALIVE: an 88-byte UPDATE alone in its segment, then three more messages.
fn client_segments() -> (Vec<u8>, Vec<Packet>) {
    let (global, packets) = read_pcap(CAPTURE);
    let sent: Vec<Packet> = packets
        .into_iter()
        .filter(|p| p.data[12..14] == [0x08, 0x00] && ports(p) == (35169, 179))
        .filter(|p| {
            let (_, payload) = tcp_offsets(p);
            p.data.len() > payload
        })
        .collect();
    let lens: Vec<usize> = sent.iter().map(|p| p.data.len() - tcp_offsets(p).1).collect();
    assert_eq!(lens, [55, 19, 88, 19, 48, 72], "the capture's segments of 35169 -> 179");
    (global, sent[2..].to_vec())
}

#[test]
fn a_flow_that_starts_mid_message_and_never_shows_a_marker_is_counted_and_exits_1() {
    let (global, sent) = client_segments();
    // The UPDATE without its 16-byte marker: the capture began one byte after it.
    let lost = cut_front(&sent[0], 16);
    let (_, payload) = tcp_offsets(&lost);
    assert!(!lost.data[payload..].windows(16).any(|w| w.iter().all(|&b| b == 0xff)));
    let file = scratch("mid-stream-no-marker.pcap");
    write_pcap(&file, &global, &[lost]);
    let out = bgpstorm(&["decode", "--stats", file.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(":35169 -> ") && err.contains("ended with 72 bytes never decoded"),
        "{err}"
    );
    assert_eq!(stat(&err, "unsynced_flows"), 1);
    assert_eq!(stat(&err, "unsynced_bytes"), 72);
    assert_eq!(stat(&err, "capture.unsynced"), 1);
    assert!(out.stdout.is_empty());
}

#[test]
fn a_flow_that_starts_mid_message_and_resyncs_keeps_decoding() {
    let (global, sent) = client_segments();
    let mut packets = vec![cut_front(&sent[0], 16)];
    packets.extend_from_slice(&sent[1..]);
    let file = scratch("mid-stream-resync.pcap");
    write_pcap(&file, &global, &packets);
    let out = bgpstorm(&["decode", "--stats", file.to_str().unwrap()]);
    let err = text(&out.stderr);
    // The dropped bytes are reported as a resync (exit 1, as before); nothing is unsynced.
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("72 bytes skipped before a message header"), "{err}");
    assert!(!err.contains("never decoded") && !err.contains("unsynced"), "{err}");
    assert_eq!(stat(&err, "messages"), 3);
    assert!(!out.stdout.is_empty(), "the UPDATEs after the resync print routes");
}
