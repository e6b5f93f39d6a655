//! What tests that run other programs share: a check that a program is installed, scratch
//! directories for their files, and waiting for a line of a child's output. The programs
//! themselves run inside a lab namespace through the harness's
//! [`DaemonProcess`](bgpstorm_harness::dut::DaemonProcess) (killed with the test process).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// Reads `output` (a child's stdout or stderr) line by line on a thread until `pick` finds
/// what it looks for in a line, and returns that. Fails the test, saying `what` was awaited,
/// when the output ends first or `timeout` passes. The thread drains the rest of the output,
/// so the child never blocks on a full pipe.
pub fn wait_for_line<T: Send + 'static>(
    output: impl Read + Send + 'static,
    pick: impl Fn(&str) -> Option<T> + Send + 'static,
    timeout: Duration,
    what: &str,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut found = false;
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            if !found && let Some(v) = pick(&line) {
                let _ = tx.send(v);
                found = true;
            }
        }
    });
    match rx.recv_timeout(timeout) {
        Ok(v) => v,
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            panic!("the output ended before {what}")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("no {what} within {timeout:?}"),
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
