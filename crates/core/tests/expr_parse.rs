//! Parser tests: precedence and associativity, spans, canonical printing and syntax
//! errors with their exact messages and spans.

use std::collections::BTreeMap;

use yardstick_core::expr::{Expr, ExprKind, Span, UnOp, Value, eval, parse};

/// Prints a tree fully parenthesised in prefix form, so a test states the structure the
/// parser built without depending on the canonical printer.
fn sexp(e: &Expr) -> String {
    let list = |items: &[Expr]| items.iter().map(sexp).collect::<Vec<_>>().join(" ");
    match &e.kind {
        ExprKind::Lit(Value::Null) => "NULL".into(),
        ExprKind::Lit(Value::Bool(b)) => b.to_string(),
        ExprKind::Lit(Value::Num(n)) => n.to_string(),
        ExprKind::Lit(Value::Str(s)) => format!("'{s}'"),
        ExprKind::Lit(Value::Ts(ms)) => format!("ts:{ms}"),
        ExprKind::Field(name) => name.clone(),
        ExprKind::Param(name) => format!("${name}"),
        ExprKind::Unary {
            op: UnOp::Neg,
            expr,
        } => format!("(neg {})", sexp(expr)),
        ExprKind::Unary {
            op: UnOp::Not,
            expr,
        } => format!("(not {})", sexp(expr)),
        ExprKind::Binary { op, left, right } => {
            format!("({} {} {})", op.symbol(), sexp(left), sexp(right))
        }
        ExprKind::IsNull { expr, negated } => {
            format!(
                "({} {})",
                if *negated { "notnull" } else { "isnull" },
                sexp(expr)
            )
        }
        ExprKind::InList {
            expr,
            list: items,
            negated,
        } => {
            format!(
                "({} {} [{}])",
                if *negated { "notin" } else { "in" },
                sexp(expr),
                list(items)
            )
        }
        ExprKind::Between {
            expr,
            low,
            high,
            negated,
        } => format!(
            "({} {} {} {})",
            if *negated { "notbetween" } else { "between" },
            sexp(expr),
            sexp(low),
            sexp(high)
        ),
        ExprKind::Call { func, args } => format!("({} {})", func.name(), list(args)),
    }
}

fn parsed(src: &str) -> Expr {
    parse(src).unwrap_or_else(|e| panic!("`{src}` should parse: {e:?}"))
}

/// Parses `src` and expects exactly one error; returns `(start, end, message)`.
fn one_error(src: &str) -> (usize, usize, String) {
    let errors = parse(src).expect_err("should fail");
    assert_eq!(errors.len(), 1, "{src}: {errors:?}");
    let e = &errors[0];
    (e.span.start, e.span.end, e.message.clone())
}

#[test]
fn precedence_and_associativity() {
    let cases = [
        ("a OR b AND c", "(OR a (AND b c))"),
        ("a AND b OR c", "(OR (AND a b) c)"),
        ("NOT a AND b", "(AND (not a) b)"),
        ("NOT a = b", "(not (= a b))"),
        ("NOT NOT a", "(not (not a))"),
        ("a + b * c", "(+ a (* b c))"),
        ("a - b - c", "(- (- a b) c)"),
        ("a / b * c", "(* (/ a b) c)"),
        ("a - (b - c)", "(- a (- b c))"),
        ("-a * b", "(* (neg a) b)"),
        ("- -a", "(neg (neg a))"),
        ("-5 * x", "(* -5 x)"),
        ("x - -2.5", "(- x -2.5)"),
        ("-(5)", "(neg 5)"),
        ("a + 1 < b * 2", "(< (+ a 1) (* b 2))"),
        (
            "a = 1 AND b <> 2 OR c != 3",
            "(OR (AND (= a 1) (<> b 2)) (<> c 3))",
        ),
        ("a IS NULL OR b IS NOT NULL", "(OR (isnull a) (notnull b))"),
        ("a + 1 IS NULL", "(isnull (+ a 1))"),
        ("x BETWEEN 1 AND 2 AND y", "(AND (between x 1 2) y)"),
        (
            "x NOT BETWEEN a - 1 AND b + 1",
            "(notbetween x (- a 1) (+ b 1))",
        ),
        ("outcome NOT IN ('a', 'b')", "(notin outcome ['a' 'b'])"),
        ("NOT outcome IN ('a')", "(not (in outcome ['a']))"),
        ("x IN (-1, $p, NULL, TRUE)", "(in x [-1 $p NULL true])"),
        ("(a OR b) AND c", "(AND (OR a b) c)"),
        (
            "coalesce(a, b + 1, 0) >= least(x, y)",
            "(>= (coalesce a (+ b 1) 0) (least x y))",
        ),
        (
            "seconds_between(issued_at, called_at) / 60",
            "(/ (seconds_between issued_at called_at) 60)",
        ),
        ("ABS(x)", "(abs x)"),
        ("a and B or not c", "(OR (AND a B) (not c))"),
        ("'it''s' = s", "(= 'it's' s)"),
        (
            "TIMESTAMP '2024-03-01T08:00:00+08:00' <= t",
            "(<= ts:1709251200000 t)",
        ),
        ("1.5e3 + .25", "(+ 1500 0.25)"),
    ];
    for (src, want) in cases {
        assert_eq!(sexp(&parsed(src)), want, "{src}");
    }
}

#[test]
fn spans_cover_each_node_and_its_parentheses() {
    let e = parsed("(a + 1) * -2");
    assert_eq!(e.span, Span::new(0, 12));
    let ExprKind::Binary { left, right, .. } = &e.kind else {
        panic!("binary expected")
    };
    assert_eq!(left.span, Span::new(0, 7));
    assert_eq!(right.span, Span::new(10, 12));
    let ExprKind::Binary {
        left: a,
        right: one,
        ..
    } = &left.kind
    else {
        panic!("binary")
    };
    assert_eq!((a.span, one.span), (Span::new(1, 2), Span::new(5, 6)));

    let call = parsed("abs( x )");
    assert_eq!(call.span, Span::new(0, 8));
    let in_list = parsed("x NOT IN ('a')");
    assert_eq!(in_list.span, Span::new(0, 14));
    let is_null = parsed("x IS NOT NULL");
    assert_eq!(is_null.span, Span::new(0, 13));
}

#[test]
fn canonical_display() {
    let cases = [
        ("a or b and c", "a OR b AND c"),
        ("(a or b) and c", "(a OR b) AND c"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a AND (b AND c)", "a AND (b AND c)"),
        ("not (a and b)", "NOT (a AND b)"),
        ("(a = b) = c", "(a = b) = c"),
        ("(x is null) = true", "(x IS NULL) = TRUE"),
        ("a != b", "a <> b"),
        ("- - x", "-(-x)"),
        ("-(5)", "-(5)"),
        ("- 5", "-5"),
        ("-(a + b)", "-(a + b)"),
        ("x   not   in ( 'a','b' )", "x NOT IN ('a', 'b')"),
        ("x between 1 and 2", "x BETWEEN 1 AND 2"),
        ("(x between 1 and 2) = false", "(x BETWEEN 1 AND 2) = FALSE"),
        ("Seconds_Between(a, b) / 60.0", "seconds_between(a, b) / 60"),
        ("'it''s'", "'it''s'"),
        ("1e300 + 0.0000001 + 0.5", "1e300 + 1e-7 + 0.5"),
        (
            "timestamp '2024-03-01T08:00:00.5+08:00'",
            "TIMESTAMP '2024-03-01T00:00:00.500Z'",
        ),
        ("$Short_abandon_s", "$Short_abandon_s"),
    ];
    for (src, want) in cases {
        let printed = parsed(src).to_string();
        assert_eq!(printed, want, "{src}");
        assert!(
            parsed(&printed).eq_ignoring_spans(&parsed(src)),
            "{src} round trip"
        );
    }
}

#[test]
fn syntax_errors_have_exact_messages_and_spans() {
    let cases: [(&str, (usize, usize, &str)); 14] = [
        ("", (0, 0, "expected an expression, found end of input")),
        (
            "outcome = = 'x'",
            (10, 11, "expected an expression, found `=`"),
        ),
        ("outcome = 'served", (10, 17, "unterminated string literal")),
        (
            "a b",
            (
                2,
                3,
                "expected an operator or the end of the expression, found `b`",
            ),
        ),
        ("(a + 1", (6, 6, "expected `)`, found end of input")),
        (
            "a < b < c",
            (
                6,
                7,
                "comparisons cannot be chained; join them with AND or add parentheses",
            ),
        ),
        (
            "a = b IS NULL",
            (
                6,
                8,
                "comparisons cannot be chained; join them with AND or add parentheses",
            ),
        ),
        ("a IS 5", (5, 6, "expected `NULL` after `IS`, found `5`")),
        (
            "a NOT b",
            (6, 7, "expected `IN` or `BETWEEN` after `NOT`, found `b`"),
        ),
        ("a IN 'x'", (5, 8, "expected `(` after `IN`, found `'x'`")),
        (
            "a IN ('x' 'y')",
            (10, 13, "expected `,` or `)` in the `IN` list, found `'y'`"),
        ),
        (
            "a BETWEEN 1 OR 2",
            (
                12,
                14,
                "expected `AND` between the bounds of `BETWEEN`, found `OR`",
            ),
        ),
        (
            "abs(x y)",
            (
                6,
                7,
                "expected `,` or `)` after a function argument, found `y`",
            ),
        ),
        (
            "TIMESTAMP 5",
            (
                10,
                11,
                "expected a string after `TIMESTAMP`, as in TIMESTAMP '2024-03-01T08:00:00+08:00', found `5`",
            ),
        ),
    ];
    for (src, (start, end, message)) in cases {
        assert_eq!(one_error(src), (start, end, message.to_owned()), "{src}");
    }
}

#[test]
fn unknown_function_lists_the_allowed_ones() {
    assert_eq!(
        one_error("median(talk_s) > 3"),
        (
            0,
            6,
            "unknown function `median`; allowed functions: seconds_between, minutes_between, \
             hours_between, days_between, coalesce, abs, least, greatest"
                .to_owned()
        )
    );
}

#[test]
fn recoverable_errors_are_all_reported_before_the_fatal_one() {
    let errors =
        parse("foo(a) = 1 AND x IN () AND y IN (a + 1) AND TIMESTAMP '2024-13-01' < t AND )")
            .expect_err("fails");
    let found: Vec<_> = errors
        .iter()
        .map(|e| (e.span.start, e.message.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                0,
                "unknown function `foo`; allowed functions: seconds_between, minutes_between, hours_between, days_between, coalesce, abs, least, greatest"
            ),
            (20, "the `IN` list is empty"),
            (33, "`IN` lists hold only literals and parameters"),
            (
                54,
                "invalid timestamp '2024-13-01'; expected RFC 3339 with an offset, as in '2024-03-01T08:00:00+08:00'"
            ),
            (75, "expected an expression, found `)`"),
        ]
    );
}

#[test]
fn all_lexical_errors_are_reported() {
    let errors = parse("a = \"x\" AND b # 1").expect_err("fails");
    let found: Vec<_> = errors
        .iter()
        .map(|e| (e.span.start, e.message.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (4, "unexpected character `\"`; strings use single quotes"),
            (6, "unexpected character `\"`; strings use single quotes"),
            (14, "unexpected character `#`"),
        ]
    );
}

#[test]
fn nesting_and_length_are_bounded() {
    let message = "expression nested too deeply (more than 64 levels)";
    let parens = |n: usize| format!("{}x{}", "(".repeat(n), ")".repeat(n));
    assert!(parse(&parens(64)).is_ok());
    let errors = parse(&parens(65)).expect_err("too deep");
    assert_eq!(
        (errors[0].span.start, errors[0].message.as_str()),
        (64, message)
    );
    let errors = parse(&format!("{}x", "NOT ".repeat(65))).expect_err("too deep");
    assert_eq!(errors[0].message, message);
    let errors = parse(&format!("{}x", "- ".repeat(65))).expect_err("too deep");
    assert_eq!(errors[0].message, message);
    let errors = parse(&format!("{}x{}", "abs(".repeat(65), ")".repeat(65))).expect_err("deep");
    assert_eq!(errors[0].message, message);

    let long = vec!["x"; 1_001].join(" + ");
    let errors = parse(&long).expect_err("too long");
    assert_eq!(
        errors[0].message,
        "expression too long: 2002 tokens, at most 2000"
    );

    // The longest accepted chain is a tree 1000 deep; printing and evaluating it
    // recurse that deep and must stay within a test thread's stack.
    let longest = vec!["x"; 1_000].join(" + ");
    let e = parse(&longest).expect("parses");
    assert_eq!(e.to_string(), longest);
    let row = BTreeMap::from([("x".to_owned(), Value::Num(1.0))]);
    assert_eq!(eval(&e, &row), Value::Num(1_000.0));
}

#[test]
fn error_renders_a_caret_line_under_the_source() {
    let errors = parse("outcome = 'served' AND wait >= = $max").expect_err("fails");
    assert_eq!(
        errors[0].render("outcome = 'served' AND wait >= = $max"),
        "error: expected an expression, found `=`\n  |\n1 | outcome = 'served' AND wait >= = $max\n  |                                ^"
    );
    // A span in a later line of a multi-line source shows that line, and wide
    // characters before the span count two columns.
    let multi = "a = 1 AND\n'营业厅' = b c";
    let errors = parse(multi).expect_err("fails");
    assert_eq!(
        errors[0].render(multi),
        "error: expected an operator or the end of the expression, found `c`\n  |\n2 | '营业厅' = b c\n  |              ^"
    );
}
