//! The REST API under `/api/v1`: one module per resource, each with its router of
//! documented handlers. The OpenAPI document is collected from the same handlers the
//! router serves (utoipa-axum), so a route cannot exist undocumented.

pub mod activity;
pub mod audits;
pub mod batches;
pub mod evaluations;
pub mod guideline;
pub mod indicators;
pub mod org;
pub mod pdca;
pub mod plan;
pub mod records;
pub mod session;

use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use yardstick_app::Error;
use yardstick_core::period::Period;

use crate::AppState;

/// An RFC 9457 problem document: every 4xx and 5xx answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemDto {
    /// Always `about:blank`: the status says what kind of problem.
    #[schema(example = "about:blank")]
    pub r#type: String,
    /// The status's reason phrase.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong and where, in the caller's language.
    pub detail: String,
    /// The request path.
    pub instance: String,
    /// The request id (also in `X-Request-Id`), to find the request in the logs.
    pub request_id: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Yardstick API",
        description = "Yardstick (度量尺): service-quality indicators, evaluations and records of telecom service sites. Every read and write is scoped to the caller's part of the organisation tree: objects outside it answer 404, writes outside it 403.",
        license(name = "Apache-2.0")
    ),
    modifiers(&Security),
    components(schemas(ProblemDto)),
    security(("bearer" = []), ("session" = []))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("an API token (`yardstick token create`)"))
                    .build(),
            ),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "a browser session from POST /api/v1/session; writes also need X-CSRF-Token",
            ))),
        );
    }
}

/// Adds to every operation a default answer: a problem document. Every operation may
/// answer one (401 without credentials, 404 out of scope, 405, 408, 413, 415, 429, 5xx);
/// it is documented once, after the routes are collected.
pub(crate) fn document_problems(doc: &mut utoipa::openapi::OpenApi) {
    let problem = utoipa::openapi::ResponseBuilder::new()
        .description("A problem document (RFC 9457)")
        .content(
            "application/problem+json",
            utoipa::openapi::ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name("ProblemDto")))
                .build(),
        )
        .build();
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            op.responses
                .responses
                .entry("default".to_string())
                .or_insert_with(|| problem.clone().into());
        }
    }
}

/// Every API route with its documentation.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(session::router())
        .merge(org::router())
        .merge(evaluations::router())
        .merge(indicators::router())
        .merge(records::router())
        .merge(batches::router())
        .merge(guideline::router())
        .merge(activity::router())
        .merge(audits::router())
        .merge(pdca::router())
        .merge(plan::router())
}

/// A period label parsed once, with a message that says what is accepted.
pub(crate) fn period(text: &str) -> Result<Period, Error> {
    Period::parse(text).map_err(|e| {
        Error::input("error.period.invalid")
            .arg("period", yardstick_app::error::quoted(text, 40))
            .detail_message(yardstick_app::error::Message::new(e.reason))
    })
}
