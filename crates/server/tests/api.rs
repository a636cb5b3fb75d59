//! The API's answers, with values worked out from the fixture (`common::TICKETS`), and
//! what every route shares: layers (request id, security headers, problem documents),
//! the OpenAPI document, the language of messages, and 5xx details kept out of answers.

mod common;

use axum::http::{Method, StatusCode};
use common::{PERIOD, envs, get, request, send, user_token};
use yardstick_app::access::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_carries_the_layers_known_or_not() {
    for env in envs().await {
        let mut paths: Vec<(Method, String)> = yardstick_server::routes()
            .into_iter()
            .map(|(m, p)| {
                (
                    m,
                    p.replace("{id}", "hz-h02")
                        .replace("{indicator}", "BH-01")
                        .replace("{kind}", "contact"),
                )
            })
            .collect();
        paths.push((Method::GET, "/no/such/route".into()));
        paths.push((Method::GET, "/api/v1/no/such/route".into()));
        let mut ids = std::collections::BTreeSet::new();
        for (m, p) in paths {
            let a = send(&env.app, request(m.clone(), &p, None, None)).await;
            let id = a
                .header("x-request-id")
                .unwrap_or_else(|| panic!("{m} {p}: no request id"))
                .to_string();
            assert_eq!(id.len(), 24, "{m} {p}");
            assert!(ids.insert(id), "request ids are unique");
            let csp = a
                .header("content-security-policy")
                .unwrap_or_else(|| panic!("{m} {p}: no CSP"));
            assert!(
                csp.contains("frame-ancestors 'none'")
                    && csp.contains("script-src 'self'")
                    && !csp.contains("unsafe-eval"),
                "{csp}"
            );
            assert!(
                !csp.split(';')
                    .any(|d| d.trim().starts_with("script-src") && d.contains("unsafe-inline"))
            );
            assert_eq!(
                a.header("x-content-type-options"),
                Some("nosniff"),
                "{m} {p}"
            );
            assert_eq!(a.header("referrer-policy"), Some("no-referrer"), "{m} {p}");
            let page = !(p.starts_with("/api/")
                || yardstick_server::routes().iter().any(|(_, r)| {
                    r == &p && ["/healthz", "/readyz", "/metrics"].contains(&r.as_str())
                }));
            if page && (a.status.is_client_error() || a.status.is_server_error()) {
                // The web pages answer HTML error pages in the reader's language.
                assert_eq!(
                    a.header("content-type"),
                    Some("text/html; charset=utf-8"),
                    "{m} {p}"
                );
            } else if a.status.is_client_error() || a.status.is_server_error() {
                assert_eq!(
                    a.header("content-type"),
                    Some("application/problem+json"),
                    "{m} {p}"
                );
                let doc = a.json();
                assert_eq!(doc["status"].as_u64(), Some(u64::from(a.status.as_u16())));
                assert_eq!(doc["instance"], p.split('?').next().unwrap_or(""));
            }
        }
        // A client's own request id is replaced: it must not write into our logs.
        let mut req = request(Method::GET, "/healthz", None, None);
        req.headers_mut().insert(
            "x-request-id",
            "forged\nline"
                .parse()
                .unwrap_or_else(|_| "forged".parse().expect("header")),
        );
        assert_ne!(
            send(&env.app, req).await.header("x-request-id"),
            Some("forged")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_3_1_and_names_every_route() {
    // The document does not depend on the backend: the first workspace is enough.
    if let Some(env) = envs().await.into_iter().next() {
        let a = get(&env.app, "/api/v1/openapi.json", None).await;
        assert_eq!(a.status, StatusCode::OK);
        let doc = a.json();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().expect("paths");
        for (m, p) in yardstick_server::routes() {
            if !p.starts_with("/api/v1/") || p == "/api/v1/openapi.json" {
                continue;
            }
            let op = &paths
                .get(&p)
                .unwrap_or_else(|| panic!("{p} not documented"))[m.as_str().to_lowercase()];
            assert!(op.is_object(), "{m} {p} not documented");
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{m} {p} has no responses"
            );
        }
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
        // The explorer is served from the binary.
        let ui = get(&env.app, "/api/docs/", None).await;
        assert_eq!(ui.status, StatusCode::OK);
        assert!(ui.text().contains("swagger-ui"), "{}", ui.text());
        assert!(!ui.text().contains("<script>"), "no inline script");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_hold_the_figures_of_the_fixture_cut_to_the_callers_scope() {
    for env in envs().await {
        let admin = user_token(&env.ws, "root", Role::Admin, "yuanda").await;
        let sm = user_token(&env.ws, "sm", Role::SiteManager, "hz-h02").await;
        let regulator = user_token(&env.ws, "reg", Role::Regulator, "yuanda").await;

        // The tree: the site manager sees its site and no node above it.
        let org = get(&env.app, "/api/v1/org", Some(&sm)).await.json();
        assert_eq!(org["sites"].as_array().map(Vec::len), Some(1));
        assert_eq!(org["sites"][0]["id"], "hz-h02");
        assert_eq!(org["nodes"].as_array().map(Vec::len), Some(0));
        assert_eq!(
            get(&env.app, "/api/v1/org", Some(&regulator)).await.json()["nodes"]
                .as_array()
                .map(Vec::len),
            Some(6)
        );

        // BH-01 at hz-h02: waits of 5 and 15 min, mean 10 over 2 called tickets; day by day
        // 5 (09-07) and 15 (09-08); p50 by nearest rank is 5.
        let a = get(
            &env.app,
            &format!("/api/v1/sites/hz-h02/indicators/BH-01?period={PERIOD}"),
            Some(&sm),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        let v = a.json();
        assert_eq!(v["status"], "provisional");
        assert_eq!(v["line"]["value"].as_f64(), Some(10.0));
        assert_eq!(v["line"]["sample"].as_u64(), Some(2));
        let daily: Vec<(String, f64)> = v["daily"]
            .as_array()
            .expect("daily")
            .iter()
            .map(|d| {
                (
                    d["day"].as_str().unwrap_or("").to_string(),
                    d["value"].as_f64().unwrap_or(f64::NAN),
                )
            })
            .collect();
        assert_eq!(
            daily,
            vec![
                ("2026-09-07".to_string(), 5.0),
                ("2026-09-08".to_string(), 15.0)
            ]
        );
        assert_eq!(v["distribution"]["p50"].as_f64(), Some(5.0));
        assert_eq!(v["distribution"]["max"].as_f64(), Some(15.0));
        // The regulator reads the same aggregate, without an individual record's value.
        let r = get(
            &env.app,
            &format!("/api/v1/sites/hz-h02/indicators/BH-01?period={PERIOD}"),
            Some(&regulator),
        )
        .await
        .json();
        assert_eq!(r["line"]["value"].as_f64(), Some(10.0));
        assert!(r["distribution"]["max"].is_null() && r["distribution"]["min"].is_null());

        // The evaluation: the site manager sees only its site, ranked among both halls?
        // No: hz-h02 is urban, gz-h01 remote, so each is alone in its peer group.
        let e = get(
            &env.app,
            &format!("/api/v1/evaluations?period={PERIOD}"),
            Some(&sm),
        )
        .await;
        assert_eq!(e.status, StatusCode::OK, "{}", e.text());
        let e = e.json();
        let sites: Vec<&str> = e["sites"]
            .as_array()
            .expect("sites")
            .iter()
            .filter_map(|s| s["site"].as_str())
            .collect();
        assert_eq!(sites, ["hz-h02"]);
        assert!(e["nodes"].as_array().expect("nodes").is_empty());
        assert_eq!(e["status"], "provisional");
        let all = get(
            &env.app,
            &format!("/api/v1/evaluations?period={PERIOD}"),
            Some(&admin),
        )
        .await
        .json();
        assert_eq!(all["sites"].as_array().map(Vec::len), Some(3));
        assert_eq!(
            all["input_fingerprint"], e["input_fingerprint"],
            "one computation, cut"
        );

        // Records, two pages of one: the cursor pins the batches read.
        let p1 = get(
            &env.app,
            &format!("/api/v1/sites/hz-h02/indicators/BH-01/records?period={PERIOD}&limit=1"),
            Some(&sm),
        )
        .await
        .json();
        assert_eq!(p1["population"].as_u64(), Some(2));
        let tid = p1["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .position(|f| f == "ticket_id")
            .expect("ticket_id");
        assert_eq!(p1["rows"][0][tid], "a1");
        let cursor = p1["next_cursor"].as_str().expect("more").to_string();
        let p2 = get(&env.app, &format!("/api/v1/sites/hz-h02/indicators/BH-01/records?period={PERIOD}&limit=1&cursor={cursor}"), Some(&sm)).await.json();
        assert_eq!(p2["rows"][0][tid], "a2");
        assert!(p2["next_cursor"].is_null());
        let mut csv_req = request(
            Method::GET,
            &format!("/api/v1/sites/hz-h02/indicators/BH-01/records?period={PERIOD}"),
            Some(&sm),
            None,
        );
        csv_req
            .headers_mut()
            .insert("accept", "text/csv".parse().expect("header"));
        let csv = send(&env.app, csv_req).await;
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        let text = csv.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("site_id,ticket_id,"));
        assert!(lines[1].starts_with("hz-h02,a1,payment,"));
        assert!(
            lines[1].contains("2026-09-07T01:00:00.000Z"),
            "issued 09:00 local is 01:00 UTC: {}",
            lines[1]
        );

        // The regulator gets no rows, and is told "not found", not "forbidden".
        assert_eq!(
            get(
                &env.app,
                &format!("/api/v1/sites/hz-h02/indicators/BH-01/records?period={PERIOD}"),
                Some(&regulator)
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_ingest_answers_201_then_200_and_quarantines_rows_outside_the_scope() {
    for env in envs().await {
        let sm = user_token(&env.ws, "sm", Role::SiteManager, "hz-h02").await;
        let csv = "site_id,ticket_id,service_type,issued_at,called_at,outcome\n\
                   hz-h02,n1,payment,2026-09-12 09:00:00,2026-09-12 09:06:00,served\n\
                   gz-h01,n2,payment,2026-09-12 09:00:00,2026-09-12 09:01:00,served\n";
        let post = |q: &str| {
            request(
                Method::POST,
                &format!("/api/v1/records/hall_ticket{q}"),
                Some(&sm),
                Some(("text/csv; charset=utf-8", csv.as_bytes().to_vec())),
            )
        };
        let first = send(&env.app, post("?name=tickets-0912.csv")).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
        let r = first.json();
        assert_eq!(
            (
                r["rows_read"].as_u64(),
                r["rows_stored"].as_u64(),
                r["rows_quarantined"].as_u64()
            ),
            (Some(2), Some(1), Some(1))
        );
        assert_eq!(r["outcome"], "partly");
        assert_eq!(r["file"], "tickets-0912.csv");
        let batch = r["batch"].as_i64().expect("batch");
        let again = send(&env.app, post("")).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(again.json()["outcome"], "already_imported");
        assert_eq!(again.json()["batch"].as_i64(), Some(batch));
        // Strict: one invalid row rejects the file, nothing stored.
        let strict = "site_id,ticket_id,service_type,issued_at,called_at,outcome\nhz-h02,n3,payment,2026-09-13 09:00:00,2026-09-13 09:06:00,served\nhz-h02,n4,payment,not a time,,served\n";
        let s = send(
            &env.app,
            request(
                Method::POST,
                "/api/v1/records/hall_ticket?strict=true",
                Some(&sm),
                Some(("text/csv", strict.into())),
            ),
        )
        .await;
        assert_eq!(s.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", s.text());
        assert_eq!(s.header("content-type"), Some("application/problem+json"));
        assert_eq!(s.json()["report"]["rows_stored"].as_u64(), Some(0));
        assert_eq!(s.json()["report"]["rows_not_stored"].as_u64(), Some(1));
        assert_eq!(s.json()["report"]["rows_quarantined"].as_u64(), Some(1));
        // The importer reads the quarantine of its own batch; metrics count the import.
        let q = get(
            &env.app,
            &format!("/api/v1/batches/{batch}/quarantine"),
            Some(&sm),
        )
        .await;
        assert_eq!(q.status, StatusCode::OK, "{}", q.text());
        assert!(q.text().contains("gz-h01"), "{}", q.text());
        let m = get(&env.app, "/metrics", None).await.text();
        assert!(
            m.contains("yardstick_imports_total{kind=\"hall_ticket\",outcome=\"partly\"} 1"),
            "{m}"
        );
        // Rows quarantined: gz-h01's of the first import and the strict file's invalid one;
        // the repeat changed no row and counts none.
        assert!(
            m.contains(
                "yardstick_import_rows_total{kind=\"hall_ticket\",outcome=\"quarantined\"} 2"
            ),
            "{m}"
        );
        assert!(
            m.contains("yardstick_import_rows_total{kind=\"hall_ticket\",outcome=\"stored\"} 1"),
            "{m}"
        );
        assert!(m.contains("yardstick_http_requests_total{route=\"/api/v1/records/{kind}\",method=\"POST\",status=\"201\"} 1"), "{m}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problems_speak_the_callers_language_and_5xx_keep_their_details() {
    for env in envs().await {
        let admin = user_token(&env.ws, "root", Role::Admin, "yuanda").await;
        let mut en = request(Method::GET, "/api/v1/sites/nowhere", Some(&admin), None);
        en.headers_mut()
            .insert("accept-language", "en-GB,en;q=0.9".parse().expect("header"));
        assert_eq!(
            send(&env.app, en).await.json()["detail"],
            "unknown site `nowhere`"
        );
        // Without Accept-Language, the user's preference (Chinese by default).
        let zh = get(&env.app, "/api/v1/sites/nowhere", Some(&admin))
            .await
            .json();
        assert_eq!(
            zh["detail"],
            yardstick_core::i18n::format(
                yardstick_core::vocab::Lang::Zh,
                "error.site.unknown",
                &[("site", &"nowhere")]
            )
        );
        // Damage a stored record file: the evaluation fails with 500, whose answer names
        // the request id and not the path.
        let records = env.ws.data_dir().root().join("records");
        let mut files = Vec::new();
        let mut stack = vec![records];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("dir").flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else if e.path().extension().is_some_and(|x| x == "parquet") {
                    files.push(e.path());
                }
            }
        }
        assert!(!files.is_empty());
        for f in &files {
            std::fs::write(f, b"damaged").expect("damaged");
        }
        let a = get(
            &env.app,
            &format!("/api/v1/evaluations?period={PERIOD}"),
            Some(&admin),
        )
        .await;
        assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", a.text());
        let doc = a.json();
        let id = a.header("x-request-id").expect("id");
        assert!(doc["detail"].as_str().expect("detail").contains(id));
        assert!(
            !a.text().contains("parquet") && !a.text().contains("records/"),
            "{}",
            a.text()
        );
    }
}

/// What the tablet form does, through the API: an evaluator reads the checklist of its
/// hall, creates an audit, saves answers twice (the second save replaces, nothing is
/// doubled), attaches a photo, submits and signs; signing raises the failed veto item as
/// a critical finding; the site manager disputes with a reason; the signed audit then
/// refuses answers; the site manager adds a corrective action to the finding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_is_captured_signed_and_its_failed_item_becomes_a_finding() {
    for env in envs().await {
        let eva = user_token(&env.ws, "wang.fang", Role::Evaluator, "zj").await;
        let sm = user_token(&env.ws, "sm", Role::SiteManager, "hz-h02").await;
        let json = |s: &str| Some(("application/json", s.as_bytes().to_vec()));
        let call = |m: Method, uri: String, token: &str, body| {
            let (app, token) = (env.app.clone(), token.to_string());
            async move { send(&app, request(m, &uri, Some(&token), body)).await }
        };
        let c = call(
            Method::GET,
            "/api/v1/sites/hz-h02/checklist".into(),
            &eva,
            None,
        )
        .await;
        assert_eq!(c.status, StatusCode::OK, "{}", c.text());
        let lines = c.json()["lines"].as_array().expect("lines").clone();
        // The first veto item of the hall checklist (a legal must).
        let veto = lines
            .iter()
            .find(|l| l["veto"] == true)
            .expect("a veto item")["item"]
            .as_str()
            .expect("id")
            .to_string();
        let a = call(
            Method::POST,
            "/api/v1/audits".into(),
            &eva,
            json(r#"{"site":"hz-h02","kind":"mystery_shopper","date":"2026-09-12","evaluator":"wang.fang"}"#),
        )
        .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
        let id = a.json()["id"].as_i64().expect("id");
        let answers = format!(
            r#"[{{"item":"PHI-01-A1","answer":"pass"}},{{"item":"{veto}","answer":"fail","comment":"no tariff board"}}]"#
        );
        for _ in 0..2 {
            let a = call(
                Method::PUT,
                format!("/api/v1/audits/{id}/answers"),
                &eva,
                json(&answers),
            )
            .await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.text());
            assert_eq!(a.json()["answers"].as_array().expect("answers").len(), 2);
        }
        let bad = call(
            Method::PUT,
            format!("/api/v1/audits/{id}/answers"),
            &eva,
            json(r#"[{"item":"PHI-01-A1","answer":"scale","value":9}]"#),
        )
        .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text());
        let photo = call(
            Method::POST,
            format!("/api/v1/audits/{id}/evidence?name=board.jpg&item={veto}"),
            &eva,
            Some(("image/jpeg", b"\xff\xd8\xff\xe0 a photo".to_vec())),
        )
        .await;
        assert_eq!(photo.status, StatusCode::CREATED, "{}", photo.text());
        assert_eq!(photo.json()["media_type"], "image/jpeg");
        for step in ["submit", "sign"] {
            let a = call(
                Method::POST,
                format!("/api/v1/audits/{id}/{step}"),
                &eva,
                None,
            )
            .await;
            assert_eq!(a.status, StatusCode::OK, "{step}: {}", a.text());
        }
        let refused = call(
            Method::PUT,
            format!("/api/v1/audits/{id}/answers"),
            &eva,
            json(&answers),
        )
        .await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
        let d = call(
            Method::POST,
            format!("/api/v1/audits/{id}/dispute"),
            &sm,
            json(r#"{"reason":"the board was being replaced that day"}"#),
        )
        .await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.text());
        assert_eq!(d.json()["response"], "disputed");
        // The failed veto item: critical, due 7 days after the audit's day.
        let f = call(
            Method::GET,
            "/api/v1/findings?site=hz-h02".into(),
            &sm,
            None,
        )
        .await;
        let list = f.json();
        let found: Vec<&serde_json::Value> = list
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["source"] == "audit_item")
            .collect();
        assert_eq!(found.len(), 1, "{list}");
        assert_eq!(
            (
                &found[0]["item"],
                &found[0]["severity"],
                &found[0]["due_on"]
            ),
            (
                &serde_json::json!(veto),
                &serde_json::json!("critical"),
                &serde_json::json!("2026-09-19")
            )
        );
        let finding = found[0]["id"].as_i64().expect("id");
        let a = call(
            Method::POST,
            "/api/v1/actions".into(),
            &sm,
            json(&format!(
                r#"{{"finding":{finding},"owner":"sm","root_cause":"facilities","five_whys":"the board broke; no spare","plan":"keep a spare board"}}"#
            )),
        )
        .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
        assert_eq!(a.json()["stage"], "plan");
    }
}

/// A period's frozen evaluation is kept serialised per reader's view: its bytes are the
/// ones the evaluation's own route writes through the DTO (two paths, one answer), a
/// reader of one site never gets a wider reader's kept bytes, and asking again gives the
/// same bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_evaluation_answer_is_the_readers_own_and_equals_the_dto() {
    for env in envs().await {
        let admin = user_token(&env.ws, "root", Role::Admin, "yuanda").await;
        let sm = user_token(&env.ws, "sm", Role::SiteManager, "hz-h02").await;
        let frozen = send(
            &env.app,
            request(
                Method::POST,
                "/api/v1/evaluations",
                Some(&admin),
                Some((
                    "application/json",
                    format!(r#"{{"period":"{PERIOD}"}}"#).into_bytes(),
                )),
            ),
        )
        .await;
        assert_eq!(frozen.status, StatusCode::CREATED, "{}", frozen.text());
        let id = frozen.json()["evaluation_id"].as_i64().expect("id");
        let by_period = |token: String| {
            let app = env.app.clone();
            async move {
                get(
                    &app,
                    &format!("/api/v1/evaluations?period={PERIOD}"),
                    Some(&token),
                )
                .await
            }
        };
        let first = by_period(admin.clone()).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.text());
        assert_eq!(first.header("content-type"), Some("application/json"));
        let by_id = get(&env.app, &format!("/api/v1/evaluations/{id}"), Some(&admin)).await;
        assert_eq!(first.text(), by_id.text(), "the kept bytes equal the DTO's");
        let v = first.json();
        assert_eq!(
            (v["status"].as_str(), v["evaluation_id"].as_i64()),
            (Some("frozen"), Some(id))
        );
        assert_eq!(v["sites"].as_array().map(Vec::len), Some(3));

        // The site manager, after the admin's answer was kept: only hz-h02, and the
        // same bytes as its own read of the evaluation by id.
        let mine = by_period(sm.clone()).await;
        let sites: Vec<String> = mine.json()["sites"]
            .as_array()
            .expect("sites")
            .iter()
            .filter_map(|s| s["site"].as_str().map(str::to_string))
            .collect();
        assert_eq!(sites, ["hz-h02"]);
        let mine_by_id = get(&env.app, &format!("/api/v1/evaluations/{id}"), Some(&sm)).await;
        assert_eq!(mine.text(), mine_by_id.text());

        // Asked again, each reader gets the same bytes as the first time.
        assert_eq!(by_period(admin.clone()).await.text(), first.text());
        assert_eq!(by_period(sm.clone()).await.text(), mine.text());
    }
}
