//! The authorisation matrix: every route the router serves × every role × in scope /
//! out of scope, and every route × no credentials / expired token / revoked token /
//! disabled user. The rows come from the router's own route list
//! (`yardstick_server::routes()`): a route added without a row here fails the test.
//!
//! The fixture (`common::ORG`): grants on `zj` (Zhejiang) or its hall `hz-h02`; the
//! out-of-scope site is `gz-h01` in Sichuan. Admins and regulators see both; regulators
//! read aggregated figures but no records.

mod common;

use axum::http::{Method, StatusCode};
use common::{Env, PERIOD, envs, request, send, user_token};
use yardstick_app::access::Role;
use yardstick_app::evaluate::{Engine, EvaluateRequest, GuidelineChoice};
use yardstick_app::{Actor, Cancel};
use yardstick_core::period::Period;

/// In or out of the caller's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    In,
    Out,
}

/// Ids the requests use.
struct Ids {
    /// A frozen evaluation of the root (everyone sees part of it) and one of gz-h01.
    eval_root: i64,
    eval_out: i64,
    /// A batch with quarantined rows, imported by the command line.
    batch: i64,
}

/// The site of a scope.
fn site(s: Scope) -> &'static str {
    match s {
        Scope::In => "hz-h02",
        Scope::Out => "gz-h01",
    }
}

/// Who sees `gz-h01` (aggregated): admins and regulators.
fn sees_all(r: Role) -> bool {
    matches!(r, Role::Admin | Role::Regulator)
}

/// The status a role expects with valid credentials, in or out of its scope.
type Expect = fn(Role, Scope) -> StatusCode;

/// A request (method, URI, body) and what it expects; `None` for routes that need no
/// credentials.
type Case = (
    Method,
    String,
    Option<(&'static str, Vec<u8>)>,
    Option<Expect>,
);

/// A request for a route, and the status each role expects with valid credentials.
/// `None` for routes that need no credentials (their answer does not depend on them).
fn case(method: &Method, path: &str, s: Scope, ids: &Ids, n: usize) -> Case {
    let site = site(s);
    let ok = |_: Role, _: Scope| StatusCode::OK;
    let m = method.clone();
    match (method.as_str(), path) {
        ("POST", "/api/v1/session") => (
            m,
            path.into(),
            Some((
                "application/json",
                format!(r#"{{"login":"nobody-{n}","password":"wrong password"}}"#).into_bytes(),
            )),
            None,
        ),
        ("GET", "/healthz" | "/readyz" | "/metrics" | "/api/v1/openapi.json" | "/api/docs/") => {
            (m, path.into(), None, None)
        }
        ("DELETE", "/api/v1/session") => (m, path.into(), None, Some(|_, _| StatusCode::NO_CONTENT)),
        ("GET", "/api/v1/me" | "/api/v1/org" | "/api/v1/sites" | "/api/v1/guideline") => {
            (m, path.into(), None, Some(ok))
        }
        ("GET", "/api/v1/sites/{id}") => (m, format!("/api/v1/sites/{site}"), None, Some(visible)),
        ("GET", "/api/v1/evaluations") => (
            m,
            format!("/api/v1/evaluations?period={PERIOD}&scope={site}"),
            None,
            Some(visible),
        ),
        ("POST", "/api/v1/evaluations") => (
            m,
            path.into(),
            Some((
                "application/json",
                format!(r#"{{"period":"{PERIOD}","scope":"{site}"}}"#).into_bytes(),
            )),
            Some(|r, s| match (r, s) {
                (Role::Admin, _) | (Role::QualityManager, Scope::In) => StatusCode::CREATED,
                _ => StatusCode::FORBIDDEN,
            }),
        ),
        ("GET", "/api/v1/evaluations/{id}") => (
            m,
            format!(
                "/api/v1/evaluations/{}",
                if s == Scope::In { ids.eval_root } else { ids.eval_out }
            ),
            None,
            Some(visible),
        ),
        ("GET", "/api/v1/sites/{id}/indicators/{indicator}") => (
            m,
            format!("/api/v1/sites/{site}/indicators/BH-01?period={PERIOD}"),
            None,
            Some(visible),
        ),
        ("GET", "/api/v1/sites/{id}/indicators/{indicator}/records") => (
            m,
            format!("/api/v1/sites/{site}/indicators/BH-01/records?period={PERIOD}"),
            None,
            Some(|r, s| match (r, s) {
                (Role::Admin, _) => StatusCode::OK,
                (Role::Regulator, _) | (_, Scope::Out) => StatusCode::NOT_FOUND,
                _ => StatusCode::OK,
            }),
        ),
        ("POST", "/api/v1/records/{kind}") => (
            m,
            "/api/v1/records/hall_ticket".into(),
            // A new ticket every time, so each request makes a batch: rows of a site
            // outside an importer's scope are quarantined, not refused (tested apart).
            Some((
                "text/csv",
                format!(
                    "site_id,ticket_id,service_type,issued_at,called_at,outcome\n{site},m{n},payment,2026-09-09 09:00:00,2026-09-09 09:01:00,served\n"
                )
                .into_bytes(),
            )),
            Some(|r, _| match r {
                Role::Admin | Role::QualityManager | Role::SiteManager => StatusCode::CREATED,
                _ => StatusCode::FORBIDDEN,
            }),
        ),
        ("GET", "/api/v1/batches") => (
            m,
            path.into(),
            None,
            Some(|r, _| match r {
                Role::Admin | Role::QualityManager | Role::SiteManager => StatusCode::OK,
                _ => StatusCode::FORBIDDEN,
            }),
        ),
        ("GET", "/api/v1/batches/{id}/quarantine") => (
            m,
            format!("/api/v1/batches/{}/quarantine", ids.batch),
            None,
            Some(|r, _| match r {
                Role::Admin => StatusCode::OK,
                _ => StatusCode::NOT_FOUND,
            }),
        ),
        ("GET", "/api/v1/activity") => (
            m,
            path.into(),
            None,
            Some(|r, _| match r {
                Role::Admin => StatusCode::OK,
                _ => StatusCode::FORBIDDEN,
            }),
        ),
        _ => panic!(
            "the route {method} {path} has no row in the authorisation matrix: add one (who may call it, in and out of scope)"
        ),
    }
}

/// Reads of a node or site: everyone in scope; out of scope only admins and regulators,
/// 404 for the others (no existence leak).
fn visible(r: Role, s: Scope) -> StatusCode {
    if s == Scope::In || sees_all(r) {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
}

/// The grant of each role in the fixture.
fn grant(r: Role) -> &'static str {
    match r {
        Role::Admin | Role::Regulator => "yuanda",
        Role::SiteManager => "hz-h02",
        _ => "zj",
    }
}

async fn setup(env: &Env) -> Ids {
    let ws = &env.ws;
    let period = Period::parse(PERIOD).expect("period");
    let freeze = |scope: Option<&str>| EvaluateRequest {
        period: period.clone(),
        scope: scope.map(str::to_string),
        guideline: GuidelineChoice::Builtin,
        engine: Engine::Columnar,
        freeze: true,
    };
    let eval_root = ws
        .evaluate(&Actor::System, freeze(None), &Cancel::new())
        .await
        .expect("root frozen")
        .id
        .expect("id");
    let eval_out = ws
        .evaluate(&Actor::System, freeze(Some("gz-h01")), &Cancel::new())
        .await
        .expect("gz-h01 frozen")
        .id
        .expect("id");
    // A batch with one quarantined row (an unknown site), imported by the command line.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("bad.csv");
    std::fs::write(
        &file,
        "site_id,ticket_id,service_type,issued_at,called_at,outcome\nnowhere,q1,payment,2026-09-09 09:00:00,2026-09-09 09:01:00,served\n",
    )
    .expect("written");
    let report = ws
        .ingest(
            &Actor::System,
            yardstick_app::ingest::IngestRequest {
                kind: yardstick_core::records::RecordKind::HallTicket,
                path: file,
                name: None,
                options: yardstick_app::ImportOptions::default(),
            },
            std::sync::Arc::new(yardstick_app::Quiet),
            &Cancel::new(),
        )
        .await
        .expect("imported");
    Ids {
        eval_root,
        eval_out,
        batch: report.batch.expect("a batch"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_role_as_the_matrix_says() {
    for env in envs().await {
        let ids = setup(&env).await;
        let routes = yardstick_server::routes();
        assert!(routes.len() >= 20, "{} routes", routes.len());
        let mut n = 0;
        let mut failures = Vec::new();
        for role in Role::ALL {
            let token = user_token(&env.ws, role.as_str(), role, grant(role)).await;
            for (method, path) in &routes {
                for scope in [Scope::In, Scope::Out] {
                    n += 1;
                    let (m, uri, body, expect) = case(method, path, scope, &ids, n);
                    let a = send(
                        &env.app,
                        request(m.clone(), &uri, Some(&token), body.clone()),
                    )
                    .await;
                    let want = match expect {
                        Some(f) => f(role, scope),
                        // Routes without credentials: the same answer as anonymous, which
                        // is a wrong password for the login and success for the others.
                        None => {
                            let anonymous =
                                send(&env.app, request(m, &uri, None, body)).await.status;
                            let fixed = if path == "/api/v1/session" {
                                StatusCode::BAD_REQUEST
                            } else {
                                StatusCode::OK
                            };
                            assert_eq!(anonymous, fixed, "anonymous {method} {uri}");
                            anonymous
                        }
                    };
                    if a.status != want {
                        failures.push(format!(
                            "[{}] {} {method} {uri} ({scope:?}): got {}, expected {want}: {}",
                            env.backend,
                            role.as_str(),
                            a.status,
                            a.text()
                        ));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_or_missing_credentials_get_401_on_every_route_that_needs_them() {
    for env in envs().await {
        let ids = setup(&env).await;
        let ws = &env.ws;
        let expired = {
            user_token(ws, "expiring", Role::Admin, "yuanda").await;
            ws.create_token(&Actor::System, "expiring", "gone", Some(0))
                .await
                .expect("token")
                .token
        };
        let revoked = user_token(ws, "revoking", Role::Admin, "yuanda").await;
        let tokens = ws
            .tokens(&Actor::System, Some("revoking"))
            .await
            .expect("tokens");
        ws.revoke_token(&Actor::System, tokens[0].id)
            .await
            .expect("revoked");
        let disabled = user_token(ws, "leaver", Role::Admin, "yuanda").await;
        ws.set_user_disabled(&Actor::System, "leaver", true)
            .await
            .expect("disabled");
        let garbage = "ys_0000000000000000000000000000000000000000000000000000000000000000";
        let mut failures = Vec::new();
        let mut n = 10_000;
        for (method, path) in yardstick_server::routes() {
            for (what, token) in [
                ("no credentials", None),
                ("expired token", Some(expired.as_str())),
                ("revoked token", Some(revoked.as_str())),
                ("disabled user", Some(disabled.as_str())),
                ("unknown token", Some(garbage)),
            ] {
                n += 1;
                let (m, uri, body, expect) = case(&method, &path, Scope::In, &ids, n);
                let a = send(&env.app, request(m, &uri, token, body)).await;
                let public = expect.is_none();
                let ok = if public {
                    a.status != StatusCode::UNAUTHORIZED
                } else {
                    a.status == StatusCode::UNAUTHORIZED
                        && a.header("www-authenticate").is_some()
                        && a.header("content-type") == Some("application/problem+json")
                };
                if !ok {
                    failures.push(format!(
                        "[{}] {what}: {method} {uri}: {} {}",
                        env.backend,
                        a.status,
                        a.text()
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
