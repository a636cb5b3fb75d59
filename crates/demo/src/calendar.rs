//! The demo's business calendar: mainland-China public holidays and make-up working days
//! (调休) for 2025–2026, and the working-day arithmetic used for order commitments.
//!
//! This is the generator's own assumption, typed in from the State Council notices for 2025
//! and 2026 so that the demo needs nothing but itself; a unit test checks it day by day
//! against `yardstick-core`'s official holiday data, so the demand shapes and the
//! working-day promises agree with what the engine later computes. Outside 2025–2026
//! every Saturday and Sunday is a rest day and every other day a working day, which is
//! good enough for demand shapes.

use chrono::{Datelike, NaiveDate, Weekday};

use crate::time::{DAY_S, Ts, date_of, day_start};

/// What kind of day a date is for demand and staffing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DayKind {
    /// Monday to Friday, not a holiday.
    Workday,
    /// Saturday or Sunday, not a make-up working day.
    Weekend,
    /// Statutory public holiday (including the bridged weekend days).
    Holiday,
    /// A Saturday or Sunday declared a working day to bridge a holiday (调休上班).
    MakeUp,
}

impl DayKind {
    /// Whether offices work on this day (orders count it as a working day).
    pub(crate) fn is_working(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeUp)
    }
}

/// A date as (year, month, day), comparable in calendar order.
type Ymd = (i32, u32, u32);

/// Inclusive holiday ranges — the generator's own assumption.
const HOLIDAYS: &[(Ymd, Ymd)] = &[
    ((2025, 1, 1), (2025, 1, 1)),   // New Year 2025
    ((2025, 1, 28), (2025, 2, 4)),  // Spring Festival 2025
    ((2025, 4, 4), (2025, 4, 6)),   // Qingming 2025
    ((2025, 5, 1), (2025, 5, 5)),   // Labour Day 2025
    ((2025, 5, 31), (2025, 6, 2)),  // Dragon Boat 2025
    ((2025, 10, 1), (2025, 10, 8)), // National Day and Mid-Autumn 2025 (Golden Week)
    ((2026, 1, 1), (2026, 1, 3)),   // New Year 2026
    ((2026, 2, 15), (2026, 2, 23)), // Spring Festival 2026
    ((2026, 4, 4), (2026, 4, 6)),   // Qingming 2026
    ((2026, 5, 1), (2026, 5, 5)),   // Labour Day 2026
    ((2026, 6, 19), (2026, 6, 21)), // Dragon Boat 2026
    ((2026, 9, 25), (2026, 9, 27)), // Mid-Autumn 2026
    ((2026, 10, 1), (2026, 10, 7)), // National Day 2026
];

/// Make-up working days (调休上班) — the generator's own assumption.
const MAKE_UP_DAYS: &[Ymd] = &[
    (2025, 1, 26),
    (2025, 2, 8),
    (2025, 4, 27),
    (2025, 9, 28),
    (2025, 10, 11),
    (2026, 1, 4),
    (2026, 2, 14),
    (2026, 2, 28),
    (2026, 5, 9),
    (2026, 9, 20),
    (2026, 10, 10),
];

fn ymd(d: NaiveDate) -> Ymd {
    (d.year(), d.month(), d.day())
}

/// The kind of a date.
pub(crate) fn day_kind(date: NaiveDate) -> DayKind {
    let key = ymd(date);
    if HOLIDAYS.iter().any(|(from, to)| *from <= key && key <= *to) {
        return DayKind::Holiday;
    }
    if MAKE_UP_DAYS.contains(&key) {
        return DayKind::MakeUp;
    }
    match date.weekday() {
        Weekday::Sat | Weekday::Sun => DayKind::Weekend,
        _ => DayKind::Workday,
    }
}

/// Everything the demand models need to know about one day.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DayInfo {
    /// Day number.
    pub day: i64,
    /// Kind of day.
    pub kind: DayKind,
    /// Weekday, Monday = 0.
    pub weekday: u32,
    /// Day of the month (1-based), for the bill-payment rush at the start of a month.
    pub day_of_month: u32,
    /// First working day after at least two rest days, when call centres see the backlog
    /// of questions that waited over the weekend or holiday.
    pub after_break: bool,
}

/// Day information for a day number.
pub(crate) fn info(day: i64) -> DayInfo {
    let date = date_of(day);
    let kind = day_kind(date);
    let rest = |d: i64| !day_kind(date_of(d)).is_working();
    DayInfo {
        day,
        kind,
        weekday: date.weekday().num_days_from_monday(),
        day_of_month: date.day(),
        after_break: kind.is_working() && rest(day - 1) && rest(day - 2),
    }
}

/// The end (local 24:00, as core's deadlines count it) of the `n`-th working day after the
/// day of `from`; used for promised install and change dates ("by the end of the 3rd
/// working day").
pub(crate) fn end_of_nth_working_day(from: Ts, n: u32) -> Ts {
    let mut day = from.div_euclid(DAY_S);
    let mut left = n;
    // A year is far more than any commitment; the bound only guards the loop.
    for _ in 0..366 {
        if left == 0 {
            break;
        }
        day += 1;
        if day_kind(date_of(day)).is_working() {
            left -= 1;
        }
    }
    day_start(day) + DAY_S
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::day_number;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn classifies_holidays_make_up_days_and_weekends() {
        assert_eq!(day_kind(date(2026, 10, 1)), DayKind::Holiday);
        assert_eq!(day_kind(date(2026, 10, 7)), DayKind::Holiday);
        assert_eq!(day_kind(date(2026, 10, 10)), DayKind::MakeUp);
        assert_eq!(day_kind(date(2026, 9, 20)), DayKind::MakeUp);
        assert_eq!(day_kind(date(2025, 9, 28)), DayKind::MakeUp);
        assert_eq!(day_kind(date(2026, 10, 11)), DayKind::Weekend);
        assert_eq!(day_kind(date(2026, 10, 12)), DayKind::Workday);
        assert!(info(day_number(date(2026, 10, 8))).after_break);
        assert!(!info(day_number(date(2026, 10, 9))).after_break);
    }

    #[test]
    fn working_day_deadlines_skip_rest_days_and_count_make_up_days() {
        // Created on Tuesday 29 September 2026: 30 Sep is working, then the holiday runs
        // to 7 Oct, 8 and 9 Oct are working, so the third working day ends on 9 Oct.
        let created = day_start(day_number(date(2026, 9, 29))) + 10 * 3_600;
        let due = end_of_nth_working_day(created, 3);
        assert_eq!(due, day_start(day_number(date(2026, 10, 10))));
        // The make-up Saturday 10 Oct counts as a working day.
        let due4 = end_of_nth_working_day(created, 4);
        assert_eq!(due4, day_start(day_number(date(2026, 10, 11))));
    }

    #[test]
    fn agrees_with_cores_official_holiday_data_for_2025_and_2026() {
        use yardstick_core::calendar::holidays::{DayKind as CoreKind, HolidaySet};
        let official = HolidaySet::china_mainland().expect("bundled holiday data loads");
        let mut d = date(2025, 1, 1);
        while d <= date(2026, 12, 31) {
            let expected = match official.day_kind(d) {
                CoreKind::Workday => DayKind::Workday,
                CoreKind::Weekend => DayKind::Weekend,
                CoreKind::PublicHoliday => DayKind::Holiday,
                CoreKind::MakeupWorkday => DayKind::MakeUp,
            };
            assert_eq!(day_kind(d), expected, "{d}");
            d = d.succ_opt().expect("next day");
        }
    }
}
