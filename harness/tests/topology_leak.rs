//! Nothing of a topology outlives its owner, even when the owner is killed with SIGKILL: the
//! namespaces are held only by the owner's descriptors. Needs root (CI runs as root).

#[path = "common/child.rs"]
mod child;

use std::os::unix::fs::MetadataExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use bgpstorm_harness::topology::{End, LinkPlan, Topology};

const CHILD: &str = "BGPSTORM_TOPOLOGY_LEAK_CHILD";

fn build() -> Topology {
    let end = |node, ifname: &str, a: &str| End {
        node,
        ifname: ifname.into(),
        addresses: vec![a.parse().unwrap()],
    };
    Topology::build(
        &["dut".into(), "up1".into()],
        vec![LinkPlan {
            a: end(0, "eth-up1", "10.0.1.1/30"),
            b: end(1, "eth0", "10.0.1.2/30"),
            mtu: 1500,
        }],
    )
    .unwrap()
}

fn inode(topo: &Topology, i: usize) -> u64 {
    std::fs::metadata(topo.node(i).path()).unwrap().ino()
}

/// Every `net:[inode]` some process holds, as a namespace or a descriptor.
fn live_namespaces() -> Vec<u64> {
    let mut found = Vec::new();
    for p in std::fs::read_dir("/proc").unwrap().flatten() {
        if !p.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let mut links = vec![p.path().join("ns/net")];
        if let Ok(fds) = std::fs::read_dir(p.path().join("fd")) {
            links.extend(fds.flatten().map(|f| f.path()));
        }
        for l in links {
            if let Ok(t) = std::fs::read_link(&l)
                && let Some(ino) = t
                    .to_string_lossy()
                    .strip_prefix("net:[")
                    .and_then(|s| s.strip_suffix(']'))
                    .and_then(|s| s.parse().ok())
            {
                found.push(ino);
            }
        }
    }
    found
}

/// The child half: build, say which namespaces, wait to be killed.
#[test]
fn child_builds_a_topology_and_waits() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let topo = build();
    println!("{} {}", inode(&topo, 0), inode(&topo, 1));
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

#[test]
fn a_topology_is_gone_after_its_owner_is_killed_with_sigkill() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (CI runs as root)");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_builds_a_topology_and_waits", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let inos = child::wait_for_line(
        stdout,
        |l| {
            let inos: Vec<u64> = l.split(' ').filter_map(|s| s.parse().ok()).collect();
            (inos.len() == 2).then_some(inos)
        },
        Duration::from_secs(30),
        "the child's namespaces",
    );
    let live = live_namespaces();
    assert!(inos.iter().all(|i| live.contains(i)), "the namespaces exist while the child runs");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let live = live_namespaces();
    assert!(inos.iter().all(|i| !live.contains(i)), "namespaces {inos:?} survived their owner");
}

#[test]
fn a_topology_is_gone_after_it_is_dropped() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (CI runs as root)");
    let topo = build();
    let inos = [inode(&topo, 0), inode(&topo, 1)];
    drop(topo);
    let live = live_namespaces();
    assert!(inos.iter().all(|i| !live.contains(i)));
}
