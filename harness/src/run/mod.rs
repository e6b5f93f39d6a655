//! `bgpstorm run`: build the scenario's network, start the DUT and the speakers, watch the
//! DUT's interfaces with the eBPF monitor, execute the steps, report, tear everything down.
//!
//! Everything a run creates is owned by values dropped at its end (namespaces held by
//! descriptors, daemons with a parent-death signal, TCX links owned by the capture), so
//! nothing outlives it, also when it fails or the harness is killed.

mod expect;
mod plan;
mod steps;
mod watch;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bgpstorm_monitor::engine::MonitorConfig;

use crate::dut::Dut;
use crate::report::{Reporter, RunEvent};
use crate::scenario::Scenario;
use crate::scenario::model::{DutKind, Restart, Step};
use crate::speaker::{Injector, Session};
use crate::topology::Topology;

pub use crate::report::{RunReport, StepReport, StepStatus};
pub use plan::{Plan, plan};
pub use watch::WatchTotals;

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The daemon to use instead of the scenario's.
    pub dut: Option<DutKind>,
    /// Where artifacts go (a folder per run is made inside).
    pub artifacts: PathBuf,
    /// Keep the artifacts of passing runs too.
    pub keep_artifacts: bool,
    /// Where insta snapshots live.
    pub snapshots: PathBuf,
    /// Print each step as it ends.
    pub progress: bool,
    /// On failure, keep the network, daemon and sessions up until Enter is pressed (on a
    /// terminal), to look inside.
    pub keep_on_failure: bool,
}

/// The state of a run in progress.
pub(crate) struct Runner<'a> {
    scenario: &'a Scenario,
    base: &'a Path,
    kind: DutKind,
    plan: Plan,
    topo: Topology,
    dut: Option<Dut>,
    sessions: BTreeMap<String, Session>,
    injectors: BTreeMap<String, Injector>,
    watch: Option<watch::Watch>,
    /// Named points in time: speaker → RIB lines.
    named: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Named points in time: speaker → what its session had received and been through.
    marks: BTreeMap<String, BTreeMap<String, expect::Mark>>,
    snapshot_dir: PathBuf,
    /// Prefix changes the last action sent (announced, withdrawn, flapped).
    sent: u64,
    /// The fastest announcement rate so far, prefixes/s.
    sender_rate: Option<f64>,
    /// The monitor's ingress trigger count the DUT must reach after the last action.
    settle_target: u64,
}

/// Why a run could not start: the environment, not the scenario's assertions.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Missing privileges, daemon or kernel feature.
    #[error("{0}")]
    Environment(String),
}

fn monitor_config(s: &Scenario, plan: &Plan) -> Result<MonitorConfig, String> {
    use bgpstorm_monitor::detect::community::{Direction, RuleConfig};
    let mut c = MonitorConfig { device: plan.dut_addresses.clone(), ..MonitorConfig::default() };
    if let Some(f) = &s.monitor.flap {
        c.flap =
            bgpstorm_monitor::detect::flap::FlapConfig { window: f.window, changes: f.changes };
    }
    if s.monitor.damping {
        c.damping = Some(Default::default());
    }
    for r in &s.monitor.communities {
        let sp = plan
            .speakers
            .iter()
            .find(|p| p.name == r.session)
            .ok_or_else(|| format!("no speaker {}", r.session))?;
        c.communities.push(RuleConfig {
            peer: Some(sp.v4),
            direction: match r.direction {
                crate::scenario::model::Direction::In => Direction::In,
                crate::scenario::model::Direction::Out => Direction::Out,
            },
            allow: r.allow.clone(),
            deny: r.deny.clone(),
        });
    }
    c.validate().map_err(|e| e.to_string())?;
    Ok(c)
}

/// Runs `s` (read from `path`) once with `kind` as the DUT, printing each step as it ends
/// when `opts.progress` is set.
pub fn run(
    s: &Scenario,
    path: &Path,
    kind: DutKind,
    opts: &RunOptions,
) -> Result<RunReport, RunError> {
    if opts.progress {
        run_with(s, path, kind, opts, &mut crate::report::LinePrinter::stdout())
    } else {
        run_with(s, path, kind, opts, &mut crate::report::EventBus::new())
    }
}

/// Runs `s` (read from `path`) once with `kind` as the DUT, sending each finished step to
/// `events`.
pub fn run_with(
    s: &Scenario,
    path: &Path,
    kind: DutKind,
    opts: &RunOptions,
    events: &mut dyn Reporter,
) -> Result<RunReport, RunError> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err(RunError::Environment(
            "bgpstorm run needs root (network namespaces, eBPF): run it with sudo, or as root"
                .into(),
        ));
    }
    let dir = opts.artifacts.join(format!("{}-{}-{}", s.name, kind.name(), std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| RunError::Environment(format!("{}: {e}", dir.display())))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| RunError::Environment(format!("tokio runtime: {e}")))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let started = Instant::now();
    let mut report = rt.block_on(async { execute(s, base, kind, &dir, opts, events).await })?;
    report.duration = started.elapsed();
    report.artifacts = Some(dir.clone());
    let _ = std::fs::write(
        dir.join("result.json"),
        serde_json::to_string_pretty(&report).unwrap_or_default(),
    );
    if report.passed() && !opts.keep_artifacts {
        let _ = std::fs::remove_dir_all(&dir);
        report.artifacts = None;
    }
    Ok(report)
}

async fn execute(
    s: &Scenario,
    base: &Path,
    kind: DutKind,
    dir: &Path,
    opts: &RunOptions,
    events: &mut dyn Reporter,
) -> Result<RunReport, RunError> {
    let env = RunError::Environment;
    let setup = Instant::now();
    let plan = plan::plan(s, kind, &dir.join("dut")).map_err(env)?;
    let topo = Topology::build(&plan.nodes, plan.links.clone()).map_err(|e| env(e.to_string()))?;
    let mut report = RunReport::new(s, kind);
    let dut = match &plan.dut {
        Some(p) => {
            let d = Dut::start(p.clone(), topo.node(0), Duration::from_secs(30))
                .map_err(|e| env(e.to_string()))?;
            report.dut = Some(d.info());
            Some(d)
        }
        None => None,
    };
    let watch = if plan.dut_ifaces.is_empty() {
        None
    } else {
        let cfg = monitor_config(s, &plan).map_err(env)?;
        Some(
            watch::Watch::start(
                topo.node(0).path(),
                &plan.dut_ifaces,
                &cfg,
                true,
                Some(dir.join("capture.pcap")),
            )
            .map_err(|e| env(format!("wire monitor: {e}")))?,
        )
    };
    let mut sessions = BTreeMap::new();
    for sp in &plan.speakers {
        let mut cfg = sp.session.clone();
        cfg.netns = Some(topo.node(sp.node).path());
        let sess = Session::start(cfg).map_err(|e| env(format!("speaker {}: {e}", sp.name)))?;
        sessions.insert(sp.name.clone(), sess);
    }
    let mut r = Runner {
        scenario: s,
        base,
        kind,
        plan,
        topo,
        dut,
        sessions,
        injectors: BTreeMap::new(),
        watch,
        named: BTreeMap::new(),
        marks: BTreeMap::new(),
        snapshot_dir: opts.snapshots.clone(),
        sent: 0,
        sender_rate: None,
        settle_target: 0,
    };
    report.setup = setup.elapsed();
    let mut failed = false;
    for (i, step) in s.steps.iter().enumerate() {
        let t = Instant::now();
        let (status, detail) = if failed {
            (StepStatus::Skipped, "an earlier step failed".to_string())
        } else {
            match r.step(step).await {
                Ok(d) => (StepStatus::Passed, d),
                Err(d) => {
                    failed = true;
                    (StepStatus::Failed, d)
                }
            }
        };
        let sr =
            StepReport { index: i, name: step_name(step), status, detail, duration: t.elapsed() };
        events.event(&RunEvent::StepFinished { step: &sr, total: s.steps.len() });
        report.steps.push(sr);
    }
    if failed && opts.keep_on_failure {
        r.pause_for_inspection();
    }
    let teardown = Instant::now();
    report.sender_rate = r.sender_rate;
    r.finish(&mut report, dir).await;
    report.teardown = teardown.elapsed();
    Ok(report)
}

/// The name a step is reported under: its own, or what it does in a few words.
pub fn step_name(step: &Step) -> String {
    if let Some(n) = &step.name {
        return n.clone();
    }
    let v = serde_json::to_value(step).unwrap_or_default();
    let Some((k, v)) = v.as_object().and_then(|o| o.iter().next()) else { return "step".into() };
    let text = compact(v);
    let text: String = text.chars().take(80).collect();
    format!("{k} {text}")
}

/// `{at: down, routes: 10000}` without the absent fields.
fn compact(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Object(o) => {
            let parts: Vec<String> = o
                .iter()
                // Absent, empty, false and zero fields say nothing.
                .filter(|(_, v)| {
                    !(v.is_null()
                        || **v == Value::Bool(false)
                        || v.as_array().is_some_and(|a| a.is_empty())
                        || v.as_u64() == Some(0))
                })
                .map(|(k, v)| format!("{k}: {}", compact(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(compact).collect::<Vec<_>>().join(", ")),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Runner<'_> {
    async fn step(&mut self, step: &Step) -> steps::Outcome {
        let action = step.announce.is_some()
            || step.storm.is_some()
            || step.withdraw.is_some()
            || step.flap.is_some()
            || step.churn.is_some()
            || step.replay.is_some();
        if !action {
            return self.act(step).await;
        }
        // Let the monitor take in the DUT's answers to the last action first (the capture may
        // lag behind the speakers), so they are not closed as unanswered by the new phase.
        if self.settle_target > 0 {
            self.settle(tokio::time::Instant::now() + std::time::Duration::from_secs(3)).await;
        }
        // A new phase: what the DUT must answer from here on is what this step sends.
        let base = match &self.watch {
            Some(w) => {
                let mut e = w.shared.engine();
                e.convergence_mut().phase();
                e.convergence().triggers()
            }
            None => 0,
        };
        self.sent = 0;
        let r = self.act(step).await;
        self.settle_target = base + self.sent;
        r
    }

    /// Waits (up to `deadline`) until the DUT has answered the last action.
    pub(crate) async fn settle(&self, deadline: tokio::time::Instant) -> bool {
        match &self.watch {
            Some(w) => w.settle(self.settle_target, deadline).await,
            None => true,
        }
    }

    async fn act(&mut self, step: &Step) -> steps::Outcome {
        if let Some(w) = &step.wait {
            return self.wait(w).await;
        }
        if let Some(a) = &step.announce {
            return self.announce(a, false).await;
        }
        if let Some(a) = &step.storm {
            return self.announce(a, true).await;
        }
        if let Some(w) = &step.withdraw {
            return self.withdraw(&w.from, &w.prefixes, w.path_id).await;
        }
        if let Some(f) = &step.flap {
            return self.flap(f).await;
        }
        if let Some(c) = &step.churn {
            return self.churn(c).await;
        }
        if let Some(r) = &step.replay {
            return self.replay(r).await;
        }
        if let Some(n) = &step.reset {
            return self.reset(n).await;
        }
        if let Some(l) = &step.link {
            return self.link(&l.speaker, l.up);
        }
        if let Some(i) = &step.impair {
            return self.impair(i);
        }
        match &step.restart {
            Some(Restart::Speaker(r)) => return self.restart_speaker(r).await,
            Some(Restart::Keyword(_)) => return self.restart_dut(),
            None => {}
        }
        if let Some(r) = &step.refresh {
            return self.refresh(r).await;
        }
        if let Some(n) = &step.end_of_rib {
            return self.end_of_rib(n).await;
        }
        if let Some(r) = &step.send_raw {
            return self.send_raw(r).await;
        }
        if let Some(name) = &step.snapshot {
            self.settle(tokio::time::Instant::now() + steps::DEFAULT_WAIT).await;
            return Ok(self.take_snapshot(name));
        }
        if let Some(e) = &step.expect {
            return self.expect(e).await;
        }
        Err("a step without an action (the validator should have caught this)".into())
    }

    /// Prints how to enter the namespaces and waits for Enter (only on a terminal).
    fn pause_for_inspection(&self) {
        use std::io::IsTerminal;
        if !std::io::stdin().is_terminal() {
            println!("        --keep-on-failure: stdin is not a terminal, tearing down");
            return;
        }
        println!(
            "        kept for inspection (everything goes away when you press Enter or the harness ends):"
        );
        for (i, name) in self.plan.nodes.iter().enumerate() {
            println!("          {name}: nsenter --net={} bash", self.topo.node(i).path().display());
        }
        if let Some(d) = &self.dut {
            println!("          DUT configuration and logs: {}", d.dir().display());
        }
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }

    fn take_snapshot(&mut self, name: &str) -> String {
        let ribs: BTreeMap<String, Vec<String>> = self
            .sessions
            .iter()
            .map(|(n, s)| (n.clone(), expect::rib_lines(&s.rib_in().snapshot())))
            .collect();
        let total: usize = ribs.values().map(Vec::len).sum();
        self.named.insert(name.to_string(), ribs);
        let marks = self.sessions.iter().map(|(n, s)| (n.clone(), expect::Mark::of(s))).collect();
        self.marks.insert(name.to_string(), marks);
        // Convergence budgets count from here.
        if let Some(w) = &self.watch {
            w.shared.engine().convergence_mut().reset();
        }
        format!("snapshot {name}: {total} routes across {} speakers", self.sessions.len())
    }

    async fn finish(&mut self, report: &mut RunReport, dir: &Path) {
        for (_, s) in std::mem::take(&mut self.sessions) {
            s.stop(Duration::from_secs(1)).await;
        }
        if let Some(w) = &mut self.watch {
            let log = w.log();
            let _ = std::fs::write(dir.join("monitor-events.jsonl"), log.join("\n"));
            match w.stop().await {
                Ok(t) => report.monitor = Some(t),
                Err(e) => report.notes.push(e),
            }
            let e = w.shared.engine();
            report.convergence = Some(e.convergence().summary());
            let events: Vec<String> =
                e.events().map(|ev| serde_json::to_string(ev).unwrap_or_default()).collect();
            let _ = std::fs::write(dir.join("monitor-alerts.jsonl"), events.join("\n"));
        }
        if let Some(d) = &mut self.dut {
            report.dut_usage = Some(d.usage());
            let errors = d.log_errors();
            if !errors.is_empty() {
                report.notes.push(format!(
                    "DUT logged {} error line(s), first: {}",
                    errors.len(),
                    errors[0]
                ));
            }
            d.stop(Duration::from_secs(5));
        }
    }
}
