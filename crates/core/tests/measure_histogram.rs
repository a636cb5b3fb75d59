//! The log-scale histogram: bucket edges, the nearest-rank definition and the 1 %
//! relative-error guarantee against exact quantiles of random data.

use proptest::prelude::*;
use yardstick_core::measure::{
    ALPHA, Bucket, LogHistogram, MAX_BUCKET, MAX_VALUE, MIN_BUCKET, MIN_VALUE, MeasureError,
    Quantile,
};

/// The documented bound plus room for floating-point rounding in `ln` and `exp`.
const BOUND: f64 = ALPHA + 1e-12;

/// The exact nearest-rank quantile k/1000 of `values`: the value of rank
/// ⌈k · n / 1000⌉ in ascending order, computed in integers so it cannot round.
fn exact_quantile(values: &[f64], k: u64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = u64::try_from(sorted.len()).expect("test vectors are short");
    let rank = (k * n).div_ceil(1000).max(1);
    let index = usize::try_from(rank - 1).expect("rank fits in usize");
    sorted[index]
}

/// Checks an estimate against the guarantee: within 1 % relative error for values of
/// at least MIN_VALUE, exactly 0 below it.
fn assert_within_bound(estimate: f64, exact: f64) {
    if exact < MIN_VALUE {
        assert!(estimate.abs() < f64::MIN_POSITIVE, "{exact} must map to 0");
    } else {
        let error = (estimate - exact).abs() / exact;
        assert!(
            error <= BOUND,
            "estimate {estimate} for {exact}: error {error}"
        );
    }
}

fn histogram_of(values: &[f64]) -> LogHistogram {
    let mut histogram = LogHistogram::new();
    for &value in values {
        histogram.record(value).expect("test values are in range");
    }
    histogram
}

/// Zeros, sub-minimum values and values spread log-uniformly over 10⁻³ … 10⁹.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => Just(0.0),
        1 => 0.0..MIN_VALUE,
        8 => (-3.0_f64..9.0).prop_map(|exponent| 10_f64.powf(exponent)),
    ]
}

proptest! {
    #[test]
    fn quantiles_are_within_one_percent_of_exact_nearest_rank(
        values in prop::collection::vec(value(), 1..300),
        k in 1_u64..=1000,
    ) {
        // q = k / 1000 is inexact in binary for most k; the rank rule must still agree
        // with the integer rank ⌈k · n / 1000⌉.
        let q = Quantile::new(k as f64 / 1000.0).expect("k/1000 is in (0, 1]");
        let estimate = histogram_of(&values).quantile(q).expect("histogram is not empty");
        assert_within_bound(estimate, exact_quantile(&values, k));
    }

    #[test]
    fn every_value_is_estimated_within_one_percent(exponent in -3.0_f64..10.0) {
        // A histogram of one value answers every quantile with that value's bucket.
        let value = 10_f64.powf(exponent).min(MAX_VALUE);
        let estimate = histogram_of(&[value]).quantile(Quantile::MEDIAN).expect("one value");
        assert_within_bound(estimate, value);
    }
}

#[test]
fn bucket_edges_and_the_fixed_range() {
    // Bucket 0 covers (1/γ, 1], so 1 is at its upper edge and 1.0001 starts bucket 1.
    assert_eq!(LogHistogram::bucket_of(1.0), Ok(Bucket::Log(0)));
    assert_eq!(LogHistogram::bucket_of(1.0001), Ok(Bucket::Log(1)));
    // The fixed range: ⌈ln 10⁻³ / ln γ⌉ = ⌈−345.38⌉ = −345, ⌈ln 10¹⁰ / ln γ⌉ = ⌈1151.25⌉
    // = 1152.
    assert_eq!(
        LogHistogram::bucket_of(MIN_VALUE),
        Ok(Bucket::Log(MIN_BUCKET))
    );
    assert_eq!(
        LogHistogram::bucket_of(MAX_VALUE),
        Ok(Bucket::Log(MAX_BUCKET))
    );
    assert_eq!(LogHistogram::bucket_of(0.0), Ok(Bucket::Zero));
    assert_eq!(LogHistogram::bucket_of(0.000_999), Ok(Bucket::Zero));
    // The estimate of bucket 0 is 2 / (γ + 1) = 1 − α = 0.99, 1 % below its upper edge.
    assert!((Bucket::Log(0).estimate() - 0.99).abs() < 1e-12);

    assert!(matches!(
        LogHistogram::bucket_of(-1.0),
        Err(MeasureError::Negative { .. })
    ));
    assert!(matches!(
        LogHistogram::bucket_of(f64::NAN),
        Err(MeasureError::NotFinite { .. })
    ));
    assert!(matches!(
        LogHistogram::bucket_of(1.1e10),
        Err(MeasureError::TooLarge { .. })
    ));
    let mut histogram = LogHistogram::new();
    assert_eq!(
        histogram.record_bucket(Bucket::Log(MAX_BUCKET + 1), 1),
        Err(MeasureError::BucketOutOfRange {
            index: MAX_BUCKET + 1
        })
    );
    assert!(histogram.is_empty());
}

#[test]
fn a_dense_sweep_stays_within_the_bound() {
    // Values 10⁻³ · 1.0001^i for i up to 300 000 cover 10⁻³ … 10¹⁰ with about 18 points
    // per bucket, hitting every bucket near both of its edges.
    let mut value = MIN_VALUE;
    while value <= MAX_VALUE {
        let bucket = LogHistogram::bucket_of(value).expect("value in range");
        assert_within_bound(bucket.estimate(), value);
        value *= 1.0001;
    }
}

#[test]
fn nearest_rank_rule() {
    // Ranks are ⌈q · n⌉: P30 of 10 is the 3rd value although 0.3 · 10 is computed
    // from an inexact 0.3; P95 of 20 is the 19th; P0.1 of 10 is the 1st; P100 the last.
    let rank = |q: f64, n: u64| Quantile::new(q).expect("valid quantile").rank(n);
    assert_eq!(rank(0.3, 10), Some(3));
    assert_eq!(rank(0.7, 10), Some(7));
    assert_eq!(rank(0.95, 20), Some(19));
    assert_eq!(rank(0.001, 10), Some(1));
    assert_eq!(rank(0.5, 3), Some(2));
    assert_eq!(rank(1.0, 7), Some(7));
    assert_eq!(rank(0.5, 0), None);

    // Values 0, 0, 5, 10: P50 is rank 2 → 0 (the zero bucket), P75 rank 3 → 5 within
    // 1 %, P100 rank 4 → 10 within 1 %.
    let histogram = histogram_of(&[0.0, 0.0, 5.0, 10.0]);
    let quantile = |q: f64| {
        histogram
            .quantile(Quantile::new(q).expect("valid quantile"))
            .expect("histogram is not empty")
    };
    assert_within_bound(quantile(0.5), 0.0);
    assert_within_bound(quantile(0.75), 5.0);
    assert_within_bound(quantile(1.0), 10.0);
    assert_eq!(histogram.count(), 4);
    assert_eq!(LogHistogram::new().quantile(Quantile::MEDIAN), None);
}

#[test]
fn bucket_counts_from_an_engine_equal_recorded_values() {
    // An engine that groups by bucket and calls record_bucket must build the same
    // histogram as recording the values one by one.
    let values = [0.0, 0.5e-3, 2.0, 2.0, 2.01, 300.0];
    let mut grouped = LogHistogram::new();
    for &value in &values {
        let bucket = LogHistogram::bucket_of(value).expect("value in range");
        grouped.record_bucket(bucket, 1).expect("bucket in range");
    }
    grouped
        .record_bucket(Bucket::Zero, 0)
        .expect("a zero count is a no-op");
    assert_eq!(grouped, histogram_of(&values));
    assert_eq!(grouped.validate(), Ok(()));
    let buckets: Vec<(Bucket, u64)> = grouped.iter().collect();
    assert_eq!(buckets.first(), Some(&(Bucket::Zero, 2)));
    assert_eq!(buckets.iter().map(|(_, count)| count).sum::<u64>(), 6);
}
