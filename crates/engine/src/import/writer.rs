//! A Parquet writer for one month partition of one batch: rows are buffered in Arrow
//! builders and flushed as row groups, so memory stays flat whatever the file size.
//! The file is written under a temporary name and renamed only when complete and
//! synced to disk, like the key index of its rows written next to it (see `keys`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use super::keys::{Entry, index_path, write_index};
use super::sorter::Sorter;
use super::{ImportError, Typed};
use crate::layout::DataDir;

/// Rows buffered before a row group is written.
const ROWS_PER_GROUP: usize = 65_536;

/// Writer of one partition file.
pub(super) struct PartitionWriter {
    rel: String,
    tmp: PathBuf,
    schema: Arc<Schema>,
    builders: Vec<Column>,
    buffered: usize,
    rows: u64,
    writer: ArrowWriter<File>,
    /// Key index entries of the rows with an id, sorted in bounded memory.
    keys: Sorter<Entry>,
    /// Whether any row had an id (kinds without ids get no key index).
    has_keys: bool,
}

/// The builder of one column, by its type.
enum Column {
    Ts(TimestampMillisecondBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Str(StringBuilder),
}

impl Column {
    fn new(dt: &DataType) -> Column {
        match dt {
            DataType::Timestamp(_, _) => {
                Column::Ts(TimestampMillisecondBuilder::new().with_timezone("UTC"))
            }
            DataType::Int64 => Column::Int(Int64Builder::new()),
            DataType::Float64 => Column::Float(Float64Builder::new()),
            DataType::Boolean => Column::Bool(BooleanBuilder::new()),
            _ => Column::Str(StringBuilder::new()),
        }
    }

    /// Appends a cell; one of another type than the column's is NULL (the check typed
    /// each cell by its field, so none is).
    fn append(&mut self, v: Typed, text: &str) {
        match (self, v) {
            (Column::Ts(b), Typed::Ts(t)) => b.append_value(t),
            #[allow(
                clippy::cast_possible_truncation,
                reason = "integer fields were parsed from i64"
            )]
            (Column::Int(b), Typed::Num(x)) => b.append_value(x as i64),
            (Column::Float(b), Typed::Num(x)) => b.append_value(x),
            (Column::Bool(b), Typed::Bool(x)) => b.append_value(x),
            (Column::Str(b), Typed::Str(from, to)) => match text.get(from..to) {
                Some(s) => b.append_value(s),
                None => b.append_null(),
            },
            (Column::Ts(b), _) => b.append_null(),
            (Column::Int(b), _) => b.append_null(),
            (Column::Float(b), _) => b.append_null(),
            (Column::Bool(b), _) => b.append_null(),
            (Column::Str(b), _) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Ts(b) => ArrayBuilder::finish(b),
            Column::Int(b) => ArrayBuilder::finish(b),
            Column::Float(b) => ArrayBuilder::finish(b),
            Column::Bool(b) => ArrayBuilder::finish(b),
            Column::Str(b) => ArrayBuilder::finish(b),
        }
    }
}

impl PartitionWriter {
    pub(super) fn create(
        dir: &DataDir,
        rel: String,
        schema: Arc<Schema>,
        plain: &[&str],
        scratch: &Path,
        index_name: &str,
        budget: usize,
    ) -> Result<PartitionWriter, ImportError> {
        let final_path = dir.abs(&rel);
        let tmp = final_path.with_extension("parquet.tmp");
        if let Some(parent) = tmp.parent() {
            std::fs::create_dir_all(parent).map_err(|source| ImportError::Io {
                path: parent.display().to_string(),
                source,
            })?;
        }
        let file = File::create(&tmp).map_err(|source| ImportError::Io {
            path: tmp.display().to_string(),
            source,
        })?;
        // LZ4 (raw block format): files about as small as Snappy's and faster to read
        // back; evaluation spends a tenth of its time decompressing. Files written with
        // Snappy by earlier versions are still read.
        let props = plain
            .iter()
            .fold(
                WriterProperties::builder().set_compression(Compression::LZ4_RAW),
                |p, c| p.set_column_dictionary_enabled(ColumnPath::from(*c), false),
            )
            .build();
        let writer =
            ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(failed(&tmp))?;
        let builders = schema
            .fields()
            .iter()
            .map(|f| Column::new(f.data_type()))
            .collect();
        let keys = Sorter::new(scratch, index_name, budget);
        Ok(PartitionWriter {
            rel,
            tmp,
            schema,
            builders,
            buffered: 0,
            rows: 0,
            writer,
            keys,
            has_keys: false,
        })
    }

    /// Adds a row: its typed cells, whose text is in `text`.
    pub(super) fn push(&mut self, values: &[Typed], text: &str) -> Result<(), ImportError> {
        for (b, v) in self.builders.iter_mut().zip(values) {
            b.append(*v, text);
        }
        self.buffered += 1;
        self.rows += 1;
        if self.buffered >= ROWS_PER_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    /// Adds the key index entry of a row with an id.
    pub(super) fn push_key(&mut self, e: Entry) -> Result<(), ImportError> {
        self.has_keys = true;
        self.keys.push(e)
    }

    /// Rows buffered, not yet written as a row group.
    pub(super) fn buffered(&self) -> usize {
        self.buffered
    }

    /// Key index entries buffered in memory.
    pub(super) fn keys_buffered(&self) -> usize {
        self.keys.buffered()
    }

    /// Writes the buffered key index entries out as a sorted run.
    pub(super) fn spill_keys(&mut self) -> Result<(), ImportError> {
        self.keys.spill()
    }

    /// Writes the buffered rows as a row group.
    pub(super) fn flush(&mut self) -> Result<(), ImportError> {
        if self.buffered == 0 {
            return Ok(());
        }
        let columns: Vec<ArrayRef> = self.builders.iter_mut().map(|b| b.finish()).collect();
        let batch =
            RecordBatch::try_new(self.schema.clone(), columns).map_err(failed(&self.tmp))?;
        self.writer.write(&batch).map_err(failed(&self.tmp))?;
        self.writer.flush().map_err(failed(&self.tmp))?;
        self.buffered = 0;
        Ok(())
    }

    /// Completes the file: flush, close, fsync, rename to its final name, fsync the
    /// directory. Returns the manifest-relative path and the row count.
    pub(super) fn finish(
        mut self,
        dir: &DataDir,
        sites: &[String],
    ) -> Result<(String, u64), ImportError> {
        self.flush()?;
        if self.has_keys {
            // The key index gets its final name first: a committed file always has one.
            let index = index_path(&dir.abs(&self.rel));
            let tmp = index.with_extension("keys.tmp");
            let keys = std::mem::replace(&mut self.keys, Sorter::new(Path::new(""), "", 1));
            if let Err(e) = write_index(&index, &tmp, keys.finish()?, sites) {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        }
        let file = self.writer.into_inner().map_err(failed(&self.tmp))?;
        file.sync_all().map_err(|source| ImportError::Io {
            path: self.tmp.display().to_string(),
            source,
        })?;
        let final_path = dir.abs(&self.rel);
        std::fs::rename(&self.tmp, &final_path).map_err(|source| ImportError::Io {
            path: final_path.display().to_string(),
            source,
        })?;
        if let Some(parent) = final_path.parent()
            && let Ok(d) = File::open(parent)
        {
            // Persist the rename itself; some file systems need the directory synced.
            let _ = d.sync_all();
        }
        Ok((self.rel, self.rows))
    }

    /// Drops an unfinished file (its run failed).
    pub(super) fn abandon(self) {
        let tmp = self.tmp.clone();
        drop(self);
        // Best effort: a temporary file is never read anyway.
        let _ = std::fs::remove_file(tmp);
    }
}

/// A write failure, with the file it concerns.
fn failed<E: std::fmt::Display>(path: &Path) -> impl Fn(E) -> ImportError + '_ {
    move |e| ImportError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(format!("writing Parquet: {e}")),
    }
}
