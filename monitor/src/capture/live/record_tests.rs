use super::*;
use bgpstorm_ebpf::{CHUNK_MID, CHUNK_SMALL};

/// A record as the kernel writes it: `chunk` bytes at `coff` of a `payload_len` segment.
fn rec(seq: u32, tcp_flags: u8, payload_len: u32, coff: u32, chunk: &[u8], rf: u8) -> Vec<u8> {
    let size =
        [0, CHUNK_SMALL, CHUNK_MID, CHUNK_BIG].into_iter().find(|&s| chunk.len() <= s).unwrap();
    let mut b = vec![0u8; r::HEADER_LEN + size];
    b[r::TS_NS..r::TS_NS + 8].copy_from_slice(&77u64.to_ne_bytes());
    b[r::IFINDEX..r::IFINDEX + 4].copy_from_slice(&3u32.to_ne_bytes());
    b[r::PAYLOAD_LEN..r::PAYLOAD_LEN + 4].copy_from_slice(&payload_len.to_ne_bytes());
    b[r::SEQ..r::SEQ + 4].copy_from_slice(&seq.to_ne_bytes());
    b[r::ACK..r::ACK + 4].copy_from_slice(&9u32.to_ne_bytes());
    b[r::CHUNK_OFFSET..r::CHUNK_OFFSET + 4].copy_from_slice(&coff.to_ne_bytes());
    b[r::CHUNK_LEN..r::CHUNK_LEN + 2].copy_from_slice(&(chunk.len() as u16).to_ne_bytes());
    b[r::SPORT..r::SPORT + 2].copy_from_slice(&40000u16.to_ne_bytes());
    b[r::DPORT..r::DPORT + 2].copy_from_slice(&179u16.to_ne_bytes());
    b[r::DIRECTION] = r::DIR_EGRESS;
    b[r::FAMILY] = 4;
    b[r::TCP_FLAGS] = tcp_flags;
    b[r::REC_FLAGS] = rf;
    b[r::SADDR..r::SADDR + 4].copy_from_slice(&[192, 0, 2, 1]);
    b[r::DADDR..r::DADDR + 4].copy_from_slice(&[192, 0, 2, 2]);
    b[r::HEADER_LEN..r::HEADER_LEN + chunk.len()].copy_from_slice(chunk);
    b
}

const SYN_FIN_PSH_ACK: u8 = 0x02 | 0x01 | 0x08 | 0x10;

#[test]
fn a_single_record_keeps_every_field_of_the_segment() {
    let ev = parse_record(&rec(1000, 0x18, 3, 0, b"abc", r::FIRST | r::LAST)).unwrap();
    assert_eq!(ev.ts_ns, 77);
    assert_eq!(ev.ifindex, 3);
    assert_eq!(ev.direction, Some(Direction::Egress));
    assert_eq!(ev.src, "192.0.2.1:40000".parse().unwrap());
    assert_eq!(ev.dst, "192.0.2.2:179".parse().unwrap());
    assert_eq!((ev.seq, ev.ack, ev.flags), (1000, 9, TcpFlags(0x18)));
    assert_eq!((ev.payload.as_slice(), ev.payload_len), (&b"abc"[..], 3));
}

#[test]
fn chunks_become_segments_at_their_place_with_syn_first_and_fin_last() {
    let data: Vec<u8> = (0..CHUNK_BIG + 10).map(|i| i as u8).collect();
    let total = data.len() as u32;
    let a = rec(500, SYN_FIN_PSH_ACK, total, 0, &data[..CHUNK_BIG], r::FIRST);
    let b = rec(500, SYN_FIN_PSH_ACK, total, CHUNK_BIG as u32, &data[CHUNK_BIG..], r::LAST);
    let (a, b) = (parse_record(&a).unwrap(), parse_record(&b).unwrap());
    assert_eq!((a.seq, a.flags), (500, TcpFlags(0x02 | 0x10)));
    // The SYN takes sequence number 500; data byte 0 is 501.
    assert_eq!((b.seq, b.flags), (501 + CHUNK_BIG as u32, TcpFlags(0x01 | 0x08 | 0x10)));
    assert_eq!([a.payload, b.payload].concat(), data);
}

#[test]
fn the_last_chunk_of_a_cut_segment_carries_the_uncaptured_length() {
    let ev = parse_record(&rec(0, 0x10, 70_000, 61_440, &[1; CHUNK_BIG], r::LAST)).unwrap();
    assert_eq!(ev.payload.len(), CHUNK_BIG);
    assert_eq!(ev.payload_len, 70_000 - 61_440);
    assert!(ev.is_snapped());
}

#[test]
fn ipv6_addresses_are_read_whole() {
    let mut b = rec(1, 0x10, 0, 0, b"", r::FIRST | r::LAST);
    b[r::FAMILY] = 6;
    b[r::SADDR..r::SADDR + 16]
        .copy_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
    b[r::DADDR..r::DADDR + 16]
        .copy_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
    let ev = parse_record(&b).unwrap();
    assert_eq!(ev.src, "[2001:db8::1]:40000".parse().unwrap());
    assert_eq!(ev.dst, "[2001:db8::2]:179".parse().unwrap());
}

#[test]
fn inconsistent_records_are_errors_not_panics() {
    assert_eq!(parse_record(&[0; 10]), Err(RecordError::Short(10)));
    let mut b = rec(1, 0x10, 3, 0, b"abc", r::FIRST | r::LAST);
    b.truncate(r::HEADER_LEN + 2);
    assert_eq!(parse_record(&b), Err(RecordError::BadChunkLen { claimed: 3, held: 2 }));
    let mut b = rec(1, 0x10, 3, 0, b"abc", r::FIRST | r::LAST);
    b[r::FAMILY] = 5;
    assert_eq!(parse_record(&b), Err(RecordError::BadFamily(5)));
}
