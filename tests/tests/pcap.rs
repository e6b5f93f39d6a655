//! Real captures through the whole pipeline (pcap → TCP reassembly → BGP framing → decoding),
//! checked against the independent decoders shipped beside them: tcpdump's `-v` text for the
//! feature captures, the collector's JSON for the multi-peer sessions.

use bgpstorm_monitor::capture::{CaptureError, PcapSource, SkipReason};
use bgpstorm_monitor::reassembly::ReassemblyConfig;
use bgpstorm_monitor::stream::{
    ContextSource, DecodeOptions, DecodeStats, PcapStream, StreamDecoder, StreamItem, decode_pcap,
};
use bgpstorm_wire::Message;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/pcap").join(rel)
}

/// Message and prefix counts, in terms every oracle can be compared in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Counts {
    /// By message type (OPEN, UPDATE, NOTIFICATION, KEEPALIVE, ROUTE-REFRESH).
    messages: BTreeMap<String, u64>,
    /// By "family announced" / "family withdrawn", e.g. "ipv4-unicast announced".
    prefixes: BTreeMap<String, u64>,
}

impl Counts {
    fn message(&mut self, kind: &str) {
        *self.messages.entry(kind.to_string()).or_default() += 1;
    }

    fn prefixes(&mut self, family: &str, withdrawn: bool, n: u64) {
        if n > 0 {
            let key = format!("{family} {}", if withdrawn { "withdrawn" } else { "announced" });
            *self.prefixes.entry(key).or_default() += n;
        }
    }

    /// Announced plus withdrawn per family (RFC 7606 treat-as-withdraw moves prefixes
    /// from one to the other).
    fn totals(&self) -> BTreeMap<String, u64> {
        let mut t = BTreeMap::new();
        for (k, n) in &self.prefixes {
            let family = k.split(' ').next().unwrap_or_default().to_string();
            *t.entry(family).or_default() += n;
        }
        t
    }
}

/// What our pipeline made of one capture.
struct Decoded {
    counts: Counts,
    /// Unusable messages: "TYPE: error".
    errors: Vec<String>,
    /// UPDATEs repaired under RFC 7606: "attribute code: action".
    repaired: Vec<String>,
    treat_as_withdraw: bool,
    not_modelled_updates: u64,
    items: Vec<StreamItem>,
    stats: DecodeStats,
}

fn type_name(t: u8) -> &'static str {
    bgpstorm_wire::framing::kind_name(t)
}

fn summarize(items: Vec<StreamItem>, stats: DecodeStats) -> Decoded {
    let mut d = Decoded {
        counts: Counts::default(),
        errors: Vec::new(),
        repaired: Vec::new(),
        treat_as_withdraw: false,
        not_modelled_updates: 0,
        items: Vec::new(),
        stats,
    };
    for item in &items {
        let StreamItem::Message(m) = item else { continue };
        let kind = type_name(m.raw.get(18).copied().unwrap_or(0));
        d.counts.message(kind);
        match &m.message {
            Ok(Message::Update(u)) => {
                for r in &u.reach {
                    d.counts.prefixes(&r.family.to_string(), false, r.nlri.len() as u64);
                }
                for n in &u.withdrawn {
                    d.counts.prefixes(&n.family().to_string(), true, 1);
                }
                for n in &u.not_modelled {
                    d.counts.prefixes(&n.family.to_string(), n.withdrawn, n.count as u64);
                }
                for e in &u.errors {
                    d.repaired.push(format!("attribute {}: {}", e.type_code, e.action));
                }
                d.treat_as_withdraw |= u.treat_as_withdraw;
                d.not_modelled_updates += u64::from(!u.not_modelled.is_empty());
            }
            Ok(_) => {}
            Err(e) => d.errors.push(format!("{kind}: {e}")),
        }
    }
    d.items = items;
    d
}

fn decode(path: &Path) -> Decoded {
    let mut stream = decode_pcap(path).unwrap_or_else(|e| panic!("{e}"));
    let items: Vec<StreamItem> = stream.by_ref().collect();
    summarize(items, stream.stats())
}

/// Counts of tcpdump's `-v` text. Message headers are "Update Message (2), length: ..."; the
/// prefixes of IPv4/IPv6 unicast are the lines under "Withdrawn routes:" and "Updated
/// routes:", and under a Multi-Protocol (Un)Reach NLRI attribute whose "AFI: ..., SAFI:
/// Unicast (1)" line names a unicast family. Other families are not counted: tcpdump
/// prints them in family-specific forms.
fn tcpdump_counts(text: &str) -> Counts {
    const KINDS: [(&str, &str); 5] = [
        ("Open Message (1)", "OPEN"),
        ("Update Message (2)", "UPDATE"),
        ("Notification Message (3)", "NOTIFICATION"),
        ("Keepalive Message (4)", "KEEPALIVE"),
        ("Route Refresh Message (5)", "ROUTE-REFRESH"),
    ];
    let mut c = Counts::default();
    // (family counted, withdrawn) of the section the current line belongs to.
    let mut section: Option<(Option<&str>, bool)> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some((_, kind)) = KINDS.iter().find(|(p, _)| t.starts_with(p)) {
            c.message(kind);
            section = None;
        } else if t == "Withdrawn routes:" {
            section = Some((Some("ipv4-unicast"), true));
        } else if t == "Updated routes:" {
            section = Some((Some("ipv4-unicast"), false));
        } else if t.starts_with("Multi-Protocol Reach NLRI") {
            section = Some((None, false));
        } else if t.starts_with("Multi-Protocol Unreach NLRI") {
            section = Some((None, true));
        } else if t.starts_with("AFI: ") {
            if let Some((_, w)) = section {
                let family = match (t.starts_with("AFI: IPv4 (1)"), t.starts_with("AFI: IPv6 (2)"))
                {
                    (true, _) if t.ends_with("SAFI: Unicast (1)") => Some("ipv4-unicast"),
                    (_, true) if t.ends_with("SAFI: Unicast (1)") => Some("ipv6-unicast"),
                    _ => None,
                };
                section = Some((family, w));
            }
        } else if t.contains("), length: ") && t.contains(", Flags [") {
            section = None;
        } else if let Some((Some(family), withdrawn)) = section {
            let first = t.split_whitespace().next().unwrap_or_default();
            if is_prefix(first) {
                c.prefixes(family, withdrawn, 1);
            }
        }
    }
    c
}

/// "192.0.2.0/24" or "2001:db8::/32".
fn is_prefix(s: &str) -> bool {
    s.split_once('/').is_some_and(|(addr, len)| {
        addr.parse::<std::net::IpAddr>().is_ok() && len.parse::<u8>().is_ok_and(|l| l <= 128)
    })
}

#[test]
fn the_tcpdump_text_reader_counts_messages_and_unicast_prefixes() {
    let text = "\tUpdate Message (2), length: 231\n\t  Withdrawn routes:\n\t    8.2.0.0/24   Path Id: 20\n\
        \t  Origin (1), length: 1, Flags [T]: EGP\n\t  Multi-Protocol Reach NLRI (14), length: 61, Flags [T]: \n\
        \t    AFI: IPv6 (2), SAFI: Unicast (1)\n\t    nexthop: 2000:0:0:40::1, nh-length: 16, no SNPA\n\
        \t      2002::1400:0/120   Path Id: 1\n\t  Multi-Protocol Reach NLRI (14), length: 16, Flags [O]: \n\
        \t    AFI: IPv4 (1), SAFI: labeled Unicast (4)\n\t      123.1.1.0/24, label:20 (bottom)\n\
        \t  Updated routes:\n\t    6.2.0.0/24\n\tKeepalive Message (4), length: 19\n";
    let c = tcpdump_counts(text);
    assert_eq!(c.messages, BTreeMap::from([("KEEPALIVE".into(), 1), ("UPDATE".into(), 1)]));
    assert_eq!(
        c.prefixes,
        BTreeMap::from([
            ("ipv4-unicast announced".into(), 1),
            ("ipv4-unicast withdrawn".into(), 1),
            ("ipv6-unicast announced".into(), 1),
        ])
    );
}

/// The (name, pcap, out) triples of tcpdump's TESTLIST.bgp whose files are both shipped.
fn tcpdump_tests() -> Vec<(String, PathBuf, PathBuf)> {
    let list = std::fs::read_to_string(data("feature-captures/TESTLIST.bgp")).unwrap();
    list.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (pcap, out) = (
                data(&format!("feature-captures/{}", f.get(1)?)),
                data(&format!("feature-captures/{}", f.get(2)?)),
            );
            (pcap.exists() && out.exists()).then(|| (f[0].to_string(), pcap, out))
        })
        .collect()
}

/// Captures that our pipeline reads differently from tcpdump, on purpose, and why.
fn tcpdump_differences(name: &str, d: &Decoded, expected: &mut Counts) {
    if name == "bgp-shutdown-communication" {
        // Frame 2 repeats frame 1's sequence numbers with one byte changed (the subcode).
        // tcpdump prints each frame; TCP delivers the first copy and we count the rewrite.
        *expected.messages.get_mut("NOTIFICATION").unwrap() -= 1;
        assert_eq!(d.stats.reassembly.conflicting_bytes, 1, "{name}");
    }
}

#[test]
fn feature_captures_agree_with_tcpdump_on_messages_and_unicast_prefixes() {
    let tests = tcpdump_tests();
    assert!(tests.len() >= 28, "TESTLIST pairs found: {}", tests.len());
    let mut mismatches = Vec::new();
    for (name, pcap, out) in &tests {
        let d = decode(pcap);
        let mut expected = tcpdump_counts(&std::fs::read_to_string(out).unwrap());
        tcpdump_differences(name, &d, &mut expected);
        let ours = &d.counts;
        // An unusable UPDATE has no prefixes to count: compare messages only.
        let prefixes_agree = if !d.errors.is_empty() {
            true
        } else if d.treat_as_withdraw {
            expected.totals() == unicast(&ours.totals())
        } else {
            expected.prefixes == unicast(&ours.prefixes)
        };
        if ours.messages != expected.messages || !prefixes_agree {
            mismatches.push(format!("{name}: ours {ours:?}\n    tcpdump {expected:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

fn unicast(m: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let is_unicast = |k: &str| k.starts_with("ipv4-unicast") || k.starts_with("ipv6-unicast");
    m.iter().filter(|(k, _)| is_unicast(k)).map(|(k, v)| (k.clone(), *v)).collect()
}

/// Messages that do not decode in the shipped captures, and why. Anything else that does
/// not decode is a failure.
const KNOWN_UNUSABLE: &[(&str, &str, usize, &str)] = &[
    // Intentionally malformed for tcpdump's printer: NEXT_HOP of length 0, and MP_REACH_NLRI
    // and MP_UNREACH_NLRI twice each, which RFC 7606 §3 (g) makes a session reset.
    ("bgp-addpath.pcap", "UPDATE", 1, "MP_REACH_NLRI twice"),
    // Intentionally malformed (tcpdump: "illegal prefix length"); the receiver reset the
    // session with a NOTIFICATION right after each.
    ("bgp-lu-multiple-labels.pcap", "UPDATE", 2, "malformed labeled-unicast NLRI"),
    // Wire-layer gaps (netgauze 0.13), well-formed on the wire:
    (
        "bgp-extended-optional-parameters-length.pcapng",
        "OPEN",
        1,
        "RFC 9072 extended optional parameters",
    ),
    (
        "bgp-orf.pcapng",
        "ROUTE-REFRESH",
        2,
        "RFC 5291 ORF entries make ROUTE-REFRESH longer than 23",
    ),
    ("bgp-rt-prefix.pcap", "UPDATE", 1, "RFC 4684 route target prefix of 51 bits"),
];

/// UPDATEs repaired under RFC 7606 in the shipped captures, and why.
const KNOWN_REPAIRED: &[(&str, usize, &str)] = &[
    // Wire-layer gap: BGPsec_PATH replaces AS_PATH (RFC 8205 §4), read as AS_PATH missing.
    ("bgp-bgpsec.pcap", 20, "attribute 2: treat-as-withdraw"),
];

fn all_captures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("pcap" | "pcapng")) {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(&data(""), &mut v);
    v
}

#[test]
fn every_capture_decodes_without_errors_where_the_data_is_well_formed() {
    let captures = all_captures();
    assert!(captures.len() >= 60, "captures found: {}", captures.len());
    let mut problems = Vec::new();
    for path in captures {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let d = decode(&path);
        let unusable = KNOWN_UNUSABLE.iter().find(|k| k.0 == file);
        let (kind, n) = unusable.map_or(("", 0), |k| (k.1, k.2));
        if d.errors.len() != n || !d.errors.iter().all(|e| e.starts_with(kind)) {
            problems.push(format!("{file}: {:?}", d.errors));
        }
        let repaired = KNOWN_REPAIRED.iter().find(|k| k.0 == file);
        let (n, what) = repaired.map_or((0, ""), |k| (k.1, k.2));
        if d.repaired.len() != n || !d.repaired.iter().all(|r| r == what) {
            problems.push(format!("{file}: repaired {:?}", d.repaired));
        }
        if d.stats.capture_errors > 0 || d.stats.stream.resyncs > 0 {
            problems.push(format!("{file}: {}", d.stats));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn captures_that_miss_segments_report_the_gap_and_resume_at_the_next_message() {
    // tcpdump's test files are extracts: frames of the session are missing in between.
    let role = decode(&data("feature-captures/bgp-role.pcapng"));
    let gaps: Vec<_> = role.items.iter().filter(|i| matches!(i, StreamItem::Gap { .. })).collect();
    assert!(matches!(gaps[..], [StreamItem::Gap { len: 38, .. }]), "{gaps:?}");
    assert_eq!(role.stats.stream.resync_dropped_bytes, 0, "the next segment starts a message");
    let reset = decode(&data("feature-captures/bgp-cease-hard-reset.pcap"));
    assert_eq!(reset.stats.reassembly.gaps, 1);
    assert_eq!(reset.counts.messages.get("NOTIFICATION"), Some(&1));
}

#[test]
fn a_session_captured_without_its_opens_is_decoded_under_a_checked_guess() {
    // 2-octet AS sessions: the 4-octet guess fails on the first UPDATE and is replaced.
    for file in
        ["feature-captures/bgp-aigp-2.pcap", "feature-captures/mpbgp-linklocal-nexthop.pcap"]
    {
        let d = decode(&data(file));
        assert_eq!(d.stats.stream.guess_switches, 1, "{file}");
        assert!(d.errors.is_empty() && d.repaired.is_empty(), "{file}");
    }
    // A capture of UPDATEs only (the OPENs are in another file): 4-octet AS guessed right.
    let d = decode(&data(
        "multi-peer-sessions/305-BGP-mem-leak-test/bgp-multi-sources-update-keepalive.pcap",
    ));
    let guessed = d.items.iter().filter(|i| {
        matches!(i, StreamItem::Message(m) if m.context == ContextSource::Guessed && m.sender.is_none())
    });
    assert_eq!(guessed.count(), 448);
    assert_eq!((d.stats.stream.guessed_updates, d.stats.stream.guess_retries), (416, 0));
}

#[test]
fn the_sender_of_each_message_is_known_once_its_open_was_seen() {
    let d = decode(&data("feature-captures/bgp-4byte-asn.pcap"));
    let mut senders = BTreeMap::new();
    for item in &d.items {
        if let StreamItem::Message(m) = item
            && let Some(s) = m.sender
        {
            senders.insert(m.flow.src.ip().to_string(), s.asn);
        }
    }
    // One speaker has AS 2764334674 (AS_TRANS 23456 in My AS); its peers 200, 300, 400 ...
    let asns: Vec<u32> = senders.values().copied().collect();
    assert!(asns.contains(&2764334674) && asns.contains(&200), "{senders:?}");
    assert_eq!(d.stats.stream.guessed_updates, 0, "both OPENs of every session are captured");
}

/// The messages and NLRI per family of the collector's JSON (netgauze's serde form, one
/// message per line).
fn collector_counts(text: &str) -> Counts {
    fn family(name: &str) -> String {
        match name {
            "Ipv4Unicast" => "ipv4-unicast",
            "Ipv6Unicast" => "ipv6-unicast",
            "Ipv4MplsVpnUnicast" => "ipv4-vpn",
            "Ipv6MplsVpnUnicast" => "ipv6-vpn",
            other => other,
        }
        .to_string()
    }
    let mut c = Counts::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        let kind = match &v {
            Value::String(s) => s.clone(),
            Value::Object(o) => o.keys().next().cloned().unwrap_or_default(),
            _ => String::new(),
        };
        c.message(match kind.as_str() {
            "Open" => "OPEN",
            "Update" => "UPDATE",
            "KeepAlive" => "KEEPALIVE",
            "Notification" => "NOTIFICATION",
            "RouteRefresh" => "ROUTE-REFRESH",
            other => panic!("unknown message {other}"),
        });
        let Some(u) = v.get("Update") else { continue };
        let len = |x: &Value| x.as_array().map_or(0, |a| a.len() as u64);
        c.prefixes("ipv4-unicast", true, len(&u["withdrawn_routes"]));
        c.prefixes("ipv4-unicast", false, len(&u["nlri"]));
        for attr in u["path_attributes"].as_array().into_iter().flatten() {
            for (key, withdrawn) in [("MpReach", false), ("MpUnreach", true)] {
                if let Some(Value::Object(mp)) = attr["value"].get(key) {
                    for (fam, body) in mp {
                        c.prefixes(&family(fam), withdrawn, len(&body["nlri"]));
                    }
                }
            }
        }
    }
    c
}

#[test]
fn multi_peer_sessions_agree_with_the_collector_on_messages_and_nlri() {
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for json in all_jsons() {
        let name = json.file_name().unwrap().to_string_lossy().replace("-bgp.json", ".pcap");
        let pcap = json.with_file_name(&name);
        let d = decode(&pcap);
        let expected = collector_counts(&std::fs::read_to_string(&json).unwrap());
        if d.counts != expected {
            mismatches.push(format!("{name}: ours {:?}\n    collector {expected:?}", d.counts));
        }
        assert!(d.errors.is_empty() && d.stats.reassembly.gaps == 0, "{name}");
        compared += 1;
    }
    assert_eq!(compared, 15);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

fn all_jsons() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in std::fs::read_dir(data("multi-peer-sessions")).unwrap() {
        for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            if p.to_string_lossy().ends_with("-bgp.json") {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

#[test]
fn multi_peer_captures_cut_mid_message_report_the_unfinished_bytes() {
    // These captures end inside a message; the collector's JSON stops at the last whole one.
    let cut = [
        "301-BGP-CISCO-pretag/traffic-00.pcap",
        "302-BGP-IPv6-multiple-sources/traffic-00.pcap",
        "302-BGP-IPv6-multiple-sources/traffic-01.pcap",
        "304-BGP-IPv6-multiple-sources-dump-spreading/traffic-00.pcap",
        "304-BGP-IPv6-multiple-sources-dump-spreading/traffic-01.pcap",
    ];
    for json in all_jsons() {
        let pcap = json.to_string_lossy().replace("-bgp.json", ".pcap");
        let d = decode(Path::new(&pcap));
        let expected = u64::from(cut.iter().any(|c| pcap.ends_with(c)));
        assert_eq!(d.stats.stream.unfinished_messages, expected, "{pcap}");
        assert_eq!(d.stats.stream.unfinished_bytes > 0, expected == 1, "{pcap}");
        let closed = d
            .items
            .iter()
            .filter(|i| matches!(i, StreamItem::Closed { unfinished, .. } if *unfinished > 0));
        assert_eq!(closed.count() as u64, expected, "{pcap}");
    }
}

#[test]
fn single_message_captures_decode_and_other_families_are_counted_not_modelled() {
    for entry in std::fs::read_dir(data("single-messages")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let d = decode(&path);
        assert!(d.errors.is_empty() && d.repaired.is_empty(), "{name}: {:?}", d.errors);
        let expected_type = match name.as_str() {
            "bgp4-open" => "OPEN",
            "bgp4-keepalive" => "KEEPALIVE",
            _ => "UPDATE",
        };
        assert_eq!(d.counts.messages.keys().collect::<Vec<_>>(), vec![expected_type], "{name}");
        let other_family = ["evpn", "flowspec", "vpnv6"].iter().any(|p| name.contains(p));
        assert_eq!(d.not_modelled_updates > 0, other_family, "{name}");
    }
}

#[test]
fn frames_are_all_accounted_for() {
    let d = decode(&data("feature-captures/bgp-4byte-asn.pcap"));
    let c = &d.stats.capture;
    assert_eq!((c.frames, c.tcp_segments, c.skipped(SkipReason::NotIp)), (91, 79, 12));
    let d = decode(&data("multi-peer-sessions/500-IPFIXv10-BGP-CISCO-SRv6/traffic-00.pcap"));
    assert_eq!(d.stats.capture.skipped(SkipReason::NotTcp), 40, "the IPFIX export is UDP");
    let aigp = decode(&data("feature-captures/bgp-aigp.pcap"));
    assert_eq!(aigp.counts.messages.get("UPDATE"), Some(&2), "Juniper Ethernet link type");
}

#[test]
fn a_truncated_capture_reports_the_offset_and_keeps_the_messages_before_it() {
    let path = data("feature-captures/bgp-4byte-asn.pcap");
    let full = decode(&path);
    let bytes = std::fs::read(&path).unwrap();
    let cut = bytes.len() * 2 / 3;
    let source =
        PcapSource::from_reader("cut.pcap", std::io::Cursor::new(bytes[..cut].to_vec())).unwrap();
    let mut stream = PcapStream::new(source, DecodeOptions::default());
    let items: Vec<StreamItem> = stream.by_ref().collect();
    let error = items.iter().find_map(|i| match i {
        StreamItem::CaptureError(e) => Some(e.clone()),
        _ => None,
    });
    let Some(CaptureError::Truncated { offset, .. }) = error else { panic!("{error:?}") };
    assert!(
        offset < cut as u64 && offset > cut as u64 - 2000,
        "offset {offset} of a record near {cut}"
    );
    let cut_messages: Vec<_> = messages(&items);
    assert!(!cut_messages.is_empty());
    assert_eq!(cut_messages[..], messages(&full.items)[..cut_messages.len()]);
    assert_eq!(stream.stats().capture_errors, 1);
}

fn messages(items: &[StreamItem]) -> Vec<(String, Vec<u8>)> {
    items
        .iter()
        .filter_map(|i| match i {
            StreamItem::Message(m) => Some((m.flow.to_string(), m.raw.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn reordered_and_retransmitted_segments_of_a_real_capture_decode_to_the_same_messages() {
    let path = data("feature-captures/bgp-4byte-asn.pcap");
    let events: Vec<_> = PcapSource::open(&path).unwrap().map(Result::unwrap).collect();
    // Swap each data segment with the next one of the same flow, and send every third twice.
    let mut shuffled = events.clone();
    let mut i = 0;
    while i + 1 < shuffled.len() {
        let j = (i + 1..shuffled.len())
            .find(|&j| shuffled[j].src == shuffled[i].src && shuffled[j].dst == shuffled[i].dst);
        match j {
            Some(j) if !shuffled[i].payload.is_empty() && !shuffled[j].payload.is_empty() => {
                shuffled.swap(i, j);
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    let mut with_copies = Vec::new();
    for (n, e) in shuffled.into_iter().enumerate() {
        if n % 3 == 0 && !e.payload.is_empty() {
            with_copies.push(e.clone());
        }
        with_copies.push(e);
    }
    // ACK-based gap detection assumes capture order; this test breaks it on purpose.
    let opts = DecodeOptions {
        reassembly: ReassemblyConfig { ack_gap_detection: false, ..Default::default() },
        ..Default::default()
    };
    let run = |events: Vec<_>| {
        let mut d = StreamDecoder::new(opts.clone());
        let mut out = Vec::new();
        for e in events {
            d.push(e, &mut out);
        }
        d.finish(&mut out);
        (out, d.stats())
    };
    let (expected, _) = run(events);
    let (got, stats) = run(with_copies);
    let by_flow = |items: &[StreamItem]| {
        let mut m: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
        for (flow, raw) in messages(items) {
            m.entry(flow).or_default().push(raw);
        }
        m
    };
    assert_eq!(by_flow(&got), by_flow(&expected));
    assert!(stats.reassembly.out_of_order_segments > 0 && stats.reassembly.duplicate_bytes > 0);
    assert_eq!((stats.reassembly.gaps, stats.reassembly.conflicting_bytes), (0, 0));
}
