//! Pipe output against `bgpdump -m` on an MRT file built here, for what the archives in
//! data do not contain: BGP4MP_ET timestamps, `_LOCAL` and `_ADDPATH` subtypes,
//! AS4_PATH / AS4_AGGREGATOR merging on 2-octet sessions, AS_SET and confederation
//! segments, well-known communities, IPv6 next hops with a link-local address, MP_UNREACH
//! with path identifiers, abbreviated and full MP_REACH_NLRI in RIB entries, IPv4-mapped and
//! IPv4-compatible addresses, and the legacy TABLE_DUMP for both families.

use std::net::Ipv6Addr;
use std::path::Path;
use std::process::Command;

use bgpstorm_harness::decode::pipe;
use bgpstorm_tests::mrt::record;
use bgpstorm_wire::mrt::MrtReader;

fn et_record(ts: u32, us: u32, subtype: u16, body: &[u8]) -> Vec<u8> {
    record(ts, 17, subtype, &[&us.to_be_bytes()[..], body].concat())
}

fn attr(flags: u8, code: u8, value: &[u8]) -> Vec<u8> {
    [&[flags, code, value.len() as u8][..], value].concat()
}

fn v6(s: &str) -> [u8; 16] {
    s.parse::<Ipv6Addr>().unwrap().octets()
}

fn asns(width: usize, list: &[u32]) -> Vec<u8> {
    list.iter().flat_map(|a| a.to_be_bytes()[4 - width..].to_vec()).collect()
}

/// An AS_PATH value from (segment type, ASNs).
fn as_path(width: usize, segments: &[(u8, &[u32])]) -> Vec<u8> {
    segments
        .iter()
        .flat_map(|(t, list)| [vec![*t, list.len() as u8], asns(width, list)].concat())
        .collect()
}

fn update(withdrawn: &[u8], attrs: &[u8], nlri: &[u8]) -> Vec<u8> {
    let mut m = vec![0xff; 16];
    m.extend_from_slice(&((23 + withdrawn.len() + attrs.len() + nlri.len()) as u16).to_be_bytes());
    m.push(2);
    m.extend_from_slice(&(withdrawn.len() as u16).to_be_bytes());
    m.extend_from_slice(withdrawn);
    m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    m.extend_from_slice(attrs);
    m.extend_from_slice(nlri);
    m
}

/// BGP4MP fields before the message: AS numbers, interface 0, AFI, peer and local address.
fn bgp4mp_head(width: usize, peer_as: u32, peer: &[u8], local: &[u8]) -> Vec<u8> {
    let afi: u16 = if peer.len() == 4 { 1 } else { 2 };
    [
        asns(width, &[peer_as, 65000]),
        vec![0, 0],
        afi.to_be_bytes().to_vec(),
        peer.to_vec(),
        local.to_vec(),
    ]
    .concat()
}

fn rib_entry(peer: u16, path_id: Option<u32>, attrs: &[u8]) -> Vec<u8> {
    let mut e = [&peer.to_be_bytes()[..], &1_000u32.to_be_bytes()].concat();
    if let Some(id) = path_id {
        e.extend_from_slice(&id.to_be_bytes());
    }
    e.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    e.extend_from_slice(attrs);
    e
}

fn synthetic_mrt() -> Vec<u8> {
    let communities = [0xFFFF_FF01u32, 0xFFFF_FF02, 0xFFFF_FF03, 0xFFFF_FF04, 65001 << 16 | 100];
    let communities: Vec<u8> = communities.iter().flat_map(|c| c.to_be_bytes()).collect();
    let set_and_confeds = as_path(
        4,
        &[
            (2, &[65001, 65002]),
            (1, &[3, 1, 2]),
            (3, &[64512, 64513]),
            (4, &[64514, 64515]),
            (2, &[7]),
        ],
    );
    let mut mp_reach = vec![0, 2, 1, 32];
    mp_reach.extend_from_slice(&v6("2001:db8::1"));
    mp_reach.extend_from_slice(&v6("fe80::1"));
    mp_reach.extend_from_slice(&[0, 48, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0]);
    let mp_unreach = [0, 2, 1, 48, 0x20, 0x01, 0x0d, 0xb8, 0, 2];
    let large = [asns(4, &[65001, 1, 2])].concat();
    let aggregator = [asns(4, &[4_200_000_002]), vec![192, 0, 2, 9]].concat();
    let full = [
        attr(0x40, 1, &[1]),
        attr(0x40, 2, &set_and_confeds),
        attr(0x40, 3, &[198, 51, 100, 1]),
        attr(0x80, 4, &[0, 0, 0, 5]),
        attr(0x40, 5, &[0, 0, 0, 200]),
        attr(0x40, 6, &[]),
        attr(0xc0, 7, &aggregator),
        attr(0xc0, 8, &communities),
        attr(0xc0, 32, &large),
        attr(0x80, 14, &mp_reach),
        attr(0x80, 15, &mp_unreach),
    ]
    .concat();
    let peer6 = v6("2001:db8:0:1:1:1:1:1");
    let r1 = et_record(
        1_700_000_000,
        5,
        4,
        &[
            bgp4mp_head(4, 4_200_000_001, &peer6, &v6("2001:db8::2")),
            update(&[8, 10], &full, &[24, 192, 0, 2]),
        ]
        .concat(),
    );

    // A 2-octet session: AS4_PATH and AS4_AGGREGATOR restore the 4-octet ASNs.
    let merged = [
        attr(0x40, 1, &[0]),
        attr(0x40, 2, &as_path(2, &[(2, &[65001, 23456, 23456])])),
        attr(0x40, 3, &[192, 0, 2, 1]),
        attr(0xc0, 7, &[0x5b, 0xa0, 10, 0, 0, 1]),
        attr(0xc0, 17, &as_path(4, &[(2, &[4_200_000_000, 4_200_000_001])])),
        attr(0xc0, 18, &[&4_200_000_003u32.to_be_bytes()[..], &[10, 0, 0, 1]].concat()),
    ]
    .concat();
    let r2 = record(
        1_700_000_001,
        16,
        6,
        &[
            bgp4mp_head(2, 65001, &[192, 0, 2, 1], &[192, 0, 2, 2]),
            update(&[], &merged, &[24, 198, 51, 100]),
        ]
        .concat(),
    );

    let state =
        [bgp4mp_head(4, 65001, &[192, 0, 2, 1], &[192, 0, 2, 2]), vec![0, 3, 0, 4]].concat();
    let r3 = et_record(1_700_000_002, 999_999, 5, &state);

    // ADD-PATH: withdrawals (legacy and MP_UNREACH) and an announcement with path ids, an
    // empty AS_PATH.
    let ap_unreach = [0, 2, 1, 0, 0, 0, 8, 48, 0x20, 0x01, 0x0d, 0xb8, 0, 3];
    let ap_attrs = [
        attr(0x40, 1, &[2]),
        attr(0x40, 2, &[]),
        attr(0x40, 3, &[192, 0, 2, 1]),
        attr(0x80, 15, &ap_unreach),
    ]
    .concat();
    let ap = update(&[0, 0, 0, 7, 16, 10, 1], &ap_attrs, &[0, 0, 0, 9, 24, 203, 0, 113]);
    let r4 = record(
        1_700_000_003,
        16,
        9,
        &[bgp4mp_head(4, 65001, &[192, 0, 2, 1], &[192, 0, 2, 2]), ap].concat(),
    );

    // TABLE_DUMP_V2: an IPv4 and an IPv4-compatible IPv6 peer.
    let mut pit = vec![
        10, 0, 0, 1, 0, 0, 0, 2, 0x00, 1, 1, 1, 1, 198, 51, 100, 7, 0xfb, 0xf4, 0x03, 2, 2, 2, 2,
    ];
    pit.extend_from_slice(&v6("::192.0.2.5"));
    pit.extend_from_slice(&4_200_000_000u32.to_be_bytes());
    let r5 = record(1_700_000_100, 13, 1, &pit);
    let rib4 = [
        vec![0, 0, 0, 0, 24, 198, 51, 100, 0, 2],
        rib_entry(0, None, &full[..full.len() - mp_reach.len() - mp_unreach.len() - 6]),
        rib_entry(1, None, &[]),
    ]
    .concat();
    let r6 = record(1_700_000_100, 13, 2, &rib4);
    let abbreviated = [&[32u8][..], &v6("2001:db8::a"), &v6("fe80::a")].concat();
    let full_v6 = [&[0u8, 2, 1, 16][..], &v6("2001:db8::b"), &[0]].concat();
    let rib6 = [
        vec![0, 0, 0, 1, 32, 0x20, 0x01, 0x0d, 0xb8, 0, 2],
        rib_entry(1, Some(3), &[attr(0x40, 1, &[0]), attr(0x80, 14, &abbreviated)].concat()),
        rib_entry(0, Some(4), &[attr(0x40, 1, &[0]), attr(0x80, 14, &full_v6)].concat()),
    ]
    .concat();
    let r7 = record(1_700_000_100, 13, 10, &rib6);

    // Legacy TABLE_DUMP, 2-octet AS numbers.
    let td_attrs = [
        attr(0x40, 1, &[0]),
        attr(0x40, 2, &as_path(2, &[(2, &[65001, 65002]), (1, &[65003, 65004])])),
    ]
    .concat();
    let mut td4 = vec![0, 0, 0, 5, 10, 0, 0, 0, 8, 1, 0, 0, 0, 9, 192, 0, 2, 1, 0xfd, 0xe9];
    td4.extend_from_slice(&(td_attrs.len() as u16 + 7).to_be_bytes());
    td4.extend_from_slice(&td_attrs);
    td4.extend_from_slice(&attr(0x40, 3, &[192, 0, 2, 1]));
    let r8 = record(1_700_000_200, 12, 1, &td4);
    let td6_attrs =
        [attr(0x40, 1, &[2]), attr(0x80, 14, &[&[16u8][..], &v6("2001:db8::1")].concat())].concat();
    let mut td6 = [vec![0, 0, 0, 6], v6("2001:db8::").to_vec(), vec![32, 1, 0, 0, 0, 9]].concat();
    td6.extend_from_slice(&v6("::ffff:192.0.2.1"));
    td6.extend_from_slice(&[0xfd, 0xe9]);
    td6.extend_from_slice(&(td6_attrs.len() as u16).to_be_bytes());
    td6.extend_from_slice(&td6_attrs);
    let r9 = record(1_700_000_200, 12, 2, &td6);

    [r1, r2, r3, r4, r5, r6, r7, r8, r9].concat()
}

#[test]
fn synthetic_records_match_bgpdump() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp/mrt-pipe");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("synthetic.mrt");
    std::fs::write(&file, synthetic_mrt()).unwrap();

    let mut ours = Vec::new();
    for r in MrtReader::open(&file).unwrap() {
        pipe::write_record(&mut ours, &r.unwrap()).unwrap();
    }
    let ours = String::from_utf8(ours).unwrap();
    let theirs = match Command::new("bgpdump").arg("-m").arg(&file).output() {
        Ok(out) => String::from_utf8(out.stdout).unwrap(),
        Err(e) => panic!("bgpdump cannot run ({e}): run ci/setup, it installs Debian's bgpdump"),
    };
    std::fs::write(dir.join("synthetic.ours"), &ours).unwrap();
    std::fs::write(dir.join("synthetic.bgpdump"), &theirs).unwrap();
    assert_eq!(ours.lines().count(), 16, "{ours}");
    for (i, (o, t)) in ours.lines().zip(theirs.lines()).enumerate() {
        assert_eq!(o, t, "line {}", i + 1);
    }
    assert_eq!(ours, theirs);
}
