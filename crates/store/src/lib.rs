//! Yardstick's metadata database: organisation, guideline versions, the import manifest
//! and frozen evaluations.
//!
//! SQLite (embedded, one file in the data directory) is the default backend; the SQL is
//! plain and the migrations live per backend under `migrations/<backend>/`, so a
//! PostgreSQL backend can follow without redesign. Database errors reach callers as
//! [`StoreError::Db`]; the schema's own checks (accounting adds up, one batch per file
//! content, frozen evaluations) are enforced by the database itself.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use yardstick_core::diag::LoadError;
use yardstick_core::org::Organisation;

/// Errors of the metadata store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened, queried or migrated.
    #[error("metadata database: {0}")]
    Db(#[from] sqlx::Error),
    /// A migration failed.
    #[error("metadata database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The stored organisation no longer validates.
    #[error("stored organisation is invalid: {0}")]
    Org(#[from] LoadError),
    /// Stored JSON could not be read back.
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, StoreError>;

/// A batch about to be committed.
#[derive(Debug, Clone)]
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
    /// Duplicate ids (a subset of the quarantined rows).
    pub duplicates: u64,
    /// The full import report.
    pub report_json: String,
    /// Parquet files written (path relative to the data directory, month, rows).
    pub files: Vec<(String, String, u64)>,
    /// (site, day) pairs covered by the stored rows.
    pub coverage: Vec<(String, String)>,
}

/// A committed batch.
#[derive(Debug, Clone, Serialize)]
pub struct BatchInfo {
    /// Batch id.
    pub id: i64,
    /// Record kind.
    pub kind: String,
    /// File imported.
    pub file_name: String,
    /// Replace mode.
    pub replace: bool,
    /// When it was committed.
    pub committed_at: String,
    /// Rows read.
    pub rows_read: i64,
    /// Rows stored.
    pub rows_stored: i64,
    /// Rows quarantined.
    pub rows_quarantined: i64,
    /// Duplicates.
    pub duplicates: i64,
}

/// A Parquet file of a committed batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Batch id.
    pub batch_id: i64,
    /// Path relative to the data directory.
    pub path: String,
    /// Month `YYYY-MM`.
    pub month: String,
    /// Rows.
    pub rows: i64,
}

/// A frozen evaluation's header.
#[derive(Debug, Clone, Serialize)]
pub struct EvaluationInfo {
    /// Id.
    pub id: i64,
    /// Scope.
    pub scope: String,
    /// Period label.
    pub period: String,
    /// Guideline fingerprint.
    pub guideline_fingerprint: String,
    /// Input fingerprint.
    pub input_fingerprint: String,
    /// When it was frozen.
    pub created_at: String,
}

/// The metadata database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

/// The schema migrations, embedded in the binary (`NNNN_description.sql`, applied in
/// order, each in a transaction).
///
/// Built by hand rather than with `sqlx::migrate!`, whose proc-macro crate would compile
/// sqlx and SQLite a second time for the build host (about a minute of a fresh release
/// build). Versions, descriptions and checksums are exactly those the macro derived
/// from the file names and contents, so databases migrated before keep verifying.
const MIGRATIONS: [(i64, &str, &str); 2] = [
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "frozen delete",
        include_str!("../migrations/sqlite/0002_frozen_delete.sql"),
    ),
];

fn migrator() -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr;
    sqlx::migrate::Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|(version, description, sql)| {
                sqlx::migrate::Migration::new(
                    *version,
                    std::borrow::Cow::Borrowed(*description),
                    sqlx::migrate::MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Coverage rows inserted by one statement (three parameters each, well under SQLite's
/// limit of 32,766).
const COVERAGE_ROWS_AT_ONCE: usize = 500;

impl Store {
    /// Opens (creating if needed) the SQLite database at `path` and migrates it.
    ///
    /// # Errors
    /// When the file cannot be opened or migrated.
    pub async fn open(path: &Path) -> Result<Store> {
        // The path is given as a file name, not inside a URL, so `?`, `#` or `%` in a
        // directory name cannot be misread.
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        migrator().run(&pool).await?;
        Ok(Store { pool })
    }

    /// Replaces the organisation with a validated one and its source text.
    ///
    /// # Errors
    /// On database failure.
    pub async fn put_org(
        &self,
        file_name: &str,
        toml: &str,
        org: &Organisation,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM org_source")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM site").execute(&mut *tx).await?;
        sqlx::query("INSERT INTO org_source (id, file_name, toml, fingerprint, loaded_at) VALUES (1, ?, ?, ?, ?)")
            .bind(file_name)
            .bind(toml)
            .bind(yardstick_core::fingerprint::of_json(org)?)
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        for s in &org.sites {
            sqlx::query("INSERT INTO site (id, parent, scene, area, tier, tz, name_zh, name_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                .bind(&s.id)
                .bind(&s.parent)
                .bind(s.scene.as_str())
                .bind(s.area.as_str())
                .bind(s.tier.as_str())
                .bind(s.tz.name())
                .bind(&s.name.zh)
                .bind(&s.name.en)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The stored organisation, validated again through core.
    ///
    /// # Errors
    /// On database failure or when the stored text no longer validates.
    pub async fn org(&self) -> Result<Option<Organisation>> {
        let row = sqlx::query("SELECT file_name, toml FROM org_source WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => {
                let file: String = r.try_get("file_name")?;
                let toml: String = r.try_get("toml")?;
                Ok(Some(Organisation::from_toml(&file, &toml)?))
            }
        }
    }

    /// Records a guideline version (idempotent by fingerprint).
    ///
    /// # Errors
    /// On database failure.
    pub async fn put_guideline(
        &self,
        fingerprint: &str,
        id: &str,
        version: &str,
        toml: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("INSERT OR IGNORE INTO guideline_version (fingerprint, guideline_id, version, toml, loaded_at) VALUES (?, ?, ?, ?, ?)")
            .bind(fingerprint)
            .bind(id)
            .bind(version)
            .bind(toml)
            .bind(ts(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The content hashes of the committed batches of a kind, with their batch ids.
    ///
    /// # Errors
    /// On database failure.
    pub async fn content_hashes(&self, kind: &str) -> Result<HashMap<String, i64>> {
        let rows = sqlx::query("SELECT content_hash, id FROM batch WHERE kind = ?")
            .bind(kind)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("content_hash")?, r.try_get("id")?)))
            .collect()
    }

    /// The committed batch of this kind with this content hash, if any.
    ///
    /// # Errors
    /// On database failure.
    pub async fn batch_by_hash(&self, kind: &str, hash: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT id FROM batch WHERE kind = ? AND content_hash = ?")
            .bind(kind)
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("id")?),
            None => None,
        })
    }

    /// The id the next batch will get (files are named after it before the commit).
    ///
    /// # Errors
    /// On database failure.
    pub async fn next_batch_id(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM batch")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("next")?)
    }

    /// Commits a batch, its files and its coverage in one transaction. Call only after
    /// the files are durable: from this moment readers see the batch.
    ///
    /// # Errors
    /// On database failure (then nothing of the batch is visible).
    pub async fn commit_batch(&self, id: i64, b: &NewBatch, now: DateTime<Utc>) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let n = |x: u64| i64::try_from(x).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO batch (id, kind, file_name, content_hash, replace_mode, committed_at, rows_read, rows_stored, rows_quarantined, duplicates, report_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(&b.kind)
        .bind(&b.file_name)
        .bind(&b.content_hash)
        .bind(b.replace)
        .bind(ts(now))
        .bind(n(b.rows_read))
        .bind(n(b.rows_stored))
        .bind(n(b.rows_quarantined))
        .bind(n(b.duplicates))
        .bind(&b.report_json)
        .execute(&mut *tx)
        .await?;
        for (path, month, rows) in &b.files {
            sqlx::query("INSERT INTO batch_file (batch_id, path, month, rows) VALUES (?, ?, ?, ?)")
                .bind(id)
                .bind(path)
                .bind(month)
                .bind(n(*rows))
                .execute(&mut *tx)
                .await?;
        }
        // Many (site, day) rows per statement: one statement a row cost a round trip to
        // the database thread each, most of a small import's commit.
        for chunk in b.coverage.chunks(COVERAGE_ROWS_AT_ONCE) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT OR IGNORE INTO batch_coverage (batch_id, site_id, day) ",
            );
            q.push_values(chunk, |mut row, (site, day)| {
                row.push_bind(id).push_bind(site).push_bind(day);
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// All committed batches, oldest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn batches(&self) -> Result<Vec<BatchInfo>> {
        let rows = sqlx::query("SELECT id, kind, file_name, replace_mode, committed_at, rows_read, rows_stored, rows_quarantined, duplicates FROM batch ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(BatchInfo {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    file_name: r.try_get("file_name")?,
                    replace: r.try_get("replace_mode")?,
                    committed_at: r.try_get("committed_at")?,
                    rows_read: r.try_get("rows_read")?,
                    rows_stored: r.try_get("rows_stored")?,
                    rows_quarantined: r.try_get("rows_quarantined")?,
                    duplicates: r.try_get("duplicates")?,
                })
            })
            .collect()
    }

    /// One committed batch.
    ///
    /// # Errors
    /// On database failure.
    pub async fn batch(&self, id: i64) -> Result<Option<BatchInfo>> {
        Ok(self.batches().await?.into_iter().find(|b| b.id == id))
    }

    /// Committed files of a kind, oldest batch first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn files(&self, kind: &str) -> Result<Vec<FileEntry>> {
        let rows = sqlx::query("SELECT f.batch_id, f.path, f.month, f.rows FROM batch_file f JOIN batch b ON b.id = f.batch_id WHERE b.kind = ? ORDER BY f.batch_id, f.path")
            .bind(kind)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(FileEntry {
                    batch_id: r.try_get("batch_id")?,
                    path: r.try_get("path")?,
                    month: r.try_get("month")?,
                    rows: r.try_get("rows")?,
                })
            })
            .collect()
    }

    /// For each (site, day) of a kind covered by a replace batch, the latest such batch:
    /// rows of older batches for that site and day are superseded.
    ///
    /// # Errors
    /// On database failure.
    pub async fn replaced(&self, kind: &str) -> Result<BTreeMap<(String, String), i64>> {
        let rows = sqlx::query("SELECT c.site_id, c.day, MAX(c.batch_id) AS winner FROM batch_coverage c JOIN batch b ON b.id = c.batch_id WHERE b.kind = ? AND b.replace_mode = 1 GROUP BY c.site_id, c.day")
            .bind(kind)
            .fetch_all(&self.pool)
            .await?;
        let mut out = BTreeMap::new();
        for r in &rows {
            out.insert(
                (r.try_get("site_id")?, r.try_get("day")?),
                r.try_get("winner")?,
            );
        }
        Ok(out)
    }

    /// Freezes an evaluation.
    ///
    /// # Errors
    /// On database failure.
    pub async fn save_evaluation(
        &self,
        scope: &str,
        period: &str,
        guideline_fp: &str,
        input_fp: &str,
        result_json: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let r = sqlx::query("INSERT INTO evaluation (scope, period, guideline_fingerprint, input_fingerprint, created_at, result_json) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(scope)
            .bind(period)
            .bind(guideline_fp)
            .bind(input_fp)
            .bind(ts(now))
            .bind(result_json)
            .execute(&self.pool)
            .await?;
        Ok(r.last_insert_rowid())
    }

    /// Frozen evaluations, newest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn evaluations(&self) -> Result<Vec<EvaluationInfo>> {
        let rows = sqlx::query("SELECT id, scope, period, guideline_fingerprint, input_fingerprint, created_at FROM evaluation ORDER BY id DESC").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(EvaluationInfo {
                    id: r.try_get("id")?,
                    scope: r.try_get("scope")?,
                    period: r.try_get("period")?,
                    guideline_fingerprint: r.try_get("guideline_fingerprint")?,
                    input_fingerprint: r.try_get("input_fingerprint")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    /// Every file under `migrations/sqlite` is embedded, in order, with the version and
    /// description its name gives (`0002_frozen_delete.sql` → 2, "frozen delete") and its
    /// exact text; a file added without a line in `MIGRATIONS` fails here. The embedded
    /// migrations are all simple (one direction) and run in a transaction, so no file may
    /// ask otherwise (`.up.sql` / `.down.sql`, a `-- no-transaction` first line).
    #[test]
    fn every_migration_file_is_embedded_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let mut files: Vec<(i64, String, String)> = std::fs::read_dir(&dir)
            .expect("migrations directory")
            .map(|e| {
                let path = e.expect("entry").path();
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .expect("UTF-8 name")
                    .to_string();
                let stem = name
                    .strip_suffix(".sql")
                    .unwrap_or_else(|| panic!("{name}: only NNNN_description.sql files here"));
                assert!(
                    !stem.ends_with(".up") && !stem.ends_with(".down"),
                    "{name}: reversible migrations are not embedded"
                );
                let (version, description) = stem.split_once('_').expect("NNNN_description");
                let sql = std::fs::read_to_string(&path).expect("readable");
                assert!(
                    !sql.starts_with("-- no-transaction"),
                    "{name}: every embedded migration runs in a transaction"
                );
                (
                    version.parse().expect("numeric version"),
                    description.replace('_', " "),
                    sql,
                )
            })
            .collect();
        files.sort();
        let embedded: Vec<(i64, String, String)> = MIGRATIONS
            .iter()
            .map(|(v, d, sql)| (*v, (*d).to_string(), (*sql).to_string()))
            .collect();
        assert_eq!(embedded, files);
    }
}
