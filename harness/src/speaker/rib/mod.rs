//! Adj-RIB-In of a simulated session (RFC 4271 §3.2): what the peer announced, per prefix,
//! with the path and the monotonic time it arrived, and an event-driven way to wait for it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bgpstorm_wire::{AfiSafi, Nlri, Update};
use ipnet::{IpNet, Ipv4Net};
use tokio::sync::watch;

mod multicast;
mod route;

use multicast::MulticastRoutes;
pub use route::{Route, RouteAttrs};

/// A stored route: 16 bytes next to its key, so a million-prefix RIB stays small and a
/// storm's inserts touch little memory.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// Receive time, nanoseconds after the RIB's base instant.
    at: u64,
    /// Index of its attributes in the [`AttrTable`].
    attrs: u32,
}

/// The distinct attribute sets the RIB's routes point at, each counted by the routes that use
/// it (plain counts: the table lives under the RIB's lock, so a storm pays no atomic
/// operation per prefix), and freed with the last of them.
#[derive(Debug, Default)]
struct AttrTable {
    slots: Vec<(Option<Arc<RouteAttrs>>, u32)>,
    free: Vec<u32>,
    last: Option<u32>,
}

impl AttrTable {
    /// A slot for `attrs` used by `uses` routes: the last slot again if it holds the same
    /// allocation (the fast path hands out one `Arc` for a run of identical blocks).
    fn add(&mut self, attrs: Arc<RouteAttrs>, uses: u32) -> u32 {
        if let Some(last) = self.last
            && let (Some(a), n) = &mut self.slots[last as usize]
            && Arc::ptr_eq(a, &attrs)
        {
            *n += uses;
            return last;
        }
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = (Some(attrs), uses);
                id
            }
            None => {
                self.slots.push((Some(attrs), uses));
                (self.slots.len() - 1) as u32
            }
        };
        self.last = Some(id);
        id
    }

    /// One route stopped using slot `id`.
    fn release(&mut self, id: u32) {
        let slot = &mut self.slots[id as usize];
        slot.1 -= 1;
        if slot.1 == 0 {
            slot.0 = None;
            self.free.push(id);
            if self.last == Some(id) {
                self.last = None;
            }
        }
    }

    fn get(&self, id: u32) -> &Arc<RouteAttrs> {
        self.slots[id as usize].0.as_ref().expect("a route points at a live attribute slot")
    }
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
        // The multiply leaves the low bits depending only on the low bits of the input, and
        // the table indexes by the low bits: a /24 key varies only above bit 16, so without
        // this rotation (rustc-hash's finisher) every prefix would land in the same bucket.
        self.0.rotate_left(26)
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
    /// IPv4 prefixes without a path id (the common case, and every storm), in blocks of
    /// neighbouring prefixes of one length.
    v4: FastMap<u64, Block>,
    /// Routes held in `v4`.
    v4_len: usize,
    /// Everything else: IPv6, and ADD-PATH routes.
    other: FastMap<Nlri, Entry>,
    attrs: AttrTable,
    /// Multicast routes (SAFI 2), apart from the unicast ones above.
    multicast: MulticastRoutes,
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
            v4: FastMap::default(),
            v4_len: 0,
            other: FastMap::default(),
            attrs: AttrTable::default(),
            multicast: MulticastRoutes::default(),
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
        let a = self.attrs.get(e.attrs);
        Route {
            attributes: a.attributes.clone(),
            next_hop: a.next_hop.clone(),
            received: self.base + std::time::Duration::from_nanos(e.at),
        }
    }

    fn len(&self) -> usize {
        self.v4_len + self.other.len()
    }

    fn remove(&mut self, n: &Nlri) {
        let old = match block_of(n) {
            Some((key, slot)) => {
                let Some(b) = self.v4.get_mut(&key) else { return };
                let old = std::mem::replace(&mut b.0[slot], Entry::EMPTY);
                if b.is_empty() {
                    self.v4.remove(&key);
                }
                if old.is_used() {
                    self.v4_len -= 1;
                }
                Some(old).filter(|e| e.is_used())
            }
            None => self.other.remove(n),
        };
        if let Some(e) = old {
            self.attrs.release(e.attrs);
        }
    }

    /// Stores `announced` with attribute slot `id`, which already counts them. Neighbouring
    /// prefixes share a block: one table lookup for a run of them.
    fn insert_all(&mut self, announced: &[Nlri], id: u32, at: u64) {
        let e = Entry { at, attrs: id };
        let Inner { v4, v4_len, other, attrs, .. } = self;
        let mut rest = announced;
        while let Some((first, tail)) = rest.split_first() {
            rest = tail;
            let Some((key, slot)) = block_of(first) else {
                if let Some(o) = other.insert(*first, e) {
                    attrs.release(o.attrs);
                }
                continue;
            };
            let block = v4.entry(key).or_insert(Block::EMPTY);
            let mut put = |slot: usize| {
                let old = std::mem::replace(&mut block.0[slot], e);
                if old.is_used() {
                    attrs.release(old.attrs);
                } else {
                    *v4_len += 1;
                }
            };
            put(slot);
            while let Some((next, tail)) = rest.split_first()
                && let Some((k, slot)) = block_of(next)
                && k == key
            {
                put(slot);
                rest = tail;
            }
        }
    }

    fn get(&self, n: &Nlri) -> Option<&Entry> {
        match block_of(n) {
            Some((key, slot)) => self.v4.get(&key).map(|b| &b.0[slot]).filter(|e| e.is_used()),
            None => self.other.get(n),
        }
    }

    /// Every IPv4 route of `v4`.
    fn v4_routes(&self) -> impl Iterator<Item = (Nlri, &Entry)> {
        self.v4.iter().flat_map(|(&key, b)| {
            b.0.iter()
                .enumerate()
                .filter(|(_, e)| e.is_used())
                .map(move |(slot, e)| (unblock(key, slot), e))
        })
    }
}

/// Prefixes per block.
const BLOCK: usize = 8;

/// `BLOCK` neighbouring IPv4 prefixes of one length (128 bytes): a storm of consecutive
/// prefixes writes memory in order instead of one random table slot per prefix.
#[derive(Clone, Copy, Debug)]
struct Block([Entry; BLOCK]);

impl Block {
    const EMPTY: Self = Self([Entry::EMPTY; BLOCK]);

    fn is_empty(&self) -> bool {
        self.0.iter().all(|e| !e.is_used())
    }
}

impl Entry {
    /// An unused slot of a [`Block`].
    const EMPTY: Self = Self { at: 0, attrs: u32::MAX };

    fn is_used(&self) -> bool {
        self.attrs != u32::MAX
    }
}

/// The block key and slot of an IPv4 prefix without a path id: the prefix length, and the
/// prefix's bits as a number (its index among the prefixes of that length) split in two.
fn block_of(n: &Nlri) -> Option<(u64, usize)> {
    match (n.prefix, n.path_id) {
        (IpNet::V4(p), None) => {
            let len = p.prefix_len();
            let index = u32::from(p.network()).checked_shr(32 - u32::from(len)).unwrap_or(0);
            let key = (u64::from(len) << 32) | u64::from(index / BLOCK as u32);
            Some((key, index as usize % BLOCK))
        }
        _ => None,
    }
}

fn unblock(key: u64, slot: usize) -> Nlri {
    let len = (key >> 32) as u8;
    let index = (key as u32) * BLOCK as u32 + slot as u32;
    let addr = index.checked_shl(32 - u32::from(len)).unwrap_or(0);
    let net = Ipv4Net::new_assert(Ipv4Addr::from(addr), len);
    Nlri { prefix: IpNet::V4(net), path_id: None }
}

/// How the routes of an Adj-RIB-In spread over prefixes (RFC 7911: with ADD-PATH one prefix
/// holds one route per path identifier).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PathSpread {
    /// Distinct prefixes.
    pub prefixes: usize,
    /// Fewest paths of a prefix (0 when empty).
    pub min: usize,
    /// Most paths of a prefix.
    pub max: usize,
    /// Routes without a path identifier.
    pub without_id: usize,
}

impl PathSpread {
    /// Every prefix holds exactly `n` paths, each with its own path identifier when `n > 1`.
    pub fn is_exactly(&self, n: usize) -> bool {
        self.prefixes > 0 && self.min == n && self.max == n && (n == 1 || self.without_id == 0)
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

    /// Applies a decoded UPDATE received at `at` (RFC 4271 §9: withdrawals, then
    /// announcements). Multicast routes (SAFI 2) go to their own table; the unicast counts,
    /// totals and waiters cover unicast routes only.
    pub fn apply(&self, update: &Update, at: Instant) {
        let mut g = self.lock();
        for n in &update.withdrawn {
            g.remove(n);
        }
        for u in &update.unreach {
            g.multicast.withdraw(u.family, &u.nlri);
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
            for r in update.reach.iter().filter(|r| !r.nlri.is_empty()) {
                let next_hop: Arc<[IpAddr]> = r.next_hop.as_slice().into();
                if !r.family.is_unicast() {
                    g.multicast.announce(r.family, &r.nlri, &attributes, &next_hop, at);
                    continue;
                }
                let attrs = Arc::new(RouteAttrs { attributes: attributes.clone(), next_hop });
                let id = g.attrs.add(attrs, r.nlri.len() as u32);
                g.insert_all(&r.nlri, id, t);
                g.announced += r.nlri.len() as u64;
            }
        }
        self.publish(g, at);
    }

    /// Releases the lock and tells waiters that one more UPDATE (received at `at`) applied.
    fn publish(&self, g: MutexGuard<'_, Inner>, at: Instant) {
        let prefixes = g.len();
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
            g.remove(n);
        }
        g.withdrawn += withdrawn.len() as u64;
        if let Some(attrs) = route
            && !announced.is_empty()
        {
            let t = g.nanos(at);
            let id = g.attrs.add(attrs, announced.len() as u32);
            g.insert_all(announced, id, t);
            g.announced += announced.len() as u64;
        }
        self.publish(g, at);
    }

    /// Forgets everything (the session went down, RFC 4271 §8.2.2 releases its routes).
    pub fn clear(&self) {
        let mut g = self.lock();
        g.v4.clear();
        g.v4_len = 0;
        g.other.clear();
        g.attrs = AttrTable::default();
        g.multicast.clear();
        g.end_of_rib.clear();
        drop(g);
        self.count.send_modify(|c| {
            c.prefixes = 0;
            c.at = Instant::now();
        });
    }

    /// Makes room for `n` neighbouring IPv4 prefixes and touches it, so that a storm of
    /// that size is not slowed by the table growing or by first-touch page faults while it
    /// is measured (the sink of `bgpstorm inject --expect N`).
    pub fn reserve(&self, n: usize) {
        let mut g = self.lock();
        let blocks = n.div_ceil(BLOCK);
        g.v4.reserve(blocks);
        if !g.v4.is_empty() {
            return;
        }
        // Filling and clearing the empty table writes every bucket once; `clear` keeps the
        // allocation.
        for k in 0..blocks as u64 {
            g.v4.insert(k, Block::EMPTY);
        }
        g.v4.clear();
    }

    /// Number of prefixes held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The route of one prefix.
    pub fn get(&self, nlri: &Nlri) -> Option<Route> {
        let g = self.lock();
        g.get(nlri).map(|e| g.route(e))
    }

    /// A copy of every route.
    pub fn snapshot(&self) -> Vec<(Nlri, Route)> {
        let g = self.lock();
        let v4 = g.v4_routes().map(|(n, e)| (n, g.route(e)));
        v4.chain(g.other.iter().map(|(n, e)| (*n, g.route(e)))).collect()
    }

    /// Multicast routes (SAFI 2) held for `family`; unicast ones are counted by [`Self::len`].
    pub fn multicast_len(&self, family: AfiSafi) -> usize {
        self.lock().multicast.len(family)
    }

    /// Multicast routes held per family, for the families that hold any.
    pub fn multicast_counts(&self) -> Vec<(AfiSafi, usize)> {
        self.lock().multicast.counts()
    }

    /// The multicast route of one prefix of `family`.
    pub fn get_multicast(&self, family: AfiSafi, nlri: &Nlri) -> Option<Route> {
        self.lock().multicast.get(family, nlri).cloned()
    }

    /// A copy of every multicast route of `family`.
    pub fn multicast_snapshot(&self, family: AfiSafi) -> Vec<(Nlri, Route)> {
        self.lock().multicast.snapshot(family)
    }

    /// Paths per prefix.
    pub fn path_spread(&self) -> PathSpread {
        let g = self.lock();
        let mut per_prefix: FastMap<IpNet, usize> = FastMap::default();
        let mut without_id = 0;
        for n in g.v4_routes().map(|(n, _)| n).chain(g.other.keys().copied()) {
            *per_prefix.entry(n.prefix).or_default() += 1;
            without_id += usize::from(n.path_id.is_none());
        }
        PathSpread {
            prefixes: per_prefix.len(),
            min: per_prefix.values().copied().min().unwrap_or(0),
            max: per_prefix.values().copied().max().unwrap_or(0),
            without_id,
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use bgpstorm_wire::PathAttributes;
    use std::net::Ipv6Addr;

    fn attrs(med: u32) -> Arc<RouteAttrs> {
        Arc::new(RouteAttrs {
            attributes: Arc::new(PathAttributes { med: Some(med), ..PathAttributes::default() }),
            next_hop: Arc::from([IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))].as_slice()),
        })
    }

    fn v4(i: u32, path_id: Option<u32>) -> Nlri {
        let net = Ipv4Net::new_assert(Ipv4Addr::from(0x0a00_0000 + (i << 8)), 24);
        Nlri { prefix: IpNet::V4(net), path_id }
    }

    fn med_of(rib: &AdjRibIn, n: &Nlri) -> Option<u32> {
        rib.get(n).and_then(|r| r.attributes.med)
    }

    proptest::proptest! {
        /// Every IPv4 prefix, /0 to /32, comes back from its block key and slot.
        #[test]
        fn block_keys_round_trip(addr in proptest::prelude::any::<u32>(), len in 0u8..=32) {
            let n = Nlri { prefix: IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::from(addr), len).trunc()), path_id: None };
            let (key, slot) = block_of(&n).unwrap();
            proptest::prop_assert_eq!(unblock(key, slot), n);
        }
    }

    /// The table indexes by the low bits of the hash: the keys of consecutive blocks of /24s
    /// must spread over them.
    #[test]
    fn hashes_of_consecutive_prefixes_spread_over_the_low_bits() {
        use std::hash::BuildHasher;
        let build = std::hash::BuildHasherDefault::<FastHasher>::default();
        let low: std::collections::HashSet<u64> = (0..65536u32)
            .map(|i| build.hash_one(block_of(&v4(i * 8, None)).unwrap().0) & 0xf_ffff)
            .collect();
        // 65,536 random values in 2^20 slots give about 63,500 distinct ones.
        assert!(low.len() > 60_000, "only {} distinct low-bit patterns", low.len());
    }

    /// Replacements and withdrawals keep each prefix on its latest attributes, in both maps
    /// (plain IPv4, and IPv6 / ADD-PATH), and free attribute slots nobody uses any more.
    #[test]
    fn routes_follow_their_latest_announcement_and_slots_are_freed() {
        let rib = AdjRibIn::default();
        rib.reserve(100);
        assert!(rib.is_empty());
        let at = Instant::now();
        let six = Nlri {
            prefix: IpNet::V6(ipnet::Ipv6Net::new_assert(
                Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
                32,
            )),
            path_id: None,
        };
        let first: Vec<Nlri> = (0..10).map(|i| v4(i, None)).chain([v4(0, Some(7)), six]).collect();
        rib.apply_parts(&[], &first, Some(attrs(1)), at);
        assert_eq!(rib.len(), 12);
        let second: Vec<Nlri> = (5..15).map(|i| v4(i, None)).chain([six]).collect();
        rib.apply_parts(&[v4(0, None), v4(0, Some(7))], &second, Some(attrs(2)), at);
        assert_eq!(rib.len(), 15);
        assert_eq!(med_of(&rib, &v4(0, None)), None);
        assert_eq!(med_of(&rib, &v4(0, Some(7))), None);
        assert_eq!(med_of(&rib, &v4(1, None)), Some(1));
        assert_eq!(med_of(&rib, &v4(5, None)), Some(2));
        assert_eq!(med_of(&rib, &six), Some(2));
        let mut snap: Vec<Nlri> = rib.snapshot().into_iter().map(|(n, _)| n).collect();
        snap.sort();
        let mut want: Vec<Nlri> = (1..15).map(|i| v4(i, None)).chain([six]).collect();
        want.sort();
        assert_eq!(snap, want);
        // Withdrawing every route of the first set frees its slot for the next one.
        let rest: Vec<Nlri> = (1..5).map(|i| v4(i, None)).collect();
        rib.apply_parts(&rest, &[], None, at);
        {
            let g = rib.lock();
            assert_eq!(g.attrs.slots.iter().filter(|s| s.0.is_some()).count(), 1);
            assert_eq!(g.attrs.free.len(), 1);
        }
        rib.apply_parts(&[], &[v4(99, None)], Some(attrs(3)), at);
        assert_eq!(rib.lock().attrs.slots.len(), 2, "the freed slot is reused");
        assert_eq!(med_of(&rib, &v4(99, None)), Some(3));
        assert_eq!(rib.totals(), (12 + 11 + 1, 6, 0));
        rib.clear();
        assert!(rib.is_empty());
    }

    fn nlri(prefix: &str, path_id: Option<u32>) -> Nlri {
        Nlri { prefix: prefix.parse().unwrap(), path_id }
    }

    #[test]
    fn the_path_spread_counts_paths_per_prefix_and_routes_without_an_id() {
        let rib = AdjRibIn::default();
        let attrs = Arc::new(RouteAttrs {
            attributes: Arc::new(PathAttributes::default()),
            next_hop: Arc::from(Vec::new()),
        });
        let two = [nlri("10.0.0.0/24", Some(1)), nlri("10.0.0.0/24", Some(2))];
        rib.apply_parts(&[], &two, Some(attrs.clone()), Instant::now());
        rib.apply_parts(&[], &[nlri("10.0.1.0/24", Some(1))], Some(attrs.clone()), Instant::now());
        assert_eq!(rib.path_spread(), PathSpread { prefixes: 2, min: 1, max: 2, without_id: 0 });
        assert!(!rib.path_spread().is_exactly(2));
        rib.apply_parts(&[], &[nlri("10.0.1.0/24", Some(7))], Some(attrs.clone()), Instant::now());
        assert!(rib.path_spread().is_exactly(2));
        rib.apply_parts(&[two[0], nlri("10.0.1.0/24", Some(1))], &[], None, Instant::now());
        assert!(rib.path_spread().is_exactly(1));
        let plain = AdjRibIn::default();
        plain.apply_parts(&[], &[nlri("10.0.0.0/24", None)], Some(attrs), Instant::now());
        assert!(plain.path_spread().is_exactly(1));
        assert!(!AdjRibIn::default().path_spread().is_exactly(1), "an empty RIB holds no paths");
    }
}
