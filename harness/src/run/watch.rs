//! The wire monitor of a run: the eBPF capture on the DUT's interfaces feeding the monitor
//! engine on a task, with a change counter that steps wait on (event-driven checks).

use std::path::PathBuf;

use bgpstorm_monitor::api::{CaptureCounters, Shared};
use bgpstorm_monitor::capture::live::{
    LiveCapture, LiveConfig, LiveError, LiveStats, Netns as LiveNetns,
};
use bgpstorm_monitor::engine::{Engine, MonitorConfig};
use bgpstorm_monitor::stream::{DecodeOptions, DecodeStats, LiveStream, StreamItem};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// A running monitor.
pub struct Watch {
    /// The engine and capture counters (also what the REST API would serve).
    pub shared: Shared,
    changed: watch::Receiver<u64>,
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
    ) -> Result<Self, String> {
        let engine = Engine::new(config).map_err(|e| e.to_string())?;
        let names: Vec<&str> = ifaces.iter().map(String::as_str).collect();
        let capture = LiveCapture::open(&LiveNetns::Path(netns), &names, &LiveConfig::default())
            .map_err(|e| e.to_string())?;
        let mut stream = LiveStream::new(capture, DecodeOptions::default());
        let shared = Shared::new(engine);
        let (tx, changed) = watch::channel(0u64);
        let (stop, mut stop_rx) = oneshot::channel::<()>();
        let log = keep_log.then(std::sync::Arc::default);
        let (s, l) = (shared.clone(), log.clone());
        let task = tokio::spawn(async move {
            let mut items = Vec::new();
            loop {
                tokio::select! {
                    r = stream.next_items(&mut items) => { r?; }
                    _ = &mut stop_rx => break,
                }
                feed(&s, &l, &mut items);
                if let Ok((live, _)) = stream.stats() {
                    publish(&s, &live);
                }
                tx.send_modify(|n| *n += 1);
            }
            stream.finish(&mut items);
            feed(&s, &l, &mut items);
            let (live, decode) = stream.stats()?;
            publish(&s, &live);
            tx.send_modify(|n| *n += 1);
            Ok((live, decode))
        });
        Ok(Self { shared, changed, stop: Some(stop), task: Some(task), log })
    }

    /// Waits until `done` holds for the engine, or the deadline passes. Woken by every batch
    /// the capture delivers. Returns whether it held.
    pub async fn wait_for(
        &self,
        deadline: tokio::time::Instant,
        mut done: impl FnMut(&Engine) -> bool,
    ) -> bool {
        let mut rx = self.changed.clone();
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

fn feed(
    s: &Shared,
    log: &Option<std::sync::Arc<std::sync::Mutex<Vec<String>>>>,
    items: &mut Vec<StreamItem>,
) {
    if items.is_empty() {
        return;
    }
    let mut e = s.engine();
    for it in items.iter() {
        e.push(it);
    }
    drop(e);
    if let Some(l) = log {
        let mut l = l.lock().unwrap_or_else(|p| p.into_inner());
        for it in items.iter() {
            l.push(describe(it));
        }
    }
    items.clear();
}

fn describe(it: &StreamItem) -> String {
    let v = match it {
        StreamItem::Message(m) => serde_json::json!({
            "ts_ns": m.ts_ns, "flow": m.flow, "offset": m.offset,
            "message": m.message.as_ref().ok(), "error": m.message.as_ref().err().map(|e| e.to_string()),
        }),
        StreamItem::Opened { flow, ts_ns, syn } => {
            serde_json::json!({"ts_ns": ts_ns, "flow": flow, "opened": {"syn": syn}})
        }
        StreamItem::Closed { flow, ts_ns, reason, unfinished } => {
            serde_json::json!({"ts_ns": ts_ns, "flow": flow, "closed": {"reason": reason, "unfinished": unfinished}})
        }
        StreamItem::Gap { flow, ts_ns, len, cause, .. } => {
            serde_json::json!({"ts_ns": ts_ns, "flow": flow, "gap": {"bytes": len, "cause": cause}})
        }
        StreamItem::Resync { flow, ts_ns, dropped, .. } => {
            serde_json::json!({"ts_ns": ts_ns, "flow": flow, "resync": {"dropped": dropped}})
        }
        StreamItem::CaptureError(e) => serde_json::json!({"capture_error": e.to_string()}),
    };
    v.to_string()
}

fn publish(s: &Shared, live: &LiveStats) {
    *s.capture.lock().unwrap_or_else(|p| p.into_inner()) =
        CaptureCounters { events: live.records_read, drops: live.drops() };
}
