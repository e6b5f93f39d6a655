//! TCP reassembly and BGP stream decoding over a script of segments: reordered, duplicated,
//! overlapping, cut short, with resets and FINs on four flows (two connections, both ways).
//!
//! Byte 0: bit 0 feeds the whole pipeline (reassembly, framing, session context, decoding)
//! instead of the reassembler alone; bit 1 keeps no retransmission history; bit 2 turns off
//! gap detection by acknowledgment; bit 3 uses tiny buffer limits. Then segments of
//! 12 octets of header and up to 63 payload bytes:
//! flow (1: connection in bit 0, direction in bit 1), flags (1), sequence number (4),
//! acknowledgment number (4), payload length (1: low 6 bits taken; bit 6 says the capture
//! cut the payload to half), time step (1).

#![no_main]

use bgpstorm_monitor::capture::{CaptureEvent, TcpFlags};
use bgpstorm_monitor::reassembly::{Reassembler, ReassemblyConfig};
use bgpstorm_monitor::stream::{DecodeOptions, StreamDecoder};
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

fn segments(mut data: &[u8]) -> Vec<CaptureEvent> {
    let mut out = Vec::new();
    let mut ts_ns = 0u64;
    while data.len() >= 12 {
        let (h, rest) = data.split_at(12);
        let n = (h[10] & 0x3f) as usize;
        let payload_len = n.min(rest.len());
        let payload = rest[..payload_len].to_vec();
        data = &rest[payload_len..];
        let captured = if h[10] & 0x40 != 0 { payload_len / 2 } else { payload_len };
        let conn = h[0] & 1;
        let speaker = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1 + conn)), 179);
        let peer =
            SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)), 40000 + u16::from(conn));
        let (src, dst) = if h[0] & 2 == 0 { (speaker, peer) } else { (peer, speaker) };
        ts_ns += u64::from(h[11]) * 1_000;
        out.push(CaptureEvent {
            ts_ns,
            ifindex: 0,
            direction: None,
            src,
            dst,
            seq: u32::from_be_bytes([h[2], h[3], h[4], h[5]]),
            ack: u32::from_be_bytes([h[6], h[7], h[8], h[9]]),
            flags: TcpFlags(h[1]),
            payload: payload[..captured].to_vec(),
            payload_len: payload_len as u32,
        });
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut cfg = ReassemblyConfig::default();
    if mode & 2 != 0 {
        cfg.history_bytes = 0;
    }
    cfg.ack_gap_detection = mode & 4 == 0;
    if mode & 8 != 0 {
        cfg.max_buffered_bytes = 64;
        cfg.max_buffered_segments = 2;
        cfg.max_flows = 2;
    }
    let events = segments(rest);
    if mode & 1 == 0 {
        let mut reassembler = Reassembler::new(cfg);
        let mut out = Vec::new();
        for ev in events {
            reassembler.push(ev, &mut out);
            out.clear();
        }
        reassembler.finish(&mut out);
    } else {
        let mut decoder =
            StreamDecoder::new(DecodeOptions { reassembly: cfg, ..DecodeOptions::default() });
        let mut out = Vec::new();
        for ev in events {
            decoder.push(ev, &mut out);
            out.clear();
        }
        decoder.finish(&mut out);
    }
});
