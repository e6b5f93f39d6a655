//! `bgpstorm run` killed with SIGKILL in the middle of a scenario leaves nothing behind, for
//! every daemon: no namespace (they are held only by its descriptors), no daemon process (each
//! runs in a PID namespace whose init dies with the harness, even one that drops privileges
//! like FRR's zebra), no BPF program (the TCX links and programs belong to its descriptors).
//! Daemons of the Debian 13 root too: chrooted, in a mount namespace of their own whose bind
//! mounts go with its last process. Needs root, bird2, FRR, GoBGP and OpenBGPD, and for the
//! root's daemons `bgpstorm dut install debian13` (those tests say so and pass without it).

#[path = "common/child.rs"]
mod child;
#[path = "common/leak.rs"]
mod leak;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

#[test]
fn a_bird_run_killed_with_sigkill_leaves_nothing() {
    killed_run_leaves_nothing("bird");
}

/// `--dut` of the root's daemon of `kind` (its version read), or `None` when no root.
fn root_dut(kind: bgpstorm_harness::scenario::model::DutKind) -> Option<String> {
    use bgpstorm_harness::dut::{Installed, Source, roots_dir};
    let path = roots_dir().join("debian13");
    if !path.join("usr").is_dir() {
        eprintln!(
            "SKIPPED: no Debian 13 root at {} (`bgpstorm dut install debian13`)",
            path.display()
        );
        return None;
    }
    let source = Source::Root { name: Some("debian13".into()), path };
    Some(Installed::read(kind, source).unwrap().spec())
}

#[test]
fn root_daemon_runs_killed_with_sigkill_leave_nothing() {
    for kind in bgpstorm_harness::scenario::model::DutKind::DAEMONS {
        let Some(dut) = root_dut(kind) else { return };
        killed_run_of(kind.name(), Some(&dut));
    }
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
    killed_run_of(kind, None);
}

/// As above, with `--dut DUT` when given (a daemon of a root).
fn killed_run_of(kind: &str, dut: Option<&str>) {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (CI runs as root)");
    let tag = dut.unwrap_or(kind).replace(['@', '=', '/'], "-");
    let name = format!("run-leak-{tag}-{}", std::process::id());
    let dir = root().join(format!("target/tmp/{name}"));
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
        .args(dut.map(|d| format!("--dut={d}")))
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
    // The daemons' command lines name files inside the run's folder (the harness's own names
    // the folder alone); a root's daemons see it as a bind mount (named in their mount table).
    let needle = match dut {
        None => format!("{}/", artifacts.display()),
        Some(_) => format!("{name}/runs/"),
    };
    let held = leak::Held::by(child.id(), &needle);
    assert!(held.namespaces.len() >= 3, "the run holds its namespaces: {:?}", held.namespaces);
    assert!(!leak::processes_with(&held.daemons).is_empty(), "{kind} runs");
    assert!(!held.programs.is_empty(), "the capture's programs are loaded");

    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // The kernel tears down asynchronously (the daemon gets its death signal, descriptors
    // close): wait for it with a deadline.
    held.wait_gone(Duration::from_secs(10), &format!("{} after SIGKILL", dut.unwrap_or(kind)));
    let _ = std::fs::remove_dir_all(&dir);
}
