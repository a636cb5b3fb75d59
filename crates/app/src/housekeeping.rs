//! Keeping the data directory true to its manifest: sweeping what a killed import left,
//! verifying stored files against the manifest (size, rows, content hash), and repairing
//! what can be repaired — only ever files Yardstick wrote.
//!
//! A killed import leaves temporary files (`*.tmp`, `tmp/import-*`) and, if killed after
//! its files were renamed but before its commit, complete record files no batch lists.
//! Both are invisible to readers (they read only committed files). The next holder of
//! the import lock removes them: with the lock held no import runs, so a record file
//! that no committed batch lists can only be such a leftover.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;
use yardstick_engine::layout::{self, Written};
use yardstick_engine::manifest::{StoredFile, file_sha256};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::lock::DirLock;
use crate::scope::Actor;
use crate::workspace::Workspace;

/// A stored file that does not match the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct FileProblem {
    /// Path relative to the data directory.
    pub path: String,
    /// Batch that lists it.
    pub batch: i64,
    /// What differs.
    pub problem: String,
}

/// What `verify` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    /// Files listed by committed batches.
    pub files_checked: usize,
    /// Bytes read to hash them (0 without `--hash`).
    pub bytes_hashed: u64,
    /// Listed files that are missing or differ.
    pub problems: Vec<FileProblem>,
    /// Files Yardstick wrote that no committed batch lists (leftovers of killed imports).
    pub orphans: Vec<String>,
    /// Temporary files and directories of import runs.
    pub temporary: Vec<String>,
}

impl VerifyReport {
    /// Whether everything matches.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.orphans.is_empty() && self.temporary.is_empty()
    }
}

impl Workspace {
    /// Checks every file the manifest lists (present, size, rows in its footer; with
    /// `hash`, its content against the SHA-256 recorded at import) and lists leftovers
    /// of killed imports. Changes nothing.
    ///
    /// # Errors
    /// Store failures.
    pub async fn verify(&self, _actor: &Actor, hash: bool) -> Result<VerifyReport> {
        let listed = self.listed_files().await?;
        let (orphans, temporary) = self.leftovers(&listed);
        let dir = self.dir.clone();
        let cancel = crate::Cancel::new();
        let (checked, bytes, problems) = crate::jobs::blocking(&cancel, move |_| {
            let mut problems = Vec::new();
            let mut bytes = 0u64;
            for (f, sha) in &listed {
                let found =
                    f.verify(&dir)
                        .map_err(|d| d.problem)
                        .and_then(|()| match (hash, sha) {
                            (true, Some(expected)) => {
                                bytes += f.bytes;
                                match file_sha256(&dir.abs(&f.path)) {
                                    Ok(h) if &h == expected => Ok(()),
                                    Ok(h) => Err(format!(
                                        "content hash {} differs from the manifest's {}",
                                        short(&h),
                                        short(expected)
                                    )),
                                    Err(e) => {
                                        Err(format!("cannot be read: {}", crate::os_reason(&e)))
                                    }
                                }
                            }
                            _ => Ok(()),
                        });
                if let Err(problem) = found {
                    problems.push(FileProblem {
                        path: f.path.clone(),
                        batch: f.batch,
                        problem,
                    });
                }
            }
            (listed.len(), bytes, problems)
        })
        .await?;
        Ok(VerifyReport {
            files_checked: checked,
            bytes_hashed: bytes,
            problems,
            orphans,
            temporary,
        })
    }

    /// Lists leftovers of killed imports (record files no committed batch lists,
    /// temporary files, scratch directories of ended processes) and, unless `dry_run`,
    /// removes them, holding the import lock.
    ///
    /// # Errors
    /// Store and file-system failures.
    pub async fn repair(&self, actor: &Actor, dry_run: bool) -> Result<Vec<String>> {
        actor.require_write_records()?;
        let lock = crate::lock::acquire(self.dir.root(), &|| {}).await?;
        let listed = self.listed_files().await?;
        let (orphans, temporary) = self.leftovers(&listed);
        let all: Vec<String> = orphans.into_iter().chain(temporary).collect();
        if !dry_run {
            remove_all(self.dir.root(), &all);
            self.log(
                actor,
                crate::activity::Activity::new("repair")
                    .detail(serde_json::json!({ "removed": all })),
            )
            .await?;
        }
        drop(lock);
        Ok(all)
    }

    /// Removes leftovers while the caller holds the lock. Returns how many.
    pub(crate) async fn sweep_locked(&self, _lock: &DirLock) -> Result<usize> {
        let listed = self.listed_files().await?;
        let (orphans, temporary) = self.leftovers(&listed);
        let all: Vec<String> = orphans.into_iter().chain(temporary).collect();
        remove_all(self.dir.root(), &all);
        Ok(all.len())
    }

    /// Every committed file with the SHA-256 recorded at import (when it was).
    async fn listed_files(&self) -> Result<Vec<(StoredFile, Option<String>)>> {
        let files = self
            .store
            .all_files()
            .await
            .map_err(|e| self.store_error(&e))?;
        Ok(files
            .into_iter()
            .map(|f| {
                (
                    StoredFile {
                        batch: f.batch_id,
                        path: f.path,
                        month: f.month,
                        rows: u64::try_from(f.rows).unwrap_or(0),
                        bytes: u64::try_from(f.bytes).unwrap_or(0),
                    },
                    f.sha256,
                )
            })
            .collect())
    }

    /// Record files and key indexes no committed batch lists, and temporary files and
    /// scratch directories of ended processes, relative to the root.
    fn leftovers(&self, listed: &[(StoredFile, Option<String>)]) -> (Vec<String>, Vec<String>) {
        leftovers(self.dir.root(), listed)
    }
}

/// `verify` of a data directory whose metadata database is missing or empty beside its
/// record files ([`crate::workspace::metadata_lost`]): the error saying so, and a report
/// listing every record file and key index Yardstick wrote there (no batch lists them any
/// more) and the temporary files. No database is opened, so none is created; nothing is
/// removed. `None` when the metadata is not lost.
#[must_use]
pub fn verify_lost_metadata(cfg: &Config) -> Option<(Error, VerifyReport)> {
    let lost = crate::workspace::metadata_lost(cfg)?;
    let (orphans, temporary) = leftovers(&cfg.data_dir, &[]);
    Some((
        lost,
        VerifyReport {
            orphans,
            temporary,
            ..VerifyReport::default()
        },
    ))
}

/// Record files and key indexes under `root` that no file of `listed` accounts for, and
/// temporary files and scratch directories of ended processes, relative to the root.
/// Quarantine files are reports for the user and are never listed.
fn leftovers(root: &Path, listed: &[(StoredFile, Option<String>)]) -> (Vec<String>, Vec<String>) {
    let keep: BTreeSet<String> = listed
        .iter()
        .flat_map(|(f, _)| {
            let keys = layout::key_index_path(Path::new(&f.path))
                .to_string_lossy()
                .into_owned();
            [f.path.clone(), keys]
        })
        .collect();
    let mut orphans = Vec::new();
    let mut temporary = Vec::new();
    for (rel, what) in written_files(root) {
        match what {
            Written::Records | Written::KeyIndex if !keep.contains(&rel) => orphans.push(rel),
            Written::Partial => temporary.push(rel),
            Written::Scratch if scratch_is_dead(&rel) => temporary.push(rel),
            _ => {}
        }
    }
    (orphans, temporary)
}

/// Every file (and scratch directory) Yardstick writes under `root`, relative to it with
/// `/` separators, and what it is. Anything else is not listed.
#[must_use]
pub fn written_files(root: &Path) -> Vec<(String, Written)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Written)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let Ok(rel) = p.strip_prefix(root) else {
                continue;
            };
            let what = layout::written(rel);
            let rel_text = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            match what {
                // A scratch directory is one item: removed whole.
                Some(Written::Scratch) => out.push((rel_text, Written::Scratch)),
                Some(w) if p.is_file() => out.push((rel_text, w)),
                _ if p.is_dir() && !p.is_symlink() => walk(root, &p, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for top in ["records", "quarantine", "tmp"] {
        walk(root, &root.join(top), &mut out);
    }
    out
}

/// Whether the process that owns a scratch directory (`tmp/import-…-p<pid>`) has ended.
/// Where the system does not say which processes live (no `/proc`), it is kept.
fn scratch_is_dead(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let Some(pid) = layout::scratch_owner(name) else {
        return false;
    };
    let proc = Path::new("/proc");
    proc.join("self").exists() && !proc.join(pid.to_string()).exists()
}

fn short(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

fn remove_all(root: &Path, rels: &[String]) {
    for rel in rels {
        let p: PathBuf = root.join(rel);
        // Best effort: a file that cannot be removed now is found again next time.
        let _ = if p.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
    }
}
