//! Indicator measure states computed with DataFusion: the scale-out path.
//!
//! [`kind_states`] takes the indicators of one record kind and that kind's *prepared*
//! rows (the columns its expressions read — stored fields, and derived fields as
//! ordinary columns — plus `__site: UInt32` and `__day: Int32`, already restricted to the
//! period; every batch has the same columns) and returns the measure state of
//! every (site, day, indicator, stratum) plus the row problems — the same result as
//! applying core's reference `observe` to every row, indicator and stratum (tests in
//! `tests/` compare the two).
//!
//! **Plan.** One DataFrame per call: a projection computes, per row, each indicator's
//! filter flag and measure inputs (translated from core's syntax tree by
//! [`translate`]) and each stratum's flag; a second projection turns values into
//! core's error codes, fixed-point thousandths, squares and histogram buckets (small
//! functions calling core, in [`udf`]); one aggregate grouped by (`__site`, `__day`)
//! then sums, for every indicator × stratum, the state components with `CASE`
//! conditions (counts as `Int64`, fixed-point sums as `Decimal128(38, 0)` = core's
//! `i128`), collects histograms with the `ys_histogram` aggregate and counts
//! service-level classes and problems. The rows of the result become
//! [`MeasureState`]s.
//!
//! [`evaluate`] gives the per-row values of one expression through the same
//! translation (for drill-downs, and to test the translation against core's `eval`).
//! DataFusion operators reserve memory from a bounded pool ([`Options::memory_limit`]).
//!
//! DataFusion is not in the default build (its release build is long); this crate is
//! the scale-out engine, behind the engine's and the CLI's `datafusion` feature
//! (`compute_datafusion`, `yardstick evaluate --engine datafusion`).

pub mod translate;
pub mod udf;

use std::collections::{BTreeMap, HashMap};

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Float64Type, Int32Type, Int64Type, UInt32Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::functions_aggregate::expr_fn::sum;
use datafusion::logical_expr::{Expr, cast, ident, lit};
use datafusion::prelude::{SessionConfig, SessionContext};
use yardstick_core::expr::{Expr as CoreExpr, Span, Type, Value};
use yardstick_core::guideline::{Compiled, Indicator, Measure};
use yardstick_core::measure::MeasureState;
use yardstick_core::records::RecordKind;

use translate::{Translator, Typed, case};

/// Key of one daily state: (site index, local day as days since 1970-01-01, indicator
/// index, stratum index).
pub type DayKey = (u32, i32, u16, u16);

/// The states and row problems of one record kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindStates {
    /// Non-empty states (n > 0) by key.
    pub states: HashMap<DayKey, MeasureState>,
    /// Rows that could not be recorded, counted by problem text (`"{id}: {problem}"`).
    pub problems: BTreeMap<String, u64>,
}

/// Why the states could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// An indicator expression could not be translated; located in its source.
    #[error("{indicator} {part} (bytes {}..{}): {message}", span.start, span.end)]
    Translate {
        /// Indicator id.
        indicator: String,
        /// Which expression: `filter`, `condition`, `value`, `answered`, ...
        part: &'static str,
        /// Where in that expression's source.
        span: Span,
        /// What is wrong.
        message: String,
    },
    /// The arguments do not fit together (kinds, strata, key columns).
    #[error("{0}")]
    Input(String),
    /// DataFusion failed while planning or running the query.
    #[error("DataFusion {stage}: {source}")]
    DataFusion {
        /// What was being done.
        stage: &'static str,
        /// The error.
        #[source]
        source: Box<DataFusionError>,
    },
}

/// Limits of one query.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Bytes DataFusion's operators may reserve (aggregation hash tables and the like);
    /// beyond it the query fails rather than exhausting the machine.
    pub memory_limit: usize,
    /// Partitions DataFusion splits the work into (threads it may use).
    pub target_partitions: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            memory_limit: 2 << 30,
            target_partitions: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

/// Service-level classes, coded 0–5 in the order of `ServiceLevelCounts`' fields
/// (answered within, answered after, abandoned short, within, after, IVR-contained).
const SL_CLASSES: usize = 6;

/// Computes the daily states of `indicators` (all of the record kind of `batches`)
/// for the strata `strata[i]` of indicator `i`, with default [`Options`].
///
/// # Errors
/// See [`kind_states_with`].
pub async fn kind_states(
    indicators: &[&Indicator],
    strata: &[Vec<String>],
    batches: Vec<RecordBatch>,
) -> Result<KindStates, QueryError> {
    kind_states_with(&Options::default(), indicators, strata, batches).await
}

/// [`kind_states`] with explicit limits.
///
/// # Errors
/// [`QueryError::Input`] when `strata` does not match `indicators`, the indicators are
/// of different kinds or the key columns are missing; [`QueryError::Translate`] for an
/// expression that cannot be translated; [`QueryError::DataFusion`] when the query
/// fails (for example on reaching the memory limit).
pub async fn kind_states_with(
    options: &Options,
    indicators: &[&Indicator],
    strata: &[Vec<String>],
    batches: Vec<RecordBatch>,
) -> Result<KindStates, QueryError> {
    if strata.len() != indicators.len() {
        return Err(QueryError::Input(format!(
            "{} strata lists for {} indicators",
            strata.len(),
            indicators.len()
        )));
    }
    let Some(first) = indicators.first() else {
        return Ok(KindStates::default());
    };
    let kind = first.kind;
    if let Some(other) = indicators.iter().find(|i| i.kind != kind) {
        return Err(QueryError::Input(format!(
            "{} is computed from {} records, {} from {}",
            other.id,
            other.kind.as_str(),
            first.id,
            kind.as_str()
        )));
    }
    if u16::try_from(indicators.len()).is_err()
        || strata.iter().any(|s| u16::try_from(s.len()).is_err())
    {
        return Err(QueryError::Input(
            "too many indicators or strata for a 16-bit key".into(),
        ));
    }
    if batches.iter().all(|b| b.num_rows() == 0) {
        return Ok(KindStates::default());
    }
    let schema = batches
        .first()
        .map(RecordBatch::schema)
        .ok_or_else(|| QueryError::Input("no batches".into()))?;
    for key in ["__site", "__day"] {
        if schema.field_with_name(key).is_err() {
            return Err(QueryError::Input(format!(
                "the batches have no `{key}` column"
            )));
        }
    }

    let plan = Plan::build(&Translator::new(&schema, kind), indicators, strata)?;

    let df_err = |stage| {
        move |e: DataFusionError| QueryError::DataFusion {
            stage,
            source: Box::new(e),
        }
    };
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_limit(options.memory_limit, 1.0)
        .build_arc()
        .map_err(df_err("runtime"))?;
    let config = SessionConfig::new().with_target_partitions(options.target_partitions.max(1));
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    let out = ctx
        .read_batches(batches)
        .and_then(|df| df.select(plan.rows))
        .and_then(|df| df.select(plan.values))
        .and_then(|df| df.aggregate(vec![ident("__site"), ident("__day")], plan.aggregates))
        .map_err(df_err("planning"))?
        .collect()
        .await
        .map_err(df_err("execution"))?;

    let mut result = KindStates::default();
    for batch in &out {
        plan.slots.read(batch, indicators, &mut result)?;
    }
    Ok(result)
}

/// Column indexes (in the aggregate output) of one indicator × stratum state.
#[derive(Debug, Default)]
struct Slot {
    indicator: u16,
    stratum: u16,
    n: usize,
    hits: Option<usize>,
    values: Option<usize>,
    sum: Option<usize>,
    sum_sq: Option<usize>,
    den: Option<usize>,
    hist: Option<usize>,
    sl: Option<[usize; SL_CLASSES]>,
    /// (problem text without the id prefix, column).
    problems: Vec<(&'static str, usize)>,
}

#[derive(Debug, Default)]
struct Slots(Vec<Slot>);

/// The three layers of the query and how to read its output.
struct Plan {
    rows: Vec<Expr>,
    values: Vec<Expr>,
    aggregates: Vec<Expr>,
    slots: Slots,
}

/// What the row layer computed for one indicator.
#[derive(Debug, Clone, Copy)]
enum Inputs {
    /// A count: nothing but the filter.
    Count,
    /// A ratio or share within a limit: column `h{i}`.
    Hit,
    /// A mean or percentile value `v{i}`, or a ratio of sums `v{i}`, `d{i}`.
    Value { histogram: bool, den: bool },
    /// A service-level class code `c{i}` (NULL = unclassified).
    Class,
}

/// Translates one expression of an indicator, naming it in a failure.
fn translate_part(
    t: &Translator<'_>,
    ind: &Indicator,
    part: &'static str,
    c: &Compiled,
) -> Result<Typed, QueryError> {
    t.expr(&c.expr).map_err(|l| QueryError::Translate {
        indicator: ind.id.clone(),
        part,
        span: l.span,
        message: l.message,
    })
}

/// `CASE WHEN cond THEN 1 ELSE 0 END` summed: how many rows meet `cond` (never NULL).
fn count_if(cond: Expr) -> Expr {
    sum(case(vec![(cond, lit(1_i64))], Some(lit(0_i64))))
}

/// Adds the row-layer columns of indicator `i` (its filter flag `f{i}` and measure
/// inputs) and says what they are.
fn row_layer(
    t: &Translator<'_>,
    i: usize,
    ind: &Indicator,
    rows: &mut Vec<Expr>,
) -> Result<Inputs, QueryError> {
    let filter = match &ind.filter {
        Some(f) => translate_part(t, ind, "filter", f)?.is_true(),
        None => lit(true),
    };
    rows.push(filter.alias(format!("f{i}")));
    let input = match &ind.measure {
        Measure::Count | Measure::RatePer { .. } => Inputs::Count,
        Measure::Ratio { condition } => {
            let hit = translate_part(t, ind, "condition", condition)?.is_true();
            rows.push(hit.alias(format!("h{i}")));
            Inputs::Hit
        }
        Measure::ShareWithin { value, limit } => {
            let v = translate_part(t, ind, "value", value)?.num();
            let hit = translate::is_true(udf::num(v).lt_eq(udf::num(lit(*limit))));
            rows.push(hit.alias(format!("h{i}")));
            Inputs::Hit
        }
        Measure::Mean { value } | Measure::Percentile { value, .. } => {
            let v = translate_part(t, ind, "value", value)?.num();
            rows.push(v.alias(format!("v{i}")));
            Inputs::Value {
                histogram: matches!(ind.measure, Measure::Percentile { .. }),
                den: false,
            }
        }
        Measure::RatioOfSums {
            numerator,
            denominator,
        } => {
            let v = translate_part(t, ind, "numerator", numerator)?.num();
            let d = translate_part(t, ind, "denominator", denominator)?.num();
            rows.push(v.alias(format!("v{i}")));
            rows.push(d.alias(format!("d{i}")));
            Inputs::Value {
                histogram: false,
                den: true,
            }
        }
        Measure::ServiceLevel(spec) => {
            let yes = |part, c| translate_part(t, ind, part, c).map(Typed::is_true);
            let ivr = yes("ivr_contained", &spec.ivr_contained)?;
            let answered = yes("answered", &spec.answered)?;
            let abandoned = yes("abandoned", &spec.abandoned)?;
            let wait = udf::num(translate_part(t, ind, "wait_s", &spec.wait_s)?.num());
            let within = |limit: f64| wait.clone().lt_eq(udf::num(lit(limit)));
            let short = wait.clone().lt(udf::num(lit(spec.short_abandon_s)));
            // Codes as in `SL_CLASSES`; a contact in no branch is unclassified.
            let class = case(
                vec![
                    (ivr, lit(5_i8)),
                    (answered.clone().and(within(spec.threshold_s)), lit(0_i8)),
                    (answered, lit(1_i8)),
                    (abandoned.clone().and(short), lit(2_i8)),
                    (abandoned.clone().and(within(spec.threshold_s)), lit(3_i8)),
                    (abandoned, lit(4_i8)),
                ],
                None,
            );
            rows.push(class.alias(format!("c{i}")));
            Inputs::Class
        }
    };
    Ok(input)
}

/// Adds the value-layer columns of indicator `i`: its flags passed on, and for values
/// core's error code `e{i}`, thousandths `m{i}`, their square `q{i}`, the
/// denominator's thousandths `dm{i}` and the histogram bucket `b{i}`.
fn value_layer(i: usize, input: &Inputs, values: &mut Vec<Expr>) {
    values.push(ident(format!("f{i}")));
    match *input {
        Inputs::Count => {}
        Inputs::Hit => values.push(ident(format!("h{i}"))),
        Inputs::Class => values.push(ident(format!("c{i}"))),
        Inputs::Value { histogram, den } => {
            let v = ident(format!("v{i}"));
            let check = |x: Expr| {
                if histogram {
                    udf::check_histogram_call(vec![x])
                } else {
                    udf::check_call(vec![x])
                }
            };
            let ok = lit(udf::OK);
            let (code, milli, milli_sq) = if den {
                // Both sides known, or the row adds to neither sum; the
                // numerator is checked before the denominator, as in core.
                let d = ident(format!("d{i}"));
                let both = v.clone().is_not_null().and(d.clone().is_not_null());
                let code = case(
                    vec![
                        (!both.clone(), ok.clone()),
                        (
                            udf::check_call(vec![v.clone()]).not_eq(ok.clone()),
                            udf::check_call(vec![v.clone()]),
                        ),
                    ],
                    Some(udf::check_call(vec![d.clone()])),
                );
                let only_both = |e: Expr| case(vec![(both.clone(), e)], None);
                values.push(only_both(udf::milli_call(vec![d])).alias(format!("dm{i}")));
                (
                    code,
                    only_both(udf::milli_call(vec![v.clone()])),
                    only_both(udf::milli_sq_call(vec![v.clone()])),
                )
            } else {
                (
                    datafusion::functions::expr_fn::coalesce(vec![check(v.clone()), ok]),
                    udf::milli_call(vec![v.clone()]),
                    udf::milli_sq_call(vec![v.clone()]),
                )
            };
            values.push(code.alias(format!("e{i}")));
            values.push(milli.alias(format!("m{i}")));
            values.push(milli_sq.alias(format!("q{i}")));
            if histogram {
                values.push(udf::bucket_call(vec![v]).alias(format!("b{i}")));
            }
        }
    }
}

/// Adds the aggregates of indicator `i` in one stratum (`member` = filter and stratum
/// flags) through `push`, which returns each aggregate's output column.
fn slot(
    i: usize,
    k: usize,
    member: Expr,
    input: &Inputs,
    push: &mut impl FnMut(Expr) -> usize,
) -> Slot {
    let mut slot = Slot {
        indicator: u16::try_from(i).unwrap_or(u16::MAX),
        stratum: u16::try_from(k).unwrap_or(u16::MAX),
        ..Slot::default()
    };
    match input {
        Inputs::Count => slot.n = push(count_if(member)),
        Inputs::Hit => {
            slot.n = push(count_if(member.clone()));
            slot.hits = Some(push(count_if(member.and(ident(format!("h{i}"))))));
        }
        Inputs::Class => {
            let class = ident(format!("c{i}"));
            slot.n = push(count_if(member.clone().and(class.clone().is_not_null())));
            let mut sl = [0; SL_CLASSES];
            for (code, col) in sl.iter_mut().enumerate() {
                let code = i8::try_from(code).unwrap_or(i8::MAX);
                *col = push(count_if(
                    member
                        .clone()
                        .and(translate::is_true(class.clone().eq(lit(code)))),
                ));
            }
            slot.sl = Some(sl);
            slot.problems.push((
                "contact neither answered, abandoned nor IVR-contained",
                push(count_if(member.and(class.is_null()))),
            ));
        }
        Inputs::Value { histogram, den } => {
            let code = ident(format!("e{i}"));
            let ok = member.clone().and(code.clone().eq(lit(udf::OK)));
            let m = ident(format!("m{i}"));
            slot.n = push(count_if(ok.clone()));
            slot.values = Some(push(count_if(ok.clone().and(m.clone().is_not_null()))));
            slot.sum = Some(push(sum(case(vec![(ok.clone(), m)], None))));
            slot.sum_sq = Some(push(sum(case(
                vec![(ok.clone(), ident(format!("q{i}")))],
                None,
            ))));
            if *den {
                slot.den = Some(push(sum(case(
                    vec![(ok.clone(), ident(format!("dm{i}")))],
                    None,
                ))));
            }
            if *histogram {
                slot.hist = Some(push(udf::histogram_call(case(
                    vec![(ok, ident(format!("b{i}")))],
                    None,
                ))));
            }
            for c in udf::ERROR_CODES {
                // Only a percentile's histogram rejects negative values.
                if c == udf::NEGATIVE && !*histogram {
                    continue;
                }
                slot.problems.push((
                    udf::problem_kind(c),
                    push(count_if(member.clone().and(code.clone().eq(lit(c))))),
                ));
            }
        }
    }
    slot
}

impl Plan {
    fn build(
        t: &Translator<'_>,
        indicators: &[&Indicator],
        strata: &[Vec<String>],
    ) -> Result<Plan, QueryError> {
        let mut rows = vec![
            cast(ident("__site"), DataType::UInt32).alias("__site"),
            cast(ident("__day"), DataType::Int32).alias("__day"),
        ];
        let mut values = vec![ident("__site"), ident("__day")];
        let mut inputs = Vec::new();
        for (i, ind) in indicators.iter().enumerate() {
            let input = row_layer(t, i, ind, &mut rows)?;
            value_layer(i, &input, &mut values);
            inputs.push(input);
        }

        // One flag per distinct stratum, shared by the indicators that use it.
        let mut stratum_columns: BTreeMap<&str, usize> = BTreeMap::new();
        for s in strata.iter().flatten() {
            let next = stratum_columns.len();
            if let std::collections::btree_map::Entry::Vacant(e) = stratum_columns.entry(s) {
                let flag = t
                    .stratum(s)
                    .map_err(|l| QueryError::Input(format!("stratum `{s}`: {}", l.message)))?;
                rows.push(translate::is_true(flag).alias(format!("s{next}")));
                values.push(ident(format!("s{next}")));
                e.insert(next);
            }
        }

        let mut aggregates = Vec::new();
        let mut push = |e: Expr| {
            let at = 2 + aggregates.len();
            aggregates.push(e.alias(format!("a{at}")));
            at
        };
        let mut slots = Vec::new();
        for (i, (input, strata)) in inputs.iter().zip(strata).enumerate() {
            for (k, s) in strata.iter().enumerate() {
                let member =
                    ident(format!("f{i}")).and(ident(format!("s{}", stratum_columns[s.as_str()])));
                slots.push(slot(i, k, member, input, &mut push));
            }
        }
        Ok(Plan {
            rows,
            values,
            aggregates,
            slots: Slots(slots),
        })
    }
}

impl Slots {
    /// Turns one output batch of the aggregate into states and problem counts.
    fn read(
        &self,
        batch: &RecordBatch,
        indicators: &[&Indicator],
        out: &mut KindStates,
    ) -> Result<(), QueryError> {
        let bad = |what: &str| QueryError::Input(format!("unexpected query output: {what}"));
        let column = |at: usize| batch.columns().get(at).ok_or_else(|| bad("missing column"));
        let sites = column(0)?
            .as_primitive_opt::<UInt32Type>()
            .ok_or_else(|| bad("site"))?;
        let days = column(1)?
            .as_primitive_opt::<Int32Type>()
            .ok_or_else(|| bad("day"))?;
        let count = |at: usize, row: usize| -> Result<u64, QueryError> {
            let a = column(at)?
                .as_primitive_opt::<Int64Type>()
                .ok_or_else(|| bad("count"))?;
            Ok(if a.is_valid(row) {
                u64::try_from(a.value(row)).unwrap_or(0)
            } else {
                0
            })
        };
        let total = |at: Option<usize>, row: usize| -> Result<i128, QueryError> {
            let Some(at) = at else { return Ok(0) };
            let a = column(at)?
                .as_primitive_opt::<Decimal128Type>()
                .ok_or_else(|| bad("sum"))?;
            Ok(if a.is_valid(row) { a.value(row) } else { 0 })
        };
        for row in 0..batch.num_rows() {
            if !sites.is_valid(row) || !days.is_valid(row) {
                return Err(QueryError::Input(
                    "rows with a NULL `__site` or `__day`".into(),
                ));
            }
            let (site, day) = (sites.value(row), days.value(row));
            for slot in &self.0 {
                let id = indicators
                    .get(usize::from(slot.indicator))
                    .map_or("?", |i| i.id.as_str());
                for (text, at) in &slot.problems {
                    let c = count(*at, row)?;
                    if c > 0 {
                        *out.problems.entry(format!("{id}: {text}")).or_default() += c;
                    }
                }
                let mut state = MeasureState::new();
                state.n = count(slot.n, row)?;
                if state.n == 0 {
                    continue;
                }
                if let Some(at) = slot.hits {
                    state.hits = count(at, row)?;
                }
                if let Some(at) = slot.values {
                    state.values = count(at, row)?;
                }
                state.sum_milli = total(slot.sum, row)?;
                state.sum_sq_micro = total(slot.sum_sq, row)?;
                state.den_sum_milli = total(slot.den, row)?;
                if let Some(at) = slot.hist {
                    let a = column(at)?
                        .as_binary_opt::<i32>()
                        .ok_or_else(|| bad("histogram"))?;
                    if a.is_valid(row) {
                        udf::decode_into(a.value(row), &mut state.hist).map_err(|e| bad(&e))?;
                    }
                }
                if let Some(sl) = slot.sl {
                    let c = |k: usize| count(sl[k], row);
                    state.sl.answered_within = c(0)?;
                    state.sl.answered_after = c(1)?;
                    state.sl.abandoned_short = c(2)?;
                    state.sl.abandoned_within = c(3)?;
                    state.sl.abandoned_after = c(4)?;
                    state.sl.ivr_contained = c(5)?;
                }
                out.states
                    .insert((site, day, slot.indicator, slot.stratum), state);
            }
        }
        Ok(())
    }
}

/// The value of one compiled expression on every row of `batches`, in row order: the
/// translation [`kind_states`] uses, for drill-downs and for testing it against core's
/// `eval`.
///
/// # Errors
/// [`QueryError::Translate`] (with `indicator` empty and `part` = `expression`), or
/// [`QueryError::DataFusion`].
pub async fn evaluate(
    kind: RecordKind,
    expr: &CoreExpr,
    batches: Vec<RecordBatch>,
) -> Result<Vec<Value>, QueryError> {
    let Some(schema) = batches.first().map(RecordBatch::schema) else {
        return Ok(Vec::new());
    };
    let typed = Translator::new(&schema, kind)
        .expr(expr)
        .map_err(|l| QueryError::Translate {
            indicator: String::new(),
            part: "expression",
            span: l.span,
            message: l.message,
        })?;
    let df_err = |stage| {
        move |e: DataFusionError| QueryError::DataFusion {
            stage,
            source: Box::new(e),
        }
    };
    // One partition keeps the rows in order.
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    let ty = typed.ty;
    let out = ctx
        .read_batches(batches)
        .and_then(|df| df.select(vec![typed.as_type(ty).alias("value")]))
        .map_err(df_err("planning"))?
        .collect()
        .await
        .map_err(df_err("execution"))?;
    let mut values = Vec::new();
    for batch in &out {
        let a = batch.column(0);
        for row in 0..a.len() {
            values.push(value_at(a.as_ref(), ty, row)?);
        }
    }
    Ok(values)
}

/// One value of an output column carrying values of type `ty`.
fn value_at(a: &dyn Array, ty: Type, row: usize) -> Result<Value, QueryError> {
    if a.is_null(row) || ty == Type::Null {
        return Ok(Value::Null);
    }
    let bad = || {
        QueryError::Input(format!(
            "a {} value came back as {}",
            ty.name(),
            a.data_type()
        ))
    };
    Ok(match ty {
        Type::Num => Value::Num(
            a.as_primitive_opt::<Float64Type>()
                .ok_or_else(bad)?
                .value(row),
        ),
        Type::Ts => Value::Ts(
            a.as_primitive_opt::<Int64Type>()
                .ok_or_else(bad)?
                .value(row),
        ),
        Type::Bool => Value::Bool(a.as_boolean_opt().ok_or_else(bad)?.value(row)),
        Type::Str => Value::Str(
            a.as_string_opt::<i32>()
                .ok_or_else(bad)?
                .value(row)
                .to_owned(),
        ),
        Type::Null => Value::Null,
    })
}
