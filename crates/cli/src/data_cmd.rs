//! Data-directory commands: `init`, `org import`, `ingest`, `evaluate`, `records stats`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::Utc;
use clap::{Subcommand, ValueEnum};
use yardstick_core::evaluate::{self, Evaluation, Inputs};
use yardstick_core::guideline::Guideline;
use yardstick_core::org::Organisation;
use yardstick_core::period::Period;
use yardstick_core::records::RecordKind;
use yardstick_core::vocab::Lang;
use yardstick_engine::import::{
    ImportContext, ImportError, ImportOptions, ImportReport, ImportStatus, Imported, InstantWindow,
    import_file,
};
use yardstick_engine::layout::DataDir;
use yardstick_store::Store;

use crate::InputError;
use crate::store_link;
use crate::table::{num, render};

/// `org` subcommands.
#[derive(Subcommand)]
pub enum OrgCommand {
    /// Load the organisation (operator → province → city → site) from a TOML file.
    ///
    /// Example: yardstick org import org.toml
    Import {
        /// Organisation TOML file (format in docs/organisation-format.md).
        file: PathBuf,
    },
}

/// `records` subcommands.
#[derive(Subcommand)]
pub enum RecordsCommand {
    /// Show committed import batches and rows per kind.
    Stats,
}

/// Which engine computes the measure states.
#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq, Debug)]
pub enum EngineChoice {
    /// The built-in columnar engine.
    #[default]
    Columnar,
    /// DataFusion, the scale-out path (needs a binary built with `--features datafusion`).
    Datafusion,
}

/// The refusal of `--engine datafusion` by a binary built without it.
#[cfg(not(feature = "datafusion"))]
fn no_datafusion() -> InputError {
    InputError(
        "--engine datafusion: this binary was built without DataFusion; build it with \
         `cargo build --profile datafusion --features datafusion` (本程序未包含 DataFusion 引擎)"
            .into(),
    )
}

/// Output format of `evaluate`.
#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum EvalFormat {
    /// Readable table.
    #[default]
    Table,
    /// The full evaluation as JSON.
    Json,
    /// One CSV line per site.
    Csv,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn open(dir: &DataDir) -> Result<Store> {
    if !dir.meta_db().exists() {
        return Err(InputError(format!(
            "{} is not a Yardstick data directory; run `yardstick init {}` first",
            dir.root().display(),
            dir.root().display()
        ))
        .into());
    }
    Store::open(&dir.meta_db())
        .await
        .context("cannot open the metadata database")
}

async fn org(store: &Store) -> Result<Organisation> {
    store.org().await?.ok_or_else(|| {
        InputError("no organisation loaded; run `yardstick org import FILE` first".into()).into()
    })
}

/// `yardstick init [DIR]`.
///
/// # Errors
/// When the directory cannot be created or the database initialised.
pub fn init(dir: &DataDir) -> Result<()> {
    runtime()?.block_on(async {
        std::fs::create_dir_all(dir.root())
            .with_context(|| format!("cannot create {}", dir.root().display()))?;
        let store = Store::open(&dir.meta_db()).await?;
        let g = yardstick_core::guideline::default_guideline()?;
        store
            .put_guideline(
                &g.fingerprint(),
                &g.id,
                &g.version,
                yardstick_core::guideline::DEFAULT_TOML,
                Utc::now(),
            )
            .await?;
        println!(
            "initialised {} (metadata: {})",
            dir.root().display(),
            dir.meta_db().display()
        );
        Ok(())
    })
}

/// `yardstick org import FILE`.
///
/// # Errors
/// `InputError` for an invalid file.
pub fn org_command(dir: &DataDir, cmd: OrgCommand) -> Result<()> {
    let OrgCommand::Import { file } = cmd;
    let src = std::fs::read_to_string(&file)
        .map_err(|e| InputError(format!("cannot read {}: {e}", file.display())))?;
    let org = Organisation::from_toml(&file.display().to_string(), &src)
        .map_err(|e| InputError(e.to_string()))?;
    runtime()?.block_on(async {
        let store = open(dir).await?;
        store
            .put_org(&file.display().to_string(), &src, &org, Utc::now())
            .await?;
        println!(
            "organisation loaded: {} nodes, {} sites",
            org.nodes.len(),
            org.sites.len()
        );
        Ok(())
    })
}

/// `yardstick ingest KIND FILE...`. Exit code 2 when a file was rejected.
///
/// # Errors
/// `InputError` for an unknown kind or a rejected file.
pub fn ingest(
    dir: &DataDir,
    kind: &str,
    files: &[PathBuf],
    opts: ImportOptions,
    quiet: bool,
) -> Result<Vec<ImportReport>> {
    let kind = RecordKind::parse(kind).ok_or_else(|| {
        let kinds: Vec<_> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
        InputError(format!(
            "unknown record kind `{kind}`; expected one of: {}",
            kinds.join(", ")
        ))
    })?;
    runtime()?.block_on(async {
        let store = open(dir).await?;
        let org = org(&store).await?;
        let mut reports = Vec::new();
        let mut failed = Vec::new();
        for f in files {
            match ingest_one(dir, &store, &org, kind, f, opts, quiet).await {
                Ok(r) => {
                    if r.status == ImportStatus::RejectedStrict {
                        failed.push(format!(
                            "{}: rejected (--strict): {} invalid row(s)",
                            f.display(),
                            r.rows_quarantined
                        ));
                    }
                    reports.push(r);
                }
                Err(e) => match e.downcast_ref::<ImportError>() {
                    Some(
                        ImportError::Io { .. }
                        | ImportError::NotUtf8 { .. }
                        | ImportError::MissingColumns { .. }
                        | ImportError::Malformed { .. }
                        | ImportError::UnknownFormat(_),
                    ) => {
                        eprintln!("error: {e}; nothing stored from this file");
                        failed.push(e.to_string());
                    }
                    _ => return Err(e),
                },
            }
        }
        if !failed.is_empty() {
            return Err(InputError(format!(
                "{} file(s) not imported:\n  {}",
                failed.len(),
                failed.join("\n  ")
            ))
            .into());
        }
        Ok(reports)
    })
}

async fn ingest_one(
    dir: &DataDir,
    store: &Store,
    org: &Organisation,
    kind: RecordKind,
    file: &Path,
    opts: ImportOptions,
    quiet: bool,
) -> Result<ImportReport> {
    let size = std::fs::metadata(file).map_or(0, |m| m.len());
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(size)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("{} {}", kind.as_str(), file.display()));
    let manifest = store_link::kind_manifest(store, kind).await?;
    let cx = ImportContext {
        dir,
        org,
        manifest: &manifest,
        accept: InstantWindow::default(),
    };
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let imported = import_file(&cx, kind, file, opts, &|b| bar.set_position(b), &cancel);
    bar.finish_and_clear();
    let report = match imported? {
        Imported::Ready(prepared) => {
            store_link::commit(store, kind, opts.replace, prepared, Utc::now()).await?
        }
        Imported::AlreadyStored { batch } => {
            let name = file.display().to_string();
            store_link::already_imported(store, kind, &name, batch).await?
        }
        Imported::Rejected(report) => report,
    };
    if !quiet {
        print_report(&report);
    }
    Ok(report)
}

fn print_report(r: &ImportReport) {
    let status = match &r.status {
        ImportStatus::Committed => format!("batch {}", r.batch.unwrap_or(0)),
        ImportStatus::AlreadyImported(b) => format!("already imported as batch {b}: nothing to do"),
        ImportStatus::RejectedStrict => "rejected (--strict): nothing stored".to_string(),
        ImportStatus::Prepared => "not committed".to_string(),
    };
    println!("{} {} — {status}", r.kind, r.file);
    println!(
        "  read {}  stored {}  quarantined {}  duplicates {}",
        r.rows_read, r.rows_stored, r.rows_quarantined, r.duplicates
    );
    for (reason, n) in &r.reasons {
        println!("    {n:>8}  {reason}");
    }
    if let Some(q) = &r.quarantine_file {
        println!("  quarantined rows (line, reasons, original): {q}");
    }
    if !r.ignored_columns.is_empty() {
        println!(
            "  ignored columns (not fields of {}): {}",
            r.kind,
            r.ignored_columns.join(", ")
        );
    }
}

/// `yardstick evaluate`.
///
/// # Errors
/// `InputError` for a bad period, scope or guideline file.
pub fn evaluate(
    dir: &DataDir,
    period: &str,
    scope: Option<&str>,
    guideline: Option<&PathBuf>,
    format: EvalFormat,
    engine: EngineChoice,
    lang: Lang,
) -> Result<Evaluation> {
    let period = Period::parse(period).map_err(|e| InputError(e.to_string()))?;
    #[cfg(not(feature = "datafusion"))]
    if engine == EngineChoice::Datafusion {
        return Err(no_datafusion().into());
    }
    let g = crate::guideline_cmd::load(guideline)?;
    runtime()?.block_on(async {
        let store = open(dir).await?;
        let org = org(&store).await?;
        let ev = run_evaluation(dir, &store, &g, &org, &period, scope, engine).await?;
        match format {
            EvalFormat::Json => println!("{}", serde_json::to_string_pretty(&ev)?),
            EvalFormat::Csv => print!("{}", csv(&ev)?),
            EvalFormat::Table => print!("{}", summary(&ev, &org, &g, lang)),
        }
        Ok(ev)
    })
}

/// Evaluates the whole organisation for a period and returns the ranked summary as text,
/// for quickstart.
///
/// # Errors
/// On a store failure.
pub fn evaluate_quiet(dir: &DataDir, period: &Period, lang: Lang) -> Result<String> {
    let g = yardstick_core::guideline::default_guideline()?;
    runtime()?.block_on(async {
        let store = open(dir).await?;
        let org = org(&store).await?;
        let ev =
            run_evaluation(dir, &store, &g, &org, period, None, EngineChoice::Columnar).await?;
        Ok(summary(&ev, &org, &g, lang))
    })
}

/// Computes, evaluates and freezes an evaluation.
///
/// # Errors
/// On an unknown scope or a store failure.
pub async fn run_evaluation(
    dir: &DataDir,
    store: &Store,
    g: &Guideline,
    org: &Organisation,
    period: &Period,
    scope: Option<&str>,
    engine: EngineChoice,
) -> Result<Evaluation> {
    let root = org.nodes.first().map(|n| n.id.clone()).unwrap_or_default();
    let scope = scope.map_or(root, str::to_string);
    let manifest = store_link::manifest(store).await?;
    let computed = match engine {
        EngineChoice::Columnar => {
            yardstick_engine::compute::compute(dir, &manifest, g, org, period)?
        }
        #[cfg(feature = "datafusion")]
        EngineChoice::Datafusion => {
            // DataFusion starts a runtime of its own: off this one's worker threads.
            tokio::task::block_in_place(|| {
                yardstick_engine::compute::compute_datafusion(dir, &manifest, g, org, period)
            })?
        }
        #[cfg(not(feature = "datafusion"))]
        EngineChoice::Datafusion => return Err(no_datafusion().into()),
    };
    // Rows that passed an indicator's filter but could not be counted are reported, never
    // dropped silently.
    for (problem, n) in &computed.row_problems {
        eprintln!("warning: {n} row(s) left out of {problem}");
    }
    let inputs = Inputs {
        guideline: g,
        org,
        scope,
        period: period.clone(),
        states: computed.merged(),
        users: computed.users.clone(),
        audits: Vec::new(),
    };
    let ev = evaluate::evaluate(&inputs).map_err(|e| InputError(e.to_string()))?;
    let json = serde_json::to_string(&ev)?;
    store
        .save_evaluation(
            &ev.scope,
            &ev.period.label,
            &ev.guideline_fingerprint,
            &ev.input_fingerprint,
            &json,
            Utc::now(),
        )
        .await?;
    Ok(ev)
}

fn csv(ev: &Evaluation) -> Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record([
        "site",
        "scene",
        "peer_group",
        "total",
        "level",
        "rank",
        "peers",
        "percentile",
        "management",
        "results",
        "red_lines",
    ])?;
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:.1}"));
    for s in &ev.sites {
        w.write_record([
            s.site.clone(),
            s.scene.as_str().to_string(),
            s.peer_group.clone(),
            opt(s.total),
            s.level.map_or(String::new(), |l| format!("L{l}")),
            s.rank.map_or(String::new(), |r| r.to_string()),
            s.peers.to_string(),
            opt(s.percentile),
            opt(s.management),
            opt(s.results),
            s.red_lines.join(";"),
        ])?;
    }
    Ok(String::from_utf8(
        w.into_inner()
            .map_err(|e| anyhow::anyhow!("writing CSV: {e}"))?,
    )?)
}

/// A readable summary: every site ranked by total (best first), with its level, rank in
/// its peer group, red lines and weakest indicators, then the level distribution.
#[must_use]
pub fn summary(ev: &Evaluation, org: &Organisation, g: &Guideline, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let h = |a: &'static str, b: &'static str| if zh { a } else { b };
    let mut sites: Vec<_> = ev.sites.iter().collect();
    sites.sort_by(|a, b| {
        b.total
            .unwrap_or(-1.0)
            .total_cmp(&a.total.unwrap_or(-1.0))
            .then(a.site.cmp(&b.site))
    });
    let rows: Vec<Vec<String>> = sites
        .iter()
        .map(|s| {
            let name = org
                .site(&s.site)
                .map_or(String::new(), |x| x.name.get(lang).to_string());
            let weakest: Vec<String> = {
                let mut l: Vec<_> = s
                    .lines
                    .iter()
                    .filter(|l| l.achievement.is_some_and(|a| a < 0.5))
                    .collect();
                l.sort_by(|a, b| {
                    a.achievement
                        .unwrap_or(0.0)
                        .total_cmp(&b.achievement.unwrap_or(0.0))
                });
                l.iter()
                    .take(3)
                    .map(|l| {
                        let n = g.indicator(&l.indicator).map_or(l.indicator.clone(), |i| {
                            format!("{} {}", i.id, i.name.get(lang))
                        });
                        format!("{n}={}", num(l.value, 1))
                    })
                    .collect()
            };
            vec![
                s.site.clone(),
                name,
                s.scene.label(lang).to_string(),
                num(s.total, 0),
                s.level.map_or("—".into(), |l| format!("L{l}")),
                s.rank.map_or("—".into(), |r| format!("{r}/{}", s.peers)),
                s.red_lines.join(","),
                weakest.join("; "),
            ]
        })
        .collect();
    let mut out = format!(
        "{} {} — {} {} ({})\n",
        h("评价", "Evaluation"),
        ev.period.label,
        h("范围", "scope"),
        ev.scope,
        &ev.input_fingerprint[..12]
    );
    out.push_str(&render(
        &[
            h("站点", "site"),
            h("名称", "name"),
            h("场景", "scene"),
            h("总分", "total"),
            h("等级", "level"),
            h("组内排名", "rank"),
            h("红线", "red lines"),
            h("最弱指标", "weakest indicators"),
        ],
        &rows,
    ));
    let mut levels = std::collections::BTreeMap::<String, usize>::new();
    let mut red = std::collections::BTreeMap::<String, usize>::new();
    for s in &ev.sites {
        *levels
            .entry(s.level.map_or("—".into(), |l| format!("L{l}")))
            .or_default() += 1;
        for r in &s.red_lines {
            *red.entry(r.clone()).or_default() += 1;
        }
    }
    let join = |m: &std::collections::BTreeMap<String, usize>| {
        m.iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    out.push_str(&format!("{} {}\n", h("等级分布", "Levels"), join(&levels)));
    let red_text = red
        .iter()
        .map(|(id, n)| {
            let name = g
                .scoring
                .red_lines
                .iter()
                .find(|r| &r.id == id)
                .map_or(id.clone(), |r| format!("{id} {}", r.name.get(lang)));
            format!("{name}: {n}")
        })
        .collect::<Vec<_>>()
        .join("; ");
    out.push_str(&format!(
        "{} {}\n",
        h("触发红线的站点", "Sites hitting red lines"),
        if red_text.is_empty() {
            "—".to_string()
        } else {
            red_text
        }
    ));
    out
}

/// `yardstick records stats`.
///
/// # Errors
/// On a store failure.
pub fn stats(dir: &DataDir) -> Result<()> {
    runtime()?.block_on(async {
        let store = open(dir).await?;
        let batches = store.batches().await?;
        let rows: Vec<Vec<String>> = batches
            .iter()
            .map(|b| {
                vec![
                    b.id.to_string(),
                    b.kind.clone(),
                    b.file_name.clone(),
                    b.rows_read.to_string(),
                    b.rows_stored.to_string(),
                    b.rows_quarantined.to_string(),
                    b.duplicates.to_string(),
                    if b.replace {
                        "replace".into()
                    } else {
                        String::new()
                    },
                    b.committed_at.clone(),
                ]
            })
            .collect();
        print!(
            "{}",
            render(
                &[
                    "batch",
                    "kind",
                    "file",
                    "read",
                    "stored",
                    "quarantined",
                    "duplicates",
                    "mode",
                    "committed"
                ],
                &rows
            )
        );
        let mut per_kind = std::collections::BTreeMap::<String, i64>::new();
        for b in &batches {
            *per_kind.entry(b.kind.clone()).or_default() += b.rows_stored;
        }
        for (k, n) in per_kind {
            println!("{k}: {n} rows stored");
        }
        Ok(())
    })
}

/// `yardstick drill`: the exact distribution behind one indicator at one site.
///
/// # Errors
/// `InputError` for an unknown site, indicator or period, or an indicator without
/// per-row values.
pub fn drill(dir: &DataDir, period: &str, site: &str, indicator: &str, lang: Lang) -> Result<()> {
    let period = Period::parse(period).map_err(|e| InputError(e.to_string()))?;
    let g = yardstick_core::guideline::default_guideline()?;
    let ind = g.indicator(indicator).ok_or_else(|| {
        InputError(format!(
            "unknown indicator `{indicator}`; see `yardstick guideline show`"
        ))
    })?;
    runtime()?.block_on(async {
        let store = open(dir).await?;
        let org = org(&store).await?;
        if org.site(site).is_none() {
            return Err(InputError(format!("unknown site `{site}`")).into());
        }
        let manifest = store_link::kind_manifest(&store, ind.kind).await?;
        let d = yardstick_engine::compute::drill(dir, &manifest, &org, ind, site, &period)
            .map_err(|e| InputError(e.to_string()))?;
        let zh = lang == Lang::Zh;
        println!(
            "{} {} — {} {} ({})",
            ind.id,
            ind.name.get(lang),
            site,
            period.label,
            ind.unit
        );
        println!(
            "{}: {}  {}: {}",
            if zh { "总体行数" } else { "population" },
            d.population,
            if zh { "有值行数" } else { "values" },
            d.values.len()
        );
        #[allow(clippy::cast_precision_loss, reason = "row counts are far below 2^53")]
        let mean =
            (!d.values.is_empty()).then(|| d.values.iter().sum::<f64>() / d.values.len() as f64);
        let rows = vec![
            vec!["min".into(), num(d.values.first().copied(), 3)],
            vec!["P50".into(), num(d.quantile(0.5), 3)],
            vec!["P80".into(), num(d.quantile(0.8), 3)],
            vec!["P95".into(), num(d.quantile(0.95), 3)],
            vec!["max".into(), num(d.values.last().copied(), 3)],
            vec![if zh { "均值" } else { "mean" }.into(), num(mean, 3)],
        ];
        print!(
            "{}",
            render(
                &[
                    if zh { "统计量" } else { "statistic" },
                    if zh { "精确值" } else { "exact value" }
                ],
                &rows
            )
        );
        Ok(())
    })
}
