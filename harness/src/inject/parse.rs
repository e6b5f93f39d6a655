//! Parsers of option values: communities, AS paths, durations, origins.

use std::time::Duration;

use bgpstorm_wire::model::{Community, ExtendedCommunity, LargeCommunity, Origin};

/// `ASN:VALUE` with both parts 16-bit (RFC 1997), or a well-known name.
pub fn community(s: &str) -> Result<Community, String> {
    match s.to_ascii_lowercase().as_str() {
        "no-export" => return Ok(Community(0xFFFF_FF01)),
        "no-advertise" => return Ok(Community(0xFFFF_FF02)),
        "no-export-subconfed" => return Ok(Community(0xFFFF_FF03)),
        _ => {}
    }
    let (a, v) = s.split_once(':').ok_or_else(|| format!("community {s:?} is not ASN:VALUE"))?;
    let a: u16 = a.parse().map_err(|_| format!("community {s:?}: {a:?} is not a 16-bit number"))?;
    let v: u16 = v.parse().map_err(|_| format!("community {s:?}: {v:?} is not a 16-bit number"))?;
    Ok(Community((u32::from(a) << 16) | u32::from(v)))
}

/// `GLOBAL:LOCAL1:LOCAL2`, each 32-bit (RFC 8092).
pub fn large_community(s: &str) -> Result<LargeCommunity, String> {
    let parts: Vec<&str> = s.split(':').collect();
    let [g, l1, l2] = parts.as_slice() else {
        return Err(format!("large community {s:?} is not GLOBAL:LOCAL1:LOCAL2"));
    };
    let n = |x: &str| {
        x.parse::<u32>().map_err(|_| format!("large community {s:?}: {x:?} is not a 32-bit number"))
    };
    Ok(LargeCommunity { global: n(g)?, local1: n(l1)?, local2: n(l2)? })
}

/// `rt:ASN:VALUE` / `soo:ASN:VALUE` (2-octet AS specific, RFC 4360 §4) or 16 hex digits.
pub fn extended_community(s: &str) -> Result<ExtendedCommunity, String> {
    if let Some(hex) = s.strip_prefix("0x").filter(|h| h.len() == 16) {
        let v = u64::from_str_radix(hex, 16)
            .map_err(|_| format!("extended community {s:?} is not hex"))?;
        return Ok(ExtendedCommunity(v.to_be_bytes()));
    }
    let parts: Vec<&str> = s.split(':').collect();
    let [kind, asn, val] = parts.as_slice() else {
        return Err(format!(
            "extended community {s:?} is not rt:ASN:VALUE, soo:ASN:VALUE or 0x + 16 hex digits"
        ));
    };
    let sub = match *kind {
        "rt" => 2,
        "soo" => 3,
        _ => return Err(format!("extended community {s:?}: kind must be rt or soo")),
    };
    let asn: u16 =
        asn.parse().map_err(|_| format!("extended community {s:?}: {asn:?} is not a 16-bit AS"))?;
    let val: u32 = val
        .parse()
        .map_err(|_| format!("extended community {s:?}: {val:?} is not a 32-bit number"))?;
    let mut b = [0u8; 8];
    b[1] = sub;
    b[2..4].copy_from_slice(&asn.to_be_bytes());
    b[4..8].copy_from_slice(&val.to_be_bytes());
    Ok(ExtendedCommunity(b))
}

/// An AS path: AS numbers separated by spaces or commas.
pub fn as_path(s: &str) -> Result<Vec<u32>, String> {
    s.split([' ', ','])
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<u32>().map_err(|_| format!("AS path {s:?}: {p:?} is not an AS number")))
        .collect()
}

/// `igp`, `egp` or `incomplete`.
pub fn origin(s: &str) -> Result<Origin, String> {
    match s.to_ascii_lowercase().as_str() {
        "igp" | "i" => Ok(Origin::Igp),
        "egp" | "e" => Ok(Origin::Egp),
        "incomplete" | "?" => Ok(Origin::Incomplete),
        _ => Err(format!("origin {s:?} is not igp, egp or incomplete")),
    }
}

/// The longest duration an option takes (366 days): far past any real run, short enough that
/// no deadline computed from it can overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 60 * 60);

/// A human duration: `500ms`, `2s`, `1m30s`, at most [`MAX_DURATION`].
pub fn duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("duration {s:?}: {e}"))?;
    if d > MAX_DURATION {
        return Err(format!(
            "duration {s:?} is longer than the longest allowed, {}",
            humantime::format_duration(MAX_DURATION)
        ));
    }
    Ok(d)
}

/// An AS number, 1 to 4294967295: AS 0 is reserved and never valid in a session (RFC 7607).
pub fn asn(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(0) => Err("AS 0 is reserved and cannot be used in a session (RFC 7607)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{s:?} is not an AS number (1 to 4294967295)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_as_written() {
        assert_eq!(community("65001:42"), Ok(Community((65001 << 16) | 42)));
        assert_eq!(community("no-export"), Ok(Community(0xFFFF_FF01)));
        assert!(community("70000:1").is_err());
        assert_eq!(large_community("4200000001:1:2").map(|c| c.global), Ok(4_200_000_001));
        assert!(large_community("1:2").is_err());
        assert_eq!(
            extended_community("rt:65001:7").map(|e| e.to_string()),
            Ok("rt:65001:7".into())
        );
        assert_eq!(as_path("64500, 64501 64502"), Ok(vec![64500, 64501, 64502]));
        assert_eq!(duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("366d"), Ok(MAX_DURATION));
        assert!(duration("5000000000000000h").is_err());
        assert!(origin("bgp").is_err());
    }
}
