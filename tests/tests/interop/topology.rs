//! Three namespaces in a line: A — DUT — B, IPv4 and IPv6 on each link.

use std::net::IpAddr;

use bgpstorm_tests::netns::{Netns, veth};

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
pub struct Topology {
    /// Speaker A.
    pub a: Netns,
    /// The daemon under test.
    pub d: Netns,
    /// Speaker B.
    pub b: Netns,
}

impl Topology {
    /// Builds A —veth— D —veth— B with the addresses above.
    pub fn new(tag: &str) -> Self {
        let (a, d, b) = (
            Netns::new(&format!("{tag}a")),
            Netns::new(&format!("{tag}d")),
            Netns::new(&format!("{tag}b")),
        );
        veth(&a, "eth0", &d, "eth0");
        veth(&d, "eth1", &b, "eth0");
        a.addr("eth0", &format!("{A4}/24"));
        a.addr("eth0", &format!("{A6}/64"));
        d.addr("eth0", &format!("{D4A}/24"));
        d.addr("eth0", &format!("{D6A}/64"));
        d.addr("eth1", &format!("{D4B}/24"));
        d.addr("eth1", &format!("{D6B}/64"));
        b.addr("eth0", &format!("{B4}/24"));
        b.addr("eth0", &format!("{B6}/64"));
        Self { a, d, b }
    }
}
