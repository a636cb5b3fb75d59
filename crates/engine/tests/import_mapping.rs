//! Field mappings end to end through the engine: the three example mappings shipped in
//! `examples/mappings/` over small synthetic files written here with each real export's
//! quirks (the real exports are not in the repository; `external_exports.rs` loads them
//! when asked), a GB18030 file with Chinese headers, and `check_mapping`.
//!
//! Every expected figure is worked out by hand in the comment above it.

#[path = "import_common.rs"]
mod common;

use std::sync::Arc;

use common::{Env, assert_accounting, counts, line_of, quarantine};
use yardstick_core::mapping::Mapping;
use yardstick_core::records::RecordKind;
use yardstick_engine::import::{
    ImportError, ImportOptions, ImportStatus, InstantWindow, SourceSpec, check_mapping,
};

const BANK_MAP: &str = include_str!("../../../examples/mappings/bank/mapping.toml");
const BANK_ORG: &str = include_str!("../../../examples/mappings/bank/org.toml");
const PWC_MAP: &str = include_str!("../../../examples/mappings/pwc/mapping.toml");
const PWC_ORG: &str = include_str!("../../../examples/mappings/pwc/org.toml");
const BALT_MAP: &str = include_str!("../../../examples/mappings/baltimore/mapping.toml");
const BALT_ORG: &str = include_str!("../../../examples/mappings/baltimore/org.toml");

fn spec(name: &str, text: &str) -> SourceSpec {
    SourceSpec {
        mapping: Some(Arc::new(
            Mapping::from_toml(name, text).expect("valid mapping"),
        )),
        ..SourceSpec::default()
    }
}

/// The bank export's quirks: times of day without a leading zero, `0:00:00` for "did not
/// happen", `call_id` repeated across `vru+line`s, PHANTOM calls, customer `0`, an IVR
/// exit before its entry, an answered call without a service start, a repeated line.
const BANK_CSV: &str = "\
vru+line,call_id,customer_id,priority,type,date,vru_entry,vru_exit,vru_time,q_start,q_exit,q_time,outcome,ser_start,ser_exit,ser_time,server
AA0204,43678,0,0,PS,2010-08-01,0:10:10,0:10:27,17,0:00:00,0:00:00,0,HANG,0:00:00,0:00:00,0,NO_SERVER
AA0101,40001,12345,2,PS,2010-08-01,9:00:01,9:00:11,10,9:00:11,9:01:05,54,AGENT,9:01:05,9:04:25,200,MICHAL
AA0102,40001,0,0,NW,2010-08-01,9:02:00,9:02:20,20,9:02:20,9:03:00,40,HANG,0:00:00,0:00:00,0,NO_SERVER
AA0103,40002,0,0,PS,2010-08-01,9:05:00,9:05:04,4,0:00:00,0:00:00,0,PHANTOM,0:00:00,0:00:00,0,NO_SERVER
AA0104,40003,0,0,PS,2010-08-01,10:00:30,10:00:10,-20,10:00:10,10:00:40,30,HANG,0:00:00,0:00:00,0,NO_SERVER
AA0105,40004,0,0,PS,2010-08-01,11:00:00,11:00:10,10,11:00:10,11:00:30,20,AGENT,0:00:00,0:00:00,0,MICHAL
AA0204,43678,0,0,PS,2010-08-01,0:10:10,0:10:27,17,0:00:00,0:00:00,0,HANG,0:00:00,0:00:00,0,NO_SERVER
";

#[test]
fn the_bank_export_loads_through_its_mapping() {
    let env = Env::with_org(BANK_ORG);
    let path = env.write("bank.csv", BANK_CSV);
    let r = env
        .import_spec(
            RecordKind::Contact,
            &path,
            &spec("bank.toml", BANK_MAP),
            ImportOptions::default(),
        )
        .expect("imports");
    assert_accounting(&r);
    // 7 data rows: line 5 PHANTOM skipped; lines 2, 3, 4 stored (3 and 4 share call_id
    // 40001 on two lines: two contacts); line 6 (IVR exit 10:00:10 before entry
    // 10:00:30), line 7 (answered, no service start) and line 8 (line 2 again: the same
    // id on the same day) quarantined.
    assert_eq!(r.status, ImportStatus::Committed);
    assert_eq!(
        (
            r.rows_read,
            r.rows_stored,
            r.rows_quarantined,
            r.rows_ignored
        ),
        (7, 3, 3, 1)
    );
    assert_eq!(r.rows_not_stored, 1);
    assert_eq!(r.ignored, counts(&[("phantom call (not a customer)", 1)]));
    // The ids are `vru+line/call_id@local day` (id_scope = "day").
    let mut ids = env.stored_id_list(RecordKind::Contact);
    ids.sort();
    assert_eq!(
        ids,
        [
            "AA0101/40001@2010-08-01",
            "AA0102/40001@2010-08-01",
            "AA0204/43678@2010-08-01"
        ]
    );
    // The quarantine keeps the user's lines as they are.
    let q = quarantine(&r);
    assert_eq!(q.iter().map(|x| x.line).collect::<Vec<_>>(), [6, 7, 8]);
    for row in &q {
        assert_eq!(row.original, line_of(&path, row.line));
    }
    assert!(q[1].reasons.contains("answered_at"), "{:?}", q[1]);
    // The columns the mapping does not read, in the file's order.
    assert_eq!(r.ignored_columns, ["priority", "vru_time", "q_time"]);
    // The same file through the same mapping again changes nothing.
    let again = env
        .import_spec(
            RecordKind::Contact,
            &path,
            &spec("bank.toml", BANK_MAP),
            ImportOptions::default(),
        )
        .expect("imports");
    assert!(matches!(again.status, ImportStatus::AlreadyImported(_)));
}

#[test]
fn mapping_check_shows_records_unused_columns_and_problems() {
    let env = Env::with_org(BANK_ORG);
    let path = env.write("bank.csv", BANK_CSV);
    let checks = check_mapping(
        &env.org,
        InstantWindow::default(),
        &path,
        &spec("bank.toml", BANK_MAP),
        None,
        2,
    )
    .expect("checked");
    assert_eq!(checks.len(), 1);
    let c = &checks[0];
    assert_eq!(c.kind, "contact");
    // Without the store there is no duplicate-id check: line 8 counts as valid here.
    assert_eq!((c.rows_read, c.rows_valid, c.rows_quarantined), (7, 4, 2));
    assert_eq!(c.unused_columns, ["priority", "vru_time", "q_time"]);
    let field = |s: &yardstick_engine::import::Sample, name: &str| {
        s.fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, v)| v.clone())
    };
    // Line 2: a HANG without a queue start is `ivr_only`; customer `0` and NO_SERVER are
    // no value; 0:10:10 in Israel on 1 August 2010 (summer time, UTC+3) is 21:10:10 UTC
    // the day before.
    let first = &c.sample[0];
    assert_eq!(first.origin, "line 2");
    assert_eq!(field(first, "outcome").as_deref(), Some("ivr_only"));
    assert_eq!(
        field(first, "ivr_entry_at").as_deref(),
        Some("2010-07-31T21:10:10Z")
    );
    // Fields without a value are not listed.
    assert_eq!(field(first, "customer_key"), None);
    assert_eq!(field(first, "agent_id"), None);
    // Line 3: answered at 9:01:05 (06:01:05 UTC), ended 9:04:25 (06:04:25 UTC), talk
    // 200 s, customer 12345, agent MICHAL.
    let second = &c.sample[1];
    assert_eq!(second.origin, "line 3");
    assert_eq!(field(second, "outcome").as_deref(), Some("answered"));
    assert_eq!(
        field(second, "answered_at").as_deref(),
        Some("2010-08-01T06:01:05Z")
    );
    assert_eq!(
        field(second, "end_at").as_deref(),
        Some("2010-08-01T06:04:25Z")
    );
    assert_eq!(field(second, "talk_s").as_deref(), Some("200"));
    assert_eq!(field(second, "customer_key").as_deref(), Some("12345"));
    // The problems: line 6 (IVR times) and line 7 (answered, no answer time), each with
    // the columns behind the fields it names.
    assert_eq!(
        c.problems
            .iter()
            .map(|p| p.origin.as_str())
            .collect::<Vec<_>>(),
        ["line 6", "line 7"]
    );
    assert!(
        c.problems[0].columns.iter().any(|x| x == "vru_exit"),
        "{:?}",
        c.problems[0]
    );
    assert!(
        c.problems[1].columns.iter().any(|x| x == "ser_start"),
        "{:?}",
        c.problems[1]
    );
    assert_eq!(c.ignored, counts(&[("phantom call (not a customer)", 1)]));
}

/// The PwC export's quirks: a byte-order mark, CRLF line ends, a stray `Column1` and two
/// unnamed trailing columns, day-first dates, times without a leading zero, waits in
/// seconds, talk times `h:mm:ss`, `0` for "not rated", no abandon time.
const PWC_CSV: &str = "\u{feff}Call Id,Agent,Date,Time,Topic,Answered (Y/N),Resolved,Speed of answer in seconds,AvgTalkDuration,Satisfaction rating,Column1,,\r\n\
ID0001,Diane,01/02/2021,9:12:58,Contract related,Y,Y,109,0:02:23,3,1,,\r\n\
ID0002,Becky,01/02/2021,9:13:10,Technical Support,N,N,,,0,1,,\r\n\
ID0003,Stewart,13/02/2021,17:05:00,Streaming,Y,N,10,1:02:11,5,1,,\r\n\
ID0004,Dan,31/02/2021,10:00:00,Streaming,Y,Y,5,0:01:00,4,1,,\r\n";

#[test]
fn the_pwc_export_makes_calls_and_survey_answers() {
    let env = Env::with_org(PWC_ORG);
    let path = env.write("pwc.csv", PWC_CSV);
    let sp = spec("pwc.toml", PWC_MAP);
    let calls = env
        .import_spec(RecordKind::Contact, &path, &sp, ImportOptions::default())
        .expect("contacts import");
    assert_accounting(&calls);
    // 4 calls: ID0001 and ID0003 stored; ID0002 (N: abandoned, no abandon time) and
    // ID0004 (31 February) quarantined.
    assert_eq!(
        (calls.rows_read, calls.rows_stored, calls.rows_quarantined),
        (4, 2, 2)
    );
    assert_eq!(
        quarantine(&calls)
            .iter()
            .map(|q| q.line)
            .collect::<Vec<_>>(),
        [3, 5]
    );
    // The columns no part of the contact record reads (the rating is the survey's).
    assert_eq!(calls.ignored_columns, ["Satisfaction rating", "Column1"]);
    let surveys = env
        .import_spec(RecordKind::Survey, &path, &sp, ImportOptions::default())
        .expect("surveys import");
    assert_accounting(&surveys);
    // 4 rows: ID0002 rated 0 (not rated) skipped; ID0001 (3) and ID0003 (5) stored;
    // ID0004 (31 February) quarantined.
    assert_eq!(
        (
            surveys.rows_read,
            surveys.rows_stored,
            surveys.rows_quarantined,
            surveys.rows_ignored
        ),
        (4, 2, 1, 1)
    );
    assert_eq!(surveys.ignored, counts(&[("not rated", 1)]));

    let checks = check_mapping(
        &env.org,
        InstantWindow::default(),
        &path,
        &sp,
        Some(RecordKind::Contact),
        5,
    )
    .expect("checked");
    let field = |i: usize, name: &str| {
        checks[0].sample[i]
            .fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    // ID0001: 1 February 2021 09:12:58 in London (GMT, UTC+0); answered 109 s later
    // (09:14:47); talk 0:02:23 = 143 s, so ended at 09:17:10.
    assert_eq!(field(0, "queue_entry_at"), "2021-02-01T09:12:58Z");
    assert_eq!(field(0, "answered_at"), "2021-02-01T09:14:47Z");
    assert_eq!(field(0, "talk_s"), "143");
    assert_eq!(field(0, "end_at"), "2021-02-01T09:17:10Z");
    assert_eq!(field(0, "resolved"), "true");
    // ID0003: 13 February 17:05:00 (day first), answered 17:05:10, talk 1:02:11 =
    // 3731 s, ended 18:07:21.
    assert_eq!(field(1, "queue_entry_at"), "2021-02-13T17:05:00Z");
    assert_eq!(field(1, "answered_at"), "2021-02-13T17:05:10Z");
    assert_eq!(field(1, "talk_s"), "3731");
    assert_eq!(field(1, "end_at"), "2021-02-13T18:07:21Z");
    assert_eq!(field(1, "resolved"), "false");
}

/// The Baltimore 311 export's quirks: 12-hour US times (12 AM is midnight), duplicate
/// requests, closed requests without a close date or closed before they were created, a
/// due date in the hour skipped on 11 March 2018, a quoted address with commas.
const BALT_CSV: &str = "\
SRRecordID,ServiceRequestNum,SRType,CreatedDate,SRStatus,DueDate,CloseDate,Agency,Address
18-1,18-00000001,TRT-Signal,04/12/2018 11:11:26 AM,Closed,04/13/2018 11:11:26 AM,04/12/2018 12:45:47 PM,Transportation,\"3400 GARRISON BLVD, BALTIMORE, MD\"
18-2,18-00000002,TRT-Signal,04/12/2018 11:15:00 AM,Closed (Duplicate),04/13/2018 11:15:00 AM,04/12/2018 12:00:00 PM,Transportation,x
18-3,18-00000003,SW-Dirty Alley,03/10/2018 02:30:00 AM,Open,03/11/2018 02:30:00 AM,,Solid Waste,y
18-4,18-00000004,SW-Dirty Alley,03/12/2018 09:00:00 AM,Closed,03/13/2018 09:00:00 AM,,Solid Waste,z
18-5,18-00000005,SW-Dirty Alley,05/01/2018 10:00:00 AM,Closed,05/02/2018 10:00:00 AM,04/30/2018 09:00:00 AM,Solid Waste,w
18-6,18-00000006,ECC-Lookup,12/01/2018 12:05:00 AM,Closed (Transferred),12/02/2018 12:05:00 AM,12/01/2018 12:30:00 PM,Call Center,v
";

#[test]
fn the_baltimore_export_loads_with_its_clock_change_policy() {
    let env = Env::with_org(BALT_ORG);
    let path = env.write("baltimore.csv", BALT_CSV);
    let sp = spec("baltimore.toml", BALT_MAP);
    let r = env
        .import_spec(RecordKind::WorkOrder, &path, &sp, ImportOptions::default())
        .expect("imports");
    assert_accounting(&r);
    // 6 rows: line 3 a duplicate (skipped); lines 2, 4, 7 stored; line 5 (closed, no
    // close date) and line 6 (closed a day before it was created) quarantined.
    assert_eq!(
        (
            r.rows_read,
            r.rows_stored,
            r.rows_quarantined,
            r.rows_ignored
        ),
        (6, 3, 2, 1)
    );
    assert_eq!(r.ignored, counts(&[("duplicate request", 1)]));
    assert_eq!(
        quarantine(&r).iter().map(|q| q.line).collect::<Vec<_>>(),
        [5, 6]
    );
    let checks =
        check_mapping(&env.org, InstantWindow::default(), &path, &sp, None, 5).expect("checked");
    let field = |i: usize, name: &str| {
        checks[0].sample[i]
            .fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    // Line 2: 11:11:26 AM EDT (UTC-4) = 15:11:26 UTC; closed 12:45:47 PM = 16:45:47 UTC.
    assert_eq!(field(0, "created_at"), "2018-04-12T15:11:26Z");
    assert_eq!(field(0, "completed_at"), "2018-04-12T16:45:47Z");
    assert_eq!(field(0, "status"), "completed");
    // Line 4: created 02:30 AM EST (UTC-5) = 07:30 UTC; due 02:30 AM on 11 March does
    // not exist (02:00 → 03:00 EDT at 07:00 UTC): shift_forward gives 07:00 UTC.
    assert_eq!(field(1, "created_at"), "2018-03-10T07:30:00Z");
    assert_eq!(field(1, "committed_by"), "2018-03-11T07:00:00Z");
    assert_eq!(field(1, "status"), "open");
    // Line 7: 12:05 AM is five past midnight EST = 05:05 UTC; transferred: cancelled.
    assert_eq!(field(2, "created_at"), "2018-12-01T05:05:00Z");
    assert_eq!(field(2, "status"), "cancelled");
    assert_eq!(
        checks[0].unused_columns,
        ["SRRecordID", "SRType", "Address"]
    );
}

/// A Chinese export: GB18030 bytes, Chinese headers, dates `2026年10月8日`, outcomes in
/// Chinese, `-` for "no time".
const CN_MAP: &str = r#"
[defaults]
zone = "+08:00"
format = "%Y年%m月%d日 %H:%M:%S"

[[record]]
kind = "contact"

[record.fields]
site_id = { value = "c1" }
contact_id = { column = "流水号" }
channel = { value = "voice" }
queue_entry_at = { columns = ["日期", "进队时间"] }
answered_at = { columns = ["日期", "接通时间"], null = ["-"] }
abandoned_at = { columns = ["日期", "放弃时间"], null = ["-"] }
outcome = { column = "结果", map = { "已接通" = "answered", "放弃" = "abandoned" } }
"#;

const CN_CSV: &str = "流水号,日期,进队时间,接通时间,放弃时间,结果,备注\n\
A001,2026年10月8日,9:00:00,9:00:30,-,已接通,好\n\
A002,2026年10月8日,9:01:00,-,9:02:15,放弃,\n\
A003,2026年10月8日,9:03:00,-,-,已接通,无接通时间\n";

fn gb18030(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

#[test]
fn a_gb18030_file_with_chinese_headers_is_detected_or_named() {
    // 日期 in GBK/GB18030 is C8D5 C6DA (the national standard's table), not UTF-8.
    assert_eq!(gb18030("日期"), [0xC8, 0xD5, 0xC6, 0xDA]);
    let env = Env::new();
    let path = env.write("cn.csv", gb18030(CN_CSV));
    assert!(std::str::from_utf8(&std::fs::read(&path).expect("reads")).is_err());
    let mut sp = spec("cn.toml", CN_MAP);
    // Detected: the three rows read; A001 and A002 stored, A003 (answered without an
    // answer time) quarantined.
    let checks =
        check_mapping(&env.org, InstantWindow::default(), &path, &sp, None, 5).expect("checked");
    let c = &checks[0];
    assert_eq!(c.encoding.as_deref(), Some("gb18030 (detected)"));
    assert_eq!((c.rows_read, c.rows_valid, c.rows_quarantined), (3, 2, 1));
    assert_eq!(c.unused_columns, ["备注"]);
    let field = |i: usize, name: &str| {
        c.sample[i]
            .fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    // 9:00:30 at +08:00 is 01:00:30 UTC; 9:02:15 is 01:02:15 UTC.
    assert_eq!(field(0, "answered_at"), "2026-10-08T01:00:30Z");
    assert_eq!(field(0, "outcome"), "answered");
    assert_eq!(field(1, "abandoned_at"), "2026-10-08T01:02:15Z");
    assert_eq!(field(1, "outcome"), "abandoned");
    assert_eq!(c.problems[0].origin, "line 4");
    // Named with --encoding (gbk reads as its superset GB18030), imported.
    sp.encoding = Some("gbk".into());
    let r = env
        .import_spec(RecordKind::Contact, &path, &sp, ImportOptions::default())
        .expect("imports");
    assert_accounting(&r);
    assert_eq!((r.rows_read, r.rows_stored, r.rows_quarantined), (3, 2, 1));
    assert_eq!(r.encoding.as_deref(), Some("gb18030"));
    // The quarantine keeps the original line, decoded to UTF-8.
    let q = quarantine(&r);
    assert_eq!(
        q[0].original,
        "A003,2026年10月8日,9:03:00,-,-,已接通,无接通时间"
    );
}

#[test]
fn a_mapping_naming_columns_the_file_lacks_names_them_all() {
    let env = Env::new();
    let path = env.write("cn.csv", "流水号,日期\nA001,2026年10月8日\n");
    let err = env
        .import_spec(
            RecordKind::Contact,
            &path,
            &spec("cn.toml", CN_MAP),
            ImportOptions::default(),
        )
        .expect_err("refused");
    let ImportError::Mapping { message, .. } = &err else {
        panic!("{err:?}")
    };
    let message = message.to_string();
    // 进队时间, 接通时间, 放弃时间 and 结果 are missing, each with its place in the
    // mapping (file:line:col).
    for col in ["进队时间", "接通时间", "放弃时间", "结果"] {
        assert!(message.contains(&format!("`{col}` (cn.toml:")), "{message}");
    }
    assert!(!message.contains("`流水号` ("), "{message}");
    // Nothing stored, no batch.
    assert_eq!(env.batches(), 0);
}
