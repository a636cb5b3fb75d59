//! Issue 18, findings 7 and 8: exit codes and reports that add up, and implausible
//! dates kept out. Every row quarantined exits 2, some rows 3; a `--strict` rejection
//! reports read = stored + quarantined + not stored and leaves its quarantine file under
//! a name no later import reuses; a `--replace` import says how many earlier rows it
//! superseded and `records stats` tells live rows from superseded ones; records dated in
//! the years 0001, 1900, 2100 or 9999 (or just outside 2000-01-01 .. now + 1 day) are
//! quarantined with the reason.

mod common;

use common::{Env, TICKETS, assert_contains};

/// A served ticket of site `site` issued at `at`.
fn ticket(site: &str, id: &str, at: &str) -> String {
    format!("{site},{id},payment,{at},{at},served\n")
}

/// The quarantine file a report names.
fn quarantine_file(report: &str) -> String {
    report
        .lines()
        .find_map(|l| l.split("original): ").nth(1))
        .unwrap_or_else(|| panic!("no quarantine file named:\n{report}"))
        .trim()
        .to_string()
}

#[test]
fn every_row_quarantined_exits_2_and_some_rows_3() {
    let env = Env::with_org();
    // Two rows of a site that is not in the organisation: nothing can be stored.
    let bad = env.write(
        "bad.csv",
        format!(
            "{TICKETS}{}{}",
            ticket("x9", "T1", "2026-10-08 09:00:00"),
            ticket("x9", "T2", "2026-10-08 09:05:00")
        ),
    );
    let r = env.ingest("hall_ticket", &bad, &[]).code(2);
    assert_contains(
        &r.stdout,
        &[
            "every row quarantined: nothing stored, no batch",
            "read 2  stored 0  quarantined 2",
            "quarantine/rejected-hall_ticket-r",
        ],
    );
    assert_contains(&r.stderr, &["bad.csv: nothing stored (2 invalid row(s))"]);
    // No batch was committed (an empty one would make the same file "already
    // imported"): once the organisation knows site x9, the same file imports.
    assert!(!env.ok(&["records", "stats"]).contains("live rows"));
    let site = "[[site]]\nid = \"x9\"\nparent = \"gz\"\nname_zh = \"新营业厅\"\n\
                name_en = \"New hall\"\nscene = \"hall\"\narea = \"urban\"\n";
    let org = env.write("org2.toml", format!("{}\n{site}", common::ORG));
    env.ok(&["org", "import", common::s(&org)]);
    let r = env.ingest("hall_ticket", &bad, &[]).code(0);
    assert_contains(&r.stdout, &["— batch 1", "read 2  stored 2  quarantined 0"]);

    // One good row and one bad: stored, with a row quarantined.
    let mixed = env.write(
        "mixed.csv",
        format!(
            "{TICKETS}{}{}",
            ticket("h1", "T11", "2026-10-08 09:00:00"),
            ticket("y7", "T12", "2026-10-08 09:05:00")
        ),
    );
    let r = env.ingest("hall_ticket", &mixed, &[]).code(3);
    assert_contains(&r.stdout, &["read 2  stored 1  quarantined 1"]);
    // With several files, the most serious of their codes (2 before 3 before 0): one
    // file stored whole (0) and one of an unknown site only (2).
    let good = env.write(
        "good.csv",
        format!("{TICKETS}{}", ticket("h1", "T9", "2026-10-09 09:00:00")),
    );
    let unknown = env.write(
        "unknown.csv",
        format!("{TICKETS}{}", ticket("y7", "T3", "2026-10-09 09:00:00")),
    );
    env.run(&[
        "ingest",
        "hall_ticket",
        common::s(&good),
        common::s(&unknown),
    ])
    .code(2);
}

#[test]
fn a_strict_rejection_adds_up_and_its_quarantine_file_is_never_reused() {
    let env = Env::with_org();
    let bad = env.write(
        "bad.csv",
        format!(
            "{TICKETS}{}h1,T2,payment,2026-10-08 09:16:00,,served\n",
            ticket("h1", "T1", "2026-10-08 09:15:00")
        ),
    );
    let r = env.ingest("hall_ticket", &bad, &["--strict"]).code(2);
    // 2 read = 0 stored + 1 quarantined + 1 valid row not stored because of --strict.
    assert_contains(
        &r.stdout,
        &["read 2  stored 0  quarantined 1  duplicates 0  valid, not stored (--strict) 1"],
    );
    let rejected = quarantine_file(&r.stdout);
    let name = rejected.rsplit('/').next().expect("a name");
    assert!(name.starts_with("rejected-hall_ticket-r"), "{name}");
    let rejected_text = std::fs::read_to_string(&rejected).expect("quarantine file");
    assert_contains(&rejected_text, &["3,outcome `served` needs called_at"]);

    // The next import, with a bad row of its own, is batch 1 and writes its own file.
    let next = env.write(
        "next.csv",
        format!(
            "{TICKETS}{}h1,T2,payment,2026-10-08 09:16:00,,served\n",
            ticket("h1", "T3", "2026-10-08 09:15:00")
        ),
    );
    let r = env.ingest("hall_ticket", &next, &[]).code(3);
    assert_contains(&r.stdout, &["— batch 1", "read 2  stored 1  quarantined 1"]);
    let second = quarantine_file(&r.stdout);
    assert_ne!(second, rejected);
    assert_eq!(
        std::fs::read_to_string(&rejected).expect("still there"),
        rejected_text
    );
    // No quarantine file is named after a batch number.
    for f in env.files_under("quarantine") {
        let name = f.rsplit('/').next().expect("a name");
        assert!(!name.starts_with('b'), "{f}");
    }
    // Quarantine files are the user's reports: verify and repair leave them alone.
    env.ok(&["repair"]);
    assert_eq!(env.files_under("quarantine").len(), 2);
}

#[test]
fn a_replace_says_what_it_superseded_and_stats_separate_live_rows() {
    let env = Env::with_org();
    // Batch 1: three tickets of h1 on 8 October and one on 9 October.
    let first = env.write(
        "first.csv",
        format!(
            "{TICKETS}{}{}{}{}",
            ticket("h1", "T1", "2026-10-08 09:00:00"),
            ticket("h1", "T2", "2026-10-08 10:00:00"),
            ticket("h1", "T3", "2026-10-08 11:00:00"),
            ticket("h1", "T4", "2026-10-09 09:00:00")
        ),
    );
    env.ingest("hall_ticket", &first, &[]).code(0);
    // Batch 2 replaces h1's 8 October with one corrected ticket: the three earlier rows
    // of that site and day are superseded; 9 October is untouched.
    let fixed = env.write(
        "fixed.csv",
        format!("{TICKETS}{}", ticket("h1", "T1", "2026-10-08 09:30:00")),
    );
    let r = env.ingest("hall_ticket", &fixed, &["--replace"]).code(0);
    assert_contains(
        &r.stdout,
        &["read 1  stored 1  quarantined 0  duplicates 0  earlier rows superseded 3"],
    );
    let stats = env.ok(&["records", "stats"]);
    // Stored 4 + 1 = 5 rows, 3 of them superseded: 2 live (T4, and the corrected T1).
    assert_contains(
        &stats,
        &["hall_ticket: 2 live rows (5 stored, 3 of them superseded)"],
    );
    let batch2 = stats
        .lines()
        .find(|l| l.starts_with("2 "))
        .expect("batch 2 listed");
    let cells: Vec<&str> = batch2.split_whitespace().collect();
    // batch, kind, file, read, stored, quarantined, duplicates, superseded, mode, time
    assert_eq!(
        &cells[3..9],
        ["1", "1", "0", "0", "3", "replace"],
        "{batch2}"
    );
}

#[test]
fn implausible_dates_are_quarantined_with_the_reason() {
    let env = Env::with_org();
    let tomorrow_but_one = (chrono::Utc::now() + chrono::Duration::days(3))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let rows = [
        ("T1", "0001-10-08T09:15:02Z"),
        ("T2", "1900-10-08T09:15:02Z"),
        ("T3", "2100-10-08T09:15:02Z"),
        ("T4", "9999-10-08T09:15:02Z"),
        ("T5", "1999-12-31T23:59:59Z"),
        ("T6", tomorrow_but_one.as_str()),
        // Inside the window: its first instant, and an ordinary day.
        ("T7", "2000-01-01T00:00:00Z"),
        ("T8", "2026-10-08T09:15:02+08:00"),
    ];
    let mut text = String::from(TICKETS);
    for (id, at) in rows {
        text.push_str(&ticket("h1", id, at));
    }
    let file = env.write("years.csv", text);
    let r = env.ingest("hall_ticket", &file, &[]).code(3);
    // Six rows outside 2000-01-01 .. now + 1 day, each with two implausible instants.
    assert_contains(
        &r.stdout,
        &[
            "read 8  stored 2  quarantined 6",
            "6  implausible issued_at",
            "6  implausible called_at",
        ],
    );
    let q = std::fs::read_to_string(quarantine_file(&r.stdout)).expect("quarantine file");
    for (line, year) in [
        (2, "0001"),
        (3, "1900"),
        (4, "2100"),
        (5, "9999"),
        (6, "1999"),
    ] {
        let row = q
            .lines()
            .find(|l| l.starts_with(&format!("{line},")))
            .unwrap_or_else(|| panic!("line {line} quarantined:\n{q}"));
        assert_contains(
            row,
            &[
                &format!("issued_at {year}-"),
                "is outside the plausible window 2000-01-01 ..",
            ],
        );
    }
    assert!(q.lines().any(|l| l.starts_with("7,")), "{q}");
    assert_contains(
        &env.ok(&["records", "stats"]),
        &["hall_ticket: 2 live rows (2 stored, 0 of them superseded)"],
    );
}
