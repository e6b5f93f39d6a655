//! The daemons under test, one table entry each: how to configure and start it so that it
//! accepts speaker A (passively), connects to speaker B, and passes every route on.

use bgpstorm_tests::daemon::{Daemon, Scratch};

use super::topology::{self, Topology};

/// The daemon's AS.
pub const DUT_AS: u32 = 65000;
/// Speaker B's AS.
const B_AS: u32 = super::B_AS;

/// One daemon of the compatibility matrix.
pub struct DaemonKind {
    /// Short name (namespaces, messages).
    pub name: &'static str,
    /// The binary that must be installed.
    pub binary: &'static str,
    /// Writes the config and starts the daemon in the DUT namespace, for A's AS.
    pub start: fn(&Topology, &Scratch, u32) -> Daemon,
    /// The IPv6 next hop B must see, when the daemon's choice is configured.
    pub ipv6_next_hop: Option<&'static str>,
    /// Whether a log line reports an error.
    pub is_error: fn(&str) -> bool,
}

/// BIRD 2.
pub const BIRD: DaemonKind = DaemonKind {
    name: "bird",
    binary: "bird",
    start: start_bird,
    ipv6_next_hop: Some(topology::D6B),
    is_error: |l| l.contains("<ERR>") || l.contains("<BUG>") || l.contains("Error"),
};

fn start_bird(t: &Topology, s: &Scratch, a_asn: u32) -> Daemon {
    let conf = format!(
        r#"
router id {d4a};
log stderr all;
protocol device {{ }}
protocol bgp a {{
  local {d4a} as {dut};
  neighbor {a4} as {a_asn};
  passive on;
  ipv4 {{ import all; export none; }};
  ipv6 {{ import all; export none; }};
}}
protocol bgp b {{
  local {d4b} as {dut};
  neighbor {b4} as {b_as};
  connect delay time 1;
  connect retry time 1;
  ipv4 {{ import none; export all; next hop self; }};
  ipv6 {{ import none; export all; next hop address {d6b}; }};
}}
"#,
        d4a = topology::D4A,
        d4b = topology::D4B,
        a4 = topology::A4,
        b4 = topology::B4,
        d6b = topology::D6B,
        dut = DUT_AS,
        b_as = B_AS,
    );
    let path = s.write("bird.conf", &conf);
    let sock = s.path.join("bird.ctl");
    let argv = ["bird", "-f", "-c", path.to_str().unwrap_or_default(), "-s", sock.to_str().unwrap_or_default()];
    Daemon::start(&t.d, &argv, &s.path.join("bird.log"))
}
