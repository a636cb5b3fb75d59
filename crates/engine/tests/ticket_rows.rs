//! Reading stored hall tickets back for the importer tests (`import_batches.rs` and the
//! crate's own import tests include this file with `#[path]`): the ticket id and issue
//! time of every row of some Parquet files. Built alone as a test target, it has no tests.

#![allow(
    dead_code,
    reason = "included as a module; built alone, nothing calls it"
)]

use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMillisecondType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// (ticket id, UTC milliseconds of `issued_at`) of every row of the files, sorted.
pub fn ticket_rows(files: impl IntoIterator<Item = PathBuf>) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for path in files {
        let file = std::fs::File::open(&path).expect("parquet file");
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("parquet")
            .build()
            .expect("reader");
        for b in reader {
            let b = b.expect("batch");
            let ids = b
                .column_by_name("ticket_id")
                .expect("ids")
                .as_string::<i32>();
            let at = b
                .column_by_name("issued_at")
                .expect("issued_at")
                .as_primitive::<TimestampMillisecondType>();
            for r in 0..b.num_rows() {
                out.push((ids.value(r).to_string(), at.value(r)));
            }
        }
    }
    out.sort();
    out
}
