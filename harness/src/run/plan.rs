//! From a scenario to what gets built: nodes, links and addresses, speaker sessions, the
//! DUT's configuration.
//!
//! Node 0 is the DUT; speaker `k` (1-based, in name order) is node `k`, linked to the DUT by a
//! veth pair `d-NAME` (DUT side) ↔ `eth0`. Unless the scenario says otherwise, link `k` is
//! 10.0.k.0/24 (DUT .1, speaker .2) and fd00:0:0:k::/64 (DUT ::1, speaker ::2); sessions run
//! over IPv4 and carry IPv6 with multiprotocol BGP. With `dut: none`, each speaker that names
//! a `peer` is linked to it directly and the one that names it connects actively.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::time::Duration;

use bgpstorm_wire::AfiSafi;
use ipnet::IpNet;

use crate::dut::{DutPlan, Neighbor};
use crate::scenario::model::{AddPathMode, DutKind, Family, Scenario};
use crate::speaker::{AddPath, Mode, SessionConfig};
use crate::topology::{End, LinkPlan};

/// The DUT's router id unless the scenario gives one.
pub const DEFAULT_ROUTER_ID: Ipv4Addr = Ipv4Addr::new(10, 255, 255, 1);

/// A speaker as planned.
#[derive(Clone, Debug)]
pub struct PlannedSpeaker {
    /// Its name.
    pub name: String,
    /// Its node.
    pub node: usize,
    /// Its link.
    pub link: usize,
    /// Its IPv4 and IPv6 addresses.
    pub v4: IpAddr,
    /// IPv6.
    pub v6: Ipv6Addr,
    /// The session (netns filled in when the topology exists).
    pub session: SessionConfig,
}

/// Everything to build.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Node names (node 0 is the DUT, or unused with `dut: none`).
    pub nodes: Vec<String>,
    /// Links.
    pub links: Vec<LinkPlan>,
    /// Speakers.
    pub speakers: Vec<PlannedSpeaker>,
    /// The DUT, unless `none`.
    pub dut: Option<DutPlan>,
    /// DUT interfaces the monitor watches.
    pub dut_ifaces: Vec<String>,
    /// DUT addresses (for convergence: flows to them are ingress).
    pub dut_addresses: Vec<IpAddr>,
}

fn other_host(net: IpNet) -> IpAddr {
    // The DUT takes the first host of the speaker's subnet, or the second when the speaker
    // has the first. (IPv6 has no broadcast, so its hosts() starts at the subnet-router
    // anycast address: skip it.)
    let mut hosts = net.hosts();
    if net.addr().is_ipv6() {
        hosts.next();
    }
    let first = hosts.next().unwrap_or(net.addr());
    if first == net.addr() { hosts.next().unwrap_or(first) } else { first }
}

/// A scenario that cannot be laid out as a network.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// More speakers than the address plan has links for.
    #[error("at most 250 speakers, not {0}")]
    TooManySpeakers(usize),
    /// A speaker's `link.ipv6` is not an IPv6 network.
    #[error("speakers.{0}.link.ipv6 is not IPv6")]
    NotIpv6(String),
}

/// Plans `s` with `kind` as the DUT; `dir` is where the DUT's files go.
pub fn plan(s: &Scenario, kind: DutKind, dir: &Path) -> Result<Plan, PlanError> {
    let mut nodes = vec!["dut".to_string()];
    let mut links = Vec::new();
    let mut speakers = Vec::new();
    let mut neighbors = Vec::new();
    let dut_asn = s.dut.asn.unwrap_or(0);
    for (k, (name, sp)) in s.speakers.iter().enumerate() {
        let k = k + 1;
        if k > 250 {
            return Err(PlanError::TooManySpeakers(s.speakers.len()));
        }
        nodes.push(name.clone());
        let v4net: IpNet = sp
            .link
            .ipv4
            .unwrap_or_else(|| format!("10.0.{k}.2/24").parse().expect("static address"));
        let v6net: IpNet = sp
            .link
            .ipv6
            .unwrap_or_else(|| format!("fd00:0:0:{k:x}::2/64").parse().expect("static address"));
        let (d4, d6) = (other_host(v4net), other_host(v6net));
        let IpAddr::V6(s6) = v6net.addr() else {
            return Err(PlanError::NotIpv6(name.clone()));
        };
        let IpAddr::V6(d6) = d6 else {
            return Err(PlanError::NotIpv6(name.clone()));
        };
        let with_dut = s.dut.kind != DutKind::None;
        let (peer_node, peer_if) = if with_dut {
            (0, format!("d-{name}"))
        } else {
            // Direct links only for the speaker that names its peer.
            match &sp.peer {
                Some(p) => (
                    s.speakers.keys().position(|n| n == p).map_or(0, |i| i + 1),
                    format!("p-{name}"),
                ),
                None => (usize::MAX, String::new()),
            }
        };
        let mtu = sp.link.mtu.unwrap_or(1500);
        let link = if peer_node != usize::MAX {
            links.push(LinkPlan {
                a: End {
                    node: peer_node,
                    ifname: peer_if,
                    addresses: vec![net_with(d4, v4net), net_with(IpAddr::V6(d6), v6net)],
                },
                b: End { node: k, ifname: "eth0".into(), addresses: vec![v4net, v6net] },
                mtu,
            });
            links.len() - 1
        } else {
            usize::MAX
        };
        let mut cfg = SessionConfig::new(
            sp.asn,
            dut_asn,
            sp.router_id.unwrap_or(match v4net.addr() {
                IpAddr::V4(a) => a,
                IpAddr::V6(_) => Ipv4Addr::new(10, 254, 0, k as u8),
            }),
        );
        cfg.name = name.clone();
        cfg.local_addr = Some(v4net.addr());
        cfg.peer_addr = Some(d4);
        cfg.mode = if sp.passive { Mode::Passive } else { Mode::Active };
        cfg.connect_retry = Duration::from_millis(500);
        cfg.hold_time = sp.hold_time.unwrap_or(90);
        cfg.families = sp
            .families
            .iter()
            .map(|f| if *f == Family::Ipv4 { AfiSafi::IPV4_UNICAST } else { AfiSafi::IPV6_UNICAST })
            .collect();
        let c = &sp.capabilities;
        cfg.four_octet_as = c.four_octet_as;
        cfg.route_refresh = c.route_refresh;
        cfg.extended_messages = c.extended_messages;
        cfg.graceful_restart = c.graceful_restart;
        // A speaker that says it can restart gracefully lists its families (RFC 4724 §3).
        cfg.graceful_restart_families = c.graceful_restart.is_some();
        cfg.add_path = c
            .add_path
            .map(|m| {
                cfg.families
                    .iter()
                    .map(|&family| AddPath {
                        family,
                        send: m != AddPathMode::Receive,
                        receive: m != AddPathMode::Send,
                    })
                    .collect()
            })
            .unwrap_or_default();
        cfg.md5_key = sp.md5.clone();
        cfg.ttl_security = sp.ttl_security;
        cfg.restart = true;
        speakers.push(PlannedSpeaker {
            name: name.clone(),
            node: k,
            link,
            v4: v4net.addr(),
            v6: s6,
            session: cfg,
        });
        if with_dut {
            neighbors.push(Neighbor {
                name: name.clone(),
                addr: v4net.addr(),
                local: d4,
                local_v6: Some(d6),
                asn: sp.asn,
                dut_passive: !sp.passive,
                families: sp.families.clone(),
                md5: sp.md5.clone(),
                ttl_security: sp.ttl_security,
                graceful_restart: sp.capabilities.graceful_restart.is_some(),
                add_path: sp.capabilities.add_path,
                extended_messages: sp.capabilities.extended_messages,
            });
        }
    }
    if s.dut.kind == DutKind::None {
        fix_direct_sessions(s, &mut speakers, &links);
    }
    let dut_ifaces = if s.dut.kind == DutKind::None {
        Vec::new()
    } else {
        s.speakers.keys().map(|n| format!("d-{n}")).collect()
    };
    let dut_addresses = neighbors
        .iter()
        .flat_map(|n| [n.local].into_iter().chain(n.local_v6.map(IpAddr::V6)))
        .collect();
    let dut = (s.dut.kind != DutKind::None).then(|| DutPlan {
        kind,
        asn: dut_asn,
        router_id: s.dut.router_id.unwrap_or(DEFAULT_ROUTER_ID),
        neighbors,
        extra: s.dut.config.get(&kind).cloned(),
        dir: dir.to_path_buf(),
        // The run sets where the daemon comes from and its version (read from it).
        source: crate::dut::Source::Host,
        version: crate::dut::Version::default(),
    });
    Ok(Plan { nodes, links, speakers, dut, dut_ifaces, dut_addresses })
}

fn net_with(addr: IpAddr, net: IpNet) -> IpNet {
    IpNet::new(addr, net.prefix_len()).expect("same family and length")
}

/// With `dut: none`, A (naming B as `peer`) connects to B over their link; B listens.
fn fix_direct_sessions(s: &Scenario, speakers: &mut [PlannedSpeaker], links: &[LinkPlan]) {
    let names: Vec<String> = s.speakers.keys().cloned().collect();
    for i in 0..speakers.len() {
        let Some(peer) = s.speakers[&names[i]].peer.clone() else { continue };
        let Some(j) = names.iter().position(|n| *n == peer) else { continue };
        let link = speakers[i].link;
        let (a_addr, b_addr) =
            (links[link].b.addresses[0].addr(), links[link].a.addresses[0].addr());
        let (a_asn, b_asn) = (s.speakers[&names[i]].asn, s.speakers[&names[j]].asn);
        let a = &mut speakers[i].session;
        a.peer_asn = b_asn;
        a.local_addr = Some(a_addr);
        a.peer_addr = Some(b_addr);
        a.mode = Mode::Active;
        let b = &mut speakers[j].session;
        b.peer_asn = a_asn;
        b.local_addr = Some(b_addr);
        b.peer_addr = Some(a_addr);
        b.mode = Mode::Passive;
        speakers[j].link = link;
        speakers[j].v4 = b_addr;
    }
}
