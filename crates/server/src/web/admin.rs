//! Administration, for admins (the application layer refuses everyone else: 403):
//! `GET /admin` (users with their grants, tokens), `POST /admin/users` (add a user; the
//! generated password is shown once), `POST /admin/users/{login}/disabled`,
//! `POST /admin/users/{login}/grants` (grant or revoke a role on a scope),
//! `POST /admin/tokens` (create; the token is shown once), `POST /admin/tokens/{id}/revoke`.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};
use yardstick_app::ErrorKind;
use yardstick_app::access::{Grant, Role};

use super::{Reader, WebError, text};
use crate::AppState;
use crate::error::ApiError;

#[derive(Debug, Serialize)]
struct UserRow {
    login: String,
    display_name: String,
    disabled: bool,
    grants: Vec<(String, String, String)>,
}

#[derive(Debug, Serialize)]
struct TokenRow {
    id: i64,
    login: String,
    name: String,
    prefix: String,
    created_at: String,
    expires_at: String,
    revoked: bool,
    last_used_at: String,
}

/// What an action left to say: a message, a secret shown once, or an error.
#[derive(Debug, Default)]
struct Outcome {
    message: Option<String>,
    secret: Option<(String, String)>,
    error: Option<String>,
}

async fn page(state: &AppState, reader: &Reader, out: Outcome) -> Result<Response, WebError> {
    let ws = &state.workspace;
    let actor = reader.actor();
    let lang = reader.lang;
    let users: Vec<UserRow> = ws
        .users(actor)
        .await?
        .into_iter()
        .map(|u| UserRow {
            login: u.login,
            display_name: u.display_name,
            disabled: u.disabled,
            grants: u
                .grants
                .iter()
                .map(|g| {
                    (
                        g.role.as_str().to_string(),
                        text(lang, &format!("web.role.{}", g.role.as_str())),
                        g.scope.clone(),
                    )
                })
                .collect(),
        })
        .collect();
    let mut tokens = ws.tokens(actor, None).await?;
    tokens.sort_by_key(|t| std::cmp::Reverse(t.id));
    let tokens: Vec<TokenRow> = tokens
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            login: t.login,
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            expires_at: t.expires_at.unwrap_or_else(|| text(lang, "token.never")),
            revoked: t.revoked_at.is_some(),
            last_used_at: t.last_used_at.unwrap_or_else(|| "—".into()),
        })
        .collect();
    let roles: Vec<(String, String)> = Role::ALL
        .iter()
        .map(|r| {
            (
                r.as_str().to_string(),
                text(lang, &format!("web.role.{}", r.as_str())),
            )
        })
        .collect();
    let failed = out.error.is_some();
    let mut r = reader.page(
        "admin.html",
        "admin",
        context! {
            users => users,
            tokens => tokens,
            roles => roles,
            message => out.message,
            secret => out.secret.map(|(what, value)| context! { what => what, value => value }),
            error => out.error,
        },
    )?;
    if failed {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(r)
}

/// An input error (an existing login, an unknown scope, a short password) is said on
/// the page; anything else is the error page.
fn said(e: yardstick_app::Error, reader: &Reader) -> Result<Outcome, WebError> {
    if matches!(
        e.kind(),
        ErrorKind::Input | ErrorKind::NotFound | ErrorKind::Conflict
    ) {
        Ok(Outcome {
            error: Some(e.render(reader.lang)),
            ..Outcome::default()
        })
    } else {
        Err(e.into())
    }
}

fn role(s: &str) -> Result<Role, WebError> {
    Role::parse(s).ok_or_else(|| ApiError::BadRequest(format!("role {s:?}")).into())
}

/// `GET /admin`.
pub(crate) async fn admin(
    State(state): State<AppState>,
    reader: Reader,
) -> Result<Response, WebError> {
    page(&state, &reader, Outcome::default()).await
}

/// The new user's fields.
#[derive(Debug, Deserialize)]
pub(crate) struct NewUser {
    #[serde(default)]
    csrf: String,
    login: String,
    role: String,
    scope: String,
}

/// `POST /admin/users`.
pub(crate) async fn add_user(
    State(state): State<AppState>,
    reader: Reader,
    Form(f): Form<NewUser>,
) -> Result<Response, WebError> {
    reader.check_csrf(&f.csrf)?;
    let grant = Grant {
        role: role(&f.role)?,
        scope: f.scope.trim().to_string(),
    };
    let out = match state
        .workspace
        .add_user(reader.actor(), f.login.trim(), &[grant], None)
        .await
    {
        Ok((u, password)) => Outcome {
            message: Some(yardstick_core::t!(
                reader.lang,
                "user.added",
                login = u.login
            )),
            secret: password.map(|p| (text(reader.lang, "web.admin.password_once"), p)),
            error: None,
        },
        Err(e) => said(e, &reader)?,
    };
    page(&state, &reader, out).await
}

/// Disable or enable.
#[derive(Debug, Deserialize)]
pub(crate) struct Disable {
    #[serde(default)]
    csrf: String,
    disabled: bool,
}

/// `POST /admin/users/{login}/disabled`.
pub(crate) async fn set_disabled(
    State(state): State<AppState>,
    reader: Reader,
    Path(login): Path<String>,
    Form(f): Form<Disable>,
) -> Result<Response, WebError> {
    reader.check_csrf(&f.csrf)?;
    let out = match state
        .workspace
        .set_user_disabled(reader.actor(), &login, f.disabled)
        .await
    {
        Ok(()) => Outcome {
            message: Some(if f.disabled {
                yardstick_core::t!(reader.lang, "user.disabled", login = login)
            } else {
                yardstick_core::t!(reader.lang, "user.enabled", login = login)
            }),
            ..Outcome::default()
        },
        Err(e) => said(e, &reader)?,
    };
    page(&state, &reader, out).await
}

/// Grant or revoke.
#[derive(Debug, Deserialize)]
pub(crate) struct GrantForm {
    #[serde(default)]
    csrf: String,
    role: String,
    scope: String,
    /// `add` or `remove`.
    action: String,
}

/// `POST /admin/users/{login}/grants`.
pub(crate) async fn change_grant(
    State(state): State<AppState>,
    reader: Reader,
    Path(login): Path<String>,
    Form(f): Form<GrantForm>,
) -> Result<Response, WebError> {
    reader.check_csrf(&f.csrf)?;
    let add = match f.action.as_str() {
        "add" => true,
        "remove" => false,
        other => return Err(ApiError::BadRequest(format!("action {other:?}")).into()),
    };
    let grant = Grant {
        role: role(&f.role)?,
        scope: f.scope.trim().to_string(),
    };
    let lang = reader.lang;
    let out = match state
        .workspace
        .change_grant(reader.actor(), &login, &grant, add)
        .await
    {
        Ok(changed) => {
            let role_name = text(lang, &format!("web.role.{}", grant.role.as_str()));
            Outcome {
                message: Some(match (changed, add) {
                    (false, _) => yardstick_core::t!(lang, "user.unchanged", login = login),
                    (true, true) => yardstick_core::t!(
                        lang,
                        "user.granted",
                        login = login,
                        role = role_name,
                        scope = grant.scope
                    ),
                    (true, false) => yardstick_core::t!(
                        lang,
                        "user.revoked",
                        login = login,
                        role = role_name,
                        scope = grant.scope
                    ),
                }),
                ..Outcome::default()
            }
        }
        Err(e) => said(e, &reader)?,
    };
    page(&state, &reader, out).await
}

/// A new token's fields.
#[derive(Debug, Deserialize)]
pub(crate) struct NewToken {
    #[serde(default)]
    csrf: String,
    login: String,
    name: String,
    #[serde(default)]
    days: String,
}

/// `POST /admin/tokens`.
pub(crate) async fn create_token(
    State(state): State<AppState>,
    reader: Reader,
    Form(f): Form<NewToken>,
) -> Result<Response, WebError> {
    reader.check_csrf(&f.csrf)?;
    let days = match f.days.trim() {
        "" => None,
        d => Some(
            d.parse::<u32>()
                .map_err(|_| ApiError::BadRequest(format!("days {d:?}")))?,
        ),
    };
    let lang = reader.lang;
    let out = match state
        .workspace
        .create_token(reader.actor(), f.login.trim(), f.name.trim(), days)
        .await
    {
        Ok(t) => Outcome {
            message: None,
            secret: Some((
                yardstick_core::t!(
                    lang,
                    "token.created",
                    id = t.info.id,
                    login = t.info.login,
                    expires = t
                        .info
                        .expires_at
                        .clone()
                        .unwrap_or_else(|| text(lang, "token.never"))
                ),
                t.token,
            )),
            error: None,
        },
        Err(e) => said(e, &reader)?,
    };
    page(&state, &reader, out).await
}

/// `POST /admin/tokens/{id}/revoke`.
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<i64>,
    Form(f): Form<super::auth_pages::CsrfForm>,
) -> Result<Response, WebError> {
    reader.check_csrf(&f.csrf)?;
    let out = match state.workspace.revoke_token(reader.actor(), id).await {
        Ok(()) => Outcome {
            message: Some(yardstick_core::t!(reader.lang, "token.revoked", id = id)),
            ..Outcome::default()
        },
        Err(e) => said(e, &reader)?,
    };
    page(&state, &reader, out).await
}
