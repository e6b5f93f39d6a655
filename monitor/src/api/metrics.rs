//! Prometheus exposition of the monitor's state (`/metrics`), built from the engine at each
//! scrape so that every figure is current and nothing is counted twice.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::detect::session::State;
use crate::engine::{CaptureCounters, Engine};

type Labels = Vec<(String, String)>;

fn counter(reg: &mut Registry, name: &str, help: &str, v: u64) {
    let c: Counter = Counter::default();
    c.inc_by(v);
    reg.register(name, help, c);
}

fn gauge(reg: &mut Registry, name: &str, help: &str, v: i64) {
    let g: Gauge = Gauge::default();
    g.set(v);
    reg.register(name, help, g);
}

/// The text exposition of `engine` and the capture counters.
pub fn render(engine: &Engine, capture: &CaptureCounters) -> String {
    let mut reg = Registry::with_prefix("bgpstorm");
    let c = engine.counters();
    let messages = Family::<Labels, Counter>::default();
    for (t, n) in &c.messages {
        messages.get_or_create(&vec![("type".into(), (*t).into())]).inc_by(*n);
    }
    reg.register("messages", "BGP messages seen on the wire, by type", messages);
    counter(&mut reg, "prefixes_announced", "Prefixes announced in UPDATEs", c.announced);
    counter(&mut reg, "prefixes_withdrawn", "Prefixes withdrawn in UPDATEs", c.withdrawn);
    counter(&mut reg, "flap_alerts", "Flap alerts raised", c.flap_alerts);
    counter(&mut reg, "community_alerts", "Community policy alerts raised", c.community_alerts);
    counter(
        &mut reg,
        "damping_suppressions",
        "Prefixes suppressed by RFC 2439 damping",
        c.suppressions,
    );
    counter(&mut reg, "malformed_messages", "Messages that could not be decoded", c.malformed);
    counter(&mut reg, "reassembly_gap_bytes", "TCP payload bytes never captured", c.gap_bytes);
    counter(
        &mut reg,
        "stream_unsynced_flows",
        "Flows that ended without finding a BGP message header (mid-stream start or gap)",
        c.unsynced_flows,
    );
    counter(
        &mut reg,
        "stream_unsynced_bytes",
        "Bytes of flows never decoded because no BGP message header was found in them",
        c.unsynced_bytes,
    );
    counter(
        &mut reg,
        "events_dropped",
        "Events that fell off the bounded event log",
        c.events_dropped,
    );
    counter(&mut reg, "capture_events", "Capture events read", capture.events);
    counter(
        &mut reg,
        "capture_drops",
        "Capture events lost (ring buffer full, or similar)",
        capture.drops,
    );
    let rib = engine.rib();
    gauge(&mut reg, "rib_paths", "Paths held in all Adj-RIBs-In", rib.path_count() as i64);
    gauge(&mut reg, "rib_prefixes", "Distinct prefixes held", rib.prefix_count() as i64);
    gauge(
        &mut reg,
        "rib_attribute_sets",
        "Distinct interned attribute sets",
        rib.attr_set_count() as i64,
    );
    gauge(
        &mut reg,
        "hidden_routes",
        "Valid paths that are not the best at their receiver",
        rib.hidden_count() as i64,
    );
    let multicast = Family::<Labels, Gauge>::default();
    for (family, n) in rib.multicast_counts() {
        multicast.get_or_create(&vec![("family".into(), family.to_string())]).set(n as i64);
    }
    reg.register(
        "rib_multicast_paths",
        "Multicast (SAFI 2) paths held, by family, apart from rib_paths",
        multicast,
    );
    let paths = Family::<Labels, Gauge>::default();
    for s in rib.sessions() {
        let labels = vec![
            ("sender".into(), s.flow.src.to_string()),
            ("receiver".into(), s.flow.dst.to_string()),
        ];
        paths.get_or_create(&labels).set(s.paths as i64);
    }
    reg.register("session_paths", "Paths a session holds", paths);
    let up = Family::<Labels, Gauge>::default();
    let resets = Family::<Labels, Counter>::default();
    let notifications = Family::<Labels, Counter>::default();
    for h in engine.health().sessions() {
        let labels = vec![
            ("peer_a".into(), h.peers.0.to_string()),
            ("peer_b".into(), h.peers.1.to_string()),
        ];
        up.get_or_create(&labels).set(i64::from(h.state == State::Established));
        resets.get_or_create(&labels).inc_by(h.resets);
        notifications.get_or_create(&labels).inc_by(h.notifications.len() as u64);
    }
    reg.register("session_up", "1 when the session is Established", up);
    let state = Family::<Labels, Gauge>::default();
    for h in engine.health().sessions() {
        let labels = vec![
            ("peer_a".into(), h.peers.0.to_string()),
            ("peer_b".into(), h.peers.1.to_string()),
        ];
        // RFC 4271 §8.2.2 numbering as in the original design: 1 Idle/closed, 2 Connect,
        // 4 OpenSent, 5 OpenConfirm, 6 Established.
        let n = match h.state {
            State::Closed => 1,
            State::Connect => 2,
            State::OpenSent => 4,
            State::OpenConfirm => 5,
            State::Established => 6,
        };
        state.get_or_create(&labels).set(n);
    }
    reg.register("session_state", "BGP FSM state seen on the wire (1 idle, 2 connect, 4 open-sent, 5 open-confirm, 6 established)", state);
    let conv = Family::<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
    let summary = engine.convergence().summary();
    for (kind, l) in [("announce", &summary.announce), ("withdraw", &summary.withdraw)] {
        // A gauge may not carry the `quantile` label, which Prometheus reserves for summaries
        // (with _sum and _count, which this latency distribution has no use for): `stat`.
        for (stat, v) in [("p50", l.p50_us), ("p99", l.p99_us), ("max", l.max_us)] {
            conv.get_or_create(&vec![("kind".into(), kind.into()), ("stat".into(), stat.into())])
                .set(v as f64 / 1e6);
        }
    }
    reg.register(
        "convergence_seconds",
        "Per-prefix convergence latency through the watched device (stat p50, p99 or max)",
        conv,
    );
    gauge(
        &mut reg,
        "convergence_unconverged",
        "Prefixes whose change the device has not answered yet",
        summary.unconverged as i64,
    );
    reg.register("session_resets", "Established sessions that went down", resets);
    reg.register(
        "session_notifications",
        "NOTIFICATIONs seen (last 16 kept per session)",
        notifications,
    );
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut out, &reg);
    out
}

/// `Content-Type` of [`render`]'s OpenMetrics text.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// `Content-Type` of [`to_prometheus_text`]'s output.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Whether a request's `Accept` header asks for OpenMetrics (Prometheus' scrapes do); other
/// clients (curl, `promtool check metrics`) get the Prometheus text format.
pub fn wants_openmetrics(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| a.contains("application/openmetrics-text"))
}

/// OpenMetrics text turned into the Prometheus text format 0.0.4: a counter's family is named
/// with its `_total` suffix there (as its samples are), `unknown` is `untyped`, and there is
/// no `# UNIT` or `# EOF` line.
pub fn to_prometheus_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|p| line.strip_prefix(p).map(|rest| (p, rest)));
        match meta {
            Some((p, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                let tail = if p == "# TYPE " && tail == "unknown" { "untyped" } else { tail };
                let suffix = if counters.contains(name) { "_total" } else { "" };
                out.push_str(&format!("{p}{name}{suffix} {tail}\n"));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_named_with_total_in_the_prometheus_text_format() {
        let om = "# HELP a_x Things seen.\n# TYPE a_x counter\na_x_total 3\n\
                  # HELP a_g A level.\n# TYPE a_g gauge\n# UNIT a_g seconds\na_g{k=\"v\"} 0.5\n\
                  # TYPE a_u unknown\na_u 1\n# EOF\n";
        assert_eq!(
            to_prometheus_text(om),
            "# HELP a_x_total Things seen.\n# TYPE a_x_total counter\na_x_total 3\n\
             # HELP a_g A level.\n# TYPE a_g gauge\na_g{k=\"v\"} 0.5\n\
             # TYPE a_u untyped\na_u 1\n"
        );
    }

    #[test]
    fn only_a_client_that_asks_for_openmetrics_gets_it() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-\
                          text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert!(wants_openmetrics(Some(prometheus)));
        assert!(!wants_openmetrics(Some("*/*")));
        assert!(!wants_openmetrics(None));
    }
}
