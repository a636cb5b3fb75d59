//! A Parquet writer for one month partition of one batch: rows are buffered in Arrow
//! builders and flushed as row groups, so memory stays flat whatever the file size.
//! The file is written under a temporary name and renamed only when complete and
//! synced to disk.

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
use yardstick_core::expr::Value;

use super::ImportError;
use crate::layout::DataDir;

/// Rows buffered before a row group is written.
const ROWS_PER_GROUP: usize = 65_536;

/// Writer of one partition file.
pub(super) struct PartitionWriter {
    rel: String,
    tmp: PathBuf,
    schema: Arc<Schema>,
    builders: Vec<Box<dyn ArrayBuilder>>,
    buffered: usize,
    rows: u64,
    writer: ArrowWriter<File>,
}

fn builder(dt: &DataType) -> Box<dyn ArrayBuilder> {
    match dt {
        DataType::Timestamp(_, _) => {
            Box::new(TimestampMillisecondBuilder::new().with_timezone("UTC"))
        }
        DataType::Int64 => Box::new(Int64Builder::new()),
        DataType::Float64 => Box::new(Float64Builder::new()),
        DataType::Boolean => Box::new(BooleanBuilder::new()),
        _ => Box::new(StringBuilder::new()),
    }
}

impl PartitionWriter {
    pub(super) fn create(
        dir: &DataDir,
        rel: String,
        schema: Arc<Schema>,
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
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let writer =
            ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(failed(&tmp))?;
        let builders = schema
            .fields()
            .iter()
            .map(|f| builder(f.data_type()))
            .collect();
        Ok(PartitionWriter {
            rel,
            tmp,
            schema,
            builders,
            buffered: 0,
            rows: 0,
            writer,
        })
    }

    pub(super) fn push(&mut self, values: Vec<Value>) -> Result<(), ImportError> {
        for (b, v) in self.builders.iter_mut().zip(values) {
            append(b.as_mut(), v);
        }
        self.buffered += 1;
        self.rows += 1;
        if self.buffered >= ROWS_PER_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    /// Rows buffered, not yet written as a row group.
    pub(super) fn buffered(&self) -> usize {
        self.buffered
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
    pub(super) fn finish(mut self, dir: &DataDir) -> Result<(String, u64), ImportError> {
        self.flush()?;
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

fn append(b: &mut dyn ArrayBuilder, v: Value) {
    let any = b.as_any_mut();
    if let Some(b) = any.downcast_mut::<StringBuilder>() {
        match v {
            Value::Str(s) => b.append_value(s),
            _ => b.append_null(),
        }
    } else if let Some(b) = any.downcast_mut::<TimestampMillisecondBuilder>() {
        match v {
            Value::Ts(t) => b.append_value(t),
            _ => b.append_null(),
        }
    } else if let Some(b) = any.downcast_mut::<Int64Builder>() {
        match v {
            #[allow(
                clippy::cast_possible_truncation,
                reason = "integer fields were parsed from i64"
            )]
            Value::Num(x) => b.append_value(x as i64),
            _ => b.append_null(),
        }
    } else if let Some(b) = any.downcast_mut::<Float64Builder>() {
        match v {
            Value::Num(x) => b.append_value(x),
            _ => b.append_null(),
        }
    } else if let Some(b) = any.downcast_mut::<BooleanBuilder>() {
        match v {
            Value::Bool(x) => b.append_value(x),
            _ => b.append_null(),
        }
    }
}
