//! Bad input changes nothing and answers a 4xx problem: SQL metacharacters in every
//! path and query parameter, `../` in ids, bodies over the limits, malformed JSON and
//! CSV, wrong content types. "Changes nothing" is checked on what a request could have
//! changed: batches, frozen evaluations and the activity log.

mod common;

use axum::http::{Method, StatusCode};
use common::{Env, PERIOD, envs, envs_with, get, request, send, user_token};
use yardstick_app::Actor;
use yardstick_app::access::Role;
use yardstick_app::activity::ActivityQuery;
use yardstick_server::ServerConfig;

/// What a request could change.
async fn state(env: &Env) -> (usize, usize, usize) {
    let ws = &env.ws;
    (
        ws.batches_for(&Actor::System).await.expect("batches").len(),
        ws.evaluations(&Actor::System)
            .await
            .expect("evaluations")
            .len(),
        ws.activity(
            &Actor::System,
            &ActivityQuery {
                limit: Some(1000),
                ..ActivityQuery::default()
            },
        )
        .await
        .expect("activity")
        .len(),
    )
}

fn is_problem(a: &common::Answer) -> bool {
    a.header("content-type") == Some("application/problem+json")
        && a.json()["status"].as_u64() == Some(u64::from(a.status.as_u16()))
        && a.json()["detail"].as_str().is_some_and(|d| !d.is_empty())
}

const NASTY: &[&str] = &[
    "'",
    "%27%20OR%201%3D1--",
    "1%3BDROP%20TABLE%20users",
    "%22%3B%20DELETE%20FROM%20activity%3B--",
    "..%2F..%2Fetc%2Fpasswd",
    "..",
    "%00",
    "%E2%80%AE",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metacharacters_and_traversal_in_every_parameter_answer_4xx_and_change_nothing() {
    for env in envs().await {
        let admin = user_token(&env.ws, "root", Role::Admin, "yuanda").await;
        let before = state(&env).await;
        let mut uris = Vec::new();
        for x in NASTY {
            uris.extend([
                format!("/api/v1/sites/{x}"),
                format!("/api/v1/sites/{x}/indicators/BH-01?period={PERIOD}"),
                format!("/api/v1/sites/hz-h02/indicators/{x}?period={PERIOD}"),
                format!("/api/v1/sites/hz-h02/indicators/BH-01?period={x}"),
                format!("/api/v1/sites/hz-h02/indicators/BH-01/records?period={PERIOD}&cursor={x}"),
                format!("/api/v1/sites/hz-h02/indicators/BH-01/records?period={PERIOD}&limit={x}"),
                format!("/api/v1/evaluations?period={x}"),
                format!("/api/v1/evaluations?period={PERIOD}&scope={x}"),
                format!("/api/v1/evaluations/{x}"),
                format!("/api/v1/batches/{x}/quarantine"),
                format!("/api/v1/activity?since={x}"),
                format!("/api/v1/activity?before={x}"),
                format!("/api/v1/activity?limit={x}"),
            ]);
        }
        let mut failures = Vec::new();
        for uri in &uris {
            let a = get(&env.app, uri, Some(&admin)).await;
            if !(a.status.is_client_error() && is_problem(&a)) {
                failures.push(format!("GET {uri}: {} {}", a.status, a.text()));
            }
        }
        // Writes: the kind in the path, and the query flags.
        for x in NASTY {
            for uri in [
                format!("/api/v1/records/{x}"),
                format!("/api/v1/records/hall_ticket?replace={x}"),
                format!("/api/v1/records/hall_ticket?strict={x}"),
            ] {
                let a = send(
                    &env.app,
                    request(
                        Method::POST,
                        &uri,
                        Some(&admin),
                        Some(("text/csv", b"site_id\n".to_vec())),
                    ),
                )
                .await;
                if !(a.status.is_client_error() && is_problem(&a)) {
                    failures.push(format!("POST {uri}: {} {}", a.status, a.text()));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "[{}]\n{}",
            env.backend,
            failures.join("\n")
        );
        assert_eq!(
            state(&env).await,
            before,
            "[{}] something changed",
            env.backend
        );
        // The tables are whole: the users are still there, the sites too.
        assert_eq!(env.ws.users(&Actor::System).await.expect("users").len(), 1);
        assert_eq!(
            get(&env.app, "/api/v1/sites", Some(&admin))
                .await
                .json()
                .as_array()
                .map(Vec::len),
            Some(3)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_and_wrong_content_types_answer_4xx_and_change_nothing() {
    for env in envs().await {
        let admin = user_token(&env.ws, "root", Role::Admin, "yuanda").await;
        let before = state(&env).await;
        let cases: Vec<(Method, &str, &str, Vec<u8>, StatusCode)> = vec![
            (
                Method::POST,
                "/api/v1/evaluations",
                "application/json",
                b"{\"period\":".to_vec(),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::POST,
                "/api/v1/evaluations",
                "application/json",
                b"[1,2,3]".to_vec(),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                Method::POST,
                "/api/v1/evaluations",
                "application/json",
                br#"{"period":"2026-13"}"#.to_vec(),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::POST,
                "/api/v1/evaluations",
                "application/json",
                br#"{"period":"2026-09","scope":"'; DROP TABLE evaluations;--"}"#.to_vec(),
                // A user is told "not found" for a scope that does not exist as for one
                // outside their grants (`Workspace::evaluate`), admins included.
                StatusCode::NOT_FOUND,
            ),
            (
                Method::POST,
                "/api/v1/evaluations",
                "text/plain",
                br#"{"period":"2026-09"}"#.to_vec(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                Method::POST,
                "/api/v1/session",
                "application/json",
                b"\xff\xfe".to_vec(),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::POST,
                "/api/v1/session",
                "application/x-www-form-urlencoded",
                b"login=a&password=b".to_vec(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                Method::POST,
                "/api/v1/records/hall_ticket",
                "application/json",
                b"{}".to_vec(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                Method::POST,
                "/api/v1/records/hall_ticket",
                "text/csv",
                b"no,such,columns\n1,2,3\n".to_vec(),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::POST,
                "/api/v1/records/hall_ticket",
                "text/csv",
                b"site_id,ticket_id\n\"unterminated,1\n".to_vec(),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::POST,
                "/api/v1/records/hall_ticket",
                "text/csv",
                vec![0xff, 0xfe, 0x00, 0x01],
                StatusCode::BAD_REQUEST,
            ),
        ];
        let mut failures = Vec::new();
        for (m, uri, ct, body, want) in cases {
            let a = send(
                &env.app,
                request(m.clone(), uri, Some(&admin), Some((ct, body.clone()))),
            )
            .await;
            if a.status != want || !is_problem(&a) {
                failures.push(format!(
                    "{m} {uri} {ct} {:?}: {} (expected {want}) {}",
                    String::from_utf8_lossy(&body),
                    a.status,
                    a.text()
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "[{}]\n{}",
            env.backend,
            failures.join("\n")
        );
        let after = state(&env).await;
        // Failed logins are writes of the log by design; nothing else may change.
        assert_eq!(
            (after.0, after.1),
            (before.0, before.1),
            "[{}]",
            env.backend
        );
        // A broken line among readable ones is a row problem, not a file problem: it is
        // quarantined with its reason, as `yardstick ingest` does.
        let a = send(
            &env.app,
            request(
                Method::POST,
                "/api/v1/records/hall_ticket",
                Some(&admin),
                Some(("application/x-ndjson", b"{\"site_id\": \n".to_vec())),
            ),
        )
        .await;
        // Its only row quarantined, the file stores nothing: 422 with the report.
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
        let r = &a.json()["report"];
        assert_eq!(
            (
                r["rows_read"].as_u64(),
                r["rows_stored"].as_u64(),
                r["rows_quarantined"].as_u64()
            ),
            (Some(1), Some(0), Some(1))
        );
        assert_eq!(r["outcome"], "nothing_stored");
        assert_eq!(r["reasons"]["malformed row"], 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limits_answer_413_and_store_nothing() {
    let cfg = ServerConfig {
        body_limit: 1024,
        ingest_limit: 4096,
        ..ServerConfig::default()
    };
    for env in envs_with(cfg).await {
        let admin = user_token(&env.ws, "root", Role::Admin, "yuanda").await;
        let before = state(&env).await;
        // JSON over the ordinary limit, declared and streamed without a length.
        let big = format!(r#"{{"period":"2026-09","scope":"{}"}}"#, "x".repeat(4000));
        let a = send(
            &env.app,
            request(
                Method::POST,
                "/api/v1/evaluations",
                Some(&admin),
                Some(("application/json", big.clone().into_bytes())),
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text());
        assert!(is_problem(&a));
        // A bulk import over its own limit, sent as a stream (no Content-Length).
        let mut csv = String::from("site_id,ticket_id,service_type,issued_at,called_at,outcome\n");
        for i in 0..200 {
            csv.push_str(&format!(
                "hz-h02,big{i},payment,2026-09-11 09:00:00,2026-09-11 09:01:00,served\n"
            ));
        }
        assert!(csv.len() > 4096);
        let stream = futures_stream(csv.clone().into_bytes());
        let req = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/api/v1/records/hall_ticket")
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", "text/csv")
            .body(stream)
            .expect("request");
        let a = send(&env.app, req).await;
        assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text());
        assert!(is_problem(&a));
        // Under the import limit but over the ordinary one: the bulk route takes it.
        let mut pad = String::from("site_id,ticket_id,service_type,issued_at,called_at,outcome\n");
        for i in 0..20 {
            pad.push_str(&format!(
                "hz-h02,s{i},payment,2026-09-11 10:{i:02}:00,2026-09-11 10:{i:02}:30,served\n"
            ));
        }
        assert!((1024..4096).contains(&pad.len()), "{}", pad.len());
        let ok = send(
            &env.app,
            request(
                Method::POST,
                "/api/v1/records/hall_ticket",
                Some(&admin),
                Some(("text/csv", pad.into_bytes())),
            ),
        )
        .await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
        let after = state(&env).await;
        assert_eq!(
            (after.0, after.1),
            (before.0 + 1, before.1),
            "[{}] only the import under the limit stored",
            env.backend
        );
        // Nothing was left in the scratch folder by the refused upload.
        let scratch = env.ws.data_dir().root().join("tmp");
        let left: Vec<_> = std::fs::read_dir(&scratch)
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(
            left.iter()
                .all(|n| !n.to_string_lossy().starts_with("upload-")),
            "{left:?}"
        );
    }
}

/// A body sent in chunks without a declared length.
fn futures_stream(bytes: Vec<u8>) -> axum::body::Body {
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = bytes
        .chunks(512)
        .map(|c| Ok(axum::body::Bytes::copy_from_slice(c)))
        .collect();
    axum::body::Body::from_stream(futures_util::stream::iter(chunks))
}
