//! The records behind an indicator line: the rows of one site and period that are in an
//! indicator's population (its record kind, visible — not superseded by a `--replace`
//! batch — and passing its filter), a page at a time.
//!
//! Rows come in storage order (the manifest's files by batch then path, each file's rows
//! in order), so a row's position in that order is a stable cursor for a reader that
//! pins the manifest (a batch watermark): the next page is the rows after the last
//! position given.

use yardstick_core::expr::{Row as _, Value, eval, is_true};
use yardstick_core::guideline::Indicator;
use yardstick_core::org::Organisation;
use yardstick_core::period::Period;

use super::{ComputeError, Scan, files_of_months, months_needed, site_areas, site_context};
use crate::layout::DataDir;
use crate::manifest::KindManifest;

/// Which rows to read.
#[derive(Debug, Clone, Copy)]
pub struct RowsQuery<'a> {
    /// The indicator whose population is read.
    pub indicator: &'a Indicator,
    /// Site id.
    pub site: &'a str,
    /// Period (the site's local days).
    pub period: &'a Period,
    /// Rows after this position only (the cursor of the previous page).
    pub after: Option<u64>,
    /// At most this many rows.
    pub limit: usize,
}

/// One row of the population: its position in storage order and its field values.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationRow {
    /// Position in storage order (the cursor).
    pub position: u64,
    /// Values in the order of [`PopulationRows::fields`].
    pub values: Vec<Value>,
}

/// A page of the rows behind an indicator line.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationRows {
    /// Field names: every field of the record kind, derived ones included.
    pub fields: Vec<&'static str>,
    /// The rows of this page.
    pub rows: Vec<PopulationRow>,
    /// Rows in the whole population (every page).
    pub population: u64,
    /// The position to continue after, when rows remain.
    pub next: Option<u64>,
}

/// Reads a page of the rows of one site and period in an indicator's population.
///
/// # Errors
/// When a listed file is damaged or cannot be read.
pub fn population_rows(
    dir: &DataDir,
    manifest: &KindManifest,
    org: &Organisation,
    q: RowsQuery<'_>,
) -> Result<PopulationRows, ComputeError> {
    let kind = q.indicator.kind;
    let fields: Vec<&'static str> = kind.fields().iter().map(|f| f.name).collect();
    let months = months_needed(q.period);
    let (tz, calendars) = site_context(org);
    let files = files_of_months(manifest, &months);
    let areas = site_areas(org);
    let scan = Scan {
        calendars: &calendars,
        areas: &areas,
        dir,
        kind,
        files: &files,
        replaced: &manifest.replaced,
        tz: &tz,
        period: q.period,
    };
    let mut out = PopulationRows {
        fields: fields.clone(),
        rows: Vec::new(),
        population: 0,
        next: None,
    };
    let mut more = false;
    scan.for_each_row(&mut |site, _, view| {
        if site != q.site
            || q.indicator
                .filter
                .as_ref()
                .is_some_and(|f| !is_true(&eval(&f.expr, view)))
        {
            return;
        }
        out.population += 1;
        if q.after.is_some_and(|a| view.pos <= a) {
            return;
        }
        if out.rows.len() >= q.limit {
            more = true;
            return;
        }
        out.rows.push(PopulationRow {
            position: view.pos,
            values: fields.iter().map(|f| view.get(f)).collect(),
        });
    })?;
    if more {
        out.next = out.rows.last().map(|r| r.position);
    }
    Ok(out)
}
