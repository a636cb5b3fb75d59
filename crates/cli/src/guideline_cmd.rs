//! `yardstick guideline validate | show | diff`.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use yardstick_app::Error;
use yardstick_app::error::in_both;
use yardstick_core::guideline::{self, Guideline, Measure};
use yardstick_core::t;
use yardstick_core::vocab::Lang;

use crate::data_cmd::read_text;
use crate::table::{num, render};
use crate::{Ctx, out, outln};

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
pub fn run(ctx: &Ctx, cmd: GuidelineCommand) -> Result<u8, Error> {
    let lang = ctx.lang;
    match cmd {
        GuidelineCommand::Validate { file } => {
            let g = load(file.as_ref())?;
            outln!(
                "{}",
                t!(
                    lang,
                    "guideline.valid",
                    id = &g.id,
                    version = &g.version,
                    dimensions = g.dimensions.len(),
                    clauses = g.clauses.len(),
                    items = g.clauses.iter().map(|c| c.items.len()).sum::<usize>(),
                    indicators = g.indicators.len(),
                    targets = g.targets.len(),
                    red_lines = g.scoring.red_lines.len(),
                    fingerprint = &g.fingerprint()[..16]
                )
            )?;
            Ok(0)
        }
        GuidelineCommand::Show { file, lang: shown } => {
            let g = load(file.as_ref())?;
            // `show --lang` predates the global flag; either sets the language.
            let lang = if matches!(shown, LangArg::En) {
                Lang::En
            } else {
                lang
            };
            out!("{}", show(&g, lang))?;
            Ok(0)
        }
        GuidelineCommand::Diff { old, new, format } => {
            let (a, b) = (load(Some(&old))?, load(Some(&new))?);
            let changes = guideline::diff(&a, &b);
            match format {
                DiffFormat::Json => outln!(
                    "{}",
                    serde_json::to_string_pretty(&changes).map_err(|e| {
                        Error::internal("error.internal.json").detail(e.to_string())
                    })?
                )?,
                DiffFormat::Table => {
                    if changes.is_empty() {
                        outln!("{}", t!(lang, "guideline.no_differences"))?;
                    }
                    for c in &changes {
                        outln!("{} {} {}", c.op, c.entry, c.id)?;
                        for (field, o, n) in &c.fields {
                            outln!("    {field}: {o} → {n}")?;
                        }
                    }
                }
            }
            Ok(0)
        }
    }
}

/// Loads a guideline file, or the built-in default when no file is given.
///
/// # Errors
/// An input error with every located problem, or when the file cannot be read.
pub fn load(file: Option<&PathBuf>) -> Result<Guideline, Error> {
    match file {
        None => guideline::default_guideline()
            .map_err(|e| Error::internal("error.guideline.builtin").detail(e.to_string())),
        Some(path) => {
            let src = read_text(path)?;
            guideline::load(&path.display().to_string(), &src).map_err(|e| {
                Error::input("error.guideline.invalid").detail_localised(in_both(|l| e.render(l)))
            })
        }
    }
}

fn measure_name(m: &Measure, lang: Lang) -> String {
    let mut s = match m {
        Measure::Ratio { .. } => t!(lang, "guideline.measure.ratio"),
        Measure::Mean { .. } => t!(lang, "guideline.measure.mean"),
        Measure::Percentile { .. } => t!(lang, "guideline.measure.percentile"),
        Measure::ShareWithin { .. } => t!(lang, "guideline.measure.share_within"),
        Measure::RatePer { .. } => t!(lang, "guideline.measure.rate_per"),
        Measure::Count => t!(lang, "guideline.measure.count"),
        Measure::RatioOfSums { .. } => t!(lang, "guideline.measure.ratio_of_sums"),
        Measure::ServiceLevel(_) => t!(lang, "guideline.measure.service_level"),
    }
    .to_string();
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
    let mut out = format!("{} ({} {})\n\n", g.name.get(lang), g.id, g.version);
    out.push_str(&format!("## {}\n", t!(lang, "guideline.show.dimensions")));
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
            t!(lang, "guideline.show.id"),
            t!(lang, "guideline.show.name"),
            t!(lang, "guideline.show.weight"),
            t!(lang, "guideline.show.clauses"),
        ],
        &rows,
    ));
    out.push_str(&format!("\n## {}\n", t!(lang, "guideline.show.clauses_2")));
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
            t!(lang, "guideline.show.id"),
            t!(lang, "guideline.show.dimension"),
            t!(lang, "guideline.show.title"),
            t!(lang, "guideline.show.scenes"),
            t!(lang, "guideline.show.items"),
            t!(lang, "guideline.show.veto"),
        ],
        &rows,
    ));
    out.push_str(&format!("\n## {}\n", t!(lang, "guideline.show.indicators")));
    let rows: Vec<Vec<String>> = g
        .indicators
        .iter()
        .map(|i| {
            let dir = match i.direction {
                guideline::Direction::HigherBetter => t!(lang, "guideline.direction.higher"),
                guideline::Direction::LowerBetter => t!(lang, "guideline.direction.lower"),
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
            t!(lang, "guideline.show.id"),
            t!(lang, "guideline.show.name"),
            t!(lang, "guideline.show.record"),
            t!(lang, "guideline.show.measure"),
            t!(lang, "guideline.show.unit"),
            t!(lang, "guideline.show.direction"),
            t!(lang, "guideline.show.weight"),
            t!(lang, "guideline.show.clause"),
        ],
        &rows,
    ));
    out.push_str(&format!("\n## {}\n", t!(lang, "guideline.show.targets")));
    let any = t!(lang, "guideline.show.any");
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
            t!(lang, "guideline.show.indicator"),
            t!(lang, "guideline.show.scene"),
            t!(lang, "guideline.show.area"),
            t!(lang, "guideline.show.tier"),
            t!(lang, "guideline.show.stratum"),
            t!(lang, "guideline.show.floor"),
            t!(lang, "guideline.show.goal"),
            t!(lang, "guideline.show.hard_limit"),
        ],
        &rows,
    ));
    out.push_str(&format!(
        "\n## {}\n",
        t!(lang, "guideline.show.levels_and_red_lines")
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
            t!(lang, "guideline.show.cap")
        ));
    }
    out
}
