//! Reference evaluator: the meaning of an expression on one record, row by row.
//!
//! The engine's columnar programs and the DataFusion translation must agree with it
//! (their tests compare them), so it follows SQL: NULL propagates through arithmetic and comparisons, `AND`/`OR`/`NOT` use
//! three-valued logic, `IN` with no match but a NULL candidate is NULL, and
//! `coalesce`/`least`/`greatest` skip NULLs (as PostgreSQL and DataFusion do). Division
//! by zero gives NULL. A NaN compares as NULL; the engine never stores NaN.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::ast::{BinOp, Expr, ExprKind, Func, UnOp, Value};

/// A record as the evaluator sees it: field values by name.
pub trait Row {
    /// The value of `field`; NULL when the record does not have it.
    fn get(&self, field: &str) -> Value;
}

impl Row for BTreeMap<String, Value> {
    fn get(&self, field: &str) -> Value {
        BTreeMap::get(self, field).cloned().unwrap_or(Value::Null)
    }
}

/// Whether a filter keeps the row: only TRUE does; FALSE and NULL drop it.
#[must_use]
pub fn is_true(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

/// Evaluates `expr` on `row`.
///
/// Expects a type-checked, compiled expression: a parameter left in the tree and
/// operands of the wrong type evaluate to NULL rather than panicking.
#[must_use]
pub fn eval(expr: &Expr, row: &dyn Row) -> Value {
    match &expr.kind {
        ExprKind::Lit(value) => value.clone(),
        ExprKind::Field(name) => row.get(name),
        ExprKind::Param(_) => Value::Null,
        ExprKind::Unary {
            op: UnOp::Neg,
            expr,
        } => match eval(expr, row) {
            Value::Num(n) => Value::Num(-n),
            _ => Value::Null,
        },
        ExprKind::Unary {
            op: UnOp::Not,
            expr,
        } => not3(&eval(expr, row)),
        ExprKind::Binary { op, left, right } => binary(*op, left, right, row),
        ExprKind::IsNull { expr, negated } => Value::Bool(eval(expr, row).is_null() != *negated),
        ExprKind::InList {
            expr,
            list,
            negated,
        } => {
            let found = in_list(&eval(expr, row), list, row);
            if *negated { not3(&found) } else { found }
        }
        ExprKind::Between {
            expr,
            low,
            high,
            negated,
        } => {
            let v = eval(expr, row);
            let ge = compare3(BinOp::Ge, &v, &eval(low, row));
            let le = compare3(BinOp::Le, &v, &eval(high, row));
            let within = and3(&ge, &le);
            if *negated { not3(&within) } else { within }
        }
        ExprKind::Call { func, args } => call(*func, args, row),
    }
}

fn binary(op: BinOp, left: &Expr, right: &Expr, row: &dyn Row) -> Value {
    let l = eval(left, row);
    // FALSE AND x and TRUE OR x are decided by the left side alone; evaluation is pure,
    // so skipping the right side changes nothing but the work done.
    match (op, &l) {
        (BinOp::And, Value::Bool(false)) | (BinOp::Or, Value::Bool(true)) => return l,
        _ => {}
    }
    let r = eval(right, row);
    match op {
        BinOp::And => and3(&l, &r),
        BinOp::Or => or3(&l, &r),
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => arithmetic(op, &l, &r),
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            compare3(op, &l, &r)
        }
    }
}

/// Three-valued NOT: NOT NULL is NULL.
fn not3(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::Bool(!b),
        _ => Value::Null,
    }
}

/// Three-valued AND: FALSE wins over NULL, NULL over TRUE.
fn and3(l: &Value, r: &Value) -> Value {
    match (l, r) {
        (Value::Bool(false), _) | (_, Value::Bool(false)) => Value::Bool(false),
        (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
        _ => Value::Null,
    }
}

/// Three-valued OR: TRUE wins over NULL, NULL over FALSE.
fn or3(l: &Value, r: &Value) -> Value {
    match (l, r) {
        (Value::Bool(true), _) | (_, Value::Bool(true)) => Value::Bool(true),
        (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
        _ => Value::Null,
    }
}

fn arithmetic(op: BinOp, l: &Value, r: &Value) -> Value {
    let (Value::Num(a), Value::Num(b)) = (l, r) else {
        return Value::Null;
    };
    match op {
        BinOp::Add => Value::Num(a + b),
        BinOp::Sub => Value::Num(a - b),
        BinOp::Mul => Value::Num(a * b),
        // Division by zero has no value; NULL keeps it out of sums and means.
        BinOp::Div if *b == 0.0 => Value::Null,
        BinOp::Div => Value::Num(a / b),
        _ => Value::Null,
    }
}

/// Orders two non-NULL values of the same type; `None` for NULLs, mixed types and NaN.
fn order(l: &Value, r: &Value) -> Option<Ordering> {
    match (l, r) {
        (Value::Num(a), Value::Num(b)) => a.partial_cmp(b),
        (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
        (Value::Ts(a), Value::Ts(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn compare3(op: BinOp, l: &Value, r: &Value) -> Value {
    let Some(ord) = order(l, r) else {
        return Value::Null;
    };
    let Some(holds) = op.holds(ord) else {
        return Value::Null;
    };
    Value::Bool(holds)
}

/// SQL `IN`: TRUE on a match, else NULL if the value or any candidate is NULL, else FALSE.
fn in_list(v: &Value, list: &[Expr], row: &dyn Row) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    let mut saw_null = false;
    for item in list {
        let candidate = eval(item, row);
        if candidate.is_null() {
            saw_null = true;
        } else if order(v, &candidate).is_some_and(Ordering::is_eq) {
            return Value::Bool(true);
        }
    }
    if saw_null {
        Value::Null
    } else {
        Value::Bool(false)
    }
}

fn call(func: Func, args: &[Expr], row: &dyn Row) -> Value {
    let mut values = args.iter().map(|a| eval(a, row));
    if let Some(unit_s) = func.seconds_per_unit() {
        return match (values.next(), values.next()) {
            (Some(Value::Ts(from)), Some(Value::Ts(to))) => {
                // i128 keeps the difference exact for any pair of i64 instants.
                let elapsed_ms = (i128::from(to) - i128::from(from)) as f64;
                Value::Num(elapsed_ms / 1_000.0 / unit_s)
            }
            _ => Value::Null,
        };
    }
    match func {
        Func::Coalesce => values.find(|v| !v.is_null()).unwrap_or(Value::Null),
        Func::Abs => match values.next() {
            Some(Value::Num(n)) => Value::Num(n.abs()),
            _ => Value::Null,
        },
        Func::Least => extreme(values, Ordering::Less),
        Func::Greatest => extreme(values, Ordering::Greater),
        Func::SecondsBetween | Func::MinutesBetween | Func::HoursBetween | Func::DaysBetween => {
            Value::Null
        }
    }
}

/// The least (`want = Less`) or greatest non-NULL value; NULL when all are NULL.
fn extreme(values: impl Iterator<Item = Value>, want: Ordering) -> Value {
    let mut best = Value::Null;
    for v in values.filter(|v| !v.is_null()) {
        if best.is_null() || order(&v, &best) == Some(want) {
            best = v;
        }
    }
    best
}
