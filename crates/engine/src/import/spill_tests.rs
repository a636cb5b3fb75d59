//! Tests of the duplicate-id check with a tiny sorter budget: every sorter spills and
//! merges runs in rounds, and the reports, reasons and lines must be exactly those of a
//! check held in memory. Expected values are worked out by hand in the comments.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use yardstick_core::org::Organisation;
use yardstick_core::records::RecordKind;

use super::{
    ImportContext, ImportOptions, ImportReport, ImportStatus, InstantWindow, Limits,
    import_file_within,
};
use crate::layout::DataDir;

#[path = "../../tests/ledger.rs"]
mod ledger;
#[path = "../../tests/ticket_rows.rs"]
mod ticket_rows;

use ledger::Ledger;

const ORG: &str = r#"
[[node]]
id = "op"
level = "operator"
name_zh = "运营商"

[[node]]
id = "gd"
parent = "op"
level = "province"
name_zh = "广东"

[[node]]
id = "gz"
parent = "gd"
level = "city"
name_zh = "广州"

[[site]]
id = "h1"
parent = "gz"
name_zh = "营业厅"
scene = "hall"
area = "urban"
tz = "Asia/Shanghai"

[[site]]
id = "h2"
parent = "gz"
name_zh = "营业厅二"
scene = "hall"
area = "urban"
tz = "Asia/Shanghai"
"#;

struct Env {
    tmp: tempfile::TempDir,
    dir: DataDir,
    ledger: RefCell<Ledger>,
    org: Organisation,
}

impl Env {
    fn new() -> Env {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = DataDir::new(tmp.path().join("data"));
        std::fs::create_dir_all(dir.root()).expect("data dir");
        let org = Organisation::from_toml("org.toml", ORG).expect("organisation");
        Env {
            tmp,
            dir,
            ledger: RefCell::new(Ledger::default()),
            org,
        }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.tmp.path().join(name);
        std::fs::write(&p, text).expect("file written");
        p
    }

    /// Imports with sorters that hold `budget` records at most.
    fn import(&self, path: &Path, replace: bool, budget: usize) -> ImportReport {
        let limits = Limits {
            spill_budget: budget,
            ..Limits::default()
        };
        self.import_within(path, replace, limits)
    }

    fn import_within(&self, path: &Path, replace: bool, limits: Limits) -> ImportReport {
        let r = self
            .try_import_within(path, replace, limits)
            .expect("imported");
        // A file of quarantined rows only is rejected whole (no batch).
        let status = if r.rows_stored == 0 && r.rows_quarantined > 0 {
            ImportStatus::AllQuarantined
        } else {
            ImportStatus::Committed
        };
        assert_eq!(r.status, status);
        assert_eq!(r.rows_stored + r.rows_quarantined, r.rows_read, "{r:?}");
        let scratch = self.dir.root().join("tmp");
        let left = std::fs::read_dir(&scratch).map_or(0, Iterator::count);
        assert_eq!(left, 0, "temporary files are removed");
        r
    }

    fn try_import_within(
        &self,
        path: &Path,
        replace: bool,
        limits: Limits,
    ) -> Result<ImportReport, super::ImportError> {
        let opts = ImportOptions {
            strict: false,
            replace,
        };
        let kind = RecordKind::HallTicket;
        self.ledger.borrow_mut().settle(kind, replace, |manifest| {
            let cx = ImportContext {
                dir: &self.dir,
                org: &self.org,
                manifest,
                accept: InstantWindow::default(),
            };
            let cancel = AtomicBool::new(false);
            import_file_within(&cx, kind, path, opts, limits, &|_| {}, &cancel)
        })
    }

    /// The key index of the first file of a committed batch.
    fn index_of_batch(&self, batch: i64) -> PathBuf {
        let ledger = self.ledger.borrow();
        let b = ledger.batch(batch).expect("committed batch");
        crate::layout::key_index_path(&self.dir.abs(&b.files[0].path))
    }

    /// Key index files under `records/`.
    fn indexes(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        files_under(&self.dir.root().join("records"), &mut out);
        out.retain(|p| p.extension().is_some_and(|x| x == "keys"));
        out.sort();
        out
    }
}

/// (line, reasons) of every quarantined row.
fn quarantined(r: &ImportReport) -> Vec<(u64, String)> {
    let Some(q) = &r.quarantine_file else {
        return Vec::new();
    };
    let mut rdr = csv::Reader::from_path(q).expect("quarantine file");
    rdr.records()
        .map(|rec| {
            let rec = rec.expect("record");
            (rec[0].parse().expect("line"), rec[1].to_string())
        })
        .collect()
}

/// A hall ticket row of site `site` on `day` (of October 2026).
fn row(site: &str, id: &str, day: u32, outcome: &str) -> String {
    format!("{site},{id},payment,2026-10-{day:02} 10:00:00,{outcome}\n")
}

const HEADER: &str = "site_id,ticket_id,service_type,issued_at,outcome\n";

#[test]
fn a_file_far_larger_than_the_sorter_budget_finds_exactly_its_repeated_ids() {
    // Budget 3: more lines of repeated ids than the budget, so the rows are checked in a
    // first pass. Budget 150: the 203 keys spill, but the 102 lines of repeated ids fit,
    // so the first pass reads keys only and the second keeps each id's first valid line.
    for budget in [3, 150] {
        file_far_larger_than_the_budget(budget);
    }
}

fn file_far_larger_than_the_budget(budget: usize) {
    let env = Env::new();
    // 200 rows on lines 2..=201: row i has id T(i mod 150), so rows 150..=199 repeat
    // T0..=T49. Row 0 (T0, line 2) is invalid (unknown outcome): its repeat, row 150 on
    // line 152, is T0's first valid row and is stored. Rows 151..=199 (lines 153..=201)
    // repeat T1..=T49, first seen on lines 3..=51: 49 duplicates. Site h2 uses the same
    // ids without clashing (the key is site and id). Budget 3: 67 runs, merged in rounds.
    let mut text = String::from(HEADER);
    for i in 0..200u32 {
        let outcome = if i == 0 { "vanished" } else { "left" };
        text.push_str(&row("h1", &format!("T{}", i % 150), 1 + i % 28, outcome));
    }
    // Lines 202..=204: h2's T1 and T2 (new), then h2's T1 again (line 204 repeats 202).
    text.push_str(&row("h2", "T1", 3, "left"));
    text.push_str(&row("h2", "T2", 3, "left"));
    text.push_str(&row("h2", "T1", 4, "left"));
    let a = env.write("a.csv", &text);
    let r = env.import(&a, false, budget);
    assert_eq!(r.rows_read, 203);
    assert_eq!(
        (r.rows_stored, r.duplicates, r.rows_quarantined),
        (152, 50, 51)
    );
    let q = quarantined(&r);
    assert_eq!(q[0].0, 2);
    assert!(q[0].1.contains("outcome"), "{:?}", q[0]);
    let mut expected: Vec<(u64, String)> = (153..=201u64)
        .map(|line| (line, format!("same id as line {} of this file", line - 150)))
        .collect();
    expected.push((204, "same id as line 202 of this file".into()));
    assert_eq!(q[1..], expected[..]);
    assert_eq!(env.indexes().len(), 1, "one month, one key index");

    // A second file: T140..=T159 of h1 on lines 2..=21. T140..=T149 (lines 2..=11) are
    // stored in batch 1, T150..=T159 are new; line 22 is T0 again, stored in batch 1
    // from line 152; line 23 repeats T150 of line 12 of this file.
    let mut text = String::from(HEADER);
    for i in 140..160u32 {
        text.push_str(&row("h1", &format!("T{i}"), 5, "left"));
    }
    text.push_str(&row("h1", "T0", 6, "left"));
    text.push_str(&row("h1", "T150", 6, "left"));
    // Line 24: T140 again, stored in batch 1 and first on line 2 of this file.
    text.push_str(&row("h1", "T140", 6, "left"));
    let b = env.write("b.csv", &text);
    let r = env.import(&b, false, budget.min(5));
    assert_eq!((r.rows_read, r.rows_stored, r.duplicates), (23, 10, 13));
    let mut expected: Vec<(u64, String)> = (2..=11u64)
        .map(|line| (line, "already stored in batch 1".to_string()))
        .collect();
    expected.push((22, "already stored in batch 1".into()));
    expected.push((23, "same id as line 12 of this file".into()));
    expected.push((24, "same id as line 2 of this file".into()));
    assert_eq!(quarantined(&r), expected);
    assert_eq!(env.indexes().len(), 2);

    // A store older than key indexes: without them, they are built from the Parquet
    // files on first use, with the same answers. T150 is stored in batch 2, T1 in 1.
    for ix in env.indexes() {
        std::fs::remove_file(ix).expect("index removed");
    }
    let c = env.write(
        "c.csv",
        &format!(
            "{HEADER}{}{}{}",
            row("h1", "T150", 7, "left"),
            row("h1", "T1", 7, "left"),
            row("h1", "T999", 7, "left")
        ),
    );
    let r = env.import(&c, false, budget.min(2));
    assert_eq!((r.rows_stored, r.duplicates), (1, 2));
    assert_eq!(
        quarantined(&r),
        [
            (2, "already stored in batch 2".to_string()),
            (3, "already stored in batch 1".to_string()),
        ]
    );
    assert_eq!(env.indexes().len(), 3, "two rebuilt, one new");

    // An index of version 01 (keys of the former hash function, here garbled: every
    // byte after the 8-byte header and before the site table flipped) is not trusted:
    // it is rebuilt, and T2 (batch 1) is still found.
    let old = env.index_of_batch(1);
    let mut bytes = std::fs::read(&old).expect("index read");
    bytes[..8].copy_from_slice(b"YSKEYS01");
    for b in &mut bytes[8..8 + 28] {
        *b = !*b;
    }
    std::fs::write(&old, &bytes).expect("index written");
    let d = env.write("d.csv", &format!("{HEADER}{}", row("h1", "T2", 8, "left")));
    let r = env.import(&d, false, budget.min(2));
    assert_eq!((r.rows_stored, r.duplicates), (0, 1));
    assert_eq!(
        quarantined(&r),
        [(2, "already stored in batch 1".to_string())]
    );
    let rebuilt = std::fs::read(&old).expect("index read");
    assert_eq!(&rebuilt[..8], b"YSKEYS02");
}

#[test]
fn replace_with_spilled_notes_supersedes_and_defers_as_in_memory() {
    let env = Env::new();
    // Batch 1: T1..=T4 on 8 October, U1..=U4 on 9 October (lines 2..=9).
    let mut text = String::from(HEADER);
    for i in 1..=4 {
        text.push_str(&row("h1", &format!("T{i}"), 8, "left"));
    }
    for i in 1..=4 {
        text.push_str(&row("h1", &format!("U{i}"), 9, "left"));
    }
    let a = env.write("a.csv", &text);
    assert_eq!(env.import(&a, false, 1).rows_stored, 8);

    // --replace of 8 October: T1..=T4 again (same day: stored, superseding), U1 moved
    // to the 8th (line 6; the 9th is not covered: a duplicate naming batch 1 and the
    // 9th), U2 moved to the 10th (line 7, likewise), and T1 again (line 8 repeats 2).
    let mut text = String::from(HEADER);
    for i in 1..=4 {
        text.push_str(&row("h1", &format!("T{i}"), 8, "left"));
    }
    text.push_str(&row("h1", "U1", 8, "left"));
    text.push_str(&row("h1", "U2", 10, "left"));
    text.push_str(&row("h1", "T1", 8, "left"));
    let b = env.write("b.csv", &text);
    let r = env.import(&b, true, 1);
    assert_eq!((r.rows_read, r.rows_stored, r.duplicates), (7, 4, 3));
    let moved = "already stored in batch 1 on 2026-10-09; --replace supersedes only the days this file covers";
    // Rows set aside are settled, and quarantined, after the rest of the file.
    assert_eq!(
        quarantined(&r),
        [
            (8, "same id as line 2 of this file".to_string()),
            (6, moved.to_string()),
            (7, moved.to_string()),
        ]
    );

    // --replace of the 9th and 10th with U2 moved to the 10th (line 2) before the rows
    // of the 9th: the file covers the 9th, so U2's copy there is superseded and U2 is
    // stored; U1 of the 9th is superseded by this batch too (line 3, same day).
    let c = env.write(
        "c.csv",
        &format!(
            "{HEADER}{}{}",
            row("h1", "U2", 10, "left"),
            row("h1", "U1", 9, "left")
        ),
    );
    let r = env.import(&c, true, 1);
    assert_eq!((r.rows_stored, r.duplicates), (2, 0), "{r:?}");

    // T1 of batch 2 (8th) is visible; U1 of batch 1 (9th) is superseded by batch 3, whose
    // own U1 is visible; U3 of the 9th is superseded and not re-sent: new again.
    let d = env.write(
        "d.csv",
        &format!(
            "{HEADER}{}{}{}",
            row("h1", "T1", 8, "left"),
            row("h1", "U1", 9, "left"),
            row("h1", "U3", 9, "left")
        ),
    );
    let r = env.import(&d, false, 1);
    assert_eq!(
        quarantined(&r),
        [
            (2, "already stored in batch 2".to_string()),
            (3, "already stored in batch 3".to_string()),
        ]
    );
    assert_eq!(r.rows_stored, 1);
}

#[test]
fn temporary_files_of_a_killed_run_are_removed_by_the_next_one() {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let env = Env::new();
    // Process ids never exceed 2^22 on Linux: this run's process is surely gone.
    let dead = env
        .dir
        .scratch_root()
        .join("import-b1-hall_ticket-0000abcd-p4294967");
    std::fs::create_dir_all(&dead).expect("scratch dir");
    std::fs::write(dead.join("keys-1.run"), [0u8; 24]).expect("spilled run");
    let a = env.write("a.csv", &format!("{HEADER}{}", row("h1", "T1", 8, "left")));
    assert_eq!(env.import(&a, false, 1).rows_stored, 1);
    assert!(!dead.exists());
}

#[test]
fn key_indexes_of_several_months_spill_apart() {
    let env = Env::new();
    // T0..=T29 on lines 2..=31, over October, November and December (i mod 3): each
    // month's key index gets 10 entries, spilled a record at a time.
    let month_day = |i: u32| format!("2026-{}-{:02}", 10 + i % 3, 1 + i);
    let mut text = String::from(HEADER);
    for i in 0..30u32 {
        text.push_str(&format!("h1,T{i},payment,{} 10:00:00,left\n", month_day(i)));
    }
    let a = env.write("a.csv", &text);
    assert_eq!(env.import(&a, false, 1).rows_stored, 30);
    assert_eq!(env.indexes().len(), 3);
    // Every id again, on other days: all 30 are stored in batch 1.
    let mut text = String::from(HEADER);
    for i in 0..30u32 {
        text.push_str(&format!(
            "h1,T{i},payment,2026-10-{:02} 12:00:00,left\n",
            1 + i
        ));
    }
    let b = env.write("b.csv", &text);
    let r = env.import(&b, false, 1);
    assert_eq!((r.rows_stored, r.duplicates), (0, 30));
    let expected: Vec<(u64, String)> = (2..=31u64)
        .map(|line| (line, "already stored in batch 1".to_string()))
        .collect();
    assert_eq!(quarantined(&r), expected);
}

/// (ticket id, issued at) of every stored row of a report's files.
fn stored_rows(env: &Env, r: &ImportReport) -> Vec<(String, i64)> {
    ticket_rows::ticket_rows(r.files.iter().map(|f| env.dir.abs(f)))
}

/// Limits that read a file whole, and that cut any file into three segments.
fn whole_and_in_three() -> (Limits, Limits) {
    let whole = Limits {
        segment_min: u64::MAX,
        ..Limits::default()
    };
    let three = Limits {
        segment_min: 0,
        segments: 3,
        ..Limits::default()
    };
    (whole, three)
}

/// Imports `text` as file `name` twice, into two new stores: read whole, then in three
/// segments.
fn whole_then_in_three(name: &str, text: &str) -> [(Env, ImportReport); 2] {
    let (whole, three) = whole_and_in_three();
    let a = Env::new();
    let r1 = a.import_within(&a.write(name, text), false, whole);
    let b = Env::new();
    let r2 = b.import_within(&b.write(name, text), false, three);
    [(a, r1), (b, r2)]
}

/// The bytes of a report's quarantine file.
fn quarantine_bytes(r: &ImportReport) -> Vec<u8> {
    std::fs::read(r.quarantine_file.as_ref().expect("quarantine file")).expect("read")
}

#[test]
fn a_file_read_in_segments_is_imported_as_if_read_whole() {
    // 300 tickets on CRLF lines after a BOM and the header (line 1), with blank lines
    // before rows 50, 147 and 244, so row i is on line 2 + i + (blank lines before it).
    // Rows with i % 41 == 7 (i = 7, 48, 89, 130, 171, 212, 253, 294) have an unknown
    // outcome and row 120 a cell too many: 9 quarantined, 291 stored. Read in three
    // segments, the rows, the report and the quarantine file (rows in file order) are
    // those of reading it whole. Of the blank lines, the one before row 147 is spaces.
    let blanks = [50u32, 147, 244];
    // Two columns that are not fields, `zz` before `aa`: listed as ignored in header
    // order.
    let header = HEADER.replace('\n', ",zz,aa\r\n");
    let mut text = format!("\u{feff}{header}");
    for i in 0..300u32 {
        if blanks.contains(&i) {
            text.push_str(if i == 147 { "   \r\n" } else { "\r\n" });
        }
        let site = if i % 2 == 0 { "h1" } else { "h2" };
        let outcome = if i % 41 == 7 { "vanished" } else { "left" };
        // Empty `zz` and `aa` cells; row 120 has one cell too many: a malformed row.
        let cells = if i == 120 { ",,,extra\r\n" } else { ",,\r\n" };
        let line = row(site, &format!("T{i}"), 1 + i % 28, outcome).replace('\n', cells);
        text.push_str(&line);
    }
    let line = |i: u32| u64::from(2 + i) + blanks.iter().filter(|b| **b <= i).count() as u64;
    let invalid: Vec<u32> = (0..300).filter(|i| i % 41 == 7 || *i == 120).collect();
    assert_eq!(invalid, [7, 48, 89, 120, 130, 171, 212, 253, 294]);

    let [(whole, r1), (cut, r2)] = whole_then_in_three("a.csv", &text);
    for r in [&r1, &r2] {
        assert_eq!(
            (r.rows_read, r.rows_stored, r.rows_quarantined),
            (300, 291, 9)
        );
        assert_eq!(r.reasons.len(), 2, "{:?}", r.reasons);
        assert_eq!(r.ignored_columns, ["zz", "aa"]);
        assert_eq!(r.reasons.get("malformed row"), Some(&1));
        let q = quarantined(r);
        let lines: Vec<u64> = q.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, invalid.iter().map(|i| line(*i)).collect::<Vec<_>>());
    }
    assert_eq!(
        (r1.files.len(), r2.files.len()),
        (1, 3),
        "one month, one file a segment"
    );
    assert_eq!(quarantine_bytes(&r1), quarantine_bytes(&r2));
    let rows = stored_rows(&cut, &r2);
    assert_eq!(rows.len(), 291);
    assert_eq!(rows, stored_rows(&whole, &r1));

    // An id repeated across segments (T5 on row 5, again as the last row): the single
    // pass finds the repeat, drops what it wrote, and the file is imported with the
    // duplicate-id check: 300 rows stored, the repeat quarantined as a duplicate.
    let mut text = String::from(HEADER);
    for i in 0..300u32 {
        text.push_str(&row("h1", &format!("T{i}"), 1 + i % 28, "left"));
    }
    text.push_str(&row("h1", "T5", 9, "left"));
    let (never, three) = whole_and_in_three();
    let again = Env::new();
    let c = again.write("c.csv", &text);
    let r = again.import_within(&c, false, three);
    assert_eq!((r.rows_read, r.rows_stored, r.duplicates), (301, 300, 1));
    assert_eq!(
        quarantined(&r),
        [(302, "same id as line 7 of this file".to_string())]
    );
    assert_eq!(
        again.indexes().len(),
        r.files.len(),
        "only the committed files remain"
    );

    // A cell that is not UTF-8 (row 250, its ticket id): the file fails whole, read in
    // segments or not, naming line 252 and the column; nothing is left behind.
    let mut bytes = HEADER.as_bytes().to_vec();
    for i in 0..300u32 {
        if i == 250 {
            bytes.extend_from_slice(b"h1,T\xff250,payment,2026-10-03 10:00:00,left\n");
        } else {
            bytes.extend_from_slice(row("h1", &format!("T{i}"), 1 + i % 28, "left").as_bytes());
        }
    }
    let bad = Env::new();
    let d = bad.tmp.path().join("d.csv");
    std::fs::write(&d, &bytes).expect("written");
    for limits in [never, three] {
        let e = bad
            .try_import_within(&d, false, limits)
            .expect_err("not UTF-8");
        assert_eq!(
            e.to_string(),
            super::ImportError::NotUtf8 {
                path: d.display().to_string(),
                line: 252,
                column: Some("ticket_id".into()),
            }
            .to_string()
        );
        assert!(bad.indexes().is_empty(), "nothing is left behind");
    }
}

#[test]
fn a_file_of_more_months_than_indexes_merged_at_once_is_checked_in_full() {
    // 40 tickets, one a month from January 2023: more month files than the 32 key
    // indexes merged at once, so the single pass cannot vouch for them and the full
    // check runs. No id repeats: all 40 are stored, one file a month.
    let env = Env::new();
    let mut text = String::from(HEADER);
    for m in 0..40u32 {
        let (year, month) = (2023 + m / 12, 1 + m % 12);
        text.push_str(&format!(
            "h1,T{m},payment,{year}-{month:02}-10 10:00:00,left\n"
        ));
    }
    let a = env.write("a.csv", &text);
    let r = env.import(&a, false, 1 << 20);
    assert_eq!(
        (r.rows_read, r.rows_stored, r.rows_quarantined),
        (40, 40, 0)
    );
    assert_eq!(r.files.len(), 40);
    assert_eq!(env.indexes().len(), 40, "only the committed files remain");
}

#[test]
fn segments_larger_than_the_read_buffer_split_no_line() {
    // 75 000 tickets of 44 bytes (3.3 MB): each of three segments is larger than the
    // 1 MiB read buffer, so lines straddle buffer fills. Every 9 999th row (i = 0, 9 999,
    // …, 69 993: 8 rows) has an unknown outcome. Read whole and in segments: the same
    // 74 992 rows stored and the same quarantine file.
    let mut text = String::from(HEADER);
    for i in 0..75_000u32 {
        let outcome = if i % 9_999 == 0 { "vanished" } else { "left" };
        text.push_str(&row("h1", &format!("T{i:06}"), 1 + i % 28, outcome));
    }
    assert!(text.len() > 3 << 20);
    let [(whole, r1), (cut, r2)] = whole_then_in_three("a.csv", &text);
    for r in [&r1, &r2] {
        assert_eq!(
            (r.rows_read, r.rows_stored, r.rows_quarantined),
            (75_000, 74_992, 8)
        );
    }
    assert_eq!(r2.files.len(), 3);
    assert_eq!(quarantine_bytes(&r1), quarantine_bytes(&r2));
    assert_eq!(stored_rows(&cut, &r2), stored_rows(&whole, &r1));
}

#[test]
fn a_json_lines_file_read_in_segments_is_imported_as_if_read_whole() {
    // 300 tickets as JSON Lines (CR LF, a BOM on line 1, a blank line before row 100),
    // so row i is on line i + 1, or i + 2 from row 100 on. Rows with i % 37 == 5 (i = 5,
    // 42, 79, 116, 153, 190, 227, 264: 8) have an unknown outcome and row 200 is not
    // JSON: 9 quarantined, 291 stored. Rows 10, 150 and 250 carry keys that are not
    // fields (`x10`, `x150`, `x250`): every segment's are listed as ignored.
    let mut text = String::from("\u{feff}");
    for i in 0..300u32 {
        if i == 100 {
            text.push_str("\r\n");
        }
        let outcome = if i % 37 == 5 { "vanished" } else { "left" };
        let extra = if [10, 150, 250].contains(&i) {
            format!(r#","x{i}":1"#)
        } else {
            String::new()
        };
        if i == 200 {
            text.push_str("{\"site_id\": \r\n");
        } else {
            text.push_str(&format!(
                r#"{{"site_id":"h1","ticket_id":"T{i}","service_type":"payment","issued_at":"2026-10-{:02} 10:00:00","outcome":"{outcome}"{extra}}}"#,
                1 + i % 28
            ));
            text.push_str("\r\n");
        }
    }
    let line = |i: u32| u64::from(i + 1 + u32::from(i >= 100));
    let [(whole, r1), (cut, r2)] = whole_then_in_three("a.jsonl", &text);
    let bad: Vec<u32> = (0..300).filter(|i| i % 37 == 5 || *i == 200).collect();
    for r in [&r1, &r2] {
        assert_eq!(
            (r.rows_read, r.rows_stored, r.rows_quarantined),
            (300, 291, 9)
        );
        assert_eq!(r.ignored_columns, ["x10", "x150", "x250"]);
        let lines: Vec<u64> = quarantined(r).iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, bad.iter().map(|i| line(*i)).collect::<Vec<_>>());
    }
    assert_eq!((r1.files.len(), r2.files.len()), (1, 3));
    assert_eq!(quarantine_bytes(&r1), quarantine_bytes(&r2));
    assert_eq!(stored_rows(&cut, &r2), stored_rows(&whole, &r1));
}

/// Every file under `p`, at any depth, into `out`.
fn files_under(p: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(p).into_iter().flatten() {
        let p = e.expect("entry").path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every file under the data directory's `records/` and `quarantine/`.
fn data_files(env: &Env) -> Vec<PathBuf> {
    let mut out = Vec::new();
    files_under(&env.dir.root().join("records"), &mut out);
    files_under(&env.dir.root().join("quarantine"), &mut out);
    out.sort();
    out
}

#[test]
fn a_file_stored_already_is_a_no_op_read_whole_or_in_segments() {
    // 300 tickets, one (row 10) with an unknown outcome: read in three segments, 299
    // stored and 1 quarantined, in three files (one a segment) and one quarantine file.
    // The hash is worked out while the file is read; the same bytes under another name,
    // read whole or in segments, with `--replace` or not, the hash known early or late,
    // are the same batch again: the earlier batch's accounting, no new file, nothing
    // left of the reading that started before the hash was known.
    let mut text = String::from(HEADER);
    for i in 0..300u32 {
        let outcome = if i == 10 { "vanished" } else { "left" };
        text.push_str(&row("h1", &format!("T{i}"), 1 + i % 28, outcome));
    }
    let env = Env::new();
    let (whole, three) = whole_and_in_three();
    let first = env.import_within(&env.write("a.csv", &text), false, three);
    assert_eq!((first.rows_stored, first.rows_quarantined), (299, 1));
    let batch = first.batch.expect("committed");
    let files = data_files(&env);
    assert_eq!(
        files.len(),
        3 * 2 + 1,
        "three Parquet files, their keys, one quarantine"
    );

    let copy = env.write("copy-of-a.csv", &text);
    let late = |l: Limits| Limits {
        stop_early: false,
        ..l
    };
    // Late: as if the hash came after the reading had stored every row.
    for limits in [whole, three, late(whole), late(three)] {
        for replace in [false, true] {
            let r = env
                .try_import_within(&copy, replace, limits)
                .expect("re-import");
            assert_eq!(r.status, ImportStatus::AlreadyImported(batch), "{limits:?}");
            assert_eq!(
                (r.rows_read, r.rows_stored, r.rows_quarantined),
                (300, 299, 1)
            );
            assert!(r.files.is_empty() && r.quarantine_file.is_none());
            assert_eq!(data_files(&env), files, "{limits:?}, replace {replace}");
            let scratch = env.dir.root().join("tmp");
            assert_eq!(std::fs::read_dir(&scratch).map_or(0, Iterator::count), 0);
        }
    }
    assert_eq!(env.ledger.borrow().batches().len(), 1);
}

#[test]
fn a_small_file_meets_each_stored_file_with_its_keys_held_or_merged_again() {
    // 60 tickets stored (T0..T59, October); then 5 tickets of which T7 is stored: 5 keys
    // × 1 stored file ≤ 60, so the stored file is met one file at a time. With the
    // default budget the 5 keys are held in memory; with a budget of 2 they are merged
    // from the run's index again. Either way T7 is a duplicate: 5 read, 4 stored.
    for budget in [super::SPILL_BUDGET, 2] {
        let env = Env::new();
        let mut base = String::from(HEADER);
        for i in 0..60u32 {
            base.push_str(&row("h1", &format!("T{i}"), 1 + i % 28, "left"));
        }
        let r = env.import(&env.write("base.csv", &base), false, budget);
        assert_eq!(r.rows_stored, 60);
        let mut small = String::from(HEADER);
        for id in ["N1", "N2", "T7", "N3", "N4"] {
            small.push_str(&row("h1", id, 9, "left"));
        }
        let r = env.import(&env.write("small.csv", &small), false, budget);
        assert_eq!(
            (r.rows_read, r.rows_stored, r.duplicates),
            (5, 4, 1),
            "{budget}"
        );
        assert_eq!(
            quarantined(&r),
            [(4, "already stored in batch 1".to_string())],
            "{budget}"
        );
    }
}

#[test]
fn a_cancelled_import_in_segments_leaves_nothing_behind() {
    // 75 000 tickets (3.3 MB), every 9 999th with an unknown outcome, read in three
    // segments of 25 000 rows: the callback cancels at the first progress report, after
    // a segment's rows are all read and stored, with its quarantine file written. The
    // segments still reading stop at their next chunk; the import removes every run's
    // files and returns Cancelled.
    let env = Env::new();
    let mut text = String::from(HEADER);
    for i in 0..75_000u32 {
        let outcome = if i % 9_999 == 0 { "vanished" } else { "left" };
        text.push_str(&row("h1", &format!("T{i:06}"), 1 + i % 28, outcome));
    }
    let path = env.write("a.csv", &text);
    let (_, three) = whole_and_in_three();
    let manifest = env.ledger.borrow().kind(RecordKind::HallTicket);
    let cx = ImportContext {
        dir: &env.dir,
        org: &env.org,
        manifest: &manifest,
        accept: InstantWindow::default(),
    };
    let cancel = AtomicBool::new(false);
    let progress = |b: u64| {
        if b > 0 {
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    };
    let r = import_file_within(
        &cx,
        RecordKind::HallTicket,
        &path,
        ImportOptions::default(),
        three,
        &progress,
        &cancel,
    );
    assert!(matches!(r, Err(super::ImportError::Cancelled)), "{r:?}");
    assert!(data_files(&env).is_empty(), "{:?}", data_files(&env));
    let scratch = env.dir.root().join("tmp");
    assert_eq!(std::fs::read_dir(&scratch).map_or(0, Iterator::count), 0);
}
