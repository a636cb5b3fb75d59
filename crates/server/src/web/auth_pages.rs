//! Signing in and out, changing one's password and the language switch.
//!
//! - `GET /login` shows the form; `POST /login` signs in with the API's sessions and
//!   throttle (a wrong password and an unknown login answer alike). The form carries a
//!   one-time value also set as a cookie (`ys_login`), so another site cannot sign a
//!   browser in to an account of its choosing.
//! - `POST /logout` revokes the session; `GET/POST /password` changes the password (the
//!   current one is asked again; other sessions end, this browser gets a new one).
//! - `POST /lang` switches the language: the user's setting when signed in, and a cookie
//!   for the login page.

use std::time::Instant;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use yardstick_app::access::Via;
use yardstick_core::vocab::Lang;

use super::format::local_path;
use super::{Anyone, LANG_COOKIE, Reader, WebError, anonymous_lang, lang_code, render, text};
use crate::AppState;
use crate::auth::{Client, SESSION_COOKIE, cookie, over_tls, same_secret, session_cookie};
use crate::error::ApiError;

/// The cookie of the login form's one-time value.
const LOGIN_COOKIE: &str = "ys_login";

fn random_hex() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        return String::new();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Where to go after signing in.
#[derive(Debug, Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

fn login_page(
    lang: Lang,
    next: &str,
    login: &str,
    error: Option<String>,
    status: StatusCode,
    secure: bool,
) -> Result<Response, WebError> {
    let nonce = random_hex();
    let ctx = context! {
        lang => lang_code(lang),
        other_lang => lang_code(match lang { Lang::Zh => Lang::En, Lang::En => Lang::Zh }),
        signed_in => false,
        next => next,
        login => login,
        error => error,
        nonce => nonce.clone(),
        here => format!("/login?next={}", super::format::url_encode(next)),
    };
    let html = render("login.html", &ctx)?;
    let secure = if secure { "; Secure" } else { "" };
    Ok((
        status,
        [(
            header::SET_COOKIE,
            format!("{LOGIN_COOKIE}={nonce}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}"),
        )],
        html,
    )
        .into_response())
}

/// `GET /login`: the sign-in form (a signed-in reader goes on to the overview).
pub(crate) async fn login_form(
    State(state): State<AppState>,
    Anyone(caller): Anyone,
    Query(q): Query<NextQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let next = local_path(q.next.as_deref());
    if caller.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let secure = over_tls(&headers, state.config.behind_proxy);
    login_page(
        anonymous_lang(&headers),
        &next,
        "",
        None,
        StatusCode::OK,
        secure,
    )
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    login: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    nonce: String,
}

/// `POST /login`: signs in and goes on to `next`.
pub(crate) async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, WebError> {
    let lang = anonymous_lang(&headers);
    let next = local_path(f.next.as_deref());
    let secure = over_tls(&headers, state.config.behind_proxy);
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !same_secret(expected, &f.nonce) {
        return login_page(
            lang,
            &next,
            &f.login,
            Some(text(lang, "web.login.expired")),
            StatusCode::FORBIDDEN,
            secure,
        );
    }
    let key = f.login.trim().to_lowercase();
    let now = Instant::now();
    if let Some(s) = state.throttle.check(&key, client.as_deref(), now) {
        let mut res = login_page(
            lang,
            &next,
            &f.login,
            Some(text(lang, "server.problem.throttled")),
            StatusCode::TOO_MANY_REQUESTS,
            secure,
        )?;
        if let Ok(v) = s.to_string().parse() {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(res);
    }
    let ws = &state.workspace;
    let p = match ws.authenticate(&key, &f.password, client.as_deref()).await {
        Ok(p) => p,
        Err(e) => {
            state.throttle.failed(&key, client.as_deref(), now);
            return login_page(
                lang,
                &next,
                &f.login,
                Some(e.render(lang)),
                StatusCode::BAD_REQUEST,
                secure,
            );
        }
    };
    state.throttle.succeeded(&key);
    let opened = ws.open_session(&p, state.config.sessions).await?;
    let cookie = session_cookie(
        &opened.secret,
        state.config.sessions.absolute.num_seconds(),
        secure,
    );
    let mut res = Redirect::to(&next).into_response();
    *res.status_mut() = StatusCode::SEE_OTHER;
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie
            .parse()
            .map_err(|_| ApiError::BadRequest(String::new()))?,
    );
    Ok(res)
}

/// A form that only carries the CSRF token.
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub(crate) csrf: String,
}

/// `POST /logout`: ends the session.
pub(crate) async fn logout(
    State(state): State<AppState>,
    reader: Reader,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    reader.check_csrf(&f.csrf)?;
    let secure = over_tls(&headers, state.config.behind_proxy);
    if let Some(secret) = cookie(&headers, SESSION_COOKIE)
        && reader.caller.principal.via == Via::Session
    {
        state
            .workspace
            .close_session(secret, &reader.caller.principal)
            .await?;
    }
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/login".to_string()),
            (header::SET_COOKIE, session_cookie("", 0, secure)),
        ],
    )
        .into_response())
}

/// `GET /password`: the form.
pub(crate) async fn password_form(reader: Reader) -> Result<Response, WebError> {
    reader.page("password.html", "password", context! {})
}

/// The password form's fields.
#[derive(Debug, Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    current: String,
    new: String,
    confirm: String,
}

/// `POST /password`: checks the current password, sets the new one (every session of
/// the user ends) and signs this browser in again.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    reader: Reader,
    Client(client): Client,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Result<Response, WebError> {
    reader.check_csrf(&f.csrf)?;
    let lang = reader.lang;
    let login = reader.caller.principal.login.clone();
    let fail = |msg: String, status: StatusCode| -> Result<Response, WebError> {
        let mut r = reader.page("password.html", "password", context! { error => msg })?;
        *r.status_mut() = status;
        Ok(r)
    };
    if f.new != f.confirm {
        return fail(text(lang, "web.password.mismatch"), StatusCode::BAD_REQUEST);
    }
    let now = Instant::now();
    if state
        .throttle
        .check(&login, client.as_deref(), now)
        .is_some()
    {
        return fail(
            text(lang, "server.problem.throttled"),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let ws = &state.workspace;
    let p = match ws.authenticate(&login, &f.current, client.as_deref()).await {
        Ok(p) => p,
        Err(_) => {
            state.throttle.failed(&login, client.as_deref(), now);
            return fail(text(lang, "web.password.wrong"), StatusCode::BAD_REQUEST);
        }
    };
    if let Err(e) = ws.set_password(reader.actor(), &login, &f.new).await {
        if e.kind() == yardstick_app::ErrorKind::Input {
            return fail(e.render(lang), StatusCode::BAD_REQUEST);
        }
        return Err(e.into());
    }
    let opened = ws.open_session(&p, state.config.sessions).await?;
    let secure = over_tls(&headers, state.config.behind_proxy);
    let cookie = session_cookie(
        &opened.secret,
        state.config.sessions.absolute.num_seconds(),
        secure,
    );
    let renewed = Reader {
        caller: crate::auth::Caller {
            actor: yardstick_app::Actor::User(opened.principal.clone()),
            principal: opened.principal,
            csrf: Some(opened.csrf),
        },
        lang,
        here: reader.here.clone(),
    };
    let mut r = renewed.page("password.html", "password", context! { done => true })?;
    r.headers_mut().append(
        header::SET_COOKIE,
        cookie
            .parse()
            .map_err(|_| ApiError::BadRequest(String::new()))?,
    );
    Ok(r)
}

/// The language switch's fields.
#[derive(Debug, Deserialize)]
pub(crate) struct LangForm {
    lang: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /lang`: switches the language and goes back. A signed-in user's choice is kept
/// as their setting (every browser, the command line's problem texts); a cookie keeps it
/// for the login page.
pub(crate) async fn switch_language(
    State(state): State<AppState>,
    Anyone(caller): Anyone,
    headers: HeaderMap,
    Form(f): Form<LangForm>,
) -> Result<Response, WebError> {
    let lang = match f.lang.as_str() {
        "en" => Lang::En,
        "zh" => Lang::Zh,
        other => {
            return Err(ApiError::BadRequest(format!("lang {other:?}: zh or en")).into());
        }
    };
    let next = local_path(f.next.as_deref());
    if let Some(caller) = caller {
        super::check_csrf(&caller, &f.csrf)?;
        state
            .workspace
            .set_own_language(&caller.actor, lang)
            .await?;
    }
    let secure = if over_tls(&headers, state.config.behind_proxy) {
        "; Secure"
    } else {
        ""
    };
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, next),
            (
                header::SET_COOKIE,
                format!(
                    "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000{secure}",
                    lang_code(lang)
                ),
            ),
        ],
    )
        .into_response())
}
