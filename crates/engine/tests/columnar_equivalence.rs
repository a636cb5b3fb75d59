//! The columnar engine (`compute`) against core's row-by-row reference semantics
//! (`compute_reference`): on the hand-worked indicator fixtures, on a corrected re-send
//! (`--replace`), and on the generated demo organisation, every daily state of every
//! indicator and stratum, every row-problem count and every scanned-row count must be
//! identical, for months, day ranges and a quarter.

mod compare_common;

use chrono::NaiveDate;
use compare_common::{Loaded, load_demo, load_fixtures, resend_three_tickets};
use yardstick_core::guideline::default_guideline;
use yardstick_core::period::Period;
use yardstick_engine::compute::{compute, compute_reference};

/// Both engines on one period: identical states, problems and scanned rows.
async fn assert_same(l: &Loaded, period: &str) -> usize {
    let g = default_guideline().expect("default guideline");
    let p = Period::parse(period).expect("valid period");
    let fast = compute(&l.dir, &l.store, &g, &l.org, &p)
        .await
        .expect("columnar compute");
    let slow = compute_reference(&l.dir, &l.store, &g, &l.org, &p)
        .await
        .expect("reference compute");
    assert_eq!(
        fast.rows_scanned, slow.rows_scanned,
        "{period}: rows scanned"
    );
    assert_eq!(
        fast.row_problems, slow.row_problems,
        "{period}: row problems"
    );
    assert_eq!(fast.users, slow.users, "{period}: users");
    let keys_fast: Vec<_> = fast.daily.keys().collect();
    let keys_slow: Vec<_> = slow.daily.keys().collect();
    assert_eq!(keys_fast, keys_slow, "{period}: the same lines");
    for (k, days) in &slow.daily {
        assert_eq!(fast.daily.get(k), Some(days), "{period}: {k:?}");
    }
    slow.daily_states()
}

#[tokio::test]
async fn fixtures_give_identical_states_for_months_ranges_and_a_quarter() {
    let l = load_fixtures().await;
    // The fixtures hold rows of every indicator in March 2026: the comparison is not
    // vacuous.
    assert!(assert_same(&l, "2026-03").await > 50);
    assert_same(&l, "2026-Q1").await;
    assert_same(&l, "2026-03-02..2026-03-08").await;
    assert_same(&l, "2026-02").await;
}

#[tokio::test]
async fn a_replacing_batch_hides_the_same_rows_in_both_engines() {
    let l = load_fixtures().await;
    resend_three_tickets(&l).await;
    assert!(assert_same(&l, "2026-03").await > 50);
}

#[tokio::test]
async fn the_demo_organisation_gives_identical_states() {
    let end = NaiveDate::from_ymd_opt(2026, 10, 8).expect("valid day");
    let (_tmp, l) = load_demo(11, 12, end).await;
    // 27 September to 8 October: a period across a month edge, the National Day
    // holidays (working days) and each whole month.
    assert!(assert_same(&l, "2026-09-27..2026-10-08").await > 1_000);
    assert_same(&l, "2026-10").await;
    assert_same(&l, "2026-09").await;
}
