//! NLRI prefixes in the RFC 4271 §4.3 encoding (length in bits, then the significant octets),
//! with optional ADD-PATH path identifiers (RFC 7911 §3), read where netgauze is not called.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::{Ipv4Addr, Ipv6Addr};

use super::model::Nlri;

/// Parses prefixes in the RFC 4271 §4.3 encoding (length in bits, then the significant
/// octets), IPv4, with optional ADD-PATH identifiers. Used where netgauze is not called
/// (the fallback of a broken attribute block) and by tests.
pub fn parse_ipv4_prefixes(mut buf: &[u8], add_path: bool) -> Option<Vec<Nlri>> {
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
        if bits > 32 {
            return None;
        }
        let n = (bits as usize).div_ceil(8);
        let mut octets = [0u8; 4];
        octets[..n].copy_from_slice(buf.get(1..1 + n)?);
        let net = Ipv4Net::new(Ipv4Addr::from(octets), bits).ok()?.trunc();
        out.push(Nlri { prefix: net.into(), path_id });
        buf = &buf[1 + n..];
    }
    Some(out)
}

/// Parses IPv6 prefixes in the RFC 4271 §4.3 encoding, with optional ADD-PATH identifiers
/// (RFC 7911 §3).
pub fn parse_ipv6_prefixes(mut buf: &[u8], add_path: bool) -> Option<Vec<Nlri>> {
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
        if bits > 128 {
            return None;
        }
        let n = (bits as usize).div_ceil(8);
        let mut octets = [0u8; 16];
        octets[..n].copy_from_slice(buf.get(1..1 + n)?);
        let net = Ipv6Net::new(Ipv6Addr::from(octets), bits).ok()?.trunc();
        out.push(Nlri { prefix: IpNet::V6(net), path_id });
        buf = &buf[1 + n..];
    }
    Some(out)
}
