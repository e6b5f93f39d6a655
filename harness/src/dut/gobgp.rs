//! GoBGP 3: `gobgpd -f CONFIG -t toml` with its gRPC API on the namespace's loopback,
//! `gobgp -j` for control.

use std::fmt::Write;

use super::{
    Answer, ConfigFile, ControlError, ControlQuery, Daemon, DutError, DutPlan, DutRoute,
    ProcessSpec, Program, RibError, arg_path, binary, rib,
};
use crate::scenario::model::Family;
use crate::topology::Netns;

/// GoBGP 3.
pub(super) struct Gobgp;

/// The daemon.
pub(super) const GOBGPD: Program =
    Program { name: "gobgpd", dirs: &["bin", "sbin"], on_path: true };
/// Its control client.
const GOBGP: Program = Program { name: "gobgp", dirs: &["bin", "sbin"], on_path: true };

impl Daemon for Gobgp {
    fn name(&self) -> &'static str {
        "gobgp"
    }

    fn config(&self, plan: &DutPlan) -> Vec<ConfigFile> {
        vec![ConfigFile::new("gobgpd.toml", config(plan))]
    }

    fn processes(&self, plan: &DutPlan) -> Result<Vec<ProcessSpec>, DutError> {
        let mut argv = binary(plan, "gobgp", &GOBGPD)?;
        argv.extend([
            "-f".into(),
            arg_path(plan, "gobgpd.toml"),
            "-t".into(),
            "toml".into(),
            "--api-hosts".into(),
            API.into(),
        ]);
        Ok(vec![ProcessSpec { argv, log: "gobgpd.log" }])
    }

    fn control(
        &self,
        plan: &DutPlan,
        ns: &Netns,
        query: ControlQuery,
    ) -> Result<String, ControlError> {
        let args: &[&str] = match query {
            ControlQuery::Version => {
                let text = Answer::run(plan, ns, &GOBGPD, &["--version"])?.all();
                let line = text.lines().next().unwrap_or("GoBGP").trim();
                return Ok(line.replace("gobgpd version", "GoBGP"));
            }
            ControlQuery::Ready => &["global", "-j"],
            ControlQuery::Rib(Family::Ipv4) => &["global", "rib", "-a", "ipv4", "-j"],
            ControlQuery::Rib(Family::Ipv6) => &["global", "rib", "-a", "ipv6", "-j"],
        };
        let mut argv = vec!["-u", "127.0.0.1", "-p", "50051"];
        argv.extend_from_slice(args);
        Answer::run(plan, ns, &GOBGP, &argv)?.stdout(false)
    }

    fn rib(&self, text: &str) -> Result<Vec<DutRoute>, RibError> {
        rib::gobgp(text)
    }

    fn is_log_error(&self, line: &str) -> bool {
        line.contains("level=error")
            || line.contains("level=fatal")
            || line.contains("\"level\":\"error\"")
    }
}

/// The DUT namespace's own loopback: private to the run.
const API: &str = "127.0.0.1:50051";

/// Paths per prefix GoBGP sends to a speaker that receives ADD-PATH (it has no "all").
const ADD_PATH_SEND_MAX: u8 = 64;

/// The generated gobgpd.toml.
pub(super) fn config(plan: &DutPlan) -> String {
    let mut c = String::new();
    let _ =
        writeln!(c, "[global.config]\n  as = {}\n  router-id = \"{}\"\n", plan.asn, plan.router_id);
    let next_hops = next_hop_statements(plan);
    if !next_hops.is_empty() {
        let _ = writeln!(
            c,
            "[global.apply-policy.config]\n  export-policy-list = [\"{NEXT_HOP_POLICY}\"]\n  default-export-policy = \"accept-route\"\n"
        );
    }
    for n in &plan.neighbors {
        let _ = writeln!(
            c,
            "[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"{}\"\n    peer-as = {}",
            n.addr, n.asn
        );
        if let Some(pw) = &n.md5 {
            let _ = writeln!(c, "    auth-password = \"{pw}\"");
        }
        let _ = writeln!(c, "  [neighbors.transport.config]\n    local-address = \"{}\"", n.local);
        if n.dut_passive {
            let _ = writeln!(c, "    passive-mode = true");
        }
        let _ = writeln!(c, "  [neighbors.timers.config]\n    connect-retry = 1");
        if n.graceful_restart {
            // Off by default: without it GoBGP neither sends End-of-RIB nor helps a restart.
            let _ = writeln!(c, "  [neighbors.graceful-restart.config]\n    enabled = true");
        }
        if n.ttl_security {
            let _ = writeln!(
                c,
                "  [neighbors.ttl-security.config]\n    enabled = true\n    ttl-min = 255"
            );
        }
        for fam in &n.families {
            let name = if *fam == Family::Ipv4 { "ipv4-unicast" } else { "ipv6-unicast" };
            let _ = writeln!(
                c,
                "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"{name}\""
            );
            // RFC 7911: `receive` accepts path identifiers, `send-max` sends up to that many
            // paths per prefix.
            if n.add_path.is_some() {
                let send_max = if n.dut_sends_paths() { ADD_PATH_SEND_MAX } else { 0 };
                let _ = writeln!(
                    c,
                    "    [neighbors.afi-safis.add-paths.config]\n      receive = {}\n      send-max = {send_max}",
                    n.dut_receives_paths()
                );
            }
        }
        let _ = writeln!(c);
    }
    write_next_hop_policy(&mut c, &next_hops);
    if let Some(extra) = &plan.extra {
        let _ = writeln!(c, "# scenario's own configuration\n{extra}");
    }
    c
}

/// The global export policy that sets the next hop GoBGP would not set by itself. When it is
/// written, a scenario's own configuration cannot define `[global.apply-policy.config]` again
/// (TOML rejects a table defined twice, and gobgpd does not start).
const NEXT_HOP_POLICY: &str = "next-hop";

/// One statement of the next-hop policy: routes of `family` sent to neighbor `addr` get
/// `next_hop` (`self`: the local address of that session).
struct NextHop {
    /// Index of the neighbor (names its neighbor set).
    index: usize,
    addr: std::net::IpAddr,
    family: Family,
    next_hop: String,
}

/// What GoBGP 3 does not do by itself, as statements of the export policy:
/// - towards an iBGP neighbor it keeps the received next hop (its iBGP path has no
///   next-hop-self, `table.UpdatePathAttrs`): `self` for IPv4;
/// - an IPv6 route over an IPv4 session gets the session's address as an IPv4-mapped IPv6
///   address (`::ffff:10.0.k.1`): the DUT's own IPv6 address on that link instead, for eBGP
///   and iBGP neighbors alike.
///
/// The global export policy runs for every neighbor that is not a route-server client, with
/// the neighbor condition matching the receiving neighbor; a statement without a route
/// disposition only modifies, and the default policy accepts.
fn next_hop_statements(plan: &DutPlan) -> Vec<NextHop> {
    let mut out = Vec::new();
    for (index, n) in plan.neighbors.iter().enumerate() {
        if n.asn == plan.asn && n.families.contains(&Family::Ipv4) {
            out.push(NextHop {
                index,
                addr: n.addr,
                family: Family::Ipv4,
                next_hop: "self".into(),
            });
        }
        if let Some(v6) = n.local_v6
            && n.families.contains(&Family::Ipv6)
        {
            out.push(NextHop {
                index,
                addr: n.addr,
                family: Family::Ipv6,
                next_hop: v6.to_string(),
            });
        }
    }
    out
}

/// The neighbor sets and the policy of `statements` (nothing when there is none).
fn write_next_hop_policy(c: &mut String, statements: &[NextHop]) {
    if statements.is_empty() {
        return;
    }
    let mut named = Vec::new();
    for s in statements {
        if named.contains(&s.index) {
            continue;
        }
        named.push(s.index);
        let _ = writeln!(
            c,
            "[[defined-sets.neighbor-sets]]\n  neighbor-set-name = \"nh-{}\"\n  neighbor-info-list = [\"{}\"]\n",
            s.index, s.addr
        );
    }
    let _ = writeln!(c, "[[policy-definitions]]\n  name = \"{NEXT_HOP_POLICY}\"");
    for s in statements {
        let family = if s.family == Family::Ipv4 { "ipv4-unicast" } else { "ipv6-unicast" };
        let _ = writeln!(
            c,
            "  [[policy-definitions.statements]]\n    name = \"nh-{i}-{family}\"\n    \
             [policy-definitions.statements.conditions.match-neighbor-set]\n      neighbor-set = \"nh-{i}\"\n    \
             [policy-definitions.statements.conditions.bgp-conditions]\n      afi-safi-in-list = [\"{family}\"]\n    \
             [policy-definitions.statements.actions]\n      route-disposition = \"none\"\n    \
             [policy-definitions.statements.actions.bgp-actions]\n      set-next-hop = \"{}\"",
            s.next_hop,
            i = s.index,
        );
    }
    let _ = writeln!(c);
}
