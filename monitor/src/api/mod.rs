//! The monitor's HTTP interface: a JSON REST API under `/api/v1` and Prometheus `/metrics`.
//!
//! - `GET /api/v1/routes?prefix=192.0.2.0/24[&match=exact|longer|shorter]`: the prefix's
//!   paths per receiver, best first, with attributes, next hop and receive time;
//! - `GET /api/v1/hidden?prefix=...`: the valid paths that are not best (backups);
//! - `GET /api/v1/sessions`: session health and paths per session;
//! - `GET /api/v1/alerts[?kind=flap|community|damping]`: the event log's alerts;
//! - `GET /api/v1/events`: the whole event log; `GET /api/v1/convergence`; `GET /api/v1/stats`;
//! - `GET /metrics`: Prometheus text format.
//!
//! Errors are JSON `{"error": "..."}` with status 400 (bad query) or 404 (unknown path).

pub mod metrics;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::engine::{Engine, Event};
use crate::rib::Match;

/// Counters of the capture source behind the engine.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct CaptureCounters {
    /// Events read.
    pub events: u64,
    /// Events lost before they reached user space.
    pub drops: u64,
}

/// What the API serves: the engine and its capture's counters.
#[derive(Clone)]
pub struct Shared {
    /// The monitor state.
    pub engine: Arc<Mutex<Engine>>,
    /// The capture counters.
    pub capture: Arc<Mutex<CaptureCounters>>,
}

impl Shared {
    /// Wraps an engine.
    pub fn new(engine: Engine) -> Self {
        Self { engine: Arc::new(Mutex::new(engine)), capture: Arc::default() }
    }

    /// Locks the engine (a panicked holder leaves the state as it was; keep serving it).
    pub fn engine(&self) -> MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Feeds decoded stream items to the engine, in order.
    pub fn push_all(&self, items: &[crate::stream::StreamItem]) {
        if items.is_empty() {
            return;
        }
        let mut e = self.engine();
        for it in items {
            e.push(it);
        }
    }

    /// Records the live capture's counters (records read, every kind of loss).
    #[cfg(feature = "live")]
    pub fn set_capture(&self, live: &crate::capture::live::LiveStats) {
        *self.capture.lock().unwrap_or_else(|p| p.into_inner()) =
            CaptureCounters { events: live.records_read, drops: live.drops() };
    }

    fn capture(&self) -> CaptureCounters {
        *self.capture.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The router.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/api/v1/routes", get(routes))
        .route("/api/v1/hidden", get(hidden))
        .route("/api/v1/sessions", get(sessions))
        .route("/api/v1/alerts", get(alerts))
        .route("/api/v1/flaps", get(flaps))
        .route("/api/v1/events", get(events))
        .route("/api/v1/convergence", get(convergence))
        .route("/api/v1/stats", get(stats))
        .route("/metrics", get(prometheus))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "no such endpoint; see /api/v1/routes, /api/v1/sessions, /api/v1/alerts, /metrics"
                    .into(),
            )
        })
        .with_state(shared)
}

/// Serves `router(shared)` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Shared,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(shared)).with_graceful_shutdown(shutdown).await
}

/// Binds `addr` for [`serve`], with an error that names the address.
pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
}

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

#[derive(Deserialize)]
struct PrefixQuery {
    prefix: Option<String>,
    #[serde(rename = "match")]
    how: Option<String>,
    /// Only paths from this peer address.
    session: Option<String>,
    /// Only paths carrying this community (standard, large or extended, as printed).
    community: Option<String>,
}

// The error is the HTTP answer itself, built once on a cold path.
#[allow(clippy::result_large_err)]
fn parse_query(q: &PrefixQuery) -> Result<(IpNet, Match), Response> {
    let Some(p) = &q.prefix else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "missing ?prefix=, e.g. ?prefix=192.0.2.0/24".into(),
        ));
    };
    // A bare address is its host prefix.
    let prefix = p
        .parse::<IpNet>()
        .or_else(|_| p.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| error(StatusCode::BAD_REQUEST, format!("not a prefix: {p:?}")))?
        .trunc();
    let how = match q.how.as_deref() {
        None | Some("exact") => Match::Exact,
        Some("longer") => Match::Longer,
        Some("shorter") => Match::Shorter,
        Some(other) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!("match must be exact, longer or shorter, not {other:?}"),
            ));
        }
    };
    Ok((prefix, how))
}

async fn routes(State(s): State<Shared>, Query(q): Query<PrefixQuery>) -> Response {
    let (prefix, how) = match parse_query(&q) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let peer = match q.session.as_deref().map(str::parse::<std::net::IpAddr>) {
        Some(Ok(p)) => Some(p),
        Some(Err(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("session must be a peer address, not {:?}", q.session.unwrap_or_default()),
            );
        }
        None => None,
    };
    let mut routes = s.engine().rib().routes(prefix, how);
    for r in &mut routes {
        r.paths.retain(|p| {
            let a = &p.attributes.attributes;
            peer.is_none_or(|x| p.peer == x)
                && q.community.as_deref().is_none_or(|c| {
                    a.communities
                        .iter()
                        .map(|x| x.to_string())
                        .chain(a.large_communities.iter().map(|x| x.to_string()))
                        .chain(a.extended_communities.iter().map(|x| x.to_string()))
                        .any(|x| x == c)
                })
        });
    }
    routes.retain(|r| !r.paths.is_empty());
    Json(json!({ "prefix": prefix, "match": how, "routes": routes })).into_response()
}

async fn hidden(State(s): State<Shared>, Query(q): Query<PrefixQuery>) -> Response {
    let (prefix, _) = match parse_query(&q) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let hidden = s.engine().rib().hidden(prefix);
    Json(json!({ "prefix": prefix, "hidden": hidden })).into_response()
}

async fn sessions(State(s): State<Shared>) -> Response {
    let e = s.engine();
    let health: Vec<_> = e.health().sessions().cloned().collect();
    Json(json!({ "sessions": health, "adj_ribs_in": e.rib().sessions() })).into_response()
}

#[derive(Deserialize)]
struct AlertQuery {
    kind: Option<String>,
}

async fn alerts(State(s): State<Shared>, Query(q): Query<AlertQuery>) -> Response {
    let keep = |e: &Event| {
        matches!(
            (q.kind.as_deref(), e),
            (None | Some("flap"), Event::Flap(_))
                | (None | Some("community"), Event::Community(_))
                | (None | Some("damping"), Event::Damping(_))
        )
    };
    if let Some(k) = q.kind.as_deref()
        && !matches!(k, "flap" | "community" | "damping")
    {
        return error(
            StatusCode::BAD_REQUEST,
            format!("kind must be flap, community or damping, not {k:?}"),
        );
    }
    let e = s.engine();
    let alerts: Vec<&Event> = e.events().filter(|ev| keep(ev)).collect();
    Json(json!({ "alerts": alerts })).into_response()
}

#[derive(Deserialize)]
struct EventQuery {
    /// Only events at or after this wire time, ns.
    since: Option<u64>,
}

async fn flaps(State(s): State<Shared>) -> Response {
    let e = s.engine();
    let flaps: Vec<_> = e.flap_alerts().collect();
    Json(json!({ "flaps": flaps })).into_response()
}

async fn events(State(s): State<Shared>, Query(q): Query<EventQuery>) -> Response {
    let e = s.engine();
    let since = q.since.unwrap_or(0);
    let events: Vec<&Event> = e.events().filter(|ev| ev.at_ns() >= since).collect();
    Json(json!({ "events": events, "dropped": e.counters().events_dropped })).into_response()
}

async fn convergence(State(s): State<Shared>) -> Response {
    Json(s.engine().convergence().summary()).into_response()
}

async fn stats(State(s): State<Shared>) -> Response {
    let capture = s.capture();
    let e = s.engine();
    let rib = e.rib();
    Json(json!({
        "counters": e.counters(),
        "capture": capture,
        "rib": { "paths": rib.path_count(), "prefixes": rib.prefix_count(), "attribute_sets": rib.attr_set_count(), "history_dropped": rib.history().dropped() },
    }))
    .into_response()
}

async fn prometheus(State(s): State<Shared>) -> Response {
    let capture = s.capture();
    let body = metrics::render(&s.engine(), &capture);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body)
        .into_response()
}
