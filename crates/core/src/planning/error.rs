//! Typed errors of the planning maths; each says which input is wrong and how, so the
//! CLI can show it as is.

use chrono::NaiveDate;

use crate::queueing::{Domain, QueueingError};
use crate::t;
use crate::vocab::Lang;

/// Why a forecast or a staffing plan refused its inputs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanningError {
    /// An interval length other than 15, 30, 60 minutes or a whole day.
    #[error("interval must be 15, 30 or 60 minutes (or 1440 for whole days), got {0}")]
    BadInterval(u32),
    /// A day of history with the wrong number of intervals.
    #[error("{date}: {got} counts given, but a day has {expected} intervals of {minutes} min")]
    WrongLength {
        /// The day.
        date: NaiveDate,
        /// Counts given.
        got: usize,
        /// Intervals in a day.
        expected: usize,
        /// Interval length.
        minutes: u32,
    },
    /// An interval index outside the day.
    #[error("{date}: interval index {index} is outside 0..{per_day}")]
    BadIndex {
        /// The day.
        date: NaiveDate,
        /// The index given.
        index: usize,
        /// Intervals in a day.
        per_day: usize,
    },
    /// A count that is negative or not finite.
    #[error("{date} interval {index}: a count must be a finite number ≥ 0, got {value}")]
    BadCount {
        /// The day.
        date: NaiveDate,
        /// The interval index.
        index: usize,
        /// The value given.
        value: f64,
    },
    /// Too few days of history to fit a model.
    #[error("{days} day(s) of history; at least {needed} are needed")]
    TooLittleHistory {
        /// Days available.
        days: usize,
        /// Days needed.
        needed: usize,
    },
    /// A parameter of the field-technician model outside its domain.
    #[error("{input} must be {expected}, got {value}")]
    InvalidParam {
        /// The parameter, as named in flags (`productive_h`, …).
        input: &'static str,
        /// Its domain.
        expected: Domain,
        /// The value given.
        value: f64,
    },
    /// A roster or capacity list whose length does not match the days planned.
    #[error("{what}: {got} values for {expected} days")]
    LengthMismatch {
        /// What was given.
        what: &'static str,
        /// Values given.
        got: usize,
        /// Days planned.
        expected: usize,
    },
    /// The queueing maths refused an interval (for example more than 2000 agents).
    #[error(transparent)]
    Queueing(#[from] QueueingError),
}

impl PlanningError {
    /// The refusal in `lang`, from the message catalogue (the `Display` text is the
    /// English one).
    #[must_use]
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Self::BadInterval(minutes) => t!(lang, "planning.bad_interval", minutes = minutes),
            Self::WrongLength {
                date,
                got,
                expected,
                minutes,
            } => t!(
                lang,
                "planning.wrong_length",
                date = date,
                got = got,
                expected = expected,
                minutes = minutes
            ),
            Self::BadIndex {
                date,
                index,
                per_day,
            } => t!(
                lang,
                "planning.bad_index",
                date = date,
                index = index,
                per_day = per_day
            ),
            Self::BadCount { date, index, value } => t!(
                lang,
                "planning.bad_count",
                date = date,
                index = index,
                value = value
            ),
            Self::TooLittleHistory { days, needed } => t!(
                lang,
                "planning.too_little_history",
                days = days,
                needed = needed
            ),
            Self::InvalidParam {
                input,
                expected,
                value,
            } => t!(
                lang,
                "planning.invalid_param",
                input = input,
                expected = crate::i18n::text(lang, expected.key()),
                value = value
            ),
            Self::LengthMismatch {
                what,
                got,
                expected,
            } => t!(
                lang,
                "planning.length_mismatch",
                what = what,
                got = got,
                expected = expected
            ),
            Self::Queueing(e) => e.message(lang),
        }
    }
}
