//! Running code inside a network namespace, on a dedicated thread.
//!
//! Interface names, sockets and TC attachments resolve in the calling thread's network
//! namespace (setns(2) with CLONE_NEWNET is per thread). [`Netns::run`] spawns a thread,
//! moves it into the namespace, runs the closure and ends the thread, so the caller's thread
//! never changes namespace. File descriptors the closure creates (sockets, BPF links) are
//! process-wide and stay bound to the namespace they were created in.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

/// A network namespace to enter.
#[derive(Debug)]
pub enum Netns {
    /// The caller's own namespace: run the closure without setns.
    Current,
    /// A namespace file, e.g. `/run/netns/NAME` (`ip netns add NAME`) or `/proc/PID/ns/net`.
    Path(PathBuf),
    /// An open namespace file descriptor.
    Fd(OwnedFd),
}

impl Netns {
    /// The namespace `ip netns add NAME` created (`/run/netns/NAME`).
    pub fn named(name: &str) -> Self {
        Self::Path(Path::new("/run/netns").join(name))
    }

    /// What to call the namespace in messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Current => "the current network namespace".to_owned(),
            Self::Path(p) => p.display().to_string(),
            Self::Fd(fd) => format!("network namespace fd {}", fd.as_raw_fd()),
        }
    }

    /// Runs `f` on a new thread that has entered this namespace and returns its result.
    ///
    /// Fails when the namespace cannot be opened or entered (setns needs CAP_SYS_ADMIN);
    /// a panic in `f` is resumed on the caller's thread.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> io::Result<T> {
        let file;
        let fd: Option<BorrowedFd<'_>> = match self {
            Self::Current => None,
            Self::Path(p) => {
                file = File::open(p).map_err(|e| {
                    io::Error::new(e.kind(), format!("cannot open {}: {e}", p.display()))
                })?;
                Some(std::os::fd::AsFd::as_fd(&file))
            }
            Self::Fd(fd) => Some(std::os::fd::AsFd::as_fd(fd)),
        };
        let what = self.describe();
        std::thread::scope(|s| {
            let handle = s.spawn(move || {
                if let Some(fd) = fd {
                    // SAFETY: setns takes a valid descriptor and only changes this thread.
                    if unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                        let e = io::Error::last_os_error();
                        return Err(io::Error::new(e.kind(), format!("setns into {what}: {e}")));
                    }
                }
                Ok(f())
            });
            match handle.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }
}
