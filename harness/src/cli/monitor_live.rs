//! `bgpstorm monitor --iface IF... [--netns NS]`: the live wire monitor. The eBPF capture on
//! the interfaces feeds the engine; the REST API and `/metrics` serve its state until SIGINT
//! or SIGTERM (or `--for` runs out); the final state is printed at the end.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bgpstorm_monitor::api;
use bgpstorm_monitor::capture::live::{LiveCapture, LiveConfig, Netns};
use bgpstorm_monitor::engine::{Engine, EngineHandle, MonitorConfig, drive_live};
use bgpstorm_monitor::stream::{DecodeOptions, DecodeStats, LiveStream};

use super::exit;
use super::monitor_report::{json_report, text_report};

/// Options of the live monitor.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Namespace: a name under /run/netns, or a path such as /proc/PID/ns/net.
    pub netns: Option<String>,
    /// Interfaces to watch.
    pub ifaces: Vec<String>,
    /// API address.
    pub listen: SocketAddr,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// BGP ports.
    pub ports: Vec<u16>,
    /// Print the final state as JSON.
    pub json: bool,
}

fn netns(spec: &Option<String>) -> std::io::Result<Netns> {
    match spec {
        None => Ok(Netns::current()),
        Some(s) if s.contains('/') => Netns::open(&PathBuf::from(s)),
        Some(s) => Netns::named(s),
    }
}

/// Runs the live monitor.
pub fn main(o: &LiveOptions, config: MonitorConfig) -> ExitCode {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!(
            "bgpstorm monitor: live capture needs root (eBPF, TC): run it with sudo, or give --pcap FILE"
        );
        return exit::code(exit::ENVIRONMENT);
    }
    let handle = match Engine::new(&config) {
        Ok(e) => EngineHandle::new(e),
        Err(e) => {
            eprintln!("bgpstorm monitor: {e}");
            return exit::code(exit::USAGE);
        }
    };
    let rt =
        match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("bgpstorm monitor: tokio runtime: {e}");
                return exit::code(exit::ENVIRONMENT);
            }
        };
    match rt.block_on(run(o, handle.clone())) {
        Ok(lost) => {
            let report = {
                let e = handle.engine();
                // The capture counters are printed apart, below.
                let none = DecodeStats::default();
                if o.json { json_report(&e, &none) } else { text_report(&e, &none) }
            };
            print!("{report}");
            let cap = handle.capture();
            eprintln!("bgpstorm monitor: {} capture records, {} lost", cap.events, cap.drops);
            exit::code(if lost { exit::FAILED } else { exit::SUCCESS })
        }
        Err(e) => {
            eprintln!("bgpstorm monitor: {e}");
            exit::code(exit::ENVIRONMENT)
        }
    }
}

/// Captures until interrupted; returns whether anything was lost.
async fn run(o: &LiveOptions, handle: EngineHandle) -> Result<bool, String> {
    let names: Vec<&str> = o.ifaces.iter().map(String::as_str).collect();
    let cfg = LiveConfig { ports: o.ports.clone(), ..LiveConfig::default() };
    let ns = netns(&o.netns).map_err(|e| e.to_string())?;
    let capture = LiveCapture::open(&ns, &names, &cfg)
        .map_err(|e| format!("{} on {}: {e}", names.join(","), ns.name()))?;
    let listener = api::bind(o.listen).await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!(
        "bgpstorm monitor: watching {} in {}; serving http://{addr}/api/v1/routes?prefix=... and /metrics",
        names.join(", "),
        ns.name()
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = {
        let handle = handle.clone();
        let mut rx = stop_rx.clone();
        tokio::spawn(api::serve(listener, handle, async move {
            let _ = rx.wait_for(|s| *s).await;
        }))
    };
    let stream = LiveStream::new(
        capture,
        DecodeOptions { ports: o.ports.clone(), ..DecodeOptions::default() },
    );
    let result = drive_live(stream, &handle, stop_signal(o.duration), |_| {}).await;
    let _ = stop_tx.send(true);
    let _ = server.await;
    let (live, decode) = result.map_err(|e| e.to_string())?;
    Ok(live.drops() > 0 || decode.anything_lost())
}

/// Completes on SIGINT or SIGTERM, or after `duration` when given.
pub async fn stop_signal(duration: Option<Duration>) {
    use tokio::signal::unix::{SignalKind, signal};
    let timer = async {
        match duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending::<()>().await,
        }
    };
    match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
                _ = timer => {}
            }
        }
        _ => timer.await,
    }
}
