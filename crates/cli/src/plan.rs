//! `yardstick plan …`: staffing plans from the queueing maths of
//! `yardstick_core::queueing` (Erlang C, exact Erlang A, exact shrinkage).
//!
//! Errors caused by the user's input are returned as [`InputError`] so that `main` can
//! exit with code 2 (see [`exit_code`]); anything else (writing to stdout failing) is
//! an internal error, exit code 1.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use yardstick_core::vocab::Lang;

use crate::InputError;
use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use yardstick_core::queueing::{Input, Performance, Queue, Shrinkage, Targets};

/// Default answer-time threshold in seconds (the "20" in 80/20).
pub const DEFAULT_ANSWER_WITHIN_S: f64 = 20.0;
/// Service-level target used when no service target is given.
pub const DEFAULT_SL_TARGET: f64 = 0.8;

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
///
/// [`InputError`] for invalid input (exit code 2), other errors for internal failures
/// such as a closed stdout (exit code 1).
pub fn run(cmd: PlanCommand, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        PlanCommand::Staffing(args) => staffing(&args, lang),
    }
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
    let plan = problem.solve().map_err(InputError::new)?;
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
            .map(|(label, _)| display_width(label))
            .max()
            .unwrap_or(0);
        let mut text = String::new();
        for (label, value) in rows {
            let padding = " ".repeat(width - display_width(&label) + 2);
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

/// Terminal columns taken by `text`: East Asian wide and full-width characters take
/// two, so that Chinese labels line up.
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let wide = matches!(u32::from(c),
                0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
                | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6);
            if wide { 2 } else { 1 }
        })
        .sum()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_labels_count_two_columns_per_character() {
        assert_eq!(display_width("坐席数"), 6);
        assert_eq!(display_width("话务量（Erlang）"), 6 + 2 + 6 + 2);
        assert_eq!(display_width("Agents"), 6);
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
