//! Capacity planning (GitHub issue 4): the demand forecast per interval from history,
//! and the staff it needs — call-centre agents and business-hall counters through the
//! queueing maths of [`crate::queueing`], field technicians through a daily work
//! balance held against the repair time limit.
//!
//! Everything here is pure: the engine turns stored records into a [`History`] and a
//! few samples ([`MeanSample`], [`PatienceSample`]); the caller passes the holiday set
//! and the dates to plan. Which targets a site's plan meets, and where each input came
//! from, is the policy of [`site_setup`] (the guideline's `[planning]` section). `docs/planning.md` describes the models, their assumptions
//! and their limits for users.
//!
//! # Forecast model
//!
//! Arrivals on day d in interval i are forecast as
//!
//! ```text
//! y(d, i) = max(0, level + slope · (d − origin)) × factor(type(d)) × profile(type(d), i)
//! ```
//!
//! with a day type per weekday (Monday … Sunday) and one for public holidays; a make-up
//! working day (调休上班) is forecast with the pooled Monday–Friday factor and profile.
//! Factors and the trend line are fitted alternately (ratio of each day's total to the
//! trend, then least squares on the de-seasonalised totals) until they agree; the trend
//! is only fitted from four weeks of usable days. See [`forecast`] for the details and
//! [`backtest`] for the accuracy measure (WAPE on the last week of history).
//!
//! # Example
//!
//! ```
//! use chrono::NaiveDate;
//! use yardstick_core::calendar::HolidaySet;
//! use yardstick_core::planning::{ForecastOptions, History, IntervalLen, forecast};
//!
//! // Two weeks of one count per day, 10 on working days and 4 at weekends.
//! let mut history = History::new(IntervalLen::DAY);
//! let monday = NaiveDate::from_ymd_opt(2030, 1, 7).expect("valid date");
//! for offset in 0..14 {
//!     let date = monday + chrono::Days::new(offset);
//!     let count = if offset % 7 < 5 { 10.0 } else { 4.0 };
//!     history.set_day(date, vec![count])?;
//! }
//! let next_monday = monday + chrono::Days::new(14);
//! let f = forecast(&history, &HolidaySet::empty(), &[next_monday], &ForecastOptions::default())?;
//! assert!((f.days[0].total - 10.0).abs() < 1e-9);
//! # Ok::<(), yardstick_core::planning::PlanningError>(())
//! ```

mod error;
mod field;
mod forecast;
mod policy;
mod staff;

pub use error::PlanningError;
pub use field::{
    FieldDay, FieldDefaults, FieldParams, FieldPlan, FluidCheck, field_check, field_plan,
    slack_days,
};
pub use forecast::{
    Backtest, DayForecast, DayType, Forecast, ForecastOptions, History, IntervalLen, Model, Note,
    TypeStats, backtest, fit, forecast, wape,
};
pub use policy::{
    FieldSetup, FieldSources, GuidelineValue, Measured, Overrides, PlanRequest, PolicyError,
    QueueSetup, Setup, Source, TargetLevel, field_setup, queue_setup, site_setup,
};
pub use staff::{
    IntervalStaff, MeanSample, PatienceSample, QueuePlan, SlBasis, staff_days, staff_interval,
};
