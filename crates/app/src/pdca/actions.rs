//! Corrective actions: added to a finding with an owner, a root cause with its 5-whys, a
//! plan and a due date; moved through Plan → Do → Check → Act by dated events; listed
//! with their state. Core folds the events and refuses an event that cannot follow
//! (`yardstick_core::pdca::ActionState`); each event is appended, never changed, and
//! logged.

use chrono::{NaiveDate, Utc};
use yardstick_core::pdca::{Action, ActionEvent, ActionState, RootCause, Stage};
use yardstick_store::{NewAction, NewActionEvent};

use super::{ActionView, FindingView};
use crate::activity::Activity;
use crate::error::{Error, ErrorKind, Result};
use crate::scope::Actor;
use crate::workspace::Workspace;

/// A corrective action to add.
#[derive(Debug, Clone)]
pub struct NewActionRequest {
    /// The finding it corrects.
    pub finding: i64,
    /// Owner's login.
    pub owner: String,
    /// Root-cause category.
    pub root_cause: RootCause,
    /// The 5-whys analysis.
    pub five_whys: String,
    /// What will be done.
    pub plan: String,
    /// Due date (the finding's when `None`).
    pub due: Option<NaiveDate>,
    /// The day it is planned (today when `None`).
    pub on: Option<NaiveDate>,
}

/// Which actions to list.
#[derive(Debug, Clone, Default)]
pub struct ActionQuery {
    /// Of this site.
    pub site: Option<String>,
    /// In this stage.
    pub stage: Option<Stage>,
    /// Of this root cause.
    pub cause: Option<RootCause>,
    /// Late ones only.
    pub overdue_only: bool,
}

fn bad_event(e: &yardstick_core::pdca::ActionError) -> Error {
    Error::new(ErrorKind::Conflict, "error.action.step").detail(e.to_string())
}

impl Workspace {
    /// Every action with its events, as core's values, with its finding's site.
    pub(crate) async fn all_actions(&self) -> Result<Vec<ActionView>> {
        let rows = self
            .store
            .actions()
            .await
            .map_err(|e| crate::store_error(&e))?;
        let events = self
            .store
            .action_events()
            .await
            .map_err(|e| crate::store_error(&e))?;
        let findings = self
            .store
            .findings(false)
            .await
            .map_err(|e| crate::store_error(&e))?;
        let today = Utc::now().date_naive();
        let mut out = Vec::new();
        for r in rows {
            let evs: Vec<ActionEvent> = events
                .iter()
                .filter(|e| e.action_id == r.id)
                .map(|e| serde_json::from_str::<ActionEvent>(&e.detail_json))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| {
                    Error::new(ErrorKind::Damaged, "error.action.unreadable")
                        .arg("id", r.id)
                        .detail(e.to_string())
                })?;
            let action = Action {
                id: r.id,
                finding: r.finding_id,
                owner: r.owner,
                root_cause: RootCause::parse(&r.root_cause).ok_or_else(|| {
                    Error::new(ErrorKind::Damaged, "error.action.unreadable").arg("id", r.id)
                })?,
                five_whys: r.five_whys,
                plan: r.plan,
                events: evs,
            };
            let state = ActionState::fold(&action.events).map_err(|e| {
                Error::new(ErrorKind::Damaged, "error.action.unreadable")
                    .arg("id", r.id)
                    .detail(e.to_string())
            })?;
            let site = findings
                .iter()
                .find(|f| f.id == r.finding_id)
                .map_or_else(String::new, |f| f.site.clone());
            out.push(ActionView {
                overdue: state.overdue(today),
                state,
                action,
                site,
            });
        }
        Ok(out)
    }

    /// The actions the actor may read that pass `q`, late ones judged on `today`.
    ///
    /// # Errors
    /// Store failures.
    pub async fn actions(
        &self,
        actor: &Actor,
        q: &ActionQuery,
        today: NaiveDate,
    ) -> Result<Vec<ActionView>> {
        let org = self.require_org().await?;
        let visible = actor.finding_sites(&org);
        Ok(self
            .all_actions()
            .await?
            .into_iter()
            .map(|mut a| {
                a.overdue = a.state.overdue(today);
                a
            })
            .filter(|a| visible.site(&a.site))
            .filter(|a| q.site.as_ref().is_none_or(|s| *s == a.site))
            .filter(|a| q.stage.is_none_or(|s| s == a.state.stage))
            .filter(|a| q.cause.is_none_or(|c| c == a.action.root_cause))
            .filter(|a| !q.overdue_only || a.overdue)
            .collect())
    }

    /// One action.
    ///
    /// # Errors
    /// Not found (also outside the actor's view).
    pub async fn action(&self, actor: &Actor, id: i64, today: NaiveDate) -> Result<ActionView> {
        self.actions(actor, &ActionQuery::default(), today)
            .await?
            .into_iter()
            .find(|a| a.action.id == id)
            .ok_or_else(|| Error::not_found("error.action.not_found").arg("id", id))
    }

    /// Adds a corrective action to an open finding.
    ///
    /// # Errors
    /// Not found; forbidden unless admin, a quality manager or the site's manager; a
    /// conflict when the finding is closed; input errors for an empty plan or analysis.
    pub async fn add_action(&self, actor: &Actor, req: &NewActionRequest) -> Result<ActionView> {
        let today = Utc::now().date_naive();
        let on = req.on.unwrap_or(today);
        let f: FindingView = self.finding(actor, req.finding, on).await?;
        let org = self.require_org().await?;
        actor.require_action_write(&org, &f.finding.site)?;
        if !f.finding.is_open() {
            return Err(
                Error::new(ErrorKind::Conflict, "error.finding.closed").arg("id", req.finding)
            );
        }
        if req.plan.trim().is_empty() || req.five_whys.trim().is_empty() {
            return Err(Error::input("error.action.empty"));
        }
        let owner = crate::access::normalise_login(&req.owner)?;
        let due = req.due.unwrap_or(f.finding.due_on);
        let first = ActionEvent::Planned { on, due };
        ActionState::fold(std::slice::from_ref(&first)).map_err(|e| bad_event(&e))?;
        let id = self
            .store
            .create_action(
                &NewAction {
                    finding_id: req.finding,
                    owner: owner.clone(),
                    root_cause: req.root_cause.as_str().to_string(),
                    five_whys: req.five_whys.trim().to_string(),
                    plan: req.plan.trim().to_string(),
                    created_by: actor.login().map(str::to_string),
                },
                &event_row(&first, actor)?,
                Utc::now(),
            )
            .await
            .map_err(|e| crate::store_error(&e))?;
        self.log(
            actor,
            Activity::new("action.add").object(&id.to_string()).detail(serde_json::json!({
                "finding": req.finding, "owner": owner, "root_cause": req.root_cause, "due": due, "on": on,
            })),
        )
        .await?;
        self.action(actor, id, today).await
    }

    /// Appends an event to an action, after core has checked it follows.
    pub(crate) async fn append_action(
        &self,
        actor: &Actor,
        a: &ActionView,
        e: &ActionEvent,
    ) -> Result<ActionState> {
        let next = a.state.apply(e).map_err(|x| bad_event(&x))?;
        self.store
            .append_action_event(a.action.id, &event_row(e, actor)?, Utc::now())
            .await
            .map_err(|x| crate::store_error(&x))?;
        self.log(
            actor,
            Activity::new(match e {
                ActionEvent::Planned { .. } => "action.planned",
                ActionEvent::Started { .. } => "action.start",
                ActionEvent::Done { .. } => "action.done",
                ActionEvent::Verified { .. } => "action.verify",
                ActionEvent::Standardised { .. } => "action.act",
                ActionEvent::Replanned { .. } => "action.replan",
                ActionEvent::Escalated { .. } => "action.escalate",
            })
            .object(&a.action.id.to_string())
            .detail(serde_json::to_value(e).unwrap_or(serde_json::Value::Null)),
        )
        .await?;
        Ok(next)
    }

    async fn step(
        &self,
        actor: &Actor,
        id: i64,
        make: impl FnOnce(NaiveDate) -> ActionEvent,
        on: Option<NaiveDate>,
    ) -> Result<ActionView> {
        let today = Utc::now().date_naive();
        let a = self.action(actor, id, today).await?;
        let org = self.require_org().await?;
        actor.require_action_write(&org, &a.site)?;
        let e = make(on.unwrap_or(today));
        self.append_action(actor, &a, &e).await?;
        self.action(actor, id, today).await
    }

    /// Plan → Do.
    ///
    /// # Errors
    /// Not found; forbidden; a conflict when not in Plan or dated before its last event.
    pub async fn start_action(
        &self,
        actor: &Actor,
        id: i64,
        on: Option<NaiveDate>,
    ) -> Result<ActionView> {
        self.step(actor, id, |on| ActionEvent::Started { on }, on)
            .await
    }

    /// Do → Check: the work is done; the data will say whether it worked.
    ///
    /// # Errors
    /// As [`Workspace::start_action`].
    pub async fn done_action(
        &self,
        actor: &Actor,
        id: i64,
        on: Option<NaiveDate>,
    ) -> Result<ActionView> {
        self.step(actor, id, |on| ActionEvent::Done { on }, on)
            .await
    }

    /// Act → closed: what worked became the standard (a procedure, a script, training).
    ///
    /// # Errors
    /// As [`Workspace::start_action`]; an input error without a note.
    pub async fn standardise_action(
        &self,
        actor: &Actor,
        id: i64,
        note: &str,
        on: Option<NaiveDate>,
    ) -> Result<ActionView> {
        if note.trim().is_empty() {
            return Err(Error::input("error.action.empty"));
        }
        let note = note.trim().to_string();
        self.step(actor, id, |on| ActionEvent::Standardised { on, note }, on)
            .await
    }

    /// A new due date for an action in Plan or Do, with why.
    ///
    /// # Errors
    /// As [`Workspace::start_action`].
    pub async fn replan_action(
        &self,
        actor: &Actor,
        id: i64,
        due: NaiveDate,
        note: &str,
        on: Option<NaiveDate>,
    ) -> Result<ActionView> {
        let note = note.trim().to_string();
        self.step(actor, id, |on| ActionEvent::Replanned { on, due, note }, on)
            .await
    }
}

fn event_row(e: &ActionEvent, actor: &Actor) -> Result<NewActionEvent> {
    Ok(NewActionEvent {
        event: e.name().to_string(),
        on_date: e.on().to_string(),
        detail_json: serde_json::to_string(e)
            .map_err(|x| Error::internal("error.internal.json").detail(x.to_string()))?,
        actor: actor.login().map(str::to_string),
    })
}

/// An action's lateness on a day, for lists.
#[must_use]
pub fn days_late(a: &Action, today: NaiveDate) -> Option<i64> {
    let s = ActionState::fold(&a.events).ok()?;
    s.overdue(today).then(|| (today - s.due).num_days())
}
