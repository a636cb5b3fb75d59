//! Field technicians per day from forecast work orders: a daily work balance, and the
//! smallest constant crew that still completes every order within the time limit when
//! work may be carried over from one day to the next.
//!
//! # Model
//!
//! * Work per order w = on-site time + travel time (hours); a day's workload is
//!   orders × w. A technician delivers H productive hours a day (after briefings,
//!   breaks, stock runs).
//! * Daily balance: ⌈workload ÷ H⌉ technicians finish each day's orders the same day.
//! * Time limit: orders are worked first in, first out as a fluid; with capacity Cₜ
//!   hours on day t the backlog at the end of day t is Qₜ = max(0, Qₜ₋₁ + workloadₜ − Cₜ).
//!   Because the queue is FIFO, the backlog always consists of the newest work, so the
//!   orders of day d are finished by the end of day d + k exactly when
//!   Q_{d+k} ≤ Σ workload over days d+1 … d+k. The slack k = ⌊limit_h ÷ 24⌋ − 1 whole
//!   days (at least 0) guarantees the limit for an order created at any time of day d:
//!   the end of day d + k is at most (k + 1) × 24 h after the start of day d. So a 48 h
//!   limit gives k = 1 (finish by the end of the next day), 72 h gives k = 2.
//! * The planned days are treated as one period of a repeating pattern (a typical
//!   week): the backlog is the periodic steady state, found by running the recursion
//!   once from empty and again from where it ended (when capacity covers the workload,
//!   the steady state is reached after one period). Capacity below the period's
//!   workload makes the backlog grow without bound: every day is late.
//! * The crew is the smallest constant number of technicians c for which no day is late
//!   with Cₜ = c × H. It lies between ⌈Σ workload ÷ (days × H)⌉ and the largest daily
//!   balance, which never carries work over.
//!
//! Limits of the model: work is divisible (a 5-hour order can be split between days);
//! travel is a fixed time per order rather than a route; every order gets the same
//! limit (the repair limit is stricter than most install commitments, so installs are
//! planned conservatively); technicians are interchangeable across skills and areas.

use chrono::NaiveDate;
use serde::Serialize;

use super::error::PlanningError;
use crate::queueing::{Domain, Shrinkage};

/// Slack allowed when comparing a backlog with a workload, so an exact tie is not lost
/// to rounding in the last bits.
const SLACK_H: f64 = 1e-9;

/// Field inputs that neither the guideline nor the history gives, used when the user
/// gives none: every interface (command line, server) plans with the same values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FieldDefaults {
    /// Travel time per order, hours.
    pub travel_h: f64,
    /// Productive hours per technician per day.
    pub productive_h: f64,
}

impl FieldDefaults {
    /// 30 minutes of travel per order and 6 productive hours per technician per day, as
    /// `docs/planning.md` states them; a site whose rounds differ gives its own.
    pub const BUILT_IN: FieldDefaults = FieldDefaults {
        travel_h: 0.5,
        productive_h: 6.0,
    };
}

/// Parameters of the technician model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FieldParams {
    /// Mean time on site per order, hours.
    pub onsite_h: f64,
    /// Mean travel time per order, hours.
    pub travel_h: f64,
    /// Productive hours per technician per day.
    pub productive_h: f64,
    /// Completion time limit, hours (48 urban, 72 rural repairs by law).
    pub limit_h: f64,
}

/// One planned day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDay {
    /// The date.
    pub date: NaiveDate,
    /// Forecast orders.
    pub orders: f64,
    /// Workload in technician hours: orders × (on-site + travel).
    pub workload_h: f64,
    /// Technicians to finish the day's orders the same day: ⌈workload ÷ productive h⌉.
    pub balance: u32,
    /// Backlog at the end of the day with the constant crew, hours.
    pub backlog_h: f64,
}

/// Technicians for a run of days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldPlan {
    /// The days, in order.
    pub days: Vec<FieldDay>,
    /// Whole days of carry-over the limit allows.
    pub slack_days: u32,
    /// Smallest constant crew on duty that completes every order within the limit.
    pub crew: u32,
    /// Technicians to schedule: ⌈crew ÷ (1 − shrinkage)⌉.
    pub scheduled: u64,
    /// Workload over capacity of the crew, over all days.
    pub utilisation: f64,
}

/// The result of holding a capacity against the workload and the limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FluidCheck {
    /// Whether capacity covers the workload over the period.
    pub stable: bool,
    /// Steady-state backlog at the end of each day, hours (infinite when unstable).
    pub backlog_h: Vec<f64>,
    /// Whether each day's orders miss the limit.
    pub late: Vec<bool>,
}

impl FluidCheck {
    /// Whether every day's orders meet the limit.
    #[must_use]
    pub fn on_time(&self) -> bool {
        self.stable && !self.late.contains(&true)
    }
}

/// Whole days of carry-over a limit of `limit_h` hours allows: ⌊limit_h ÷ 24⌋ − 1,
/// at least 0 (a limit under 48 h means the same day at this granularity).
#[must_use]
pub fn slack_days(limit_h: f64) -> u32 {
    let days = (limit_h / 24.0).floor() - 1.0;
    if days >= 1.0 { float_to_u32(days) } else { 0 }
}

/// Holds daily capacities against daily workloads (both hours) with `slack` days of
/// carry-over, as one period of a repeating pattern.
///
/// # Errors
///
/// [`PlanningError::LengthMismatch`] when the slices differ in length.
pub fn field_check(
    workload_h: &[f64],
    capacity_h: &[f64],
    slack: u32,
) -> Result<FluidCheck, PlanningError> {
    let n = workload_h.len();
    if capacity_h.len() != n {
        return Err(PlanningError::LengthMismatch {
            what: "capacity",
            got: capacity_h.len(),
            expected: n,
        });
    }
    let stable = workload_h.iter().sum::<f64>() <= capacity_h.iter().sum::<f64>() + SLACK_H;
    if !stable {
        return Ok(FluidCheck {
            stable,
            backlog_h: vec![f64::INFINITY; n],
            late: vec![true; n],
        });
    }
    let step = |q: f64, t: usize| (q + workload_h[t] - capacity_h[t]).max(0.0);
    // One period from empty reaches the steady state; the second records it.
    let mut q = (0..n).fold(0.0, step);
    let mut backlog_h = Vec::with_capacity(n);
    for t in 0..n {
        q = step(q, t);
        backlog_h.push(q);
    }
    let k = usize::try_from(slack).unwrap_or(usize::MAX).min(n * 4);
    let late = (0..n)
        .map(|d| {
            let newer: f64 = (1..=k).map(|j| workload_h[(d + j) % n]).sum();
            backlog_h[(d + k) % n] > newer + SLACK_H
        })
        .collect();
    Ok(FluidCheck {
        stable,
        backlog_h,
        late,
    })
}

/// The technicians for forecast orders per day (see the module documentation).
///
/// # Errors
///
/// [`PlanningError::InvalidParam`] for a negative time, productive hours that are not
/// positive, or a negative or non-finite order count.
pub fn field_plan(
    orders: &[(NaiveDate, f64)],
    params: &FieldParams,
    shrinkage: Shrinkage,
) -> Result<FieldPlan, PlanningError> {
    check_params(orders, params)?;
    let work_h = params.onsite_h + params.travel_h;
    let h = params.productive_h;
    let workload: Vec<f64> = orders.iter().map(|(_, o)| o * work_h).collect();
    let balance: Vec<u32> = workload.iter().map(|w| ceil_u32(w / h)).collect();
    let slack = slack_days(params.limit_h);
    let total: f64 = workload.iter().sum();
    #[allow(clippy::cast_precision_loss, reason = "a plan covers a few days")]
    let low = ceil_u32(total / (orders.len().max(1) as f64 * h));
    let high = balance.iter().copied().max().unwrap_or(0);
    let mut crew = high;
    for c in low..high {
        if field_check(&workload, &vec![f64::from(c) * h; workload.len()], slack)?.on_time() {
            crew = c;
            break;
        }
    }
    let check = field_check(&workload, &vec![f64::from(crew) * h; workload.len()], slack)?;
    #[allow(clippy::cast_precision_loss, reason = "a plan covers a few days")]
    let capacity = f64::from(crew) * h * orders.len() as f64;
    let days = orders
        .iter()
        .zip(workload.iter().zip(&balance))
        .zip(&check.backlog_h)
        .map(|(((date, o), (w, b)), q)| FieldDay {
            date: *date,
            orders: *o,
            workload_h: *w,
            balance: *b,
            backlog_h: *q,
        })
        .collect();
    Ok(FieldPlan {
        days,
        slack_days: slack,
        crew,
        scheduled: shrinkage.scheduled_agents(crew),
        utilisation: if capacity > 0.0 {
            total / capacity
        } else {
            0.0
        },
    })
}

/// Rejects parameters and counts outside their domains.
fn check_params(orders: &[(NaiveDate, f64)], p: &FieldParams) -> Result<(), PlanningError> {
    let bad = |input, expected, value| {
        Err(PlanningError::InvalidParam {
            input,
            expected,
            value,
        })
    };
    let non_negative = |v: f64| v.is_finite() && v >= 0.0;
    if !non_negative(p.onsite_h) {
        return bad("onsite_h", Domain::NonNegativeHours, p.onsite_h);
    }
    if !non_negative(p.travel_h) {
        return bad("travel_h", Domain::NonNegativeHours, p.travel_h);
    }
    if !(p.productive_h.is_finite() && p.productive_h > 0.0 && p.productive_h <= 24.0) {
        return bad("productive_h", Domain::HoursInADay, p.productive_h);
    }
    if !(p.limit_h.is_finite() && p.limit_h > 0.0) {
        return bad("limit_h", Domain::PositiveHours, p.limit_h);
    }
    if let Some((_, o)) = orders.iter().find(|(_, o)| !non_negative(*o)) {
        return bad("orders", Domain::FiniteNonNegative, *o);
    }
    Ok(())
}

/// ⌈x⌉ as a count, for x ≥ 0 (saturating far above any crew).
fn ceil_u32(x: f64) -> u32 {
    // A hair of tolerance keeps 2.0000000000000004 (rounding in w ÷ h) at 2.
    let c = (x - 1e-9).ceil();
    if c <= 0.0 { 0 } else { float_to_u32(c) }
}

/// Converts a whole, non-negative float to a count, saturating.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "callers pass whole numbers ≥ 0; the cast saturates above u32::MAX"
)]
fn float_to_u32(x: f64) -> u32 {
    x as u32
}
