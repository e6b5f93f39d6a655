//! The network a scenario runs on: one namespace per node (the device under test and each
//! simulated speaker), veth links between them, addresses, MTU, link state.
//!
//! Everything is private to the run and owned by file descriptors ([`Netns`], the monitor's
//! namespace type, which the live capture enters too): two
//! runs in parallel never see each other's links, and when the run ends (or the harness is
//! killed) the kernel removes the namespaces and their interfaces.
//!
//! Impairment (delay, jitter, loss) uses the netem queueing discipline; kernels built
//! without CONFIG_NET_SCH_NETEM (this project's CI kernel among them) get a clear error.

mod link;

use std::io;
use std::net::IpAddr;

use ipnet::IpNet;

pub use bgpstorm_monitor::capture::live::Netns;

/// One end of a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct End {
    /// Index of the node.
    pub node: usize,
    /// Interface name (at most 15 bytes).
    pub ifname: String,
    /// Addresses with their prefix length.
    pub addresses: Vec<IpNet>,
}

/// A link to build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkPlan {
    /// One end.
    pub a: End,
    /// The other end.
    pub b: End,
    /// MTU of both ends.
    pub mtu: u32,
}

/// Link impairment (netem).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Impairment {
    /// Added delay.
    pub delay: std::time::Duration,
    /// Delay variation.
    pub jitter: std::time::Duration,
    /// Loss, percent.
    pub loss_percent: f64,
}

/// Why a topology cannot be built or changed.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    /// Not root, or a kernel without network namespaces.
    #[error(
        "cannot create network namespace {name}: {source} (bgpstorm needs root and a kernel with network namespaces)"
    )]
    Namespace {
        /// Node name.
        name: String,
        /// Why.
        source: io::Error,
    },
    /// A netlink or command failure.
    #[error("{what}: {source}")]
    Link {
        /// What was being done.
        what: String,
        /// Why.
        source: io::Error,
    },
    /// The kernel cannot impair links.
    #[error(
        "link impairment needs the netem queueing discipline, which this kernel lacks (CONFIG_NET_SCH_NETEM): {0}"
    )]
    NoNetem(String),
    /// A plan that names a node that does not exist, or an interface name too long.
    #[error("invalid topology: {0}")]
    Invalid(String),
}

/// A built topology. Dropping it removes everything.
#[derive(Debug)]
pub struct Topology {
    nodes: Vec<Netns>,
    links: Vec<LinkPlan>,
}

impl Topology {
    /// Builds namespaces named `names` and the `links` between them.
    pub fn build(names: &[String], links: Vec<LinkPlan>) -> Result<Self, TopologyError> {
        for l in &links {
            for e in [&l.a, &l.b] {
                if e.node >= names.len() {
                    return Err(TopologyError::Invalid(format!(
                        "link end on node {} of {}",
                        e.node,
                        names.len()
                    )));
                }
                if e.ifname.is_empty() || e.ifname.len() > 15 {
                    return Err(TopologyError::Invalid(format!(
                        "interface name {:?} must be 1 to 15 bytes",
                        e.ifname
                    )));
                }
            }
        }
        let nodes = names
            .iter()
            .map(|n| {
                Netns::create(n)
                    .map_err(|source| TopologyError::Namespace { name: n.clone(), source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let topo = Self { nodes, links };
        for l in &topo.links {
            topo.create(l)?;
        }
        Ok(topo)
    }

    fn create(&self, l: &LinkPlan) -> Result<(), TopologyError> {
        let (a, b) = (&self.nodes[l.a.node], &self.nodes[l.b.node]);
        let what = format!("link {}:{} <-> {}:{}", a.name(), l.a.ifname, b.name(), l.b.ifname);
        let err = |source: io::Error| TopologyError::Link { what: what.clone(), source };
        let peer_fd = b.fd().ok_or_else(|| err(io::Error::other("a node without a namespace")))?;
        a.run(|| link::veth(&l.a.ifname, &l.b.ifname, peer_fd, l.mtu))
            .map_err(err)?
            .map_err(err)?;
        a.run(|| link::configure(&l.a.ifname, &l.a.addresses, true)).map_err(err)?.map_err(err)?;
        b.run(|| link::configure(&l.b.ifname, &l.b.addresses, true)).map_err(err)?.map_err(err)?;
        Ok(())
    }

    /// The namespace of node `i`.
    pub fn node(&self, i: usize) -> &Netns {
        &self.nodes[i]
    }

    /// The planned links.
    pub fn links(&self) -> &[LinkPlan] {
        &self.links
    }

    /// The first address of `family` (IPv4 when `v6` is false) at one end of link `i`.
    pub fn address(&self, link: usize, b_end: bool, v6: bool) -> Option<IpAddr> {
        let l = self.links.get(link)?;
        let end = if b_end { &l.b } else { &l.a };
        end.addresses.iter().map(|a| a.addr()).find(|a| a.is_ipv6() == v6)
    }

    /// The interface index of one end of link `i` in its namespace.
    pub fn ifindex(&self, link: usize, b_end: bool) -> Result<u32, TopologyError> {
        let l = &self.links[link];
        let end = if b_end { &l.b } else { &l.a };
        let what = format!("interface {}", end.ifname);
        let r = self.nodes[end.node].run(|| link::ifindex(&end.ifname));
        r.and_then(|r| r).map_err(|source| TopologyError::Link { what, source })
    }

    /// Sets both ends of link `i` down or up. Up gives the ends their addresses again: Linux
    /// drops an interface's IPv6 addresses when it goes down (`keep_addr_on_down` is 0).
    pub fn set_link(&self, i: usize, up: bool) -> Result<(), TopologyError> {
        let l = &self.links[i];
        for e in [&l.a, &l.b] {
            let what = format!("setting {} {}", e.ifname, if up { "up" } else { "down" });
            let addresses: &[IpNet] = if up { &e.addresses } else { &[] };
            let r = self.nodes[e.node].run(|| link::configure(&e.ifname, addresses, up));
            r.and_then(|r| r).map_err(|source| TopologyError::Link { what, source })?;
        }
        Ok(())
    }

    /// Impairs both directions of link `i` with netem.
    pub fn impair(&self, i: usize, imp: &Impairment) -> Result<(), TopologyError> {
        let l = &self.links[i];
        for e in [&l.a, &l.b] {
            let mut cmd = self.nodes[e.node].command("tc");
            cmd.args(["qdisc", "replace", "dev", &e.ifname, "root", "netem"]);
            cmd.args([
                "delay",
                &format!("{}us", imp.delay.as_micros()),
                &format!("{}us", imp.jitter.as_micros()),
            ]);
            cmd.args(["loss", &format!("{}%", imp.loss_percent)]);
            let out = cmd.output().map_err(|source| TopologyError::Link {
                what: "running tc (iproute2)".into(),
                source,
            })?;
            if !out.status.success() {
                let msg = String::from_utf8_lossy(&out.stderr).trim().to_string();
                if msg.contains("Specified qdisc kind is unknown") || msg.contains("netem") {
                    return Err(TopologyError::NoNetem(msg));
                }
                return Err(TopologyError::Link {
                    what: format!("tc qdisc on {}", e.ifname),
                    source: io::Error::other(msg),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
