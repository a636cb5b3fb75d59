//! Canonical printing of expressions.
//!
//! The printed form parses back to the same tree (spans aside) for every tree the parser
//! or `compile` produces: keywords in upper case, one space around infix operators, and
//! parentheses exactly where precedence or associativity needs them. Guideline diffs and
//! logs show this form.

use std::fmt::{self, Write as _};

use super::ast::{BinOp, Expr, ExprKind, UnOp, Value};

/// Precedence levels, loosest first; a child printed with a lower level than its slot
/// requires gets parentheses.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const CMP: u8 = 4;
const ADD: u8 = 5;
const MUL: u8 = 6;
const NEG: u8 = 7;
const ATOM: u8 = 8;

fn binop_level(op: BinOp) -> u8 {
    match op {
        BinOp::Or => OR,
        BinOp::And => AND,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => CMP,
        BinOp::Add | BinOp::Sub => ADD,
        BinOp::Mul | BinOp::Div => MUL,
    }
}

fn level(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary { op, .. } => binop_level(*op),
        ExprKind::Unary { op: UnOp::Not, .. } => NOT,
        ExprKind::Unary { op: UnOp::Neg, .. } => NEG,
        ExprKind::IsNull { .. } | ExprKind::InList { .. } | ExprKind::Between { .. } => CMP,
        ExprKind::Lit(_) | ExprKind::Field(_) | ExprKind::Param(_) | ExprKind::Call { .. } => ATOM,
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Lit(value) => write_value(f, value),
            ExprKind::Field(name) => f.write_str(name),
            ExprKind::Param(name) => write!(f, "${name}"),
            ExprKind::Unary {
                op: UnOp::Not,
                expr,
            } => {
                f.write_str("NOT ")?;
                child(f, expr, NOT)
            }
            ExprKind::Unary {
                op: UnOp::Neg,
                expr,
            } => {
                f.write_char('-')?;
                // A number right after the minus would parse as a negative literal, and
                // a second minus would read as `--`; parentheses keep the negation.
                if matches!(expr.kind, ExprKind::Lit(Value::Num(_))) {
                    write!(f, "({expr})")
                } else {
                    child(f, expr, ATOM)
                }
            }
            ExprKind::Binary { op, left, right } => {
                let lvl = binop_level(*op);
                // Comparisons do not chain, so both sides bind tighter; the other
                // operators associate to the left, so only the right side must.
                let left_min = if op.is_comparison() { lvl + 1 } else { lvl };
                child(f, left, left_min)?;
                write!(f, " {} ", op.symbol())?;
                child(f, right, lvl + 1)
            }
            ExprKind::IsNull { expr, negated } => {
                child(f, expr, ADD)?;
                f.write_str(if *negated { " IS NOT NULL" } else { " IS NULL" })
            }
            ExprKind::InList {
                expr,
                list,
                negated,
            } => {
                child(f, expr, ADD)?;
                f.write_str(if *negated { " NOT IN (" } else { " IN (" })?;
                list_of(f, list, ADD)?;
                f.write_char(')')
            }
            ExprKind::Between {
                expr,
                low,
                high,
                negated,
            } => {
                child(f, expr, ADD)?;
                f.write_str(if *negated {
                    " NOT BETWEEN "
                } else {
                    " BETWEEN "
                })?;
                child(f, low, ADD)?;
                f.write_str(" AND ")?;
                child(f, high, ADD)
            }
            ExprKind::Call { func, args } => {
                write!(f, "{}(", func.name())?;
                list_of(f, args, 0)?;
                f.write_char(')')
            }
        }
    }
}

fn child(f: &mut fmt::Formatter<'_>, e: &Expr, min_level: u8) -> fmt::Result {
    if level(e) < min_level {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

fn list_of(f: &mut fmt::Formatter<'_>, items: &[Expr], min_level: u8) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        child(f, item, min_level)?;
    }
    Ok(())
}

fn write_value(f: &mut fmt::Formatter<'_>, value: &Value) -> fmt::Result {
    match value {
        Value::Null => f.write_str("NULL"),
        Value::Bool(true) => f.write_str("TRUE"),
        Value::Bool(false) => f.write_str("FALSE"),
        Value::Num(n) => write_number(f, *n),
        Value::Str(s) => write!(f, "'{}'", s.replace('\'', "''")),
        Value::Ts(ms) => match chrono::DateTime::from_timestamp_millis(*ms) {
            Some(t) if timestamp_in_range(*ms) => {
                write!(f, "TIMESTAMP '{}'", t.format("%Y-%m-%dT%H:%M:%S%.3fZ"))
            }
            // No RFC 3339 form exists outside years 0000–9999; `check` rejects such
            // parameters, so only hand-built trees reach this unparseable fallback.
            _ => write!(f, "TIMESTAMP '{ms} ms since the epoch'"),
        },
    }
}

/// Prints a number in the shortest form that parses back to the same `f64`: plain
/// decimals in the everyday range, exponent notation for very large or tiny magnitudes
/// so that `1e300` does not print three hundred digits.
fn write_number(f: &mut fmt::Formatter<'_>, n: f64) -> fmt::Result {
    let magnitude = n.abs();
    if magnitude >= 1e16 || (magnitude > 0.0 && magnitude < 1e-6) {
        write!(f, "{n:e}")
    } else {
        write!(f, "{n}")
    }
}

/// Whether a timestamp has an RFC 3339 form (years 0000 to 9999).
pub(crate) fn timestamp_in_range(ms: i64) -> bool {
    // 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z in epoch milliseconds.
    const MIN_MS: i64 = -62_167_219_200_000;
    const MAX_MS: i64 = 253_402_300_799_999;
    (MIN_MS..=MAX_MS).contains(&ms)
}
