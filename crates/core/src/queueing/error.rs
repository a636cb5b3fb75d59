//! Typed errors of the queueing maths; each names the input at fault so that a caller
//! (the CLI, a batch row, an API handler) can point the user at the exact field.

use std::fmt;

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
        /// The domain the input must lie in, in words.
        expected: &'static str,
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
        reason: &'static str,
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

    /// Builds an [`QueueingError::InvalidInput`] for a numeric value.
    pub(crate) fn invalid(input: Input, expected: &'static str, value: f64) -> Self {
        Self::InvalidInput {
            input,
            expected,
            value: value.to_string(),
        }
    }
}
