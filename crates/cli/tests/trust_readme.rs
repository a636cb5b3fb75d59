//! Every `yardstick` command the README shows runs on the demo (issue 18, finding 10):
//! the quickstart (`--days 31 --end 2026-10-31 --no-serve`, so that the month it
//! evaluates is October 2026 whatever today is), then each command of the README's
//! code blocks, as written, from a folder where `./yardstick-data` is the quickstart's
//! data directory and the files the commands name exist. Each exits 0, or the code the
//! README documents for it. A command added to the README is run too: the list comes
//! from the README itself.
//!
//! The quickstart's own story is checked on its English run: every demo row imported,
//! 41 sites ranked, the deliberately weak sites in the bottom half of their peers.

mod common;

use std::path::{Path, PathBuf};

use common::{Run, assert_contains, assert_no_panic, run_cmd, yardstick};

/// The demo's period: 31 days ending on 31 October 2026, so quickstart evaluates October.
const DEMO: [&str; 5] = ["--days", "31", "--end", "2026-10-31", "--no-serve"];

/// One command of the README: the arguments after `yardstick` (or after `--` of a
/// `cargo run`), and the exit code the README documents for it.
#[derive(Debug)]
struct Shown {
    line: String,
    args: Vec<String>,
    code: i32,
}

/// Every `yardstick` command in the README's `sh` blocks. `cargo run … -- ARGS` lines
/// are the binary with ARGS; other `cargo` lines (tests, xtask) are not the binary's.
fn readme_commands() -> Vec<Shown> {
    let readme = include_str!("../../../README.md");
    let mut out = Vec::new();
    let mut in_sh = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let command = line.split(" #").next().unwrap_or("").trim();
        let words: Vec<&str> = command.split_whitespace().collect();
        let args: Vec<&str> = match words.as_slice() {
            ["yardstick", rest @ ..] => rest.to_vec(),
            ["cargo", "run", ..] => match words.iter().position(|w| *w == "--") {
                Some(i) => words[i + 1..].to_vec(),
                None => continue,
            },
            _ => continue,
        };
        // The default binary refuses the DataFusion engine with exit code 2 and says
        // how to build it (README, "Development"); the line builds that binary.
        let code = if command.contains("--features datafusion") {
            2
        } else {
            0
        };
        out.push(Shown {
            line: line.to_string(),
            args: args.iter().map(|a| (*a).to_string()).collect(),
            code,
        });
    }
    out
}

fn is_quickstart(s: &Shown) -> bool {
    s.args.iter().any(|a| a == "quickstart")
}

/// Runs a README command in `cwd`.
fn run_in(cwd: &Path, s: &Shown) -> Run {
    let mut cmd = yardstick();
    cmd.current_dir(cwd).args(&s.args);
    if is_quickstart(s) {
        cmd.args(DEMO);
    }
    let r = run_cmd(&mut cmd);
    assert_no_panic(&r);
    assert_eq!(
        r.code,
        Some(s.code),
        "README: {}\n--- stdout\n{}\n--- stderr\n{}",
        s.line,
        r.stdout,
        r.stderr
    );
    r
}

/// The input files the README's commands name, written into `cwd`.
fn write_inputs(cwd: &Path) {
    let w = |name: &str, text: &str| std::fs::write(cwd.join(name), text).expect(name);
    let org = std::fs::read_to_string(cwd.join("yardstick-data/demo-input/org.toml"))
        .expect("the demo organisation");
    w("org.toml", &org);
    // A few records of demo sites: a hall, a call centre (JSON Lines), a field centre.
    w(
        "tickets-2026-10.csv",
        "site_id,ticket_id,service_type,issued_at,called_at,outcome\n\
         hz-h01,T1,payment,2026-10-08 09:15:02,2026-10-08 09:20:00,served\n\
         hz-h01,T2,payment,2026-10-08 09:16:00,2026-10-08 09:24:00,served\n",
    );
    w(
        "calls.jsonl",
        "{\"site_id\":\"nb-c01\",\"contact_id\":\"K1\",\"channel\":\"voice\",\"queue_entry_at\":\"2026-10-08 09:00:00\",\"answered_at\":\"2026-10-08 09:00:15\",\"end_at\":\"2026-10-08 09:04:00\",\"outcome\":\"answered\"}\n\
         {\"site_id\":\"nb-c01\",\"contact_id\":\"K2\",\"channel\":\"voice\",\"queue_entry_at\":\"2026-10-08 09:01:00\",\"abandoned_at\":\"2026-10-08 09:02:00\",\"outcome\":\"abandoned\"}\n",
    );
    w(
        "fixed-orders.csv",
        "site_id,order_id,kind,created_at,completed_at,status\n\
         my-f02,W1,repair,2026-10-08 09:00:00,2026-10-09 10:00:00,completed\n",
    );
    let default = yardstick_core::guideline::DEFAULT_TOML;
    let mine = default.replacen("version = \"2026.1\"", "version = \"2026.1-local\"", 1);
    assert_ne!(mine, default, "the version line is found");
    w("my-rules.toml", &mine);
    w("old.toml", default);
    w("new.toml", &mine);
    w(
        "problems.csv",
        "arrivals_per_h,aht_s,answer_within_s,sl_target\n200,180,20,0.8\n120,240,20,0.8\n",
    );
    // hz-h02's week 2026-W45 (2 to 8 November), three counters from 09:00 to 17:00.
    let mut roster = String::from("date,interval_start,staff\n");
    for day in 2..=8 {
        for hour in 9..17 {
            roster.push_str(&format!("2026-11-{day:02},{hour:02}:00,3\n"));
        }
    }
    w("roster.csv", &roster);
}

/// Site ids of the evaluation table (`xx-h01`, `xx-c01`, `xx-f01`…), one per row.
fn site_rows(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| {
            // Rows start with the id; the story's lines about weak sites are indented.
            let id = l.split(' ').next().unwrap_or("");
            let b = id.as_bytes();
            b.len() == 6
                && b[2] == b'-'
                && matches!(b[3], b'h' | b'c' | b'f')
                && b[4..].iter().all(u8::is_ascii_digit)
        })
        .collect()
}

/// The English quickstart's story (it was `tests/quickstart.rs`).
fn check_the_story(stdout: &str) {
    assert!(stdout.contains("Evaluation 2026-10"), "{stdout}");
    // No demo row is quarantined: every import line says "quarantined 0".
    let imports: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(" read ") && l.contains(" stored "))
        .collect();
    assert_eq!(imports.len(), 7, "{stdout}");
    assert!(
        imports
            .iter()
            .all(|l| l.trim_end().ends_with("quarantined 0")),
        "{stdout}"
    );
    // 17 halls, 6 call centres and 18 field centres (the README's demo paragraph): 41
    // sites, each ranked or not rated on a row of its own.
    assert_eq!(site_rows(stdout).len(), 41, "{stdout}");
    // Each weak site is named in the story and ranks in the bottom half of its peers.
    for site in ["hz-h02", "cd-h02", "nb-c01", "my-f02"] {
        assert!(
            stdout.contains(&format!("  {site} ")),
            "{site} missing from the story:\n{stdout}"
        );
        let row = stdout
            .lines()
            .find(|l| l.starts_with(site))
            .unwrap_or_else(|| panic!("{site} not ranked:\n{stdout}"));
        let rank = row
            .split_whitespace()
            .find(|w| w.contains('/') && w.chars().all(|c| c.is_ascii_digit() || c == '/'))
            .expect("rank column");
        let (pos, peers) = rank.split_once('/').expect("n/m");
        let (pos, peers): (u32, u32) = (pos.parse().expect("pos"), peers.parse().expect("peers"));
        assert!(2 * pos > peers, "{site} ranks {pos}/{peers}:\n{stdout}");
    }
    // The repair backlog breaks the legal repair limit: a red line caps it.
    let backlog = stdout
        .lines()
        .find(|l| l.starts_with("my-f02"))
        .expect("my-f02");
    assert!(backlog.contains("RL-"), "{backlog}");
}

#[test]
fn every_command_the_readme_shows_runs_on_the_demo() {
    let commands = readme_commands();
    // The README shows the quickstart in both languages and the commands of each
    // section; if this list shrinks, the parsing broke.
    assert!(commands.len() >= 25, "{commands:?}");
    let quickstarts: Vec<&Shown> = commands.iter().filter(|s| is_quickstart(s)).collect();
    assert_eq!(quickstarts.len(), 2, "{commands:?}");
    assert_eq!(quickstarts[1].args, ["--lang", "en", "quickstart"]);

    let tmp = tempfile::tempdir().expect("temp dir");
    let cwd: PathBuf = tmp.path().join("work");
    std::fs::create_dir_all(&cwd).expect("folder");
    // The Chinese quickstart, then the English one in the same folder: "running it
    // again recreates the data directory it made". The English one tells the story.
    let zh = run_in(&cwd, quickstarts[0]);
    assert_eq!(site_rows(&zh.stdout).len(), 41, "{}", zh.stdout);
    let story = run_in(&cwd, quickstarts[1]).stdout;
    check_the_story(&story);
    let org =
        std::fs::read_to_string(cwd.join("yardstick-data/demo-input/org.toml")).expect("org.toml");
    assert_eq!(org.matches("[[site]]").count(), 41);

    write_inputs(&cwd);
    // `demo generate` twice at once (the README says the same seed gives the same
    // files), beside the other commands.
    let generate = commands
        .iter()
        .find(|s| s.args.first().is_some_and(|a| a == "demo"))
        .expect("demo generate is shown");
    let again = tmp.path().join("again");
    std::fs::create_dir_all(&again).expect("folder");
    std::thread::scope(|scope| {
        let twice = scope.spawn(|| run_in(&again, generate));
        for s in commands
            .iter()
            .filter(|s| !is_quickstart(s) && s.args.first().is_none_or(|a| a != "demo"))
        {
            let r = run_in(&cwd, s);
            let args = s.args.join(" ");
            if args.starts_with("drill") {
                assert_contains(&r.stdout, &["IM-05", "my-f02", "2026-10"]);
            } else if args == "evaluation verify 1" {
                // The quickstart froze evaluation 1; recomputed, it is equal (in
                // Chinese, the README's commands run without `--lang`).
                assert_contains(&r.stdout, &["评价 1 复核一致"]);
            } else if args.contains("--scope sc-gz") && !args.contains("my-data") {
                // Ganzi's sites are the `gz-` ones, and only they.
                let rows = site_rows(&r.stdout);
                assert!(!rows.is_empty(), "{}", r.stdout);
                assert!(rows.iter().all(|l| l.starts_with("gz-")), "{}", r.stdout);
            }
        }
        run_in(&cwd, generate);
        twice.join().expect("second generation");
    });
    let first = common::files_under(&cwd.join("demo"), "");
    assert_eq!(first.len(), 8, "org.toml and 7 CSV files: {first:?}");
    for f in &first {
        let a = std::fs::read(cwd.join("demo").join(f)).expect("first");
        let b = std::fs::read(again.join("demo").join(f)).expect("second");
        assert!(a == b, "{f} differs between two runs of the same seed");
    }
}
