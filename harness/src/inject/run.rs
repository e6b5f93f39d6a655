//! Running `bgpstorm inject`: options to a session and a program, the run, the summary.

use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bgpstorm_wire::AfiSafi;
use bgpstorm_wire::iana::{CeaseSubcode, ErrorCode};
use ipnet::IpNet;
use serde::Serialize;

use super::args::{Family, InjectArgs};
use super::{EXIT_ENVIRONMENT, EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::speaker::replay::{self, PeerSelector, Recorded};
use crate::speaker::socket::in_netns;
use crate::speaker::{
    AddPath, Injector, Mode, RouteSpec, Session, SessionConfig, SessionError, prefixes,
};

/// A failure with its exit status.
struct Failure(u8, String);

impl Failure {
    fn usage(m: impl Into<String>) -> Self {
        Self(EXIT_USAGE, m.into())
    }
    fn env(m: impl Into<String>) -> Self {
        Self(EXIT_ENVIRONMENT, m.into())
    }
    fn failed(m: impl Into<String>) -> Self {
        Self(EXIT_FAILED, m.into())
    }
}

/// What to send, loaded before the session starts (so bad input fails fast).
#[derive(Default)]
struct Plan {
    prefixes: Vec<IpNet>,
    table: Vec<(IpNet, bgpstorm_wire::PathAttributes)>,
    replay: Vec<Recorded>,
    route: RouteSpec,
}

/// Runs `bgpstorm inject`; returns the process exit status.
pub fn main(args: &InjectArgs) -> ExitCode {
    let r = (|| {
        if let Some(f) = &args.list_peers {
            return list_peers(f);
        }
        let cfg = session_config(args)?;
        check_environment(&cfg)?;
        let plan = load_plan(args)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Failure::env(format!("cannot start the runtime: {e}")))?;
        rt.block_on(run(args, cfg, plan))
    })();
    match r {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(Failure(code, msg)) => {
            eprintln!("bgpstorm inject: error: {msg}");
            ExitCode::from(code)
        }
    }
}

fn list_peers(f: &std::path::Path) -> Result<(), Failure> {
    let peers = replay::peers(f).map_err(|e| Failure::usage(e.to_string()))?;
    println!("index  peer                                      AS          UPDATEs");
    for (i, p) in peers.iter().enumerate() {
        println!("{i:>5}  {:<40}  {:<10}  {}", p.ip, p.asn, p.updates);
    }
    Ok(())
}

/// The largest Adj-RIB-In a sink prepares in advance (prefixes).
const MAX_PRESIZED: usize = 4 << 20;

fn session_config(a: &InjectArgs) -> Result<SessionConfig, Failure> {
    let router_id = match (a.router_id, a.local) {
        (Some(id), _) => id,
        (None, Some(IpAddr::V4(l))) if !l.is_unspecified() => l,
        _ => Ipv4Addr::new(192, 0, 2, 1),
    };
    // clap requires both unless --list-peers, which never gets here.
    let (Some(local_as), Some(peer_as)) = (a.local_as, a.peer_as) else {
        return Err(Failure::usage("--local-as and --peer-as are required"));
    };
    let mut c = SessionConfig::new(local_as, peer_as, router_id);
    c.name = match a.peer {
        Some(p) => format!("{p}"),
        None => "sink".into(),
    };
    c.local_addr = a.local;
    c.peer_addr = a.peer;
    c.port = a.port;
    c.mode = match (a.passive, a.both) {
        (true, _) => Mode::Passive,
        (_, true) => Mode::Both,
        _ => Mode::Active,
    };
    c.hold_time = a.hold_time;
    c.connect_retry = Duration::from_secs(2);
    c.families = a
        .families
        .iter()
        .map(|f| match f {
            Family::Ipv4 => AfiSafi::IPV4_UNICAST,
            Family::Ipv6 => AfiSafi::IPV6_UNICAST,
        })
        .collect();
    c.families.dedup();
    c.extended_messages = a.extended_messages;
    c.four_octet_as = !a.two_octet;
    if a.add_path {
        c.add_path = c
            .families
            .iter()
            .map(|&family| AddPath { family, send: true, receive: true })
            .collect();
    }
    // Room for what the sink expects, up to a bound that keeps the table ≤ about 100 MB.
    c.rib_in_capacity = a.expect.unwrap_or(0).min(MAX_PRESIZED);
    c.md5_key = a.md5.clone();
    c.ttl_security = a.ttl_security;
    c.netns = a.netns.as_ref().map(|n| {
        if n.contains('/') { PathBuf::from(n) } else { PathBuf::from("/run/netns").join(n) }
    });
    if a.two_octet && local_as > 0xffff {
        return Err(Failure::usage("--two-octet needs a --local-as of at most 65535"));
    }
    c.validate().map_err(|e| Failure::usage(format!("{e} (see --help)")))?;
    Ok(c)
}

/// The namespace exists and the local address is ours there: environment errors (exit 3)
/// before any session starts.
fn check_environment(c: &SessionConfig) -> Result<(), Failure> {
    if let Some(ns) = &c.netns
        && !ns.exists()
    {
        return Err(Failure::env(format!("network namespace {} does not exist", ns.display())));
    }
    if let Some(ip) = c.local_addr {
        in_netns(c.netns.as_deref(), move || UdpSocket::bind(SocketAddr::new(ip, 0)).map(|_| ()))
            .map_err(|e| Failure::env(format!("local address {ip} is not usable: {e}")))?;
    }
    Ok(())
}

fn load_plan(a: &InjectArgs) -> Result<Plan, Failure> {
    let mut plan = Plan { route: route_spec(a), ..Plan::default() };
    let bad = |e: prefixes::PrefixError| Failure::usage(e.to_string());
    if let (Some(n), Some(start)) = (a.announce, a.start) {
        plan.prefixes.extend(prefixes::range(start, n).map_err(bad)?);
    }
    if let (Some(n), Some(start)) = (a.announce_v6, a.start_v6) {
        plan.prefixes.extend(prefixes::range(start, n).map_err(bad)?);
    }
    plan.prefixes.extend(a.prefixes.iter().map(|p| p.trunc()));
    if let Some(f) = &a.prefixes_from {
        plan.prefixes.extend(prefixes::from_mrt(f, a.limit).map_err(bad)?);
    }
    if let Some(f) = &a.table {
        plan.table =
            replay::load_table(f, a.table_peer).map_err(|e| Failure::usage(e.to_string()))?;
    }
    if let (Some(f), Some(i)) = (&a.replay, a.peer_index) {
        let (_, updates) = replay::load_updates(f, PeerSelector::Index(i))
            .map_err(|e| Failure::usage(e.to_string()))?;
        plan.replay = updates;
    }
    if a.speed.is_some_and(|s| s <= 0.0 || !s.is_finite()) {
        return Err(Failure::usage("--speed must be a positive factor"));
    }
    if a.rate.is_some_and(|r| r <= 0.0 || !r.is_finite()) || a.churn_rate <= 0.0 {
        return Err(Failure::usage("--rate and --churn-rate must be positive"));
    }
    Ok(plan)
}

fn route_spec(a: &InjectArgs) -> RouteSpec {
    RouteSpec {
        origin: a.origin,
        as_path: a.as_path.clone().unwrap_or_default(),
        prepend: a.prepend,
        next_hop_v4: a.next_hop,
        next_hop_v6: a.next_hop_v6,
        med: a.med,
        local_pref: a.local_pref,
        communities: a.communities.clone(),
        large_communities: a.large_communities.clone(),
        extended_communities: a.extended_communities.clone(),
        ..RouteSpec::default()
    }
}

/// The summary printed at the end.
#[derive(Debug, Default, Serialize)]
struct Summary {
    peer: Option<String>,
    established_after_s: Option<f64>,
    hold_time: Option<u16>,
    families: Vec<String>,
    prefixes_announced: u64,
    prefixes_withdrawn: u64,
    updates_sent: u64,
    bytes_sent: u64,
    send_s: Option<f64>,
    send_prefixes_per_s: Option<f64>,
    prefixes_received: usize,
    updates_received: u64,
    expected: Option<usize>,
    /// From Established to the UPDATE that brought the N-th prefix.
    established_to_expected_s: Option<f64>,
    receive_prefixes_per_s: Option<f64>,
    notifications: Vec<String>,
    error: Option<String>,
}

async fn run(a: &InjectArgs, cfg: SessionConfig, plan: Plan) -> Result<(), Failure> {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + a.deadline;
    let session = Session::start(cfg).map_err(|e| match e {
        SessionError::Config { .. } => Failure::usage(e.to_string()),
        e => Failure::env(e.to_string()),
    })?;
    let progress = Progress::start(a, &session);
    let mut s = Summary { expected: a.expect, ..Summary::default() };
    let mut result = drive(a, &session, plan, deadline, &mut s, started).await;
    // A sink that has what it wanted shuts the session down (Cease) while our last messages
    // are still on their way: for a sender that expects nothing back, that is the end. Not
    // with --hold, which asked for the session to stay up.
    if matches!(result, Err(Failure(EXIT_FAILED, _)))
        && a.expect.is_none()
        && a.hold.is_none()
        && s.peer.is_some()
        && peer_ceased(&session)
    {
        result = Ok(());
    }
    progress.finish();
    let c = session.counters();
    s.prefixes_announced = c.prefixes_announced;
    s.prefixes_withdrawn = c.prefixes_withdrawn;
    s.updates_sent = c.updates_sent;
    s.bytes_sent = c.bytes_sent;
    s.prefixes_received = session.rib_in().len();
    s.updates_received = c.updates_received;
    s.notifications = session.notifications().iter().map(|n| n.to_string()).collect();
    if let Err(Failure(_, m)) = &result {
        s.error = Some(m.clone());
    }
    print_summary(a, &s);
    session.stop(Duration::from_secs(2)).await;
    result
}

async fn drive(
    a: &InjectArgs,
    session: &Session,
    plan: Plan,
    deadline: tokio::time::Instant,
    s: &mut Summary,
    started: Instant,
) -> Result<(), Failure> {
    let link = session.established(deadline).await.map_err(|e| Failure::failed(e.to_string()))?;
    let est = session.status().established_at.unwrap_or_else(Instant::now);
    s.peer = Some(link.peer.to_string());
    s.established_after_s = Some(est.duration_since(started).as_secs_f64());
    s.hold_time = Some(link.negotiated.hold_time);
    s.families = link.negotiated.families.iter().map(|f| f.to_string()).collect();
    let mut inj = Injector::new(session, link, a.rate);
    let down = |e: crate::speaker::ProgramError| {
        let last = session.status().last_error.map(|l| format!(" ({l})")).unwrap_or_default();
        Failure::failed(format!("{e}{last}"))
    };
    let t0 = Instant::now();
    let sends = !plan.table.is_empty() || !plan.prefixes.is_empty() || !plan.replay.is_empty();
    if !plan.table.is_empty() {
        inj.announce_table(&plan.table).await.map_err(down)?;
    }
    if !plan.prefixes.is_empty() {
        inj.announce(&plan.prefixes, &plan.route).await.map_err(down)?;
    }
    inj.end_of_rib().await.map_err(down)?;
    if !plan.replay.is_empty() {
        inj.replay(&plan.replay, a.speed).await.map_err(down)?;
    }
    inj.flush().await.map_err(down)?;
    if sends {
        let secs = t0.elapsed().as_secs_f64();
        s.send_s = Some(secs);
        s.send_prefixes_per_s = Some(session.counters().prefixes_announced as f64 / secs.max(1e-9));
    }
    if let Some(cycles) = a.storm {
        inj.storm(&plan.prefixes, &plan.route, cycles).await.map_err(down)?;
    }
    if let Some(cycles) = a.flap {
        inj.flap(&plan.prefixes, &plan.route, None, cycles, a.flap_interval).await.map_err(down)?;
    }
    if let Some(d) = a.churn {
        let routes = [
            plan.route.clone(),
            RouteSpec { med: Some(plan.route.med.unwrap_or(0) + 1), ..plan.route.clone() },
        ];
        inj.churn(&plan.prefixes, &routes, a.churn_rate, d, a.seed).await.map_err(down)?;
    }
    if let Some(n) = a.expect {
        let got = session.rib_in().wait_len_at_least(n, deadline).await.map_err(|t| {
            Failure::failed(format!(
                "{} of {n} prefixes received by the deadline ({:?})",
                t.0.prefixes, a.deadline
            ))
        })?;
        let secs = got.at.saturating_duration_since(est).as_secs_f64();
        s.established_to_expected_s = Some(secs);
        s.receive_prefixes_per_s = Some(n as f64 / secs.max(1e-9));
    }
    if let Some(h) = a.hold {
        hold(session, h).await?;
    }
    if a.withdraw {
        inj.withdraw_all().await.map_err(down)?;
        inj.flush().await.map_err(down)?;
    }
    Ok(())
}

/// Keeps the session up for `h`. A session that goes down meanwhile (the peer's NOTIFICATION,
/// the peer closing the connection, the hold timer) fails with the reason.
async fn hold(session: &Session, h: Duration) -> Result<(), Failure> {
    let t0 = Instant::now();
    let mut st = session.watch_status();
    let down = st.wait_for(|x| x.state != crate::speaker::State::Established);
    match tokio::time::timeout(h, down).await {
        Err(_) => Ok(()),
        Ok(status) => {
            // The reason is recorded before the state leaves Established.
            let why = status
                .ok()
                .and_then(|s| s.last_error.clone())
                .unwrap_or_else(|| "the session ended".into());
            Err(Failure::failed(format!(
                "the session went down {:.3} s into --hold {}: {why}",
                t0.elapsed().as_secs_f64(),
                shown(h)
            )))
        }
    }
}

/// A duration as the options spell it: `30s`, `1500ms`.
fn shown(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Whether the peer ended the session with Cease / Administrative Shutdown (RFC 4486).
fn peer_ceased(session: &Session) -> bool {
    session.notifications().iter().any(|n| {
        n.direction == crate::speaker::Direction::Received
            && (n.code, n.subcode) == ErrorCode::Cease.with(CeaseSubcode::AdministrativeShutdown)
    })
}

fn print_summary(a: &InjectArgs, s: &Summary) {
    if a.json {
        println!(
            "{}",
            serde_json::to_string(s).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
        );
        return;
    }
    let rate = |r: Option<f64>| r.map(|r| format!(" ({:.0} prefixes/s)", r)).unwrap_or_default();
    match (&s.peer, s.established_after_s) {
        (Some(p), Some(t)) => println!(
            "session   {p} established after {:.3} s, hold time {} s, {}",
            t,
            s.hold_time.unwrap_or(0),
            s.families.join(" ")
        ),
        _ => println!("session   not established"),
    }
    println!(
        "sent      {} prefixes announced, {} withdrawn, {} UPDATEs, {} bytes{}{}",
        s.prefixes_announced,
        s.prefixes_withdrawn,
        s.updates_sent,
        s.bytes_sent,
        s.send_s.map(|t| format!(", initial table in {t:.3} s")).unwrap_or_default(),
        rate(s.send_prefixes_per_s)
    );
    print!("received  {} prefixes held, {} UPDATEs", s.prefixes_received, s.updates_received);
    match (s.expected, s.established_to_expected_s) {
        (Some(n), Some(t)) => {
            println!(", {n} prefixes {t:.3} s after Established{}", rate(s.receive_prefixes_per_s))
        }
        _ => println!(),
    }
    for n in &s.notifications {
        println!("          {n}");
    }
}

/// A progress line on stderr, only when it is a terminal.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    fn start(a: &InjectArgs, session: &Session) -> Self {
        if a.quiet || a.json || !std::io::stderr().is_terminal() {
            return Self { bar: None, task: None };
        }
        let bar = indicatif::ProgressBar::new_spinner();
        let shared = session.shared().clone();
        let b = bar.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            loop {
                tick.tick().await;
                let c = shared.counters.snapshot();
                let st = shared.status.borrow().state;
                b.set_message(format!(
                    "{st}  sent {} prefixes / {} UPDATEs  received {} prefixes",
                    c.prefixes_announced,
                    c.updates_sent,
                    shared.rib_in.count().prefixes
                ));
                b.tick();
            }
        });
        Self { bar: Some(bar), task: Some(task) }
    }

    fn finish(self) {
        if let Some(t) = self.task {
            t.abort();
        }
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}
