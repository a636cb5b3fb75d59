//! Derived indicator values with their sample sizes, and 95 % confidence intervals.
//!
//! A value from 3 contacts and one from 3 000 look the same on a dashboard; carrying the
//! sample size with every value, and offering intervals, lets reports flag the former.

use serde::{Deserialize, Serialize};

/// The two-sided 95 % standard-normal quantile, z₀.₉₇₅.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// An indicator value derived from a measure state, with the count behind it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Derived {
    /// The value, or `None` when its denominator is zero (nothing to measure).
    pub value: Option<f64>,
    /// The sample size: the denominator count of a ratio, the number of values of a
    /// mean, standard deviation or percentile, the number of rows of a rate.
    pub n: u64,
}

impl Derived {
    /// `numerator / denominator` with the denominator as sample size.
    #[must_use]
    pub fn fraction(numerator: u64, denominator: u64) -> Derived {
        let value = (denominator > 0).then(|| numerator as f64 / denominator as f64);
        Derived {
            value,
            n: denominator,
        }
    }
}

/// The Wilson score 95 % interval for a proportion `hits / n`, as fractions in [0, 1].
///
/// Unlike the textbook p ± z·√(p(1−p)/n), it stays inside [0, 1] and does not collapse
/// to a point at 0 % or 100 %, which matters for the small samples of a single site-day.
/// `None` when `n` is 0 or `hits > n`.
#[must_use]
pub fn wilson_interval(hits: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 || hits > n {
        return None;
    }
    let n = n as f64;
    let p = hits as f64 / n;
    let z2 = Z_95 * Z_95;
    let scale = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / scale;
    let half = Z_95 / scale * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// The normal-approximation 95 % interval mean ± z·s/√n for a mean of `n` values with
/// sample standard deviation `std_dev`.
///
/// The approximation understates the width for very small `n` (a Student t quantile
/// would be wider); it is meant to flag small samples, not for inference. `None` when
/// `n < 2` or an input is not finite or the deviation is negative.
#[must_use]
pub fn mean_interval(mean: f64, std_dev: f64, n: u64) -> Option<(f64, f64)> {
    if n < 2 || !mean.is_finite() || !std_dev.is_finite() || std_dev < 0.0 {
        return None;
    }
    let half = Z_95 * std_dev / (n as f64).sqrt();
    Some((mean - half, mean + half))
}
