//! Merge laws of measure states: exact associativity and commutativity thanks to fixed
//! point, and merging per site then deriving equals observing every row at once.

use proptest::prelude::*;
use yardstick_core::measure::{MeasureState, Row, SlClass, SlVariant, merge_all};

fn sl_class() -> impl Strategy<Value = SlClass> {
    prop_oneof![
        Just(SlClass::AnsweredWithin),
        Just(SlClass::AnsweredAfter),
        Just(SlClass::AbandonedShort),
        Just(SlClass::AbandonedWithin),
        Just(SlClass::AbandonedAfter),
        Just(SlClass::IvrContained),
    ]
}

/// Any valid row: signed values with many decimals (so quantisation matters), a
/// denominator, histogram use only for non-negative values, sometimes a contact class.
fn row() -> impl Strategy<Value = Row> {
    (
        any::<bool>(),
        prop::option::of(-1e6_f64..1e6),
        prop::option::of(0.0_f64..1e5),
        any::<bool>(),
        prop::option::of(sl_class()),
    )
        .prop_map(|(hit, value, den, histogram, sl)| Row {
            hit,
            value,
            den,
            histogram: histogram && value.is_some_and(|v| v >= 0.0),
            sl,
        })
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(row(), 0..40)
}

fn state_of(rows: &[Row]) -> MeasureState {
    let mut state = MeasureState::new();
    for row in rows {
        state.observe(row).expect("generated rows are valid");
    }
    state
}

fn merged(a: &MeasureState, b: &MeasureState) -> MeasureState {
    let mut total = a.clone();
    total.merge(b);
    total
}

proptest! {
    #[test]
    fn merge_is_associative_and_commutative(a in rows(), b in rows(), c in rows()) {
        let (a, b, c) = (state_of(&a), state_of(&b), state_of(&c));
        prop_assert_eq!(merged(&merged(&a, &b), &c), merged(&a, &merged(&b, &c)));
        prop_assert_eq!(merged(&a, &b), merged(&b, &a));
        prop_assert_eq!(merged(&a, &MeasureState::new()), a.clone());
    }

    #[test]
    fn merging_sites_equals_observing_all_rows(a in rows(), b in rows(), c in rows()) {
        // Sites observed separately and merged give the very same state, bit for bit,
        // as one state fed every row, so every derived value is the same too.
        let sites = [state_of(&a), state_of(&b), state_of(&c)];
        let all: Vec<Row> = a.iter().chain(&b).chain(&c).copied().collect();
        let region = merge_all(&sites);
        let direct = state_of(&all);
        prop_assert_eq!(&region, &direct);
        prop_assert_eq!(region.validate(), Ok(()));
        prop_assert_eq!(region.ratio(), direct.ratio());
        prop_assert_eq!(region.mean(), direct.mean());
        prop_assert_eq!(region.service_level(SlVariant::Pure), direct.service_level(SlVariant::Pure));

        // The region's mean is the values-weighted mean of the site means.
        if let Some(mean) = region.mean().value {
            let weighted: f64 = sites
                .iter()
                .filter_map(|s| s.mean().value.map(|m| m * s.values as f64))
                .sum::<f64>() / region.values as f64;
            prop_assert!((mean - weighted).abs() <= 1e-6 * (1.0 + mean.abs()));
        }

        let json = serde_json::to_string(&region).expect("states serialise");
        let back: MeasureState = serde_json::from_str(&json).expect("states deserialise");
        prop_assert_eq!(back, region);
    }
}

#[test]
fn fixed_point_sums_do_not_depend_on_order_where_f64_sums_do() {
    // In f64, (0.1 + 0.2) + 0.3 = 0.6000000000000001 but 0.1 + (0.2 + 0.3) = 0.6, so a
    // region summed in two orders would differ. In thousandths both are 100 + 200 + 300
    // = 600 exactly.
    let f64_left: f64 = (0.1 + 0.2) + 0.3;
    let f64_right: f64 = 0.1 + (0.2 + 0.3);
    assert_ne!(f64_left.to_bits(), f64_right.to_bits());

    let one = |value: f64| {
        let mut state = MeasureState::new();
        state.observe_value(Some(value)).expect("valid value");
        state
    };
    let (a, b, c) = (one(0.1), one(0.2), one(0.3));
    let left = merged(&merged(&a, &b), &c);
    let right = merged(&a, &merged(&b, &c));
    assert_eq!(left, right);
    assert_eq!(left.sum_milli, 600);
    // Σ squares in millionths: 100² + 200² + 300² = 10 000 + 40 000 + 90 000.
    assert_eq!(left.sum_sq_micro, 140_000);
}

#[test]
fn merge_all_of_nothing_is_the_empty_state() {
    let none: [MeasureState; 0] = [];
    let total = merge_all(&none);
    assert!(total.is_empty());
    assert_eq!(total.ratio().value, None);
}
