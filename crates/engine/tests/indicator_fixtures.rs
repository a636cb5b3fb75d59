//! Every indicator of the default guideline end to end: the fixture files under
//! `tests/fixtures/indicators/` are imported with `import_file`, computed with `compute`
//! for March 2026 and evaluated with `evaluate::evaluate`; each site's value and sample
//! are compared with numbers worked out by hand in the comments below.
//!
//! Unlike `crates/core/tests/indicators.rs`, the derived fields are not given here: the
//! engine must compute them from the rows (`revisit_7d`, `repeat_7d`, `repeat_30d`,
//! `revisit_30d`, `elapsed_h`), including rows after the period end that make a row of the
//! period a repeat. The fixtures also check local-day assignment at month edges, the mean
//! of subscriber-base rows, and one site's full score.
//!
//! Sites (`org.toml`, all Asia/Shanghai, standard tier): `hall-1` (urban hall), `cc-1`
//! (urban call centre), `fc-urban` and `fc-rural` (field centres). Period 2026-03
//! (1 March is a Sunday; 2 March a Monday). Times below are local (+08:00).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use yardstick_core::evaluate::{self, Evaluation, Inputs, LineStatus, SiteResult};
use yardstick_core::guideline::{Guideline, Measure, default_guideline};
use yardstick_core::org::Organisation;
use yardstick_core::period::Period;
use yardstick_core::records::RecordKind;
use yardstick_engine::compute::{Computed, compute};
use yardstick_engine::import::{
    ImportContext, ImportOptions, ImportStatus, InstantWindow, import_file,
};
use yardstick_engine::layout::DataDir;

#[path = "ledger.rs"]
mod ledger;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/indicators")
        .join(name)
}

/// Fixture files with their kind and data-row count (every row must be stored).
const FILES: [(RecordKind, &str, u64); 7] = [
    (RecordKind::HallTicket, "hall_ticket.csv", 13),
    (RecordKind::Contact, "contact.csv", 46),
    (RecordKind::WorkOrder, "work_order.csv", 31),
    (RecordKind::Complaint, "complaint.csv", 8),
    (RecordKind::Survey, "survey.csv", 10),
    (RecordKind::SubscriberBase, "subscriber_base.csv", 5),
    (RecordKind::AgentInterval, "agent_interval.csv", 4),
];

/// Imports every fixture into a fresh data directory, computes March 2026 and evaluates
/// the whole organisation with the default guideline and no audits.
fn evaluate_fixtures(g: &Guideline) -> (Evaluation, Computed) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = DataDir::new(tmp.path());
    let org_src = std::fs::read_to_string(fixture("org.toml")).expect("org.toml readable");
    let org = Organisation::from_toml("org.toml", &org_src).expect("org.toml is valid");
    let mut ledger = ledger::Ledger::default();
    for (kind, file, rows) in FILES {
        let report = ledger
            .settle(kind, false, |manifest| {
                let cx = ImportContext {
                    dir: &dir,
                    org: &org,
                    manifest,
                    accept: InstantWindow::default(),
                };
                let cancel = AtomicBool::new(false);
                let opts = ImportOptions::default();
                import_file(&cx, kind, &fixture(file), opts, &|_| {}, &cancel)
            })
            .expect("fixture imports");
        assert_eq!(report.status, ImportStatus::Committed, "{file}");
        assert_eq!(
            (
                report.rows_read,
                report.rows_stored,
                report.rows_quarantined
            ),
            (rows, rows, 0),
            "{file}: every row is stored; quarantine reasons {:?}",
            report.reasons
        );
        assert!(report.ignored_columns.is_empty(), "{file}");
    }
    let period = Period::parse("2026-03").expect("valid period");
    let computed = compute(&dir, &ledger.manifest(), g, &org, &period).expect("compute succeeds");
    let inputs = Inputs {
        guideline: g,
        org: &org,
        scope: "op".to_owned(),
        period,
        states: computed.merged(),
        users: computed.users.clone(),
        audits: Vec::new(),
    };
    let ev = evaluate::evaluate(&inputs).expect("evaluation succeeds");
    (ev, computed)
}

/// One expected line: site, indicator, stratum, value, sample.
struct Want {
    site: &'static str,
    id: &'static str,
    stratum: &'static str,
    value: Option<f64>,
    sample: u64,
}

fn want(site: &'static str, id: &'static str, value: f64, sample: u64) -> Want {
    Want {
        site,
        id,
        stratum: "",
        value: Some(value),
        sample,
    }
}

fn none(site: &'static str, id: &'static str) -> Want {
    Want {
        site,
        id,
        stratum: "",
        value: None,
        sample: 0,
    }
}

fn site<'e>(ev: &'e Evaluation, id: &str) -> &'e SiteResult {
    ev.sites
        .iter()
        .find(|s| s.site == id)
        .unwrap_or_else(|| panic!("site {id} evaluated"))
}

fn close(got: Option<f64>, want: Option<f64>, rel: f64) -> bool {
    match (got, want) {
        (None, None) => true,
        (Some(g), Some(w)) => (g - w).abs() <= rel * w.abs().max(1.0),
        _ => false,
    }
}

fn show(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |x| format!("{x:.6}"))
}

/// Compares every expected line with the evaluation; on failure prints the table of
/// (site, indicator, stratum, value, sample) with the differing lines marked.
fn check(g: &Guideline, ev: &Evaluation, wants: &[Want]) {
    let mut table = format!(
        "{:<2} {:<9} {:<6} {:<23} {:>13} {:>13} {:>6} {:>6}\n",
        "", "site", "line", "stratum", "value want", "value got", "n want", "n got"
    );
    let mut failures = 0;
    for w in wants {
        let line = site(ev, w.site)
            .lines
            .iter()
            .find(|l| l.indicator == w.id && l.stratum == w.stratum);
        let percentile = g
            .indicator(w.id)
            .is_some_and(|i| matches!(i.measure, Measure::Percentile { .. }));
        // Percentiles come from a log histogram: within 1 % of the exact quantile.
        let rel = if percentile { 0.01 } else { 1e-9 };
        let (value, sample) = line.map_or((None, u64::MAX), |l| (l.value, l.sample));
        let ok = line.is_some() && close(value, w.value, rel) && sample == w.sample;
        if !ok {
            failures += 1;
        }
        writeln!(
            table,
            "{:<2} {:<9} {:<6} {:<23} {:>13} {:>13} {:>6} {:>6}",
            if ok { "" } else { "✗" },
            w.site,
            w.id,
            w.stratum,
            show(w.value),
            show(value),
            w.sample,
            if line.is_some() {
                sample.to_string()
            } else {
                "no line".to_owned()
            }
        )
        .expect("write to a string");
    }
    assert!(failures == 0, "{failures} line(s) differ:\n{table}");
}

/// Business hall `hall-1`. Tickets (issued → called, waits in minutes):
///
/// | id  | issued      | called | wait | end   | tx | outcome     | class   | keys  | settled → done     | error |
/// |-----|-------------|--------|------|-------|----|-------------|---------|-------|--------------------|-------|
/// | h00 | 03-01 07:30 | 07:38  | 8    | 07:44 | 6  | served      | —       |       |                    |       |
/// | h01 | 03-02 09:00 | 09:06  | 6    | 09:14 | 8  | served      | vip     | k1/r1 |                    | false |
/// | h02 | 03-02 09:00 | 09:20  | 20   | 09:25 | 5  | served      | elderly | k2/r2 |                    | true  |
/// | h03 | 03-02 09:10 | 09:14  | 4    | 09:21 | 7  | transferred | vip     |       |                    |       |
/// | h04 | 03-02 09:00 | 09:10  | 10   |       |    | no_show     | —       |       |                    |       |
/// | h05 | 03-02 09:00 |        |      |       |    | left 09:30  | ordinary|       |                    |       |
/// | h06 | 03-02 09:00 |        |      |       |    | left 09:05  | —       |       |                    |       |
/// | h07 | 03-05 10:00 | 10:05  | 5    | 10:09 | 4  | served      | ordinary| k1/r1 |                    | false |
/// | h08 | 03-05 11:00 | 11:12  | 12   | 11:20 | 8  | served      | ordinary| k3/r3 | 03-05 11:20 → 03-06 09:20 (22 h) | false |
/// | h09 | 03-13 10:00 | 10:15  | 15   | 10:25 | 10 | served      | vip     | k3/r3 | 03-13 10:25 → 03-14 12:25 (26 h) |  |
/// | h10 | 03-31 17:00 | 17:02  | 2    | 17:10 | 8  | served      | ordinary| k4/r4 |                    | false |
/// | h11 | 04-02 09:00 | (after the period: only makes h10 a revisit)                           |
/// | h12 | 04-01 07:30 | (23:30 UTC on 31 March, but local day 1 April: out of the period)      |
///
/// h00 is 23:30 UTC on 28 February but local day 1 March: in the period.
fn hall_wants() -> Vec<Want> {
    let h = "hall-1";
    vec![
        // BH-01 called tickets h00 h01 h02 h03 h04 h07 h08 h09 h10:
        //   8 + 6 + 20 + 4 + 10 + 5 + 12 + 15 + 2 = 82 min ÷ 9 = 9.111… min
        want(h, "BH-01", 82.0 / 9.0, 9),
        //   vip h01 h03 h09: (6 + 4 + 15) ÷ 3 = 25 ÷ 3 = 8.333… min
        Want {
            stratum: "customer_class=vip",
            ..want(h, "BH-01", 25.0 / 3.0, 3)
        },
        // BH-02 population: the 9 called + h05 (left after 30 > 15 min); h06 left after
        //   5 min is neutral. Within 15 min: every called ticket but h02 (20) → 8 ÷ 10 = 80 %
        want(h, "BH-02", 80.0, 10),
        // BH-03 served/transferred with an end: h00 6, h01 8, h02 5, h03 7, h07 4, h08 8,
        //   h09 10, h10 8 → 56 ÷ 8 = 7 min
        want(h, "BH-03", 7.0, 8),
        // BH-04 (no_show h04 + left h05, h06) ÷ 11 tickets = 3 ÷ 11 = 27.27… %
        want(h, "BH-04", 300.0 / 11.0, 11),
        // BH-05 h08 22 h (within 24), h09 26 h (not) → 1 ÷ 2 = 50 %
        want(h, "BH-05", 50.0, 2),
        // BH-06 served h00 h01 h02 h07 h08 h09 h10 = 7, error h02 → 1 ÷ 7 = 142.857… ‰
        want(h, "BH-06", 1000.0 / 7.0, 7),
        // BH-07 served with both keys: h01 h02 h07 h08 h09 h10 = 6. Engine revisit_7d:
        //   h01 (k1/r1) → h07 three days later: revisit. h08 (k3/r3, 03-05 11:00) → h09
        //   7 d 23 h later: outside 7 days. h10 → h11 on 2 April (1 d 16 h, after the
        //   period end): revisit. One visit: h02 h07 h08 h09 → 4 ÷ 6 = 66.67 %
        want(h, "BH-07", 400.0 / 6.0, 6),
        // BH-12 hall surveys csat 5, 5, 4, 3, 2 (s06 has none) → 3 ÷ 5 = 60 %
        want(h, "BH-12", 60.0, 5),
        // Complaints k01–k08 of hall-1 (k06 on 12 April is after the period):
        //   k01 billing 03-02 10:00 answered +2 d, resolved +4 d, error TRUE, p1/i1
        //   k02 billing 03-20 10:00 answered 04-04 10:00 (+15 d), resolved +16 d, error FALSE, p1/i1
        //   k03 network 03-03 10:00 answered 03-18 11:00 (+15 d 1 h), resolved +22 d, appealed
        //   k04 service 03-05 10:00 never answered, unresolved, appealed
        //   k05 billing 03-10 10:00 answered +12 h, resolved +1 d, error unknown, p5/i5
        //   k07 service 03-31 20:00 answered +2 d, resolved +3 d, no issue key
        //   k08 billing 03-15 10:00 answered +1 d, resolved +7 d, error TRUE, no customer key
        // X-01 within 15 d: k01 k02 (exactly 15 d) k05 k07 k08 → 5 ÷ 7 = 71.43 %
        want(h, "X-01", 500.0 / 7.0, 7),
        // X-02 resolution days 4, 16, 22, 1, 3, 7 → sorted 1 3 4 7 16 22; rank ⌈0.8 × 6⌉ = 5 → 16 d
        want(h, "X-02", 16.0, 6),
        // X-03 appeals k03 k04 = 2; users = mean of the March subscriber rows
        //   (99 000 + 101 000) ÷ 2 = 100 000 (the April row is ignored) → 2 × 10⁶ ÷ 10⁵ = 20;
        //   the sample of a rate is the users, 100 000
        want(h, "X-03", 20.0, 100_000),
        // X-04 2 appeals ÷ 7 complaints = 28.57 %
        want(h, "X-04", 200.0 / 7.0, 7),
        // X-05 billing k01 (error) k02 k05 (unknown) k08 (error) → 2 ÷ 4 = 50 %
        want(h, "X-05", 50.0, 4),
        // X-06 4 billing complaints × 100 ÷ 100 000 users = 0.004 per 100 users
        want(h, "X-06", 0.004, 100_000),
        // X-07 with both keys: k01 k02 k03 k04 k05 = 5. Engine repeat_30d: k01 → k02
        //   18 days later (same p1/i1): repeat. k05 → k06 33 days later: not. → 1 ÷ 5 = 20 %
        want(h, "X-07", 20.0, 5),
        // X-08 csat 5 5 4 3 2 → (100 + 100 + 75 + 50 + 25) ÷ 5 = 70
        want(h, "X-08", 70.0, 5),
    ]
}

/// Call centre `cc-1`. Voice contacts (queue entry → answer or abandon):
/// - v01–v32 answered: v01–v20 after 15 s, v21–v28 after 20 s, v29–v32 after 155 s;
///   talk/hold/acw 240/0/60 s for v01–v16 and 300/60/— for v17–v32; QA 80 (v01),
///   79.9 (v02), 60 (v03), 70 (v04), 90 for the rest; every one has a customer key and
///   an issue class.
/// - cb1 callback; ab1 abandoned after 3 s, ab2 after 4 s, ab3 after 15 s (customer c,
///   billing, 03-12 10:00), ab4 after 50 s; iv1, iv2 IVR-only; of1 overflowed.
/// - apr1 answered on 2 April (after the period).
///
/// Chats: ch1–ch4 answered with first replies after 60, 120, 120, 180 s and keys
/// (ch1: customer g, billing, 03-16 10:00); ch5 abandoned before a reply.
///
/// Repeats the engine must find (same customer and issue class within 7 days, window
/// (t, t + 7 d]): v01 → v02 (3 d); v03 → v04 (2 d); v04 → v05 (4 d); v06 → ab3 (2 d, an
/// abandoned call is a further contact); v11 (03-30) → apr1 (04-02, after the period);
/// ch1 → v12 (2 d, across channels); v13 → v14 (exactly 7 d); v17 → v18 (5 h).
/// Not repeats: v07 → v08 (10 d); v09 → v10 (other issue class); v15 → v16 (7 d 1 min).
fn call_centre_wants() -> Vec<Want> {
    let c = "cc-1";
    let mut w = vec![
        // CC-01 population: 32 answered + cb1 + ab3 + ab4 = 35 (ab1, ab2 short; iv1, iv2,
        //   of1 and chats out). Answered: 32 + cb1 = 33 → 33 ÷ 35 = 94.2857 %
        want(c, "CC-01", 3300.0 / 35.0, 35),
        // CC-02 formula 4: within 20 s v01–v28 = 28; denominator 32 answered + ab4 (after
        //   T) = 33 (ab1, ab2 short and ab3 within T are neutral) → 28 ÷ 33 = 84.85 %
        want(c, "CC-02", 2800.0 / 33.0, 33),
        // CC-03 (20 × 15 + 8 × 20 + 4 × 155) ÷ 32 = (300 + 160 + 620) ÷ 32 = 1080 ÷ 32 = 33.75 s
        want(c, "CC-03", 33.75, 32),
        // CC-04 abandoned after 5 s: ab3, ab4 → 2 ÷ 35 = 5.714 %
        want(c, "CC-04", 200.0 / 35.0, 35),
        // CC-05 answered with keys: 32 voice + 4 chats = 36; repeats v01 v03 v04 v06 v11 ch1
        //   v13 v17 = 8 → 28 ÷ 36 = 77.78 %
        want(c, "CC-05", 2800.0 / 36.0, 36),
        // CC-06 (16 × 300 + 16 × 360) ÷ 32 = 330 s
        want(c, "CC-06", 330.0, 32),
        // CC-07 QA ≥ 80: 32 scored, fails v02 v03 v04 → 29 ÷ 32 = 90.625 %
        want(c, "CC-07", 90.625, 32),
        // CC-08 chat first replies 1, 2, 2, 3 min → 8 ÷ 4 = 2 min (ch5 never replied)
        want(c, "CC-08", 2.0, 4),
        // CC-10 busy (1500 + 1200 + 1800 + 900) ÷ staffed (4 × 1800) = 5400 ÷ 7200 = 75 %
        want(c, "CC-10", 75.0, 4),
    ];
    // No complaints, surveys or subscriber base at cc-1: every cross-scene line is empty.
    for id in [
        "X-01", "X-02", "X-03", "X-04", "X-05", "X-06", "X-07", "X-08",
    ] {
        w.push(none(c, id));
    }
    w
}

/// Field centres. `fc-urban` orders (created → completed, local time; visits; keys):
///
/// | id  | kind    | created     | committed   | appointment       | arrived / cancelled      | completed   | notes |
/// |-----|---------|-------------|-------------|-------------------|--------------------------|-------------|-------|
/// | i01 | install | 03-02 09:00 | 03-04 18:00 | 03-03 09:00–13:00 | arrived 03-03 10:00      | 03-03 12:00 | ci1, 1 visit |
/// | i02 | install | 03-02 10:00 | 03-04 18:00 | 03-04 09:00–13:00 | arrived 03-04 14:00      | 03-04 20:00 | ci2, 1 visit, compensation due+paid |
/// | i03 | move    | 03-03 09:00 | 03-05 18:00 | 03-05 09:00–13:00 | arrived 03-05 09:30      | 03-05 22:00 | ci3, 2 visits, pause 5 h |
/// | i04 | install | 03-09 09:00 | 03-11 18:00 | 03-10 09:00–13:00 | operator cancelled 03-10 08:00 | 03-12 12:00 | ci4, 1 visit, due+paid |
/// | i05 | install | 03-09 10:00 | 03-11 18:00 | 03-11 09:00–13:00 | customer cancelled 03-09 12:00 | 03-13 10:00 | ci5, 1 visit, pause 48 h |
/// | i06 | install | 03-16 09:00 | 03-18 18:00 |                   |                          | 03-17 15:00 | ci6, 1 visit, excluded (terminal fault) |
/// | i07 | install | 03-25 09:00 | 03-27 18:00 |                   |                          | 03-26 11:00 | ci6, 1 visit |
/// | i08 | install | 03-30 09:00 | 04-01 18:00 | 04-01 09:00–13:00 |                          | open        | ci8 |
/// | i09 | change  | 03-10 09:00 | 03-10 12:00 |                   |                          | 03-10 15:00 | ci9, 1 visit |
///
/// Repairs (all with a line key L<n> and customer cr<n>, cause network unless noted):
///
/// | id  | area    | created     | completed   | elapsed | notes |
/// |-----|---------|-------------|-------------|---------|-------|
/// | r01 | urban   | 03-02 08:00 | 03-02 18:00 | 10 h    | L1/cr1, 1 visit |
/// | r02 | urban   | 03-12 09:00 | 03-14 09:00 | 48 h    | L1/cr1, 1 visit |
/// | r03 | urban   | 03-03 09:00 | 03-05 11:00 | 50 h    | 2 visits, due+paid |
/// | r04 | urban   | 03-04 09:00 | 03-06 19:00 | 58 − 10 h pause = 48 h | 1 visit |
/// | r05 | —       | 03-05 09:00 | 03-07 21:00 | 60 h    | 1 visit, due, not paid |
/// | r06 | urban   | 03-06 09:00 | 03-06 12:00 | 3 h     | cause terminal, 1 visit |
/// | r07 | urban   | 03-10 09:00 | 03-13 09:00 | 72 h    | excluded (mass outage), 1 visit |
/// | r08 | urban   | 03-28 09:00 | open        |         | |
/// | r09 | urban   | 03-15 09:00 | cancelled   |         | no cause |
/// | r10 | urban   | 03-20 09:00 | 03-20 13:00 | 4 h     | L10/cr10, 1 visit |
/// | r11 | urban   | 04-15 09:00 | 04-15 12:00 |         | L10/cr10, after the period |
/// | r12 | urban   | 03-21 09:00 | 03-21 11:00 | 2 h     | L12/cr12, 1 visit |
/// | r13 | urban   | 03-21 10:00 | cancelled   |         | L12/cr12, duplicate report before r12 was restored |
/// | r14 | urban   | 04-25 10:00 | 04-25 12:00 |         | L12/cr12, after the period |
///
/// `fc-rural` repairs (no visit counts): q01 rural 60 h, q02 rural 74 h, q03 premises
/// urban 58 h, q04 no area class 48 h, q08 no area class 60 h; lines M1–M4 and M8, no
/// repeats. Installs/moves without
/// commitment, appointment or pause: q05 Fri 03-27 09:00 → Tue 03-31 15:00; q06 Tue 03-31
/// 09:00 → Tue 04-07 10:00 (across the Qingming holiday, 4–6 April 2026); q07 Wed 03-18
/// 09:00 → 17:00 the same day.
#[allow(clippy::too_many_lines, reason = "one hand-worked block per indicator")]
fn field_centre_wants() -> Vec<Want> {
    let (u, r) = ("fc-urban", "fc-rural");
    let mut w = vec![
        // IM-01 installs/moves completed with a commitment, not excluded: i01 i02 i03 i04
        //   i05 i07 (i06 excluded, i08 open, i09 a change). Hours completed − committed vs
        //   pause: i01 −30 ≤ 0 ✓; i02 +2 > 0 ✗; i03 +4 ≤ 5 ✓; i04 +18 > 0 ✗;
        //   i05 +40 ≤ 48 ✓; i07 −31 ≤ 0 ✓ → 4 ÷ 6 = 66.67 %
        want(u, "IM-01", 400.0 / 6.0, 6),
        // IM-03 with an appointment, not customer-cancelled: i01 +3 h ✓, i02 +11 h ✓,
        //   i03 +13 h ✓, i04 (operator cancelled) +51 h ✗ → 3 ÷ 4 = 75 %
        want(u, "IM-03", 75.0, 4),
        // IM-04 valid completed repairs r01 r02 r03 r04 r05 r10 r12 (r06 terminal, r07
        //   excluded, r08 open, r09 r13 cancelled). Engine elapsed_h: 10, 48, 50,
        //   58 − 10 = 48, 60, 4, 2. Within 48 h: r01 r02 r04 r10 r12 (r05 has no area class:
        //   the site's, urban, 48 h) → 5 ÷ 7 = 71.43 %
        want(u, "IM-04", 500.0 / 7.0, 7),
        // IM-05 (10 + 48 + 50 + 48 + 60 + 4 + 2) ÷ 7 = 222 ÷ 7 = 31.714… h
        want(u, "IM-05", 222.0 / 7.0, 7),
        // IM-06 valid reports: r01 r02 r03 r04 r05 r07 (mass outage stays) r08 (open)
        //   r10 r12 = 9 (r06 terminal; r09 r13 cancelled) → 9 × 100 ÷ 1 500 lines = 0.6,
        //   sample 1 500 lines
        want(u, "IM-06", 0.6, 1_500),
        // IM-07 valid completed repairs with a line: r01 r02 r03 r04 r05 r07 r10 r12 = 8.
        //   Engine repeat_30d (next report on the line within 30 d after completion):
        //   r01 (restored 03-02 18:00) → r02 reported 03-12: repeat. r10 (restored 03-20
        //   13:00) → r11 reported 04-15 (25 d 20 h, after the period): repeat. r12
        //   (restored 03-21 11:00) → r13 was reported before it was restored: not a repeat;
        //   r14 34 d 23 h later: not. → 2 ÷ 8 = 25 %
        want(u, "IM-07", 25.0, 8),
        // IM-08 completed with a visit and a customer: i01–i07, i09, r01–r07 but not the
        //   open/cancelled ones, r10, r12 → i01 i02 i03 i04 i05 i06 i07 i09 r01 r02 r03 r04
        //   r05 r06 r07 r10 r12 = 17. Not fixed first time: i03 and r03 (2 visits); engine
        //   revisit_30d (same customer and kind within 30 d after completion): i06 → i07
        //   (ci6, install, 7 d 18 h), r01 → r02 (cr1, 9 d 15 h), r10 → r11 (cr10, 25 d
        //   20 h); r12 → r13 was before completion, → r14 35 d later: no.
        //   → (17 − 5) ÷ 17 = 12 ÷ 17 = 70.59 %
        want(u, "IM-08", 1200.0 / 17.0, 17),
        // IM-09 appointments with a known outcome: i01 (arrived in window ✓), i02 (14:00
        //   after the window ✗), i03 (09:30 ✓), i04 (operator cancelled 1 h before ✗);
        //   i05 customer-cancelled and i08 not yet due are out → 2 ÷ 4 = 50 %
        want(u, "IM-09", 50.0, 4),
        // IM-11 field-centre surveys csat 5, 4, 4, 1 → 3 ÷ 4 = 75 %
        want(u, "IM-11", 75.0, 4),
        // IM-12 compensation due: i02 (paid) i04 (paid) r03 (paid) r05 (not) → 3 ÷ 4 = 75 %
        want(u, "IM-12", 75.0, 4),
        // X-08 csat 5, 4, 4, 1 → (100 + 75 + 75 + 0) ÷ 4 = 62.5
        want(u, "X-08", 62.5, 4),
        // IM-02 by its definition (legal working days after the creation day, customer
        //   pause not deducted): i01 1, i02 2, i03 2, i04 3, i05 4, i07 1 → rank
        //   ⌈0.95 × 6⌉ = 6 → 4 WD, sample 6
        want(u, "IM-02", 4.0, 6),
        //
        // fc-rural: IM-04 within the limit: q01 rural 60 ≤ 72 ✓; q02 rural 74 ✗; q03
        //   urban premises 58 > 48 ✗; q04 no area class 48 ≤ 48 ✓; q08 no area class, so
        //   the site's (rural), 60 ≤ 72 ✓ → 3 ÷ 5 = 60 %
        want(r, "IM-04", 60.0, 5),
        // IM-05 (60 + 74 + 58 + 48 + 60) ÷ 5 = 300 ÷ 5 = 60 h
        want(r, "IM-05", 60.0, 5),
        // IM-06 5 valid reports × 100 ÷ 400 lines = 1.25 per 100 lines, sample 400 lines
        want(r, "IM-06", 1.25, 400),
        // IM-07 lines M1–M4 and M8, no repeats → 0 ÷ 5 = 0 %
        want(r, "IM-07", 0.0, 5),
        // IM-02 legal working days after the creation day, site calendar (China mainland):
        //   q05 Sat, Sun off; Mon 30, Tue 31 → 2. q06 Wed 1, Thu 2, Fri 3 April; Sat 4 – Mon
        //   6 Qingming; Tue 7 → 4. q07 completed the same day → 0. P95 of 0, 2, 4: rank
        //   ⌈0.95 × 3⌉ = 3 → 4 WD, sample 3
        want(r, "IM-02", 4.0, 3),
    ];
    // fc-rural has no commitments, appointments, visit counts, surveys or compensation.
    for id in [
        "IM-01", "IM-03", "IM-08", "IM-09", "IM-11", "IM-12", "X-01", "X-02", "X-04", "X-05",
        "X-07", "X-08",
    ] {
        w.push(none(r, id));
    }
    // No complaints at the field centres: are 0 × per ÷ users = 0, the best
    // result, with the users as sample (1 500 and 400); the other complaint lines are empty.
    for (s, users) in [(u, 1_500), (r, 400)] {
        w.push(want(s, "X-03", 0.0, users));
        w.push(want(s, "X-06", 0.0, users));
    }
    for id in ["X-01", "X-02", "X-04", "X-05", "X-07"] {
        w.push(none(u, id));
    }
    w
}

#[test]
fn every_indicator_computes_its_hand_worked_value_end_to_end() {
    let g = default_guideline().expect("default guideline loads");
    let (ev, computed) = evaluate_fixtures(&g);

    // Users: hall-1 is the mean of its two March rows, (99 000 + 101 000) ÷ 2.
    assert_eq!(
        computed.users,
        BTreeMap::from([
            ("fc-rural".to_owned(), 400),
            ("fc-urban".to_owned(), 1_500),
            ("hall-1".to_owned(), 100_000),
        ])
    );

    let wants: Vec<Want> = [hall_wants(), call_centre_wants(), field_centre_wants()]
        .into_iter()
        .flatten()
        .collect();
    check(&g, &ev, &wants);

    // A rate without events at a site with users is rated as 0, its best result: at
    // fc-urban X-03 (floor 10, goal 5 per million) and X-06 (floor 1, goal 0.1) reach
    // achievement 1.
    let fc = site(&ev, "fc-urban");
    for id in ["X-03", "X-06"] {
        let l = fc
            .lines
            .iter()
            .find(|l| l.indicator == id)
            .unwrap_or_else(|| panic!("{id} line"));
        assert_eq!(
            (l.status, l.achievement),
            (LineStatus::Rated, Some(1.0)),
            "{id}"
        );
    }

    // Every indicator of the guideline is asserted at some site.
    let missing: Vec<&str> = g
        .indicators
        .iter()
        .map(|i| i.id.as_str())
        .filter(|id| !wants.iter().any(|w| w.id == *id))
        .collect();
    assert!(
        missing.is_empty(),
        "indicators without a fixture line: {missing:?}"
    );
}

#[test]
fn the_call_centre_score_is_the_hand_worked_one() {
    let g = default_guideline().expect("default guideline loads");
    let (ev, _) = evaluate_fixtures(&g);
    let cc = site(&ev, "cc-1");
    let status = |id: &str| {
        cc.lines
            .iter()
            .find(|l| l.indicator == id)
            .map(|l| l.status)
            .unwrap_or_else(|| panic!("{id} line"))
    };
    // Rated (target and sample ≥ 30): CC-01 (35), CC-02 (33), CC-03 (32), CC-04 (35),
    // CC-05 (36), CC-07 (32). Not rated: CC-08 (4 chats < 30), CC-06 (weight 0), CC-10
    // (4 intervals < 30), and the cross-scene lines: no data, and no users for the rates.
    for id in ["CC-01", "CC-02", "CC-03", "CC-04", "CC-05", "CC-07"] {
        assert_eq!(status(id), LineStatus::Rated, "{id}");
    }
    assert_eq!(status("CC-06"), LineStatus::Unweighted);
    assert_eq!(status("CC-08"), LineStatus::BelowMinSample);
    assert_eq!(status("CC-10"), LineStatus::BelowMinSample);
    for id in ["X-01", "X-02", "X-04", "X-05", "X-07", "X-08"] {
        assert_eq!(status(id), LineStatus::NoData, "{id}");
    }
    assert_eq!(status("X-03"), LineStatus::NoUsers);
    assert_eq!(status("X-06"), LineStatus::NoUsers);

    // Achievement a = clamp((x − floor) ÷ (goal − floor)):
    //   CC-01 (94.2857 − 90) ÷ (98 − 90)  = 4.2857 ÷ 8   = 0.535714…   weight 15
    //   CC-02 (84.8485 − 80) ÷ (90 − 80)  = 4.8485 ÷ 10  = 0.484848…   weight 20
    //   CC-03 (33.75 − 60) ÷ (20 − 60)    = −26.25 ÷ −40 = 0.65625     weight 10
    //   CC-04 (5.7143 − 8) ÷ (3 − 8)      = −2.2857 ÷ −5 = 0.457143…   weight 10
    //   CC-05 (77.7778 − 70) ÷ (85 − 70)  = 7.7778 ÷ 15  = 0.518519…   weight 15
    //   CC-07 (90.625 − 85) ÷ (95 − 85)   = 5.625 ÷ 10   = 0.5625      weight 10
    // Σ w·a = 8.035714 + 9.696970 + 6.5625 + 4.571429 + 7.777778 + 5.625 = 42.269390;
    // Σ w = 80. Results = 500 × 42.269390 ÷ 80 = 264.183690; no audits, so the total is
    // the results half scaled to 1000: 528.367379 → level L3 (450 ≤ total < 600).
    let a = [
        (15.0, (3300.0 / 35.0 - 90.0) / 8.0),
        (20.0, (2800.0 / 33.0 - 80.0) / 10.0),
        (10.0, (33.75 - 60.0) / (20.0 - 60.0)),
        (10.0, (200.0 / 35.0 - 8.0) / (3.0 - 8.0)),
        (15.0, (2800.0 / 36.0 - 70.0) / 15.0),
        (10.0, (90.625 - 85.0) / 10.0),
    ];
    let results = 500.0 * a.iter().map(|(w, a)| w * a).sum::<f64>() / 80.0;
    assert!((results - 264.183_690).abs() < 1e-6, "hand arithmetic");
    let got = cc.results.expect("results half rated");
    assert!((got - results).abs() < 1e-9, "results {got} ≠ {results}");
    let total = cc.total.expect("total");
    assert!(
        (total - 2.0 * results).abs() < 1e-9,
        "total {total} ≠ {}",
        2.0 * results
    );
    assert_eq!(cc.management, None);
    assert_eq!(cc.level, Some(3));
    assert!(cc.red_lines.is_empty());
    // Coverage: rated weight 80 of all weight 85 (CC lines) + 22 (X lines: 4 + 2 + 4 + 2
    // + 2 + 2 + 2 + 4) = 107.
    assert!((cc.results_coverage - 80.0 / 107.0).abs() < 1e-12);
}
