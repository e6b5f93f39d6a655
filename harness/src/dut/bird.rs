//! BIRD 2: `bird -f` in the foreground, `birdc -s SOCKET` for control.

use std::fmt::Write;

use super::{ControlQuery, DaemonProcess, DutError, DutPlan, which};
use crate::scenario::model::Family;
use crate::topology::Netns;

/// The generated bird.conf.
pub(super) fn config(plan: &DutPlan) -> String {
    let mut c = String::new();
    let _ = writeln!(c, "router id {};\nlog stderr all;\nprotocol device {{ }}", plan.router_id);
    let _ = writeln!(
        c,
        "# Routes are not installed in the kernel: the DUT is measured as a BGP speaker."
    );
    for n in &plan.neighbors {
        let _ = writeln!(c, "protocol bgp sp_{} {{", n.name);
        let _ = writeln!(c, "  local {} as {};", n.local, plan.asn);
        let _ = writeln!(c, "  neighbor {} as {};", n.addr, n.asn);
        if n.dut_passive {
            let _ = writeln!(c, "  passive on;");
        } else {
            let _ = writeln!(c, "  connect delay time 1;\n  connect retry time 1;");
        }
        if let Some(pw) = &n.md5 {
            let _ = writeln!(c, "  password \"{pw}\";");
        }
        if n.ttl_security {
            let _ = writeln!(c, "  ttl security on;");
        }
        if n.extended_messages {
            let _ = writeln!(c, "  enable extended messages on;");
        }
        // RFC 7911: `tx` sends every path of the table, `rx` accepts path identifiers.
        let add_path = match (n.dut_sends_paths(), n.dut_receives_paths()) {
            (true, true) => " add paths on;",
            (true, false) => " add paths tx;",
            (false, true) => " add paths rx;",
            (false, false) => "",
        };
        let ibgp = n.asn == plan.asn;
        for fam in [Family::Ipv4, Family::Ipv6] {
            if !n.families.contains(&fam) {
                continue;
            }
            let name = if fam == Family::Ipv4 { "ipv4" } else { "ipv6" };
            let mut nh = String::new();
            if ibgp {
                nh.push_str(" next hop self;");
            }
            if fam == Family::Ipv6
                && let Some(v6) = n.local_v6
            {
                nh = format!(" next hop address {v6};");
            }
            let _ = writeln!(c, "  {name} {{ import all; export all;{nh}{add_path} }};");
        }
        let _ = writeln!(c, "}}");
    }
    match &plan.extra {
        Some(extra) => format!("{c}\n# scenario's own configuration\n{extra}\n"),
        None => c,
    }
}

pub(super) fn start(plan: &DutPlan, ns: &Netns) -> Result<Vec<DaemonProcess>, DutError> {
    let bird = which("bird").ok_or(DutError::Missing { daemon: "bird", binary: "bird".into() })?;
    let conf = plan.dir.join("bird.conf");
    std::fs::write(&conf, config(plan)).map_err(|e| DutError::Failed {
        daemon: "bird",
        message: format!("{}: {e}", conf.display()),
    })?;
    let sock = plan.dir.join("bird.ctl");
    let argv = [
        bird.to_str().unwrap_or("bird"),
        "-f",
        "-c",
        conf.to_str().unwrap_or_default(),
        "-s",
        sock.to_str().unwrap_or_default(),
    ];
    let p = DaemonProcess::spawn(ns, &argv, &plan.dir.join("bird.log"))
        .map_err(|e| DutError::Failed { daemon: "bird", message: e.to_string() })?;
    Ok(vec![p])
}

pub(super) fn control(plan: &DutPlan, ns: &Netns, q: ControlQuery) -> Result<String, String> {
    let sock = plan.dir.join("bird.ctl");
    let args: Vec<&str> = match q {
        ControlQuery::Ready => vec!["show", "status"],
        ControlQuery::Version => vec!["show", "status"],
        ControlQuery::Rib(Family::Ipv4) => vec!["show", "route", "all", "table", "master4"],
        ControlQuery::Rib(Family::Ipv6) => vec!["show", "route", "all", "table", "master6"],
    };
    let out = ns
        .command("birdc")
        .arg("-s")
        .arg(&sock)
        .args(&args)
        .output()
        .map_err(|e| format!("birdc: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() || text.contains("Unable to connect") {
        return Err(format!(
            "birdc {}: {}{}",
            args.join(" "),
            text.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    if matches!(q, ControlQuery::Version) {
        let line = text.lines().find(|l| l.starts_with("BIRD ")).unwrap_or("BIRD");
        return Ok(line.trim_end_matches(" ready.").to_string());
    }
    Ok(text)
}
