//! Multicast routes (SAFI 2, RFC 4760 §6) seen on the wire, per family and session.
//!
//! They are ordinary prefixes used for reverse-path checks, so they are kept apart from the
//! unicast tries: a multicast route never shadows the unicast route of the same prefix, and
//! the detectors and convergence figures, which follow unicast forwarding, never see them.
//! The table allocates nothing until the first multicast route arrives.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bgpstorm_wire::{AfiSafi, Nlri};

use super::SessionId;
use super::attrs::AttrSet;

/// One multicast path: its attributes and when it arrived.
#[derive(Clone, Debug, PartialEq)]
pub struct MulticastPath {
    /// Attributes and next hop.
    pub attributes: Arc<AttrSet>,
    /// Wire time it was received, ns.
    pub received_ns: u64,
}

/// Multicast paths, per family, then per session and NLRI.
#[derive(Debug, Default)]
pub(super) struct MulticastRoutes {
    families: BTreeMap<AfiSafi, HashMap<(SessionId, Nlri), MulticastPath>>,
}

impl MulticastRoutes {
    /// Stores `nlri` of `family` from `session`, replacing what the same path held.
    pub(super) fn announce(
        &mut self,
        family: AfiSafi,
        session: SessionId,
        nlri: &[Nlri],
        path: &MulticastPath,
    ) {
        let table = self.families.entry(family).or_default();
        for n in nlri {
            table.insert((session, *n), path.clone());
        }
    }

    /// Removes `nlri` of `family` from `session` (MP_UNREACH_NLRI, RFC 4760 §4).
    pub(super) fn withdraw(&mut self, family: AfiSafi, session: SessionId, nlri: &[Nlri]) {
        let Some(table) = self.families.get_mut(&family) else { return };
        for n in nlri {
            table.remove(&(session, *n));
        }
        if table.is_empty() {
            self.families.remove(&family);
        }
    }

    /// Forgets every path of `session` (it went down, RFC 4271 §8.2.2).
    pub(super) fn flush(&mut self, session: SessionId) {
        for table in self.families.values_mut() {
            table.retain(|(s, _), _| *s != session);
        }
        self.families.retain(|_, t| !t.is_empty());
    }

    /// The path of `nlri` of `family` held from `session`.
    pub(super) fn get(
        &self,
        family: AfiSafi,
        session: SessionId,
        nlri: &Nlri,
    ) -> Option<&MulticastPath> {
        self.families.get(&family)?.get(&(session, *nlri))
    }

    /// Paths held per family, for the families that hold any.
    pub(super) fn counts(&self) -> Vec<(AfiSafi, u64)> {
        self.families.iter().map(|(f, t)| (*f, t.len() as u64)).collect()
    }

    /// Paths held for `family`.
    pub(super) fn count(&self, family: AfiSafi) -> u64 {
        self.families.get(&family).map_or(0, |t| t.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use crate::capture::{CaptureEvent, TcpFlags};
    use crate::engine::{Engine, EngineHandle, MonitorConfig};
    use crate::rib::{Match, SessionId};
    use crate::stream::{DecodeOptions, StreamDecoder};
    use bgpstorm_wire::{AfiSafi, Nlri};

    /// An UPDATE with the path attributes and NLRI given, and no withdrawn routes.
    fn update(attrs: &[u8], nlri: &[u8]) -> Vec<u8> {
        let mut m = vec![0xff; 16];
        m.extend_from_slice(&((23 + attrs.len() + nlri.len()) as u16).to_be_bytes());
        m.extend_from_slice(&[2, 0, 0]);
        m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
        m.extend_from_slice(attrs);
        m.extend_from_slice(nlri);
        m
    }

    /// The bytes of one TCP segment of 192.0.2.1:40000 → 192.0.2.2:179 at `ts_ns`.
    fn segment(ts_ns: u64, seq: u32, payload: &[u8]) -> CaptureEvent {
        CaptureEvent {
            ts_ns,
            ifindex: 0,
            direction: None,
            src: "192.0.2.1:40000".parse().unwrap(),
            dst: "192.0.2.2:179".parse().unwrap(),
            seq,
            ack: 0,
            flags: TcpFlags(0x18),
            payload: payload.to_vec(),
            payload_len: payload.len() as u32,
        }
    }

    /// RFC 4760 §6: 192.12.135.0/24 announced as unicast and as IPv4 multicast in one UPDATE
    /// are two routes, read from the wire through reassembly and decoding; the multicast
    /// withdrawal removes only its own, and the counts reach the API's figures.
    #[test]
    fn multicast_and_unicast_routes_of_one_prefix_are_held_apart() {
        // ORIGIN IGP, AS_PATH 65001 (4-octet), NEXT_HOP 192.0.2.1; MP_REACH_NLRI AFI 1
        // SAFI 2 with next hop 198.51.100.1 and 192.12.135.0/24.
        let head = [0x40, 1, 1, 0, 0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9, 0x40, 3, 4, 192, 0, 2, 1];
        let mp_reach = [0x80, 14, 13, 0, 1, 2, 4, 198, 51, 100, 1, 0, 24, 192, 12, 135];
        let announce = update(&[&head[..], &mp_reach].concat(), &[24, 192, 12, 135]);
        let withdraw = update(&[0x80, 15, 7, 0, 1, 2, 24, 192, 12, 135], &[]);

        let handle = EngineHandle::new(Engine::new(&MonitorConfig::default()).unwrap());
        let mut decoder = StreamDecoder::new(DecodeOptions::default());
        let mut items = Vec::new();
        decoder.push(segment(1_000, 1000, &announce), &mut items);
        handle.push_all(&items);

        let prefix = Nlri { prefix: "192.12.135.0/24".parse().unwrap(), path_id: None };
        {
            let engine = handle.engine();
            let rib = engine.rib();
            assert_eq!(rib.path_count(), 1, "one unicast path");
            assert_eq!(rib.multicast_counts(), [(AfiSafi::IPV4_MULTICAST, 1)]);
            let m = rib.multicast_path(AfiSafi::IPV4_MULTICAST, SessionId(0), &prefix).unwrap();
            assert_eq!(
                m.attributes.next_hop,
                ["198.51.100.1".parse::<std::net::IpAddr>().unwrap()]
            );
            assert_eq!(m.received_ns, 1_000);
            let unicast = rib.routes(prefix.prefix, Match::Exact);
            let nh = &unicast[0].paths[0].attributes.next_hop;
            assert_eq!(nh, &["192.0.2.1".parse::<std::net::IpAddr>().unwrap()]);
        }
        let (_, sizes) = handle.stats();
        assert_eq!(
            (sizes.paths, sizes.ipv4_multicast_paths, sizes.ipv6_multicast_paths),
            (1, 1, 0)
        );
        #[cfg(feature = "api")]
        assert!(
            handle.metrics().contains("bgpstorm_rib_multicast_paths{family=\"ipv4-multicast\"} 1"),
            "{}",
            handle.metrics()
        );

        items.clear();
        decoder.push(segment(2_000, 1000 + announce.len() as u32, &withdraw), &mut items);
        handle.push_all(&items);
        let engine = handle.engine();
        assert_eq!(engine.rib().path_count(), 1, "the unicast path stays");
        assert_eq!(engine.rib().multicast_path_count(AfiSafi::IPV4_MULTICAST), 0);
        assert!(engine.rib().multicast_counts().is_empty());
    }

    /// A session that goes down takes its multicast paths with it, and only its own.
    #[test]
    fn flushing_a_session_forgets_only_its_multicast_paths() {
        use super::super::{AttrSet, Rib};
        use bgpstorm_wire::{Reach, Unreach, Update};
        let flow = |src: &str| crate::reassembly::Flow {
            src: src.parse().unwrap(),
            dst: "192.0.2.2:179".parse().unwrap(),
        };
        let mut rib = Rib::new(4);
        let (a, b) = (rib.session(flow("192.0.2.1:40000")), rib.session(flow("192.0.2.3:40000")));
        let nlri = vec![Nlri { prefix: "2001:db8::/32".parse().unwrap(), path_id: None }];
        let reach = Reach { family: AfiSafi::IPV6_MULTICAST, next_hop: vec![], nlri: nlri.clone() };
        let announce = Update { reach: vec![reach], ..Update::default() };
        let mut out = Vec::new();
        rib.apply(a, 1, &announce, &mut out);
        rib.apply(b, 1, &announce, &mut out);
        assert!(out.is_empty(), "multicast paths are no unicast changes: {out:?}");
        assert_eq!(rib.multicast_counts(), [(AfiSafi::IPV6_MULTICAST, 2)]);
        assert_eq!(
            rib.multicast_path(AfiSafi::IPV6_MULTICAST, a, &nlri[0]).map(|p| p.attributes.as_ref()),
            Some(&AttrSet::default())
        );
        rib.flush(a, 2, &mut out);
        assert_eq!(rib.multicast_counts(), [(AfiSafi::IPV6_MULTICAST, 1)]);
        assert!(rib.multicast_path(AfiSafi::IPV6_MULTICAST, a, &nlri[0]).is_none());
        // A withdrawal of another family leaves it alone.
        let v4 = Unreach { family: AfiSafi::IPV4_MULTICAST, nlri: nlri.clone() };
        rib.apply(b, 3, &Update { unreach: vec![v4], ..Update::default() }, &mut out);
        assert_eq!(rib.multicast_path_count(AfiSafi::IPV6_MULTICAST), 1);
    }
}
