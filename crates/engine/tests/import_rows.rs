//! Row accounting of the canonical CSV and JSON Lines importers on fixtures full of
//! malformed rows, for every kind with ids: each row read is stored or quarantined, the
//! report counts every reason, the quarantine CSV holds the line, every reason and the
//! original text, and exactly the valid rows are stored (read back from Parquet).

#[path = "import_common.rs"]
mod common;

use common::{Env, counts, fixture, line_of, quarantine};
use yardstick_core::records::RecordKind;

/// What a fixture must give: rows read, the ids stored, and for each quarantined line
/// its reason codes.
struct Case {
    kind: RecordKind,
    file: &'static str,
    read: u64,
    stored: &'static [&'static str],
    quarantined: &'static [(u64, &'static [&'static str])],
    ignored: &'static [&'static str],
}

fn check(case: &Case) {
    let env = Env::new();
    let path = fixture(case.file);
    let r = env.import_ok(case.kind, &path);
    let what = case.file;
    assert_eq!(r.rows_read, case.read, "{what}: rows read");
    assert_eq!(
        r.rows_stored,
        case.stored.len() as u64,
        "{what}: rows stored"
    );
    assert_eq!(
        r.rows_quarantined,
        case.quarantined.len() as u64,
        "{what}: rows quarantined"
    );
    let expected: Vec<(&str, u64)> = case
        .quarantined
        .iter()
        .flat_map(|(_, codes)| codes.iter().map(|c| (*c, 1)))
        .collect();
    assert_eq!(r.reasons, counts(&expected), "{what}: reasons");
    assert_eq!(
        r.duplicates,
        expected
            .iter()
            .filter(|(c, _)| *c == "duplicate id")
            .count() as u64,
        "{what}: duplicates"
    );
    assert_eq!(r.ignored_columns, case.ignored, "{what}: ignored columns");

    let q = quarantine(&r);
    let lines: Vec<u64> = q.iter().map(|row| row.line).collect();
    let want: Vec<u64> = case.quarantined.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, want, "{what}: quarantined lines");
    for (row, (line, codes)) in q.iter().zip(case.quarantined) {
        let messages: Vec<&str> = row.reasons.split("; ").collect();
        assert_eq!(
            messages.len(),
            codes.len(),
            "{what} line {line}: one message per reason: {messages:?} vs {codes:?}"
        );
        assert!(messages.iter().all(|m| !m.trim().is_empty()), "{row:?}");
        let more = u64::try_from(row.original.matches('\n').count()).expect("small");
        let original: Vec<String> = (*line..=*line + more).map(|l| line_of(&path, l)).collect();
        assert_eq!(
            row.original,
            original.join("\n"),
            "{what} line {line}: original"
        );
    }

    let mut stored = env.stored_id_list(case.kind);
    let mut want: Vec<String> = case.stored.iter().map(|s| (*s).to_string()).collect();
    stored.sort();
    want.sort();
    assert_eq!(stored, want, "{what}: stored ids");
}

#[test]
fn hall_ticket_csv() {
    check(&Case {
        kind: RecordKind::HallTicket,
        file: "hall_ticket.csv",
        read: 19,
        stored: &["T001", "T002", "T011", "T012", "T018"],
        quarantined: &[
            (5, &["invalid customer_class"]),
            (6, &["missing service_type"]),
            (7, &["invalid issued_at"]),
            (8, &["time order: called_at is before issued_at"]),
            (9, &["unknown site"]),
            (10, &["site scene does not fit kind"]),
            (11, &["duplicate id"]),
            (12, &["malformed row"]),
            (
                13,
                &[
                    "invalid appointment",
                    "invalid call_count",
                    "outcome `served` needs called_at",
                ],
            ),
            (16, &["invalid outcome"]),
            (17, &["missing site_id"]),
            (18, &["out of range: call_count"]),
            (19, &["unknown site"]),
            (20, &["malformed row"]),
        ],
        ignored: &["note"],
    });
}

#[test]
fn contact_csv_with_crlf() {
    check(&Case {
        kind: RecordKind::Contact,
        file: "contact.csv",
        read: 16,
        stored: &["K1", "K12", "K13", "K2"],
        quarantined: &[
            (4, &["time order: answered_at is before queue_entry_at"]),
            (5, &["invalid channel"]),
            (6, &["site scene does not fit kind"]),
            (7, &["out of range: talk_s"]),
            (8, &["invalid talk_s"]),
            (9, &["missing contact_id"]),
            (10, &["no timestamp"]),
            (11, &["duplicate id"]),
            (12, &["out of range: qa_score"]),
            (13, &["malformed row"]),
            (14, &["outcome `answered` needs answered_at"]),
            (
                17,
                &[
                    "invalid queue_entry_at",
                    "outcome `abandoned` needs abandoned_at",
                ],
            ),
        ],
        ignored: &[],
    });
}

#[test]
fn work_order_csv() {
    check(&Case {
        kind: RecordKind::WorkOrder,
        file: "work_order.csv",
        read: 13,
        stored: &["W1", "W11", "W12", "W2"],
        quarantined: &[
            (4, &["time order: completed_at is before created_at"]),
            (5, &["invalid kind"]),
            (6, &["invalid created_at"]),
            (7, &["status `completed` needs completed_at"]),
            (8, &["invalid visit_count"]),
            (9, &["site scene does not fit kind"]),
            (10, &["duplicate id"]),
            (11, &["missing status"]),
            (12, &["invalid exclusion", "out of range: pause_s"]),
        ],
        ignored: &[],
    });
}

#[test]
fn complaint_csv() {
    check(&Case {
        kind: RecordKind::Complaint,
        file: "complaint.csv",
        read: 11,
        stored: &["P1", "P2", "P9"],
        quarantined: &[
            (4, &["invalid class"]),
            (5, &["time order: answered_at is before received_at"]),
            (6, &["unknown site"]),
            (7, &["invalid appealed"]),
            (8, &["duplicate id"]),
            (9, &["missing received_at"]),
            (10, &["time order: resolved_at is before received_at"]),
            (12, &["malformed row"]),
        ],
        ignored: &[],
    });
}

#[test]
fn survey_csv_with_quoted_newlines_and_an_unclosed_quote() {
    check(&Case {
        kind: RecordKind::Survey,
        file: "survey.csv",
        read: 14,
        stored: &["S1", "S10", "S11", "S13", "S2"],
        quarantined: &[
            (4, &["out of range: csat"]),
            (5, &["out of range: nps"]),
            (6, &["invalid scene"]),
            (7, &["invalid csat"]),
            (8, &["duplicate id"]),
            (9, &["missing answered_at"]),
            (10, &["out of range: csat", "out of range: nps"]),
            (11, &["unknown site"]),
            // The open quote swallows line 17 (S14): the row is quarantined whole, with
            // S14's text in it, instead of S14 vanishing into S12's free text.
            (16, &["malformed row"]),
        ],
        ignored: &[],
    });
}

#[test]
fn hall_ticket_jsonl() {
    check(&Case {
        kind: RecordKind::HallTicket,
        file: "hall_ticket.jsonl",
        read: 17,
        stored: &["J1", "J12", "J2"],
        quarantined: &[
            (4, &["malformed row"]),
            (5, &["malformed row"]),
            (6, &["invalid customer_class"]),
            (7, &["missing service_type"]),
            (8, &["time order: called_at is before issued_at"]),
            (9, &["site scene does not fit kind"]),
            (10, &["duplicate id"]),
            (11, &["invalid service_type"]),
            (12, &["malformed row"]),
            (13, &["invalid call_count"]),
            (14, &["malformed row"]),
            (15, &["unknown site"]),
            (16, &["invalid appointment"]),
            (
                18,
                &[
                    "missing issued_at",
                    "missing outcome",
                    "missing service_type",
                    "missing site_id",
                    "missing ticket_id",
                ],
            ),
        ],
        ignored: &["source"],
    });
}

#[test]
fn contact_jsonl() {
    check(&Case {
        kind: RecordKind::Contact,
        file: "contact.jsonl",
        read: 9,
        stored: &["K1", "K5"],
        quarantined: &[
            (2, &["time order: answered_at is before queue_entry_at"]),
            (3, &["site scene does not fit kind"]),
            (4, &["out of range: qa_score", "out of range: talk_s"]),
            (5, &["duplicate id"]),
            (7, &["malformed row"]),
            (8, &["invalid outcome"]),
            (9, &["no timestamp"]),
        ],
        ignored: &[],
    });
}

#[test]
fn work_order_jsonl() {
    check(&Case {
        kind: RecordKind::WorkOrder,
        file: "work_order.jsonl",
        read: 9,
        stored: &["W1", "W8"],
        quarantined: &[
            (2, &["time order: completed_at is before created_at"]),
            (3, &["status `completed` needs completed_at"]),
            (4, &["site scene does not fit kind"]),
            (5, &["out of range: visit_count"]),
            (6, &["duplicate id"]),
            (7, &["invalid pause_s"]),
            (8, &["malformed row"]),
        ],
        ignored: &[],
    });
}

#[test]
fn complaint_jsonl() {
    check(&Case {
        kind: RecordKind::Complaint,
        file: "complaint.jsonl",
        read: 8,
        stored: &["P1", "P2"],
        quarantined: &[
            (3, &["time order: resolved_at is before received_at"]),
            (4, &["invalid class"]),
            (5, &["duplicate id"]),
            (6, &["missing complaint_id"]),
            (7, &["unknown site"]),
            (8, &["invalid appealed"]),
        ],
        ignored: &[],
    });
}

#[test]
fn survey_jsonl() {
    check(&Case {
        kind: RecordKind::Survey,
        file: "survey.jsonl",
        read: 8,
        stored: &["S1", "S5"],
        quarantined: &[
            (2, &["out of range: csat"]),
            (3, &["invalid csat"]),
            (4, &["invalid scene"]),
            (5, &["duplicate id"]),
            (6, &["malformed row"]),
            (8, &["invalid answered_at", "out of range: nps"]),
        ],
        ignored: &[],
    });
}

#[test]
fn line_numbers_hold_with_any_line_ending() {
    // The same rows with LF, CRLF and lone-CR endings, a blank line after the header and
    // a line of spaces at the end (blank lines are not rows): the bad rows are on lines
    // 4 and 7 each time.
    for eol in ["\n", "\r\n", "\r"] {
        let env = Env::new();
        let rows = [
            "site_id,ticket_id,service_type,issued_at,outcome",
            "",
            "h1,T1,payment,2026-10-08 09:15:02,left",
            "h1,T2,payment,soon,left",
            "h1,T3,\"pay\nment\",2026-10-08 09:17:00,left",
            "h1,T4,payment,2026-10-08 09:18:00,gone",
            " \t ",
            "",
        ];
        let path = env.write("eol.csv", rows.join(eol));
        let r = env.import_ok(RecordKind::HallTicket, &path);
        let q = quarantine(&r);
        let lines: Vec<u64> = q.iter().map(|x| x.line).collect();
        assert_eq!(lines, [4, 7], "{eol:?}");
        assert_eq!(q[0].original, "h1,T2,payment,soon,left", "{eol:?}");
        assert_eq!(q[1].original, "h1,T4,payment,2026-10-08 09:18:00,gone");
        assert_eq!((r.rows_read, r.rows_stored), (4, 2), "{eol:?}");
    }
}
