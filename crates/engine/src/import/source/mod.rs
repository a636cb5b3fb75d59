//! The source seam: every input format turns its input into canonical rows.
//!
//! A [`Format`] opens a file as a [`RowSource`], which fills one [`RawRow`] at a time:
//! the text of each field of the record kind (cells aligned with
//! `schema::stored_fields`, by field index), cells that cannot be text at all, what is
//! wrong with the row's shape, where the row came from ([`Origin`]: a line, or a sheet
//! and row) and the row's original text, byte for byte, for the quarantine file.
//! Everything after that (checking, the duplicate-id check, storing, quarantining,
//! accounting) is the same for every format and knows none of them.
//!
//! Formats: CSV in any of the encodings `decode` reads (`csv`), JSON Lines (`jsonl`),
//! spreadsheets (`sheet`), and field mappings over a CSV or a sheet read as a table of
//! its own columns (`mapped`). A new format (Asterisk `queue_log`) plugs in the same way:
//! it implements [`RowSource`] for its input and [`Format`] to open it, and adds itself
//! to [`format_of`]. A row a format leaves out on purpose (a mapping's filter) is still
//! a row: it carries the name of the rule that skips it ([`RawRow::skip`]) and is
//! counted under it. Only what a format can do faster stays inside it: CSV and
//! JSON Lines say how a large file may be cut into segments read on all cores
//! ([`Format::cutting`]) and read such a segment line by line, and CSV reads only the
//! site and id cells in the first pass of the duplicate-id check
//! ([`RowSource::for_each_key`]).

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use yardstick_core::i18n::Msg;
use yardstick_core::records::RecordKind;

use super::SourceSpec;
use super::check::FastMap;
use super::cuts::Cutting;
use super::error::{ImportError, io};
use crate::schema::stored_fields;

pub(super) mod csv;
pub(super) mod decode;
pub(super) mod jsonl;
pub(super) mod mapped;
pub(super) mod queue_log;
pub(super) mod sheet;

/// An input format.
pub(super) trait Format: Sync {
    /// How a large file of this format may be cut into segments that are read on their
    /// own, on all cores.
    fn cutting(&self) -> Cutting;

    /// Whether a file of this format may be cut at all (not a workbook, not UTF-16).
    fn segmentable(&self) -> bool {
        true
    }

    /// How the report describes the input when it is not plain UTF-8 text: the encoding
    /// (`GB18030 (detected)`), the sheet read.
    fn described(&self) -> (Option<String>, Option<String>) {
        (None, None)
    }

    /// Opens `path`, whole or only `segment` of it, as rows of `kind`.
    ///
    /// # Errors
    /// Whole-file problems found at the start: unreadable, missing columns, a header
    /// that is not UTF-8.
    fn open<'a>(
        &self,
        path: &'a Path,
        kind: RecordKind,
        segment: Option<Segment>,
    ) -> Result<Box<dyn RowSource + 'a>, ImportError>;

    /// The ignored columns of a file read in segments, from each segment's (in file
    /// order): by default the first segment's, as every segment shares one header.
    fn join_ignored(&self, parts: Vec<Vec<String>>) -> Vec<String> {
        parts.into_iter().next().unwrap_or_default()
    }
}

/// The format of a file, by its extension, read as `spec` says (encoding, sheet, field
/// mapping); `zones` are the sites' time zones (a mapping reads local times in them).
///
/// # Errors
/// [`ImportError::UnknownFormat`] for an extension no format reads; an unknown encoding;
/// a mapping over JSON Lines.
pub(super) fn format_of<'a>(
    path: &Path,
    spec: &'a SourceSpec,
    zones: &'a FastMap<String, chrono_tz::Tz>,
) -> Result<Box<dyn Format + 'a>, ImportError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let sheet = || {
        spec.sheet
            .clone()
            .or_else(|| spec.mapping.as_ref().and_then(|m| m.sheet.clone()))
    };
    let encoding = || {
        let label = spec
            .encoding
            .as_deref()
            .or_else(|| spec.mapping.as_ref().and_then(|m| m.encoding.as_deref()));
        decode::detect(path, label)
    };
    if let Some(q) = &spec.queue_log {
        return Ok(Box::new(queue_log::QueueLog {
            spec: Arc::clone(q),
        }));
    }
    let table = match (ext.as_str(), sheet::Book::of(&ext)) {
        (_, Some(book)) => mapped::Table::Sheet(sheet::Sheet {
            book,
            sheet: sheet(),
        }),
        ("csv", _) => mapped::Table::Csv(csv::Csv {
            encoding: encoding()?,
        }),
        ("jsonl" | "ndjson", _) if spec.mapping.is_none() => return Ok(Box::new(jsonl::JsonLines)),
        ("jsonl" | "ndjson", _) => {
            return Err(ImportError::Mapping {
                path: path.display().to_string(),
                message: Msg::new("mapping_file.fit.not_json_lines"),
            });
        }
        _ => return Err(ImportError::UnknownFormat(path.display().to_string())),
    };
    Ok(match (&spec.mapping, table) {
        (Some(m), table) => Box::new(mapped::Mapped {
            table,
            mapping: m,
            zones,
        }),
        (None, mapped::Table::Csv(c)) => Box::new(c),
        (None, mapped::Table::Sheet(s)) => Box::new(s),
    })
}

/// Rows of one input, one at a time.
pub(super) trait RowSource {
    /// Fills `row` with the next row of the input; `false` at its end. `row` is recycled
    /// from an earlier row: every part of it must be set (see [`RawRow::reset`]).
    ///
    /// # Errors
    /// A problem that fails the whole file (bytes that are not UTF-8, a broken file).
    fn next_row(&mut self, row: &mut RawRow) -> Result<bool, ImportError>;

    /// Bytes of the input read so far (for progress).
    fn bytes_read(&self) -> u64;

    /// The input's columns that are not fields of the kind, as the report lists them;
    /// complete once [`RowSource::next_row`] has returned `false`.
    fn ignored_columns(&self) -> Vec<String>;

    /// Calls `each` with the position and the site and id cells (fields `site` and
    /// `id`; an empty id when the kind has none) of every row, and `progress` with the
    /// bytes read now and then: the first pass of the duplicate-id check. A row whose
    /// cells are not both text may be left out.
    ///
    /// # Errors
    /// As [`RowSource::next_row`], and what `each` returns.
    fn for_each_key(
        &mut self,
        site: usize,
        id: Option<usize>,
        each: &mut dyn FnMut(u64, &str, &str) -> Result<(), ImportError>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), ImportError> {
        every_key(self, site, id, each, progress)
    }
}

/// [`RowSource::for_each_key`] from whole rows.
pub(super) fn every_key<S: RowSource + ?Sized>(
    src: &mut S,
    site: usize,
    id: Option<usize>,
    each: &mut dyn FnMut(u64, &str, &str) -> Result<(), ImportError>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), ImportError> {
    let mut row = RawRow::default();
    let mut n = 0u64;
    while src.next_row(&mut row)? {
        let cell = |i: Option<usize>| i.and_then(|i| row.cells.get(i)).unwrap_or("");
        if row.skip.is_some() {
            // Counted as read, but no record: no key.
            each(row.origin.pos(), "", "")?;
        } else {
            each(row.origin.pos(), cell(Some(site)), cell(id))?;
        }
        n += 1;
        if n.is_multiple_of(PROGRESS_ROWS) {
            progress(src.bytes_read());
        }
    }
    progress(src.bytes_read());
    Ok(())
}

/// Rows read between two progress reports.
pub(super) const PROGRESS_ROWS: u64 = 65_536;

/// Where a row came from in the user's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Origin {
    /// The line a row of a text file starts on (1-based, counting the header and blank
    /// lines).
    Line(u64),
    /// A spreadsheet row: the sheet's number in the workbook (0-based) and the row's
    /// (1-based).
    Cell { sheet: u32, row: u32 },
}

impl Default for Origin {
    fn default() -> Origin {
        Origin::Line(0)
    }
}

impl Origin {
    /// The row's position in the input, increasing from row to row: the duplicate-id
    /// check notes rows by it.
    pub(super) fn pos(self) -> u64 {
        match self {
            Origin::Line(n) => n,
            Origin::Cell { sheet, row } => (u64::from(sheet) << 32) | u64::from(row),
        }
    }

    /// The origin of the row at `pos` of the same input.
    pub(super) fn at(self, pos: u64) -> Origin {
        match self {
            Origin::Line(_) => Origin::Line(pos),
            Origin::Cell { .. } => Origin::Cell {
                sheet: u32::try_from(pos >> 32).unwrap_or(u32::MAX),
                row: u32::try_from(pos & u64::from(u32::MAX)).unwrap_or(u32::MAX),
            },
        }
    }

    /// The origin as the quarantine file's first column gives it: a line number, or
    /// `sheet N row M` (sheets counted from 1).
    pub(super) fn cell(self) -> String {
        match self {
            Origin::Line(n) => n.to_string(),
            Origin::Cell { sheet, row } => format!("sheet {} row {row}", u64::from(sheet) + 1),
        }
    }
}

impl std::fmt::Display for Origin {
    /// In a sentence: `line 12`, `sheet 2 row 5`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Line(n) => write!(f, "line {n}"),
            Origin::Cell { .. } => f.write_str(&self.cell()),
        }
    }
}

/// One data row: text cells aligned with the kind's stored fields, or what is wrong with
/// its shape.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct RawRow {
    /// Where the row came from.
    pub(super) origin: Origin,
    pub(super) cells: Cells,
    /// Cells that cannot be text at all (a JSON object or array), by field index.
    pub(super) cell_errors: Vec<(usize, String)>,
    /// The row's shape is broken (wrong cell count, not a JSON object).
    pub(super) shape: Option<String>,
    /// The name of the rule that skips this row on purpose (a mapping's filter): it is
    /// neither stored nor quarantined, and counted under the name.
    #[serde(skip)]
    pub(super) skip: Option<Arc<str>>,
}

impl RawRow {
    /// The row exactly as it was in the input, without its line terminator.
    pub(super) fn original(&self) -> &str {
        self.cells.text.get(..self.cells.original).unwrap_or("")
    }

    /// Makes this (recycled) row a new row of `fields` fields from `origin` whose
    /// original text is `original`, with room for `more` bytes of cells after it; no
    /// cell set, no cell error, no shape problem.
    pub(super) fn reset(&mut self, origin: Origin, fields: usize, original: &str, more: usize) {
        self.origin = origin;
        self.cells.reset(fields, original, more);
        self.cell_errors.clear();
        self.shape = None;
        self.skip = None;
    }
}

/// The original text of a row and its cells, by field index, in one string (one
/// allocation a row, not one a cell). A cell that stands verbatim in the original (an
/// unquoted CSV cell) is a range of it; other cells follow the original.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Cells {
    pub(super) text: String,
    /// Length of the original row at the start of `text`.
    pub(super) original: usize,
    /// Byte range of each field's cell in `text`; `None` when the row has no such cell.
    pub(super) spans: Vec<Option<(usize, usize)>>,
}

/// Text a recycled row keeps room for (see [`Cells::reset`]). Rows in flight are
/// bounded, so recycled buffers take a few MiB at most.
const RECYCLED_TEXT: usize = 1024;

impl Cells {
    /// Makes these the cells of another row, keeping the buffers (a row's buffers are
    /// recycled from row to row) unless they grew past [`RECYCLED_TEXT`]: a long row
    /// does not leave its buffer to every later one.
    pub(super) fn reset(&mut self, fields: usize, original: &str, more: usize) {
        if self.text.capacity() > RECYCLED_TEXT {
            self.text = String::new();
        }
        self.text.clear();
        self.text.reserve(original.len() + more);
        self.text.push_str(original);
        self.original = original.len();
        self.spans.clear();
        self.spans.resize(fields, None);
    }

    /// Adds field `i`'s cell after the text so far.
    pub(super) fn set(&mut self, i: usize, cell: &str) {
        let start = self.text.len();
        self.text.push_str(cell);
        self.set_span(i, (start, self.text.len()));
    }

    /// Field `i`'s cell is the text at `span` (a range of the original).
    pub(super) fn set_span(&mut self, i: usize, span: (usize, usize)) {
        if let Some(s) = self.spans.get_mut(i) {
            *s = Some(span);
        }
    }

    pub(super) fn span(&self, i: usize) -> Option<(usize, usize)> {
        self.spans.get(i).copied().flatten()
    }

    pub(super) fn get(&self, i: usize) -> Option<&str> {
        let (a, b) = self.span(i)?;
        self.text.get(a..b)
    }

    pub(super) fn len(&self) -> usize {
        self.spans.len()
    }
}

/// A byte range of a file whose rows can be read on their own: it starts at a line's
/// start (`first_line`, 1-based) and ends at one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Segment {
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) first_line: u64,
}

impl Segment {
    /// The whole file, as a segment.
    pub(super) const WHOLE: Segment = Segment {
        start: 0,
        end: u64::MAX,
        first_line: 1,
    };

    /// The segment's bytes of the file at `path`.
    pub(super) fn open(&self, path: &Path) -> Result<std::io::Take<File>, ImportError> {
        use std::io::Seek;
        let mut file = File::open(path).map_err(io(path))?;
        if self.start > 0 {
            file.seek(std::io::SeekFrom::Start(self.start))
                .map_err(io(path))?;
        }
        Ok(file.take(self.end - self.start))
    }
}

/// What a source's columns are: the fields of a kind (a canonical file), or the
/// columns as they are (a table a mapping reads).
#[derive(Debug, Clone, Copy)]
pub(super) enum Columns {
    Kind(RecordKind),
    Table,
}

/// For each cell of a row, the column of `header` holding it, and the columns ignored:
/// for a kind, see [`columns`]; for a table, every column as it is (a header cell named
/// twice is refused all the same).
///
/// # Errors
/// As [`columns`].
pub(super) fn header_index(
    path: &Path,
    cols: Columns,
    header: &[String],
) -> Result<(Vec<Option<usize>>, Vec<String>), ImportError> {
    match cols {
        Columns::Kind(kind) => columns(path, kind, header),
        Columns::Table => {
            twice(path, header)?;
            Ok(((0..header.len()).map(Some).collect(), Vec::new()))
        }
    }
}

/// Refuses a header naming a column twice.
fn twice(path: &Path, header: &[String]) -> Result<(), ImportError> {
    for (i, h) in header.iter().enumerate() {
        let h = h.trim();
        if !h.is_empty() && header[..i].iter().any(|x| x.trim() == h) {
            return Err(ImportError::Malformed {
                path: path.display().to_string(),
                line: 1,
                message: Msg::new("engine.column_twice").arg("column", h),
            });
        }
    }
    Ok(())
}

/// For each field of `kind`, the column of `header` holding it, and the header's
/// columns that are no field (ignored).
///
/// # Errors
/// A column named twice, or required fields without a column.
pub(super) fn columns(
    path: &Path,
    kind: RecordKind,
    header: &[String],
) -> Result<(Vec<Option<usize>>, Vec<String>), ImportError> {
    let fields = stored_fields(kind);
    twice(path, header)?;
    let index: Vec<Option<usize>> = fields
        .iter()
        .map(|f| header.iter().position(|h| h.trim() == f.name))
        .collect();
    let missing: Vec<&str> = fields
        .iter()
        .zip(&index)
        .filter(|(f, i)| f.required && i.is_none())
        .map(|(f, _)| f.name)
        .collect();
    if !missing.is_empty() {
        let found = if header.iter().all(|h| h.trim().is_empty()) {
            "none (the file is empty or its first line is blank)".to_string()
        } else {
            header.join(", ")
        };
        return Err(ImportError::MissingColumns {
            path: path.display().to_string(),
            kind: kind.as_str().to_string(),
            missing: missing.join(", "),
            found,
        });
    }
    let ignored = header
        .iter()
        .filter(|h| !h.trim().is_empty() && !fields.iter().any(|f| f.name == h.trim()))
        .cloned()
        .collect();
    Ok((index, ignored))
}

#[cfg(test)]
mod tests {
    use super::Origin;

    #[test]
    fn an_origin_is_its_position_and_back() {
        // Lines are their own positions; a spreadsheet row's position puts the sheet in
        // the high 32 bits: sheet 1 (the second), row 5 → 2^32 + 5.
        assert_eq!(Origin::Line(12).pos(), 12);
        let cell = Origin::Cell { sheet: 1, row: 5 };
        assert_eq!(cell.pos(), (1 << 32) + 5);
        assert_eq!(Origin::Cell { sheet: 0, row: 9 }.at(cell.pos()), cell);
        assert_eq!(Origin::Line(3).at(7), Origin::Line(7));
        assert_eq!(cell.to_string(), "sheet 2 row 5");
        assert_eq!(Origin::Line(7).to_string(), "line 7");
        assert_eq!(Origin::Line(7).cell(), "7");
        // Positions increase through a workbook: the last row of sheet 0 comes before the
        // first of sheet 1.
        assert!(
            Origin::Cell {
                sheet: 0,
                row: u32::MAX
            }
            .pos()
                < Origin::Cell { sheet: 1, row: 1 }.pos()
        );
    }
}
