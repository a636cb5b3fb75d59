//! The planning use cases: `plan_staffing` on the published Erlang C example, and
//! `Workspace::plan_site` on a workspace built here (a data directory initialised, an
//! organisation imported, two weeks of contacts and work orders ingested), on SQLite
//! and, when `YARDSTICK_TEST_DATABASE_URL` names a server, on PostgreSQL. Every
//! expected value is worked out by hand in the comments.

use std::path::Path;
use std::sync::Arc;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use yardstick_app::error::ErrorKind;
use yardstick_app::ingest::IngestRequest;
use yardstick_app::plan::{
    PlanNote, RosterText, SitePlanRequest, StaffingProblem, Week, plan_staffing,
    plan_staffing_batch,
};
use yardstick_app::{Actor, Cancel, Config, Quiet, Workspace};
use yardstick_core::planning::{DayType, GuidelineValue, Source};
use yardstick_core::queueing::Shrinkage;
use yardstick_core::records::RecordKind;
use yardstick_core::vocab::{Lang, Scene};
use yardstick_engine::import::ImportOptions;

fn close(what: &str, actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual}, expected {expected} ± {tolerance}"
    );
}

/// Erlang C by its textbook formula, summed term by term (not core's recursion):
/// C(N, A) = (Aᴺ/N! · N/(N − A)) / (Σₖ₌₀ᴺ⁻¹ Aᵏ/k! + Aᴺ/N! · N/(N − A)).
fn erlang_c(n: u32, a: f64) -> f64 {
    let mut term = 1.0; // Aᵏ/k!, from k = 0
    let mut sum = 0.0;
    for k in 0..n {
        sum += term;
        term *= a / f64::from(k + 1);
    }
    let top = term * f64::from(n) / (f64::from(n) - a);
    top / (sum + top)
}

/// Share answered within `t` seconds: 1 − C · e^(−(N − A)·t/AHT).
fn service_level(n: u32, a: f64, t: f64, aht: f64) -> f64 {
    1.0 - erlang_c(n, a) * (-(f64::from(n) - a) * t / aht).exp()
}

/// The R `ErlangC` package's example (also pyworkforce's): 100 calls per half hour
/// (200 an hour) of 180 s, 80 % to be answered within 20 s.
///
/// A = 200 × 180 / 3600 = 10 Erlangs. With 13 agents C(13, 10) = 0.2853 and the
/// service level 1 − 0.2853 · e^(−3·20/180) = 1 − 0.2853 × 0.7165 = 0.796 < 0.8; with
/// 14, C(14, 10) = 0.17413, service level 1 − 0.17413 × e^(−4·20/180) = 1 − 0.17413 ×
/// 0.64118 = 0.8884, ASA = C · AHT / (N − A) = 0.17413 × 180 / 4 = 7.84 s, occupancy
/// 10 / 14 = 0.714. With 30 % shrinkage 14 / 0.7 = 20 scheduled, exactly.
#[test]
fn staffing_reproduces_the_published_erlang_c_example() {
    assert!(service_level(13, 10.0, 20.0, 180.0) < 0.8);
    assert!(service_level(14, 10.0, 20.0, 180.0) >= 0.8);
    let problem = StaffingProblem {
        arrivals_per_h: Some(200.0),
        aht_s: Some(180.0),
        sl_target: Some(0.8),
        answer_within_s: Some(20.0),
        shrinkage: Some("0.3".parse::<Shrinkage>().expect("a shrinkage")),
        ..StaffingProblem::default()
    };
    let plan = plan_staffing(&problem).expect("solved");
    close("traffic", plan.traffic_erlangs, 10.0, 1e-12);
    assert_eq!(plan.agents, 14);
    assert_eq!(plan.agents_scheduled, 20);
    close("C(14, 10)", plan.p_wait, erlang_c(14, 10.0), 1e-12);
    close("p_wait", plan.p_wait, 0.174_13, 5e-6);
    close("service level", plan.service_level, 0.888_4, 5e-5);
    close(
        "service level",
        plan.service_level,
        service_level(14, 10.0, 20.0, 180.0),
        1e-12,
    );
    close("ASA", plan.asa_s.expect("a stable queue"), 7.836, 5e-4);
    close("occupancy", plan.occupancy, 10.0 / 14.0, 1e-15);
    assert!(plan.p_abandon.is_none() && plan.service_level_answered.is_none());
    assert!(plan.asked.searched);

    // The defaults are 80 % within 20 s: the same 14 agents, none scheduled extra.
    let defaults = plan_staffing(&StaffingProblem {
        arrivals_per_h: Some(200.0),
        aht_s: Some(180.0),
        ..StaffingProblem::default()
    })
    .expect("solved");
    assert_eq!((defaults.agents, defaults.agents_scheduled), (14, 14));

    // The JSON contract: ten fields in this order, no more.
    let json = serde_json::to_string(&plan).expect("JSON");
    let keys = [
        "traffic_erlangs",
        "agents",
        "agents_scheduled",
        "p_wait",
        "service_level",
        "asa_s",
        "occupancy",
        "p_abandon",
        "service_level_answered",
        "service_level_excl_early_abandons",
    ];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| json.find(&format!("\"{k}\":")).expect("key present"))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{json}");
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(
        value.as_object().map(serde_json::Map::len),
        Some(keys.len())
    );
}

/// Ten agents for 10 Erlangs: every contact waits forever, the ASA is not a number.
#[test]
fn staffing_an_unstable_queue_and_refusals() {
    let plan = plan_staffing(&StaffingProblem {
        arrivals_per_h: Some(200.0),
        aht_s: Some(180.0),
        agents: Some(10),
        ..StaffingProblem::default()
    })
    .expect("evaluated");
    assert_eq!(plan.asa_s, None);
    close("p_wait", plan.p_wait, 1.0, 0.0);
    assert!(!plan.asked.searched);

    let e = plan_staffing(&StaffingProblem {
        arrivals_per_h: Some(200.0),
        ..StaffingProblem::default()
    })
    .expect_err("no AHT");
    assert_eq!(e.kind(), ErrorKind::Input);
    assert_eq!(e.render(Lang::En), "aht_s is required");
    let e = plan_staffing(&StaffingProblem {
        arrivals_per_h: Some(200.0),
        aht_s: Some(0.0),
        ..StaffingProblem::default()
    })
    .expect_err("AHT 0");
    assert!(
        e.render(Lang::En).contains("aht_s"),
        "{}",
        e.render(Lang::En)
    );
}

/// Rows are solved in order; a bad row is a value in its place, a bad header refuses
/// the file.
#[test]
fn staffing_batch_rows_in_order() {
    let rows = plan_staffing_batch(
        "b.csv",
        "arrivals_per_h,aht_s,shrinkage,agents\n200,180,30%,\n200,0,,\n0,180,,\n",
    )
    .expect("a good header");
    assert_eq!(rows.len(), 3);
    let first = rows[0].as_ref().expect("row 1");
    assert_eq!((first.agents, first.agents_scheduled), (14, 20));
    let bad = rows[1].as_ref().expect_err("row 2");
    assert_eq!(bad.row, 2);
    assert!(bad.error.render(Lang::En).contains("aht_s"));
    // No contacts need no agents.
    assert_eq!(rows[2].as_ref().map(|p| p.agents).ok(), Some(0));

    let e = plan_staffing_batch("b.csv", "arrivals_per_h\n200\n").expect_err("no aht_s");
    assert_eq!(e.render(Lang::En), "b.csv: missing required column aht_s");
}

const ORG: &str = r#"
[[node]]
id = "op"
level = "operator"
name_zh = "测试运营商"
name_en = "Test operator"

[[node]]
id = "gd"
parent = "op"
level = "province"
name_zh = "广东"

[[node]]
id = "gz"
parent = "gd"
level = "city"
name_zh = "广州"

[[site]]
id = "cc1"
parent = "gz"
name_zh = "测试呼叫中心"
name_en = "Test call centre"
scene = "call_centre"
area = "urban"

[[site]]
id = "f1"
parent = "gz"
name_zh = "测试装维中心"
name_en = "Test field centre"
scene = "field_centre"
area = "rural"
"#;

/// The history: the two weeks 2026-11-02 (a Monday) to 2026-11-15, with no public
/// holiday or make-up working day in them or in the planned week 2026-W47.
fn history_days() -> impl Iterator<Item = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(2026, 11, 2).expect("a date");
    (0..14).map(move |i| first + Days::new(i))
}

/// Call centre `cc1`, every day of the week alike: four voice contacts queued at 09:01,
/// 09:06, 09:11 and 09:16 and one at 14:05, each answered after 10 s, with 200 s talk
/// and 40 s after-call work (240 s handled). Nobody abandons.
fn contacts_csv() -> String {
    let mut out = String::from(
        "site_id,contact_id,channel,queue_entry_at,answered_at,abandoned_at,outcome,talk_s,acw_s\n",
    );
    for (d, day) in history_days().enumerate() {
        for (i, (h, m)) in [(9, 1), (9, 6), (9, 11), (9, 16), (14, 5)]
            .into_iter()
            .enumerate()
        {
            out.push_str(&format!(
                "cc1,c{d}-{i},voice,{day} {h:02}:{m:02}:00,{day} {h:02}:{m:02}:10,,answered,200,40\n"
            ));
        }
    }
    out
}

/// Field centre `f1`, Monday to Friday: three repair orders created at 08:00, each
/// 2 h on site (10:00 to 12:00), completed. None at weekends.
fn orders_csv() -> String {
    let mut out = String::from("site_id,order_id,kind,created_at,arrived_at,completed_at,status\n");
    for day in history_days().filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)) {
        for i in 0..3 {
            out.push_str(&format!(
                "f1,o{day}-{i},repair,{day} 08:00:00,{day} 10:00:00,{day} 12:00:00,completed\n"
            ));
        }
    }
    out
}

/// A workspace with the organisation and the history, on every backend at hand; the
/// temporary directories and databases go when the values are dropped.
struct Fixture {
    ws: Workspace,
    _dir: tempfile::TempDir,
    _db: Option<yardstick_store::testing::TestDatabase>,
}

async fn fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    let mut postgres = yardstick_store::testing::postgres().await;
    for pg in [false, true] {
        let db = if pg {
            match postgres.take() {
                Some(db) => Some(db),
                None => continue,
            }
        } else {
            None
        };
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = Config {
            data_dir: dir.path().join("data"),
            database: db.as_ref().map(|d| d.url().clone()),
        };
        let (ws, _) = Workspace::init(&config).await.expect("initialised");
        ws.import_org(&Actor::System, "org.toml", ORG)
            .await
            .expect("organisation imported");
        ingest(&ws, dir.path(), RecordKind::Contact, &contacts_csv()).await;
        ingest(&ws, dir.path(), RecordKind::WorkOrder, &orders_csv()).await;
        out.push(Fixture {
            ws,
            _dir: dir,
            _db: db,
        });
    }
    out
}

async fn ingest(ws: &Workspace, dir: &Path, kind: RecordKind, text: &str) {
    let path = dir.join(format!("{}.csv", kind.as_str()));
    std::fs::write(&path, text).expect("records written");
    let report = ws
        .ingest(
            &Actor::System,
            IngestRequest {
                kind,
                path,
                name: None,
                options: ImportOptions::default(),
            },
            Arc::new(Quiet),
            &Cancel::new(),
        )
        .await
        .expect("imported");
    assert_eq!(report.rows_quarantined, 0, "{kind:?}: {report:?}");
}

fn week() -> Week {
    "2026-W47".parse().expect("a week")
}

/// Two weeks of history before 2026-W47 (16 to 22 November).
fn request(site: &str) -> SitePlanRequest {
    SitePlanRequest {
        history_weeks: 2,
        ..SitePlanRequest::new(site, week())
    }
}

/// Call centre `cc1`, planned for 2026-W47 in half hours with the built-in guideline.
///
/// * Forecast: every day of the history holds 5 contacts, 4 in the 09:00 half hour and
///   1 in the 14:00 one, so every day type has factor 1 and that profile, and 14 days
///   are too few for a trend (28 needed): every day of the week is forecast 4 at 09:00
///   and 1 at 14:00, 35 in the week, and the held-back last week is forecast exactly
///   (WAPE 0).
/// * Inputs: AHT = 200 + 40 = 240 s from the history; nobody abandoned, so no patience
///   (Erlang C) and no abandonment cap; CC-02's goal (90 %) within its 20 s threshold.
/// * 09:00: 8 an hour × 240 s = A = 0.5333 Erlangs. One agent: C = A, service level
///   1 − 0.5333 · e^(−0.4667·20/240) = 1 − 0.5333 × 0.9619 = 0.487 < 0.9. Two agents:
///   C(2, 0.5333) = 0.11228, service level 1 − 0.11228 · e^(−1.4667·20/240) =
///   1 − 0.11228 × 0.88495 = 0.9006 ≥ 0.9: 2 agents.
/// * 14:00: 2 an hour, A = 0.1333. One agent: 1 − 0.1333 · e^(−0.8667/12) = 0.876 <
///   0.9; two: C = 0.00833, 1 − 0.00833 × 0.856 = 0.993: 2 agents.
/// * Staff-hours: 2 intervals × 2 agents × ½ h × 7 days = 14.
#[tokio::test]
async fn a_call_centre_week_by_hand() {
    for f in fixtures().await {
        let plan =
            f.ws.plan_site(&Actor::System, request("cc1"), &Cancel::new())
                .await
                .expect("planned");
        assert_eq!((plan.site.as_str(), plan.scene), ("cc1", Scene::CallCentre));
        assert_eq!(plan.name.get(Lang::En), "Test call centre");
        assert_eq!(plan.week, "2026-W47");
        assert_eq!(
            (plan.from.to_string(), plan.to.to_string()),
            ("2026-11-16".to_owned(), "2026-11-22".to_owned())
        );
        assert_eq!(plan.interval_min, 30);
        assert_eq!(
            (plan.history.days, plan.history.arrivals),
            (14, 14 * 5),
            "{:?}",
            plan.history
        );
        close("WAPE", plan.wape.expect("a backtest"), 0.0, 1e-9);
        assert_eq!(
            plan.notes,
            vec![PlanNote::TrendOff {
                trend_days: 14,
                needed: 28
            }]
        );
        let q = plan.queue.as_ref().expect("a queue");
        assert_eq!(q.model, "erlang_c");
        close("AHT", q.aht_s, 240.0, 1e-9);
        assert_eq!(
            (q.aht_source.clone(), q.patience_s),
            (Source::History, None)
        );
        close("T", q.answer_within_s, 20.0, 0.0);
        close("SL target", q.sl_target.expect("a target"), 0.9, 1e-12);
        assert_eq!(
            q.sl_source,
            Source::Guideline {
                indicator: "CC-02".into(),
                value: GuidelineValue::Goal
            }
        );
        assert_eq!(q.max_abandon, None);
        close("week forecast", q.forecast_total, 35.0, 1e-9);
        close("staff-hours", q.staff_hours, 14.0, 1e-9);
        assert_eq!((q.rostered_hours, q.short_intervals), (None, None));
        assert_eq!(plan.intervals.len(), 7 * 48);
        assert!(plan.days.is_empty() && plan.field.is_none());
        let at = |date: &str, start: &str| {
            plan.intervals
                .iter()
                .find(|r| r.date.to_string() == date && r.start == start)
                .unwrap_or_else(|| panic!("no interval {date} {start}"))
        };
        let monday_9 = at("2026-11-16", "09:00");
        assert_eq!(monday_9.day_type, DayType::Mon);
        close("Monday 09:00", monday_9.forecast, 4.0, 1e-9);
        assert_eq!((monday_9.agents, monday_9.scheduled), (2, 2));
        close("SL with 2", monday_9.service_level, 0.9006, 5e-4);
        close("occupancy", monday_9.occupancy, 0.5333 / 2.0, 5e-4);
        let sunday_14 = at("2026-11-22", "14:00");
        close("Sunday 14:00", sunday_14.forecast, 1.0, 1e-9);
        assert_eq!(sunday_14.agents, 2);
        close("SL with 2", sunday_14.service_level, 0.993, 5e-4);
        let night = at("2026-11-18", "03:00");
        assert_eq!((night.forecast, night.agents), (0.0, 0));
    }
}

/// The same week against a roster of 1 at Monday 09:00 and 3 at Monday 14:00: gaps
/// 1 − 2 = −1 and 3 − 2 = +1; the other 6 days' two busy half hours have nobody
/// (−2 each). Short: Monday 09:00 and 12 more, 13; rostered (1 + 3) × ½ h = 2 h. With
/// 25 % shrinkage, 2 agents are ⌈2 ÷ 0.75⌉ = 3 to schedule: 21 staff-hours.
#[tokio::test]
async fn a_call_centre_roster_and_shrinkage() {
    for f in fixtures().await {
        let req = SitePlanRequest {
            roster: Some(RosterText {
                name: "roster.csv".into(),
                text: "date,interval_start,staff\n2026-11-16,09:00,1\n2026-11-16,14:00,3\n".into(),
            }),
            ..request("cc1")
        };
        let plan =
            f.ws.plan_site(&Actor::System, req, &Cancel::new())
                .await
                .expect("planned");
        let gap = |date: &str, start: &str| {
            plan.intervals
                .iter()
                .find(|r| r.date.to_string() == date && r.start == start)
                .and_then(|r| r.gap)
        };
        assert_eq!(gap("2026-11-16", "09:00"), Some(-1));
        assert_eq!(gap("2026-11-16", "14:00"), Some(1));
        assert_eq!(gap("2026-11-17", "09:00"), Some(-2));
        assert_eq!(gap("2026-11-17", "03:00"), Some(0));
        let q = plan.queue.as_ref().expect("a queue");
        assert_eq!(q.short_intervals, Some(13));
        close("rostered", q.rostered_hours.expect("a roster"), 2.0, 1e-12);

        let req = SitePlanRequest {
            shrinkage: Some("25%".parse().expect("a shrinkage")),
            ..request("cc1")
        };
        let plan =
            f.ws.plan_site(&Actor::System, req, &Cancel::new())
                .await
                .expect("planned");
        let q = plan.queue.as_ref().expect("a queue");
        close("shrinkage", q.shrinkage, 0.25, 1e-12);
        close("staff-hours", q.staff_hours, 21.0, 1e-9);
    }
}

/// Field centre `f1` (rural: IM-04's 72 h limit, so orders may be carried over
/// ⌊72 ÷ 24⌋ − 1 = 2 days), planned per day.
///
/// * Forecast: 3 orders every working day, none at weekends (the history's Saturdays
///   and Sundays hold none), 15 in the week; 10 working days feed the trend (28
///   needed), and 12 days of history (2 to 13 November) leave 5 before a held-back
///   week, fewer than 7: no WAPE.
/// * Workload: on site 2 h (from the history) + 30 min travel (the default) = 2.5 h an
///   order, 7.5 h a working day; 6 productive hours (the default) need ⌈7.5 ÷ 6⌉ = 2
///   technicians to finish a working day's orders that day.
/// * Crew: one technician (6 h a day) carries 1.5, 3, 4.5, 6, 7.5 h over Monday to
///   Friday and 1.5, 0 h over the weekend; each day's orders are done two days later
///   (Monday's: 4.5 h left on Wednesday ≤ the 15 h that came after them; Friday's: 0 on
///   Sunday), so the crew is 1, at 37.5 ÷ 42 = 89.3 % utilisation.
/// * A roster of 1 on working days only has 30 h for 37.5 h of work: the backlog grows
///   without bound and every day is late.
#[tokio::test]
async fn a_field_centre_week_by_hand() {
    for f in fixtures().await {
        let req = SitePlanRequest {
            interval_min: Some(60),
            ..request("f1")
        };
        let plan =
            f.ws.plan_site(&Actor::System, req, &Cancel::new())
                .await
                .expect("planned");
        assert_eq!((plan.scene, plan.interval_min), (Scene::FieldCentre, 1440));
        assert_eq!(
            plan.notes,
            vec![
                PlanNote::TrendOff {
                    trend_days: 10,
                    needed: 28
                },
                PlanNote::NoBacktest {
                    history_days: 12,
                    needed: 14
                },
                PlanNote::PlannedPerDay,
            ]
        );
        assert_eq!(plan.wape, None);
        let field = plan.field.as_ref().expect("a field plan");
        close("on site", field.onsite_h, 2.0, 1e-9);
        assert_eq!(field.onsite_source, Source::History);
        close("travel", field.travel_h, 0.5, 0.0);
        close("productive", field.productive_h, 6.0, 0.0);
        close("limit", field.limit_h, 72.0, 0.0);
        assert_eq!((field.slack_days, field.crew, field.scheduled), (2, 1, 1));
        close("utilisation", field.utilisation, 37.5 / 42.0, 1e-9);
        assert_eq!(field.roster_on_time, None);
        assert_eq!(plan.days.len(), 7);
        let monday = &plan.days[0];
        close("Monday orders", monday.forecast, 3.0, 1e-9);
        close("Monday workload", monday.workload_h, 7.5, 1e-9);
        assert_eq!((monday.required, monday.scheduled), (2, 2));
        let sunday = &plan.days[6];
        assert_eq!(sunday.day_type, DayType::Sun);
        close("Sunday orders", sunday.forecast, 0.0, 1e-9);
        assert!(plan.intervals.is_empty() && plan.queue.is_none());

        let weekdays: String = (16..=20).map(|d| format!("2026-11-{d},,1\n")).collect();
        let req = SitePlanRequest {
            roster: Some(RosterText {
                name: "crew.csv".into(),
                text: format!("date,interval_start,staff\n{weekdays}"),
            }),
            ..request("f1")
        };
        let plan =
            f.ws.plan_site(&Actor::System, req, &Cancel::new())
                .await
                .expect("planned");
        assert_eq!(
            plan.field.as_ref().and_then(|f| f.roster_on_time),
            Some(false)
        );
        assert_eq!(plan.days[0].gap, Some(1 - 2));
        assert!(plan.days.iter().all(|d| d.late_with_roster == Some(true)));
    }
}

/// What the user can fix is refused with what and where: an unknown site (listing the
/// sites), a week before any history, an interval that is not 15/30/60, every bad
/// roster row with its line, a target from a flag outside its domain.
#[tokio::test]
async fn refusals_say_what_and_where() {
    for f in fixtures().await {
        let plan = |req: SitePlanRequest| async {
            f.ws.plan_site(&Actor::System, req, &Cancel::new()).await
        };
        let e = plan(request("zz")).await.expect_err("unknown site");
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.render(Lang::En), "unknown site `zz`; sites are: cc1, f1");

        let e = plan(SitePlanRequest::new(
            "cc1",
            "2026-W30".parse().expect("a week"),
        ))
        .await
        .expect_err("no history");
        assert_eq!(e.message().key, "error.plan.no_history");
        assert!(e.render(Lang::En).contains("from 2026-04-20 to 2026-07-19"));

        let e = plan(SitePlanRequest {
            interval_min: Some(20),
            ..request("cc1")
        })
        .await
        .expect_err("20 minutes");
        assert_eq!(e.kind(), ErrorKind::Input);
        assert_eq!(
            e.render(Lang::En),
            "--interval must be 15, 30 or 60 minutes, got 20"
        );

        let e = plan(SitePlanRequest {
            roster: Some(RosterText {
                name: "r.csv".into(),
                text: "date,interval_start,staff\n2026-11-16,09:00,x\n2026-11-30,09:00,1\n".into(),
            }),
            ..request("cc1")
        })
        .await
        .expect_err("bad roster");
        assert_eq!(
            e.render(Lang::En),
            "roster r.csv: 2 bad row(s):\n  line 2: staff `x` is not a whole number ≥ 0\n  \
             line 3: date 2026-11-30 is outside week 2026-W47 (2026-11-16 to 2026-11-22)"
        );

        let mut req = request("cc1");
        req.overrides.sl_target = Some(1.5);
        let e = plan(req).await.expect_err("a target of 150 %");
        assert!(
            e.render(Lang::En).contains("sl_target"),
            "{}",
            e.render(Lang::En)
        );
    }
}

#[test]
fn weeks_are_iso_weeks() {
    let w: Week = "2026-W01".parse().expect("a week");
    // 1 January 2026 is a Thursday, so ISO week 1 starts on Monday 29 December 2025.
    assert_eq!(
        w.monday(),
        NaiveDate::from_ymd_opt(2025, 12, 29).expect("a date")
    );
    assert_eq!(w.label(), "2026-W01");
    assert_eq!(
        "2026w45".parse::<Week>().map(|w| w.label()).ok(),
        Some("2026-W45".to_owned())
    );
    let e = "2026-45".parse::<Week>().expect_err("no W");
    assert_eq!(e.message().key, "error.plan.week");
    // 2026 has 53 ISO weeks (it starts on a Thursday), not 54.
    assert!("2026-W53".parse::<Week>().is_ok());
    assert_eq!(
        "2026-W54"
            .parse::<Week>()
            .expect_err("no week 54")
            .render(Lang::En),
        "--week 2026-W54: 2026 has no ISO week 54"
    );
}
