//! Importing canonical CSV and JSON Lines files into the columnar store.
//!
//! Rows stream through: each is parsed and checked (types, required fields, enumerations,
//! ranges, time order, site exists and its scene fits the kind, duplicate ids). Valid rows
//! go to Parquet files per month, invalid ones to a quarantine CSV with the line number,
//! every reason and the original line, byte for byte. Files are written under temporary
//! names, made durable, renamed, and only then is the batch committed in the manifest in
//! one transaction: an import killed at any moment leaves no visible partial batch.
//! Accounting always holds for a committed batch: stored + quarantined = read.
//!
//! A large JSON Lines file, or CSV file without quote characters (every line break then
//! ends a record), is cut into one segment per core after one quick scan of its bytes;
//! each segment is read, checked and stored by a thread of its own into files of its
//! own, and the runs are joined after (counts added, quarantined rows in file order).
//! The file's SHA-256, which names its content in the manifest, is worked out on a
//! thread of its own meanwhile: a file stored already stops the reading as soon as its
//! hash is known, and what was written is removed. Other files go
//! through one reading thread, checking threads and the taking thread, with rows handed
//! over in chunks.
//!
//! Memory stays flat in the file's size and in the store's. Month writers share a bounded
//! row buffer. Most files repeat no id: the file is read once, every valid row stored,
//! and then the key indexes just written (sorted keys of the stored rows) are merged with
//! each other and with the stored files' indexes. When no key is on two rows or stored
//! (and visible) already, that pass is the import: the duplicate-id check below would
//! have had nothing to say about any line. Otherwise what the pass wrote is removed and
//! the file is imported with the check first, which reads it twice. The first pass sorts
//! the key (hash of site and id) and line of every row with an id in bounded memory
//! (sorted runs spill to the run's temporary directory, `tmp/` in the data directory, and
//! are merged back), which finds the ids on several lines, and merges them with the sorted
//! key index kept next to every stored Parquet file (`b<batch>-<run>.keys`, written with
//! it), which finds the ids already stored. The second pass checks, stores or quarantines
//! each row knowing both, keeping the first valid line of each repeated id; a file
//! repeating more ids than that budget has its rows checked in the first pass instead
//! (see `import/keys.rs`). Rows set aside by `--replace` wait in a temporary file.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMillisecondType;
use arrow_array::{Array, RecordBatch};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use yardstick_core::org::Organisation;
use yardstick_core::records::{FieldDef, RecordKind};
use yardstick_store::{NewBatch, NewFile, Store, StoreError};

use crate::layout::DataDir;
use crate::parse::{self, Field};
use crate::schema::{anchor_fields, id_field, required_scene, stored_fields};

mod keys;
mod sorter;
#[cfg(test)]
mod spill_tests;
mod writer;
use keys::{KeyLine, Note, Notes, Rows, Sites, Stored, StoredFile};
use sorter::Sorter;
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

/// The import report. For a committed batch `rows_stored + rows_quarantined == rows_read`.
/// For a file rejected by `--strict`, nothing is stored: `rows_stored` is 0 and the
/// `rows_read - rows_quarantined` valid rows wait for a corrected file.
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
        "{path}: line {line}{}: not UTF-8 text (another encoding such as GBK or Latin-1?); convert the file to UTF-8 and import again",
        column_note(.column)
    )]
    NotUtf8 {
        /// Path.
        path: String,
        /// Line of the first bad byte.
        line: u64,
        /// CSV column holding the first bad byte, when known.
        column: Option<String>,
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
    /// Another import of the same kind committed while this one ran.
    #[error(
        "{path}: another import committed batch {batch} while this file was being imported; nothing stored from this file: import it again"
    )]
    Concurrent {
        /// Path.
        path: String,
        /// The batch the other import committed.
        batch: i64,
    },
    /// A committed file (read for the duplicate-id check) could not be read.
    #[error("reading stored records {path}: {message}")]
    ReadStored {
        /// Path.
        path: String,
        /// What failed.
        message: String,
    },
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

fn column_note(column: &Option<String>) -> String {
    column
        .as_ref()
        .map_or_else(String::new, |c| format!(", column `{c}`"))
}

/// One data row: text cells aligned with the kind's stored fields, or what is wrong with
/// its shape.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct RawRow {
    /// Line the row starts on (1-based, counting the header and blank lines).
    line: u64,
    cells: Cells,
    /// Cells that cannot be text at all (a JSON object or array), by field index.
    cell_errors: Vec<(usize, String)>,
    /// The row's shape is broken (wrong cell count, not a JSON object).
    shape: Option<String>,
}

impl RawRow {
    /// The row exactly as it was in the file, without its line terminator.
    fn original(&self) -> &str {
        self.cells.text.get(..self.cells.original).unwrap_or("")
    }
}

/// The original text of a row and its cells, by field index, in one string (one
/// allocation a row, not one a cell). A cell that stands verbatim in the original (an
/// unquoted CSV cell) is a range of it; other cells follow the original.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Cells {
    text: String,
    /// Length of the original row at the start of `text`.
    original: usize,
    /// Byte range of each field's cell in `text`; `None` when the row has no such cell.
    spans: Vec<Option<(usize, usize)>>,
}

impl Cells {
    /// Makes these the cells of another row, keeping the buffers (a row's buffers are
    /// recycled from row to row) unless they grew past [`RECYCLED_TEXT`]: a long row
    /// does not leave its buffer to every later one.
    fn reset(&mut self, fields: usize, original: &str, more: usize) {
        if self.text.capacity() > RECYCLED_TEXT {
            self.text = String::new();
        }
        self.text.clear();
        self.text.reserve(original.len() + more);
        self.text.push_str(original);
        self.original = original.len();
        self.spans.clear();
        self.spans.resize(fields, None);
    }

    /// Adds field `i`'s cell after the text so far.
    fn set(&mut self, i: usize, cell: &str) {
        let start = self.text.len();
        self.text.push_str(cell);
        self.set_span(i, (start, self.text.len()));
    }

    /// Field `i`'s cell is the text at `span` (a range of the original).
    fn set_span(&mut self, i: usize, span: (usize, usize)) {
        if let Some(s) = self.spans.get_mut(i) {
            *s = Some(span);
        }
    }

    fn span(&self, i: usize) -> Option<(usize, usize)> {
        self.spans.get(i).copied().flatten()
    }

    fn get(&self, i: usize) -> Option<&str> {
        let (a, b) = self.span(i)?;
        self.text.get(a..b)
    }

    fn len(&self) -> usize {
        self.spans.len()
    }
}

/// Text a recycled row keeps room for (see [`Cells::reset`]). Rows in flight are
/// bounded, so recycled buffers take a few MiB at most.
const RECYCLED_TEXT: usize = 1024;

/// A hash map for the short text keys looked up for every row (field names, site ids):
/// FNV-1a is several times quicker than the default hasher on them, and the keys come
/// from the organisation and the schema, not from the file.
type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<crate::fnv::Fnv>>;

/// Everything needed to check rows against the organisation.
struct Checker<'a> {
    kind: RecordKind,
    fields: Vec<&'static FieldDef>,
    /// The kind's rules, with field positions resolved.
    rules: parse::Rules,
    /// Positions of the anchor fields, in order of preference.
    anchors: Vec<usize>,
    /// Position of the id field (a text field), if the kind has one.
    id_index: Option<usize>,
    site_index: usize,
    org: &'a Organisation,
    tz: FastMap<String, Tz>,
    /// Sites by id with their time zones, so each row's lookup does not scan the
    /// organisation.
    sites: FastMap<&'a str, (&'a yardstick_core::org::Site, Tz)>,
}

/// A typed cell of a valid row; text is a byte range of the row's [`Cells`] text.
#[derive(Debug, Clone, Copy)]
enum Typed {
    Null,
    Bool(bool),
    Num(f64),
    Str(usize, usize),
    Ts(i64),
}

impl Typed {
    /// The cell read in `text`, the row's [`Cells`] text.
    fn field(self, text: &str) -> Field<'_> {
        match self {
            Typed::Null => Field::Null,
            Typed::Bool(b) => Field::Bool(b),
            Typed::Num(x) => Field::Num(x),
            Typed::Str(a, b) => text.get(a..b).map_or(Field::Null, Field::Str),
            Typed::Ts(t) => Field::Ts(t),
        }
    }
}

/// A valid row, typed.
struct Valid {
    values: Vec<Typed>,
    /// The trimmed site id: a byte range of the row's [`Cells`] text.
    site: (usize, usize),
    /// Local day of the row's anchor time at its site.
    day: NaiveDate,
    /// The anchor time, UTC milliseconds.
    anchor: i64,
    key: Option<u128>,
}

/// A checked row: typed values or every reason it was rejected (code, message).
enum Checked {
    Valid(Valid),
    Invalid(Vec<(String, String)>),
}

/// Imports one file.
///
/// # Errors
/// Whole-file problems (unreadable, not UTF-8, missing required columns, broken shape,
/// unknown extension) and store or write failures; then nothing is stored.
pub async fn import_file(
    to: &Destination<'_>,
    kind: RecordKind,
    path: &Path,
    opts: ImportOptions,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, ImportError> {
    import_file_within(to, kind, path, opts, Limits::default(), now, progress).await
}

/// Memory limits of an import run (tests set them small to exercise spilling).
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Records a sorter of the duplicate-id check keeps in memory before it spills a
    /// sorted run to a temporary file (each record is 17 to 36 bytes).
    spill_budget: usize,
    /// Files at least this large are cut into segments read on all cores (when they can
    /// be: see [`Cuts`]).
    segment_min: u64,
    /// Segments to cut a file into; 0: one per core.
    segments: usize,
    /// A file found stored already stops the reading at once (see `start_hash`); when
    /// false (tests), the reading goes on to its end and what it wrote is removed.
    stop_early: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            spill_budget: SPILL_BUDGET,
            segment_min: SEGMENT_MIN,
            segments: 0,
            stop_early: true,
        }
    }
}

/// Files from this size on are read in segments, one per core: below it the pipeline of
/// one reading thread and checking threads is as quick, and the batch keeps one file per
/// month.
const SEGMENT_MIN: u64 = 16 << 20;

/// Records a sorter keeps in memory by default (at most 48 MiB for the largest records).
const SPILL_BUDGET: usize = 1 << 20;

async fn import_file_within(
    to: &Destination<'_>,
    kind: RecordKind,
    path: &Path,
    opts: ImportOptions,
    limits: Limits,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, ImportError> {
    let Destination { dir, store, org } = *to;
    let format = Format::of(path)?;
    let file_label = path.display().to_string();
    let parts = match limits.segments {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        n => n,
    };
    let manifest = store.manifest(kind.as_str(), None).await?;
    // The latest batch of this kind this run's duplicate-id check will have seen.
    let kind_latest = manifest.hashes.values().max().copied();
    let known = if limits.stop_early {
        manifest.hashes
    } else {
        HashMap::new()
    };
    // The id this run's files are named after; the database assigns the batch's id at
    // commit (the manifest maps files to it), so a later one only differs in the name.
    let batch = store.max_batch_id().await?.unwrap_or(0) + 1;
    // The hash is worked out alongside the cutting and the import, which it stops early
    // when the file is stored already.
    let same = Arc::new(AtomicBool::new(false));
    let hashing = start_hash(path, known, Arc::clone(&same));
    let cuts = match cut_file(path, parts.min(MAX_SEGMENTS), format) {
        Ok(cuts) => cuts,
        Err(e) => {
            let _ = joined_hash(path, hashing, 0);
            return Err(e);
        }
    };
    let segments = (cuts.size >= limits.segment_min)
        .then(|| cuts.segments())
        .flatten();
    remove_dead_scratch(dir);
    let checker = Checker::new(kind, org);
    let new_run = || {
        let mut run = Run::new(dir, kind, batch, opts.replace);
        run.budget = limits.spill_budget.max(1);
        run.same = Some(Arc::clone(&same));
        run
    };
    let mut run = new_run();
    let once = Once {
        path,
        size: cuts.size,
        format,
        segments: segments.as_deref(),
        new_run: &new_run,
    };
    // A `--replace` batch usually re-sends stored ids: it goes straight to the check.
    let first = if opts.replace {
        Ok(None)
    } else {
        single_pass(to, &checker, &mut run, &once, progress).await
    };
    let read = match first {
        Ok(Some(ignored)) => Ok(ignored),
        Ok(None) => {
            // An id repeats: what the single pass wrote is dropped, and the file is read
            // again with the duplicate-id check first.
            run.abandon();
            run = new_run();
            first_pass(to, &checker, &mut run, path, format, progress)
                .await
                .and_then(|()| {
                    let two_passes = run.first_pass_rows.is_some();
                    let half = run.file_size / 2;
                    let ignored = read_checked(
                        path,
                        format,
                        &checker,
                        &mut |row, checked| run.take_checked(row, checked),
                        &mut |b| progress(if two_passes { half + b / 2 } else { b }),
                    )?;
                    run.check_same_rows(path)?;
                    run.resolve_deferred(&checker)?;
                    run.finish_writers()?;
                    Ok(ignored)
                })
        }
        Err(e) => Err(e),
    };
    run.remove_scratch();
    // A file stored already is reported as such, whatever its reading found (the
    // reading stops early when the hash is known in time).
    let stored_as = match joined_hash(path, hashing, cuts.size) {
        Ok(hash) => store
            .manifest(kind.as_str(), None)
            .await
            .map(|m| {
                let b = m.hashes.get(&hash).copied();
                (hash, b)
            })
            .map_err(ImportError::from),
        Err(e) => Err(e),
    };
    let hash = match stored_as {
        Ok((_, Some(b))) => {
            run.abandon();
            return Ok(already_imported(store, kind, &file_label, b).await?);
        }
        Ok((hash, None)) => hash,
        Err(e) => {
            run.abandon();
            return Err(e);
        }
    };
    let ignored = match read {
        Ok(ignored) => ignored,
        Err(e) => {
            run.abandon();
            return Err(e);
        }
    };
    let mut report = run.report(kind, &file_label, ignored);
    if opts.strict && report.rows_quarantined > 0 {
        run.discard();
        report.status = ImportStatus::RejectedStrict;
        report.batch = None;
        report.files.clear();
        report.rows_stored = 0;
        return Ok(report);
    }
    // The batch id is the database's, known once committed: the stored report has none.
    report.batch = None;
    let report_json = serde_json::to_string(&report).unwrap_or_default();
    let mut files = Vec::with_capacity(run.files.len());
    for (rel, month, rows) in &run.files {
        let abs = dir.abs(rel);
        let bytes = std::fs::metadata(&abs).map_err(io(&abs))?.len();
        files.push(NewFile {
            path: rel.clone(),
            month: month.clone(),
            rows: *rows,
            bytes,
            sha256: None,
        });
    }
    let new = NewBatch {
        kind: kind.as_str().to_string(),
        file_name: file_label.clone(),
        content_hash: hash,
        replace: opts.replace,
        rows_read: report.rows_read,
        rows_stored: report.rows_stored,
        rows_quarantined: report.rows_quarantined,
        rows_not_stored: 0,
        rows_superseded: 0,
        duplicates: report.duplicates,
        quarantine_path: report.quarantine_file.clone(),
        report_json,
        files,
        coverage: run
            .coverage
            .iter()
            .map(|(site, day)| (site.clone(), day.format("%Y-%m-%d").to_string()))
            .collect(),
    };
    // Another import of this kind that committed while this one ran was not part of its
    // duplicate-id check: this run's files are removed and the file can be imported
    // again.
    let latest = store
        .manifest(kind.as_str(), None)
        .await?
        .hashes
        .values()
        .max()
        .copied();
    if latest != kind_latest {
        run.discard();
        return Err(ImportError::Concurrent {
            path: path.display().to_string(),
            batch: latest.unwrap_or(0),
        });
    }
    match store.commit_batch(&new, now).await {
        Ok(id) => {
            report.batch = Some(id);
            Ok(report)
        }
        // The same content committed by a concurrent import: this run's files go.
        Err(StoreError::AlreadyCommitted { batch }) => {
            run.discard();
            Ok(already_imported(store, kind, &file_label, batch).await?)
        }
        // Without manifest rows the files are invisible; deleting them is only safe
        // when the commit surely failed, so they are left alone.
        Err(e) => Err(e.into()),
    }
}

/// Reads, checks and stores the whole file once, as if no id repeated, then asks the key
/// indexes just written whether one did (on two rows, or stored and visible already).
/// Most files repeat none, and then this is the import: the duplicate-id check would
/// have had nothing to say about any line, so every valid row is stored either way.
/// `None` when an id repeats: the caller drops what was written and imports the file with
/// the check first.
async fn single_pass(
    to: &Destination<'_>,
    checker: &Checker<'_>,
    run: &mut Run,
    once: &Once<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<Option<Vec<String>>, ImportError> {
    let kind = run.kind;
    let ignored = match once.segments {
        Some(segments) if segments.len() > 1 => read_segments(
            once.path,
            once.format,
            checker,
            run,
            once.new_run,
            segments,
            progress,
        )?,
        _ => {
            let ignored = read_checked(
                once.path,
                once.format,
                checker,
                &mut |row, checked| run.take_checked(row, checked),
                progress,
            )?;
            // Without notes no row is set aside, so there is nothing to resolve.
            run.finish_writers()?;
            ignored
        }
    };
    let now = std::fs::metadata(once.path).map_or(0, |m| m.len());
    if now != once.size {
        return Err(changed(
            once.path,
            &format!("{} bytes, then {now}", once.size),
        ));
    }
    let Some(id) = id_field(kind) else {
        return Ok(Some(ignored));
    };
    let (stored, replaced) = stored_files(to, kind).await?;
    let visible = visible_in(&checker.tz, &replaced);
    let written: Vec<PathBuf> = run
        .files
        .iter()
        .map(|(rel, _, _)| keys::index_path(&to.dir.abs(rel)))
        // A file none of whose rows has an id has no key index.
        .filter(|p| p.exists())
        .collect();
    let repeat = keys::any_repeat(&written, &stored, kind, id, &visible, &run.scratch())?;
    Ok((!repeat).then_some(ignored))
}

/// What the single pass reads, and how it makes a run.
struct Once<'a> {
    path: &'a Path,
    /// The file's size when it was hashed.
    size: u64,
    format: Format,
    /// Segments of the file to read on all cores, when it is large and can be cut.
    segments: Option<&'a [Segment]>,
    new_run: &'a (dyn Fn() -> Run + Sync),
}

/// Segments a file is cut into at most.
const MAX_SEGMENTS: usize = 8;

/// Reads a file's segments at once, one thread each, every thread reading, checking
/// and storing its rows into a run of its own (its own Parquet files), with no row
/// crossing between threads. The runs then become one (`run`): counts added, files and
/// coverage joined, quarantine files concatenated in segment order, so the quarantine
/// lists rows in file order as a single reading would. Only for the single pass, where
/// every valid row is stored whatever the others hold.
fn read_segments(
    path: &Path,
    format: Format,
    checker: &Checker<'_>,
    run: &mut Run,
    new_run: &(dyn Fn() -> Run + Sync),
    segments: &[Segment],
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<String>, ImportError> {
    let kind = checker.kind;
    let n = segments.len();
    let mut runs: Vec<Run> = (0..n).map(|_| new_run()).collect();
    for r in &mut runs {
        // The memory budgets are shared between the runs.
        r.row_budget = (r.row_budget / n).max(1);
        r.budget = (r.budget / n).max(1);
    }
    let read: Vec<AtomicU64> = (0..n).map(|_| AtomicU64::new(0)).collect();
    let results: Vec<Result<Vec<String>, ImportError>> = std::thread::scope(|s| {
        let handles: Vec<_> = runs
            .iter_mut()
            .zip(segments)
            .zip(&read)
            .map(|((run, seg), read)| {
                s.spawn(move || {
                    // One row and one check, refilled from row to row.
                    let spare = std::cell::RefCell::new((None::<RawRow>, None::<Checked>));
                    let take = &mut |row: RawRow| {
                        let spent = spare.borrow_mut().1.take();
                        let checked = checker.check_reusing(&row, spent);
                        let took = run.take_checked(&row, &checked);
                        *spare.borrow_mut() = (Some(row), Some(checked));
                        took
                    };
                    let fresh = &mut || spare.borrow_mut().0.take().unwrap_or_default();
                    let progress =
                        &mut |b: u64| read.store(b.saturating_sub(seg.start), Ordering::Relaxed);
                    let ignored = match format {
                        Format::Csv => read_csv_as(
                            path,
                            kind,
                            CsvTake::Rows { take, fresh },
                            Some(*seg),
                            progress,
                        )?,
                        Format::JsonLines => {
                            read_jsonl(path, kind, take, fresh, Some(*seg), progress)?
                        }
                    };
                    run.finish_writers()?;
                    Ok(ignored)
                })
            })
            .collect();
        while !handles
            .iter()
            .all(std::thread::ScopedJoinHandle::is_finished)
        {
            progress(read.iter().map(|r| r.load(Ordering::Relaxed)).sum());
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(ImportError::Io {
                        path: path.display().to_string(),
                        source: std::io::Error::other("a reading thread failed"),
                    })
                })
            })
            .collect()
    });
    progress(segments.last().map_or(0, |s| s.end));
    // The first failure in file order is the file's, as when it is read as one. The
    // ignored columns are the header's (CSV) or every segment's keys (JSON Lines).
    let mut header = None;
    let mut keys = BTreeSet::new();
    let mut failed = None;
    for r in results {
        match r {
            Ok(cols) if matches!(format, Format::Csv) => {
                header.get_or_insert(cols);
            }
            Ok(cols) => keys.extend(cols),
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    let ignored = header.unwrap_or_else(|| {
        let more = keys.remove(MORE_IGNORED);
        let mut keys: Vec<String> = keys.into_iter().collect();
        if more || keys.len() > MAX_IGNORED {
            keys.truncate(MAX_IGNORED);
            keys.push(MORE_IGNORED.to_string());
        }
        keys
    });
    if let Some(e) = failed {
        for mut r in runs {
            r.abandon();
        }
        return Err(e);
    }
    let mut runs = runs.into_iter();
    if let Some(first) = runs.next() {
        *run = first;
    }
    while let Some(other) = runs.next() {
        if let Err(e) = run.absorb(other) {
            // What was taken in goes with `run`; the rest is removed here.
            for mut r in runs {
                r.abandon();
            }
            return Err(e);
        }
    }
    Ok(ignored)
}

/// The committed files of a kind, in manifest order, and the days later `--replace`
/// batches took over ((site, day) → the replacing batch).
async fn stored_files(
    to: &Destination<'_>,
    kind: RecordKind,
) -> Result<(Vec<StoredFile>, BTreeMap<(String, String), i64>), ImportError> {
    let manifest = to.store.manifest(kind.as_str(), None).await?;
    let stored: Vec<StoredFile> = manifest
        .files
        .into_iter()
        .map(|f| StoredFile {
            batch: f.batch_id,
            parquet: to.dir.abs(&f.path),
        })
        .collect();
    Ok((stored, manifest.replaced))
}

/// The local day (days from the common era) of a stored row at `site` anchored at `at`
/// in batch `batch`, or `None` when a later `--replace` batch superseded that day: such
/// rows do not count as stored.
fn visible_in<'a>(
    tz: &'a FastMap<String, Tz>,
    replaced: &'a BTreeMap<(String, String), i64>,
) -> impl Fn(&str, i64, i64) -> Option<i32> + 'a {
    move |site: &str, at: i64, batch: i64| -> Option<i32> {
        let day = local_day(at, site_tz(tz, site));
        let superseded = !replaced.is_empty()
            && replaced
                .get(&(site.to_string(), day.format("%Y-%m-%d").to_string()))
                .is_some_and(|w| batch < *w);
        (!superseded).then(|| day.num_days_from_ce())
    }
}

/// The first pass over the file: the key and line of every valid row with an id, sorted
/// in bounded memory and turned into notes for the second pass (see [`keys`]). Kinds
/// without ids skip it.
async fn first_pass(
    to: &Destination<'_>,
    checker: &Checker<'_>,
    run: &mut Run,
    path: &Path,
    format: Format,
    progress: &mut dyn FnMut(u64),
) -> Result<(), ImportError> {
    let kind = run.kind;
    let Some(id) = id_field(kind) else {
        return Ok(());
    };
    run.file_size = std::fs::metadata(path).map_or(0, |m| m.len());
    let scratch = run.scratch();
    let (stored, replaced) = stored_files(to, kind).await?;
    let visible = visible_in(&checker.tz, &replaced);
    // Most files repeat few ids: the first pass only reads the key of every row with an
    // id cell, and the second keeps the first valid line of each repeated id. A file
    // repeating more ids than the budget is read once more, checking every row, so
    // that the second pass need not remember them.
    let mut rows = 0u64;
    let unchecked = unchecked_keys(checker, path, format, &scratch, &mut rows, progress)?;
    let mut notes = keys::notes(
        unchecked,
        Rows::Unchecked,
        &stored,
        kind,
        id,
        &visible,
        &scratch,
    )?;
    if notes.is_none() {
        rows = 0;
        let mut sorter = Sorter::<KeyLine>::new(scratch.dir, "keys", scratch.budget);
        read_checked(
            path,
            format,
            checker,
            &mut |row, checked| {
                rows += 1;
                match checked {
                    Checked::Valid(Valid { key: Some(key), .. }) => sorter.push(KeyLine {
                        key: *key,
                        line: row.line,
                    }),
                    _ => Ok(()),
                }
            },
            &mut |_| {},
        )?;
        notes = keys::notes(
            sorter.finish()?,
            Rows::Valid,
            &stored,
            kind,
            id,
            &visible,
            &scratch,
        )?;
    }
    if let Some(notes) = notes {
        run.notes = Notes::new(notes)?;
    }
    run.first_pass_rows = Some(rows);
    Ok(())
}

/// The key and line of every row with an id cell, sorted; the rows are not checked
/// (a valid row's key is the same: its trimmed site and id).
fn unchecked_keys(
    checker: &Checker<'_>,
    path: &Path,
    format: Format,
    scratch: &keys::Scratch<'_>,
    rows: &mut u64,
    progress: &mut dyn FnMut(u64),
) -> Result<sorter::Sorted<KeyLine>, ImportError> {
    let mut sorter = Sorter::<KeyLine>::new(scratch.dir, "keys", scratch.budget);
    let id_index = id_field(checker.kind)
        .and_then(|id| checker.fields.iter().position(|f| f.name == id))
        .filter(|i| {
            matches!(
                checker.fields[*i].ty,
                yardstick_core::records::FieldType::Str
            )
        });
    let (kind, site_index) = (checker.kind, checker.site_index);
    // One thread reads the file and hashes the keys, this one sorts them: the two
    // halves of the pass run on both cores.
    let (tx, rx) = std::sync::mpsc::sync_channel::<KeysRead>(CHUNKS_IN_FLIGHT);
    std::thread::scope(|s| {
        let reader = s.spawn(move || -> Result<u64, ImportError> {
            let mut n = 0u64;
            let mut batch = Vec::with_capacity(CHUNK_ROWS);
            let mut each = |line: u64, site: &str, id: &str| {
                n += 1;
                let (site, id) = (site.trim(), id.trim());
                if id_index.is_none() || id.is_empty() {
                    return Ok(());
                }
                batch.push(KeyLine {
                    key: key(site, id),
                    line,
                });
                if batch.len() >= CHUNK_ROWS {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(CHUNK_ROWS));
                    tx.send(KeysRead::Keys(full)).map_err(|_| stopped(path))?;
                }
                Ok(())
            };
            let mut half = |b: u64| {
                let _ = tx.send(KeysRead::Progress(b / 2));
            };
            match format {
                Format::Csv => {
                    let keys = CsvTake::Keys {
                        site: site_index,
                        id: id_index.unwrap_or(site_index),
                        each: &mut each,
                    };
                    read_csv_as(path, kind, keys, None, &mut half)?;
                }
                Format::JsonLines => {
                    read_rows_here(
                        path,
                        format,
                        kind,
                        &mut |row| {
                            let cell =
                                |i: Option<usize>| i.and_then(|i| row.cells.get(i)).unwrap_or("");
                            each(row.line, cell(Some(site_index)), cell(id_index))
                        },
                        &mut RawRow::default,
                        &mut half,
                    )?;
                }
            }
            if !batch.is_empty() {
                tx.send(KeysRead::Keys(batch)).map_err(|_| stopped(path))?;
            }
            Ok(n)
        });
        let mut failed = None;
        'read: for m in &rx {
            match m {
                KeysRead::Keys(batch) => {
                    for k in batch {
                        if let Err(e) = sorter.push(k) {
                            failed = Some(e);
                            break 'read;
                        }
                    }
                }
                KeysRead::Progress(b) => progress(b),
            }
        }
        // A failure here stops the reader at its next hand-over.
        drop(rx);
        *rows = joined(path, reader, failed)?;
        Ok::<(), ImportError>(())
    })?;
    sorter.finish()
}

/// What the reading thread of the first pass hands over.
enum KeysRead {
    /// Keys and lines of rows with an id, in file order.
    Keys(Vec<KeyLine>),
    Progress(u64),
}

/// Removes the temporary directories of import runs whose process is gone (killed runs),
/// where the system tells which processes live (`/proc`). Best effort.
fn remove_dead_scratch(dir: &DataDir) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir.scratch_root()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix("import-")
            .and_then(|n| n.rsplit_once("-p"))
            .and_then(|(_, pid)| pid.parse::<u32>().ok());
        if let Some(pid) = pid
            && !proc.join(pid.to_string()).exists()
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The report of a file whose exact content is already stored: the earlier batch's
/// accounting, and nothing new.
async fn already_imported(
    store: &Store,
    kind: RecordKind,
    file: &str,
    batch: i64,
) -> Result<ImportReport, StoreError> {
    let info = store.batch(batch).await?;
    let n = |x: Option<i64>| x.and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
    Ok(ImportReport {
        kind: kind.as_str().to_string(),
        file: file.to_string(),
        status: ImportStatus::AlreadyImported(batch),
        batch: Some(batch),
        rows_read: n(info.as_ref().map(|i| i.rows_read)),
        rows_stored: n(info.as_ref().map(|i| i.rows_stored)),
        rows_quarantined: n(info.as_ref().map(|i| i.rows_quarantined)),
        duplicates: n(info.as_ref().map(|i| i.duplicates)),
        reasons: BTreeMap::new(),
        quarantine_file: None,
        ignored_columns: Vec::new(),
        files: Vec::new(),
    })
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ImportError + '_ {
    move |source| ImportError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn io_other(path: &Path) -> impl Fn(csv::Error) -> ImportError + '_ {
    move |e| ImportError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Where the file can be cut into `parts` segments that read independently (see
/// [`Cuts`]): one quick pass over its bytes.
fn cut_file(path: &Path, parts: usize, format: Format) -> Result<Cuts, ImportError> {
    let size = std::fs::metadata(path).map_err(io(path))?.len();
    let mut cuts = Cuts::new(size, parts, format);
    let mut file = File::open(path).map_err(io(path))?;
    let mut buf = vec![0u8; 1 << 18];
    loop {
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        cuts.feed(&buf[..n]);
    }
    if cuts.pos != size {
        // The file changed size meanwhile: read it whole.
        cuts.whole = true;
    }
    Ok(cuts)
}

/// The file's SHA-256 (hex) and the bytes it covers, worked out on a thread of its own
/// while the file is cut and imported, so that the import does not wait for it. A hash
/// among `known` (the kind's committed batches) raises `same`: the file is stored
/// already, and the import stops at its next row.
fn start_hash(
    path: &Path,
    known: HashMap<String, i64>,
    same: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Result<(String, u64), ImportError>> {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let mut file = File::open(&path).map_err(io(&path))?;
        let mut buf = vec![0u8; 1 << 16];
        let mut h = Sha256::new();
        let mut size = 0u64;
        loop {
            let n = file.read(&mut buf).map_err(io(&path))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            h.update(&buf[..n]);
        }
        let hash: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        if known.contains_key(&hash) {
            same.store(true, Ordering::Relaxed);
        }
        Ok((hash, size))
    })
}

/// The hash the thread of [`start_hash`] worked out, when it covers the `size` bytes
/// the import read: a file that grew or shrank meanwhile is refused, so that a batch's
/// hash always names the content it stored.
fn joined_hash(
    path: &Path,
    hashing: std::thread::JoinHandle<Result<(String, u64), ImportError>>,
    size: u64,
) -> Result<String, ImportError> {
    let (hash, hashed) = hashing.join().unwrap_or_else(|_| {
        Err(ImportError::Io {
            path: path.display().to_string(),
            source: std::io::Error::other("the hashing thread failed"),
        })
    })?;
    if hashed != size {
        return Err(changed(
            path,
            &format!("{size} bytes read, {hashed} bytes hashed"),
        ));
    }
    Ok(hash)
}

/// A byte range of a file whose rows can be read on their own: it starts at a line's
/// start (`first_line`, 1-based) and ends at one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    start: u64,
    end: u64,
    first_line: u64,
}

impl Segment {
    /// The segment's bytes of the file at `path`.
    fn open(&self, path: &Path) -> Result<std::io::Take<File>, ImportError> {
        use std::io::Seek;
        let mut file = File::open(path).map_err(io(path))?;
        if self.start > 0 {
            file.seek(std::io::SeekFrom::Start(self.start))
                .map_err(io(path))?;
        }
        Ok(file.take(self.end - self.start))
    }
}

/// The name of CSV column `i`: its header, or `#n` (1-based) past the header.
fn column_name(header: &[String], i: usize) -> String {
    header.get(i).map_or(format!("#{}", i + 1), Clone::clone)
}

/// Where a CSV file can be cut into segments, found while it is hashed. In a file with no
/// quote character every line break ends a record, so a cut just after a line feed is a
/// record boundary; the line it starts is one more than the line feeds before it, when
/// every carriage return is part of a CR LF pair. A file with quotes (a cell may span
/// lines) or a lone carriage return is read as one.
struct Cuts {
    size: u64,
    parts: usize,
    /// JSON Lines: every line is a record, whatever its characters, and there is no
    /// header.
    lines: bool,
    /// Bytes fed so far.
    pos: u64,
    /// Line feeds so far.
    lf: u64,
    /// The file must be read as one: it has a quote character, a lone carriage return,
    /// or a line break before its header.
    whole: bool,
    /// The last byte fed was a carriage return.
    after_cr: bool,
    /// The end of the first line (the header), once found.
    header_end: Option<u64>,
    /// Cuts found: offset just after a line feed, and the line starting there.
    found: Vec<(u64, u64)>,
}

impl Cuts {
    fn new(size: u64, parts: usize, format: Format) -> Cuts {
        let lines = matches!(format, Format::JsonLines);
        Cuts {
            size,
            parts: parts.max(1),
            lines,
            pos: 0,
            lf: 0,
            whole: false,
            after_cr: false,
            header_end: lines.then_some(0),
            found: Vec::new(),
        }
    }

    /// Where the next cut should be, at or after: the next `k/parts` of the file.
    fn target(&self) -> Option<u64> {
        let k = self.found.len() + 1;
        (k < self.parts).then(|| self.size / self.parts as u64 * k as u64)
    }

    fn feed(&mut self, block: &[u8]) {
        if block.is_empty() || self.whole {
            self.pos += block.len() as u64;
            return;
        }
        let (lf, quote_or_cr) = scan_block(block);
        self.whole = !self.lines
            && ((self.pos == 0 && matches!(block[0], b'\n' | b'\r'))
                || (self.after_cr && block[0] != b'\n')
                || (quote_or_cr
                    && (block.contains(&b'"')
                        || block.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n'))));
        self.after_cr = block.last() == Some(&b'\r');
        let mut from = 0usize;
        loop {
            // The next line feed that ends the header or makes a cut, if this block has one.
            let want = match (self.header_end, self.target()) {
                (None, _) => 0,
                (Some(_), Some(t)) => {
                    usize::try_from(t.saturating_sub(self.pos)).unwrap_or(usize::MAX)
                }
                (Some(_), None) => break,
            };
            let look = from.max(want);
            let Some(i) = block
                .get(look..)
                .and_then(|b| b.iter().position(|c| *c == b'\n'))
            else {
                break;
            };
            let at = look + i;
            let lf = self.lf + scan_block(&block[..=at]).0;
            let cut = self.pos + at as u64 + 1;
            if self.header_end.is_none() {
                self.header_end = Some(cut);
            } else if cut < self.size {
                self.found.push((cut, lf + 1));
            }
            from = at + 1;
        }
        self.lf += lf;
        self.pos += block.len() as u64;
    }

    /// The segments after the header, when the file can be cut (at least two of them).
    fn segments(&self) -> Option<Vec<Segment>> {
        let header_end = self.header_end?;
        // A CSV file ending in a carriage return has a lone one.
        if self.whole || (self.after_cr && !self.lines) || self.found.is_empty() {
            return None;
        }
        let mut starts = vec![(header_end, if self.lines { 1 } else { 2 })];
        starts.extend(self.found.iter().copied());
        let ends = starts.iter().skip(1).map(|(at, _)| *at).chain([self.size]);
        Some(
            starts
                .iter()
                .zip(ends)
                .map(|(&(start, first_line), end)| Segment {
                    start,
                    end,
                    first_line,
                })
                .filter(|s| s.start < s.end)
                .collect(),
        )
    }
}

/// The line feeds in `bytes`, and whether a quote or a carriage return is among them.
/// Bytes go in chunks of 128 whose counts fit a byte, which the compiler keeps in vector
/// lanes: several times quicker than counting byte by byte.
fn scan_block(bytes: &[u8]) -> (u64, bool) {
    let mut lf = 0u64;
    let mut special = 0u8;
    let mut chunks = bytes.chunks_exact(128);
    for c in &mut chunks {
        let n = c
            .iter()
            .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b'\n')));
        let q = c
            .iter()
            .fold(0u8, |q, &b| q | u8::from(b == b'"') | u8::from(b == b'\r'));
        lf += u64::from(n);
        special |= q;
    }
    for &b in chunks.remainder() {
        lf += u64::from(b == b'\n');
        special |= u8::from(b == b'"') | u8::from(b == b'\r');
    }
    (lf, special != 0)
}

/// 128-bit key of (site, record id), for duplicate detection in bounded memory (kept in
/// the `.keys` index files, so its function is fixed: see `fnv`).
fn key(site: &str, id: &str) -> u128 {
    crate::fnv::key128(site, id)
}

/// A number that tells this import run's files apart from those of any other run, even
/// one that got the same batch id (a concurrent import, or one killed before its commit):
/// no run can overwrite another's files.
fn run_tag() -> u32 {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let mut h = DefaultHasher::new();
    (
        std::process::id(),
        std::time::SystemTime::now(),
        RUNS.fetch_add(1, Ordering::Relaxed),
    )
        .hash(&mut h);
    u32::try_from(h.finish() >> 32).unwrap_or(0)
}

fn local_day(ms: i64, tz: Tz) -> NaiveDate {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&tz)
        .date_naive()
}

fn site_tz(tz: &FastMap<String, Tz>, site: &str) -> Tz {
    tz.get(site).copied().unwrap_or(chrono_tz::Asia::Shanghai)
}

/// Streams (site, id, anchor time) of a stored file, reading only those columns.
fn scan_keys(
    path: &Path,
    kind: RecordKind,
    id: &str,
    each: &mut dyn FnMut(&str, &str, i64),
) -> Result<(), ImportError> {
    let err = |m: String| ImportError::ReadStored {
        path: path.display().to_string(),
        message: m,
    };
    let file = File::open(path).map_err(|e| err(e.to_string()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| err(e.to_string()))?;
    let wanted: Vec<&str> = ["site_id", id]
        .into_iter()
        .chain(anchor_fields(kind).iter().copied())
        .collect();
    let roots: Vec<usize> = builder
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| wanted.contains(&f.name().as_str()))
        .map(|(i, _)| i)
        .collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(65_536)
        .build()
        .map_err(|e| err(e.to_string()))?;
    for b in reader {
        let b = b.map_err(|e| err(e.to_string()))?;
        scan_batch(&b, kind, id, each).map_err(err)?;
    }
    Ok(())
}

fn scan_batch(
    b: &RecordBatch,
    kind: RecordKind,
    id: &str,
    each: &mut dyn FnMut(&str, &str, i64),
) -> Result<(), String> {
    let text = |name: &str| {
        b.column_by_name(name)
            .and_then(|c| c.as_string_opt::<i32>())
            .ok_or_else(|| format!("column `{name}` is missing or not text"))
    };
    let (sites, ids) = (text("site_id")?, text(id)?);
    let anchors: Vec<_> = anchor_fields(kind)
        .iter()
        .filter_map(|f| b.column_by_name(f))
        .filter_map(|c| c.as_primitive_opt::<TimestampMillisecondType>())
        .collect();
    for r in 0..b.num_rows() {
        if sites.is_null(r) || ids.is_null(r) {
            continue;
        }
        let at = anchors
            .iter()
            .find(|a| !a.is_null(r))
            .map_or(0, |a| a.value(r));
        each(sites.value(r), ids.value(r), at);
    }
    Ok(())
}

/// Importable file formats.
#[derive(Debug, Clone, Copy)]
enum Format {
    Csv,
    JsonLines,
}

impl Format {
    fn of(path: &Path) -> Result<Format, ImportError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Ok(Format::Csv),
            "jsonl" | "ndjson" => Ok(Format::JsonLines),
            _ => Err(ImportError::UnknownFormat(path.display().to_string())),
        }
    }
}

/// Rows handed from the reading thread to the checking ones at once.
const CHUNK_ROWS: usize = 4096;

/// Text a chunk holds at most: long rows make short chunks, so that the rows in flight
/// take a few MiB whatever their length.
const CHUNK_BYTES: usize = 1 << 20;

/// Chunks in flight between threads (this bounds the rows they hold).
const CHUNKS_IN_FLIGHT: usize = 4;

/// Threads checking rows.
const CHECKERS: usize = 2;

/// What the reading thread hands over, numbered in file order: rows, and spent checks
/// whose buffers the checking thread may reuse.
enum Piece {
    Rows(Vec<RawRow>, Vec<Checked>),
    Progress(u64),
}

/// What a checking thread hands back: rows and what the check found, aligned.
enum Done {
    Rows(Vec<RawRow>, Vec<Checked>),
    Progress(u64),
}

/// Rows and checks the taking thread is done with, on their way back to the reading
/// thread, which refills them: a row's buffers are allocated once, not once a row (and
/// not freed on another thread than the one that allocated them).
struct Recycler {
    back: std::sync::mpsc::Receiver<(Vec<RawRow>, Vec<Checked>)>,
    rows: Vec<RawRow>,
    checks: Vec<Checked>,
}

impl Recycler {
    /// A spent row to fill, or a new one.
    fn row(&mut self) -> RawRow {
        if self.rows.is_empty()
            && let Ok((rows, checks)) = self.back.try_recv()
        {
            self.rows = rows;
            self.checks.extend(checks);
        }
        self.rows.pop().unwrap_or_default()
    }

    /// Up to `n` spent checks, sent along with a chunk of `n` rows.
    fn checks(&mut self, n: usize) -> Vec<Checked> {
        let keep = self.checks.len().saturating_sub(n);
        self.checks.split_off(keep)
    }
}

/// Reads and checks the file row by row, calling `take` for each row and what the check
/// found, in file order; returns the ignored columns. One thread reads the file and
/// splits it into rows, [`CHECKERS`] threads check chunks of rows, and this thread takes
/// them back in order: on two cores, reading, checking and writing overlap. Bounded
/// channels keep the rows in flight few.
fn read_checked(
    path: &Path,
    format: Format,
    checker: &Checker<'_>,
    take: &mut dyn FnMut(&RawRow, &Checked) -> Result<(), ImportError>,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<String>, ImportError> {
    let kind = checker.kind;
    let (tx, rx) = std::sync::mpsc::sync_channel::<(u64, Piece)>(CHUNKS_IN_FLIGHT);
    // Bounded: chunks the reader does not take back (it may have finished) are dropped.
    let (back_tx, back_rx) = std::sync::mpsc::sync_channel(CHUNKS_IN_FLIGHT);
    // Checkers share the receiver; the first to find the taker gone drops it, which
    // stops the reader.
    let rx = std::sync::Mutex::new(Some(rx));
    let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<(u64, Done)>(CHUNKS_IN_FLIGHT);
    std::thread::scope(|s| {
        let reader = s.spawn(move || {
            let mut chunk = Vec::with_capacity(CHUNK_ROWS);
            let mut chunk_bytes = 0usize;
            let seq = std::cell::Cell::new(0u64);
            let send = |p: Piece| {
                let n = seq.get();
                seq.set(n + 1);
                tx.send((n, p)).map_err(|_| stopped(path))
            };
            let recycler = std::cell::RefCell::new(Recycler {
                back: back_rx,
                rows: Vec::new(),
                checks: Vec::new(),
            });
            let read = read_rows_here(
                path,
                format,
                kind,
                &mut |row| {
                    chunk_bytes += row.cells.text.len();
                    chunk.push(row);
                    if chunk.len() >= CHUNK_ROWS || chunk_bytes >= CHUNK_BYTES {
                        chunk_bytes = 0;
                        let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
                        let checks = recycler.borrow_mut().checks(full.len());
                        send(Piece::Rows(full, checks))?;
                    }
                    Ok(())
                },
                &mut || recycler.borrow_mut().row(),
                &mut |b| {
                    let _ = send(Piece::Progress(b));
                },
            );
            if read.is_ok() && !chunk.is_empty() {
                let _ = send(Piece::Rows(chunk, Vec::new()));
            }
            read
        });
        let rx = &rx;
        for _ in 0..CHECKERS {
            let done_tx = done_tx.clone();
            s.spawn(move || {
                loop {
                    let next = {
                        let guard = rx.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        match guard.as_ref() {
                            Some(r) => r.recv().ok(),
                            None => None,
                        }
                    };
                    let Some((seq, piece)) = next else { break };
                    let done = match piece {
                        Piece::Rows(rows, mut spent) => {
                            let checks = rows
                                .iter()
                                .map(|r| checker.check_reusing(r, spent.pop()))
                                .collect();
                            Done::Rows(rows, checks)
                        }
                        Piece::Progress(b) => Done::Progress(b),
                    };
                    if done_tx.send((seq, done)).is_err() {
                        rx.lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .take();
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let mut waiting = BTreeMap::new();
        let mut next = 0u64;
        let mut failed = None;
        'pieces: for (seq, done) in &done_rx {
            waiting.insert(seq, done);
            while let Some(done) = waiting.remove(&next) {
                next += 1;
                match done {
                    Done::Rows(rows, checks) => {
                        for (row, checked) in rows.iter().zip(&checks) {
                            if let Err(e) = take(row, checked) {
                                failed = Some(e);
                                break 'pieces;
                            }
                        }
                        // When the reader has enough spares (or has finished), they are
                        // simply dropped.
                        let _ = back_tx.try_send((rows, checks));
                    }
                    Done::Progress(b) => progress(b),
                }
            }
        }
        drop(done_rx);
        joined(path, reader, failed)
    })
}

/// The outcome of a pass whose reading thread fed this one: this side's failure first
/// (it stopped the reader), else what the reader returned.
fn joined<T>(
    path: &Path,
    reader: std::thread::ScopedJoinHandle<'_, Result<T, ImportError>>,
    failed: Option<ImportError>,
) -> Result<T, ImportError> {
    let read = reader.join().unwrap_or_else(|_| {
        Err(ImportError::Io {
            path: path.display().to_string(),
            source: std::io::Error::other("the reading thread failed"),
        })
    });
    match failed {
        Some(e) => Err(e),
        None => read,
    }
}

/// The error of a file that changed while it was read (`what` says how).
fn changed(path: &Path, what: &str) -> ImportError {
    ImportError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(format!(
            "the file changed while it was being imported ({what}); nothing stored: import it again"
        )),
    }
}

/// The error of a reading thread whose rows are no longer taken (the pass failed).
fn stopped(path: &Path) -> ImportError {
    ImportError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other("import stopped"),
    }
}

/// Reads the file row by row on this thread, calling `take` for each.
fn read_rows_here(
    path: &Path,
    format: Format,
    kind: RecordKind,
    take: &mut dyn FnMut(RawRow) -> Result<(), ImportError>,
    fresh: &mut dyn FnMut() -> RawRow,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<String>, ImportError> {
    match format {
        Format::Csv => read_csv(path, kind, take, fresh, progress),
        Format::JsonLines => read_jsonl(path, kind, take, fresh, None, progress),
    }
}

fn columns(
    path: &Path,
    kind: RecordKind,
    header: &[String],
) -> Result<(Vec<Option<usize>>, Vec<String>), ImportError> {
    let fields = stored_fields(kind);
    for (i, h) in header.iter().enumerate() {
        let h = h.trim();
        if !h.is_empty() && header[..i].iter().any(|x| x.trim() == h) {
            return Err(ImportError::Malformed {
                path: path.display().to_string(),
                line: 1,
                message: format!("column `{h}` appears twice in the header"),
            });
        }
    }
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
        let found = if header.iter().all(|h| h.trim().is_empty()) {
            "none (the file is empty or its first line is blank)".to_string()
        } else {
            header.join(", ")
        };
        return Err(ImportError::MissingColumns {
            path: path.display().to_string(),
            kind: kind.as_str().to_string(),
            missing: missing.join(", "),
            found,
        });
    }
    let ignored = header
        .iter()
        .filter(|h| !h.trim().is_empty() && !fields.iter().any(|f| f.name == h.trim()))
        .cloned()
        .collect();
    Ok((index, ignored))
}

/// A reader that keeps the bytes it hands out until they are taken, so that the exact
/// text of each CSV record (and its true line number) is known: the CSV parser reports
/// neither reliably (blank lines shift its line count, and it re-quotes on output).
struct Tee<R> {
    inner: R,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    base: u64,
    /// Index in `buf` of the first byte not taken yet.
    start: usize,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.buf.extend_from_slice(&out[..n]);
        Ok(n)
    }
}

impl<R> Tee<R> {
    fn new(inner: R) -> Tee<R> {
        Tee {
            inner,
            buf: Vec::new(),
            base: 0,
            start: 0,
        }
    }

    /// The bytes from the end of the previous take up to file offset `end`.
    fn take(&mut self, end: u64) -> &[u8] {
        if self.start >= 1 << 16 {
            self.buf.drain(..self.start);
            self.base += self.start as u64;
            self.start = 0;
        }
        let from = self.start;
        let to = usize::try_from(end.saturating_sub(self.base))
            .unwrap_or(usize::MAX)
            .clamp(from, self.buf.len());
        self.start = to;
        &self.buf[from..to]
    }
}

/// Counts lines over consecutive CSV record texts. A line ends with LF, CRLF or a lone
/// CR; a CRLF may be split between two texts (the parser stops after the CR).
#[derive(Default)]
struct Lines {
    breaks: u64,
    after_cr: bool,
}

impl Lines {
    /// The line a record starts on and its text without blank lines before it or its
    /// terminator after it.
    fn record(&mut self, raw: &[u8]) -> (u64, String) {
        let (line, body) = self.record_bytes(raw);
        let text = std::str::from_utf8(body).map_or_else(
            |_| String::from_utf8_lossy(body).into_owned(),
            str::to_string,
        );
        (line, text)
    }

    /// Like [`Lines::record`], the text as bytes.
    fn record_bytes<'r>(&mut self, raw: &'r [u8]) -> (u64, &'r [u8]) {
        let is_eol = |b: &u8| *b == b'\n' || *b == b'\r';
        let lead = raw.iter().take_while(|b| is_eol(b)).count();
        self.count(&raw[..lead]);
        let line = self.breaks + 1;
        self.count(&raw[lead..]);
        let body = &raw[lead..];
        let trail = body.iter().rev().take_while(|b| is_eol(b)).count();
        (line, &body[..body.len() - trail])
    }

    fn count(&mut self, bytes: &[u8]) {
        let Some(&first) = bytes.first() else {
            return;
        };
        // One pass over the text counts LFs and notes CRs.
        let (mut lf, mut cr) = (0u64, false);
        for &b in bytes {
            lf += u64::from(b == b'\n');
            cr |= b == b'\r';
        }
        if !cr {
            // The common case, counted in bulk: only LFs, one of which may end the CR
            // the previous text ended with.
            self.breaks += lf - u64::from(self.after_cr && first == b'\n');
            self.after_cr = false;
            return;
        }
        for b in bytes {
            if *b == b'\r' || (*b == b'\n' && !self.after_cr) {
                self.breaks += 1;
            }
            self.after_cr = *b == b'\r';
        }
    }
}

/// Text of each CSV cell, or the index of the first one that is not UTF-8.
fn utf8_cells(rec: &csv::ByteRecord) -> Result<Vec<&str>, usize> {
    rec.iter()
        .enumerate()
        .map(|(i, b)| std::str::from_utf8(b).map_err(|_| i))
        .collect()
}

/// What a CSV reader hands over for each row.
enum CsvTake<'a> {
    /// The whole row, filled into the row `fresh` gives (a recycled one, or a new one).
    Rows {
        take: &'a mut dyn FnMut(RawRow) -> Result<(), ImportError>,
        fresh: &'a mut dyn FnMut() -> RawRow,
    },
    /// Only the line and the site and id cells (fields `site` and `id`), when they are
    /// UTF-8: the first pass, which need not copy rows.
    Keys {
        site: usize,
        id: usize,
        each: &'a mut dyn FnMut(u64, &str, &str) -> Result<(), ImportError>,
    },
}

fn read_csv(
    path: &Path,
    kind: RecordKind,
    take: &mut dyn FnMut(RawRow) -> Result<(), ImportError>,
    fresh: &mut dyn FnMut() -> RawRow,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<String>, ImportError> {
    read_csv_as(path, kind, CsvTake::Rows { take, fresh }, None, progress)
}

/// Reads the rows of a CSV file, or of one segment of it (the header is read from the
/// file's start either way).
fn read_csv_as(
    path: &Path,
    kind: RecordKind,
    mut take: CsvTake<'_>,
    segment: Option<Segment>,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<String>, ImportError> {
    let file = File::open(path).map_err(io(path))?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(Tee::new(file));
    let label = path.display().to_string();
    let not_utf8 = |line: u64, column: Option<String>| ImportError::NotUtf8 {
        path: label.clone(),
        line,
        column,
    };
    let mut rec = csv::ByteRecord::new();
    let mut lines = Lines::default();
    let has_header = rdr
        .read_byte_record(&mut rec)
        .map_err(|e| csv_error(&label, &e))?;
    let end = rdr.position().byte();
    let (header_line, _) = lines.record(rdr.get_mut().take(end));
    let header: Vec<String> = if has_header {
        utf8_cells(&rec)
            .map_err(|_| not_utf8(header_line, None))?
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = if i == 0 {
                    h.trim_start_matches('\u{feff}')
                } else {
                    h
                };
                h.to_string()
            })
            .collect()
    } else {
        Vec::new()
    };
    let (index, ignored) = columns(path, kind, &header)?;
    if let (Some(seg), CsvTake::Rows { take, fresh }) = (segment, &mut take) {
        read_plain_segment(path, seg, &header, &index, take, fresh, progress)?;
        return Ok(ignored);
    }
    let mut n = 0u64;
    // Byte range of each cell of the current record (reused from row to row).
    let mut starts: Vec<(usize, usize)> = Vec::new();
    while rdr
        .read_byte_record(&mut rec)
        .map_err(|e| csv_error(&label, &e))?
    {
        let end = rdr.position().byte();
        if let CsvTake::Keys { site, id, each } = &mut take {
            let (line, body) = lines.record_bytes(rdr.get_mut().take(end));
            let blank = std::str::from_utf8(body).map_or_else(
                |_| String::from_utf8_lossy(body).trim().is_empty(),
                |t| t.trim().is_empty(),
            );
            if blank {
                continue;
            }
            let cell = |f: usize| {
                index[f]
                    .and_then(|i| rec.get(i))
                    .map_or(Some(""), |b| std::str::from_utf8(b).ok())
            };
            if let (Some(s), Some(i)) = (cell(*site), cell(*id)) {
                each(line, s, i)?;
            }
            n += 1;
            if n.is_multiple_of(65_536) {
                progress(end);
            }
            continue;
        }
        let (line, body) = lines.record_bytes(rdr.get_mut().take(end));
        // The cells of a UTF-8 record are UTF-8 too: they are its bytes without quotes.
        // The converse fails only where a quote splits a character (`"T\xC3"\xA9`): the
        // cells are read, and the original is kept with a replacement character.
        let lossy;
        let original = match std::str::from_utf8(body) {
            Ok(text) => text,
            Err(_) => {
                if let Err(i) = utf8_cells(&rec) {
                    let column = column_name(&header, i);
                    return Err(not_utf8(line, Some(column)));
                }
                lossy = String::from_utf8_lossy(body).into_owned();
                lossy.as_str()
            }
        };
        if original.trim().is_empty() {
            // A line of spaces is as blank as an empty line (which the parser skips):
            // neither is a row.
            continue;
        }
        // Without quotes, the record is its cells joined by commas: each cell is a range
        // of the original, and nothing is copied twice.
        let verbatim = !body.contains(&b'"')
            && rec.as_slice().len() + rec.len().saturating_sub(1) == body.len();
        let all = if verbatim {
            ""
        } else {
            std::str::from_utf8(rec.as_slice()).map_err(|_| not_utf8(line, None))?
        };
        let mut row = match &mut take {
            CsvTake::Rows { fresh, .. } => fresh(),
            CsvTake::Keys { .. } => RawRow::default(),
        };
        let cells = &mut row.cells;
        cells.reset(index.len(), original, if verbatim { 0 } else { all.len() });
        starts.clear();
        let mut at = 0;
        for i in 0..rec.len() {
            let r = rec.range(i).unwrap_or(0..0);
            starts.push(if verbatim {
                (at, at + r.len())
            } else {
                (r.start, r.end)
            });
            at += r.len() + 1;
        }
        for (f, i) in index.iter().enumerate() {
            let Some(&(a, b)) = i.and_then(|i| starts.get(i)) else {
                continue;
            };
            if verbatim {
                cells.set_span(f, (a, b));
            } else if let Some(cell) = all.get(a..b) {
                cells.set(f, cell);
            }
        }
        row.line = line;
        row.cell_errors.clear();
        row.shape = shape_problem(line, original, rec.len(), header.len());
        if let CsvTake::Rows { take, .. } = &mut take {
            take(row)?;
        }
        n += 1;
        if n.is_multiple_of(65_536) {
            progress(end);
        }
    }
    progress(std::fs::metadata(path).map_or(0, |m| m.len()));
    Ok(ignored)
}

/// Reads the rows of a segment of a CSV file without quote characters (see [`Cuts`]):
/// every line is a record and every comma ends a cell, so lines are split directly, with
/// the rows, line numbers and errors the CSV parser gives such a file.
fn read_plain_segment(
    path: &Path,
    seg: Segment,
    header: &[String],
    index: &[Option<usize>],
    take: &mut dyn FnMut(RawRow) -> Result<(), ImportError>,
    fresh: &mut dyn FnMut() -> RawRow,
    progress: &mut dyn FnMut(u64),
) -> Result<(), ImportError> {
    let mut reader = BufReader::with_capacity(1 << 20, seg.open(path)?);
    let mut line = seg.first_line - 1;
    let mut read = 0u64;
    // Byte range of each cell of the current line (reused from line to line).
    let mut starts: Vec<(usize, usize)> = Vec::new();
    let mut each = |text: &[u8]| -> Result<(), ImportError> {
        line += 1;
        read += text.len() as u64;
        let mut body = text;
        if let Some(b) = body.strip_suffix(b"\n") {
            body = b.strip_suffix(b"\r").unwrap_or(b);
        }
        comma_spans(body, &mut starts);
        let Ok(original) = std::str::from_utf8(body) else {
            let bad = starts
                .iter()
                .position(|(a, z)| std::str::from_utf8(&body[*a..*z]).is_err())
                .unwrap_or(0);
            let column = column_name(header, bad);
            return Err(ImportError::NotUtf8 {
                path: path.display().to_string(),
                line,
                column: Some(column),
            });
        };
        if parse::trim(original).is_empty() {
            // Blank, as the parser skips it.
            return Ok(());
        }
        let mut row = fresh();
        row.cells.reset(index.len(), original, 0);
        for (f, i) in index.iter().enumerate() {
            if let Some(&span) = i.and_then(|i| starts.get(i)) {
                row.cells.set_span(f, span);
            }
        }
        row.line = line;
        row.cell_errors.clear();
        // A line of a segment holds no line break (the segment has no quote to hold one).
        row.shape = cell_count_problem(line, 0, starts.len(), header.len());
        take(row)?;
        if line.is_multiple_of(65_536) {
            progress(seg.start + read);
        }
        Ok(())
    };
    // Lines are found in the reader's buffer; one split between two fills is put
    // together in `pending`.
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let available = reader.fill_buf().map_err(io(path))?;
        if available.is_empty() {
            if !pending.is_empty() {
                each(&pending)?;
            }
            break;
        }
        let (used, ends) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if ends && pending.is_empty() {
            each(&available[..used])?;
        } else {
            pending.extend_from_slice(&available[..used]);
            if ends {
                each(&pending)?;
                pending.clear();
            }
        }
        reader.consume(used);
    }
    progress(seg.end);
    Ok(())
}

/// The byte range of each comma-separated cell of `body` (a line without quotes), into
/// `spans`. The commas are found eight bytes at a time: in a word xor-ed with commas, a
/// comma is a zero byte, and `((x & 0x7f…) + 0x7f…) | x` has the high bit of exactly
/// the non-zero bytes set (the sum cannot carry into the next byte). A row has a comma
/// every few bytes, where a search that starts afresh after each one costs more.
fn comma_spans(body: &[u8], spans: &mut Vec<(usize, usize)>) {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const COMMAS: u64 = 0x2c2c_2c2c_2c2c_2c2c;
    spans.clear();
    let mut at = 0;
    let mut words = body.chunks_exact(8);
    let mut base = 0usize;
    for w in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        let x = u64::from_le_bytes(word) ^ COMMAS;
        // The high bit of each comma byte.
        let mut commas = !(((x & LOW) + LOW) | x | LOW);
        while commas != 0 {
            let i = base + (commas.trailing_zeros() / 8) as usize;
            spans.push((at, i));
            at = i + 1;
            commas &= commas - 1;
        }
        base += 8;
    }
    for (j, c) in words.remainder().iter().enumerate() {
        if *c == b',' {
            spans.push((at, base + j));
            at = base + j + 1;
        }
    }
    spans.push((at, body.len()));
}

/// What is wrong with a CSV record's shape, if anything. A quote left open swallows the
/// rest of the file into one cell; the record then ends inside quotes (an odd number of
/// quote characters), which no well-formed record does.
fn shape_problem(line: u64, original: &str, cells: usize, header: usize) -> Option<String> {
    // Line breaks: LF, CR, or CRLF (one break).
    let b = original.as_bytes();
    let more = if b.contains(&b'\n') || b.contains(&b'\r') {
        b.iter()
            .enumerate()
            .filter(|&(i, c)| *c == b'\n' || (*c == b'\r' && b.get(i + 1) != Some(&b'\n')))
            .count()
    } else {
        0
    };
    if more > 0 && original.matches('"').count() % 2 == 1 {
        return Some(format!(
            "unclosed quote: the row runs from line {line} to the end of the file ({more} more line(s))"
        ));
    }
    cell_count_problem(line, more, cells, header)
}

/// What is wrong with a row of `cells` cells under a header of `header`, the row running
/// over `more` line breaks past its first line.
fn cell_count_problem(line: u64, more: usize, cells: usize, header: usize) -> Option<String> {
    (cells != header).then(|| {
        let mut m = format!("row has {cells} cells, header has {header}");
        if more > 0 {
            m.push_str(&format!(
                " (it runs over lines {line}–{}: a misplaced quote?)",
                line + more as u64
            ));
        }
        m
    })
}

fn csv_error(path: &str, e: &csv::Error) -> ImportError {
    match e.kind() {
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

/// At most this many unknown JSON keys are listed as ignored columns.
const MAX_IGNORED: usize = 50;

/// The last ignored column listed when there are more.
const MORE_IGNORED: &str = "… (more not listed)";

/// Reads the rows of a JSON Lines file, or of one segment of it (every line is a row).
fn read_jsonl(
    path: &Path,
    kind: RecordKind,
    take: &mut dyn FnMut(RawRow) -> Result<(), ImportError>,
    fresh: &mut dyn FnMut() -> RawRow,
    segment: Option<Segment>,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<String>, ImportError> {
    let seg = segment.unwrap_or(Segment {
        start: 0,
        end: u64::MAX,
        first_line: 1,
    });
    let fields = stored_fields(kind);
    let mut ignored = BTreeSet::new();
    let mut reader = BufReader::new(seg.open(path)?);
    let mut buf = Vec::new();
    let (mut line, mut bytes) = (seg.first_line - 1, seg.start);
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
            column: None,
        })?;
        let text = text.trim_end_matches(['\n', '\r']);
        let text = if line == 1 {
            text.trim_start_matches('\u{feff}')
        } else {
            text
        };
        if text.trim().is_empty() {
            continue;
        }
        let row = json_row(fresh(), text, line, &fields, &mut ignored);
        take(row)?;
        if line.is_multiple_of(65_536) {
            progress(bytes);
        }
    }
    progress(bytes);
    let mut ignored: Vec<String> = ignored.into_iter().collect();
    if ignored.len() > MAX_IGNORED {
        ignored.truncate(MAX_IGNORED);
        ignored.push(MORE_IGNORED.to_string());
    }
    Ok(ignored)
}

/// The row of a JSON Lines line, filled into `row` (a recycled or new one).
fn json_row(
    mut row: RawRow,
    text: &str,
    line: u64,
    fields: &[&'static FieldDef],
    ignored: &mut BTreeSet<String>,
) -> RawRow {
    row.line = line;
    row.cells.reset(fields.len(), text, text.len());
    row.cell_errors.clear();
    row.shape = None;
    let obj = match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text) {
        Ok(obj) => obj,
        Err(e) => {
            // serde_json says "at line 1 column N": the line is the file's, not the text's.
            let m = e.to_string();
            let m = m
                .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
                .unwrap_or(&m);
            row.shape = Some(format!("not a JSON object: {m} (column {})", e.column()));
            return row;
        }
    };
    for k in obj.keys() {
        if ignored.len() <= MAX_IGNORED && !fields.iter().any(|f| f.name == k.as_str()) {
            ignored.insert(k.clone());
        }
    }
    for (i, f) in fields.iter().enumerate() {
        match obj.get(f.name) {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::String(s)) => row.cells.set(i, s),
            Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                row.cells.set(i, &v.to_string());
            }
            Some(v) => {
                let what = if v.is_array() {
                    "an array"
                } else {
                    "an object"
                };
                row.cell_errors
                    .push((i, format!("{}: {what} is not a {}", f.name, f.ty.name())));
            }
        }
    }
    row
}

impl<'a> Checker<'a> {
    fn new(kind: RecordKind, org: &'a Organisation) -> Checker<'a> {
        let tz = org.sites.iter().map(|s| (s.id.clone(), s.tz)).collect();
        let fields = stored_fields(kind);
        let site_index = fields.iter().position(|f| f.name == "site_id").unwrap_or(0);
        let index_of = |name: &str| fields.iter().position(|f| f.name == name);
        Checker {
            kind,
            rules: parse::Rules::new(kind, &index_of),
            anchors: anchor_fields(kind)
                .iter()
                .filter_map(|f| index_of(f))
                .collect(),
            id_index: id_field(kind).and_then(index_of),
            fields,
            site_index,
            org,
            sites: org
                .sites
                .iter()
                .map(|s| (s.id.as_str(), (s, site_tz(&tz, &s.id))))
                .collect(),
            tz,
        }
    }

    fn check(&self, row: &RawRow) -> Checked {
        self.check_reusing(row, None)
    }

    /// Checks a row, reusing the buffers of a spent check.
    fn check_reusing(&self, row: &RawRow, spent: Option<Checked>) -> Checked {
        if let Some(shape) = &row.shape {
            return Checked::Invalid(vec![("malformed row".into(), shape.clone())]);
        }
        let mut reasons: Vec<(String, String)> = Vec::new();
        let text = row.cells.text.as_str();
        let site_span = row
            .cells
            .span(self.site_index)
            .map_or((0, 0), trimmed(text));
        let site = text.get(site_span.0..site_span.1).unwrap_or("");
        // A row of an unknown site is rejected anyway; its local times are read in the
        // default zone so that the reasons name what is wrong, not the zone.
        let tz = self
            .site_check(site, &mut reasons)
            .unwrap_or(chrono_tz::Asia::Shanghai);
        let mut values = match spent {
            Some(Checked::Valid(v)) => v.values,
            _ => Vec::with_capacity(self.fields.len()),
        };
        values.clear();
        for (i, f) in self.fields.iter().enumerate().take(row.cells.len()) {
            let span = row.cells.span(i);
            let raw = span.and_then(|(a, b)| text.get(a..b)).unwrap_or("");
            let parsed = match row.cell_errors.iter().find(|(j, _)| *j == i) {
                Some((_, e)) => Err(e.clone()),
                None => parse::cell(f, raw, Some(tz)),
            };
            values.push(match parsed {
                Ok(Field::Null) => {
                    if f.required {
                        reasons.push((
                            format!("missing {}", f.name),
                            format!("{} is required", f.name),
                        ));
                    }
                    Typed::Null
                }
                Ok(Field::Str(t)) => {
                    // `t` is the trimmed cell, a slice of `text`: its range is its offset
                    // (should a parse ever return other text, the cell is trimmed again).
                    let a = (t.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
                    match a.checked_add(t.len()).filter(|z| *z <= text.len()) {
                        Some(z) => Typed::Str(a, z),
                        None => {
                            let (a, z) = span.map_or((0, 0), trimmed(text));
                            Typed::Str(a, z)
                        }
                    }
                }
                Ok(Field::Bool(b)) => Typed::Bool(b),
                Ok(Field::Num(x)) => Typed::Num(x),
                Ok(Field::Ts(t)) => Typed::Ts(t),
                Err(e) => {
                    reasons.push((format!("invalid {}", f.name), e));
                    Typed::Null
                }
            });
        }
        let get = |i: usize| values.get(i).map_or(Field::Null, |v| v.field(text));
        for v in self.rules.check(&get) {
            reasons.push((v.code, v.message));
        }
        let anchor = self.anchors.iter().find_map(|i| match get(*i) {
            Field::Ts(t) => Some(t),
            _ => None,
        });
        if anchor.is_none() && reasons.is_empty() {
            reasons.push((
                "no timestamp".into(),
                format!("none of {} is set", anchor_fields(self.kind).join(", ")),
            ));
        }
        let Some(anchor) = anchor.filter(|_| reasons.is_empty()) else {
            return Checked::Invalid(reasons);
        };
        let key = self.id_index.and_then(|i| match get(i) {
            Field::Str(id) => Some(key(site, id)),
            _ => None,
        });
        Checked::Valid(Valid {
            values,
            day: local_day(anchor, tz),
            anchor,
            site: site_span,
            key,
        })
    }

    /// Checks the site; returns its time zone when it is known.
    fn site_check(&self, site: &str, reasons: &mut Vec<(String, String)>) -> Option<Tz> {
        if site.is_empty() {
            return None;
        }
        if let Some((s, tz)) = self.sites.get(site) {
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
            return Some(*tz);
        }
        if required_scene(self.kind).is_none() && self.org.node(site).is_some() {
            return Some(chrono_tz::Asia::Shanghai);
        }
        let what = match required_scene(self.kind) {
            Some(_) if self.org.node(site).is_some() => format!(
                "`{site}` is an organisation node, but `{}` records belong to a site",
                self.kind.as_str()
            ),
            _ => format!("site `{site}` is not in the organisation"),
        };
        reasons.push(("unknown site".into(), what));
        None
    }
}

/// The byte range of a cell's text without its leading and trailing white space, from
/// the cell's range in `text`.
fn trimmed(text: &str) -> impl Fn((usize, usize)) -> (usize, usize) + '_ {
    move |(a, b)| {
        let cell = text.get(a..b).unwrap_or("");
        let start = a + (cell.len() - parse::trim_start(cell).len());
        (start, start + parse::trim(cell).len())
    }
}

/// Rows all month writers of a run may buffer together (two full row groups).
const MAX_BUFFERED_ROWS: usize = 131_072;

fn month_label((year, month): (i32, u32)) -> String {
    format!("{year:04}-{month:02}")
}

/// What becomes of a valid row.
enum Fate {
    Store,
    Duplicate(String),
    /// `--replace` and the id is stored on another day: a duplicate unless this file
    /// also covers that day (then the stored row is superseded), known only at the end.
    Defer(Stored),
}

/// A row set aside by `--replace`, with where its id is stored.
#[derive(Serialize, Deserialize)]
struct DeferredRow {
    stored: Stored,
    row: RawRow,
}

/// Rows set aside until the end of the file, in a temporary JSON Lines file.
struct Deferred {
    path: PathBuf,
    out: BufWriter<File>,
    rows: u64,
}

/// State of one import run.
struct Run {
    dir: DataDir,
    kind: RecordKind,
    batch: i64,
    tag: u32,
    replace: bool,
    /// What the first pass found about lines with ids (repeats, ids already stored).
    notes: Notes,
    /// First valid line of each id on several lines of the file, by the id's first line
    /// (at most the sorter budget of lines are in such groups).
    group_first: FastMap<u64, u64>,
    /// Rows of the first pass, to check the second reads the same file.
    first_pass_rows: Option<u64>,
    file_size: u64,
    /// Temporary files of this run (sorted runs, rows set aside); removed at its end.
    scratch_dir: PathBuf,
    /// Records a sorter may hold in memory.
    budget: usize,
    /// Sites of the stored rows, numbered for the key indexes.
    sites: Sites,
    /// One writer per month (year, month) of the rows' local days.
    writers: BTreeMap<(i32, u32), PartitionWriter>,
    /// Rows the writers may buffer together before the fullest one writes a row group.
    row_budget: usize,
    quarantine: Option<csv::Writer<File>>,
    quarantine_path: PathBuf,
    deferred: Option<Deferred>,
    read: u64,
    stored: u64,
    quarantined: u64,
    duplicates: u64,
    reasons: BTreeMap<String, u64>,
    files: Vec<(String, String, u64)>,
    coverage: BTreeSet<(String, NaiveDate)>,
    /// The site and day last added to `coverage`.
    last_covered: Option<(String, NaiveDate)>,
    /// Raised when the file turns out to be stored already: the run stops at its next
    /// row.
    same: Option<Arc<AtomicBool>>,
}

impl Run {
    fn new(dir: &DataDir, kind: RecordKind, batch: i64, replace: bool) -> Run {
        let tag = run_tag();
        Run {
            dir: dir.clone(),
            kind,
            batch,
            tag,
            replace,
            notes: Notes::none(),
            group_first: FastMap::default(),
            first_pass_rows: None,
            file_size: 0,
            scratch_dir: dir.run_scratch(kind.as_str(), batch, tag),
            budget: SPILL_BUDGET,
            sites: Sites::default(),
            writers: BTreeMap::new(),
            row_budget: MAX_BUFFERED_ROWS,
            quarantine: None,
            quarantine_path: dir.quarantine_run(kind.as_str(), batch, tag),
            deferred: None,
            read: 0,
            stored: 0,
            quarantined: 0,
            duplicates: 0,
            reasons: BTreeMap::new(),
            files: Vec::new(),
            coverage: BTreeSet::new(),
            last_covered: None,
            same: None,
        }
    }

    fn scratch(&self) -> keys::Scratch<'_> {
        keys::Scratch {
            dir: &self.scratch_dir,
            budget: self.budget,
            tag: self.tag,
        }
    }

    /// Both passes must read the same rows: the file must not change meanwhile.
    fn check_same_rows(&self, path: &Path) -> Result<(), ImportError> {
        match self.first_pass_rows {
            Some(n) if n != self.read => {
                Err(changed(path, &format!("{n} rows, then {}", self.read)))
            }
            _ => Ok(()),
        }
    }

    /// Removes the run's temporary files.
    fn remove_scratch(&mut self) {
        self.notes = Notes::none();
        // Best effort: the directory holds only this run's temporary files.
        let _ = std::fs::remove_dir_all(&self.scratch_dir);
    }

    #[cfg(test)]
    fn take(&mut self, checker: &Checker<'_>, row: &RawRow) -> Result<(), ImportError> {
        let checked = checker.check(row);
        self.take_checked(row, &checked)
    }

    fn take_checked(&mut self, row: &RawRow, checked: &Checked) -> Result<(), ImportError> {
        if self
            .same
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
        {
            return Err(ImportError::Io {
                path: String::new(),
                source: std::io::Error::other("stopped: the file is stored already"),
            });
        }
        self.read += 1;
        match checked {
            Checked::Invalid(reasons) => self.quarantine(row, reasons),
            Checked::Valid(v) => match self.fate(v, row.line)? {
                Fate::Store => self.store(v, row),
                Fate::Duplicate(why) => self.duplicate(row, why),
                // Rare (`--replace`, an id stored on another day): the row is copied.
                Fate::Defer(stored) => self.defer(row.clone(), stored),
            },
        }
    }

    fn fate(&mut self, v: &Valid, line: u64) -> Result<Fate, ImportError> {
        if v.key.is_none() {
            return Ok(Fate::Store);
        }
        Ok(match self.notes.at(line)? {
            None => Fate::Store,
            Some(Note::Repeat { first, .. }) => {
                Fate::Duplicate(format!("same id as line {first} of this file"))
            }
            Some(Note::Group { first, stored, .. }) => match self.group_first.get(&first) {
                Some(valid) => Fate::Duplicate(format!("same id as line {valid} of this file")),
                None => {
                    self.group_first.insert(first, line);
                    self.stored_fate(v, stored)
                }
            },
            Some(Note::Stored { stored, .. }) => self.stored_fate(v, Some(stored)),
        })
    }

    /// What becomes of the first valid row of an id, stored already or not.
    fn stored_fate(&self, v: &Valid, stored: Option<Stored>) -> Fate {
        match stored {
            None => Fate::Store,
            Some(s) if !self.replace => {
                Fate::Duplicate(format!("already stored in batch {}", s.batch))
            }
            Some(s) if s.day == v.day.num_days_from_ce() => Fate::Store,
            Some(s) => Fate::Defer(s),
        }
    }

    fn store(&mut self, v: &Valid, row: &RawRow) -> Result<(), ImportError> {
        let month = (v.day.year(), v.day.month());
        let w = match self.writers.entry(month) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                let part = usize::try_from(self.tag).unwrap_or(0);
                let rel = DataDir::batch_file_rel(
                    self.kind.as_str(),
                    &month_label(month),
                    self.batch,
                    part,
                );
                e.insert(PartitionWriter::create(
                    &self.dir,
                    rel,
                    self.kind,
                    &self.scratch_dir,
                    // Run files of each month's key index apart from the others'.
                    &format!("index-{}", month_label(month)),
                    self.budget,
                )?)
            }
        };
        let text = row.cells.text.as_str();
        w.push(&v.values, text)?;
        let site = text.get(v.site.0..v.site.1).unwrap_or("");
        if let Some(key) = v.key {
            let site = self.sites.number(site);
            if let Some(w) = self.writers.get_mut(&month) {
                w.push_key(keys::Entry {
                    key,
                    at: v.anchor,
                    site,
                })?;
            }
        }
        // Rows come mostly in runs of one site and day: only a change is looked up.
        if self
            .last_covered
            .as_ref()
            .is_none_or(|(s, d)| *d != v.day || s != site)
        {
            self.coverage.insert((site.to_string(), v.day));
            self.last_covered = Some((site.to_string(), v.day));
        }
        self.stored += 1;
        self.keep_within_budget()
    }

    /// Rows of a file spanning many months go to many writers at once; each buffers up
    /// to a row group, so together they could hold most of the file. Past the budget the
    /// fullest writer writes its rows out as a (smaller) row group.
    fn keep_within_budget(&mut self) -> Result<(), ImportError> {
        let total: usize = self.writers.values().map(PartitionWriter::buffered).sum();
        if total > self.row_budget
            && let Some(w) = self.writers.values_mut().max_by_key(|w| w.buffered())
        {
            w.flush()?;
        }
        // The key index entries of the writers share the sorter budget likewise.
        let keys: usize = self
            .writers
            .values()
            .map(PartitionWriter::keys_buffered)
            .sum();
        if keys >= self.budget
            && let Some(w) = self.writers.values_mut().max_by_key(|w| w.keys_buffered())
        {
            w.spill_keys()?;
        }
        Ok(())
    }

    fn duplicate(&mut self, row: &RawRow, why: String) -> Result<(), ImportError> {
        self.duplicates += 1;
        self.quarantine(row, &[("duplicate id".into(), why)])
    }

    fn pending_path(&self, pass: u64) -> PathBuf {
        self.scratch_dir.join(format!("pending{}.jsonl", pass % 2))
    }

    fn defer(&mut self, row: RawRow, stored: Stored) -> Result<(), ImportError> {
        if self.deferred.is_none() {
            self.deferred = Some(Deferred::create(self.pending_path(0))?);
        }
        match &mut self.deferred {
            Some(d) => d.push(&DeferredRow { stored, row }),
            None => Ok(()),
        }
    }

    /// Settles the rows whose id is stored on another day (`--replace` only): stored when
    /// this batch covers that day (the stored row is superseded), else duplicates. Storing
    /// one can cover another's day, so passes repeat until one stores nothing. Each pass
    /// streams the rows left from one temporary file to the next.
    fn resolve_deferred(&mut self, checker: &Checker<'_>) -> Result<(), ImportError> {
        let Some(d) = self.deferred.take() else {
            return Ok(());
        };
        let (mut path, mut left) = d.finish()?;
        for pass in 1.. {
            let mut next = Deferred::create(self.pending_path(pass))?;
            for_each_deferred(&path, &mut |d| match self.superseding(checker, &d) {
                Some(v) => self.store(&v, &d.row),
                None => next.push(&d),
            })?;
            let _ = std::fs::remove_file(&path);
            let (next_path, rows) = next.finish()?;
            path = next_path;
            if rows == left || rows == 0 {
                break;
            }
            left = rows;
        }
        for_each_deferred(&path, &mut |d| {
            let why = stored_elsewhere(d.stored);
            self.duplicate(&d.row, why)
        })?;
        let _ = std::fs::remove_file(&path);
        Ok(())
    }

    /// The row, typed, when the day its id is stored on is covered by this batch.
    fn superseding(&self, checker: &Checker<'_>, d: &DeferredRow) -> Option<Valid> {
        let Checked::Valid(v) = checker.check(&d.row) else {
            return None;
        };
        let day = NaiveDate::from_num_days_from_ce_opt(d.stored.day)?;
        let site = d.row.cells.text.get(v.site.0..v.site.1)?;
        self.coverage
            .contains(&(site.to_string(), day))
            .then_some(v)
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
            let mut w = csv::Writer::from_path(&p).map_err(io_other(&p))?;
            w.write_record(["line", "reasons", "original"])
                .map_err(io_other(&p))?;
            self.quarantine = Some(w);
        }
        let text: Vec<&str> = reasons.iter().map(|(_, m)| m.as_str()).collect();
        if let Some(w) = self.quarantine.as_mut() {
            w.write_record([&row.line.to_string(), &text.join("; "), row.original()])
                .map_err(io_other(&self.quarantine_path))?;
        }
        Ok(())
    }

    fn finish_writers(&mut self) -> Result<(), ImportError> {
        if let Some(q) = self.quarantine.take() {
            let p = &self.quarantine_path;
            let file = q.into_inner().map_err(|e| ImportError::Io {
                path: p.display().to_string(),
                source: std::io::Error::other(e.to_string()),
            })?;
            file.sync_all().map_err(io(p))?;
        }
        for (month, w) in std::mem::take(&mut self.writers) {
            let (rel, rows) = w.finish(&self.dir, self.sites.names())?;
            self.files.push((rel, month_label(month), rows));
        }
        Ok(())
    }

    /// Takes in a run that read the next segment of the same file (both finished): its
    /// counts, files and coverage, and its quarantined rows after this run's.
    fn absorb(&mut self, mut other: Run) -> Result<(), ImportError> {
        self.read += other.read;
        self.stored += other.stored;
        self.quarantined += other.quarantined;
        self.duplicates += other.duplicates;
        for (code, n) in std::mem::take(&mut other.reasons) {
            *self.reasons.entry(code).or_default() += n;
        }
        self.files.append(&mut other.files);
        self.coverage.append(&mut other.coverage);
        other.remove_scratch();
        if other.quarantined == 0 {
            return Ok(());
        }
        let (from, to) = (&other.quarantine_path, &self.quarantine_path);
        if !to.exists() {
            return std::fs::rename(from, to).map_err(io(to));
        }
        // Append the other's rows, without its header line.
        let appended = (|| {
            let mut rows = BufReader::new(File::open(from).map_err(io(from))?);
            let mut header = Vec::new();
            rows.read_until(b'\n', &mut header).map_err(io(from))?;
            let mut out = std::fs::OpenOptions::new()
                .append(true)
                .open(to)
                .map_err(io(to))?;
            std::io::copy(&mut rows, &mut out).map_err(io(to))?;
            out.sync_all().map_err(io(to))
        })();
        let _ = std::fs::remove_file(from);
        appended
    }

    /// Removes the files of a batch that will not be committed (`--strict`).
    fn discard(&self) {
        for (rel, _, _) in &self.files {
            // Best effort: an uncommitted file is invisible anyway.
            let path = self.dir.abs(rel);
            let _ = std::fs::remove_file(keys::index_path(&path));
            let _ = std::fs::remove_file(path);
        }
    }

    /// Removes everything a failed run wrote: it is invisible anyway, and a quarantine
    /// file of a file that was not imported would mislead.
    fn abandon(&mut self) {
        for (_, w) in std::mem::take(&mut self.writers) {
            w.abandon();
        }
        self.discard();
        self.quarantine = None;
        let _ = std::fs::remove_file(&self.quarantine_path);
        self.deferred = None;
        self.remove_scratch();
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

impl Deferred {
    fn create(path: PathBuf) -> Result<Deferred, ImportError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        let out = BufWriter::new(File::create(&path).map_err(io(&path))?);
        Ok(Deferred { path, out, rows: 0 })
    }

    fn push(&mut self, row: &DeferredRow) -> Result<(), ImportError> {
        let line = serde_json::to_string(row).map_err(|e| ImportError::Io {
            path: self.path.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        writeln!(self.out, "{line}").map_err(io(&self.path))?;
        self.rows += 1;
        Ok(())
    }

    /// Flushes the file; returns its path and the number of rows in it.
    fn finish(self) -> Result<(PathBuf, u64), ImportError> {
        let Deferred { path, out, rows } = self;
        out.into_inner().map_err(|e| ImportError::Io {
            path: path.display().to_string(),
            source: e.into_error(),
        })?;
        Ok((path, rows))
    }
}

fn for_each_deferred(
    path: &Path,
    each: &mut dyn FnMut(DeferredRow) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let file = File::open(path).map_err(io(path))?;
    for line in BufReader::new(file).lines() {
        let line = line.map_err(io(path))?;
        let row = serde_json::from_str(&line).map_err(|e| ImportError::Io {
            path: path.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        each(row)?;
    }
    Ok(())
}

/// Why a row set aside by `--replace` is a duplicate after all.
fn stored_elsewhere(old: Stored) -> String {
    let day =
        NaiveDate::from_num_days_from_ce_opt(old.day).map_or_else(String::new, |d| d.to_string());
    format!(
        "already stored in batch {} on {day}; --replace supersedes only the days this file covers",
        old.batch
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = r#"
[[node]]
id = "op"
level = "operator"
name_zh = "运营商"

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
name_zh = "营业厅"
scene = "hall"
area = "urban"
"#;

    fn ticket(line: u64, id: &str, issued_at: &str) -> RawRow {
        let fields = stored_fields(RecordKind::HallTicket);
        let mut cells = Cells::default();
        cells.reset(fields.len(), "", 64);
        for (name, value) in [
            ("site_id", "h1"),
            ("ticket_id", id),
            ("service_type", "payment"),
            ("issued_at", issued_at),
            ("outcome", "left"),
        ] {
            let i = fields.iter().position(|f| f.name == name).expect("field");
            cells.set(i, value);
        }
        RawRow {
            line,
            cells,
            cell_errors: Vec::new(),
            shape: None,
        }
    }

    /// The segments `text` is cut into in `parts`, fed in blocks of `block` bytes.
    fn cut(text: &str, parts: usize, block: usize) -> Option<Vec<Segment>> {
        cut_as(Format::Csv, text, parts, block)
    }

    fn cut_as(format: Format, text: &str, parts: usize, block: usize) -> Option<Vec<Segment>> {
        let mut cuts = Cuts::new(text.len() as u64, parts, format);
        for b in text.as_bytes().chunks(block) {
            cuts.feed(b);
        }
        cuts.segments()
    }

    #[test]
    fn a_hash_of_more_or_fewer_bytes_than_were_read_is_refused() {
        // The file grew (or shrank) between the reading and the hashing: 5 bytes hashed
        // against 6 or 4 read is an error naming both; 5 against 5 gives the hash.
        let path = Path::new("day.csv");
        let hashing = || std::thread::spawn(|| Ok(("abc".to_string(), 5u64)));
        for read in [6, 4] {
            let e = joined_hash(path, hashing(), read).expect_err("changed");
            let message = e.to_string();
            assert!(message.contains("the file changed"), "{message}");
            assert!(message.contains(&format!("{read} bytes read, 5 bytes hashed")));
        }
        assert_eq!(joined_hash(path, hashing(), 5).expect("same size"), "abc");
    }

    #[test]
    fn comma_spans_are_found_in_every_byte_of_a_word_and_past_the_last() {
        // Cells of 0 to 9 bytes, so commas land on every position of an eight-byte word
        // and in the tail after the last whole word; also a line of only commas, a line
        // without any, and bytes ≥ 0x80 next to commas (the high bit must not pass for
        // one). Expected spans from splitting on ',' byte by byte.
        let mut lines: Vec<Vec<u8>> = vec![b",,,,,,,,,,,".to_vec(), b"no commas here".to_vec()];
        lines.push(Vec::new());
        for n in 0..10usize {
            let cells: Vec<String> = (0..7).map(|k| "x".repeat((n + k) % 10)).collect();
            lines.push(cells.join(",").into_bytes());
        }
        lines.push("é,ü,\u{ac}\u{2c}".as_bytes().to_vec());
        lines.push(vec![
            0xac, b',', 0xff, 0x2c, 0xac, 0xac, 0xac, 0xac, 0xac, b',',
        ]);
        let mut spans = Vec::new();
        for line in &lines {
            let mut want = Vec::new();
            let mut at = 0;
            for (i, c) in line.iter().enumerate() {
                if *c == b',' {
                    want.push((at, i));
                    at = i + 1;
                }
            }
            want.push((at, line.len()));
            comma_spans(line, &mut spans);
            assert_eq!(spans, want, "{line:?}");
        }
        comma_spans(b"ab,cdefghij,k", &mut spans);
        assert_eq!(spans, [(0, 2), (3, 11), (12, 13)]);
    }

    #[test]
    fn a_file_without_quotes_is_cut_after_line_feeds_with_its_line_numbers() {
        let seg = |start, end, first_line| Segment {
            start,
            end,
            first_line,
        };
        // "h\na\nbb\nc\n": 9 bytes, header ends at 2. In two parts the cut is wanted at
        // 9 / 2 = 4; the first line feed from there is at 6, so the cut is 7, where line
        // 4 (`c`) starts.
        let lf = "h\na\nbb\nc\n";
        // CR LF: 13 bytes, header ends at 3, wanted at 6, line feed at 9: cut at 10.
        let crlf = "h\r\na\r\nbb\r\nc\r\n";
        for block in [1, 2, 3, 5, 64] {
            assert_eq!(
                cut(lf, 2, block),
                Some(vec![seg(2, 7, 2), seg(7, 9, 4)]),
                "{block}"
            );
            assert_eq!(
                cut(crlf, 2, block),
                Some(vec![seg(3, 10, 2), seg(10, 13, 4)]),
                "{block}"
            );
            // Three parts of "h\n" and six one-letter lines (14 bytes): wanted at 4 and
            // 8; line feeds at 5 and 9, so cuts at 6 (line 4) and 10 (line 6).
            assert_eq!(
                cut("h\na\nb\nc\nd\ne\nf\n", 3, block),
                Some(vec![seg(2, 6, 2), seg(6, 10, 4), seg(10, 14, 6)]),
                "{block}"
            );
            // Read whole: a quote anywhere, a lone CR, a CR at the very end, a line
            // break before the header, a single part.
            for whole in [
                "h\na\n\"b\"\nc\n",
                "h\na\rb\nc\n",
                "h\na\nb\nc\r",
                "\nh\na\nb\nc\n",
            ] {
                assert_eq!(cut(whole, 2, block), None, "{whole:?} {block}");
            }
            assert_eq!(cut(lf, 1, block), None);
            // JSON Lines: no header, and quotes and carriage returns are only text.
            // `{"a":1}\r\n` three times: 27 bytes, wanted at 13, line feed at 17: the
            // cut is at 18, where line 3 starts.
            let json = "{\"a\":1}\r\n{\"b\":2}\r\n{\"c\":3}\r\n";
            assert_eq!(
                cut_as(Format::JsonLines, json, 2, block),
                Some(vec![seg(0, 18, 1), seg(18, 27, 3)]),
                "{block}"
            );
        }
    }

    #[test]
    fn csv_cells_quoted_or_not_read_as_written_and_the_original_line_is_kept() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("t.csv");
        // Line 1 header; line 2 plain cells (with spaces kept in the cell, trimmed only
        // when typed); line 3 blank; line 4 a quoted cell with a comma and a doubled
        // quote; lines 5-6 one record whose quoted cell holds a line break (CRLF); line
        // 7 after a CRLF terminator.
        let text = "site_id,ticket_id,service_type,issued_at,outcome\n\
                    h1, T1 ,payment,2026-10-08 09:15:02,left\n\
                    \n\
                    h1,\"T,2\",\"pay\"\"ment\",2026-10-08 09:16:00,left\n\
                    h1,T3,\"a\r\nb\",2026-10-08 09:17:00,left\r\n\
                    h1,T4,payment,2026-10-08 09:18:00,left\r\n";
        std::fs::write(&path, text).expect("written");
        let mut rows = Vec::new();
        read_csv(
            &path,
            RecordKind::HallTicket,
            &mut |r| {
                rows.push(r);
                Ok(())
            },
            &mut RawRow::default,
            &mut |_| {},
        )
        .expect("read");
        // Rows read into recycled rows (each still holding another row's text, cells,
        // errors and shape) are the same rows.
        let dirty = RawRow {
            line: 99,
            cells: Cells {
                text: "x".repeat(300),
                original: 300,
                spans: vec![Some((0, 300)); 30],
            },
            cell_errors: vec![(1, "stale".into())],
            shape: Some("stale shape".into()),
        };
        let mut again = Vec::new();
        read_csv(
            &path,
            RecordKind::HallTicket,
            &mut |r| {
                again.push(r);
                Ok(())
            },
            &mut || dirty.clone(),
            &mut |_| {},
        )
        .expect("read");
        assert_eq!(format!("{again:?}"), format!("{rows:?}"));
        let fields = stored_fields(RecordKind::HallTicket);
        let at = |name: &str| fields.iter().position(|f| f.name == name).expect("field");
        let cells = |r: &RawRow| {
            ["site_id", "ticket_id", "service_type"].map(|f| r.cells.get(at(f)).map(str::to_string))
        };
        assert_eq!(rows.len(), 4);
        assert_eq!(
            rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [2, 4, 5, 7]
        );
        assert_eq!(
            rows[0].original(),
            "h1, T1 ,payment,2026-10-08 09:15:02,left"
        );
        assert_eq!(
            cells(&rows[0]),
            [
                Some("h1".into()),
                Some(" T1 ".into()),
                Some("payment".into())
            ]
        );
        assert_eq!(
            rows[1].original(),
            "h1,\"T,2\",\"pay\"\"ment\",2026-10-08 09:16:00,left"
        );
        assert_eq!(
            cells(&rows[1]),
            [
                Some("h1".into()),
                Some("T,2".into()),
                Some("pay\"ment".into())
            ]
        );
        assert_eq!(
            rows[2].original(),
            "h1,T3,\"a\r\nb\",2026-10-08 09:17:00,left"
        );
        assert_eq!(cells(&rows[2])[2].as_deref(), Some("a\r\nb"));
        assert!(rows.iter().all(|r| r.shape.is_none()));
        // A typed text cell is the trimmed range of the row's text.
        let org = Organisation::from_toml("org.toml", ORG).expect("organisation");
        let checker = Checker::new(RecordKind::HallTicket, &org);
        let Checked::Valid(v) = checker.check(&rows[0]) else {
            panic!("row 2 is valid")
        };
        let Typed::Str(a, b) = v.values[at("ticket_id")] else {
            panic!("ticket_id is text")
        };
        assert_eq!(&rows[0].cells.text[a..b], "T1");
    }

    #[test]
    fn a_quote_inside_a_character_keeps_the_row_and_a_bad_cell_fails_the_file() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let read = |bytes: &[u8]| {
            let path = tmp.path().join("t.csv");
            std::fs::write(&path, bytes).expect("written");
            let mut rows = Vec::new();
            let r = read_csv(
                &path,
                RecordKind::HallTicket,
                &mut |row| {
                    rows.push(row);
                    Ok(())
                },
                &mut RawRow::default,
                &mut |_| {},
            );
            r.map(|_| rows)
        };
        let header: &[u8] = b"site_id,ticket_id,service_type,issued_at,outcome\n";
        // `"T\xC3"\xA9`: the parser drops the closing quote, so the cell is T + C3 A9,
        // "Té" in UTF-8, while the line's bytes (with the quote between C3 and A9) are
        // not UTF-8. The row is read; its original keeps a replacement character.
        let split = [
            header,
            b"h1,\"T\xC3\"\xA9,payment,2026-10-08 09:15:02,left\n",
        ]
        .concat();
        let rows = read(&split).expect("read");
        let fields = stored_fields(RecordKind::HallTicket);
        let id = fields
            .iter()
            .position(|f| f.name == "ticket_id")
            .expect("id");
        assert_eq!(rows[0].cells.get(id), Some("T\u{e9}"));
        assert_eq!(
            rows[0].original(),
            "h1,\"T\u{fffd}\"\u{fffd},payment,2026-10-08 09:15:02,left"
        );
        // A cell that is not UTF-8 fails the whole file, naming line and column.
        let bad = [header, b"h1,T\xC3,payment,2026-10-08 09:15:02,left\n"].concat();
        match read(&bad) {
            Err(ImportError::NotUtf8 { line, column, .. }) => {
                assert_eq!((line, column.as_deref()), (2, Some("ticket_id")));
            }
            other => panic!("not UTF-8 expected, got {:?}", other.map(|r| r.len())),
        }
    }

    #[test]
    fn writers_of_many_months_together_buffer_at_most_the_budget() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = DataDir::new(tmp.path());
        let org = Organisation::from_toml("org.toml", ORG).expect("organisation");
        let checker = Checker::new(RecordKind::HallTicket, &org);
        let mut run = Run::new(&dir, RecordKind::HallTicket, 1, false);
        run.row_budget = 100;
        // Rows of twelve months interleaved: every writer stays open to the end.
        for i in 0..1_200u64 {
            let at = format!("2026-{:02}-15 10:00:00", 1 + i % 12);
            run.take(&checker, &ticket(i + 2, &format!("T{i}"), &at))
                .expect("row taken");
            let total: usize = run.writers.values().map(PartitionWriter::buffered).sum();
            assert!(total <= 100, "{total} rows buffered after row {i}");
        }
        run.finish_writers().expect("files written");
        assert_eq!(run.files.len(), 12);
        assert!(run.files.iter().all(|(_, _, rows)| *rows == 100));
        assert_eq!(run.files[0].1, "2026-01");
    }
}
