//! Column-at-a-time evaluation of core's expressions.
//!
//! Every expression an indicator of a record kind uses (filters, conditions, values,
//! service-level parts) is compiled once into one [`Program`]: a list of nodes in which
//! equal sub-expressions appear once, so `answered_at IS NOT NULL` shared by five
//! indicators is computed once per chunk of rows. A chunk is then evaluated node by node,
//! each node over every row of the chunk, with no allocation per row, no look-up of fields
//! by name per row and no recursion per row.
//!
//! Columns are typed where the type is known ([`Column`]): truth values as bytes, numbers
//! and instants as plain vectors with a validity vector, and text read from a Parquet
//! dictionary as codes into that dictionary, so that `channel = 'voice'` is decided once
//! per distinct value and then looked up per row. Predicates always give truth values and
//! arithmetic always gives numbers, so those nodes build typed columns whatever their
//! inputs; any other shape falls back to borrowed values per row ([`Cell`]).
//!
//! The meaning of every node is core's reference evaluator (`yardstick_core::expr::eval`)
//! applied to one row: the functions below repeat its rules (SQL NULLs, three-valued
//! logic, division by zero gives NULL, NaN compares as NULL) on borrowed values, and the
//! engine's tests check that every node, on every column shape, agrees with the row-by-row
//! reference.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;

use arrow_array::{Array, StringArray};
use yardstick_core::expr::{BinOp, Expr, ExprKind, Func, UnOp, Value};

/// A truth value of a [`Column::Bools`]: FALSE.
pub(crate) const FALSE: u8 = 0;
/// TRUE.
pub(crate) const TRUE: u8 = 1;
/// NULL (unknown).
pub(crate) const UNKNOWN: u8 = 2;

/// The code of a NULL in a [`Column::Dict`].
pub(crate) const NULL_CODE: u32 = u32::MAX;

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

    /// The truth value of a predicate's result: anything but a boolean is unknown.
    fn truth(self) -> u8 {
        match self {
            Cell::Bool(false) => FALSE,
            Cell::Bool(true) => TRUE,
            _ => UNKNOWN,
        }
    }

    /// The cell of a truth value.
    fn of_truth(t: u8) -> Cell<'a> {
        match t {
            FALSE => Cell::Bool(false),
            TRUE => Cell::Bool(true),
            _ => Cell::Null,
        }
    }
}

/// The values of one node (or field) over the rows of a chunk.
///
/// Every typed vector has one entry per row of the chunk; a row past the end of any
/// column reads as NULL.
#[derive(Debug, Clone)]
pub(crate) enum Column<'a> {
    /// The same value on every row (literals, absent fields, and nodes of those only).
    Same(Cell<'a>),
    /// One value per row, of any type (the general shape).
    Rows(Vec<Cell<'a>>),
    /// Truth values: [`FALSE`], [`TRUE`] or [`UNKNOWN`] (NULL).
    Bools(Vec<u8>),
    /// Numbers; a row whose validity is `false` is NULL.
    Nums(Vec<f64>, Vec<bool>),
    /// Instants (epoch milliseconds); a row whose validity is `false` is NULL.
    Times(Vec<i64>, Vec<bool>),
    /// Text as codes into a dictionary; [`NULL_CODE`] (or any code outside the
    /// dictionary) is NULL.
    Dict(Vec<u32>, &'a StringArray),
}

impl<'a> Column<'a> {
    /// The value on row `i`.
    #[inline]
    pub(crate) fn at(&self, i: usize) -> Cell<'a> {
        match self {
            Column::Same(c) => *c,
            Column::Rows(v) => v.get(i).copied().unwrap_or(Cell::Null),
            Column::Bools(v) => v.get(i).map_or(Cell::Null, |t| Cell::of_truth(*t)),
            Column::Nums(v, ok) => match (v.get(i), ok.get(i)) {
                (Some(x), Some(true)) => Cell::Num(*x),
                _ => Cell::Null,
            },
            Column::Times(v, ok) => match (v.get(i), ok.get(i)) {
                (Some(x), Some(true)) => Cell::Ts(*x),
                _ => Cell::Null,
            },
            Column::Dict(codes, values) => {
                codes.get(i).map_or(Cell::Null, |c| dict_cell(values, *c))
            }
        }
    }

    fn is_same(&self) -> bool {
        matches!(self, Column::Same(_))
    }

    /// The truth values of the first `n` rows, when the column holds them as such.
    pub(crate) fn truths(&self, n: usize) -> Option<&[u8]> {
        match self {
            Column::Bools(v) => v.get(..n),
            _ => None,
        }
    }
}

/// The cell of a dictionary code: NULL for [`NULL_CODE`], for a code outside the
/// dictionary and for a NULL entry.
#[inline]
pub(crate) fn dict_cell<'a>(values: &'a StringArray, code: u32) -> Cell<'a> {
    let k = code as usize;
    if k < values.len() && !values.is_null(k) {
        Cell::Str(values.value(k))
    } else {
        Cell::Null
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

    /// Per field slot: whether the program only ever tests the field for NULL (`IS
    /// [NOT] NULL`), given `roots`, the nodes used from outside the program (filters and
    /// measure parts). Such a field's values never matter, only whether it has one.
    pub(crate) fn null_tested_only(&self, roots: &[usize]) -> Vec<bool> {
        let mut only = vec![true; self.fields.len()];
        let used = |node: usize, only: &mut Vec<bool>| {
            if let Some(Node::Field(slot)) = self.nodes.get(node)
                && let Some(o) = only.get_mut(*slot)
            {
                *o = false;
            }
        };
        for node in &self.nodes {
            match node {
                Node::Field(_) | Node::Lit(_) | Node::IsNull(..) => {}
                Node::Neg(a) | Node::Not(a) => used(*a, &mut only),
                Node::Bin(_, l, r) => {
                    used(*l, &mut only);
                    used(*r, &mut only);
                }
                Node::InList(a, items, _) => {
                    used(*a, &mut only);
                    for i in items {
                        used(*i, &mut only);
                    }
                }
                Node::Between(a, lo, hi, _) => {
                    for i in [a, lo, hi] {
                        used(*i, &mut only);
                    }
                }
                Node::Call(_, args) => {
                    for i in args {
                        used(*i, &mut only);
                    }
                }
            }
        }
        for r in roots {
            used(*r, &mut only);
        }
        only
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
                Node::Neg(a) => numeric1(n, &out[*a], |x| -x),
                Node::Not(a) => test1(n, &out[*a], not3),
                Node::Bin(op, l, r) => binary(n, *op, &out[*l], &out[*r]),
                Node::IsNull(a, negated) => is_null(n, &out[*a], *negated),
                Node::InList(a, items, negated) => {
                    let cols: Vec<&Column<'a>> = items.iter().map(|i| &*out[*i]).collect();
                    in_list(n, &out[*a], &cols, *negated)
                }
                Node::Between(a, lo, hi, negated) => {
                    let negated = *negated;
                    let (a, lo, hi) = (&out[*a], &out[*lo], &out[*hi]);
                    let decide = |v, lo, hi| {
                        let within = and3(compare3(BinOp::Ge, v, lo), compare3(BinOp::Le, v, hi));
                        if negated { not3(within) } else { within }
                    };
                    if a.is_same() && lo.is_same() && hi.is_same() {
                        Column::Same(decide(a.at(0), lo.at(0), hi.at(0)))
                    } else {
                        truths_of(n, |i| decide(a.at(i), lo.at(i), hi.at(i)))
                    }
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

/// A truth-valued column from each row's result (anything but a boolean is NULL).
fn truths_of<'a>(n: usize, f: impl Fn(usize) -> Cell<'a>) -> Column<'a> {
    Column::Bools((0..n).map(|i| f(i).truth()).collect())
}

/// A numeric column from each row's result (anything but a number is NULL).
fn nums_of<'a>(n: usize, f: impl Fn(usize) -> Cell<'a>) -> Column<'a> {
    nums_by(n, |i| match f(i) {
        Cell::Num(x) => Some(x),
        _ => None,
    })
}

/// A predicate of one column (`f` gives a boolean or NULL per value): decided once per
/// distinct value for truth values and small dictionaries, else per row.
fn test1<'a>(n: usize, a: &Column<'a>, f: impl Fn(Cell<'a>) -> Cell<'a>) -> Column<'a> {
    match a {
        Column::Same(x) => Column::Same(f(*x)),
        Column::Bools(v) if v.len() >= n => {
            let table = [FALSE, TRUE, UNKNOWN].map(|t| f(Cell::of_truth(t)).truth());
            Column::Bools(
                v[..n]
                    .iter()
                    .map(|t| table[usize::from((*t).min(UNKNOWN))])
                    .collect(),
            )
        }
        // A dictionary no larger than the rows (or tiny): one decision per entry.
        Column::Dict(codes, values) if codes.len() >= n && values.len() <= n.max(64) => {
            let table: Vec<u8> = (0..values.len())
                .map(|k| f(dict_cell(values, u32::try_from(k).unwrap_or(NULL_CODE))).truth())
                .collect();
            let null = f(Cell::Null).truth();
            Column::Bools(
                codes[..n]
                    .iter()
                    .map(|c| table.get(*c as usize).copied().unwrap_or(null))
                    .collect(),
            )
        }
        _ => truths_of(n, |i| f(a.at(i))),
    }
}

/// A numeric function of one column (`f` on non-NULL numbers; anything else is NULL).
fn numeric1<'a>(n: usize, a: &Column<'a>, f: impl Fn(f64) -> f64) -> Column<'a> {
    match a {
        Column::Same(Cell::Num(x)) => Column::Same(Cell::Num(f(*x))),
        Column::Same(_) => Column::Same(Cell::Null),
        Column::Nums(v, ok) if v.len() >= n && ok.len() >= n => {
            Column::Nums(v[..n].iter().map(|x| f(*x)).collect(), ok[..n].to_vec())
        }
        _ => nums_of(n, |i| match a.at(i) {
            Cell::Num(x) => Cell::Num(f(x)),
            _ => Cell::Null,
        }),
    }
}

fn is_null<'a>(n: usize, a: &Column<'a>, negated: bool) -> Column<'a> {
    // Numbers and instants: straight from the validity (both vectors must cover n).
    let validity = match a {
        Column::Nums(v, ok) if v.len() >= n => ok.get(..n),
        Column::Times(v, ok) if v.len() >= n => ok.get(..n),
        _ => None,
    };
    match validity {
        Some(ok) => Column::Bools(ok.iter().map(|valid| u8::from(*valid == negated)).collect()),
        None => test1(n, a, |x| Cell::Bool(x.is_null() != negated)),
    }
}

fn binary<'a>(n: usize, op: BinOp, l: &Column<'a>, r: &Column<'a>) -> Column<'a> {
    match op {
        BinOp::And => logic(n, l, r, and3),
        BinOp::Or => logic(n, l, r, or3),
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => arithmetic_cols(n, op, l, r),
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            compare_cols(n, op, l, r)
        }
    }
}

/// AND or OR (`f`) of two columns: a 3 × 3 table on truth values.
fn logic<'a>(
    n: usize,
    l: &Column<'a>,
    r: &Column<'a>,
    f: fn(Cell<'a>, Cell<'a>) -> Cell<'a>,
) -> Column<'a> {
    match (l, r) {
        (Column::Same(x), Column::Same(y)) => Column::Same(f(*x, *y)),
        (Column::Bools(a), Column::Bools(b)) if a.len() >= n && b.len() >= n => {
            let mut table = [UNKNOWN; 9];
            for x in [FALSE, TRUE, UNKNOWN] {
                for y in [FALSE, TRUE, UNKNOWN] {
                    table[usize::from(x * 3 + y)] = f(Cell::of_truth(x), Cell::of_truth(y)).truth();
                }
            }
            Column::Bools(
                a[..n]
                    .iter()
                    .zip(&b[..n])
                    .map(|(x, y)| table[usize::from((*x).min(UNKNOWN) * 3 + (*y).min(UNKNOWN))])
                    .collect(),
            )
        }
        (a, Column::Same(y)) => test1(n, a, |x| f(x, *y)),
        (Column::Same(x), b) => test1(n, b, |y| f(*x, y)),
        _ => truths_of(n, |i| f(l.at(i), r.at(i))),
    }
}

/// A comparison of two non-NULL values as a truth value (NaN compares as NULL).
#[inline]
fn cmp_truth<T: PartialOrd>(op: BinOp, a: &T, b: &T) -> u8 {
    a.partial_cmp(b)
        .and_then(|ord| op.holds(ord))
        .map_or(UNKNOWN, u8::from)
}

/// A comparison of two typed columns, row by row, NULL where either is NULL.
fn cmp_rows<T: PartialOrd + Copy>(
    n: usize,
    op: BinOp,
    (a, oka): (&[T], &[bool]),
    (b, okb): (&[T], &[bool]),
) -> Column<'static> {
    Column::Bools(
        (0..n)
            .map(|i| {
                if oka[i] && okb[i] {
                    cmp_truth(op, &a[i], &b[i])
                } else {
                    UNKNOWN
                }
            })
            .collect(),
    )
}

/// A comparison of a typed column with one value (`flip`: the value is on the left).
fn cmp_value<T: PartialOrd + Copy>(
    n: usize,
    op: BinOp,
    (a, ok): (&[T], &[bool]),
    y: T,
    flip: bool,
) -> Column<'static> {
    Column::Bools(
        (0..n)
            .map(|i| match (ok[i], flip) {
                (false, _) => UNKNOWN,
                (true, false) => cmp_truth(op, &a[i], &y),
                (true, true) => cmp_truth(op, &y, &a[i]),
            })
            .collect(),
    )
}

fn compare_cols<'a>(n: usize, op: BinOp, l: &Column<'a>, r: &Column<'a>) -> Column<'a> {
    let fits = |v: usize, ok: usize| v >= n && ok >= n;
    match (l, r) {
        (Column::Same(x), Column::Same(y)) => Column::Same(compare3(op, *x, *y)),
        (Column::Nums(a, oka), Column::Nums(b, okb))
            if fits(a.len(), oka.len()) && fits(b.len(), okb.len()) =>
        {
            cmp_rows(n, op, (a, oka), (b, okb))
        }
        (Column::Times(a, oka), Column::Times(b, okb))
            if fits(a.len(), oka.len()) && fits(b.len(), okb.len()) =>
        {
            cmp_rows(n, op, (a, oka), (b, okb))
        }
        (Column::Nums(a, ok), Column::Same(Cell::Num(y))) if fits(a.len(), ok.len()) => {
            cmp_value(n, op, (a, ok), *y, false)
        }
        (Column::Same(Cell::Num(x)), Column::Nums(b, ok)) if fits(b.len(), ok.len()) => {
            cmp_value(n, op, (b, ok), *x, true)
        }
        (Column::Times(a, ok), Column::Same(Cell::Ts(y))) if fits(a.len(), ok.len()) => {
            cmp_value(n, op, (a, ok), *y, false)
        }
        (Column::Same(Cell::Ts(x)), Column::Times(b, ok)) if fits(b.len(), ok.len()) => {
            cmp_value(n, op, (b, ok), *x, true)
        }
        (a, Column::Same(y)) => test1(n, a, |x| compare3(op, x, *y)),
        (Column::Same(x), b) => test1(n, b, |y| compare3(op, *x, y)),
        _ => truths_of(n, |i| compare3(op, l.at(i), r.at(i))),
    }
}

/// `a op b` on two non-NULL numbers; `None` for a division by zero.
#[inline]
fn apply(op: BinOp, a: f64, b: f64) -> Option<f64> {
    match op {
        BinOp::Add => Some(a + b),
        BinOp::Sub => Some(a - b),
        BinOp::Mul => Some(a * b),
        // Division by zero has no value (the reference evaluator's rule).
        BinOp::Div if b == 0.0 => None,
        BinOp::Div => Some(a / b),
        _ => None,
    }
}

/// A numeric column from each row's result (`None` is NULL).
pub(crate) fn nums_by<'a>(n: usize, f: impl Fn(usize) -> Option<f64>) -> Column<'a> {
    // Written in place (no capacity check per row), both vectors in one loop.
    let mut v = vec![0.0; n];
    let mut ok = vec![false; n];
    for (i, (x, o)) in v.iter_mut().zip(&mut ok).enumerate() {
        let r = f(i);
        *x = r.unwrap_or(0.0);
        *o = r.is_some();
    }
    Column::Nums(v, ok)
}

fn arithmetic_cols<'a>(n: usize, op: BinOp, l: &Column<'a>, r: &Column<'a>) -> Column<'a> {
    let fits = |v: &[f64], ok: &[bool]| v.len() >= n && ok.len() >= n;
    match (l, r) {
        (Column::Same(x), Column::Same(y)) => Column::Same(arithmetic(op, *x, *y)),
        (Column::Nums(a, oka), Column::Nums(b, okb)) if fits(a, oka) && fits(b, okb) => {
            nums_by(n, |i| {
                (oka[i] && okb[i]).then(|| apply(op, a[i], b[i])).flatten()
            })
        }
        (Column::Nums(a, ok), Column::Same(Cell::Num(y))) if fits(a, ok) => {
            nums_by(n, |i| ok[i].then(|| apply(op, a[i], *y)).flatten())
        }
        (Column::Same(Cell::Num(x)), Column::Nums(b, ok)) if fits(b, ok) => {
            nums_by(n, |i| ok[i].then(|| apply(op, *x, b[i])).flatten())
        }
        _ => nums_of(n, |i| arithmetic(op, l.at(i), r.at(i))),
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
    op.holds(ord).map_or(Cell::Null, Cell::Bool)
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
            _ => None,
        })
        .collect::<Option<Vec<Cell<'a>>>>()
    {
        return test1(n, v, |x| decide(x, &list));
    }
    let mut list = Vec::with_capacity(items.len());
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        list.clear();
        list.extend(items.iter().map(|c| c.at(i)));
        out.push(decide(v.at(i), &list).truth());
    }
    Column::Bools(out)
}

/// The exact difference between two instants in `unit_s` seconds, rounded once to f64 as
/// the reference evaluator does (it subtracts in i128); i128 only when i64 would
/// overflow, since converting an i128 is a slow library call.
#[inline]
fn elapsed(from: i64, to: i64, unit_s: f64) -> f64 {
    #[allow(
        clippy::cast_precision_loss,
        reason = "the reference evaluator converts the same way"
    )]
    let elapsed_ms = match to.checked_sub(from) {
        Some(d) => d as f64,
        None => (i128::from(to) - i128::from(from)) as f64,
    };
    elapsed_ms / 1_000.0 / unit_s
}

fn call<'a>(n: usize, func: Func, args: &[&Column<'a>]) -> Column<'a> {
    if let Some(unit_s) = func.seconds_per_unit() {
        let (Some(a), Some(b)) = (args.first(), args.get(1)) else {
            return Column::Same(Cell::Null);
        };
        return match (a, b) {
            (Column::Same(x), Column::Same(y)) => Column::Same(match (x, y) {
                (Cell::Ts(from), Cell::Ts(to)) => Cell::Num(elapsed(*from, *to, unit_s)),
                _ => Cell::Null,
            }),
            (Column::Times(f, okf), Column::Times(t, okt))
                if f.len() >= n && t.len() >= n && okf.len() >= n && okt.len() >= n =>
            {
                nums_by(n, |i| {
                    (okf[i] && okt[i]).then(|| elapsed(f[i], t[i], unit_s))
                })
            }
            _ => nums_of(n, |i| match (a.at(i), b.at(i)) {
                (Cell::Ts(from), Cell::Ts(to)) => Cell::Num(elapsed(from, to, unit_s)),
                _ => Cell::Null,
            }),
        };
    }
    match func {
        Func::Coalesce => coalesce(n, args),
        Func::Abs => match args.first() {
            Some(a) => numeric1(n, a, f64::abs),
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
            acc => fill(n, acc, c),
        };
    }
    acc
}

/// `acc` with its NULL rows taken from `c`, typed when both are of one type.
fn fill<'a>(n: usize, acc: Column<'a>, c: &Column<'a>) -> Column<'a> {
    match (acc, c) {
        (acc, Column::Same(Cell::Null)) => acc,
        (Column::Nums(mut v, mut ok), Column::Same(Cell::Num(y))) if v.len() >= n => {
            fill_typed(n, &mut v, &mut ok, |_| Some(*y));
            Column::Nums(v, ok)
        }
        (Column::Nums(mut v, mut ok), Column::Nums(w, okw))
            if v.len() >= n && w.len() >= n && okw.len() >= n =>
        {
            fill_typed(n, &mut v, &mut ok, |i| okw[i].then_some(w[i]));
            Column::Nums(v, ok)
        }
        (Column::Times(mut v, mut ok), Column::Same(Cell::Ts(y))) if v.len() >= n => {
            fill_typed(n, &mut v, &mut ok, |_| Some(*y));
            Column::Times(v, ok)
        }
        (Column::Times(mut v, mut ok), Column::Times(w, okw))
            if v.len() >= n && w.len() >= n && okw.len() >= n =>
        {
            fill_typed(n, &mut v, &mut ok, |i| okw[i].then_some(w[i]));
            Column::Times(v, ok)
        }
        (Column::Bools(mut v), Column::Same(Cell::Bool(y))) => {
            v.resize(n, UNKNOWN);
            for t in &mut v {
                if *t == UNKNOWN {
                    *t = u8::from(*y);
                }
            }
            Column::Bools(v)
        }
        (Column::Bools(mut v), Column::Bools(w)) if w.len() >= n => {
            v.resize(n, UNKNOWN);
            for (t, u) in v.iter_mut().zip(w) {
                if *t == UNKNOWN {
                    *t = *u;
                }
            }
            Column::Bools(v)
        }
        (acc, c) => Column::Rows(
            (0..n)
                .map(|i| match acc.at(i) {
                    Cell::Null => c.at(i),
                    x => x,
                })
                .collect(),
        ),
    }
}

/// Fills the NULL rows among the first `n` of typed values (`v`, at least `n` long, with
/// validity `ok`) from `from(i)`; `None` leaves the row NULL.
fn fill_typed<T: Copy>(
    n: usize,
    v: &mut [T],
    ok: &mut Vec<bool>,
    from: impl Fn(usize) -> Option<T>,
) {
    ok.resize(n, false);
    for (i, (x, valid)) in v.iter_mut().zip(ok.iter_mut()).enumerate() {
        if !*valid && let Some(y) = from(i) {
            (*x, *valid) = (y, true);
        }
    }
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
            (acc, c) => Column::Rows((0..n).map(|i| f(acc.at(i), c.at(i))).collect()),
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
            // NaN compares as NULL but is not NULL.
            mk(
                Num(f64::NAN),
                Num(1.0),
                Str("z".into()),
                Ts(10),
                Ts(20),
                Bool(false),
            ),
        ]
        .into_iter()
        // Instants at the ends of the range, so that differences with t0 overflow i64.
        .zip([
            Ts(i64::MIN),
            Ts(i64::MAX),
            Null,
            Ts(i64::MIN + 3),
            Ts(i64::MAX),
            Ts(0),
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

    /// The distinct strings of the rows' fields, plus `pad` unused ones, as a dictionary.
    fn dictionary(rows: &[BTreeMap<String, Value>], pad: usize) -> StringArray {
        let mut words: Vec<String> = (0..pad).map(|i| format!("unused-{i}")).collect();
        for r in rows {
            for v in r.values() {
                if let Value::Str(s) = v
                    && !words.contains(s)
                {
                    words.push(s.clone());
                }
            }
        }
        StringArray::from_iter_values(words)
    }

    /// The fields as typed columns where every non-NULL value has one type (text as codes
    /// into `dict`), as rows otherwise.
    fn typed<'a>(
        p: &Program,
        rows: &'a [BTreeMap<String, Value>],
        dict: &'a StringArray,
    ) -> Vec<Column<'a>> {
        p.fields()
            .iter()
            .map(|f| {
                let vals: Vec<Option<&Value>> = rows
                    .iter()
                    .map(|r| r.get(f).filter(|v| !matches!(v, Value::Null)))
                    .collect();
                let all = |t: fn(&Value) -> bool| vals.iter().flatten().all(|v| t(v));
                if all(|v| matches!(v, Value::Num(_))) {
                    let v = vals.iter().map(|v| match v {
                        Some(Value::Num(x)) => *x,
                        _ => -1.0,
                    });
                    Column::Nums(v.collect(), vals.iter().map(Option::is_some).collect())
                } else if all(|v| matches!(v, Value::Ts(_))) {
                    let v = vals.iter().map(|v| match v {
                        Some(Value::Ts(x)) => *x,
                        _ => -1,
                    });
                    Column::Times(v.collect(), vals.iter().map(Option::is_some).collect())
                } else if all(|v| matches!(v, Value::Bool(_))) {
                    Column::Bools(
                        vals.iter()
                            .map(|v| match v {
                                Some(Value::Bool(b)) => u8::from(*b),
                                _ => UNKNOWN,
                            })
                            .collect(),
                    )
                } else if all(|v| matches!(v, Value::Str(_))) {
                    let code = |s: &str| {
                        (0..dict.len())
                            .find(|k| dict.value(*k) == s)
                            .and_then(|k| u32::try_from(k).ok())
                            .unwrap_or(NULL_CODE)
                    };
                    Column::Dict(
                        vals.iter()
                            .map(|v| match v {
                                Some(Value::Str(s)) => code(s),
                                _ => NULL_CODE,
                            })
                            .collect(),
                        dict,
                    )
                } else {
                    Column::Rows(
                        vals.iter()
                            .map(|v| v.map_or(Cell::Null, Cell::of))
                            .collect(),
                    )
                }
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
            "a + 1",
            "2 * b",
            "a / 0",
            "b / a",
            "a > 1",
            "1 < a",
            "a <= b",
            "t0 <= t1",
            "t1 > t0 AND f",
            "NOT (a > 0)",
            "(a > 0) OR f",
            "f OR TRUE",
            "f AND NULL",
            "coalesce(f, FALSE) = FALSE",
            "coalesce(f, a > 0)",
            "s IS NULL",
            "t0 IS NULL",
            "a IS NOT NULL",
            "f IS NULL",
            "abs(a - b)",
            "-(a + b)",
            "coalesce(t1, t0)",
            "coalesce(a, t0)",
            "coalesce(s, 'none') = 'none'",
            "seconds_between(t0, coalesce(t1, t0))",
            "s IN ('x', 'y') AND a >= 0",
            "a NOT IN (1, 2, NULL)",
            "least(t0, t1)",
            "greatest(s, 'w')",
        ];
        let rows = rows();
        let mut p = Program::default();
        let mut exprs = Vec::new();
        for src in sources {
            let e = parse(src).unwrap_or_else(|e| panic!("{src}: {e:?}"));
            exprs.push((src, p.add(&e), e));
        }
        let n = rows.len();
        // Every field as values per row; typed, with a small dictionary (decided per
        // entry) and with one larger than the rows (decided per row); and typed but one
        // row short, so that the last row reads NULL in every field.
        let small = dictionary(&rows, 0);
        let large = dictionary(&rows, 100);
        let shapes: Vec<(&str, Vec<Column<'_>>, usize)> = vec![
            ("rows", columns(&p, &rows), n),
            ("typed", typed(&p, &rows, &small), n),
            ("typed, large dictionary", typed(&p, &rows, &large), n),
            (
                "typed, one row short",
                typed(&p, &rows[..n - 1], &small),
                n - 1,
            ),
        ];
        let absent = BTreeMap::new();
        for (shape, fields, given) in &shapes {
            let out = p.run(n, fields);
            for (src, node, e) in &exprs {
                for (i, row) in rows.iter().enumerate() {
                    let row = if i < *given { row } else { &absent };
                    let want = expr::eval(e, row);
                    let got = owned(out[*node].at(i));
                    assert_eq!(
                        format!("{got:?}"),
                        format!("{want:?}"),
                        "`{src}` on row {i}, {shape}"
                    );
                }
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

    #[test]
    fn fields_only_tested_for_null_are_found() {
        // CC-05's filter: customer_key and issue_class are only tested for NULL; outcome
        // is compared. A second expression compares issue_class, so it is no longer
        // only NULL-tested; a measure that is the bare field `k` uses its value.
        let mut p = Program::default();
        let filter = p.add(
            &parse("outcome = 'answered' AND customer_key IS NOT NULL AND issue_class IS NOT NULL")
                .expect("parses"),
        );
        assert_eq!(p.fields(), ["outcome", "customer_key", "issue_class"]);
        assert_eq!(p.null_tested_only(&[filter]), [false, true, true]);
        let other = p.add(&parse("issue_class IN ('billing')").expect("parses"));
        assert_eq!(p.null_tested_only(&[filter, other]), [false, true, false]);
        let bare = p.add(&parse("k").expect("parses"));
        let tested = p.add(&parse("k IS NULL").expect("parses"));
        assert_eq!(
            p.null_tested_only(&[filter, other, tested]),
            [false, true, false, true]
        );
        assert_eq!(
            p.null_tested_only(&[filter, other, tested, bare]),
            [false, true, false, false]
        );
    }
}
