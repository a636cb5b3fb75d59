//! The activity log: who did what, when, from where. Append-only: the database refuses
//! to change or delete an entry (triggers in both backends), so the log is a record the
//! application itself cannot rewrite. Read newest first, a page at a time (keyset paging
//! by id).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::row::Columns;
use crate::{Result, Store, ts};

/// An entry about to be appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewActivity {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it (a login), when known.
    pub actor: Option<String>,
    /// How the actor came: `cli`, `session`, `token` or `system` (the database refuses
    /// others).
    pub actor_kind: String,
    /// The client's address, when there is one.
    pub client: Option<String>,
    /// What was done: `login`, `login_failed`, `user.add`, `grant.add`, `token.create`,
    /// `ingest`, `evaluation.freeze`…
    pub action: String,
    /// What it was done to (a login, a batch, an evaluation…), when anything.
    pub object: Option<String>,
    /// Details as JSON, as the application wrote them.
    pub detail_json: String,
}

/// An entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityRow {
    /// Id, from the database (increasing in the order entries were appended).
    pub id: i64,
    /// When it happened (RFC 3339, UTC).
    pub at: String,
    /// Who did it.
    pub actor: Option<String>,
    /// `cli`, `session`, `token` or `system`.
    pub actor_kind: String,
    /// The client's address.
    pub client: Option<String>,
    /// What was done.
    pub action: String,
    /// What it was done to.
    pub object: Option<String>,
    /// Details as JSON.
    pub detail_json: String,
}

/// Which entries to read: every condition given holds for each entry returned.
/// `ActivityFilter::default()` has a limit of 0, which returns nothing: set one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityFilter {
    /// Entries at or after this instant. An instant rather than text: it is compared
    /// with the stored text, which is only right in the store's one format.
    pub since: Option<DateTime<Utc>>,
    /// Entries before this instant (strictly).
    pub until: Option<DateTime<Utc>>,
    /// Entries of this actor (exactly).
    pub actor: Option<String>,
    /// Entries whose action starts with this text (case matters; `user.` gives every
    /// user action; `%` and `_` are plain characters).
    pub action_prefix: Option<String>,
    /// Entries with an id below this one: the last id of the previous page.
    pub before_id: Option<i64>,
    /// At most this many entries.
    pub limit: u32,
}

const INSERT_ACTIVITY: &str = "INSERT INTO activity (at, actor, actor_kind, client, action, \
     object, detail_json) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
const ACTIVITY_COLUMNS: &str = "SELECT id, at, actor, actor_kind, client, action, object, \
     detail_json FROM activity WHERE TRUE";

impl Store {
    /// Appends an entry and returns its id, which the database assigns (above every id
    /// appended before it in the same database).
    ///
    /// # Errors
    /// [`crate::StoreError::Refused`] with [`crate::Constraint::ActivityActorKind`] for an
    /// unknown actor kind; any database failure.
    pub async fn append_activity(&self, a: &NewActivity) -> Result<i64> {
        let at = ts(a.at);
        with_pool!(self, p => {
            Ok(sqlx::query_scalar(INSERT_ACTIVITY)
                .bind(&at)
                .bind(a.actor.as_deref())
                .bind(&a.actor_kind)
                .bind(a.client.as_deref())
                .bind(&a.action)
                .bind(a.object.as_deref())
                .bind(&a.detail_json)
                .fetch_one(p)
                .await?)
        })
    }

    /// The entries that pass `filter`, newest first (by id, the order they were
    /// appended in), at most `filter.limit`. The next page: the same filter with
    /// `before_id` set to the last id of this one; every entry shows on one page only.
    ///
    /// # Errors
    /// On database failure.
    pub async fn activity(&self, filter: &ActivityFilter) -> Result<Vec<ActivityRow>> {
        let since = filter.since.map(ts);
        let until = filter.until.map(ts);
        with_pool!(self, p => {
            // Only the conditions given are in the statement, so that each can use what
            // the planner has for it.
            let mut q = sqlx::QueryBuilder::new(ACTIVITY_COLUMNS);
            if let Some(since) = &since {
                q.push(" AND at >= ").push_bind(since.as_str());
            }
            if let Some(until) = &until {
                q.push(" AND at < ").push_bind(until.as_str());
            }
            if let Some(actor) = &filter.actor {
                q.push(" AND actor = ").push_bind(actor.as_str());
            }
            if let Some(prefix) = &filter.action_prefix {
                // Not LIKE: SQLite's ignores ASCII case and PostgreSQL's does not, and
                // both read `%` and `_` as wildcards. The first characters, compared.
                q.push(" AND substr(action, 1, length(")
                    .push_bind(prefix.as_str())
                    .push(")) = ")
                    .push_bind(prefix.as_str());
            }
            if let Some(before) = filter.before_id {
                q.push(" AND id < ").push_bind(before);
            }
            q.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(filter.limit));
            q.build().fetch_all(p).await?.iter().map(activity_row).collect()
        })
    }
}

fn activity_row(r: &impl Columns) -> Result<ActivityRow> {
    Ok(ActivityRow {
        id: r.int("id")?,
        at: r.text("at")?,
        actor: r.opt_text("actor")?,
        actor_kind: r.text("actor_kind")?,
        client: r.opt_text("client")?,
        action: r.text("action")?,
        object: r.opt_text("object")?,
        detail_json: r.text("detail_json")?,
    })
}
