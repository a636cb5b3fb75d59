//! Issue 18, finding 9: messages that help. A read-only data directory and a full disk
//! give one clear error with the path and the system's reason (never "internal error …
//! (code: 14)" three times); a 50 MB line without a newline gives a short error, its
//! text quoted truncated; two imports of different kinds at once both commit, the
//! second waiting its turn and saying so.

mod common;

use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;

use common::{Env, Run, TICKETS, assert_contains, run_cmd, s};

/// Tickets of October 2026 at hall h1.
fn tickets(n: usize) -> String {
    let mut text = String::from(TICKETS);
    for i in 0..n {
        let at = format!("2026-10-{:02} 09:{:02}:00", 1 + i % 28, i % 60);
        text.push_str(&format!("h1,T{i},payment,{at},{at},served\n"));
    }
    text
}

/// Sets the permission bits of `path` and everything under it: `dirs` on folders,
/// `files` on files.
fn chmod_all(path: &Path, dirs: u32, files: u32) {
    let mode = if path.is_dir() { dirs } else { files };
    if path.is_dir() {
        for e in std::fs::read_dir(path).expect("listed") {
            chmod_all(&e.expect("entry").path(), dirs, files);
        }
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// One line of error: said once, with no database codes and no panic.
#[track_caller]
fn one_clear_error(r: &Run, parts: &[&str]) {
    common::assert_no_panic(r);
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{}: {}", r.args, r.stderr);
    assert_contains(lines[0], parts);
    assert!(!r.stderr.contains("code:"), "{}", r.stderr);
    assert!(!r.stderr.contains("os error"), "{}", r.stderr);
}

#[test]
fn a_read_only_data_directory_gives_one_error_with_the_path_and_the_reason() {
    let env = Env::with_org();
    let t = env.write("tickets.csv", tickets(4));
    env.ingest("hall_ticket", &t, &[]).code(0);
    // Everything readable, nothing writable. Root may write anyway: then the commands run
    // as the unprivileged user `nobody` (uid 65534), as a user without write access.
    let root = std::fs::metadata(env.tmp.path()).expect("stat").uid() == 0;
    std::fs::set_permissions(env.tmp.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    chmod_all(&env.data, 0o555, 0o444);
    let run = |args: &[&str]| {
        let mut cmd = env.cmd();
        cmd.args(args);
        if root {
            cmd.uid(65534).gid(65534);
        }
        run_cmd(&mut cmd)
    };
    let r = run(&["ingest", "hall_ticket", s(&t)]);
    assert_ne!(r.code, Some(0));
    // Said by the OS ("Permission denied", a file it could not write) or by the
    // database ("permission denied", its file it could not open for writing).
    one_clear_error(&r, &[s(&env.data), "ermission denied"]);
    let r = run(&["evaluate", "--period", "2026-10"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    // The database cannot be written ("read-only") or, when it must be opened for
    // writing first, not opened ("permission denied"): either way one line, named.
    one_clear_error(&r, &[&format!("{}/meta.sqlite", s(&env.data))]);
    assert!(
        r.stderr.contains("read-only") || r.stderr.contains("permission denied"),
        "{}",
        r.stderr
    );
    // Reading needs no write: the records are still there to see.
    let r = run(&["records", "stats"]);
    if r.code == Some(0) {
        assert_contains(&r.stdout, &["hall_ticket: 4 live rows"]);
    } else {
        // Without its write-ahead log files, SQLite cannot open a database read-only.
        one_clear_error(&r, &[s(&env.data), "permission denied"]);
    }
    chmod_all(&env.data, 0o755, 0o644);
}

#[test]
fn a_full_disk_gives_one_error_with_the_path_and_leaves_nothing_behind() {
    let env = Env::with_org();
    // 20 000 tickets make a Parquet file of several hundred KB; the limit is 32 KB (64
    // blocks of 512 bytes): the write fails as on a full disk.
    let t = env.write("tickets.csv", tickets(20_000));
    let script = format!(
        "ulimit -f 64 && exec '{}' --lang en --data-dir '{}' ingest hall_ticket '{}'",
        env!("CARGO_BIN_EXE_yardstick"),
        s(&env.data),
        s(&t)
    );
    let r = run_cmd(std::process::Command::new("sh").args(["-c", &script]));
    assert_eq!(r.code, Some(1), "an internal error: {}", r.stderr);
    one_clear_error(
        &r,
        &[
            "internal error: cannot write",
            &format!("{}/records/hall_ticket/2026-10/", s(&env.data)),
            "File too large",
        ],
    );
    // Nothing of the import is left: no batch, no file.
    assert!(!env.ok(&["records", "stats"]).contains("live rows"));
    assert_eq!(env.files_under("records"), Vec::<String>::new());
    assert_eq!(env.files_under("tmp"), Vec::<String>::new());
    assert_contains(&env.ok(&["verify"]), &["everything matches the manifest"]);
    // Without the limit, the same file imports.
    env.ingest("hall_ticket", &t, &[]).code(0);
}

#[test]
fn a_50_mb_line_without_a_newline_gives_a_short_error() {
    let env = Env::with_org();
    let long = "x".repeat(50_000_000);
    // The whole file one line: its header.
    let header_only = env.write("one-line.csv", format!("site_id,ticket_id,{long}"));
    let r = env.ingest("hall_ticket", &header_only, &[]).code(2);
    assert!(
        r.stderr.len() < 10_000,
        "{} bytes of stderr",
        r.stderr.len()
    );
    assert!(
        r.stdout.len() < 10_000,
        "{} bytes of stdout",
        r.stdout.len()
    );
    assert_contains(
        &r.stderr,
        &["missing required column(s)", "xxx…", "characters)"],
    );
    assert_eq!(
        r.stderr.matches("site_id, ticket_id").count(),
        1,
        "quoted once"
    );
    // A header, then one 50 MB row without a newline: quarantined whole, reported short.
    let row = env.write("one-row.csv", format!("{TICKETS}h1,T1,{long}"));
    let r = env.ingest("hall_ticket", &row, &[]).code(2);
    assert!(
        r.stderr.len() < 10_000,
        "{} bytes of stderr",
        r.stderr.len()
    );
    assert!(
        r.stdout.len() < 10_000,
        "{} bytes of stdout",
        r.stdout.len()
    );
    assert_contains(
        &r.stdout,
        &["read 1  stored 0  quarantined 1", "malformed row"],
    );
    // The quarantine file keeps the original line in full for the user to fix.
    let q = r
        .stdout
        .lines()
        .find_map(|l| l.split("original): ").nth(1))
        .expect("quarantine file named");
    let size = std::fs::metadata(q.trim()).expect("quarantine file").len();
    assert!(size > 50_000_000, "{size} bytes");
}

/// Starts an import with its standard error piped.
fn start_ingest(env: &Env, kind: &str, file: &Path) -> std::process::Child {
    env.cmd()
        .args(["ingest", kind, s(file)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ingest starts")
}

/// Reads standard error until `needle` appears (or the stream ends); returns what was
/// read.
fn read_until(child: &mut std::process::Child, needle: &str) -> String {
    let err = child.stderr.as_mut().expect("stderr");
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&seen).contains(needle) {
        match err.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[test]
fn two_imports_of_different_kinds_at_once_both_commit_one_after_the_other() {
    let env = Env::with_org();
    let t = env.write("tickets.csv", tickets(3));
    let c = env.write(
        "contacts.csv",
        "site_id,contact_id,channel,queue_entry_at,answered_at,end_at,outcome\n\
         c1,K1,voice,2026-10-08 09:00:00,2026-10-08 09:00:20,2026-10-08 09:05:00,answered\n",
    );
    // A third import holds the data directory's lock (the test takes it itself): both
    // imports must wait, say so, and go on once it is released.
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(env.data.join(".lock"))
        .expect("lock file");
    lock.lock().expect("locked");
    let waiting = "another import is using this data directory: waiting for it to finish";
    let mut a = start_ingest(&env, "hall_ticket", &t);
    let mut b = start_ingest(&env, "contact", &c);
    assert_contains(&read_until(&mut a, waiting), &[waiting]);
    assert_contains(&read_until(&mut b, waiting), &[waiting]);
    lock.unlock().expect("unlocked");
    for (child, what) in [(a, "hall_ticket"), (b, "contact")] {
        let out = child.wait_with_output().expect("ended");
        let stderr = common::text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{what}: {stderr}");
        assert!(!stderr.contains("nothing stored"), "{what}: {stderr}");
        assert_contains(&common::text(&out.stdout), &[what, "— batch "]);
    }
    assert_contains(
        &env.ok(&["records", "stats"]),
        &[
            "contact: 1 live rows (1 stored, 0 of them superseded)",
            "hall_ticket: 3 live rows (3 stored, 0 of them superseded)",
        ],
    );
}
