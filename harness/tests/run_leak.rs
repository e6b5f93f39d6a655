//! `bgpstorm run` killed with SIGKILL in the middle of a scenario leaves nothing behind, for
//! every daemon: no namespace (they are held only by its descriptors), no daemon process (each
//! runs in a PID namespace whose init dies with the harness, even one that drops privileges
//! like FRR's zebra), no BPF program (the TCX links and programs belong to its descriptors).
//! Needs root, bird2, FRR, GoBGP and OpenBGPD.

#[path = "common/child.rs"]
mod child;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// `net:[inode]` namespaces process `pid` holds as descriptors.
fn held_namespaces(pid: u32) -> Vec<String> {
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
fn all_namespaces() -> Vec<String> {
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

/// Processes whose command line mentions `needle`.
fn processes_with(needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmd) = std::fs::read(p.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(needle) && !cmd.contains("run_leak") {
                out.push(cmd);
            }
        }
    }
    out
}

/// IDs of the BPF programs process `pid` holds (program and link descriptors name them).
fn held_bpf_programs(pid: u32) -> Vec<u32> {
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

fn bpf_program_ids() -> Vec<u32> {
    aya::programs::loaded_programs().flatten().map(|p| p.id()).collect()
}

#[test]
fn a_bird_run_killed_with_sigkill_leaves_nothing() {
    killed_run_leaves_nothing("bird");
}

#[test]
fn an_frr_run_killed_with_sigkill_leaves_nothing() {
    killed_run_leaves_nothing("frr");
}

#[test]
fn a_gobgp_run_killed_with_sigkill_leaves_nothing() {
    killed_run_leaves_nothing("gobgp");
}

#[test]
fn an_openbgpd_run_killed_with_sigkill_leaves_nothing() {
    killed_run_leaves_nothing("openbgpd");
}

/// Kills `bgpstorm run` of a scenario on `kind` mid-run and waits, with a deadline, until no
/// namespace, process or BPF program of that run remains.
fn killed_run_leaves_nothing(kind: &str) {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (CI runs as root)");
    let dir = root().join(format!("target/tmp/run-leak-{kind}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("long.yaml");
    std::fs::write(
        &scenario,
        format!("version: 1\nname: long\ndut: {{kind: {kind}, asn: 65000}}\nspeakers:\n  up: {{asn: 65001}}\n  down: {{asn: 65100}}\nsteps:\n  - wait: established\n  - announce: {{from: up, prefixes: {{count: 100, start: 10.9.0.0/24}}}}\n  - expect: {{at: down, routes: 1000000, within: 120s}}\n"),
    )
    .unwrap();
    let artifacts = dir.join("runs");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bgpstorm"))
        .args(["run"])
        .arg(&scenario)
        .arg("--artifacts")
        .arg(&artifacts)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = child::wait_for_line(
        stdout,
        |l| l.contains("2/3").then(|| l.to_string()),
        Duration::from_secs(60),
        "the run's waiting step",
    );
    assert!(line.contains("PASS"), "{line}");
    // Mid-run: namespaces, the daemon and the capture exist.
    let held = held_namespaces(child.id());
    assert!(held.len() >= 3, "the run holds its namespaces: {held:?}");
    let artifacts_s = artifacts.to_string_lossy().into_owned();
    assert!(!processes_with(&artifacts_s).is_empty(), "{kind} runs");
    let during = held_bpf_programs(child.id());
    assert!(!during.is_empty(), "the capture's programs are loaded");

    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // The kernel tears down asynchronously (the daemon gets its death signal, descriptors
    // close): wait for it with a deadline.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut backoff = Duration::from_millis(5);
    loop {
        let daemons = processes_with(&artifacts_s);
        let namespaces: Vec<String> =
            all_namespaces().into_iter().filter(|n| held.contains(n)).collect();
        let programs: Vec<u32> =
            bpf_program_ids().into_iter().filter(|id| during.contains(id)).collect();
        if daemons.is_empty() && namespaces.is_empty() && programs.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{kind}: left behind after SIGKILL: daemons {daemons:?}, namespaces {namespaces:?}, BPF programs {programs:?}"
        );
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_millis(100));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
