//! Replay of real recorded routing activity into our own sink over loopback: the sink must
//! end with exactly the table the recorded UPDATEs leave behind, with our AS first.

use std::collections::BTreeSet;
use std::path::Path;

use bgpstorm_harness::speaker::Injector;
use bgpstorm_harness::speaker::replay::{
    PeerSelector, ReplayError, load_table, load_updates, peers,
};
use ipnet::IpNet;

#[path = "common/speaker.rs"]
mod common;
use common::{LOOPBACK, deadline, pair};

const RRC00: &str = "../data/mrt/ris-rrc00-2019/updates.20190101.0000.gz";
const RV_RIB: &str = "../data/mrt/routeviews-2016/rib.20161101.0000_pick.bz2";

fn data(rel: &str) -> std::path::PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    assert!(p.exists(), "{} is missing (the shared data set)", p.display());
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_a_ris_peer_leaves_the_table_its_updates_leave() {
    let file = data(RRC00);
    let all = peers(&file).expect("peers");
    assert!(all.len() > 10, "rrc00 has {} peers", all.len());
    // An IPv4 peer: the session runs over IPv4 loopback, so IPv6 next hops need an address.
    let index = all.iter().position(|p| p.ip.is_ipv4()).expect("an IPv4 peer");
    let (peer, updates) = load_updates(&file, PeerSelector::Index(index)).expect("updates");
    assert_eq!(updates.len() as u64, peer.updates);
    let (a, b) = pair(65001, 65002);
    let deadline = deadline(20);
    let link = a.established(deadline).await.expect("established");
    // IPv4-only UPDATEs: the loopback session has no IPv6 next hop of its own.
    let v4_only: Vec<_> = updates
        .iter()
        .filter(|r| {
            r.update.reach.iter().all(|x| x.family.afi == 1)
                && r.update.withdrawn.iter().all(|n| n.prefix.addr().is_ipv4())
        })
        .cloned()
        .collect();
    let mut inj = Injector::new(&a, link, None);
    let report = inj.replay(&v4_only, None).await.expect("replay");
    assert_eq!(report.updates, v4_only.len() as u64);
    let mut expected = BTreeSet::new();
    for r in &v4_only {
        for n in &r.update.withdrawn {
            expected.remove(&n.prefix);
        }
        expected.extend(r.update.reach.iter().flat_map(|x| x.nlri.iter().map(|n| n.prefix)));
    }
    assert!(!expected.is_empty());
    b.rib_in().wait_len(expected.len(), deadline).await.expect("the replayed table");
    let got: BTreeSet<IpNet> = b.rib_in().snapshot().into_iter().map(|(n, _)| n.prefix).collect();
    assert_eq!(got, expected);
    // The first AS is ours (RFC 4271 §5.1.2); the rest of the recorded path follows.
    for (_, r) in b.rib_in().snapshot().iter().take(50) {
        assert_eq!(r.attributes.as_path.as_ref().and_then(|p| p.first_asn()), Some(65001));
        assert_eq!(&*r.next_hop, &[LOOPBACK]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_dump_peer_is_announced_as_the_initial_table() {
    let file = data(RV_RIB);
    let table = (0..16)
        .find_map(|i| match load_table(&file, i) {
            Ok(t) => Some(t),
            Err(ReplayError::NoRoutes { .. }) => None,
            Err(e) => panic!("rib: {e}"),
        })
        .expect("a peer with routes");
    let (a, b) = pair(65001, 65002);
    let deadline = deadline(20);
    let link = a.established(deadline).await.expect("established");
    let mut inj = Injector::new(&a, link, None);
    let sent = inj.announce_table(&table).await.expect("table");
    inj.flush().await.expect("flush");
    assert_eq!(sent as usize, table.len());
    b.rib_in().wait_len(table.len(), deadline).await.expect("the table");
    for (prefix, attrs) in &table {
        let r =
            b.rib_in().get(&bgpstorm_wire::Nlri { prefix: *prefix, path_id: None }).expect("route");
        assert_eq!(r.attributes.communities, attrs.communities);
        let recorded_len = attrs.as_path.as_ref().map(|p| p.route_len()).unwrap_or(0);
        assert_eq!(r.attributes.as_path.as_ref().map(|p| p.route_len()), Some(recorded_len.max(1)));
    }
}
