//! Interned attribute sets: every path of a table that shares its attributes and next hop
//! (all the prefixes of one UPDATE, typically) points at one copy.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use serde::Serialize;

use bgpstorm_wire::PathAttributes;

/// What a path carries besides its prefix: the attributes and the next hop(s) of its reach.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct AttrSet {
    /// Path attributes.
    #[serde(flatten)]
    pub attributes: PathAttributes,
    /// Next hops (IPv6: global, then link-local).
    pub next_hop: Vec<IpAddr>,
}

/// Index of an interned set in an [`AttrStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttrId(pub u32);

/// Reference-counted store of attribute sets; a set is freed when no path uses it.
#[derive(Debug, Default)]
pub struct AttrStore {
    slots: Vec<Option<(Arc<AttrSet>, u32)>>,
    index: HashMap<Arc<AttrSet>, AttrId>,
    free: Vec<u32>,
}

impl AttrStore {
    /// Interns `set` for one more path.
    pub fn acquire(&mut self, set: &AttrSet) -> AttrId {
        if let Some(&id) = self.index.get(set) {
            if let Some((_, refs)) = &mut self.slots[id.0 as usize] {
                *refs += 1;
            }
            return id;
        }
        let shared = Arc::new(set.clone());
        let id = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some((shared.clone(), 1));
                AttrId(i)
            }
            None => {
                self.slots.push(Some((shared.clone(), 1)));
                AttrId(self.slots.len() as u32 - 1)
            }
        };
        self.index.insert(shared, id);
        id
    }

    /// Adds a reference to an interned set (a path copied elsewhere).
    pub fn retain(&mut self, id: AttrId) {
        if let Some(Some((_, refs))) = self.slots.get_mut(id.0 as usize) {
            *refs += 1;
        }
    }

    /// Drops one path's reference.
    pub fn release(&mut self, id: AttrId) {
        let Some(slot) = self.slots.get_mut(id.0 as usize) else { return };
        let Some((set, refs)) = slot else { return };
        *refs -= 1;
        if *refs == 0 {
            self.index.remove(&**set);
            *slot = None;
            self.free.push(id.0);
        }
    }

    /// The set behind `id`.
    pub fn get(&self, id: AttrId) -> Option<&Arc<AttrSet>> {
        self.slots.get(id.0 as usize)?.as_ref().map(|(s, _)| s)
    }

    /// Distinct sets held.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_sets_share_one_slot_and_are_freed_with_their_last_path() {
        let mut store = AttrStore::default();
        let a = AttrSet { next_hop: vec!["192.0.2.1".parse().unwrap()], ..AttrSet::default() };
        let b = AttrSet { next_hop: vec!["192.0.2.2".parse().unwrap()], ..AttrSet::default() };
        let (a1, a2, b1) = (store.acquire(&a), store.acquire(&a), store.acquire(&b));
        assert_eq!(a1, a2);
        assert_ne!(a1, b1);
        assert_eq!(store.len(), 2);
        store.release(a1);
        assert_eq!(store.get(a1).map(|s| &**s), Some(&a));
        store.release(a2);
        assert!(store.get(a1).is_none());
        assert_eq!(store.len(), 1);
        // The freed slot is reused.
        let c = AttrSet::default();
        assert_eq!(store.acquire(&c), a1);
    }
}
