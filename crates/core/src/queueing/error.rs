//! Typed errors of the queueing maths; each names the input at fault so that a caller
//! (the CLI, a batch row, an API handler) can point the user at the exact field, and
//! says why in either language from the message catalogue ([`QueueingError::message`]).

use std::fmt;

use crate::i18n;
use crate::vocab::Lang;

/// An input of the queueing maths.
///
/// The names are the snake-case spellings used by the CLI flags (with `-`) and the
/// batch CSV columns (with `_`), so an error message reads the same everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Input {
    /// Contacts offered per hour.
    ArrivalsPerH,
    /// Mean handling time in seconds.
    AhtS,
    /// Answer-time threshold of the service level, in seconds (the "20" in 80/20).
    AnswerWithinS,
    /// Service-level target, a fraction in (0, 1).
    SlTarget,
    /// Target mean wait of answered contacts, in seconds.
    AsaTargetS,
    /// Occupancy cap, a fraction in (0, 1].
    MaxOccupancy,
    /// Share of paid time not available for handling contacts, in [0, 1).
    Shrinkage,
    /// Mean patience of waiting contacts, in seconds (Erlang A).
    PatienceS,
    /// Cap on the share of offered contacts that abandon, in (0, 1).
    MaxAbandon,
    /// Number of agents (servers).
    Agents,
    /// Offered traffic in Erlangs (arrivals per hour × handling time in hours).
    TrafficErlangs,
}

impl Input {
    /// The snake-case name of the input, as used by CLI flags and CSV columns.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::ArrivalsPerH => "arrivals_per_h",
            Self::AhtS => "aht_s",
            Self::AnswerWithinS => "answer_within_s",
            Self::SlTarget => "sl_target",
            Self::AsaTargetS => "asa_target_s",
            Self::MaxOccupancy => "max_occupancy",
            Self::Shrinkage => "shrinkage",
            Self::PatienceS => "patience_s",
            Self::MaxAbandon => "max_abandon",
            Self::Agents => "agents",
            Self::TrafficErlangs => "traffic_erlangs",
        }
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The domain an input must lie in, as a refusal states it ("aht_s must be *a positive
/// finite number*"). Shared by the planning maths' parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Domain {
    /// A finite number ≥ 0.
    FiniteNonNegative,
    /// Offered traffic that is finite.
    FiniteTraffic,
    /// A number of agents between 1 and [`MAX_AGENTS`](super::MAX_AGENTS).
    Agents,
    /// A positive number of seconds.
    PositiveSeconds,
    /// A fraction in (0, 1].
    HalfOpenFraction,
    /// Given only together with a patience.
    WithPatience,
    /// A fraction in (0, 1).
    OpenFraction,
    /// A positive finite number.
    PositiveFinite,
    /// A finite number of seconds ≥ 0.
    NonNegativeSeconds,
    /// A shrinkage: a decimal fraction in [0, 1) or a percentage.
    Shrinkage,
    /// A finite number of hours ≥ 0.
    NonNegativeHours,
    /// Hours in (0, 24].
    HoursInADay,
    /// A positive number of hours.
    PositiveHours,
}

impl Domain {
    /// The catalogue key of its wording.
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Self::FiniteNonNegative => "queueing.domain.finite_non_negative",
            Self::FiniteTraffic => "queueing.domain.finite_traffic",
            Self::Agents => "queueing.domain.agents",
            Self::PositiveSeconds => "queueing.domain.positive_seconds",
            Self::HalfOpenFraction => "queueing.domain.half_open_fraction",
            Self::WithPatience => "queueing.domain.with_patience",
            Self::OpenFraction => "queueing.domain.open_fraction",
            Self::PositiveFinite => "queueing.domain.positive_finite",
            Self::NonNegativeSeconds => "queueing.domain.non_negative_seconds",
            Self::Shrinkage => "queueing.domain.shrinkage",
            Self::NonNegativeHours => "queueing.domain.non_negative_hours",
            Self::HoursInADay => "queueing.domain.hours_in_a_day",
            Self::PositiveHours => "queueing.domain.positive_hours",
        }
    }
}

/// In English (the errors' `Display`); [`QueueingError::message`] speaks either language.
impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(i18n::text(Lang::En, self.key()))
    }
}

/// Why a target inside its domain can never be met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unmeetable {
    /// Some contacts always wait (and, with patience, some abandon), whatever the
    /// staffing: an ASA or an abandonment cap of zero.
    SomeAlwaysWait,
}

impl Unmeetable {
    /// The catalogue key of its wording.
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Self::SomeAlwaysWait => "queueing.reason.some_always_wait",
        }
    }
}

/// In English; [`QueueingError::message`] speaks either language.
impl fmt::Display for Unmeetable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(i18n::text(Lang::En, self.key()))
    }
}

/// Why a queueing computation refused its inputs.
///
/// Every variant is a consequence of the inputs (never of a bug), so callers may treat
/// all of them as "invalid input".
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum QueueingError {
    /// An input is outside its domain (negative rate, AHT of zero, a fraction outside
    /// its interval, a malformed shrinkage text, …).
    #[error("{input} must be {expected}, got {value}")]
    InvalidInput {
        /// The input at fault.
        input: Input,
        /// The domain the input must lie in.
        expected: Domain,
        /// The value that was given, as text.
        value: String,
    },
    /// A target inside its domain that no number of agents can ever meet (an ASA of
    /// zero, an abandonment cap of zero).
    #[error("{input} = {value} can never be met: {reason}")]
    ImpossibleTarget {
        /// The target at fault.
        input: Input,
        /// The value that was given, as text.
        value: String,
        /// Why no staffing meets it.
        reason: Unmeetable,
    },
    /// A staffing search was asked for without any service target to meet.
    #[error("no service target given: set sl_target, asa_target_s or max_abandon")]
    NoTarget,
    /// Meeting the targets would need more agents than the maths supports.
    #[error(
        "more than {max} agents would be needed to meet {limiting} \
         (offered traffic {traffic_erlangs:.3} Erlangs)"
    )]
    TooManyAgents {
        /// The largest staffing the search considers.
        max: u32,
        /// The target (or the traffic itself) that is still unmet at `max` agents.
        limiting: Input,
        /// The offered traffic, for the message.
        traffic_erlangs: f64,
    },
}

impl QueueingError {
    /// The input the error is about, when there is a single one.
    #[must_use]
    pub fn input(&self) -> Option<Input> {
        match self {
            Self::InvalidInput { input, .. } | Self::ImpossibleTarget { input, .. } => Some(*input),
            Self::TooManyAgents { limiting, .. } => Some(*limiting),
            Self::NoTarget => None,
        }
    }

    /// The refusal in `lang`, from the message catalogue (the `Display` text is the
    /// English one).
    #[must_use]
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Self::InvalidInput {
                input,
                expected,
                value,
            } => crate::t!(
                lang,
                "queueing.invalid",
                input = input,
                expected = i18n::text(lang, expected.key()),
                value = value
            ),
            Self::ImpossibleTarget {
                input,
                value,
                reason,
            } => crate::t!(
                lang,
                "queueing.impossible",
                input = input,
                value = value,
                reason = i18n::text(lang, reason.key())
            ),
            Self::NoTarget => crate::t!(lang, "queueing.no_target").to_string(),
            Self::TooManyAgents {
                max,
                limiting,
                traffic_erlangs,
            } => crate::t!(
                lang,
                "queueing.too_many_agents",
                max = max,
                limiting = limiting,
                traffic = format!("{traffic_erlangs:.3}")
            ),
        }
    }

    /// Builds an [`QueueingError::InvalidInput`] for a numeric value.
    pub(crate) fn invalid(input: Input, expected: Domain, value: f64) -> Self {
        Self::InvalidInput {
            input,
            expected,
            value: value.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_in_either_language() {
        let e = QueueingError::invalid(Input::AhtS, Domain::PositiveFinite, -5.0);
        assert_eq!(
            e.to_string(),
            "aht_s must be a positive finite number, got -5"
        );
        assert_eq!(e.message(Lang::En), e.to_string());
        assert_eq!(e.message(Lang::Zh), "aht_s 必须是有限的正数，实际为 -5");
        let e = QueueingError::ImpossibleTarget {
            input: Input::AsaTargetS,
            value: "0".into(),
            reason: Unmeetable::SomeAlwaysWait,
        };
        assert_eq!(e.message(Lang::En), e.to_string());
        assert!(
            e.message(Lang::Zh)
                .starts_with("asa_target_s = 0 永远无法达到："),
            "{}",
            e.message(Lang::Zh)
        );
        let e = QueueingError::TooManyAgents {
            max: 2000,
            limiting: Input::SlTarget,
            traffic_erlangs: 2500.0,
        };
        assert_eq!(e.message(Lang::En), e.to_string());
        assert_eq!(
            e.message(Lang::Zh),
            "要达到 sl_target 需要超过 2000 个坐席（话务量 2500.000 Erlang）"
        );
        assert_eq!(
            QueueingError::NoTarget.message(Lang::En),
            QueueingError::NoTarget.to_string()
        );
    }
}
