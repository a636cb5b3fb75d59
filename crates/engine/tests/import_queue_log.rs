//! Asterisk `queue_log` into `contact` records: a hand-written log with an answered
//! call, an abandoned one, a call that overflows from one queue to another and is
//! transferred there, events without a measure, a call still in progress at the end, a
//! duplicate terminal event and a malformed line; every line accounted for. The
//! expected figures are worked out by hand below.
//!
//! 1760000000 s is 2025-10-09T08:53:20Z: 20370 days (2025-01-01 is day 20089 = 55 × 365
//! + 14 leap days; + 281 days is 9 October) and 32000 s (08:53:20).

#[path = "import_common.rs"]
mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{Env, assert_accounting, counts, quarantine};
use yardstick_core::records::RecordKind;
use yardstick_engine::import::{ImportOptions, QueueLogSpec, SourceSpec};

const LOG: &str = "\
1760000000|1760000000.1|support|NONE|ENTERQUEUE||13800000001|1
1760000005|1760000000.2|support|NONE|ENTERQUEUE||13800000002|2
1760000010|1760000000.1|support|SIP/101|CONNECT|10|1760000010.5|3
1760000012|1760000000.2|support|SIP/102|RINGNOANSWER|2000
1760000030|1760000000.2|support|NONE|ABANDON|1|2|25
1760000070|1760000000.1|support|SIP/101|COMPLETECALLER|10|60|1
1760000100|1760000000.3|support|NONE|ENTERQUEUE||13800000003|1
1760000130|1760000000.3|support|NONE|EXITWITHTIMEOUT|1|1|30
1760000131|1760000000.3|sales|NONE|ENTERQUEUE||13800000003|1
1760000140|1760000000.3|sales|SIP/201|CONNECT|9|x|2
1760000200|1760000000.3|sales|SIP/201|TRANSFER|8000|default|9|60|1
1760000300|NONE|NONE|SIP/101|PAUSE|lunch
1760000400|1760000000.4|support|NONE|ENTERQUEUE||13800000004|1
1760000500|1760000000.2|support|NONE|ABANDON|1|2|25
garbage line
";

fn spec(site: Option<&str>, queues: &[(&str, &str)]) -> SourceSpec {
    SourceSpec {
        queue_log: Some(Arc::new(QueueLogSpec {
            site: site.map(str::to_string),
            queues: queues
                .iter()
                .map(|(q, s)| ((*q).to_string(), (*s).to_string()))
                .collect::<BTreeMap<_, _>>(),
        })),
        ..SourceSpec::default()
    }
}

#[test]
fn a_queue_log_becomes_contacts_with_every_line_accounted_for() {
    let env = Env::new();
    let path = env.write("queue_log", LOG);
    let r = env
        .import_spec(
            RecordKind::Contact,
            &path,
            &spec(Some("c1"), &[]),
            ImportOptions::default(),
        )
        .expect("imports");
    assert_accounting(&r);
    // 15 lines. Contacts stored: .1 in support (lines 1, 3, 6: answered), .2 in support
    // (2, 5: abandoned), .3 in support (7, 8: overflowed on timeout), .3 in sales (9, 10,
    // 11: answered and transferred) = 4, from their terminal lines 6, 5, 8, 11.
    // Merged into them: lines 1, 3, 2, 7, 9, 10 = 6. No measure: RINGNOANSWER (4),
    // PAUSE (12). In progress: .4 (13). Quarantined: line 14 (.2 ends again) and
    // line 15 (malformed). 4 + 6 + 2 + 1 + 2 = 15.
    assert_eq!(
        (
            r.rows_read,
            r.rows_stored,
            r.rows_quarantined,
            r.rows_ignored
        ),
        (15, 4, 2, 9)
    );
    assert_eq!(
        r.ignored,
        counts(&[
            ("queue_log: event merged into its call's contact", 6),
            ("queue_log: RINGNOANSWER (no measure)", 1),
            ("queue_log: PAUSE (no measure)", 1),
            (
                "queue_log: call in progress at the end of the file (not stored)",
                1
            ),
        ])
    );
    let mut ids = env.stored_id_list(RecordKind::Contact);
    ids.sort();
    assert_eq!(
        ids,
        [
            "1760000000.1/support",
            "1760000000.2/support",
            "1760000000.3/sales",
            "1760000000.3/support"
        ]
    );
    let q = quarantine(&r);
    assert_eq!(q.iter().map(|x| x.line).collect::<Vec<_>>(), [14, 15]);
    assert!(q[0].reasons.contains("without an ENTERQUEUE"), "{q:?}");
    assert_eq!(q[1].original, "garbage line");
}

#[test]
fn a_queue_without_a_site_is_quarantined_naming_it() {
    let env = Env::new();
    let path = env.write("queue_log", LOG);
    let r = env
        .import_spec(
            RecordKind::Contact,
            &path,
            &spec(None, &[("support", "c1")]),
            ImportOptions::default(),
        )
        .expect("imports");
    assert_accounting(&r);
    // The sales contact (line 9's call) now has no site: 3 stored, 3 quarantined.
    assert_eq!((r.rows_stored, r.rows_quarantined), (3, 3));
    let q = quarantine(&r);
    let sales = q.iter().find(|x| x.line == 9).expect("the sales call");
    assert!(sales.reasons.contains("queue `sales`"), "{sales:?}");
    // Its original text is the call's three lines.
    assert_eq!(sales.original.lines().count(), 3);
}

#[test]
fn a_line_that_is_not_utf8_is_quarantined_not_the_file() {
    let env = Env::new();
    // Line 1 opens call .9, line 2 is Latin-1 (0xE9 alone is not UTF-8), line 3 closes
    // the call: 3 lines = 1 contact stored + line 1 merged + line 2 quarantined.
    let mut bytes = b"1760000000|9.9|support|NONE|ENTERQUEUE||1|1\n".to_vec();
    bytes.extend_from_slice(b"1760000001|NONE|NONE|SIP/1|PAUSE|caf\xe9\n");
    bytes.extend_from_slice(b"1760000060|9.9|support|NONE|ABANDON|1|1|60\n");
    let path = env.write("queue_log", &bytes);
    let r = env
        .import_spec(
            RecordKind::Contact,
            &path,
            &spec(Some("c1"), &[]),
            ImportOptions::default(),
        )
        .expect("imports");
    assert_accounting(&r);
    assert_eq!(
        (
            r.rows_read,
            r.rows_stored,
            r.rows_quarantined,
            r.rows_ignored
        ),
        (3, 1, 1, 1)
    );
    let q = quarantine(&r);
    assert_eq!(q[0].line, 2);
    assert!(q[0].reasons.contains("not UTF-8"), "{q:?}");
}
