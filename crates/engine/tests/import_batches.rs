//! Batches: re-importing a file, files that repeat stored ids, `--strict`, `--replace`,
//! and local times read in the site's time zone. Counts are checked through what the
//! indicator computation sees, so that a row counted twice or superseded wrongly shows.

#[path = "import_common.rs"]
mod common;
#[path = "ticket_rows.rs"]
mod ticket_rows;

use common::{Env, assert_accounting, quarantine};
use std::sync::atomic::AtomicBool;
use ticket_rows::ticket_rows;
use yardstick_core::records::RecordKind;

use yardstick_engine::import::{
    ImportContext, ImportError, ImportOptions, ImportStatus, Imported, InstantWindow, import_file,
};

const HEADER: &str = "site_id,ticket_id,service_type,issued_at,called_at,outcome\n";
const HALL: RecordKind = RecordKind::HallTicket;

/// A hall ticket CSV: (site, ticket id, local issue time) per row, all served.
fn tickets(rows: &[(&str, String, &str)]) -> String {
    let mut out = String::from(HEADER);
    for (site, id, at) in rows {
        out.push_str(&format!("{site},{id},payment,{at},{at},served\n"));
    }
    out
}

/// `n` tickets of hall h1 on one day, ids `{prefix}1..={prefix}n`, one minute apart.
fn day(prefix: &str, date: &str, n: usize) -> Vec<(&'static str, String, String)> {
    (1..=n)
        .map(|i| {
            (
                "h1",
                format!("{prefix}{i}"),
                format!("{date} {:02}:{:02}:00", 9 + i / 60, i % 60),
            )
        })
        .collect()
}

fn csv_of(rows: &[(&'static str, String, String)]) -> String {
    let rows: Vec<(&str, String, &str)> = rows
        .iter()
        .map(|(s, id, at)| (*s, id.clone(), at.as_str()))
        .collect();
    tickets(&rows)
}

const REPLACE: ImportOptions = ImportOptions {
    strict: false,
    replace: true,
};
const STRICT: ImportOptions = ImportOptions {
    strict: true,
    replace: false,
};

#[test]
fn reimporting_the_same_file_is_a_no_op_reporting_the_earlier_batch() {
    let env = Env::new();
    let mut rows = day("T", "2026-10-08", 5);
    rows.push(("zz", "X1".into(), "2026-10-08 10:00:00".into()));
    let path = env.write("day.csv", csv_of(&rows));
    let first = env.import_ok(HALL, &path);
    assert_eq!((first.rows_stored, first.rows_quarantined), (5, 1));
    let batch = first.batch.expect("committed");

    for name in ["day.csv", "copy-of-day.csv"] {
        let again = env.write(name, csv_of(&rows));
        let r = env
            .import(HALL, &again, ImportOptions::default())
            .expect("re-import");
        assert_eq!(r.status, ImportStatus::AlreadyImported(batch));
        assert_eq!(r.batch, Some(batch));
        assert_eq!(
            (r.rows_read, r.rows_stored, r.rows_quarantined),
            (6, 5, 1),
            "the earlier batch's accounting"
        );
        assert!(r.files.is_empty());
    }
    assert_eq!(env.batches(), 1);
    assert_eq!(env.stored_ids(HALL).len(), 5);
    assert_eq!(env.visible(HALL, "2026-10"), 5);
    // The engine's own outcome: the batch holding the content, and nothing left behind
    // (one Parquet file and its key index, one quarantine file: the first batch's).
    let again = env.write("third-copy.csv", csv_of(&rows));
    match env.import_raw(HALL, &again, ImportOptions::default()) {
        Ok(Imported::AlreadyStored { batch: b }) => assert_eq!(b, batch),
        other => panic!("stored already expected, got {other:?}"),
    }
    assert_eq!(env.record_files().len(), 2);
    assert_eq!(env.quarantine_files().len(), 1);
    assert_eq!(env.scratch_entries(), 0);
}

#[test]
fn ids_already_stored_are_quarantined_as_duplicates_never_counted_twice() {
    let env = Env::new();
    let a = env.write("a.csv", csv_of(&day("T", "2026-10-08", 10)));
    let first = env.import_ok(HALL, &a);
    let batch = first.batch.expect("committed");

    // The second export overlaps the first: T6..T10 again, then T11..T15.
    let mut rows = day("T", "2026-10-08", 15);
    rows.drain(..5);
    let b = env.write("b.csv", csv_of(&rows));
    let r = env.import_ok(HALL, &b);
    assert_eq!((r.rows_read, r.rows_stored, r.rows_quarantined), (10, 5, 5));
    assert_eq!(r.duplicates, 5);
    assert_eq!(r.reasons.get("duplicate id"), Some(&5));
    let q = quarantine(&r);
    assert_eq!(
        q.iter().map(|x| x.line).collect::<Vec<_>>(),
        [2, 3, 4, 5, 6]
    );
    for row in &q {
        assert_eq!(row.reasons, format!("already stored in batch {batch}"));
    }
    assert_eq!(env.visible(HALL, "2026-10-08..2026-10-08"), 15);
    assert_eq!(env.stored_ids(HALL).len(), 15);

    // The same id at another site is another record.
    let other = env.write(
        "h2.csv",
        tickets(&[("h2", "T1".into(), "2026-10-08 09:00:00")]),
    );
    assert_eq!(env.import_ok(HALL, &other).rows_stored, 1);
}

#[test]
fn a_stored_id_is_caught_from_a_small_file_and_from_a_large_one() {
    // 40 tickets in October and 40 in November: two stored files (one per month), 80
    // keys. A new file's keys meet them one stored file at a time when its keys, once
    // per file, are no more than the stored keys: the small file's 3 × 2 = 6 ≤ 80. The
    // large file comes after it, so against 3 files and 82 keys: 60 × 3 = 180 > 82,
    // all merged. Either way the one stored id is a duplicate.
    let env = Env::new();
    let mut rows = day("O", "2026-10-08", 40);
    rows.extend(day("N", "2026-11-08", 40));
    let r = env.import_ok(HALL, &env.write("base.csv", csv_of(&rows)));
    assert_eq!(r.rows_stored, 80);
    assert_eq!(r.files.len(), 2);

    let small = env.write(
        "small.csv",
        tickets(&[
            ("h1", "A1".into(), "2026-11-09 09:00:00"),
            ("h1", "N7".into(), "2026-11-09 09:01:00"),
            ("h1", "A2".into(), "2026-11-09 09:02:00"),
        ]),
    );
    let r = env.import_ok(HALL, &small);
    assert_accounting(&r);
    assert_eq!((r.rows_read, r.rows_stored, r.duplicates), (3, 2, 1));
    assert_eq!(quarantine(&r)[0].line, 3);

    let mut large = day("B", "2026-10-09", 59);
    large.push(("h1", "O5".into(), "2026-10-09 18:00:00".into()));
    let r = env.import_ok(HALL, &env.write("large.csv", csv_of(&large)));
    assert_accounting(&r);
    assert_eq!((r.rows_read, r.rows_stored, r.duplicates), (60, 59, 1));
    assert_eq!(quarantine(&r)[0].line, 61);

    // And with no stored id, nothing is held back (3 × 4 = 12 ≤ 141: one file at a time).
    let r = env.import_ok(
        HALL,
        &env.write("fresh.csv", csv_of(&day("F", "2026-11-10", 3))),
    );
    assert_eq!((r.rows_stored, r.duplicates), (3, 0));
    assert_eq!(env.stored_ids(HALL).len(), 80 + 2 + 59 + 3);
}

/// Every file under `records/` is a committed Parquet file or its key index, and the
/// quarantine directory holds one file per batch that quarantined rows.
fn only_committed_files_remain(env: &Env, quarantining_batches: usize) {
    let mut committed = Vec::new();
    for f in env.files(HALL) {
        let parquet = env.dir.abs(&f.path);
        committed.push(parquet.with_extension("keys"));
        committed.push(parquet);
    }
    committed.sort();
    assert_eq!(env.record_files(), committed);
    let quarantined = std::fs::read_dir(env.dir.root().join("quarantine")).map_or(0, |d| d.count());
    assert_eq!(quarantined, quarantining_batches);
}

#[test]
fn a_repeated_id_is_caught_whether_in_the_file_or_stored_and_nothing_else_is_left() {
    // A file repeating no id is stored in one pass; a repeated id makes the import drop
    // what that pass wrote and check the ids first. Either way the outcome is the same
    // rows, and no file of the dropped pass is left behind.
    let env = Env::new();
    // T1..T4 on 8 October, then T2 again (line 6) with a later time: a repeat in the file.
    let mut rows = day("T", "2026-10-08", 4);
    rows.push(("h1", "T2".into(), "2026-10-08 18:00:00".into()));
    let a = env.write("a.csv", csv_of(&rows));
    let r = env.import_ok(HALL, &a);
    assert_accounting(&r);
    assert_eq!((r.rows_read, r.rows_stored, r.duplicates), (5, 4, 1));
    let q = quarantine(&r);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].line, 6);
    assert_eq!(q[0].reasons, "same id as line 3 of this file");
    only_committed_files_remain(&env, 1);

    // T5, T6 are new; T4 is stored already (line 2 of this file).
    let b = env.write(
        "b.csv",
        tickets(&[
            ("h1", "T4".into(), "2026-10-08 19:00:00"),
            ("h1", "T5".into(), "2026-10-08 19:05:00"),
            ("h1", "T6".into(), "2026-10-08 19:10:00"),
        ]),
    );
    let r = env.import_ok(HALL, &b);
    assert_eq!((r.rows_read, r.rows_stored, r.duplicates), (3, 2, 1));
    assert_eq!(quarantine(&r)[0].line, 2);
    only_committed_files_remain(&env, 2);

    // Nothing repeated: stored in one pass, no quarantine file.
    let c = env.write(
        "c.csv",
        tickets(&[("h1", "T7".into(), "2026-10-08 20:00:00")]),
    );
    let r = env.import_ok(HALL, &c);
    assert_eq!((r.rows_stored, r.rows_quarantined), (1, 0));
    assert!(r.quarantine_file.is_none());
    only_committed_files_remain(&env, 2);
    // 4 + 2 + 1 rows, each id once.
    assert_eq!(env.visible(HALL, "2026-10-08..2026-10-08"), 7);
}

#[test]
fn strict_stores_nothing_when_any_row_is_invalid() {
    let env = Env::new();
    let mut rows = day("T", "2026-10-08", 20);
    rows.insert(7, ("h1", "BAD".into(), "08/10/2026".into()));
    let path = env.write("strict.csv", csv_of(&rows));
    let r = env.import(HALL, &path, STRICT).expect("report");
    assert_eq!(r.status, ImportStatus::RejectedStrict);
    assert_eq!(r.batch, None);
    // 21 rows read: the bad one (line 9) quarantined, the 20 valid ones not stored.
    assert_eq!(
        (
            r.rows_read,
            r.rows_stored,
            r.rows_quarantined,
            r.rows_not_stored
        ),
        (21, 0, 1, 20)
    );
    assert_accounting(&r);
    assert!(r.files.is_empty());
    assert_eq!(env.batches(), 0);
    assert!(env.record_files().is_empty(), "{:?}", env.record_files());
    assert_eq!(env.visible(HALL, "2026-10"), 0);
    // The quarantine file says what to fix; its name says the file was rejected and
    // carries no batch number (there is none).
    let q = quarantine(&r);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].line, 9);
    assert!(q[0].reasons.contains("issued_at"), "{q:?}");
    let name = std::path::Path::new(r.quarantine_file.as_deref().expect("quarantine file"))
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a file name")
        .to_string();
    assert!(name.starts_with("rejected-hall_ticket-r"), "{name}");
    assert!(!name.contains("-b") && !name.starts_with('b'), "{name}");
    assert_eq!(env.quarantine_files().len(), 1);
    // It outlives the next import, which is the first batch.
    let next = env.write(
        "next.csv",
        tickets(&[
            ("zz", "N0".into(), "2026-10-09 09:00:00"),
            ("h1", "N1".into(), "2026-10-09 09:00:00"),
        ]),
    );
    let n = env.import_ok(HALL, &next);
    assert_eq!(n.batch, Some(1));
    assert_ne!(n.quarantine_file, r.quarantine_file);
    assert_eq!(
        quarantine(&r),
        q,
        "the strict run's quarantine file is kept"
    );

    // Corrected, the same rows are all stored.
    rows.remove(7);
    let fixed = env.write("fixed.csv", csv_of(&rows));
    let r = env.import(HALL, &fixed, STRICT).expect("report");
    assert_eq!(r.status, ImportStatus::Committed);
    assert_accounting(&r);
    assert_eq!((r.rows_read, r.rows_stored, r.rows_not_stored), (20, 20, 0));
    assert_eq!(env.visible(HALL, "2026-10-08..2026-10-08"), 20);
}

#[test]
fn replace_supersedes_the_days_it_covers_even_with_the_same_ids() {
    let env = Env::new();
    let mut first = day("T", "2026-10-08", 10);
    first.extend(day("U", "2026-10-09", 6));
    let a = env.write("week.csv", csv_of(&first));
    env.import_ok(HALL, &a);
    assert_eq!(env.visible(HALL, "2026-10-08..2026-10-08"), 10);
    assert_eq!(env.visible(HALL, "2026-10-09..2026-10-09"), 6);

    // A corrected 8 October: T1..T7 again (same ids, now the only tickets of the day).
    let b = env.write("oct8-fixed.csv", csv_of(&day("T", "2026-10-08", 7)));
    let r = env.import(HALL, &b, REPLACE).expect("replace");
    assert_eq!(r.status, ImportStatus::Committed);
    assert_accounting(&r);
    assert_eq!((r.rows_stored, r.duplicates), (7, 0), "{r:?}");
    // It covers (h1, 8 October), where batch 1 holds T1..T10: 10 rows superseded; U1..U6
    // of the 9th are not covered.
    assert_eq!(r.rows_superseded, 10);
    assert_eq!(env.visible(HALL, "2026-10-08..2026-10-08"), 7);
    assert_eq!(env.visible(HALL, "2026-10-09..2026-10-09"), 6);
    assert_eq!(env.visible(HALL, "2026-10"), 13);

    // Corrected again with other ids: the latest replacement wins.
    let c = env.write("oct8-again.csv", csv_of(&day("V", "2026-10-08", 3)));
    let r = env.import(HALL, &c, REPLACE).expect("replace");
    // On (h1, 8 October) batch 1's ten rows are superseded already; batch 2's seven
    // (T1..T7) are the ones this batch takes over.
    assert_eq!(r.rows_superseded, 7);
    assert_eq!(env.visible(HALL, "2026-10-08..2026-10-08"), 3);
    assert_eq!(env.visible(HALL, "2026-10"), 9);

    // T9 was superseded twice: sent again it is new, not a duplicate, and counts once.
    let d = env.write(
        "late-t9.csv",
        tickets(&[("h1", "T9".into(), "2026-10-08 12:00:00")]),
    );
    let r = env.import_ok(HALL, &d);
    assert_eq!((r.rows_stored, r.duplicates), (1, 0));
    assert_eq!(env.visible(HALL, "2026-10-08..2026-10-08"), 4);
    // V1 of the latest replacement is still visible there: a duplicate.
    let e = env.write(
        "late-v1.csv",
        tickets(&[("h1", "V1".into(), "2026-10-08 12:00:00")]),
    );
    // Its only row a duplicate, the file is rejected whole: no batch.
    let r = env
        .import(HALL, &e, ImportOptions::default())
        .expect("file read");
    assert_eq!((r.status, r.duplicates), (ImportStatus::AllQuarantined, 1));
}

#[test]
fn replace_with_an_id_moved_to_another_day() {
    let env = Env::new();
    let mut first = day("T", "2026-10-08", 4);
    first.extend(day("U", "2026-10-09", 4));
    let a = env.write("two-days.csv", csv_of(&first));
    env.import_ok(HALL, &a);

    // U1 moved from 9 to 8 October, but 9 October is not re-sent: U1 stays on the 9th,
    // and the moved copy is a duplicate (counted once, never lost).
    let mut rows = day("T", "2026-10-08", 4);
    rows.push(("h1", "U1".into(), "2026-10-08 18:00:00".into()));
    let b = env.write("moved.csv", csv_of(&rows));
    let r = env.import(HALL, &b, REPLACE).expect("replace");
    assert_accounting(&r);
    assert_eq!((r.rows_stored, r.duplicates), (4, 1), "{r:?}");
    let q = quarantine(&r);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].line, 6);
    assert!(
        q[0].reasons
            .contains("already stored in batch 1 on 2026-10-09"),
        "{q:?}"
    );
    assert_eq!(env.visible(HALL, "2026-10-08..2026-10-08"), 4);
    assert_eq!(env.visible(HALL, "2026-10-09..2026-10-09"), 4);

    // Both days re-sent, U1 moved and listed before the 9th's rows: it is stored once,
    // on the 8th, because this file covers the 9th too and supersedes its old copy.
    let mut rows = day("T", "2026-10-08", 4);
    rows.push(("h1", "U1".into(), "2026-10-08 18:00:00".into()));
    rows.extend(day("U", "2026-10-09", 4).into_iter().skip(1));
    let c = env.write("moved-both.csv", csv_of(&rows));
    let r = env.import(HALL, &c, REPLACE).expect("replace");
    assert_accounting(&r);
    assert_eq!((r.rows_stored, r.duplicates), (8, 0), "{r:?}");
    assert_eq!(env.visible(HALL, "2026-10-08..2026-10-08"), 5);
    assert_eq!(env.visible(HALL, "2026-10-09..2026-10-09"), 3);
    assert!(
        !env.dir
            .root()
            .join("quarantine")
            .read_dir()
            .expect("quarantine dir")
            .any(|e| e
                .expect("entry")
                .path()
                .to_string_lossy()
                .contains("pending")),
        "temporary files of deferred rows are removed"
    );
}

/// UTC milliseconds of `issued_at` for each stored ticket id.
fn issued_at(env: &Env) -> Vec<(String, i64)> {
    ticket_rows(env.files(HALL).iter().map(|f| env.dir.abs(&f.path)))
}

#[test]
fn local_times_are_read_in_the_sites_time_zone() {
    let env = Env::new();
    let path = env.write(
        "tz.csv",
        tickets(&[
            // 09:15:02 in Shanghai (UTC+8) is 01:15:02 UTC.
            ("h1", "A".into(), "2026-10-08 09:15:02"),
            // 07:00 on 1 October in Shanghai is still 30 September in UTC.
            ("h1", "B".into(), "2026-10-01 07:00:00"),
            // London is on summer time (UTC+1) on 1 October: 00:30 is 23:30 UTC the day before.
            ("h2", "C".into(), "2026-10-01 00:30:00"),
            // The same instant written with an offset.
            ("h1", "D".into(), "2026-10-08T09:15:02+08:00"),
            // A fraction of a second is kept.
            ("h1", "E".into(), "2026-10-08 09:15:02.250"),
        ]),
    );
    let r = env.import_ok(HALL, &path);
    assert_eq!(r.rows_stored, 5, "{r:?}");
    assert_eq!(
        issued_at(&env),
        [
            ("A".to_string(), 1_791_422_102_000),
            ("B".to_string(), 1_790_809_200_000),
            ("C".to_string(), 1_790_811_000_000),
            ("D".to_string(), 1_791_422_102_000),
            ("E".to_string(), 1_791_422_102_250),
        ]
    );
    // Days and month partitions follow the site's clock, not UTC.
    assert_eq!(env.visible(HALL, "2026-10-01..2026-10-01"), 2);
    assert_eq!(env.visible(HALL, "2026-09-30..2026-09-30"), 0);
    let months: Vec<String> = env.files(HALL).into_iter().map(|f| f.month).collect();
    assert_eq!(months, ["2026-10"]);
}

#[test]
fn concurrent_imports_never_overwrite_each_others_files() {
    // Two imports of the same kind run at once against the same committed batches
    // (none): each names its files by its own run, so both prepare, both commit (as
    // batches 1 and 2, in either order), and every row is stored once.
    let env = Env::new();
    let a = env.write("a.csv", csv_of(&day("A", "2026-10-08", 300)));
    let b = env.write("b.csv", csv_of(&day("B", "2026-10-08", 50)));
    let manifest = env.ledger.borrow().kind(HALL);
    let cx = ImportContext {
        dir: &env.dir,
        org: &env.org,
        manifest: &manifest,
        accept: InstantWindow::default(),
    };
    let run = |path: &std::path::Path| {
        let cancel = AtomicBool::new(false);
        import_file(&cx, HALL, path, ImportOptions::default(), &|_| {}, &cancel)
    };
    let (ra, rb) = std::thread::scope(|s| {
        let ra = s.spawn(|| run(&a));
        let rb = s.spawn(|| run(&b));
        (ra.join().expect("thread"), rb.join().expect("thread"))
    });
    let prepared = |r: Result<Imported, ImportError>| match r {
        Ok(Imported::Ready(p)) => p,
        other => panic!("prepared expected, got {other:?}"),
    };
    let (pa, pb) = (prepared(ra), prepared(rb));
    for f in &pa.files {
        assert!(pb.files.iter().all(|g| g.path != f.path), "{}", f.path);
    }
    let mut ledger = env.ledger.borrow_mut();
    assert_eq!(ledger.commit(HALL, false, pb).batch, Some(1));
    assert_eq!(ledger.commit(HALL, false, pa).batch, Some(2));
    drop(ledger);
    assert_eq!(env.stored_ids(HALL).len(), 350);
    assert_eq!(env.visible(HALL, "2026-10-08..2026-10-08"), 350);
}
