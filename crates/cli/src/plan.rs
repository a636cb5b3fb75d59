//! `yardstick plan …`: the flags of `plan staffing` (one problem, or a batch CSV) and
//! `plan site` (a site's week from its stored records) turned into requests to
//! `yardstick_app::plan`, and what comes back printed: JSON, or the tables of
//! [`crate::plan_text`] in the chosen language.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use yardstick_app::plan::{
    DEFAULT_HISTORY_WEEKS, RosterText, SitePlan, SitePlanRequest, StaffingPlan, StaffingProblem,
    Week, plan_staffing, plan_staffing_batch,
};
use yardstick_app::{Actor, Error};
use yardstick_core::planning::{Overrides, TargetLevel};
use yardstick_core::queueing::Shrinkage;
use yardstick_core::vocab::Lang;

use crate::data_cmd::read_text;
use crate::eval_cmd::guideline_choice;
use crate::plan_text::{site_text, staffing_table};
use crate::{Ctx, out, outln};

/// Help shown after the options of `plan staffing`.
const STAFFING_AFTER_HELP: &str = "\
Defaults:
  --answer-within-s 20; --shrinkage 0; --format table; --lang zh.
  When none of --sl-target, --asa-target-s and --max-abandon is given, the search
  uses --sl-target 0.8 (80 % of offered contacts answered within 20 s).
  --max-occupancy only caps the result; it is not a service target on its own.

Model:
  Erlang C (contacts wait until answered); with --patience-s, exact Erlang A
  (waiting contacts abandon after an exponential patience with that mean).
  service_level counts contacts answered within T over all offered contacts; with
  patience, service_level_answered divides by answered contacts and
  service_level_excl_early_abandons by offered minus those abandoning before T.
  agents_scheduled = ceil(agents / (1 - shrinkage)), computed exactly.

Examples:
  # Fewest agents for 80/20 with 200 calls per hour of 180 s, 30 % shrinkage
  yardstick plan staffing --arrivals-per-h 200 --aht-s 180 --shrinkage 0.3
  # Erlang A: callers wait 2 minutes on average, at most 5 % may abandon
  yardstick plan staffing --arrivals-per-h 200 --aht-s 180 --patience-s 120 \\
      --max-abandon 0.05 --format json
  # How do 14 agents perform?
  yardstick plan staffing --arrivals-per-h 200 --aht-s 180 --agents 14 --lang en
  # One problem per CSV row, one JSON line per row, in order
  yardstick plan staffing --batch intervals.csv

Batch CSV:
  A header row names the columns like the flags without dashes: arrivals_per_h,
  aht_s, answer_within_s, sl_target, asa_target_s, max_occupancy, shrinkage,
  patience_s, max_abandon, agents. arrivals_per_h and aht_s are required; an empty
  (or missing trailing) cell means not given. Each data row n (1 = first row after the header) writes
  one JSON line with \"row\": n; a bad row writes {\"row\": n, \"error\": \"...\"}
  and the command exits with 2 after the last row.

Exit codes: 0 ok; 2 invalid input (including any bad batch row); 1 internal error.";

/// The `plan` subcommands.
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Agents needed for a queue (calls, counter tickets, field work orders), or how a
    /// given staffing performs.
    #[command(after_help = STAFFING_AFTER_HELP)]
    Staffing(StaffingArgs),
    /// Forecast a site's demand for a week from its stored records, with the staff it
    /// needs per interval (agents, counters) or per day (technicians) and the gap to a
    /// roster.
    #[command(after_help = SITE_AFTER_HELP)]
    Site(Box<SiteArgs>),
}

/// Arguments of `plan staffing`.
#[derive(Debug, Args)]
pub struct StaffingArgs {
    /// Contacts offered per hour.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "X",
        required_unless_present = "batch"
    )]
    pub arrivals_per_h: Option<f64>,
    /// Mean handling time per contact, in seconds (talk + hold + wrap-up).
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "S",
        required_unless_present = "batch"
    )]
    pub aht_s: Option<f64>,
    /// Answer-time threshold T of the service level, in seconds [default: 20].
    #[arg(long, allow_negative_numbers = true, value_name = "T")]
    pub answer_within_s: Option<f64>,
    /// Service-level target: share of offered contacts answered within T, in (0, 1)
    /// [default: 0.8 when no other service target is given].
    #[arg(long, allow_negative_numbers = true, value_name = "P")]
    pub sl_target: Option<f64>,
    /// Target mean wait of answered contacts (ASA), in seconds.
    #[arg(long, allow_negative_numbers = true, value_name = "A")]
    pub asa_target_s: Option<f64>,
    /// Occupancy cap, in (0, 1].
    #[arg(long, allow_negative_numbers = true, value_name = "O")]
    pub max_occupancy: Option<f64>,
    /// Shrinkage, a fraction in [0, 1) such as 0.3 or a percentage such as 30%
    /// [default: 0].
    #[arg(long, value_name = "R")]
    pub shrinkage: Option<Shrinkage>,
    /// Mean patience of waiting contacts, in seconds; switches to Erlang A.
    #[arg(long, allow_negative_numbers = true, value_name = "Q")]
    pub patience_s: Option<f64>,
    /// Cap on the share of offered contacts that abandon, in (0, 1); needs
    /// --patience-s.
    #[arg(long, allow_negative_numbers = true, value_name = "B")]
    pub max_abandon: Option<f64>,
    /// Evaluate this many agents instead of searching for the fewest.
    #[arg(long, value_name = "N")]
    pub agents: Option<u32>,
    /// Output format [default: table]; --batch always writes JSON lines.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Read one problem per CSV row (see "Batch CSV" below).
    #[arg(
        long,
        value_name = "FILE.csv",
        conflicts_with_all = [
            "arrivals_per_h", "aht_s", "answer_within_s", "sl_target", "asa_target_s",
            "max_occupancy", "shrinkage", "patience_s", "max_abandon", "agents",
        ]
    )]
    pub batch: Option<PathBuf>,
}

/// Output format of a single problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// An aligned two-column table for people.
    Table,
    /// One JSON object for scripts.
    Json,
}

/// Runs a `plan` subcommand, writing its output to stdout.
///
/// # Errors
/// Input errors (exit code 2) for invalid input, internal errors otherwise.
pub async fn run(ctx: &Ctx, cmd: PlanCommand) -> Result<u8, Error> {
    match cmd {
        PlanCommand::Staffing(args) => staffing(&args, ctx.lang)?,
        PlanCommand::Site(args) => site(ctx, &args).await?,
    }
    Ok(0)
}

/// A value as JSON; serialising the plans' plain structs cannot fail, but an error is
/// an error, not an empty line.
fn json(value: &impl Serialize, pretty: bool) -> Result<String, Error> {
    if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .map_err(|e| Error::internal("error.internal.json").detail(e.to_string()))
}

/// `plan staffing`: one problem from the flags, or a batch file.
fn staffing(args: &StaffingArgs, lang: Lang) -> Result<(), Error> {
    if let Some(path) = &args.batch {
        if args.format == Some(Format::Table) {
            return Err(Error::input("error.plan.batch.table"));
        }
        return batch(path, lang);
    }
    let plan = plan_staffing(&StaffingProblem {
        arrivals_per_h: args.arrivals_per_h,
        aht_s: args.aht_s,
        answer_within_s: args.answer_within_s,
        sl_target: args.sl_target,
        asa_target_s: args.asa_target_s,
        max_occupancy: args.max_occupancy,
        shrinkage: args.shrinkage,
        patience_s: args.patience_s,
        max_abandon: args.max_abandon,
        agents: args.agents,
    })?;
    let text = match args.format.unwrap_or(Format::Table) {
        Format::Json => json(&plan, false)?,
        Format::Table => staffing_table(&plan, lang),
    };
    outln!("{text}")
}

/// A solved batch row: its number, then the plan's fields.
#[derive(Serialize)]
struct RowJson<'a> {
    row: usize,
    #[serde(flatten)]
    plan: &'a StaffingPlan,
}

/// A batch row that could not be solved, with what is wrong in the chosen language.
#[derive(Serialize)]
struct RowErrorJson {
    row: usize,
    error: String,
}

/// `plan staffing --batch FILE`: one JSON line per data row, in order; exit code 2
/// after the last line when any row was bad.
fn batch(path: &std::path::Path, lang: Lang) -> Result<(), Error> {
    let name = path.display().to_string();
    let rows = plan_staffing_batch(&name, &read_text(path)?)?;
    let mut text = String::new();
    let mut bad = 0_usize;
    for (i, row) in rows.iter().enumerate() {
        let line = match row {
            Ok(plan) => json(&RowJson { row: i + 1, plan }, false)?,
            Err(e) => {
                bad += 1;
                json(
                    &RowErrorJson {
                        row: e.row,
                        error: e.error.render(lang),
                    },
                    false,
                )?
            }
        };
        text.push_str(&line);
        text.push('\n');
    }
    out!("{text}")?;
    if bad > 0 {
        return Err(Error::input("error.plan.batch.bad_rows")
            .arg("bad", bad)
            .arg("rows", rows.len())
            .arg("file", name));
    }
    Ok(())
}

/// Help shown after the options of `plan site`.
const SITE_AFTER_HELP: &str = "\
What it does:
  Reads the site's committed records from the --history-weeks weeks before the week
  (call centre: voice contacts by queue entry; hall: tickets by issue time; field
  centre: work orders by creation day), forecasts arrivals per interval for the week
  (level x trend x day-type factor x time-of-day profile; public holidays have their
  own profile, make-up working days use the working-day one), and sizes each interval:
  agents or counters by Erlang A (Erlang C when nobody abandons), technicians per day
  by workload against the completion time limit. The forecast's accuracy is the WAPE
  of the same method on the last week of history, fitted on the weeks before it.

Targets (from the guideline, --guideline FILE or the built-in one, for the site's
scene, area and tier; its [planning] section names the indicators, and a guideline
without one is read like the built-in rules below):
  call centre  answered within CC-02's threshold (20 s), formula 4 (early abandons
               neutral), at CC-02's goal (--targets floor: its floor); abandon rate at
               most CC-04's goal (or floor).
  hall         called within BH-02's wait target (15 min), formula 4, at BH-02's goal;
               no-shows and walk-aways (abandons) at most BH-04's goal.
  field centre every order completed within IM-04's limit: 48 h urban, 72 h rural.
  --sl-target, --answer-within-s, --max-abandon and --limit-h override them.

Roster CSV:
  A header row `date,interval_start,staff`, then one row per interval of --interval
  minutes (field centres: one row per day, interval_start empty or 00:00), e.g.
    date,interval_start,staff
    2026-11-02,09:00,12
  Intervals without a row have no staff rostered. The gap is rostered − to schedule.

Examples:
  yardstick plan site gz-c01 --week 2026-W45
  yardstick plan site gz-h01 --week 2026-W45 --interval 60 --roster roster.csv --lang en
  yardstick plan site gz-f03 --week 2026-W45 --travel-min 40 --format json

Exit codes: 0 ok; 2 invalid input (unknown site, no history, bad roster row); 1 internal error.";

/// Arguments of `plan site`.
#[derive(Debug, Args)]
pub struct SiteArgs {
    /// Site id.
    pub site: String,
    /// ISO week to plan, e.g. 2026-W45 (Monday to Sunday).
    #[arg(long, value_name = "YYYY-Www")]
    pub week: String,
    /// Roster CSV (date,interval_start,staff) to compare with.
    #[arg(long, value_name = "FILE.csv")]
    pub roster: Option<PathBuf>,
    /// Interval length in minutes: 15, 30 or 60 [default: 30]; field centres plan per
    /// day.
    #[arg(long, value_name = "MIN")]
    pub interval: Option<u32>,
    /// Output format [default: table].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Weeks of history before the planned week to learn from.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_HISTORY_WEEKS)]
    pub history_weeks: u32,
    /// Plan to the guideline's goal values or its floor values.
    #[arg(long, default_value = TargetLevel::Goal.as_str(), value_parser = target_levels())]
    pub targets: TargetLevel,
    /// Guideline file whose targets to plan for [default: the built-in guideline].
    #[arg(long, value_name = "FILE")]
    pub guideline: Option<PathBuf>,
    /// Service-level target in (0, 1), instead of the guideline's.
    #[arg(long, allow_negative_numbers = true, value_name = "P")]
    pub sl_target: Option<f64>,
    /// Answer-time threshold T in seconds, instead of the guideline's.
    #[arg(long, allow_negative_numbers = true, value_name = "T")]
    pub answer_within_s: Option<f64>,
    /// Cap on the share of contacts that abandon, instead of the guideline's.
    #[arg(long, allow_negative_numbers = true, value_name = "B")]
    pub max_abandon: Option<f64>,
    /// Occupancy cap in (0, 1].
    #[arg(long, allow_negative_numbers = true, value_name = "O")]
    pub max_occupancy: Option<f64>,
    /// Shrinkage, e.g. 0.3 or 30% [default: 0].
    #[arg(long, value_name = "R")]
    pub shrinkage: Option<Shrinkage>,
    /// Mean handling time in seconds, instead of the history's.
    #[arg(long, allow_negative_numbers = true, value_name = "S")]
    pub aht_s: Option<f64>,
    /// Mean patience in seconds, instead of the history's estimate.
    #[arg(long, allow_negative_numbers = true, value_name = "Q")]
    pub patience_s: Option<f64>,
    /// Field centre: minutes on site per order, instead of the history's.
    #[arg(long, allow_negative_numbers = true, value_name = "M")]
    pub onsite_min: Option<f64>,
    /// Field centre: travel minutes per order [default: 30].
    #[arg(long, allow_negative_numbers = true, value_name = "M")]
    pub travel_min: Option<f64>,
    /// Field centre: productive hours per technician per day [default: 6].
    #[arg(long, allow_negative_numbers = true, value_name = "H")]
    pub productive_h: Option<f64>,
    /// Field centre: completion time limit in hours, instead of IM-04's.
    #[arg(long, allow_negative_numbers = true, value_name = "H")]
    pub limit_h: Option<f64>,
}

/// The values of `--targets`, with their help.
fn target_levels() -> impl clap::builder::TypedValueParser<Value = TargetLevel> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser as _};
    PossibleValuesParser::new(TargetLevel::ALL.map(|level| {
        PossibleValue::new(level.as_str()).help(match level {
            TargetLevel::Goal => "The goal (full achievement)",
            TargetLevel::Floor => "The floor (the least acceptable value)",
        })
    }))
    .map(|text| TargetLevel::parse(&text).unwrap_or_default())
}

/// The request of `plan site`'s flags; files are read now.
fn site_request(args: &SiteArgs) -> Result<SitePlanRequest, Error> {
    let week: Week = args.week.parse()?;
    let roster = match &args.roster {
        Some(path) => Some(RosterText {
            name: path.display().to_string(),
            text: read_text(path)?,
        }),
        None => None,
    };
    Ok(SitePlanRequest {
        interval_min: args.interval,
        history_weeks: args.history_weeks,
        guideline: guideline_choice(args.guideline.as_ref())?,
        level: args.targets,
        overrides: Overrides {
            sl_target: args.sl_target,
            answer_within_s: args.answer_within_s,
            max_abandon: args.max_abandon,
            max_occupancy: args.max_occupancy,
            aht_s: args.aht_s,
            patience_s: args.patience_s,
            onsite_h: args.onsite_min.map(|m| m / 60.0),
            limit_h: args.limit_h,
        },
        shrinkage: args.shrinkage,
        travel_h: args.travel_min.map(|m| m / 60.0),
        productive_h: args.productive_h,
        roster,
        ..SitePlanRequest::new(args.site.clone(), week)
    })
}

/// `plan site`: forecast, staff and gap for one site and week.
async fn site(ctx: &Ctx, args: &SiteArgs) -> Result<(), Error> {
    let req = site_request(args)?;
    let ws = crate::data_cmd::open(ctx).await?;
    let plan = ws.plan_site(&Actor::System, req, &ctx.cancel).await?;
    let text = match args.format.unwrap_or(Format::Table) {
        Format::Json => json(&SiteJson::new(&plan, ctx.lang), true)?,
        Format::Table => site_text(&plan, ctx.lang),
    };
    outln!("{}", text.trim_end())
}

/// The JSON of `plan site`: the plan with its name and notes in the chosen language.
#[derive(Serialize)]
struct SiteJson<'a> {
    site: &'a str,
    name: &'a str,
    scene: yardstick_core::vocab::Scene,
    week: &'a str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    interval_min: u32,
    history: &'a yardstick_app::plan::PlanHistory,
    wape: Option<f64>,
    backtest: &'a Option<yardstick_core::planning::Backtest>,
    model: &'a yardstick_core::planning::Model,
    queue: &'a Option<yardstick_app::plan::QueueSummary>,
    field: &'a Option<yardstick_app::plan::FieldSummary>,
    intervals: &'a [yardstick_app::plan::PlanInterval],
    days: &'a [yardstick_app::plan::PlanDay],
    notes: Vec<String>,
}

impl<'a> SiteJson<'a> {
    fn new(plan: &'a SitePlan, lang: Lang) -> SiteJson<'a> {
        // Every field named: a field added to the plan fails to compile here until
        // the command line prints it too.
        let SitePlan {
            site,
            name,
            scene,
            week,
            from,
            to,
            interval_min,
            history,
            wape,
            backtest,
            model,
            queue,
            field,
            intervals,
            days,
            notes,
        } = plan;
        SiteJson {
            site,
            name: name.get(lang),
            scene: *scene,
            week,
            from: *from,
            to: *to,
            interval_min: *interval_min,
            history,
            wape: *wape,
            backtest,
            model,
            queue,
            field,
            intervals,
            days,
            notes: notes.iter().map(|n| n.text(lang)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use yardstick_app::plan::DEFAULT_INTERVAL_MIN;
    use yardstick_core::guideline::PlanningDefaults;
    use yardstick_core::planning::FieldDefaults;

    /// The defaults the help text states are the ones the application plans with.
    #[test]
    fn help_defaults_are_the_applications() {
        assert!((PlanningDefaults::BUILT_IN.answer_within_s - 20.0).abs() < 1e-12);
        assert!((PlanningDefaults::BUILT_IN.service_level - 0.8).abs() < 1e-12);
        assert!((FieldDefaults::BUILT_IN.travel_h * 60.0 - 30.0).abs() < 1e-12);
        assert!((FieldDefaults::BUILT_IN.productive_h - 6.0).abs() < 1e-12);
        assert_eq!(DEFAULT_INTERVAL_MIN, 30);
    }
}
