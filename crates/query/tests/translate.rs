//! Translation tests: every expression node and function, with NULLs, NaN, −0 and
//! division by zero, evaluated by DataFusion and compared with core's `eval` row by row.

mod common;

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use common::BatchRow;
use yardstick_core::expr::{Type, Value, compile, eval, parse};
use yardstick_core::records::RecordKind;
use yardstick_query::{QueryError, evaluate};

const KIND: RecordKind = RecordKind::WorkOrder;
const T0: i64 = 1_709_251_200_000; // 2024-03-01T00:00:00Z

fn strings(values: &[Option<&str>]) -> ArrayRef {
    let mut b = StringBuilder::new();
    for v in values {
        b.append_option(*v);
    }
    Arc::new(b.finish())
}

fn floats(values: &[Option<f64>]) -> ArrayRef {
    let mut b = Float64Builder::new();
    for v in values {
        b.append_option(*v);
    }
    Arc::new(b.finish())
}

fn ints(values: &[Option<i64>]) -> ArrayRef {
    let mut b = Int64Builder::new();
    for v in values {
        b.append_option(*v);
    }
    Arc::new(b.finish())
}

fn bools(values: &[Option<bool>]) -> ArrayRef {
    let mut b = BooleanBuilder::new();
    for v in values {
        b.append_option(*v);
    }
    Arc::new(b.finish())
}

/// Offsets in seconds from T0; `None` is NULL.
fn times(offsets_s: &[Option<i64>]) -> ArrayRef {
    let mut b = TimestampMillisecondBuilder::new().with_timezone("UTC");
    for v in offsets_s {
        b.append_option(v.map(|s| T0 + s * 1000));
    }
    Arc::new(b.finish())
}

/// Nine hand-built work orders covering NULL, NaN, ±0, ±∞ and every pair of boolean
/// values; `line_key` is a field of the kind that the batch does not have.
fn rows() -> RecordBatch {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    let t = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    let columns: Vec<(&str, DataType, ArrayRef)> = vec![
        (
            "status",
            DataType::Utf8,
            strings(&[
                Some("completed"),
                Some("open"),
                None,
                Some("cancelled"),
                Some("completed"),
                Some("open"),
                Some("completed"),
                None,
                Some("completed"),
            ]),
        ),
        (
            "customer_key",
            DataType::Utf8,
            strings(&[
                Some("b"),
                Some("a"),
                None,
                Some("d"),
                Some(""),
                Some("ab"),
                None,
                Some("é"),
                Some("Z"),
            ]),
        ),
        (
            "cancelled_by",
            DataType::Utf8,
            strings(&[
                None,
                Some("operator"),
                Some("customer"),
                None,
                Some("customer"),
                None,
                Some("operator"),
                None,
                Some("operator"),
            ]),
        ),
        (
            "pause_s",
            DataType::Float64,
            floats(&[
                Some(1.5),
                None,
                Some(0.0),
                Some(-0.0),
                Some(nan),
                Some(-2.0),
                Some(3600.0),
                Some(inf),
                Some(10.0),
            ]),
        ),
        (
            "elapsed_h",
            DataType::Float64,
            floats(&[
                Some(2.0),
                Some(1.0),
                None,
                Some(0.0),
                Some(5.0),
                Some(-2.0),
                None,
                Some(1.0),
                Some(-0.0),
            ]),
        ),
        (
            "visit_count",
            DataType::Int64,
            ints(&[
                Some(1),
                Some(0),
                None,
                Some(2),
                Some(1),
                Some(0),
                Some(3),
                None,
                Some(-1),
            ]),
        ),
        (
            "compensation_paid",
            DataType::Boolean,
            bools(&[
                Some(true),
                Some(false),
                None,
                Some(true),
                Some(false),
                None,
                Some(true),
                Some(false),
                None,
            ]),
        ),
        (
            "compensation_due",
            DataType::Boolean,
            bools(&[
                Some(true),
                Some(true),
                Some(true),
                Some(false),
                Some(false),
                Some(false),
                None,
                None,
                None,
            ]),
        ),
        (
            "created_at",
            t.clone(),
            times(&[
                Some(0),
                Some(0),
                None,
                Some(100),
                Some(-50),
                Some(0),
                Some(7),
                Some(0),
                Some(1),
            ]),
        ),
        (
            "completed_at",
            t.clone(),
            times(&[
                Some(3_600),
                None,
                Some(10),
                Some(100),
                Some(86_401),
                Some(-3_600),
                Some(7),
                Some(1_296_000),
                Some(0),
            ]),
        ),
        (
            "appointment_start",
            t.clone(),
            times(&[
                Some(0),
                Some(10),
                Some(0),
                None,
                Some(0),
                Some(5),
                Some(0),
                Some(0),
                Some(0),
            ]),
        ),
        (
            "appointment_end",
            t.clone(),
            times(&[
                Some(100),
                Some(20),
                Some(0),
                Some(10),
                None,
                Some(5),
                Some(0),
                Some(0),
                Some(3_600),
            ]),
        ),
        (
            "arrived_at",
            t,
            times(&[
                Some(100),
                Some(9),
                Some(0),
                Some(5),
                Some(5),
                None,
                Some(1),
                Some(-1),
                Some(3_600),
            ]),
        ),
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

/// Equal as the reference means it, and with the same sign of zero; NaN equals NaN.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

/// Compiles each expression, evaluates it with DataFusion and with `eval` on every row,
/// and asserts the values are the same.
async fn check_all(sources: &[&str]) {
    for src in sources {
        let expr = compile(src, KIND, &std::collections::BTreeMap::new(), Type::Null)
            .unwrap_or_else(|e| panic!("`{src}` does not compile: {e:?}"));
        check_expr(src, &expr).await;
    }
}

/// Like [`check_all`] for trees the checker refuses (a NULL candidate in `IN`, a
/// comparison with NULL) but the evaluator still defines: only parsed.
async fn check_parsed(sources: &[&str]) {
    for src in sources {
        let expr = parse(src).unwrap_or_else(|e| panic!("`{src}` does not parse: {e:?}"));
        check_expr(src, &expr).await;
    }
}

async fn check_expr(src: &str, expr: &yardstick_core::expr::Expr) {
    let batch = rows();
    let got = evaluate(KIND, expr, vec![batch.clone()])
        .await
        .unwrap_or_else(|e| panic!("`{src}`: {e}"));
    assert_eq!(got.len(), batch.num_rows(), "`{src}`: row count");
    for (row, g) in got.iter().enumerate() {
        let want = eval(expr, &BatchRow { batch: &batch, row });
        assert!(
            same(g, &want),
            "`{src}` on row {row}: DataFusion gives {g:?}, the reference {want:?}"
        );
    }
}

#[tokio::test]
async fn literals_and_fields() {
    check_all(&[
        "1.5",
        "-0",
        "'text'",
        "TRUE",
        "FALSE",
        "NULL",
        "TIMESTAMP '2024-03-01T08:00:00+08:00'",
        "pause_s",
        "visit_count",
        "status",
        "created_at",
        "compensation_paid",
        // A field of the kind that the batch does not have is NULL.
        "line_key",
        "line_key IS NULL",
    ])
    .await;
}

#[tokio::test]
async fn unary_operators() {
    check_all(&[
        "-pause_s",
        "-(visit_count)",
        "-(elapsed_h)",
        "NOT compensation_paid",
        "NOT (pause_s > 1)",
        "NOT NOT compensation_due",
    ])
    .await;
}

#[tokio::test]
async fn arithmetic_with_nulls_and_division_by_zero() {
    check_all(&[
        "pause_s + elapsed_h",
        "pause_s - visit_count",
        "pause_s * elapsed_h",
        "elapsed_h * -1",
        "pause_s / visit_count",
        "pause_s / elapsed_h",
        "pause_s / 0",
        "pause_s / -0",
        "visit_count / 2",
        "(pause_s + 1) / (elapsed_h - 1)",
        "1 / (elapsed_h * -1)",
        "pause_s / pause_s",
    ])
    .await;
}

#[tokio::test]
async fn comparisons_with_nan_negative_zero_and_nulls() {
    check_all(&[
        "pause_s = 0",
        "pause_s = -0",
        "elapsed_h = 0",
        "elapsed_h * -1 = 0",
        "pause_s <> 0",
        "pause_s < 1",
        "pause_s <= 1.5",
        "pause_s > -2",
        "pause_s >= -2",
        "pause_s = pause_s",
        "pause_s / 0 = pause_s / 0",
        "visit_count >= 1",
        "status = 'completed'",
        "status <> 'open'",
        "customer_key < 'b'",
        "customer_key >= 'ab'",
        "created_at < completed_at",
        "created_at = completed_at",
        "created_at >= TIMESTAMP '2024-03-01T00:00:00Z'",
        "compensation_paid = TRUE",
        "compensation_paid <> compensation_due",
    ])
    .await;
    check_parsed(&["pause_s = NULL", "NULL <> status", "pause_s = status"]).await;
}

#[tokio::test]
async fn three_valued_logic() {
    check_all(&[
        "compensation_paid AND compensation_due",
        "compensation_paid OR compensation_due",
        "NOT (compensation_paid AND compensation_due)",
        "compensation_paid AND pause_s > 1",
        "compensation_due OR status = 'open'",
        "(compensation_paid OR NULL) AND TRUE",
        "FALSE AND NULL",
        "TRUE OR NULL",
    ])
    .await;
}

#[tokio::test]
async fn is_null_tests() {
    check_all(&[
        "pause_s IS NULL",
        "pause_s IS NOT NULL",
        "status IS NULL",
        "created_at IS NOT NULL",
        "compensation_paid IS NULL",
        "pause_s / 0 IS NULL",
        "NULL IS NULL",
    ])
    .await;
}

#[tokio::test]
async fn in_lists_with_null_candidates() {
    check_all(&[
        "status IN ('completed', 'open')",
        "status NOT IN ('completed', 'open')",
        "cancelled_by IN ('operator')",
        "customer_key IN ('a', 'é')",
        "visit_count IN (0, 1)",
        "pause_s IN (0, 1.5)",
        "pause_s IN (-0)",
        "pause_s NOT IN (-2, 10)",
        "compensation_paid IN (TRUE)",
        "created_at IN (TIMESTAMP '2024-03-01T00:00:00Z')",
    ])
    .await;
    // NULL candidates: the checker refuses them, the evaluator defines them.
    check_parsed(&[
        "status IN ('completed', NULL)",
        "status NOT IN ('cancelled', NULL)",
        "visit_count NOT IN (1, NULL)",
        "visit_count IN (NULL)",
        "compensation_paid NOT IN (FALSE, NULL)",
        "NULL IN (1, 2)",
        "pause_s IN (NULL, 1.5)",
    ])
    .await;
}

#[tokio::test]
async fn between_both_ends_included() {
    check_all(&[
        "pause_s BETWEEN 0 AND 10",
        "pause_s NOT BETWEEN -1 AND 1",
        "pause_s BETWEEN -0 AND 0",
        "elapsed_h BETWEEN visit_count AND pause_s",
        "arrived_at BETWEEN appointment_start AND appointment_end",
        "arrived_at NOT BETWEEN appointment_start AND appointment_end",
        "customer_key BETWEEN 'a' AND 'b'",
    ])
    .await;
    check_parsed(&[
        "pause_s BETWEEN NULL AND 10",
        "pause_s BETWEEN -10 AND NULL",
    ])
    .await;
}

#[tokio::test]
async fn elapsed_time_functions() {
    check_all(&[
        "seconds_between(created_at, completed_at)",
        "minutes_between(created_at, completed_at)",
        "hours_between(appointment_start, arrived_at)",
        "days_between(created_at, completed_at)",
        "days_between(completed_at, created_at) <= 15",
        "seconds_between(created_at, TIMESTAMP '2024-03-01T00:00:05Z')",
    ])
    .await;
}

#[tokio::test]
async fn coalesce_abs_least_greatest() {
    check_all(&[
        "coalesce(pause_s, elapsed_h, 0)",
        "coalesce(pause_s, NULL)",
        "coalesce(NULL, status, 'none')",
        "coalesce(compensation_paid, FALSE)",
        "coalesce(arrived_at, appointment_start)",
        "abs(pause_s)",
        "abs(elapsed_h)",
        "abs(elapsed_h * -1)",
        "least(pause_s, elapsed_h)",
        "greatest(pause_s, elapsed_h)",
        "greatest(pause_s, elapsed_h, 1)",
        "least(elapsed_h, pause_s, NULL, 0)",
        "least(elapsed_h, elapsed_h * -1)",
        "greatest(elapsed_h * -1, elapsed_h)",
        "least(status, cancelled_by)",
        "greatest(customer_key, 'b')",
        "least(customer_key, status, cancelled_by)",
        "least(created_at, completed_at)",
        "greatest(appointment_start, arrived_at, appointment_end)",
        "least(pause_s)",
    ])
    .await;
}

#[tokio::test]
async fn untranslatable_expressions_are_located() {
    let batch = rows();
    // A parameter the caller forgot to substitute: `parse` keeps it.
    let expr = parse("pause_s > $limit").expect("parses");
    let err = evaluate(KIND, &expr, vec![batch.clone()])
        .await
        .expect_err("a parameter has no value");
    match err {
        QueryError::Translate { span, message, .. } => {
            assert_eq!((span.start, span.end), (10, 16), "{message}");
            assert!(message.contains("$limit"), "{message}");
        }
        other => panic!("expected a located error, got {other}"),
    }
    // Only the kind's fields: not the engine's key columns.
    let expr = parse("__site = 1").expect("parses");
    let err = evaluate(KIND, &expr, vec![batch])
        .await
        .expect_err("not a field");
    assert!(
        err.to_string()
            .contains("`__site` is not a field of work_order records")
            && err.to_string().contains("(bytes 0..6)"),
        "{err}"
    );
}
