use super::*;
use crate::capture::TcpFlags;
use std::time::Duration;

const A: &str = "192.0.2.1:40000";
const B: &str = "192.0.2.2:179";
const SYN: u8 = 0x02;
const FIN: u8 = 0x01;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;

fn ab() -> Flow {
    Flow { src: A.parse().unwrap(), dst: B.parse().unwrap() }
}

fn seg(flow: Flow, ts: u64, seq: u32, flags: u8, payload: &[u8]) -> CaptureEvent {
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

fn ack_of(flow: Flow, ts: u64, ack: u32) -> CaptureEvent {
    let mut e = seg(flow.reverse(), ts, 1, ACK, b"");
    e.ack = ack;
    e
}

fn run(
    cfg: ReassemblyConfig,
    events: Vec<CaptureEvent>,
) -> (Vec<ReassemblyEvent>, ReassemblyStats) {
    let mut r = Reassembler::new(cfg);
    let mut out = Vec::new();
    for e in events {
        r.push(e, &mut out);
    }
    r.finish(&mut out);
    (out, r.stats().clone())
}

fn bytes_of(out: &[ReassemblyEvent], flow: Flow) -> Vec<u8> {
    let mut v = Vec::new();
    for e in out {
        if let ReassemblyEvent::Data { flow: f, offset, data, .. } = e
            && *f == flow
        {
            assert_eq!(*offset, v.len() as u64, "data must come in order");
            v.extend_from_slice(data);
        }
    }
    v
}

fn gaps(out: &[ReassemblyEvent]) -> Vec<(u64, u64, GapCause)> {
    out.iter()
        .filter_map(|e| match e {
            ReassemblyEvent::Gap { offset, len, cause, .. } => Some((*offset, *len, *cause)),
            _ => None,
        })
        .collect()
}

fn closed(out: &[ReassemblyEvent]) -> Vec<(Flow, CloseReason)> {
    out.iter()
        .filter_map(|e| match e {
            ReassemblyEvent::Closed { flow, reason, .. } => Some((*flow, *reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn bytes_after_a_syn_are_delivered_from_the_sequence_number_after_it() {
    let f = ab();
    let (out, _) = run(
        Default::default(),
        vec![
            seg(f, 1, 100, SYN, b""),
            seg(f, 2, 101, PSH, b"hello "),
            seg(f, 3, 107, PSH, b"world"),
        ],
    );
    assert_eq!(out[0], ReassemblyEvent::Opened { flow: f, ts_ns: 1, syn: true });
    assert_eq!(bytes_of(&out, f), b"hello world");
    assert_eq!(gaps(&out), vec![]);
}

#[test]
fn a_capture_starting_mid_stream_delivers_from_the_first_segment_seen() {
    let f = ab();
    let (out, stats) =
        run(Default::default(), vec![seg(f, 1, 5000, PSH, b"abc"), seg(f, 2, 5003, PSH, b"d")]);
    assert_eq!(out[0], ReassemblyEvent::Opened { flow: f, ts_ns: 1, syn: false });
    assert_eq!(bytes_of(&out, f), b"abcd");
    assert_eq!(stats.mid_stream_starts, 1);
}

#[test]
fn out_of_order_bytes_wait_and_carry_the_time_of_the_segment_that_completed_them() {
    let f = ab();
    let (out, stats) = run(
        Default::default(),
        vec![seg(f, 1, 0, SYN, b""), seg(f, 2, 4, PSH, b"def"), seg(f, 3, 1, PSH, b"abc")],
    );
    let data: Vec<_> = out
        .iter()
        .filter_map(|e| match e {
            ReassemblyEvent::Data { ts_ns, offset, data, .. } => {
                Some((*ts_ns, *offset, data.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(data, vec![(3, 0, b"abc".to_vec()), (3, 3, b"def".to_vec())]);
    assert_eq!(stats.out_of_order_segments, 1);
}

#[test]
fn retransmitted_bytes_are_dropped_and_conflicting_ones_counted() {
    let f = ab();
    let (out, stats) = run(
        Default::default(),
        vec![
            seg(f, 1, 0, SYN, b""),
            seg(f, 2, 1, PSH, b"abcd"),
            seg(f, 3, 1, PSH, b"abcd"),
            seg(f, 4, 3, PSH, b"Xdef"),
        ],
    );
    assert_eq!(bytes_of(&out, f), b"abcdef");
    assert_eq!(stats.retransmitted_segments, 1);
    assert_eq!((stats.duplicate_bytes, stats.conflicting_bytes), (5, 1));
}

#[test]
fn overlapping_out_of_order_segments_deliver_each_byte_once() {
    let f = ab();
    let (out, _) = run(
        Default::default(),
        vec![
            seg(f, 1, 0, SYN, b""),
            seg(f, 2, 6, PSH, b"fghij"),
            seg(f, 3, 3, PSH, b"cdefg"),
            seg(f, 4, 1, PSH, b"abc"),
        ],
    );
    assert_eq!(bytes_of(&out, f), b"abcdefghij");
}

#[test]
fn sequence_numbers_wrap_around_without_a_hole() {
    let f = ab();
    let isn = u32::MAX - 2;
    let (out, _) = run(
        Default::default(),
        vec![
            seg(f, 1, isn, SYN, b""),
            seg(f, 2, isn.wrapping_add(4), PSH, b"45"),
            seg(f, 3, isn + 1, PSH, b"012"),
        ],
    );
    assert_eq!(bytes_of(&out, f), b"01245");
    assert_eq!(gaps(&out), vec![]);
}

#[test]
fn a_hole_the_receiver_acknowledged_is_a_gap_at_once() {
    let f = ab();
    let (out, stats) = run(
        Default::default(),
        vec![
            seg(f, 1, 0, SYN, b""),
            seg(f, 2, 11, PSH, b"later"),
            ack_of(f, 3, 16),
            seg(f, 4, 16, PSH, b"!"),
        ],
    );
    assert_eq!(gaps(&out), vec![(0, 10, GapCause::Acked)]);
    let gap_at = out.iter().position(|e| matches!(e, ReassemblyEvent::Gap { .. })).unwrap();
    assert!(matches!(out[gap_at + 1], ReassemblyEvent::Data { offset: 10, .. }));
    assert_eq!(stats.gap_bytes, 10);
}

#[test]
fn a_hole_is_given_up_when_the_bytes_behind_it_exceed_the_buffer() {
    let f = ab();
    let cfg = ReassemblyConfig { max_buffered_bytes: 8, ..Default::default() };
    let (out, stats) = run(
        cfg,
        vec![seg(f, 1, 0, SYN, b""), seg(f, 2, 3, PSH, b"12345"), seg(f, 3, 8, PSH, b"6789")],
    );
    assert_eq!(gaps(&out), vec![(0, 2, GapCause::BufferLimit)]);
    assert_eq!(stats.buffer_limit_gaps, 1);
    assert!(out.contains(&ReassemblyEvent::Data {
        flow: f,
        ts_ns: 3,
        offset: 2,
        data: b"12345".to_vec()
    }));
}

#[test]
fn fin_ends_the_flow_once_every_byte_before_it_is_delivered() {
    let f = ab();
    let (out, _) = run(
        Default::default(),
        vec![seg(f, 1, 0, SYN, b""), seg(f, 2, 4, FIN | PSH, b"d"), seg(f, 3, 1, PSH, b"abc")],
    );
    assert_eq!(closed(&out), vec![(f, CloseReason::Fin)]);
    assert_eq!(bytes_of(&out, f), b"abcd");
}

#[test]
fn a_reset_ends_both_directions_and_reports_their_holes() {
    let f = ab();
    let (out, _) = run(
        Default::default(),
        vec![
            seg(f, 1, 0, SYN, b""),
            seg(f.reverse(), 1, 50, SYN | ACK, b""),
            seg(f, 2, 5, PSH, b"x"),
            seg(f.reverse(), 3, 51, RST, b""),
        ],
    );
    assert_eq!(gaps(&out), vec![(0, 4, GapCause::FlowEnd)]);
    assert_eq!(closed(&out), vec![(f.reverse(), CloseReason::Rst), (f, CloseReason::Rst)]);
}

#[test]
fn the_end_of_input_reports_open_holes_and_closes_every_flow() {
    let f = ab();
    let (out, _) = run(Default::default(), vec![seg(f, 1, 0, SYN, b""), seg(f, 2, 3, PSH, b"c")]);
    assert_eq!(gaps(&out), vec![(0, 2, GapCause::FlowEnd)]);
    assert_eq!(closed(&out), vec![(f, CloseReason::EndOfInput)]);
}

#[test]
fn a_new_syn_starts_a_new_incarnation_and_a_repeated_one_does_not() {
    let f = ab();
    let (out, stats) = run(
        Default::default(),
        vec![
            seg(f, 1, 0, SYN, b""),
            seg(f, 2, 0, SYN, b""),
            seg(f, 3, 1, PSH, b"old"),
            seg(f, 4, 900, SYN, b""),
            seg(f, 5, 901, PSH, b"new"),
        ],
    );
    assert_eq!(closed(&out)[0], (f, CloseReason::Restarted));
    assert_eq!(stats.restarts, 1);
    let opened = out.iter().filter(|e| matches!(e, ReassemblyEvent::Opened { .. })).count();
    assert_eq!(opened, 2);
}

#[test]
fn a_syn_with_other_data_for_the_same_isn_is_a_new_incarnation() {
    // Crafted captures (tcpdump's test files) send several SYNs with seq 0 and different data.
    let f = ab();
    let (out, stats) =
        run(Default::default(), vec![seg(f, 1, 0, SYN, b"first"), seg(f, 2, 0, SYN, b"other")]);
    assert_eq!(stats.restarts, 1);
    let data: Vec<_> = out
        .iter()
        .filter_map(|e| match e {
            ReassemblyEvent::Data { data, .. } => Some(data.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(data, vec![b"first".to_vec(), b"other".to_vec()]);
}

#[test]
fn syn_data_numbered_from_the_syn_itself_is_shifted_into_place() {
    // pmacct's test captures: SYN seq 1 with 4 bytes, next segment at seq 5 (RFC says 6).
    let f = ab();
    let (out, stats) =
        run(Default::default(), vec![seg(f, 1, 1, SYN, b"open"), seg(f, 2, 5, PSH, b"keep")]);
    assert_eq!(bytes_of(&out, f), b"openkeep");
    assert_eq!(stats.syn_data_shifts, 1);
    assert_eq!(gaps(&out), vec![]);
}

#[test]
fn bytes_cut_by_the_snap_length_are_a_gap_at_once() {
    let f = ab();
    let mut cut = seg(f, 2, 1, PSH, b"abc");
    cut.payload_len = 10;
    let (out, _) =
        run(Default::default(), vec![seg(f, 1, 0, SYN, b""), cut, seg(f, 3, 11, PSH, b"k")]);
    assert_eq!(gaps(&out), vec![(3, 7, GapCause::Snapped)]);
    assert!(matches!(out.last(), Some(ReassemblyEvent::Closed { .. })));
    assert!(out.iter().any(|e| matches!(e, ReassemblyEvent::Data { offset: 10, .. })));
}

#[test]
fn a_sequence_number_further_than_any_window_starts_over_mid_stream() {
    let f = ab();
    let (out, stats) = run(
        Default::default(),
        vec![seg(f, 1, 0, SYN, b""), seg(f, 2, 1, PSH, b"a"), seg(f, 3, 2_000_000_000, PSH, b"b")],
    );
    assert_eq!(stats.restarts, 1);
    assert_eq!(closed(&out)[0], (f, CloseReason::Restarted));
    assert!(out.contains(&ReassemblyEvent::Opened { flow: f, ts_ns: 3, syn: false }));
}

#[test]
fn without_room_for_any_flow_segments_are_counted_not_tracked() {
    let cfg = ReassemblyConfig { max_flows: 0, ..Default::default() };
    let (out, stats) = run(cfg, vec![seg(ab(), 1, 0, PSH, b"lost")]);
    assert_eq!(bytes_of(&out, ab()), b"");
    assert_eq!(stats.untracked_segments, 1);
}

#[test]
fn an_ended_flow_makes_room_for_a_new_one() {
    let f = ab();
    let other = Flow { src: "192.0.2.9:41000".parse().unwrap(), dst: B.parse().unwrap() };
    let cfg = ReassemblyConfig { max_flows: 1, ..Default::default() };
    let (out, stats) =
        run(cfg, vec![seg(f, 1, 0, PSH | FIN, b"done"), seg(other, 2, 0, PSH, b"next")]);
    assert_eq!(bytes_of(&out, other), b"next");
    assert_eq!(stats.untracked_segments, 0);
}

fn syn_from(port: u16, ts: u64) -> CaptureEvent {
    let f = Flow { src: format!("198.18.0.1:{port}").parse().unwrap(), dst: B.parse().unwrap() };
    seg(f, ts, u32::from(port) << 8, SYN, b"")
}

#[test]
fn a_full_table_evicts_the_oldest_half_open_flow_not_the_new_one() {
    let f = ab();
    let cfg = ReassemblyConfig { max_flows: 2, ..Default::default() };
    let (out, stats) = run(
        cfg,
        vec![
            seg(f, 1, 0, PSH, b"busy"),
            syn_from(1000, 2),
            syn_from(1001, 3),
            seg(f, 4, 4, PSH, b" flow"),
        ],
    );
    assert_eq!(bytes_of(&out, f), b"busy flow");
    let first = Flow::of(&syn_from(1000, 0));
    assert!(closed(&out).contains(&(first, CloseReason::Evicted)));
    assert_eq!(stats.evicted_half_open, 1);
    assert_eq!(stats.evicted_established, 0);
    assert_eq!(stats.untracked_segments, 0);
}

#[test]
fn established_flows_are_evicted_least_recently_active_first() {
    let f = ab();
    let g = Flow { src: "192.0.2.9:41000".parse().unwrap(), dst: B.parse().unwrap() };
    let h = Flow { src: "192.0.2.10:41000".parse().unwrap(), dst: B.parse().unwrap() };
    let cfg = ReassemblyConfig { max_flows: 2, ..Default::default() };
    let (out, stats) = run(
        cfg,
        vec![
            seg(f, 1, 0, PSH, b"f"),
            seg(g, 2, 0, PSH, b"g"),
            seg(f, 3, 1, PSH, b"f"),
            seg(h, 4, 0, PSH, b"h"),
        ],
    );
    assert!(closed(&out).contains(&(g, CloseReason::Evicted)));
    assert_eq!(bytes_of(&out, f), b"ff");
    assert_eq!(bytes_of(&out, h), b"h");
    assert_eq!(stats.evicted_established, 1);
}

#[test]
fn idle_flows_expire_in_capture_time() {
    let f = ab();
    let cfg = ReassemblyConfig {
        half_open_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(100),
        ..Default::default()
    };
    let s = 1_000_000_000;
    let lone = syn_from(1000, 0);
    let (out, stats) = run(
        cfg,
        vec![
            lone.clone(),
            seg(f, 5 * s, 0, PSH, b"a"),
            seg(f, 50 * s, 1, PSH, b"b"),
            seg(f, 149 * s, 2, PSH, b"c"),
            syn_from(1001, 260 * s),
        ],
    );
    assert_eq!(
        closed(&out),
        vec![
            (Flow::of(&lone), CloseReason::IdleTimeout),
            (f, CloseReason::IdleTimeout),
            (Flow::of(&syn_from(1001, 0)), CloseReason::EndOfInput)
        ]
    );
    assert_eq!(bytes_of(&out, f), b"abc");
    assert_eq!(stats.idle_expired, 2);
}

#[test]
fn a_flow_after_100000_junk_syns_is_reassembled_in_full() {
    let f = ab();
    let mut events: Vec<CaptureEvent> = (0..100_000u32)
        .map(|i| {
            let src = std::net::SocketAddr::from((
                [198, 18, (i >> 16) as u8, (i >> 8) as u8],
                1024 + (i & 0xff) as u16,
            ));
            seg(Flow { src, dst: B.parse().unwrap() }, u64::from(i), i, SYN, b"")
        })
        .collect();
    events.push(seg(f, 200_000, 99, SYN, b""));
    events.push(seg(f, 200_001, 100, PSH, b"every byte"));
    let (out, stats) = run(ReassemblyConfig::default(), events);
    assert_eq!(bytes_of(&out, f), b"every byte");
    assert_eq!(stats.evicted_half_open, 100_001 - 65_536);
    assert_eq!(stats.untracked_segments, 0);
}
