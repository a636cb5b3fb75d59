//! Shared helpers of the engine-comparison tests: a data directory with an organisation,
//! imports that must commit, and the indicator fixture files.
#![allow(dead_code, reason = "each test binary uses a part")]

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use yardstick_core::org::Organisation;
use yardstick_core::records::RecordKind;
use yardstick_engine::import::{Destination, ImportOptions, ImportStatus, import_file};
use yardstick_engine::layout::DataDir;
use yardstick_store::{DatabaseUrl, Store};

/// The indicator fixtures' directory.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/indicators")
}

/// The fixture files and their kinds.
pub const FIXTURES: [(RecordKind, &str); 7] = [
    (RecordKind::HallTicket, "hall_ticket.csv"),
    (RecordKind::Contact, "contact.csv"),
    (RecordKind::WorkOrder, "work_order.csv"),
    (RecordKind::Complaint, "complaint.csv"),
    (RecordKind::Survey, "survey.csv"),
    (RecordKind::SubscriberBase, "subscriber_base.csv"),
    (RecordKind::AgentInterval, "agent_interval.csv"),
];

/// A data directory in a temporary directory, with its store and organisation.
pub struct Loaded {
    _tmp: tempfile::TempDir,
    pub dir: DataDir,
    pub store: Store,
    pub org: Organisation,
}

/// The import clock of these tests.
pub fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 10, 0, 0, 0)
        .single()
        .expect("valid instant")
}

/// A fresh data directory with the organisation of `org_file`.
pub async fn load(org_file: &Path) -> Loaded {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = DataDir::new(tmp.path());
    let store = Store::connect(&DatabaseUrl::Sqlite(dir.meta_db()))
        .await
        .expect("store opens");
    store.migrate().await.expect("store migrates");
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

/// Imports a file, which must commit.
pub async fn ingest(l: &Loaded, kind: RecordKind, file: &Path, opts: ImportOptions) {
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

/// Every fixture file imported into a fresh data directory.
pub async fn load_fixtures() -> Loaded {
    let l = load(&fixtures().join("org.toml")).await;
    for (kind, file) in FIXTURES {
        ingest(&l, kind, &fixtures().join(file), ImportOptions::default()).await;
    }
    l
}

/// Re-sends the first three hall tickets of the fixture with `--replace`: the batch
/// supersedes the (site, day) those rows cover.
pub async fn resend_three_tickets(l: &Loaded) {
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
    ingest(l, RecordKind::HallTicket, &resend, replace).await;
}

/// The demo organisation (`days` days ending `end`) generated and imported.
pub async fn load_demo(
    seed: u64,
    days: u32,
    end: chrono::NaiveDate,
) -> (tempfile::TempDir, Loaded) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let cfg = yardstick_demo::DemoConfig { seed, days, end };
    yardstick_demo::generate(&cfg, tmp.path()).expect("demo generates");
    let l = load(&tmp.path().join("org.toml")).await;
    for kind in yardstick_demo::RECORD_KINDS {
        let k = RecordKind::parse(kind).expect("known kind");
        let file = tmp.path().join(format!("{kind}.csv"));
        ingest(&l, k, &file, ImportOptions::default()).await;
    }
    (tmp, l)
}
