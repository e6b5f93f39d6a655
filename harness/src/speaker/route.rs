//! The attributes a program announces with, and how they become the path attributes of one
//! session (our AS and prepends on eBGP, LOCAL_PREF on iBGP, next hop self by default).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bgpstorm_wire::AfiSafi;
use bgpstorm_wire::model::{
    AsPath, Community, ExtendedCommunity, LargeCommunity, Origin, PathAttributes,
};

/// Attributes of announced routes, before the session adds its own part.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RouteSpec {
    /// ORIGIN (RFC 4271 §5.1.1).
    pub origin: Origin,
    /// AS numbers after ours (eBGP) or the whole path (iBGP), left to right.
    pub as_path: Vec<u32>,
    /// Extra copies of our AS at the front of the path on eBGP.
    pub prepend: u8,
    /// IPv4 next hop; the session's own address when `None` (RFC 4271 §5.1.3).
    pub next_hop_v4: Option<Ipv4Addr>,
    /// IPv6 next hop; the session's own address when `None` (RFC 2545 §3).
    pub next_hop_v6: Option<Ipv6Addr>,
    /// MULTI_EXIT_DISC.
    pub med: Option<u32>,
    /// LOCAL_PREF, sent on iBGP only (RFC 4271 §5.1.5); 100 when `None`.
    pub local_pref: Option<u32>,
    /// COMMUNITIES (RFC 1997).
    pub communities: Vec<Community>,
    /// LARGE_COMMUNITY (RFC 8092).
    pub large_communities: Vec<LargeCommunity>,
    /// EXTENDED_COMMUNITIES (RFC 4360).
    pub extended_communities: Vec<ExtendedCommunity>,
    /// Path identifier, sent when the session negotiated ADD-PATH send (RFC 7911 §3).
    pub path_id: u32,
}

impl Default for RouteSpec {
    fn default() -> Self {
        Self {
            origin: Origin::Igp,
            as_path: Vec::new(),
            prepend: 0,
            next_hop_v4: None,
            next_hop_v6: None,
            med: None,
            local_pref: None,
            communities: Vec::new(),
            large_communities: Vec::new(),
            extended_communities: Vec::new(),
            path_id: 0,
        }
    }
}

/// What a session contributes to its routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origination {
    /// Our AS.
    pub local_asn: u32,
    /// Whether the session is internal.
    pub ibgp: bool,
    /// Our end of the TCP connection (next hop self).
    pub local_addr: IpAddr,
}

/// A route's next hop cannot be found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no {family} next hop: the session runs over {local}; give one explicitly")]
pub struct NoNextHop {
    /// The family announced.
    pub family: AfiSafi,
    /// The session's local address.
    pub local: IpAddr,
}

impl RouteSpec {
    /// The path attributes and next hop(s) of routes of `family` sent on a session.
    pub fn resolve(
        &self,
        family: AfiSafi,
        session: &Origination,
    ) -> Result<(PathAttributes, Vec<IpAddr>), NoNextHop> {
        let no_nh = NoNextHop { family, local: session.local_addr };
        let next_hop: IpAddr = if family == AfiSafi::IPV4_UNICAST {
            match (self.next_hop_v4, session.local_addr) {
                (Some(a), _) => a.into(),
                (None, IpAddr::V4(a)) => a.into(),
                (None, IpAddr::V6(a)) => a.to_ipv4_mapped().ok_or(no_nh)?.into(),
            }
        } else {
            match (self.next_hop_v6, session.local_addr) {
                (Some(a), _) => a.into(),
                (None, IpAddr::V6(a)) => a.into(),
                (None, IpAddr::V4(_)) => return Err(no_nh),
            }
        };
        let mut path = Vec::with_capacity(self.as_path.len() + 1 + self.prepend as usize);
        if !session.ibgp {
            path.extend(std::iter::repeat_n(session.local_asn, 1 + self.prepend as usize));
        }
        path.extend_from_slice(&self.as_path);
        let attrs = PathAttributes {
            origin: Some(self.origin),
            as_path: Some(if path.is_empty() { AsPath::default() } else { AsPath::sequence(path) }),
            next_hop: match next_hop {
                IpAddr::V4(a) if family == AfiSafi::IPV4_UNICAST => Some(a),
                _ => None,
            },
            med: self.med,
            local_pref: session.ibgp.then_some(self.local_pref.unwrap_or(100)),
            communities: self.communities.clone(),
            large_communities: self.large_communities.clone(),
            extended_communities: self.extended_communities.clone(),
            ..PathAttributes::default()
        };
        Ok((attrs, vec![next_hop]))
    }
}
