//! A daemon process inside a namespace: output to a log file, stopped and reaped on drop, and
//! gone when the harness dies, whatever the daemon does.
//!
//! A parent-death signal on the daemon itself is not enough: a daemon that switches user
//! (FRR's zebra becomes `frr`) loses it. So each daemon runs in a PID namespace of its own,
//! `unshare --pid --fork --kill-child=SIGKILL` carrying the namespace's parent-death signal
//! (it stays root). Its forked child, the namespace's init, is a shell that keeps the
//! parent-death signal `--kill-child` set, starts the daemon and forwards SIGTERM to it. When
//! the harness dies, `unshare` dies, the init dies, and the kernel kills every process left in
//! the PID namespace (pid_namespaces(7)), whichever user it runs as and however often it forked.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::topology::Netns;

/// Finds `binary` on PATH or as a path.
pub fn which(binary: &str) -> Option<PathBuf> {
    if binary.contains('/') {
        return Path::new(binary).is_file().then(|| PathBuf::from(binary));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(binary)).find(|p| p.is_file())
}

/// The PID namespace's init: starts the daemon (`"$@"`), forwards SIGTERM to it (an init only
/// receives the signals it handles), waits for it and exits with its status.
const INIT: &str = r#"trap 'kill -TERM $p' TERM
"$@" & p=$!
wait $p; s=$?
while kill -0 $p 2>/dev/null; do wait $p; s=$?; done
exit $s"#;

/// A running daemon.
pub struct DaemonProcess {
    name: String,
    /// `unshare`, the parent of the daemon's PID namespace.
    child: Child,
    log: PathBuf,
}

impl DaemonProcess {
    /// Starts `argv` in `ns`, in a PID namespace of its own, with output to `log`. Call from
    /// a thread that lives as long as the run: the parent-death signal follows the spawning
    /// thread.
    pub fn spawn(ns: &Netns, argv: &[&str], log: &Path) -> std::io::Result<Self> {
        let out = std::fs::File::create(log)?;
        let err = out.try_clone()?;
        let mut cmd = ns.command("unshare");
        // A process group of its own: Ctrl-C on the terminal reaches the harness alone, which
        // then stops the daemon in order (SIGTERM, then SIGKILL) as at the end of a run.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd.args(["--pid", "--fork", "--kill-child=SIGKILL", "--", "/bin/sh", "-c", INIT, "sh"])
            .args(argv)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let child = cmd
            .spawn()
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot start {}: {e}", argv[0])))?;
        Ok(Self { name: argv[0].to_string(), child, log: log.to_path_buf() })
    }

    /// `Some(status)` when it has exited.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(st)) => Some(format!("{} {st}", self.name)),
            _ => None,
        }
    }

    /// Its log lines.
    pub fn log_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log).unwrap_or_default().lines().map(String::from).collect()
    }

    /// The last `n` lines of its log.
    pub fn log_tail(&self, n: usize) -> String {
        let lines = self.log_lines();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Peak resident memory (KiB, the sum of each process's VmHWM) and CPU time used (user +
    /// system, ms) of the daemon and every process it forked: OpenBGPD keeps its RIB in a
    /// child, so the parent alone says little.
    pub fn usage(&self) -> Option<(u64, u64)> {
        tree_usage(first_child(self.init()?)?)
    }

    /// The PID namespace's init (the shell `unshare` forked), once it is there.
    fn init(&self) -> Option<u32> {
        first_child(self.child.id())
    }

    /// SIGKILL to the PID namespace's init, which takes every process in it along (the init
    /// exits, and `unshare` with it, only once they are gone), then reaps `unshare`.
    fn kill(&mut self) {
        match self.init() {
            // SAFETY: signalling a process of our own child's PID namespace.
            Some(init) => unsafe {
                libc::kill(init as libc::pid_t, libc::SIGKILL);
            },
            // Not forked yet, or gone: `unshare` itself is what is left to stop.
            None => {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
    }

    /// SIGTERM, then SIGKILL if it is still there after `grace`.
    pub fn stop(&mut self, grace: Duration) {
        // The init forwards SIGTERM to the daemon; `unshare` would not.
        if let Some(init) = self.init() {
            // SAFETY: signalling a process of our own child's PID namespace.
            unsafe { libc::kill(init as libc::pid_t, libc::SIGTERM) };
        }
        let until = std::time::Instant::now() + grace;
        while std::time::Instant::now() < until {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            // Reaping a child has no event to wait on without a SIGCHLD handler.
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
    }
}

impl Drop for DaemonProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The first child of `pid` (from /proc/PID/task/PID/children), if it has one.
fn first_child(pid: u32) -> Option<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// [`DaemonProcess::usage`] of the process tree under `root`.
fn tree_usage(root: u32) -> Option<(u64, u64)> {
    let (mut rss, mut ticks) = proc_usage(root)?;
    // Children that exited and were reaped count in the root's cutime and cstime.
    ticks += proc_stat_fields(root).map_or(0, |f| f.cutime + f.cstime);
    for pid in descendants(root) {
        if let Some((r, t)) = proc_usage(pid) {
            rss += r;
            ticks += t;
        }
    }
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Some((rss, ticks * 1000 / hz))
}

/// The fields of /proc/PID/stat that [`DaemonProcess::usage`] reads.
struct StatFields {
    ppid: u32,
    utime: u64,
    stime: u64,
    cutime: u64,
    cstime: u64,
}

fn proc_stat_fields(pid: u32) -> Option<StatFields> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) in parentheses: state is
    // field 3 of proc(5), so index i here is field i + 3.
    let f: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(StatFields {
        ppid: num(1)? as u32,
        utime: num(11)?,
        stime: num(12)?,
        cutime: num(13)?,
        cstime: num(14)?,
    })
}

/// VmHWM (KiB) and own CPU ticks of one process.
fn proc_usage(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    let f = proc_stat_fields(pid)?;
    Some((hwm, f.utime + f.stime))
}

/// Every live process below `root`, from the parent links in /proc.
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, proc_stat_fields(pid)?.ppid)))
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parents.iter().filter(|&&(_, pp)| pp == p).map(|&(pid, _)| pid));
        i += 1;
    }
    found.remove(0);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shell that forks a child: the child's memory is counted with the parent's.
    #[test]
    fn usage_counts_forked_children() {
        let mut sh = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & wait"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("sh runs");
        let root = sh.id();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while descendants(root).is_empty() {
            assert!(std::time::Instant::now() < deadline, "the shell never forked");
            std::thread::yield_now();
        }
        let (own, _) = proc_usage(root).unwrap();
        let (total, _) = tree_usage(root).unwrap();
        let children = descendants(root);
        let _ = sh.kill();
        let _ = sh.wait();
        for pid in children {
            // SAFETY: signalling the orphaned sleep this test started.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
        assert!(total > own, "children add their memory: {total} KiB vs {own} KiB");
    }
}
