//! Issue 18, "one language": the commands a user runs — reports, tables, warnings and the
//! errors met most (a file that is not there, a file of another kind, a bad period, an
//! unknown site or scope, a broken organisation, guideline or mapping file) — speak
//! Chinese by default and English with `--lang en`, from
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
            assert_lines_speak(lang, &format!("{args:?}"), &all);
            if lang == "zh" && !all.trim().is_empty() {
                assert!(
                    all.chars().any(is_cjk),
                    "zh {args:?}: nothing in Chinese:\n{all}"
                );
            }
        }
    }
}

/// clap's own English words, none of which may stand in Chinese help or errors (they
/// hold no word of [`ENGLISH_WORDS`], so [`english_words`] alone would not see them).
const CLAP_ENGLISH: &[&str] = &[
    "Usage:",
    "Commands:",
    "Arguments:",
    "Options:",
    "Print help",
    "Print version",
    "Print this message",
    "[default:",
    "[env:",
    "[possible values:",
    "Possible values:",
    "For more information",
    "tip:",
    "error:",
];

/// Runs the binary with `args` (no data directory needed).
fn run(args: &[&str]) -> common::Run {
    common::run_cmd(common::yardstick().args(args))
}

/// The names listed under the "Commands:" heading of an English help text, `help` left
/// out.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// Every command path of the tree, at every depth, walked through the English help of
/// each command (the top command is the empty path).
fn command_paths() -> Vec<Vec<String>> {
    let mut paths = vec![Vec::new()];
    let mut i = 0;
    while i < paths.len() {
        let path: Vec<String> = paths[i].clone();
        let mut args: Vec<&str> = vec!["--lang", "en"];
        args.extend(path.iter().map(String::as_str));
        args.push("--help");
        let help = run(&args).code(0).stdout;
        for name in subcommands(&help) {
            let mut child = path.clone();
            child.push(name);
            paths.push(child);
        }
        i += 1;
    }
    paths
}

/// The English sentence words of one line of Chinese help or of a parser error, once
/// what the command line itself brings is taken out too: the command's own invocation
/// (`yardstick plan site`, in the usage line and the examples), a subcommand's name at
/// the head of its line in the list of commands, and possible values (`[可选值：…]`,
/// `- draft: …`).
fn help_english_words(line: &str, path: &[String], children: &[String]) -> Vec<String> {
    let invocation = std::iter::once("yardstick")
        .chain(path.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let mut line = line.replace(&invocation, "");
    while let Some(start) = line.find("[可选值：") {
        let end = line[start..]
            .find(']')
            .map_or(line.len(), |e| start + e + 1);
        line.replace_range(start..end, "");
    }
    let trimmed = line.trim_start().to_string();
    let rest = match trimmed.strip_prefix("- ") {
        Some(listed) => listed
            .split_once(':')
            .map_or("", |(_, help)| help)
            .to_string(),
        None => match trimmed.split_once(char::is_whitespace) {
            Some((name, help)) if children.iter().any(|c| c == name) => help.to_string(),
            _ => trimmed,
        },
    };
    english_words(&rest)
}

/// Asserts that a help text or an error speaks `lang` only: in Chinese no English
/// sentence word and none of clap's English words, and some Chinese; in English no
/// Chinese character.
#[track_caller]
fn assert_speaks(lang: &str, what: &str, text: &str, path: &[String], children: &[String]) {
    match lang {
        "zh" => {
            for line in text.lines() {
                let words = help_english_words(line, path, children);
                assert!(
                    words.is_empty(),
                    "zh {what}: English words {words:?} in: {line}\n{text}"
                );
            }
            for english in CLAP_ENGLISH {
                assert!(
                    !text.contains(english),
                    "zh {what}: `{english}` in:\n{text}"
                );
            }
            assert!(
                text.chars().any(is_cjk),
                "zh {what}: nothing in Chinese:\n{text}"
            );
        }
        _ => {
            for line in text.lines() {
                assert!(!line.chars().any(is_cjk), "en {what}: Chinese in: {line}");
            }
        }
    }
}

#[test]
fn the_help_of_every_command_speaks_the_chosen_language() {
    let paths = command_paths();
    // The walk reached the leaves (`plan staffing`, `audit plan add`, …).
    assert!(paths.len() > 60, "{} command paths", paths.len());
    assert!(paths.contains(&vec!["audit".into(), "plan".into(), "add".into()]));
    for path in &paths {
        let children: Vec<String> = paths
            .iter()
            .filter(|p| p.len() == path.len() + 1 && p.starts_with(path))
            .filter_map(|p| p.last().cloned())
            .collect();
        for lang in ["zh", "en"] {
            for flag in ["--help", "-h"] {
                let mut args: Vec<&str> = vec!["--lang", lang];
                args.extend(path.iter().map(String::as_str));
                args.push(flag);
                let r = run(&args).code(0);
                assert!(r.stderr.is_empty(), "{args:?}: {}", r.stderr);
                assert_speaks(lang, &format!("{args:?}"), &r.stdout, path, &children);
            }
        }
    }
}

#[test]
fn the_help_speaks_chinese_by_default_with_clap_s_words_translated() {
    let zh = run(&["--help"]).code(0).stdout;
    assert_eq!(zh, run(&["--lang", "zh", "--help"]).code(0).stdout);
    assert_eq!(zh, run(&["--lang=zh", "--help"]).code(0).stdout);
    for part in [
        "用法：yardstick [OPTIONS] <COMMAND>",
        "命令：",
        "选项：",
        "  evaluate    计算一个周期的指标并评价站点",
        "  help        显示本帮助或指定子命令的帮助",
        "[环境变量：YARDSTICK_DATA_DIR",
        "[默认值：./yardstick-data]",
        "可选值：",
        "- zh: 中文（默认）",
        "-h, --help",
        "显示帮助（用 '-h' 查看摘要）",
        "-V, --version",
        "显示版本",
    ] {
        assert!(zh.contains(part), "`{part}` missing from:\n{zh}");
    }
    let short = run(&["ingest", "-h"]).code(0).stdout;
    for part in [
        "参数：",
        "<KIND>      记录类型：",
        "--lang <LANG>",
        "[默认值：zh] [可选值：zh, en]",
        "显示帮助（用 '--help' 查看详细说明）",
    ] {
        assert!(short.contains(part), "`{part}` missing from:\n{short}");
    }
    // The `help` subcommand and `--lang=…`; English keeps clap's own words.
    let en = run(&["--lang=en", "help", "plan", "site"]).code(0).stdout;
    assert!(en.starts_with("Forecast a site's demand"), "{en}");
    assert!(
        en.contains("Usage: yardstick plan site [OPTIONS] --week <YYYY-Www> <SITE>"),
        "{en}"
    );
    // `help` shows the long help: values listed, then the default on its own line.
    assert!(
        en.contains("Arguments:\n  <SITE>\n          Site id"),
        "{en}"
    );
    assert!(
        en.contains("Possible values:\n          - goal:  The goal (full achievement)"),
        "{en}"
    );
    assert!(en.contains("\n          [default: goal]\n"), "{en}");
    let short = run(&["--lang", "en", "plan", "site", "-h"]).code(0).stdout;
    assert!(
        short.contains("[default: goal] [possible values: goal, floor]"),
        "{short}"
    );
    let zh = run(&["help", "plan", "site"]).code(0).stdout;
    assert!(
        zh.contains("用法：yardstick plan site [OPTIONS] --week <YYYY-Www> <SITE>"),
        "{zh}"
    );
    assert!(zh.contains("做什么："), "{zh}");
    let version = run(&["--version"]).code(0).stdout;
    assert!(version.starts_with("yardstick "), "{version}");
}

#[test]
fn the_parser_s_refusals_speak_the_chosen_language_and_exit_2() {
    // (arguments, what the Chinese message says, what the English one says)
    let cases: [(&[&str], &[&str], &[&str]); 7] = [
        (
            &["ingest", "--nope", "hall_ticket", "x.csv"],
            &[
                "错误: 无法识别的参数 `--nope`",
                "提示：要把 `--nope` 作为值传入，请写成 `-- --nope`",
                "用法：yardstick ingest [OPTIONS] <KIND> <FILES>...",
            ],
            &[
                "error: unexpected argument '--nope' found",
                "tip: to pass '--nope' as a value, use '-- --nope'",
                "Usage: yardstick ingest [OPTIONS] <KIND> <FILES>...",
            ],
        ),
        (
            &["evaluate", "--period"],
            &["错误: `--period <PERIOD>` 需要一个值，但没有给出"],
            &["error: a value is required for '--period <PERIOD>' but none was supplied"],
        ),
        (
            &["evaluate", "--period", "2026-10", "--format", "xml"],
            &[
                "错误: `--format <FORMAT>` 的取值 `xml` 无效",
                "[可选值：table, json, csv]",
            ],
            &[
                "error: invalid value 'xml' for '--format <FORMAT>'",
                "[possible values: table, json, csv]",
            ],
        ),
        (
            &["evalute"],
            &[
                "错误: 无法识别的子命令 `evalute`",
                "提示：有几个相近的子命令：",
            ],
            &[
                "error: unrecognized subcommand 'evalute'",
                "tip: some similar subcommands exist: ",
            ],
        ),
        (
            &["plan", "staffing", "--aht-s", "180"],
            &["错误: 缺少以下必需的参数：\n  --arrivals-per-h <X>"],
            &["error: the following required arguments were not provided:\n  --arrivals-per-h <X>"],
        ),
        (
            &["evaluation", "show", "abc"],
            &["错误: `<ID>` 的取值 `abc` 无效：不是整数"],
            &["error: invalid value 'abc' for '<ID>': not a whole number"],
        ),
        (
            &[
                "plan",
                "staffing",
                "--arrivals-per-h",
                "200",
                "--aht-s",
                "180",
                "--shrinkage",
                "2",
            ],
            &["`--shrinkage <R>` 的取值 `2` 无效：shrinkage 必须是 [0, 1) 之间的小数"],
            &[
                "invalid value '2' for '--shrinkage <R>': shrinkage must be a decimal fraction in [0, 1)",
            ],
        ),
    ];
    for (args, zh, en) in cases {
        for (lang, parts) in [("zh", zh), ("en", en)] {
            let mut all = vec!["--lang", lang];
            all.extend_from_slice(args);
            let r = run(&all).code(2);
            assert!(r.stdout.is_empty(), "{all:?}: {}", r.stdout);
            common::assert_contains(&r.stderr, parts);
            let hint = if lang == "zh" {
                "更多信息请运行 `--help`。"
            } else {
                "For more information, try '--help'."
            };
            assert!(r.stderr.trim_end().ends_with(hint), "{all:?}: {}", r.stderr);
            let path: Vec<String> = args
                .iter()
                .take_while(|a| !a.starts_with('-'))
                .map(|a| (*a).to_string())
                .collect();
            assert_speaks(lang, &format!("{all:?}"), &r.stderr, &path, &[]);
        }
    }
    // Chinese without --lang.
    let r = run(&["evaluate", "--period", "2026-10", "--format", "xml"]).code(2);
    assert!(r.stderr.contains("的取值 `xml` 无效"), "{}", r.stderr);
}

#[test]
fn staffing_refusals_speak_the_chosen_language() {
    // (arguments, Chinese, English)
    let cases: [(&[&str], &str, &str); 3] = [
        (
            &["--arrivals-per-h", "200", "--aht-s", "-5"],
            "错误: 规划参数有误: aht_s 必须是有限的正数，实际为 -5",
            "aht_s must be a positive finite number, got -5",
        ),
        (
            &[
                "--arrivals-per-h",
                "200",
                "--aht-s",
                "180",
                "--sl-target",
                "1.5",
            ],
            "sl_target 必须在 (0, 1) 之间，实际为 1.5",
            "sl_target must be in (0, 1), got 1.5",
        ),
        (
            &[
                "--arrivals-per-h",
                "200",
                "--aht-s",
                "180",
                "--max-abandon",
                "0.05",
            ],
            "max_abandon 必须与 patience_s 一起给出（计算放弃需要耐心时长），实际为 0.05",
            "max_abandon must be given together with patience_s (abandonment needs a patience), got 0.05",
        ),
    ];
    for (args, zh, en) in cases {
        for (lang, part) in [("zh", zh), ("en", en)] {
            let mut all = vec!["--lang", lang, "plan", "staffing"];
            all.extend_from_slice(args);
            let r = run(&all).code(2);
            assert!(r.stderr.contains(part), "{all:?}: {}", r.stderr);
            assert_speaks(lang, &format!("{all:?}"), &r.stderr, &[], &[]);
        }
    }
}

#[test]
fn a_broken_organisation_file_is_reported_in_the_chosen_language() {
    let broken = r#"
[[node]]
id = "op"
level = "operator"
name_zh = "测试运营商"
name_en = "Test operator"

[[node]]
id = "op2"
level = "operator"
name_zh = "第二运营商"
name_en = "Second operator"

[[node]]
id = "gd"
parent = "nowhere"
level = "province"
name_zh = "广东"
name_en = "Guangdong"

[[site]]
id = "h1"
parent = "gd"
name_zh = "天河营业厅"
name_en = "Tianhe hall"
scene = "shop"
area = "urban"
tz = "Mars/Base"

[calendar.hall-std.weekly]
mon = ["08:00-12:00", "11:00-14:00"]
"#;
    let zh: &[&str] = &[
        "错误: 组织文件无效: ",
        "broken-org.toml:16:10: 节点 gd.parent: 未知的上级 `nowhere`",
        "站点 h1.parent: 上级 `gd` 是省；站点必须隶属于市",
        "站点 h1.scene: 未知场景 `shop`；应为以下之一：hall, call_centre, field_centre",
        "站点 h1.tz: 未知时区 `Mars/Base`；应为 IANA 时区名，如 Asia/Shanghai",
        "节点: 发现 2 个运营商；组织树必须有且只有一个根",
        "日历 hall-std: weekly.mon：营业时段 08:00-12:00 与 11:00-14:00 重叠",
        "broken-org.toml 中有 6 个错误",
    ];
    let en: &[&str] = &[
        "error: invalid organisation file: ",
        "broken-org.toml:16:10: node gd.parent: unknown parent `nowhere`",
        "site h1.parent: parent `gd` is a province; sites belong to a city",
        "site h1.scene: unknown scene `shop`; expected one of: hall, call_centre, field_centre",
        "site h1.tz: unknown time zone `Mars/Base`; expected an IANA name such as Asia/Shanghai",
        "node: 2 operators found; the tree must have exactly one root",
        "calendar hall-std: weekly.mon: opening intervals 08:00-12:00 and 11:00-14:00 overlap",
        "6 error(s) in ",
    ];
    let env = Env::empty();
    env.run(&["init"]).code(0);
    let file = env.write("broken-org.toml", broken);
    for (lang, parts) in [("zh", zh), ("en", en)] {
        let env = Env {
            tmp: tempfile::tempdir().expect("unused folder"),
            data: env.data.clone(),
            lang,
        };
        let r = env.run(&["org", "import", s(&file)]).code(2);
        common::assert_contains(&r.stderr, parts);
        assert_lines_speak(lang, "org import", &r.stderr);
    }
}

#[test]
fn a_file_the_import_cannot_read_is_reported_in_the_chosen_language() {
    let env = Env::with_org();
    let twice = env.write(
        "twice.csv",
        "site_id,ticket_id,service_type,issued_at,called_at,outcome,outcome\n",
    );
    for (lang, part) in [
        ("zh", "twice.csv：第 1 行：表头中 `outcome` 列出现了两次"),
        (
            "en",
            "twice.csv: line 1: column `outcome` appears twice in the header",
        ),
    ] {
        let env = Env {
            tmp: tempfile::tempdir().expect("unused folder"),
            data: env.data.clone(),
            lang,
        };
        let r = env.ingest("hall_ticket", &twice, &[]).code(2);
        let all = format!("{}\n{}", r.stdout, r.stderr);
        assert!(all.contains(part), "{lang}: {all}");
        assert_lines_speak(lang, "ingest", &all);
    }
}

/// Asserts that every line of `text` speaks `lang`: in Chinese no English sentence word,
/// in English no Chinese character.
#[track_caller]
fn assert_lines_speak(lang: &str, what: &str, text: &str) {
    for line in text.lines() {
        match lang {
            "zh" => {
                let words = english_words(line);
                assert!(
                    words.is_empty(),
                    "zh {what}: English words {words:?} in: {line}"
                );
            }
            _ => assert!(!line.chars().any(is_cjk), "en {what}: Chinese in: {line}"),
        }
    }
}

/// A guideline with nine mistakes of seven sorts. Line numbers count from `[guideline]`
/// on line 1.
const BROKEN_GUIDELINE: &str = r#"[guideline]
id = "broken"
version = "1"
name_zh = "有误的细则"
name_en = "Broken guideline"
colour = "red"

[scoring]
management_points = 500
results_points = 500
min_sample = 10

[[scoring.level]]
id = "L1"
name_zh = "初始级"
name_en = "Initial"
min_score = 0

[[dimension]]
id = "people"
name_zh = "人"
name_en = "People"
weight = 1

[[clause]]
id = "P1"
dimension = "peple"
scenes = ["hall"]
title_zh = "人员"
title_en = "Staff"

[[indicator]]
id = "W"
name_zh = "平均等候"
name_en = "Mean wait"
scenes = ["hall"]
kind = "hall_ticket"
clause = "P9"
filter = "caled_at IS NOT NULL"
measure = { type = "mean", value = "minutes_between(issued_at, called_at)" }
unit = "min"
direction = "lower_better"

[[indicator]]
id = "W"
name_zh = "等候分位"
name_en = "Wait percentile"
scenes = ["hall"]
kind = "hall_ticket"
measure = { type = "percentile", value = "minutes_between(issued_at, called_at) +" }
unit = "min"
direction = "down"

[[target]]
indicator = "BH-99"
floor = 1
goal = 2
"#;

#[test]
fn a_broken_guideline_file_is_reported_in_the_chosen_language() {
    // Line:column by hand: the unknown field `colour` at 6:1; the values of `dimension`
    // (27), `clause` (38), `filter` (39, its first character at column 11), `id` (45)
    // and `direction` (52) open after their `key = `; the missing `q` is reported at the
    // measure's `type` value (50:20) and the unfinished expression at its end (50:82);
    // the target's indicator at 55:13.
    let zh: &[&str] = &[
        "错误: 评价细则无效: ",
        "broken-guideline.toml:6:1: guideline: 未知字段 `colour`，应为以下之一：`id`, `version`, `name_zh`, `name_en`, `source`",
        "broken-guideline.toml:27:13: clause[0] (P1).dimension: 未知维度 `peple`；应为以下之一：people",
        "broken-guideline.toml:38:10: indicator[0] (W).clause: 未知条款 `P9`",
        "broken-guideline.toml:39:11: indicator[0] (W).filter: 记录类型 `hall_ticket` 没有字段 `caled_at`；可用的字段：site_id, ticket_id,",
        "（位于 `caled_at IS NOT NULL`）",
        "broken-guideline.toml:45:6: indicator[1] (W).id: 编号 `W` 重复",
        "broken-guideline.toml:50:20: indicator[1] (W).measure.q: 度量类型 `percentile` 需要 `q`（0 < q ≤ 1）",
        "broken-guideline.toml:50:82: indicator[1] (W).measure.value: 应为一个表达式，实际为表达式结尾（位于 `minutes_between(issued_at, called_at) +`）",
        "broken-guideline.toml:52:13: indicator[1] (W).direction: 未知方向 `down`；应为以下之一：higher_better, lower_better",
        "broken-guideline.toml:55:13: target[0] (BH-99).indicator: 未知指标 `BH-99`",
        "broken-guideline.toml 中有 9 个错误",
    ];
    let en: &[&str] = &[
        "error: invalid guideline: ",
        "broken-guideline.toml:6:1: guideline: unknown field `colour`, expected one of `id`, `version`, `name_zh`, `name_en`, `source`",
        "broken-guideline.toml:27:13: clause[0] (P1).dimension: unknown dimension `peple`; expected one of: people",
        "broken-guideline.toml:38:10: indicator[0] (W).clause: unknown clause `P9`",
        "broken-guideline.toml:39:11: indicator[0] (W).filter: unknown field `caled_at` of record kind `hall_ticket`; valid fields: site_id, ticket_id,",
        " (in `caled_at IS NOT NULL`)",
        "broken-guideline.toml:45:6: indicator[1] (W).id: duplicate id `W`",
        "broken-guideline.toml:50:20: indicator[1] (W).measure.q: measure type `percentile` needs `q` (0 < q ≤ 1)",
        "broken-guideline.toml:50:82: indicator[1] (W).measure.value: expected an expression, found end of input (in `minutes_between(issued_at, called_at) +`)",
        "broken-guideline.toml:52:13: indicator[1] (W).direction: unknown direction `down`; expected one of: higher_better, lower_better",
        "broken-guideline.toml:55:13: target[0] (BH-99).indicator: unknown indicator `BH-99`",
        "9 error(s) in ",
    ];
    let env = Env::with_org();
    let file = env.write("broken-guideline.toml", BROKEN_GUIDELINE);
    for (lang, parts) in [("zh", zh), ("en", en)] {
        let env = Env {
            tmp: tempfile::tempdir().expect("unused folder"),
            data: env.data.clone(),
            lang,
        };
        for args in [
            vec!["guideline", "validate", s(&file)],
            vec!["evaluate", "--period", "2026-10", "--guideline", s(&file)],
        ] {
            let r = env.run(&args).code(2);
            common::assert_contains(&r.stderr, parts);
            let all = format!("{}\n{}", r.stdout, r.stderr);
            assert_lines_speak(lang, &format!("{args:?}"), &all);
        }
    }
}

/// A mapping with sixteen mistakes: unknown keys and values, a zone and a format it
/// cannot read, a filter without its values, fields mapped wrongly or not at all, a
/// cycle, a kind that does not exist. Line numbers count from `[source]` on line 1.
const BROKEN_MAPPING: &str = r#"[source]
sheet = "Calls"
colour = "red"

[defaults]
zone = "Mars/Base"
format = "dd/mm/yyyy"

[[filter]]
name = "test call"
column = "type"

[[record]]
kind = "contact"
id_scope = "week"

[record.fields]
site_id = { value = "c1" }
contact_id = { column = "id", value = "x" }
outcome = { column = "result", map = { A = "answerd" } }
talk_s = { column = "talk", format = "%H" }
end_at = { from = "talk_s", plus = { field = "nope" } }
repeat_7d = { column = "x" }
colour = { column = "c" }
queue_entry_at = { column = "q", clock_change = "sometimes" }
answered_at = { from = "abandoned_at", plus = { field = "talk_s" } }
abandoned_at = { from = "answered_at", plus = { field = "talk_s" } }

[[record]]
kind = "parcel"
"#;

#[test]
fn a_broken_mapping_file_is_reported_in_the_chosen_language() {
    // Line:column by hand: a problem of a whole table at its header (9:1, 13:1), of a
    // key at the key (3:1, 22:1…26:1) or at its inline table (19:14), of a value at its
    // opening quote (6:8, 7:10, 15:12, 20:44, 21:38, 25:49, 30:8).
    let zh: &[&str] = &[
        "错误: 映射文件 ",
        "broken-map.toml:3:1: source: 未知字段 `colour`，应为 `encoding` 或 `sheet`",
        "broken-map.toml:6:8: defaults.zone: 未知时区 `Mars/Base`；应为 `site`、IANA 时区名（如 Asia/Shanghai）或时区偏移（如 +08:00）",
        "broken-map.toml:7:10: defaults.format: 未知时间格式 `dd/mm/yyyy`；应为 `%d/%m/%Y %H:%M:%S` 这样的模式，或以下之一：canonical, excel, epoch, epoch_ms",
        "broken-map.toml:9:1: filter[0]: `in = [...]` 与 `not_in = [...]` 须给出且只给出一个",
        "broken-map.toml:13:1: record[0] (contact).fields: `contact` 的必需字段 `channel` 没有映射",
        "broken-map.toml:15:12: record[0] (contact).id_scope: 未知的 id_scope 取值 `week`；应为以下之一：forever, day",
        "broken-map.toml:19:14: record[0] (contact).fields.contact_id: 须给出且只给出一个来源：`column`、`columns`、`value` 或 `from`（加 `plus`）",
        "broken-map.toml:20:44: record[0] (contact).fields.outcome.map.A: outcome 的取值 `answerd` 未知；应为以下之一：answered, abandoned, ivr_only, overflowed, callback",
        "broken-map.toml:21:38: record[0] (contact).fields.talk_s.format: `format` 只适用于时刻，而 `talk_s` 是数值",
        "broken-map.toml:22:1: record[0] (contact).fields.end_at.from: `talk_s` 是数值，不是时刻",
        "broken-map.toml:22:1: record[0] (contact).fields.end_at.plus: `nope` 不是本记录已映射的字段",
        "broken-map.toml:23:1: record[0] (contact).fields.repeat_7d: `repeat_7d` 由 Yardstick 推导得出，不能映射",
        "broken-map.toml:24:1: record[0] (contact).fields.colour: `contact` 没有字段 `colour`；应为以下之一：site_id, contact_id, channel,",
        "broken-map.toml:25:49: record[0] (contact).fields.queue_entry_at.clock_change: 未知的 clock_change 取值 `sometimes`；应为以下之一：refuse, earlier, later, shift_forward",
        "broken-map.toml:26:1: record[0] (contact).fields.answered_at: `answered_at` 由 `abandoned_at` 计算，而 `abandoned_at` 又由它计算：形成循环",
        "broken-map.toml:30:8: record[1].kind: 未知记录类型 `parcel`；应为以下之一：hall_ticket, contact, work_order,",
        "broken-map.toml 中有 16 个错误",
    ];
    let en: &[&str] = &[
        "error: the mapping ",
        "broken-map.toml:3:1: source: unknown field `colour`, expected `encoding` or `sheet`",
        "broken-map.toml:6:8: defaults.zone: unknown time zone `Mars/Base`; expected `site`, an IANA name such as Asia/Shanghai, or an offset such as +08:00",
        "broken-map.toml:7:10: defaults.format: unknown time format `dd/mm/yyyy`; expected a pattern such as `%d/%m/%Y %H:%M:%S`, or one of: canonical, excel, epoch, epoch_ms",
        "broken-map.toml:9:1: filter[0]: give exactly one of `in = [...]` or `not_in = [...]`",
        "broken-map.toml:13:1: record[0] (contact).fields: required field `channel` of `contact` is not mapped",
        "broken-map.toml:15:12: record[0] (contact).id_scope: unknown id_scope `week`; expected one of: forever, day",
        "broken-map.toml:19:14: record[0] (contact).fields.contact_id: give exactly one source: `column`, `columns`, `value` or `from` (with `plus`)",
        "broken-map.toml:20:44: record[0] (contact).fields.outcome.map.A: unknown value of outcome `answerd`; expected one of: answered, abandoned, ivr_only, overflowed, callback",
        "broken-map.toml:21:38: record[0] (contact).fields.talk_s.format: `format` applies to instants, and `talk_s` is a number",
        "broken-map.toml:22:1: record[0] (contact).fields.end_at.from: `talk_s` is a number, not an instant",
        "broken-map.toml:22:1: record[0] (contact).fields.end_at.plus: `nope` is not a mapped field of this record",
        "broken-map.toml:23:1: record[0] (contact).fields.repeat_7d: `repeat_7d` is derived by Yardstick and cannot be mapped",
        "broken-map.toml:24:1: record[0] (contact).fields.colour: unknown field of `contact` `colour`; expected one of: site_id, contact_id, channel,",
        "broken-map.toml:25:49: record[0] (contact).fields.queue_entry_at.clock_change: unknown clock_change `sometimes`; expected one of: refuse, earlier, later, shift_forward",
        "broken-map.toml:26:1: record[0] (contact).fields.answered_at: `answered_at` is computed from `abandoned_at`, which is computed from it: a cycle",
        "broken-map.toml:30:8: record[1].kind: unknown record kind `parcel`; expected one of: hall_ticket, contact, work_order,",
        "16 error(s) in ",
    ];
    let env = Env::with_org();
    let map = env.write("broken-map.toml", BROKEN_MAPPING);
    let calls = env.write("calls.csv", "id,type,result,talk,q\n");
    for (lang, parts) in [("zh", zh), ("en", en)] {
        let env = Env {
            tmp: tempfile::tempdir().expect("unused folder"),
            data: env.data.clone(),
            lang,
        };
        for args in [
            vec!["mapping", "check", s(&map), s(&calls)],
            vec!["ingest", "contact", s(&calls), "--mapping", s(&map)],
        ] {
            let r = env.run(&args).code(2);
            common::assert_contains(&r.stderr, parts);
            let all = format!("{}\n{}", r.stdout, r.stderr);
            assert_lines_speak(lang, &format!("{args:?}"), &all);
        }
    }
    // A mapping that loads but names a column the file does not have (`queued`, its
    // quote at 8:29).
    let fits_not = env.write(
        "fits-not.toml",
        "[[record]]\nkind = \"contact\"\n[record.fields]\nsite_id = { value = \"c1\" }\ncontact_id = { column = \"id\" }\nchannel = { value = \"voice\" }\noutcome = { column = \"result\" }\nqueue_entry_at = { column = \"queued\" }\n",
    );
    for (lang, parts) in [
        (
            "zh",
            [
                "calls.csv：映射中列出的列在文件中不存在：`queued` (",
                "fits-not.toml:8:29)；文件中的列有：id, type, result, talk, q",
            ],
        ),
        (
            "en",
            [
                "calls.csv: the mapping names column(s) the file does not have: `queued` (",
                "fits-not.toml:8:29); the file's columns: id, type, result, talk, q",
            ],
        ),
    ] {
        let env = Env {
            tmp: tempfile::tempdir().expect("unused folder"),
            data: env.data.clone(),
            lang,
        };
        let r = env
            .run(&["mapping", "check", s(&fits_not), s(&calls)])
            .code(2);
        common::assert_contains(&r.stderr, &parts);
        assert_lines_speak(lang, "mapping check", &r.stderr);
    }
    // Nothing was read, so nothing was stored.
    assert!(env.files_under("records").is_empty());
}
