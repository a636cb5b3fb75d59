//! JSON Lines (`.jsonl`, `.ndjson`): one JSON object a line, whose keys are the kind's
//! fields; every line is a row, so a file of any content can be cut into segments at
//! line feeds.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;

use yardstick_core::records::{FieldDef, RecordKind};

use super::{Format, Origin, RawRow, RowSource, Segment};
use crate::import::cuts::Cutting;
use crate::import::error::{ImportError, io};
use crate::schema::stored_fields;

/// At most this many unknown JSON keys are listed as ignored columns.
const MAX_IGNORED: usize = 50;

/// The last ignored column listed when there are more.
const MORE_IGNORED: &str = "… (more not listed)";

/// JSON Lines files.
pub(in crate::import) struct JsonLines;

impl Format for JsonLines {
    fn cutting(&self) -> Cutting {
        Cutting::Lines
    }

    fn open<'a>(
        &self,
        path: &'a Path,
        kind: RecordKind,
        segment: Option<Segment>,
    ) -> Result<Box<dyn RowSource + 'a>, ImportError> {
        let seg = segment.unwrap_or(Segment::WHOLE);
        Ok(Box::new(JsonlSource {
            path,
            reader: BufReader::new(seg.open(path)?),
            buf: Vec::new(),
            line: seg.first_line - 1,
            bytes: seg.start,
            fields: stored_fields(kind),
            ignored: BTreeSet::new(),
        }))
    }

    /// Every segment's unknown keys, in key order, as when the file is read whole.
    fn join_ignored(&self, parts: Vec<Vec<String>>) -> Vec<String> {
        let mut keys: BTreeSet<String> = parts.into_iter().flatten().collect();
        let more = keys.remove(MORE_IGNORED);
        listed(keys, more)
    }
}

/// Unknown keys as the report lists them: at most [`MAX_IGNORED`], then a mark when
/// there are more.
fn listed(keys: BTreeSet<String>, more: bool) -> Vec<String> {
    let mut keys: Vec<String> = keys.into_iter().collect();
    if more || keys.len() > MAX_IGNORED {
        keys.truncate(MAX_IGNORED);
        keys.push(MORE_IGNORED.to_string());
    }
    keys
}

/// The rows of a JSON Lines file, or of one segment of it.
struct JsonlSource<'a> {
    path: &'a Path,
    reader: BufReader<std::io::Take<std::fs::File>>,
    buf: Vec<u8>,
    /// The last line read.
    line: u64,
    /// File offset reached.
    bytes: u64,
    fields: Vec<&'static FieldDef>,
    /// Keys that are no field (at most one more than are listed).
    ignored: BTreeSet<String>,
}

impl RowSource for JsonlSource<'_> {
    fn next_row(&mut self, row: &mut RawRow) -> Result<bool, ImportError> {
        loop {
            self.buf.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(io(self.path))?;
            if n == 0 {
                return Ok(false);
            }
            self.line += 1;
            self.bytes += n as u64;
            let text = std::str::from_utf8(&self.buf).map_err(|_| ImportError::NotUtf8 {
                path: self.path.display().to_string(),
                line: self.line,
                column: None,
            })?;
            let text = text.trim_end_matches(['\n', '\r']);
            let text = if self.line == 1 {
                text.trim_start_matches('\u{feff}')
            } else {
                text
            };
            if text.trim().is_empty() {
                continue;
            }
            json_row(row, text, self.line, &self.fields, &mut self.ignored);
            return Ok(true);
        }
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }

    fn ignored_columns(&self) -> Vec<String> {
        listed(self.ignored.clone(), false)
    }
}

/// Fills `row` (a recycled or new one) with the row of a JSON Lines line.
fn json_row(
    row: &mut RawRow,
    text: &str,
    line: u64,
    fields: &[&'static FieldDef],
    ignored: &mut BTreeSet<String>,
) {
    row.reset(Origin::Line(line), fields.len(), text, text.len());
    let obj = match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text) {
        Ok(obj) => obj,
        Err(e) => {
            // serde_json says "at line 1 column N": the line is the file's, not the text's.
            let m = e.to_string();
            let m = m
                .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
                .unwrap_or(&m);
            row.shape = Some(format!("not a JSON object: {m} (column {})", e.column()));
            return;
        }
    };
    for k in obj.keys() {
        if ignored.len() <= MAX_IGNORED && !fields.iter().any(|f| f.name == k.as_str()) {
            ignored.insert(k.clone());
        }
    }
    for (i, f) in fields.iter().enumerate() {
        match obj.get(f.name) {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::String(s)) => row.cells.set(i, s),
            Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                row.cells.set(i, &v.to_string());
            }
            Some(v) => {
                let what = if v.is_array() {
                    "an array"
                } else {
                    "an object"
                };
                row.cell_errors
                    .push((i, format!("{}: {what} is not a {}", f.name, f.ty.name())));
            }
        }
    }
}
