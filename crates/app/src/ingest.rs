//! Ingesting a record file: one import at a time per data directory (the lock), the
//! leftovers of a killed import swept first, the engine's run off the runtime, and the
//! batch committed through the manifest — or every file it wrote removed.
//!
//! Accounting: stored + quarantined + not stored (a `--strict` rejection) = read, in
//! every report; the database refuses a batch that does not add up.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;
use yardstick_core::mapping::Mapping;
use yardstick_core::org::Organisation;
use yardstick_core::records::RecordKind;
use yardstick_engine::import::{
    ImportContext, ImportError, Imported, InstantWindow, PreparedBatch, SourceSpec, import_source,
};
pub use yardstick_engine::import::{ImportOptions, ImportReport, ImportStatus, QueueLogSpec};
use yardstick_engine::layout::DataDir;
use yardstick_engine::manifest::file_sha256;
use yardstick_store::{NewBatch, NewFile, StoreError};

use crate::activity::Activity;
use crate::error::{Error, ErrorKind, Result};
use crate::jobs::{Cancel, Notice, Observer, blocking};
use crate::scope::{Actor, Visible};
use crate::workspace::Workspace;

/// One file to import.
#[derive(Debug, Clone)]
pub struct IngestRequest {
    /// Record kind.
    pub kind: RecordKind,
    /// The file on disk.
    pub path: PathBuf,
    /// The name shown in reports and the manifest (the upload's name); the path when
    /// `None`.
    pub name: Option<String>,
    /// `--strict`, `--replace`.
    pub options: ImportOptions,
}

/// How an import ended, for the exit code and the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestOutcome {
    /// Every row stored.
    Stored,
    /// Stored, with some rows quarantined.
    Partly,
    /// Nothing stored and no batch: every row was quarantined, or `--strict` rejected
    /// the file.
    NothingStored,
    /// The same content was imported before; nothing changed.
    AlreadyImported,
}

impl IngestOutcome {
    /// The outcome of a report.
    #[must_use]
    pub fn of(report: &ImportReport) -> IngestOutcome {
        match report.status {
            ImportStatus::AlreadyImported(_) => IngestOutcome::AlreadyImported,
            ImportStatus::RejectedStrict
            | ImportStatus::AllQuarantined
            | ImportStatus::Prepared => IngestOutcome::NothingStored,
            ImportStatus::Committed if report.rows_stored == 0 && report.rows_read > 0 => {
                IngestOutcome::NothingStored
            }
            ImportStatus::Committed if report.rows_quarantined > 0 => IngestOutcome::Partly,
            ImportStatus::Committed => IngestOutcome::Stored,
        }
    }

    /// Exit code (`docs/exit-codes.md`): 0 stored (or already), 3 stored with rows
    /// quarantined, 2 nothing stored because of the input.
    #[must_use]
    pub fn exit_code(self) -> u8 {
        match self {
            IngestOutcome::Stored | IngestOutcome::AlreadyImported => 0,
            IngestOutcome::Partly => 3,
            IngestOutcome::NothingStored => 2,
        }
    }
}

/// The earliest instant a record may carry (older ones are quarantined as implausible),
/// declared with the records in core.
pub use yardstick_core::records::EARLIEST_RECORD;

/// The plausible window of record instants at `now`: from [`EARLIEST_RECORD`] to one
/// day after `now` (a clock a little ahead, or a time zone east of the server's).
#[must_use]
pub fn plausible_window(now: DateTime<Utc>) -> InstantWindow {
    let (y, m, d) = EARLIEST_RECORD;
    let from = NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(0, |t| t.and_utc().timestamp_millis());
    let until = now
        .checked_add_days(Days::new(1))
        .unwrap_or(now)
        .timestamp_millis();
    InstantWindow {
        from_ms: from,
        until_ms: until,
    }
}

/// How to read a file besides its kind: all optional.
#[derive(Debug, Clone, Default)]
pub struct ReadAs {
    /// The text encoding of a CSV file (`utf-8`, `gb18030`, `gbk`, `utf-16le`, …);
    /// detected when `None`.
    pub encoding: Option<String>,
    /// The sheet of a workbook, by name or number from 1; the first when `None`.
    pub sheet: Option<String>,
    /// A field mapping turning the file's columns into the kind's fields.
    pub mapping: Option<Arc<Mapping>>,
    /// The file is an Asterisk `queue_log`, its queues at these sites.
    pub queue_log: Option<Arc<QueueLogSpec>>,
}

impl ReadAs {
    pub(crate) fn spec(&self) -> SourceSpec {
        SourceSpec {
            encoding: self.encoding.clone(),
            sheet: self.sheet.clone(),
            mapping: self.mapping.clone(),
            queue_log: self.queue_log.clone(),
        }
    }
}

/// Carries an observer into the engine's progress callback.
struct Progress(Arc<dyn Observer>);

impl Workspace {
    /// Imports one file.
    ///
    /// Dropping the returned future cancels the import: until its batch is ready to
    /// commit, nothing of it is stored or left behind; once the commit has begun, it is
    /// carried through (the batch committed with its files, or its files removed).
    ///
    /// # Errors
    /// Whole-file problems (unreadable, not UTF-8, missing columns, broken shape) as
    /// input errors naming the file; store and disk failures; cancellation. Then nothing
    /// of the file is stored or left behind.
    pub async fn ingest(
        &self,
        actor: &Actor,
        req: IngestRequest,
        observer: Arc<dyn Observer>,
        cancel: &Cancel,
    ) -> Result<ImportReport> {
        self.ingest_as(actor, req, &ReadAs::default(), observer, cancel)
            .await
    }

    /// Imports one file read as `read_as` says: its text encoding, the sheet of a
    /// workbook, a field mapping making the request's kind. As [`Workspace::ingest`]
    /// otherwise: a mapped row goes through the same checks, quarantine and accounting
    /// as a canonical one, and a row a mapping's filter skips is counted by the filter's
    /// name among the rows not stored.
    ///
    /// # Errors
    /// As [`Workspace::ingest`]; also an unknown encoding or sheet, a workbook that is
    /// no table, a mapping that does not make the kind or names columns the file lacks.
    pub async fn ingest_as(
        &self,
        actor: &Actor,
        req: IngestRequest,
        read_as: &ReadAs,
        observer: Arc<dyn Observer>,
        cancel: &Cancel,
    ) -> Result<ImportReport> {
        actor.require_write_records()?;
        if let Some(m) = &read_as.mapping {
            crate::mapping::require_kind(m, req.kind)?;
        }
        let spec = read_as.spec();
        let org = self.require_org().await?;
        // Rows of sites outside the actor's scope meet an organisation without them:
        // they are quarantined as unknown sites, never stored.
        let org = match actor.import_sites(&org)? {
            Visible::All => org,
            Visible::Some { sites, .. } => Organisation {
                sites: org
                    .sites
                    .into_iter()
                    .filter(|s| sites.contains(&s.id))
                    .collect(),
                ..org
            },
        };
        let obs = observer.clone();
        let lock = crate::lock::acquire(self.dir.root(), &move || {
            obs.notice(Notice::WaitingForLock);
        })
        .await?;
        let removed = self.sweep_locked(&lock).await?;
        if removed > 0 {
            observer.notice(Notice::Swept { removed });
        }
        let manifest = self.kind_manifest(req.kind, None).await?;
        let dir = self.dir.clone();
        let accept = plausible_window(Utc::now());
        let path = req.path.clone();
        let (kind, options) = (req.kind, req.options);
        let progress = Progress(observer);
        // The lock goes with the work and comes back with its outcome. When the caller
        // goes away (this future dropped), the work stops at its next check and its
        // outcome is dropped where it ends: first what it wrote (a prepared batch removes
        // its files), then the lock. Until then no other import can start, and no sweep
        // can take the files of a run that is still writing for leftovers.
        let (outcome, lock) = blocking(cancel, move |c| {
            let cx = ImportContext {
                dir: &dir,
                org: &org,
                manifest: &manifest,
                accept,
            };
            let p = &progress;
            let outcome = import_source(
                &cx,
                kind,
                &path,
                &spec,
                options,
                &|b| p.0.progress(b),
                c.flag(),
            )
            .map_err(|e| import_error(&e, dir.root()))
            .and_then(|imported| {
                let hashes = content_hashes(&dir, &imported)?;
                Ok((imported, hashes))
            });
            (outcome, lock)
        })
        .await?;
        let display = req
            .name
            .clone()
            .unwrap_or_else(|| req.path.display().to_string());
        let (imported, hashes) = outcome?;
        // From here on the import ends as a task of its own, holding the lock: its batch
        // is committed or its files removed, and the activity log says so, whether or
        // not the caller still waits. A caller that went away in the middle of the
        // commit would otherwise drop the prepared batch, removing the files of a batch
        // the database may have committed already.
        let (ws, actor) = (self.clone(), actor.clone());
        tokio::spawn(async move {
            let report = match imported {
                Imported::Ready(prepared) => {
                    ws.commit(prepared, &hashes, &display, options).await?
                }
                Imported::AlreadyStored { batch } => ws.already(kind, &display, batch).await?,
                Imported::Rejected(mut report) => {
                    report.file.clone_from(&display);
                    report
                }
            };
            drop(lock);
            ws.log(
                &actor,
                Activity::new("ingest")
                    .object(&display)
                    .detail(serde_json::json!({
                        "kind": report.kind,
                        "batch": report.batch,
                        "status": report.status,
                        "rows_read": report.rows_read,
                        "rows_stored": report.rows_stored,
                        "rows_quarantined": report.rows_quarantined,
                    })),
            )
            .await?;
            Ok(report)
        })
        .await
        .map_err(|e| Error::internal("error.internal.worker_panicked").detail(e.to_string()))?
    }

    /// Commits a prepared batch; on failure its files are removed (unless the batch
    /// did commit and only the answer was lost).
    async fn commit(
        &self,
        mut prepared: PreparedBatch,
        hashes: &[String],
        display: &str,
        options: ImportOptions,
    ) -> Result<ImportReport> {
        prepared.report.file = display.to_string();
        let new = new_batch(&prepared, hashes, display, options)?;
        match self.store.commit_batch(&new, Utc::now()).await {
            Ok(id) => Ok(prepared.committed(id)),
            Err(StoreError::AlreadyCommitted { batch }) => {
                prepared.discard();
                self.already(new_kind(&new), display, batch).await
            }
            Err(e) => {
                // The commit may have succeeded with only its answer lost: then the
                // manifest lists these files and they must stay.
                if let Ok(rows) = self.store.manifest(&new.kind, None).await
                    && let Some(&batch) = rows.hashes.get(&new.content_hash)
                    && rows
                        .files
                        .iter()
                        .any(|f| f.batch_id == batch && new.files.iter().any(|n| n.path == f.path))
                {
                    return Ok(prepared.committed(batch));
                }
                prepared.discard();
                Err(self.store_error(&e))
            }
        }
    }

    /// The report of content imported before: that batch's accounting, nothing new.
    async fn already(&self, kind: RecordKind, display: &str, batch: i64) -> Result<ImportReport> {
        let info = self
            .store
            .batch(batch)
            .await
            .map_err(|e| self.store_error(&e))?;
        let n = |x: Option<i64>| x.and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
        let info = info.as_ref();
        Ok(ImportReport {
            kind: kind.as_str().to_string(),
            file: display.to_string(),
            status: ImportStatus::AlreadyImported(batch),
            batch: Some(batch),
            rows_read: n(info.map(|i| i.rows_read)),
            rows_stored: n(info.map(|i| i.rows_stored)),
            rows_quarantined: n(info.map(|i| i.rows_quarantined)),
            rows_not_stored: n(info.map(|i| i.rows_not_stored)),
            // The store keeps the rows skipped by a mapping among those not stored, not
            // by filter.
            rows_ignored: 0,
            ignored: std::collections::BTreeMap::new(),
            encoding: None,
            sheet: None,
            rows_superseded: n(info.map(|i| i.rows_superseded)),
            duplicates: n(info.map(|i| i.duplicates)),
            reasons: std::collections::BTreeMap::new(),
            quarantine_file: None,
            ignored_columns: Vec::new(),
            files: Vec::new(),
        })
    }
}

/// The content hash of every new file of a prepared batch, for `verify --hash`: read
/// back from the page cache right after writing.
fn content_hashes(dir: &DataDir, imported: &Imported) -> Result<Vec<String>> {
    match imported {
        Imported::Ready(prepared) => prepared
            .files
            .iter()
            .map(|f| {
                let abs = dir.abs(&f.path);
                file_sha256(&abs).map_err(|e| crate::io_error("error.io.read", &abs, &e))
            })
            .collect(),
        _ => Ok(Vec::new()),
    }
}

fn new_kind(b: &NewBatch) -> RecordKind {
    RecordKind::parse(&b.kind).unwrap_or(RecordKind::Contact)
}

fn new_batch(
    p: &PreparedBatch,
    hashes: &[String],
    display: &str,
    options: ImportOptions,
) -> Result<NewBatch> {
    let r = &p.report;
    let report_json = serde_json::to_string(r)
        .map_err(|e| Error::internal("error.internal.json").detail(e.to_string()))?;
    Ok(NewBatch {
        kind: r.kind.clone(),
        file_name: display.to_string(),
        content_hash: p.content_hash.clone(),
        replace: options.replace,
        rows_read: r.rows_read,
        rows_stored: r.rows_stored,
        rows_quarantined: r.rows_quarantined,
        rows_not_stored: r.rows_not_stored,
        rows_superseded: r.rows_superseded,
        duplicates: r.duplicates,
        quarantine_path: r.quarantine_file.clone(),
        report_json,
        files: p
            .files
            .iter()
            .zip(hashes)
            .map(|(f, sha)| NewFile {
                path: f.path.clone(),
                month: f.month.clone(),
                rows: f.rows,
                bytes: f.bytes,
                sha256: Some(sha.clone()),
            })
            .collect(),
        coverage: p.coverage.clone(),
    })
}

/// An engine error as a use-case error: whole-file problems are the user's to fix; a
/// stored file that the import had to read (the duplicate-id check) and found damaged
/// or unreadable is damaged data, as when an evaluation meets it (exit code 4). A file
/// that cannot be written inside the data directory (`root`) is the system's problem
/// (no space left, a file size limit, a read-only folder): said as the path and the
/// system's reason, once.
pub(crate) fn import_error(e: &ImportError, root: &std::path::Path) -> Error {
    if let ImportError::Io { path, source } = e
        && std::path::Path::new(path).starts_with(root)
    {
        return crate::io_error("error.io.write", std::path::Path::new(path), source);
    }
    let (kind, key) = match e {
        ImportError::Io { .. }
        | ImportError::NotUtf8 { .. }
        | ImportError::MissingColumns { .. }
        | ImportError::Malformed { .. }
        | ImportError::UnknownFormat(_)
        | ImportError::Encoding(_)
        | ImportError::Mapping { .. }
        | ImportError::Sheet { .. } => (ErrorKind::Input, "error.ingest.file"),
        ImportError::Damaged { .. } => (ErrorKind::Damaged, "error.records.damaged"),
        ImportError::ReadStored { .. } => (ErrorKind::Damaged, "error.records.unreadable"),
        ImportError::Cancelled => (ErrorKind::Cancelled, "error.cancelled"),
        ImportError::Parquet(_) | ImportError::Arrow(_) => {
            (ErrorKind::Internal, "error.ingest.internal")
        }
    };
    let err = Error::new(kind, key);
    // The whole-file problems a user meets most, in the reader's language; the others
    // in the engine's words.
    match e {
        ImportError::MissingColumns {
            path,
            kind,
            missing,
            found,
        } => err.detail_message(
            crate::error::Message::new("ingest.problem.missing_columns")
                .arg("path", path)
                .arg("kind", kind)
                .arg("missing", missing)
                .arg("found", crate::error::quoted(found, 300)),
        ),
        ImportError::NotUtf8 { path, line, column } => err.detail_message(match column {
            Some(c) => crate::error::Message::new("ingest.problem.not_utf8_column")
                .arg("path", path)
                .arg("line", line)
                .arg("column", crate::error::quoted(c, 60)),
            None => crate::error::Message::new("ingest.problem.not_utf8")
                .arg("path", path)
                .arg("line", line),
        }),
        ImportError::UnknownFormat(path) => err.detail_message(
            crate::error::Message::new("ingest.problem.unknown_format").arg("path", path),
        ),
        ImportError::Malformed {
            path,
            line,
            message,
        } => err.detail_localised(crate::error::in_both(|l| {
            yardstick_core::t!(
                l,
                "engine.at_line",
                path = path,
                line = line,
                message = crate::error::quoted(&message.render(l), 600)
            )
        })),
        ImportError::Sheet { path, message } | ImportError::Mapping { path, message } => err
            .detail_localised(crate::error::in_both(|l| {
                yardstick_core::t!(
                    l,
                    "engine.in_file",
                    path = path,
                    message = crate::error::quoted(&message.render(l), 600)
                )
            })),
        _ => err.detail(crate::error::quoted(&e.to_string(), 600)),
    }
}
