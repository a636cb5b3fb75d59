//! Importing canonical CSV and JSON Lines files into the columnar store.
//!
//! Rows stream through: each is parsed and checked (types, required fields, enumerations,
//! ranges, time order, site exists and its scene fits the kind, duplicate ids). Valid rows
//! go to Parquet files per month, invalid ones to a quarantine CSV with the line number,
//! the original line and every reason. Files are written under temporary names, made
//! durable, renamed, and only then is the batch committed in the manifest in one
//! transaction: an import killed at any moment leaves no visible partial batch.
//! Accounting always holds: stored + quarantined = read.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use sha2::{Digest, Sha256};
use yardstick_core::expr::Value;
use yardstick_core::org::Organisation;
use yardstick_core::records::{FieldDef, RecordKind};
use yardstick_store::{NewBatch, Store, StoreError};

use crate::layout::DataDir;
use crate::parse;
use crate::schema::{self, anchor_fields, id_field, required_scene, stored_fields};

mod writer;
use writer::PartitionWriter;

/// Import options.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Store nothing if any row is invalid.
    pub strict: bool,
    /// Replace what earlier batches hold for the same kind, site and day.
    pub replace: bool,
}

/// Where imported rows go: the data directory, its metadata store, and the
/// organisation rows are checked against.
#[derive(Clone, Copy)]
pub struct Destination<'a> {
    /// Data directory.
    pub dir: &'a DataDir,
    /// Metadata store.
    pub store: &'a Store,
    /// Organisation.
    pub org: &'a Organisation,
}

/// What happened to a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Stored as a new batch.
    Committed,
    /// The same content was already imported as this batch; nothing changed.
    AlreadyImported(i64),
    /// `--strict` and some rows were invalid: nothing stored.
    RejectedStrict,
}

/// The import report. `rows_stored + rows_quarantined == rows_read` always.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// Record kind.
    pub kind: String,
    /// File imported.
    pub file: String,
    /// Outcome.
    pub status: ImportStatus,
    /// Batch id when committed.
    pub batch: Option<i64>,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows stored.
    pub rows_stored: u64,
    /// Rows quarantined (including duplicates).
    pub rows_quarantined: u64,
    /// Rows quarantined as duplicate ids.
    pub duplicates: u64,
    /// Quarantined rows by reason (a row with several reasons counts under each).
    pub reasons: BTreeMap<String, u64>,
    /// Quarantine file, when rows were quarantined.
    pub quarantine_file: Option<String>,
    /// Columns of the file that are not fields of the kind (ignored).
    pub ignored_columns: Vec<String>,
    /// Parquet files written.
    pub files: Vec<String>,
}

/// A whole-file problem: nothing is stored.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not UTF-8.
    #[error(
        "{path}: not UTF-8 text (first bad byte on line {line}); convert it to UTF-8 and import again"
    )]
    NotUtf8 {
        /// Path.
        path: String,
        /// Line.
        line: u64,
    },
    /// Required columns are missing.
    #[error(
        "{path}: missing required column(s) {missing} for kind `{kind}`; found columns: {found}"
    )]
    MissingColumns {
        /// Path.
        path: String,
        /// Kind.
        kind: String,
        /// Missing.
        missing: String,
        /// Found.
        found: String,
    },
    /// The file's shape is broken (not CSV or JSON Lines).
    #[error("{path}: line {line}: {message}")]
    Malformed {
        /// Path.
        path: String,
        /// Line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The format is unknown.
    #[error("{0}: unknown file type; expected .csv, .jsonl or .ndjson")]
    UnknownFormat(String),
    /// Writing Parquet failed.
    #[error("writing Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Building Arrow arrays failed.
    #[error("building Arrow arrays: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// The metadata store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One data row as text cells aligned with the kind's stored fields.
struct RawRow {
    line: u64,
    cells: Vec<Option<String>>,
    original: String,
}

/// Everything needed to check rows against the organisation.
struct Checker<'a> {
    kind: RecordKind,
    fields: Vec<&'static FieldDef>,
    org: &'a Organisation,
    tz: HashMap<String, Tz>,
}

/// A checked row: typed values or every reason it was rejected.
enum Checked {
    Valid {
        values: Vec<Value>,
        site: String,
        month: String,
        day: String,
        key: Option<u128>,
    },
    Invalid(Vec<(String, String)>),
}

/// Imports one file.
///
/// # Errors
/// Whole-file problems (unreadable, not UTF-8, missing required columns, broken shape)
/// and store or write failures; then nothing is stored.
pub async fn import_file(
    to: &Destination<'_>,
    kind: RecordKind,
    path: &Path,
    opts: ImportOptions,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, ImportError> {
    let Destination { dir, store, org } = *to;
    let file_label = path.display().to_string();
    let hash = hash_file(path)?;
    if let Some(b) = store.batch_by_hash(kind.as_str(), &hash).await? {
        return Ok(empty_report(
            kind,
            &file_label,
            ImportStatus::AlreadyImported(b),
            count_rows(path)?,
        ));
    }
    let batch = store.next_batch_id().await?;
    let existing = existing_keys(dir, store, kind).await?;
    let checker = Checker::new(kind, org);
    let mut run = Run::new(dir, kind, batch, existing);
    let ignored = read_rows(path, kind, &mut |row| run.take(&checker, row), progress)?;
    run.finish_writers()?;
    let mut report = run.report(kind, &file_label, ignored);
    if opts.strict && report.rows_quarantined > 0 {
        run.discard();
        report.status = ImportStatus::RejectedStrict;
        report.batch = None;
        report.files.clear();
        report.rows_stored = 0;
        return Ok(report);
    }
    let report_json = serde_json::to_string(&report).unwrap_or_default();
    let new = NewBatch {
        kind: kind.as_str().to_string(),
        file_name: file_label,
        content_hash: hash,
        replace: opts.replace,
        rows_read: report.rows_read,
        rows_stored: report.rows_stored,
        rows_quarantined: report.rows_quarantined,
        duplicates: report.duplicates,
        report_json,
        files: run.files.clone(),
        coverage: run.coverage.iter().cloned().collect(),
    };
    store.commit_batch(batch, &new, now).await?;
    Ok(report)
}

fn empty_report(kind: RecordKind, file: &str, status: ImportStatus, rows: u64) -> ImportReport {
    ImportReport {
        kind: kind.as_str().to_string(),
        file: file.to_string(),
        status,
        batch: None,
        rows_read: rows,
        rows_stored: 0,
        rows_quarantined: 0,
        duplicates: 0,
        reasons: BTreeMap::new(),
        quarantine_file: None,
        ignored_columns: Vec::new(),
        files: Vec::new(),
    }
    .with_already_counted()
}

impl ImportReport {
    /// An already-imported file's rows are all stored (by the earlier batch).
    fn with_already_counted(mut self) -> ImportReport {
        if matches!(self.status, ImportStatus::AlreadyImported(_)) {
            self.rows_stored = self.rows_read;
        }
        self
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ImportError + '_ {
    move |source| ImportError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn hash_file(path: &Path) -> Result<String, ImportError> {
    let mut f = File::open(path).map_err(io(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn count_rows(path: &Path) -> Result<u64, ImportError> {
    let f = File::open(path).map_err(io(path))?;
    let lines = BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter(|l| !l.trim().is_empty())
        .count() as u64;
    Ok(if is_csv(path) {
        lines.saturating_sub(1)
    } else {
        lines
    })
}

fn is_csv(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// 128-bit key of (site, record id), for duplicate detection in bounded memory.
fn key(site: &str, id: &str) -> u128 {
    let mut a = DefaultHasher::new();
    (0u8, site, id).hash(&mut a);
    let mut b = DefaultHasher::new();
    (1u8, id, site).hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

/// Keys of every record of this kind already stored, so re-sent rows count once.
async fn existing_keys(
    dir: &DataDir,
    store: &Store,
    kind: RecordKind,
) -> Result<HashMap<u128, i64>, ImportError> {
    let mut out = HashMap::new();
    let Some(id) = id_field(kind) else {
        return Ok(out);
    };
    for f in store.files(kind.as_str()).await? {
        for (site, rid) in crate::compute::read_id_pairs(&dir.abs(&f.path), id)? {
            out.insert(key(&site, &rid), f.batch_id);
        }
    }
    Ok(out)
}

/// Reads the file row by row, calling `take` for each; returns the ignored columns.
fn read_rows(
    path: &Path,
    kind: RecordKind,
    take: &mut dyn FnMut(RawRow) -> Result<(), ImportError>,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<String>, ImportError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" => read_csv(path, kind, take, progress),
        "jsonl" | "ndjson" => read_jsonl(path, kind, take, progress),
        _ => Err(ImportError::UnknownFormat(path.display().to_string())),
    }
}

fn columns(
    path: &Path,
    kind: RecordKind,
    header: &[String],
) -> Result<(Vec<Option<usize>>, Vec<String>), ImportError> {
    let fields = stored_fields(kind);
    let index: Vec<Option<usize>> = fields
        .iter()
        .map(|f| header.iter().position(|h| h.trim() == f.name))
        .collect();
    let missing: Vec<&str> = fields
        .iter()
        .zip(&index)
        .filter(|(f, i)| f.required && i.is_none())
        .map(|(f, _)| f.name)
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns {
            path: path.display().to_string(),
            kind: kind.as_str().to_string(),
            missing: missing.join(", "),
            found: header.join(", "),
        });
    }
    let ignored = header
        .iter()
        .filter(|h| !h.trim().is_empty() && !fields.iter().any(|f| f.name == h.trim()))
        .cloned()
        .collect();
    Ok((index, ignored))
}

fn read_csv(
    path: &Path,
    kind: RecordKind,
    take: &mut dyn FnMut(RawRow) -> Result<(), ImportError>,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<String>, ImportError> {
    let file = File::open(path).map_err(io(path))?;
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let label = path.display().to_string();
    let header: Vec<String> = match rdr.headers() {
        Ok(h) => h
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').to_string())
            .collect(),
        Err(e) => return Err(csv_error(&label, &e)),
    };
    let (index, ignored) = columns(path, kind, &header)?;
    let mut rec = csv::StringRecord::new();
    let mut n = 0u64;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(&label, &e)),
        }
        let line = rec.position().map_or(0, csv::Position::line);
        let cells = index
            .iter()
            .map(|i| i.and_then(|i| rec.get(i)).map(str::to_string))
            .collect();
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        let original = match w.write_record(&rec).ok().and_then(|()| w.into_inner().ok()) {
            Some(bytes) => String::from_utf8_lossy(&bytes).trim_end().to_string(),
            None => rec.iter().collect::<Vec<_>>().join(","),
        };
        let mut row = RawRow {
            line,
            cells,
            original,
        };
        if rec.len() != header.len() {
            row.cells.push(Some(format!(
                "\u{0}row has {} cells, header has {}",
                rec.len(),
                header.len()
            )));
        }
        take(row)?;
        n += 1;
        if n.is_multiple_of(65_536) {
            progress(rec.position().map_or(0, csv::Position::byte));
        }
    }
    progress(std::fs::metadata(path).map_or(0, |m| m.len()));
    Ok(ignored)
}

fn csv_error(path: &str, e: &csv::Error) -> ImportError {
    match e.kind() {
        csv::ErrorKind::Utf8 { pos, .. } => ImportError::NotUtf8 {
            path: path.to_string(),
            line: pos.as_ref().map_or(0, csv::Position::line),
        },
        csv::ErrorKind::Io(err) => ImportError::Io {
            path: path.to_string(),
            source: std::io::Error::new(err.kind(), err.to_string()),
        },
        _ => ImportError::Malformed {
            path: path.to_string(),
            line: e.position().map_or(0, csv::Position::line),
            message: e.to_string(),
        },
    }
}

fn read_jsonl(
    path: &Path,
    kind: RecordKind,
    take: &mut dyn FnMut(RawRow) -> Result<(), ImportError>,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<String>, ImportError> {
    let file = File::open(path).map_err(io(path))?;
    let fields = stored_fields(kind);
    let mut ignored = BTreeSet::new();
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    let (mut line, mut bytes) = (0u64, 0u64);
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        line += 1;
        bytes += n as u64;
        let text = std::str::from_utf8(&buf).map_err(|_| ImportError::NotUtf8 {
            path: path.display().to_string(),
            line,
        })?;
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        let row = match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text) {
            Ok(obj) => {
                for k in obj
                    .keys()
                    .filter(|k| !fields.iter().any(|f| f.name == k.as_str()))
                {
                    ignored.insert(k.clone());
                }
                let cells = fields
                    .iter()
                    .map(|f| obj.get(f.name).and_then(json_text))
                    .collect();
                RawRow {
                    line,
                    cells,
                    original: text.to_string(),
                }
            }
            Err(e) => {
                let mut cells: Vec<Option<String>> = vec![None; fields.len()];
                cells.push(Some(format!("\u{0}not a JSON object: {e}")));
                RawRow {
                    line,
                    cells,
                    original: text.to_string(),
                }
            }
        };
        take(row)?;
        if line.is_multiple_of(65_536) {
            progress(bytes);
        }
    }
    progress(bytes);
    Ok(ignored.into_iter().collect())
}

fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

impl<'a> Checker<'a> {
    fn new(kind: RecordKind, org: &'a Organisation) -> Checker<'a> {
        let tz = org
            .sites
            .iter()
            .filter_map(|s| s.tz.parse::<Tz>().ok().map(|t| (s.id.clone(), t)))
            .collect();
        Checker {
            kind,
            fields: stored_fields(kind),
            org,
            tz,
        }
    }

    fn check(&self, row: &RawRow) -> Checked {
        let mut reasons: Vec<(String, String)> = Vec::new();
        if let Some(Some(shape)) = row.cells.get(self.fields.len()) {
            reasons.push((
                "malformed row".into(),
                shape.trim_start_matches('\u{0}').to_string(),
            ));
            return Checked::Invalid(reasons);
        }
        let site = row
            .cells
            .first()
            .cloned()
            .flatten()
            .unwrap_or_default()
            .trim()
            .to_string();
        let tz = self.site_check(&site, &mut reasons);
        let mut values = Vec::with_capacity(self.fields.len());
        for (f, cell) in self.fields.iter().zip(&row.cells) {
            let v = match parse::cell(f, cell.as_deref().unwrap_or(""), tz) {
                Ok(v) => v,
                Err(e) => {
                    reasons.push((format!("invalid {}", f.name), e));
                    Value::Null
                }
            };
            if f.required
                && v == Value::Null
                && !reasons
                    .iter()
                    .any(|(c, _)| c == &format!("invalid {}", f.name))
            {
                reasons.push((
                    format!("missing {}", f.name),
                    format!("{} is required", f.name),
                ));
            }
            values.push(v);
        }
        let get = |name: &str| {
            self.fields
                .iter()
                .position(|f| f.name == name)
                .map_or(Value::Null, |i| values[i].clone())
        };
        for r in parse::rules(self.kind, &get) {
            let code = r.split(':').next().unwrap_or(&r).to_string();
            let code = if r.contains(" is before ") {
                format!("time order: {r}")
            } else {
                code
            };
            reasons.push((code, r));
        }
        let anchor = anchor_fields(self.kind).iter().find_map(|f| match get(f) {
            Value::Ts(t) => Some(t),
            _ => None,
        });
        if anchor.is_none() && reasons.is_empty() {
            reasons.push((
                "no timestamp".into(),
                format!("none of {} is set", anchor_fields(self.kind).join(", ")),
            ));
        }
        if !reasons.is_empty() {
            return Checked::Invalid(reasons);
        }
        let local = DateTime::from_timestamp_millis(anchor.unwrap_or(0))
            .unwrap_or_default()
            .with_timezone(&tz.unwrap_or(chrono_tz::Asia::Shanghai));
        let key = id_field(self.kind).and_then(|f| match get(f) {
            Value::Str(id) => Some(key(&site, &id)),
            _ => None,
        });
        Checked::Valid {
            values,
            site,
            month: local.format("%Y-%m").to_string(),
            day: local.format("%Y-%m-%d").to_string(),
            key,
        }
    }

    fn site_check(&self, site: &str, reasons: &mut Vec<(String, String)>) -> Option<Tz> {
        if site.is_empty() {
            return None;
        }
        if let Some(s) = self.org.site(site) {
            if let Some(want) = required_scene(self.kind)
                && s.scene != want
            {
                reasons.push((
                    "site scene does not fit kind".into(),
                    format!(
                        "site `{site}` is a {}, but `{}` records belong to a {}",
                        s.scene.as_str(),
                        self.kind.as_str(),
                        want.as_str()
                    ),
                ));
            }
            return self.tz.get(site).copied();
        }
        if required_scene(self.kind).is_none() && self.org.node(site).is_some() {
            return Some(chrono_tz::Asia::Shanghai);
        }
        reasons.push((
            "unknown site".into(),
            format!("site `{site}` is not in the organisation"),
        ));
        None
    }
}

/// State of one import run.
struct Run {
    dir: DataDir,
    kind: RecordKind,
    batch: i64,
    existing: HashMap<u128, i64>,
    seen: HashMap<u128, u64>,
    writers: BTreeMap<String, PartitionWriter>,
    quarantine: Option<csv::Writer<File>>,
    quarantine_path: PathBuf,
    read: u64,
    stored: u64,
    quarantined: u64,
    duplicates: u64,
    reasons: BTreeMap<String, u64>,
    files: Vec<(String, String, u64)>,
    coverage: BTreeSet<(String, String)>,
}

impl Run {
    fn new(dir: &DataDir, kind: RecordKind, batch: i64, existing: HashMap<u128, i64>) -> Run {
        Run {
            dir: dir.clone(),
            kind,
            batch,
            existing,
            seen: HashMap::new(),
            writers: BTreeMap::new(),
            quarantine: None,
            quarantine_path: dir.quarantine(kind.as_str(), batch),
            read: 0,
            stored: 0,
            quarantined: 0,
            duplicates: 0,
            reasons: BTreeMap::new(),
            files: Vec::new(),
            coverage: BTreeSet::new(),
        }
    }

    fn take(&mut self, checker: &Checker<'_>, row: RawRow) -> Result<(), ImportError> {
        self.read += 1;
        match checker.check(&row) {
            Checked::Invalid(reasons) => self.quarantine(&row, &reasons),
            Checked::Valid {
                values,
                site,
                month,
                day,
                key,
            } => {
                if let Some(k) = key {
                    let dup = if let Some(b) = self.existing.get(&k) {
                        Some(format!("already stored in batch {b}"))
                    } else {
                        self.seen
                            .get(&k)
                            .map(|l| format!("same id as line {l} of this file"))
                    };
                    if let Some(d) = dup {
                        self.duplicates += 1;
                        return self.quarantine(&row, &[("duplicate id".into(), d)]);
                    }
                    self.seen.insert(k, row.line);
                }
                let w = match self.writers.entry(month.clone()) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        let rel =
                            DataDir::batch_file_rel(self.kind.as_str(), &month, self.batch, 0);
                        e.insert(PartitionWriter::create(
                            &self.dir,
                            rel,
                            schema::schema(self.kind),
                        )?)
                    }
                };
                w.push(values)?;
                self.coverage.insert((site, day));
                self.stored += 1;
                Ok(())
            }
        }
    }

    fn quarantine(
        &mut self,
        row: &RawRow,
        reasons: &[(String, String)],
    ) -> Result<(), ImportError> {
        self.quarantined += 1;
        for (code, _) in reasons {
            *self.reasons.entry(code.clone()).or_default() += 1;
        }
        if self.quarantine.is_none() {
            let p = self.quarantine_path.clone();
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            let mut w = csv::Writer::from_path(&p).map_err(|e| ImportError::Io {
                path: p.display().to_string(),
                source: std::io::Error::other(e.to_string()),
            })?;
            w.write_record(["line", "reasons", "original"])
                .map_err(|e| ImportError::Io {
                    path: p.display().to_string(),
                    source: std::io::Error::other(e.to_string()),
                })?;
            self.quarantine = Some(w);
        }
        let text: Vec<String> = reasons.iter().map(|(_, m)| m.clone()).collect();
        if let Some(w) = self.quarantine.as_mut() {
            let p = self.quarantine_path.display().to_string();
            w.write_record([row.line.to_string(), text.join("; "), row.original.clone()])
                .map_err(|e| ImportError::Io {
                    path: p,
                    source: std::io::Error::other(e.to_string()),
                })?;
        }
        Ok(())
    }

    fn finish_writers(&mut self) -> Result<(), ImportError> {
        if let Some(mut q) = self.quarantine.take() {
            let p = self.quarantine_path.display().to_string();
            q.flush()
                .map_err(|e| ImportError::Io { path: p, source: e })?;
        }
        for (month, w) in std::mem::take(&mut self.writers) {
            let (rel, rows) = w.finish(&self.dir)?;
            self.files.push((rel, month, rows));
        }
        Ok(())
    }

    fn discard(&self) {
        for (rel, _, _) in &self.files {
            // Best effort: an uncommitted file is invisible anyway.
            let _ = std::fs::remove_file(self.dir.abs(rel));
        }
    }

    fn report(&self, kind: RecordKind, file: &str, ignored: Vec<String>) -> ImportReport {
        ImportReport {
            kind: kind.as_str().to_string(),
            file: file.to_string(),
            status: ImportStatus::Committed,
            batch: Some(self.batch),
            rows_read: self.read,
            rows_stored: self.stored,
            rows_quarantined: self.quarantined,
            duplicates: self.duplicates,
            reasons: self.reasons.clone(),
            quarantine_file: (self.quarantined > 0)
                .then(|| self.quarantine_path.display().to_string()),
            ignored_columns: ignored,
            files: self.files.iter().map(|f| f.0.clone()).collect(),
        }
    }
}
