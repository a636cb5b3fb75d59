//! The DataFusion path (`compute_datafusion`, feature `datafusion`) against the columnar
//! engine: on the hand-worked indicator fixtures (with a `--replace` re-send) and on the
//! demo organisation, every daily state, row-problem count and scanned-row count must be
//! identical. Run by `.ci/run` with `--features datafusion`.
#![cfg(feature = "datafusion")]

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, TimeZone, Utc};
use yardstick_core::guideline::default_guideline;
use yardstick_core::org::Organisation;
use yardstick_core::period::Period;
use yardstick_core::records::RecordKind;
use yardstick_engine::compute::{compute, compute_datafusion};
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

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 10, 0, 0, 0)
        .single()
        .expect("valid instant")
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

async fn assert_same(l: &Loaded, period: &str) -> usize {
    let g = default_guideline().expect("default guideline");
    let p = Period::parse(period).expect("valid period");
    let native = compute(&l.dir, &l.store, &g, &l.org, &p)
        .await
        .expect("columnar compute");
    let df = compute_datafusion(&l.dir, &l.store, &g, &l.org, &p)
        .await
        .expect("DataFusion compute");
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

#[tokio::test]
async fn fixtures_and_a_replacing_batch_give_identical_states() {
    let l = load(&fixtures().join("org.toml")).await;
    for (kind, file) in [
        (RecordKind::HallTicket, "hall_ticket.csv"),
        (RecordKind::Contact, "contact.csv"),
        (RecordKind::WorkOrder, "work_order.csv"),
        (RecordKind::Complaint, "complaint.csv"),
        (RecordKind::Survey, "survey.csv"),
        (RecordKind::SubscriberBase, "subscriber_base.csv"),
        (RecordKind::AgentInterval, "agent_interval.csv"),
    ] {
        ingest(&l, kind, &fixtures().join(file), ImportOptions::default()).await;
    }
    assert!(assert_same(&l, "2026-03").await > 50);
    assert_same(&l, "2026-Q1").await;
    let src = std::fs::read_to_string(fixtures().join("hall_ticket.csv")).expect("fixture");
    let mut lines = src.lines();
    let header = lines.next().expect("header");
    let tmp = tempfile::tempdir().expect("temp dir");
    let resend = tmp.path().join("resend.csv");
    let body: Vec<&str> = lines.take(3).collect();
    std::fs::write(&resend, format!("{header}\n{}\n", body.join("\n"))).expect("written");
    let replace = ImportOptions {
        replace: true,
        strict: false,
    };
    ingest(&l, RecordKind::HallTicket, &resend, replace).await;
    assert!(assert_same(&l, "2026-03-01..2026-03-20").await > 50);
}

#[tokio::test]
async fn the_demo_organisation_gives_identical_states() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let end = NaiveDate::from_ymd_opt(2026, 10, 8).expect("valid day");
    let cfg = yardstick_demo::DemoConfig {
        seed: 5,
        days: 12,
        end,
    };
    yardstick_demo::generate(&cfg, tmp.path()).expect("demo generates");
    let l = load(&tmp.path().join("org.toml")).await;
    for kind in yardstick_demo::RECORD_KINDS {
        let k = RecordKind::parse(kind).expect("known kind");
        let file = tmp.path().join(format!("{kind}.csv"));
        ingest(&l, k, &file, ImportOptions::default()).await;
    }
    assert!(assert_same(&l, "2026-09-27..2026-10-08").await > 1_000);
}
