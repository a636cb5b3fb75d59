//! Test helpers: a reference row view over record batches, the reference state loop,
//! deterministic pseudo-random prepared batches and hand-made indicators.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMillisecondBuilder, UInt32Builder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMillisecondType, UInt32Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use yardstick_core::expr::{Row, Type, Value, compile};
use yardstick_core::guideline::{
    Compiled, Direction, Guideline, Indicator, Measure, Observed, in_stratum, observe,
};
use yardstick_core::measure::{MeasureError, MeasureState};
use yardstick_core::records::{FieldType, RecordKind};
use yardstick_core::vocab::Text;
use yardstick_query::{DayKey, KindStates};

/// One row of a batch as core's evaluator sees it (what the engine's row view gives).
pub struct BatchRow<'a> {
    pub batch: &'a RecordBatch,
    pub row: usize,
}

impl Row for BatchRow<'_> {
    fn get(&self, field: &str) -> Value {
        let Some(col) = self.batch.column_by_name(field) else {
            return Value::Null;
        };
        if col.is_null(self.row) {
            return Value::Null;
        }
        let r = self.row;
        match col.data_type() {
            DataType::Utf8 => Value::Str(col.as_string::<i32>().value(r).to_owned()),
            DataType::Boolean => Value::Bool(col.as_boolean().value(r)),
            DataType::Float64 => Value::Num(col.as_primitive::<Float64Type>().value(r)),
            DataType::Int64 => Value::Num(col.as_primitive::<Int64Type>().value(r) as f64),
            DataType::Int32 => Value::Num(f64::from(col.as_primitive::<Int32Type>().value(r))),
            DataType::UInt32 => Value::Num(f64::from(col.as_primitive::<UInt32Type>().value(r))),
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                Value::Ts(col.as_primitive::<TimestampMillisecondType>().value(r))
            }
            other => panic!("test batches have no {other} columns"),
        }
    }
}

/// The engine's problem words (crates/engine/src/compute.rs `problem_kind`).
fn problem_kind(e: &MeasureError) -> &'static str {
    match e {
        MeasureError::NotFinite { .. } => "value is not a finite number",
        MeasureError::Negative { .. } => "negative value where only values ≥ 0 make sense",
        MeasureError::TooLarge { .. } => "value too large",
        _ => "value could not be recorded",
    }
}

/// The reference: `observe` for every row, indicator and stratum the row is in.
pub fn reference(
    indicators: &[&Indicator],
    strata: &[Vec<String>],
    batches: &[RecordBatch],
) -> KindStates {
    let mut out = KindStates::default();
    for batch in batches {
        let sites = batch
            .column_by_name("__site")
            .expect("__site")
            .as_primitive::<UInt32Type>();
        let days = batch
            .column_by_name("__day")
            .expect("__day")
            .as_primitive::<Int32Type>();
        for row in 0..batch.num_rows() {
            let view = BatchRow { batch, row };
            for (i, (ind, strata)) in indicators.iter().zip(strata).enumerate() {
                for (k, stratum) in strata.iter().enumerate() {
                    if !in_stratum(stratum, &view) {
                        continue;
                    }
                    let key: DayKey = (
                        sites.value(row),
                        days.value(row),
                        u16::try_from(i).expect("few indicators"),
                        u16::try_from(k).expect("few strata"),
                    );
                    match observe(ind, &view, out.states.entry(key).or_default()) {
                        Ok(Observed::Added | Observed::Filtered) => {}
                        Ok(Observed::Unclassified) => {
                            *out.problems
                                .entry(format!(
                                    "{}: contact neither answered, abandoned nor IVR-contained",
                                    ind.id
                                ))
                                .or_default() += 1;
                        }
                        Err(e) => {
                            *out.problems
                                .entry(format!("{}: {}", ind.id, problem_kind(&e)))
                                .or_default() += 1;
                        }
                    }
                }
            }
        }
    }
    out.states.retain(|_, s| s.n > 0);
    out
}

/// Strata an indicator is computed for: all records plus each target's stratum (the
/// engine's `strata_of`).
pub fn strata_of(g: &Guideline, indicator: &str) -> Vec<String> {
    let mut s: BTreeSet<String> = g
        .targets
        .iter()
        .filter(|t| t.indicator == indicator)
        .map(|t| t.selector.stratum())
        .collect();
    s.insert(String::new());
    s.into_iter().collect()
}

/// Asserts two results are equal, naming the first differing state.
pub fn assert_same(what: &str, got: &KindStates, want: &KindStates, indicators: &[&Indicator]) {
    let keys: BTreeSet<&DayKey> = got.states.keys().chain(want.states.keys()).collect();
    for key in keys {
        let (g, w) = (got.states.get(key), want.states.get(key));
        assert_eq!(
            g,
            w,
            "{what}: state of {} (site {}, day {}, stratum {}) differs (left: DataFusion, right: reference)",
            indicators[usize::from(key.2)].id,
            key.0,
            key.1,
            key.3
        );
    }
    assert_eq!(got.problems, want.problems, "{what}: problems differ");
    assert_eq!(got, want);
}

/// A small deterministic generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).expect("small")).expect("small")
    }

    /// True with probability `percent` %.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Time offsets that sit exactly on the default guideline's thresholds (short abandon
/// 5 s, service level 20 s, 15 min, 24/48/72 h, 15 days) and just beside them.
const EDGES_MS: &[i64] = &[
    0,
    4_999,
    5_000,
    5_001,
    19_999,
    20_000,
    20_001,
    900_000,
    900_001,
    86_400_000,
    86_400_001,
    172_800_000,
    259_200_000,
    1_296_000_000,
    1_296_000_001,
    -1_000,
];

/// Numbers on thresholds, near fixed-point rounding edges, at core's limits (1e10
/// accepted, above it "too large"), negative, tiny (histogram zero bucket) and, rarely,
/// not finite.
const NUMBERS: &[f64] = &[
    0.0,
    -0.0,
    0.0004,
    0.0005,
    0.001,
    1.0,
    1.0005,
    2.5,
    4.0,
    5.0,
    15.0,
    20.0,
    24.0,
    48.0,
    72.0,
    80.0,
    79.999,
    100.0,
    3_600.0,
    1e10,
    1.000_000_000_1e10,
    -3.5,
    -0.0005,
    123.456,
];

/// Pseudo-random prepared rows of `kind`: every field of the kind (derived ones too,
/// numbers as Float64 like the engine's prepared columns), `__site` and `__day`, split
/// into `parts` batches. Required fields are NULL in 3 % of rows (the semantics must
/// hold for them too), optional ones in 5–80 %.
pub fn batches(kind: RecordKind, rows: usize, seed: u64, parts: usize) -> Vec<RecordBatch> {
    let mut rng = Rng::new(seed);
    let defs = kind.fields();
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    let base = 1_700_000_000_000_i64;
    let anchors: Vec<i64> = (0..rows)
        .map(|r| {
            base + i64::try_from(r).expect("small") * 7_919
                + i64::try_from(rng.below(1000)).expect("small")
        })
        .collect();
    for def in defs {
        // Each optional field gets its own NULL rate, different per seed, so that
        // filters needing several fields NULL (`exclusion IS NULL AND ...`) or several
        // present both have populations across the seeds.
        let spread = def
            .name
            .bytes()
            .fold(seed, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        let nullable_pct = if def.required {
            3
        } else {
            [5, 20, 50, 80][usize::try_from(spread % 4).expect("small")]
        };
        let ty = match def.ty {
            FieldType::Int if def.derived => FieldType::Float,
            other => other,
        };
        let (dt, array): (DataType, ArrayRef) = match ty {
            FieldType::Str => {
                let mut b = StringBuilder::new();
                for r in 0..rows {
                    if rng.chance(nullable_pct) {
                        b.append_null();
                    } else if def.name.ends_with("_id") {
                        b.append_value(format!("{}-{r}", def.name));
                    } else {
                        b.append_value(format!("k{}", rng.below(4)));
                    }
                }
                (DataType::Utf8, Arc::new(b.finish()))
            }
            FieldType::Enum(values) => {
                let mut b = StringBuilder::new();
                for _ in 0..rows {
                    if rng.chance(nullable_pct) {
                        b.append_null();
                    } else {
                        b.append_value(rng.pick(values));
                    }
                }
                (DataType::Utf8, Arc::new(b.finish()))
            }
            FieldType::Timestamp => {
                let mut b = TimestampMillisecondBuilder::new().with_timezone("UTC");
                for anchor in &anchors {
                    if rng.chance(nullable_pct) {
                        b.append_null();
                    } else if rng.chance(35) {
                        b.append_value(*anchor);
                    } else if rng.chance(60) {
                        b.append_value(anchor + rng.pick(EDGES_MS));
                    } else {
                        let spread = i64::try_from(rng.below(2_000_000_000)).expect("small");
                        b.append_value(anchor - 3_600_000 + spread);
                    }
                }
                (
                    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
                    Arc::new(b.finish()),
                )
            }
            FieldType::Int => {
                let mut b = Int64Builder::new();
                for _ in 0..rows {
                    if rng.chance(nullable_pct) {
                        b.append_null();
                    } else if rng.chance(70) {
                        b.append_value(rng.pick(&[0, 1, 2, 3, 4, 5, 10, 80, 100, -1]));
                    } else {
                        b.append_value(i64::try_from(rng.below(200)).expect("small"));
                    }
                }
                (DataType::Int64, Arc::new(b.finish()))
            }
            FieldType::Float => {
                let mut b = Float64Builder::new();
                for _ in 0..rows {
                    if rng.chance(nullable_pct) {
                        b.append_null();
                    } else if rng.chance(1) {
                        b.append_value(rng.pick(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY]));
                    } else if rng.chance(60) {
                        b.append_value(rng.pick(NUMBERS));
                    } else {
                        let thousandths = i32::try_from(rng.below(5_000_000)).expect("small");
                        b.append_value(f64::from(thousandths) / 1000.0 + 0.0005);
                    }
                }
                (DataType::Float64, Arc::new(b.finish()))
            }
            FieldType::Bool => {
                let mut b = BooleanBuilder::new();
                for _ in 0..rows {
                    if rng.chance(nullable_pct) {
                        b.append_null();
                    } else {
                        b.append_value(rng.chance(50));
                    }
                }
                (DataType::Boolean, Arc::new(b.finish()))
            }
        };
        fields.push(Field::new(def.name, dt, true));
        columns.push(array);
    }
    let mut site = UInt32Builder::new();
    let mut day = Int32Builder::new();
    for _ in 0..rows {
        site.append_value(u32::try_from(rng.below(3)).expect("small"));
        day.append_value(19_700 + i32::try_from(rng.below(3)).expect("small"));
    }
    fields.push(Field::new("__site", DataType::UInt32, false));
    fields.push(Field::new("__day", DataType::Int32, false));
    columns.push(Arc::new(site.finish()));
    columns.push(Arc::new(day.finish()));
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("valid batch");
    split(&batch, parts)
}

/// Splits a batch into `parts` slices of uneven sizes.
pub fn split(batch: &RecordBatch, parts: usize) -> Vec<RecordBatch> {
    let rows = batch.num_rows();
    let mut out = Vec::new();
    let mut start = 0;
    for p in 0..parts {
        let end = if p + 1 == parts {
            rows
        } else {
            (start + rows / parts + p * 7).min(rows)
        };
        out.push(batch.slice(start, end - start));
        start = end;
    }
    out
}

/// Compiles `src` against `kind` (no parameters).
pub fn compiled(kind: RecordKind, src: &str, want: Type) -> Compiled {
    let expr = compile(src, kind, &BTreeMap::new(), want)
        .unwrap_or_else(|e| panic!("`{src}` does not compile: {e:?}"));
    Compiled {
        src: src.to_owned(),
        expr,
    }
}

/// A hand-made indicator.
pub fn indicator(id: &str, kind: RecordKind, filter: Option<&str>, measure: Measure) -> Indicator {
    Indicator {
        id: id.to_owned(),
        name: Text {
            zh: id.to_owned(),
            en: id.to_owned(),
        },
        scenes: Vec::new(),
        kind,
        filter: filter.map(|f| compiled(kind, f, Type::Bool)),
        measure,
        scale: 1.0,
        unit: String::new(),
        direction: Direction::HigherBetter,
        options: BTreeMap::new(),
        clause: None,
        weight: 1.0,
        min_sample: None,
        note: None,
    }
}

/// Groups states by key for readable failure output.
pub fn sorted(states: &HashMap<DayKey, MeasureState>) -> BTreeMap<DayKey, MeasureState> {
    states.iter().map(|(k, v)| (*k, v.clone())).collect()
}
