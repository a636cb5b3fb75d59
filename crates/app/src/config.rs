//! Configuration of a workspace: where the data directory is and which database holds
//! its metadata. Built once by the binary (flags, environment) and passed explicitly.

use std::path::PathBuf;

use yardstick_store::DatabaseUrl;

use crate::error::{Error, Result};

/// How to open a workspace.
#[derive(Clone)]
pub struct Config {
    /// The data directory (record files, quarantine, and the SQLite database by default).
    pub data_dir: PathBuf,
    /// The metadata database; `None`: SQLite in the data directory (`meta.sqlite`).
    pub database: Option<DatabaseUrl>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The database URL's own Debug redacts a password.
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("database", &self.database)
            .finish()
    }
}

impl Config {
    /// A configuration for a data directory with the embedded default database.
    #[must_use]
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            database: None,
        }
    }

    /// Sets the database from a URL (`sqlite://PATH`, `postgres://…`).
    ///
    /// # Errors
    /// An input error saying what is wrong with the URL.
    pub fn with_database_url(mut self, url: Option<&str>) -> Result<Config> {
        self.database = match url {
            None => None,
            Some(u) if u.trim().is_empty() => None,
            Some(u) => Some(
                u.parse::<DatabaseUrl>()
                    .map_err(|e| Error::input("error.database_url").detail(e.to_string()))?,
            ),
        };
        Ok(self)
    }

    /// The database to use: the configured one, or SQLite in the data directory.
    #[must_use]
    pub fn database_url(&self) -> DatabaseUrl {
        self.database
            .clone()
            .unwrap_or_else(|| DatabaseUrl::Sqlite(self.data_dir.join("meta.sqlite")))
    }
}
