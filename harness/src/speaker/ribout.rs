//! Adj-RIB-Out (RFC 4271 §3.2): what a session has announced, so that a route refresh
//! (RFC 2918 §4) can be answered by sending the table again.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use bgpstorm_monitor::wire::{AfiSafi, PathAttributes, SessionContext};
use ipnet::IpNet;

use super::template::{PackedNlri, Template, TooLarge};

/// Attributes and next hop of routes as they were sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutRoute {
    /// Path attributes.
    pub attributes: PathAttributes,
    /// Next hop(s).
    pub next_hop: Vec<IpAddr>,
    /// ADD-PATH path identifier sent with it.
    pub path_id: u32,
}

/// The Adj-RIB-Out. Routes sent together share one [`OutRoute`].
#[derive(Debug, Default)]
pub struct AdjRibOut {
    routes: Mutex<HashMap<IpNet, Arc<OutRoute>>>,
}

impl AdjRibOut {
    fn lock(&self) -> MutexGuard<'_, HashMap<IpNet, Arc<OutRoute>>> {
        self.routes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records announcements.
    pub fn announce(&self, prefixes: &[IpNet], route: &Arc<OutRoute>) {
        let mut g = self.lock();
        g.reserve(prefixes.len());
        for p in prefixes {
            g.insert(*p, route.clone());
        }
    }

    /// Records withdrawals.
    pub fn withdraw(&self, prefixes: &[IpNet]) {
        let mut g = self.lock();
        for p in prefixes {
            g.remove(p);
        }
    }

    /// Every prefix of a family.
    pub fn prefixes(&self, family: AfiSafi) -> Vec<IpNet> {
        self.lock().keys().copied().filter(|p| family_of(p) == family).collect()
    }

    /// Every prefix announced, of any family.
    pub fn all(&self) -> Vec<IpNet> {
        self.lock().keys().copied().collect()
    }

    /// Number of prefixes announced.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is announced.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets everything (the session ended).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The UPDATEs that announce every route of `family` again (RFC 2918 §4).
    pub fn encode_family(
        &self,
        family: AfiSafi,
        ctx: &SessionContext,
    ) -> Result<Vec<u8>, TooLarge> {
        let mut groups: HashMap<*const OutRoute, (Arc<OutRoute>, Vec<IpNet>)> = HashMap::new();
        for (p, r) in self.lock().iter().filter(|(p, _)| family_of(p) == family) {
            groups.entry(Arc::as_ptr(r)).or_insert_with(|| (r.clone(), Vec::new())).1.push(*p);
        }
        let mut out = Vec::new();
        for (route, prefixes) in groups.into_values() {
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
