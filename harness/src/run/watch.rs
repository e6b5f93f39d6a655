//! The wire monitor of a run: the eBPF capture on the DUT's interfaces feeding the monitor
//! engine on a task (the monitor crate's drive loop, as `bgpstorm monitor` uses it); steps
//! wait on the engine handle's change counter (event-driven checks).

use std::path::PathBuf;

use bgpstorm_monitor::capture::live::{
    LiveCapture, LiveConfig, LiveError, LiveStats, Netns as LiveNetns,
};
use bgpstorm_monitor::engine::{Engine, EngineHandle, MonitorConfig, drive_live};
use bgpstorm_monitor::stream::{DecodeOptions, DecodeStats, LiveStream, StreamItem};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running monitor.
pub struct Watch {
    /// The engine and capture counters (also what the REST API would serve).
    pub shared: EngineHandle,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(LiveStats, DecodeStats), LiveError>>>,
    /// Every stream item, when the run records its event log.
    log: Option<std::sync::Arc<std::sync::Mutex<Vec<String>>>>,
}

/// What the monitor saw, at the end.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct WatchTotals {
    /// Capture counters.
    pub capture: LiveStats,
    /// Reassembly and decoding counters.
    pub decode: DecodeStats,
}

impl Watch {
    /// Attaches to `ifaces` in the namespace at `netns` and starts the engine.
    pub fn start(
        netns: PathBuf,
        ifaces: &[String],
        config: &MonitorConfig,
        keep_log: bool,
        pcap: Option<PathBuf>,
    ) -> Result<Self, String> {
        let engine = Engine::new(config).map_err(|e| e.to_string())?;
        let names: Vec<&str> = ifaces.iter().map(String::as_str).collect();
        let ns = LiveNetns::open(&netns).map_err(|e| e.to_string())?;
        let capture =
            LiveCapture::open(&ns, &names, &LiveConfig::default()).map_err(|e| e.to_string())?;
        let mut stream = LiveStream::new(capture, DecodeOptions::default());
        if let Some(path) = pcap {
            let file =
                std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let offset = realtime_ns() as i128 - monotonic_ns() as i128;
            let mut w = bgpstorm_monitor::capture::writer::PcapWriter::new(
                std::io::BufWriter::new(file),
                offset,
            )
            .map_err(|e| format!("{}: {e}", path.display()))?;
            // A write error stops the pcap, not the run (the monitor does not depend on it).
            let mut failed = false;
            stream.set_tap(Box::new(move |ev| {
                if !failed && w.write(ev).is_err() {
                    failed = true;
                }
            }));
        }
        let shared = EngineHandle::new(engine);
        let (stop, stop_rx) = oneshot::channel::<()>();
        let log = keep_log.then(std::sync::Arc::default);
        let (s, l) = (shared.clone(), log.clone());
        let task = tokio::spawn(async move {
            let stopped = async move {
                let _ = stop_rx.await;
            };
            drive_live(stream, &s, stopped, |items| record(&l, items)).await
        });
        Ok(Self { shared, stop: Some(stop), task: Some(task), log })
    }

    /// Waits until `done` holds for the engine, or the deadline passes. Woken by every batch
    /// the capture delivers. Returns whether it held.
    pub async fn wait_for(
        &self,
        deadline: tokio::time::Instant,
        mut done: impl FnMut(&Engine) -> bool,
    ) -> bool {
        let mut rx = self.shared.subscribe();
        loop {
            if done(&self.shared.engine()) {
                return true;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => continue,
                // Deadline, or the monitor task ended: one last look.
                _ => return done(&self.shared.engine()),
            }
        }
    }

    /// Waits until the monitor has seen at least `triggers` ingress prefix changes and the
    /// DUT has answered every one of them, or has sent nothing for `QUIET` after answering
    /// some (a change to a path it does not prefer gets no answer), or for `QUIET_SILENT`
    /// when it has answered nothing of the phase yet (FRR batches its first answer for a
    /// second: its update-group coalesce time), or the deadline passes. Returns whether it
    /// settled.
    pub async fn settle(&self, triggers: u64, deadline: tokio::time::Instant) -> bool {
        // After the answer to every change, a daemon may still send more (a withdrawal and
        // then the new best path); the last UPDATE out ends convergence.
        const QUIET_ANSWERED: std::time::Duration = std::time::Duration::from_millis(250);
        const QUIET: std::time::Duration = std::time::Duration::from_secs(1);
        const QUIET_SILENT: std::time::Duration = std::time::Duration::from_secs(3);
        let mut rx = self.shared.subscribe();
        loop {
            let (seen, pending, answers, last) = {
                let e = self.shared.engine();
                let c = e.convergence();
                (c.triggers(), c.pending(), c.phase_answers(), e.last_ns())
            };
            let quiet = monotonic_ns().saturating_sub(last);
            let answered = pending == 0 && quiet >= QUIET_ANSWERED.as_nanos() as u64;
            let enough = if answers > 0 || pending == 0 { QUIET } else { QUIET_SILENT };
            if seen >= triggers && (answered || quiet >= enough.as_nanos() as u64) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            let wake =
                deadline.min(tokio::time::Instant::now() + std::time::Duration::from_millis(100));
            let _ = tokio::time::timeout_at(wake, rx.changed()).await;
        }
    }

    /// Stops the capture, decodes what is left and returns the totals.
    pub async fn stop(&mut self) -> Result<WatchTotals, String> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let Some(task) = self.task.take() else { return Err("monitor already stopped".into()) };
        match task.await {
            Ok(Ok((capture, decode))) => Ok(WatchTotals { capture, decode }),
            Ok(Err(e)) => Err(format!("monitor capture failed: {e}")),
            Err(e) => Err(format!("monitor task failed: {e}")),
        }
    }

    /// The recorded event log (JSON lines), if kept.
    pub fn log(&self) -> Vec<String> {
        self.log
            .as_ref()
            .map(|l| l.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .unwrap_or_default()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

/// Appends a batch the engine has taken to the run's event log, if kept.
fn record(log: &Option<std::sync::Arc<std::sync::Mutex<Vec<String>>>>, items: &[StreamItem]) {
    if let Some(l) = log {
        // The same JSON lines as `bgpstorm decode --format jsonl` writes for a capture.
        let mut l = l.lock().unwrap_or_else(|p| p.into_inner());
        for it in items.iter() {
            let mut line = Vec::new();
            if crate::decode::jsonl::write_captured(&mut line, "live", it).is_ok() {
                l.push(String::from_utf8_lossy(line.trim_ascii_end()).into_owned());
            }
        }
    }
}

/// CLOCK_MONOTONIC in ns: the clock of the kernel's capture timestamps (bpf_ktime_get_ns).
fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Unix time in ns.
fn realtime_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}
