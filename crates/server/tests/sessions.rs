//! Browser sessions and tokens: login sets an HttpOnly, SameSite=Strict cookie with a
//! new id every time; writes with the cookie need the session's CSRF token (bearer
//! requests do not); logout revokes the session server-side; failed logins are
//! throttled per login (429 with Retry-After); a token stops working when revoked; and
//! every one of these writes appends to the activity log.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{PASSWORD, PERIOD, envs, envs_with, get, request, send, user_token};
use yardstick_app::Actor;
use yardstick_app::access::Role;
use yardstick_app::activity::ActivityQuery;
use yardstick_server::ServerConfig;

fn login_request(login: &str, password: &str) -> Request<Body> {
    request(
        Method::POST,
        "/api/v1/session",
        None,
        Some((
            "application/json",
            serde_json::json!({ "login": login, "password": password })
                .to_string()
                .into_bytes(),
        )),
    )
}

/// The `name=value` part of a Set-Cookie header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or("").to_string()
}

fn with_cookie(mut req: Request<Body>, cookie: &str, csrf: Option<&str>) -> Request<Body> {
    req.headers_mut()
        .insert(header::COOKIE, cookie.parse().expect("cookie header"));
    if let Some(c) = csrf {
        req.headers_mut()
            .insert("x-csrf-token", c.parse().expect("csrf header"));
    }
    req
}

async fn actions(ws: &yardstick_app::Workspace) -> Vec<String> {
    ws.activity(&Actor::System, &ActivityQuery::default())
        .await
        .expect("activity")
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_session_needs_its_csrf_token_to_write_and_ends_at_logout() {
    for env in envs().await {
        user_token(&env.ws, "qm", Role::QualityManager, "zj").await;
        let first = send(&env.app, login_request("QM", PASSWORD)).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
        let set = first.header("set-cookie").expect("cookie set").to_string();
        assert!(set.starts_with("ys_session="), "{set}");
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/")
        );
        assert!(!set.contains("Secure"), "not over TLS: {set}");
        let csrf = first.json()["csrf_token"]
            .as_str()
            .expect("csrf")
            .to_string();
        let cookie = cookie_pair(&set);

        // A second login gives another session id.
        let second = send(&env.app, login_request("qm", PASSWORD)).await;
        assert_ne!(
            cookie_pair(second.header("set-cookie").expect("cookie")),
            cookie
        );

        // Reads need no CSRF token.
        let me = send(
            &env.app,
            with_cookie(
                request(Method::GET, "/api/v1/me", None, None),
                &cookie,
                None,
            ),
        )
        .await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.json()["via"], "session");
        assert_eq!(me.json()["csrf_token"], csrf.as_str());

        // A write with the cookie and without (or with a wrong) token: 403, nothing frozen.
        let freeze = || {
            request(
                Method::POST,
                "/api/v1/evaluations",
                None,
                Some((
                    "application/json",
                    format!(r#"{{"period":"{PERIOD}","scope":"zj"}}"#).into_bytes(),
                )),
            )
        };
        let before = env
            .ws
            .evaluations(&Actor::System)
            .await
            .expect("list")
            .len();
        for bad in [None, Some("0".repeat(64).as_str())] {
            let a = send(&env.app, with_cookie(freeze(), &cookie, bad)).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
            assert_eq!(a.header("content-type"), Some("application/problem+json"));
        }
        assert_eq!(
            env.ws
                .evaluations(&Actor::System)
                .await
                .expect("list")
                .len(),
            before
        );
        let ok = send(&env.app, with_cookie(freeze(), &cookie, Some(&csrf))).await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());

        // Logout (a write: CSRF too) revokes the session on the server.
        let out = send(
            &env.app,
            with_cookie(
                request(Method::DELETE, "/api/v1/session", None, None),
                &cookie,
                Some(&csrf),
            ),
        )
        .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        assert!(
            out.header("set-cookie")
                .expect("cleared")
                .contains("Max-Age=0")
        );
        let after = send(
            &env.app,
            with_cookie(
                request(Method::GET, "/api/v1/me", None, None),
                &cookie,
                None,
            ),
        )
        .await;
        assert_eq!(
            after.status,
            StatusCode::UNAUTHORIZED,
            "[{}] the old cookie is dead",
            env.backend
        );

        let log = actions(&env.ws).await;
        for a in ["login", "evaluation.freeze", "logout"] {
            assert!(
                log.iter().any(|x| x == a),
                "[{}] {a} not logged: {log:?}",
                env.backend
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_proxy_that_says_https_the_cookie_is_secure() {
    let cfg = ServerConfig {
        behind_proxy: true,
        ..ServerConfig::default()
    };
    for env in envs_with(cfg).await {
        user_token(&env.ws, "viewer1", Role::Viewer, "zj").await;
        let mut req = login_request("viewer1", PASSWORD);
        req.headers_mut()
            .insert("x-forwarded-proto", "https".parse().expect("header"));
        req.headers_mut().insert(
            "x-forwarded-for",
            "203.0.113.9, 10.0.0.1".parse().expect("header"),
        );
        let a = send(&env.app, req).await;
        assert_eq!(a.status, StatusCode::CREATED);
        assert!(
            a.header("set-cookie")
                .expect("cookie")
                .ends_with("; Secure")
        );
        // The client address logged is the last one the proxy appended.
        let entries = env
            .ws
            .activity(&Actor::System, &ActivityQuery::default())
            .await
            .expect("activity");
        let login = entries
            .iter()
            .find(|e| e.action == "login")
            .expect("login logged");
        assert_eq!(login.client.as_deref(), Some("10.0.0.1"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_throttled_per_login_with_retry_after() {
    for env in envs().await {
        user_token(&env.ws, "target", Role::Viewer, "zj").await;
        for i in 0..5 {
            let a = send(&env.app, login_request("target", "not the password")).await;
            assert_eq!(
                a.status,
                StatusCode::BAD_REQUEST,
                "attempt {i}: {}",
                a.text()
            );
        }
        // The sixth try is held, even with the right password, and says how long.
        let held = send(&env.app, login_request("TARGET", PASSWORD)).await;
        assert_eq!(
            held.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            held.text()
        );
        let retry: u64 = held
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!((1..=900).contains(&retry), "{retry}");
        assert_eq!(
            held.header("content-type"),
            Some("application/problem+json")
        );
        // Another login is not held.
        user_token(&env.ws, "other", Role::Viewer, "zj").await;
        assert_eq!(
            send(&env.app, login_request("other", PASSWORD))
                .await
                .status,
            StatusCode::CREATED
        );
        let failed = actions(&env.ws)
            .await
            .iter()
            .filter(|a| *a == "login_failed")
            .count();
        assert_eq!(
            failed, 5,
            "[{}] each failure logged, the held try not run",
            env.backend
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_stops_working_when_revoked_and_when_its_user_is_disabled() {
    for env in envs().await {
        let t = user_token(&env.ws, "robot", Role::Viewer, "zj").await;
        assert_eq!(
            get(&env.app, "/api/v1/me", Some(&t)).await.status,
            StatusCode::OK
        );
        let id = env
            .ws
            .tokens(&Actor::System, Some("robot"))
            .await
            .expect("tokens")[0]
            .id;
        env.ws
            .revoke_token(&Actor::System, id)
            .await
            .expect("revoked");
        assert_eq!(
            get(&env.app, "/api/v1/me", Some(&t)).await.status,
            StatusCode::UNAUTHORIZED
        );

        let t2 = user_token(&env.ws, "robot2", Role::Viewer, "zj").await;
        assert_eq!(
            get(&env.app, "/api/v1/sites", Some(&t2)).await.status,
            StatusCode::OK
        );
        env.ws
            .set_user_disabled(&Actor::System, "robot2", true)
            .await
            .expect("disabled");
        assert_eq!(
            get(&env.app, "/api/v1/sites", Some(&t2)).await.status,
            StatusCode::UNAUTHORIZED
        );
        env.ws
            .set_user_disabled(&Actor::System, "robot2", false)
            .await
            .expect("enabled");
        assert_eq!(
            get(&env.app, "/api/v1/sites", Some(&t2)).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_activity_log_only_grows_and_has_no_route_that_changes_it() {
    for env in envs().await {
        let admin = user_token(&env.ws, "root", Role::Admin, "yuanda").await;
        let before = env
            .ws
            .activity(&Actor::System, &ActivityQuery::default())
            .await
            .expect("activity");
        // No method but GET is routed on the log: PUT, PATCH, DELETE and POST are 405.
        for m in [Method::DELETE, Method::PUT, Method::PATCH, Method::POST] {
            let a = send(
                &env.app,
                request(m.clone(), "/api/v1/activity", Some(&admin), None),
            )
            .await;
            assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{m}");
            assert_eq!(a.header("content-type"), Some("application/problem+json"));
        }
        // An ingest appends; nothing earlier changed.
        let csv = "site_id,ticket_id,service_type,issued_at,called_at,outcome\nhz-h02,z9,payment,2026-09-10 09:00:00,2026-09-10 09:03:00,served\n";
        let a = send(
            &env.app,
            request(
                Method::POST,
                "/api/v1/records/hall_ticket",
                Some(&admin),
                Some(("text/csv", csv.into())),
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
        let api = get(&env.app, "/api/v1/activity?limit=1000", Some(&admin)).await;
        assert_eq!(api.status, StatusCode::OK);
        let entries = api.json();
        let entries = entries.as_array().expect("array");
        assert_eq!(entries.len(), before.len() + 1, "[{}]", env.backend);
        assert_eq!(entries[0]["action"], "ingest");
        assert_eq!(entries[0]["actor"], "root");
        assert_eq!(entries[0]["actor_kind"], "token");
        for (old, now) in before.iter().zip(&entries[1..]) {
            assert_eq!(now["id"], old.id);
            assert_eq!(now["action"], old.action.as_str());
            assert_eq!(now["at"], old.at.as_str());
        }
    }
}
