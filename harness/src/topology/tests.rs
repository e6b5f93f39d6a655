//! These need root: CI runs as root; elsewhere they fail saying so.

use super::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

fn need_root() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "topology tests need root (CI runs them as root)");
}

fn pair() -> Topology {
    let end = |node, ifname: &str, a: &str, b: &str| End {
        node,
        ifname: ifname.into(),
        addresses: vec![a.parse().unwrap(), b.parse().unwrap()],
    };
    Topology::build(
        &["dut".into(), "up1".into()],
        vec![LinkPlan {
            a: end(0, "eth-up1", "10.0.1.1/30", "fd00:1::1/64"),
            b: end(1, "eth0", "10.0.1.2/30", "fd00:1::2/64"),
            mtu: 9000,
        }],
    )
    .unwrap()
}

fn exchange(topo: &Topology, server: SocketAddr) -> std::io::Result<String> {
    let listener = topo.node(0).run(|| TcpListener::bind(server))??;
    let client =
        topo.node(1).run(move || TcpStream::connect_timeout(&server, Duration::from_secs(5)))??;
    let mut client = client;
    client.write_all(b"hello")?;
    let (mut conn, _) = listener.accept()?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut buf = [0u8; 5];
    conn.read_exact(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

#[test]
fn two_namespaces_talk_over_ipv4_and_ipv6_and_a_downed_link_stops_them() {
    need_root();
    let topo = pair();
    assert_eq!(exchange(&topo, "10.0.1.1:1790".parse().unwrap()).unwrap(), "hello");
    assert_eq!(exchange(&topo, "[fd00:1::1]:1791".parse().unwrap()).unwrap(), "hello");
    topo.set_link(0, false).unwrap();
    assert!(exchange(&topo, "10.0.1.1:1792".parse().unwrap()).is_err());
    topo.set_link(0, true).unwrap();
    assert!(topo.ifindex(0, false).unwrap() > 1);
    // Back up, the link carries IPv6 again (its addresses went with the link).
    assert_eq!(exchange(&topo, "[fd00:1::1]:1793".parse().unwrap()).unwrap(), "hello");
}

#[test]
fn impairment_without_netem_is_a_clear_error_or_works() {
    need_root();
    let topo = pair();
    let imp = Impairment { delay: Duration::from_millis(5), ..Impairment::default() };
    match topo.impair(0, &imp) {
        Ok(()) => {}
        Err(TopologyError::NoNetem(_)) => {}
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_bad_plan_is_rejected_before_anything_is_built() {
    let e = Topology::build(
        &["a".into()],
        vec![LinkPlan {
            a: End { node: 0, ifname: "this-name-is-too-long".into(), addresses: vec![] },
            b: End { node: 0, ifname: "x".into(), addresses: vec![] },
            mtu: 1500,
        }],
    )
    .unwrap_err();
    assert!(e.to_string().contains("1 to 15 bytes"), "{e}");
}
