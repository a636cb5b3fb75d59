//! End-to-end tests of `yardstick plan staffing`: the real binary, its JSON and table
//! output, batch files and exit codes (0 ok, 2 invalid input).

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn yardstick(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yardstick"))
        .args(["plan", "staffing"])
        .args(args)
        .output()
        .expect("the yardstick binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 errors")
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(json_text(args).trim()).expect("one JSON object")
}

fn json_text(args: &[&str]) -> String {
    let output = yardstick(&[args, &["--format", "json"]].concat());
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    stdout(&output)
}

fn number(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number: {value}"))
}

fn close(what: &str, actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual}, expected {expected} ± {tolerance}"
    );
}

/// A CSV file in the temporary directory, removed when dropped.
struct TempCsv(PathBuf);

impl TempCsv {
    fn new(name: &str, content: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("yardstick-{}-{name}.csv", std::process::id()));
        std::fs::write(&path, content).expect("temporary CSV written");
        Self(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp path")
    }
}

impl Drop for TempCsv {
    fn drop(&mut self) {
        // A leftover file in the temp directory is harmless, so failure is ignored.
        let _ = std::fs::remove_file(&self.0);
    }
}

const KEYS: [&str; 10] = [
    "traffic_erlangs",
    "agents",
    "agents_scheduled",
    "p_wait",
    "service_level",
    "asa_s",
    "occupancy",
    "p_abandon",
    "service_level_answered",
    "service_level_excl_early_abandons",
];

/// The pyworkforce 0.1.0 / R ErlangC documentation example: 100 calls per 30 min,
/// AHT 180 s, 80 % within 20 s, occupancy ≤ 85 %, shrinkage 30 % → 14 agents, 20
/// scheduled, service level 0.8883500191794669, waiting probability
/// 0.1741319335950498, ASA 7.83593701177724 s, occupancy 0.7142857142857143.
#[test]
fn json_search_reproduces_the_published_erlang_c_example() {
    let text = json_text(&[
        "--arrivals-per-h",
        "200",
        "--aht-s",
        "180",
        "--sl-target",
        "0.8",
        "--answer-within-s",
        "20",
        "--max-occupancy",
        "0.85",
        "--shrinkage",
        "0.3",
    ]);
    let v: Value = serde_json::from_str(text.trim()).expect("one JSON object");
    assert_eq!(v.as_object().expect("a JSON object").len(), KEYS.len());
    let positions: Vec<usize> = KEYS
        .iter()
        .map(|key| text.find(&format!("\"{key}\":")).expect("key present"))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "keys in the documented order: {text}"
    );
    close("traffic", number(&v, "traffic_erlangs"), 10.0, 1e-12);
    assert_eq!(v["agents"], 14);
    assert_eq!(v["agents_scheduled"], 20);
    close(
        "p_wait",
        number(&v, "p_wait"),
        0.174_131_933_595_049_8,
        1e-12,
    );
    close(
        "service level",
        number(&v, "service_level"),
        0.888_350_019_179_466_9,
        1e-12,
    );
    close("asa", number(&v, "asa_s"), 7.835_937_011_777_24, 1e-9);
    close(
        "occupancy",
        number(&v, "occupancy"),
        0.714_285_714_285_714_3,
        1e-15,
    );
    for key in [
        "p_abandon",
        "service_level_answered",
        "service_level_excl_early_abandons",
    ] {
        assert!(v[key].is_null(), "{key} is null without patience");
    }
}

#[test]
fn defaults_are_eighty_percent_within_twenty_seconds() {
    let v = json(&["--arrivals-per-h", "200", "--aht-s", "180"]);
    assert_eq!(v["agents"], 14);
    assert_eq!(v["agents_scheduled"], 14);
}

#[test]
fn evaluating_21_agents_at_30_percent_shrinkage_schedules_30() {
    // In floating point 21 / (1 − 0.3) = 30.000000000000004, whose ceiling is 31.
    let v = json(&[
        "--arrivals-per-h",
        "200",
        "--aht-s",
        "180",
        "--agents",
        "21",
        "--shrinkage",
        "0.3",
    ]);
    assert_eq!(v["agents"], 21);
    assert_eq!(v["agents_scheduled"], 30);
}

/// pyworkforce's Erlang A regression example (`test_abandonment.py`): patience 5 min,
/// 14 positions → waiting probability 0.14526, abandonment 0.013984, occupancy
/// 0.704297, service level 0.916792.
#[test]
fn json_with_patience_fills_the_abandonment_fields() {
    let v = json(&[
        "--arrivals-per-h",
        "200",
        "--aht-s",
        "180",
        "--patience-s",
        "300",
        "--agents",
        "14",
    ]);
    close("p_wait", number(&v, "p_wait"), 0.145_26, 5e-6);
    close("p_abandon", number(&v, "p_abandon"), 0.013_984, 5e-7);
    close("occupancy", number(&v, "occupancy"), 0.704_297, 5e-7);
    close(
        "service level",
        number(&v, "service_level"),
        0.916_792,
        5e-7,
    );
    let over_answered = number(&v, "service_level_answered");
    let excl_early = number(&v, "service_level_excl_early_abandons");
    // Removing abandoned contacts from the denominator can only raise the share.
    assert!(over_answered >= number(&v, "service_level") && over_answered <= 1.0);
    assert!(excl_early >= number(&v, "service_level") && excl_early <= over_answered);
}

#[test]
fn unstable_queue_reports_null_asa() {
    let v = json(&[
        "--arrivals-per-h",
        "200",
        "--aht-s",
        "180",
        "--agents",
        "10",
    ]);
    assert!(v["asa_s"].is_null());
    close("p_wait", number(&v, "p_wait"), 1.0, 0.0);
}

#[test]
fn table_is_chinese_by_default_and_english_on_request() {
    let zh = yardstick(&[
        "--arrivals-per-h",
        "200",
        "--aht-s",
        "180",
        "--shrinkage",
        "0.3",
    ]);
    assert_eq!(zh.status.code(), Some(0));
    let text = stdout(&zh);
    assert!(text.contains("所需坐席数"), "{text}");
    assert!(text.contains("88.84%") && text.contains("20"), "{text}");
    let en = yardstick(&["--arrivals-per-h", "200", "--aht-s", "180", "--lang", "en"]);
    let text = stdout(&en);
    assert!(
        text.contains("Agents needed") && text.contains("14"),
        "{text}"
    );
    // Two columns: every value starts at the same column (the labels are ASCII
    // apart from "≤", which is one column wide).
    let starts: Vec<usize> = text
        .lines()
        .map(|line| {
            let (label, _) = line.rsplit_once("  ").expect("label, gap, value");
            label.chars().count() + 2
        })
        .collect();
    assert!(starts.windows(2).all(|w| w[0] == w[1]), "{text}");
}

#[test]
fn invalid_input_exits_2_naming_the_input() {
    let cases: [(&[&str], &str); 7] = [
        (&["--arrivals-per-h", "200", "--aht-s", "0"], "aht_s"),
        (
            &["--arrivals-per-h", "-5", "--aht-s", "180"],
            "arrivals_per_h",
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
            "sl_target",
        ),
        (
            &[
                "--arrivals-per-h",
                "200",
                "--aht-s",
                "180",
                "--asa-target-s",
                "0",
            ],
            "asa_target_s",
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
            "max_abandon",
        ),
        (
            &[
                "--arrivals-per-h",
                "200",
                "--aht-s",
                "180",
                "--shrinkage",
                "1",
            ],
            "shrinkage",
        ),
        (
            &["--arrivals-per-h", "50000", "--aht-s", "180"],
            // Chinese by default, from the catalogue.
            "超过 2000 个坐席",
        ),
    ];
    for (args, needle) in cases {
        let output = yardstick(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(needle),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
    // Missing required flags and unparsable numbers are clap usage errors, also 2.
    assert_eq!(yardstick(&["--aht-s", "180"]).status.code(), Some(2));
    assert_eq!(
        yardstick(&["--arrivals-per-h", "x", "--aht-s", "180"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn batch_writes_one_line_per_row_in_order_and_exits_2_on_bad_rows() {
    let csv = TempCsv::new(
        "mixed",
        "arrivals_per_h,aht_s,answer_within_s,sl_target,shrinkage,patience_s,agents\n\
         200,180,20,0.8,0.3,,\n\
         200,0,20,0.8,,,\n\
         200,180,,,30%,300,14\n\
         200,180,,,0.3,,21\n",
    );
    let output = yardstick(&["--batch", csv.path()]);
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(&output));
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 4);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["row"], i + 1);
    }
    assert_eq!(lines[0]["agents"], 14);
    assert_eq!(lines[0]["agents_scheduled"], 20);
    assert!(lines[0]["p_abandon"].is_null());
    assert!(
        lines[1]["error"]
            .as_str()
            .expect("error text")
            .contains("aht_s")
    );
    assert_eq!(lines[2]["agents"], 14);
    assert_eq!(lines[2]["agents_scheduled"], 20);
    close("p_abandon", number(&lines[2], "p_abandon"), 0.013_984, 5e-7);
    assert_eq!(lines[3]["agents_scheduled"], 30);
    // "1 of 4 rows" in English; Chinese by default: "4 行中有 1 行无效".
    assert!(
        stderr(&output).contains("4 行中有 1 行无效"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn clean_batch_exits_0() {
    let csv = TempCsv::new("clean", "arrivals_per_h,aht_s\n200,180\n0,180\n");
    let output = yardstick(&["--batch", csv.path()]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["agents"], 14);
    // No contacts need no agents.
    assert_eq!(lines[1]["agents"], 0);
}

#[test]
fn batch_with_an_unknown_column_fails_before_any_output() {
    let csv = TempCsv::new("unknown", "arrivals_per_h,aht_s,sla\n200,180,0.8\n");
    let output = yardstick(&["--batch", csv.path()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    assert!(stderr(&output).contains("sla"), "{}", stderr(&output));
    let missing = yardstick(&["--batch", "/nonexistent/yardstick.csv"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn help_states_defaults_and_examples() {
    let output = yardstick(&["--help", "--lang", "en"]);
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    for needle in [
        "--sl-target 0.8",
        "--answer-within-s 20",
        "Examples:",
        "--batch",
        "Exit codes",
    ] {
        assert!(help.contains(needle), "help lacks {needle:?}");
    }
    // Chinese by default: the same sections from the catalogue.
    let output = yardstick(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    for needle in [
        "--sl-target 0.8",
        "--answer-within-s 20",
        "示例：",
        "批量 CSV：",
        "退出码：",
    ] {
        assert!(help.contains(needle), "help lacks {needle:?}:\n{help}");
    }
}
