//! What a run leaves behind: namespaces, daemon processes and BPF programs, seen from /proc
//! and the kernel, and a wait (with a deadline) until none of a run's remain.

use std::time::{Duration, Instant};

/// `net:[inode]` namespaces process `pid` holds as descriptors.
pub fn held_namespaces(pid: u32) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for f in fds.flatten() {
            if let Ok(t) = std::fs::read_link(f.path()) {
                let t = t.to_string_lossy().into_owned();
                if t.starts_with("net:[") {
                    out.push(t);
                }
            }
        }
    }
    out
}

/// Every namespace any process holds (as its namespace or a descriptor).
pub fn all_namespaces() -> Vec<String> {
    let mut out = Vec::new();
    for p in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = p.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(t) = std::fs::read_link(p.path().join("ns/net")) {
            out.push(t.to_string_lossy().into_owned());
        }
        out.extend(held_namespaces(name.parse().unwrap_or(0)));
    }
    out
}

/// Processes other than this test whose command line mentions `needle`, or whose mount
/// table does (a daemon chrooted into a root sees the run's folder as a bind mount only).
pub fn processes_with(needle: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    let mut out = Vec::new();
    for p in std::fs::read_dir("/proc").unwrap().flatten() {
        if p.file_name().to_string_lossy() == me {
            continue;
        }
        if let Ok(cmd) = std::fs::read(p.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            let mounts = std::fs::read_to_string(p.path().join("mountinfo")).unwrap_or_default();
            if cmd.contains(needle) || mounts.contains(needle) {
                out.push(cmd);
            }
        }
    }
    out
}

/// IDs of the BPF programs process `pid` holds (program and link descriptors name them).
pub fn held_bpf_programs(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    if let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) {
        for f in fds.flatten() {
            let info = std::fs::read_to_string(f.path()).unwrap_or_default();
            out.extend(
                info.lines()
                    .filter_map(|l| l.strip_prefix("prog_id:"))
                    .filter_map(|v| v.trim().parse::<u32>().ok()),
            );
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// IDs of every BPF program loaded in the kernel.
pub fn bpf_program_ids() -> Vec<u32> {
    aya::programs::loaded_programs().flatten().map(|p| p.id()).collect()
}

/// What a run held while it ran: its namespaces, its BPF programs, and the text every one of
/// its daemons' command lines holds (its artifacts folder).
pub struct Held {
    /// Namespaces.
    pub namespaces: Vec<String>,
    /// BPF programs.
    pub programs: Vec<u32>,
    /// A needle of the daemons' command lines.
    pub daemons: String,
}

impl Held {
    /// What process `pid` holds now; `daemons` as above.
    pub fn by(pid: u32, daemons: &str) -> Self {
        Self {
            namespaces: held_namespaces(pid),
            programs: held_bpf_programs(pid),
            daemons: daemons.to_string(),
        }
    }

    /// Waits, up to `within`, until nothing of it remains (the kernel frees namespaces and
    /// programs asynchronously once their last holder is gone); fails the test, saying what
    /// remained and `what` happened to the run, when something still does.
    pub fn wait_gone(&self, within: Duration, what: &str) {
        let deadline = Instant::now() + within;
        let mut backoff = Duration::from_millis(5);
        loop {
            let daemons = processes_with(&self.daemons);
            let namespaces: Vec<String> =
                all_namespaces().into_iter().filter(|n| self.namespaces.contains(n)).collect();
            let programs: Vec<u32> =
                bpf_program_ids().into_iter().filter(|id| self.programs.contains(id)).collect();
            if daemons.is_empty() && namespaces.is_empty() && programs.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: left behind: daemons {daemons:?}, namespaces {namespaces:?}, BPF programs {programs:?}"
            );
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(Duration::from_millis(100));
        }
    }
}
