//! `yardstick ingest` end to end: the report of a file with bad rows, whole-file errors
//! with exit code 2 and a message saying where and what, `--strict` and re-imports, and
//! `records stats` agreeing with it all.

mod common;

use common::{Env, TICKETS as HEADER, assert_contains};

#[test]
fn a_file_with_bad_rows_is_reported_row_by_row() {
    let env = Env::with_org();
    let file = env.write(
        "mixed.csv",
        format!(
            "{HEADER}\
             h1,T1,payment,2026-10-08 09:15:02,2026-10-08 09:20:00,served\n\
             h1,T2,payment,2026-10-08 09:16:00,2026-10-08 09:10:00,served\n\
             c1,T3,payment,2026-10-08 09:17:00,2026-10-08 09:20:00,served\n\
             h1,T1,payment,2026-10-08 09:18:00,2026-10-08 09:20:00,served\n"
        ),
    );
    let out = env.ingest("hall_ticket", &file, &[]);
    // Stored with some rows quarantined: exit code 3 (docs/exit-codes.md).
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let stdout = out.stdout;
    assert_contains(
        &stdout,
        &[
            "read 4  stored 1  quarantined 3  duplicates 1",
            "time order: called_at is before issued_at",
            "site scene does not fit kind",
            "duplicate id",
            "quarantined rows (line, reasons, original): ",
        ],
    );
    let q = stdout
        .lines()
        .find_map(|l| l.split("original): ").nth(1))
        .expect("quarantine path printed");
    let q = std::fs::read_to_string(q.trim()).expect("quarantine file");
    assert_contains(
        &q,
        &[
            "line,reasons,original",
            "3,called_at (2026-10-08T01:10:00Z) is before issued_at (2026-10-08T01:16:00Z),",
            "4,\"site `c1` is a call_centre, but `hall_ticket` records belong to a hall\",",
            "5,same id as line 2 of this file,",
        ],
    );
    let stats = env.ok(&["records", "stats"]);
    assert_contains(
        &stats,
        &["hall_ticket: 1 live rows (1 stored, 0 of them superseded)"],
    );
}

#[test]
fn whole_file_problems_exit_2_and_store_nothing() {
    let env = Env::with_org();
    let latin1 = env.write(
        "latin1.csv",
        [
            HEADER.as_bytes(),
            b"h1,T1,caf\xe9,2026-10-08 09:15:02,2026-10-08 09:20:00,served\n",
        ]
        .concat(),
    );
    let err = env.ingest("hall_ticket", &latin1, &[]).code(2).stderr;
    assert_contains(
        &err,
        &[
            "file not imported",
            "latin1.csv: line 2, column `service_type`: not UTF-8",
        ],
    );

    let cols = env.write("cols.csv", "site_id,ticket,issued_at\n");
    let err = env.ingest("hall_ticket", &cols, &[]).code(2).stderr;
    assert_contains(
        &err,
        &[
            "cols.csv: missing required column(s) ticket_id, service_type, outcome",
            "found columns: site_id, ticket, issued_at",
        ],
    );

    let xlsx = env.write("book.doc", HEADER);
    let err = env.ingest("hall_ticket", &xlsx, &[]).code(2).stderr;
    assert_contains(&err, &["book.doc: unknown file type"]);

    let missing = env.path("nowhere.csv");
    let err = env.ingest("hall_ticket", &missing, &[]).code(2).stderr;
    assert_contains(&err, &["nowhere.csv"]);

    let stats = env.ok(&["records", "stats"]);
    assert!(!stats.contains("live rows"), "{stats}");
}

#[test]
fn strict_rejects_then_accepts_and_reimports_are_no_ops() {
    let env = Env::with_org();
    let bad = env.write(
        "bad.csv",
        format!(
            "{HEADER}\
             h1,T1,payment,2026-10-08 09:15:02,2026-10-08 09:20:00,served\n\
             h1,T2,payment,2026-10-08 09:16:00,,served\n"
        ),
    );
    let out = env.ingest("hall_ticket", &bad, &["--strict"]).code(2);
    // The report adds up: 2 read = 0 stored + 1 quarantined + 1 valid but not stored.
    assert_contains(
        &out.stdout,
        &[
            "rejected (--strict): nothing stored",
            "read 2  stored 0  quarantined 1  duplicates 0  valid, not stored (--strict) 1",
            "quarantine/rejected-hall_ticket-r",
        ],
    );
    assert_contains(&out.stderr, &["bad.csv: nothing stored (1 invalid row(s))"]);
    assert!(!env.ok(&["records", "stats"]).contains("live rows"));

    let good = env.write(
        "good.csv",
        format!(
            "{HEADER}\
             h1,T1,payment,2026-10-08 09:15:02,2026-10-08 09:20:00,served\n\
             h1,T2,payment,2026-10-08 09:16:00,2026-10-08 09:21:00,served\n"
        ),
    );
    let out = env.ingest("hall_ticket", &good, &["--strict"]).code(0);
    assert_contains(&out.stdout, &["batch 1", "stored 2"]);
    let again = env.ingest("hall_ticket", &good, &[]).code(0);
    assert_contains(
        &again.stdout,
        &["already imported as batch 1: nothing to do", "stored 2"],
    );
    assert_contains(
        &env.ok(&["records", "stats"]),
        &["hall_ticket: 2 live rows (2 stored, 0 of them superseded)"],
    );
}
