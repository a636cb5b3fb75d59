//! The records behind an indicator line, from a small data directory: tickets go in
//! through the real importer, and the rows that come out — which ones, in which order,
//! page by page — are worked out by hand below. A `--replace` batch hides the rows of
//! the day it covers.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use yardstick_core::expr::Value;
use yardstick_core::guideline::default_guideline;
use yardstick_core::org::Organisation;
use yardstick_core::period::Period;
use yardstick_core::records::RecordKind;
use yardstick_engine::compute::{PopulationRows, RowsQuery, population_rows};
use yardstick_engine::import::{ImportContext, ImportOptions, InstantWindow, import_file};
use yardstick_engine::layout::DataDir;

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
id = "h1"
parent = "gz"
name_zh = "营业厅一"
scene = "hall"
area = "urban"

[[site]]
id = "h2"
parent = "gz"
name_zh = "营业厅二"
scene = "hall"
area = "urban"
"#;

/// Seven tickets, local times (Asia/Shanghai). BH-01 (average wait) counts the tickets
/// with a call time (`called_at IS NOT NULL`):
///
/// | id | site | issued | called | in BH-01 at h1 in 2026-09? |
/// |---|---|---|---|---|
/// | t1 | h1 | 09-07 09:00 | 09:05 | yes (position 0) |
/// | t2 | h1 | 09-07 09:10 | — (left) | no: never called |
/// | t3 | h2 | 09-07 09:20 | 09:30 | no: another site |
/// | t4 | h1 | 09-08 10:00 | 10:02 | yes (position 3) |
/// | t5 | h1 | 09-08 10:30 | 10:40 | yes (position 4) |
/// | t6 | h1 | 10-01 09:00 | 09:03 | no: October |
/// | t7 | h1 | 09-09 11:00 | 11:20 | yes (position 5) |
///
/// Files are stored one per month, September's first: t1–t5 and t7 are positions 0–5, t6
/// (October's file) is 6.
const TICKETS: &str = "\
site_id,ticket_id,service_type,issued_at,called_at,service_start_at,service_end_at,left_at,outcome
h1,t1,payment,2026-09-07 09:00:00,2026-09-07 09:05:00,2026-09-07 09:05:00,2026-09-07 09:10:00,,served
h1,t2,payment,2026-09-07 09:10:00,,,,2026-09-07 09:40:00,left
h2,t3,payment,2026-09-07 09:20:00,2026-09-07 09:30:00,2026-09-07 09:30:00,2026-09-07 09:35:00,,served
h1,t4,enquiry,2026-09-08 10:00:00,2026-09-08 10:02:00,2026-09-08 10:02:00,2026-09-08 10:06:00,,served
h1,t5,enquiry,2026-09-08 10:30:00,2026-09-08 10:40:00,2026-09-08 10:40:00,2026-09-08 10:50:00,,served
h1,t6,payment,2026-10-01 09:00:00,2026-10-01 09:03:00,2026-10-01 09:03:00,2026-10-01 09:08:00,,served
h1,t7,payment,2026-09-09 11:00:00,2026-09-09 11:20:00,2026-09-09 11:20:00,2026-09-09 11:30:00,,served
";

/// A re-send of 09-08 at h1 (`--replace`): t4 and t5 give way to t8, called after 30 min.
const TICKETS_0908: &str = "\
site_id,ticket_id,service_type,issued_at,called_at,service_start_at,service_end_at,outcome
h1,t8,payment,2026-09-08 15:00:00,2026-09-08 15:30:00,2026-09-08 15:30:00,2026-09-08 15:40:00,served
";

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: DataDir,
    ledger: RefCell<Ledger>,
    org: Organisation,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let dir = DataDir::new(tmp.path());
        let org = Organisation::from_toml("org.toml", ORG).expect("valid organisation");
        Fixture {
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

    fn import(&self, path: &Path, replace: bool) {
        let opts = ImportOptions {
            strict: true,
            replace,
        };
        let report = self
            .ledger
            .borrow_mut()
            .settle(RecordKind::HallTicket, replace, |manifest| {
                let cx = ImportContext {
                    dir: &self.dir,
                    org: &self.org,
                    manifest,
                    accept: InstantWindow::default(),
                };
                import_file(
                    &cx,
                    RecordKind::HallTicket,
                    path,
                    opts,
                    &|_| {},
                    &AtomicBool::new(false),
                )
            })
            .expect("file imported");
        assert_eq!(report.rows_quarantined, 0, "{:?}", report.reasons);
    }

    fn rows(&self, site: &str, after: Option<u64>, limit: usize) -> PopulationRows {
        let g = default_guideline().expect("guideline");
        let ind = g.indicator("BH-01").expect("BH-01");
        let period = Period::parse("2026-09").expect("period");
        population_rows(
            &self.dir,
            &self.ledger.borrow().kind(RecordKind::HallTicket),
            &self.org,
            RowsQuery {
                indicator: ind,
                site,
                period: &period,
                after,
                limit,
            },
        )
        .expect("rows read")
    }
}

fn ids(page: &PopulationRows) -> Vec<String> {
    let i = page
        .fields
        .iter()
        .position(|f| *f == "ticket_id")
        .expect("ticket_id is a field");
    page.rows
        .iter()
        .map(|r| match &r.values[i] {
            Value::Str(s) => s.clone(),
            other => panic!("ticket id {other:?}"),
        })
        .collect()
}

#[test]
fn the_population_of_a_site_comes_page_by_page_in_storage_order() {
    let fx = Fixture::new();
    fx.import(&fx.write("tickets.csv", TICKETS), false);

    let all = fx.rows("h1", None, 100);
    assert_eq!(all.population, 4);
    assert_eq!(ids(&all), ["t1", "t4", "t5", "t7"]);
    assert_eq!(
        all.rows.iter().map(|r| r.position).collect::<Vec<_>>(),
        [0, 3, 4, 5]
    );
    assert_eq!(all.next, None, "one page holds them all");
    // Values are typed: t1 was called at 09:05 local, 01:05 UTC.
    let called = all
        .fields
        .iter()
        .position(|f| *f == "called_at")
        .expect("called_at");
    assert_eq!(all.rows[0].values[called], Value::Ts(1_788_743_100_000));
    assert_eq!(all.fields.len(), RecordKind::HallTicket.fields().len());

    // Two at a time: the cursor is the last position given.
    let first = fx.rows("h1", None, 2);
    assert_eq!(
        (ids(&first), first.next),
        (vec!["t1".into(), "t4".into()], Some(3))
    );
    let second = fx.rows("h1", first.next, 2);
    assert_eq!(
        (ids(&second), second.next),
        (vec!["t5".into(), "t7".into()], None)
    );
    assert_eq!(second.population, 4, "the population counts every page");

    // The other site has its own single ticket.
    assert_eq!(ids(&fx.rows("h2", None, 100)), ["t3"]);
}

#[test]
fn rows_a_replace_batch_takes_over_are_not_shown() {
    let fx = Fixture::new();
    fx.import(&fx.write("tickets.csv", TICKETS), false);
    fx.import(&fx.write("tickets-0908.csv", TICKETS_0908), true);
    // 09-08 now holds only t8, stored after the seven rows of the first batch's two files.
    let page = fx.rows("h1", None, 100);
    assert_eq!(ids(&page), ["t1", "t7", "t8"]);
    assert_eq!(page.rows[2].position, 7);
    assert_eq!(page.population, 3);
}
