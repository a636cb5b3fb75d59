//! The mapping loader: a valid mapping's model, and every problem of a bad one reported
//! at once with its line and column.

use yardstick_core::mapping::{
    Addend, ClockChange, IdScope, Mapping, Source, TimeFormat, Unit, Zone,
};
use yardstick_core::records::RecordKind;

const GOOD: &str = r#"
[source]
encoding = "gb18030"

[defaults]
zone = "Asia/Shanghai"
null = ["NULL"]

[[filter]]
name = "test calls"
column = "类型"
in = ["测试"]

[[record]]
kind = "contact"
id_scope = "day"

[record.fields]
site_id = { value = "cc-1" }
contact_id = { columns = ["工号", "流水号"], join = "-" }
channel = { value = "voice" }
queue_entry_at = { columns = ["日期", "时间"], format = "%d/%m/%Y %H:%M:%S", clock_change = "later" }
answered_at = { from = "queue_entry_at", plus = { column = "等待", unit = "s", null = ["0"] } }
end_at = { from = "answered_at", plus = { field = "talk_s" } }
talk_s = { column = "通话时长", unit = "h:mm:ss", null = ["0:00:00"] }
outcome = { column = "结果", map = { "已接通" = "answered", "放弃*" = "abandoned", "*" = "" } }
abandoned_at = { column = "挂机", when = { column = "结果", not_in = ["已接通"] } }

[[record]]
kind = "survey"

[[record.filter]]
name = "no answer"
column = "满意度"
in = ["0", ""]

[record.fields]
site_id = { value = "cc-1" }
survey_id = { column = "流水号" }
scene = { value = "call_centre" }
answered_at = { columns = ["日期", "时间"], format = "%d/%m/%Y %H:%M:%S", zone = "+08:00" }
csat = { column = "满意度" }
"#;

#[test]
fn a_valid_mapping_loads_with_its_fields_in_dependency_order() {
    let m = Mapping::from_toml("m.toml", GOOD).expect("valid mapping");
    assert_eq!(m.encoding.as_deref(), Some("gb18030"));
    assert_eq!(m.kinds(), [RecordKind::Contact, RecordKind::Survey]);
    assert_eq!(m.filters.len(), 1);
    assert_eq!(m.filters[0].name, "test calls");
    assert!(m.filters[0].when.holds("测试"));
    assert!(!m.filters[0].when.holds("正常"));
    let c = m.record(RecordKind::Contact).expect("contact");
    assert_eq!(c.id_scope, IdScope::Day);
    // Every computed field comes after what it is computed from: answered_at after
    // queue_entry_at, end_at after answered_at and talk_s.
    let pos = |f: &str| c.fields.iter().position(|x| x.field == f).expect(f);
    assert!(pos("queue_entry_at") < pos("answered_at"));
    assert!(pos("answered_at") < pos("end_at"));
    assert!(pos("talk_s") < pos("end_at"));
    let q = c.field("queue_entry_at").expect("queue_entry_at");
    let t = q.time.as_ref().expect("a time");
    assert_eq!(t.format.label(), "%d/%m/%Y %H:%M:%S");
    assert_eq!(t.zone, Zone::Named(chrono_tz::Asia::Shanghai));
    assert_eq!(t.clock_change, ClockChange::Later);
    // Defaults' null markers come first, then the field's.
    let talk = c.field("talk_s").expect("talk_s");
    assert_eq!(talk.unit, Some(Unit::Clock));
    assert_eq!(talk.null, ["NULL", "0:00:00"]);
    match &c.field("answered_at").expect("answered_at").source {
        Source::Plus {
            from,
            plus: Addend::Column { column, unit, null },
        } => {
            assert_eq!(from, "queue_entry_at");
            assert_eq!(column.name, "等待");
            // `等待` is on line 23: the constant starts with an empty line, and
            // answered_at is the sixth line of [record.fields] (line 18).
            assert_eq!(column.loc.line, 23);
            assert_eq!(*unit, Unit::Seconds);
            assert_eq!(null, &["0"]);
        }
        other => panic!("answered_at from queue_entry_at expected, got {other:?}"),
    }
    // Exact keys win over patterns; `放弃*` matches what starts with 放弃; `*` the rest.
    let outcome = &c.field("outcome").expect("outcome").map;
    assert_eq!(outcome.get("已接通"), Some("answered"));
    assert_eq!(outcome.get("放弃-排队"), Some("abandoned"));
    assert_eq!(outcome.get("别的"), Some(""));
    let s = m.record(RecordKind::Survey).expect("survey");
    assert_eq!(s.filters[0].name, "no answer");
    assert_eq!(
        s.field("answered_at")
            .and_then(|f| f.time.as_ref())
            .map(|t| t.zone),
        Some(Zone::Fixed(8 * 3600))
    );
    assert!(matches!(
        s.field("answered_at")
            .and_then(|f| f.time.as_ref())
            .map(|t| &t.format),
        Some(TimeFormat::Pattern { .. })
    ));
}

#[test]
fn every_problem_is_reported_at_once_with_its_place() {
    let bad = r#"[source]
sheet = "Calls"

[defaults]
zone = "Mars/Base"

[[record]]
kind = "contact"
id_scope = "week"

[record.fields]
site_id = { value = "cc-1" }
contact_id = { column = "id", value = "x" }
outcome = { column = "r", map = { A = "answerd" } }
talk_s = { column = "t", format = "%H" }
end_at = { from = "talk_s", plus = { field = "nope" } }
repeat_7d = { column = "x" }
colour = { column = "c" }
queue_entry_at = { column = "q", clock_change = "sometimes" }

[[record]]
kind = "parcel"
"#;
    let err = Mapping::from_toml("bad.toml", bad).expect_err("invalid");
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().collect();
    // Expected, in file order (line:col counted by hand from the text above):
    let want = [
        "bad.toml:5:8: defaults.zone: unknown time zone `Mars/Base`",
        "bad.toml:7:1: record[0] (contact).fields: required field `channel` of `contact` is not mapped",
        "bad.toml:9:12: record[0] (contact).id_scope: unknown id_scope `week`; expected one of: forever, day",
        "bad.toml:13:14: record[0] (contact).fields.contact_id: give exactly one source",
        "bad.toml:14:39: record[0] (contact).fields.outcome.map.A: unknown value of outcome `answerd`",
        "bad.toml:15:35: record[0] (contact).fields.talk_s.format: `format` applies to instants, and `talk_s` is a number",
        "bad.toml:16:1: record[0] (contact).fields.end_at.from: `talk_s` is a number, not an instant",
        "bad.toml:16:1: record[0] (contact).fields.end_at.plus: `nope` is not a mapped field of this record",
        "bad.toml:17:1: record[0] (contact).fields.repeat_7d: `repeat_7d` is derived by Yardstick and cannot be mapped",
        "bad.toml:18:1: record[0] (contact).fields.colour: unknown field of `contact` `colour`",
        "bad.toml:19:49: record[0] (contact).fields.queue_entry_at.clock_change: unknown clock_change `sometimes`",
        "bad.toml:22:8: record[1].kind: unknown record kind `parcel`",
    ];
    for w in want {
        assert!(
            lines.iter().any(|l| l.starts_with(w)),
            "missing `{w}` in:\n{text}"
        );
    }
    assert_eq!(err.diagnostics.len(), want.len(), "{text}");
}

#[test]
fn a_cycle_of_computed_fields_and_a_second_record_of_a_kind_are_refused() {
    let src = r#"
[[record]]
kind = "survey"
[record.fields]
site_id = { value = "s" }
survey_id = { column = "id" }
scene = { value = "hall" }
answered_at = { value = "2026-10-08 09:00:00" }

[[record]]
kind = "contact"
[record.fields]
site_id = { value = "s" }
contact_id = { column = "id" }
channel = { value = "voice" }
outcome = { value = "answered" }
answered_at = { from = "end_at", plus = { field = "talk_s" } }
end_at = { from = "answered_at", plus = { field = "talk_s" } }
talk_s = { column = "t" }

[[record]]
kind = "survey"
[record.fields]
site_id = { value = "s" }
survey_id = { column = "id" }
scene = { value = "hall" }
answered_at = { value = "2026-10-08 09:00:00" }
"#;
    let err = Mapping::from_toml("c.toml", src).expect_err("invalid");
    let text = err.to_string();
    assert!(
        text.contains("which is computed from it: a cycle"),
        "{text}"
    );
    assert!(
        text.contains("c.toml:21:1: record[2]: a second record of kind `survey`"),
        "{text}"
    );
    // A mapping without records, and one that is not TOML.
    let none = Mapping::from_toml("n.toml", "[defaults]\n").expect_err("no record");
    assert!(none.to_string().contains("missing [[record]]"));
    let broken = Mapping::from_toml("b.toml", "[[record]\n").expect_err("not TOML");
    assert!(broken.to_string().starts_with("b.toml:1:"), "{broken}");
}
