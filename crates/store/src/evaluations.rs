//! Frozen evaluations: saved once with what they were computed from, never changed or
//! deleted (the database refuses both), listed newest first.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::row::Columns;
use crate::{Result, Store, ts};

/// An evaluation about to be frozen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvaluation {
    /// Scope (an organisation node or site id).
    pub scope: String,
    /// Period label.
    pub period: String,
    /// Fingerprint of the guideline version (recorded with [`Store::put_guideline`]
    /// first: the database refuses an unknown one).
    pub guideline_fingerprint: String,
    /// Fingerprint of the organisation version.
    pub org_fingerprint: String,
    /// Fingerprint of the inputs.
    pub input_fingerprint: String,
    /// The latest batch the evaluation read (`None`: no batch was committed).
    pub batch_watermark: Option<i64>,
    /// Which engine computed it (`columnar`, `datafusion`…).
    pub engine: String,
    /// Who froze it, when known.
    pub frozen_by: Option<String>,
    /// The evaluation as JSON.
    pub result_json: String,
}

/// A frozen evaluation's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvaluationInfo {
    /// Id (increasing).
    pub id: i64,
    /// Scope.
    pub scope: String,
    /// Period label.
    pub period: String,
    /// Guideline fingerprint.
    pub guideline_fingerprint: String,
    /// Organisation fingerprint; `None` for evaluations frozen before it was recorded
    /// (migration 0003).
    pub org_fingerprint: Option<String>,
    /// Input fingerprint.
    pub input_fingerprint: String,
    /// The latest batch the evaluation read; `None` when none was committed, or for
    /// evaluations frozen before it was recorded.
    pub batch_watermark: Option<i64>,
    /// The engine; `unrecorded` for evaluations frozen before it was recorded.
    pub engine: String,
    /// Who froze it, when known.
    pub frozen_by: Option<String>,
    /// When it was frozen (RFC 3339, UTC).
    pub created_at: String,
}

/// What the figures of a period read at this instant: see [`Store::period_state`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodState {
    /// The current organisation version's fingerprint; `None` before the first import.
    pub org_fingerprint: Option<String>,
    /// The last committed batch; `None` before the first.
    pub watermark: Option<i64>,
    /// The evaluations frozen for the period, `(id, scope)`, newest first.
    pub evaluations: Vec<(i64, String)>,
}

/// A frozen evaluation, header and result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEvaluation {
    /// Header.
    pub info: EvaluationInfo,
    /// The evaluation as JSON, as saved.
    pub result_json: String,
}

const INSERT_EVALUATION: &str = "INSERT INTO evaluation (scope, period, guideline_fingerprint, \
     org_fingerprint, input_fingerprint, batch_watermark, engine, frozen_by, created_at, \
     result_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
const EVALUATIONS: &str = "SELECT id, scope, period, guideline_fingerprint, org_fingerprint, \
     input_fingerprint, batch_watermark, engine, frozen_by, created_at \
     FROM evaluation ORDER BY id DESC";
/// What a read of a period's figures depends on, in one statement: the current
/// organisation version, the last committed batch, and the evaluations frozen for the
/// period (newest first; one row with no evaluation when there is none).
const PERIOD_STATE: &str = "SELECT e.id, e.scope, \
     (SELECT fingerprint FROM org_current WHERE id = 1) AS org_fingerprint, \
     (SELECT MAX(id) FROM batch) AS watermark \
     FROM (SELECT 1 AS one) AS d LEFT JOIN evaluation e ON e.period = $1 \
     ORDER BY e.id DESC";
const EVALUATION: &str = "SELECT id, scope, period, guideline_fingerprint, org_fingerprint, \
     input_fingerprint, batch_watermark, engine, frozen_by, created_at, result_json \
     FROM evaluation WHERE id = $1";

impl Store {
    /// Freezes an evaluation and returns its id.
    ///
    /// # Errors
    /// [`crate::StoreError::Refused`] with [`crate::Constraint::EvaluationGuideline`] when
    /// its guideline version is not recorded; any database failure.
    pub async fn save_evaluation(&self, e: &NewEvaluation, now: DateTime<Utc>) -> Result<i64> {
        let created_at = ts(now);
        with_pool!(self, p => {
            Ok(sqlx::query_scalar(INSERT_EVALUATION)
                .bind(&e.scope)
                .bind(&e.period)
                .bind(&e.guideline_fingerprint)
                .bind(&e.org_fingerprint)
                .bind(&e.input_fingerprint)
                .bind(e.batch_watermark)
                .bind(&e.engine)
                .bind(e.frozen_by.as_deref())
                .bind(&created_at)
                .bind(&e.result_json)
                .fetch_one(p)
                .await?)
        })
    }

    /// Frozen evaluations' headers, newest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn evaluations(&self) -> Result<Vec<EvaluationInfo>> {
        with_pool!(self, p => {
            sqlx::query(EVALUATIONS)
                .fetch_all(p)
                .await?
                .iter()
                .map(evaluation_info)
                .collect()
        })
    }

    /// In one statement, what every read of a period's figures depends on: the current
    /// organisation version, the last committed batch and the evaluations frozen for
    /// `period`. A request reads it once instead of asking three times.
    ///
    /// # Errors
    /// On database failure.
    pub async fn period_state(&self, period: &str) -> Result<PeriodState> {
        with_pool!(self, p => {
            let rows = sqlx::query(PERIOD_STATE).bind(period).fetch_all(p).await?;
            let mut state = PeriodState {
                org_fingerprint: None,
                watermark: None,
                evaluations: Vec::new(),
            };
            for r in &rows {
                state.org_fingerprint = r.opt_text("org_fingerprint")?;
                state.watermark = r.opt_int("watermark")?;
                if let (Some(id), Some(scope)) = (r.opt_int("id")?, r.opt_text("scope")?) {
                    state.evaluations.push((id, scope));
                }
            }
            Ok(state)
        })
    }

    /// One frozen evaluation; `None` when there is none with this id.
    ///
    /// # Errors
    /// On database failure.
    pub async fn evaluation(&self, id: i64) -> Result<Option<StoredEvaluation>> {
        with_pool!(self, p => {
            match sqlx::query(EVALUATION).bind(id).fetch_optional(p).await? {
                Some(r) => Ok(Some(StoredEvaluation {
                    info: evaluation_info(&r)?,
                    result_json: r.text("result_json")?,
                })),
                None => Ok(None),
            }
        })
    }
}

fn evaluation_info(r: &impl Columns) -> Result<EvaluationInfo> {
    Ok(EvaluationInfo {
        id: r.int("id")?,
        scope: r.text("scope")?,
        period: r.text("period")?,
        guideline_fingerprint: r.text("guideline_fingerprint")?,
        org_fingerprint: r.opt_text("org_fingerprint")?,
        input_fingerprint: r.text("input_fingerprint")?,
        batch_watermark: r.opt_int("batch_watermark")?,
        engine: r.text("engine")?,
        frozen_by: r.opt_text("frozen_by")?,
        created_at: r.text("created_at")?,
    })
}
