//! `ingest contact FILE --format queue_log` from the command line: a short Asterisk log
//! with a queue map, its report in Chinese; the errors of a missing site and a wrong kind.

mod common;

use common::{Env, assert_contains, s};

/// Call .1 answered in `support` (lines 1, 2, 3), call .2 abandoned in `sales` (4, 5),
/// an agent's pause (6), call .3 still queued at the end (7).
const LOG: &str = "\
1760000000|1760000000.1|support|NONE|ENTERQUEUE||13800000001|1
1760000010|1760000000.1|support|SIP/101|CONNECT|10|1760000010.5|3
1760000070|1760000000.1|support|SIP/101|COMPLETEAGENT|10|60|1
1760000005|1760000000.2|sales|NONE|ENTERQUEUE||13800000002|1
1760000030|1760000000.2|sales|NONE|ABANDON|1|1|25
1760000300|NONE|NONE|SIP/101|PAUSE|lunch
1760000400|1760000000.3|support|NONE|ENTERQUEUE||13800000004|1
";

#[test]
fn a_queue_log_loads_with_one_command_and_a_queue_map() {
    let env = Env::with_org().lang("zh");
    let log = env.write("queue_log", LOG);
    let map = env.write(
        "queues.toml",
        "[queues]\nsupport = \"c1\"\nsales = \"c1\"\n",
    );
    let r = env
        .ingest(
            "contact",
            &log,
            &["--format", "queue_log", "--queue-map", s(&map)],
        )
        .code(0);
    // 7 lines: 2 contacts stored (terminal lines 3 and 5), lines 1, 2, 4 merged into
    // them, the pause without a measure, call .3 in progress: 2 + 3 + 1 + 1 = 7.
    assert_contains(
        &r.stdout,
        &[
            "读取 7  存储 2  隔离 0  重复 0  按映射规则跳过 5",
            "3  跳过：queue_log: event merged into its call's contact",
            "1  跳过：queue_log: PAUSE (no measure)",
            "1  跳过：queue_log: call in progress at the end of the file (not stored)",
        ],
    );
    // CC-02 (a service level, in %) drills into the waits in seconds: .1 waited 10 s
    // (entered at 0, connected at +10), .2 25 s (entered at +5, abandoned at +30).
    let d = env
        .run(&[
            "drill",
            "--period",
            "2025-10",
            "--site",
            "c1",
            "--indicator",
            "CC-02",
        ])
        .code(0);
    assert_contains(
        &d.stdout,
        &[
            "逐行值：`seconds_between(queue_entry_at, coalesce(answered_at, abandoned_at))`（单位 s）",
            "总体行数：2  有值行数：2",
        ],
    );
    let min = d
        .stdout
        .lines()
        .find(|l| l.contains("最小值"))
        .expect("min row");
    let max = d
        .stdout
        .lines()
        .find(|l| l.contains("最大值"))
        .expect("max row");
    assert!(min.contains("10"), "{min}");
    assert!(max.contains("25"), "{max}");
}

#[test]
fn a_queue_log_needs_sites_and_makes_contacts_only() {
    let env = Env::with_org();
    let log = env.write("queue_log", LOG);
    let r = env
        .ingest("contact", &log, &["--format", "queue_log"])
        .code(2);
    assert_contains(&r.stderr, &["need a site", "--site", "--queue-map"]);
    let r = env
        .ingest(
            "work_order",
            &log,
            &["--format", "queue_log", "--site", "c1"],
        )
        .code(2);
    assert_contains(&r.stderr, &["a queue_log makes contact records"]);
    let r = env.ingest("contact", &log, &["--format", "cdr"]).code(2);
    assert_contains(&r.stderr, &["unknown format `cdr`"]);
    assert!(env.files_under("records").is_empty());
}
