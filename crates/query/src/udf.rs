//! Small DataFusion functions that call core where the exact result matters.
//!
//! DataFusion's own kernels are used wherever they agree with core's reference
//! evaluator bit for bit. Where they do not, or where core owns the definition, a
//! function here calls core (or mirrors one line of it) per row:
//!
//! - [`num`]: a number as the reference orders it. Arrow's float kernels follow IEEE
//!   total order for NaN (NaN = NaN is TRUE, NaN > 1 is TRUE), and total order also
//!   separates −0 from +0 (the scalar comparison path of DataFusion 55 happens to
//!   treat them as equal; the function does not rely on which path is taken). The
//!   reference compares with `partial_cmp`: NaN compares as NULL and −0 = +0.
//!   Comparing `num(x)` with DataFusion's kernels gives the reference result.
//! - [`elapsed_ms`]: `b − a` of two epoch-millisecond instants, exact in `i128` and
//!   then rounded to `f64`, as `eval` does for `seconds_between` and friends.
//! - [`check`] / [`check_histogram`]: which [`MeasureError`] (if any) core's
//!   `MeasureState::observe` would raise for a value, as a small code.
//! - [`milli`] / [`milli_sq`]: core's [`to_milli`] quantisation and its square, as
//!   `Decimal128(38, 0)` so sums are exact `i128`s like core's.
//! - [`bucket`]: core's [`LogHistogram::bucket_of`] index.
//! - [`histogram`]: an aggregate building core's [`LogHistogram`] from bucket codes.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{ArrayRef, BinaryArray, Decimal128Array, Float64Array, Int8Array, Int32Array};
use arrow_schema::DataType;
use datafusion::common::{Result as DfResult, ScalarValue, exec_err};
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, ColumnarValue, Expr, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use yardstick_core::measure::{Bucket, LogHistogram, MeasureError, to_milli};

/// Precision of the decimal type the fixed-point sums use (scale 0: whole thousandths).
pub const DECIMAL_PRECISION: u8 = 38;

/// Error code of a value that `MeasureState::observe` accepts.
pub const OK: i8 = 0;

/// Bucket code of core's zero bucket (every log index is far above it).
pub const ZERO_BUCKET: i32 = i32::MIN;

/// Error code of [`MeasureError::Negative`], which only a histogram raises.
pub const NEGATIVE: i8 = 2;

/// The error code of a measure error; [`problem_kind`] maps it back to text.
#[must_use]
pub fn error_code(e: &MeasureError) -> i8 {
    match e {
        MeasureError::NotFinite { .. } => 1,
        MeasureError::Negative { .. } => NEGATIVE,
        MeasureError::TooLarge { .. } => 3,
        _ => 4,
    }
}

/// Every non-zero error code, in order.
pub const ERROR_CODES: [i8; 4] = [1, NEGATIVE, 3, 4];

/// The problem text of an error code, the same words the engine's reference loop uses.
#[must_use]
pub fn problem_kind(code: i8) -> &'static str {
    match code {
        1 => "value is not a finite number",
        NEGATIVE => "negative value where only values ≥ 0 make sense",
        3 => "value too large",
        _ => "value could not be recorded",
    }
}

/// The error code core gives one value: the fixed-point check first, then (for
/// percentiles) the histogram check, in the order `MeasureState::observe` runs them.
#[must_use]
pub fn value_code(v: f64, histogram: bool) -> i8 {
    if let Err(e) = to_milli(v) {
        return error_code(&e);
    }
    if histogram && let Err(e) = LogHistogram::bucket_of(v) {
        return error_code(&e);
    }
    OK
}

/// The code of a bucket, for an `Int32` column.
#[must_use]
pub fn bucket_code(b: Bucket) -> i32 {
    match b {
        Bucket::Zero => ZERO_BUCKET,
        Bucket::Log(i) => i,
    }
}

/// The bucket of a code made by [`bucket_code`].
#[must_use]
pub fn bucket_from_code(code: i32) -> Bucket {
    if code == ZERO_BUCKET {
        Bucket::Zero
    } else {
        Bucket::Log(code)
    }
}

/// Which per-row function a [`RowFn`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    Num,
    ElapsedMs,
    Check,
    CheckHistogram,
    Milli,
    MilliSq,
    Bucket,
}

/// One per-row function; see the module documentation.
#[derive(Debug, PartialEq, Eq, Hash)]
struct RowFn {
    op: Op,
    name: &'static str,
    signature: Signature,
}

impl RowFn {
    fn new(op: Op, name: &'static str) -> RowFn {
        let args = match op {
            Op::ElapsedMs => vec![DataType::Int64, DataType::Int64],
            _ => vec![DataType::Float64],
        };
        RowFn {
            op,
            name,
            signature: Signature::exact(args, Volatility::Immutable),
        }
    }
}

fn decimal(values: Vec<Option<i128>>) -> DfResult<ArrayRef> {
    Ok(Arc::new(
        Decimal128Array::from(values).with_precision_and_scale(DECIMAL_PRECISION, 0)?,
    ))
}

impl ScalarUDFImpl for RowFn {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(match self.op {
            Op::Num | Op::ElapsedMs => DataType::Float64,
            Op::Check | Op::CheckHistogram => DataType::Int8,
            Op::Milli | Op::MilliSq => DataType::Decimal128(DECIMAL_PRECISION, 0),
            Op::Bucket => DataType::Int32,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let out: ArrayRef = if self.op == Op::ElapsedMs {
            let (Some(a), Some(b)) = (arrays.first(), arrays.get(1)) else {
                return exec_err!("{} takes two arguments", self.name);
            };
            let (a, b) = (a.as_primitive::<Int64Type>(), b.as_primitive::<Int64Type>());
            let out: Float64Array = a
                .iter()
                .zip(b.iter())
                .map(|(a, b)| Some((i128::from(b?) - i128::from(a?)) as f64))
                .collect();
            Arc::new(out)
        } else {
            let Some(v) = arrays.first() else {
                return exec_err!("{} takes one argument", self.name);
            };
            let v = v.as_primitive::<Float64Type>().iter();
            match self.op {
                Op::Num => Arc::new(
                    v.map(|v| v.filter(|x| !x.is_nan()).map(|x| x + 0.0))
                        .collect::<Float64Array>(),
                ),
                Op::Check | Op::CheckHistogram => {
                    let hist = self.op == Op::CheckHistogram;
                    Arc::new(
                        v.map(|v| v.map(|x| value_code(x, hist)))
                            .collect::<Int8Array>(),
                    )
                }
                Op::Milli => decimal(
                    v.map(|v| v.and_then(|x| to_milli(x).ok()).map(i128::from))
                        .collect(),
                )?,
                Op::MilliSq => decimal(
                    v.map(|v| {
                        let m = i128::from(to_milli(v?).ok()?);
                        Some(m * m)
                    })
                    .collect(),
                )?,
                Op::Bucket => Arc::new(
                    v.map(|v| LogHistogram::bucket_of(v?).ok().map(bucket_code))
                        .collect::<Int32Array>(),
                ),
                Op::ElapsedMs => return exec_err!("unreachable"),
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

macro_rules! row_fn {
    ($(#[$doc:meta])* $fn_name:ident, $op:expr, $sql:literal) => {
        $(#[$doc])*
        pub fn $fn_name(args: Vec<Expr>) -> Expr {
            static UDF: LazyLock<Arc<ScalarUDF>> =
                LazyLock::new(|| Arc::new(ScalarUDF::from(RowFn::new($op, $sql))));
            UDF.call(args)
        }
    };
}

row_fn!(
    /// `num(x)`: NaN → NULL, −0 → +0, so that DataFusion's comparisons agree with core's.
    num_call,
    Op::Num,
    "ys_num"
);
row_fn!(
    /// `elapsed_ms(a, b)`: `(b − a)` in `i128`, then as `f64` (NULL if either is NULL).
    elapsed_ms_call,
    Op::ElapsedMs,
    "ys_elapsed_ms"
);
row_fn!(
    /// `check(v)`: the error code of a value to sum (NULL for NULL).
    check_call,
    Op::Check,
    "ys_check"
);
row_fn!(
    /// `check_histogram(v)`: the error code of a value to sum and record in a histogram.
    check_histogram_call,
    Op::CheckHistogram,
    "ys_check_histogram"
);
row_fn!(
    /// `milli(v)`: core's fixed-point value (NULL for NULL or a value core rejects).
    milli_call,
    Op::Milli,
    "ys_milli"
);
row_fn!(
    /// `milli_sq(v)`: the square of `milli(v)`, exact.
    milli_sq_call,
    Op::MilliSq,
    "ys_milli_sq"
);
row_fn!(
    /// `bucket(v)`: core's histogram bucket as a code (NULL for NULL or rejected values).
    bucket_call,
    Op::Bucket,
    "ys_bucket"
);

/// Wraps a number for comparison: see [`num_call`]. Literals are folded here.
#[must_use]
pub fn num(e: Expr) -> Expr {
    match e {
        Expr::Literal(ScalarValue::Float64(v), meta) => Expr::Literal(
            ScalarValue::Float64(v.filter(|x| !x.is_nan()).map(|x| x + 0.0)),
            meta,
        ),
        other => num_call(vec![other]),
    }
}

/// Serialises histogram counts as (i32 code, u64 count) little-endian pairs.
fn encode(hist: &LogHistogram) -> Vec<u8> {
    let mut out = Vec::new();
    for (bucket, count) in hist.iter() {
        out.extend_from_slice(&bucket_code(bucket).to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
    }
    out
}

/// Decodes [`encode`]d histogram counts into a histogram.
///
/// # Errors
/// When the bytes are not whole pairs or hold an index outside core's scale.
pub fn decode_into(bytes: &[u8], hist: &mut LogHistogram) -> Result<(), String> {
    if !bytes.len().is_multiple_of(12) {
        return Err(format!(
            "histogram state of {} bytes is not whole pairs",
            bytes.len()
        ));
    }
    for pair in bytes.chunks_exact(12) {
        let (code, count) = pair.split_at(4);
        let code = i32::from_le_bytes(code.try_into().map_err(|_| "bad bucket bytes")?);
        let count = u64::from_le_bytes(count.try_into().map_err(|_| "bad count bytes")?);
        hist.record_bucket(bucket_from_code(code), count)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The aggregate `ys_histogram(bucket_code)`: counts non-NULL bucket codes into core's
/// [`LogHistogram`], returned (and merged between partitions) as [`encode`]d bytes.
#[derive(Debug, PartialEq, Eq, Hash)]
struct HistogramAgg {
    signature: Signature,
}

impl AggregateUDFImpl for HistogramAgg {
    fn name(&self) -> &str {
        "ys_histogram"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Binary)
    }

    fn accumulator(&self, _acc_args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        Ok(Box::new(HistogramAcc::default()))
    }
}

/// Accumulator of [`HistogramAgg`]: the bucket counts of one group.
#[derive(Debug, Default)]
struct HistogramAcc {
    counts: BTreeMap<i32, u64>,
}

impl HistogramAcc {
    fn hist(&self) -> DfResult<LogHistogram> {
        let mut hist = LogHistogram::new();
        for (&code, &count) in &self.counts {
            if let Err(e) = hist.record_bucket(bucket_from_code(code), count) {
                return exec_err!("{e}");
            }
        }
        Ok(hist)
    }

    fn bytes(&self) -> DfResult<ScalarValue> {
        Ok(ScalarValue::Binary(Some(encode(&self.hist()?))))
    }
}

impl Accumulator for HistogramAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        let Some(codes) = values.first() else {
            return exec_err!("ys_histogram takes one argument");
        };
        for code in codes.as_primitive::<Int32Type>().iter().flatten() {
            let slot = self.counts.entry(code).or_insert(0);
            *slot = slot.saturating_add(1);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        self.bytes()
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.counts.len() * (size_of::<i32>() + size_of::<u64>() + 16)
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        Ok(vec![self.bytes()?])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let Some(states) = states.first() else {
            return exec_err!("ys_histogram state has one column");
        };
        let states: &BinaryArray = states.as_binary();
        for bytes in states.iter().flatten() {
            let mut hist = LogHistogram::new();
            if let Err(e) = decode_into(bytes, &mut hist) {
                return exec_err!("{e}");
            }
            for (bucket, count) in hist.iter() {
                let slot = self.counts.entry(bucket_code(bucket)).or_insert(0);
                *slot = slot.saturating_add(count);
            }
        }
        Ok(())
    }
}

/// `ys_histogram(code)`; see [`HistogramAgg`].
pub fn histogram_call(code: Expr) -> Expr {
    static UDAF: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| {
        Arc::new(AggregateUDF::from(HistogramAgg {
            signature: Signature::exact(vec![DataType::Int32], Volatility::Immutable),
        }))
    });
    UDAF.call(vec![code])
}
