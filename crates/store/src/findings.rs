//! Findings and their history. A finding row never changes except by being closed,
//! once; everything that happens to it is an event appended to its history (the
//! database refuses other changes). One open finding per (site, source, subject): a
//! second is refused ([`crate::Constraint::FindingOpen`]).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::row::Columns;
use crate::{BeginWrite, Result, Store, ts};

/// A finding about to be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFinding {
    /// Site.
    pub site: String,
    /// Source (`indicator_floor`, `hard_limit`, `audit_item`, `complaint_cluster`,
    /// `trend`, `manual`).
    pub source: String,
    /// Subject.
    pub subject: String,
    /// Severity (`critical`, `major`, `minor`).
    pub severity: String,
    /// Clause.
    pub clause: Option<String>,
    /// Indicator.
    pub indicator: Option<String>,
    /// Item.
    pub item: Option<String>,
    /// The day it is dated (`YYYY-MM-DD`).
    pub opened_on: String,
    /// Due day.
    pub due_on: String,
    /// Title (manual findings; "" otherwise).
    pub title: String,
    /// Who opened it (none: raised automatically).
    pub created_by: Option<String>,
}

/// An event about to be appended to a finding's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFindingEvent {
    /// `opened`, `repeated` or `closed`.
    pub kind: String,
    /// The day it is dated.
    pub on_date: String,
    /// Period or audit day.
    pub period: Option<String>,
    /// Evidence as JSON.
    pub evidence_json: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// Who.
    pub actor: Option<String>,
}

/// A stored finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRow {
    /// Id.
    pub id: i64,
    /// Site.
    pub site: String,
    /// Source.
    pub source: String,
    /// Subject.
    pub subject: String,
    /// Severity.
    pub severity: String,
    /// Clause.
    pub clause: Option<String>,
    /// Indicator.
    pub indicator: Option<String>,
    /// Item.
    pub item: Option<String>,
    /// Day opened.
    pub opened_on: String,
    /// Due day.
    pub due_on: String,
    /// Title.
    pub title: String,
    /// Who opened it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: String,
    /// Day closed.
    pub closed_on: Option<String>,
    /// When closed.
    pub closed_at: Option<String>,
}

/// A stored event of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingEventRow {
    /// Id (increasing in the order events were appended).
    pub id: i64,
    /// Finding.
    pub finding_id: i64,
    /// Kind.
    pub kind: String,
    /// Day.
    pub on_date: String,
    /// Period.
    pub period: Option<String>,
    /// Evidence as JSON.
    pub evidence_json: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// Who.
    pub actor: Option<String>,
    /// When recorded.
    pub at: String,
}

/// Appends one event on a connection or inside a transaction (a macro: the same text is
/// compiled for each backend's executor).
macro_rules! insert_event {
    ($ex:expr, $finding:expr, $e:expr, $at:expr) => {
        sqlx::query_scalar::<_, i64>(INSERT_EVENT)
            .bind($finding)
            .bind(&$e.kind)
            .bind(&$e.on_date)
            .bind($e.period.as_deref())
            .bind($e.evidence_json.as_deref())
            .bind($e.note.as_deref())
            .bind($e.actor.as_deref())
            .bind($at)
            .fetch_one($ex)
            .await
    };
}

const INSERT_FINDING: &str = "INSERT INTO finding (site, source, subject, severity, clause, \
     indicator, item, opened_on, due_on, title, created_by, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id";
const INSERT_EVENT: &str = "INSERT INTO finding_event (finding_id, kind, on_date, period, \
     evidence_json, note, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
const CLOSE: &str = "UPDATE finding SET closed_on = $1, closed_at = $2 \
     WHERE id = $3 AND closed_at IS NULL";
const FINDING_COLUMNS: &str = "SELECT id, site, source, subject, severity, clause, indicator, \
     item, opened_on, due_on, title, created_by, created_at, closed_on, closed_at FROM finding";
const EVENTS: &str = "SELECT id, finding_id, kind, on_date, period, evidence_json, note, actor, \
     at FROM finding_event WHERE finding_id IN (";

impl Store {
    /// Opens a finding with its first event, in one transaction, and returns its id.
    ///
    /// # Errors
    /// [`crate::Constraint::FindingOpen`] when an open finding has the same site, source
    /// and subject; any database failure.
    pub async fn open_finding(
        &self,
        f: &NewFinding,
        first: &NewFindingEvent,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let at = ts(now);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = sqlx::query_scalar(INSERT_FINDING)
                .bind(&f.site)
                .bind(&f.source)
                .bind(&f.subject)
                .bind(&f.severity)
                .bind(f.clause.as_deref())
                .bind(f.indicator.as_deref())
                .bind(f.item.as_deref())
                .bind(&f.opened_on)
                .bind(&f.due_on)
                .bind(&f.title)
                .bind(f.created_by.as_deref())
                .bind(&at)
                .fetch_one(&mut *tx)
                .await?;
            insert_event!(&mut *tx, id, first, &at)?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Appends an event to a finding's history.
    ///
    /// # Errors
    /// On database failure.
    pub async fn append_finding_event(
        &self,
        finding_id: i64,
        e: &NewFindingEvent,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let at = ts(now);
        with_pool!(self, p => {
            Ok(insert_event!(p, finding_id, e, &at)?)
        })
    }

    /// Closes an open finding on `on_date` and appends the `closed` event, in one
    /// transaction. Returns whether it was open.
    ///
    /// # Errors
    /// On database failure.
    pub async fn close_finding(
        &self,
        finding_id: i64,
        e: &NewFindingEvent,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let at = ts(now);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = sqlx::query(CLOSE)
                .bind(&e.on_date)
                .bind(&at)
                .bind(finding_id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            insert_event!(&mut *tx, finding_id, e, &at)?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Findings by id; only the open ones when `open_only`.
    ///
    /// # Errors
    /// On database failure.
    pub async fn findings(&self, open_only: bool) -> Result<Vec<FindingRow>> {
        let sql = if open_only {
            sqlx::AssertSqlSafe(format!(
                "{FINDING_COLUMNS} WHERE closed_at IS NULL ORDER BY id"
            ))
        } else {
            sqlx::AssertSqlSafe(format!("{FINDING_COLUMNS} ORDER BY id"))
        };
        with_pool!(self, p => {
            sqlx::query(sql).fetch_all(p).await?.iter().map(finding_row).collect()
        })
    }

    /// One finding; `None` when there is none with this id.
    ///
    /// # Errors
    /// On database failure.
    pub async fn finding(&self, id: i64) -> Result<Option<FindingRow>> {
        let sql = sqlx::AssertSqlSafe(format!("{FINDING_COLUMNS} WHERE id = $1"));
        with_pool!(self, p => {
            match sqlx::query(sql).bind(id).fetch_optional(p).await? {
                Some(r) => Ok(Some(finding_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    /// The events of some findings, by finding then id.
    ///
    /// # Errors
    /// On database failure.
    pub async fn finding_events(&self, ids: &[i64]) -> Result<Vec<FindingEventRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self, p => {
            let mut q = sqlx::QueryBuilder::new(EVENTS);
            let mut sep = q.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            q.push(") ORDER BY finding_id, id");
            q.build().fetch_all(p).await?.iter().map(event_row).collect()
        })
    }
}

fn finding_row(r: &impl Columns) -> Result<FindingRow> {
    Ok(FindingRow {
        id: r.int("id")?,
        site: r.text("site")?,
        source: r.text("source")?,
        subject: r.text("subject")?,
        severity: r.text("severity")?,
        clause: r.opt_text("clause")?,
        indicator: r.opt_text("indicator")?,
        item: r.opt_text("item")?,
        opened_on: r.text("opened_on")?,
        due_on: r.text("due_on")?,
        title: r.text("title")?,
        created_by: r.opt_text("created_by")?,
        created_at: r.text("created_at")?,
        closed_on: r.opt_text("closed_on")?,
        closed_at: r.opt_text("closed_at")?,
    })
}

fn event_row(r: &impl Columns) -> Result<FindingEventRow> {
    Ok(FindingEventRow {
        id: r.int("id")?,
        finding_id: r.int("finding_id")?,
        kind: r.text("kind")?,
        on_date: r.text("on_date")?,
        period: r.opt_text("period")?,
        evidence_json: r.opt_text("evidence_json")?,
        note: r.opt_text("note")?,
        actor: r.opt_text("actor")?,
        at: r.text("at")?,
    })
}
