//! Evaluations: `GET /api/v1/evaluations?period=P&scope=S` (the frozen evaluation of the
//! period when there is one, else a provisional one computed now; ranks always over the
//! whole peer group, then cut to the caller's scope), `POST /api/v1/evaluations`
//! (freeze: admins anywhere, quality managers within their grants), and
//! `GET /api/v1/evaluations/{id}`.
//!
//! The body is the JSON of `yardstick evaluate --format json` with two more members:
//! `status` (`frozen` or `provisional`) and `evaluation_id`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes, HttpBody};
use http_body::{Frame, SizeHint};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yardstick_app::Cancel;
use yardstick_app::evaluate::{Engine, EvaluateRequest, GuidelineChoice};
use yardstick_app::published::{EvaluationJson, EvaluationView, Status};
use yardstick_core::evaluate::{Evaluation, NodeResult, SiteResult};
use yardstick_core::period::Period;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_evaluation, freeze))
        .routes(routes!(by_id))
}

/// Which evaluation.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvaluationQuery {
    /// Period: 2026-10, 2026-Q3, 2026-H1, 2026 or 2026-10-01..2026-10-15.
    #[param(example = "2026-10")]
    pub period: String,
    /// Node or site id (or name); the organisation's root when absent.
    pub scope: Option<String>,
}

/// What to freeze.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"period": "2026-10", "scope": "zj"}))]
#[serde(deny_unknown_fields)]
pub struct FreezeRequest {
    /// Period.
    pub period: String,
    /// Node or site id (or name); the organisation's root when absent.
    pub scope: Option<String>,
}

/// An evaluation: the JSON of `yardstick evaluate --format json`, with its status.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationDto {
    /// `frozen` (stored, reproducible) or `provisional` (computed now, not stored).
    pub status: String,
    /// Id of the frozen evaluation.
    pub evaluation_id: Option<i64>,
    /// Guideline id.
    pub guideline_id: String,
    /// Guideline version.
    pub guideline_version: String,
    /// Guideline fingerprint (SHA-256).
    pub guideline_fingerprint: String,
    /// Input fingerprint (SHA-256).
    pub input_fingerprint: String,
    /// The scope evaluated.
    pub scope: String,
    /// The period: label, first and last day.
    #[schema(value_type = Object)]
    pub period: Period,
    /// Site results in the caller's scope: lines, scores, level, rank among all peers.
    #[schema(value_type = Vec<Object>)]
    pub sites: Vec<SiteResult>,
    /// Node roll-ups in the caller's scope.
    #[schema(value_type = Vec<Object>)]
    pub nodes: Vec<NodeResult>,
}

/// The answer, the evaluation moved in: serialised once, straight to the response
/// (never through an intermediate JSON tree, which cost more than all the rest).
fn dto(status: Status, id: Option<i64>, ev: Evaluation) -> EvaluationDto {
    let Evaluation {
        guideline_id,
        guideline_version,
        guideline_fingerprint,
        input_fingerprint,
        scope,
        period,
        sites,
        nodes,
    } = ev;
    EvaluationDto {
        status: match status {
            Status::Frozen => "frozen".into(),
            Status::Provisional => "provisional".into(),
        },
        evaluation_id: id,
        guideline_id,
        guideline_version,
        guideline_fingerprint,
        input_fingerprint,
        scope,
        period,
        sites,
        nodes,
    }
}

/// A part of an evaluation as JSON. Serialising these types cannot fail; a failure is
/// reported, never replaced by a default.
pub(crate) fn to_json<T: Serialize>(v: &T) -> ApiResult<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| {
        ApiError::App(yardstick_app::Error::internal("error.internal.json").detail(e.to_string()))
    })
}

fn view_dto(v: EvaluationView) -> EvaluationDto {
    dto(v.status, v.id, v.evaluation)
}

/// The evaluation of a period in the caller's scope.
#[utoipa::path(
    get,
    path = "/api/v1/evaluations",
    tag = "evaluations",
    params(EvaluationQuery),
    responses(
        (status = 200, description = "Frozen, or provisional when none is frozen for the period", body = EvaluationDto),
        (status = 400, description = "Invalid period or unknown scope", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 404, description = "The scope is outside the caller's", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn get_evaluation(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<EvaluationQuery>,
) -> ApiResult<Response> {
    let period = super::period(&q.period)?;
    let started = Instant::now();
    let v = state
        .workspace
        .evaluation_of_period_json(&caller.actor, &period, q.scope.as_deref(), &Cancel::new())
        .await?;
    if v.status == Status::Provisional {
        state.metrics.evaluation(started.elapsed());
    }
    body(&v)
}

/// The body of an [`EvaluationDto`] from the evaluation's JSON, kept serialised by the
/// application layer: `status` and `evaluation_id` first, then the evaluation's members
/// in their order — the same bytes serde would write for the DTO, without serialising
/// the evaluation again for every reader.
fn body(v: &EvaluationJson) -> ApiResult<Response> {
    let members = v.json.strip_prefix('{').ok_or_else(|| {
        ApiError::App(
            yardstick_app::Error::internal("error.internal.json")
                .detail("an evaluation serialised to something else than an object"),
        )
    })?;
    let status = match v.status {
        Status::Frozen => "frozen",
        Status::Provisional => "provisional",
    };
    let id = v.id.map_or_else(|| "null".to_string(), |id| id.to_string());
    let head = format!("{{\"status\":\"{status}\",\"evaluation_id\":{id},");
    // The evaluation's bytes are sent from where they are kept, not copied: a city's
    // evaluation is about a megabyte.
    let rest = Bytes::from_owner(Kept(v.json.clone())).slice(v.json.len() - members.len()..);
    let body = Chunks(VecDeque::from([Bytes::from(head), rest]));
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Body::new(body),
    )
        .into_response())
}

/// Kept JSON shared with the application layer's memory, as the owner of a body chunk.
struct Kept(Arc<String>);

impl AsRef<[u8]> for Kept {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// A body of a few chunks sent as they are, with its exact length.
struct Chunks(VecDeque<Bytes>);

impl HttpBody for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.iter().map(|b| b.len() as u64).sum())
    }
}

/// Computes and freezes an evaluation (quality managers within their grants, admins).
#[utoipa::path(
    post,
    path = "/api/v1/evaluations",
    tag = "evaluations",
    request_body = FreezeRequest,
    responses(
        (status = 201, description = "Frozen", body = EvaluationDto),
        (status = 400, description = "Invalid period or unknown scope", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not freeze this scope", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn freeze(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<FreezeRequest>,
) -> ApiResult<(StatusCode, Json<EvaluationDto>)> {
    let period = super::period(&req.period)?;
    let started = Instant::now();
    let ev = state
        .workspace
        .evaluate(
            &caller.actor,
            EvaluateRequest {
                period,
                scope: req.scope,
                guideline: GuidelineChoice::Builtin,
                engine: Engine::Columnar,
                freeze: true,
            },
            &Cancel::new(),
        )
        .await?;
    state.metrics.evaluation(started.elapsed());
    Ok((
        StatusCode::CREATED,
        Json(dto(Status::Frozen, ev.id, ev.evaluation)),
    ))
}

/// A frozen evaluation, cut to the caller's scope.
#[utoipa::path(
    get,
    path = "/api/v1/evaluations/{id}",
    tag = "evaluations",
    params(("id" = i64, Path, description = "Evaluation id")),
    responses(
        (status = 200, description = "The evaluation", body = EvaluationDto),
        (status = 404, description = "No such evaluation in the caller's scope", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn by_id(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<EvaluationDto>> {
    let v = state.workspace.evaluation_for(&caller.actor, id).await?;
    Ok(Json(view_dto(v)))
}
