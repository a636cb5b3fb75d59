//! Field mappings as a format: a CSV file or a sheet read as a table of its own columns
//! (the `Table` of `source`), each row turned into the canonical cells of one record
//! kind by a mapping (`yardstick_core::mapping`), compiled once against the table's
//! header (`row`).
//!
//! The row keeps its origin (line, or sheet and row) and its original text, so the
//! quarantine shows what the user's file holds; problems of a cell name its column (and
//! its letter in a sheet). A row a filter skips carries the filter's name. A mapping
//! makes several kinds from one row by being imported once per kind: each import reads
//! the rows and keeps the records of its kind.

mod row;

use std::path::Path;

use chrono_tz::Tz;
use yardstick_core::mapping::Mapping;
use yardstick_core::records::RecordKind;

use super::csv::{Csv, CsvSource};
use super::sheet::{Sheet, SheetSource};
use super::{Columns, Format, RawRow, RowSource, Segment};
use crate::import::check::FastMap;
use crate::import::cuts::Cutting;
use crate::import::error::ImportError;

pub(in crate::import) use row::{Compiled, utc_text};

/// The tables a mapping reads.
pub(in crate::import) enum Table {
    Csv(Csv),
    Sheet(Sheet),
}

/// A mapping over a table, as a format.
pub(in crate::import) struct Mapped<'a> {
    pub(in crate::import) table: Table,
    pub(in crate::import) mapping: &'a Mapping,
    pub(in crate::import) zones: &'a FastMap<String, Tz>,
}

impl Format for Mapped<'_> {
    fn cutting(&self) -> Cutting {
        Cutting::QuoteFreeLines
    }

    fn segmentable(&self) -> bool {
        match &self.table {
            Table::Csv(c) => c.segmentable(),
            Table::Sheet(_) => false,
        }
    }

    fn described(&self) -> (Option<String>, Option<String>) {
        match &self.table {
            Table::Csv(c) => c.described(),
            Table::Sheet(s) => s.described(),
        }
    }

    fn open<'p>(
        &self,
        path: &'p Path,
        kind: RecordKind,
        segment: Option<Segment>,
    ) -> Result<Box<dyn RowSource + 'p>, ImportError> {
        let (inner, header) = open_table(path, &self.table, segment)?;
        let compiled = Compiled::new(
            path,
            self.mapping,
            kind,
            &header,
            self.zones,
            matches!(self.table, Table::Sheet(_)),
        )?;
        Ok(Box::new(MappedSource {
            inner,
            compiled,
            src: RawRow::default(),
        }))
    }
}

/// Opens a table: its rows (cells by column) and its header.
pub(in crate::import) fn open_table<'p>(
    path: &'p Path,
    table: &Table,
    segment: Option<Segment>,
) -> Result<(Box<dyn RowSource + 'p>, Vec<String>), ImportError> {
    Ok(match table {
        Table::Csv(c) => {
            let s = CsvSource::open(path, Columns::Table, c.encoding, segment)?;
            let header = s.header().iter().map(|h| h.trim().to_string()).collect();
            (Box::new(s), header)
        }
        Table::Sheet(sh) => {
            let s = SheetSource::open(path, sh.book, sh.sheet.as_deref(), Columns::Table)?;
            let header = s.header().to_vec();
            (Box::new(s), header)
        }
    })
}

/// The rows of a table, mapped.
struct MappedSource<'p> {
    inner: Box<dyn RowSource + 'p>,
    compiled: Compiled,
    /// The table's row, recycled.
    src: RawRow,
}

impl RowSource for MappedSource<'_> {
    fn next_row(&mut self, row: &mut RawRow) -> Result<bool, ImportError> {
        if !self.inner.next_row(&mut self.src)? {
            return Ok(false);
        }
        self.compiled.apply(&self.src, row);
        Ok(true)
    }

    fn bytes_read(&self) -> u64 {
        self.inner.bytes_read()
    }

    fn ignored_columns(&self) -> Vec<String> {
        self.compiled.unused.clone()
    }
}
