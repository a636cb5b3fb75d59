//! The indicator expression language: parser, type checker against record fields, and a reference evaluator.
//!
//! Guideline authors write filters and measures in a small SQL-like language over the
//! fields of one record kind:
//!
//! ```text
//! outcome IN ('served', 'transferred') AND called_at IS NOT NULL
//! seconds_between(issued_at, called_at) / 60
//! seconds_between(queue_entry_at, abandoned_at) >= $short_abandon_s
//! ```
//!
//! Precedence, loosest first: `OR`; `AND`; `NOT`; comparison (`= != <> < <= > >=`,
//! `IS [NOT] NULL`, `[NOT] IN (literal, ...)`, `[NOT] BETWEEN a AND b`, not chainable);
//! `+ -`; `* /`; unary `-`; primary (number, `'string'` with `''` for a quote, `TRUE`,
//! `FALSE`, `NULL`, `TIMESTAMP '2024-03-01T08:00:00+08:00'`, field, `$param`,
//! `function(args)`, parentheses). Keywords and function names ignore case; field and
//! parameter names do not. Functions come from the closed list in [`Func`].
//!
//! [`parse`] builds the tree, [`check`] types it against a [`RecordKind`] and the
//! guideline parameters, and [`compile`] does both and replaces parameters by their
//! values, giving the tree the engine compiles (and `yardstick-query` translates into
//! DataFusion). [`eval`] is the
//! reference meaning of that tree on one row, with SQL's NULL semantics, and the
//! `Display` of [`Expr`] prints a canonical form that parses back to the same tree.

mod ast;
mod check;
mod display;
mod error;
mod eval;
mod lexer;
mod parser;

use std::collections::BTreeMap;

pub use ast::{BinOp, Expr, ExprKind, Func, Span, Type, UnOp, Value};
pub use check::check;
pub use error::ExprError;
pub use eval::{Row, eval, is_true};
pub use parser::parse;

use crate::records::RecordKind;

/// Parses and checks `src`, then replaces every `$param` by a literal of its value, so
/// the returned tree has no `Param` nodes.
///
/// # Errors
/// The parse errors, or else the check errors (see [`parse`] and [`check`]).
pub fn compile(
    src: &str,
    kind: RecordKind,
    params: &BTreeMap<String, Value>,
    want: Type,
) -> Result<Expr, Vec<ExprError>> {
    let mut expr = parse(src)?;
    check(&expr, kind, params, want)?;
    expr.substitute_params(params);
    Ok(expr)
}
