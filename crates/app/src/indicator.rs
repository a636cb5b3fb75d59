//! One indicator at one site: its line of the evaluation (frozen or provisional), its
//! daily series and the distribution of its per-row values; and the records behind it,
//! a page at a time. The line and the series are aggregated figures (every reader of the
//! site sees them); the rows are individual records (`Actor::require_records_of`).

use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;
use yardstick_core::evaluate::{LineResult, indicator_value};
use yardstick_core::expr::Value;
use yardstick_core::guideline::{Guideline, Indicator};
use yardstick_core::period::Period;
use yardstick_engine::compute::{self, RowsQuery, population_rows};
use yardstick_engine::manifest::Manifest;

use crate::error::{Error, Result};
use crate::jobs::{Cancel, blocking};
use crate::published::Status;
use crate::scope::Actor;
use crate::workspace::Workspace;

/// One day of an indicator line.
#[derive(Debug, Clone, Serialize)]
pub struct DailyValue {
    /// Local day at the site.
    pub day: NaiveDate,
    /// The indicator's value over that day's rows, when one can be given.
    pub value: Option<f64>,
    /// Rows (or the population at risk) behind it.
    pub sample: u64,
}

/// The distribution of an indicator's per-row values at a site.
#[derive(Debug, Clone, Serialize)]
pub struct Distribution {
    /// Rows in the population.
    pub population: u64,
    /// Rows with a value.
    pub values: u64,
    /// Mean.
    pub mean: Option<f64>,
    /// Exact nearest-rank quantiles.
    pub p50: Option<f64>,
    /// 80th percentile.
    pub p80: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// Smallest value: an individual record's, so only for readers of records.
    pub min: Option<f64>,
    /// Largest value, likewise.
    pub max: Option<f64>,
}

/// An indicator at a site for a period.
#[derive(Debug, Clone, Serialize)]
pub struct SiteIndicator {
    /// Site id.
    pub site: String,
    /// The indicator (definition, names, unit).
    pub indicator: Indicator,
    /// Period.
    pub period: Period,
    /// Whether the line comes from a frozen evaluation or a provisional one.
    pub status: Status,
    /// The frozen evaluation's id.
    pub evaluation_id: Option<i64>,
    /// The line for all records (stratum ""), when the site has one.
    pub line: Option<LineResult>,
    /// Lines for record strata (customer classes…).
    pub strata: Vec<LineResult>,
    /// Day by day.
    pub daily: Vec<DailyValue>,
    /// Per-row values, for indicators that have them.
    pub distribution: Option<Distribution>,
}

/// A page of the records behind an indicator line.
#[derive(Debug, Clone, Serialize)]
pub struct RecordsPage {
    /// Field names.
    pub fields: Vec<String>,
    /// Rows, values in field order (instants as RFC 3339 UTC text).
    pub rows: Vec<Vec<serde_json::Value>>,
    /// Rows in the whole population.
    pub population: u64,
    /// The cursor of the next page, when rows remain.
    pub next_cursor: Option<String>,
}

/// The most rows one page holds.
pub const MAX_PAGE: usize = 1000;

impl Workspace {
    /// An indicator at a site: its line, daily series and distribution.
    ///
    /// # Errors
    /// Not found for a site the reader cannot see or an unknown indicator; damaged-data
    /// errors from the records.
    pub async fn site_indicator(
        &self,
        actor: &Actor,
        site: &str,
        indicator: &str,
        period: &Period,
        cancel: &Cancel,
    ) -> Result<SiteIndicator> {
        let (state, org) = self.period_state(period).await?;
        actor.require_visible(&org, site)?;
        if org.site(site).is_none() {
            return Err(Error::not_found("error.site.unknown").arg("site", site));
        }
        let g = crate::evaluate::builtin_guideline()?;
        let ind = indicator_of(g, indicator)?;
        // The period's evaluation as a whole, its one site picked out: the reader may see
        // the site (checked above), and ranks were computed over every peer.
        let whole = self.whole_of_period(&org, &state, period, cancel).await?;
        let lines: Vec<LineResult> = whole
            .evaluation()
            .sites
            .iter()
            .filter(|s| s.site == site)
            .flat_map(|s| s.lines.iter())
            .filter(|l| l.indicator == indicator)
            .cloned()
            .collect();
        let (line, strata): (Vec<LineResult>, Vec<LineResult>) =
            lines.into_iter().partition(|l| l.stratum.is_empty());
        // The records up to the last committed batch: what the figures below read, and
        // what they are kept under (committed batches never change).
        let watermark = state.watermark;
        let org_fp = state.org_fingerprint.as_deref().unwrap_or_default();
        let key = format!("builtin|{org_fp}|{watermark:?}|{}|{}", period.label, ind.id);
        let daily = self
            .daily(g, &ind, site, period, (&key, watermark), &org, cancel)
            .await?;
        let records = actor.record_sites(&org).site(site);
        let distribution = match ind.value_expr() {
            Some(_) => {
                // Every site's in one pass, kept for the next reader of any site.
                let all = match self.memo.drills(&key) {
                    Some(all) => all,
                    None => {
                        let _one_at_a_time = self.memo.computing.lock().await;
                        if let Some(all) = self.memo.drills(&key) {
                            all
                        } else {
                            let manifest = self.kind_manifest(ind.kind, watermark).await?;
                            let dir = self.dir.clone();
                            let (i2, p2, o2) = (ind.clone(), period.clone(), org.clone());
                            let all = blocking(cancel, move |_| {
                                compute::drill_all(&dir, &manifest, &o2, &i2, &p2)
                            })
                            .await?
                            .map_err(|e| crate::compute_error(&e))?;
                            let all = Arc::new(all);
                            self.memo.keep_drills(key.clone(), all.clone());
                            all
                        }
                    }
                };
                let empty = compute::Drill {
                    population: 0,
                    values: Vec::new(),
                };
                let d = all.get(site).unwrap_or(&empty);
                Some(distribution(d, records))
            }
            None => None,
        };
        Ok(SiteIndicator {
            site: site.to_string(),
            indicator: ind,
            period: period.clone(),
            status: whole.status(),
            evaluation_id: whole.id(),
            line: line.into_iter().next(),
            strata,
            daily,
            distribution,
        })
    }

    /// The daily values of one indicator at one site: the indicator computed over every
    /// site (a repeat contact may involve another site), kept under `key` for the next
    /// reader of any site.
    #[allow(
        clippy::too_many_arguments,
        reason = "one private step of site_indicator"
    )]
    async fn daily(
        &self,
        g: &Guideline,
        ind: &Indicator,
        site: &str,
        period: &Period,
        (key, watermark): (&str, Option<i64>),
        org: &Arc<yardstick_core::org::Organisation>,
        cancel: &Cancel,
    ) -> Result<Vec<DailyValue>> {
        let computed = match self.memo.daily(key) {
            Some(c) => c,
            None => {
                let _one_at_a_time = self.memo.computing.lock().await;
                if let Some(c) = self.memo.daily(key) {
                    return Ok(daily_values(&c, ind, site));
                }
                // Only this indicator, and only its kind's records (plus the subscriber
                // base a rate per users needs).
                let one = Guideline {
                    indicators: vec![ind.clone()],
                    ..g.clone()
                };
                let mut manifest = Manifest::default();
                for kind in [
                    ind.kind,
                    yardstick_core::records::RecordKind::SubscriberBase,
                ] {
                    manifest
                        .kinds
                        .insert(kind, self.kind_manifest(kind, watermark).await?);
                }
                let dir = self.dir.clone();
                let (org2, p2) = (org.clone(), period.clone());
                let c = blocking(cancel, move |_| {
                    compute::compute(&dir, &manifest, &one, &org2, &p2)
                })
                .await?
                .map_err(|e| crate::compute_error(&e))?;
                let c = Arc::new(c);
                self.memo.keep_daily(key.to_string(), c.clone());
                c
            }
        };
        Ok(daily_values(&computed, ind, site))
    }

    /// A page of the records behind an indicator line at a site. The cursor pins the
    /// batches read, so later imports do not shift the pages.
    ///
    /// # Errors
    /// Not found for a site whose records the reader may not read (a regulator reads
    /// none); an input error for a cursor this did not give; damaged-data errors.
    pub async fn indicator_records(
        &self,
        actor: &Actor,
        site: &str,
        indicator: &str,
        period: &Period,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<RecordsPage> {
        let org = self.require_org().await?;
        actor.require_records_of(&org, site)?;
        if org.site(site).is_none() {
            return Err(Error::not_found("error.site.unknown").arg("site", site));
        }
        let g = crate::evaluate::builtin_guideline()?;
        let ind = indicator_of(g, indicator)?;
        let (watermark, after) = match cursor {
            Some(c) => {
                let (w, p) = parse_cursor(c)?;
                (w, Some(p))
            }
            None => (
                self.store
                    .max_batch_id()
                    .await
                    .map_err(|e| crate::store_error(&e))?
                    .unwrap_or(0),
                None,
            ),
        };
        let manifest = self.kind_manifest(ind.kind, Some(watermark)).await?;
        let dir = self.dir.clone();
        let (site2, p2) = (site.to_string(), period.clone());
        let limit = limit.clamp(1, MAX_PAGE);
        // One scan of the records at a time: a scan holds the period's record batches of
        // every site in memory (about 180 MiB for a month of 250,000 contacts), and
        // twenty readers scanning at once held 4 GiB.
        let _one_at_a_time = self.memo.scanning.lock().await;
        let page = blocking(&Cancel::new(), move |_| {
            population_rows(
                &dir,
                &manifest,
                &org,
                RowsQuery {
                    indicator: &ind,
                    site: &site2,
                    period: &p2,
                    after,
                    limit,
                },
            )
        })
        .await?
        .map_err(|e| crate::compute_error(&e))?;
        Ok(RecordsPage {
            fields: page.fields.iter().map(|f| (*f).to_string()).collect(),
            rows: page
                .rows
                .iter()
                .map(|r| r.values.iter().map(json_value).collect())
                .collect(),
            population: page.population,
            next_cursor: page.next.map(|p| format!("{watermark}.{p}")),
        })
    }
}

fn indicator_of(g: &Guideline, id: &str) -> Result<Indicator> {
    g.indicator(id)
        .cloned()
        .ok_or_else(|| Error::not_found("error.indicator.unknown").arg("indicator", id))
}

/// A cursor is `WATERMARK.POSITION`, two decimal numbers.
fn parse_cursor(c: &str) -> Result<(i64, u64)> {
    let bad = || Error::input("error.cursor.invalid").arg("cursor", crate::error::quoted(c, 40));
    let (w, p) = c.split_once('.').ok_or_else(bad)?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(w) || !digits(p) {
        return Err(bad());
    }
    Ok((w.parse().map_err(|_| bad())?, p.parse().map_err(|_| bad())?))
}

fn distribution(d: &compute::Drill, records: bool) -> Distribution {
    #[allow(clippy::cast_precision_loss, reason = "row counts are far below 2^53")]
    let mean = (!d.values.is_empty()).then(|| d.values.iter().sum::<f64>() / d.values.len() as f64);
    Distribution {
        population: d.population,
        values: d.values.len() as u64,
        mean,
        p50: d.quantile(0.5),
        p80: d.quantile(0.8),
        p95: d.quantile(0.95),
        min: d.values.first().copied().filter(|_| records),
        max: d.values.last().copied().filter(|_| records),
    }
}

/// A record value as JSON: instants as RFC 3339 UTC text with milliseconds.
#[must_use]
pub fn json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Num(n) => {
            serde_json::Number::from_f64(*n).map_or(serde_json::Value::Null, Into::into)
        }
        Value::Str(s) => serde_json::Value::String(s.clone()),
        Value::Ts(ms) => chrono::DateTime::from_timestamp_millis(*ms)
            .map_or(serde_json::Value::Null, |t| {
                serde_json::Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            }),
    }
}

/// One site's daily values of an indicator from a computation over every site.
fn daily_values(computed: &compute::Computed, ind: &Indicator, site: &str) -> Vec<DailyValue> {
    let users = computed.users.get(site).copied();
    let key = yardstick_core::evaluate::StateKey {
        site: site.to_string(),
        indicator: ind.id.clone(),
        stratum: String::new(),
    };
    computed
        .daily
        .get(&key)
        .map(|days| {
            days.iter()
                .map(|(day, state)| {
                    let (value, sample, _) = indicator_value(ind, state, users);
                    DailyValue {
                        day: *day,
                        value,
                        sample,
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_two_numbers_and_nothing_else() {
        assert_eq!(parse_cursor("12.345").expect("valid"), (12, 345));
        for bad in [
            "",
            ".",
            "1.",
            ".2",
            "1.2.3",
            "a.1",
            "1;DROP TABLE x",
            "../1",
            "-1.2",
            "99999999999999999999.1",
        ] {
            assert!(parse_cursor(bad).is_err(), "{bad:?} accepted");
        }
    }
}
