//! Daemons under test. The [`Daemon`] trait is what the harness needs of a BGP daemon: its
//! generated configuration, the argv of its processes, its control queries, its RIB dump
//! parsed to [`DutRoute`]s, its log errors and its version. Each daemon implements it in its
//! own file, and [`driver`] maps every [`DutKind`] to its driver with one exhaustive match:
//! adding a daemon is one `DutKind` variant, one file and the match arm the compiler asks for.
//!
//! [`Dut`] runs a driver: it writes the configuration, starts the daemon inside the DUT
//! namespace (foreground, parent-death signal, output in the run's directory), waits for its
//! control socket to answer (never a sleep), and reads its version and RIB.
//!
//! Generated configurations, per daemon:
//! - every neighbor imports and exports everything (eBGP policy requirements off), with
//!   the DUT as next hop towards every peer, eBGP and iBGP (next hop self), and the DUT's
//!   own IPv6 address on the peer's link as the IPv6 next hop (sessions run over IPv4 and
//!   carry IPv6 by multiprotocol BGP). GoBGP gets this from a global export policy (it has
//!   no next hop self and would send an IPv4-mapped address), OpenBGPD 7 from filter rules
//!   (it would send `::1`); OpenBGPD 7 cannot do it towards an eBGP peer with GTSM;
//! - the DUT connects to passive speakers and waits for active ones (never both, so no
//!   connection collisions), with a 1 s connect-retry;
//! - advertisement timers: FRR gets `advertisement-interval 0`; BIRD, GoBGP and OpenBGPD
//!   have no MRAI delay to set (they send as soon as their best path changes).

mod bird;
mod column;
#[cfg(test)]
mod config_tests;
mod error;
mod frr;
mod gobgp;
pub mod install;
mod openbgpd;
mod process;
mod rib;
mod running;
mod source;
mod spec;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use serde::Serialize;

use crate::scenario::model::{AddPathMode, DutKind, Family};
use crate::topology::Netns;
use source::Program;

pub use column::{Column, RunOn, for_run, for_runs};
pub use error::{ControlError, DutError, RibError};
pub use process::{DaemonProcess, which};
pub use rib::DutRoute;
pub use running::Dut;
pub use source::{
    Installed, ROOT_RUN_DIR, ROOTS_ENV, ResolveError, Source, Version, available, cached_roots,
    host_version, parse_version, resolve, roots_dir,
};
pub use spec::{DutSpec, SpecError, Want};

/// What the harness needs of a BGP daemon under test. One implementation per daemon.
pub trait Daemon: Sync {
    /// Its name, as scenarios and reports write it.
    fn name(&self) -> &'static str;

    /// The configuration files it reads, generated from `plan` (written into `plan.dir`).
    fn config(&self, plan: &DutPlan) -> Vec<ConfigFile>;

    /// The processes to start, in order, with the binaries resolved (a missing binary is
    /// [`DutError::Missing`]).
    fn processes(&self, plan: &DutPlan) -> Result<Vec<ProcessSpec>, DutError>;

    /// Called after process `index` started, before the next one starts: a daemon whose
    /// processes depend on each other waits here (never with a fixed sleep).
    fn started(
        &self,
        _plan: &DutPlan,
        _ns: &Netns,
        _index: usize,
        _process: &mut DaemonProcess,
    ) -> Result<(), DutError> {
        Ok(())
    }

    /// Asks its control channel (run inside the DUT namespace).
    fn control(
        &self,
        plan: &DutPlan,
        ns: &Netns,
        query: ControlQuery,
    ) -> Result<String, ControlError>;

    /// Its version, one line (e.g. "BIRD 2.0.12").
    fn version(&self, plan: &DutPlan, ns: &Netns) -> Result<String, ControlError> {
        let text = self.control(plan, ns, ControlQuery::Version)?;
        Ok(text.lines().next().unwrap_or_default().trim().to_string())
    }

    /// Parses the answer to [`ControlQuery::Rib`]: every best route.
    fn rib(&self, text: &str) -> Result<Vec<DutRoute>, RibError>;

    /// Whether a line of its log reports an error (a session must not log errors).
    fn is_log_error(&self, line: &str) -> bool;
}

/// The driver of each daemon kind; `None` for `dut: none`.
pub fn driver(kind: DutKind) -> Option<&'static dyn Daemon> {
    match kind {
        DutKind::Bird => Some(&bird::Bird),
        DutKind::Frr => Some(&frr::Frr),
        DutKind::Gobgp => Some(&gobgp::Gobgp),
        DutKind::Openbgpd => Some(&openbgpd::Openbgpd),
        DutKind::None => None,
    }
}

/// A configuration file of a daemon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigFile {
    /// File name inside the plan's directory.
    pub name: &'static str,
    /// Its contents.
    pub text: String,
    /// Readable by its owner only (OpenBGPD refuses a configuration others can read).
    pub private: bool,
}

impl ConfigFile {
    /// A file anyone may read.
    pub fn new(name: &'static str, text: String) -> Self {
        Self { name, text, private: false }
    }
}

/// One process of a daemon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessSpec {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Log file name inside the plan's directory (stdout and stderr).
    pub log: &'static str,
}

/// The argv that runs `program` of `daemon` from the plan's source, or says that it is not
/// installed there.
fn binary(
    plan: &DutPlan,
    daemon: &'static str,
    program: &Program,
) -> Result<Vec<String>, DutError> {
    let path = plan.source.find(program).ok_or_else(|| DutError::Missing {
        daemon,
        binary: program.name.to_string(),
        place: plan.source.to_string(),
    })?;
    Ok(plan.source.wrap(&plan.dir, &path))
}

/// A path inside the plan's directory, as the daemon sees it, as an argument.
fn arg_path(plan: &DutPlan, name: &str) -> String {
    plan.source.dir_seen(&plan.dir).join(name).to_string_lossy().into_owned()
}

/// What a control command printed.
struct Answer {
    /// The command, for messages.
    command: String,
    stdout: String,
    stderr: String,
    success: bool,
}

impl Answer {
    /// Runs `program ARGS` of the plan's source inside `ns`.
    fn run<S: AsRef<std::ffi::OsStr>>(
        plan: &DutPlan,
        ns: &Netns,
        program: &Program,
        args: &[S],
    ) -> Result<Self, ControlError> {
        let name = program.name;
        let path = plan.source.find(program).ok_or_else(|| ControlError::Spawn {
            program: name,
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("not installed in {}", plan.source),
            ),
        })?;
        let argv = plan.source.wrap(&plan.dir, &path);
        let out = ns
            .command(&argv[0])
            .args(&argv[1..])
            .args(args)
            .output()
            .map_err(|source| ControlError::Spawn { program: name, source })?;
        let words: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy()).collect();
        Ok(Self {
            command: format!("{name} {}", words.join(" ")),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            success: out.status.success(),
        })
    }

    /// Its standard output, when it succeeded (and, with `non_empty`, printed something).
    fn stdout(self, non_empty: bool) -> Result<String, ControlError> {
        if !self.success || (non_empty && self.stdout.trim().is_empty()) {
            return Err(ControlError::Failed {
                command: self.command,
                output: format!("{}{}", self.stdout.trim(), self.stderr.trim()),
            });
        }
        Ok(self.stdout)
    }

    /// Both outputs, whatever the exit status (a version banner may go to either).
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

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
    /// Where the daemon's programs come from.
    pub source: Source,
    /// Its version (read from the daemon before it starts), for what differs by version.
    pub version: Version,
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
    /// Where it comes from.
    pub source: Source,
    /// How reports name it, e.g. "bird 3.1.8 (debian13)".
    pub label: String,
    /// Directory of configuration and logs.
    pub dir: PathBuf,
}
