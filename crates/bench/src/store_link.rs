//! The link between the engine, which knows no database, and the metadata store, as the
//! command line makes it until the application layer takes it over: manifests read from
//! the store, and a prepared batch committed through it.
//!
//! The store keeps no file sizes yet: files are listed with size 0 (not checked); their
//! row counts are.

use chrono::{DateTime, Utc};
use yardstick_core::records::RecordKind;
use yardstick_engine::import::{ImportReport, PreparedBatch};
use yardstick_engine::manifest::{KindManifest, Manifest, StoredFile};
use yardstick_store::{NewBatch, Store, StoreError};

/// The manifest of one kind.
///
/// # Errors
/// On a store failure.
pub async fn kind_manifest(store: &Store, kind: RecordKind) -> Result<KindManifest, StoreError> {
    let mut m = kind_manifest_without_hashes(store, kind).await?;
    m.hashes = store.content_hashes(kind.as_str()).await?;
    Ok(m)
}

/// The files and replaced days of one kind.
async fn kind_manifest_without_hashes(
    store: &Store,
    kind: RecordKind,
) -> Result<KindManifest, StoreError> {
    let files = store
        .files(kind.as_str())
        .await?
        .into_iter()
        .map(|f| StoredFile {
            batch: f.batch_id,
            path: f.path,
            month: f.month,
            rows: u64::try_from(f.rows).unwrap_or(0),
            bytes: 0,
        })
        .collect();
    Ok(KindManifest {
        files,
        replaced: store.replaced(kind.as_str()).await?,
        hashes: std::collections::HashMap::new(),
    })
}

/// The manifest of every kind, for an evaluation: files and replaced days (an
/// evaluation needs no content hashes, which stay empty).
///
/// # Errors
/// On a store failure.
pub async fn manifest(store: &Store) -> Result<Manifest, StoreError> {
    let mut m = Manifest::default();
    for kind in RecordKind::ALL {
        m.kinds
            .insert(kind, kind_manifest_without_hashes(store, kind).await?);
    }
    Ok(m)
}

/// Commits a prepared batch under the next batch id. When the commit fails the batch is
/// dropped, which removes its files.
///
/// # Errors
/// On a store failure (a concurrent import that took the id, among others).
pub async fn commit(
    store: &Store,
    kind: RecordKind,
    replace: bool,
    prepared: PreparedBatch,
    now: DateTime<Utc>,
) -> Result<ImportReport, StoreError> {
    let id = store.next_batch_id().await?;
    let r = &prepared.report;
    let new = NewBatch {
        kind: kind.as_str().to_string(),
        file_name: r.file.clone(),
        content_hash: prepared.content_hash.clone(),
        replace,
        rows_read: r.rows_read,
        rows_stored: r.rows_stored,
        rows_quarantined: r.rows_quarantined,
        duplicates: r.duplicates,
        report_json: serde_json::to_string(&prepared.report_as(id))?,
        files: prepared
            .files
            .iter()
            .map(|f| (f.path.clone(), f.month.clone(), f.rows))
            .collect(),
        coverage: prepared.coverage.clone(),
    };
    store.commit_batch(id, &new, now).await?;
    Ok(prepared.committed(id))
}
