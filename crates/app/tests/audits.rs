//! Audits through the application, on each metadata backend: the steps of an audit and
//! who may take them, a signed audit refusing change, a correction as a new version, the
//! management half scored from the signed audits that count, a failed veto item capping
//! the level and raising one finding (found again, not twice, when the evaluation is
//! frozen), and the Excel round trip with every bad answer named by sheet, row and
//! column.

mod common;

use chrono::NaiveDate;
use common::{TestWorkspace, import_small_org, ingest, ticket, tickets};
use yardstick_app::access::{Grant, Principal, Role};
use yardstick_app::audit::excel::{ImportAudit, template_bytes};
use yardstick_app::audit::{AnswerInput, AuditQuery, NewAuditRequest};
use yardstick_app::evaluate::{EvaluateRequest, GuidelineChoice};
use yardstick_app::pdca::FindingQuery;
use yardstick_app::{Actor, ErrorKind, Workspace};
use yardstick_core::audit::{AuditKind, AuditState, Response};
use yardstick_core::evaluate::Answer;
use yardstick_core::pdca::{FindingSource, Severity};
use yardstick_core::records::RecordKind;
use yardstick_core::vocab::Lang;

/// The hand-worked guideline of core's tests: clauses P1 (people: P1a pass/fail, P1b
/// 0–4 with N/A) and E1 (environment: E1a points of 3, E1b pass/fail of weight 2, veto);
/// dimensions people (weight 2) and environment (1); indicators W (mean wait, floor 15,
/// goal 5) and S (served share, floor 80, goal 100); 500 points each half.
const MINI: &str = include_str!("../../core/tests/data/mini_guideline.toml");

fn mini() -> GuidelineChoice {
    GuidelineChoice::Text {
        name: "mini.toml".into(),
        text: MINI.into(),
    }
}

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

fn answer(item: &str, answer: Answer) -> AnswerInput {
    AnswerInput {
        item: item.into(),
        answer,
        comment: String::new(),
    }
}

/// P1a pass, P1b 2 of 4, E1a 3 of 3 points, E1b as given.
fn answers(e1b: Answer) -> Vec<AnswerInput> {
    vec![
        answer("P1a", Answer::Pass),
        answer("P1b", Answer::Scale(2)),
        answer("E1a", Answer::Points(3.0)),
        answer("E1b", e1b),
    ]
}

fn on_site(site: &str, date: &str, evaluator: &str) -> NewAuditRequest {
    NewAuditRequest {
        site: site.into(),
        kind: AuditKind::OnSite,
        date: day(date),
        evaluator: evaluator.into(),
        guideline: mini(),
        plan: None,
    }
}

struct People {
    qm: Actor,
    eva: Actor,
    other_eva: Actor,
    h1_manager: Actor,
}

async fn people(ws: &Workspace) -> People {
    People {
        qm: user(ws, "qm", Role::QualityManager, "p1").await,
        eva: user(ws, "eva", Role::Evaluator, "c1").await,
        other_eva: user(ws, "otto", Role::Evaluator, "c1").await,
        h1_manager: user(ws, "sm1", Role::SiteManager, "h1").await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_goes_draft_submitted_signed_and_a_signed_audit_never_changes() {
    for tw in common::workspaces().await {
        let ws = &tw.ws;
        import_small_org(ws).await;
        let p = people(ws).await;
        let draft = ws
            .create_audit(&p.eva, &on_site("h1", "2026-10-10", "eva"))
            .await
            .expect("the evaluator creates its own audit");
        assert_eq!(draft.state, AuditState::Draft, "{tw:?}");
        // An evaluator may not create an audit assigned to another.
        let err = ws
            .create_audit(&p.eva, &on_site("h1", "2026-10-10", "otto"))
            .await
            .expect_err("not its own");
        assert_eq!(err.kind(), ErrorKind::Forbidden, "{tw:?}");
        // A bad answer is named, and nothing is stored: P1b has grades 0–4.
        let err = ws
            .answer_audit(&p.eva, draft.id, &[answer("P1b", Answer::Scale(7))])
            .await
            .expect_err("grade 7");
        assert_eq!(err.kind(), ErrorKind::Input, "{tw:?}");
        let text = err.render(Lang::En);
        assert!(text.contains("1 answer(s) are invalid"), "{tw:?}: {text}");
        let v = ws
            .answer_audit(&p.eva, draft.id, &answers(Answer::Pass))
            .await
            .expect("answered");
        assert_eq!(v.answers.len(), 4, "{tw:?}");
        assert!(v.missing.is_empty(), "{tw:?}: {:?}", v.missing);
        // Another evaluator does not see it at all.
        let err = ws
            .audit(&p.other_eva, draft.id)
            .await
            .expect_err("not theirs");
        assert_eq!(err.kind(), ErrorKind::NotFound, "{tw:?}");
        // Signing needs a submitted audit.
        let err = ws.sign_audit(&p.eva, draft.id).await.expect_err("a draft");
        assert_eq!(err.kind(), ErrorKind::Conflict, "{tw:?}");
        ws.submit_audit(&p.eva, draft.id).await.expect("submitted");
        let signed = ws.sign_audit(&p.eva, draft.id).await.expect("signed");
        assert_eq!(signed.state, AuditState::Signed, "{tw:?}");
        let err = ws
            .answer_audit(&p.eva, draft.id, &[answer("P1a", Answer::Fail)])
            .await
            .expect_err("signed");
        assert_eq!(err.kind(), ErrorKind::Conflict, "{tw:?}");
        // The site's manager disputes, with a reason; a second response is refused.
        let err = ws
            .dispute_audit(&p.h1_manager, draft.id, "  ")
            .await
            .expect_err("no reason");
        assert_eq!(err.kind(), ErrorKind::Input, "{tw:?}");
        let disputed = ws
            .dispute_audit(
                &p.h1_manager,
                draft.id,
                "the tariff board was being replaced",
            )
            .await
            .expect("disputed");
        assert_eq!(disputed.response, Some(Response::Disputed), "{tw:?}");
        let err = ws
            .acknowledge_audit(&p.h1_manager, draft.id)
            .await
            .expect_err("already responded");
        assert_eq!(err.kind(), ErrorKind::Conflict, "{tw:?}");
        // A correction is a new draft naming the audit it amends, with its answers.
        let fix = ws
            .amend_audit(&p.eva, draft.id, "P1b was graded on the wrong counter")
            .await
            .expect("amended");
        assert_eq!(fix.state, AuditState::Draft, "{tw:?}");
        assert_eq!(
            fix.amends,
            Some((draft.id, "P1b was graded on the wrong counter".to_string())),
            "{tw:?}"
        );
        assert_eq!(fix.answered, 4, "{tw:?}");
        ws.answer_audit(&p.eva, fix.id, &[answer("P1b", Answer::Scale(4))])
            .await
            .expect("the correction answered");
        // Both stay readable: the old one unchanged.
        let old = ws.audit(&p.qm, draft.id).await.expect("old version");
        let p1b = old.answers.iter().find(|a| a.item == "P1b").expect("P1b");
        assert_eq!(p1b.answer, Answer::Scale(2), "{tw:?}");
        // The evaluator's list shows both of its audits; the other evaluator's none.
        let mine = ws
            .audits(&p.eva, &AuditQuery::default())
            .await
            .expect("list");
        assert_eq!(mine.len(), 2, "{tw:?}");
        let theirs = ws
            .audits(&p.other_eva, &AuditQuery::default())
            .await
            .expect("list");
        assert!(theirs.is_empty(), "{tw:?}");
    }
}

/// Ten tickets of h1 on 5 October, each waiting 7 minutes, all served.
async fn h1_tickets(tw: &TestWorkspace) {
    let rows: Vec<String> = (0..10)
        .map(|i| ticket("h1", &format!("t{i}"), "2026-10-05", 9, 5 * i, 7))
        .collect();
    ingest(
        &tw.ws,
        RecordKind::HallTicket,
        &tw.write("h1.csv", &tickets(&rows)),
        false,
    )
    .await
    .expect("tickets");
}

fn october(freeze: bool) -> EvaluateRequest {
    EvaluateRequest {
        guideline: mini(),
        ..common::request("2026-10", Some("h1"), freeze)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_audits_score_the_management_half_and_a_failed_veto_caps_the_level() {
    for tw in common::workspaces().await {
        let ws = &tw.ws;
        import_small_org(ws).await;
        h1_tickets(&tw).await;
        let p = people(ws).await;
        // Results half: W = 7 min, a = (15 − 7) ÷ (15 − 5) = 0.8; S = 10/10 served,
        // a = 1. Results = 500 × (2 × 0.8 + 1 × 1) ÷ 3 = 433.333…
        // Without audits the total is that half scaled to 1000: 866.666…
        let before = common::evaluate(ws, &Actor::System, october(false))
            .await
            .expect("evaluated");
        let s = &before.evaluation.sites[0];
        assert!(common::close(s.results.expect("results"), 1300.0 / 3.0));
        assert_eq!(s.management, None, "{tw:?}");
        assert!(common::close(s.total.expect("total"), 2600.0 / 3.0));

        // A draft and an unsigned audit do not count; a signed one does.
        let draft = ws
            .create_audit(&p.eva, &on_site("h1", "2026-10-10", "eva"))
            .await
            .expect("audit");
        ws.answer_audit(&p.eva, draft.id, &answers(Answer::Pass))
            .await
            .expect("answered");
        let unsigned = common::evaluate(ws, &Actor::System, october(false))
            .await
            .expect("evaluated");
        assert_eq!(unsigned.evaluation.sites[0].management, None, "{tw:?}");
        ws.submit_audit(&p.eva, draft.id).await.expect("submitted");
        ws.sign_audit(&p.eva, draft.id).await.expect("signed");

        // Management half: P1 = (1 × 1 + 1 × 2/4) ÷ 2 = 0.75; E1 = (1 × 3/3 + 2 × 1) ÷ 3
        // = 1. People 0.75 (weight 2), environment 1 (weight 1): 500 × (1.5 + 1) ÷ 3 =
        // 416.666… Total = 416.666… + 433.333… = 850: level L5 (≥ 750). Every item of
        // the checklist answered: management coverage 1.
        let ev = common::evaluate(ws, &Actor::System, october(false))
            .await
            .expect("evaluated");
        let s = &ev.evaluation.sites[0];
        assert!(common::close(
            s.management.expect("management"),
            1250.0 / 3.0
        ));
        assert!(common::close(s.management_coverage, 1.0));
        assert!(common::close(s.total.expect("total"), 850.0), "{tw:?}");
        assert_eq!(s.level, Some(5), "{tw:?}");
        assert_eq!(s.audits.len(), 1, "{tw:?}");
        assert_eq!(s.audits[0].id, draft.id, "{tw:?}");

        // A correction where E1b (the veto item) failed replaces the first audit:
        // E1 = (1 × 1 + 2 × 0) ÷ 3 = 1/3; management = 500 × (2 × 0.75 + 1/3) ÷ 3 =
        // 305.555…; total = 305.555… + 433.333… = 738.888…: L4 (≥ 600) uncapped, capped
        // to L1 by RL-VETO.
        let fix = ws
            .amend_audit(&p.eva, draft.id, "the tariff board was missing")
            .await
            .expect("amended");
        ws.answer_audit(&p.eva, fix.id, &[answer("E1b", Answer::Fail)])
            .await
            .expect("answered");
        ws.submit_audit(&p.eva, fix.id).await.expect("submitted");
        ws.sign_audit(&p.eva, fix.id).await.expect("signed");
        // Signing raised the failed veto item at once: critical, due 7 days after the
        // audit's day (the built-in `due_days.critical`): 17 October.
        let open = ws
            .findings(&p.qm, &FindingQuery::default(), day("2026-10-20"))
            .await
            .expect("findings");
        assert_eq!(open.len(), 1, "{tw:?}");
        let f = &open[0].finding;
        assert_eq!(
            (f.source, f.severity, f.item.as_deref(), f.due_on),
            (
                FindingSource::AuditItem,
                Severity::Critical,
                Some("E1b"),
                day("2026-10-17")
            ),
            "{tw:?}"
        );
        assert!(open[0].overdue, "{tw:?}: due 17 October, asked on the 20th");

        let frozen = common::evaluate(ws, &p.qm, october(true))
            .await
            .expect("frozen");
        let s = &frozen.evaluation.sites[0];
        assert!(common::close(
            s.management.expect("management"),
            2750.0 / 9.0
        ));
        assert!(common::close(s.total.expect("total"), 6650.0 / 9.0));
        assert_eq!((s.level_uncapped, s.level), (Some(4), Some(1)), "{tw:?}");
        assert_eq!(s.red_lines, ["RL-VETO"], "{tw:?}");
        assert_eq!(
            s.audits.iter().map(|a| a.id).collect::<Vec<_>>(),
            [fix.id],
            "{tw:?}"
        );
        // Freezing finds E1b failed again: the open finding is repeated, not doubled.
        let raised = frozen.raised.expect("raised on freeze");
        assert_eq!(raised.opened, Vec::<i64>::new(), "{tw:?}");
        assert_eq!(raised.repeated, [f.id], "{tw:?}");
        let all = ws
            .findings(&p.qm, &FindingQuery::default(), day("2026-10-20"))
            .await
            .expect("findings");
        assert_eq!(all.len(), 1, "{tw:?}");

        // The frozen evaluation is recomputed from exactly the audits it counted, even
        // after a later audit is signed.
        let later = ws
            .create_audit(&p.eva, &on_site("h1", "2026-10-30", "eva"))
            .await
            .expect("audit");
        ws.answer_audit(&p.eva, later.id, &answers(Answer::Pass))
            .await
            .expect("answered");
        ws.submit_audit(&p.eva, later.id).await.expect("submitted");
        ws.sign_audit(&p.eva, later.id).await.expect("signed");
        let v = ws
            .verify_evaluation(&p.qm, frozen.id.expect("id"), &yardstick_app::Cancel::new())
            .await
            .expect("verified");
        assert!(v.equal, "{tw:?}: {:?}", v.first_difference);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_excel_template_comes_back_filled_and_bad_answers_are_named_by_cell() {
    for tw in common::workspaces().await {
        let ws = &tw.ws;
        import_small_org(ws).await;
        let p = people(ws).await;
        let checklist = ws
            .checklist(&p.eva, "h1", &mini())
            .await
            .expect("checklist");
        // The mini guideline's hall checklist: P1a, P1b, E1a, E1b in clause order.
        let items: Vec<&str> = checklist.lines.iter().map(|l| l.item.as_str()).collect();
        assert_eq!(items, ["P1a", "P1b", "E1a", "E1b"], "{tw:?}");
        let bytes = template_bytes(&checklist, AuditKind::MysteryShopper).expect("template");
        let layout = common::xlsx::layout(&bytes);
        let filled = |answers: &[(&str, &str)]| common::xlsx::fill(&bytes, &layout, answers);

        // Bad: P1b "5" (grades 0–4), E1a "4" (3 points at most), P1a "N/A" (not
        // allowed). Every problem named; nothing stored.
        let bad = filled(&[("P1a", "N/A"), ("P1b", "5"), ("E1a", "4"), ("E1b", "pass")]);
        let req = |bytes: Vec<u8>, sign: bool| ImportAudit {
            file_name: "h1.xlsx".into(),
            bytes,
            site: "h1".into(),
            kind: AuditKind::MysteryShopper,
            evaluator: "eva".into(),
            date: day("2026-10-12"),
            sign,
        };
        let err = ws
            .import_audit(&p.eva, &req(bad, true))
            .await
            .expect_err("bad answers");
        assert_eq!(err.kind(), ErrorKind::Input, "{tw:?}");
        let text = err.render(Lang::En);
        assert!(text.contains("3 problem(s)"), "{tw:?}: {text}");
        // Rows 2–5 of the sheet hold P1a..E1b; the answer column's letter is known
        // from the header row.
        let col = &layout.answer_letter;
        for (row, item) in [(2, "P1a"), (3, "P1b"), (4, "E1a")] {
            let at = format!("{}!{col}{row}", layout.sheet);
            assert!(
                text.contains(&at),
                "{tw:?}: {at} / {item} missing in {text}"
            );
        }
        let none = ws
            .audits(&p.qm, &AuditQuery::default())
            .await
            .expect("list");
        assert!(none.is_empty(), "{tw:?}: nothing stored");

        // Good: signed at once.
        let good = filled(&[("P1a", "pass"), ("P1b", "3"), ("E1a", "2"), ("E1b", "pass")]);
        let h = ws
            .import_audit(&p.eva, &req(good, true))
            .await
            .expect("imported");
        assert_eq!(
            (h.state, h.kind, h.answered),
            (AuditState::Signed, AuditKind::MysteryShopper, 4),
            "{tw:?}"
        );
        let v = ws.audit(&p.eva, h.id).await.expect("read back");
        let got: Vec<(String, Answer)> = v
            .answers
            .iter()
            .map(|a| (a.item.clone(), a.answer))
            .collect();
        assert_eq!(
            got,
            [
                ("P1a".to_string(), Answer::Pass),
                ("P1b".to_string(), Answer::Scale(3)),
                ("E1a".to_string(), Answer::Points(2.0)),
                ("E1b".to_string(), Answer::Pass),
            ],
            "{tw:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_files_are_checked_stored_by_content_and_read_only_within_scope() {
    for tw in common::workspaces().await {
        let ws = &tw.ws;
        import_small_org(ws).await;
        let p = people(ws).await;
        let a = ws
            .create_audit(&p.eva, &on_site("h1", "2026-10-10", "eva"))
            .await
            .expect("audit");
        // A PNG's signature followed by some bytes: 8 + 4 = 12 bytes.
        let png: Vec<u8> = [&b"\x89PNG\r\n\x1a\n"[..], b"IHDR"].concat();
        let e = ws
            .attach_evidence(&p.eva, a.id, Some("E1b"), "board.png", &png)
            .await
            .expect("attached");
        assert_eq!(
            (e.media_type.as_str(), e.bytes),
            ("image/png", 12),
            "{tw:?}"
        );
        // SHA-256 of those 12 bytes, computed independently of the program.
        use sha2::Digest as _;
        let sha: String = sha2::Sha256::digest(&png)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(e.sha256, sha, "{tw:?}");
        let stored = tw.root().join("evidence").join(&sha[..2]).join(&sha);
        assert_eq!(std::fs::read(&stored).expect("stored file"), png, "{tw:?}");
        // A text file named like a photo is refused by its content.
        let err = ws
            .attach_evidence(&p.eva, a.id, None, "fake.jpg", b"hello")
            .await
            .expect_err("not a photo");
        assert_eq!(err.kind(), ErrorKind::Input, "{tw:?}");
        assert!(err.render(Lang::En).contains("fake.jpg"), "{tw:?}");
        // An item outside the checklist is refused.
        let err = ws
            .attach_evidence(&p.eva, a.id, Some("ZZ9"), "board.png", &png)
            .await
            .expect_err("unknown item");
        assert_eq!(err.kind(), ErrorKind::Input, "{tw:?}");
        // The quality manager reads it back; another evaluator may not even see it.
        let (row, bytes) = ws.evidence_file(&p.qm, a.id, e.id).await.expect("read");
        assert_eq!((row.id, bytes), (e.id, png.clone()), "{tw:?}");
        let err = ws
            .evidence_file(&p.other_eva, a.id, e.id)
            .await
            .expect_err("outside scope");
        assert_eq!(err.kind(), ErrorKind::NotFound, "{tw:?}");
    }
}
