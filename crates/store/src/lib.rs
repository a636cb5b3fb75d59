//! Yardstick's metadata database: organisation versions, guideline versions, the import
//! manifest (batches, their files and the days they cover), frozen evaluations, access
//! (users and their grants, browser sessions, API tokens, the activity log), audits
//! (plans, answers, evidence rows, the site's response) and the improvement loop
//! (findings and their history, corrective actions and their events, review decisions).
//!
//! One contract, two backends: SQLite (one embedded file, the default) and PostgreSQL
//! (production). A [`Store`] holds a pool of either kind ([`Pool`]); every method runs
//! the same code on both, compiled once per backend (`with_pool!`), and the SQL text is
//! shared wherever the two dialects agree (`$1` placeholders, `ON CONFLICT … DO
//! NOTHING`, `RETURNING`, `TRUE`). Where they do not (how a writer serialises, what a
//! schema looks like) each backend has its own statement or migration directory
//! (`migrations/sqlite/`, `migrations/postgres/`).
//!
//! The database itself enforces the invariants (row accounting adds up, one batch per
//! file content, frozen evaluations are never changed, an evaluation names a recorded
//! guideline, one user per login whatever its case, known roles, sessions and tokens kept
//! by hash only, the activity log is append-only, signed audits never change, one open
//! finding per site, source and subject, histories are appended only); [`StoreError`] turns its refusals into
//! domain errors in one place. The rules of access (hashing passwords, who may do what
//! where, whether a session or a token is still good) belong to the application: the
//! store keeps what it decides. Instants are RFC 3339 UTC text in both backends, so both
//! give the same bytes back.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool, Transaction};

/// Runs `$body` with `$p` bound to the store's pool: the same code, type-checked and
/// compiled once for each backend.
macro_rules! with_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.pool {
            $crate::Pool::Sqlite($p) => $body,
            $crate::Pool::Postgres($p) => $body,
        }
    };
}

mod actions;
mod activity;
mod audit_plans;
mod audits;
mod batches;
mod error;
mod evaluations;
mod findings;
mod migrate;
mod org;
mod row;
mod sessions;
#[cfg(feature = "test-support")]
pub mod testing;
mod tokens;
mod url;
mod users;

pub use actions::{ActionEventRow, ActionRow, DecisionRow, NewAction, NewActionEvent, NewDecision};
pub use activity::{ActivityFilter, ActivityRow, NewActivity};
pub use audit_plans::{EvidenceRow, NewEvidence, NewPlan, PlanRow};
pub use audits::{AnswerRow, AuditFilter, AuditRow, NewAnswer, NewAudit};
pub use batches::{BatchInfo, FileEntry, KindManifestRows, NewBatch, NewFile};
pub use error::{Constraint, Result, StoreError};
pub use evaluations::{EvaluationInfo, NewEvaluation, PeriodState, StoredEvaluation};
pub use findings::{FindingEventRow, FindingRow, NewFinding, NewFindingEvent};
pub use migrate::Migration;
pub use sessions::{NewSession, SessionRow};
pub use tokens::{NewToken, TokenRow};
pub use url::{DatabaseUrl, UrlError};
pub use users::{GrantRow, NewUser, UserRow};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Backend {
    /// SQLite, one file (the default, embedded).
    Sqlite,
    /// PostgreSQL (production).
    Postgres,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// The connection pool of a store, one kind per backend.
#[derive(Debug, Clone)]
pub enum Pool {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// The metadata database. Cloning is cheap (the pool is shared).
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    /// Where the metadata lives, for messages: the SQLite file, or the PostgreSQL URL
    /// without its password.
    location: String,
}

/// How long a SQLite connection waits for another writer before giving up. Writers hold
/// the lock for one commit (milliseconds); a long wait means something is stuck.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// SQLite connections per store. One writer at a time anyway (WAL); the others read.
const SQLITE_CONNECTIONS: u32 = 4;

/// PostgreSQL connections per store.
const POSTGRES_CONNECTIONS: u32 = 8;

impl Store {
    /// Connects to the database `url` names. SQLite: the file is created when missing
    /// (its directory must exist), in WAL mode with full sync, foreign keys on and a
    /// busy timeout of 30 s; the path is handed over as a file name, never inside a URL,
    /// so `?`, `#` or `%` in a directory name cannot be misread. PostgreSQL: a pool of
    /// eight connections.
    ///
    /// Does not migrate: call [`Store::migrate`] (or check [`Store::pending`]).
    ///
    /// # Errors
    /// [`StoreError::Open`] (SQLite: the file and the system's reason) or
    /// [`StoreError::Connect`] (PostgreSQL: the URL without its password and the reason).
    pub async fn connect(url: &DatabaseUrl) -> Result<Store> {
        let pool = match url {
            DatabaseUrl::Sqlite(path) => {
                let opts = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT);
                let pool = SqlitePoolOptions::new()
                    .max_connections(SQLITE_CONNECTIONS)
                    .connect_with(opts)
                    .await
                    .map_err(|e| error::sqlite_open(path, &e))?;
                Pool::Sqlite(pool)
            }
            DatabaseUrl::Postgres(text) => {
                let opts: PgConnectOptions = text
                    .parse()
                    .map_err(|e: sqlx::Error| error::postgres_connect(url, &e))?;
                // One connection first, to fail at once with the server's reason: the
                // pool would retry a refused connection until its timeout and then say
                // only that it timed out.
                let probe = <sqlx::PgConnection as sqlx::Connection>::connect_with(&opts)
                    .await
                    .map_err(|e| error::postgres_connect(url, &e))?;
                let _ = sqlx::Connection::close(probe).await;
                let pool = PgPoolOptions::new()
                    .max_connections(POSTGRES_CONNECTIONS)
                    .connect_lazy_with(opts);
                Pool::Postgres(pool)
            }
        };
        Ok(Store {
            pool,
            location: match url {
                DatabaseUrl::Sqlite(path) => path.display().to_string(),
                DatabaseUrl::Postgres(_) => url.to_string(),
            },
        })
    }

    /// Where the metadata lives, for messages: the SQLite file, or the PostgreSQL URL
    /// without its password.
    #[must_use]
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The backend this store runs on.
    #[must_use]
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes the pool, waiting for connections in use to be returned. SQLite
    /// checkpoints its write-ahead log into the database file.
    pub async fn close(&self) {
        with_pool!(self, p => p.close().await);
    }

    /// The pool, for tests that must reach past the contract (raw SQL that the database
    /// has to refuse).
    #[cfg(feature = "test-support")]
    #[must_use]
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

/// Instants as stored: RFC 3339 in UTC with milliseconds (`2026-11-01T00:00:00.000Z`),
/// the same text in both backends.
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Rows inserted by one multi-row statement. The widest row has 8 parameters: 4,000 per
/// statement, far below SQLite's limit of 32,766 and PostgreSQL's of 65,535.
const ROWS_PER_STATEMENT: usize = 500;

/// Begins a transaction that writes, in the backend's way of putting writers in one
/// order.
trait BeginWrite {
    /// The backend's database type.
    type Db: sqlx::Database;

    /// Begins the write transaction.
    fn begin_write(
        &self,
    ) -> impl Future<Output = std::result::Result<Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;

    /// `BEGIN IMMEDIATE` takes SQLite's single write lock at once (waiting up to the
    /// busy timeout): writers run one after the other, so a batch id, assigned inside
    /// the transaction, is always above every id committed before it. A deferred
    /// transaction would read first and then ask for the lock, and SQLite refuses that
    /// upgrade at once ("database is locked") when another writer got in between, busy
    /// timeout or not.
    async fn begin_write(
        &self,
    ) -> std::result::Result<Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

/// The transaction-scoped advisory lock PostgreSQL writers of the manifest take
/// ("YSBATCH1" in ASCII).
const BATCH_LOCK: i64 = 0x5953_4241_5443_4831;

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;

    /// PostgreSQL lets writers overlap: an identity value taken by one transaction may
    /// commit after a larger one. The advisory lock, held until commit or rollback,
    /// puts manifest writers in one order, so batch ids increase in commit order and a
    /// reader's "batches ≤ N" never gains a batch later.
    async fn begin_write(
        &self,
    ) -> std::result::Result<Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(BATCH_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}
