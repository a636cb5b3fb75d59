//! SLA clocks: how long an item took between two instants, by elapsed time, business
//! time, calendar days or working days, less customer-caused pauses; and whether it met
//! a limit such as "48 hours" or "by the end of the 2nd working day".
//!
//! The conventions (see also the module overview in `calendar/mod.rs`):
//! - the clock runs on `[start, end)` minus the union of the pauses; pauses may overlap
//!   each other and reach outside the span, only their union inside it counts;
//! - business time is running time inside the calendar's open intervals;
//! - a day count counts the local days after the start day in which the clock ran for
//!   some positive time (working days: only legal working days);
//! - "the end of a day" is its local 24:00, not the close of business;
//! - an excluded item yields [`ClockOutcome::Excluded`] without looking at its times.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::business::BusinessCalendar;
use super::span::{self, Span};
use crate::vocab::AreaClass;

/// Longest span, in days, that the day-walking measures (business time, day counts,
/// deadlines) accept; it bounds their work on absurd input.
pub const MAX_SPAN_DAYS: i64 = 3660;

/// Why an item is left out of a time-limit indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    /// The fault is in the customer's terminal equipment.
    TerminalFault,
    /// Force majeure (natural disaster and the like).
    ForceMajeure,
    /// Part of a declared mass outage, reported separately.
    MassOutage,
    /// On the customer's side of the network termination point.
    CustomerSide,
}

/// The result of measuring one item: a value, or the reason it is excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockOutcome<T> {
    /// The item was measured.
    Measured(T),
    /// The item is excluded and has no value.
    Excluded(ExclusionReason),
}

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Running time.
    Elapsed,
    /// Running time inside open hours.
    BusinessTime,
    /// Local days after the start day in which the clock ran.
    CalendarDays,
    /// Legal working days after the start day in which the clock ran.
    WorkingDays,
}

/// A measured value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasureValue {
    /// A duration (elapsed or business time).
    Duration(TimeDelta),
    /// A number of days.
    Days(u32),
}

/// A time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// At most this much running time.
    Elapsed(TimeDelta),
    /// At most this much business time.
    BusinessTime(TimeDelta),
    /// At most this many calendar days.
    CalendarDays(u32),
    /// Done by local 24:00 of the n-th working day after the start day (a working day
    /// wholly inside a pause does not count); n = 0 means by the end of the start day.
    EndOfNthWorkingDay(u32),
}

/// Whether an item met a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitCheck {
    /// Whether the limit was met.
    pub met: bool,
    /// What the item used, in the limit's unit (working days for `EndOfNthWorkingDay`).
    pub used: MeasureValue,
    /// The deadline, for `EndOfNthWorkingDay`.
    pub deadline: Option<DateTime<Utc>>,
}

/// Why a clock cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClockError {
    /// The end is before the start.
    #[error("the clock ends at {end}, before it starts at {start}")]
    EndBeforeStart {
        /// Start.
        start: DateTime<Utc>,
        /// End.
        end: DateTime<Utc>,
    },
    /// A pause ends before it starts.
    #[error("pause {index} ends at {to}, before it starts at {from}")]
    PauseReversed {
        /// Position in the pause list.
        index: usize,
        /// Pause start.
        from: DateTime<Utc>,
        /// Pause end.
        to: DateTime<Utc>,
    },
    /// The span is longer than [`MAX_SPAN_DAYS`].
    #[error("the span is {days} days long; at most {MAX_SPAN_DAYS} days are measured by calendar")]
    SpanTooLong {
        /// Its length in days.
        days: i64,
    },
    /// No n-th working day within [`MAX_SPAN_DAYS`] of the start.
    #[error("no working day number {n} within {MAX_SPAN_DAYS} days of the start")]
    DeadlineOutOfRange {
        /// The requested n.
        n: u32,
    },
}

/// One timed item: start, end, pauses and an optional exclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockInput {
    /// When the clock starts (e.g. fault report accepted).
    pub start: DateTime<Utc>,
    /// When it stops (e.g. service restored and confirmed).
    pub end: DateTime<Utc>,
    /// Customer-caused pauses.
    #[serde(default)]
    pub pauses: Vec<Span>,
    /// Why the item is excluded, if it is.
    #[serde(default)]
    pub exclusion: Option<ExclusionReason>,
}

/// Running time of `[start, end)` less the pauses.
///
/// # Errors
/// [`ClockError`] for an end before the start or a reversed pause.
pub fn elapsed(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    pauses: &[Span],
) -> Result<TimeDelta, ClockError> {
    let clock = Clock::new(start, end, pauses)?;
    Ok((end - start) - span::total(&clock.paused))
}

/// Running time of `[start, end)` inside the calendar's open intervals, less the pauses.
///
/// # Errors
/// [`ClockError`] for bad times or a span over [`MAX_SPAN_DAYS`].
pub fn business_time(
    cal: &BusinessCalendar,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    pauses: &[Span],
) -> Result<TimeDelta, ClockError> {
    let clock = Clock::new(start, end, pauses)?.bounded()?;
    let open = cal.open_spans(start, end);
    Ok(span::total(&span::subtract(&open, &clock.paused)))
}

/// Local days after the start day in which the clock ran for some positive time. With no
/// pauses: the local days after the start day up to the day of the end, except that day
/// when the end is exactly its midnight. Friday 16:00 to Monday 09:00 is 3.
///
/// # Errors
/// [`ClockError`] for bad times or a span over [`MAX_SPAN_DAYS`].
pub fn calendar_days(
    cal: &BusinessCalendar,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    pauses: &[Span],
) -> Result<u32, ClockError> {
    let clock = Clock::new(start, end, pauses)?.bounded()?;
    Ok(count(clock.days_run(cal).len()))
}

/// Legal working days after the start day in which the clock ran for some positive time.
///
/// # Errors
/// [`ClockError`] for bad times or a span over [`MAX_SPAN_DAYS`].
pub fn working_days(
    cal: &BusinessCalendar,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    pauses: &[Span],
) -> Result<u32, ClockError> {
    let clock = Clock::new(start, end, pauses)?.bounded()?;
    let days = clock.days_run(cal);
    Ok(count(
        days.into_iter().filter(|d| cal.is_working_day(*d)).count(),
    ))
}

/// Local 24:00 at the end of the n-th working day after the day of `start` (n = 1: "by
/// the end of the next working day"; n = 0: the end of the start day itself).
///
/// # Errors
/// [`ClockError::DeadlineOutOfRange`] when that day is over [`MAX_SPAN_DAYS`] away.
pub fn deadline_end_of_nth_working_day(
    cal: &BusinessCalendar,
    start: DateTime<Utc>,
    n: u32,
) -> Result<DateTime<Utc>, ClockError> {
    deadline_skipping(cal, start, n, &[])
}

/// Whether `[start, end)` with these pauses met `limit`.
///
/// # Errors
/// [`ClockError`] as the underlying measure.
pub fn check_limit(
    cal: &BusinessCalendar,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    pauses: &[Span],
    limit: Limit,
) -> Result<LimitCheck, ClockError> {
    let within = |used: MeasureValue, met: bool| LimitCheck {
        met,
        used,
        deadline: None,
    };
    match limit {
        Limit::Elapsed(max) => {
            let used = elapsed(start, end, pauses)?;
            Ok(within(MeasureValue::Duration(used), used <= max))
        }
        Limit::BusinessTime(max) => {
            let used = business_time(cal, start, end, pauses)?;
            Ok(within(MeasureValue::Duration(used), used <= max))
        }
        Limit::CalendarDays(max) => {
            let used = calendar_days(cal, start, end, pauses)?;
            Ok(within(MeasureValue::Days(used), used <= max))
        }
        Limit::EndOfNthWorkingDay(n) => {
            let clock = Clock::new(start, end, pauses)?.bounded()?;
            let deadline = deadline_skipping(cal, start, n, &clock.paused)?;
            let used = working_days(cal, start, end, pauses)?;
            Ok(LimitCheck {
                met: end <= deadline,
                used: MeasureValue::Days(used),
                deadline: Some(deadline),
            })
        }
    }
}

impl Limit {
    /// The repair limit of 电信条例 Art. 33: 48 hours in towns (城镇), 72 hours in rural
    /// areas (农村), elapsed from the fault report.
    #[must_use]
    pub fn repair_cn(area: AreaClass) -> Limit {
        match area.two_level() {
            AreaClass::Urban => Limit::Elapsed(TimeDelta::hours(48)),
            _ => Limit::Elapsed(TimeDelta::hours(72)),
        }
    }

    /// The ACMA Customer Service Guarantee repair limit: end of the next working day
    /// urban, 2nd rural (major and minor), 3rd remote.
    #[must_use]
    pub fn repair_acma(area: AreaClass) -> Limit {
        match area {
            AreaClass::Urban => Limit::EndOfNthWorkingDay(1),
            AreaClass::Rural | AreaClass::MajorRural | AreaClass::MinorRural => {
                Limit::EndOfNthWorkingDay(2)
            }
            AreaClass::Remote => Limit::EndOfNthWorkingDay(3),
        }
    }
}

impl ClockInput {
    /// An item with no pauses and no exclusion.
    #[must_use]
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> ClockInput {
        ClockInput {
            start,
            end,
            pauses: Vec::new(),
            exclusion: None,
        }
    }

    /// Measures the item, unless it is excluded.
    ///
    /// # Errors
    /// [`ClockError`] as the underlying measure (never for an excluded item).
    pub fn measure(
        &self,
        cal: &BusinessCalendar,
        measure: Measure,
    ) -> Result<ClockOutcome<MeasureValue>, ClockError> {
        if let Some(reason) = self.exclusion {
            return Ok(ClockOutcome::Excluded(reason));
        }
        let (s, e, p) = (self.start, self.end, self.pauses.as_slice());
        let value = match measure {
            Measure::Elapsed => MeasureValue::Duration(elapsed(s, e, p)?),
            Measure::BusinessTime => MeasureValue::Duration(business_time(cal, s, e, p)?),
            Measure::CalendarDays => MeasureValue::Days(calendar_days(cal, s, e, p)?),
            Measure::WorkingDays => MeasureValue::Days(working_days(cal, s, e, p)?),
        };
        Ok(ClockOutcome::Measured(value))
    }

    /// Checks the item against a limit, unless it is excluded.
    ///
    /// # Errors
    /// [`ClockError`] as [`check_limit`] (never for an excluded item).
    pub fn check(
        &self,
        cal: &BusinessCalendar,
        limit: Limit,
    ) -> Result<ClockOutcome<LimitCheck>, ClockError> {
        match self.exclusion {
            Some(reason) => Ok(ClockOutcome::Excluded(reason)),
            None => check_limit(cal, self.start, self.end, &self.pauses, limit)
                .map(ClockOutcome::Measured),
        }
    }
}

/// A validated clock: its span and the union of its pauses clipped to the span.
struct Clock {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    paused: Vec<Span>,
}

impl Clock {
    fn new(start: DateTime<Utc>, end: DateTime<Utc>, pauses: &[Span]) -> Result<Clock, ClockError> {
        if end < start {
            return Err(ClockError::EndBeforeStart { start, end });
        }
        if let Some((index, &(from, to))) = pauses.iter().enumerate().find(|(_, (a, b))| b < a) {
            return Err(ClockError::PauseReversed { index, from, to });
        }
        let paused = span::clip(&span::union(pauses.iter().copied()), start, end);
        Ok(Clock { start, end, paused })
    }

    /// Rejects spans too long to walk day by day.
    fn bounded(self) -> Result<Clock, ClockError> {
        let days = (self.end - self.start).num_days();
        if days > MAX_SPAN_DAYS {
            return Err(ClockError::SpanTooLong { days });
        }
        Ok(self)
    }

    /// The local days after the start day that some running time falls in, ascending.
    fn days_run(&self, cal: &BusinessCalendar) -> Vec<NaiveDate> {
        let start_day = cal.local_date(self.start);
        let running = span::subtract(&[(self.start, self.end)], &self.paused);
        let mut days: Vec<NaiveDate> = Vec::new();
        for (a, b) in running {
            // A running span touches its last instant's day, not the day its exclusive
            // end begins: running until Tuesday 00:00 does not touch Tuesday.
            let first = cal
                .local_date(a)
                .max(start_day.succ_opt().unwrap_or(NaiveDate::MAX));
            let last = cal.local_date(b - TimeDelta::nanoseconds(1));
            for day in first.iter_days().take_while(|d| *d <= last) {
                if days.last().is_none_or(|prev| *prev < day) {
                    days.push(day);
                }
            }
        }
        days
    }
}

/// The end of the n-th working day after the start day, not counting working days wholly
/// inside `paused` (a normalised list).
fn deadline_skipping(
    cal: &BusinessCalendar,
    start: DateTime<Utc>,
    n: u32,
    paused: &[Span],
) -> Result<DateTime<Utc>, ClockError> {
    let start_day = cal.local_date(start);
    if n == 0 {
        return Ok(cal.day_span(start_day).1);
    }
    let horizon = usize::try_from(MAX_SPAN_DAYS).unwrap_or(usize::MAX);
    let mut counted = 0;
    for day in start_day.iter_days().skip(1).take(horizon) {
        let (lo, hi) = cal.day_span(day);
        if cal.is_working_day(day) && !span::covers(paused, lo, hi) {
            counted += 1;
            if counted == n {
                return Ok(hi);
            }
        }
    }
    Err(ClockError::DeadlineOutOfRange { n })
}

/// A count as `u32`, saturating (counts are bounded by [`MAX_SPAN_DAYS`] anyway).
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
