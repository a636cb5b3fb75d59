//! Property tests: the canonical printing parses back to the same tree, every parsed
//! span holds the source of its node, and no input makes the parser, checker, evaluator
//! or error renderer panic.

use std::collections::BTreeMap;

use proptest::prelude::*;
use yardstick_core::expr::{
    BinOp, Expr, ExprKind, Func, Span, Type, UnOp, Value, check, eval, parse,
};
use yardstick_core::records::RecordKind;

const KEYWORDS: [&str; 10] = [
    "and",
    "or",
    "not",
    "is",
    "null",
    "in",
    "between",
    "true",
    "false",
    "timestamp",
];

/// Epoch milliseconds of 0000-01-01 and 9999-12-31T23:59:59.999, the range a timestamp
/// literal can spell.
const TS_RANGE: std::ops::RangeInclusive<i64> = -62_167_219_200_000..=253_402_300_799_999;

fn node(kind: ExprKind) -> Expr {
    Expr::new(kind, Span::default())
}

fn identifier() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,6}".prop_filter("not a keyword", |s| !KEYWORDS.contains(&s.as_str()))
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-1_000i32..1_000).prop_map(f64::from),
        (-100_000i32..100_000).prop_map(|n| f64::from(n) / 100.0),
        any::<f64>().prop_filter("finite", |n| n.is_finite()),
    ]
}

fn literal() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number().prop_map(Value::Num),
        ".{0,8}".prop_map(Value::Str),
        TS_RANGE.prop_map(Value::Ts),
    ]
}

/// A literal or parameter: what an `IN` list may hold.
fn constant() -> impl Strategy<Value = Expr> {
    prop_oneof![
        3 => literal().prop_map(|v| node(ExprKind::Lit(v))),
        1 => identifier().prop_map(|p| node(ExprKind::Param(p))),
    ]
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        constant(),
        identifier().prop_map(|f| node(ExprKind::Field(f)))
    ]
}

fn binop() -> impl Strategy<Value = BinOp> {
    prop::sample::select(vec![
        BinOp::Or,
        BinOp::And,
        BinOp::Eq,
        BinOp::Ne,
        BinOp::Lt,
        BinOp::Le,
        BinOp::Gt,
        BinOp::Ge,
        BinOp::Add,
        BinOp::Sub,
        BinOp::Mul,
        BinOp::Div,
    ])
}

/// Random trees of every node kind, shaped as the parser can build them.
fn tree() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(5, 48, 4, |inner| {
        let boxed = inner.clone().prop_map(Box::new);
        prop_oneof![
            (
                prop::sample::select(vec![UnOp::Neg, UnOp::Not]),
                boxed.clone()
            )
                .prop_map(|(op, expr)| node(ExprKind::Unary { op, expr })),
            (binop(), boxed.clone(), boxed.clone())
                .prop_map(|(op, left, right)| node(ExprKind::Binary { op, left, right })),
            (boxed.clone(), any::<bool>())
                .prop_map(|(expr, negated)| node(ExprKind::IsNull { expr, negated })),
            (
                boxed.clone(),
                prop::collection::vec(constant(), 1..4),
                any::<bool>()
            )
                .prop_map(|(expr, list, negated)| node(ExprKind::InList {
                    expr,
                    list,
                    negated
                })),
            (boxed.clone(), boxed.clone(), boxed, any::<bool>()).prop_map(
                |(expr, low, high, negated)| node(ExprKind::Between {
                    expr,
                    low,
                    high,
                    negated
                })
            ),
            (
                prop::sample::select(Func::ALL.to_vec()),
                prop::collection::vec(inner, 0..4)
            )
                .prop_map(|(func, args)| node(ExprKind::Call { func, args })),
        ]
    })
}

/// Checks that each node's span holds source text that parses to that node.
fn spans_hold_their_nodes(src: &str, e: &Expr) -> Result<(), TestCaseError> {
    let text = &src[e.span.start..e.span.end];
    let reparsed = parse(text).map_err(|errors| {
        TestCaseError::fail(format!("span text `{text}` does not parse: {errors:?}"))
    })?;
    prop_assert!(
        reparsed.eq_ignoring_spans(e),
        "span text `{}` is not its node",
        text
    );
    for child in e.children() {
        spans_hold_their_nodes(src, child)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn display_parses_back_to_the_same_tree(e in tree()) {
        let printed = e.to_string();
        let reparsed = parse(&printed)
            .map_err(|errors| TestCaseError::fail(format!("`{printed}` does not parse: {errors:?}")))?;
        prop_assert!(reparsed.eq_ignoring_spans(&e), "`{}` parsed as {:?}", printed, reparsed);
        // Printing is canonical: the reparsed tree prints the same text.
        prop_assert_eq!(reparsed.to_string(), printed);
    }

    #[test]
    fn parsed_spans_hold_the_source_of_their_nodes(e in tree()) {
        let printed = e.to_string();
        let parsed = parse(&printed).map_err(|errors| TestCaseError::fail(format!("{errors:?}")))?;
        spans_hold_their_nodes(&printed, &parsed)?;
    }

    #[test]
    fn checking_and_evaluating_random_trees_never_panics(e in tree(), kind in prop::sample::select(RecordKind::ALL.to_vec())) {
        let params = BTreeMap::from([("p".to_owned(), Value::Num(1.0))]);
        let result = check(&e, kind, &params, Type::Null);
        if let Err(errors) = result {
            prop_assert!(!errors.is_empty());
        }
        let row = BTreeMap::from([("a".to_owned(), Value::Num(2.0))]);
        let _value = eval(&e, &row);
    }

    #[test]
    fn arbitrary_text_never_panics_the_parser_or_renderer(src in ".{0,40}") {
        if let Err(errors) = parse(&src) {
            prop_assert!(!errors.is_empty());
            for error in errors {
                prop_assert!(error.span.start <= error.span.end && error.span.end <= src.len());
                let rendered = error.render(&src);
                prop_assert!(rendered.starts_with("error: "));
            }
        }
    }

    #[test]
    fn token_soup_never_panics_the_parser(words in prop::collection::vec(prop::sample::select(vec![
        "a", "1", "-", "+", "*", "/", "(", ")", ",", "'s'", "=", "<>", "<", ">=", "AND", "OR",
        "NOT", "IS", "NULL", "IN", "BETWEEN", "TRUE", "$p", "abs", "coalesce", "TIMESTAMP",
    ]), 0..20)) {
        let src = words.join(" ");
        if let Ok(e) = parse(&src) {
            let reparsed = parse(&e.to_string())
                .map_err(|errors| TestCaseError::fail(format!("{errors:?}")))?;
            prop_assert!(reparsed.eq_ignoring_spans(&e));
        }
    }
}
