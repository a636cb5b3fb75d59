//! Demand series from a small generated data directory: records go in through the real
//! importer, and the arrival counts, handling times and patience evidence that come out
//! are worked out by hand below. A `--replace` batch supersedes the day it covers.

use std::path::{Path, PathBuf};

use std::cell::RefCell;
use std::sync::atomic::AtomicBool;

use chrono::NaiveDate;
use yardstick_core::org::Organisation;
use yardstick_core::planning::IntervalLen;
use yardstick_core::records::RecordKind;
use yardstick_engine::import::{ImportContext, ImportOptions, InstantWindow, import_file};
use yardstick_engine::layout::DataDir;
use yardstick_engine::series::{SeriesError, SiteSeries, kind_of, site_series};

#[path = "ledger.rs"]
mod ledger;

use ledger::Ledger;

const ORG: &str = r#"
[[node]]
id = "op"
level = "operator"
name_zh = "测试运营商"

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
name_zh = "呼叫中心"
scene = "call_centre"
area = "urban"

[[site]]
id = "h1"
parent = "gz"
name_zh = "营业厅"
scene = "hall"
area = "urban"

[[site]]
id = "f1"
parent = "gz"
name_zh = "装维中心"
scene = "field_centre"
area = "rural"
"#;

/// A data directory with the organisation loaded, removed when the test ends.
struct Fixture {
    _tmp: tempfile::TempDir,
    dir: DataDir,
    ledger: RefCell<Ledger>,
    org: Organisation,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let dir = DataDir::new(tmp.path());
        let org = Organisation::from_toml("org.toml", ORG).expect("valid organisation");
        Self {
            _tmp: tmp,
            dir,
            ledger: RefCell::new(Ledger::default()),
            org,
        }
    }

    fn write(&self, name: &str, csv: &str) -> PathBuf {
        let path = self.dir.root().join(name);
        std::fs::write(&path, csv).expect("CSV written");
        path
    }

    fn import(&self, kind: RecordKind, path: &Path, replace: bool) {
        let opts = ImportOptions {
            strict: true,
            replace,
        };
        let report = self
            .ledger
            .borrow_mut()
            .settle(kind, replace, |manifest| {
                let cx = ImportContext {
                    dir: &self.dir,
                    org: &self.org,
                    manifest,
                    accept: InstantWindow::default(),
                };
                import_file(&cx, kind, path, opts, &|_| {}, &AtomicBool::new(false))
            })
            .expect("file imported");
        assert_eq!(report.rows_quarantined, 0, "{:?}", report.reasons);
    }

    fn series(&self, site: &str, interval: IntervalLen) -> Result<SiteSeries, SeriesError> {
        let kind = self
            .org
            .site(site)
            .map_or(RecordKind::HallTicket, |s| kind_of(s.scene));
        site_series(
            &self.dir,
            &self.ledger.borrow().kind(kind),
            &self.org,
            site,
            (day("2026-09-01"), day("2026-09-30")),
            interval,
        )
    }
}

fn day(s: &str) -> NaiveDate {
    s.parse().expect("valid date")
}

fn close(what: &str, actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-9,
        "{what}: got {actual}, expected {expected}"
    );
}

/// Six contacts at the call centre (local times, Asia/Shanghai):
///
/// | id | queued | outcome | wait | handle |
/// |---|---|---|---|---|
/// | c1 | 09-07 09:05:00 | answered 09:05:20 | 20 s | 100 + 20 + 30 = 150 s |
/// | c2 | 09-07 09:20:00 | answered 09:21:00 | 60 s | 200 + 50 = 250 s |
/// | c3 | 09-07 09:40:00 | abandoned 09:41:40 | 100 s, abandon | — |
/// | c4 | chat | — | left out | — |
/// | c5 | IVR only | — | not queued | — |
/// | c6 | 09-09 14:31:00 | answered 14:31:10 | 10 s | 100 s |
///
/// With 30-minute intervals: 09-07 has 2 arrivals in interval 18 (09:00) and 1 in 19
/// (09:30); 09-08 is a day of zeros; 09-09 has 1 in interval 29 (14:30). AHT = (150 +
/// 250 + 100) / 3; patience θ̂ = (20 + 60 + 100 + 10) / 1 abandon = 190 s.
const CONTACTS: &str = "\
site_id,contact_id,channel,ivr_entry_at,queue_entry_at,answered_at,abandoned_at,outcome,talk_s,hold_s,acw_s
cc1,c1,voice,,2026-09-07 09:05:00,2026-09-07 09:05:20,,answered,100,20,30
cc1,c2,voice,,2026-09-07 09:20:00,2026-09-07 09:21:00,,answered,200,,50
cc1,c3,voice,,2026-09-07 09:40:00,,2026-09-07 09:41:40,abandoned,,,
cc1,c4,chat,,2026-09-07 10:00:00,2026-09-07 10:00:30,,answered,300,,
cc1,c5,voice,2026-09-07 10:10:00,,,,ivr_only,,,
cc1,c6,voice,,2026-09-09 14:31:00,2026-09-09 14:31:10,,answered,100,,
";

/// A corrected re-send of 09-09: c6 is replaced by c7, queued at 11:00 and abandoned
/// after 50 s. Now 09-09 has 1 arrival in interval 22 (11:00); AHT = (150 + 250) / 2 =
/// 200 s; θ̂ = (20 + 60 + 100 + 50) / 2 abandons = 115 s.
const CONTACTS_0909: &str = "\
site_id,contact_id,channel,queue_entry_at,abandoned_at,outcome
cc1,c7,voice,2026-09-09 11:00:00,2026-09-09 11:00:50,abandoned
";

#[test]
fn contacts_give_counts_handle_times_and_patience() {
    let fx = Fixture::new();
    fx.import(
        RecordKind::Contact,
        &fx.write("contacts.csv", CONTACTS),
        false,
    );
    let s = fx.series("cc1", IntervalLen::MIN_30).expect("series");
    assert_eq!(s.kind, RecordKind::Contact);
    assert_eq!(s.arrivals, 4);
    assert_eq!(s.skipped.get("chat or video contact"), Some(&1));
    assert_eq!(s.history.len(), 3);
    let d7 = s.history.day(day("2026-09-07")).expect("09-07 known");
    assert_eq!((d7[18], d7[19], d7.iter().sum::<f64>()), (2.0, 1.0, 3.0));
    let d8 = s.history.day(day("2026-09-08")).expect("09-08 zero-filled");
    close("09-08", d8.iter().sum::<f64>(), 0.0);
    close(
        "09-09 14:30",
        s.history.day(day("2026-09-09")).expect("09-09")[29],
        1.0,
    );
    close("AHT", s.handle_s.mean().expect("answered"), 500.0 / 3.0);
    assert_eq!((s.patience.queued, s.patience.abandons), (4, 1));
    close(
        "patience",
        s.patience.mean_patience_s().expect("abandons"),
        190.0,
    );

    fx.import(
        RecordKind::Contact,
        &fx.write("contacts-0909.csv", CONTACTS_0909),
        true,
    );
    let s = fx.series("cc1", IntervalLen::MIN_30).expect("series");
    let d9 = s.history.day(day("2026-09-09")).expect("09-09");
    assert_eq!((d9[22], d9.iter().sum::<f64>()), (1.0, 1.0));
    close("AHT", s.handle_s.mean().expect("answered"), 200.0);
    close(
        "patience",
        s.patience.mean_patience_s().expect("abandons"),
        115.0,
    );
}

/// Hall tickets on 09-07: t1 issued 09:00, called 09:10, served 09:11–09:21 (600 s of
/// service, 600 s in queue); t2 issued 09:05, walked away at 09:25 (1200 s, abandon);
/// t3 issued 09:30, called 09:50 as a no-show (1200 s, abandon). One-hour interval 9
/// holds 3 arrivals; θ̂ = (600 + 1200 + 1200) / 2 = 1500 s.
const TICKETS: &str = "\
site_id,ticket_id,service_type,issued_at,called_at,service_start_at,service_end_at,left_at,outcome
h1,t1,payment,2026-09-07 09:00:00,2026-09-07 09:10:00,2026-09-07 09:11:00,2026-09-07 09:21:00,,served
h1,t2,payment,2026-09-07 09:05:00,,,,2026-09-07 09:25:00,left
h1,t3,enquiry,2026-09-07 09:30:00,2026-09-07 09:50:00,,,,no_show
";

#[test]
fn hall_tickets_count_walk_aways_and_no_shows_as_abandons() {
    let fx = Fixture::new();
    fx.import(
        RecordKind::HallTicket,
        &fx.write("tickets.csv", TICKETS),
        false,
    );
    let s = fx.series("h1", IntervalLen::MIN_60).expect("series");
    close(
        "09:00",
        s.history.day(day("2026-09-07")).expect("09-07")[9],
        3.0,
    );
    close("service time", s.handle_s.mean().expect("served"), 600.0);
    assert_eq!((s.patience.queued, s.patience.abandons), (3, 2));
    close(
        "patience",
        s.patience.mean_patience_s().expect("abandons"),
        1500.0,
    );
}

/// Work orders: o1 created 09-07, on site 10:00–11:30 (5400 s); o2 cancelled (not an
/// arrival); o3 created 09-08 and completed two days after arrival (parked, not on-site
/// time). Per day: 1 on 09-07 and 1 on 09-08.
const ORDERS: &str = "\
site_id,order_id,kind,created_at,arrived_at,completed_at,status
f1,o1,repair,2026-09-07 08:00:00,2026-09-07 10:00:00,2026-09-07 11:30:00,completed
f1,o2,install,2026-09-07 09:00:00,,,cancelled
f1,o3,repair,2026-09-08 10:00:00,2026-09-08 12:00:00,2026-09-10 12:00:00,completed
";

#[test]
fn work_orders_per_day_with_on_site_time() {
    let fx = Fixture::new();
    fx.import(
        RecordKind::WorkOrder,
        &fx.write("orders.csv", ORDERS),
        false,
    );
    let s = fx.series("f1", IntervalLen::DAY).expect("series");
    let days: Vec<(NaiveDate, f64)> = s.history.days().map(|(d, c)| (d, c[0])).collect();
    assert_eq!(
        days,
        vec![(day("2026-09-07"), 1.0), (day("2026-09-08"), 1.0)]
    );
    assert_eq!(s.skipped.get("cancelled order"), Some(&1));
    assert_eq!(s.handle_s.n, 1);
    close(
        "on-site time",
        s.handle_s.mean().expect("one order"),
        5400.0,
    );
}

#[test]
fn unknown_site_and_empty_site() {
    let fx = Fixture::new();
    assert!(matches!(
        fx.series("nope", IntervalLen::MIN_30),
        Err(SeriesError::UnknownSite(s)) if s == "nope"
    ));
    let s = fx.series("h1", IntervalLen::MIN_30).expect("series");
    assert!(s.history.is_empty());
    assert_eq!(s.arrivals, 0);
}
