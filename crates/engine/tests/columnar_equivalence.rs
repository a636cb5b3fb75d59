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
fn assert_same(l: &Loaded, period: &str) -> usize {
    let g = default_guideline().expect("default guideline");
    let p = Period::parse(period).expect("valid period");
    let fast = compute(&l.dir, &l.manifest(), &g, &l.org, &p).expect("columnar compute");
    let slow = compute_reference(&l.dir, &l.manifest(), &g, &l.org, &p).expect("reference compute");
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

#[test]
fn fixtures_give_identical_states_for_months_ranges_and_a_quarter() {
    let l = load_fixtures();
    // The fixtures hold rows of every indicator in March 2026: the comparison is not
    // vacuous.
    assert!(assert_same(&l, "2026-03") > 50);
    assert_same(&l, "2026-Q1");
    assert_same(&l, "2026-03-02..2026-03-08");
    assert_same(&l, "2026-02");
}

#[test]
fn a_replacing_batch_hides_the_same_rows_in_both_engines() {
    let l = load_fixtures();
    resend_three_tickets(&l);
    assert!(assert_same(&l, "2026-03") > 50);
}

#[test]
fn the_demo_organisation_gives_identical_states() {
    let end = NaiveDate::from_ymd_opt(2026, 10, 8).expect("valid day");
    let (_tmp, l) = load_demo(11, 12, end);
    // 27 September to 8 October: a period across a month edge, the National Day
    // holidays (working days) and each whole month.
    assert!(assert_same(&l, "2026-09-27..2026-10-08") > 1_000);
    assert_same(&l, "2026-10");
    assert_same(&l, "2026-09");
}

/// The header of a contact file with the fixtures' columns.
const CONTACT_HEADER: &str = "site_id,contact_id,channel,queue,ivr_entry_at,ivr_exit_at,queue_entry_at,answered_at,abandoned_at,first_reply_at,end_at,outcome,agent_id,talk_s,hold_s,acw_s,customer_key,issue_class,qa_score\n";

/// Imports contact records (CSV text with its header), which must commit.
fn ingest_contacts(l: &Loaded, csv: &str) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("contact.csv");
    std::fs::write(&file, csv).expect("written");
    compare_common::ingest(
        l,
        yardstick_core::records::RecordKind::Contact,
        &file,
        yardstick_engine::import::ImportOptions::default(),
    );
}

#[test]
fn a_repeat_in_a_later_row_group_of_the_next_month_is_still_seen() {
    // Contacts at cc-1 (UTC+8), all answered, with a customer and an issue class.
    // October: A (customer r1, billing) on 31 October and B (r2, billing) on 10 October.
    // November: 65 536 contacts of other customers on 1 November fill the file's first
    // row group, then C (r1, billing) on 5 November starts the second. That row group
    // cannot hold a row of October (its earliest instant is past 3 November), so the
    // October scan skips it; but C is inside A's 7-day window, so the repeat flags must
    // still read it.
    // CC-05 for October: 2 answered contacts with keys, A repeated within 7 days, B not
    // → 1 of 2 without a repeat.
    let l = compare_common::load(&compare_common::fixtures().join("org.toml"));
    let row = |id: &str, at: &str, customer: &str| {
        format!(
            "cc-1,{id},voice,general,,,{at}:00+08:00,{at}:15+08:00,,,{at}:30+08:00,answered,a1,15,0,0,{customer},billing,\n"
        )
    };
    let mut csv = String::from(CONTACT_HEADER);
    csv.push_str(&row("b", "2025-10-10T10:00", "r2"));
    csv.push_str(&row("a", "2025-10-31T10:00", "r1"));
    for i in 0..65_536 {
        let at = format!("2025-11-01T{:02}:{:02}", 8 + i / 6_000, i / 100 % 60);
        csv.push_str(&row(&format!("f{i}"), &at, &format!("x{i}")));
    }
    csv.push_str(&row("c", "2025-11-05T10:00", "r1"));
    ingest_contacts(&l, &csv);
    // The layout the test relies on: a November row group whose earliest queue entry
    // is C's, 5 November 10:00 +08:00 = 02:00 UTC.
    let c_ms = chrono::DateTime::parse_from_rfc3339("2025-11-05T10:00:00+08:00")
        .expect("instant")
        .timestamp_millis();
    let files = l
        .ledger
        .borrow()
        .kind(yardstick_core::records::RecordKind::Contact)
        .files;
    let november = files
        .iter()
        .find(|f| f.month == "2025-11")
        .expect("a November file");
    let meta = parquet::file::reader::SerializedFileReader::new(
        std::fs::File::open(l.dir.abs(&november.path)).expect("open"),
    )
    .expect("footer");
    let firsts: Vec<Option<i64>> = parquet::file::reader::FileReader::metadata(&meta)
        .row_groups()
        .iter()
        .map(|rg| {
            let c = rg
                .columns()
                .iter()
                .find(|c| c.column_path().string() == "queue_entry_at")
                .expect("column");
            match c.statistics() {
                Some(parquet::file::statistics::Statistics::Int64(s)) => s.min_opt().copied(),
                _ => None,
            }
        })
        .collect();
    assert!(firsts.contains(&Some(c_ms)), "{firsts:?}");

    let g = default_guideline().expect("default guideline");
    let p = Period::parse("2025-10").expect("valid period");
    let fast = compute(&l.dir, &l.manifest(), &g, &l.org, &p).expect("columnar compute");
    let (mut rows, mut hits) = (0, 0);
    for (k, days) in &fast.daily {
        if k.site == "cc-1" && k.indicator == "CC-05" && k.stratum.is_empty() {
            for s in days.values() {
                rows += s.n;
                hits += s.hits;
            }
        }
    }
    assert_eq!((rows, hits), (2, 1));
    assert_same(&l, "2025-10");
    assert_same(&l, "2025-10-30..2025-11-02");
}

#[test]
fn a_site_whose_zone_changed_since_import_keeps_its_rows_at_the_month_edge() {
    // cc-1 is first in New York: a contact at 20:00 on 30 September New York time
    // (UTC−4) is stored in the September file. The site then moves to Shanghai
    // (UTC+8), where that instant, 00:00 UTC on 1 October, is 08:00 on 1 October: the
    // contact belongs to October, and both engines must find it in September's file.
    let shanghai =
        std::fs::read_to_string(compare_common::fixtures().join("org.toml")).expect("org readable");
    let new_york = shanghai.replacen(
        "tz = \"Asia/Shanghai\"",
        "tz = \"America/New_York\"",
        usize::MAX,
    );
    let tmp = tempfile::tempdir().expect("temp dir");
    let org_file = tmp.path().join("org.toml");
    std::fs::write(&org_file, &new_york).expect("written");
    let mut l = compare_common::load(&org_file);
    ingest_contacts(
        &l,
        &format!(
            "{CONTACT_HEADER}cc-1,edge,voice,general,,,2025-09-30T20:00:00-04:00,\
             2025-09-30T20:00:15-04:00,,,2025-09-30T20:01:00-04:00,answered,a1,45,0,0,r1,billing,\n"
        ),
    );
    let files = l
        .ledger
        .borrow()
        .kind(yardstick_core::records::RecordKind::Contact)
        .files;
    assert_eq!(
        files.iter().map(|f| f.month.as_str()).collect::<Vec<_>>(),
        ["2025-09"]
    );
    l.org = yardstick_core::org::Organisation::from_toml("org.toml", &shanghai).expect("org");
    let g = default_guideline().expect("default guideline");
    let p = Period::parse("2025-10").expect("valid period");
    let fast = compute(&l.dir, &l.manifest(), &g, &l.org, &p).expect("columnar compute");
    assert_eq!(fast.rows_scanned.get("contact"), Some(&1));
    assert_same(&l, "2025-10");
    // And September no longer has it.
    let p = Period::parse("2025-09").expect("valid period");
    let fast = compute(&l.dir, &l.manifest(), &g, &l.org, &p).expect("columnar compute");
    assert_eq!(fast.rows_scanned.get("contact").copied().unwrap_or(0), 0);
}
