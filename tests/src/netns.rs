//! Network namespaces and veth pairs made with iproute2 (`ip netns`, `ip link`), removed on
//! drop. Names carry the test process id and a counter so parallel tests never collide.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// Fails the test with a clear message unless it runs as root with iproute2 present.
pub fn require_root() {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    assert_eq!(
        uid, 0,
        "this test creates network namespaces and needs root (CI runs as root after `bash ci/setup`)"
    );
    assert!(
        Command::new("ip").arg("-V").output().is_ok_and(|o| o.status.success()),
        "`ip` (iproute2) is missing: run `bash ci/setup`"
    );
}

/// Runs a command and fails the test with its output when it fails.
pub fn run(cmd: &[&str]) {
    let out =
        Command::new(cmd[0]).args(&cmd[1..]).output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// A network namespace, deleted (with its veth ends) on drop.
#[derive(Debug)]
pub struct Netns {
    /// The namespace's name under /run/netns.
    pub name: String,
}

impl Netns {
    /// Creates `bgps-<tag>-<pid>-<n>`, with its loopback up.
    pub fn new(tag: &str) -> Self {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("bgps-{tag}-{}-{n}", std::process::id());
        run(&["ip", "netns", "add", &name]);
        let ns = Self { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// The path to give `setns` (and the speaker's `netns` option).
    pub fn path(&self) -> PathBuf {
        PathBuf::from("/run/netns").join(&self.name)
    }

    /// Runs `ip -n <ns> ARGS`.
    pub fn ip(&self, args: &[&str]) {
        let mut cmd = vec!["ip", "-n", &self.name];
        cmd.extend_from_slice(args);
        run(&cmd);
    }

    /// Adds an address (IPv6 without duplicate address detection, so it is usable at once)
    /// and brings the interface up.
    pub fn addr(&self, dev: &str, cidr: &str) {
        if cidr.contains(':') {
            self.ip(&["addr", "add", cidr, "dev", dev, "nodad"]);
        } else {
            self.ip(&["addr", "add", cidr, "dev", dev]);
        }
        self.ip(&["link", "set", dev, "up"]);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.name]).status();
    }
}

/// Connects two namespaces with a veth pair named `a_dev` (in `a`) and `b_dev` (in `b`).
/// The pair disappears with either namespace.
pub fn veth(a: &Netns, a_dev: &str, b: &Netns, b_dev: &str) {
    // Create in the root namespace under unique temporary names, then move: interface names
    // only need to be unique per namespace, and the temporary ones per process.
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let (ta, tb) =
        (format!("bsa{}x{n}", std::process::id()), format!("bsb{}x{n}", std::process::id()));
    run(&["ip", "link", "add", &ta, "type", "veth", "peer", "name", &tb]);
    run(&["ip", "link", "set", &ta, "netns", &a.name, "name", a_dev]);
    run(&["ip", "link", "set", &tb, "netns", &b.name, "name", b_dev]);
}
