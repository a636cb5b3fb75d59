//! The server's one error type and the problem documents (RFC 9457) every failure
//! becomes.
//!
//! A handler fails with [`ApiError`] (`?` on an application error). Its response carries
//! the problem as a [`Problem`] extension with an empty body; the `problems` middleware
//! (`layers.rs`) writes the body in the caller's language — which it knows and the
//! handler's error does not — and turns every other error response (unknown route,
//! rejected JSON, body too large, timeout) into a problem document too, so every 4xx and
//! 5xx answer has one shape. Details of 5xx failures are logged with the request id and
//! never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use yardstick_app::{Error, ErrorKind};

/// A failure of a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A use case failed.
    #[error(transparent)]
    App(#[from] Error),
    /// No valid credentials (none, unknown, expired, revoked, or a disabled user).
    #[error("unauthenticated")]
    Unauthenticated,
    /// A cookie-authenticated write without the session's CSRF token.
    #[error("csrf")]
    Csrf,
    /// Too many failed logins; try again after this many seconds.
    #[error("throttled")]
    Throttled {
        /// Seconds to wait.
        retry_after_s: u64,
    },
    /// The body's media type is not one this route reads.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The body is larger than this route takes.
    #[error("payload too large")]
    PayloadTooLarge,
    /// A malformed request (query, path, header).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Understood but refused as a whole (`strict=true` and invalid rows): 422, with
    /// members added to the problem document (the import report).
    #[error("unprocessable")]
    Unprocessable {
        /// Catalogue key of the message.
        key: &'static str,
        /// Extra members of the problem document.
        extra: serde_json::Value,
    },
}

/// What the `problems` middleware renders.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Catalogue key of the title-like message.
    pub key: &'static str,
    /// The application error, rendered in the caller's language, when there is one.
    pub error: Option<std::sync::Arc<Error>>,
    /// Detail text not in the catalogue (a rejection's reason).
    pub detail: Option<String>,
    /// Members added to the document.
    pub extra: Option<serde_json::Value>,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::App(e) => StatusCode::from_u16(match e.kind() {
                // 499 is nginx's "client closed request": a cancelled request has no
                // client left to read it; say 503 if one does.
                ErrorKind::Cancelled => 503,
                k => k.http_status(),
            })
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Csrf => StatusCode::FORBIDDEN,
            ApiError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (key, detail) = match &self {
            ApiError::App(_) => ("server.problem.app", None),
            ApiError::Unauthenticated => ("server.problem.unauthenticated", None),
            ApiError::Csrf => ("server.problem.csrf", None),
            ApiError::Throttled { .. } => ("server.problem.throttled", None),
            ApiError::UnsupportedMediaType => ("server.problem.media_type", None),
            ApiError::PayloadTooLarge => ("server.problem.too_large", None),
            ApiError::BadRequest(d) => ("server.problem.bad_request", Some(d.clone())),
            ApiError::Unprocessable { key, .. } => (*key, None),
        };
        let retry = match &self {
            ApiError::Throttled { retry_after_s } => Some(*retry_after_s),
            _ => None,
        };
        let unauth = matches!(self, ApiError::Unauthenticated);
        let (error, extra) = match self {
            ApiError::App(e) => (Some(std::sync::Arc::new(e)), None),
            ApiError::Unprocessable { extra, .. } => (None, Some(extra)),
            _ => (None, None),
        };
        let mut res = status.into_response();
        res.extensions_mut().insert(Problem {
            key,
            error,
            detail,
            extra,
        });
        if let Some(s) = retry
            && let Ok(v) = axum::http::HeaderValue::from_str(&s.to_string())
        {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        if unauth {
            res.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"yardstick\""),
            );
        }
        res
    }
}

/// Result of a handler.
pub type ApiResult<T> = std::result::Result<T, ApiError>;
