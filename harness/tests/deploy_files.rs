//! The monitoring files in deploy/ against the real monitor: every `bgpstorm_` metric that the
//! Grafana dashboard and the Prometheus alerting rules query is one `bgpstorm monitor --listen`
//! exposes, and the files parse as Grafana JSON and Prometheus / Alertmanager YAML; and
//! Prometheus' own promtool (Debian package `prometheus`, installed by ci/setup) finds no
//! problem in a live `/metrics` page, in the rules, or in the rules' unit tests.

use std::collections::{BTreeMap, BTreeSet};
#[path = "common/monitor.rs"]
mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Deserialize;

use common::{root, serve};

fn read(rel: &str) -> String {
    let p = root().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The body of a GET that must answer 200.
fn get(addr: &str, path: &str) -> String {
    let (status, body) = common::get(addr, path);
    assert_eq!(status, 200, "{body}");
    body
}

/// The names of the samples in a text exposition (counters carry their `_total` there; the
/// `# TYPE` lines name them without it, so only sample lines count).
fn exposed(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_string)
        .collect()
}

/// Every identifier starting with `bgpstorm_` in a PromQL expression.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = expr.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b':';
    let mut i = 0;
    while let Some(at) = expr[i..].find("bgpstorm_") {
        let start = i + at;
        let mut end = start;
        while end < bytes.len() && ident(bytes[end]) {
            end += 1;
        }
        if start == 0 || !ident(bytes[start - 1]) {
            names.insert(expr[start..end].to_string());
        }
        i = end;
    }
    names
}

/// Every PromQL expression of a Grafana dashboard: panel targets (rows included) and
/// query variables.
fn dashboard_exprs(dash: &serde_json::Value) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("expr" | "definition", serde_json::Value::String(s)) => {
                            out.push(s.clone())
                        }
                        ("query", serde_json::Value::String(s)) if s.contains('(') => {
                            out.push(s.clone())
                        }
                        _ => walk(v, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(dash, &mut out);
    out
}

/// A Prometheus rule file, as strict as Prometheus itself about unknown keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    groups: Vec<RuleGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleGroup {
    name: String,
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    alert: String,
    expr: String,
    #[serde(rename = "for")]
    for_: Option<String>,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

fn rules() -> RuleFile {
    let text = read("deploy/prometheus/bgpstorm-alerts.yml");
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("bgpstorm-alerts.yml: {e}"))
}

fn dashboard() -> serde_json::Value {
    serde_json::from_str(&read("deploy/grafana/bgpstorm.json"))
        .unwrap_or_else(|e| panic!("bgpstorm.json: {e}"))
}

#[test]
fn every_metric_the_dashboard_and_the_alerts_query_is_exposed_by_the_monitor() {
    let pcap = root().join("data/pcap/feature-captures/bgp-large-community.pcap");
    let (_server, addr) = serve(&pcap);
    let have = exposed(&get(&addr, "/metrics"));
    assert!(have.contains("bgpstorm_session_up"), "{have:?}");
    let mut wanted: BTreeMap<String, String> = BTreeMap::new();
    for e in dashboard_exprs(&dashboard()) {
        for n in metric_names(&e) {
            wanted.insert(n, format!("bgpstorm.json: {e}"));
        }
    }
    let dashboard_count = wanted.len();
    for r in rules().groups.iter().flat_map(|g| &g.rules) {
        for n in metric_names(&r.expr) {
            wanted.insert(n, format!("alert {}: {}", r.alert, r.expr));
        }
    }
    assert!(dashboard_count >= 15 && wanted.len() >= dashboard_count, "{wanted:?}");
    let missing: Vec<String> = wanted
        .iter()
        .filter(|(n, _)| !have.contains(*n))
        .map(|(n, used)| format!("{n} (in {used})"))
        .collect();
    assert!(missing.is_empty(), "not exposed by the monitor: {missing:#?}\nexposed: {have:#?}");
}

#[test]
fn metric_names_are_read_out_of_promql() {
    let e = r#"sum by (type) (rate(bgpstorm_messages_total{x="bgpstorm_no"}[5m])) / bgpstorm_a:b"#;
    let names: Vec<String> = metric_names(e).into_iter().collect();
    // Inside a label value `bgpstorm_no` follows a quote, so it is picked up too: harmless,
    // it would only make the check stricter.
    assert_eq!(names, ["bgpstorm_a:b", "bgpstorm_messages_total", "bgpstorm_no"]);
    assert!(metric_names("xbgpstorm_y + up").is_empty());
}

#[test]
fn the_alert_rules_cover_flaps_communities_sessions_and_capture_drops_with_routing_labels() {
    let file = rules();
    let all: Vec<&Rule> = file.groups.iter().flat_map(|g| &g.rules).collect();
    assert!(file.groups.iter().all(|g| !g.name.is_empty() && !g.rules.is_empty()));
    for needed in [
        "bgpstorm_flap_alerts_total",
        "bgpstorm_community_alerts_total",
        "bgpstorm_session_up",
        "bgpstorm_capture_drops_total",
    ] {
        assert!(all.iter().any(|r| r.expr.contains(needed)), "no alert on {needed}");
    }
    let mut names = BTreeSet::new();
    for r in &all {
        assert!(names.insert(&r.alert), "two alerts named {}", r.alert);
        assert!(
            matches!(
                r.labels.get("severity").map(String::as_str),
                Some("critical" | "warning" | "info")
            ),
            "{}: severity",
            r.alert
        );
        assert_eq!(r.labels.get("service").map(String::as_str), Some("bgpstorm"), "{}", r.alert);
        assert!(r.annotations.contains_key("summary"), "{}: summary", r.alert);
        if let Some(d) = &r.for_ {
            assert!(humantime::parse_duration(d).is_ok(), "{}: for: {d}", r.alert);
        }
    }
}

#[test]
fn the_example_alertmanager_and_prometheus_configurations_parse_and_fit_the_rules() {
    let am: serde_json::Value =
        serde_saphyr::from_str(&read("deploy/alertmanager/alertmanager.yml")).unwrap();
    let receivers: Vec<&str> =
        am["receivers"].as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
    let route = &am["route"]["routes"][0];
    assert_eq!(route["matchers"][0], "service=\"bgpstorm\"");
    let receiver = route["receiver"].as_str().unwrap();
    assert!(receivers.contains(&receiver), "{receiver} is not among {receivers:?}");
    let hook = am["receivers"].as_array().unwrap().iter().find(|r| r["name"] == receiver).unwrap();
    assert!(hook["webhook_configs"][0]["url"].as_str().is_some_and(|u| u.starts_with("http")));
    let prom: serde_json::Value =
        serde_saphyr::from_str(&read("deploy/prometheus/prometheus.yml")).unwrap();
    assert_eq!(prom["rule_files"][0], "bgpstorm-alerts.yml");
    // BgpstormMonitorDown watches `up` of exactly this job.
    let job = prom["scrape_configs"][0]["job_name"].as_str().unwrap();
    let down =
        rules().groups.into_iter().flat_map(|g| g.rules).find(|r| r.alert == "BgpstormMonitorDown");
    assert!(down.is_some_and(|r| r.expr.contains(&format!("job=\"{job}\""))));
}

#[test]
fn the_dashboard_is_a_grafana_dashboard_over_a_prometheus_data_source() {
    let d = dashboard();
    assert_eq!(d["uid"], "bgpstorm-monitor");
    let panels = d["panels"].as_array().unwrap();
    let mut ids = BTreeSet::new();
    for p in panels {
        assert!(ids.insert(p["id"].as_u64().unwrap()), "duplicate panel id {}", p["id"]);
        let pos = &p["gridPos"];
        assert!(pos["x"].as_u64().unwrap() + pos["w"].as_u64().unwrap() <= 24, "{}", p["title"]);
        if p["type"] != "row" {
            assert_eq!(p["datasource"]["type"], "prometheus", "{}", p["title"]);
            assert!(!p["targets"].as_array().unwrap().is_empty(), "{}", p["title"]);
        }
    }
    let vars = d["templating"]["list"].as_array().unwrap();
    assert!(vars.iter().any(|v| v["name"] == "datasource" && v["query"] == "prometheus"));
}

/// promtool, or a failure that says how to get it (a missing tool must not pass silently).
fn promtool() -> Command {
    let found =
        Command::new("promtool").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found, "promtool not found: install the Debian package prometheus (ci/setup does)");
    Command::new("promtool")
}

/// A GET of `/metrics` with an `Accept` header; returns (Content-Type, body).
fn scrape(addr: &str, accept: &str) -> (String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let ctype = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-type: ").map(str::to_string))
        .unwrap_or_default();
    (ctype, body.to_string())
}

/// `promtool check metrics` on `text`: its exit status and what it printed.
fn check_metrics(text: &str) -> (bool, String) {
    let mut child = promtool()
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), said)
}

#[test]
fn promtool_finds_no_problem_in_a_live_metrics_page() {
    // Many sessions, resets and NOTIFICATIONs: every labelled family has samples.
    let pcap = root().join(
        "data/pcap/multi-peer-sessions/305-BGP-mem-leak-test/bgp-multi-sources-update-keepalive.pcap",
    );
    let (_server, addr) = serve(&pcap);
    // What curl and promtool get: the Prometheus text format.
    let (ctype, text) = scrape(&addr, "*/*");
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    assert!(text.contains("bgpstorm_convergence_seconds{"), "{text}");
    assert!(text.lines().filter(|l| l.starts_with("bgpstorm_session_up{")).count() >= 2, "{text}");
    let (ok, said) = check_metrics(&text);
    // Any lint (no help text, a reserved label, a counter without _total...) is a failure.
    assert!(ok && said.trim().is_empty(), "promtool check metrics:\n{said}\non:\n{text}");
    // What Prometheus asks for: OpenMetrics, the same samples.
    let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                      version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let (ctype, om) = scrape(&addr, prometheus);
    assert!(ctype.starts_with("application/openmetrics-text; version=1.0.0"), "{ctype}");
    assert!(om.ends_with("# EOF\n"), "{om}");
    let samples = |t: &str| -> BTreeSet<String> {
        t.lines().filter(|l| !l.starts_with('#')).map(str::to_string).collect()
    };
    assert_eq!(samples(&om), samples(&text));
}

#[test]
fn promtool_accepts_the_rules_the_configuration_and_the_alert_unit_tests() {
    // ci/check-deploy: check rules, check config, test rules (and amtool when present).
    promtool();
    let out =
        Command::new("sh").arg(root().join("ci/check-deploy")).arg("--require").output().unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ci/check-deploy --require:\n{said}");
    let rules = std::fs::read_to_string(root().join("deploy/prometheus/bgpstorm-alerts.yml"))
        .unwrap()
        .lines()
        .filter(|l| l.trim_start().starts_with("- alert:"))
        .count();
    assert!(rules > 0);
    let found = format!("SUCCESS: {rules} rules found");
    assert!(said.contains("Unit Testing:") && said.contains(&found), "{found}:\n{said}");
}
