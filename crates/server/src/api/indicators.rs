//! One indicator at one site: `GET /api/v1/sites/{id}/indicators/{indicator}?period=P`
//! (its line, daily series and distribution — aggregated figures, for every reader of
//! the site) and `…/records?period=P&cursor=C&limit=N` (the records behind it, a page at
//! a time, as JSON or with `Accept: text/csv` as CSV; not for regulators).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yardstick_app::Cancel;
use yardstick_app::indicator::{Distribution, RecordsPage};

use super::evaluations::to_json;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(indicator))
        .routes(routes!(records))
}

/// The period asked.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// Period: 2026-10, 2026-Q3, 2026-H1, 2026 or 2026-10-01..2026-10-15.
    #[param(example = "2026-10")]
    pub period: String,
}

/// One day of the line.
#[derive(Debug, Serialize, ToSchema)]
pub struct DailyDto {
    /// Local day (YYYY-MM-DD).
    pub day: String,
    /// The indicator's value over the day.
    pub value: Option<f64>,
    /// Rows behind it.
    pub sample: u64,
}

/// The distribution of per-row values.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionDto {
    /// Rows in the population.
    pub population: u64,
    /// Rows with a value.
    pub values: u64,
    /// Mean.
    pub mean: Option<f64>,
    /// Median (exact, nearest rank).
    pub p50: Option<f64>,
    /// 80th percentile.
    pub p80: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// Smallest value (only for callers who may read records).
    pub min: Option<f64>,
    /// Largest value (likewise).
    pub max: Option<f64>,
}

impl From<&Distribution> for DistributionDto {
    fn from(d: &Distribution) -> DistributionDto {
        DistributionDto {
            population: d.population,
            values: d.values,
            mean: d.mean,
            p50: d.p50,
            p80: d.p80,
            p95: d.p95,
            min: d.min,
            max: d.max,
        }
    }
}

/// An indicator at a site.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteIndicatorDto {
    /// Site id.
    pub site: String,
    /// The indicator: id, names, record kind, measure, unit, direction.
    pub indicator: serde_json::Value,
    /// The period.
    pub period: serde_json::Value,
    /// Whether the line comes from a frozen (`frozen`) or computed (`provisional`)
    /// evaluation.
    pub status: String,
    /// The frozen evaluation's id.
    pub evaluation_id: Option<i64>,
    /// The line over all records: value, sample, target, achievement, points, rank.
    pub line: serde_json::Value,
    /// Lines of record strata (customer classes…).
    pub strata: Vec<serde_json::Value>,
    /// Day by day.
    pub daily: Vec<DailyDto>,
    /// The distribution of per-row values, for indicators that have them.
    pub distribution: Option<DistributionDto>,
}

/// The line, daily series and distribution of an indicator at a site.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{id}/indicators/{indicator}",
    tag = "indicators",
    params(
        ("id" = String, Path, description = "Site id", example = "hz-h02"),
        ("indicator" = String, Path, description = "Indicator id", example = "BH-01"),
        PeriodQuery
    ),
    responses(
        (status = 200, description = "The indicator at the site", body = SiteIndicatorDto),
        (status = 400, description = "Invalid period", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 404, description = "No such site in the caller's scope, or no such indicator", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn indicator(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, indicator)): Path<(String, String)>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Json<SiteIndicatorDto>> {
    let period = super::period(&q.period)?;
    let v = state
        .workspace
        .site_indicator(&caller.actor, &id, &indicator, &period, &Cancel::new())
        .await?;
    Ok(Json(SiteIndicatorDto {
        site: v.site.clone(),
        indicator: to_json(&v.indicator)?,
        period: to_json(&v.period)?,
        status: to_json(&v.status)?.as_str().unwrap_or("").to_string(),
        evaluation_id: v.evaluation_id,
        line: to_json(&v.line)?,
        strata: v.strata.iter().map(to_json).collect::<ApiResult<_>>()?,
        daily: v
            .daily
            .iter()
            .map(|d| DailyDto {
                day: d.day.to_string(),
                value: d.value,
                sample: d.sample,
            })
            .collect(),
        distribution: v.distribution.as_ref().map(DistributionDto::from),
    }))
}

/// Which page of records.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordsQuery {
    /// Period.
    #[param(example = "2026-10")]
    pub period: String,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Rows per page, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A page of records.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordsPageDto {
    /// Field names.
    pub fields: Vec<String>,
    /// Rows: values in field order; instants as RFC 3339 UTC text.
    pub rows: Vec<Vec<serde_json::Value>>,
    /// Rows in the whole population.
    pub population: u64,
    /// Cursor of the next page, when rows remain.
    pub next_cursor: Option<String>,
}

/// The records behind an indicator line at a site (its population), paged.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{id}/indicators/{indicator}/records",
    tag = "indicators",
    params(
        ("id" = String, Path, description = "Site id", example = "hz-h02"),
        ("indicator" = String, Path, description = "Indicator id", example = "BH-01"),
        RecordsQuery
    ),
    responses(
        (status = 200, description = "A page of records (JSON; or CSV with Accept: text/csv, the next cursor in X-Next-Cursor)", content((RecordsPageDto = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Invalid period, cursor or limit", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 404, description = "No such site whose records the caller may read", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn records(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, indicator)): Path<(String, String)>,
    Query(q): Query<RecordsQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let period = super::period(&q.period)?;
    let limit = match q.limit {
        None => 100,
        Some(n @ 1..=1000) => n as usize,
        Some(n) => return Err(ApiError::BadRequest(format!("limit {n}: 1–1000"))),
    };
    let page = state
        .workspace
        .indicator_records(
            &caller.actor,
            &id,
            &indicator,
            &period,
            q.cursor.as_deref(),
            limit,
        )
        .await?;
    let csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"));
    if csv {
        return csv_page(&page);
    }
    Ok(Json(RecordsPageDto {
        fields: page.fields,
        rows: page.rows,
        population: page.population,
        next_cursor: page.next_cursor,
    })
    .into_response())
}

fn csv_page(page: &RecordsPage) -> ApiResult<Response> {
    let internal = |e: &dyn std::fmt::Display| {
        ApiError::App(yardstick_app::Error::internal("error.internal.csv").detail(e.to_string()))
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&page.fields).map_err(|e| internal(&e))?;
    for row in &page.rows {
        w.write_record(row.iter().map(|v| match v {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }))
        .map_err(|e| internal(&e))?;
    }
    let bytes = w.into_inner().map_err(|e| internal(&e))?;
    let mut res = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response();
    if let Some(c) = &page.next_cursor
        && let Ok(v) = HeaderValue::from_str(c)
    {
        res.headers_mut().insert("x-next-cursor", v);
    }
    Ok(res)
}
