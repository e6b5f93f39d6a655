//! Daemons under test: one driver per daemon. Each writes its configuration from a
//! [`DutPlan`], starts the daemon inside the DUT namespace (foreground, parent-death signal,
//! output in the run's directory), waits for its control socket to answer (never a sleep),
//! reports its version and dumps its RIB through its CLI, normalized to [`DutRoute`]s.
//!
//! Generated configurations, per daemon:
//! - every neighbor imports and exports everything (eBGP policy requirements off), with
//!   next hop self towards eBGP peers and the DUT's own IPv6 link address as the IPv6 next
//!   hop (sessions run over IPv4 and carry IPv6 by multiprotocol BGP);
//! - the DUT connects to passive speakers and waits for active ones (never both, so no
//!   connection collisions), with a 1 s connect-retry;
//! - advertisement timers: FRR gets `advertisement-interval 0`; BIRD, GoBGP and OpenBGPD
//!   have no MRAI delay to set (they send as soon as their best path changes).

mod bird;
#[cfg(test)]
mod config_tests;
mod frr;
mod gobgp;
mod openbgpd;
mod process;
mod rib;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::scenario::model::{AddPathMode, DutKind, Family};
use crate::topology::Netns;

pub use process::{DaemonProcess, which};
pub use rib::DutRoute;

/// One speaker as the DUT sees it.
#[derive(Clone, Debug)]
pub struct Neighbor {
    /// Speaker name (used for protocol names).
    pub name: String,
    /// The speaker's IPv4 address.
    pub addr: IpAddr,
    /// The DUT's IPv4 address on that link.
    pub local: IpAddr,
    /// The DUT's IPv6 address on that link (next hop for IPv6).
    pub local_v6: Option<Ipv6Addr>,
    /// The speaker's AS.
    pub asn: u32,
    /// The DUT waits for the speaker to connect.
    pub dut_passive: bool,
    /// Families.
    pub families: Vec<Family>,
    /// TCP MD5 password.
    pub md5: Option<String>,
    /// GTSM.
    pub ttl_security: bool,
    /// The speaker advertises graceful restart: the DUT must too, and help it restart
    /// (RFC 4724 receiving speaker).
    pub graceful_restart: bool,
    /// ADD-PATH (RFC 7911) as the speaker asked for it: the DUT sends several paths to a
    /// speaker that receives them and accepts several from one that sends them.
    pub add_path: Option<AddPathMode>,
    /// The speaker offers extended messages (RFC 8654): the DUT offers them too.
    pub extended_messages: bool,
}

impl Neighbor {
    /// The DUT sends path identifiers to this speaker (it asked to receive them).
    pub fn dut_sends_paths(&self) -> bool {
        matches!(self.add_path, Some(AddPathMode::Receive | AddPathMode::Both))
    }

    /// The DUT accepts path identifiers from this speaker (it asked to send them).
    pub fn dut_receives_paths(&self) -> bool {
        matches!(self.add_path, Some(AddPathMode::Send | AddPathMode::Both))
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct DutPlan {
    /// Which daemon.
    pub kind: DutKind,
    /// Its AS.
    pub asn: u32,
    /// Its router id.
    pub router_id: Ipv4Addr,
    /// Its neighbors.
    pub neighbors: Vec<Neighbor>,
    /// Raw configuration appended to the generated one.
    pub extra: Option<String>,
    /// Directory for configuration, sockets and logs.
    pub dir: PathBuf,
}

/// Something wrong with the daemon.
#[derive(Debug, thiserror::Error)]
pub enum DutError {
    /// Not installed.
    #[error(
        "{daemon} is not installed ({binary} not found): run `bash ci/setup`, it installs bird2 frr gobgpd openbgpd"
    )]
    Missing {
        /// Daemon name.
        daemon: &'static str,
        /// The binary looked for.
        binary: String,
    },
    /// It did not start or answer.
    #[error("{daemon}: {message}")]
    Failed {
        /// Daemon name.
        daemon: &'static str,
        /// What happened, with the tail of its log.
        message: String,
    },
}

/// A running daemon under test.
pub struct Dut {
    plan: DutPlan,
    processes: Vec<DaemonProcess>,
    version: String,
}

fn daemon_name(kind: DutKind) -> &'static str {
    kind.name()
}

impl Dut {
    /// Writes the configuration, starts the daemon in `ns` and waits until its control
    /// socket answers (up to `deadline`).
    pub fn start(plan: DutPlan, ns: &Netns, deadline: Duration) -> Result<Self, DutError> {
        std::fs::create_dir_all(&plan.dir).map_err(|e| DutError::Failed {
            daemon: daemon_name(plan.kind),
            message: format!("{}: {e}", plan.dir.display()),
        })?;
        // Daemons that drop privileges must still reach their files.
        let _ = std::fs::set_permissions(
            &plan.dir,
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        );
        let processes = match plan.kind {
            DutKind::Bird => bird::start(&plan, ns)?,
            DutKind::Frr => frr::start(&plan, ns)?,
            DutKind::Gobgp => gobgp::start(&plan, ns)?,
            DutKind::Openbgpd => openbgpd::start(&plan, ns)?,
            DutKind::None => Vec::new(),
        };
        let mut dut = Self { plan, processes, version: String::new() };
        dut.wait_ready(ns, deadline)?;
        dut.version = dut.query_version(ns).unwrap_or_else(|e| format!("unknown ({e})"));
        Ok(dut)
    }

    fn wait_ready(&mut self, ns: &Netns, deadline: Duration) -> Result<(), DutError> {
        let until = std::time::Instant::now() + deadline;
        let mut backoff = Duration::from_millis(20);
        loop {
            if let Some(dead) = self.processes.iter_mut().find_map(|p| p.exited()) {
                return Err(self.failed(format!("exited before it was ready: {dead}")));
            }
            match self.control(ns, ControlQuery::Ready) {
                Ok(_) => return Ok(()),
                Err(e) if std::time::Instant::now() >= until => {
                    return Err(self.failed(format!(
                        "control socket did not answer within {deadline:?}: {e}"
                    )));
                }
                // Polling the control socket with a growing interval: the daemon gives no
                // other readiness signal.
                Err(_) => std::thread::sleep(backoff),
            }
            backoff = (backoff * 2).min(Duration::from_millis(250));
        }
    }

    fn failed(&self, message: String) -> DutError {
        let logs: String =
            self.processes.iter().map(|p| p.log_tail(15)).collect::<Vec<_>>().join("\n");
        DutError::Failed {
            daemon: daemon_name(self.plan.kind),
            message: format!("{message}\n--- log ---\n{logs}"),
        }
    }

    fn query_version(&self, ns: &Netns) -> Result<String, String> {
        self.control(ns, ControlQuery::Version)
            .map(|s| s.lines().next().unwrap_or_default().trim().to_string())
    }

    fn control(&self, ns: &Netns, q: ControlQuery) -> Result<String, String> {
        match self.plan.kind {
            DutKind::Bird => bird::control(&self.plan, ns, q),
            DutKind::Frr => frr::control(&self.plan, ns, q),
            DutKind::Gobgp => gobgp::control(&self.plan, ns, q),
            DutKind::Openbgpd => openbgpd::control(&self.plan, ns, q),
            DutKind::None => Ok(String::new()),
        }
    }

    /// The daemon's version, as its CLI reports it.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The daemon's RIB as its CLI reports it, normalized and sorted.
    pub fn rib(&self, ns: &Netns) -> Result<Vec<DutRoute>, DutError> {
        let mut routes = Vec::new();
        for fam in [Family::Ipv4, Family::Ipv6] {
            let text = self
                .control(ns, ControlQuery::Rib(fam))
                .map_err(|e| self.failed(format!("RIB dump: {e}")))?;
            let parsed = match self.plan.kind {
                DutKind::Bird => rib::bird(&text),
                DutKind::Frr => rib::frr(&text),
                DutKind::Gobgp => rib::gobgp(&text),
                DutKind::Openbgpd => rib::openbgpd(&text),
                DutKind::None => Ok(Vec::new()),
            };
            routes.extend(parsed.map_err(|e| self.failed(format!("RIB dump: {e}")))?);
        }
        routes.sort();
        routes.dedup();
        Ok(routes)
    }

    /// Error lines in the daemon's logs (a session must not log errors).
    pub fn log_errors(&self) -> Vec<String> {
        let is_error: fn(&str) -> bool = match self.plan.kind {
            DutKind::Bird => |l| l.contains("<ERR>") || l.contains("<BUG>"),
            DutKind::Frr => |l| l.contains("[EC ") && !l.contains("Disabling MPLS support"),
            DutKind::Gobgp => |l| {
                l.contains("level=error")
                    || l.contains("level=fatal")
                    || l.contains("\"level\":\"error\"")
            },
            DutKind::Openbgpd => |l| l.contains("fatal"),
            DutKind::None => |_| false,
        };
        self.processes.iter().flat_map(|p| p.log_lines()).filter(|l| is_error(l)).collect()
    }

    /// Peak resident memory (KiB, summed over its processes) and CPU time (ms) so far.
    pub fn usage(&self) -> DutUsage {
        let mut u = DutUsage::default();
        for (rss, cpu) in self.processes.iter().filter_map(DaemonProcess::usage) {
            u.peak_rss_kib += rss;
            u.cpu_ms += cpu;
        }
        u
    }

    /// Where its configuration and logs are.
    pub fn dir(&self) -> &Path {
        &self.plan.dir
    }

    /// Stops it (SIGTERM, then SIGKILL after `grace`).
    pub fn stop(&mut self, grace: Duration) {
        // Dependents first (FRR: bgpd before zebra, which it would log errors about).
        for p in self.processes.iter_mut().rev() {
            p.stop(grace);
        }
    }

    /// Stops and starts it again with the same configuration.
    pub fn restart(&mut self, ns: &Netns, deadline: Duration) -> Result<(), DutError> {
        self.stop(Duration::from_secs(5));
        let plan = self.plan.clone();
        *self = Self::start(plan, ns, deadline)?;
        Ok(())
    }
}

/// What a driver's control channel is asked.
#[derive(Clone, Copy, Debug)]
pub enum ControlQuery {
    /// Anything that proves the daemon answers.
    Ready,
    /// Its version.
    Version,
    /// Its RIB of a family.
    Rib(Family),
}

/// Resources a DUT used.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct DutUsage {
    /// Peak resident set, KiB (VmHWM, summed over the daemon's processes).
    pub peak_rss_kib: u64,
    /// CPU time, user + system, ms.
    pub cpu_ms: u64,
}

/// Records of a DUT for the report.
#[derive(Clone, Debug, Serialize)]
pub struct DutInfo {
    /// Kind.
    pub kind: &'static str,
    /// Version.
    pub version: String,
    /// Directory of configuration and logs.
    pub dir: PathBuf,
}

impl Dut {
    /// What the report says about it.
    pub fn info(&self) -> DutInfo {
        DutInfo {
            kind: daemon_name(self.plan.kind),
            version: self.version.clone(),
            dir: self.plan.dir.clone(),
        }
    }
}
