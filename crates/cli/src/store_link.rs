//! The link between the engine, which knows no database, and the metadata store, until
//! the application layer takes it over: manifests read from the store, a prepared batch
//! committed through it, and the report of a file stored already.
//!
//! The store keeps no file sizes yet: files are listed with size 0 (not checked); their
//! row counts are.

use chrono::{DateTime, Utc};
use yardstick_core::records::RecordKind;
use yardstick_engine::import::{ImportReport, ImportStatus, PreparedBatch};
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

/// Commits a prepared batch under the next batch id. When the commit surely failed the
/// batch is dropped, which removes its files; a commit whose answer was lost but which
/// did commit keeps them, and so does one whose outcome cannot be told.
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
    if let Err(e) = store.commit_batch(id, &new, now).await {
        let ours = |f: &yardstick_store::FileEntry| {
            f.batch_id == id && prepared.files.iter().any(|p| p.path == f.path)
        };
        return match store.files(kind.as_str()).await {
            Ok(files) if files.iter().any(ours) => Ok(prepared.committed(id)),
            Ok(_) => Err(e),
            Err(_) => {
                prepared.leave_files();
                Err(e)
            }
        };
    }
    Ok(prepared.committed(id))
}

/// The report of a file whose exact content is stored already as `batch`: that batch's
/// accounting, and nothing new.
///
/// # Errors
/// On a store failure.
pub async fn already_imported(
    store: &Store,
    kind: RecordKind,
    file: &str,
    batch: i64,
) -> Result<ImportReport, StoreError> {
    let info = store.batch(batch).await?;
    let n = |x: Option<i64>| x.and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
    Ok(ImportReport {
        kind: kind.as_str().to_string(),
        file: file.to_string(),
        status: ImportStatus::AlreadyImported(batch),
        batch: Some(batch),
        rows_read: n(info.as_ref().map(|i| i.rows_read)),
        rows_stored: n(info.as_ref().map(|i| i.rows_stored)),
        rows_quarantined: n(info.as_ref().map(|i| i.rows_quarantined)),
        rows_not_stored: 0,
        rows_superseded: 0,
        duplicates: n(info.as_ref().map(|i| i.duplicates)),
        reasons: std::collections::BTreeMap::new(),
        quarantine_file: None,
        ignored_columns: Vec::new(),
        files: Vec::new(),
    })
}
