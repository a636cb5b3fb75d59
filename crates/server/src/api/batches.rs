//! Batches: `GET /api/v1/batches` (committed imports, for those who import) and
//! `GET /api/v1/batches/{id}/quarantine` (the quarantine CSV of a batch: line, reasons,
//! the row as sent; admins, or whoever imported the batch).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(batches))
        .routes(routes!(quarantine))
}

/// A committed batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchDto {
    /// Id (increasing in commit order).
    pub id: i64,
    /// Record kind.
    pub kind: String,
    /// File name.
    pub file_name: String,
    /// SHA-256 of the content.
    pub content_hash: String,
    /// Imported with replace.
    pub replace: bool,
    /// When committed.
    pub committed_at: String,
    /// Rows read.
    pub rows_read: i64,
    /// Rows stored.
    pub rows_stored: i64,
    /// Rows quarantined.
    pub rows_quarantined: i64,
    /// Rows of earlier batches superseded.
    pub rows_superseded: i64,
    /// Whether it has a quarantine file.
    pub has_quarantine: bool,
}

/// Committed batches, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/batches",
    tag = "records",
    responses(
        (status = 200, description = "Batches", body = Vec<BatchDto>),
        (status = 403, description = "The caller imports nothing", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn batches(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<BatchDto>>> {
    let list = state.workspace.batches_for(&caller.actor).await?;
    Ok(Json(
        list.into_iter()
            .map(|b| BatchDto {
                id: b.id,
                kind: b.kind,
                file_name: b.file_name,
                content_hash: b.content_hash,
                replace: b.replace,
                committed_at: b.committed_at,
                rows_read: b.rows_read,
                rows_stored: b.rows_stored,
                rows_quarantined: b.rows_quarantined,
                rows_superseded: b.rows_superseded,
                has_quarantine: b.quarantine_path.is_some(),
            })
            .collect(),
    ))
}

/// The quarantine CSV of a batch.
#[utoipa::path(
    get,
    path = "/api/v1/batches/{id}/quarantine",
    tag = "records",
    params(("id" = i64, Path, description = "Batch id")),
    responses(
        (status = 200, description = "The quarantined rows", body = String, content_type = "text/csv"),
        (status = 404, description = "No such batch, no quarantined rows, or not the caller's to read", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn quarantine(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let bytes = state.workspace.quarantine_of(&caller.actor, id).await?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response())
}
