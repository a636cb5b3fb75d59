//! The demand forecast: level × trend × day-type factor × time-of-day profile, fitted on
//! a history of arrival counts per local day and interval, and its accuracy (WAPE) on a
//! held-back last week.
//!
//! # Fitting
//!
//! 1. Every day of history gets a [`DayType`]: its weekday, or `Holiday` inside a public
//!    holiday off period (weekend days inside it included), or `MakeupWorkday` for a
//!    weekend day declared a working day. Make-up days are left out of the fit: there
//!    are about six a year, too few for their own estimates, and as Saturdays or
//!    Sundays they would distort the weekend estimates.
//! 2. Starting from a flat trend, alternate until nothing changes (at most
//!    [`MAX_ITERATIONS`] rounds):
//!    * the factor of a type is the mean of its days' totals divided by the trend line
//!      on those days, scaled so that the weekday factors (Monday … Sunday) average 1;
//!    * the trend line is the least-squares line through the de-seasonalised totals
//!      (total ÷ factor) of the weekday-typed days with a positive factor, as a
//!      function of days since the last day of history (the origin), so its intercept
//!      is the level at the origin. Holidays are left out of the line: their factor
//!      comes from a handful of days and would add noise to the trend.
//!
//!    When fewer than [`ForecastOptions::min_trend_days`] days (four weeks by default)
//!    can feed the line, or the line would fall to zero inside the history, the slope
//!    is 0 and the level is the mean de-seasonalised total: a trend from two or three
//!    weeks mostly extrapolates noise. For data that follow the model exactly (a fixed
//!    weekly pattern times a linear trend) the true parameters are a fixed point of this
//!    alternation, which is what the tests check.
//! 3. The profile of a type is, per interval, the sum of its days' counts over the sum
//!    of their totals, so it sums to 1 (or is all zero for a type that never had an
//!    arrival, such as Sundays at a hall closed on Sundays).
//!
//! # Forecasting a day
//!
//! `total = max(0, level + slope × days since origin) × factor`, spread over the
//! intervals by the profile. A type without history borrows ([`Note::Fallback`]): a
//! missing working weekday the pooled Monday–Friday estimates, Saturday and Sunday each
//! other, a holiday Sunday's (the closest ordinary pattern to a day off), and failing
//! those the pool of every type that has history. A make-up working day always uses
//! the pooled Monday–Friday factor and profile: offices, schools and shops run a
//! working-day routine on it, so customers call and visit as on a working day; which
//! weekday it imitates is not defined, so no single weekday is preferred.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use serde::Serialize;

use super::error::PlanningError;
use crate::calendar::{DayKind, HolidaySet};

/// Most rounds of the alternating fit; the tests' exact series converge in a few dozen.
pub const MAX_ITERATIONS: usize = 500;

/// Relative change of the fitted parameters below which the alternation stops.
const CONVERGED: f64 = 1e-14;

/// The length of a planning interval: 15, 30 or 60 minutes, or a whole day (work
/// orders are planned per day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct IntervalLen {
    minutes: u32,
}

impl IntervalLen {
    /// 15 minutes.
    pub const MIN_15: Self = Self { minutes: 15 };
    /// 30 minutes.
    pub const MIN_30: Self = Self { minutes: 30 };
    /// 60 minutes.
    pub const MIN_60: Self = Self { minutes: 60 };
    /// A whole day: one interval per day.
    pub const DAY: Self = Self { minutes: 1440 };

    /// The interval of this many minutes.
    ///
    /// # Errors
    ///
    /// [`PlanningError::BadInterval`] unless `minutes` is 15, 30, 60 or 1440.
    pub fn from_minutes(minutes: u32) -> Result<Self, PlanningError> {
        match minutes {
            15 | 30 | 60 | 1440 => Ok(Self { minutes }),
            other => Err(PlanningError::BadInterval(other)),
        }
    }

    /// Length in minutes.
    #[must_use]
    pub const fn minutes(self) -> u32 {
        self.minutes
    }

    /// Length in hours.
    #[must_use]
    pub fn hours(self) -> f64 {
        f64::from(self.minutes) / 60.0
    }

    /// Intervals in a day.
    #[must_use]
    pub const fn per_day(self) -> usize {
        // The constructor only admits divisors of 1440, so the division is exact.
        (1440 / self.minutes) as usize
    }

    /// The interval a local wall-clock time falls in.
    #[must_use]
    pub fn index_of(self, time: NaiveTime) -> usize {
        let minute = time.hour_minute();
        (minute / self.minutes) as usize
    }

    /// The local start time of interval `index`, if it lies within the day.
    #[must_use]
    pub fn start_of(self, index: usize) -> Option<NaiveTime> {
        if index >= self.per_day() {
            return None;
        }
        let minute = u32::try_from(index).ok()? * self.minutes;
        NaiveTime::from_hms_opt(minute / 60, minute % 60, 0)
    }
}

/// Minutes since midnight of a time of day.
trait HourMinute {
    fn hour_minute(&self) -> u32;
}

impl HourMinute for NaiveTime {
    fn hour_minute(&self) -> u32 {
        use chrono::Timelike;
        self.hour() * 60 + self.minute()
    }
}

/// The kind of day a forecast distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayType {
    /// An ordinary Monday.
    Mon,
    /// An ordinary Tuesday.
    Tue,
    /// An ordinary Wednesday.
    Wed,
    /// An ordinary Thursday.
    Thu,
    /// An ordinary Friday.
    Fri,
    /// An ordinary Saturday.
    Sat,
    /// An ordinary Sunday.
    Sun,
    /// A day inside a public-holiday off period.
    Holiday,
    /// A weekend day declared a working day (调休上班).
    MakeupWorkday,
}

impl DayType {
    /// The seven weekday types, Monday first.
    pub const WEEK: [Self; 7] = [
        Self::Mon,
        Self::Tue,
        Self::Wed,
        Self::Thu,
        Self::Fri,
        Self::Sat,
        Self::Sun,
    ];

    /// The working weekdays, pooled for make-up working days.
    pub const WORKDAYS: [Self; 5] = [Self::Mon, Self::Tue, Self::Wed, Self::Thu, Self::Fri];

    /// The type of an ordinary day with this weekday.
    #[must_use]
    pub const fn of_weekday(weekday: Weekday) -> Self {
        match weekday {
            Weekday::Mon => Self::Mon,
            Weekday::Tue => Self::Tue,
            Weekday::Wed => Self::Wed,
            Weekday::Thu => Self::Thu,
            Weekday::Fri => Self::Fri,
            Weekday::Sat => Self::Sat,
            Weekday::Sun => Self::Sun,
        }
    }

    /// The type of `date` under `holidays`.
    #[must_use]
    pub fn of(date: NaiveDate, holidays: &HolidaySet) -> Self {
        match holidays.day_kind(date) {
            DayKind::PublicHoliday => Self::Holiday,
            DayKind::MakeupWorkday => Self::MakeupWorkday,
            DayKind::Workday | DayKind::Weekend => Self::of_weekday(date.weekday()),
        }
    }

    /// Canonical spelling (as in JSON).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Mon => "mon",
            Self::Tue => "tue",
            Self::Wed => "wed",
            Self::Thu => "thu",
            Self::Fri => "fri",
            Self::Sat => "sat",
            Self::Sun => "sun",
            Self::Holiday => "holiday",
            Self::MakeupWorkday => "makeup_workday",
        }
    }

    /// Whether this is one of the seven weekday types.
    #[must_use]
    pub const fn is_weekday(self) -> bool {
        !matches!(self, Self::Holiday | Self::MakeupWorkday)
    }
}

/// Arrival counts per local day and interval. Days absent from the history are
/// unknown, not zero: a caller that knows a day had no arrivals stores a day of zeros.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    interval: IntervalLen,
    days: BTreeMap<NaiveDate, Vec<f64>>,
}

impl History {
    /// An empty history with this interval length.
    #[must_use]
    pub fn new(interval: IntervalLen) -> Self {
        Self {
            interval,
            days: BTreeMap::new(),
        }
    }

    /// The interval length.
    #[must_use]
    pub const fn interval(&self) -> IntervalLen {
        self.interval
    }

    /// Sets the counts of one day, replacing any earlier ones.
    ///
    /// # Errors
    ///
    /// [`PlanningError::WrongLength`] unless there is one count per interval;
    /// [`PlanningError::BadCount`] for a negative or non-finite count.
    pub fn set_day(&mut self, date: NaiveDate, counts: Vec<f64>) -> Result<(), PlanningError> {
        let expected = self.interval.per_day();
        if counts.len() != expected {
            return Err(PlanningError::WrongLength {
                date,
                got: counts.len(),
                expected,
                minutes: self.interval.minutes(),
            });
        }
        if let Some((index, &value)) = counts
            .iter()
            .enumerate()
            .find(|(_, c)| !(c.is_finite() && **c >= 0.0))
        {
            return Err(PlanningError::BadCount { date, index, value });
        }
        self.days.insert(date, counts);
        Ok(())
    }

    /// Records a day as known (all zeros) unless it already has counts.
    pub fn ensure_day(&mut self, date: NaiveDate) {
        let per_day = self.interval.per_day();
        self.days.entry(date).or_insert_with(|| vec![0.0; per_day]);
    }

    /// Adds `count` arrivals to interval `index` of `date`, creating the day (zeros) if
    /// needed.
    ///
    /// # Errors
    ///
    /// [`PlanningError::BadIndex`] for an index outside the day;
    /// [`PlanningError::BadCount`] for a negative or non-finite count.
    pub fn add(&mut self, date: NaiveDate, index: usize, count: f64) -> Result<(), PlanningError> {
        let per_day = self.interval.per_day();
        if index >= per_day {
            return Err(PlanningError::BadIndex {
                date,
                index,
                per_day,
            });
        }
        if !(count.is_finite() && count >= 0.0) {
            return Err(PlanningError::BadCount {
                date,
                index,
                value: count,
            });
        }
        let day = self.days.entry(date).or_insert_with(|| vec![0.0; per_day]);
        if let Some(slot) = day.get_mut(index) {
            *slot += count;
        }
        Ok(())
    }

    /// The counts of one day, if known.
    #[must_use]
    pub fn day(&self, date: NaiveDate) -> Option<&[f64]> {
        self.days.get(&date).map(Vec::as_slice)
    }

    /// Known days in date order.
    pub fn days(&self) -> impl Iterator<Item = (NaiveDate, &[f64])> {
        self.days.iter().map(|(d, c)| (*d, c.as_slice()))
    }

    /// Number of known days.
    #[must_use]
    pub fn len(&self) -> usize {
        self.days.len()
    }

    /// Whether no day is known.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }

    /// The first known day.
    #[must_use]
    pub fn first_date(&self) -> Option<NaiveDate> {
        self.days.keys().next().copied()
    }

    /// The last known day.
    #[must_use]
    pub fn last_date(&self) -> Option<NaiveDate> {
        self.days.keys().next_back().copied()
    }

    /// The known days strictly before `date`.
    #[must_use]
    pub fn before(&self, date: NaiveDate) -> Self {
        Self {
            interval: self.interval,
            days: self
                .days
                .range(..date)
                .map(|(d, c)| (*d, c.clone()))
                .collect(),
        }
    }

    /// The known days on or after `date`.
    #[must_use]
    pub fn since(&self, date: NaiveDate) -> Self {
        Self {
            interval: self.interval,
            days: self
                .days
                .range(date..)
                .map(|(d, c)| (*d, c.clone()))
                .collect(),
        }
    }
}

/// Tuning of the fit; the defaults are what the CLI uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForecastOptions {
    /// Fewest days feeding the trend line for a slope to be fitted (default 28: four
    /// weeks, so each weekday is seen at least four times).
    pub min_trend_days: usize,
    /// Fewest days of history for any fit (default 7: one of each weekday).
    pub min_history_days: usize,
    /// Days held back at the end of the history to measure accuracy (default 7).
    pub holdout_days: usize,
}

impl Default for ForecastOptions {
    fn default() -> Self {
        Self {
            min_trend_days: 28,
            min_history_days: 7,
            holdout_days: 7,
        }
    }
}

/// What the fit learnt about one day type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeStats {
    /// Days of history of this type.
    pub days: usize,
    /// Day-type factor: the type's mean total relative to the trend line.
    pub factor: f64,
    /// Share of the day's arrivals in each interval (sums to 1, or all 0).
    pub profile: Vec<f64>,
    /// Arrivals per interval summed over the type's days (for pooling).
    #[serde(skip)]
    sums: Vec<f64>,
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    /// Interval length.
    pub interval: IntervalLen,
    /// Last day of the history the model was fitted on; the trend counts days from it.
    pub origin: NaiveDate,
    /// De-seasonalised daily total at the origin.
    pub level: f64,
    /// Change of the de-seasonalised daily total per day (0 when no trend is fitted).
    pub slope_per_day: f64,
    /// Whether a trend was fitted.
    pub trend_fitted: bool,
    /// Days that fed the trend line.
    pub trend_days: usize,
    /// Days of history used (make-up working days are not).
    pub history_days: usize,
    /// Estimates per day type that had history.
    pub types: BTreeMap<DayType, TypeStats>,
    /// Remarks on the fit (trend off, …).
    pub notes: Vec<Note>,
}

/// A remark on a fit or a forecast that a user should see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "note", rename_all = "snake_case")]
pub enum Note {
    /// Too few days for a trend: the level is flat.
    TrendOff {
        /// Days that could feed the trend line.
        trend_days: usize,
        /// Days needed.
        needed: usize,
    },
    /// The fitted line falls to zero or below inside the history, so it cannot be a
    /// demand level; the level is flat instead.
    TrendNotPositive,
    /// A day type had no history and was forecast from others.
    Fallback {
        /// The type without history.
        day_type: DayType,
        /// The types whose estimates were pooled for it.
        used: Vec<DayType>,
    },
    /// The history is too short to hold back a week and still fit.
    NoBacktest {
        /// Days of history.
        history_days: usize,
        /// Days needed (fit minimum + held-back days).
        needed: usize,
    },
}

/// The forecast of one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayForecast {
    /// The date.
    pub date: NaiveDate,
    /// Its type.
    pub day_type: DayType,
    /// The types whose factor and profile were used (the type itself, or a pool).
    pub basis: Vec<DayType>,
    /// Forecast arrivals of the day.
    pub total: f64,
    /// Forecast arrivals per interval.
    pub counts: Vec<f64>,
}

/// Accuracy on the held-back end of the history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    /// First held-back day.
    pub from: NaiveDate,
    /// Last held-back day.
    pub to: NaiveDate,
    /// Held-back days with data.
    pub days: usize,
    /// Σ actual arrivals over the held-back intervals.
    pub actual_total: f64,
    /// Σ |actual − forecast| over the held-back intervals.
    pub abs_error_total: f64,
    /// Weighted absolute percentage error Σ|actual − forecast| ÷ Σ actual; `None` when
    /// nothing arrived in the held-back days.
    pub wape: Option<f64>,
}

/// A forecast with its model, its accuracy and its remarks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// The model fitted on the whole history.
    pub model: Model,
    /// The forecast days, in the order asked.
    pub days: Vec<DayForecast>,
    /// Accuracy of the same method on the last week of history, when it is long enough.
    pub backtest: Option<Backtest>,
    /// Remarks on the fit, the forecast days and the backtest.
    pub notes: Vec<Note>,
}

/// Fits the model on the whole history and forecasts `dates`; also measures the
/// method's WAPE on the held-back end of the history (see [`backtest`]).
///
/// # Errors
///
/// [`PlanningError::TooLittleHistory`] when the history is shorter than
/// [`ForecastOptions::min_history_days`].
pub fn forecast(
    history: &History,
    holidays: &HolidaySet,
    dates: &[NaiveDate],
    opts: &ForecastOptions,
) -> Result<Forecast, PlanningError> {
    let model = fit(history, holidays, opts)?;
    let days: Vec<DayForecast> = dates
        .iter()
        .map(|d| model.forecast_day(*d, holidays))
        .collect();
    let mut notes = model.notes.clone();
    for day in &days {
        if day.basis != [day.day_type] && day.day_type != DayType::MakeupWorkday {
            let note = Note::Fallback {
                day_type: day.day_type,
                used: day.basis.clone(),
            };
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
    }
    let backtest = match backtest(history, holidays, opts) {
        Ok(b) => Some(b),
        Err(PlanningError::TooLittleHistory { .. }) => {
            notes.push(Note::NoBacktest {
                history_days: history.len(),
                needed: opts.min_history_days + opts.holdout_days,
            });
            None
        }
        Err(e) => return Err(e),
    };
    Ok(Forecast {
        model,
        days,
        backtest,
        notes,
    })
}

/// Fits the method on the history without its last [`ForecastOptions::holdout_days`]
/// calendar days, forecasts those days and compares: WAPE = Σ|actual − forecast| ÷
/// Σ actual over every interval of the held-back days.
///
/// # Errors
///
/// [`PlanningError::TooLittleHistory`] when what remains before the held-back days is
/// shorter than [`ForecastOptions::min_history_days`].
pub fn backtest(
    history: &History,
    holidays: &HolidaySet,
    opts: &ForecastOptions,
) -> Result<Backtest, PlanningError> {
    let needed = opts.min_history_days + opts.holdout_days;
    let too_little = PlanningError::TooLittleHistory {
        days: history.len(),
        needed,
    };
    let Some(last) = history.last_date() else {
        return Err(too_little);
    };
    let back = u64::try_from(opts.holdout_days.saturating_sub(1)).unwrap_or(u64::MAX);
    let Some(from) = last.checked_sub_days(chrono::Days::new(back)) else {
        return Err(too_little);
    };
    let train = history.before(from);
    if train.len() < opts.min_history_days {
        return Err(too_little);
    }
    let model = fit(&train, holidays, opts)?;
    let (mut actual, mut predicted) = (Vec::new(), Vec::new());
    let held = history.since(from);
    for (date, counts) in held.days() {
        actual.extend_from_slice(counts);
        predicted.extend(model.forecast_day(date, holidays).counts);
    }
    let actual_total: f64 = actual.iter().sum();
    let abs_error_total: f64 = actual
        .iter()
        .zip(&predicted)
        .map(|(a, f)| (a - f).abs())
        .sum();
    Ok(Backtest {
        from,
        to: last,
        days: held.len(),
        actual_total,
        abs_error_total,
        wape: wape(&actual, &predicted),
    })
}

/// Weighted absolute percentage error Σ|actual − forecast| ÷ Σ actual over paired
/// values; `None` when the actuals sum to zero (no arrivals to be wrong about) or the
/// slices differ in length.
#[must_use]
pub fn wape(actual: &[f64], forecast: &[f64]) -> Option<f64> {
    if actual.len() != forecast.len() {
        return None;
    }
    let total: f64 = actual.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let error: f64 = actual
        .iter()
        .zip(forecast)
        .map(|(a, f)| (a - f).abs())
        .sum();
    Some(error / total)
}

/// One day of history as the fit sees it.
struct Obs {
    /// Days since the origin (≤ 0).
    t: f64,
    day_type: DayType,
    total: f64,
}

/// A trend line over days since the origin, and how it was obtained.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Line {
    level: f64,
    slope: f64,
    fitted: bool,
    points: usize,
    not_positive: bool,
}

impl Line {
    const FLAT: Self = Self {
        level: 1.0,
        slope: 0.0,
        fitted: false,
        points: 0,
        not_positive: false,
    };

    fn at(&self, t: f64) -> f64 {
        self.level + self.slope * t
    }
}

/// Fits the model on the whole history (see the module documentation).
///
/// # Errors
///
/// [`PlanningError::TooLittleHistory`] when the history has fewer days than
/// [`ForecastOptions::min_history_days`] or no day other than make-up working days.
pub fn fit(
    history: &History,
    holidays: &HolidaySet,
    opts: &ForecastOptions,
) -> Result<Model, PlanningError> {
    let too_little = PlanningError::TooLittleHistory {
        days: history.len(),
        needed: opts.min_history_days.max(1),
    };
    let Some(origin) = history.last_date() else {
        return Err(too_little);
    };
    if history.len() < opts.min_history_days {
        return Err(too_little);
    }
    let obs: Vec<Obs> = history
        .days()
        .filter_map(|(date, counts)| {
            let day_type = DayType::of(date, holidays);
            #[allow(clippy::cast_precision_loss, reason = "day spans are far below 2^53")]
            let t = (date - origin).num_days() as f64;
            (day_type != DayType::MakeupWorkday).then(|| Obs {
                t,
                day_type,
                total: counts.iter().sum(),
            })
        })
        .collect();
    if obs.is_empty() {
        return Err(too_little);
    }
    let (factors, line) = alternate(&obs, opts);
    let types = type_stats(history, holidays, &factors);
    let mut notes = Vec::new();
    if line.not_positive {
        notes.push(Note::TrendNotPositive);
    } else if !line.fitted {
        notes.push(Note::TrendOff {
            trend_days: line.points,
            needed: opts.min_trend_days,
        });
    }
    Ok(Model {
        interval: history.interval(),
        origin,
        level: line.level,
        slope_per_day: line.slope,
        trend_fitted: line.fitted,
        trend_days: line.points,
        history_days: obs.len(),
        types,
        notes,
    })
}

/// Alternates factors and trend line until they agree.
fn alternate(obs: &[Obs], opts: &ForecastOptions) -> (BTreeMap<DayType, f64>, Line) {
    let mut line = Line::FLAT;
    let mut factors = factors_against(obs, &line);
    for _ in 0..MAX_ITERATIONS {
        let next_line = fit_line(obs, &factors, opts);
        let next_factors = factors_against(obs, &next_line);
        let change = relative_change(&line, &next_line)
            + factors
                .iter()
                .map(|(k, f)| (f - next_factors.get(k).copied().unwrap_or(0.0)).abs())
                .sum::<f64>();
        line = next_line;
        factors = next_factors;
        if change <= CONVERGED {
            break;
        }
    }
    (factors, line)
}

/// How much a line moved, relative to its level.
fn relative_change(a: &Line, b: &Line) -> f64 {
    let scale = a.level.abs().max(b.level.abs()).max(f64::MIN_POSITIVE);
    ((a.level - b.level).abs() + (a.slope - b.slope).abs()) / scale
}

/// Each type's mean ratio of total to the line, scaled so the weekday types present
/// average 1. A line that is not positive on a day cannot divide it; such days are
/// skipped (the line fit guarantees this does not happen for a fitted trend).
fn factors_against(obs: &[Obs], line: &Line) -> BTreeMap<DayType, f64> {
    let mut sums: BTreeMap<DayType, (f64, usize)> = BTreeMap::new();
    for o in obs {
        let base = line.at(o.t);
        if base > 0.0 {
            let e = sums.entry(o.day_type).or_default();
            e.0 += o.total / base;
            e.1 += 1;
        }
    }
    #[allow(clippy::cast_precision_loss, reason = "day counts are far below 2^53")]
    let mut factors: BTreeMap<DayType, f64> = sums
        .into_iter()
        .map(|(k, (s, n))| (k, s / n as f64))
        .collect();
    let weekday: Vec<f64> = factors
        .iter()
        .filter(|(k, _)| k.is_weekday())
        .map(|(_, f)| *f)
        .collect();
    #[allow(clippy::cast_precision_loss, reason = "at most seven values")]
    let mean = weekday.iter().sum::<f64>() / weekday.len().max(1) as f64;
    if mean > 0.0 {
        for f in factors.values_mut() {
            *f /= mean;
        }
    }
    factors
}

/// The least-squares line through the de-seasonalised totals of weekday-typed days
/// with a positive factor, or a flat line at their mean when there are too few or the
/// line is not positive over the history.
fn fit_line(obs: &[Obs], factors: &BTreeMap<DayType, f64>, opts: &ForecastOptions) -> Line {
    let points: Vec<(f64, f64)> = obs
        .iter()
        .filter(|o| o.day_type.is_weekday())
        .filter_map(|o| {
            let f = factors.get(&o.day_type).copied().unwrap_or(0.0);
            (f > 0.0).then_some((o.t, o.total / f))
        })
        .collect();
    if points.is_empty() {
        // No weekday ever had an arrival: a flat unit line makes each factor the
        // type's plain mean total, which is then the forecast.
        return Line::FLAT;
    }
    #[allow(clippy::cast_precision_loss, reason = "day counts are far below 2^53")]
    let n = points.len() as f64;
    let t_mean = points.iter().map(|p| p.0).sum::<f64>() / n;
    let s_mean = points.iter().map(|p| p.1).sum::<f64>() / n;
    let flat = Line {
        level: s_mean,
        slope: 0.0,
        fitted: false,
        points: points.len(),
        not_positive: false,
    };
    let sxx: f64 = points.iter().map(|p| (p.0 - t_mean).powi(2)).sum();
    if points.len() < opts.min_trend_days || sxx <= 0.0 {
        return flat;
    }
    let sxy: f64 = points.iter().map(|p| (p.0 - t_mean) * (p.1 - s_mean)).sum();
    let slope = sxy / sxx;
    let line = Line {
        level: s_mean - slope * t_mean,
        slope,
        fitted: true,
        points: points.len(),
        not_positive: false,
    };
    let t_first = obs.iter().map(|o| o.t).fold(0.0, f64::min);
    if line.at(t_first) > 0.0 && line.at(0.0) > 0.0 {
        line
    } else {
        Line {
            not_positive: true,
            ..flat
        }
    }
}

/// Factors and profiles per type that has history.
fn type_stats(
    history: &History,
    holidays: &HolidaySet,
    factors: &BTreeMap<DayType, f64>,
) -> BTreeMap<DayType, TypeStats> {
    let per_day = history.interval().per_day();
    let mut out: BTreeMap<DayType, TypeStats> = BTreeMap::new();
    for (date, counts) in history.days() {
        let day_type = DayType::of(date, holidays);
        let Some(&factor) = factors.get(&day_type) else {
            continue;
        };
        let stats = out.entry(day_type).or_insert_with(|| TypeStats {
            days: 0,
            factor,
            profile: Vec::new(),
            sums: vec![0.0; per_day],
        });
        stats.days += 1;
        for (sum, c) in stats.sums.iter_mut().zip(counts) {
            *sum += c;
        }
    }
    for stats in out.values_mut() {
        stats.profile = normalised(&stats.sums);
    }
    out
}

/// Values divided by their sum, or zeros when the sum is zero.
fn normalised(sums: &[f64]) -> Vec<f64> {
    let total: f64 = sums.iter().sum();
    if total > 0.0 {
        sums.iter().map(|s| s / total).collect()
    } else {
        vec![0.0; sums.len()]
    }
}

impl Model {
    /// The forecast of one day (see the module documentation).
    #[must_use]
    pub fn forecast_day(&self, date: NaiveDate, holidays: &HolidaySet) -> DayForecast {
        let day_type = DayType::of(date, holidays);
        let basis = self.basis(day_type);
        let (factor, profile) = self.pooled(&basis);
        #[allow(clippy::cast_precision_loss, reason = "day spans are far below 2^53")]
        let t = (date - self.origin).num_days() as f64;
        let total = (self.level + self.slope_per_day * t).max(0.0) * factor;
        DayForecast {
            date,
            day_type,
            counts: profile.iter().map(|p| total * p).collect(),
            total,
            basis,
        }
    }

    /// The types whose estimates forecast a day of type `day_type`.
    #[must_use]
    pub fn basis(&self, day_type: DayType) -> Vec<DayType> {
        let has = |k: &DayType| self.types.contains_key(k);
        let own = || has(&day_type).then(|| vec![day_type]);
        let workdays = || {
            let v: Vec<DayType> = DayType::WORKDAYS.into_iter().filter(has).collect();
            (!v.is_empty()).then_some(v)
        };
        let one = |k: DayType| has(&k).then(|| vec![k]);
        let chosen = match day_type {
            DayType::MakeupWorkday => workdays(),
            DayType::Sat => own().or_else(|| one(DayType::Sun)),
            DayType::Sun => own().or_else(|| one(DayType::Sat)),
            DayType::Holiday => own()
                .or_else(|| one(DayType::Sun))
                .or_else(|| one(DayType::Sat)),
            _ => own().or_else(workdays),
        };
        chosen.unwrap_or_else(|| self.types.keys().copied().collect())
    }

    /// The mean factor and the count-weighted profile of a pool of types.
    fn pooled(&self, basis: &[DayType]) -> (f64, Vec<f64>) {
        let members: Vec<&TypeStats> = basis.iter().filter_map(|k| self.types.get(k)).collect();
        if members.is_empty() {
            return (0.0, vec![0.0; self.interval.per_day()]);
        }
        #[allow(clippy::cast_precision_loss, reason = "at most nine types")]
        let factor = members.iter().map(|s| s.factor).sum::<f64>() / members.len() as f64;
        let mut sums = vec![0.0; self.interval.per_day()];
        for m in &members {
            for (s, x) in sums.iter_mut().zip(&m.sums) {
                *s += x;
            }
        }
        (factor, normalised(&sums))
    }
}
