//! Daemon processes run inside a namespace: killed with SIGKILL when the test process dies
//! (PR_SET_PDEATHSIG), and killed and reaped when their guard is dropped.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::netns::Netns;

/// Fails the test with a clear message when `binary` is not installed.
pub fn require_binary(binary: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(binary).is_file()))
        || Path::new(binary).is_file();
    assert!(
        found,
        "{binary} is not installed: run `bash ci/setup` (it installs bird2 frr gobgpd openbgpd exabgp)"
    );
}

/// A running daemon; killed on drop.
#[derive(Debug)]
pub struct Daemon {
    child: Child,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
}

impl Daemon {
    /// Starts `argv` inside `ns` (via `ip netns exec`, which execs in place, so the death
    /// signal set here stays with the daemon), output to `log`.
    pub fn start(ns: &Netns, argv: &[&str], log: &Path) -> Self {
        let out = std::fs::File::create(log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let err = out.try_clone().unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &ns.name]).args(argv);
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {argv:?}: {e}"));
        Self { child, log: log.to_owned() }
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Its output so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scratch directory for configs, sockets and logs, removed on drop.
#[derive(Debug)]
pub struct Scratch {
    /// Its path.
    pub path: PathBuf,
}

impl Scratch {
    /// Creates a fresh directory under the system temp dir.
    pub fn new(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "bgpstorm-{tag}-{}-{}",
            std::process::id(),
            unique()
        ));
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // Daemons that drop privileges must still reach their files.
        let _ =
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o777));
        Self { path }
    }

    /// Writes a file inside it and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path.join(name);
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("BGPSTORM_KEEP_SCRATCH").is_none() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Waits (on inotify events, up to `timeout`) until `path` exists: a daemon's socket or pid
/// file says it is ready. Fails the test with a clear message otherwise.
pub fn wait_for_file(path: &Path, timeout: std::time::Duration) {
    use std::os::unix::ffi::OsStrExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let cdir = std::ffi::CString::new(dir.as_os_str().as_bytes()).unwrap_or_default();
    // SAFETY: plain inotify calls on a descriptor we own and close below.
    let fd = unsafe { libc::inotify_init1(libc::IN_CLOEXEC | libc::IN_NONBLOCK) };
    assert!(fd >= 0, "inotify_init1: {}", std::io::Error::last_os_error());
    // SAFETY: cdir is a valid C string; fd is ours.
    let wd =
        unsafe { libc::inotify_add_watch(fd, cdir.as_ptr(), libc::IN_CREATE | libc::IN_MOVED_TO) };
    let end = std::time::Instant::now() + timeout;
    let mut buf = [0u8; 4096];
    while wd >= 0 && !path.exists() {
        let left = end.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd; buf outlives the read.
        unsafe {
            libc::poll(&mut pfd, 1, left.as_millis().min(i32::MAX as u128) as i32);
            libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
        }
    }
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    assert!(path.exists(), "{} did not appear within {timeout:?}", path.display());
}
