//! From a captured frame to a TCP segment: link layer, IPv4/IPv6, TCP header.
//!
//! Every function takes untrusted bytes and either returns the segment or a [`SkipReason`];
//! nothing here panics or allocates.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::stats::SkipReason;
use super::{Direction, TcpFlags};

/// Link-layer header types (tcpdump.org "LINKTYPE_" registry) that the reader understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// BSD loopback (0): a 4-byte address family in the capturing host's byte order.
    Null,
    /// Ethernet (1), with 802.1Q / 802.1ad VLAN tags, MPLS and PPPoE inside.
    Ethernet,
    /// PPP (9) and PPP in HDLC-like framing (50).
    Ppp,
    /// Raw IPv4 or IPv6, told apart by the version nibble (101; DLT_RAW 12 and 14).
    Raw,
    /// Cisco HDLC (104): address, control, then an Ethernet type.
    CiscoHdlc,
    /// OpenBSD loopback (108): a 4-byte address family in network byte order.
    Loop,
    /// Linux cooked capture v1 (113).
    LinuxSll,
    /// Juniper Ethernet (178): a Juniper pseudo-header, then an Ethernet frame.
    JuniperEther,
    /// Raw IPv4 (228).
    Ipv4,
    /// Raw IPv6 (229).
    Ipv6,
    /// Linux cooked capture v2 (276), which carries the ifindex.
    LinuxSll2,
    /// Anything else: frames are counted as [`SkipReason::UnsupportedLinkType`].
    Other(u32),
}

impl LinkType {
    /// The link type of a pcap header or pcapng interface description.
    pub fn from_number(n: u32) -> Self {
        // pcap headers may carry FCS information in the upper bits (pcap spec §"LinkType").
        match n & 0xffff {
            0 => Self::Null,
            1 => Self::Ethernet,
            9 | 50 => Self::Ppp,
            12 | 14 | 101 => Self::Raw,
            104 => Self::CiscoHdlc,
            108 => Self::Loop,
            113 => Self::LinuxSll,
            178 => Self::JuniperEther,
            228 => Self::Ipv4,
            229 => Self::Ipv6,
            276 => Self::LinuxSll2,
            _ => Self::Other(n),
        }
    }
}

/// A TCP segment found in a frame, borrowing the frame's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Sender address and port.
    pub src: SocketAddr,
    /// Receiver address and port.
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// Payload as captured.
    pub payload: &'a [u8],
    /// Payload length on the wire.
    pub payload_len: u32,
    /// Direction, when the link header says (Linux cooked, Juniper).
    pub direction: Option<Direction>,
    /// OS interface index, when the link header says (Linux cooked v2).
    pub ifindex: Option<u32>,
}

type Parsed<'a> = Result<Segment<'a>, SkipReason>;

/// Finds the TCP segment in one captured frame of link type `link`.
pub fn parse_frame(link: LinkType, frame: &[u8]) -> Parsed<'_> {
    match link {
        LinkType::Ethernet => ethernet(frame),
        LinkType::Raw => ip(frame),
        LinkType::Ipv4 => ipv4(frame),
        LinkType::Ipv6 => ipv6(frame),
        LinkType::LinuxSll => linux_sll(frame),
        LinkType::LinuxSll2 => linux_sll2(frame),
        LinkType::Null => null(frame, false),
        LinkType::Loop => null(frame, true),
        LinkType::Ppp => ppp(frame),
        LinkType::CiscoHdlc => {
            let (t, rest) = (be16(frame, 2)?, frame.get(4..).ok_or(SkipReason::Truncated)?);
            ethertype(t, rest, 0)
        }
        LinkType::JuniperEther => juniper_ether(frame),
        LinkType::Other(_) => Err(SkipReason::UnsupportedLinkType),
    }
}

fn be16(b: &[u8], at: usize) -> Result<u16, SkipReason> {
    match b.get(at..at + 2) {
        Some(&[x, y]) => Ok(u16::from_be_bytes([x, y])),
        _ => Err(SkipReason::Truncated),
    }
}

fn be32(b: &[u8], at: usize) -> Result<u32, SkipReason> {
    match b.get(at..at + 4) {
        Some(&[a, c, d, e]) => Ok(u32::from_be_bytes([a, c, d, e])),
        _ => Err(SkipReason::Truncated),
    }
}

fn tail(b: &[u8], from: usize) -> Result<&[u8], SkipReason> {
    b.get(from..).ok_or(SkipReason::Truncated)
}

/// Ethernet II / 802.3 (IEEE 802.3 §3.1.1).
///
/// ```text
/// | destination (6) | source (6) | type or length (2) | payload ... | (FCS)
/// ```
fn ethernet(frame: &[u8]) -> Parsed<'_> {
    let t = be16(frame, 12)?;
    let rest = tail(frame, 14)?;
    if t <= 1500 {
        // 802.3 length field: only LLC/SNAP (AA AA 03, OUI, type) can carry IP.
        return match rest.get(..3) {
            Some([0xaa, 0xaa, 0x03]) => ethertype(be16(rest, 6)?, tail(rest, 8)?, 0),
            _ => Err(SkipReason::NotIp),
        };
    }
    ethertype(t, rest, 0)
}

/// Dispatches on an Ethernet type; `depth` bounds nested VLAN tags.
fn ethertype(t: u16, rest: &[u8], depth: u8) -> Parsed<'_> {
    match t {
        0x0800 => ipv4(rest),
        0x86dd => ipv6(rest),
        // 802.1Q, 802.1ad (QinQ) and the older QinQ types: TCI (2), inner type (2).
        0x8100 | 0x88a8 | 0x9100 | 0x9200 if depth < 8 => {
            ethertype(be16(rest, 2)?, tail(rest, 4)?, depth + 1)
        }
        0x8847 | 0x8848 => mpls(rest),
        // PPPoE session stage (RFC 2516 §4): ver/type, code, session, length, PPP protocol.
        0x8864 => ppp_protocol(be16(rest, 6)?, tail(rest, 8)?),
        _ => Err(SkipReason::NotIp),
    }
}

/// MPLS label stack (RFC 3032 §2.1): labels until the bottom-of-stack bit, then IP.
fn mpls(mut rest: &[u8]) -> Parsed<'_> {
    for _ in 0..16 {
        let entry = be32(rest, 0)?;
        rest = tail(rest, 4)?;
        if entry & 0x100 != 0 {
            return ip(rest);
        }
    }
    Err(SkipReason::NotIp)
}

/// Linux cooked v1: packet type (2), ARPHRD (2), address length (2), address (8), protocol (2).
fn linux_sll(frame: &[u8]) -> Parsed<'_> {
    let direction = sll_direction(u32::from(be16(frame, 0)?));
    let mut seg = ethertype(be16(frame, 14)?, tail(frame, 16)?, 0)?;
    seg.direction = direction;
    Ok(seg)
}

/// Linux cooked v2: protocol (2), reserved (2), ifindex (4), ARPHRD (2), packet type (1),
/// address length (1), address (8).
fn linux_sll2(frame: &[u8]) -> Parsed<'_> {
    let ifindex = be32(frame, 4)?;
    let direction = sll_direction(u32::from(*frame.get(10).ok_or(SkipReason::Truncated)?));
    let mut seg = ethertype(be16(frame, 0)?, tail(frame, 20)?, 0)?;
    seg.direction = direction;
    seg.ifindex = Some(ifindex);
    Ok(seg)
}

/// PACKET_OUTGOING (4) is egress; host, broadcast, multicast, other host are ingress.
fn sll_direction(packet_type: u32) -> Option<Direction> {
    match packet_type {
        0..=3 => Some(Direction::Ingress),
        4 => Some(Direction::Egress),
        _ => None,
    }
}

/// BSD loopback: AF_INET is 2 everywhere; AF_INET6 is 24, 28 or 30 depending on the OS.
fn null(frame: &[u8], network_order: bool) -> Parsed<'_> {
    let b = frame.get(..4).ok_or(SkipReason::Truncated)?;
    let be = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let le = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let family = if network_order || be < 256 { be } else { le };
    match family {
        2 => ipv4(&frame[4..]),
        24 | 28 | 30 => ipv6(&frame[4..]),
        _ => Err(SkipReason::NotIp),
    }
}

/// PPP (RFC 1661 §2): optional HDLC address/control (FF 03), then a 1- or 2-byte protocol.
fn ppp(frame: &[u8]) -> Parsed<'_> {
    let rest = match frame {
        [0xff, 0x03, rest @ ..] => rest,
        _ => frame,
    };
    match rest {
        // Protocol field compression (RFC 1661 §6.5): an odd first byte is the whole field.
        [p, tail @ ..] if p & 1 == 1 => ppp_protocol(u16::from(*p), tail),
        _ => ppp_protocol(be16(rest, 0)?, tail(rest, 2)?),
    }
}

fn ppp_protocol(protocol: u16, rest: &[u8]) -> Parsed<'_> {
    match protocol {
        0x0021 => ipv4(rest),
        0x0057 => ipv6(rest),
        _ => Err(SkipReason::NotIp),
    }
}

/// Juniper pseudo-header: magic "MGC", flags, and with flag 0x80 an extension length (2)
/// and that many extension bytes. Flag 0x01 marks a received frame.
fn juniper_ether(frame: &[u8]) -> Parsed<'_> {
    let (flags, mut rest) = match frame {
        [b'M', b'G', b'C', flags, rest @ ..] => (*flags, rest),
        _ => return Err(SkipReason::NotIp),
    };
    if flags & 0x80 != 0 {
        let ext = usize::from(be16(rest, 0)?);
        rest = tail(rest, 2 + ext)?;
    }
    // "No L2 header" frames start directly with IP.
    let mut seg = if flags & 0x02 != 0 { ip(rest)? } else { ethernet(rest)? };
    seg.direction = Some(if flags & 0x01 != 0 { Direction::Ingress } else { Direction::Egress });
    Ok(seg)
}

/// IPv4 or IPv6 by the version nibble.
fn ip(packet: &[u8]) -> Parsed<'_> {
    match packet.first().map(|b| b >> 4) {
        Some(4) => ipv4(packet),
        Some(6) => ipv6(packet),
        Some(_) => Err(SkipReason::MalformedIp),
        None => Err(SkipReason::Truncated),
    }
}

/// IPv4 (RFC 791 §3.1). Options are skipped by the header length; fragments are counted.
///
/// ```text
/// |Version|  IHL  |Type of Service|          Total Length         |
/// |         Identification        |Flags|      Fragment Offset    |
/// |  Time to Live |    Protocol   |         Header Checksum       |
/// |                       Source Address                          |
/// |                    Destination Address                        |
/// |                    Options                    |    Padding    |
/// ```
fn ipv4(packet: &[u8]) -> Parsed<'_> {
    let h = packet.get(..20).ok_or(SkipReason::Truncated)?;
    if h[0] >> 4 != 4 {
        return Err(SkipReason::MalformedIp);
    }
    let ihl = usize::from(h[0] & 0x0f) * 4;
    if ihl < 20 {
        return Err(SkipReason::MalformedIp);
    }
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    // A total length of 0 is what Linux writes into TSO super-packets: take the frame's.
    let total = if total == 0 { packet.len() } else { total };
    if total < ihl {
        return Err(SkipReason::MalformedIp);
    }
    let frag = u16::from_be_bytes([h[6], h[7]]);
    if frag & 0x2000 != 0 || frag & 0x1fff != 0 {
        return Err(SkipReason::IpFragment);
    }
    if h[9] != 6 {
        return Err(SkipReason::NotTcp);
    }
    let src = IpAddr::V4(Ipv4Addr::new(h[12], h[13], h[14], h[15]));
    let dst = IpAddr::V4(Ipv4Addr::new(h[16], h[17], h[18], h[19]));
    // Ethernet pads short frames and may keep the FCS: the IP length says where data ends.
    let end = total.min(packet.len());
    let body = packet.get(ihl..end).ok_or(SkipReason::Truncated)?;
    tcp(src, dst, body, total - ihl)
}

/// IPv6 (RFC 8200 §3): extension headers are skipped (§4); fragments are counted.
fn ipv6(packet: &[u8]) -> Parsed<'_> {
    let h = packet.get(..40).ok_or(SkipReason::Truncated)?;
    if h[0] >> 4 != 6 {
        return Err(SkipReason::MalformedIp);
    }
    let declared = usize::from(u16::from_be_bytes([h[4], h[5]]));
    // 0 means a jumbogram (RFC 2675) or a GSO super-packet: take the frame's length.
    let payload_len = if declared == 0 { packet.len() - 40 } else { declared };
    let mut next = h[6];
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src.copy_from_slice(&h[8..24]);
    dst.copy_from_slice(&h[24..40]);
    let src = IpAddr::V6(Ipv6Addr::from(src));
    let dst = IpAddr::V6(Ipv6Addr::from(dst));
    let end = (40 + payload_len).min(packet.len());
    let mut body = &packet[40..end];
    let mut consumed = 0usize;
    for _ in 0..16 {
        let len = match next {
            6 => {
                let wire = payload_len.checked_sub(consumed).ok_or(SkipReason::MalformedIp)?;
                return tcp(src, dst, body, wire);
            }
            // Hop-by-hop, routing, destination options, mobility, HIP, shim6: (len + 1) * 8.
            0 | 43 | 60 | 135 | 139 | 140 => (usize::from(be16(body, 0)? & 0xff) + 1) * 8,
            44 => {
                let off_flags = be16(body, 2)?;
                if off_flags & 0xfff9 != 0 {
                    return Err(SkipReason::IpFragment);
                }
                8
            }
            // Authentication header (RFC 4302 §2.2): (len + 2) * 4.
            51 => (usize::from(be16(body, 0)? & 0xff) + 2) * 4,
            _ => return Err(SkipReason::NotTcp),
        };
        next = *body.first().ok_or(SkipReason::Truncated)?;
        body = body.get(len..).ok_or(SkipReason::Truncated)?;
        consumed += len;
    }
    Err(SkipReason::MalformedIp)
}

/// TCP header (RFC 9293 §3.1). Options are skipped by the data offset.
///
/// ```text
/// |          Source Port          |       Destination Port        |
/// |                        Sequence Number                        |
/// |                    Acknowledgment Number                      |
/// |  Data |       |C|E|U|A|P|R|S|F|                               |
/// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
/// |           Checksum            |         Urgent Pointer        |
/// |                           [Options]                           |
/// ```
fn tcp(src: IpAddr, dst: IpAddr, body: &[u8], wire_len: usize) -> Parsed<'_> {
    let h = body.get(..20).ok_or(SkipReason::Truncated)?;
    let data_offset = usize::from(h[12] >> 4) * 4;
    if data_offset < 20 || wire_len < data_offset {
        return Err(SkipReason::MalformedTcp);
    }
    let payload = body.get(data_offset..).ok_or(SkipReason::Truncated)?;
    let payload_len = u32::try_from(wire_len - data_offset).map_err(|_| SkipReason::MalformedIp)?;
    Ok(Segment {
        src: SocketAddr::new(src, u16::from_be_bytes([h[0], h[1]])),
        dst: SocketAddr::new(dst, u16::from_be_bytes([h[2], h[3]])),
        seq: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
        ack: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
        flags: TcpFlags(h[13]),
        payload,
        payload_len,
        direction: None,
        ifindex: None,
    })
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
