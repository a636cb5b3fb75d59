//! Business calendars (opening hours, public holidays with make-up working days, closures) and SLA clocks.
//!
//! A [`BusinessCalendar`] says when a site is open, in its own time zone (Asia/Shanghai by
//! default); the clocks in [`clock`] measure items (orders, faults, complaints) against
//! it. Instants are always `DateTime<Utc>`; days and hours are always local. Durations
//! are `chrono::TimeDelta`, day counts `u32`. The conventions:
//!
//! - **Working day** is the legal sense and ignores opening hours and closures: Monday to
//!   Friday outside every public-holiday off period, plus make-up working days (调休上班,
//!   a weekend day the State Council notice makes a working day).
//! - **Holiday data** per year is `official` (the notice, with its whole off periods and
//!   make-up days) or `statutory_only` (only the statutory days of 《全国年节及纪念日放假
//!   办法》; no make-up days, no bridging days); a year with no data has no holidays.
//!   Callers warn on the last two: [`HolidaySet::coverage`] /
//!   [`BusinessCalendar::holiday_coverage`] list them.
//! - **Opening hours on a day** follow the first rule that applies: a closure (closed); a
//!   public holiday, weekend days inside an off period included (`holiday_hours`, closed
//!   if absent); a make-up working day ([`MakeupDayHours`]: by default the weekly hours
//!   of the date's own weekday, or those of another weekday, or explicit hours); else the
//!   weekly hours of its weekday. An interval belongs to the day it starts on; an
//!   overnight one (`"20:00-02:00+1"`) runs into the next day unless that day is closed.
//! - **Day counting**: a count is the number of local days *after the start day* in which
//!   the clock ran for some positive time (working days: only working days among them).
//!   Friday 16:00 to Monday 09:00 is 3 calendar days and 1 working day; an end exactly
//!   at midnight does not count the day it begins.
//! - **Deadlines** "by the end of the n-th working day" end at local 24:00 of the n-th
//!   working day after the start day, not at close of business (n = 1 is ACMA's "end of
//!   next working day"; n = 0 is the end of the start day).
//! - **Pauses** (customer-caused delay) are subtracted from every measure: their union,
//!   clipped to `[start, end)`, stops the clock, so they may overlap each other and run
//!   past either end. Business time subtracts only their part inside open hours. A day
//!   wholly inside a pause is not counted, and for a deadline a working day wholly
//!   inside a pause is skipped (the deadline moves out by one working day).
//! - **Exclusions** ([`ExclusionReason`]) give [`ClockOutcome::Excluded`] instead of a
//!   value; `end < start` and reversed pauses are [`ClockError`]s, never panics.
//! - **Clock changes** (for zones that have them): a local time repeated when clocks go
//!   back opens at its first and closes at its last occurrence; a skipped local time maps
//!   to the instant the clocks jump. So a day is 23 or 25 hours and business time follows
//!   the wall clock.

pub mod business;
pub mod clock;
pub mod holidays;
pub mod hours;
pub mod span;

pub use business::{BusinessCalendar, CalendarConfig, CalendarError, Closure, MakeupDayHours};
pub use clock::{
    ClockError, ClockInput, ClockOutcome, ExclusionReason, Limit, LimitCheck, Measure,
    MeasureValue, business_time, calendar_days, check_limit, deadline_end_of_nth_working_day,
    elapsed, working_days,
};
pub use holidays::{
    DataStatus, DayKind, Holiday, HolidayDataError, HolidayRegion, HolidaySet, HolidayYear,
};
pub use hours::{HoursError, OpenInterval, SyntaxProblem, WeeklyHours};
pub use span::Span;
