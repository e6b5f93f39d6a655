//! The namespace lab: network namespaces joined by veth links, for tests that need real
//! sockets, daemons or the eBPF capture.
//!
//! Namespaces are the harness's own ([`Topology`], fd-held [`Netns`]): private to the test
//! process, never mounted under /run/netns, and destroyed by the kernel with every interface
//! in them when the [`Topology`] is dropped or the test process dies, also by SIGKILL. So
//! parallel tests never see each other's links and a killed test leaves nothing behind.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};

pub use bgpstorm_harness::topology::{End, LinkPlan, Netns, Topology};

/// Panics with a clear message unless the test runs as root (CI does): tests that need
/// namespaces and eBPF must fail, not pass silently, without it.
pub fn require_root() {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    assert_eq!(
        uid, 0,
        "this test creates network namespaces and loads eBPF programs: run it as root \
         (CI runs as root); euid is {uid}"
    );
}

/// The kernel's CLOCK_MONOTONIC in nanoseconds, the clock of bpf_ktime_get_ns.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// One end of a link: interface `ifname` of node `node` with `addresses` (CIDR).
pub fn end(node: usize, ifname: &str, addresses: &[&str]) -> End {
    let addresses = addresses
        .iter()
        .map(|a| a.parse().unwrap_or_else(|e| panic!("address {a:?}: {e}")))
        .collect();
    End { node, ifname: ifname.to_string(), addresses }
}

/// A veth link between two ends, MTU 1500.
pub fn link(a: End, b: End) -> LinkPlan {
    LinkPlan { a, b, mtu: 1500 }
}

/// Builds the namespaces `nodes` and the `links` between them, or fails the test saying why.
pub fn lab(nodes: &[&str], links: Vec<LinkPlan>) -> Topology {
    let names: Vec<String> = nodes.iter().map(|n| n.to_string()).collect();
    Topology::build(&names, links).unwrap_or_else(|e| panic!("namespace lab: {e}"))
}

/// Runs `ip ARGS` inside `ns`.
pub fn ip(ns: &Netns, args: &[&str]) -> io::Result<()> {
    let out = ns.command("ip").args(args).output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "ip {} in {}: {}",
            args.join(" "),
            ns.name(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// Two namespaces `a` and `b` joined by `veth-a` (in `a`) and `veth-b` (in `b`), with IPv4
/// and IPv6 addresses. Offloads stay as the kernel sets them (TSO/GSO on).
#[derive(Debug)]
pub struct VethPair {
    topo: Topology,
}

impl VethPair {
    /// Interface of side a.
    pub const IF_A: &'static str = "veth-a";
    /// Interface of side b.
    pub const IF_B: &'static str = "veth-b";

    /// Creates both namespaces and the link; nothing is left behind if a step fails.
    pub fn new() -> io::Result<Self> {
        let topo = Topology::build(
            &["a".into(), "b".into()],
            vec![link(
                end(0, Self::IF_A, &["10.179.0.1/24", "fd00:179::1/64"]),
                end(1, Self::IF_B, &["10.179.0.2/24", "fd00:179::2/64"]),
            )],
        )
        .map_err(io::Error::other)?;
        Ok(Self { topo })
    }

    /// Raises the GSO and GRO size limits of both ends to `bytes` (BIG TCP for IPv6 beyond
    /// 64 KiB; Debian 12's iproute2 cannot set the IPv4 limits).
    pub fn set_gso_max(&self, bytes: u32) -> io::Result<()> {
        let n = bytes.to_string();
        for (ns, ifname) in [(self.netns_a(), Self::IF_A), (self.netns_b(), Self::IF_B)] {
            ip(ns, &["link", "set", "dev", ifname, "gso_max_size", &n, "gro_max_size", &n])?;
        }
        Ok(())
    }

    /// IPv4 or IPv6 address of side a.
    pub fn addr_a(&self, v6: bool) -> IpAddr {
        self.topo.address(0, false, v6).unwrap_or(IpAddr::from([0u8; 4]))
    }

    /// IPv4 or IPv6 address of side b.
    pub fn addr_b(&self, v6: bool) -> IpAddr {
        self.topo.address(0, true, v6).unwrap_or(IpAddr::from([0u8; 4]))
    }

    /// Namespace a.
    pub fn netns_a(&self) -> &Netns {
        self.topo.node(0)
    }

    /// Namespace b.
    pub fn netns_b(&self) -> &Netns {
        self.topo.node(1)
    }

    /// A listening socket in namespace b.
    pub fn listen_b(&self, addr: SocketAddr) -> io::Result<TcpListener> {
        self.netns_b().run(|| TcpListener::bind(addr))?
    }

    /// A connection from namespace a to `addr`, and the accepted other end from `listener`.
    pub fn connect_a(
        &self,
        listener: &TcpListener,
        addr: SocketAddr,
    ) -> io::Result<(TcpStream, TcpStream)> {
        let client = self.netns_a().run(|| TcpStream::connect(addr))??;
        let (server, _) = listener.accept()?;
        Ok((client, server))
    }
}
