//! The management half and the improvement loop, worked by hand on the small guideline
//! of `data/mini_guideline.toml` (two dimensions: people weight 2 with clause P1 = P1a
//! pass/fail + P1b 0–4 with N/A; environment weight 1 with clause E1 = E1a points of 3
//! + E1b pass/fail of weight 2, a veto; RL-VETO caps at L1; levels 300/450/600/750).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use yardstick_core::audit::{AuditKind, AuditRule, SignedAudit, counted_answers, select};
use yardstick_core::evaluate::{Answer, Evaluation, Inputs, StateKey, evaluate};
use yardstick_core::guideline::{Guideline, load};
use yardstick_core::measure::{MeasureState, Row};
use yardstick_core::org::Organisation;
use yardstick_core::pdca::{
    ActionError, ActionEvent, ActionState, ClusterCounts, ClusterRule, EscalationReason, Evidence,
    FindingSource, PdcaRule, Severity, Stage, Verdict, detect_clusters, detect_items,
    detect_trends, escalation_node, verdict,
};
use yardstick_core::period::Period;

const GUIDELINE: &str = include_str!("data/mini_guideline.toml");
const ORG: &str = include_str!("data/mini_org.toml");

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

fn setup() -> (Guideline, Organisation) {
    (
        load("mini.toml", GUIDELINE).expect("guideline"),
        Organisation::from_toml("org.toml", ORG).expect("org"),
    )
}

fn audit(id: i64, site: &str, kind: AuditKind, answers: &[(&str, Answer)]) -> SignedAudit {
    SignedAudit {
        id,
        site: site.into(),
        kind,
        date: day("2026-09-15"),
        amends: None,
        answers: answers
            .iter()
            .map(|(i, a)| ((*i).to_string(), *a))
            .collect(),
    }
}

/// On-site inspections weigh 3, self-assessments 1.
fn rule() -> AuditRule {
    AuditRule {
        look_back_days: 183,
        weights: BTreeMap::from([(AuditKind::OnSite, 3.0), (AuditKind::SelfAssessment, 1.0)]),
    }
}

fn evaluate_audits(g: &Guideline, org: &Organisation, audits: &[SignedAudit]) -> Evaluation {
    let period = Period::parse("2026-10").expect("period");
    let rule = rule();
    let selected = select(&rule, &period, audits);
    let inputs = Inputs {
        guideline: g,
        org,
        scope: "op".into(),
        period,
        states: BTreeMap::new(),
        users: BTreeMap::new(),
        audits: counted_answers(&rule, &selected),
    };
    evaluate(&inputs).expect("evaluates")
}

/// Clause scores with N/A items, from two audits of different weight.
///
/// Site A — on-site (weight 3): P1a pass, P1b N/A, E1a 3 of 3, E1b pass;
///          self-assessment (weight 1): P1a fail, P1b 2 of 4, E1a 1.5 of 3.
/// - P1a = (3 × 1 + 1 × 0) / 4 = 0.75.
/// - P1b: the on-site N/A leaves its mean (N/A is allowed); the self-assessment's 2/4 →
///   0.5.
/// - P1 = (1 × 0.75 + 1 × 0.5) / 2 = 0.625.
/// - E1a = (3 × 1 + 1 × 0.5) / 4 = 0.875; E1b = 1 (on-site only).
/// - E1 = (1 × 0.875 + 2 × 1) / 3 = 0.958333…
/// - Management = 500 × (2 × 0.625 + 1 × 0.958333…) / 3 = 368.0555…; no results half,
///   so the total is the management half scaled to 1000: 736.111… → L4 (600–750).
///
/// Site C — on-site only: P1a pass, P1b N/A, E1a 0, E1b pass. P1b is N/A in every
/// counted audit, so it leaves P1's denominator: P1 = 1. E1 = (1 × 0 + 2 × 1) / 3 =
/// 0.666…; management = 500 × (2 + 0.666…) / 3 = 444.444….
#[test]
fn clause_scores_leave_na_items_out_and_weigh_audits_by_kind() {
    let (g, org) = setup();
    let ev = evaluate_audits(
        &g,
        &org,
        &[
            audit(
                1,
                "A",
                AuditKind::OnSite,
                &[
                    ("P1a", Answer::Pass),
                    ("P1b", Answer::NotApplicable),
                    ("E1a", Answer::Points(3.0)),
                    ("E1b", Answer::Pass),
                ],
            ),
            audit(
                2,
                "A",
                AuditKind::SelfAssessment,
                &[
                    ("P1a", Answer::Fail),
                    ("P1b", Answer::Scale(2)),
                    ("E1a", Answer::Points(1.5)),
                ],
            ),
            audit(
                3,
                "C",
                AuditKind::OnSite,
                &[
                    ("P1a", Answer::Pass),
                    ("P1b", Answer::NotApplicable),
                    ("E1a", Answer::Points(0.0)),
                    ("E1b", Answer::Pass),
                ],
            ),
        ],
    );
    let a = ev.sites.iter().find(|s| s.site == "A").expect("A");
    let clause = |s: &yardstick_core::evaluate::SiteResult, id: &str| {
        s.clauses
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.audit)
            .expect("clause scored")
    };
    assert!(close(clause(a, "P1"), 0.625));
    assert!(close(clause(a, "E1"), 2.875 / 3.0));
    let mgmt = 500.0 * (2.0 * 0.625 + 2.875 / 3.0) / 3.0;
    assert!(
        close(a.management.expect("management"), mgmt),
        "{:?}",
        a.management
    );
    assert!(close(a.management_coverage, 1.0));
    assert!(close(a.total.expect("total"), mgmt * 2.0));
    assert_eq!(a.level, Some(4));
    // The evaluation names the audits that counted, on-site first.
    let counted: Vec<(i64, AuditKind, f64)> =
        a.audits.iter().map(|c| (c.id, c.kind, c.weight)).collect();
    assert_eq!(
        counted,
        [
            (1, AuditKind::OnSite, 3.0),
            (2, AuditKind::SelfAssessment, 1.0)
        ]
    );
    let c = ev.sites.iter().find(|s| s.site == "C").expect("C");
    assert!(close(clause(c, "P1"), 1.0));
    assert!(close(
        c.management.expect("management"),
        500.0 * (2.0 + 2.0 / 3.0) / 3.0
    ));
    // Site B had no audit: no management half, no counted audits.
    let b = ev.sites.iter().find(|s| s.site == "B").expect("B");
    assert_eq!((b.management, b.audits.len()), (None, 0));
}

/// A veto failed by one counted audit caps the level, even when another passes it.
///
/// Site B — on-site: everything full marks; self-assessment: E1b fail.
/// - E1b = (3 × 1 + 1 × 0) / 4 = 0.75; E1 = (1 × 1 + 2 × 0.75) / 3 = 0.8333…
/// - Management = 500 × (2 × 1 + 0.8333…) / 3 = 472.222…; total 944.444… → L5
///   uncapped; the failed veto hits RL-VETO (cap L1) → L1.
#[test]
fn a_failed_veto_caps_the_level() {
    let (g, org) = setup();
    let ev = evaluate_audits(
        &g,
        &org,
        &[
            audit(
                1,
                "B",
                AuditKind::OnSite,
                &[
                    ("P1a", Answer::Pass),
                    ("P1b", Answer::Scale(4)),
                    ("E1a", Answer::Points(3.0)),
                    ("E1b", Answer::Pass),
                ],
            ),
            audit(2, "B", AuditKind::SelfAssessment, &[("E1b", Answer::Fail)]),
        ],
    );
    let b = ev.sites.iter().find(|s| s.site == "B").expect("B");
    let mgmt = 500.0 * (2.0 + 2.5 / 3.0) / 3.0;
    assert!(close(b.management.expect("management"), mgmt));
    assert!(close(b.total.expect("total"), 2.0 * mgmt));
    assert_eq!((b.level_uncapped, b.level), (Some(5), Some(1)));
    assert_eq!(b.red_lines, ["RL-VETO"]);

    // The same answers raise findings: the veto at the highest severity. P1a, P1b and
    // E1a score 1: nothing else failed.
    let rule = rule();
    let period = Period::parse("2026-10").expect("period");
    let audits = [
        audit(
            4,
            "C",
            AuditKind::OnSite,
            &[("P1a", Answer::Fail), ("P1b", Answer::Scale(2))],
        ),
        audit(5, "B", AuditKind::SelfAssessment, &[("E1b", Answer::Fail)]),
        audit(
            6,
            "B",
            AuditKind::OnSite,
            &[("E1b", Answer::Pass), ("P1a", Answer::Pass)],
        ),
    ];
    let answers = counted_answers(&rule, &select(&rule, &period, &audits));
    let found = detect_items(
        &g,
        &org,
        &PdcaRule::built_in(),
        &answers,
        day("2026-10-31"),
        "2026-10",
    );
    let summary: Vec<(&str, &str, Severity)> = found
        .iter()
        .map(|d| (d.site.as_str(), d.subject.as_str(), d.severity))
        .collect();
    // C: P1a fails (0 < 0.5); P1b scores 2/4 = 0.5, not below 0.5. B: E1b is a veto
    // failed by the self-assessment although the on-site audit passes it (0.75 overall).
    assert_eq!(
        summary,
        [
            ("B", "E1b", Severity::Critical),
            ("C", "P1a", Severity::Minor)
        ]
    );
    assert_eq!(
        found[0].evidence,
        Evidence::Item {
            answers: vec![(6, "pass".into()), (5, "fail".into())],
            score: 0.75
        }
    );
}

fn waits(n: usize, minutes: f64) -> MeasureState {
    let mut s = MeasureState::new();
    for _ in 0..n {
        s.observe(&Row::new().with_value(minutes)).expect("finite");
    }
    s
}

/// Four months of mean waits (W, lower is better, floor 15): A worsens every month
/// (6 → 7 → 8 → 9 min), B does not (6 → 7 → 6 → 9). With three falls required, A's
/// line is a trend and B's is not; a history one month short judges nothing.
#[test]
fn an_indicator_worse_three_periods_in_a_row_is_a_trend() {
    let (g, org) = setup();
    let months = ["2026-07", "2026-08", "2026-09", "2026-10"];
    let (a, b) = ([6.0, 7.0, 8.0, 9.0], [6.0, 7.0, 6.0, 9.0]);
    let evs: Vec<Evaluation> = months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let key = |site: &str| StateKey {
                site: site.into(),
                indicator: "W".into(),
                stratum: String::new(),
            };
            let states = BTreeMap::from([(key("A"), waits(20, a[i])), (key("B"), waits(20, b[i]))]);
            evaluate(&Inputs {
                guideline: &g,
                org: &org,
                scope: "op".into(),
                period: Period::parse(m).expect("period"),
                states,
                users: BTreeMap::new(),
                audits: Vec::new(),
            })
            .expect("evaluates")
        })
        .collect();
    let history: Vec<&Evaluation> = evs.iter().collect();
    let found = detect_trends(&g, &history, 3);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].site.as_str(), found[0].subject.as_str()),
        ("A", "W")
    );
    assert_eq!(found[0].source, FindingSource::Trend);
    assert_eq!(found[0].on, day("2026-10-31"));
    assert!(detect_trends(&g, &history[1..], 3).is_empty());
}

/// Five complaints of one class within seven days make a cluster.
///
/// A, user_service: 2 on 1 Oct, 1 on 3 Oct, 2 on 5 Oct, 1 on 20 Oct. The window of
/// seven days ending 5 Oct (29 Sep – 5 Oct) holds 2 + 1 + 2 = 5 — the first window to
/// reach the most (windows ending 6 and 7 Oct hold 5 too, later). B, billing: 4 within
/// three days — below 5.
#[test]
fn five_complaints_of_a_class_within_seven_days_are_a_cluster() {
    let mut counts = ClusterCounts::new();
    counts.insert(
        ("A".into(), "user_service".into()),
        BTreeMap::from([
            (day("2026-10-01"), 2),
            (day("2026-10-03"), 1),
            (day("2026-10-05"), 2),
            (day("2026-10-20"), 1),
        ]),
    );
    counts.insert(
        ("B".into(), "billing".into()),
        BTreeMap::from([(day("2026-10-10"), 2), (day("2026-10-12"), 2)]),
    );
    let rule = ClusterRule {
        complaints: 5,
        days: 7,
        clause: Some("P1".into()),
    };
    let found = detect_clusters(
        &rule,
        &counts,
        day("2026-10-01"),
        day("2026-10-31"),
        "2026-10",
    );
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].evidence,
        Evidence::Complaints {
            class: "user_service".into(),
            count: 5,
            from: day("2026-09-29"),
            to: day("2026-10-05")
        }
    );
    assert_eq!(
        (found[0].site.as_str(), found[0].severity),
        ("A", Severity::Major)
    );
}

fn planned(on: &str, due: &str) -> ActionEvent {
    ActionEvent::Planned {
        on: day(on),
        due: day(due),
    }
}

/// Two actions done on 20 July, checked against the floor over the months after
/// (verify_periods = 2):
/// - the first meets it in August and September: after August the verdict is still
///   pending (one period of two), after September effective → Act, then standardised →
///   closed;
/// - the second meets it in August but not in September: not effective → back to Plan,
///   reopened once, with the new due date, and escalated to the site's city (`c`).
#[test]
fn an_action_is_verified_effective_after_two_periods_and_another_reopened() {
    let (_, org) = setup();
    let start = [
        planned("2026-07-01", "2026-07-31"),
        ActionEvent::Started {
            on: day("2026-07-02"),
        },
        ActionEvent::Done {
            on: day("2026-07-20"),
        },
    ];
    let s = ActionState::fold(&start).expect("folds");
    assert_eq!(
        (s.stage, s.done_on),
        (Stage::Check, Some(day("2026-07-20")))
    );

    assert_eq!(verdict(&[true], 2), Verdict::Pending);
    assert_eq!(verdict(&[true, true], 2), Verdict::Effective);
    let effective = s
        .apply(&ActionEvent::Verified {
            on: day("2026-10-05"),
            effective: true,
            basis: "2026-08 92.1 ≥ 90; 2026-09 93.4 ≥ 90".into(),
            due: None,
        })
        .expect("verified");
    assert_eq!(
        (effective.stage, effective.effective),
        (Stage::Act, Some(true))
    );
    let closed = effective
        .apply(&ActionEvent::Standardised {
            on: day("2026-10-06"),
            note: "dispatch by deadline written into the procedure".into(),
        })
        .expect("standardised");
    assert_eq!(closed.stage, Stage::Closed);

    assert_eq!(verdict(&[true, false], 2), Verdict::NotEffective);
    // One failed period decides at once, even before the second is known.
    assert_eq!(verdict(&[false], 2), Verdict::NotEffective);
    let reopened = s
        .apply(&ActionEvent::Verified {
            on: day("2026-10-05"),
            effective: false,
            basis: "2026-09 84.0 < 90".into(),
            due: Some(day("2026-11-04")),
        })
        .expect("verified");
    assert_eq!(
        (
            reopened.stage,
            reopened.reopened,
            reopened.due,
            reopened.done_on
        ),
        (Stage::Plan, 1, day("2026-11-04"), None)
    );
    assert_eq!(
        escalation_node(&org, "A", reopened.escalations + 1).as_deref(),
        Some("c")
    );
    let escalated = reopened
        .apply(&ActionEvent::Escalated {
            on: day("2026-10-05"),
            node: "c".into(),
            reason: EscalationReason::Ineffective,
            managers: vec!["qm-c".into()],
        })
        .expect("escalated");
    assert_eq!((escalated.stage, escalated.escalations), (Stage::Plan, 1));
}

/// An action due 30 June, still in Do on 1 July, is overdue and escalates to the city;
/// it escalates again only 14 days later (15 July), to the province; the operator is as
/// high as it goes.
#[test]
fn an_overdue_action_escalates_one_level_up_at_a_time() {
    let (_, org) = setup();
    let s = ActionState::fold(&[
        planned("2026-06-01", "2026-06-30"),
        ActionEvent::Started {
            on: day("2026-06-05"),
        },
    ])
    .expect("folds");
    assert!(!s.overdue(day("2026-06-30")));
    assert!(s.overdue(day("2026-07-01")));
    assert!(s.escalation_due(day("2026-07-01"), 14));
    let level = s.escalations + 1;
    assert_eq!(escalation_node(&org, "A", level).as_deref(), Some("c"));
    let s = s
        .apply(&ActionEvent::Escalated {
            on: day("2026-07-01"),
            node: "c".into(),
            reason: EscalationReason::Overdue,
            managers: Vec::new(),
        })
        .expect("escalated");
    assert!(!s.escalation_due(day("2026-07-14"), 14));
    assert!(s.escalation_due(day("2026-07-15"), 14));
    assert_eq!(
        escalation_node(&org, "A", s.escalations + 1).as_deref(),
        Some("p")
    );
    assert_eq!(escalation_node(&org, "A", 3).as_deref(), Some("op"));
    assert_eq!(escalation_node(&org, "A", 9).as_deref(), Some("op"));
    assert_eq!(escalation_node(&org, "nowhere", 1), None);
}

/// Events follow the stages and never go back in time.
#[test]
fn events_out_of_order_are_refused() {
    let s = ActionState::fold(&[planned("2026-06-01", "2026-06-30")]).expect("folds");
    assert_eq!(
        s.apply(&ActionEvent::Done {
            on: day("2026-06-02")
        }),
        Err(ActionError::WrongStage {
            event: "done",
            stage: "plan"
        })
    );
    assert_eq!(
        s.apply(&ActionEvent::Started {
            on: day("2026-05-31")
        }),
        Err(ActionError::BeforePrevious {
            on: day("2026-05-31"),
            last: day("2026-06-01")
        })
    );
    assert_eq!(
        ActionState::fold(&[ActionEvent::Started {
            on: day("2026-06-01")
        }]),
        Err(ActionError::NotPlanned)
    );
}
