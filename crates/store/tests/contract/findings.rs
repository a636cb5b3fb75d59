//! Findings and actions: one open finding per site, source and subject; a finding
//! changes only by being closed, once; histories (finding events, actions, action events,
//! review decisions) refuse change and deletion, even in raw SQL.

use yardstick_store::{
    Backend, Constraint, NewAction, NewActionEvent, NewFinding, NewFindingEvent, testing,
};

use crate::support::{at, execute, refused};

fn finding(site: &str, subject: &str) -> NewFinding {
    NewFinding {
        site: site.into(),
        source: "indicator_floor".into(),
        subject: subject.into(),
        severity: "major".into(),
        clause: Some("PRO-03".into()),
        indicator: Some(subject.into()),
        item: None,
        opened_on: "2026-10-31".into(),
        due_on: "2026-11-30".into(),
        title: String::new(),
        created_by: None,
    }
}

fn event(kind: &str, on: &str) -> NewFindingEvent {
    NewFindingEvent {
        kind: kind.into(),
        on_date: on.into(),
        period: Some("2026-10".into()),
        evidence_json: Some("{\"value\":81.5}".into()),
        note: None,
        actor: None,
    }
}

#[tokio::test]
async fn one_open_finding_per_key_and_history_is_never_rewritten() {
    for db in testing::databases().await {
        let store = db.store();
        let b = db.backend();
        let first = store
            .open_finding(
                &finding("my-f02", "IM-04"),
                &event("opened", "2026-10-31"),
                at(0),
            )
            .await
            .expect("opened");
        let err = store
            .open_finding(
                &finding("my-f02", "IM-04"),
                &event("opened", "2026-10-31"),
                at(1),
            )
            .await
            .expect_err("refused");
        assert!(refused(&err, Constraint::FindingOpen), "{b:?}: {err:?}");
        // Another subject or site is another finding.
        let other = store
            .open_finding(
                &finding("my-f02", "IM-05"),
                &event("opened", "2026-10-31"),
                at(1),
            )
            .await
            .expect("opened");
        store
            .append_finding_event(first, &event("repeated", "2026-11-30"), at(2))
            .await
            .expect("repeated");
        let mut closed = event("closed", "2026-12-05");
        closed.note = Some("action 1 verified effective".into());
        assert!(
            store
                .close_finding(first, &closed, at(3))
                .await
                .expect("closed")
        );
        assert!(
            !store
                .close_finding(first, &closed, at(4))
                .await
                .expect("already closed")
        );
        // Once closed, the same key may open again.
        let again = store
            .open_finding(
                &finding("my-f02", "IM-04"),
                &event("opened", "2027-01-31"),
                at(5),
            )
            .await
            .expect("opened again");
        // (PostgreSQL's identity skips the value the refused insert took: ids are compared,
        // not counted.)
        assert!(first < other && other < again, "{b:?}");
        let open: Vec<i64> = store
            .findings(true)
            .await
            .expect("open")
            .iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(open, [other, again]);
        let row = store.finding(first).await.expect("read").expect("found");
        assert_eq!(row.closed_on.as_deref(), Some("2026-12-05"));
        let kinds: Vec<String> = store
            .finding_events(&[first])
            .await
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["opened", "repeated", "closed"]);
        for (sql, c) in [
            (
                "UPDATE finding SET severity = 'minor' WHERE closed_at IS NULL",
                Constraint::FindingHistory,
            ),
            (
                "UPDATE finding SET closed_on = NULL, closed_at = NULL WHERE id = 1",
                Constraint::FindingHistory,
            ),
            (
                "UPDATE finding SET closed_on = '2027-01-01' WHERE id = 1",
                Constraint::FindingHistory,
            ),
            (
                "DELETE FROM finding WHERE closed_at IS NULL",
                Constraint::FindingHistory,
            ),
            (
                "UPDATE finding_event SET note = 'rewritten'",
                Constraint::HistoryAppendOnly,
            ),
            (
                "DELETE FROM finding_event WHERE id = 1",
                Constraint::HistoryAppendOnly,
            ),
        ] {
            let err = execute(store, sql).await.expect_err("refused");
            assert!(refused(&err, c), "{b:?} {sql}: {err:?}");
        }
        if b == Backend::Postgres {
            for sql in ["TRUNCATE finding_event", "TRUNCATE finding CASCADE"] {
                let err = execute(store, sql).await.expect_err("refused");
                assert!(
                    refused(&err, Constraint::HistoryAppendOnly),
                    "{sql}: {err:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn actions_and_their_events_are_appended_only() {
    for db in testing::databases().await {
        let store = db.store();
        let b = db.backend();
        let f = store
            .open_finding(
                &finding("my-f02", "IM-04"),
                &event("opened", "2026-10-31"),
                at(0),
            )
            .await
            .expect("opened");
        let ev = |name: &str, on: &str| NewActionEvent {
            event: name.into(),
            on_date: on.into(),
            detail_json: format!("{{\"event\":\"{name}\",\"on\":\"{on}\"}}"),
            actor: Some("sm".into()),
        };
        let id = store
            .create_action(
                &NewAction {
                    finding_id: f,
                    owner: "sm".into(),
                    root_cause: "process".into(),
                    five_whys: "why ×5".into(),
                    plan: "dispatch by deadline".into(),
                    created_by: Some("qm".into()),
                },
                &ev("planned", "2026-11-01"),
                at(1),
            )
            .await
            .expect("created");
        store
            .append_action_event(id, &ev("started", "2026-11-02"), at(2))
            .await
            .expect("started");
        let events: Vec<(i64, String)> = store
            .action_events()
            .await
            .expect("events")
            .into_iter()
            .map(|e| (e.action_id, e.event))
            .collect();
        assert_eq!(events, [(id, "planned".into()), (id, "started".into())]);
        let decision = store
            .add_decision(
                &yardstick_store::NewDecision {
                    scope: "zj".into(),
                    period: "2026-10".into(),
                    text: "add two technicians in Beichuan".into(),
                    owner: Some("qm".into()),
                    due_on: Some("2026-12-31".into()),
                    actor: Some("qm".into()),
                },
                at(3),
            )
            .await
            .expect("decision");
        assert_eq!(
            store.decisions("zj", "2026-10").await.expect("decisions")[0].id,
            decision
        );
        for sql in [
            "UPDATE corrective_action SET owner = 'other'",
            "DELETE FROM corrective_action",
            "UPDATE action_event SET on_date = '2026-01-01'",
            "DELETE FROM action_event",
            "UPDATE review_decision SET text = 'other'",
            "DELETE FROM review_decision",
        ] {
            let err = execute(store, sql).await.expect_err("refused");
            assert!(
                refused(&err, Constraint::HistoryAppendOnly),
                "{b:?} {sql}: {err:?}"
            );
        }
    }
}
