//! A site's plan for one week from its stored records: the demand forecast per interval
//! (`yardstick_core::planning::forecast`), the targets and model inputs by the
//! guideline's planning policy (`yardstick_core::planning::policy`), then agents or
//! counters per interval (Erlang A, or C when nobody abandons) or technicians per day
//! against the completion time limit, and the gap to a roster.
//!
//! The answer, [`SitePlan`], is the JSON document of `plan site --format json`; its
//! notes are values ([`PlanNote`]) and the site's name is in both languages, so whoever
//! shows it chooses the language.

use chrono::{Days, NaiveDate};
use serde::Serialize;
use yardstick_core::calendar::{DataStatus, HolidaySet};
use yardstick_core::guideline::Guideline;
use yardstick_core::org::Site;
use yardstick_core::planning::{
    Backtest, DayType, FieldDefaults, Forecast, ForecastOptions, GuidelineValue, IntervalLen,
    Measured, Model, Note, Overrides, PlanRequest, PolicyError, QueueSetup, Source, TargetLevel,
    field_check, field_plan, forecast, staff_interval,
};
use yardstick_core::queueing::{Input, Shrinkage};
use yardstick_core::vocab::{Scene, Text};
use yardstick_engine::series::SiteSeries;

use super::Week;
use super::roster::{Roster, RosterText, parse_roster, start_label};
use crate::error::{Error, Result, in_both};
use crate::evaluate::GuidelineChoice;
use crate::jobs::{Cancel, blocking};
use crate::scope::Actor;
use crate::workspace::Workspace;

/// Weeks of history before the planned week that a plan learns from, unless asked.
pub const DEFAULT_HISTORY_WEEKS: u32 = 13;
/// Interval length of halls and call centres in minutes, unless asked.
pub const DEFAULT_INTERVAL_MIN: u32 = 30;

/// What to plan: a site, a week and everything that may replace the history, the
/// guideline or a default.
#[derive(Debug, Clone)]
pub struct SitePlanRequest {
    /// Site id.
    pub site: String,
    /// The week to plan.
    pub week: Week,
    /// Interval length in minutes, 15, 30 or 60 ([`DEFAULT_INTERVAL_MIN`] when `None`);
    /// field centres are planned per day, and say so when one is given.
    pub interval_min: Option<u32>,
    /// Weeks of history before the week to learn from (at least 1).
    pub history_weeks: u32,
    /// The guideline whose targets (its `[planning]` section) to plan for.
    pub guideline: GuidelineChoice,
    /// Plan to the targets' goals or floors.
    pub level: TargetLevel,
    /// Targets and model inputs given instead of the guideline's or the history's.
    pub overrides: Overrides,
    /// Share of paid time not available [default: none].
    pub shrinkage: Option<Shrinkage>,
    /// Field centres: travel hours per order [default: `FieldDefaults::BUILT_IN`].
    pub travel_h: Option<f64>,
    /// Field centres: productive hours per technician per day [default:
    /// `FieldDefaults::BUILT_IN`].
    pub productive_h: Option<f64>,
    /// A roster to compare with.
    pub roster: Option<RosterText>,
}

impl SitePlanRequest {
    /// A plan of `site` for `week` with every default: 13 weeks of history, 30-minute
    /// intervals, the built-in guideline's goals, no shrinkage, no roster.
    #[must_use]
    pub fn new(site: impl Into<String>, week: Week) -> SitePlanRequest {
        SitePlanRequest {
            site: site.into(),
            week,
            interval_min: None,
            history_weeks: DEFAULT_HISTORY_WEEKS,
            guideline: GuidelineChoice::Builtin,
            level: TargetLevel::default(),
            overrides: Overrides::default(),
            shrinkage: None,
            travel_h: None,
            productive_h: None,
            roster: None,
        }
    }
}

/// A site's plan for a week: the JSON document of `plan site --format json`, where the
/// command line prints the name and the notes in its language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SitePlan {
    /// Site id.
    pub site: String,
    /// Site name in both languages.
    pub name: Text,
    /// Its scene.
    pub scene: Scene,
    /// The week, `2026-W45`.
    pub week: String,
    /// Its Monday.
    pub from: NaiveDate,
    /// Its Sunday.
    pub to: NaiveDate,
    /// Interval length in minutes (1440: per day).
    pub interval_min: u32,
    /// The history learnt from.
    pub history: PlanHistory,
    /// The forecast's weighted absolute percentage error on the held-back week.
    pub wape: Option<f64>,
    /// The held-back week and its totals.
    pub backtest: Option<Backtest>,
    /// The forecast model.
    pub model: Model,
    /// Halls and call centres: the queue's inputs with their sources, and the week's
    /// totals.
    pub queue: Option<QueueSummary>,
    /// Field centres: the technician model and its crew.
    pub field: Option<FieldSummary>,
    /// Halls and call centres: every interval of the week.
    pub intervals: Vec<PlanInterval>,
    /// Field centres: every day of the week.
    pub days: Vec<PlanDay>,
    /// Remarks on the forecast and the calendar.
    pub notes: Vec<PlanNote>,
}

/// The history a plan learnt from: first and last day with an arrival, days, arrivals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanHistory {
    /// First day.
    pub from: Option<NaiveDate>,
    /// Last day.
    pub to: Option<NaiveDate>,
    /// Days from the first to the last.
    pub days: usize,
    /// Arrivals.
    pub arrivals: u64,
}

/// The queue model of a hall or call centre, every input with its source, and the
/// week's totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueSummary {
    /// `erlang_a` with a patience, else `erlang_c`.
    pub model: &'static str,
    /// Mean handling time in seconds.
    pub aht_s: f64,
    /// Its source.
    pub aht_source: Source,
    /// Mean patience in seconds (Erlang A).
    pub patience_s: Option<f64>,
    /// Its source.
    pub patience_source: Source,
    /// Answer-time threshold T in seconds.
    pub answer_within_s: f64,
    /// Its source.
    pub answer_within_source: Source,
    /// Service-level target.
    pub sl_target: Option<f64>,
    /// Its source.
    pub sl_source: Source,
    /// The service level's definition.
    pub sl_basis: yardstick_core::planning::SlBasis,
    /// Abandonment cap.
    pub max_abandon: Option<f64>,
    /// Its source.
    pub max_abandon_source: Source,
    /// Occupancy cap.
    pub max_occupancy: Option<f64>,
    /// Shrinkage.
    pub shrinkage: f64,
    /// Forecast arrivals of the week.
    pub forecast_total: f64,
    /// Staff-hours to schedule.
    pub staff_hours: f64,
    /// Staff-hours rostered, with a roster.
    pub rostered_hours: Option<f64>,
    /// Intervals with fewer rostered than to schedule, with a roster.
    pub short_intervals: Option<usize>,
}

/// One interval of a hall or call centre.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanInterval {
    /// Date.
    pub date: NaiveDate,
    /// Its day type.
    pub day_type: DayType,
    /// Start, `09:30`.
    pub start: String,
    /// Forecast arrivals.
    pub forecast: f64,
    /// Agents or counters needed.
    pub agents: u32,
    /// Staff to schedule (shrinkage).
    pub scheduled: u64,
    /// Rostered, with a roster.
    pub roster: Option<u32>,
    /// Rostered − to schedule, with a roster.
    pub gap: Option<i64>,
    /// Service level reached.
    pub service_level: f64,
    /// Mean wait of answered contacts; `None` when infinite.
    pub asa_s: Option<f64>,
    /// Occupancy.
    pub occupancy: f64,
    /// Share abandoning (Erlang A).
    pub p_abandon: Option<f64>,
}

/// The technician model of a field centre and its crew.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldSummary {
    /// Hours on site per order.
    pub onsite_h: f64,
    /// Its source.
    pub onsite_source: Source,
    /// Travel hours per order.
    pub travel_h: f64,
    /// Productive hours per technician per day.
    pub productive_h: f64,
    /// Completion time limit in hours.
    pub limit_h: f64,
    /// Its source.
    pub limit_source: Source,
    /// Whole days an order may be carried over within the limit.
    pub slack_days: u32,
    /// The same crew every day that meets the limit.
    pub crew: u32,
    /// Technicians to schedule for it (shrinkage).
    pub scheduled: u64,
    /// Workload ÷ the crew's capacity.
    pub utilisation: f64,
    /// Shrinkage.
    pub shrinkage: f64,
    /// With a roster: whether every order meets the limit.
    pub roster_on_time: Option<bool>,
}

/// One day of a field centre.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanDay {
    /// Date.
    pub date: NaiveDate,
    /// Its day type.
    pub day_type: DayType,
    /// Forecast orders.
    pub forecast: f64,
    /// Workload in technician hours.
    pub workload_h: f64,
    /// Technicians to finish the day's orders the same day.
    pub required: u32,
    /// Technicians to schedule for that (shrinkage).
    pub scheduled: u64,
    /// Rostered, with a roster.
    pub roster: Option<u32>,
    /// Rostered − to schedule, with a roster.
    pub gap: Option<i64>,
    /// Work left at the end of the day with the crew, hours.
    pub backlog_h: f64,
    /// With a roster: whether orders of the day miss the limit.
    pub late_with_roster: Option<bool>,
}

/// A remark a user should see with a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "note", rename_all = "snake_case")]
pub enum PlanNote {
    /// Too few days for a trend: the level is flat.
    TrendOff {
        /// Days that could feed the trend.
        trend_days: usize,
        /// Days needed.
        needed: usize,
    },
    /// The fitted trend falls to zero inside the history: not used, the level is flat.
    TrendNotPositive,
    /// A day type had no history and is forecast like others.
    Fallback {
        /// The type without history.
        day_type: DayType,
        /// The types it is forecast like.
        used: Vec<DayType>,
    },
    /// Too little history to hold a week back for the WAPE.
    NoBacktest {
        /// Days of history.
        history_days: usize,
        /// Days needed.
        needed: usize,
    },
    /// Only the statutory holidays of a year are known, not its make-up working days.
    StatutoryHolidaysOnly {
        /// The year.
        year: i32,
    },
    /// No holiday data for a year: no public holidays assumed.
    NoHolidayData {
        /// The year.
        year: i32,
    },
    /// An interval length was given for a field centre, which is planned per day.
    PlannedPerDay,
}

impl From<&Note> for PlanNote {
    fn from(note: &Note) -> PlanNote {
        match note {
            Note::TrendOff { trend_days, needed } => PlanNote::TrendOff {
                trend_days: *trend_days,
                needed: *needed,
            },
            Note::TrendNotPositive => PlanNote::TrendNotPositive,
            Note::Fallback { day_type, used } => PlanNote::Fallback {
                day_type: *day_type,
                used: used.clone(),
            },
            Note::NoBacktest {
                history_days,
                needed,
            } => PlanNote::NoBacktest {
                history_days: *history_days,
                needed: *needed,
            },
        }
    }
}

impl Workspace {
    /// Plans a site for a week from its stored records: forecast, staff per interval
    /// (halls, call centres) or per day (field centres), and the gap to a roster.
    ///
    /// # Errors
    /// Not found for a site the actor may not read; input errors for an interval other
    /// than 15, 30 or 60 minutes, no history weeks, an invalid guideline, a bad roster
    /// (every bad row), too little history before the week, an input or target the
    /// maths refuses (named, with where it came from); damaged-data errors from the
    /// records.
    pub async fn plan_site(
        &self,
        actor: &Actor,
        req: SitePlanRequest,
        cancel: &Cancel,
    ) -> Result<SitePlan> {
        if req.history_weeks == 0 {
            return Err(Error::input("error.plan.history_weeks"));
        }
        let org = self.require_org().await?;
        let site = super::visible_site(actor, &org, &req.site)?;
        let interval = interval_of(&site, req.interval_min)?;
        let (g, _) = self.guideline(&req.guideline).await?;
        let roster = req
            .roster
            .as_ref()
            .map(|r| parse_roster(r, &req.week, interval))
            .transpose()?;
        let monday = req.week.monday();
        let from = monday
            .checked_sub_days(Days::new(u64::from(req.history_weeks) * 7))
            .ok_or_else(|| {
                Error::input("error.plan.history_too_long").arg("weeks", req.history_weeks)
            })?;
        let to = monday - Days::new(1);
        let series = self
            .series_of(org, &site, (from, to), interval, cancel)
            .await?;
        check_history(&site, &series, from, to)?;
        blocking(cancel, move |_| {
            plan(&site, &req, &g, &series, roster.as_ref())
        })
        .await?
    }
}

/// The interval of a site's plan: a day for field centres, else the length asked.
fn interval_of(site: &Site, minutes: Option<u32>) -> Result<IntervalLen> {
    if site.scene == Scene::FieldCentre {
        return Ok(IntervalLen::DAY);
    }
    let minutes = minutes.unwrap_or(DEFAULT_INTERVAL_MIN);
    match IntervalLen::from_minutes(minutes) {
        Ok(i) if i != IntervalLen::DAY => Ok(i),
        _ => Err(Error::input("error.plan.interval").arg("minutes", minutes)),
    }
}

/// Refuses a week without enough history, saying what was looked for.
fn check_history(site: &Site, series: &SiteSeries, from: NaiveDate, to: NaiveDate) -> Result<()> {
    let needed = ForecastOptions::default().min_history_days;
    let kind = series.kind.as_str();
    if series.history.is_empty() {
        return Err(Error::input("error.plan.no_history")
            .arg("site", &site.id)
            .arg("kind", kind)
            .arg("from", from)
            .arg("to", to));
    }
    if series.history.len() < needed {
        return Err(Error::input("error.plan.short_history")
            .arg("site", &site.id)
            .arg("days", series.history.len())
            .arg("kind", kind)
            .arg("from", series.history.first_date().unwrap_or(from))
            .arg("to", series.history.last_date().unwrap_or(to))
            .arg("needed", needed));
    }
    Ok(())
}

/// The plan, computed (synchronous: the staffing search of every interval).
fn plan(
    site: &Site,
    req: &SitePlanRequest,
    g: &Guideline,
    series: &SiteSeries,
    roster: Option<&Roster>,
) -> Result<SitePlan> {
    let week = &req.week;
    let holidays = HolidaySet::china_mainland()
        .map_err(|e| Error::internal("error.plan.holidays").detail(e.to_string()))?;
    let fc = forecast(
        &series.history,
        &holidays,
        &week.dates(),
        &ForecastOptions::default(),
    )
    .map_err(|e| {
        Error::input("error.plan.forecast")
            .arg("site", &site.id)
            .detail(e.to_string())
    })?;
    let mut notes: Vec<PlanNote> = fc.notes.iter().map(PlanNote::from).collect();
    let first = series.history.first_date().unwrap_or(week.monday());
    notes.extend(holiday_notes(&holidays, first, week.sunday()));
    if site.scene == Scene::FieldCentre && req.interval_min.is_some() {
        notes.push(PlanNote::PlannedPerDay);
    }
    let interval = series.history.interval();
    let mut out = SitePlan {
        site: site.id.clone(),
        name: site.name.clone(),
        scene: site.scene,
        week: week.label(),
        from: week.monday(),
        to: week.sunday(),
        interval_min: interval.minutes(),
        history: PlanHistory {
            from: series.history.first_date(),
            to: series.history.last_date(),
            days: series.history.len(),
            arrivals: series.arrivals,
        },
        wape: fc.backtest.as_ref().and_then(|b| b.wape),
        backtest: fc.backtest.clone(),
        model: fc.model.clone(),
        queue: None,
        field: None,
        intervals: Vec::new(),
        days: Vec::new(),
        notes,
    };
    let policy = policy_request(site, req, series);
    if site.scene == Scene::FieldCentre {
        field(&mut out, g, &policy, &fc, roster)?;
    } else {
        let setup =
            yardstick_core::planning::queue_setup(g, &policy).map_err(|e| policy_error(&e))?;
        queue(&mut out, &setup, &fc, interval, roster)?;
    }
    Ok(out)
}

/// The planning policy's request from the user's request and the history.
fn policy_request<'a>(
    site: &'a Site,
    req: &SitePlanRequest,
    series: &SiteSeries,
) -> PlanRequest<'a> {
    let defaults = FieldDefaults::BUILT_IN;
    PlanRequest {
        site,
        level: req.level,
        overrides: req.overrides,
        measured: Measured {
            handle_s: series.handle_s.mean(),
            patience_s: series.patience.mean_patience_s(),
            onsite_s: series.handle_s.mean(),
        },
        shrinkage: req.shrinkage.unwrap_or_default(),
        travel_h: req.travel_h.unwrap_or(defaults.travel_h),
        productive_h: req.productive_h.unwrap_or(defaults.productive_h),
    }
}

/// A policy error with the input that fixes it.
fn policy_error(e: &PolicyError) -> Error {
    match e {
        PolicyError::NoHandlingTimes { site, scene } => Error::input(match scene {
            Scene::Hall => "error.plan.no_handling_times_hall",
            _ => "error.plan.no_handling_times",
        })
        .arg("site", site),
        PolicyError::NoOnsiteTimes { site } => {
            Error::input("error.plan.no_onsite_times").arg("site", site)
        }
        PolicyError::InvalidInput {
            error,
            from: Some(from),
        } if *from != Source::Flag => {
            let flag = match error.input() {
                Some(Input::SlTarget) => "--sl-target",
                Some(Input::MaxAbandon) => "--max-abandon",
                _ => return super::staffing::queueing_error(error),
            };
            let e = match from {
                Source::Guideline { indicator, value } => match value {
                    GuidelineValue::Goal => Error::input("error.plan.from_goal"),
                    GuidelineValue::Floor => Error::input("error.plan.from_floor"),
                    GuidelineValue::Option(name) => {
                        Error::input("error.plan.from_option").arg("option", name)
                    }
                }
                .arg("indicator", indicator),
                Source::History => Error::input("error.plan.from_history"),
                _ => Error::input("error.plan.from_default"),
            };
            e.arg_localised("problem", in_both(|l| error.message(l)))
                .arg("flag", flag)
        }
        PolicyError::InvalidInput { error, .. } => super::staffing::queueing_error(error),
        _ => Error::internal("error.plan.failed").detail(e.to_string()),
    }
}

/// Gap of a roster against staff to schedule.
fn gap(roster: Option<u32>, scheduled: u64) -> Option<i64> {
    roster.map(|r| i64::from(r) - i64::try_from(scheduled).unwrap_or(i64::MAX))
}

/// Staff per interval of a call centre or hall.
fn queue(
    out: &mut SitePlan,
    setup: &QueueSetup,
    fc: &Forecast,
    interval: IntervalLen,
    roster: Option<&Roster>,
) -> Result<()> {
    let plan = &setup.plan;
    let mut rows = Vec::new();
    for day in &fc.days {
        for (index, arrivals) in day.counts.iter().enumerate() {
            let start = start_label(interval, index);
            let staff = staff_interval(*arrivals, interval, plan).map_err(|e| {
                Error::input("error.plan.at_interval")
                    .arg("date", day.date)
                    .arg("start", &start)
                    .detail_localised(in_both(|l| e.message(l)))
            })?;
            let rostered = roster.map(|r| r.get(&(day.date, index)).copied().unwrap_or(0));
            rows.push(PlanInterval {
                date: day.date,
                day_type: day.day_type,
                start,
                forecast: staff.arrivals,
                agents: staff.agents,
                scheduled: staff.scheduled,
                roster: rostered,
                gap: gap(rostered, staff.scheduled),
                service_level: staff.service_level,
                asa_s: staff.asa_s,
                occupancy: staff.occupancy,
                p_abandon: staff.p_abandon,
            });
        }
    }
    let hours = interval.hours();
    #[allow(clippy::cast_precision_loss, reason = "staff counts are small")]
    let staff_hours = rows.iter().map(|r| r.scheduled as f64).sum::<f64>() * hours;
    let rostered_hours = roster.map(|_| {
        rows.iter()
            .filter_map(|r| r.roster)
            .map(f64::from)
            .sum::<f64>()
            * hours
    });
    let short = roster.map(|_| rows.iter().filter(|r| r.gap.is_some_and(|g| g < 0)).count());
    out.queue = Some(QueueSummary {
        model: if plan.patience_s.is_some() {
            "erlang_a"
        } else {
            "erlang_c"
        },
        aht_s: plan.aht_s,
        aht_source: setup.aht.clone(),
        patience_s: plan.patience_s,
        patience_source: setup.patience.clone(),
        answer_within_s: plan.targets.answer_within_s,
        answer_within_source: setup.answer_within.clone(),
        sl_target: plan.targets.service_level,
        sl_source: setup.sl.clone(),
        sl_basis: plan.basis,
        max_abandon: plan.targets.max_abandon,
        max_abandon_source: setup.abandon.clone(),
        max_occupancy: plan.targets.max_occupancy,
        shrinkage: plan.shrinkage.as_f64(),
        forecast_total: fc.days.iter().map(|d| d.total).sum(),
        staff_hours,
        rostered_hours,
        short_intervals: short,
    });
    out.intervals = rows;
    Ok(())
}

/// Technicians per day of a field centre.
fn field(
    out: &mut SitePlan,
    g: &Guideline,
    policy: &PlanRequest<'_>,
    fc: &Forecast,
    roster: Option<&Roster>,
) -> Result<()> {
    let setup = yardstick_core::planning::field_setup(g, policy).map_err(|e| policy_error(&e))?;
    let (params, sources) = (setup.params, setup.sources);
    let shrinkage = policy.shrinkage;
    let orders: Vec<(NaiveDate, f64)> = fc.days.iter().map(|d| (d.date, d.total)).collect();
    let plan = field_plan(&orders, &params, shrinkage).map_err(|e| {
        Error::input("error.plan.input").detail_localised(in_both(|l| e.message(l)))
    })?;
    let rostered: Option<Vec<u32>> = roster.map(|r| {
        plan.days
            .iter()
            .map(|d| r.get(&(d.date, 0)).copied().unwrap_or(0))
            .collect()
    });
    let check = match &rostered {
        Some(staff) => {
            let workload: Vec<f64> = plan.days.iter().map(|d| d.workload_h).collect();
            let available = 1.0 - shrinkage.as_f64();
            let capacity: Vec<f64> = staff
                .iter()
                .map(|s| f64::from(*s) * available * params.productive_h)
                .collect();
            Some(
                field_check(&workload, &capacity, plan.slack_days).map_err(|e| {
                    Error::input("error.plan.input").detail_localised(in_both(|l| e.message(l)))
                })?,
            )
        }
        None => None,
    };
    out.days = plan
        .days
        .iter()
        .zip(fc.days.iter().map(|d| d.day_type))
        .enumerate()
        .map(|(i, (d, day_type))| {
            let r = rostered.as_ref().and_then(|v| v.get(i).copied());
            let scheduled = shrinkage.scheduled_agents(d.balance);
            PlanDay {
                date: d.date,
                day_type,
                forecast: d.orders,
                workload_h: d.workload_h,
                required: d.balance,
                scheduled,
                roster: r,
                gap: gap(r, scheduled),
                backlog_h: d.backlog_h,
                late_with_roster: check.as_ref().and_then(|c| c.late.get(i).copied()),
            }
        })
        .collect();
    out.field = Some(FieldSummary {
        onsite_h: params.onsite_h,
        onsite_source: sources.onsite,
        travel_h: params.travel_h,
        productive_h: params.productive_h,
        limit_h: params.limit_h,
        limit_source: sources.limit,
        slack_days: plan.slack_days,
        crew: plan.crew,
        scheduled: plan.scheduled,
        utilisation: plan.utilisation,
        shrinkage: shrinkage.as_f64(),
        roster_on_time: check.as_ref().map(|c| c.on_time()),
    });
    Ok(())
}

/// Remarks on the holiday data of the years from `from` to `to`.
fn holiday_notes(holidays: &HolidaySet, from: NaiveDate, to: NaiveDate) -> Vec<PlanNote> {
    holidays
        .coverage(from, to)
        .into_iter()
        .filter_map(|(year, status)| match status {
            Some(DataStatus::Official) => None,
            Some(DataStatus::StatutoryOnly) => Some(PlanNote::StatutoryHolidaysOnly { year }),
            None => Some(PlanNote::NoHolidayData { year }),
        })
        .collect()
}
