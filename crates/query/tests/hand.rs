//! Small hand-worked cases: expected states computed by hand in the comments, plus
//! the measure kinds and error paths the default guideline does not reach.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::builder::{
    Float64Builder, Int32Builder, StringBuilder, TimestampMillisecondBuilder, UInt32Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use common::{compiled, indicator};
use yardstick_core::expr::Type;
use yardstick_core::guideline::{Indicator, Measure, ServiceLevelSpec};
use yardstick_core::measure::{LogHistogram, MeasureState, ServiceLevelCounts, SlVariant};
use yardstick_core::records::RecordKind;
use yardstick_query::{QueryError, kind_states};

const C: RecordKind = RecordKind::Contact;
const T0: i64 = 1_709_251_200_000;
const DAY: i32 = 19_783;

/// One contact: channel, outcome, wait in ms to answer / abandon (queue entry at T0),
/// talk, hold and after-call-work seconds.
struct Contact {
    channel: &'static str,
    outcome: &'static str,
    answered_ms: Option<i64>,
    abandoned_ms: Option<i64>,
    talk: Option<f64>,
    hold: Option<f64>,
    acw: Option<f64>,
}

fn contact(channel: &'static str, outcome: &'static str) -> Contact {
    Contact {
        channel,
        outcome,
        answered_ms: None,
        abandoned_ms: None,
        talk: None,
        hold: None,
        acw: None,
    }
}

fn contacts(rows: &[Contact]) -> RecordBatch {
    let mut channel = StringBuilder::new();
    let mut outcome = StringBuilder::new();
    let mut queue = TimestampMillisecondBuilder::new().with_timezone("UTC");
    let mut answered = TimestampMillisecondBuilder::new().with_timezone("UTC");
    let mut abandoned = TimestampMillisecondBuilder::new().with_timezone("UTC");
    let (mut talk, mut hold, mut acw) = (
        Float64Builder::new(),
        Float64Builder::new(),
        Float64Builder::new(),
    );
    let (mut site, mut day) = (UInt32Builder::new(), Int32Builder::new());
    for r in rows {
        channel.append_value(r.channel);
        outcome.append_value(r.outcome);
        if r.outcome == "ivr_only" {
            queue.append_null();
        } else {
            queue.append_value(T0);
        }
        answered.append_option(r.answered_ms.map(|ms| T0 + ms));
        abandoned.append_option(r.abandoned_ms.map(|ms| T0 + ms));
        talk.append_option(r.talk);
        hold.append_option(r.hold);
        acw.append_option(r.acw);
        site.append_value(7);
        day.append_value(DAY);
    }
    let ts = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    let columns: Vec<(&str, DataType, ArrayRef)> = vec![
        ("channel", DataType::Utf8, Arc::new(channel.finish())),
        ("outcome", DataType::Utf8, Arc::new(outcome.finish())),
        ("queue_entry_at", ts.clone(), Arc::new(queue.finish())),
        ("answered_at", ts.clone(), Arc::new(answered.finish())),
        ("abandoned_at", ts, Arc::new(abandoned.finish())),
        ("talk_s", DataType::Float64, Arc::new(talk.finish())),
        ("hold_s", DataType::Float64, Arc::new(hold.finish())),
        ("acw_s", DataType::Float64, Arc::new(acw.finish())),
        ("__site", DataType::UInt32, Arc::new(site.finish())),
        ("__day", DataType::Int32, Arc::new(day.finish())),
    ];
    let schema = Schema::new(
        columns
            .iter()
            .map(|(n, dt, _)| Field::new(*n, dt.clone(), true))
            .collect::<Vec<_>>(),
    );
    RecordBatch::try_new(
        Arc::new(schema),
        columns.into_iter().map(|(_, _, a)| a).collect(),
    )
    .expect("valid batch")
}

fn service_level() -> Indicator {
    indicator(
        "SL",
        C,
        Some("channel = 'voice'"),
        Measure::ServiceLevel(ServiceLevelSpec {
            answered: compiled(C, "outcome = 'answered'", Type::Bool),
            abandoned: compiled(C, "outcome = 'abandoned'", Type::Bool),
            ivr_contained: compiled(C, "outcome = 'ivr_only'", Type::Bool),
            wait_s: compiled(
                C,
                "seconds_between(queue_entry_at, coalesce(answered_at, abandoned_at))",
                Type::Num,
            ),
            threshold_s: 20.0,
            short_abandon_s: 5.0,
            variant: SlVariant::EarlyAbandonsNeutral,
            include_ivr_contained: false,
        }),
    )
}

fn handling_time() -> Indicator {
    indicator(
        "AHT",
        C,
        Some("outcome = 'answered'"),
        Measure::Mean {
            value: compiled(
                C,
                "coalesce(talk_s, 0) + coalesce(hold_s, 0) + coalesce(acw_s, 0)",
                Type::Num,
            ),
        },
    )
}

fn median_wait() -> Indicator {
    indicator(
        "P50",
        C,
        Some("outcome = 'answered'"),
        Measure::Percentile {
            value: compiled(C, "seconds_between(queue_entry_at, answered_at)", Type::Num),
            q: 0.5,
        },
    )
}

/// Seven contacts at one site and day, worked by hand.
fn seven() -> Vec<Contact> {
    vec![
        // r0: answered after exactly T = 20 s → answered within; handling 70.25 + 0 + 0.
        Contact {
            answered_ms: Some(20_000),
            talk: Some(70.25),
            acw: Some(0.0),
            ..contact("voice", "answered")
        },
        // r1: answered after 21 s → answered after T; handling 30 + 0.5 = 30.5.
        Contact {
            answered_ms: Some(21_000),
            talk: Some(30.0),
            hold: Some(0.5),
            ..contact("voice", "answered")
        },
        // r2: abandoned after 4.999 s < S = 5 s → short abandon.
        Contact {
            abandoned_ms: Some(4_999),
            ..contact("voice", "abandoned")
        },
        // r3: abandoned after exactly S = 5 s (≤ T) → abandoned within.
        Contact {
            abandoned_ms: Some(5_000),
            ..contact("voice", "abandoned")
        },
        // r4: ended in the IVR → IVR-contained.
        contact("voice", "ivr_only"),
        // r5: a callback is neither answered, abandoned nor IVR-contained → a problem,
        // not in n.
        contact("voice", "callback"),
        // r6: a chat: outside the service level's population, but answered after 3 s
        // with 10 s of talk, so in the handling time and the median wait.
        Contact {
            answered_ms: Some(3_000),
            talk: Some(10.0),
            ..contact("chat", "answered")
        },
    ]
}

#[tokio::test]
async fn seven_contacts_worked_by_hand() {
    let (sl, aht, p50) = (service_level(), handling_time(), median_wait());
    let indicators = [&sl, &aht, &p50];
    // The contact kind has no customer class: a missing class counts as `ordinary`, so
    // that stratum is every row and `vip` none.
    let strata = vec![
        vec![
            String::new(),
            "customer_class=ordinary".into(),
            "customer_class=vip".into(),
        ],
        vec![String::new()],
        vec![String::new()],
    ];
    let got = kind_states(&indicators, &strata, vec![contacts(&seven())])
        .await
        .expect("computes");

    // Service level: r0..r4 classified (n = 5), one per class except abandoned-after.
    let sl_state = MeasureState {
        n: 5,
        sl: ServiceLevelCounts {
            answered_within: 1,
            answered_after: 1,
            abandoned_short: 1,
            abandoned_within: 1,
            abandoned_after: 0,
            ivr_contained: 1,
        },
        ..MeasureState::default()
    };
    // Handling time: r0, r1, r6 → 70.25, 30.5, 10 s = 70 250, 30 500, 10 000 thousandths;
    // Σ = 110 750; Σ² = 4 935 062 500 + 930 250 000 + 100 000 000 = 5 965 312 500.
    let aht_state = MeasureState {
        n: 3,
        values: 3,
        sum_milli: 110_750,
        sum_sq_micro: 5_965_312_500,
        ..MeasureState::default()
    };
    // Median wait: r0, r1, r6 → 20, 21, 3 s; Σ = 44 000; Σ² = 400 000 000 + 441 000 000 +
    // 9 000 000 = 850 000 000. Buckets ⌈ln v / ln γ⌉ with ln γ = 0.020000667: ln 20 =
    // 2.995732 → 149.8 → 150; ln 21 = 3.044522 → 152.2 → 153; ln 3 = 1.098612 → 54.9 → 55.
    let mut hist = LogHistogram::new();
    for index in [150, 153, 55] {
        hist.record_bucket(yardstick_core::measure::Bucket::Log(index), 1)
            .expect("in range");
    }
    let p50_state = MeasureState {
        n: 3,
        values: 3,
        sum_milli: 44_000,
        sum_sq_micro: 850_000_000,
        hist,
        ..MeasureState::default()
    };
    assert_eq!(got.states.len(), 4, "{:#?}", common::sorted(&got.states));
    assert_eq!(got.states.get(&(7, DAY, 0, 0)), Some(&sl_state));
    assert_eq!(got.states.get(&(7, DAY, 0, 1)), Some(&sl_state));
    assert_eq!(got.states.get(&(7, DAY, 0, 2)), None, "no VIP contact");
    assert_eq!(got.states.get(&(7, DAY, 1, 0)), Some(&aht_state));
    assert_eq!(got.states.get(&(7, DAY, 2, 0)), Some(&p50_state));
    // The callback is counted once per stratum it is in ("" and "ordinary").
    assert_eq!(
        got.problems,
        BTreeMap::from([(
            "SL: contact neither answered, abandoned nor IVR-contained".to_owned(),
            2
        )])
    );
    // And the reference agrees.
    let want = common::reference(&indicators, &strata, &[contacts(&seven())]);
    common::assert_same("seven contacts", &got, &want, &indicators);
}

#[tokio::test]
async fn values_core_rejects_are_problems_and_leave_the_state_unchanged() {
    // Handling times: 10 (fine), ∞ (not finite), 2e10 (too large), −3 (fine for a mean,
    // negative for a percentile), NaN (not finite).
    let times = [10.0, f64::INFINITY, 2e10, -3.0, f64::NAN];
    let rows: Vec<Contact> = times
        .iter()
        .map(|t| Contact {
            answered_ms: Some(1_000),
            talk: Some(*t),
            ..contact("voice", "answered")
        })
        .collect();
    let p = indicator(
        "PT",
        C,
        Some("outcome = 'answered'"),
        Measure::Percentile {
            value: compiled(C, "talk_s", Type::Num),
            q: 0.9,
        },
    );
    let aht = handling_time();
    let indicators = [&aht, &p];
    let strata = vec![vec![String::new()], vec![String::new()]];
    let got = kind_states(&indicators, &strata, vec![contacts(&rows)])
        .await
        .expect("computes");
    // Mean: 10 and −3 recorded: n = 2, Σ = 7 000, Σ² = 100 000 000 + 9 000 000.
    assert_eq!(
        got.states.get(&(7, DAY, 0, 0)),
        Some(&MeasureState {
            n: 2,
            values: 2,
            sum_milli: 7_000,
            sum_sq_micro: 109_000_000,
            ..MeasureState::default()
        })
    );
    // Percentile: only 10 recorded.
    assert_eq!(got.states.get(&(7, DAY, 1, 0)).map(|s| s.n), Some(1));
    assert_eq!(
        got.problems,
        BTreeMap::from([
            ("AHT: value is not a finite number".to_owned(), 2),
            ("AHT: value too large".to_owned(), 1),
            (
                "PT: negative value where only values ≥ 0 make sense".to_owned(),
                1
            ),
            ("PT: value is not a finite number".to_owned(), 2),
            ("PT: value too large".to_owned(), 1),
        ])
    );
    let want = common::reference(&indicators, &strata, &[contacts(&rows)]);
    common::assert_same("rejected values", &got, &want, &indicators);
}

#[tokio::test]
async fn counts_shares_and_ratios_of_sums() {
    let rows = seven();
    let count = indicator("N", C, Some("channel = 'voice'"), Measure::Count);
    let rate = indicator("R", C, None, Measure::RatePer { per: 100.0 });
    let share = indicator(
        "S",
        C,
        Some("outcome IN ('answered', 'abandoned')"),
        Measure::ShareWithin {
            value: compiled(
                C,
                "seconds_between(queue_entry_at, coalesce(answered_at, abandoned_at))",
                Type::Num,
            ),
            limit: 5.0,
        },
    );
    let ros = indicator(
        "Q",
        C,
        None,
        Measure::RatioOfSums {
            numerator: compiled(C, "talk_s", Type::Num),
            denominator: compiled(C, "coalesce(hold_s, acw_s)", Type::Num),
        },
    );
    let indicators = [&count, &rate, &share, &ros];
    let strata = vec![vec![String::new()]; 4];
    let got = kind_states(&indicators, &strata, vec![contacts(&rows)])
        .await
        .expect("computes");
    // Count: 6 voice contacts. Rate: all 7 rows.
    assert_eq!(got.states[&(7, DAY, 0, 0)].n, 6);
    assert_eq!(got.states[&(7, DAY, 1, 0)].n, 7);
    // Share within 5 s: r0..r3 and r6 (waits 20, 21, 4.999, 5, 3) → hits r2, r3, r6.
    assert_eq!(
        (
            got.states[&(7, DAY, 2, 0)].n,
            got.states[&(7, DAY, 2, 0)].hits
        ),
        (5, 3)
    );
    // Ratio of sums: rows with both talk and hold-or-acw: r0 (70.25 / 0), r1 (30 / 0.5);
    // r6 has talk but neither → in n only. n = 7, values = 2, Σ = 100 250, den = 500.
    let q = &got.states[&(7, DAY, 3, 0)];
    assert_eq!(
        (q.n, q.values, q.sum_milli, q.den_sum_milli),
        (7, 2, 100_250, 500)
    );
    let want = common::reference(&indicators, &strata, &[contacts(&rows)]);
    common::assert_same("counts", &got, &want, &indicators);
}

#[tokio::test]
async fn mismatched_arguments_are_refused() {
    let (sl, aht) = (service_level(), handling_time());
    let err = kind_states(
        &[&sl, &aht],
        &[vec![String::new()]],
        vec![contacts(&seven())],
    )
    .await
    .expect_err("one strata list for two indicators");
    assert!(matches!(err, QueryError::Input(_)), "{err}");
    let g = yardstick_core::guideline::default_guideline().expect("loads");
    let hall = g.indicator("BH-01").expect("BH-01");
    let err = kind_states(
        &[&sl, hall],
        &[vec![String::new()], vec![String::new()]],
        vec![contacts(&seven())],
    )
    .await
    .expect_err("two kinds");
    assert!(err.to_string().contains("hall_ticket"), "{err}");
}

#[tokio::test]
async fn translation_errors_name_the_indicator_and_expression() {
    let mut bad = handling_time();
    // A parameter that was never substituted (only `parse`d, not compiled).
    bad.filter = Some(yardstick_core::guideline::Compiled {
        src: "outcome = $which".into(),
        expr: yardstick_core::expr::parse("outcome = $which").expect("parses"),
    });
    let err = kind_states(&[&bad], &[vec![String::new()]], vec![contacts(&seven())])
        .await
        .expect_err("cannot translate");
    assert_eq!(
        err.to_string(),
        "AHT filter (bytes 10..16): parameter `$which` has no value (compile the expression first)"
    );
}

#[tokio::test]
async fn the_memory_pool_is_bounded() {
    let sl = service_level();
    let options = yardstick_query::Options {
        memory_limit: 1,
        target_partitions: 1,
    };
    let err = yardstick_query::kind_states_with(
        &options,
        &[&sl],
        &[vec![String::new()]],
        vec![contacts(&seven())],
    )
    .await
    .expect_err("one byte is not enough for the aggregate");
    assert!(
        matches!(err, QueryError::DataFusion { .. }) && err.to_string().contains("esources"),
        "{err}"
    );
}
