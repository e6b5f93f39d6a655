//! The monitor's REST API keeps answering whatever its clients do: idle connections are closed
//! after the idle timeout, connections beyond the cap are closed at once and counted, and when
//! bound to loopback a foreign `Host` (DNS rebinding) is refused with 421.

#[path = "common/monitor.rs"]
mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use common::{Server, get, root, serve, serve_with};

/// `bgpstorm monitor --pcap ... --listen 127.0.0.1:0` limited to 256 open files, as in the
/// report of the defect (prlimit execs bgpstorm, so the server is the child itself); returns the
/// server and its address.
fn serve_with_256_files() -> (Server, String) {
    let mut prlimit = Command::new("prlimit");
    prlimit.arg("--nofile=256").arg(env!("CARGO_BIN_EXE_bgpstorm"));
    serve_with(prlimit, &root().join("data/pcap/feature-captures/bgp-large-community.pcap"))
}

/// A GET with the given `Host` header; returns the status.
fn status_with_host(addr: &str, host: &str) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET /api/v1/stats HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// Whether the server closed `s` (end of stream or reset) within `deadline`.
fn closed_by_server(s: &mut TcpStream, deadline: Duration) -> bool {
    s.set_read_timeout(Some(deadline)).unwrap();
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => {
            !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
        }
    }
}

#[test]
fn idle_connections_beyond_the_cap_do_not_stop_the_api() {
    let (_server, addr) = serve_with_256_files();
    let mut idle: Vec<TcpStream> = (0..300).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    // The last ones are past the cap: closed at once, not held.
    let last = idle.last_mut().unwrap();
    assert!(
        closed_by_server(last, Duration::from_secs(10)),
        "a connection past the cap stayed open"
    );
    // The first is closed by the idle timeout, which frees room for new clients.
    assert!(
        closed_by_server(&mut idle[0], Duration::from_secs(60)),
        "an idle connection was never closed"
    );
    let (status, body) = get(&addr, "/metrics");
    assert_eq!(status, 200, "{body}");
    let refused: u64 = body
        .lines()
        .find_map(|l| l.strip_prefix("bgpstorm_api_connections_refused_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no refused-connections counter in {body}"));
    assert!(refused >= 300 - 128, "refused {refused}");
    let (status, body) = get(&addr, "/api/v1/sessions");
    assert_eq!(status, 200, "{body}");
}

#[test]
fn a_foreign_host_is_refused_on_loopback() {
    let (_server, addr) =
        serve(&root().join("data/pcap/feature-captures/bgp-large-community.pcap"));
    let port = addr.rsplit(':').next().unwrap();
    assert_eq!(status_with_host(&addr, &format!("rebind.example:{port}")), 421);
    assert_eq!(status_with_host(&addr, "rebind.example"), 421);
    assert_eq!(status_with_host(&addr, "127.0.0.2"), 421);
    assert_eq!(status_with_host(&addr, &format!("localhost:{port}")), 200);
    assert_eq!(status_with_host(&addr, "localhost"), 200);
    assert_eq!(status_with_host(&addr, &addr), 200);
    assert_eq!(status_with_host(&addr, &format!("[::1]:{port}")), 200);
}
