//! Issue 18, findings 2 and 3: a damaged store is detected. A stored record file swapped
//! with another valid one (of the same batch, or of another kind), or cut short, stops
//! every reading command with exit code 4 naming the file and its batch, and `verify`
//! reports it; a metadata database emptied or deleted next to stored records is exit 4
//! with a message saying so (never a fresh empty start), and `verify` lists the record
//! files no batch can list any more, without creating a database.

mod common;

use common::{Env, TICKETS, assert_contains, s};

/// Two tickets in September 2026 and two in October, of the same shape: one batch with
/// two Parquet files (one per month) of two rows each.
fn tickets() -> String {
    format!(
        "{TICKETS}\
         h1,T1,payment,2026-09-08 09:15:02,2026-09-08 09:20:00,served\n\
         h1,T2,payment,2026-09-09 09:15:02,2026-09-09 09:20:00,served\n\
         h1,T3,payment,2026-10-08 09:15:02,2026-10-08 09:20:00,served\n\
         h1,T4,payment,2026-10-09 09:15:02,2026-10-09 09:20:00,served\n"
    )
}

/// Two contacts of call centre c1 in October 2026: batch 2.
const CONTACTS: &str = "site_id,contact_id,channel,queue_entry_at,answered_at,end_at,outcome\n\
    c1,K1,voice,2026-10-08 09:00:00,2026-10-08 09:00:20,2026-10-08 09:05:00,answered\n\
    c1,K2,voice,2026-10-08 10:00:00,2026-10-08 10:00:20,2026-10-08 10:05:00,answered\n";

/// A data directory holding batch 1 (tickets) and batch 2 (contacts).
fn stored() -> Env {
    let env = Env::with_org();
    let t = env.write("tickets.csv", tickets());
    env.ingest("hall_ticket", &t, &[]).code(0);
    let c = env.write("contacts.csv", CONTACTS);
    env.ingest("contact", &c, &[]).code(0);
    env
}

/// The one Parquet file of `kind` and `month`, relative to the data directory.
fn parquet(env: &Env, kind: &str, month: &str) -> String {
    let prefix = format!("records/{kind}/{month}/");
    let found: Vec<String> = env
        .files_under("records")
        .into_iter()
        .filter(|f| f.starts_with(&prefix) && f.ends_with(".parquet"))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

/// Every reading command refuses with exit code 4, naming the file and its batch, and
/// prints no figure.
#[track_caller]
fn refused(env: &Env, file: &str, batch: i64) {
    let batch = format!("batch {batch}");
    for args in [
        &["evaluate", "--period", "2026-10"][..],
        &["evaluate", "--period", "2026-10", "--format", "json"],
        &["evaluate", "--period", "2026-10", "--format", "csv"],
        &[
            "drill",
            "--period",
            "2026-10",
            "--site",
            "h1",
            "--indicator",
            "BH-01",
        ],
    ] {
        let r = env.run(args).code(4);
        assert_contains(&r.stderr, &[file, &batch]);
        assert_eq!(r.stdout, "", "{args:?}: no figure is printed");
    }
    let r = env.run(&["verify"]).code(4);
    assert_contains(&r.stdout, &[&format!("{file} ({batch})")]);
}

#[test]
fn a_file_swapped_with_another_of_its_batch_is_refused_by_every_reader() {
    let env = stored();
    env.ok(&["evaluate", "--period", "2026-10"]);
    let sept = parquet(&env, "hall_ticket", "2026-09");
    let oct = parquet(&env, "hall_ticket", "2026-10");
    // The trial: another valid Parquet file of the same batch put in this one's place.
    // Same kind, same number of rows and the same shape of values: size and row count
    // may well agree, and the footer still tells them apart.
    std::fs::copy(env.data.join(&sept), env.data.join(&oct)).expect("swapped");
    refused(&env, &oct, 1);
    let r = env.run(&["verify", "--hash"]).code(4);
    assert_contains(&r.stdout, &[&format!("{oct} (batch 1)")]);
    // The untouched September file is not reported (it is named only as the file the
    // October one's footer says it is).
    assert!(
        !r.stdout.contains(&format!("{sept} (batch")),
        "{}",
        r.stdout
    );
    assert_contains(&r.stdout, &["1 stored file(s) missing or different"]);
}

#[test]
fn a_file_replaced_by_one_of_another_kind_or_cut_short_is_refused() {
    let env = stored();
    let oct = parquet(&env, "hall_ticket", "2026-10");
    let contacts = parquet(&env, "contact", "2026-10");
    std::fs::copy(env.data.join(&contacts), env.data.join(&oct)).expect("replaced");
    refused(&env, &oct, 1);

    let env = stored();
    let oct = parquet(&env, "contact", "2026-10");
    let path = env.data.join(&oct);
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("cut");
    let r = env.run(&["evaluate", "--period", "2026-10"]).code(4);
    assert_contains(&r.stderr, &[&oct, "batch 2"]);
    let r = env.run(&["verify"]).code(4);
    assert_contains(&r.stdout, &[&format!("{oct} (batch 2)")]);
}

/// The record files and key indexes Yardstick wrote under `records/`: with the
/// metadata lost, no batch lists any of them.
fn record_files(env: &Env) -> Vec<String> {
    let files: Vec<String> = env
        .files_under("records")
        .into_iter()
        .filter(|f| f.ends_with(".parquet") || f.ends_with(".keys"))
        .collect();
    // Three Parquet files (tickets of September and October, contacts of October),
    // each with its key index.
    assert_eq!(files.len(), 6, "{files:?}");
    files
}

/// With the metadata lost, every command that needs it refuses with exit code 4 and
/// `message`; `verify` lists every record file; nothing creates a database or removes a
/// record file.
#[track_caller]
fn metadata_lost(env: &Env, message: &str, db_size: Option<u64>) {
    let files = record_files(env);
    let db = env.data.join("meta.sqlite");
    let tickets = env.write("more.csv", tickets());
    for args in [
        &["records", "stats"][..],
        &["evaluate", "--period", "2026-10"],
        &["evaluation", "list"],
        &["ingest", "hall_ticket", s(&tickets)],
        &["org", "import", s(&env.path("org.toml"))],
        &["repair"],
        &["init"],
        &["migrate"],
    ] {
        let r = env.run(args).code(4);
        assert_contains(&r.stderr, &[s(&db), message, "record file(s)"]);
        // Said once, not repeated.
        assert_eq!(r.stderr.matches(message).count(), 1, "{}", r.stderr);
    }
    let r = env.run(&["verify"]).code(4);
    assert_contains(&r.stderr, &[message]);
    for f in &files {
        assert_contains(&r.stdout, &[&format!("file of no batch: {f}")]);
    }
    // Nothing re-created the database, nothing removed a record file.
    assert_eq!(std::fs::metadata(&db).ok().map(|m| m.len()), db_size);
    assert!(!env.data.join("meta.sqlite-wal").exists());
    assert_eq!(record_files(env), files);
}

#[test]
fn an_emptied_metadata_database_is_an_error_never_a_fresh_start() {
    let env = stored();
    let db = env.data.join("meta.sqlite");
    // Truncated to 0 bytes, its journal files gone with it.
    std::fs::write(&db, b"").expect("truncated");
    for side in ["meta.sqlite-wal", "meta.sqlite-shm"] {
        let _ = std::fs::remove_file(env.data.join(side));
    }
    metadata_lost(&env, "is empty, but records/ holds 3", Some(0));
}

#[test]
fn a_deleted_metadata_database_is_an_error_and_verify_lists_the_orphans() {
    let env = stored();
    for f in ["meta.sqlite", "meta.sqlite-wal", "meta.sqlite-shm"] {
        let _ = std::fs::remove_file(env.data.join(f));
    }
    metadata_lost(&env, "is missing, but records/ holds 3", None);
}
