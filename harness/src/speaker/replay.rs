//! Replaying recorded routing activity: the UPDATEs one peer sent to a collector (MRT
//! BGP4MP, RFC 6396 §4.4) with their timing scaled or as fast as possible, and a
//! TABLE_DUMP_V2 RIB (RFC 6396 §4.3) as an initial table. Next hop and first AS are rewritten
//! for our session.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use bgpstorm_wire::model::{AsPath, SegmentKind};
use bgpstorm_wire::mrt::{MrtBody, MrtError, MrtReader};
use bgpstorm_wire::rfc7606::code;
use bgpstorm_wire::{AfiSafi, Message, PathAttributes, Update};
use ipnet::IpNet;

use super::program::{Injector, ProgramError};
use super::ribout::family_of;
use super::route::{Origination, RouteSpec};

/// Which peer of a BGP4MP file to replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerSelector {
    /// The N-th peer (from 0) in order of first appearance.
    Index(usize),
    /// The peer with this address.
    Address(IpAddr),
}

/// A peer found in an MRT file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerSummary {
    /// Its address.
    pub ip: IpAddr,
    /// Its AS.
    pub asn: u32,
    /// UPDATEs it sent.
    pub updates: u64,
}

/// One recorded UPDATE and when it was seen, relative to the first one replayed.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Time since the first UPDATE of the peer.
    pub offset: Duration,
    /// The UPDATE.
    pub update: Update,
}

/// Replay input cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Reading the file failed.
    #[error("{0}")]
    Mrt(#[from] MrtError),
    /// No such peer.
    #[error(
        "{what} is not a peer of {file} (it has {count} peers: see `bgpstorm inject --list-peers`)"
    )]
    NoPeer {
        /// The selector, printed.
        what: String,
        /// The file.
        file: String,
        /// How many peers it has.
        count: usize,
    },
    /// No such peer in the peer index table.
    #[error("--table-peer {peer_index}: the peer index table of {file} has {count} peers (0 to {})", count.saturating_sub(1))]
    NoTablePeer {
        /// The peer asked for.
        peer_index: u16,
        /// The file.
        file: String,
        /// How many peers the table has.
        count: usize,
    },
    /// A TABLE_DUMP_V2 file was expected.
    #[error("{file} holds no TABLE_DUMP_V2 peer index table: not a RIB dump")]
    NoTable {
        /// The file.
        file: String,
    },
    /// The peer exists but has no unicast route in the dump.
    #[error("peer index {peer_index} of {file} has no IPv4 or IPv6 unicast route")]
    NoRoutes {
        /// The peer.
        peer_index: u16,
        /// The file.
        file: String,
    },
}

/// The peers that sent UPDATEs in a BGP4MP file, in order of first appearance.
pub fn peers(path: &Path) -> Result<Vec<PeerSummary>, ReplayError> {
    let mut out: Vec<PeerSummary> = Vec::new();
    for rec in MrtReader::open(path)? {
        let rec = match rec {
            Ok(r) => r,
            Err(e) if e.is_fatal() => return Err(e.into()),
            Err(_) => continue,
        };
        if let MrtBody::Message(m) = rec.body
            && !m.is_local()
            && matches!(m.message, Ok(Message::Update(_)))
        {
            match out.iter_mut().find(|p| p.ip == m.peer_ip) {
                Some(p) => p.updates += 1,
                None => out.push(PeerSummary { ip: m.peer_ip, asn: m.peer_asn, updates: 1 }),
            }
        }
    }
    Ok(out)
}

/// The UPDATEs one peer sent, with their times.
pub fn load_updates(
    path: &Path,
    peer: PeerSelector,
) -> Result<(PeerSummary, Vec<Recorded>), ReplayError> {
    let all = peers(path)?;
    let chosen = match peer {
        PeerSelector::Index(i) => all.get(i).copied(),
        PeerSelector::Address(a) => all.iter().find(|p| p.ip == a).copied(),
    };
    let Some(chosen) = chosen else {
        let what = match peer {
            PeerSelector::Index(i) => format!("peer index {i}"),
            PeerSelector::Address(a) => format!("peer {a}"),
        };
        let file = path.display().to_string();
        return Err(ReplayError::NoPeer { what, file, count: all.len() });
    };
    let mut out = Vec::new();
    let mut first = None;
    for rec in MrtReader::open(path)? {
        let Ok(rec) = rec else { continue };
        let micros = u64::from(rec.header.timestamp) * 1_000_000
            + u64::from(rec.header.microseconds.unwrap_or(0));
        if let MrtBody::Message(m) = rec.body
            && !m.is_local()
            && m.peer_ip == chosen.ip
            && let Ok(Message::Update(update)) = m.message
        {
            let t0 = *first.get_or_insert(micros);
            out.push(Recorded { offset: Duration::from_micros(micros.saturating_sub(t0)), update });
        }
    }
    Ok((chosen, out))
}

/// The routes of one peer (by its index in the PEER_INDEX_TABLE) in a TABLE_DUMP_V2 file.
pub fn load_table(
    path: &Path,
    peer_index: u16,
) -> Result<Vec<(IpNet, PathAttributes)>, ReplayError> {
    let mut out = Vec::new();
    let mut peers = None;
    for rec in MrtReader::open(path)? {
        let rec = match rec {
            Ok(r) => r,
            Err(e) if e.is_fatal() => return Err(e.into()),
            Err(_) => continue,
        };
        match rec.body {
            MrtBody::PeerIndexTable(t) => peers = Some(t.peers.len()),
            MrtBody::Rib(rib) => {
                for e in rib.entries.into_iter().filter(|e| e.peer_index == peer_index) {
                    if let Ok(route) = e.route {
                        out.push((rib.prefix, route.attributes));
                    }
                }
            }
            _ => {}
        }
    }
    let file = path.display().to_string();
    match peers {
        None => Err(ReplayError::NoTable { file }),
        Some(count) if usize::from(peer_index) >= count => {
            Err(ReplayError::NoTablePeer { peer_index, file, count })
        }
        Some(_) if out.is_empty() => Err(ReplayError::NoRoutes { peer_index, file }),
        Some(_) => Ok(out),
    }
}

/// Rewrites recorded attributes for our session: our AS replaces the first AS on eBGP
/// (RFC 4271 §5.1.2), attributes that must not cross it are dropped, and the next hop
/// becomes ours.
pub fn rewrite(attrs: &PathAttributes, origin: &Origination) -> PathAttributes {
    let mut a = attrs.clone();
    if !origin.ibgp {
        let mut path = a.as_path.take().unwrap_or_default();
        match path.segments.first_mut() {
            Some(s) if s.kind == SegmentKind::Sequence && !s.asns.is_empty() => {
                s.asns[0] = origin.local_asn
            }
            _ => {
                path.segments.insert(0, AsPath::sequence(vec![origin.local_asn]).segments.remove(0))
            }
        }
        a.as_path = Some(path);
        a.local_pref = None;
        // RFC 4456 §8: ORIGINATOR_ID and CLUSTER_LIST stay inside the AS.
        a.originator_id = None;
        a.cluster_list.clear();
    }
    // The encoder writes AS4_PATH / AS4_AGGREGATOR itself when the session needs them.
    a.other.retain(|r| r.type_code != code::AS4_PATH && r.type_code != code::AS4_AGGREGATOR);
    a
}

/// What a replay did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// UPDATEs replayed.
    pub updates: u64,
    /// Prefixes announced.
    pub announced: u64,
    /// Prefixes withdrawn.
    pub withdrawn: u64,
    /// Prefixes skipped: families the session did not negotiate.
    pub skipped: u64,
}

impl Injector {
    fn next_hop(&self, family: AfiSafi) -> Result<Vec<IpAddr>, ProgramError> {
        self.next_hop_via(family, &RouteSpec::default())
    }

    fn next_hop_via(&self, family: AfiSafi, hops: &RouteSpec) -> Result<Vec<IpAddr>, ProgramError> {
        Ok(hops.resolve(family, &self.origination())?.1)
    }

    /// Replays recorded UPDATEs. `speed` scales the recorded timing (2.0 is twice as fast);
    /// `None` sends them as fast as the session allows.
    pub async fn replay(
        &mut self,
        updates: &[Recorded],
        speed: Option<f64>,
    ) -> Result<ReplayReport, ProgramError> {
        self.replay_via(updates, speed, &RouteSpec::default()).await
    }

    /// [`Self::replay`] with the next hops of `hops` (`next_hop_v4`, `next_hop_v6`) where
    /// they are given, the session's own address otherwise.
    pub async fn replay_via(
        &mut self,
        updates: &[Recorded],
        speed: Option<f64>,
        hops: &RouteSpec,
    ) -> Result<ReplayReport, ProgramError> {
        let start = tokio::time::Instant::now();
        let mut r = ReplayReport::default();
        for rec in updates {
            if let Some(s) = speed.filter(|s| *s > 0.0) {
                let due = start + rec.offset.div_f64(s);
                if due > tokio::time::Instant::now() {
                    self.flush().await?;
                    tokio::time::sleep_until(due).await;
                }
            }
            let u = &rec.update;
            let (keep, skip): (Vec<IpNet>, Vec<IpNet>) = u
                .withdrawn
                .iter()
                .map(|n| n.prefix)
                .partition(|p| self.link().negotiated.has_family(family_of(p)));
            r.skipped += skip.len() as u64;
            r.withdrawn += keep.len() as u64;
            self.withdraw(&keep).await?;
            let attrs = rewrite(&u.attributes, &self.origination());
            for reach in &u.reach {
                if !self.link().negotiated.has_family(reach.family) {
                    r.skipped += reach.nlri.len() as u64;
                    continue;
                }
                let prefixes: Vec<IpNet> = reach.nlri.iter().map(|n| n.prefix).collect();
                let mut a = attrs.clone();
                let nh = self.next_hop_via(reach.family, hops)?;
                a.next_hop = match nh.first() {
                    Some(IpAddr::V4(v4)) if reach.family == AfiSafi::IPV4_UNICAST => Some(*v4),
                    _ => None,
                };
                self.announce_family(&prefixes, reach.family, a, nh, 0).await?;
                r.announced += prefixes.len() as u64;
            }
            r.updates += 1;
        }
        self.flush().await?;
        Ok(r)
    }

    /// Announces a recorded table; routes with the same attributes share UPDATEs.
    pub async fn announce_table(
        &mut self,
        table: &[(IpNet, PathAttributes)],
    ) -> Result<u64, ProgramError> {
        let mut groups: HashMap<(AfiSafi, &PathAttributes), Vec<IpNet>> = HashMap::new();
        for (p, a) in table {
            if self.link().negotiated.has_family(family_of(p)) {
                groups.entry((family_of(p), a)).or_default().push(*p);
            }
        }
        let mut sent = 0;
        for ((family, attrs), prefixes) in groups {
            let mut a = rewrite(attrs, &self.origination());
            let nh = self.next_hop(family)?;
            a.next_hop = match nh.first() {
                Some(IpAddr::V4(v4)) if family == AfiSafi::IPV4_UNICAST => Some(*v4),
                _ => None,
            };
            self.announce_family(&prefixes, family, a, nh, 0).await?;
            sent += prefixes.len() as u64;
        }
        Ok(sent)
    }
}
