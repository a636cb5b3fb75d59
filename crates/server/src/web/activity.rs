//! `GET /activity`: the activity log for administrators — who did what, when, how and
//! from where, newest first, a hundred entries a page, filtered by login, by the start
//! of the action's name and by days. Days are UTC days and instants are shown as stored
//! (RFC 3339, UTC): the log is the server's, whatever its readers' zones.

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{NaiveDate, TimeZone, Utc};
use minijinja::context;
use serde::{Deserialize, Serialize};
use yardstick_app::activity::ActivityQuery;

use super::format::url_encode;
use super::{Reader, WebError, text};
use crate::AppState;

/// Entries per page.
const PAGE: u32 = 100;

/// The page's filters and position.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ActivityParams {
    actor: Option<String>,
    action: Option<String>,
    since: Option<String>,
    until: Option<String>,
    before: Option<i64>,
}

/// One entry as shown.
#[derive(Debug, Serialize)]
struct Row {
    id: i64,
    at: String,
    actor: String,
    via: String,
    client: String,
    action: String,
    object: String,
    detail: String,
}

/// A UTC day `YYYY-MM-DD` as its first instant; an input error naming the field.
fn day(
    field: &'static str,
    value: Option<&str>,
) -> Result<Option<chrono::DateTime<Utc>>, WebError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let d = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
        yardstick_app::Error::input("error.activity.day")
            .arg_localised("field", yardstick_app::error::in_both(|l| text(l, field)))
            .arg("day", yardstick_app::error::quoted(v, 40))
    })?;
    Ok(d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t)))
}

/// A filter's text, trimmed; `None` when empty.
fn filled(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// `GET /activity` (administrators; others are refused by the use case).
pub(crate) async fn activity(
    State(state): State<AppState>,
    reader: Reader,
    Query(q): Query<ActivityParams>,
) -> Result<Response, WebError> {
    let lang = reader.lang;
    let since = day("web.activity.since", q.since.as_deref())?;
    // `until` names the last day shown: entries up to the end of it.
    let until =
        day("web.activity.until", q.until.as_deref())?.map(|t| t + chrono::Duration::days(1));
    let entries = state
        .workspace
        .activity(
            reader.actor(),
            &ActivityQuery {
                since,
                until,
                actor: filled(&q.actor).map(str::to_string),
                action_prefix: filled(&q.action).map(str::to_string),
                before_id: q.before,
                // One more than a page tells whether another page follows.
                limit: Some(PAGE + 1),
            },
        )
        .await?;
    let more = entries.len() > PAGE as usize;
    let rows: Vec<Row> = entries
        .into_iter()
        .take(PAGE as usize)
        .map(|e| Row {
            id: e.id,
            at: e.at,
            actor: e.actor.unwrap_or_else(|| "—".into()),
            via: text(
                lang,
                &format!("web.activity.via.{}", via_key(&e.actor_kind)),
            ),
            client: e.client.unwrap_or_else(|| "—".into()),
            action: e.action,
            object: e.object.unwrap_or_default(),
            detail: if e.detail.is_null() {
                String::new()
            } else {
                e.detail.to_string()
            },
        })
        .collect();
    let filters = format!(
        "actor={}&action={}&since={}&until={}",
        url_encode(filled(&q.actor).unwrap_or("")),
        url_encode(filled(&q.action).unwrap_or("")),
        url_encode(filled(&q.since).unwrap_or("")),
        url_encode(filled(&q.until).unwrap_or("")),
    );
    let next = more.then(|| rows.last().map(|r| r.id)).flatten();
    reader.page(
        "activity.html",
        "admin",
        context! {
            rows => rows,
            actor => filled(&q.actor).unwrap_or(""),
            action => filled(&q.action).unwrap_or(""),
            since => filled(&q.since).unwrap_or(""),
            until => filled(&q.until).unwrap_or(""),
            filters => filters,
            next => next,
            first => q.before.is_some(),
        },
    )
}

/// The catalogue word for how an actor acted (`cli`, `session`, `token`, `system`); an
/// unknown kind reads as `other`.
fn via_key(kind: &str) -> &'static str {
    match kind {
        "cli" => "cli",
        "session" => "session",
        "token" => "token",
        "system" => "system",
        _ => "other",
    }
}
