//! A running daemon under test: a [`Daemon`] driver, its plan and its processes.

use std::path::Path;
use std::time::{Duration, Instant};

use super::{
    ControlError, ControlQuery, Daemon, DaemonProcess, DutError, DutInfo, DutPlan, DutRoute,
    DutUsage, driver,
};
use crate::scenario::model::Family;
use crate::topology::Netns;

/// A running daemon under test.
pub struct Dut {
    driver: &'static dyn Daemon,
    plan: DutPlan,
    processes: Vec<DaemonProcess>,
    version: String,
}

impl Dut {
    /// Writes the configuration, starts the daemon in `ns` and waits until its control
    /// socket answers (up to `deadline`).
    pub fn start(plan: DutPlan, ns: &Netns, deadline: Duration) -> Result<Self, DutError> {
        let driver = driver(plan.kind).ok_or(DutError::NoDaemon)?;
        let daemon = driver.name();
        let files = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DutError::Files { daemon, path, source }
        };
        std::fs::create_dir_all(&plan.dir).map_err(files(&plan.dir))?;
        // Daemons that drop privileges must still reach their files.
        let _ = std::fs::set_permissions(
            &plan.dir,
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        );
        for f in driver.config(&plan) {
            let path = plan.dir.join(f.name);
            std::fs::write(&path, &f.text).map_err(files(&path))?;
            if f.private {
                std::fs::set_permissions(
                    &path,
                    std::os::unix::fs::PermissionsExt::from_mode(0o600),
                )
                .map_err(files(&path))?;
            }
        }
        let mut processes = Vec::new();
        for (i, spec) in driver.processes(&plan)?.into_iter().enumerate() {
            let argv: Vec<&str> = spec.argv.iter().map(String::as_str).collect();
            let mut p = DaemonProcess::spawn(ns, &argv, &plan.dir.join(spec.log))
                .map_err(|source| DutError::Spawn { daemon, source })?;
            driver.started(&plan, ns, i, &mut p)?;
            processes.push(p);
        }
        let mut dut = Self { driver, plan, processes, version: String::new() };
        dut.wait_ready(ns, deadline)?;
        dut.version = driver.version(&dut.plan, ns).unwrap_or_else(|e| format!("unknown ({e})"));
        Ok(dut)
    }

    fn wait_ready(&mut self, ns: &Netns, deadline: Duration) -> Result<(), DutError> {
        let until = Instant::now() + deadline;
        let mut backoff = Duration::from_millis(20);
        loop {
            if let Some(status) = self.processes.iter_mut().find_map(|p| p.exited()) {
                let log = self.log_tail();
                return Err(DutError::Exited { daemon: self.driver.name(), status, log });
            }
            match self.driver.control(&self.plan, ns, ControlQuery::Ready) {
                Ok(_) => return Ok(()),
                Err(source) if Instant::now() >= until => {
                    let log = self.log_tail();
                    let daemon = self.driver.name();
                    return Err(DutError::NotReady { daemon, after: deadline, source, log });
                }
                // Polling the control socket with a growing interval: the daemon gives no
                // other readiness signal. A SIGINT or SIGTERM ends the wait at once.
                Err(_) => crate::interrupt::sleep(backoff).map_err(|signal| {
                    DutError::Interrupted { daemon: self.driver.name(), signal }
                })?,
            }
            backoff = (backoff * 2).min(Duration::from_millis(250));
        }
    }

    fn log_tail(&self) -> String {
        self.processes.iter().map(|p| p.log_tail(15)).collect::<Vec<_>>().join("\n")
    }

    fn control_failed(&self, what: &'static str, source: ControlError) -> DutError {
        DutError::Control { daemon: self.driver.name(), what, source, log: self.log_tail() }
    }

    /// Its driver.
    pub fn driver(&self) -> &'static dyn Daemon {
        self.driver
    }

    /// The daemon's version, as its CLI reports it.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The daemon's RIB as its CLI reports it, normalized and sorted.
    pub fn rib(&self, ns: &Netns) -> Result<Vec<DutRoute>, DutError> {
        let mut routes = Vec::new();
        // Only the families some neighbor carries: the DUT can hold no others, and BIRD 3
        // defines no table for a family no channel uses (`show route table master6` is a
        // syntax error there).
        let carried = |f: &Family| self.plan.neighbors.iter().any(|n| n.families.contains(f));
        for fam in [Family::Ipv4, Family::Ipv6].into_iter().filter(carried) {
            let text = self
                .driver
                .control(&self.plan, ns, ControlQuery::Rib(fam))
                .map_err(|e| self.control_failed("RIB dump", e))?;
            let parsed = self
                .driver
                .rib(&text)
                .map_err(|source| DutError::Rib { daemon: self.driver.name(), source })?;
            routes.extend(parsed);
        }
        routes.sort();
        routes.dedup();
        Ok(routes)
    }

    /// Error lines in the daemon's logs (a session must not log errors).
    pub fn log_errors(&self) -> Vec<String> {
        self.processes
            .iter()
            .flat_map(|p| p.log_lines())
            .filter(|l| self.driver.is_log_error(l))
            .collect()
    }

    /// Everything its processes wrote so far.
    pub fn output(&self) -> String {
        self.processes.iter().map(|p| p.log_lines().join("\n")).collect::<Vec<_>>().join("\n")
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

    /// What the report says about it.
    pub fn info(&self) -> DutInfo {
        let release = super::parse_version(&self.version).unwrap_or_else(|| self.version.clone());
        let label = super::Installed {
            kind: self.plan.kind,
            version: release,
            source: self.plan.source.clone(),
            path: String::new(),
        }
        .label();
        DutInfo {
            kind: self.driver.name(),
            version: self.version.clone(),
            source: self.plan.source.clone(),
            label,
            dir: self.plan.dir.clone(),
        }
    }
}
