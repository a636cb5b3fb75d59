//! Frozen evaluations: saved with their provenance, listed newest first, never changed.

use yardstick_store::{
    Backend, Constraint, EvaluationInfo, NewEvaluation, PeriodState, StoreError, testing,
};

use crate::support::{at, execute};

fn evaluation(period: &str, guideline: &str) -> NewEvaluation {
    NewEvaluation {
        scope: "op".into(),
        period: period.into(),
        guideline_fingerprint: guideline.into(),
        org_fingerprint: "org-fp".into(),
        input_fingerprint: format!("in-{period}"),
        batch_watermark: Some(7),
        engine: "columnar".into(),
        frozen_by: None,
        result_json: format!("{{\"period\":\"{period}\"}}"),
    }
}

#[tokio::test]
async fn evaluations_are_saved_listed_newest_first_and_read_back() {
    for db in testing::databases().await {
        let store = db.store();
        store
            .put_guideline("g1", "ys", "1.0", "x = 1\n", at(0))
            .await
            .expect("guideline");
        let first = store
            .save_evaluation(&evaluation("2026-09", "g1"), at(1))
            .await
            .expect("save");
        let mut second = evaluation("2026-10", "g1");
        second.batch_watermark = None;
        second.frozen_by = Some("auditor".into());
        second.engine = "datafusion".into();
        let second = store.save_evaluation(&second, at(2)).await.expect("save");
        // Ids come from the database, increasing: 1 then 2 in a fresh database.
        assert_eq!((first, second), (1, 2), "{:?}", db.backend());

        let september = EvaluationInfo {
            id: 1,
            scope: "op".into(),
            period: "2026-09".into(),
            guideline_fingerprint: "g1".into(),
            org_fingerprint: Some("org-fp".into()),
            input_fingerprint: "in-2026-09".into(),
            batch_watermark: Some(7),
            engine: "columnar".into(),
            frozen_by: None,
            created_at: "2026-11-01T00:01:00.000Z".into(),
        };
        let october = EvaluationInfo {
            id: 2,
            period: "2026-10".into(),
            input_fingerprint: "in-2026-10".into(),
            batch_watermark: None,
            engine: "datafusion".into(),
            frozen_by: Some("auditor".into()),
            created_at: "2026-11-01T00:02:00.000Z".into(),
            ..september.clone()
        };
        assert_eq!(
            store.evaluations().await.expect("list"),
            [october.clone(), september.clone()]
        );
        let stored = store.evaluation(1).await.expect("read").expect("found");
        assert_eq!(stored.info, september);
        assert_eq!(stored.result_json, "{\"period\":\"2026-09\"}");
        assert_eq!(store.evaluation(3).await.expect("read"), None);

        // What a read of a period depends on, in one statement: no organisation and
        // no batch were recorded here; September has evaluations 3 and 1 (newest
        // first), a second freeze of September being id 3; August has none.
        let third = store
            .save_evaluation(&evaluation("2026-09", "g1"), at(3))
            .await
            .expect("save");
        assert_eq!(third, 3);
        let september_state = store.period_state("2026-09").await.expect("state");
        assert_eq!(
            september_state,
            PeriodState {
                org_fingerprint: None,
                watermark: None,
                evaluations: vec![(3, "op".into()), (1, "op".into())],
            }
        );
        assert_eq!(
            store
                .period_state("2026-08")
                .await
                .expect("state")
                .evaluations,
            []
        );
    }
}

#[tokio::test]
async fn an_evaluation_of_an_unrecorded_guideline_is_refused() {
    for db in testing::databases().await {
        let store = db.store();
        let err = store
            .save_evaluation(&evaluation("2026-10", "never-stored"), at(0))
            .await
            .expect_err("refused");
        assert!(
            matches!(err, StoreError::Refused(Constraint::EvaluationGuideline)),
            "{:?}: {err:?}",
            db.backend()
        );
        assert_eq!(
            err.to_string(),
            "the evaluation's guideline version is not recorded: store the guideline before an evaluation that uses it"
        );
        assert!(store.evaluations().await.expect("list").is_empty());
    }
}

#[tokio::test]
async fn frozen_evaluations_refuse_update_and_delete_even_in_raw_sql() {
    for db in testing::databases().await {
        let store = db.store();
        store
            .put_guideline("g1", "ys", "1.0", "x = 1\n", at(0))
            .await
            .expect("guideline");
        let id = store
            .save_evaluation(&evaluation("2026-10", "g1"), at(1))
            .await
            .expect("save");
        assert_eq!(id, 1);
        let before = store.evaluation(1).await.expect("read");
        for sql in [
            "UPDATE evaluation SET result_json = '{}' WHERE id = 1",
            "UPDATE evaluation SET frozen_by = 'someone' WHERE id = 1",
            "DELETE FROM evaluation WHERE id = 1",
            "DELETE FROM evaluation",
        ] {
            let err = execute(store, sql).await.expect_err("refused");
            assert!(
                matches!(err, StoreError::Refused(Constraint::EvaluationFrozen)),
                "{:?} {sql}: {err:?}",
                db.backend()
            );
        }
        if db.backend() == Backend::Postgres {
            // TRUNCATE fires no row trigger: a statement trigger refuses it.
            let err = execute(store, "TRUNCATE evaluation")
                .await
                .expect_err("refused");
            assert!(
                matches!(err, StoreError::Refused(Constraint::EvaluationFrozen)),
                "{err:?}"
            );
        }
        assert_eq!(store.evaluation(1).await.expect("read"), before);
        assert_eq!(store.evaluations().await.expect("list").len(), 1);
    }
}
