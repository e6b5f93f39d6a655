//! `bgpstorm explore` as users call it: the cases a seed gives (the same files every time,
//! valid scenarios), usage errors, and (as root) a case run on BIRD that agrees with the
//! model, while the same case with one predicted route changed fails: the oracle can fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn bgpstorm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bgpstorm")).args(args).current_dir(root()).output().unwrap()
}

/// A fresh scratch folder under target/tmp.
fn scratch(name: &str) -> PathBuf {
    let dir = root().join("target/tmp/explore-cli").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_cases(out: &Path, seed: &str, cases: &str) -> Vec<(PathBuf, String)> {
    let o = bgpstorm(&[
        "explore",
        "--seed",
        seed,
        "--cases",
        cases,
        "--write-only",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(out).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.into_iter().map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap())).collect()
}

#[test]
fn write_only_gives_the_same_valid_scenarios_for_the_same_seeds() {
    let a = write_cases(&scratch("a"), "100", "3");
    let b = write_cases(&scratch("b"), "100", "3");
    assert_eq!(a.len(), 3);
    let names: Vec<String> =
        a.iter().map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["explore-100.yaml", "explore-101.yaml", "explore-102.yaml"]);
    for ((_, x), (_, y)) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    assert_ne!(a[0].1, a[1].1);
    let paths: Vec<&str> = a.iter().map(|(p, _)| p.to_str().unwrap()).collect();
    let v = bgpstorm(&[&["validate"][..], &paths].concat());
    assert_eq!(v.status.code(), Some(0), "{}", String::from_utf8_lossy(&v.stderr));
}

#[test]
fn usage_errors_exit_2() {
    for args in [&["explore", "--cases", "0"][..], &["explore", "--dut", "none"]] {
        let o = bgpstorm(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn a_case_agrees_on_bird_and_a_changed_prediction_diverges() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (CI runs as root)");
    let out = scratch("run");
    let o = bgpstorm(&[
        "explore",
        "--seed",
        "1",
        "--cases",
        "1",
        "--dut",
        "bird",
        "--out",
        out.to_str().unwrap(),
        "--artifacts",
        root().join("target/tmp/explore-cli/artifacts").to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("seed 1 on bird: agrees with the model"), "{stdout}");
    assert!(stdout.contains("1 runs of 1 cases, 0 diverging"), "{stdout}");
    // Only diverging cases are written.
    assert!(!out.join("explore-1.yaml").exists());

    // The same case with one predicted next hop changed must fail where it is checked.
    let (_, text) = write_cases(&scratch("changed"), "1", "1").remove(0);
    let line = text.lines().find(|l| l.contains(" via 10.0.")).expect("a predicted route");
    let changed = text.replacen(line, &line.replacen(" via 10.0.", " via 10.9.", 1), 1);
    let path = scratch("changed").join("explore-1.yaml");
    std::fs::write(&path, changed).unwrap();
    let r = bgpstorm(&[
        "run",
        path.to_str().unwrap(),
        "--artifacts",
        root().join("target/tmp/explore-cli/artifacts").to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert_eq!(r.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("holds other routes"), "{stdout}");
}
