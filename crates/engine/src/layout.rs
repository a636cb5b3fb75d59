//! Paths inside a data directory.

use std::path::{Path, PathBuf};

/// A data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Wraps a directory path (not created here).
    #[must_use]
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    /// The root.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The metadata database file.
    #[must_use]
    pub fn meta_db(&self) -> PathBuf {
        self.root.join("meta.sqlite")
    }

    /// Relative path of a batch file (as stored in the manifest). `part` tells apart the
    /// files of different import runs that got the same batch id (a run killed before
    /// its commit, or a concurrent one): the importer passes a number unique to the run,
    /// so that no run ever overwrites a file another run committed.
    #[must_use]
    pub fn batch_file_rel(kind: &str, month: &str, batch: i64, part: usize) -> String {
        format!("records/{kind}/{month}/b{batch}-{part}.parquet")
    }

    /// Absolute path of a manifest-relative path.
    #[must_use]
    pub fn abs(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Directory of one import run's temporary files (sorted runs of keys, rows set
    /// aside), removed when the run ends. Its name ends with the importing process's id,
    /// so that the directories of killed runs can be told apart and removed.
    #[must_use]
    pub fn run_scratch(&self, kind: &str, batch: i64, run: u32) -> PathBuf {
        self.scratch_root().join(format!(
            "import-b{batch}-{kind}-{run:08x}-p{}",
            std::process::id()
        ))
    }

    /// The directory of the import runs' temporary directories.
    #[must_use]
    pub fn scratch_root(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Quarantine file of one import run: like [`DataDir::quarantine`] with the run's
    /// number, so that a run rejected by `--strict` (which commits no batch) keeps its
    /// quarantine file when the next run gets the same batch id.
    #[must_use]
    pub fn quarantine_run(&self, kind: &str, batch: i64, run: u32) -> PathBuf {
        self.root
            .join("quarantine")
            .join(format!("b{batch}-{kind}-{run:08x}.csv"))
    }
}
