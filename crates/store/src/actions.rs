//! Corrective actions and their events, and the decisions of management reviews. What
//! an action is (finding, owner, root cause, 5-whys, plan) never changes; its life is the
//! list of its events (the application folds them into a stage). The database refuses
//! to change or delete any of these rows.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::row::Columns;
use crate::{BeginWrite, Result, Store, ts};

/// An action about to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    /// The finding it corrects.
    pub finding_id: i64,
    /// Owner's login.
    pub owner: String,
    /// Root-cause category.
    pub root_cause: String,
    /// 5-whys analysis.
    pub five_whys: String,
    /// Plan.
    pub plan: String,
    /// Who created it.
    pub created_by: Option<String>,
}

/// An event about to be appended to an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewActionEvent {
    /// Event name (`planned`, `started`…).
    pub event: String,
    /// The day it is dated.
    pub on_date: String,
    /// The event as JSON.
    pub detail_json: String,
    /// Who.
    pub actor: Option<String>,
}

/// A stored action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionRow {
    /// Id.
    pub id: i64,
    /// Finding.
    pub finding_id: i64,
    /// Owner.
    pub owner: String,
    /// Root cause.
    pub root_cause: String,
    /// 5-whys.
    pub five_whys: String,
    /// Plan.
    pub plan: String,
    /// Who created it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: String,
}

/// A stored event of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionEventRow {
    /// Id (increasing in the order events were appended).
    pub id: i64,
    /// Action.
    pub action_id: i64,
    /// Event name.
    pub event: String,
    /// Day.
    pub on_date: String,
    /// The event as JSON.
    pub detail_json: String,
    /// Who.
    pub actor: Option<String>,
    /// When recorded.
    pub at: String,
}

/// A decision about to be recorded against a management review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDecision {
    /// Scope reviewed.
    pub scope: String,
    /// Period reviewed.
    pub period: String,
    /// The decision.
    pub text: String,
    /// Who carries it out.
    pub owner: Option<String>,
    /// By when (`YYYY-MM-DD`).
    pub due_on: Option<String>,
    /// Who recorded it.
    pub actor: Option<String>,
}

/// A decision recorded against a management review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionRow {
    /// Id.
    pub id: i64,
    /// Scope reviewed.
    pub scope: String,
    /// Period reviewed.
    pub period: String,
    /// The decision.
    pub text: String,
    /// Who carries it out.
    pub owner: Option<String>,
    /// By when (`YYYY-MM-DD`).
    pub due_on: Option<String>,
    /// Who recorded it.
    pub actor: Option<String>,
    /// When.
    pub at: String,
}

const INSERT_ACTION: &str = "INSERT INTO corrective_action (finding_id, owner, root_cause, \
     five_whys, plan, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
const INSERT_EVENT: &str = "INSERT INTO action_event (action_id, event, on_date, detail_json, \
     actor, at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
const ACTIONS: &str = "SELECT id, finding_id, owner, root_cause, five_whys, plan, created_by, \
     created_at FROM corrective_action ORDER BY id";
const EVENTS: &str = "SELECT id, action_id, event, on_date, detail_json, actor, at \
     FROM action_event ORDER BY action_id, id";
const INSERT_DECISION: &str = "INSERT INTO review_decision (scope, period, text, owner, due_on, \
     actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
const DECISIONS: &str = "SELECT id, scope, period, text, owner, due_on, actor, at \
     FROM review_decision WHERE scope = $1 AND period = $2 ORDER BY id";

macro_rules! insert_event {
    ($ex:expr, $action:expr, $e:expr, $at:expr) => {
        sqlx::query_scalar::<_, i64>(INSERT_EVENT)
            .bind($action)
            .bind(&$e.event)
            .bind(&$e.on_date)
            .bind(&$e.detail_json)
            .bind($e.actor.as_deref())
            .bind($at)
            .fetch_one($ex)
            .await
    };
}

impl Store {
    /// Creates an action with its first event (its plan and due date), in one
    /// transaction, and returns its id.
    ///
    /// # Errors
    /// On database failure (an unknown finding, an unknown root cause).
    pub async fn create_action(
        &self,
        a: &NewAction,
        first: &NewActionEvent,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let at = ts(now);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = sqlx::query_scalar(INSERT_ACTION)
                .bind(a.finding_id)
                .bind(&a.owner)
                .bind(&a.root_cause)
                .bind(&a.five_whys)
                .bind(&a.plan)
                .bind(a.created_by.as_deref())
                .bind(&at)
                .fetch_one(&mut *tx)
                .await?;
            insert_event!(&mut *tx, id, first, &at)?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Appends an event to an action.
    ///
    /// # Errors
    /// On database failure.
    pub async fn append_action_event(
        &self,
        action_id: i64,
        e: &NewActionEvent,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let at = ts(now);
        with_pool!(self, p => Ok(insert_event!(p, action_id, e, &at)?))
    }

    /// Every action, by id.
    ///
    /// # Errors
    /// On database failure.
    pub async fn actions(&self) -> Result<Vec<ActionRow>> {
        with_pool!(self, p => {
            sqlx::query(ACTIONS).fetch_all(p).await?.iter().map(action_row).collect()
        })
    }

    /// Every action event, by action then id.
    ///
    /// # Errors
    /// On database failure.
    pub async fn action_events(&self) -> Result<Vec<ActionEventRow>> {
        with_pool!(self, p => {
            sqlx::query(EVENTS).fetch_all(p).await?.iter().map(event_row).collect()
        })
    }

    /// Records a decision against the review of its scope and period.
    ///
    /// # Errors
    /// On database failure (an empty text is refused).
    pub async fn add_decision(&self, d: &NewDecision, now: DateTime<Utc>) -> Result<i64> {
        let at = ts(now);
        with_pool!(self, p => {
            Ok(sqlx::query_scalar(INSERT_DECISION)
                .bind(&d.scope)
                .bind(&d.period)
                .bind(&d.text)
                .bind(d.owner.as_deref())
                .bind(d.due_on.as_deref())
                .bind(d.actor.as_deref())
                .bind(&at)
                .fetch_one(p)
                .await?)
        })
    }

    /// The decisions recorded against the review of `scope` and `period`, oldest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn decisions(&self, scope: &str, period: &str) -> Result<Vec<DecisionRow>> {
        with_pool!(self, p => {
            sqlx::query(DECISIONS)
                .bind(scope)
                .bind(period)
                .fetch_all(p)
                .await?
                .iter()
                .map(decision_row)
                .collect()
        })
    }
}

fn action_row(r: &impl Columns) -> Result<ActionRow> {
    Ok(ActionRow {
        id: r.int("id")?,
        finding_id: r.int("finding_id")?,
        owner: r.text("owner")?,
        root_cause: r.text("root_cause")?,
        five_whys: r.text("five_whys")?,
        plan: r.text("plan")?,
        created_by: r.opt_text("created_by")?,
        created_at: r.text("created_at")?,
    })
}

fn event_row(r: &impl Columns) -> Result<ActionEventRow> {
    Ok(ActionEventRow {
        id: r.int("id")?,
        action_id: r.int("action_id")?,
        event: r.text("event")?,
        on_date: r.text("on_date")?,
        detail_json: r.text("detail_json")?,
        actor: r.opt_text("actor")?,
        at: r.text("at")?,
    })
}

fn decision_row(r: &impl Columns) -> Result<DecisionRow> {
    Ok(DecisionRow {
        id: r.int("id")?,
        scope: r.text("scope")?,
        period: r.text("period")?,
        text: r.text("text")?,
        owner: r.opt_text("owner")?,
        due_on: r.opt_text("due_on")?,
        actor: r.opt_text("actor")?,
        at: r.text("at")?,
    })
}
