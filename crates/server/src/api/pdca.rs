//! The improvement loop: findings (不符合项) raised from evaluations and audits or by
//! hand, corrective actions (整改) through Plan → Do → Check → Act, the data-driven check
//! and escalation, and the management review of a period. Findings and actions are read
//! within the caller's record scope (a regulator reads none); quality managers raise and
//! close findings; the site's managers and quality managers move actions.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yardstick_app::pdca::actions::{ActionQuery, NewActionRequest};
use yardstick_app::pdca::{ActionView, FindingQuery, FindingView, ManualFinding};
use yardstick_core::pdca::{RootCause, Severity};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(findings, raise))
        .routes(routes!(finding))
        .routes(routes!(close))
        .routes(routes!(actions, add))
        .routes(routes!(action))
        .routes(routes!(start))
        .routes(routes!(done))
        .routes(routes!(verify))
        .routes(routes!(check))
        .routes(routes!(review))
}

fn today(d: Option<NaiveDate>) -> NaiveDate {
    d.unwrap_or_else(|| chrono::Utc::now().date_naive())
}

fn json<T: Serialize>(v: &T) -> ApiResult<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| {
        ApiError::App(yardstick_app::Error::internal("error.internal.json").detail(e.to_string()))
    })
}

/// A corrective action.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDto {
    /// Id.
    pub id: i64,
    /// The finding it corrects.
    pub finding: i64,
    /// Site.
    pub site: String,
    /// Owner's login.
    pub owner: String,
    /// people, facilities, process, environment, information_systems, external.
    pub root_cause: String,
    /// The 5-whys analysis.
    pub five_whys: String,
    /// What will be done.
    pub plan: String,
    /// plan, do, check, act.
    pub stage: String,
    /// Due date.
    pub due: String,
    /// The day the work was done.
    pub done_on: Option<String>,
    /// Times sent back to Plan.
    pub reopened: u32,
    /// Times escalated.
    pub escalations: u32,
    /// Whether the check found it effective.
    pub effective: Option<bool>,
    /// Late in Plan or Do.
    pub overdue: bool,
    /// Its events (planned, started, done, verified, escalated…), oldest first.
    #[schema(value_type = Vec<Object>)]
    pub events: serde_json::Value,
}

fn action_dto(a: &ActionView) -> ApiResult<ActionDto> {
    Ok(ActionDto {
        id: a.action.id,
        finding: a.action.finding,
        site: a.site.clone(),
        owner: a.action.owner.clone(),
        root_cause: a.action.root_cause.as_str().to_string(),
        five_whys: a.action.five_whys.clone(),
        plan: a.action.plan.clone(),
        stage: a.state.stage.as_str().to_string(),
        due: a.state.due.to_string(),
        done_on: a.state.done_on.map(|d| d.to_string()),
        reopened: a.state.reopened,
        escalations: a.state.escalations,
        effective: a.state.effective,
        overdue: a.overdue,
        events: json(&a.action.events)?,
    })
}

/// A finding.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingDto {
    /// Id.
    pub id: i64,
    /// Site.
    pub site: String,
    /// indicator_floor, hard_limit, audit_item, complaint_cluster, trend, manual.
    pub source: String,
    /// What it is about (an indicator line, an item, a complaint class, a key).
    pub subject: String,
    /// critical, major, minor.
    pub severity: String,
    /// Clause.
    pub clause: Option<String>,
    /// Indicator.
    pub indicator: Option<String>,
    /// Checklist item.
    pub item: Option<String>,
    /// Title (Chinese).
    pub title_zh: String,
    /// Title (English).
    pub title_en: String,
    /// Opened on.
    pub opened_on: String,
    /// Due on.
    pub due_on: String,
    /// Closed on.
    pub closed_on: Option<String>,
    /// The stage of its latest action.
    pub stage: Option<String>,
    /// Past its due date with no action closed.
    pub overdue: bool,
    /// Its history (opened, repeated with new evidence and period, closed), never
    /// rewritten.
    #[schema(value_type = Vec<Object>)]
    pub events: serde_json::Value,
    /// Its actions.
    pub actions: Vec<ActionDto>,
}

fn finding_dto(f: &FindingView) -> ApiResult<FindingDto> {
    let x = &f.finding;
    Ok(FindingDto {
        id: x.id,
        site: x.site.clone(),
        source: x.source.as_str().to_string(),
        subject: x.subject.clone(),
        severity: x.severity.as_str().to_string(),
        clause: x.clause.clone(),
        indicator: x.indicator.clone(),
        item: x.item.clone(),
        title_zh: f.title.zh.clone(),
        title_en: f.title.en.clone(),
        opened_on: x.opened_on.to_string(),
        due_on: x.due_on.to_string(),
        closed_on: x.closed_on.map(|d| d.to_string()),
        stage: f.stage.map(|s| s.as_str().to_string()),
        overdue: f.overdue,
        events: json(&x.events)?,
        actions: f.actions.iter().map(action_dto).collect::<ApiResult<_>>()?,
    })
}

/// Which findings.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingParams {
    /// Of this site.
    pub site: Option<String>,
    /// Open ones only.
    pub open: Option<bool>,
    /// Overdue ones only.
    pub overdue: Option<bool>,
    /// Of this severity: critical, major, minor.
    pub severity: Option<String>,
    /// The day "overdue" is judged on (default: today).
    #[param(value_type = Option<String>, format = Date)]
    pub today: Option<NaiveDate>,
}

/// Findings the caller may read, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/findings",
    tag = "improvement",
    params(FindingParams),
    responses((status = 200, description = "Findings", body = Vec<FindingDto>))
)]
pub async fn findings(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<FindingParams>,
) -> ApiResult<Json<Vec<FindingDto>>> {
    let severity = match p.severity.as_deref() {
        None => None,
        Some(s) => Some(
            Severity::parse(s)
                .ok_or_else(|| ApiError::BadRequest("severity: critical, major or minor".into()))?,
        ),
    };
    let q = FindingQuery {
        site: p.site,
        open_only: p.open.unwrap_or(false),
        overdue_only: p.overdue.unwrap_or(false),
        severity,
        ..FindingQuery::default()
    };
    let list = state
        .workspace
        .findings(&caller.actor, &q, today(p.today))
        .await?;
    Ok(Json(
        list.iter().map(finding_dto).collect::<ApiResult<_>>()?,
    ))
}

/// A finding raised by hand.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewFindingDto {
    /// Site.
    pub site: String,
    /// A short key naming it (one open finding per site and key).
    pub subject: String,
    /// Title.
    pub title: String,
    /// What was seen.
    pub note: String,
    /// critical, major, minor.
    pub severity: String,
    /// Clause it concerns.
    pub clause: Option<String>,
}

/// Raises a finding by hand (admins; quality managers within their grants).
#[utoipa::path(
    post,
    path = "/api/v1/findings",
    tag = "improvement",
    request_body = NewFindingDto,
    responses(
        (status = 201, description = "Raised", body = FindingDto),
        (status = 403, description = "Not a quality manager of the site", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "An open finding of this site and key exists", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn raise(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<NewFindingDto>,
) -> ApiResult<(StatusCode, Json<FindingDto>)> {
    let severity = Severity::parse(&req.severity)
        .ok_or_else(|| ApiError::BadRequest("severity: critical, major or minor".into()))?;
    let f = state
        .workspace
        .raise_finding(
            &caller.actor,
            &ManualFinding {
                site: req.site,
                subject: req.subject,
                title: req.title,
                note: req.note,
                severity,
                clause: req.clause,
                on: None,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(finding_dto(&f)?)))
}

/// One finding with its history and actions.
#[utoipa::path(
    get,
    path = "/api/v1/findings/{id}",
    tag = "improvement",
    params(("id" = i64, Path, description = "Finding id")),
    responses(
        (status = 200, description = "The finding", body = FindingDto),
        (status = 404, description = "No such finding the caller may read", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn finding(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<FindingDto>> {
    let f = state
        .workspace
        .finding(&caller.actor, id, today(None))
        .await?;
    Ok(Json(finding_dto(&f)?))
}

/// A note.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NoteDto {
    /// What it rests on.
    pub note: String,
}

/// Closes a finding by hand, saying why (admins; the site's quality managers).
#[utoipa::path(
    post,
    path = "/api/v1/findings/{id}/close",
    tag = "improvement",
    params(("id" = i64, Path, description = "Finding id")),
    request_body = NoteDto,
    responses(
        (status = 200, description = "Closed", body = FindingDto),
        (status = 409, description = "Already closed", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(n): Json<NoteDto>,
) -> ApiResult<Json<FindingDto>> {
    let f = state
        .workspace
        .close_finding(&caller.actor, id, &n.note, today(None))
        .await?;
    Ok(Json(finding_dto(&f)?))
}

/// Which actions.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionParams {
    /// Of this site.
    pub site: Option<String>,
    /// Late ones only.
    pub overdue: Option<bool>,
    /// The day "late" is judged on (default: today).
    #[param(value_type = Option<String>, format = Date)]
    pub today: Option<NaiveDate>,
}

/// Corrective actions the caller may read.
#[utoipa::path(
    get,
    path = "/api/v1/actions",
    tag = "improvement",
    params(ActionParams),
    responses((status = 200, description = "Actions", body = Vec<ActionDto>))
)]
pub async fn actions(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ActionParams>,
) -> ApiResult<Json<Vec<ActionDto>>> {
    let q = ActionQuery {
        site: p.site,
        overdue_only: p.overdue.unwrap_or(false),
        ..ActionQuery::default()
    };
    let list = state
        .workspace
        .actions(&caller.actor, &q, today(p.today))
        .await?;
    Ok(Json(list.iter().map(action_dto).collect::<ApiResult<_>>()?))
}

/// A corrective action to add.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewActionDto {
    /// The finding it corrects.
    pub finding: i64,
    /// Owner's login.
    pub owner: String,
    /// people, facilities, process, environment, information_systems, external.
    pub root_cause: String,
    /// The 5-whys analysis.
    pub five_whys: String,
    /// What will be done.
    pub plan: String,
    /// Due date (the finding's when absent).
    #[schema(value_type = Option<String>, format = Date)]
    pub due: Option<NaiveDate>,
}

/// Adds a corrective action to an open finding (admins, quality managers, the site's
/// managers).
#[utoipa::path(
    post,
    path = "/api/v1/actions",
    tag = "improvement",
    request_body = NewActionDto,
    responses(
        (status = 201, description = "Added (stage Plan)", body = ActionDto),
        (status = 403, description = "The caller may not act for this site", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The finding is closed", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<NewActionDto>,
) -> ApiResult<(StatusCode, Json<ActionDto>)> {
    let root_cause = RootCause::parse(&req.root_cause).ok_or_else(|| {
        ApiError::BadRequest(
            "root_cause: people, facilities, process, environment, information_systems or external"
                .into(),
        )
    })?;
    let a = state
        .workspace
        .add_action(
            &caller.actor,
            &NewActionRequest {
                finding: req.finding,
                owner: req.owner,
                root_cause,
                five_whys: req.five_whys,
                plan: req.plan,
                due: req.due,
                on: None,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(action_dto(&a)?)))
}

/// One corrective action.
#[utoipa::path(
    get,
    path = "/api/v1/actions/{id}",
    tag = "improvement",
    params(("id" = i64, Path, description = "Action id")),
    responses(
        (status = 200, description = "The action", body = ActionDto),
        (status = 404, description = "No such action the caller may read", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn action(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<ActionDto>> {
    let a = state
        .workspace
        .action(&caller.actor, id, today(None))
        .await?;
    Ok(Json(action_dto(&a)?))
}

/// Starts the work (Plan → Do).
#[utoipa::path(
    post,
    path = "/api/v1/actions/{id}/start",
    tag = "improvement",
    params(("id" = i64, Path, description = "Action id")),
    responses(
        (status = 200, description = "In Do", body = ActionDto),
        (status = 409, description = "Not in Plan", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<ActionDto>> {
    let a = state
        .workspace
        .start_action(&caller.actor, id, None)
        .await?;
    Ok(Json(action_dto(&a)?))
}

/// The work is done (Do → Check): the data decides whether it worked.
#[utoipa::path(
    post,
    path = "/api/v1/actions/{id}/done",
    tag = "improvement",
    params(("id" = i64, Path, description = "Action id")),
    responses(
        (status = 200, description = "In Check", body = ActionDto),
        (status = 409, description = "Not in Do", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn done(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<ActionDto>> {
    let a = state.workspace.done_action(&caller.actor, id, None).await?;
    Ok(Json(action_dto(&a)?))
}

/// A person's verdict.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerdictDto {
    /// Whether it worked.
    pub effective: bool,
    /// What the verdict rests on.
    pub note: String,
}

/// A person's verdict on an action in Check (admins; the site's quality managers):
/// effective closes the finding; not effective reopens and escalates the action.
#[utoipa::path(
    post,
    path = "/api/v1/actions/{id}/verify",
    tag = "improvement",
    params(("id" = i64, Path, description = "Action id")),
    request_body = VerdictDto,
    responses(
        (status = 200, description = "Judged", body = ActionDto),
        (status = 409, description = "Not in Check", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(v): Json<VerdictDto>,
) -> ApiResult<Json<ActionDto>> {
    let a = state
        .workspace
        .verify_action(&caller.actor, id, v.effective, &v.note, None)
        .await?;
    Ok(Json(action_dto(&a)?))
}

/// One action judged by a check.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifiedDto {
    /// The action.
    pub action: i64,
    /// Whether it worked.
    pub effective: bool,
    /// What the verdict rests on.
    pub basis: String,
}

/// One action escalated by a check.
#[derive(Debug, Serialize, ToSchema)]
pub struct EscalatedDto {
    /// The action.
    pub action: i64,
    /// The node it was escalated to.
    pub node: String,
    /// Why: `overdue` or `ineffective`.
    #[schema(value_type = String)]
    pub reason: yardstick_core::pdca::EscalationReason,
}

/// What a check did.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckDto {
    /// Actions judged.
    pub verified: Vec<VerifiedDto>,
    /// Actions escalated.
    pub escalated: Vec<EscalatedDto>,
    /// Findings closed.
    pub closed: Vec<i64>,
}

/// Judges the actions in Check by the data and escalates late ones (admins; quality
/// managers of the whole organisation). Also run after every frozen evaluation.
#[utoipa::path(
    post,
    path = "/api/v1/actions/check",
    tag = "improvement",
    params(TodayParams),
    responses(
        (status = 200, description = "What the check did", body = CheckDto),
        (status = 403, description = "Not an admin or a quality manager of the root", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn check(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<TodayParams>,
) -> ApiResult<Json<CheckDto>> {
    let r = state
        .workspace
        .check_actions(&caller.actor, today(p.today))
        .await?;
    Ok(Json(CheckDto {
        verified: r
            .verified
            .into_iter()
            .map(|(action, effective, basis)| VerifiedDto {
                action,
                effective,
                basis,
            })
            .collect(),
        escalated: r
            .escalated
            .into_iter()
            .map(|(action, node, reason)| EscalatedDto {
                action,
                node,
                reason,
            })
            .collect(),
        closed: r.closed,
    }))
}

/// A day.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TodayParams {
    /// The day (default: today).
    #[param(value_type = Option<String>, format = Date)]
    pub today: Option<NaiveDate>,
}

/// Which review.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewParams {
    /// Period reviewed (a frozen evaluation of it must exist).
    pub period: String,
    /// Node or site (default: the root).
    pub scope: Option<String>,
}

/// The management review (管理评审) of a period: scores and trends, findings by root
/// cause (Pareto), the actions' effectiveness rate and overdue list, red lines, and the
/// decisions recorded against it.
#[utoipa::path(
    get,
    path = "/api/v1/reviews",
    tag = "improvement",
    params(ReviewParams),
    responses(
        (status = 200, description = "The review", body = Object),
        (status = 400, description = "No frozen evaluation of the period", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn review(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ReviewParams>,
) -> ApiResult<Json<serde_json::Value>> {
    let period = super::period(&p.period)?;
    let r = state
        .workspace
        .review(&caller.actor, &period, p.scope.as_deref(), today(None))
        .await?;
    Ok(Json(json(&r)?))
}
