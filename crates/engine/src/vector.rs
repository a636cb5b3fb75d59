//! Column-at-a-time evaluation of core's expressions.
//!
//! Every expression an indicator of a record kind uses (filters, conditions, values,
//! service-level parts) is compiled once into one [`Program`]: a list of nodes in which
//! equal sub-expressions appear once, so `answered_at IS NOT NULL` shared by five
//! indicators is computed once per chunk of rows. A chunk is then evaluated node by node,
//! each node over every row of the chunk, with borrowed values ([`Cell`]): no allocation
//! per row, no look-up of fields by name per row, no recursion per row.
//!
//! The meaning of every node is core's reference evaluator (`yardstick_core::expr::eval`)
//! applied to one row: the functions below repeat its rules (SQL NULLs, three-valued
//! logic, division by zero gives NULL, NaN compares as NULL) on borrowed values, and the
//! engine's tests check that whole computations agree with the row-by-row reference.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;

use yardstick_core::expr::{BinOp, Expr, ExprKind, Func, UnOp, Value};

/// One value of one row, borrowed from a column or from the program's literals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cell<'a> {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Num(f64),
    /// A string.
    Str(&'a str),
    /// An instant, epoch milliseconds.
    Ts(i64),
}

impl<'a> Cell<'a> {
    /// The cell of a literal value.
    pub(crate) fn of(v: &'a Value) -> Cell<'a> {
        match v {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(*b),
            Value::Num(n) => Cell::Num(*n),
            Value::Str(s) => Cell::Str(s),
            Value::Ts(t) => Cell::Ts(*t),
        }
    }

    fn is_null(self) -> bool {
        matches!(self, Cell::Null)
    }

    /// Whether a filter keeps the row: only TRUE does.
    pub(crate) fn is_true(self) -> bool {
        matches!(self, Cell::Bool(true))
    }

    /// The number, if the cell is one.
    pub(crate) fn num(self) -> Option<f64> {
        match self {
            Cell::Num(n) => Some(n),
            _ => None,
        }
    }
}

/// The values of one node (or field) over the rows of a chunk.
#[derive(Debug, Clone)]
pub(crate) enum Column<'a> {
    /// The same value on every row (literals, absent fields, and nodes of those only).
    Same(Cell<'a>),
    /// One value per row.
    Rows(Vec<Cell<'a>>),
}

impl<'a> Column<'a> {
    /// The value on row `i`.
    #[inline]
    pub(crate) fn at(&self, i: usize) -> Cell<'a> {
        match self {
            Column::Same(c) => *c,
            Column::Rows(v) => v.get(i).copied().unwrap_or(Cell::Null),
        }
    }

    fn is_same(&self) -> bool {
        matches!(self, Column::Same(_))
    }
}

/// A compiled node: an operation on earlier nodes (by index) or a field slot.
#[derive(Debug, Clone)]
enum Node {
    Field(usize),
    Lit(Value),
    Neg(usize),
    Not(usize),
    Bin(BinOp, usize, usize),
    IsNull(usize, bool),
    InList(usize, Vec<usize>, bool),
    Between(usize, usize, usize, bool),
    Call(Func, Vec<usize>),
}

/// Every expression of a record kind's indicators as one list of shared nodes.
#[derive(Debug, Default)]
pub(crate) struct Program {
    nodes: Vec<Node>,
    keys: HashMap<String, usize>,
    fields: Vec<String>,
}

impl Program {
    /// Field names the program reads, by slot.
    pub(crate) fn fields(&self) -> &[String] {
        &self.fields
    }

    /// The slot of a field, adding it when new.
    pub(crate) fn field_slot(&mut self, name: &str) -> usize {
        if let Some(i) = self.fields.iter().position(|f| f == name) {
            return i;
        }
        self.fields.push(name.to_string());
        self.fields.len() - 1
    }

    fn intern(&mut self, key: String, node: Node) -> usize {
        if let Some(&i) = self.keys.get(&key) {
            return i;
        }
        self.nodes.push(node);
        let i = self.nodes.len() - 1;
        self.keys.insert(key, i);
        i
    }

    /// Adds an expression and returns the node computing it. Parameters left in a tree
    /// evaluate to NULL, as in the reference evaluator.
    pub(crate) fn add(&mut self, e: &Expr) -> usize {
        match &e.kind {
            ExprKind::Lit(v) => self.intern(format!("lit {v:?}"), Node::Lit(v.clone())),
            ExprKind::Param(_) => self.intern("lit Null".into(), Node::Lit(Value::Null)),
            ExprKind::Field(name) => {
                let slot = self.field_slot(name);
                self.intern(format!("field {slot}"), Node::Field(slot))
            }
            ExprKind::Unary { op, expr } => {
                let a = self.add(expr);
                match op {
                    UnOp::Neg => self.intern(format!("neg {a}"), Node::Neg(a)),
                    UnOp::Not => self.intern(format!("not {a}"), Node::Not(a)),
                }
            }
            ExprKind::Binary { op, left, right } => {
                let (l, r) = (self.add(left), self.add(right));
                self.intern(format!("bin {op:?} {l} {r}"), Node::Bin(*op, l, r))
            }
            ExprKind::IsNull { expr, negated } => {
                let a = self.add(expr);
                self.intern(format!("isnull {a} {negated}"), Node::IsNull(a, *negated))
            }
            ExprKind::InList {
                expr,
                list,
                negated,
            } => {
                let a = self.add(expr);
                let items: Vec<usize> = list.iter().map(|x| self.add(x)).collect();
                self.intern(
                    format!("in {a} {items:?} {negated}"),
                    Node::InList(a, items, *negated),
                )
            }
            ExprKind::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let (a, lo, hi) = (self.add(expr), self.add(low), self.add(high));
                self.intern(
                    format!("between {a} {lo} {hi} {negated}"),
                    Node::Between(a, lo, hi, *negated),
                )
            }
            ExprKind::Call { func, args } => {
                let a: Vec<usize> = args.iter().map(|x| self.add(x)).collect();
                self.intern(format!("call {func:?} {a:?}"), Node::Call(*func, a))
            }
        }
    }

    /// Evaluates every node over a chunk of `n` rows whose field columns are `fields`
    /// (by slot). Returns one column per node, by node index.
    pub(crate) fn run<'r, 'a>(
        &'a self,
        n: usize,
        fields: &'r [Column<'a>],
    ) -> Vec<Cow<'r, Column<'a>>> {
        let mut out: Vec<Cow<'r, Column<'a>>> = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let col = match node {
                Node::Field(slot) => {
                    out.push(match fields.get(*slot) {
                        Some(c) => Cow::Borrowed(c),
                        None => Cow::Owned(Column::Same(Cell::Null)),
                    });
                    continue;
                }
                Node::Lit(v) => Column::Same(Cell::of(v)),
                Node::Neg(a) => map1(n, &out[*a], |x| match x {
                    Cell::Num(v) => Cell::Num(-v),
                    _ => Cell::Null,
                }),
                Node::Not(a) => map1(n, &out[*a], not3),
                Node::Bin(op, l, r) => binary(n, *op, &out[*l], &out[*r]),
                Node::IsNull(a, negated) => {
                    let negated = *negated;
                    map1(n, &out[*a], move |x| Cell::Bool(x.is_null() != negated))
                }
                Node::InList(a, items, negated) => {
                    let cols: Vec<&Column<'a>> = items.iter().map(|i| &*out[*i]).collect();
                    in_list(n, &out[*a], &cols, *negated)
                }
                Node::Between(a, lo, hi, negated) => {
                    let negated = *negated;
                    map3(n, &out[*a], &out[*lo], &out[*hi], move |v, lo, hi| {
                        let within = and3(compare3(BinOp::Ge, v, lo), compare3(BinOp::Le, v, hi));
                        if negated { not3(within) } else { within }
                    })
                }
                Node::Call(func, args) => {
                    let cols: Vec<&Column<'a>> = args.iter().map(|i| &*out[*i]).collect();
                    call(n, *func, &cols)
                }
            };
            out.push(Cow::Owned(col));
        }
        out
    }
}

fn map1<'a>(n: usize, a: &Column<'a>, f: impl Fn(Cell<'a>) -> Cell<'a>) -> Column<'a> {
    match a {
        Column::Same(x) => Column::Same(f(*x)),
        Column::Rows(v) => Column::Rows(v.iter().take(n).map(|x| f(*x)).collect()),
    }
}

fn map2<'a>(
    n: usize,
    a: &Column<'a>,
    b: &Column<'a>,
    f: impl Fn(Cell<'a>, Cell<'a>) -> Cell<'a>,
) -> Column<'a> {
    // Straight loops over the slices for the usual shapes (a column against a literal,
    // two columns); `at` (NULL past the end) only when a column is shorter than `n`.
    match (a, b) {
        (Column::Same(x), Column::Same(y)) => Column::Same(f(*x, *y)),
        (Column::Rows(x), Column::Same(y)) if x.len() >= n => {
            Column::Rows(x[..n].iter().map(|v| f(*v, *y)).collect())
        }
        (Column::Same(x), Column::Rows(y)) if y.len() >= n => {
            Column::Rows(y[..n].iter().map(|v| f(*x, *v)).collect())
        }
        (Column::Rows(x), Column::Rows(y)) if x.len() >= n && y.len() >= n => {
            Column::Rows(x[..n].iter().zip(&y[..n]).map(|(u, v)| f(*u, *v)).collect())
        }
        _ => Column::Rows((0..n).map(|i| f(a.at(i), b.at(i))).collect()),
    }
}

fn map3<'a>(
    n: usize,
    a: &Column<'a>,
    b: &Column<'a>,
    c: &Column<'a>,
    f: impl Fn(Cell<'a>, Cell<'a>, Cell<'a>) -> Cell<'a>,
) -> Column<'a> {
    if a.is_same() && b.is_same() && c.is_same() {
        return Column::Same(f(a.at(0), b.at(0), c.at(0)));
    }
    Column::Rows((0..n).map(|i| f(a.at(i), b.at(i), c.at(i))).collect())
}

/// Applies `f` to the cells of every argument on each row (`args` reused per row).
fn map_n<'a>(n: usize, cols: &[&Column<'a>], f: impl Fn(&[Cell<'a>]) -> Cell<'a>) -> Column<'a> {
    let mut args: Vec<Cell<'a>> = Vec::with_capacity(cols.len());
    if cols.iter().all(|c| c.is_same()) {
        args.extend(cols.iter().map(|c| c.at(0)));
        return Column::Same(f(&args));
    }
    Column::Rows(
        (0..n)
            .map(|i| {
                args.clear();
                args.extend(cols.iter().map(|c| c.at(i)));
                f(&args)
            })
            .collect(),
    )
}

fn binary<'a>(n: usize, op: BinOp, l: &Column<'a>, r: &Column<'a>) -> Column<'a> {
    match op {
        BinOp::And => map2(n, l, r, and3),
        BinOp::Or => map2(n, l, r, or3),
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
            map2(n, l, r, move |a, b| arithmetic(op, a, b))
        }
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            map2(n, l, r, move |a, b| compare3(op, a, b))
        }
    }
}

/// Three-valued NOT: NOT NULL is NULL.
fn not3(v: Cell<'_>) -> Cell<'_> {
    match v {
        Cell::Bool(b) => Cell::Bool(!b),
        _ => Cell::Null,
    }
}

/// Three-valued AND: FALSE wins over NULL, NULL over TRUE.
fn and3<'a>(l: Cell<'a>, r: Cell<'a>) -> Cell<'a> {
    match (l, r) {
        (Cell::Bool(false), _) | (_, Cell::Bool(false)) => Cell::Bool(false),
        (Cell::Bool(true), Cell::Bool(true)) => Cell::Bool(true),
        _ => Cell::Null,
    }
}

/// Three-valued OR: TRUE wins over NULL, NULL over FALSE.
fn or3<'a>(l: Cell<'a>, r: Cell<'a>) -> Cell<'a> {
    match (l, r) {
        (Cell::Bool(true), _) | (_, Cell::Bool(true)) => Cell::Bool(true),
        (Cell::Bool(false), Cell::Bool(false)) => Cell::Bool(false),
        _ => Cell::Null,
    }
}

fn arithmetic<'a>(op: BinOp, l: Cell<'a>, r: Cell<'a>) -> Cell<'a> {
    let (Cell::Num(a), Cell::Num(b)) = (l, r) else {
        return Cell::Null;
    };
    match op {
        BinOp::Add => Cell::Num(a + b),
        BinOp::Sub => Cell::Num(a - b),
        BinOp::Mul => Cell::Num(a * b),
        // Division by zero has no value (the reference evaluator's rule).
        BinOp::Div if b == 0.0 => Cell::Null,
        BinOp::Div => Cell::Num(a / b),
        _ => Cell::Null,
    }
}

/// Orders two non-NULL values of the same type; `None` for NULLs, mixed types and NaN.
fn order(l: Cell<'_>, r: Cell<'_>) -> Option<Ordering> {
    match (l, r) {
        (Cell::Num(a), Cell::Num(b)) => a.partial_cmp(&b),
        (Cell::Str(a), Cell::Str(b)) => Some(a.cmp(b)),
        (Cell::Ts(a), Cell::Ts(b)) => Some(a.cmp(&b)),
        (Cell::Bool(a), Cell::Bool(b)) => Some(a.cmp(&b)),
        _ => None,
    }
}

fn compare3<'a>(op: BinOp, l: Cell<'a>, r: Cell<'a>) -> Cell<'a> {
    // Text equality needs no ordering: lengths first, then bytes.
    if let (Cell::Str(a), Cell::Str(b), BinOp::Eq | BinOp::Ne) = (l, r, op) {
        return Cell::Bool((a == b) == matches!(op, BinOp::Eq));
    }
    let Some(ord) = order(l, r) else {
        return Cell::Null;
    };
    let holds = match op {
        BinOp::Eq => ord.is_eq(),
        BinOp::Ne => ord.is_ne(),
        BinOp::Lt => ord.is_lt(),
        BinOp::Le => ord.is_le(),
        BinOp::Gt => ord.is_gt(),
        BinOp::Ge => ord.is_ge(),
        _ => return Cell::Null,
    };
    Cell::Bool(holds)
}

/// SQL `IN`: TRUE on a match, else NULL if the value or any candidate is NULL, else FALSE.
fn in_list<'a>(n: usize, v: &Column<'a>, items: &[&Column<'a>], negated: bool) -> Column<'a> {
    let decide = |v: Cell<'a>, list: &[Cell<'a>]| {
        let mut saw_null = false;
        let found = if v.is_null() {
            Cell::Null
        } else if list.iter().any(|c| {
            saw_null |= c.is_null();
            !c.is_null() && order(v, *c).is_some_and(Ordering::is_eq)
        }) {
            Cell::Bool(true)
        } else if saw_null {
            Cell::Null
        } else {
            Cell::Bool(false)
        };
        if negated { not3(found) } else { found }
    };
    // The usual case: a list of literals, the same on every row.
    if let Some(list) = items
        .iter()
        .map(|c| match c {
            Column::Same(x) => Some(*x),
            Column::Rows(_) => None,
        })
        .collect::<Option<Vec<Cell<'a>>>>()
    {
        return map1(n, v, |x| decide(x, &list));
    }
    let mut cols: Vec<&Column<'a>> = vec![v];
    cols.extend_from_slice(items);
    map_n(n, &cols, |cells| match cells.split_first() {
        Some((v, list)) => decide(*v, list),
        None => Cell::Null,
    })
}

fn call<'a>(n: usize, func: Func, args: &[&Column<'a>]) -> Column<'a> {
    if let Some(unit_s) = func.seconds_per_unit() {
        let (Some(a), Some(b)) = (args.first(), args.get(1)) else {
            return Column::Same(Cell::Null);
        };
        return map2(n, a, b, move |from, to| match (from, to) {
            (Cell::Ts(from), Cell::Ts(to)) => {
                // The exact difference, rounded once to f64 as the reference evaluator
                // does (it subtracts in i128); i128 only when i64 would overflow, since
                // converting an i128 is a slow library call.
                #[allow(
                    clippy::cast_precision_loss,
                    reason = "the reference evaluator converts the same way"
                )]
                let elapsed_ms = match to.checked_sub(from) {
                    Some(d) => d as f64,
                    None => (i128::from(to) - i128::from(from)) as f64,
                };
                Cell::Num(elapsed_ms / 1_000.0 / unit_s)
            }
            _ => Cell::Null,
        });
    }
    match func {
        Func::Coalesce => coalesce(n, args),
        Func::Abs => match args.first() {
            Some(a) => map1(n, a, |x| match x {
                Cell::Num(v) => Cell::Num(v.abs()),
                _ => Cell::Null,
            }),
            None => Column::Same(Cell::Null),
        },
        Func::Least => fold_rows(n, args, |best, v| pick(best, v, Ordering::Less)),
        Func::Greatest => fold_rows(n, args, |best, v| pick(best, v, Ordering::Greater)),
        Func::SecondsBetween | Func::MinutesBetween | Func::HoursBetween | Func::DaysBetween => {
            Column::Same(Cell::Null)
        }
    }
}

/// The first non-NULL value of each row, NULL when all are NULL; computed a column at a
/// time: each argument fills the rows still NULL.
fn coalesce<'a>(n: usize, args: &[&Column<'a>]) -> Column<'a> {
    let mut acc = Column::Same(Cell::Null);
    for c in args {
        acc = match acc {
            Column::Same(Cell::Null) => (*c).clone(),
            // A value on every row: the later arguments are never reached.
            same @ Column::Same(_) => return same,
            Column::Rows(mut rows) => {
                rows.resize(n, Cell::Null);
                for (i, o) in rows.iter_mut().enumerate() {
                    if o.is_null() {
                        *o = c.at(i);
                    }
                }
                Column::Rows(rows)
            }
        };
    }
    acc
}

/// Folds the arguments of each row from the first, a column at a time: `f(so far, next)`.
fn fold_rows<'a>(
    n: usize,
    args: &[&Column<'a>],
    f: impl Fn(Cell<'a>, Cell<'a>) -> Cell<'a>,
) -> Column<'a> {
    let Some((first, rest)) = args.split_first() else {
        return Column::Same(Cell::Null);
    };
    let mut acc = (*first).clone();
    for c in rest {
        acc = match (acc, c) {
            (Column::Same(a), Column::Same(b)) => Column::Same(f(a, *b)),
            (Column::Same(a), c) => Column::Rows((0..n).map(|i| f(a, c.at(i))).collect()),
            (Column::Rows(mut rows), c) => {
                rows.resize(n, Cell::Null);
                for (i, o) in rows.iter_mut().enumerate() {
                    *o = f(*o, c.at(i));
                }
                Column::Rows(rows)
            }
        };
    }
    acc
}

/// The least (`want = Less`) or greatest non-NULL value of `best` (so far) and `v`;
/// NULL when both are NULL.
fn pick<'a>(best: Cell<'a>, v: Cell<'a>, want: Ordering) -> Cell<'a> {
    if !v.is_null() && (best.is_null() || order(v, best) == Some(want)) {
        v
    } else {
        best
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use yardstick_core::expr::{self, parse};

    use super::*;

    /// Rows with every combination the tests need: numbers with NULL and zero, strings,
    /// instants, booleans.
    fn rows() -> Vec<BTreeMap<String, Value>> {
        let mk = |a: Value, b: Value, s: Value, t0: Value, t1: Value, f: Value| {
            BTreeMap::from([
                ("a".to_string(), a),
                ("b".to_string(), b),
                ("s".to_string(), s),
                ("t0".to_string(), t0),
                ("t1".to_string(), t1),
                ("f".to_string(), f),
            ])
        };
        use Value::{Bool, Null, Num, Str, Ts};
        vec![
            mk(
                Num(1.0),
                Num(2.0),
                Str("x".into()),
                Ts(0),
                Ts(90_000),
                Bool(true),
            ),
            mk(
                Num(3.0),
                Num(0.0),
                Str("y".into()),
                Ts(1_000),
                Null,
                Bool(false),
            ),
            mk(Null, Num(-4.5), Null, Null, Ts(5), Null),
            mk(
                Num(-2.0),
                Null,
                Str("x".into()),
                Ts(7_200_000),
                Ts(0),
                Bool(true),
            ),
            mk(Num(0.0), Num(0.0), Str("".into()), Ts(-5), Ts(-5), Null),
        ]
        .into_iter()
        // Instants at the ends of the range, so that differences with t0 overflow i64.
        .zip([
            Ts(i64::MIN),
            Ts(i64::MAX),
            Null,
            Ts(i64::MIN + 3),
            Ts(i64::MAX),
        ])
        .map(|(mut row, big)| {
            row.insert("big".to_string(), big);
            row
        })
        .collect()
    }

    fn columns<'a>(p: &Program, rows: &'a [BTreeMap<String, Value>]) -> Vec<Column<'a>> {
        p.fields()
            .iter()
            .map(|f| {
                Column::Rows(
                    rows.iter()
                        .map(|r| r.get(f).map_or(Cell::Null, Cell::of))
                        .collect(),
                )
            })
            .collect()
    }

    fn owned(c: Cell<'_>) -> Value {
        match c {
            Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Bool(b),
            Cell::Num(n) => Value::Num(n),
            Cell::Str(s) => Value::Str(s.to_string()),
            Cell::Ts(t) => Value::Ts(t),
        }
    }

    /// Each expression, evaluated over the rows as one chunk, gives on every row exactly
    /// what the reference evaluator gives on that row alone.
    #[test]
    fn every_node_kind_agrees_with_the_reference_evaluator() {
        let sources = [
            "a + b",
            "a - b * 2",
            "a / b",
            "-a",
            "a < b",
            "a >= b",
            "a = 0 OR b = 0",
            "a > 0 AND b > 0",
            "NOT f",
            "f AND a > 0",
            "f OR a > 0",
            "s = 'x'",
            "s <> 'x'",
            "s IN ('x', 'z')",
            "s NOT IN ('x', 'z')",
            "a IN (1, 3)",
            "s IN ('x', NULL)",
            "s NOT IN ('y', NULL)",
            "s = s",
            "s <> 'y'",
            "'x' = s",
            "a BETWEEN 0 AND 2",
            "a NOT BETWEEN 0 AND 2",
            "a IS NULL",
            "s IS NOT NULL",
            "seconds_between(t0, t1)",
            "minutes_between(t0, t1)",
            "hours_between(t0, t1)",
            "days_between(t0, t1)",
            "t0 < t1",
            "coalesce(a, b, 7)",
            "abs(b)",
            "least(a, b)",
            "greatest(a, b, 1)",
            "coalesce(t1, t0) > t0",
            "seconds_between(big, t0)",
            "seconds_between(t0, big)",
        ];
        let rows = rows();
        let mut p = Program::default();
        let mut exprs = Vec::new();
        for src in sources {
            let e = parse(src).unwrap_or_else(|e| panic!("{src}: {e:?}"));
            exprs.push((src, p.add(&e), e));
        }
        let fields = columns(&p, &rows);
        let out = p.run(rows.len(), &fields);
        for (src, node, e) in &exprs {
            for (i, row) in rows.iter().enumerate() {
                let want = expr::eval(e, row);
                let got = owned(out[*node].at(i));
                assert_eq!(
                    format!("{got:?}"),
                    format!("{want:?}"),
                    "`{src}` on row {i}"
                );
            }
        }
    }

    #[test]
    fn equal_sub_expressions_are_computed_once() {
        let mut p = Program::default();
        let a = parse("answered_at IS NOT NULL AND wait < 20").expect("parses");
        let b = parse("answered_at IS NOT NULL").expect("parses");
        let root = p.add(&a);
        let shared = p.add(&b);
        // Nodes: field answered_at, IS NOT NULL, field wait, literal 20, <, AND = 6; the
        // second expression adds none and resolves to the IS NOT NULL node.
        assert_eq!(p.nodes.len(), 6);
        assert!(shared < root);
        assert_eq!(p.fields(), ["answered_at", "wait"]);
    }
}
