//! Audit plans (who audits which site, of which kind, within which window) and the
//! evidence files attached to audits (their rows: the files themselves live
//! content-addressed in the data directory, written by the application).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::row::Columns;
use crate::{Result, Store, ts};

/// An audit plan about to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    /// Site.
    pub site: String,
    /// Kind.
    pub kind: String,
    /// Evaluator's login.
    pub evaluator: String,
    /// First day of the window (`YYYY-MM-DD`).
    pub due_from: String,
    /// Last day of the window.
    pub due_to: String,
    /// Note.
    pub note: String,
    /// Who planned it.
    pub created_by: Option<String>,
}

/// A stored audit plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanRow {
    /// Id.
    pub id: i64,
    /// Site.
    pub site: String,
    /// Kind.
    pub kind: String,
    /// Evaluator.
    pub evaluator: String,
    /// First day of the window.
    pub due_from: String,
    /// Last day of the window.
    pub due_to: String,
    /// Note.
    pub note: String,
    /// Who planned it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: String,
}

/// An evidence file's row about to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvidence {
    /// Audit.
    pub audit_id: i64,
    /// The item it supports, if one.
    pub item_id: Option<String>,
    /// SHA-256 of the content (lowercase hex): where the file lives.
    pub sha256: String,
    /// Media type (`image/jpeg`, `application/pdf`…).
    pub media_type: String,
    /// Size in bytes.
    pub bytes: i64,
    /// The name it was uploaded with.
    pub file_name: String,
    /// Who added it.
    pub added_by: Option<String>,
}

/// A stored evidence row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceRow {
    /// Id.
    pub id: i64,
    /// Audit.
    pub audit_id: i64,
    /// Item.
    pub item_id: Option<String>,
    /// SHA-256.
    pub sha256: String,
    /// Media type.
    pub media_type: String,
    /// Size.
    pub bytes: i64,
    /// Uploaded name.
    pub file_name: String,
    /// When added.
    pub added_at: String,
    /// By whom.
    pub added_by: Option<String>,
}

const INSERT_PLAN: &str = "INSERT INTO audit_plan (site, kind, evaluator, due_from, due_to, note, \
     created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
const PLANS: &str = "SELECT id, site, kind, evaluator, due_from, due_to, note, created_by, \
     created_at FROM audit_plan ORDER BY due_to, id";
const INSERT_EVIDENCE: &str = "INSERT INTO audit_evidence (audit_id, item_id, sha256, media_type, \
     bytes, file_name, added_at, added_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
const EVIDENCE: &str = "SELECT id, audit_id, item_id, sha256, media_type, bytes, file_name, \
     added_at, added_by FROM audit_evidence WHERE audit_id = $1 ORDER BY id";

impl Store {
    /// Records an audit plan and returns its id.
    ///
    /// # Errors
    /// [`crate::Constraint::PlanWindow`] when the window ends before it starts; any
    /// database failure.
    pub async fn create_plan(&self, x: &NewPlan, now: DateTime<Utc>) -> Result<i64> {
        let at = ts(now);
        with_pool!(self, p => {
            Ok(sqlx::query_scalar(INSERT_PLAN)
                .bind(&x.site)
                .bind(&x.kind)
                .bind(&x.evaluator)
                .bind(&x.due_from)
                .bind(&x.due_to)
                .bind(&x.note)
                .bind(x.created_by.as_deref())
                .bind(&at)
                .fetch_one(p)
                .await?)
        })
    }

    /// Every audit plan, by the end of its window, then id.
    ///
    /// # Errors
    /// On database failure.
    pub async fn plans(&self) -> Result<Vec<PlanRow>> {
        with_pool!(self, p => {
            sqlx::query(PLANS).fetch_all(p).await?.iter().map(plan_row).collect()
        })
    }

    /// Records an evidence file of an audit and returns its id.
    ///
    /// # Errors
    /// [`crate::Constraint::AuditSigned`] when the audit is signed; any database failure.
    pub async fn add_evidence(&self, e: &NewEvidence, now: DateTime<Utc>) -> Result<i64> {
        let at = ts(now);
        with_pool!(self, p => {
            Ok(sqlx::query_scalar(INSERT_EVIDENCE)
                .bind(e.audit_id)
                .bind(e.item_id.as_deref())
                .bind(&e.sha256)
                .bind(&e.media_type)
                .bind(e.bytes)
                .bind(&e.file_name)
                .bind(&at)
                .bind(e.added_by.as_deref())
                .fetch_one(p)
                .await?)
        })
    }

    /// The evidence rows of an audit, in the order they were added.
    ///
    /// # Errors
    /// On database failure.
    pub async fn evidence(&self, audit_id: i64) -> Result<Vec<EvidenceRow>> {
        with_pool!(self, p => {
            sqlx::query(EVIDENCE)
                .bind(audit_id)
                .fetch_all(p)
                .await?
                .iter()
                .map(evidence_row)
                .collect()
        })
    }
}

fn plan_row(r: &impl Columns) -> Result<PlanRow> {
    Ok(PlanRow {
        id: r.int("id")?,
        site: r.text("site")?,
        kind: r.text("kind")?,
        evaluator: r.text("evaluator")?,
        due_from: r.text("due_from")?,
        due_to: r.text("due_to")?,
        note: r.text("note")?,
        created_by: r.opt_text("created_by")?,
        created_at: r.text("created_at")?,
    })
}

fn evidence_row(r: &impl Columns) -> Result<EvidenceRow> {
    Ok(EvidenceRow {
        id: r.int("id")?,
        audit_id: r.int("audit_id")?,
        item_id: r.opt_text("item_id")?,
        sha256: r.text("sha256")?,
        media_type: r.text("media_type")?,
        bytes: r.int("bytes")?,
        file_name: r.text("file_name")?,
        added_at: r.text("added_at")?,
        added_by: r.opt_text("added_by")?,
    })
}
