//! `bgpstorm inject` as a user runs it: a sink and a sender over loopback, the summary, and
//! the exit status of usage and environment errors.

use std::process::{Command, Stdio};

fn bgpstorm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bgpstorm"))
}

/// A loopback port nothing listens on (the listener is closed again).
fn free_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
    l.local_addr().expect("addr").port().to_string()
}

/// A sink on `port` (AS 65002) expecting `n` prefixes within 20 s, summary as JSON on stdout.
fn sink(port: &str, n: usize) -> std::process::Child {
    let n = n.to_string();
    bgpstorm()
        .args(["inject", "--passive", "--local", "127.0.0.1", "--port", port])
        .args(["--local-as", "65002", "--peer-as", "65001", "--router-id", "10.0.0.2"])
        .args(["--expect", &n, "--deadline", "20s", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("sink starts")
}

/// A sender (AS 65001) to the sink on `port`; the program is for the caller to add.
fn sender(port: &str) -> Command {
    let mut c = bgpstorm();
    c.args(["inject", "--peer", "127.0.0.1", "--port", port]).args([
        "--local-as",
        "65001",
        "--peer-as",
        "65002",
    ]);
    c
}

#[test]
fn sender_and_sink_over_loopback_report_every_prefix() {
    let port = free_port();
    let sink = sink(&port, 20000);
    let sender = sender(&port)
        .args([
            "--announce",
            "20000",
            "--start",
            "10.0.0.0/24",
            "--community",
            "65001:7",
            "--deadline",
            "20s",
        ])
        .output()
        .expect("sender runs");
    let out = sink.wait_with_output().expect("sink ends");
    assert!(out.status.success(), "sink: {}", String::from_utf8_lossy(&out.stdout));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    assert_eq!(summary["prefixes_received"], 20000);
    assert!(
        summary["established_to_expected_s"].as_f64().is_some_and(|s| s > 0.0 && s < 20.0),
        "{summary}"
    );
    assert!(sender.status.success(), "sender: {}", String::from_utf8_lossy(&sender.stderr));
    let text = String::from_utf8_lossy(&sender.stdout);
    assert!(text.contains("20000 prefixes announced"), "{text}");
}

#[test]
fn usage_errors_exit_2_and_environment_errors_exit_3() {
    let missing_peer =
        bgpstorm().args(["inject", "--local-as", "1", "--peer-as", "2"]).output().expect("runs");
    assert_eq!(missing_peer.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing_peer.stderr).contains("peer's address"));
    let bad_community = bgpstorm()
        .args(["inject", "--local-as", "1", "--peer-as", "2", "--community", "x"])
        .output()
        .expect("runs");
    assert_eq!(bad_community.status.code(), Some(2));
    let no_such_ns = bgpstorm()
        .args([
            "inject",
            "--local-as",
            "1",
            "--peer-as",
            "2",
            "--peer",
            "10.0.0.1",
            "--netns",
            "bgpstorm-no-such-ns",
        ])
        .output()
        .expect("runs");
    assert_eq!(no_such_ns.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&no_such_ns.stderr).contains("does not exist"));
    let foreign_addr = bgpstorm()
        .args([
            "inject",
            "--local-as",
            "1",
            "--peer-as",
            "2",
            "--peer",
            "10.0.0.1",
            "--local",
            "192.0.2.77",
        ])
        .output()
        .expect("runs");
    assert_eq!(foreign_addr.status.code(), Some(3));
}

#[test]
fn sink_without_a_session_by_the_deadline_exits_1() {
    let out = bgpstorm()
        .args([
            "inject",
            "--passive",
            "--local",
            "127.0.0.1",
            "--port",
            "0",
            "--local-as",
            "65002",
            "--peer-as",
            "65001",
        ])
        .args(["--router-id", "10.0.0.2", "--expect", "5", "--deadline", "300ms"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not established"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn rate_limited_sender_takes_as_long_as_its_rate_says() {
    let port = free_port();
    let sink = sink(&port, 20000);
    let sender = sender(&port)
        .args(["--announce", "20000", "--start", "10.0.0.0/24", "--rate", "20000"])
        .output()
        .expect("sender runs");
    let out = sink.wait_with_output().expect("sink ends");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    let secs = summary["established_to_expected_s"].as_f64().expect("a time");
    // 20,000 prefixes at 20,000/s with a 1,000-prefix burst: about 0.95 s, never much less.
    assert!((0.85..5.0).contains(&secs), "took {secs} s");
    assert!(sender.status.success(), "sender: {}", String::from_utf8_lossy(&sender.stderr));
}

/// Issue 11, defect 11: nonsense is refused before any session, with exit 2 — a missing or
/// zero AS number (it defaulted to 0), a `--table-peer` the peer index table does not hold
/// (it announced nothing and exited 0), a `--table` that is not a RIB dump.
#[test]
fn nonsense_table_peers_and_as_numbers_exit_2() {
    let rib = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/mrt/routeviews-2016/rib.20161101.0000_pick.bz2"
    );
    let updates = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/mrt/routeviews-2016/updates.20161101.0000.bz2"
    );
    let base = ["inject", "--peer", "127.0.0.1", "--port", "1"];
    let cases: [(&[&str], &str); 5] = [
        (&["--announce", "1", "--start", "10.0.0.0/24"], "--local-as <ASN>"),
        (&["--local-as", "0", "--peer-as", "2"], "AS 0 is reserved"),
        (&["--local-as", "1", "--peer-as", "0"], "AS 0 is reserved"),
        (
            &["--local-as", "1", "--peer-as", "2", "--table", rib, "--table-peer", "65535"],
            "--table-peer 65535: the peer index table of",
        ),
        (&["--local-as", "1", "--peer-as", "2", "--table", updates], "not a RIB dump"),
    ];
    for (args, wanted) in cases {
        let out = bgpstorm().args(base).args(args).output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(wanted), "{args:?}: {wanted:?} not in {stderr}");
    }
}
