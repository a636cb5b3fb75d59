//! Whole-file problems: an unreadable file, text that is not UTF-8, a missing required
//! column, a repeated column, an unknown extension. Each fails with a message that says
//! where and what, and nothing is stored: no batch, no record file, no quarantine file.

#[path = "import_common.rs"]
mod common;

use common::Env;
use yardstick_core::records::RecordKind;
use yardstick_engine::import::{ImportError, ImportOptions};

const HEADER: &str = "site_id,ticket_id,service_type,issued_at,called_at,outcome\n";

fn ticket(i: usize) -> String {
    format!("h1,T{i},payment,2026-10-08 09:15:02,2026-10-08 09:20:00,served\n")
}

/// Imports and expects a whole-file error; checks that nothing at all was left behind.
fn fails(env: &Env, kind: RecordKind, path: &std::path::Path) -> ImportError {
    let err = env
        .import(kind, path, ImportOptions::default())
        .expect_err("whole-file problem");
    assert_nothing_stored(env);
    err
}

fn assert_nothing_stored(env: &Env) {
    assert_eq!(env.batches(), 0);
    assert_eq!(env.record_files(), Vec::<std::path::PathBuf>::new());
    let q = env.dir.root().join("quarantine");
    let left: Vec<_> = std::fs::read_dir(&q)
        .map(|d| d.map(|e| e.expect("entry").path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "quarantine files left behind: {left:?}");
}

#[test]
fn a_missing_file_or_a_directory_is_unreadable() {
    let env = Env::new();
    let missing = env.tmp.path().join("nowhere.csv");
    let err = fails(&env, RecordKind::HallTicket, &missing);
    assert!(matches!(err, ImportError::Io { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("nowhere.csv"), "{msg}");

    let dir = env.tmp.path().join("folder.csv");
    std::fs::create_dir(&dir).expect("directory");
    let err = fails(&env, RecordKind::HallTicket, &dir);
    assert!(matches!(err, ImportError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("folder.csv"), "{err}");
}

#[test]
fn latin1_csv_fails_with_its_line_and_column() {
    let env = Env::new();
    // Line 1 header, 2 a ticket, 3 blank, 4 a ticket whose service type is Latin-1
    // "café" (0xE9 is not UTF-8 on its own).
    let mut bytes = Vec::new();
    bytes.extend_from_slice(HEADER.as_bytes());
    bytes.extend_from_slice(ticket(1).as_bytes());
    bytes.extend_from_slice(b"\n");
    bytes.extend_from_slice(b"h1,T2,caf\xe9,2026-10-08 09:16:00,2026-10-08 09:20:00,served\n");
    bytes.extend_from_slice(ticket(3).as_bytes());
    let path = env.write("latin1.csv", &bytes);
    let err = fails(&env, RecordKind::HallTicket, &path);
    assert!(
        matches!(&err, ImportError::NotUtf8 { line: 4, column: Some(c), .. } if c == "service_type"),
        "{err:?}"
    );
    let msg = err.to_string();
    for part in [
        "latin1.csv",
        "line 4",
        "column `service_type`",
        "not UTF-8",
        "convert",
    ] {
        assert!(msg.contains(part), "`{part}` missing from: {msg}");
    }
}

#[test]
fn a_latin1_header_or_jsonl_line_fails_too() {
    let env = Env::new();
    let path = env.write("header.csv", b"site_id,ticket_id,servi\xe7e_type\n");
    let err = fails(&env, RecordKind::HallTicket, &path);
    assert!(
        matches!(err, ImportError::NotUtf8 { line: 1, .. }),
        "{err:?}"
    );

    let path = env.write(
        "latin1.jsonl",
        b"{\"site_id\":\"h1\"}\n\n{\"site_id\":\"h1\",\"ticket_id\":\"caf\xe9\"}\n",
    );
    let err = fails(&env, RecordKind::HallTicket, &path);
    assert!(
        matches!(err, ImportError::NotUtf8 { line: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("latin1.jsonl: line 3"), "{err}");
}

#[test]
fn bad_bytes_after_many_rows_leave_no_file_behind() {
    // By the bad line, a temporary Parquet file and a quarantine file exist: both go.
    let env = Env::new();
    let mut text = String::from(HEADER);
    text.push_str("h1,BAD,payment,not a time,,served\n");
    for i in 0..2_000 {
        text.push_str(&ticket(i));
    }
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"h1,T\xff,payment,2026-10-08 09:15:02,2026-10-08 09:20:00,served\n");
    let path = env.write("late.csv", &bytes);
    let err = fails(&env, RecordKind::HallTicket, &path);
    assert!(
        matches!(&err, ImportError::NotUtf8 { line: 2_003, column: Some(c), .. } if c == "ticket_id"),
        "{err:?}"
    );
}

#[test]
fn missing_required_columns_are_listed_with_what_was_found() {
    let env = Env::new();
    let path = env.write(
        "cols.csv",
        "site_id,ticket_id,service,issued\nh1,T1,payment,2026-10-08 09:15:02\n",
    );
    let err = fails(&env, RecordKind::HallTicket, &path);
    let ImportError::MissingColumns { missing, found, .. } = &err else {
        panic!("expected MissingColumns, got {err:?}");
    };
    assert_eq!(missing, "service_type, issued_at, outcome");
    assert_eq!(found, "site_id, ticket_id, service, issued");
    let msg = err.to_string();
    assert!(msg.contains("cols.csv"), "{msg}");
    assert!(msg.contains("`hall_ticket`"), "{msg}");

    let empty = env.write("empty.csv", "");
    let err = fails(&env, RecordKind::HallTicket, &empty);
    let msg = err.to_string();
    assert!(
        msg.contains("missing required column(s) site_id, ticket_id"),
        "{msg}"
    );
    assert!(msg.contains("the file is empty"), "{msg}");
}

#[test]
fn a_repeated_column_is_ambiguous() {
    let env = Env::new();
    let path = env.write(
        "twice.csv",
        format!(
            "{}{}",
            HEADER.trim_end().to_string() + ",outcome\n",
            ticket(1)
        ),
    );
    let err = fails(&env, RecordKind::HallTicket, &path);
    let msg = err.to_string();
    assert!(
        msg.contains("twice.csv: line 1: column `outcome` appears twice"),
        "{msg}"
    );
}

#[test]
fn unknown_extensions_are_refused_before_reading() {
    let env = Env::new();
    for name in ["tickets.doc", "tickets"] {
        let path = env.write(name, format!("{HEADER}{}", ticket(1)));
        let err = fails(&env, RecordKind::HallTicket, &path);
        assert!(matches!(err, ImportError::UnknownFormat(_)), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(name), "{msg}");
        assert!(
            msg.contains(".csv, .jsonl, .ndjson, .xlsx, .xls or .ods"),
            "{msg}"
        );
    }
    // CSV text named .xlsx is not a workbook: refused as one, naming the file.
    let path = env.write("tickets.xlsx", format!("{HEADER}{}", ticket(1)));
    let err = fails(&env, RecordKind::HallTicket, &path);
    assert!(matches!(err, ImportError::Sheet { .. }), "{err:?}");
    assert!(err.to_string().contains("tickets.xlsx"), "{err}");
    // Upper-case extensions and .ndjson are known.
    let path = env.write("UPPER.CSV", format!("{HEADER}{}", ticket(1)));
    let r = env.import_ok(RecordKind::HallTicket, &path);
    assert_eq!(r.rows_stored, 1);
    let line = r#"{"site_id":"h1","ticket_id":"N1","service_type":"payment","issued_at":"2026-10-08 09:15:02","outcome":"left"}"#;
    let path = env.write("tickets.ndjson", format!("{line}\n"));
    let r = env.import_ok(RecordKind::HallTicket, &path);
    assert_eq!(r.rows_stored, 1);
}
