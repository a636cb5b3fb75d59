//! The demo end to end (`quickstart`): a data directory made for it, the demo
//! organisation and records generated into it, imported, and the last full month
//! evaluated and frozen.
//!
//! Quickstart recreates only a data directory it made itself (its marker says so), and
//! clearing it removes only what Yardstick wrote there; a folder with anything else in
//! it is refused, never emptied.

use std::path::Path;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use yardstick_core::period::Period;
use yardstick_core::records::RecordKind;
pub use yardstick_demo::{DemoConfig, DemoSummary};
use yardstick_demo::{ORG_FILE, RECORD_KINDS};
use yardstick_engine::import::{ImportOptions, ImportReport};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::evaluate::{Engine, EvaluateRequest, Evaluated, GuidelineChoice};
use crate::ingest::IngestRequest;
use crate::jobs::{Cancel, Observer};
use crate::scope::Actor;
use crate::workspace::{MARKER, Workspace, is_data_dir};

/// Marker saying quickstart made a data directory (and may clear and recreate it).
pub const QUICKSTART_MARKER: &str = ".yardstick-quickstart";

/// The folder the demo's input files are generated into, inside the data directory.
pub const DEMO_INPUT: &str = "demo-input";

/// What quickstart did.
#[derive(Debug, Clone)]
pub struct Quickstarted {
    /// The generated demo.
    pub demo: DemoSummary,
    /// One import report per record kind.
    pub reports: Vec<ImportReport>,
    /// The evaluation of the last full month, frozen.
    pub evaluated: Evaluated,
    /// The audits signed and actions added before it.
    pub audits: crate::demo_audits::DemoLoop,
    /// The workspace, for what comes next (serving).
    pub workspace: Workspace,
}

/// Generates the demo files into `out` (no workspace needed).
///
/// # Errors
/// An input error for a bad configuration; I/O failures.
pub fn generate(cfg: &DemoConfig, out: &Path) -> Result<DemoSummary> {
    yardstick_demo::generate(cfg, out)
        .map_err(|e| Error::input("error.demo.generate").detail(e.to_string()))
}

/// Names Yardstick writes at the top of a data directory quickstart made.
const OURS: [&str; 10] = [
    MARKER,
    QUICKSTART_MARKER,
    ".lock",
    "meta.sqlite",
    "meta.sqlite-wal",
    "meta.sqlite-shm",
    "records",
    "quarantine",
    "tmp",
    DEMO_INPUT,
];

/// The last full calendar month that ends on or before `end`.
#[must_use]
pub fn last_full_month(end: NaiveDate) -> Period {
    let next = end.succ_opt().unwrap_or(end);
    if next.day() == 1 {
        Period::last_full_month(next)
    } else {
        Period::last_full_month(end)
    }
}

/// Runs the demo end to end in the configured data directory.
///
/// # Errors
/// An input error when the directory holds anything quickstart did not make; any
/// failure of a step, saying which.
pub async fn quickstart(
    config: &Config,
    demo: DemoConfig,
    observer: Arc<dyn Observer>,
    cancel: &Cancel,
) -> Result<Quickstarted> {
    let root = &config.data_dir;
    prepare(root)?;
    let (ws, _) = Workspace::init(config).await?;
    let marker = root.join(QUICKSTART_MARKER);
    std::fs::write(
        &marker,
        "made by `yardstick quickstart`: it may clear and recreate what Yardstick wrote here\n",
    )
    .map_err(|e| crate::io_error("error.io.write", &marker, &e))?;
    let input = root.join(DEMO_INPUT);
    let summary = generate(&demo, &input)?;
    if ws
        .store
        .max_batch_id()
        .await
        .map_err(|e| ws.store_error(&e))?
        .is_some()
    {
        return Err(Error::input("error.quickstart.database_not_empty"));
    }
    let org_path = input.join(ORG_FILE);
    let org_text = std::fs::read_to_string(&org_path)
        .map_err(|e| crate::io_error("error.io.read", &org_path, &e))?;
    ws.import_org(&Actor::System, &org_path.display().to_string(), &org_text)
        .await?;
    let mut reports = Vec::new();
    for kind in RECORD_KINDS {
        let Some(k) = RecordKind::parse(kind) else {
            continue;
        };
        let req = IngestRequest {
            kind: k,
            path: input.join(format!("{kind}.csv")),
            name: None,
            options: ImportOptions::default(),
        };
        reports.push(
            ws.ingest(&Actor::System, req, observer.clone(), cancel)
                .await?,
        );
    }
    let period = last_full_month(demo.end);
    let audits = ws.seed_demo_loop(&period, demo.seed).await?;
    let req = EvaluateRequest {
        period: period.clone(),
        scope: None,
        guideline: GuidelineChoice::Builtin,
        engine: Engine::Columnar,
        freeze: true,
    };
    let evaluated = ws.evaluate(&Actor::System, req, cancel).await?;
    // The check as of the day after the demo (the freeze checked as of today, which on
    // a machine whose clock is behind the demo's dates is before the actions' due days).
    ws.run_checks(&Actor::System, demo.end + chrono::Days::new(1))
        .await?;
    Ok(Quickstarted {
        demo: summary,
        reports,
        evaluated,
        audits,
        workspace: ws,
    })
}

/// Makes `root` ready for quickstart: a missing or empty folder is taken as it is; a
/// folder quickstart made before is cleared of what Yardstick wrote (and must then be
/// empty); anything else is refused.
fn prepare(root: &Path) -> Result<()> {
    let empty = match std::fs::read_dir(root) {
        Ok(mut e) => e.next().is_none(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(crate::io_error("error.io.read_dir", root, &e)),
    };
    if !empty {
        if !root.join(QUICKSTART_MARKER).is_file() {
            let key = if is_data_dir(root) {
                "error.quickstart.not_ours"
            } else {
                "error.quickstart.not_empty"
            };
            return Err(Error::input(key).arg("dir", root.display()));
        }
        // Anything Yardstick does not write, at the top or inside its folders: refuse
        // before removing anything.
        let foreign = foreign_items(root)?;
        if foreign > 0 {
            return Err(Error::input("error.quickstart.foreign_files")
                .arg("dir", root.display())
                .arg("files", foreign));
        }
        clear(root)?;
        let left = std::fs::read_dir(root).map_or(0, Iterator::count);
        if left > 0 {
            return Err(Error::input("error.quickstart.foreign_files")
                .arg("dir", root.display())
                .arg("files", left));
        }
    }
    Ok(())
}

/// How many items under `root` Yardstick did not write: entries at the top with other
/// names, and files inside its folders (`records/`, `quarantine/`, `tmp/`, the demo
/// input) with names it does not give.
fn foreign_items(root: &Path) -> Result<usize> {
    let top = std::fs::read_dir(root)
        .map_err(|e| crate::io_error("error.io.read_dir", root, &e))?
        .flatten()
        .filter(|e| !OURS.contains(&e.file_name().to_string_lossy().as_ref()))
        .count();
    let written: std::collections::BTreeSet<String> = crate::housekeeping::written_files(root)
        .into_iter()
        .map(|(rel, _)| rel)
        .chain(demo_input_files())
        .collect();
    let mut inside = 0;
    for sub in ["records", "quarantine", "tmp", DEMO_INPUT] {
        for rel in files_below(root, Path::new(sub)) {
            // A file under a scratch directory is the scratch directory's.
            let in_scratch = written.iter().any(|w| rel.starts_with(&format!("{w}/")));
            if !written.contains(&rel) && !in_scratch {
                inside += 1;
            }
        }
    }
    Ok(top + inside)
}

/// The demo input files quickstart generates, relative to the data directory.
fn demo_input_files() -> impl Iterator<Item = String> {
    std::iter::once(format!("{DEMO_INPUT}/{ORG_FILE}"))
        .chain(RECORD_KINDS.iter().map(|k| format!("{DEMO_INPUT}/{k}.csv")))
}

/// Every file (not folder) below `root/sub`, relative to `root` with `/` separators; a
/// symbolic link counts as a file and is not followed.
fn files_below(root: &Path, sub: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![root.join(sub)];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() && !p.is_symlink() {
                todo.push(p);
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    out
}

/// Removes what Yardstick wrote in a data directory quickstart made: the metadata
/// database, record and quarantine files it names itself, temporary files, the demo
/// input it generated, its markers. Anything else stays, with the folders holding it.
fn clear(root: &Path) -> Result<()> {
    for (rel, _) in crate::housekeeping::written_files(root) {
        remove(&root.join(rel))?;
    }
    let mut fixed: Vec<String> = ["meta.sqlite", "meta.sqlite-wal", "meta.sqlite-shm", ".lock"]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    fixed.extend(demo_input_files());
    for rel in &fixed {
        remove(&root.join(rel))?;
    }
    // Folders Yardstick made, now empty (deepest first); a folder still holding
    // something that is not ours stays.
    remove_empty_dirs(&root.join("records"));
    for sub in ["quarantine", "tmp", DEMO_INPUT] {
        let _ = std::fs::remove_dir(root.join(sub));
    }
    remove(&root.join(MARKER))?;
    remove(&root.join(QUICKSTART_MARKER))?;
    Ok(())
}

fn remove(path: &Path) -> Result<()> {
    let r = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(crate::io_error("error.io.remove", path, &e)),
    }
}

/// Removes `dir` and the folders under it that are empty once their empty children are
/// gone; never a file.
fn remove_empty_dirs(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.path().is_dir() {
            remove_empty_dirs(&e.path());
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// A demo user quickstart makes, with the password generated for it (shown once).
#[derive(Debug, Clone)]
pub struct DemoUser {
    /// Login.
    pub login: &'static str,
    /// Role.
    pub role: crate::access::Role,
    /// Scope of the grant.
    pub scope: &'static str,
    /// The generated password.
    pub password: String,
}

/// The demo users: an admin of the operator and one user per other role, each with a
/// scope that shows what the role sees — a quality manager of Zhejiang, a site manager
/// of the Ningbo call centre, an evaluator of Sichuan, a viewer of Hangzhou and a
/// regulator of the whole operator.
pub const DEMO_USERS: [(&str, crate::access::Role, &str); 6] = [
    ("admin", crate::access::Role::Admin, "yuanda"),
    ("qm-zj", crate::access::Role::QualityManager, "zj"),
    ("sm-nb-c01", crate::access::Role::SiteManager, "nb-c01"),
    ("evaluator-sc", crate::access::Role::Evaluator, "sc"),
    ("viewer-hz", crate::access::Role::Viewer, "zj-hz"),
    ("regulator", crate::access::Role::Regulator, "yuanda"),
];

/// Creates the demo users with generated passwords (as the command line).
///
/// # Errors
/// When a user exists already, or the demo organisation is not loaded.
pub async fn create_demo_users(ws: &Workspace) -> Result<Vec<DemoUser>> {
    let mut out = Vec::new();
    for (login, role, scope) in DEMO_USERS {
        let grant = crate::access::Grant {
            role,
            scope: scope.to_string(),
        };
        let (_, password) = ws.add_user(&Actor::System, login, &[grant], None).await?;
        out.push(DemoUser {
            login,
            role,
            scope,
            password: password.unwrap_or_default(),
        });
    }
    Ok(out)
}
