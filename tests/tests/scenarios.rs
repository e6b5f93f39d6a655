//! Every scenario of the library is a test: `scenarios/**/*.yaml`, each run against the
//! daemons of `BGPSTORM_DUT` (default `all`: every daemon of `bgpstorm dut list`, the host's
//! and the Debian 13 root's; each spelled as `--dut` spells it: `bird`, `bird@3.1.8`,
//! `frr=/opt/frr`) it applies to, as root, on real namespaces, daemons and the eBPF monitor. Each
//! (scenario, daemon version) result is also written to `target/bgpstorm-matrix/` for the
//! compatibility matrix (ci/matrix), one column per version.
//!
//! A daemon or version the scenario does not apply to (`dut.applies_to`, `dut.unsupported`)
//! is a cell with its reason, never a silent skip; an environment problem (not root, daemon
//! missing) fails the test.

use std::path::{Path, PathBuf};

use bgpstorm_harness::dut::{Column, DutSpec, Installed, for_runs};
use bgpstorm_harness::report::{CellFiles, EventBus, LinePrinter, Reporter, RunEvent};
use bgpstorm_harness::run::{RunError, RunOptions, run_with};
use bgpstorm_harness::scenario::{self, model::DutKind};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("repository root")
}

/// The daemons of `BGPSTORM_DUT`, each with its column and the installation it names
/// (`None`: a host daemon that is missing or silent, which that run reports).
fn duts() -> Vec<(Column, Option<Installed>)> {
    let spec = std::env::var("BGPSTORM_DUT").unwrap_or_else(|_| "all".into());
    let specs = DutSpec::list(&spec).unwrap_or_else(|e| panic!("BGPSTORM_DUT: {e}"));
    for_runs(&specs).unwrap_or_else(|(s, e)| panic!("BGPSTORM_DUT {s}: {e}"))
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
    // The terminal lines and the cells ci/matrix reads come from the harness's own reporters.
    let mut bus = EventBus::new();
    bus.subscribe(Box::new(LinePrinter::stdout()));
    bus.subscribe(Box::new(CellFiles::new(&root().join("target/bgpstorm-matrix"))));
    let mut failures = Vec::new();
    let wanted = if s.dut.kind == DutKind::None {
        vec![(Column::of(DutKind::None, None), None)]
    } else {
        duts()
    };
    for (dut, installed) in wanted {
        let kind = dut.kind;
        let opts = RunOptions { dut: installed, ..opts.clone() };
        let scenario = s.name.as_str();
        if let Some(why) = s.dut.not_applicable(kind, dut.version.as_deref()) {
            bus.event(&RunEvent::NotApplicable { scenario, dut: &dut, why: &why });
            continue;
        }
        bus.event(&RunEvent::RunStarted { scenario, dut: &dut, path });
        match run_with(&s, path, kind, &opts, &mut bus) {
            Ok(r) => {
                bus.event(&RunEvent::RunFinished { report: &r });
                if let Some(f) = r.first_failure() {
                    failures.push(format!("{dut}: {f}"));
                }
            }
            Err(RunError::Environment(e)) => {
                bus.event(&RunEvent::CouldNotStart { scenario, dut: &dut, why: &e });
                failures.push(format!("{dut}: could not run: {e}"));
            }
        }
    }
    let totals = bus
        .finish()
        .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))?;
    if !failures.is_empty() {
        return Err(failures.join("\n").into());
    }
    if totals.ran == 0 {
        return Err(format!("{}: no applicable daemon among BGPSTORM_DUT", s.name).into());
    }
    Ok(())
}

datatest_stable::harness! {
    { test = scenario_test, root = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"), pattern = r"\.ya?ml$" },
}
