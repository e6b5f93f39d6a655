use super::*;
use crate::capture::TcpFlags;

const SPEAKER: &str = "192.0.2.1:40000";
const PEER: &str = "192.0.2.2:179";
const SYN: u8 = 0x02;
const PSH_ACK: u8 = 0x18;

fn flow() -> Flow {
    Flow { src: SPEAKER.parse().unwrap(), dst: PEER.parse().unwrap() }
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

/// A BGP message of type `t` with `body` (RFC 4271 §4.1).
fn msg(t: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![0xff; 16];
    m.extend_from_slice(&(19 + body.len() as u16).to_be_bytes());
    m.push(t);
    m.extend_from_slice(body);
    m
}

fn keepalive() -> Vec<u8> {
    msg(4, &[])
}

/// OPEN from AS 65001 with the 4-octet AS capability, optionally ADD-PATH send/receive for
/// IPv4 unicast.
fn open(id: u8, add_path: bool) -> Vec<u8> {
    let mut caps = vec![2, 6, 1, 4, 0, 1, 0, 1, 2, 6, 65, 4, 0, 0, 0xfd, 0xe9];
    if add_path {
        caps.extend_from_slice(&[2, 6, 69, 4, 0, 1, 1, 3]);
    }
    let mut body = vec![4, 0xfd, 0xe9, 0, 90, 10, 0, 0, id, caps.len() as u8];
    body.extend_from_slice(&caps);
    msg(1, &body)
}

/// UPDATE announcing 198.51.100.0/24 from AS 65001, AS_PATH encoded with `asn_width` bytes,
/// NLRI with a path identifier when `path_id`.
fn update(asn_width: usize, path_id: bool) -> Vec<u8> {
    let asn: &[u8] = if asn_width == 4 { &[0, 0, 0xfd, 0xe9] } else { &[0xfd, 0xe9] };
    let mut attrs = vec![0x40, 1, 1, 0, 0x40, 2, 2 + asn.len() as u8, 2, 1];
    attrs.extend_from_slice(asn);
    attrs.extend_from_slice(&[0x40, 3, 4, 192, 0, 2, 1]);
    let mut body = vec![0, 0, 0, attrs.len() as u8];
    body.extend_from_slice(&attrs);
    if path_id {
        body.extend_from_slice(&[0, 0, 0, 1]);
    }
    body.extend_from_slice(&[24, 198, 51, 100]);
    msg(2, &body)
}

fn run(events: Vec<CaptureEvent>) -> (Vec<StreamItem>, DecodeStats) {
    let mut d = StreamDecoder::new(DecodeOptions::default());
    let mut out = Vec::new();
    for e in events {
        d.push(e, &mut out);
    }
    d.finish(&mut out);
    (out, d.stats())
}

fn messages(items: &[StreamItem]) -> Vec<&CapturedMessage> {
    items
        .iter()
        .filter_map(|i| match i {
            StreamItem::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

#[test]
fn messages_across_segment_boundaries_carry_the_time_of_their_last_byte() {
    let f = flow();
    let data = [keepalive(), update(4, false), keepalive()].concat();
    let (items, stats) = run(vec![
        seg(f, 1, 0, SYN, b""),
        seg(f, 2, 1, PSH_ACK, &data[..10]),
        seg(f, 3, 11, PSH_ACK, &data[10..30]),
        seg(f, 4, 31, PSH_ACK, &data[30..]),
    ]);
    let m = messages(&items);
    let seen: Vec<_> = m.iter().map(|m| (m.ts_ns, m.offset, m.raw.len())).collect();
    assert_eq!(seen, vec![(3, 0, 19), (4, 19, data.len() - 38), (4, data.len() as u64 - 19, 19)]);
    assert_eq!(stats.stream.by_type.get("UPDATE"), Some(&1));
    assert_eq!(stats.stream.announced, 1);
}

#[test]
fn both_opens_give_the_negotiated_context_and_the_sender() {
    let f = flow();
    let (items, stats) = run(vec![
        seg(f, 1, 0, SYN, b""),
        seg(f.reverse(), 1, 0, SYN | 0x10, b""),
        seg(f, 2, 1, PSH_ACK, &open(1, true)),
        seg(f.reverse(), 3, 1, PSH_ACK, &open(2, true)),
        seg(f, 4, 1 + open(1, true).len() as u32, PSH_ACK, &update(4, true)),
    ]);
    let m = messages(&items);
    let last = m.last().unwrap();
    assert_eq!(last.context, ContextSource::Negotiated);
    assert_eq!(last.sender, Some(Speaker { asn: 65001, bgp_id: "10.0.0.1".parse().unwrap() }));
    let Ok(Message::Update(u)) = &last.message else { panic!("{:?}", last.message) };
    assert_eq!(u.reach[0].nlri[0].path_id, Some(1));
    assert_eq!(stats.stream.guessed_updates, 0);
}

#[test]
fn mid_session_a_failing_guess_is_replaced_by_the_context_that_decodes() {
    let f = flow();
    let two_octet = [update(2, false), update(2, false)].concat();
    let (items, stats) = run(vec![seg(f, 1, 1000, PSH_ACK, &two_octet)]);
    let m = messages(&items);
    assert!(m.iter().all(|m| m.context == ContextSource::Guessed && m.sender.is_none()));
    for msg in &m {
        let Ok(Message::Update(u)) = &msg.message else { panic!("{:?}", msg.message) };
        assert!(u.errors.is_empty(), "{:?}", u.errors);
        assert_eq!(u.attributes.as_path.as_ref().unwrap().to_string(), "65001");
    }
    let s = &stats.stream;
    assert_eq!((s.guessed_updates, s.guess_retries, s.guess_switches), (2, 1, 1));
}

#[test]
fn mid_session_add_path_is_found_by_trying_it() {
    let f = flow();
    let (items, stats) = run(vec![seg(f, 1, 1000, PSH_ACK, &update(4, true))]);
    let Ok(Message::Update(u)) = &messages(&items)[0].message else { panic!() };
    assert_eq!(u.reach[0].nlri[0].path_id, Some(1));
    assert_eq!(stats.stream.guess_switches, 1);
}

#[test]
fn one_open_seen_gives_the_offered_context_to_its_sender() {
    let f = flow();
    let o = open(1, true);
    let (items, _) = run(vec![
        seg(f, 1, 1, PSH_ACK, &o),
        seg(f, 2, 1 + o.len() as u32, PSH_ACK, &update(4, true)),
    ]);
    let m = messages(&items);
    assert_eq!(m[1].context, ContextSource::SenderOpen);
    let Ok(Message::Update(u)) = &m[1].message else { panic!() };
    assert_eq!(u.reach[0].nlri[0].path_id, Some(1));
}

#[test]
fn after_a_gap_the_stream_resyncs_on_the_next_header() {
    let f = flow();
    let u = update(4, false);
    let (items, stats) = run(vec![
        seg(f, 1, 0, SYN, b""),
        seg(f, 2, 1, PSH_ACK, &u[..20]),
        seg(f, 3, 1 + u.len() as u32, PSH_ACK, &keepalive()),
    ]);
    let kinds: Vec<_> = items
        .iter()
        .map(|i| match i {
            StreamItem::Opened { .. } => "opened",
            StreamItem::Gap { .. } => "gap",
            StreamItem::Resync { .. } => "resync",
            StreamItem::Message(_) => "message",
            StreamItem::Closed { .. } => "closed",
            StreamItem::CaptureError(_) => "error",
        })
        .collect();
    assert_eq!(kinds, vec!["opened", "gap", "resync", "message", "closed"]);
    assert_eq!(stats.stream.resync_dropped_bytes, 20);
    assert_eq!(stats.reassembly.gap_bytes, u.len() as u64 - 20);
}

#[test]
fn a_broken_header_is_an_error_item_and_the_stream_goes_on() {
    let f = flow();
    let mut bad = keepalive();
    bad[17] = 20;
    let data = [bad, keepalive()].concat();
    let (items, stats) = run(vec![seg(f, 1, 0, SYN, b""), seg(f, 2, 1, PSH_ACK, &data)]);
    let m = messages(&items);
    assert!(matches!(m[0].message, Err(WireError::Header { .. })));
    assert_eq!(m[1].message, Ok(Message::Keepalive));
    assert_eq!(stats.stream.errors.get("header"), Some(&1));
}

#[test]
fn segments_on_other_ports_are_counted_not_decoded() {
    let other =
        Flow { src: "192.0.2.1:40000".parse().unwrap(), dst: "192.0.2.2:80".parse().unwrap() };
    let (items, stats) = run(vec![seg(other, 1, 0, PSH_ACK, &keepalive())]);
    assert!(items.is_empty());
    assert_eq!(stats.stream.non_bgp_segments, 1);
}

#[test]
fn a_flow_ending_inside_a_message_reports_the_unfinished_bytes() {
    let f = flow();
    let (items, stats) =
        run(vec![seg(f, 1, 0, SYN, b""), seg(f, 2, 1, PSH_ACK, &keepalive()[..12])]);
    assert!(matches!(items.last(), Some(StreamItem::Closed { unfinished: 12, .. })));
    assert_eq!(stats.stream.unfinished_messages, 1);
}
