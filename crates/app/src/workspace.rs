//! Opening a workspace: the data directory (record files, quarantine, the marker that
//! says Yardstick made it) and its metadata database, checked against each other.
//!
//! Yardstick never touches a folder it did not make: `init` refuses a non-empty folder
//! without the marker, and opening refuses a folder that is not a data directory. A
//! metadata database that is missing or emptied next to stored record files is an error
//! that says so, never a silent fresh start.

use std::path::{Path, PathBuf};

use serde::Serialize;
use yardstick_engine::layout::DataDir;
use yardstick_store::{Backend, DatabaseUrl, Store};

use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};

/// The marker file of a data directory.
pub const MARKER: &str = ".yardstick";

/// A data directory and its metadata database.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub(crate) dir: DataDir,
    pub(crate) store: Store,
    /// Guideline versions parsed so far, by fingerprint (a version never changes).
    guidelines: GuidelineCache,
    /// Provisional evaluations computed for readers (`published.rs`).
    pub(crate) cache: std::sync::Arc<crate::published::ProvisionalCache>,
    /// Organisation versions and frozen evaluations kept parsed (`memo.rs`).
    pub(crate) memo: std::sync::Arc<crate::memo::Memo>,
}

/// Parsed guideline versions by fingerprint, shared by the clones of a workspace.
type GuidelineCache = std::sync::Arc<
    std::sync::Mutex<
        std::collections::BTreeMap<String, std::sync::Arc<yardstick_core::guideline::Guideline>>,
    >,
>;

/// What `init` did.
#[derive(Debug, Clone, Serialize)]
pub struct InitReport {
    /// The data directory.
    pub data_dir: PathBuf,
    /// Where the metadata lives (a SQLite file, or a PostgreSQL URL without password).
    pub database: String,
    /// Whether the data directory was new.
    pub created: bool,
    /// Migrations applied now.
    pub migrations: Vec<String>,
}

/// What the marker says about the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MetadataKind {
    Sqlite,
    Postgres,
}

impl MetadataKind {
    fn of(url: &DatabaseUrl) -> MetadataKind {
        match url {
            DatabaseUrl::Sqlite(_) => MetadataKind::Sqlite,
            DatabaseUrl::Postgres(_) => MetadataKind::Postgres,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            MetadataKind::Sqlite => "sqlite",
            MetadataKind::Postgres => "postgres",
        }
    }
}

fn marker_text(kind: MetadataKind) -> String {
    format!(
        "# A Yardstick data directory. Yardstick may create, change and remove the files it\n\
         # wrote here (records/, quarantine/, tmp/, meta.sqlite); nothing else.\n\
         format = 1\nmetadata = \"{}\"\n",
        kind.as_str()
    )
}

/// The metadata kind a marker names (`None` for a marker without the line).
fn marker_kind(root: &Path) -> Option<MetadataKind> {
    let text = std::fs::read_to_string(root.join(MARKER)).ok()?;
    text.lines().find_map(|l| {
        let v = l.strip_prefix("metadata")?.trim_start().strip_prefix('=')?;
        match v.trim().trim_matches('"') {
            "sqlite" => Some(MetadataKind::Sqlite),
            "postgres" => Some(MetadataKind::Postgres),
            _ => None,
        }
    })
}

/// Whether `root` is a data directory: it has the marker, or (made by an earlier
/// version) the metadata database file.
#[must_use]
pub fn is_data_dir(root: &Path) -> bool {
    root.join(MARKER).is_file() || root.join("meta.sqlite").is_file()
}

/// Whether a folder is missing or empty.
fn is_empty_dir(root: &Path) -> Result<bool> {
    match std::fs::read_dir(root) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(crate::io_error("error.io.read_dir", root, &e)),
    }
}

/// Record files (Parquet) stored under `records/`, counted (for the damaged-metadata
/// message). Stops counting at a bound: the message needs "some", not an inventory.
fn record_files(root: &Path) -> usize {
    fn walk(dir: &Path, n: &mut usize) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            if *n >= 100_000 {
                return;
            }
            let p = e.path();
            if p.is_dir() {
                walk(&p, n);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                *n += 1;
            }
        }
    }
    let mut n = 0;
    walk(&root.join("records"), &mut n);
    n
}

/// The error to give when the embedded metadata database is missing or empty (0 bytes)
/// while `records/` holds record files: starting afresh would hide every stored batch, so
/// nothing may open the database (which would create it). `None` when the database is
/// there, when nothing is stored, or when the metadata lives in PostgreSQL.
#[must_use]
pub fn metadata_lost(cfg: &Config) -> Option<Error> {
    let DatabaseUrl::Sqlite(path) = cfg.database_url() else {
        return None;
    };
    let size = std::fs::metadata(&path).map(|m| m.len()).ok();
    if size.is_some_and(|n| n > 0) {
        return None;
    }
    let files = record_files(&cfg.data_dir);
    if files == 0 {
        return None;
    }
    let key = if size.is_none() {
        "error.workspace.meta_missing"
    } else {
        "error.workspace.meta_empty"
    };
    Some(
        Error::new(ErrorKind::Damaged, key)
            .arg("db", path.display())
            .arg("files", files),
    )
}

impl Workspace {
    /// Creates a data directory (or opens one that exists), migrates its database and
    /// records the built-in guideline.
    ///
    /// # Errors
    /// An input error for a non-empty folder that is not a data directory; I/O and
    /// database failures.
    pub async fn init(cfg: &Config) -> Result<(Workspace, InitReport)> {
        let root = &cfg.data_dir;
        let url = cfg.database_url();
        let existed = is_data_dir(root);
        if !existed && !is_empty_dir(root)? {
            return Err(Error::input("error.workspace.not_empty").arg("dir", root.display()));
        }
        std::fs::create_dir_all(root)
            .map_err(|e| crate::io_error("error.io.create_dir", root, &e))?;
        if existed {
            check_marker(root, &url)?;
            if let Some(lost) = metadata_lost(cfg) {
                return Err(lost);
            }
        } else {
            write_marker(root, MetadataKind::of(&url))?;
        }
        let store = connect(&url).await?;
        let applied = store.migrate().await.map_err(|e| store_error(&store, &e))?;
        let ws = Workspace {
            dir: DataDir::new(root.clone()),
            store,
            guidelines: GuidelineCache::default(),
            cache: std::sync::Arc::default(),
            memo: std::sync::Arc::default(),
        };
        ws.record_builtin_guideline().await?;
        let report = InitReport {
            data_dir: root.clone(),
            database: url.to_string(),
            created: !existed,
            migrations: applied
                .iter()
                .map(|m| format!("{:04} {}", m.version, m.description))
                .collect(),
        };
        Ok((ws, report))
    }

    /// Opens an existing data directory and its database. A SQLite database is migrated
    /// forward on open (it belongs to this directory alone); a PostgreSQL database with
    /// pending migrations asks for `yardstick migrate`.
    ///
    /// # Errors
    /// An input error when the folder is not a data directory; a damaged-data error when
    /// the metadata database is missing or empty next to stored records.
    pub async fn open(cfg: &Config) -> Result<Workspace> {
        let root = &cfg.data_dir;
        if !is_data_dir(root) {
            return Err(Error::input("error.workspace.not_data_dir").arg("dir", root.display()));
        }
        let url = cfg.database_url();
        check_marker(root, &url)?;
        if let Some(lost) = metadata_lost(cfg) {
            return Err(lost);
        }
        if let DatabaseUrl::Sqlite(path) = &url
            && !path.exists()
        {
            return Err(Error::input("error.workspace.not_data_dir").arg("dir", root.display()));
        }
        if !root.join(MARKER).is_file() {
            // A data directory of an earlier version: it gets its marker.
            write_marker(root, MetadataKind::of(&url))?;
        }
        let store = connect(&url).await?;
        let pending = store.pending().await.map_err(|e| store_error(&store, &e))?;
        if !pending.is_empty() {
            match store.backend() {
                Backend::Sqlite => {
                    store.migrate().await.map_err(|e| store_error(&store, &e))?;
                }
                Backend::Postgres => {
                    return Err(
                        Error::input("error.workspace.migrate_first").arg("pending", pending.len())
                    );
                }
            }
        }
        Ok(Workspace {
            dir: DataDir::new(root.clone()),
            store,
            guidelines: GuidelineCache::default(),
            cache: std::sync::Arc::default(),
            memo: std::sync::Arc::default(),
        })
    }

    /// Applies pending migrations of the configured database and says which.
    ///
    /// # Errors
    /// Database failures.
    pub async fn migrate(cfg: &Config) -> Result<Vec<String>> {
        let root = &cfg.data_dir;
        let url = cfg.database_url();
        if let DatabaseUrl::Sqlite(_) = url
            && !is_data_dir(root)
        {
            return Err(Error::input("error.workspace.not_data_dir").arg("dir", root.display()));
        }
        if let Some(lost) = metadata_lost(cfg) {
            return Err(lost);
        }
        let store = connect(&url).await?;
        let applied = store.migrate().await.map_err(|e| store_error(&store, &e))?;
        Ok(applied
            .iter()
            .map(|m| format!("{:04} {}", m.version, m.description))
            .collect())
    }

    /// A store failure in words, naming the database.
    pub(crate) fn store_error(&self, e: &yardstick_store::StoreError) -> Error {
        crate::store_error(e).arg("db", self.store.location())
    }

    /// The data directory.
    #[must_use]
    pub fn data_dir(&self) -> &DataDir {
        &self.dir
    }

    /// The metadata store (for the server's own tables and for tests).
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A guideline version parsed before, by fingerprint.
    pub(crate) fn guideline_cache(
        &self,
        fingerprint: &str,
    ) -> Option<std::sync::Arc<yardstick_core::guideline::Guideline>> {
        self.guidelines
            .lock()
            .ok()
            .and_then(|m| m.get(fingerprint).cloned())
    }

    /// Keeps a parsed guideline version.
    pub(crate) fn cache_guideline(
        &self,
        fingerprint: &str,
        g: std::sync::Arc<yardstick_core::guideline::Guideline>,
    ) {
        if let Ok(mut m) = self.guidelines.lock() {
            m.insert(fingerprint.to_string(), g);
        }
    }

    async fn record_builtin_guideline(&self) -> Result<()> {
        let g = yardstick_core::guideline::default_guideline()
            .map_err(|e| Error::internal("error.guideline.builtin").detail(e.to_string()))?;
        self.store
            .put_guideline(
                &g.fingerprint(),
                &g.id,
                &g.version,
                yardstick_core::guideline::DEFAULT_TOML,
                chrono::Utc::now(),
            )
            .await
            .map_err(|e| self.store_error(&e))
    }
}

fn write_marker(root: &Path, kind: MetadataKind) -> Result<()> {
    let path = root.join(MARKER);
    std::fs::write(&path, marker_text(kind))
        .map_err(|e| crate::io_error("error.io.write", &path, &e))
}

/// Refuses a database of another kind than the one the directory was made with.
fn check_marker(root: &Path, url: &DatabaseUrl) -> Result<()> {
    match (marker_kind(root), MetadataKind::of(url)) {
        (Some(MetadataKind::Postgres), MetadataKind::Sqlite) => {
            Err(Error::input("error.workspace.needs_postgres").arg("dir", root.display()))
        }
        (Some(MetadataKind::Sqlite), MetadataKind::Postgres) => {
            Err(Error::input("error.workspace.needs_sqlite").arg("dir", root.display()))
        }
        _ => Ok(()),
    }
}

/// A failure of `store` in words, naming it.
fn store_error(store: &Store, e: &yardstick_store::StoreError) -> Error {
    crate::store_error(e).arg("db", store.location())
}

async fn connect(url: &DatabaseUrl) -> Result<Store> {
    Store::connect(url)
        .await
        .map_err(|e| crate::store_error(&e))
}
