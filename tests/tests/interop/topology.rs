//! Three namespaces in a line: A — DUT — B, IPv4 and IPv6 on each link.

use std::net::IpAddr;

use bgpstorm_tests::lab::{Netns, Topology, end, lab, link};

/// Speaker A's addresses (link A–DUT).
pub const A4: &str = "10.0.1.2";
/// Speaker A's IPv6 address.
pub const A6: &str = "fd00:1::2";
/// The DUT's addresses towards A.
pub const D4A: &str = "10.0.1.1";
/// The DUT's IPv6 address towards A.
pub const D6A: &str = "fd00:1::1";
/// The DUT's addresses towards B.
pub const D4B: &str = "10.0.2.1";
/// The DUT's IPv6 address towards B.
pub const D6B: &str = "fd00:2::1";
/// Speaker B's address.
pub const B4: &str = "10.0.2.2";
/// Speaker B's IPv6 address.
pub const B6: &str = "fd00:2::2";

/// Parses an address constant.
pub fn addr(s: &str) -> IpAddr {
    s.parse().expect("address constant")
}

/// The three namespaces; dropped (and so removed, veths included) at the end of the test.
pub struct Line {
    topo: Topology,
}

impl Line {
    /// Builds A —veth— D —veth— B with the addresses above.
    pub fn new() -> Self {
        let cidrs = |v4: &str, v6: &str| [format!("{v4}/24"), format!("{v6}/64")];
        let (a, da, db, b) = (cidrs(A4, A6), cidrs(D4A, D6A), cidrs(D4B, D6B), cidrs(B4, B6));
        let topo = lab(
            &["a", "dut", "b"],
            vec![
                link(end(0, "eth0", &[&a[0], &a[1]]), end(1, "eth0", &[&da[0], &da[1]])),
                link(end(1, "eth1", &[&db[0], &db[1]]), end(2, "eth0", &[&b[0], &b[1]])),
            ],
        );
        Self { topo }
    }

    /// Speaker A's namespace.
    pub fn a(&self) -> &Netns {
        self.topo.node(0)
    }

    /// The DUT's namespace.
    pub fn d(&self) -> &Netns {
        self.topo.node(1)
    }

    /// Speaker B's namespace.
    pub fn b(&self) -> &Netns {
        self.topo.node(2)
    }
}
