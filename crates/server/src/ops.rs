//! Operations: `GET /healthz` (the process answers), `GET /readyz` (the database answers
//! and the data directory takes a write), `GET /metrics` (Prometheus text). None needs a
//! caller: a load balancer and a scraper have none, and none tells anything about data.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::error::ApiError;

/// The operational paths.
pub const PATHS: &[&str] = &["/healthz", "/readyz", "/metrics"];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.workspace.ready().await {
        Ok(()) => "ready\n".into_response(),
        Err(e) => {
            // Not ready is an answer, not a failure of this request: 503, cause logged.
            tracing::warn!(cause = %e, "not ready");
            let mut r = ApiError::App(e).into_response();
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            r
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
