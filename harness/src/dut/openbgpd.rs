//! OpenBGPD 7 (Debian's portable build): `bgpd -d` in the foreground, `bgpctl -s SOCKET`
//! for control. It chroots its unprivileged processes into /run/openbgpd.

use std::fmt::Write;

use super::{
    Answer, ConfigFile, ControlError, ControlQuery, Daemon, DutError, DutPlan, DutRoute,
    ProcessSpec, Program, RibError, arg_path, binary, rib,
};
use crate::scenario::model::Family;
use crate::topology::Netns;

/// OpenBGPD (portable).
pub(super) struct Openbgpd;

/// The daemon.
pub(super) const BGPD: Program = Program { name: "bgpd", dirs: &["sbin", "bin"], on_path: false };
/// Its control client.
const BGPCTL: Program = Program { name: "bgpctl", dirs: &["sbin", "bin"], on_path: true };

impl Daemon for Openbgpd {
    fn name(&self) -> &'static str {
        "openbgpd"
    }

    fn config(&self, plan: &DutPlan) -> Vec<ConfigFile> {
        // bgpd refuses a configuration others can read.
        vec![ConfigFile { name: "bgpd.conf", text: config(plan), private: true }]
    }

    fn processes(&self, plan: &DutPlan) -> Result<Vec<ProcessSpec>, DutError> {
        let mut argv = binary(plan, "openbgpd", &BGPD)?;
        // The privilege-separated processes chroot into the _openbgpd user's home, which the
        // service manager would create at boot (a root's /run is made fresh for each run).
        if plan.source == super::Source::Host {
            let _ = std::fs::create_dir_all("/run/openbgpd");
        }
        argv.extend(["-d".into(), "-v".into(), "-f".into(), arg_path(plan, "bgpd.conf")]);
        Ok(vec![ProcessSpec { argv, log: "bgpd.log" }])
    }

    fn control(
        &self,
        plan: &DutPlan,
        ns: &Netns,
        query: ControlQuery,
    ) -> Result<String, ControlError> {
        let args: &[&str] = match query {
            ControlQuery::Version => {
                let answer = Answer::run(plan, ns, &BGPCTL, &["-V"])?;
                let all = answer.all();
                answer.stdout(false)?;
                return Ok(all.lines().next().unwrap_or("OpenBGPD").trim().to_string());
            }
            ControlQuery::Ready => &["show", "summary"],
            ControlQuery::Rib(Family::Ipv4) => &["-j", "show", "rib", "inet"],
            ControlQuery::Rib(Family::Ipv6) => &["-j", "show", "rib", "inet6"],
        };
        let mut argv = vec!["-s".to_string(), arg_path(plan, "bgpd.sock")];
        argv.extend(args.iter().map(|a| a.to_string()));
        Answer::run(plan, ns, &BGPCTL, &argv)?.stdout(false)
    }

    fn rib(&self, text: &str) -> Result<Vec<DutRoute>, RibError> {
        rib::openbgpd(text)
    }

    fn is_log_error(&self, line: &str) -> bool {
        line.contains("fatal")
    }
}

/// The generated bgpd.conf.
pub(super) fn config(plan: &DutPlan) -> String {
    let mut c = String::new();
    // OpenBGPD 8 treats a path with an AS_SET as withdrawn by default (RFC 9774 deprecates
    // AS_SET); 7.7's default is to keep it, as the other daemons do. Both versions accept
    // `reject as-set no` (`bgpd -n`), so every version keeps such paths and compares alike.
    let _ = writeln!(
        c,
        "AS {}\nrouter-id {}\nsocket \"{}\"\nfib-update no\nreject as-set no\n",
        plan.asn,
        plan.router_id,
        arg_path(plan, "bgpd.sock")
    );
    for n in &plan.neighbors {
        let _ = writeln!(
            c,
            "neighbor {} {{\n  remote-as {}\n  local-address {}",
            n.addr, n.asn, n.local
        );
        if let Some(v6) = n.local_v6 {
            let _ = writeln!(c, "  local-address {v6}");
        }
        if ipv6_next_hop_7(plan, n).is_some_and(|v6| v6.no_modify) {
            let _ = writeln!(c, "  multihop 2");
        }
        if n.dut_passive {
            let _ = writeln!(c, "  passive");
        }
        if let Some(pw) = &n.md5 {
            let _ = writeln!(c, "  tcp md5sig password \"{pw}\"");
        }
        if n.ttl_security {
            let _ = writeln!(c, "  ttl-security yes");
        }
        for fam in [Family::Ipv4, Family::Ipv6] {
            let name = if fam == Family::Ipv4 { "IPv4" } else { "IPv6" };
            let on = if n.families.contains(&fam) { "unicast" } else { "none" };
            let _ = writeln!(c, "  announce {name} {on}");
        }
        if n.asn == plan.asn {
            let _ = writeln!(c, "  set nexthop self");
        }
        // RFC 7911, for every announced family.
        if n.dut_sends_paths() {
            let _ = writeln!(c, "  announce add-path send all");
        }
        if n.dut_receives_paths() {
            let _ = writeln!(c, "  announce add-path recv yes");
        }
        // RFC 8654: OpenBGPD 8 has `announce extended message` (8.8 accepts it, observed);
        // 7.7 has no such option (`bgpd -n` rejects it) and never offers the capability.
        if n.extended_messages && plan.version.at_least(8, 0) {
            let _ = writeln!(c, "  announce extended message yes");
        }
        let _ = writeln!(c, "}}");
    }
    let _ = writeln!(c, "allow from any\nallow to any");
    for n in &plan.neighbors {
        if let Some(nh) = ipv6_next_hop_7(plan, n) {
            let _ = writeln!(c, "match to {} inet6 set nexthop {}", n.addr, nh.addr);
            if nh.no_modify {
                let _ = writeln!(c, "match to {} inet6 set nexthop no-modify", n.addr);
            }
        }
    }
    if let Some(extra) = &plan.extra {
        let _ = writeln!(c, "# scenario's own configuration\n{extra}");
    }
    c
}

/// How OpenBGPD 7 is made to send the DUT's IPv6 address on the link as the next hop of
/// IPv6 routes.
struct Ipv6NextHop7 {
    /// The address (the neighbor's `local_v6`).
    addr: std::net::Ipv6Addr,
    /// The neighbor is eBGP: the session is declared `multihop 2` and the filter says
    /// `nexthop no-modify`, the only way 7.7 sends a set next hop to an eBGP neighbor.
    no_modify: bool,
}

/// OpenBGPD 7.7 sends `::1` as the IPv6 next hop of a session over IPv4, whatever its
/// `local-address` lines say: the session engine takes its IPv6 address from the
/// interface it finds for the session's IPv4 address, and on Linux that search ends on
/// `lo` (observed on the wire; 8.8 sends the configured address). A filter rule `set
/// nexthop ADDRESS` for IPv6 prefixes replaces it towards an iBGP neighbor; towards a
/// directly connected eBGP neighbor 7.7 sends nothing but its own session address (RFC
/// 4271 §5.1.3 check of `up_get_nexthop`), so there the session is `multihop 2` and the
/// rule adds `nexthop no-modify`. Not with `ttl-security`: multihop would lower its
/// minimum TTL to 254, so such a neighbor keeps `::1`.
fn ipv6_next_hop_7(plan: &DutPlan, n: &super::Neighbor) -> Option<Ipv6NextHop7> {
    if plan.version.at_least(8, 0) || !n.families.contains(&Family::Ipv6) {
        return None;
    }
    let addr = n.local_v6?;
    let ebgp = n.asn != plan.asn;
    if ebgp && n.ttl_security {
        return None;
    }
    Some(Ipv6NextHop7 { addr, no_modify: ebgp })
}
