//! The committed files as the engine reads them: their row groups as units of work,
//! footers with dictionary-encoded text read as codes, projected reads checked against
//! the block checksums, and row groups pruned by their footers' time ranges.

use std::fs::File;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Schema};
use chrono::NaiveDate;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::file::statistics::Statistics;
use yardstick_core::records::RecordKind;

use crate::compute::{ComputeError, Scan};
use crate::manifest::StoredFile;
use crate::schema::anchor_fields;

/// Rows per chunk read from a file.
const CHUNK_ROWS: usize = 8_192;

/// The units of the period's files (`files`) that can hold a row of the period: the
/// range of at least one anchor field in the row group's statistics meets the period,
/// widened by two days either side for any site's time zone. A file of the month after
/// a monthly period is thus read only as far as its first days.
pub(super) fn in_period(
    scan: &Scan<'_>,
    units: &[Unit],
    metas: &[ArrowReaderMetadata],
    files: &[usize],
) -> Vec<Unit> {
    let ms = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis())
    };
    let lo = ms(scan.period.from - chrono::Days::new(2));
    let hi = ms(scan.period.to + chrono::Days::new(3));
    units
        .iter()
        .filter(|u| files.contains(&u.file))
        .filter(|u| may_hold(&metas[u.file], u.group, anchor_fields(scan.kind), lo, hi))
        .copied()
        .collect()
}

/// Whether row group `group` can hold a row whose first set field of `fields` (instants,
/// ms) lies in `lo..=hi`, by the footer's statistics: some field's range must meet it. A
/// field the file lacks, or whose values are all NULL, holds none; a field without
/// statistics might hold anything.
pub(super) fn may_hold(
    meta: &ArrowReaderMetadata,
    group: usize,
    fields: &[&str],
    lo: i64,
    hi: i64,
) -> bool {
    let rg = meta.metadata().row_group(group);
    fields.iter().any(|name| {
        let Some(c) = rg
            .columns()
            .iter()
            .find(|c| c.column_path().string() == *name)
        else {
            return false;
        };
        match c.statistics() {
            Some(Statistics::Int64(s)) => match (s.min_opt(), s.max_opt()) {
                (Some(a), Some(z)) => *a <= hi && *z >= lo,
                _ => s
                    .null_count_opt()
                    .is_none_or(|nulls| i64::try_from(nulls).ok() != Some(c.num_values())),
            },
            _ => true,
        }
    })
}

/// Indexes of the files whose rows can fall in the period (a file holds one local month
/// at import; two days' margin either side covers a site whose time zone changed since).
pub(super) fn period_files(scan: &Scan<'_>) -> Vec<usize> {
    let from = scan.period.from - chrono::Days::new(2);
    let to = scan.period.to + chrono::Days::new(2);
    let months = crate::compute::months_touching(from, to);
    (0..scan.files.len())
        .filter(|i| months.contains(&scan.files[*i].month))
        .collect()
}

/// One unit of work: a row group of a committed file, with the scan position of its
/// first row (positions count every row of every file in order; the repeat flags are
/// keyed by them).
#[derive(Debug, Clone, Copy)]
pub(in crate::compute) struct Unit {
    /// Index into the scan's files.
    pub(in crate::compute) file: usize,
    /// Row group in that file.
    pub(in crate::compute) group: usize,
    /// Scan position of the row group's first row.
    pub(in crate::compute) pos: u64,
}

/// Every row group of every file, in scan order: the units workers share out, so that
/// a few large files still keep every core busy.
/// Also returns each file's footer (schema and row groups), read once and shared by
/// every read of the file.
pub(super) fn units(
    scan: &Scan<'_>,
) -> Result<(Vec<Unit>, Vec<ArrowReaderMetadata>), ComputeError> {
    let mut out = Vec::new();
    let mut metas = Vec::with_capacity(scan.files.len());
    let mut pos = 0u64;
    for (fi, f) in scan.files.iter().enumerate() {
        let path = scan.dir.abs(&f.path);
        // Checked against the manifest before anything is read: its size, then the row
        // count of the footer read here anyway.
        let file = f.open_checked(scan.dir)?;
        let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::default())
            .and_then(|m| with_dictionaries(m, scan.kind))
            .map_err(|e| read_error(&path, e))?;
        f.check_footer(meta.metadata().file_metadata())?;
        for (group, rg) in meta.metadata().row_groups().iter().enumerate() {
            out.push(Unit {
                file: fi,
                group,
                pos,
            });
            pos += u64::try_from(rg.num_rows()).unwrap_or(0);
        }
        metas.push(meta);
    }
    Ok((out, metas))
}

/// The file's footer with its dictionary-encoded text fields read as Arrow dictionaries
/// (codes into the column chunk's dictionary), not as one string per row: a predicate on
/// them is then decided once per distinct value. Fields written without a dictionary
/// (`schema::unlike_values`) stay plain; a page that fell back to plain encoding is
/// packed into a dictionary by the reader.
fn with_dictionaries(
    meta: ArrowReaderMetadata,
    kind: RecordKind,
) -> Result<ArrowReaderMetadata, parquet::errors::ParquetError> {
    let plain = crate::schema::unlike_values(kind);
    let schema = meta.schema();
    let fields: Vec<arrow_schema::Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let f = f.as_ref().clone();
            if *f.data_type() == DataType::Utf8 && !plain.contains(&f.name().as_str()) {
                f.with_data_type(DataType::Dictionary(
                    Box::new(DataType::Int32),
                    Box::new(DataType::Utf8),
                ))
            } else {
                f
            }
        })
        .collect();
    let schema = std::sync::Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    ArrowReaderMetadata::try_new(
        std::sync::Arc::clone(meta.metadata()),
        ArrowReaderOptions::new().with_schema(schema),
    )
}

fn read_error(path: &std::path::Path, e: impl std::fmt::Display) -> ComputeError {
    ComputeError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Streams the batches of one row group of a committed file, reading only `wanted`
/// columns (those it has). A file with a block checksum table (`crate::integrity`) is
/// read through it: the bytes of those column chunks are checked before they are
/// decoded, and a mismatch is damage.
pub(in crate::compute) fn read_projected(
    scan: &Scan<'_>,
    file: &StoredFile,
    meta: &ArrowReaderMetadata,
    group: usize,
    wanted: &[&str],
    each: &mut dyn FnMut(&RecordBatch) -> Result<(), ComputeError>,
) -> Result<(), ComputeError> {
    let path = scan.dir.abs(&file.path);
    let f = File::open(&path).map_err(|e| read_error(&path, e))?;
    let roots: Vec<usize> = meta
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, fd)| wanted.contains(&fd.name().as_str()))
        .map(|(i, _)| i)
        .collect();
    let blocks = crate::integrity::Blocks::of(meta.metadata().file_metadata())
        .map_err(|p| file.damage(p))?;
    match blocks {
        Some(blocks) => {
            let rg = meta.metadata().row_group(group);
            // A flat schema: root field i is leaf column i. Otherwise every column.
            let ranges: Vec<(u64, u64)> = if rg.num_columns() == meta.schema().fields().len() {
                roots.iter().map(|&i| rg.column(i).byte_range()).collect()
            } else {
                rg.columns().iter().map(|c| c.byte_range()).collect()
            };
            let len = f.metadata().map_err(|e| read_error(&path, e))?.len();
            let verified = crate::integrity::Verified::read(&f, len, &blocks, &ranges)
                .map_err(|p| file.damage(p))?;
            decode(verified, meta, group, &roots, &path, each)
        }
        None => decode(f, meta, group, &roots, &path, each),
    }
}

fn decode<R: parquet::file::reader::ChunkReader + 'static>(
    reader: R,
    meta: &ArrowReaderMetadata,
    group: usize,
    roots: &[usize],
    path: &std::path::Path,
    each: &mut dyn FnMut(&RecordBatch) -> Result<(), ComputeError>,
) -> Result<(), ComputeError> {
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(reader, meta.clone());
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots.iter().copied());
    let reader = builder
        .with_projection(mask)
        .with_row_groups(vec![group])
        .with_batch_size(CHUNK_ROWS)
        .build()
        .map_err(|e| read_error(path, e))?;
    for b in reader {
        each(&b.map_err(|e| read_error(path, e))?)?;
    }
    Ok(())
}

#[cfg(test)]
mod pruning_tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, TimestampMillisecondArray};
    use arrow_schema::{Field, TimeUnit};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::{EnabledStatistics, WriterProperties};
    use parquet::schema::types::ColumnPath;

    use super::*;

    /// A file of one row group with three instant columns: `a` holding 1 000 and 2 000
    /// (ms), `b` all NULL, and `c` holding 5 000 but written without statistics.
    fn footer(dir: &std::path::Path) -> ArrowReaderMetadata {
        let ts = || DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", ts(), true),
            Field::new("b", ts(), true),
            Field::new("c", ts(), true),
        ]));
        let column = |v: [Option<i64>; 2]| -> ArrayRef {
            Arc::new(TimestampMillisecondArray::from(v.to_vec()).with_timezone("UTC"))
        };
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                column([Some(1_000), Some(2_000)]),
                column([None, None]),
                column([Some(5_000), None]),
            ],
        )
        .expect("batch");
        let props = WriterProperties::builder()
            .set_column_statistics_enabled(ColumnPath::from("c"), EnabledStatistics::None)
            .build();
        let path = dir.join("f.parquet");
        let mut w = ArrowWriter::try_new(File::create(&path).expect("create"), schema, Some(props))
            .expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
        ArrowReaderMetadata::load(
            &File::open(&path).expect("open"),
            ArrowReaderOptions::default(),
        )
        .expect("footer")
    }

    #[test]
    fn a_row_group_is_skipped_only_when_its_ranges_say_so() {
        let dir = tempfile::tempdir().expect("temp dir");
        let meta = footer(dir.path());
        // `a` spans 1 000..=2 000: it meets a range touching it, at either end, and
        // nothing wholly before or after it.
        assert!(may_hold(&meta, 0, &["a"], 2_000, 9_000));
        assert!(may_hold(&meta, 0, &["a"], 0, 1_000));
        assert!(!may_hold(&meta, 0, &["a"], 2_001, 9_000));
        assert!(!may_hold(&meta, 0, &["a"], 0, 999));
        // All NULL: holds no instant. A column the file lacks: none either.
        assert!(!may_hold(&meta, 0, &["b"], i64::MIN, i64::MAX));
        assert!(!may_hold(&meta, 0, &["missing"], i64::MIN, i64::MAX));
        // No statistics: might hold anything, so it is read.
        assert!(may_hold(&meta, 0, &["c"], 10_000, 20_000));
        // Several fields: one that meets the range is enough.
        assert!(may_hold(&meta, 0, &["b", "a"], 1_500, 1_500));
        assert!(!may_hold(&meta, 0, &["b", "a", "missing"], 3_000, 4_000));
    }
}
