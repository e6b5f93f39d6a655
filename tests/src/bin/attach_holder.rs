//! Attaches the live capture to an interface and holds it until killed.
//!
//! `bgpstorm-test-attach-holder NETNS IFACE` (NETNS: a namespace file, such as the
//! `/proc/PID/fd/N` path of the test's own namespace) prints `attached ID ID` (the program ids) on
//! standard output once both hooks are attached, then waits for standard input to close.
//! The SIGKILL leak test kills it and checks that the kernel detached everything.

use std::io::{Read, Write};

use bgpstorm_monitor::capture::live::{LiveCapture, LiveConfig, Netns};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [netns, iface] = args.as_slice() else {
        eprintln!("usage: bgpstorm-test-attach-holder NETNS-PATH IFACE");
        std::process::exit(2);
    };
    let rt = match tokio::runtime::Builder::new_current_thread().enable_io().build() {
        Ok(rt) => rt,
        Err(e) => fail(&format!("tokio runtime: {e}")),
    };
    let _guard = rt.enter();
    let ns = match Netns::open(std::path::Path::new(netns)) {
        Ok(ns) => ns,
        Err(e) => fail(&e.to_string()),
    };
    let cap = match LiveCapture::open(&ns, &[iface], &LiveConfig::default()) {
        Ok(cap) => cap,
        Err(e) => fail(&format!("attach to {iface} in {netns}: {e}")),
    };
    let ids: Vec<String> = cap.attachments().iter().map(|a| a.program_id.to_string()).collect();
    let mut out = std::io::stdout();
    if writeln!(out, "attached {}", ids.join(" ")).and_then(|()| out.flush()).is_err() {
        fail("stdout closed");
    }
    // Hold the attachment until killed (or until the parent closes our stdin).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(cap);
}

fn fail(msg: &str) -> ! {
    eprintln!("bgpstorm-test-attach-holder: {msg}");
    std::process::exit(1);
}
