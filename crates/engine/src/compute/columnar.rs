//! The columnar indicator engine: measure states per site and day, computed a chunk of
//! rows at a time.
//!
//! Per record kind: every indicator's filter and measure parts are compiled into one
//! [`Program`] (shared sub-expressions once); the committed files are read with only the
//! columns the program needs, one worker thread per core taking row groups; each chunk
//! of rows gets its site, local day and visibility first, then the program's columns,
//! then one tight loop per indicator that adds rows to dense per-(site, day) states.
//! Workers merge at the end (state merges are exact, so the order does not matter).
//!
//! Cross-row flags (`repeat_7d`, …) are computed before, from a projected pass over the
//! same files, only when an indicator uses them. That pass reads the grouping fields
//! (customer keys, …); where the indicators only test one of them for NULL, it also
//! records which rows have a value, and the main pass does not read that field again.
//! The meaning of every step is core's row-level reference (`guideline::observe`), which
//! the tests compare against.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMillisecondType};
use arrow_array::{Array, ArrayRef, PrimitiveArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Schema};
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::file::statistics::Statistics;
use yardstick_core::calendar::{BusinessCalendar, clock};
use yardstick_core::evaluate::StateKey;
use yardstick_core::guideline::{Guideline, Indicator, Measure, ServiceLevelSpec, sl_class};
use yardstick_core::measure::{MeasureState, Row as Obs};
use yardstick_core::records::RecordKind;
use yardstick_core::vocab::AreaClass;

use super::{ComputeError, Computed, Scan, UNCLASSIFIED, problem_kind, strata_of};
use crate::derived::{KeyRow, RepeatSpec, flag_repeats, partition_of, repeat_specs};
use crate::manifest::StoredFile;
use crate::schema::anchor_fields;
use crate::vector::{self, Cell, Column, NULL_CODE, Program, TRUE, UNKNOWN};

/// Rows per chunk read from a file.
const CHUNK_ROWS: usize = 8_192;

/// Rows evaluated together: small enough that every node's column stays in cache.
const SLICE_ROWS: usize = 1_024;

/// Where a field's values come from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Source {
    /// A stored column (NULL when the file has no such column).
    Stored,
    /// A cross-row flag (index into the kind's repeat specs).
    Flag(usize),
    /// Complaint days open at the period end.
    OpenDays,
    /// The record's area class, or the site's.
    AreaClass,
    /// Legal working days from creation to completion.
    WorkingDays,
    /// Elapsed hours from creation to completion, pauses deducted.
    ElapsedH,
}

/// How the row-level reference (`Scan`'s row view) resolves a field name.
fn source_of(kind: RecordKind, field: &str) -> Source {
    if let Some(i) = repeat_specs(kind).iter().position(|s| s.field == field) {
        return Source::Flag(i);
    }
    match (kind, field) {
        (RecordKind::Complaint, "open_days") => Source::OpenDays,
        (_, "area_class") => Source::AreaClass,
        (RecordKind::WorkOrder, "working_days") => Source::WorkingDays,
        (RecordKind::WorkOrder, "elapsed_h") => Source::ElapsedH,
        _ => Source::Stored,
    }
}

/// The node indexes of one indicator's measure parts.
#[derive(Debug, Clone, Copy)]
enum Part {
    Ratio(usize),
    Mean(usize),
    Percentile(usize),
    ShareWithin(usize, f64),
    Plain,
    RatioOfSums(usize, usize),
    Sl {
        ivr: usize,
        wait: usize,
        answered: usize,
        abandoned: usize,
        threshold: f64,
        short: f64,
    },
}

struct Plan<'g> {
    ind: &'g Indicator,
    filter: Option<usize>,
    part: Part,
    /// (line index, stratum index into `Kind::strata`) per stratum of the indicator.
    lines: Vec<(usize, usize)>,
}

/// A stratum as conditions on field slots; `None` when it can never match.
type StratumTest = Option<Vec<(usize, String, bool)>>;

/// Everything compiled for one record kind.
pub(super) struct Kind<'g> {
    pub(super) program: Program,
    pub(super) sources: Vec<Source>,
    plans: Vec<Plan<'g>>,
    strata: Vec<StratumTest>,
    /// Line index → (indicator position, stratum string).
    line_names: Vec<(usize, String)>,
    /// Per field slot: a stored field the kind only tests for NULL (as CC-05 does with
    /// `customer_key`). When the repeat-flag pass reads it anyway, it records which rows
    /// have a value, and the main pass does not read it again (see `Shared::present`).
    null_only: Vec<bool>,
}

pub(super) fn compile<'g>(
    g: &Guideline,
    kind: RecordKind,
    indicators: &[&'g Indicator],
) -> Kind<'g> {
    let mut program = Program::default();
    let mut strata_index: HashMap<String, usize> = HashMap::new();
    let mut strata_src: Vec<String> = Vec::new();
    let mut plans = Vec::new();
    let mut line_names = Vec::new();
    for (i, ind) in indicators.iter().enumerate() {
        let filter = ind.filter.as_ref().map(|f| program.add(&f.expr));
        let part = match &ind.measure {
            Measure::Ratio { condition } => Part::Ratio(program.add(&condition.expr)),
            Measure::Mean { value } => Part::Mean(program.add(&value.expr)),
            Measure::Percentile { value, .. } => Part::Percentile(program.add(&value.expr)),
            Measure::ShareWithin { value, limit } => {
                Part::ShareWithin(program.add(&value.expr), *limit)
            }
            Measure::RatePer { .. } | Measure::Count => Part::Plain,
            Measure::RatioOfSums {
                numerator,
                denominator,
            } => Part::RatioOfSums(program.add(&numerator.expr), program.add(&denominator.expr)),
            Measure::ServiceLevel(spec) => sl_part(&mut program, spec),
        };
        let mut lines = Vec::new();
        for stratum in strata_of(g, &ind.id) {
            let next = strata_src.len();
            let s = *strata_index.entry(stratum.clone()).or_insert(next);
            if s == next {
                strata_src.push(stratum.clone());
            }
            lines.push((line_names.len(), s));
            line_names.push((i, stratum));
        }
        plans.push(Plan {
            ind,
            filter,
            part,
            lines,
        });
    }
    let strata: Vec<StratumTest> = strata_src
        .iter()
        .map(|s| stratum_test(&mut program, s))
        .collect();
    let sources: Vec<Source> = program
        .fields()
        .iter()
        .map(|f| source_of(kind, f))
        .collect();
    let roots: Vec<usize> = plans
        .iter()
        .flat_map(|p| p.filter.into_iter().chain(part_nodes(p.part)))
        .collect();
    let in_strata: Vec<usize> = strata
        .iter()
        .flatten()
        .flatten()
        .map(|(slot, _, _)| *slot)
        .collect();
    let null_only = program
        .null_tested_only(&roots)
        .into_iter()
        .enumerate()
        .map(|(slot, only)| {
            only && matches!(sources.get(slot), Some(Source::Stored)) && !in_strata.contains(&slot)
        })
        .collect();
    Kind {
        program,
        sources,
        plans,
        strata,
        line_names,
        null_only,
    }
}

/// The program nodes a measure part reads.
fn part_nodes(part: Part) -> Vec<usize> {
    match part {
        Part::Ratio(a) | Part::Mean(a) | Part::Percentile(a) | Part::ShareWithin(a, _) => vec![a],
        Part::Plain => Vec::new(),
        Part::RatioOfSums(a, b) => vec![a, b],
        Part::Sl {
            ivr,
            wait,
            answered,
            abandoned,
            ..
        } => vec![ivr, wait, answered, abandoned],
    }
}

fn sl_part(program: &mut Program, spec: &ServiceLevelSpec) -> Part {
    Part::Sl {
        ivr: program.add(&spec.ivr_contained.expr),
        wait: program.add(&spec.wait_s.expr),
        answered: program.add(&spec.answered.expr),
        abandoned: program.add(&spec.abandoned.expr),
        threshold: spec.threshold_s,
        short: spec.short_abandon_s,
    }
}

/// A stratum string (`""`, `customer_class=vip`, `a=x;b=y`) as tests on field slots,
/// with core's `in_stratum` rule: a missing customer class counts as `ordinary`.
fn stratum_test(program: &mut Program, stratum: &str) -> StratumTest {
    let mut parts = Vec::new();
    for part in stratum.split(';').filter(|p| !p.is_empty()) {
        let (field, want) = part.split_once('=')?;
        let null_matches = field == "customer_class" && want == "ordinary";
        parts.push((program.field_slot(field), want.to_string(), null_matches));
    }
    Some(parts)
}

/// One site as a worker sees it.
pub(super) struct Site<'c> {
    pub(super) name: String,
    tz: Tz,
    calendar: Option<&'c BusinessCalendar>,
    area: Option<AreaClass>,
    period_end: i64,
    replaced: Option<&'c HashMap<NaiveDate, i64>>,
    /// Local days met so far, as UTC ranges [start, end) sorted by start, and the index
    /// of the last one used.
    windows: Vec<(i64, i64, NaiveDate)>,
    last: usize,
}

impl Site<'_> {
    /// The local day of an instant at the site.
    fn day(&mut self, t: i64) -> Option<NaiveDate> {
        if let Some(&(start, end, day)) = self.windows.get(self.last)
            && start <= t
            && t < end
        {
            return Some(day);
        }
        let i = self.windows.partition_point(|w| w.0 <= t);
        if let Some(&(_, end, day)) = i.checked_sub(1).and_then(|j| self.windows.get(j))
            && t < end
        {
            self.last = i - 1;
            return Some(day);
        }
        let day = DateTime::from_timestamp_millis(t)?
            .with_timezone(&self.tz)
            .date_naive();
        // The range of instants that are surely on `day`: from the last instant local
        // midnight of `day` occurs to the first instant local midnight of the next day
        // occurs. Only a cache: instants outside every range are converted again.
        let start = local_midnight(self.tz, day, true).unwrap_or(t);
        let end = day
            .succ_opt()
            .and_then(|next| local_midnight(self.tz, next, false))
            .unwrap_or(t);
        if start <= t && t < end {
            self.windows.insert(i, (start, end, day));
            self.last = i;
        }
        Some(day)
    }
}

/// The latest (`latest`) or earliest instant at which a local day begins, in UTC ms.
pub(super) fn local_midnight(tz: Tz, day: NaiveDate, latest: bool) -> Option<i64> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    (0..4).find_map(|h| {
        let local = (midnight + chrono::TimeDelta::hours(h)).and_local_timezone(tz);
        let t = if latest {
            local.latest()
        } else {
            local.earliest()
        };
        t.map(|t| t.timestamp_millis())
    })
}

/// Context shared by the workers of one kind.
pub(super) struct Shared<'s, 'c> {
    pub(super) scan: &'s Scan<'c>,
    kind: &'s Kind<'s>,
    replaced: HashMap<String, HashMap<NaiveDate, i64>>,
    flags: Vec<Option<Bits>>,
    /// Per field slot: for a field only tested for NULL that the repeat-flag pass read,
    /// which scan positions have a value. The main pass does not read such a field.
    present: Vec<Option<Bits>>,
    /// The row groups that can hold rows of the period (`in_period`), in scan order.
    pub(super) units: Vec<Unit>,
    /// Each file's footer, by index into the scan's files.
    pub(super) metas: Vec<ArrowReaderMetadata>,
    days: usize,
}

/// A worker's accumulated states.
pub(super) struct Acc<'c> {
    pub(super) sites: Vec<Site<'c>>,
    site_index: HashMap<String, u32>,
    /// Per site, per day offset in the period: the group id (`u32::MAX` = none yet).
    group_of: Vec<Vec<u32>>,
    pub(super) groups: Vec<(u32, NaiveDate)>,
    /// Per line, per group.
    states: Vec<Vec<MeasureState>>,
    /// Rows left out, per (indicator position, why).
    problems: HashMap<(usize, &'static str), u64>,
    scanned: u64,
}

/// Computes the states of `indicators` (all of the scan's kind) into `out`.
pub(super) fn observe_kind(
    scan: &Scan<'_>,
    g: &Guideline,
    indicators: &[&Indicator],
    out: &mut Computed,
) -> Result<(), ComputeError> {
    let kind = compile(g, scan.kind, indicators);
    let shared = Shared::new(scan, &kind)?;
    let units = shared.period_units();
    let workers = workers().min(units.len()).max(1);
    let next = AtomicUsize::new(0);
    let results: Vec<Result<Acc<'_>, ComputeError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut acc = Acc::new(&kind);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&u) = units.get(i) else { break };
                        shared.unit(&mut acc, u)?;
                    }
                    Ok(acc)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(ComputeError::Read {
                        path: scan.kind.as_str().to_string(),
                        message: "a compute worker panicked".into(),
                    })
                })
            })
            .collect()
    });
    for acc in results {
        acc?.into_computed(&kind, scan, out);
    }
    Ok(())
}

/// A set of scan positions as a bitmap: one bit per row read.
struct Bits(Vec<u64>);

impl Bits {
    /// The bitmap of a list of positions.
    fn of(positions: &[u64]) -> Bits {
        let len = positions
            .iter()
            .max()
            .map_or(0, |m| usize::try_from(m / 64 + 1).unwrap_or(0));
        let mut words = vec![0u64; len];
        for p in positions {
            if let Some(w) = usize::try_from(p / 64).ok().and_then(|i| words.get_mut(i)) {
                *w |= 1 << (p % 64);
            }
        }
        Bits(words)
    }

    /// No position set, room for `n` positions.
    fn none(n: u64) -> Bits {
        Bits(vec![0; usize::try_from(n.div_ceil(64)).unwrap_or(0)])
    }

    /// Sets the positions from `at` on that `words` (bit i = position `at + i`) sets.
    fn or_at(&mut self, at: u64, words: &[u64]) {
        let shift = at % 64;
        let first = usize::try_from(at / 64).unwrap_or(usize::MAX);
        for (i, w) in words.iter().enumerate() {
            if let Some(slot) = self.0.get_mut(first + i) {
                *slot |= w << shift;
            }
            if shift > 0
                && let Some(slot) = self.0.get_mut(first + i + 1)
            {
                *slot |= w >> (64 - shift);
            }
        }
    }

    fn get(&self, p: u64) -> bool {
        usize::try_from(p / 64)
            .ok()
            .and_then(|i| self.0.get(i))
            .is_some_and(|w| w & (1 << (p % 64)) != 0)
    }
}

impl<'s, 'c> Shared<'s, 'c> {
    /// The kind's context: superseded days per site, and the cross-row flags its
    /// indicators use.
    pub(super) fn new(
        scan: &'s Scan<'c>,
        kind: &'s Kind<'s>,
    ) -> Result<Shared<'s, 'c>, ComputeError> {
        let mut replaced: HashMap<String, HashMap<NaiveDate, i64>> = HashMap::new();
        for ((site, day), batch) in scan.replaced {
            if let Ok(d) = NaiveDate::parse_from_str(day, "%Y-%m-%d") {
                replaced.entry(site.clone()).or_default().insert(d, *batch);
            }
        }
        let specs = repeat_specs(scan.kind);
        let used: Vec<bool> = (0..specs.len())
            .map(|i| {
                kind.sources
                    .iter()
                    .any(|s| matches!(s, Source::Flag(j) if *j == i))
            })
            .collect();
        let (units, metas) = units(scan)?;
        let total: u64 = units.last().map_or(0, |u| {
            let rows = metas[u.file].metadata().row_group(u.group).num_rows();
            u.pos + u64::try_from(rows).unwrap_or(0)
        });
        let near = in_period(scan, &units, &metas, &period_files(scan));
        let fields = kind.program.fields();
        let mut present: Vec<Option<Bits>> = fields.iter().map(|_| None).collect();
        let mut flags = Vec::new();
        for (spec, used) in specs.iter().zip(&used) {
            if !used {
                flags.push(None);
                continue;
            }
            // The grouping fields only tested for NULL and not yet recorded by a flag.
            let record: Vec<usize> = (0..fields.len())
                .filter(|s| {
                    kind.null_only[*s]
                        && present[*s].is_none()
                        && spec.group.contains(&fields[*s].as_str())
                })
                .collect();
            let names: Vec<&str> = record.iter().map(|s| fields[*s].as_str()).collect();
            let parts = flag_parts(&metas);
            // First the row groups that can hold rows of the period, whose flags are
            // wanted; then, of the others, those that can hold a row inside the window
            // of one of those rows: after the earliest window start among them and at
            // most `days` past the latest.
            let mut read = near.clone();
            let mut keys = key_rows(scan, &replaced, spec, &near, &metas, parts, &names)?;
            let (earliest, latest) = keys
                .iter()
                .map(|(p, _)| p.period_starts)
                .fold((i64::MAX, i64::MIN), |(a, z), (pa, pz)| {
                    (a.min(pa), z.max(pz))
                });
            if earliest <= latest {
                let reach = latest.saturating_add(spec.days.saturating_mul(86_400_000));
                let near_at: std::collections::HashSet<u64> = near.iter().map(|u| u.pos).collect();
                let far: Vec<Unit> = units
                    .iter()
                    .filter(|u| !near_at.contains(&u.pos))
                    .filter(|u| may_hold(&metas[u.file], u.group, spec.at, earliest, reach))
                    .copied()
                    .collect();
                keys.extend(key_rows(
                    scan, &replaced, spec, &far, &metas, parts, &names,
                )?);
                read.extend(far);
            }
            for (k, slot) in record.iter().enumerate() {
                let mut bits = Bits::none(total);
                for (unit, (_, valid)) in read.iter().zip(&keys) {
                    bits.or_at(unit.pos, &valid[k]);
                }
                present[*slot] = Some(bits);
            }
            let parted: Vec<Parted> = keys.into_iter().map(|(p, _)| p).collect();
            flags.push(Some(Bits::of(&flag_in_parts(&parted, parts, spec.days)?)));
        }
        let days = usize::try_from((scan.period.to - scan.period.from).num_days() + 1).unwrap_or(0);
        Ok(Shared {
            scan,
            kind,
            replaced,
            flags,
            present,
            units: near,
            metas,
            days,
        })
    }

    /// The units whose rows can fall in the period.
    pub(super) fn period_units(&self) -> Vec<Unit> {
        self.units.clone()
    }
}

/// The units of the period's files (`files`) that can hold a row of the period: the
/// range of at least one anchor field in the row group's statistics meets the period,
/// widened by two days either side for any site's time zone. A file of the month after
/// a monthly period is thus read only as far as its first days.
fn in_period(
    scan: &Scan<'_>,
    units: &[Unit],
    metas: &[ArrowReaderMetadata],
    files: &[usize],
) -> Vec<Unit> {
    let ms = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis())
    };
    let lo = ms(scan.period.from - chrono::Days::new(2));
    let hi = ms(scan.period.to + chrono::Days::new(3));
    units
        .iter()
        .filter(|u| files.contains(&u.file))
        .filter(|u| may_hold(&metas[u.file], u.group, anchor_fields(scan.kind), lo, hi))
        .copied()
        .collect()
}

/// Whether row group `group` can hold a row whose first set field of `fields` (instants,
/// ms) lies in `lo..=hi`, by the footer's statistics: some field's range must meet it. A
/// field the file lacks, or whose values are all NULL, holds none; a field without
/// statistics might hold anything.
fn may_hold(meta: &ArrowReaderMetadata, group: usize, fields: &[&str], lo: i64, hi: i64) -> bool {
    let rg = meta.metadata().row_group(group);
    fields.iter().any(|name| {
        let Some(c) = rg
            .columns()
            .iter()
            .find(|c| c.column_path().string() == *name)
        else {
            return false;
        };
        match c.statistics() {
            Some(Statistics::Int64(s)) => match (s.min_opt(), s.max_opt()) {
                (Some(a), Some(z)) => *a <= hi && *z >= lo,
                _ => s
                    .null_count_opt()
                    .is_none_or(|nulls| i64::try_from(nulls).ok() != Some(c.num_values())),
            },
            _ => true,
        }
    })
}

/// Indexes of the files whose rows can fall in the period (a file holds one local month
/// at import; two days' margin either side covers a site whose time zone changed since).
pub(super) fn period_files(scan: &Scan<'_>) -> Vec<usize> {
    let from = scan.period.from - chrono::Days::new(2);
    let to = scan.period.to + chrono::Days::new(2);
    let months = super::months_touching(from, to);
    (0..scan.files.len())
        .filter(|i| months.contains(&scan.files[*i].month))
        .collect()
}

/// One unit of work: a row group of a committed file, with the scan position of its
/// first row (positions count every row of every file in order; the repeat flags are
/// keyed by them).
#[derive(Debug, Clone, Copy)]
pub(super) struct Unit {
    /// Index into the scan's files.
    pub(super) file: usize,
    /// Row group in that file.
    pub(super) group: usize,
    /// Scan position of the row group's first row.
    pub(super) pos: u64,
}

/// Every row group of every file, in scan order: the units workers share out, so that
/// a few large files still keep every core busy.
/// Also returns each file's footer (schema and row groups), read once and shared by
/// every read of the file.
fn units(scan: &Scan<'_>) -> Result<(Vec<Unit>, Vec<ArrowReaderMetadata>), ComputeError> {
    let mut out = Vec::new();
    let mut metas = Vec::with_capacity(scan.files.len());
    let mut pos = 0u64;
    for (fi, f) in scan.files.iter().enumerate() {
        let path = scan.dir.abs(&f.path);
        // Checked against the manifest before anything is read: its size, then the row
        // count of the footer read here anyway.
        let file = f.open_checked(scan.dir)?;
        let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::default())
            .and_then(|m| with_dictionaries(m, scan.kind))
            .map_err(|e| read_error(&path, e))?;
        f.check_footer(meta.metadata().file_metadata())?;
        for (group, rg) in meta.metadata().row_groups().iter().enumerate() {
            out.push(Unit {
                file: fi,
                group,
                pos,
            });
            pos += u64::try_from(rg.num_rows()).unwrap_or(0);
        }
        metas.push(meta);
    }
    Ok((out, metas))
}

/// The file's footer with its dictionary-encoded text fields read as Arrow dictionaries
/// (codes into the column chunk's dictionary), not as one string per row: a predicate on
/// them is then decided once per distinct value. Fields written without a dictionary
/// (`schema::unlike_values`) stay plain; a page that fell back to plain encoding is
/// packed into a dictionary by the reader.
fn with_dictionaries(
    meta: ArrowReaderMetadata,
    kind: RecordKind,
) -> Result<ArrowReaderMetadata, parquet::errors::ParquetError> {
    let plain = crate::schema::unlike_values(kind);
    let schema = meta.schema();
    let fields: Vec<arrow_schema::Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let f = f.as_ref().clone();
            if *f.data_type() == DataType::Utf8 && !plain.contains(&f.name().as_str()) {
                f.with_data_type(DataType::Dictionary(
                    Box::new(DataType::Int32),
                    Box::new(DataType::Utf8),
                ))
            } else {
                f
            }
        })
        .collect();
    let schema = std::sync::Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    ArrowReaderMetadata::try_new(
        std::sync::Arc::clone(meta.metadata()),
        ArrowReaderOptions::new().with_schema(schema),
    )
}

fn read_error(path: &std::path::Path, e: impl std::fmt::Display) -> ComputeError {
    ComputeError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Streams the batches of one row group of a committed file, reading only `wanted`
/// columns (those it has).
pub(super) fn read_projected(
    scan: &Scan<'_>,
    file: &StoredFile,
    meta: &ArrowReaderMetadata,
    group: usize,
    wanted: &[&str],
    each: &mut dyn FnMut(&RecordBatch) -> Result<(), ComputeError>,
) -> Result<(), ComputeError> {
    let path = scan.dir.abs(&file.path);
    let f = File::open(&path).map_err(|e| read_error(&path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(f, meta.clone());
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
        .with_row_groups(vec![group])
        .with_batch_size(CHUNK_ROWS)
        .build()
        .map_err(|e| read_error(&path, e))?;
    for b in reader {
        each(&b.map_err(|e| read_error(&path, e))?)?;
    }
    Ok(())
}

/// Timestamp columns of a batch by name, in the order given.
fn ts_columns<'b>(
    b: &'b RecordBatch,
    names: &[&str],
) -> Vec<&'b arrow_array::PrimitiveArray<TimestampMillisecondType>> {
    names
        .iter()
        .filter_map(|n| b.column_by_name(n))
        .filter_map(|c| c.as_primitive_opt::<TimestampMillisecondType>())
        .collect()
}

fn first_ts(
    cols: &[&arrow_array::PrimitiveArray<TimestampMillisecondType>],
    r: usize,
) -> Option<i64> {
    cols.iter().find(|c| !c.is_null(r)).map(|c| c.value(r))
}

/// A text column of a batch: plain, or codes into a dictionary.
#[derive(Debug, Clone, Copy)]
pub(super) enum Texts<'b> {
    Plain(&'b StringArray),
    Dict(&'b PrimitiveArray<Int32Type>, &'b StringArray),
}

impl<'b> Texts<'b> {
    /// The text on row `r`; `None` for NULL. Always inlined: it is a few instructions
    /// called for every row and grouping field in the hot loops (the repeat-flag key
    /// hash among them), where the compiler's own choice depended on how the crate's
    /// code happened to be split into units (a call there cost 1.5 % of an evaluation).
    #[inline(always)]
    pub(super) fn get(self, r: usize) -> Option<&'b str> {
        match self {
            Texts::Plain(a) => (!a.is_null(r)).then(|| a.value(r)),
            Texts::Dict(keys, values) => {
                if keys.is_null(r) {
                    return None;
                }
                let k = usize::try_from(keys.value(r)).ok()?;
                (k < values.len() && !values.is_null(k)).then(|| values.value(k))
            }
        }
    }
}

impl Texts<'_> {
    /// Whether rows `a` and `b` hold the same text, when that is known without reading
    /// the text: both the same dictionary code (neither NULL). `false` means "look".
    #[inline]
    pub(super) fn same_code(self, a: usize, b: usize) -> bool {
        match self {
            Texts::Plain(_) => false,
            Texts::Dict(keys, _) => {
                a < keys.len()
                    && b < keys.len()
                    && keys.is_valid(a)
                    && keys.is_valid(b)
                    && keys.value(a) == keys.value(b)
            }
        }
    }
}

/// A text column of a batch by name, plain or dictionary-encoded.
pub(super) fn text<'b>(b: &'b RecordBatch, name: &str) -> Option<Texts<'b>> {
    let c = b.column_by_name(name)?;
    if let Some(a) = c.as_string_opt::<i32>() {
        return Some(Texts::Plain(a));
    }
    let d = c.as_dictionary_opt::<Int32Type>()?;
    Some(Texts::Dict(d.keys(), d.values().as_string_opt::<i32>()?))
}

/// How many parts the rows of a repeat flag are split into (by group): enough that one
/// part's rows (about 32 k, 1.3 MB) sort within the cores' caches, and more than the
/// workers so that one large part does not leave a core idle.
fn flag_parts(metas: &[ArrowReaderMetadata]) -> usize {
    let rows: i64 = metas
        .iter()
        .flat_map(|m| m.metadata().row_groups())
        .map(parquet::file::metadata::RowGroupMetaData::num_rows)
        .sum();
    // The floor first, then the cap: `clamp` would panic with more than 256 cores.
    (usize::try_from(rows).unwrap_or(0) / 32_768)
        .max(4 * workers())
        .min(1_024)
}

/// Key rows ordered by part, with where each part starts: part `p` is
/// `rows[starts[p]..starts[p + 1]]`.
struct Parted {
    rows: Vec<KeyRow>,
    starts: Vec<usize>,
    /// The earliest and latest window start of the rows of the period among them
    /// (`(i64::MAX, i64::MIN)` when none has one): a row of another unit matters to
    /// their flags only between the two, plus the window.
    period_starts: (i64, i64),
}

impl Parted {
    fn part(&self, p: usize) -> &[KeyRow] {
        match (self.starts.get(p), self.starts.get(p + 1)) {
            (Some(a), Some(z)) => self.rows.get(*a..*z).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// One unit's key rows placed by part (a counting sort: sizes first, then each row
/// straight to its place).
fn by_part(rows: &[KeyRow], parts: usize) -> Parted {
    let mut starts = vec![0usize; parts + 1];
    for r in rows {
        starts[partition_of(r.group, parts) + 1] += 1;
    }
    for p in 0..parts {
        starts[p + 1] += starts[p];
    }
    let mut next = starts.clone();
    let mut placed = vec![KeyRow::new(0, 0, None, 0); rows.len()];
    for r in rows {
        let p = partition_of(r.group, parts);
        placed[next[p]] = *r;
        next[p] += 1;
    }
    Parted {
        rows: placed,
        starts,
        period_starts: (i64::MAX, i64::MIN),
    }
}

/// Flags repeats part by part of the groups (`flag_repeats` on each), the parts on the
/// workers. Every unit's rows come already split by part (`key_rows`), so each part
/// gathers its own rows from every unit, and no part needs another's rows.
fn flag_in_parts(per_unit: &[Parted], parts: usize, days: i64) -> Result<Vec<u64>, ComputeError> {
    let flagged = on_workers(parts, |p| {
        let size = per_unit.iter().map(|u| u.part(p).len()).sum();
        let mut rows = Vec::with_capacity(size);
        for unit in per_unit {
            rows.extend_from_slice(unit.part(p));
        }
        Ok(flag_repeats(rows, days))
    })?;
    Ok(flagged.into_iter().flatten().collect())
}

/// Worker threads: one per core.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// The keys of every visible row for one repeat flag, with scan positions, per unit and
/// within it per part of the groups (`partition_of`, `parts` parts). Also, per unit and
/// per field of `record` (grouping fields, read anyway), which of the unit's rows have a
/// value: bit i of the words is the unit's row i.
#[allow(
    clippy::type_complexity,
    reason = "per unit: its key rows and one bitmap per field"
)]
fn key_rows(
    scan: &Scan<'_>,
    replaced: &HashMap<String, HashMap<NaiveDate, i64>>,
    spec: &RepeatSpec,
    units: &[Unit],
    metas: &[ArrowReaderMetadata],
    parts: usize,
    record: &[&str],
) -> Result<Vec<(Parted, Vec<Vec<u64>>)>, ComputeError> {
    let mut wanted: Vec<&str> = vec!["site_id"];
    wanted.extend(anchor_fields(scan.kind));
    wanted.extend(spec.group);
    wanted.extend(spec.at);
    wanted.extend(spec.from);
    if let Some((f, _)) = spec.only {
        wanted.push(f);
    }
    let per_unit = on_workers(units.len(), |ui| {
        let unit = units[ui];
        let file = &scan.files[unit.file];
        let mut rows: Vec<KeyRow> = Vec::new();
        let mut period_starts = (i64::MAX, i64::MIN);
        let mut sites_seen: Vec<Site<'_>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut pos = unit.pos;
        let unit_rows = metas[unit.file].metadata().row_group(unit.group).num_rows();
        let words = usize::try_from(unit_rows).unwrap_or(0).div_ceil(64);
        let mut valid: Vec<Vec<u64>> = record.iter().map(|_| vec![0; words]).collect();
        read_projected(
            scan,
            file,
            &metas[unit.file],
            unit.group,
            &wanted,
            &mut |b| {
                let first = usize::try_from(pos - unit.pos).unwrap_or(usize::MAX);
                for (name, bits) in record.iter().zip(&mut valid) {
                    mark_present(b, name, first, bits);
                }
                let Some(sites) = text(b, "site_id") else {
                    pos += b.num_rows() as u64;
                    return Ok(());
                };
                let anchors = ts_columns(b, anchor_fields(scan.kind));
                let at = ts_columns(b, spec.at);
                let from = ts_columns(b, spec.from);
                // Where the lists name the same fields (a contact's anchor, time and
                // window start), the first time found once serves for all three.
                let at_is_anchor = spec.at == anchor_fields(scan.kind);
                let from_is_at = spec.from == spec.at;
                let group: Vec<Option<Texts<'_>>> = spec.group.iter().map(|g| text(b, g)).collect();
                let only = spec.only.map(|(f, v)| (text(b, f), v));
                let mut last: Option<(usize, &str, usize)> = None;
                for r in 0..b.num_rows() {
                    let p = pos + r as u64;
                    let Some(t) = first_ts(&anchors, r) else {
                        continue;
                    };
                    // A run of one site: the previous row's dictionary code says so unread.
                    let si = match last {
                        Some((row, n, i)) if sites.same_code(row, r) => {
                            last = Some((r, n, i));
                            i
                        }
                        _ => {
                            let Some(site_name) = sites.get(r) else {
                                continue;
                            };
                            let i = match last {
                                Some((_, n, i)) if n == site_name => i,
                                _ => match index.get(site_name) {
                                    Some(i) => *i,
                                    None => {
                                        sites_seen.push(scan.site(site_name, replaced));
                                        index.insert(site_name.to_string(), sites_seen.len() - 1);
                                        sites_seen.len() - 1
                                    }
                                },
                            };
                            last = Some((r, site_name, i));
                            i
                        }
                    };
                    let Some(site) = sites_seen.get_mut(si) else {
                        continue;
                    };
                    let Some(day) = site.day(t) else { continue };
                    if site
                        .replaced
                        .and_then(|m| m.get(&day))
                        .is_some_and(|w| file.batch < *w)
                    {
                        continue;
                    }
                    if let Some((col, want)) = only
                        && col.is_none_or(|c| c.get(r) != Some(want))
                    {
                        continue;
                    }
                    let Some(group) = hash_group(&group, r) else {
                        continue;
                    };
                    let Some(at) = (if at_is_anchor {
                        Some(t)
                    } else {
                        first_ts(&at, r)
                    }) else {
                        continue;
                    };
                    let from = if from_is_at {
                        Some(at)
                    } else {
                        first_ts(&from, r)
                    };
                    if let Some(f) = from
                        && scan.period.contains(day)
                    {
                        period_starts = (period_starts.0.min(f), period_starts.1.max(f));
                    }
                    rows.push(KeyRow::new(group, at, from, p));
                }
                pos += b.num_rows() as u64;
                Ok(())
            },
        )?;
        let mut parted = by_part(&rows, parts);
        parted.period_starts = period_starts;
        Ok((parted, valid))
    })?;
    Ok(per_unit)
}

/// Sets bit `first + r` of `bits` for every row r of the batch where field `name` has a
/// value, as the main pass would read it (`stored`): a text by `Texts::get`, any other
/// column by its validity; no row when the batch lacks the column.
fn mark_present(b: &RecordBatch, name: &str, first: usize, bits: &mut [u64]) {
    let texts = text(b, name);
    let col = b.column_by_name(name);
    // The validity bitmap, taken once: `Array::is_valid` is a call through the trait
    // object for every row.
    let nulls = col.and_then(|c| c.nulls());
    for r in 0..b.num_rows() {
        let has = match (texts, col) {
            (Some(t), _) => t.get(r).is_some(),
            (None, Some(_)) => nulls.is_none_or(|n| n.is_valid(r)),
            (None, None) => false,
        };
        if has && let Some(w) = bits.get_mut((first + r) / 64) {
            *w |= 1 << ((first + r) % 64);
        }
    }
}

/// Runs `f` for every index below `n` on one worker per core; results in index order.
fn on_workers<T: Send>(
    n: usize,
    f: impl Fn(usize) -> Result<T, ComputeError> + Sync,
) -> Result<Vec<T>, ComputeError> {
    let workers = workers().min(n).max(1);
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, T)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        mine.push((i, f(i)?));
                    }
                    Ok(mine)
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.join().unwrap_or_else(|_| Err(panicked()))?);
        }
        Ok::<_, ComputeError>(all)
    })?;
    done.sort_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, t)| t).collect())
}

fn panicked() -> ComputeError {
    ComputeError::Read {
        path: String::new(),
        message: "a compute worker panicked".into(),
    }
}

/// The same hash of the grouping strings as the row-level reference; `None` when one is
/// missing (no evidence of a repeat).
fn hash_group(cols: &[Option<Texts<'_>>], r: usize) -> Option<u64> {
    crate::fnv::group_hash(cols.iter().map(|c| c.and_then(|c| c.get(r))))
}

impl Scan<'_> {
    fn site<'c>(
        &'c self,
        name: &str,
        replaced: &'c HashMap<String, HashMap<NaiveDate, i64>>,
    ) -> Site<'c> {
        let tz = self.site_tz(name);
        Site {
            name: name.to_string(),
            tz,
            calendar: self.calendars.get(name),
            area: self.areas.get(name).copied(),
            period_end: self.period_end(name),
            replaced: replaced.get(name),
            windows: Vec::new(),
            last: 0,
        }
    }
}

impl<'c> Acc<'c> {
    pub(super) fn new(kind: &Kind<'_>) -> Acc<'c> {
        Acc {
            sites: Vec::new(),
            site_index: HashMap::new(),
            group_of: Vec::new(),
            groups: Vec::new(),
            states: vec![Vec::new(); kind.line_names.len()],
            problems: HashMap::new(),
            scanned: 0,
        }
    }

    fn group(&mut self, site: u32, day: NaiveDate, offset: usize, days: usize) -> u32 {
        let per_site = &mut self.group_of[site as usize];
        if per_site.is_empty() {
            per_site.resize(days, u32::MAX);
        }
        let g = per_site[offset];
        if g != u32::MAX {
            return g;
        }
        let g = u32::try_from(self.groups.len()).unwrap_or(u32::MAX);
        per_site[offset] = g;
        self.groups.push((site, day));
        for line in &mut self.states {
            line.push(MeasureState::default());
        }
        g
    }

    fn into_computed(self, kind: &Kind<'_>, scan: &Scan<'_>, out: &mut Computed) {
        for (line, states) in self.states.into_iter().enumerate() {
            let (ind, stratum) = &kind.line_names[line];
            let ind = &kind.plans[*ind].ind.id;
            for (g, state) in states.into_iter().enumerate() {
                // Filtered rows leave nothing; an empty state would hide "no data".
                if state.n == 0 {
                    continue;
                }
                let (site, day) = self.groups[g];
                let key = StateKey {
                    site: self.sites[site as usize].name.clone(),
                    indicator: ind.clone(),
                    stratum: stratum.clone(),
                };
                out.daily
                    .entry(key)
                    .or_default()
                    .entry(day)
                    .or_default()
                    .merge(&state);
            }
        }
        for ((i, text), n) in self.problems {
            *out.row_problems
                .entry(format!("{}: {text}", kind.plans[i].ind.id))
                .or_default() += n;
        }
        *out.rows_scanned
            .entry(scan.kind.as_str().to_string())
            .or_default() += self.scanned;
    }
}

impl<'c> Shared<'_, 'c> {
    /// The columns every field needs.
    #[cfg(feature = "datafusion")]
    pub(super) fn wanted(&self) -> Vec<&str> {
        self.columns(false)
    }

    /// The columns the fields need, but (with `skip_present`) not those of fields whose
    /// presence the repeat-flag pass recorded.
    fn columns(&self, skip_present: bool) -> Vec<&str> {
        let mut w: Vec<&str> = vec!["site_id"];
        w.extend(anchor_fields(self.scan.kind));
        for (slot, (f, s)) in self
            .kind
            .program
            .fields()
            .iter()
            .zip(&self.kind.sources)
            .enumerate()
        {
            match s {
                Source::Stored
                    if skip_present && matches!(self.present.get(slot), Some(Some(_))) => {}
                Source::Stored | Source::AreaClass => w.push(f),
                Source::OpenDays => w.extend(["answered_at", "received_at"]),
                Source::WorkingDays | Source::ElapsedH => {
                    w.extend(["created_at", "completed_at", "pause_s"]);
                }
                Source::Flag(_) => {}
            }
        }
        w
    }

    fn unit(&'c self, acc: &mut Acc<'c>, unit: Unit) -> Result<(), ComputeError> {
        let file = &self.scan.files[unit.file];
        let wanted = self.columns(true);
        let mut pos = unit.pos;
        let meta = &self.metas[unit.file];
        read_projected(self.scan, file, meta, unit.group, &wanted, &mut |b| {
            self.chunk(acc, b, file.batch, pos);
            pos += b.num_rows() as u64;
            Ok(())
        })
    }

    /// Adds one chunk of a file's rows (the first at scan position `pos`).
    fn chunk(&'c self, acc: &mut Acc<'c>, b: &RecordBatch, batch_id: i64, pos: u64) {
        let Some(kept) = self.select(acc, b, batch_id) else {
            return;
        };
        let (keep, keep_site, keep_group) = kept;
        acc.scanned += keep.len() as u64;
        // Evaluated in slices of `SLICE_ROWS` rows, so that every node's column of a
        // slice stays in cache and its buffer is reused by the allocator.
        for start in (0..keep.len()).step_by(SLICE_ROWS) {
            let end = (start + SLICE_ROWS).min(keep.len());
            self.slice(
                acc,
                b,
                pos,
                &keep[start..end],
                &keep_site[start..end],
                &keep_group[start..end],
            );
        }
    }

    /// The visible rows of the period in a chunk: row indexes, sites and groups.
    #[allow(
        clippy::type_complexity,
        reason = "three parallel vectors, named at the call"
    )]
    pub(super) fn select(
        &'c self,
        acc: &mut Acc<'c>,
        b: &RecordBatch,
        batch_id: i64,
    ) -> Option<(Vec<usize>, Vec<u32>, Vec<u32>)> {
        let sites = text(b, "site_id")?;
        let anchors = ts_columns(b, anchor_fields(self.scan.kind));
        // Visible rows of the period: their row index, site and group.
        let mut keep: Vec<usize> = Vec::with_capacity(b.num_rows());
        let mut keep_site: Vec<u32> = Vec::with_capacity(b.num_rows());
        let mut keep_group: Vec<u32> = Vec::with_capacity(b.num_rows());
        let mut last: Option<(usize, &str, u32)> = None;
        let mut memo: Option<(u32, NaiveDate, Option<u32>)> = None;
        for r in 0..b.num_rows() {
            // A run of one site: the previous row's dictionary code says so unread.
            let s = match last {
                Some((row, n, s)) if sites.same_code(row, r) => {
                    last = Some((r, n, s));
                    s
                }
                _ => {
                    let Some(name) = sites.get(r) else {
                        continue;
                    };
                    let s = match last {
                        Some((_, n, s)) if n == name => s,
                        _ => match acc.site_index.get(name) {
                            Some(s) => *s,
                            None => {
                                let s = u32::try_from(acc.sites.len()).unwrap_or(u32::MAX);
                                acc.sites.push(self.scan.site(name, &self.replaced));
                                acc.group_of.push(Vec::new());
                                acc.site_index.insert(name.to_string(), s);
                                s
                            }
                        },
                    };
                    last = Some((r, name, s));
                    s
                }
            };
            let Some(t) = first_ts(&anchors, r) else {
                continue;
            };
            let site = &mut acc.sites[s as usize];
            let Some(day) = site.day(t) else { continue };
            // Rows come in runs of one site and day: the previous row's answer holds.
            let g = match memo {
                Some((ms, md, g)) if ms == s && md == day => g,
                _ => {
                    let g = self.visible_group(acc, s, day, batch_id);
                    memo = Some((s, day, g));
                    g
                }
            };
            let Some(g) = g else { continue };
            keep.push(r);
            keep_site.push(s);
            keep_group.push(g);
        }
        (!keep.is_empty()).then_some((keep, keep_site, keep_group))
    }

    /// The group of a site's day, when the day is in the period and rows of batch
    /// `batch_id` on it are not superseded.
    fn visible_group(
        &self,
        acc: &mut Acc<'c>,
        s: u32,
        day: NaiveDate,
        batch_id: i64,
    ) -> Option<u32> {
        if !self.scan.period.contains(day) {
            return None;
        }
        if acc.sites[s as usize]
            .replaced
            .and_then(|m| m.get(&day))
            .is_some_and(|w| batch_id < *w)
        {
            return None;
        }
        let offset = usize::try_from((day - self.scan.period.from).num_days()).unwrap_or(0);
        Some(acc.group(s, day, offset, self.days))
    }

    /// Adds the kept rows `keep` of a chunk (with their sites and groups).
    fn slice(
        &'c self,
        acc: &mut Acc<'c>,
        b: &RecordBatch,
        pos: u64,
        keep: &[usize],
        keep_site: &[u32],
        keep_group: &[u32],
    ) {
        let n = keep.len();
        let fields: Vec<Column<'_>> = self
            .kind
            .program
            .fields()
            .iter()
            .zip(&self.kind.sources)
            .zip(&self.present)
            .map(|((name, source), present)| match present {
                // Not read: only whether it has a value is ever tested.
                Some(bits) => vector::nums_by(keep.len(), |j| {
                    bits.get(pos + keep[j] as u64).then_some(0.0)
                }),
                None => self.field(b, name, *source, keep, keep_site, acc, pos),
            })
            .collect();
        let cols = self.kind.program.run(n, &fields);
        let masks: Vec<Vec<bool>> = self
            .kind
            .strata
            .iter()
            .map(|t| stratum_mask(t.as_ref(), &fields, n))
            .collect();
        // The rows each filter keeps, found once per filter node (indicators share them).
        let mut kept_by_filter: Vec<(Option<usize>, Vec<u32>)> = Vec::new();
        for (i, plan) in self.kind.plans.iter().enumerate() {
            let at = match kept_by_filter.iter().position(|(f, _)| *f == plan.filter) {
                Some(at) => at,
                None => {
                    let rows = kept_rows(plan.filter.map(|f| &*cols[f]), n);
                    kept_by_filter.push((plan.filter, rows));
                    kept_by_filter.len() - 1
                }
            };
            let rows = &kept_by_filter[at].1;
            if let Part::Ratio(_) | Part::Plain = plan.part {
                // Ratios and plain counts add only a hit: no row value to check.
                let cond = match plan.part {
                    Part::Ratio(c) => Some(&*cols[c]),
                    _ => None,
                };
                for (line, s) in &plan.lines {
                    add_hits(&mut acc.states[*line], rows, &masks[*s], keep_group, cond);
                }
                continue;
            }
            for &j in rows {
                let j = j as usize;
                let g = keep_group[j];
                let obs = match observation(plan.part, &cols, j) {
                    Some(o) => o,
                    None => {
                        let unclassified = plan.lines.iter().filter(|(_, s)| masks[*s][j]).count();
                        *acc.problems.entry((i, UNCLASSIFIED)).or_default() += unclassified as u64;
                        continue;
                    }
                };
                for (line, s) in &plan.lines {
                    if !masks[*s][j] {
                        continue;
                    }
                    if let Err(e) = acc.states[*line][g as usize].observe(&obs) {
                        *acc.problems.entry((i, problem_kind(&e))).or_default() += 1;
                    }
                }
            }
        }
    }

    /// The column of a field over the kept rows.
    #[allow(clippy::too_many_arguments, reason = "the chunk's parts, borrowed")]
    pub(super) fn field<'b>(
        &self,
        b: &'b RecordBatch,
        name: &str,
        source: Source,
        keep: &[usize],
        keep_site: &[u32],
        acc: &Acc<'_>,
        pos: u64,
    ) -> Column<'b> {
        match source {
            Source::Stored => stored(b.column_by_name(name), keep),
            Source::Flag(i) => match self.flags.get(i).and_then(Option::as_ref) {
                Some(bits) => Column::Bools(
                    keep.iter()
                        .map(|r| u8::from(bits.get(pos + *r as u64)))
                        .collect(),
                ),
                None => Column::Same(Cell::Null),
            },
            Source::AreaClass => {
                let own = stored(b.column_by_name(name), keep);
                Column::Rows(
                    (0..keep.len())
                        .map(|j| match own.at(j) {
                            Cell::Null => acc.sites[keep_site[j] as usize]
                                .area
                                .map_or(Cell::Null, |a| Cell::Str(a.as_str())),
                            c => c,
                        })
                        .collect(),
                )
            }
            Source::OpenDays => {
                let answered = ts_columns(b, &["answered_at"]);
                let received = ts_columns(b, &["received_at"]);
                vector::nums_by(keep.len(), |j| {
                    let (r, s) = (keep[j], keep_site[j]);
                    match (first_ts(&answered, r), first_ts(&received, r)) {
                        #[allow(
                            clippy::cast_precision_loss,
                            reason = "millisecond spans are far below 2^53"
                        )]
                        (None, Some(rec)) => Some(
                            acc.sites[s as usize].period_end.saturating_sub(rec) as f64
                                / 86_400_000.0,
                        ),
                        _ => None,
                    }
                })
            }
            Source::ElapsedH | Source::WorkingDays => {
                let created = ts_columns(b, &["created_at"]);
                let completed = ts_columns(b, &["completed_at"]);
                let pause = stored(b.column_by_name("pause_s"), keep);
                vector::nums_by(keep.len(), |j| {
                    let (r, s) = (keep[j], keep_site[j]);
                    let (Some(a), Some(z)) = (first_ts(&created, r), first_ts(&completed, r))
                    else {
                        return None;
                    };
                    if matches!(source, Source::WorkingDays) {
                        return working_days(acc.sites[s as usize].calendar, a, z);
                    }
                    let pause_ms = pause.at(j).num().map_or(0.0, |p| p * 1000.0);
                    #[allow(
                        clippy::cast_precision_loss,
                        reason = "millisecond spans are far below 2^53"
                    )]
                    let span = (z - a) as f64;
                    Some(((span - pause_ms) / 3_600_000.0).max(0.0))
                })
            }
        }
    }
}

/// The rows (of `n`) a filter keeps: those where it is TRUE; every row without one.
fn kept_rows(filter: Option<&Column<'_>>, n: usize) -> Vec<u32> {
    let index = |j: usize| u32::try_from(j).unwrap_or(u32::MAX);
    match filter {
        None => (0..n).map(index).collect(),
        Some(c) => match c.truths(n) {
            Some(t) => {
                // Every row's index is written, and the end moves on only past kept
                // rows: no branch to mispredict on filters that keep about half.
                let mut out = vec![0u32; t.len()];
                let mut kept = 0;
                for (j, v) in t.iter().enumerate() {
                    if let Some(o) = out.get_mut(kept) {
                        *o = index(j);
                    }
                    kept += usize::from(*v == TRUE);
                }
                out.truncate(kept);
                out
            }
            None => (0..n).filter(|j| c.at(*j).is_true()).map(index).collect(),
        },
    }
}

/// Adds the kept `rows` in a stratum (`mask`) to a ratio's or count's states by group: a
/// hit where `cond` is TRUE (never without one). Consecutive rows of one group (a site's
/// day) are added at once.
fn add_hits(
    states: &mut [MeasureState],
    rows: &[u32],
    mask: &[bool],
    groups: &[u32],
    cond: Option<&Column<'_>>,
) {
    let truths = cond.and_then(|c| c.truths(mask.len()));
    let hit = |j: usize| match (truths, cond) {
        (Some(t), _) => t[j] == TRUE,
        (None, Some(c)) => c.at(j).is_true(),
        (None, None) => false,
    };
    let mut flush = |run: Option<(u32, u64, u64)>| {
        if let Some((g, rows, hits)) = run
            && let Some(state) = states.get_mut(g as usize)
        {
            state.observe_hits(rows, hits);
        }
    };
    let mut run: Option<(u32, u64, u64)> = None;
    for &j in rows {
        let j = j as usize;
        if !mask[j] {
            continue;
        }
        let (g, h) = (groups[j], u64::from(hit(j)));
        match &mut run {
            Some((rg, rows, hits)) if *rg == g => {
                *rows += 1;
                *hits += h;
            }
            _ => flush(run.replace((g, 1, h))),
        }
    }
    flush(run);
}

fn working_days(cal: Option<&BusinessCalendar>, a: i64, z: i64) -> Option<f64> {
    let (Some(cal), Some(start), Some(end)) = (
        cal,
        DateTime::from_timestamp_millis(a),
        DateTime::from_timestamp_millis(z),
    ) else {
        return None;
    };
    clock::working_days(cal, start, end, &[])
        .ok()
        .map(f64::from)
}

/// A stored column's values on the kept rows, typed; NULL everywhere when the file
/// lacks it.
pub(super) fn stored<'b>(col: Option<&'b ArrayRef>, keep: &[usize]) -> Column<'b> {
    let Some(col) = col else {
        return Column::Same(Cell::Null);
    };
    let valid = |a: &dyn Array| -> Vec<bool> {
        // The validity bitmap, taken once (see `mark_present`).
        match a.nulls().filter(|n| n.null_count() > 0) {
            None => vec![true; keep.len()],
            Some(n) => keep.iter().map(|r| n.is_valid(*r)).collect(),
        }
    };
    match col.data_type() {
        DataType::Dictionary(_, _) => {
            let Some(d) = col.as_dictionary_opt::<Int32Type>() else {
                return Column::Same(Cell::Null);
            };
            let Some(values) = d.values().as_string_opt::<i32>() else {
                return Column::Same(Cell::Null);
            };
            let keys = d.keys();
            let raw = keys.values();
            let code = |r: usize| u32::try_from(raw[r]).unwrap_or(NULL_CODE);
            let codes = if keys.null_count() == 0 {
                keep.iter().map(|r| code(*r)).collect()
            } else {
                keep.iter()
                    .map(|r| {
                        if keys.is_null(*r) {
                            NULL_CODE
                        } else {
                            code(*r)
                        }
                    })
                    .collect()
            };
            Column::Dict(codes, values)
        }
        DataType::Utf8 => {
            let a = col.as_string::<i32>();
            Column::Rows(
                keep.iter()
                    .map(|r| {
                        if a.is_null(*r) {
                            Cell::Null
                        } else {
                            Cell::Str(a.value(*r))
                        }
                    })
                    .collect(),
            )
        }
        DataType::Timestamp(_, _) => match col.as_primitive_opt::<TimestampMillisecondType>() {
            Some(a) => {
                let v = a.values();
                Column::Times(keep.iter().map(|r| v[*r]).collect(), valid(a))
            }
            None => Column::Same(Cell::Null),
        },
        #[allow(clippy::cast_precision_loss, reason = "record integers are small")]
        DataType::Int64 => {
            let a = col.as_primitive::<Int64Type>();
            let v = a.values();
            Column::Nums(keep.iter().map(|r| v[*r] as f64).collect(), valid(a))
        }
        DataType::Float64 => {
            let a = col.as_primitive::<Float64Type>();
            let v = a.values();
            Column::Nums(keep.iter().map(|r| v[*r]).collect(), valid(a))
        }
        DataType::Boolean => {
            let a = col.as_boolean();
            Column::Bools(
                keep.iter()
                    .map(|r| {
                        if a.is_null(*r) {
                            UNKNOWN
                        } else {
                            u8::from(a.value(*r))
                        }
                    })
                    .collect(),
            )
        }
        _ => Column::Same(Cell::Null),
    }
}

/// Which of `n` rows are in a stratum: every condition holds (text equal to the wanted
/// value, or NULL where NULL counts as it); decided once per dictionary entry.
fn stratum_mask(
    test: Option<&Vec<(usize, String, bool)>>,
    fields: &[Column<'_>],
    n: usize,
) -> Vec<bool> {
    let Some(parts) = test else {
        return vec![false; n];
    };
    let mut mask = vec![true; n];
    for (slot, want, null_matches) in parts {
        let holds = |c: Cell<'_>| match c {
            Cell::Str(s) => s == want,
            Cell::Null => *null_matches,
            _ => false,
        };
        match fields.get(*slot) {
            Some(Column::Dict(codes, values)) if codes.len() >= n && values.len() <= n.max(64) => {
                let table: Vec<bool> = (0..values.len())
                    .map(|k| {
                        holds(vector::dict_cell(
                            values,
                            u32::try_from(k).unwrap_or(NULL_CODE),
                        ))
                    })
                    .collect();
                let null = holds(Cell::Null);
                for (m, c) in mask.iter_mut().zip(codes) {
                    *m &= table.get(*c as usize).copied().unwrap_or(null);
                }
            }
            Some(c) => {
                for (j, m) in mask.iter_mut().enumerate() {
                    *m &= holds(c.at(j));
                }
            }
            None => {
                if !holds(Cell::Null) {
                    return vec![false; n];
                }
            }
        }
    }
    mask
}

/// What one row adds to an indicator's state (core's `observe`); `None` for a contact
/// that is neither answered, abandoned nor IVR-contained. `slice` adds ratios and counts
/// by runs (`add_hits`) instead; their arms here state the same rule for one row.
fn observation(part: Part, cols: &[Cow<'_, Column<'_>>], j: usize) -> Option<Obs> {
    let num = |n: usize| cols[n].at(j).num();
    let with_value = |o: Obs, v: Option<f64>| match v {
        Some(v) => o.with_value(v),
        None => o,
    };
    Some(match part {
        Part::Ratio(c) => Obs::new().with_hit(cols[c].at(j).is_true()),
        Part::Mean(v) => with_value(Obs::new(), num(v)),
        Part::Percentile(v) => with_value(Obs::new(), num(v)).with_histogram(),
        Part::ShareWithin(v, limit) => Obs::new().with_hit(num(v).is_some_and(|v| v <= limit)),
        Part::Plain => Obs::new(),
        Part::RatioOfSums(a, b) => match (num(a), num(b)) {
            (Some(a), Some(b)) => Obs::new().with_value(a).with_den(b),
            _ => Obs::new(),
        },
        Part::Sl {
            ivr,
            wait,
            answered,
            abandoned,
            threshold,
            short,
        } => {
            let class = sl_class(
                threshold,
                short,
                cols[ivr].at(j).is_true(),
                cols[answered].at(j).is_true(),
                cols[abandoned].at(j).is_true(),
                num(wait),
            )?;
            Obs::new().with_sl(class)
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::DictionaryArray;

    use super::*;

    #[test]
    fn unit_bitmaps_land_at_their_scan_positions() {
        // Two units' presence bits put into one bitmap of 200 positions: a unit of 70
        // rows at 0 with rows 0, 63, 64 and 69 present; a unit of 130 rows at 70 (not
        // on a word boundary) with its rows 0, 57, 58 and 129 present, i.e. positions
        // 70, 127, 128 and 199. The two words of the second unit straddle the global
        // words: bit 58 of its first word lands at 128, the next global word.
        let mut bits = Bits::none(200);
        assert_eq!(bits.0.len(), 4);
        bits.or_at(0, &[1 | 1 << 63, 1 | 1 << 5]);
        bits.or_at(70, &[1 | 1 << 57 | 1 << 58, 0, 1 << 1]);
        let set: Vec<u64> = (0..200).filter(|p| bits.get(*p)).collect();
        assert_eq!(set, [0, 63, 64, 69, 70, 127, 128, 199]);
    }

    fn row(group: u64, pos: u64) -> KeyRow {
        KeyRow::new(group, 0, None, pos)
    }

    #[test]
    fn rows_placed_by_part_keep_every_row_in_its_part() {
        // Groups with high halves 0, 1 << 31 and u32::MAX over 4 parts fall in parts 0, 2
        // and 3 (`partition_of` takes (high × 4) >> 32): 0, 2 and 3.99… → 3.
        let rows = vec![
            row(u64::MAX, 0),
            row(0, 1),
            row(1 << 63, 2),
            row(5, 3),
            row(u64::MAX - 1, 4),
        ];
        let parted = by_part(&rows, 4);
        let positions = |p: usize| parted.part(p).iter().map(|r| r.pos).collect::<Vec<_>>();
        assert_eq!(positions(0), [1, 3]);
        assert!(positions(1).is_empty());
        assert_eq!(positions(2), [2]);
        assert_eq!(positions(3), [0, 4]);
        assert!(parted.part(4).is_empty(), "no part past the last");
    }

    #[test]
    fn dictionary_text_reads_as_codes_and_nulls() {
        // Keys [1, NULL, 0, 1] into ["voice", "chat"]: chat, NULL, voice, chat.
        let keys = PrimitiveArray::<Int32Type>::from(vec![Some(1), None, Some(0), Some(1)]);
        let values = Arc::new(StringArray::from(vec!["voice", "chat"]));
        let dict: ArrayRef = Arc::new(DictionaryArray::new(keys, values));
        let batch = RecordBatch::try_from_iter([("channel", Arc::clone(&dict))]).expect("batch");
        let texts = text(&batch, "channel").expect("a text column");
        let got: Vec<Option<&str>> = (0..4).map(|r| texts.get(r)).collect();
        assert_eq!(got, [Some("chat"), None, Some("voice"), Some("chat")]);
        // Kept rows 3, 1, 2 as a column: codes 1, NULL, 0.
        let col = stored(Some(&dict), &[3, 1, 2]);
        assert!(matches!(&col, Column::Dict(codes, _) if codes == &[1, NULL_CODE, 0]));
        let cells: Vec<Cell<'_>> = (0..3).map(|j| col.at(j)).collect();
        assert_eq!(cells, [Cell::Str("chat"), Cell::Null, Cell::Str("voice")]);
        // A stratum on it: only the rows whose text is "chat".
        assert_eq!(
            stratum_mask(Some(&vec![(0, "chat".to_string(), false)]), &[col], 3),
            [true, false, false]
        );
        // Rows 0 and 3 share code 1; row 1 is NULL, so it matches nothing, itself
        // included; past the end nothing matches. A plain column never says "same".
        assert!(texts.same_code(0, 3));
        assert!(!texts.same_code(0, 2));
        assert!(!texts.same_code(1, 1));
        assert!(!texts.same_code(0, 1));
        assert!(!texts.same_code(3, 4));
        let plain = StringArray::from(vec!["chat", "chat"]);
        assert!(!Texts::Plain(&plain).same_code(0, 1));
    }
}

#[cfg(test)]
mod pruning_tests {
    use std::sync::Arc;

    use arrow_array::TimestampMillisecondArray;
    use arrow_schema::{Field, TimeUnit};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::{EnabledStatistics, WriterProperties};
    use parquet::schema::types::ColumnPath;

    use super::*;

    /// A file of one row group with three instant columns: `a` holding 1 000 and 2 000
    /// (ms), `b` all NULL, and `c` holding 5 000 but written without statistics.
    fn footer(dir: &std::path::Path) -> ArrowReaderMetadata {
        let ts = || DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", ts(), true),
            Field::new("b", ts(), true),
            Field::new("c", ts(), true),
        ]));
        let column = |v: [Option<i64>; 2]| -> ArrayRef {
            Arc::new(TimestampMillisecondArray::from(v.to_vec()).with_timezone("UTC"))
        };
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                column([Some(1_000), Some(2_000)]),
                column([None, None]),
                column([Some(5_000), None]),
            ],
        )
        .expect("batch");
        let props = WriterProperties::builder()
            .set_column_statistics_enabled(ColumnPath::from("c"), EnabledStatistics::None)
            .build();
        let path = dir.join("f.parquet");
        let mut w = ArrowWriter::try_new(File::create(&path).expect("create"), schema, Some(props))
            .expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
        ArrowReaderMetadata::load(
            &File::open(&path).expect("open"),
            ArrowReaderOptions::default(),
        )
        .expect("footer")
    }

    #[test]
    fn a_row_group_is_skipped_only_when_its_ranges_say_so() {
        let dir = tempfile::tempdir().expect("temp dir");
        let meta = footer(dir.path());
        // `a` spans 1 000..=2 000: it meets a range touching it, at either end, and
        // nothing wholly before or after it.
        assert!(may_hold(&meta, 0, &["a"], 2_000, 9_000));
        assert!(may_hold(&meta, 0, &["a"], 0, 1_000));
        assert!(!may_hold(&meta, 0, &["a"], 2_001, 9_000));
        assert!(!may_hold(&meta, 0, &["a"], 0, 999));
        // All NULL: holds no instant. A column the file lacks: none either.
        assert!(!may_hold(&meta, 0, &["b"], i64::MIN, i64::MAX));
        assert!(!may_hold(&meta, 0, &["missing"], i64::MIN, i64::MAX));
        // No statistics: might hold anything, so it is read.
        assert!(may_hold(&meta, 0, &["c"], 10_000, 20_000));
        // Several fields: one that meets the range is enough.
        assert!(may_hold(&meta, 0, &["b", "a"], 1_500, 1_500));
        assert!(!may_hold(&meta, 0, &["b", "a", "missing"], 3_000, 4_000));
    }
}
