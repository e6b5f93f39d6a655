//! Builders of frames and capture files for the unit tests.

use std::net::Ipv6Addr;

/// A TCP header with timestamps options (data offset 8) followed by `payload`.
pub(crate) fn tcp(
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&sport.to_be_bytes());
    h.extend_from_slice(&dport.to_be_bytes());
    h.extend_from_slice(&seq.to_be_bytes());
    h.extend_from_slice(&ack.to_be_bytes());
    h.extend_from_slice(&[0x80, flags, 0x20, 0x00, 0, 0, 0, 0]);
    h.extend_from_slice(&[1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
    h.extend_from_slice(payload);
    h
}

/// An IPv4 header with `options` (a multiple of 4 bytes) and the given flags/fragment word.
pub(crate) fn ipv4_with(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    frag: u16,
    options: &[u8],
    body: &[u8],
) -> Vec<u8> {
    let ihl = 20 + options.len();
    let total = (ihl + body.len()) as u16;
    let mut p = vec![0x40 | (ihl / 4) as u8, 0];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0, 1]);
    p.extend_from_slice(&frag.to_be_bytes());
    p.extend_from_slice(&[64, proto, 0, 0]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(options);
    p.extend_from_slice(body);
    p
}

/// A plain IPv4 packet.
pub(crate) fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, body: &[u8]) -> Vec<u8> {
    ipv4_with(src, dst, proto, 0x4000, &[], body)
}

/// An IPv6 packet whose `body` starts with the header `next` names.
pub(crate) fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, next: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&(body.len() as u16).to_be_bytes());
    p.extend_from_slice(&[next, 64]);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(body);
    p
}

/// An Ethernet II frame.
pub(crate) fn ether(ethertype: u16, body: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(body);
    f
}

/// An Ethernet frame carrying IPv4/TCP from 192.0.2.1:port_a to 192.0.2.2:port_b.
pub(crate) fn ether_tcp(sport: u16, dport: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    ether(
        0x0800,
        &ipv4([192, 0, 2, 1], [192, 0, 2, 2], 6, &tcp(sport, dport, seq, 0, flags, payload)),
    )
}

/// A little-endian microsecond pcap file.
pub(crate) fn pcap_file(link: u32, frames: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut f = Vec::new();
    // Magic, version 2.4 (two u16), thiszone, sigfigs, snaplen, link type.
    for w in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, link] {
        f.extend_from_slice(&w.to_le_bytes());
    }
    for (ts_ns, data) in frames {
        let secs = (ts_ns / 1_000_000_000) as u32;
        let micros = ((ts_ns % 1_000_000_000) / 1000) as u32;
        for w in [secs, micros, data.len() as u32, data.len() as u32] {
            f.extend_from_slice(&w.to_le_bytes());
        }
        f.extend_from_slice(data);
    }
    f
}

fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let len = (12 + body.len().div_ceil(4) * 4) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(&kind.to_le_bytes());
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(body);
    b.resize(len as usize - 4, 0);
    b.extend_from_slice(&len.to_le_bytes());
    b
}

/// A little-endian pcapng file with one interface; `tsresol` is its `if_tsresol` option.
/// Frames are (timestamp in interface units, epb_flags, bytes).
pub(crate) fn pcapng_file(
    link: u16,
    tsresol: Option<u8>,
    frames: &[(u64, u32, Vec<u8>)],
) -> Vec<u8> {
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&u64::MAX.to_le_bytes());
    let mut f = block(0x0a0d_0d0a, &shb);
    let mut idb = Vec::new();
    idb.extend_from_slice(&link.to_le_bytes());
    idb.extend_from_slice(&[0, 0]);
    idb.extend_from_slice(&65535u32.to_le_bytes());
    if let Some(r) = tsresol {
        idb.extend_from_slice(&[9, 0, 1, 0, r, 0, 0, 0]);
        idb.extend_from_slice(&[0, 0, 0, 0]);
    }
    f.extend(block(1, &idb));
    for (ts, flags, data) in frames {
        let mut epb = Vec::new();
        for w in [0u32, (ts >> 32) as u32, *ts as u32, data.len() as u32, data.len() as u32] {
            epb.extend_from_slice(&w.to_le_bytes());
        }
        epb.extend_from_slice(data);
        epb.resize(epb.len().div_ceil(4) * 4, 0);
        if *flags != 0 {
            epb.extend_from_slice(&[2, 0, 4, 0]);
            epb.extend_from_slice(&flags.to_le_bytes());
            epb.extend_from_slice(&[0, 0, 0, 0]);
        }
        f.extend(block(6, &epb));
    }
    f
}
