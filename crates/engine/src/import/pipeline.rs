//! How rows flow from a source to the run that takes them, using both cores.
//!
//! - [`read_checked`]: one thread reads the file into rows, [`CHECKERS`] threads check
//!   chunks of them, and the calling thread takes them back in file order; bounded
//!   channels keep the rows in flight few, and spent rows and checks go back to the
//!   reading thread to be refilled (a row's buffers are allocated once, not once a row).
//! - [`read_segments`]: the segments of a large file at once, a thread each, every
//!   thread reading, checking and storing its rows into a run of its own; the runs are
//!   joined after, in file order.
//! - [`unchecked_keys`]: the first pass of the duplicate-id check, one thread reading
//!   the site and id of every row while this one sorts their keys.
//!
//! Every reading thread checks `cancel` once per chunk of rows ([`CHUNK_ROWS`]) and
//! stops with [`ImportError::Cancelled`]; `progress` is called with the bytes read, from
//! whichever thread reads them.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};

use super::check::{Checked, Checker, Valid, key};
use super::error::{ImportError, stopped};
use super::keys::{self, KeyLine};
use super::run::Run;
use super::sorter::{self, Sorter};
use super::source::{Format, PROGRESS_ROWS, RawRow, Segment};
use crate::schema::id_field;

/// Rows handed from the reading thread to the checking ones at once, and read between
/// two looks at the cancel flag.
pub(super) const CHUNK_ROWS: usize = 4096;

/// Text a chunk holds at most: long rows make short chunks, so that the rows in flight
/// take a few MiB whatever their length.
const CHUNK_BYTES: usize = 1 << 20;

/// Chunks in flight between threads (this bounds the rows they hold).
const CHUNKS_IN_FLIGHT: usize = 4;

/// Threads checking rows.
const CHECKERS: usize = 2;

/// A progress callback any reading thread may call.
pub(super) type Progress<'a> = &'a (dyn Fn(u64) + Sync);

/// Rows and checks the taking thread is done with, on their way back to the reading
/// thread, which refills them: a row's buffers are allocated once, not once a row (and
/// not freed on another thread than the one that allocated them).
struct Recycler {
    back: Receiver<(Vec<RawRow>, Vec<Checked>)>,
    rows: Vec<RawRow>,
    checks: Vec<Checked>,
}

impl Recycler {
    /// A spent row to fill, or a new one.
    fn row(&mut self) -> RawRow {
        if self.rows.is_empty()
            && let Ok((rows, checks)) = self.back.try_recv()
        {
            self.rows = rows;
            self.checks.extend(checks);
        }
        self.rows.pop().unwrap_or_default()
    }

    /// Up to `n` spent checks, sent along with a chunk of `n` rows.
    fn checks(&mut self, n: usize) -> Vec<Checked> {
        let keep = self.checks.len().saturating_sub(n);
        self.checks.split_off(keep)
    }
}

fn cancelled(cancel: &AtomicBool) -> Result<(), ImportError> {
    if cancel.load(Ordering::Relaxed) {
        Err(ImportError::Cancelled)
    } else {
        Ok(())
    }
}

/// Reads and checks the file row by row, calling `take` for each row and what the check
/// found, in file order; returns the ignored columns.
pub(super) fn read_checked(
    path: &Path,
    format: &dyn Format,
    checker: &Checker<'_>,
    take: &mut dyn FnMut(&RawRow, &Checked) -> Result<(), ImportError>,
    progress: Progress<'_>,
    cancel: &AtomicBool,
) -> Result<Vec<String>, ImportError> {
    let kind = checker.kind;
    // Chunks numbered in file order: rows, and spent checks whose buffers the checking
    // thread may reuse.
    let (tx, rx) = sync_channel::<(u64, Vec<RawRow>, Vec<Checked>)>(CHUNKS_IN_FLIGHT);
    // Bounded: chunks the reader does not take back (it may have finished) are dropped.
    let (back_tx, back_rx) = sync_channel(CHUNKS_IN_FLIGHT);
    // Checkers share the receiver; the first to find the taker gone drops it, which
    // stops the reader.
    let rx = std::sync::Mutex::new(Some(rx));
    let (done_tx, done_rx) = sync_channel::<(u64, Vec<RawRow>, Vec<Checked>)>(CHUNKS_IN_FLIGHT);
    std::thread::scope(|s| {
        let reader = s.spawn(move || {
            let mut src = format.open(path, kind, None)?;
            let mut recycler = Recycler {
                back: back_rx,
                rows: Vec::new(),
                checks: Vec::new(),
            };
            let mut chunk = Vec::with_capacity(CHUNK_ROWS);
            let (mut chunk_bytes, mut seq, mut n) = (0usize, 0u64, 0u64);
            loop {
                let mut row = recycler.row();
                let more = src.next_row(&mut row)?;
                if more {
                    chunk_bytes += row.cells.text.len();
                    chunk.push(row);
                    n += 1;
                    if n.is_multiple_of(PROGRESS_ROWS) {
                        progress(src.bytes_read());
                    }
                }
                if chunk.len() >= CHUNK_ROWS || chunk_bytes >= CHUNK_BYTES || !more {
                    cancelled(cancel)?;
                    if !chunk.is_empty() {
                        let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
                        let checks = recycler.checks(full.len());
                        tx.send((seq, full, checks)).map_err(|_| stopped(path))?;
                        seq += 1;
                        chunk_bytes = 0;
                    }
                }
                if !more {
                    break;
                }
            }
            progress(src.bytes_read());
            Ok(src.ignored_columns())
        });
        let rx = &rx;
        for _ in 0..CHECKERS {
            let done_tx = done_tx.clone();
            s.spawn(move || {
                loop {
                    let next = {
                        let guard = rx.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        match guard.as_ref() {
                            Some(r) => r.recv().ok(),
                            None => None,
                        }
                    };
                    let Some((seq, rows, mut spent)) = next else {
                        break;
                    };
                    let checks = rows
                        .iter()
                        .map(|r| checker.check_reusing(r, spent.pop()))
                        .collect();
                    if done_tx.send((seq, rows, checks)).is_err() {
                        rx.lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .take();
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let mut waiting = BTreeMap::new();
        let mut next = 0u64;
        let mut failed = None;
        'chunks: for (seq, rows, checks) in &done_rx {
            waiting.insert(seq, (rows, checks));
            while let Some((rows, checks)) = waiting.remove(&next) {
                next += 1;
                for (row, checked) in rows.iter().zip(&checks) {
                    if let Err(e) = take(row, checked) {
                        failed = Some(e);
                        break 'chunks;
                    }
                }
                // When the reader has enough spares (or has finished), they are simply
                // dropped.
                let _ = back_tx.try_send((rows, checks));
            }
        }
        drop(done_rx);
        joined(path, reader, failed)
    })
}

/// Reads a file's segments at once, one thread each, every thread reading, checking
/// and storing its rows into a run of its own (its own Parquet files), with no row
/// crossing between threads. The runs then become one (`run`): counts added, files and
/// coverage joined, quarantine files concatenated in segment order, so the quarantine
/// lists rows in file order as a single reading would. Only for the single pass, where
/// every valid row is stored whatever the others hold.
#[allow(
    clippy::too_many_arguments,
    reason = "the pass's inputs, all borrowed from the import"
)]
pub(super) fn read_segments(
    path: &Path,
    format: &dyn Format,
    checker: &Checker<'_>,
    run: &mut Run,
    new_run: &(dyn Fn() -> Run + Sync),
    segments: &[Segment],
    progress: Progress<'_>,
    cancel: &AtomicBool,
) -> Result<Vec<String>, ImportError> {
    let kind = checker.kind;
    let n = segments.len();
    let mut runs: Vec<Run> = (0..n).map(|_| new_run()).collect();
    for r in &mut runs {
        // The memory budgets are shared between the runs.
        r.row_budget = (r.row_budget / n).max(1);
        r.budget = (r.budget / n).max(1);
    }
    let read: Vec<AtomicU64> = (0..n).map(|_| AtomicU64::new(0)).collect();
    let read = &read;
    let report = move || progress(read.iter().map(|r| r.load(Ordering::Relaxed)).sum());
    let results: Vec<Result<Vec<String>, ImportError>> = std::thread::scope(|s| {
        let handles: Vec<_> = runs
            .iter_mut()
            .zip(segments)
            .zip(read)
            .map(|((run, seg), mine)| {
                s.spawn(move || {
                    let mut src = format.open(path, kind, Some(*seg))?;
                    // One row and one check, refilled from row to row.
                    let mut row = RawRow::default();
                    let mut spent = None;
                    let mut rows = 0u64;
                    while src.next_row(&mut row)? {
                        let checked = checker.check_reusing(&row, spent.take());
                        run.take_checked(&row, &checked)?;
                        spent = Some(checked);
                        rows += 1;
                        if rows.is_multiple_of(CHUNK_ROWS as u64) {
                            cancelled(cancel)?;
                            if rows.is_multiple_of(PROGRESS_ROWS) {
                                mine.store(src.bytes_read() - seg.start, Ordering::Relaxed);
                                report();
                            }
                        }
                    }
                    cancelled(cancel)?;
                    mine.store(seg.end - seg.start, Ordering::Relaxed);
                    report();
                    run.finish_writers()?;
                    Ok(src.ignored_columns())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(ImportError::Io {
                        path: path.display().to_string(),
                        source: std::io::Error::other("a reading thread failed"),
                    })
                })
            })
            .collect()
    });
    progress(segments.last().map_or(0, |s| s.end));
    // The first failure in file order is the file's, as when it is read as one (the
    // runs, dropped, remove what they wrote).
    let mut parts = Vec::with_capacity(n);
    for r in results {
        parts.push(r?);
    }
    let mut runs = runs.into_iter();
    if let Some(first) = runs.next() {
        *run = first;
    }
    for other in runs {
        run.absorb(other)?;
    }
    Ok(format.join_ignored(parts))
}

/// The key and line of every row with an id cell, sorted, and the number of rows read;
/// the rows are not checked (a valid row's key is the same: its trimmed site and id).
pub(super) fn unchecked_keys(
    checker: &Checker<'_>,
    path: &Path,
    format: &dyn Format,
    scratch: &keys::Scratch<'_>,
    progress: Progress<'_>,
    cancel: &AtomicBool,
) -> Result<(sorter::Sorted<KeyLine>, u64), ImportError> {
    let mut sorter = Sorter::<KeyLine>::new(scratch.dir, "keys", scratch.budget);
    let id_index = id_field(checker.kind)
        .and_then(|id| checker.fields.iter().position(|f| f.name == id))
        .filter(|i| {
            matches!(
                checker.fields[*i].ty,
                yardstick_core::records::FieldType::Str
            )
        });
    let (kind, site_index) = (checker.kind, checker.site_index);
    // One thread reads the file and hashes the keys, this one sorts them: the two
    // halves of the pass run on both cores.
    let (tx, rx) = sync_channel::<Vec<KeyLine>>(CHUNKS_IN_FLIGHT);
    let rows = std::thread::scope(|s| {
        let reader = s.spawn(move || -> Result<u64, ImportError> {
            let mut src = format.open(path, kind, None)?;
            let mut n = 0u64;
            let mut batch = Vec::with_capacity(CHUNK_ROWS);
            let mut each = |line: u64, site: &str, id: &str| {
                n += 1;
                if n.is_multiple_of(CHUNK_ROWS as u64) {
                    cancelled(cancel)?;
                }
                let (site, id) = (site.trim(), id.trim());
                if id_index.is_none() || id.is_empty() {
                    return Ok(());
                }
                batch.push(KeyLine {
                    key: key(site, id),
                    line,
                });
                if batch.len() >= CHUNK_ROWS {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(CHUNK_ROWS));
                    tx.send(full).map_err(|_| stopped(path))?;
                }
                Ok(())
            };
            src.for_each_key(site_index, id_index, &mut each, &mut |b| progress(b / 2))?;
            cancelled(cancel)?;
            if !batch.is_empty() {
                tx.send(batch).map_err(|_| stopped(path))?;
            }
            Ok(n)
        });
        let mut failed = None;
        'read: for batch in &rx {
            for k in batch {
                if let Err(e) = sorter.push(k) {
                    failed = Some(e);
                    break 'read;
                }
            }
        }
        // A failure here stops the reader at its next hand-over.
        drop(rx);
        joined(path, reader, failed)
    })?;
    Ok((sorter.finish()?, rows))
}

/// The key and line of every valid row with an id, sorted, and the number of rows: the
/// first pass when too many ids repeat for the unchecked keys (see `keys`).
pub(super) fn valid_keys(
    checker: &Checker<'_>,
    path: &Path,
    format: &dyn Format,
    scratch: &keys::Scratch<'_>,
    cancel: &AtomicBool,
) -> Result<(sorter::Sorted<KeyLine>, u64), ImportError> {
    let mut rows = 0u64;
    let mut sorter = Sorter::<KeyLine>::new(scratch.dir, "keys", scratch.budget);
    read_checked(
        path,
        format,
        checker,
        &mut |row, checked| {
            rows += 1;
            match checked {
                Checked::Valid(Valid { key: Some(key), .. }) => sorter.push(KeyLine {
                    key: *key,
                    line: row.origin.pos(),
                }),
                _ => Ok(()),
            }
        },
        &|_| {},
        cancel,
    )?;
    Ok((sorter.finish()?, rows))
}

/// The outcome of a pass whose reading thread fed this one: this side's failure first
/// (it stopped the reader), else what the reader returned.
fn joined<T>(
    path: &Path,
    reader: std::thread::ScopedJoinHandle<'_, Result<T, ImportError>>,
    failed: Option<ImportError>,
) -> Result<T, ImportError> {
    let read = reader.join().unwrap_or_else(|_| {
        Err(ImportError::Io {
            path: path.display().to_string(),
            source: std::io::Error::other("the reading thread failed"),
        })
    });
    match failed {
        Some(e) => Err(e),
        None => read,
    }
}
