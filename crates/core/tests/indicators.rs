//! Every indicator of the built-in default guideline, derived from hand-built rows.
//!
//! Each case feeds a few rows (field maps, instants as epoch milliseconds) through the
//! reference row semantics (`guideline::in_stratum` and `guideline::observe`) into one
//! measure state, derives the value with `evaluate::indicator_value` and compares it
//! with a value and sample size worked out by hand in the comment next to the rows.
//! Every case includes rows the filter must exclude and NULL cases. Derived fields
//! (`revisit_7d`, `repeat_7d`, `repeat_30d`, `revisit_30d`, `elapsed_h`, `working_days`)
//! are set directly here: this file tests the indicator definitions; the engine's
//! derivation of those fields is tested in `crates/engine/tests/indicator_fixtures.rs`.
//!
//! `every_indicator_line_of_the_default_guideline_has_a_case` fails when an indicator
//! (or a record stratum named by a target) is added without a case here.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use yardstick_core::evaluate::indicator_value;
use yardstick_core::expr::Value;
use yardstick_core::guideline::{Guideline, Measure, default_guideline, in_stratum, observe};
use yardstick_core::measure::MeasureState;

/// One record as a field map, built fluently.
#[derive(Debug, Clone, Default)]
struct R(BTreeMap<String, Value>);

fn r() -> R {
    R::default()
}

/// 2026-03-02T09:00:00+08:00 (a Monday) in epoch milliseconds: time zero of every row.
fn t0_ms() -> i64 {
    chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00")
        .expect("valid instant")
        .timestamp_millis()
}

impl R {
    fn set(mut self, field: &str, v: Value) -> R {
        self.0.insert(field.to_owned(), v);
        self
    }
    /// A string or enum field.
    fn s(self, field: &str, v: &str) -> R {
        self.set(field, Value::from(v))
    }
    /// A number field.
    fn n(self, field: &str, v: f64) -> R {
        self.set(field, Value::Num(v))
    }
    /// A boolean field.
    fn b(self, field: &str, v: bool) -> R {
        self.set(field, Value::Bool(v))
    }
    /// An instant `secs` seconds after time zero.
    fn sec(self, field: &str, secs: i64) -> R {
        self.set(field, Value::Ts(t0_ms() + secs * 1_000))
    }
    /// An instant `m` minutes after time zero.
    fn min(self, field: &str, m: i64) -> R {
        self.sec(field, m * 60)
    }
    /// An instant `h` hours after time zero.
    fn hours(self, field: &str, h: i64) -> R {
        self.sec(field, h * 3_600)
    }
    /// An instant `d` days after time zero.
    fn days(self, field: &str, d: i64) -> R {
        self.sec(field, d * 86_400)
    }
}

/// One indicator line on a set of rows, with the hand-worked expectation.
struct Case {
    id: &'static str,
    /// Record stratum ("" = all records; `customer_class=vip` …).
    stratum: &'static str,
    rows: Vec<R>,
    /// Users of the subscriber base, for `rate_per` measures.
    users: Option<u64>,
    value: Option<f64>,
    sample: u64,
}

fn case(id: &'static str, rows: Vec<R>, value: f64, sample: u64) -> Case {
    Case {
        id,
        stratum: "",
        rows,
        users: None,
        value: Some(value),
        sample,
    }
}

fn guideline() -> Guideline {
    default_guideline().expect("the built-in default guideline loads")
}

/// Values agree within 1e-9 (relative, and absolute near zero); percentiles come from a
/// log histogram whose estimate is within 1 % of the exact quantile.
fn close(got: Option<f64>, want: Option<f64>, percentile: bool) -> bool {
    match (got, want) {
        (None, None) => true,
        (Some(g), Some(w)) => {
            let tol = if percentile { 0.01 } else { 1e-9 };
            (g - w).abs() <= tol * w.abs().max(1.0)
        }
        _ => false,
    }
}

fn show(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |x| format!("{x:.6}"))
}

/// Runs every case and fails with a table of (indicator, stratum, value, sample) when
/// any value or sample differs from the hand-worked one.
fn check(cases: &[Case]) {
    let g = guideline();
    let mut table = format!(
        "{:<3} {:<6} {:<24} {:>14} {:>14} {:>8} {:>8}\n",
        "", "line", "stratum", "value want", "value got", "n want", "n got"
    );
    let mut failures = 0;
    for c in cases {
        let ind = g
            .indicator(c.id)
            .unwrap_or_else(|| panic!("{} is not in the default guideline", c.id));
        let mut state = MeasureState::new();
        for row in &c.rows {
            if in_stratum(c.stratum, &row.0) {
                observe(ind, &row.0, &mut state).expect("row can be observed");
            }
        }
        let (value, sample, _) = indicator_value(ind, &state, c.users);
        let percentile = matches!(ind.measure, Measure::Percentile { .. });
        let ok = close(value, c.value, percentile) && sample == c.sample;
        if !ok {
            failures += 1;
        }
        writeln!(
            table,
            "{:<3} {:<6} {:<24} {:>14} {:>14} {:>8} {:>8}",
            if ok { "" } else { "✗" },
            c.id,
            c.stratum,
            show(c.value),
            show(value),
            c.sample,
            sample
        )
        .expect("write to a string");
    }
    assert!(failures == 0, "{failures} line(s) differ:\n{table}");
}

// ---------------------------------------------------------------------------------------
// Business hall (hall_ticket, survey)
// ---------------------------------------------------------------------------------------

fn hall_cases() -> Vec<Case> {
    // BH-01 mean wait, minutes from issued_at to called_at, over called tickets.
    //   t1 vip      issued 0, called 6   → 6
    //   t2 elderly  issued 0, called 20  → 20
    //   t3 vip      issued 10, called 14 → 4
    //   t4 (no class = ordinary) no_show, issued 0, called 10 → 10 (called, so in)
    //   t5 ordinary walked away at 30, never called → out (called_at NULL)
    //   all:     (6 + 20 + 4 + 10) ÷ 4 = 40 ÷ 4 = 10 min, sample 4
    //   vip:     (6 + 4) ÷ 2 = 5 min, sample 2 (the only stratum a BH-01 target names)
    let bh01 = || {
        vec![
            r().s("outcome", "served")
                .s("customer_class", "vip")
                .min("issued_at", 0)
                .min("called_at", 6),
            r().s("outcome", "served")
                .s("customer_class", "elderly")
                .min("issued_at", 0)
                .min("called_at", 20),
            r().s("outcome", "served")
                .s("customer_class", "vip")
                .min("issued_at", 10)
                .min("called_at", 14),
            r().s("outcome", "no_show")
                .min("issued_at", 0)
                .min("called_at", 10),
            r().s("outcome", "left")
                .s("customer_class", "ordinary")
                .min("issued_at", 0)
                .min("left_at", 30),
        ]
    };
    // BH-02 share called within T = 15 min ÷ (called + walk-aways after T).
    //   a served, called after 6 min     → in, within
    //   b served, called after 15 min    → in, within (≤ T)
    //   c served, called after 20 min    → in, late
    //   d no_show, called after 3 min    → in, within (it was called)
    //   e left after 10 min              → out: walk-away before T is neutral
    //   f left after 25 min              → in, not within
    //   g left, left_at unknown          → out: cannot be placed against T (filter NULL)
    //   3 (a, b, d) ÷ 5 (a, b, c, d, f) = 60 %, sample 5
    let bh02 = vec![
        r().s("outcome", "served")
            .min("issued_at", 0)
            .min("called_at", 6),
        r().s("outcome", "served")
            .min("issued_at", 0)
            .min("called_at", 15),
        r().s("outcome", "served")
            .min("issued_at", 0)
            .min("called_at", 20),
        r().s("outcome", "no_show")
            .min("issued_at", 0)
            .min("called_at", 3),
        r().s("outcome", "left")
            .min("issued_at", 0)
            .min("left_at", 10),
        r().s("outcome", "left")
            .min("issued_at", 0)
            .min("left_at", 25),
        r().s("outcome", "left").min("issued_at", 0),
    ];
    // BH-03 mean transaction time, minutes from called_at to service_end_at.
    //   served      called 10, ended 18 → 8
    //   transferred called 0, ended 3   → 3
    //   served      called 5, ended 12  → 7
    //   served      called 2, no end    → out
    //   no_show     called 0, "ended" 5 → out (outcome)
    //   (8 + 3 + 7) ÷ 3 = 6 min, sample 3
    let bh03 = vec![
        r().s("outcome", "served")
            .min("called_at", 10)
            .min("service_end_at", 18),
        r().s("outcome", "transferred")
            .min("called_at", 0)
            .min("service_end_at", 3),
        r().s("outcome", "served")
            .min("called_at", 5)
            .min("service_end_at", 12),
        r().s("outcome", "served").min("called_at", 2),
        r().s("outcome", "no_show")
            .min("called_at", 0)
            .min("service_end_at", 5),
    ];
    // BH-04 (no_show + left) ÷ all tickets: served, served, transferred, no_show, left
    //   → 2 ÷ 5 = 40 %, sample 5 (no filter: every ticket is in the population)
    let bh04 = ["served", "served", "transferred", "no_show", "left"]
        .iter()
        .map(|o| r().s("outcome", o).min("issued_at", 0))
        .collect();
    // BH-05 share of changes effective within 24 h of settlement.
    //   settled 0 → done 1 h      within
    //   settled 0 → done 24 h     within (≤ 24)
    //   settled 0 → done 30 h     not
    //   settled 0 → done 30 min   within
    //   settled, not done         → out
    //   an ordinary payment ticket (neither) → out
    //   3 ÷ 4 = 75 %, sample 4
    let bh05 = vec![
        r().hours("settled_at", 0).hours("done_at", 1),
        r().hours("settled_at", 0).hours("done_at", 24),
        r().hours("settled_at", 0).hours("done_at", 30),
        r().hours("settled_at", 0).min("done_at", 30),
        r().hours("settled_at", 0),
        r().s("outcome", "served").s("service_type", "payment"),
    ];
    // BH-06 served transactions later found wrong, in ‰.
    //   served error TRUE; served FALSE; served error unknown (NULL: in, not an error);
    //   served FALSE; left with error TRUE → out (not served)
    //   1 ÷ 4 = 0.25 → 250 ‰, sample 4
    let bh06 = vec![
        r().s("outcome", "served").b("error_found", true),
        r().s("outcome", "served").b("error_found", false),
        r().s("outcome", "served"),
        r().s("outcome", "served").b("error_found", false),
        r().s("outcome", "left").b("error_found", true),
    ];
    // BH-07 served tickets with keys and no revisit within 7 days.
    //   served k1/q1 revisit TRUE  → not completed in one visit
    //   served k2/q2 revisit FALSE → one visit
    //   served k3/q3 revisit NULL  → one visit (no revisit seen)
    //   served k4/q4 revisit FALSE → one visit
    //   served without customer key (revisit TRUE) → out: cannot be followed
    //   served without request key → out
    //   left k5/q5 → out (not served)
    //   3 ÷ 4 = 75 %, sample 4
    let keyed = |k: &str| r().s("customer_key", k).s("request_key", k);
    let bh07 = vec![
        keyed("k1").s("outcome", "served").b("revisit_7d", true),
        keyed("k2").s("outcome", "served").b("revisit_7d", false),
        keyed("k3").s("outcome", "served"),
        keyed("k4").s("outcome", "served").b("revisit_7d", false),
        r().s("outcome", "served")
            .s("request_key", "q")
            .b("revisit_7d", true),
        r().s("outcome", "served").s("customer_key", "k6"),
        keyed("k5").s("outcome", "left"),
    ];
    // BH-12 hall surveys, top-2-box: csat 5, 4, 3, 1 → 2 ÷ 4 = 50 %, sample 4;
    //   a hall survey without csat and a field-centre csat 5 are out.
    let bh12 = vec![
        r().s("scene", "hall").n("csat", 5.0),
        r().s("scene", "hall").n("csat", 4.0),
        r().s("scene", "hall").n("csat", 3.0),
        r().s("scene", "hall").n("csat", 1.0),
        r().s("scene", "hall"),
        r().s("scene", "field_centre").n("csat", 5.0),
    ];
    vec![
        case("BH-01", bh01(), 10.0, 4),
        Case {
            stratum: "customer_class=vip",
            ..case("BH-01", bh01(), 5.0, 2)
        },
        case("BH-02", bh02, 60.0, 5),
        case("BH-03", bh03, 6.0, 3),
        case("BH-04", bh04, 40.0, 5),
        case("BH-05", bh05, 75.0, 4),
        case("BH-06", bh06, 250.0, 4),
        case("BH-07", bh07, 75.0, 4),
        case("BH-12", bh12, 50.0, 4),
    ]
}

// ---------------------------------------------------------------------------------------
// Call centre (contact, agent_interval)
// ---------------------------------------------------------------------------------------

fn voice(outcome: &str) -> R {
    r().s("channel", "voice").s("outcome", outcome)
}

fn chat(outcome: &str) -> R {
    r().s("channel", "chat").s("outcome", outcome)
}

fn call_centre_cases() -> Vec<Case> {
    // CC-01 and CC-04 share one population: voice contacts queued for an agent, minus
    // IVR-only, overflowed and short abandons (< 5 s). Queue entry at 0 s.
    //   c1 answered at 10 s              → in, answered
    //   c2 answered at 30 s              → in, answered
    //   c3 callback                      → in, answered (a queued callback counts)
    //   c4 abandoned at 3 s              → out: short abandon
    //   c5 abandoned at 5 s              → in (≥ 5 s), abandoned
    //   c6 abandoned at 40 s             → in, abandoned
    //   c7 ivr_only, never queued        → out
    //   c8 overflowed                    → out (counted where it was received)
    //   c9 chat answered                 → out: not voice
    //   c10 abandoned, abandon time unknown → out: the short-abandon test is NULL
    //   CC-01: 3 (c1, c2, c3) ÷ 5 (c1, c2, c3, c5, c6) = 60 %, sample 5
    //   CC-04: 2 (c5, c6) ÷ 5 = 40 %, sample 5
    let queued = || {
        vec![
            voice("answered")
                .sec("queue_entry_at", 0)
                .sec("answered_at", 10),
            voice("answered")
                .sec("queue_entry_at", 0)
                .sec("answered_at", 30),
            voice("callback").sec("queue_entry_at", 0),
            voice("abandoned")
                .sec("queue_entry_at", 0)
                .sec("abandoned_at", 3),
            voice("abandoned")
                .sec("queue_entry_at", 0)
                .sec("abandoned_at", 5),
            voice("abandoned")
                .sec("queue_entry_at", 0)
                .sec("abandoned_at", 40),
            voice("ivr_only").sec("ivr_entry_at", 0),
            voice("overflowed").sec("queue_entry_at", 0),
            chat("answered")
                .sec("queue_entry_at", 0)
                .sec("answered_at", 10),
            voice("abandoned").sec("queue_entry_at", 0),
        ]
    };
    // CC-02 service level, formula 4: answered ≤ 20 s ÷ (answered + abandoned after 20 s).
    //   answered after 10 s              → answered within T
    //   answered after 20 s              → answered within T (≤ T)
    //   answered after 21 s              → answered after T
    //   answered, queue entry unknown    → left out: no wait known (as CC-01, CC-03, CC-04)
    //   abandoned after 3 s              → short abandon: neutral
    //   abandoned after 15 s             → abandoned within T: neutral
    //   abandoned after 45 s             → abandoned after T: counts against
    //   ivr_only                         → IVR-contained: not offered
    //   callback                         → neither answered nor abandoned: not counted
    //   chat answered after 5 s          → out: not voice
    //   2 ÷ (3 answered + 1 abandoned after T) = 2 ÷ 4 = 50 %, sample 4
    let cc02 = vec![
        voice("answered")
            .sec("queue_entry_at", 0)
            .sec("answered_at", 10),
        voice("answered")
            .sec("queue_entry_at", 0)
            .sec("answered_at", 20),
        voice("answered")
            .sec("queue_entry_at", 0)
            .sec("answered_at", 21),
        voice("answered").sec("answered_at", 5),
        voice("abandoned")
            .sec("queue_entry_at", 0)
            .sec("abandoned_at", 3),
        voice("abandoned")
            .sec("queue_entry_at", 0)
            .sec("abandoned_at", 15),
        voice("abandoned")
            .sec("queue_entry_at", 0)
            .sec("abandoned_at", 45),
        voice("ivr_only").sec("ivr_entry_at", 0),
        voice("callback").sec("queue_entry_at", 0),
        chat("answered")
            .sec("queue_entry_at", 0)
            .sec("answered_at", 5),
    ];
    // CC-03 mean speed of answer, seconds from queue entry to answer, answered voice.
    //   waits 10, 20, 30 s → (10 + 20 + 30) ÷ 3 = 20 s, sample 3
    //   out: answered without queue entry; abandoned after 40 s; chat answered after 90 s
    let cc03 = vec![
        voice("answered")
            .sec("queue_entry_at", 0)
            .sec("answered_at", 10),
        voice("answered")
            .sec("queue_entry_at", 0)
            .sec("answered_at", 20),
        voice("answered")
            .sec("queue_entry_at", 0)
            .sec("answered_at", 30),
        voice("answered").sec("answered_at", 15),
        voice("abandoned")
            .sec("queue_entry_at", 0)
            .sec("abandoned_at", 40),
        chat("answered")
            .sec("queue_entry_at", 0)
            .sec("answered_at", 90),
    ];
    // CC-05 answered contacts with customer and issue keys and no repeat within 7 days.
    //   voice k1/billing repeat TRUE   → not resolved first time
    //   voice k2/tariff  repeat TRUE   → not
    //   voice k3/billing repeat FALSE  → resolved
    //   chat  k4/fault   repeat NULL   → resolved (no repeat seen; any channel counts)
    //   abandoned k5 repeat FALSE      → out: not answered
    //   answered k6 without issue class → out
    //   answered without customer key (repeat TRUE) → out
    //   2 ÷ 4 = 50 %, sample 4
    let keyed = |c: R, k: &str, issue: &str| c.s("customer_key", k).s("issue_class", issue);
    let cc05 = vec![
        keyed(voice("answered"), "k1", "billing").b("repeat_7d", true),
        keyed(voice("answered"), "k2", "tariff").b("repeat_7d", true),
        keyed(voice("answered"), "k3", "billing").b("repeat_7d", false),
        keyed(chat("answered"), "k4", "fault"),
        keyed(voice("abandoned"), "k5", "billing").b("repeat_7d", false),
        voice("answered").s("customer_key", "k6"),
        voice("answered")
            .s("issue_class", "billing")
            .b("repeat_7d", true),
    ];
    // CC-06 mean handle time, talk + hold + after-call work, missing parts as 0.
    //   200 + 30 + 70 = 300;  180 + NULL + 60 = 240;  400 + 20 + NULL = 420;
    //   NULL + NULL + NULL = 0 → (300 + 240 + 420 + 0) ÷ 4 = 960 ÷ 4 = 240 s, sample 4
    //   out: a chat answered (talk 100); a voice contact abandoned (talk 0)
    let cc06 = vec![
        voice("answered")
            .n("talk_s", 200.0)
            .n("hold_s", 30.0)
            .n("acw_s", 70.0),
        voice("answered").n("talk_s", 180.0).n("acw_s", 60.0),
        voice("answered").n("talk_s", 400.0).n("hold_s", 20.0),
        voice("answered"),
        chat("answered").n("talk_s", 100.0),
        voice("abandoned").n("talk_s", 0.0),
    ];
    // CC-07 monitored contacts scoring ≥ 80: scores 95, 80, 79.5, 60 → 2 ÷ 4 = 50 %,
    //   sample 4; a contact without a score is out.
    let cc07 = vec![
        voice("answered").n("qa_score", 95.0),
        voice("answered").n("qa_score", 80.0),
        chat("answered").n("qa_score", 79.5),
        voice("answered").n("qa_score", 60.0),
        voice("answered"),
    ];
    // CC-08 chat first response, minutes from queue entry to first reply.
    //   replies after 30 s, 90 s, 240 s = 0.5, 1.5, 4 min → 6 ÷ 3 = 2 min, sample 3
    //   out: chat abandoned before a reply; voice with a first reply; chat reply without
    //   queue entry
    let cc08 = vec![
        chat("answered")
            .sec("queue_entry_at", 0)
            .sec("first_reply_at", 30),
        chat("answered")
            .sec("queue_entry_at", 0)
            .sec("first_reply_at", 90),
        chat("answered")
            .sec("queue_entry_at", 0)
            .sec("first_reply_at", 240),
        chat("abandoned")
            .sec("queue_entry_at", 0)
            .sec("abandoned_at", 600),
        voice("answered")
            .sec("queue_entry_at", 0)
            .sec("first_reply_at", 10),
        chat("answered").sec("first_reply_at", 60),
    ];
    // CC-10 occupancy Σ busy ÷ Σ staffed: (1200 + 1500 + 0) ÷ (1800 + 1800 + 900)
    //   = 2700 ÷ 4500 = 0.6 → 60 %, sample 3 intervals
    let cc10 = vec![
        r().n("busy_s", 1200.0).n("staffed_s", 1800.0),
        r().n("busy_s", 1500.0).n("staffed_s", 1800.0),
        r().n("busy_s", 0.0).n("staffed_s", 900.0),
    ];
    vec![
        case("CC-01", queued(), 60.0, 5),
        case("CC-02", cc02, 50.0, 4),
        case("CC-03", cc03, 20.0, 3),
        case("CC-04", queued(), 40.0, 5),
        case("CC-05", cc05, 50.0, 4),
        case("CC-06", cc06, 240.0, 4),
        case("CC-07", cc07, 50.0, 4),
        case("CC-08", cc08, 2.0, 3),
        case("CC-10", cc10, 60.0, 3),
    ]
}

// ---------------------------------------------------------------------------------------
// Installation & maintenance (work_order, survey)
// ---------------------------------------------------------------------------------------

fn order(kind: &str, status: &str) -> R {
    r().s("kind", kind).s("status", status)
}

fn repair(area: &str, cause: &str, elapsed_h: f64) -> R {
    order("repair", "completed")
        .s("area_class", area)
        .s("cause_class", cause)
        .n("elapsed_h", elapsed_h)
}

#[allow(
    clippy::too_many_lines,
    reason = "one block of hand-worked rows per indicator"
)]
fn field_centre_cases() -> Vec<Case> {
    // IM-01 installs/moves completed by the committed deadline, extended by customer pause.
    // committed_by at 48 h.
    //   o1 install completed at 46 h                  → on time (−2 h ≤ 0)
    //   o2 install completed at 48 h                  → on time (0 ≤ 0)
    //   o3 move completed at 53 h, no pause           → late (5 h > 0)
    //   o4 install at 53 h, pause 21 600 s = 6 h      → on time (5 ≤ 6)
    //   o5 install at 53 h, pause 10 800 s = 3 h      → late (5 > 3)
    //   out: a repair; an open install; an install without a commitment; a late install
    //   excluded as mass outage; a late change (kind)
    //   3 (o1, o2, o4) ÷ 5 = 60 %, sample 5
    let committed = |kind: &str, done_h: i64| {
        order(kind, "completed")
            .hours("committed_by", 48)
            .hours("completed_at", done_h)
    };
    let im01 = vec![
        committed("install", 46),
        committed("install", 48),
        committed("move", 53),
        committed("install", 53).n("pause_s", 21_600.0),
        committed("install", 53).n("pause_s", 10_800.0),
        committed("repair", 60),
        order("install", "open").hours("committed_by", 48),
        order("install", "completed").hours("completed_at", 60),
        committed("install", 60).s("exclusion", "mass_outage"),
        committed("change", 60),
    ];
    // IM-02 P95 of working days, completed installs/moves not excluded.
    //   20 orders with 1, 2, …, 20 WD: nearest rank ⌈0.95 × 20⌉ = 19 → 19 WD
    //   (histogram estimate within 1 %), sample 20;
    //   a completed install without working days is in the population but not a value;
    //   out: a repair, an excluded install and an open install, all 50 WD.
    let mut im02: Vec<R> = (1..=20_i32)
        .map(|wd| {
            order(if wd % 2 == 0 { "move" } else { "install" }, "completed")
                .n("working_days", f64::from(wd))
        })
        .collect();
    im02.extend([
        order("install", "completed"),
        order("repair", "completed").n("working_days", 50.0),
        order("install", "completed")
            .s("exclusion", "customer_side")
            .n("working_days", 50.0),
        order("install", "open").n("working_days", 50.0),
    ]);
    // IM-03 completed within 24 h of the agreed appointment start (72 h).
    //   a1 install completed at 75 h  (3 h after)  → kept
    //   a2 install completed at 96 h  (24 h after) → kept (≤ 24)
    //   a3 install completed at 102 h (30 h after) → late
    //   a4 move completed at 70 h (before)         → kept
    //   a5 install, operator cancelled the slot, completed at 122 h (50 h after) → late
    //   out: customer-cancelled; no appointment; open; excluded (terminal fault)
    //   3 (a1, a2, a4) ÷ 5 = 60 %, sample 5
    let agreed = |kind: &str, done_h: i64| {
        order(kind, "completed")
            .hours("appointment_start", 72)
            .hours("completed_at", done_h)
    };
    let im03 = vec![
        agreed("install", 75),
        agreed("install", 96),
        agreed("install", 102),
        agreed("move", 70),
        agreed("install", 122).s("cancelled_by", "operator"),
        agreed("install", 150).s("cancelled_by", "customer"),
        order("install", "completed").hours("completed_at", 150),
        order("install", "open").hours("appointment_start", 72),
        agreed("install", 150).s("exclusion", "terminal_fault"),
    ];
    // IM-04 and IM-05 share the valid completed repairs (elapsed_h set directly).
    //   r1 urban       network 10 h → within 48
    //   r2 urban       network 48 h → within (≤ 48)
    //   r3 urban       network 50 h → late
    //   r4 rural       network 60 h → within 72
    //   r5 remote      network 72 h → within (≤ 72)
    //   r6 major_rural network 80 h → late
    //   r7 area unknown, network 60 h → late: a NULL area class is held to the urban 48 h
    //      (the engine fills the site's area class first; see the engine fixtures)
    //   r8 urban, cause unknown, 5 h → within (an unknown cause stays in)
    //   out (100 h each): terminal cause; customer cause; force-majeure exclusion;
    //   an open repair; an install
    //   IM-04: 5 (r1, r2, r4, r5, r8) ÷ 8 = 62.5 %, sample 8
    //   IM-05: (10 + 48 + 50 + 60 + 72 + 80 + 60 + 5) ÷ 8 = 385 ÷ 8 = 48.125 h, sample 8
    let repairs = || {
        vec![
            repair("urban", "network", 10.0),
            repair("urban", "network", 48.0),
            repair("urban", "network", 50.0),
            repair("rural", "network", 60.0),
            repair("remote", "network", 72.0),
            repair("major_rural", "network", 80.0),
            order("repair", "completed")
                .s("cause_class", "network")
                .n("elapsed_h", 60.0),
            order("repair", "completed")
                .s("area_class", "urban")
                .n("elapsed_h", 5.0),
            repair("urban", "terminal", 100.0),
            repair("urban", "customer", 100.0),
            repair("urban", "network", 100.0).s("exclusion", "force_majeure"),
            order("repair", "open")
                .s("area_class", "urban")
                .n("elapsed_h", 100.0),
            order("install", "completed")
                .s("area_class", "urban")
                .n("elapsed_h", 100.0),
        ]
    };
    // IM-06 valid fault reports per 100 lines, 800 lines in service.
    //   in: completed network repair; open repair; completed repair in a mass outage;
    //       repair excluded as force majeure (only terminal/customer-side are removed)
    //   out: cancelled repair; terminal cause; customer cause; customer_side exclusion;
    //       terminal_fault exclusion; an install
    //   4 × 100 ÷ 800 = 0.5 per 100 lines; the sample of a rate is the population at
    //   risk, 800 lines. Without a subscriber base: no value, sample 0.
    let im06 = || {
        vec![
            order("repair", "completed").s("cause_class", "network"),
            order("repair", "open"),
            order("repair", "completed").s("exclusion", "mass_outage"),
            order("repair", "completed").s("exclusion", "force_majeure"),
            order("repair", "cancelled"),
            order("repair", "completed").s("cause_class", "terminal"),
            order("repair", "completed").s("cause_class", "customer"),
            order("repair", "completed").s("exclusion", "customer_side"),
            order("repair", "open").s("exclusion", "terminal_fault"),
            order("install", "completed"),
        ]
    };
    // IM-07 valid completed repairs with a line key followed by a repeat within 30 days.
    //   L1 repeat TRUE; L2 FALSE; L3 NULL (no repeat seen); L4 FALSE → 1 ÷ 4 = 25 %, sample 4
    //   out (all repeat TRUE): no line key; customer-caused; open repair; an install
    let line = |l: &str| order("repair", "completed").s("line_key", l);
    let im07 = vec![
        line("L1").b("repeat_30d", true),
        line("L2").b("repeat_30d", false),
        line("L3"),
        line("L4").b("repeat_30d", false),
        order("repair", "completed").b("repeat_30d", true),
        line("L5")
            .s("cause_class", "customer")
            .b("repeat_30d", true),
        order("repair", "open")
            .s("line_key", "L6")
            .b("repeat_30d", true),
        order("install", "completed")
            .s("line_key", "L7")
            .b("repeat_30d", true),
    ];
    // IM-08 completed orders with a visit, fixed on the first visit and not revisited.
    //   v1 install 1 visit, revisit NULL → fixed first time
    //   v2 repair  1 visit, revisit FALSE → fixed
    //   v3 repair  1 visit, revisit TRUE  → not (came back within 30 days)
    //   v4 repair  2 visits               → not
    //   v5 move    1 visit                → fixed
    //   out: 0 visits; visits unknown; no customer key; open order with 1 visit
    //   3 (v1, v2, v5) ÷ 5 = 60 %, sample 5
    let visited = |kind: &str, visits: f64| {
        order(kind, "completed")
            .s("customer_key", "c")
            .n("visit_count", visits)
    };
    let im08 = vec![
        visited("install", 1.0),
        visited("repair", 1.0).b("revisit_30d", false),
        visited("repair", 1.0).b("revisit_30d", true),
        visited("repair", 2.0),
        visited("move", 1.0),
        visited("repair", 0.0),
        order("repair", "completed").s("customer_key", "c"),
        order("repair", "completed").n("visit_count", 1.0),
        order("repair", "open")
            .s("customer_key", "c")
            .n("visit_count", 1.0),
    ];
    // IM-09 arrivals inside the window [72 h, 76 h] ÷ appointments due.
    //   p1  completed, arrived 73 h              → kept
    //   p2  completed, arrived 72 h (window start) → kept (BETWEEN is inclusive)
    //   p3  completed, arrived 76 h 30 min       → missed (late)
    //   p4  completed, arrival not recorded      → missed
    //   p5  open, arrived 71 h                   → missed (early)
    //   p6  open, no arrival, not cancelled      → out: outcome not known yet
    //   p7  operator cancelled at 70 h (2 h notice)  → missed
    //   p8  operator cancelled at 24 h (48 h notice) → out: proper rescheduling
    //   p9  operator cancelled at 48 h (exactly 24 h notice) → out (notice < 24 is false)
    //   p10 customer cancelled at 70 h           → out
    //   p11 canceller unknown, at 70 h           → missed (counts as the operator)
    //   p12 completed, arrived 73 h, no window end → out
    //   2 (p1, p2) ÷ 7 (p1, p2, p3, p4, p5, p7, p11) = 28.571 428 …%, sample 7
    let slot = |status: &str| {
        order("install", status)
            .hours("appointment_start", 72)
            .hours("appointment_end", 76)
    };
    let im09 = vec![
        slot("completed").hours("arrived_at", 73),
        slot("completed").hours("arrived_at", 72),
        slot("completed").min("arrived_at", 76 * 60 + 30),
        slot("completed"),
        slot("open").hours("arrived_at", 71),
        slot("open"),
        slot("open")
            .hours("cancelled_at", 70)
            .s("cancelled_by", "operator"),
        slot("open")
            .hours("cancelled_at", 24)
            .s("cancelled_by", "operator"),
        slot("open")
            .hours("cancelled_at", 48)
            .s("cancelled_by", "operator"),
        slot("open")
            .hours("cancelled_at", 70)
            .s("cancelled_by", "customer"),
        slot("open").hours("cancelled_at", 70),
        order("install", "completed")
            .hours("appointment_start", 72)
            .hours("arrived_at", 73),
    ];
    // IM-11 field-centre surveys, top-2-box: csat 5, 4, 2 → 2 ÷ 3 = 66.666…%, sample 3;
    //   a field-centre survey without csat and a hall csat 5 are out.
    let im11 = vec![
        r().s("scene", "field_centre").n("csat", 5.0),
        r().s("scene", "field_centre").n("csat", 4.0),
        r().s("scene", "field_centre").n("csat", 2.0),
        r().s("scene", "field_centre"),
        r().s("scene", "hall").n("csat", 5.0),
    ];
    // IM-12 compensation paid where due: due+paid, due+unpaid, due+paid unknown (not
    //   paid), due+paid → 2 ÷ 4 = 50 %, sample 4; not due (paid anyway) and due unknown are out.
    let im12 = vec![
        r().b("compensation_due", true).b("compensation_paid", true),
        r().b("compensation_due", true)
            .b("compensation_paid", false),
        r().b("compensation_due", true),
        r().b("compensation_due", true).b("compensation_paid", true),
        r().b("compensation_due", false)
            .b("compensation_paid", true),
        r().b("compensation_paid", true),
    ];
    vec![
        case("IM-01", im01, 60.0, 5),
        case("IM-02", im02, 19.0, 20),
        case("IM-03", im03, 60.0, 5),
        case("IM-04", repairs(), 62.5, 8),
        case("IM-05", repairs(), 48.125, 8),
        Case {
            users: Some(800),
            ..case("IM-06", im06(), 0.5, 800)
        },
        Case {
            value: None,
            ..case("IM-06", im06(), 0.0, 0)
        },
        case("IM-07", im07, 25.0, 4),
        case("IM-08", im08, 60.0, 5),
        case("IM-09", im09, 200.0 / 7.0, 7),
        case("IM-11", im11, 200.0 / 3.0, 3),
        case("IM-12", im12, 50.0, 4),
    ]
}

// ---------------------------------------------------------------------------------------
// Cross-scene (complaint, survey)
// ---------------------------------------------------------------------------------------

fn complaint(class: &str) -> R {
    r().s("class", class).days("received_at", 0)
}

fn cross_scene_cases() -> Vec<Case> {
    // X-01 complaints answered within 15 days (received at day 0).
    //   x1 answered at 2 d          → in time
    //   x2 answered at 15 d exactly → in time (≤ 15)
    //   x3 answered at 15 d 1 h     → late
    //   x4 not answered, open 20 days at the period end → due, late (NULL condition)
    //   x5 answered at 12 h         → in time
    //   x6 not answered, open 10 days at the period end → not yet due: out
    //   3 ÷ 5 = 60 %, sample 5
    let x01 = vec![
        complaint("billing").days("answered_at", 2),
        complaint("user_service").days("answered_at", 15),
        complaint("network_quality").hours("answered_at", 15 * 24 + 1),
        complaint("billing").n("open_days", 20.0),
        complaint("billing").hours("answered_at", 12),
        complaint("billing").n("open_days", 10.0),
    ];
    // X-02 P80 of days from receipt to resolution, resolved complaints only.
    //   resolved after 1, 2, …, 10 d: nearest rank ⌈0.8 × 10⌉ = 8 → 8 d (within 1 %),
    //   sample 10; an unresolved complaint is out.
    let mut x02: Vec<R> = (1..=10)
        .map(|d| complaint("user_service").days("resolved_at", d))
        .collect();
    x02.push(complaint("user_service"));
    // on the same five complaints: appealed TRUE, TRUE, TRUE, FALSE, NULL.
    //   X-03 appeals per million users, 250 000 users: 3 × 1 000 000 ÷ 250 000 = 12,
    //        sample 250 000 (the users); with no appeal among 5 complaints and 50 000
    //        users: 0 × 10⁶ ÷ 50 000 = 0, sample 50 000 (no events is a rate of 0)
    //   X-04 appeals ÷ complaints: 3 ÷ 5 = 60 %, sample 5 (NULL = not appealed)
    let appeals = || {
        vec![
            complaint("billing").b("appealed", true),
            complaint("network_quality").b("appealed", true),
            complaint("user_service").b("appealed", true),
            complaint("billing").b("appealed", false),
            complaint("billing"),
        ]
    };
    // on the same complaints: billing with error TRUE, FALSE, NULL, TRUE;
    //   a network-quality complaint with billing_error TRUE is out of both.
    //   X-05 confirmed errors ÷ billing complaints: 2 ÷ 4 = 50 %, sample 4
    //   X-06 billing complaints per 100 users, 2 000 users: 4 × 100 ÷ 2 000 = 0.2,
    //        sample 2 000
    let billing = || {
        vec![
            complaint("billing").b("billing_error", true),
            complaint("billing").b("billing_error", false),
            complaint("billing"),
            complaint("billing").b("billing_error", true),
            complaint("network_quality").b("billing_error", true),
        ]
    };
    // X-07 complaints with customer and issue keys followed by a repeat within 30 days.
    //   repeat TRUE, FALSE, NULL, FALSE → 1 ÷ 4 = 25 %, sample 4
    //   out (repeat TRUE): no issue key; no customer key
    let keyed = |k: &str| complaint("billing").s("customer_key", k).s("issue_key", k);
    let x07 = vec![
        keyed("a").b("repeat_30d", true),
        keyed("b").b("repeat_30d", false),
        keyed("c"),
        keyed("d").b("repeat_30d", false),
        complaint("billing")
            .s("customer_key", "e")
            .b("repeat_30d", true),
        complaint("billing")
            .s("issue_key", "f")
            .b("repeat_30d", true),
    ];
    // X-08 mean of (csat − 1) × 25 over every survey with a csat, any scene.
    //   csat 5, 4, 3, 1 → 100, 75, 50, 0 → 225 ÷ 4 = 56.25, sample 4; no csat → out
    let x08 = vec![
        r().s("scene", "hall").n("csat", 5.0),
        r().s("scene", "call_centre").n("csat", 4.0),
        r().s("scene", "field_centre").n("csat", 3.0),
        r().s("scene", "hall").n("csat", 1.0),
        r().s("scene", "hall"),
    ];
    vec![
        case("X-01", x01, 60.0, 5),
        case("X-02", x02, 8.0, 10),
        Case {
            users: Some(250_000),
            ..case("X-03", appeals(), 12.0, 250_000)
        },
        Case {
            users: Some(50_000),
            ..case(
                "X-03",
                appeals()
                    .into_iter()
                    .map(|c| c.b("appealed", false))
                    .collect(),
                0.0,
                50_000,
            )
        },
        case("X-04", appeals(), 60.0, 5),
        case("X-05", billing(), 50.0, 4),
        Case {
            users: Some(2_000),
            ..case("X-06", billing(), 0.2, 2_000)
        },
        case("X-07", x07, 25.0, 4),
        case("X-08", x08, 56.25, 4),
    ]
}

#[test]
fn hall_indicators_follow_their_definitions() {
    check(&hall_cases());
}

#[test]
fn call_centre_indicators_follow_their_definitions() {
    check(&call_centre_cases());
}

#[test]
fn field_centre_indicators_follow_their_definitions() {
    check(&field_centre_cases());
}

#[test]
fn cross_scene_indicators_follow_their_definitions() {
    check(&cross_scene_cases());
}

#[test]
fn every_indicator_line_of_the_default_guideline_has_a_case() {
    let g = guideline();
    // Lines: every indicator on all records, plus every stratum a target names.
    let mut want: BTreeSet<(String, String)> = g
        .indicators
        .iter()
        .map(|i| (i.id.clone(), String::new()))
        .collect();
    want.extend(
        g.targets
            .iter()
            .map(|t| (t.indicator.clone(), t.selector.stratum())),
    );
    let have: BTreeSet<(String, String)> = [
        hall_cases(),
        call_centre_cases(),
        field_centre_cases(),
        cross_scene_cases(),
    ]
    .into_iter()
    .flatten()
    .map(|c| (c.id.to_owned(), c.stratum.to_owned()))
    .collect();
    let missing: Vec<_> = want.difference(&have).collect();
    assert!(
        missing.is_empty(),
        "indicator lines without a hand-worked case: {missing:?}"
    );
    let stale: Vec<_> = have.difference(&want).collect();
    assert!(
        stale.is_empty(),
        "cases for lines the guideline no longer has: {stale:?}"
    );
}
