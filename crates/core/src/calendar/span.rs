//! Half-open spans of instants and the few set operations the clocks are built from.
//!
//! Every span is `[from, to)`: it contains `from` and not `to`, so two spans that touch
//! share no instant and durations add up exactly when a span is split. The helpers take
//! and return sorted, disjoint, non-empty spans ("normalised" lists) unless they say
//! otherwise; `union` is the one entry point that accepts arbitrary spans.

use chrono::{DateTime, TimeDelta, Utc};

/// A half-open span of instants `[from, to)` in UTC.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// Sorts and merges arbitrary spans into a normalised list: empty and reversed spans are
/// dropped, overlapping or touching spans become one.
pub(crate) fn union(spans: impl IntoIterator<Item = Span>) -> Vec<Span> {
    let mut all: Vec<Span> = spans.into_iter().filter(|(a, b)| a < b).collect();
    all.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(all.len());
    for (a, b) in all {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Clips a normalised list to `[lo, hi)`.
pub(crate) fn clip(spans: &[Span], lo: DateTime<Utc>, hi: DateTime<Utc>) -> Vec<Span> {
    spans
        .iter()
        .map(|&(a, b)| (a.max(lo), b.min(hi)))
        .filter(|(a, b)| a < b)
        .collect()
}

/// Total length of a normalised list.
pub(crate) fn total(spans: &[Span]) -> TimeDelta {
    spans
        .iter()
        .fold(TimeDelta::zero(), |acc, (a, b)| acc + (*b - *a))
}

/// The part of normalised list `a` that lies outside normalised list `b`.
pub(crate) fn subtract(a: &[Span], b: &[Span]) -> Vec<Span> {
    let mut out = Vec::with_capacity(a.len());
    // `j` only moves forward because both lists are sorted: a cut that ends before the
    // current piece also ends before every later piece.
    let mut j = 0;
    for &(from, to) in a {
        let mut cur = from;
        while j < b.len() && b[j].1 <= cur {
            j += 1;
        }
        let mut k = j;
        while k < b.len() && b[k].0 < to {
            if b[k].0 > cur {
                out.push((cur, b[k].0));
            }
            cur = cur.max(b[k].1);
            k += 1;
        }
        if cur < to {
            out.push((cur, to));
        }
    }
    out
}

/// Whether normalised list `spans` covers all of `[lo, hi)` (true for an empty span).
pub(crate) fn covers(spans: &[Span], lo: DateTime<Utc>, hi: DateTime<Utc>) -> bool {
    subtract(&[(lo, hi)], spans).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 1, h, 0, 0)
            .single()
            .expect("a valid UTC hour")
    }

    #[test]
    fn union_merges_overlapping_touching_and_drops_empty() {
        let u = union([
            (t(5), t(7)),
            (t(1), t(3)),
            (t(3), t(4)),
            (t(6), t(9)),
            (t(10), t(10)),
        ]);
        assert_eq!(u, vec![(t(1), t(4)), (t(5), t(9))]);
    }

    #[test]
    fn subtract_cuts_holes_and_edges() {
        let a = [(t(1), t(10)), (t(12), t(14))];
        let b = [(t(0), t(2)), (t(4), t(5)), (t(9), t(13))];
        assert_eq!(
            subtract(&a, &b),
            vec![(t(2), t(4)), (t(5), t(9)), (t(13), t(14))]
        );
    }

    #[test]
    fn clip_total_and_covers() {
        let a = [(t(1), t(4)), (t(5), t(9))];
        let c = clip(&a, t(2), t(6));
        assert_eq!(c, vec![(t(2), t(4)), (t(5), t(6))]);
        assert_eq!(total(&c), TimeDelta::hours(3));
        assert!(covers(&a, t(5), t(9)));
        assert!(!covers(&a, t(3), t(6)));
        assert!(covers(&a, t(20), t(20)));
    }
}
