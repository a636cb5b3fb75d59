//! Daily complaint counts per site and class, for the complaint-cluster rule: counted
//! by the same engine as any indicator, under the small guideline of one count
//! indicator per class (`yardstick_core::pdca::COMPLAINT_COUNTS_TOML`).

use std::sync::Arc;

use yardstick_core::pdca::{ClusterCounts, complaint_counts_guideline};
use yardstick_core::period::Period;
use yardstick_engine::compute;
use yardstick_engine::manifest::Manifest;

use crate::error::{Error, Result};
use crate::jobs::{Cancel, blocking};
use crate::workspace::Workspace;

impl Workspace {
    /// Complaints of each class per site and day from `days - 1` days before the
    /// period's first day to its last (the windows ending inside the period reach back
    /// that far), read from the records of `manifest`.
    ///
    /// # Errors
    /// Damaged-data errors from the records; no organisation.
    pub(crate) async fn complaint_counts(
        &self,
        period: &Period,
        days: u32,
        manifest: Manifest,
        cancel: &Cancel,
    ) -> Result<ClusterCounts> {
        let g = complaint_counts_guideline()
            .map_err(|e| Error::internal("error.internal.task").detail(e.to_string()))?;
        let from = period.from - chrono::Days::new(u64::from(days.max(1)) - 1);
        let span = Period::parse(&format!("{from}..{}", period.to))
            .map_err(|e| Error::internal("error.internal.task").detail(e.to_string()))?;
        let org = Arc::new(self.require_org().await?);
        let dir = self.dir.clone();
        let computed = blocking(cancel, move |_| {
            compute::compute(&dir, &manifest, &g, &org, &span)
        })
        .await?
        .map_err(|e| crate::compute_error(&e))?;
        let mut out = ClusterCounts::new();
        for (key, daily) in computed.daily {
            if !key.stratum.is_empty() {
                continue;
            }
            let per_day = out.entry((key.site, key.indicator)).or_default();
            for (day, state) in daily {
                if state.n > 0 {
                    *per_day.entry(day).or_default() += state.n;
                }
            }
        }
        Ok(out)
    }
}
