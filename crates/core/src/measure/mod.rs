//! Mergeable measure states and the derivation of indicator values from them.
//!
//! A *measure state* is everything an indicator needs from its rows, reduced to parts
//! that merge by addition: a population count `n`, a hit count, fixed-point sums of a
//! value, of its square and of a second (denominator) value, a log-scale histogram and
//! service-level counts. The engine produces one state per indicator, site, day and
//! stratum; this module merges them over periods and organisation nodes
//! ([`merge_all`]) and derives values ([`MeasureState::ratio`], [`MeasureState::mean`],
//! [`MeasureState::percentile`], ...). Because a region's value is derived from the
//! merged counts, roll-ups are count-weighted by construction: two sites at 9/10 and
//! 1/90 give 10/100 = 10 %, never the 45.6 % mean of their percentages.
//!
//! **Fixed point.** Each value is quantised to thousandths of its unit, rounding half
//! away from zero ([`to_milli`]), before it is summed, and sums are `i128`. Integer
//! addition is exactly associative and commutative, so any merge order gives the same
//! state bit for bit and a frozen evaluation reproduces exactly; `f64` sums would not.
//! Values are limited to magnitude [`MAX_ABS_VALUE`] (10¹⁰) so the sums cannot
//! overflow before about 10¹² rows.
//!
//! **Histogram error bound.** [`LogHistogram`] counts values in buckets
//! (γ^(i−1), γ^i] with γ = 1.01/0.99, so the estimate of any nearest-rank quantile is
//! within 1 % relative error of the exact quantile for values ≥ 10⁻³ (smaller values
//! are reported as 0), for any data and after any merges.
//!
//! **Service-level variants.** [`ServiceLevelCounts`] keeps answered and abandoned
//! contacts split by threshold T and short-abandon threshold S, so each of the five
//! formulas of DOMAIN.md §3.7 ([`SlVariant`]) can be derived from the same states.
//!
//! Every derivation returns a [`Derived`]: the value (`None` when the denominator is
//! zero) and the sample size behind it, so small samples can be flagged, with
//! [`wilson_interval`] and [`mean_interval`] for 95 % confidence intervals.

mod derived;
mod error;
mod fixed;
mod histogram;
mod service_level;
mod state;

pub use derived::{Derived, Z_95, mean_interval, wilson_interval};
pub use error::MeasureError;
pub use fixed::{MAX_ABS_VALUE, SCALE, from_milli, to_milli};
pub use histogram::{
    ALPHA, Bucket, GAMMA, LogHistogram, MAX_BUCKET, MAX_VALUE, MIN_BUCKET, MIN_VALUE, Quantile,
};
pub use service_level::{ServiceLevelCounts, SlClass, SlVariant};
pub use state::{MeasureState, Row};

/// Merges states, for example all site-days of a region and a month, into one.
///
/// The empty iterator gives the empty state, and the result does not depend on the
/// order of the states.
#[must_use]
pub fn merge_all<'a>(states: impl IntoIterator<Item = &'a MeasureState>) -> MeasureState {
    let mut total = MeasureState::new();
    for state in states {
        total.merge(state);
    }
    total
}
