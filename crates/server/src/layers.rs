//! The cross-cutting layers, all here and in this order (outermost first):
//!
//! 1. **request id** — a fresh `X-Request-Id` for every request (one sent by the client
//!    is replaced: it would let anyone write into our logs), echoed on the response;
//! 2. **security headers** — CSP without inline script, `frame-ancestors 'none'`,
//!    `X-Content-Type-Options`, `Referrer-Policy`, `X-Frame-Options`, and `no-store`
//!    unless a route says otherwise; on every response, errors included;
//! 3. **tracing** — one span per request with its id, method and route;
//! 4. **problems** — every 4xx/5xx becomes an RFC 9457 problem document in the caller's
//!    language (the web pages' HTML error pages are left as they are); 5xx details are logged with the request id and never sent;
//! 5. **metrics** — requests by route template and status, latency;
//! 6. **limits** — the body limit and the timeout of the route's class (bulk imports
//!    have their own, larger ones).
//!
//! A layer added with `Router::layer` runs for every route and for the fallback, so an
//! unknown path gets the same headers and problem shape as a known one (tested).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use yardstick_core::t;
use yardstick_core::vocab::Lang;

use crate::auth::{LangSlot, accept_language};
use crate::error::{ApiError, Problem};
use crate::{AppState, Shared};

/// The request id of a request.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Header of the request id.
pub const REQUEST_ID: &str = "x-request-id";

/// The Content-Security-Policy of every response: scripts and styles from this origin
/// only (no inline script), no framing, no plugins. Inline styles are allowed for the
/// API explorer, which sets element styles from its script.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Wraps the router in every layer, in the order above.
pub fn apply(router: Router, state: &AppState) -> Router {
    let shared = state.shared.clone();
    router.layer(
        ServiceBuilder::new()
            .layer(middleware::from_fn(request_id))
            .layer(SetResponseHeaderLayer::overriding(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("DENY"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ))
            .layer(TraceLayer::new_for_http().on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)).make_span_with(|req: &Request| {
                let id = req
                    .extensions()
                    .get::<RequestId>()
                    .map_or("", |r| r.0.as_str())
                    .to_string();
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or_else(|| req.uri().path().to_string(), |m| m.as_str().to_string());
                tracing::info_span!("request", id = %id, method = %req.method(), route = %route)
            }))
            .layer(middleware::from_fn(problems))
            .layer(middleware::from_fn_with_state(shared.clone(), metrics))
            .layer(middleware::from_fn_with_state(shared, limits)),
    )
}

/// 24 random hex characters.
fn new_id() -> String {
    let mut b = [0u8; 12];
    if getrandom::fill(&mut b).is_err() {
        // No random source: a time-based id still tells requests apart in the logs.
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        return format!("{n:024x}");
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

async fn request_id(mut req: Request, next: Next) -> Response {
    let id = new_id();
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), v.clone());
        req.extensions_mut().insert(RequestId(id));
        let mut res = next.run(req).await;
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), v);
        return res;
    }
    next.run(req).await
}

/// The content type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

async fn problems(mut req: Request, next: Next) -> Response {
    let slot = LangSlot::default();
    if let Some(l) = accept_language(req.headers()) {
        slot.prefer(l);
    }
    req.extensions_mut().insert(slot.clone());
    let id = req
        .extensions()
        .get::<RequestId>()
        .map_or_else(String::new, |r| r.0.clone());
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    // Problem documents are written already; the web pages render their own HTML
    // error pages in the reader's language.
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_problem || is_page {
        return res;
    }
    let lang = slot.get();
    let (mut parts, body) = res.into_parts();
    let problem = parts.extensions.remove::<Problem>();
    let extra = problem.as_ref().and_then(|p| p.extra.clone());
    let detail = match problem {
        Some(p) => problem_detail(&p, status, lang, &id),
        None => {
            // A response made below us (a rejected extractor, the router's 404/405, a
            // body too large): its own text is the detail of a 4xx.
            let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
            let text = String::from_utf8_lossy(&text).trim().to_string();
            let key = status_key(status);
            if status.is_server_error() {
                tracing::error!(request_id = %id, status = status.as_u16(), detail = %text, "server error");
                t!(lang, "server.problem.internal", request_id = id).clone()
            } else if text.is_empty() {
                yardstick_core::i18n::text(lang, key).to_string()
            } else {
                format!("{}: {text}", yardstick_core::i18n::text(lang, key))
            }
        }
    };
    let mut doc = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
        "instance": path,
        "request_id": id,
    });
    if let (Some(serde_json::Value::Object(extra)), Some(d)) = (extra, doc.as_object_mut()) {
        for (k, v) in extra {
            d.entry(k).or_insert(v);
        }
    }
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(doc.to_string()))
}

/// The words of a problem: the application's message in the caller's language, or the
/// server's own; for a 5xx the cause is logged and only the request id is sent.
fn problem_detail(p: &Problem, status: StatusCode, lang: Lang, id: &str) -> String {
    if status.is_server_error() {
        let cause = p.error.as_ref().map_or_else(String::new, |e| {
            let mut chain = e.render(Lang::En);
            let mut src = std::error::Error::source(e.as_ref());
            while let Some(s) = src {
                chain.push_str(&format!(": {s}"));
                src = s.source();
            }
            chain
        });
        tracing::error!(request_id = %id, status = status.as_u16(), cause = %cause, "server error");
        return t!(lang, "server.problem.internal", request_id = id).clone();
    }
    match (&p.error, &p.detail) {
        (Some(e), _) => e.render(lang),
        (None, Some(d)) => format!("{}: {d}", yardstick_core::i18n::text(lang, p.key)),
        (None, None) => yardstick_core::i18n::text(lang, p.key).to_string(),
    }
}

fn status_key(s: StatusCode) -> &'static str {
    match s.as_u16() {
        401 => "server.problem.unauthenticated",
        404 => "server.problem.no_route",
        405 => "server.problem.method",
        408 => "server.problem.timeout",
        413 => "server.problem.too_large",
        415 => "server.problem.media_type",
        _ => "server.problem.bad_request",
    }
}

async fn metrics(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().to_string();
    let res = next.run(req).await;
    shared
        .metrics
        .request(&route, &method, res.status().as_u16(), started.elapsed());
    res
}

/// Whether a request is a bulk import or an evidence file (their own body limit and
/// timeout; an evidence file's own limit is the application's).
fn is_bulk(req: &Request) -> bool {
    let path = req.uri().path();
    req.method() == Method::POST
        && (path.starts_with("/api/v1/records/")
            || path == "/imports"
            || (path.starts_with("/api/v1/audits/") && path.ends_with("/evidence")))
}

async fn limits(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let cfg = &shared.config;
    let (limit, timeout) = if is_bulk(&req) {
        (cfg.ingest_limit, cfg.ingest_timeout)
    } else {
        (cfg.body_limit as u64, cfg.timeout)
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return ApiError::PayloadTooLarge.into_response();
    }
    let (parts, body) = req.into_parts();
    let limited = http_body_util::Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX));
    let req = Request::from_parts(parts, Body::new(limited));
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(res) => res,
        // The handler's future is dropped: work it started on the blocking pool sees its
        // cancel flag, and an import removes what it wrote.
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}
