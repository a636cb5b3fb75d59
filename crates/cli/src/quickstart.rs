//! `yardstick demo generate` and `yardstick quickstart`: the demo organisation, end to
//! end — generate, initialise, import, evaluate the last full month, summarise.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use clap::Args;
use yardstick_app::demo::{self, DEMO_INPUT};
use yardstick_app::{Error, Quiet};
use yardstick_core::t;
use yardstick_core::vocab::Lang;
use yardstick_demo::{DemoConfig, DemoSummary};

use crate::render::evaluation_summary;
use crate::{Ctx, out, outln};

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
    /// Stop after the summary instead of serving.
    #[arg(long)]
    pub no_serve: bool,
    /// Address to serve at after the summary.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
}

/// Yesterday in China Standard Time, the demo's default last day.
fn yesterday() -> NaiveDate {
    let now = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    now.pred_opt().unwrap_or(now)
}

/// `yardstick demo generate`.
pub fn generate(ctx: &Ctx, args: &GenerateArgs) -> Result<u8, Error> {
    let cfg = DemoConfig {
        seed: args.seed,
        days: args.days,
        end: args.end.unwrap_or_else(yesterday),
    };
    let summary = demo::generate(&cfg, &args.out)?;
    print_files(&summary, &args.out, ctx.lang)?;
    Ok(0)
}

fn print_files(summary: &DemoSummary, out: &std::path::Path, lang: Lang) -> Result<(), Error> {
    outln!(
        "{}",
        t!(
            lang,
            "demo.written",
            from = summary.first_day,
            to = summary.last_day,
            dir = out.display()
        )
    )?;
    for f in &summary.files {
        outln!("  {:<24} {:>10}", f.file, f.rows)?;
    }
    Ok(())
}

/// `yardstick quickstart`.
pub async fn run(ctx: &Ctx, args: &QuickstartArgs) -> Result<u8, Error> {
    let lang = ctx.lang;
    let t0 = Instant::now();
    let cfg = DemoConfig {
        seed: args.seed,
        days: args.days,
        end: args.end.unwrap_or_else(yesterday),
    };
    let done = demo::quickstart(&ctx.config, cfg, Arc::new(Quiet), &ctx.cancel).await?;
    print_files(&done.demo, &ctx.config.data_dir.join(DEMO_INPUT), lang)?;
    for r in &done.reports {
        outln!(
            "  {:<16} {}",
            r.kind,
            t!(
                lang,
                "quickstart.imported",
                read = r.rows_read,
                stored = r.rows_stored,
                quarantined = r.rows_quarantined
            )
        )?;
    }
    let ev = &done.evaluated;
    outln!()?;
    out!(
        "{}",
        evaluation_summary(&ev.evaluation, &ev.org, &ev.guideline, lang)
    )?;
    outln!(
        "{}",
        t!(
            lang,
            "quickstart.audits",
            audits = done.audits.audits,
            actions = done.audits.actions
        )
    )?;
    outln!()?;
    outln!("{}", t!(lang, "quickstart.weak_sites"))?;
    for p in &done.demo.poor_sites {
        let reason = if lang == Lang::Zh {
            p.reason_zh
        } else {
            p.reason_en
        };
        outln!("  {:<10} {reason}", p.site_id)?;
    }
    outln!()?;
    let d = ctx.config.data_dir.display();
    let period = &ev.evaluation.period.label;
    outln!("{}", t!(lang, "quickstart.data_dir", dir = d))?;
    outln!(
        "{}",
        t!(
            lang,
            "quickstart.took",
            secs = format!("{:.1}", t0.elapsed().as_secs_f64())
        )
    )?;
    outln!("  yardstick --data-dir {d} evaluate --period {period} --scope sc-gz")?;
    outln!("  yardstick --data-dir {d} drill --period {period} --site my-f02 --indicator IM-05")?;
    outln!("  yardstick --data-dir {d} finding list --site cd-h02")?;
    outln!("  yardstick --data-dir {d} action list")?;
    outln!("  yardstick --data-dir {d} evaluation list")?;
    outln!("  yardstick --data-dir {d} records stats")?;
    outln!("  yardstick guideline show --lang en")?;
    outln!(
        "  yardstick plan staffing --arrivals-per-h 120 --aht-s 240 --answer-within-s 20 --sl-target 0.8"
    )?;
    if args.no_serve {
        return Ok(0);
    }
    serve_demo(done.workspace, args, lang).await
}

/// Creates the demo users, prints their passwords once and a `curl` line with a token,
/// and serves until Ctrl-C.
async fn serve_demo(
    ws: yardstick_app::Workspace,
    args: &QuickstartArgs,
    lang: Lang,
) -> Result<u8, Error> {
    let users = demo::create_demo_users(&ws).await?;
    outln!()?;
    outln!("{}", t!(lang, "quickstart.users"))?;
    for u in &users {
        outln!(
            "  {:<14} {:<16} {:<18} {}",
            u.login,
            u.role.as_str(),
            u.scope,
            u.password
        )?;
    }
    let token = ws
        .create_token(
            &yardstick_app::Actor::System,
            "admin",
            "quickstart",
            Some(30),
        )
        .await?;
    outln!()?;
    outln!("{}", t!(lang, "quickstart.curl"))?;
    let url = format!("http://{}", args.listen);
    outln!(
        "  curl -H 'Authorization: Bearer {}' {url}/api/v1/sites",
        token.token
    )?;
    outln!(
        "  {}",
        t!(lang, "quickstart.docs", url = format!("{url}/api/docs/"))
    )?;
    outln!()?;
    outln!("{}", t!(lang, "quickstart.web", url = format!("{url}/")))?;
    let serve = crate::serve_cmd::ServeArgs {
        listen: args.listen,
        behind_proxy: false,
        log_format: crate::serve_cmd::LogFormatArg::Text,
    };
    crate::serve_cmd::serve_workspace(ws, &serve, lang).await
}
