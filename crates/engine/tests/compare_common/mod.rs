//! Shared helpers of the engine-comparison tests: a data directory with an organisation
//! and its committed batches (kept in memory, `ledger.rs`), imports that must commit,
//! and the indicator fixture files.
#![allow(dead_code, reason = "each test binary uses a part")]

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use yardstick_core::org::Organisation;
use yardstick_core::records::RecordKind;
use yardstick_engine::import::{
    ImportContext, ImportOptions, ImportStatus, InstantWindow, import_file,
};
use yardstick_engine::layout::DataDir;
use yardstick_engine::manifest::Manifest;

#[path = "../ledger.rs"]
pub mod ledger;

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

/// A data directory in a temporary directory, with its committed batches and
/// organisation.
pub struct Loaded {
    _tmp: tempfile::TempDir,
    pub dir: DataDir,
    pub ledger: RefCell<ledger::Ledger>,
    pub org: Organisation,
}

impl Loaded {
    /// The manifest of every kind.
    pub fn manifest(&self) -> Manifest {
        self.ledger.borrow().manifest()
    }
}

/// A fresh data directory with the organisation of `org_file`.
pub fn load(org_file: &Path) -> Loaded {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = DataDir::new(tmp.path());
    let src = std::fs::read_to_string(org_file).expect("org readable");
    let org = Organisation::from_toml("org.toml", &src).expect("org valid");
    Loaded {
        _tmp: tmp,
        dir,
        ledger: RefCell::new(ledger::Ledger::default()),
        org,
    }
}

/// Imports a file, which must commit.
pub fn ingest(l: &Loaded, kind: RecordKind, file: &Path, opts: ImportOptions) {
    let r = l
        .ledger
        .borrow_mut()
        .settle(kind, opts.replace, |manifest| {
            let cx = ImportContext {
                dir: &l.dir,
                org: &l.org,
                manifest,
                accept: InstantWindow::default(),
            };
            import_file(&cx, kind, file, opts, &|_| {}, &AtomicBool::new(false))
        })
        .expect("imports");
    assert_eq!(r.status, ImportStatus::Committed, "{}", file.display());
}

/// Every fixture file imported into a fresh data directory.
pub fn load_fixtures() -> Loaded {
    let l = load(&fixtures().join("org.toml"));
    for (kind, file) in FIXTURES {
        ingest(&l, kind, &fixtures().join(file), ImportOptions::default());
    }
    l
}

/// Re-sends the first three hall tickets of the fixture with `--replace`: the batch
/// supersedes the (site, day) those rows cover.
pub fn resend_three_tickets(l: &Loaded) {
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
    ingest(l, RecordKind::HallTicket, &resend, replace);
}

/// The demo organisation (`days` days ending `end`) generated and imported.
pub fn load_demo(seed: u64, days: u32, end: chrono::NaiveDate) -> (tempfile::TempDir, Loaded) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let cfg = yardstick_demo::DemoConfig { seed, days, end };
    yardstick_demo::generate(&cfg, tmp.path()).expect("demo generates");
    let l = load(&tmp.path().join("org.toml"));
    for kind in yardstick_demo::RECORD_KINDS {
        let k = RecordKind::parse(kind).expect("known kind");
        let file = tmp.path().join(format!("{kind}.csv"));
        ingest(&l, k, &file, ImportOptions::default());
    }
    (tmp, l)
}
