//! The error type of measure states: bad input is reported as a value, never a panic.

/// Why an observation, a parameter or a deserialised state was rejected.
///
/// Callers branch on these: an importer quarantines the row, a guideline validator
/// reports the parameter, a loader refuses the stored state.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeasureError {
    /// A NaN or infinite input, which would poison every sum it entered.
    #[error("{what} must be a finite number, got {value}")]
    NotFinite {
        /// Which input was wrong (`value`, `den`, ...).
        what: &'static str,
        /// The offending input.
        value: f64,
    },
    /// A negative input where only non-negative ones make sense (histogram values).
    #[error("{what} must not be negative, got {value}")]
    Negative {
        /// Which input was wrong.
        what: &'static str,
        /// The offending input.
        value: f64,
    },
    /// An input whose magnitude exceeds the bound that keeps fixed-point sums exact.
    #[error("{what} must have magnitude at most {max}, got {value}")]
    TooLarge {
        /// Which input was wrong.
        what: &'static str,
        /// The offending input.
        value: f64,
        /// The largest accepted magnitude.
        max: f64,
    },
    /// A quantile outside (0, 1].
    #[error("quantile must be in (0, 1], got {q}")]
    InvalidQuantile {
        /// The offending quantile.
        q: f64,
    },
    /// A rate base ("per 100 lines") that is not a positive finite number.
    #[error("rate base must be a positive finite number, got {per}")]
    InvalidPer {
        /// The offending base.
        per: f64,
    },
    /// A histogram bucket index outside the fixed range of the log scale.
    #[error("histogram bucket {index} is outside the log scale")]
    BucketOutOfRange {
        /// The offending index.
        index: i32,
    },
    /// A state (usually deserialised) that no sequence of observations could produce.
    #[error("inconsistent measure state: {reason}")]
    Inconsistent {
        /// Which invariant is broken.
        reason: &'static str,
    },
}
