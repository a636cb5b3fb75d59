//! What a reader browses besides evaluations: the organisation and its sites in scope,
//! the guideline in force, committed batches and their quarantine files; and what the
//! server needs of the workspace itself: a place to stage an upload, and whether the
//! workspace is ready (database reachable, data directory writable).

use std::path::PathBuf;

use serde::Serialize;
use yardstick_core::guideline::Guideline;
use yardstick_core::org::{Node, Organisation, Site};
use yardstick_store::BatchInfo;

use crate::activity::ActivityQuery;
use crate::error::{Error, Result};
use crate::scope::{Actor, Visible};
use crate::workspace::Workspace;

/// The part of the organisation a reader sees.
#[derive(Debug, Clone, Serialize)]
pub struct OrgView {
    /// Nodes in scope, operator first.
    pub nodes: Vec<Node>,
    /// Sites in scope, in file order.
    pub sites: Vec<Site>,
}

/// The guideline in force.
#[derive(Debug, Clone, Serialize)]
pub struct GuidelineInForce {
    /// Fingerprint.
    pub fingerprint: String,
    /// The guideline (the built-in one, parsed once per process).
    pub guideline: &'static Guideline,
}

/// A file staged for an import, removed when dropped.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
}

impl Staged {
    /// Where it is.
    #[must_use]
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Workspace {
    /// The nodes and sites a reader sees.
    ///
    /// # Errors
    /// An input error when no organisation is loaded.
    pub async fn org_in_scope(&self, actor: &Actor) -> Result<OrgView> {
        let org = self.require_org().await?;
        let v = actor.visible(&org);
        Ok(cut(org, &v))
    }

    /// One site, when the reader sees it.
    ///
    /// # Errors
    /// Not found (also for a site outside the reader's scope).
    pub async fn site_in_scope(&self, actor: &Actor, id: &str) -> Result<Site> {
        let (org, _) = self.current_org_arc().await?;
        if !actor.visible(&org).site(id) {
            return Err(Error::not_found("error.site.unknown").arg("site", id));
        }
        org.site(id)
            .cloned()
            .ok_or_else(|| Error::not_found("error.site.unknown").arg("site", id))
    }

    /// The guideline evaluations are computed under (the built-in one today).
    ///
    /// # Errors
    /// An internal error if the built-in guideline does not load.
    pub async fn guideline_in_force(&self, _actor: &Actor) -> Result<GuidelineInForce> {
        Ok(GuidelineInForce {
            fingerprint: crate::evaluate::builtin_fingerprint()?.to_string(),
            guideline: crate::evaluate::builtin_guideline()?,
        })
    }

    /// Committed batches, oldest first: for those who import records (admins, quality
    /// and site managers).
    ///
    /// # Errors
    /// Forbidden for roles that import nothing.
    pub async fn batches_for(&self, actor: &Actor) -> Result<Vec<BatchInfo>> {
        actor.require_write_records()?;
        self.store
            .batches()
            .await
            .map_err(|e| crate::store_error(&e))
    }

    /// The quarantine file of a batch (CSV: line, reasons, original row). It holds rows
    /// as they were sent, whatever their site: an admin reads any, others only those of
    /// batches they imported themselves.
    ///
    /// # Errors
    /// Not found for an unknown batch, a batch without quarantined rows, or one the
    /// reader may not read.
    pub async fn quarantine_of(&self, actor: &Actor, batch: i64) -> Result<Vec<u8>> {
        let not_found = || Error::not_found("error.batch.unknown").arg("batch", batch);
        let info = self
            .store
            .batch(batch)
            .await
            .map_err(|e| crate::store_error(&e))?
            .ok_or_else(not_found)?;
        if actor.require_admin().is_err() && !self.imported_by(actor, batch).await? {
            return Err(not_found());
        }
        let rel = info.quarantine_path.ok_or_else(not_found)?;
        let path = self.dir.abs(&rel);
        std::fs::read(&path).map_err(|e| crate::io_error("error.io.read", &path, &e))
    }

    /// Whether the activity log says `actor` imported `batch`.
    async fn imported_by(&self, actor: &Actor, batch: i64) -> Result<bool> {
        let Some(login) = actor.login() else {
            return Ok(false);
        };
        let mut before = None;
        // Newest first, a page at a time; bounded by the log's length.
        loop {
            let page = self
                .activity(
                    &Actor::System,
                    &ActivityQuery {
                        actor: Some(login.to_string()),
                        action_prefix: Some("ingest".to_string()),
                        before_id: before,
                        limit: Some(1000),
                        ..ActivityQuery::default()
                    },
                )
                .await?;
            if page
                .iter()
                .any(|e| e.detail.get("batch").and_then(serde_json::Value::as_i64) == Some(batch))
            {
                return Ok(true);
            }
            match page.last() {
                Some(last) if page.len() == 1000 => before = Some(last.id),
                _ => return Ok(false),
            }
        }
    }

    /// A new file in the data directory's scratch folder for an upload to be imported
    /// from, with the extension that tells its format (`csv`, `jsonl`); removed when the
    /// returned guard is dropped.
    ///
    /// # Errors
    /// I/O failures creating the scratch folder.
    pub fn stage_upload(&self, ext: &str) -> Result<Staged> {
        let dir = self.dir.scratch_root();
        std::fs::create_dir_all(&dir)
            .map_err(|e| crate::io_error("error.io.create_dir", &dir, &e))?;
        let mut id = [0u8; 12];
        getrandom::fill(&mut id)
            .map_err(|e| Error::internal("error.internal.random").detail(e.to_string()))?;
        let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Staged {
            path: dir.join(format!("upload-{hex}.{ext}")),
        })
    }

    /// Whether the workspace can serve: the database answers and the data directory
    /// takes a write.
    ///
    /// # Errors
    /// The first thing that fails.
    pub async fn ready(&self) -> Result<()> {
        self.store
            .max_batch_id()
            .await
            .map_err(|e| crate::store_error(&e))?;
        let probe = self.dir.root().join(".ready-probe");
        std::fs::write(&probe, b"ok").map_err(|e| crate::io_error("error.io.write", &probe, &e))?;
        let _ = std::fs::remove_file(&probe);
        Ok(())
    }
}

/// The organisation cut to what is visible.
fn cut(org: Organisation, v: &Visible) -> OrgView {
    OrgView {
        nodes: org.nodes.into_iter().filter(|n| v.node(&n.id)).collect(),
        sites: org.sites.into_iter().filter(|s| v.site(&s.id)).collect(),
    }
}
