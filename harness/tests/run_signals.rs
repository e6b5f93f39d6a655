//! `bgpstorm run` stopped by SIGINT or SIGTERM in the middle of a long wait: it stops at once,
//! tears everything down (no namespace, daemon or BPF program remains), writes the reports
//! with the run marked interrupted, and exits 130 / 143. A second signal during the teardown
//! does not stop it; a DUT that never gets ready does not hold the signal up either. Needs
//! root, bird2 and FRR.

#[path = "common/leak.rs"]
mod leak;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// A scenario whose third step waits two minutes for routes that never come.
fn long_scenario(dut: &str) -> String {
    match dut {
        "none" => "version: 1\nname: long\ndut: {kind: none}\nspeakers:\n  a: {asn: 65001, peer: b}\n  b: {asn: 65002}\nsteps:\n  - wait: established\n  - announce: {from: a, prefixes: {count: 100, start: 10.9.0.0/24}}\n  - expect: {at: b, routes: 1000000, within: 120s}\n".into(),
        kind => format!("version: 1\nname: long\ndut: {{kind: {kind}, asn: 65000}}\nspeakers:\n  up: {{asn: 65001}}\n  down: {{asn: 65100}}\nsteps:\n  - wait: established\n  - announce: {{from: up, prefixes: {{count: 100, start: 10.9.0.0/24}}}}\n  - expect: {{at: down, routes: 1000000, within: 120s}}\n"),
    }
}

/// Every line of a child's output, as it comes, on a channel (read on a thread of its own).
fn lines(output: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Reads `rx` until a line contains `needle` (returned), failing the test when the output
/// ends first or `timeout` passes; every line read is appended to `seen`.
fn wait_line(rx: &Receiver<String>, needle: &str, timeout: Duration, seen: &mut Vec<String>) {
    let deadline = Instant::now() + timeout;
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(l) => {
                let hit = l.contains(needle);
                seen.push(l);
                if hit {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!(
                    "no line with {needle:?} within {timeout:?}; output so far:\n{}",
                    seen.join("\n")
                )
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("the output ended before a line with {needle:?}:\n{}", seen.join("\n"))
            }
        }
    }
}

/// The exit status of `child`, waited for up to `timeout` (then it is killed and the test
/// fails).
fn exit_within(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let (tx, rx) = std::sync::mpsc::channel();
    let pid = child.id();
    // `Child::wait` cannot time out: a watchdog kills the child when the test gives up.
    let watchdog = std::thread::spawn(move || {
        if rx.recv_timeout(timeout) == Err(RecvTimeoutError::Timeout) {
            // SAFETY: killing our own child process.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
    });
    let started = Instant::now();
    let status = child.wait().unwrap();
    let _ = tx.send(());
    watchdog.join().unwrap();
    assert!(
        started.elapsed() < timeout,
        "bgpstorm run did not exit within {timeout:?} of the signal"
    );
    status
}

/// Kills the child with SIGKILL (which leaves nothing behind either) when the test fails
/// before the child was waited for.
struct KillOnPanic(u32);

impl Drop for KillOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // SAFETY: killing our own child process, not yet waited for on this path.
            unsafe { libc::kill(self.0 as libc::pid_t, libc::SIGKILL) };
        }
    }
}

fn signal(child: &Child, sig: libc::c_int) {
    // SAFETY: signalling our own child process, which has not been waited for yet.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
}

/// Runs the long scenario on `dut`, sends `sig` while the third step waits (with `twice`,
/// SIGTERM right after it: it arrives while the run stops or tears down, and must change
/// nothing), and checks the exit status, the reports and that nothing of the run remains.
///
/// Two signals sent back to back can be handled on two threads in either order, so with
/// `twice` the one the harness recorded first (its first line on stderr) decides the exit
/// status and the reports, and the other must have been answered with "the teardown goes
/// on".
fn stopped_run(dut: &str, sig: libc::c_int, twice: bool) {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (CI runs as root)");
    let (mut name, mut status) =
        if sig == libc::SIGINT { ("SIGINT", 130) } else { ("SIGTERM", 143) };
    let dir = root().join(format!("target/tmp/run-signals-{dut}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("long.yaml");
    std::fs::write(&scenario, long_scenario(dut)).unwrap();
    let (artifacts, json, junit, matrix) =
        (dir.join("runs"), dir.join("r.json"), dir.join("r.xml"), dir.join("m.md"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_bgpstorm"))
        .arg("run")
        .arg(&scenario)
        .arg("--artifacts")
        .arg(&artifacts)
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .arg("--matrix")
        .arg(&matrix)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _guard = KillOnPanic(child.id());
    let out = lines(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    // Step 2 passed: step 3, the two-minute wait, is under way.
    wait_line(&out, "2/3", Duration::from_secs(60), &mut stdout);
    assert!(stdout.last().is_some_and(|l| l.contains("PASS")), "{stdout:?}");
    // The daemons' command lines name files inside the run's folder (the harness's own names
    // the folder alone).
    let held = leak::Held::by(child.id(), &format!("{}/", artifacts.display()));
    assert!(held.namespaces.len() >= 3, "the run holds its namespaces: {:?}", held.namespaces);
    if dut != "none" {
        assert!(!leak::processes_with(&held.daemons).is_empty(), "{dut} runs");
        assert!(!held.programs.is_empty(), "the capture's programs are loaded");
    }

    let sent = Instant::now();
    signal(&child, sig);
    if twice {
        signal(&child, libc::SIGTERM);
    }
    let exit = exit_within(&mut child, Duration::from_secs(20));
    let took = sent.elapsed();
    stdout.extend(out.iter());
    stderr.extend(err.iter());
    let (stdout, stderr) = (stdout.join("\n"), stderr.join("\n"));
    if twice && stderr.starts_with("SIGTERM: stopping") {
        (name, status) = ("SIGTERM", 143);
    }
    assert_eq!(exit.code(), Some(status), "stdout:\n{stdout}\nstderr:\n{stderr}");
    eprintln!("{dut} {name}: exited {status} {took:?} after the signal");
    assert!(
        stdout.contains("INTR") && stdout.contains(&format!("interrupted by {name} in step 3")),
        "{stdout}"
    );
    assert!(stdout.contains("1 interrupted"), "{stdout}");
    if twice {
        let other = if name == "SIGINT" { "SIGTERM" } else { "SIGINT" };
        assert!(stderr.contains(&format!("{other}: the teardown goes on")), "{stderr}");
    }

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let run = &report.as_array().expect("an array of runs")[0];
    assert_eq!(run["interrupted"], name, "{run}");
    assert_eq!(run["steps"][0]["status"], "passed", "{run}");
    assert_eq!(run["steps"][2]["status"], "interrupted", "{run}");
    assert!(run["steps"][2]["duration"].as_f64().is_some_and(|d| d < 60.0), "{run}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<error") && xml.contains("interrupted by"), "{xml}");
    let md = std::fs::read_to_string(&matrix).unwrap();
    assert!(md.contains("**interrupted**"), "{md}");

    held.wait_gone(Duration::from_secs(10), &format!("{dut} after {name}"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigint_stops_a_bird_run_tears_it_down_and_exits_130() {
    stopped_run("bird", libc::SIGINT, false);
}

#[test]
fn sigterm_stops_a_bird_run_tears_it_down_and_exits_143() {
    stopped_run("bird", libc::SIGTERM, false);
}

#[test]
fn a_second_signal_does_not_stop_the_teardown_of_a_bird_run() {
    stopped_run("bird", libc::SIGINT, true);
}

#[test]
fn sigint_stops_an_frr_run_tears_it_down_and_exits_130() {
    stopped_run("frr", libc::SIGINT, false);
}

#[test]
fn sigint_stops_a_run_without_a_dut_and_exits_130() {
    stopped_run("none", libc::SIGINT, false);
}

#[test]
fn sigterm_stops_a_run_without_a_dut_and_exits_143() {
    stopped_run("none", libc::SIGTERM, false);
}

/// A `bird` first on PATH that never opens its control socket: the DUT start waits for it
/// (up to 30 s) until SIGINT ends the wait.
#[test]
fn sigint_during_a_dut_start_stops_it_at_once_and_exits_130() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (CI runs as root)");
    let dir = root().join(format!("target/tmp/run-signals-start-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let bird = bin.join("bird");
    std::fs::write(
        &bird,
        "#!/bin/sh\n# never answers on its control socket\nwhile :; do sleep 1; done\n",
    )
    .unwrap();
    std::fs::set_permissions(&bird, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let scenario = dir.join("long.yaml");
    std::fs::write(&scenario, long_scenario("bird")).unwrap();
    let (artifacts, json) = (dir.join("runs"), dir.join("r.json"));
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut child = Command::new(env!("CARGO_BIN_EXE_bgpstorm"))
        .arg("run")
        .arg(&scenario)
        .arg("--artifacts")
        .arg(&artifacts)
        .arg("--json")
        .arg(&json)
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _guard = KillOnPanic(child.id());
    let out = lines(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    let mut stdout = Vec::new();
    wait_line(&out, "RUN  long on bird", Duration::from_secs(30), &mut stdout);
    // The fake daemon runs (its command line names the run's folder): the start waits for it.
    let needle = format!("{}/", artifacts.display());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut backoff = Duration::from_millis(5);
    while leak::processes_with(&needle).is_empty() {
        assert!(Instant::now() < deadline, "the fake bird never started");
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_millis(100));
    }
    let held = leak::Held::by(child.id(), &needle);
    assert!(held.namespaces.len() >= 3, "the run holds its namespaces: {:?}", held.namespaces);

    let sent = Instant::now();
    signal(&child, libc::SIGINT);
    // Far below the DUT start's 30 s deadline.
    let exit = exit_within(&mut child, Duration::from_secs(5));
    eprintln!("DUT start SIGINT: exited {:?} {:?} after the signal", exit.code(), sent.elapsed());
    stdout.extend(out.iter());
    let (stdout, stderr) = (stdout.join("\n"), err.iter().collect::<Vec<_>>().join("\n"));
    assert_eq!(exit.code(), Some(130), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("interrupted by SIGINT during setup"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let run = &report[0];
    assert_eq!(run["interrupted"], "SIGINT", "{run}");
    assert!(run["steps"].as_array().unwrap().iter().all(|s| s["status"] == "skipped"), "{run}");
    held.wait_gone(Duration::from_secs(10), "a DUT start stopped by SIGINT");
    let _ = std::fs::remove_dir_all(&dir);
}

/// What process `pid` holds once its run is under way: at least three namespaces, the
/// capture's programs and a daemon whose command line names `artifacts`; waited for up to
/// `within`.
fn held_once_running(pid: u32, artifacts: &Path, within: Duration) -> leak::Held {
    let deadline = Instant::now() + within;
    let needle = format!("{}/", artifacts.display());
    loop {
        let held = leak::Held::by(pid, &needle);
        if held.namespaces.len() >= 3
            && !held.programs.is_empty()
            && !leak::processes_with(&needle).is_empty()
        {
            return held;
        }
        assert!(Instant::now() < deadline, "no run under way within {within:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `bgpstorm bench` stopped by SIGINT during its warm-up run (a workload that waits two
/// minutes for routes that never come): exit 130 at once, the run torn down, the results so
/// far written with the stopped cell saying where the signal came.
#[test]
fn sigint_stops_a_benchmark_tears_it_down_writes_the_results_and_exits_130() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (CI runs as root)");
    let dir = root().join(format!("target/tmp/bench-signals-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let workload = dir.join("long.yaml");
    std::fs::write(&workload, long_scenario("bird")).unwrap();
    let (json, table) = (dir.join("b.json"), dir.join("b.md"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_bgpstorm"))
        .current_dir(&dir)
        .args(["bench", "long.yaml", "--dut", "bird", "--repeat", "1", "--json", "b.json"])
        .args(["--markdown", "b.md"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _guard = KillOnPanic(child.id());
    let out = lines(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    // The bench's runs keep their artifacts under the working directory.
    let held = held_once_running(child.id(), &dir.join("target"), Duration::from_secs(60));

    let sent = Instant::now();
    signal(&child, libc::SIGINT);
    let exit = exit_within(&mut child, Duration::from_secs(20));
    let took = sent.elapsed();
    let stdout: Vec<String> = out.iter().collect();
    let stderr: Vec<String> = err.iter().collect();
    let (stdout, stderr) = (stdout.join("\n"), stderr.join("\n"));
    assert_eq!(exit.code(), Some(130), "stdout:\n{stdout}\nstderr:\n{stderr}");
    eprintln!("bench SIGINT: exited 130 {took:?} after the signal");
    assert!(
        stdout.contains("long on bird@")
            && stdout.contains("warm-up: interrupted by SIGINT in step "),
        "{stdout}"
    );
    let cells: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let cell = &cells.as_array().expect("an array of cells")[0];
    assert!(
        cell["error"].as_str().is_some_and(|e| e.contains("interrupted by SIGINT in step ")),
        "{cell}"
    );
    assert!(std::fs::read_to_string(&table).unwrap().contains("long"));
    held.wait_gone(Duration::from_secs(10), "bench after SIGINT");
    let _ = std::fs::remove_dir_all(&dir);
}
