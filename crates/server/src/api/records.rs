//! Bulk ingest: `POST /api/v1/records/{kind}` with a CSV (`text/csv`) or JSON Lines
//! (`application/x-ndjson`) body. The body is streamed to a file in the data directory's
//! scratch folder (never held in memory; its own size limit and timeout, `layers.rs`),
//! then imported exactly as `yardstick ingest` imports a file: the same validation,
//! quarantine and accounting. `201` with the report of a new batch, `200` with the
//! earlier batch's report when the content is stored already, `422` when `strict=true`
//! rejected it. Rows of sites outside the caller's scope are quarantined as unknown.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yardstick_app::ingest::{IngestOutcome, IngestRequest};
use yardstick_app::{Cancel, Error, ImportOptions, ImportReport, ImportStatus, Quiet};
use yardstick_core::records::RecordKind;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ingest))
}

/// Import options.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IngestParams {
    /// Replace what earlier batches hold for the same kind, site and day.
    pub replace: Option<bool>,
    /// Store nothing if any row is invalid.
    pub strict: Option<bool>,
    /// The file name shown in reports (default `upload.csv` / `upload.jsonl`).
    pub name: Option<String>,
}

/// The import report: `rows_stored + rows_quarantined + rows_not_stored = rows_read`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportDto {
    /// Record kind.
    pub kind: String,
    /// The name given to the upload.
    pub file: String,
    /// `stored`, `partly` (some rows quarantined), `nothing_stored` or
    /// `already_imported`.
    pub outcome: String,
    /// The batch (the earlier one when already imported).
    pub batch: Option<i64>,
    /// Rows read.
    pub rows_read: u64,
    /// Rows stored.
    pub rows_stored: u64,
    /// Rows quarantined, with their reasons in the quarantine file.
    pub rows_quarantined: u64,
    /// Valid rows not stored (`strict=true` rejected the file).
    pub rows_not_stored: u64,
    /// Rows of earlier batches this one took over (`replace=true`).
    pub rows_superseded: u64,
    /// Rows whose id repeated.
    pub duplicates: u64,
    /// Quarantined rows per reason.
    pub reasons: std::collections::BTreeMap<String, u64>,
    /// Columns that are not fields of the kind.
    pub ignored_columns: Vec<String>,
}

fn report_dto(r: &ImportReport, outcome: IngestOutcome) -> ImportReportDto {
    ImportReportDto {
        kind: r.kind.clone(),
        file: r.file.clone(),
        outcome: outcome_name(outcome).to_string(),
        batch: r.batch,
        rows_read: r.rows_read,
        rows_stored: r.rows_stored,
        rows_quarantined: r.rows_quarantined,
        rows_not_stored: r.rows_not_stored,
        rows_superseded: r.rows_superseded,
        duplicates: r.duplicates,
        reasons: r.reasons.clone(),
        ignored_columns: r.ignored_columns.clone(),
    }
}

fn outcome_name(o: IngestOutcome) -> &'static str {
    match o {
        IngestOutcome::Stored => "stored",
        IngestOutcome::Partly => "partly",
        IngestOutcome::NothingStored => "nothing_stored",
        IngestOutcome::AlreadyImported => "already_imported",
    }
}

/// The file extension that tells the importer a body's format.
fn extension(headers: &HeaderMap) -> ApiResult<&'static str> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match ct.as_str() {
        "text/csv" => Ok("csv"),
        "application/x-ndjson" | "application/jsonl" | "application/json-lines" => Ok("jsonl"),
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

/// Imports a file of records of one kind.
#[utoipa::path(
    post,
    path = "/api/v1/records/{kind}",
    tag = "records",
    params(
        ("kind" = String, Path, description = "Record kind: hall_ticket, contact, work_order, complaint, survey, subscriber_base, agent_interval", example = "hall_ticket"),
        IngestParams
    ),
    request_body(description = "CSV or JSON Lines with the canonical fields of the kind", content((String = "text/csv"), (String = "application/x-ndjson"))),
    responses(
        (status = 201, description = "Imported as a new batch", body = ImportReportDto),
        (status = 200, description = "The same content was imported before: that batch's report", body = ImportReportDto),
        (status = 400, description = "Unknown kind, or a file that cannot be read as the kind (missing columns, broken shape)", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 403, description = "The caller imports nothing", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 413, description = "Body over the import limit", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 415, description = "Not CSV or JSON Lines", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "strict=true and some rows were invalid: nothing stored; the problem document's `report` member holds the import report", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn ingest(
    State(state): State<AppState>,
    caller: Caller,
    Path(kind): Path<String>,
    Query(p): Query<IngestParams>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<ImportReportDto>)> {
    caller.actor.require_write_records()?;
    let kind = RecordKind::parse(&kind).ok_or_else(|| {
        Error::input("error.kind.unknown")
            .arg("kind", yardstick_app::error::quoted(&kind, 40))
            .arg("kinds", RecordKind::ALL.map(RecordKind::as_str).join(", "))
    })?;
    let ext = extension(&headers)?;
    let staged = state.workspace.stage_upload(ext)?;
    receive(body, staged.path()).await?;
    let name = p
        .name
        .map(|n| yardstick_app::error::quoted(n.trim(), 200))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("upload.{ext}"));
    let req = IngestRequest {
        kind,
        path: staged.path().to_path_buf(),
        name: Some(name),
        options: ImportOptions {
            strict: p.strict.unwrap_or(false),
            replace: p.replace.unwrap_or(false),
        },
    };
    let report = state
        .workspace
        .ingest(&caller.actor, req, Arc::new(Quiet), &Cancel::new())
        .await?;
    drop(staged);
    let outcome = IngestOutcome::of(&report);
    // Content stored already changed no row: the import counts, its rows do not again.
    let rows = if outcome == IngestOutcome::AlreadyImported {
        Vec::new()
    } else {
        vec![
            ("stored", report.rows_stored),
            ("quarantined", report.rows_quarantined),
            ("not_stored", report.rows_not_stored),
        ]
    };
    state
        .metrics
        .import(kind.as_str(), outcome_name(outcome), &rows);
    let dto = report_dto(&report, outcome);
    let status = match report.status {
        ImportStatus::AlreadyImported(_) => StatusCode::OK,
        ImportStatus::Committed => StatusCode::CREATED,
        ImportStatus::RejectedStrict | ImportStatus::AllQuarantined | ImportStatus::Prepared => {
            let key = if report.status == ImportStatus::AllQuarantined {
                "server.problem.all_quarantined"
            } else {
                "server.problem.strict"
            };
            return Err(ApiError::Unprocessable {
                key,
                extra: serde_json::json!({ "report": super::evaluations::to_json(&dto)? }),
            });
        }
    };
    Ok((status, Json(dto)))
}

/// Writes a request body to `path` as it arrives.
async fn receive(body: Body, path: &std::path::Path) -> ApiResult<()> {
    let io = |e: std::io::Error| {
        ApiError::App(
            Error::internal("error.io.write")
                .arg("path", "upload")
                .detail(e.to_string()),
        )
    };
    let mut file = tokio::fs::File::create(path).await.map_err(io)?;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            if is_too_large(&e) {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest("the request body broke off".into())
            }
        })?;
        if let Ok(data) = frame.into_data() {
            file.write_all(&data).await.map_err(io)?;
        }
    }
    file.flush().await.map_err(io)?;
    file.sync_all().await.map_err(io)?;
    Ok(())
}

/// Whether a body error is the size limit of `layers.rs`.
fn is_too_large(e: &axum::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        src = s.source();
    }
    false
}
