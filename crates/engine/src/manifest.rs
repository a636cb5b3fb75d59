//! What the engine knows of the committed batches, as values: the manifest of each
//! record kind (its files, the days `--replace` batches took over, the content hashes),
//! which the application reads from the metadata database and hands in. The engine never
//! reads the database itself, and only ever reads files the manifest lists.
//!
//! Before a listed Parquet file is read, it is checked against its manifest row
//! ([`StoredFile::open_checked`], [`StoredFile::check_footer`]): its size (when the row
//! has one), the row count in its footer and the path its writer recorded there (so a
//! file swapped with another of the same size and rows is found too). A file that is
//! missing, or differs, is an
//! error naming the file, its batch and what differs ([`Damage`]), never a figure. These
//! checks cost a `stat` and the footer the reader parses anyway; [`file_sha256`] hashes
//! a whole file, for a deliberate check (`yardstick verify`), never on a read path.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::Path;

use parquet::file::metadata::{FileMetaData, ParquetMetaDataReader};
use sha2::{Digest, Sha256};
use yardstick_core::records::RecordKind;

use crate::layout::DataDir;

/// A committed Parquet file as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The batch that committed it.
    pub batch: i64,
    /// Path relative to the data directory.
    pub path: String,
    /// Local month of its rows, `YYYY-MM`.
    pub month: String,
    /// Rows in it.
    pub rows: u64,
    /// Its size in bytes; 0 when unknown (batches of earlier versions): not checked.
    pub bytes: u64,
}

/// What the engine must know of the committed batches of one record kind.
#[derive(Default, Clone, Debug)]
pub struct KindManifest {
    /// Files of the committed batches, oldest batch first, then by path.
    pub files: Vec<StoredFile>,
    /// (site, local day `YYYY-MM-DD`) → the latest `--replace` batch covering it: rows
    /// of earlier batches on that site and day are superseded.
    pub replaced: BTreeMap<(String, String), i64>,
    /// Content SHA-256 (hex) of each committed batch's file → the batch.
    pub hashes: HashMap<String, i64>,
}

/// The manifest of every kind an evaluation reads; a kind missing has nothing stored.
#[derive(Default, Clone, Debug)]
pub struct Manifest {
    /// Per record kind.
    pub kinds: BTreeMap<RecordKind, KindManifest>,
}

impl Manifest {
    /// The manifest of `kind` (empty when nothing of it is stored).
    #[must_use]
    pub fn kind(&self, kind: RecordKind) -> &KindManifest {
        static EMPTY: std::sync::OnceLock<KindManifest> = std::sync::OnceLock::new();
        self.kinds
            .get(&kind)
            .unwrap_or_else(|| EMPTY.get_or_init(KindManifest::default))
    }
}

/// The key of the footer entry (Parquet key-value metadata) in which the writer records
/// the file's path relative to the data directory, for [`StoredFile::check_footer`].
pub const FOOTER_PATH: &str = "yardstick.path";

/// A stored file that is not what its manifest row says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The file, as the manifest lists it (relative to the data directory).
    pub path: String,
    /// The batch that committed it.
    pub batch: i64,
    /// What differs.
    pub problem: String,
}

impl StoredFile {
    /// Opens the file and checks its size against the manifest's (when known).
    ///
    /// # Errors
    /// A missing or unreadable file, or one of another size.
    pub fn open_checked(&self, dir: &DataDir) -> Result<File, Damage> {
        let path = dir.abs(&self.path);
        let file = File::open(&path).map_err(|e| {
            self.damage(if e.kind() == std::io::ErrorKind::NotFound {
                "the file is missing".to_string()
            } else {
                format!("the file cannot be opened: {e}")
            })
        })?;
        let size = file
            .metadata()
            .map_err(|e| self.damage(format!("the file's size cannot be read: {e}")))?
            .len();
        if self.bytes != 0 && size != self.bytes {
            return Err(self.damage(format!(
                "{size} bytes, but the manifest says {}",
                self.bytes
            )));
        }
        Ok(file)
    }

    /// Checks the row count of the file's footer against the manifest's.
    ///
    /// # Errors
    /// Another count.
    pub fn check_rows(&self, footer_rows: i64) -> Result<(), Damage> {
        if u64::try_from(footer_rows).ok() == Some(self.rows) {
            return Ok(());
        }
        Err(self.damage(format!(
            "{footer_rows} rows in its footer, but the manifest says {}",
            self.rows
        )))
    }

    /// Checks the file's footer against the manifest row: its row count, and the path
    /// the writer recorded in it ([`FOOTER_PATH`]), so that another file put in this
    /// one's place is found even with the same size and row count (another month of the
    /// same batch, another run's file). Files of earlier versions record no path: only
    /// their rows are checked.
    ///
    /// # Errors
    /// Another count, or another file's path.
    pub fn check_footer(&self, meta: &FileMetaData) -> Result<(), Damage> {
        self.check_rows(meta.num_rows())?;
        let recorded = meta
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|e| e.key == FOOTER_PATH))
            .and_then(|e| e.value.as_deref());
        match recorded {
            Some(p) if p != self.path => Err(self.damage(format!(
                "its footer says it was written as {p}: another file is in its place"
            ))),
            _ => Ok(()),
        }
    }

    /// Opens the file, reads its footer and checks both against the manifest: for a
    /// reader that needs no more than the check (the duplicate-id check, which reads
    /// the key index beside the file).
    ///
    /// # Errors
    /// As [`StoredFile::open_checked`] and [`StoredFile::check_footer`], and a footer
    /// that cannot be read.
    pub fn verify(&self, dir: &DataDir) -> Result<(), Damage> {
        let file = self.open_checked(dir)?;
        let meta = ParquetMetaDataReader::new()
            .parse_and_finish(&file)
            .map_err(|e| self.damage(format!("its footer cannot be read: {e}")))?;
        self.check_footer(meta.file_metadata())
    }

    fn damage(&self, problem: String) -> Damage {
        Damage {
            path: self.path.clone(),
            batch: self.batch,
            problem,
        }
    }
}

/// The SHA-256 (lower-case hex) of a file's bytes, read in blocks.
///
/// # Errors
/// When the file cannot be read.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 1 << 16];
    let mut h = Sha256::new();
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// Lower-case hex of some bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_texts() {
        // FIPS 180-2 test vectors: "abc", and the empty input.
        let tmp = tempfile::tempdir().expect("temp dir");
        let p = tmp.path().join("abc");
        std::fs::write(&p, "abc").expect("written");
        assert_eq!(
            file_sha256(&p).expect("hashed"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        std::fs::write(&p, "").expect("written");
        assert_eq!(
            file_sha256(&p).expect("hashed"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // Many blocks of 64 KiB: the FIPS vector of one million "a".
        std::fs::write(&p, "a".repeat(1_000_000)).expect("written");
        assert_eq!(
            file_sha256(&p).expect("hashed"),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn a_file_of_another_size_or_missing_is_damage_naming_file_and_batch() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = DataDir::new(tmp.path());
        std::fs::write(dir.abs("f.parquet"), [0u8; 10]).expect("written");
        let f = |bytes| StoredFile {
            batch: 7,
            path: "f.parquet".into(),
            month: "2026-10".into(),
            rows: 3,
            bytes,
        };
        assert!(f(10).open_checked(&dir).is_ok());
        // Unknown size (0): not checked.
        assert!(f(0).open_checked(&dir).is_ok());
        let e = f(11).open_checked(&dir).expect_err("size differs");
        assert_eq!(
            e,
            Damage {
                path: "f.parquet".into(),
                batch: 7,
                problem: "10 bytes, but the manifest says 11".into()
            }
        );
        let mut gone = f(10);
        gone.path = "g.parquet".into();
        let e = gone.open_checked(&dir).expect_err("missing");
        assert_eq!((e.batch, e.problem.as_str()), (7, "the file is missing"));
        assert!(f(10).check_rows(3).is_ok());
        let e = f(10).check_rows(4).expect_err("rows differ");
        assert_eq!(e.problem, "4 rows in its footer, but the manifest says 3");
    }
}
