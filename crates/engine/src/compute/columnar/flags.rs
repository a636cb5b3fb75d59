//! The cross-row repeat flags: a projected pass over the files gathers the key of every
//! visible row (placed by part of the groups, on the workers that read them), each part
//! is flagged on its own, and for grouping fields the indicators only test for NULL the
//! pass records which rows have a value.

use std::collections::HashMap;

use arrow_array::{Array, RecordBatch};
use chrono::NaiveDate;
use parquet::arrow::arrow_reader::ArrowReaderMetadata;

use super::columns::{Texts, first_ts, text, ts_columns};
use super::files::{Unit, read_projected};
use super::scan::Site;
use super::{on_workers, workers};
use crate::compute::{ComputeError, Scan};
use crate::derived::{KeyRow, RepeatSpec, flag_repeats, partition_of};
use crate::schema::anchor_fields;

/// A set of scan positions as a bitmap: one bit per row read.
pub(super) struct Bits(Vec<u64>);

impl Bits {
    /// The bitmap of a list of positions.
    pub(super) fn of(positions: &[u64]) -> Bits {
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
    pub(super) fn none(n: u64) -> Bits {
        Bits(vec![0; usize::try_from(n.div_ceil(64)).unwrap_or(0)])
    }

    /// Sets the positions from `at` on that `words` (bit i = position `at + i`) sets.
    pub(super) fn or_at(&mut self, at: u64, words: &[u64]) {
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

    pub(super) fn get(&self, p: u64) -> bool {
        usize::try_from(p / 64)
            .ok()
            .and_then(|i| self.0.get(i))
            .is_some_and(|w| w & (1 << (p % 64)) != 0)
    }
}

/// How many parts the rows of a repeat flag are split into (by group): enough that one
/// part's rows (about 32 k, 1.3 MB) sort within the cores' caches, and more than the
/// workers so that one large part does not leave a core idle.
pub(super) fn flag_parts(metas: &[ArrowReaderMetadata]) -> usize {
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
pub(super) struct Parted {
    rows: Vec<KeyRow>,
    starts: Vec<usize>,
    /// The earliest and latest window start of the rows of the period among them
    /// (`(i64::MAX, i64::MIN)` when none has one): a row of another unit matters to
    /// their flags only between the two, plus the window.
    pub(super) period_starts: (i64, i64),
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
pub(super) fn flag_in_parts(
    per_unit: &[Parted],
    parts: usize,
    days: i64,
) -> Result<Vec<u64>, ComputeError> {
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

/// The keys of every visible row for one repeat flag, with scan positions, per unit and
/// within it per part of the groups (`partition_of`, `parts` parts). Also, per unit and
/// per field of `record` (grouping fields, read anyway), which of the unit's rows have a
/// value: bit i of the words is the unit's row i.
#[allow(
    clippy::type_complexity,
    reason = "per unit: its key rows and one bitmap per field"
)]
pub(super) fn key_rows(
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

/// The same hash of the grouping strings as the row-level reference; `None` when one is
/// missing (no evidence of a repeat).
fn hash_group(cols: &[Option<Texts<'_>>], r: usize) -> Option<u64> {
    crate::fnv::group_hash(cols.iter().map(|c| c.and_then(|c| c.get(r))))
}

#[cfg(test)]
mod tests {
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
}
