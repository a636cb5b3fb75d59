//! The issue's "done when", on the demo: a token lists the demo's 41 sites; a site
//! manager's token for `nb-c01` gets 404 for `hz-h02`'s indicators and sees only
//! `nb-c01` in `/api/v1/evaluations`.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::NaiveDate;
use yardstick_app::demo::{DemoConfig, create_demo_users, quickstart};
use yardstick_app::{Actor, Cancel, Config, Quiet};
use yardstick_server::{AppState, ServerConfig, app};

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_served_answers_as_the_issue_says() {
    let dir = tempfile::tempdir().expect("dir");
    let mut configs = vec![Config::new(dir.path().join("sqlite"))];
    let pg = yardstick_app::testing::postgres().await;
    if let Some(db) = &pg {
        let mut c = Config::new(dir.path().join("postgres"));
        c.database = Some(db.url().clone());
        configs.push(c);
    }
    for config in configs {
        let demo = DemoConfig {
            seed: 42,
            days: 5,
            end: NaiveDate::from_ymd_opt(2026, 9, 30).expect("date"),
        };
        let done = quickstart(&config, demo, Arc::new(Quiet), &Cancel::new())
            .await
            .expect("quickstart");
        let ws = done.workspace;
        let users = create_demo_users(&ws).await.expect("demo users");
        assert!(users.iter().all(|u| u.password.len() == 16));
        let token = |login: &'static str| {
            let ws = ws.clone();
            async move {
                ws.create_token(&Actor::System, login, "demo", Some(1))
                    .await
                    .expect("token")
                    .token
            }
        };
        let app = app(AppState::new(ws.clone(), ServerConfig::default()));
        let admin = token("admin").await;
        let sites = common::get(&app, "/api/v1/sites", Some(&admin)).await;
        assert_eq!(sites.status, StatusCode::OK);
        assert_eq!(sites.json().as_array().map(Vec::len), Some(41));

        let sm = token("sm-nb-c01").await;
        let hz = common::get(
            &app,
            "/api/v1/sites/hz-h02/indicators/BH-01?period=2026-09",
            Some(&sm),
        )
        .await;
        assert_eq!(hz.status, StatusCode::NOT_FOUND, "{}", hz.text());
        let ev = common::get(&app, "/api/v1/evaluations?period=2026-09", Some(&sm)).await;
        assert_eq!(ev.status, StatusCode::OK, "{}", ev.text());
        let ev = ev.json();
        assert_eq!(ev["status"], "frozen", "quickstart froze September");
        let ids: Vec<&str> = ev["sites"]
            .as_array()
            .expect("sites")
            .iter()
            .filter_map(|s| s["site"].as_str())
            .collect();
        assert_eq!(ids, ["nb-c01"]);
        // Its rank is among all its peers, not a ranking of one.
        let peers = ev["sites"][0]["peers"].as_u64().expect("peers");
        assert!(peers > 1, "nb-c01 ranked among {peers}");
        // The quality manager of Zhejiang sees Zhejiang's sites only.
        let qm = token("qm-zj").await;
        let list = common::get(&app, "/api/v1/sites", Some(&qm)).await.json();
        let list = list.as_array().expect("sites");
        assert!(
            !list.is_empty()
                && list.iter().all(|s| {
                    let p = s["parent"].as_str().unwrap_or("");
                    p.starts_with("zj-")
                })
        );
    }
    drop(pg);
}
