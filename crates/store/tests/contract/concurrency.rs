//! Concurrent commits: ids in commit order (a reader's "batches ≤ N" never gains a batch
//! later), one batch per content however many imports race.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use yardstick_store::{StoreError, testing};

use crate::support::{at, batch};

/// Twelve writers of different content at once, each batch with 400 covered days to
/// keep its transaction open a while, and a reader that keeps listing the batches. Ids
/// are taken in commit order exactly when every list the reader sees is 1..=n: a batch
/// that took id k but committed after k + 1 would show as a gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commits_get_distinct_ids_in_commit_order() {
    const WRITERS: i64 = 12;
    for db in testing::databases().await {
        let store = db.store().clone();
        let done = Arc::new(AtomicBool::new(false));
        let reader = {
            let (store, done) = (store.clone(), Arc::clone(&done));
            tokio::spawn(async move {
                let mut lists = 0_u32;
                while !done.load(Ordering::SeqCst) {
                    let ids: Vec<i64> = store
                        .batches()
                        .await
                        .expect("batches")
                        .iter()
                        .map(|b| b.id)
                        .collect();
                    let expected: Vec<i64> = (1..).take(ids.len()).collect();
                    assert_eq!(ids, expected, "a batch became visible before a smaller id");
                    lists += 1;
                    tokio::task::yield_now().await;
                }
                lists
            })
        };
        let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let days: Vec<String> = (0..400)
            .map(|i| {
                (start + chrono::Days::new(i))
                    .format("%Y-%m-%d")
                    .to_string()
            })
            .collect();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let store = store.clone();
                let day_refs: Vec<&str> = days.iter().map(String::as_str).collect();
                let b = batch(
                    "hall_ticket",
                    &format!("content-{w}"),
                    w % 2 == 0,
                    &day_refs,
                );
                tokio::spawn(async move { store.commit_batch(&b, at(w)).await })
            })
            .collect();
        let mut ids = Vec::new();
        for w in writers {
            ids.push(w.await.expect("writer").expect("commit"));
        }
        done.store(true, Ordering::SeqCst);
        let lists = reader.await.expect("reader never saw a gap");
        assert!(lists > 0);
        ids.sort_unstable();
        // Twelve commits, no failure: exactly the ids 1 to 12.
        assert_eq!(ids, (1..=WRITERS).collect::<Vec<_>>(), "{:?}", db.backend());
        assert_eq!(store.max_batch_id().await.expect("max"), Some(WRITERS));
    }
}

/// Eight imports of the same file at once: one commits, seven learn its id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commits_of_the_same_content_commit_once() {
    for db in testing::databases().await {
        let store = db.store().clone();
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                let mut b = batch("hall_ticket", "same", false, &["2026-10-01"]);
                b.file_name = format!("copy-{i}.csv");
                tokio::spawn(async move { store.commit_batch(&b, at(i)).await })
            })
            .collect();
        let mut committed = Vec::new();
        let mut told = Vec::new();
        for t in tasks {
            match t.await.expect("task") {
                Ok(id) => committed.push(id),
                Err(StoreError::AlreadyCommitted { batch }) => told.push(batch),
                Err(e) => panic!("{:?}: {e}", db.backend()),
            }
        }
        assert_eq!(committed, [1], "{:?}", db.backend());
        assert_eq!(told, [1; 7]);
        let batches = store.batches().await.expect("batches");
        assert_eq!(batches.len(), 1);
        let m = store.manifest("hall_ticket", None).await.expect("manifest");
        assert_eq!(m.files.len(), 1);
    }
}
