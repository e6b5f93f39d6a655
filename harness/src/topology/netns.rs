//! Network namespaces held only by file descriptors.
//!
//! A namespace is made by `unshare(CLONE_NEWNET)` on a short-lived thread, which opens its
//! `/proc/thread-self/ns/net` and ends; the file is then the only reference. Nothing is
//! mounted under /run/netns, so when the harness exits, or is killed with SIGKILL, the kernel
//! closes the descriptor and destroys the namespace with every interface in it. Processes
//! started inside (daemons under test) get a parent-death signal, so none outlives the run.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;

/// A network namespace owned by this process.
#[derive(Debug)]
pub struct Netns {
    name: String,
    file: File,
}

fn check(rc: libc::c_int, what: &str) -> io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        let e = io::Error::last_os_error();
        Err(io::Error::new(e.kind(), format!("{what}: {e}")))
    }
}

impl Netns {
    /// Creates a namespace with its loopback up. Needs CAP_SYS_ADMIN (root).
    pub fn new(name: &str) -> io::Result<Self> {
        let file = std::thread::scope(|s| {
            s.spawn(|| -> io::Result<File> {
                // SAFETY: unshare with CLONE_NEWNET changes only this thread's namespace.
                check(unsafe { libc::unshare(libc::CLONE_NEWNET) }, "unshare(CLONE_NEWNET)")?;
                // Addresses usable at once: no IPv6 duplicate address detection on links that
                // only this run can reach. /proc/sys/net follows the thread's namespace.
                for conf in ["default", "all"] {
                    let p = format!("/proc/sys/net/ipv6/conf/{conf}/accept_dad");
                    std::fs::write(&p, "0")
                        .map_err(|e| io::Error::new(e.kind(), format!("{p}: {e}")))?;
                }
                File::open("/proc/thread-self/ns/net")
            })
            .join()
            .map_err(|_| io::Error::other("namespace thread panicked"))?
        })?;
        let ns = Self { name: name.to_string(), file };
        ns.run(super::link::loopback_up)??;
        Ok(ns)
    }

    /// The name it was given (for messages and reports only).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its descriptor.
    pub fn fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }

    /// A path that opens this namespace, valid while this process runs.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/fd/{}", std::process::id(), self.fd()))
    }

    /// Runs `f` on a thread inside the namespace (sockets made there stay there).
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> io::Result<T> {
        let fd = self.fd();
        std::thread::scope(|s| {
            s.spawn(move || -> io::Result<T> {
                // SAFETY: setns on a namespace descriptor we own; only this thread moves.
                check(unsafe { libc::setns(fd, libc::CLONE_NEWNET) }, "setns")?;
                Ok(f())
            })
            .join()
            .map_err(|_| io::Error::other("thread in namespace panicked"))?
        })
    }

    /// A command that runs inside the namespace and is killed (SIGKILL) when the thread that
    /// spawns it ends: spawn it from a thread that lives as long as the run.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        let fd = self.fd();
        // SAFETY: setns and prctl are async-signal-safe system calls.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setns(fd, libc::CLONE_NEWNET) != 0 {
                    return Err(io::Error::last_os_error());
                }
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        cmd
    }
}
