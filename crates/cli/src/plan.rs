//! `yardstick plan …`: staffing plans from the queueing maths of
//! `yardstick_core::queueing` (Erlang C, exact Erlang A, exact shrinkage), and site
//! plans from stored records: `plan site` forecasts a week of demand per interval with
//! `yardstick_core::planning`, sizes agents, counters or technicians for it and
//! compares them with a roster.
//!
//! Errors caused by the user's input are returned as [`InputError`] so that `main` can
//! exit with code 2 (see `exit_code` in `main.rs`); anything else (writing to stdout
//! failing, an unreadable database) is an internal error, exit code 1.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use yardstick_core::vocab::Lang;

use anyhow::Context as _;
use chrono::{Days, NaiveDate, NaiveTime, Weekday};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use yardstick_app::{Actor, Error};
use yardstick_core::calendar::{DataStatus, HolidaySet};
use yardstick_core::guideline::{Guideline, PlanningDefaults};
use yardstick_core::org::Site;
use yardstick_core::planning::{
    DayType, FieldParams, FieldPlan, FieldSources, Forecast, ForecastOptions, GuidelineValue,
    IntervalLen, IntervalStaff, Measured, Note, Overrides, PlanRequest, PolicyError, QueueSetup,
    SlBasis, Source, TargetLevel, field_check, field_plan, forecast, staff_interval,
};
use yardstick_core::queueing::{Input, Performance, Queue, Shrinkage, Targets};
use yardstick_core::vocab::Scene;
use yardstick_engine::series::SiteSeries;

use crate::Ctx;

/// Default answer-time threshold in seconds (the "20" in 80/20): the built-in planning
/// default of core.
pub const DEFAULT_ANSWER_WITHIN_S: f64 = PlanningDefaults::BUILT_IN.answer_within_s;
/// Service-level target used when no service target is given: the built-in planning
/// default of core.
pub const DEFAULT_SL_TARGET: f64 = PlanningDefaults::BUILT_IN.service_level;

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

/// An error in what the user gave (exit code 2), as opposed to an internal failure.
#[derive(Debug)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

impl InputError {
    /// An input error with a message saying where and what.
    pub fn new(message: impl Into<String>) -> InputError {
        InputError(message.into())
    }
}

/// A planning failure as the application's error: input errors exit 2.
fn app_error(e: &anyhow::Error) -> Error {
    let text = format!("{e:#}");
    if e.chain().any(|c| c.is::<InputError>()) {
        Error::input("error.plan.input").detail(text)
    } else {
        Error::internal("error.plan.failed").detail(text)
    }
}

/// Runs a `plan` subcommand, writing its output to stdout.
///
/// # Errors
/// Input errors (exit code 2) for invalid input, internal errors otherwise.
pub async fn run(ctx: &Ctx, cmd: PlanCommand) -> Result<u8, Error> {
    match cmd {
        PlanCommand::Staffing(args) => staffing(&args, ctx.lang).map_err(|e| app_error(&e))?,
        PlanCommand::Site(args) => {
            let loaded = load_series(ctx, &args).await?;
            site(&args, ctx.lang, loaded).map_err(|e| app_error(&e))?;
        }
    }
    Ok(0)
}

/// `plan staffing`: one problem from the flags, or a batch file.
fn staffing(args: &StaffingArgs, lang: Lang) -> anyhow::Result<()> {
    if let Some(path) = &args.batch {
        if args.format == Some(Format::Table) {
            return Err(InputError::new("--batch writes JSON lines; drop --format table").into());
        }
        return batch(path);
    }
    let problem = Problem {
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
    };
    let plan = problem
        .solve()
        .map_err(|e| InputError::new(e.to_string()))?;
    let text = match args.format.unwrap_or(Format::Table) {
        Format::Json => serde_json::to_string(&plan.json(None)).context("encoding JSON")?,
        Format::Table => plan.table(lang),
    };
    let mut out = io::stdout().lock();
    writeln!(out, "{text}").context("writing to stdout")?;
    out.flush().context("writing to stdout")
}

/// One staffing problem, from the flags or a batch row; `None` means not given.
#[derive(Debug, Clone, Default)]
struct Problem {
    arrivals_per_h: Option<f64>,
    aht_s: Option<f64>,
    answer_within_s: Option<f64>,
    sl_target: Option<f64>,
    asa_target_s: Option<f64>,
    max_occupancy: Option<f64>,
    shrinkage: Option<Shrinkage>,
    patience_s: Option<f64>,
    max_abandon: Option<f64>,
    agents: Option<u32>,
}

/// A solved problem: the performance of the chosen staffing and what was asked.
#[derive(Debug, Clone)]
struct Plan {
    performance: Performance,
    agents_scheduled: u64,
    shrinkage: Shrinkage,
    answer_within_s: f64,
    patience_s: Option<f64>,
    searched: bool,
}

impl Problem {
    /// Evaluates the given staffing or searches the fewest agents; the error message
    /// names the input at fault.
    fn solve(&self) -> Result<Plan, String> {
        let arrivals = self.arrivals_per_h.ok_or("arrivals_per_h is required")?;
        let aht = self.aht_s.ok_or("aht_s is required")?;
        let queue = Queue::new(arrivals, aht, self.patience_s).map_err(|e| e.to_string())?;
        let answer_within_s = self.answer_within_s.unwrap_or(DEFAULT_ANSWER_WITHIN_S);
        let no_service_target =
            self.sl_target.is_none() && self.asa_target_s.is_none() && self.max_abandon.is_none();
        let targets = Targets {
            answer_within_s,
            service_level: if no_service_target {
                Some(DEFAULT_SL_TARGET)
            } else {
                self.sl_target
            },
            asa_s: self.asa_target_s,
            max_occupancy: self.max_occupancy,
            max_abandon: self.max_abandon,
        };
        // Targets are checked with --agents too, so a typo is reported, not ignored.
        targets
            .validate(self.patience_s.is_some())
            .map_err(|e| e.to_string())?;
        let performance = match self.agents {
            Some(agents) => queue.evaluate(agents, answer_within_s),
            None => queue.required_agents(&targets),
        }
        .map_err(|e| e.to_string())?;
        let shrinkage = self.shrinkage.unwrap_or_default();
        Ok(Plan {
            agents_scheduled: shrinkage.scheduled_agents(performance.agents),
            performance,
            shrinkage,
            answer_within_s,
            patience_s: self.patience_s,
            searched: self.agents.is_none(),
        })
    }

    /// Sets the field of a batch column from its cell text.
    fn set(&mut self, input: Input, cell: &str) -> Result<(), String> {
        let number = || {
            cell.parse::<f64>()
                .map_err(|_| format!("{input}: not a number: {cell:?}"))
        };
        match input {
            Input::ArrivalsPerH => self.arrivals_per_h = Some(number()?),
            Input::AhtS => self.aht_s = Some(number()?),
            Input::AnswerWithinS => self.answer_within_s = Some(number()?),
            Input::SlTarget => self.sl_target = Some(number()?),
            Input::AsaTargetS => self.asa_target_s = Some(number()?),
            Input::MaxOccupancy => self.max_occupancy = Some(number()?),
            Input::PatienceS => self.patience_s = Some(number()?),
            Input::MaxAbandon => self.max_abandon = Some(number()?),
            Input::Shrinkage => self.shrinkage = Some(cell.parse().map_err(|e| format!("{e}"))?),
            Input::Agents => {
                let agents = cell.parse().map_err(|_| {
                    format!("agents must be a whole number from 0 to 2000, got {cell:?}")
                })?;
                self.agents = Some(agents);
            }
            other => return Err(format!("{other} is not a batch column")),
        }
        Ok(())
    }
}

/// The JSON shape of a solved problem; the abandonment fields are null without
/// patience and `asa_s` is null when the queue is unstable (infinite wait).
#[derive(Debug, Serialize)]
struct PlanJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    row: Option<usize>,
    traffic_erlangs: f64,
    agents: u32,
    agents_scheduled: u64,
    p_wait: f64,
    service_level: f64,
    asa_s: Option<f64>,
    occupancy: f64,
    p_abandon: Option<f64>,
    service_level_answered: Option<f64>,
    service_level_excl_early_abandons: Option<f64>,
}

/// The JSON line of a batch row that could not be solved.
#[derive(Debug, Serialize)]
struct RowErrorJson<'a> {
    row: usize,
    error: &'a str,
}

impl Plan {
    fn json(&self, row: Option<usize>) -> PlanJson {
        let p = &self.performance;
        PlanJson {
            row,
            traffic_erlangs: p.traffic_erlangs,
            agents: p.agents,
            agents_scheduled: self.agents_scheduled,
            p_wait: p.p_wait,
            service_level: p.service_level,
            asa_s: p.asa_s.is_finite().then_some(p.asa_s),
            occupancy: p.occupancy,
            p_abandon: p.abandonment.map(|a| a.p_abandon),
            service_level_answered: p.abandonment.map(|a| a.service_level_answered),
            service_level_excl_early_abandons: p
                .abandonment
                .map(|a| a.service_level_excl_early_abandons),
        }
    }

    /// An aligned two-column table with labels in `lang`.
    fn table(&self, lang: Lang) -> String {
        let rows = self.table_rows(lang);
        let width = rows
            .iter()
            .map(|(label, _)| crate::table::width(label))
            .max()
            .unwrap_or(0);
        let mut text = String::new();
        for (label, value) in rows {
            let padding = " ".repeat(width - crate::table::width(&label) + 2);
            text.push_str(&label);
            text.push_str(&padding);
            text.push_str(&value);
            text.push('\n');
        }
        text.trim_end().to_owned()
    }

    /// The (label, value) rows of the table.
    fn table_rows(&self, lang: Lang) -> Vec<(String, String)> {
        let p = &self.performance;
        let l = Labels::new(lang, self.answer_within_s);
        let model = match self.patience_s {
            None => "Erlang C".to_owned(),
            Some(q) => format!(
                "Erlang A{}",
                (l.parenthesised)(&format!("{} {q} {}", l.patience, l.seconds))
            ),
        };
        let agents_label = if self.searched {
            l.agents_needed
        } else {
            l.agents_given
        };
        let asa = if p.asa_s.is_finite() {
            format!("{:.1} {}", p.asa_s, l.seconds)
        } else {
            l.unstable.to_owned()
        };
        let mut rows = vec![
            (l.model.to_owned(), model),
            (l.traffic.to_owned(), format!("{:.3}", p.traffic_erlangs)),
            (agents_label.to_owned(), p.agents.to_string()),
            (
                format!(
                    "{}{}",
                    l.scheduled,
                    (l.parenthesised)(&format!(
                        "{} {}",
                        l.shrinkage,
                        percent_text(&self.shrinkage)
                    ))
                ),
                self.agents_scheduled.to_string(),
            ),
            (l.p_wait.to_owned(), percent(p.p_wait)),
            (l.service_level.clone(), percent(p.service_level)),
            (l.asa.to_owned(), asa),
            (l.occupancy.to_owned(), percent(p.occupancy)),
        ];
        if let Some(a) = p.abandonment {
            rows.push((l.p_abandon.to_owned(), percent(a.p_abandon)));
            rows.push((l.sl_answered.clone(), percent(a.service_level_answered)));
            rows.push((
                l.sl_excl.clone(),
                percent(a.service_level_excl_early_abandons),
            ));
        }
        rows
    }
}

/// Table labels in one language.
struct Labels {
    /// Wraps a remark in the language's parentheses (full-width in Chinese).
    parenthesised: fn(&str) -> String,
    model: &'static str,
    patience: &'static str,
    seconds: &'static str,
    traffic: &'static str,
    agents_needed: &'static str,
    agents_given: &'static str,
    scheduled: &'static str,
    shrinkage: &'static str,
    p_wait: &'static str,
    service_level: String,
    asa: &'static str,
    unstable: &'static str,
    occupancy: &'static str,
    p_abandon: &'static str,
    sl_answered: String,
    sl_excl: String,
}

impl Labels {
    fn new(lang: Lang, answer_within_s: f64) -> Self {
        let t = answer_within_s;
        match lang {
            Lang::Zh => Self {
                parenthesised: |text| format!("（{text}）"),
                model: "模型",
                patience: "平均耐心",
                seconds: "秒",
                traffic: "话务量（Erlang）",
                agents_needed: "所需坐席数（最少）",
                agents_given: "坐席数",
                scheduled: "排班人数",
                shrinkage: "损耗率",
                p_wait: "排队概率",
                service_level: format!("服务水平（{t} 秒内接通 / 呼入量）"),
                asa: "平均应答时长（已接通）",
                unstable: "∞（队列不稳定，话务量 ≥ 坐席数）",
                occupancy: "坐席占用率",
                p_abandon: "放弃率",
                sl_answered: format!("服务水平（{t} 秒内接通 / 接通量）"),
                sl_excl: format!("服务水平（剔除 {t} 秒内放弃）"),
            },
            Lang::En => Self {
                parenthesised: |text| format!(" ({text})"),
                model: "Model",
                patience: "mean patience",
                seconds: "s",
                traffic: "Traffic (Erlangs)",
                agents_needed: "Agents needed (minimum)",
                agents_given: "Agents",
                scheduled: "Agents scheduled",
                shrinkage: "shrinkage",
                p_wait: "Probability of waiting",
                service_level: format!("Service level (answered ≤ {t} s / offered)"),
                asa: "Average speed of answer (answered)",
                unstable: "∞ (unstable queue: traffic ≥ agents)",
                occupancy: "Occupancy",
                p_abandon: "Abandonment rate",
                sl_answered: format!("Service level (answered ≤ {t} s / answered)"),
                sl_excl: format!("Service level (excl. abandons before {t} s)"),
            },
        }
    }
}

/// A probability as a percentage with two decimals.
fn percent(p: f64) -> String {
    format!("{:.2}%", 100.0 * p)
}

/// The shrinkage as a short percentage ("30%", "12.5%") for the label.
fn percent_text(shrinkage: &Shrinkage) -> String {
    let text = format!("{:.4}", 100.0 * shrinkage.as_f64());
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// Inputs that may appear as batch columns, in the order of the help text.
const BATCH_COLUMNS: [Input; 10] = [
    Input::ArrivalsPerH,
    Input::AhtS,
    Input::AnswerWithinS,
    Input::SlTarget,
    Input::AsaTargetS,
    Input::MaxOccupancy,
    Input::Shrinkage,
    Input::PatienceS,
    Input::MaxAbandon,
    Input::Agents,
];

/// `plan staffing --batch FILE`: one JSON line per data row, in order.
fn batch(path: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(format!("cannot read {}: {e}", path.display())))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| InputError::new(format!("{}: bad header: {e}", path.display())))?;
    let columns =
        batch_columns(header).map_err(|e| InputError::new(format!("{}: {e}", path.display())))?;
    let mut out = BufWriter::new(io::stdout().lock());
    let (mut rows, mut bad) = (0_usize, 0_usize);
    for record in reader.records() {
        rows += 1;
        let solved = record
            .map_err(|e| format!("unreadable CSV row: {e}"))
            .and_then(|r| batch_problem(&columns, &r))
            .and_then(|problem| problem.solve());
        let line = match solved {
            Ok(plan) => serde_json::to_string(&plan.json(Some(rows))),
            Err(message) => {
                bad += 1;
                serde_json::to_string(&RowErrorJson {
                    row: rows,
                    error: &message,
                })
            }
        }
        .context("encoding JSON")?;
        writeln!(out, "{line}").context("writing to stdout")?;
    }
    out.flush().context("writing to stdout")?;
    if bad > 0 {
        return Err(InputError::new(format!(
            "{bad} of {rows} rows of {} are invalid; see their error lines",
            path.display()
        ))
        .into());
    }
    Ok(())
}

/// Maps header cells to inputs; rejects unknown or repeated columns and missing
/// required ones, before any row is written.
fn batch_columns(header: &csv::StringRecord) -> Result<Vec<Input>, String> {
    let mut columns = Vec::with_capacity(header.len());
    for name in header {
        let normal = name
            .trim_start_matches('-')
            .replace('-', "_")
            .to_lowercase();
        let input = BATCH_COLUMNS
            .into_iter()
            .find(|input| input.name() == normal)
            .ok_or_else(|| {
                let known: Vec<&str> = BATCH_COLUMNS.iter().map(|i| i.name()).collect();
                format!(
                    "unknown column {name:?}; known columns: {}",
                    known.join(", ")
                )
            })?;
        if columns.contains(&input) {
            return Err(format!("column {input} appears twice"));
        }
        columns.push(input);
    }
    for required in [Input::ArrivalsPerH, Input::AhtS] {
        if !columns.contains(&required) {
            return Err(format!("missing required column {required}"));
        }
    }
    Ok(columns)
}

/// The problem of one data row; empty cells are not given.
fn batch_problem(columns: &[Input], record: &csv::StringRecord) -> Result<Problem, String> {
    if record.len() > columns.len() {
        return Err(format!(
            "row has {} cells but the header has {} columns",
            record.len(),
            columns.len()
        ));
    }
    let mut problem = Problem::default();
    for (input, cell) in columns.iter().zip(record) {
        if !cell.is_empty() {
            problem.set(*input, cell)?;
        }
    }
    Ok(problem)
}

// ---------------------------------------------------------------------------------------
// plan site
// ---------------------------------------------------------------------------------------

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
    #[arg(long, value_name = "N", default_value_t = 13)]
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
    /// Field centre: travel minutes per order.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "M",
        default_value_t = 30.0
    )]
    pub travel_min: f64,
    /// Field centre: productive hours per technician per day.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "H",
        default_value_t = 6.0
    )]
    pub productive_h: f64,
    /// Field centre: completion time limit in hours, instead of IM-04's.
    #[arg(long, allow_negative_numbers = true, value_name = "H")]
    pub limit_h: Option<f64>,
}

/// `plan site`: forecast, staff and gap for one site and week.
fn site(
    args: &SiteArgs,
    lang: Lang,
    (week, site, series): (Week, Site, SiteSeries),
) -> anyhow::Result<()> {
    let interval = series.history.interval();
    let holidays = HolidaySet::china_mainland().context("loading the holiday data")?;
    let dates = week.dates();
    let fc = forecast(
        &series.history,
        &holidays,
        &dates,
        &ForecastOptions::default(),
    )
    .map_err(|e| InputError::new(format!("site `{}`: {e}", site.id)))?;
    let roster = match &args.roster {
        Some(path) => Some(read_roster(path, &week, interval)?),
        None => None,
    };
    let g = crate::guideline_cmd::load(args.guideline.as_ref())
        .map_err(|e| InputError::new(e.render(lang)))?;
    let mut report = SiteReport::new(&site, &week, &series, &fc, &holidays, args, lang);
    if site.scene == Scene::FieldCentre {
        let (params, sources) = field_setup(args, &site, &series, &g)?;
        let shrinkage = args.shrinkage.unwrap_or_default();
        let plan = field_plan(&day_orders(&fc), &params, shrinkage)
            .map_err(|e| InputError::new(e.to_string()))?;
        report.field(params, sources, &plan, shrinkage, roster.as_ref(), &fc)?;
    } else {
        let setup = queue_setup(args, &site, &series, &g)?;
        report.queue(&setup, &fc, roster.as_ref())?;
    }
    let text = match args.format.unwrap_or(Format::Table) {
        Format::Json => serde_json::to_string_pretty(&report.json).context("encoding JSON")?,
        Format::Table => report.text,
    };
    let mut out = io::stdout().lock();
    writeln!(out, "{}", text.trim_end()).context("writing to stdout")?;
    out.flush().context("writing to stdout")
}

/// An ISO week.
#[derive(Debug, Clone, Copy)]
struct Week {
    label_year: i32,
    number: u32,
    monday: NaiveDate,
}

impl Week {
    /// Parses `2026-W45` (or `2026-w45`).
    fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "--week must be an ISO week such as 2026-W45 (year, W, week 01–53), got {text:?}"
            )
        };
        let (year, week) = text.trim().split_once(['W', 'w']).ok_or_else(bad)?;
        let year: i32 = year
            .strip_suffix('-')
            .unwrap_or(year)
            .parse()
            .map_err(|_| bad())?;
        let number: u32 = week.parse().map_err(|_| bad())?;
        let monday = NaiveDate::from_isoywd_opt(year, number, Weekday::Mon)
            .ok_or_else(|| format!("--week {text}: {year} has no ISO week {number}"))?;
        Ok(Self {
            label_year: year,
            number,
            monday,
        })
    }

    fn label(&self) -> String {
        format!("{}-W{:02}", self.label_year, self.number)
    }

    fn dates(&self) -> Vec<NaiveDate> {
        (0..7).map(|i| self.monday + Days::new(i)).collect()
    }

    fn sunday(&self) -> NaiveDate {
        self.monday + Days::new(6)
    }

    fn contains(&self, date: NaiveDate) -> bool {
        date >= self.monday && date <= self.sunday()
    }
}

/// Reads the site and its series for the history window through the application.
async fn load_series(ctx: &Ctx, args: &SiteArgs) -> Result<(Week, Site, SiteSeries), Error> {
    let input = |m: String| Error::input("error.plan.input").detail(m);
    let week = Week::parse(&args.week).map_err(input)?;
    if args.history_weeks == 0 {
        return Err(input("--history-weeks must be at least 1".into()));
    }
    let ws = crate::data_cmd::open(ctx).await?;
    let org = ws.organisation(&Actor::System).await?;
    let field = org
        .site(&args.site)
        .is_some_and(|s| s.scene == Scene::FieldCentre);
    let interval = if field {
        IntervalLen::DAY
    } else {
        let minutes = args.interval.unwrap_or(30);
        match IntervalLen::from_minutes(minutes) {
            Ok(i) if minutes != 1440 => i,
            _ => {
                return Err(input(format!(
                    "--interval must be 15, 30 or 60 minutes, got {minutes}"
                )));
            }
        }
    };
    let from = week
        .monday
        .checked_sub_days(Days::new(u64::from(args.history_weeks) * 7))
        .ok_or_else(|| {
            input(format!(
                "--history-weeks {} reaches before the calendar starts",
                args.history_weeks
            ))
        })?;
    let to = week.monday - Days::new(1);
    let (site, series) = ws
        .site_series(
            &Actor::System,
            &args.site,
            (from, to),
            interval,
            &ctx.cancel,
        )
        .await?;
    check_history(&site, &series, from, to).map_err(|e| app_error(&e))?;
    Ok((week, site, series))
}

/// Refuses a week without enough history, saying what was looked for.
fn check_history(
    site: &Site,
    series: &SiteSeries,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<()> {
    let needed = ForecastOptions::default().min_history_days;
    let kind = series.kind.as_str();
    if series.history.is_empty() {
        return Err(InputError::new(format!(
            "no history for site `{}` before the week: no {kind} arrivals from {from} to {to}; \
             import records first (yardstick ingest {kind} FILE) or plan a later week",
            site.id
        ))
        .into());
    }
    if series.history.len() < needed {
        return Err(InputError::new(format!(
            "site `{}` has only {} day(s) of {kind} history before the week ({} to {}); \
             at least {needed} are needed",
            site.id,
            series.history.len(),
            series.history.first_date().unwrap_or(from),
            series.history.last_date().unwrap_or(to),
        ))
        .into());
    }
    Ok(())
}

/// Forecast orders per day of a field centre (one interval per day).
fn day_orders(fc: &Forecast) -> Vec<(NaiveDate, f64)> {
    fc.days.iter().map(|d| (d.date, d.total)).collect()
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

/// How a planning input's [`Source`] reads in the report.
trait SourceText {
    fn text(&self, lang: Lang) -> String;
}

impl SourceText for Source {
    fn text(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Flag, Lang::Zh) => "命令行".into(),
            (Self::Flag, Lang::En) => "flag".into(),
            (Self::History, Lang::Zh) => "历史数据".into(),
            (Self::History, Lang::En) => "history".into(),
            (Self::Guideline { indicator, value }, _) => match (value, lang) {
                (GuidelineValue::Goal, Lang::Zh) => format!("{indicator} 目标值"),
                (GuidelineValue::Goal, Lang::En) => format!("{indicator} goal"),
                (GuidelineValue::Floor, Lang::Zh) => format!("{indicator} 底线值"),
                (GuidelineValue::Floor, Lang::En) => format!("{indicator} floor"),
                (GuidelineValue::Option(name), _) => format!("{indicator} {name}"),
            },
            (Self::Default, Lang::Zh) => "默认值".into(),
            (Self::Default, Lang::En) => "default".into(),
        }
    }
}

/// The planning policy's request from the flags and the history.
fn plan_request<'a>(args: &SiteArgs, site: &'a Site, series: &SiteSeries) -> PlanRequest<'a> {
    PlanRequest {
        site,
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
        measured: Measured {
            handle_s: series.handle_s.mean(),
            patience_s: series.patience.mean_patience_s(),
            onsite_s: series.handle_s.mean(),
        },
        shrinkage: args.shrinkage.unwrap_or_default(),
        travel_h: args.travel_min / 60.0,
        productive_h: args.productive_h,
    }
}

/// A policy error with the flag that fixes it.
fn policy_error(e: &PolicyError) -> InputError {
    let hint = match e {
        PolicyError::NoHandlingTimes { .. } => "; give --aht-s".to_owned(),
        PolicyError::NoOnsiteTimes { .. } => "; give --onsite-min".to_owned(),
        PolicyError::InvalidInput {
            error,
            from: Some(from),
        } if *from != Source::Flag => match error.input() {
            Some(Input::SlTarget) => format!(" (from {}; give --sl-target)", from.text(Lang::En)),
            Some(Input::MaxAbandon) => {
                format!(" (from {}; give --max-abandon)", from.text(Lang::En))
            }
            _ => String::new(),
        },
        _ => String::new(),
    };
    InputError::new(format!("{e}{hint}"))
}

/// The queue plan of a call centre or hall, by the guideline's planning policy.
fn queue_setup(
    args: &SiteArgs,
    site: &Site,
    series: &SiteSeries,
    g: &Guideline,
) -> anyhow::Result<QueueSetup> {
    yardstick_core::planning::queue_setup(g, &plan_request(args, site, series))
        .map_err(|e| policy_error(&e).into())
}

/// The technician model of a field centre, by the guideline's planning policy.
fn field_setup(
    args: &SiteArgs,
    site: &Site,
    series: &SiteSeries,
    g: &Guideline,
) -> anyhow::Result<(FieldParams, FieldSources)> {
    let setup = yardstick_core::planning::field_setup(g, &plan_request(args, site, series))
        .map_err(|e| policy_error(&e))?;
    Ok((setup.params, setup.sources))
}

/// Rostered staff per (date, interval index).
type Roster = BTreeMap<(NaiveDate, usize), u32>;

/// Reads a roster CSV; every bad row is reported with its line and what is wrong.
fn read_roster(path: &Path, week: &Week, interval: IntervalLen) -> anyhow::Result<Roster> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(format!("cannot read roster {name}: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| InputError::new(format!("roster {name}: bad header: {e}")))?
        .iter()
        .map(str::to_lowercase)
        .collect();
    if header != ["date", "interval_start", "staff"] {
        return Err(InputError::new(format!(
            "roster {name} line 1: the header must be `date,interval_start,staff`, got `{}`",
            header.join(",")
        ))
        .into());
    }
    let mut roster = Roster::new();
    let mut first_line: BTreeMap<(NaiveDate, usize), u64> = BTreeMap::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let (line, row) = match record {
            Ok(r) => (r.position().map_or(0, csv::Position::line), r),
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                errors.push(format!("line {line}: unreadable row: {e}"));
                continue;
            }
        };
        match roster_row(&row, week, interval) {
            Ok((key, staff)) => {
                if let Some(first) = first_line.get(&key) {
                    errors.push(format!(
                        "line {line}: {} {} appears twice (first on line {first})",
                        key.0,
                        interval_label(interval, key.1)
                    ));
                } else {
                    first_line.insert(key, line);
                    roster.insert(key, staff);
                }
            }
            Err(what) => errors.push(format!("line {line}: {what}")),
        }
    }
    if errors.is_empty() {
        Ok(roster)
    } else {
        let shown: Vec<String> = errors.iter().take(20).cloned().collect();
        let more = errors.len().saturating_sub(shown.len());
        let tail = if more > 0 {
            format!("\n  … and {more} more")
        } else {
            String::new()
        };
        Err(InputError::new(format!(
            "roster {name}: {} bad row(s):\n  {}{tail}",
            errors.len(),
            shown.join("\n  ")
        ))
        .into())
    }
}

/// One roster row: its (date, interval index) and staff, or what is wrong with it.
fn roster_row(
    row: &csv::StringRecord,
    week: &Week,
    interval: IntervalLen,
) -> Result<((NaiveDate, usize), u32), String> {
    if row.len() != 3 {
        return Err(format!(
            "expected 3 cells (date,interval_start,staff), got {}",
            row.len()
        ));
    }
    let (date_text, start_text, staff_text) = (&row[0], &row[1], &row[2]);
    let date: NaiveDate = date_text
        .parse()
        .map_err(|_| format!("date `{date_text}` is not a date (YYYY-MM-DD)"))?;
    if !week.contains(date) {
        return Err(format!(
            "date {date} is outside week {} ({} to {})",
            week.label(),
            week.monday,
            week.sunday()
        ));
    }
    let index = if interval == IntervalLen::DAY && start_text.is_empty() {
        0
    } else {
        let time = NaiveTime::parse_from_str(start_text, "%H:%M")
            .map_err(|_| format!("interval_start `{start_text}` is not a time (HH:MM)"))?;
        let index = interval.index_of(time);
        if interval.start_of(index) != Some(time) {
            return Err(if interval == IntervalLen::DAY {
                format!(
                    "interval_start `{start_text}`: field centres are planned per day; leave it empty or write 00:00"
                )
            } else {
                format!(
                    "interval_start `{start_text}` is not the start of a {}-minute interval",
                    interval.minutes()
                )
            });
        }
        index
    };
    let staff: u32 = staff_text
        .parse()
        .map_err(|_| format!("staff `{staff_text}` is not a whole number ≥ 0"))?;
    Ok(((date, index), staff))
}

/// `09:30` for an interval index; `day` for a whole-day interval.
fn interval_label(interval: IntervalLen, index: usize) -> String {
    if interval == IntervalLen::DAY {
        return "day".to_owned();
    }
    interval
        .start_of(index)
        .map_or_else(|| index.to_string(), |t| t.format("%H:%M").to_string())
}

/// A duration for people: whole minutes as minutes, anything else in seconds.
fn duration_text(seconds: f64, lang: Lang) -> String {
    let whole_minutes = seconds >= 60.0 && (seconds % 60.0).abs() < 1e-9;
    match (whole_minutes, lang) {
        (true, Lang::Zh) => format!("{:.0} 分钟", seconds / 60.0),
        (true, Lang::En) => format!("{:.0} min", seconds / 60.0),
        (false, Lang::Zh) => format!("{seconds} 秒"),
        (false, Lang::En) => format!("{seconds} s"),
    }
}

/// Text of a day type.
fn day_type_text(day_type: DayType, lang: Lang) -> &'static str {
    let zh = lang == Lang::Zh;
    match day_type {
        DayType::Mon => {
            if zh {
                "周一"
            } else {
                "Mon"
            }
        }
        DayType::Tue => {
            if zh {
                "周二"
            } else {
                "Tue"
            }
        }
        DayType::Wed => {
            if zh {
                "周三"
            } else {
                "Wed"
            }
        }
        DayType::Thu => {
            if zh {
                "周四"
            } else {
                "Thu"
            }
        }
        DayType::Fri => {
            if zh {
                "周五"
            } else {
                "Fri"
            }
        }
        DayType::Sat => {
            if zh {
                "周六"
            } else {
                "Sat"
            }
        }
        DayType::Sun => {
            if zh {
                "周日"
            } else {
                "Sun"
            }
        }
        DayType::Holiday => {
            if zh {
                "节假日"
            } else {
                "holiday"
            }
        }
        DayType::MakeupWorkday => {
            if zh {
                "调休上班"
            } else {
                "make-up workday"
            }
        }
    }
}

/// A note in the report's language.
fn note_text(note: &Note, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let types = |v: &[DayType]| {
        v.iter()
            .map(|k| day_type_text(*k, lang))
            .collect::<Vec<_>>()
            .join(if zh { "、" } else { ", " })
    };
    match note {
        Note::TrendOff { trend_days, needed } => {
            if zh {
                format!("可用于拟合趋势的天数 {trend_days} 少于 {needed}：不拟合趋势，按水平预测")
            } else {
                format!(
                    "only {trend_days} days can feed the trend (need {needed}): no trend, flat level"
                )
            }
        }
        Note::TrendNotPositive => {
            if zh {
                "拟合出的趋势会使历史期内的需求降到零以下：不采用趋势，按水平预测".to_owned()
            } else {
                "the fitted trend falls to zero inside the history: not used, flat level".to_owned()
            }
        }
        Note::Fallback { day_type, used } => {
            if zh {
                format!(
                    "历史中没有{}，按{}的规律预测",
                    day_type_text(*day_type, lang),
                    types(used)
                )
            } else {
                format!(
                    "no {} in the history: forecast like {}",
                    day_type_text(*day_type, lang),
                    types(used)
                )
            }
        }
        Note::NoBacktest {
            history_days,
            needed,
        } => {
            if zh {
                format!("历史只有 {history_days} 天（需 {needed} 天），无法留出最后一周计算 WAPE")
            } else {
                format!(
                    "{history_days} days of history (need {needed}): no week can be held back for WAPE"
                )
            }
        }
    }
}

/// Remarks on the holiday data of the years the history and the week touch.
fn holiday_notes(holidays: &HolidaySet, from: NaiveDate, to: NaiveDate, lang: Lang) -> Vec<String> {
    holidays
        .coverage(from, to)
        .into_iter()
        .filter_map(|(year, status)| match (status, lang) {
            (Some(DataStatus::Official), _) => None,
            (Some(DataStatus::StatutoryOnly), Lang::Zh) => {
                Some(format!("{year} 年节假日数据仅含法定假日，不含调休安排"))
            }
            (Some(DataStatus::StatutoryOnly), Lang::En) => Some(format!(
                "{year}: only statutory holidays are known, no bridging days or make-up days"
            )),
            (None, Lang::Zh) => Some(format!("没有 {year} 年的节假日数据：按无节假日处理")),
            (None, Lang::En) => Some(format!(
                "no holiday data for {year}: no public holidays assumed"
            )),
        })
        .collect()
}

/// The JSON document of `plan site`.
#[derive(Debug, Serialize)]
struct SiteJson {
    site: String,
    name: String,
    scene: &'static str,
    week: String,
    from: NaiveDate,
    to: NaiveDate,
    interval_min: u32,
    history: HistoryJson,
    wape: Option<f64>,
    backtest: Option<yardstick_core::planning::Backtest>,
    model: yardstick_core::planning::Model,
    queue: Option<QueueJson>,
    field: Option<FieldJson>,
    intervals: Vec<IntervalJson>,
    days: Vec<FieldDayJson>,
    notes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct HistoryJson {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    days: usize,
    arrivals: u64,
}

#[derive(Debug, Serialize)]
struct QueueJson {
    model: &'static str,
    aht_s: f64,
    aht_source: Source,
    patience_s: Option<f64>,
    patience_source: Source,
    answer_within_s: f64,
    answer_within_source: Source,
    sl_target: Option<f64>,
    sl_source: Source,
    sl_basis: SlBasis,
    max_abandon: Option<f64>,
    max_abandon_source: Source,
    max_occupancy: Option<f64>,
    shrinkage: f64,
    forecast_total: f64,
    staff_hours: f64,
    rostered_hours: Option<f64>,
    short_intervals: Option<usize>,
}

#[derive(Debug, Serialize)]
struct IntervalJson {
    date: NaiveDate,
    day_type: DayType,
    start: String,
    forecast: f64,
    agents: u32,
    scheduled: u64,
    roster: Option<u32>,
    gap: Option<i64>,
    service_level: f64,
    asa_s: Option<f64>,
    occupancy: f64,
    p_abandon: Option<f64>,
}

#[derive(Debug, Serialize)]
struct FieldJson {
    onsite_h: f64,
    onsite_source: Source,
    travel_h: f64,
    productive_h: f64,
    limit_h: f64,
    limit_source: Source,
    slack_days: u32,
    crew: u32,
    scheduled: u64,
    utilisation: f64,
    shrinkage: f64,
    #[serde(skip)]
    shrinkage_text: String,
    roster_on_time: Option<bool>,
}

#[derive(Debug, Serialize)]
struct FieldDayJson {
    date: NaiveDate,
    day_type: DayType,
    forecast: f64,
    workload_h: f64,
    /// Technicians to finish the day's orders the same day.
    required: u32,
    scheduled: u64,
    roster: Option<u32>,
    gap: Option<i64>,
    backlog_h: f64,
    late_with_roster: Option<bool>,
}

/// The report being built: its JSON and its text.
struct SiteReport {
    lang: Lang,
    interval: IntervalLen,
    json: SiteJson,
    text: String,
}

/// Gap of a roster against staff to schedule.
fn gap(roster: Option<u32>, scheduled: u64) -> Option<i64> {
    roster.map(|r| i64::from(r) - i64::try_from(scheduled).unwrap_or(i64::MAX))
}

impl SiteReport {
    fn new(
        site: &Site,
        week: &Week,
        series: &SiteSeries,
        fc: &Forecast,
        holidays: &HolidaySet,
        args: &SiteArgs,
        lang: Lang,
    ) -> Self {
        let interval = series.history.interval();
        let mut notes: Vec<String> = fc.notes.iter().map(|n| note_text(n, lang)).collect();
        let first = series.history.first_date().unwrap_or(week.monday);
        notes.extend(holiday_notes(holidays, first, week.sunday(), lang));
        if site.scene == Scene::FieldCentre && args.interval.is_some() {
            notes.push(match lang {
                Lang::Zh => "装维中心按天规划：--interval 不适用".to_owned(),
                Lang::En => {
                    "field centres are planned per day: --interval does not apply".to_owned()
                }
            });
        }
        let json = SiteJson {
            site: site.id.clone(),
            name: site.name.get(lang).to_owned(),
            scene: site.scene.as_str(),
            week: week.label(),
            from: week.monday,
            to: week.sunday(),
            interval_min: interval.minutes(),
            history: HistoryJson {
                from: series.history.first_date(),
                to: series.history.last_date(),
                days: series.history.len(),
                arrivals: series.arrivals,
            },
            wape: fc.backtest.as_ref().and_then(|b| b.wape),
            backtest: fc.backtest.clone(),
            model: fc.model.clone(),
            queue: None,
            field: None,
            intervals: Vec::new(),
            days: Vec::new(),
            notes,
        };
        let mut report = Self {
            lang,
            interval,
            json,
            text: String::new(),
        };
        report.text = report.header(site);
        report
    }

    fn zh(&self) -> bool {
        self.lang == Lang::Zh
    }

    /// Title, history, model and accuracy lines.
    fn header(&self, site: &Site) -> String {
        let j = &self.json;
        let zh = self.zh();
        let unit = if self.interval == IntervalLen::DAY {
            if zh {
                "按天".to_owned()
            } else {
                "per day".to_owned()
            }
        } else if zh {
            format!("{} 分钟时段", self.interval.minutes())
        } else {
            format!("{}-minute intervals", self.interval.minutes())
        };
        let scene = site.scene.label(self.lang);
        let m = &j.model;
        let trend = if m.trend_fitted {
            format!("{:+.2}", m.slope_per_day)
        } else {
            "0".to_owned()
        };
        let wape = j.backtest.as_ref().map_or_else(
            || "—".to_owned(),
            |b| {
                let value = b.wape.map_or_else(|| "—".to_owned(), percent);
                if zh {
                    format!("{value}（留出 {} 至 {}）", b.from, b.to)
                } else {
                    format!("{value} (held back {} to {})", b.from, b.to)
                }
            },
        );
        let (hf, ht) = (
            j.history.from.map_or_else(String::new, |d| d.to_string()),
            j.history.to.map_or_else(String::new, |d| d.to_string()),
        );
        if zh {
            format!(
                "站点规划 {} {}（{scene}）— {}（{} 至 {}），{unit}\n\
                 历史：{hf} 至 {ht}，{} 天，到达 {} 个\n\
                 预测模型：水平 {:.1}/天，趋势 {trend}/天；预测准确度 WAPE {wape}\n",
                j.site, j.name, j.week, j.from, j.to, j.history.days, j.history.arrivals, m.level
            )
        } else {
            format!(
                "Site plan {} {} ({scene}) — {} ({} to {}), {unit}\n\
                 History: {hf} to {ht}, {} days, {} arrivals\n\
                 Forecast model: level {:.1}/day, trend {trend}/day; accuracy WAPE {wape}\n",
                j.site, j.name, j.week, j.from, j.to, j.history.days, j.history.arrivals, m.level
            )
        }
    }

    /// Staff per interval of a call centre or hall.
    fn queue(
        &mut self,
        setup: &QueueSetup,
        fc: &Forecast,
        roster: Option<&Roster>,
    ) -> anyhow::Result<()> {
        let plan = &setup.plan;
        let mut rows = Vec::new();
        for day in &fc.days {
            for (index, arrivals) in day.counts.iter().enumerate() {
                let staff = staff_interval(*arrivals, self.interval, plan).map_err(|e| {
                    InputError::new(format!(
                        "{} {}: {e}",
                        day.date,
                        interval_label(self.interval, index)
                    ))
                })?;
                let rostered = roster.map(|r| r.get(&(day.date, index)).copied().unwrap_or(0));
                rows.push(self.interval_json(day.date, day.day_type, index, &staff, rostered));
            }
        }
        let hours = self.interval.hours();
        #[allow(clippy::cast_precision_loss, reason = "staff counts are small")]
        let staff_hours = rows.iter().map(|r| r.scheduled as f64).sum::<f64>() * hours;
        let rostered_hours = roster.map(|_| {
            rows.iter()
                .filter_map(|r| r.roster)
                .map(f64::from)
                .sum::<f64>()
                * hours
        });
        let short = roster.map(|_| rows.iter().filter(|r| r.gap.is_some_and(|g| g < 0)).count());
        self.json.queue = Some(QueueJson {
            model: if plan.patience_s.is_some() {
                "erlang_a"
            } else {
                "erlang_c"
            },
            aht_s: plan.aht_s,
            aht_source: setup.aht.clone(),
            patience_s: plan.patience_s,
            patience_source: setup.patience.clone(),
            answer_within_s: plan.targets.answer_within_s,
            answer_within_source: setup.answer_within.clone(),
            sl_target: plan.targets.service_level,
            sl_source: setup.sl.clone(),
            sl_basis: plan.basis,
            max_abandon: plan.targets.max_abandon,
            max_abandon_source: setup.abandon.clone(),
            max_occupancy: plan.targets.max_occupancy,
            shrinkage: plan.shrinkage.as_f64(),
            forecast_total: fc.days.iter().map(|d| d.total).sum(),
            staff_hours,
            rostered_hours,
            short_intervals: short,
        });
        self.json.intervals = rows;
        self.text.push_str(&self.queue_text(setup));
        Ok(())
    }

    fn interval_json(
        &self,
        date: NaiveDate,
        day_type: DayType,
        index: usize,
        staff: &IntervalStaff,
        roster: Option<u32>,
    ) -> IntervalJson {
        IntervalJson {
            date,
            day_type,
            start: interval_label(self.interval, index),
            forecast: staff.arrivals,
            agents: staff.agents,
            scheduled: staff.scheduled,
            roster,
            gap: gap(roster, staff.scheduled),
            service_level: staff.service_level,
            asa_s: staff.asa_s,
            occupancy: staff.occupancy,
            p_abandon: staff.p_abandon,
        }
    }

    /// The queue lines, the interval table and the week's totals.
    fn queue_text(&self, setup: &QueueSetup) -> String {
        let mut out = self.queue_lines(setup);
        out.push('\n');
        out.push_str(&self.interval_table());
        out.push_str(&self.queue_totals());
        out.push_str(&self.notes_text());
        out
    }

    /// The queue model and target lines.
    fn queue_lines(&self, setup: &QueueSetup) -> String {
        let zh = self.zh();
        let lang = self.lang;
        let plan = &setup.plan;
        let mut out = String::new();
        let patience = plan.patience_s.map_or_else(
            || {
                if zh {
                    "无放弃记录（Erlang C）".to_owned()
                } else {
                    "no abandons (Erlang C)".to_owned()
                }
            },
            |p| {
                if zh {
                    format!(
                        "平均耐心 {p:.0} 秒（{}，Erlang A）",
                        setup.patience.text(lang)
                    )
                } else {
                    format!(
                        "mean patience {p:.0} s ({}, Erlang A)",
                        setup.patience.text(lang)
                    )
                }
            },
        );
        let t = duration_text(plan.targets.answer_within_s, lang);
        let sl = plan
            .targets
            .service_level
            .map_or_else(|| "—".to_owned(), percent);
        let hall = setup.scene == Scene::Hall;
        let abandon = plan.targets.max_abandon.map_or_else(String::new, |b| {
            let what = match (hall, zh) {
                (true, true) => "过号/离队率",
                (false, true) => "放弃率",
                (true, false) => "no-show and walk-away rate",
                (false, false) => "abandon rate",
            };
            if zh {
                format!("，{what} ≤ {}（{}）", percent(b), setup.abandon.text(lang))
            } else {
                format!(", {what} ≤ {} ({})", percent(b), setup.abandon.text(lang))
            }
        });
        let shrink = percent_text(&plan.shrinkage);
        let (aht, sl_text) = match (hall, zh) {
            (true, true) => ("平均办理时长", format!("{t}内叫号（剔除 {t}内离队）")),
            (false, true) => ("平均处理时长", format!("{t}内应答（剔除 {t}内放弃）")),
            (true, false) => (
                "mean service time",
                format!("called within {t} (excl. walk-aways before {t})"),
            ),
            (false, false) => (
                "mean handling time",
                format!("answered within {t} (excl. abandons before {t})"),
            ),
        };
        if zh {
            out.push_str(&format!(
                "排队模型：{aht} {:.1} 秒（{}），{patience}\n\
                 目标：{sl_text} ≥ {sl}（{}；时限来自 {}）{abandon}，损耗率 {shrink}\n",
                plan.aht_s,
                setup.aht.text(lang),
                setup.sl.text(lang),
                setup.answer_within.text(lang),
            ));
        } else {
            out.push_str(&format!(
                "Queue model: {aht} {:.1} s ({}), {patience}\n\
                 Targets: {sl_text} ≥ {sl} ({}; threshold from {}){abandon}, shrinkage {shrink}\n",
                plan.aht_s,
                setup.aht.text(lang),
                setup.sl.text(lang),
                setup.answer_within.text(lang),
            ));
        }
        out
    }

    /// The week's totals line.
    fn queue_totals(&self) -> String {
        let zh = self.zh();
        let mut out = String::new();
        if let Some(q) = &self.json.queue {
            out.push_str(&if zh {
                format!(
                    "本周预测量 {:.0}，应排班人时 {:.1}",
                    q.forecast_total, q.staff_hours
                )
            } else {
                format!(
                    "Week forecast {:.0}, staff-hours to schedule {:.1}",
                    q.forecast_total, q.staff_hours
                )
            });
            if let (Some(r), Some(n)) = (q.rostered_hours, q.short_intervals) {
                out.push_str(&if zh {
                    format!("；已排班人时 {r:.1}，缺员时段 {n} 个")
                } else {
                    format!("; rostered staff-hours {r:.1}, {n} intervals short")
                });
            }
            out.push('\n');
        }
        out
    }

    /// The interval table; intervals with no forecast, no staff and no roster are left
    /// out so that closed hours do not fill the screen (the JSON has every interval).
    fn interval_table(&self) -> String {
        let zh = self.zh();
        let with_roster = self.json.intervals.iter().any(|r| r.roster.is_some());
        let mut header = vec![
            if zh { "日期" } else { "date" },
            if zh { "日类型" } else { "day" },
            if zh { "时段" } else { "start" },
            if zh { "预测量" } else { "forecast" },
            if zh { "所需人数" } else { "required" },
            if zh { "应排班" } else { "to schedule" },
        ];
        if with_roster {
            header.extend([
                if zh { "已排班" } else { "rostered" },
                if zh { "缺口" } else { "gap" },
            ]);
        }
        header.extend([
            if zh { "服务水平" } else { "service level" },
            if zh { "放弃率" } else { "abandon" },
        ]);
        let rows: Vec<Vec<String>> = self
            .json
            .intervals
            .iter()
            .filter(|r| r.forecast >= 0.005 || r.scheduled > 0 || r.roster.is_some_and(|s| s > 0))
            .map(|r| {
                let mut row = vec![
                    r.date.to_string(),
                    day_type_text(r.day_type, self.lang).to_owned(),
                    r.start.clone(),
                    format!("{:.1}", r.forecast),
                    r.agents.to_string(),
                    r.scheduled.to_string(),
                ];
                if with_roster {
                    row.push(r.roster.map_or_else(|| "—".to_owned(), |s| s.to_string()));
                    row.push(r.gap.map_or_else(|| "—".to_owned(), |g| format!("{g:+}")));
                }
                row.push(percent(r.service_level));
                row.push(r.p_abandon.map_or_else(|| "—".to_owned(), percent));
                row
            })
            .collect();
        crate::table::render(&header, &rows)
    }

    /// Technicians per day of a field centre.
    fn field(
        &mut self,
        params: FieldParams,
        sources: FieldSources,
        plan: &FieldPlan,
        shrinkage: Shrinkage,
        roster: Option<&Roster>,
        fc: &Forecast,
    ) -> anyhow::Result<()> {
        let rostered: Option<Vec<u32>> = roster.map(|r| {
            plan.days
                .iter()
                .map(|d| r.get(&(d.date, 0)).copied().unwrap_or(0))
                .collect()
        });
        let check = match &rostered {
            Some(staff) => {
                let workload: Vec<f64> = plan.days.iter().map(|d| d.workload_h).collect();
                let available = 1.0 - shrinkage.as_f64();
                let capacity: Vec<f64> = staff
                    .iter()
                    .map(|s| f64::from(*s) * available * params.productive_h)
                    .collect();
                Some(
                    field_check(&workload, &capacity, plan.slack_days)
                        .map_err(|e| InputError::new(e.to_string()))?,
                )
            }
            None => None,
        };
        self.json.days = plan
            .days
            .iter()
            .zip(fc.days.iter().map(|d| d.day_type))
            .enumerate()
            .map(|(i, (d, day_type))| {
                let r = rostered.as_ref().and_then(|v| v.get(i).copied());
                FieldDayJson {
                    date: d.date,
                    day_type,
                    forecast: d.orders,
                    workload_h: d.workload_h,
                    required: d.balance,
                    scheduled: shrinkage.scheduled_agents(d.balance),
                    roster: r,
                    gap: gap(r, shrinkage.scheduled_agents(d.balance)),
                    backlog_h: d.backlog_h,
                    late_with_roster: check.as_ref().and_then(|c| c.late.get(i).copied()),
                }
            })
            .collect();
        self.json.field = Some(FieldJson {
            onsite_h: params.onsite_h,
            onsite_source: sources.onsite,
            travel_h: params.travel_h,
            productive_h: params.productive_h,
            limit_h: params.limit_h,
            limit_source: sources.limit,
            slack_days: plan.slack_days,
            crew: plan.crew,
            scheduled: plan.scheduled,
            utilisation: plan.utilisation,
            shrinkage: shrinkage.as_f64(),
            shrinkage_text: percent_text(&shrinkage),
            roster_on_time: check.as_ref().map(|c| c.on_time()),
        });
        self.text.push_str(&self.field_text());
        Ok(())
    }

    /// The field lines, the day table and the verdict on the roster.
    fn field_text(&self) -> String {
        let zh = self.zh();
        let lang = self.lang;
        let mut out = String::new();
        let Some(f) = &self.json.field else {
            return out;
        };
        if zh {
            out.push_str(&format!(
                "装维模型：每单现场 {:.0} 分钟（{}）+ 路途 {:.0} 分钟，每人每天有效工时 {:.1} 小时；\
                 时限 {:.0} 小时（{}，可结转 {} 天）\n",
                f.onsite_h * 60.0,
                f.onsite_source.text(lang),
                f.travel_h * 60.0,
                f.productive_h,
                f.limit_h,
                f.limit_source.text(lang),
                f.slack_days
            ));
        } else {
            out.push_str(&format!(
                "Field model: {:.0} min on site per order ({}) + {:.0} min travel, {:.1} productive h per technician per day; \
                 limit {:.0} h ({}, {} day(s) of carry-over)\n",
                f.onsite_h * 60.0,
                f.onsite_source.text(lang),
                f.travel_h * 60.0,
                f.productive_h,
                f.limit_h,
                f.limit_source.text(lang),
                f.slack_days
            ));
        }
        out.push('\n');
        out.push_str(&self.day_table());
        out.push_str(&if zh {
            format!(
                "每天固定班组：{} 人在岗（应排班 {} 人，损耗率 {}）即可利用 {} 天结转在时限内完成，\
                 工时利用率 {}\n",
                f.crew,
                f.scheduled,
                f.shrinkage_text,
                f.slack_days,
                percent(f.utilisation)
            )
        } else {
            format!(
                "Same crew every day: {} on duty ({} to schedule, shrinkage {}) meet the limit \
                 with {} day(s) of carry-over; utilisation {}\n",
                f.crew,
                f.scheduled,
                f.shrinkage_text,
                f.slack_days,
                percent(f.utilisation)
            )
        });
        if let Some(on_time) = f.roster_on_time {
            let late: Vec<String> = self
                .json
                .days
                .iter()
                .filter(|d| d.late_with_roster == Some(true))
                .map(|d| d.date.to_string())
                .collect();
            out.push_str(&match (on_time, zh) {
                (true, true) => "按此排班，所有工单可在时限内完成\n".to_owned(),
                (true, false) => {
                    "With this roster every order is completed within the limit\n".to_owned()
                }
                (false, true) => format!("按此排班，以下日期的工单会超时：{}\n", late.join("、")),
                (false, false) => format!(
                    "With this roster orders of these days miss the limit: {}\n",
                    late.join(", ")
                ),
            });
        }
        out.push_str(&self.notes_text());
        out
    }

    fn day_table(&self) -> String {
        let zh = self.zh();
        let with_roster = self.json.days.iter().any(|d| d.roster.is_some());
        let mut header = vec![
            if zh { "日期" } else { "date" },
            if zh { "日类型" } else { "day" },
            if zh {
                "预测工单"
            } else {
                "forecast orders"
            },
            if zh {
                "工作量（人时）"
            } else {
                "workload (h)"
            },
            if zh {
                "当日所需人数"
            } else {
                "required (same day)"
            },
            if zh { "应排班" } else { "to schedule" },
        ];
        if with_roster {
            header.extend([
                if zh { "已排班" } else { "rostered" },
                if zh { "缺口" } else { "gap" },
                if zh { "按时" } else { "on time" },
            ]);
        }
        let rows: Vec<Vec<String>> = self
            .json
            .days
            .iter()
            .map(|d| {
                let mut row = vec![
                    d.date.to_string(),
                    day_type_text(d.day_type, self.lang).to_owned(),
                    format!("{:.1}", d.forecast),
                    format!("{:.1}", d.workload_h),
                    d.required.to_string(),
                    d.scheduled.to_string(),
                ];
                if with_roster {
                    row.push(d.roster.map_or_else(|| "—".to_owned(), |s| s.to_string()));
                    row.push(d.gap.map_or_else(|| "—".to_owned(), |g| format!("{g:+}")));
                    row.push(match (d.late_with_roster, zh) {
                        (Some(false), true) => "是".to_owned(),
                        (Some(true), true) => "否".to_owned(),
                        (Some(false), false) => "yes".to_owned(),
                        (Some(true), false) => "no".to_owned(),
                        (None, _) => "—".to_owned(),
                    });
                }
                row
            })
            .collect();
        crate::table::render(&header, &rows)
    }

    fn notes_text(&self) -> String {
        if self.json.notes.is_empty() {
            return String::new();
        }
        let title = if self.zh() { "说明" } else { "Notes" };
        let mut out = format!("{title}{}\n", if self.zh() { "：" } else { ":" });
        for n in &self.json.notes {
            out.push_str(&format!("  - {n}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_labels_count_two_columns_per_character() {
        assert_eq!(crate::table::width("坐席数"), 6);
        assert_eq!(crate::table::width("话务量（Erlang）"), 6 + 2 + 6 + 2);
        assert_eq!(crate::table::width("Agents"), 6);
    }

    #[test]
    fn shrinkage_percent_is_short() {
        let parse = |s: &str| s.parse::<Shrinkage>().expect("valid");
        assert_eq!(percent_text(&parse("0.3")), "30%");
        assert_eq!(percent_text(&parse("0.125")), "12.5%");
        assert_eq!(percent_text(&Shrinkage::NONE), "0%");
    }

    #[test]
    fn batch_header_names_may_use_dashes() {
        let header = csv::StringRecord::from(vec!["arrivals-per-h", "AHT_S", "--agents"]);
        let columns = batch_columns(&header).expect("known columns");
        assert_eq!(
            columns,
            vec![Input::ArrivalsPerH, Input::AhtS, Input::Agents]
        );
        let unknown = csv::StringRecord::from(vec!["arrivals_per_h", "aht_s", "sla"]);
        assert!(
            batch_columns(&unknown)
                .expect_err("unknown")
                .contains("\"sla\"")
        );
    }
}
