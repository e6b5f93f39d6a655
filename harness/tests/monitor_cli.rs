//! `bgpstorm monitor --pcap` as users run it: the final state, the REST API and /metrics
//! served over a real capture, configuration errors and exit codes.

#[path = "common/monitor.rs"]
mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{get, root, serve};

fn data(rel: &str) -> PathBuf {
    root().join("data").join(rel)
}

fn bgpstorm() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bgpstorm"));
    c.current_dir(root());
    c
}

#[test]
fn the_community_filter_of_the_rest_api_selects_paths_and_refuses_what_is_no_community() {
    let (_server, addr) = serve(&data("pcap/feature-captures/bgp-large-community.pcap"));
    let routes = |community: &str| -> Vec<String> {
        let q = format!("/api/v1/routes?prefix=203.0.113.0/24&match=longer&community={community}");
        let (status, body) = get(&addr, &q);
        assert_eq!(status, 200, "{q}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let mut p: Vec<String> = v["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["prefix"].as_str().unwrap().to_string())
            .collect();
        p.sort();
        p
    };
    // The capture's large communities (tcpdump: 65536:1:1 on .11, .12, .13; 65536:1:2 on .12, .13).
    assert_eq!(routes("65536:1:1"), ["203.0.113.11/32", "203.0.113.12/32", "203.0.113.13/32"]);
    assert_eq!(routes("65536%3A1%3A2"), ["203.0.113.12/32", "203.0.113.13/32"]);
    assert_eq!(routes("4294967295:4294967295:4294967295"), ["203.0.113.16/32"]);
    // Well-formed, carried by none.
    assert!(routes("1:2").is_empty());
    assert!(routes("rt:65000:100").is_empty());
    for bad in ["zz", "65536:1", "1:2:3:4", "", "rt:1"] {
        let q = format!("/api/v1/routes?prefix=203.0.113.0/24&community={bad}");
        let (status, body) = get(&addr, &q);
        assert_eq!(status, 400, "{q}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let e = v["error"].as_str().unwrap();
        assert!(e.starts_with("community must be a standard (asn:value"), "{q}: {e}");
    }
    let (status, body) = get(&addr, "/api/v1/routes?prefix=203.0.113.0/24&limit=1");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("unknown parameter"), "{body}");
}

#[test]
fn the_rest_api_and_metrics_answer_from_a_capture() {
    let (_server, addr) = serve(&data("pcap/feature-captures/bgp-large-community.pcap"));
    let (status, body) = get(&addr, "/api/v1/routes?prefix=203.0.113.16/32");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let path = &v["routes"][0]["paths"][0];
    assert_eq!(path["peer"], "192.0.2.2");
    assert_eq!(path["best"], true);
    assert_eq!(
        path["attributes"]["as_path"],
        serde_json::json!([{"kind": "sequence", "asns": [65536]}]),
        "{path}"
    );
    assert_eq!(path["attributes"]["next_hop"], serde_json::json!(["192.0.2.2"]));
    assert!(
        path["attributes"]["large_communities"].as_array().is_some_and(|c| !c.is_empty()),
        "{path}"
    );
    // Longer match from a covering prefix finds all five.
    let (_, body) = get(&addr, "/api/v1/routes?prefix=203.0.113.0/24&match=longer");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["routes"].as_array().unwrap().len(), 5, "{body}");
    let (status, body) = get(&addr, "/api/v1/routes?prefix=not-a-prefix");
    assert_eq!(status, 400);
    assert!(body.contains("not a prefix"), "{body}");
    let (status, _) = get(&addr, "/api/v1/nothing");
    assert_eq!(status, 404);
    let (status, metrics) = get(&addr, "/metrics");
    assert_eq!(status, 200);
    assert!(metrics.lines().any(|l| l == "bgpstorm_rib_paths 5"), "{metrics}");
    assert!(metrics.lines().any(|l| l == "bgpstorm_prefixes_announced_total 5"), "{metrics}");
    assert!(
        metrics.contains("bgpstorm_session_up{peer_a=\"192.0.2.2\",peer_b=\"192.0.2.3\"} 1"),
        "{metrics}"
    );
}

#[test]
fn every_shipped_capture_runs_through_the_monitor_without_a_panic() {
    let mut files = Vec::new();
    let mut stack = vec![root().join("data/pcap")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("pcap" | "pcapng")) {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= 60, "{}", files.len());
    for f in &files {
        let out = bgpstorm().args(["monitor", "--json", "--pcap"]).arg(f).output().unwrap();
        // 0: clean; 1: the capture has malformed messages or gaps (counted, reported).
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}: {:?} {}",
            f.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(v["rib"]["paths"].is_u64());
    }
}

#[test]
fn an_invalid_configuration_is_reported_with_its_position_and_exits_2() {
    let dir = root().join("target/tmp/monitor-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("bad.yaml");
    std::fs::write(&cfg, "flap:\n  window: 30s\n  changes: 3\nfalp: 1\n").unwrap();
    let out = bgpstorm()
        .args(["monitor", "--config"])
        .arg(&cfg)
        .arg("--pcap")
        .arg(data("pcap/single-messages/bgp4-update.pcap"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml") && err.contains("falp") && err.contains('4'), "{err}");
    std::fs::write(&cfg, "flap: {window: 30s, changes: 1}\n").unwrap();
    let out = bgpstorm()
        .args(["monitor", "--config"])
        .arg(&cfg)
        .args(["--pcap", "x.pcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("flap.changes must be at least 2"));
}
