//! `yardstick guideline validate | show | diff` run as a user would, exit codes included.

mod common;

use common::{run_cmd, yardstick as binary};

fn yardstick(args: &[&str]) -> (i32, String, String) {
    let r = run_cmd(binary().args(args));
    (r.code.unwrap_or(-1), r.stdout, r.stderr)
}

#[test]
fn the_default_validates_with_exit_0() {
    let (code, out, _) = yardstick(&["--lang", "en", "guideline", "validate"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("ok: yardstick-default"), "{out}");
    // Chinese by default: the same line from the catalogue.
    let (code, out, _) = yardstick(&["guideline", "validate"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("有效：yardstick-default"), "{out}");
}

#[test]
fn a_copy_with_three_mistakes_reports_all_three_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = yardstick_core::guideline::DEFAULT_TOML
        .replacen("kind = \"hall_ticket\"", "kind = \"hall_tickets\"", 1)
        .replacen(
            "unit = \"min\"\ndirection = \"lower_better\"",
            "unit = \"min\"\ndirection = \"lower\"",
            1,
        )
        .replacen("min_score = 300", "min_score = 200\nbogus = 1", 1);
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, &src).expect("write");
    let path = path.to_str().expect("utf-8 path");
    let (code, out, err) = yardstick(&["--lang", "en", "guideline", "validate", path]);
    assert_eq!(code, 2, "{out}{err}");
    let line = |needle: &str| {
        src[..src.find(needle).expect("present")]
            .matches('\n')
            .count()
            + 1
    };
    assert!(
        err.contains(&format!("bad.toml:{}:", line("kind = \"hall_tickets\""))),
        "{err}"
    );
    assert!(err.contains("unknown record kind `hall_tickets`"), "{err}");
    assert!(
        err.contains(&format!("bad.toml:{}:", line("direction = \"lower\""))),
        "{err}"
    );
    assert!(err.contains("unknown field `bogus`"), "{err}");
    assert!(err.contains("3 error(s)"), "{err}");
    // Chinese by default: the same problems at the same places.
    let (code, out, zh) = yardstick(&["guideline", "validate", path]);
    assert_eq!(code, 2, "{out}{zh}");
    // `bad.toml:LINE:COL` of every problem.
    let places = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.find("bad.toml:").map(|at| &l[at..]))
            .filter_map(|l| l.split_once(": ").map(|(at, _)| at.to_string()))
            .collect()
    };
    assert_eq!(places(&err).len(), 3, "{err}");
    assert_eq!(places(&zh), places(&err), "zh:\n{zh}\nen:\n{err}");
    assert!(
        zh.contains("未知记录类型 `hall_tickets`；应为以下之一："),
        "{zh}"
    );
    assert!(zh.contains("未知方向 `lower`"), "{zh}");
    assert!(zh.contains("未知字段 `bogus`"), "{zh}");
    assert!(zh.ends_with("bad.toml 中有 3 个错误\n"), "{zh}");
}

#[test]
fn show_prints_tables_in_both_languages() {
    let (code, zh, _) = yardstick(&["guideline", "show"]);
    assert_eq!(code, 0);
    assert!(
        zh.contains("## 指标") && zh.contains("平均等候时长"),
        "{zh}"
    );
    let (code, en, _) = yardstick(&["--lang", "en", "guideline", "show"]);
    assert_eq!(code, 0);
    assert!(
        en.contains("## Indicators") && en.contains("Average waiting time"),
        "{en}"
    );
}

#[test]
fn diff_of_identical_files_says_so_and_a_missing_file_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.toml");
    std::fs::write(&a, yardstick_core::guideline::DEFAULT_TOML).expect("write");
    let a = a.to_str().expect("utf-8");
    let (code, out, _) = yardstick(&["--lang", "en", "guideline", "diff", a, a]);
    assert_eq!((code, out.trim()), (0, "no differences"));
    let (code, out, _) = yardstick(&["guideline", "diff", a, a]);
    assert_eq!((code, out.trim()), (0, "没有差异"));
    let (code, _, err) = yardstick(&[
        "--lang",
        "en",
        "guideline",
        "diff",
        a,
        "/nonexistent/b.toml",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read /nonexistent/b.toml"), "{err}");
    // The OS reason once, in words.
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}
