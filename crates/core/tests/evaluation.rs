//! A full scoring example worked out by hand, step by step: achievements, both halves,
//! totals, red-line caps, levels, peer ranks, node roll-ups and fingerprints.

use std::collections::BTreeMap;

use yardstick_core::evaluate::{
    Answer, AuditAnswer, Half, Inputs, LineStatus, NotRated, StateKey, evaluate,
};
use yardstick_core::guideline::load;
use yardstick_core::measure::{MeasureState, Row};
use yardstick_core::org::Organisation;
use yardstick_core::period::Period;

const GUIDELINE: &str = include_str!("data/mini_guideline.toml");

const ORG: &str = include_str!("data/mini_org.toml");

/// A mean state of `n` equal values.
fn waits(n: usize, minutes: f64) -> MeasureState {
    let mut s = MeasureState::new();
    for _ in 0..n {
        s.observe(&Row::new().with_value(minutes)).expect("finite");
    }
    s
}

/// A ratio state with `hits` of `n`.
fn served(hits: usize, n: usize) -> MeasureState {
    let mut s = MeasureState::new();
    for i in 0..n {
        s.observe(&Row::new().with_hit(i < hits)).expect("ratio");
    }
    s
}

fn key(site: &str, ind: &str) -> StateKey {
    StateKey {
        site: site.into(),
        indicator: ind.into(),
        stratum: String::new(),
    }
}

fn answer(site: &str, item: &str, answer: Answer) -> AuditAnswer {
    AuditAnswer {
        site: site.into(),
        item: item.into(),
        answer,
        source: None,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

struct Fixture {
    states: BTreeMap<StateKey, MeasureState>,
    audits: Vec<AuditAnswer>,
}

fn fixture() -> Fixture {
    let mut states = BTreeMap::new();
    states.insert(key("A", "W"), waits(20, 7.0));
    states.insert(key("A", "S"), served(19, 20));
    states.insert(key("B", "W"), waits(20, 25.0));
    states.insert(key("B", "S"), served(20, 20));
    states.insert(key("C", "W"), waits(5, 10.0));
    states.insert(key("C", "S"), served(16, 20));
    let audits = vec![
        answer("A", "P1a", Answer::Pass),
        answer("A", "P1b", Answer::Scale(3)),
        answer("A", "E1a", Answer::Points(2.0)),
        answer("A", "E1b", Answer::Pass),
        answer("B", "P1a", Answer::Pass),
        answer("B", "P1b", Answer::Scale(4)),
        answer("B", "E1a", Answer::Points(3.0)),
        answer("B", "E1b", Answer::Pass),
        answer("C", "P1a", Answer::Pass),
        answer("C", "P1b", Answer::NotApplicable),
        answer("C", "E1b", Answer::Fail),
    ];
    Fixture { states, audits }
}

#[test]
fn full_scoring_example_step_by_step() {
    let g = load("mini.toml", GUIDELINE).expect("valid guideline");
    let org = Organisation::from_toml("org.toml", ORG).expect("valid org");
    let f = fixture();
    let inputs = Inputs {
        guideline: &g,
        org: &org,
        scope: "op".into(),
        period: Period::parse("2026-10").expect("period"),
        states: f.states,
        users: BTreeMap::new(),
        audits: f.audits,
    };
    let ev = evaluate(&inputs).expect("evaluates");
    let site = |id: &str| ev.sites.iter().find(|s| s.site == id).expect("site");

    // Site A.
    // W: 20 waits of 7 min → mean 7; lower is better, floor 15, goal 5:
    //    a = (7 − 15) / (5 − 15) = 0.8.
    // S: 19 of 20 served → 95 %; a = (95 − 80) / (100 − 80) = 0.75.
    // Results = 500 × (2 × 0.8 + 1 × 0.75) / 3 = 500 × 2.35 / 3 = 391.666…
    // Audit: P1 = (1 × 1 + 1 × 3/4) / 2 = 0.875; E1 = (1 × 2/3 + 2 × 1) / 3 = 0.888…
    // Management = 500 × (2 × 0.875 + 1 × 0.888…) / 3 = 439.814…
    // Total = 831.481… → L5 (≥ 750); no red line.
    let a = site("A");
    let w = a.lines.iter().find(|l| l.indicator == "W").expect("W");
    assert!(close(w.value.expect("value"), 7.0) && close(w.achievement.expect("a"), 0.8));
    let s = a.lines.iter().find(|l| l.indicator == "S").expect("S");
    assert!(close(s.value.expect("value"), 95.0) && close(s.achievement.expect("a"), 0.75));
    assert!(close(a.results.expect("results"), 500.0 * 2.35 / 3.0));
    let mgmt_a = 500.0 * (2.0 * 0.875 + (2.0 / 3.0 + 2.0) / 3.0) / 3.0;
    assert!(
        close(a.management.expect("management"), mgmt_a),
        "{:?}",
        a.management
    );
    assert!(close(a.total.expect("total"), 500.0 * 2.35 / 3.0 + mgmt_a));
    assert_eq!((a.level, a.red_lines.len()), (Some(5), 0));
    // Clause P1 combines its audit score 0.875 with its evidence (W, a = 0.8): 0.8375.
    let p1 = a.clauses.iter().find(|c| c.id == "P1").expect("P1");
    assert!(close(p1.combined.expect("combined"), 0.8375));

    // Site B: W mean 25 min → a = clamp((25 − 15)/(5 − 15)) = 0, and 25 > hard limit 20
    // → RL-WAIT. S: 20/20 = 100 % → a = 1. Results = 500 × (0 + 1)/3 = 166.666…
    // Every audit item full → management 500. Total 666.666… → L4 uncapped, capped L2.
    let b = site("B");
    assert!(close(b.results.expect("results"), 500.0 / 3.0));
    assert!(close(b.management.expect("management"), 500.0));
    assert_eq!((b.level_uncapped, b.level), (Some(4), Some(2)));
    assert_eq!(b.red_lines, ["RL-WAIT"]);

    // Site C: W has 5 tickets < min sample 10 → not rated (and cannot breach).
    // S: 16/20 = 80 % → a = 0. Results = 500 × (1 × 0)/1 = 0.
    // Audit: P1 = P1a only (P1b N/A) = 1; E1 = E1b fail = 0 (E1a unanswered).
    // Management = 500 × (2 × 1 + 1 × 0)/3 = 333.333…; total 333.333… → L2, veto → L1.
    let c = site("C");
    let cw = c.lines.iter().find(|l| l.indicator == "W").expect("W");
    assert_eq!(cw.status, LineStatus::BelowMinSample);
    assert!(close(c.results.expect("results"), 0.0));
    assert!(close(c.management.expect("management"), 1000.0 / 3.0));
    assert_eq!((c.level_uncapped, c.level), (Some(2), Some(1)));
    assert_eq!(c.red_lines, ["RL-VETO"]);

    // Ranks in the one peer group (hall/standard/urban): A 831 > B 667 > C 333.
    // Percentile = 100 × peers strictly below / (3 − 1): A 100, B 50, C 0.
    assert_eq!((a.rank, b.rank, c.rank), (Some(1), Some(2), Some(3)));
    assert_eq!(
        (a.percentile, b.percentile, c.percentile),
        (Some(100.0), Some(50.0), Some(0.0))
    );
    assert_eq!(a.peers, 3);

    // City roll-up: W merged = (20×7 + 20×25 + 5×10) / 45 = 690 / 45 = 15.333… (count-
    // weighted, not the mean of site means 14); S = (19 + 20 + 16) / 60 = 91.666… %.
    let city = ev.nodes.iter().find(|n| n.node == "c").expect("city");
    let nw = city.lines.iter().find(|l| l.indicator == "W").expect("W");
    assert!(close(nw.value.expect("value"), 690.0 / 45.0) && nw.sample == 45);
    let ns = city.lines.iter().find(|l| l.indicator == "S").expect("S");
    assert!(close(ns.value.expect("value"), 55.0 / 60.0 * 100.0));
    // Node total = mean of its hall totals (only the hall scene weighs): (831.48 + 666.67
    // + 333.33) / 3 = 610.49… → L4.
    let mean = (a.total.expect("a") + b.total.expect("b") + c.total.expect("c")) / 3.0;
    assert!(close(city.total.expect("total"), mean));
    assert_eq!((city.level, city.sites_with_red_lines), (Some(4), 2));
}

/// The same example under the default `scoring.min_coverage` of 0.5 (the mini guideline
/// with that line removed). Site C's W line is below its minimum sample, so only S
/// (weight 1 of 3) is rated: results coverage 1/3 < 0.5 → C is not rated: no total, no
/// level, no rank. Management coverage is not checked first: results are. A and B keep
/// their totals and rank 1 and 2 of 2 rated peers; percentiles 100 and 0.
#[test]
fn too_little_evidence_leaves_a_site_unrated() {
    let text = GUIDELINE.replace("min_coverage = 0.0\n", "");
    assert_ne!(text, GUIDELINE, "the line was removed");
    let g = load("mini.toml", &text).expect("valid guideline");
    let org = Organisation::from_toml("org.toml", ORG).expect("valid org");
    let f = fixture();
    let inputs = Inputs {
        guideline: &g,
        org: &org,
        scope: "op".into(),
        period: Period::parse("2026-10").expect("period"),
        states: f.states,
        users: BTreeMap::new(),
        audits: f.audits,
    };
    let ev = evaluate(&inputs).expect("evaluates");
    let site = |id: &str| ev.sites.iter().find(|s| s.site == id).expect("site");
    let c = site("C");
    assert_eq!((c.total, c.level, c.rank), (None, None, None));
    match &c.not_rated {
        Some(NotRated::Coverage {
            half: Half::Results,
            coverage,
            min,
        }) => assert!(close(*coverage, 1.0 / 3.0) && close(*min, 0.5)),
        other => panic!("C should be not rated for results coverage, got {other:?}"),
    }
    assert_eq!(
        c.not_rated
            .as_ref()
            .map(|r| r.render(yardstick_core::vocab::Lang::En)),
        Some("the results half has evidence for 33% of its points (minimum 50%)".to_string())
    );
    let (a, b) = (site("A"), site("B"));
    assert!(a.not_rated.is_none() && b.not_rated.is_none());
    assert_eq!((a.rank, b.rank, a.peers), (Some(1), Some(2), 2));
    assert_eq!((a.percentile, b.percentile), (Some(100.0), Some(0.0)));
}

#[test]
fn same_inputs_give_the_same_bytes_and_any_change_a_new_fingerprint() {
    let g = load("mini.toml", GUIDELINE).expect("valid guideline");
    let org = Organisation::from_toml("org.toml", ORG).expect("valid org");
    let make = |f: Fixture| Inputs {
        guideline: &g,
        org: &org,
        scope: "op".into(),
        period: Period::parse("2026-10").expect("period"),
        states: f.states,
        users: BTreeMap::new(),
        audits: f.audits,
    };
    let one = serde_json::to_vec(&evaluate(&make(fixture())).expect("one")).expect("json");
    let two = serde_json::to_vec(&evaluate(&make(fixture())).expect("two")).expect("json");
    assert_eq!(one, two);
    let mut changed = fixture();
    changed.audits[1] = answer("A", "P1b", Answer::Scale(2));
    let e1 = evaluate(&make(fixture())).expect("e1");
    let e2 = evaluate(&make(changed)).expect("e2");
    assert_ne!(e1.input_fingerprint, e2.input_fingerprint);
    assert_eq!(e1.guideline_fingerprint, e2.guideline_fingerprint);
    assert_eq!(e1.input_fingerprint.len(), 64);
}

#[test]
fn an_unknown_scope_is_an_error() {
    let g = load("mini.toml", GUIDELINE).expect("valid guideline");
    let org = Organisation::from_toml("org.toml", ORG).expect("valid org");
    let inputs = Inputs {
        guideline: &g,
        org: &org,
        scope: "nowhere".into(),
        period: Period::parse("2026-10").expect("period"),
        states: BTreeMap::new(),
        users: BTreeMap::new(),
        audits: Vec::new(),
    };
    let e = evaluate(&inputs).expect_err("unknown scope");
    assert!(e.to_string().contains("nowhere"));
}

#[test]
fn node_roll_ups_count_node_records_and_rate_only_places_with_users() {
    let extra = r#"
[[indicator]]
id = "AP"
name_zh = "百万用户申诉率"
name_en = "Appeals per million users"
scenes = ["hall", "call_centre", "field_centre"]
kind = "complaint"
filter = "appealed"
measure = { type = "rate_per", per = 1000000 }
unit = "per 1e6 users"
direction = "lower_better"
weight = 0

[[indicator]]
id = "N"
name_zh = "投诉量"
name_en = "Complaints"
scenes = ["hall", "call_centre", "field_centre"]
kind = "complaint"
measure = { type = "count" }
unit = "complaints"
direction = "lower_better"
weight = 0
"#;
    let g = load("mini.toml", &format!("{GUIDELINE}{extra}")).expect("valid guideline");
    let org = Organisation::from_toml("org.toml", ORG).expect("valid org");
    let count = |n: usize| {
        let mut s = MeasureState::new();
        for _ in 0..n {
            s.observe(&Row::new()).expect("count");
        }
        s
    };
    let mut states = BTreeMap::new();
    // Appeals: A 2 (100 000 users), B 5 (no subscriber base), the city itself 1.
    states.insert(key("A", "AP"), count(2));
    states.insert(key("B", "AP"), count(5));
    states.insert(key("c", "AP"), count(1));
    // Complaints: A 10, B 20, filed against the city 3.
    states.insert(key("A", "N"), count(10));
    states.insert(key("B", "N"), count(20));
    states.insert(key("c", "N"), count(3));
    let users = BTreeMap::from([("A".to_string(), 100_000)]);
    let inputs = Inputs {
        guideline: &g,
        org: &org,
        scope: "op".into(),
        period: Period::parse("2026-10").expect("period"),
        states,
        users,
        audits: Vec::new(),
    };
    let ev = evaluate(&inputs).expect("evaluates");
    let city = ev.nodes.iter().find(|n| n.node == "c").expect("city");
    let line = |id: &str| city.lines.iter().find(|l| l.indicator == id).expect("line");
    // Count: 10 + 20 + 3 (the city's own) = 33.
    assert_eq!(line("N").value, Some(33.0));
    // Rate: only A has users, so only A's appeals count: 2 × 1 000 000 ÷ 100 000 = 20
    // (not (2 + 5 + 1) ÷ 100 000 × 10⁶ = 80), sample = 100 000 users.
    assert_eq!((line("AP").value, line("AP").sample), (Some(20.0), 100_000));
    // Site A alone: the same 20 per million; site B has no users: no rate.
    let a = ev.sites.iter().find(|s| s.site == "A").expect("A");
    assert_eq!(
        a.lines
            .iter()
            .find(|l| l.indicator == "AP")
            .and_then(|l| l.value),
        Some(20.0)
    );
    let b = ev.sites.iter().find(|s| s.site == "B").expect("B");
    assert_eq!(
        b.lines
            .iter()
            .find(|l| l.indicator == "AP")
            .and_then(|l| l.value),
        None
    );
}

#[test]
fn not_applicable_where_the_guideline_forbids_it_counts_as_a_failure() {
    let g = load("mini.toml", GUIDELINE).expect("valid guideline");
    let org = Organisation::from_toml("org.toml", ORG).expect("valid org");
    let mut f = fixture();
    // Site A answers the veto item E1b (N/A not allowed) "not applicable": it scores 0, so
    // the veto red line fires and caps A at L1, instead of the item leaving the
    // denominator and A keeping its L5.
    f.audits[3] = answer("A", "E1b", Answer::NotApplicable);
    let inputs = Inputs {
        guideline: &g,
        org: &org,
        scope: "op".into(),
        period: Period::parse("2026-10").expect("period"),
        states: f.states,
        users: BTreeMap::new(),
        audits: f.audits,
    };
    let ev = evaluate(&inputs).expect("evaluates");
    let a = ev.sites.iter().find(|s| s.site == "A").expect("A");
    assert_eq!(a.red_lines, ["RL-VETO"]);
    assert_eq!(a.level, Some(1));
    // E1 = (1 × 2/3 + 2 × 0) / 3 = 2/9.
    let e1 = a.clauses.iter().find(|c| c.id == "E1").expect("E1");
    assert!(close(e1.audit.expect("audit"), 2.0 / 9.0));
}

/// A frozen evaluation is stored as JSON and read back as a typed value: reading it
/// and writing it again gives the same bytes (every float survives the round trip).
#[test]
fn an_evaluation_reads_back_from_its_json_to_the_same_bytes() {
    let g = load("mini.toml", GUIDELINE).expect("valid guideline");
    let org = Organisation::from_toml("org.toml", ORG).expect("valid org");
    let f = fixture();
    let inputs = Inputs {
        guideline: &g,
        org: &org,
        scope: "op".into(),
        period: Period::parse("2026-10").expect("period"),
        states: f.states,
        users: BTreeMap::new(),
        audits: f.audits,
    };
    let ev = evaluate(&inputs).expect("evaluates");
    let json = serde_json::to_string(&ev).expect("json");
    let back: yardstick_core::evaluate::Evaluation =
        serde_json::from_str(&json).expect("reads back");
    assert_eq!(back, ev);
    assert_eq!(serde_json::to_string(&back).expect("json"), json);
}

/// The weakest-indicator rule of every summary: rated lines below achievement 0.5,
/// lowest first. Site B: W achievement 0 (mean wait 25 min against floor 15, goal 5),
/// S achievement 1 → [W]. Site A: W 0.8 and S 0.75, both ≥ 0.5 → none.
#[test]
fn the_weakest_lines_are_the_rated_ones_below_half_achievement() {
    let g = load("mini.toml", GUIDELINE).expect("valid guideline");
    let org = Organisation::from_toml("org.toml", ORG).expect("valid org");
    let f = fixture();
    let inputs = Inputs {
        guideline: &g,
        org: &org,
        scope: "op".into(),
        period: Period::parse("2026-10").expect("period"),
        states: f.states,
        users: BTreeMap::new(),
        audits: f.audits,
    };
    let ev = evaluate(&inputs).expect("evaluates");
    let site = |id: &str| ev.sites.iter().find(|s| s.site == id).expect("site");
    let weak: Vec<&str> = site("B")
        .weakest(3)
        .iter()
        .map(|l| l.indicator.as_str())
        .collect();
    assert_eq!(weak, ["W"]);
    assert!(site("A").weakest(3).is_empty());
}
