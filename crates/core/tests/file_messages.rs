//! Issue 18, "one language": what the guideline and mapping loaders (and the expression
//! checker under them) report about a bad file is a catalogue message, shown in Chinese
//! or English with its location kept as written; the English text is the `Display` one.

use std::collections::BTreeMap;

use yardstick_core::expr::{Type, compile};
use yardstick_core::guideline::{DEFAULT_TOML, load};
use yardstick_core::i18n;
use yardstick_core::mapping::Mapping;
use yardstick_core::records::RecordKind;
use yardstick_core::vocab::Lang;

/// 1-based line of the first occurrence of `needle` in `src`.
fn line_of(src: &str, needle: &str) -> usize {
    let at = src
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in the source"));
    src[..at].matches('\n').count() + 1
}

/// Every string literal of a source text that looks like a catalogue key of one of
/// `sections` (`"guideline_file.unknown_clause"`).
fn keys_in(src: &str, sections: &[&str]) -> Vec<String> {
    src.split('"')
        .skip(1)
        .step_by(2)
        .filter(|lit| {
            sections.iter().any(|s| {
                lit.strip_prefix(s)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|rest| !rest.is_empty())
            }) && lit
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._".contains(c))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn every_key_the_file_checks_use_is_in_the_catalogue() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![root.join("diag.rs")];
    for dir in ["guideline/load", "mapping", "expr"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("source folder") {
            files.push(entry.expect("entry").path());
        }
    }
    let sections = [
        "guideline_file",
        "mapping_file",
        "file_check",
        "expr",
        "diag",
    ];
    let mut keys = Vec::new();
    for f in &files {
        let src = std::fs::read_to_string(f).expect("source file");
        keys.extend(keys_in(&src, &sections));
    }
    // The scan finds the loaders' keys (there are well over a hundred).
    assert!(keys.len() > 150, "only {} keys found", keys.len());
    let missing: Vec<&String> = keys.iter().filter(|k| !i18n::has(k)).collect();
    assert!(missing.is_empty(), "not in the catalogue: {missing:?}");
    assert_eq!(
        keys_in(
            "x(\"expr.want\", \"expression\", \"Expr.x\", \"guideline_file.\")",
            &sections
        ),
        ["expr.want"]
    );
}

#[test]
fn a_guideline_s_problems_read_in_either_language() {
    let src = DEFAULT_TOML
        // An expression subtracting two timestamps (BH-01's filter).
        .replacen(
            "filter = \"called_at IS NOT NULL\"",
            "filter = \"called_at - issued_at > 5\"",
            1,
        )
        // A sample minimum that is text (the scoring's), a direction that does not exist
        // (BH-02's).
        .replacen("min_sample = 30\n", "min_sample = \"thirty\"\n", 1)
        .replacen("direction = \"higher_better\"", "direction = \"up\"", 1);
    let src = format!("{src}\n[[target]]\nindicator = \"BH-99\"\nfloor = 1\ngoal = 2\n");
    let err = load("bad.toml", &src).expect_err("four mistakes");
    assert_eq!(err.render(Lang::En), err.to_string());
    let (filter, sample, direction, target) = (
        line_of(&src, "filter = \"called_at - issued_at"),
        line_of(&src, "min_sample = \"thirty\""),
        line_of(&src, "direction = \"up\""),
        line_of(&src, "indicator = \"BH-99\""),
    );
    // The filter's value opens at column 10; `called_at` is its first character, so the
    // `-` problem (over both operands) is at column 11. A type error is at the value
    // (column 14 after `min_sample = `), an unknown name at its quote.
    let en = err.render(Lang::En);
    for line in [
        format!(
            "bad.toml:{filter}:11: indicator[0] (BH-01).filter: `-` needs numbers, found timestamp and timestamp; use seconds_between(a, b) or a sibling for the time between two timestamps (in `called_at - issued_at > 5`)"
        ),
        format!("bad.toml:{sample}:14: scoring: invalid type: string \"thirty\", expected i64"),
        format!(
            "bad.toml:{direction}:13: indicator[1] (BH-02).direction: unknown direction `up`; expected one of: higher_better, lower_better"
        ),
        format!("bad.toml:{target}:13: target[50] (BH-99).indicator: unknown indicator `BH-99`"),
    ] {
        assert!(en.lines().any(|l| l == line), "missing\n  {line}\nin\n{en}");
    }
    let zh = err.render(Lang::Zh);
    for line in [
        format!(
            "bad.toml:{filter}:11: indicator[0] (BH-01).filter: `-` 需要数值，实际为时间戳和时间戳；两个时间戳之间的时长请用 seconds_between(a, b) 或同类函数（位于 `called_at - issued_at > 5`）"
        ),
        format!("bad.toml:{sample}:14: scoring: 值的类型不对：实际为字符串 \"thirty\"，应为整数"),
        format!(
            "bad.toml:{direction}:13: indicator[1] (BH-02).direction: 未知方向 `up`；应为以下之一：higher_better, lower_better"
        ),
        format!("bad.toml:{target}:13: target[50] (BH-99).indicator: 未知指标 `BH-99`"),
    ] {
        assert!(zh.lines().any(|l| l == line), "missing\n  {line}\nin\n{zh}");
    }
    assert!(zh.ends_with("bad.toml 中有 4 个错误"), "{zh}");
}

#[test]
fn a_mapping_s_problems_read_in_either_language() {
    let src = r#"[source]
sheet = "Calls"
colour = "red"

[[record]]
kind = "contact"
id_scope = "week"

[record.fields]
site_id = { value = "c1" }
channel = { value = "voice" }
contact_id = { column = "id" }
outcome = { column = "r", map = { A = "answerd" } }
talk_s = { column = "t", format = "%H" }
answered_at = { from = "end_at", plus = { field = "talk_s" } }
end_at = { from = "answered_at", plus = { field = "talk_s" } }
"#;
    let err = Mapping::from_toml("bad.toml", src).expect_err("invalid");
    assert_eq!(err.render(Lang::En), err.to_string());
    // Columns counted by hand: `colour` starts line 3; `"week"` opens at column 12 of
    // line 7; `"answerd"` at column 39 of line 13; `format = ` ends at column 34 of
    // line 14; the cycle is found placing `answered_at` (line 15), whose `from` leads to
    // `end_at` (line 16), whose `from` leads back: it is reported at `end_at`'s key.
    let cases = [
        (
            "bad.toml:3:1: source: unknown field `colour`, expected `encoding` or `sheet`",
            "bad.toml:3:1: source: 未知字段 `colour`，应为 `encoding` 或 `sheet`",
        ),
        (
            "bad.toml:7:12: record[0] (contact).id_scope: unknown id_scope `week`; expected one of: forever, day",
            "bad.toml:7:12: record[0] (contact).id_scope: 未知的 id_scope 取值 `week`；应为以下之一：forever, day",
        ),
        (
            "bad.toml:13:39: record[0] (contact).fields.outcome.map.A: unknown value of outcome `answerd`; expected one of: answered, abandoned, ivr_only, overflowed, callback",
            "bad.toml:13:39: record[0] (contact).fields.outcome.map.A: outcome 的取值 `answerd` 未知；应为以下之一：answered, abandoned, ivr_only, overflowed, callback",
        ),
        (
            "bad.toml:14:35: record[0] (contact).fields.talk_s.format: `format` applies to instants, and `talk_s` is a number",
            "bad.toml:14:35: record[0] (contact).fields.talk_s.format: `format` 只适用于时刻，而 `talk_s` 是数值",
        ),
        (
            "bad.toml:16:1: record[0] (contact).fields.end_at: `end_at` is computed from `answered_at`, which is computed from it: a cycle",
            "bad.toml:16:1: record[0] (contact).fields.end_at: `end_at` 由 `answered_at` 计算，而 `answered_at` 又由它计算：形成循环",
        ),
    ];
    let (en, zh) = (err.render(Lang::En), err.render(Lang::Zh));
    for (e, z) in cases {
        assert!(en.lines().any(|l| l == e), "missing\n  {e}\nin\n{en}");
        assert!(zh.lines().any(|l| l == z), "missing\n  {z}\nin\n{zh}");
    }
    assert_eq!(err.diagnostics.len(), cases.len(), "{en}");
    // A time zone or format the mapping cannot use, and a file that is not TOML.
    let zone = Mapping::from_toml("z.toml", "[defaults]\nzone = \"+8\"\n[[record]]\n")
        .expect_err("invalid");
    assert!(
        zone.render(Lang::Zh)
            .contains("z.toml:2:8: defaults.zone: `+8` 不是时区偏移；请写成 +08:00 或 -05:00"),
        "{}",
        zone.render(Lang::Zh)
    );
    assert!(
        zone.to_string()
            .contains("defaults.zone: `+8` is not an offset; write it as +08:00 or -05:00"),
        "{zone}"
    );
    let twice = Mapping::from_toml(
        "t.toml",
        "[[record]]\nkind = \"contact\"\nkind = \"survey\"\n",
    )
    .expect_err("invalid");
    assert_eq!(
        twice.render(Lang::Zh),
        "t.toml:3:1: （文件）: TOML 格式错误：键重复\nt.toml 中有 1 个错误"
    );
    assert_eq!(
        twice.to_string(),
        "t.toml:3:1: (file): not valid TOML: duplicate key\n1 error(s) in t.toml"
    );
}

#[test]
fn an_expression_s_problems_read_in_either_language() {
    let params = BTreeMap::new();
    let problems = |src: &str| {
        compile(src, RecordKind::HallTicket, &params, Type::Bool).expect_err("not valid")
    };
    // One problem each: an unknown function, a value the field does not take, a
    // parameter that is not defined, a comparison with nothing on its right.
    let cases = [
        (
            "sqrt(2) > 1",
            "unknown function `sqrt`; allowed functions: seconds_between, minutes_between, hours_between, days_between, coalesce, abs, least, greatest",
            "未知函数 `sqrt`；可用的函数：seconds_between, minutes_between, hours_between, days_between, coalesce, abs, least, greatest",
        ),
        (
            "outcome = 'gone'",
            "'gone' is not a value of `outcome`; valid values: served, no_show, left, transferred",
            "'gone' 不是 `outcome` 的取值；可用的取值：served, no_show, left, transferred",
        ),
        (
            "call_count > $n",
            "unknown parameter `$n`; no parameters are defined",
            "未知参数 `$n`；没有定义任何参数",
        ),
        (
            "call_count >",
            "expected an expression, found end of input",
            "应为一个表达式，实际为表达式结尾",
        ),
        (
            "abs(call_count, 1) > 0",
            "`abs` takes 1 argument, found 2",
            "`abs` 需要 1 个参数，实际为 2 个",
        ),
    ];
    for (src, en, zh) in cases {
        let errors = problems(src);
        assert_eq!(errors.len(), 1, "{src}: {errors:?}");
        assert_eq!(errors[0].message, en, "{src}");
        assert_eq!(errors[0].msg.render(Lang::En), en, "{src}");
        assert_eq!(errors[0].msg.render(Lang::Zh), zh, "{src}");
    }
}
