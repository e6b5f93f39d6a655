//! Capture events back into a pcap file (LINKTYPE_RAW: IPv4/IPv6 + TCP headers rebuilt from
//! the event's fields), so that what the live monitor saw opens in Wireshark or tcpdump, and
//! `bgpstorm decode` / `bgpstorm monitor --pcap` read it again.
//!
//! GSO/GRO super-packets larger than an IP packet can be are written as several packets of
//! consecutive sequence numbers. TCP checksums are left 0 (the segments were checksummed on
//! the wire; offloads hide them from the capture anyway).

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter as Writer};
use pcap_file::{DataLink, TsResolution};

use super::CaptureEvent;

/// Payload bytes per written packet at most (fits an IPv4 total length).
const MAX_PAYLOAD: usize = 65_000;

/// Writes capture events as a nanosecond pcap.
pub struct PcapWriter<W: Write> {
    out: Writer<W>,
    /// Added to event timestamps to get Unix time (live events are CLOCK_MONOTONIC).
    offset_ns: i128,
    /// Packets written.
    pub packets: u64,
}

impl<W: Write> PcapWriter<W> {
    /// A writer whose events' timestamps are `offset_ns` away from Unix time.
    pub fn new(out: W, offset_ns: i128) -> Result<Self, pcap_file::PcapError> {
        let header = PcapHeader {
            datalink: DataLink::RAW,
            ts_resolution: TsResolution::NanoSecond,
            snaplen: 262_144,
            ..PcapHeader::default()
        };
        Ok(Self { out: Writer::with_header(out, header)?, offset_ns, packets: 0 })
    }

    /// Writes one event (as one or more packets).
    pub fn write(&mut self, ev: &CaptureEvent) -> Result<(), pcap_file::PcapError> {
        let ts = Duration::from_nanos((i128::from(ev.ts_ns) + self.offset_ns).max(0) as u64);
        let mut rest = ev.payload.as_slice();
        let mut seq = ev.seq;
        loop {
            let n = rest.len().min(MAX_PAYLOAD);
            let pkt = packet(ev, seq, &rest[..n]);
            self.out.write_packet(&PcapPacket::new(ts, pkt.len() as u32, &pkt))?;
            self.packets += 1;
            rest = &rest[n..];
            seq = seq.wrapping_add(n as u32);
            if rest.is_empty() {
                return Ok(());
            }
        }
    }

    /// The inner writer.
    pub fn into_inner(self) -> W {
        self.out.into_writer()
    }
}

fn packet(ev: &CaptureEvent, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut tcp = Vec::with_capacity(20 + payload.len());
    tcp.extend_from_slice(&ev.src.port().to_be_bytes());
    tcp.extend_from_slice(&ev.dst.port().to_be_bytes());
    tcp.extend_from_slice(&seq.to_be_bytes());
    tcp.extend_from_slice(&ev.ack.to_be_bytes());
    tcp.push(5 << 4);
    tcp.push(ev.flags.0);
    tcp.extend_from_slice(&65535u16.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 0]);
    tcp.extend_from_slice(payload);
    let mut ip = Vec::with_capacity(40 + tcp.len());
    match (ev.src, ev.dst) {
        (SocketAddr::V4(s), SocketAddr::V4(d)) => {
            let total = (20 + tcp.len()) as u16;
            ip.extend_from_slice(&[0x45, 0]);
            ip.extend_from_slice(&total.to_be_bytes());
            ip.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
            ip.extend_from_slice(&s.ip().octets());
            ip.extend_from_slice(&d.ip().octets());
            let sum = checksum(&ip);
            ip[10..12].copy_from_slice(&sum.to_be_bytes());
        }
        (s, d) => {
            let v6 = |a: SocketAddr| match a {
                SocketAddr::V6(a) => a.ip().octets(),
                SocketAddr::V4(a) => a.ip().to_ipv6_mapped().octets(),
            };
            ip.extend_from_slice(&[0x60, 0, 0, 0]);
            ip.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
            ip.extend_from_slice(&[6, 64]);
            ip.extend_from_slice(&v6(s));
            ip.extend_from_slice(&v6(d));
        }
    }
    ip.extend_from_slice(&tcp);
    ip
}

fn checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{PcapSource, TcpFlags};

    #[test]
    fn written_events_read_back_as_the_same_segments() {
        let ev = |src: &str, dst: &str, seq, payload: Vec<u8>| CaptureEvent {
            ts_ns: 1_000_000_123,
            ifindex: 3,
            direction: None,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            seq,
            ack: 7,
            flags: TcpFlags(TcpFlags::ACK.0 | TcpFlags::PSH.0),
            payload_len: payload.len() as u32,
            payload,
        };
        let big: Vec<u8> = (0..150_000u32).map(|i| i as u8).collect();
        let events = [
            ev("10.0.1.2:40000", "10.0.1.1:179", 100, vec![1, 2, 3]),
            ev("[fd00::2]:179", "[fd00::1]:5000", 9, big.clone()),
        ];
        let mut w = PcapWriter::new(Vec::new(), 0).unwrap();
        for e in &events {
            w.write(e).unwrap();
        }
        assert_eq!(w.packets, 1 + 3);
        let bytes = w.into_inner();
        let src = PcapSource::from_reader("mem", std::io::Cursor::new(bytes)).unwrap();
        let back: Vec<CaptureEvent> = src.map(|r| r.unwrap()).collect();
        assert_eq!(back.len(), 4);
        assert_eq!(
            (back[0].src, back[0].seq, back[0].payload.as_slice()),
            (events[0].src, 100, &[1u8, 2, 3][..])
        );
        assert_eq!(back[0].ts_ns, 1_000_000_123);
        let joined: Vec<u8> = back[1..].iter().flat_map(|e| e.payload.clone()).collect();
        assert_eq!(joined, big);
        assert_eq!(back[2].seq, 9 + MAX_PAYLOAD as u32);
    }
}
