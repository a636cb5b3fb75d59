//! The organisation: operator → province → city → site, loaded from a TOML file with
//! every problem reported at once, each version kept under its fingerprint so that an
//! evaluation can be recomputed for the organisation it was made for.

use serde::Serialize;
use yardstick_core::org::Organisation;

use crate::error::{Error, Result};
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
        let org = Organisation::from_toml(name, text)
            .map_err(|e| Error::input("error.org.invalid").detail(e.to_string()))?;
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
        self.store
            .org()
            .await
            .map_err(|e| self.store_error(&e))?
            .ok_or_else(|| Error::input("error.org.none"))
    }
}
