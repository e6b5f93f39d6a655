//! FRR 8: zebra (next-hop tracking; `-n`: bgpd installs nothing) and bgpd in the foreground,
//! `vtysh --vty_socket DIR` for control.

use std::fmt::Write;

use std::time::{Duration, Instant};

use super::{
    Answer, ConfigFile, ControlError, ControlQuery, Daemon, DaemonProcess, DutError, DutPlan,
    DutRoute, ProcessSpec, Program, RibError, arg_path, binary, rib,
};
use crate::scenario::model::Family;
use crate::topology::Netns;

/// FRRouting: zebra, then bgpd.
pub(super) struct Frr;

/// The daemons (Debian installs them in /usr/lib/frr, a source build in sbin/).
pub(super) const ZEBRA: Program =
    Program { name: "zebra", dirs: &["lib/frr", "sbin"], on_path: false };
/// bgpd.
pub(super) const BGPD: Program =
    Program { name: "bgpd", dirs: &["lib/frr", "sbin"], on_path: false };
/// The control client.
const VTYSH: Program = Program { name: "vtysh", dirs: &["bin", "sbin"], on_path: true };

impl Daemon for Frr {
    fn name(&self) -> &'static str {
        "frr"
    }

    fn config(&self, plan: &DutPlan) -> Vec<ConfigFile> {
        vec![
            ConfigFile::new("frr.conf", config(plan)),
            ConfigFile::new("zebra.conf", "hostname dut\n".into()),
        ]
    }

    fn processes(&self, plan: &DutPlan) -> Result<Vec<ProcessSpec>, DutError> {
        let (bgpd, zebra) = (binary(plan, "frr", &BGPD)?, binary(plan, "frr", &ZEBRA)?);
        let vty = plan.source.dir_seen(&plan.dir).to_string_lossy().into_owned();
        let common = |conf: &str, pid: &str| {
            let mut v = vec![
                "-f".to_string(),
                arg_path(plan, conf),
                "-i".into(),
                arg_path(plan, pid),
                "-z".into(),
                arg_path(plan, "zserv.api"),
                "--vty_socket".into(),
                vty.clone(),
            ];
            v.extend(["-P", "0", "--log", "stdout"].map(String::from));
            v
        };
        let mut z = zebra;
        z.extend(common("zebra.conf", "zebra.pid"));
        let mut b = bgpd;
        b.extend(common("frr.conf", "bgpd.pid"));
        // -n: bgpd installs nothing in the kernel; -S: no kernel route sync.
        b.extend(["-n", "-S"].map(String::from));
        Ok(vec![
            ProcessSpec { argv: z, log: "zebra.log" },
            ProcessSpec { argv: b, log: "bgpd.log" },
        ])
    }

    /// bgpd registers its next hops with zebra as soon as routes arrive, and retries only
    /// every 10 s when zebra was not listening yet: start it once zebra answers on its vty
    /// (its event loop runs, so its API socket listens).
    fn started(
        &self,
        plan: &DutPlan,
        ns: &Netns,
        index: usize,
        zebra: &mut DaemonProcess,
    ) -> Result<(), DutError> {
        if index != 0 {
            return Ok(());
        }
        let limit = Duration::from_secs(15);
        let until = Instant::now() + limit;
        let mut backoff = Duration::from_millis(5);
        loop {
            let source = match vtysh(plan, ns, "zebra", "show version") {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            if let Some(status) = zebra.exited() {
                return Err(DutError::Exited { daemon: "frr", status, log: zebra.log_tail(10) });
            }
            if Instant::now() > until {
                let log = zebra.log_tail(10);
                return Err(DutError::NotReady { daemon: "frr", after: limit, source, log });
            }
            crate::interrupt::sleep(backoff)
                .map_err(|signal| DutError::Interrupted { daemon: "frr", signal })?;
            backoff = (backoff * 2).min(Duration::from_millis(100));
        }
    }

    fn control(
        &self,
        plan: &DutPlan,
        ns: &Netns,
        query: ControlQuery,
    ) -> Result<String, ControlError> {
        if matches!(query, ControlQuery::Ready) {
            // Ready when bgpd answers and zebra counts it as a client: bgpd registers next
            // hops with zebra for every route, and fails (logging errors) until it is
            // connected.
            let clients = vtysh(plan, ns, "zebra", "show zebra client summary")?;
            if !clients.lines().any(|l| l.trim_start().starts_with("bgp")) {
                return Err(ControlError::NotYet("bgpd is not connected to zebra yet"));
            }
        }
        let cmd = match query {
            ControlQuery::Ready => "show bgp summary json",
            ControlQuery::Version => "show version",
            ControlQuery::Rib(Family::Ipv4) => "show bgp ipv4 unicast json",
            ControlQuery::Rib(Family::Ipv6) => "show bgp ipv6 unicast json",
        };
        let text = vtysh(plan, ns, "bgpd", cmd)?;
        if matches!(query, ControlQuery::Version) {
            let line = text.lines().find(|l| l.contains("FRRouting")).unwrap_or("FRRouting").trim();
            // "FRRouting 8.4.4 (host) on Linux(...)": the name and the version.
            return Ok(line.split(" (").next().unwrap_or(line).to_string());
        }
        Ok(text)
    }

    fn rib(&self, text: &str) -> Result<Vec<DutRoute>, RibError> {
        rib::frr(text)
    }

    fn is_log_error(&self, line: &str) -> bool {
        // zebra's warning that the kernel has no MPLS is not an error of the run.
        line.contains("[EC ") && !line.contains("Disabling MPLS support")
    }
}

/// The generated frr.conf (bgpd).
pub(super) fn config(plan: &DutPlan) -> String {
    let mut c = String::new();
    let _ = writeln!(c, "frr defaults traditional\nhostname dut\nlog stdout informational\n!");
    let _ = writeln!(
        c,
        "router bgp {}\n bgp router-id {}\n no bgp ebgp-requires-policy\n no bgp default ipv4-unicast",
        plan.asn, plan.router_id
    );
    for n in &plan.neighbors {
        let a = n.addr;
        let _ = writeln!(
            c,
            " neighbor {a} remote-as {}\n neighbor {a} update-source {}",
            n.asn, n.local
        );
        if n.dut_passive {
            let _ = writeln!(c, " neighbor {a} passive");
        }
        let _ =
            writeln!(c, " neighbor {a} timers connect 1\n neighbor {a} advertisement-interval 0");
        if let Some(pw) = &n.md5 {
            let _ = writeln!(c, " neighbor {a} password {pw}");
        }
        if n.ttl_security {
            let _ = writeln!(c, " neighbor {a} ttl-security hops 1");
        }
    }
    for fam in [Family::Ipv4, Family::Ipv6] {
        let name = if fam == Family::Ipv4 { "ipv4" } else { "ipv6" };
        let _ = writeln!(c, " address-family {name} unicast");
        for n in plan.neighbors.iter().filter(|n| n.families.contains(&fam)) {
            let _ = writeln!(c, "  neighbor {} activate", n.addr);
            if n.asn == plan.asn {
                let _ = writeln!(c, "  neighbor {} next-hop-self", n.addr);
            }
            // RFC 7911: FRR always offers to receive path identifiers; sending is per neighbor.
            if n.dut_sends_paths() {
                let _ = writeln!(c, "  neighbor {} addpath-tx-all-paths", n.addr);
            }
            if fam == Family::Ipv6 && n.local_v6.is_some() {
                let _ = writeln!(c, "  neighbor {} route-map NH-{} out", n.addr, n.name);
            }
        }
        let _ = writeln!(c, " exit-address-family");
    }
    let _ = writeln!(c, "!");
    for n in &plan.neighbors {
        if let Some(v6) = n.local_v6 {
            let _ =
                writeln!(c, "route-map NH-{} permit 10\n set ipv6 next-hop global {v6}\n!", n.name);
        }
    }
    if let Some(extra) = &plan.extra {
        let _ = writeln!(c, "! scenario's own configuration\n{extra}");
    }
    c
}

/// `vtysh -d DAEMON -c CMD` on the plan's vty sockets.
fn vtysh(plan: &DutPlan, ns: &Netns, daemon: &str, cmd: &str) -> Result<String, ControlError> {
    let vty = plan.source.dir_seen(&plan.dir);
    let vty = vty.to_string_lossy();
    Answer::run(plan, ns, &VTYSH, &["--vty_socket", &vty, "-d", daemon, "-c", cmd])?.stdout(true)
}
