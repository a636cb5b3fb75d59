//! One import run: what becomes of each checked row (stored, quarantined as invalid or
//! a duplicate, or set aside by `--replace` until the end of the file), the Parquet
//! writers of its months with their key indexes, its quarantine file, its temporary
//! directory, and its accounting.
//!
//! A run owns everything it writes until it hands it over ([`Run::take_files`],
//! [`Run::take_quarantine`]): dropping a run removes the rest, so a failed, cancelled or
//! superseded run leaves nothing behind on any path out of the import.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use yardstick_core::records::RecordKind;

use super::check::{Checked, Checker, FastMap, Valid};
use super::error::{ImportError, changed, io};
use super::keys::{self, Note, Notes, Sites, Stored};
use super::source::{Origin, RawRow};
use super::writer::PartitionWriter;
use super::{ImportReport, ImportStatus, NewFile, SPILL_BUDGET};
use crate::layout::{DataDir, RunId};

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
pub(super) struct Run {
    dir: DataDir,
    pub(super) kind: RecordKind,
    run: RunId,
    replace: bool,
    /// What the first pass found about rows with ids (repeats, ids already stored).
    pub(super) notes: Notes,
    /// First valid row of each id on several rows of the file, by the id's first row
    /// (at most the sorter budget of rows are in such groups).
    group_first: FastMap<u64, u64>,
    /// Rows of the first pass, to check the second reads the same file.
    pub(super) first_pass_rows: Option<u64>,
    pub(super) file_size: u64,
    /// Temporary files of this run (sorted runs, rows set aside); removed at its end.
    scratch_dir: PathBuf,
    /// Records a sorter may hold in memory.
    pub(super) budget: usize,
    /// Sites of the stored rows, numbered for the key indexes.
    sites: Sites,
    /// One writer per month (year, month) of the rows' local days.
    writers: BTreeMap<(i32, u32), PartitionWriter>,
    /// Rows the writers may buffer together before the fullest one writes a row group.
    pub(super) row_budget: usize,
    quarantine: Option<BufWriter<File>>,
    quarantine_path: PathBuf,
    deferred: Option<Deferred>,
    read: u64,
    stored: u64,
    quarantined: u64,
    duplicates: u64,
    reasons: BTreeMap<String, u64>,
    /// The Parquet files written, each with its key index when it has one.
    files: Vec<NewFile>,
    pub(super) coverage: BTreeSet<(String, NaiveDate)>,
    /// The site and day last added to `coverage`.
    last_covered: Option<(String, NaiveDate)>,
    /// Raised when the file turns out to be stored already: the run stops at its next
    /// row.
    pub(super) same: Option<Arc<AtomicBool>>,
}

impl Run {
    pub(super) fn new(dir: &DataDir, kind: RecordKind, replace: bool) -> Run {
        let run = RunId::new();
        Run {
            dir: dir.clone(),
            kind,
            replace,
            notes: Notes::none(),
            group_first: FastMap::default(),
            first_pass_rows: None,
            file_size: 0,
            scratch_dir: dir.run_scratch(kind.as_str(), &run),
            budget: SPILL_BUDGET,
            sites: Sites::default(),
            writers: BTreeMap::new(),
            row_budget: MAX_BUFFERED_ROWS,
            quarantine: None,
            quarantine_path: dir.quarantine_run(kind.as_str(), &run),
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
            run,
        }
    }

    /// The run's name (its files are named after it).
    pub(super) fn id(&self) -> &RunId {
        &self.run
    }

    pub(super) fn scratch(&self) -> keys::Scratch<'_> {
        keys::Scratch {
            dir: &self.scratch_dir,
            budget: self.budget,
            tag: self.run.tag(),
        }
    }

    /// Both passes must read the same rows: the file must not change meanwhile.
    pub(super) fn check_same_rows(&self, path: &Path) -> Result<(), ImportError> {
        match self.first_pass_rows {
            Some(n) if n != self.read => {
                Err(changed(path, &format!("{n} rows, then {}", self.read)))
            }
            _ => Ok(()),
        }
    }

    /// Removes the run's temporary files.
    pub(super) fn remove_scratch(&mut self) {
        self.notes = Notes::none();
        // Best effort: the directory holds only this run's temporary files.
        let _ = std::fs::remove_dir_all(&self.scratch_dir);
    }

    /// Absolute paths of the key indexes this run wrote.
    pub(super) fn written_indexes(&self) -> Vec<PathBuf> {
        self.files
            .iter()
            .map(|f| crate::layout::key_index_path(&self.dir.abs(&f.path)))
            // A file none of whose rows has an id has no key index.
            .filter(|p| p.exists())
            .collect()
    }

    pub(super) fn take_checked(
        &mut self,
        row: &RawRow,
        checked: &Checked,
    ) -> Result<(), ImportError> {
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
            Checked::Valid(v) => match self.fate(v, row.origin)? {
                Fate::Store => self.store(v, row),
                Fate::Duplicate(why) => self.duplicate(row, why),
                // Rare (`--replace`, an id stored on another day): the row is copied.
                Fate::Defer(stored) => self.defer(row.clone(), stored),
            },
        }
    }

    fn fate(&mut self, v: &Valid, origin: Origin) -> Result<Fate, ImportError> {
        if v.key.is_none() {
            return Ok(Fate::Store);
        }
        let pos = origin.pos();
        let same_as = |first: u64| format!("same id as {} of this file", origin.at(first));
        Ok(match self.notes.at(pos)? {
            None => Fate::Store,
            Some(Note::Repeat { first, .. }) => Fate::Duplicate(same_as(first)),
            Some(Note::Group { first, stored, .. }) => match self.group_first.get(&first) {
                Some(valid) => Fate::Duplicate(same_as(*valid)),
                None => {
                    self.group_first.insert(first, pos);
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
                let rel = DataDir::records_rel(self.kind.as_str(), &month_label(month), &self.run);
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
    pub(super) fn resolve_deferred(&mut self, checker: &Checker<'_>) -> Result<(), ImportError> {
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
            let mut w = BufWriter::new(File::create(&p).map_err(io(&p))?);
            csv_record(&mut w, &["line", "reasons", "original"]).map_err(io(&p))?;
            self.quarantine = Some(w);
        }
        let text: Vec<&str> = reasons.iter().map(|(_, m)| m.as_str()).collect();
        if let Some(w) = self.quarantine.as_mut() {
            csv_record(w, &[&row.origin.cell(), &text.join("; "), row.original()])
                .map_err(io(&self.quarantine_path))?;
        }
        Ok(())
    }

    /// Completes the run's files: the quarantine file synced, each month's Parquet file
    /// and key index written, synced and given its final name.
    pub(super) fn finish_writers(&mut self) -> Result<(), ImportError> {
        if let Some(q) = self.quarantine.take() {
            let p = &self.quarantine_path;
            let file = q.into_inner().map_err(|e| ImportError::Io {
                path: p.display().to_string(),
                source: e.into_error(),
            })?;
            file.sync_all().map_err(io(p))?;
        }
        let mut writers = std::mem::take(&mut self.writers).into_iter();
        while let Some((month, w)) = writers.next() {
            match w.finish(&self.dir, self.sites.names()) {
                Ok((path, rows, bytes)) => self.files.push(NewFile {
                    path,
                    month: month_label(month),
                    rows,
                    bytes,
                }),
                Err(e) => {
                    // The files not finished yet go too (the finished ones are the
                    // run's, removed when it is dropped).
                    for (_, rest) in writers {
                        rest.abandon();
                    }
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Takes in a run that read the next segment of the same file (both finished): its
    /// counts, files and coverage, and its quarantined rows after this run's.
    pub(super) fn absorb(&mut self, mut other: Run) -> Result<(), ImportError> {
        self.read += other.read;
        self.stored += other.stored;
        self.quarantined += other.quarantined;
        self.duplicates += other.duplicates;
        for (code, n) in std::mem::take(&mut other.reasons) {
            *self.reasons.entry(code).or_default() += n;
        }
        self.files.append(&mut other.files);
        self.coverage.append(&mut other.coverage);
        if other.quarantined == 0 {
            return Ok(());
        }
        let (from, to) = (&other.quarantine_path, &self.quarantine_path);
        if !to.exists() {
            return std::fs::rename(from, to).map_err(io(to));
        }
        // Append the other's rows, without its header line (the other run, dropped,
        // removes its file).
        let mut rows = BufReader::new(File::open(from).map_err(io(from))?);
        let mut header = Vec::new();
        rows.read_until(b'\n', &mut header).map_err(io(from))?;
        let mut out = std::fs::OpenOptions::new()
            .append(true)
            .open(to)
            .map_err(io(to))?;
        std::io::copy(&mut rows, &mut out).map_err(io(to))?;
        out.sync_all().map_err(io(to))
    }

    /// The files written, handed over: the run no longer removes them.
    pub(super) fn take_files(&mut self) -> Vec<NewFile> {
        std::mem::take(&mut self.files)
    }

    /// The quarantine file, when rows were quarantined, handed over: the run no longer
    /// removes it.
    pub(super) fn take_quarantine(&mut self) -> Option<PathBuf> {
        (self.quarantined > 0).then(|| std::mem::take(&mut self.quarantine_path))
    }

    /// The (site, `YYYY-MM-DD`) pairs of the stored rows.
    pub(super) fn coverage_days(&self) -> Vec<(String, String)> {
        self.coverage
            .iter()
            .map(|(site, day)| (site.clone(), day.format("%Y-%m-%d").to_string()))
            .collect()
    }

    /// Removes everything the run wrote and still owns: unfinished and finished files
    /// with their key indexes, the quarantine file, rows set aside, the temporary
    /// directory. Every file is invisible until a manifest lists it; a quarantine file of
    /// a file that was not imported would mislead.
    fn abandon(&mut self) {
        for (_, w) in std::mem::take(&mut self.writers) {
            w.abandon();
        }
        for f in std::mem::take(&mut self.files) {
            // Best effort: an uncommitted file is invisible anyway.
            let path = self.dir.abs(&f.path);
            let _ = std::fs::remove_file(crate::layout::key_index_path(&path));
            let _ = std::fs::remove_file(path);
        }
        self.quarantine = None;
        if !self.quarantine_path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.quarantine_path);
        }
        self.deferred = None;
        self.remove_scratch();
    }

    /// The report of what the run read, stored and quarantined (not committed yet).
    pub(super) fn report(&self, file: &str, ignored: Vec<String>) -> ImportReport {
        ImportReport {
            kind: self.kind.as_str().to_string(),
            file: file.to_string(),
            status: ImportStatus::Prepared,
            batch: None,
            rows_read: self.read,
            rows_stored: self.stored,
            rows_quarantined: self.quarantined,
            rows_not_stored: 0,
            rows_superseded: 0,
            duplicates: self.duplicates,
            reasons: self.reasons.clone(),
            quarantine_file: (self.quarantined > 0)
                .then(|| self.quarantine_path.display().to_string()),
            ignored_columns: ignored,
            files: self.files.iter().map(|f| f.path.clone()).collect(),
        }
    }
}

/// Writes one CSV record as the `csv` crate writes it by default (a field is quoted
/// when it holds a comma, a quote or a line break, its quotes doubled; records end with
/// LF), in time linear in its length: the `csv` writer searches the rest of a long field
/// for a quote at every buffer it fills, so a 50 MB line took minutes.
fn csv_record(w: &mut impl Write, fields: &[&str]) -> std::io::Result<()> {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        if f.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
            w.write_all(b"\"")?;
            for (j, part) in f.split('"').enumerate() {
                if j > 0 {
                    w.write_all(b"\"\"")?;
                }
                w.write_all(part.as_bytes())?;
            }
            w.write_all(b"\"")?;
        } else {
            w.write_all(f.as_bytes())?;
        }
    }
    w.write_all(b"\n")
}

impl Drop for Run {
    fn drop(&mut self) {
        self.abandon();
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
    use crate::import::check::InstantWindow;
    use crate::import::source::Cells;
    use crate::import::test_org;
    use crate::schema::stored_fields;

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
            origin: Origin::Line(line),
            cells,
            cell_errors: Vec::new(),
            shape: None,
        }
    }

    #[test]
    fn writers_of_many_months_together_buffer_at_most_the_budget() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = DataDir::new(tmp.path());
        let org = test_org();
        let checker = Checker::new(RecordKind::HallTicket, &org, InstantWindow::default());
        let mut run = Run::new(&dir, RecordKind::HallTicket, false);
        run.row_budget = 100;
        // Rows of twelve months interleaved: every writer stays open to the end.
        for i in 0..1_200u64 {
            let at = format!("2026-{:02}-15 10:00:00", 1 + i % 12);
            let row = ticket(i + 2, &format!("T{i}"), &at);
            run.take_checked(&row, &checker.check(&row))
                .expect("row taken");
            let total: usize = run.writers.values().map(PartitionWriter::buffered).sum();
            assert!(total <= 100, "{total} rows buffered after row {i}");
        }
        run.finish_writers().expect("files written");
        assert_eq!(run.files.len(), 12);
        assert!(run.files.iter().all(|f| f.rows == 100));
        assert_eq!(run.files[0].month, "2026-01");
        // A run dropped before its files are handed over removes them: nothing is left
        // under `records/` but the month directories.
        drop(run);
        let mut left = Vec::new();
        for month in std::fs::read_dir(tmp.path().join("records/hall_ticket")).expect("dir") {
            left.extend(std::fs::read_dir(month.expect("entry").path()).expect("month"));
        }
        assert!(left.is_empty(), "{left:?}");
    }
}
