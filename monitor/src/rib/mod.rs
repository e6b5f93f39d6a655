//! Route state built from the wire: one Adj-RIB-In per session, best path per receiver,
//! alternates, bounded per-prefix history, attributes interned.
//!
//! A *session* here is one direction of a BGP TCP connection: the routes `sender` advertises
//! to `receiver` (a [`Flow`]). The monitor at a device's interfaces sees the routes its peers
//! send it (ingress sessions) and the routes it sends them (egress sessions). The best path
//! of a prefix is chosen among the paths one receiver holds ([`best`] documents the
//! decision process and what the wire cannot tell); the others are its hidden routes.
//!
//! Memory: a path is 20 bytes (session, path identifier, attribute-set index, receive time);
//! a prefix holds one path inline or an exactly sized slice of them (`paths.rs`), in a prefix
//! trie per family; attributes and next hops live once per distinct set in an [`AttrStore`].
//! `examples/rib_memory.rs` (`ci/bench-rib`) measures it: about 27 bytes per path for
//! 4 sessions × 1,000,000 IPv4 prefixes.

mod attrs;
pub mod best;
mod history;
mod multicast;
mod paths;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use prefix_trie::PrefixMap;
use serde::Serialize;

use crate::reassembly::Flow;
use bgpstorm_wire::{AfiSafi, Nlri, Update};

pub use attrs::{AttrId, AttrSet, AttrStore};
pub use history::{Change, ChangeKind, History};
pub use multicast::MulticastPath;
use multicast::MulticastRoutes;
use paths::{Path, Paths};

/// Index of a session in a [`Rib`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SessionId(pub u16);

/// What the RIB knows about a session.
#[derive(Clone, Debug, Serialize)]
pub struct Session {
    /// Sender → receiver.
    pub flow: Flow,
    /// The sender's AS, from its OPEN.
    pub sender_asn: Option<u32>,
    /// The sender's BGP identifier, from its OPEN.
    pub sender_id: Option<Ipv4Addr>,
    /// The receiver's AS, from its OPEN.
    pub receiver_asn: Option<u32>,
    /// The receiver's BGP identifier, from its OPEN.
    pub receiver_id: Option<Ipv4Addr>,
    /// Paths the session holds now.
    pub paths: u64,
}

impl Session {
    /// eBGP when both ASes are known and differ; `None` when either is unknown.
    pub fn ebgp(&self) -> Option<bool> {
        Some(self.sender_asn? != self.receiver_asn?)
    }

    /// What identifies the receiving router: its BGP identifier once known (a router has one
    /// address per link but one identifier), else its address on this session.
    pub fn receiver_key(&self) -> IpAddr {
        self.receiver_id.map_or(self.flow.dst.ip(), IpAddr::V4)
    }
}

/// What one NLRI did to the table.
#[derive(Clone, Debug, PartialEq)]
pub enum RibChange {
    /// A path that was not there.
    Announced {
        /// Its session.
        session: SessionId,
        /// Prefix and path identifier.
        nlri: Nlri,
        /// Its attributes.
        attrs: Arc<AttrSet>,
    },
    /// A path whose attributes changed (an implicit withdrawal, RFC 4271 §3.1).
    Replaced {
        /// Its session.
        session: SessionId,
        /// Prefix and path identifier.
        nlri: Nlri,
        /// Before.
        old: Arc<AttrSet>,
        /// After.
        new: Arc<AttrSet>,
    },
    /// The same path announced again with the same attributes.
    Refreshed {
        /// Its session.
        session: SessionId,
        /// Prefix and path identifier.
        nlri: Nlri,
    },
    /// A path withdrawn (explicitly, or because its session went down).
    Withdrawn {
        /// Its session.
        session: SessionId,
        /// Prefix and path identifier.
        nlri: Nlri,
        /// What it had.
        old: Arc<AttrSet>,
    },
    /// A withdrawal of a path the table did not hold (harmless, but counted).
    UnknownWithdrawn {
        /// Its session.
        session: SessionId,
        /// Prefix and path identifier.
        nlri: Nlri,
    },
}

impl RibChange {
    /// The session of the change.
    pub fn session(&self) -> SessionId {
        match self {
            Self::Announced { session, .. }
            | Self::Replaced { session, .. }
            | Self::Refreshed { session, .. }
            | Self::Withdrawn { session, .. }
            | Self::UnknownWithdrawn { session, .. } => *session,
        }
    }

    /// The NLRI of the change.
    pub fn nlri(&self) -> Nlri {
        match self {
            Self::Announced { nlri, .. }
            | Self::Replaced { nlri, .. }
            | Self::Refreshed { nlri, .. }
            | Self::Withdrawn { nlri, .. }
            | Self::UnknownWithdrawn { nlri, .. } => *nlri,
        }
    }
}

/// A path as queries return it.
#[derive(Clone, Debug, Serialize)]
pub struct PathView {
    /// Session index.
    pub session: SessionId,
    /// The sender's address.
    pub peer: IpAddr,
    /// The receiving router: its BGP identifier once known, else its address.
    pub receiver: IpAddr,
    /// The sender's AS, if known.
    pub peer_asn: Option<u32>,
    /// ADD-PATH path identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_id: Option<u32>,
    /// Whether this is the best path at its receiver.
    pub best: bool,
    /// Wire time it was received, ns.
    pub received_ns: u64,
    /// Attributes and next hop.
    pub attributes: Arc<AttrSet>,
}

/// A prefix with its paths, best first per receiver.
#[derive(Clone, Debug, Serialize)]
pub struct RouteView {
    /// The prefix.
    pub prefix: IpNet,
    /// Its paths.
    pub paths: Vec<PathView>,
}

/// How a prefix query matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    /// The prefix itself.
    #[default]
    Exact,
    /// The prefix and every more specific one.
    Longer,
    /// The prefix and every less specific one.
    Shorter,
}

/// The route table of every session the monitor sees.
#[derive(Default)]
pub struct Rib {
    sessions: Vec<Session>,
    by_flow: HashMap<Flow, SessionId>,
    v4: PrefixMap<Ipv4Net, Paths>,
    v6: PrefixMap<Ipv6Net, Paths>,
    attrs: AttrStore,
    history: History,
    paths: u64,
    /// Multicast routes (SAFI 2), apart from the unicast tries.
    multicast: MulticastRoutes,
}

impl Rib {
    /// An empty table keeping `history_len` changes per (session, prefix).
    pub fn new(history_len: usize) -> Self {
        Self { history: History::new(history_len), ..Self::default() }
    }

    /// The session of `flow`, created on first sight.
    pub fn session(&mut self, flow: Flow) -> SessionId {
        if let Some(&id) = self.by_flow.get(&flow) {
            return id;
        }
        let id = SessionId(self.sessions.len() as u16);
        self.sessions.push(Session {
            flow,
            sender_asn: None,
            sender_id: None,
            receiver_asn: None,
            receiver_id: None,
            paths: 0,
        });
        self.by_flow.insert(flow, id);
        id
    }

    /// Records what the session's OPENs say: the sender's and the receiver's AS and BGP
    /// identifier.
    pub fn set_speakers(
        &mut self,
        id: SessionId,
        sender: Option<(u32, Ipv4Addr)>,
        receiver: Option<(u32, Ipv4Addr)>,
    ) {
        if let Some(s) = self.sessions.get_mut(usize::from(id.0)) {
            if let Some((asn, bgp_id)) = sender {
                s.sender_asn = Some(asn);
                s.sender_id = Some(bgp_id);
            }
            if let Some((asn, bgp_id)) = receiver {
                s.receiver_asn = Some(asn);
                s.receiver_id = Some(bgp_id);
            }
        }
    }

    /// Every session.
    pub fn sessions(&self) -> &[Session] {
        &self.sessions
    }

    /// Paths held in all.
    pub fn path_count(&self) -> u64 {
        self.paths
    }

    /// Distinct attribute sets held.
    pub fn attr_set_count(&self) -> usize {
        self.attrs.len()
    }

    /// Prefixes held (any session).
    pub fn prefix_count(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// The change history of one (session, prefix).
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Multicast paths (SAFI 2) held per family, for the families that hold any; they are
    /// not counted by [`Self::path_count`].
    pub fn multicast_counts(&self) -> Vec<(AfiSafi, u64)> {
        self.multicast.counts()
    }

    /// Multicast paths held for `family`.
    pub fn multicast_path_count(&self, family: AfiSafi) -> u64 {
        self.multicast.count(family)
    }

    /// The multicast path of `nlri` of `family` that `session` holds.
    pub fn multicast_path(
        &self,
        family: AfiSafi,
        session: SessionId,
        nlri: &Nlri,
    ) -> Option<&MulticastPath> {
        self.multicast.get(family, session, nlri)
    }

    /// Applies an UPDATE received on `session` at wire time `ts_ns`; returns what changed
    /// among the unicast routes (multicast ones are held, but are no [`RibChange`]).
    pub fn apply(
        &mut self,
        session: SessionId,
        ts_ns: u64,
        update: &Update,
        out: &mut Vec<RibChange>,
    ) {
        for n in &update.withdrawn {
            self.withdraw(session, *n, ts_ns, out);
        }
        for u in &update.unreach {
            self.multicast.withdraw(u.family, session, &u.nlri);
        }
        for reach in update.reach.iter().filter(|r| !r.nlri.is_empty()) {
            let set =
                AttrSet { attributes: update.attributes.clone(), next_hop: reach.next_hop.clone() };
            if !reach.family.is_unicast() {
                let path = MulticastPath { attributes: Arc::new(set), received_ns: ts_ns };
                self.multicast.announce(reach.family, session, &reach.nlri, &path);
                continue;
            }
            // One lookup per reach, not per prefix: hashing the set is the costly part.
            let id = self.attrs.acquire(&set);
            for (i, n) in reach.nlri.iter().enumerate() {
                if i > 0 {
                    self.attrs.retain(id);
                }
                self.announce(session, *n, id, ts_ns, out);
            }
        }
    }

    /// Withdraws every path of `session` (it went down: RFC 4271 §8.2.2, the routes learned
    /// over it are gone). Graceful restart's stale-route retention (RFC 4724) is not modelled.
    pub fn flush(&mut self, session: SessionId, ts_ns: u64, out: &mut Vec<RibChange>) {
        let mut held: Vec<Nlri> = Vec::new();
        let mine = |paths: &Paths| {
            paths
                .as_slice()
                .iter()
                .filter(|p| p.session == session)
                .map(|p| p.path_id_opt())
                .collect::<Vec<_>>()
        };
        for (net, paths) in self.v4.iter() {
            held.extend(
                mine(paths).into_iter().map(|path_id| Nlri { prefix: IpNet::V4(net), path_id }),
            );
        }
        for (net, paths) in self.v6.iter() {
            held.extend(
                mine(paths).into_iter().map(|path_id| Nlri { prefix: IpNet::V6(net), path_id }),
            );
        }
        for n in held {
            self.withdraw(session, n, ts_ns, out);
        }
        self.multicast.flush(session);
    }

    fn slot_mut(&mut self, prefix: IpNet) -> &mut Paths {
        match prefix {
            IpNet::V4(p) => self.v4.entry(p).or_default(),
            IpNet::V6(p) => self.v6.entry(p).or_default(),
        }
    }

    fn slot(&self, prefix: IpNet) -> Option<&Paths> {
        match prefix {
            IpNet::V4(p) => self.v4.get(&p),
            IpNet::V6(p) => self.v6.get(&p),
        }
    }

    fn remove_slot_if_empty(&mut self, prefix: IpNet) {
        let empty = self.slot(prefix).is_some_and(|s| s.is_empty());
        if empty {
            match prefix {
                IpNet::V4(p) => drop(self.v4.remove(&p)),
                IpNet::V6(p) => drop(self.v6.remove(&p)),
            }
        }
    }

    /// Announces `n` with the interned set `id`, whose reference the caller took for it.
    fn announce(
        &mut self,
        session: SessionId,
        n: Nlri,
        id: AttrId,
        ts_ns: u64,
        out: &mut Vec<RibChange>,
    ) {
        let new = Path::new(session, n.path_id, id, ts_ns);
        let slot = self.slot_mut(n.prefix);
        let previous = match slot.as_mut_slice().iter_mut().find(|p| p.same_key(&new)) {
            Some(p) => Some(std::mem::replace(p, new)),
            None => {
                slot.push(new);
                None
            }
        };
        let change = match previous {
            None => {
                self.paths += 1;
                self.sessions[usize::from(session.0)].paths += 1;
                RibChange::Announced { session, nlri: n, attrs: self.set(id) }
            }
            Some(old) if old.attrs == id => {
                self.attrs.release(old.attrs);
                RibChange::Refreshed { session, nlri: n }
            }
            Some(old) => {
                let old_set = self.set(old.attrs);
                self.attrs.release(old.attrs);
                RibChange::Replaced { session, nlri: n, old: old_set, new: self.set(id) }
            }
        };
        self.history.record(session, n, ts_ns, &change);
        out.push(change);
    }

    fn withdraw(&mut self, session: SessionId, n: Nlri, ts_ns: u64, out: &mut Vec<RibChange>) {
        let key = Path::new(session, n.path_id, AttrId(0), 0);
        let removed = match n.prefix {
            IpNet::V4(p) => self.v4.get_mut(&p),
            IpNet::V6(p) => self.v6.get_mut(&p),
        }
        .and_then(|slot| {
            let i = slot.as_slice().iter().position(|p| p.same_key(&key))?;
            Some(slot.swap_remove(i))
        });
        let change = match removed {
            Some(old) => {
                self.remove_slot_if_empty(n.prefix);
                self.paths -= 1;
                self.sessions[usize::from(session.0)].paths -= 1;
                let old_set = self.set(old.attrs);
                self.attrs.release(old.attrs);
                RibChange::Withdrawn { session, nlri: n, old: old_set }
            }
            None => RibChange::UnknownWithdrawn { session, nlri: n },
        };
        self.history.record(session, n, ts_ns, &change);
        out.push(change);
    }

    fn set(&self, id: AttrId) -> Arc<AttrSet> {
        self.attrs.get(id).cloned().unwrap_or_default()
    }

    /// The routes matching `prefix` under `how`, best path marked per receiver.
    pub fn routes(&self, prefix: IpNet, how: Match) -> Vec<RouteView> {
        let mut found: Vec<(IpNet, &Paths)> = Vec::new();
        match (prefix, how) {
            (_, Match::Exact) => found.extend(self.slot(prefix).map(|s| (prefix, s))),
            (IpNet::V4(p), Match::Longer) => {
                found.extend(self.v4.children(&p).map(|(k, v)| (IpNet::V4(k), v)))
            }
            (IpNet::V6(p), Match::Longer) => {
                found.extend(self.v6.children(&p).map(|(k, v)| (IpNet::V6(k), v)))
            }
            (IpNet::V4(p), Match::Shorter) => {
                found.extend(self.v4.cover(&p).map(|(k, v)| (IpNet::V4(k), v)))
            }
            (IpNet::V6(p), Match::Shorter) => {
                found.extend(self.v6.cover(&p).map(|(k, v)| (IpNet::V6(k), v)))
            }
        }
        found.into_iter().map(|(prefix, paths)| self.view(prefix, paths.as_slice())).collect()
    }

    /// Every prefix with at least one path, in trie order.
    pub fn all_routes(&self) -> impl Iterator<Item = RouteView> + '_ {
        let v4 = self.v4.iter().map(|(k, v)| self.view(IpNet::V4(k), v.as_slice()));
        let v6 = self.v6.iter().map(|(k, v)| self.view(IpNet::V6(k), v.as_slice()));
        v4.chain(v6)
    }

    /// The paths of `prefix` held by `session`'s receiver that are valid but not its best:
    /// its hidden routes (backup paths, failover readiness).
    pub fn hidden(&self, prefix: IpNet) -> Vec<PathView> {
        self.routes(prefix, Match::Exact)
            .into_iter()
            .flat_map(|r| r.paths)
            .filter(|p| !p.best)
            .collect()
    }

    /// Number of hidden paths in the whole table.
    pub fn hidden_count(&self) -> u64 {
        let count = |paths: &Paths| {
            let paths = paths.as_slice();
            let mut receivers: Vec<IpAddr> =
                paths.iter().map(|p| self.receiver(p.session)).collect();
            receivers.sort();
            receivers.dedup();
            (paths.len() - receivers.len()) as u64
        };
        self.v4.values().map(count).sum::<u64>() + self.v6.values().map(count).sum::<u64>()
    }

    fn receiver(&self, s: SessionId) -> IpAddr {
        self.sessions[usize::from(s.0)].receiver_key()
    }

    fn view(&self, prefix: IpNet, paths: &[Path]) -> RouteView {
        let mut views: Vec<PathView> = paths
            .iter()
            .map(|p| {
                let s = &self.sessions[usize::from(p.session.0)];
                PathView {
                    session: p.session,
                    peer: s.flow.src.ip(),
                    receiver: s.receiver_key(),
                    peer_asn: s.sender_asn,
                    path_id: p.path_id_opt(),
                    best: false,
                    received_ns: p.received_ns(),
                    attributes: self.set(p.attrs),
                }
            })
            .collect();
        let mut receivers: Vec<IpAddr> = views.iter().map(|v| v.receiver).collect();
        receivers.sort();
        receivers.dedup();
        for r in receivers {
            let idx: Vec<usize> = (0..views.len()).filter(|&i| views[i].receiver == r).collect();
            let cands: Vec<best::Candidate<'_>> = idx
                .iter()
                .map(|&i| {
                    let s = &self.sessions[usize::from(views[i].session.0)];
                    best::Candidate {
                        attrs: &views[i].attributes,
                        ebgp: s.ebgp(),
                        sender_id: s.sender_id,
                        peer: views[i].peer,
                    }
                })
                .collect();
            if let Some(b) = best::best(&cands) {
                let winner = idx[b];
                views[winner].best = true;
            }
        }
        views.sort_by(|a, b| {
            a.receiver.cmp(&b.receiver).then(b.best.cmp(&a.best)).then(a.peer.cmp(&b.peer))
        });
        RouteView { prefix, paths: views }
    }
}

#[cfg(test)]
mod tests;
