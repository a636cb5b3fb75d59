//! The activity log: every write appends who, when, from where and what to an
//! append-only table (the database refuses to change or delete a row). Admins read it.

use chrono::Utc;
use serde::Serialize;
use yardstick_store::{ActivityFilter, NewActivity};

use crate::error::Result;
use crate::scope::Actor;
use crate::workspace::Workspace;

/// How the actor of an entry acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// The command line on the data directory's machine.
    Cli,
    /// A browser session.
    Session,
    /// An API token.
    Token,
    /// The system itself (scheduled work).
    System,
}

impl ActorKind {
    fn as_str(self) -> &'static str {
        match self {
            ActorKind::Cli => "cli",
            ActorKind::Session => "session",
            ActorKind::Token => "token",
            ActorKind::System => "system",
        }
    }
}

/// An entry about to be written.
#[derive(Debug, Clone)]
pub struct Activity {
    action: &'static str,
    object: Option<String>,
    detail: serde_json::Value,
}

impl Activity {
    /// An entry for an action (`ingest`, `evaluation.freeze`, `user.add`…).
    #[must_use]
    pub fn new(action: &'static str) -> Activity {
        Activity {
            action,
            object: None,
            detail: serde_json::Value::Object(serde_json::Map::new()),
        }
    }

    /// The object acted on (a login, a batch id, an evaluation id).
    #[must_use]
    pub fn object(mut self, object: &str) -> Activity {
        self.object = Some(object.to_string());
        self
    }

    /// Details as JSON.
    #[must_use]
    pub fn detail(mut self, detail: serde_json::Value) -> Activity {
        self.detail = detail;
        self
    }
}

/// One entry read back.
#[derive(Debug, Clone, Serialize)]
pub struct ActivityEntry {
    /// Id (increasing).
    pub id: i64,
    /// When.
    pub at: String,
    /// Who (a login), if anyone.
    pub actor: Option<String>,
    /// How: cli, session, token, system.
    pub actor_kind: String,
    /// From where (client address).
    pub client: Option<String>,
    /// What.
    pub action: String,
    /// On what.
    pub object: Option<String>,
    /// Details.
    pub detail: serde_json::Value,
}

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct ActivityQuery {
    /// From this instant (included).
    pub since: Option<chrono::DateTime<Utc>>,
    /// Up to this instant (excluded).
    pub until: Option<chrono::DateTime<Utc>>,
    /// By this login.
    pub actor: Option<String>,
    /// Actions starting with this.
    pub action_prefix: Option<String>,
    /// Entries older than this id (the next page).
    pub before_id: Option<i64>,
    /// At most this many (1–1000; default 100).
    pub limit: Option<u32>,
}

impl Workspace {
    /// Appends an entry for what `actor` did.
    pub(crate) async fn log(&self, actor: &Actor, a: Activity) -> Result<()> {
        let (login, kind, client) = actor.for_log();
        self.log_as_opt(login, kind, client, a).await
    }

    /// Appends an entry for a named actor (sign-in, where no actor exists yet).
    pub(crate) async fn log_as(
        &self,
        login: &str,
        kind: ActorKind,
        client: Option<&str>,
        a: Activity,
    ) -> Result<()> {
        self.log_as_opt(Some(login), kind, client, a).await
    }

    async fn log_as_opt(
        &self,
        login: Option<&str>,
        kind: ActorKind,
        client: Option<&str>,
        a: Activity,
    ) -> Result<()> {
        self.store
            .append_activity(&NewActivity {
                at: Utc::now(),
                actor: login.map(str::to_string),
                actor_kind: kind.as_str().to_string(),
                client: client.map(str::to_string),
                action: a.action.to_string(),
                object: a.object,
                detail_json: a.detail.to_string(),
            })
            .await
            .map(|_| ())
            .map_err(|e| self.store_error(&e))
    }

    /// Entries, newest first.
    ///
    /// # Errors
    /// Forbidden for non-admins.
    pub async fn activity(&self, actor: &Actor, q: &ActivityQuery) -> Result<Vec<ActivityEntry>> {
        actor.require_admin()?;
        let rows = self
            .store
            .activity(&ActivityFilter {
                since: q.since,
                until: q.until,
                actor: q.actor.clone(),
                action_prefix: q.action_prefix.clone(),
                before_id: q.before_id,
                limit: q.limit.unwrap_or(100).clamp(1, 1000),
            })
            .await
            .map_err(|e| self.store_error(&e))?;
        Ok(rows
            .into_iter()
            .map(|r| ActivityEntry {
                id: r.id,
                at: r.at,
                actor: r.actor,
                actor_kind: r.actor_kind,
                client: r.client,
                action: r.action,
                object: r.object,
                detail: serde_json::from_str(&r.detail_json).unwrap_or(serde_json::Value::Null),
            })
            .collect())
    }
}
