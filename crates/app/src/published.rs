//! Evaluations as a reader asks for them: the frozen evaluation of a period when one
//! exists, else one computed on request and marked provisional — never frozen by a read,
//! and kept in memory under everything its figures depend on (guideline, organisation,
//! batch watermark, period), so the same question is not computed twice. Every answer is
//! cut to what the reader may see after ranks were computed over the whole.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use yardstick_core::evaluate::Evaluation;
use yardstick_core::period::Period;
use yardstick_store::EvaluationInfo;

use crate::error::Result;
use crate::evaluate::{Engine, EvaluateRequest, GuidelineChoice, resolve_scope, restrict_ref};
use crate::jobs::Cancel;
use crate::scope::{Actor, Visible};
use crate::workspace::Workspace;

/// Whether an evaluation is frozen or computed for this read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Frozen: stored, reproducible, never changed.
    Frozen,
    /// Computed on request from the records as they stand; not stored.
    Provisional,
}

/// An evaluation for a reader.
#[derive(Debug, Clone)]
pub struct EvaluationView {
    /// Frozen or provisional.
    pub status: Status,
    /// Id of the frozen evaluation.
    pub id: Option<i64>,
    /// The evaluation, cut to what the reader sees under the scope asked.
    pub evaluation: Evaluation,
}

/// The key of a provisional evaluation: what its figures depend on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    guideline: String,
    org: String,
    watermark: Option<i64>,
    period: String,
}

/// Provisional evaluations of the whole organisation, kept in memory. A new batch or
/// organisation version changes the key, so an entry never goes stale; the oldest entries
/// go when the bound is reached.
#[derive(Debug, Default)]
pub struct ProvisionalCache {
    entries: Mutex<HashMap<CacheKey, (u64, Arc<Evaluation>)>>,
    tick: std::sync::atomic::AtomicU64,
}

/// Entries kept: a whole-organisation evaluation of 2,000 sites is a few megabytes.
const CACHE_ENTRIES: usize = 16;

impl ProvisionalCache {
    fn get(&self, key: &CacheKey) -> Option<Arc<Evaluation>> {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let tick = self.tick.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        map.get_mut(key).map(|e| {
            e.0 = tick;
            e.1.clone()
        })
    }

    fn put(&self, key: CacheKey, ev: Arc<Evaluation>) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let tick = self.tick.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if map.len() >= CACHE_ENTRIES
            && let Some(oldest) = map.iter().min_by_key(|(_, v)| v.0).map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(key, (tick, ev));
    }
}

impl Workspace {
    /// The evaluation of a period for a reader: the latest frozen one of the period at
    /// the organisation's root, else a provisional one computed now (cached), cut to
    /// what the reader sees under `scope` (the root when `None`).
    ///
    /// # Errors
    /// Not found for a scope the reader cannot see; input errors for an unknown scope;
    /// damaged-data errors from the records.
    pub async fn evaluation_of_period(
        &self,
        actor: &Actor,
        period: &Period,
        scope: Option<&str>,
        cancel: &Cancel,
    ) -> Result<EvaluationView> {
        let (org, org_fp) = self.current_org_arc().await?;
        let asked = resolve_scope(&org, scope)?;
        // Without a scope, the whole organisation cut to what the reader sees; a scope
        // named must be visible.
        if scope.is_some() {
            actor.require_visible(&org, &asked)?;
        }
        let root = resolve_scope(&org, None)?;
        let frozen = self
            .store
            .evaluations()
            .await
            .map_err(|e| crate::store_error(&e))?
            .into_iter()
            .filter(|e| e.period == period.label && e.scope == root)
            .max_by_key(|e| e.id);
        if let Some(info) = frozen {
            let f = self.stored_evaluation(info.id).await?;
            let forg = self.organisation_for_arc(&f.info).await?;
            let evaluation = restrict_ref(&f.evaluation, &actor.visible(&forg), &forg, &asked);
            return Ok(EvaluationView {
                status: Status::Frozen,
                id: Some(info.id),
                evaluation,
            });
        }
        let (g, _) = self.guideline(&GuidelineChoice::Builtin).await?;
        let watermark = self
            .store
            .max_batch_id()
            .await
            .map_err(|e| crate::store_error(&e))?;
        let key = CacheKey {
            guideline: g.fingerprint(),
            org: org_fp,
            watermark,
            period: period.label.clone(),
        };
        // One computation at a time: readers who miss wait and find its result.
        let _one_at_a_time = match self.cache.get(&key) {
            Some(_) => None,
            None => Some(self.memo.computing.lock().await),
        };
        let whole = match self.cache.get(&key) {
            Some(ev) => ev,
            None => {
                let req = EvaluateRequest {
                    period: period.clone(),
                    scope: None,
                    guideline: GuidelineChoice::Builtin,
                    engine: Engine::Columnar,
                    freeze: false,
                };
                // Computed as the system over the whole organisation, then cut below:
                // every reader's view comes from the same figures.
                let ev = Arc::new(self.evaluate(&Actor::System, req, cancel).await?.evaluation);
                self.cache.put(key, ev.clone());
                ev
            }
        };
        let evaluation = restrict_ref(&whole, &actor.visible(&org), &org, &asked);
        Ok(EvaluationView {
            status: Status::Provisional,
            id: None,
            evaluation,
        })
    }

    /// A frozen evaluation by id for a reader, cut to what they see; not found when
    /// they see nothing of its scope.
    ///
    /// # Errors
    /// Not found; damaged when the stored JSON no longer reads.
    pub async fn evaluation_for(&self, actor: &Actor, id: i64) -> Result<EvaluationView> {
        let f = self.stored_evaluation(id).await?;
        let org = self.organisation_for_arc(&f.info).await?;
        let visible = actor.visible(&org);
        if !sees_part_of(&visible, &org, &f.info.scope) {
            return Err(crate::Error::not_found("error.evaluation.not_found").arg("id", id));
        }
        let scope = f.info.scope.clone();
        Ok(EvaluationView {
            status: Status::Frozen,
            id: Some(id),
            evaluation: restrict_ref(&f.evaluation, &visible, &org, &scope),
        })
    }

    /// Frozen evaluations a reader sees part of, newest first.
    ///
    /// # Errors
    /// Store failures.
    pub async fn evaluations_for(&self, actor: &Actor) -> Result<Vec<EvaluationInfo>> {
        let all = self.evaluations(&Actor::System).await?;
        let org = self.require_org().await?;
        let visible = actor.visible(&org);
        Ok(all
            .into_iter()
            .filter(|e| sees_part_of(&visible, &org, &e.scope))
            .collect())
    }
}

/// Whether a reader sees any node or site at or under `scope`.
fn sees_part_of(visible: &Visible, org: &yardstick_core::org::Organisation, scope: &str) -> bool {
    match visible {
        Visible::All => true,
        Visible::Some { .. } => {
            org.sites_under(scope).iter().any(|s| visible.site(&s.id))
                || org.nodes_under(scope).iter().any(|n| visible.node(&n.id))
        }
    }
}
