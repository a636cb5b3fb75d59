//! Fixtures of the contract suite: an organisation, batches, instants, and raw SQL for
//! what the contract's methods must not be able to do.

use chrono::{DateTime, TimeZone, Utc};
use sqlx::Row;
use yardstick_store::{Constraint, NewBatch, NewFile, Pool, Store, StoreError};

/// An operator, a province, a city and two sites, one in London's zone.
pub const ORG: &str = r#"
[[node]]
id = "op"
level = "operator"
name_zh = "运营商"
name_en = "Operator"
[[node]]
id = "p"
parent = "op"
level = "province"
name_zh = "省"
name_en = "Province"
[[node]]
id = "c"
parent = "p"
level = "city"
name_zh = "市"
name_en = "City"
[[site]]
id = "h1"
parent = "c"
name_zh = "营业厅"
name_en = "Hall one"
scene = "hall"
area = "urban"
[[site]]
id = "h2"
parent = "c"
name_zh = "二厅"
name_en = "Hall two"
scene = "hall"
area = "rural"
tz = "Europe/London"
"#;

/// 1 November 2026, midnight UTC, plus `minutes`.
pub fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("a valid instant")
        + chrono::Duration::minutes(minutes)
}

/// A batch of `kind` with content `hash`: 10 rows read, 8 stored, 2 quarantined (1 a
/// duplicate), one file of 8 rows and 800 bytes, covering site h1 on `days`.
pub fn batch(kind: &str, hash: &str, replace: bool, days: &[&str]) -> NewBatch {
    NewBatch {
        kind: kind.into(),
        file_name: format!("{hash}.csv"),
        content_hash: hash.into(),
        replace,
        rows_read: 10,
        rows_stored: 8,
        rows_quarantined: 2,
        rows_not_stored: 0,
        rows_superseded: 0,
        duplicates: 1,
        quarantine_path: Some(format!("quarantine/{hash}.csv")),
        report_json: format!("{{\"hash\":\"{hash}\"}}"),
        files: vec![NewFile {
            path: format!("records/{kind}/2026-10/{hash}.parquet"),
            month: "2026-10".into(),
            rows: 8,
            bytes: 800,
            sha256: None,
        }],
        coverage: days
            .iter()
            .map(|d| ("h1".to_string(), (*d).to_string()))
            .collect(),
    }
}

/// Whether `err` is the database's refusal `c`.
pub fn refused(err: &StoreError, c: Constraint) -> bool {
    matches!(err, StoreError::Refused(got) if *got == c)
}

/// Runs a statement past the contract, straight on the pool, as the store's own errors.
pub async fn execute(store: &Store, sql: &'static str) -> Result<u64, StoreError> {
    let done = match store.pool() {
        Pool::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
        Pool::Postgres(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
    };
    done.map_err(StoreError::from)
}

/// The first column of every row of a query, as text (the query casts when needed).
pub async fn texts(store: &Store, sql: &'static str) -> Vec<String> {
    match store.pool() {
        Pool::Sqlite(p) => sqlx::query(sql)
            .fetch_all(p)
            .await
            .expect("query")
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect(),
        Pool::Postgres(p) => sqlx::query(sql)
            .fetch_all(p)
            .await
            .expect("query")
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect(),
    }
}
