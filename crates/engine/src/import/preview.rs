//! `mapping check`: a file read through a mapping without storing anything, kind by
//! kind: the first records mapped, the columns no part of the mapping reads, and every
//! row that would be quarantined with its reasons and the columns they come from, with
//! the counts an import would report (less the duplicate-id check, which needs the
//! store).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use yardstick_core::i18n::Msg;
use yardstick_core::mapping::Mapping;
use yardstick_core::org::Organisation;
use yardstick_core::records::RecordKind;

use super::SourceSpec;
use super::check::{Checked, Checker, InstantWindow};
use super::error::ImportError;
use super::source::{self, RawRow};
use crate::schema::stored_fields;

/// Problems listed at most per kind (the rest are counted).
pub const MAX_PROBLEMS: usize = 200;

/// One record kind of a mapping checked against a file.
#[derive(Debug, Clone, Serialize)]
pub struct KindCheck {
    /// The kind.
    pub kind: String,
    /// Rows read.
    pub rows_read: u64,
    /// Rows that would be stored (before the duplicate-id check).
    pub rows_valid: u64,
    /// Rows that would be quarantined.
    pub rows_quarantined: u64,
    /// Rows skipped by filters, by filter name.
    pub ignored: BTreeMap<String, u64>,
    /// The first records, each with where it came from and its fields (name, canonical
    /// text) in the kind's order.
    pub sample: Vec<Sample>,
    /// The file's columns no part of the mapping reads.
    pub unused_columns: Vec<String>,
    /// Rows that would be quarantined, at most [`MAX_PROBLEMS`], in file order.
    pub problems: Vec<Problem>,
    /// Encoding and sheet, as an import reports them.
    pub encoding: Option<String>,
    /// The sheet read, for a workbook.
    pub sheet: Option<String>,
}

/// A record as the mapping makes it.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// `line 2`, `sheet 1 row 3`.
    pub origin: String,
    /// Fields set, with their canonical text.
    pub fields: Vec<(String, String)>,
}

/// A row that would be quarantined.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// `line 5`, `sheet 1 row 7`.
    pub origin: String,
    /// The columns of the fields the reasons name.
    pub columns: Vec<String>,
    /// Every reason.
    pub reasons: Vec<String>,
}

/// Checks `mapping` (every kind it makes, or only `kind`) against the file at `path`,
/// showing at most `sample` records of each kind.
///
/// # Errors
/// Whole-file problems, as an import would meet them (unreadable, the mapping's columns
/// missing, a bad encoding or sheet).
pub fn check_mapping(
    org: &Organisation,
    accept: InstantWindow,
    path: &Path,
    spec: &SourceSpec,
    kind: Option<RecordKind>,
    sample: usize,
) -> Result<Vec<KindCheck>, ImportError> {
    let Some(mapping) = spec.mapping.clone() else {
        return Err(ImportError::Mapping {
            path: path.display().to_string(),
            message: Msg::new("mapping_file.fit.no_mapping"),
        });
    };
    let kinds = match kind {
        Some(k) => vec![k],
        None => mapping.kinds(),
    };
    kinds
        .into_iter()
        .map(|k| check_kind(org, accept, path, spec, &mapping, k, sample))
        .collect()
}

fn check_kind(
    org: &Organisation,
    accept: InstantWindow,
    path: &Path,
    spec: &SourceSpec,
    mapping: &Arc<Mapping>,
    kind: RecordKind,
    sample: usize,
) -> Result<KindCheck, ImportError> {
    let checker = Checker::new(kind, org, accept);
    let format = source::format_of(path, spec, &checker.tz)?;
    let mut src = format.open(path, kind, None)?;
    let fields = stored_fields(kind);
    let record = mapping.record(kind);
    let columns_of = |reason: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let Some(r) = record else { return out };
        for f in &r.fields {
            if mentions(reason, f.field) {
                for c in f.columns() {
                    if !out.contains(&c.name) {
                        out.push(c.name.clone());
                    }
                }
            }
        }
        out
    };
    let (encoding, sheet) = format.described();
    let mut out = KindCheck {
        kind: kind.as_str().to_string(),
        rows_read: 0,
        rows_valid: 0,
        rows_quarantined: 0,
        ignored: BTreeMap::new(),
        sample: Vec::new(),
        unused_columns: Vec::new(),
        problems: Vec::new(),
        encoding,
        sheet,
    };
    let mut row = RawRow::default();
    while src.next_row(&mut row)? {
        out.rows_read += 1;
        match checker.check(&row) {
            Checked::Skipped(rule) => *out.ignored.entry(rule.to_string()).or_default() += 1,
            Checked::Valid(_) => {
                out.rows_valid += 1;
                if out.sample.len() < sample {
                    out.sample.push(Sample {
                        origin: row.origin.to_string(),
                        fields: fields
                            .iter()
                            .enumerate()
                            .filter_map(|(i, f)| {
                                row.cells
                                    .get(i)
                                    .map(|v| (f.name.to_string(), v.to_string()))
                            })
                            .collect(),
                    });
                }
            }
            Checked::Invalid(reasons) => {
                out.rows_quarantined += 1;
                if out.problems.len() < MAX_PROBLEMS {
                    let mut columns = Vec::new();
                    for (code, _) in &reasons {
                        for c in columns_of(code) {
                            if !columns.contains(&c) {
                                columns.push(c);
                            }
                        }
                    }
                    out.problems.push(Problem {
                        origin: row.origin.to_string(),
                        columns,
                        reasons: reasons.into_iter().map(|(_, m)| m).collect(),
                    });
                }
            }
        }
    }
    out.unused_columns = src.ignored_columns();
    Ok(out)
}

/// Whether a reason code names a field as a word (`invalid end_at`, `time order: end_at
/// is before answered_at`, `outcome `answered` needs answered_at`).
fn mentions(code: &str, field: &str) -> bool {
    code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| w == field)
}
