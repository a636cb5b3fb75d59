//! CSV with a header line: the rows of a whole file through the `csv` parser (quoted
//! cells, line breaks inside quotes), with each record's exact text and the line it
//! starts on; and the rows of a segment of a file without quote characters, whose lines
//! are split at commas directly (see `cuts`), with the rows, line numbers and errors the
//! parser gives such a file.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use yardstick_core::i18n::Msg;
use yardstick_core::records::RecordKind;

use super::decode::{Input, TextEncoding};
use super::{Columns, Format, Origin, RawRow, RowSource, Segment, header_index};
use crate::import::cuts::Cutting;
use crate::import::error::{ImportError, io};
use crate::parse;

/// CSV files (`.csv`) in an encoding.
pub(in crate::import) struct Csv {
    pub(in crate::import) encoding: TextEncoding,
}

impl Format for Csv {
    fn cutting(&self) -> Cutting {
        Cutting::QuoteFreeLines
    }

    fn segmentable(&self) -> bool {
        self.encoding.ascii_safe()
    }

    fn described(&self) -> (Option<String>, Option<String>) {
        let e = self.encoding;
        ((!e.is_utf8() || e.named).then(|| e.describe()), None)
    }

    fn open<'a>(
        &self,
        path: &'a Path,
        kind: RecordKind,
        segment: Option<Segment>,
    ) -> Result<Box<dyn RowSource + 'a>, ImportError> {
        Ok(Box::new(CsvSource::open(
            path,
            Columns::Kind(kind),
            self.encoding,
            segment,
        )?))
    }
}

/// The rows of a CSV file, or of one segment of it (the header is read from the file's
/// start either way).
pub(in crate::import) struct CsvSource<'a> {
    path: &'a Path,
    label: String,
    header: Vec<String>,
    /// For each field of the kind, its column in the header.
    index: Vec<Option<usize>>,
    ignored: Vec<String>,
    /// Byte range of each cell of the current record (reused from row to row).
    starts: Vec<(usize, usize)>,
    mode: Mode,
}

enum Mode {
    /// The whole file through the parser.
    Parsed {
        rdr: Box<csv::Reader<Tee<Input<File>>>>,
        rec: csv::ByteRecord,
        lines: Lines,
    },
    /// The lines of a segment of a file without quote characters.
    Plain(Plain),
}

struct Plain {
    seg: Segment,
    reader: BufReader<Input<std::io::Take<File>>>,
    /// A line split between two fills of the reader's buffer, put together.
    pending: Vec<u8>,
    /// The last line read.
    line: u64,
    /// Bytes of the segment read.
    read: u64,
}

impl<'a> CsvSource<'a> {
    /// Opens the file (decoded from `encoding`), whole or one segment of it; its
    /// header's columns are the kind's fields, or every column as it is (`Table`).
    pub(in crate::import) fn open(
        path: &'a Path,
        cols: Columns,
        encoding: TextEncoding,
        segment: Option<Segment>,
    ) -> Result<CsvSource<'a>, ImportError> {
        let file = File::open(path).map_err(io(path))?;
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(Tee::new(encoding.reader(file)));
        let label = path.display().to_string();
        let mut rec = csv::ByteRecord::new();
        let mut lines = Lines::default();
        let has_header = rdr
            .read_byte_record(&mut rec)
            .map_err(|e| csv_error(&label, &e))?;
        let end = rdr.position().byte();
        let (header_line, _) = lines.record(rdr.get_mut().take(end));
        let header: Vec<String> = if has_header {
            utf8_cells(&rec)
                .map_err(|_| ImportError::NotUtf8 {
                    path: label.clone(),
                    line: header_line,
                    column: None,
                })?
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let h = if i == 0 {
                        h.trim_start_matches('\u{feff}')
                    } else {
                        h
                    };
                    h.to_string()
                })
                .collect()
        } else {
            Vec::new()
        };
        let (index, ignored) = header_index(path, cols, &header)?;
        let mode = match segment {
            Some(seg) => Mode::Plain(Plain {
                seg,
                reader: BufReader::with_capacity(1 << 20, encoding.reader(seg.open(path)?)),
                pending: Vec::new(),
                line: seg.first_line - 1,
                read: 0,
            }),
            None => Mode::Parsed {
                rdr: Box::new(rdr),
                rec,
                lines,
            },
        };
        Ok(CsvSource {
            path,
            label,
            header,
            index,
            ignored,
            starts: Vec::new(),
            mode,
        })
    }
}

impl CsvSource<'_> {
    /// The header's cells, as written (the first without a byte-order mark).
    pub(in crate::import) fn header(&self) -> &[String] {
        &self.header
    }
}

impl RowSource for CsvSource<'_> {
    fn next_row(&mut self, row: &mut RawRow) -> Result<bool, ImportError> {
        match &mut self.mode {
            Mode::Parsed { rdr, rec, lines } => {
                let cx = Parsed {
                    label: &self.label,
                    header: &self.header,
                    index: &self.index,
                };
                cx.next_row(rdr, rec, lines, &mut self.starts, row)
            }
            Mode::Plain(p) => {
                let cx = Parsed {
                    label: &self.label,
                    header: &self.header,
                    index: &self.index,
                };
                p.next_row(self.path, &cx, &mut self.starts, row)
            }
        }
    }

    fn bytes_read(&self) -> u64 {
        match &self.mode {
            Mode::Parsed { rdr, .. } if rdr.get_ref().inner.decoding() => {
                rdr.get_ref().inner.raw_read()
            }
            Mode::Parsed { rdr, .. } => rdr.position().byte(),
            Mode::Plain(p) if p.reader.get_ref().decoding() => {
                p.seg.start + p.reader.get_ref().raw_read()
            }
            Mode::Plain(p) => p.seg.start + p.read,
        }
    }

    fn ignored_columns(&self) -> Vec<String> {
        self.ignored.clone()
    }

    /// Only the site and id cells, when they are UTF-8: the first pass need not copy
    /// rows.
    fn for_each_key(
        &mut self,
        site: usize,
        id: Option<usize>,
        each: &mut dyn FnMut(u64, &str, &str) -> Result<(), ImportError>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), ImportError> {
        let Mode::Parsed { rdr, rec, lines } = &mut self.mode else {
            // A segment: whole rows (the first pass reads a file whole anyway).
            return super::every_key(self, site, id, each, progress);
        };
        let index = &self.index;
        let mut n = 0u64;
        while rdr
            .read_byte_record(rec)
            .map_err(|e| csv_error(&self.label, &e))?
        {
            let end = rdr.position().byte();
            let (line, body) = lines.record_bytes(rdr.get_mut().take(end));
            let blank = std::str::from_utf8(body).map_or_else(
                |_| String::from_utf8_lossy(body).trim().is_empty(),
                |t| t.trim().is_empty(),
            );
            if blank {
                continue;
            }
            let cell = |f: Option<usize>| {
                f.and_then(|f| index[f])
                    .and_then(|i| rec.get(i))
                    .map_or(Some(""), |b| std::str::from_utf8(b).ok())
            };
            if let (Some(s), Some(i)) = (cell(Some(site)), cell(id)) {
                each(line, s, i)?;
            }
            n += 1;
            if n.is_multiple_of(super::PROGRESS_ROWS) {
                progress(end);
            }
        }
        progress(rdr.position().byte());
        Ok(())
    }
}

/// What reading a row needs of the source besides its reader.
struct Parsed<'s> {
    label: &'s str,
    header: &'s [String],
    index: &'s [Option<usize>],
}

impl Parsed<'_> {
    fn not_utf8(&self, line: u64, column: Option<String>) -> ImportError {
        ImportError::NotUtf8 {
            path: self.label.to_string(),
            line,
            column,
        }
    }

    /// The next record of the parser, as a row.
    fn next_row(
        &self,
        rdr: &mut csv::Reader<Tee<Input<File>>>,
        rec: &mut csv::ByteRecord,
        lines: &mut Lines,
        starts: &mut Vec<(usize, usize)>,
        row: &mut RawRow,
    ) -> Result<bool, ImportError> {
        while rdr
            .read_byte_record(rec)
            .map_err(|e| csv_error(self.label, &e))?
        {
            let end = rdr.position().byte();
            let (line, body) = lines.record_bytes(rdr.get_mut().take(end));
            // The cells of a UTF-8 record are UTF-8 too: they are its bytes without
            // quotes. The converse fails only where a quote splits a character
            // (`"T\xC3"\xA9`): the cells are read, and the original is kept with a
            // replacement character.
            let lossy;
            let original = match std::str::from_utf8(body) {
                Ok(text) => text,
                Err(_) => {
                    if let Err(i) = utf8_cells(rec) {
                        let column = column_name(self.header, i);
                        return Err(self.not_utf8(line, Some(column)));
                    }
                    lossy = String::from_utf8_lossy(body).into_owned();
                    lossy.as_str()
                }
            };
            if original.trim().is_empty() {
                // A line of spaces is as blank as an empty line (which the parser
                // skips): neither is a row.
                continue;
            }
            // Without quotes, the record is its cells joined by commas: each cell is a
            // range of the original, and nothing is copied twice.
            let verbatim = !body.contains(&b'"')
                && rec.as_slice().len() + rec.len().saturating_sub(1) == body.len();
            let all = if verbatim {
                ""
            } else {
                std::str::from_utf8(rec.as_slice()).map_err(|_| self.not_utf8(line, None))?
            };
            row.reset(
                Origin::Line(line),
                self.index.len(),
                original,
                if verbatim { 0 } else { all.len() },
            );
            starts.clear();
            let mut at = 0;
            for i in 0..rec.len() {
                let r = rec.range(i).unwrap_or(0..0);
                starts.push(if verbatim {
                    (at, at + r.len())
                } else {
                    (r.start, r.end)
                });
                at += r.len() + 1;
            }
            for (f, i) in self.index.iter().enumerate() {
                let Some(&(a, b)) = i.and_then(|i| starts.get(i)) else {
                    continue;
                };
                if verbatim {
                    row.cells.set_span(f, (a, b));
                } else if let Some(cell) = all.get(a..b) {
                    row.cells.set(f, cell);
                }
            }
            row.shape = shape_problem(line, original, rec.len(), self.header.len());
            return Ok(true);
        }
        Ok(false)
    }
}

impl Plain {
    /// The next row of the segment: every line is a record and every comma ends a cell,
    /// so lines are split directly. Lines are found in the reader's buffer; one split
    /// between two fills is put together in `pending`.
    fn next_row(
        &mut self,
        path: &Path,
        cx: &Parsed<'_>,
        starts: &mut Vec<(usize, usize)>,
        row: &mut RawRow,
    ) -> Result<bool, ImportError> {
        loop {
            let available = self.reader.fill_buf().map_err(io(path))?;
            if available.is_empty() {
                if self.pending.is_empty() {
                    return Ok(false);
                }
                let pending = std::mem::take(&mut self.pending);
                let filled = plain_line(&mut self.line, &mut self.read, &pending, cx, starts, row);
                self.pending = pending;
                self.pending.clear();
                if filled? {
                    return Ok(true);
                }
                continue;
            }
            let (used, ends) = match memchr::memchr(b'\n', available) {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            let filled = if ends && self.pending.is_empty() {
                plain_line(
                    &mut self.line,
                    &mut self.read,
                    &available[..used],
                    cx,
                    starts,
                    row,
                )
            } else {
                self.pending.extend_from_slice(&available[..used]);
                if ends {
                    let f = plain_line(
                        &mut self.line,
                        &mut self.read,
                        &self.pending,
                        cx,
                        starts,
                        row,
                    );
                    self.pending.clear();
                    f
                } else {
                    Ok(false)
                }
            };
            self.reader.consume(used);
            if filled? {
                return Ok(true);
            }
        }
    }
}

/// Reads one line of a quote-free segment (`text`, with its terminator) into `row`;
/// `false` for a blank line (no row, as the parser skips it).
fn plain_line(
    line: &mut u64,
    read: &mut u64,
    text: &[u8],
    cx: &Parsed<'_>,
    starts: &mut Vec<(usize, usize)>,
    row: &mut RawRow,
) -> Result<bool, ImportError> {
    *line += 1;
    *read += text.len() as u64;
    let mut body = text;
    if let Some(b) = body.strip_suffix(b"\n") {
        body = b.strip_suffix(b"\r").unwrap_or(b);
    }
    comma_spans(body, starts);
    let Ok(original) = std::str::from_utf8(body) else {
        let bad = starts
            .iter()
            .position(|(a, z)| std::str::from_utf8(&body[*a..*z]).is_err())
            .unwrap_or(0);
        return Err(cx.not_utf8(*line, Some(column_name(cx.header, bad))));
    };
    if parse::trim(original).is_empty() {
        return Ok(false);
    }
    row.reset(Origin::Line(*line), cx.index.len(), original, 0);
    for (f, i) in cx.index.iter().enumerate() {
        if let Some(&span) = i.and_then(|i| starts.get(i)) {
            row.cells.set_span(f, span);
        }
    }
    // A line of a segment holds no line break (the segment has no quote to hold one).
    row.shape = cell_count_problem(*line, 0, starts.len(), cx.header.len());
    Ok(true)
}

/// The name of CSV column `i`: its header, or `#n` (1-based) past the header.
fn column_name(header: &[String], i: usize) -> String {
    header.get(i).map_or(format!("#{}", i + 1), Clone::clone)
}

/// A reader that keeps the bytes it hands out until they are taken, so that the exact
/// text of each CSV record (and its true line number) is known: the CSV parser reports
/// neither reliably (blank lines shift its line count, and it re-quotes on output).
struct Tee<R> {
    inner: R,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    base: u64,
    /// Index in `buf` of the first byte not taken yet.
    start: usize,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.buf.extend_from_slice(&out[..n]);
        Ok(n)
    }
}

impl<R> Tee<R> {
    fn new(inner: R) -> Tee<R> {
        Tee {
            inner,
            buf: Vec::new(),
            base: 0,
            start: 0,
        }
    }

    /// The bytes from the end of the previous take up to file offset `end`.
    fn take(&mut self, end: u64) -> &[u8] {
        if self.start >= 1 << 16 {
            self.buf.drain(..self.start);
            self.base += self.start as u64;
            self.start = 0;
        }
        let from = self.start;
        let to = usize::try_from(end.saturating_sub(self.base))
            .unwrap_or(usize::MAX)
            .clamp(from, self.buf.len());
        self.start = to;
        &self.buf[from..to]
    }
}

/// Counts lines over consecutive CSV record texts. A line ends with LF, CRLF or a lone
/// CR; a CRLF may be split between two texts (the parser stops after the CR).
#[derive(Default)]
struct Lines {
    breaks: u64,
    after_cr: bool,
}

impl Lines {
    /// The line a record starts on and its text without blank lines before it or its
    /// terminator after it.
    fn record(&mut self, raw: &[u8]) -> (u64, String) {
        let (line, body) = self.record_bytes(raw);
        let text = std::str::from_utf8(body).map_or_else(
            |_| String::from_utf8_lossy(body).into_owned(),
            str::to_string,
        );
        (line, text)
    }

    /// Like [`Lines::record`], the text as bytes.
    fn record_bytes<'r>(&mut self, raw: &'r [u8]) -> (u64, &'r [u8]) {
        let is_eol = |b: &u8| *b == b'\n' || *b == b'\r';
        let lead = raw.iter().take_while(|b| is_eol(b)).count();
        self.count(&raw[..lead]);
        let line = self.breaks + 1;
        self.count(&raw[lead..]);
        let body = &raw[lead..];
        let trail = body.iter().rev().take_while(|b| is_eol(b)).count();
        (line, &body[..body.len() - trail])
    }

    fn count(&mut self, bytes: &[u8]) {
        let Some(&first) = bytes.first() else {
            return;
        };
        // One pass over the text counts LFs and notes CRs.
        let (mut lf, mut cr) = (0u64, false);
        for &b in bytes {
            lf += u64::from(b == b'\n');
            cr |= b == b'\r';
        }
        if !cr {
            // The common case, counted in bulk: only LFs, one of which may end the CR
            // the previous text ended with.
            self.breaks += lf - u64::from(self.after_cr && first == b'\n');
            self.after_cr = false;
            return;
        }
        for b in bytes {
            if *b == b'\r' || (*b == b'\n' && !self.after_cr) {
                self.breaks += 1;
            }
            self.after_cr = *b == b'\r';
        }
    }
}

/// Text of each CSV cell, or the index of the first one that is not UTF-8.
fn utf8_cells(rec: &csv::ByteRecord) -> Result<Vec<&str>, usize> {
    rec.iter()
        .enumerate()
        .map(|(i, b)| std::str::from_utf8(b).map_err(|_| i))
        .collect()
}

/// The byte range of each comma-separated cell of `body` (a line without quotes), into
/// `spans`. The commas are found eight bytes at a time: in a word xor-ed with commas, a
/// comma is a zero byte, and `((x & 0x7f…) + 0x7f…) | x` has the high bit of exactly
/// the non-zero bytes set (the sum cannot carry into the next byte). A row has a comma
/// every few bytes, where a search that starts afresh after each one costs more.
fn comma_spans(body: &[u8], spans: &mut Vec<(usize, usize)>) {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const COMMAS: u64 = 0x2c2c_2c2c_2c2c_2c2c;
    spans.clear();
    let mut at = 0;
    let mut words = body.chunks_exact(8);
    let mut base = 0usize;
    for w in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        let x = u64::from_le_bytes(word) ^ COMMAS;
        // The high bit of each comma byte.
        let mut commas = !(((x & LOW) + LOW) | x | LOW);
        while commas != 0 {
            let i = base + (commas.trailing_zeros() / 8) as usize;
            spans.push((at, i));
            at = i + 1;
            commas &= commas - 1;
        }
        base += 8;
    }
    for (j, c) in words.remainder().iter().enumerate() {
        if *c == b',' {
            spans.push((at, base + j));
            at = base + j + 1;
        }
    }
    spans.push((at, body.len()));
}

/// What is wrong with a CSV record's shape, if anything. A quote left open swallows the
/// rest of the file into one cell; the record then ends inside quotes (an odd number of
/// quote characters), which no well-formed record does.
fn shape_problem(line: u64, original: &str, cells: usize, header: usize) -> Option<String> {
    // Line breaks: LF, CR, or CRLF (one break).
    let b = original.as_bytes();
    let more = if b.contains(&b'\n') || b.contains(&b'\r') {
        b.iter()
            .enumerate()
            .filter(|&(i, c)| *c == b'\n' || (*c == b'\r' && b.get(i + 1) != Some(&b'\n')))
            .count()
    } else {
        0
    };
    if more > 0 && original.matches('"').count() % 2 == 1 {
        return Some(format!(
            "unclosed quote: the row runs from line {line} to the end of the file ({more} more line(s))"
        ));
    }
    cell_count_problem(line, more, cells, header)
}

/// What is wrong with a row of `cells` cells under a header of `header`, the row running
/// over `more` line breaks past its first line.
fn cell_count_problem(line: u64, more: usize, cells: usize, header: usize) -> Option<String> {
    (cells != header).then(|| {
        let mut m = format!("row has {cells} cells, header has {header}");
        if more > 0 {
            m.push_str(&format!(
                " (it runs over lines {line}–{}: a misplaced quote?)",
                line + more as u64
            ));
        }
        m
    })
}

fn csv_error(path: &str, e: &csv::Error) -> ImportError {
    match e.kind() {
        csv::ErrorKind::Io(err) => ImportError::Io {
            path: path.to_string(),
            source: std::io::Error::new(err.kind(), err.to_string()),
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => ImportError::Malformed {
            path: path.to_string(),
            line: e.position().map_or(0, csv::Position::line),
            message: Msg::new("engine.csv_unequal_lengths")
                .arg("fields", len)
                .arg("expected", expected_len),
        },
        _ => ImportError::Malformed {
            path: path.to_string(),
            line: e.position().map_or(0, csv::Position::line),
            message: Msg::new("engine.csv_other").arg("detail", e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::check::{Checked, Checker, Typed};
    use crate::import::source::Cells;
    use crate::import::test_org;
    use crate::schema::stored_fields;
    use yardstick_core::records::RecordKind;

    /// Every row of a CSV file, each read into a row `fresh` gives.
    fn read_all(
        path: &Path,
        fresh: &mut dyn FnMut() -> RawRow,
    ) -> Result<Vec<RawRow>, ImportError> {
        let mut src = CsvSource::open(
            path,
            Columns::Kind(RecordKind::HallTicket),
            TextEncoding::UTF8,
            None,
        )?;
        let mut rows = Vec::new();
        loop {
            let mut row = fresh();
            if !src.next_row(&mut row)? {
                return Ok(rows);
            }
            rows.push(row);
        }
    }

    #[test]
    fn comma_spans_are_found_in_every_byte_of_a_word_and_past_the_last() {
        // Cells of 0 to 9 bytes, so commas land on every position of an eight-byte word
        // and in the tail after the last whole word; also a line of only commas, a line
        // without any, and bytes ≥ 0x80 next to commas (the high bit must not pass for
        // one). Expected spans from splitting on ',' byte by byte.
        let mut lines: Vec<Vec<u8>> = vec![b",,,,,,,,,,,".to_vec(), b"no commas here".to_vec()];
        lines.push(Vec::new());
        for n in 0..10usize {
            let cells: Vec<String> = (0..7).map(|k| "x".repeat((n + k) % 10)).collect();
            lines.push(cells.join(",").into_bytes());
        }
        lines.push("é,ü,\u{ac}\u{2c}".as_bytes().to_vec());
        lines.push(vec![
            0xac, b',', 0xff, 0x2c, 0xac, 0xac, 0xac, 0xac, 0xac, b',',
        ]);
        let mut spans = Vec::new();
        for line in &lines {
            let mut want = Vec::new();
            let mut at = 0;
            for (i, c) in line.iter().enumerate() {
                if *c == b',' {
                    want.push((at, i));
                    at = i + 1;
                }
            }
            want.push((at, line.len()));
            comma_spans(line, &mut spans);
            assert_eq!(spans, want, "{line:?}");
        }
        comma_spans(b"ab,cdefghij,k", &mut spans);
        assert_eq!(spans, [(0, 2), (3, 11), (12, 13)]);
    }

    #[test]
    fn csv_cells_quoted_or_not_read_as_written_and_the_original_line_is_kept() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("t.csv");
        // Line 1 header; line 2 plain cells (with spaces kept in the cell, trimmed only
        // when typed); line 3 blank; line 4 a quoted cell with a comma and a doubled
        // quote; lines 5-6 one record whose quoted cell holds a line break (CRLF); line
        // 7 after a CRLF terminator.
        let text = "site_id,ticket_id,service_type,issued_at,outcome\n\
                    h1, T1 ,payment,2026-10-08 09:15:02,left\n\
                    \n\
                    h1,\"T,2\",\"pay\"\"ment\",2026-10-08 09:16:00,left\n\
                    h1,T3,\"a\r\nb\",2026-10-08 09:17:00,left\r\n\
                    h1,T4,payment,2026-10-08 09:18:00,left\r\n";
        std::fs::write(&path, text).expect("written");
        let rows = read_all(&path, &mut RawRow::default).expect("read");
        // Rows read into recycled rows (each still holding another row's text, cells,
        // errors and shape) are the same rows.
        let dirty = RawRow {
            origin: Origin::Line(99),
            cells: Cells {
                text: "x".repeat(300),
                original: 300,
                spans: vec![Some((0, 300)); 30],
            },
            cell_errors: vec![(1, "stale".into())],
            shape: Some("stale shape".into()),
            skip: Some("stale rule".into()),
        };
        let again = read_all(&path, &mut || dirty.clone()).expect("read");
        assert_eq!(format!("{again:?}"), format!("{rows:?}"));
        let fields = stored_fields(RecordKind::HallTicket);
        let at = |name: &str| fields.iter().position(|f| f.name == name).expect("field");
        let cells = |r: &RawRow| {
            ["site_id", "ticket_id", "service_type"].map(|f| r.cells.get(at(f)).map(str::to_string))
        };
        assert_eq!(rows.len(), 4);
        assert_eq!(
            rows.iter().map(|r| r.origin).collect::<Vec<_>>(),
            [2, 4, 5, 7].map(Origin::Line)
        );
        assert_eq!(
            rows[0].original(),
            "h1, T1 ,payment,2026-10-08 09:15:02,left"
        );
        assert_eq!(
            cells(&rows[0]),
            [
                Some("h1".into()),
                Some(" T1 ".into()),
                Some("payment".into())
            ]
        );
        assert_eq!(
            rows[1].original(),
            "h1,\"T,2\",\"pay\"\"ment\",2026-10-08 09:16:00,left"
        );
        assert_eq!(
            cells(&rows[1]),
            [
                Some("h1".into()),
                Some("T,2".into()),
                Some("pay\"ment".into())
            ]
        );
        assert_eq!(
            rows[2].original(),
            "h1,T3,\"a\r\nb\",2026-10-08 09:17:00,left"
        );
        assert_eq!(cells(&rows[2])[2].as_deref(), Some("a\r\nb"));
        assert!(rows.iter().all(|r| r.shape.is_none()));
        // A typed text cell is the trimmed range of the row's text.
        let org = test_org();
        let checker = Checker::new(RecordKind::HallTicket, &org, Default::default());
        let Checked::Valid(v) = checker.check(&rows[0]) else {
            panic!("row 2 is valid")
        };
        let Typed::Str(a, b) = v.values[at("ticket_id")] else {
            panic!("ticket_id is text")
        };
        assert_eq!(&rows[0].cells.text[a..b], "T1");
    }

    #[test]
    fn a_quote_inside_a_character_keeps_the_row_and_a_bad_cell_fails_the_file() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let read = |bytes: &[u8]| {
            let path = tmp.path().join("t.csv");
            std::fs::write(&path, bytes).expect("written");
            read_all(&path, &mut RawRow::default)
        };
        let header: &[u8] = b"site_id,ticket_id,service_type,issued_at,outcome\n";
        // `"T\xC3"\xA9`: the parser drops the closing quote, so the cell is T + C3 A9,
        // "Té" in UTF-8, while the line's bytes (with the quote between C3 and A9) are
        // not UTF-8. The row is read; its original keeps a replacement character.
        let split = [
            header,
            b"h1,\"T\xC3\"\xA9,payment,2026-10-08 09:15:02,left\n",
        ]
        .concat();
        let rows = read(&split).expect("read");
        let fields = stored_fields(RecordKind::HallTicket);
        let id = fields
            .iter()
            .position(|f| f.name == "ticket_id")
            .expect("id");
        assert_eq!(rows[0].cells.get(id), Some("T\u{e9}"));
        assert_eq!(
            rows[0].original(),
            "h1,\"T\u{fffd}\"\u{fffd},payment,2026-10-08 09:15:02,left"
        );
        // A cell that is not UTF-8 fails the whole file, naming line and column.
        let bad = [header, b"h1,T\xC3,payment,2026-10-08 09:15:02,left\n"].concat();
        match read(&bad) {
            Err(ImportError::NotUtf8 { line, column, .. }) => {
                assert_eq!((line, column.as_deref()), (2, Some("ticket_id")));
            }
            other => panic!("not UTF-8 expected, got {:?}", other.map(|r| r.len())),
        }
    }
}
