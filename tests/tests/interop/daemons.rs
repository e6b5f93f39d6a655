//! The daemons under test, one table entry each: how to configure and start it so that it
//! accepts speaker A (passively), connects to speaker B, and passes every route on.

use bgpstorm_tests::daemon::{Daemon, Scratch, wait_for_file};

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
    pub start: fn(&Topology, &Scratch, u32) -> Vec<Daemon>,
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

fn start_bird(t: &Topology, s: &Scratch, a_asn: u32) -> Vec<Daemon> {
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
    let argv = [
        "bird",
        "-f",
        "-c",
        path.to_str().unwrap_or_default(),
        "-s",
        sock.to_str().unwrap_or_default(),
    ];
    vec![Daemon::start(&t.d, &argv, &s.path.join("bird.log"))]
}

/// GoBGP 3.
pub const GOBGP: DaemonKind = DaemonKind {
    name: "gobgp",
    binary: "gobgpd",
    start: start_gobgp,
    ipv6_next_hop: None,
    is_error: |l| {
        l.contains("level=error") || l.contains("level=fatal") || l.contains("\"level\":\"error\"")
    },
};

fn start_gobgp(t: &Topology, s: &Scratch, a_asn: u32) -> Vec<Daemon> {
    let families = r#"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast""#;
    let conf = format!(
        r#"
[global.config]
  as = {dut}
  router-id = "{d4a}"

[[neighbors]]
  [neighbors.config]
    neighbor-address = "{a4}"
    peer-as = {a_asn}
  [neighbors.transport.config]
    passive-mode = true
    local-address = "{d4a}"
{families}

[[neighbors]]
  [neighbors.config]
    neighbor-address = "{b4}"
    peer-as = {b_as}
  [neighbors.transport.config]
    local-address = "{d4b}"
  [neighbors.timers.config]
    connect-retry = 1
{families}
"#,
        dut = DUT_AS,
        d4a = topology::D4A,
        d4b = topology::D4B,
        a4 = topology::A4,
        b4 = topology::B4,
        b_as = B_AS,
    );
    let path = s.write("gobgpd.toml", &conf);
    let argv = [
        "gobgpd",
        "-f",
        path.to_str().unwrap_or_default(),
        "-t",
        "toml",
        "--api-hosts",
        "127.0.0.1:50051",
    ];
    vec![Daemon::start(&t.d, &argv, &s.path.join("gobgpd.log"))]
}

/// FRR 8: zebra (next hop tracking) and bgpd (which does not install routes, `-n`).
pub const FRR: DaemonKind = DaemonKind {
    name: "frr",
    binary: "/usr/lib/frr/bgpd",
    start: start_frr,
    ipv6_next_hop: Some(topology::D6B),
    // zebra's warning that the kernel has no MPLS is not an error of the run.
    is_error: |l| {
        (l.contains("[EC ") && !l.contains("Disabling MPLS support")) || l.contains("error:")
    },
};

fn start_frr(t: &Topology, s: &Scratch, a_asn: u32) -> Vec<Daemon> {
    let conf = format!(
        r#"
frr defaults traditional
hostname dut
log stdout informational
!
router bgp {dut}
 bgp router-id {d4a}
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor {a4} remote-as {a_asn}
 neighbor {a4} passive
 neighbor {a4} update-source {d4a}
 neighbor {b4} remote-as {b_as}
 neighbor {b4} update-source {d4b}
 neighbor {b4} timers connect 1
 address-family ipv4 unicast
  neighbor {a4} activate
  neighbor {b4} activate
 exit-address-family
 address-family ipv6 unicast
  neighbor {a4} activate
  neighbor {b4} activate
  neighbor {b4} route-map V6NH out
 exit-address-family
!
route-map V6NH permit 10
 set ipv6 next-hop global {d6b}
!
"#,
        dut = DUT_AS,
        d4a = topology::D4A,
        d4b = topology::D4B,
        d6b = topology::D6B,
        a4 = topology::A4,
        b4 = topology::B4,
        b_as = B_AS,
    );
    let path = s.write("frr.conf", &conf);
    let p = |n: &str| s.path.join(n).to_string_lossy().into_owned();
    let (pid, zsock, vty) = (p("bgpd.pid"), p("zserv.api"), s.path.to_string_lossy().into_owned());
    let zconf = s.write("zebra.conf", "hostname dut\n");
    let zpid = p("zebra.pid");
    let zebra = [
        "/usr/lib/frr/zebra",
        "-f",
        zconf.to_str().unwrap_or_default(),
        "-i",
        &zpid,
        "-z",
        &zsock,
        "--vty_socket",
        &vty,
        "-P",
        "0",
        "--log",
        "stdout",
    ];
    let zebra = Daemon::start(&t.d, &zebra, &s.path.join("zebra.log"));
    // bgpd must find zebra listening, or it logs a failure for every next hop it tracks.
    wait_for_file(std::path::Path::new(&zsock), std::time::Duration::from_secs(10));
    let argv = [
        "/usr/lib/frr/bgpd",
        "-f",
        path.to_str().unwrap_or_default(),
        "-i",
        &pid,
        "-z",
        &zsock,
        "--vty_socket",
        &vty,
        "-n",
        "-S",
        "-P",
        "0",
        "--log",
        "stdout",
    ];
    vec![zebra, Daemon::start(&t.d, &argv, &s.path.join("bgpd.log"))]
}

/// OpenBGPD 7.
///
/// Finding: OpenBGPD 7.7 (Debian portable) sends `::1` as the IPv6 next hop on an IPv4
/// session whatever `local-address` or `set nexthop` say (its log: "nexthop ::1 now
/// valid"), so only "rewritten" is checked for IPv6 here.
pub const OPENBGPD: DaemonKind = DaemonKind {
    name: "openbgpd",
    binary: "/usr/sbin/bgpd",
    start: start_openbgpd,
    ipv6_next_hop: None,
    is_error: |l| l.contains("fatal") || l.contains("error"),
};

fn start_openbgpd(t: &Topology, s: &Scratch, a_asn: u32) -> Vec<Daemon> {
    let conf = format!(
        r#"
AS {dut}
router-id {d4a}
socket "{sock}"
fib-update no
neighbor {a4} {{
  remote-as {a_asn}
  local-address {d4a}
  passive
  announce IPv4 unicast
  announce IPv6 unicast
}}
neighbor {b4} {{
  remote-as {b_as}
  local-address {d4b}
  local-address {d6b}
  set nexthop {d6b}
  announce IPv4 unicast
  announce IPv6 unicast
}}
allow from any
allow to any
"#,
        dut = DUT_AS,
        d4a = topology::D4A,
        d4b = topology::D4B,
        d6b = topology::D6B,
        a4 = topology::A4,
        b4 = topology::B4,
        b_as = B_AS,
        sock = s.path.join("bgpd.sock").display(),
    );
    let path = s.write("bgpd.conf", &conf);
    let _ = std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600));
    // The privilege-separated processes chroot into the _openbgpd user's home, which the
    // service manager would create at boot.
    let _ = std::fs::create_dir_all("/run/openbgpd");
    let argv = ["/usr/sbin/bgpd", "-d", "-v", "-f", path.to_str().unwrap_or_default()];
    vec![Daemon::start(&t.d, &argv, &s.path.join("bgpd.log"))]
}
