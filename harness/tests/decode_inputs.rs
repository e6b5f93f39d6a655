//! `bgpstorm decode` reads each input once: a FIFO, a process substitution (`<(zcat f)`) and
//! `-` (standard input) decode to exactly what the file itself decodes to.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A capture and a compressed MRT file: both kinds go through the sniff.
const CAPTURE: &str = "data/pcap/feature-captures/bgp-4byte-asn.pcap";
const MRT: &str = "data/mrt/routeviews-2016/updates.20161101.0000.bz2";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// Runs `bgpstorm args…` under a 60 s `timeout`, so that a read that never ends fails the
/// test (exit 124) instead of hanging it.
fn bgpstorm(args: &[&str], stdin: Stdio) -> Output {
    Command::new("timeout")
        .arg("60")
        .arg(env!("CARGO_BIN_EXE_bgpstorm"))
        .args(args)
        .current_dir(root())
        .stdin(stdin)
        .output()
        .expect("run bgpstorm")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// What decoding the file itself prints (and it prints something).
fn expected(file: &str) -> String {
    let out = bgpstorm(&["decode", file], Stdio::null());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = text(&out.stdout);
    assert!(out.lines().count() > 10, "{file} decodes to routes");
    out
}

#[test]
fn a_fifo_decodes_as_its_file() {
    for file in [CAPTURE, MRT] {
        let dir = root().join("target/tmp/decode-inputs");
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join(format!("fifo-{}", file.len()));
        let _ = std::fs::remove_file(&fifo);
        let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
        assert!(status.success());
        let bytes = std::fs::read(root().join(file)).unwrap();
        let writer_path = fifo.clone();
        // Opening a FIFO for writing waits for its reader: the writer runs beside the decode.
        let writer = std::thread::spawn(move || std::fs::write(writer_path, bytes));
        let got = bgpstorm(&["decode", fifo.to_str().unwrap()], Stdio::null());
        assert_eq!(got.status.code(), Some(0), "{file}: {}", text(&got.stderr));
        assert_eq!(text(&got.stdout), expected(file), "{file} through a FIFO");
        writer.join().unwrap().expect("the whole file written to the FIFO");
        std::fs::remove_file(&fifo).unwrap();
    }
}

#[test]
fn a_process_substitution_decodes_as_its_file() {
    let bin = env!("CARGO_BIN_EXE_bgpstorm");
    let script = format!("timeout 60 '{bin}' decode <(bzcat {MRT}) <(cat {CAPTURE})");
    let got = Command::new("bash").args(["-c", &script]).current_dir(root()).output().unwrap();
    assert_eq!(got.status.code(), Some(0), "{}", text(&got.stderr));
    let want = expected(MRT) + &expected(CAPTURE);
    assert_eq!(text(&got.stdout), want);
}

#[test]
fn a_dash_reads_standard_input() {
    for file in [CAPTURE, MRT] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bgpstorm"))
            .args(["decode", "-"])
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let bytes = std::fs::read(root().join(file)).unwrap();
        let writer = std::thread::spawn(move || stdin.write_all(&bytes));
        let got = child.wait_with_output().unwrap();
        assert_eq!(got.status.code(), Some(0), "{file}: {}", text(&got.stderr));
        assert_eq!(text(&got.stdout), expected(file), "{file} through standard input");
        writer.join().unwrap().expect("the whole file written to standard input");
    }
}
