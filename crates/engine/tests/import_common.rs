//! Shared helpers of the importer tests (`import_*.rs` include this file with `#[path]`):
//! a data directory with committed batches kept in memory (`ledger.rs`, standing in for
//! the metadata database) and a small organisation, fixture paths, and readers for what
//! an import left behind (stored ids, quarantine rows, visible counts). Built alone as a
//! test target, it has no tests.

#![allow(
    dead_code,
    reason = "each test file uses a different subset of the helpers"
)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use yardstick_core::org::Organisation;
use yardstick_core::period::Period;
use yardstick_core::records::RecordKind;
use yardstick_engine::import::{
    ImportContext, ImportError, ImportOptions, ImportReport, ImportStatus, Imported, InstantWindow,
    SourceSpec, import_file, import_source,
};
use yardstick_engine::layout::DataDir;
use yardstick_engine::manifest::StoredFile;
use yardstick_engine::schema::id_field;

#[path = "ledger.rs"]
pub mod ledger;

use ledger::Ledger;

/// The organisation of every importer test: two halls (Shanghai and London time), a call
/// centre and a field centre under one city.
pub const ORG: &str = r#"
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
name_zh = "天河营业厅"
scene = "hall"
area = "urban"
tz = "Asia/Shanghai"

[[site]]
id = "h2"
parent = "gz"
name_zh = "伦敦营业厅"
scene = "hall"
area = "urban"
tz = "Europe/London"

[[site]]
id = "c1"
parent = "gz"
name_zh = "呼叫中心"
scene = "call_centre"
area = "urban"

[[site]]
id = "f1"
parent = "gz"
name_zh = "装维中心"
scene = "field_centre"
area = "rural"
"#;

/// A fresh data directory with its committed batches (none yet) and the organisation.
pub struct Env {
    pub tmp: tempfile::TempDir,
    pub dir: DataDir,
    pub ledger: RefCell<Ledger>,
    pub org: Organisation,
}

impl Default for Env {
    fn default() -> Env {
        Env::new()
    }
}

impl Env {
    pub fn new() -> Env {
        Env::with_org(ORG)
    }

    /// A fresh data directory and the organisation of `org` (TOML).
    pub fn with_org(org: &str) -> Env {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = DataDir::new(tmp.path().join("data"));
        std::fs::create_dir_all(dir.root()).expect("data dir");
        let org = Organisation::from_toml("org.toml", org).expect("valid organisation");
        Env {
            tmp,
            dir,
            ledger: RefCell::new(Ledger::default()),
            org,
        }
    }

    /// Writes a file of the test's own (outside the data directory).
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.tmp.path().join(name);
        std::fs::write(&p, bytes).expect("test file written");
        p
    }

    /// Imports against the committed batches, without committing: the engine's own
    /// outcome.
    pub fn import_raw(
        &self,
        kind: RecordKind,
        path: &Path,
        opts: ImportOptions,
    ) -> Result<Imported, ImportError> {
        let manifest = self.ledger.borrow().kind(kind);
        let cx = ImportContext {
            dir: &self.dir,
            org: &self.org,
            manifest: &manifest,
            accept: InstantWindow::default(),
        };
        import_file(&cx, kind, path, opts, &|_| {}, &AtomicBool::new(false))
    }

    /// Imports and settles the outcome as the application does: a prepared batch is
    /// committed, a file stored already reports the earlier batch.
    pub fn import(
        &self,
        kind: RecordKind,
        path: &Path,
        opts: ImportOptions,
    ) -> Result<ImportReport, ImportError> {
        let cancel = AtomicBool::new(false);
        self.ledger
            .borrow_mut()
            .settle(kind, opts.replace, |manifest| {
                let cx = ImportContext {
                    dir: &self.dir,
                    org: &self.org,
                    manifest,
                    accept: InstantWindow::default(),
                };
                import_file(&cx, kind, path, opts, &|_| {}, &cancel)
            })
    }

    /// Imports a file read as `spec` says (encoding, sheet, mapping) and settles the
    /// outcome as [`Env::import`] does.
    pub fn import_spec(
        &self,
        kind: RecordKind,
        path: &Path,
        spec: &SourceSpec,
        opts: ImportOptions,
    ) -> Result<ImportReport, ImportError> {
        let cancel = AtomicBool::new(false);
        self.ledger
            .borrow_mut()
            .settle(kind, opts.replace, |manifest| {
                let cx = ImportContext {
                    dir: &self.dir,
                    org: &self.org,
                    manifest,
                    accept: InstantWindow::default(),
                };
                import_source(&cx, kind, path, spec, opts, &|_| {}, &cancel)
            })
    }

    /// Imports and expects a committed batch whose accounting holds.
    pub fn import_ok(&self, kind: RecordKind, path: &Path) -> ImportReport {
        let r = self
            .import(kind, path, ImportOptions::default())
            .expect("file imported");
        assert_eq!(r.status, ImportStatus::Committed, "{r:?}");
        assert_accounting(&r);
        r
    }

    /// The committed files of a kind, as the manifest lists them.
    pub fn files(&self, kind: RecordKind) -> Vec<StoredFile> {
        self.ledger.borrow().kind(kind).files
    }

    /// Committed batches.
    pub fn batches(&self) -> usize {
        self.ledger.borrow().batches().len()
    }

    /// Every (site, id) stored for a kind, read back from the committed Parquet files,
    /// in storage order.
    pub fn stored_ids(&self, kind: RecordKind) -> Vec<(String, String)> {
        let id = id_field(kind).expect("kind has ids");
        let mut out = Vec::new();
        for f in self.files(kind) {
            out.extend(
                yardstick_engine::compute::read_id_pairs(&self.dir, &f, id)
                    .expect("stored file reads"),
            );
        }
        out
    }

    /// Ids stored for a kind, sorted.
    pub fn stored_id_list(&self, kind: RecordKind) -> Vec<String> {
        let mut ids: Vec<String> = self
            .stored_ids(kind)
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        ids.sort();
        ids
    }

    /// Visible rows of a kind in a period, as the indicator computation sees them (rows
    /// superseded by `--replace` are not visible).
    pub fn visible(&self, kind: RecordKind, period: &str) -> u64 {
        let g = yardstick_core::guideline::default_guideline().expect("default guideline");
        let p = Period::parse(period).expect("period");
        let manifest = self.ledger.borrow().manifest();
        let c = yardstick_engine::compute::compute(&self.dir, &manifest, &g, &self.org, &p)
            .expect("compute");
        c.rows_scanned.get(kind.as_str()).copied().unwrap_or(0)
    }

    /// Every file under the records directory (committed or not).
    pub fn record_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        walk(&self.dir.root().join("records"), &mut out);
        out.sort();
        out
    }

    /// Every file under the quarantine directory.
    pub fn quarantine_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        walk(&self.dir.root().join("quarantine"), &mut out);
        out.sort();
        out
    }

    /// Every file and directory under the temporary directory.
    pub fn scratch_entries(&self) -> usize {
        std::fs::read_dir(self.dir.scratch_root()).map_or(0, Iterator::count)
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

pub fn assert_accounting(r: &ImportReport) {
    assert_eq!(
        r.rows_stored + r.rows_quarantined + r.rows_not_stored,
        r.rows_read,
        "stored + quarantined + not stored = read: {r:?}"
    );
    // Rows skipped by a mapping's filters are among those not stored, counted by rule.
    assert_eq!(r.ignored.values().sum::<u64>(), r.rows_ignored, "{r:?}");
    assert!(r.rows_ignored <= r.rows_not_stored, "{r:?}");
}

/// One row of a quarantine CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRow {
    pub line: u64,
    pub reasons: String,
    pub original: String,
}

pub fn quarantine(r: &ImportReport) -> Vec<QuarantineRow> {
    let Some(q) = &r.quarantine_file else {
        return Vec::new();
    };
    let mut rdr = csv::Reader::from_path(q).expect("quarantine file opens");
    let header = rdr.headers().expect("quarantine header").clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        ["line", "reasons", "original"]
    );
    rdr.records()
        .map(|rec| {
            let rec = rec.expect("quarantine row");
            QuarantineRow {
                line: rec[0].parse().expect("line number"),
                reasons: rec[1].to_string(),
                original: rec[2].to_string(),
            }
        })
        .collect()
}

/// Line `n` (1-based) of a text file, without its terminator and without a leading BOM.
pub fn line_of(path: &Path, n: u64) -> String {
    let text = String::from_utf8(std::fs::read(path).expect("file reads")).expect("UTF-8");
    let text = text.trim_start_matches('\u{feff}');
    let idx = usize::try_from(n - 1).expect("small line number");
    text.split('\n')
        .nth(idx)
        .unwrap_or_else(|| panic!("{} has no line {n}", path.display()))
        .trim_end_matches('\r')
        .to_string()
}

/// Reason counts as the report gives them, from (code, count) pairs.
pub fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (code, n) in pairs {
        *out.entry((*code).to_string()).or_default() += n;
    }
    out
}
