//! `verify_evaluation` recomputes a frozen evaluation from the data directory alone and
//! compares the bytes: for one made under a custom guideline file since deleted (its
//! text is stored in the workspace), for one frozen before a `--replace` import and a new
//! batch changed its period's records (the records as they stood: rows a later replace
//! superseded still count, later batches do not) and an organisation re-imported, and
//! for one frozen before anything was imported. On each backend.

mod common;

use common::{close, import_small_org, ingest, line_value, request, ticket, tickets};
use yardstick_app::evaluate::{EvaluateRequest, GuidelineChoice};
use yardstick_app::{Actor, Cancel};
use yardstick_core::records::RecordKind;

/// Hall h1 in October: four tickets on the 5th waiting 2, 4, 6 and 8 minutes, one on
/// the 6th waiting 10.
fn first_batch() -> String {
    tickets(&[
        ticket("h1", "t1", "2026-10-05", 9, 0, 2),
        ticket("h1", "t2", "2026-10-05", 9, 10, 4),
        ticket("h1", "t3", "2026-10-05", 9, 20, 6),
        ticket("h1", "t4", "2026-10-05", 9, 30, 8),
        ticket("h1", "t5", "2026-10-06", 10, 0, 10),
    ])
}

/// The 5th sent again, corrected (`--replace`): two tickets waiting 1 and 3 minutes.
fn replacement() -> String {
    tickets(&[
        ticket("h1", "t1", "2026-10-05", 9, 0, 1),
        ticket("h1", "t2", "2026-10-05", 9, 10, 3),
    ])
}

/// A later batch: one ticket on the 7th waiting 20 minutes.
fn later_batch() -> String {
    tickets(&[ticket("h1", "t6", "2026-10-07", 11, 0, 20)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_evaluation_verifies_after_a_replace_a_new_batch_and_a_new_organisation() {
    for tw in common::workspaces().await {
        let (ws, system) = (&tw.ws, Actor::System);
        import_small_org(ws).await;
        let first = ingest(
            ws,
            RecordKind::HallTicket,
            &tw.write("a.csv", &first_batch()),
            false,
        )
        .await
        .expect("first batch");
        let frozen = common::evaluate(ws, &system, request("2026-10", None, true))
            .await
            .expect("evaluate");
        let id = frozen.id.expect("frozen");
        // BH-01 (mean minutes from issue to call) at h1: (2 + 4 + 6 + 8 + 10) ÷ 5 = 6.
        let before = line_value(&frozen.evaluation, "h1", "BH-01");
        assert!(close(before, 6.0), "{tw:?}: {before}");

        // The 5th replaced, the 7th added, h1 made a flagship hall.
        let replaced = ingest(
            ws,
            RecordKind::HallTicket,
            &tw.write("b.csv", &replacement()),
            true,
        )
        .await
        .expect("replace");
        assert_eq!(
            replaced.rows_superseded, 4,
            "{tw:?}: the four rows of the 5th"
        );
        let later = ingest(
            ws,
            RecordKind::HallTicket,
            &tw.write("c.csv", &later_batch()),
            false,
        )
        .await
        .expect("later batch");
        assert!(first.batch < replaced.batch && replaced.batch < later.batch);
        ws.import_org(
            &system,
            "org.toml",
            &common::SMALL_ORG.replacen("tier = \"standard\"", "tier = \"flagship\"", 1),
        )
        .await
        .expect("new organisation");

        // The frozen evaluation still recomputes to its bytes: the records as they stood
        // (batch 1 only, the 5th not yet replaced) under the organisation it was made for.
        let v = ws
            .verify_evaluation(&system, id, &Cancel::new())
            .await
            .expect("verify");
        assert!(v.equal, "{tw:?}: {:?}", v.first_difference);
        assert_eq!(v.recomputed_input_fingerprint, v.frozen_input_fingerprint);

        // A fresh evaluation reads the records as they are now: the replaced 5th (1 and
        // 3 minutes), the 6th (10) and the 7th (20): (1 + 3 + 10 + 20) ÷ 4 = 8.5 minutes;
        // and h1, now a flagship hall, is held to the flagship goal of 12 minutes
        // instead of 10.
        let now = common::evaluate(ws, &system, request("2026-10", None, true))
            .await
            .expect("evaluate again");
        let after = line_value(&now.evaluation, "h1", "BH-01");
        assert!(close(after, 8.5), "{tw:?}: {after}");
        let goal = |ev: &yardstick_core::evaluate::Evaluation| common::line(ev, "h1", "BH-01").goal;
        assert_eq!(
            (goal(&frozen.evaluation), goal(&now.evaluation)),
            (Some(10.0), Some(12.0))
        );
        assert_ne!(
            now.evaluation.input_fingerprint,
            frozen.evaluation.input_fingerprint
        );
        // And it verifies too, against the later watermark.
        let v2 = ws
            .verify_evaluation(&system, now.id.expect("frozen"), &Cancel::new())
            .await
            .expect("verify the second");
        assert!(v2.equal, "{tw:?}: {:?}", v2.first_difference);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evaluation_under_a_deleted_guideline_file_verifies() {
    for tw in common::workspaces().await {
        let (ws, system) = (&tw.ws, Actor::System);
        import_small_org(ws).await;
        ingest(
            ws,
            RecordKind::HallTicket,
            &tw.write("a.csv", &first_batch()),
            false,
        )
        .await
        .expect("ingest");
        // A custom guideline: the built-in one with a laxer hall waiting goal (BH-01:
        // floor 20, goal 12 minutes instead of 15 and 10).
        let builtin = yardstick_core::guideline::DEFAULT_TOML;
        let text = builtin.replacen("floor = 15\ngoal = 10\n", "floor = 20\ngoal = 12\n", 1);
        assert_ne!(text, builtin, "the target was found and changed");
        let file = tw.write("custom.toml", &text);
        let read = std::fs::read_to_string(&file).expect("read it back");
        let req = EvaluateRequest {
            guideline: GuidelineChoice::Text {
                name: file.display().to_string(),
                text: read,
            },
            ..request("2026-10", None, true)
        };
        let evaluated = common::evaluate(ws, &system, req).await.expect("evaluate");
        let id = evaluated.id.expect("frozen");
        let ev = &evaluated.evaluation;
        let line = common::line(ev, "h1", "BH-01");
        assert_eq!((line.floor, line.goal), (Some(20.0), Some(12.0)), "{tw:?}");
        let builtin_fp = yardstick_core::guideline::default_guideline()
            .expect("builtin")
            .fingerprint();
        assert_ne!(ev.guideline_fingerprint, builtin_fp);

        std::fs::remove_file(&file).expect("the file deleted");
        let v = ws
            .verify_evaluation(&system, id, &Cancel::new())
            .await
            .expect("verify");
        assert!(v.equal, "{tw:?}: {:?}", v.first_difference);
        // The text is in the workspace under its fingerprint.
        let (stored, stored_text) = ws
            .guideline(&GuidelineChoice::Stored(ev.guideline_fingerprint.clone()))
            .await
            .expect("stored guideline");
        assert_eq!(stored.fingerprint(), ev.guideline_fingerprint);
        assert_eq!(stored_text, text);
    }
}

/// An evaluation frozen before any record was imported (every site without data) is
/// reproducible too: its watermark is "no batch", and it recomputes from no records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evaluation_frozen_before_any_import_verifies() {
    for tw in common::workspaces().await {
        let (ws, system) = (&tw.ws, Actor::System);
        import_small_org(ws).await;
        let evaluated = common::evaluate(ws, &system, request("2026-10", None, true))
            .await
            .expect("evaluate");
        let id = evaluated.id.expect("frozen");
        assert!(evaluated.evaluation.sites.iter().all(|s| s.total.is_none()));
        // A batch committed afterwards does not count in the recomputation.
        ingest(
            ws,
            RecordKind::HallTicket,
            &tw.write("a.csv", &first_batch()),
            false,
        )
        .await
        .expect("ingest");
        let v = ws
            .verify_evaluation(&system, id, &Cancel::new())
            .await
            .unwrap_or_else(|e| panic!("{tw:?}: {e}"));
        assert!(v.equal, "{tw:?}: {:?}", v.first_difference);
    }
}
