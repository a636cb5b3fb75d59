//! The three real exports of `../shared/data/external/` (next to the repository, never
//! copied into it) loaded through the mappings shipped in `examples/mappings/`, with
//! their accounting checked against figures worked out without Yardstick.
//!
//! The folder is `YARDSTICK_EXTERNAL_DATA` when that names a folder, else
//! `../shared/data/external` beside the workspace. When `YARDSTICK_EXTERNAL_DATA` is set
//! (CI sets it) a missing file fails the test; when it is not set and the folder is
//! absent (a fresh clone) the test says so on stderr and checks nothing: the quirks of
//! each export are covered on every run by the synthetic files of `import_mapping.rs`.
//!
//! The expected figures come from this script (Python 3, standard library), run on the
//! same files:
//!
//! ```python
//! import csv
//! def secs(t): h, m, s = map(int, t.split(':')); return h * 3600 + m * 60 + s
//! z = '0:00:00'
//! rows = list(csv.DictReader(open('anonymous_bank_one_day.csv')))
//! print(len(rows), sum(r['outcome'] == 'PHANTOM' for r in rows))      # 2375 18
//! bad = 0
//! for r in rows:
//!     if r['outcome'] == 'PHANTOM': continue
//!     b = r['vru_entry'] != z and r['vru_exit'] != z and secs(r['vru_exit']) < secs(r['vru_entry'])
//!     if r['outcome'] == 'AGENT':
//!         b = b or r['ser_start'] == z or (r['q_start'] != z and secs(r['ser_start']) < secs(r['q_start']))
//!     bad += b
//! print(bad)                                                            # 6
//! rows = list(csv.DictReader(open('pwc_call_center_5000.csv', encoding='utf-8-sig')))
//! print(len(rows), sum(r['Answered (Y/N)'] == 'N' for r in rows),
//!       sum(r['Satisfaction rating'] in ('0', '') for r in rows))      # 5000 946 946
//! rows = list(csv.DictReader(open('baltimore_311_sample.csv')))
//! print(len(rows), sum('(Duplicate)' in r['SRStatus'] for r in rows),
//!       sum(r['SRStatus'] == 'Closed' and not r['CloseDate'] for r in rows))  # 10000 217 0
//! ```

#[path = "import_common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{Env, assert_accounting, counts};
use yardstick_core::mapping::Mapping;
use yardstick_core::records::RecordKind;
use yardstick_engine::import::{ImportOptions, ImportReport, SourceSpec};

const VAR: &str = "YARDSTICK_EXTERNAL_DATA";

/// The external folder, or `None` (said on stderr) when it is absent and not required.
fn external(file: &str) -> Option<PathBuf> {
    let required = std::env::var_os(VAR).filter(|v| !v.is_empty());
    let dir = match &required {
        Some(v) if Path::new(v).is_dir() => PathBuf::from(v),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/external"),
    };
    let path = dir.join(file);
    if path.is_file() {
        return Some(path);
    }
    assert!(
        required.is_none(),
        "{VAR} is set but {} is missing",
        path.display()
    );
    eprintln!(
        "external export {} absent: not checked (set {VAR} to require it)",
        path.display()
    );
    None
}

fn example(name: &str) -> (String, SourceSpec) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/mappings")
        .join(name);
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("example file reads");
    let mapping = Mapping::from_toml(&format!("{name}/mapping.toml"), &read("mapping.toml"))
        .expect("the example mapping is valid");
    (
        read("org.toml"),
        SourceSpec {
            mapping: Some(Arc::new(mapping)),
            ..SourceSpec::default()
        },
    )
}

fn import(env: &Env, kind: RecordKind, path: &Path, spec: &SourceSpec) -> ImportReport {
    let r = env
        .import_spec(kind, path, spec, ImportOptions::default())
        .expect("imports");
    assert_accounting(&r);
    r
}

#[test]
fn the_bank_export_loads() {
    let Some(path) = external("anonymous_bank_one_day.csv") else {
        return;
    };
    let (org, spec) = example("bank");
    let env = Env::with_org(&org);
    let r = import(&env, RecordKind::Contact, &path, &spec);
    // 2375 rows: 18 PHANTOM skipped, 6 with impossible times quarantined, the rest
    // (2375 - 18 - 6 = 2351) stored; every (vru+line, call_id) is distinct.
    assert_eq!(
        (
            r.rows_read,
            r.rows_stored,
            r.rows_quarantined,
            r.rows_ignored
        ),
        (2375, 2351, 6, 18)
    );
    assert_eq!(r.duplicates, 0);
}

#[test]
fn the_pwc_export_loads_as_calls_and_survey_answers() {
    let Some(path) = external("pwc_call_center_5000.csv") else {
        return;
    };
    let (org, spec) = example("pwc");
    let env = Env::with_org(&org);
    let calls = import(&env, RecordKind::Contact, &path, &spec);
    // 5000 calls, 946 unanswered (no abandon time in the export: quarantined).
    assert_eq!(
        (calls.rows_read, calls.rows_stored, calls.rows_quarantined),
        (5000, 4054, 946)
    );
    assert_eq!(
        calls.reasons,
        counts(&[("outcome `abandoned` needs abandoned_at", 946)])
    );
    let surveys = import(&env, RecordKind::Survey, &path, &spec);
    // 946 rows rated 0 (not rated) skipped, 4054 answers stored.
    assert_eq!(
        (surveys.rows_read, surveys.rows_stored, surveys.rows_ignored),
        (5000, 4054, 946)
    );
}

#[test]
fn the_baltimore_export_loads() {
    let Some(path) = external("baltimore_311_sample.csv") else {
        return;
    };
    let (org, spec) = example("baltimore");
    let env = Env::with_org(&org);
    let r = import(&env, RecordKind::WorkOrder, &path, &spec);
    // 10000 requests: 217 duplicates skipped, none closed without a close date.
    assert_eq!(
        (
            r.rows_read,
            r.rows_stored,
            r.rows_quarantined,
            r.rows_ignored
        ),
        (10000, 9783, 0, 217)
    );
}
