//! `bgpstorm monitor --iface IF... [--netns NS]`: the live wire monitor. The eBPF capture on
//! the interfaces feeds the engine; the REST API and `/metrics` serve its state until SIGINT
//! or SIGTERM (or `--for` runs out); the final state is printed at the end.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bgpstorm_monitor::api::{self, Shared};
use bgpstorm_monitor::capture::live::{LiveCapture, LiveConfig, Netns};
use bgpstorm_monitor::engine::{Engine, MonitorConfig};
use bgpstorm_monitor::stream::{DecodeOptions, LiveStream};

use crate::monitor_cmd::exit;

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
        return ExitCode::from(exit::ENVIRONMENT);
    }
    let engine = match Engine::new(&config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("bgpstorm monitor: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let rt =
        match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("bgpstorm monitor: tokio runtime: {e}");
                return ExitCode::from(exit::ENVIRONMENT);
            }
        };
    let shared = Shared::new(engine);
    let result = rt.block_on(run(o, shared.clone()));
    match result {
        Ok(lost) => {
            let e = shared.engine();
            let report = if o.json {
                crate::monitor_cmd::json_state(&e)
            } else {
                crate::monitor_cmd::text_state(&e)
            };
            print!("{report}");
            let cap = *shared.capture.lock().unwrap_or_else(|p| p.into_inner());
            eprintln!("bgpstorm monitor: {} capture records, {} lost", cap.events, cap.drops);
            if lost { ExitCode::from(exit::DATA) } else { ExitCode::SUCCESS }
        }
        Err(e) => {
            eprintln!("bgpstorm monitor: {e}");
            ExitCode::from(exit::ENVIRONMENT)
        }
    }
}

/// Captures until interrupted; returns whether anything was lost.
async fn run(o: &LiveOptions, shared: Shared) -> Result<bool, String> {
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
        let shared = shared.clone();
        let mut rx = stop_rx.clone();
        tokio::spawn(api::serve(listener, shared, async move {
            let _ = rx.wait_for(|s| *s).await;
        }))
    };
    let mut stream = LiveStream::new(
        capture,
        DecodeOptions { ports: o.ports.clone(), ..DecodeOptions::default() },
    );
    let mut items = Vec::new();
    let stop = stop_signal(o.duration);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            r = stream.next_items(&mut items) => { r.map_err(|e| e.to_string())?; }
            _ = &mut stop => break,
        }
        shared.push_all(&items);
        items.clear();
        if let Ok((live, _)) = stream.stats() {
            shared.set_capture(&live);
        }
    }
    stream.finish(&mut items);
    shared.push_all(&items);
    let (live, decode) = stream.stats().map_err(|e| e.to_string())?;
    shared.set_capture(&live);
    let _ = stop_tx.send(true);
    let _ = server.await;
    Ok(live.drops() > 0 || decode.anything_lost())
}

async fn stop_signal(duration: Option<Duration>) {
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
