//! Planning over the API: a staffing problem solved by hand, and a call centre's week
//! planned from two weeks of history, with the figures worked out below.

mod common;

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use chrono::{Days, NaiveDate};
use common::{envs, get, request, send, user_token};
use yardstick_app::access::Role;
use yardstick_app::ingest::IngestRequest;
use yardstick_app::{Actor, Cancel, ImportOptions, Quiet};
use yardstick_core::records::RecordKind;

fn close(what: &str, actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual}, expected {expected} ± {tolerance}"
    );
}

fn num(v: &serde_json::Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

/// 100 calls an hour of 180 s each: A = 100 × 180 ÷ 3600 = 5 Erlangs. Erlang B by
/// recursion B(n) = A·B(n−1) ÷ (n + A·B(n−1)): B(7) = 0.12052, B(8) = 0.07006; Erlang C
/// C(n) = n·B ÷ (n − A(1 − B)): C(7) = 0.32415, C(8) = 0.16727. Service level within
/// 20 s, 1 − C·e^(−(n−A)·20/180): 7 agents 0.7404 < 0.8 (the default target), 8 agents
/// 1 − 0.16727 × 0.71653 = 0.88015. Occupancy 5 ÷ 8 = 0.625; mean wait C·180 ÷ (n − A)
/// = 10.036 s. With 20 % shrinkage, ⌈8 ÷ 0.8⌉ = 10 to schedule.
#[tokio::test]
async fn staffing_is_solved_as_by_hand_and_bad_inputs_are_named() {
    for env in envs().await {
        let token = user_token(&env.ws, "viewer", Role::Viewer, "zj").await;
        let post = |body: &str| {
            request(
                Method::POST,
                "/api/v1/plan/staffing",
                Some(&token),
                Some(("application/json", body.as_bytes().to_vec())),
            )
        };
        let a = send(
            &env.app,
            post(r#"{"arrivals_per_h":100,"aht_s":180,"shrinkage":"20%"}"#),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}: {}", env.backend, a.text());
        let v = a.json();
        close("traffic", num(&v, "traffic_erlangs"), 5.0, 1e-12);
        assert_eq!(v["agents"], 8, "{v}");
        assert_eq!(v["agents_scheduled"], 10, "{v}");
        close("service level", num(&v, "service_level"), 0.88015, 5e-5);
        close("occupancy", num(&v, "occupancy"), 0.625, 1e-12);
        close("mean wait", num(&v, "asa_s"), 10.036, 5e-4);
        assert!(v["p_abandon"].is_null(), "no patience, no abandons: {v}");

        // Seven agents given: evaluated, not searched.
        let v = send(
            &env.app,
            post(r#"{"arrivals_per_h":100,"aht_s":180,"agents":7}"#),
        )
        .await
        .json();
        assert_eq!(v["agents"], 7, "{v}");
        close(
            "service level with 7",
            num(&v, "service_level"),
            0.74044,
            5e-5,
        );

        // A negative handling time and a shrinkage of 100 % are refused by name.
        for (body, named) in [
            (r#"{"arrivals_per_h":100,"aht_s":-1}"#, "aht_s"),
            (
                r#"{"arrivals_per_h":100,"aht_s":180,"shrinkage":"100%"}"#,
                "shrinkage",
            ),
        ] {
            let a = send(&env.app, post(body)).await;
            assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}: {}", a.text());
            assert!(a.text().contains(named), "{body}: {}", a.text());
        }
    }
}

/// Call centre `nb-c01`, every day of 2026-11-02 to 11-15 alike: four voice contacts
/// queued at 09:01, 09:06, 09:11 and 09:16 and one at 14:05, each answered after 10 s,
/// 200 s talk and 40 s after-call work. The week 2026-W47 with two weeks of history
/// (the same case as the application's test, worked there in full): every day is
/// forecast 4 contacts at 09:00 and 1 at 14:00; AHT 240 s, nobody abandons (Erlang C),
/// CC-02's goal 90 % within 20 s. 09:00: A = 8/h × 240 s = 0.5333; one agent gives
/// 1 − 0.5333 · e^(−0.4667·20/240) = 0.487, two give 1 − 0.11228 × 0.88495 = 0.9006:
/// 2 agents. 14:00: one agent 0.876 < 0.9, two 0.993: 2 agents. Staff-hours 2 intervals
/// × 2 agents × ½ h × 7 days = 14; the week's forecast 35.
#[tokio::test]
async fn a_call_centre_week_is_planned_from_its_records() {
    for env in envs().await {
        let mut csv = String::from(
            "site_id,contact_id,channel,queue_entry_at,answered_at,abandoned_at,outcome,talk_s,acw_s\n",
        );
        let first = NaiveDate::from_ymd_opt(2026, 11, 2).expect("a date");
        for d in 0..14 {
            let day = first + Days::new(d);
            for (i, (h, m)) in [(9, 1), (9, 6), (9, 11), (9, 16), (14, 5)]
                .into_iter()
                .enumerate()
            {
                csv.push_str(&format!(
                    "nb-c01,c{d}-{i},voice,{day} {h:02}:{m:02}:00,{day} {h:02}:{m:02}:10,,answered,200,40\n"
                ));
            }
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("contacts.csv");
        std::fs::write(&path, csv).expect("written");
        let report = env
            .ws
            .ingest(
                &Actor::System,
                IngestRequest {
                    kind: RecordKind::Contact,
                    path,
                    name: None,
                    options: ImportOptions::default(),
                },
                Arc::new(Quiet),
                &Cancel::new(),
            )
            .await
            .expect("imported");
        assert_eq!(report.rows_quarantined, 0, "{report:?}");

        let manager = user_token(&env.ws, "nb-manager", Role::SiteManager, "nb-c01").await;
        let a = get(
            &env.app,
            "/api/v1/sites/nb-c01/plan?week=2026-W47&history_weeks=2",
            Some(&manager),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}: {}", env.backend, a.text());
        let plan = a.json();
        assert_eq!(plan["site"], "nb-c01");
        assert_eq!(plan["name"], "宁波呼叫中心", "Chinese by default");
        assert_eq!(plan["scene"], "call_centre");
        assert_eq!(
            (plan["from"].as_str(), plan["to"].as_str()),
            (Some("2026-11-16"), Some("2026-11-22"))
        );
        assert_eq!(plan["interval_min"], 30);
        let q = &plan["queue"];
        close("AHT", num(q, "aht_s"), 240.0, 1e-9);
        close("SL target", num(q, "sl_target"), 0.9, 1e-12);
        close("week forecast", num(q, "forecast_total"), 35.0, 1e-9);
        close("staff-hours", num(q, "staff_hours"), 14.0, 1e-9);
        let intervals = plan["intervals"].as_array().expect("intervals");
        assert_eq!(intervals.len(), 7 * 48);
        let at = |date: &str, start: &str| {
            intervals
                .iter()
                .find(|r| r["date"] == date && r["start"] == start)
                .unwrap_or_else(|| panic!("no interval {date} {start}"))
        };
        let monday_9 = at("2026-11-16", "09:00");
        close("Monday 09:00", num(monday_9, "forecast"), 4.0, 1e-9);
        assert_eq!(monday_9["agents"], 2);
        close("SL with 2", num(monday_9, "service_level"), 0.9006, 5e-4);
        assert_eq!(at("2026-11-22", "14:00")["agents"], 2);
        // 14 days are too few for a trend (28 needed): said in words.
        let notes = plan["notes"].as_array().expect("notes");
        assert_eq!(notes.len(), 1, "{notes:?}");

        // In English on request; the notes too.
        let mut req = request(
            Method::GET,
            "/api/v1/sites/nb-c01/plan?week=2026-W47&history_weeks=2",
            Some(&manager),
            None,
        );
        req.headers_mut().insert(
            axum::http::header::ACCEPT_LANGUAGE,
            axum::http::HeaderValue::from_static("en"),
        );
        let en = send(&env.app, req).await.json();
        assert_eq!(
            en["name"], "宁波呼叫中心",
            "no English name: the Chinese one stands"
        );
        assert!(
            en["notes"][0].as_str().is_some_and(|n| n.contains("28")),
            "{}",
            en["notes"]
        );

        // The web page shows the same plan: Monday 09:00 schedules 2 for a forecast of
        // 4, in Chinese by default; a week before the history says so on the page.
        let html = get(&env.app, "/sites/nb-c01/plan?week=2026-W47", Some(&manager)).await;
        assert_eq!(html.status, StatusCode::OK, "{}", html.text());
        let body = html.text();
        assert!(body.contains("排班计划"), "{body}");
        assert!(
            body.contains(
                r#"<th scope="row">09:00</th><td class="num busy">2 <span class="muted">(4)</span>"#
            ),
            "{body}"
        );
        let early = get(&env.app, "/sites/nb-c01/plan?week=2026-W30", Some(&manager)).await;
        assert_eq!(early.status, StatusCode::OK, "{}", early.text());
        assert!(early.text().contains("没有历史"), "{}", early.text());

        // Another site's manager, a regulator: not found. A bad week: named.
        let other = user_token(&env.ws, "hz-manager", Role::SiteManager, "hz-h02").await;
        let regulator = user_token(&env.ws, "reg", Role::Regulator, "yuanda").await;
        for t in [&other, &regulator] {
            let a = get(&env.app, "/api/v1/sites/nb-c01/plan?week=2026-W47", Some(t)).await;
            assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text());
        }
        let a = get(
            &env.app,
            "/api/v1/sites/nb-c01/plan?week=2026-47",
            Some(&manager),
        )
        .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
        assert!(a.text().contains("2026-47"), "{}", a.text());
    }
}
