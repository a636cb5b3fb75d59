//! Per-kind state accumulation: a worker's dense per-(site, day) states, the columns of
//! a slice of kept rows (stored, flagged or derived), and what each row adds to each
//! indicator line.

use std::borrow::Cow;
use std::collections::HashMap;

use arrow_array::RecordBatch;
use chrono::{DateTime, NaiveDate};
use yardstick_core::calendar::{BusinessCalendar, clock};
use yardstick_core::evaluate::StateKey;
use yardstick_core::guideline::sl_class;
use yardstick_core::measure::{MeasureState, Row as Obs};

use super::columns::{first_ts, stored, stratum_mask, ts_columns};
use super::compile::{Kind, Part, Source};
use super::scan::{Shared, Site};
use crate::compute::{Computed, Scan, UNCLASSIFIED, problem_kind};
use crate::vector::{self, Cell, Column, TRUE};

/// A worker's accumulated states.
pub(in crate::compute) struct Acc<'c> {
    pub(in crate::compute) sites: Vec<Site<'c>>,
    pub(super) site_index: HashMap<String, u32>,
    /// Per site, per day offset in the period: the group id (`u32::MAX` = none yet).
    pub(super) group_of: Vec<Vec<u32>>,
    pub(in crate::compute) groups: Vec<(u32, NaiveDate)>,
    /// Per line, per group.
    states: Vec<Vec<MeasureState>>,
    /// Rows left out, per (indicator position, why).
    problems: HashMap<(usize, &'static str), u64>,
    pub(super) scanned: u64,
}

impl<'c> Acc<'c> {
    pub(in crate::compute) fn new(kind: &Kind<'_>) -> Acc<'c> {
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

    pub(super) fn group(&mut self, site: u32, day: NaiveDate, offset: usize, days: usize) -> u32 {
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

    pub(super) fn into_computed(self, kind: &Kind<'_>, scan: &Scan<'_>, out: &mut Computed) {
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
    /// Adds the kept rows `keep` of a chunk (with their sites and groups).
    pub(super) fn slice(
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
    pub(in crate::compute) fn field<'b>(
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
