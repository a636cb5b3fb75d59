//! Audits: a site's checklist, audits created, answered, submitted, signed, acknowledged
//! or disputed by the site, corrected by a new version; evidence files; audit plans.
//! What the tablet form calls. An evaluator sees and edits only the audits assigned to
//! it; the site's managers respond; quality managers plan (`yardstick_app::scope`).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yardstick_app::Error;
use yardstick_app::audit::evidence::MAX_EVIDENCE_BYTES;
use yardstick_app::audit::plans::{NewPlanRequest, PlanView};
use yardstick_app::audit::{
    AnswerInput, AuditHeader, AuditQuery, AuditView, Checklist, NewAuditRequest,
};
use yardstick_app::evaluate::GuidelineChoice;
use yardstick_core::audit::{AuditKind, AuditState};
use yardstick_core::evaluate::Answer;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show))
        .routes(routes!(answer))
        .routes(routes!(submit))
        .routes(routes!(withdraw))
        .routes(routes!(sign))
        .routes(routes!(acknowledge))
        .routes(routes!(dispute))
        .routes(routes!(amend))
        .routes(routes!(attach))
        .routes(routes!(evidence_file))
        .routes(routes!(checklist))
        .routes(routes!(plans, plan))
}

fn kind(s: &str) -> ApiResult<AuditKind> {
    AuditKind::parse(s).ok_or_else(|| {
        ApiError::BadRequest(
            "kind: on_site, mystery_shopper, self_assessment or third_party".into(),
        )
    })
}

/// An audit as lists show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditDto {
    /// Id.
    pub id: i64,
    /// Site.
    pub site: String,
    /// Kind: on_site, mystery_shopper, self_assessment, third_party.
    pub kind: String,
    /// Day of the audit.
    pub date: String,
    /// Evaluator's login.
    pub evaluator: String,
    /// draft, submitted, signed.
    pub state: String,
    /// The site's response once signed: acknowledged, disputed.
    pub response: Option<String>,
    /// The reason of a dispute.
    pub response_reason: Option<String>,
    /// The audit this one corrects.
    pub amends: Option<i64>,
    /// Why it corrects it.
    pub amend_reason: Option<String>,
    /// The plan it carries out.
    pub plan: Option<i64>,
    /// Items answered.
    pub answered: usize,
    /// When it was signed (RFC 3339).
    pub signed_at: Option<String>,
}

fn audit_dto(h: &AuditHeader) -> AuditDto {
    AuditDto {
        id: h.id,
        site: h.site.clone(),
        kind: h.kind.as_str().to_string(),
        date: h.date.to_string(),
        evaluator: h.evaluator.clone(),
        state: h.state.as_str().to_string(),
        response: h.response.map(|r| r.as_str().to_string()),
        response_reason: h.response_reason.clone(),
        amends: h.amends.as_ref().map(|(id, _)| *id),
        amend_reason: h.amends.as_ref().map(|(_, r)| r.clone()),
        plan: h.plan,
        answered: h.answered,
        signed_at: h.signed_at.clone(),
    }
}

/// One answer: `pass`, `fail`, `scale` (value 0–4), `points` (value) or `na`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnswerDto {
    /// Checklist item id.
    pub item: String,
    /// pass, fail, scale, points, na.
    pub answer: String,
    /// The grade (scale) or points.
    pub value: Option<f64>,
    /// Comment.
    #[serde(default)]
    pub comment: String,
}

fn answer_of(a: &AnswerDto) -> ApiResult<AnswerInput> {
    let bad = || {
        ApiError::BadRequest(format!(
            "item {}: answer pass, fail, na, scale with a value 0–4, or points with a value",
            a.item
        ))
    };
    let answer = match (a.answer.as_str(), a.value) {
        ("pass", _) => Answer::Pass,
        ("fail", _) => Answer::Fail,
        ("na", _) => Answer::NotApplicable,
        ("scale", Some(v)) if (0.0..=4.0).contains(&v) && v.fract() == 0.0 =>
        {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a whole number 0–4, checked above"
            )]
            Answer::Scale(v as u8)
        }
        ("points", Some(v)) if v.is_finite() => Answer::Points(v),
        _ => return Err(bad()),
    };
    Ok(AnswerInput {
        item: a.item.clone(),
        answer,
        comment: a.comment.clone(),
    })
}

fn answer_dto(item: &str, a: Answer, comment: &str) -> AnswerDto {
    let (answer, value) = match a {
        Answer::Pass => ("pass", None),
        Answer::Fail => ("fail", None),
        Answer::NotApplicable => ("na", None),
        Answer::Scale(v) => ("scale", Some(f64::from(v))),
        Answer::Points(p) => ("points", Some(p)),
    };
    AnswerDto {
        item: item.to_string(),
        answer: answer.to_string(),
        value,
        comment: comment.to_string(),
    }
}

/// An evidence file's record.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceDto {
    /// Id.
    pub id: i64,
    /// The item it shows (none: the audit as a whole).
    pub item: Option<String>,
    /// SHA-256 of its content.
    pub sha256: String,
    /// Media type recognised from its content.
    pub media_type: String,
    /// Size in bytes.
    pub bytes: i64,
    /// The name it was sent with.
    pub file_name: String,
}

/// An audit with its answers, what is left and its evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditViewDto {
    /// The audit.
    pub audit: AuditDto,
    /// Items of the site's checklist.
    pub items: usize,
    /// Answers in checklist order.
    pub answers: Vec<AnswerDto>,
    /// Items not answered yet.
    pub missing: Vec<String>,
    /// Evidence files.
    pub evidence: Vec<EvidenceDto>,
}

fn view_dto(v: &AuditView) -> AuditViewDto {
    AuditViewDto {
        audit: audit_dto(&v.header),
        items: v.items,
        answers: v
            .answers
            .iter()
            .map(|a| answer_dto(&a.item, a.answer, &a.comment))
            .collect(),
        missing: v.missing.clone(),
        evidence: v
            .evidence
            .iter()
            .map(|e| EvidenceDto {
                id: e.id,
                item: e.item_id.clone(),
                sha256: e.sha256.clone(),
                media_type: e.media_type.clone(),
                bytes: e.bytes,
                file_name: e.file_name.clone(),
            })
            .collect(),
    }
}

/// Which audits.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Of this site.
    pub site: Option<String>,
    /// Of this evaluator.
    pub evaluator: Option<String>,
    /// In this state: draft, submitted, signed.
    pub state: Option<String>,
}

/// Audits the caller may read (an evaluator's own first), newest first.
#[utoipa::path(
    get,
    path = "/api/v1/audits",
    tag = "audits",
    params(AuditParams),
    responses((status = 200, description = "Audits", body = Vec<AuditDto>))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<AuditParams>,
) -> ApiResult<Json<Vec<AuditDto>>> {
    let st = match p.state.as_deref() {
        None => None,
        Some(s) => Some(
            AuditState::parse(s)
                .ok_or_else(|| ApiError::BadRequest("state: draft, submitted or signed".into()))?,
        ),
    };
    let q = AuditQuery {
        site: p.site,
        evaluator: p.evaluator,
        state: st,
    };
    let list = state.workspace.audits(&caller.actor, &q).await?;
    Ok(Json(list.iter().map(audit_dto).collect()))
}

/// A new audit.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewAuditDto {
    /// Site.
    pub site: String,
    /// on_site, mystery_shopper, self_assessment, third_party.
    pub kind: String,
    /// Day of the audit (YYYY-MM-DD).
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Evaluator's login (the caller's own for an evaluator).
    pub evaluator: String,
    /// The plan it carries out.
    pub plan: Option<i64>,
}

/// Creates a draft audit under the built-in guideline.
#[utoipa::path(
    post,
    path = "/api/v1/audits",
    tag = "audits",
    request_body = NewAuditDto,
    responses(
        (status = 201, description = "Created (a draft)", body = AuditDto),
        (status = 403, description = "The caller may not create this audit", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<NewAuditDto>,
) -> ApiResult<(StatusCode, Json<AuditDto>)> {
    let h = state
        .workspace
        .create_audit(
            &caller.actor,
            &NewAuditRequest {
                site: req.site,
                kind: kind(&req.kind)?,
                date: req.date,
                evaluator: req.evaluator,
                guideline: GuidelineChoice::Builtin,
                plan: req.plan,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(audit_dto(&h))))
}

/// One audit with its answers and evidence.
#[utoipa::path(
    get,
    path = "/api/v1/audits/{id}",
    tag = "audits",
    params(("id" = i64, Path, description = "Audit id")),
    responses(
        (status = 200, description = "The audit", body = AuditViewDto),
        (status = 404, description = "No such audit the caller may read", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<AuditViewDto>> {
    let v = state.workspace.audit(&caller.actor, id).await?;
    Ok(Json(view_dto(&v)))
}

/// Records or replaces answers of a draft (the tablet's autosave): every bad answer is
/// listed and nothing is stored then; sending the same answers again changes nothing.
#[utoipa::path(
    put,
    path = "/api/v1/audits/{id}/answers",
    tag = "audits",
    params(("id" = i64, Path, description = "Audit id")),
    request_body = Vec<AnswerDto>,
    responses(
        (status = 200, description = "The audit", body = AuditViewDto),
        (status = 400, description = "Invalid answers (each named)", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 403, description = "Not the audit's evaluator", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "Not a draft", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn answer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(answers): Json<Vec<AnswerDto>>,
) -> ApiResult<Json<AuditViewDto>> {
    let answers = answers
        .iter()
        .map(answer_of)
        .collect::<ApiResult<Vec<_>>>()?;
    let v = state
        .workspace
        .answer_audit(&caller.actor, id, &answers)
        .await?;
    Ok(Json(view_dto(&v)))
}

/// Submits a draft for signature.
#[utoipa::path(
    post,
    path = "/api/v1/audits/{id}/submit",
    tag = "audits",
    params(("id" = i64, Path, description = "Audit id")),
    responses(
        (status = 200, description = "Submitted", body = AuditDto),
        (status = 409, description = "Not a draft, or no answers", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<AuditDto>> {
    let h = state.workspace.submit_audit(&caller.actor, id).await?;
    Ok(Json(audit_dto(&h)))
}

/// Takes a submitted audit back to draft.
#[utoipa::path(
    post,
    path = "/api/v1/audits/{id}/withdraw",
    tag = "audits",
    params(("id" = i64, Path, description = "Audit id")),
    responses(
        (status = 200, description = "A draft again", body = AuditDto),
        (status = 409, description = "Not submitted", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<AuditDto>> {
    let h = state.workspace.withdraw_audit(&caller.actor, id).await?;
    Ok(Json(audit_dto(&h)))
}

/// Signs a submitted audit: from now on it never changes, and its failed items are
/// raised as findings.
#[utoipa::path(
    post,
    path = "/api/v1/audits/{id}/sign",
    tag = "audits",
    params(("id" = i64, Path, description = "Audit id")),
    responses(
        (status = 200, description = "Signed", body = AuditDto),
        (status = 409, description = "Not submitted", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn sign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<AuditDto>> {
    let h = state.workspace.sign_audit(&caller.actor, id).await?;
    Ok(Json(audit_dto(&h)))
}

/// The site accepts a signed audit (its managers).
#[utoipa::path(
    post,
    path = "/api/v1/audits/{id}/acknowledge",
    tag = "audits",
    params(("id" = i64, Path, description = "Audit id")),
    responses(
        (status = 200, description = "Acknowledged", body = AuditDto),
        (status = 409, description = "Not signed, or already answered", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<AuditDto>> {
    let h = state.workspace.acknowledge_audit(&caller.actor, id).await?;
    Ok(Json(audit_dto(&h)))
}

/// A reason.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReasonDto {
    /// Why.
    pub reason: String,
}

/// The site disputes a signed audit, saying why (its managers).
#[utoipa::path(
    post,
    path = "/api/v1/audits/{id}/dispute",
    tag = "audits",
    params(("id" = i64, Path, description = "Audit id")),
    request_body = ReasonDto,
    responses(
        (status = 200, description = "Disputed", body = AuditDto),
        (status = 409, description = "Not signed, or already answered", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn dispute(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(r): Json<ReasonDto>,
) -> ApiResult<Json<AuditDto>> {
    let h = state
        .workspace
        .dispute_audit(&caller.actor, id, &r.reason)
        .await?;
    Ok(Json(audit_dto(&h)))
}

/// Corrects a signed audit: a new draft with its answers that names it and why.
#[utoipa::path(
    post,
    path = "/api/v1/audits/{id}/amend",
    tag = "audits",
    params(("id" = i64, Path, description = "Audit id")),
    request_body = ReasonDto,
    responses(
        (status = 201, description = "The correction (a draft)", body = AuditDto),
        (status = 409, description = "Not signed", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn amend(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(r): Json<ReasonDto>,
) -> ApiResult<(StatusCode, Json<AuditDto>)> {
    let h = state
        .workspace
        .amend_audit(&caller.actor, id, &r.reason)
        .await?;
    Ok((StatusCode::CREATED, Json(audit_dto(&h))))
}

/// Which evidence file.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvidenceParams {
    /// The file's name (labels it).
    pub name: String,
    /// The item it shows (none: the audit as a whole).
    pub item: Option<String>,
}

/// Attaches an evidence file (the body: a JPEG, PNG, WebP or HEIC photo, a PDF, or an
/// MP3, M4A, WAV or AMR recording, recognised from its content; at most 20 MiB).
#[utoipa::path(
    post,
    path = "/api/v1/audits/{id}/evidence",
    tag = "audits",
    params(("id" = i64, Path, description = "Audit id"), EvidenceParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Stored", body = EvidenceDto),
        (status = 400, description = "Not a photo, PDF or recording; too large; an unknown item", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "The audit is signed", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn attach(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(p): Query<EvidenceParams>,
    body: Body,
) -> ApiResult<(StatusCode, Json<EvidenceDto>)> {
    let name = yardstick_app::error::quoted(p.name.trim(), 200);
    let bytes = axum::body::to_bytes(body, MAX_EVIDENCE_BYTES + 1)
        .await
        .map_err(|_| {
            Error::input("error.evidence.too_large")
                .arg("name", &name)
                .arg("bytes", format!("> {MAX_EVIDENCE_BYTES}"))
                .arg("max", MAX_EVIDENCE_BYTES)
        })?;
    let e = state
        .workspace
        .attach_evidence(&caller.actor, id, p.item.as_deref(), &name, &bytes)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(EvidenceDto {
            id: e.id,
            item: e.item_id,
            sha256: e.sha256,
            media_type: e.media_type,
            bytes: e.bytes,
            file_name: e.file_name,
        }),
    ))
}

/// An evidence file's content, for a reader of its audit.
#[utoipa::path(
    get,
    path = "/api/v1/audits/{id}/evidence/{evidence}",
    tag = "audits",
    params(
        ("id" = i64, Path, description = "Audit id"),
        ("evidence" = i64, Path, description = "Evidence id")
    ),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, description = "No such file the caller may read", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn evidence_file(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, evidence)): Path<(i64, i64)>,
) -> ApiResult<Response> {
    let (row, bytes) = state
        .workspace
        .evidence_file(&caller.actor, id, evidence)
        .await?;
    let mut res = bytes.into_response();
    if let Ok(v) = HeaderValue::from_str(&row.media_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    Ok(res)
}

/// One line of a checklist.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistLineDto {
    /// Clause id.
    pub clause: String,
    /// Clause title (Chinese).
    pub clause_zh: String,
    /// Clause title (English).
    pub clause_en: String,
    /// Item id.
    pub item: String,
    /// Item text (Chinese).
    pub text_zh: String,
    /// Item text (English).
    pub text_en: String,
    /// pass_fail, scale_0_4, points.
    pub method: String,
    /// Maximum points (points items).
    pub max_points: Option<f64>,
    /// The answers allowed, as written.
    pub allowed: Vec<String>,
    /// Whether N/A is allowed.
    pub na_allowed: bool,
    /// A veto item (a legal must).
    pub veto: bool,
}

/// A site's checklist.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistDto {
    /// Site.
    pub site: String,
    /// Guideline.
    pub guideline: String,
    /// Its lines, clause by clause.
    pub lines: Vec<ChecklistLineDto>,
}

fn checklist_dto(c: &Checklist) -> ChecklistDto {
    ChecklistDto {
        site: c.site.clone(),
        guideline: c.guideline.clone(),
        lines: c
            .lines
            .iter()
            .map(|l| ChecklistLineDto {
                clause: l.clause.clone(),
                clause_zh: l.clause_title.zh.clone(),
                clause_en: l.clause_title.en.clone(),
                item: l.item.clone(),
                text_zh: l.text.zh.clone(),
                text_en: l.text.en.clone(),
                method: l.method.to_string(),
                max_points: l.max_points,
                allowed: l.allowed.clone(),
                na_allowed: l.na_allowed,
                veto: l.veto,
            })
            .collect(),
    }
}

/// The checklist of a site under the built-in guideline: the clauses and items that
/// apply to its scene.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{id}/checklist",
    tag = "audits",
    params(("id" = String, Path, description = "Site id")),
    responses(
        (status = 200, description = "The checklist", body = ChecklistDto),
        (status = 404, description = "No such site in the caller's scope", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn checklist(
    State(state): State<AppState>,
    caller: Caller,
    Path(site): Path<String>,
) -> ApiResult<Json<ChecklistDto>> {
    let c = state
        .workspace
        .checklist(&caller.actor, &site, &GuidelineChoice::Builtin)
        .await?;
    Ok(Json(checklist_dto(&c)))
}

/// An audit plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanDto {
    /// Id.
    pub id: i64,
    /// Site.
    pub site: String,
    /// Kind.
    pub kind: String,
    /// Evaluator's login.
    pub evaluator: String,
    /// First day of the window.
    pub due_from: String,
    /// Last day of the window.
    pub due_to: String,
    /// Note.
    pub note: String,
    /// open, overdue, done.
    pub status: String,
    /// Days late (overdue).
    pub days_late: Option<i64>,
    /// The audit that did it (done).
    pub audit: Option<i64>,
    /// Assigned to the caller.
    pub mine: bool,
}

fn plan_dto(p: &PlanView) -> PlanDto {
    use yardstick_app::audit::plans::PlanStatus;
    let (status, days_late, audit) = match p.status {
        PlanStatus::Open => ("open", None, None),
        PlanStatus::Overdue { days_late } => ("overdue", Some(days_late), None),
        PlanStatus::Done { audit } => ("done", None, Some(audit)),
    };
    PlanDto {
        id: p.id,
        site: p.site.clone(),
        kind: p.kind.as_str().to_string(),
        evaluator: p.evaluator.clone(),
        due_from: p.due_from.to_string(),
        due_to: p.due_to.to_string(),
        note: p.note.clone(),
        status: status.to_string(),
        days_late,
        audit,
        mine: p.mine,
    }
}

/// The day plans are judged on.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TodayParams {
    /// The day (default: today).
    #[param(value_type = Option<String>, format = Date)]
    pub today: Option<NaiveDate>,
}

/// Audit plans the caller may read, with their status (the caller's own first).
#[utoipa::path(
    get,
    path = "/api/v1/audit-plans",
    tag = "audits",
    params(TodayParams),
    responses((status = 200, description = "Plans", body = Vec<PlanDto>))
)]
pub async fn plans(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<TodayParams>,
) -> ApiResult<Json<Vec<PlanDto>>> {
    let today = p.today.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let list = state.workspace.audit_plans(&caller.actor, today).await?;
    Ok(Json(list.iter().map(plan_dto).collect()))
}

/// A new audit plan.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewPlanDto {
    /// Site.
    pub site: String,
    /// Kind.
    pub kind: String,
    /// Evaluator's login.
    pub evaluator: String,
    /// First day of the window.
    #[schema(value_type = String, format = Date)]
    pub due_from: NaiveDate,
    /// Last day of the window.
    #[schema(value_type = String, format = Date)]
    pub due_to: NaiveDate,
    /// Note.
    #[serde(default)]
    pub note: String,
}

/// Plans an audit (admins; quality managers within their grants).
#[utoipa::path(
    post,
    path = "/api/v1/audit-plans",
    tag = "audits",
    request_body = NewPlanDto,
    responses(
        (status = 201, description = "Planned", body = PlanDto),
        (status = 403, description = "The caller may not plan audits of this site", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn plan(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<NewPlanDto>,
) -> ApiResult<(StatusCode, Json<PlanDto>)> {
    let p = state
        .workspace
        .plan_audit(
            &caller.actor,
            &NewPlanRequest {
                site: req.site,
                kind: kind(&req.kind)?,
                evaluator: req.evaluator,
                due_from: req.due_from,
                due_to: req.due_to,
                note: req.note,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(plan_dto(&p))))
}
