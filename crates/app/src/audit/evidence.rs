//! Evidence files of audits (photos, PDFs, recordings): their type recognised from their
//! first bytes (not from their name), their size bounded, and their content stored once
//! under the data directory by its SHA-256 (`evidence/ab/abcdef…`), written to a
//! temporary name, synced and renamed, so a file is either whole or absent. Read back
//! only through the audit it belongs to, within the reader's scope.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::Utc;
use sha2::{Digest, Sha256};
use yardstick_store::{EvidenceRow, NewEvidence};

use crate::activity::Activity;
use crate::error::{Error, ErrorKind, Result};
use crate::scope::Actor;
use crate::workspace::Workspace;

/// The largest evidence file accepted: 20 MiB, a few minutes of recorded call or a
/// dozen-page scanned PDF; a tablet photo is 2–5 MiB.
pub const MAX_EVIDENCE_BYTES: usize = 20 * 1024 * 1024;

/// The folder of evidence files inside the data directory.
pub const EVIDENCE_DIR: &str = "evidence";

/// The media type of a file from its first bytes, when it is one evidence may be:
/// JPEG, PNG, WebP, HEIC photos; PDF; MP3, M4A/MP4, WAV, AMR recordings.
#[must_use]
pub fn media_type(bytes: &[u8]) -> Option<&'static str> {
    let at = |i: usize, s: &[u8]| bytes.get(i..i + s.len()) == Some(s);
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if at(0, b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        Some("image/webp")
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        Some("audio/wav")
    } else if at(0, b"%PDF-") {
        Some("application/pdf")
    } else if at(4, b"ftypheic") || at(4, b"ftypheix") || at(4, b"ftypmif1") {
        Some("image/heic")
    } else if at(4, b"ftypM4A ") {
        Some("audio/mp4")
    } else if at(4, b"ftyp") {
        Some("video/mp4")
    } else if at(0, b"ID3") || (bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        Some("audio/mpeg")
    } else if at(0, b"#!AMR") {
        Some("audio/amr")
    } else {
        None
    }
}

/// Where a content's file lives, relative to the data directory.
#[must_use]
pub fn evidence_rel(sha256: &str) -> String {
    format!(
        "{EVIDENCE_DIR}/{}/{sha256}",
        sha256.get(..2).unwrap_or("00")
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `bytes` at `path` unless a file is there already (same name, same content):
/// a temporary file beside it, synced, then renamed.
fn write_once(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.is_file() {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp: PathBuf = dir.join(format!(
        ".{}.tmp{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("evidence"),
        std::process::id()
    ));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}

impl Workspace {
    /// Attaches an evidence file to an audit (to one of its items, or to the audit as a
    /// whole): the assigned evaluator, while the audit is not signed.
    ///
    /// # Errors
    /// Not found; forbidden; a conflict once signed; an input error for a file of
    /// another type or too large.
    pub async fn attach_evidence(
        &self,
        actor: &Actor,
        audit_id: i64,
        item: Option<&str>,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<EvidenceRow> {
        let (row, _, _) = self
            .audit_step(actor, audit_id, &yardstick_core::audit::AuditStep::Answer)
            .await?;
        if bytes.len() > MAX_EVIDENCE_BYTES {
            return Err(Error::input("error.evidence.too_large")
                .arg("name", file_name)
                .arg("bytes", bytes.len())
                .arg("max", MAX_EVIDENCE_BYTES));
        }
        let Some(media) = media_type(bytes) else {
            return Err(Error::input("error.evidence.type").arg("name", file_name));
        };
        if let Some(item) = item {
            let g = self.stored_guideline(&row.guideline_fingerprint).await?;
            let org = self.require_org().await?;
            let scene = org.site(&row.site).map(|s| s.scene);
            if scene
                .and_then(|s| yardstick_core::audit::checklist_item(&g, s, item))
                .is_none()
            {
                return Err(Error::input("error.audit.item_unknown")
                    .arg("item", item)
                    .arg("site", &row.site));
            }
        }
        let sha = sha256_hex(bytes);
        let path = self.dir.root().join(evidence_rel(&sha));
        let content = bytes.to_vec();
        let target = path.clone();
        tokio::task::spawn_blocking(move || write_once(&target, &content))
            .await
            .map_err(|e| Error::internal("error.internal.task").detail(e.to_string()))?
            .map_err(|e| crate::io_error("error.io.write", &path, &e))?;
        let new = NewEvidence {
            audit_id,
            item_id: item.map(str::to_string),
            sha256: sha.clone(),
            media_type: media.to_string(),
            bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            file_name: file_name.to_string(),
            added_by: actor.login().map(str::to_string),
        };
        let id = self
            .store
            .add_evidence(&new, Utc::now())
            .await
            .map_err(|e| crate::audit::state_error(&e))?;
        self.log(
            actor,
            Activity::new("audit.evidence")
                .object(&audit_id.to_string())
                .detail(serde_json::json!({ "item": item, "sha256": sha, "media_type": media, "bytes": bytes.len() })),
        )
        .await?;
        let rows = self
            .store
            .evidence(audit_id)
            .await
            .map_err(|e| crate::store_error(&e))?;
        rows.into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| Error::internal("error.store").detail("evidence row not read back"))
    }

    /// An evidence file's row and content, for a reader of its audit.
    ///
    /// # Errors
    /// Not found (also outside the reader's scope); damaged when the file is missing or
    /// its content no longer matches its hash.
    pub async fn evidence_file(
        &self,
        actor: &Actor,
        audit_id: i64,
        evidence_id: i64,
    ) -> Result<(EvidenceRow, Vec<u8>)> {
        self.audit_row_for(actor, audit_id).await?;
        let row = self
            .store
            .evidence(audit_id)
            .await
            .map_err(|e| crate::store_error(&e))?
            .into_iter()
            .find(|r| r.id == evidence_id)
            .ok_or_else(|| Error::not_found("error.evidence.not_found").arg("id", evidence_id))?;
        let path = self.dir.root().join(evidence_rel(&row.sha256));
        let bytes =
            std::fs::read(&path).map_err(|e| crate::io_error("error.io.read", &path, &e))?;
        if sha256_hex(&bytes) != row.sha256 {
            return Err(Error::new(ErrorKind::Damaged, "error.evidence.damaged")
                .arg("path", path.display()));
        }
        Ok((row, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_recognised_by_their_first_bytes() {
        assert_eq!(media_type(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(media_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(media_type(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(media_type(b"RIFF\0\0\0\0WAVEfmt "), Some("audio/wav"));
        assert_eq!(media_type(b"\0\0\0\x18ftypheic"), Some("image/heic"));
        // A text file named photo.jpg is not a photo.
        assert_eq!(media_type(b"hello, world"), None);
        assert_eq!(media_type(b""), None);
        assert_eq!(evidence_rel("ab12"), "evidence/ab/ab12");
    }
}
