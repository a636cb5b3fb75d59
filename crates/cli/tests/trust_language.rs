//! Issue 18, "one language": the commands a user runs — reports, tables, warnings and the
//! errors met most (a file that is not there, a file of another kind, a bad period, an
//! unknown site or scope) — speak Chinese by default and English with `--lang en`, from
//! the one catalogue. Chinese output may hold no English words but what the data and
//! the command line themselves bring (ids, paths, quoted values, flags); English output
//! holds no Chinese character at all, the test organisation's names being English too.

mod common;

use common::{Env, TICKETS, s};

/// English words that only a sentence holds: none may stand in Chinese output outside
/// ids, paths and quoted text.
const ENGLISH_WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "is",
    "are",
    "not",
    "no",
    "cannot",
    "invalid",
    "error",
    "must",
    "file",
    "files",
    "rows",
    "row",
    "stored",
    "with",
    "for",
    "from",
    "to",
    "in",
    "at",
    "expected",
    "unknown",
    "missing",
    "found",
    "failed",
    "directory",
    "denied",
    "such",
    "month",
    "period",
    "only",
    "every",
    "has",
    "was",
    "this",
    "that",
    "none",
    "give",
    "use",
    "see",
    "signed",
    "draft",
    "submitted",
    "pass",
    "fail",
    "quarantined",
    "imported",
    "read",
    "site",
    "sites",
    "evaluation",
    "score",
    "level",
    "rank",
];

/// What a line says once what the data and the command line bring is taken out: text in
/// backquotes, JSON objects, paths and file names, ids (with digits, `-`, `_` or `.`),
/// flags and all-capital placeholders (`FILE`).
fn prose(line: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    let mut depth = 0usize;
    for ch in line.chars() {
        match ch {
            '`' => quoted = !quoted,
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            _ if !quoted && depth == 0 => out.push(ch),
            _ => {}
        }
    }
    out.split_whitespace()
        .filter(|w| {
            let id_like = w
                .chars()
                .any(|c| c.is_ascii_digit() || "/\\-_.=@".contains(c));
            let letters: Vec<char> = w.chars().filter(char::is_ascii_alphabetic).collect();
            let placeholder = letters.len() > 1 && letters.iter().all(char::is_ascii_uppercase);
            !id_like && !w.starts_with("--") && !placeholder
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}')
}

/// The English words of a Chinese line, after [`prose`].
fn english_words(line: &str) -> Vec<String> {
    let p = prose(line);
    p.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .filter(|w| ENGLISH_WORDS.contains(&w.as_str()))
        .collect()
}

#[test]
fn the_prose_filter_keeps_sentences_and_drops_ids() {
    // A sentence left in English is caught; ids, paths, quoted text and JSON are not.
    assert_eq!(
        english_words("错误: cannot read the file"),
        ["cannot", "read", "the", "file"]
    );
    assert!(
        english_words("站点 `the site` h1 data/records/x.parquet {\"file\":\"a\"} FILE --period")
            .is_empty()
    );
    assert!(is_cjk('错') && is_cjk('：') && !is_cjk('e'));
}

#[test]
fn every_common_command_speaks_the_chosen_language() {
    let env = Env::with_org();
    let mut tickets = String::from(TICKETS);
    for day in 1..=20 {
        tickets.push_str(&format!(
            "h1,T{day},payment,2026-10-{day:02} 09:00:00,2026-10-{day:02} 09:04:00,served\n"
        ));
    }
    // One row without an issue time: quarantined with its reason.
    tickets.push_str("h1,T99,payment,,2026-10-21 09:04:00,served\n");
    let tickets = env.write("tickets.csv", tickets);
    let missing = env.path("no-such-file.csv");

    for lang in ["zh", "en"] {
        let env = Env {
            tmp: tempfile::tempdir().expect("unused folder"),
            data: env.data.clone(),
            lang,
        };
        let login = format!("reader-{lang}");
        let commands: Vec<Vec<&str>> = vec![
            vec!["ingest", "hall_ticket", s(&tickets), "--replace"],
            vec!["records", "stats"],
            vec!["evaluate", "--period", "2026-10"],
            vec!["evaluation", "list"],
            vec!["evaluation", "show", "1"],
            vec!["evaluation", "verify", "1"],
            vec![
                "drill",
                "--site",
                "h1",
                "--indicator",
                "BH-01",
                "--period",
                "2026-10",
            ],
            vec!["verify"],
            vec!["repair", "--dry-run"],
            vec![
                "plan",
                "staffing",
                "--arrivals-per-h",
                "100",
                "--aht-s",
                "180",
            ],
            vec!["user", "add", &login, "--role", "viewer", "--scope", "gz"],
            vec!["user", "list"],
            vec!["token", "list"],
            vec!["audit", "list"],
            vec!["finding", "list"],
            vec!["action", "list"],
            // The errors met most.
            vec!["evaluate", "--period", "2026-13"],
            vec!["evaluate", "--period", "2026-10", "--scope", "nowhere"],
            vec!["ingest", "contact", s(&missing)],
            vec!["ingest", "contact", s(&tickets)],
            vec!["guideline", "validate", s(&missing)],
            vec![
                "drill",
                "--site",
                "nowhere",
                "--indicator",
                "BH-01",
                "--period",
                "2026-10",
            ],
            vec!["plan", "site", "c1", "--week", "2026-W45"],
        ];
        for args in &commands {
            let run = env.run(args);
            assert!(
                !run.stderr.contains("panicked"),
                "{lang} {args:?}: {}",
                run.stderr
            );
            let all = format!("{}\n{}", run.stdout, run.stderr);
            for line in all.lines() {
                match lang {
                    "zh" => {
                        let words = english_words(line);
                        assert!(
                            words.is_empty(),
                            "zh {args:?}: English words {words:?} in: {line}"
                        );
                    }
                    _ => assert!(!line.chars().any(is_cjk), "en {args:?}: Chinese in: {line}"),
                }
            }
            if lang == "zh" && !all.trim().is_empty() {
                assert!(
                    all.chars().any(is_cjk),
                    "zh {args:?}: nothing in Chinese:\n{all}"
                );
            }
        }
    }
}
