//! Spreadsheets (`.xlsx`, `.xls`, `.ods`) through calamine: one sheet (the first, or
//! the one named) read as a table whose first non-empty row is the header.
//!
//! A thread of its own reads the workbook and hands rows over in chunks through a
//! bounded channel, so memory holds what calamine needs and a few chunks: an `.xlsx`
//! sheet streams cell by cell from its compressed XML (calamine keeps the workbook's
//! shared strings), while `.xls` and `.ods` sheets are loaded whole by calamine (`.xls`
//! holds at most 65 536 rows). Cells become text as the canonical formats write it:
//! numbers without a needless `.0`, booleans `true`/`false`, date cells as ISO local
//! dates and times (`2021-01-01 09:12:58`; a date alone `2021-01-01`, a time of day
//! alone `09:12:58`), error cells as cell errors. A header with merged cells (a group
//! title over several columns) is refused with the cells named: its columns have no
//! names of their own. Rows are placed as `sheet N row M` (the sheet's place in the
//! workbook, the row's number as the spreadsheet shows it); messages about a cell name
//! its column letter.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use calamine::{Data, DataRef, Dimensions, Reader, Xls, Xlsx, open_workbook};
use yardstick_core::i18n::Msg;
use yardstick_core::records::RecordKind;

use super::{Columns, Format, Origin, RawRow, RowSource, Segment, header_index};
use crate::import::cuts::Cutting;
use crate::import::error::ImportError;

/// Rows handed over at once.
const CHUNK: usize = 1024;

/// Chunks in flight.
const IN_FLIGHT: usize = 4;

/// Which kind of workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::import) enum Book {
    Xlsx,
    Xls,
    Ods,
}

impl Book {
    /// The kind of workbook of an extension (lower case).
    pub(in crate::import) fn of(ext: &str) -> Option<Book> {
        match ext {
            "xlsx" | "xlsm" => Some(Book::Xlsx),
            "xls" => Some(Book::Xls),
            "ods" => Some(Book::Ods),
            _ => None,
        }
    }
}

/// A sheet of a workbook, as a format.
pub(in crate::import) struct Sheet {
    pub(in crate::import) book: Book,
    /// The sheet's name (or 1-based number); the first sheet when `None`.
    pub(in crate::import) sheet: Option<String>,
}

impl Format for Sheet {
    fn cutting(&self) -> Cutting {
        Cutting::Lines
    }

    fn segmentable(&self) -> bool {
        false
    }

    fn described(&self) -> (Option<String>, Option<String>) {
        (None, Some(self.sheet.clone().unwrap_or_else(|| "1".into())))
    }

    fn open<'a>(
        &self,
        path: &'a Path,
        kind: RecordKind,
        _segment: Option<Segment>,
    ) -> Result<Box<dyn RowSource + 'a>, ImportError> {
        Ok(Box::new(SheetSource::open(
            path,
            self.book,
            self.sheet.as_deref(),
            Columns::Kind(kind),
        )?))
    }
}

/// One row of a sheet: its 0-based number and its cells by 0-based column.
struct SheetRow {
    row: u32,
    cells: Vec<String>,
    /// Error cells: column and the error's text (`#N/A`).
    errors: Vec<(usize, String)>,
}

/// What the reading thread sends: the header row (first), then chunks of rows.
enum Message {
    Header {
        sheet_no: u32,
        sheet: String,
        row: SheetRow,
    },
    Rows(Vec<SheetRow>),
}

/// The rows of one sheet.
pub(in crate::import) struct SheetSource {
    rx: Receiver<Result<Message, ImportError>>,
    pending: std::vec::IntoIter<SheetRow>,
    header: Vec<String>,
    index: Vec<Option<usize>>,
    ignored: Vec<String>,
    sheet_no: u32,
    /// Rows handed out (progress: a workbook's bytes are compressed).
    rows: u64,
    done: bool,
}

impl SheetSource {
    /// Opens the sheet and reads its header row.
    ///
    /// # Errors
    /// An unreadable workbook, an unknown sheet (the sheets are listed), an empty sheet,
    /// merged header cells, and for canonical columns the missing required fields.
    pub(in crate::import) fn open(
        path: &Path,
        book: Book,
        sheet: Option<&str>,
        cols: Columns,
    ) -> Result<SheetSource, ImportError> {
        let (tx, rx) = sync_channel(IN_FLIGHT);
        let owned = path.to_path_buf();
        let wanted = sheet.map(str::to_string);
        std::thread::Builder::new()
            .name("sheet-reader".into())
            .spawn(move || {
                if let Err(e) = read_book(&owned, book, wanted.as_deref(), &tx) {
                    let _ = tx.send(Err(e));
                }
            })
            .map_err(|e| sheet_error(path, Msg::new("engine.sheet.thread").arg("detail", e)))?;
        let first = rx
            .recv()
            .map_err(|_| sheet_error(path, Msg::new("engine.sheet.reader_stopped")))??;
        let Message::Header {
            sheet_no,
            sheet,
            row,
        } = first
        else {
            return Err(sheet_error(path, Msg::new("engine.sheet.rows_first")));
        };
        let header: Vec<String> = row.cells.iter().map(|c| c.trim().to_string()).collect();
        let (index, ignored) = header_index(path, cols, &header).map_err(|e| match e {
            ImportError::MissingColumns {
                path,
                kind,
                missing,
                found,
            } => ImportError::MissingColumns {
                path: format!("{path} (sheet `{sheet}`)"),
                kind,
                missing,
                found,
            },
            other => other,
        })?;
        Ok(SheetSource {
            rx,
            pending: Vec::new().into_iter(),
            header,
            index,
            ignored,
            sheet_no,
            rows: 0,
            done: false,
        })
    }

    /// The header's cells, trimmed, by column.
    pub(in crate::import) fn header(&self) -> &[String] {
        &self.header
    }
}

impl RowSource for SheetSource {
    fn next_row(&mut self, row: &mut RawRow) -> Result<bool, ImportError> {
        loop {
            if let Some(r) = self.pending.next() {
                self.fill(&r, row);
                self.rows += 1;
                return Ok(true);
            }
            if self.done {
                return Ok(false);
            }
            match self.rx.recv() {
                Ok(Ok(Message::Rows(rows))) => self.pending = rows.into_iter(),
                Ok(Ok(Message::Header { .. })) => {}
                Ok(Err(e)) => return Err(e),
                // The thread ends by dropping its sender after the last rows.
                Err(_) => self.done = true,
            }
        }
    }

    fn bytes_read(&self) -> u64 {
        self.rows
    }

    fn ignored_columns(&self) -> Vec<String> {
        self.ignored.clone()
    }
}

impl SheetSource {
    fn fill(&self, r: &SheetRow, row: &mut RawRow) {
        let original = csv_line(&r.cells);
        row.reset(
            Origin::Cell {
                sheet: self.sheet_no,
                row: r.row + 1,
            },
            self.index.len(),
            &original,
            original.len(),
        );
        for (f, i) in self.index.iter().enumerate() {
            let Some(i) = *i else { continue };
            if let Some(cell) = r.cells.get(i) {
                row.cells.set(f, cell);
            }
            if let Some((_, e)) = r.errors.iter().find(|(c, _)| *c == i) {
                let name = self.header.get(i).map_or("", String::as_str);
                row.cell_errors.push((
                    f,
                    format!(
                        "column {} `{name}`: the cell holds the error {e}",
                        letters(i)
                    ),
                ));
            }
        }
        if r.cells.len() > self.header.len()
            && r.cells[self.header.len()..]
                .iter()
                .any(|c| !c.trim().is_empty())
        {
            row.shape = Some(format!(
                "row has cells past the header's last column ({})",
                letters(self.header.len().saturating_sub(1))
            ));
        }
    }
}

/// Column letters of a 0-based column: 0 → A, 25 → Z, 26 → AA.
pub(in crate::import) fn letters(col: usize) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    // At most 4 letters for the columns a sheet can have; the loop ends as n shrinks.
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + u8::try_from(rem).unwrap_or(0));
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The cells as one CSV line (the quarantine file's `original` column).
fn csv_line(cells: &[String]) -> String {
    let mut out = String::new();
    let last = cells
        .iter()
        .rposition(|c| !c.is_empty())
        .map_or(0, |i| i + 1);
    for (i, c) in cells[..last].iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if c.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&c.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(c);
        }
    }
    out
}

fn sheet_error(path: &Path, message: Msg) -> ImportError {
    ImportError::Sheet {
        path: path.display().to_string(),
        message,
    }
}

/// The sheet named (or numbered, from 1) among `names`, with its 0-based place.
fn pick(path: &Path, names: &[String], wanted: Option<&str>) -> Result<(u32, String), ImportError> {
    let found = match wanted {
        None => names.first().map(|n| (0, n.clone())),
        Some(w) => names
            .iter()
            .position(|n| n == w)
            .or_else(|| {
                w.parse::<usize>()
                    .ok()
                    .filter(|n| (1..=names.len()).contains(n))
                    .map(|n| n - 1)
            })
            .map(|i| (i, names[i].clone())),
    };
    match found {
        Some((i, n)) => Ok((u32::try_from(i).unwrap_or(u32::MAX), n)),
        None => Err(sheet_error(
            path,
            match wanted {
                Some(w) => Msg::new("engine.sheet.unknown")
                    .arg("sheet", w)
                    .arg("sheets", names.join(", ")),
                None => Msg::new("engine.sheet.none"),
            },
        )),
    }
}

/// The merged regions that take in the header row, as `A1:C1` ranges.
fn merged_in_header(merges: &[Dimensions], header_row: u32) -> Vec<String> {
    merges
        .iter()
        .filter(|d| d.start.0 <= header_row && header_row <= d.end.0)
        .map(|d| {
            format!(
                "{}{}:{}{}",
                letters(d.start.1 as usize),
                d.start.0 + 1,
                letters(d.end.1 as usize),
                d.end.0 + 1
            )
        })
        .collect()
}

/// Reads the workbook on the reading thread, sending the header, then the rows.
fn read_book(
    path: &PathBuf,
    book: Book,
    wanted: Option<&str>,
    tx: &SyncSender<Result<Message, ImportError>>,
) -> Result<(), ImportError> {
    let open_err = |e: &dyn std::fmt::Display| {
        sheet_error(path, Msg::new("engine.sheet.unreadable").arg("detail", e))
    };
    match book {
        Book::Xlsx => {
            let mut wb: Xlsx<BufReader<File>> = open_workbook(path).map_err(|e| open_err(&e))?;
            let (no, name) = pick(path, &wb.sheet_names(), wanted)?;
            let merges = wb
                .merge_cells_by_sheet_name(&name)
                .map_err(|e| open_err(&e))?;
            let mut cells = wb.worksheet_cells_reader(&name).map_err(|e| open_err(&e))?;
            let mut rows = Rows::new(tx, path, no, name, merges);
            while let Some(cell) = cells.next_cell().map_err(|e| open_err(&e))? {
                let (r, c) = cell.get_position();
                let (text, error) = ref_text(cell.get_value());
                if !rows.push(r, c as usize, text, error)? {
                    return Ok(());
                }
            }
            rows.finish()
        }
        Book::Xls => {
            let mut wb: Xls<BufReader<File>> = open_workbook(path).map_err(|e| open_err(&e))?;
            let (no, name) = pick(path, &wb.sheet_names(), wanted)?;
            let merges = wb.merge_cells_by_sheet_name(&name).unwrap_or_default();
            let range = wb.worksheet_range(&name).map_err(|e| open_err(&e))?;
            send_range(Rows::new(tx, path, no, name, merges), &range)
        }
        Book::Ods => {
            let mut wb: calamine::Ods<BufReader<File>> =
                open_workbook(path).map_err(|e| open_err(&e))?;
            let (no, name) = pick(path, &wb.sheet_names(), wanted)?;
            let range = wb.worksheet_range(&name).map_err(|e| open_err(&e))?;
            // calamine does not read `.ods` merges: a header whose named cells have an
            // empty one between them over a column that holds values is taken for a
            // merged title.
            let gaps = header_gaps(&range);
            if !gaps.is_empty() {
                return Err(sheet_error(
                    path,
                    Msg::new("engine.sheet.header_gaps")
                        .arg("sheet", &name)
                        .arg("cells", gaps.join(", ")),
                ));
            }
            send_range(Rows::new(tx, path, no, name, Vec::new()), &range)
        }
    }
}

/// Sends a sheet loaded whole.
fn send_range(mut rows: Rows<'_>, range: &calamine::Range<Data>) -> Result<(), ImportError> {
    let (r0, c0) = range.start().unwrap_or((0, 0));
    for (i, row) in range.rows().enumerate() {
        let r = r0 + u32::try_from(i).unwrap_or(u32::MAX);
        for (j, d) in row.iter().enumerate() {
            let (text, error) = data_text(d);
            if !rows.push(r, c0 as usize + j, text, error)? {
                return Ok(());
            }
        }
    }
    rows.finish()
}

/// Empty cells of the first non-empty row between its first and last named cells, over
/// which the next non-empty row has a value, as `C1` names.
fn header_gaps(range: &calamine::Range<Data>) -> Vec<String> {
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let filled = |row: &[Data]| row.iter().any(|d| !matches!(d, Data::Empty));
    let mut nonempty = range.rows().enumerate().filter(|(_, r)| filled(r));
    let (Some((hi, header)), Some((_, next))) = (nonempty.next(), nonempty.next()) else {
        return Vec::new();
    };
    let named: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, d)| !data_text(d).0.trim().is_empty())
        .map(|(i, _)| i)
        .collect();
    let (Some(&first), Some(&last)) = (named.first(), named.last()) else {
        return Vec::new();
    };
    let row_no = r0 as usize + hi + 1;
    (first..last)
        .filter(|&i| {
            data_text(&header[i]).0.trim().is_empty()
                && next.get(i).is_some_and(|d| !matches!(d, Data::Empty))
        })
        .map(|i| format!("{}{row_no}", letters(c0 as usize + i)))
        .collect()
}

/// Gathers cells into rows and sends them: the first non-empty row as the header (after
/// checking no merged region takes it in), the others in chunks.
struct Rows<'t> {
    tx: &'t SyncSender<Result<Message, ImportError>>,
    path: &'t Path,
    sheet_no: u32,
    sheet: String,
    merges: Vec<Dimensions>,
    current: Option<SheetRow>,
    chunk: Vec<SheetRow>,
    header_sent: bool,
}

impl<'t> Rows<'t> {
    fn new(
        tx: &'t SyncSender<Result<Message, ImportError>>,
        path: &'t Path,
        sheet_no: u32,
        sheet: String,
        merges: Vec<Dimensions>,
    ) -> Rows<'t> {
        Rows {
            tx,
            path,
            sheet_no,
            sheet,
            merges,
            current: None,
            chunk: Vec::with_capacity(CHUNK),
            header_sent: false,
        }
    }

    /// Adds a cell (cells come row by row); `false` when the receiver is gone.
    fn push(
        &mut self,
        r: u32,
        c: usize,
        text: String,
        error: Option<String>,
    ) -> Result<bool, ImportError> {
        if self.current.as_ref().is_some_and(|cur| cur.row != r)
            && let Some(done) = self.current.take()
            && !self.row_done(done)?
        {
            return Ok(false);
        }
        let cur = self.current.get_or_insert_with(|| SheetRow {
            row: r,
            cells: Vec::new(),
            errors: Vec::new(),
        });
        if cur.cells.len() <= c {
            cur.cells.resize(c + 1, String::new());
        }
        cur.cells[c] = text;
        if let Some(e) = error {
            cur.errors.push((c, e));
        }
        Ok(true)
    }

    fn row_done(&mut self, row: SheetRow) -> Result<bool, ImportError> {
        if row.cells.iter().all(|c| c.trim().is_empty()) && row.errors.is_empty() {
            return Ok(true);
        }
        if !self.header_sent {
            let merged = merged_in_header(&self.merges, row.row);
            if !merged.is_empty() {
                return Err(sheet_error(
                    self.path,
                    Msg::new("engine.sheet.merged_header")
                        .arg("sheet", &self.sheet)
                        .arg("cells", merged.join(", ")),
                ));
            }
            self.header_sent = true;
            return Ok(self
                .tx
                .send(Ok(Message::Header {
                    sheet_no: self.sheet_no,
                    sheet: self.sheet.clone(),
                    row,
                }))
                .is_ok());
        }
        self.chunk.push(row);
        if self.chunk.len() >= CHUNK {
            let full = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
            return Ok(self.tx.send(Ok(Message::Rows(full))).is_ok());
        }
        Ok(true)
    }

    fn finish(mut self) -> Result<(), ImportError> {
        if let Some(last) = self.current.take()
            && !self.row_done(last)?
        {
            return Ok(());
        }
        if !self.header_sent {
            return Err(sheet_error(
                self.path,
                Msg::new("engine.sheet.empty").arg("sheet", &self.sheet),
            ));
        }
        if !self.chunk.is_empty() {
            let _ = self
                .tx
                .send(Ok(Message::Rows(std::mem::take(&mut self.chunk))));
        }
        Ok(())
    }
}

/// A number as the canonical formats write it: no `.0` on a whole number.
fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation, reason = "whole and below 1e15")]
        let n = x as i64;
        n.to_string()
    } else {
        x.to_string()
    }
}

/// A date cell's text: a date, a time of day, or both (see the module's comment).
fn date_text(d: &calamine::ExcelDateTime) -> String {
    let (y, mo, da, h, mi, s, ms) = d.to_ymd_hms_milli();
    let v = d.as_f64();
    let time = if ms > 0 {
        format!("{h:02}:{mi:02}:{s:02}.{ms:03}")
    } else {
        format!("{h:02}:{mi:02}:{s:02}")
    };
    if d.is_duration() {
        // A duration cell ([h]:mm:ss): total hours, minutes, seconds.
        let total = (v * 86_400.0).round();
        #[allow(clippy::cast_possible_truncation, reason = "a duration in seconds")]
        let t = total as i64;
        return format!("{}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60);
    }
    if (0.0..1.0).contains(&v) {
        time
    } else if v.fract() == 0.0 {
        format!("{y:04}-{mo:02}-{da:02}")
    } else {
        format!("{y:04}-{mo:02}-{da:02} {time}")
    }
}

/// ODS ISO texts: a date-time as it is (with `T`), a duration `PT09H12M58S` as
/// `09:12:58`.
fn iso_duration(s: &str) -> String {
    let body = s.trim_start_matches("PT");
    let mut h = 0u64;
    let mut m = 0u64;
    let mut sec = String::from("0");
    let mut num = String::new();
    for ch in body.chars() {
        match ch {
            'H' => h = num.parse().unwrap_or(0),
            'M' => m = num.parse().unwrap_or(0),
            'S' => sec.clone_from(&num),
            _ => {
                num.push(ch);
                continue;
            }
        }
        num.clear();
    }
    let (whole, frac) = sec.split_once('.').unwrap_or((&sec, ""));
    let whole: u64 = whole.parse().unwrap_or(0);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{h:02}:{m:02}:{whole:02}")
    } else {
        format!("{h:02}:{m:02}:{whole:02}.{frac}")
    }
}

fn ref_text(d: &DataRef<'_>) -> (String, Option<String>) {
    match d {
        DataRef::Int(i) => (i.to_string(), None),
        DataRef::Float(x) => (number(*x), None),
        DataRef::String(s) => (s.clone(), None),
        DataRef::SharedString(s) => ((*s).to_string(), None),
        DataRef::Bool(b) => (b.to_string(), None),
        DataRef::DateTime(t) => (date_text(t), None),
        DataRef::DateTimeIso(s) => (s.clone(), None),
        DataRef::DurationIso(s) => (iso_duration(s), None),
        DataRef::Error(e) => (String::new(), Some(e.to_string())),
        DataRef::Empty => (String::new(), None),
    }
}

fn data_text(d: &Data) -> (String, Option<String>) {
    match d {
        Data::Int(i) => (i.to_string(), None),
        Data::Float(x) => (number(*x), None),
        Data::String(s) => (s.clone(), None),
        Data::Bool(b) => (b.to_string(), None),
        Data::DateTime(t) => (date_text(t), None),
        Data::DateTimeIso(s) => (s.clone(), None),
        Data::DurationIso(s) => (iso_duration(s), None),
        Data::Error(e) => (String::new(), Some(e.to_string())),
        Data::Empty => (String::new(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_and_cell_texts() {
        assert_eq!(letters(0), "A");
        assert_eq!(letters(25), "Z");
        assert_eq!(letters(26), "AA");
        assert_eq!(letters(701), "ZZ");
        assert_eq!(letters(702), "AAA");
        assert_eq!(number(109.0), "109");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(-3.0), "-3");
        assert_eq!(iso_duration("PT09H12M58S"), "09:12:58");
        assert_eq!(iso_duration("PT00H00M01.500S"), "00:00:01.5");
        assert_eq!(
            csv_line(&["a".into(), "b,c".into(), "say \"hi\"".into(), String::new()]),
            "a,\"b,c\",\"say \"\"hi\"\"\""
        );
        // 44197.38400462963 is 2021-01-01 09:12:58 (44197 = 2021-01-01; 0.38400462963
        // of a day = 33 178 s = 09:12:58); 44197 alone a date; 0.5 noon.
        let t = |v| {
            date_text(&calamine::ExcelDateTime::new(
                v,
                calamine::ExcelDateTimeType::DateTime,
                false,
            ))
        };
        assert_eq!(t(44_197.384_004_629_63), "2021-01-01 09:12:58");
        assert_eq!(t(44_197.0), "2021-01-01");
        assert_eq!(t(0.5), "12:00:00");
    }
}
