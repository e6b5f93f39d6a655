//! `bgpstorm run`: build the scenario's network, start the DUT and the speakers, watch the
//! DUT's interfaces with the eBPF monitor, execute the steps, report, tear everything down.
//!
//! Everything a run creates is owned by values dropped at its end (namespaces held by
//! descriptors, daemons with a parent-death signal, TCX links owned by the capture), so
//! nothing outlives it, also when it fails or the harness is killed.

mod error;
mod link;
mod messages;
mod plan;
mod restart;
mod routes;
mod session;
mod watch;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bgpstorm_monitor::engine::MonitorConfig;

use crate::check::outcome::{Mark, rib_lines};
use crate::dut::{Column, Dut, Installed, ResolveError, Source, Version};
use crate::interrupt;
use crate::report::{Reporter, RunEvent, SeenNotification};
use crate::scenario::Scenario;
use crate::scenario::model::{Action, DutKind, Step};
use crate::speaker::{Direction, Injector, Session};
use crate::topology::Topology;

pub use crate::report::{RunReport, StepReport, StepStatus};
pub use error::StepError;
pub use plan::{Plan, PlanError, plan};
pub(crate) use routes::{afi_safi, resolve};
pub(crate) use session::DEFAULT_WAIT;
pub(crate) use watch::Watch;
pub use watch::WatchTotals;

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Which installation of the run's daemon (its kind must be the run's): a root's or a
    /// user's build. `None`: the host's.
    pub dut: Option<Installed>,
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

/// The state of a run in progress (the checks in [`crate::check`] read it).
pub(crate) struct Runner<'a> {
    pub(crate) scenario: &'a Scenario,
    pub(crate) base: &'a Path,
    pub(crate) kind: DutKind,
    pub(crate) plan: Plan,
    pub(crate) topo: Topology,
    pub(crate) dut: Option<Dut>,
    pub(crate) sessions: BTreeMap<String, Session>,
    injectors: BTreeMap<String, Injector>,
    pub(crate) watch: Option<watch::Watch>,
    /// Named points in time: speaker → RIB lines.
    pub(crate) named: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Named points in time: speaker → what its session had received and been through.
    pub(crate) marks: BTreeMap<String, BTreeMap<String, Mark>>,
    pub(crate) snapshot_dir: PathBuf,
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
    let peer_of = |name: &str| plan.speakers.iter().find(|p| p.name == name).map(|p| p.v4);
    s.monitor.resolve(plan.dut_addresses.clone(), peer_of).map_err(|e| e.to_string())
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
    // Two installations of one daemon in one invocation get folders of their own.
    let release = match &opts.dut {
        Some(i) if i.source != Source::Host => format!("-{}", i.version),
        _ => String::new(),
    };
    let dir =
        opts.artifacts.join(format!("{}-{}{release}-{}", s.name, kind.name(), std::process::id()));
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
    let setup_started = Instant::now();
    let installed = opts.dut.as_ref().filter(|i| i.kind == kind);
    let mut report = RunReport::new(s, Column::of(kind, installed));
    let runner = match setup(s, base, kind, dir, opts, &mut report).await {
        Ok(r) => Some(r),
        // What a signal cut short is torn down already (dropped inside `setup`).
        Err(_) if interrupt::raised().is_some() => None,
        Err(e) => return Err(e),
    };
    report.setup = setup_started.elapsed();
    let Some(mut r) = runner else {
        report.interrupted = interrupt::raised().map(interrupt::Signal::name);
        let why = format!(
            "the run was interrupted ({}) during setup",
            report.interrupted.unwrap_or_default()
        );
        for (i, step) in s.steps.iter().enumerate() {
            let sr = step_report(i, step, StepStatus::Skipped, why.clone(), Duration::ZERO);
            finished(&mut report, events, s, sr);
        }
        return Ok(report);
    };
    let mut failed = false;
    for (i, step) in s.steps.iter().enumerate() {
        let t = Instant::now();
        let (status, detail) = if let Some(sig) = report.interrupted {
            (StepStatus::Skipped, format!("the run was interrupted ({sig})"))
        } else if failed {
            (StepStatus::Skipped, "an earlier step failed".to_string())
        } else {
            attempt(&mut r, step, &mut report).await
        };
        failed |= status == StepStatus::Failed;
        finished(&mut report, events, s, step_report(i, step, status, detail, t.elapsed()));
    }
    if failed && opts.keep_on_failure && report.interrupted.is_none() {
        r.pause_for_inspection().await;
    }
    let teardown = Instant::now();
    report.sender_rate = r.sender_rate;
    r.finish(&mut report, dir).await;
    report.teardown = teardown.elapsed();
    Ok(report)
}

/// Runs one step, unless a signal stops it first or meanwhile (then the run is marked
/// interrupted).
async fn attempt(r: &mut Runner<'_>, step: &Step, report: &mut RunReport) -> (StepStatus, String) {
    let t = Instant::now();
    // A signal that came before the step began interrupts it before it does anything.
    let outcome = tokio::select! {
        biased;
        sig = interrupt::wait() => Err(sig),
        o = r.step(step) => Ok(o),
    };
    match (outcome, interrupt::raised()) {
        (Ok(Ok(d)), _) => (StepStatus::Passed, d),
        // A step that failed once a signal arrived (a DUT start it cut short) was
        // interrupted, not wrong.
        (Err(sig), _) | (Ok(Err(_)), Some(sig)) => {
            report.interrupted = Some(sig.name());
            let after = t.elapsed().as_secs_f64();
            (StepStatus::Interrupted, format!("interrupted by {} after {after:.3}s", sig.name()))
        }
        (Ok(Err(e)), None) => (StepStatus::Failed, e.to_string()),
    }
}

fn step_report(
    index: usize,
    step: &Step,
    status: StepStatus,
    detail: String,
    duration: Duration,
) -> StepReport {
    StepReport { index, name: step.name.clone(), status, detail, duration }
}

/// Sends a finished step to the outputs and keeps it in the report.
fn finished(report: &mut RunReport, events: &mut dyn Reporter, s: &Scenario, step: StepReport) {
    events.event(&RunEvent::StepFinished { step: &step, total: s.steps.len() });
    report.steps.push(step);
}

/// Builds the network, starts the DUT, the wire monitor and the speakers. On an error,
/// everything built so far is dropped, hence torn down, before it returns.
async fn setup<'a>(
    s: &'a Scenario,
    base: &'a Path,
    kind: DutKind,
    dir: &Path,
    opts: &RunOptions,
    report: &mut RunReport,
) -> Result<Runner<'a>, RunError> {
    let env = RunError::Environment;
    let stopped = || match interrupt::raised() {
        Some(sig) => Err(env(format!("interrupted by {}", sig.name()))),
        None => Ok(()),
    };
    let mut plan = plan::plan(s, kind, &dir.join("dut")).map_err(|e| env(e.to_string()))?;
    if let Some(p) = &mut plan.dut {
        let installed = match &opts.dut {
            Some(i) if i.kind == kind => i.clone(),
            _ => match Installed::read(kind, Source::Host) {
                Ok(i) => i,
                // The daemon is there but its `--version` says nothing readable: it is
                // configured as the oldest version its driver knows, and the report gives the
                // version its control channel names once it runs.
                Err(e @ ResolveError::Unreadable { .. }) => {
                    tracing::warn!("{e}");
                    Installed {
                        kind,
                        version: String::new(),
                        source: Source::Host,
                        path: String::new(),
                    }
                }
                Err(e) => return Err(env(e.to_string())),
            },
        };
        report.column = Column::of(kind, Some(&installed));
        p.version = Version::parse(&installed.version);
        p.source = installed.source;
    }
    let topo = Topology::build(&plan.nodes, plan.links.clone()).map_err(|e| env(e.to_string()))?;
    stopped()?;
    let dut = match &plan.dut {
        Some(p) => {
            let d = Dut::start(p.clone(), topo.node(0), Duration::from_secs(30))
                .map_err(|e| env(e.to_string()))?;
            report.dut = Some(d.info());
            Some(d)
        }
        None => None,
    };
    stopped()?;
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
    Ok(Runner {
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
    })
}

impl Runner<'_> {
    async fn step(&mut self, step: &Step) -> routes::Outcome {
        if !step.action.sends_routes() {
            return self.act(&step.action).await;
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
        let r = self.act(&step.action).await;
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

    /// Does one action: the one place each kind of step is handled.
    async fn act(&mut self, action: &Action) -> routes::Outcome {
        match action {
            Action::Wait(w) => self.wait(w).await,
            Action::Announce(a) => self.announce(a, false).await,
            Action::Storm(a) => self.announce(a, true).await,
            Action::Withdraw(w) => self.withdraw(w).await,
            Action::Flap(f) => self.flap(f).await,
            Action::Churn(c) => self.churn(c).await,
            Action::Replay(r) => self.replay(r).await,
            Action::Reset(n) => self.reset(n).await,
            Action::Link(l) => self.link(l).await,
            Action::Impair(i) => self.impair(i),
            Action::RestartDut => self.restart_dut(),
            Action::RestartSpeaker(r) => self.restart_speaker(r).await,
            Action::Refresh(r) => self.refresh(r).await,
            Action::EndOfRib(n) => self.end_of_rib(n).await,
            Action::SendRaw(r) => self.send_raw(r).await,
            Action::Snapshot(name) => {
                self.settle(tokio::time::Instant::now() + DEFAULT_WAIT).await;
                Ok(self.take_snapshot(name))
            }
            Action::Expect(checks) => Ok(self.expect(checks).await?),
        }
    }

    /// Prints how to enter the namespaces and waits for Enter (only on a terminal), or for
    /// SIGINT / SIGTERM.
    async fn pause_for_inspection(&self) {
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
        // A thread of its own: a read of stdin cannot be cancelled, and the runtime must not
        // wait for it when a signal ends the pause.
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
            let _ = tx.send(());
        });
        tokio::select! {
            _ = rx => {}
            _ = interrupt::wait() => {}
        }
    }

    fn take_snapshot(&mut self, name: &str) -> String {
        let ribs: BTreeMap<String, Vec<String>> = self
            .sessions
            .iter()
            .map(|(n, s)| (n.clone(), rib_lines(&s.rib_in().snapshot())))
            .collect();
        let total: usize = ribs.values().map(Vec::len).sum();
        self.named.insert(name.to_string(), ribs);
        let marks = self.sessions.iter().map(|(n, s)| (n.clone(), Mark::of(s))).collect();
        self.marks.insert(name.to_string(), marks);
        // Convergence budgets count from here.
        if let Some(w) = &self.watch {
            w.shared.engine().convergence_mut().reset();
        }
        format!("snapshot {name}: {total} routes across {} speakers", self.sessions.len())
    }

    async fn finish(&mut self, report: &mut RunReport, dir: &Path) {
        // The convergence figures end with the steps. Closing the sessions below makes the DUT
        // withdraw the routes of the first speaker to close from the others: that answers the
        // teardown, not a step, and counted as the last answer to the prefixes' announcement
        // it made them look seconds slow. A scenario that ends without waiting for the DUT's
        // answers reports them as not converged.
        let convergence = self.watch.as_ref().map(|w| w.shared.engine().convergence().summary());
        for (name, s) in &self.sessions {
            for n in s.notifications() {
                report.notifications.push(SeenNotification {
                    speaker: name.clone(),
                    from_dut: n.direction == Direction::Received,
                    code: n.code,
                    subcode: n.subcode,
                    established: n.established,
                    text: n.to_string(),
                });
            }
        }
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
            report.convergence = convergence;
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
