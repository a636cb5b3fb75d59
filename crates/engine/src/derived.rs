//! Derived fields: values the engine computes from other rows, declared in core's record
//! kinds (e.g. "the same customer contacted again on the same issue within 7 days").
//!
//! Cross-row flags are computed in one sorted pass over compact keys (group hash, times,
//! row position), so memory grows with 32 bytes per row, not with whole rows. A row
//! without the grouping keys is never flagged: there is no evidence of a repeat.

use yardstick_core::records::RecordKind;

/// How one cross-row flag is defined.
#[derive(Debug, Clone, Copy)]
pub struct RepeatSpec {
    /// Derived field name.
    pub field: &'static str,
    /// Fields that identify "the same" customer/issue/line.
    pub group: &'static [&'static str],
    /// When a later row happened (first non-null).
    pub at: &'static [&'static str],
    /// Start of the window for this row (first non-null); the window is (start, start + days].
    pub from: &'static [&'static str],
    /// Window length in days.
    pub days: i64,
    /// Only rows with this field value take part (e.g. repairs).
    pub only: Option<(&'static str, &'static str)>,
}

/// The cross-row flags of a kind.
#[must_use]
pub fn repeat_specs(kind: RecordKind) -> &'static [RepeatSpec] {
    match kind {
        RecordKind::HallTicket => &[RepeatSpec {
            field: "revisit_7d",
            group: &["customer_key", "request_key"],
            at: &["issued_at"],
            from: &["issued_at"],
            days: 7,
            only: None,
        }],
        RecordKind::Contact => &[RepeatSpec {
            field: "repeat_7d",
            group: &["customer_key", "issue_class"],
            at: &[
                "queue_entry_at",
                "ivr_entry_at",
                "answered_at",
                "abandoned_at",
                "end_at",
            ],
            from: &[
                "queue_entry_at",
                "ivr_entry_at",
                "answered_at",
                "abandoned_at",
                "end_at",
            ],
            days: 7,
            only: None,
        }],
        RecordKind::WorkOrder => &[
            RepeatSpec {
                field: "repeat_30d",
                group: &["line_key"],
                at: &["created_at"],
                from: &["completed_at"],
                days: 30,
                only: Some(("kind", "repair")),
            },
            RepeatSpec {
                field: "revisit_30d",
                group: &["customer_key", "kind"],
                at: &["created_at"],
                from: &["completed_at"],
                days: 30,
                only: None,
            },
        ],
        RecordKind::Complaint => &[RepeatSpec {
            field: "repeat_30d",
            group: &["customer_key", "issue_key"],
            at: &["received_at"],
            from: &["received_at"],
            days: 30,
            only: None,
        }],
        RecordKind::Survey | RecordKind::SubscriberBase | RecordKind::AgentInterval => &[],
    }
}

/// One row's keys for a repeat flag: 32 bytes.
#[derive(Debug, Clone, Copy)]
pub struct KeyRow {
    /// Hash of the grouping fields.
    pub group: u64,
    /// When the row happened (ms).
    pub at: i64,
    /// Window start (ms), or [`NO_START`] when unknown (kept as a plain number, not an
    /// `Option`, so that a row takes 32 bytes instead of 40).
    start: i64,
    /// Position of the row in the scan (a running counter over every row read).
    pub pos: u64,
}

/// The window start of a row that has none: no instant in the record range (chrono's
/// dates end about 262 000 years from 1970) is this many milliseconds.
const NO_START: i64 = i64::MIN;

impl KeyRow {
    /// A row's keys: group hash, time, window start (if known), scan position.
    #[must_use]
    pub const fn new(group: u64, at: i64, from: Option<i64>, pos: u64) -> KeyRow {
        KeyRow {
            group,
            at,
            start: match from {
                Some(f) => f,
                None => NO_START,
            },
            pos,
        }
    }

    /// Start of the window for this row, if known.
    #[must_use]
    pub const fn window_start(&self) -> Option<i64> {
        if self.start == NO_START {
            None
        } else {
            Some(self.start)
        }
    }
}

/// Positions of rows that have a later row of the same group inside their window, in
/// no particular order.
///
/// Rows of different groups never affect each other, so the rows may be split by group
/// (see [`partition_of`]) and each part flagged on its own: the union is the same.
#[must_use]
pub fn flag_repeats(rows: Vec<KeyRow>, days: i64) -> Vec<u64> {
    let window = days * 86_400_000;
    // The rows of each group are chained (`next`, newest first) from the group's head in
    // an open-addressing table keyed by the group hash, whose low bits pick the slot
    // (they are spread: the hash ends with a mixing round, and `partition_of` uses the
    // high ones). Linear in the rows, where putting them in group order by sorting was
    // not; a group of one row, the most common kind, is skipped without looking at its
    // times.
    let slots = (rows.len() * 2).next_power_of_two().max(16);
    let mask = slots - 1;
    let mut heads: Vec<(u64, usize)> = vec![(0, NONE); slots];
    let mut next: Vec<usize> = vec![NONE; rows.len()];
    for (i, r) in rows.iter().enumerate() {
        #[allow(clippy::cast_possible_truncation, reason = "the hash's low bits")]
        let mut slot = (r.group as usize) & mask;
        loop {
            let (group, head) = heads[slot];
            if head == NONE {
                heads[slot] = (r.group, i);
                break;
            }
            if group == r.group {
                next[i] = head;
                heads[slot].1 = i;
                break;
            }
            slot = (slot + 1) & mask;
        }
    }
    let mut out = Vec::new();
    let mut run: Vec<KeyRow> = Vec::new();
    for &(_, head) in &heads {
        if head == NONE || next[head] == NONE {
            continue;
        }
        run.clear();
        let mut i = head;
        while i != NONE {
            run.push(rows[i]);
            i = next[i];
        }
        flag_group(&mut run, window, &mut out);
    }
    out
}

/// The end of a chain of rows, and an empty slot.
const NONE: usize = usize::MAX;

/// Flags the rows of one group that have a later row inside their window.
fn flag_group(run: &mut [KeyRow], window: i64, out: &mut Vec<u64>) {
    // Positions are unique, so the order is total and an unstable sort is deterministic.
    run.sort_unstable_by_key(|r| (r.at, r.pos));
    for (i, r) in run.iter().enumerate() {
        let Some(from) = r.window_start() else {
            continue;
        };
        for later in run[i + 1..].iter().take_while(|l| l.at <= from + window) {
            if later.at > from {
                out.push(r.pos);
                break;
            }
        }
    }
}

/// The part (of `parts`) a row's group belongs to when flagging is split: every row of a
/// group lands in the same part. Uses the hash's high bits (the low bits order the sort).
#[must_use]
pub fn partition_of(group: u64, parts: usize) -> usize {
    let parts = u64::try_from(parts.max(1)).unwrap_or(1);
    // (group >> 32) * parts >> 32 is below `parts`; the cast back cannot truncate.
    usize::try_from(((group >> 32) * parts) >> 32).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn a_repeat_inside_the_window_flags_only_the_earlier_row() {
        // Customer group 1: contacts on day 0, day 3 and day 20. Day 0 → day 3 is a repeat
        // within 7 days (flag pos 0); day 3 → day 20 is not (17 days); day 20 has none.
        // Group 2: one contact on day 1, never flagged.
        let rows = vec![
            KeyRow::new(1, 0, Some(0), 0),
            KeyRow::new(1, 3 * DAY, Some(3 * DAY), 1),
            KeyRow::new(1, 20 * DAY, Some(20 * DAY), 2),
            KeyRow::new(2, DAY, Some(DAY), 3),
        ];
        let flags = flag_repeats(rows, 7);
        assert_eq!(flags, vec![0]);
    }

    #[test]
    fn the_window_starts_at_completion_for_repeat_faults() {
        // A repair created day 0 and completed day 5; the next fault on the line is reported
        // day 34: 29 days after completion → repeat within 30 days. A fault reported before
        // the completion (day 4) does not count as a repeat of it.
        let rows = vec![
            KeyRow::new(9, 0, Some(5 * DAY), 10),
            KeyRow::new(9, 4 * DAY, None, 11),
            KeyRow::new(9, 34 * DAY, Some(35 * DAY), 12),
        ];
        assert_eq!(flag_repeats(rows, 30), vec![10]);
    }

    #[test]
    fn the_order_rows_arrive_in_does_not_change_the_flags() {
        // Group 5: day 0, day 2 (window start day 9, e.g. completed late), day 10 and a
        // second row on day 10 with a later position. Windows of 7 days: day 0 → day 2
        // is inside (flag 20); day 2's window (9, 16] holds the day-10 rows (flag 21);
        // the first day-10 row (pos 22) sees the second (pos 23) only if a row at the
        // same instant counted, and it does not (a repeat must come after the window
        // start): flagged {20, 21}. Groups 6 and 7 have one row each: never flagged.
        let rows = vec![
            KeyRow::new(5, 0, Some(0), 20),
            KeyRow::new(5, 2 * DAY, Some(9 * DAY), 21),
            KeyRow::new(5, 10 * DAY, Some(10 * DAY), 22),
            KeyRow::new(5, 10 * DAY, Some(10 * DAY), 23),
            KeyRow::new(6, DAY, Some(DAY), 24),
            KeyRow::new(7, DAY, Some(0), 25),
        ];
        for order in [rows.clone(), rows.iter().rev().copied().collect()] {
            let mut flags = flag_repeats(order, 7);
            flags.sort_unstable();
            assert_eq!(flags, vec![20, 21]);
        }
    }

    /// 400 rows over 37 groups (row p in group p % 37, its hash `hash(group)`), one row
    /// every 2 days per group: every row but each group's last has a repeat inside 7
    /// days.
    fn every_two_days(hash: impl Fn(u64) -> u64) -> Vec<KeyRow> {
        (0..400u64)
            .map(|p| {
                let at = i64::try_from(p / 37).unwrap_or(0) * 2 * DAY;
                KeyRow::new(hash(p % 37), at, Some(at), p)
            })
            .collect()
    }

    #[test]
    fn groups_whose_hashes_share_their_low_bits_stay_apart() {
        // Hashes that differ only above bit 40, so that every group wants the same slot
        // of the table. Row p is at day 2 × (p / 37): groups 0-29 have 11 rows (the last
        // at p = 370 + g), groups 30-36 have 10 (the last at p = 333 + g), so positions
        // 363-399 are the last rows and all others are flagged. Merged groups would also
        // flag the last rows of groups 30-36 (rows of other groups come 2 days later).
        let rows = every_two_days(|g| (g + 1) << 40);
        let mut flags = flag_repeats(rows, 7);
        flags.sort_unstable();
        let last_of_group: Vec<u64> = (363..400).collect();
        let want: Vec<u64> = (0..400).filter(|p| !last_of_group.contains(p)).collect();
        assert_eq!(flags, want);
    }

    #[test]
    fn flagging_split_by_group_gives_the_same_positions() {
        // Hashes spread over the whole u64 range: the flagged set is all positions except
        // the last row of each group, 400 - 37.
        let rows = every_two_days(|g| g.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut whole = flag_repeats(rows.clone(), 7);
        whole.sort_unstable();
        assert_eq!(whole.len(), 400 - 37);
        for parts in [1, 2, 3, 8] {
            let mut split: Vec<Vec<KeyRow>> = vec![Vec::new(); parts];
            for r in &rows {
                let p = partition_of(r.group, parts);
                assert!(p < parts);
                split[p].push(*r);
            }
            assert!(parts == 1 || split.iter().filter(|s| !s.is_empty()).count() > 1);
            let mut union: Vec<u64> = split.into_iter().flat_map(|s| flag_repeats(s, 7)).collect();
            union.sort_unstable();
            assert_eq!(union, whole, "{parts} parts");
        }
    }
}
