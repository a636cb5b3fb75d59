//! Drill-down: the exact values behind one indicator at one site for a period.

use serde::Serialize;
use yardstick_core::guideline::Indicator;
use yardstick_core::period::Period;

use crate::error::{Error, Result};
use crate::evaluate::GuidelineChoice;
use crate::jobs::{Cancel, blocking};
use crate::scope::Actor;
use crate::workspace::Workspace;

/// The exact distribution of an indicator's per-row values.
#[derive(Debug, Clone, Serialize)]
pub struct Drilled {
    /// The indicator (definition, unit, names).
    pub indicator: Indicator,
    /// Site.
    pub site: String,
    /// Period.
    pub period: Period,
    /// Rows in the indicator's population.
    pub population: u64,
    /// Non-null values, ascending.
    pub values: Vec<f64>,
}

impl Drilled {
    /// Exact nearest-rank quantile (rank = ⌈q·n⌉, the rule of the histograms).
    #[must_use]
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let q = yardstick_core::measure::Quantile::new(q).ok()?;
        let rank = q.rank(self.values.len() as u64)?;
        self.values
            .get(usize::try_from(rank).ok()?.checked_sub(1)?)
            .copied()
    }

    /// Mean of the values.
    #[must_use]
    pub fn mean(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss, reason = "row counts are far below 2^53")]
        let n = self.values.len() as f64;
        (!self.values.is_empty()).then(|| self.values.iter().sum::<f64>() / n)
    }
}

impl Workspace {
    /// The exact values behind one indicator at one site.
    ///
    /// # Errors
    /// Input errors for an unknown site or indicator, or an indicator without per-row
    /// values; damaged-data errors from the records.
    pub async fn drill(
        &self,
        actor: &Actor,
        period: Period,
        site: &str,
        indicator: &str,
        guideline: &GuidelineChoice,
        cancel: &Cancel,
    ) -> Result<Drilled> {
        let (g, _) = self.guideline(guideline).await?;
        let ind = g
            .indicator(indicator)
            .cloned()
            .ok_or_else(|| Error::input("error.indicator.unknown").arg("indicator", indicator))?;
        let org = self.require_org().await?;
        actor.require_records_of(&org, site)?;
        if org.site(site).is_none() {
            return Err(Error::not_found("error.site.unknown").arg("site", site));
        }
        let manifest = self.kind_manifest(ind.kind, None).await?;
        let dir = self.dir.clone();
        let (ind2, site2, p2) = (ind.clone(), site.to_string(), period.clone());
        let d = blocking(cancel, move |_| {
            yardstick_engine::compute::drill(&dir, &manifest, &org, &ind2, &site2, &p2)
        })
        .await?
        .map_err(|e| crate::compute_error(&e))?;
        Ok(Drilled {
            indicator: ind,
            site: site.to_string(),
            period,
            population: d.population,
            values: d.values,
        })
    }
}
