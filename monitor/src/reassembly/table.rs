//! The flow table: every tracked flow by its 4-tuple, and the order in which flows are given
//! up when they fall idle or when the table is full.
//!
//! Lookups are one hash probe. Each flow is also queued in the list of its class (ended,
//! half-open, established) in the order it was last queued; a segment only stamps its flow's
//! state with the time, and a queued flow found to have been touched since is queued again at
//! the back. Finding the flow to give up is thus amortised O(1) at any table size: the front
//! of a list, never a scan of the table.

use std::collections::{HashMap, VecDeque};

use super::{Flow, FlowState};

/// What a flow is, for the order in which flows are given up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Class {
    /// Ended (FIN, RST, restart): kept only to recognise late retransmissions.
    Closed,
    /// Opened, but not one byte of its stream known yet (a lone SYN, a scan, a flood).
    HalfOpen,
    /// Carrying a stream.
    Established,
}

impl Class {
    /// The classes in the order their flows are given up when the table is full.
    pub(super) const EVICTION_ORDER: [Class; 3] =
        [Class::Closed, Class::HalfOpen, Class::Established];

    fn index(self) -> usize {
        self as usize
    }
}

/// One place of a flow in the list of its class.
#[derive(Clone, Copy, Debug)]
struct Queued {
    flow: Flow,
    /// The incarnation it was queued for (a restarted flow has a new one).
    id: u64,
    /// The flow's last activity when it was queued.
    ts: u64,
}

/// Tracked flows, with their expiry order.
#[derive(Default)]
pub(super) struct FlowTable {
    map: HashMap<Flow, FlowState>,
    queues: [VecDeque<Queued>; 3],
    next_id: u64,
}

impl FlowTable {
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    pub(super) fn contains_key(&self, flow: &Flow) -> bool {
        self.map.contains_key(flow)
    }

    pub(super) fn get(&self, flow: &Flow) -> Option<&FlowState> {
        self.map.get(flow)
    }

    pub(super) fn get_mut(&mut self, flow: &Flow) -> Option<&mut FlowState> {
        self.map.get_mut(flow)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&Flow, &FlowState)> {
        self.map.iter()
    }

    /// Tracks `st` as the current incarnation of `flow` (replacing any other).
    pub(super) fn insert(&mut self, flow: Flow, mut st: FlowState) {
        self.next_id += 1;
        st.id = self.next_id;
        let (class, ts) = (st.class, st.last_ts);
        self.map.insert(flow, st);
        self.enqueue(flow, class, ts);
    }

    /// Forgets `flow` (its places in the lists become stale and are skipped).
    pub(super) fn remove(&mut self, flow: &Flow) {
        self.map.remove(flow);
    }

    /// Forgets every ended flow.
    pub(super) fn forget_closed(&mut self) {
        self.map.retain(|_, s| s.class != Class::Closed);
        self.queues[Class::Closed.index()].clear();
    }

    /// Moves `flow` to `class` (its place in its former list becomes stale).
    pub(super) fn reclassify(&mut self, flow: Flow, class: Class) {
        let Some(st) = self.map.get_mut(&flow) else { return };
        if st.class == class {
            return;
        }
        st.class = class;
        let ts = st.last_ts;
        self.enqueue(flow, class, ts);
    }

    fn enqueue(&mut self, flow: Flow, class: Class, ts: u64) {
        let Some(st) = self.map.get(&flow) else { return };
        let id = st.id;
        let q = &mut self.queues[class.index()];
        q.push_back(Queued { flow, id, ts });
        // Places left stale by reclassified or removed flows are dropped when they reach the
        // front; a long-lived flow at the front can hold them back, so past twice the table
        // they are swept out at once (amortised over as many pushes).
        if q.len() > 2 * self.map.len() + 1024 {
            let map = &self.map;
            q.retain(|e| map.get(&e.flow).is_some_and(|s| s.id == e.id && s.class == class));
        }
    }

    /// The least recently active flow of `class` idle for more than `timeout_ns` at `now`,
    /// or, with `timeout_ns` `None`, the least recently active one whatever its age. The flow
    /// stays tracked; its place in the list is used up.
    pub(super) fn pop_oldest(
        &mut self,
        class: Class,
        now: u64,
        timeout_ns: Option<u64>,
    ) -> Option<Flow> {
        let q = &mut self.queues[class.index()];
        loop {
            let front = *q.front()?;
            // A flow is at least as recent as its place: a recent place ends the search
            // without a lookup, which keeps the check on every segment cheap.
            if timeout_ns.is_some_and(|t| now.saturating_sub(front.ts) <= t) {
                return None;
            }
            q.pop_front();
            let Some(st) = self.map.get(&front.flow) else { continue };
            if st.id != front.id || st.class != class {
                continue;
            }
            if st.last_ts > front.ts {
                q.push_back(Queued { ts: st.last_ts, ..front });
                continue;
            }
            return Some(front.flow);
        }
    }
}
