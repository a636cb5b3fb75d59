//! A chunk's columns as the engine reads them: instants by name, text plain or as
//! dictionary codes, stored columns typed on the kept rows, and which rows are in a
//! stratum, decided once per dictionary entry.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMillisecondType};
use arrow_array::{Array, ArrayRef, PrimitiveArray, RecordBatch, StringArray};
use arrow_schema::DataType;

use crate::vector::{self, Cell, Column, NULL_CODE, UNKNOWN};

/// Timestamp columns of a batch by name, in the order given.
pub(super) fn ts_columns<'b>(
    b: &'b RecordBatch,
    names: &[&str],
) -> Vec<&'b arrow_array::PrimitiveArray<TimestampMillisecondType>> {
    names
        .iter()
        .filter_map(|n| b.column_by_name(n))
        .filter_map(|c| c.as_primitive_opt::<TimestampMillisecondType>())
        .collect()
}

pub(super) fn first_ts(
    cols: &[&arrow_array::PrimitiveArray<TimestampMillisecondType>],
    r: usize,
) -> Option<i64> {
    cols.iter().find(|c| !c.is_null(r)).map(|c| c.value(r))
}

/// A text column of a batch: plain, or codes into a dictionary.
#[derive(Debug, Clone, Copy)]
pub(super) enum Texts<'b> {
    Plain(&'b StringArray),
    Dict(&'b PrimitiveArray<Int32Type>, &'b StringArray),
}

impl<'b> Texts<'b> {
    /// The text on row `r`; `None` for NULL. Always inlined: it is a few instructions
    /// called for every row and grouping field in the hot loops (the repeat-flag key
    /// hash among them), where the compiler's own choice depended on how the crate's
    /// code happened to be split into units (a call there cost 1.5 % of an evaluation).
    #[inline(always)]
    pub(super) fn get(self, r: usize) -> Option<&'b str> {
        match self {
            Texts::Plain(a) => (!a.is_null(r)).then(|| a.value(r)),
            Texts::Dict(keys, values) => {
                if keys.is_null(r) {
                    return None;
                }
                let k = usize::try_from(keys.value(r)).ok()?;
                (k < values.len() && !values.is_null(k)).then(|| values.value(k))
            }
        }
    }
}

impl Texts<'_> {
    /// Whether rows `a` and `b` hold the same text, when that is known without reading
    /// the text: both the same dictionary code (neither NULL). `false` means "look".
    #[inline]
    pub(super) fn same_code(self, a: usize, b: usize) -> bool {
        match self {
            Texts::Plain(_) => false,
            Texts::Dict(keys, _) => {
                a < keys.len()
                    && b < keys.len()
                    && keys.is_valid(a)
                    && keys.is_valid(b)
                    && keys.value(a) == keys.value(b)
            }
        }
    }
}

/// A text column of a batch by name, plain or dictionary-encoded.
pub(super) fn text<'b>(b: &'b RecordBatch, name: &str) -> Option<Texts<'b>> {
    let c = b.column_by_name(name)?;
    if let Some(a) = c.as_string_opt::<i32>() {
        return Some(Texts::Plain(a));
    }
    let d = c.as_dictionary_opt::<Int32Type>()?;
    Some(Texts::Dict(d.keys(), d.values().as_string_opt::<i32>()?))
}

/// A stored column's values on the kept rows, typed; NULL everywhere when the file
/// lacks it.
pub(in crate::compute) fn stored<'b>(col: Option<&'b ArrayRef>, keep: &[usize]) -> Column<'b> {
    let Some(col) = col else {
        return Column::Same(Cell::Null);
    };
    let valid = |a: &dyn Array| -> Vec<bool> {
        // The validity bitmap, taken once (see `mark_present`).
        match a.nulls().filter(|n| n.null_count() > 0) {
            None => vec![true; keep.len()],
            Some(n) => keep.iter().map(|r| n.is_valid(*r)).collect(),
        }
    };
    match col.data_type() {
        DataType::Dictionary(_, _) => {
            let Some(d) = col.as_dictionary_opt::<Int32Type>() else {
                return Column::Same(Cell::Null);
            };
            let Some(values) = d.values().as_string_opt::<i32>() else {
                return Column::Same(Cell::Null);
            };
            let keys = d.keys();
            let raw = keys.values();
            let code = |r: usize| u32::try_from(raw[r]).unwrap_or(NULL_CODE);
            let codes = if keys.null_count() == 0 {
                keep.iter().map(|r| code(*r)).collect()
            } else {
                keep.iter()
                    .map(|r| {
                        if keys.is_null(*r) {
                            NULL_CODE
                        } else {
                            code(*r)
                        }
                    })
                    .collect()
            };
            Column::Dict(codes, values)
        }
        DataType::Utf8 => {
            let a = col.as_string::<i32>();
            Column::Rows(
                keep.iter()
                    .map(|r| {
                        if a.is_null(*r) {
                            Cell::Null
                        } else {
                            Cell::Str(a.value(*r))
                        }
                    })
                    .collect(),
            )
        }
        DataType::Timestamp(_, _) => match col.as_primitive_opt::<TimestampMillisecondType>() {
            Some(a) => {
                let v = a.values();
                Column::Times(keep.iter().map(|r| v[*r]).collect(), valid(a))
            }
            None => Column::Same(Cell::Null),
        },
        #[allow(clippy::cast_precision_loss, reason = "record integers are small")]
        DataType::Int64 => {
            let a = col.as_primitive::<Int64Type>();
            let v = a.values();
            Column::Nums(keep.iter().map(|r| v[*r] as f64).collect(), valid(a))
        }
        DataType::Float64 => {
            let a = col.as_primitive::<Float64Type>();
            let v = a.values();
            Column::Nums(keep.iter().map(|r| v[*r]).collect(), valid(a))
        }
        DataType::Boolean => {
            let a = col.as_boolean();
            Column::Bools(
                keep.iter()
                    .map(|r| {
                        if a.is_null(*r) {
                            UNKNOWN
                        } else {
                            u8::from(a.value(*r))
                        }
                    })
                    .collect(),
            )
        }
        _ => Column::Same(Cell::Null),
    }
}

/// Which of `n` rows are in a stratum: every condition holds (text equal to the wanted
/// value, or NULL where NULL counts as it); decided once per dictionary entry.
pub(super) fn stratum_mask(
    test: Option<&Vec<(usize, String, bool)>>,
    fields: &[Column<'_>],
    n: usize,
) -> Vec<bool> {
    let Some(parts) = test else {
        return vec![false; n];
    };
    let mut mask = vec![true; n];
    for (slot, want, null_matches) in parts {
        let holds = |c: Cell<'_>| match c {
            Cell::Str(s) => s == want,
            Cell::Null => *null_matches,
            _ => false,
        };
        match fields.get(*slot) {
            Some(Column::Dict(codes, values)) if codes.len() >= n && values.len() <= n.max(64) => {
                let table: Vec<bool> = (0..values.len())
                    .map(|k| {
                        holds(vector::dict_cell(
                            values,
                            u32::try_from(k).unwrap_or(NULL_CODE),
                        ))
                    })
                    .collect();
                let null = holds(Cell::Null);
                for (m, c) in mask.iter_mut().zip(codes) {
                    *m &= table.get(*c as usize).copied().unwrap_or(null);
                }
            }
            Some(c) => {
                for (j, m) in mask.iter_mut().enumerate() {
                    *m &= holds(c.at(j));
                }
            }
            None => {
                if !holds(Cell::Null) {
                    return vec![false; n];
                }
            }
        }
    }
    mask
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::DictionaryArray;

    use super::*;

    #[test]
    fn dictionary_text_reads_as_codes_and_nulls() {
        // Keys [1, NULL, 0, 1] into ["voice", "chat"]: chat, NULL, voice, chat.
        let keys = PrimitiveArray::<Int32Type>::from(vec![Some(1), None, Some(0), Some(1)]);
        let values = Arc::new(StringArray::from(vec!["voice", "chat"]));
        let dict: ArrayRef = Arc::new(DictionaryArray::new(keys, values));
        let batch = RecordBatch::try_from_iter([("channel", Arc::clone(&dict))]).expect("batch");
        let texts = text(&batch, "channel").expect("a text column");
        let got: Vec<Option<&str>> = (0..4).map(|r| texts.get(r)).collect();
        assert_eq!(got, [Some("chat"), None, Some("voice"), Some("chat")]);
        // Kept rows 3, 1, 2 as a column: codes 1, NULL, 0.
        let col = stored(Some(&dict), &[3, 1, 2]);
        assert!(matches!(&col, Column::Dict(codes, _) if codes == &[1, NULL_CODE, 0]));
        let cells: Vec<Cell<'_>> = (0..3).map(|j| col.at(j)).collect();
        assert_eq!(cells, [Cell::Str("chat"), Cell::Null, Cell::Str("voice")]);
        // A stratum on it: only the rows whose text is "chat".
        assert_eq!(
            stratum_mask(Some(&vec![(0, "chat".to_string(), false)]), &[col], 3),
            [true, false, false]
        );
        // Rows 0 and 3 share code 1; row 1 is NULL, so it matches nothing, itself
        // included; past the end nothing matches. A plain column never says "same".
        assert!(texts.same_code(0, 3));
        assert!(!texts.same_code(0, 2));
        assert!(!texts.same_code(1, 1));
        assert!(!texts.same_code(0, 1));
        assert!(!texts.same_code(3, 4));
        let plain = StringArray::from(vec!["chat", "chat"]);
        assert!(!Texts::Plain(&plain).same_code(0, 1));
    }
}
