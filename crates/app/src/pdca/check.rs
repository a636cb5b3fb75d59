//! The data-driven Check and the escalations, run after every freeze and on demand
//! (`yardstick action check`):
//!
//! - An action in Check (done on day D) is judged on what came after D. A finding on an
//!   indicator line (below floor, beyond a hard limit, a trend): the frozen evaluations of
//!   the periods that start after D, of the finding's period shape (months with months),
//!   one per period (the newest frozen holding the site), each period "met" when the line
//!   is rated and not worse than its floor; `verify_periods` met in a row make it
//!   effective, one missed makes it not. A failed checklist item: the first signed audit
//!   dated after D that answers the item passes it or not. A complaint cluster: each
//!   period after D without the cluster found again is met. Manual findings are judged by
//!   a person ([`Workspace::verify_action`]).
//! - Effective: the action moves to Act and the finding closes. Not effective: back to
//!   Plan with a new due date (the finding's severity's days from today), escalated to the
//!   quality manager of the next node up.
//! - An action late in Plan or Do escalates one node up, then one more each
//!   `escalate_every_days` it stays late.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use yardstick_core::audit::score::item_score;
use yardstick_core::evaluate::{Evaluation, LineStatus, breaches};
use yardstick_core::guideline::Guideline;
use yardstick_core::org::Organisation;
use yardstick_core::pdca::{
    self, ActionEvent, EscalationReason, Finding, FindingSource, PdcaRule, Stage, Verdict,
};
use yardstick_store::AuditFilter;

use super::ActionView;
use crate::error::{Error, ErrorKind, Result};
use crate::evaluate::GuidelineChoice;
use crate::scope::Actor;
use crate::workspace::Workspace;

/// What a check did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    /// Actions judged: (action, effective, what the verdict rests on).
    pub verified: Vec<(i64, bool, String)>,
    /// Actions escalated: (action, node, reason).
    pub escalated: Vec<(i64, String, EscalationReason)>,
    /// Findings closed because their action worked.
    pub closed: Vec<i64>,
}

/// How a period label is shaped: a month, quarter, half-year, year or day range.
fn shape(label: &str) -> u8 {
    if label.contains("..") {
        4
    } else {
        match label.split_once('-').map(|(_, r)| r) {
            None => 3,
            Some(r) if r.starts_with('Q') => 1,
            Some(r) if r.starts_with('H') => 2,
            Some(_) => 0,
        }
    }
}

/// The frozen evaluations read once per check, by id.
struct Frozen {
    list: Vec<(i64, Evaluation)>,
    /// Guideline versions of the evaluations, by fingerprint.
    guidelines: BTreeMap<String, std::sync::Arc<Guideline>>,
}

impl Frozen {
    /// For each period of `like`'s shape starting after `after`, in order, the newest
    /// evaluation holding `site`.
    fn periods_after(&self, like: &str, after: NaiveDate, site: &str) -> Vec<&Evaluation> {
        let mut best: BTreeMap<(NaiveDate, String), (i64, &Evaluation)> = BTreeMap::new();
        for (id, e) in &self.list {
            if shape(&e.period.label) != shape(like)
                || e.period.from <= after
                || !e.sites.iter().any(|s| s.site == site)
            {
                continue;
            }
            let key = (e.period.from, e.period.label.clone());
            if best.get(&key).is_none_or(|(b, _)| id > b) {
                best.insert(key, (*id, e));
            }
        }
        best.into_values().map(|(_, e)| e).collect()
    }
}

/// Outcomes of an indicator line over the periods after `done`, each judged under the
/// guideline its evaluation was computed with.
fn line_outcomes(
    frozen: &Frozen,
    f: &Finding,
    like: &str,
    done: NaiveDate,
) -> Vec<(String, bool, String)> {
    let (indicator, stratum) = match f.subject.split_once('|') {
        Some((i, s)) => (i.to_string(), s.to_string()),
        None => (f.subject.clone(), String::new()),
    };
    frozen
        .periods_after(like, done, &f.site)
        .into_iter()
        .filter_map(|e| {
            let ind = frozen
                .guidelines
                .get(&e.guideline_fingerprint)?
                .indicator(&indicator)?;
            let s = e.sites.iter().find(|s| s.site == f.site)?;
            let l = s.lines.iter().find(|l| {
                l.indicator == indicator && l.stratum == stratum && l.status == LineStatus::Rated
            })?;
            let (v, floor) = (l.value?, l.floor?);
            let met = !breaches(ind.direction, v, floor);
            let sign = if met { "≥" } else { "<" };
            Some((
                e.period.label.clone(),
                met,
                format!("{} {v:.2} {sign} {floor}", e.period.label),
            ))
        })
        .collect()
}

impl Workspace {
    /// Quality managers (logins) granted on `node` itself.
    async fn quality_managers(&self, node: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for u in self
            .store
            .users()
            .await
            .map_err(|e| crate::store_error(&e))?
        {
            if u.disabled {
                continue;
            }
            let grants = self
                .store
                .grants_of(u.id)
                .await
                .map_err(|e| crate::store_error(&e))?;
            if grants
                .iter()
                .any(|g| g.role == "quality_manager" && g.scope == node)
            {
                out.push(u.login);
            }
        }
        Ok(out)
    }

    async fn escalate(
        &self,
        actor: &Actor,
        org: &Organisation,
        a: &ActionView,
        state: &yardstick_core::pdca::ActionState,
        reason: EscalationReason,
        on: NaiveDate,
    ) -> Result<Option<String>> {
        let Some(node) = pdca::escalation_node(org, &a.site, state.escalations + 1) else {
            return Ok(None);
        };
        let managers = self.quality_managers(&node).await?;
        let mut view = a.clone();
        view.state = state.clone();
        self.append_action(
            actor,
            &view,
            &ActionEvent::Escalated {
                on,
                node: node.clone(),
                reason,
                managers,
            },
        )
        .await?;
        Ok(Some(node))
    }

    /// The verdict the data gives an action in Check, and what it rests on.
    async fn data_verdict(
        &self,
        rule: &PdcaRule,
        frozen: &Frozen,
        f: &Finding,
        done: NaiveDate,
    ) -> Result<(Verdict, String)> {
        let like = f.latest().0.unwrap_or("").to_string();
        let outcomes: Vec<(bool, String)> = match f.source {
            FindingSource::IndicatorFloor | FindingSource::HardLimit | FindingSource::Trend => {
                line_outcomes(frozen, f, &like, done)
                    .into_iter()
                    .map(|(_, met, basis)| (met, basis))
                    .collect()
            }
            FindingSource::ComplaintCluster => frozen
                .periods_after(&like, done, &f.site)
                .into_iter()
                .map(|e| {
                    let again = f.events.iter().any(|x| {
                        x.period.as_deref() == Some(e.period.label.as_str()) && x.on > done
                    });
                    (
                        !again,
                        format!(
                            "{}: {}",
                            e.period.label,
                            if again { "cluster again" } else { "no cluster" }
                        ),
                    )
                })
                .collect(),
            FindingSource::AuditItem => {
                let item = f.item.clone().unwrap_or_default();
                let filter = AuditFilter {
                    site: Some(f.site.clone()),
                    state: Some("signed".into()),
                    ..AuditFilter::default()
                };
                // Each audit's item judged under the guideline it was answered with.
                let mut defs = BTreeMap::new();
                for r in self
                    .store
                    .audits(&filter)
                    .await
                    .map_err(|e| crate::store_error(&e))?
                {
                    let ag = self.stored_guideline(&r.guideline_fingerprint).await?;
                    let def = ag
                        .clauses
                        .iter()
                        .flat_map(|c| &c.items)
                        .find(|i| i.id == item)
                        .cloned();
                    defs.insert(r.id, def);
                }
                let mut audits = self.signed_audits(filter).await?;
                audits.sort_by_key(|a| (a.date, a.id));
                audits
                    .iter()
                    .filter(|a| a.date > done)
                    .filter_map(|a| {
                        let answer = a.answers.iter().find(|(i, _)| *i == item)?.1;
                        let d = defs.get(&a.id)?.as_ref()?;
                        let s = item_score(d.method, d.na_allowed, answer)?;
                        let met = s >= rule.item_fail_below && !(d.veto && s <= 0.0);
                        Some((
                            met,
                            format!("audit {} ({}) {}: {:.2}", a.id, a.date, item, s),
                        ))
                    })
                    .take(1)
                    .collect()
            }
            FindingSource::Manual => return Ok((Verdict::Pending, String::new())),
        };
        let n = if f.source == FindingSource::AuditItem {
            1
        } else {
            rule.verify_periods
        };
        let flags: Vec<bool> = outcomes.iter().map(|(m, _)| *m).collect();
        let v = pdca::verdict(&flags, n);
        let basis = outcomes
            .iter()
            .take(usize::try_from(n).unwrap_or(usize::MAX))
            .map(|(_, b)| b.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        Ok((v, basis))
    }

    /// Runs the Check on every action in it and the escalations, as of `today`.
    ///
    /// # Errors
    /// Forbidden unless admin or a quality manager (the command line is both); store
    /// failures.
    pub async fn check_actions(&self, actor: &Actor, today: NaiveDate) -> Result<CheckReport> {
        let org = self.require_org().await?;
        let root = crate::evaluate::resolve_scope(&org, None)?;
        actor.require_quality(&org, &root)?;
        self.run_checks(actor, today).await
    }

    /// The Check and the escalations, for whoever froze an evaluation (the freeze was
    /// allowed; what follows from it is the system's rule, logged under their name).
    pub(crate) async fn run_checks(&self, actor: &Actor, today: NaiveDate) -> Result<CheckReport> {
        let org = self.require_org().await?;
        let (g, _) = self.guideline(&GuidelineChoice::Builtin).await?;
        let rule = g.pdca_rule().into_owned();
        let mut frozen = Frozen {
            list: Vec::new(),
            guidelines: BTreeMap::new(),
        };
        for info in self
            .store
            .evaluations()
            .await
            .map_err(|e| crate::store_error(&e))?
        {
            if let Some(s) = self
                .store
                .evaluation(info.id)
                .await
                .map_err(|e| crate::store_error(&e))?
            {
                let e: Evaluation = serde_json::from_str(&s.result_json).map_err(|e| {
                    Error::new(ErrorKind::Damaged, "error.evaluation.unreadable")
                        .arg("id", info.id)
                        .detail(e.to_string())
                })?;
                if !frozen.guidelines.contains_key(&e.guideline_fingerprint) {
                    let eg = self.stored_guideline(&e.guideline_fingerprint).await?;
                    frozen
                        .guidelines
                        .insert(e.guideline_fingerprint.clone(), eg);
                }
                frozen.list.push((info.id, e));
            }
        }
        let findings = self.all_findings().await?;
        let mut report = CheckReport::default();
        for a in self.all_actions().await? {
            let Some(f) = findings.iter().find(|f| f.id == a.action.finding) else {
                continue;
            };
            let on = today.max(a.state.last_on);
            let mut state = a.state.clone();
            if state.stage == Stage::Check
                && let Some(done) = state.done_on
            {
                let (v, basis) = self.data_verdict(&rule, &frozen, f, done).await?;
                if v != Verdict::Pending {
                    let effective = v == Verdict::Effective;
                    let due = (!effective)
                        .then(|| on + chrono::Days::new(u64::from(rule.due_days(f.severity))));
                    let mut view = a.clone();
                    view.state = state.clone();
                    state = self
                        .append_action(
                            actor,
                            &view,
                            &ActionEvent::Verified {
                                on,
                                effective,
                                basis: basis.clone(),
                                due,
                            },
                        )
                        .await?;
                    report.verified.push((a.action.id, effective, basis));
                    if effective {
                        if f.is_open() {
                            let note = format!("action {} verified effective", a.action.id);
                            self.close_finding_with(actor, f.id, &note, on).await?;
                            report.closed.push(f.id);
                        }
                    } else if let Some(node) = self
                        .escalate(actor, &org, &a, &state, EscalationReason::Ineffective, on)
                        .await?
                    {
                        state.escalations += 1;
                        state.last_escalated = Some(on);
                        report
                            .escalated
                            .push((a.action.id, node, EscalationReason::Ineffective));
                    }
                }
            }
            if state.escalation_due(today, rule.escalate_every_days)
                && let Some(node) = self
                    .escalate(actor, &org, &a, &state, EscalationReason::Overdue, on)
                    .await?
            {
                report
                    .escalated
                    .push((a.action.id, node, EscalationReason::Overdue));
            }
        }
        Ok(report)
    }

    /// A person's verdict on an action in Check (for manual findings, or where the data
    /// cannot judge): effective moves it to Act and closes the finding; not effective
    /// sends it back to Plan and escalates it.
    ///
    /// # Errors
    /// Not found; forbidden unless admin or the site's quality manager; a conflict unless
    /// in Check; an input error without a note.
    pub async fn verify_action(
        &self,
        actor: &Actor,
        id: i64,
        effective: bool,
        note: &str,
        on: Option<NaiveDate>,
    ) -> Result<ActionView> {
        let today = Utc::now().date_naive();
        let on = on.unwrap_or(today);
        let a = self.action(actor, id, today).await?;
        let org = self.require_org().await?;
        actor.require_quality(&org, &a.site)?;
        if note.trim().is_empty() {
            return Err(Error::input("error.action.empty"));
        }
        let (g, _) = self.guideline(&GuidelineChoice::Builtin).await?;
        let rule = g.pdca_rule();
        let f = self.finding(actor, a.action.finding, today).await?;
        let due = (!effective)
            .then(|| on + chrono::Days::new(u64::from(rule.due_days(f.finding.severity))));
        let state = self
            .append_action(
                actor,
                &a,
                &ActionEvent::Verified {
                    on,
                    effective,
                    basis: note.trim().to_string(),
                    due,
                },
            )
            .await?;
        if effective {
            if f.finding.is_open() {
                self.close_finding_with(
                    actor,
                    f.finding.id,
                    &format!("action {id} verified effective"),
                    on,
                )
                .await?;
            }
        } else {
            self.escalate(actor, &org, &a, &state, EscalationReason::Ineffective, on)
                .await?;
        }
        self.action(actor, id, today).await
    }
}
