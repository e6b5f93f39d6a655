//! Direct sessions between our speaker and ExaBGP 4, in both directions of routes, over a
//! veth pair between two namespaces. Needs root and exabgp (`bash ci/setup`).

use std::fmt::Write as _;
use std::net::{IpAddr, TcpListener as StdListener};
use std::time::Duration;

use bgpstorm_harness::dut::DaemonProcess;
use bgpstorm_harness::speaker::prefixes::range;
use bgpstorm_harness::speaker::{Injector, Mode, RouteSpec, Session, SessionConfig};
use bgpstorm_tests::daemon::{Scratch, require_binary};
use bgpstorm_tests::lab::{Netns, Topology, end, lab, link, require_root};
use bgpstorm_wire::Nlri;
use bgpstorm_wire::model::{AsPath, Community, LargeCommunity};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::time::Instant;

const EXA: &str = "10.8.0.1";
const EXA6: &str = "fd00:8::1";
const OURS: &str = "10.8.0.2";
const EXA_AS: u32 = 65010;
const OUR_AS: u32 = 65011;

/// ExaBGP's namespace (`x`) and ours (`s`).
struct Pair {
    topo: Topology,
}

impl Pair {
    fn x(&self) -> &Netns {
        self.topo.node(0)
    }

    fn s(&self) -> &Netns {
        self.topo.node(1)
    }
}

fn pair() -> Pair {
    require_root();
    require_binary("exabgp");
    let x = end(0, "eth0", &[&format!("{EXA}/24"), &format!("{EXA6}/64")]);
    let s = end(1, "eth0", &[&format!("{OURS}/24"), "fd00:8::2/64"]);
    Pair { topo: lab(&["exabgp", "ours"], vec![link(x, s)]) }
}

/// ExaBGP running; its output is in its log.
struct Exabgp(DaemonProcess);

impl Exabgp {
    fn output(&self) -> String {
        self.0.log_lines().join("\n")
    }
}

/// Our passive speaker in `s`, for ExaBGP to connect to.
fn sink(p: &Pair) -> Session {
    let mut c = SessionConfig::new(OUR_AS, EXA_AS, OURS.parse().expect("id"));
    c.netns = Some(p.s().path());
    c.local_addr = Some(OURS.parse().expect("addr"));
    c.peer_addr = Some(EXA.parse().expect("addr"));
    c.mode = Mode::Passive;
    Session::start(c).expect("speaker")
}

fn exabgp(p: &Pair, scratch: &Scratch, body: &str, extra: &str) -> Exabgp {
    let conf = format!(
        "{extra}\nneighbor {OURS} {{\n  router-id {EXA};\n  local-address {EXA};\n  local-as {EXA_AS};\n  peer-as {OUR_AS};\n  family {{ ipv4 unicast; ipv6 unicast; }}\n{body}\n}}\n"
    );
    let path = scratch.write("exabgp.conf", &conf);
    let argv = [
        "env",
        "exabgp.daemon.user=root",
        "exabgp.daemon.drop=false",
        "exabgp.log.destination=stdout",
        "exabgp.tcp.delay=0",
        "exabgp",
        path.to_str().unwrap_or_default(),
    ];
    let log = scratch.path.join("exabgp.log");
    Exabgp(DaemonProcess::spawn(p.x(), &argv, &log).expect("exabgp starts"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exabgp_announces_to_our_speaker() {
    let p = pair();
    let scratch = Scratch::new("exa2us");
    let ours = sink(&p);
    let mut routes = String::from("  static {\n");
    for i in 0..1000u32 {
        let _ = writeln!(
            routes,
            "    route 10.{}.{}.0/24 next-hop {EXA} community [65010:7] large-community [65010:1:2];",
            100 + i / 256,
            i % 256
        );
    }
    for i in 0..100u32 {
        let _ =
            writeln!(routes, "    route 2001:db8:{i:x}::/48 next-hop {EXA6} community [65010:7];");
    }
    routes.push_str("  }\n");
    let exa = exabgp(&p, &scratch, &routes, "");
    let deadline = Instant::now() + Duration::from_secs(40);
    ours.established(deadline)
        .await
        .unwrap_or_else(|e| panic!("{e}\n--- exabgp ---\n{}", exa.output()));
    ours.rib_in()
        .wait_len(1100, deadline)
        .await
        .unwrap_or_else(|e| panic!("{e}\n--- exabgp ---\n{}", exa.output()));
    let r = ours
        .rib_in()
        .get(&Nlri { prefix: "10.101.2.0/24".parse().unwrap(), path_id: None })
        .expect("route");
    assert_eq!(r.attributes.as_path, Some(AsPath::sequence(vec![EXA_AS])));
    assert_eq!(r.attributes.communities, vec![Community((65010 << 16) | 7)]);
    assert_eq!(
        r.attributes.large_communities,
        vec![LargeCommunity { global: 65010, local1: 1, local2: 2 }]
    );
    assert_eq!(&*r.next_hop, &[EXA.parse::<IpAddr>().unwrap()]);
    let r6 = ours
        .rib_in()
        .get(&Nlri { prefix: "2001:db8:63::/48".parse().unwrap(), path_id: None })
        .expect("v6");
    assert_eq!(r6.next_hop.first(), Some(&EXA6.parse::<IpAddr>().unwrap()));
    assert!(ours.notifications().is_empty(), "{:?}", ours.notifications());
    assert_clean(&exa);
    ours.stop(Duration::from_secs(2)).await;
}

/// ExaBGP logged no error and no NOTIFICATION.
fn assert_clean(exa: &Exabgp) {
    let log = exa.output();
    let bad: Vec<&str> = log
        .lines()
        .filter(|l| l.to_ascii_lowercase().contains("error") || l.contains("notification"))
        .collect();
    assert!(bad.is_empty(), "ExaBGP logged:\n{}", bad.join("\n"));
}

/// Prefix counts in one line of ExaBGP's JSON API output: (announced, withdrawn).
fn counts(line: &str) -> (usize, usize) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { return (0, 0) };
    let u = &v["neighbor"]["message"]["update"];
    let announced = u["announce"]
        .as_object()
        .map(|fams| {
            fams.values()
                .filter_map(|nhs| nhs.as_object())
                .flat_map(|nhs| nhs.values())
                .filter_map(|l| l.as_array())
                .map(Vec::len)
                .sum()
        })
        .unwrap_or(0);
    let withdrawn = u["withdraw"]
        .as_object()
        .map(|fams| fams.values().filter_map(|l| l.as_array()).map(Vec::len).sum())
        .unwrap_or(0);
    (announced, withdrawn)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_speaker_announces_and_withdraws_to_exabgp() {
    let p = pair();
    let scratch = Scratch::new("us2exa");
    // ExaBGP's API process copies every received UPDATE (JSON) to a socket we listen on.
    let listener = p
        .x()
        .run(|| -> std::io::Result<StdListener> {
            let l = StdListener::bind("127.0.0.1:0")?;
            l.set_nonblocking(true)?;
            Ok(l)
        })
        .and_then(|r| r)
        .expect("listener in the ExaBGP namespace");
    let port = listener.local_addr().expect("port").port();
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    // The shell keeps its stdout (ExaBGP's pipe) open: ExaBGP takes a closed one for a death.
    let script = scratch
        .write("dump.sh", &format!("#!/bin/bash\nexec 3>/dev/tcp/127.0.0.1/{port}\ncat >&3\n"));
    let _ = std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755));
    let process = format!("process dump {{\n  run {};\n  encoder json;\n}}", script.display());
    let api = "  api {\n    processes [ dump ];\n    receive { parsed; update; }\n  }";
    let ours = sink(&p);
    let exa = exabgp(&p, &scratch, api, &process);
    let deadline = Instant::now() + Duration::from_secs(40);
    let link = ours
        .established(deadline)
        .await
        .unwrap_or_else(|e| panic!("{e}\n--- exabgp ---\n{}", exa.output()));
    let (conn, _) = tokio::time::timeout_at(deadline, listener.accept())
        .await
        .expect("API process in time")
        .expect("accept");
    let mut lines = BufReader::new(conn).lines();
    let mut prefixes = range("10.50.0.0/24".parse().unwrap(), 1000).unwrap();
    prefixes.extend(range("2001:db8:50::/48".parse().unwrap(), 100).unwrap());
    let spec =
        RouteSpec { next_hop_v6: Some("fd00:8::2".parse().unwrap()), ..RouteSpec::default() };
    let mut inj = Injector::new(&ours, link, None);
    inj.announce(&prefixes, &spec).await.expect("announce");
    inj.flush().await.expect("flush");
    let (mut announced, mut withdrawn, mut withdrew) = (0, 0, false);
    while withdrawn < 1100 {
        let line = tokio::time::timeout_at(deadline, lines.next_line()).await;
        let line = line.unwrap_or_else(|_| {
            panic!(
                "ExaBGP saw {announced} announced, {withdrawn} withdrawn by the deadline\n{}",
                exa.output()
            )
        });
        let Some(line) = line.expect("read") else { panic!("API stream ended\n{}", exa.output()) };
        let (a, w) = counts(&line);
        (announced, withdrawn) = (announced + a, withdrawn + w);
        if announced >= 1100 && !withdrew {
            withdrew = true;
            inj.withdraw_all().await.expect("withdraw");
            inj.flush().await.expect("flush");
        }
    }
    assert_eq!((announced, withdrawn), (1100, 1100));
    assert!(ours.notifications().is_empty(), "{:?}", ours.notifications());
    assert_clean(&exa);
    ours.stop(Duration::from_secs(2)).await;
}
