//! The application tests' shared harness: a fresh workspace per test on each metadata
//! backend at hand (SQLite in the data directory, the default; PostgreSQL when
//! `YARDSTICK_TEST_DATABASE_URL` names a server, a database of its own per workspace),
//! the demo generated for a short period, a small organisation whose figures can be
//! worked out by hand, and short-hands for the use cases the tests call.

#![allow(dead_code, reason = "each test file uses a part of the harness")]

pub mod xlsx;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use yardstick_app::evaluate::{Engine, EvaluateRequest, Evaluated, GuidelineChoice};
use yardstick_app::ingest::IngestRequest;
use yardstick_app::{Actor, Cancel, Config, Quiet, Result, Workspace};
use yardstick_core::evaluate::{Evaluation, LineResult};
use yardstick_core::period::Period;
use yardstick_core::records::RecordKind;
use yardstick_demo::{DemoConfig, DemoSummary};
use yardstick_engine::import::{ImportOptions, ImportReport};
use yardstick_store::Backend;
use yardstick_store::testing::TestDatabase;

/// A workspace of one test: its data directory and metadata database, removed when
/// dropped (the workspace's pool closes before its PostgreSQL database is dropped).
pub struct TestWorkspace {
    /// The workspace.
    pub ws: Workspace,
    /// How it was opened (to open it again, as a second process would).
    pub config: Config,
    /// Which backend holds its metadata.
    pub backend: Backend,
    /// The PostgreSQL database, dropped after the workspace.
    _db: Option<TestDatabase>,
    /// Holds the data directory and the test's input files.
    tmp: tempfile::TempDir,
}

impl TestWorkspace {
    /// The data directory.
    pub fn root(&self) -> &Path {
        &self.config.data_dir
    }

    /// A folder for the test's input files, outside the data directory.
    pub fn input(&self) -> PathBuf {
        let p = self.tmp.path().join("input");
        std::fs::create_dir_all(&p).expect("input folder");
        p
    }

    /// Writes an input file and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.input().join(name);
        std::fs::write(&p, text).expect("write input");
        p
    }

    /// The workspace opened again through its configuration: another handle on the same
    /// data directory and database, as another process has.
    pub async fn reopen(&self) -> Workspace {
        Workspace::open(&self.config).await.expect("reopen")
    }
}

impl std::fmt::Debug for TestWorkspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.backend)
    }
}

/// A fresh workspace on each backend at hand: SQLite always; PostgreSQL when
/// `YARDSTICK_TEST_DATABASE_URL` is set (otherwise that half is skipped, said on stderr).
pub async fn workspaces() -> Vec<TestWorkspace> {
    let mut out = vec![sqlite().await];
    match postgres().await {
        Some(w) => out.push(w),
        None => eprintln!(
            "note: {} is not set: the PostgreSQL half of this test is skipped (SQLite only)",
            yardstick_store::testing::DATABASE_URL_VAR
        ),
    }
    out
}

/// A fresh workspace with the default metadata database (SQLite in the data directory).
pub async fn sqlite() -> TestWorkspace {
    let tmp = tempfile::tempdir().expect("temp dir");
    let config = Config::new(tmp.path().join("data"));
    let (ws, report) = Workspace::init(&config).await.expect("init");
    assert!(report.created);
    TestWorkspace {
        ws,
        config,
        backend: Backend::Sqlite,
        _db: None,
        tmp,
    }
}

/// A fresh workspace on a PostgreSQL database of its own, when a server is named.
pub async fn postgres() -> Option<TestWorkspace> {
    let db = yardstick_store::testing::postgres().await?;
    let tmp = tempfile::tempdir().expect("temp dir");
    let config = Config {
        data_dir: tmp.path().join("data"),
        database: Some(db.url().clone()),
    };
    let (ws, report) = Workspace::init(&config).await.expect("init on PostgreSQL");
    assert!(report.created);
    assert!(
        !report.migrations.is_empty(),
        "init migrates a fresh database"
    );
    Some(TestWorkspace {
        ws,
        config,
        backend: Backend::Postgres,
        _db: Some(db),
        tmp,
    })
}

/// The demo for `days` days ending on 31 October 2026, so that quickstart's "last full
/// month" is October (the tests' periods are short: the debug build imports slowly).
pub fn demo_config(days: u32) -> DemoConfig {
    DemoConfig {
        seed: 42,
        days,
        end: date(2026, 10, 31),
    }
}

/// Generates the demo of October 2026 in full (31 days) into `out`.
pub fn generate_demo(out: &Path) -> DemoSummary {
    yardstick_app::demo::generate(&demo_config(31), out).expect("demo generated")
}

/// Loads the demo organisation from a generated demo folder.
pub async fn import_demo_org(ws: &Workspace, demo: &Path) {
    let path = demo.join(yardstick_demo::ORG_FILE);
    let text = std::fs::read_to_string(&path).expect("org.toml");
    ws.import_org(&Actor::System, "org.toml", &text)
        .await
        .expect("demo organisation");
}

/// A day.
pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

/// A period label.
pub fn period(label: &str) -> Period {
    Period::parse(label).expect("period")
}

/// Imports a file as the command line does (no observer, never cancelled).
pub async fn ingest(
    ws: &Workspace,
    kind: RecordKind,
    path: &Path,
    replace: bool,
) -> Result<ImportReport> {
    ws.ingest(
        &Actor::System,
        IngestRequest {
            kind,
            path: path.to_path_buf(),
            name: None,
            options: ImportOptions {
                strict: false,
                replace,
            },
        },
        Arc::new(Quiet),
        &Cancel::new(),
    )
    .await
}

/// An evaluation request under the built-in guideline with the default engine.
pub fn request(period_label: &str, scope: Option<&str>, freeze: bool) -> EvaluateRequest {
    EvaluateRequest {
        period: period(period_label),
        scope: scope.map(str::to_string),
        guideline: GuidelineChoice::Builtin,
        engine: Engine::Columnar,
        freeze,
    }
}

/// Evaluates as `actor`.
pub async fn evaluate(ws: &Workspace, actor: &Actor, req: EvaluateRequest) -> Result<Evaluated> {
    ws.evaluate(actor, req, &Cancel::new()).await
}

/// The indicator line of all records (stratum `""`) of a site in an evaluation.
pub fn line<'a>(ev: &'a Evaluation, site: &str, indicator: &str) -> &'a LineResult {
    ev.sites
        .iter()
        .find(|s| s.site == site)
        .unwrap_or_else(|| panic!("{site} not in the evaluation"))
        .lines
        .iter()
        .find(|l| l.indicator == indicator && l.stratum.is_empty())
        .unwrap_or_else(|| panic!("{indicator} not at {site}"))
}

/// The value of the indicator line of all records of a site in an evaluation.
pub fn line_value(ev: &Evaluation, site: &str, indicator: &str) -> f64 {
    line(ev, site, indicator)
        .value
        .unwrap_or_else(|| panic!("{indicator} at {site} has no value"))
}

/// Whether two figures agree to a millionth.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// Every file under the data directory's `records/`, `quarantine/` and `tmp/`, relative
/// to it: what an import leaves behind.
pub fn stored_files(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(
                    p.strip_prefix(root)
                        .unwrap_or(&p)
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    let mut out = Vec::new();
    for top in ["records", "quarantine", "tmp"] {
        walk(root, &root.join(top), &mut out);
    }
    out.sort();
    out
}

/// A small organisation: one operator, one province, two cities; three standard urban
/// halls (one peer group of three): `h1` and `h2` in city `c1`, `h3` in city `c2`; and
/// a call centre `cc1` in `c2`.
pub const SMALL_ORG: &str = r#"
[[node]]
id = "op"
level = "operator"
name_zh = "测试运营商"
name_en = "Test operator"

[[node]]
id = "p1"
parent = "op"
level = "province"
name_zh = "测试省"

[[node]]
id = "c1"
parent = "p1"
level = "city"
name_zh = "甲市"

[[node]]
id = "c2"
parent = "p1"
level = "city"
name_zh = "乙市"

[[site]]
id = "h1"
parent = "c1"
name_zh = "一号厅"
name_en = "Hall one"
scene = "hall"
area = "urban"
tier = "standard"

[[site]]
id = "h2"
parent = "c1"
name_zh = "二号厅"
name_en = "Hall two"
scene = "hall"
area = "urban"
tier = "standard"

[[site]]
id = "h3"
parent = "c2"
name_zh = "三号厅"
name_en = "Hall three"
scene = "hall"
area = "urban"
tier = "standard"

[[site]]
id = "cc1"
parent = "c2"
name_zh = "客服中心"
name_en = "Contact centre"
scene = "call_centre"
area = "urban"
tier = "standard"
"#;

/// Loads [`SMALL_ORG`].
pub async fn import_small_org(ws: &Workspace) {
    ws.import_org(&Actor::System, "org.toml", SMALL_ORG)
        .await
        .expect("small organisation");
}

/// The header of the hall-ticket files of these tests.
pub const TICKET_HEADER: &str =
    "site_id,ticket_id,service_type,issued_at,called_at,service_start_at,service_end_at,outcome";

/// A served hall ticket issued at `day` `hh:mm` local time and called `wait_min`
/// minutes later, served for 5 minutes.
pub fn ticket(site: &str, id: &str, day: &str, hh: u32, mm: u32, wait_min: u32) -> String {
    let at = |minutes: u32| {
        let t = hh * 60 + mm + minutes;
        format!("{day} {:02}:{:02}:00", t / 60, t % 60)
    };
    format!(
        "{site},{id},payment,{},{},{},{},served",
        at(0),
        at(wait_min),
        at(wait_min),
        at(wait_min + 5)
    )
}

/// A hall-ticket file of these rows.
pub fn tickets(rows: &[String]) -> String {
    let mut s = String::from(TICKET_HEADER);
    s.push('\n');
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// The delays, in milliseconds, after which a test drops a call to see what a caller
/// going away at that moment leaves: one millisecond longer each time (20 ms longer from
/// 100 ms on, so that a slow machine gets there too, up to 3 s) until a call ends before
/// its delay, `t` ms; then 24 more in the last four milliseconds before `t`, where the
/// call's writes happen.
#[derive(Debug, Default)]
pub struct DropDelays {
    next: u64,
    finished_at: Option<u64>,
    near_the_end: u64,
}

impl DropDelays {
    /// The next delay; `None` when done.
    pub fn next_delay(&mut self) -> Option<u64> {
        match self.finished_at {
            None if self.next > 3000 => None,
            None => {
                let d = self.next;
                self.next += if d < 100 { 1 } else { 20 };
                Some(d)
            }
            Some(t) if self.near_the_end < 24 => {
                self.near_the_end += 1;
                Some(t - 1 - self.near_the_end % t.min(4))
            }
            Some(_) => None,
        }
    }

    /// A call ended before its delay.
    pub fn finished(&mut self, delay: u64) {
        self.finished_at.get_or_insert(delay.max(1));
    }

    /// Whether any call ended before its delay.
    pub fn any_finished(&self) -> bool {
        self.finished_at.is_some()
    }
}
