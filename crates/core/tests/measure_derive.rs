//! Derivations from hand-built measure states, with the expected values worked out by
//! hand in the comments.

use insta::assert_snapshot;
use yardstick_core::measure::{
    Derived, MeasureError, MeasureState, Quantile, Row, ServiceLevelCounts, SlClass, SlVariant,
    merge_all, to_milli, wilson_interval,
};

/// Renders a derived value as `value (n=…)` with four decimals, or `none (n=…)`.
fn show(derived: Derived) -> String {
    match derived.value {
        Some(value) => format!("{value:.4} (n={})", derived.n),
        None => format!("none (n={})", derived.n),
    }
}

/// Renders an interval with four decimals.
fn show_interval(interval: Option<(f64, f64)>) -> String {
    match interval {
        Some((low, high)) => format!("[{low:.4}, {high:.4}]"),
        None => "none".to_owned(),
    }
}

/// Builds a state from rows, failing the test on a rejected row.
fn state_of(rows: &[Row]) -> MeasureState {
    let mut state = MeasureState::new();
    for row in rows {
        state.observe(row).expect("test rows are valid");
    }
    state
}

/// Ten hall tickets: eight waits in minutes (2, 4, 4, 4, 5, 5, 7, 9), each against 10
/// staffed minutes, hit when the wait is ≤ 4; and two walk-aways with no wait recorded.
fn tickets() -> MeasureState {
    let mut rows: Vec<Row> = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]
        .into_iter()
        .map(|wait| {
            Row::new()
                .with_hit(wait <= 4.0)
                .with_value(wait)
                .with_den(10.0)
                .with_histogram()
        })
        .collect();
    rows.push(Row::new());
    rows.push(Row::new());
    state_of(&rows)
}

#[test]
fn every_derivation_on_a_small_state() {
    // n = 10 rows, hits = 4 (waits 2, 4, 4, 4), values = 8, Σ = 40, den Σ = 80.
    // ratio          = 4 / 10 = 0.4
    // mean           = 40 / 8 = 5
    // std_dev        = √(Σ(x − 5)² / 7) = √((9 + 1 + 1 + 1 + 0 + 0 + 4 + 16) / 7)
    //                = √(32 / 7) = √4.5714 = 2.1381
    // P50            = rank ⌈0.5 · 8⌉ = 4 → 4; bucket ⌈ln 4 / ln γ⌉ = ⌈69.31⌉ = 70,
    //                  estimate 2γ^70/(γ + 1) = (1 − α)·γ^70 = 0.99 · e^(70 · 0.02000067)
    //                  = 0.99 · 4.05539 = 4.0148 (0.37 % above 4)
    // P90            = rank ⌈7.2⌉ = 8 → 9; bucket ⌈109.86⌉ = 110,
    //                  0.99 · e^(110 · 0.02000067) = 0.99 · 9.02568 = 8.9354 (0.72 % below 9)
    // rate_per 100   = 10 rows · 100 / 200 users = 5
    // ratio_of_sums  = 40 / 80 = 0.5
    // wilson 4/10    : z² = 3.8415, scale = 1 + z²/10 = 1.38415,
    //                  centre = (0.4 + 0.19207) / 1.38415 = 0.42775,
    //                  half = 1.96 / 1.38415 · √(0.024 + 0.0096037) = 0.25957
    //                  → [0.1682, 0.6873]
    // mean interval  : 5 ± 1.96 · 2.1381 / √8 = 5 ± 1.4816 → [3.5184, 6.4816]
    let state = tickets();
    let p90 = Quantile::new(0.9).expect("0.9 is a valid quantile");
    let table = [
        ("count", state.count().to_string()),
        ("ratio", show(state.ratio())),
        ("mean", show(state.mean())),
        ("std_dev", show(state.std_dev())),
        ("p50", show(state.percentile(Quantile::MEDIAN))),
        ("p90", show(state.percentile(p90))),
        (
            "rate_per_100",
            show(state.rate_per(200, 100.0).expect("100 is a valid base")),
        ),
        ("ratio_of_sums", show(state.ratio_of_sums())),
        ("ratio_interval", show_interval(state.ratio_interval())),
        ("mean_interval", show_interval(state.mean_interval())),
    ]
    .iter()
    .map(|(name, value)| format!("{name:<15}{value}"))
    .collect::<Vec<_>>()
    .join("\n");
    assert_snapshot!(table, @r"
    count          10
    ratio          0.4000 (n=10)
    mean           5.0000 (n=8)
    std_dev        2.1381 (n=8)
    p50            4.0148 (n=8)
    p90            8.9354 (n=8)
    rate_per_100   5.0000 (n=10)
    ratio_of_sums  0.5000 (n=10)
    ratio_interval [0.1682, 0.6873]
    mean_interval  [3.5184, 6.4816]
    ");
}

#[test]
fn empty_denominators_give_none_with_their_sample_size() {
    // Nothing observed: every denominator is zero, so every value is None.
    let empty = MeasureState::new();
    let median = Quantile::MEDIAN;
    assert_eq!(show(empty.ratio()), "none (n=0)");
    assert_eq!(show(empty.mean()), "none (n=0)");
    assert_eq!(show(empty.std_dev()), "none (n=0)");
    assert_eq!(show(empty.percentile(median)), "none (n=0)");
    assert_eq!(show(empty.ratio_of_sums()), "none (n=0)");
    assert_eq!(show(empty.service_level(SlVariant::Pure)), "none (n=0)");
    assert_eq!(empty.ratio_interval(), None);
    assert_eq!(empty.mean_interval(), None);

    // Two null-valued rows: n = 2 but no value, so the mean is None with n = 0, and a
    // rate over zero users is None with the 2 rows as its sample size.
    let mut nulls = MeasureState::new();
    nulls.observe_value(None).expect("a null value is valid");
    nulls.observe_value(None).expect("a null value is valid");
    assert_eq!(nulls.count(), 2);
    assert_eq!(show(nulls.mean()), "none (n=0)");
    let rate = nulls.rate_per(0, 100.0).expect("100 is a valid base");
    assert_eq!(show(rate), "none (n=2)");

    // One value: a mean but no standard deviation (it needs two).
    let mut one = MeasureState::new();
    one.observe_value(Some(3.0)).expect("3 is a valid value");
    assert_eq!(show(one.mean()), "3.0000 (n=1)");
    assert_eq!(show(one.std_dev()), "none (n=1)");
}

#[test]
fn roll_up_is_count_weighted_not_an_average_of_ratios() {
    // Site A meets the condition in 9 of 10 rows (90 %), site B in 1 of 90 (1.1 %).
    // The region is (9 + 1) / (10 + 90) = 10 / 100 = 10 %; the unweighted mean of the
    // two site percentages, (90 % + 1.11 %) / 2 = 45.6 %, would be wrong.
    let mut site_a = MeasureState::new();
    for i in 0..10 {
        site_a.observe_hit(i < 9);
    }
    let mut site_b = MeasureState::new();
    for i in 0..90 {
        site_b.observe_hit(i < 1);
    }
    let region = merge_all([&site_a, &site_b]);
    assert_eq!((region.hits, region.n), (10, 100));
    assert_eq!(show(region.ratio()), "0.1000 (n=100)");

    let average_of_ratios = (0.9 + 1.0 / 90.0) / 2.0;
    assert_eq!(format!("{average_of_ratios:.4}"), "0.4556");
}

#[test]
fn five_service_level_variants_on_the_domain_example() {
    // DOMAIN.md §3.7: 1 000 answered (860 ≤ 20 s, 140 later), 60 abandoned: 20 ≤ 20 s,
    // of which 10 before S = 5 s, and 40 > 20 s. Plus 25 contained in the IVR, which
    // must change nothing.
    //   ans = 1 000, ab = 60, ans≤T = 860, ab≤T = 20, ab>T = 40, ab_short = 10
    // 1 abandons_neutral       (860 + 20) / (1 000 + 60) = 880 / 1 060 = 0.8302 → 83 %
    // 2 answered_only          860 / 1 000                        = 0.8600 → 86 %
    // 3 pure                   860 / (1 000 + 60)  = 860 / 1 060  = 0.8113 → 81 %
    // 4 early_abandons_neutral 860 / (1 000 + 40)  = 860 / 1 040  = 0.8269 → 83 %
    // 5 short_abandons_neutral 860 / (1 000 + 60 − 10) = 860 / 1 050 = 0.8190 → 82 %
    let counts = ServiceLevelCounts {
        answered_within: 860,
        answered_after: 140,
        abandoned_short: 10,
        abandoned_within: 10,
        abandoned_after: 40,
        ivr_contained: 25,
    };
    let table = SlVariant::ALL
        .iter()
        .map(|&variant| {
            let name = serde_json::to_string(&variant).expect("variants serialise");
            let derived = counts.service_level(variant);
            format!("{} {name:<25}{}", variant.number(), show(derived))
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_snapshot!(table, @r#"
    1 "early_abandons_met"     0.8302 (n=1060)
    2 "answered_only"          0.8600 (n=1000)
    3 "pure"                   0.8113 (n=1060)
    4 "early_abandons_neutral" 0.8269 (n=1040)
    5 "short_abandons_neutral" 0.8190 (n=1050)
    "#);
}

#[test]
fn service_level_counts_come_from_classified_rows() {
    // Two answered within T, one abandoned short, one contained in the IVR:
    // pure = 2 / (2 + 1) = 0.6667 and short-abandons-neutral = 2 / (3 − 1) = 1.
    let state = state_of(&[
        Row::new().with_sl(SlClass::AnsweredWithin),
        Row::new().with_sl(SlClass::AnsweredWithin),
        Row::new().with_sl(SlClass::AbandonedShort),
        Row::new().with_sl(SlClass::IvrContained),
    ]);
    assert_eq!(state.n, 4);
    assert_eq!(state.sl.offered(), 3);
    assert_eq!(state.sl.total(), 4);
    assert_eq!(show(state.service_level(SlVariant::Pure)), "0.6667 (n=3)");
    let short = state.service_level(SlVariant::ShortAbandonsNeutral);
    assert_eq!(show(short), "1.0000 (n=2)");
    assert_eq!(
        SlVariant::from_number(4),
        Some(SlVariant::EarlyAbandonsNeutral)
    );
    assert_eq!(SlVariant::from_number(6), None);
}

#[test]
fn wilson_interval_matches_hand_values() {
    // 9 / 10: p = 0.9, scale = 1.38415, centre = (0.9 + 0.19207) / 1.38415 = 0.78898,
    // half = 1.41602 · √(0.009 + 0.0096037) = 0.19314 → [0.5958, 0.9821].
    assert_eq!(show_interval(wilson_interval(9, 10)), "[0.5958, 0.9821]");
    // 0 / 5: p = 0, scale = 1.76829, centre = 0.38415 / 1.76829 = 0.21724 = half
    // (√(z²/100) = z/10), so [0, 0.4345]: the interval does not collapse at 0 %.
    assert_eq!(show_interval(wilson_interval(0, 5)), "[0.0000, 0.4345]");
    assert_eq!(wilson_interval(0, 0), None);
    assert_eq!(wilson_interval(3, 2), None);
}

#[test]
fn quantisation_rounds_half_away_from_zero() {
    // 0.0625 · 1000 = 62.5 exactly in binary, so it shows the tie rule.
    let cases = [
        (1.2344, 1234),
        (1.2346, 1235),
        (0.0625, 63),
        (-0.0625, -63),
        (0.000_25, 0),
        (0.0, 0),
    ];
    for (value, milli) in cases {
        assert_eq!(to_milli(value), Ok(milli), "value {value}");
    }
    // The mean is taken over quantised values: 0.0004 and 0.0011 become 0 and 1
    // thousandths, so the mean is 0.0005, not 0.00075.
    let mut state = MeasureState::new();
    state.observe_value(Some(0.0004)).expect("valid value");
    state.observe_value(Some(0.0011)).expect("valid value");
    assert_eq!(state.sum_milli, 1);
    assert_eq!(show(state.mean()), "0.0005 (n=2)");
}

#[test]
fn bad_inputs_are_errors_and_leave_the_state_unchanged() {
    let mut state = tickets();
    let before = state.clone();

    let nan = state.observe(&Row::new().with_value(f64::NAN));
    assert!(matches!(
        nan,
        Err(MeasureError::NotFinite { what: "value", .. })
    ));
    let inf = state.observe(&Row::new().with_value(1.0).with_den(f64::INFINITY));
    assert!(matches!(
        inf,
        Err(MeasureError::NotFinite { what: "den", .. })
    ));
    let huge = state.observe(&Row::new().with_value(2e10));
    assert!(matches!(huge, Err(MeasureError::TooLarge { .. })));
    // A negative value may be summed, but not recorded in the histogram; the row is
    // rejected as a whole, so n and the sums do not move either.
    let negative = state.observe(&Row::new().with_hit(true).with_value(-1.0).with_histogram());
    assert!(matches!(negative, Err(MeasureError::Negative { .. })));
    assert_eq!(state, before);

    assert_eq!(
        state.rate_per(10, 0.0),
        Err(MeasureError::InvalidPer { per: 0.0 })
    );
    assert!(state.rate_per(10, f64::NAN).is_err());
    assert!(Quantile::new(0.0).is_err());
    assert!(Quantile::new(1.5).is_err());
    assert!(Quantile::new(f64::NAN).is_err());

    // Negative values without the histogram are fine: a mean of −1 and 3 is 1.
    let mut signed = MeasureState::new();
    signed
        .observe_value(Some(-1.0))
        .expect("negative values can be summed");
    signed.observe_value(Some(3.0)).expect("valid value");
    assert_eq!(show(signed.mean()), "1.0000 (n=2)");
}

#[test]
fn validate_rejects_impossible_states() {
    assert_eq!(tickets().validate(), Ok(()));
    let cases = [
        (
            MeasureState {
                n: 1,
                hits: 2,
                ..MeasureState::default()
            },
            "hits exceed n",
        ),
        (
            MeasureState {
                n: 1,
                values: 2,
                ..MeasureState::default()
            },
            "values exceed n",
        ),
        (
            MeasureState {
                n: 1,
                sum_milli: 5,
                ..MeasureState::default()
            },
            "sums are non-zero without values",
        ),
        (
            MeasureState {
                sl: ServiceLevelCounts {
                    ivr_contained: 1,
                    ..ServiceLevelCounts::default()
                },
                ..MeasureState::default()
            },
            "service-level counts exceed n",
        ),
    ];
    for (state, reason) in cases {
        assert_eq!(state.validate(), Err(MeasureError::Inconsistent { reason }));
    }
}

#[test]
fn rows_added_at_once_equal_rows_added_one_by_one() {
    // 7 rows, 3 of them hits, one at a time: n = 7, hits = 3.
    let mut one_by_one = MeasureState::new();
    for hit in [true, false, false, true, false, true, false] {
        one_by_one.observe_hit(hit);
    }
    let mut at_once = MeasureState::new();
    at_once.observe_hits(4, 1);
    at_once.observe_hits(3, 2);
    assert_eq!((at_once.n, at_once.hits), (7, 3));
    assert_eq!(at_once, one_by_one);
    // More hits than rows cannot make the ratio exceed 1: hits are capped at the rows.
    let mut capped = MeasureState::new();
    capped.observe_hits(2, 5);
    assert_eq!((capped.n, capped.hits), (2, 2));
}

#[test]
fn json_is_compact_and_round_trips() {
    // Unused parts (histogram, service level) are left out, so a ratio state is small.
    let mut ratio = MeasureState::new();
    ratio.observe_hit(true);
    ratio.observe_hit(false);
    let json = serde_json::to_string(&ratio).expect("states serialise");
    assert_snapshot!(json, @r#"{"n":2,"hits":1,"sum_milli":0,"sum_sq_micro":0,"values":0,"den_sum_milli":0}"#);

    // A state with every part survives a round trip exactly, i128 sums included.
    let full = merge_all([&tickets(), &tickets()]);
    let json = serde_json::to_string(&full).expect("states serialise");
    let back: MeasureState = serde_json::from_str(&json).expect("states deserialise");
    assert_eq!(back, full);

    // Missing parts default to zero, and quantiles are checked on the way in.
    let sparse: MeasureState = serde_json::from_str(r#"{"n":3}"#).expect("sparse JSON");
    assert_eq!(sparse.n, 3);
    assert!(serde_json::from_str::<Quantile>("0.95").is_ok());
    assert!(serde_json::from_str::<Quantile>("1.5").is_err());
    let variant: SlVariant =
        serde_json::from_str(r#""early_abandons_neutral""#).expect("variant names");
    assert_eq!(variant.number(), 4);
}
