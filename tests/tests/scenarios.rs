//! Every scenario of the library is a test: `scenarios/**/*.yaml`, each run against the
//! daemons of `BGPSTORM_DUT` (default: bird,frr,gobgp,openbgpd; each spelled as `--dut`
//! spells it: `bird`, `bird@3.1.8`, `frr=/opt/frr`) it applies to, as root, on
//! real namespaces, daemons and the eBPF monitor. Each (scenario, daemon) result is also
//! written to `target/bgpstorm-matrix/` for the compatibility matrix (ci/matrix).
//!
//! A daemon the scenario does not apply to (`dut.applies_to`, `dut.unsupported`) is a cell
//! with its reason, never a silent skip; an environment problem (not root, daemon missing)
//! fails the test.

use std::path::{Path, PathBuf};

use bgpstorm_harness::dut::{DutSpec, Installed, Want, resolve};
use bgpstorm_harness::report::{CellFiles, EventBus, LinePrinter, Reporter, RunEvent};
use bgpstorm_harness::run::{RunError, RunOptions, run_with};
use bgpstorm_harness::scenario::{self, model::DutKind};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("repository root")
}

/// The daemons of `BGPSTORM_DUT`, each with the installation it names (`None`: the host's).
fn kinds() -> Vec<(DutKind, Option<Installed>)> {
    let spec = std::env::var("BGPSTORM_DUT").unwrap_or_else(|_| "bird,frr,gobgp,openbgpd".into());
    let specs = DutSpec::list(&spec).unwrap_or_else(|e| panic!("BGPSTORM_DUT: {e}"));
    specs
        .into_iter()
        .map(|s| match s.want {
            Want::Host => (s.kind, None),
            _ => (s.kind, Some(resolve(&s).unwrap_or_else(|e| panic!("BGPSTORM_DUT {s}: {e}")))),
        })
        .collect()
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
    let wanted = if s.dut.kind == DutKind::None { vec![(DutKind::None, None)] } else { kinds() };
    for (kind, installed) in wanted {
        let opts = RunOptions { dut: installed, ..opts.clone() };
        let scenario = s.name.as_str();
        let not_applicable = s.dut.unsupported.get(&kind).cloned().or_else(|| {
            s.dut.applies_to.as_ref().filter(|l| !l.contains(&kind)).map(|l| {
                format!("applies to {}", l.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "))
            })
        });
        if let Some(why) = not_applicable {
            bus.event(&RunEvent::NotApplicable { scenario, kind, why: &why });
            continue;
        }
        bus.event(&RunEvent::RunStarted { scenario, kind, path });
        match run_with(&s, path, kind, &opts, &mut bus) {
            Ok(r) => {
                bus.event(&RunEvent::RunFinished { report: &r });
                if let Some(f) = r.first_failure() {
                    failures.push(format!("{}: {f}", kind.name()));
                }
            }
            Err(RunError::Environment(e)) => {
                bus.event(&RunEvent::CouldNotStart { scenario, kind, why: &e });
                failures.push(format!("{}: could not run: {e}", kind.name()));
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
