//! Throwaway network namespaces joined by a veth pair, for tests that need real sockets.
//!
//! [`VethPair::new`] creates two namespaces with names unique to this process and call
//! (`bgpstorm-t-PID-N-a` / `-b`, so tests run in parallel), a veth pair between them with
//! IPv4 and IPv6 addresses, and removes both namespaces (and with them the veths) when
//! dropped, also when the test fails. Namespaces of test processes killed before they could
//! clean up are swept by the next [`VethPair::new`]. Offloads stay as the kernel sets them
//! (TSO/GSO on).

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use bgpstorm_monitor::capture::live::Netns;

/// Panics with a clear message unless the test runs as root (CI does): tests that need
/// namespaces and eBPF must fail, not pass silently, without it.
pub fn require_root() {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    assert_eq!(
        uid, 0,
        "this test creates network namespaces and loads eBPF programs: run it as root \
         (CI runs as root); euid is {uid}"
    );
}

/// The kernel's CLOCK_MONOTONIC in nanoseconds, the clock of bpf_ktime_get_ns.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn ip(args: &[&str]) -> io::Result<()> {
    let out = Command::new("ip").args(args).output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// Two namespaces `a` and `b` joined by `veth-a` (in `a`) and `veth-b` (in `b`).
#[derive(Debug)]
pub struct VethPair {
    /// Namespace of side a.
    pub ns_a: String,
    /// Namespace of side b.
    pub ns_b: String,
}

impl VethPair {
    /// Interface of side a, in `ns_a`.
    pub const IF_A: &'static str = "veth-a";
    /// Interface of side b, in `ns_b`.
    pub const IF_B: &'static str = "veth-b";

    /// Creates both namespaces and the link; nothing is left behind if a step fails.
    pub fn new() -> io::Result<Self> {
        sweep_dead();
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let base = format!("{PREFIX}{}-{n}", std::process::id());
        let pair = Self { ns_a: format!("{base}-a"), ns_b: format!("{base}-b") };
        ip(&["netns", "add", &pair.ns_a])?;
        // From here on Drop removes whatever exists.
        ip(&["netns", "add", &pair.ns_b])?;
        let (a, b) = (pair.ns_a.as_str(), pair.ns_b.as_str());
        ip(&[
            "link",
            "add",
            Self::IF_A,
            "netns",
            a,
            "type",
            "veth",
            "peer",
            "name",
            Self::IF_B,
            "netns",
            b,
        ])?;
        for (ns, ifname, v4, v6) in [
            (a, Self::IF_A, "10.179.0.1/24", "fd00:179::1/64"),
            (b, Self::IF_B, "10.179.0.2/24", "fd00:179::2/64"),
        ] {
            ip(&["-n", ns, "addr", "add", v4, "dev", ifname])?;
            // nodad: usable at once, no duplicate address detection delay.
            ip(&["-n", ns, "addr", "add", v6, "dev", ifname, "nodad"])?;
            ip(&["-n", ns, "link", "set", ifname, "up"])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        Ok(pair)
    }

    /// Raises the GSO and GRO size limits of both ends to `bytes` (BIG TCP for IPv6 beyond
    /// 64 KiB; Debian 12's iproute2 cannot set the IPv4 limits).
    pub fn set_gso_max(&self, bytes: u32) -> io::Result<()> {
        let n = bytes.to_string();
        for (ns, ifname) in [(&self.ns_a, Self::IF_A), (&self.ns_b, Self::IF_B)] {
            ip(&["-n", ns, "link", "set", "dev", ifname, "gso_max_size", &n, "gro_max_size", &n])?;
        }
        Ok(())
    }

    /// IPv4 or IPv6 address of side a.
    pub fn addr_a(&self, v6: bool) -> IpAddr {
        if v6 { "fd00:179::1".parse().unwrap() } else { "10.179.0.1".parse().unwrap() }
    }

    /// IPv4 or IPv6 address of side b.
    pub fn addr_b(&self, v6: bool) -> IpAddr {
        if v6 { "fd00:179::2".parse().unwrap() } else { "10.179.0.2".parse().unwrap() }
    }

    /// Namespace a, to enter.
    pub fn netns_a(&self) -> Netns {
        Netns::named(&self.ns_a)
    }

    /// Namespace b, to enter.
    pub fn netns_b(&self) -> Netns {
        Netns::named(&self.ns_b)
    }

    /// A listening socket in namespace b.
    pub fn listen_b(&self, addr: SocketAddr) -> io::Result<TcpListener> {
        self.netns_b().run(|| TcpListener::bind(addr))?
    }

    /// A connection from namespace a to `addr`, and the accepted other end from `listener`.
    pub fn connect_a(
        &self,
        listener: &TcpListener,
        addr: SocketAddr,
    ) -> io::Result<(TcpStream, TcpStream)> {
        let client = self.netns_a().run(|| TcpStream::connect(addr))??;
        let (server, _) = listener.accept()?;
        Ok((client, server))
    }
}

/// Removes the namespaces of test processes that died without running their destructors
/// (SIGKILL, a runner's timeout): `bgpstorm-t-PID-...` whose PID is gone.
fn sweep_dead() {
    let Ok(dir) = std::fs::read_dir("/run/netns") else { return };
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(PREFIX).and_then(|r| r.split('-').next()) else {
            continue;
        };
        let alive =
            pid.parse::<u32>().is_ok_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            // Another test process may sweep the same one at the same time: errors are fine.
            let _ = ip(&["netns", "del", &name]);
        }
    }
}

/// Prefix of every namespace name this module creates.
const PREFIX: &str = "bgpstorm-t-";

impl Drop for VethPair {
    fn drop(&mut self) {
        // Deleting a namespace destroys the veth end inside it, and so the pair.
        for ns in [&self.ns_a, &self.ns_b] {
            if let Err(e) = ip(&["netns", "del", ns]) {
                eprintln!("cleanup: {e}");
            }
        }
    }
}
