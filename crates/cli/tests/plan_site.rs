//! End-to-end tests of `yardstick plan site` through the real binary: a data directory
//! is initialised, an organisation imported and four weeks of generated contacts and
//! work orders ingested; then week 2026-W45 (2026-11-02 to 2026-11-08) is planned.
//!
//! The generated history (2026-10-05 to 2026-11-01, Asia/Shanghai) repeats one week:
//!
//! * call centre `cc1`, Monday to Friday: four voice contacts queued between 09:02 and
//!   09:17 (answered after 10, 20, 30 s; the fourth abandons after 60 s) and two at
//!   14:05 and 14:10 (answered after 15 s); Saturday: two at 10:05 and 10:10 (answered
//!   after 10 s); Sunday: none. Every answered contact has 240 s talk and 60 s
//!   after-call work, so AHT = 300 s. A week queues 32 contacts with 5 × (10 + 20 + 30 +
//!   60 + 15 + 15) + 20 = 770 s in queue and 5 abandons: patience θ̂ = 154 s.
//! * field centre `f1` (rural), Monday to Friday: ten repair orders, each 1 h on site.
//!
//! The 2026 holidays (National Day 10-01 to 10-07, make-up Saturday 10-10) fall inside
//! the history; the generator ignores them, so those days are simply more days of their
//! own type and the weekly pattern is forecast exactly: WAPE 0 and 4 contacts in the
//! 09:00 half hour of Monday 2026-11-02.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde_json::Value;
use yardstick_core::planning::{IntervalLen, QueuePlan, SlBasis, staff_interval};
use yardstick_core::queueing::{Shrinkage, Targets};

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

/// A data directory with the organisation and four weeks of records, removed at the end.
struct Data {
    tmp: tempfile::TempDir,
}

impl Data {
    fn new() -> Self {
        let data = Self {
            tmp: tempfile::tempdir().expect("temporary directory"),
        };
        let org = data.write("org.toml", ORG);
        let contacts = data.write("contacts.csv", &contacts_csv());
        let orders = data.write("orders.csv", &orders_csv());
        data.ok(&["init"]);
        data.ok(&["org", "import", path(&org)]);
        data.ok(&["ingest", "contact", path(&contacts)]);
        data.ok(&["ingest", "work_order", path(&orders)]);
        data
    }

    fn dir(&self) -> &Path {
        self.tmp.path()
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir().join(name);
        std::fs::write(&p, text).expect("file written");
        p
    }

    fn run(&self, args: &[&str]) -> Output {
        let data_dir = self.dir().join("data");
        Command::new(env!("CARGO_BIN_EXE_yardstick"))
            .arg("--data-dir")
            .arg(&data_dir)
            .args(args)
            .output()
            .expect("the yardstick binary runs")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}\nstdout: {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(&[args, &["--format", "json"]].concat())).expect("JSON")
    }

    /// Runs a command that must fail with exit code 2 and returns its stderr.
    fn input_error(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stdout)
        );
        text(&out.stderr)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn history_days() -> impl Iterator<Item = NaiveDate> {
    let first: NaiveDate = "2026-10-05".parse().expect("valid date");
    (0..28).map(move |i| first + Days::new(i))
}

fn contacts_csv() -> String {
    let mut out = String::from(
        "site_id,contact_id,channel,queue_entry_at,answered_at,abandoned_at,outcome,talk_s,acw_s\n",
    );
    let mut n = 0;
    for day in history_days() {
        // (hour, minute, wait in seconds, abandoned)
        let calls: &[(u32, u32, u32, bool)] = match day.weekday() {
            Weekday::Sat => &[(10, 5, 10, false), (10, 10, 10, false)],
            Weekday::Sun => &[],
            _ => &[
                (9, 2, 10, false),
                (9, 7, 20, false),
                (9, 12, 30, false),
                (9, 17, 60, true),
                (14, 5, 15, false),
                (14, 10, 15, false),
            ],
        };
        for &(h, m, wait, abandoned) in calls {
            n += 1;
            let queued = format!("{day} {h:02}:{m:02}:00");
            let left = format!("{day} {h:02}:{:02}:{:02}", m + wait / 60, wait % 60);
            if abandoned {
                out.push_str(&format!("cc1,c{n},voice,{queued},,{left},abandoned,,\n"));
            } else {
                out.push_str(&format!(
                    "cc1,c{n},voice,{queued},{left},,answered,240,60\n"
                ));
            }
        }
    }
    out
}

fn orders_csv() -> String {
    let mut out = String::from("site_id,order_id,kind,created_at,arrived_at,completed_at,status\n");
    for day in history_days().filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)) {
        for i in 0..10 {
            out.push_str(&format!(
                "f1,o{day}-{i},repair,{day} 08:{i:02}:00,{day} 10:00:00,{day} 11:00:00,completed\n"
            ));
        }
    }
    out
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

fn close(what: &str, actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-6,
        "{what}: got {actual}, expected {expected}"
    );
}

fn interval<'a>(plan: &'a Value, date: &str, start: &str) -> &'a Value {
    plan["intervals"]
        .as_array()
        .expect("intervals")
        .iter()
        .find(|r| r["date"] == date && r["start"] == start)
        .unwrap_or_else(|| panic!("no interval {date} {start}"))
}

/// The staff core computes for `arrivals` in a half hour with the plan's inputs: AHT
/// 300 s, patience 154 s, 90 % within 20 s (CC-02's goal) on formula 4 and at most 3 %
/// abandons (CC-04's goal).
fn expected_agents(arrivals: f64) -> u32 {
    let plan = QueuePlan {
        aht_s: 300.0,
        patience_s: Some(154.0),
        targets: Targets {
            service_level: Some(0.9),
            max_abandon: Some(0.03),
            ..Targets::answer_within(20.0)
        },
        basis: SlBasis::ExclEarlyAbandons,
        shrinkage: Shrinkage::NONE,
    };
    staff_interval(arrivals, IntervalLen::MIN_30, &plan)
        .expect("staffed")
        .agents
}

#[test]
fn call_centre_week_forecast_staff_and_gap() {
    let data = Data::new();
    let plan = data.json(&["plan", "site", "cc1", "--week", "2026-W45"]);
    assert_eq!(plan["week"], "2026-W45");
    assert_eq!(plan["interval_min"], 30);
    assert_eq!(plan["history"]["from"], "2026-10-05");
    // The last arrival is Saturday 10-31; the Sunday after it is not history.
    assert_eq!(plan["history"]["days"], 27);
    close("WAPE", num(&plan, "wape"), 0.0);
    let q = &plan["queue"];
    assert_eq!(q["model"], "erlang_a");
    close("AHT", num(q, "aht_s"), 300.0);
    close("patience", num(q, "patience_s"), 154.0);
    close("SL target", num(q, "sl_target"), 0.9);
    close("abandon cap", num(q, "max_abandon"), 0.03);
    close("T", num(q, "answer_within_s"), 20.0);
    let monday_9 = interval(&plan, "2026-11-02", "09:00");
    close("Monday 09:00", num(monday_9, "forecast"), 4.0);
    assert_eq!(monday_9["agents"], expected_agents(4.0));
    let monday_14 = interval(&plan, "2026-11-02", "14:00");
    close("Monday 14:00", num(monday_14, "forecast"), 2.0);
    assert_eq!(monday_14["agents"], expected_agents(2.0));
    let saturday = interval(&plan, "2026-11-07", "10:00");
    close("Saturday 10:00", num(saturday, "forecast"), 2.0);
    let sunday = interval(&plan, "2026-11-08", "10:00");
    assert_eq!(
        (num(sunday, "forecast"), &sunday["agents"]),
        (0.0, &Value::from(0))
    );
    assert_eq!(
        plan["intervals"].as_array().expect("intervals").len(),
        7 * 48
    );
    close("week total", num(q, "forecast_total"), 5.0 * 6.0 + 2.0);

    // A roster: 1 at Monday 09:00, 5 at 14:00, nobody else.
    let roster = data.write(
        "roster.csv",
        "date,interval_start,staff\n2026-11-02,09:00,1\n2026-11-02,14:00,5\n",
    );
    let plan = data.json(&[
        "plan",
        "site",
        "cc1",
        "--week",
        "2026-W45",
        "--roster",
        path(&roster),
    ]);
    let gap = |date: &str, start: &str| interval(&plan, date, start)["gap"].as_i64().expect("gap");
    let need = |n: f64| i64::from(expected_agents(n));
    assert_eq!(gap("2026-11-02", "09:00"), 1 - need(4.0));
    assert_eq!(gap("2026-11-02", "14:00"), 5 - need(2.0));
    assert_eq!(gap("2026-11-03", "09:00"), -need(4.0));
    assert_eq!(gap("2026-11-02", "03:00"), 0);
    // Short: Monday 09:00 (one rostered for more needed), the two busy half hours of
    // Tuesday to Friday and Saturday's 10:00, which nobody is rostered for.
    assert!(need(4.0) > 1 && need(2.0) <= 5);
    assert_eq!(plan["queue"]["short_intervals"], 1 + 4 * 2 + 1);
}

#[test]
fn tables_in_chinese_by_default_and_english_on_request() {
    let data = Data::new();
    let zh = data.ok(&[
        "plan",
        "site",
        "cc1",
        "--week",
        "2026-W45",
        "--interval",
        "60",
    ]);
    for label in [
        "站点规划",
        "预测准确度 WAPE 0.00%",
        "预测量",
        "所需人数",
        "周一",
        "平均耐心 154 秒",
    ] {
        assert!(zh.contains(label), "missing {label:?} in\n{zh}");
    }
    let en = data.ok(&["--lang", "en", "plan", "site", "cc1", "--week", "2026-W45"]);
    for label in [
        "Site plan cc1 Test call centre",
        "accuracy WAPE 0.00%",
        "forecast",
        "required",
        "mean patience 154 s",
    ] {
        assert!(en.contains(label), "missing {label:?} in\n{en}");
    }
    // Intervals with neither forecast nor staff (nights, Sundays) are not listed.
    assert!(!en.lines().any(|l| l.starts_with("2026-11-08")), "{en}");
}

/// The field centre is rural, so IM-04's 72 h limit applies: as worked out in the core
/// tests, ten 1.5 h orders a working day need a daily balance of 3 technicians but a
/// constant crew of 2 (carry-over of 2 days). A roster of 2 every day is on time; 2 on
/// working days only is not (60 h of capacity for 75 h of work).
#[test]
fn field_centre_crew_against_the_time_limit() {
    let data = Data::new();
    let plan = data.json(&["plan", "site", "f1", "--week", "2026-W45"]);
    let f = &plan["field"];
    close("on-site", num(f, "onsite_h"), 1.0);
    close("limit", num(f, "limit_h"), 72.0);
    assert_eq!(
        (f["slack_days"].as_u64(), f["crew"].as_u64()),
        (Some(2), Some(2))
    );
    let days = plan["days"].as_array().expect("days");
    assert_eq!(days.len(), 7);
    close("Monday orders", num(&days[0], "forecast"), 10.0);
    assert_eq!(days[0]["required"], 3, "same-day need: ⌈15 h ÷ 6 h⌉");
    close("Sunday orders", num(&days[6], "forecast"), 0.0);
    close("WAPE", num(&plan, "wape"), 0.0);

    let every_day: String = (2..=8).map(|d| format!("2026-11-{d:02},,2\n")).collect();
    let roster = data.write(
        "crew.csv",
        &format!("date,interval_start,staff\n{every_day}"),
    );
    let plan = data.json(&[
        "plan",
        "site",
        "f1",
        "--week",
        "2026-W45",
        "--roster",
        path(&roster),
    ]);
    assert_eq!(plan["field"]["roster_on_time"], true);
    let weekdays: String = (2..=6)
        .map(|d| format!("2026-11-{d:02},00:00,2\n"))
        .collect();
    let roster = data.write(
        "weekdays.csv",
        &format!("date,interval_start,staff\n{weekdays}"),
    );
    let text = data.ok(&[
        "--lang",
        "en",
        "plan",
        "site",
        "f1",
        "--week",
        "2026-W45",
        "--roster",
        path(&roster),
    ]);
    assert!(
        text.contains("orders of these days miss the limit"),
        "{text}"
    );
}

#[test]
fn clear_errors_for_unknown_sites_weeks_without_history_and_bad_rosters() {
    let data = Data::new();
    let e = data.input_error(&["--lang", "en", "plan", "site", "zz", "--week", "2026-W45"]);
    assert!(e.contains("unknown site `zz`") && e.contains("cc1"), "{e}");
    let e = data.input_error(&["plan", "site", "zz", "--week", "2026-W45"]);
    assert!(e.contains("未知站点 `zz`") && e.contains("cc1"), "{e}");
    let e = data.input_error(&["--lang", "en", "plan", "site", "cc1", "--week", "2026-W30"]);
    assert!(
        e.contains("no history for site `cc1`") && e.contains("2026-07-19"),
        "{e}"
    );
    let e = data.input_error(&["--lang", "en", "plan", "site", "cc1", "--week", "2026-45"]);
    assert!(e.contains("--week must be an ISO week"), "{e}");
    let e = data.input_error(&[
        "--lang",
        "en",
        "plan",
        "site",
        "cc1",
        "--week",
        "2026-W45",
        "--interval",
        "20",
    ]);
    assert!(e.contains("--interval must be 15, 30 or 60"), "{e}");
    let roster = data.write(
        "bad.csv",
        "date,interval_start,staff\n\
         2026-11-02,09:00,3\n\
         2026-11-02,09:30,x\n\
         2026-11-12,09:00,1\n\
         2026-11-03,09:10,1\n\
         2026-11-02,09:00,4\n",
    );
    let e = data.input_error(&[
        "--lang",
        "en",
        "plan",
        "site",
        "cc1",
        "--week",
        "2026-W45",
        "--roster",
        path(&roster),
    ]);
    for what in [
        "4 bad row(s)",
        "line 3: staff `x` is not a whole number ≥ 0",
        "line 4: date 2026-11-12 is outside week 2026-W45",
        "line 5: interval_start `09:10` is not the start of a 30-minute interval",
        "line 6: 2026-11-02 09:00 appears twice (first on line 2)",
    ] {
        assert!(e.contains(what), "missing {what:?} in\n{e}");
    }
    let header = data.write("header.csv", "day,start,n\n");
    let e = data.input_error(&[
        "--lang",
        "en",
        "plan",
        "site",
        "cc1",
        "--week",
        "2026-W45",
        "--roster",
        path(&header),
    ]);
    assert!(
        e.contains("line 1: the header must be `date,interval_start,staff`"),
        "{e}"
    );
    // The same problems in Chinese, the default.
    let e = data.input_error(&["plan", "site", "cc1", "--week", "2026-W30"]);
    assert!(
        e.contains("站点 `cc1` 在该周之前没有历史") && e.contains("2026-07-19"),
        "{e}"
    );
    let e = data.input_error(&[
        "plan",
        "site",
        "cc1",
        "--week",
        "2026-W45",
        "--roster",
        path(&roster),
    ]);
    for what in [
        "4 行有误",
        "第 3 行：staff `x` 不是 ≥ 0 的整数",
        "第 6 行：2026-11-02 09:00 出现了两次（首次在第 2 行）",
    ] {
        assert!(e.contains(what), "missing {what:?} in\n{e}");
    }
}
