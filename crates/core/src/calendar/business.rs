//! A site's business calendar: time zone, weekly hours, hours on public holidays and on
//! make-up working days, closures, and the holiday set it follows.
//!
//! [`CalendarConfig`] is the serde form (TOML, JSON); [`BusinessCalendar`] is the
//! validated form the clocks use, built with `try_from` or deserialised directly.
//! Hours are local wall-clock times in the calendar's zone; every instant it returns is
//! UTC.

use std::sync::Arc;

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::holidays::{DataStatus, DayKind, HolidayDataError, HolidayRegion, HolidaySet};
use super::hours::{HoursError, OpenInterval, WeeklyHours, validate_day};
use super::span::{self, Span};
use crate::i18n::Msg;

/// The default time zone of a calendar.
pub const DEFAULT_TZ: &str = "Asia/Shanghai";

/// Opening hours on a make-up working day (调休上班).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MakeupDayHours {
    /// The weekly hours of the date's own weekday (a hall open Saturdays 09:00–17:00 keeps
    /// those hours on a make-up Saturday; a site closed on Sundays stays closed). This
    /// is the default because a site's published hours are what customers rely on.
    #[default]
    OwnWeekday,
    /// The weekly hours of another weekday, e.g. `{ like = "mon" }` for a site that works
    /// the official working week and so opens on make-up days as on a Monday.
    Like(Weekday),
    /// These hours, e.g. `{ hours = ["09:00-17:00"] }`.
    Hours(Vec<OpenInterval>),
}

/// A period (inclusive dates) in which the site is closed all day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    /// First closed day.
    pub from: NaiveDate,
    /// Last closed day (inclusive).
    pub to: NaiveDate,
    /// Why, e.g. `装修` or `typhoon`.
    pub reason: String,
}

/// The serde form of a business calendar.
///
/// ```toml
/// tz = "Asia/Shanghai"
/// holiday_hours = ["10:00-16:00"]
/// makeup_day_hours = { like = "mon" }
/// [weekly]
/// mon = ["08:30-12:00", "13:30-18:00"]
/// [[closures]]
/// from = "2025-03-01"
/// to = "2025-03-02"
/// reason = "renovation"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// IANA time zone name.
    #[serde(default = "default_tz")]
    pub tz: String,
    /// Regular hours.
    #[serde(default)]
    pub weekly: WeeklyHours,
    /// Hours on public holidays; absent means closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holiday_hours: Option<Vec<OpenInterval>>,
    /// Hours on make-up working days.
    #[serde(default)]
    pub makeup_day_hours: MakeupDayHours,
    /// Closures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closures: Vec<Closure>,
    /// Holiday set.
    #[serde(default)]
    pub holidays: HolidayRegion,
}

/// What is wrong with a calendar.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    /// The time zone name is not an IANA zone.
    #[error("unknown time zone {0:?}; expected an IANA name such as \"Asia/Shanghai\"")]
    UnknownTimeZone(String),
    /// Bad opening hours.
    #[error(transparent)]
    Hours(#[from] HoursError),
    /// A closure ends before it starts.
    #[error("closure {reason:?} ends on {to}, before it starts on {from}")]
    ClosureReversed {
        /// First day.
        from: NaiveDate,
        /// Last day.
        to: NaiveDate,
        /// Its reason.
        reason: String,
    },
    /// The holiday set could not be loaded.
    #[error(transparent)]
    HolidayData(#[from] HolidayDataError),
    /// The TOML text is not a calendar.
    #[error("calendar config: {0}")]
    Toml(String),
}

impl CalendarError {
    /// The problem as a catalogue message (its English text is the `Display` one).
    #[must_use]
    pub fn msg(&self) -> Msg {
        match self {
            Self::UnknownTimeZone(tz) => {
                Msg::new("calendar.unknown_tz").arg("tz", format!("{tz:?}"))
            }
            Self::Hours(e) => e.msg(),
            Self::ClosureReversed { from, to, reason } => Msg::new("calendar.closure_reversed")
                .arg("reason", format!("{reason:?}"))
                .arg("from", from)
                .arg("to", to),
            Self::HolidayData(e) => Msg::new("calendar.holiday_data").arg("detail", e),
            Self::Toml(detail) => Msg::new("calendar.config").arg("detail", detail),
        }
    }
}

/// A validated business calendar.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "CalendarConfig")]
pub struct BusinessCalendar {
    tz: Tz,
    weekly: WeeklyHours,
    holiday_hours: Option<Vec<OpenInterval>>,
    makeup_day_hours: MakeupDayHours,
    closures: Vec<Closure>,
    holidays: Arc<HolidaySet>,
}

impl CalendarConfig {
    /// Parses a calendar config from TOML text.
    ///
    /// # Errors
    /// [`CalendarError::Toml`] with the parser's message (which names the bad key).
    pub fn from_toml(text: &str) -> Result<CalendarConfig, CalendarError> {
        toml::from_str(text).map_err(|e| CalendarError::Toml(e.to_string()))
    }
}

impl Default for CalendarConfig {
    fn default() -> CalendarConfig {
        CalendarConfig {
            tz: default_tz(),
            weekly: WeeklyHours::default(),
            holiday_hours: None,
            makeup_day_hours: MakeupDayHours::default(),
            closures: Vec::new(),
            holidays: HolidayRegion::default(),
        }
    }
}

impl TryFrom<CalendarConfig> for BusinessCalendar {
    type Error = CalendarError;

    fn try_from(cfg: CalendarConfig) -> Result<Self, Self::Error> {
        let tz: Tz = cfg
            .tz
            .parse()
            .map_err(|_| CalendarError::UnknownTimeZone(cfg.tz.clone()))?;
        let holidays = HolidaySet::for_region(cfg.holidays)?;
        BusinessCalendar::new(tz, cfg.weekly)?
            .with_holiday_hours(cfg.holiday_hours)?
            .with_makeup_day_hours(cfg.makeup_day_hours)?
            .with_closures(cfg.closures)
            .map(|cal| cal.with_holidays(holidays))
    }
}

impl BusinessCalendar {
    /// A calendar with these weekly hours, closed on public holidays, own-weekday hours on
    /// make-up days, no closures, and mainland China's holidays.
    ///
    /// # Errors
    /// [`CalendarError`] if the hours overlap or the holiday data cannot be loaded.
    pub fn new(tz: Tz, weekly: WeeklyHours) -> Result<BusinessCalendar, CalendarError> {
        weekly.validate()?;
        Ok(BusinessCalendar {
            tz,
            weekly,
            holiday_hours: None,
            makeup_day_hours: MakeupDayHours::OwnWeekday,
            closures: Vec::new(),
            holidays: HolidaySet::china_mainland()?,
        })
    }

    /// Sets the hours on public holidays (`None`: closed).
    ///
    /// # Errors
    /// [`CalendarError::Hours`] if the intervals overlap.
    pub fn with_holiday_hours(
        mut self,
        hours: Option<Vec<OpenInterval>>,
    ) -> Result<BusinessCalendar, CalendarError> {
        if let Some(hours) = &hours {
            validate_day("holiday_hours", hours)?;
        }
        self.holiday_hours = hours;
        Ok(self)
    }

    /// Sets the hours on make-up working days.
    ///
    /// # Errors
    /// [`CalendarError::Hours`] if explicit intervals overlap.
    pub fn with_makeup_day_hours(
        mut self,
        hours: MakeupDayHours,
    ) -> Result<BusinessCalendar, CalendarError> {
        if let MakeupDayHours::Hours(list) = &hours {
            validate_day("makeup_day_hours", list)?;
        }
        self.makeup_day_hours = hours;
        Ok(self)
    }

    /// Sets the closures.
    ///
    /// # Errors
    /// [`CalendarError::ClosureReversed`] for a closure that ends before it starts.
    pub fn with_closures(
        mut self,
        closures: Vec<Closure>,
    ) -> Result<BusinessCalendar, CalendarError> {
        if let Some(c) = closures.iter().find(|c| c.to < c.from) {
            return Err(CalendarError::ClosureReversed {
                from: c.from,
                to: c.to,
                reason: c.reason.clone(),
            });
        }
        self.closures = closures;
        Ok(self)
    }

    /// Replaces the holiday set (e.g. one with a newer notice inserted).
    #[must_use]
    pub fn with_holidays(mut self, holidays: Arc<HolidaySet>) -> BusinessCalendar {
        self.holidays = holidays;
        self
    }

    /// The time zone.
    #[must_use]
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The regular weekly hours.
    #[must_use]
    pub fn weekly(&self) -> &WeeklyHours {
        &self.weekly
    }

    /// The closures.
    #[must_use]
    pub fn closures(&self) -> &[Closure] {
        &self.closures
    }

    /// The holiday set.
    #[must_use]
    pub fn holidays(&self) -> &HolidaySet {
        &self.holidays
    }

    /// The local date of an instant.
    #[must_use]
    pub fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// The legal kind of a date (closures do not change it).
    #[must_use]
    pub fn day_kind(&self, date: NaiveDate) -> DayKind {
        self.holidays.day_kind(date)
    }

    /// Whether `date` is a working day in the legal sense (Monday to Friday outside public
    /// holidays, plus make-up working days), whatever the site's opening hours.
    #[must_use]
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.holidays.is_working_day(date)
    }

    /// Holiday data status of each year from `from`'s to `to`'s (see
    /// [`HolidaySet::coverage`]).
    #[must_use]
    pub fn holiday_coverage(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Vec<(i32, Option<DataStatus>)> {
        self.holidays.coverage(from, to)
    }

    /// The closure covering `date`, if any.
    #[must_use]
    pub fn closure_on(&self, date: NaiveDate) -> Option<&Closure> {
        self.closures
            .iter()
            .find(|c| c.from <= date && date <= c.to)
    }

    /// The local opening intervals that start on `date`, after the precedence closure >
    /// public holiday > make-up working day > weekly hours. Empty when closed.
    #[must_use]
    pub fn hours_on(&self, date: NaiveDate) -> &[OpenInterval] {
        if self.closure_on(date).is_some() {
            return &[];
        }
        match self.day_kind(date) {
            DayKind::PublicHoliday => self.holiday_hours.as_deref().unwrap_or(&[]),
            DayKind::MakeupWorkday => match &self.makeup_day_hours {
                MakeupDayHours::OwnWeekday => self.weekly.day(date.weekday()),
                MakeupDayHours::Like(day) => self.weekly.day(*day),
                MakeupDayHours::Hours(list) => list,
            },
            DayKind::Workday | DayKind::Weekend => self.weekly.day(date.weekday()),
        }
    }

    /// The opening intervals that start on `date`, as UTC spans, sorted and disjoint. An
    /// overnight interval is cut at the midnight that starts a closure.
    #[must_use]
    pub fn open_intervals(&self, date: NaiveDate) -> Vec<Span> {
        let spans = self
            .hours_on(date)
            .iter()
            .map(|iv| self.interval_span(date, *iv));
        let merged = span::union(spans);
        match date
            .succ_opt()
            .filter(|next| self.closure_on(*next).is_some())
        {
            Some(next) => span::subtract(&merged, &[self.day_span(next)]),
            None => merged,
        }
    }

    /// All open time within `[from, to)`, sorted and disjoint.
    #[must_use]
    pub fn open_spans(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Span> {
        if from >= to {
            return Vec::new();
        }
        // The day before `from` is included for its overnight intervals. Spans of
        // neighbouring days may overlap (a holiday's overnight hours running into the next
        // day's opening), so they are merged rather than concatenated.
        let first = self.local_date(from).pred_opt().unwrap_or(NaiveDate::MIN);
        let last = self.local_date(to);
        let all = first
            .iter_days()
            .take_while(|d| *d <= last)
            .flat_map(|d| self.open_intervals(d));
        span::clip(&span::union(all), from, to)
    }

    /// Whether the site is open at instant `t`.
    #[must_use]
    pub fn is_open_at(&self, t: DateTime<Utc>) -> bool {
        let date = self.local_date(t);
        [date.pred_opt(), Some(date)]
            .into_iter()
            .flatten()
            .flat_map(|d| self.open_intervals(d))
            .any(|(a, b)| a <= t && t < b)
    }

    /// The local day `date` as a UTC span, from its midnight to the next (23 or 25 hours
    /// long on a day when the clocks change).
    #[must_use]
    pub fn day_span(&self, date: NaiveDate) -> Span {
        let next = date.succ_opt().unwrap_or(NaiveDate::MAX);
        (self.midnight(date), self.midnight(next))
    }

    /// The instant local `date` begins (its 00:00, or the first instant after a gap when
    /// 00:00 does not exist).
    #[must_use]
    pub fn midnight(&self, date: NaiveDate) -> DateTime<Utc> {
        local_to_utc(self.tz, date.and_time(NaiveTime::MIN), Edge::Start)
    }

    fn interval_span(&self, date: NaiveDate, iv: OpenInterval) -> Span {
        let base = date.and_time(NaiveTime::MIN);
        // Saturating at the end of chrono's range keeps absurd dates from panicking.
        let at = |min: u16| {
            base.checked_add_signed(TimeDelta::minutes(i64::from(min)))
                .unwrap_or(NaiveDateTime::MAX)
        };
        (
            local_to_utc(self.tz, at(iv.start_min()), Edge::Start),
            local_to_utc(self.tz, at(iv.end_min()), Edge::End),
        )
    }
}

/// Which end of an interval a local time is, deciding how a repeated local time resolves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Edge {
    Start,
    End,
}

fn default_tz() -> String {
    DEFAULT_TZ.to_owned()
}

/// Converts a local wall-clock time to UTC.
///
/// A time repeated when the clocks go back resolves to its earlier instant as a start and
/// its later instant as an end, so an interval covers every instant whose wall-clock
/// time it names and is never shortened. A time skipped when the clocks go forward
/// resolves to the instant the clocks jump (the first local time after the gap), which
/// is exactly where the wall-clock interval begins or ends in real time.
fn local_to_utc(tz: Tz, local: NaiveDateTime, edge: Edge) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(early, late) => match edge {
            Edge::Start => early.with_timezone(&Utc),
            Edge::End => late.with_timezone(&Utc),
        },
        LocalResult::None => after_gap(tz, local),
    }
}

/// The first valid instant after a skipped local time. Gaps are whole minutes and at most
/// a day long in the time zone database, so the walk is bounded by one day of minutes.
fn after_gap(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    for step in 1..=1440 {
        let Some(probe) = local.checked_add_signed(TimeDelta::minutes(step)) else {
            break;
        };
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    // Unreachable with the real database; reading the time as UTC keeps the answer
    // total rather than panicking.
    Utc.from_utc_datetime(&local)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a valid test date")
    }

    #[test]
    fn config_errors_name_what_is_wrong() {
        let cases = [
            (
                "tz = \"Asia/Shangai\"",
                "unknown time zone \"Asia/Shangai\"",
            ),
            (
                "[weekly]\nmon = [\"08:00-12:00\", \"11:00-14:00\"]",
                "weekly.mon: opening intervals",
            ),
            ("[weekly]\nmon = [\"18:00-08:30\"]", "20:00-02:00+1"),
            (
                "holiday_hours = [\"09:00-12:00\", \"10:00-11:00\"]",
                "holiday_hours: opening",
            ),
            (
                "[[closures]]\nfrom = \"2025-03-02\"\nto = \"2025-03-01\"\nreason = \"works\"",
                "closure \"works\" ends on 2025-03-01",
            ),
            (
                "[weekly]\nmonday = [\"08:00-12:00\"]",
                "unknown field `monday`",
            ),
        ];
        for (text, needle) in cases {
            let e = CalendarConfig::from_toml(text)
                .and_then(BusinessCalendar::try_from)
                .expect_err(text);
            let err = e.to_string();
            assert!(err.contains(needle), "{text}\n=> {err}");
            // The catalogue's English is the same text; the Chinese is another.
            assert_eq!(e.msg().render(crate::vocab::Lang::En), err);
            let zh = e.msg().render(crate::vocab::Lang::Zh);
            assert_ne!(zh, err);
        }
        let bad_syntax = OpenInterval::parse("0830-12:00").expect_err("no colon");
        assert_eq!(
            bad_syntax.msg().render(crate::vocab::Lang::En),
            bad_syntax.to_string()
        );
        assert_eq!(
            bad_syntax.msg().render(crate::vocab::Lang::Zh),
            "营业时段 \"0830-12:00\"：开始时间有误；应为 \"HH:MM-HH:MM\"，如 \"08:30-12:00\""
        );
    }

    #[test]
    fn deserialises_directly_with_defaults() {
        let cal: BusinessCalendar = toml::from_str(
            "makeup_day_hours = { like = \"mon\" }\n[weekly]\nmon = [\"08:30-12:00\", \"13:30-18:00\"]\n",
        )
        .expect("valid calendar");
        assert_eq!(cal.tz(), chrono_tz::Asia::Shanghai);
        // Sunday 2025-09-28 is a make-up working day: it opens like a Monday.
        assert_eq!(cal.hours_on(d(2025, 9, 28)).len(), 2);
        // Monday 2025-10-06 is a public holiday: closed.
        assert!(cal.hours_on(d(2025, 10, 6)).is_empty());
    }

    #[test]
    fn precedence_closure_over_holiday_over_makeup() {
        let mon = OpenInterval::parse("09:00-17:00").expect("valid");
        let cal = BusinessCalendar::new(
            chrono_tz::Asia::Shanghai,
            WeeklyHours::on_days(&[Weekday::Mon, Weekday::Sun], &[mon]),
        )
        .and_then(|c| {
            c.with_holiday_hours(Some(vec![
                OpenInterval::parse("10:00-12:00").expect("valid"),
            ]))
        })
        .and_then(|c| {
            c.with_closures(vec![Closure {
                from: d(2025, 9, 28),
                to: d(2025, 9, 28),
                reason: "x".into(),
            }])
        })
        .expect("valid calendar");
        assert!(
            cal.hours_on(d(2025, 9, 28)).is_empty(),
            "closure wins over make-up day"
        );
        assert_eq!(
            cal.hours_on(d(2025, 10, 5))[0].len_min(),
            120,
            "holiday hours on a Sunday off"
        );
        assert_eq!(
            cal.hours_on(d(2025, 10, 12))[0].len_min(),
            480,
            "plain Sunday"
        );
        assert!(
            cal.is_working_day(d(2025, 9, 28)),
            "a closure does not change the legal day"
        );
    }
}
