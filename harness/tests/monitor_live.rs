//! The live monitor on a real session: BIRD in one namespace, two of our speakers in two
//! others; `bgpstorm monitor --iface` watches BIRD's interfaces and answers over REST with
//! the best path, its attributes and the hidden alternate, raises one flap alert for the
//! flapping prefix only and a community alert naming the forbidden community; killed with
//! SIGKILL, it leaves no TC program attached. Needs root and bird2 (CI: ci/setup).

#[path = "common/child.rs"]
mod child;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bgpstorm_harness::dut::{Dut, DutPlan, Neighbor};
use bgpstorm_harness::scenario::model::{DutKind, Family};
use bgpstorm_harness::speaker::prefixes::range;
use bgpstorm_harness::speaker::{Injector, Mode, RouteSpec, Session, SessionConfig};
use bgpstorm_harness::topology::{End, LinkPlan, Topology};
use bgpstorm_monitor::capture::live::attached_programs;
use bgpstorm_wire::model::{AsPath, Community};
use serde_json::Value;

struct Monitor(Child);

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(addr: &str, path: &str) -> Value {
    let mut s = TcpStream::connect(addr).expect("monitor API");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    serde_json::from_str(body).unwrap_or(Value::String(body.to_string()))
}

/// Asks the API until `done` holds or the deadline passes (the monitor has no push channel).
fn wait_api(addr: &str, path: &str, deadline: Instant, done: impl Fn(&Value) -> bool) -> Value {
    let mut backoff = Duration::from_millis(10);
    loop {
        let v = get(addr, path);
        if done(&v) || Instant::now() >= deadline {
            return v;
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_millis(200));
    }
}

fn speaker(ns: PathBuf, local: &str, peer: &str, asn: u32) -> Session {
    let mut c = SessionConfig::new(asn, 65000, local.parse().unwrap());
    c.name = format!("AS{asn}");
    c.netns = Some(ns);
    c.local_addr = Some(local.parse().unwrap());
    c.peer_addr = Some(peer.parse().unwrap());
    c.mode = Mode::Active;
    c.connect_retry = Duration::from_millis(300);
    Session::start(c).unwrap()
}

#[test]
fn the_live_monitor_sees_best_paths_hidden_routes_flaps_and_community_breaks() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (CI runs as root)");
    let end = |node, ifname: &str, a: &str| End {
        node,
        ifname: ifname.into(),
        addresses: vec![a.parse().unwrap()],
    };
    let topo = Topology::build(
        &["dut".into(), "a1".into(), "a2".into()],
        vec![
            LinkPlan {
                a: end(0, "d-a1", "10.0.1.1/24"),
                b: end(1, "eth0", "10.0.1.2/24"),
                mtu: 1500,
            },
            LinkPlan {
                a: end(0, "d-a2", "10.0.2.1/24"),
                b: end(2, "eth0", "10.0.2.2/24"),
                mtu: 1500,
            },
        ],
    )
    .unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../target/tmp/monitor-live-{}", std::process::id()));
    let neighbor = |name: &str, addr: &str, local: &str, asn| Neighbor {
        name: name.into(),
        addr: addr.parse().unwrap(),
        local: local.parse().unwrap(),
        local_v6: None,
        asn,
        dut_passive: true,
        families: vec![Family::Ipv4],
        md5: None,
        ttl_security: false,
        graceful_restart: false,
        add_path: None,
        extended_messages: false,
    };
    let plan = DutPlan {
        kind: DutKind::Bird,
        asn: 65000,
        router_id: "10.255.255.1".parse().unwrap(),
        neighbors: vec![
            neighbor("a1", "10.0.1.2", "10.0.1.1", 65001),
            neighbor("a2", "10.0.2.2", "10.0.2.1", 65002),
        ],
        extra: None,
        dir: dir.join("dut"),
        source: bgpstorm_harness::dut::Source::Host,
        version: bgpstorm_harness::dut::host_version(DutKind::Bird),
    };
    let mut dut =
        Dut::start(plan, topo.node(0), Duration::from_secs(30)).unwrap_or_else(|e| panic!("{e}"));
    let config = dir.join("monitor.yaml");
    std::fs::write(&config, "flap: {window: 30s, changes: 3}\ncommunities:\n  - {peer: 10.0.1.2, direction: in, deny: \"^65535:\"}\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bgpstorm"))
        .args(["monitor", "--netns"])
        .arg(topo.node(0).path())
        .args(["--iface", "d-a1,d-a2", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let monitor = Monitor(child);
    let api = child::wait_for_line(
        stderr,
        |l| Some(l.split("serving http://").nth(1)?.split('/').next()?.to_string()),
        Duration::from_secs(30),
        "the monitor's API address",
    );

    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // The sessions live on (their routes stay) until the end of the test.
    let _sessions = rt.block_on(async {
        let a1 = speaker(topo.node(1).path(), "10.0.1.2", "10.0.1.1", 65001);
        let a2 = speaker(topo.node(2).path(), "10.0.2.2", "10.0.2.1", 65002);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let (l1, l2) =
            (a1.established(deadline).await.unwrap(), a2.established(deadline).await.unwrap());
        let (mut i1, mut i2) = (Injector::new(&a1, l1, None), Injector::new(&a2, l2, None));
        let prefixes = range("100.64.0.0/24".parse().unwrap(), 50).unwrap();
        let tagged = RouteSpec {
            as_path: vec![174],
            communities: vec![Community(65001 << 16 | 100)],
            ..RouteSpec::default()
        };
        i1.announce(&prefixes, &tagged).await.unwrap();
        i2.announce(&prefixes, &RouteSpec { as_path: vec![3356, 174], ..RouteSpec::default() })
            .await
            .unwrap();
        let forbidden =
            RouteSpec { communities: vec![Community(65535 << 16 | 666)], ..RouteSpec::default() };
        i1.announce(&["198.51.100.0/24".parse().unwrap()], &forbidden).await.unwrap();
        let flapping = ["203.0.113.0/24".parse().unwrap()];
        i1.announce(&flapping, &RouteSpec::default()).await.unwrap();
        i1.flush().await.unwrap();
        i2.flush().await.unwrap();
        i1.flap(&flapping, &RouteSpec::default(), None, 5, Duration::from_millis(200))
            .await
            .unwrap();
        (a1, a2)
    });

    let deadline = Instant::now() + Duration::from_secs(20);
    // The paths BIRD (router id 10.255.255.1) holds; BIRD's own advertisements to a1 and a2
    // are there too, under those receivers.
    let at_bird = |v: &Value| -> Vec<Value> {
        v["routes"][0]["paths"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["receiver"] == "10.255.255.1")
            .cloned()
            .collect()
    };
    let v =
        wait_api(&api, "/api/v1/routes?prefix=100.64.0.0/24", deadline, |v| at_bird(v).len() == 2);
    let paths = at_bird(&v);
    assert_eq!(paths.len(), 2, "{v}");
    let best = &paths[0];
    assert_eq!(
        (best["best"].as_bool(), best["peer"].as_str()),
        (Some(true), Some("10.0.1.2")),
        "{v}"
    );
    assert_eq!(best["peer_asn"], 65001);
    assert_eq!(
        best["attributes"]["as_path"],
        serde_json::to_value(AsPath::sequence([65001, 174])).unwrap()
    );
    assert_eq!(best["attributes"]["next_hop"], serde_json::json!(["10.0.1.2"]));
    assert_eq!(best["attributes"]["communities"], serde_json::json!(["65001:100"]));
    let hidden = get(&api, "/api/v1/hidden?prefix=100.64.0.0/24");
    let hidden: Vec<&Value> = hidden["hidden"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["receiver"] == "10.255.255.1")
        .collect();
    assert_eq!(hidden.len(), 1, "{hidden:?}");
    assert_eq!(hidden[0]["peer"], "10.0.2.2", "{hidden:?}");
    let longer = get(&api, "/api/v1/routes?prefix=100.64.0.0/16&match=longer");
    assert_eq!(longer["routes"].as_array().map(Vec::len), Some(50));

    let flaps = wait_api(&api, "/api/v1/alerts?kind=flap", deadline, |v| {
        v["alerts"].as_array().is_some_and(|a| !a.is_empty())
    });
    let flaps = flaps["alerts"].as_array().cloned().unwrap_or_default();
    // The flap is seen where it enters BIRD (a1 -> DUT) and where BIRD passes it on
    // (DUT -> a2): one alert per session, and only for the flapping prefix.
    assert!(flaps.iter().all(|a| a["nlri"]["prefix"] == "203.0.113.0/24"), "{flaps:?}");
    let mut sessions: Vec<u64> = flaps.iter().filter_map(|a| a["session"].as_u64()).collect();
    sessions.sort();
    sessions.dedup();
    assert_eq!(sessions.len(), flaps.len(), "at most one alert per session: {flaps:?}");
    let sess = get(&api, "/api/v1/sessions");
    let ingress = sess["adj_ribs_in"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["flow"]["src"].as_str().is_some_and(|a| a.starts_with("10.0.1.2:")))
        .unwrap() as u64;
    assert!(sessions.contains(&ingress), "an alert on a1's session into BIRD: {flaps:?}");
    let comm = wait_api(&api, "/api/v1/alerts?kind=community", deadline, |v| {
        v["alerts"].as_array().is_some_and(|a| !a.is_empty())
    });
    let comm = comm["alerts"].as_array().cloned().unwrap_or_default();
    assert_eq!(comm.len(), 1, "{comm:?}");
    assert_eq!(
        (comm[0]["community"].as_str(), comm[0]["nlri"]["prefix"].as_str()),
        (Some("65535:666"), Some("198.51.100.0/24"))
    );

    let ns = topo.node(0);
    assert!(
        !attached_programs(ns, "d-a1").unwrap().is_empty(),
        "the monitor is attached while it runs"
    );
    drop(monitor); // SIGKILL
    for iface in ["d-a1", "d-a2"] {
        let left = attached_programs(ns, iface).unwrap();
        assert!(left.is_empty(), "{iface}: {left:?} still attached after SIGKILL");
    }
    dut.stop(Duration::from_secs(5));
    let _ = std::fs::remove_dir_all(&dir);
}
