//! `yardstick guideline validate | show | diff`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use yardstick_core::guideline::{self, Guideline, Measure};
use yardstick_core::vocab::Lang;

use crate::InputError;
use crate::table::{num, render};

/// Language of the output.
#[derive(Clone, Copy, ValueEnum, Default)]
pub enum LangArg {
    /// 中文 (default).
    #[default]
    Zh,
    /// English.
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
        }
    }
}

/// Output format of `diff`.
#[derive(Clone, Copy, ValueEnum, Default)]
pub enum DiffFormat {
    /// Readable lines.
    #[default]
    Table,
    /// JSON array of changes.
    Json,
}

/// Guideline commands.
#[derive(Subcommand)]
pub enum GuidelineCommand {
    /// Check a guideline file and report every error with its line (default: the built-in guideline).
    ///
    /// Example: yardstick guideline validate my-guideline.toml
    Validate {
        /// Guideline TOML file; the built-in default when omitted.
        file: Option<PathBuf>,
    },
    /// Print dimensions, clauses, indicators and targets as tables.
    ///
    /// Example: yardstick guideline show --lang en
    Show {
        /// Guideline TOML file; the built-in default when omitted.
        file: Option<PathBuf>,
        /// Output language.
        #[arg(long, value_enum, default_value_t)]
        lang: LangArg,
    },
    /// List what changed between two guideline versions.
    ///
    /// Example: yardstick guideline diff old.toml new.toml
    Diff {
        /// Old version.
        old: PathBuf,
        /// New version.
        new: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: DiffFormat,
    },
}

/// Runs a guideline command.
///
/// # Errors
/// `InputError` for invalid files; other errors are internal.
pub fn run(cmd: GuidelineCommand) -> Result<()> {
    match cmd {
        GuidelineCommand::Validate { file } => {
            let g = load(file.as_ref())?;
            println!(
                "ok: {} {} — {} dimensions, {} clauses, {} checklist items, {} indicators, {} targets, {} red lines; fingerprint {}",
                g.id,
                g.version,
                g.dimensions.len(),
                g.clauses.len(),
                g.clauses.iter().map(|c| c.items.len()).sum::<usize>(),
                g.indicators.len(),
                g.targets.len(),
                g.scoring.red_lines.len(),
                &g.fingerprint()[..16]
            );
            Ok(())
        }
        GuidelineCommand::Show { file, lang } => {
            let g = load(file.as_ref())?;
            print!("{}", show(&g, lang.into()));
            Ok(())
        }
        GuidelineCommand::Diff { old, new, format } => {
            let (a, b) = (load(Some(&old))?, load(Some(&new))?);
            let changes = guideline::diff(&a, &b);
            match format {
                DiffFormat::Json => println!("{}", serde_json::to_string_pretty(&changes)?),
                DiffFormat::Table => {
                    if changes.is_empty() {
                        println!("no differences");
                    }
                    for c in &changes {
                        println!("{} {} {}", c.op, c.entry, c.id);
                        for (field, o, n) in &c.fields {
                            println!("    {field}: {o} → {n}");
                        }
                    }
                }
            }
            Ok(())
        }
    }
}

/// Loads a guideline file, or the built-in default when no file is given.
///
/// # Errors
/// `InputError` with every located problem, or when the file cannot be read.
pub fn load(file: Option<&PathBuf>) -> Result<Guideline> {
    load_with_text(file).map(|(g, _)| g)
}

/// [`load`], with the guideline's TOML text.
///
/// # Errors
/// As [`load`].
pub fn load_with_text(file: Option<&PathBuf>) -> Result<(Guideline, String)> {
    match file {
        None => Ok((
            guideline::default_guideline().context("the built-in guideline is invalid")?,
            guideline::DEFAULT_TOML.to_string(),
        )),
        Some(path) => {
            let src = std::fs::read_to_string(path)
                .map_err(|e| InputError(format!("cannot read {}: {e}", path.display())))?;
            let g = guideline::load(&path.display().to_string(), &src)
                .map_err(|e| InputError(e.to_string()))?;
            Ok((g, src))
        }
    }
}

fn measure_name(m: &Measure, lang: Lang) -> String {
    let (zh, en) = match m {
        Measure::Ratio { .. } => ("比率", "ratio"),
        Measure::Mean { .. } => ("均值", "mean"),
        Measure::Percentile { .. } => ("分位数", "percentile"),
        Measure::ShareWithin { .. } => ("限时占比", "share within limit"),
        Measure::RatePer { .. } => ("每N用户率", "rate per N users"),
        Measure::Count => ("计数", "count"),
        Measure::RatioOfSums { .. } => ("和之比", "ratio of sums"),
        Measure::ServiceLevel(_) => ("服务水平", "service level"),
    };
    let mut s = if lang == Lang::Zh { zh } else { en }.to_string();
    if let Measure::Percentile { q, .. } = m {
        s.push_str(&format!(" P{}", (q * 100.0).round()));
    }
    if let Measure::ServiceLevel(spec) = m {
        s.push_str(&format!(" {}s", spec.threshold_s));
    }
    s
}

/// Renders a guideline as readable tables.
#[must_use]
pub fn show(g: &Guideline, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let h = |a: &'static str, b: &'static str| if zh { a } else { b };
    let mut out = format!("{} ({} {})\n\n", g.name.get(lang), g.id, g.version);
    out.push_str(&format!("## {}\n", h("维度", "Dimensions")));
    let rows: Vec<Vec<String>> = g
        .dimensions
        .iter()
        .map(|d| {
            let clauses = g.clauses.iter().filter(|c| c.dimension == d.id).count();
            vec![
                d.id.clone(),
                d.name.get(lang).to_string(),
                num(Some(d.weight), 0),
                clauses.to_string(),
            ]
        })
        .collect();
    out.push_str(&render(
        &[
            h("编号", "id"),
            h("名称", "name"),
            h("权重", "weight"),
            h("条款数", "clauses"),
        ],
        &rows,
    ));
    out.push_str(&format!("\n## {}\n", h("条款", "Clauses")));
    let rows: Vec<Vec<String>> = g
        .clauses
        .iter()
        .map(|c| {
            let scenes: Vec<&str> = c.scenes.iter().map(|s| s.label(lang)).collect();
            let veto = c.items.iter().filter(|i| i.veto).count();
            vec![
                c.id.clone(),
                c.dimension.clone(),
                c.title.get(lang).to_string(),
                scenes.join("/"),
                c.items.len().to_string(),
                veto.to_string(),
            ]
        })
        .collect();
    out.push_str(&render(
        &[
            h("编号", "id"),
            h("维度", "dimension"),
            h("标题", "title"),
            h("场景", "scenes"),
            h("检查项", "items"),
            h("否决项", "veto"),
        ],
        &rows,
    ));
    out.push_str(&format!("\n## {}\n", h("指标", "Indicators")));
    let rows: Vec<Vec<String>> = g
        .indicators
        .iter()
        .map(|i| {
            let dir = match (i.direction, zh) {
                (guideline::Direction::HigherBetter, true) => "越高越好",
                (guideline::Direction::HigherBetter, false) => "higher better",
                (guideline::Direction::LowerBetter, true) => "越低越好",
                (guideline::Direction::LowerBetter, false) => "lower better",
            };
            vec![
                i.id.clone(),
                i.name.get(lang).to_string(),
                i.kind.as_str().to_string(),
                measure_name(&i.measure, lang),
                i.unit.clone(),
                dir.to_string(),
                num(Some(i.weight), 0),
                i.clause.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out.push_str(&render(
        &[
            h("编号", "id"),
            h("名称", "name"),
            h("记录", "record"),
            h("度量", "measure"),
            h("单位", "unit"),
            h("方向", "direction"),
            h("权重", "weight"),
            h("条款", "clause"),
        ],
        &rows,
    ));
    out.push_str(&format!("\n## {}\n", h("目标", "Targets")));
    let any = if zh { "全部" } else { "any" };
    let rows: Vec<Vec<String>> = g
        .targets
        .iter()
        .map(|t| {
            let s = &t.selector;
            vec![
                t.indicator.clone(),
                s.scene
                    .map_or(any.to_string(), |x| x.label(lang).to_string()),
                s.area
                    .map_or(any.to_string(), |x| x.label(lang).to_string()),
                s.tier.map_or(any.to_string(), |x| x.as_str().to_string()),
                s.stratum(),
                num(Some(t.floor), 2),
                num(Some(t.goal), 2),
                num(t.hard_limit, 2),
            ]
        })
        .collect();
    out.push_str(&render(
        &[
            h("指标", "indicator"),
            h("场景", "scene"),
            h("区域", "area"),
            h("级别", "tier"),
            h("分层", "stratum"),
            h("底线", "floor"),
            h("目标", "goal"),
            h("硬性限值", "hard limit"),
        ],
        &rows,
    ));
    out.push_str(&format!(
        "\n## {}\n",
        h("等级与红线", "Levels and red lines")
    ));
    for l in &g.scoring.levels {
        out.push_str(&format!(
            "{} {} ≥ {}\n",
            l.id,
            l.name.get(lang),
            l.min_score
        ));
    }
    for r in &g.scoring.red_lines {
        let cap = g
            .scoring
            .levels
            .iter()
            .find(|l| l.rank == r.cap_rank)
            .map_or("?", |l| l.id.as_str());
        out.push_str(&format!(
            "{} {} → {} {cap}\n",
            r.id,
            r.name.get(lang),
            h("封顶", "cap")
        ));
    }
    out
}
