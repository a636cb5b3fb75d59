//! `yardstick demo generate` and `yardstick quickstart`: the demo organisation, end to
//! end — generate, initialise, import, evaluate the last full month, summarise.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate, Utc};
use clap::Args;
use yardstick_core::period::Period;
use yardstick_core::vocab::Lang;
use yardstick_demo::{DemoConfig, DemoSummary, RECORD_KINDS};
use yardstick_engine::import::ImportOptions;
use yardstick_engine::layout::DataDir;

use crate::InputError;
use crate::data_cmd;

/// `demo generate` arguments.
#[derive(Args)]
pub struct GenerateArgs {
    /// Seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Days of records.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Last day (default: yesterday in China Standard Time).
    #[arg(long)]
    pub end: Option<NaiveDate>,
    /// Output directory (org.toml and one CSV per record kind).
    #[arg(long)]
    pub out: PathBuf,
}

/// `quickstart` arguments.
#[derive(Args)]
pub struct QuickstartArgs {
    /// Seed of the demo data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Days of demo records.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Last day of the demo records (default: yesterday in China Standard Time); the
    /// last full month up to it is evaluated.
    #[arg(long)]
    pub end: Option<NaiveDate>,
    /// Stop after the summary (the web app is not built yet, so quickstart always stops;
    /// the flag is accepted so scripts can rely on it).
    #[arg(long)]
    pub no_serve: bool,
}

/// Marker file saying a data directory was made by quickstart (and may be recreated).
const MARKER: &str = ".yardstick-quickstart";

/// Yesterday in China Standard Time, the demo's default last day.
fn yesterday() -> NaiveDate {
    let now = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    now.pred_opt().unwrap_or(now)
}

/// `yardstick demo generate`.
///
/// # Errors
/// When the files cannot be written or the arguments are out of range.
pub fn generate(args: &GenerateArgs) -> Result<DemoSummary> {
    let cfg = DemoConfig {
        seed: args.seed,
        days: args.days,
        end: args.end.unwrap_or_else(yesterday),
    };
    let summary =
        yardstick_demo::generate(&cfg, &args.out).map_err(|e| InputError::new(e.to_string()))?;
    println!(
        "demo data {}..{} written to {}:",
        summary.first_day,
        summary.last_day,
        args.out.display()
    );
    for f in &summary.files {
        println!("  {:<24} {:>10} rows", f.file, f.rows);
    }
    Ok(summary)
}

fn prepare(dir: &DataDir) -> Result<()> {
    let root = dir.root();
    if dir.meta_db().exists() && !root.join(MARKER).exists() {
        return Err(InputError::new(format!(
            "{} already holds a Yardstick data directory that quickstart did not create; pass another --data-dir",
            root.display()
        ))
        .into());
    }
    if root.join(MARKER).exists() {
        std::fs::remove_dir_all(root)
            .with_context(|| format!("cannot clear {}", root.display()))?;
    }
    std::fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;
    std::fs::write(
        root.join(MARKER),
        "made by `yardstick quickstart`; it may delete and recreate this directory\n",
    )
    .with_context(|| format!("cannot write to {}", root.display()))?;
    Ok(())
}

/// `yardstick quickstart`.
///
/// # Errors
/// When any step fails; the message says which.
pub fn run(dir: &DataDir, args: &QuickstartArgs, lang: Lang) -> Result<()> {
    let zh = lang == Lang::Zh;
    let t0 = Instant::now();
    prepare(dir)?;
    let input = dir.root().join("demo-input");
    let end = args.end.unwrap_or_else(yesterday);
    let summary = generate(&GenerateArgs {
        seed: args.seed,
        days: args.days,
        end: Some(end),
        out: input.clone(),
    })?;
    data_cmd::init(dir)?;
    data_cmd::org_command(
        dir,
        data_cmd::OrgCommand::Import {
            file: input.join("org.toml"),
        },
    )?;
    for kind in RECORD_KINDS {
        let file = input.join(format!("{kind}.csv"));
        let reports = data_cmd::ingest(dir, kind, &[file], ImportOptions::default(), true)?;
        for r in &reports {
            println!(
                "  {:<16} read {:>9}  stored {:>9}  quarantined {:>6}",
                r.kind, r.rows_read, r.rows_stored, r.rows_quarantined
            );
        }
    }
    let period = last_full_month(end);
    let ev = data_cmd::evaluate_quiet(dir, &period, lang)?;
    println!();
    print!("{}", ev);
    println!();
    print_story(&summary, lang);
    println!();
    print_next(dir.root(), &period.label, zh, t0.elapsed().as_secs_f64());
    Ok(())
}

/// The last full calendar month that ends on or before `end`.
fn last_full_month(end: NaiveDate) -> Period {
    let next = end.succ_opt().unwrap_or(end);
    if next.day() == 1 {
        Period::last_full_month(next)
    } else {
        Period::last_full_month(end)
    }
}

fn print_story(summary: &DemoSummary, lang: Lang) {
    println!(
        "{}",
        if lang == Lang::Zh {
            "演示数据中刻意设置的薄弱站点:"
        } else {
            "Sites made deliberately weak in the demo:"
        }
    );
    for p in &summary.poor_sites {
        println!(
            "  {:<10} {}",
            p.site_id,
            if lang == Lang::Zh {
                p.reason_zh
            } else {
                p.reason_en
            }
        );
    }
}

fn print_next(root: &Path, period: &str, zh: bool, secs: f64) {
    let d = root.display();
    if zh {
        println!(
            "数据目录: {d}(元数据 meta.sqlite,记录 records/,隔离行 quarantine/,演示输入 demo-input/)"
        );
        println!("用时 {secs:.1} 秒。Web 界面尚未提供,快速开始到此结束。下一步:");
    } else {
        println!(
            "Data directory: {d} (metadata meta.sqlite, records records/, quarantined rows quarantine/, demo input demo-input/)"
        );
        println!(
            "Took {secs:.1} s. The web app is not available yet, so quickstart stops here. Next steps:"
        );
    }
    println!(
        "  yardstick --data-dir {d} evaluate --period {period} --scope <city-or-site> --format json"
    );
    println!("  yardstick --data-dir {d} records stats");
    println!("  yardstick guideline show --lang en");
    println!(
        "  yardstick plan staffing --arrivals-per-h 120 --aht-s 240 --answer-within-s 20 --sl-target 0.8"
    );
}
