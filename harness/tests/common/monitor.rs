//! What the monitor's command-line tests share: the repository root, a `bgpstorm monitor`
//! server over a capture, and a plain HTTP GET.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

#[path = "child.rs"]
pub mod child;
use child::wait_for_line;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// Kills the server when the test ends, however it ends.
pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `bgpstorm monitor --pcap FILE --listen 127.0.0.1:0` run from the repository root, and the
/// address it printed (waited for with a deadline).
pub fn serve(pcap: &Path) -> (Server, String) {
    serve_with(Command::new(env!("CARGO_BIN_EXE_bgpstorm")), pcap)
}

/// The same, with `bgpstorm` started by `program` (the binary itself, or a wrapper such as
/// `prlimit ... bgpstorm` whose arguments end with the binary).
pub fn serve_with(mut program: Command, pcap: &Path) -> (Server, String) {
    let mut child = program
        .current_dir(root())
        .args(["monitor", "--listen", "127.0.0.1:0", "--pcap"])
        .arg(pcap)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Server(child);
    let addr = wait_for_line(stderr, api_address, Duration::from_secs(30), "the API address");
    (server, addr)
}

/// The address in the monitor's "serving http://ADDR/..." line.
pub fn api_address(line: &str) -> Option<String> {
    let rest = line.split("serving http://").nth(1)?;
    Some(rest.split('/').next().unwrap_or_default().to_string())
}

/// A plain HTTP/1.1 GET; returns (status, body).
pub fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}
