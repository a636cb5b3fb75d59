//! The improvement loop's use cases: findings raised when an evaluation is frozen or an
//! audit signed (and by hand), read back with their history and actions
//! ([`findings`](Workspace::findings)); corrective actions ([`actions`]); the
//! data-driven check and the escalations ([`check`]); the management review
//! ([`review`]). Core decides what is a shortfall, a repeat, a verdict and whom to
//! escalate to; this module reads what core needs, writes what it returns, and logs every
//! change.

pub mod actions;
pub mod check;
mod clusters;
pub mod review;

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use yardstick_core::audit::CountedAudit;
use yardstick_core::evaluate::{AuditAnswer, Evaluation};
use yardstick_core::guideline::Guideline;
use yardstick_core::org::Organisation;
use yardstick_core::pdca::{
    self, Action, ActionState, Change, Detected, Evidence, Finding, FindingEvent, FindingEventKind,
    FindingSource, OpenFinding, Severity, Stage,
};
use yardstick_core::vocab::Text;
use yardstick_store::{NewFinding, NewFindingEvent, StoreError};

use crate::activity::Activity;
use crate::audit::AuditHeader;
use crate::error::{Error, ErrorKind, Result};
use crate::scope::Actor;
use crate::workspace::Workspace;

/// A finding as lists and pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    /// The finding and its history.
    #[serde(flatten)]
    pub finding: Finding,
    /// Site name.
    pub site_name: Text,
    /// What it is about, in both languages (an indicator's name, a clause's title and
    /// item, a complaint class, a person's title).
    pub title: Text,
    /// Its actions, oldest first.
    pub actions: Vec<ActionView>,
    /// The stage of its latest action (`None`: no action yet).
    pub stage: Option<Stage>,
    /// Whether it is past its due date with no action closed (on the day asked).
    pub overdue: bool,
}

/// An action with its state.
#[derive(Debug, Clone, Serialize)]
pub struct ActionView {
    /// The action and its events.
    #[serde(flatten)]
    pub action: Action,
    /// Its state, folded from its events.
    pub state: ActionState,
    /// Late in Plan or Do (on the day asked).
    pub overdue: bool,
    /// The finding's site.
    pub site: String,
}

/// Which findings to list.
#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    /// Of this site.
    pub site: Option<String>,
    /// Open ones only.
    pub open_only: bool,
    /// Of this source.
    pub source: Option<FindingSource>,
    /// Of this severity.
    pub severity: Option<Severity>,
    /// Past due only.
    pub overdue_only: bool,
}

/// A finding raised by a person.
#[derive(Debug, Clone)]
pub struct ManualFinding {
    /// Site.
    pub site: String,
    /// A short key naming it (one open finding per site and key).
    pub subject: String,
    /// Title.
    pub title: String,
    /// What was seen.
    pub note: String,
    /// Severity.
    pub severity: Severity,
    /// Clause it concerns.
    pub clause: Option<String>,
    /// The day it is dated (today when `None`).
    pub on: Option<NaiveDate>,
}

/// What raising found and wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Raised {
    /// Findings opened, by id.
    pub opened: Vec<i64>,
    /// Open findings found again, by id.
    pub repeated: Vec<i64>,
}

fn day(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| Error::new(ErrorKind::Damaged, "error.finding.unreadable").arg("id", s))
}

pub(crate) fn pdca_store_error(e: &StoreError) -> Error {
    match e {
        StoreError::Refused(yardstick_store::Constraint::FindingOpen) => {
            Error::new(ErrorKind::Conflict, "error.finding.open_exists")
        }
        _ => crate::store_error(e),
    }
}

/// The title of a finding from the guideline's names.
fn title_of(g: Option<&Guideline>, f: &Finding) -> Text {
    let indicator = |id: &str| {
        g.and_then(|g| g.indicator(id)).map_or_else(
            || Text::new(id, id),
            |i| {
                Text::new(
                    format!("{} {}", i.id, i.name.zh),
                    format!("{} {}", i.id, i.name.en),
                )
            },
        )
    };
    match f.source {
        FindingSource::Manual => Text::new(f.title.clone(), f.title.clone()),
        FindingSource::AuditItem => {
            let clause = f
                .clause
                .as_deref()
                .and_then(|c| g.and_then(|g| g.clause(c)))
                .map_or_else(|| Text::new("", ""), |c| c.title.clone());
            Text::new(
                format!("{} {}", f.subject, clause.zh),
                format!("{} {}", f.subject, clause.en),
            )
        }
        FindingSource::ComplaintCluster => Text::new(
            yardstick_core::t!(
                yardstick_core::vocab::Lang::Zh,
                "pdca.cluster_title",
                class = &f.subject
            ),
            yardstick_core::t!(
                yardstick_core::vocab::Lang::En,
                "pdca.cluster_title",
                class = &f.subject
            ),
        ),
        _ => indicator(f.indicator.as_deref().unwrap_or(&f.subject)),
    }
}

impl Workspace {
    /// Every finding with its history, as core's values.
    pub(crate) async fn all_findings(&self) -> Result<Vec<Finding>> {
        let rows = self
            .store
            .findings(false)
            .await
            .map_err(|e| crate::store_error(&e))?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut events: BTreeMap<i64, Vec<FindingEvent>> = BTreeMap::new();
        for e in self
            .store
            .finding_events(&ids)
            .await
            .map_err(|e| crate::store_error(&e))?
        {
            let evidence = match &e.evidence_json {
                Some(j) => Some(serde_json::from_str::<Evidence>(j).map_err(|x| {
                    Error::new(ErrorKind::Damaged, "error.finding.unreadable")
                        .arg("id", e.finding_id)
                        .detail(x.to_string())
                })?),
                None => None,
            };
            events.entry(e.finding_id).or_default().push(FindingEvent {
                id: e.id,
                kind: FindingEventKind::parse(&e.kind).unwrap_or(FindingEventKind::Repeated),
                on: day(&e.on_date)?,
                period: e.period,
                evidence,
                note: e.note,
                actor: e.actor,
                at: e.at,
            });
        }
        rows.into_iter()
            .map(|r| {
                let bad =
                    || Error::new(ErrorKind::Damaged, "error.finding.unreadable").arg("id", r.id);
                Ok(Finding {
                    id: r.id,
                    source: FindingSource::parse(&r.source).ok_or_else(bad)?,
                    severity: Severity::parse(&r.severity).ok_or_else(bad)?,
                    opened_on: day(&r.opened_on)?,
                    due_on: day(&r.due_on)?,
                    closed_on: r.closed_on.as_deref().map(day).transpose()?,
                    events: events.remove(&r.id).unwrap_or_default(),
                    site: r.site,
                    subject: r.subject,
                    clause: r.clause,
                    indicator: r.indicator,
                    item: r.item,
                    title: r.title,
                })
            })
            .collect()
    }

    /// Writes what reconciling found: new findings opened, repeats appended.
    async fn apply_changes(
        &self,
        actor: &Actor,
        changes: Vec<Change>,
        rule: &pdca::PdcaRule,
    ) -> Result<Raised> {
        let mut out = Raised::default();
        let now = Utc::now();
        for c in changes {
            let (kind, d) = match &c {
                Change::Open(d) => ("opened", d),
                Change::Repeat { detected, .. } => ("repeated", detected),
            };
            let event =
                NewFindingEvent {
                    kind: kind.to_string(),
                    on_date: d.on.to_string(),
                    period: Some(d.period.clone()),
                    evidence_json: Some(serde_json::to_string(&d.evidence).map_err(|e| {
                        Error::internal("error.internal.json").detail(e.to_string())
                    })?),
                    note: None,
                    actor: actor.login().map(str::to_string),
                };
            let id = match &c {
                Change::Open(d) => {
                    let due = d.on + chrono::Days::new(u64::from(rule.due_days(d.severity)));
                    let id = self
                        .store
                        .open_finding(&new_finding(d, due, actor), &event, now)
                        .await
                        .map_err(|e| pdca_store_error(&e))?;
                    out.opened.push(id);
                    id
                }
                Change::Repeat { id, .. } => {
                    self.store
                        .append_finding_event(*id, &event, now)
                        .await
                        .map_err(|e| crate::store_error(&e))?;
                    out.repeated.push(*id);
                    *id
                }
            };
            self.log(
                actor,
                Activity::new(if kind == "opened" {
                    "finding.open"
                } else {
                    "finding.repeat"
                })
                .object(&id.to_string())
                .detail(serde_json::json!({
                    "site": d.site, "source": d.source, "subject": d.subject,
                    "severity": d.severity, "period": d.period,
                })),
            )
            .await?;
        }
        Ok(out)
    }

    /// Matches detected shortfalls with the open findings and writes the result.
    pub(crate) async fn raise(
        &self,
        actor: &Actor,
        detected: Vec<Detected>,
        rule: &pdca::PdcaRule,
    ) -> Result<Raised> {
        let open: Vec<OpenFinding> = self
            .all_findings()
            .await?
            .iter()
            .filter(|f| f.is_open())
            .map(OpenFinding::from)
            .collect();
        let changes = pdca::reconcile(&open, detected);
        self.apply_changes(actor, changes, rule).await
    }

    /// Raises the failed items of a signed audit, dated on the audit's day.
    pub(crate) async fn raise_for_audit(&self, actor: &Actor, h: &AuditHeader) -> Result<Raised> {
        let g = self.stored_guideline(&h.guideline_fingerprint).await?;
        let org = self.require_org().await?;
        let audits = self
            .signed_audits(yardstick_store::AuditFilter {
                ids: Some(vec![h.id]),
                ..yardstick_store::AuditFilter::default()
            })
            .await?;
        // One audit alone: its answers weigh 1 whatever its kind's weight (a failed item
        // is a finding even where the counting rule gives the kind no weight).
        let answers: Vec<AuditAnswer> = audits
            .iter()
            .flat_map(|a| {
                let source = CountedAudit {
                    id: a.id,
                    kind: a.kind,
                    date: a.date,
                    weight: 1.0,
                };
                a.answers.iter().map(move |(item, answer)| AuditAnswer {
                    site: a.site.clone(),
                    item: item.clone(),
                    answer: *answer,
                    source: Some(source.clone()),
                })
            })
            .collect();
        let pdca_rule = g.pdca_rule();
        let found = pdca::detect_items(&g, &org, &pdca_rule, &answers, h.date, &h.date.to_string());
        self.raise(actor, found, &pdca_rule).await
    }

    /// Opens a finding by hand.
    ///
    /// # Errors
    /// An unknown site or clause; forbidden unless admin or the site's quality manager;
    /// a conflict when an open finding of that site and key exists.
    pub async fn raise_finding(&self, actor: &Actor, m: &ManualFinding) -> Result<FindingView> {
        let org = self.require_org().await?;
        if org.site(&m.site).is_none() {
            return Err(Error::input("error.site.unknown").arg("site", &m.site));
        }
        actor.require_quality(&org, &m.site)?;
        let subject = m.subject.trim();
        if subject.is_empty() || m.title.trim().is_empty() {
            return Err(Error::input("error.finding.manual_empty"));
        }
        let (g, _) = self
            .guideline(&crate::evaluate::GuidelineChoice::Builtin)
            .await?;
        if let Some(c) = &m.clause
            && g.clause(c).is_none()
        {
            return Err(Error::input("error.finding.clause_unknown").arg("clause", c));
        }
        let on = m.on.unwrap_or_else(|| Utc::now().date_naive());
        let d = Detected {
            site: m.site.clone(),
            source: FindingSource::Manual,
            subject: subject.to_string(),
            severity: m.severity,
            clause: m.clause.clone(),
            indicator: None,
            item: None,
            on,
            period: on.to_string(),
            evidence: Evidence::Manual {
                note: m.note.clone(),
            },
        };
        let rule = g.pdca_rule();
        let due = on + chrono::Days::new(u64::from(rule.due_days(m.severity)));
        let mut f = new_finding(&d, due, actor);
        f.title = m.title.trim().to_string();
        let event = NewFindingEvent {
            kind: "opened".into(),
            on_date: on.to_string(),
            period: Some(d.period.clone()),
            evidence_json: serde_json::to_string(&d.evidence).ok(),
            note: None,
            actor: actor.login().map(str::to_string),
        };
        let id = self
            .store
            .open_finding(&f, &event, Utc::now())
            .await
            .map_err(|e| pdca_store_error(&e))?;
        self.log(
            actor,
            Activity::new("finding.open")
                .object(&id.to_string())
                .detail(serde_json::json!({
                    "site": m.site, "source": "manual", "subject": subject, "severity": m.severity,
                })),
        )
        .await?;
        self.finding(actor, id, on).await
    }

    /// Raises the findings of a frozen evaluation: lines below their floor or beyond a
    /// hard limit, failed items of the counted audits, trends over the frozen
    /// evaluations of the previous periods, complaint clusters of the period.
    #[allow(
        clippy::too_many_arguments,
        reason = "what an evaluation's findings are detected from, each needed"
    )]
    pub(crate) async fn raise_for_evaluation(
        &self,
        actor: &Actor,
        id: i64,
        ev: &Evaluation,
        g: &Guideline,
        org: &Organisation,
        answers: &[AuditAnswer],
        clusters: &pdca::ClusterCounts,
    ) -> Result<Raised> {
        let rule = g.pdca_rule();
        let mut found = pdca::detect_evaluation(g, ev, Some(id));
        found.extend(pdca::detect_items(
            g,
            org,
            &rule,
            answers,
            ev.period.to,
            &ev.period.label,
        ));
        let history = self.history_before(ev, rule.trend_falls).await?;
        let mut chain: Vec<&Evaluation> = history.iter().collect();
        chain.push(ev);
        found.extend(pdca::detect_trends(g, &chain, rule.trend_falls));
        if let Some(c) = &rule.cluster {
            found.extend(pdca::detect_clusters(
                c,
                clusters,
                ev.period.from,
                ev.period.to,
                &ev.period.label,
            ));
        }
        self.raise(actor, found, &rule).await
    }

    /// Findings the actor may read that pass `q`, with their actions, overdue on
    /// `today`; newest first.
    ///
    /// # Errors
    /// Store failures.
    pub async fn findings(
        &self,
        actor: &Actor,
        q: &FindingQuery,
        today: NaiveDate,
    ) -> Result<Vec<FindingView>> {
        let org = self.require_org().await?;
        let visible = actor.finding_sites(&org);
        let (g, _) = self
            .guideline(&crate::evaluate::GuidelineChoice::Builtin)
            .await?;
        let actions = self.all_actions().await?;
        let mut out: Vec<FindingView> = self
            .all_findings()
            .await?
            .into_iter()
            .filter(|f| visible.site(&f.site))
            .filter(|f| q.site.as_ref().is_none_or(|s| *s == f.site))
            .filter(|f| !q.open_only || f.is_open())
            .filter(|f| q.source.is_none_or(|s| s == f.source))
            .filter(|f| q.severity.is_none_or(|s| s == f.severity))
            .map(|f| view(&g, &org, f, &actions, today))
            .filter(|v| !q.overdue_only || v.overdue)
            .collect();
        out.sort_by_key(|f| std::cmp::Reverse(f.finding.id));
        Ok(out)
    }

    /// One finding with its history and actions.
    ///
    /// # Errors
    /// Not found (also outside the actor's view).
    pub async fn finding(&self, actor: &Actor, id: i64, today: NaiveDate) -> Result<FindingView> {
        let org = self.require_org().await?;
        let f = self
            .all_findings()
            .await?
            .into_iter()
            .find(|f| f.id == id)
            .filter(|f| actor.finding_sites(&org).site(&f.site))
            .ok_or_else(|| Error::not_found("error.finding.not_found").arg("id", id))?;
        let (g, _) = self
            .guideline(&crate::evaluate::GuidelineChoice::Builtin)
            .await?;
        let actions = self.all_actions().await?;
        Ok(view(&g, &org, f, &actions, today))
    }

    /// Closes a finding by hand, with why.
    ///
    /// # Errors
    /// Not found; forbidden unless admin or the site's quality manager; a conflict when
    /// closed already.
    pub async fn close_finding(
        &self,
        actor: &Actor,
        id: i64,
        note: &str,
        on: NaiveDate,
    ) -> Result<FindingView> {
        let org = self.require_org().await?;
        let f = self.finding(actor, id, on).await?;
        actor.require_quality(&org, &f.finding.site)?;
        if note.trim().is_empty() {
            return Err(Error::input("error.finding.close_reason"));
        }
        self.close_finding_with(actor, id, note.trim(), on).await?;
        self.finding(actor, id, on).await
    }

    pub(crate) async fn close_finding_with(
        &self,
        actor: &Actor,
        id: i64,
        note: &str,
        on: NaiveDate,
    ) -> Result<()> {
        let closed = self
            .store
            .close_finding(
                id,
                &NewFindingEvent {
                    kind: "closed".into(),
                    on_date: on.to_string(),
                    period: None,
                    evidence_json: None,
                    note: Some(note.to_string()),
                    actor: actor.login().map(str::to_string),
                },
                Utc::now(),
            )
            .await
            .map_err(|e| crate::store_error(&e))?;
        if !closed {
            return Err(Error::new(ErrorKind::Conflict, "error.finding.closed").arg("id", id));
        }
        self.log(
            actor,
            Activity::new("finding.close")
                .object(&id.to_string())
                .detail(serde_json::json!({ "note": note, "on": on })),
        )
        .await
    }

    /// Frozen evaluations of the `n` periods before `ev`'s, oldest first, each the
    /// newest frozen for its period whose scope holds `ev`'s scope; stops at the first
    /// period with none.
    pub(crate) async fn history_before(&self, ev: &Evaluation, n: u32) -> Result<Vec<Evaluation>> {
        let infos = self
            .store
            .evaluations()
            .await
            .map_err(|e| crate::store_error(&e))?;
        let org = self.require_org().await?;
        let up = org.ancestors(&ev.scope);
        let mut out = Vec::new();
        let mut period = ev.period.clone();
        for _ in 0..n {
            let Some(prev) = period.previous() else {
                break;
            };
            let Some(info) = infos
                .iter()
                .filter(|i| i.period == prev.label && up.contains(&i.scope))
                .max_by_key(|i| i.id)
            else {
                break;
            };
            let frozen = self
                .store
                .evaluation(info.id)
                .await
                .map_err(|e| crate::store_error(&e))?;
            let Some(frozen) = frozen else {
                break;
            };
            let e: Evaluation = serde_json::from_str(&frozen.result_json).map_err(|e| {
                Error::new(ErrorKind::Damaged, "error.evaluation.unreadable")
                    .arg("id", info.id)
                    .detail(e.to_string())
            })?;
            out.push(e);
            period = prev;
        }
        out.reverse();
        Ok(out)
    }
}

fn new_finding(d: &Detected, due: NaiveDate, actor: &Actor) -> NewFinding {
    NewFinding {
        site: d.site.clone(),
        source: d.source.as_str().to_string(),
        subject: d.subject.clone(),
        severity: d.severity.as_str().to_string(),
        clause: d.clause.clone(),
        indicator: d.indicator.clone(),
        item: d.item.clone(),
        opened_on: d.on.to_string(),
        due_on: due.to_string(),
        title: String::new(),
        created_by: actor.login().map(str::to_string),
    }
}

fn view(
    g: &Guideline,
    org: &Organisation,
    f: Finding,
    actions: &[ActionView],
    today: NaiveDate,
) -> FindingView {
    let mine: Vec<ActionView> = actions
        .iter()
        .filter(|a| a.action.finding == f.id)
        .cloned()
        .collect();
    let stage = mine.last().map(|a| a.state.stage);
    let overdue = f.is_open() && today > f.due_on && stage != Some(Stage::Closed);
    FindingView {
        site_name: org.site(&f.site).map_or_else(
            || Text::new(f.site.clone(), f.site.clone()),
            |s| s.name.clone(),
        ),
        title: title_of(Some(g), &f),
        actions: mine,
        stage,
        overdue,
        finding: f,
    }
}
