//! Imports side by side and imports stopped half-way, on each backend.
//!
//! - Two `ingest` calls of different files at once both commit, as two batches; the same
//!   file twice at once commits once, the other call answering "already imported" with
//!   that batch. The imports provably overlap: each one, once it holds the data
//!   directory's import lock, waits until the other has said it is waiting for it.
//! - A `Cancel` raised during an import, or the import's future dropped, leaves no file
//!   behind and commits nothing; and the import lock is not free again until the
//!   stopped work has ended.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{TestWorkspace, import_small_org, ticket, tickets};
use yardstick_app::ingest::IngestRequest;
use yardstick_app::{Actor, Cancel, ErrorKind, Notice, Observer, Workspace};
use yardstick_core::records::RecordKind;
use yardstick_engine::import::{ImportOptions, ImportReport, ImportStatus};

/// Two imports that meet: whichever holds the lock waits, in its progress, until the
/// other has been told to wait for the lock (at most ten seconds, then it goes on and
/// the test fails on `met`).
#[derive(Default)]
struct Meeting {
    waiting: AtomicBool,
    met: AtomicBool,
}

impl Meeting {
    fn wait_for_the_other(&self) {
        let until = Instant::now() + Duration::from_secs(10);
        while !self.waiting.load(Ordering::SeqCst) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        if self.waiting.load(Ordering::SeqCst) {
            self.met.store(true, Ordering::SeqCst);
        }
    }
}

struct Party(Arc<Meeting>);

impl Observer for Party {
    fn progress(&self, _bytes: u64) {
        self.0.wait_for_the_other();
    }

    fn notice(&self, notice: Notice) {
        if notice == Notice::WaitingForLock {
            self.0.waiting.store(true, Ordering::SeqCst);
        }
    }
}

async fn ingest_observed(
    ws: &Workspace,
    path: PathBuf,
    observer: Arc<dyn Observer>,
    cancel: &Cancel,
) -> yardstick_app::Result<ImportReport> {
    ws.ingest(
        &Actor::System,
        IngestRequest {
            kind: RecordKind::HallTicket,
            path,
            name: None,
            options: ImportOptions::default(),
        },
        observer,
        cancel,
    )
    .await
}

/// `n` tickets of `site` on the 5th of October, ids `{prefix}1…`.
fn many(site: &str, prefix: &str, n: u32) -> String {
    let rows: Vec<String> = (0..n)
        .map(|i| {
            ticket(
                site,
                &format!("{prefix}{i}"),
                "2026-10-05",
                8 + i / 60 % 10,
                i % 60,
                1 + i % 7,
            )
        })
        .collect();
    tickets(&rows)
}

/// Two handles on one workspace, as two processes have.
async fn two_handles(tw: &TestWorkspace) -> (Workspace, Workspace) {
    (tw.ws.clone(), tw.reopen().await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_ingests_of_different_files_both_commit() {
    for tw in common::workspaces().await {
        import_small_org(&tw.ws).await;
        let a = tw.write("h1.csv", &many("h1", "a", 500));
        let b = tw.write("h2.csv", &many("h2", "b", 300));
        let (one, two) = two_handles(&tw).await;
        let meeting = Arc::new(Meeting::default());
        let (c1, c2) = (Cancel::new(), Cancel::new());
        let (ra, rb) = tokio::join!(
            ingest_observed(&one, a, Arc::new(Party(meeting.clone())), &c1),
            ingest_observed(&two, b, Arc::new(Party(meeting.clone())), &c2),
        );
        assert!(
            meeting.met.load(Ordering::SeqCst),
            "{tw:?}: they overlapped"
        );
        let (ra, rb) = (ra.expect("first"), rb.expect("second"));
        assert_eq!(ra.status, ImportStatus::Committed, "{tw:?}");
        assert_eq!(rb.status, ImportStatus::Committed, "{tw:?}");
        assert_eq!((ra.rows_stored, rb.rows_stored), (500, 300));
        assert_ne!(ra.batch, rb.batch, "{tw:?}");
        let mut listed: Vec<Option<i64>> = tw
            .ws
            .record_stats(&Actor::System)
            .await
            .expect("stats")
            .batches
            .iter()
            .map(|b| Some(b.id))
            .collect();
        listed.sort_unstable();
        let mut expected = vec![ra.batch, rb.batch];
        expected.sort_unstable();
        assert_eq!(listed, expected, "{tw:?}: both batches listed");
        let check = tw.ws.verify(&Actor::System, true).await.expect("verify");
        assert!(check.is_clean(), "{tw:?}: {check:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_file_twice_at_once_commits_once() {
    for tw in common::workspaces().await {
        import_small_org(&tw.ws).await;
        let file = tw.write("h1.csv", &many("h1", "a", 500));
        let (one, two) = two_handles(&tw).await;
        let meeting = Arc::new(Meeting::default());
        let (c1, c2) = (Cancel::new(), Cancel::new());
        let (ra, rb) = tokio::join!(
            ingest_observed(&one, file.clone(), Arc::new(Party(meeting.clone())), &c1),
            ingest_observed(&two, file, Arc::new(Party(meeting.clone())), &c2),
        );
        assert!(
            meeting.met.load(Ordering::SeqCst),
            "{tw:?}: they overlapped"
        );
        let reports = [ra.expect("first"), rb.expect("second")];
        let committed: Vec<&ImportReport> = reports
            .iter()
            .filter(|r| r.status == ImportStatus::Committed)
            .collect();
        assert_eq!(committed.len(), 1, "{tw:?}: {reports:?}");
        let batch = committed[0].batch.expect("batch id");
        let already: Vec<&ImportReport> = reports
            .iter()
            .filter(|r| r.status == ImportStatus::AlreadyImported(batch))
            .collect();
        assert_eq!(already.len(), 1, "{tw:?}: {reports:?}");
        assert_eq!(already[0].batch, Some(batch));
        assert_eq!(
            already[0].rows_stored, 500,
            "the earlier batch's accounting"
        );
        let stats = tw.ws.record_stats(&Actor::System).await.expect("stats");
        assert_eq!(stats.batches.len(), 1, "{tw:?}");
        assert_eq!(stats.kinds["hall_ticket"].live, 500);
        // Only the committed batch's files are on disk.
        let check = tw.ws.verify(&Actor::System, true).await.expect("verify");
        assert!(check.is_clean(), "{tw:?}: {check:?}");
    }
}

/// Raises a cancel flag when the import reports progress.
struct CancelOnProgress(Cancel);

impl Observer for CancelOnProgress {
    fn progress(&self, _bytes: u64) {
        self.0.cancel();
    }
}

/// Three tickets of h1 and one of an unknown site (quarantined): an import writes a
/// Parquet file, its key index and a quarantine file.
fn with_a_bad_row() -> String {
    tickets(&[
        ticket("h1", "t1", "2026-10-05", 9, 0, 2),
        ticket("h1", "t2", "2026-10-05", 9, 10, 4),
        ticket("nowhere", "t3", "2026-10-05", 9, 20, 6),
        ticket("h1", "t4", "2026-10-06", 9, 30, 8),
    ])
}

/// Nothing is left of an import: no record, key-index, quarantine or temporary file, no
/// batch, no entry in the activity log; and the same file imports afterwards.
async fn nothing_left(tw: &TestWorkspace, file: PathBuf) {
    assert_eq!(
        common::stored_files(tw.root()),
        Vec::<String>::new(),
        "{tw:?}"
    );
    let stats = tw.ws.record_stats(&Actor::System).await.expect("stats");
    assert!(stats.batches.is_empty(), "{tw:?}: {:?}", stats.batches);
    let log = tw
        .ws
        .activity(&Actor::System, &Default::default())
        .await
        .expect("activity");
    assert!(log.iter().all(|e| e.action != "ingest"), "{tw:?}: {log:?}");
    let again = common::ingest(&tw.ws, RecordKind::HallTicket, &file, false)
        .await
        .expect("imported afterwards");
    assert_eq!(again.status, ImportStatus::Committed);
    assert_eq!((again.rows_stored, again.rows_quarantined), (3, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_ingest_leaves_nothing_behind() {
    for tw in common::workspaces().await {
        import_small_org(&tw.ws).await;
        let file = tw.write("t.csv", &with_a_bad_row());
        let cancel = Cancel::new();
        let e = ingest_observed(
            &tw.ws,
            file.clone(),
            Arc::new(CancelOnProgress(cancel.clone())),
            &cancel,
        )
        .await
        .expect_err("cancelled");
        assert_eq!(e.kind(), ErrorKind::Cancelled, "{tw:?}: {e}");
        assert_eq!(e.exit_code(), 130);
        nothing_left(&tw, file).await;
    }
}

/// Stops in its progress: tells the test, then keeps the import busy for a while and
/// counts how many times it got to the end of that.
struct Stall {
    started: Arc<tokio::sync::Notify>,
    ended: Arc<AtomicUsize>,
}

impl Observer for Stall {
    fn progress(&self, _bytes: u64) {
        self.started.notify_one();
        std::thread::sleep(Duration::from_millis(400));
        self.ended.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_ingest_leaves_nothing_behind() {
    for tw in common::workspaces().await {
        import_small_org(&tw.ws).await;
        let file = tw.write("t.csv", &with_a_bad_row());
        let started = Arc::new(tokio::sync::Notify::new());
        let ended = Arc::new(AtomicUsize::new(0));
        let stall = Stall {
            started: started.clone(),
            ended: ended.clone(),
        };
        let cancel = Cancel::new();
        let mut import = Box::pin(ingest_observed(
            &tw.ws,
            file.clone(),
            Arc::new(stall),
            &cancel,
        ));
        tokio::select! {
            r = &mut import => panic!("{tw:?}: the import ended before it was dropped: {r:?}"),
            () = started.notified() => {}
        }
        // The caller goes away in the middle of the import.
        drop(import);
        assert!(cancel.is_cancelled(), "dropping raises the flag");
        // The import lock is free only once the stopped work has ended: no other import
        // may start while it still writes.
        let lock = yardstick_app::lock::acquire(tw.root(), &|| {})
            .await
            .expect("the lock");
        assert!(
            ended.load(Ordering::SeqCst) > 0,
            "{tw:?}: the lock was free while the dropped import still ran"
        );
        drop(lock);
        nothing_left(&tw, file).await;
    }
}

/// A caller may go away at any moment of an import, also while its batch commits: the
/// data directory stays consistent whenever that happens. Each attempt imports a new
/// file and drops the import after the next of the [`common::DropDelays`] (the last
/// ones fall where the commit runs). After each, every file the manifest lists is
/// there, no file is left that it does not list, and at most one batch was added.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_dropped_at_any_moment_leaves_the_directory_consistent() {
    for tw in common::workspaces().await {
        import_small_org(&tw.ws).await;
        let mut batches = 0;
        let mut delays = common::DropDelays::default();
        let mut attempt = 0;
        while let Some(delay) = delays.next_delay() {
            attempt += 1;
            let file = tw.write(
                &format!("t{attempt}.csv"),
                &many("h1", &format!("a{attempt}-"), 50),
            );
            let cancel = Cancel::new();
            let import = ingest_observed(&tw.ws, file, Arc::new(yardstick_app::Quiet), &cancel);
            if let Ok(done) = tokio::time::timeout(Duration::from_millis(delay), import).await {
                assert_eq!(done.expect("imported").status, ImportStatus::Committed);
                delays.finished(delay);
            }
            // The dropped work has ended once the lock is free.
            drop(
                yardstick_app::lock::acquire(tw.root(), &|| {})
                    .await
                    .expect("lock"),
            );
            let now = tw.ws.record_stats(&Actor::System).await.expect("stats");
            let added = now.batches.len() - batches;
            assert!(added <= 1, "{tw:?}: attempt {attempt}: {added} batches");
            batches = now.batches.len();
            let check = tw.ws.verify(&Actor::System, false).await.expect("verify");
            assert!(
                check.is_clean(),
                "{tw:?}: attempt {attempt} (dropped after {delay} ms): {check:?}"
            );
        }
        assert!(delays.any_finished(), "{tw:?}: no attempt finished");
    }
}
