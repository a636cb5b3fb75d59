//! Opening hours: `"HH:MM-HH:MM"` intervals, overnight intervals, and a week of them.
//!
//! An interval is written `"08:30-12:00"`. `24:00` is allowed as an end (`"20:00-24:00"`).
//! An interval that runs past midnight must say so with `+1` after its end
//! (`"20:00-02:00+1"`): a bare end before its start is rejected, because in practice it
//! is far more often a typing slip (`"18:00-08:30"`) than a night shift, and silently
//! reading it as a 14.5-hour overnight opening would corrupt every business-time figure.
//! An overnight interval belongs to the day it starts on and lasts at most 24 hours.

use std::fmt;

use chrono::Weekday;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::i18n::{self, Msg};
use crate::vocab::Lang;

/// Minutes in a day.
const DAY_MIN: u16 = 1440;

/// One opening interval of a day, in local wall-clock minutes after that day's midnight.
///
/// `end_min` is greater than `start_min`; above 1440 it lies on the next day (overnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OpenInterval {
    start_min: u16,
    end_min: u16,
}

/// What is wrong with some opening hours.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HoursError {
    /// The text is not `HH:MM-HH:MM` (optionally followed by `+1`).
    #[error("opening interval {text:?}: {reason}; expected \"HH:MM-HH:MM\", e.g. \"08:30-12:00\"")]
    Syntax {
        /// The offending text.
        text: String,
        /// What the parser found wrong.
        reason: SyntaxProblem,
    },
    /// The end is not after the start and the interval is not marked overnight.
    #[error(
        "opening interval {text:?}: the end is not after the start; an interval that runs \
         past midnight is written with +1, e.g. \"20:00-02:00+1\""
    )]
    EndNotAfterStart {
        /// The offending text.
        text: String,
    },
    /// An overnight interval longer than 24 hours, or one whose `+1` end is not before
    /// its start.
    #[error(
        "opening interval {text:?}: an overnight interval must end before its start time on the next day (at most 24 hours)"
    )]
    TooLong {
        /// The offending text.
        text: String,
    },
    /// Two intervals of the same hours overlap.
    #[error("{place}: opening intervals {first} and {second} overlap")]
    Overlap {
        /// Where the intervals are, e.g. `weekly.mon` or `weekly.mon/weekly.tue`.
        place: String,
        /// The earlier interval.
        first: String,
        /// The later interval.
        second: String,
    },
}

/// What is wrong in the text of an opening interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxProblem {
    /// No `-` between start and end.
    MissingDash,
    /// The start is not `HH:MM`.
    BadStart,
    /// The end is not `HH:MM` (or `24:00`).
    BadEnd,
    /// The start is 24:00 or later.
    StartPastDay,
}

impl SyntaxProblem {
    /// The catalogue key of its wording.
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Self::MissingDash => "calendar.syntax.missing_dash",
            Self::BadStart => "calendar.syntax.bad_start",
            Self::BadEnd => "calendar.syntax.bad_end",
            Self::StartPastDay => "calendar.syntax.start_past_day",
        }
    }
}

/// In English; [`HoursError::msg`] gives either language.
impl fmt::Display for SyntaxProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(i18n::text(Lang::En, self.key()))
    }
}

impl HoursError {
    /// The problem as a catalogue message (its English text is the `Display` one).
    #[must_use]
    pub fn msg(&self) -> Msg {
        match self {
            Self::Syntax { text, reason } => Msg::new("calendar.hours.syntax")
                .arg("text", format!("{text:?}"))
                .arg_text("reason", reason.key()),
            Self::EndNotAfterStart { text } => {
                Msg::new("calendar.hours.end_not_after_start").arg("text", format!("{text:?}"))
            }
            Self::TooLong { text } => {
                Msg::new("calendar.hours.too_long").arg("text", format!("{text:?}"))
            }
            Self::Overlap {
                place,
                first,
                second,
            } => Msg::new("calendar.hours.overlap")
                .arg("place", place)
                .arg("first", first)
                .arg("second", second),
        }
    }
}

impl OpenInterval {
    /// Builds an interval from minutes after local midnight. `end_min` may exceed 1440
    /// for an overnight interval, up to `start_min + 1440`.
    ///
    /// # Errors
    /// [`HoursError`] when the start is not within the day or the end is not after it.
    pub fn from_minutes(start_min: u16, end_min: u16) -> Result<OpenInterval, HoursError> {
        let iv = OpenInterval { start_min, end_min };
        if start_min >= DAY_MIN {
            return Err(HoursError::Syntax {
                text: iv.to_string(),
                reason: SyntaxProblem::StartPastDay,
            });
        }
        if end_min <= start_min {
            return Err(HoursError::EndNotAfterStart {
                text: iv.to_string(),
            });
        }
        if end_min > start_min + DAY_MIN {
            return Err(HoursError::TooLong {
                text: iv.to_string(),
            });
        }
        Ok(iv)
    }

    /// Parses `"HH:MM-HH:MM"`, `"HH:MM-24:00"` or overnight `"HH:MM-HH:MM+1"`.
    ///
    /// # Errors
    /// [`HoursError`] naming what is wrong with the text.
    pub fn parse(text: &str) -> Result<OpenInterval, HoursError> {
        let syntax = |reason| HoursError::Syntax {
            text: text.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        let (body, overnight) = match trimmed.strip_suffix("+1") {
            Some(body) => (body, true),
            None => (trimmed, false),
        };
        let (start, end) = body
            .split_once('-')
            .ok_or_else(|| syntax(SyntaxProblem::MissingDash))?;
        let start_min =
            parse_hh_mm(start.trim(), false).ok_or_else(|| syntax(SyntaxProblem::BadStart))?;
        let end_min =
            parse_hh_mm(end.trim(), !overnight).ok_or_else(|| syntax(SyntaxProblem::BadEnd))?;
        if !overnight {
            return if end_min > start_min {
                Ok(OpenInterval { start_min, end_min })
            } else {
                Err(HoursError::EndNotAfterStart {
                    text: text.to_owned(),
                })
            };
        }
        if end_min > start_min {
            return Err(HoursError::TooLong {
                text: text.to_owned(),
            });
        }
        Ok(OpenInterval {
            start_min,
            end_min: end_min + DAY_MIN,
        })
    }

    /// Start in minutes after the local midnight of its day.
    #[must_use]
    pub fn start_min(self) -> u16 {
        self.start_min
    }

    /// End in minutes after the local midnight of the day it starts on (above 1440 when
    /// it runs past midnight).
    #[must_use]
    pub fn end_min(self) -> u16 {
        self.end_min
    }

    /// Whether the interval runs past midnight into the next day.
    #[must_use]
    pub fn is_overnight(self) -> bool {
        self.end_min > DAY_MIN
    }

    /// Length in wall-clock minutes (which is also its real length except on a day when
    /// the clocks change).
    #[must_use]
    pub fn len_min(self) -> u16 {
        self.end_min - self.start_min
    }
}

impl fmt::Display for OpenInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (end, plus) = if self.end_min > DAY_MIN {
            (self.end_min - DAY_MIN, "+1")
        } else {
            (self.end_min, "")
        };
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}{plus}",
            self.start_min / 60,
            self.start_min % 60,
            end / 60,
            end % 60
        )
    }
}

impl TryFrom<String> for OpenInterval {
    type Error = HoursError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        OpenInterval::parse(&text)
    }
}

impl From<OpenInterval> for String {
    fn from(iv: OpenInterval) -> String {
        iv.to_string()
    }
}

/// Regular opening hours per weekday. A day with no intervals is closed.
///
/// In TOML: `mon = ["08:30-12:00", "13:30-18:00"]`, one key per open day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    /// Monday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mon: Vec<OpenInterval>,
    /// Tuesday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tue: Vec<OpenInterval>,
    /// Wednesday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wed: Vec<OpenInterval>,
    /// Thursday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thu: Vec<OpenInterval>,
    /// Friday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fri: Vec<OpenInterval>,
    /// Saturday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sat: Vec<OpenInterval>,
    /// Sunday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sun: Vec<OpenInterval>,
}

impl WeeklyHours {
    /// The same intervals on each of the given days, closed on the others.
    #[must_use]
    pub fn on_days(days: &[Weekday], intervals: &[OpenInterval]) -> WeeklyHours {
        let mut week = WeeklyHours::default();
        for &day in days {
            *week.day_mut(day) = intervals.to_vec();
        }
        week
    }

    /// The intervals of one weekday.
    #[must_use]
    pub fn day(&self, day: Weekday) -> &[OpenInterval] {
        match day {
            Weekday::Mon => &self.mon,
            Weekday::Tue => &self.tue,
            Weekday::Wed => &self.wed,
            Weekday::Thu => &self.thu,
            Weekday::Fri => &self.fri,
            Weekday::Sat => &self.sat,
            Weekday::Sun => &self.sun,
        }
    }

    /// The intervals of one weekday, for editing.
    pub fn day_mut(&mut self, day: Weekday) -> &mut Vec<OpenInterval> {
        match day {
            Weekday::Mon => &mut self.mon,
            Weekday::Tue => &mut self.tue,
            Weekday::Wed => &mut self.wed,
            Weekday::Thu => &mut self.thu,
            Weekday::Fri => &mut self.fri,
            Weekday::Sat => &mut self.sat,
            Weekday::Sun => &mut self.sun,
        }
    }

    /// Checks that no two intervals of a day overlap, and that an overnight interval does
    /// not run into the next weekday's first opening.
    ///
    /// # Errors
    /// [`HoursError::Overlap`] naming the day(s) and both intervals.
    pub fn validate(&self) -> Result<(), HoursError> {
        for day in WEEK {
            validate_day(&format!("weekly.{}", day_key(day)), self.day(day))?;
        }
        for day in WEEK {
            let next = day.succ();
            let place = format!("weekly.{}/weekly.{}", day_key(day), day_key(next));
            check_spill(&place, self.day(day), self.day(next))?;
        }
        Ok(())
    }
}

/// Checks that the intervals of one day's hours do not overlap each other.
///
/// # Errors
/// [`HoursError::Overlap`] with `place` and both intervals.
pub fn validate_day(place: &str, intervals: &[OpenInterval]) -> Result<(), HoursError> {
    let mut sorted = intervals.to_vec();
    sorted.sort_unstable();
    for pair in sorted.windows(2) {
        if pair[1].start_min < pair[0].end_min {
            return Err(overlap(place, pair[0], pair[1]));
        }
    }
    Ok(())
}

/// The weekdays from Monday to Sunday.
const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// The TOML key of a weekday.
fn day_key(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// Checks that the overnight part of `today`'s intervals ends before `tomorrow` opens.
fn check_spill(
    place: &str,
    today: &[OpenInterval],
    tomorrow: &[OpenInterval],
) -> Result<(), HoursError> {
    for &late in today.iter().filter(|iv| iv.is_overnight()) {
        if let Some(&early) = tomorrow
            .iter()
            .find(|iv| iv.start_min + DAY_MIN < late.end_min)
        {
            return Err(overlap(place, late, early));
        }
    }
    Ok(())
}

fn overlap(place: &str, first: OpenInterval, second: OpenInterval) -> HoursError {
    HoursError::Overlap {
        place: place.to_owned(),
        first: first.to_string(),
        second: second.to_string(),
    }
}

/// Parses `HH:MM` into minutes after midnight; `24:00` only when `allow_24` is set.
fn parse_hh_mm(text: &str, allow_24: bool) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    match (h, m) {
        (24, 0) if allow_24 => Some(DAY_MIN),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(text: &str) -> OpenInterval {
        OpenInterval::parse(text).expect("a valid interval in the test")
    }

    #[test]
    fn parses_plain_midnight_and_overnight() {
        assert_eq!(
            (iv("08:30-12:00").start_min(), iv("08:30-12:00").end_min()),
            (510, 720)
        );
        assert_eq!(iv("20:00-24:00").end_min(), 1440);
        let night = iv("20:00-02:00+1");
        assert!(night.is_overnight());
        assert_eq!(night.len_min(), 360);
        assert_eq!(night.to_string(), "20:00-02:00+1");
        assert_eq!(iv(" 00:00 - 24:00 ").len_min(), 1440);
    }

    #[test]
    fn rejects_with_a_reason() {
        let cases = [
            ("18:00-08:30", "the end is not after the start"),
            ("08:00-08:00", "the end is not after the start"),
            ("08:00-09:00+1", "at most 24 hours"),
            ("8:00-09:00", "bad start time"),
            ("08:00-24:30", "bad end time"),
            ("24:00-02:00+1", "bad start time"),
            ("08:00-02:00+1x", "bad end time"),
            ("0800", "missing '-'"),
        ];
        for (text, needle) in cases {
            let err = OpenInterval::parse(text).expect_err(text).to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn week_validation_names_the_overlap() {
        let week = WeeklyHours {
            mon: vec![iv("08:30-12:00"), iv("11:00-13:00")],
            ..WeeklyHours::default()
        };
        let err = week.validate().expect_err("overlap").to_string();
        assert_eq!(
            err,
            "weekly.mon: opening intervals 08:30-12:00 and 11:00-13:00 overlap"
        );

        let mut week = WeeklyHours {
            sun: vec![iv("20:00-02:00+1")],
            mon: vec![iv("01:00-05:00")],
            ..WeeklyHours::default()
        };
        let err = week.validate().expect_err("spill").to_string();
        assert!(err.starts_with("weekly.sun/weekly.mon:"), "{err}");

        week.mon = vec![iv("02:00-05:00")];
        assert_eq!(week.validate(), Ok(()));
    }

    #[test]
    fn toml_round_trip() {
        let week: WeeklyHours =
            toml::from_str("mon = [\"08:30-12:00\", \"13:30-18:00\"]\nfri = [\"20:00-02:00+1\"]\n")
                .expect("valid weekly hours");
        assert_eq!(week.day(Weekday::Mon).len(), 2);
        assert!(week.day(Weekday::Fri)[0].is_overnight());
        let text = toml::to_string(&week).expect("serialisable");
        assert_eq!(
            toml::from_str::<WeeklyHours>(&text).expect("round trip"),
            week
        );
        let bad = toml::from_str::<WeeklyHours>("mon = [\"18:00-08:30\"]").expect_err("bad");
        assert!(bad.to_string().contains("+1"), "{bad}");
    }
}
