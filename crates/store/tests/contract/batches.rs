//! The import manifest: whole commits, accounting and unique content enforced by the
//! database, snapshots as of a batch, live rows.

use std::collections::{BTreeMap, HashMap};

use yardstick_store::{
    BatchInfo, Constraint, FileEntry, KindManifestRows, NewFile, Pool, StoreError, testing,
};

use crate::support::{at, batch, execute};

fn day(site: &str, day: &str) -> (String, String) {
    (site.to_string(), day.to_string())
}

#[tokio::test]
async fn a_batch_commits_whole_and_reads_back_field_for_field() {
    for db in testing::databases().await {
        let store = db.store();
        assert_eq!(store.max_batch_id().await.expect("max"), None);
        assert!(store.batches().await.expect("batches").is_empty());
        let mut b = batch("hall_ticket", "a", false, &["2026-10-01", "2026-10-02"]);
        b.rows_read = 12;
        b.rows_not_stored = 2;
        b.rows_superseded = 0;
        let id = store.commit_batch(&b, at(5)).await.expect("commit");
        assert_eq!(id, 1, "{:?}", db.backend());
        let info = BatchInfo {
            id: 1,
            kind: "hall_ticket".into(),
            file_name: "a.csv".into(),
            content_hash: "a".into(),
            replace: false,
            committed_at: "2026-11-01T00:05:00.000Z".into(),
            rows_read: 12,
            rows_stored: 8,
            rows_quarantined: 2,
            rows_not_stored: 2,
            rows_superseded: 0,
            duplicates: 1,
            quarantine_path: Some("quarantine/a.csv".into()),
        };
        assert_eq!(store.batch(1).await.expect("batch"), Some(info.clone()));
        assert_eq!(store.batches().await.expect("batches"), [info]);
        assert_eq!(store.batch(2).await.expect("batch"), None);
        assert_eq!(
            store.batch_report_json(1).await.expect("report"),
            Some("{\"hash\":\"a\"}".to_string())
        );
        assert_eq!(store.batch_report_json(2).await.expect("report"), None);
        assert_eq!(store.max_batch_id().await.expect("max"), Some(1));
        assert_eq!(
            store.manifest("hall_ticket", None).await.expect("manifest"),
            KindManifestRows {
                files: vec![FileEntry {
                    batch_id: 1,
                    path: "records/hall_ticket/2026-10/a.parquet".into(),
                    month: "2026-10".into(),
                    rows: 8,
                    bytes: 800,
                    sha256: None,
                }],
                // Not a replace batch: it takes over no day.
                replaced: BTreeMap::new(),
                hashes: HashMap::from([("a".to_string(), 1)]),
            }
        );
        assert_eq!(
            store.manifest("contact", None).await.expect("manifest"),
            KindManifestRows::default()
        );
    }
}

#[tokio::test]
async fn accounting_that_does_not_add_up_is_refused_by_the_database() {
    for db in testing::databases().await {
        let store = db.store();
        // 9 stored + 2 quarantined + 0 not stored = 11, not the 10 read.
        let mut wrong = batch("hall_ticket", "a", false, &["2026-10-01"]);
        wrong.rows_stored = 9;
        let err = store
            .commit_batch(&wrong, at(0))
            .await
            .expect_err("refused");
        assert!(
            matches!(err, StoreError::Refused(Constraint::BatchAccounting)),
            "{:?}: {err:?}",
            db.backend()
        );
        assert!(
            err.to_string().contains("row counts do not add up"),
            "{err}"
        );
        assert!(store.batches().await.expect("batches").is_empty());
        assert_eq!(
            store.manifest("hall_ticket", None).await.expect("manifest"),
            KindManifestRows::default()
        );
        // The database refuses it without the store's help too: 8 + 1 + 0 (the
        // default) ≠ 10.
        let err = execute(
            store,
            "INSERT INTO batch (kind, file_name, content_hash, replace_mode, committed_at, \
             rows_read, rows_stored, rows_quarantined, duplicates, report_json) \
             VALUES ('k', 'f', 'h', FALSE, 't', 10, 8, 1, 0, '{}')",
        )
        .await
        .expect_err("refused");
        assert!(
            matches!(err, StoreError::Refused(Constraint::BatchAccounting)),
            "{err:?}"
        );
        // A right one with rows not stored: 8 + 1 + 1 = 10.
        let mut right = batch("hall_ticket", "a", false, &["2026-10-01"]);
        right.rows_quarantined = 1;
        right.rows_not_stored = 1;
        store.commit_batch(&right, at(0)).await.expect("commit");
    }
}

#[tokio::test]
async fn the_same_content_is_committed_once_per_kind() {
    for db in testing::databases().await {
        let store = db.store();
        let first = store
            .commit_batch(&batch("hall_ticket", "a", false, &["2026-10-01"]), at(0))
            .await
            .expect("commit");
        // The same content under another file name and other days: refused with the id
        // of the batch that holds it, and nothing of it is stored.
        let mut again = batch("hall_ticket", "a", true, &["2026-10-09"]);
        again.file_name = "renamed.csv".into();
        again.files[0].path = "records/hall_ticket/2026-10/other.parquet".into();
        let err = store
            .commit_batch(&again, at(1))
            .await
            .expect_err("refused");
        assert!(
            matches!(err, StoreError::AlreadyCommitted { batch } if batch == first),
            "{:?}: {err:?}",
            db.backend()
        );
        assert_eq!(
            err.to_string(),
            "this file's content was already imported as batch 1; nothing new was stored"
        );
        let m = store.manifest("hall_ticket", None).await.expect("manifest");
        assert_eq!(m.files.len(), 1);
        assert!(m.replaced.is_empty(), "{:?}", m.replaced);
        assert_eq!(store.batches().await.expect("batches").len(), 1);
        // The same content as another kind is another batch.
        let other = store
            .commit_batch(&batch("contact", "a", false, &[]), at(2))
            .await
            .expect("commit");
        assert!(other > first, "{other} > {first}");
    }
}

#[tokio::test]
async fn numbered_placeholders_bind_by_number_on_every_backend() {
    for db in testing::databases().await {
        // `$2` before `$1`, and `$1` twice: bound by number, not by position.
        let got: String = match db.store().pool() {
            Pool::Sqlite(p) => sqlx::query_scalar("SELECT $2 || '-' || $1 || '-' || $1")
                .bind("one")
                .bind("two")
                .fetch_one(p)
                .await
                .expect("query"),
            Pool::Postgres(p) => sqlx::query_scalar("SELECT $2 || '-' || $1 || '-' || $1")
                .bind("one")
                .bind("two")
                .fetch_one(p)
                .await
                .expect("query"),
        };
        assert_eq!(got, "two-one-one", "{:?}", db.backend());
    }
}

/// Four batches, ids 1 to 4 in a fresh database:
/// 1. hall_ticket "a", not replace, h1 on 10-01 and 10-02;
/// 2. hall_ticket "b", replace, h1 on 10-02 and 10-03;
/// 3. contact "c", replace, h1 on 10-01;
/// 4. hall_ticket "d", replace, h1 on 10-03 and h2 on 10-01.
#[tokio::test]
async fn the_manifest_as_of_a_batch_sees_only_batches_up_to_it() {
    for db in testing::databases().await {
        let store = db.store();
        let mut ids = Vec::new();
        for (kind, hash, replace, days) in [
            (
                "hall_ticket",
                "a",
                false,
                vec![day("h1", "2026-10-01"), day("h1", "2026-10-02")],
            ),
            (
                "hall_ticket",
                "b",
                true,
                vec![day("h1", "2026-10-02"), day("h1", "2026-10-03")],
            ),
            ("contact", "c", true, vec![day("h1", "2026-10-01")]),
            (
                "hall_ticket",
                "d",
                true,
                vec![day("h1", "2026-10-03"), day("h2", "2026-10-01")],
            ),
        ] {
            let mut b = batch(kind, hash, replace, &[]);
            b.coverage = days;
            ids.push(store.commit_batch(&b, at(0)).await.expect("commit"));
        }
        assert_eq!(ids, [1, 2, 3, 4], "{:?}", db.backend());
        let file_batches =
            |m: &KindManifestRows| -> Vec<i64> { m.files.iter().map(|f| f.batch_id).collect() };
        let hashes = |m: &KindManifestRows| -> BTreeMap<String, i64> {
            m.hashes.iter().map(|(h, b)| (h.clone(), *b)).collect()
        };

        // Everything: h1/10-02 was last replaced by 2; h1/10-03 by 2 then 4; h2/10-01 by
        // 4. h1/10-01 only by the contact batch 3, another kind.
        let all = store.manifest("hall_ticket", None).await.expect("manifest");
        assert_eq!(file_batches(&all), [1, 2, 4]);
        assert_eq!(
            all.replaced,
            BTreeMap::from([
                (day("h1", "2026-10-02"), 2),
                (day("h1", "2026-10-03"), 4),
                (day("h2", "2026-10-01"), 4),
            ])
        );
        assert_eq!(
            hashes(&all),
            BTreeMap::from([("a".into(), 1), ("b".into(), 2), ("d".into(), 4)])
        );
        // As of batch 3: batch 4 is not there yet, so h1/10-03 is still batch 2's and
        // h2/10-01 is replaced by nobody.
        let as_of_3 = store
            .manifest("hall_ticket", Some(3))
            .await
            .expect("manifest");
        assert_eq!(file_batches(&as_of_3), [1, 2]);
        assert_eq!(
            as_of_3.replaced,
            BTreeMap::from([(day("h1", "2026-10-02"), 2), (day("h1", "2026-10-03"), 2)])
        );
        assert_eq!(
            hashes(&as_of_3),
            BTreeMap::from([("a".into(), 1), ("b".into(), 2)])
        );
        // As of batch 1: no replace batch at all.
        let as_of_1 = store
            .manifest("hall_ticket", Some(1))
            .await
            .expect("manifest");
        assert_eq!(file_batches(&as_of_1), [1]);
        assert!(as_of_1.replaced.is_empty());
        assert_eq!(hashes(&as_of_1), BTreeMap::from([("a".into(), 1)]));
        // As of batch 0: nothing.
        assert_eq!(
            store
                .manifest("hall_ticket", Some(0))
                .await
                .expect("manifest"),
            KindManifestRows::default()
        );
        // The contact batch replaces its day from batch 3 on.
        assert_eq!(
            store
                .manifest("contact", None)
                .await
                .expect("manifest")
                .replaced,
            BTreeMap::from([(day("h1", "2026-10-01"), 3)])
        );
        assert!(
            store
                .manifest("contact", Some(2))
                .await
                .expect("manifest")
                .replaced
                .is_empty()
        );
    }
}

#[tokio::test]
async fn live_rows_add_up_stored_and_superseded_per_kind() {
    for db in testing::databases().await {
        let store = db.store();
        assert!(store.live_rows().await.expect("live").is_empty());
        // hall_ticket: 8 stored by "a"; "b" stores 5 (5 + 5 quarantined = 10 read) and
        // supersedes 3 of a's rows. contact: 8 stored by "c".
        store
            .commit_batch(&batch("hall_ticket", "a", false, &["2026-10-01"]), at(0))
            .await
            .expect("commit");
        let mut b = batch("hall_ticket", "b", true, &["2026-10-01"]);
        b.rows_stored = 5;
        b.rows_quarantined = 5;
        b.rows_superseded = 3;
        store.commit_batch(&b, at(1)).await.expect("commit");
        store
            .commit_batch(&batch("contact", "c", false, &[]), at(2))
            .await
            .expect("commit");
        assert_eq!(
            store.live_rows().await.expect("live"),
            BTreeMap::from([
                ("contact".to_string(), (8, 0)),
                ("hall_ticket".to_string(), (13, 3)),
            ])
        );
    }
}

#[tokio::test]
async fn many_files_and_days_are_committed_many_rows_a_statement() {
    for db in testing::databases().await {
        let store = db.store();
        // 1,201 days from 2026-10-01 (three coverage statements of up to 500) plus
        // 2026-10-05 listed twice, covered once; 1,001 files (three file statements).
        let start = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).expect("date");
        let mut days: Vec<String> = (0..1_201)
            .map(|i| {
                (start + chrono::Days::new(i))
                    .format("%Y-%m-%d")
                    .to_string()
            })
            .collect();
        days.push("2026-10-05".into());
        let day_refs: Vec<&str> = days.iter().map(String::as_str).collect();
        let mut b = batch("hall_ticket", "big", true, &day_refs);
        b.rows_read = 1_001;
        b.rows_stored = 1_001;
        b.rows_quarantined = 0;
        b.files = (0..1_001)
            .map(|i| NewFile {
                path: format!("records/hall_ticket/2026-10/b1-{i:04}.parquet"),
                month: "2026-10".into(),
                rows: 1,
                bytes: 100,
                sha256: None,
            })
            .collect();
        store.commit_batch(&b, at(0)).await.expect("commit");
        let m = store.manifest("hall_ticket", None).await.expect("manifest");
        assert_eq!(m.replaced.len(), 1_201, "{:?}", db.backend());
        assert!(m.replaced.values().all(|b| *b == 1));
        assert_eq!(
            m.replaced.keys().next_back(),
            Some(&day("h1", "2030-01-13")),
            "the last day: 2026-10-01 + 1,200 days"
        );
        assert_eq!(m.files.len(), 1_001);
        assert_eq!(m.files.iter().map(|f| f.bytes).sum::<i64>(), 100_100);
        assert_eq!(
            m.files.last().map(|f| f.path.as_str()),
            Some("records/hall_ticket/2026-10/b1-1000.parquet")
        );
    }
}

/// Three batches, ids 1 to 3 in a fresh database:
/// 1. hall_ticket "a": two files, given 2026-10 first (with its SHA-256) and 2026-09 second
///    (without); quarantine file `quarantine/a.csv`;
/// 2. contact "c": one file with its SHA-256, nothing quarantined, no quarantine file;
/// 3. hall_ticket "d": the fixture's one file, without a SHA-256; `quarantine/d.csv`.
#[tokio::test]
async fn every_file_and_quarantine_file_is_listed_with_its_sha256() {
    for db in testing::databases().await {
        let store = db.store();
        assert!(store.all_files().await.expect("files").is_empty());
        assert!(store.quarantine_paths().await.expect("paths").is_empty());
        let file = |path: &str, month: &str, rows: u64, sha256: Option<String>| NewFile {
            path: path.into(),
            month: month.into(),
            rows,
            bytes: rows * 100,
            sha256,
        };
        let mut a = batch("hall_ticket", "a", false, &[]);
        a.files = vec![
            file(
                "records/hall_ticket/2026-10/a-1.parquet",
                "2026-10",
                5,
                Some("e3".repeat(32)),
            ),
            file(
                "records/hall_ticket/2026-09/a-0.parquet",
                "2026-09",
                3,
                None,
            ),
        ];
        let mut c = batch("contact", "c", false, &[]);
        c.rows_read = 8;
        c.rows_quarantined = 0;
        c.duplicates = 0;
        c.quarantine_path = None;
        c.files = vec![file(
            "records/contact/2026-10/c.parquet",
            "2026-10",
            8,
            Some("0f".repeat(32)),
        )];
        let d = batch("hall_ticket", "d", false, &[]);
        for (b, minute) in [(&a, 0), (&c, 1), (&d, 2)] {
            store.commit_batch(b, at(minute)).await.expect("commit");
        }
        let entry = |batch_id, path: &str, month: &str, rows, sha256: Option<String>| FileEntry {
            batch_id,
            path: path.into(),
            month: month.into(),
            rows,
            bytes: rows * 100,
            sha256,
        };
        let a0 = entry(
            1,
            "records/hall_ticket/2026-09/a-0.parquet",
            "2026-09",
            3,
            None,
        );
        let a1 = entry(
            1,
            "records/hall_ticket/2026-10/a-1.parquet",
            "2026-10",
            5,
            Some("e3".repeat(32)),
        );
        let c0 = entry(
            2,
            "records/contact/2026-10/c.parquet",
            "2026-10",
            8,
            Some("0f".repeat(32)),
        );
        // The fixture's file: 8 rows, 800 bytes.
        let d0 = entry(
            3,
            "records/hall_ticket/2026-10/d.parquet",
            "2026-10",
            8,
            None,
        );
        // By batch, then path: within batch 1, "…/2026-09/…" before "…/2026-10/…"
        // whatever order they were given in.
        assert_eq!(
            store.all_files().await.expect("files"),
            [a0.clone(), a1.clone(), c0, d0.clone()],
            "{:?}",
            db.backend()
        );
        // The manifest of a kind reads the same SHA-256s back.
        assert_eq!(
            store
                .manifest("hall_ticket", None)
                .await
                .expect("manifest")
                .files,
            [a0, a1, d0]
        );
        // Batches 1 and 3 have quarantine files; 2 has none.
        assert_eq!(
            store.quarantine_paths().await.expect("paths"),
            ["quarantine/a.csv", "quarantine/d.csv"]
        );
    }
}
