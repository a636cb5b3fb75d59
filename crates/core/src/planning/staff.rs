//! Staff per interval for queues that customers wait in — call-centre agents and
//! business-hall counters — from the forecast arrivals, the mean handling time and,
//! where customers give up, their mean patience (Erlang A; otherwise Erlang C).
//!
//! # Patience
//!
//! With exponential patience of mean θ, each queued contact contributes its time in
//! queue (until answered, called or abandoned) to the exposure, and each abandon is one
//! event; the maximum-likelihood estimate under this right-censoring is
//! θ̂ = Σ time in queue of all queued contacts ÷ number of abandons ([`PatienceSample`]).
//! Without abandons there is no evidence of impatience and Erlang C is used.
//!
//! # Service-level basis
//!
//! The guideline's service-level indicators (CC-02 for calls, BH-02 for hall tickets)
//! use formula 4: answered within T ÷ (offered − abandoned before T). [`SlBasis`] lets
//! a plan target that definition, or the stricter "answered within T ÷ offered" that
//! [`crate::queueing::Queue::required_agents`] searches on. Without patience the two
//! coincide.

use serde::Serialize;

use super::error::PlanningError;
use super::forecast::{DayForecast, IntervalLen};
use crate::queueing::{Performance, Queue, Shrinkage, Targets};

/// A running mean: count and sum (seconds, hours — the caller's unit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MeanSample {
    /// Values added.
    pub n: u64,
    /// Their sum.
    pub sum: f64,
}

impl MeanSample {
    /// Adds a value; negative or non-finite values are refused (returns `false`), since
    /// a duration cannot be negative and one bad row must not poison the mean.
    pub fn add(&mut self, value: f64) -> bool {
        if value.is_finite() && value >= 0.0 {
            self.n += 1;
            self.sum += value;
            true
        } else {
            false
        }
    }

    /// The mean, when at least one value was added.
    #[must_use]
    pub fn mean(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss, reason = "row counts are far below 2^53")]
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

/// Evidence on the patience of queued contacts: how many waited, how many gave up, and
/// their total time in queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PatienceSample {
    /// Contacts that entered the queue with a known time in queue.
    pub queued: u64,
    /// Of those, contacts that abandoned.
    pub abandons: u64,
    /// Σ time in queue in seconds: until answered (or called) for served contacts,
    /// until leaving for abandons.
    pub wait_s_sum: f64,
}

impl PatienceSample {
    /// Adds one queued contact that waited `wait_s` seconds and then abandoned or not;
    /// a negative or non-finite wait is refused (returns `false`).
    pub fn add(&mut self, wait_s: f64, abandoned: bool) -> bool {
        if !(wait_s.is_finite() && wait_s >= 0.0) {
            return false;
        }
        self.queued += 1;
        self.wait_s_sum += wait_s;
        if abandoned {
            self.abandons += 1;
        }
        true
    }

    /// The maximum-likelihood mean patience θ̂ = Σ time in queue ÷ abandons, in
    /// seconds; `None` without abandons (or when every abandon was instant), where no
    /// finite patience is supported by the data.
    #[must_use]
    pub fn mean_patience_s(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss, reason = "row counts are far below 2^53")]
        let theta = self.wait_s_sum / self.abandons as f64;
        (self.abandons > 0 && theta > 0.0 && theta.is_finite()).then_some(theta)
    }

    /// The share of queued contacts that abandoned.
    #[must_use]
    pub fn abandon_rate(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss, reason = "row counts are far below 2^53")]
        (self.queued > 0).then(|| self.abandons as f64 / self.queued as f64)
    }
}

/// Which service-level definition the plan must meet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlBasis {
    /// Answered within T ÷ offered contacts.
    Offered,
    /// Answered within T ÷ (offered − abandoned before T): the guideline's formula 4.
    #[default]
    ExclEarlyAbandons,
}

/// How to staff one queue: handling, patience, targets and shrinkage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QueuePlan {
    /// Mean handling time in seconds.
    pub aht_s: f64,
    /// Mean patience in seconds; `None` for Erlang C.
    pub patience_s: Option<f64>,
    /// Targets of the staffing search.
    pub targets: Targets,
    /// Service-level definition the service-level target applies to.
    pub basis: SlBasis,
    /// Share of paid time not spent handling contacts.
    pub shrinkage: Shrinkage,
}

/// The staff one interval needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntervalStaff {
    /// Forecast arrivals in the interval.
    pub arrivals: f64,
    /// The same as a rate per hour.
    pub arrivals_per_h: f64,
    /// Fewest agents (counters) meeting every target.
    pub agents: u32,
    /// Staff to schedule: ⌈agents ÷ (1 − shrinkage)⌉.
    pub scheduled: u64,
    /// Service level achieved, on the plan's basis.
    pub service_level: f64,
    /// Mean wait of answered contacts in seconds (`None` when unbounded).
    pub asa_s: Option<f64>,
    /// Occupancy.
    pub occupancy: f64,
    /// Share of offered contacts that abandon (Erlang A only).
    pub p_abandon: Option<f64>,
}

/// The staff for `arrivals` contacts forecast in one interval of length `interval`.
///
/// # Errors
///
/// [`PlanningError::Queueing`] when the queue or targets are invalid or more than
/// [`crate::queueing::MAX_AGENTS`] agents would be needed.
pub fn staff_interval(
    arrivals: f64,
    interval: IntervalLen,
    plan: &QueuePlan,
) -> Result<IntervalStaff, PlanningError> {
    let arrivals_per_h = arrivals / interval.hours();
    let queue = Queue::new(arrivals_per_h, plan.aht_s, plan.patience_s)?;
    let offered = queue.required_agents(&plan.targets)?;
    let performance = match plan.basis {
        SlBasis::ExclEarlyAbandons if plan.patience_s.is_some() => {
            walk_down(&queue, plan, offered)?
        }
        _ => offered,
    };
    Ok(IntervalStaff {
        arrivals,
        arrivals_per_h,
        agents: performance.agents,
        scheduled: plan.shrinkage.scheduled_agents(performance.agents),
        service_level: on_basis(&performance, plan.basis).service_level,
        asa_s: performance.asa_s.is_finite().then_some(performance.asa_s),
        occupancy: performance.occupancy,
        p_abandon: performance.abandonment.map(|a| a.p_abandon),
    })
}

/// The staff of every interval of every forecast day, in order.
///
/// # Errors
///
/// As [`staff_interval`], for the first interval that fails.
pub fn staff_days(
    days: &[DayForecast],
    interval: IntervalLen,
    plan: &QueuePlan,
) -> Result<Vec<Vec<IntervalStaff>>, PlanningError> {
    days.iter()
        .map(|day| {
            day.counts
                .iter()
                .map(|a| staff_interval(*a, interval, plan))
                .collect()
        })
        .collect()
}

/// The performance with the service level of the chosen basis in `service_level`.
fn on_basis(performance: &Performance, basis: SlBasis) -> Performance {
    let mut p = *performance;
    if let (SlBasis::ExclEarlyAbandons, Some(a)) = (basis, p.abandonment) {
        p.service_level = a.service_level_excl_early_abandons;
    }
    p
}

/// From the fewest agents meeting the targets on the "offered" basis, steps down while
/// the targets are still met on the formula-4 basis. Formula 4 removes early abandons
/// from the denominator, so its service level is never below the "offered" one and the
/// minimum on it is never above; the measures fall with fewer agents (the queueing
/// tests check this), so the first failure ends the walk.
fn walk_down(
    queue: &Queue,
    plan: &QueuePlan,
    offered: Performance,
) -> Result<Performance, PlanningError> {
    let mut best = offered;
    while best.agents > 1 {
        let fewer = queue.evaluate(best.agents - 1, plan.targets.answer_within_s)?;
        if plan
            .targets
            .unmet(&on_basis(&fewer, SlBasis::ExclEarlyAbandons))
            .is_some()
        {
            break;
        }
        best = fewer;
    }
    Ok(best)
}
