//! A link going down is seen by the speaker at its end too, as when a cable is pulled: its
//! session drops at once, so nothing (a check, a later `wait: established`) mistakes the dead
//! session for a live one (scenarios/link-failure.yaml brings the link back in the matrix). Root and BIRD (ci/setup installs it).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

#[test]
fn a_speaker_whose_link_is_down_has_no_session() {
    let dir = root().join("target/tmp/link-down");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("link-down.yaml");
    // Step 3 must fail: with its link down the speaker has no session. Before, the speaker
    // kept its dead connection and called it Established.
    std::fs::write(
        &scenario,
        "version: 1\nname: link-down\ndut: {kind: bird, asn: 65000}\n\
         speakers:\n  up: {asn: 65001}\n  down: {asn: 65100}\n\
         steps:\n  - wait: established\n  - link: {speaker: up, up: false}\n  \
         - expect: {established: [up], within: 1s}\n",
    )
    .unwrap();
    let json = dir.join("r.json");
    let out = Command::new(env!("CARGO_BIN_EXE_bgpstorm"))
        .arg("run")
        .arg(&scenario)
        .arg("--json")
        .arg(&json)
        .arg("--artifacts")
        .arg(dir.join("artifacts"))
        .current_dir(root())
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the run must fail at step 3:\n{said}");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let steps = r[0]["steps"].as_array().expect("steps");
    let status: Vec<&str> = steps.iter().map(|s| s["status"].as_str().unwrap_or("?")).collect();
    assert_eq!(status[1], "passed", "{said}");
    assert!(steps[1]["detail"].as_str().unwrap().contains("its session dropped"), "{said}");
    assert_eq!(status[2], "failed", "the speaker called its dead session Established:\n{said}");
}
