//! Adj-RIB-Out (RFC 4271 §3.2): what a session has announced, so that a route refresh
//! (RFC 2918 §4) can be answered by sending the table again.
//!
//! Compact by design (the speaker must hold a million announced prefixes in little memory):
//! prefixes are ordered-map keys of 8 (IPv4) or 17 (IPv6) bytes mapping to a route id, and
//! each distinct set of attributes is stored once.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard};

use bgpstorm_wire::{AfiSafi, PathAttributes, SessionContext};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::template::{PackedNlri, Template, TooLarge};

/// Attributes and next hop of routes as they were sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OutRoute {
    /// Path attributes.
    pub attributes: PathAttributes,
    /// Next hop(s).
    pub next_hop: Vec<IpAddr>,
    /// ADD-PATH path identifier sent with it.
    pub path_id: u32,
}

#[derive(Debug, Default)]
struct Inner {
    v4: BTreeMap<u64, u32>,
    v6: BTreeMap<(u128, u8), u32>,
    routes: Vec<Arc<OutRoute>>,
    ids: HashMap<Arc<OutRoute>, u32>,
}

impl Inner {
    fn intern(&mut self, route: &Arc<OutRoute>) -> u32 {
        if let Some(&id) = self.ids.get(route) {
            return id;
        }
        let id = self.routes.len() as u32;
        self.routes.push(route.clone());
        self.ids.insert(route.clone(), id);
        id
    }
}

fn key4(n: &Ipv4Net) -> u64 {
    (u64::from(u32::from(n.network())) << 8) | u64::from(n.prefix_len())
}

fn unkey4(k: u64) -> IpNet {
    IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::from((k >> 8) as u32), (k & 0xff) as u8))
}

fn unkey6(k: (u128, u8)) -> IpNet {
    IpNet::V6(Ipv6Net::new_assert(Ipv6Addr::from(k.0), k.1))
}

/// The Adj-RIB-Out.
#[derive(Debug, Default)]
pub struct AdjRibOut {
    inner: Mutex<Inner>,
}

impl AdjRibOut {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records announcements.
    pub fn announce(&self, prefixes: &[IpNet], route: &Arc<OutRoute>) {
        let mut g = self.lock();
        let id = g.intern(route);
        // A large batch (a storm's table) is merged in one pass: a sorted bulk build and an
        // append cost far less than a million single inserts.
        if prefixes.len() >= 1024 && prefixes.len() * 4 >= g.v4.len() + g.v6.len() {
            let mut v4: BTreeMap<_, _> = prefixes
                .iter()
                .filter_map(|p| match p {
                    IpNet::V4(n) => Some((key4(n), id)),
                    IpNet::V6(_) => None,
                })
                .collect();
            let mut v6: BTreeMap<_, _> = prefixes
                .iter()
                .filter_map(|p| match p {
                    IpNet::V6(n) => Some(((u128::from(n.network()), n.prefix_len()), id)),
                    IpNet::V4(_) => None,
                })
                .collect();
            g.v4.append(&mut v4);
            g.v6.append(&mut v6);
            return;
        }
        for p in prefixes {
            match p {
                IpNet::V4(n) => g.v4.insert(key4(n), id),
                IpNet::V6(n) => g.v6.insert((u128::from(n.network()), n.prefix_len()), id),
            };
        }
    }

    /// Records withdrawals.
    pub fn withdraw(&self, prefixes: &[IpNet]) {
        let mut g = self.lock();
        for p in prefixes {
            match p {
                IpNet::V4(n) => g.v4.remove(&key4(n)),
                IpNet::V6(n) => g.v6.remove(&(u128::from(n.network()), n.prefix_len())),
            };
        }
    }

    /// Every prefix of a family, in address order.
    pub fn prefixes(&self, family: AfiSafi) -> Vec<IpNet> {
        let g = self.lock();
        match family {
            AfiSafi::IPV4_UNICAST => g.v4.keys().map(|&k| unkey4(k)).collect(),
            AfiSafi::IPV6_UNICAST => g.v6.keys().map(|&k| unkey6(k)).collect(),
            _ => Vec::new(),
        }
    }

    /// Every prefix announced, IPv4 first.
    pub fn all(&self) -> Vec<IpNet> {
        let mut v = self.prefixes(AfiSafi::IPV4_UNICAST);
        v.extend(self.prefixes(AfiSafi::IPV6_UNICAST));
        v
    }

    /// Number of prefixes announced.
    pub fn len(&self) -> usize {
        let g = self.lock();
        g.v4.len() + g.v6.len()
    }

    /// Whether nothing is announced.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets everything (the session ended).
    pub fn clear(&self) {
        *self.lock() = Inner::default();
    }

    /// The UPDATEs that announce every route of `family` again (RFC 2918 §4).
    pub fn encode_family(
        &self,
        family: AfiSafi,
        ctx: &SessionContext,
    ) -> Result<Vec<u8>, TooLarge> {
        let g = self.lock();
        let mut groups: BTreeMap<u32, Vec<IpNet>> = BTreeMap::new();
        match family {
            AfiSafi::IPV4_UNICAST => {
                g.v4.iter().for_each(|(&k, &id)| groups.entry(id).or_default().push(unkey4(k)))
            }
            AfiSafi::IPV6_UNICAST => {
                g.v6.iter().for_each(|(&k, &id)| groups.entry(id).or_default().push(unkey6(k)))
            }
            _ => {}
        }
        let mut out = Vec::new();
        for (id, prefixes) in groups {
            let route = &g.routes[id as usize];
            let t = Template::announce(&route.attributes, family, &route.next_hop, ctx)?;
            let packed = PackedNlri::pack(prefixes, t.add_path, route.path_id);
            t.fill_all(&packed.bytes, &mut out);
        }
        Ok(out)
    }
}

/// The family of a prefix.
pub fn family_of(p: &IpNet) -> AfiSafi {
    match p {
        IpNet::V4(_) => AfiSafi::IPV4_UNICAST,
        IpNet::V6(_) => AfiSafi::IPV6_UNICAST,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Large batches take the bulk merge, small ones single inserts; both leave every prefix
    /// with the route of its last announcement.
    #[test]
    fn bulk_and_single_announcements_agree() {
        let r = AdjRibOut::default();
        let route = |med| {
            Arc::new(OutRoute {
                attributes: PathAttributes { med: Some(med), ..PathAttributes::default() },
                next_hop: vec![],
                path_id: 0,
            })
        };
        let v4 =
            |i: u32| IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::from(0x0a00_0000 + (i << 8)), 24));
        let mut expected = BTreeMap::new();
        for (range, med) in [(0..3000, 1), (1000..2500, 2), (10..15, 3), (2990..4100, 4)] {
            let batch: Vec<IpNet> = range.clone().map(v4).collect();
            r.announce(&batch, &route(med));
            for p in batch {
                expected.insert(p, med);
            }
        }
        r.withdraw(&[v4(0), v4(2995)]);
        expected.remove(&v4(0));
        expected.remove(&v4(2995));
        let g = r.lock();
        let got: BTreeMap<IpNet, u32> =
            g.v4.iter()
                .map(|(&k, &id)| (unkey4(k), g.routes[id as usize].attributes.med.unwrap()))
                .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn announcements_and_withdrawals_are_tracked_per_prefix() {
        let r = AdjRibOut::default();
        let route = Arc::new(OutRoute {
            attributes: PathAttributes::default(),
            next_hop: vec![],
            path_id: 0,
        });
        let p: Vec<IpNet> = ["10.0.0.0/24", "10.0.0.0/25", "2001:db8::/32"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        r.announce(&p, &route);
        r.announce(&p[..1], &Arc::new((*route).clone()));
        assert_eq!(r.len(), 3);
        r.withdraw(&p[1..2]);
        assert_eq!(r.all(), vec![p[0], p[2]]);
        assert_eq!(r.lock().routes.len(), 1, "equal attributes are stored once");
    }
}
