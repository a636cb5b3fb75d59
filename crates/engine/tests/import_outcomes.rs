//! What an import hands back and what it leaves on disk: a prepared batch keeps its
//! files only once committed (dropping or discarding it removes them), a cancelled
//! import leaves nothing, instants outside the plausible window are quarantined, and
//! stored files that differ from their manifest rows (swapped, truncated, missing) fail
//! every reader with an error naming the file, its batch and what differs, never a
//! figure.

#[path = "import_common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::NaiveDate;
use common::{Env, assert_accounting, quarantine};
use yardstick_core::guideline::default_guideline;
use yardstick_core::period::Period;
use yardstick_core::planning::IntervalLen;
use yardstick_core::records::RecordKind;
use yardstick_engine::compute::{ComputeError, compute, compute_reference, drill};
use yardstick_engine::import::{
    ImportContext, ImportError, ImportOptions, ImportStatus, Imported, InstantWindow, import_file,
};
use yardstick_engine::layout::{Written, written};
use yardstick_engine::manifest::KindManifest;
use yardstick_engine::series::{SeriesError, site_series};

const HALL: RecordKind = RecordKind::HallTicket;
const HEADER: &str = "site_id,ticket_id,service_type,issued_at,called_at,outcome\n";

/// A served ticket of hall h1 issued at `at` (local time).
fn ticket(id: &str, at: &str) -> String {
    format!("h1,{id},payment,{at},{at},served\n")
}

/// Five tickets in October, three in November and one with an unknown site (line 10).
fn two_months() -> String {
    let mut text = String::from(HEADER);
    for i in 1..=5 {
        text.push_str(&ticket(&format!("O{i}"), &format!("2026-10-0{i} 10:00:00")));
    }
    for i in 1..=3 {
        text.push_str(&ticket(&format!("N{i}"), &format!("2026-11-0{i} 10:00:00")));
    }
    text.push_str("zz,X1,payment,2026-10-01 10:00:00,2026-10-01 10:00:00,served\n");
    text
}

/// Every file under the data directory, relative to it.
fn data_files(env: &Env) -> Vec<PathBuf> {
    fn walk(root: &Path, p: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(p).into_iter().flatten() {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).expect("under the root").to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(env.dir.root(), env.dir.root(), &mut out);
    out.sort();
    out
}

#[test]
fn a_prepared_batch_keeps_its_files_only_once_committed() {
    let env = Env::new();
    let path = env.write("two-months.csv", two_months());
    let prepare = || match env.import_raw(HALL, &path, ImportOptions::default()) {
        Ok(Imported::Ready(p)) => p,
        other => panic!("a prepared batch expected, got {other:?}"),
    };
    // Dropped, then discarded: nothing remains either way.
    for keep in [false, true] {
        let p = prepare();
        assert_eq!(p.report.status, ImportStatus::Prepared);
        assert_eq!(p.report.batch, None);
        // 9 rows: 8 stored (5 + 3), 1 quarantined (unknown site).
        assert_eq!(
            (
                p.report.rows_read,
                p.report.rows_stored,
                p.report.rows_quarantined
            ),
            (9, 8, 1)
        );
        assert_accounting(&p.report);
        let months: Vec<(&str, u64)> = p.files.iter().map(|f| (f.month.as_str(), f.rows)).collect();
        assert_eq!(months, [("2026-10", 5), ("2026-11", 3)]);
        // Two Parquet files, their key indexes and the quarantine file, all of them
        // names Yardstick writes.
        let files = data_files(&env);
        assert_eq!(files.len(), 5, "{files:?}");
        let mut kinds: Vec<Written> = files.iter().map(|f| written(f).expect("ours")).collect();
        kinds.sort_by_key(|w| format!("{w:?}"));
        assert_eq!(
            kinds,
            [
                Written::KeyIndex,
                Written::KeyIndex,
                Written::Quarantine,
                Written::Records,
                Written::Records
            ]
        );
        for f in &p.files {
            let size = std::fs::metadata(env.dir.abs(&f.path))
                .expect("written")
                .len();
            assert_eq!(size, f.bytes, "{}", f.path);
        }
        // Coverage: (h1, day) of the eight stored rows.
        assert_eq!(p.coverage.len(), 8);
        if keep {
            p.discard();
        } else {
            drop(p);
        }
        assert!(data_files(&env).is_empty(), "{:?}", data_files(&env));
    }
    // Left for a commit whose outcome is unknown: the files stay, unlisted, until a sweep
    // of Yardstick's files no manifest lists removes them.
    prepare().leave_files();
    let left = data_files(&env);
    assert_eq!(left.len(), 5);
    for f in &left {
        assert!(written(f).is_some(), "{}", f.display());
        std::fs::remove_file(env.dir.root().join(f)).expect("swept");
    }
    // Committed, they stay, and the report names the batch.
    let p = prepare();
    let r = env.ledger.borrow_mut().commit(HALL, false, p);
    assert_eq!((r.status, r.batch), (ImportStatus::Committed, Some(1)));
    assert_eq!(data_files(&env).len(), 5);
    // The same bytes again are the same batch, and leave nothing new.
    match env.import_raw(
        HALL,
        &env.write("copy.csv", two_months()),
        ImportOptions::default(),
    ) {
        Ok(Imported::AlreadyStored { batch }) => assert_eq!(batch, 1),
        other => panic!("stored already expected, got {other:?}"),
    }
    assert_eq!(data_files(&env).len(), 5);
}

#[test]
fn a_cancelled_import_leaves_nothing_behind() {
    let env = Env::new();
    // 70 000 tickets, every 1 000th with an unknown outcome, so that a quarantine file
    // is open: the reading thread reports progress after 65 536 rows, where the
    // callback cancels, and stops at its next chunk.
    let mut text = String::from(HEADER);
    for i in 0..70_000u32 {
        let outcome = if i % 1_000 == 0 { "vanished" } else { "served" };
        let at = format!("2026-10-{:02} 10:00:00", 1 + i % 28);
        text.push_str(&format!("h1,T{i},payment,{at},{at},{outcome}\n"));
    }
    let path = env.write("big.csv", &text);
    // A small batch committed first, so that the duplicate-id check has a stored file.
    let small = env.write(
        "small.csv",
        format!("{HEADER}{}", ticket("S1", "2026-10-01 09:00:00")),
    );
    env.import_ok(HALL, &small);
    let before = data_files(&env);
    let manifest = env.ledger.borrow().kind(HALL);
    let cx = ImportContext {
        dir: &env.dir,
        org: &env.org,
        manifest: &manifest,
        accept: InstantWindow::default(),
    };
    // Cancelled before it starts, from the progress of the reading, and in the two-pass
    // import of `--replace`.
    let replace = ImportOptions {
        strict: false,
        replace: true,
    };
    for (opts, at_once) in [
        (ImportOptions::default(), true),
        (ImportOptions::default(), false),
        (replace, false),
    ] {
        let cancel = AtomicBool::new(at_once);
        let progress = |b: u64| {
            if b > 0 {
                cancel.store(true, Ordering::Relaxed);
            }
        };
        let r = import_file(&cx, HALL, &path, opts, &progress, &cancel);
        assert!(matches!(r, Err(ImportError::Cancelled)), "{r:?}");
        assert_eq!(data_files(&env), before, "{opts:?}, at once {at_once}");
        assert_eq!(env.scratch_entries(), 0);
    }
}

#[test]
fn instants_outside_the_plausible_window_are_quarantined() {
    let env = Env::new();
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("day");
    let manifest = KindManifest::default();
    let cx = ImportContext {
        dir: &env.dir,
        org: &env.org,
        manifest: &manifest,
        accept: InstantWindow::days(day(2000, 1, 1), day(2026, 12, 8)),
    };
    // Line 2 is inside; line 3 was issued in 2100 (08:00 in Shanghai is 00:00 UTC);
    // line 4 in 1999 and called in 2100: both instants are outside, one reason each.
    let text = format!(
        "{HEADER}{}{}{}",
        ticket("A", "2026-10-08 09:00:00"),
        ticket("B", "2100-01-01 08:00:00"),
        "h1,C,payment,1999-12-31 08:00:00,2100-01-01 08:00:00,served\n"
    );
    let path = env.write("window.csv", text);
    let cancel = AtomicBool::new(false);
    let p = match import_file(&cx, HALL, &path, ImportOptions::default(), &|_| {}, &cancel) {
        Ok(Imported::Ready(p)) => p,
        other => panic!("a prepared batch expected, got {other:?}"),
    };
    assert_eq!(
        (
            p.report.rows_read,
            p.report.rows_stored,
            p.report.rows_quarantined
        ),
        (3, 1, 2)
    );
    assert_eq!(p.report.reasons.get("implausible issued_at"), Some(&2));
    assert_eq!(p.report.reasons.get("implausible called_at"), Some(&2));
    let q = quarantine(&p.report);
    let window = "is outside the plausible window 2000-01-01 .. 2026-12-08";
    assert_eq!(q[0].line, 3);
    assert_eq!(
        q[0].reasons,
        format!("issued_at 2100-01-01T00:00:00Z {window}; called_at 2100-01-01T00:00:00Z {window}")
    );
    assert_eq!(q[1].line, 4);
    assert_eq!(
        q[1].reasons,
        format!("issued_at 1999-12-31T00:00:00Z {window}; called_at 2100-01-01T00:00:00Z {window}")
    );
}

/// A data directory whose one batch holds October (5 rows) and November (3 rows).
fn committed_two_months() -> (Env, PathBuf, PathBuf) {
    let env = Env::new();
    let path = env.write("two-months.csv", two_months());
    env.import_ok(HALL, &path);
    let files = env.files(HALL);
    assert_eq!(files.len(), 2);
    let (oct, nov) = (env.dir.abs(&files[0].path), env.dir.abs(&files[1].path));
    assert_eq!(
        (files[0].month.as_str(), files[1].month.as_str()),
        ("2026-10", "2026-11")
    );
    (env, oct, nov)
}

/// Every reader of stored files, on October 2026: evaluation (both engines), drill,
/// series, and an import of one new ticket (the duplicate-id check). Each must fail
/// naming `file` of batch 1 with a problem that contains `problem`.
fn every_reader_refuses(env: &Env, file: &str, problem: &str, manifest: &KindManifest) {
    let g = default_guideline().expect("guideline");
    let p = Period::parse("2026-10").expect("period");
    let mut all = env.ledger.borrow().manifest();
    all.kinds.insert(HALL, manifest.clone());
    let damaged = |e: &dyn std::fmt::Display, path: &str, batch: i64, what: &str| {
        assert_eq!(path, file, "{e}");
        assert_eq!(batch, 1, "{e}");
        assert!(what.contains(problem), "{what:?} should say {problem:?}");
    };
    for (name, r) in [
        ("compute", compute(&env.dir, &all, &g, &env.org, &p)),
        (
            "reference",
            compute_reference(&env.dir, &all, &g, &env.org, &p),
        ),
    ] {
        match r {
            Err(ComputeError::Damaged {
                path,
                batch,
                problem,
            }) => {
                damaged(&name, &path, batch, &problem);
            }
            other => panic!(
                "{name}: damage expected, got {:?}",
                other.map(|c| c.rows_scanned)
            ),
        }
    }
    let bh = g
        .indicators
        .iter()
        .find(|i| i.kind == HALL && i.value_expr().is_some())
        .expect("a hall indicator with values");
    match drill(&env.dir, manifest, &env.org, bh, "h1", &p) {
        Err(ComputeError::Damaged {
            path,
            batch,
            problem,
        }) => damaged(&"drill", &path, batch, &problem),
        other => panic!("drill: damage expected, got {other:?}"),
    }
    let day = |d| NaiveDate::from_ymd_opt(2026, 10, d).expect("day");
    match site_series(
        &env.dir,
        manifest,
        &env.org,
        "h1",
        (day(1), day(31)),
        IntervalLen::MIN_60,
    ) {
        Err(SeriesError::Damaged {
            path,
            batch,
            problem,
        }) => damaged(&"series", &path, batch, &problem),
        other => panic!(
            "series: damage expected, got {:?}",
            other.map(|s| s.arrivals)
        ),
    }
    let before = data_files(env);
    let new = env.write(
        "new.csv",
        format!("{HEADER}{}", ticket("NEW", "2026-10-20 10:00:00")),
    );
    let cx = ImportContext {
        dir: &env.dir,
        org: &env.org,
        manifest,
        accept: InstantWindow::default(),
    };
    let cancel = AtomicBool::new(false);
    match import_file(&cx, HALL, &new, ImportOptions::default(), &|_| {}, &cancel) {
        Err(ImportError::Damaged {
            path,
            batch,
            problem,
        }) => damaged(&"import", &path, batch, &problem),
        other => panic!("import: damage expected, got {other:?}"),
    }
    assert_eq!(data_files(env), before, "the refused import left nothing");
}

#[test]
fn a_stored_file_swapped_truncated_or_missing_fails_every_reader() {
    let (env, oct, nov) = committed_two_months();
    let manifest = env.ledger.borrow().kind(HALL);
    let oct_rel = manifest.files[0].path.clone();
    let oct_bytes = std::fs::read(&oct).expect("October's file");
    let nov_bytes = std::fs::read(&nov).expect("November's file");
    assert_ne!(oct_bytes.len(), nov_bytes.len());
    // November's file (3 rows, another size) in October's place: a valid Parquet file
    // of the same batch, but not the one listed.
    std::fs::write(&oct, &nov_bytes).expect("swapped");
    let sizes = format!(
        "{} bytes, but the manifest says {}",
        nov_bytes.len(),
        oct_bytes.len()
    );
    every_reader_refuses(&env, &oct_rel, &sizes, &manifest);
    // With the size unknown (a batch of an earlier version), the footer's row count
    // still tells: 3 rows where 5 are listed.
    let mut sizeless = manifest.clone();
    for f in &mut sizeless.files {
        f.bytes = 0;
    }
    every_reader_refuses(
        &env,
        &oct_rel,
        "3 rows in its footer, but the manifest says 5",
        &sizeless,
    );
    // The key index rebuilt from a swapped file is refused too: without its index, the
    // duplicate-id check would read the Parquet file.
    std::fs::remove_file(oct.with_extension("keys")).expect("index removed");
    every_reader_refuses(&env, &oct_rel, "3 rows in its footer", &sizeless);
    // Truncated to half: another size.
    std::fs::write(&oct, &oct_bytes[..oct_bytes.len() / 2]).expect("truncated");
    let half = format!(
        "{} bytes, but the manifest says {}",
        oct_bytes.len() / 2,
        oct_bytes.len()
    );
    every_reader_refuses(&env, &oct_rel, &half, &manifest);
    // Missing.
    std::fs::remove_file(&oct).expect("removed");
    every_reader_refuses(&env, &oct_rel, "the file is missing", &manifest);
    // Put back as it was, everything reads again: the import of one new ticket commits.
    std::fs::write(&oct, &oct_bytes).expect("restored");
    let r = env.import_ok(
        HALL,
        &env.write(
            "new.csv",
            format!("{HEADER}{}", ticket("NEW", "2026-10-20 10:00:00")),
        ),
    );
    assert_eq!((r.rows_stored, r.batch), (1, Some(2)));
    assert_eq!(env.visible(HALL, "2026-10"), 6);
}

/// Rewrites a stored file the way earlier versions wrote theirs, without its path in the
/// footer (the same rows, default writer settings); returns its new size.
fn as_an_earlier_version_wrote_it(path: &Path) -> u64 {
    let file = std::fs::File::open(path).expect("opened");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("footer read");
    let schema = reader.schema().clone();
    let batches: Vec<_> = reader
        .build()
        .expect("reader")
        .collect::<Result<_, _>>()
        .expect("rows read");
    let out = std::fs::File::create(path).expect("rewritten");
    let mut w = parquet::arrow::ArrowWriter::try_new(out, schema, None).expect("writer");
    for b in &batches {
        w.write(b).expect("rows written");
    }
    w.close().expect("closed");
    std::fs::metadata(path).expect("size").len()
}

#[test]
fn files_named_by_an_earlier_version_are_read_and_checked() {
    // Earlier versions named a batch's files `b<batch>-<part>.parquet` (and `.keys`),
    // and recorded no path in their footers. The manifest names the files, so such a
    // data directory reads as before: the
    // batch's 8 rows are visible, and O3 sent again is a duplicate of batch 1.
    let (env, oct, nov) = committed_two_months();
    let mut manifest = env.ledger.borrow().kind(HALL);
    for (f, old, part) in manifest
        .files
        .iter_mut()
        .zip([&oct, &nov])
        .zip([1, 2])
        .map(|((f, o), n)| (f, o, n))
    {
        let rel = format!("records/hall_ticket/{}/b1-{part}.parquet", f.month);
        assert_eq!(written(Path::new(&rel)), Some(Written::Records));
        let new = env.dir.abs(&rel);
        std::fs::rename(old, &new).expect("renamed");
        std::fs::rename(old.with_extension("keys"), new.with_extension("keys")).expect("renamed");
        f.bytes = as_an_earlier_version_wrote_it(&new);
        f.path = rel;
    }
    let g = default_guideline().expect("guideline");
    let p = Period::parse("2026-Q4").expect("period");
    let mut all = env.ledger.borrow().manifest();
    all.kinds.insert(HALL, manifest.clone());
    let c = compute(&env.dir, &all, &g, &env.org, &p).expect("computed");
    assert_eq!(c.rows_scanned.get("hall_ticket"), Some(&8));
    let again = env.write(
        "again.csv",
        format!("{HEADER}{}", ticket("O3", "2026-10-03 11:00:00")),
    );
    let cx = ImportContext {
        dir: &env.dir,
        org: &env.org,
        manifest: &manifest,
        accept: InstantWindow::default(),
    };
    let cancel = AtomicBool::new(false);
    // Its only row a duplicate, the file is rejected whole.
    let r = match import_file(
        &cx,
        HALL,
        &again,
        ImportOptions::default(),
        &|_| {},
        &cancel,
    ) {
        Ok(Imported::Rejected(r)) => r,
        other => panic!("a rejection expected, got {other:?}"),
    };
    assert_eq!(
        (&r.status, r.rows_stored, r.duplicates),
        (&ImportStatus::AllQuarantined, 0, 1)
    );
    assert_eq!(quarantine(&r)[0].reasons, "already stored in batch 1");
}
