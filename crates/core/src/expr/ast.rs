//! The expression syntax tree, with the values and types it computes.
//!
//! The tree is public so that query engines can translate it: the engine compiles it into
//! column-at-a-time programs, and `yardstick-query` into DataFusion expressions; the
//! reference evaluator in `eval.rs` fixes what each node means.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A byte range `start..end` in the expression source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// Makes a span from byte offsets.
    #[must_use]
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both `self` and `other`.
    #[must_use]
    pub fn cover(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One node of an expression with the source range it was parsed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Where it is in the source; `Span::default()` for nodes built by hand.
    pub span: Span,
}

/// The kinds of expression node.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A constant.
    Lit(Value),
    /// A field of the record being evaluated.
    Field(String),
    /// A guideline parameter (`$name`); `compile` replaces these with literals.
    Param(String),
    /// `-x` or `NOT x`.
    Unary {
        /// The operator.
        op: UnOp,
        /// The operand.
        expr: Box<Expr>,
    },
    /// `left op right`.
    Binary {
        /// The operator.
        op: BinOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `expr IS NULL`, or `expr IS NOT NULL` when negated.
    IsNull {
        /// The tested expression.
        expr: Box<Expr>,
        /// `IS NOT NULL`.
        negated: bool,
    },
    /// `expr IN (list)`, or `expr NOT IN (list)` when negated.
    InList {
        /// The tested expression.
        expr: Box<Expr>,
        /// The candidates: literals (or parameters before `compile`).
        list: Vec<Expr>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `expr BETWEEN low AND high` (both ends included), or `NOT BETWEEN` when negated.
    Between {
        /// The tested expression.
        expr: Box<Expr>,
        /// Lower bound, included.
        low: Box<Expr>,
        /// Upper bound, included.
        high: Box<Expr>,
        /// `NOT BETWEEN`.
        negated: bool,
    },
    /// A call of a whitelisted function.
    Call {
        /// The function.
        func: Func,
        /// The arguments, in order.
        args: Vec<Expr>,
    },
}

/// Prefix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// Arithmetic negation `-x`.
    Neg,
    /// Logical negation `NOT x`.
    Not,
}

/// Infix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `OR`
    Or,
    /// `AND`
    And,
    /// `=`
    Eq,
    /// `<>` (also written `!=`)
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl BinOp {
    /// Whether an ordering of two values satisfies this comparison; `None` for an
    /// operator that is not a comparison.
    #[must_use]
    pub fn holds(self, ord: std::cmp::Ordering) -> Option<bool> {
        Some(match self {
            BinOp::Eq => ord.is_eq(),
            BinOp::Ne => ord.is_ne(),
            BinOp::Lt => ord.is_lt(),
            BinOp::Le => ord.is_le(),
            BinOp::Gt => ord.is_gt(),
            BinOp::Ge => ord.is_ge(),
            _ => return None,
        })
    }

    /// The canonical spelling.
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "OR",
            BinOp::And => "AND",
            BinOp::Eq => "=",
            BinOp::Ne => "<>",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    /// Whether this is one of `= <> < <= > >=`.
    #[must_use]
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }

    /// Whether this is one of `+ - * /`.
    #[must_use]
    pub fn is_arithmetic(self) -> bool {
        matches!(self, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div)
    }
}

/// The closed whitelist of functions an expression may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Func {
    /// `seconds_between(a, b)`: seconds from timestamp `a` to timestamp `b` (b − a).
    SecondsBetween,
    /// `minutes_between(a, b)`: fractional minutes from `a` to `b`.
    MinutesBetween,
    /// `hours_between(a, b)`: fractional hours from `a` to `b`.
    HoursBetween,
    /// `days_between(a, b)`: fractional 24-hour days from `a` to `b`.
    DaysBetween,
    /// `coalesce(x, ...)`: the first argument that is not NULL.
    Coalesce,
    /// `abs(n)`: absolute value.
    Abs,
    /// `least(x, ...)`: the smallest argument that is not NULL.
    Least,
    /// `greatest(x, ...)`: the largest argument that is not NULL.
    Greatest,
}

impl Func {
    /// Every function, in the order error messages list them.
    pub const ALL: [Func; 8] = [
        Func::SecondsBetween,
        Func::MinutesBetween,
        Func::HoursBetween,
        Func::DaysBetween,
        Func::Coalesce,
        Func::Abs,
        Func::Least,
        Func::Greatest,
    ];

    /// The canonical (lower-case) name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Func::SecondsBetween => "seconds_between",
            Func::MinutesBetween => "minutes_between",
            Func::HoursBetween => "hours_between",
            Func::DaysBetween => "days_between",
            Func::Coalesce => "coalesce",
            Func::Abs => "abs",
            Func::Least => "least",
            Func::Greatest => "greatest",
        }
    }

    /// Looks a function up by name, ignoring ASCII case as SQL does.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// Comma-separated list of the function names, for error messages.
    #[must_use]
    pub fn list() -> String {
        Func::ALL
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// For the elapsed-time functions, the number of seconds in one result unit.
    #[must_use]
    pub fn seconds_per_unit(self) -> Option<f64> {
        match self {
            Func::SecondsBetween => Some(1.0),
            Func::MinutesBetween => Some(60.0),
            Func::HoursBetween => Some(3_600.0),
            Func::DaysBetween => Some(86_400.0),
            Func::Coalesce | Func::Abs | Func::Least | Func::Greatest => None,
        }
    }
}

/// A value an expression computes or a record field holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL: absent or unknown.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number; integer and real fields are both numbers.
    Num(f64),
    /// A string (also the value of an enum field).
    Str(String),
    /// An instant as epoch milliseconds, UTC.
    Ts(i64),
}

impl Value {
    /// The type of this value; NULL has its own type, which fits anywhere.
    #[must_use]
    pub fn ty(&self) -> Type {
        match self {
            Value::Null => Type::Null,
            Value::Bool(_) => Type::Bool,
            Value::Num(_) => Type::Num,
            Value::Str(_) => Type::Str,
            Value::Ts(_) => Type::Ts,
        }
    }

    /// Whether this is NULL.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Num(n)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}

/// The static type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    /// Boolean.
    Bool,
    /// Number (integer and real fields alike).
    Num,
    /// String, including enum fields.
    Str,
    /// Timestamp.
    Ts,
    /// The type of the literal NULL; it fits wherever any other type is expected. As the
    /// `want` of `check` it means "any type".
    Null,
}

impl Type {
    /// The name used in error messages.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Type::Bool => "boolean",
            Type::Num => "number",
            Type::Str => "string",
            Type::Ts => "timestamp",
            Type::Null => "NULL",
        }
    }

    /// Whether values of this type can be ordered with `<` and friends.
    #[must_use]
    pub fn is_orderable(self) -> bool {
        matches!(self, Type::Num | Type::Str | Type::Ts | Type::Null)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Expr {
    /// Makes a node.
    #[must_use]
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }

    /// The direct sub-expressions, left to right.
    #[must_use]
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Lit(_) | ExprKind::Field(_) | ExprKind::Param(_) => Vec::new(),
            ExprKind::Unary { expr, .. } | ExprKind::IsNull { expr, .. } => vec![expr],
            ExprKind::Binary { left, right, .. } => vec![left, right],
            ExprKind::InList { expr, list, .. } => {
                std::iter::once(&**expr).chain(list.iter()).collect()
            }
            ExprKind::Between {
                expr, low, high, ..
            } => vec![expr, low, high],
            ExprKind::Call { args, .. } => args.iter().collect(),
        }
    }

    fn children_mut(&mut self) -> Vec<&mut Expr> {
        match &mut self.kind {
            ExprKind::Lit(_) | ExprKind::Field(_) | ExprKind::Param(_) => Vec::new(),
            ExprKind::Unary { expr, .. } | ExprKind::IsNull { expr, .. } => vec![expr],
            ExprKind::Binary { left, right, .. } => vec![left, right],
            ExprKind::InList { expr, list, .. } => std::iter::once(&mut **expr)
                .chain(list.iter_mut())
                .collect(),
            ExprKind::Between {
                expr, low, high, ..
            } => vec![expr, low, high],
            ExprKind::Call { args, .. } => args.iter_mut().collect(),
        }
    }

    /// The same tree with every span set to `Span::default()`, for comparing shapes.
    #[must_use]
    pub fn without_spans(&self) -> Expr {
        let mut copy = self.clone();
        copy.clear_spans();
        copy
    }

    /// Whether two trees are equal apart from their spans.
    #[must_use]
    pub fn eq_ignoring_spans(&self, other: &Expr) -> bool {
        self.without_spans() == other.without_spans()
    }

    /// The names of the record fields the expression reads, so the engine reads only
    /// those columns.
    #[must_use]
    pub fn field_names(&self) -> BTreeSet<&str> {
        let mut names = BTreeSet::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            if let ExprKind::Field(name) = &e.kind {
                names.insert(name.as_str());
            }
            stack.extend(e.children());
        }
        names
    }

    fn clear_spans(&mut self) {
        self.span = Span::default();
        for child in self.children_mut() {
            child.clear_spans();
        }
    }

    /// Replaces every parameter that `params` defines by a literal of its value; the
    /// literal keeps the parameter's span so later errors still point at the source.
    pub(crate) fn substitute_params(&mut self, params: &BTreeMap<String, Value>) {
        if let ExprKind::Param(name) = &self.kind {
            if let Some(value) = params.get(name) {
                self.kind = ExprKind::Lit(value.clone());
            }
            return;
        }
        for child in self.children_mut() {
            child.substitute_params(params);
        }
    }
}
