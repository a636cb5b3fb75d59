//! The measured phases, each run in a child process (the bench binary re-executed with
//! `__phase …`) so that its peak memory (VmHWM) is its own; and the parent's side that
//! starts them and reads the JSON line they print.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use yardstick_app::ingest::IngestRequest;
use yardstick_app::{Actor, Cancel, Config, Quiet, Workspace};
use yardstick_core::evaluate::{Inputs, evaluate};
use yardstick_core::guideline::default_guideline;
use yardstick_core::measure::MeasureState;
use yardstick_core::org::Organisation;
use yardstick_core::period::Period;
use yardstick_core::records::RecordKind;
use yardstick_engine::import::ImportOptions;

/// Resource use of the current process so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// CPU seconds (user + system, all threads).
    pub cpu_s: f64,
    /// Peak resident set (VmHWM), KiB.
    pub peak_kib: u64,
}

/// Reads CPU time from `/proc/self/stat` and VmHWM from `/proc/self/status`.
#[must_use]
pub fn usage() -> Usage {
    let cpu_s = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces) start after ')'.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = f.get(11)?.parse().ok()?;
            let stime: f64 = f.get(12)?.parse().ok()?;
            // USER_HZ is 100 on every Linux this runs on.
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0);
    let peak_kib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0);
    Usage { cpu_s, peak_kib }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    // The same runtime shape as the CLI.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The environment variable naming the metadata database of the phases (a PostgreSQL
/// URL); the data directory's own SQLite file when unset.
pub const DATABASE_VAR: &str = "YARDSTICK_BENCH_DATABASE_URL";

/// The workspace configuration of a data directory in a phase.
fn config(dir: &Path) -> Result<Config> {
    let url = std::env::var(DATABASE_VAR).ok();
    config_with(dir, url.as_deref())
}

fn config_with(dir: &Path, database: Option<&str>) -> Result<Config> {
    Config::new(dir)
        .with_database_url(database)
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Creates a data directory with the organisation loaded, as `yardstick init` and
/// `yardstick org import` would.
///
/// # Errors
/// When the directory or its database cannot be created.
pub fn init_data_dir(dir: &Path, org_file: &Path) -> Result<()> {
    init_data_dir_on(dir, org_file, std::env::var(DATABASE_VAR).ok().as_deref())
}

/// [`init_data_dir`] with its metadata in `database` (a URL; SQLite in the directory when
/// `None`).
///
/// # Errors
/// When the directory or its database cannot be created.
pub fn init_data_dir_on(dir: &Path, org_file: &Path, database: Option<&str>) -> Result<()> {
    let src = std::fs::read_to_string(org_file)
        .with_context(|| format!("cannot read {}", org_file.display()))?;
    Organisation::from_toml(&org_file.display().to_string(), &src)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let cfg = config_with(dir, database)?;
    runtime()?.block_on(async {
        let (ws, _) = Workspace::init(&cfg)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        ws.import_org(&Actor::System, &org_file.display().to_string(), &src)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    })
}

/// Child side: runs the phase named by the arguments after `__phase` and prints one JSON
/// line with its measures.
///
/// # Errors
/// When the phase fails.
pub fn run_child(args: &[String]) -> Result<()> {
    let result = match args.first().map(String::as_str) {
        Some("import") if args.len() == 4 => {
            child_import(Path::new(&args[1]), &args[2], Path::new(&args[3]))?
        }
        Some("evaluate") if args.len() == 3 => child_evaluate(Path::new(&args[1]), &args[2])?,
        // Not used by the benchmark itself: prepares a directory for profiling a phase
        // by hand (`perf record yardstick-bench __phase import …`).
        Some("init") if args.len() == 3 => {
            init_data_dir(Path::new(&args[1]), Path::new(&args[2]))?;
            json!({})
        }
        _ => bail!(
            "usage: __phase import DIR KIND FILE | __phase evaluate DIR PERIOD | __phase init DIR ORG"
        ),
    };
    println!("{result}");
    Ok(())
}

pub(crate) fn child_import(dir: &Path, kind: &str, file: &Path) -> Result<Value> {
    let kind = RecordKind::parse(kind).with_context(|| format!("unknown kind {kind}"))?;
    let cfg = config(dir)?;
    runtime()?.block_on(async {
        let before = usage();
        let started = Instant::now();
        // Timed as the command line imports: open, lock, manifest read, import, content
        // hashes of the new files, commit.
        let ws = Workspace::open(&cfg)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let req = IngestRequest {
            kind,
            path: file.to_path_buf(),
            name: None,
            options: ImportOptions::default(),
        };
        let report = ws
            .ingest(
                &Actor::System,
                req,
                std::sync::Arc::new(Quiet),
                &Cancel::new(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("importing {}: {e}", file.display()))?;
        if report.batch.is_none() {
            bail!("{} was not stored: {:?}", file.display(), report.status);
        }
        let wall_s = started.elapsed().as_secs_f64();
        let after = usage();
        Ok(json!({
            "rows_read": report.rows_read,
            "rows_stored": report.rows_stored,
            "rows_quarantined": report.rows_quarantined,
            "reasons": report.reasons,
            "ignored_columns": report.ignored_columns,
            "wall_s": wall_s,
            "cpu_s": after.cpu_s - before.cpu_s,
            "peak_kib": after.peak_kib,
        }))
    })
}

/// Indicators whose merged totals are reported for the comparison with PostgreSQL.
pub const CHECKED: &[&str] = &[
    "BH-01", "BH-02", "BH-03", "BH-04", "BH-05", "BH-06", "BH-07", "CC-01", "CC-02", "CC-03",
    "CC-04", "CC-05", "CC-06", "CC-07", "CC-08", "IM-01", "IM-03", "IM-04", "IM-05", "IM-06",
    "IM-07", "IM-08", "IM-09", "IM-12",
];

pub(crate) fn child_evaluate(dir: &Path, period: &str) -> Result<Value> {
    let period = Period::parse(period).map_err(|e| anyhow::anyhow!("{e}"))?;
    let g = default_guideline().map_err(|e| anyhow::anyhow!("{e}"))?;
    let cfg = config(dir)?;
    let g = std::sync::Arc::new(g);
    runtime()?.block_on(async {
        let ws = Workspace::open(&cfg)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let org = ws
            .organisation(&Actor::System)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let root = org.nodes.first().map(|n| n.id.clone()).unwrap_or_default();
        let before = usage();
        let started = Instant::now();
        let computed = ws
            .compute_states(&Actor::System, &g, &period, &Cancel::new())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let compute_s = started.elapsed().as_secs_f64();
        let cpu_compute = usage().cpu_s - before.cpu_s;
        let eval_started = Instant::now();
        let inputs = Inputs {
            guideline: &g,
            org: &org,
            scope: root,
            period: period.clone(),
            states: computed.merged(),
            users: computed.users.clone(),
            audits: Vec::new(),
        };
        let ev = evaluate(&inputs).map_err(|e| anyhow::anyhow!("{e}"))?;
        let evaluate_s = eval_started.elapsed().as_secs_f64();
        let after = usage();
        let rated = ev.sites.iter().filter(|s| s.total.is_some()).count();
        Ok(json!({
            "compute_s": compute_s,
            "evaluate_s": evaluate_s,
            "wall_s": compute_s + evaluate_s,
            "cpu_compute_s": cpu_compute,
            "cpu_s": after.cpu_s - before.cpu_s,
            "peak_kib": after.peak_kib,
            "rows_scanned": computed.rows_scanned,
            "row_problems": computed.row_problems,
            "daily_states": computed.daily_states(),
            "sites": ev.sites.len(),
            "sites_with_total": rated,
            "totals": totals(&inputs.states),
        }))
    })
}

/// Sums of the merged states over all sites, per checked indicator and stratum.
fn totals(
    states: &BTreeMap<yardstick_core::evaluate::StateKey, MeasureState>,
) -> BTreeMap<String, Value> {
    let mut sums: BTreeMap<String, MeasureState> = BTreeMap::new();
    for (k, s) in states {
        if CHECKED.contains(&k.indicator.as_str()) {
            let name = if k.stratum.is_empty() {
                k.indicator.clone()
            } else {
                format!("{}[{}]", k.indicator, k.stratum)
            };
            sums.entry(name).or_default().merge(s);
        }
    }
    sums.into_iter()
        .map(|(k, s)| {
            #[allow(clippy::cast_precision_loss, reason = "sums are far below 2^53 milli")]
            let sum = s.sum_milli as f64 / 1000.0;
            (
                k,
                json!({
                    "n": s.n,
                    "hits": s.hits,
                    "sum": sum,
                    "sl": [s.sl.answered_within, s.sl.answered_after, s.sl.abandoned_short,
                           s.sl.abandoned_within, s.sl.abandoned_after, s.sl.ivr_contained],
                }),
            )
        })
        .collect()
}

/// Parent side: runs a phase in a child process and returns the JSON it printed.
///
/// # Errors
/// When the child cannot start, fails, or prints no JSON.
pub fn spawn(args: &[&str]) -> Result<Value> {
    spawn_on(args, None)
}

/// [`spawn`] with the phase's metadata in `database` (a URL).
///
/// # Errors
/// As [`spawn`].
pub fn spawn_on(args: &[&str], database: Option<&str>) -> Result<Value> {
    let exe: PathBuf = std::env::current_exe().context("cannot find the bench binary")?;
    let mut cmd = Command::new(&exe);
    if let Some(url) = database {
        cmd.env(DATABASE_VAR, url);
    }
    let out = cmd
        .arg("__phase")
        .args(args)
        .output()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    if !out.status.success() {
        bail!(
            "phase `{}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .context("the phase printed no JSON")?;
    serde_json::from_str(line).context("the phase printed invalid JSON")
}
