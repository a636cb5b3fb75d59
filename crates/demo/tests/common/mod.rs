//! Shared helpers for the demo generator's integration tests: generate a small data set
//! once per test binary and read its CSV files back with the `csv` crate.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, FixedOffset, NaiveDate};
use yardstick_demo::{DemoConfig, DemoSummary, generate};

/// Seed used by the shared data sets.
pub const SEED: u64 = 2026;

/// A date in tests.
pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// Generates into a fresh directory under Cargo's per-target temporary directory.
pub fn generate_into(name: &str, cfg: &DemoConfig) -> (PathBuf, DemoSummary) {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("demo-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let summary = generate(cfg, &dir).expect("generation succeeds");
    (dir, summary)
}

/// An ordinary week in October 2026 (after the National Day holiday), generated once.
pub fn week() -> &'static (PathBuf, DemoSummary) {
    static WEEK: OnceLock<(PathBuf, DemoSummary)> = OnceLock::new();
    WEEK.get_or_init(|| {
        generate_into(
            "week",
            &DemoConfig {
                seed: SEED,
                days: 7,
                end: date(2026, 10, 20),
            },
        )
    })
}

/// One CSV file read into memory.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Index of a column (panics with the column name when missing).
    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    /// Whether the file has this column.
    pub fn has(&self, name: &str) -> bool {
        self.header.iter().any(|h| h == name)
    }

    /// A cell, `None` when empty (null).
    pub fn get<'a>(&self, row: &'a [String], name: &str) -> Option<&'a str> {
        let v = row[self.col(name)].as_str();
        (!v.is_empty()).then_some(v)
    }

    /// A timestamp cell.
    pub fn ts(&self, row: &[String], name: &str) -> Option<DateTime<FixedOffset>> {
        self.get(row, name).map(ts)
    }

    /// A numeric cell.
    pub fn num(&self, row: &[String], name: &str) -> Option<f64> {
        self.get(row, name).map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}: `{v}` is not a number"))
        })
    }

    /// Rows of one site.
    pub fn site<'a>(&'a self, site: &'a str) -> impl Iterator<Item = &'a Vec<String>> + 'a {
        let c = self.col("site_id");
        self.rows.iter().filter(move |r| r[c] == site)
    }

    /// Distinct site ids in file order.
    pub fn sites(&self) -> Vec<String> {
        let c = self.col("site_id");
        let mut out: Vec<String> = Vec::new();
        for r in &self.rows {
            if out.last() != Some(&r[c]) && !out.contains(&r[c]) {
                out.push(r[c].clone());
            }
        }
        out
    }
}

/// Tables already read, by directory and kind.
type Cache = BTreeMap<(PathBuf, String), Arc<Table>>;

/// Reads `<kind>.csv` from a generated directory, once per test binary (the tests of one
/// binary share the files, and parsing them is most of a debug test run's time).
pub fn read(dir: &Path, kind: &str) -> Arc<Table> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(BTreeMap::new()));
    let key = (dir.to_path_buf(), kind.to_string());
    if let Some(t) = cache.lock().expect("cache lock").get(&key) {
        return Arc::clone(t);
    }
    let mut reader = csv::Reader::from_path(dir.join(format!("{kind}.csv"))).expect("file opens");
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("row parses").iter().map(str::to_string).collect())
        .collect();
    let table = Arc::new(Table { header, rows });
    cache
        .lock()
        .expect("cache lock")
        .insert(key, Arc::clone(&table));
    table
}

/// Parses an RFC 3339 timestamp.
pub fn ts(v: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(v).unwrap_or_else(|e| panic!("`{v}` is not RFC 3339: {e}"))
}

/// Seconds between two optional timestamps.
pub fn secs(from: Option<DateTime<FixedOffset>>, to: Option<DateTime<FixedOffset>>) -> Option<i64> {
    Some((to? - from?).num_seconds())
}

/// A share as a fraction, 0 for an empty denominator.
pub fn share(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}
