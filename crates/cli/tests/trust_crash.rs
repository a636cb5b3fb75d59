//! Issue 18, finding 4: a crash leaves nothing behind. `yardstick ingest` killed with
//! SIGKILL at several moments of a large import: whatever the moment, the manifest lists
//! no partial batch (no batch, or the complete one, whose files all exist with the rows
//! the manifest says), and stray uncommitted files are never read. What the killed runs
//! left (temporary files, complete but uncommitted record files and key indexes,
//! scratch folders) is listed by `verify`, shown by `repair --dry-run`, and removed by
//! `repair` or by the next import, which then stores every row exactly once.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use yardstick_core::org::Organisation;
use yardstick_engine::layout::DataDir;
use yardstick_engine::manifest::{KindManifest, Manifest, StoredFile};
use yardstick_store::Store;

/// Rows of the large file: enough for an import of a few seconds with the debug binary,
/// few enough to keep the whole test well under a minute on two cores.
const ROWS: usize = 30_000;

/// Longest any one run may take before the test gives up on it.
const RUN_LIMIT: Duration = Duration::from_secs(60);

fn yardstick(data: &Path) -> Command {
    let mut c = common::yardstick();
    c.arg("--data-dir").arg(data).arg("--lang").arg("en");
    c
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("yardstick runs");
    assert!(
        out.status.success(),
        "{:?} failed: {}{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A data directory initialised with the organisation.
fn data_dir(root: &Path, name: &str) -> PathBuf {
    let data = root.join(name);
    run(yardstick(&data).arg("init"));
    let org = root.join("org.toml");
    std::fs::write(&org, common::ORG).expect("org file");
    run(yardstick(&data).args(["org", "import"]).arg(&org));
    data
}

/// `ROWS` served tickets of h1 spread over October to December 2025 (one Parquet file
/// per month, so a kill can fall between the renames of one batch's files).
fn big_file(root: &Path) -> PathBuf {
    let start = NaiveDate::from_ymd_opt(2025, 10, 1).expect("date");
    let mut text = String::from("site_id,ticket_id,service_type,issued_at,called_at,outcome\n");
    for i in 0..ROWS {
        let day = start + chrono::Days::new((i % 92) as u64);
        let s = i / 92;
        let at = format!("{day} {:02}:{:02}:{:02}", 8 + s / 3600, s / 60 % 60, s % 60);
        text.push_str(&format!("h1,T{i},payment,{at},{at},served\n"));
    }
    let path = root.join("tickets.csv");
    std::fs::write(&path, text).expect("large file written");
    path
}

fn ingest(data: &Path, file: &Path) -> Child {
    yardstick(data)
        .args(["ingest", "hall_ticket"])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ingest starts")
}

/// Waits for a child within the run limit.
fn wait(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + RUN_LIMIT;
    loop {
        if let Some(status) = child.try_wait().expect("child status") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("yardstick ingest took longer than {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// When to kill a run.
#[derive(Debug, Clone, Copy)]
enum Moment {
    /// This long after it started.
    After(Duration),
    /// As soon as this many new Parquet files have their final names: the batch's files
    /// are being renamed, and its commit is a moment away.
    Renamed(usize),
}

impl Moment {
    /// Waits for the moment; returns whether the run had already ended by then.
    fn wait(self, child: &mut Child, data: &Path, before: &[PathBuf]) -> bool {
        let deadline = Instant::now() + RUN_LIMIT;
        match self {
            Moment::After(d) => {
                std::thread::sleep(d);
                child.try_wait().expect("child status").is_some()
            }
            Moment::Renamed(n) => loop {
                let new = final_files(data)
                    .into_iter()
                    .filter(|f| !before.contains(f))
                    .count();
                if new >= n {
                    return false;
                }
                if child.try_wait().expect("child status").is_some() || Instant::now() > deadline {
                    return true;
                }
                std::thread::sleep(Duration::from_micros(200));
            },
        }
    }
}

/// Parquet files with their final names under `records/`, committed or not.
fn final_files(data: &Path) -> Vec<PathBuf> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(p).into_iter().flatten() {
            let Ok(e) = e else { continue };
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&data.join("records"), &mut out);
    out
}

/// What the store shows after a run.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    /// No batch committed.
    Nothing,
    /// One complete batch.
    Complete,
}

/// Checks the data directory through the library: every batch in the manifest is
/// complete, and only committed files are read.
async fn verify(data: &Path) -> Seen {
    let dir = DataDir::new(data);
    let url = yardstick_store::DatabaseUrl::Sqlite(dir.meta_db());
    let store = Store::connect(&url).await.expect("store opens");
    let batches = store.batches().await.expect("batches");
    assert!(
        batches.len() <= 1,
        "one file gives at most one batch: {batches:?}"
    );
    let files = store
        .manifest("hall_ticket", None)
        .await
        .expect("file list")
        .files;
    let mut listed = Vec::new();
    for b in &batches {
        assert_eq!(
            (b.rows_read, b.rows_stored, b.rows_quarantined),
            (rows(ROWS), rows(ROWS), 0),
            "a committed batch is complete: {b:?}"
        );
        let mine: Vec<_> = files.iter().filter(|f| f.batch_id == b.id).collect();
        assert_eq!(mine.len(), 3, "one file per month: {mine:?}");
        let mut total = 0;
        for f in mine {
            let path = dir.abs(&f.path);
            assert!(path.exists(), "{} is listed but missing", f.path);
            let rows = yardstick_engine::compute::read_id_pairs(&dir, &stored(f), "ticket_id")
                .expect("committed file reads")
                .len();
            assert_eq!(self::rows(rows), f.rows, "{} has the rows listed", f.path);
            total += f.rows;
            listed.push(path);
        }
        assert_eq!(total, b.rows_stored);
    }
    // Whatever else lies in the records directory (temporary or renamed files of a
    // killed run) is invisible: the computation sees exactly the committed rows.
    let org = store.org().await.expect("org").expect("org loaded");
    let visible = visible(&dir, &store, &org).await;
    let committed: i64 = batches.iter().map(|b| b.rows_stored).sum();
    assert_eq!(
        i64::try_from(visible).expect("small"),
        committed,
        "only committed rows are read"
    );
    if batches.is_empty() {
        Seen::Nothing
    } else {
        Seen::Complete
    }
}

async fn visible(dir: &DataDir, store: &Store, org: &Organisation) -> u64 {
    // One hall indicator is enough to make the computation read every visible row.
    let mut g = yardstick_core::guideline::default_guideline().expect("guideline");
    g.indicators
        .retain(|i| i.kind == yardstick_core::records::RecordKind::HallTicket);
    g.indicators.truncate(1);
    let p = yardstick_core::period::Period::parse("2025-Q4").expect("period");
    let kind = yardstick_core::records::RecordKind::HallTicket;
    let rows = store.manifest(kind.as_str(), None).await.expect("manifest");
    let mut manifest = Manifest::default();
    manifest.kinds.insert(
        kind,
        KindManifest {
            files: rows.files.iter().map(stored).collect(),
            replaced: rows.replaced,
            hashes: std::collections::HashMap::new(),
        },
    );
    let c = yardstick_engine::compute::compute(dir, &manifest, &g, org, &p).expect("compute");
    c.rows_scanned.get("hall_ticket").copied().unwrap_or(0)
}

/// A file of the store's manifest as the engine takes it.
fn stored(f: &yardstick_store::FileEntry) -> StoredFile {
    StoredFile {
        batch: f.batch_id,
        path: f.path.clone(),
        month: f.month.clone(),
        rows: u64::try_from(f.rows).expect("row counts are positive"),
        bytes: u64::try_from(f.bytes).expect("sizes are positive"),
    }
}

fn rows(n: usize) -> i64 {
    i64::try_from(n).expect("row counts fit")
}

/// What killed runs left, as `verify` and `repair` name them (relative to the data
/// directory): files under `records/` that are neither a committed file nor its key
/// index, and the scratch folders of import runs under `tmp/` (each one item; their
/// processes are gone).
async fn leftovers(data: &Path) -> Vec<String> {
    let store = Store::connect(&yardstick_store::DatabaseUrl::Sqlite(
        data.join("meta.sqlite"),
    ))
    .await
    .expect("store opens");
    let mut keep = std::collections::BTreeSet::new();
    for f in store.all_files().await.expect("files") {
        keep.insert(f.path.replace(".parquet", ".keys"));
        keep.insert(f.path);
    }
    let mut out: Vec<String> = common::files_under(data, "records")
        .into_iter()
        .filter(|f| !keep.contains(f))
        .collect();
    for e in std::fs::read_dir(data.join("tmp")).into_iter().flatten() {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        out.push(format!("tmp/{name}"));
    }
    out.sort();
    out
}

/// Copies a data directory (no process is using it).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder");
    for e in std::fs::read_dir(from).expect("listed") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copied");
        }
    }
}

#[test]
fn a_killed_import_leaves_no_partial_batch_and_its_leftovers_are_removed() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = big_file(tmp.path());

    // Kill runs in one directory at several moments, from early to just before the
    // commit; each later run starts from what the killed ones left.
    let data = data_dir(tmp.path(), "killed");
    let moments = [
        Moment::After(Duration::from_millis(100)),
        Moment::After(Duration::from_millis(500)),
        Moment::Renamed(1),
        Moment::Renamed(3),
    ];
    let mut outcomes = Vec::new();
    let mut uncommitted = 0;
    for at in moments {
        let before = final_files(&data);
        let mut child = ingest(&data, &file);
        let finished = at.wait(&mut child, &data, &before);
        child.kill().expect("SIGKILL");
        wait(&mut child);
        let seen = rt.block_on(verify(&data));
        if let (Moment::Renamed(n), false, Seen::Nothing) = (at, finished, &seen) {
            // Renamed but uncommitted files lie there, and were not read.
            let new = final_files(&data)
                .into_iter()
                .filter(|f| !before.contains(f))
                .count();
            assert!(new >= n, "{new} new files");
            uncommitted = new;
        }
        outcomes.push((at, finished, seen));
    }
    // Killed early, nothing can have been committed.
    assert_eq!(outcomes[0].2, Seen::Nothing, "{outcomes:?}");
    let left = rt.block_on(leftovers(&data));
    eprintln!("kills (moment, had finished, seen): {outcomes:?}; left: {left:?}");
    // The last killed run renamed files it never committed (unless it had finished):
    // they, at least, are left over, each with its key index.
    assert!(
        left.iter().filter(|f| f.ends_with(".parquet")).count() >= uncommitted,
        "{left:?}"
    );

    // `verify` names every leftover, says how to remove them, and exits 0: the stored
    // files are intact.
    let r = common::run_cmd(yardstick(&data).arg("verify")).code(0);
    for f in &left {
        assert!(r.stdout.contains(&format!(": {f}\n")), "{f}:\n{}", r.stdout);
    }
    if !left.is_empty() {
        common::assert_contains(&r.stdout, &["`yardstick repair` removes them"]);
    }
    // `repair --dry-run` lists them and removes nothing.
    let files = || {
        let mut all = common::files_under(&data, "records");
        all.extend(common::files_under(&data, "tmp"));
        all
    };
    let before = files();
    let r = common::run_cmd(yardstick(&data).args(["repair", "--dry-run"])).code(0);
    for f in &left {
        assert!(r.stdout.contains(&format!("  {f}\n")), "{f}:\n{}", r.stdout);
    }
    assert_eq!(files(), before);

    // In a copy, `repair` removes exactly them.
    let copy = tmp.path().join("repaired");
    copy_dir(&data, &copy);
    let r = common::run_cmd(yardstick(&copy).arg("repair")).code(0);
    if !left.is_empty() {
        common::assert_contains(&r.stdout, &[&format!("removed {} file(s)", left.len())]);
    }
    assert_eq!(rt.block_on(leftovers(&copy)), Vec::<String>::new());
    assert_eq!(rt.block_on(verify(&copy)), outcomes.last().expect("runs").2);
    common::assert_contains(
        &common::run_cmd(yardstick(&copy).arg("verify"))
            .code(0)
            .stdout,
        &["everything matches the manifest"],
    );

    // Importing again sweeps them first, then completes the batch, or finds it complete
    // already.
    let out = run(yardstick(&data).args(["ingest", "hall_ticket"]).arg(&file));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains(&format!("stored {ROWS}")) || stdout.contains("already imported"),
        "{stdout}"
    );
    if !left.is_empty() {
        common::assert_contains(
            &stderr,
            &[&format!(
                "removed {} file(s) left by an interrupted import",
                left.len()
            )],
        );
    }
    assert_eq!(rt.block_on(leftovers(&data)), Vec::<String>::new());
    assert_eq!(rt.block_on(verify(&data)), Seen::Complete);
    let out = run(yardstick(&data).args(["ingest", "hall_ticket"]).arg(&file));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("already imported"), "{stdout}");
    assert!(stdout.contains(&format!("stored {ROWS}")), "{stdout}");
    assert_eq!(rt.block_on(verify(&data)), Seen::Complete);
    // One batch: three months, each a Parquet file and its key index.
    assert_eq!(common::files_under(&data, "records").len(), 6);
}
