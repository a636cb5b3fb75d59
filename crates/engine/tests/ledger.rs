//! Test support: committed batches kept in memory, standing in for the metadata
//! database, which the engine's tests may not use (the engine knows no database). The
//! engine's integration tests include this file with `#[path]`, and so do the crate's own
//! import tests (the crate names itself `yardstick_engine` under `cfg(test)`). Built
//! alone as a test target, it has no tests.
//!
//! It builds manifests exactly as the database answers them: batch ids one more than
//! the largest so far, files by batch then path, for each (site, day) the latest
//! `--replace` batch covering it, content hashes by kind; and it refuses what the
//! database refuses (a content hash committed twice for a kind, a report whose counts do
//! not add up).

#![allow(
    dead_code,
    reason = "included as a module; each test uses a part, built alone nothing calls it"
)]

use std::collections::BTreeMap;

use yardstick_core::records::RecordKind;
use yardstick_engine::import::{ImportError, ImportReport, ImportStatus, Imported, NewFile};
use yardstick_engine::manifest::{KindManifest, Manifest, StoredFile};

/// A committed batch.
#[derive(Debug, Clone)]
pub struct Batch {
    pub id: i64,
    pub kind: RecordKind,
    pub replace: bool,
    pub content_hash: String,
    /// The report as committed.
    pub report: ImportReport,
    pub files: Vec<NewFile>,
    pub coverage: Vec<(String, String)>,
}

/// Committed batches, oldest first.
#[derive(Debug, Default)]
pub struct Ledger {
    batches: Vec<Batch>,
}

impl Ledger {
    /// Commits a prepared batch (`Ready`) as the database would, and confirms it to the
    /// batch; returns the committed report.
    ///
    /// # Panics
    /// When the database would refuse the batch.
    pub fn commit(
        &mut self,
        kind: RecordKind,
        replace: bool,
        prepared: yardstick_engine::import::PreparedBatch,
    ) -> ImportReport {
        let id = self.batches.iter().map(|b| b.id).max().unwrap_or(0) + 1;
        assert!(
            !self
                .batches
                .iter()
                .any(|b| b.kind == kind && b.content_hash == prepared.content_hash),
            "the database refuses a content hash committed twice"
        );
        let r = &prepared.report;
        assert_eq!(
            r.rows_stored + r.rows_quarantined + r.rows_not_stored,
            r.rows_read,
            "the database refuses a batch whose counts do not add up: {r:?}"
        );
        assert_eq!(
            prepared.files.iter().map(|f| f.rows).sum::<u64>(),
            r.rows_stored,
            "the files hold the rows stored"
        );
        let batch = Batch {
            id,
            kind,
            replace,
            content_hash: prepared.content_hash.clone(),
            report: prepared.report_as(id),
            files: prepared.files.clone(),
            coverage: prepared.coverage.clone(),
        };
        self.batches.push(batch);
        prepared.committed(id)
    }

    /// Runs an import against this ledger's manifest of `kind` and settles its outcome
    /// as the application does: a prepared batch is committed; a file stored already is
    /// reported with the earlier batch's counts (status `AlreadyImported`, nothing new);
    /// a rejected file's report is returned as it is.
    ///
    /// # Errors
    /// The import's.
    pub fn settle(
        &mut self,
        kind: RecordKind,
        replace: bool,
        import: impl FnOnce(&KindManifest) -> Result<Imported, ImportError>,
    ) -> Result<ImportReport, ImportError> {
        let manifest = self.kind(kind);
        Ok(match import(&manifest)? {
            Imported::Ready(prepared) => self.commit(kind, replace, prepared),
            Imported::AlreadyStored { batch } => {
                let earlier = self.batch(batch).expect("the batch named is committed");
                ImportReport {
                    status: ImportStatus::AlreadyImported(batch),
                    batch: Some(batch),
                    reasons: BTreeMap::new(),
                    quarantine_file: None,
                    ignored_columns: Vec::new(),
                    files: Vec::new(),
                    ..earlier.report.clone()
                }
            }
            Imported::Rejected(report) => report,
        })
    }

    /// The manifest of one kind, as the database gives it.
    #[must_use]
    pub fn kind(&self, kind: RecordKind) -> KindManifest {
        let mut m = KindManifest::default();
        for b in self.batches.iter().filter(|b| b.kind == kind) {
            m.hashes.insert(b.content_hash.clone(), b.id);
            for f in &b.files {
                m.files.push(StoredFile {
                    batch: b.id,
                    path: f.path.clone(),
                    month: f.month.clone(),
                    rows: f.rows,
                    bytes: f.bytes,
                });
            }
            if b.replace {
                for (site, day) in &b.coverage {
                    let latest = m
                        .replaced
                        .entry((site.clone(), day.clone()))
                        .or_insert(b.id);
                    *latest = (*latest).max(b.id);
                }
            }
        }
        m.files
            .sort_by(|a, b| (a.batch, &a.path).cmp(&(b.batch, &b.path)));
        m
    }

    /// The manifest of every kind.
    #[must_use]
    pub fn manifest(&self) -> Manifest {
        let mut m = Manifest::default();
        for kind in RecordKind::ALL {
            let k = self.kind(kind);
            if !k.files.is_empty() || !k.hashes.is_empty() {
                m.kinds.insert(kind, k);
            }
        }
        m
    }

    /// Every committed batch, oldest first.
    #[must_use]
    pub fn batches(&self) -> &[Batch] {
        &self.batches
    }

    /// One committed batch.
    #[must_use]
    pub fn batch(&self, id: i64) -> Option<&Batch> {
        self.batches.iter().find(|b| b.id == id)
    }
}
