//! Test support for the server's tests: a workspace per test in a temporary directory on
//! each backend at hand (SQLite always; PostgreSQL when `YARDSTICK_TEST_DATABASE_URL`
//! names a server), a small organisation with a few hall tickets, users with tokens, and
//! requests sent through the router in process (`oneshot`).

#![allow(dead_code, reason = "each test file uses a part")]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use yardstick_app::access::{Grant, Role};
use yardstick_app::ingest::IngestRequest;
use yardstick_app::{Actor, Cancel, Config, ImportOptions, Quiet, Workspace};
use yardstick_core::records::RecordKind;
use yardstick_server::{AppState, ServerConfig, app};

/// A small organisation: two provinces, three cities, three sites.
///
/// ```text
/// yuanda ─┬─ zj ─┬─ zj-hz ── hz-h02 (hall)
///         │      └─ zj-nb ── nb-c01 (call centre)
///         └─ sc ─── sc-gz ── gz-h01 (hall)
/// ```
pub const ORG: &str = r#"
[[node]]
id = "yuanda"
level = "operator"
name_zh = "远达通信"
name_en = "Yuanda Telecom"

[[node]]
id = "zj"
parent = "yuanda"
level = "province"
name_zh = "浙江分公司"
name_en = "Zhejiang branch"

[[node]]
id = "sc"
parent = "yuanda"
level = "province"
name_zh = "四川分公司"
name_en = "Sichuan branch"

[[node]]
id = "zj-hz"
parent = "zj"
level = "city"
name_zh = "杭州"

[[node]]
id = "zj-nb"
parent = "zj"
level = "city"
name_zh = "宁波"

[[node]]
id = "sc-gz"
parent = "sc"
level = "city"
name_zh = "甘孜"

[[site]]
id = "hz-h02"
parent = "zj-hz"
name_zh = "杭州文三路营业厅"
scene = "hall"
area = "urban"

[[site]]
id = "nb-c01"
parent = "zj-nb"
name_zh = "宁波呼叫中心"
scene = "call_centre"
area = "urban"

[[site]]
id = "gz-h01"
parent = "sc-gz"
name_zh = "甘孜营业厅"
scene = "hall"
area = "remote"
"#;

/// Four tickets in September 2026, two per hall. BH-01 (average wait, called tickets):
/// hz-h02 waits 5 and 15 min (mean 10), gz-h01 waits 2 and 4 min (mean 3).
pub const TICKETS: &str = "\
site_id,ticket_id,service_type,issued_at,called_at,service_start_at,service_end_at,outcome
hz-h02,a1,payment,2026-09-07 09:00:00,2026-09-07 09:05:00,2026-09-07 09:05:00,2026-09-07 09:10:00,served
hz-h02,a2,payment,2026-09-08 10:00:00,2026-09-08 10:15:00,2026-09-08 10:15:00,2026-09-08 10:20:00,served
gz-h01,b1,payment,2026-09-07 09:00:00,2026-09-07 09:02:00,2026-09-07 09:02:00,2026-09-07 09:10:00,served
gz-h01,b2,payment,2026-09-08 10:00:00,2026-09-08 10:04:00,2026-09-08 10:04:00,2026-09-08 10:20:00,served
";

/// The period of the fixture's records.
pub const PERIOD: &str = "2026-09";

/// One workspace served in process.
pub struct Env {
    /// The router.
    pub app: Router,
    /// The workspace behind it.
    pub ws: Workspace,
    /// Which backend: `sqlite` or `postgres`.
    pub backend: &'static str,
    _dir: tempfile::TempDir,
    _db: Option<yardstick_app::testing::TestDatabase>,
}

/// Workspaces (empty, initialised) on each backend at hand.
pub async fn workspaces() -> Vec<(
    Workspace,
    &'static str,
    tempfile::TempDir,
    Option<yardstick_app::testing::TestDatabase>,
)> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().expect("temporary directory");
    let (ws, _) = Workspace::init(&Config::new(dir.path().join("data")))
        .await
        .expect("workspace");
    out.push((ws, "sqlite", dir, None));
    if let Some(db) = yardstick_app::testing::postgres().await {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut cfg = Config::new(dir.path().join("data"));
        cfg.database = Some(db.url().clone());
        let (ws, _) = Workspace::init(&cfg)
            .await
            .expect("workspace on PostgreSQL");
        out.push((ws, "postgres", dir, Some(db)));
    }
    out
}

/// The fixture on each backend: the organisation and the four tickets imported.
pub async fn envs() -> Vec<Env> {
    envs_with(ServerConfig::default()).await
}

/// The fixture with a server configuration.
pub async fn envs_with(config: ServerConfig) -> Vec<Env> {
    let mut out = Vec::new();
    for (ws, backend, dir, db) in workspaces().await {
        ws.import_org(&Actor::System, "org.toml", ORG)
            .await
            .expect("organisation");
        let file = dir.path().join("tickets.csv");
        std::fs::write(&file, TICKETS).expect("tickets written");
        ws.ingest(
            &Actor::System,
            IngestRequest {
                kind: RecordKind::HallTicket,
                path: file,
                name: None,
                options: ImportOptions::default(),
            },
            Arc::new(Quiet),
            &Cancel::new(),
        )
        .await
        .expect("tickets imported");
        out.push(Env {
            app: app(AppState::new(ws.clone(), config.clone())),
            ws,
            backend,
            _dir: dir,
            _db: db,
        });
    }
    out
}

/// An answer.
#[derive(Debug)]
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends a request through the router.
pub async fn send(app: &Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.expect("the router answers");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res
        .into_body()
        .collect()
        .await
        .expect("body read")
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// A request with an optional bearer token and body.
pub fn request(
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    match body {
        Some((ct, bytes)) => b
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(bytes))
            .expect("request"),
        None => b.body(Body::empty()).expect("request"),
    }
}

/// GET with a token.
pub async fn get(app: &Router, uri: &str, token: Option<&str>) -> Answer {
    send(app, request(Method::GET, uri, token, None)).await
}

/// A user with one grant and a fresh token (made as the command line makes them).
pub async fn user_token(ws: &Workspace, login: &str, role: Role, scope: &str) -> String {
    ws.add_user(
        &Actor::System,
        login,
        &[Grant {
            role,
            scope: scope.to_string(),
        }],
        Some("correct horse battery"),
    )
    .await
    .expect("user added");
    ws.create_token(&Actor::System, login, "test", None)
        .await
        .expect("token")
        .token
}

/// The password of every test user.
pub const PASSWORD: &str = "correct horse battery";
