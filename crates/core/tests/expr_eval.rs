//! Reference evaluator tests: SQL three-valued logic tables, NULL propagation, and
//! realistic indicator filters and measures on hand-built rows with hand-worked results.

use std::collections::BTreeMap;

use yardstick_core::expr::{Expr, Type, Value, compile, eval, is_true, parse};
use yardstick_core::records::RecordKind;

const T: Value = Value::Bool(true);
const F: Value = Value::Bool(false);
const N: Value = Value::Null;

type Row = BTreeMap<String, Value>;

fn row(fields: &[(&str, Value)]) -> Row {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Epoch milliseconds of an RFC 3339 instant.
fn ts(s: &str) -> Value {
    Value::Ts(
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("valid instant")
            .timestamp_millis(),
    )
}

fn num(n: f64) -> Value {
    Value::Num(n)
}

fn str(s: &str) -> Value {
    Value::from(s)
}

fn parsed(src: &str) -> Expr {
    parse(src).unwrap_or_else(|e| panic!("`{src}` should parse: {e:?}"))
}

/// Evaluates `src` on a row holding `a` and `b`.
fn on_ab(src: &str, a: &Value, b: &Value) -> Value {
    eval(&parsed(src), &row(&[("a", a.clone()), ("b", b.clone())]))
}

fn compile_for(src: &str, kind: RecordKind, want: Type) -> Expr {
    let params = BTreeMap::from([("short_abandon_s".to_owned(), num(5.0))]);
    compile(src, kind, &params, want).unwrap_or_else(|e| panic!("`{src}` should compile: {e:?}"))
}

#[test]
fn three_valued_logic_tables() {
    // (a, b, a AND b, a OR b) for every pair of TRUE, FALSE and NULL.
    let table = [
        (T, T, T, T),
        (T, F, F, T),
        (T, N, N, T),
        (F, T, F, T),
        (F, F, F, F),
        (F, N, F, N),
        (N, T, N, T),
        (N, F, F, N),
        (N, N, N, N),
    ];
    for (a, b, and, or) in table {
        assert_eq!(on_ab("a AND b", &a, &b), and, "{a:?} AND {b:?}");
        assert_eq!(on_ab("a OR b", &a, &b), or, "{a:?} OR {b:?}");
        // De Morgan holds in three-valued logic too.
        assert_eq!(
            on_ab("NOT (a AND b)", &a, &b),
            on_ab("NOT a OR NOT b", &a, &b)
        );
    }
    for (a, not) in [(T, F), (F, T), (N, N)] {
        assert_eq!(on_ab("NOT a", &a, &N), not, "NOT {a:?}");
    }
}

#[test]
fn null_propagates_through_arithmetic_and_comparisons() {
    let cases = [
        ("a + b", num(1.0), N, N),
        ("a - b", N, num(1.0), N),
        ("a * b", num(2.0), num(3.0), num(6.0)),
        ("a / b", num(3.0), num(0.0), N),
        ("a / b", num(3.0), num(2.0), num(1.5)),
        ("-a", N, N, N),
        ("a = b", N, N, N),
        ("a <> b", num(1.0), N, N),
        ("a < b", str("abc"), str("abd"), T),
        (
            "a >= b",
            ts("2024-03-01T08:00:00Z"),
            ts("2024-03-01T08:00:00Z"),
            T,
        ),
        (
            "a > b",
            ts("2024-03-01T08:00:00Z"),
            ts("2024-03-01T08:00:01Z"),
            F,
        ),
        ("a = b", T, T, T),
        ("a IS NULL", N, N, T),
        ("a IS NOT NULL", N, N, F),
        ("a IS NOT NULL", num(0.0), N, T),
        ("(a = b) IS NULL", num(1.0), N, T),
    ];
    for (src, a, b, want) in cases {
        assert_eq!(on_ab(src, &a, &b), want, "{src} with a={a:?}, b={b:?}");
    }
}

#[test]
fn in_list_and_between_follow_sql() {
    let cases = [
        ("a IN (1, 2)", num(2.0), T),
        ("a IN (1, 2)", num(3.0), F),
        ("a IN (1, 2)", N, N),
        ("a IN (1, NULL)", num(1.0), T),
        // No match, but the NULL candidate might have been equal: unknown.
        ("a IN (1, NULL)", num(3.0), N),
        ("a NOT IN (1, NULL)", num(3.0), N),
        ("a NOT IN (1, 2)", num(3.0), T),
        ("a NOT IN (1, 2)", N, N),
        ("a BETWEEN 1 AND 3", num(1.0), T),
        ("a BETWEEN 1 AND 3", num(3.0), T),
        ("a BETWEEN 1 AND 3", num(3.5), F),
        ("a NOT BETWEEN 1 AND 3", num(0.0), T),
        ("a BETWEEN 1 AND 3", N, N),
        // Above the lower bound decides nothing when the upper bound is NULL...
        ("a BETWEEN 1 AND NULL", num(2.0), N),
        // ...but being below the lower bound already makes it FALSE.
        ("a BETWEEN 1 AND NULL", num(0.0), F),
    ];
    for (src, a, want) in cases {
        assert_eq!(on_ab(src, &a, &N), want, "{src} with a={a:?}");
    }
}

#[test]
fn functions() {
    let a = ts("2024-03-01T08:00:00Z");
    let b = ts("2024-03-02T20:00:00Z");
    let cases = [
        (
            "seconds_between(a, b)",
            a.clone(),
            b.clone(),
            num(129_600.0),
        ),
        (
            "seconds_between(b, a)",
            a.clone(),
            b.clone(),
            num(-129_600.0),
        ),
        ("minutes_between(a, b)", a.clone(), b.clone(), num(2_160.0)),
        ("hours_between(a, b)", a.clone(), b.clone(), num(36.0)),
        ("days_between(a, b)", a.clone(), b.clone(), num(1.5)),
        ("seconds_between(a, b)", a.clone(), N, N),
        ("coalesce(a, b, 7)", N, num(3.0), num(3.0)),
        ("coalesce(a, b)", N, N, N),
        ("abs(a - b)", num(2.0), num(4.5), num(2.5)),
        ("abs(a)", N, N, N),
        ("least(a, b, 5)", num(7.0), N, num(5.0)),
        ("greatest(a, b, 5)", num(7.0), N, num(7.0)),
        ("least(a, b)", N, N, N),
        ("greatest(a, b)", str("b"), str("a"), str("b")),
        (
            "least(a, b)",
            ts("2024-01-01T00:00:00Z"),
            ts("2023-12-31T23:59:59.999Z"),
            ts("2023-12-31T23:59:59.999Z"),
        ),
    ];
    for (src, a, b, want) in cases {
        assert_eq!(on_ab(src, &a, &b), want, "{src} with a={a:?}, b={b:?}");
    }
}

#[test]
fn leftover_parameters_and_mistyped_operands_are_null_not_panics() {
    assert_eq!(on_ab("a > $p", &num(1.0), &N), N);
    assert_eq!(on_ab("a + b", &num(1.0), &str("x")), N);
    assert_eq!(on_ab("a AND b", &T, &num(1.0)), N);
    assert_eq!(on_ab("a = b", &num(1.0), &str("1")), N);
    assert_eq!(on_ab("seconds_between(a, b)", &num(1.0), &num(2.0)), N);
    assert!(!is_true(&N));
    assert!(!is_true(&F));
    assert!(!is_true(&num(1.0)));
    assert!(is_true(&T));
}

#[test]
fn hall_waiting_time_in_minutes() {
    let filter = compile_for(
        "outcome IN ('served', 'transferred') AND called_at IS NOT NULL",
        RecordKind::HallTicket,
        Type::Bool,
    );
    let value = compile_for(
        "seconds_between(issued_at, called_at) / 60",
        RecordKind::HallTicket,
        Type::Num,
    );
    let tickets = [
        // Served, waited 12 min 30 s: 750 s / 60 = 12.5 min.
        row(&[
            ("outcome", str("served")),
            ("issued_at", ts("2024-03-01T09:00:00+08:00")),
            ("called_at", ts("2024-03-01T09:12:30+08:00")),
        ]),
        // Called but did not come: not a served wait.
        row(&[
            ("outcome", str("no_show")),
            ("issued_at", ts("2024-03-01T09:01:00+08:00")),
            ("called_at", ts("2024-03-01T09:05:00+08:00")),
        ]),
        // Served but the call time is missing: cannot be measured.
        row(&[
            ("outcome", str("served")),
            ("issued_at", ts("2024-03-01T09:02:00+08:00")),
        ]),
        // Transferred, waited 45 min: 2700 s / 60 = 45 min.
        row(&[
            ("outcome", str("transferred")),
            ("issued_at", ts("2024-03-01T10:00:00+08:00")),
            ("called_at", ts("2024-03-01T10:45:00+08:00")),
        ]),
    ];
    let kept: Vec<Value> = tickets
        .iter()
        .filter(|r| is_true(&eval(&filter, *r)))
        .map(|r| eval(&value, r))
        .collect();
    assert_eq!(kept, vec![num(12.5), num(45.0)]);
    // Mean waiting time (12.5 + 45) / 2 = 28.75 minutes.
    let sum: f64 = kept
        .iter()
        .map(|v| if let Value::Num(n) = v { *n } else { f64::NAN })
        .sum();
    assert_eq!(Value::Num(sum / 2.0), num(28.75));
}

#[test]
fn call_centre_short_abandons_and_service_level() {
    let short_abandon = compile_for(
        "outcome = 'abandoned' AND seconds_between(queue_entry_at, abandoned_at) < $short_abandon_s",
        RecordKind::Contact,
        Type::Bool,
    );
    let offered = compile_for(
        "outcome IN ('answered', 'abandoned') AND queue_entry_at IS NOT NULL",
        RecordKind::Contact,
        Type::Bool,
    );
    let within_20s = compile_for(
        "seconds_between(queue_entry_at, answered_at) <= 20",
        RecordKind::Contact,
        Type::Bool,
    );
    let q = |s: &str| ts(&format!("2024-03-01T10:{s}Z"));
    let contacts = [
        // Answered after 15 s: offered, within 20 s.
        row(&[
            ("outcome", str("answered")),
            ("queue_entry_at", q("00:00")),
            ("answered_at", q("00:15")),
        ]),
        // Answered after exactly 20 s: offered, within (the bound is inclusive).
        row(&[
            ("outcome", str("answered")),
            ("queue_entry_at", q("01:00")),
            ("answered_at", q("01:20")),
        ]),
        // Answered after 50 s: offered, late.
        row(&[
            ("outcome", str("answered")),
            ("queue_entry_at", q("02:00")),
            ("answered_at", q("02:50")),
        ]),
        // Abandoned after 3 s: a short abandon, excluded from offered below.
        row(&[
            ("outcome", str("abandoned")),
            ("queue_entry_at", q("03:00")),
            ("abandoned_at", q("03:03")),
        ]),
        // Abandoned after 40 s: offered, not answered.
        row(&[
            ("outcome", str("abandoned")),
            ("queue_entry_at", q("04:00")),
            ("abandoned_at", q("04:40")),
        ]),
        // Abandoned with no queue entry (hung up in the IVR): the elapsed time is NULL,
        // so it is not a short abandon, and it was never offered to an agent.
        row(&[("outcome", str("abandoned")), ("abandoned_at", q("05:00"))]),
        // Contained in the IVR.
        row(&[("outcome", str("ivr_only"))]),
    ];
    let count = |e: &Expr| contacts.iter().filter(|r| is_true(&eval(e, *r))).count();
    assert_eq!(count(&short_abandon), 1);
    assert_eq!(eval(&short_abandon, &contacts[5]), N);

    // Service level = answered within 20 s / (offered − short abandons) = 2 / (5 − 1).
    let offered_n = count(&offered) - count(&short_abandon);
    let within_n = contacts
        .iter()
        .filter(|r| is_true(&eval(&offered, *r)) && is_true(&eval(&within_20s, *r)))
        .count();
    assert_eq!((within_n, offered_n), (2, 4));
}

#[test]
fn repair_time_limit_net_of_customer_pauses() {
    let excluded_free = compile_for(
        "kind = 'repair' AND exclusion IS NULL",
        RecordKind::WorkOrder,
        Type::Bool,
    );
    let in_time = compile_for(
        "hours_between(created_at, completed_at) - coalesce(pause_s, 0) / 3600 <= 24",
        RecordKind::WorkOrder,
        Type::Bool,
    );
    let repair = |created: &str, completed: &str, pause_s: Value| {
        row(&[
            ("kind", str("repair")),
            ("created_at", ts(created)),
            ("completed_at", ts(completed)),
            ("pause_s", pause_s),
        ])
    };
    // 26.5 h elapsed minus a 2.5 h (9000 s) customer pause = 24 h: just in time.
    let paused = repair(
        "2024-03-01T08:00:00+08:00",
        "2024-03-02T10:30:00+08:00",
        num(9_000.0),
    );
    // The same order without a recorded pause: 26.5 h, late.
    let unpaused = repair("2024-03-01T08:00:00+08:00", "2024-03-02T10:30:00+08:00", N);
    // Not completed yet: unknown, so it does not count as in time.
    let open = row(&[
        ("kind", str("repair")),
        ("created_at", ts("2024-03-01T08:00:00Z")),
    ]);
    assert_eq!(eval(&in_time, &paused), T);
    assert_eq!(eval(&in_time, &unpaused), F);
    assert_eq!(eval(&in_time, &open), N);
    let mut excluded = paused.clone();
    excluded.insert("exclusion".to_owned(), str("mass_outage"));
    assert_eq!(eval(&excluded_free, &paused), T);
    assert_eq!(eval(&excluded_free, &excluded), F);
}

#[test]
fn handle_time_and_complaint_resolution_days() {
    let handle_s = compile_for(
        "coalesce(talk_s, 0) + coalesce(hold_s, 0) + coalesce(acw_s, 0)",
        RecordKind::Contact,
        Type::Num,
    );
    // 180 s talk + no hold recorded (0) + 30 s after-call work = 210 s.
    let contact = row(&[("talk_s", num(180.0)), ("acw_s", num(30.0))]);
    assert_eq!(eval(&handle_s, &contact), num(210.0));

    let days = compile_for(
        "days_between(received_at, resolved_at)",
        RecordKind::Complaint,
        Type::Num,
    );
    // 08:00 on the 1st to 20:00 on the 2nd is 36 h = 1.5 days.
    let complaint = row(&[
        ("received_at", ts("2024-03-01T08:00:00Z")),
        ("resolved_at", ts("2024-03-02T20:00:00Z")),
    ]);
    assert_eq!(eval(&days, &complaint), num(1.5));
}

#[test]
fn not_in_on_a_missing_enum_drops_the_row_unless_coalesced() {
    let plain = compile_for(
        "customer_class NOT IN ('vip')",
        RecordKind::HallTicket,
        Type::Bool,
    );
    let defaulted = compile_for(
        "coalesce(customer_class, 'ordinary') NOT IN ('vip')",
        RecordKind::HallTicket,
        Type::Bool,
    );
    let ticket = row(&[("outcome", str("served"))]);
    assert_eq!(eval(&plain, &ticket), N);
    assert!(!is_true(&eval(&plain, &ticket)));
    assert_eq!(eval(&defaulted, &ticket), T);
}
