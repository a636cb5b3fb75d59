//! Planning: `POST /api/v1/plan/staffing` (the fewest agents for a queue, or how a given
//! staffing performs — the JSON contract of `yardstick plan staffing`) and
//! `GET /api/v1/sites/{id}/plan?week=W` (a site's plan for a week from its stored
//! records — the JSON of `yardstick plan site --format json`, its name and notes in the
//! caller's language). A site plan reads the site's records, so it follows the records'
//! scope: regulators and readers outside the site get 404.

use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yardstick_app::plan::{
    DEFAULT_HISTORY_WEEKS, SitePlan, SitePlanRequest, StaffingPlan, StaffingProblem, Week,
    plan_staffing,
};
use yardstick_app::{Cancel, Error};
use yardstick_core::planning::{Overrides, TargetLevel};
use yardstick_core::queueing::Shrinkage;

use super::evaluations::to_json;
use crate::AppState;
use crate::auth::{Caller, LangSlot};
use crate::error::ApiResult;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(staffing))
        .routes(routes!(site_plan))
}

/// A staffing problem: the inputs of `yardstick plan staffing`, by the same names.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffingRequestDto {
    /// Contacts offered per hour.
    pub arrivals_per_h: f64,
    /// Mean handling time per contact, seconds.
    pub aht_s: f64,
    /// Answer-time threshold T of the service level, seconds [default: 20].
    pub answer_within_s: Option<f64>,
    /// Service-level target in (0, 1) [default: 0.8 when no other service target].
    pub sl_target: Option<f64>,
    /// Target mean wait of answered contacts, seconds.
    pub asa_target_s: Option<f64>,
    /// Occupancy cap in (0, 1].
    pub max_occupancy: Option<f64>,
    /// Shrinkage, exactly as written: `"0.3"` or `"30%"` [default: none].
    #[schema(example = "30%")]
    pub shrinkage: Option<String>,
    /// Mean patience, seconds: plans with Erlang A (abandonment).
    pub patience_s: Option<f64>,
    /// Cap on the share of offered contacts that abandon (needs a patience).
    pub max_abandon: Option<f64>,
    /// Evaluate this many agents instead of searching the fewest.
    pub agents: Option<u32>,
}

/// A solved staffing problem (the JSON of `yardstick plan staffing`).
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffingDto {
    /// Offered traffic, Erlangs.
    pub traffic_erlangs: f64,
    /// Agents: the fewest meeting the targets, or the number given.
    pub agents: u32,
    /// Agents to schedule: ⌈agents ÷ (1 − shrinkage)⌉.
    pub agents_scheduled: u64,
    /// Probability that a contact waits.
    pub p_wait: f64,
    /// Answered within T over offered.
    pub service_level: f64,
    /// Mean wait of answered contacts, seconds; null for an unstable queue.
    pub asa_s: Option<f64>,
    /// Occupancy.
    pub occupancy: f64,
    /// Share of offered contacts that abandon (with a patience).
    pub p_abandon: Option<f64>,
    /// Answered within T over answered (with a patience).
    pub service_level_answered: Option<f64>,
    /// Answered within T over offered minus abandons before T (with a patience).
    pub service_level_excl_early_abandons: Option<f64>,
}

impl From<StaffingPlan> for StaffingDto {
    fn from(p: StaffingPlan) -> StaffingDto {
        // Every field named: a field added to the plan fails to compile here.
        let StaffingPlan {
            traffic_erlangs,
            agents,
            agents_scheduled,
            p_wait,
            service_level,
            asa_s,
            occupancy,
            p_abandon,
            service_level_answered,
            service_level_excl_early_abandons,
            asked: _,
        } = p;
        StaffingDto {
            traffic_erlangs,
            agents,
            agents_scheduled,
            p_wait,
            service_level,
            asa_s,
            occupancy,
            p_abandon,
            service_level_answered,
            service_level_excl_early_abandons,
        }
    }
}

/// A shrinkage as written, refused with the reason core gives.
fn shrinkage(text: Option<&str>) -> Result<Option<Shrinkage>, Error> {
    text.map(|t| {
        t.parse::<Shrinkage>().map_err(|e| {
            Error::input("error.plan.input")
                .detail_localised(yardstick_app::error::in_both(|l| e.message(l)))
        })
    })
    .transpose()
}

/// The fewest agents a queue needs to meet its targets (Erlang C, or Erlang A with a
/// patience), or how a given number of agents performs. Computation only: every
/// signed-in caller may ask.
#[utoipa::path(
    post,
    path = "/api/v1/plan/staffing",
    tag = "planning",
    request_body = StaffingRequestDto,
    responses(
        (status = 200, description = "The staffing and how it performs", body = StaffingDto),
        (status = 400, description = "An input outside its domain, or a target no staffing meets", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn staffing(
    _caller: Caller,
    Json(r): Json<StaffingRequestDto>,
) -> ApiResult<Json<StaffingDto>> {
    let problem = StaffingProblem {
        arrivals_per_h: Some(r.arrivals_per_h),
        aht_s: Some(r.aht_s),
        answer_within_s: r.answer_within_s,
        sl_target: r.sl_target,
        asa_target_s: r.asa_target_s,
        max_occupancy: r.max_occupancy,
        shrinkage: shrinkage(r.shrinkage.as_deref())?,
        patience_s: r.patience_s,
        max_abandon: r.max_abandon,
        agents: r.agents,
    };
    // The search is bounded (at most 2,000 agents) and takes microseconds.
    Ok(Json(plan_staffing(&problem)?.into()))
}

/// What week to plan and what may replace the guideline's targets or the history's
/// inputs (the flags of `yardstick plan site`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SitePlanQuery {
    /// The ISO week: `2026-W47`.
    #[param(example = "2026-W47")]
    pub week: String,
    /// Interval length in minutes: 15, 30 or 60 [default: 30]; field centres are
    /// planned per day.
    pub interval_min: Option<u32>,
    /// Weeks of history before the week to learn from [default: 13].
    pub history_weeks: Option<u32>,
    /// Plan to the guideline's `goal` (default) or its `floor`.
    pub targets: Option<String>,
    /// Service-level target in (0, 1), instead of the guideline's.
    pub sl_target: Option<f64>,
    /// Answer-time threshold T in seconds, instead of the guideline's.
    pub answer_within_s: Option<f64>,
    /// Cap on the share of contacts that abandon, instead of the guideline's.
    pub max_abandon: Option<f64>,
    /// Occupancy cap in (0, 1].
    pub max_occupancy: Option<f64>,
    /// Shrinkage, `0.3` or `30%` [default: none].
    pub shrinkage: Option<String>,
    /// Mean handling time in seconds, instead of the history's.
    pub aht_s: Option<f64>,
    /// Mean patience in seconds, instead of the history's estimate.
    pub patience_s: Option<f64>,
    /// Field centres: minutes on site per order, instead of the history's.
    pub onsite_min: Option<f64>,
    /// Field centres: travel minutes per order [default: 30].
    pub travel_min: Option<f64>,
    /// Field centres: productive hours per technician per day [default: 6].
    pub productive_h: Option<f64>,
    /// Field centres: completion time limit in hours, instead of IM-04's.
    pub limit_h: Option<f64>,
}

/// A site's plan for a week (the JSON of `yardstick plan site --format json`).
#[derive(Debug, Serialize, ToSchema)]
pub struct SitePlanDto {
    /// Site id.
    pub site: String,
    /// Site name in the caller's language.
    pub name: String,
    /// Its scene: `hall`, `call_centre` or `field_centre`.
    pub scene: String,
    /// The week, `2026-W47`.
    pub week: String,
    /// Its Monday (YYYY-MM-DD).
    pub from: String,
    /// Its Sunday.
    pub to: String,
    /// Interval length in minutes (1440: per day).
    pub interval_min: u32,
    /// The history learnt from: its days and where they came from.
    pub history: serde_json::Value,
    /// The forecast's weighted absolute percentage error on the held-back week.
    pub wape: Option<f64>,
    /// The held-back week and its totals (null when the history is too short).
    pub backtest: serde_json::Value,
    /// The forecast model.
    pub model: serde_json::Value,
    /// Halls and call centres: the queue's inputs with their sources and the week's
    /// totals (null for field centres).
    pub queue: serde_json::Value,
    /// Field centres: the technician model and its crew (null otherwise).
    pub field: serde_json::Value,
    /// Halls and call centres: every interval of the week.
    pub intervals: Vec<serde_json::Value>,
    /// Every day of the week.
    pub days: Vec<serde_json::Value>,
    /// Remarks in the caller's language.
    pub notes: Vec<String>,
}

fn site_plan_dto(plan: SitePlan, lang: yardstick_core::vocab::Lang) -> ApiResult<SitePlanDto> {
    // Every field named: a field added to the plan fails to compile here until the
    // API answers it too.
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
    Ok(SitePlanDto {
        site,
        name: name.get(lang).to_owned(),
        scene: scene.as_str().to_owned(),
        week,
        from: from.to_string(),
        to: to.to_string(),
        interval_min,
        history: to_json(&history)?,
        wape,
        backtest: to_json(&backtest)?,
        model: to_json(&model)?,
        queue: to_json(&queue)?,
        field: to_json(&field)?,
        intervals: intervals.iter().map(to_json).collect::<ApiResult<_>>()?,
        days: days.iter().map(to_json).collect::<ApiResult<_>>()?,
        notes: notes.iter().map(|n| n.text(lang)).collect(),
    })
}

/// A site's plan for a week from its stored records: the demand forecast per interval,
/// the staff each interval needs to meet the guideline's targets (agents, counters) or
/// the technicians per day, and the sources of every input.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{id}/plan",
    tag = "planning",
    params(
        ("id" = String, Path, description = "Site id", example = "nb-c01"),
        SitePlanQuery
    ),
    responses(
        (status = 200, description = "The site's plan for the week", body = SitePlanDto),
        (status = 400, description = "An invalid week, interval or input, or too little history before the week", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 404, description = "No such site in the caller's record scope", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn site_plan(
    State(state): State<AppState>,
    caller: Caller,
    Extension(lang): Extension<LangSlot>,
    Path(id): Path<String>,
    Query(q): Query<SitePlanQuery>,
) -> ApiResult<Json<SitePlanDto>> {
    let week: Week = q.week.parse()?;
    let level = match q.targets.as_deref() {
        None => TargetLevel::default(),
        Some(t) => TargetLevel::parse(t).ok_or_else(|| {
            Error::input("error.plan.targets").arg("value", yardstick_app::error::quoted(t, 20))
        })?,
    };
    let req = SitePlanRequest {
        interval_min: q.interval_min,
        history_weeks: q.history_weeks.unwrap_or(DEFAULT_HISTORY_WEEKS),
        level,
        overrides: Overrides {
            sl_target: q.sl_target,
            answer_within_s: q.answer_within_s,
            max_abandon: q.max_abandon,
            max_occupancy: q.max_occupancy,
            aht_s: q.aht_s,
            patience_s: q.patience_s,
            onsite_h: q.onsite_min.map(|m| m / 60.0),
            limit_h: q.limit_h,
        },
        shrinkage: shrinkage(q.shrinkage.as_deref())?,
        travel_h: q.travel_min.map(|m| m / 60.0),
        productive_h: q.productive_h,
        ..SitePlanRequest::new(id, week)
    };
    let plan = state
        .workspace
        .plan_site(&caller.actor, req, &Cancel::new())
        .await?;
    Ok(Json(site_plan_dto(plan, lang.get())?))
}
