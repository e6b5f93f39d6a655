//! Adj-RIB-In of a simulated session (RFC 4271 §3.2): what the peer announced, per prefix,
//! with the path and the monotonic time it arrived, and an event-driven way to wait for it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bgpstorm_monitor::wire::{AfiSafi, Nlri, PathAttributes, Update};
use tokio::sync::watch;

/// One route of the Adj-RIB-In.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    /// Path attributes (shared by every prefix of the UPDATE that carried them).
    pub attributes: Arc<PathAttributes>,
    /// Next hop(s) of the announcement.
    pub next_hop: Arc<[IpAddr]>,
    /// When the bytes of the UPDATE were read from the socket.
    pub received: Instant,
}

/// What the prefixes of one announcement share: one allocation for all of them.
#[derive(Debug, PartialEq)]
pub struct RouteAttrs {
    /// Path attributes.
    pub attributes: Arc<PathAttributes>,
    /// Next hop(s).
    pub next_hop: Arc<[IpAddr]>,
}

/// A stored route: 16 bytes next to its key, so a million-prefix RIB stays small.
#[derive(Clone, Debug)]
struct Entry {
    attrs: Arc<RouteAttrs>,
    /// Receive time, nanoseconds after the RIB's base instant.
    at: u64,
}

/// A point in the RIB's history, as published to waiters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RibCount {
    /// Prefixes held.
    pub prefixes: usize,
    /// When the last change happened (the receive time of the UPDATE that made it).
    pub at: Instant,
    /// UPDATEs applied so far.
    pub updates: u64,
}

/// FxHash-style hasher: the map is keyed by prefixes we decoded ourselves, so there is no
/// adversary to defend against, and SipHash would cost more than the rest of an insert.
#[derive(Clone, Copy, Default)]
struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;

#[derive(Debug)]
struct Inner {
    base: Instant,
    routes: FastMap<Nlri, Entry>,
    /// Families whose End-of-RIB arrived, with when (nanoseconds after `base`).
    end_of_rib: Vec<(AfiSafi, u64)>,
    announced: u64,
    withdrawn: u64,
    treat_as_withdraw: u64,
}

/// The Adj-RIB-In.
#[derive(Debug)]
pub struct AdjRibIn {
    inner: Mutex<Inner>,
    count: watch::Sender<RibCount>,
}

impl Default for AdjRibIn {
    fn default() -> Self {
        let base = Instant::now();
        let c = RibCount { prefixes: 0, at: base, updates: 0 };
        let inner = Inner {
            base,
            routes: FastMap::default(),
            end_of_rib: Vec::new(),
            announced: 0,
            withdrawn: 0,
            treat_as_withdraw: 0,
        };
        Self { inner: Mutex::new(inner), count: watch::channel(c).0 }
    }
}

impl Inner {
    fn nanos(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.base).as_nanos() as u64
    }

    fn route(&self, e: &Entry) -> Route {
        Route {
            attributes: e.attrs.attributes.clone(),
            next_hop: e.attrs.next_hop.clone(),
            received: self.base + std::time::Duration::from_nanos(e.at),
        }
    }
}

/// The deadline passed before the RIB got there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("deadline passed with {} prefixes in the Adj-RIB-In", .0.prefixes)]
pub struct Timeout(pub RibCount);

impl AdjRibIn {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the map half-updated in a way that
        // matters to readers: recover the data.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies a decoded UPDATE received at `at` (RFC 4271 §9: withdrawals, then announcements).
    pub fn apply(&self, update: &Update, at: Instant) {
        let mut g = self.lock();
        for n in &update.withdrawn {
            g.routes.remove(n);
        }
        g.withdrawn += update.withdrawn.len() as u64;
        g.treat_as_withdraw += u64::from(update.treat_as_withdraw);
        if let Some(f) = update.end_of_rib
            && !g.end_of_rib.iter().any(|(e, _)| *e == f)
        {
            let t = g.nanos(at);
            g.end_of_rib.push((f, t));
        }
        if !update.reach.is_empty() {
            let attributes = Arc::new(update.attributes.clone());
            let t = g.nanos(at);
            for r in &update.reach {
                let attrs = Arc::new(RouteAttrs {
                    attributes: attributes.clone(),
                    next_hop: r.next_hop.as_slice().into(),
                });
                for n in &r.nlri {
                    g.routes.insert(*n, Entry { attrs: attrs.clone(), at: t });
                }
                g.announced += r.nlri.len() as u64;
            }
        }
        let prefixes = g.routes.len();
        drop(g);
        self.count.send_modify(|c| {
            c.prefixes = prefixes;
            c.at = at;
            c.updates += 1;
        });
    }

    /// Applies an UPDATE given as its parts (the receive fast path): withdrawals, then
    /// `announced` with one set of attributes and next hops.
    pub fn apply_parts(
        &self,
        withdrawn: &[Nlri],
        announced: &[Nlri],
        route: Option<Arc<RouteAttrs>>,
        at: Instant,
    ) {
        let mut g = self.lock();
        for n in withdrawn {
            g.routes.remove(n);
        }
        g.withdrawn += withdrawn.len() as u64;
        if let Some(attrs) = route {
            let t = g.nanos(at);
            g.routes.reserve(announced.len());
            for n in announced {
                g.routes.insert(*n, Entry { attrs: attrs.clone(), at: t });
            }
            g.announced += announced.len() as u64;
        }
        let prefixes = g.routes.len();
        drop(g);
        self.count.send_modify(|c| {
            c.prefixes = prefixes;
            c.at = at;
            c.updates += 1;
        });
    }

    /// Forgets everything (the session went down, RFC 4271 §8.2.2 releases its routes).
    pub fn clear(&self) {
        let mut g = self.lock();
        g.routes.clear();
        g.end_of_rib.clear();
        drop(g);
        self.count.send_modify(|c| {
            c.prefixes = 0;
            c.at = Instant::now();
        });
    }

    /// Number of prefixes held.
    pub fn len(&self) -> usize {
        self.lock().routes.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The route of one prefix.
    pub fn get(&self, nlri: &Nlri) -> Option<Route> {
        let g = self.lock();
        g.routes.get(nlri).map(|e| g.route(e))
    }

    /// A copy of every route.
    pub fn snapshot(&self) -> Vec<(Nlri, Route)> {
        let g = self.lock();
        g.routes.iter().map(|(n, e)| (*n, g.route(e))).collect()
    }

    /// Families for which End-of-RIB arrived (RFC 4724 §2).
    pub fn end_of_rib(&self) -> Vec<AfiSafi> {
        self.lock().end_of_rib.iter().map(|(f, _)| *f).collect()
    }

    /// When End-of-RIB for `family` arrived, if it did.
    pub fn end_of_rib_at(&self, family: AfiSafi) -> Option<Instant> {
        let g = self.lock();
        let t = g.end_of_rib.iter().find(|(f, _)| *f == family)?.1;
        Some(g.base + std::time::Duration::from_nanos(t))
    }

    /// Prefixes announced and withdrawn so far (counting repeats), and UPDATEs treated as
    /// withdraw (RFC 7606).
    pub fn totals(&self) -> (u64, u64, u64) {
        let g = self.lock();
        (g.announced, g.withdrawn, g.treat_as_withdraw)
    }

    /// The current count.
    pub fn count(&self) -> RibCount {
        *self.count.borrow()
    }

    /// Waits until `done` holds for the count, or the deadline passes. Event-driven: woken by
    /// each applied UPDATE.
    pub async fn wait_until(
        &self,
        deadline: tokio::time::Instant,
        mut done: impl FnMut(&RibCount) -> bool,
    ) -> Result<RibCount, Timeout> {
        let mut rx = self.count.subscribe();
        match tokio::time::timeout_at(deadline, rx.wait_for(|c| done(c))).await {
            Ok(Ok(c)) => Ok(*c),
            _ => Err(Timeout(self.count())),
        }
    }

    /// Waits until the RIB holds at least `n` prefixes.
    pub async fn wait_len_at_least(
        &self,
        n: usize,
        deadline: tokio::time::Instant,
    ) -> Result<RibCount, Timeout> {
        self.wait_until(deadline, |c| c.prefixes >= n).await
    }

    /// Waits until the RIB holds exactly `n` prefixes.
    pub async fn wait_len(
        &self,
        n: usize,
        deadline: tokio::time::Instant,
    ) -> Result<RibCount, Timeout> {
        self.wait_until(deadline, |c| c.prefixes == n).await
    }
}
