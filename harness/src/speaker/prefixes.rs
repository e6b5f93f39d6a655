//! Prefix sets that programs announce: explicit lists, generated ranges, or the prefixes of
//! an MRT file.

use std::collections::HashSet;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use bgpstorm_wire::Message;
use bgpstorm_wire::mrt::{MrtBody, MrtReader};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// A prefix set cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum PrefixError {
    /// A generated range runs past the end of the address space.
    #[error("{count} prefixes from {start} run past the end of the address space")]
    Overflow {
        /// The first prefix.
        start: IpNet,
        /// How many were asked for.
        count: u64,
    },
    /// The MRT file cannot be read.
    #[error("{0}")]
    Mrt(#[from] bgpstorm_wire::mrt::MrtError),
}

/// `count` consecutive prefixes of the length of `start`, beginning at `start` (whose host
/// bits are ignored): 10.0.0.0/24, 10.0.1.0/24, ...
pub fn range(start: IpNet, count: u64) -> Result<Vec<IpNet>, PrefixError> {
    if !crate::scenario::prefixes::range_fits(start, count) {
        return Err(PrefixError::Overflow { start, count });
    }
    Ok(match start {
        IpNet::V4(n) => {
            let len = n.prefix_len();
            let step: u64 = 1 << (32 - u32::from(len));
            let base = u64::from(u32::from(n.network()));
            (0..count)
                .map(|i| {
                    IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::from((base + i * step) as u32), len))
                })
                .collect()
        }
        IpNet::V6(n) => {
            let len = n.prefix_len();
            let step: u128 = if len == 0 { 0 } else { 1u128 << (128 - u32::from(len)) };
            let base = u128::from(n.network());
            (0..u128::from(count))
                .map(|i| IpNet::V6(Ipv6Net::new_assert(Ipv6Addr::from(base + i * step), len)))
                .collect()
        }
    })
}

/// The distinct unicast prefixes of an MRT file, in order of first appearance: RIB entries
/// of TABLE_DUMP_V2 and TABLE_DUMP, and prefixes announced in BGP4MP UPDATEs. At most
/// `limit` when given. Malformed records are skipped (and counted by the reader).
pub fn from_mrt(path: &Path, limit: Option<usize>) -> Result<Vec<IpNet>, PrefixError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut push = |p: IpNet, out: &mut Vec<IpNet>| {
        if seen.insert(p) {
            out.push(p);
        }
    };
    for rec in MrtReader::open(path)? {
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        let rec = match rec {
            Ok(r) => r,
            Err(e) if e.is_fatal() => return Err(e.into()),
            Err(_) => continue,
        };
        match rec.body {
            MrtBody::Rib(r) => push(r.prefix, &mut out),
            MrtBody::TableDump(t) => push(t.prefix, &mut out),
            MrtBody::Message(m) => {
                if let Ok(Message::Update(u)) = m.message {
                    for (n, _) in u.announced() {
                        push(n.prefix, &mut out);
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(l) = limit {
        out.truncate(l);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().expect("prefix")
    }

    #[test]
    fn ipv4_range_steps_by_prefix_size() {
        let r = range(net("10.0.0.0/24"), 3).expect("range");
        assert_eq!(r, vec![net("10.0.0.0/24"), net("10.0.1.0/24"), net("10.0.2.0/24")]);
    }

    #[test]
    fn ipv6_range_steps_by_prefix_size() {
        let r = range(net("2001:db8::/48"), 2).expect("range");
        assert_eq!(r, vec![net("2001:db8::/48"), net("2001:db8:1::/48")]);
    }

    #[test]
    fn range_past_the_address_space_is_an_error() {
        assert!(range(net("255.255.255.0/24"), 2).is_err());
        assert_eq!(range(net("255.255.255.0/24"), 1).expect("one").len(), 1);
    }

    #[test]
    fn empty_range_is_empty() {
        assert!(range(net("10.0.0.0/8"), 0).expect("range").is_empty());
    }
}
