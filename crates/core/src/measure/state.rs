//! The measure state: a mergeable partial aggregate of one indicator's rows.

use serde::{Deserialize, Serialize};

use super::fixed::{from_milli, to_milli_named};
use super::{
    Derived, LogHistogram, MeasureError, Quantile, ServiceLevelCounts, SlClass, SlVariant,
    mean_interval, wilson_interval,
};

/// Counts, fixed-point sums, a histogram and service-level counts of the rows of one
/// indicator, for one site, day and stratum or any merge of them.
///
/// Every part merges by addition, so a state for a region and a quarter is the merge of
/// its site-day states, and every indicator derived from it is count-weighted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MeasureState {
    /// Rows in the population (rows that passed the indicator's filter).
    pub n: u64,
    /// Rows meeting the condition: a ratio's numerator, or rows within a time limit.
    pub hits: u64,
    /// Σ of the values, each quantised to thousandths first.
    pub sum_milli: i128,
    /// Σ of the squares of the quantised values, in millionths.
    pub sum_sq_micro: i128,
    /// How many values were summed; rows with a null value are in `n` but not here.
    pub values: u64,
    /// Σ of the second value (a ratio of sums' denominator), quantised to thousandths.
    pub den_sum_milli: i128,
    /// Distribution of the values, for percentiles; empty unless the indicator uses it.
    #[serde(skip_serializing_if = "LogHistogram::is_empty")]
    pub hist: LogHistogram,
    /// Service-level classes of contacts; zero unless the indicator uses them.
    #[serde(skip_serializing_if = "ServiceLevelCounts::is_empty")]
    pub sl: ServiceLevelCounts,
}

/// One row as seen by a measure state: every part is optional except membership.
///
/// Observing a row always adds 1 to `n`, so a row that feeds several parts (a time that
/// is both averaged and compared with a limit) is still counted once.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Row {
    /// Whether the row meets the condition.
    pub hit: bool,
    /// The value to sum (and maybe record in the histogram); `None` for a null value.
    pub value: Option<f64>,
    /// The value to add to the denominator sum of a ratio of sums.
    pub den: Option<f64>,
    /// Whether `value` also goes into the histogram (must then be ≥ 0).
    pub histogram: bool,
    /// The row's service-level class, for contact records.
    pub sl: Option<SlClass>,
}

impl Row {
    /// A row with no hit, no values and no class.
    #[must_use]
    pub fn new() -> Row {
        Row::default()
    }

    /// Sets whether the row meets the condition.
    #[must_use]
    pub fn with_hit(self, hit: bool) -> Row {
        Row { hit, ..self }
    }

    /// Sets the value to sum.
    #[must_use]
    pub fn with_value(self, value: f64) -> Row {
        Row {
            value: Some(value),
            ..self
        }
    }

    /// Sets the denominator value of a ratio of sums.
    #[must_use]
    pub fn with_den(self, den: f64) -> Row {
        Row {
            den: Some(den),
            ..self
        }
    }

    /// Also records the value in the histogram.
    #[must_use]
    pub fn with_histogram(self) -> Row {
        Row {
            histogram: true,
            ..self
        }
    }

    /// Sets the service-level class.
    #[must_use]
    pub fn with_sl(self, class: SlClass) -> Row {
        Row {
            sl: Some(class),
            ..self
        }
    }
}

impl MeasureState {
    /// An empty state, the identity of [`merge`](MeasureState::merge).
    #[must_use]
    pub fn new() -> MeasureState {
        MeasureState::default()
    }

    /// Adds one row.
    ///
    /// # Errors
    /// [`MeasureError::NotFinite`] or [`MeasureError::TooLarge`] for a bad value or
    /// denominator, and [`MeasureError::Negative`] for a negative histogram value. All
    /// inputs are checked before anything changes, so on error the state is unchanged.
    pub fn observe(&mut self, row: &Row) -> Result<(), MeasureError> {
        let value = row.value.map(|v| to_milli_named(v, "value")).transpose()?;
        let den = row.den.map(|d| to_milli_named(d, "den")).transpose()?;
        let bucket = match row.value {
            Some(v) if row.histogram => Some(LogHistogram::bucket_of(v)?),
            _ => None,
        };

        self.n = self.n.saturating_add(1);
        if row.hit {
            self.hits = self.hits.saturating_add(1);
        }
        if let Some(milli) = value {
            let milli = i128::from(milli);
            self.values = self.values.saturating_add(1);
            self.sum_milli = self.sum_milli.wrapping_add(milli);
            self.sum_sq_micro = self.sum_sq_micro.wrapping_add(milli * milli);
        }
        if let Some(milli) = den {
            self.den_sum_milli = self.den_sum_milli.wrapping_add(i128::from(milli));
        }
        if let Some(bucket) = bucket {
            self.hist.add(bucket, 1);
        }
        if let Some(class) = row.sl {
            self.sl.record(class);
        }
        Ok(())
    }

    /// Adds one row of a ratio indicator: in the population, and a hit or not.
    pub fn observe_hit(&mut self, hit: bool) {
        self.n = self.n.saturating_add(1);
        if hit {
            self.hits = self.hits.saturating_add(1);
        }
    }

    /// Adds `rows` rows of a ratio indicator of which `hits` meet the condition: the same
    /// as `rows` calls of [`observe_hit`](MeasureState::observe_hit), `hits` of them
    /// with `true` (so `hits` must not exceed `rows`).
    pub fn observe_hits(&mut self, rows: u64, hits: u64) {
        self.n = self.n.saturating_add(rows);
        self.hits = self.hits.saturating_add(hits.min(rows));
    }

    /// Adds one row of a mean indicator; `None` (a null value) counts in `n` only.
    ///
    /// # Errors
    /// As [`observe`](MeasureState::observe); the state is unchanged on error.
    pub fn observe_value(&mut self, value: Option<f64>) -> Result<(), MeasureError> {
        self.observe(&Row {
            value,
            ..Row::default()
        })
    }

    /// Adds `other` into this state.
    ///
    /// Counts add with saturation and sums with two's-complement wrapping; both are
    /// exactly associative and commutative, and neither is reached below the bounds
    /// documented at [`MAX_ABS_VALUE`](super::MAX_ABS_VALUE).
    pub fn merge(&mut self, other: &MeasureState) {
        self.n = self.n.saturating_add(other.n);
        self.hits = self.hits.saturating_add(other.hits);
        self.sum_milli = self.sum_milli.wrapping_add(other.sum_milli);
        self.sum_sq_micro = self.sum_sq_micro.wrapping_add(other.sum_sq_micro);
        self.values = self.values.saturating_add(other.values);
        self.den_sum_milli = self.den_sum_milli.wrapping_add(other.den_sum_milli);
        self.hist.merge(&other.hist);
        self.sl.merge(&other.sl);
    }

    /// Whether no row was observed or merged in.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == MeasureState::default()
    }

    /// Checks invariants that every observed or merged state satisfies, for states
    /// that come from outside (the engine, the store, an API).
    ///
    /// # Errors
    /// [`MeasureError::Inconsistent`] or [`MeasureError::BucketOutOfRange`].
    pub fn validate(&self) -> Result<(), MeasureError> {
        let fail = |reason| Err(MeasureError::Inconsistent { reason });
        if self.hits > self.n {
            return fail("hits exceed n");
        }
        if self.values > self.n {
            return fail("values exceed n");
        }
        if self.hist.count() > self.n {
            return fail("histogram count exceeds n");
        }
        if self.sl.total() > self.n {
            return fail("service-level counts exceed n");
        }
        if self.sum_sq_micro < 0 {
            return fail("sum of squares is negative");
        }
        if self.values == 0 && (self.sum_milli != 0 || self.sum_sq_micro != 0) {
            return fail("sums are non-zero without values");
        }
        self.hist.validate()
    }

    /// Rows in the population.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.n
    }

    /// `hits / n` as a fraction, with `n` as sample size.
    ///
    /// This is also the "share within limit" of time-limit indicators (BH-02, IM-01,
    /// X-01), whose hits are the rows within the limit; one function serves both so the
    /// two cannot drift apart.
    #[must_use]
    pub fn ratio(&self) -> Derived {
        Derived::fraction(self.hits, self.n)
    }

    /// Σ value / values (of the quantised values), with `values` as sample size.
    #[must_use]
    pub fn mean(&self) -> Derived {
        let value = (self.values > 0).then(|| from_milli(self.sum_milli) / self.values as f64);
        Derived {
            value,
            n: self.values,
        }
    }

    /// The sample standard deviation (divisor values − 1) of the quantised values, with
    /// `values` as sample size; `None` with fewer than two values.
    #[must_use]
    pub fn std_dev(&self) -> Derived {
        Derived {
            value: self.variance_units2().map(f64::sqrt),
            n: self.values,
        }
    }

    /// The nearest-rank q-quantile estimated from the histogram, within 1 % relative
    /// error (see [`LogHistogram`]), with the histogram's count as sample size.
    #[must_use]
    pub fn percentile(&self, q: Quantile) -> Derived {
        Derived {
            value: self.hist.quantile(q),
            n: self.hist.count(),
        }
    }

    /// Rows per `per` users: `n · per / users` (for example fault reports per 100
    /// lines), with `n` as sample size; `None` when `users` is 0.
    ///
    /// # Errors
    /// [`MeasureError::InvalidPer`] unless `per` is positive and finite.
    pub fn rate_per(&self, users: u64, per: f64) -> Result<Derived, MeasureError> {
        if !(per.is_finite() && per > 0.0) {
            return Err(MeasureError::InvalidPer { per });
        }
        let value = (users > 0).then(|| self.n as f64 * per / users as f64);
        Ok(Derived { value, n: self.n })
    }

    /// Σ value / Σ den (for example busy seconds ÷ staffed seconds), with `n` as sample
    /// size; `None` when the denominator sum is zero.
    #[must_use]
    pub fn ratio_of_sums(&self) -> Derived {
        let value =
            (self.den_sum_milli != 0).then(|| self.sum_milli as f64 / self.den_sum_milli as f64);
        Derived { value, n: self.n }
    }

    /// The service level under `variant` from the service-level counts.
    #[must_use]
    pub fn service_level(&self, variant: SlVariant) -> Derived {
        self.sl.service_level(variant)
    }

    /// The Wilson 95 % interval of [`ratio`](MeasureState::ratio).
    #[must_use]
    pub fn ratio_interval(&self) -> Option<(f64, f64)> {
        wilson_interval(self.hits, self.n)
    }

    /// The normal-approximation 95 % interval of [`mean`](MeasureState::mean).
    #[must_use]
    pub fn mean_interval(&self) -> Option<(f64, f64)> {
        let mean = self.mean().value?;
        let std_dev = self.std_dev().value?;
        mean_interval(mean, std_dev, self.values)
    }

    /// The sample variance in squared units, `None` with fewer than two values.
    ///
    /// With k values, S₁ = Σq and S₂ = Σq² in fixed point, the variance is
    /// (k·S₂ − S₁²) / (k(k − 1)). The numerator is computed exactly in integers when it
    /// fits, which avoids the cancellation that ruins the naive f64 formula when the
    /// spread is small against the mean; otherwise it falls back to f64.
    fn variance_units2(&self) -> Option<f64> {
        if self.values < 2 {
            return None;
        }
        let k = i128::from(self.values);
        let exact = k
            .checked_mul(self.sum_sq_micro)
            .zip(self.sum_milli.checked_mul(self.sum_milli))
            .and_then(|(a, b)| a.checked_sub(b));
        let k = self.values as f64;
        let numerator_micro = match exact {
            Some(numerator) => numerator as f64,
            None => k * self.sum_sq_micro as f64 - (self.sum_milli as f64).powi(2),
        };
        // A consistent state has a non-negative numerator (Cauchy–Schwarz); clamping
        // keeps a rounding error in the fallback from producing NaN.
        Some(numerator_micro.max(0.0) / (k * (k - 1.0)) / 1e6)
    }
}
