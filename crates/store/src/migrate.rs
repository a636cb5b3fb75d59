//! Schema migrations, one directory per backend (`migrations/sqlite/`,
//! `migrations/postgres/`), embedded by hand and applied by [`Store::migrate`].

use std::collections::BTreeSet;

use serde::Serialize;

use crate::{Backend, Result, Store};

/// A schema migration: its version and what it is about (from its file name,
/// `0003_contract.sql` → 3, "contract").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Migration {
    /// Version, applied in increasing order.
    pub version: i64,
    /// Description.
    pub description: &'static str,
}

/// One embedded migration: version, description, SQL.
type Embedded = (i64, &'static str, &'static str);

/// SQLite's migrations (`migrations/sqlite/NNNN_description.sql`, applied in order, each
/// in a transaction).
///
/// Built by hand rather than with `sqlx::migrate!`, whose proc-macro crate would compile
/// sqlx and SQLite a second time for the build host (about a minute of a fresh release
/// build). Versions, descriptions and checksums are exactly those the macro derived
/// from the file names and contents, so databases migrated before keep verifying.
const SQLITE: [Embedded; 5] = [
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
    (
        3,
        "contract",
        include_str!("../migrations/sqlite/0003_contract.sql"),
    ),
    (
        4,
        "access",
        include_str!("../migrations/sqlite/0004_access.sql"),
    ),
    (
        5,
        "audits",
        include_str!("../migrations/sqlite/0005_audits.sql"),
    ),
];

/// PostgreSQL's migrations (`migrations/postgres/`), embedded the same way. The schema
/// starts at SQLite's 0003 contract (no PostgreSQL database predates it); later changes
/// come in pairs (PostgreSQL's 0002 is SQLite's 0004, 0003 is 0005).
const POSTGRES: [Embedded; 3] = [
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "access",
        include_str!("../migrations/postgres/0002_access.sql"),
    ),
    (
        3,
        "audits",
        include_str!("../migrations/postgres/0003_audits.sql"),
    ),
];

fn embedded(backend: Backend) -> &'static [Embedded] {
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    }
}

fn migrator(backend: Backend) -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr;
    sqlx::migrate::Migrator::with_migrations(
        embedded(backend)
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

/// Whether sqlx's bookkeeping table exists (it does once anything was migrated).
const SQLITE_HAS_TABLE: &str =
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'";
const POSTGRES_HAS_TABLE: &str = "SELECT COUNT(*) FROM information_schema.tables \
     WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'";
const APPLIED: &str = "SELECT version FROM _sqlx_migrations WHERE success = TRUE";

impl Store {
    /// Applies the migrations this database lacks, in order, each in a transaction, and
    /// returns those that were pending when it started. An applied migration whose text
    /// differs from this program's is an error (nothing is applied then).
    ///
    /// # Errors
    /// [`crate::StoreError::Migrate`] when a migration fails or does not match.
    pub async fn migrate(&self) -> Result<Vec<Migration>> {
        let pending = self.pending().await?;
        let m = migrator(self.backend());
        with_pool!(self, p => m.run(p).await?);
        Ok(pending)
    }

    /// The migrations this database lacks, in the order they would be applied.
    ///
    /// # Errors
    /// On database failure.
    pub async fn pending(&self) -> Result<Vec<Migration>> {
        let has_table = match &self.pool {
            crate::Pool::Sqlite(p) => {
                sqlx::query_scalar::<_, i64>(SQLITE_HAS_TABLE)
                    .fetch_one(p)
                    .await?
            }
            crate::Pool::Postgres(p) => {
                sqlx::query_scalar::<_, i64>(POSTGRES_HAS_TABLE)
                    .fetch_one(p)
                    .await?
            }
        };
        let applied: BTreeSet<i64> = if has_table == 0 {
            BTreeSet::new()
        } else {
            with_pool!(self, p => sqlx::query_scalar::<_, i64>(APPLIED).fetch_all(p).await?)
                .into_iter()
                .collect()
        };
        Ok(embedded(self.backend())
            .iter()
            .filter(|(v, _, _)| !applied.contains(v))
            .map(|(version, description, _)| Migration {
                version: *version,
                description,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::{POSTGRES, SQLITE};

    /// Every file under `migrations/<dir>` is embedded, in order, with the version and
    /// description its name gives (`0002_frozen_delete.sql` → 2, "frozen delete") and its
    /// exact text; a file added without a line in the backend's table fails here. The
    /// embedded migrations are all simple (one direction) and run in a transaction, so
    /// no file may ask otherwise (`.up.sql` / `.down.sql`, a `-- no-transaction` first
    /// line).
    fn every_file_is_embedded(dir: &str, table: &[(i64, &str, &str)]) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dir);
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
        let embedded: Vec<(i64, String, String)> = table
            .iter()
            .map(|(v, d, sql)| (*v, (*d).to_string(), (*sql).to_string()))
            .collect();
        assert_eq!(embedded, files);
    }

    #[test]
    fn every_sqlite_migration_file_is_embedded_in_order() {
        every_file_is_embedded("sqlite", &SQLITE);
    }

    #[test]
    fn every_postgres_migration_file_is_embedded_in_order() {
        every_file_is_embedded("postgres", &POSTGRES);
    }
}
