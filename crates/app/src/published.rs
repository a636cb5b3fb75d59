//! Evaluations as a reader asks for them: the frozen evaluation of a period when one
//! exists, else one computed on request and marked provisional — never frozen by a read,
//! and kept in memory under everything its figures depend on (guideline, organisation,
//! batch watermark, period), so the same question is not computed twice. Every answer is
//! cut to what the reader may see after ranks were computed over the whole.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use yardstick_core::evaluate::Evaluation;
use yardstick_core::org::Organisation;
use yardstick_core::period::Period;
use yardstick_store::{EvaluationInfo, PeriodState};

use crate::error::Result;
use crate::evaluate::{
    Engine, EvaluateRequest, FrozenEvaluation, GuidelineChoice, resolve_scope, restrict_ref,
};
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

/// A period's evaluation over the whole organisation, shared, with the organisation
/// version it was made for.
pub(crate) struct Whole {
    source: Source,
    /// The organisation version the evaluation was computed over.
    pub(crate) org: Arc<Organisation>,
}

enum Source {
    Frozen(Arc<FrozenEvaluation>),
    /// A provisional evaluation and the text of its cache key.
    Provisional(Arc<Evaluation>, String),
}

impl Whole {
    pub(crate) fn evaluation(&self) -> &Arc<Evaluation> {
        match &self.source {
            Source::Frozen(f) => &f.evaluation,
            Source::Provisional(e, _) => e,
        }
    }

    /// The reader's cut of the evaluation under `asked`, shared: the whole itself when
    /// the reader sees everything under it, else a cut made once per key and kept.
    fn cut(&self, ws: &Workspace, actor: &Actor, asked: &str) -> Arc<Evaluation> {
        let visible = actor.visible(&self.org);
        let whole = self.evaluation();
        if matches!(visible, Visible::All) && whole.scope == asked {
            return whole.clone();
        }
        let key = self.view_key(actor, asked);
        if let Some(cut) = ws.memo.cut(&key) {
            return cut;
        }
        let cut = Arc::new(restrict_ref(whole, &visible, &self.org, asked));
        ws.memo.keep_cut(key, cut.clone());
        cut
    }

    /// The key of a reader's view under `asked`: this evaluation, the scope and what the
    /// reader sees (equal exactly when `Actor::visible` is).
    fn view_key(&self, actor: &Actor, asked: &str) -> String {
        format!("{}|{asked}|{}", self.key(), actor.visibility_key())
    }

    /// A text naming exactly this evaluation: its id when frozen, else all that its
    /// figures depend on.
    fn key(&self) -> String {
        match &self.source {
            Source::Frozen(f) => format!("frozen:{}", f.info.id),
            Source::Provisional(_, key) => format!("provisional:{key}"),
        }
    }

    pub(crate) fn status(&self) -> Status {
        match self.source {
            Source::Frozen(_) => Status::Frozen,
            Source::Provisional(..) => Status::Provisional,
        }
    }

    pub(crate) fn id(&self) -> Option<i64> {
        match &self.source {
            Source::Frozen(f) => Some(f.info.id),
            Source::Provisional(..) => None,
        }
    }
}

/// An evaluation for a reader, shared: see [`Workspace::evaluation_of_period_shared`].
#[derive(Debug, Clone)]
pub struct SharedView {
    /// Frozen or provisional.
    pub status: Status,
    /// Id of the frozen evaluation.
    pub id: Option<i64>,
    /// The evaluation, cut to what the reader sees under the scope asked.
    pub evaluation: Arc<Evaluation>,
}

/// An evaluation for a reader as JSON: see [`Workspace::evaluation_of_period_json`].
#[derive(Debug, Clone)]
pub struct EvaluationJson {
    /// Frozen or provisional.
    pub status: Status,
    /// Id of the frozen evaluation.
    pub id: Option<i64>,
    /// The JSON object of the evaluation, cut to what the reader sees under the scope
    /// asked (members in [`Evaluation`]'s order).
    pub json: Arc<String>,
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
        let (whole, asked) = self.whole_for(actor, period, scope, cancel).await?;
        let evaluation = restrict_ref(
            whole.evaluation(),
            &actor.visible(&whole.org),
            &whole.org,
            &asked,
        );
        Ok(EvaluationView {
            status: whole.status(),
            id: whole.id(),
            evaluation,
        })
    }

    /// The same evaluation as [`Workspace::evaluation_of_period`], shared instead of
    /// copied: the whole evaluation when the reader sees all of it, else the reader's cut
    /// kept for the next request with the same key. Pages that read a large scope use it.
    ///
    /// # Errors
    /// As [`Workspace::evaluation_of_period`].
    pub async fn evaluation_of_period_shared(
        &self,
        actor: &Actor,
        period: &Period,
        scope: Option<&str>,
        cancel: &Cancel,
    ) -> Result<SharedView> {
        let (whole, asked) = self.whole_for(actor, period, scope, cancel).await?;
        Ok(SharedView {
            status: whole.status(),
            id: whole.id(),
            evaluation: whole.cut(self, actor, &asked),
        })
    }

    /// The same evaluation as [`Workspace::evaluation_of_period`], as the JSON of its
    /// [`Evaluation`]: serialised once per whole evaluation, scope asked and reader's
    /// view (frozen evaluations never change; a provisional one is named by all its
    /// figures depend on), then served from memory.
    ///
    /// # Errors
    /// As [`Workspace::evaluation_of_period`].
    pub async fn evaluation_of_period_json(
        &self,
        actor: &Actor,
        period: &Period,
        scope: Option<&str>,
        cancel: &Cancel,
    ) -> Result<EvaluationJson> {
        let (whole, asked) = self.whole_for(actor, period, scope, cancel).await?;
        let key = whole.view_key(actor, asked.as_str());
        // Readers who miss wait for one another: fifty readers of a cold city would
        // otherwise each hold a copy of its lines and its bytes at once.
        let _one_at_a_time = match self.memo.view(&key) {
            Some(_) => None,
            None => Some(self.memo.viewing.lock().await),
        };
        let json = match self.memo.view(&key) {
            Some(json) => json,
            None => {
                let evaluation = restrict_ref(
                    whole.evaluation(),
                    &actor.visible(&whole.org),
                    &whole.org,
                    &asked,
                );
                let json = Arc::new(serde_json::to_string(&evaluation).map_err(|e| {
                    crate::Error::internal("error.internal.json").detail(e.to_string())
                })?);
                self.memo.keep_view(key, json.clone());
                json
            }
        };
        Ok(EvaluationJson {
            status: whole.status(),
            id: whole.id(),
            json,
        })
    }

    /// The whole evaluation of a period and the scope asked, resolved and checked: a
    /// scope named must be visible to the reader (without one, the root, cut later).
    async fn whole_for(
        &self,
        actor: &Actor,
        period: &Period,
        scope: Option<&str>,
        cancel: &Cancel,
    ) -> Result<(Whole, String)> {
        let (state, org) = self.period_state(period).await?;
        let asked = resolve_scope(&org, scope)?;
        if scope.is_some() {
            actor.require_visible(&org, &asked)?;
        }
        let whole = self.whole_of_period(&org, &state, period, cancel).await?;
        Ok((whole, asked))
    }

    /// What a read of `period`'s figures depends on, asked of the store once, with the
    /// current organisation (kept parsed).
    ///
    /// # Errors
    /// Input error when no organisation was imported; store failures.
    pub(crate) async fn period_state(
        &self,
        period: &Period,
    ) -> Result<(PeriodState, Arc<Organisation>)> {
        let state = self
            .store
            .period_state(&period.label)
            .await
            .map_err(|e| crate::store_error(&e))?;
        let fp = state
            .org_fingerprint
            .as_deref()
            .ok_or_else(|| crate::Error::input("error.org.none"))?;
        let org = self
            .org_version_arc(fp)
            .await?
            .ok_or_else(|| crate::Error::input("error.org.none"))?;
        Ok((state, org))
    }

    /// The evaluation of a period over the whole organisation, before any cut: the latest
    /// frozen one at the root, else the provisional one (computed once per key). Callers
    /// check what the reader may see.
    pub(crate) async fn whole_of_period(
        &self,
        org: &Arc<Organisation>,
        state: &PeriodState,
        period: &Period,
        cancel: &Cancel,
    ) -> Result<Whole> {
        let root = resolve_scope(org, None)?;
        let frozen = state.evaluations.iter().find(|(_, scope)| *scope == root);
        if let Some((id, _)) = frozen {
            let f = self.stored_evaluation(*id).await?;
            let forg = self.organisation_for_arc(&f.info).await?;
            return Ok(Whole {
                source: Source::Frozen(f),
                org: forg,
            });
        }
        let key = CacheKey {
            guideline: crate::evaluate::builtin_fingerprint()?.to_string(),
            org: state.org_fingerprint.clone().unwrap_or_default(),
            watermark: state.watermark,
            period: period.label.clone(),
        };
        let key_text = format!(
            "{}|{}|{:?}|{}",
            key.guideline, key.org, key.watermark, key.period
        );
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
                // Computed as the system over the whole organisation, then cut by the
                // callers: every reader's view comes from the same figures.
                let ev = Arc::new(self.evaluate(&Actor::System, req, cancel).await?.evaluation);
                self.cache.put(key, ev.clone());
                ev
            }
        };
        Ok(Whole {
            source: Source::Provisional(whole, key_text),
            org: org.clone(),
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
