//! `GET /api/v1/guideline`: the guideline version in force (what evaluations are
//! computed under): dimensions, clauses, indicators, targets, scoring.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::evaluations::to_json;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(guideline))
}

/// The guideline in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct GuidelineDto {
    /// Fingerprint (SHA-256 of its canonical form).
    pub fingerprint: String,
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
    /// The whole guideline.
    pub guideline: serde_json::Value,
}

/// The guideline evaluations are computed under.
#[utoipa::path(
    get,
    path = "/api/v1/guideline",
    tag = "guideline",
    responses(
        (status = 200, description = "The guideline in force", body = GuidelineDto),
        (status = 401, description = "No valid credentials", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn guideline(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<GuidelineDto>> {
    let g = state.workspace.guideline_in_force(&caller.actor).await?;
    Ok(Json(GuidelineDto {
        fingerprint: g.fingerprint.clone(),
        id: g.guideline.id.clone(),
        version: g.guideline.version.clone(),
        guideline: to_json(&g.guideline)?,
    }))
}
