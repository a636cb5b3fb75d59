//! The organisation: operator → province → city → site, loaded from a TOML file with
//! every problem reported at once, each version kept under its fingerprint so that an
//! evaluation can be recomputed for the organisation it was made for.

use std::sync::Arc;

use serde::Serialize;
use yardstick_core::org::Organisation;

use crate::error::{Error, Result, in_both};
use crate::scope::Actor;
use crate::workspace::Workspace;

/// What loading an organisation did.
#[derive(Debug, Clone, Serialize)]
pub struct OrgLoaded {
    /// Organisation nodes (operator, provinces, cities).
    pub nodes: usize,
    /// Sites.
    pub sites: usize,
    /// Fingerprint of this version.
    pub fingerprint: String,
}

impl Workspace {
    /// Validates and stores an organisation file's text, making it the current version.
    ///
    /// # Errors
    /// An input error with every located problem of the file.
    pub async fn import_org(&self, actor: &Actor, name: &str, text: &str) -> Result<OrgLoaded> {
        actor.require_admin()?;
        let org = Organisation::from_toml(name, text).map_err(|e| {
            Error::input("error.org.invalid").detail_localised(in_both(|l| e.render(l)))
        })?;
        let fingerprint = self
            .store
            .put_org(name, text, &org, chrono::Utc::now())
            .await
            .map_err(|e| self.store_error(&e))?;
        Ok(OrgLoaded {
            nodes: org.nodes.len(),
            sites: org.sites.len(),
            fingerprint,
        })
    }

    /// The current organisation.
    ///
    /// # Errors
    /// An input error when none is loaded yet.
    pub async fn organisation(&self, _actor: &Actor) -> Result<Organisation> {
        self.require_org().await
    }

    pub(crate) async fn require_org(&self) -> Result<Organisation> {
        Ok((*self.current_org_arc().await?.0).clone())
    }

    /// The current organisation, shared, and its fingerprint: one small query, then the
    /// version kept parsed, or read (and checked against its fingerprint) once.
    pub(crate) async fn current_org_arc(&self) -> Result<(Arc<Organisation>, String)> {
        let fp = self
            .store
            .org_fingerprint()
            .await
            .map_err(|e| self.store_error(&e))?
            .ok_or_else(|| Error::input("error.org.none"))?;
        let org = self
            .org_version_arc(&fp)
            .await?
            .ok_or_else(|| Error::input("error.org.none"))?;
        Ok((org, fp))
    }

    /// An organisation version by fingerprint, kept parsed once read.
    pub(crate) async fn org_version_arc(&self, fp: &str) -> Result<Option<Arc<Organisation>>> {
        if let Some(org) = self.memo.org(fp) {
            return Ok(Some(org));
        }
        // One read at a time (see `stored_evaluation`).
        let _one_at_a_time = self.memo.loading.lock().await;
        if let Some(org) = self.memo.org(fp) {
            return Ok(Some(org));
        }
        let Some(org) = self
            .store
            .org_version(fp)
            .await
            .map_err(|e| self.store_error(&e))?
        else {
            return Ok(None);
        };
        let org = Arc::new(org);
        self.memo.keep_org(fp, org.clone());
        Ok(Some(org))
    }
}
