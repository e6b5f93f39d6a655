//! The query strings of the REST API (`/api/v1/routes?prefix=...&community=...`), parsed into
//! typed queries without any HTTP stack, so that the parsing is tested and fuzzed on its own
//! (`fuzz/fuzz_targets/rest_query.rs`) and the `api` feature only maps errors to status 400.
//!
//! Every parameter is checked: unknown or repeated parameters, bad percent-encoding, and
//! values that are not what the parameter takes are errors that say what was expected.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use bgpstorm_wire::model::{Community, ExtendedCommunity, LargeCommunity};
use ipnet::IpNet;

use crate::engine::AlertKind;
use crate::rib::Match;

/// A query string that cannot be answered; the message is the API's `{"error": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(String);

/// `GET /api/v1/routes` and `/api/v1/hidden`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteQuery {
    /// The prefix asked for (a bare address is its host prefix), host bits cleared.
    pub prefix: IpNet,
    /// How other prefixes match it (`match=`, default exact).
    pub how: Match,
    /// Only paths from this peer address (`session=`).
    pub session: Option<IpAddr>,
    /// Only paths carrying this community (`community=`).
    pub community: Option<CommunityFilter>,
}

/// A community to filter paths by: standard (`asn:value`, RFC 1997), large
/// (`global:local1:local2`, RFC 8092) or extended (RFC 4360, as the API prints it:
/// `rt|soo:asn:value`, `rt|soo:a.b.c.d:value`, or `0x` and 16 hex digits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommunityFilter {
    /// A standard community.
    Standard(Community),
    /// A large community.
    Large(LargeCommunity),
    /// An extended community, compared as printed (a route target of a 2-octet and of a
    /// 4-octet AS print alike, and match alike).
    Extended(ExtendedCommunity),
}

impl CommunityFilter {
    /// Parses a community as the API prints it, or says which forms it takes.
    pub fn parse(text: &str) -> Result<Self, QueryError> {
        parse_standard(text)
            .map(Self::Standard)
            .or_else(|| parse_large(text).map(Self::Large))
            .or_else(|| parse_extended(text).map(Self::Extended))
            .ok_or_else(|| {
                QueryError(format!(
                    "community must be a standard (asn:value, e.g. 65000:100), large \
                     (global:local1:local2, e.g. 65536:1:2) or extended community as printed \
                     (rt:65000:100, soo:192.0.2.1:7 or 0x followed by 16 hex digits), not {text:?}"
                ))
            })
    }

    /// Whether a path with these communities carries this one.
    pub fn matches(
        &self,
        standard: &[Community],
        large: &[LargeCommunity],
        extended: &[ExtendedCommunity],
    ) -> bool {
        match self {
            Self::Standard(c) => standard.contains(c),
            Self::Large(c) => large.contains(c),
            Self::Extended(c) => {
                let printed = c.to_string();
                extended.iter().any(|x| x == c || x.to_string() == printed)
            }
        }
    }
}

impl fmt::Display for CommunityFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Standard(c) => c.fmt(f),
            Self::Large(c) => c.fmt(f),
            Self::Extended(c) => c.fmt(f),
        }
    }
}

/// `asn:value`, both 16 bits.
fn parse_standard(s: &str) -> Option<Community> {
    let (a, v) = s.split_once(':')?;
    Some(Community(u32::from(number::<u16>(a)?) << 16 | u32::from(number::<u16>(v)?)))
}

/// `global:local1:local2`, each 32 bits.
fn parse_large(s: &str) -> Option<LargeCommunity> {
    let mut it = s.split(':');
    let c = LargeCommunity {
        global: number(it.next()?)?,
        local1: number(it.next()?)?,
        local2: number(it.next()?)?,
    };
    it.next().is_none().then_some(c)
}

/// The printed forms of `ExtendedCommunity`: route target (`rt`) or route origin (`soo`) of a
/// 2-octet AS, an IPv4 address or a 4-octet AS (RFC 4360 §3, RFC 5668), or the 8 octets in hex.
fn parse_extended(s: &str) -> Option<ExtendedCommunity> {
    if let Some(hex) = s.strip_prefix("0x") {
        if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut b = [0u8; 8];
        for (i, o) in b.iter_mut().enumerate() {
            *o = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        return Some(ExtendedCommunity(b));
    }
    let mut it = s.split(':');
    let subtype = match it.next()? {
        "rt" => 0x02,
        "soo" => 0x03,
        _ => return None,
    };
    let (admin, value) = (it.next()?, it.next()?);
    if it.next().is_some() {
        return None;
    }
    let mut b = [0, subtype, 0, 0, 0, 0, 0, 0];
    if let Ok(ip) = admin.parse::<Ipv4Addr>() {
        b[0] = 0x01;
        b[2..6].copy_from_slice(&ip.octets());
        b[6..].copy_from_slice(&number::<u16>(value)?.to_be_bytes());
    } else if let Some(asn) = number::<u16>(admin) {
        b[2..4].copy_from_slice(&asn.to_be_bytes());
        b[4..].copy_from_slice(&number::<u32>(value)?.to_be_bytes());
    } else {
        b[0] = 0x02;
        b[2..6].copy_from_slice(&number::<u32>(admin)?.to_be_bytes());
        b[6..].copy_from_slice(&number::<u16>(value)?.to_be_bytes());
    }
    Some(ExtendedCommunity(b))
}

/// A decimal number as printed: digits only (no sign, no spaces).
fn number<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The `key=value` pairs of a query string, percent-decoded; an error for a parameter not in
/// `known` or given twice.
fn pairs(query: &str, known: &[&str]) -> Result<Vec<(String, String)>, QueryError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let (k, v) = (decode(k)?, decode(v)?);
        if !known.contains(&k.as_str()) {
            return Err(QueryError(format!(
                "unknown parameter {k:?}; this endpoint takes {}",
                known.join(", ")
            )));
        }
        if out.iter().any(|(x, _)| *x == k) {
            return Err(QueryError(format!("parameter {k:?} given twice")));
        }
        out.push((k, v));
    }
    Ok(out)
}

/// Percent-decoding of a query string component (`+` is a space, as in forms).
fn decode(s: &str) -> Result<String, QueryError> {
    let bad = || QueryError(format!("bad percent-encoding in {s:?}"));
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3).ok_or_else(bad)?;
                let hex = std::str::from_utf8(hex).map_err(|_| bad())?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| QueryError(format!("{s:?} is not UTF-8 once decoded")))
}

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Parses the query string of `/api/v1/routes` (everything after `?`, or `None`).
pub fn routes(query: Option<&str>) -> Result<RouteQuery, QueryError> {
    let pairs = pairs(query.unwrap_or(""), &["prefix", "match", "session", "community"])?;
    let (prefix, how) = prefix_and_match(&pairs)?;
    let session = value(&pairs, "session")
        .map(|s| {
            s.parse::<IpAddr>()
                .map_err(|_| QueryError(format!("session must be a peer address, not {s:?}")))
        })
        .transpose()?;
    let community = value(&pairs, "community").map(CommunityFilter::parse).transpose()?;
    Ok(RouteQuery { prefix, how, session, community })
}

/// Parses the query string of `/api/v1/hidden`: `prefix=` (and `match=`, checked, though the
/// hidden paths are those of the prefix itself).
pub fn hidden(query: Option<&str>) -> Result<IpNet, QueryError> {
    let pairs = pairs(query.unwrap_or(""), &["prefix", "match"])?;
    Ok(prefix_and_match(&pairs)?.0)
}

fn prefix_and_match(pairs: &[(String, String)]) -> Result<(IpNet, Match), QueryError> {
    let Some(p) = value(pairs, "prefix") else {
        return Err(QueryError("missing ?prefix=, e.g. ?prefix=192.0.2.0/24".into()));
    };
    // A bare address is its host prefix.
    let prefix = p
        .parse::<IpNet>()
        .or_else(|_| p.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| QueryError(format!("not a prefix: {p:?}")))?
        .trunc();
    let how = match value(pairs, "match") {
        None | Some("exact") => Match::Exact,
        Some("longer") => Match::Longer,
        Some("shorter") => Match::Shorter,
        Some(other) => {
            return Err(QueryError(format!(
                "match must be exact, longer or shorter, not {other:?}"
            )));
        }
    };
    Ok((prefix, how))
}

/// Parses the query string of `/api/v1/alerts`: `kind=flap|community|damping` or nothing.
pub fn alerts(query: Option<&str>) -> Result<Option<AlertKind>, QueryError> {
    let pairs = pairs(query.unwrap_or(""), &["kind"])?;
    match value(&pairs, "kind") {
        None => Ok(None),
        Some("flap") => Ok(Some(AlertKind::Flap)),
        Some("community") => Ok(Some(AlertKind::Community)),
        Some("damping") => Ok(Some(AlertKind::Damping)),
        Some(k) => Err(QueryError(format!("kind must be flap, community or damping, not {k:?}"))),
    }
}

/// Parses the query string of `/api/v1/events`: `since=` (wire time, ns), default 0.
pub fn events(query: Option<&str>) -> Result<u64, QueryError> {
    let pairs = pairs(query.unwrap_or(""), &["since"])?;
    value(&pairs, "since")
        .map(|s| {
            number(s).ok_or_else(|| {
                QueryError(format!("since must be a wire time in nanoseconds, not {s:?}"))
            })
        })
        .unwrap_or(Ok(0))
}

#[cfg(test)]
mod tests;
