//! NLRI prefixes in the RFC 4271 §4.3 encoding (length in bits, then the significant octets),
//! with optional ADD-PATH path identifiers (RFC 7911 §3), read where netgauze is not called.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::{Ipv4Addr, Ipv6Addr};

use super::model::Nlri;

/// Parses prefixes in the RFC 4271 §4.3 encoding (length in bits, then the significant
/// octets), IPv4, with optional ADD-PATH identifiers. Used where netgauze is not called
/// (the fallback of a broken attribute block) and by tests.
pub fn parse_ipv4_prefixes(buf: &[u8], add_path: bool) -> Option<Vec<Nlri>> {
    parse_prefixes::<4>(buf, add_path, |octets, bits| {
        Ipv4Net::new(Ipv4Addr::from(octets), bits).ok().map(|n| IpNet::V4(n.trunc()))
    })
}

/// Parses IPv6 prefixes in the RFC 4271 §4.3 encoding, with optional ADD-PATH identifiers
/// (RFC 7911 §3).
pub fn parse_ipv6_prefixes(buf: &[u8], add_path: bool) -> Option<Vec<Nlri>> {
    parse_prefixes::<16>(buf, add_path, |octets, bits| {
        Ipv6Net::new(Ipv6Addr::from(octets), bits).ok().map(|n| IpNet::V6(n.trunc()))
    })
}

/// The prefixes of an address `L` octets long; `None` when the encoding is broken (a
/// length beyond the address, or octets missing).
fn parse_prefixes<const L: usize>(
    mut buf: &[u8],
    add_path: bool,
    net: impl Fn([u8; L], u8) -> Option<IpNet>,
) -> Option<Vec<Nlri>> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let path_id = if add_path {
            let id = u32::from_be_bytes(buf.get(..4)?.try_into().ok()?);
            buf = &buf[4..];
            Some(id)
        } else {
            None
        };
        let bits = *buf.first()?;
        if usize::from(bits) > L * 8 {
            return None;
        }
        let n = (bits as usize).div_ceil(8);
        let mut octets = [0u8; L];
        octets[..n].copy_from_slice(buf.get(1..1 + n)?);
        out.push(Nlri { prefix: net(octets, bits)?, path_id });
        buf = &buf[1 + n..];
    }
    Some(out)
}
