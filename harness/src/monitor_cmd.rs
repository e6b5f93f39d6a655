//! `bgpstorm monitor`: the passive route monitor.
//!
//! `--pcap FILE...` runs the same pipeline as the live capture over recorded traffic and
//! prints the final state (sessions, routes, alerts, convergence); with `--listen` it then
//! keeps serving the REST API and `/metrics` over that state until interrupted.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bgpstorm_monitor::api::{self, CaptureCounters, Shared};
use bgpstorm_monitor::engine::{Engine, Event, MonitorConfig};
use bgpstorm_monitor::stream::{DecodeOptions, DecodeStats, StreamItem, decode_pcap_with};

/// Options of `bgpstorm monitor`.
#[derive(Clone, Debug)]
pub struct Options {
    /// Capture files to replay through the monitor.
    pub pcaps: Vec<PathBuf>,
    /// Monitor configuration file (YAML).
    pub config: Option<PathBuf>,
    /// Address to serve the API on.
    pub listen: Option<SocketAddr>,
    /// Print the final state as JSON instead of text.
    pub json: bool,
    /// BGP ports.
    pub ports: Vec<u16>,
    /// Live capture: the namespace of the interfaces.
    pub netns: Option<String>,
    /// Live capture: the interfaces.
    pub ifaces: Vec<String>,
    /// Live capture: stop after this long.
    pub duration: Option<std::time::Duration>,
}

/// Exit codes shared by the commands: 0 fine, 1 something was malformed or lost, 2 usage or
/// input, 3 environment.
pub mod exit {
    /// Malformed input or lost data.
    pub const DATA: u8 = 1;
    /// Wrong usage, invalid configuration or unreadable file.
    pub const USAGE: u8 = 2;
    /// The environment cannot do it (not root, port taken, missing kernel feature).
    pub const ENVIRONMENT: u8 = 3;
}

/// Reads a monitor configuration file.
pub fn load_config(path: &Path) -> Result<MonitorConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let config: MonitorConfig =
        serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    config.validate().map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(config)
}

/// The command's entry point.
pub fn main(opts: &Options) -> ExitCode {
    let config = match &opts.config {
        Some(p) => match load_config(p) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("bgpstorm monitor: {e}");
                return ExitCode::from(exit::USAGE);
            }
        },
        None => MonitorConfig::default(),
    };
    if !opts.ifaces.is_empty() {
        if !opts.pcaps.is_empty() {
            eprintln!("bgpstorm monitor: give --pcap FILE... or --iface IF..., not both");
            return ExitCode::from(exit::USAGE);
        }
        let live = crate::monitor_live::LiveOptions {
            netns: opts.netns.clone(),
            ifaces: opts.ifaces.clone(),
            listen: opts.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9179))),
            duration: opts.duration,
            ports: opts.ports.clone(),
            json: opts.json,
        };
        return crate::monitor_live::main(&live, config);
    }
    if opts.pcaps.is_empty() {
        eprintln!(
            "bgpstorm monitor: give --iface IF... [--netns NS] for a live capture, or --pcap FILE..."
        );
        return ExitCode::from(exit::USAGE);
    }
    let mut engine = match Engine::new(&config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("bgpstorm monitor: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let mut stats = DecodeStats::default();
    let decode = DecodeOptions { ports: opts.ports.clone(), ..DecodeOptions::default() };
    for file in &opts.pcaps {
        let mut stream = match decode_pcap_with(file, decode.clone()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("bgpstorm monitor: {}: {e}", file.display());
                return ExitCode::from(exit::USAGE);
            }
        };
        for item in stream.by_ref() {
            if let StreamItem::CaptureError(e) = &item {
                eprintln!("bgpstorm monitor: {}: {e}", file.display());
            }
            engine.push(&item);
        }
        stats.merge(&stream.stats());
    }
    let lost = stats.anything_lost() || engine.counters().malformed > 0;
    let report =
        if opts.json { json_report(&engine, &stats) } else { text_report(&engine, &stats) };
    print!("{report}");
    if let Some(addr) = opts.listen {
        let shared = Shared::new(engine);
        *shared.capture.lock().unwrap_or_else(|p| p.into_inner()) =
            CaptureCounters { events: stats.capture.tcp_segments, drops: stats.capture_errors };
        if let Err(e) = serve_until_interrupted(addr, shared) {
            eprintln!("bgpstorm monitor: {e}");
            return ExitCode::from(exit::ENVIRONMENT);
        }
    }
    if lost { ExitCode::from(exit::DATA) } else { ExitCode::SUCCESS }
}

/// Serves the API on `addr` until SIGINT or SIGTERM. The bound address goes to stderr.
pub fn serve_until_interrupted(addr: SocketAddr, shared: Shared) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = api::bind(addr).await?;
        eprintln!(
            "bgpstorm monitor: serving http://{}/api/v1/routes?prefix=... and /metrics",
            listener.local_addr()?
        );
        api::serve(listener, shared, shutdown_signal()).await
    })
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        // Without signal handlers, serve until killed.
        _ => std::future::pending::<()>().await,
    }
}

/// The final state as JSON (live mode: the capture counters are printed apart).
pub fn json_state(engine: &Engine) -> String {
    json_report(engine, &DecodeStats::default())
}

/// The final state as text (live mode).
pub fn text_state(engine: &Engine) -> String {
    text_report(engine, &DecodeStats::default())
}

fn json_report(engine: &Engine, stats: &DecodeStats) -> String {
    let rib = engine.rib();
    let sessions: Vec<_> = engine.health().sessions().cloned().collect();
    let alerts: Vec<&Event> = engine
        .events()
        .filter(|e| matches!(e, Event::Flap(_) | Event::Community(_) | Event::Damping(_)))
        .collect();
    let v = serde_json::json!({
        "sessions": sessions,
        "adj_ribs_in": rib.sessions(),
        "rib": { "paths": rib.path_count(), "prefixes": rib.prefix_count(), "attribute_sets": rib.attr_set_count(), "hidden": rib.hidden_count() },
        "alerts": alerts,
        "convergence": engine.convergence().summary(),
        "counters": engine.counters(),
        "capture": stats,
    });
    format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
}

fn text_report(engine: &Engine, stats: &DecodeStats) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let rib = engine.rib();
    let _ = writeln!(s, "sessions");
    for h in engine.health().sessions() {
        let _ = writeln!(
            s,
            "  {} <-> {}  {:?}  established {}x, resets {}, notifications {}",
            h.peers.0,
            h.peers.1,
            h.state,
            h.establishments,
            h.resets,
            h.notifications.len()
        );
    }
    let _ = writeln!(s, "adj-ribs-in");
    for a in rib.sessions() {
        let asn = a.sender_asn.map_or("?".to_string(), |a| a.to_string());
        let _ = writeln!(s, "  {} -> {}  AS{asn}  {} paths", a.flow.src, a.flow.dst, a.paths);
    }
    let _ = writeln!(
        s,
        "rib              {} prefixes, {} paths, {} attribute sets, {} hidden",
        rib.prefix_count(),
        rib.path_count(),
        rib.attr_set_count(),
        rib.hidden_count()
    );
    let c = engine.counters();
    let _ = writeln!(s, "announced        {}", c.announced);
    let _ = writeln!(s, "withdrawn        {}", c.withdrawn);
    let _ = writeln!(
        s,
        "alerts           {} flap, {} community, {} suppressed",
        c.flap_alerts, c.community_alerts, c.suppressions
    );
    for e in engine.events() {
        match e {
            Event::Flap(a) => {
                let _ = writeln!(
                    s,
                    "  flap       {} on session {} ({} changes)",
                    a.nlri.prefix, a.session.0, a.changes
                );
            }
            Event::Community(a) => {
                let _ = writeln!(
                    s,
                    "  community  {} on {} carries {} (rule {}: {})",
                    a.nlri.prefix, a.flow, a.community, a.rule, a.broke
                );
            }
            _ => {}
        }
    }
    let _ = writeln!(s, "malformed        {}", c.malformed);
    let _ = writeln!(
        s,
        "lost             {}",
        if stats.anything_lost() { "yes (see --json capture)" } else { "nothing" }
    );
    s
}
