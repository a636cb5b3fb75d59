//! `GET /api/v1/activity` (admins): the activity log, newest first, a page at a time.

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yardstick_app::activity::ActivityQuery;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(activity))
}

/// Which entries.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityParams {
    /// From this instant (RFC 3339, included).
    pub since: Option<String>,
    /// Up to this instant (excluded).
    pub until: Option<String>,
    /// By this login.
    pub actor: Option<String>,
    /// Actions starting with this (`login`, `user.`, `ingest`…).
    pub action: Option<String>,
    /// Entries older than this id (the next page).
    pub before: Option<i64>,
    /// At most this many, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// One entry of the activity log.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityDto {
    /// Id (increasing).
    pub id: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who (a login).
    pub actor: Option<String>,
    /// How: cli, session, token, system.
    pub actor_kind: String,
    /// From where (client address).
    pub client: Option<String>,
    /// What.
    pub action: String,
    /// On what.
    pub object: Option<String>,
    /// Details.
    pub detail: serde_json::Value,
}

fn instant(s: Option<&str>, name: &str) -> ApiResult<Option<chrono::DateTime<chrono::Utc>>> {
    s.map(|t| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|_| ApiError::BadRequest(format!("{name}: an RFC 3339 instant")))
    })
    .transpose()
}

/// The activity log (admins).
#[utoipa::path(
    get,
    path = "/api/v1/activity",
    tag = "activity",
    params(ActivityParams),
    responses(
        (status = 200, description = "Entries, newest first", body = Vec<ActivityDto>),
        (status = 403, description = "Not an admin", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn activity(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ActivityParams>,
) -> ApiResult<Json<Vec<ActivityDto>>> {
    if p.limit.is_some_and(|n| !(1..=1000).contains(&n)) {
        return Err(ApiError::BadRequest("limit: 1–1000".into()));
    }
    let q = ActivityQuery {
        since: instant(p.since.as_deref(), "since")?,
        until: instant(p.until.as_deref(), "until")?,
        actor: p.actor,
        action_prefix: p.action,
        before_id: p.before,
        limit: p.limit,
    };
    let rows = state.workspace.activity(&caller.actor, &q).await?;
    Ok(Json(
        rows.into_iter()
            .map(|e| ActivityDto {
                id: e.id,
                at: e.at,
                actor: e.actor,
                actor_kind: e.actor_kind,
                client: e.client,
                action: e.action,
                object: e.object,
                detail: e.detail,
            })
            .collect(),
    ))
}
