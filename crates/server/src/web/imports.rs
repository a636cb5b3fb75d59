//! Imports: `GET /imports` (the upload form and the batch history, for those who
//! import records) and `POST /imports` (a multipart form: CSRF token, record kind and
//! file; answers the import report — rows read, stored, quarantined by reason — with a
//! link to download the quarantined rows).

use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use yardstick_app::ingest::IngestRequest;
use yardstick_app::{Cancel, Error, ImportOptions, ImportStatus, Quiet};
use yardstick_core::records::RecordKind;

use super::{Reader, WebError, text};
use crate::AppState;
use crate::error::ApiError;

#[derive(Debug, Serialize)]
struct BatchRow {
    id: i64,
    kind: String,
    file_name: String,
    committed_at: String,
    rows_read: i64,
    rows_stored: i64,
    rows_quarantined: i64,
    has_quarantine: bool,
}

async fn page(
    state: &AppState,
    reader: &Reader,
    report: Option<minijinja::Value>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let mut batches = state.workspace.batches_for(reader.actor()).await?;
    batches.sort_by_key(|b| std::cmp::Reverse(b.id));
    let rows: Vec<BatchRow> = batches
        .into_iter()
        .take(100)
        .map(|b| BatchRow {
            id: b.id,
            kind: b.kind,
            file_name: b.file_name,
            committed_at: b.committed_at,
            rows_read: b.rows_read,
            rows_stored: b.rows_stored,
            rows_quarantined: b.rows_quarantined,
            has_quarantine: b.quarantine_path.is_some(),
        })
        .collect();
    let kinds: Vec<&str> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
    reader.page(
        "imports.html",
        "imports",
        context! { batches => rows, kinds => kinds, report => report, error => error },
    )
}

/// `GET /imports`.
pub(crate) async fn list(
    State(state): State<AppState>,
    reader: Reader,
) -> Result<Response, WebError> {
    page(&state, &reader, None, None).await
}

/// `POST /imports`: the fields come in order — `csrf` first, then `kind`, then `file`;
/// the file is written to a staging file only once the token was checked.
pub(crate) async fn upload(
    State(state): State<AppState>,
    reader: Reader,
    mut form: Multipart,
) -> Result<Response, WebError> {
    reader.actor().require_write_records()?;
    let lang = reader.lang;
    let bad = |m: String| WebError::Api(ApiError::BadRequest(m));
    let mut csrf_ok = false;
    let mut kind: Option<RecordKind> = None;
    let mut staged = None;
    let mut file_name = String::new();
    while let Some(mut field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
        match field.name().unwrap_or("") {
            "csrf" => {
                let v = field.text().await.map_err(|e| bad(e.body_text()))?;
                reader.check_csrf(&v)?;
                csrf_ok = true;
            }
            "kind" => {
                let v = field.text().await.map_err(|e| bad(e.body_text()))?;
                kind = Some(RecordKind::parse(v.trim()).ok_or_else(|| {
                    Error::input("error.kind.unknown")
                        .arg("kind", yardstick_app::error::quoted(&v, 40))
                        .arg("kinds", RecordKind::ALL.map(RecordKind::as_str).join(", "))
                })?);
            }
            "file" if csrf_ok => {
                file_name = field.file_name().unwrap_or("upload.csv").to_string();
                let ext = if file_name.to_ascii_lowercase().ends_with(".jsonl")
                    || file_name.to_ascii_lowercase().ends_with(".ndjson")
                {
                    "jsonl"
                } else {
                    "csv"
                };
                let s = state.workspace.stage_upload(ext)?;
                let io = |e: std::io::Error| {
                    WebError::from(
                        Error::internal("error.io.write")
                            .arg("path", "upload")
                            .detail(e.to_string()),
                    )
                };
                let mut f = tokio::fs::File::create(s.path()).await.map_err(io)?;
                while let Some(chunk) = field.chunk().await.map_err(|e| bad(e.body_text()))? {
                    f.write_all(&chunk).await.map_err(io)?;
                }
                f.flush().await.map_err(io)?;
                staged = Some(s);
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(WebError::Api(ApiError::Csrf));
    }
    let (Some(kind), Some(staged)) = (kind, staged) else {
        let mut r = page(
            &state,
            &reader,
            None,
            Some(text(lang, "web.imports.missing")),
        )
        .await?;
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(r);
    };
    let name = yardstick_app::error::quoted(file_name.trim(), 200);
    let req = IngestRequest {
        kind,
        path: staged.path().to_path_buf(),
        name: Some(name),
        options: ImportOptions::default(),
    };
    let report = match state
        .workspace
        .ingest(reader.actor(), req, Arc::new(Quiet), &Cancel::new())
        .await
    {
        Ok(r) => r,
        Err(e) if e.kind() == yardstick_app::ErrorKind::Input => {
            let mut r = page(&state, &reader, None, Some(e.render(lang))).await?;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    };
    drop(staged);
    let outcome = match report.status {
        ImportStatus::AlreadyImported(_) => "web.imports.already",
        ImportStatus::Committed => "web.imports.committed",
        ImportStatus::AllQuarantined => "web.imports.all_quarantined",
        ImportStatus::RejectedStrict | ImportStatus::Prepared => "web.imports.not_stored",
    };
    let reasons: Vec<(String, u64)> = report
        .reasons
        .iter()
        .map(|(k, v)| (yardstick_app::reasons::reason_label(k, lang), *v))
        .collect();
    let status = if report.status == ImportStatus::AllQuarantined {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = context! {
        outcome => text(lang, outcome),
        file => report.file.clone(),
        kind => report.kind.clone(),
        batch => report.batch,
        rows_read => report.rows_read,
        rows_stored => report.rows_stored,
        rows_quarantined => report.rows_quarantined,
        duplicates => report.duplicates,
        reasons => reasons,
        ignored => report.ignored_columns.join(", "),
        quarantine => report.batch.filter(|_| report.rows_quarantined > 0),
    };
    let mut r = page(&state, &reader, Some(view), None).await?;
    *r.status_mut() = status;
    Ok(r)
}
