//! `bgpstorm run`, `validate`, `list` and `schema` as users call them: exit codes and
//! messages for invalid scenarios and wrong usage, and a scenario that runs (as root).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn bgpstorm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bgpstorm")).args(args).current_dir(root()).output().unwrap()
}

fn scratch(name: &str, text: &str) -> String {
    let dir = root().join("target/tmp/run-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn an_invalid_scenario_is_reported_with_file_line_and_column_and_exits_2() {
    let bad = scratch(
        "typo.yaml",
        "version: 1\nname: x\ndut: {kind: bird, asn: 65000}\nspeakers:\n  up: {asn: 65001, pasive: true}\nsteps:\n  - wait: established\n",
    );
    for cmd in ["validate", "run"] {
        let out = bgpstorm(&[cmd, &bad]);
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("typo.yaml") && err.contains("line 5") && err.contains("pasive"),
            "{cmd}: {err}"
        );
    }
    let refs = scratch(
        "refs.yaml",
        "version: 1\nname: x\ndut: {kind: bird, asn: 65000}\nspeakers:\n  up: {asn: 65001}\nsteps:\n  - withdraw: {from: upp, prefixes: all}\n",
    );
    let out = bgpstorm(&["validate", &refs]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("steps[0].withdraw.from: no speaker named \"upp\"")
    );
}

#[test]
fn wrong_usage_exits_2() {
    for args in
        [&["run"][..], &["run", "scenarios", "--dut", "quagga"], &["validate", "no/such/dir"]]
    {
        let out = bgpstorm(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_library_validates_lists_and_has_a_schema() {
    let out = bgpstorm(&["validate", "scenarios", "bench"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let list = String::from_utf8_lossy(&bgpstorm(&["list"]).stdout).into_owned();
    assert!(list.contains("quickstart") && list.contains("bird,frr,gobgp,openbgpd"), "{list}");
    let schema: serde_json::Value = serde_json::from_slice(&bgpstorm(&["schema"]).stdout).unwrap();
    assert!(schema["properties"]["steps"].is_object(), "{schema}");
}

#[test]
fn a_scenario_runs_and_writes_its_reports() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (CI runs as root)");
    let dir = root().join("target/tmp/run-cli");
    let (json, junit, matrix) = (dir.join("r.json"), dir.join("r.xml"), dir.join("m.md"));
    let out = Command::new(env!("CARGO_BIN_EXE_bgpstorm"))
        .args(["run", "scenarios/direct-speakers.yaml", "--json"])
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .arg("--matrix")
        .arg(&matrix)
        .current_dir(root())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("PASS")
            && stdout.contains("5/5")
            && stdout.contains("Summary: 1 runs, 1 passed"),
        "{stdout}"
    );
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(r[0]["steps"].as_array().map(Vec::len), Some(5));
    assert!(
        std::fs::read_to_string(&junit).unwrap().contains("<testsuite name=\"direct-speakers\"")
    );
    assert!(std::fs::read_to_string(&matrix).unwrap().contains("| direct-speakers | pass"));
    // A failing expectation exits 1 and keeps the artifacts.
    let failing = scratch(
        "fail.yaml",
        "version: 1\nname: fail\ndut: {kind: none}\nspeakers:\n  a: {asn: 65001, peer: b}\n  b: {asn: 65002}\nsteps:\n  - wait: established\n  - expect: {at: b, routes: 5, within: 200ms}\n",
    );
    let out = bgpstorm(&["run", &failing]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL") && stdout.contains("b holds 0 prefixes, expected 5"),
        "{stdout}"
    );
    assert!(stdout.contains("artifacts:"), "{stdout}");
}

#[test]
fn an_output_path_that_cannot_be_created_exits_2_before_any_run() {
    // A file cannot hold a folder, so `Cargo.toml/…` can never be created.
    for flag in ["--json", "--junit", "--matrix"] {
        let out = bgpstorm(&["run", "scenarios/quickstart.yaml", flag, "Cargo.toml/out"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(stderr.contains(&format!("{flag} Cargo.toml/out: cannot create")), "{stderr}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("RUN "), "{flag}: ran anyway");
    }
}

/// Issue 11, defect 11: a report that cannot be written after the runs (here a full device)
/// is an environment failure, exit 3, never a silent 0.
#[test]
fn a_report_that_cannot_be_written_after_the_runs_exits_3() {
    for flag in ["--json", "--junit", "--matrix"] {
        let out = bgpstorm(&["run", "scenarios/direct-speakers.yaml", flag, "/dev/full"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(String::from_utf8_lossy(&out.stdout).contains("PASS"), "{flag}: {stderr}");
        assert_eq!(out.status.code(), Some(3), "{flag}: {stderr}");
        assert!(
            stderr.contains(&format!("{flag} /dev/full: cannot write: No space left")),
            "{flag}: {stderr}"
        );
    }
}

#[test]
fn convergence_figures_end_with_the_steps_not_with_the_teardown() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (CI runs as root)");
    // `a` closes first at the end (sessions close in name order); the DUT then withdraws a's
    // routes from `z`. That UPDATE answers the teardown: it once counted as the last answer to
    // the announcement and made it look as slow as the whole run.
    let scenario = scratch(
        "teardown.yaml",
        "version: 1\nname: teardown-convergence\ndut: {kind: bird, asn: 65000}\nspeakers:\n  a: {asn: 65001}\n  z: {asn: 65100}\nsteps:\n  - wait: established\n  - announce: {from: a, prefixes: {count: 5, start: 10.150.0.0/24}}\n  - expect: {at: z, routes: 5, within: 20s}\n  - expect: {clean: true}\n",
    );
    let json = root().join("target/tmp/run-cli/teardown.json");
    let out = bgpstorm(&["run", &scenario, "--dut", "bird", "--json", json.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let c = &r[0]["convergence"];
    assert_eq!(c["announce"]["count"], 5, "{c}");
    assert_eq!(c["withdraw"]["count"], 0, "{c}");
    // Every answer reached z before the expect step ended, so no latency can be longer than
    // the announce and expect steps together (both clocks are the monotonic one).
    let steps = r[0]["steps"].as_array().unwrap();
    let window_us =
        (steps[1]["duration"].as_f64().unwrap() + steps[2]["duration"].as_f64().unwrap()) * 1e6;
    let max_us = c["announce"]["max_us"].as_f64().unwrap();
    assert!(max_us <= window_us, "latency {max_us} µs, the steps took {window_us} µs: {c}");
}
