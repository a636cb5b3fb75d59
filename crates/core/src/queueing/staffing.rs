//! A queue described in planning units (contacts per hour, seconds), its performance
//! for a given number of agents, and the exact search for the fewest agents that meet
//! a set of targets.

use serde::Serialize;

use super::erlang::{erlang_b_step, erlang_b_unchecked, erlang_c_from_b};
use super::erlang_a;
use super::error::{Domain, Input, QueueingError, Unmeetable};

/// The largest staffing the evaluation and the search handle.
pub const MAX_AGENTS: u32 = 2000;

/// Slack allowed when comparing a measure with its target, so that an exact tie (an
/// occupancy of exactly 0.85 against a cap of 0.85) is not lost to rounding in the
/// last bits; it is far below the accuracy of any input.
const TARGET_SLACK: f64 = 1e-12;

/// A single-skill queue: Poisson arrivals, exponential handling times and, when
/// `patience_s` is given, exponential patience of waiting contacts (Erlang A);
/// otherwise waiting contacts never leave (Erlang C).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Queue {
    arrivals_per_h: f64,
    aht_s: f64,
    patience_s: Option<f64>,
}

/// Service targets for the staffing search. A search needs at least one of
/// `service_level`, `asa_s` and `max_abandon`; `max_occupancy` only caps the result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Targets {
    /// Answer-time threshold of the service level, in seconds.
    pub answer_within_s: f64,
    /// Minimum share of offered contacts answered within `answer_within_s`, in (0, 1).
    pub service_level: Option<f64>,
    /// Maximum mean wait of answered contacts, in seconds.
    pub asa_s: Option<f64>,
    /// Maximum occupancy, in (0, 1].
    pub max_occupancy: Option<f64>,
    /// Maximum share of offered contacts that abandon, in (0, 1); needs patience.
    pub max_abandon: Option<f64>,
}

/// How a queue performs with a given number of agents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Performance {
    /// Number of agents.
    pub agents: u32,
    /// Offered traffic in Erlangs.
    pub traffic_erlangs: f64,
    /// Probability that an arriving contact finds every agent busy.
    pub p_wait: f64,
    /// Share of offered contacts answered within the answer-time threshold.
    pub service_level: f64,
    /// Mean wait of answered contacts in seconds; infinite for an unstable Erlang C
    /// queue (traffic ≥ agents), where the queue grows without bound.
    pub asa_s: f64,
    /// Share of agent time spent handling contacts (carried traffic / agents).
    pub occupancy: f64,
    /// Abandonment measures, present when the queue has a patience (Erlang A).
    pub abandonment: Option<Abandonment>,
}

/// The Erlang A measures that only exist when contacts may abandon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Abandonment {
    /// Share of offered contacts that abandon.
    pub p_abandon: f64,
    /// Answered within the threshold, over answered contacts.
    pub service_level_answered: f64,
    /// Answered within the threshold, over offered contacts minus those that abandon
    /// before the threshold.
    pub service_level_excl_early_abandons: f64,
    /// Mean wait of all offered contacts (abandoning ones until they leave), seconds.
    pub mean_wait_all_s: f64,
}

impl Queue {
    /// A queue offered `arrivals_per_h` contacts per hour with a mean handling time of
    /// `aht_s` seconds and, optionally, a mean patience of `patience_s` seconds.
    ///
    /// # Errors
    ///
    /// [`QueueingError::InvalidInput`] for a negative or non-finite arrival rate, a
    /// handling time or patience that is not a positive finite number.
    pub fn new(
        arrivals_per_h: f64,
        aht_s: f64,
        patience_s: Option<f64>,
    ) -> Result<Self, QueueingError> {
        if !(arrivals_per_h.is_finite() && arrivals_per_h >= 0.0) {
            return Err(QueueingError::invalid(
                Input::ArrivalsPerH,
                Domain::FiniteNonNegative,
                arrivals_per_h,
            ));
        }
        check_positive(Input::AhtS, aht_s)?;
        if let Some(patience) = patience_s {
            check_positive(Input::PatienceS, patience)?;
        }
        let queue = Self {
            arrivals_per_h,
            aht_s,
            patience_s,
        };
        if !queue.traffic_erlangs().is_finite() {
            return Err(QueueingError::invalid(
                Input::TrafficErlangs,
                Domain::FiniteTraffic,
                queue.traffic_erlangs(),
            ));
        }
        Ok(queue)
    }

    /// Contacts offered per hour.
    #[must_use]
    pub const fn arrivals_per_h(&self) -> f64 {
        self.arrivals_per_h
    }

    /// Mean handling time in seconds.
    #[must_use]
    pub const fn aht_s(&self) -> f64 {
        self.aht_s
    }

    /// Mean patience in seconds, when contacts may abandon.
    #[must_use]
    pub const fn patience_s(&self) -> Option<f64> {
        self.patience_s
    }

    /// Offered traffic in Erlangs: arrivals per hour × handling time in hours.
    #[must_use]
    pub fn traffic_erlangs(&self) -> f64 {
        self.arrivals_per_h * self.aht_s / 3600.0
    }

    /// The performance of the queue with `agents` agents, with the service level
    /// counted at `answer_within_s` seconds.
    ///
    /// # Errors
    ///
    /// [`QueueingError::InvalidInput`] when `agents` exceeds [`MAX_AGENTS`], is 0 while
    /// traffic is offered, or `answer_within_s` is negative or not finite.
    pub fn evaluate(
        &self,
        agents: u32,
        answer_within_s: f64,
    ) -> Result<Performance, QueueingError> {
        check_answer_within(answer_within_s)?;
        if agents > MAX_AGENTS || (agents == 0 && self.traffic_erlangs() > 0.0) {
            return Err(QueueingError::InvalidInput {
                input: Input::Agents,
                expected: Domain::Agents,
                value: agents.to_string(),
            });
        }
        let b = erlang_b_unchecked(agents, self.traffic_erlangs());
        Ok(self.performance(agents, b, answer_within_s))
    }

    /// The fewest agents meeting every target, with the performance they achieve.
    ///
    /// The search walks n upwards from a lower bound below which some target provably
    /// fails, and returns the first n meeting all targets, so the result is the
    /// minimum whether or not the measures are monotone in n (the tests check that
    /// they are). Lower bounds: Erlang C needs n > A for any service target (otherwise
    /// the queue is unstable) and n ≥ A/cap for an occupancy cap; with abandonment at
    /// most n Erlangs are carried, so the share answered is at most n/A, which bounds n
    /// from below for a service level (n ≥ level·A) or an abandonment cap
    /// (n ≥ (1 − cap)·A).
    ///
    /// # Errors
    ///
    /// [`QueueingError::NoTarget`] without a service target; invalid or impossible
    /// targets as [`QueueingError::InvalidInput`] / [`QueueingError::ImpossibleTarget`];
    /// [`QueueingError::TooManyAgents`] when more than [`MAX_AGENTS`] are needed.
    pub fn required_agents(&self, targets: &Targets) -> Result<Performance, QueueingError> {
        targets.validate(self.patience_s.is_some())?;
        let traffic = self.traffic_erlangs();
        if traffic <= 0.0 {
            // Nothing is offered, so no agent is needed and every target is met.
            return Ok(self.performance(0, 0.0, targets.answer_within_s));
        }
        let start = self.lower_bound(targets);
        if start > MAX_AGENTS {
            return Err(self.too_many(targets, start));
        }
        let mut b = erlang_b_unchecked(start - 1, traffic);
        for agents in start..=MAX_AGENTS {
            b = erlang_b_step(b, agents, traffic);
            let performance = self.performance(agents, b, targets.answer_within_s);
            if targets.unmet(&performance).is_none() {
                return Ok(performance);
            }
        }
        Err(self.too_many(targets, MAX_AGENTS))
    }

    /// A staffing below which some target provably fails (see `required_agents`).
    fn lower_bound(&self, targets: &Targets) -> u32 {
        let traffic = self.traffic_erlangs();
        // Each bound is lowered by one agent so that rounding in the product can never
        // push it above the true minimum; the walk then checks the exact condition.
        let at_least = |x: f64| {
            let rounded = x.ceil() - 1.0;
            if rounded >= f64::from(MAX_AGENTS) {
                MAX_AGENTS + 1
            } else if rounded >= 1.0 {
                float_to_agents(rounded)
            } else {
                1
            }
        };
        let mut bound = 1;
        if self.patience_s.is_none() {
            bound = bound.max(at_least(traffic.floor() + 1.0));
            if let Some(cap) = targets.max_occupancy {
                bound = bound.max(at_least(traffic / cap));
            }
        } else {
            if let Some(level) = targets.service_level {
                bound = bound.max(at_least(traffic * level));
            }
            if let Some(cap) = targets.max_abandon {
                bound = bound.max(at_least(traffic * (1.0 - cap)));
            }
        }
        bound
    }

    /// The error for a search that ran past [`MAX_AGENTS`], naming the unmet target.
    fn too_many(&self, targets: &Targets, agents: u32) -> QueueingError {
        let traffic = self.traffic_erlangs();
        let agents = agents.min(MAX_AGENTS);
        let b = erlang_b_unchecked(agents, traffic);
        let limiting = targets
            .unmet(&self.performance(agents, b, targets.answer_within_s))
            .unwrap_or(Input::TrafficErlangs);
        QueueingError::TooManyAgents {
            max: MAX_AGENTS,
            limiting,
            traffic_erlangs: traffic,
        }
    }

    /// The performance with `agents` agents whose Erlang B value is `b`.
    fn performance(&self, agents: u32, b: f64, answer_within_s: f64) -> Performance {
        let traffic = self.traffic_erlangs();
        if traffic <= 0.0 {
            return Performance {
                agents,
                traffic_erlangs: 0.0,
                p_wait: 0.0,
                service_level: 1.0,
                asa_s: 0.0,
                occupancy: 0.0,
                abandonment: self.patience_s.map(|_| Abandonment {
                    p_abandon: 0.0,
                    service_level_answered: 1.0,
                    service_level_excl_early_abandons: 1.0,
                    mean_wait_all_s: 0.0,
                }),
            };
        }
        match self.patience_s {
            None => self.erlang_c_performance(agents, b, answer_within_s),
            Some(patience_s) => self.erlang_a_performance(agents, b, answer_within_s, patience_s),
        }
    }

    /// Erlang C measures from the Erlang B value.
    fn erlang_c_performance(&self, agents: u32, b: f64, answer_within_s: f64) -> Performance {
        let traffic = self.traffic_erlangs();
        let n = f64::from(agents);
        let p_wait = erlang_c_from_b(agents, traffic, b);
        let (service_level, asa_s, occupancy) = if traffic < n {
            let spare = n - traffic;
            (
                1.0 - p_wait * (-spare * answer_within_s / self.aht_s).exp(),
                p_wait * self.aht_s / spare,
                traffic / n,
            )
        } else {
            // Unstable: the queue and every wait grow without bound, agents never idle.
            (0.0, f64::INFINITY, 1.0)
        };
        Performance {
            agents,
            traffic_erlangs: traffic,
            p_wait,
            service_level: service_level.clamp(0.0, 1.0),
            asa_s,
            occupancy,
            abandonment: None,
        }
    }

    /// Exact Erlang A measures (see the `erlang_a` module for the method).
    fn erlang_a_performance(
        &self,
        agents: u32,
        b: f64,
        answer_within_s: f64,
        patience_s: f64,
    ) -> Performance {
        let traffic = self.traffic_erlangs();
        let m = erlang_a::measures(
            agents,
            traffic,
            b,
            self.aht_s / patience_s,
            answer_within_s / self.aht_s,
        );
        Performance {
            agents,
            traffic_erlangs: traffic,
            p_wait: m.p_wait,
            service_level: m.service_level,
            asa_s: m.asa * self.aht_s,
            occupancy: (traffic * m.p_answered / f64::from(agents)).clamp(0.0, 1.0),
            abandonment: Some(Abandonment {
                p_abandon: m.p_abandon,
                service_level_answered: m.service_level_answered,
                service_level_excl_early_abandons: m.service_level_excl_early_abandons,
                mean_wait_all_s: m.mean_wait_all * self.aht_s,
            }),
        }
    }
}

impl Targets {
    /// Targets with only an answer-time threshold; set the fields to add targets.
    #[must_use]
    pub const fn answer_within(answer_within_s: f64) -> Self {
        Self {
            answer_within_s,
            service_level: None,
            asa_s: None,
            max_occupancy: None,
            max_abandon: None,
        }
    }

    /// Checks every target against its domain.
    ///
    /// # Errors
    ///
    /// The first target outside its domain, or that can never be met.
    pub fn validate(&self, has_patience: bool) -> Result<(), QueueingError> {
        check_answer_within(self.answer_within_s)?;
        if let Some(level) = self.service_level {
            check_open_fraction(Input::SlTarget, level)?;
        }
        if let Some(asa) = self.asa_s {
            check_impossible_zero(Input::AsaTargetS, asa, Domain::PositiveSeconds)?;
        }
        if let Some(cap) = self.max_occupancy
            && !(cap > 0.0 && cap <= 1.0)
        {
            return Err(QueueingError::invalid(
                Input::MaxOccupancy,
                Domain::HalfOpenFraction,
                cap,
            ));
        }
        if let Some(cap) = self.max_abandon {
            if !has_patience {
                return Err(QueueingError::InvalidInput {
                    input: Input::MaxAbandon,
                    expected: Domain::WithPatience,
                    value: cap.to_string(),
                });
            }
            check_impossible_zero(Input::MaxAbandon, cap, Domain::OpenFraction)?;
            check_open_fraction(Input::MaxAbandon, cap)?;
        }
        if self.service_level.is_none() && self.asa_s.is_none() && self.max_abandon.is_none() {
            return Err(QueueingError::NoTarget);
        }
        Ok(())
    }

    /// The first target the performance misses, if any.
    #[must_use]
    pub fn unmet(&self, performance: &Performance) -> Option<Input> {
        let p_abandon = performance.abandonment.map_or(0.0, |a| a.p_abandon);
        let misses = [
            (
                Input::SlTarget,
                self.service_level
                    .is_some_and(|level| performance.service_level < level - TARGET_SLACK),
            ),
            (
                Input::AsaTargetS,
                self.asa_s
                    .is_some_and(|asa| performance.asa_s > asa * (1.0 + TARGET_SLACK)),
            ),
            (
                Input::MaxOccupancy,
                self.max_occupancy
                    .is_some_and(|cap| performance.occupancy > cap + TARGET_SLACK),
            ),
            (
                Input::MaxAbandon,
                self.max_abandon
                    .is_some_and(|cap| p_abandon > cap + TARGET_SLACK),
            ),
        ];
        misses
            .into_iter()
            .find(|(_, missed)| *missed)
            .map(|(input, _)| input)
    }
}

/// Rejects a value that is not a positive finite number.
fn check_positive(input: Input, value: f64) -> Result<(), QueueingError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(QueueingError::invalid(input, Domain::PositiveFinite, value))
    }
}

/// Rejects an answer-time threshold that is negative or not finite (0 is allowed: the
/// service level is then the share answered at once).
fn check_answer_within(value: f64) -> Result<(), QueueingError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(QueueingError::invalid(
            Input::AnswerWithinS,
            Domain::NonNegativeSeconds,
            value,
        ))
    }
}

/// Rejects a fraction outside the open interval (0, 1).
fn check_open_fraction(input: Input, value: f64) -> Result<(), QueueingError> {
    if value > 0.0 && value < 1.0 {
        Ok(())
    } else {
        Err(QueueingError::invalid(input, Domain::OpenFraction, value))
    }
}

/// Rejects a cap that is exactly zero as impossible (some wait and some abandonment
/// always remain) and a negative or non-finite one as invalid.
fn check_impossible_zero(input: Input, value: f64, expected: Domain) -> Result<(), QueueingError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else if value == 0.0 {
        Err(QueueingError::ImpossibleTarget {
            input,
            value: value.to_string(),
            reason: Unmeetable::SomeAlwaysWait,
        })
    } else {
        Err(QueueingError::invalid(input, expected, value))
    }
}

/// Converts a float already known to be a whole number in [1, `MAX_AGENTS`].
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "callers pass whole numbers in [1, MAX_AGENTS]"
)]
fn float_to_agents(value: f64) -> u32 {
    value as u32
}
