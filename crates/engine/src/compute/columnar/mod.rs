//! The columnar indicator engine: measure states per site and day, computed a chunk of
//! rows at a time.
//!
//! Per record kind: every indicator's filter and measure parts are compiled into one
//! [`Program`](crate::vector::Program) (shared sub-expressions once); the committed
//! files are read with only the columns the program needs, one worker thread per core
//! taking row groups; each chunk of rows gets its site, local day and visibility first,
//! then the program's columns, then one tight loop per indicator that adds rows to dense
//! per-(site, day) states.
//! Workers merge at the end (state merges are exact, so the order does not matter).
//!
//! Cross-row flags (`repeat_7d`, …) are computed before, from a projected pass over the
//! same files, only when an indicator uses them. That pass reads the grouping fields
//! (customer keys, …); where the indicators only test one of them for NULL, it also
//! records which rows have a value, and the main pass does not read that field again.
//! The meaning of every step is core's row-level reference (`guideline::observe`), which
//! the tests compare against.
//!
//! The parts: `compile` (one program per kind), `files` (row groups, footers, projected
//! reads, pruning), `columns` (a chunk's columns: text as dictionary codes, stored
//! columns on the kept rows, strata), `flags` (the repeat-flag pass), `scan` (the shared
//! context and the visible rows of a chunk) and `states` (per-(site, day) states).

mod columns;
mod compile;
mod files;
mod flags;
mod scan;
mod states;

use std::sync::atomic::{AtomicUsize, Ordering};

use yardstick_core::guideline::{Guideline, Indicator};

use super::{ComputeError, Computed, Scan};

pub(super) use compile::compile;
pub(super) use scan::{Shared, local_midnight};
pub(super) use states::Acc;

// The DataFusion path (`compute/datafusion.rs`) reads through these too.
#[cfg(feature = "datafusion")]
pub(super) use columns::stored;
#[cfg(feature = "datafusion")]
pub(super) use compile::{Kind, Source};
#[cfg(feature = "datafusion")]
pub(super) use files::read_projected;

/// Computes the states of `indicators` (all of the scan's kind) into `out`.
pub(super) fn observe_kind(
    scan: &Scan<'_>,
    g: &Guideline,
    indicators: &[&Indicator],
    out: &mut Computed,
) -> Result<(), ComputeError> {
    let kind = compile(g, scan.kind, indicators);
    let shared = Shared::new(scan, &kind)?;
    let units = shared.period_units();
    let workers = workers().min(units.len()).max(1);
    let next = AtomicUsize::new(0);
    let results: Vec<Result<Acc<'_>, ComputeError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut acc = Acc::new(&kind);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&u) = units.get(i) else { break };
                        shared.unit(&mut acc, u)?;
                    }
                    Ok(acc)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(ComputeError::Read {
                        path: scan.kind.as_str().to_string(),
                        message: "a compute worker panicked".into(),
                    })
                })
            })
            .collect()
    });
    for acc in results {
        acc?.into_computed(&kind, scan, out);
    }
    Ok(())
}

/// Worker threads: one per core.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Runs `f` for every index below `n` on one worker per core; results in index order.
fn on_workers<T: Send>(
    n: usize,
    f: impl Fn(usize) -> Result<T, ComputeError> + Sync,
) -> Result<Vec<T>, ComputeError> {
    let workers = workers().min(n).max(1);
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, T)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        mine.push((i, f(i)?));
                    }
                    Ok(mine)
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.join().unwrap_or_else(|_| Err(panicked()))?);
        }
        Ok::<_, ComputeError>(all)
    })?;
    done.sort_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, t)| t).collect())
}

fn panicked() -> ComputeError {
    ComputeError::Read {
        path: String::new(),
        message: "a compute worker panicked".into(),
    }
}
