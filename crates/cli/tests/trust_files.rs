//! Issue 18, finding 1: the user's files are never deleted. `quickstart` and `init` into
//! a folder that holds anything else refuse, name the folder and leave every file as it
//! was, also when the folder is the current directory (`--data-dir .`); recreating a
//! quickstart directory removes only what Yardstick wrote there.

mod common;

use std::path::Path;

use common::{Env, assert_contains, files_under, run_cmd, s, yardstick};

/// A short demo: two days are enough to write every kind of file quickstart writes.
const QUICK: [&str; 6] = [
    "quickstart",
    "--days",
    "2",
    "--end",
    "2026-10-31",
    "--no-serve",
];

/// Every file under `dir` with its bytes, sorted by path.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_under(dir, "")
        .into_iter()
        .map(|rel| {
            let bytes = std::fs::read(dir.join(&rel)).expect("readable");
            (rel, bytes)
        })
        .collect()
}

#[test]
fn quickstart_into_a_folder_with_a_users_file_refuses_twice_and_keeps_it() {
    let env = Env::empty();
    std::fs::create_dir_all(env.data.join("photos")).expect("folder");
    std::fs::write(env.data.join("notes.txt"), "my notes\n").expect("file");
    std::fs::write(env.data.join("photos/a.jpg"), [0xff, 0xd8, 0xff]).expect("file");
    let before = snapshot(&env.data);
    // The trial: the first run added its files beside the user's, the second deleted
    // everything. Now both refuse, and nothing is added or removed.
    for _ in 0..2 {
        let r = env.run(&QUICK).code(2);
        assert_contains(
            &r.stderr,
            &[s(&env.data), "not empty", "pass another --data-dir"],
        );
        assert_eq!(snapshot(&env.data), before);
    }
    // `init` refuses the folder too.
    let r = env.run(&["init"]).code(2);
    assert_contains(&r.stderr, &[s(&env.data), "not empty"]);
    assert_eq!(snapshot(&env.data), before);
    // Every other command says it is not a data directory, and writes nothing.
    let r = env.run(&["records", "stats"]).code(2);
    assert_contains(&r.stderr, &["is not a Yardstick data directory"]);
    assert_eq!(snapshot(&env.data), before);
}

#[test]
fn quickstart_with_data_dir_dot_in_a_non_empty_folder_refuses_and_empties_nothing() {
    let env = Env::empty();
    let cwd = env.path("home");
    std::fs::create_dir_all(cwd.join("src")).expect("folder");
    std::fs::write(cwd.join("mine.txt"), "keep me\n").expect("file");
    std::fs::write(cwd.join("src/main.c"), "int main(void) { return 0; }\n").expect("file");
    let before = snapshot(&cwd);
    for args in [&["--data-dir", "."][..], &["--data-dir", "./"][..]] {
        let r = run_cmd(
            yardstick()
                .current_dir(&cwd)
                .args(["--lang", "en"])
                .args(args)
                .args(QUICK),
        )
        .code(2);
        assert_contains(&r.stderr, &["not empty", "pass another --data-dir"]);
        // Not "cannot clear .": nothing was cleared.
        assert!(!r.stderr.contains("cannot"), "{}", r.stderr);
        assert_eq!(snapshot(&cwd), before);
    }
}

#[test]
fn recreating_a_quickstart_directory_removes_only_what_yardstick_wrote() {
    let env = Env::empty();
    env.run(&QUICK).code(0);
    // Its own directory is recreated: run again, same files (named afresh by run).
    env.run(&QUICK).code(0);
    assert!(env.data.join("meta.sqlite").is_file());
    assert_eq!(
        env.files_under("demo-input").len(),
        8,
        "org.toml and 7 CSV files"
    );

    // A file of the user's beside it: refused before anything is removed.
    std::fs::write(env.data.join("notes.txt"), "mine\n").expect("file");
    let before = snapshot(&env.data);
    let r = env.run(&QUICK).code(2);
    assert_contains(&r.stderr, &[s(&env.data), "did not write"]);
    assert_eq!(snapshot(&env.data), before);

    // A file of the user's inside a folder Yardstick writes: refused as well, before
    // anything is removed (the data directory stays whole).
    std::fs::remove_file(env.data.join("notes.txt")).expect("removed");
    std::fs::write(
        env.data.join("records/hall_ticket/README.txt"),
        "do not delete\n",
    )
    .expect("file");
    let before = snapshot(&env.data);
    let r = env.run(&QUICK).code(2);
    assert_contains(&r.stderr, &["1 item(s) Yardstick did not write"]);
    assert_eq!(snapshot(&env.data), before);
}
