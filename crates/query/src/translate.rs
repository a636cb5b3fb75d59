//! Translation of core's compiled expressions into DataFusion logical expressions.
//!
//! The meaning to reproduce is `yardstick_core::expr::eval`; where a DataFusion kernel
//! would differ, the translation says how it is avoided:
//!
//! - Values: numbers are `Float64` (integer columns are cast), strings `Utf8`, booleans
//!   `Boolean`, timestamps `Int64` epoch milliseconds, NULL a typed NULL of the type
//!   the context needs.
//! - A field missing from the batch is NULL (as `Row::get` answers); a field that is
//!   not one of the record kind's fields is an error, so an expression only ever reads
//!   its kind's columns (never `__site` or `__day`).
//! - `AND`, `OR`, `NOT`, `IS [NOT] NULL`, `+ - *` and `coalesce` are DataFusion's,
//!   which follow SQL exactly as the reference does.
//! - Comparisons of numbers compare `ys_num(x)` (NaN → NULL, −0 → +0) because Arrow
//!   orders NaN by IEEE total order (NaN = NaN, NaN above every number); strings,
//!   timestamps and booleans compare natively (byte order, integer order,
//!   false < true — as the reference).
//! - `/` is `CASE WHEN ys_num(b) = 0 THEN NULL ELSE a / b END`.
//! - `IN` is spelt out: TRUE on a match, else NULL if the value or a candidate is NULL,
//!   else FALSE (the reference's rule, independent of DataFusion's `IN` kernel).
//! - `abs`, `least` and `greatest` are `CASE` expressions over `ys_num` with the reference's exact
//!   tie and NaN behaviour; `*_between` is `ys_elapsed_ms(a, b) / 1000 / unit`.

use arrow_schema::{DataType, Schema, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::expr::Case;
use datafusion::logical_expr::{Expr, Operator, binary_expr, cast, ident, lit};
use yardstick_core::expr::{BinOp, Expr as CoreExpr, ExprKind, Func, Span, Type, UnOp, Value};
use yardstick_core::records::{FieldType, RecordKind};

use crate::udf;

/// A translation failure at a place in the expression source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The source range of the node that could not be translated.
    pub span: Span,
    /// What is wrong.
    pub message: String,
}

/// A translated expression and the core type of its values.
#[derive(Debug, Clone)]
pub struct Typed {
    /// The DataFusion expression.
    pub expr: Expr,
    /// The type of its values ([`Type::Null`] when it is always NULL).
    pub ty: Type,
}

impl Typed {
    fn new(expr: Expr, ty: Type) -> Typed {
        Typed { expr, ty }
    }

    fn null(ty: Type) -> Typed {
        Typed::new(null_of(ty), ty)
    }

    /// The expression with a NULL-typed one cast to `ty`.
    #[must_use]
    pub fn as_type(self, ty: Type) -> Expr {
        if self.ty == Type::Null && ty != Type::Null {
            null_of(ty)
        } else {
            self.expr
        }
    }

    /// As a number: the expression itself if it is one, else a NULL number (the
    /// reference's `num()` of a non-number is no value).
    #[must_use]
    pub fn num(self) -> Expr {
        if self.ty == Type::Num {
            self.expr
        } else {
            null_of(Type::Num)
        }
    }

    /// Whether a boolean is TRUE, never NULL (the reference's `is_true`).
    #[must_use]
    pub fn is_true(self) -> Expr {
        if self.ty == Type::Bool {
            is_true(self.expr)
        } else {
            lit(false)
        }
    }
}

/// The Arrow type that carries values of a core type.
#[must_use]
pub fn arrow_type(ty: Type) -> DataType {
    match ty {
        Type::Bool => DataType::Boolean,
        Type::Num => DataType::Float64,
        Type::Str => DataType::Utf8,
        Type::Ts => DataType::Int64,
        Type::Null => DataType::Null,
    }
}

/// A NULL literal of a core type.
#[must_use]
pub fn null_of(ty: Type) -> Expr {
    let value = match ty {
        Type::Bool => ScalarValue::Boolean(None),
        Type::Num => ScalarValue::Float64(None),
        Type::Str => ScalarValue::Utf8(None),
        Type::Ts => ScalarValue::Int64(None),
        Type::Null => ScalarValue::Null,
    };
    lit(value)
}

/// The core type of values of a field type.
fn field_type(ty: FieldType) -> Type {
    match ty {
        FieldType::Str | FieldType::Enum(_) => Type::Str,
        FieldType::Timestamp => Type::Ts,
        FieldType::Int | FieldType::Float => Type::Num,
        FieldType::Bool => Type::Bool,
    }
}

/// Translates expressions over the columns of one batch schema of one record kind.
#[derive(Debug, Clone, Copy)]
pub struct Translator<'a> {
    schema: &'a Schema,
    kind: RecordKind,
}

impl<'a> Translator<'a> {
    /// A translator for batches with `schema` holding records of `kind`.
    #[must_use]
    pub fn new(schema: &'a Schema, kind: RecordKind) -> Translator<'a> {
        Translator { schema, kind }
    }

    /// The value of a field as the reference's `Row::get` gives it.
    ///
    /// # Errors
    /// When the field is not one of the kind's fields, or its column has a type no
    /// record field can have.
    pub fn field(&self, name: &str, span: Span) -> Result<Typed, Located> {
        let Some(def) = self.kind.field(name) else {
            return Err(Located {
                span,
                message: format!("`{name}` is not a field of {} records", self.kind.as_str()),
            });
        };
        self.column(name, field_type(def.ty), span)
    }

    /// The batch column `name` as a core value, or a NULL of type `absent` when the
    /// batch has no such column.
    fn column(&self, name: &str, absent: Type, span: Span) -> Result<Typed, Located> {
        let Ok(column) = self.schema.field_with_name(name) else {
            return Ok(Typed::null(absent));
        };
        let col = ident(name);
        let typed = match column.data_type() {
            DataType::Boolean => Typed::new(col, Type::Bool),
            DataType::Utf8 => Typed::new(col, Type::Str),
            DataType::LargeUtf8 | DataType::Utf8View => {
                Typed::new(cast(col, DataType::Utf8), Type::Str)
            }
            DataType::Float64 => Typed::new(col, Type::Num),
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float16
            | DataType::Float32 => Typed::new(cast(col, DataType::Float64), Type::Num),
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                Typed::new(cast(col, DataType::Int64), Type::Ts)
            }
            DataType::Timestamp(_, tz) => Typed::new(
                cast(
                    cast(col, DataType::Timestamp(TimeUnit::Millisecond, tz.clone())),
                    DataType::Int64,
                ),
                Type::Ts,
            ),
            DataType::Null => Typed::null(absent),
            other => {
                return Err(Located {
                    span,
                    message: format!("column `{name}` has type {other}, which no record field has"),
                });
            }
        };
        Ok(typed)
    }

    /// Translates a compiled expression.
    ///
    /// # Errors
    /// A parameter left in the tree, or a field that [`field`](Translator::field)
    /// rejects, with the node's source range.
    pub fn expr(&self, e: &CoreExpr) -> Result<Typed, Located> {
        Ok(match &e.kind {
            ExprKind::Lit(v) => literal(v),
            ExprKind::Field(name) => self.field(name, e.span)?,
            ExprKind::Param(name) => {
                return Err(Located {
                    span: e.span,
                    message: format!(
                        "parameter `${name}` has no value (compile the expression first)"
                    ),
                });
            }
            ExprKind::Unary {
                op: UnOp::Neg,
                expr,
            } => match self.expr(expr)? {
                t if t.ty == Type::Num => Typed::new(Expr::Negative(Box::new(t.expr)), Type::Num),
                _ => Typed::null(Type::Num),
            },
            ExprKind::Unary {
                op: UnOp::Not,
                expr,
            } => {
                let t = self.expr(expr)?;
                match t.ty {
                    Type::Bool | Type::Null => {
                        Typed::new(Expr::Not(Box::new(t.as_type(Type::Bool))), Type::Bool)
                    }
                    _ => Typed::null(Type::Bool),
                }
            }
            ExprKind::Binary { op, left, right } => {
                binary(*op, self.expr(left)?, self.expr(right)?)
            }
            ExprKind::IsNull { expr, negated } => {
                let t = self.expr(expr)?;
                let test = if *negated {
                    t.expr.is_not_null()
                } else {
                    t.expr.is_null()
                };
                Typed::new(test, Type::Bool)
            }
            ExprKind::InList {
                expr,
                list,
                negated,
            } => {
                let v = self.expr(expr)?;
                let list = list
                    .iter()
                    .map(|c| self.expr(c))
                    .collect::<Result<Vec<_>, _>>()?;
                let found = in_list(v, list);
                if *negated { not(found) } else { found }
            }
            ExprKind::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let v = self.expr(expr)?;
                let ge = compare(BinOp::Ge, v.clone(), self.expr(low)?);
                let le = compare(BinOp::Le, v, self.expr(high)?);
                let within = Typed::new(ge.expr.and(le.expr), Type::Bool);
                if *negated { not(within) } else { within }
            }
            ExprKind::Call { func, args } => {
                let args = args
                    .iter()
                    .map(|a| self.expr(a))
                    .collect::<Result<Vec<_>, _>>()?;
                call(*func, args)
            }
        })
    }

    /// Whether a row is in a record stratum, as `in_stratum` decides: `""` is every
    /// row; each `field=value` part needs the field to be that string, and a missing
    /// customer class counts as `ordinary`. Never NULL.
    ///
    /// # Errors
    /// As [`field`](Translator::field) for a field of the stratum.
    pub fn stratum(&self, stratum: &str) -> Result<Expr, Located> {
        let mut all = lit(true);
        for part in stratum.split(';').filter(|p| !p.is_empty()) {
            let Some((field, want)) = part.split_once('=') else {
                return Ok(lit(false));
            };
            let null_counts = field == "customer_class" && want == "ordinary";
            // Like `Row::get`: whatever the batch holds under that name.
            let value = self.column(field, Type::Null, Span::default())?;
            let test = match value.ty {
                Type::Str => datafusion::functions::expr_fn::coalesce(vec![
                    value.expr.eq(lit(want)),
                    lit(null_counts),
                ]),
                Type::Null => lit(null_counts),
                Type::Num | Type::Bool | Type::Ts => value.expr.is_null().and(lit(null_counts)),
            };
            all = all.and(test);
        }
        Ok(all)
    }
}

fn literal(v: &Value) -> Typed {
    match v {
        Value::Null => Typed::null(Type::Null),
        Value::Bool(b) => Typed::new(lit(*b), Type::Bool),
        Value::Num(n) => Typed::new(lit(*n), Type::Num),
        Value::Str(s) => Typed::new(lit(s.as_str()), Type::Str),
        Value::Ts(ms) => Typed::new(lit(*ms), Type::Ts),
    }
}

/// Three-valued NOT.
fn not(t: Typed) -> Typed {
    Typed::new(Expr::Not(Box::new(t.as_type(Type::Bool))), Type::Bool)
}

fn binary(op: BinOp, l: Typed, r: Typed) -> Typed {
    match op {
        BinOp::And | BinOp::Or => {
            if !matches!(l.ty, Type::Bool | Type::Null) || !matches!(r.ty, Type::Bool | Type::Null)
            {
                // Not reachable for checked expressions; the reference gives NULL
                // unless a FALSE (AND) or TRUE (OR) decides, which needs booleans.
                return Typed::null(Type::Bool);
            }
            let (l, r) = (l.as_type(Type::Bool), r.as_type(Type::Bool));
            let e = if op == BinOp::And { l.and(r) } else { l.or(r) };
            Typed::new(e, Type::Bool)
        }
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
            if l.ty != Type::Num || r.ty != Type::Num {
                return Typed::null(Type::Num);
            }
            let e = match op {
                BinOp::Add => l.expr + r.expr,
                BinOp::Sub => l.expr - r.expr,
                BinOp::Mul => l.expr * r.expr,
                _ => {
                    // Division by zero (either zero) has no value.
                    let zero = udf::num(r.expr.clone()).eq(lit(0.0));
                    case(vec![(zero, null_of(Type::Num))], Some(l.expr / r.expr))
                }
            };
            Typed::new(e, Type::Num)
        }
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => compare(op, l, r),
    }
}

/// The reference's `compare3`: NULL for a NULL side, mixed types or NaN.
fn compare(op: BinOp, l: Typed, r: Typed) -> Typed {
    if l.ty == Type::Null || r.ty == Type::Null || l.ty != r.ty {
        return Typed::null(Type::Bool);
    }
    let (a, b) = if l.ty == Type::Num {
        (udf::num(l.expr), udf::num(r.expr))
    } else {
        (l.expr, r.expr)
    };
    let operator = match op {
        BinOp::Eq => Operator::Eq,
        BinOp::Ne => Operator::NotEq,
        BinOp::Lt => Operator::Lt,
        BinOp::Le => Operator::LtEq,
        BinOp::Gt => Operator::Gt,
        BinOp::Ge => Operator::GtEq,
        _ => return Typed::null(Type::Bool),
    };
    Typed::new(binary_expr(a, operator, b), Type::Bool)
}

/// The reference's `in_list`: TRUE on a match; else NULL if the value or any candidate
/// is NULL; else FALSE.
fn in_list(v: Typed, list: Vec<Typed>) -> Typed {
    if v.ty == Type::Null {
        return Typed::null(Type::Bool);
    }
    let mut found = lit(false);
    let mut any_null = v.expr.clone().is_null();
    for c in list {
        any_null = any_null.or(c.expr.clone().is_null());
        found = found.or(compare(BinOp::Eq, v.clone(), c).expr);
    }
    let e = case(
        vec![(found, lit(true)), (any_null, null_of(Type::Bool))],
        Some(lit(false)),
    );
    Typed::new(e, Type::Bool)
}

/// The single type of `coalesce`/`least`/`greatest` arguments: the first that is not
/// NULL (the checker made them agree).
fn common_type(args: &[Typed]) -> Type {
    args.iter()
        .map(|a| a.ty)
        .find(|t| *t != Type::Null)
        .unwrap_or(Type::Null)
}

fn call(func: Func, args: Vec<Typed>) -> Typed {
    if let Some(unit_s) = func.seconds_per_unit() {
        let mut args = args.into_iter();
        return match (args.next(), args.next()) {
            (Some(a), Some(b)) if a.ty == Type::Ts && b.ty == Type::Ts => Typed::new(
                udf::elapsed_ms_call(vec![a.expr, b.expr]) / lit(1_000.0) / lit(unit_s),
                Type::Num,
            ),
            _ => Typed::null(Type::Num),
        };
    }
    match func {
        Func::Coalesce => {
            let ty = common_type(&args);
            if ty == Type::Null {
                return Typed::null(Type::Null);
            }
            let args: Vec<Expr> = args.into_iter().map(|a| a.as_type(ty)).collect();
            Typed::new(datafusion::functions::expr_fn::coalesce(args), ty)
        }
        Func::Abs => match args.into_iter().next() {
            Some(x) if x.ty == Type::Num => {
                // f64::abs: −0 → +0, NaN stays NaN (`ys_num` makes it NULL, so it
                // falls through to ELSE).
                let n = udf::num(x.expr.clone());
                let e = case(
                    vec![
                        (
                            n.clone().lt(lit(0.0)),
                            Expr::Negative(Box::new(x.expr.clone())),
                        ),
                        (n.eq(lit(0.0)), lit(0.0)),
                    ],
                    Some(x.expr),
                );
                Typed::new(e, Type::Num)
            }
            _ => Typed::null(Type::Num),
        },
        Func::Least => extreme(args, BinOp::Lt),
        Func::Greatest => extreme(args, BinOp::Gt),
        Func::SecondsBetween | Func::MinutesBetween | Func::HoursBetween | Func::DaysBetween => {
            Typed::null(Type::Num)
        }
    }
}

/// The reference's `extreme`: the first non-NULL argument, replaced by each later one
/// that orders strictly before (`Lt`) or after (`Gt`) it; NaN never replaces and is
/// never replaced.
fn extreme(args: Vec<Typed>, better: BinOp) -> Typed {
    let ty = common_type(&args);
    let mut typed = args.into_iter().filter(|a| a.ty == ty && ty != Type::Null);
    let Some(first) = typed.next() else {
        return Typed::null(Type::Null);
    };
    let mut best = first.expr;
    for v in typed {
        let wins = compare(better, v.clone(), Typed::new(best.clone(), ty)).expr;
        best = case(
            vec![
                (v.expr.clone().is_null(), best.clone()),
                (best.clone().is_null(), v.expr.clone()),
                (wins, v.expr),
            ],
            Some(best),
        );
    }
    Typed::new(best, ty)
}

/// `CASE WHEN x THEN TRUE ELSE FALSE END`: TRUE stays TRUE, FALSE and NULL become
/// FALSE. (`x IS TRUE` means the same, but DataFusion 55 plans it as nullable on the
/// physical side and non-nullable on the logical side, and then refuses the aggregate.)
#[must_use]
pub fn is_true(x: Expr) -> Expr {
    case(vec![(x, lit(true))], Some(lit(false)))
}

/// `CASE WHEN c1 THEN v1 ... [ELSE e] END`; without `ELSE` the result is NULL.
#[must_use]
pub fn case(whens: Vec<(Expr, Expr)>, otherwise: Option<Expr>) -> Expr {
    Expr::Case(Case::new(
        None,
        whens
            .into_iter()
            .map(|(w, t)| (Box::new(w), Box::new(t)))
            .collect(),
        otherwise.map(Box::new),
    ))
}
