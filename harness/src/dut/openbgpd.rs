//! OpenBGPD 7 (Debian's portable build): `bgpd -d` in the foreground, `bgpctl -s SOCKET`
//! for control. It chroots its unprivileged processes into /run/openbgpd.

use std::fmt::Write;

use super::{ControlQuery, DaemonProcess, DutError, DutPlan, which};
use crate::scenario::model::Family;
use crate::topology::Netns;

/// The generated bgpd.conf.
pub(super) fn config(plan: &DutPlan) -> String {
    let mut c = String::new();
    let sock = plan.dir.join("bgpd.sock");
    let _ = writeln!(
        c,
        "AS {}\nrouter-id {}\nsocket \"{}\"\nfib-update no\n",
        plan.asn,
        plan.router_id,
        sock.display()
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
        let _ = writeln!(c, "}}");
    }
    let _ = writeln!(c, "allow from any\nallow to any");
    if let Some(extra) = &plan.extra {
        let _ = writeln!(c, "# scenario's own configuration\n{extra}");
    }
    c
}

pub(super) fn start(plan: &DutPlan, ns: &Netns) -> Result<Vec<DaemonProcess>, DutError> {
    let fail = |message: String| DutError::Failed { daemon: "openbgpd", message };
    let bin = which("/usr/sbin/bgpd")
        .ok_or(DutError::Missing { daemon: "openbgpd", binary: "/usr/sbin/bgpd".into() })?;
    let conf = plan.dir.join("bgpd.conf");
    std::fs::write(&conf, config(plan)).map_err(|e| fail(e.to_string()))?;
    // bgpd refuses a configuration others can read.
    let _ = std::fs::set_permissions(&conf, std::os::unix::fs::PermissionsExt::from_mode(0o600));
    let _ = std::fs::create_dir_all("/run/openbgpd");
    let argv =
        [bin.to_str().unwrap_or_default(), "-d", "-v", "-f", conf.to_str().unwrap_or_default()];
    Ok(vec![
        DaemonProcess::spawn(ns, &argv, &plan.dir.join("bgpd.log"))
            .map_err(|e| fail(e.to_string()))?,
    ])
}

pub(super) fn control(plan: &DutPlan, ns: &Netns, q: ControlQuery) -> Result<String, String> {
    let sock = plan.dir.join("bgpd.sock");
    let args: Vec<&str> = match q {
        ControlQuery::Ready => vec!["show", "summary"],
        ControlQuery::Version => vec!["-V"],
        ControlQuery::Rib(Family::Ipv4) => vec!["-j", "show", "rib", "inet"],
        ControlQuery::Rib(Family::Ipv6) => vec!["-j", "show", "rib", "inet6"],
    };
    let mut cmd = ns.command("bgpctl");
    if !matches!(q, ControlQuery::Version) {
        cmd.arg("-s").arg(&sock);
    }
    let out = cmd.args(&args).output().map_err(|e| format!("bgpctl: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!(
            "bgpctl {}: {}{}",
            args.join(" "),
            text.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    if matches!(q, ControlQuery::Version) {
        let all = format!("{text}{}", String::from_utf8_lossy(&out.stderr));
        return Ok(all.lines().next().unwrap_or("OpenBGPD").trim().to_string());
    }
    Ok(text)
}
