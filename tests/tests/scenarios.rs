//! Every scenario of the library is a test: `scenarios/**/*.yaml`, each run against the
//! daemons of `BGPSTORM_DUT` (default: bird,frr,gobgp,openbgpd) it applies to, as root, on
//! real namespaces, daemons and the eBPF monitor. Each (scenario, daemon) result is also
//! written to `target/bgpstorm-matrix/` for the compatibility matrix (ci/matrix).
//!
//! A daemon the scenario does not apply to (`dut.applies_to`, `dut.unsupported`) is a cell
//! with its reason, never a silent skip; an environment problem (not root, daemon missing)
//! fails the test.

use std::path::{Path, PathBuf};

use bgpstorm_harness::report::{LinePrinter, Reporter, RunEvent};
use bgpstorm_harness::run::{RunError, RunOptions, run};
use bgpstorm_harness::scenario::{self, model::DutKind};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("repository root")
}

fn kinds() -> Vec<DutKind> {
    let spec = std::env::var("BGPSTORM_DUT").unwrap_or_else(|_| "bird,frr,gobgp,openbgpd".into());
    spec.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            DutKind::DAEMONS
                .into_iter()
                .chain([DutKind::None])
                .find(|k| k.name() == s.trim())
                .unwrap_or_else(|| panic!("BGPSTORM_DUT: unknown daemon {s:?}"))
        })
        .collect()
}

fn write_cell(scenario: &str, kind: DutKind, status: &str, detail: &str, secs: f64) {
    let dir = root().join("target/bgpstorm-matrix");
    let _ = std::fs::create_dir_all(&dir);
    let cell = serde_json::json!({"scenario": scenario, "dut": kind.name(), "status": status, "detail": detail, "seconds": secs});
    let _ = std::fs::write(dir.join(format!("{scenario}__{}.json", kind.name())), cell.to_string());
}

fn scenario_test(path: &Path) -> datatest_stable::Result<()> {
    let s = scenario::load(path)?;
    let opts = RunOptions {
        dut: None,
        artifacts: root().join("target/bgpstorm-runs"),
        keep_artifacts: false,
        snapshots: root().join("snapshots"),
        progress: true,
        keep_on_failure: false,
    };
    let mut failures = Vec::new();
    let mut ran = 0;
    let wanted = if s.dut.kind == DutKind::None { vec![DutKind::None] } else { kinds() };
    for kind in wanted {
        let not_applicable = s.dut.unsupported.get(&kind).cloned().or_else(|| {
            s.dut.applies_to.as_ref().filter(|l| !l.contains(&kind)).map(|l| {
                format!("applies to {}", l.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "))
            })
        });
        if let Some(why) = not_applicable {
            println!("{} on {}: not applicable ({why})", s.name, kind.name());
            write_cell(&s.name, kind, "n/a", &why, 0.0);
            continue;
        }
        println!("RUN  {} on {}", s.name, kind.name());
        match run(&s, path, kind, &opts) {
            Ok(r) => {
                ran += 1;
                LinePrinter::stdout().event(&RunEvent::RunFinished { report: &r });
                let secs = r.duration.as_secs_f64();
                match r.first_failure() {
                    None => write_cell(&s.name, kind, "pass", "", secs),
                    Some(f) => {
                        write_cell(&s.name, kind, "fail", &f, secs);
                        failures.push(format!("{}: {f}", kind.name()));
                    }
                }
            }
            Err(RunError::Environment(e)) => {
                write_cell(&s.name, kind, "env", &e, 0.0);
                failures.push(format!("{}: could not run: {e}", kind.name()));
            }
        }
    }
    if !failures.is_empty() {
        return Err(failures.join("\n").into());
    }
    if ran == 0 {
        return Err(format!("{}: no applicable daemon among BGPSTORM_DUT", s.name).into());
    }
    Ok(())
}

datatest_stable::harness! {
    { test = scenario_test, root = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"), pattern = r"\.ya?ml$" },
}
