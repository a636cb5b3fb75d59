//! Staffing a queue from the queueing maths of `yardstick_core::queueing` (Erlang C,
//! exact Erlang A, exact shrinkage): the fewest agents meeting the targets, or how a
//! given staffing performs; one problem, or one per row of a batch CSV whose bad rows
//! are values, in order, next to the good ones.

use serde::Serialize;
use yardstick_core::guideline::PlanningDefaults;
use yardstick_core::queueing::{Input, Queue, QueueingError, Shrinkage, Targets};

use crate::error::{Error, Result, in_both};

/// One staffing problem; `None` means not given (the default applies).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StaffingProblem {
    /// Contacts offered per hour (required).
    pub arrivals_per_h: Option<f64>,
    /// Mean handling time per contact in seconds (required).
    pub aht_s: Option<f64>,
    /// Answer-time threshold T of the service level in seconds [default: 20].
    pub answer_within_s: Option<f64>,
    /// Service-level target in (0, 1) [default: 0.8 when no other service target].
    pub sl_target: Option<f64>,
    /// Target mean wait of answered contacts in seconds.
    pub asa_target_s: Option<f64>,
    /// Occupancy cap in (0, 1]; caps the result, is no service target on its own.
    pub max_occupancy: Option<f64>,
    /// Shrinkage [default: 0].
    pub shrinkage: Option<Shrinkage>,
    /// Mean patience in seconds; switches to Erlang A.
    pub patience_s: Option<f64>,
    /// Cap on the share of offered contacts that abandon (needs a patience).
    pub max_abandon: Option<f64>,
    /// Evaluate this many agents instead of searching the fewest.
    pub agents: Option<u32>,
}

/// A solved problem: the JSON contract of `plan staffing` (field for field, in this
/// order), and what was asked with the defaults applied, for rendering.
///
/// The abandonment fields are null without a patience; `asa_s` is null when the queue
/// is unstable (the wait is infinite).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaffingPlan {
    /// Offered traffic in Erlangs.
    pub traffic_erlangs: f64,
    /// Agents: the fewest meeting the targets, or the number given.
    pub agents: u32,
    /// Agents to schedule: ⌈agents ÷ (1 − shrinkage)⌉, exact.
    pub agents_scheduled: u64,
    /// Probability that a contact waits.
    pub p_wait: f64,
    /// Answered within T over offered.
    pub service_level: f64,
    /// Mean wait of answered contacts in seconds; `None` for an unstable queue.
    pub asa_s: Option<f64>,
    /// Occupancy.
    pub occupancy: f64,
    /// Share of offered contacts that abandon (Erlang A).
    pub p_abandon: Option<f64>,
    /// Answered within T over answered (Erlang A).
    pub service_level_answered: Option<f64>,
    /// Answered within T over offered minus abandons before T (Erlang A).
    pub service_level_excl_early_abandons: Option<f64>,
    /// What was asked, defaults applied; not part of the JSON.
    #[serde(skip)]
    pub asked: Asked,
}

/// The inputs a plan was computed with, defaults applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Asked {
    /// Shrinkage.
    pub shrinkage: Shrinkage,
    /// Answer-time threshold T in seconds.
    pub answer_within_s: f64,
    /// Mean patience in seconds (Erlang A), if given.
    pub patience_s: Option<f64>,
    /// Whether the fewest agents were searched (`false`: a given number evaluated).
    pub searched: bool,
}

/// Solves one problem: evaluates the given staffing, or searches the fewest agents.
///
/// # Errors
/// An input error naming the input at fault (a missing required input, a value
/// outside its domain, a target no staffing meets, more than 2000 agents needed).
pub fn plan_staffing(p: &StaffingProblem) -> Result<StaffingPlan> {
    let required =
        |input: Input| Error::input("error.plan.staffing.required").arg("input", input.name());
    let arrivals = p
        .arrivals_per_h
        .ok_or_else(|| required(Input::ArrivalsPerH))?;
    let aht = p.aht_s.ok_or_else(|| required(Input::AhtS))?;
    let queue = Queue::new(arrivals, aht, p.patience_s).map_err(|e| queueing_error(&e))?;
    let defaults = PlanningDefaults::BUILT_IN;
    let answer_within_s = p.answer_within_s.unwrap_or(defaults.answer_within_s);
    let no_service_target =
        p.sl_target.is_none() && p.asa_target_s.is_none() && p.max_abandon.is_none();
    let targets = Targets {
        answer_within_s,
        service_level: if no_service_target {
            Some(defaults.service_level)
        } else {
            p.sl_target
        },
        asa_s: p.asa_target_s,
        max_occupancy: p.max_occupancy,
        max_abandon: p.max_abandon,
    };
    // Targets are checked with a given staffing too, so a typo is reported, not ignored.
    targets
        .validate(p.patience_s.is_some())
        .map_err(|e| queueing_error(&e))?;
    let performance = match p.agents {
        Some(agents) => queue.evaluate(agents, answer_within_s),
        None => queue.required_agents(&targets),
    }
    .map_err(|e| queueing_error(&e))?;
    let shrinkage = p.shrinkage.unwrap_or_default();
    let a = performance.abandonment;
    Ok(StaffingPlan {
        traffic_erlangs: performance.traffic_erlangs,
        agents: performance.agents,
        agents_scheduled: shrinkage.scheduled_agents(performance.agents),
        p_wait: performance.p_wait,
        service_level: performance.service_level,
        asa_s: performance.asa_s.is_finite().then_some(performance.asa_s),
        occupancy: performance.occupancy,
        p_abandon: a.map(|a| a.p_abandon),
        service_level_answered: a.map(|a| a.service_level_answered),
        service_level_excl_early_abandons: a.map(|a| a.service_level_excl_early_abandons),
        asked: Asked {
            shrinkage,
            answer_within_s,
            patience_s: p.patience_s,
            searched: p.agents.is_none(),
        },
    })
}

/// A queueing input refused by core, in core's words in the reader's language (they
/// name the input as the flags and columns do).
pub(crate) fn queueing_error(e: &QueueingError) -> Error {
    Error::input("error.plan.input").detail_localised(in_both(|l| e.message(l)))
}

/// A batch row that could not be solved.
#[derive(Debug)]
pub struct RowError {
    /// Data row number: 1 is the first row after the header.
    pub row: usize,
    /// What is wrong with it.
    pub error: Error,
}

/// The inputs that may be batch columns, in the order of the documentation.
pub const BATCH_COLUMNS: [Input; 10] = [
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

/// Solves one problem per data row of a batch CSV, in order: element `i` is data row
/// `i + 1`, solved or refused. The header names the columns like the flags without
/// dashes (`arrivals_per_h`, `aht_s`, …, dashes and case tolerated); an empty or
/// missing trailing cell means not given. `name` labels the messages.
///
/// # Errors
/// An input error, before any row is solved, for a header that is unreadable, names
/// an unknown column or one twice, or lacks `arrivals_per_h` or `aht_s`.
pub fn plan_staffing_batch(
    name: &str,
    csv_text: &str,
) -> Result<Vec<Result<StaffingPlan, RowError>>> {
    let text = csv_text.strip_prefix('\u{feff}').unwrap_or(csv_text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| {
        Error::input("error.plan.batch.header")
            .arg("file", name)
            .detail(e.to_string())
    })?;
    let columns = batch_columns(name, header)?;
    Ok(reader
        .records()
        .enumerate()
        .map(|(i, record)| {
            let row = i + 1;
            record
                .map_err(|e| Error::input("error.plan.batch.unreadable_row").detail(e.to_string()))
                .and_then(|r| batch_problem(&columns, &r))
                .and_then(|problem| plan_staffing(&problem))
                .map_err(|error| RowError { row, error })
        })
        .collect())
}

/// Maps header cells to inputs; refuses unknown or repeated columns and missing
/// required ones.
fn batch_columns(name: &str, header: &csv::StringRecord) -> Result<Vec<Input>> {
    let mut columns = Vec::with_capacity(header.len());
    for cell in header {
        let normal = cell
            .trim_start_matches('-')
            .replace('-', "_")
            .to_lowercase();
        let Some(input) = BATCH_COLUMNS.into_iter().find(|i| i.name() == normal) else {
            let known: Vec<&str> = BATCH_COLUMNS.iter().map(|i| i.name()).collect();
            return Err(Error::input("error.plan.batch.unknown_column")
                .arg("file", name)
                .arg("column", format!("{cell:?}"))
                .arg("known", known.join(", ")));
        };
        if columns.contains(&input) {
            return Err(Error::input("error.plan.batch.column_twice")
                .arg("file", name)
                .arg("column", input));
        }
        columns.push(input);
    }
    for required in [Input::ArrivalsPerH, Input::AhtS] {
        if !columns.contains(&required) {
            return Err(Error::input("error.plan.batch.missing_column")
                .arg("file", name)
                .arg("column", required));
        }
    }
    Ok(columns)
}

/// The problem of one data row; empty cells are not given.
fn batch_problem(columns: &[Input], record: &csv::StringRecord) -> Result<StaffingProblem> {
    if record.len() > columns.len() {
        return Err(Error::input("error.plan.batch.cells")
            .arg("cells", record.len())
            .arg("columns", columns.len()));
    }
    let mut problem = StaffingProblem::default();
    for (input, cell) in columns.iter().zip(record) {
        if !cell.is_empty() {
            set(&mut problem, *input, cell)?;
        }
    }
    Ok(problem)
}

/// Sets the input of a batch column from its cell's text.
fn set(p: &mut StaffingProblem, input: Input, cell: &str) -> Result<()> {
    let number = || {
        cell.parse::<f64>().map_err(|_| {
            Error::input("error.plan.batch.not_a_number")
                .arg("column", input)
                .arg("value", format!("{cell:?}"))
        })
    };
    match input {
        Input::ArrivalsPerH => p.arrivals_per_h = Some(number()?),
        Input::AhtS => p.aht_s = Some(number()?),
        Input::AnswerWithinS => p.answer_within_s = Some(number()?),
        Input::SlTarget => p.sl_target = Some(number()?),
        Input::AsaTargetS => p.asa_target_s = Some(number()?),
        Input::MaxOccupancy => p.max_occupancy = Some(number()?),
        Input::PatienceS => p.patience_s = Some(number()?),
        Input::MaxAbandon => p.max_abandon = Some(number()?),
        Input::Shrinkage => p.shrinkage = Some(cell.parse().map_err(|e| queueing_error(&e))?),
        Input::Agents => {
            p.agents = Some(cell.parse().map_err(|_| {
                Error::input("error.plan.batch.agents").arg("value", format!("{cell:?}"))
            })?);
        }
        // `batch_columns` admits only the inputs of BATCH_COLUMNS.
        other => {
            return Err(Error::input("error.plan.batch.not_a_column").arg("column", other));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_may_use_dashes_and_any_case() {
        let header = csv::StringRecord::from(vec!["arrivals-per-h", "AHT_S", "--agents"]);
        let columns = batch_columns("f.csv", &header).expect("known columns");
        assert_eq!(
            columns,
            vec![Input::ArrivalsPerH, Input::AhtS, Input::Agents]
        );
        let unknown = csv::StringRecord::from(vec!["arrivals_per_h", "aht_s", "sla"]);
        let e = batch_columns("f.csv", &unknown).expect_err("unknown");
        assert_eq!(e.message().key, "error.plan.batch.unknown_column");
        assert!(
            e.render(yardstick_core::vocab::Lang::En)
                .contains("\"sla\"")
        );
    }

    #[test]
    fn bad_rows_are_values_in_their_place() {
        let rows = plan_staffing_batch(
            "f.csv",
            "arrivals_per_h,aht_s,agents\n200,180,\n200,x,\n1,2,3,4\n200,180,-1\n",
        )
        .expect("a good header");
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].as_ref().map(|p| p.agents).ok(), Some(14));
        let keys: Vec<(usize, &str)> = rows[1..]
            .iter()
            .map(|r| {
                let e = r.as_ref().expect_err("bad row");
                (e.row, e.error.message().key)
            })
            .collect();
        assert_eq!(
            keys,
            vec![
                (2, "error.plan.batch.not_a_number"),
                (3, "error.plan.batch.cells"),
                (4, "error.plan.batch.agents"),
            ]
        );
    }
}
