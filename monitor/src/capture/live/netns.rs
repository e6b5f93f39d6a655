//! Network namespaces, held by file descriptors, and running code inside them.
//!
//! This is the project's one namespace type: the harness's topology, the speaker's sockets,
//! the live capture and the tests all use it.
//!
//! - [`Netns::create`] makes a namespace private to this process: `unshare(CLONE_NEWNET)` on
//!   a short-lived thread, which opens its `/proc/thread-self/ns/net` and ends. The descriptor
//!   is then the only reference; nothing is mounted under /run/netns, so when the process exits
//!   or is killed with SIGKILL, the kernel destroys the namespace with every interface in it.
//! - [`Netns::open`] and [`Netns::named`] open a namespace that someone else made (a user's
//!   `ip netns add NAME`, or `/proc/PID/ns/net`), for `bgpstorm monitor --netns`.
//! - [`Netns::current`] is the caller's own namespace.
//!
//! Interface names, sockets and TC attachments resolve in the calling thread's network
//! namespace (setns(2) with CLONE_NEWNET is per thread). [`Netns::run`] spawns a thread,
//! moves it into the namespace, runs the closure and ends the thread, so the caller's thread
//! never changes namespace. File descriptors the closure creates (sockets, BPF links) are
//! process-wide and stay bound to the namespace they were created in.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A network namespace: the caller's own, or one held open by a descriptor.
#[derive(Debug)]
pub struct Netns {
    name: String,
    fd: Option<OwnedFd>,
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
    /// The caller's own namespace: closures run without setns.
    pub fn current() -> Self {
        Self { name: "the current network namespace".to_owned(), fd: None }
    }

    /// Creates a namespace owned by this process, with its loopback up and IPv6 duplicate
    /// address detection off. Needs CAP_SYS_ADMIN (root).
    pub fn create(name: &str) -> io::Result<Self> {
        let file = std::thread::scope(|s| {
            s.spawn(|| -> io::Result<File> {
                // SAFETY: unshare with CLONE_NEWNET changes only this thread's namespace.
                check(unsafe { libc::unshare(libc::CLONE_NEWNET) }, "unshare(CLONE_NEWNET)")?;
                // Addresses usable at once: no IPv6 duplicate address detection on links that
                // only this process can reach. /proc/sys/net follows the thread's namespace.
                for conf in ["default", "all"] {
                    let p = format!("/proc/sys/net/ipv6/conf/{conf}/accept_dad");
                    std::fs::write(&p, "0")
                        .map_err(|e| io::Error::new(e.kind(), format!("{p}: {e}")))?;
                }
                loopback_up()?;
                File::open("/proc/thread-self/ns/net")
            })
            .join()
            .map_err(|_| io::Error::other("namespace thread panicked"))?
        })?;
        Ok(Self { name: name.to_owned(), fd: Some(file.into()) })
    }

    /// Opens the namespace file at `path` (`/run/netns/NAME`, `/proc/PID/ns/net`, or the
    /// [`Netns::path`] of a namespace of a process that is still running).
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot open {}: {e}", path.display()))
        })?;
        Ok(Self { name: path.display().to_string(), fd: Some(file.into()) })
    }

    /// Opens the namespace a user made with `ip netns add NAME` (`/run/netns/NAME`).
    pub fn named(name: &str) -> io::Result<Self> {
        Self::open(&Path::new("/run/netns").join(name))
    }

    /// What to call the namespace in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its descriptor (`None` for the caller's own namespace).
    pub fn fd(&self) -> Option<RawFd> {
        self.fd.as_ref().map(AsRawFd::as_raw_fd)
    }

    /// A path that opens this namespace, valid while this process runs.
    pub fn path(&self) -> PathBuf {
        match self.fd() {
            Some(fd) => PathBuf::from(format!("/proc/{}/fd/{fd}", std::process::id())),
            None => PathBuf::from(format!("/proc/{}/ns/net", std::process::id())),
        }
    }

    /// Runs `f` on a new thread that has entered this namespace and returns its result.
    ///
    /// Fails when the namespace cannot be entered (setns needs CAP_SYS_ADMIN); a panic in
    /// `f` is resumed on the caller's thread.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> io::Result<T> {
        let fd = self.fd();
        let what = &self.name;
        std::thread::scope(|s| {
            let handle = s.spawn(move || {
                if let Some(fd) = fd {
                    // SAFETY: setns takes a descriptor we hold open and only changes this
                    // thread.
                    check(
                        unsafe { libc::setns(fd, libc::CLONE_NEWNET) },
                        &format!("setns into {what}"),
                    )?;
                }
                Ok(f())
            });
            match handle.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }

    /// A command that runs inside the namespace and is killed (SIGKILL) when the thread that
    /// spawns it ends: spawn it from a thread that lives as long as the command should.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        let fd = self.fd();
        // SAFETY: setns and prctl are async-signal-safe system calls.
        unsafe {
            cmd.pre_exec(move || {
                if let Some(fd) = fd
                    && libc::setns(fd, libc::CLONE_NEWNET) != 0
                {
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

/// Sets `lo` up in the calling thread's namespace (SIOCSIFFLAGS on a datagram socket).
fn loopback_up() -> io::Result<()> {
    // SAFETY: a plain socket call; the descriptor is owned (and closed) below.
    let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: raw is a new descriptor nobody else owns.
    let sock = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) };
    // SAFETY: ifreq is plain data; all zeroes is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: req is a valid ifreq naming an interface; the ioctls read and write it only.
    unsafe {
        check(libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req), "SIOCGIFFLAGS lo")?;
        req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        check(libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req), "SIOCSIFFLAGS lo")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_named_namespace_is_an_error_naming_its_path() {
        let e = Netns::named("bgpstorm-no-such-namespace").unwrap_err();
        assert!(e.to_string().contains("/run/netns/bgpstorm-no-such-namespace"), "{e}");
    }

    #[test]
    fn the_current_namespace_runs_closures_in_place() {
        assert_eq!(Netns::current().run(|| 7).unwrap(), 7);
    }
}
