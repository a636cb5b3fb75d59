//! The web app: server-rendered pages for people in a browser, in Chinese (default) and
//! English, on the same application use cases as the API — what a page shows is decided
//! by `yardstick_app` for the signed-in user, never here.
//!
//! - Templates (minijinja, auto-escaped) and static files are compiled into the binary
//!   (`templates/`, `static/`); no script is inlined (the CSP forbids it) and nothing is
//!   fetched from elsewhere.
//! - Every text comes from the catalogue (`[web]` and the shared sections) through the
//!   templates' `t(key, …)` function.
//! - Sign-in uses the API's sessions: the same cookie, throttling and CSRF token, which
//!   forms send as the `csrf` field ([`check_csrf`]). A page without a valid session
//!   redirects to `/login`.
//! - A failure answers a friendly page in the reader's language ([`WebError`], rendered by
//!   [`error_pages`]); the `problems` layer leaves HTML answers alone.

mod activity;
mod admin;
mod auth_pages;
mod charts;
mod evals;
mod format;
mod imports;
mod overview;
pub mod pinyin;
mod plan;
mod site;
mod staffing;
mod view;

use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::value::Kwargs;
use minijinja::{Environment, State as TplState, Value, context};
use serde::Serialize;
use yardstick_app::access::Role;
use yardstick_core::vocab::Lang;

use crate::AppState;
use crate::auth::{Caller, accept_language, cookie, identify, same_secret};
use crate::error::ApiError;
use crate::layers::RequestId;

/// Every page route (method, path template), for the authorisation matrix.
pub const PAGES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/password"),
    ("POST", "/password"),
    ("POST", "/lang"),
    ("GET", "/overview"),
    ("GET", "/search"),
    ("GET", "/sites/{id}"),
    ("GET", "/sites/{id}/indicators/{indicator}"),
    ("GET", "/sites/{id}/indicators/{indicator}/records.csv"),
    ("GET", "/sites/{id}/indicators/{indicator}/record"),
    ("GET", "/evaluations"),
    ("GET", "/evaluations/{id}"),
    ("POST", "/evaluations/{id}/verify"),
    ("GET", "/imports"),
    ("POST", "/imports"),
    ("GET", "/admin"),
    ("GET", "/activity"),
    ("GET", "/plan/staffing"),
    ("POST", "/admin/users"),
    ("POST", "/admin/users/{login}/disabled"),
    ("POST", "/admin/users/{login}/grants"),
    ("POST", "/admin/tokens"),
    ("POST", "/admin/tokens/{id}/revoke"),
    ("GET", "/static/{file}"),
];

/// Name of the cookie that remembers the language of a browser that is not signed in
/// (the login page); a signed-in user's language is their user setting.
pub const LANG_COOKIE: &str = "ys_lang";

/// The page routes.
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/overview") }))
        .route(
            "/login",
            get(auth_pages::login_form).post(auth_pages::login),
        )
        .route("/logout", post(auth_pages::logout))
        .route(
            "/password",
            get(auth_pages::password_form).post(auth_pages::change_password),
        )
        .route("/lang", post(auth_pages::switch_language))
        .route("/overview", get(overview::overview))
        .route("/search", get(overview::search))
        .route("/sites/{id}", get(site::site))
        .route("/sites/{id}/indicators/{indicator}", get(site::indicator))
        .route("/sites/{id}/plan", get(plan::plan))
        .route(
            "/sites/{id}/indicators/{indicator}/records.csv",
            get(site::records_csv),
        )
        .route(
            "/sites/{id}/indicators/{indicator}/record",
            get(site::record),
        )
        .route("/evaluations", get(evals::list))
        .route("/evaluations/{id}", get(evals::detail))
        .route("/evaluations/{id}/verify", post(evals::verify))
        .route("/imports", get(imports::list).post(imports::upload))
        .route("/admin", get(admin::admin))
        .route("/activity", get(activity::activity))
        .route("/plan/staffing", get(staffing::staffing))
        .route("/admin/users", post(admin::add_user))
        .route("/admin/users/{login}/disabled", post(admin::set_disabled))
        .route("/admin/users/{login}/grants", post(admin::change_grant))
        .route("/admin/tokens", post(admin::create_token))
        .route("/admin/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/static/{file}", get(static_file))
        .layer(middleware::from_fn_with_state(state.clone(), error_pages))
}

// ---------------------------------------------------------------------------------------
// Language

/// The language a page is written in, decided as the request goes: the signed-in user's
/// setting, else the `ys_lang` cookie, else `Accept-Language`, else Chinese.
#[derive(Debug, Clone, Default)]
pub(crate) struct PageLang(Arc<Mutex<Option<Lang>>>);

impl PageLang {
    fn set(&self, lang: Lang) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(lang);
    }
    fn get(&self) -> Option<Lang> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The language of an anonymous request.
pub(crate) fn anonymous_lang(headers: &axum::http::HeaderMap) -> Lang {
    match cookie(headers, LANG_COOKIE) {
        Some("en") => Lang::En,
        Some("zh") => Lang::Zh,
        _ => accept_language(headers).unwrap_or(Lang::Zh),
    }
}

/// `zh` or `en`.
pub(crate) fn lang_code(l: Lang) -> &'static str {
    match l {
        Lang::Zh => "zh",
        Lang::En => "en",
    }
}

// ---------------------------------------------------------------------------------------
// The signed-in reader of a page

/// The signed-in reader of a page and the language it is written in. Without a valid
/// session (or bearer token) the page redirects to `/login?next=…`.
#[derive(Debug, Clone)]
pub(crate) struct Reader {
    /// The caller, as the API knows it.
    pub caller: Caller,
    /// The page's language.
    pub lang: Lang,
    /// Path and query of the request (the language switch comes back to it).
    pub here: String,
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Reader, WebError> {
        let here = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
        match identify(parts, state, false).await {
            Ok(caller) => {
                let lang = caller.principal.lang;
                if let Some(slot) = parts.extensions.get::<PageLang>() {
                    slot.set(lang);
                }
                Ok(Reader { caller, lang, here })
            }
            Err(ApiError::Unauthenticated) => {
                Err(WebError::SignIn(if parts.method == Method::GET {
                    here
                } else {
                    "/overview".into()
                }))
            }
            Err(e) => Err(WebError::Api(e)),
        }
    }
}

/// The caller when there is one: pages that anyone may open (the login form, the
/// language switch) but that know a signed-in reader.
#[derive(Debug, Clone)]
pub(crate) struct Anyone(pub Option<Caller>);

impl FromRequestParts<AppState> for Anyone {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Anyone, WebError> {
        match identify(parts, state, false).await {
            Ok(c) => {
                if let Some(slot) = parts.extensions.get::<PageLang>() {
                    slot.set(c.principal.lang);
                }
                Ok(Anyone(Some(c)))
            }
            Err(ApiError::Unauthenticated) => Ok(Anyone(None)),
            Err(e) => Err(WebError::Api(e)),
        }
    }
}

impl Reader {
    /// The actor handed to every use case.
    pub fn actor(&self) -> &yardstick_app::Actor {
        &self.caller.actor
    }

    /// The context every page template gets: language, user, CSRF token, menu.
    pub fn base(&self, nav: &str) -> Value {
        let p = &self.caller.principal;
        let imports = p.grants.iter().any(|g| {
            matches!(
                g.role,
                Role::Admin | Role::QualityManager | Role::SiteManager
            )
        });
        context! {
            lang => lang_code(self.lang),
            other_lang => lang_code(match self.lang { Lang::Zh => Lang::En, Lang::En => Lang::Zh }),
            signed_in => true,
            login => p.login.clone(),
            display_name => p.display_name.clone(),
            roles => p.grants.iter().map(|g| format!("{}@{}", text(self.lang, &format!("web.role.{}", g.role.as_str())), g.scope)).collect::<Vec<_>>().join(", "),
            csrf => self.caller.csrf.clone().unwrap_or_default(),
            can_import => imports,
            is_admin => p.has_role(Role::Admin),
            nav => nav,
            here => self.here.clone(),
        }
    }

    /// Renders a page template with the base context and `page`.
    pub fn page(&self, template: &str, nav: &str, page: Value) -> Result<Response, WebError> {
        let ctx = context! { ..page, ..self.base(nav) };
        render(template, &ctx).map(|h| h.into_response())
    }

    /// Checks the CSRF token a form sent against the session's (bearer callers have
    /// none to check: a browser never sends a bearer token by itself).
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        check_csrf(&self.caller, sent)
    }
}

/// Checks a form's `csrf` field against the caller's session.
///
/// # Errors
/// A 403 page when a session caller sent a wrong or no token.
pub(crate) fn check_csrf(caller: &Caller, sent: &str) -> Result<(), WebError> {
    match &caller.csrf {
        Some(token) if !same_secret(sent, token) => Err(WebError::Api(ApiError::Csrf)),
        _ => Ok(()),
    }
}

/// The catalogue text of `key`.
pub(crate) fn text(lang: Lang, key: &str) -> String {
    yardstick_core::i18n::text(lang, key).to_string()
}

// ---------------------------------------------------------------------------------------
// Templates

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("macros.html", include_str!("templates/macros.html")),
    ("error.html", include_str!("templates/error.html")),
    ("login.html", include_str!("templates/login.html")),
    ("password.html", include_str!("templates/password.html")),
    ("overview.html", include_str!("templates/overview.html")),
    ("search.html", include_str!("templates/search.html")),
    ("site.html", include_str!("templates/site.html")),
    ("indicator.html", include_str!("templates/indicator.html")),
    ("record.html", include_str!("templates/record.html")),
    (
        "evaluations.html",
        include_str!("templates/evaluations.html"),
    ),
    ("evaluation.html", include_str!("templates/evaluation.html")),
    ("imports.html", include_str!("templates/imports.html")),
    ("activity.html", include_str!("templates/activity.html")),
    ("staffing.html", include_str!("templates/staffing.html")),
    ("admin.html", include_str!("templates/admin.html")),
    ("plan.html", include_str!("templates/plan.html")),
];

/// The template sources, for tests that check every key they use exists.
#[must_use]
pub fn template_sources() -> &'static [(&'static str, &'static str)] {
    TEMPLATES
}

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, src) in TEMPLATES {
            if let Err(e) = env.add_template(name, src) {
                // A broken template is a build mistake; tests render every one.
                tracing::error!(template = name, error = %e, "template does not compile");
            }
        }
        env.add_function("t", t_function);
        env
    })
}

/// `t(key, name=value, …)`: the catalogue text of `key` in the page's language.
fn t_function(state: &TplState, key: &str, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let lang = match state.lookup("lang").as_ref().and_then(Value::as_str) {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    };
    let mut args: Vec<(String, String)> = Vec::new();
    for name in kwargs.args() {
        let v: Value = kwargs.get(name)?;
        args.push((name.to_string(), v.to_string()));
    }
    kwargs.assert_all_used()?;
    let refs: Vec<(&str, &dyn std::fmt::Display)> = args
        .iter()
        .map(|(k, v)| (k.as_str(), v as &dyn std::fmt::Display))
        .collect();
    Ok(yardstick_core::i18n::format(lang, key, &refs))
}

/// Renders a template.
///
/// # Errors
/// An internal error (logged) when the template fails.
pub(crate) fn render(name: &str, ctx: &Value) -> Result<Html<String>, WebError> {
    let env = environment();
    env.get_template(name)
        .and_then(|t| t.render(ctx))
        .map(Html)
        .map_err(|e| {
            WebError::Api(ApiError::App(
                yardstick_app::Error::internal("error.internal.template").detail(format!("{e:#}")),
            ))
        })
}

// ---------------------------------------------------------------------------------------
// Errors

/// A page that failed.
#[derive(Debug)]
pub(crate) enum WebError {
    /// Not signed in: to the login page, then back to this path.
    SignIn(String),
    /// Any failure the API would answer with a problem document.
    Api(ApiError),
}

impl From<yardstick_app::Error> for WebError {
    fn from(e: yardstick_app::Error) -> WebError {
        WebError::Api(ApiError::App(e))
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> WebError {
        WebError::Api(e)
    }
}

/// Marks a failed page for the `error_pages` middleware (the `Problem` beside it says
/// what failed).
#[derive(Debug, Clone, Copy)]
struct PageProblem;

/// Marks an HTML answer.
const HTML: &str = "text/html; charset=utf-8";

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn(next) => {
                let to = format!("/login?next={}", format::url_encode(&next));
                Redirect::to(&to).into_response()
            }
            WebError::Api(e) => {
                let api = e.into_response();
                let status = api.status();
                let mut res = status.into_response();
                if let Some(v) = api.headers().get(header::RETRY_AFTER) {
                    res.headers_mut().insert(header::RETRY_AFTER, v.clone());
                }
                let problem = api.extensions().get::<crate::error::Problem>().cloned();
                res.extensions_mut().insert(PageProblem);
                if let Some(p) = problem {
                    res.extensions_mut().insert(p);
                }
                res.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(HTML));
                res
            }
        }
    }
}

/// Renders failed pages as HTML in the reader's language: the status's title, what went
/// wrong (the application's message for a 4xx; for a 5xx only the request id, the cause
/// is logged) and a way back.
async fn error_pages(State(_state): State<AppState>, mut req: Request, next: Next) -> Response {
    let slot = PageLang::default();
    req.extensions_mut().insert(slot.clone());
    let anonymous = anonymous_lang(req.headers());
    let id = req
        .extensions()
        .get::<RequestId>()
        .map_or_else(String::new, |r| r.0.clone());
    let mut res = next.run(req).await;
    let status = res.status();
    let lang = slot.get().unwrap_or(anonymous);
    let detail = if res.extensions().get::<PageProblem>().is_some() {
        res.extensions_mut()
            .remove::<crate::error::Problem>()
            .map(|p| problem_text(&p, status, lang, &id))
    } else if (status.is_client_error() || status.is_server_error())
        && !res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
    {
        // A rejection made below the handler (a form that does not parse, a wrong
        // method): its own text says what was wrong with a 4xx.
        let (parts, body) = res.into_parts();
        let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
        res = Response::from_parts(parts, axum::body::Body::empty());
        if status.is_server_error() {
            tracing::error!(request_id = %id, status = status.as_u16(), detail = %String::from_utf8_lossy(&text), "server error (page)");
            None
        } else {
            Some(String::from_utf8_lossy(&text).trim().to_string()).filter(|t| !t.is_empty())
        }
    } else {
        return res;
    };
    let page = error_page(status, lang, detail.as_deref(), &id, slot.get().is_some());
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let mut out = page.into_response();
    *out.status_mut() = status;
    for (k, v) in &parts.headers {
        if k != header::CONTENT_TYPE {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

fn problem_text(p: &crate::error::Problem, status: StatusCode, lang: Lang, id: &str) -> String {
    if status.is_server_error() {
        let cause = p
            .error
            .as_ref()
            .map_or_else(String::new, |e| format!("{e:#}: {}", e.render(Lang::En)));
        tracing::error!(request_id = %id, status = status.as_u16(), cause = %cause, "server error (page)");
        return yardstick_core::t!(lang, "server.problem.internal", request_id = id);
    }
    match (&p.error, &p.detail) {
        (Some(e), _) => e.render(lang),
        (None, _) => text(lang, p.key),
    }
}

/// A friendly error page.
pub(crate) fn error_page(
    status: StatusCode,
    lang: Lang,
    detail: Option<&str>,
    request_id: &str,
    signed_in: bool,
) -> Html<String> {
    let code = status.as_u16();
    let kind = match code {
        400 | 422 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        413 => "413",
        429 => "429",
        c if c >= 500 => "500",
        _ => "400",
    };
    let ctx = context! {
        lang => lang_code(lang),
        other_lang => lang_code(match lang { Lang::Zh => Lang::En, Lang::En => Lang::Zh }),
        signed_in => signed_in,
        status => code,
        kind => kind,
        detail => detail,
        request_id => request_id,
    };
    render("error.html", &ctx).unwrap_or_else(|_| {
        Html(format!(
            "<!doctype html><title>{code}</title><p>{code} {}</p>",
            format::escape(&text(lang, &format!("web.error.{kind}.title")))
        ))
    })
}

/// The answer to a path no route serves: for the API a problem document (the `problems`
/// layer writes it), for anything else the 404 page.
pub(crate) async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let (parts, _) = req.into_parts();
    let (lang, signed_in) = match identify(&parts, &state, false).await {
        Ok(c) => (c.principal.lang, true),
        Err(_) => (anonymous_lang(&parts.headers), false),
    };
    let id = parts
        .extensions
        .get::<RequestId>()
        .map_or_else(String::new, |r| r.0.clone());
    let mut res = error_page(StatusCode::NOT_FOUND, lang, None, &id, signed_in).into_response();
    *res.status_mut() = StatusCode::NOT_FOUND;
    res
}

// ---------------------------------------------------------------------------------------
// Static files

const STATIC: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("static/app.js"),
    ),
];

async fn static_file(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    match STATIC.iter().find(|(name, _, _)| *name == file) {
        Some((_, ct, bytes)) => (
            [
                (header::CONTENT_TYPE, *ct),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => WebError::Api(ApiError::App(yardstick_app::Error::not_found(
            "web.error.404.title",
        )))
        .into_response(),
    }
}

/// A row of a simple key–value table.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Pair {
    /// Label.
    pub k: String,
    /// Value.
    pub v: String,
}
