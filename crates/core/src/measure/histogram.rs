//! A fixed log-scale histogram for mergeable percentile estimates with bounded error.
//!
//! Exact percentiles need every value, which a roll-up over months and regions cannot
//! keep. Counting values in buckets whose widths grow geometrically bounds the relative
//! error of any quantile, and because the buckets are the same everywhere, merging two
//! histograms is adding their counts, which is exact, associative and commutative.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::MeasureError;

/// Relative accuracy α of the bucket scale: every estimate is within 1 % of the value.
pub const ALPHA: f64 = 0.01;

/// Ratio γ = (1 + α) / (1 − α) between the upper bounds of consecutive buckets.
pub const GAMMA: f64 = (1.0 + ALPHA) / (1.0 - ALPHA);

/// Values below this go to the zero bucket, whose estimate is 0.
///
/// Record durations in seconds (or another small unit) so that 1 ms is negligible; a
/// value recorded in days would lose everything under 86 s.
pub const MIN_VALUE: f64 = 1e-3;

/// Largest value the histogram accepts, the same bound as for fixed-point sums.
pub const MAX_VALUE: f64 = super::fixed::MAX_ABS_VALUE;

/// Index of the bucket holding [`MIN_VALUE`], the lowest log bucket.
pub const MIN_BUCKET: i32 = -345;

/// Index of the bucket holding [`MAX_VALUE`], the highest log bucket.
pub const MAX_BUCKET: i32 = 1152;

/// One bucket of the scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bucket {
    /// Zero and values below [`MIN_VALUE`].
    Zero,
    /// Bucket `i` holds values in (γ^(i−1), γ^i], for `i` in `MIN_BUCKET..=MAX_BUCKET`.
    Log(i32),
}

impl Bucket {
    /// The value reported for anything in this bucket.
    ///
    /// For bucket `i` it is 2γ^i / (γ + 1), the point whose relative distance to both
    /// ends of (γ^(i−1), γ^i] is exactly α; for the zero bucket it is 0.
    #[must_use]
    pub fn estimate(self) -> f64 {
        match self {
            Bucket::Zero => 0.0,
            Bucket::Log(i) => 2.0 * (f64::from(i) * GAMMA.ln()).exp() / (GAMMA + 1.0),
        }
    }
}

/// A quantile level q in (0, 1], checked once where it is configured.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Quantile(f64);

impl Quantile {
    /// The median, P50.
    pub const MEDIAN: Quantile = Quantile(0.5);

    /// Checks that `q` is in (0, 1].
    ///
    /// # Errors
    /// [`MeasureError::InvalidQuantile`] otherwise (including NaN).
    pub fn new(q: f64) -> Result<Quantile, MeasureError> {
        if q > 0.0 && q <= 1.0 {
            Ok(Quantile(q))
        } else {
            Err(MeasureError::InvalidQuantile { q })
        }
    }

    /// The level as a number.
    #[must_use]
    pub fn get(self) -> f64 {
        self.0
    }

    /// The nearest rank ⌈q · count⌉ (1-based) of this quantile among `count` values,
    /// or `None` when `count` is 0.
    ///
    /// A product q · count within a few units in the last place of a whole number is
    /// taken as that number: 0.3 is not exact in binary, yet P30 of 10 values must be
    /// the 3rd value, not the 4th.
    #[must_use]
    pub fn rank(self, count: u64) -> Option<u64> {
        if count == 0 {
            return None;
        }
        let product = self.0 * count as f64;
        let nearest = product.round();
        let rank = if (product - nearest).abs() <= 4.0 * f64::EPSILON * product {
            nearest
        } else {
            product.ceil()
        };
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "rank is positive and at most count (q <= 1), and is clamped again below"
        )]
        let rank = rank as u64;
        Some(rank.clamp(1, count))
    }
}

impl TryFrom<f64> for Quantile {
    type Error = MeasureError;

    fn try_from(q: f64) -> Result<Quantile, MeasureError> {
        Quantile::new(q)
    }
}

impl From<Quantile> for f64 {
    fn from(q: Quantile) -> f64 {
        q.0
    }
}

/// A log-scale histogram of non-negative values (DDSketch-style, α = 1 %).
///
/// Bucket `i` counts values in (γ^(i−1), γ^i] with γ = (1 + α)/(1 − α) = 1.0202…;
/// values below [`MIN_VALUE`] (10⁻³), including 0, are counted in a separate zero
/// bucket; values above [`MAX_VALUE`] (10¹⁰) and negative values are rejected. Storage
/// is sparse, so an empty histogram holds nothing and serialises to `{}`.
///
/// **Quantile definition.** [`quantile`](LogHistogram::quantile) uses the nearest-rank
/// definition: for q in (0, 1] and `count` values sorted ascending, the q-quantile is
/// the value of rank ⌈q · count⌉ (1-based). The histogram returns the estimate of the
/// bucket holding that value.
///
/// **Error guarantee.** Let x be the exact nearest-rank quantile of the recorded values
/// and x̂ the estimate. If x ≥ 10⁻³ then |x̂ − x| ≤ α · x, that is within 1 % relative
/// error (up to floating-point rounding of order 10⁻¹⁴ in computing the bucket index
/// and estimate); if x < 10⁻³ then x̂ = 0, an absolute error below 10⁻³. The bound
/// holds for any data and survives any sequence of merges, because merging adds counts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LogHistogram {
    /// Count of values in the zero bucket.
    #[serde(skip_serializing_if = "is_zero")]
    zero: u64,
    /// Counts of the log buckets by index; an index is present only with a non-zero count.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    buckets: BTreeMap<i32, u64>,
}

impl LogHistogram {
    /// An empty histogram.
    #[must_use]
    pub fn new() -> LogHistogram {
        LogHistogram::default()
    }

    /// The bucket a value falls in, so an engine can count per bucket itself.
    ///
    /// # Errors
    /// [`MeasureError::NotFinite`], [`MeasureError::Negative`] or
    /// [`MeasureError::TooLarge`] for values outside [0, [`MAX_VALUE`]].
    pub fn bucket_of(value: f64) -> Result<Bucket, MeasureError> {
        let what = "histogram value";
        if !value.is_finite() {
            return Err(MeasureError::NotFinite { what, value });
        }
        if value < 0.0 {
            return Err(MeasureError::Negative { what, value });
        }
        if value > MAX_VALUE {
            return Err(MeasureError::TooLarge {
                what,
                value,
                max: MAX_VALUE,
            });
        }
        if value < MIN_VALUE {
            return Ok(Bucket::Zero);
        }
        let index = (value.ln() / GAMMA.ln()).ceil();
        #[allow(
            clippy::cast_possible_truncation,
            reason = "value is in [1e-3, 1e10], so the index is in about -345..=1152"
        )]
        let index = index as i32;
        // Rounding in ln() can move a value lying on a bucket edge by one bucket; the
        // clamp keeps the two extreme values inside the fixed range.
        Ok(Bucket::Log(index.clamp(MIN_BUCKET, MAX_BUCKET)))
    }

    /// Records one value.
    ///
    /// # Errors
    /// As [`bucket_of`](LogHistogram::bucket_of); the histogram is unchanged on error.
    pub fn record(&mut self, value: f64) -> Result<(), MeasureError> {
        let bucket = LogHistogram::bucket_of(value)?;
        self.add(bucket, 1);
        Ok(())
    }

    /// Adds `count` values to one bucket, as produced by an engine's group-by.
    ///
    /// # Errors
    /// [`MeasureError::BucketOutOfRange`] for a log index outside
    /// `MIN_BUCKET..=MAX_BUCKET`; the histogram is unchanged on error.
    pub fn record_bucket(&mut self, bucket: Bucket, count: u64) -> Result<(), MeasureError> {
        if let Bucket::Log(index) = bucket {
            check_index(index)?;
        }
        self.add(bucket, count);
        Ok(())
    }

    /// Adds the counts of `other` to this histogram.
    pub fn merge(&mut self, other: &LogHistogram) {
        self.zero = self.zero.saturating_add(other.zero);
        for (&index, &count) in &other.buckets {
            self.add(Bucket::Log(index), count);
        }
    }

    /// Number of values recorded.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.buckets
            .values()
            .fold(self.zero, |total, &count| total.saturating_add(count))
    }

    /// Whether nothing was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.zero == 0 && self.buckets.is_empty()
    }

    /// Non-empty buckets in ascending order of value, with their counts.
    pub fn iter(&self) -> impl Iterator<Item = (Bucket, u64)> + '_ {
        let zero = (self.zero > 0).then_some((Bucket::Zero, self.zero));
        zero.into_iter().chain(
            self.buckets
                .iter()
                .map(|(&index, &count)| (Bucket::Log(index), count)),
        )
    }

    /// The estimated nearest-rank q-quantile, or `None` when the histogram is empty.
    ///
    /// See the type documentation for the definition and the 1 % error guarantee.
    #[must_use]
    pub fn quantile(&self, q: Quantile) -> Option<f64> {
        let rank = q.rank(self.count())?;
        let mut seen = 0_u64;
        for (bucket, count) in self.iter() {
            seen = seen.saturating_add(count);
            if seen >= rank {
                return Some(bucket.estimate());
            }
        }
        // Unreachable when counts are consistent, since rank <= count; answering
        // `None` rather than panicking keeps a corrupt state from crashing a report.
        None
    }

    /// Checks a deserialised histogram: indices in range and no zero counts stored
    /// (a stored zero would make equal histograms compare unequal).
    ///
    /// # Errors
    /// [`MeasureError::BucketOutOfRange`] or [`MeasureError::Inconsistent`].
    pub fn validate(&self) -> Result<(), MeasureError> {
        for (&index, &count) in &self.buckets {
            check_index(index)?;
            if count == 0 {
                return Err(MeasureError::Inconsistent {
                    reason: "histogram stores a bucket with a zero count",
                });
            }
        }
        Ok(())
    }

    /// Adds to a bucket, keeping the map free of zero counts; callers check the index.
    pub(super) fn add(&mut self, bucket: Bucket, count: u64) {
        if count == 0 {
            return;
        }
        match bucket {
            Bucket::Zero => self.zero = self.zero.saturating_add(count),
            Bucket::Log(index) => {
                let slot = self.buckets.entry(index).or_insert(0);
                *slot = slot.saturating_add(count);
            }
        }
    }
}

/// Rejects log indices outside the fixed scale.
fn check_index(index: i32) -> Result<(), MeasureError> {
    if (MIN_BUCKET..=MAX_BUCKET).contains(&index) {
        Ok(())
    } else {
        Err(MeasureError::BucketOutOfRange { index })
    }
}

/// Lets serde skip an empty zero bucket (serde passes a reference).
fn is_zero(count: &u64) -> bool {
    *count == 0
}
