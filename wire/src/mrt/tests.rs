//! Unit tests of the MRT reader on records built by hand, one per subtype, plus the error
//! paths (truncation, bad lengths, unknown types, compression).

use std::io::{Cursor, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::rib_attributes::{is_abbreviated_mp_reach, synthetic_update};
use super::*;
use crate::context::AfiSafi;
use crate::message::Message;
use crate::model::{AsPath, Nlri};

// ---- builders -------------------------------------------------------------------------

fn record(ts: u32, mrt_type: u16, subtype: u16, body: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(&ts.to_be_bytes());
    r.extend_from_slice(&mrt_type.to_be_bytes());
    r.extend_from_slice(&subtype.to_be_bytes());
    r.extend_from_slice(&(body.len() as u32).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn attr(flags: u8, code: u8, value: &[u8]) -> Vec<u8> {
    let mut a = vec![flags, code, value.len() as u8];
    a.extend_from_slice(value);
    a
}

/// ORIGIN IGP and an AS_PATH of one 4-octet sequence.
fn origin_and_path(asns: &[u32]) -> Vec<u8> {
    let mut path = vec![2, asns.len() as u8];
    asns.iter().for_each(|a| path.extend_from_slice(&a.to_be_bytes()));
    [attr(0x40, 1, &[0]), attr(0x40, 2, &path)].concat()
}

/// ORIGIN IGP, AS_PATH of one 4-octet sequence, NEXT_HOP 192.0.2.1.
fn base_attrs(asns: &[u32]) -> Vec<u8> {
    [origin_and_path(asns), attr(0x40, 3, &[192, 0, 2, 1])].concat()
}

fn bgp_message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![0xff; 16];
    m.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
    m.push(kind);
    m.extend_from_slice(body);
    m
}

fn update(withdrawn: &[u8], attrs: &[u8], nlri: &[u8]) -> Vec<u8> {
    let mut b = (withdrawn.len() as u16).to_be_bytes().to_vec();
    b.extend_from_slice(withdrawn);
    b.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    b.extend_from_slice(attrs);
    b.extend_from_slice(nlri);
    bgp_message(2, &b)
}

/// A BGP4MP body between 192.0.2.1 (peer, AS 65001) and 192.0.2.2 (local, AS 65000).
fn bgp4mp(asn4: bool, tail: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for asn in [65001u32, 65000] {
        if asn4 {
            b.extend_from_slice(&asn.to_be_bytes());
        } else {
            b.extend_from_slice(&(asn as u16).to_be_bytes());
        }
    }
    b.extend_from_slice(&[0, 7, 0, 1, 192, 0, 2, 1, 192, 0, 2, 2]);
    b.extend_from_slice(tail);
    b
}

fn read_all(bytes: Vec<u8>) -> (Vec<Result<MrtRecord, MrtError>>, MrtStats) {
    let mut r = MrtReader::new(Cursor::new(bytes)).expect("reader");
    let out: Vec<_> = r.by_ref().collect();
    (out, r.stats())
}

fn single(bytes: Vec<u8>) -> MrtRecord {
    let (mut out, _) = read_all(bytes);
    assert_eq!(out.len(), 1);
    out.pop().unwrap().expect("record")
}

fn expect_update(body: &MrtBody) -> &crate::Update {
    match body {
        MrtBody::Message(Bgp4mpMessage { message: Ok(Message::Update(u)), .. }) => u,
        other => panic!("not an UPDATE: {other:?}"),
    }
}

fn peer_index_table() -> Vec<u8> {
    let mut b = vec![10, 0, 0, 1, 0, 4];
    b.extend_from_slice(b"main");
    b.extend_from_slice(&[0, 2]);
    // IPv4 peer, 2-octet AS 64500; IPv6 peer, 4-octet AS 4200000000.
    b.extend_from_slice(&[0x00, 1, 1, 1, 1, 198, 51, 100, 1, 0xfb, 0xf4]);
    b.extend_from_slice(&[0x03, 2, 2, 2, 2]);
    b.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
    b.extend_from_slice(&4_200_000_000u32.to_be_bytes());
    record(100, 13, 1, &b)
}

/// A RIB entry: peer index, originated time, optional path id, attributes.
fn rib_entry(peer: u16, path_id: Option<u32>, attrs: &[u8]) -> Vec<u8> {
    let mut e = peer.to_be_bytes().to_vec();
    e.extend_from_slice(&50u32.to_be_bytes());
    if let Some(id) = path_id {
        e.extend_from_slice(&id.to_be_bytes());
    }
    e.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    e.extend_from_slice(attrs);
    e
}

fn rib_body(prefix: &[u8], entries: &[Vec<u8>]) -> Vec<u8> {
    let mut b = 7u32.to_be_bytes().to_vec();
    b.extend_from_slice(prefix);
    b.extend_from_slice(&(entries.len() as u16).to_be_bytes());
    entries.iter().for_each(|e| b.extend_from_slice(e));
    b
}

// ---- header ---------------------------------------------------------------------------

#[test]
fn header_fields_are_read_big_endian() {
    let h = MrtHeader::parse(&[0x5c, 0x2a, 0xad, 0x80, 0, 16, 0, 4, 0, 0, 1, 2]);
    assert_eq!(
        h,
        MrtHeader {
            timestamp: 1_546_300_800,
            microseconds: None,
            mrt_type: 16,
            subtype: 4,
            length: 258
        }
    );
    assert_eq!((h.kind(), h.header_len(), h.record_len()), (MrtType::Bgp4mp, 12, 270));
    assert!(MrtType::from_code(17).extended_timestamp());
    assert_eq!(MrtType::from_code(99), MrtType::Other(99));
}

// ---- BGP4MP ---------------------------------------------------------------------------

#[test]
fn message_as4_update_is_decoded_with_4_octet_as_numbers() {
    let msg = update(&[], &base_attrs(&[65001, 4_200_000_000]), &[24, 203, 0, 113]);
    let rec = single(record(1, 16, 4, &bgp4mp(true, &msg)));
    let MrtBody::Message(m) = &rec.body else { panic!() };
    assert_eq!((m.peer_asn, m.local_asn, m.interface_index, m.afi), (65001, 65000, 7, 1));
    assert_eq!(m.peer_ip, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
    assert_eq!((m.is_local(), m.add_path, m.message_offset), (false, false, Some(32)));
    let u = expect_update(&rec.body);
    assert_eq!(u.attributes.as_path, Some(AsPath::sequence([65001, 4_200_000_000])));
    assert_eq!(u.reach[0].nlri[0].prefix.to_string(), "203.0.113.0/24");
    assert_eq!(rec.raw.len(), 32 + msg.len());
    assert_eq!(&rec.body_bytes()[20..], &msg[..]);
}

#[test]
fn message_with_2_octet_as_reads_a_2_octet_as_path() {
    let attrs = [
        attr(0x40, 1, &[2]),
        attr(0x40, 2, &[2, 2, 0xfd, 0xe9, 0x5b, 0xa0]),
        attr(0x40, 3, &[192, 0, 2, 1]),
    ]
    .concat();
    let rec = single(record(1, 16, 1, &bgp4mp(false, &update(&[], &attrs, &[8, 10]))));
    let u = expect_update(&rec.body);
    assert_eq!(u.attributes.as_path, Some(AsPath::sequence([65001, 23456])));
}

#[test]
fn local_and_add_path_subtypes_are_flagged_and_path_ids_read() {
    let nlri = [0, 0, 0, 9, 24, 203, 0, 113];
    let withdrawn = [0, 0, 0, 4, 16, 10, 1];
    let msg = update(&withdrawn, &base_attrs(&[65001]), &nlri);
    let rec = single(record(1, 16, 11, &bgp4mp(true, &msg)));
    let MrtBody::Message(m) = &rec.body else { panic!() };
    assert!(m.is_local() && m.add_path);
    let u = expect_update(&rec.body);
    assert_eq!(u.reach[0].nlri[0].path_id, Some(9));
    assert_eq!(
        u.withdrawn,
        vec![Nlri { prefix: "10.1.0.0/16".parse().unwrap(), path_id: Some(4) }]
    );
}

#[test]
fn et_records_carry_microseconds_and_a_16_byte_header() {
    let msg = bgp_message(4, &[]);
    let mut body = 123_456u32.to_be_bytes().to_vec();
    body.extend_from_slice(&bgp4mp(true, &msg));
    let rec = single(record(9, 17, 4, &body));
    assert_eq!(rec.header.microseconds, Some(123_456));
    assert_eq!(rec.header.header_len(), 16);
    let MrtBody::Message(m) = &rec.body else { panic!() };
    assert_eq!(m.message, Ok(Message::Keepalive));
}

#[test]
fn state_changes_of_both_widths_and_families() {
    let mut v6 = vec![0, 0, 0xfd, 0xe9, 0, 0, 0xfd, 0xe8, 0, 3, 0, 2];
    v6.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
    v6.extend_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
    v6.extend_from_slice(&[0, 5, 0, 6]);
    let v4 = bgp4mp(false, &[0, 1, 0, 2]);
    let (out, _) = read_all([record(1, 16, 5, &v6), record(2, 16, 0, &v4)].concat());
    let states: Vec<_> = out
        .into_iter()
        .map(|r| match r.unwrap().body {
            MrtBody::StateChange(s) => (s.asn4, s.peer_asn, s.peer_ip.to_string(), s.new_state),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        states,
        vec![(true, 65001, "2001:db8::1".into(), 6), (false, 65001, "192.0.2.1".into(), 2)]
    );
}

#[test]
fn a_bgp_length_that_disagrees_with_the_record_is_malformed() {
    let mut msg = bgp_message(4, &[]);
    msg.push(0);
    let (out, stats) = read_all(record(1, 16, 4, &bgp4mp(true, &msg)));
    match &out[0] {
        Err(MrtError::Malformed { offset: 0, at: 48, reason, .. }) => {
            assert!(reason.contains("does not match"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(stats.malformed, 1);
}

#[test]
fn add_path_offered_in_open_rescues_a_mislabelled_update() {
    // OPEN: AS 65001, capabilities 4-octet AS and ADD-PATH ipv4-unicast send/receive.
    let caps = [2, 12, 65, 4, 0, 0, 0xfd, 0xe9, 69, 4, 0, 1, 1, 3];
    let mut open = vec![4, 0xfd, 0xe9, 0, 90, 192, 0, 2, 1, caps.len() as u8];
    open.extend_from_slice(&caps);
    let nlri = [0, 0, 0, 2, 24, 172, 17, 0];
    let upd = update(&[], &base_attrs(&[65001]), &nlri);
    let file = [
        record(1, 16, 4, &bgp4mp(true, &bgp_message(1, &open))),
        record(2, 16, 4, &bgp4mp(true, &upd)),
    ]
    .concat();
    let (out, _) = read_all(file);
    let rec = out[1].as_ref().unwrap();
    let MrtBody::Message(m) = &rec.body else { panic!() };
    assert!(m.add_path);
    assert_eq!(expect_update(&rec.body).reach[0].nlri[0].path_id, Some(2));
}

// ---- TABLE_DUMP_V2 --------------------------------------------------------------------

#[test]
fn peer_index_table_then_rib_ipv6_with_abbreviated_mp_reach() {
    let nh: Ipv6Addr = "2001:db8::ff".parse().unwrap();
    let mut mp = vec![16];
    mp.extend_from_slice(&nh.octets());
    let attrs = [origin_and_path(&[4_200_000_000, 3356]), attr(0x80, 14, &mp)].concat();
    let rib = rib_body(&[32, 0x20, 0x01, 0x0d, 0xb8], &[rib_entry(1, None, &attrs)]);
    let (out, _) = read_all([peer_index_table(), record(100, 13, 4, &rib)].concat());
    let MrtBody::PeerIndexTable(t) = &out[0].as_ref().unwrap().body else { panic!() };
    assert_eq!((t.view_name.as_str(), t.peers.len()), ("main", 2));
    assert_eq!(t.peers[0].asn, 64500);
    let MrtBody::Rib(rib) = &out[1].as_ref().unwrap().body else { panic!() };
    assert_eq!((rib.sequence, rib.prefix.to_string()), (7, "2001:db8::/32".into()));
    let e = &rib.entries[0];
    assert_eq!((e.peer.asn, e.originated, e.path_id), (4_200_000_000, 50, None));
    let route = e.route.as_ref().unwrap();
    assert_eq!(route.next_hop, vec![IpAddr::V6(nh)]);
    assert!(route.mp_next_hop);
    assert_eq!(route.attributes.as_path, Some(AsPath::sequence([4_200_000_000, 3356])));
}

#[test]
fn rib_ipv4_addpath_entries_carry_path_ids() {
    let entries = [rib_entry(0, Some(1), &base_attrs(&[64500])), rib_entry(0, Some(2), &[])];
    let rib = rib_body(&[24, 198, 51, 100], &entries);
    let (out, _) = read_all([peer_index_table(), record(100, 13, 8, &rib)].concat());
    let MrtBody::Rib(rib) = &out[1].as_ref().unwrap().body else { panic!() };
    assert!(rib.add_path);
    let ids: Vec<_> = rib.entries.iter().map(|e| e.path_id).collect();
    assert_eq!(ids, vec![Some(1), Some(2)]);
    let first = rib.entries[0].route.as_ref().unwrap();
    assert_eq!(
        (first.next_hop.clone(), first.mp_next_hop),
        (vec![IpAddr::from([192, 0, 2, 1])], false)
    );
    assert!(rib.entries[1].route.as_ref().unwrap().next_hop.is_empty());
}

#[test]
fn rib_generic_of_a_vpn_family_is_not_modelled_but_unicast_is_read() {
    let mut vpn = 1u32.to_be_bytes().to_vec();
    vpn.extend_from_slice(&[0, 1, 128, 0]);
    let mut unicast = 2u32.to_be_bytes().to_vec();
    unicast.extend_from_slice(&[0, 1, 1, 8, 10, 0, 1]);
    unicast.extend_from_slice(&rib_entry(0, None, &base_attrs(&[1])));
    let file = [peer_index_table(), record(1, 13, 6, &vpn), record(1, 13, 6, &unicast)].concat();
    let (out, stats) = read_all(file);
    match &out[1].as_ref().unwrap().body {
        MrtBody::NotModelled(n) => assert_eq!(n.what, "TABLE_DUMP_V2 RIB_GENERIC ipv4-vpn"),
        other => panic!("{other:?}"),
    }
    let MrtBody::Rib(rib) = &out[2].as_ref().unwrap().body else { panic!() };
    assert_eq!(rib.prefix.to_string(), "10.0.0.0/8");
    assert_eq!(stats.not_modelled, 1);
}

#[test]
fn rib_errors_are_per_record_and_reading_continues() {
    let bad_index = rib_body(&[8, 10], &[rib_entry(5, None, &[])]);
    let good = rib_body(&[8, 11], &[rib_entry(0, None, &[])]);
    let before_table = record(1, 13, 2, &good);
    let file =
        [before_table.clone(), peer_index_table(), record(1, 13, 2, &bad_index), before_table]
            .concat();
    let (out, stats) = read_all(file);
    assert!(matches!(&out[0], Err(MrtError::Malformed { offset: 0, reason, .. })
        if reason.contains("before any PEER_INDEX_TABLE")));
    let third = (before_table_len() + peer_index_table().len()) as u64;
    assert!(matches!(&out[2], Err(MrtError::Malformed { offset, at, reason, .. })
        if *offset == third && *at == third + 12 + 8 && reason.contains("peer index 5")));
    assert!(matches!(out[3].as_ref().unwrap().body, MrtBody::Rib(_)));
    assert_eq!((stats.records, stats.malformed), (4, 2));
}

fn before_table_len() -> usize {
    12 + rib_body(&[8, 11], &[rib_entry(0, None, &[])]).len()
}

// ---- legacy TABLE_DUMP ----------------------------------------------------------------

#[test]
fn legacy_table_dump_ipv6_uses_2_octet_as_numbers() {
    let v6 = |s: &str| s.parse::<Ipv6Addr>().unwrap().octets();
    let mut b = vec![0, 0, 0, 1];
    b.extend_from_slice(&v6("2001:db8::"));
    b.extend_from_slice(&[32, 1, 0, 0, 0, 42]);
    b.extend_from_slice(&v6("2001:db8::9"));
    b.extend_from_slice(&[0xfd, 0xe8]);
    let mut mp = vec![0, 2, 1, 16];
    mp.extend_from_slice(&v6("2001:db8::9"));
    mp.push(0);
    let attrs =
        [attr(0x40, 1, &[0]), attr(0x40, 2, &[2, 1, 0xfd, 0xe8]), attr(0x80, 14, &mp)].concat();
    b.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    b.extend_from_slice(&attrs);
    let rec = single(record(5, 12, 2, &b));
    let MrtBody::TableDump(t) = &rec.body else { panic!() };
    assert_eq!((t.sequence, t.prefix.to_string(), t.peer_asn), (1, "2001:db8::/32".into(), 65000));
    let route = t.route.as_ref().unwrap();
    assert_eq!(route.attributes.as_path, Some(AsPath::sequence([65000])));
    assert_eq!(route.next_hop, vec![IpAddr::V6(Ipv6Addr::from(v6("2001:db8::9")))]);
}

// ---- synthetic UPDATE of RIB attributes -----------------------------------------------

#[test]
fn abbreviated_mp_reach_is_expanded_and_the_full_form_kept() {
    assert!(is_abbreviated_mp_reach(&[4, 10, 0, 0, 1]));
    assert!(!is_abbreviated_mp_reach(&[0, 2, 1, 16]));
    assert!(!is_abbreviated_mp_reach(&[]));
    let mut out = Vec::new();
    synthetic_update(&mut out, AfiSafi::IPV4_UNICAST, &attr(0x80, 14, &[4, 10, 0, 0, 1])).unwrap();
    let expected_attr = [0x80, 14, 9, 0, 1, 1, 4, 10, 0, 0, 1, 0];
    assert_eq!(&out[19..], &[[0, 0, 0, 12].as_slice(), &expected_attr].concat()[..]);
    assert_eq!(u16::from_be_bytes([out[16], out[17]]) as usize, out.len());
    let full = attr(0x80, 14, &[0, 1, 1, 4, 10, 0, 0, 1, 0]);
    synthetic_update(&mut out, AfiSafi::IPV4_UNICAST, &full).unwrap();
    assert_eq!(&out[23..], &full[..]);
}

// ---- stream errors --------------------------------------------------------------------

#[test]
fn unknown_types_are_not_modelled_and_counted() {
    let (out, stats) = read_all([record(1, 11, 0, &[1, 2, 3]), record(1, 16, 2, &[])].concat());
    let what: Vec<_> = out
        .iter()
        .map(|r| match &r.as_ref().unwrap().body {
            MrtBody::NotModelled(n) => (n.what.clone(), n.scope),
            other => panic!("{other:?}"),
        })
        .collect();
    let record = NotModelledScope::Record;
    assert_eq!(what, vec![("type 11 OSPFv2".into(), record), ("BGP4MP subtype 2".into(), record)]);
    assert_eq!(out[0].as_ref().unwrap().raw.len(), 15);
    assert_eq!(stats.not_modelled, 2);
}

#[test]
fn truncation_ends_the_stream_with_the_record_offset() {
    let ka = record(1, 16, 4, &bgp4mp(true, &bgp_message(4, &[])));
    for cut in [ka.len() + 5, ka.len() + 12, 2 * ka.len() - 1] {
        let (out, _) = read_all([ka.clone(), ka.clone()].concat()[..cut].to_vec());
        assert_eq!(out.len(), 2, "cut at {cut}");
        assert!(out[0].is_ok());
        match &out[1] {
            Err(e @ MrtError::Truncated { offset, available, .. }) => {
                assert_eq!((*offset, *available), (ka.len() as u64, (cut - ka.len()) as u64));
                assert!(e.is_fatal());
            }
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
}

#[test]
fn a_zero_filled_header_is_not_mrt_and_stops_the_stream() {
    let ka = record(1, 16, 4, &bgp4mp(true, &bgp_message(4, &[])));
    // An all-zero file, and zero padding after a real record.
    for (bytes, at) in [(vec![0u8; 1200], 0), ([ka.clone(), vec![0; 24]].concat(), ka.len())] {
        let (out, stats) = read_all(bytes);
        match out.last() {
            Some(Err(e @ MrtError::NotMrt { offset, reason })) => {
                assert_eq!(*offset, at as u64);
                assert!(reason.contains("zero-filled"), "{reason}");
                assert!(e.is_fatal());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(stats.records, u64::from(at > 0));
    }
}

#[test]
fn a_type_outside_the_registry_is_not_mrt() {
    let (out, _) = read_all([record(1, 300, 0, &[]), record(1, 16, 4, &[])].concat());
    match &out[..] {
        [Err(MrtError::NotMrt { offset: 0, reason })] => {
            assert!(reason.contains("300"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_absurd_length_stops_the_stream() {
    let mut r = record(1, 16, 4, &[]);
    r[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
    let (out, _) = read_all(r);
    assert!(matches!(out[..], [Err(MrtError::Oversized { offset: 0, .. })]));
}

#[test]
fn gzip_and_bzip2_are_recognized_by_their_content() {
    let plain = record(1, 16, 4, &bgp4mp(true, &bgp_message(4, &[])));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&plain).unwrap();
    let bz = bz.finish().unwrap();
    for (bytes, compression) in [
        (plain.clone(), Compression::Plain),
        (gz.clone(), Compression::Gzip),
        (bz, Compression::Bzip2),
    ] {
        let mut r = MrtReader::new(Cursor::new(bytes)).unwrap();
        assert_eq!(r.compression(), compression);
        assert_eq!(r.next().unwrap().unwrap().raw, plain);
        assert!(r.next().is_none());
    }
    // A corrupt deflate stream is an error with the offset reached, not a silent end.
    let mut corrupt = gz.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid..gz.len() - 8].iter_mut().for_each(|b| *b ^= 0x5a);
    let (out, _) = read_all(corrupt);
    assert!(matches!(out.last(), Some(Err(MrtError::Decompress { .. }))), "{out:?}");
    // So is a gzip file cut short.
    let (out, _) = read_all(gz[..gz.len() - 10].to_vec());
    assert!(matches!(out.last(), Some(Err(e)) if e.is_fatal()), "{out:?}");
    assert!(read_all(Vec::new()).0.is_empty());
}

// ---- the deprecated BGP type (5), RFC 6396 Appendix B.2.1 -----------------------------------

/// Peer AS 65001 at 192.0.2.1, local AS 65000 at 192.0.2.2, then `contents`.
fn legacy_bgp(contents: &[u8]) -> Vec<u8> {
    let mut b = vec![0xfd, 0xe9, 192, 0, 2, 1, 0xfd, 0xe8, 192, 0, 2, 2];
    b.extend_from_slice(contents);
    b
}

#[test]
fn deprecated_bgp_update_reads_as_a_2_octet_as_ipv4_message() {
    let path = [2, 2, 0xfd, 0xe9, 0, 174];
    let attrs = [attr(0x40, 1, &[0]), attr(0x40, 2, &path), attr(0x40, 3, &[192, 0, 2, 1])];
    // An UPDATE's contents without the 19-byte header: what MRTd wrote.
    let full = update(&[8, 10], &attrs.concat(), &[24, 203, 0, 113]);
    let rec = single(record(946_684_800, 5, 1, &legacy_bgp(&full[19..])));
    assert_eq!(rec.header.kind(), MrtType::Bgp);
    let MrtBody::Message(m) = &rec.body else { panic!("{:?}", rec.body) };
    assert_eq!((m.peer_asn, m.local_asn, m.afi, m.message_offset), (65001, 65000, 1, None));
    assert_eq!(
        (m.peer_ip.to_string(), m.local_ip.to_string()),
        ("192.0.2.1".into(), "192.0.2.2".into())
    );
    assert!(!m.is_local() && !m.add_path);
    let u = expect_update(&rec.body);
    assert_eq!(u.attributes.as_path, Some(AsPath::sequence([65001, 174])));
    assert_eq!(u.withdrawn[0].prefix.to_string(), "10.0.0.0/8");
    assert_eq!(u.reach[0].nlri[0].prefix.to_string(), "203.0.113.0/24");
}

#[test]
fn deprecated_bgp_keepalive_open_and_state_change_are_decoded() {
    let open = [4, 0xfd, 0xe9, 0, 180, 192, 0, 2, 1, 0];
    let state = [0xfd, 0xe9, 192, 0, 2, 1, 0, 1, 0, 2];
    let bytes = [
        record(1, 5, 7, &legacy_bgp(&[])),
        record(2, 5, 5, &legacy_bgp(&open)),
        record(3, 5, 3, &state),
    ]
    .concat();
    let (out, stats) = read_all(bytes);
    let bodies: Vec<_> = out.into_iter().map(|r| r.unwrap().body).collect();
    let MrtBody::Message(ka) = &bodies[0] else { panic!("{bodies:?}") };
    assert_eq!(ka.message, Ok(Message::Keepalive));
    let MrtBody::Message(o) = &bodies[1] else { panic!("{bodies:?}") };
    let Ok(Message::Open(o)) = &o.message else { panic!("{o:?}") };
    assert_eq!((o.asn, o.hold_time), (65001, 180));
    let MrtBody::StateChange(s) = &bodies[2] else { panic!("{bodies:?}") };
    assert_eq!(
        (s.peer_asn, s.peer_ip.to_string(), s.old_state, s.new_state),
        (65001, "192.0.2.1".into(), 1, 2)
    );
    assert_eq!((s.local_asn, s.local_ip.to_string()), (0, "0.0.0.0".into()));
    assert_eq!((stats.not_modelled, stats.malformed), (0, 0));
}

#[test]
fn deprecated_bgp_subtypes_without_routes_are_not_modelled_and_say_what_they_are() {
    let sync = [&[0, 1][..], b"bview.19991214\0"].concat();
    let bytes = [record(1, 5, 0, &[]), record(1, 5, 2, &[1, 2]), record(1, 5, 4, &sync)].concat();
    let (out, stats) = read_all(bytes);
    let what: Vec<_> = out
        .iter()
        .map(|r| match &r.as_ref().unwrap().body {
            MrtBody::NotModelled(n) => (n.what.clone(), n.scope),
            other => panic!("{other:?}"),
        })
        .collect();
    let record = NotModelledScope::Record;
    assert_eq!(
        what,
        vec![
            ("BGP BGP_NULL".into(), record),
            ("BGP BGP_PREF_UPDATE".into(), record),
            ("BGP BGP_SYNC (view 1, file \"bview.19991214\")".into(), record),
        ]
    );
    assert_eq!(stats.not_modelled, 3);
}

#[test]
fn a_deprecated_bgp_record_cut_inside_its_fields_is_malformed() {
    let (out, _) =
        read_all([record(1, 5, 1, &[0xfd, 0xe9, 192]), record(1, 5, 3, &[0; 8])].concat());
    assert!(matches!(&out[0], Err(MrtError::Malformed { offset: 0, at: 14, .. })), "{out:?}");
    assert!(matches!(&out[1], Err(MrtError::Malformed { .. })), "{out:?}");
}
