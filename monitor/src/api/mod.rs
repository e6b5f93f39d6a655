//! The monitor's HTTP interface: a JSON REST API under `/api/v1` and Prometheus `/metrics`.
//!
//! - `GET /api/v1/routes?prefix=192.0.2.0/24[&match=exact|longer|shorter][&session=PEER]
//!   [&community=C]`: the prefix's paths per receiver, best first, with attributes, next hop
//!   and receive time; `community` is standard, large or extended as printed;
//! - `GET /api/v1/hidden?prefix=...`: the valid paths that are not best (backups);
//! - `GET /api/v1/sessions`: session health and paths per session;
//! - `GET /api/v1/alerts[?kind=flap|community|damping]`: the event log's alerts;
//! - `GET /api/v1/events[?since=NS]`: the event log; `GET /api/v1/convergence`; `GET /api/v1/stats`;
//! - `GET /metrics`: OpenMetrics when the request accepts it (Prometheus' scrapes do), else the
//!   Prometheus text format 0.0.4 (curl, `promtool check metrics`).
//!
//! Errors are JSON `{"error": "..."}` with status 400 (bad query: [`query`] parses and checks
//! every parameter, unknown ones included) or 404 (unknown path).
//! [`serve`] closes idle connections, caps open ones and, on loopback, refuses a foreign `Host`
//! with 421 (see [`guard`]).

pub mod guard;
pub mod metrics;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::json;

use crate::engine::EngineHandle;
use crate::query::{self, QueryError};

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

fn bad_request(e: QueryError) -> Response {
    error(StatusCode::BAD_REQUEST, e.to_string())
}

async fn routes(State(s): State<EngineHandle>, RawQuery(q): RawQuery) -> Response {
    let q = match query::routes(q.as_deref()) {
        Ok(q) => q,
        Err(e) => return bad_request(e),
    };
    let mut routes = s.routes(q.prefix, q.how);
    for r in &mut routes {
        r.paths.retain(|p| {
            let a = &p.attributes.attributes;
            q.session.is_none_or(|x| p.peer == x)
                && q.community.is_none_or(|c| {
                    c.matches(&a.communities, &a.large_communities, &a.extended_communities)
                })
        });
    }
    routes.retain(|r| !r.paths.is_empty());
    Json(json!({ "prefix": q.prefix, "match": q.how, "routes": routes })).into_response()
}

async fn hidden(State(s): State<EngineHandle>, RawQuery(q): RawQuery) -> Response {
    let prefix = match query::hidden(q.as_deref()) {
        Ok(p) => p,
        Err(e) => return bad_request(e),
    };
    let hidden = s.hidden(prefix);
    Json(json!({ "prefix": prefix, "hidden": hidden })).into_response()
}

async fn sessions(State(s): State<EngineHandle>) -> Response {
    Json(s.sessions()).into_response()
}

async fn alerts(State(s): State<EngineHandle>, RawQuery(q): RawQuery) -> Response {
    match query::alerts(q.as_deref()) {
        Ok(kind) => Json(json!({ "alerts": s.alerts(kind) })).into_response(),
        Err(e) => bad_request(e),
    }
}

async fn flaps(State(s): State<EngineHandle>) -> Response {
    let flaps: Vec<_> = s.engine().flap_alerts().cloned().collect();
    Json(json!({ "flaps": flaps })).into_response()
}

async fn events(State(s): State<EngineHandle>, RawQuery(q): RawQuery) -> Response {
    let since = match query::events(q.as_deref()) {
        Ok(t) => t,
        Err(e) => return bad_request(e),
    };
    let (events, dropped) = s.events(since);
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
    headers: HeaderMap,
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
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    if metrics::wants_openmetrics(accept) {
        ([(header::CONTENT_TYPE, metrics::OPENMETRICS)], body).into_response()
    } else {
        ([(header::CONTENT_TYPE, metrics::PROMETHEUS_TEXT)], metrics::to_prometheus_text(&body))
            .into_response()
    }
}
