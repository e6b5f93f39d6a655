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
//! [`serve`] closes idle connections, caps open ones and, on loopback, refuses a foreign `Host`
//! with 421 (see [`guard`]).

pub mod guard;
pub mod metrics;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use axum::{Extension, Router};
use ipnet::IpNet;
use serde::Deserialize;
use serde_json::json;

use crate::engine::{AlertKind, EngineHandle};
use crate::rib::Match;

/// The router.
pub fn router(handle: EngineHandle) -> Router {
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
        .with_state(handle)
}

/// Serves `router(handle)` on `listener` until `shutdown` completes, through the guards of
/// [`guard`]: idle timeout, connection cap, and the `Host` check when bound to loopback.
pub async fn serve(
    listener: tokio::net::TcpListener,
    handle: EngineHandle,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let loopback = listener.local_addr()?.ip().is_loopback();
    let connections = Arc::new(guard::ConnectionStats::default());
    let app = router(handle)
        .layer(axum::middleware::from_fn_with_state(loopback, guard::check_host))
        .layer(Extension(Arc::clone(&connections)));
    let listener = guard::GuardedListener::new(listener, connections);
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
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

async fn routes(State(s): State<EngineHandle>, Query(q): Query<PrefixQuery>) -> Response {
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
    let mut routes = s.routes(prefix, how);
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

async fn hidden(State(s): State<EngineHandle>, Query(q): Query<PrefixQuery>) -> Response {
    let (prefix, _) = match parse_query(&q) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let hidden = s.hidden(prefix);
    Json(json!({ "prefix": prefix, "hidden": hidden })).into_response()
}

async fn sessions(State(s): State<EngineHandle>) -> Response {
    Json(s.sessions()).into_response()
}

#[derive(Deserialize)]
struct AlertQuery {
    kind: Option<String>,
}

async fn alerts(State(s): State<EngineHandle>, Query(q): Query<AlertQuery>) -> Response {
    let kind = match q.kind.as_deref() {
        None => None,
        Some("flap") => Some(AlertKind::Flap),
        Some("community") => Some(AlertKind::Community),
        Some("damping") => Some(AlertKind::Damping),
        Some(k) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("kind must be flap, community or damping, not {k:?}"),
            );
        }
    };
    Json(json!({ "alerts": s.alerts(kind) })).into_response()
}

#[derive(Deserialize)]
struct EventQuery {
    /// Only events at or after this wire time, ns.
    since: Option<u64>,
}

async fn flaps(State(s): State<EngineHandle>) -> Response {
    let flaps: Vec<_> = s.engine().flap_alerts().cloned().collect();
    Json(json!({ "flaps": flaps })).into_response()
}

async fn events(State(s): State<EngineHandle>, Query(q): Query<EventQuery>) -> Response {
    let (events, dropped) = s.events(q.since.unwrap_or(0));
    Json(json!({ "events": events, "dropped": dropped })).into_response()
}

async fn convergence(State(s): State<EngineHandle>) -> Response {
    Json(s.convergence()).into_response()
}

async fn stats(State(s): State<EngineHandle>) -> Response {
    let (counters, rib) = s.stats();
    Json(json!({ "counters": counters, "capture": s.capture(), "rib": rib })).into_response()
}

async fn prometheus(
    State(s): State<EngineHandle>,
    connections: Option<Extension<Arc<guard::ConnectionStats>>>,
) -> Response {
    let mut body = s.metrics();
    if let Some(Extension(c)) = connections
        && let Some(head) = body.strip_suffix("# EOF\n")
    {
        body = format!(
            "{head}# HELP bgpstorm_api_connections_refused Connections to this API closed at \
             accept because {} were open.\n\
             # TYPE bgpstorm_api_connections_refused counter\n\
             bgpstorm_api_connections_refused_total {}\n# EOF\n",
            guard::MAX_CONNECTIONS,
            c.refused()
        );
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body)
        .into_response()
}
