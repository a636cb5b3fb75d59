//! Paths inside a data directory: where each file goes, how an import run names what it
//! writes, and which files under the directory Yardstick wrote ([`written`]).
//!
//! ```text
//! <data-dir>/records/<kind>/<YYYY-MM>/r<ms>-<rand>.parquet   rows of one import run and month
//! <data-dir>/records/<kind>/<YYYY-MM>/r<ms>-<rand>.keys      its rows' sorted id keys (duplicate check)
//! <data-dir>/quarantine/<kind>-r<ms>-<rand>.csv             rejected rows with every reason
//! <data-dir>/quarantine/rejected-<kind>-r<ms>-<rand>.csv    the same, of a file `--strict` rejected
//! <data-dir>/tmp/import-<kind>-r<ms>-<rand>-p<pid>/          an import run's temporary files
//! ```
//!
//! A run is named before it knows its batch id (the metadata database gives the id when
//! the batch commits): by [`RunId`], unique across processes and time, so no run ever
//! overwrites another's files, committed or not. A file is visible only once the
//! manifest lists it. Data directories of earlier versions named files after their
//! batch (`b<batch>-<part>.parquet`, `quarantine/b<batch>-<kind>[-<run>].csv`,
//! `tmp/import-b<batch>-<kind>-<run>-p<pid>`); those are read as before and recognised
//! by [`written`].

use std::hash::BuildHasher;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use yardstick_core::records::RecordKind;

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

    /// The metadata database file (the application layer's; the engine never opens it).
    #[must_use]
    pub fn meta_db(&self) -> PathBuf {
        self.root.join("meta.sqlite")
    }

    /// Path, relative to the root (as the manifest lists it), of the Parquet file of one
    /// import run's rows of one month.
    #[must_use]
    pub fn records_rel(kind: &str, month: &str, run: &RunId) -> String {
        format!("records/{kind}/{month}/{run}.parquet")
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
    pub fn run_scratch(&self, kind: &str, run: &RunId) -> PathBuf {
        self.scratch_root()
            .join(format!("import-{kind}-{run}-p{}", std::process::id()))
    }

    /// The directory of the import runs' temporary directories.
    #[must_use]
    pub fn scratch_root(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Quarantine file of one import run.
    #[must_use]
    pub fn quarantine_run(&self, kind: &str, run: &RunId) -> PathBuf {
        self.root
            .join("quarantine")
            .join(format!("{kind}-{run}.csv"))
    }

    /// Quarantine file of an import run whose file `--strict` rejected: it names what to
    /// fix, and its name says that nothing of the file was stored.
    #[must_use]
    pub fn quarantine_rejected(&self, kind: &str, run: &RunId) -> PathBuf {
        self.root
            .join("quarantine")
            .join(format!("rejected-{kind}-{run}.csv"))
    }
}

/// The key index kept beside a stored Parquet file.
#[must_use]
pub fn key_index_path(parquet: &Path) -> PathBuf {
    parquet.with_extension("keys")
}

/// The name of one import run: `r<unix milliseconds, hex>-<64 random bits, hex>`.
///
/// The random part comes from the standard library's randomly keyed hasher (keyed
/// afresh by the operating system for each process), fed with the process id, the
/// clock in nanoseconds and a counter of the runs of this process: two runs, in one
/// process or in two, share a name with a chance of about 2^-64 even in the same
/// millisecond.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RunId {
    ms: u64,
    random: u64,
}

impl RunId {
    /// A new run name.
    #[must_use]
    pub fn new() -> RunId {
        static RUNS: AtomicU64 = AtomicU64::new(0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let random = std::collections::hash_map::RandomState::new().hash_one((
            std::process::id(),
            now.as_nanos(),
            RUNS.fetch_add(1, Ordering::Relaxed),
            std::thread::current().id(),
        ));
        RunId {
            ms: u64::try_from(now.as_millis()).unwrap_or(u64::MAX),
            random,
        }
    }
}

impl RunId {
    /// The random part: tells this run's temporary names apart from another's.
    #[must_use]
    pub fn tag(&self) -> u64 {
        self.random
    }
}

impl Default for RunId {
    fn default() -> RunId {
        RunId::new()
    }
}

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "r{:x}-{:016x}", self.ms, self.random)
    }
}

/// What a file Yardstick writes under a data directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Rows of one run and month (`records/<kind>/<YYYY-MM>/….parquet`); committed when
    /// the manifest lists it.
    Records,
    /// The key index beside a records file (`….keys`).
    KeyIndex,
    /// A records file or key index being written (`….tmp`): never read.
    Partial,
    /// A quarantine file (`quarantine/….csv`), kept for the user.
    Quarantine,
    /// An import run's temporary directory or a file in it (`tmp/import-…`).
    Scratch,
}

/// Whether `rel`, a path relative to the data directory, is one Yardstick writes, and
/// what it is; `None` for anything else, which Yardstick must leave alone.
///
/// The names recognised are exactly those this version and earlier ones write (see the
/// module doc): a file of the right shape in the right place. The application sweeps
/// files of killed runs with it (those of [`Written::Records`], [`Written::KeyIndex`]
/// and [`Written::Partial`] that no manifest row lists, and scratch directories whose
/// process is gone), and never touches a file it returns `None` for.
#[must_use]
pub fn written(rel: &Path) -> Option<Written> {
    let parts: Vec<&str> = rel
        .components()
        .map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        ["records", kind, month, name] if is_kind(kind) && is_month(month) => records_name(name),
        ["quarantine", name] => quarantine_name(name).then_some(Written::Quarantine),
        ["tmp", dir, ..] if scratch_dir_name(dir) => Some(Written::Scratch),
        _ => None,
    }
}

fn is_kind(s: &str) -> bool {
    RecordKind::parse(s).is_some()
}

/// `YYYY-MM`.
fn is_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[5..].iter().all(u8::is_ascii_digit)
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `r<hex>-<hex>`: a [`RunId`].
fn is_run(s: &str) -> bool {
    s.strip_prefix('r')
        .and_then(|s| s.split_once('-'))
        .is_some_and(|(ms, random)| is_hex(ms) && is_hex(random))
}

/// `b<batch>-<part>`: the file stem of earlier versions.
fn is_batch_part(s: &str) -> bool {
    s.strip_prefix('b')
        .and_then(|s| s.split_once('-'))
        .is_some_and(|(batch, part)| is_digits(batch) && is_digits(part))
}

/// A name under `records/<kind>/<month>/`: a run's stem (this version's or an earlier
/// one's) with `.parquet` or `.keys`, or one of their temporary names (`.parquet.tmp`,
/// `.keys.tmp`, `.keys.<hex>.tmp`).
fn records_name(name: &str) -> Option<Written> {
    let (stem, ext) = name.split_once('.')?;
    if !(is_run(stem) || is_batch_part(stem)) {
        return None;
    }
    match ext {
        "parquet" => Some(Written::Records),
        "keys" => Some(Written::KeyIndex),
        "parquet.tmp" | "keys.tmp" => Some(Written::Partial),
        _ => ext
            .strip_prefix("keys.")
            .and_then(|e| e.strip_suffix(".tmp"))
            .filter(|tag| is_hex(tag))
            .map(|_| Written::Partial),
    }
}

/// `<kind>-<run>.csv`, `rejected-<kind>-<run>.csv`, or earlier versions'
/// `b<batch>-<kind>.csv` and `b<batch>-<kind>-<8 hex>.csv`.
fn quarantine_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".csv") else {
        return false;
    };
    let stem = stem.strip_prefix("rejected-").unwrap_or(stem);
    let kind_then_run = |s: &str| {
        RecordKind::ALL.iter().any(|k| {
            s.strip_prefix(k.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(is_run)
        })
    };
    if kind_then_run(stem) {
        return true;
    }
    let Some((batch, rest)) = name
        .strip_suffix(".csv")
        .and_then(|s| s.strip_prefix('b'))
        .and_then(|s| s.split_once('-'))
    else {
        return false;
    };
    is_digits(batch)
        && RecordKind::ALL.iter().any(|k| {
            rest.strip_prefix(k.as_str())
                .is_some_and(|tail| tail.is_empty() || tail.strip_prefix('-').is_some_and(is_hex))
        })
}

/// `import-…-p<pid>`: an import run's temporary directory (this version's or an earlier
/// one's).
fn scratch_dir_name(name: &str) -> bool {
    name.strip_prefix("import-")
        .and_then(|n| n.rsplit_once("-p"))
        .is_some_and(|(_, pid)| is_digits(pid))
}

/// The id of the process that owns an import run's temporary directory.
#[must_use]
pub fn scratch_owner(dir_name: &str) -> Option<u32> {
    if !scratch_dir_name(dir_name) {
        return None;
    }
    dir_name.rsplit_once("-p")?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_names_differ_and_have_their_shape() {
        let a = RunId::new();
        let b = RunId::new();
        assert_ne!(a, b);
        let name = a.to_string();
        assert!(is_run(&name), "{name}");
        // 16 hex digits of randomness after the dash.
        assert_eq!(name.rsplit_once('-').map(|(_, r)| r.len()), Some(16));
    }

    #[test]
    fn what_yardstick_writes_is_recognised_and_nothing_else() {
        let dir = DataDir::new("/d");
        let run = RunId::new();
        let rel = DataDir::records_rel("contact", "2026-10", &run);
        let q = dir.quarantine_run("contact", &run);
        let rejected = dir.quarantine_rejected("hall_ticket", &run);
        let scratch = dir.run_scratch("contact", &run);
        let strip = |p: &Path| p.strip_prefix("/d").expect("under the root").to_path_buf();
        let keys = key_index_path(Path::new(&rel));
        let cases: Vec<(PathBuf, Option<Written>)> = vec![
            (PathBuf::from(&rel), Some(Written::Records)),
            (keys.clone(), Some(Written::KeyIndex)),
            (keys.with_extension("keys.tmp"), Some(Written::Partial)),
            (
                PathBuf::from(&rel).with_extension("parquet.tmp"),
                Some(Written::Partial),
            ),
            (strip(&q), Some(Written::Quarantine)),
            (strip(&rejected), Some(Written::Quarantine)),
            (strip(&scratch), Some(Written::Scratch)),
            (strip(&scratch.join("keys-1.run")), Some(Written::Scratch)),
            // Earlier versions' names.
            (
                "records/hall_ticket/2026-10/b3-123456.parquet".into(),
                Some(Written::Records),
            ),
            (
                "records/hall_ticket/2026-10/b3-123456.keys".into(),
                Some(Written::KeyIndex),
            ),
            (
                "records/hall_ticket/2026-10/b3-123456.keys.0000abcd.tmp".into(),
                Some(Written::Partial),
            ),
            (
                "quarantine/b3-hall_ticket-0000abcd.csv".into(),
                Some(Written::Quarantine),
            ),
            (
                "quarantine/b3-hall_ticket.csv".into(),
                Some(Written::Quarantine),
            ),
            (
                "tmp/import-b3-hall_ticket-0000abcd-p77".into(),
                Some(Written::Scratch),
            ),
            // Not ours: other names, other places, other kinds, escapes.
            ("meta.sqlite".into(), None),
            ("records/hall_ticket/2026-10/notes.txt".into(), None),
            ("records/hall_ticket/2026-10/mine.parquet".into(), None),
            ("records/ticket/2026-10/b3-1.parquet".into(), None),
            ("records/hall_ticket/latest/b3-1.parquet".into(), None),
            ("records/hall_ticket/2026-10/sub/b3-1.parquet".into(), None),
            ("records/hall_ticket/2026-10/b3-1.parquet.bak".into(), None),
            ("quarantine/my-notes.csv".into(), None),
            ("quarantine/hall_ticket-export.csv".into(), None),
            ("quarantine/sub/hall_ticket-r1-2.csv".into(), None),
            ("tmp/other".into(), None),
            ("tmp/import-x".into(), None),
            ("../records/hall_ticket/2026-10/b3-1.parquet".into(), None),
            ("/records/hall_ticket/2026-10/b3-1.parquet".into(), None),
        ];
        for (path, want) in cases {
            assert_eq!(written(&path), want, "{}", path.display());
        }
    }

    #[test]
    fn a_scratch_directory_names_its_process() {
        assert_eq!(
            scratch_owner("import-contact-r18f-00000000000000ab-p4242"),
            Some(4242)
        );
        assert_eq!(scratch_owner("import-b1-hall_ticket-0000abcd-p7"), Some(7));
        assert_eq!(scratch_owner("import-x"), None);
        assert_eq!(scratch_owner("other-p7"), None);
    }
}
