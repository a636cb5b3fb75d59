//! The columnar engine (`compute`) against core's row-by-row reference semantics
//! (`compute_reference`): on the hand-worked indicator fixtures, on a corrected re-send
//! (`--replace`), and on the generated demo organisation, every daily state of every
//! indicator and stratum, every row-problem count and every scanned-row count must be
//! identical, for months, day ranges and a quarter.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, TimeZone, Utc};
use yardstick_core::guideline::default_guideline;
use yardstick_core::org::Organisation;
use yardstick_core::period::Period;
use yardstick_core::records::RecordKind;
use yardstick_engine::compute::{compute, compute_reference};
use yardstick_engine::import::{Destination, ImportOptions, ImportStatus, import_file};
use yardstick_engine::layout::DataDir;
use yardstick_store::Store;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/indicators")
}

struct Loaded {
    _tmp: tempfile::TempDir,
    dir: DataDir,
    store: Store,
    org: Organisation,
}

async fn load(org_file: &Path) -> Loaded {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = DataDir::new(tmp.path());
    let store = Store::open(&dir.meta_db()).await.expect("store opens");
    let src = std::fs::read_to_string(org_file).expect("org readable");
    let org = Organisation::from_toml("org.toml", &src).expect("org valid");
    store
        .put_org("org.toml", &src, &org, now())
        .await
        .expect("org stored");
    Loaded {
        _tmp: tmp,
        dir,
        store,
        org,
    }
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 10, 0, 0, 0)
        .single()
        .expect("valid instant")
}

async fn ingest(l: &Loaded, kind: RecordKind, file: &Path, opts: ImportOptions) {
    let to = Destination {
        dir: &l.dir,
        store: &l.store,
        org: &l.org,
    };
    let r = import_file(&to, kind, file, opts, now(), &mut |_| {})
        .await
        .expect("imports");
    assert_eq!(r.status, ImportStatus::Committed, "{}", file.display());
}

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

const FIXTURES: [(RecordKind, &str); 7] = [
    (RecordKind::HallTicket, "hall_ticket.csv"),
    (RecordKind::Contact, "contact.csv"),
    (RecordKind::WorkOrder, "work_order.csv"),
    (RecordKind::Complaint, "complaint.csv"),
    (RecordKind::Survey, "survey.csv"),
    (RecordKind::SubscriberBase, "subscriber_base.csv"),
    (RecordKind::AgentInterval, "agent_interval.csv"),
];

#[tokio::test]
async fn fixtures_give_identical_states_for_months_ranges_and_a_quarter() {
    let l = load(&fixtures().join("org.toml")).await;
    for (kind, file) in FIXTURES {
        ingest(&l, kind, &fixtures().join(file), ImportOptions::default()).await;
    }
    // The fixtures hold rows of every indicator in March 2026: the comparison is not
    // vacuous.
    assert!(assert_same(&l, "2026-03").await > 50);
    assert_same(&l, "2026-Q1").await;
    assert_same(&l, "2026-03-02..2026-03-08").await;
    assert_same(&l, "2026-02").await;
}

#[tokio::test]
async fn a_replacing_batch_hides_the_same_rows_in_both_engines() {
    let l = load(&fixtures().join("org.toml")).await;
    for (kind, file) in FIXTURES {
        ingest(&l, kind, &fixtures().join(file), ImportOptions::default()).await;
    }
    // A corrected re-send of the first three hall tickets of the fixture, with a later
    // call time: it supersedes the whole (site, day) those rows cover.
    let src = std::fs::read_to_string(fixtures().join("hall_ticket.csv")).expect("fixture");
    let mut lines = src.lines();
    let header = lines.next().expect("header");
    let tmp = tempfile::tempdir().expect("temp dir");
    let resend = tmp.path().join("resend.csv");
    let body: Vec<&str> = lines.take(3).collect();
    std::fs::write(&resend, format!("{header}\n{}\n", body.join("\n"))).expect("written");
    ingest(
        &l,
        RecordKind::HallTicket,
        &resend,
        ImportOptions {
            replace: true,
            strict: false,
        },
    )
    .await;
    assert!(assert_same(&l, "2026-03").await > 50);
}

#[tokio::test]
async fn the_demo_organisation_gives_identical_states() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let end = NaiveDate::from_ymd_opt(2026, 10, 8).expect("valid day");
    let cfg = yardstick_demo::DemoConfig {
        seed: 11,
        days: 12,
        end,
    };
    yardstick_demo::generate(&cfg, tmp.path()).expect("demo generates");
    let l = load(&tmp.path().join("org.toml")).await;
    for kind in yardstick_demo::RECORD_KINDS {
        let k = RecordKind::parse(kind).expect("known kind");
        ingest(
            &l,
            k,
            &tmp.path().join(format!("{kind}.csv")),
            ImportOptions::default(),
        )
        .await;
    }
    // 27 September to 8 October: a period across a month edge, the National Day
    // holidays (working days) and each whole month.
    assert!(assert_same(&l, "2026-09-27..2026-10-08").await > 1_000);
    assert_same(&l, "2026-10").await;
    assert_same(&l, "2026-09").await;
}
