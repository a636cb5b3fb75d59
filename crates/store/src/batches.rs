//! The import manifest: batches committed whole (with their files and the days they
//! cover), ids in commit order, and the manifest of a record kind read as values, as of
//! any batch.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::row::Columns;
use crate::{BeginWrite, ROWS_PER_STATEMENT, Result, Store, StoreError, ts};

/// A batch about to be committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBatch {
    /// Record kind.
    pub kind: String,
    /// Name of the imported file.
    pub file_name: String,
    /// SHA-256 of the file's bytes.
    pub content_hash: String,
    /// Whether this batch replaces earlier rows for the same kind, site and day.
    pub replace: bool,
    /// Rows read.
    pub rows_read: u64,
    /// Rows stored.
    pub rows_stored: u64,
    /// Rows quarantined.
    pub rows_quarantined: u64,
    /// Rows neither stored nor quarantined (ignored by a named rule).
    pub rows_not_stored: u64,
    /// Rows of earlier batches this batch supersedes (a replace batch).
    pub rows_superseded: u64,
    /// Duplicate ids (a subset of the quarantined rows).
    pub duplicates: u64,
    /// The quarantine file, when rows were quarantined.
    pub quarantine_path: Option<String>,
    /// The full import report.
    pub report_json: String,
    /// Parquet files written.
    pub files: Vec<NewFile>,
    /// (site, day `YYYY-MM-DD`) pairs covered by the stored rows.
    pub coverage: Vec<(String, String)>,
}

/// A Parquet file of a batch about to be committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// Path relative to the data directory.
    pub path: String,
    /// Month `YYYY-MM`.
    pub month: String,
    /// Rows.
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the file's bytes (lowercase hex), when the importer worked it out: what
    /// `yardstick verify` checks the file against later.
    pub sha256: Option<String>,
}

/// A committed batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchInfo {
    /// Batch id (increasing in commit order).
    pub id: i64,
    /// Record kind.
    pub kind: String,
    /// File imported.
    pub file_name: String,
    /// SHA-256 of the file's bytes.
    pub content_hash: String,
    /// Replace mode.
    pub replace: bool,
    /// When it was committed (RFC 3339, UTC).
    pub committed_at: String,
    /// Rows read.
    pub rows_read: i64,
    /// Rows stored.
    pub rows_stored: i64,
    /// Rows quarantined.
    pub rows_quarantined: i64,
    /// Rows ignored by a named rule.
    pub rows_not_stored: i64,
    /// Rows of earlier batches this one superseded.
    pub rows_superseded: i64,
    /// Duplicates.
    pub duplicates: i64,
    /// The quarantine file, if any.
    pub quarantine_path: Option<String>,
}

/// A Parquet file of a committed batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    /// Batch id.
    pub batch_id: i64,
    /// Path relative to the data directory.
    pub path: String,
    /// Month `YYYY-MM`.
    pub month: String,
    /// Rows.
    pub rows: i64,
    /// Size in bytes (0 for files committed before sizes were recorded).
    pub bytes: i64,
    /// SHA-256 of the file's bytes (lowercase hex); `None` when it was not recorded (files
    /// committed without it, or before it was recorded).
    pub sha256: Option<String>,
}

/// The manifest of one record kind, as of a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindManifestRows {
    /// Committed files, by batch then path.
    pub files: Vec<FileEntry>,
    /// For each (site, day) covered by a replace batch, the latest such batch: rows of
    /// older batches for that site and day are superseded.
    pub replaced: BTreeMap<(String, String), i64>,
    /// Content hash → batch id.
    pub hashes: HashMap<String, i64>,
}

const BATCH_BY_CONTENT: &str = "SELECT id FROM batch WHERE kind = $1 AND content_hash = $2";
const INSERT_BATCH: &str = "INSERT INTO batch (kind, file_name, content_hash, replace_mode, \
     committed_at, rows_read, rows_stored, rows_quarantined, rows_not_stored, rows_superseded, \
     duplicates, quarantine_path, report_json) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id";
const INSERT_FILES: &str = "INSERT INTO batch_file (batch_id, path, month, rows, bytes, sha256) ";
const INSERT_COVERAGE: &str = "INSERT INTO batch_coverage (batch_id, site_id, day) ";

const BATCH_COLUMNS: &str = "SELECT id, kind, file_name, content_hash, replace_mode, \
     committed_at, rows_read, rows_stored, rows_quarantined, rows_not_stored, rows_superseded, \
     duplicates, quarantine_path FROM batch";

/// The manifest of a kind as of batch `$2`: files, replace winners, content hashes.
const MANIFEST_FILES: &str = "SELECT f.batch_id, f.path, f.month, f.rows, f.bytes, f.sha256 \
     FROM batch_file f JOIN batch b ON b.id = f.batch_id \
     WHERE b.kind = $1 AND b.id <= $2 ORDER BY f.batch_id, f.path";
const MANIFEST_REPLACED: &str = "SELECT c.site_id, c.day, MAX(c.batch_id) AS winner \
     FROM batch_coverage c JOIN batch b ON b.id = c.batch_id \
     WHERE b.kind = $1 AND b.replace_mode = TRUE AND b.id <= $2 GROUP BY c.site_id, c.day";
const MANIFEST_HASHES: &str = "SELECT content_hash, id FROM batch WHERE kind = $1 AND id <= $2";

/// Every committed file of every kind.
const ALL_FILES: &str = "SELECT batch_id, path, month, rows, bytes, sha256 FROM batch_file \
     ORDER BY batch_id, path";
/// Every quarantine file a batch names.
const QUARANTINE_PATHS: &str =
    "SELECT quarantine_path FROM batch WHERE quarantine_path IS NOT NULL ORDER BY id";

/// PostgreSQL's `SUM` of a BIGINT is NUMERIC: cast back so both backends give an integer.
const LIVE_ROWS: &str = "SELECT kind, CAST(SUM(rows_stored) AS BIGINT) AS stored, \
     CAST(SUM(rows_superseded) AS BIGINT) AS superseded FROM batch GROUP BY kind";

/// The counts of a new batch as the database stores them.
struct Counts {
    read: i64,
    stored: i64,
    quarantined: i64,
    not_stored: i64,
    superseded: i64,
    duplicates: i64,
}

fn count(what: &'static str, value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| StoreError::TooLarge { what, value })
}

impl Counts {
    fn of(b: &NewBatch) -> Result<Counts> {
        Ok(Counts {
            read: count("rows read", b.rows_read)?,
            stored: count("rows stored", b.rows_stored)?,
            quarantined: count("rows quarantined", b.rows_quarantined)?,
            not_stored: count("rows not stored", b.rows_not_stored)?,
            superseded: count("rows superseded", b.rows_superseded)?,
            duplicates: count("duplicates", b.duplicates)?,
        })
    }
}

/// A file row as bound: (path, month, rows, bytes, SHA-256).
type FileRow<'a> = (&'a str, &'a str, i64, i64, Option<&'a str>);

impl Store {
    /// Commits a batch, its files and its coverage in one transaction and returns its
    /// id, which the database assigns: above every batch committed before. Call only
    /// after the files are durable: from this moment readers see the batch.
    ///
    /// # Errors
    /// [`StoreError::AlreadyCommitted`] with the existing batch's id when this kind and
    /// content are committed already (perhaps by a concurrent import);
    /// [`StoreError::Refused`] when the accounting does not add up; any database
    /// failure. In every case nothing of the batch is visible.
    pub async fn commit_batch(&self, b: &NewBatch, now: DateTime<Utc>) -> Result<i64> {
        let n = Counts::of(b)?;
        let files = b
            .files
            .iter()
            .map(|f| {
                Ok((
                    f.path.as_str(),
                    f.month.as_str(),
                    count("file rows", f.rows)?,
                    count("file bytes", f.bytes)?,
                    f.sha256.as_deref(),
                ))
            })
            .collect::<Result<Vec<FileRow<'_>>>>()?;
        let committed_at = ts(now);
        let outcome: Result<i64> = async {
            with_pool!(self, p => {
                // Writers are in one order from here to the commit: the check below sees
                // every batch committed before, and the id is above all of theirs.
                let mut tx = p.begin_write().await?;
                let existing: Option<i64> = sqlx::query_scalar(BATCH_BY_CONTENT)
                    .bind(&b.kind)
                    .bind(&b.content_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(batch) = existing {
                    return Err(StoreError::AlreadyCommitted { batch });
                }
                let id: i64 = sqlx::query_scalar(INSERT_BATCH)
                    .bind(&b.kind)
                    .bind(&b.file_name)
                    .bind(&b.content_hash)
                    .bind(b.replace)
                    .bind(&committed_at)
                    .bind(n.read)
                    .bind(n.stored)
                    .bind(n.quarantined)
                    .bind(n.not_stored)
                    .bind(n.superseded)
                    .bind(n.duplicates)
                    .bind(b.quarantine_path.as_deref())
                    .bind(&b.report_json)
                    .fetch_one(&mut *tx)
                    .await?;
                // Many rows per statement: one statement a row cost a round trip each, most
                // of a small import's commit.
                for chunk in files.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::new(INSERT_FILES);
                    q.push_values(chunk, |mut row, f: &FileRow<'_>| {
                        row.push_bind(id)
                            .push_bind(f.0)
                            .push_bind(f.1)
                            .push_bind(f.2)
                            .push_bind(f.3)
                            .push_bind(f.4);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                for chunk in b.coverage.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::new(INSERT_COVERAGE);
                    q.push_values(chunk, |mut row, (site, day): &(String, String)| {
                        row.push_bind(id).push_bind(site.as_str()).push_bind(day.as_str());
                    });
                    // A (site, day) pair listed twice is covered once.
                    q.push(" ON CONFLICT DO NOTHING");
                    q.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(id)
            })
        }
        .await;
        match outcome {
            // Only a writer outside this contract can race the check above; the unique
            // constraint still holds, and the answer is the same.
            Err(StoreError::Refused(crate::Constraint::BatchContent)) => {
                match self
                    .manifest(&b.kind, None)
                    .await?
                    .hashes
                    .get(&b.content_hash)
                {
                    Some(batch) => Err(StoreError::AlreadyCommitted { batch: *batch }),
                    None => Err(StoreError::Refused(crate::Constraint::BatchContent)),
                }
            }
            other => other,
        }
    }

    /// The manifest of record kind `kind`, restricted to the batches with id ≤ `upto`
    /// when given (a snapshot: what a reader saw when `upto` was the latest batch; the
    /// replace winners are computed among those batches only). One query per table.
    ///
    /// # Errors
    /// On database failure.
    pub async fn manifest(&self, kind: &str, upto: Option<i64>) -> Result<KindManifestRows> {
        let upto = upto.unwrap_or(i64::MAX);
        with_pool!(self, p => {
            let mut out = KindManifestRows::default();
            for r in sqlx::query(MANIFEST_FILES).bind(kind).bind(upto).fetch_all(p).await? {
                out.files.push(file_entry(&r)?);
            }
            for r in sqlx::query(MANIFEST_REPLACED).bind(kind).bind(upto).fetch_all(p).await? {
                out.replaced.insert((r.text("site_id")?, r.text("day")?), r.int("winner")?);
            }
            for r in sqlx::query(MANIFEST_HASHES).bind(kind).bind(upto).fetch_all(p).await? {
                out.hashes.insert(r.text("content_hash")?, r.int("id")?);
            }
            Ok(out)
        })
    }

    /// Every committed file of every record kind, by batch then path (byte order): what
    /// `yardstick verify` checks and what an interrupted import's sweep must keep.
    ///
    /// # Errors
    /// On database failure.
    pub async fn all_files(&self) -> Result<Vec<FileEntry>> {
        with_pool!(self, p => {
            sqlx::query(ALL_FILES)
                .fetch_all(p)
                .await?
                .iter()
                .map(file_entry)
                .collect()
        })
    }

    /// The quarantine file of every batch that has one, by batch id, as the batch
    /// recorded it: what an interrupted import's sweep must keep.
    ///
    /// # Errors
    /// On database failure.
    pub async fn quarantine_paths(&self) -> Result<Vec<String>> {
        with_pool!(self, p => {
            Ok(sqlx::query_scalar(QUARANTINE_PATHS).fetch_all(p).await?)
        })
    }

    /// All committed batches, oldest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn batches(&self) -> Result<Vec<BatchInfo>> {
        let sql = sqlx::AssertSqlSafe(format!("{BATCH_COLUMNS} ORDER BY id"));
        with_pool!(self, p => {
            sqlx::query(sql)
                .fetch_all(p)
                .await?
                .iter()
                .map(batch_info)
                .collect()
        })
    }

    /// One committed batch; `None` when there is none with this id.
    ///
    /// # Errors
    /// On database failure.
    pub async fn batch(&self, id: i64) -> Result<Option<BatchInfo>> {
        let sql = sqlx::AssertSqlSafe(format!("{BATCH_COLUMNS} WHERE id = $1"));
        with_pool!(self, p => {
            match sqlx::query(sql).bind(id).fetch_optional(p).await? {
                Some(r) => Ok(Some(batch_info(&r)?)),
                None => Ok(None),
            }
        })
    }

    /// The import report a batch was committed with; `None` when there is no such
    /// batch.
    ///
    /// # Errors
    /// On database failure.
    pub async fn batch_report_json(&self, id: i64) -> Result<Option<String>> {
        with_pool!(self, p => {
            Ok(sqlx::query_scalar("SELECT report_json FROM batch WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?)
        })
    }

    /// The latest batch's id (the watermark a reader records); `None` when no batch is
    /// committed.
    ///
    /// # Errors
    /// On database failure.
    pub async fn max_batch_id(&self) -> Result<Option<i64>> {
        with_pool!(self, p => {
            Ok(sqlx::query_scalar("SELECT MAX(id) FROM batch").fetch_one(p).await?)
        })
    }

    /// Per record kind, the rows stored by all its batches and the rows later replace
    /// batches superseded (live rows are the difference).
    ///
    /// # Errors
    /// On database failure.
    pub async fn live_rows(&self) -> Result<BTreeMap<String, (i64, i64)>> {
        with_pool!(self, p => {
            let mut out = BTreeMap::new();
            for r in sqlx::query(LIVE_ROWS).fetch_all(p).await? {
                out.insert(r.text("kind")?, (r.int("stored")?, r.int("superseded")?));
            }
            Ok(out)
        })
    }
}

fn file_entry(r: &impl Columns) -> Result<FileEntry> {
    Ok(FileEntry {
        batch_id: r.int("batch_id")?,
        path: r.text("path")?,
        month: r.text("month")?,
        rows: r.int("rows")?,
        bytes: r.int("bytes")?,
        sha256: r.opt_text("sha256")?,
    })
}

fn batch_info(r: &impl Columns) -> Result<BatchInfo> {
    Ok(BatchInfo {
        id: r.int("id")?,
        kind: r.text("kind")?,
        file_name: r.text("file_name")?,
        content_hash: r.text("content_hash")?,
        replace: r.flag("replace_mode")?,
        committed_at: r.text("committed_at")?,
        rows_read: r.int("rows_read")?,
        rows_stored: r.int("rows_stored")?,
        rows_quarantined: r.int("rows_quarantined")?,
        rows_not_stored: r.int("rows_not_stored")?,
        rows_superseded: r.int("rows_superseded")?,
        duplicates: r.int("duplicates")?,
        quarantine_path: r.opt_text("quarantine_path")?,
    })
}
