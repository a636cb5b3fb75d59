//! Audits: the checklist of a site, creating and answering an audit, its steps (submit,
//! withdraw, sign; the site's acknowledgement or dispute; a correction by a new version),
//! reading audits back, evidence files ([`evidence`]), audit plans ([`plans`]) and the
//! Excel round trip ([`excel`]).
//!
//! Every use case takes the [`Actor`] asking and values, and returns values: a server
//! handler calls them as the command line does. Which step is allowed when is core's
//! state machine (`yardstick_core::audit::next_state`); who may take it is decided in
//! [`crate::scope`]; the database refuses any change to a signed audit whatever is
//! asked. Every step is in the activity log.

pub mod evidence;
pub mod excel;
pub mod plans;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use yardstick_core::audit::{
    self as core_audit, AuditKind, AuditState, AuditStateError, AuditStep, Response, SignedAudit,
    answer_text, check_answer, checklist, checklist_item,
};
use yardstick_core::evaluate::Answer;
use yardstick_core::guideline::{Guideline, ItemMethod};
use yardstick_core::org::Organisation;
use yardstick_core::vocab::Text;
use yardstick_store::{
    AnswerRow, AuditFilter, AuditRow, EvidenceRow, NewAnswer, NewAudit, StoreError,
};

use crate::activity::Activity;
use crate::error::{Error, ErrorKind, Message, Result};
use crate::evaluate::GuidelineChoice;
use crate::scope::Actor;
use crate::workspace::Workspace;

/// One line of a site's checklist, as a form or a template shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistLine {
    /// Clause id.
    pub clause: String,
    /// Clause title.
    pub clause_title: Text,
    /// Dimension id.
    pub dimension: String,
    /// Item id.
    pub item: String,
    /// What the auditor checks.
    pub text: Text,
    /// Scoring method: `pass_fail`, `scale_0_4`, `points`.
    pub method: &'static str,
    /// Maximum points (points items).
    pub max_points: Option<f64>,
    /// The answers allowed, as written (`pass`, `fail`, `0`…`4`, points, `n/a`).
    pub allowed: Vec<String>,
    /// Whether N/A is allowed.
    pub na_allowed: bool,
    /// Whether failing it is a veto.
    pub veto: bool,
    /// Weight within the clause.
    pub weight: f64,
}

/// A site's checklist under a guideline version.
#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    /// Site.
    pub site: String,
    /// Site name.
    pub site_name: Text,
    /// Guideline version's fingerprint.
    pub guideline_fingerprint: String,
    /// Guideline id and version label.
    pub guideline: String,
    /// Lines, clause by clause.
    pub lines: Vec<ChecklistLine>,
}

/// An audit's header.
#[derive(Debug, Clone, Serialize)]
pub struct AuditHeader {
    /// Id.
    pub id: i64,
    /// Site.
    pub site: String,
    /// Kind.
    pub kind: AuditKind,
    /// Day of the audit.
    pub date: NaiveDate,
    /// Evaluator.
    pub evaluator: String,
    /// State.
    pub state: AuditState,
    /// The site's response.
    pub response: Option<Response>,
    /// A dispute's reason.
    pub response_reason: Option<String>,
    /// Who responded.
    pub response_by: Option<String>,
    /// The audit it corrects, and why.
    pub amends: Option<(i64, String)>,
    /// The plan it fulfils.
    pub plan: Option<i64>,
    /// Guideline version.
    pub guideline_fingerprint: String,
    /// When it was created.
    pub created_at: String,
    /// When it was signed.
    pub signed_at: Option<String>,
    /// Items answered.
    pub answered: usize,
}

/// One answer of an audit.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerView {
    /// Item.
    pub item: String,
    /// Its clause.
    pub clause: Option<String>,
    /// The answer.
    pub answer: Answer,
    /// As written.
    pub text: String,
    /// Comment.
    pub comment: String,
    /// When written.
    pub answered_at: String,
}

/// An audit with its answers and evidence.
#[derive(Debug, Clone, Serialize)]
pub struct AuditView {
    /// Header.
    pub header: AuditHeader,
    /// Items on the site's checklist.
    pub items: usize,
    /// Answers, in checklist order.
    pub answers: Vec<AnswerView>,
    /// Items not answered yet, in checklist order.
    pub missing: Vec<String>,
    /// Evidence files.
    pub evidence: Vec<EvidenceRow>,
}

/// A new audit.
#[derive(Debug, Clone)]
pub struct NewAuditRequest {
    /// Site id.
    pub site: String,
    /// Kind.
    pub kind: AuditKind,
    /// Day of the audit.
    pub date: NaiveDate,
    /// Evaluator's login.
    pub evaluator: String,
    /// Guideline version (the built-in one by default).
    pub guideline: GuidelineChoice,
    /// The plan it fulfils.
    pub plan: Option<i64>,
}

/// One answer given.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerInput {
    /// Item id.
    pub item: String,
    /// Answer.
    pub answer: Answer,
    /// Comment ("" for none).
    pub comment: String,
}

/// Which audits to list.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Of this site.
    pub site: Option<String>,
    /// Of this evaluator.
    pub evaluator: Option<String>,
    /// In this state.
    pub state: Option<AuditState>,
}

/// An answer as stored: its kind and value.
pub(crate) fn answer_to_row(a: Answer) -> (&'static str, Option<f64>) {
    match a {
        Answer::Pass => ("pass", None),
        Answer::Fail => ("fail", None),
        Answer::Scale(v) => ("scale", Some(f64::from(v))),
        Answer::Points(p) => ("points", Some(p)),
        Answer::NotApplicable => ("na", None),
    }
}

/// A stored answer read back; `None` for a row that is not one (never written so).
pub(crate) fn answer_of_row(kind: &str, value: Option<f64>) -> Option<Answer> {
    match (kind, value) {
        ("pass", _) => Some(Answer::Pass),
        ("fail", _) => Some(Answer::Fail),
        ("na", _) => Some(Answer::NotApplicable),
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "grades are stored as 0..=4"
        )]
        ("scale", Some(v)) if (0.0..=4.0).contains(&v) => Some(Answer::Scale(v as u8)),
        ("points", Some(v)) => Some(Answer::Points(v)),
        _ => None,
    }
}

fn new_answer(a: &AnswerInput) -> NewAnswer {
    let (kind, value) = answer_to_row(a.answer);
    NewAnswer {
        item_id: a.item.clone(),
        answer: kind.to_string(),
        value,
        comment: a.comment.trim().to_string(),
    }
}

/// A store failure, with the database's refusals about audits as conflicts.
pub(crate) fn state_error(e: &StoreError) -> Error {
    use yardstick_store::Constraint;
    match e {
        StoreError::Refused(Constraint::AuditSigned) => {
            Error::new(ErrorKind::Conflict, "error.audit.signed")
        }
        StoreError::Refused(Constraint::AuditResponded) => {
            Error::new(ErrorKind::Conflict, "error.audit.responded")
        }
        StoreError::Refused(Constraint::AuditNotSigned | Constraint::AuditAmends) => {
            Error::new(ErrorKind::Conflict, "error.audit.not_signed")
        }
        _ => crate::store_error(e),
    }
}

fn step_error(e: AuditStateError) -> Error {
    let key = match e {
        AuditStateError::Signed => "error.audit.signed",
        AuditStateError::NotDraft => "error.audit.not_draft",
        AuditStateError::NotSubmitted => "error.audit.not_submitted",
        AuditStateError::NotSigned => "error.audit.not_signed",
        AuditStateError::AlreadyResponded => "error.audit.responded",
        AuditStateError::NoReason => return Error::input("error.audit.no_reason"),
        AuditStateError::NoAnswers => "error.audit.no_answers",
    };
    Error::new(ErrorKind::Conflict, key)
}

fn header(r: &AuditRow) -> Result<AuditHeader> {
    let bad = || Error::new(ErrorKind::Damaged, "error.audit.unreadable").arg("id", r.id);
    Ok(AuditHeader {
        id: r.id,
        site: r.site.clone(),
        kind: AuditKind::parse(&r.kind).ok_or_else(bad)?,
        date: NaiveDate::parse_from_str(&r.audit_date, "%Y-%m-%d").map_err(|_| bad())?,
        evaluator: r.evaluator.clone(),
        state: AuditState::parse(&r.state).ok_or_else(bad)?,
        response: r.response.as_deref().and_then(Response::parse),
        response_reason: r.response_reason.clone().filter(|s| !s.is_empty()),
        response_by: r.response_by.clone(),
        amends: r
            .amends
            .map(|id| (id, r.amend_reason.clone().unwrap_or_default())),
        plan: r.plan_id,
        guideline_fingerprint: r.guideline_fingerprint.clone(),
        created_at: r.created_at.clone(),
        signed_at: r.signed_at.clone(),
        answered: usize::try_from(r.answers).unwrap_or(0),
    })
}

/// Checks answers against a site's checklist; every problem is listed.
fn check_answers(
    g: &Guideline,
    org: &Organisation,
    site: &str,
    answers: &[AnswerInput],
) -> Result<()> {
    let scene = org
        .site(site)
        .map(|s| s.scene)
        .ok_or_else(|| Error::input("error.site.unknown").arg("site", site))?;
    let mut problems: Vec<Message> = Vec::new();
    for a in answers {
        match checklist_item(g, scene, &a.item) {
            None => problems.push(
                Message::new("error.audit.item_line")
                    .arg("at", &a.item)
                    .arg("item", &a.item),
            ),
            Some(e) => {
                if let Err(p) = check_answer(e.item, a.answer) {
                    problems.push(excel::answer_problem(&a.item, &a.item, &p));
                }
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let mut err = Error::input("error.audit.answers").arg("n", problems.len());
    for p in problems {
        err = err.item(p);
    }
    Err(err)
}

impl Workspace {
    /// A guideline version recorded in the workspace, parsed once per process.
    pub(crate) async fn stored_guideline(&self, fingerprint: &str) -> Result<Arc<Guideline>> {
        if let Some(g) = self.guideline_cache(fingerprint) {
            return Ok(g);
        }
        let (g, _) = self
            .guideline(&GuidelineChoice::Stored(fingerprint.to_string()))
            .await?;
        let g = Arc::new(g);
        self.cache_guideline(fingerprint, g.clone());
        Ok(g)
    }

    /// The guideline an audit request names, recorded in the workspace.
    async fn audit_guideline(&self, choice: &GuidelineChoice) -> Result<Arc<Guideline>> {
        if let GuidelineChoice::Stored(fp) = choice {
            return self.stored_guideline(fp).await;
        }
        let (g, text) = self.guideline(choice).await?;
        let fp = g.fingerprint();
        self.store
            .put_guideline(&fp, &g.id, &g.version, &text, Utc::now())
            .await
            .map_err(|e| crate::store_error(&e))?;
        let g = Arc::new(g);
        self.cache_guideline(&fp, g.clone());
        Ok(g)
    }

    /// The checklist of a site under a guideline version: every item that applies to
    /// its scene, with the answers each allows.
    ///
    /// # Errors
    /// Not found for a site outside the actor's view; guideline errors.
    pub async fn checklist(
        &self,
        actor: &Actor,
        site: &str,
        guideline: &GuidelineChoice,
    ) -> Result<Checklist> {
        let org = self.require_org().await?;
        actor.require_visible(&org, site)?;
        let s = org
            .site(site)
            .ok_or_else(|| Error::input("error.site.unknown").arg("site", site))?;
        let g = self.audit_guideline(guideline).await?;
        let lines = checklist(&g, s.scene)
            .into_iter()
            .map(|e| ChecklistLine {
                clause: e.clause.id.clone(),
                clause_title: e.clause.title.clone(),
                dimension: e.clause.dimension.clone(),
                item: e.item.id.clone(),
                text: e.item.text.clone(),
                method: match e.item.method {
                    ItemMethod::PassFail => "pass_fail",
                    ItemMethod::Scale0To4 => "scale_0_4",
                    ItemMethod::Points { .. } => "points",
                },
                max_points: match e.item.method {
                    ItemMethod::Points { max } => Some(max),
                    _ => None,
                },
                allowed: core_audit::allowed_answers(e.item),
                na_allowed: e.item.na_allowed,
                veto: e.item.veto,
                weight: e.item.weight,
            })
            .collect();
        Ok(Checklist {
            site: s.id.clone(),
            site_name: s.name.clone(),
            guideline_fingerprint: g.fingerprint(),
            guideline: format!("{} {}", g.id, g.version),
            lines,
        })
    }

    /// Creates a draft audit.
    ///
    /// # Errors
    /// An unknown site; forbidden; guideline errors.
    pub async fn create_audit(&self, actor: &Actor, req: &NewAuditRequest) -> Result<AuditHeader> {
        self.create_audit_with(actor, req, &[]).await
    }

    async fn create_audit_with(
        &self,
        actor: &Actor,
        req: &NewAuditRequest,
        answers: &[AnswerInput],
    ) -> Result<AuditHeader> {
        let org = self.require_org().await?;
        if org.site(&req.site).is_none() {
            return Err(Error::input("error.site.unknown").arg("site", &req.site));
        }
        let evaluator = crate::access::normalise_login(&req.evaluator)?;
        actor.require_audit_create(&org, &req.site, &evaluator)?;
        let g = self.audit_guideline(&req.guideline).await?;
        check_answers(&g, &org, &req.site, answers)?;
        let new = NewAudit {
            site: req.site.clone(),
            kind: req.kind.as_str().to_string(),
            guideline_fingerprint: g.fingerprint(),
            audit_date: req.date.to_string(),
            evaluator: evaluator.clone(),
            amends: None,
            amend_reason: None,
            plan_id: req.plan,
            created_by: actor.login().map(str::to_string),
        };
        let rows: Vec<NewAnswer> = answers.iter().map(new_answer).collect();
        let id = self
            .store
            .create_audit(&new, &rows, Utc::now())
            .await
            .map_err(|e| state_error(&e))?;
        self.log(
            actor,
            Activity::new("audit.create")
                .object(&id.to_string())
                .detail(serde_json::json!({
                    "site": req.site, "kind": req.kind, "date": req.date, "evaluator": evaluator,
                    "answers": answers.len(),
                })),
        )
        .await?;
        self.audit_header(id).await
    }

    /// Records a whole audit at once — created, answered, and when `sign`, submitted
    /// and signed — as a spreadsheet import or a migration of paper audits does.
    ///
    /// # Errors
    /// As [`Workspace::create_audit`], and every bad answer listed (nothing stored).
    pub async fn record_audit(
        &self,
        actor: &Actor,
        req: &NewAuditRequest,
        answers: &[AnswerInput],
        sign: bool,
    ) -> Result<AuditHeader> {
        if answers.is_empty() {
            return Err(Error::input("error.audit.no_answers_given"));
        }
        let h = self.create_audit_with(actor, req, answers).await?;
        if sign {
            self.submit_audit(actor, h.id).await?;
            return self.sign_audit(actor, h.id).await;
        }
        Ok(h)
    }

    async fn audit_header(&self, id: i64) -> Result<AuditHeader> {
        let row = self
            .store
            .audit(id)
            .await
            .map_err(|e| crate::store_error(&e))?
            .ok_or_else(|| Error::not_found("error.audit.not_found").arg("id", id))?;
        header(&row)
    }

    /// An audit's row, when the actor may read it ("not found" otherwise).
    pub(crate) async fn audit_row_for(&self, actor: &Actor, id: i64) -> Result<AuditRow> {
        let row = self
            .store
            .audit(id)
            .await
            .map_err(|e| crate::store_error(&e))?
            .ok_or_else(|| Error::not_found("error.audit.not_found").arg("id", id))?;
        let org = self.require_org().await?;
        actor.require_audit_read(&org, &row.site, &row.evaluator, id)?;
        Ok(row)
    }

    /// Checks that `step` may be taken on audit `id` by `actor` now; returns the row and
    /// the state and response after it.
    pub(crate) async fn audit_step(
        &self,
        actor: &Actor,
        id: i64,
        step: &AuditStep,
    ) -> Result<(AuditRow, AuditState, Option<Response>)> {
        let row = self.audit_row_for(actor, id).await?;
        let org = self.require_org().await?;
        match step {
            AuditStep::Acknowledge | AuditStep::Dispute { .. } => {
                actor.require_audit_respond(&org, &row.site)?;
            }
            _ => actor.require_audit_edit(&org, &row.site, &row.evaluator)?,
        }
        let h = header(&row)?;
        let (state, response) = core_audit::next_state(
            h.state,
            h.response,
            usize::try_from(row.answers).unwrap_or(0),
            step,
        )
        .map_err(step_error)?;
        Ok((row, state, response))
    }

    /// Records or replaces answers of a draft; every bad answer is listed and nothing is
    /// stored then.
    ///
    /// # Errors
    /// Not found; forbidden; a conflict unless a draft; input errors listing every bad
    /// answer.
    pub async fn answer_audit(
        &self,
        actor: &Actor,
        id: i64,
        answers: &[AnswerInput],
    ) -> Result<AuditView> {
        let (row, _, _) = self.audit_step(actor, id, &AuditStep::Answer).await?;
        let g = self.stored_guideline(&row.guideline_fingerprint).await?;
        let org = self.require_org().await?;
        check_answers(&g, &org, &row.site, answers)?;
        let rows: Vec<NewAnswer> = answers.iter().map(new_answer).collect();
        self.store
            .put_answers(id, &rows, actor.login(), Utc::now())
            .await
            .map_err(|e| state_error(&e))?;
        self.log(
            actor,
            Activity::new("audit.answer")
                .object(&id.to_string())
                .detail(serde_json::json!({
                    "items": answers.iter().map(|a| a.item.as_str()).collect::<Vec<_>>(),
                })),
        )
        .await?;
        self.audit(actor, id).await
    }

    async fn move_audit(
        &self,
        actor: &Actor,
        id: i64,
        step: AuditStep,
        action: &'static str,
    ) -> Result<AuditHeader> {
        let (row, to, _) = self.audit_step(actor, id, &step).await?;
        let moved = self
            .store
            .set_audit_state(id, &row.state, to.as_str(), Utc::now())
            .await
            .map_err(|e| state_error(&e))?;
        if !moved {
            // Someone else moved it in between: say where it stands now.
            return Err(Error::new(ErrorKind::Conflict, "error.audit.moved").arg("id", id));
        }
        self.log(actor, Activity::new(action).object(&id.to_string()))
            .await?;
        self.audit_header(id).await
    }

    /// Hands a draft in.
    ///
    /// # Errors
    /// Not found; forbidden; a conflict unless a draft with answers.
    pub async fn submit_audit(&self, actor: &Actor, id: i64) -> Result<AuditHeader> {
        self.move_audit(actor, id, AuditStep::Submit, "audit.submit")
            .await
    }

    /// Takes a submitted audit back to edit it.
    ///
    /// # Errors
    /// Not found; forbidden; a conflict unless submitted.
    pub async fn withdraw_audit(&self, actor: &Actor, id: i64) -> Result<AuditHeader> {
        self.move_audit(actor, id, AuditStep::Withdraw, "audit.withdraw")
            .await
    }

    /// Signs a submitted audit: from now on it never changes. Its failed checklist items
    /// are raised as findings at once.
    ///
    /// # Errors
    /// Not found; forbidden; a conflict unless submitted.
    pub async fn sign_audit(&self, actor: &Actor, id: i64) -> Result<AuditHeader> {
        let h = self
            .move_audit(actor, id, AuditStep::Sign, "audit.sign")
            .await?;
        self.raise_for_audit(actor, &h).await?;
        Ok(h)
    }

    /// The site accepts a signed audit.
    ///
    /// # Errors
    /// Not found; forbidden unless the site's manager; a conflict unless signed and not
    /// yet responded to.
    pub async fn acknowledge_audit(&self, actor: &Actor, id: i64) -> Result<AuditHeader> {
        self.respond(actor, id, AuditStep::Acknowledge).await
    }

    /// The site disputes a signed audit, with its reason.
    ///
    /// # Errors
    /// As [`Workspace::acknowledge_audit`]; an input error without a reason.
    pub async fn dispute_audit(&self, actor: &Actor, id: i64, reason: &str) -> Result<AuditHeader> {
        self.respond(
            actor,
            id,
            AuditStep::Dispute {
                reason: reason.trim().to_string(),
            },
        )
        .await
    }

    async fn respond(&self, actor: &Actor, id: i64, step: AuditStep) -> Result<AuditHeader> {
        let (_, _, response) = self.audit_step(actor, id, &step).await?;
        let response = response.unwrap_or(Response::Acknowledged);
        let reason = match &step {
            AuditStep::Dispute { reason } => reason.clone(),
            _ => String::new(),
        };
        self.store
            .respond_to_audit(id, response.as_str(), &reason, actor.login(), Utc::now())
            .await
            .map_err(|e| state_error(&e))?;
        let action = match response {
            Response::Acknowledged => "audit.acknowledge",
            Response::Disputed => "audit.dispute",
        };
        self.log(
            actor,
            Activity::new(action)
                .object(&id.to_string())
                .detail(serde_json::json!({ "reason": reason })),
        )
        .await?;
        self.audit_header(id).await
    }

    /// Corrects a signed audit: a new draft of the same site, kind, day and evaluator,
    /// starting with its answers, that names it and says why. Both stay readable; once
    /// the correction is signed, it counts instead of the audit it amends.
    ///
    /// # Errors
    /// Not found; forbidden; a conflict unless signed; an input error without a reason.
    pub async fn amend_audit(&self, actor: &Actor, id: i64, reason: &str) -> Result<AuditHeader> {
        let reason = reason.trim().to_string();
        let (row, _, _) = self
            .audit_step(
                actor,
                id,
                &AuditStep::Amend {
                    reason: reason.clone(),
                },
            )
            .await?;
        let answers: Vec<NewAnswer> = self
            .store
            .answers(&[id])
            .await
            .map_err(|e| crate::store_error(&e))?
            .into_iter()
            .map(|a| NewAnswer {
                item_id: a.item_id,
                answer: a.answer,
                value: a.value,
                comment: a.comment,
            })
            .collect();
        let new = NewAudit {
            site: row.site.clone(),
            kind: row.kind.clone(),
            guideline_fingerprint: row.guideline_fingerprint.clone(),
            audit_date: row.audit_date.clone(),
            evaluator: row.evaluator.clone(),
            amends: Some(id),
            amend_reason: Some(reason.clone()),
            plan_id: row.plan_id,
            created_by: actor.login().map(str::to_string),
        };
        let new_id = self
            .store
            .create_audit(&new, &answers, Utc::now())
            .await
            .map_err(|e| state_error(&e))?;
        self.log(
            actor,
            Activity::new("audit.amend")
                .object(&new_id.to_string())
                .detail(serde_json::json!({ "amends": id, "reason": reason })),
        )
        .await?;
        self.audit_header(new_id).await
    }

    /// One audit with its answers (in checklist order), what is left to answer, and its
    /// evidence.
    ///
    /// # Errors
    /// Not found (also outside the actor's view).
    pub async fn audit(&self, actor: &Actor, id: i64) -> Result<AuditView> {
        let row = self.audit_row_for(actor, id).await?;
        let h = header(&row)?;
        let g = self.stored_guideline(&row.guideline_fingerprint).await?;
        let org = self.require_org().await?;
        let lines = org
            .site(&row.site)
            .map_or_else(Vec::new, |s| checklist(&g, s.scene));
        let stored: BTreeMap<String, AnswerRow> = self
            .store
            .answers(&[id])
            .await
            .map_err(|e| crate::store_error(&e))?
            .into_iter()
            .map(|a| (a.item_id.clone(), a))
            .collect();
        let mut answers = Vec::new();
        let mut missing = Vec::new();
        for e in &lines {
            match stored
                .get(&e.item.id)
                .and_then(|a| answer_of_row(&a.answer, a.value).map(|x| (a, x)))
            {
                Some((a, answer)) => answers.push(AnswerView {
                    item: e.item.id.clone(),
                    clause: Some(e.clause.id.clone()),
                    answer,
                    text: answer_text(answer),
                    comment: a.comment.clone(),
                    answered_at: a.answered_at.clone(),
                }),
                None => missing.push(e.item.id.clone()),
            }
        }
        let evidence = self
            .store
            .evidence(id)
            .await
            .map_err(|e| crate::store_error(&e))?;
        Ok(AuditView {
            header: h,
            items: lines.len(),
            answers,
            missing,
            evidence,
        })
    }

    /// The audits the actor may read that pass `q`: the actor's own assignments first
    /// (newest first), then the others (newest first).
    ///
    /// # Errors
    /// Store failures.
    pub async fn audits(&self, actor: &Actor, q: &AuditQuery) -> Result<Vec<AuditHeader>> {
        let org = self.require_org().await?;
        let rows = self
            .store
            .audits(&AuditFilter {
                site: q.site.clone(),
                evaluator: q.evaluator.clone(),
                state: q.state.map(|s| s.as_str().to_string()),
                ..AuditFilter::default()
            })
            .await
            .map_err(|e| crate::store_error(&e))?;
        let mut out: Vec<AuditHeader> = rows
            .iter()
            .filter(|r| actor.may_read_audit(&org, &r.site, &r.evaluator))
            .map(header)
            .collect::<Result<_>>()?;
        let me = actor.login().map(str::to_string);
        out.sort_by(|a, b| {
            let mine = |h: &AuditHeader| me.as_deref() == Some(h.evaluator.as_str());
            mine(b).cmp(&mine(a)).then(b.id.cmp(&a.id))
        });
        Ok(out)
    }

    /// The answers of the signed audits that count for `period` under the guideline's
    /// rule (`[audits]`), each with its audit and weight: what the management half is
    /// scored from. `ids` limits them to those audits (recomputing a frozen evaluation).
    pub(crate) async fn counted_audits(
        &self,
        g: &Guideline,
        period: &yardstick_core::period::Period,
        ids: Option<Vec<i64>>,
    ) -> Result<Vec<yardstick_core::evaluate::AuditAnswer>> {
        let signed = self
            .signed_audits(AuditFilter {
                date_to: Some(period.to.format("%Y-%m-%d").to_string()),
                ids,
                ..AuditFilter::default()
            })
            .await?;
        let rule = g.audit_rule();
        let selected = yardstick_core::audit::select(&rule, period, &signed);
        Ok(yardstick_core::audit::counted_answers(&rule, &selected))
    }

    /// Signed audits of some sites dated up to `to`, as core's counting rule reads them.
    pub(crate) async fn signed_audits(&self, filter: AuditFilter) -> Result<Vec<SignedAudit>> {
        let rows = self
            .store
            .audits(&AuditFilter {
                state: Some("signed".into()),
                ..filter
            })
            .await
            .map_err(|e| crate::store_error(&e))?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut answers: BTreeMap<i64, Vec<(String, Answer)>> = BTreeMap::new();
        for a in self
            .store
            .answers(&ids)
            .await
            .map_err(|e| crate::store_error(&e))?
        {
            if let Some(x) = answer_of_row(&a.answer, a.value) {
                answers.entry(a.audit_id).or_default().push((a.item_id, x));
            }
        }
        rows.iter()
            .map(|r| {
                let h = header(r)?;
                Ok(SignedAudit {
                    id: r.id,
                    site: r.site.clone(),
                    kind: h.kind,
                    date: h.date,
                    amends: r.amends,
                    answers: answers.remove(&r.id).unwrap_or_default(),
                })
            })
            .collect()
    }
}
