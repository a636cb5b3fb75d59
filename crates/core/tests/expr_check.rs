//! Type checker and `compile` tests: unknown names, enum literals, type mismatches,
//! arities, the wanted type, and reporting every error at once.

use std::collections::BTreeMap;

use yardstick_core::expr::{ExprKind, Type, Value, check, compile, parse};
use yardstick_core::records::RecordKind;

fn params() -> BTreeMap<String, Value> {
    BTreeMap::from([
        ("short_abandon_s".to_owned(), Value::Num(5.0)),
        ("vip".to_owned(), Value::from("vip")),
        ("bad_outcome".to_owned(), Value::from("hung_up")),
        ("cutoff".to_owned(), Value::Ts(1_709_251_200_000)),
        ("infinite".to_owned(), Value::Num(f64::INFINITY)),
    ])
}

/// Checks `src` and returns each error as `(start, end, message)`.
fn errors(src: &str, kind: RecordKind, want: Type) -> Vec<(usize, usize, String)> {
    let expr = parse(src).unwrap_or_else(|e| panic!("`{src}` should parse: {e:?}"));
    check(&expr, kind, &params(), want)
        .expect_err(src)
        .into_iter()
        .map(|e| (e.span.start, e.span.end, e.message))
        .collect()
}

fn one(src: &str, kind: RecordKind, want: Type) -> (usize, usize, String) {
    let mut all = errors(src, kind, want);
    assert_eq!(all.len(), 1, "{src}: {all:?}");
    all.remove(0)
}

fn type_of(src: &str, kind: RecordKind, want: Type) -> Type {
    let expr = parse(src).unwrap_or_else(|e| panic!("`{src}` should parse: {e:?}"));
    check(&expr, kind, &params(), want).unwrap_or_else(|e| panic!("`{src}` should check: {e:?}"))
}

#[test]
fn realistic_indicator_expressions_check() {
    use RecordKind::{Contact, HallTicket, WorkOrder};
    let cases = [
        (
            "outcome IN ('served', 'transferred') AND called_at IS NOT NULL",
            HallTicket,
            Type::Bool,
        ),
        (
            "seconds_between(issued_at, called_at) / 60",
            HallTicket,
            Type::Num,
        ),
        (
            "seconds_between(queue_entry_at, abandoned_at) >= $short_abandon_s",
            Contact,
            Type::Bool,
        ),
        (
            "coalesce(customer_class, 'ordinary') = $vip",
            HallTicket,
            Type::Bool,
        ),
        (
            "coalesce(talk_s, 0) + coalesce(hold_s, 0) + coalesce(acw_s, 0)",
            Contact,
            Type::Num,
        ),
        (
            "kind = 'repair' AND exclusion IS NULL AND completed_at <= committed_by",
            WorkOrder,
            Type::Bool,
        ),
        (
            "hours_between(created_at, completed_at) - coalesce(pause_s, 0) / 3600",
            WorkOrder,
            Type::Num,
        ),
        (
            "call_count BETWEEN 1 AND 3 AND NOT coalesce(appointment, FALSE)",
            HallTicket,
            Type::Bool,
        ),
        (
            "greatest(called_at, issued_at) > $cutoff",
            HallTicket,
            Type::Bool,
        ),
        ("least(talk_s, 600)", Contact, Type::Num),
        ("abs(-qa_score)", Contact, Type::Num),
        ("resolved = TRUE OR resolved IS NULL", Contact, Type::Bool),
        ("outcome", Contact, Type::Null),
    ];
    for (src, kind, want) in cases {
        let found = type_of(src, kind, want);
        if want == Type::Null {
            assert_eq!(found, Type::Str, "{src}");
        } else {
            assert_eq!(found, want, "{src}");
        }
    }
}

#[test]
fn unknown_field_lists_the_valid_fields() {
    assert_eq!(
        one("user > 0", RecordKind::SubscriberBase, Type::Bool),
        (
            0,
            4,
            "unknown field `user` of record kind `subscriber_base`; valid fields: site_id, \
             period_start, users, bills"
                .to_owned()
        )
    );
    let (start, end, message) = one("outcom = 'answered'", RecordKind::Contact, Type::Bool);
    assert_eq!((start, end), (0, 6));
    assert_eq!(
        message,
        format!(
            "unknown field `outcom` of record kind `contact`; valid fields: {}",
            RecordKind::Contact.field_list()
        )
    );
    assert!(
        message.contains("queue_entry_at, answered_at, abandoned_at"),
        "{message}"
    );
}

#[test]
fn enum_literal_outside_the_enum_lists_the_valid_values() {
    use RecordKind::{Contact, HallTicket};
    let valid = "valid values: served, no_show, left, transferred";
    assert_eq!(
        one("outcome = 'servd'", HallTicket, Type::Bool),
        (
            10,
            17,
            format!("'servd' is not a value of `outcome`; {valid}")
        )
    );
    assert_eq!(
        one("'gone' <> outcome", HallTicket, Type::Bool),
        (0, 6, format!("'gone' is not a value of `outcome`; {valid}"))
    );
    assert_eq!(
        one("outcome NOT IN ('served', 'Left')", HallTicket, Type::Bool),
        (
            26,
            32,
            format!("'Left' is not a value of `outcome`; {valid}")
        )
    );
    assert_eq!(
        one("outcome = $bad_outcome", Contact, Type::Bool),
        (
            10,
            22,
            "'hung_up' is not a value of `outcome`; valid values: answered, abandoned, \
             ivr_only, overflowed, callback"
                .to_owned()
        )
    );
    // A free-text field takes any string.
    assert_eq!(
        type_of("service_type = 'anything'", HallTicket, Type::Bool),
        Type::Bool
    );
}

#[test]
fn unknown_and_invalid_parameters() {
    let defined = "defined parameters: $bad_outcome, $cutoff, $infinite, $short_abandon_s, $vip";
    assert_eq!(
        one("talk_s > $max_talk_s", RecordKind::Contact, Type::Bool),
        (9, 20, format!("unknown parameter `$max_talk_s`; {defined}"))
    );
    assert_eq!(
        one("talk_s > $infinite", RecordKind::Contact, Type::Bool),
        (
            9,
            18,
            "parameter `$infinite` is not a finite number".to_owned()
        )
    );
    let expr = parse("talk_s > $x").expect("parses");
    let none = check(&expr, RecordKind::Contact, &BTreeMap::new(), Type::Bool).expect_err("fails");
    assert_eq!(
        none[0].message,
        "unknown parameter `$x`; no parameters are defined"
    );
}

#[test]
fn type_mismatches_say_expected_and_found() {
    use RecordKind::{Contact, HallTicket};
    let cases = [
        (
            "talk_s = 'long'",
            Contact,
            (
                9,
                15,
                "expected number to compare with the left side of `=`, found string",
            ),
        ),
        (
            "answered_at > 5",
            Contact,
            (
                14,
                15,
                "expected timestamp to compare with the left side of `>`, found number",
            ),
        ),
        (
            "talk_s + agent_id > 1",
            Contact,
            (9, 17, "`+` needs numbers, found string"),
        ),
        (
            "end_at - answered_at > 60",
            Contact,
            (
                0,
                20,
                "`-` needs numbers, found timestamp and timestamp; use seconds_between(a, b) or a sibling for the time between two timestamps",
            ),
        ),
        (
            "talk_s AND resolved",
            Contact,
            (0, 6, "`AND` needs booleans, found number"),
        ),
        (
            "NOT talk_s",
            Contact,
            (4, 10, "`NOT` needs a boolean, found number"),
        ),
        (
            "-agent_id < 0",
            Contact,
            (1, 9, "unary `-` needs a number, found string"),
        ),
        (
            "resolved < transferred",
            Contact,
            (0, 22, "`<` cannot order booleans; use `=` or `<>`"),
        ),
        (
            "talk_s IN (1, 'x')",
            Contact,
            (
                14,
                17,
                "expected number to match the left side of `IN`, found string",
            ),
        ),
        (
            "resolved BETWEEN FALSE AND TRUE",
            Contact,
            (
                0,
                8,
                "`BETWEEN` needs numbers, strings or timestamps, found boolean",
            ),
        ),
        (
            "talk_s BETWEEN 0 AND answered_at",
            Contact,
            (
                21,
                32,
                "expected number to match the left side of `BETWEEN`, found timestamp",
            ),
        ),
        (
            "seconds_between(issued_at, 5) > 0",
            HallTicket,
            (
                27,
                28,
                "argument 2 of `seconds_between` must be a timestamp, found number",
            ),
        ),
        (
            "abs(outcome) > 0",
            Contact,
            (4, 11, "argument 1 of `abs` must be a number, found string"),
        ),
        (
            "coalesce(talk_s, 'none') = 'x'",
            Contact,
            (
                17,
                23,
                "expected number to match the earlier arguments of `coalesce`, found string",
            ),
        ),
        (
            "least(resolved, talk_s)",
            Contact,
            (
                6,
                14,
                "`least` needs numbers, strings or timestamps, found boolean",
            ),
        ),
        (
            "outcome = NULL",
            Contact,
            (
                10,
                14,
                "comparing with NULL always gives NULL; use `IS NULL` or `IS NOT NULL`",
            ),
        ),
        (
            "outcome IN ('answered', NULL)",
            Contact,
            (
                24,
                28,
                "NULL in an `IN` list never matches; test `IS NULL` separately",
            ),
        ),
    ];
    for (src, kind, (start, end, message)) in cases {
        let want = if src.starts_with("least") {
            Type::Num
        } else {
            Type::Bool
        };
        assert_eq!(
            one(src, kind, want),
            (start, end, message.to_owned()),
            "{src}"
        );
    }
}

#[test]
fn arity_errors() {
    use RecordKind::Contact;
    assert_eq!(
        one("seconds_between(answered_at) > 1", Contact, Type::Bool),
        (
            0,
            28,
            "`seconds_between` takes 2 arguments, found 1".to_owned()
        )
    );
    assert_eq!(
        one("abs(talk_s, hold_s)", Contact, Type::Num),
        (0, 19, "`abs` takes 1 argument, found 2".to_owned())
    );
    assert_eq!(
        one("coalesce() IS NULL", Contact, Type::Bool),
        (
            0,
            10,
            "`coalesce` takes at least 1 argument, found 0".to_owned()
        )
    );
}

#[test]
fn the_expression_must_have_the_wanted_type() {
    use RecordKind::HallTicket;
    assert_eq!(
        one(
            "seconds_between(issued_at, called_at)",
            HallTicket,
            Type::Bool
        ),
        (
            0,
            37,
            "expected a boolean expression, found number".to_owned()
        )
    );
    assert_eq!(
        one("called_at IS NULL", HallTicket, Type::Num),
        (
            0,
            17,
            "expected a number expression, found boolean".to_owned()
        )
    );
    assert_eq!(
        one("NULL", HallTicket, Type::Bool),
        (
            0,
            4,
            "expected a boolean expression, found NULL (the expression is always NULL)".to_owned()
        )
    );
    // NULL fits any operand type, so it is fine inside a larger expression.
    assert_eq!(
        type_of("coalesce(NULL, call_count) + NULL", HallTicket, Type::Num),
        Type::Num
    );
}

#[test]
fn every_error_is_reported_once() {
    // Four independent mistakes; the comparison with the unknown field and the sum and
    // comparison over it raise nothing more.
    let found = errors(
        "outcom = 'x' AND outcome = 'servd' AND talk_s * 2 > 1 OR $nope",
        RecordKind::HallTicket,
        Type::Bool,
    );
    let starts: Vec<_> = found.iter().map(|(start, _, _)| *start).collect();
    assert_eq!(starts, vec![0, 27, 39, 57], "{found:?}");
    assert!(found[0].2.starts_with("unknown field `outcom`"));
    assert!(
        found[1]
            .2
            .starts_with("'servd' is not a value of `outcome`")
    );
    assert!(
        found[2]
            .2
            .starts_with("unknown field `talk_s` of record kind `hall_ticket`")
    );
    assert!(found[3].2.starts_with("unknown parameter `$nope`"));
}

#[test]
fn compile_substitutes_parameters_and_keeps_their_spans() {
    let src = "seconds_between(queue_entry_at, abandoned_at) >= $short_abandon_s";
    let expr = compile(src, RecordKind::Contact, &params(), Type::Bool).expect("compiles");
    assert_eq!(
        expr.to_string(),
        "seconds_between(queue_entry_at, abandoned_at) >= 5"
    );
    let ExprKind::Binary { right, .. } = &expr.kind else {
        panic!("binary expected")
    };
    assert_eq!(right.kind, ExprKind::Lit(Value::Num(5.0)));
    assert_eq!((right.span.start, right.span.end), (49, 65));

    let expr = compile(
        "answered_at < $cutoff",
        RecordKind::Contact,
        &params(),
        Type::Bool,
    )
    .expect("compiles");
    assert_eq!(
        expr.to_string(),
        "answered_at < TIMESTAMP '2024-03-01T00:00:00.000Z'"
    );
    assert_eq!(
        parse(&expr.to_string()).expect("reparses").without_spans(),
        expr.without_spans()
    );

    let errors =
        compile("talk_s >", RecordKind::Contact, &params(), Type::Bool).expect_err("fails");
    assert_eq!(
        errors[0].message,
        "expected an expression, found end of input"
    );
    let errors =
        compile("talk_s > $x", RecordKind::Contact, &params(), Type::Bool).expect_err("fails");
    assert!(errors[0].message.starts_with("unknown parameter `$x`"));
}

#[test]
fn field_names_lists_what_the_engine_must_read() {
    let expr = parse("outcome = 'answered' AND seconds_between(queue_entry_at, answered_at) <= 20 AND outcome IS NOT NULL")
        .expect("parses");
    let names: Vec<_> = expr.field_names().into_iter().collect();
    assert_eq!(names, vec!["answered_at", "outcome", "queue_entry_at"]);
}

#[test]
fn the_longest_expression_checks_within_the_stack() {
    // 1000 terms is the longest accepted chain; checking recurses 1000 deep.
    let src = vec!["talk_s"; 1_000].join(" + ");
    let expr = compile(&src, RecordKind::Contact, &params(), Type::Num).expect("compiles");
    assert_eq!(
        expr.field_names().into_iter().collect::<Vec<_>>(),
        vec!["talk_s"]
    );
}
