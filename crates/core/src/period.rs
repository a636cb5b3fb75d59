//! Evaluation periods: a month (`2026-10`), a quarter (`2026-Q3`), a half-year
//! (`2026-H1`), a year (`2026`), or an explicit inclusive day range
//! (`2026-10-01..2026-10-15`). Days are local days of each site's time zone.

use std::fmt;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// An inclusive range of days with the label the user wrote.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Period {
    /// Canonical label.
    pub label: String,
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
}

/// Why a period label was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid period `{input}`: {}; expected 2026-10, 2026-Q3, 2026-H1, 2026 or 2026-10-01..2026-10-15",
    crate::i18n::text(crate::vocab::Lang::En, .reason)
)]
pub struct PeriodError {
    /// What was given.
    pub input: String,
    /// What is wrong: a catalogue key (`period.reason.…`), so that every reader gets it
    /// in their language.
    pub reason: &'static str,
}

impl Period {
    /// Parses a period label.
    ///
    /// # Errors
    /// When the label has none of the accepted shapes or names an impossible date.
    pub fn parse(input: &str) -> Result<Period, PeriodError> {
        let s = input.trim();
        let fail = |reason: &'static str| PeriodError {
            input: input.to_string(),
            reason,
        };
        if let Some((a, b)) = s.split_once("..") {
            let from = day(a).ok_or_else(|| fail("period.reason.start"))?;
            let to = day(b).ok_or_else(|| fail("period.reason.end"))?;
            if to < from {
                return Err(fail("period.reason.order"));
            }
            return Ok(Period {
                label: format!("{from}..{to}"),
                from,
                to,
            });
        }
        let (year, rest) = match s.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (s, None),
        };
        let year: i32 = year.parse().map_err(|_| fail("period.reason.year"))?;
        if !(1970..=9999).contains(&year) {
            return Err(fail("period.reason.year_range"));
        }
        let (first_month, months) = match rest {
            None => (1, 12),
            Some(r) if r.starts_with('Q') => match r[1..].parse::<u32>() {
                Ok(q @ 1..=4) => (3 * q - 2, 3),
                _ => return Err(fail("period.reason.quarter")),
            },
            Some(r) if r.starts_with('H') => match r[1..].parse::<u32>() {
                Ok(h @ 1..=2) => (6 * h - 5, 6),
                _ => return Err(fail("period.reason.half")),
            },
            Some(r) => match r.parse::<u32>() {
                Ok(m @ 1..=12) if r.len() == 2 => (m, 1),
                _ => return Err(fail("period.reason.month")),
            },
        };
        let from = NaiveDate::from_ymd_opt(year, first_month, 1)
            .ok_or_else(|| fail("period.reason.no_month"))?;
        let to = from
            .checked_add_months(Months::new(months))
            .and_then(|d| d.pred_opt())
            .ok_or_else(|| fail("period.reason.range"))?;
        Ok(Period {
            label: s.to_string(),
            from,
            to,
        })
    }

    /// Number of days in the period.
    #[must_use]
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// Whether a day falls in the period.
    #[must_use]
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    /// The period of the same shape just before this one: the previous month, quarter,
    /// half-year or year, or for a day range the range of as many days ending the day
    /// before it starts.
    #[must_use]
    pub fn previous(&self) -> Option<Period> {
        if self.label.contains("..") {
            let to = self.from.pred_opt()?;
            let from = to - chrono::Days::new(u64::try_from(self.days() - 1).ok()?);
            return Some(Period {
                label: format!("{from}..{to}"),
                from,
                to,
            });
        }
        let months = match self.label.split_once('-').map(|(_, r)| r) {
            None => 12,
            Some(r) if r.starts_with('Q') => 3,
            Some(r) if r.starts_with('H') => 6,
            Some(_) => 1,
        };
        let from = self.from.checked_sub_months(Months::new(months))?;
        let label = match months {
            12 => format!("{}", from.year()),
            6 => format!("{}-H{}", from.year(), from.month().div_ceil(6)),
            3 => format!("{}-Q{}", from.year(), from.month().div_ceil(3)),
            _ => format!("{:04}-{:02}", from.year(), from.month()),
        };
        Period::parse(&label).ok()
    }

    /// The last full calendar month before `today` (for "evaluate the last full month").
    #[must_use]
    pub fn last_full_month(today: NaiveDate) -> Period {
        let first = today.with_day(1).unwrap_or(today);
        let start = first.checked_sub_months(Months::new(1)).unwrap_or(first);
        let label = format!("{:04}-{:02}", start.year(), start.month());
        Period {
            label,
            from: start,
            to: first.pred_opt().unwrap_or(first),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn the_previous_period_has_the_same_shape() {
        let prev = |s: &str| {
            Period::parse(s)
                .expect("period")
                .previous()
                .expect("previous")
                .label
        };
        assert_eq!(prev("2026-01"), "2025-12");
        assert_eq!(prev("2026-Q1"), "2025-Q4");
        assert_eq!(prev("2026-H2"), "2026-H1");
        assert_eq!(prev("2026"), "2025");
        // 2026-10-01..2026-10-15 is 15 days: the 15 days before it.
        assert_eq!(prev("2026-10-01..2026-10-15"), "2026-09-16..2026-09-30");
    }

    #[test]
    fn parses_every_shape() {
        let p = Period::parse("2026-10").expect("month");
        assert_eq!(
            (p.from, p.to, p.days()),
            (d(2026, 10, 1), d(2026, 10, 31), 31)
        );
        let q = Period::parse("2026-Q3").expect("quarter");
        // Q3 = July 1 .. September 30 = 31 + 31 + 30 = 92 days.
        assert_eq!(
            (q.from, q.to, q.days()),
            (d(2026, 7, 1), d(2026, 9, 30), 92)
        );
        let h = Period::parse("2024-H1").expect("half");
        // 2024 is a leap year: 31 + 29 + 31 + 30 + 31 + 30 = 182 days.
        assert_eq!(
            (h.from, h.to, h.days()),
            (d(2024, 1, 1), d(2024, 6, 30), 182)
        );
        let r = Period::parse("2026-10-01..2026-10-15").expect("range");
        assert_eq!(r.days(), 15);
        assert_eq!(Period::parse("2026").expect("year").days(), 365);
        assert_eq!(Period::parse("2024-02").expect("feb").to, d(2024, 2, 29));
    }

    #[test]
    fn rejects_bad_labels_with_the_reason() {
        for bad in [
            "2026-13",
            "2026-Q5",
            "2026-10-15..2026-10-01",
            "abc",
            "2026-1",
            "2026-H3",
        ] {
            let e = Period::parse(bad).expect_err(bad);
            assert!(e.to_string().contains(bad), "{e}");
            // The reason is in the catalogue, in both languages.
            for lang in [crate::vocab::Lang::Zh, crate::vocab::Lang::En] {
                assert_ne!(crate::i18n::text(lang, e.reason), e.reason, "{bad}");
            }
        }
    }

    #[test]
    fn last_full_month_before_a_day() {
        let p = Period::last_full_month(d(2026, 11, 29));
        assert_eq!(
            (p.label.as_str(), p.from, p.to),
            ("2026-10", d(2026, 10, 1), d(2026, 10, 31))
        );
        let j = Period::last_full_month(d(2027, 1, 3));
        assert_eq!(j.label, "2026-12");
    }
}
