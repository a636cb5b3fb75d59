//! The DataFusion path (`compute_datafusion`, feature `datafusion`) against the columnar
//! engine: on the hand-worked indicator fixtures (with a `--replace` re-send) and on the
//! demo organisation, every daily state, row-problem count and scanned-row count must be
//! identical. Run by `.ci/run` with `--features datafusion`.
#![cfg(feature = "datafusion")]

mod compare_common;

use chrono::NaiveDate;
use compare_common::{Loaded, load_demo, load_fixtures, resend_three_tickets};
use yardstick_core::guideline::default_guideline;
use yardstick_core::period::Period;
use yardstick_engine::compute::{compute, compute_datafusion};

fn assert_same(l: &Loaded, period: &str) -> usize {
    let g = default_guideline().expect("default guideline");
    let p = Period::parse(period).expect("valid period");
    let native = compute(&l.dir, &l.manifest(), &g, &l.org, &p).expect("columnar compute");
    let df = compute_datafusion(&l.dir, &l.manifest(), &g, &l.org, &p).expect("DataFusion compute");
    assert_eq!(
        df.rows_scanned, native.rows_scanned,
        "{period}: rows scanned"
    );
    assert_eq!(
        df.row_problems, native.row_problems,
        "{period}: row problems"
    );
    let a: Vec<_> = df.daily.keys().collect();
    let b: Vec<_> = native.daily.keys().collect();
    assert_eq!(a, b, "{period}: the same lines");
    for (k, days) in &native.daily {
        assert_eq!(df.daily.get(k), Some(days), "{period}: {k:?}");
    }
    native.daily_states()
}

#[test]
fn fixtures_and_a_replacing_batch_give_identical_states() {
    let l = load_fixtures();
    assert!(assert_same(&l, "2026-03") > 50);
    assert_same(&l, "2026-Q1");
    resend_three_tickets(&l);
    assert!(assert_same(&l, "2026-03-01..2026-03-20") > 50);
}

#[test]
fn the_demo_organisation_gives_identical_states() {
    let end = NaiveDate::from_ymd_opt(2026, 10, 8).expect("valid day");
    let (_tmp, l) = load_demo(5, 12, end);
    assert!(assert_same(&l, "2026-09-27..2026-10-08") > 1_000);
}
