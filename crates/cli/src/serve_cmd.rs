//! `yardstick serve`: the HTTP server on a data directory (embedded SQLite or
//! `--database postgres://…`) until SIGINT or SIGTERM; requests in flight finish (an
//! import commits or removes what it wrote) before the process ends.

use std::net::SocketAddr;

use clap::{Args, ValueEnum};
use yardstick_app::{Error, Workspace};
use yardstick_core::t;
use yardstick_core::vocab::Lang;
use yardstick_server::{AppState, LogFormat, ServerConfig};

use crate::data_cmd::open;
use crate::{Ctx, outln};

/// Log format.
#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq, Debug)]
pub enum LogFormatArg {
    /// Readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// `serve` arguments.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Behind a reverse proxy: trust its X-Forwarded-Proto (Secure cookies over HTTPS)
    /// and X-Forwarded-For (client addresses). Only with a proxy that sets both.
    #[arg(long)]
    pub behind_proxy: bool,
    /// Log format (to standard error).
    #[arg(long, value_enum, default_value_t)]
    pub log_format: LogFormatArg,
}

/// `yardstick serve`.
pub async fn serve(ctx: &Ctx, args: &ServeArgs) -> Result<u8, Error> {
    let ws = open(ctx).await?;
    serve_workspace(ws, args, ctx.lang).await
}

/// Serves a workspace until a shutdown signal.
pub async fn serve_workspace(ws: Workspace, args: &ServeArgs, lang: Lang) -> Result<u8, Error> {
    yardstick_server::init_logging(match args.log_format {
        LogFormatArg::Text => LogFormat::Text,
        LogFormatArg::Json => LogFormat::Json,
    });
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| {
            Error::input("error.serve.bind")
                .arg("addr", args.listen)
                .detail(e.to_string())
        })?;
    let addr = listener.local_addr().unwrap_or(args.listen);
    let config = ServerConfig {
        behind_proxy: args.behind_proxy,
        ..ServerConfig::default()
    };
    outln!(
        "{}",
        t!(lang, "serve.listening", url = format!("http://{addr}"))
    )?;
    outln!("{}", t!(lang, "serve.stop"))?;
    tracing::info!(%addr, behind_proxy = args.behind_proxy, "serving");
    yardstick_server::run(listener, AppState::new(ws, config), shutdown_signal())
        .await
        .map_err(|e| Error::internal("error.serve.failed").detail(e.to_string()))?;
    tracing::info!("stopped");
    Ok(0)
}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
    tracing::info!("shutting down: requests in flight finish first");
}
