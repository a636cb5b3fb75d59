//! The import lock of a data directory: one writer of record files at a time.
//!
//! An operating-system lock on `<data-dir>/.lock` (released by the system when the
//! process dies, so a killed import never leaves it held). Imports, repairs and the
//! sweep of a killed import's leftovers take it; a second import waits its turn, told
//! why, instead of failing. Readers (evaluations) take no lock: they read only files
//! of committed batches, which no writer changes.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Result;

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
    path: PathBuf,
}

impl DirLock {
    /// The lock file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Takes the lock of the data directory `root`, waiting while another process or task
/// holds it. `waiting` is called once when the lock is busy, so the caller can say why
/// nothing happens yet.
///
/// # Errors
/// When the lock file cannot be created or locked (permission, read-only file system).
pub async fn acquire(root: &Path, waiting: &(dyn Fn() + Send + Sync)) -> Result<DirLock> {
    let path = root.join(".lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| crate::io_error("error.io.lock", &path, &e))?;
    match file.try_lock() {
        Ok(()) => return Ok(DirLock { _file: file, path }),
        Err(TryLockError::WouldBlock) => waiting(),
        Err(TryLockError::Error(e)) => return Err(crate::io_error("error.io.lock", &path, &e)),
    }
    // Wait without blocking a runtime thread: poll the lock. Imports take seconds to
    // minutes, so a tenth of a second of latency is nothing.
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        match file.try_lock() {
            Ok(()) => return Ok(DirLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => {
                return Err(crate::io_error("error.io.lock", &path, &e));
            }
        }
    }
}

/// Whether another holder has the lock right now (for `verify`, which only looks).
#[must_use]
pub fn is_held(root: &Path) -> bool {
    let Ok(file) = OpenOptions::new().write(true).open(root.join(".lock")) else {
        return false;
    };
    matches!(file.try_lock(), Err(TryLockError::WouldBlock))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two holders in one process: the second waits until the first lets go. File locks
    /// belong to open file descriptions, so two opens in one process exclude each other
    /// like two processes do.
    #[tokio::test]
    async fn a_second_holder_waits_for_the_first() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = acquire(dir.path(), &|| {}).await.expect("first");
        let told = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let t = told.clone();
        let root = dir.path().to_path_buf();
        let second = tokio::spawn(async move {
            acquire(&root, &move || {
                t.store(true, std::sync::atomic::Ordering::SeqCst)
            })
            .await
            .map(|_| ())
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!second.is_finished(), "the second holder must wait");
        assert!(
            told.load(std::sync::atomic::Ordering::SeqCst),
            "and be told why"
        );
        assert!(is_held(dir.path()));
        drop(first);
        second.await.expect("joined").expect("second gets the lock");
    }
}
