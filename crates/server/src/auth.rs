//! Who is asking: the [`Caller`] extractor, built once per request from a bearer token
//! (`Authorization: Bearer ys_…`) or the session cookie, and handed to the application
//! layer as `Actor::User` — the one place that decides what the caller sees and does.
//!
//! - Bearer requests need no CSRF token: a browser never adds the header by itself.
//! - Cookie requests that change state (any method but GET, HEAD, OPTIONS) carry the
//!   session's CSRF token in `X-CSRF-Token`; without it they answer 403.
//! - No credentials, or dead ones (unknown, expired, revoked, a disabled user), answer
//!   401 alike: nothing tells which.
//! - The client address is the peer's, or with `--behind-proxy` the last address the
//!   proxy appended to `X-Forwarded-For`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use yardstick_app::Actor;
use yardstick_app::access::Principal;
use yardstick_core::vocab::Lang;

use crate::AppState;
use crate::error::ApiError;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "ys_session";

/// Header carrying the CSRF token of a cookie session.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The signed-in caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The actor handed to every use case.
    pub actor: Actor,
    /// The principal (login, grants, language).
    pub principal: Principal,
    /// The CSRF token of the session, for cookie callers.
    pub csrf: Option<String>,
}

/// The language a request's answer is written in, decided as it goes: `Accept-Language`
/// first, then the signed-in user's preference. Shared between the extractor, which
/// learns the user, and the middleware that writes problem documents.
#[derive(Debug, Clone, Default)]
pub struct LangSlot(pub Arc<Mutex<Option<Lang>>>);

impl LangSlot {
    /// Records the user's preferred language (when the request named none).
    pub fn prefer(&self, lang: Lang) {
        let mut slot = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(lang);
        }
    }

    /// The language decided, Chinese by default.
    #[must_use]
    pub fn get(&self) -> Lang {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .unwrap_or(Lang::Zh)
    }
}

/// The language an `Accept-Language` header asks for, if it names one we have: the first
/// of `zh…` or `en…` in the order given (quality values are not weighed).
#[must_use]
pub fn accept_language(headers: &HeaderMap) -> Option<Lang> {
    let v = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    v.split(',').find_map(|part| {
        let tag = part
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if tag.starts_with("zh") {
            Some(Lang::Zh)
        } else if tag.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    })
}

/// The client address of a request.
#[must_use]
pub fn client_addr(parts: &Parts, behind_proxy: bool) -> Option<String> {
    if behind_proxy
        && let Some(last) = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|s| !s.is_empty())
        && last.parse::<std::net::IpAddr>().is_ok()
    {
        return Some(last.to_string());
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// Whether the request reached us over TLS: only a trusted proxy can say so (the server
/// itself speaks plain HTTP).
#[must_use]
pub fn over_tls(headers: &HeaderMap, behind_proxy: bool) -> bool {
    behind_proxy
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("https")
            })
}

/// The value of a cookie.
#[must_use]
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// The `Set-Cookie` value of a session: HttpOnly, SameSite=Strict, for the whole site,
/// Secure over TLS; `max_age_s` 0 removes it.
#[must_use]
pub fn session_cookie(secret: &str, max_age_s: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"
    )
}

fn changes_state(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Compares two secrets in time independent of where they differ.
#[must_use]
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A bearer token, if the request carries one; an error for any other `Authorization`.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let v = v.to_str().map_err(|_| ApiError::Unauthenticated)?;
    match v.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(Some(token.trim())),
        _ => Err(ApiError::Unauthenticated),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let client = client_addr(parts, state.config.behind_proxy);
        let ws = &state.workspace;
        let (principal, csrf) = if let Some(token) = bearer(&parts.headers)? {
            let p = ws
                .token_principal(token, client.as_deref())
                .await?
                .ok_or(ApiError::Unauthenticated)?;
            (p, None)
        } else if let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) {
            let (p, csrf) = ws
                .session_principal(secret, state.config.sessions, client.as_deref())
                .await?
                .ok_or(ApiError::Unauthenticated)?;
            if changes_state(&parts.method) {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !same_secret(sent, &csrf) {
                    return Err(ApiError::Csrf);
                }
            }
            (p, Some(csrf))
        } else {
            return Err(ApiError::Unauthenticated);
        };
        if let Some(slot) = parts.extensions.get::<LangSlot>() {
            slot.prefer(principal.lang);
        }
        Ok(Caller {
            actor: Actor::User(principal.clone()),
            principal,
            csrf,
        })
    }
}

/// The client address alone, for routes without a caller (login).
#[derive(Debug, Clone)]
pub struct Client(pub Option<String>);

impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Client, ApiError> {
        Ok(Client(client_addr(parts, state.config.behind_proxy)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_cookies_and_secrets() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            "fr-CH, en;q=0.8, zh;q=0.5".parse().expect("header"),
        );
        assert_eq!(accept_language(&h), Some(Lang::En));
        h.insert(
            header::COOKIE,
            "a=1; ys_session=abc; b=2".parse().expect("header"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "ys"), None);
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        let c = session_cookie("s", 60, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.ends_with("; Secure"));
    }
}
