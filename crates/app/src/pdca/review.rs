//! The management review (管理评审) of a scope and period: core's review of the period's
//! frozen evaluation, the frozen evaluations of the periods before it (trends), the
//! findings and actions of the scope's sites — with the decisions recorded against it.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use yardstick_core::evaluate::Evaluation;
use yardstick_core::pdca::{self, Review, ReviewInputs};
use yardstick_core::period::Period;
use yardstick_core::vocab::Text;
use yardstick_store::DecisionRow;

use crate::activity::Activity;
use crate::error::{Error, ErrorKind, Result};
use crate::scope::Actor;
use crate::workspace::Workspace;

/// How many periods before the reviewed one its trends show.
pub const REVIEW_TREND_PERIODS: u32 = 3;

/// A review with what it is read with.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewDocument {
    /// The review.
    #[serde(flatten)]
    pub review: Review,
    /// Names of the sites and the scope.
    pub names: BTreeMap<String, Text>,
    /// Decisions recorded against it, oldest first.
    pub decisions: Vec<DecisionRow>,
    /// The day it was made (overdue actions are judged on it).
    pub made_on: NaiveDate,
}

/// A decision to record.
#[derive(Debug, Clone)]
pub struct NewDecision {
    /// Scope reviewed (a node or site id).
    pub scope: String,
    /// Period reviewed.
    pub period: Period,
    /// The decision.
    pub text: String,
    /// Who carries it out.
    pub owner: Option<String>,
    /// By when.
    pub due: Option<NaiveDate>,
}

impl Workspace {
    /// The review of `period` for `scope` (the whole organisation when `None`), as of
    /// `today`.
    ///
    /// # Errors
    /// An unknown scope; not found outside the actor's view; an input error when no
    /// evaluation of the period is frozen.
    pub async fn review(
        &self,
        actor: &Actor,
        period: &Period,
        scope: Option<&str>,
        today: NaiveDate,
    ) -> Result<ReviewDocument> {
        let org = self.require_org().await?;
        let scope = crate::evaluate::resolve_scope(&org, scope)?;
        actor.require_visible(&org, &scope)?;
        let up = org.ancestors(&scope);
        let infos = self
            .store
            .evaluations()
            .await
            .map_err(|e| crate::store_error(&e))?;
        let info = infos
            .iter()
            .filter(|i| i.period == period.label && up.contains(&i.scope))
            .max_by_key(|i| (i.scope == scope, i.id))
            .ok_or_else(|| {
                Error::input("error.review.no_evaluation")
                    .arg("period", &period.label)
                    .arg("scope", &scope)
            })?;
        let frozen = self
            .store
            .evaluation(info.id)
            .await
            .map_err(|e| crate::store_error(&e))?
            .ok_or_else(|| Error::not_found("error.evaluation.not_found").arg("id", info.id))?;
        let ev: Evaluation = serde_json::from_str(&frozen.result_json).map_err(|e| {
            Error::new(ErrorKind::Damaged, "error.evaluation.unreadable")
                .arg("id", info.id)
                .detail(e.to_string())
        })?;
        let history = self.history_before(&ev, REVIEW_TREND_PERIODS).await?;
        let visible = actor.visible(&org);
        let sites: std::collections::BTreeSet<String> = org
            .sites_under(&scope)
            .iter()
            .filter(|s| visible.site(&s.id))
            .map(|s| s.id.clone())
            .collect();
        let readable = actor.finding_sites(&org);
        let findings: Vec<pdca::Finding> = self
            .all_findings()
            .await?
            .into_iter()
            .filter(|f| readable.site(&f.site))
            .collect();
        let actions: Vec<pdca::Action> = self
            .all_actions()
            .await?
            .into_iter()
            .map(|a| a.action)
            .collect();
        let review = pdca::review(&ReviewInputs {
            scope: scope.clone(),
            sites: sites.clone(),
            period: period.clone(),
            evaluation: Some((info.id, &ev)),
            history: history.iter().collect(),
            findings: &findings,
            actions: &actions,
            today,
        });
        let mut names: BTreeMap<String, Text> = sites
            .iter()
            .filter_map(|s| org.site(s).map(|x| (s.clone(), x.name.clone())))
            .collect();
        if let Some(n) = org.node(&scope) {
            names.insert(scope.clone(), n.name.clone());
        }
        let decisions = self
            .store
            .decisions(&scope, &period.label)
            .await
            .map_err(|e| crate::store_error(&e))?;
        Ok(ReviewDocument {
            review,
            names,
            decisions,
            made_on: today,
        })
    }

    /// Records a decision against the review of a scope and period.
    ///
    /// # Errors
    /// An unknown scope; forbidden unless admin or a quality manager of the scope; an
    /// input error for an empty text.
    pub async fn record_decision(&self, actor: &Actor, d: &NewDecision) -> Result<DecisionRow> {
        let org = self.require_org().await?;
        let scope = crate::evaluate::resolve_scope(&org, Some(&d.scope))?;
        actor.require_quality(&org, &scope)?;
        if d.text.trim().is_empty() {
            return Err(Error::input("error.review.empty_decision"));
        }
        let owner = d
            .owner
            .as_deref()
            .map(crate::access::normalise_login)
            .transpose()?;
        let due = d.due.map(|x| x.to_string());
        let id = self
            .store
            .add_decision(
                &yardstick_store::NewDecision {
                    scope: scope.clone(),
                    period: d.period.label.clone(),
                    text: d.text.trim().to_string(),
                    owner: owner.clone(),
                    due_on: due,
                    actor: actor.login().map(str::to_string),
                },
                Utc::now(),
            )
            .await
            .map_err(|e| crate::store_error(&e))?;
        self.log(
            actor,
            Activity::new("review.decision")
                .object(&id.to_string())
                .detail(serde_json::json!({
                    "scope": scope, "period": d.period.label, "owner": owner, "due": d.due,
                })),
        )
        .await?;
        self.store
            .decisions(&scope, &d.period.label)
            .await
            .map_err(|e| crate::store_error(&e))?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| Error::internal("error.store").detail("decision not read back"))
    }
}
