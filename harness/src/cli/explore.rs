//! `bgpstorm explore [--seed S] [--cases N] [--time D] [--dut DUT,...] [--out DIR]
//! [--log FILE] [--write-only]`: cases generated from seeds S, S+1, …, each written as a
//! scenario whose `rib` checks are the reference model's prediction and run on each column
//! (a daemon and a version) with the ordinary runner; a line per run, a progress display on a
//! terminal, a summary (cases, runs, divergences, rates), each diverging case's scenario in
//! the output folder, where `bgpstorm run` reproduces it, and a line per run in the event log
//! ([`crate::explore::log`]). `--replay LOG [--line N]` runs the logged cases again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use super::exit;
use crate::dut::{DutSpec, RunOn, Want};
use crate::explore::case::Case;
use crate::explore::log::{self, Entry, Failure, Header, LogWriter, Outcome};
use crate::explore::oracle::{self, Divergence};
use crate::explore::{generator, render, shrink};
use crate::interrupt;
use crate::report::{ReportError, Reporter, RunEvent, RunReport, StepStatus};
use crate::run::{self, RunError, RunOptions};
use crate::scenario::{self, Scenario, model::DutKind};

mod progress;

use progress::{Progress, Tally};

/// Cases when neither --cases nor --time is given.
const DEFAULT_CASES: u64 = 10;

/// The longest --time (366 days), as for every duration option of bgpstorm: far past any
/// real exploration, short enough that no deadline computed from it can overflow.
const MAX_TIME: Duration = Duration::from_secs(366 * 24 * 60 * 60);

/// Options of `bgpstorm explore`.
#[derive(Clone, Debug, clap::Args)]
pub struct ExploreArgs {
    /// The first seed; case i uses seed + i. A seed always gives the same scenario.
    #[arg(long, default_value_t = 0, conflicts_with = "replay")]
    pub seed: u64,
    /// How many cases (at least 1; 10 when neither --cases nor --time is given).
    #[arg(long, conflicts_with = "replay")]
    pub cases: Option<u64>,
    /// Start no new case after this long (`30s`, `10m`, `2h`; more than 0, at most 366
    /// days); the case in progress finishes on every column. Without --cases the cases are
    /// unbounded; with it, whichever ends first.
    #[arg(long, value_name = "DURATION", value_parser = time)]
    pub time: Option<Duration>,
    /// Where to run each case, as for `bgpstorm run --dut`: `KIND` (the host's daemon),
    /// `KIND@VERSION` (e.g. bird@3.1.8, see `bgpstorm dut list`), `KIND=PATH` (a user's
    /// build) or `all`. Default: the host's bird; with --replay, each line's own column.
    #[arg(long = "dut", value_name = "DUT", value_delimiter = ',')]
    pub duts: Vec<DutSpec>,
    /// Where the scenarios of diverging cases are written (`explore-SEED.yaml`).
    #[arg(long, value_name = "DIR", default_value = "target/bgpstorm-explore")]
    pub out: PathBuf,
    /// The event log (NDJSON): a line saying how explore was called, then a line per case
    /// run, written as the run ends. Default: OUT/explore.ndjson (OUT/replay.ndjson with
    /// --replay).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Run the cases of an event log again (the logged cases, not their seeds), each on the
    /// column its line names, or on --dut.
    #[arg(long, value_name = "LOG")]
    pub replay: Option<PathBuf>,
    /// With --replay: only the case on this line of the log (the first case is line 2).
    #[arg(long, value_name = "N", requires = "replay")]
    pub line: Option<usize>,
    /// Write every case's scenario to --out and run nothing (no root needed).
    #[arg(long)]
    pub write_only: bool,
    /// Folder for each run's artifacts (kept for diverging runs).
    #[arg(long, value_name = "DIR", default_value = "target/bgpstorm-runs")]
    pub artifacts: PathBuf,
    /// Runs a divergence's shrinking may take (each reduction tried is one run); 0 shrinks
    /// nothing. The minimal case goes to --out as `explore-SEED-min-COLUMN.yaml`.
    #[arg(long, value_name = "N", default_value_t = 60, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub shrink_runs: u32,
    /// The longest a divergence's shrinking may take (no reduction starts after it; a
    /// human duration, at most 366 days).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = time)]
    pub shrink_time: Duration,
}

/// `--time`: a human duration, more than zero, at most [`MAX_TIME`].
fn time(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e}"))?;
    if d.is_zero() {
        return Err(format!("{s:?}: no case could start; give more than 0"));
    }
    if d > MAX_TIME {
        return Err(format!(
            "{s:?} is longer than the longest allowed, {}",
            humantime::format_duration(MAX_TIME)
        ));
    }
    Ok(d)
}

/// A reporter that keeps nothing: explore prints its own line per run.
struct Quiet;

impl Reporter for Quiet {
    fn event(&mut self, _: &RunEvent<'_>) {}

    fn finish(&mut self) -> Result<(), ReportError> {
        Ok(())
    }
}

/// Why a case gave no run report.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The case cannot be written as a valid scenario.
    #[error("{0}")]
    Render(String),
    /// The run could not start (root, daemon, kernel).
    #[error("{0}")]
    Environment(String),
}

/// The scenario of a case: its YAML text and the runner's model of it.
pub fn scenario_of(case: &Case) -> Result<(String, Scenario), CaseError> {
    let text = render::yaml(case, DutKind::Bird).map_err(|e| CaseError::Render(e.to_string()))?;
    let path = format!("{}.yaml", render::name(case));
    let s = scenario::parse(Path::new(&path), &text)
        .map_err(|e| CaseError::Render(format!("the generated scenario does not validate: {e}")))?;
    Ok((text, s))
}

/// Runs `case` once on `on` (its kind and installation replace the scenario's DUT) with the
/// ordinary runner and returns its report; a report with `interrupted` set is no result.
pub fn run_case(case: &Case, on: &RunOn, opts: &RunOptions) -> Result<RunReport, CaseError> {
    let (_, s) = scenario_of(case)?;
    run_scenario(&s, on, opts)
}

fn run_scenario(s: &Scenario, on: &RunOn, opts: &RunOptions) -> Result<RunReport, CaseError> {
    let opts = RunOptions { dut: on.1.clone(), ..opts.clone() };
    let path = PathBuf::from(format!("{}.yaml", s.name));
    run::run_with(s, &path, on.0.kind, &opts, &mut Quiet)
        .map_err(|RunError::Environment(why)| CaseError::Environment(why))
}

/// A case to run, and on which columns when not on the run's own.
struct Item {
    /// How lines name it: `seed 5`, or `line 3 (seed 5)` when replayed.
    label: String,
    case: Case,
    text: String,
    scenario: Scenario,
    columns: Option<Vec<RunOn>>,
}

/// Where the cases come from: seeds (a --cases limit or none), or a log's lines.
enum Source {
    Seeds { next: u64, left: Option<u64> },
    Logged(std::vec::IntoIter<Item>),
}

impl Source {
    /// The next case, or why a seed gives none.
    fn next(&mut self) -> Option<Result<Item, String>> {
        match self {
            Self::Logged(items) => items.next().map(Ok),
            Self::Seeds { next, left } => {
                if *left == Some(0) {
                    return None;
                }
                *left = left.map(|n| n - 1);
                let seed = *next;
                *next = next.wrapping_add(1);
                let item = generator::generate(seed).map_err(|e| e.to_string()).and_then(|case| {
                    let (text, scenario) =
                        scenario_of(&case).map_err(|e| format!("seed {seed}: {e}"))?;
                    Ok(Item { label: format!("seed {seed}"), case, text, scenario, columns: None })
                });
                Some(item)
            }
        }
    }

    /// How many cases in all, when known.
    fn total(&self, done: u64) -> Option<u64> {
        match self {
            Self::Seeds { left, .. } => left.map(|l| l + done),
            Self::Logged(items) => Some(items.len() as u64 + done),
        }
    }
}

/// Runs `bgpstorm explore`.
pub fn main(o: ExploreArgs) -> ExitCode {
    match explore(&o) {
        Ok(code) => code,
        Err((status, why)) => {
            eprintln!("bgpstorm explore: {why}");
            exit::code(status)
        }
    }
}

/// A status to exit with and why.
type Stop = (u8, String);

fn usage(why: impl std::fmt::Display) -> Stop {
    (exit::USAGE, why.to_string())
}

fn explore(o: &ExploreArgs) -> Result<ExitCode, Stop> {
    if o.cases == Some(0) {
        return Err(usage("--cases must be at least 1"));
    }
    if o.duts.iter().any(|d| d.kind == DutKind::None && d.want != Want::All) {
        return Err(usage("--dut none: explore needs a daemon under test"));
    }
    std::fs::create_dir_all(&o.out)
        .map_err(|e| usage(format!("--out {}: {e}", o.out.display())))?;
    let out = std::path::absolute(&o.out).unwrap_or(o.out.clone());
    let log_path = match (&o.log, &o.replay) {
        (Some(p), _) => std::path::absolute(p).unwrap_or(p.clone()),
        (None, None) => out.join("explore.ndjson"),
        (None, Some(_)) => out.join("replay.ndjson"),
    };
    let (mut source, header_columns) = match &o.replay {
        Some(replayed) => replay_source(o, replayed, &log_path)?,
        None => {
            let left = o.cases.or(if o.time.is_some() { None } else { Some(DEFAULT_CASES) });
            (Source::Seeds { next: o.seed, left }, Vec::new())
        }
    };
    let columns = if o.write_only { Vec::new() } else { columns(o)? };
    let header = header(o, &source, &columns, header_columns);
    let mut log = LogWriter::create(&log_path, &header).map_err(|e| usage(format!("--log {e}")))?;
    if o.write_only {
        return write_all(&mut source, &out, o.time, &mut log);
    }
    interrupt::install(
        "stopping explore; tearing down the run in progress",
        "the teardown goes on so that nothing is left behind",
    )
    .map_err(|e| (exit::ENVIRONMENT, format!("cannot handle SIGINT and SIGTERM: {e}")))?;
    let opts = RunOptions {
        dut: None,
        artifacts: std::path::absolute(&o.artifacts).unwrap_or(o.artifacts.clone()),
        keep_artifacts: false,
        snapshots: out.join("snapshots"),
        progress: false,
        keep_on_failure: false,
    };
    let mut x = Explorer {
        opts,
        out,
        columns,
        log,
        time: o.time,
        shrink_runs: o.shrink_runs,
        shrink_time: o.shrink_time,
        tally: Tally::new(),
        progress: Progress::new(),
    };
    let code = x.run(&mut source);
    x.progress.finish();
    Ok(code)
}

/// The log's first line: this invocation, its columns (or those a replayed log names).
fn header(o: &ExploreArgs, source: &Source, columns: &[RunOn], logged: Vec<String>) -> Header {
    Header {
        bgpstorm: env!("CARGO_PKG_VERSION").to_string(),
        started: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        seed: o.replay.is_none().then_some(o.seed),
        cases: match source {
            Source::Seeds { left, .. } => *left,
            Source::Logged(items) => Some(items.len() as u64),
        },
        time: o.time.map(|t| humantime::format_duration(t).to_string()),
        columns: if columns.is_empty() {
            logged
        } else {
            columns.iter().map(|(c, _)| c.name.clone()).collect()
        },
        replay: o.replay.as_ref().map(|p| p.display().to_string()),
        write_only: o.write_only,
    }
}

/// The columns of `--dut` (the host's bird without it, but nothing on a replay, whose lines
/// name their own).
fn columns(o: &ExploreArgs) -> Result<Vec<RunOn>, Stop> {
    if o.duts.is_empty() {
        if o.replay.is_some() {
            return Ok(Vec::new());
        }
        let host = crate::dut::for_run(&DutSpec::host(DutKind::Bird))
            .map_err(|e| (exit::ENVIRONMENT, format!("bird: {e}")))?;
        return Ok(vec![host]);
    }
    crate::dut::for_runs(&o.duts)
        .map_err(|(spec, e)| (exit::ENVIRONMENT, format!("--dut {spec}: {e}")))
}

/// The cases of the log `replayed` (each once, with the columns its lines name unless --dut
/// is given), and the columns the log names.
fn replay_source(
    o: &ExploreArgs,
    replayed: &Path,
    log_path: &Path,
) -> Result<(Source, Vec<String>), Stop> {
    let same = match (replayed.canonicalize(), log_path.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(usage(format!(
            "--log {} is the log --replay reads: give another --log",
            log_path.display()
        )));
    }
    let read = log::read(replayed).map_err(|e| usage(format!("--replay {e}")))?;
    let mut entries = read.entries;
    if let Some(n) = o.line {
        entries.retain(|(line, _)| *line == n);
        if entries.is_empty() {
            return Err(usage(format!(
                "--line {n}: {} has no case on line {n} (cases are on lines 2 and after)",
                replayed.display()
            )));
        }
    }
    let mut resolved: BTreeMap<String, RunOn> = BTreeMap::new();
    let mut items: Vec<Item> = Vec::new();
    let mut named: Vec<String> = Vec::new();
    for (line, e) in entries {
        let at = |why: String| format!("--replay {}:{line}: {why}", replayed.display());
        // A line without a column was only written: the host's bird runs it.
        let column = if o.write_only || !o.duts.is_empty() {
            None
        } else {
            let name = e.column.as_deref().unwrap_or("bird");
            Some(resolve_column(name, &mut resolved).map_err(|(s, w)| (s, at(w)))?)
        };
        if let Some(c) = &column
            && !named.contains(&c.0.name)
        {
            named.push(c.0.name.clone());
        }
        if let Some(it) = items.iter_mut().find(|it| it.case == e.case) {
            if let (Some(cols), Some(c)) = (&mut it.columns, column)
                && !cols.iter().any(|x| x.0.name == c.0.name)
            {
                cols.push(c);
            }
            continue;
        }
        let (text, scenario) = scenario_of(&e.case)
            .map_err(|why| usage(at(format!("the case cannot be written as a scenario: {why}"))))?;
        items.push(Item {
            label: format!("line {line} (seed {})", e.case.seed),
            case: e.case,
            text,
            scenario,
            columns: column.map(|c| vec![c]),
        });
    }
    Ok((Source::Logged(items.into_iter()), named))
}

/// The installation a logged column name picks (read once per name).
fn resolve_column(name: &str, resolved: &mut BTreeMap<String, RunOn>) -> Result<RunOn, Stop> {
    if let Some(on) = resolved.get(name) {
        return Ok(on.clone());
    }
    let spec: DutSpec = name.parse().map_err(|e| usage(format!("column {name:?}: {e}")))?;
    if spec.kind == DutKind::None {
        return Err(usage(format!("column {name:?}: explore needs a daemon under test")));
    }
    let on = crate::dut::for_run(&spec)
        .map_err(|e| (exit::ENVIRONMENT, format!("column {name}: {e}")))?;
    resolved.insert(name.to_string(), on.clone());
    Ok(on)
}

/// `--write-only`: every case's scenario in `out`, a log line each.
fn write_all(
    source: &mut Source,
    out: &Path,
    time: Option<Duration>,
    log: &mut LogWriter,
) -> Result<ExitCode, Stop> {
    let started = Instant::now();
    while time.is_none_or(|t| started.elapsed() < t) {
        let Some(item) = source.next() else { break };
        let item = item.map_err(|why| (exit::FAILED, why))?;
        let path = out.join(format!("{}.yaml", item.scenario.name));
        std::fs::write(&path, &item.text).map_err(|e| usage(format!("{}: {e}", path.display())))?;
        let entry = Entry {
            seed: item.case.seed,
            column: None,
            kind: None,
            version: None,
            result: Outcome::Written,
            failure: None,
            divergence: None,
            shrunk: false,
            secs: None,
            case: item.case,
        };
        log.write(&entry).map_err(|e| (exit::ENVIRONMENT, e.to_string()))?;
        println!("{}", path.display());
    }
    Ok(exit::code(exit::SUCCESS))
}

/// The state of an exploration that runs cases.
struct Explorer {
    opts: RunOptions,
    out: PathBuf,
    columns: Vec<RunOn>,
    log: LogWriter,
    time: Option<Duration>,
    shrink_runs: u32,
    shrink_time: Duration,
    tally: Tally,
    progress: Progress,
}

impl Explorer {
    /// Runs every case of `source` on its columns until the cases, the time or a signal end.
    fn run(&mut self, source: &mut Source) -> ExitCode {
        let stop = |x: &Self, code: u8, why: Option<String>| {
            x.progress.finish();
            println!("{}", x.tally.summary(why));
            exit::code(code)
        };
        loop {
            if let Some(t) = self.time
                && self.tally.started.elapsed() >= t
            {
                let why = format!("stopped on time (--time {})", humantime::format_duration(t));
                return stop(self, self.status(), Some(why));
            }
            let total = source.total(self.tally.cases);
            let Some(item) = source.next() else { break };
            let item = match item {
                Ok(i) => i,
                Err(why) => {
                    self.progress.finish();
                    eprintln!("bgpstorm explore: {why}");
                    return stop(self, exit::FAILED, None);
                }
            };
            match self.one_case(&item, total) {
                Ok(()) => self.tally.cases += 1,
                Err(Halt::Signal(sig)) => {
                    return stop(
                        self,
                        sig.exit_status(),
                        Some(format!("stopped by {}", sig.name())),
                    );
                }
                Err(Halt::Error(code, why)) => {
                    self.progress.finish();
                    eprintln!("bgpstorm explore: {why}");
                    return stop(self, code, None);
                }
            }
        }
        stop(self, self.status(), None)
    }

    fn status(&self) -> u8 {
        if self.tally.divergences > 0 { exit::FAILED } else { exit::SUCCESS }
    }

    /// Runs one case on each of its columns, judges each run by the oracles and compares the
    /// columns (the differential oracle); writes a diverging case's scenario to --out, and
    /// shrinks each distinct divergence to a minimal case.
    fn one_case(&mut self, item: &Item, total: Option<u64>) -> Result<(), Halt> {
        let columns = item.columns.clone().unwrap_or_else(|| self.columns.clone());
        let steps = raw_steps(&item.case);
        let mut notes = String::new();
        let n = self.tally.cases + 1;
        let head = match total {
            Some(t) => format!("[{n}/{t}] {}", item.label),
            None => format!("[{n}] {}", item.label),
        };
        let mut verdicts: Vec<(RunOn, Option<Divergence>)> = Vec::new();
        for on in &columns {
            if let Some(sig) = interrupt::raised() {
                return Err(Halt::Signal(sig));
            }
            let remaining = self.remaining(total);
            self.progress.show(&self.tally, remaining, &format!("{head} on {}", on.0.name));
            let t = Instant::now();
            // Artifacts are kept until the oracles have judged the run: a run can diverge with
            // every step passed (an unexplained NOTIFICATION), and its capture is the evidence.
            let keep = RunOptions { keep_artifacts: true, ..self.opts.clone() };
            let report = match run_scenario(&item.scenario, on, &keep) {
                Ok(r) => r,
                Err(e) => {
                    let why = format!("{} on {}: {e}", item.label, on.0.name);
                    return Err(Halt::Error(exit::ENVIRONMENT, why));
                }
            };
            if let Some(sig) = report.interrupted.and(interrupt::raised()) {
                return Err(Halt::Signal(sig));
            }
            let verdict = oracle::judge(&report, &steps);
            if verdict.is_none()
                && let Some(dir) = &report.artifacts
            {
                let _ = std::fs::remove_dir_all(dir);
            }
            let secs = t.elapsed().as_secs_f64();
            self.finished(item, on, &report, verdict.as_ref(), secs, &head, &mut notes)?;
            verdicts.push((on.clone(), verdict));
        }
        let named: Vec<(String, Option<Divergence>)> =
            verdicts.iter().map(|(on, v)| (on.0.name.clone(), v.clone())).collect();
        if let Some(diff) = oracle::differential(&named) {
            self.tally.differential += 1;
            self.progress.println(&format!("{head}: the daemons disagree (differential): {diff}"));
        }
        if self.shrink_runs == 0 {
            return Ok(());
        }
        let mut shrunk: Vec<String> = Vec::new();
        for (on, v) in &verdicts {
            let Some(d) = v else { continue };
            if shrunk.contains(&d.signature()) {
                continue;
            }
            shrunk.push(d.signature());
            self.shrink_one(item, on, d, &named, &head)?;
        }
        Ok(())
    }

    /// Counts, logs and prints a run of `item` on `on`; when it diverged, adds its note to
    /// `notes` and writes the case's scenario with them to --out (at once, so a signal during
    /// the next column loses nothing).
    #[allow(clippy::too_many_arguments)]
    fn finished(
        &mut self,
        item: &Item,
        on: &RunOn,
        report: &RunReport,
        verdict: Option<&Divergence>,
        secs: f64,
        head: &str,
        notes: &mut String,
    ) -> Result<(), Halt> {
        self.tally.ran(&on.0.name, secs, verdict.map(|d| d.oracle));
        let entry = Entry {
            seed: item.case.seed,
            column: Some(on.0.name.clone()),
            kind: Some(on.0.kind.name().to_string()),
            version: on.0.version.clone(),
            result: if verdict.is_none() { Outcome::Passed } else { Outcome::Diverged },
            failure: first_failure(report),
            divergence: verdict.map(Divergence::signature),
            shrunk: false,
            secs: Some(secs),
            case: item.case.clone(),
        };
        self.log.write(&entry).map_err(|e| Halt::Error(exit::ENVIRONMENT, e.to_string()))?;
        let head = format!("{head} on {}", on.0.name);
        let Some(d) = verdict else {
            let line = format!("{head}: agrees with the model ({secs:.1}s{})", slowest(report));
            self.progress.println(&line);
            return Ok(());
        };
        let evidence = report
            .artifacts
            .as_ref()
            .map_or(String::new(), |dir| format!(" (wire evidence: {}/)", dir.display()));
        *notes += &format!(
            "# bgpstorm explore: {} diverged on {} (bgpstorm run FILE --dut {}): {d}{evidence}\n",
            item.label, on.0.name, on.0.name
        );
        let path = self.out.join(format!("{}.yaml", item.scenario.name));
        std::fs::write(&path, format!("{notes}{}", item.text))
            .map_err(|e| Halt::Error(exit::ENVIRONMENT, format!("{}: {e}", path.display())))?;
        self.progress.println(&format!(
            "{head}: DIVERGES ({secs:.1}s): {d}\n    {}{evidence}",
            path.display()
        ));
        Ok(())
    }

    /// Shrinks the case of `item`, which diverged as `d` on `on`, to a minimal case that
    /// diverges the same way; runs it once more with its artifacts kept (the pcap of the
    /// DUT's interfaces, the DUT's log, the report) and writes it to --out as
    /// `explore-SEED-min-COLUMN.yaml`, with the divergence, the failed check (what the
    /// speaker held against the model's prediction), a first classification and where the
    /// evidence is.
    fn shrink_one(
        &mut self,
        item: &Item,
        on: &RunOn,
        d: &Divergence,
        verdicts: &[(String, Option<Divergence>)],
        head: &str,
    ) -> Result<(), Halt> {
        let sig = d.signature();
        let column = &on.0.name;
        let head = format!("{head} on {column}");
        self.progress
            .println(&format!("{head}: shrinking \"{sig}\" (at most {} runs)", self.shrink_runs));
        let started = Instant::now();
        let mut failed: Option<String> = None;
        // The candidates' artifacts go to a folder of their own: a candidate is named like the
        // case, and one that passes removes its folder, which would be the original run's.
        let opts =
            RunOptions { artifacts: self.opts.artifacts.join("shrink"), ..self.opts.clone() };
        let (tally, progress) = (&mut self.tally, &self.progress);
        let deadline = Some(started + self.shrink_time);
        let result = shrink::shrink(&item.case, self.shrink_runs, deadline, |cand| {
            if failed.is_some() || interrupt::raised().is_some() {
                return false;
            }
            progress.show(tally, None, &format!("{head}: shrinking, {} events", cand.events.len()));
            let t = Instant::now();
            match run_case(cand, on, &opts) {
                Ok(r) if r.interrupted.is_none() => {
                    let v = oracle::judge(&r, &raw_steps(cand));
                    tally.shrink_runs += 1;
                    tally.shrink_secs += t.elapsed().as_secs_f64();
                    v.is_some_and(|v| v.signature() == sig)
                }
                Ok(_) => false,
                Err(e) => {
                    failed = Some(e.to_string());
                    false
                }
            }
        });
        if let Some(s) = interrupt::raised() {
            return Err(Halt::Signal(s));
        }
        if let Some(why) = failed {
            return Err(Halt::Error(exit::ENVIRONMENT, format!("{head}: shrinking: {why}")));
        }
        // The minimal case once more, keeping its artifacts: the wire evidence.
        let slug: String = column
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' })
            .collect();
        let name = format!("{}-min-{slug}", render::name(&item.case));
        // Its artifacts in a folder of their own, `explore-SEED-min-KIND-PID` (short: the
        // DUT's control socket lives there).
        let keep = RunOptions { keep_artifacts: true, ..self.opts.clone() };
        let report = scenario_of(&result.case)
            .and_then(|(_, mut s)| {
                s.name = format!("{}-min", s.name);
                run_scenario(&s, on, &keep)
            })
            .map_err(|e| Halt::Error(exit::ENVIRONMENT, format!("{head}: {e}")))?;
        if let Some(s) = report.interrupted.and(interrupt::raised()) {
            return Err(Halt::Signal(s));
        }
        let again = oracle::judge(&report, &raw_steps(&result.case));
        let text = render::yaml(&result.case, DutKind::Bird)
            .map_err(|e| Halt::Error(exit::FAILED, format!("{head}: {e}")))?;
        let evidence = report
            .artifacts
            .as_ref()
            .map(|a| format!("{} (capture.pcap, result.json, the DUT's log)", a.display()))
            .unwrap_or_else(|| "none kept".into());
        let reproduced = match &again {
            Some(v) if v.signature() == sig => format!("diverges again: {}", v.detail),
            Some(v) => format!("diverged another way on the last run: {v}"),
            None => "did not diverge on the last run (timing-dependent?)".to_string(),
        };
        // Every column's verdict on the original case (the RIB differences are in each
        // failure's detail): what the differential oracle compared.
        let columns: String = verdicts
            .iter()
            .map(|(c, v)| match v {
                Some(v) => format!("#   {c}: {v}\n"),
                None => format!("#   {c}: agrees with the model\n"),
            })
            .collect();
        let header = format!(
            "# bgpstorm explore: the minimal case of {} ({} events and {} speakers, from {} and {}; {} runs, {} reductions kept{}, {:.0}s)\n\
             # Divergence on {column}: {sig}\n\
             # First classification: {}\n\
             # Reproduced: {reproduced}\n\
             # Wire evidence: {evidence}\n\
             # The model's prediction is each `rib` check below; `bgpstorm run FILE --dut {column}` reproduces it.\n\
             # The original case on each column:\n{columns}",
            item.label,
            result.case.events.len(),
            result.case.speakers.len(),
            item.case.events.len(),
            item.case.speakers.len(),
            result.runs,
            result.kept,
            if result.budget_spent { ", stopped by --shrink-runs or --shrink-time" } else { "" },
            started.elapsed().as_secs_f64(),
            oracle::classify(d, verdicts),
        );
        let path = self.out.join(format!("{name}.yaml"));
        std::fs::write(&path, format!("{header}{text}"))
            .map_err(|e| Halt::Error(exit::ENVIRONMENT, format!("{}: {e}", path.display())))?;
        let entry = Entry {
            seed: result.case.seed,
            column: Some(column.clone()),
            kind: Some(on.0.kind.name().to_string()),
            version: on.0.version.clone(),
            result: if again.is_some() { Outcome::Diverged } else { Outcome::Passed },
            failure: first_failure(&report),
            divergence: again.as_ref().map(Divergence::signature),
            shrunk: true,
            secs: Some(report.duration.as_secs_f64()),
            case: result.case.clone(),
        };
        self.log.write(&entry).map_err(|e| Halt::Error(exit::ENVIRONMENT, e.to_string()))?;
        self.tally.shrunk += 1;
        self.progress.println(&format!(
            "{head}: shrunk to {} events and {} speakers in {} runs ({:.0}s): {}\n    {}",
            result.case.events.len(),
            result.case.speakers.len(),
            result.runs,
            started.elapsed().as_secs_f64(),
            oracle::classify(d, verdicts),
            path.display()
        ));
        Ok(())
    }

    /// The time left: by --time, and by the cases left at the average pace so far.
    fn remaining(&self, total: Option<u64>) -> Option<Duration> {
        let elapsed = self.tally.started.elapsed();
        let by_time = self.time.map(|t| t.saturating_sub(elapsed));
        let done = self.tally.cases;
        let by_cases = total
            .filter(|_| done > 0)
            .map(|t| elapsed.mul_f64(t.saturating_sub(done) as f64 / done as f64));
        match (by_time, by_cases) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Why an exploration stops before its cases end.
enum Halt {
    Signal(interrupt::Signal),
    Error(u8, String),
}

/// The steps of a case's scenario as written (what the oracles tag).
fn raw_steps(case: &Case) -> Vec<crate::scenario::raw::Step> {
    render::scenario(case, DutKind::Bird).map(|s| s.steps).unwrap_or_default()
}

/// The first failed step of a run, as the log keeps it.
fn first_failure(report: &RunReport) -> Option<Failure> {
    report.steps.iter().find(|s| s.status == StepStatus::Failed).map(|s| Failure {
        step: s.index + 1,
        name: s.name.clone(),
        message: s.detail.clone(),
    })
}

/// Where the time of a run went: its slowest step (waits for sessions, mostly).
fn slowest(report: &RunReport) -> String {
    report
        .steps
        .iter()
        .max_by_key(|st| st.duration)
        .map(|st| {
            format!(
                "; slowest step {} ({}) {:.1}s",
                st.index + 1,
                st.name,
                st.duration.as_secs_f64()
            )
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_takes_human_durations_and_refuses_zero_and_absurd_ones() {
        assert_eq!(time("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(time("1h 30m").unwrap(), Duration::from_secs(5400));
        assert!(time("0s").unwrap_err().contains("more than 0"));
        assert!(time("400days").unwrap_err().contains("longest allowed"));
        assert!(time("ten minutes").is_err());
    }
}
