//! What fails an import as a whole (nothing is stored then), and the small helpers that
//! turn lower-level failures into it.

use std::path::Path;

use yardstick_core::i18n::Msg;

use crate::manifest::Damage;

/// A whole-file problem: nothing is stored.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not UTF-8.
    #[error(
        "{path}: line {line}{}: not UTF-8 text: name its encoding with --encoding (gb18030, utf-16le, …) or convert the file to UTF-8",
        column_note(.column)
    )]
    NotUtf8 {
        /// Path.
        path: String,
        /// Line of the first bad byte.
        line: u64,
        /// CSV column holding the first bad byte, when known.
        column: Option<String>,
    },
    /// Required columns are missing.
    #[error(
        "{path}: missing required column(s) {missing} for kind `{kind}`; found columns: {found}"
    )]
    MissingColumns {
        /// Path.
        path: String,
        /// Kind.
        kind: String,
        /// Missing.
        missing: String,
        /// Found.
        found: String,
    },
    /// The file's shape is broken (not CSV or JSON Lines).
    #[error("{path}: line {line}: {message}")]
    Malformed {
        /// Path.
        path: String,
        /// Line.
        line: u64,
        /// What is wrong, from the catalogue (`engine.*`).
        message: Msg,
    },
    /// The format is unknown.
    #[error("{0}: unknown file type; expected .csv, .jsonl, .ndjson, .xlsx, .xls or .ods")]
    UnknownFormat(String),
    /// The text encoding named is unknown, or the bytes are not in it.
    #[error("{0}")]
    Encoding(String),
    /// The field mapping does not fit the file (columns it names are missing, it makes
    /// no record of the kind), or the mapping is not for this kind of file.
    #[error("{path}: {message}")]
    Mapping {
        /// The file imported.
        path: String,
        /// What does not fit, with the mapping's places, from the catalogue
        /// (`mapping_file.fit.*`).
        message: Msg,
    },
    /// A spreadsheet cannot be read as a table: unreadable workbook, unknown sheet,
    /// merged header cells.
    #[error("{path}: {message}")]
    Sheet {
        /// The workbook.
        path: String,
        /// What is wrong, from the catalogue (`engine.sheet.*`).
        message: Msg,
    },
    /// A committed file (read for the duplicate-id check) could not be read.
    #[error("reading stored records {path}: {message}")]
    ReadStored {
        /// Path.
        path: String,
        /// What failed.
        message: String,
    },
    /// A committed file is not what the manifest says (missing, another size, another
    /// row count): the data directory is damaged, and nothing is stored until it is
    /// repaired.
    #[error("stored records {path} of batch {batch} are damaged: {problem}")]
    Damaged {
        /// The file, relative to the data directory.
        path: String,
        /// Its batch.
        batch: i64,
        /// What differs from the manifest.
        problem: String,
    },
    /// The caller cancelled the import: everything it wrote is removed.
    #[error("import cancelled; nothing stored")]
    Cancelled,
    /// Writing Parquet failed.
    #[error("writing Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Building Arrow arrays failed.
    #[error("building Arrow arrays: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

fn column_note(column: &Option<String>) -> String {
    column
        .as_ref()
        .map_or_else(String::new, |c| format!(", column `{c}`"))
}

impl From<Damage> for ImportError {
    fn from(d: Damage) -> ImportError {
        ImportError::Damaged {
            path: d.path,
            batch: d.batch,
            problem: d.problem,
        }
    }
}

pub(super) fn io(path: &Path) -> impl Fn(std::io::Error) -> ImportError + '_ {
    move |source| ImportError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The error of a file that changed while it was read (`what` says how).
pub(super) fn changed(path: &Path, what: &str) -> ImportError {
    ImportError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(format!(
            "the file changed while it was being imported ({what}); nothing stored: import it again"
        )),
    }
}

/// The error of a reading thread whose rows are no longer taken (the pass failed).
pub(super) fn stopped(path: &Path) -> ImportError {
    ImportError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other("import stopped"),
    }
}
