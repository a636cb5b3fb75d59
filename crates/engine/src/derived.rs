//! Derived fields: values the engine computes from other rows, declared in core's record
//! kinds (e.g. "the same customer contacted again on the same issue within 7 days").
//!
//! Cross-row flags are computed in one sorted pass over compact keys (group hash, times,
//! row position), so memory grows with 40 bytes per row, not with whole rows. A row
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

/// One row's keys for a repeat flag.
#[derive(Debug, Clone, Copy)]
pub struct KeyRow {
    /// Hash of the grouping fields.
    pub group: u64,
    /// When the row happened (ms).
    pub at: i64,
    /// Window start (ms), if known.
    pub from: Option<i64>,
    /// Position of the row in the scan (a running counter over every row read).
    pub pos: u64,
}

/// Positions of rows that have a later row of the same group inside their window, in
/// no particular order.
///
/// Rows of different groups never affect each other, so the rows may be split by group
/// (see [`partition_of`]) and each part flagged on its own: the union is the same.
#[must_use]
pub fn flag_repeats(mut rows: Vec<KeyRow>, days: i64) -> Vec<u64> {
    // Positions are unique, so the order is total and an unstable sort is deterministic.
    rows.sort_unstable_by_key(|r| (r.group, r.at, r.pos));
    let window = days * 86_400_000;
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let Some(from) = r.from else { continue };
        for later in rows[i + 1..]
            .iter()
            .take_while(|l| l.group == r.group && l.at <= from + window)
        {
            if later.at > from {
                out.push(r.pos);
                break;
            }
        }
    }
    out
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
            KeyRow {
                group: 1,
                at: 0,
                from: Some(0),
                pos: 0,
            },
            KeyRow {
                group: 1,
                at: 3 * DAY,
                from: Some(3 * DAY),
                pos: 1,
            },
            KeyRow {
                group: 1,
                at: 20 * DAY,
                from: Some(20 * DAY),
                pos: 2,
            },
            KeyRow {
                group: 2,
                at: DAY,
                from: Some(DAY),
                pos: 3,
            },
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
            KeyRow {
                group: 9,
                at: 0,
                from: Some(5 * DAY),
                pos: 10,
            },
            KeyRow {
                group: 9,
                at: 4 * DAY,
                from: None,
                pos: 11,
            },
            KeyRow {
                group: 9,
                at: 34 * DAY,
                from: Some(35 * DAY),
                pos: 12,
            },
        ];
        assert_eq!(flag_repeats(rows, 30), vec![10]);
    }

    #[test]
    fn flagging_split_by_group_gives_the_same_positions() {
        // 400 rows over 37 groups (hashes spread over the whole u64 range), one row every
        // 2 days per group, so every row but each group's last has a repeat inside 7 days:
        // the flagged set is all positions except the last row of each group, 400 - 37.
        let rows: Vec<KeyRow> = (0..400u64)
            .map(|p| {
                let g = p % 37;
                let at = i64::try_from(p / 37).unwrap_or(0) * 2 * DAY;
                KeyRow {
                    group: g.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    at,
                    from: Some(at),
                    pos: p,
                }
            })
            .collect();
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
