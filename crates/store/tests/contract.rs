//! The metadata store on a real SQLite file: organisation round trip, atomic batch
//! commits with their accounting, replace winners, frozen evaluations.

use chrono::{TimeZone, Utc};
use yardstick_core::org::Organisation;
use yardstick_store::{NewBatch, Store};

const ORG: &str = r#"
[[node]]
id = "op"
level = "operator"
name_zh = "运营商"
[[node]]
id = "p"
parent = "op"
level = "province"
name_zh = "省"
[[node]]
id = "c"
parent = "p"
level = "city"
name_zh = "市"
[[site]]
id = "h1"
parent = "c"
name_zh = "营业厅"
scene = "hall"
area = "urban"
"#;

fn batch(kind: &str, hash: &str, replace: bool, days: &[&str]) -> NewBatch {
    NewBatch {
        kind: kind.into(),
        file_name: format!("{hash}.csv"),
        content_hash: hash.into(),
        replace,
        rows_read: 10,
        rows_stored: 8,
        rows_quarantined: 2,
        duplicates: 1,
        report_json: "{}".into(),
        files: vec![(
            format!("records/{kind}/2026-10/{hash}.parquet"),
            "2026-10".into(),
            8,
        )],
        coverage: days
            .iter()
            .map(|d| ("h1".to_string(), (*d).to_string()))
            .collect(),
    }
}

#[tokio::test]
async fn organisation_round_trips_through_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("meta.sqlite"))
        .await
        .expect("open");
    assert!(store.org().await.expect("query").is_none());
    let org = Organisation::from_toml("org.toml", ORG).expect("valid");
    let now = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("time");
    store
        .put_org("org.toml", ORG, &org, now)
        .await
        .expect("put");
    assert_eq!(store.org().await.expect("query"), Some(org));
}

#[tokio::test]
async fn batches_commit_whole_and_replace_batches_win_their_days() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("meta.sqlite");
    let store = Store::open(&path).await.expect("open");
    let now = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("time");
    let id1 = store.next_batch_id().await.expect("id");
    store
        .commit_batch(
            id1,
            &batch("hall_ticket", "a", false, &["2026-10-01", "2026-10-02"]),
            now,
        )
        .await
        .expect("commit");
    let id2 = store.next_batch_id().await.expect("id");
    assert_eq!((id1, id2), (1, 2));
    store
        .commit_batch(id2, &batch("hall_ticket", "b", true, &["2026-10-02"]), now)
        .await
        .expect("commit");
    // Batch 2 replaces day 2 only; day 1 stays with batch 1.
    let replaced = store.replaced("hall_ticket").await.expect("query");
    assert_eq!(replaced.len(), 1);
    assert_eq!(
        replaced.get(&("h1".to_string(), "2026-10-02".to_string())),
        Some(&2)
    );
    assert_eq!(
        store
            .batch_by_hash("hall_ticket", "a")
            .await
            .expect("query"),
        Some(1)
    );
    assert_eq!(
        store.batch_by_hash("contact", "a").await.expect("query"),
        None
    );
    // Batches 1 and 2 of the hall tickets have hashes "a" and "b"; contacts have none.
    let hashes = store.content_hashes("hall_ticket").await.expect("query");
    assert_eq!(hashes.len(), 2);
    assert_eq!(hashes.get("a"), Some(&1));
    assert_eq!(hashes.get("b"), Some(&2));
    assert!(
        store
            .content_hashes("contact")
            .await
            .expect("query")
            .is_empty()
    );
    assert_eq!(store.files("hall_ticket").await.expect("files").len(), 2);

    // The same content hash cannot be committed twice for a kind, and a failed commit
    // leaves nothing behind (no file rows, no coverage).
    let again = store
        .commit_batch(3, &batch("hall_ticket", "a", false, &["2026-10-09"]), now)
        .await;
    assert!(again.is_err());
    assert_eq!(store.files("hall_ticket").await.expect("files").len(), 2);
    assert_eq!(store.batches().await.expect("batches").len(), 2);

    // Accounting that does not add up is refused by the database itself.
    let mut wrong = batch("hall_ticket", "c", false, &[]);
    wrong.rows_stored = 9;
    assert!(store.commit_batch(3, &wrong, now).await.is_err());

    // Reopening sees the same state (migrations are idempotent).
    drop(store);
    let store = Store::open(&path).await.expect("reopen");
    assert_eq!(store.batches().await.expect("batches").len(), 2);

    // A replace batch covering 1,201 days of one site (inserted 500 at a time: three
    // statements) plus one day twice: 1,201 (site, day) pairs, each now won by batch 3;
    // day 2026-10-02 included, taken over from batch 2.
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
    store
        .commit_batch(3, &batch("hall_ticket", "d", true, &day_refs), now)
        .await
        .expect("commit");
    let replaced = store.replaced("hall_ticket").await.expect("query");
    assert_eq!(replaced.len(), 1_201);
    assert!(replaced.values().all(|b| *b == 3));
    assert_eq!(
        replaced.get(&("h1".to_string(), "2030-01-13".to_string())),
        Some(&3),
        "the last day: 2026-10-01 + 1,200 days"
    );
}

#[tokio::test]
async fn frozen_evaluations_cannot_be_modified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("meta.sqlite");
    let store = Store::open(&path).await.expect("open");
    let now = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("time");
    let id = store
        .save_evaluation("op", "2026-10", "g", "i", "{\"total\":1}", now)
        .await
        .expect("save");
    // Even a direct SQL UPDATE from another connection is refused by the database.
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}",
        path.display()
    ))
    .await
    .expect("connect");
    let err = sqlx::query("UPDATE evaluation SET result_json = '{}' WHERE id = ?")
        .bind(id)
        .execute(&mut conn)
        .await
        .expect_err("frozen");
    assert!(err.to_string().contains("frozen"), "{err}");
    let err = sqlx::query("DELETE FROM evaluation WHERE id = ?")
        .bind(id)
        .execute(&mut conn)
        .await
        .expect_err("undeletable");
    assert!(err.to_string().contains("cannot be deleted"), "{err}");
    let list = store.evaluations().await.expect("list");
    assert_eq!((list.len(), list[0].period.as_str()), (1, "2026-10"));
}

/// A database laid out as the macro build left it: schema 1 applied and its row in
/// `_sqlx_migrations` with the given checksum (hex).
async fn macro_era_database(path: &std::path::Path, checksum_hex: &str) {
    use sqlx::{Connection, Executor};
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts)
        .await
        .expect("connect");
    conn.execute(include_str!("../migrations/sqlite/0001_init.sql"))
        .await
        .expect("schema 1");
    let table = format!(
        "CREATE TABLE _sqlx_migrations (
            version BIGINT PRIMARY KEY,
            description TEXT NOT NULL,
            installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
            success BOOLEAN NOT NULL,
            checksum BLOB NOT NULL,
            execution_time BIGINT NOT NULL);
         INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (1, 'init', TRUE, X'{checksum_hex}', 11577668);"
    );
    conn.execute(sqlx::AssertSqlSafe(table))
        .await
        .expect("old migration table");
    conn.close().await.expect("close");
}

/// A data directory created by an earlier build, whose migrations were embedded with
/// `sqlx::migrate!`, still opens: the hand-built migrator gives the same version and
/// checksum, and applies only what is new. The checksum below is the row that build
/// wrote into `_sqlx_migrations` for `0001_init.sql` (SHA-384 of the file, as
/// `sha384sum` prints it). The same database with one checksum byte changed is
/// refused, which shows the checksum is what makes the first case pass.
#[tokio::test]
async fn a_database_migrated_by_the_macro_build_still_opens() {
    use sqlx::{Connection, Row};
    const INIT: &str = "A8F19F56FC3ACC237E15CE32F3983FE2829A817A607A6E3FFDB2892A8A079082D3F1697993EB0544F7E5BFAC8D581B64";
    let dir = tempfile::tempdir().expect("tempdir");

    let path = dir.path().join("meta.sqlite");
    macro_era_database(&path, INIT).await;
    let store = Store::open(&path).await.expect("opens the older database");
    drop(store);
    let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(&path);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts)
        .await
        .expect("reconnect");
    let rows =
        sqlx::query("SELECT version, description, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .expect("migrations");
    let got: Vec<(i64, String, bool)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    // Row 1 is the one written above; row 2 is what opening applied.
    assert_eq!(got.len(), 2);
    assert_eq!(got[1], (2, "frozen delete".to_string(), true));

    let tampered = dir.path().join("tampered.sqlite");
    macro_era_database(&tampered, &format!("00{}", &INIT[2..])).await;
    assert!(
        Store::open(&tampered).await.is_err(),
        "a checksum that differs from the embedded migration's must be refused"
    );
}
