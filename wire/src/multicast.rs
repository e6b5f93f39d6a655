//! IPv4 and IPv6 multicast routes (SAFI 2, RFC 4760 §6): the table multicast routing uses for
//! its reverse-path checks. Their NLRI are ordinary prefixes, encoded as unicast ones
//! (RFC 4271 §4.3), not class-D or ff00::/8 groups; netgauze only accepts the latter, so the
//! decoder reads MP_REACH_NLRI and MP_UNREACH_NLRI of these families itself.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::context::{AfiSafi, SessionContext};
use super::model::{Nlri, Reach, Unreach};
use super::nlri::{parse_ipv4_prefixes, parse_ipv6_prefixes};
use super::rfc7606::{AttributeError, action_for, code};

/// What an MP attribute of a multicast family carries.
pub(crate) enum Multicast {
    /// MP_REACH_NLRI: announced prefixes with their next hop.
    Reach(Reach),
    /// MP_UNREACH_NLRI: withdrawn prefixes.
    Unreach(Unreach),
}

/// The multicast family of an MP_REACH_NLRI or MP_UNREACH_NLRI (by type `code` and value),
/// if it is one.
pub(crate) fn family(code: u8, value: &[u8]) -> Option<AfiSafi> {
    if !matches!(code, code::MP_REACH | code::MP_UNREACH) {
        return None;
    }
    // RFC 4760 §3, §4: both attributes start with AFI (2 octets) and SAFI (1 octet).
    let family =
        AfiSafi::new(u16::from_be_bytes([*value.first()?, *value.get(1)?]), *value.get(2)?);
    matches!(family, AfiSafi::IPV4_MULTICAST | AfiSafi::IPV6_MULTICAST).then_some(family)
}

/// Decodes the value of an MP attribute of multicast `family` found at `offset`.
pub(crate) fn decode(
    code: u8,
    family: AfiSafi,
    value: &[u8],
    offset: usize,
    ctx: &SessionContext,
) -> Result<Multicast, AttributeError> {
    let fail = |reason: &str| AttributeError {
        type_code: code,
        offset,
        action: action_for(code),
        reason: format!("{family} {reason}"),
    };
    let add_path = ctx.has_add_path(family);
    let after_family = &value[3..];
    if code == code::MP_UNREACH {
        let nlri = prefixes(family, after_family, add_path).ok_or_else(|| fail("NLRI overrun"))?;
        return Ok(Multicast::Unreach(Unreach { family, nlri }));
    }
    // RFC 4760 §3: next hop length, next hop, one reserved octet, NLRI.
    let nh_len = *after_family.first().ok_or_else(|| fail("next hop length missing"))? as usize;
    let nh = after_family.get(1..1 + nh_len).ok_or_else(|| fail("next hop overruns"))?;
    let next_hop = next_hop(family, nh).ok_or_else(|| fail("next hop has a bad length"))?;
    let rest = after_family.get(1 + nh_len + 1..).ok_or_else(|| fail("reserved octet missing"))?;
    let nlri = prefixes(family, rest, add_path).ok_or_else(|| fail("NLRI overrun"))?;
    Ok(Multicast::Reach(Reach { family, next_hop, nlri }))
}

/// The next hop(s) of an MP_REACH_NLRI: IPv4 (4 octets), IPv6 global (16, also for IPv4
/// NLRI, RFC 8950 §3), or IPv6 global then link-local (32, RFC 2545 §3).
fn next_hop(family: AfiSafi, nh: &[u8]) -> Option<Vec<IpAddr>> {
    let v6 = |b: &[u8]| <[u8; 16]>::try_from(b).ok().map(|a| IpAddr::V6(Ipv6Addr::from(a)));
    match nh.len() {
        4 if family == AfiSafi::IPV4_MULTICAST => {
            Some(vec![IpAddr::V4(Ipv4Addr::new(nh[0], nh[1], nh[2], nh[3]))])
        }
        16 => Some(vec![v6(nh)?]),
        32 => Some(vec![v6(&nh[..16])?, v6(&nh[16..])?]),
        _ => None,
    }
}

fn prefixes(family: AfiSafi, buf: &[u8], add_path: bool) -> Option<Vec<Nlri>> {
    if family == AfiSafi::IPV4_MULTICAST {
        parse_ipv4_prefixes(buf, add_path)
    } else {
        parse_ipv6_prefixes(buf, add_path)
    }
}
