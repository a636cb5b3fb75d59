//! Field mappings: a mapping file read and validated once (every problem located), and
//! `mapping check`, a file tried through a mapping without storing anything.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use yardstick_core::mapping::Mapping;
use yardstick_core::records::RecordKind;
pub use yardstick_engine::import::{KindCheck, MAX_PROBLEMS, Problem, Sample};
use yardstick_engine::import::{SourceSpec, check_mapping};

use crate::error::{Error, Result, in_both};
use crate::ingest::{QueueLogSpec, ReadAs, import_error, plausible_window};
use crate::jobs::{Cancel, blocking};
use crate::scope::Actor;
use crate::workspace::Workspace;

/// A mapping file's name (for messages) and text.
#[derive(Debug, Clone)]
pub struct MappingFile {
    /// The name its problems are located in (`examples/mappings/bank/mapping.toml`).
    pub name: String,
    /// Its TOML text.
    pub text: String,
}

impl MappingFile {
    /// Reads a mapping file from disk (not yet validated).
    ///
    /// # Errors
    /// An unreadable file, or one that is not UTF-8 text.
    pub fn read(path: &Path) -> Result<MappingFile> {
        let bytes = std::fs::read(path).map_err(|e| crate::io_error("error.io.read", path, &e))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::input("error.mapping.not_utf8").arg("file", path.display()))?;
        Ok(MappingFile {
            name: path.display().to_string(),
            text,
        })
    }

    /// The mapping, validated.
    ///
    /// # Errors
    /// An input error listing every problem with `file:line:col`.
    pub fn parse(&self) -> Result<Arc<Mapping>> {
        Mapping::from_toml(&self.name, &self.text)
            .map(Arc::new)
            .map_err(|e| {
                Error::input("error.mapping.invalid")
                    .arg("file", &self.name)
                    .detail_localised(in_both(|l| e.render(l)))
            })
    }
}

/// Refuses a mapping that makes no record of `kind`, naming the kinds it makes.
///
/// # Errors
/// An input error.
pub fn require_kind(mapping: &Mapping, kind: RecordKind) -> Result<()> {
    if mapping.record(kind).is_some() {
        return Ok(());
    }
    let kinds: Vec<&str> = mapping.kinds().iter().map(|k| k.as_str()).collect();
    Err(Error::input("error.mapping.no_kind")
        .arg("file", &mapping.file)
        .arg("kind", kind.as_str())
        .arg("kinds", kinds.join(", ")))
}

/// What `mapping check` tries.
#[derive(Debug, Clone)]
pub struct MappingCheckRequest {
    /// The file read through the mapping.
    pub path: PathBuf,
    /// The mapping, validated.
    pub mapping: Arc<Mapping>,
    /// Only this kind of the mapping's; all when `None`.
    pub kind: Option<RecordKind>,
    /// The file's encoding and sheet, when named (the mapping is this request's).
    pub read_as: ReadAs,
    /// Records shown per kind.
    pub rows: usize,
}

impl Workspace {
    /// Reads a file through a mapping, kind by kind, storing nothing: the first records,
    /// the unused columns, every row that would be quarantined and why, the counts.
    ///
    /// # Errors
    /// No organisation, a kind the mapping does not make, a file the mapping does not
    /// fit (its missing columns listed), an unreadable file.
    pub async fn check_mapping(
        &self,
        actor: &Actor,
        req: MappingCheckRequest,
        cancel: &Cancel,
    ) -> Result<Vec<KindCheck>> {
        actor.require_write_records()?;
        if let Some(k) = req.kind {
            require_kind(&req.mapping, k)?;
        }
        let org = self.require_org().await?;
        let spec = SourceSpec {
            encoding: req.read_as.encoding,
            sheet: req.read_as.sheet,
            mapping: Some(req.mapping),
            queue_log: None,
        };
        let accept = plausible_window(Utc::now());
        let root = self.dir.root().to_path_buf();
        let (path, kind, rows) = (req.path, req.kind, req.rows);
        blocking(cancel, move |_| {
            check_mapping(&org, accept, &path, &spec, kind, rows)
                .map_err(|e| import_error(&e, &root))
        })
        .await?
    }
}

/// The sites of a `queue_log`'s queues: `site` for every queue, and a queue map (TOML:
/// an optional `site = "…"` for the queues it does not name, and a `[queues]` table of
/// queue name = site id) read from `map`.
///
/// # Errors
/// An unreadable map, TOML that is not such a map (the problem located), neither a site
/// nor a map.
pub fn queue_log_spec(site: Option<String>, map: Option<&Path>) -> Result<QueueLogSpec> {
    let mut spec = QueueLogSpec {
        site,
        ..QueueLogSpec::default()
    };
    if let Some(path) = map {
        let bytes = std::fs::read(path).map_err(|e| crate::io_error("error.io.read", path, &e))?;
        let name = path.display().to_string();
        let bad = |detail: String| {
            Error::input("error.queue_map.invalid")
                .arg("file", &name)
                .detail(detail)
        };
        let text = String::from_utf8(bytes).map_err(|_| bad("not UTF-8 text".into()))?;
        let value: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| bad(e.to_string()))?;
        for (key, v) in &value {
            match (key.as_str(), v) {
                ("site", toml::Value::String(s)) => {
                    spec.site.get_or_insert_with(|| s.clone());
                }
                ("queues", toml::Value::Table(t)) => {
                    for (queue, site) in t {
                        let toml::Value::String(site) = site else {
                            return Err(bad(format!(
                                "queues.{queue}: a site id (text) is expected"
                            )));
                        };
                        spec.queues.insert(queue.clone(), site.clone());
                    }
                }
                _ => {
                    return Err(bad(format!(
                        "`{key}`: expected `site = \"…\"` or a `[queues]` table of queue = site"
                    )));
                }
            }
        }
    }
    if spec.site.is_none() && spec.queues.is_empty() {
        return Err(Error::input("error.queue_map.no_site"));
    }
    Ok(spec)
}
