//! Planning from stored records: the demand series of one site (arrivals per interval,
//! handling times, patience evidence) over a history window, read off the runtime.

use chrono::NaiveDate;
use yardstick_core::org::Site;
use yardstick_core::planning::IntervalLen;
use yardstick_engine::series::{SiteSeries, kind_of, site_series};

use crate::error::{Error, Result};
use crate::jobs::{Cancel, blocking};
use crate::scope::Actor;
use crate::workspace::Workspace;

impl Workspace {
    /// The site and its demand series over `window` (inclusive), per `interval`.
    ///
    /// # Errors
    /// Not found for a site the actor cannot see; damaged-data errors from the records.
    pub async fn site_series(
        &self,
        actor: &Actor,
        site: &str,
        window: (NaiveDate, NaiveDate),
        interval: IntervalLen,
        cancel: &Cancel,
    ) -> Result<(Site, SiteSeries)> {
        let org = self.require_org().await?;
        let Some(s) = org.site(site).cloned() else {
            let known: Vec<&str> = org.sites.iter().take(8).map(|s| s.id.as_str()).collect();
            let more = if org.sites.len() > known.len() {
                ", …"
            } else {
                ""
            };
            return Err(Error::not_found("error.site.unknown_list")
                .arg("site", site)
                .arg("sites", format!("{}{more}", known.join(", "))));
        };
        actor.require_records_of(&org, site)?;
        let manifest = self.kind_manifest(kind_of(s.scene), None).await?;
        let dir = self.dir.clone();
        let id = s.id.clone();
        let series = blocking(cancel, move |_| {
            site_series(&dir, &manifest, &org, &id, window, interval)
        })
        .await?
        .map_err(|e| {
            Error::new(crate::ErrorKind::Damaged, "error.records.unreadable").detail(e.to_string())
        })?;
        Ok((s, series))
    }
}
