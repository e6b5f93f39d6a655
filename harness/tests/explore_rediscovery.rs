//! `bgpstorm explore` finds what it was not told about. Two bounded runs as users make them:
//!
//! - a seeded smoke run on the host's BIRD, where every oracle must agree (a clean run
//!   reports zero divergences: the model, the drivers and the checks are in step);
//! - the rediscovery run: two generated cases on the host's OpenBGPD 7.7 and FRR 8.4.4 (Debian
//!   12's daemons, which ci/setup installs) must bring back, without being told, the three
//!   faults first found by hand (scenarios/route-refresh.yaml and malformed-attribute.yaml
//!   say why those cells are n/a): OpenBGPD 7.7 ignoring ROUTE-REFRESH, FRR 8.4.4 resetting
//!   the session with 3/10 after an RFC 7606 treat-as-withdraw (it parses the NLRI from the
//!   wrong place), and OpenBGPD 7.7 resetting the session on a malformed attribute. Each is
//!   shrunk to a case of a few steps that `bgpstorm run` reproduces.

use std::path::{Path, PathBuf};
use std::process::Output;

#[path = "common/explore.rs"]
mod common;
use common::log_lines;

fn bgpstorm(args: &[&str]) -> Output {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (CI runs as root)");
    common::bgpstorm(args)
}

fn scratch(name: &str) -> PathBuf {
    // Short: a DUT's control socket lives under the artifacts (a Unix socket path is at most
    // 107 bytes).
    common::scratch_in("er", name)
}

fn explore(args: &[&str], out: &Path) -> (Output, String) {
    let art = out.join("a");
    let o = bgpstorm(
        &[
            &["explore"],
            args,
            &["--out", out.to_str().unwrap(), "--artifacts", art.to_str().unwrap()],
        ]
        .concat(),
    );
    let text =
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    (o, text)
}

#[test]
fn a_seeded_smoke_run_on_bird_agrees_with_every_oracle() {
    let out = scratch("smoke");
    let (o, text) = explore(&["--seed", "1000", "--cases", "12", "--dut", "bird"], &out);
    assert_eq!(o.status.code(), Some(0), "{text}");
    let summary = text.lines().rfind(|l| l.starts_with("explore: ")).unwrap_or_default();
    assert!(summary.starts_with("explore: 12 cases, 12 runs, 0 diverging in "), "{text}");
    assert!(
        summary.contains(
            "divergences by oracle: model 0, consistency 0, liveness 0, harness 0, differential 0"
        ),
        "{text}"
    );
    let lines = log_lines(&out.join("explore.ndjson"));
    assert_eq!(lines.len(), 13);
    assert!(lines[1..].iter().all(|l| l["result"] == "passed"), "{text}");
    // Runs that agree leave no artifacts behind.
    let left: Vec<_> = std::fs::read_dir(out.join("a"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

/// The shrunk cases of the log: (column, divergence, events, speakers).
fn shrunk(log: &[serde_json::Value]) -> Vec<(String, String, usize, usize)> {
    log.iter()
        .filter(|l| l["shrunk"] == true)
        .map(|l| {
            (
                l["column"].as_str().unwrap().to_string(),
                l["divergence"].as_str().unwrap_or("none").to_string(),
                l["case"]["events"].as_array().unwrap().len(),
                l["case"]["speakers"].as_array().unwrap().len(),
            )
        })
        .collect()
}

#[test]
fn a_bounded_run_rediscovers_the_known_faults_each_shrunk_to_a_few_steps() {
    let out = scratch("rediscovery");
    let (o, text) = explore(&["--seed", "183", "--cases", "2", "--dut", "openbgpd,frr"], &out);
    // Divergences found: exit 1.
    assert_eq!(o.status.code(), Some(1), "{text}");
    let log = log_lines(&out.join("explore.ndjson"));
    let columns: Vec<&str> =
        log[0]["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(columns, ["openbgpd@7.7", "frr@8.4.4"], "Debian 12's daemons: {text}");
    let found = shrunk(&log);
    for (column, divergence) in [
        ("openbgpd@7.7", "model: route refresh"),
        ("openbgpd@7.7", "liveness: NOTIFICATION 3/6"),
        ("frr@8.4.4", "liveness: NOTIFICATION 3/10"),
    ] {
        let (_, _, events, speakers) =
            found.iter().find(|(c, d, ..)| c == column && d == divergence).unwrap_or_else(|| {
                panic!("{column}: {divergence} not found; shrunk: {found:?}\n{text}")
            });
        // A few steps: at most two events between at most two speakers.
        assert!(
            *events <= 2 && *speakers <= 2,
            "{column} {divergence}: {events} events, {speakers} speakers"
        );
    }
    // Each diverging run kept its wire evidence, named in the case's file (a NOTIFICATION
    // divergence passes every step, and is kept all the same).
    for seed in ["183", "184"] {
        let yaml = std::fs::read_to_string(out.join(format!("explore-{seed}.yaml"))).unwrap();
        let notes: Vec<&str> = yaml.lines().take_while(|l| l.starts_with('#')).collect();
        assert!(!notes.is_empty(), "seed {seed}:\n{yaml}");
        for n in notes {
            let dir = n.split("(wire evidence: ").nth(1).and_then(|r| r.strip_suffix("/)"));
            let dir = dir.unwrap_or_else(|| panic!("no evidence named: {n}"));
            assert!(Path::new(dir).join("capture.pcap").is_file(), "{n}");
        }
    }
    // Each minimal case is a scenario that reproduces the divergence by itself.
    let mut files: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("-min-"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    for f in &files {
        let yaml = std::fs::read_to_string(f).unwrap();
        assert!(yaml.contains("\n# Reproduced: diverges again: "), "{}:\n{yaml}", f.display());
        let column =
            if f.to_string_lossy().contains("-min-frr") { "frr@8.4.4" } else { "openbgpd@7.7" };
        let art = out.join("a");
        let r = bgpstorm(&[
            "run",
            f.to_str().unwrap(),
            "--dut",
            column,
            "--artifacts",
            art.to_str().unwrap(),
        ]);
        let stdout = String::from_utf8_lossy(&r.stdout);
        assert_eq!(r.status.code(), Some(1), "{} on {column} must fail:\n{stdout}", f.display());
    }
}
