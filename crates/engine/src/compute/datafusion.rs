//! The DataFusion path (feature `datafusion`): the same visible rows of the period, with
//! their derived fields, site and local day, handed as prepared record batches to
//! `yardstick-query`, which computes the measure states with one DataFusion plan per
//! record kind. Off the default build (DataFusion's release build is too slow for the
//! quickstart); tests compare it with the columnar engine state for state.

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, StringBuilder};
use arrow_array::{ArrayRef, Int32Array, RecordBatch, UInt32Array};
use arrow_schema::{DataType, Field, Schema};
use chrono::NaiveDate;
use yardstick_core::evaluate::StateKey;
use yardstick_core::guideline::{Guideline, Indicator};

use super::columnar::{self, Kind, Shared, Source};
use super::{ComputeError, Computed, Scan, strata_of};
use crate::vector::{Cell, Column};

/// Computes the states of `indicators` (all of the scan's kind) with DataFusion.
pub(super) async fn observe_kind(
    scan: &Scan<'_>,
    g: &Guideline,
    indicators: &[&Indicator],
    out: &mut Computed,
) -> Result<(), ComputeError> {
    let kind = columnar::compile(g, scan.kind, indicators);
    let shared = Shared::new(scan, &kind)?;
    let (batches, sites, scanned) = prepare(&shared, &kind)?;
    let strata: Vec<Vec<String>> = indicators.iter().map(|i| strata_of(g, &i.id)).collect();
    let states = yardstick_query::kind_states(indicators, &strata, batches)
        .await
        .map_err(|e| ComputeError::Read {
            path: scan.kind.as_str().to_string(),
            message: e.to_string(),
        })?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    for ((site, day, i, k), state) in states.states {
        let (Some(site), Some(ind), Some(stratum)) = (
            sites.get(site as usize),
            indicators.get(usize::from(i)),
            strata
                .get(usize::from(i))
                .and_then(|s| s.get(usize::from(k))),
        ) else {
            continue;
        };
        let day = epoch + chrono::TimeDelta::days(i64::from(day));
        let key = StateKey {
            site: site.clone(),
            indicator: ind.id.clone(),
            stratum: stratum.clone(),
        };
        out.daily
            .entry(key)
            .or_default()
            .entry(day)
            .or_default()
            .merge(&state);
    }
    for (p, n) in states.problems {
        *out.row_problems.entry(p).or_default() += n;
    }
    *out.rows_scanned
        .entry(scan.kind.as_str().to_string())
        .or_default() += scanned;
    Ok(())
}

/// The prepared batches (program fields, `__site`, `__day`), the site names by index,
/// and the rows in them.
fn prepare(
    shared: &Shared<'_, '_>,
    kind: &Kind<'_>,
) -> Result<(Vec<RecordBatch>, Vec<String>, u64), ComputeError> {
    let mut acc = columnar::Acc::new(kind);
    let mut batches = Vec::new();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let mut scanned = 0u64;
    let schema = crate::schema::schema(shared.scan.kind);
    for unit in shared.period_units() {
        let file = &shared.scan.files[unit.file];
        let wanted = shared.wanted();
        let mut pos = unit.pos;
        let meta = &shared.metas[unit.file];
        columnar::read_projected(shared.scan, file, meta, unit.group, &wanted, &mut |b| {
            let start = pos;
            pos += b.num_rows() as u64;
            let Some((keep, keep_site, keep_group)) = shared.select(&mut acc, b, file.batch) else {
                return Ok(());
            };
            scanned += keep.len() as u64;
            let mut fields = Vec::new();
            let mut arrays: Vec<ArrayRef> = Vec::new();
            for (name, source) in kind.program.fields().iter().zip(&kind.sources) {
                let array = match source {
                    Source::Stored => match b.column_by_name(name) {
                        // Text read as dictionary codes: plain strings here, as the
                        // compiled SQL expects.
                        Some(col) if matches!(col.data_type(), DataType::Dictionary(_, _)) => {
                            derived(&columnar::stored(Some(col), &keep), *source, keep.len())
                        }
                        Some(col) => {
                            let idx = UInt32Array::from_iter_values(
                                keep.iter().map(|r| u32::try_from(*r).unwrap_or(u32::MAX)),
                            );
                            arrow_select::take::take(col, &idx, None).map_err(|e| {
                                ComputeError::Read {
                                    path: file.path.clone(),
                                    message: e.to_string(),
                                }
                            })?
                        }
                        // A file written before the field existed: NULL, as in the
                        // columnar engine (every batch must have the same columns).
                        None => match schema.field_with_name(name) {
                            Ok(f) => arrow_array::new_null_array(f.data_type(), keep.len()),
                            Err(_) => continue,
                        },
                    },
                    _ => derived(
                        &shared.field(b, name, *source, &keep, &keep_site, &acc, start),
                        *source,
                        keep.len(),
                    ),
                };
                fields.push(Field::new(name, array.data_type().clone(), true));
                arrays.push(array);
            }
            fields.push(Field::new("__site", DataType::UInt32, false));
            arrays.push(Arc::new(UInt32Array::from(keep_site.clone())));
            fields.push(Field::new("__day", DataType::Int32, false));
            let days: Vec<i32> = keep_group
                .iter()
                .map(|g| {
                    acc.groups.get(*g as usize).map_or(0, |(_, d)| {
                        i32::try_from((*d - epoch).num_days()).unwrap_or(0)
                    })
                })
                .collect();
            arrays.push(Arc::new(Int32Array::from(days)));
            let batch =
                RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(|e| {
                    ComputeError::Read {
                        path: file.path.clone(),
                        message: e.to_string(),
                    }
                })?;
            batches.push(batch);
            Ok(())
        })?;
    }
    let names = acc.sites.iter().map(|s| s.name.clone()).collect();
    Ok((batches, names, scanned))
}

/// A derived field's column as an Arrow array of its type.
fn derived(col: &Column<'_>, source: Source, n: usize) -> ArrayRef {
    match source {
        Source::Flag(_) => {
            let mut b = BooleanBuilder::with_capacity(n);
            for j in 0..n {
                match col.at(j) {
                    Cell::Bool(v) => b.append_value(v),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        Source::AreaClass | Source::Stored => {
            let mut b = StringBuilder::with_capacity(n, n * 8);
            for j in 0..n {
                match col.at(j) {
                    Cell::Str(v) => b.append_value(v),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        Source::OpenDays | Source::WorkingDays | Source::ElapsedH => {
            let mut b = Float64Builder::with_capacity(n);
            for j in 0..n {
                match col.at(j) {
                    Cell::Num(v) => b.append_value(v),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
    }
}
