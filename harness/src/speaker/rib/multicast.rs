//! Multicast routes of an Adj-RIB-In (SAFI 2, RFC 4760 §6): the prefixes a peer offers for
//! reverse-path checks. They are ordinary prefixes, so they live apart from the unicast table,
//! keyed by family: a multicast route never shadows the unicast route of the same prefix.
//!
//! The table is a map per family that allocates nothing until the first multicast route
//! arrives, so the unicast storm path pays nothing for it.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use bgpstorm_wire::{AfiSafi, Nlri, PathAttributes};

use super::route::Route;

/// Multicast routes, per family then per prefix and path identifier.
#[derive(Debug, Default)]
pub(super) struct MulticastRoutes {
    families: BTreeMap<AfiSafi, HashMap<Nlri, Route>>,
}

impl MulticastRoutes {
    /// Stores `nlri` of `family` with one set of attributes and next hops, replacing what
    /// the same prefix and path identifier held (an implicit withdrawal, RFC 4271 §3.1).
    pub(super) fn announce(
        &mut self,
        family: AfiSafi,
        nlri: &[Nlri],
        attributes: &Arc<PathAttributes>,
        next_hop: &Arc<[IpAddr]>,
        at: Instant,
    ) {
        let table = self.families.entry(family).or_default();
        for n in nlri {
            let route =
                Route { attributes: attributes.clone(), next_hop: next_hop.clone(), received: at };
            table.insert(*n, route);
        }
    }

    /// Removes `nlri` of `family` (MP_UNREACH_NLRI, RFC 4760 §4).
    pub(super) fn withdraw(&mut self, family: AfiSafi, nlri: &[Nlri]) {
        let Some(table) = self.families.get_mut(&family) else { return };
        for n in nlri {
            table.remove(n);
        }
        if table.is_empty() {
            self.families.remove(&family);
        }
    }

    /// Routes held for `family`.
    pub(super) fn len(&self, family: AfiSafi) -> usize {
        self.families.get(&family).map_or(0, HashMap::len)
    }

    /// The route of one prefix of `family`.
    pub(super) fn get(&self, family: AfiSafi, nlri: &Nlri) -> Option<&Route> {
        self.families.get(&family)?.get(nlri)
    }

    /// A copy of every route of `family`.
    pub(super) fn snapshot(&self, family: AfiSafi) -> Vec<(Nlri, Route)> {
        let Some(table) = self.families.get(&family) else { return Vec::new() };
        table.iter().map(|(n, r)| (*n, r.clone())).collect()
    }

    /// Routes held per family, for the families that hold any.
    pub(super) fn counts(&self) -> Vec<(AfiSafi, usize)> {
        self.families.iter().map(|(f, t)| (*f, t.len())).collect()
    }

    /// Forgets every route.
    pub(super) fn clear(&mut self) {
        self.families.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nlri(prefix: &str) -> Nlri {
        Nlri { prefix: prefix.parse().unwrap(), path_id: None }
    }

    #[test]
    fn multicast_routes_are_held_per_family_and_withdrawn_per_family() {
        let mut t = MulticastRoutes::default();
        let attrs = Arc::new(PathAttributes::default());
        let nh: Arc<[IpAddr]> = Arc::from(["192.0.2.1".parse::<IpAddr>().unwrap()].as_slice());
        let p = nlri("192.12.135.0/24");
        t.announce(AfiSafi::IPV4_MULTICAST, &[p], &attrs, &nh, Instant::now());
        assert_eq!(t.len(AfiSafi::IPV4_MULTICAST), 1);
        assert_eq!(t.len(AfiSafi::IPV6_MULTICAST), 0);
        // A withdrawal of another family leaves it alone.
        t.withdraw(AfiSafi::IPV6_MULTICAST, &[p]);
        assert!(t.get(AfiSafi::IPV4_MULTICAST, &p).is_some());
        assert_eq!(t.counts(), [(AfiSafi::IPV4_MULTICAST, 1)]);
        t.withdraw(AfiSafi::IPV4_MULTICAST, &[p]);
        assert_eq!(t.len(AfiSafi::IPV4_MULTICAST), 0);
        assert!(t.counts().is_empty());
    }
}
