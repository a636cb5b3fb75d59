//! `mapping check` and `ingest --mapping` from the command line: a foreign CSV tried and
//! imported through a mapping, both kinds of a two-kind mapping with `ingest all`, a
//! GB18030 file, and the errors of a bad mapping, in English and in Chinese. Expected
//! figures are worked out by hand in the comments.

mod common;

use common::{Env, assert_contains, s};

/// A contact export of the test organisation's call centre `c1`: `日期` + `时间` local
/// times at +08:00, outcomes in Chinese, `-` for no time, a satisfaction score that makes
/// a survey answer (0 = not rated), a test call to skip.
const MAP: &str = r#"
[defaults]
zone = "+08:00"
format = "%Y-%m-%d %H:%M:%S"

[[filter]]
name = "test call"
column = "类型"
in = ["测试"]

[[record]]
kind = "contact"

[record.fields]
site_id = { value = "c1" }
contact_id = { column = "流水号" }
channel = { value = "voice" }
queue_entry_at = { columns = ["日期", "进队"] }
answered_at = { columns = ["日期", "接通"], null = ["-"] }
abandoned_at = { columns = ["日期", "放弃"], null = ["-"] }
outcome = { column = "结果", map = { "已接通" = "answered", "放弃" = "abandoned" } }

[[record]]
kind = "survey"

[[record.filter]]
name = "not rated"
column = "满意度"
in = ["0"]

[record.fields]
site_id = { value = "c1" }
survey_id = { column = "流水号" }
scene = { value = "call_centre" }
linked_record = { column = "流水号" }
answered_at = { columns = ["日期", "进队"] }
csat = { column = "满意度" }
"#;

/// Line 2 answered, rated 5; line 3 abandoned, not rated; line 4 a test call (skipped
/// by both kinds); line 5 answered without an answer time (a quarantined contact), rated
/// 4; line 6 answered, rated 3.
const CSV: &str = "流水号,类型,日期,进队,接通,放弃,结果,满意度,坐席\n\
A1,普通,2026-10-08,9:00:00,9:00:20,-,已接通,5,王\n\
A2,普通,2026-10-08,9:01:00,-,9:01:40,放弃,0,\n\
A3,测试,2026-10-08,9:02:00,9:02:05,-,已接通,0,李\n\
A4,普通,2026-10-08,9:03:00,-,-,已接通,4,王\n\
A5,普通,2026-10-08,9:04:00,9:04:30,-,已接通,3,张\n";

#[test]
fn mapping_check_lists_records_unused_columns_and_problems() {
    let env = Env::with_org();
    let map = env.write("map.toml", MAP);
    let file = env.write("calls.csv", CSV);
    let r = env
        .run(&["mapping", "check", s(&map), s(&file), "--rows", "1"])
        .code(3);
    // contact: 5 read, A3 skipped, A4 would be quarantined, 3 valid. survey: A2 (0) and
    // A3 (test call) skipped, A1, A4, A5 valid.
    assert_contains(
        &r.stdout,
        &[
            "contact: read 5  valid 3  would be quarantined 1  skipped 1",
            "skipped: test call",
            "line 2",
            "contact_id = A1",
            // 9:00:20 at +08:00 is 01:00:20 UTC.
            "answered_at = 2026-10-08T01:00:20Z",
            "columns the mapping does not read: 满意度, 坐席",
            "line 5 (columns 日期, 接通, 结果): outcome `answered` needs answered_at",
            "survey: read 5  valid 3  would be quarantined 0  skipped 2",
            "1 rows would be quarantined",
        ],
    );
    // Nothing stored.
    assert!(env.files_under("records").is_empty());
}

#[test]
fn ingest_all_imports_each_kind_of_the_mapping_with_its_accounting() {
    let env = Env::with_org();
    let map = env.write("map.toml", MAP);
    let file = env.write("calls.csv", CSV);
    let r = env.ingest("all", &file, &["--mapping", s(&map)]).code(3);
    assert_contains(
        &r.stdout,
        &[
            // contact: 5 read = 3 stored + 1 quarantined + 1 skipped.
            "read 5  stored 3  quarantined 1  duplicates 0  skipped by the mapping's rules 1",
            "1  skipped: test call",
            "1  outcome `answered` needs answered_at",
            // survey: 5 read = 3 stored + 2 skipped.
            "read 5  stored 3  quarantined 0  duplicates 0  skipped by the mapping's rules 2",
            "1  skipped: not rated",
        ],
    );
    // The quarantine keeps the source line.
    let q = env
        .files_under("quarantine")
        .into_iter()
        .find(|f| f.contains("contact"))
        .expect("a contact quarantine file");
    let text = std::fs::read_to_string(env.data.join(q)).expect("reads");
    assert!(
        text.contains("A4,普通,2026-10-08,9:03:00,-,-,已接通,4,王"),
        "{text}"
    );
    // The same file through the same mapping again: already imported, both kinds.
    let again = env.ingest("all", &file, &["--mapping", s(&map)]).code(0);
    assert_eq!(
        again.stdout.matches("already imported as batch").count(),
        2,
        "{}",
        again.stdout
    );
}

#[test]
fn a_gb18030_file_is_read_and_its_encoding_reported_in_chinese() {
    let env = Env::with_org().lang("zh");
    let map = env.write("map.toml", MAP);
    let (gb, _, _) = encoding_rs::GB18030.encode(CSV);
    let file = env.write("calls.csv", &gb);
    let r = env
        .ingest("contact", &file, &["--mapping", s(&map)])
        .code(3);
    assert_contains(
        &r.stdout,
        &[
            "读取 5  存储 3  隔离 1  重复 0  按映射规则跳过 1",
            "编码：gb18030 (detected)",
            "映射未读取的列：满意度, 坐席",
        ],
    );
}

#[test]
fn a_bad_mapping_or_a_kind_it_does_not_make_is_refused_before_reading() {
    let env = Env::with_org();
    let file = env.write("calls.csv", CSV);
    // A field the kind does not have, and a map value that is no outcome.
    let bad = env.write(
        "bad.toml",
        "[[record]]\nkind = \"contact\"\n[record.fields]\nsite_id = { value = \"c1\" }\nnope = { column = \"x\" }\noutcome = { column = \"结果\", map = { \"已接通\" = \"picked_up\" } }\n",
    );
    let r = env
        .ingest("contact", &file, &["--mapping", s(&bad)])
        .code(2);
    assert_contains(
        &r.stderr,
        &["the mapping", "bad.toml:5:", "nope", "picked_up"],
    );
    let map = env.write("map.toml", MAP);
    let r = env
        .ingest("work_order", &file, &["--mapping", s(&map)])
        .code(2);
    assert_contains(
        &r.stderr,
        &["makes no `work_order` records; it makes: contact, survey"],
    );
    let r = env.ingest("all", &file, &[]).code(2);
    assert_contains(&r.stderr, &["`ingest all` needs --mapping"]);
    assert!(env.files_under("records").is_empty());
}
