//! Buffered writers for the canonical CSV files, one row at a time.
//!
//! Rows are streamed straight to disk so that memory stays flat whatever the period. The
//! writer quotes a cell only when it has to (comma, quote or line break, RFC 4180), writes
//! an empty cell for a null, `true`/`false` for booleans and timestamps in RFC 3339 with
//! the `+08:00` offset.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::DemoError;
use crate::time::{Ts, push_padded, push_rfc3339};

/// One CSV file being written.
pub(crate) struct CsvFile {
    out: BufWriter<File>,
    path: PathBuf,
    line: String,
    at_start: bool,
    rows: u64,
}

impl CsvFile {
    /// Creates the file and writes its header line.
    pub(crate) fn create(path: &Path, header: &[&str]) -> Result<CsvFile, DemoError> {
        let file = File::create(path).map_err(|e| DemoError::io(path, e))?;
        let mut f = CsvFile {
            out: BufWriter::with_capacity(1 << 18, file),
            path: path.to_path_buf(),
            line: String::with_capacity(512),
            at_start: true,
            rows: 0,
        };
        for name in header {
            f.str(name);
        }
        f.flush_line()?;
        Ok(f)
    }

    /// Data rows written so far (the header is not counted).
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    fn sep(&mut self) {
        if self.at_start {
            self.at_start = false;
        } else {
            self.line.push(',');
        }
    }

    /// A text cell, quoted when needed.
    pub(crate) fn str(&mut self, v: &str) -> &mut Self {
        self.sep();
        if v.contains([',', '"', '\n', '\r']) {
            self.line.push('"');
            self.line.push_str(&v.replace('"', "\"\""));
            self.line.push('"');
        } else {
            self.line.push_str(v);
        }
        self
    }

    /// An optional text cell.
    pub(crate) fn opt_str(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            Some(s) => self.str(s),
            None => self.null(),
        }
    }

    /// An empty (null) cell.
    pub(crate) fn null(&mut self) -> &mut Self {
        self.sep();
        self
    }

    /// A timestamp cell.
    pub(crate) fn ts(&mut self, v: Ts) -> &mut Self {
        self.sep();
        push_rfc3339(&mut self.line, v);
        self
    }

    /// An optional timestamp cell.
    pub(crate) fn opt_ts(&mut self, v: Option<Ts>) -> &mut Self {
        match v {
            Some(t) => self.ts(t),
            None => self.null(),
        }
    }

    /// A whole-number cell.
    pub(crate) fn int(&mut self, v: i64) -> &mut Self {
        self.sep();
        if v < 0 {
            self.line.push('-');
        }
        push_padded(&mut self.line, v, 1);
        self
    }

    /// An optional whole-number cell.
    pub(crate) fn opt_int(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            Some(n) => self.int(n),
            None => self.null(),
        }
    }

    /// A boolean cell.
    pub(crate) fn bool(&mut self, v: bool) -> &mut Self {
        self.sep();
        self.line.push_str(if v { "true" } else { "false" });
        self
    }

    /// An optional boolean cell.
    pub(crate) fn opt_bool(&mut self, v: Option<bool>) -> &mut Self {
        match v {
            Some(b) => self.bool(b),
            None => self.null(),
        }
    }

    /// Ends the current row.
    pub(crate) fn end_row(&mut self) -> Result<(), DemoError> {
        self.rows += 1;
        self.flush_line()
    }

    fn flush_line(&mut self) -> Result<(), DemoError> {
        self.line.push('\n');
        self.out
            .write_all(self.line.as_bytes())
            .map_err(|e| DemoError::io(&self.path, e))?;
        self.line.clear();
        self.at_start = true;
        Ok(())
    }

    /// Flushes the buffer to disk.
    pub(crate) fn finish(&mut self) -> Result<(), DemoError> {
        self.out.flush().map_err(|e| DemoError::io(&self.path, e))
    }
}
