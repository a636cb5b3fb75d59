//! Computing indicator measure states per site and day from the columnar store.
//!
//! For each record kind the guideline uses, the committed Parquet files of the months
//! concerned are scanned; rows superseded by a `--replace` batch are skipped; the
//! cross-row derived fields are computed first. [`compute`] then runs the columnar engine
//! (`columnar/`: compiled expressions evaluated a chunk of rows at a time, one worker
//! per core). [`compute_reference`] hands every row to core's reference semantics
//! (`guideline::observe`) one at a time instead; it is the definition the columnar engine
//! is tested against, and the path the exact drill-down uses.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use yardstick_core::calendar::{BusinessCalendar, clock};
use yardstick_core::evaluate::StateKey;
use yardstick_core::expr::{Row, Value};
use yardstick_core::guideline::{Guideline, Indicator, Observed, in_stratum, observe};
use yardstick_core::measure::MeasureState;
use yardstick_core::org::Organisation;
use yardstick_core::period::Period;
use yardstick_core::records::RecordKind;
use yardstick_core::vocab::AreaClass;

use crate::derived::{KeyRow, RepeatSpec, flag_repeats, repeat_specs};
use crate::layout::DataDir;
use crate::manifest::{Damage, KindManifest, Manifest, StoredFile};
use crate::schema::anchor_fields;

mod columnar;
#[cfg(feature = "datafusion")]
mod datafusion;
mod rows;

pub use rows::{PopulationRow, PopulationRows, RowsQuery, population_rows};

/// Errors while computing.
#[derive(Debug, thiserror::Error)]
pub enum ComputeError {
    /// A committed file could not be read.
    #[error("{path}: {message}")]
    Read {
        /// Path.
        path: String,
        /// What failed.
        message: String,
    },
    /// A committed file is not what the manifest says (missing, another size, another
    /// row count): no figure is computed from a damaged data directory.
    #[error("stored records {path} of batch {batch} are damaged: {problem}")]
    Damaged {
        /// The file, relative to the data directory.
        path: String,
        /// Its batch.
        batch: i64,
        /// What differs from the manifest.
        problem: String,
    },
}

impl From<Damage> for ComputeError {
    fn from(d: Damage) -> ComputeError {
        ComputeError::Damaged {
            path: d.path,
            batch: d.batch,
            problem: d.problem,
        }
    }
}

/// Measure states per (site, indicator, stratum) and day, plus what else evaluation needs.
#[derive(Debug, Default)]
pub struct Computed {
    /// States per line (site, indicator, stratum) and local day; days without rows in
    /// the indicator's population are absent.
    pub daily: BTreeMap<StateKey, BTreeMap<NaiveDate, MeasureState>>,
    /// Users per site or node for the period (mean over the subscriber-base rows in it).
    pub users: BTreeMap<String, u64>,
    /// Rows scanned per kind.
    pub rows_scanned: BTreeMap<String, u64>,
    /// Rows that could not be added to a state, with the reason, per indicator.
    pub row_problems: BTreeMap<String, u64>,
}

impl Computed {
    /// States merged over every day: the inputs of `core::evaluate`.
    #[must_use]
    pub fn merged(&self) -> BTreeMap<StateKey, MeasureState> {
        self.daily
            .iter()
            .map(|(k, days)| {
                let mut m = MeasureState::default();
                for s in days.values() {
                    m.merge(s);
                }
                (k.clone(), m)
            })
            .collect()
    }

    /// Number of daily states.
    #[must_use]
    pub fn daily_states(&self) -> usize {
        self.daily.values().map(BTreeMap::len).sum()
    }
}

/// Computes the measure states of every indicator of the guideline for the period, from
/// the files the manifest lists.
///
/// # Errors
/// When a listed file is damaged (missing, or not what its manifest row says) or cannot
/// be read.
pub fn compute(
    dir: &DataDir,
    manifest: &Manifest,
    g: &Guideline,
    org: &Organisation,
    period: &Period,
) -> Result<Computed, ComputeError> {
    compute_with(dir, manifest, g, org, period, Engine::Columnar)
}

/// The same states as [`compute`], computed by DataFusion (`yardstick-query`): the
/// scale-out path, built only with the `datafusion` feature. DataFusion runs on an
/// asynchronous runtime, which this builds and ends within the call.
///
/// # Errors
/// As [`compute`], and when DataFusion fails (memory limit, planning).
#[cfg(feature = "datafusion")]
pub fn compute_datafusion(
    dir: &DataDir,
    manifest: &Manifest,
    g: &Guideline,
    org: &Organisation,
    period: &Period,
) -> Result<Computed, ComputeError> {
    compute_with(dir, manifest, g, org, period, Engine::DataFusion)
}

/// The same states as [`compute`], computed one row at a time by core's reference
/// semantics: slow, and the definition the columnar engine must match.
///
/// # Errors
/// As [`compute`].
pub fn compute_reference(
    dir: &DataDir,
    manifest: &Manifest,
    g: &Guideline,
    org: &Organisation,
    period: &Period,
) -> Result<Computed, ComputeError> {
    compute_with(dir, manifest, g, org, period, Engine::Reference)
}

/// Which engine computes the states.
#[derive(Debug, Clone, Copy)]
enum Engine {
    Columnar,
    Reference,
    #[cfg(feature = "datafusion")]
    DataFusion,
}

fn compute_with(
    dir: &DataDir,
    manifest: &Manifest,
    g: &Guideline,
    org: &Organisation,
    period: &Period,
    engine: Engine,
) -> Result<Computed, ComputeError> {
    let mut out = Computed::default();
    let kinds: BTreeSet<RecordKind> = g.indicators.iter().map(|i| i.kind).collect();
    let months = months_needed(period);
    let (tz, calendars) = site_context(org);
    let areas = site_areas(org);
    #[cfg(feature = "datafusion")]
    let runtime = match engine {
        Engine::DataFusion => Some(
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| ComputeError::Read {
                    path: String::new(),
                    message: format!("cannot start DataFusion's runtime: {e}"),
                })?,
        ),
        _ => None,
    };
    for kind in kinds
        .iter()
        .copied()
        .chain([RecordKind::SubscriberBase])
        .collect::<BTreeSet<_>>()
    {
        let km = manifest.kind(kind);
        let files = files_of_months(km, &months);
        let scan = Scan {
            calendars: &calendars,
            areas: &areas,
            dir,
            kind,
            files: &files,
            replaced: &km.replaced,
            tz: &tz,
            period,
        };
        if kind == RecordKind::SubscriberBase {
            out.users = scan.users()?;
        }
        let indicators: Vec<&Indicator> = g.indicators.iter().filter(|i| i.kind == kind).collect();
        if !indicators.is_empty() {
            match engine {
                Engine::Reference => scan.observe_all(g, &indicators, &mut out)?,
                Engine::Columnar => columnar::observe_kind(&scan, g, &indicators, &mut out)?,
                #[cfg(feature = "datafusion")]
                Engine::DataFusion => {
                    if let Some(rt) = &runtime {
                        rt.block_on(datafusion::observe_kind(&scan, g, &indicators, &mut out))?;
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The listed files of the months `months`, in manifest order.
fn files_of_months(km: &KindManifest, months: &BTreeSet<String>) -> Vec<StoredFile> {
    km.files
        .iter()
        .filter(|f| months.contains(&f.month))
        .cloned()
        .collect()
}

/// Each site's time zone, and its legal calendar for working days (weekends, public
/// holidays, make-up days in the site's zone; opening hours do not matter there).
fn site_context(org: &Organisation) -> (HashMap<String, Tz>, HashMap<String, BusinessCalendar>) {
    let tz: HashMap<String, Tz> = org.sites.iter().map(|s| (s.id.clone(), s.tz)).collect();
    let calendars = org
        .sites
        .iter()
        .filter_map(|s| org.calendar_of(s).ok().map(|c| (s.id.clone(), c)))
        .collect();
    (tz, calendars)
}

/// Each site's area class.
fn site_areas(org: &Organisation) -> HashMap<String, AreaClass> {
    org.sites.iter().map(|s| (s.id.clone(), s.area)).collect()
}

/// Months whose partitions can hold rows of the period or the 31 days after it (which
/// the repeat flags look at). Two days' margin before: a file holds one local month at
/// import, and a site whose time zone changed since may have rows of the period's first
/// day in the month before. The columnar engine reads of those files only the row groups
/// whose times can fall in the period.
fn months_needed(period: &Period) -> BTreeSet<String> {
    months_touching(
        period.from - chrono::Days::new(2),
        period.to + chrono::Days::new(31),
    )
}

/// `YYYY-MM` of every month touching the days `from..=to`.
pub(crate) fn months_touching(from: NaiveDate, to: NaiveDate) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut d = from;
    while d <= to {
        out.insert(d.format("%Y-%m").to_string());
        d = d + chrono::Days::new(1);
    }
    out
}

struct Scan<'a> {
    calendars: &'a HashMap<String, BusinessCalendar>,
    areas: &'a HashMap<String, AreaClass>,
    dir: &'a DataDir,
    kind: RecordKind,
    files: &'a [StoredFile],
    replaced: &'a BTreeMap<(String, String), i64>,
    tz: &'a HashMap<String, Tz>,
    period: &'a Period,
}

/// Typed column views of one record batch.
struct Columns<'b> {
    names: HashMap<&'b str, usize>,
    batch: &'b RecordBatch,
}

impl<'b> Columns<'b> {
    fn new(batch: &'b RecordBatch) -> Columns<'b> {
        let names = batch
            .schema_ref()
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name().as_str(), i))
            .collect();
        Columns { names, batch }
    }

    fn get(&self, name: &str, row: usize) -> Value {
        let Some(&i) = self.names.get(name) else {
            return Value::Null;
        };
        let col = self.batch.column(i);
        if col.is_null(row) {
            return Value::Null;
        }
        match col.data_type() {
            DataType::Utf8 => Value::Str(col.as_string::<i32>().value(row).to_string()),
            DataType::Timestamp(_, _) => {
                Value::Ts(col.as_primitive::<TimestampMillisecondType>().value(row))
            }
            #[allow(clippy::cast_precision_loss, reason = "record integers are small")]
            DataType::Int64 => Value::Num(col.as_primitive::<Int64Type>().value(row) as f64),
            DataType::Float64 => Value::Num(col.as_primitive::<Float64Type>().value(row)),
            DataType::Boolean => Value::Bool(col.as_boolean().value(row)),
            _ => Value::Null,
        }
    }

    fn first_ts(&self, names: &[&str], row: usize) -> Option<i64> {
        names.iter().find_map(|n| match self.get(n, row) {
            Value::Ts(t) => Some(t),
            _ => None,
        })
    }
}

/// A row as core's expression evaluator sees it: stored columns plus derived fields.
struct RowView<'c, 'b> {
    cols: &'c Columns<'b>,
    row: usize,
    kind: RecordKind,
    flags: &'c BTreeMap<&'static str, HashSet<u64>>,
    pos: u64,
    calendar: Option<&'c BusinessCalendar>,
    /// The site's area class, used where a record leaves `area_class` empty.
    area: Option<AreaClass>,
    /// End of the evaluated period (local 24:00 of its last day at the site), UTC ms.
    period_end: i64,
}

impl RowView<'_, '_> {
    /// Legal working days from creation to completion in the site's calendar. Pauses
    /// are not deducted: the record carries a pause's length but not its position, and
    /// IM-02 is defined on the supply time as the customer saw it.
    fn working_days(&self) -> Value {
        let (Value::Ts(a), Value::Ts(b), Some(cal)) = (
            self.cols.get("created_at", self.row),
            self.cols.get("completed_at", self.row),
            self.calendar,
        ) else {
            return Value::Null;
        };
        let (Some(start), Some(end)) = (
            DateTime::from_timestamp_millis(a),
            DateTime::from_timestamp_millis(b),
        ) else {
            return Value::Null;
        };
        match clock::working_days(cal, start, end, &[]) {
            Ok(d) => Value::Num(f64::from(d)),
            Err(_) => Value::Null,
        }
    }
}

impl Row for RowView<'_, '_> {
    fn get(&self, field: &str) -> Value {
        if let Some(set) = self.flags.get(field) {
            return Value::Bool(set.contains(&self.pos));
        }
        if self.kind == RecordKind::Complaint && field == "open_days" {
            return match (
                self.cols.get("answered_at", self.row),
                self.cols.get("received_at", self.row),
            ) {
                #[allow(
                    clippy::cast_precision_loss,
                    reason = "millisecond spans are far below 2^53"
                )]
                (Value::Null, Value::Ts(r)) => {
                    Value::Num(self.period_end.saturating_sub(r) as f64 / 86_400_000.0)
                }
                _ => Value::Null,
            };
        }
        if field == "area_class" {
            return match (self.cols.get(field, self.row), self.area) {
                (Value::Null, Some(a)) => Value::Str(a.as_str().to_string()),
                (v, _) => v,
            };
        }
        if self.kind == RecordKind::WorkOrder && field == "working_days" {
            return self.working_days();
        }
        if self.kind == RecordKind::WorkOrder && field == "elapsed_h" {
            return match (
                self.cols.get("created_at", self.row),
                self.cols.get("completed_at", self.row),
            ) {
                (Value::Ts(a), Value::Ts(b)) => {
                    let pause_ms = match self.cols.get("pause_s", self.row) {
                        Value::Num(p) => p * 1000.0,
                        _ => 0.0,
                    };
                    #[allow(
                        clippy::cast_precision_loss,
                        reason = "millisecond spans are far below 2^53"
                    )]
                    let span = (b - a) as f64;
                    Value::Num(((span - pause_ms) / 3_600_000.0).max(0.0))
                }
                _ => Value::Null,
            };
        }
        self.cols.get(field, self.row)
    }
}

/// Why a stored file could not be read.
pub(crate) enum ReadFailure {
    /// It is not what its manifest row says.
    Damaged(Damage),
    /// Reading it failed (path, message).
    Read(String, String),
}

impl From<ReadFailure> for ComputeError {
    fn from(f: ReadFailure) -> ComputeError {
        match f {
            ReadFailure::Damaged(d) => d.into(),
            ReadFailure::Read(path, message) => ComputeError::Read { path, message },
        }
    }
}

/// Every record batch of a committed Parquet file, checked against its manifest row
/// first (size, then the row count in its footer).
pub(crate) fn read_stored(dir: &DataDir, f: &StoredFile) -> Result<Vec<RecordBatch>, ReadFailure> {
    let path = dir.abs(&f.path);
    let failed =
        |e: &dyn std::fmt::Display| ReadFailure::Read(path.display().to_string(), e.to_string());
    let file = f.open_checked(dir).map_err(ReadFailure::Damaged)?;
    let meta = parquet::arrow::arrow_reader::ArrowReaderMetadata::load(
        &file,
        parquet::arrow::arrow_reader::ArrowReaderOptions::default(),
    )
    .map_err(|e| failed(&e))?;
    f.check_footer(meta.metadata().file_metadata())
        .map_err(ReadFailure::Damaged)?;
    // Through the block checksums when the file has them (`crate::integrity`).
    let blocks = crate::integrity::Blocks::of(meta.metadata().file_metadata())
        .map_err(|p| ReadFailure::Damaged(f.damage(p)))?;
    match blocks {
        Some(blocks) => {
            let len = file.metadata().map_err(|e| failed(&e))?.len();
            let verified = crate::integrity::Verified::read(&file, len, &blocks, &blocks.all())
                .map_err(|p| ReadFailure::Damaged(f.damage(p)))?;
            all_batches(verified, meta, &failed)
        }
        None => all_batches(file, meta, &failed),
    }
}

/// Every batch a reader over a whole file gives.
fn all_batches<R: parquet::file::reader::ChunkReader + 'static>(
    reader: R,
    meta: parquet::arrow::arrow_reader::ArrowReaderMetadata,
    failed: &dyn Fn(&dyn std::fmt::Display) -> ReadFailure,
) -> Result<Vec<RecordBatch>, ReadFailure> {
    ParquetRecordBatchReaderBuilder::new_with_metadata(reader, meta)
        .with_batch_size(65_536)
        .build()
        .map_err(|e| failed(&e))?
        .map(|b| b.map_err(|e| failed(&e)))
        .collect()
}

/// (site, id) pairs of a stored file, in storage order (the file is checked against its
/// manifest row first).
///
/// # Errors
/// When the file is damaged or cannot be read.
pub fn read_id_pairs(
    dir: &DataDir,
    file: &StoredFile,
    id_field: &str,
) -> Result<Vec<(String, String)>, ComputeError> {
    let batches = read_stored(dir, file)?;
    let mut out = Vec::new();
    for b in &batches {
        let c = Columns::new(b);
        for r in 0..b.num_rows() {
            if let (Value::Str(s), Value::Str(i)) = (c.get("site_id", r), c.get(id_field, r)) {
                out.push((s, i));
            }
        }
    }
    Ok(out)
}

fn hash_group(values: &[Value]) -> Option<u64> {
    crate::fnv::group_hash(values.iter().map(|v| match v {
        Value::Str(s) => Some(s.as_str()),
        _ => None,
    }))
}

impl Scan<'_> {
    /// Local 24:00 at the end of the period's last day at a site, in UTC milliseconds.
    fn period_end(&self, site: &str) -> i64 {
        let next = self.period.to.succ_opt().unwrap_or(self.period.to);
        // Where a clock change skips local midnight, the day starts at the first instant
        // that exists (at most a few hours later).
        columnar::local_midnight(self.site_tz(site), next, false).unwrap_or(i64::MAX)
    }

    /// A site's time zone (China Standard Time for a site or node without one).
    fn site_tz(&self, site: &str) -> Tz {
        self.tz
            .get(site)
            .copied()
            .unwrap_or(chrono_tz::Asia::Shanghai)
    }

    /// Local day of a row and whether it is visible (not superseded).
    fn day(&self, cols: &Columns<'_>, row: usize, batch_id: i64) -> Option<(String, NaiveDate)> {
        let Value::Str(site) = cols.get("site_id", row) else {
            return None;
        };
        let t = cols.first_ts(anchor_fields(self.kind), row)?;
        let tz = self.site_tz(&site);
        let day = DateTime::from_timestamp_millis(t)?
            .with_timezone(&tz)
            .date_naive();
        // Most stores have no `--replace` batch: skip the per-row key formatting then.
        if self.replaced.is_empty() {
            return Some((site, day));
        }
        let winner = self
            .replaced
            .get(&(site.clone(), day.format("%Y-%m-%d").to_string()));
        winner.is_none_or(|w| batch_id >= *w).then_some((site, day))
    }

    fn flags(&self, all: &[(i64, Vec<RecordBatch>)]) -> BTreeMap<&'static str, HashSet<u64>> {
        let mut out = BTreeMap::new();
        for spec in repeat_specs(self.kind) {
            out.insert(
                spec.field,
                flag_repeats(self.key_rows(spec, all), spec.days)
                    .into_iter()
                    .collect(),
            );
        }
        out
    }

    fn key_rows(&self, spec: &RepeatSpec, all: &[(i64, Vec<RecordBatch>)]) -> Vec<KeyRow> {
        let mut rows = Vec::new();
        let mut pos = 0u64;
        for (batch_id, batches) in all {
            for b in batches {
                let cols = Columns::new(b);
                for r in 0..b.num_rows() {
                    let p = pos;
                    pos += 1;
                    if self.day(&cols, r, *batch_id).is_none() {
                        continue;
                    }
                    if let Some((f, v)) = spec.only
                        && cols.get(f, r) != Value::Str(v.to_string())
                    {
                        continue;
                    }
                    let group: Vec<Value> = spec.group.iter().map(|g| cols.get(g, r)).collect();
                    let (Some(group), Some(at)) = (hash_group(&group), cols.first_ts(spec.at, r))
                    else {
                        continue;
                    };
                    rows.push(KeyRow::new(group, at, cols.first_ts(spec.from, r), p));
                }
            }
        }
        rows
    }

    fn load(&self) -> Result<Vec<(i64, Vec<RecordBatch>)>, ComputeError> {
        self.files
            .iter()
            .map(|f| Ok((f.batch, read_stored(self.dir, f)?)))
            .collect()
    }

    /// Calls `f` with every visible row of the period (site, local day, row view).
    fn for_each_row(
        &self,
        f: &mut dyn FnMut(&str, NaiveDate, &RowView<'_, '_>),
    ) -> Result<u64, ComputeError> {
        let all = self.load()?;
        let flags = self.flags(&all);
        let mut ends: HashMap<String, i64> = HashMap::new();
        let mut pos = 0u64;
        let mut scanned = 0u64;
        for (batch_id, batches) in &all {
            for b in batches {
                let cols = Columns::new(b);
                for r in 0..b.num_rows() {
                    let p = pos;
                    pos += 1;
                    let Some((site, day)) = self.day(&cols, r, *batch_id) else {
                        continue;
                    };
                    if !self.period.contains(day) {
                        continue;
                    }
                    scanned += 1;
                    let view = RowView {
                        cols: &cols,
                        row: r,
                        kind: self.kind,
                        flags: &flags,
                        pos: p,
                        calendar: self.calendars.get(&site),
                        area: self.areas.get(&site).copied(),
                        period_end: *ends
                            .entry(site.clone())
                            .or_insert_with(|| self.period_end(&site)),
                    };
                    f(&site, day, &view);
                }
            }
        }
        Ok(scanned)
    }

    fn observe_all(
        &self,
        g: &Guideline,
        indicators: &[&Indicator],
        out: &mut Computed,
    ) -> Result<(), ComputeError> {
        let strata: Vec<Vec<String>> = indicators.iter().map(|i| strata_of(g, &i.id)).collect();
        // Hot loop: states are keyed by small integers (site, indicator, stratum indexes)
        // and converted to named keys once at the end.
        let mut sites: HashMap<String, u32> = HashMap::new();
        let mut states: HashMap<(u32, u16, u16, NaiveDate), MeasureState> = HashMap::new();
        let mut problems: BTreeMap<String, u64> = BTreeMap::new();
        let scanned = self.for_each_row(&mut |site, day, view| {
            let next = u32::try_from(sites.len()).unwrap_or(u32::MAX);
            let s = *sites.entry(site.to_string()).or_insert(next);
            for (i, (ind, strata)) in indicators.iter().zip(&strata).enumerate() {
                for (k, stratum) in strata.iter().enumerate() {
                    if !in_stratum(stratum, view) {
                        continue;
                    }
                    let key = (
                        s,
                        u16::try_from(i).unwrap_or(u16::MAX),
                        u16::try_from(k).unwrap_or(u16::MAX),
                        day,
                    );
                    match observe(ind, view, states.entry(key).or_default()) {
                        Ok(Observed::Added | Observed::Filtered) => {}
                        Ok(Observed::Unclassified) => {
                            *problems
                                .entry(format!("{}: {UNCLASSIFIED}", ind.id))
                                .or_default() += 1;
                        }
                        Err(e) => {
                            *problems
                                .entry(format!("{}: {}", ind.id, problem_kind(&e)))
                                .or_default() += 1
                        }
                    }
                }
            }
        })?;
        let names: HashMap<u32, &String> = sites.iter().map(|(name, i)| (*i, name)).collect();
        for ((s, i, k, day), state) in states {
            // Filtered rows leave empty states behind; dropping them keeps "no data" visible.
            if state.n == 0 {
                continue;
            }
            let key = StateKey {
                site: names[&s].clone(),
                indicator: indicators[usize::from(i)].id.clone(),
                stratum: strata[usize::from(i)][usize::from(k)].clone(),
            };
            out.daily
                .entry(key)
                .or_default()
                .entry(day)
                .or_default()
                .merge(&state);
        }
        for (p, n) in problems {
            *out.row_problems.entry(p).or_default() += n;
        }
        *out.rows_scanned
            .entry(self.kind.as_str().to_string())
            .or_default() += scanned;
        Ok(())
    }

    fn users(&self) -> Result<BTreeMap<String, u64>, ComputeError> {
        let mut sums: BTreeMap<String, (f64, u64)> = BTreeMap::new();
        for (batch_id, batches) in self.load()? {
            for b in &batches {
                let cols = Columns::new(b);
                for r in 0..b.num_rows() {
                    let Some((site, day)) = self.day(&cols, r, batch_id) else {
                        continue;
                    };
                    if let (true, Value::Num(u)) = (self.period.contains(day), cols.get("users", r))
                    {
                        let e = sums.entry(site).or_default();
                        e.0 += u;
                        e.1 += 1;
                    }
                }
            }
        }
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "user counts are non-negative and far below 2^53"
        )]
        let users = sums
            .into_iter()
            .map(|(k, (s, n))| (k, (s / n as f64).round() as u64))
            .collect();
        Ok(users)
    }
}

/// The exact distribution of one indicator's per-row values at one site: the drill-down
/// behind a score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Drill {
    /// Rows in the indicator's population at the site in the period.
    pub population: u64,
    /// Non-null values, sorted ascending.
    pub values: Vec<f64>,
}

impl Drill {
    /// Exact nearest-rank quantile (rank = ⌈q·n⌉, the same rule as the histograms).
    #[must_use]
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let q = yardstick_core::measure::Quantile::new(q).ok()?;
        let rank = q.rank(self.values.len() as u64)?;
        self.values
            .get(usize::try_from(rank).ok()?.checked_sub(1)?)
            .copied()
    }
}

/// Collects the exact per-row values of an indicator at one site for a period, from the
/// files the manifest of the indicator's kind lists.
///
/// # Errors
/// When the indicator has no per-row value, or a listed file is damaged or cannot be
/// read.
pub fn drill(
    dir: &DataDir,
    manifest: &KindManifest,
    org: &Organisation,
    ind: &Indicator,
    site: &str,
    period: &Period,
) -> Result<Drill, ComputeError> {
    let mut all = drill_sites(dir, manifest, org, ind, Some(site), period)?;
    Ok(all.remove(site).unwrap_or(Drill {
        population: 0,
        values: Vec::new(),
    }))
}

/// [`drill`] for every site at once, in one pass over the files: what a server keeps to
/// answer the drill-down of any site. Sites without rows in the population are absent.
///
/// # Errors
/// As [`drill`].
pub fn drill_all(
    dir: &DataDir,
    manifest: &KindManifest,
    org: &Organisation,
    ind: &Indicator,
    period: &Period,
) -> Result<BTreeMap<String, Drill>, ComputeError> {
    drill_sites(dir, manifest, org, ind, None, period)
}

fn drill_sites(
    dir: &DataDir,
    manifest: &KindManifest,
    org: &Organisation,
    ind: &Indicator,
    only: Option<&str>,
    period: &Period,
) -> Result<BTreeMap<String, Drill>, ComputeError> {
    let Some(value) = ind.value_expr() else {
        return Err(ComputeError::Read {
            path: ind.id.clone(),
            message: "this indicator is a ratio or count: it has no per-row values to drill into"
                .into(),
        });
    };
    let months = months_needed(period);
    let (tz, calendars) = site_context(org);
    let files = files_of_months(manifest, &months);
    let areas = site_areas(org);
    let scan = Scan {
        calendars: &calendars,
        areas: &areas,
        dir,
        kind: ind.kind,
        files: &files,
        replaced: &manifest.replaced,
        tz: &tz,
        period,
    };
    let mut out: BTreeMap<String, Drill> = BTreeMap::new();
    scan.for_each_row(&mut |s, _, view| {
        if only.is_some_and(|o| o != s)
            || ind.filter.as_ref().is_some_and(|f| {
                !yardstick_core::expr::is_true(&yardstick_core::expr::eval(&f.expr, view))
            })
        {
            return;
        }
        let d = match out.get_mut(s) {
            Some(d) => d,
            None => out.entry(s.to_string()).or_insert(Drill {
                population: 0,
                values: Vec::new(),
            }),
        };
        d.population += 1;
        if let Value::Num(v) = yardstick_core::expr::eval(&value.expr, view) {
            d.values.push(v);
        }
    })?;
    for d in out.values_mut() {
        d.values.sort_by(f64::total_cmp);
    }
    Ok(out)
}

/// Why a contact could not be added to a service level.
const UNCLASSIFIED: &str = "contact neither answered, abandoned nor IVR-contained";

/// A short, bounded description of why a row's value could not be recorded (the value
/// itself is left out so the report has one line per kind of problem).
fn problem_kind(e: &yardstick_core::measure::MeasureError) -> &'static str {
    use yardstick_core::measure::MeasureError as M;
    match e {
        M::NotFinite { .. } => "value is not a finite number",
        M::Negative { .. } => "negative value where only values ≥ 0 make sense",
        M::TooLarge { .. } => "value too large",
        _ => "value could not be recorded",
    }
}

/// Record strata an indicator is computed for: all records, plus each stratum a target names.
#[must_use]
pub fn strata_of(g: &Guideline, indicator: &str) -> Vec<String> {
    let mut s: BTreeSet<String> = g
        .targets
        .iter()
        .filter(|t| t.indicator == indicator)
        .map(|t| t.selector.stratum())
        .collect();
    s.insert(String::new());
    s.into_iter().collect()
}
