//! `replay:` as a scenario author uses it, between two simulated speakers (as root, no
//! daemon): a replay that sends nothing fails unless the step allows it, and IPv6 routes of a
//! recorded peer go over an IPv4 session with the speaker's own IPv6 address as next hop.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// rrc00's peer 3 (2602:fed2:fc0::1) has IPv6 routes only.
fn rrc00() -> String {
    root().join("data/mrt/ris-rrc00-2019/updates.20190101.0000.gz").to_string_lossy().into_owned()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// Runs a scenario written to target/tmp/run-replay/NAME.
fn run(name: &str, speakers: &str, steps: &str) -> (Output, String) {
    let dir = root().join("target/tmp/run-replay");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let text = format!(
        "version: 1\nname: {}\ndut: {{kind: none}}\nspeakers:\n{speakers}steps:\n  - wait: established\n{steps}",
        name.trim_end_matches(".yaml")
    );
    std::fs::write(&p, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bgpstorm"))
        .args(["run", &p.to_string_lossy()])
        .current_dir(root())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, stdout)
}

#[test]
fn a_replay_that_sends_nothing_fails_unless_the_step_allows_it() {
    let v4_only = "  a: {asn: 65001, peer: b}\n  b: {asn: 65002}\n";
    let file = rrc00();
    let replay = format!("  - replay: {{from: a, file: {file}, peer_index: 3}}\n");
    let (out, stdout) = run("replay-empty.yaml", v4_only, &replay);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("sent nothing") && stdout.contains("allow_empty"), "{stdout}");
    let allowed =
        format!("  - replay: {{from: a, file: {file}, peer_index: 3, allow_empty: true}}\n");
    let (out, stdout) = run("replay-empty-allowed.yaml", v4_only, &allowed);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("0 announced"), "{stdout}");
}

#[test]
fn ipv6_routes_replay_over_an_ipv4_session_with_the_speakers_own_next_hop() {
    let both = "  a: {asn: 65001, peer: b, families: [ipv4, ipv6]}\n  b: {asn: 65002, families: [ipv4, ipv6]}\n";
    let file = rrc00();
    let steps = format!(
        "  - snapshot: before\n  - replay: {{from: a, file: {file}, peer_index: 3}}\n  - expect: {{at: b, since: before, announced: 1}}\n"
    );
    let (out, stdout) = run("replay-ipv6.yaml", both, &steps);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("next hop"), "{stdout}");
}
