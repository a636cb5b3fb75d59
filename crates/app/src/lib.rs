//! Yardstick's use cases. The command line calls these today and the server next; none
//! re-implements them.
//!
//! A [`Workspace`] is a data directory (record files) and its metadata database (SQLite
//! in the directory by default, or PostgreSQL). Each use case takes the [`Actor`] asking
//! (the one place where scope is decided), runs heavy synchronous work off the async
//! runtime where it can be cancelled, returns warnings as values and fails with one
//! [`Error`] type that maps to the command line's exit codes and to HTTP statuses.
//!
//! Layering: core ← engine ← app ← cli / server. The engine never sees the database:
//! this crate reads the manifest as values, hands them to the engine, and commits what
//! it returns.

pub mod access;
pub mod activity;
pub mod audit;
pub mod browse;
pub mod config;
pub mod demo;
pub mod demo_audits;
pub mod drill;
pub mod error;
pub mod evaluate;
pub mod housekeeping;
pub mod indicator;
pub mod ingest;
pub mod jobs;
pub mod lock;
mod manifest;
pub mod mapping;
mod memo;
pub mod org;
pub mod pdca;
pub mod plan;
pub mod published;
pub mod reasons;
pub mod records;
pub mod scope;
pub mod workspace;

use std::path::Path;

pub use config::Config;
pub use error::{Error, ErrorKind, Result};
pub use jobs::{Cancel, Notice, Observer, Quiet};
pub use scope::Actor;
pub use workspace::Workspace;
// Types of the layers below that interfaces receive from the use cases: the server and
// the command line name them through here, never depending on the engine or the store.
pub use yardstick_engine::import::{ImportOptions, ImportReport, ImportStatus};
pub use yardstick_store::{BatchInfo, EvaluationInfo};

/// An I/O failure on a path, in words: the path and the OS reason (permission denied,
/// no space left, read-only file system), once.
pub(crate) fn io_error(key: &'static str, path: &Path, e: &std::io::Error) -> Error {
    Error::new(io_kind(e), key)
        .arg("path", path.display())
        .detail(os_reason(e))
}

/// Whether an I/O failure is the user's to fix (a path they gave) or the system's.
fn io_kind(e: &std::io::Error) -> ErrorKind {
    match e.kind() {
        std::io::ErrorKind::NotFound
        | std::io::ErrorKind::PermissionDenied
        | std::io::ErrorKind::ReadOnlyFilesystem
        | std::io::ErrorKind::IsADirectory
        | std::io::ErrorKind::NotADirectory => ErrorKind::Input,
        _ => ErrorKind::Internal,
    }
}

/// The OS reason of an I/O error without the Rust decoration (`(os error 28)`).
pub(crate) fn os_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// A store failure in words.
pub(crate) fn store_error(e: &yardstick_store::StoreError) -> Error {
    match e {
        // Said once, in words (read-only, disk full), without the database's codes.
        yardstick_store::StoreError::Unwritable { reason } => {
            Error::internal("error.store_unwritable").detail(reason.clone())
        }
        yardstick_store::StoreError::Open { path, reason } => Error::internal("error.store_open")
            .arg("db", path.display())
            .detail(reason.clone()),
        yardstick_store::StoreError::Damaged { .. } | yardstick_store::StoreError::Org(_) => {
            Error::new(ErrorKind::Damaged, "error.store_damaged").detail(e.to_string())
        }
        _ => Error::internal("error.store").detail(e.to_string()),
    }
}

/// A computation failure: damaged stored files are named as such.
pub(crate) fn compute_error(e: &yardstick_engine::compute::ComputeError) -> Error {
    use yardstick_engine::compute::ComputeError;
    match e {
        ComputeError::Damaged { .. } => {
            Error::new(ErrorKind::Damaged, "error.records.damaged").detail(e.to_string())
        }
        _ => Error::new(ErrorKind::Damaged, "error.records.unreadable").detail(e.to_string()),
    }
}

/// Test support (feature `test-support`): a fresh database per test on each backend at
/// hand, for crates that reach the store only through the application layer.
#[cfg(feature = "test-support")]
pub use yardstick_store::testing;
