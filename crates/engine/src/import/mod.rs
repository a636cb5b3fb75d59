//! Importing record files into the columnar store, as batches the caller commits.
//!
//! Rows stream through: each is parsed and checked (types, required fields, enumerations,
//! ranges, time order, instants inside the plausible window, site exists and its scene
//! fits the kind, duplicate ids). Valid rows go to Parquet files per month, invalid ones
//! to a quarantine CSV with where the row was, every reason and the original row, byte
//! for byte. Files are written under temporary names, made durable and renamed; the
//! import then hands back a [`PreparedBatch`], which the caller commits through the
//! manifest (the metadata database gives the batch its id then) and confirms with
//! [`PreparedBatch::committed`]. Until then no reader sees the files, and a batch that
//! is dropped instead removes them. The import reads no database: what it must know of
//! the committed batches comes in as a [`KindManifest`]. Accounting always holds:
//! stored + quarantined + not stored (`--strict`) = read.
//!
//! Formats plug in behind one seam (see `source`): a format turns its input into
//! canonical rows, each with where it came from and its original text, and everything
//! after that is the same for all. The modules, by job:
//!
//! - `source` (`csv`, `jsonl`): the seam and the two formats, with their tokenisers;
//! - `check`: a row typed and checked against the kind's rules and the organisation;
//! - `pipeline`: rows from the reading thread through the checking threads to the
//!   taking one, or through one thread per segment;
//! - `cuts`: the file's SHA-256 alongside, and where a large file can be cut;
//! - `run`: what becomes of each row, the writers, the quarantine, the accounting;
//! - `keys`, `sorter`: the duplicate-id check in bounded memory; `stored`: what earlier
//!   batches hold; `writer`: one Parquet file and its key index.
//!
//! A large JSON Lines file, or CSV file without quote characters (every line break then
//! ends a record), is cut into one segment per core after one quick scan of its bytes;
//! each segment is read, checked and stored by a thread of its own into files of its
//! own, and the runs are joined after (counts added, quarantined rows in file order).
//! The file's SHA-256, which names its content in the manifest, is worked out on a
//! thread of its own meanwhile: a file stored already stops the reading as soon as its
//! hash is known, and what was written is removed. Other files go through one reading
//! thread, checking threads and the taking thread, with rows handed over in chunks.
//!
//! Memory stays flat in the file's size and in the store's. Month writers share a bounded
//! row buffer. Most files repeat no id: the file is read once, every valid row stored,
//! and then the key indexes just written (sorted keys of the stored rows) are merged with
//! each other and with the stored files' indexes. When no key is on two rows or stored
//! (and visible) already, that pass is the import: the duplicate-id check below would
//! have had nothing to say about any row. Otherwise what the pass wrote is removed and
//! the file is imported with the check first, which reads it twice. The first pass sorts
//! the key (hash of site and id) and position of every row with an id in bounded memory
//! (sorted runs spill to the run's temporary directory, `tmp/` in the data directory, and
//! are merged back), which finds the ids on several rows, and merges them with the sorted
//! key index kept next to every stored Parquet file (`.keys`, written with it), which
//! finds the ids already stored. The second pass checks, stores or quarantines each row
//! knowing both, keeping the first valid row of each repeated id; a file repeating more
//! ids than that budget has its rows checked in the first pass instead (see `keys`).
//! Rows set aside by `--replace` wait in a temporary file. Every stored file the check
//! relies on is first checked against its manifest row (size, row count).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use yardstick_core::org::Organisation;
use yardstick_core::records::RecordKind;

use crate::layout::DataDir;
use crate::manifest::KindManifest;
use crate::schema::id_field;

mod check;
mod cuts;
mod error;
mod keys;
mod pipeline;
mod run;
mod sorter;
mod source;
#[cfg(test)]
mod spill_tests;
mod stored;
mod writer;

pub use check::InstantWindow;
pub use error::ImportError;

use check::Checker;
use cuts::MAX_SEGMENTS;
use keys::{Notes, Rows};
use pipeline::{Progress, read_checked, read_segments, unchecked_keys, valid_keys};
use run::Run;
use source::{Format, Segment};
use stored::{Committed, visible_in};

/// Import options.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Store nothing if any row is invalid.
    pub strict: bool,
    /// Replace what earlier batches hold for the same kind, site and day.
    pub replace: bool,
}

/// What an import needs besides the file: where rows go, the organisation they are
/// checked against, what the committed batches of the kind hold, and the instants a
/// row may plausibly carry.
#[derive(Clone, Copy)]
pub struct ImportContext<'a> {
    /// Data directory.
    pub dir: &'a DataDir,
    /// Organisation.
    pub org: &'a Organisation,
    /// The manifest of the kind imported.
    pub manifest: &'a KindManifest,
    /// Instants outside are quarantined.
    pub accept: InstantWindow,
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
    /// Every row was quarantined: nothing stored and no batch, so the same file can be
    /// imported once what made its rows invalid is fixed (the organisation, say).
    AllQuarantined,
    /// Rows written, waiting for the caller to commit the batch.
    Prepared,
}

/// The import report. `rows_stored + rows_quarantined + rows_not_stored == rows_read`
/// always: `rows_not_stored` counts the valid rows of a file `--strict` rejected, which
/// wait for a corrected file.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// Record kind.
    pub kind: String,
    /// File imported.
    pub file: String,
    /// Outcome.
    pub status: ImportStatus,
    /// Batch id once committed.
    pub batch: Option<i64>,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows stored.
    pub rows_stored: u64,
    /// Rows quarantined (including duplicates).
    pub rows_quarantined: u64,
    /// Valid rows not stored because `--strict` rejected the file.
    pub rows_not_stored: u64,
    /// With `--replace`: rows of earlier batches, visible until now, on the sites and
    /// local days this batch takes over (0 otherwise).
    pub rows_superseded: u64,
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

/// The outcome of an import.
#[derive(Debug)]
pub enum Imported {
    /// Rows written to files not yet visible. The caller commits them through the
    /// manifest, then calls [`PreparedBatch::committed`] with the batch id. Dropping it
    /// (or [`PreparedBatch::discard`]) removes every file the run wrote (Parquet, key
    /// indexes, quarantine CSV).
    Ready(PreparedBatch),
    /// The same content (SHA-256) is committed already as this batch: nothing is left
    /// behind.
    AlreadyStored {
        /// The batch holding it.
        batch: i64,
    },
    /// `--strict` and some rows were invalid: nothing stored. The quarantine file is
    /// kept (`quarantine/rejected-…`, named in the report) to say what to fix.
    Rejected(ImportReport),
}

/// A Parquet file of a prepared batch, as its manifest row will list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// Path relative to the data directory.
    pub path: String,
    /// Local month of its rows, `YYYY-MM`.
    pub month: String,
    /// Rows in it.
    pub rows: u64,
    /// Its size in bytes.
    pub bytes: u64,
}

/// A batch whose files are written, synced and named, waiting for its commit.
#[derive(Debug)]
pub struct PreparedBatch {
    /// The report (status [`ImportStatus::Prepared`], no batch id yet).
    pub report: ImportReport,
    /// SHA-256 (hex) of the file's bytes.
    pub content_hash: String,
    /// The Parquet files, for the manifest.
    pub files: Vec<NewFile>,
    /// (site, local day `YYYY-MM-DD`) of every stored row, for the manifest.
    pub coverage: Vec<(String, String)>,
    cleanup: Cleanup,
}

impl PreparedBatch {
    /// The batch is committed as `batch`: its files stay, and its report says so.
    #[must_use]
    pub fn committed(mut self, batch: i64) -> ImportReport {
        let report = self.report_as(batch);
        self.cleanup.paths.clear();
        report
    }

    /// The report as it will read once committed as `batch` (to store with the batch in
    /// the commit's own transaction).
    #[must_use]
    pub fn report_as(&self, batch: i64) -> ImportReport {
        ImportReport {
            status: ImportStatus::Committed,
            batch: Some(batch),
            ..self.report.clone()
        }
    }

    /// The batch will not be committed: every file it wrote is removed (as when it is
    /// dropped).
    pub fn discard(self) {
        drop(self);
    }

    /// Leaves the files where they are without a commit: for a commit whose outcome is
    /// unknown (its answer was lost), where removing them could break a committed batch.
    /// Unlisted, they stay invisible, and a sweep of the files no manifest lists (see
    /// `layout::written`) removes them once the commit is known to have failed.
    pub fn leave_files(mut self) {
        self.cleanup.paths.clear();
    }
}

/// Files removed when it is dropped, unless they were handed over first.
#[derive(Debug)]
struct Cleanup {
    paths: Vec<PathBuf>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for p in &self.paths {
            // Best effort: a file no manifest lists is invisible anyway.
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Imports one file.
///
/// `progress` is told the bytes read so far, from any thread; `cancel`, once raised,
/// stops the import at its next chunk of rows, removes everything it wrote and returns
/// [`ImportError::Cancelled`].
///
/// # Errors
/// Whole-file problems (unreadable, not UTF-8, missing required columns, broken shape,
/// unknown extension), stored files that differ from their manifest rows, write
/// failures and cancellation; then nothing is left behind.
pub fn import_file(
    cx: &ImportContext<'_>,
    kind: RecordKind,
    path: &Path,
    opts: ImportOptions,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<Imported, ImportError> {
    import_file_within(cx, kind, path, opts, Limits::default(), progress, cancel)
}

/// Memory limits of an import run (tests set them small to exercise spilling).
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Records a sorter of the duplicate-id check keeps in memory before it spills a
    /// sorted run to a temporary file (each record is 17 to 36 bytes).
    spill_budget: usize,
    /// Files at least this large are cut into segments read on all cores (when they can
    /// be: see `cuts`).
    segment_min: u64,
    /// Segments to cut a file into; 0: one per core.
    segments: usize,
    /// A file found stored already stops the reading at once (see `hash_file`); when
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

/// What the single pass reads, and how it makes a run.
struct Once<'a> {
    path: &'a Path,
    /// The file's size when it was cut.
    size: u64,
    format: &'a dyn Format,
    /// Segments of the file to read on all cores, when it is large and can be cut.
    segments: Option<&'a [Segment]>,
    new_run: &'a (dyn Fn() -> Run + Sync),
}

fn import_file_within(
    cx: &ImportContext<'_>,
    kind: RecordKind,
    path: &Path,
    opts: ImportOptions,
    limits: Limits,
    progress: Progress<'_>,
    cancel: &AtomicBool,
) -> Result<Imported, ImportError> {
    let format = source::format_of(path)?;
    let parts = match limits.segments {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        n => n,
    };
    let none = HashMap::new();
    let known = if limits.stop_early {
        &cx.manifest.hashes
    } else {
        &none
    };
    // The hash is worked out alongside the cutting and the import, which it stops early
    // when the file is stored already.
    let same = Arc::new(AtomicBool::new(false));
    let abort = AtomicBool::new(false);
    std::thread::scope(|s| {
        let hashing = s.spawn(|| {
            let stop = || cancel.load(Ordering::Relaxed) || abort.load(Ordering::Relaxed);
            cuts::hash_file(path, known, &same, &stop)
        });
        let cuts = cuts::cut_file(path, parts.min(MAX_SEGMENTS), format.cutting(), cancel)
            .inspect_err(|_| abort.store(true, Ordering::Relaxed))?;
        let segments = (cuts.size >= limits.segment_min)
            .then(|| cuts.segments())
            .flatten();
        remove_dead_scratch(cx.dir);
        let checker = Checker::new(kind, cx.org, cx.accept);
        let new_run = || {
            let mut run = Run::new(cx.dir, kind, opts.replace);
            run.budget = limits.spill_budget.max(1);
            run.same = Some(Arc::clone(&same));
            run
        };
        let once = Once {
            path,
            size: cuts.size,
            format,
            segments: segments.as_deref(),
            new_run: &new_run,
        };
        let verified = std::cell::OnceCell::new();
        let mut run = new_run();
        // A `--replace` batch usually re-sends stored ids: it goes straight to the check.
        let first = if opts.replace {
            Ok(None)
        } else {
            single_pass(cx, &checker, &mut run, &once, &verified, progress, cancel)
        };
        let read = match first {
            Ok(Some(ignored)) => Ok(ignored),
            // An id repeats: what the single pass wrote is dropped with its run, and the
            // file is read again with the duplicate-id check first.
            Ok(None) => {
                run = new_run();
                two_passes(cx, &checker, &mut run, &once, &verified, progress, cancel)
            }
            Err(e) => Err(e),
        };
        run.remove_scratch();
        if cancel.load(Ordering::Relaxed) {
            return Err(ImportError::Cancelled);
        }
        // A file stored already is reported as such, whatever its reading found (the
        // reading stops early when the hash is known in time).
        let hashed = hashing.join().unwrap_or_else(|_| {
            Err(ImportError::Io {
                path: path.display().to_string(),
                source: std::io::Error::other("the hashing thread failed"),
            })
        });
        let hash = cuts::joined_hash(path, hashed, cuts.size)?;
        if let Some(&batch) = cx.manifest.hashes.get(&hash) {
            return Ok(Imported::AlreadyStored { batch });
        }
        let ignored = read?;
        prepared(cx, opts, run, &checker, path, ignored, hash)
    })
}

/// The outcome of a run that read the whole file: rejected (`--strict` with an invalid
/// row, or every row invalid), or a batch ready to commit. A rejected file's quarantine
/// file is kept under a name that says nothing of the file was stored.
fn prepared(
    cx: &ImportContext<'_>,
    opts: ImportOptions,
    mut run: Run,
    checker: &Checker<'_>,
    path: &Path,
    ignored: Vec<String>,
    content_hash: String,
) -> Result<Imported, ImportError> {
    let mut report = run.report(&path.display().to_string(), ignored);
    let all_quarantined = report.rows_stored == 0 && report.rows_quarantined > 0;
    if (opts.strict && report.rows_quarantined > 0) || all_quarantined {
        if let Some(q) = run.take_quarantine() {
            let to = cx.dir.quarantine_rejected(run.kind.as_str(), run.id());
            if let Err(e) = std::fs::rename(&q, &to) {
                let _ = std::fs::remove_file(&q);
                return Err(error::io(&to)(e));
            }
            report.quarantine_file = Some(to.display().to_string());
        }
        report.status = if opts.strict {
            ImportStatus::RejectedStrict
        } else {
            ImportStatus::AllQuarantined
        };
        report.rows_not_stored = report.rows_stored;
        report.rows_stored = 0;
        report.files.clear();
        // The run, dropped, removes its Parquet files.
        return Ok(Imported::Rejected(report));
    }
    if opts.replace {
        report.rows_superseded =
            stored::superseded(cx.dir, cx.manifest, run.kind, &run.coverage, &checker.tz)?;
    }
    let coverage = run.coverage_days();
    let files = run.take_files();
    let mut paths = Vec::with_capacity(files.len() * 2 + 1);
    for f in &files {
        let p = cx.dir.abs(&f.path);
        paths.push(crate::layout::key_index_path(&p));
        paths.push(p);
    }
    paths.extend(run.take_quarantine());
    Ok(Imported::Ready(PreparedBatch {
        report,
        content_hash,
        files,
        coverage,
        cleanup: Cleanup { paths },
    }))
}

/// The kind's committed files, each checked against its manifest row, once per import.
fn verified<'c, 'a>(
    cell: &'c std::cell::OnceCell<Vec<Committed<'a>>>,
    cx: &ImportContext<'a>,
) -> Result<&'c [Committed<'a>], ImportError> {
    if let Some(v) = cell.get() {
        return Ok(v);
    }
    let v = stored::committed(cx.dir, cx.manifest)?;
    Ok(cell.get_or_init(|| v))
}

/// Reads, checks and stores the whole file once, as if no id repeated, then asks the key
/// indexes just written whether one did (on two rows, or stored and visible already).
/// Most files repeat none, and then this is the import: the duplicate-id check would
/// have had nothing to say about any row, so every valid row is stored either way.
/// `None` when an id repeats: the caller drops what was written and imports the file with
/// the check first.
fn single_pass<'a>(
    cx: &ImportContext<'a>,
    checker: &Checker<'_>,
    run: &mut Run,
    once: &Once<'_>,
    cell: &std::cell::OnceCell<Vec<Committed<'a>>>,
    progress: Progress<'_>,
    cancel: &AtomicBool,
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
            cancel,
        )?,
        _ => {
            let ignored = read_checked(
                once.path,
                once.format,
                checker,
                &mut |row, checked| run.take_checked(row, checked),
                progress,
                cancel,
            )?;
            // Without notes no row is set aside, so there is nothing to resolve.
            run.finish_writers()?;
            ignored
        }
    };
    let now = std::fs::metadata(once.path).map_or(0, |m| m.len());
    if now != once.size {
        return Err(error::changed(
            once.path,
            &format!("{} bytes, then {now}", once.size),
        ));
    }
    let Some(id) = id_field(kind) else {
        return Ok(Some(ignored));
    };
    let stored = verified(cell, cx)?;
    let visible = visible_in(&checker.tz, &cx.manifest.replaced);
    let written = run.written_indexes();
    let repeat = keys::any_repeat(&written, stored, kind, id, &visible, &run.scratch())?;
    Ok((!repeat).then_some(ignored))
}

/// Imports the file with the duplicate-id check first: a first pass notes the rows whose
/// id repeats or is stored (see [`first_pass`]), the second checks, stores or
/// quarantines every row knowing them.
fn two_passes<'a>(
    cx: &ImportContext<'a>,
    checker: &Checker<'_>,
    run: &mut Run,
    once: &Once<'_>,
    cell: &std::cell::OnceCell<Vec<Committed<'a>>>,
    progress: Progress<'_>,
    cancel: &AtomicBool,
) -> Result<Vec<String>, ImportError> {
    first_pass(cx, checker, run, once, cell, progress, cancel)?;
    // Progress: the first pass is the first half of the reading when there is one.
    let two = run.first_pass_rows.is_some();
    let half = run.file_size / 2;
    let ignored = read_checked(
        once.path,
        once.format,
        checker,
        &mut |row, checked| run.take_checked(row, checked),
        &|b| progress(if two { half + b / 2 } else { b }),
        cancel,
    )?;
    run.check_same_rows(once.path)?;
    run.resolve_deferred(checker)?;
    run.finish_writers()?;
    Ok(ignored)
}

/// The first pass over the file: the key and position of every valid row with an id,
/// sorted in bounded memory and turned into notes for the second pass (see [`keys`]).
/// Kinds without ids skip it.
fn first_pass<'a>(
    cx: &ImportContext<'a>,
    checker: &Checker<'_>,
    run: &mut Run,
    once: &Once<'_>,
    cell: &std::cell::OnceCell<Vec<Committed<'a>>>,
    progress: Progress<'_>,
    cancel: &AtomicBool,
) -> Result<(), ImportError> {
    let kind = run.kind;
    let Some(id) = id_field(kind) else {
        return Ok(());
    };
    let (path, format) = (once.path, once.format);
    run.file_size = std::fs::metadata(path).map_or(0, |m| m.len());
    let scratch = run.scratch();
    let stored = verified(cell, cx)?;
    let visible = visible_in(&checker.tz, &cx.manifest.replaced);
    // Most files repeat few ids: the first pass only reads the key of every row with an
    // id cell, and the second keeps the first valid row of each repeated id. A file
    // repeating more ids than the budget is read once more, checking every row, so
    // that the second pass need not remember them.
    let (unchecked, mut rows) = unchecked_keys(checker, path, format, &scratch, progress, cancel)?;
    let mut notes = keys::notes(
        unchecked,
        Rows::Unchecked,
        stored,
        kind,
        id,
        &visible,
        &scratch,
    )?;
    if notes.is_none() {
        let (valid, n) = valid_keys(checker, path, format, &scratch, cancel)?;
        rows = n;
        notes = keys::notes(valid, Rows::Valid, stored, kind, id, &visible, &scratch)?;
    }
    if let Some(notes) = notes {
        run.notes = Notes::new(notes)?;
    }
    run.first_pass_rows = Some(rows);
    Ok(())
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
        if let Some(pid) = crate::layout::scratch_owner(&name)
            && !proc.join(pid.to_string()).exists()
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The organisation of the crate's import tests: one hall, `h1`, in Shanghai.
#[cfg(test)]
pub(crate) fn test_org() -> Organisation {
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
    Organisation::from_toml("org.toml", ORG).expect("organisation")
}
