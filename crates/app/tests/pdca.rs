//! The improvement loop through the application, on each metadata backend: a frozen
//! evaluation opens a finding for a line below its floor (once, however often it is
//! found again); an action on it is verified effective by the data after two periods
//! met, another reopened and escalated after a period missed; a late action escalates
//! one node up, then one more each `escalate_every_days`; audit plans overdue.

mod common;

use chrono::NaiveDate;
use common::{TestWorkspace, import_small_org, ingest, ticket, tickets};
use yardstick_app::access::{Grant, Principal, Role};
use yardstick_app::audit::plans::{NewPlanRequest, PlanStatus};
use yardstick_app::audit::{AnswerInput, NewAuditRequest};
use yardstick_app::evaluate::{EvaluateRequest, GuidelineChoice};
use yardstick_app::pdca::actions::NewActionRequest;
use yardstick_app::pdca::{FindingQuery, ManualFinding};
use yardstick_app::{Actor, ErrorKind, Workspace};
use yardstick_core::audit::AuditKind;
use yardstick_core::evaluate::Answer;
use yardstick_core::pdca::{EscalationReason, FindingSource, RootCause, Severity, Stage};
use yardstick_core::records::RecordKind;

/// The hand-worked guideline of core's tests (see `tests/audits.rs`): indicator W, the
/// mean wait of a hall, floor 15 minutes, goal 5, hard limit 20; minimum sample 10.
const MINI: &str = include_str!("../../core/tests/data/mini_guideline.toml");

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

async fn user(ws: &Workspace, login: &str, role: Role, scope: &str) -> Actor {
    let grant = Grant {
        role,
        scope: scope.to_string(),
    };
    ws.add_user(
        &Actor::System,
        login,
        &[grant],
        Some("correct horse battery"),
    )
    .await
    .expect("user added");
    let token = ws
        .create_token(&Actor::System, login, "tests", Some(1))
        .await
        .expect("token");
    let p: Principal = ws
        .token_principal(&token.token, None)
        .await
        .expect("token read")
        .expect("a live token");
    Actor::User(p)
}

/// Ten served tickets of `site` on the 5th of `month` (`2026-08`), each waiting `wait`.
async fn month(tw: &TestWorkspace, site: &str, month: &str, wait: u32) {
    let rows: Vec<String> = (0..10)
        .map(|i| {
            ticket(
                site,
                &format!("{site}-{month}-{i}"),
                &format!("{month}-05"),
                9,
                5 * i,
                wait,
            )
        })
        .collect();
    ingest(
        &tw.ws,
        RecordKind::HallTicket,
        &tw.write(&format!("{site}-{month}.csv"), &tickets(&rows)),
        false,
    )
    .await
    .expect("tickets");
}

fn freeze(label: &str) -> EvaluateRequest {
    EvaluateRequest {
        guideline: GuidelineChoice::Text {
            name: "mini.toml".into(),
            text: MINI.into(),
        },
        ..common::request(label, Some("p1"), true)
    }
}

fn action(finding: i64, owner: &str) -> NewActionRequest {
    NewActionRequest {
        finding,
        owner: owner.into(),
        root_cause: RootCause::Process,
        five_whys: "waits long → too few counters open at 9 → roster starts at 9:30".into(),
        plan: "start the morning shift at 8:45".into(),
        // Far ahead: the check run by each freeze uses today's date.
        due: Some(day("2099-12-31")),
        on: Some(day("2026-08-31")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_are_verified_by_the_data_or_reopened_and_escalated() {
    for tw in common::workspaces().await {
        let ws = &tw.ws;
        import_small_org(ws).await;
        let qm = user(ws, "qm", Role::QualityManager, "p1").await;
        let _c1_qm = user(ws, "qmc1", Role::QualityManager, "c1").await;
        let sm = user(ws, "sm", Role::SiteManager, "c1").await;
        // August: h1 and h2 wait 18 minutes, below W's floor of 15 (lower is better) but
        // within the hard limit of 20: one major finding each, dated 31 August, due 30
        // days later (the built-in `due_days.major`): 30 September.
        month(&tw, "h1", "2026-08", 18).await;
        month(&tw, "h2", "2026-08", 18).await;
        let aug = common::evaluate(ws, &qm, freeze("2026-08"))
            .await
            .expect("August");
        assert_eq!(aug.raised.expect("raised").opened.len(), 2, "{tw:?}");
        let found = ws
            .findings(&qm, &FindingQuery::default(), day("2026-09-01"))
            .await
            .expect("findings");
        let of = |site: &str| {
            found
                .iter()
                .find(|f| f.finding.site == site)
                .map(|f| f.finding.clone())
                .expect("finding")
        };
        let (f1, f2) = (of("h1"), of("h2"));
        for f in [&f1, &f2] {
            assert_eq!(
                (f.source, f.severity, f.subject.as_str(), f.due_on),
                (
                    FindingSource::IndicatorFloor,
                    Severity::Major,
                    "W",
                    day("2026-09-30")
                ),
                "{tw:?}"
            );
        }
        // Both sites act at once: planned, started and done on 31 August.
        let mut ids = Vec::new();
        for f in [&f1, &f2] {
            let a = ws
                .add_action(&sm, &action(f.id, "sm"))
                .await
                .expect("action");
            ws.start_action(&sm, a.action.id, Some(day("2026-08-31")))
                .await
                .expect("started");
            let done = ws
                .done_action(&sm, a.action.id, Some(day("2026-08-31")))
                .await
                .expect("done");
            assert_eq!(done.state.stage, Stage::Check, "{tw:?}");
            ids.push(a.action.id);
        }
        // September: h1 waits 7 (meets the floor), h2 still 18 (misses it). h1 has one
        // period of the two it needs: pending. h2 missed: not effective, back to Plan,
        // escalated to the next node up, city c1 (its quality manager qmc1).
        month(&tw, "h1", "2026-09", 7).await;
        month(&tw, "h2", "2026-09", 18).await;
        let sep = common::evaluate(ws, &qm, freeze("2026-09"))
            .await
            .expect("September");
        let raised = sep.raised.expect("raised");
        assert_eq!(raised.repeated, [f2.id], "{tw:?}: h2's finding found again");
        assert!(raised.opened.is_empty(), "{tw:?}");
        let checked = sep.checked.expect("checked");
        assert_eq!(
            checked
                .verified
                .iter()
                .map(|(a, ok, _)| (*a, *ok))
                .collect::<Vec<_>>(),
            [(ids[1], false)],
            "{tw:?}"
        );
        assert_eq!(
            checked.escalated,
            [(ids[1], "c1".to_string(), EscalationReason::Ineffective)],
            "{tw:?}"
        );
        let a2 = ws
            .action(&qm, ids[1], day("2026-10-01"))
            .await
            .expect("action");
        assert_eq!(a2.state.stage, Stage::Plan, "{tw:?}: reopened");
        // October: h1 waits 7 again: two periods met in a row, effective; the action
        // moves to Act and h1's finding closes. h2's stays open.
        month(&tw, "h1", "2026-10", 7).await;
        month(&tw, "h2", "2026-10", 18).await;
        let oct = common::evaluate(ws, &qm, freeze("2026-10"))
            .await
            .expect("October");
        let checked = oct.checked.expect("checked");
        assert_eq!(
            checked
                .verified
                .iter()
                .map(|(a, ok, _)| (*a, *ok))
                .collect::<Vec<_>>(),
            [(ids[0], true)],
            "{tw:?}"
        );
        assert_eq!(checked.closed, [f1.id], "{tw:?}");
        let a1 = ws
            .action(&qm, ids[0], day("2026-11-01"))
            .await
            .expect("action");
        assert_eq!(a1.state.stage, Stage::Act, "{tw:?}");
        let open = ws
            .findings(
                &qm,
                &FindingQuery {
                    open_only: true,
                    ..FindingQuery::default()
                },
                day("2026-11-01"),
            )
            .await
            .expect("open findings");
        assert_eq!(
            open.iter().map(|f| f.finding.id).collect::<Vec<_>>(),
            [f2.id],
            "{tw:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_action_escalates_one_node_up_then_one_more_every_fourteen_days() {
    for tw in common::workspaces().await {
        let ws = &tw.ws;
        import_small_org(ws).await;
        let qm = user(ws, "qm", Role::QualityManager, "op").await;
        let f = ws
            .raise_finding(
                &qm,
                &ManualFinding {
                    site: "h3".into(),
                    subject: "queue-screen".into(),
                    title: "queue screen dark".into(),
                    note: "the queue screen was off all morning".into(),
                    severity: Severity::Minor,
                    clause: None,
                    on: Some(day("2026-11-01")),
                },
            )
            .await
            .expect("raised by hand");
        // Minor: due 60 days after 1 November = 31 December.
        assert_eq!(f.finding.due_on, day("2026-12-31"), "{tw:?}");
        let a = ws
            .add_action(
                &qm,
                &NewActionRequest {
                    due: Some(day("2026-11-10")),
                    on: Some(day("2026-11-02")),
                    ..action(f.finding.id, "qm")
                },
            )
            .await
            .expect("action");
        let id = a.action.id;
        // On its due day it is not late; the day after it is: h3's parent, city c2.
        let r = ws
            .check_actions(&qm, day("2026-11-10"))
            .await
            .expect("check");
        assert!(r.escalated.is_empty(), "{tw:?}");
        let r = ws
            .check_actions(&qm, day("2026-11-11"))
            .await
            .expect("check");
        assert_eq!(
            r.escalated,
            [(id, "c2".to_string(), EscalationReason::Overdue)],
            "{tw:?}"
        );
        // 13 days later nothing more; 14 days later (25 November) one node up: p1.
        let r = ws
            .check_actions(&qm, day("2026-11-24"))
            .await
            .expect("check");
        assert!(r.escalated.is_empty(), "{tw:?}");
        let r = ws
            .check_actions(&qm, day("2026-11-25"))
            .await
            .expect("check");
        assert_eq!(
            r.escalated,
            [(id, "p1".to_string(), EscalationReason::Overdue)],
            "{tw:?}"
        );
        // Only a quality manager (or admin) runs the check.
        let viewer = user(ws, "vic", Role::Viewer, "op").await;
        let err = ws
            .check_actions(&viewer, day("2026-11-25"))
            .await
            .expect_err("a viewer");
        assert_eq!(err.kind(), ErrorKind::Forbidden, "{tw:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planned_audit_not_done_in_its_window_is_overdue() {
    for tw in common::workspaces().await {
        let ws = &tw.ws;
        import_small_org(ws).await;
        let qm = user(ws, "qm", Role::QualityManager, "p1").await;
        let eva = user(ws, "eva", Role::Evaluator, "c1").await;
        let plan = |site: &str, from: &str, to: &str| NewPlanRequest {
            site: site.into(),
            kind: AuditKind::MysteryShopper,
            evaluator: "eva".into(),
            due_from: day(from),
            due_to: day(to),
            note: String::new(),
        };
        ws.plan_audit(&qm, &plan("h1", "2026-10-01", "2026-12-31"))
            .await
            .expect("planned");
        ws.plan_audit(&qm, &plan("h2", "2026-07-01", "2026-09-30"))
            .await
            .expect("planned");
        let err = ws
            .plan_audit(&qm, &plan("h2", "2026-09-30", "2026-07-01"))
            .await
            .expect_err("window backwards");
        assert_eq!(err.kind(), ErrorKind::Input, "{tw:?}");
        // On 1 October the h2 visit (due by 30 September) is one day overdue; h1's is
        // open.
        let status = |plans: &[yardstick_app::audit::plans::PlanView]| {
            let mut s: Vec<(String, PlanStatus)> =
                plans.iter().map(|p| (p.site.clone(), p.status)).collect();
            s.sort_by(|a, b| a.0.cmp(&b.0));
            s
        };
        let plans = ws.audit_plans(&qm, day("2026-10-01")).await.expect("plans");
        assert_eq!(
            status(&plans),
            [
                ("h1".to_string(), PlanStatus::Open),
                ("h2".to_string(), PlanStatus::Overdue { days_late: 1 })
            ],
            "{tw:?}"
        );
        // The evaluator sees its own assignments, marked as its own.
        let mine = ws
            .audit_plans(&eva, day("2026-10-01"))
            .await
            .expect("plans");
        assert!(mine.iter().all(|p| p.mine), "{tw:?}");
        // A signed mystery-shopper audit of h1 by eva in the window does the h1 plan.
        let audit = ws
            .record_audit(
                &eva,
                &NewAuditRequest {
                    site: "h1".into(),
                    kind: AuditKind::MysteryShopper,
                    date: day("2026-10-15"),
                    evaluator: "eva".into(),
                    guideline: GuidelineChoice::Text {
                        name: "mini.toml".into(),
                        text: MINI.into(),
                    },
                    plan: Some(plans.iter().find(|p| p.site == "h1").expect("h1").id),
                },
                &[AnswerInput {
                    item: "P1a".into(),
                    answer: Answer::Pass,
                    comment: String::new(),
                }],
                true,
            )
            .await
            .expect("signed");
        let plans = ws.audit_plans(&qm, day("2026-10-20")).await.expect("plans");
        assert_eq!(
            status(&plans),
            [
                ("h1".to_string(), PlanStatus::Done { audit: audit.id }),
                ("h2".to_string(), PlanStatus::Overdue { days_late: 20 })
            ],
            "{tw:?}"
        );
    }
}
