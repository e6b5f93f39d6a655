//! `bgpstorm review` and `bgpstorm new` as a scenario author uses them: pending snapshots
//! accepted and rejected, a starter scenario written, validated and run against BIRD.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn bgpstorm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bgpstorm")).args(args).current_dir(root()).output().unwrap()
}

/// An empty folder of its own under target/tmp.
fn fresh_dir(tag: &str) -> PathBuf {
    let dir = root().join("target/tmp/authoring-cli").join(tag);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const OLD: &str =
    "---\nsource: harness/src/run/expect.rs\n---\n10.0.0.0/24 [65000 65001] via 10.0.1.1\n";
const NEW: &str = "---\nsource: harness/src/run/expect.rs\nassertion_line: 12\n---\n10.0.0.0/24 [65000 65001] via 10.0.1.1\n10.0.1.0/24 [65000 65001] via 10.0.1.1\n";

#[test]
fn review_accepts_and_rejects_pending_snapshots() {
    let dir = fresh_dir("review");
    let d = dir.to_str().unwrap();
    std::fs::write(dir.join("s__changed__bird.snap"), OLD).unwrap();
    std::fs::write(dir.join("s__changed__bird.snap.new"), NEW).unwrap();
    std::fs::write(dir.join("s__unwanted__bird.snap.new"), NEW).unwrap();

    // Without a terminal and without a decision: listed, nothing changed, exit 1.
    let out = bgpstorm(&["review", "--snapshots", d]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("s__changed__bird.snap.new"), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("--accept or --reject"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(dir.join("s__changed__bird.snap")).unwrap(), OLD);

    // Accept one by name: the diff is shown, the pending file becomes the snapshot.
    let out = bgpstorm(&["review", "--snapshots", d, "--accept", "s__changed__bird"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("+10.0.1.0/24 [65000 65001] via 10.0.1.1"), "{stdout}");
    assert!(stdout.contains("accepted s__changed__bird"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(dir.join("s__changed__bird.snap")).unwrap(),
        NEW.replace("assertion_line: 12\n", "")
    );
    assert!(!dir.join("s__changed__bird.snap.new").exists());

    // Reject the rest: deleted, no snapshot written.
    let out = bgpstorm(&["review", "--snapshots", d, "--reject"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!dir.join("s__unwanted__bird.snap.new").exists());
    assert!(!dir.join("s__unwanted__bird.snap").exists());

    // Nothing left.
    let out = bgpstorm(&["review", "--snapshots", d]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("no pending snapshots"));
}

#[test]
fn review_wrong_usage_exits_2() {
    let dir = fresh_dir("review-usage");
    let d = dir.to_str().unwrap();
    for args in [
        &["review", "--snapshots", d, "no-such-snapshot"][..],
        &["review", "--snapshots", d, "--accept", "--reject"],
        &["review", "--snapshots", "target/tmp/authoring-cli/no/such/dir"],
    ] {
        let out = bgpstorm(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
    }
}

#[test]
fn new_writes_a_scenario_that_validates_and_never_overwrites() {
    let dir = fresh_dir("new");
    let d = dir.to_str().unwrap();
    let out = bgpstorm(&["new", "my-first", "--dir", d, "--dut", "frr"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let file = dir.join("my-first.yaml");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("dut: {kind: frr, asn: 65000}"), "{written}");
    let out = bgpstorm(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let out = bgpstorm(&["new", "my-first", "--dir", d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("exists already"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);

    for bad in ["../escape", "a/b", ".."] {
        let out = bgpstorm(&["new", bad, "--dir", d]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(text(&out.stderr).contains("invalid scenario name"), "{}", text(&out.stderr));
    }
    assert!(!dir.parent().unwrap().join("escape.yaml").exists());
}

#[test]
fn new_scenario_runs_against_bird() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (CI runs as root)");
    let dir = fresh_dir("new-run");
    let d = dir.to_str().unwrap();
    let out = bgpstorm(&["new", "starter-run", "--dir", d]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let file = dir.join("starter-run.yaml");
    let out = bgpstorm(&[
        "run",
        file.to_str().unwrap(),
        "--dut",
        "bird",
        "--artifacts",
        dir.join("artifacts").to_str().unwrap(),
        "--snapshots",
        dir.join("snapshots").to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("PASS") && stdout.contains("1 passed"), "{stdout}");
}
