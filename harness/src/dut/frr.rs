//! FRR 8: zebra (next-hop tracking; `-n`: bgpd installs nothing) and bgpd in the foreground,
//! `vtysh --vty_socket DIR` for control.

use std::fmt::Write;

use super::{ControlQuery, DaemonProcess, DutError, DutPlan, which};
use crate::scenario::model::Family;
use crate::topology::Netns;

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

pub(super) fn start(plan: &DutPlan, ns: &Netns) -> Result<Vec<DaemonProcess>, DutError> {
    let fail = |message: String| DutError::Failed { daemon: "frr", message };
    let bgpd = which("/usr/lib/frr/bgpd")
        .ok_or(DutError::Missing { daemon: "frr", binary: "/usr/lib/frr/bgpd".into() })?;
    let zebra = which("/usr/lib/frr/zebra")
        .ok_or(DutError::Missing { daemon: "frr", binary: "/usr/lib/frr/zebra".into() })?;
    let d = &plan.dir;
    let p = |n: &str| d.join(n).to_string_lossy().into_owned();
    std::fs::write(d.join("frr.conf"), config(plan)).map_err(|e| fail(e.to_string()))?;
    std::fs::write(d.join("zebra.conf"), "hostname dut\n").map_err(|e| fail(e.to_string()))?;
    let (zsock, vty) = (p("zserv.api"), d.to_string_lossy().into_owned());
    let zargs = [
        zebra.to_str().unwrap_or_default(),
        "-f",
        &p("zebra.conf"),
        "-i",
        &p("zebra.pid"),
        "-z",
        &zsock,
        "--vty_socket",
        &vty,
        "-P",
        "0",
        "--log",
        "stdout",
    ];
    let mut z =
        DaemonProcess::spawn(ns, &zargs, &d.join("zebra.log")).map_err(|e| fail(e.to_string()))?;
    // bgpd registers its next hops with zebra as soon as routes arrive, and retries only
    // every 10 s when zebra was not listening yet: start it once zebra answers on its vty
    // (its event loop runs, so its API socket listens).
    let until = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let mut backoff = std::time::Duration::from_millis(5);
    while vtysh(plan, ns, "zebra", "show version").is_err() {
        if let Some(dead) = z.exited() {
            return Err(fail(format!("zebra exited: {dead}\n{}", z.log_tail(10))));
        }
        if std::time::Instant::now() > until {
            return Err(fail(format!(
                "zebra did not answer on its vty within 15 s\n{}",
                z.log_tail(10)
            )));
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(std::time::Duration::from_millis(100));
    }
    let bargs = [
        bgpd.to_str().unwrap_or_default(),
        "-f",
        &p("frr.conf"),
        "-i",
        &p("bgpd.pid"),
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
    let b =
        DaemonProcess::spawn(ns, &bargs, &d.join("bgpd.log")).map_err(|e| fail(e.to_string()))?;
    Ok(vec![z, b])
}

pub(super) fn control(plan: &DutPlan, ns: &Netns, q: ControlQuery) -> Result<String, String> {
    if matches!(q, ControlQuery::Ready) {
        // Ready when bgpd answers and zebra counts it as a client: bgpd registers next hops
        // with zebra for every route, and fails (logging errors) until it is connected.
        let clients = vtysh(plan, ns, "zebra", "show zebra client summary")?;
        if !clients.lines().any(|l| l.trim_start().starts_with("bgp")) {
            return Err("bgpd is not connected to zebra yet".into());
        }
    }
    let cmd = match q {
        ControlQuery::Ready => "show bgp summary json",
        ControlQuery::Version => "show version",
        ControlQuery::Rib(Family::Ipv4) => "show bgp ipv4 unicast json",
        ControlQuery::Rib(Family::Ipv6) => "show bgp ipv6 unicast json",
    };
    let out = ns
        .command("vtysh")
        .arg("--vty_socket")
        .arg(&plan.dir)
        .args(["-d", "bgpd", "-c", cmd])
        .output()
        .map_err(|e| format!("vtysh: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() || text.trim().is_empty() {
        return Err(format!(
            "vtysh -c {cmd:?}: {}{}",
            text.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    if matches!(q, ControlQuery::Version) {
        let line = text.lines().find(|l| l.contains("FRRouting")).unwrap_or("FRRouting").trim();
        // "FRRouting 8.4.4 (host) on Linux(...)": the name and the version.
        return Ok(line.split(" (").next().unwrap_or(line).to_string());
    }
    Ok(text)
}

fn vtysh(plan: &DutPlan, ns: &Netns, daemon: &str, cmd: &str) -> Result<String, String> {
    let out = ns
        .command("vtysh")
        .arg("--vty_socket")
        .arg(&plan.dir)
        .args(["-d", daemon, "-c", cmd])
        .output()
        .map_err(|e| format!("vtysh: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() || text.trim().is_empty() {
        return Err(format!(
            "vtysh -d {daemon} -c {cmd:?}: {}{}",
            text.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(text)
}
