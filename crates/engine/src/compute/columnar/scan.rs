//! The main pass over one kind: the context its workers share (superseded days, flags,
//! the period's row groups), sites and their local days, and which rows of a chunk are
//! visible in the period, before their states are added (`states`).

use std::collections::HashMap;

use arrow_array::RecordBatch;
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use parquet::arrow::arrow_reader::ArrowReaderMetadata;
use yardstick_core::calendar::BusinessCalendar;
use yardstick_core::vocab::AreaClass;

use super::columns::{first_ts, text, ts_columns};
use super::compile::{Kind, Source};
use super::files::{Unit, in_period, may_hold, period_files, read_projected, units};
use super::flags::{Bits, Parted, flag_in_parts, flag_parts, key_rows};
use super::states::Acc;
use crate::compute::{ComputeError, Scan};
use crate::derived::repeat_specs;
use crate::schema::anchor_fields;

/// Rows evaluated together: small enough that every node's column stays in cache.
const SLICE_ROWS: usize = 1_024;

/// One site as a worker sees it.
pub(in crate::compute) struct Site<'c> {
    pub(in crate::compute) name: String,
    tz: Tz,
    pub(super) calendar: Option<&'c BusinessCalendar>,
    pub(super) area: Option<AreaClass>,
    pub(super) period_end: i64,
    pub(super) replaced: Option<&'c HashMap<NaiveDate, i64>>,
    /// Local days met so far, as UTC ranges [start, end) sorted by start, and the index
    /// of the last one used.
    windows: Vec<(i64, i64, NaiveDate)>,
    last: usize,
}

impl Site<'_> {
    /// The local day of an instant at the site.
    pub(super) fn day(&mut self, t: i64) -> Option<NaiveDate> {
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
pub(in crate::compute) fn local_midnight(tz: Tz, day: NaiveDate, latest: bool) -> Option<i64> {
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
pub(in crate::compute) struct Shared<'s, 'c> {
    pub(in crate::compute) scan: &'s Scan<'c>,
    pub(super) kind: &'s Kind<'s>,
    replaced: HashMap<String, HashMap<NaiveDate, i64>>,
    pub(super) flags: Vec<Option<Bits>>,
    /// Per field slot: for a field only tested for NULL that the repeat-flag pass read,
    /// which scan positions have a value. The main pass does not read such a field.
    pub(super) present: Vec<Option<Bits>>,
    /// The row groups that can hold rows of the period (`in_period`), in scan order.
    pub(in crate::compute) units: Vec<Unit>,
    /// Each file's footer, by index into the scan's files.
    pub(in crate::compute) metas: Vec<ArrowReaderMetadata>,
    days: usize,
}

impl<'s, 'c> Shared<'s, 'c> {
    /// The kind's context: superseded days per site, and the cross-row flags its
    /// indicators use.
    pub(in crate::compute) fn new(
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
    pub(in crate::compute) fn period_units(&self) -> Vec<Unit> {
        self.units.clone()
    }
}

impl Scan<'_> {
    pub(super) fn site<'c>(
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

impl<'c> Shared<'_, 'c> {
    /// The columns every field needs.
    #[cfg(feature = "datafusion")]
    pub(in crate::compute) fn wanted(&self) -> Vec<&str> {
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

    pub(super) fn unit(&'c self, acc: &mut Acc<'c>, unit: Unit) -> Result<(), ComputeError> {
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
    pub(in crate::compute) fn select(
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
}
