//! Browser sessions end when idle or when too old, on each backend, although their last
//! use is written only when it has moved by a sixtieth of the idle time: a session used
//! within its idle time lives on, one left idle past it ends, and every session ends at
//! its absolute expiry whatever its use.

mod common;

use std::time::Duration as StdDuration;

use chrono::Duration;
use common::import_small_org;
use yardstick_app::Actor;
use yardstick_app::access::{Grant, Role, SessionPolicy};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ends_when_idle_or_too_old_and_lives_while_used() {
    for t in common::workspaces().await {
        let ws = &t.ws;
        import_small_org(ws).await;
        let grant = Grant {
            role: Role::Viewer,
            scope: "p1".into(),
        };
        ws.add_user(
            &Actor::System,
            "li.na",
            &[grant],
            Some("correct horse battery"),
        )
        .await
        .expect("user");
        let p = ws
            .authenticate("li.na", "correct horse battery", None)
            .await
            .expect("signed in");
        // Idle 1,200 ms, absolute 3,000 ms: last use is written once it moved by 20 ms
        // (1,200 / 60).
        let policy = SessionPolicy {
            idle: Duration::milliseconds(1_200),
            absolute: Duration::milliseconds(3_000),
        };
        let used = ws.open_session(&p, policy).await.expect("session");
        let idle = ws.open_session(&p, policy).await.expect("session");
        let alive = |secret: String| async move {
            ws.session_principal(&secret, policy, None)
                .await
                .expect("read")
                .is_some()
        };
        assert!(alive(used.secret.clone()).await && alive(idle.secret.clone()).await);
        // Used every 500 ms: alive at 500 … 2,500 ms, each use within 1,200 ms of the one
        // before, though from 1,500 ms on it is past 1,200 ms since sign-in.
        for i in 1..=5 {
            tokio::time::sleep(StdDuration::from_millis(500)).await;
            assert!(
                alive(used.secret.clone()).await,
                "a used session lives ({i})"
            );
            if i == 3 {
                // The other one, unused since 0 ms, ended at 1,200 ms.
                assert!(!alive(idle.secret.clone()).await, "an idle session ends");
            }
        }
        // At 3,200 ms the used session is past its absolute expiry (3,000 ms), though it
        // was used 700 ms before (within its idle time).
        tokio::time::sleep(StdDuration::from_millis(700)).await;
        assert!(!alive(used.secret.clone()).await, "too old");
    }
}
