//! Input that must be refused, not obeyed (issue 11, defects 8 and 9): durations too long to
//! add to a clock, scenario names that would write artifacts outside `--artifacts`, and
//! symbolic link loops in a scenario folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::mpsc;
use std::time::Duration;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// Runs `bgpstorm args`, failing the test when it has not finished within 60 s.
fn bgpstorm(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bgpstorm"));
    cmd.args(args).current_dir(root());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(cmd.output().unwrap()));
    rx.recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("bgpstorm {args:?} did not finish within 60 s"))
}

/// An empty folder of its own under target/tmp.
fn fresh_dir(tag: &str) -> PathBuf {
    let dir = root().join("target/tmp/hardening-input").join(tag);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A valid scenario with `name` and the `within:` of its one check.
fn scenario(name: &str, within: &str) -> String {
    format!(
        "version: 1\nname: {name}\ndut: {{kind: bird, asn: 65000}}\n\
         speakers:\n  up: {{asn: 65001, families: [ipv4]}}\n\
         steps:\n  - announce: {{from: up, prefixes: [10.0.0.0/24]}}\n  \
         - expect: {{at: up, routes: 0, within: {within}}}\n"
    )
}

#[test]
fn scenario_durations_are_bounded_when_read() {
    let dir = fresh_dir("durations");
    let ok = dir.join("ok.yaml");
    std::fs::write(&ok, scenario("ok", "24h")).unwrap();
    let out = bgpstorm(&["validate", ok.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));

    let huge = dir.join("huge.yaml");
    std::fs::write(&huge, scenario("huge", "5000000000000000h")).unwrap();
    let artifacts = dir.to_str().unwrap();
    for args in [vec!["validate"], vec!["run", "--artifacts", artifacts]] {
        let cmd = args[0];
        let out = bgpstorm(&[args.as_slice(), &[huge.to_str().unwrap()]].concat());
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {}{err}", text(&out.stdout));
        assert!(err.contains("longer than the longest allowed"), "{cmd}: {err}");
    }
}

#[test]
fn inject_durations_are_bounded_when_read() {
    for opt in ["--deadline", "--churn", "--hold", "--flap-interval"] {
        let out = bgpstorm(&[
            "inject",
            "--local-as",
            "65001",
            "--peer-as",
            "65000",
            "--peer",
            "127.0.0.1",
            opt,
            "5000000000000000h",
        ]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{opt}: {err}");
        assert!(err.contains("longer than the longest allowed"), "{opt}: {err}");
    }
}

#[test]
fn scenario_names_cannot_leave_the_artifacts_folder() {
    let dir = fresh_dir("names");
    for (i, name) in
        ["../escape", "/tmp/escape", "a/b", "..", ".hidden", "two words"].into_iter().enumerate()
    {
        let f = dir.join(format!("bad{i}.yaml"));
        std::fs::write(&f, scenario(&format!("{name:?}"), "10s")).unwrap();
        let artifacts = dir.to_str().unwrap();
        for args in [vec!["validate"], vec!["run", "--artifacts", artifacts]] {
            let cmd = args[0];
            let out = bgpstorm(&[args.as_slice(), &[f.to_str().unwrap()]].concat());
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{cmd} {name}: {}{err}", text(&out.stdout));
            assert!(err.contains("names the artifacts folder"), "{cmd} {name}: {err}");
        }
    }
    assert!(!root().join("target/tmp/escape").exists());
}

#[test]
fn symlink_loops_in_a_scenario_folder_end_the_walk() {
    let dir = fresh_dir("loops");
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("one.yaml"), scenario("one", "10s")).unwrap();
    std::os::unix::fs::symlink(&dir, sub.join("back")).unwrap();
    std::os::unix::fs::symlink("self", sub.join("self")).unwrap();
    let d = dir.to_str().unwrap();

    let out = bgpstorm(&["validate", d]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_eq!(stdout.matches("one.yaml").count(), 1, "{stdout}");

    let out = bgpstorm(&["list", d]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("one"), "{stdout}");
}

/// Defect 10: `validate` and `run` share one validation, so what `run` would reject later
/// (a range past the end of the address space, a replay or prefix file that is missing or is
/// not MRT) is rejected by both, with the same words and exit 2, before any network is built.
#[test]
fn validate_rejects_what_run_would_reject() {
    let dir = fresh_dir("one-validation");
    std::fs::write(dir.join("not-mrt.txt"), "this is not an MRT file\n").unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        "version: 1\nname: bad\ndut: {kind: bird, asn: 65000}\n\
         speakers:\n  up: {asn: 65001, families: [ipv4, ipv6]}\n\
         steps:\n\
         \x20 - announce: {from: up, prefixes: {start: 255.255.255.0/24, count: 2}}\n\
         \x20 - flap: {from: up, prefixes: {start: 'ffff:ffff:ffff:ffff::/64', count: 3}, cycles: 1, interval: 1s}\n\
         \x20 - replay: {from: up, file: missing-updates.gz}\n\
         \x20 - announce: {from: up, prefixes: {mrt: not-mrt.txt}}\n\
         \x20 - expect: {at: up, prefixes: {start: 10.255.255.0/24, count: 1}, routes: 1}\n",
    )
    .unwrap();
    let wanted = [
        "steps[0].announce.prefixes: 2 prefixes from 255.255.255.0/24 run past the end",
        "steps[1].flap.prefixes: 3 prefixes from ffff:ffff:ffff:ffff::/64 run past the end",
        "steps[2].replay.file: cannot open",
        "steps[3].announce.prefixes.mrt:",
    ];
    let artifacts = dir.join("artifacts");
    for args in [vec!["validate"], vec!["run", "--artifacts", artifacts.to_str().unwrap()]] {
        let cmd = args[0];
        let out = bgpstorm(&[args.as_slice(), &[bad.to_str().unwrap()]].concat());
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {}{err}", text(&out.stdout));
        for w in wanted {
            assert!(err.contains(w), "{cmd}: {w:?} missing from:\n{err}");
        }
        // The last check is fine: only the four problems are reported.
        assert_eq!(err.matches("\n  - ").count(), 4, "{cmd}: {err}");
    }
    assert!(!artifacts.exists(), "run built something before refusing the scenario");
}

/// Defect 11: damping values that make no sense (NaN, a zero half-life) are refused when the
/// monitor's configuration is read, exit 2, instead of being used.
#[test]
fn monitor_damping_refuses_nan_and_a_zero_half_life() {
    let dir = fresh_dir("damping");
    let pcap = "data/pcap/single-messages/bgp4-update.pcap";
    let config = |penalty: &str, half_life: &str| {
        format!(
            "damping:\n  withdrawal_penalty: {penalty}\n  readvertisement_penalty: 0\n  \
             attribute_change_penalty: 500\n  half_life: {half_life}\n  suppress: 2000\n  \
             reuse: 750\n  max_suppress: 1h\n"
        )
    };
    let good = dir.join("good.yaml");
    std::fs::write(&good, config("1000", "15m")).unwrap();
    let out = bgpstorm(&["monitor", "--config", good.to_str().unwrap(), "--pcap", pcap]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for (name, penalty, half_life, wanted) in [
        ("nan", ".nan", "15m", "withdrawal_penalty must be a finite number"),
        ("zero", "1000", "0s", "half_life must be longer than 0"),
    ] {
        let f = dir.join(format!("{name}.yaml"));
        std::fs::write(&f, config(penalty, half_life)).unwrap();
        let out = bgpstorm(&["monitor", "--config", f.to_str().unwrap(), "--pcap", pcap]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(wanted), "{name}: {err}");
    }
}
