//! Type checker: resolves fields against a record kind and parameters against the
//! guideline, and checks operand types, enum literals and function arities.
//!
//! It reports every error it finds. A sub-expression that already failed has no type
//! (`None`) and raises no further errors, so one mistake yields one message.

use std::collections::BTreeMap;

use super::ast::{BinOp, Expr, ExprKind, Func, Span, Type, UnOp, Value};
use super::error::ExprError;
use crate::i18n::Msg;
use crate::records::{FieldType, RecordKind};

/// Type-checks `expr` against the fields of `kind` and the defined `params`, and checks
/// that its type is `want` (`Type::Null` as `want` accepts any type). Returns the
/// expression's type.
///
/// # Errors
/// Every unknown field, function arity or parameter, operand type mismatch and enum
/// literal that is not a value of its field, plus a top-level type other than `want`.
pub fn check(
    expr: &Expr,
    kind: RecordKind,
    params: &BTreeMap<String, Value>,
    want: Type,
) -> Result<Type, Vec<ExprError>> {
    let mut checker = Checker {
        kind,
        params,
        errors: Vec::new(),
    };
    let ty = checker.expr(expr);
    if let Some(ty) = ty {
        checker.want(expr, ty, want);
    }
    match ty {
        Some(ty) if checker.errors.is_empty() => Ok(ty),
        _ => Err(checker.errors),
    }
}

struct Checker<'a> {
    kind: RecordKind,
    params: &'a BTreeMap<String, Value>,
    errors: Vec<ExprError>,
}

/// The common type of two operands, where NULL fits any type.
fn unify(a: Type, b: Type) -> Option<Type> {
    match (a, b) {
        (Type::Null, t) | (t, Type::Null) => Some(t),
        (a, b) if a == b => Some(a),
        _ => None,
    }
}

fn field_type(ty: FieldType) -> Type {
    match ty {
        FieldType::Str | FieldType::Enum(_) => Type::Str,
        FieldType::Timestamp => Type::Ts,
        FieldType::Int | FieldType::Float => Type::Num,
        FieldType::Bool => Type::Bool,
    }
}

fn is_null_literal(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Lit(Value::Null))
}

/// The catalogue key of a type's name in messages (`[file_check.type]`).
fn type_key(ty: Type) -> &'static str {
    match ty {
        Type::Bool => "file_check.type.boolean",
        Type::Num => "file_check.type.number",
        Type::Str => "file_check.type.string",
        Type::Ts => "file_check.type.timestamp",
        Type::Null => "file_check.type.null",
    }
}

/// `msg` with the type `ty` as its placeholder `name`.
fn with_type(msg: Msg, name: &'static str, ty: Type) -> Msg {
    msg.arg_text(name, type_key(ty))
}

/// A hint for operators that do not take timestamps, which authors most often trip on,
/// as the placeholder `hint` of `msg` (empty for other types).
fn ts_hint(msg: Msg, ty: Type) -> Msg {
    if ty == Type::Ts {
        msg.arg_text("hint", "expr.hint.timestamps")
    } else {
        msg.arg("hint", "")
    }
}

impl Checker<'_> {
    fn error(&mut self, span: Span, message: Msg) {
        self.errors.push(ExprError::new(span, message));
    }

    fn want(&mut self, expr: &Expr, ty: Type, want: Type) {
        if want == Type::Null || ty == want {
            return;
        }
        let msg = with_type(Msg::new("expr.want"), "want", want);
        let msg = if ty == Type::Null {
            msg.arg_text("found", "expr.always_null")
        } else {
            with_type(msg, "found", ty)
        };
        self.error(expr.span, msg);
    }

    fn expr(&mut self, e: &Expr) -> Option<Type> {
        match &e.kind {
            ExprKind::Lit(value) => Some(value.ty()),
            ExprKind::Field(name) => self.field(name, e.span),
            ExprKind::Param(name) => self.param(name, e.span),
            ExprKind::Unary { op, expr } => {
                self.unary(*op, expr);
                Some(if *op == UnOp::Neg {
                    Type::Num
                } else {
                    Type::Bool
                })
            }
            ExprKind::Binary { op, left, right } => Some(self.binary(*op, left, right)),
            ExprKind::IsNull { expr, .. } => {
                self.expr(expr);
                Some(Type::Bool)
            }
            ExprKind::InList { expr, list, .. } => {
                self.in_list(expr, list);
                Some(Type::Bool)
            }
            ExprKind::Between {
                expr, low, high, ..
            } => {
                self.between(expr, low, high);
                Some(Type::Bool)
            }
            ExprKind::Call { func, args } => self.call(*func, args, e.span),
        }
    }

    fn field(&mut self, name: &str, span: Span) -> Option<Type> {
        if let Some(def) = self.kind.field(name) {
            return Some(field_type(def.ty));
        }
        self.error(
            span,
            Msg::new("expr.unknown_field")
                .arg("name", name)
                .arg("kind", self.kind.as_str())
                .arg("valid", self.kind.field_list()),
        );
        None
    }

    fn param(&mut self, name: &str, span: Span) -> Option<Type> {
        let Some(value) = self.params.get(name) else {
            let msg = if self.params.is_empty() {
                Msg::new("expr.unknown_param_none")
            } else {
                let names: Vec<_> = self.params.keys().map(|k| format!("${k}")).collect();
                Msg::new("expr.unknown_param").arg("defined", names.join(", "))
            };
            self.error(span, msg.arg("name", name));
            return None;
        };
        match value {
            Value::Num(n) if !n.is_finite() => {
                self.error(span, Msg::new("expr.param_not_finite").arg("name", name));
                None
            }
            Value::Ts(ms) if !super::display::timestamp_in_range(*ms) => {
                self.error(span, Msg::new("expr.param_out_of_range").arg("name", name));
                None
            }
            _ => Some(value.ty()),
        }
    }

    fn unary(&mut self, op: UnOp, operand: &Expr) {
        let Some(ty) = self.expr(operand) else { return };
        match op {
            UnOp::Neg if !matches!(ty, Type::Num | Type::Null) => self.error(
                operand.span,
                ts_hint(
                    with_type(Msg::new("expr.neg_needs_number"), "found", ty),
                    ty,
                ),
            ),
            UnOp::Not if !matches!(ty, Type::Bool | Type::Null) => {
                self.error(
                    operand.span,
                    with_type(Msg::new("expr.not_needs_bool"), "found", ty),
                );
            }
            UnOp::Neg | UnOp::Not => {}
        }
    }

    fn binary(&mut self, op: BinOp, left: &Expr, right: &Expr) -> Type {
        let lt = self.expr(left);
        let rt = self.expr(right);
        if op.is_comparison() {
            self.comparison(op, (left, lt), (right, rt));
            return Type::Bool;
        }
        let (need, result) = if op.is_arithmetic() {
            ("expr.need.numbers", Type::Num)
        } else {
            ("expr.need.booleans", Type::Bool)
        };
        let wrong = |ty: Option<Type>| ty.filter(|t| unify(*t, result) != Some(result));
        let hint = |msg: Msg, ty: Type| {
            if op.is_arithmetic() {
                ts_hint(msg, ty)
            } else {
                msg.arg("hint", "")
            }
        };
        let operand =
            |key: &'static str| Msg::new(key).arg("op", op.symbol()).arg_text("need", need);
        match (wrong(lt), wrong(rt)) {
            // Both sides wrong is one mistake (typically subtracting two timestamps), so
            // it gets one message over the whole operation.
            (Some(a), Some(b)) => {
                let msg = with_type(operand("expr.operands"), "left", a);
                self.error(
                    left.span.cover(right.span),
                    hint(with_type(msg, "right", b), a),
                );
            }
            (Some(ty), None) => {
                let msg = with_type(operand("expr.operand"), "found", ty);
                self.error(left.span, hint(msg, ty));
            }
            (None, Some(ty)) => {
                let msg = with_type(operand("expr.operand"), "found", ty);
                self.error(right.span, hint(msg, ty));
            }
            (None, None) => {}
        }
        result
    }

    fn comparison(&mut self, op: BinOp, left: (&Expr, Option<Type>), right: (&Expr, Option<Type>)) {
        let ((l, lt), (r, rt)) = (left, right);
        for side in [l, r] {
            if is_null_literal(side) {
                self.error(side.span, Msg::new("expr.compare_null"));
                return;
            }
        }
        self.enum_literal(l, r);
        self.enum_literal(r, l);
        let (Some(lt), Some(rt)) = (lt, rt) else {
            return;
        };
        match unify(lt, rt) {
            None => {
                let msg = Msg::new("expr.compare_type").arg("op", op.symbol());
                let msg = with_type(with_type(msg, "want", lt), "found", rt);
                self.error(r.span, msg);
            }
            Some(Type::Bool) if !matches!(op, BinOp::Eq | BinOp::Ne) => self.error(
                l.span.cover(r.span),
                Msg::new("expr.order_bool").arg("op", op.symbol()),
            ),
            Some(_) => {}
        }
    }

    /// If `field` is an enum field and `other` a constant string (literal or parameter),
    /// checks the string is one of the field's values: a misspelt outcome would
    /// otherwise silently match nothing.
    fn enum_literal(&mut self, field: &Expr, other: &Expr) {
        let ExprKind::Field(name) = &field.kind else {
            return;
        };
        let Some(def) = self.kind.field(name) else {
            return;
        };
        let FieldType::Enum(values) = def.ty else {
            return;
        };
        let text = match &other.kind {
            ExprKind::Lit(Value::Str(s)) => s,
            ExprKind::Param(p) => match self.params.get(p) {
                Some(Value::Str(s)) => s,
                _ => return,
            },
            _ => return,
        };
        if !values.contains(&text.as_str()) {
            self.error(
                other.span,
                Msg::new("expr.not_a_value")
                    .arg("value", text)
                    .arg("name", name)
                    .arg("valid", values.join(", ")),
            );
        }
    }

    fn in_list(&mut self, expr: &Expr, list: &[Expr]) {
        let mut reference = self.expr(expr);
        for item in list {
            let ty = self.expr(item);
            if is_null_literal(item) {
                self.error(item.span, Msg::new("expr.null_in_list"));
                continue;
            }
            self.enum_literal(expr, item);
            match (reference, ty) {
                (None | Some(Type::Null), _) => reference = ty,
                (Some(want), Some(found)) if unify(want, found).is_none() => {
                    let msg = with_type(Msg::new("expr.in_type"), "want", want);
                    self.error(item.span, with_type(msg, "found", found));
                }
                _ => {}
            }
        }
    }

    fn between(&mut self, expr: &Expr, low: &Expr, high: &Expr) {
        let mut reference = self.expr(expr);
        if let Some(ty) = reference.filter(|t| !t.is_orderable()) {
            self.error(
                expr.span,
                with_type(Msg::new("expr.between_orderable"), "found", ty),
            );
            reference = None;
        }
        for bound in [low, high] {
            let ty = self.expr(bound);
            self.enum_literal(expr, bound);
            match (reference, ty) {
                (Some(want), Some(found)) if unify(want, found).is_none() => {
                    let msg = with_type(Msg::new("expr.between_type"), "want", want);
                    self.error(bound.span, with_type(msg, "found", found));
                }
                _ => {}
            }
        }
    }

    fn call(&mut self, func: Func, args: &[Expr], span: Span) -> Option<Type> {
        let types: Vec<Option<Type>> = args.iter().map(|a| self.expr(a)).collect();
        let exact = match func {
            Func::Abs => Some(1),
            Func::Coalesce | Func::Least | Func::Greatest => None,
            Func::SecondsBetween
            | Func::MinutesBetween
            | Func::HoursBetween
            | Func::DaysBetween => Some(2),
        };
        let arity_ok = match exact {
            Some(n) => args.len() == n,
            None => !args.is_empty(),
        };
        if !arity_ok {
            let msg = match exact {
                Some(1) => Msg::new("expr.arity_one"),
                Some(n) => Msg::new("expr.arity").arg("n", n),
                None => Msg::new("expr.arity_at_least_one"),
            };
            self.error(span, msg.arg("func", func.name()).arg("found", args.len()));
        }
        match func {
            Func::Abs => {
                self.arguments_of_type(func, args, &types, Type::Num);
                Some(Type::Num)
            }
            Func::SecondsBetween
            | Func::MinutesBetween
            | Func::HoursBetween
            | Func::DaysBetween => {
                self.arguments_of_type(func, args, &types, Type::Ts);
                Some(Type::Num)
            }
            Func::Coalesce | Func::Least | Func::Greatest => {
                self.same_type_arguments(func, args, &types)
            }
        }
    }

    fn arguments_of_type(&mut self, func: Func, args: &[Expr], types: &[Option<Type>], want: Type) {
        for (i, (arg, ty)) in args.iter().zip(types).enumerate() {
            if let Some(ty) = *ty
                && unify(ty, want) != Some(want)
            {
                let msg = Msg::new("expr.argument_type")
                    .arg("n", i + 1)
                    .arg("func", func.name());
                let msg = with_type(with_type(msg, "want", want), "found", ty);
                self.error(arg.span, msg);
            }
        }
    }

    /// Checks `coalesce`, `least` and `greatest`, whose arguments share one type that is
    /// also the result type; `least` and `greatest` need it orderable.
    fn same_type_arguments(
        &mut self,
        func: Func,
        args: &[Expr],
        types: &[Option<Type>],
    ) -> Option<Type> {
        let mut reference = Some(Type::Null);
        for (arg, ty) in args.iter().zip(types) {
            let Some(ty) = *ty else {
                reference = None;
                continue;
            };
            if func != Func::Coalesce && !ty.is_orderable() {
                let msg = Msg::new("expr.func_orderable").arg("func", func.name());
                self.error(arg.span, with_type(msg, "found", ty));
                reference = None;
                continue;
            }
            match reference.map(|r| (r, unify(r, ty))) {
                Some((_, Some(t))) => reference = Some(t),
                Some((r, None)) => {
                    let msg = Msg::new("expr.arguments_type").arg("func", func.name());
                    let msg = with_type(with_type(msg, "want", r), "found", ty);
                    self.error(arg.span, msg);
                    reference = None;
                }
                None => {}
            }
        }
        reference
    }
}
