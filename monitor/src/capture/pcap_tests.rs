use super::*;
use crate::capture::SkipReason;
use crate::capture::testutil::{ether, ether_tcp, pcap_file, pcapng_file};
use std::io::Cursor;

const ETHERNET: u32 = 1;

fn read_all(bytes: Vec<u8>) -> (Vec<CaptureEvent>, Option<CaptureError>, CaptureStats) {
    let mut src = PcapSource::from_reader("test.pcap", Cursor::new(bytes)).unwrap();
    let mut events = Vec::new();
    let mut error = None;
    for item in src.by_ref() {
        match item {
            Ok(ev) => events.push(ev),
            Err(e) => error = Some(e),
        }
    }
    (events, error, src.stats().clone())
}

#[test]
fn a_pcap_file_yields_its_tcp_segments_with_wall_clock_nanoseconds() {
    let file = pcap_file(
        ETHERNET,
        &[
            (1_546_300_800_123_456_000, ether_tcp(40000, 179, 1, 0x18, b"abc")),
            (1_546_300_801_000_001_000, ether_tcp(179, 40000, 9, 0x10, b"")),
        ],
    );
    let (events, error, stats) = read_all(file);
    assert_eq!(error, None);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].ts_ns, 1_546_300_800_123_456_000);
    assert_eq!((events[0].seq, events[0].payload.as_slice()), (1, &b"abc"[..]));
    assert_eq!(events[1].src.port(), 179);
    assert_eq!((stats.frames, stats.tcp_segments), (2, 2));
}

#[test]
fn a_pcapng_file_yields_the_same_segments_with_direction_from_epb_flags() {
    let frame = ether_tcp(40000, 179, 1, 0x18, b"abc");
    let ng = pcapng_file(1, None, &[(1_546_300_800_123_456, 2, frame.clone())]);
    let (events, error, _) = read_all(ng);
    assert_eq!(error, None);
    let (pcap_events, _, _) = read_all(pcap_file(ETHERNET, &[(1_546_300_800_123_456_000, frame)]));
    assert_eq!(events[0].direction, Some(Direction::Egress));
    assert_eq!(CaptureEvent { direction: None, ..events[0].clone() }, pcap_events[0]);
}

#[test]
fn pcapng_timestamps_follow_the_interface_resolution() {
    let frame = ether_tcp(1, 179, 1, 0, b"");
    let nanos = pcapng_file(1, Some(9), &[(1_000_000_007, 0, frame.clone())]);
    assert_eq!(read_all(nanos).0[0].ts_ns, 1_000_000_007);
    let binary = pcapng_file(1, Some(0x80 | 10), &[(3 * 1024, 0, frame)]);
    assert_eq!(read_all(binary).0[0].ts_ns, 3_000_000_000);
}

#[test]
fn frames_without_a_tcp_segment_are_counted_by_reason() {
    let arp = ether(0x0806, &[0; 28]);
    let udp =
        ether(0x0800, &crate::capture::testutil::ipv4([1, 1, 1, 1], [2, 2, 2, 2], 17, &[0; 8]));
    let (events, _, stats) = read_all(pcap_file(ETHERNET, &[(0, arp), (0, udp)]));
    assert!(events.is_empty());
    assert_eq!(stats.frames, 2);
    assert_eq!(stats.skipped(SkipReason::NotIp), 1);
    assert_eq!(stats.skipped(SkipReason::NotTcp), 1);
    let (_, _, stats) = read_all(pcap_file(147, &[(0, vec![0; 60])]));
    assert_eq!(stats.skipped(SkipReason::UnsupportedLinkType), 1);
    assert_eq!(stats.unsupported_link, Some(147));
}

#[test]
fn a_truncated_file_keeps_the_events_before_the_cut_and_names_its_offset() {
    let frames = [(0, ether_tcp(1, 179, 1, 0x18, b"one")), (0, ether_tcp(1, 179, 4, 0x18, b"two"))];
    let mut file = pcap_file(ETHERNET, &frames);
    let second_record = 24 + 16 + frames[0].1.len() as u64;
    file.truncate(file.len() - 5);
    let (events, error, _) = read_all(file);
    assert_eq!(events.len(), 1);
    match error {
        Some(CaptureError::Truncated { offset, what: "pcap record", .. }) => {
            assert_eq!(offset, second_record)
        }
        other => panic!("expected a truncation error, got {other:?}"),
    }
}

#[test]
fn a_record_header_cut_in_the_middle_is_a_truncation_too() {
    let mut file = pcap_file(ETHERNET, &[(0, ether_tcp(1, 179, 1, 0x18, b"one"))]);
    file.extend_from_slice(&[0; 7]);
    let (events, error, _) = read_all(file);
    assert_eq!(events.len(), 1);
    assert!(matches!(error, Some(CaptureError::Truncated { what: "pcap record header", .. })));
}

#[test]
fn a_pcapng_block_cut_short_is_reported_with_its_offset() {
    let mut file = pcapng_file(1, None, &[(0, 0, ether_tcp(1, 179, 1, 0x18, b"x"))]);
    let block_start = file.len() as u64 - (12 + 20 + 68);
    file.truncate(file.len() - 8);
    let (_, error, _) = read_all(file);
    match error {
        Some(CaptureError::Truncated { offset, what: "pcapng block", .. }) => {
            assert_eq!(offset, block_start)
        }
        other => panic!("expected a truncation error, got {other:?}"),
    }
}

#[test]
fn something_that_is_not_a_capture_is_refused_at_opening() {
    let err = PcapSource::from_reader("notes.txt", Cursor::new(b"hello world".to_vec())).err();
    assert!(matches!(err, Some(CaptureError::UnknownFormat { magic, .. }) if magic == "68656c6c"));
    let empty = PcapSource::from_reader("empty", Cursor::new(Vec::new())).err();
    assert!(matches!(empty, Some(CaptureError::UnknownFormat { .. })));
}

#[test]
fn a_gzip_compressed_capture_is_read_transparently() {
    use std::io::Write;
    let file = pcap_file(ETHERNET, &[(0, ether_tcp(1, 179, 1, 0x18, b"zip"))]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&file).unwrap();
    let (events, error, _) = read_all(gz.finish().unwrap());
    assert_eq!(error, None);
    assert_eq!(events[0].payload, b"zip");
}
