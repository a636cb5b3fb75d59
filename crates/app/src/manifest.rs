//! The manifest as the engine needs it: committed files, replaced days and content
//! hashes per record kind, read from the store as values (optionally as of a batch
//! watermark, to recompute a frozen evaluation from the records as they stood).

use yardstick_core::records::RecordKind;
use yardstick_engine::manifest::{KindManifest, Manifest, StoredFile};

use crate::error::Result;
use crate::workspace::Workspace;

impl Workspace {
    /// The manifest of one kind, of batches up to `upto` (all when `None`).
    pub(crate) async fn kind_manifest(
        &self,
        kind: RecordKind,
        upto: Option<i64>,
    ) -> Result<KindManifest> {
        let rows = self
            .store
            .manifest(kind.as_str(), upto)
            .await
            .map_err(|e| self.store_error(&e))?;
        Ok(KindManifest {
            files: rows
                .files
                .into_iter()
                .map(|f| StoredFile {
                    batch: f.batch_id,
                    path: f.path,
                    month: f.month,
                    rows: u64::try_from(f.rows).unwrap_or(0),
                    bytes: u64::try_from(f.bytes).unwrap_or(0),
                })
                .collect(),
            replaced: rows.replaced,
            hashes: rows.hashes,
        })
    }

    /// The manifest of every kind, up to `upto`.
    pub(crate) async fn manifest(&self, upto: Option<i64>) -> Result<Manifest> {
        let mut m = Manifest::default();
        for kind in RecordKind::ALL {
            let k = self.kind_manifest(kind, upto).await?;
            if !k.files.is_empty() {
                m.kinds.insert(kind, k);
            }
        }
        Ok(m)
    }
}
