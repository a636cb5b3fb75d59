//! The activity log: appended, read newest first through each filter a page at a time,
//! and never changed nor deleted, not even by raw SQL (the database refuses both).

use yardstick_store::{
    ActivityFilter, ActivityRow, Backend, Constraint, NewActivity, Store, testing,
};

use crate::support::{at, execute, refused};

/// Seven entries, ids 1 to 7 in a fresh database, at minutes 0 to 6:
///
/// | id | actor   | kind    | action       | object    |
/// |----|---------|---------|--------------|-----------|
/// | 1  | alice   | session | login        |           |
/// | 2  |         | system  | ingest       | batch 1   |
/// | 3  | mallory | session | login_failed |           |
/// | 4  | alice   | session | user.add     | bob       |
/// | 5  | alice   | session | grant.add    | bob       |
/// | 6  | bob     | token   | token.create | token 1   |
/// | 7  | alice   | cli     | user.disable | mallory   |
async fn seven_entries(store: &Store) {
    let entries: [(Option<&str>, &str, &str, Option<&str>); 7] = [
        (Some("alice"), "session", "login", None),
        (None, "system", "ingest", Some("batch 1")),
        (Some("mallory"), "session", "login_failed", None),
        (Some("alice"), "session", "user.add", Some("bob")),
        (Some("alice"), "session", "grant.add", Some("bob")),
        (Some("bob"), "token", "token.create", Some("token 1")),
        (Some("alice"), "cli", "user.disable", Some("mallory")),
    ];
    for (i, (actor, kind, action, object)) in (0_i64..).zip(entries) {
        let id = store
            .append_activity(&NewActivity {
                at: at(i),
                actor: actor.map(str::to_string),
                actor_kind: kind.into(),
                client: (kind == "session").then(|| format!("10.0.0.{i}")),
                action: action.into(),
                object: object.map(str::to_string),
                detail_json: format!("{{\"n\":{i}}}"),
            })
            .await
            .expect("append");
        assert_eq!(id, i + 1);
    }
}

async fn ids(store: &Store, filter: ActivityFilter) -> Vec<i64> {
    store
        .activity(&filter)
        .await
        .expect("activity")
        .iter()
        .map(|a| a.id)
        .collect()
}

#[tokio::test]
async fn activity_is_read_newest_first_through_each_filter() {
    for db in testing::databases().await {
        let store = db.store();
        seven_entries(store).await;
        let all = |limit| ActivityFilter {
            limit,
            ..ActivityFilter::default()
        };
        assert_eq!(ids(store, all(100)).await, [7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(
            store.activity(&all(100)).await.expect("activity")[4],
            ActivityRow {
                id: 3,
                at: "2026-11-01T00:02:00.000Z".into(),
                actor: Some("mallory".into()),
                actor_kind: "session".into(),
                client: Some("10.0.0.2".into()),
                action: "login_failed".into(),
                object: None,
                detail_json: "{\"n\":2}".into(),
            },
            "{:?}",
            db.backend()
        );
        assert!(ids(store, all(0)).await.is_empty());
        assert_eq!(ids(store, all(2)).await, [7, 6]);
        // Alice: 1, 4, 5, 7.
        let alice = ActivityFilter {
            actor: Some("alice".into()),
            ..all(100)
        };
        assert_eq!(ids(store, alice.clone()).await, [7, 5, 4, 1]);
        // From 00:02 (included) to 00:05 (excluded): minutes 2, 3, 4 are ids 3, 4, 5.
        let window = ActivityFilter {
            since: Some(at(2)),
            until: Some(at(5)),
            ..all(100)
        };
        assert_eq!(ids(store, window).await, [5, 4, 3]);
        // Alice's from 00:02: 4, 5, 7.
        let since = ActivityFilter {
            since: Some(at(2)),
            ..alice
        };
        assert_eq!(ids(store, since).await, [7, 5, 4]);
        // Action prefixes: compared as text, case and all; `_` is no wildcard.
        for (prefix, expected) in [
            ("user.", vec![7, 4]),
            ("login", vec![3, 1]),
            ("login_", vec![3]),
            ("log_n", vec![]),
            ("Login", vec![]),
            ("", vec![7, 6, 5, 4, 3, 2, 1]),
            ("token.create", vec![6]),
            ("token.created", vec![]),
        ] {
            let filter = ActivityFilter {
                action_prefix: Some(prefix.into()),
                ..all(100)
            };
            assert_eq!(ids(store, filter).await, expected, "{prefix:?}");
        }
    }
}

#[tokio::test]
async fn keyset_paging_returns_each_entry_once() {
    for db in testing::databases().await {
        let store = db.store();
        seven_entries(store).await;
        // Pages of 3: 7 6 5, then 4 3 2, then 1, then nothing.
        let mut pages = Vec::new();
        let mut before_id = None;
        loop {
            let page = ids(
                store,
                ActivityFilter {
                    before_id,
                    limit: 3,
                    ..ActivityFilter::default()
                },
            )
            .await;
            let Some(last) = page.last() else { break };
            before_id = Some(*last);
            pages.push(page);
            assert!(pages.len() <= 3, "{pages:?}");
        }
        assert_eq!(
            pages,
            [vec![7, 6, 5], vec![4, 3, 2], vec![1]],
            "{:?}",
            db.backend()
        );
        // With a filter: Alice's in pages of 2 are 7 5, then 4 1, then nothing.
        let alice = |before_id| ActivityFilter {
            actor: Some("alice".into()),
            before_id,
            limit: 2,
            ..ActivityFilter::default()
        };
        assert_eq!(ids(store, alice(None)).await, [7, 5]);
        assert_eq!(ids(store, alice(Some(5))).await, [4, 1]);
        assert!(ids(store, alice(Some(1))).await.is_empty());
    }
}

#[tokio::test]
async fn the_activity_log_is_append_only_even_in_raw_sql() {
    for db in testing::databases().await {
        let store = db.store();
        seven_entries(store).await;
        let before = store
            .activity(&ActivityFilter {
                limit: 100,
                ..ActivityFilter::default()
            })
            .await
            .expect("activity");
        for sql in [
            "UPDATE activity SET actor = 'nobody' WHERE id = 3",
            "UPDATE activity SET detail_json = '{}'",
            "DELETE FROM activity WHERE id = 1",
            "DELETE FROM activity",
        ] {
            let err = execute(store, sql).await.expect_err("refused");
            assert!(
                refused(&err, Constraint::ActivityAppendOnly),
                "{:?} {sql}: {err:?}",
                db.backend()
            );
            assert_eq!(
                err.to_string(),
                "the activity log is append-only: entries can be neither changed nor deleted"
            );
        }
        if db.backend() == Backend::Postgres {
            // TRUNCATE fires no row trigger: a statement trigger refuses it.
            let err = execute(store, "TRUNCATE activity")
                .await
                .expect_err("refused");
            assert!(refused(&err, Constraint::ActivityAppendOnly), "{err:?}");
        }
        let after = store
            .activity(&ActivityFilter {
                limit: 100,
                ..ActivityFilter::default()
            })
            .await
            .expect("activity");
        assert_eq!(after, before);
        assert_eq!(after.len(), 7);
        // Appending still works, after the last id.
        let id = store
            .append_activity(&NewActivity {
                at: at(7),
                actor: None,
                actor_kind: "system".into(),
                client: None,
                action: "sweep".into(),
                object: None,
                detail_json: "{}".into(),
            })
            .await
            .expect("append");
        assert_eq!(id, 8);
    }
}

#[tokio::test]
async fn an_unknown_actor_kind_is_refused_by_the_database() {
    for db in testing::databases().await {
        let store = db.store();
        let err = store
            .append_activity(&NewActivity {
                at: at(0),
                actor: Some("alice".into()),
                actor_kind: "browser".into(),
                client: None,
                action: "login".into(),
                object: None,
                detail_json: "{}".into(),
            })
            .await
            .expect_err("unknown kind");
        assert!(
            refused(&err, Constraint::ActivityActorKind),
            "{:?}: {err:?}",
            db.backend()
        );
        assert!(
            store
                .activity(&ActivityFilter {
                    limit: 10,
                    ..ActivityFilter::default()
                })
                .await
                .expect("activity")
                .is_empty()
        );
    }
}
