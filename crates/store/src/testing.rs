//! Test support (cargo feature `test-support`): a fresh database for each test on every
//! backend at hand, so that one suite runs on both. SQLite is always at hand (a file in
//! a temporary directory); PostgreSQL is when `YARDSTICK_TEST_DATABASE_URL` names a
//! server (an administrator's URL, e.g. `postgres://postgres@127.0.0.1:5432/postgres`):
//! each test then gets a database of its own, `ys_t_…`, dropped when the test is done.
//! Without the variable the PostgreSQL half is skipped, and says so on stderr.
//!
//! ```no_run
//! # async fn example() {
//! for db in yardstick_store::testing::databases().await {
//!     let store = db.store();
//!     // … the same assertions on each backend; `db.backend()` says which.
//!     assert_eq!(store.max_batch_id().await.expect("query"), None, "{:?}", db.backend());
//! }
//! # }
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Connection, Executor};

use crate::{Backend, DatabaseUrl, Store};

/// The environment variable naming a PostgreSQL server for tests.
pub const DATABASE_URL_VAR: &str = "YARDSTICK_TEST_DATABASE_URL";

/// A fresh database for one test, removed when dropped (the SQLite file's directory, or
/// the PostgreSQL database, forcibly, even if connections remain).
pub struct TestDatabase {
    store: Store,
    url: DatabaseUrl,
    cleanup: Cleanup,
}

enum Cleanup {
    /// The SQLite file's directory, removed on drop.
    Dir(#[allow(dead_code, reason = "held only to be removed on drop")] tempfile::TempDir),
    /// The PostgreSQL database to drop, and where to connect to drop it.
    Postgres { admin: String, name: String },
}

impl TestDatabase {
    /// The store, connected.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The database's URL (to connect again, or to hand to code that connects itself).
    #[must_use]
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Which backend this is.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.store.backend()
    }
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDatabase")
            .field("url", &self.url)
            .finish()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Cleanup::Postgres { admin, name } = &self.cleanup else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on: the database
        // is dropped from a thread with a runtime of its own.
        let (admin, db) = (admin.clone(), name.clone());
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .map_err(|e| e.to_string())?;
                let sql = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
                conn.execute(sqlx::AssertSqlSafe(sql))
                    .await
                    .map_err(|e| e.to_string())?;
                conn.close().await.map_err(|e| e.to_string())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("note: test database {name} could not be dropped: {dropped:?}");
        }
    }
}

/// A fresh, migrated database on each backend at hand: SQLite, then PostgreSQL when
/// [`DATABASE_URL_VAR`] is set.
///
/// # Panics
/// When a database cannot be created, connected to or migrated, or the variable holds
/// something other than a PostgreSQL URL.
pub async fn databases() -> Vec<TestDatabase> {
    let dbs = empty_databases().await;
    for db in &dbs {
        db.store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("migrating the {} test database: {e}", db.backend()));
    }
    dbs
}

/// A fresh database on each backend at hand, not migrated.
///
/// # Panics
/// As [`databases`].
pub async fn empty_databases() -> Vec<TestDatabase> {
    let mut out = vec![sqlite().await];
    out.extend(postgres().await);
    out
}

/// A fresh SQLite database (not migrated): `meta.sqlite` in a temporary directory.
///
/// # Panics
/// When the directory or the database cannot be created.
pub async fn sqlite() -> TestDatabase {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = DatabaseUrl::Sqlite(dir.path().join("meta.sqlite"));
    let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
    TestDatabase {
        store,
        url,
        cleanup: Cleanup::Dir(dir),
    }
}

/// A fresh PostgreSQL database (not migrated), or `None` (said on stderr) when
/// [`DATABASE_URL_VAR`] is not set.
///
/// # Panics
/// When the variable is not a PostgreSQL URL, or the database cannot be created.
pub async fn postgres() -> Option<TestDatabase> {
    let admin = match std::env::var(DATABASE_URL_VAR) {
        Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
        _ => {
            eprintln!(
                "note: {DATABASE_URL_VAR} is not set: the PostgreSQL half of this test is skipped"
            );
            return None;
        }
    };
    match admin.parse::<DatabaseUrl>() {
        Ok(DatabaseUrl::Postgres(_)) => {}
        Ok(DatabaseUrl::Sqlite(_)) | Err(_) => {
            panic!("{DATABASE_URL_VAR} must be a postgres:// URL of a server for tests")
        }
    }
    let name = fresh_name();
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("connecting to {DATABASE_URL_VAR}: {e}"));
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
    let _ = conn.close().await;
    let text = with_database(&admin, &name);
    let url: DatabaseUrl = text.parse().unwrap_or_else(|e| panic!("{e}"));
    let cleanup = Cleanup::Postgres { admin, name };
    let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
    Some(TestDatabase {
        store,
        url,
        cleanup,
    })
}

/// A database name no other test of any process uses: process id, time and a counter.
fn fresh_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "ys_t_{:x}_{:x}_{}",
        std::process::id(),
        nanos & 0xffff_ffff_ffff,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The URL `url` with its database (the path after the host) replaced by `name`; the
/// query, if any, is kept.
fn with_database(url: &str, name: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let (head, query) = match url.find('?') {
        Some(q) => url.split_at(q),
        None => (url, ""),
    };
    let host_end = head[authority_start..]
        .find('/')
        .map_or(head.len(), |i| authority_start + i);
    format!("{}/{name}{query}", &head[..host_end])
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://nobody@127.0.0.1:5433/postgres", "ys_t_1"),
            "postgres://nobody@127.0.0.1:5433/ys_t_1"
        );
        assert_eq!(
            with_database("postgres://u:p@h:1?sslmode=disable", "x"),
            "postgres://u:p@h:1/x?sslmode=disable"
        );
    }
}
