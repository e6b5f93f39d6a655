//! `bgpstorm monitor`: the passive route monitor.
//!
//! `--pcap FILE...` runs the same pipeline as the live capture over recorded traffic and
//! prints the final state (sessions, routes, alerts, convergence); with `--listen` it then
//! keeps serving the REST API and `/metrics` over that state until interrupted. `--iface`
//! is the live monitor ([`super::monitor_live`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use bgpstorm_monitor::api;
use bgpstorm_monitor::engine::{Engine, EngineHandle, MonitorConfig, drive_pcap};
use bgpstorm_monitor::stream::DecodeOptions;

use super::exit;
use super::monitor_live::{self, LiveOptions};
use super::monitor_report::{json_report, text_report};

/// Options of `bgpstorm monitor`.
#[derive(Clone, Debug, clap::Args)]
pub struct MonitorArgs {
    /// Capture files (pcap or pcapng) to run through the monitor.
    #[arg(long = "pcap", value_name = "FILE", num_args = 1..)]
    pub pcaps: Vec<PathBuf>,
    /// Live: interfaces to watch with the eBPF capture (ingress and egress).
    #[arg(long = "iface", value_name = "IF", value_delimiter = ',')]
    pub ifaces: Vec<String>,
    /// Live: their network namespace (a name under /run/netns, or a path).
    #[arg(long, value_name = "NS")]
    pub netns: Option<String>,
    /// Live: stop after this long (e.g. 30s); default until SIGINT/SIGTERM.
    #[arg(long = "for", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// Monitor configuration (YAML: flap, damping, communities, history, device).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Serve the REST API and /metrics on this address (e.g. 127.0.0.1:9179).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Print the final state as JSON.
    #[arg(long)]
    pub json: bool,
    /// TCP ports that carry BGP.
    #[arg(long = "port", default_value = "179", value_delimiter = ',')]
    pub ports: Vec<u16>,
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

/// Runs `bgpstorm monitor`.
pub fn main(opts: MonitorArgs) -> ExitCode {
    let config = match &opts.config {
        Some(p) => match load_config(p) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("bgpstorm monitor: {e}");
                return exit::code(exit::USAGE);
            }
        },
        None => MonitorConfig::default(),
    };
    if !opts.ifaces.is_empty() {
        if !opts.pcaps.is_empty() {
            eprintln!("bgpstorm monitor: give --pcap FILE... or --iface IF..., not both");
            return exit::code(exit::USAGE);
        }
        let live = LiveOptions {
            netns: opts.netns,
            ifaces: opts.ifaces,
            listen: opts.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9179))),
            duration: opts.duration,
            ports: opts.ports,
            json: opts.json,
        };
        return monitor_live::main(&live, config);
    }
    if opts.pcaps.is_empty() {
        eprintln!(
            "bgpstorm monitor: give --iface IF... [--netns NS] for a live capture, or --pcap FILE..."
        );
        return exit::code(exit::USAGE);
    }
    pcap(&opts, &config)
}

/// The monitor over capture files.
fn pcap(opts: &MonitorArgs, config: &MonitorConfig) -> ExitCode {
    let handle = match Engine::new(config) {
        Ok(e) => EngineHandle::new(e),
        Err(e) => {
            eprintln!("bgpstorm monitor: {e}");
            return exit::code(exit::USAGE);
        }
    };
    let decode = DecodeOptions { ports: opts.ports.clone(), ..DecodeOptions::default() };
    let stats = match drive_pcap(&opts.pcaps, &decode, &handle, |file, e| {
        eprintln!("bgpstorm monitor: {}: {e}", file.display());
    }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bgpstorm monitor: {e}");
            return exit::code(exit::USAGE);
        }
    };
    let (report, lost) = {
        let engine = handle.engine();
        let lost = stats.anything_lost() || engine.counters().malformed > 0;
        let report =
            if opts.json { json_report(&engine, &stats) } else { text_report(&engine, &stats) };
        (report, lost)
    };
    print!("{report}");
    if let Some(addr) = opts.listen
        && let Err(e) = serve_until_interrupted(addr, handle)
    {
        eprintln!("bgpstorm monitor: {e}");
        return exit::code(exit::ENVIRONMENT);
    }
    exit::code(if lost { exit::FAILED } else { exit::SUCCESS })
}

/// Serves the API on `addr` until SIGINT or SIGTERM. The bound address goes to stderr.
pub fn serve_until_interrupted(addr: SocketAddr, handle: EngineHandle) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = api::bind(addr).await?;
        eprintln!(
            "bgpstorm monitor: serving http://{}/api/v1/routes?prefix=... and /metrics",
            listener.local_addr()?
        );
        api::serve(listener, handle, monitor_live::stop_signal(None)).await
    })
}
