//! Signing in and out, and who the caller is: `POST /api/v1/session` (login: a new
//! session id every time, as a cookie; throttled per login and per client address),
//! `DELETE /api/v1/session` (logout: the session is revoked server-side),
//! `GET /api/v1/me`.

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yardstick_app::access::{Grant, Principal, Via};

use crate::AppState;
use crate::auth::{Caller, Client, SESSION_COOKIE, cookie, over_tls, session_cookie};
use crate::error::{ApiError, ApiResult};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login, logout))
        .routes(routes!(me))
}

/// Login and password.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"login": "li.wei", "password": "correct horse battery"}))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login (case does not matter).
    pub login: String,
    /// Password.
    pub password: String,
}

/// A role on a node or site.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantDto {
    /// Role: admin, quality_manager, site_manager, evaluator, viewer, regulator.
    pub role: String,
    /// Node or site id.
    pub scope: String,
}

impl From<&Grant> for GrantDto {
    fn from(g: &Grant) -> GrantDto {
        GrantDto {
            role: g.role.as_str().to_string(),
            scope: g.scope.clone(),
        }
    }
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    /// Login.
    pub login: String,
    /// Display name.
    pub display_name: String,
    /// Preferred language: zh or en.
    pub lang: String,
    /// Grants.
    pub grants: Vec<GrantDto>,
    /// How the caller signed in: session or token.
    pub via: String,
    /// The token state-changing requests of this session carry in `X-CSRF-Token`
    /// (sessions only).
    pub csrf_token: Option<String>,
}

fn me_dto(p: &Principal, csrf: Option<String>) -> MeDto {
    MeDto {
        login: p.login.clone(),
        display_name: p.display_name.clone(),
        lang: match p.lang {
            yardstick_core::vocab::Lang::Zh => "zh".into(),
            yardstick_core::vocab::Lang::En => "en".into(),
        },
        grants: p.grants.iter().map(GrantDto::from).collect(),
        via: match p.via {
            Via::Session => "session".into(),
            Via::Token => "token".into(),
        },
        csrf_token: csrf,
    }
}

/// Signs in: a new session (cookie `ys_session`, HttpOnly, SameSite=Strict) and its
/// CSRF token.
#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "session",
    security(()),
    request_body = LoginRequest,
    responses(
        (status = 201, description = "Signed in; the session cookie is set", body = MeDto),
        (status = 400, description = "Wrong login or password (the same answer for every cause)", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed logins; see Retry-After", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Response> {
    let key = req.login.trim().to_lowercase();
    let now = Instant::now();
    if let Some(s) = state.throttle.check(&key, client.as_deref(), now) {
        return Err(ApiError::Throttled { retry_after_s: s });
    }
    let ws = &state.workspace;
    let p = match ws
        .authenticate(&key, &req.password, client.as_deref())
        .await
    {
        Ok(p) => p,
        Err(e) => {
            state.throttle.failed(&key, client.as_deref(), now);
            return Err(e.into());
        }
    };
    state.throttle.succeeded(&key);
    let opened = ws.open_session(&p, state.config.sessions).await?;
    let secure = over_tls(&headers, state.config.behind_proxy);
    let cookie = session_cookie(
        &opened.secret,
        state.config.sessions.absolute.num_seconds(),
        secure,
    );
    let body = me_dto(&opened.principal, Some(opened.csrf));
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        Json(body),
    )
        .into_response())
}

/// Signs out: the session is revoked and its cookie cleared.
#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "session",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "No session", body = crate::api::ProblemDto, content_type = "application/problem+json"),
        (status = 403, description = "No CSRF token", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let secure = over_tls(&headers, state.config.behind_proxy);
    if let Some(secret) = cookie(&headers, SESSION_COOKIE)
        && caller.principal.via == Via::Session
    {
        state
            .workspace
            .close_session(secret, &caller.principal)
            .await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session_cookie("", 0, secure))],
    )
        .into_response())
}

/// The caller: login, grants, and the CSRF token of a session.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "session",
    responses(
        (status = 200, description = "The caller", body = MeDto),
        (status = 401, description = "No valid credentials", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn me(caller: Caller) -> Json<MeDto> {
    Json(me_dto(&caller.principal, caller.csrf))
}
