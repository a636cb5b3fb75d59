//! `yardstick plan site --guideline FILE`: the plan's targets come from the given
//! guideline's `[planning]` rules, so a guideline that changes CC-02's threshold changes
//! the printed target; a bad guideline is refused with its located errors.
//!
//! The history is four weeks (2026-10-05 to 2026-11-01) of one call centre `cc1`: on
//! working days four voice contacts between 09:02 and 09:17, three answered after 10 s
//! (240 s talk, 60 s after-call work) and one abandoned after 60 s. Week 2026-W45 is
//! planned.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde_json::{Value, json};
use yardstick_core::guideline::DEFAULT_TOML;

const ORG: &str = r#"
[[node]]
id = "op"
level = "operator"
name_zh = "测试运营商"
name_en = "Test operator"

[[node]]
id = "gd"
parent = "op"
level = "province"
name_zh = "广东"

[[node]]
id = "gz"
parent = "gd"
level = "city"
name_zh = "广州"

[[site]]
id = "cc1"
parent = "gz"
name_zh = "测试呼叫中心"
name_en = "Test call centre"
scene = "call_centre"
area = "urban"
"#;

/// A data directory with the organisation and the contacts, removed at the end.
struct Data {
    tmp: tempfile::TempDir,
}

impl Data {
    fn new() -> Self {
        let data = Self {
            tmp: tempfile::tempdir().expect("temporary directory"),
        };
        let org = data.write("org.toml", ORG);
        let contacts = data.write("contacts.csv", &contacts_csv());
        data.ok(&["init"]);
        data.ok(&["org", "import", path(&org)]);
        data.ok(&["ingest", "contact", path(&contacts)]);
        data
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.tmp.path().join(name);
        std::fs::write(&p, text).expect("file written");
        p
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_yardstick"))
            .arg("--data-dir")
            .arg(self.tmp.path().join("data"))
            .args(args)
            .output()
            .expect("the yardstick binary runs")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}\nstdout: {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// `plan site cc1 --week 2026-W45` with more arguments, as JSON.
    fn plan(&self, more: &[&str]) -> Value {
        let args = [
            &[
                "plan", "site", "cc1", "--week", "2026-W45", "--format", "json",
            ],
            more,
        ]
        .concat();
        serde_json::from_str(&self.ok(&args)).expect("JSON")
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn contacts_csv() -> String {
    let mut out = String::from(
        "site_id,contact_id,channel,queue_entry_at,answered_at,abandoned_at,outcome,talk_s,acw_s\n",
    );
    let first: NaiveDate = "2026-10-05".parse().expect("valid date");
    let days = (0..28).map(|i| first + Days::new(i));
    for (d, day) in days.enumerate() {
        if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            continue;
        }
        for (i, minute) in [2, 7, 12].into_iter().enumerate() {
            out.push_str(&format!(
                "cc1,c{d}-{i},voice,{day} 09:{minute:02}:00,{day} 09:{minute:02}:10,,answered,240,60\n"
            ));
        }
        out.push_str(&format!(
            "cc1,c{d}-x,voice,{day} 09:17:00,,{day} 09:18:00,abandoned,,\n"
        ));
    }
    out
}

/// The built-in guideline answers within CC-02's threshold_s, 20 s. A guideline whose
/// CC-02 has threshold_s = 30 makes the plan answer within 30 s, says so in the table
/// ("answered within 30 s", "threshold from CC-02 threshold_s") and names the source in
/// the JSON; the service-level target (CC-02's goal, 90 % → 0.9) is unchanged.
#[test]
fn a_custom_cc02_threshold_changes_the_printed_target() {
    let data = Data::new();
    let built_in = data.plan(&[]);
    assert_eq!(built_in["queue"]["answer_within_s"], 20.0);

    let src = DEFAULT_TOML.replacen(
        "options = { threshold_s = 20,",
        "options = { threshold_s = 30,",
        1,
    );
    assert_ne!(src, DEFAULT_TOML);
    let file = data.write("cc02-30s.toml", &src);
    let custom = data.plan(&["--guideline", path(&file)]);
    let q = &custom["queue"];
    assert_eq!(q["answer_within_s"], 30.0);
    assert_eq!(
        q["answer_within_source"],
        json!({"guideline": {"indicator": "CC-02", "value": {"option": "threshold_s"}}})
    );
    assert_eq!(q["sl_target"], 0.9);
    assert_eq!(
        q["sl_source"],
        json!({"guideline": {"indicator": "CC-02", "value": "goal"}})
    );

    let table = data.ok(&[
        "--lang",
        "en",
        "plan",
        "site",
        "cc1",
        "--week",
        "2026-W45",
        "--guideline",
        path(&file),
    ]);
    for part in [
        "answered within 30 s (excl. abandons before 30 s) ≥ 90.00%",
        "(CC-02 goal; threshold from CC-02 threshold_s)",
    ] {
        assert!(table.contains(part), "missing {part:?} in\n{table}");
    }
}

/// A guideline whose `[planning]` names an option CC-02 does not have is refused before
/// any planning, with exit code 2 and the located error.
#[test]
fn a_bad_guideline_is_refused_with_its_location() {
    let data = Data::new();
    let src = DEFAULT_TOML.replacen(
        "threshold_option = \"threshold_s\"",
        "threshold_option = \"threshold\"",
        1,
    );
    let file = data.write("bad.toml", &src);
    let line = src[..src
        .find("threshold_option = \"threshold\"")
        .expect("edited")]
        .matches('\n')
        .count()
        + 1;
    for (lang, problem) in [
        (
            "en",
            "indicator `CC-02` has no option `threshold`; its options: ",
        ),
        ("zh", "指标 `CC-02` 没有选项 `threshold`；它的选项有："),
    ] {
        let out = data.run(&[
            "--lang",
            lang,
            "plan",
            "site",
            "cc1",
            "--week",
            "2026-W45",
            "--guideline",
            path(&file),
        ]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
        let stderr = text(&out.stderr);
        let located =
            format!("bad.toml:{line}:20: planning.call_centre.threshold_option: {problem}");
        assert!(
            stderr.contains(&located),
            "missing {located:?} in\n{stderr}"
        );
    }
}
