//! Where a daemon comes from: the host's packages, a root filesystem that `bgpstorm dut
//! install` built (under [`roots_dir`]), or a user's build (a prefix or a root). Each source
//! finds the daemon's programs, says how to run them, and the version is read by running the
//! daemon (`--version`), never assumed.
//!
//! A daemon of a root runs chrooted into it, in a private mount namespace of its own:
//! `unshare --mount` then a shell that mounts /proc, /dev, /sys, fresh tmpfs on /run, /tmp
//! and /var/tmp, and binds the run's folder on [`ROOT_RUN_DIR`], then `chroot`. The mounts
//! belong to that mount namespace only: they are gone when its last process is, SIGKILL
//! included, and the cached root is never written to. Control clients run the same way.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use super::spec::{DutSpec, Want};
use crate::scenario::model::DutKind;

/// Where the run's folder (configuration, sockets, state) is seen inside a root.
pub const ROOT_RUN_DIR: &str = "/run/bgpstorm";

/// The environment variable that moves the cache of roots.
pub const ROOTS_ENV: &str = "BGPSTORM_ROOTS";

/// The cache of roots that `bgpstorm dut install` builds: `$BGPSTORM_ROOTS`, or
/// /var/lib/bgpstorm/roots.
pub fn roots_dir() -> PathBuf {
    std::env::var_os(ROOTS_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/lib/bgpstorm/roots"))
}

/// Where a daemon's programs are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Source {
    /// The host's packages (under /usr, or on PATH).
    Host,
    /// A root filesystem: one of the cache (`name` set) or a user's.
    Root {
        /// The cache entry's name (e.g. "debian13"); `None` for a user's root.
        name: Option<String>,
        /// Its top folder.
        path: PathBuf,
    },
    /// A user's installation prefix (e.g. /opt/frr), run with its own libraries.
    Prefix {
        /// The prefix.
        path: PathBuf,
    },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Host => write!(f, "host"),
            Self::Root { name: Some(n), .. } => write!(f, "{n}"),
            Self::Root { name: None, path } | Self::Prefix { path } => {
                write!(f, "{}", path.display())
            }
        }
    }
}

/// A program of a daemon and the folders of an installation it may be in.
#[derive(Clone, Copy, Debug)]
pub struct Program {
    /// File name.
    pub name: &'static str,
    /// Folders relative to a prefix (/usr for the host and a root), in the order tried.
    pub dirs: &'static [&'static str],
    /// The host finds it on PATH first (a name only this daemon uses; FRR's and OpenBGPD's
    /// `bgpd` are found by folder only).
    pub on_path: bool,
}

/// The program whose `--version` (`-V` for OpenBGPD) names a daemon's version.
fn version_program(kind: DutKind) -> Option<(Program, &'static str)> {
    let p = match kind {
        DutKind::Bird => (super::bird::BIRD, "--version"),
        DutKind::Frr => (super::frr::BGPD, "--version"),
        DutKind::Gobgp => (super::gobgp::GOBGPD, "--version"),
        DutKind::Openbgpd => (super::openbgpd::BGPD, "-V"),
        DutKind::None => return None,
    };
    Some(p)
}

impl Source {
    /// The path of `p` as the daemon's processes see it (inside the root for a root), if
    /// this installation has it.
    pub fn find(&self, p: &Program) -> Option<String> {
        if *self == Self::Host
            && p.on_path
            && let Some(w) = super::which(p.name)
        {
            return Some(w.to_string_lossy().into_owned());
        }
        let (base, usr) = match self {
            Self::Host => (Path::new("/"), "usr"),
            Self::Root { path, .. } => (path.as_path(), "usr"),
            Self::Prefix { path } => (path.as_path(), ""),
        };
        for dir in p.dirs {
            let rel = Path::new(usr).join(dir).join(p.name);
            if base.join(&rel).is_file() {
                return Some(match self {
                    Self::Prefix { .. } => base.join(rel).to_string_lossy().into_owned(),
                    _ => Path::new("/").join(rel).to_string_lossy().into_owned(),
                });
            }
        }
        None
    }

    /// The argv that runs `program` (a path from [`Source::find`]) with `dir`, the run's
    /// folder, reachable at [`Source::dir_seen`].
    pub fn wrap(&self, dir: &Path, program: &str) -> Vec<String> {
        match self {
            Self::Host => vec![program.to_string()],
            Self::Prefix { path } => {
                vec![
                    "env".into(),
                    format!("LD_LIBRARY_PATH={}", library_path(path)),
                    program.into(),
                ]
            }
            Self::Root { path, .. } => {
                let mut v: Vec<String> =
                    ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c"]
                        .map(String::from)
                        .into();
                v.extend([CHROOT.to_string(), "sh".into()]);
                v.push(path.to_string_lossy().into_owned());
                v.push(dir.to_string_lossy().into_owned());
                v.push(program.to_string());
                v
            }
        }
    }

    /// The run's folder `dir` as the daemon sees it.
    pub fn dir_seen(&self, dir: &Path) -> PathBuf {
        match self {
            Self::Root { .. } => PathBuf::from(ROOT_RUN_DIR),
            _ => dir.to_path_buf(),
        }
    }

    /// A command running `program` with `args` (no run folder needed: a root gets an empty
    /// one).
    fn command(&self, program: &str, args: &[&str]) -> Command {
        let argv = self.wrap(Path::new("/var/empty-bgpstorm"), program);
        let mut c = Command::new(&argv[0]);
        c.args(&argv[1..]).args(args);
        if let Self::Root { path, .. } = self {
            // Reading a version needs none of the mounts.
            c = Command::new("chroot");
            c.arg(path).arg(program).args(args);
        }
        c
    }

    /// The version of `kind` in this installation, read by running it: `None` when it is not
    /// there, an error when it is there and does not say (within [`VERSION_DEADLINE`]).
    pub fn version(&self, kind: DutKind) -> Option<Result<String, String>> {
        let (prog, flag) = version_program(kind)?;
        let path = self.find(&prog)?;
        Some(run_for_version(self.command(&path, &[flag]), &format!("{path} {flag}")))
    }
}

/// How long a daemon's `--version` may take: it prints a line and exits.
pub const VERSION_DEADLINE: std::time::Duration = std::time::Duration::from_secs(3);

/// Runs `cmd` and reads a version from what it prints; a program that does not exit within
/// [`VERSION_DEADLINE`] is killed and is an error.
fn run_for_version(mut cmd: Command, what: &str) -> Result<String, String> {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{what}: {e}"))?;
    let until = std::time::Instant::now() + VERSION_DEADLINE;
    let mut backoff = std::time::Duration::from_millis(2);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < until => {
                // Reaping a child has no event to wait on without a SIGCHLD handler.
                if let Err(sig) = crate::interrupt::sleep(backoff) {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("{what}: stopped by {}", sig.name()));
                }
                backoff = (backoff * 2).min(std::time::Duration::from_millis(50));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what}: no answer within {VERSION_DEADLINE:?}"));
            }
        }
    }
    let mut text = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut text);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut text);
    }
    parse_version(&text)
        .ok_or_else(|| format!("{what} names no version: {}", text.lines().next().unwrap_or("")))
}

/// The mount namespace's setup, then the chroot: `sh -c CHROOT sh ROOT DIR PROGRAM ARGS...`.
const CHROOT: &str = r#"set -e
r=$1 d=$2; shift 2
mount -t proc proc "$r/proc"
mount --rbind /dev "$r/dev"
mount --rbind /sys "$r/sys"
for t in run tmp var/tmp; do mount -t tmpfs -o mode=1777 tmpfs "$r/$t"; done
mkdir -p "$r/run/bgpstorm" "$r/run/openbgpd" "$r/run/frr"
chmod 777 "$r/run/frr"
if [ -d "$d" ]; then mount --bind "$d" "$r/run/bgpstorm"; fi
exec chroot "$r" "$@""#;

/// The library folders of a prefix, for LD_LIBRARY_PATH.
fn library_path(prefix: &Path) -> String {
    ["lib", "lib64", "lib/x86_64-linux-gnu", "lib/frr"]
        .iter()
        .map(|d| prefix.join(d).to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// The version in a `--version` banner: the first word that starts with a digit
/// ("BIRD version 3.1.8", "bgpd version 10.3", "gobgpd version 3.36.0", "OpenBGPD 8.8").
pub fn parse_version(text: &str) -> Option<String> {
    let line = text.lines().find(|l| !l.trim().is_empty())?;
    let word = line.split_whitespace().find(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
    Some(word.trim_end_matches([',', '.']).to_string())
}

/// A version's numbers, for drivers that configure versions differently.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
}

impl Version {
    /// The numbers of "3.1.8" or "10.3" (missing parts are 0; a suffix such as "-dev" is
    /// ignored).
    pub fn parse(s: &str) -> Self {
        let mut nums = s.split('.').map(|p| {
            p.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0)
        });
        Self { major: nums.next().unwrap_or(0), minor: nums.next().unwrap_or(0) }
    }

    /// At least `major.minor`.
    pub fn at_least(self, major: u32, minor: u32) -> bool {
        self >= Self { major, minor }
    }
}

/// The version of the host's `kind`, or the default (drivers then configure it as the oldest
/// version they know) when it is not installed or does not say.
pub fn host_version(kind: DutKind) -> Version {
    Installed::read(kind, Source::Host).map(|i| Version::parse(&i.version)).unwrap_or_default()
}

/// A daemon available on this machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Installed {
    /// Which daemon.
    #[serde(serialize_with = "kind_name")]
    pub kind: DutKind,
    /// Its version, as it says.
    pub version: String,
    /// Where it comes from.
    pub source: Source,
    /// The program that named the version (inside the root for a root).
    pub path: String,
}

fn kind_name<S: serde::Serializer>(k: &DutKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.name())
}

impl Installed {
    /// How reports name it: "bird 2.0.12", "bird 3.1.8 (debian13)", "frr 10.3 (/opt/frr)".
    pub fn label(&self) -> String {
        match self.source {
            Source::Host => format!("{} {}", self.kind.name(), self.version),
            _ => format!("{} {} ({})", self.kind.name(), self.version, self.source),
        }
    }

    /// The spelling that picks it on the command line, the name of its matrix column:
    /// `bird@2.0.12`, `frr=/opt/frr` ([`super::Column`]).
    pub fn spec(&self) -> String {
        super::Column::of(self.kind, Some(self)).name
    }

    /// Reads the version of `kind` from `source`.
    pub fn read(kind: DutKind, source: Source) -> Result<Self, ResolveError> {
        let (prog, _) = version_program(kind).ok_or(ResolveError::NoDaemon)?;
        let missing = || ResolveError::Missing { kind: kind.name(), place: source.to_string() };
        let path = source.find(&prog).ok_or_else(missing)?;
        let version = source.version(kind).ok_or_else(missing)?.map_err(|why| {
            ResolveError::Unreadable { kind: kind.name(), place: source.to_string(), why }
        })?;
        Ok(Self { kind, version, source, path })
    }
}

/// Why a [`DutSpec`] names no daemon of this machine.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// `none`.
    #[error("`none` is not a daemon")]
    NoDaemon,
    /// The source has no such daemon.
    #[error(
        "{kind} is not installed in {place} (the host: `bash ci/setup`; a Debian 13 root: `bgpstorm dut install debian13`; `bgpstorm dut list` shows what is)"
    )]
    Missing {
        /// Daemon.
        kind: &'static str,
        /// Where it was looked for.
        place: String,
    },
    /// It is there but does not say its version.
    #[error("{kind} in {place}: {why}")]
    Unreadable {
        /// Daemon.
        kind: &'static str,
        /// Where.
        place: String,
        /// What running it printed.
        why: String,
    },
    /// No installation has that version.
    #[error("{kind} {version} is not available; available: {available}")]
    NoSuchVersion {
        /// Daemon.
        kind: &'static str,
        /// Asked for.
        version: String,
        /// What there is (spec and label of each).
        available: String,
    },
    /// A user's path that is neither a prefix nor a root of that daemon.
    #[error(
        "{}: no {kind} there (a prefix holds sbin/, bin/ or lib/frr/; a root holds usr/ and etc/)",
        path.display()
    )]
    NotAnInstallation {
        /// Daemon.
        kind: &'static str,
        /// The path given.
        path: PathBuf,
    },
}

/// The cached roots: (name, path) of each folder of [`roots_dir`] that is complete (no
/// `.tmp` being built).
pub fn cached_roots() -> Vec<(String, PathBuf)> {
    let mut roots: Vec<(String, PathBuf)> = std::fs::read_dir(roots_dir())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| Some((e.file_name().to_str()?.to_string(), e.path())))
        .filter(|(n, _)| !n.ends_with(".tmp") && !n.ends_with(".old") && !n.starts_with('.'))
        .collect();
    roots.sort();
    roots
}

/// Every daemon available on this machine: the host's, then each cached root's.
pub fn available() -> Vec<Result<Installed, ResolveError>> {
    let mut sources = vec![Source::Host];
    sources
        .extend(cached_roots().into_iter().map(|(n, p)| Source::Root { name: Some(n), path: p }));
    let mut all = Vec::new();
    for source in sources {
        for kind in DutKind::DAEMONS {
            match Installed::read(kind, source.clone()) {
                Err(ResolveError::Missing { .. }) => {}
                r => all.push(r),
            }
        }
    }
    all
}

/// The installation `spec` names.
pub fn resolve(spec: &DutSpec) -> Result<Installed, ResolveError> {
    match &spec.want {
        Want::Host => Installed::read(spec.kind, Source::Host),
        // `all` is many installations: `for_runs` lists them.
        Want::All => Err(ResolveError::NoDaemon),
        Want::Path(p) => {
            let path = std::path::absolute(p).unwrap_or_else(|_| p.clone());
            let root = Source::Root { name: None, path: path.clone() };
            let prefix = Source::Prefix { path: path.clone() };
            let is_root = path.join("usr").is_dir() && path.join("etc").is_dir();
            let source = if is_root { root } else { prefix };
            Installed::read(spec.kind, source).map_err(|e| match e {
                ResolveError::Missing { kind, .. } => {
                    ResolveError::NotAnInstallation { kind, path }
                }
                e => e,
            })
        }
        Want::Version(v) => {
            let of_kind: Vec<Installed> =
                available().into_iter().flatten().filter(|i| i.kind == spec.kind).collect();
            if let Some(i) = of_kind.iter().find(|i| &i.version == v) {
                return Ok(i.clone());
            }
            let list: Vec<String> =
                of_kind.iter().map(|i| format!("{} ({})", i.spec(), i.label())).collect();
            Err(ResolveError::NoSuchVersion {
                kind: spec.kind.name(),
                version: v.clone(),
                available: if list.is_empty() { "none".into() } else { list.join(", ") },
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_each_daemons_banner() {
        assert_eq!(parse_version("BIRD version 3.1.8\n").as_deref(), Some("3.1.8"));
        assert_eq!(parse_version("bgpd version 10.3\nCopyright").as_deref(), Some("10.3"));
        assert_eq!(parse_version("gobgpd version 3.36.0\n").as_deref(), Some("3.36.0"));
        assert_eq!(parse_version("OpenBGPD 8.8\n").as_deref(), Some("8.8"));
        assert_eq!(parse_version("usage: bird [-c]"), None);
    }

    #[test]
    fn a_version_program_that_never_answers_is_killed_and_is_an_error() {
        let mut c = Command::new("sh");
        c.args(["-c", "exec sleep 60"]);
        let started = std::time::Instant::now();
        let e = run_for_version(c, "sleep").unwrap_err();
        assert!(e.contains("no answer within"), "{e}");
        assert!(started.elapsed() < VERSION_DEADLINE * 2, "{:?}", started.elapsed());
        let mut c = Command::new("sh");
        c.args(["-c", "echo 'BIRD version 3.1.8' >&2"]);
        assert_eq!(run_for_version(c, "echo").unwrap(), "3.1.8");
    }

    #[test]
    fn version_numbers_compare_by_major_then_minor() {
        let v = Version::parse("3.1.8");
        assert_eq!(v, Version { major: 3, minor: 1 });
        assert!(v.at_least(3, 0) && !v.at_least(3, 2));
        assert!(Version::parse("10.3").at_least(9, 1));
        assert!(!Version::parse("8.4.4").at_least(10, 0));
        assert_eq!(Version::parse("10.4-dev"), Version { major: 10, minor: 4 });
    }

    #[test]
    fn labels_and_specs_name_the_source() {
        let i = |source| Installed {
            kind: DutKind::Bird,
            version: "3.1.8".into(),
            source,
            path: "/usr/sbin/bird".into(),
        };
        let host = i(Source::Host);
        assert_eq!((host.label(), host.spec()), ("bird 3.1.8".into(), "bird@3.1.8".into()));
        let root = i(Source::Root { name: Some("debian13".into()), path: "/r/debian13".into() });
        assert_eq!(root.label(), "bird 3.1.8 (debian13)");
        assert_eq!(root.spec(), "bird@3.1.8");
        let user = i(Source::Prefix { path: "/opt/bird".into() });
        assert_eq!(
            (user.label(), user.spec()),
            ("bird 3.1.8 (/opt/bird)".into(), "bird=/opt/bird".into())
        );
    }

    #[test]
    fn a_prefix_finds_programs_in_its_own_folders_and_wraps_them_with_its_libraries() {
        let dir = std::env::temp_dir().join(format!("bgpstorm-prefix-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("lib/frr")).unwrap();
        std::fs::write(dir.join("lib/frr/bgpd"), "").unwrap();
        let s = Source::Prefix { path: dir.clone() };
        let found = s.find(&super::super::frr::BGPD).unwrap();
        assert_eq!(found, dir.join("lib/frr/bgpd").to_string_lossy());
        assert!(s.find(&super::super::frr::ZEBRA).is_none());
        let argv = s.wrap(Path::new("/x"), &found);
        assert_eq!(argv[0], "env");
        assert!(argv[1].starts_with("LD_LIBRARY_PATH=") && argv[1].contains("lib/frr"));
        assert_eq!(argv[2], found);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_root_runs_its_programs_chrooted_with_the_run_folder_bound() {
        let s = Source::Root { name: None, path: "/r".into() };
        assert_eq!(s.dir_seen(Path::new("/runs/x/dut")), Path::new(ROOT_RUN_DIR));
        let argv = s.wrap(Path::new("/runs/x/dut"), "/usr/sbin/bird");
        assert_eq!(&argv[..4], ["unshare", "--mount", "--propagation", "private"]);
        assert_eq!(&argv[argv.len() - 3..], ["/r", "/runs/x/dut", "/usr/sbin/bird"]);
        assert!(CHROOT.contains("exec chroot"));
    }
}
