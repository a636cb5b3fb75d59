//! The server's configuration: one struct built by the binary and passed explicitly.

use std::time::Duration;

use yardstick_app::access::SessionPolicy;

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The server's settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Trust `X-Forwarded-Proto` and `X-Forwarded-For` from a reverse proxy in front.
    pub behind_proxy: bool,
    /// Session lifetimes.
    pub sessions: SessionPolicy,
    /// The longest an ordinary request may take.
    pub timeout: Duration,
    /// The largest ordinary request body (JSON).
    pub body_limit: usize,
    /// The longest a bulk import may take.
    pub ingest_timeout: Duration,
    /// The largest bulk import body, streamed to disk.
    pub ingest_limit: u64,
    /// Failed logins allowed per login within [`ServerConfig::throttle_window`].
    pub failures_per_login: usize,
    /// Failed logins allowed per client address within the window.
    pub failures_per_client: usize,
    /// The window failed logins are counted over.
    pub throttle_window: Duration,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            behind_proxy: false,
            sessions: SessionPolicy::default(),
            timeout: Duration::from_secs(60),
            body_limit: 1024 * 1024,
            ingest_timeout: Duration::from_secs(60 * 60),
            ingest_limit: 8 * 1024 * 1024 * 1024,
            failures_per_login: 5,
            failures_per_client: 20,
            throttle_window: Duration::from_secs(15 * 60),
        }
    }
}
