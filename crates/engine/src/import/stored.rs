//! What an import reads of the batches committed before it: the kind's listed files,
//! each checked against its manifest row before it is relied on ([`committed`]); the
//! site, id and anchor time of their rows ([`scan_rows`], for key indexes rebuilt from
//! a file); which stored rows are still visible ([`visible_in`]); and how many of them a
//! `--replace` batch takes over ([`superseded`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMillisecondType;
use arrow_array::{Array, RecordBatch};
use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use yardstick_core::records::RecordKind;

use super::check::{FastMap, local_day, site_tz};
use super::error::ImportError;
use crate::layout::DataDir;
use crate::manifest::{KindManifest, StoredFile};
use crate::schema::anchor_fields;

/// A committed file of the kind, in manifest order, and where it is.
pub(super) struct Committed<'m> {
    dir: &'m DataDir,
    pub(super) file: &'m StoredFile,
    pub(super) parquet: PathBuf,
}

impl Committed<'_> {
    pub(super) fn batch(&self) -> i64 {
        self.file.batch
    }
}

/// Every file the manifest lists, each checked against its row (present, its size,
/// the row count in its footer): the duplicate-id check relies on them all.
///
/// # Errors
/// [`ImportError::Damaged`] for the first file that differs.
pub(super) fn committed<'m>(
    dir: &'m DataDir,
    manifest: &'m KindManifest,
) -> Result<Vec<Committed<'m>>, ImportError> {
    manifest
        .files
        .iter()
        .map(|file| {
            file.verify(dir)?;
            Ok(Committed {
                dir,
                file,
                parquet: dir.abs(&file.path),
            })
        })
        .collect()
}

/// The local day (days from the common era) of a stored row at `site` anchored at `at`
/// in batch `batch`, or `None` when a later `--replace` batch superseded that day: such
/// rows do not count as stored.
pub(super) fn visible_in<'a>(
    tz: &'a FastMap<String, Tz>,
    replaced: &'a BTreeMap<(String, String), i64>,
) -> impl Fn(&str, i64, i64) -> Option<i32> + 'a {
    move |site: &str, at: i64, batch: i64| -> Option<i32> {
        let day = local_day(at, site_tz(tz, site));
        let superseded = !replaced.is_empty()
            && replaced
                .get(&(site.to_string(), day.format("%Y-%m-%d").to_string()))
                .is_some_and(|w| batch < *w);
        (!superseded).then(|| day.num_days_from_ce())
    }
}

/// Streams (site, id, anchor time) of every row of a stored file with a site (and an
/// id, when `id` names the kind's id field), reading only those columns. The file is
/// checked against its manifest row first.
pub(super) fn scan_rows(
    c: &Committed<'_>,
    kind: RecordKind,
    id: Option<&str>,
    each: &mut dyn FnMut(&str, Option<&str>, i64),
) -> Result<(), ImportError> {
    let err = |m: String| ImportError::ReadStored {
        path: c.parquet.display().to_string(),
        message: m,
    };
    let file = c.file.open_checked(c.dir)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| err(e.to_string()))?;
    c.file.check_footer(builder.metadata().file_metadata())?;
    let wanted: Vec<&str> = ["site_id"]
        .into_iter()
        .chain(id)
        .chain(anchor_fields(kind).iter().copied())
        .collect();
    let roots: Vec<usize> = builder
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| wanted.contains(&f.name().as_str()))
        .map(|(i, _)| i)
        .collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(65_536)
        .build()
        .map_err(|e| err(e.to_string()))?;
    for b in reader {
        let b = b.map_err(|e| err(e.to_string()))?;
        scan_batch(&b, kind, id, each).map_err(err)?;
    }
    Ok(())
}

fn scan_batch(
    b: &RecordBatch,
    kind: RecordKind,
    id: Option<&str>,
    each: &mut dyn FnMut(&str, Option<&str>, i64),
) -> Result<(), String> {
    let text = |name: &str| {
        b.column_by_name(name)
            .and_then(|c| c.as_string_opt::<i32>())
            .ok_or_else(|| format!("column `{name}` is missing or not text"))
    };
    let sites = text("site_id")?;
    let ids = id.map(text).transpose()?;
    let anchors: Vec<_> = anchor_fields(kind)
        .iter()
        .filter_map(|f| b.column_by_name(f))
        .filter_map(|c| c.as_primitive_opt::<TimestampMillisecondType>())
        .collect();
    for r in 0..b.num_rows() {
        if sites.is_null(r) || ids.is_some_and(|ids| ids.is_null(r)) {
            continue;
        }
        let at = anchors
            .iter()
            .find(|a| !a.is_null(r))
            .map_or(0, |a| a.value(r));
        each(sites.value(r), ids.map(|ids| ids.value(r)), at);
    }
    Ok(())
}

/// How many rows of earlier batches, visible until now, a `--replace` batch covering
/// `coverage` (site and local day of each stored row) takes over: the rows of those
/// sites and days, read from the stored files of the months concerned, whose day no
/// later `--replace` batch has taken already.
///
/// A file holds the rows of one local month as their site's zone was at import: a
/// site whose zone changed since may have rows of a covered day in the next or the
/// previous month's file, so the months of the covered days two days either side are
/// read.
pub(super) fn superseded(
    dir: &DataDir,
    manifest: &KindManifest,
    kind: RecordKind,
    coverage: &BTreeSet<(String, NaiveDate)>,
    tz: &FastMap<String, Tz>,
) -> Result<u64, ImportError> {
    if coverage.is_empty() {
        return Ok(0);
    }
    let mut days: HashMap<&str, BTreeSet<NaiveDate>> = HashMap::new();
    let mut months = BTreeSet::new();
    for (site, day) in coverage {
        days.entry(site.as_str()).or_default().insert(*day);
        months.extend(crate::compute::months_touching(
            *day - chrono::Days::new(2),
            *day + chrono::Days::new(2),
        ));
    }
    let visible = visible_in(tz, &manifest.replaced);
    let mut n = 0u64;
    for file in manifest.files.iter().filter(|f| months.contains(&f.month)) {
        let c = Committed {
            dir,
            file,
            parquet: dir.abs(&file.path),
        };
        scan_rows(&c, kind, None, &mut |site, _, at| {
            let Some(covered) = days.get(site) else {
                return;
            };
            if let Some(day) =
                visible(site, at, file.batch).and_then(NaiveDate::from_num_days_from_ce_opt)
                && covered.contains(&day)
            {
                n += 1;
            }
        })?;
    }
    Ok(n)
}
