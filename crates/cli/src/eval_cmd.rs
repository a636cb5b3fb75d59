//! Evaluation commands: `evaluate`, `evaluation list | show | verify`, `drill`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use yardstick_app::evaluate::{Engine, EvaluateRequest, GuidelineChoice};
use yardstick_app::{Actor, Error};
use yardstick_core::period::Period;
use yardstick_core::t;

use crate::data_cmd::{open, read_text};
use crate::render::{evaluation_csv, evaluation_summary};
use crate::table::{num, render};
use crate::{Ctx, out, outln};

/// Output format of `evaluate` and `evaluation show`.
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

/// Which engine computes the measure states.
#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq, Debug)]
pub enum EngineChoice {
    /// The built-in columnar engine.
    #[default]
    Columnar,
    /// DataFusion, the scale-out path (needs a binary built with `--features datafusion`).
    Datafusion,
}

/// `evaluate` arguments.
#[derive(Args)]
pub struct EvaluateArgs {
    /// 2026-10, 2026-Q3, 2026-H1, 2026 or 2026-10-01..2026-10-15.
    #[arg(long)]
    pub period: String,
    /// Organisation node or site, by id or name (default: the whole organisation).
    #[arg(long)]
    pub scope: Option<String>,
    /// Guideline file (default: the built-in guideline); its text is kept with the evaluation.
    #[arg(long)]
    pub guideline: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: EvalFormat,
    /// Engine computing the measure states (`datafusion` needs a binary built with
    /// `--features datafusion`).
    #[arg(long, value_enum, default_value_t)]
    pub engine: EngineChoice,
}

/// `evaluation` subcommands.
#[derive(Subcommand)]
pub enum EvaluationCommand {
    /// List frozen evaluations, newest first.
    List,
    /// Show a frozen evaluation.
    ///
    /// Example: yardstick evaluation show 3 --format json
    Show {
        /// Evaluation id.
        id: i64,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: EvalFormat,
    },
    /// Recompute a frozen evaluation from the stored guideline, organisation and records as they stood, and compare the bytes.
    ///
    /// Exit code 0 when equal, 4 when they differ.
    Verify {
        /// Evaluation id.
        id: i64,
    },
}

/// `drill` arguments.
#[derive(Args)]
pub struct DrillArgs {
    /// Period.
    #[arg(long)]
    pub period: String,
    /// Site id.
    #[arg(long)]
    pub site: String,
    /// Indicator id.
    #[arg(long)]
    pub indicator: String,
    /// Guideline file (default: the built-in guideline).
    #[arg(long)]
    pub guideline: Option<PathBuf>,
}

pub(crate) fn period(text: &str) -> Result<Period, Error> {
    Period::parse(text).map_err(|e| {
        Error::input("error.period.invalid")
            .arg("period", yardstick_app::error::quoted(text, 40))
            .detail_message(yardstick_app::error::Message::new(e.reason))
    })
}

/// The guideline a `--guideline` flag names (its text read now), or the built-in one.
pub(crate) fn guideline_choice(file: Option<&PathBuf>) -> Result<GuidelineChoice, Error> {
    Ok(match file {
        None => GuidelineChoice::Builtin,
        Some(path) => GuidelineChoice::Text {
            name: path.display().to_string(),
            text: read_text(path)?,
        },
    })
}

/// `yardstick evaluate`.
pub async fn evaluate(ctx: &Ctx, args: &EvaluateArgs) -> Result<u8, Error> {
    let req = EvaluateRequest {
        period: period(&args.period)?,
        scope: args.scope.clone(),
        guideline: guideline_choice(args.guideline.as_ref())?,
        engine: match args.engine {
            EngineChoice::Columnar => Engine::Columnar,
            EngineChoice::Datafusion => Engine::DataFusion,
        },
        freeze: true,
    };
    let ws = open(ctx).await?;
    let ev = ws.evaluate(&Actor::System, req, &ctx.cancel).await?;
    for w in &ev.warnings {
        eprintln!("{}: {}", t!(ctx.lang, "common.warning"), w.render(ctx.lang));
    }
    match args.format {
        EvalFormat::Json => outln!("{}", pretty(&ev.evaluation)?)?,
        EvalFormat::Csv => out!("{}", evaluation_csv(&ev.evaluation)?)?,
        EvalFormat::Table => {
            out!(
                "{}",
                evaluation_summary(&ev.evaluation, &ev.org, &ev.guideline, ctx.lang)
            )?;
            if let Some(id) = ev.id {
                outln!("{}", t!(ctx.lang, "evaluate.frozen_as", id = id))?;
            }
        }
    }
    Ok(0)
}

fn pretty<T: serde::Serialize>(v: &T) -> Result<String, Error> {
    serde_json::to_string_pretty(v)
        .map_err(|e| Error::internal("error.internal.json").detail(e.to_string()))
}

/// `yardstick evaluation list | show | verify`.
pub async fn evaluation(ctx: &Ctx, cmd: EvaluationCommand) -> Result<u8, Error> {
    let ws = open(ctx).await?;
    let lang = ctx.lang;
    match cmd {
        EvaluationCommand::List => {
            let list = ws.evaluations(&Actor::System).await?;
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|e| {
                    vec![
                        e.id.to_string(),
                        e.period.clone(),
                        e.scope.clone(),
                        short(&e.guideline_fingerprint),
                        short(&e.input_fingerprint),
                        e.batch_watermark
                            .map_or_else(|| "—".into(), |w| w.to_string()),
                        e.frozen_by.clone().unwrap_or_else(|| "—".into()),
                        e.created_at.clone(),
                    ]
                })
                .collect();
            out!(
                "{}",
                render(
                    &[
                        t!(lang, "evaluation.col.id"),
                        t!(lang, "evaluation.col.period"),
                        t!(lang, "evaluation.col.scope"),
                        t!(lang, "evaluation.col.guideline"),
                        t!(lang, "evaluation.col.input"),
                        t!(lang, "evaluation.col.watermark"),
                        t!(lang, "evaluation.col.frozen_by"),
                        t!(lang, "evaluation.col.created"),
                    ],
                    &rows
                )
            )?;
            Ok(0)
        }
        EvaluationCommand::Show { id, format } => {
            let frozen = ws.frozen_evaluation(&Actor::System, id).await?;
            match format {
                // The exact frozen bytes, pretty-printed.
                EvalFormat::Json => outln!("{}", pretty(&frozen.evaluation)?)?,
                EvalFormat::Csv => out!("{}", evaluation_csv(&frozen.evaluation)?)?,
                EvalFormat::Table => {
                    let (g, _) = ws
                        .guideline(&GuidelineChoice::Stored(
                            frozen.info.guideline_fingerprint.clone(),
                        ))
                        .await?;
                    let org = ws.organisation_for(&frozen.info).await?;
                    out!("{}", evaluation_summary(&frozen.evaluation, &org, &g, lang))?;
                }
            }
            Ok(0)
        }
        EvaluationCommand::Verify { id } => {
            let v = ws
                .verify_evaluation(&Actor::System, id, &ctx.cancel)
                .await?;
            if v.equal {
                outln!(
                    "{}",
                    t!(
                        lang,
                        "evaluation.verify.equal",
                        id = id,
                        fp = short(&v.recomputed_input_fingerprint)
                    )
                )?;
                Ok(0)
            } else {
                outln!(
                    "{}",
                    t!(
                        lang,
                        "evaluation.verify.differs",
                        id = id,
                        frozen = short(&v.frozen_input_fingerprint),
                        recomputed = short(&v.recomputed_input_fingerprint),
                        difference = v.first_difference.clone().unwrap_or_default()
                    )
                )?;
                Ok(4)
            }
        }
    }
}

fn short(fp: &str) -> String {
    fp.get(..12).unwrap_or(fp).to_string()
}

/// `yardstick drill`: the exact distribution behind one indicator at one site.
pub async fn drill(ctx: &Ctx, args: &DrillArgs) -> Result<u8, Error> {
    let p = period(&args.period)?;
    let choice = guideline_choice(args.guideline.as_ref())?;
    let ws = open(ctx).await?;
    let d = ws
        .drill(
            &Actor::System,
            p,
            &args.site,
            &args.indicator,
            &choice,
            &ctx.cancel,
        )
        .await?;
    let lang = ctx.lang;
    outln!(
        "{} {} — {} {} ({})",
        d.indicator.id,
        d.indicator.name.get(lang),
        d.site,
        d.period.label,
        d.indicator.unit
    )?;
    // The values listed are the measure's per-row values, whose unit may not be the
    // indicator's (a service level in % drills into wait seconds).
    if let Some((expr, unit)) = d.indicator.drilled_values() {
        let line = match unit {
            Some(u) => t!(lang, "drill.values_unit", expr = expr, unit = u),
            None => t!(lang, "drill.values", expr = expr),
        };
        outln!("{line}")?;
    }
    outln!(
        "{}",
        t!(
            lang,
            "drill.population",
            population = d.population,
            values = d.values.len()
        )
    )?;
    let rows = vec![
        vec![
            t!(lang, "drill.min").to_string(),
            num(d.values.first().copied(), 3),
        ],
        vec!["P50".into(), num(d.quantile(0.5), 3)],
        vec!["P80".into(), num(d.quantile(0.8), 3)],
        vec!["P95".into(), num(d.quantile(0.95), 3)],
        vec![
            t!(lang, "drill.max").to_string(),
            num(d.values.last().copied(), 3),
        ],
        vec![t!(lang, "drill.mean").to_string(), num(d.mean(), 3)],
    ];
    out!(
        "{}",
        render(
            &[t!(lang, "drill.statistic"), t!(lang, "drill.exact")],
            &rows
        )
    )?;
    Ok(0)
}
