//! Audits: created, answered item by item, moved through their states, responded to by
//! the site, and read back with their answers. The database refuses any change to a
//! signed audit, its answers and its evidence (triggers in both backends); which step is
//! allowed when is the application's rule (`yardstick_core::audit::next_state`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::row::Columns;
use crate::{BeginWrite, Result, Store, ts};

/// An audit about to be created (a draft).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAudit {
    /// Site audited.
    pub site: String,
    /// Kind: `on_site`, `mystery_shopper`, `self_assessment`, `third_party`.
    pub kind: String,
    /// The guideline version its checklist comes from (recorded first).
    pub guideline_fingerprint: String,
    /// The audit's day, `YYYY-MM-DD`.
    pub audit_date: String,
    /// The evaluator's login.
    pub evaluator: String,
    /// The signed audit this one corrects.
    pub amends: Option<i64>,
    /// Why (required with `amends`, refused without).
    pub amend_reason: Option<String>,
    /// The plan it fulfils.
    pub plan_id: Option<i64>,
    /// Who created it.
    pub created_by: Option<String>,
}

/// An answer about to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAnswer {
    /// Checklist item id.
    pub item_id: String,
    /// `pass`, `fail`, `scale`, `points` or `na`.
    pub answer: String,
    /// The grade or points (with `scale` and `points` only).
    pub value: Option<f64>,
    /// Comment ("" for none).
    pub comment: String,
}

/// A stored audit with the site's response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRow {
    /// Id.
    pub id: i64,
    /// Site.
    pub site: String,
    /// Kind.
    pub kind: String,
    /// Guideline version.
    pub guideline_fingerprint: String,
    /// Day of the audit.
    pub audit_date: String,
    /// Evaluator.
    pub evaluator: String,
    /// `draft`, `submitted` or `signed`.
    pub state: String,
    /// The audit it corrects.
    pub amends: Option<i64>,
    /// Why.
    pub amend_reason: Option<String>,
    /// The plan it fulfils.
    pub plan_id: Option<i64>,
    /// Who created it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: String,
    /// When it was last submitted.
    pub submitted_at: Option<String>,
    /// When it was signed.
    pub signed_at: Option<String>,
    /// The site's response: `acknowledged` or `disputed`.
    pub response: Option<String>,
    /// A dispute's reason.
    pub response_reason: Option<String>,
    /// Who responded.
    pub response_by: Option<String>,
    /// When.
    pub response_at: Option<String>,
    /// Answers recorded.
    pub answers: i64,
}

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnswerRow {
    /// Audit.
    pub audit_id: i64,
    /// Item.
    pub item_id: String,
    /// `pass`, `fail`, `scale`, `points` or `na`.
    pub answer: String,
    /// Grade or points.
    pub value: Option<f64>,
    /// Comment.
    pub comment: String,
    /// When it was last written.
    pub answered_at: String,
    /// By whom.
    pub answered_by: Option<String>,
}

/// Which audits to list: every condition given holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    /// Of this site.
    pub site: Option<String>,
    /// Of this evaluator.
    pub evaluator: Option<String>,
    /// In this state.
    pub state: Option<String>,
    /// Dated on or before this day (`YYYY-MM-DD`).
    pub date_to: Option<String>,
    /// With these ids.
    pub ids: Option<Vec<i64>>,
}

const AUDIT_COLUMNS: &str = "SELECT a.id, a.site, a.kind, a.guideline_fingerprint, a.audit_date, \
     a.evaluator, a.state, a.amends, a.amend_reason, a.plan_id, a.created_by, a.created_at, \
     a.submitted_at, a.signed_at, r.response, r.reason AS response_reason, \
     r.actor AS response_by, r.at AS response_at, \
     (SELECT COUNT(*) FROM audit_answer x WHERE x.audit_id = a.id) AS answers \
     FROM audit a LEFT JOIN audit_response r ON r.audit_id = a.id WHERE TRUE";
const INSERT_AUDIT: &str = "INSERT INTO audit (site, kind, guideline_fingerprint, audit_date, \
     evaluator, state, amends, amend_reason, plan_id, created_by, created_at) \
     VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10) RETURNING id";
const UPSERT_ANSWER: &str = "INSERT INTO audit_answer (audit_id, item_id, answer, value, comment, \
     answered_at, answered_by) VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (audit_id, item_id) DO UPDATE SET answer = excluded.answer, \
     value = excluded.value, comment = excluded.comment, answered_at = excluded.answered_at, \
     answered_by = excluded.answered_by";
const ANSWERS: &str = "SELECT audit_id, item_id, answer, value, comment, answered_at, answered_by \
     FROM audit_answer WHERE TRUE";
const SET_STATE: &str = "UPDATE audit SET state = $1, \
     submitted_at = CASE WHEN $1 = 'submitted' THEN $2 ELSE submitted_at END, \
     signed_at = CASE WHEN $1 = 'signed' THEN $2 ELSE NULL END \
     WHERE id = $3 AND state = $4";
const INSERT_RESPONSE: &str = "INSERT INTO audit_response (audit_id, response, reason, actor, at) \
     VALUES ($1, $2, $3, $4, $5) RETURNING id";

impl Store {
    /// Creates a draft audit with its first answers (a correction starts with the
    /// answers of the audit it amends) in one transaction, and returns its id.
    ///
    /// # Errors
    /// Refusals: [`crate::Constraint::AuditGuideline`] (unrecorded guideline),
    /// [`crate::Constraint::AuditAmends`] (a correction of an audit that is not signed),
    /// [`crate::Constraint::AuditAmendReason`]; any database failure.
    pub async fn create_audit(
        &self,
        a: &NewAudit,
        answers: &[NewAnswer],
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let at = ts(now);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = sqlx::query_scalar(INSERT_AUDIT)
                .bind(&a.site)
                .bind(&a.kind)
                .bind(&a.guideline_fingerprint)
                .bind(&a.audit_date)
                .bind(&a.evaluator)
                .bind(a.amends)
                .bind(a.amend_reason.as_deref())
                .bind(a.plan_id)
                .bind(a.created_by.as_deref())
                .bind(&at)
                .fetch_one(&mut *tx)
                .await?;
            for x in answers {
                sqlx::query(UPSERT_ANSWER)
                    .bind(id)
                    .bind(&x.item_id)
                    .bind(&x.answer)
                    .bind(x.value)
                    .bind(&x.comment)
                    .bind(&at)
                    .bind(a.created_by.as_deref())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(id)
        })
    }

    /// One audit; `None` when there is none with this id.
    ///
    /// # Errors
    /// On database failure.
    pub async fn audit(&self, id: i64) -> Result<Option<AuditRow>> {
        Ok(self
            .audits(&AuditFilter {
                ids: Some(vec![id]),
                ..AuditFilter::default()
            })
            .await?
            .pop())
    }

    /// The audits that pass `filter`, by id.
    ///
    /// # Errors
    /// On database failure.
    pub async fn audits(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>> {
        if filter.ids.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Vec::new());
        }
        with_pool!(self, p => {
            let mut q = sqlx::QueryBuilder::new(AUDIT_COLUMNS);
            if let Some(site) = &filter.site {
                q.push(" AND a.site = ").push_bind(site.as_str());
            }
            if let Some(e) = &filter.evaluator {
                q.push(" AND a.evaluator = ").push_bind(e.as_str());
            }
            if let Some(s) = &filter.state {
                q.push(" AND a.state = ").push_bind(s.as_str());
            }
            if let Some(d) = &filter.date_to {
                q.push(" AND a.audit_date <= ").push_bind(d.as_str());
            }
            if let Some(ids) = &filter.ids {
                q.push(" AND a.id IN (");
                let mut sep = q.separated(", ");
                for id in ids {
                    sep.push_bind(*id);
                }
                q.push(")");
            }
            q.push(" ORDER BY a.id");
            q.build().fetch_all(p).await?.iter().map(audit_row).collect()
        })
    }

    /// Writes answers (a new item's answer is added, an answered item's replaced) in one
    /// transaction.
    ///
    /// # Errors
    /// [`crate::Constraint::AuditSigned`] when the audit is signed; any database failure.
    pub async fn put_answers(
        &self,
        audit_id: i64,
        answers: &[NewAnswer],
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let at = ts(now);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for x in answers {
                sqlx::query(UPSERT_ANSWER)
                    .bind(audit_id)
                    .bind(&x.item_id)
                    .bind(&x.answer)
                    .bind(x.value)
                    .bind(&x.comment)
                    .bind(&at)
                    .bind(by)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// The answers of some audits, by audit then item (byte order).
    ///
    /// # Errors
    /// On database failure.
    pub async fn answers(&self, audit_ids: &[i64]) -> Result<Vec<AnswerRow>> {
        if audit_ids.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self, p => {
            let mut q = sqlx::QueryBuilder::new(ANSWERS);
            q.push(" AND audit_id IN (");
            let mut sep = q.separated(", ");
            for id in audit_ids {
                sep.push_bind(*id);
            }
            q.push(") ORDER BY audit_id, item_id");
            q.build().fetch_all(p).await?.iter().map(answer_row).collect()
        })
    }

    /// Moves an audit from state `from` to `to` (`submitted` records when, `signed`
    /// records when; going back to `draft` clears the signature's instant). Returns
    /// whether the audit was in state `from` (and so moved).
    ///
    /// # Errors
    /// [`crate::Constraint::AuditSigned`] for a signed audit; any database failure.
    pub async fn set_audit_state(
        &self,
        id: i64,
        from: &str,
        to: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let at = ts(now);
        with_pool!(self, p => {
            let done = sqlx::query(SET_STATE)
                .bind(to)
                .bind(&at)
                .bind(id)
                .bind(from)
                .execute(p)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Records the site's response to a signed audit.
    ///
    /// # Errors
    /// Refusals: [`crate::Constraint::AuditResponded`] (a second response),
    /// [`crate::Constraint::AuditNotSigned`], [`crate::Constraint::DisputeReason`]; any
    /// database failure.
    pub async fn respond_to_audit(
        &self,
        audit_id: i64,
        response: &str,
        reason: &str,
        actor: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let at = ts(now);
        with_pool!(self, p => {
            Ok(sqlx::query_scalar(INSERT_RESPONSE)
                .bind(audit_id)
                .bind(response)
                .bind(reason)
                .bind(actor)
                .bind(&at)
                .fetch_one(p)
                .await?)
        })
    }
}

fn audit_row(r: &impl Columns) -> Result<AuditRow> {
    Ok(AuditRow {
        id: r.int("id")?,
        site: r.text("site")?,
        kind: r.text("kind")?,
        guideline_fingerprint: r.text("guideline_fingerprint")?,
        audit_date: r.text("audit_date")?,
        evaluator: r.text("evaluator")?,
        state: r.text("state")?,
        amends: r.opt_int("amends")?,
        amend_reason: r.opt_text("amend_reason")?,
        plan_id: r.opt_int("plan_id")?,
        created_by: r.opt_text("created_by")?,
        created_at: r.text("created_at")?,
        submitted_at: r.opt_text("submitted_at")?,
        signed_at: r.opt_text("signed_at")?,
        response: r.opt_text("response")?,
        response_reason: r.opt_text("response_reason")?,
        response_by: r.opt_text("response_by")?,
        response_at: r.opt_text("response_at")?,
        answers: r.int("answers")?,
    })
}

fn answer_row(r: &impl Columns) -> Result<AnswerRow> {
    Ok(AnswerRow {
        audit_id: r.int("audit_id")?,
        item_id: r.text("item_id")?,
        answer: r.text("answer")?,
        value: r.opt_float("value")?,
        comment: r.text("comment")?,
        answered_at: r.text("answered_at")?,
        answered_by: r.opt_text("answered_by")?,
    })
}
