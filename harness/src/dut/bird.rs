//! BIRD 2 and 3: `bird -f` in the foreground, `birdc -s SOCKET` for control. BIRD 3 runs
//! its protocols in worker threads: their number is set (one per CPU), so that a run says
//! what it used; BIRD 2 has no such option (its parser rejects `threads`).

use std::fmt::Write;

use super::{
    Answer, ConfigFile, ControlError, ControlQuery, Daemon, DutError, DutPlan, DutRoute,
    ProcessSpec, Program, RibError, arg_path, binary, rib,
};
use crate::scenario::model::Family;
use crate::topology::Netns;

/// BIRD 2 (and 3).
pub(super) struct Bird;

/// The daemon.
pub(super) const BIRD: Program = Program { name: "bird", dirs: &["sbin", "bin"], on_path: true };
/// Its control client.
const BIRDC: Program = Program { name: "birdc", dirs: &["sbin", "bin"], on_path: true };

impl Daemon for Bird {
    fn name(&self) -> &'static str {
        "bird"
    }

    fn config(&self, plan: &DutPlan) -> Vec<ConfigFile> {
        vec![ConfigFile::new("bird.conf", config(plan))]
    }

    fn processes(&self, plan: &DutPlan) -> Result<Vec<ProcessSpec>, DutError> {
        let mut argv = binary(plan, "bird", &BIRD)?;
        argv.extend([
            "-f".into(),
            "-c".into(),
            arg_path(plan, "bird.conf"),
            "-s".into(),
            arg_path(plan, "bird.ctl"),
        ]);
        Ok(vec![ProcessSpec { argv, log: "bird.log" }])
    }

    fn control(
        &self,
        plan: &DutPlan,
        ns: &Netns,
        query: ControlQuery,
    ) -> Result<String, ControlError> {
        let args: &[&str] = match query {
            ControlQuery::Ready | ControlQuery::Version => &["show", "status"],
            ControlQuery::Rib(Family::Ipv4) => &["show", "route", "all", "table", "master4"],
            ControlQuery::Rib(Family::Ipv6) => &["show", "route", "all", "table", "master6"],
        };
        let mut argv = vec!["-s".to_string(), arg_path(plan, "bird.ctl")];
        argv.extend(args.iter().map(|a| a.to_string()));
        let mut answer = Answer::run(plan, ns, &BIRDC, &argv)?;
        // birdc may exit 0 when it cannot connect; it says so on stdout.
        answer.success &= !answer.stdout.contains("Unable to connect");
        let text = answer.stdout(false)?;
        if matches!(query, ControlQuery::Version) {
            let line = text.lines().find(|l| l.starts_with("BIRD ")).unwrap_or("BIRD");
            return Ok(line.trim_end_matches(" ready.").to_string());
        }
        Ok(text)
    }

    fn rib(&self, text: &str) -> Result<Vec<DutRoute>, RibError> {
        Ok(rib::bird(text))
    }

    fn is_log_error(&self, line: &str) -> bool {
        line.contains("<ERR>") || line.contains("<BUG>")
    }
}

/// BIRD 3's worker threads: one per CPU this process may use.
pub(super) fn worker_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The generated bird.conf.
pub(super) fn config(plan: &DutPlan) -> String {
    let mut c = String::new();
    let _ = writeln!(c, "router id {};\nlog stderr all;\nprotocol device {{ }}", plan.router_id);
    if plan.version.at_least(3, 0) {
        let _ = writeln!(c, "threads {};", worker_threads());
    }
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
                // The address `next hop self` (iBGP) and the eBGP next hop use: appended, so
                // that iBGP speakers still get the DUT as next hop.
                nh.push_str(&format!(" next hop address {v6};"));
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
