//! GoBGP 3: `gobgpd -f CONFIG -t toml` with its gRPC API on the namespace's loopback,
//! `gobgp -j` for control.

use std::fmt::Write;

use super::{ControlQuery, DaemonProcess, DutError, DutPlan, which};
use crate::scenario::model::Family;
use crate::topology::Netns;

/// The DUT namespace's own loopback: private to the run.
const API: &str = "127.0.0.1:50051";

/// Paths per prefix GoBGP sends to a speaker that receives ADD-PATH (it has no "all").
const ADD_PATH_SEND_MAX: u8 = 64;

/// The generated gobgpd.toml.
pub(super) fn config(plan: &DutPlan) -> String {
    let mut c = String::new();
    let _ =
        writeln!(c, "[global.config]\n  as = {}\n  router-id = \"{}\"\n", plan.asn, plan.router_id);
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
    if let Some(extra) = &plan.extra {
        let _ = writeln!(c, "# scenario's own configuration\n{extra}");
    }
    c
}

pub(super) fn start(plan: &DutPlan, ns: &Netns) -> Result<Vec<DaemonProcess>, DutError> {
    let fail = |message: String| DutError::Failed { daemon: "gobgp", message };
    let bin =
        which("gobgpd").ok_or(DutError::Missing { daemon: "gobgp", binary: "gobgpd".into() })?;
    let conf = plan.dir.join("gobgpd.toml");
    std::fs::write(&conf, config(plan)).map_err(|e| fail(e.to_string()))?;
    let argv = [
        bin.to_str().unwrap_or_default(),
        "-f",
        conf.to_str().unwrap_or_default(),
        "-t",
        "toml",
        "--api-hosts",
        API,
    ];
    Ok(vec![
        DaemonProcess::spawn(ns, &argv, &plan.dir.join("gobgpd.log"))
            .map_err(|e| fail(e.to_string()))?,
    ])
}

pub(super) fn control(_plan: &DutPlan, ns: &Netns, q: ControlQuery) -> Result<String, String> {
    if matches!(q, ControlQuery::Version) {
        let out =
            ns.command("gobgpd").arg("--version").output().map_err(|e| format!("gobgpd: {e}"))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        return Ok(text
            .lines()
            .next()
            .unwrap_or("GoBGP")
            .trim()
            .replace("gobgpd version", "GoBGP"));
    }
    let args: Vec<&str> = match q {
        ControlQuery::Ready => vec!["global", "-j"],
        ControlQuery::Version => unreachable!("answered above"),
        ControlQuery::Rib(Family::Ipv4) => vec!["global", "rib", "-a", "ipv4", "-j"],
        ControlQuery::Rib(Family::Ipv6) => vec!["global", "rib", "-a", "ipv6", "-j"],
    };
    let out = ns
        .command("gobgp")
        .args(["-u", "127.0.0.1", "-p", "50051"])
        .args(&args)
        .output()
        .map_err(|e| format!("gobgp: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!(
            "gobgp {}: {}{}",
            args.join(" "),
            text.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(text)
}
