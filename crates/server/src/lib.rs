//! Yardstick's HTTP server: the REST API under `/api/v1`, its OpenAPI document and
//! explorer, health, readiness and metrics.
//!
//! Two entry points: [`app`] builds the router for a state (tests drive it in process
//! with `tower::ServiceExt::oneshot`), [`run`] serves it on a listener until a shutdown
//! signal (the binary). Every handler calls the application layer (`yardstick-app`) with
//! the caller as an `Actor`; what a caller may see and do is decided there, in one place
//! (`yardstick_app::scope`), never here. The server depends on neither the engine nor the
//! store (`cargo xtask tidy` checks).

pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod layers;
pub mod metrics;
mod ops;
pub mod throttle;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::Method;
use utoipa_swagger_ui::SwaggerUi;
use yardstick_app::Workspace;

pub use config::{LogFormat, ServerConfig};

/// What every handler gets: the workspace and the server's shared parts.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The workspace every use case runs on.
    pub workspace: Workspace,
    /// Configuration, login throttle and metrics.
    pub shared: Arc<Shared>,
}

/// The server's own state, shared by every request.
#[derive(Debug)]
pub struct Shared {
    /// Configuration.
    pub config: ServerConfig,
    /// Failed-login counts.
    pub throttle: throttle::Throttle,
    /// Metrics.
    pub metrics: metrics::Metrics,
}

impl AppState {
    /// A state for a workspace and a configuration.
    #[must_use]
    pub fn new(workspace: Workspace, config: ServerConfig) -> AppState {
        let throttle = throttle::Throttle::new(
            config.throttle_window,
            config.failures_per_login,
            config.failures_per_client,
        );
        AppState {
            workspace,
            shared: Arc::new(Shared {
                config,
                throttle,
                metrics: metrics::Metrics::default(),
            }),
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

/// Path of the OpenAPI document.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// Path of the API explorer (Swagger UI, served from the binary).
pub const DOCS_PATH: &str = "/api/docs";

/// The router with every route and layer.
pub fn app(state: AppState) -> Router {
    let (api, mut openapi) = api::router().split_for_parts();
    api::document_problems(&mut openapi);
    let router = Router::new()
        .merge(api)
        .merge(ops::router())
        .with_state(state.clone())
        .merge(SwaggerUi::new(DOCS_PATH).url(OPENAPI_PATH, openapi));
    layers::apply(router, &state)
}

/// Every route the server answers: the API's (from its OpenAPI document, which the
/// router is built from) and the operational ones. The authorisation matrix test is
/// built from this list.
#[must_use]
pub fn routes() -> Vec<(Method, String)> {
    let (_, openapi) = api::router().split_for_parts();
    let mut out = Vec::new();
    for (path, item) in &openapi.paths.paths {
        for (m, op) in [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::PATCH, &item.patch),
            (Method::DELETE, &item.delete),
        ] {
            if op.is_some() {
                out.push((m, path.clone()));
            }
        }
    }
    for p in ops::PATHS {
        out.push((Method::GET, (*p).to_string()));
    }
    out.push((Method::GET, OPENAPI_PATH.to_string()));
    out.push((Method::GET, format!("{DOCS_PATH}/")));
    out
}

/// The OpenAPI document.
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api::router().split_for_parts().1;
    api::document_problems(&mut doc);
    doc
}

/// Serves `state` on `listener` until `shutdown` completes; requests in flight finish
/// (an import commits or removes what it wrote) before this returns.
///
/// # Errors
/// When serving fails (the listener breaks).
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = app(state);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Sets up logging to standard error, as text or JSON lines; `RUST_LOG` filters
/// (default `info`). Call once, from the binary.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
