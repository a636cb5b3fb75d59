//! Audits: created as drafts, answered, submitted, signed; a signed audit, its answers
//! and its evidence refuse every change, even in raw SQL; the site responds once; a
//! correction names a signed audit and why.

use yardstick_store::{
    AuditFilter, Backend, Constraint, NewAnswer, NewAudit, NewEvidence, NewPlan, StoreError,
    testing,
};

use crate::support::{at, execute, refused};

fn new_audit(site: &str) -> NewAudit {
    NewAudit {
        site: site.into(),
        kind: "on_site".into(),
        guideline_fingerprint: "g1".into(),
        audit_date: "2026-09-15".into(),
        evaluator: "eva".into(),
        amends: None,
        amend_reason: None,
        plan_id: None,
        created_by: Some("eva".into()),
    }
}

fn answer(item: &str, answer: &str, value: Option<f64>) -> NewAnswer {
    NewAnswer {
        item_id: item.into(),
        answer: answer.into(),
        value,
        comment: String::new(),
    }
}

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn an_audit_is_answered_signed_and_then_refuses_every_change() {
    for db in testing::databases().await {
        let store = db.store();
        let b = db.backend();
        store
            .put_guideline("g1", "ys", "1.0", "x = 1\n", at(0))
            .await
            .expect("guideline");
        let id = store
            .create_audit(
                &new_audit("h1"),
                &[answer("PHI-01-A1", "pass", None)],
                at(1),
            )
            .await
            .expect("created");
        assert_eq!(id, 1, "{b:?}");
        // A second write of an item replaces it; another item is added.
        store
            .put_answers(
                id,
                &[
                    answer("PHI-01-A1", "fail", None),
                    answer("PHI-01-A2", "scale", Some(3.0)),
                ],
                Some("eva"),
                at(2),
            )
            .await
            .expect("answered");
        store
            .add_evidence(
                &NewEvidence {
                    audit_id: id,
                    item_id: Some("PHI-01-A1".into()),
                    sha256: SHA.into(),
                    media_type: "image/png".into(),
                    bytes: 68,
                    file_name: "board.png".into(),
                    added_by: Some("eva".into()),
                },
                at(3),
            )
            .await
            .expect("evidence");
        // Only from the state given: a draft is not signed directly.
        assert!(
            !store
                .set_audit_state(id, "submitted", "signed", at(4))
                .await
                .expect("no-op")
        );
        assert!(
            store
                .set_audit_state(id, "draft", "submitted", at(4))
                .await
                .expect("submit")
        );
        assert!(
            store
                .set_audit_state(id, "submitted", "signed", at(5))
                .await
                .expect("sign")
        );
        let row = store.audit(id).await.expect("read").expect("found");
        assert_eq!(
            (row.state.as_str(), row.answers, row.signed_at.as_deref()),
            ("signed", 2, Some("2026-11-01T00:05:00.000Z")),
            "{b:?}"
        );
        let answers = store.answers(&[id]).await.expect("answers");
        let got: Vec<(&str, &str, Option<f64>)> = answers
            .iter()
            .map(|a| (a.item_id.as_str(), a.answer.as_str(), a.value))
            .collect();
        assert_eq!(
            got,
            [
                ("PHI-01-A1", "fail", None),
                ("PHI-01-A2", "scale", Some(3.0))
            ]
        );

        // The store's own writes are refused…
        let err = store
            .put_answers(id, &[answer("PHI-01-A1", "pass", None)], None, at(6))
            .await
            .expect_err("refused");
        assert!(refused(&err, Constraint::AuditSigned), "{b:?}: {err:?}");
        let err = store
            .set_audit_state(id, "signed", "draft", at(6))
            .await
            .expect_err("refused");
        assert!(refused(&err, Constraint::AuditSigned), "{b:?}: {err:?}");
        // …and so is raw SQL, on the audit, its answers and its evidence.
        for sql in [
            "UPDATE audit SET audit_date = '2026-09-16' WHERE id = 1",
            "UPDATE audit SET state = 'draft', signed_at = NULL WHERE id = 1",
            "DELETE FROM audit WHERE id = 1",
            "UPDATE audit_answer SET answer = 'pass' WHERE audit_id = 1",
            "DELETE FROM audit_answer WHERE audit_id = 1",
            "INSERT INTO audit_answer (audit_id, item_id, answer, value, comment, answered_at) \
             VALUES (1, 'PHI-01-A3', 'pass', NULL, '', 'x')",
            "UPDATE audit_evidence SET file_name = 'other.png' WHERE audit_id = 1",
            "DELETE FROM audit_evidence WHERE audit_id = 1",
        ] {
            let err = execute(store, sql).await.expect_err("refused");
            assert!(
                refused(&err, Constraint::AuditSigned),
                "{b:?} {sql}: {err:?}"
            );
        }
        if b == Backend::Postgres {
            for sql in [
                "TRUNCATE audit_answer",
                "TRUNCATE audit_evidence",
                "TRUNCATE audit CASCADE",
            ] {
                let err = execute(store, sql).await.expect_err("refused");
                assert!(refused(&err, Constraint::AuditSigned), "{sql}: {err:?}");
            }
        }
        assert_eq!(store.answers(&[id]).await.expect("answers"), answers);
        assert_eq!(store.evidence(id).await.expect("evidence").len(), 1);
        assert_eq!(store.audit(id).await.expect("read"), Some(row));
    }
}

#[tokio::test]
async fn the_site_responds_once_and_a_correction_names_a_signed_audit() {
    for db in testing::databases().await {
        let store = db.store();
        let b = db.backend();
        store
            .put_guideline("g1", "ys", "1.0", "x = 1\n", at(0))
            .await
            .expect("guideline");
        let draft = store
            .create_audit(&new_audit("h1"), &[answer("A", "pass", None)], at(1))
            .await
            .expect("created");
        // Only a signed audit is responded to or corrected.
        let err = store
            .respond_to_audit(draft, "acknowledged", "", Some("sm"), at(2))
            .await
            .expect_err("refused");
        assert!(refused(&err, Constraint::AuditNotSigned), "{b:?}: {err:?}");
        let mut fix = new_audit("h1");
        fix.amends = Some(draft);
        fix.amend_reason = Some("wrong answer".into());
        let err = store
            .create_audit(&fix, &[], at(2))
            .await
            .expect_err("refused");
        assert!(refused(&err, Constraint::AuditAmends), "{b:?}: {err:?}");

        store
            .set_audit_state(draft, "draft", "submitted", at(3))
            .await
            .expect("submit");
        store
            .set_audit_state(draft, "submitted", "signed", at(3))
            .await
            .expect("sign");
        let err = store
            .respond_to_audit(draft, "disputed", "  ", Some("sm"), at(4))
            .await
            .expect_err("refused");
        assert!(refused(&err, Constraint::DisputeReason), "{b:?}: {err:?}");
        store
            .respond_to_audit(
                draft,
                "disputed",
                "the board was replaced on the day",
                Some("sm"),
                at(4),
            )
            .await
            .expect("disputed");
        let err = store
            .respond_to_audit(draft, "acknowledged", "", Some("sm"), at(5))
            .await
            .expect_err("refused");
        assert!(refused(&err, Constraint::AuditResponded), "{b:?}: {err:?}");
        let err = execute(store, "UPDATE audit_response SET reason = 'x'")
            .await
            .expect_err("refused");
        assert!(
            refused(&err, Constraint::HistoryAppendOnly),
            "{b:?}: {err:?}"
        );

        // A correction without its reason is refused; with it, it names the audit.
        fix.amend_reason = None;
        let err = store
            .create_audit(&fix, &[], at(6))
            .await
            .expect_err("refused");
        assert!(
            refused(&err, Constraint::AuditAmendReason),
            "{b:?}: {err:?}"
        );
        fix.amend_reason = Some("answer to A was wrong".into());
        let second = store
            .create_audit(&fix, &[answer("A", "fail", None)], at(6))
            .await
            .expect("corrected");
        let rows = store.audits(&AuditFilter::default()).await.expect("list");
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[0].response.as_deref(),
                rows[0].response_reason.as_deref()
            ),
            (Some("disputed"), Some("the board was replaced on the day"))
        );
        assert_eq!(
            (rows[1].id, rows[1].amends, rows[1].state.as_str()),
            (second, Some(draft), "draft")
        );
        let signed = store
            .audits(&AuditFilter {
                state: Some("signed".into()),
                site: Some("h1".into()),
                date_to: Some("2026-09-30".into()),
                ..AuditFilter::default()
            })
            .await
            .expect("list");
        assert_eq!(signed.iter().map(|a| a.id).collect::<Vec<_>>(), [draft]);
        // An audit of an unrecorded guideline is refused by name.
        let mut other = new_audit("h2");
        other.guideline_fingerprint = "never".into();
        let err = store
            .create_audit(&other, &[], at(7))
            .await
            .expect_err("refused");
        assert!(
            matches!(err, StoreError::Refused(Constraint::AuditGuideline)),
            "{b:?}: {err:?}"
        );
    }
}

#[tokio::test]
async fn plans_are_listed_by_the_end_of_their_window() {
    for db in testing::databases().await {
        let store = db.store();
        let plan = |site: &str, from: &str, to: &str| NewPlan {
            site: site.into(),
            kind: "mystery_shopper".into(),
            evaluator: "eva".into(),
            due_from: from.into(),
            due_to: to.into(),
            note: String::new(),
            created_by: Some("qm".into()),
        };
        store
            .create_plan(&plan("h1", "2026-10-01", "2026-12-31"), at(0))
            .await
            .expect("plan");
        store
            .create_plan(&plan("h2", "2026-10-01", "2026-10-31"), at(1))
            .await
            .expect("plan");
        let err = store
            .create_plan(&plan("h2", "2026-11-01", "2026-10-31"), at(2))
            .await
            .expect_err("refused");
        assert!(refused(&err, Constraint::PlanWindow), "{err:?}");
        let sites: Vec<String> = store
            .plans()
            .await
            .expect("plans")
            .into_iter()
            .map(|p| p.site)
            .collect();
        assert_eq!(sites, ["h2", "h1"]);
    }
}
