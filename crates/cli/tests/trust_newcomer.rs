//! Issue 18, finding 10: what a newcomer stumbled on. An organisation file with several
//! mistakes reports them all at once; `docs/records.md` lists the rules across fields
//! that quarantine a row (each rule below is broken by a row, quarantined for it, and
//! found in the kind's section of the document); `ingest --help` points to the record
//! formats. (The README's commands have their own test, `trust_readme`.)

mod common;

use common::{Env, ORG, assert_contains, s};

/// The test organisation with four mistakes on the lines marked below.
fn org_with_mistakes() -> String {
    format!(
        "{ORG}
[[site]]
id = \"h7\"
parent = \"nowhere\"
name_zh = \"七厅\"
scene = \"hall\"
area = \"urban\"

[[site]]
id = \"h8\"
parent = \"gz\"
name_zh = \"八厅\"
scene = \"shop\"
area = \"urban\"

[[site]]
id = \"h9\"
parent = \"gz\"
name_zh = \"九厅\"
scene = \"hall\"
area = \"suburb\"
tz = \"Mars/Olympus\"
"
    )
}

#[test]
fn an_organisation_file_with_four_mistakes_reports_all_four_and_loads_nothing() {
    let env = Env::with_org();
    let text = org_with_mistakes();
    let file = env.write("bad-org.toml", &text);
    let r = env.run(&["org", "import", s(&file)]).code(2);
    // Line numbers counted in the file as written.
    let line = |needle: &str| {
        text[..text.find(needle).expect(needle)]
            .matches('\n')
            .count()
            + 1
    };
    for (needle, message) in [
        ("parent = \"nowhere\"", "unknown parent `nowhere`"),
        ("scene = \"shop\"", "unknown scene `shop`"),
        ("area = \"suburb\"", "unknown area class `suburb`"),
        ("tz = \"Mars/Olympus\"", "unknown time zone `Mars/Olympus`"),
    ] {
        assert_contains(
            &r.stderr,
            &[&format!("bad-org.toml:{}:", line(needle)), message],
        );
    }
    assert_contains(&r.stderr, &["4 error(s) in ", "bad-org.toml\n"]);
    // Nothing of it was loaded: the organisation is still the test one (4 sites, and
    // no h7, h8 or h9).
    let tickets = env.write(
        "t.csv",
        format!(
            "{}h9,T1,payment,2026-10-08 09:00:00,2026-10-08 09:05:00,served\n",
            common::TICKETS
        ),
    );
    let r = env.ingest("hall_ticket", &tickets, &[]).code(2);
    assert_contains(&r.stdout, &["unknown site"]);
}

/// The section of `docs/records.md` about one kind.
fn doc_section(kind: &str) -> String {
    let doc = include_str!("../../../docs/records.md");
    let start = doc
        .find(&format!("## `{kind}`"))
        .unwrap_or_else(|| panic!("no section for {kind}"));
    let rest = &doc[start + 3..];
    let end = rest.find("\n## ").map_or(rest.len(), |i| i);
    rest[..end].to_string()
}

#[test]
fn each_rule_that_quarantines_a_row_is_in_the_records_document() {
    let env = Env::with_org();
    // One file per kind, each row breaking one rule across fields: (kind, CSV, the
    // reason counted in the report, the rule as the document words it).
    let cases = [
        (
            "hall_ticket",
            "site_id,ticket_id,service_type,issued_at,outcome\n\
             h1,T1,payment,2026-10-08 09:00:00,served\n",
            "outcome `served` needs called_at",
            "`called_at` is set when `outcome` is `served`",
        ),
        (
            "contact",
            "site_id,contact_id,channel,queue_entry_at,answered_at,outcome\n\
             c1,K1,voice,2026-10-08 09:00:00,2026-10-08 08:59:00,answered\n",
            "time order: answered_at is before queue_entry_at",
            "`answered_at` is not before `queue_entry_at`",
        ),
        (
            "work_order",
            "site_id,order_id,kind,created_at,status\n\
             f1,W1,repair,2026-10-08 09:00:00,completed\n",
            "status `completed` needs completed_at",
            "`completed_at` is set when `status` is `completed`",
        ),
        (
            "survey",
            "site_id,survey_id,scene,answered_at,csat\n\
             h1,S1,hall,2026-10-08 09:00:00,7\n",
            "out of range: csat",
            "`csat` is between 1 and 5",
        ),
        (
            "agent_interval",
            "site_id,agent_id,interval_start,staffed_s,busy_s\n\
             c1,A1,2026-10-08 09:00:00,1800,1900\n",
            "busy_s exceeds staffed_s",
            "`busy_s` is at most `staffed_s`",
        ),
        (
            "complaint",
            "site_id,complaint_id,class,received_at,answered_at\n\
             h1,P1,billing,2026-10-08 09:00:00,2026-10-07 09:00:00\n",
            "time order: answered_at is before received_at",
            "`answered_at` is not before `received_at`",
        ),
        (
            "subscriber_base",
            "site_id,period_start,users\nh1,2026-10-01 00:00:00,-5\n",
            "out of range: users",
            "`users` is at least 0",
        ),
    ];
    for (kind, csv, reason, rule) in cases {
        let file = env.write(&format!("{kind}.csv"), csv);
        let r = env.ingest(kind, &file, &[]).code(2);
        assert_contains(&r.stdout, &[&format!("1  {reason}")]);
        let section = doc_section(kind);
        assert_contains(&section, &[rule, "from 2000-01-01"]);
    }
    // The general checks are there too: the site's scene, and duplicate ids.
    assert_contains(
        &doc_section("hall_ticket"),
        &[
            "that is a business hall (`hall`)",
            "`ticket_id` is not taken already at its site",
        ],
    );
}

#[test]
fn ingest_help_points_to_the_record_formats() {
    let out =
        common::run_cmd(common::yardstick().args(["--lang", "en", "ingest", "--help"])).code(0);
    assert_contains(
        &out.stdout,
        &[
            "docs/records.md",
            "the rules that quarantine a row",
            "hall_ticket, contact, work_order, complaint, survey, subscriber_base, agent_interval",
        ],
    );
    // Chinese by default, pointing to the same document.
    let out = common::run_cmd(common::yardstick().args(["ingest", "--help"])).code(0);
    assert_contains(
        &out.stdout,
        &[
            "docs/records.md",
            "行被隔离的规则",
            "hall_ticket、contact、work_order、complaint、survey、subscriber_base、agent_interval",
        ],
    );
}
