//! Evaluating: compute measure states off the runtime, evaluate in core, and freeze the
//! result with everything needed to reproduce it from the data directory alone — the
//! guideline text (under its fingerprint, whatever file it came from), the organisation
//! version, and the batch watermark (the last batch the evaluation read).
//!
//! `verify` recomputes a frozen evaluation from those: the stored guideline, the stored
//! organisation version, and the records as they stood (batches up to the watermark;
//! a later `--replace` does not take over the days it covers), and compares the bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use serde::Serialize;
use yardstick_core::evaluate::{self, Evaluation, Inputs};
use yardstick_core::guideline::{self, Guideline};
use yardstick_core::org::Organisation;
use yardstick_core::period::Period;
use yardstick_engine::compute::{self, Computed};
use yardstick_engine::manifest::Manifest;
use yardstick_store::{EvaluationInfo, NewEvaluation};

use crate::activity::Activity;
use crate::error::{Error, ErrorKind, Result, in_both};
use crate::jobs::{Cancel, blocking};
use crate::scope::{Actor, Visible};
use crate::workspace::Workspace;

/// Which guideline to evaluate under.
#[derive(Debug, Clone)]
pub enum GuidelineChoice {
    /// The built-in default.
    Builtin,
    /// A file's text (its name labels messages).
    Text {
        /// File name.
        name: String,
        /// TOML text.
        text: String,
    },
    /// A version stored in the workspace, by fingerprint.
    Stored(String),
}

/// Which engine computes the measure states.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// The built-in columnar engine.
    #[default]
    Columnar,
    /// Core's row-by-row reference semantics (slow; the definition).
    Reference,
    /// DataFusion, the scale-out path (a binary built with the `datafusion` feature).
    DataFusion,
}

impl Engine {
    /// Its name as stored with a frozen evaluation.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Columnar => "columnar",
            Engine::Reference => "reference",
            Engine::DataFusion => "datafusion",
        }
    }

    fn parse(s: &str) -> Option<Engine> {
        match s {
            "columnar" => Some(Engine::Columnar),
            "reference" => Some(Engine::Reference),
            "datafusion" => Some(Engine::DataFusion),
            _ => None,
        }
    }
}

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct EvaluateRequest {
    /// Period.
    pub period: Period,
    /// Node or site id (or name); the whole organisation when `None`.
    pub scope: Option<String>,
    /// Guideline.
    pub guideline: GuidelineChoice,
    /// Engine.
    pub engine: Engine,
    /// Freeze the result in the workspace.
    pub freeze: bool,
}

/// Something the user should know about a figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "warning")]
pub enum Warning {
    /// Rows passed an indicator's filter but could not be counted.
    RowsLeftOut {
        /// Indicator and reason.
        problem: String,
        /// Rows.
        rows: u64,
    },
}

impl Warning {
    /// The warning in a language.
    #[must_use]
    pub fn render(&self, lang: yardstick_core::vocab::Lang) -> String {
        match self {
            Warning::RowsLeftOut { problem, rows } => {
                yardstick_core::t!(
                    lang,
                    "evaluate.warning.rows_left_out",
                    rows = rows,
                    problem = problem
                )
            }
        }
    }
}

/// An evaluation with its provenance.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// Id when frozen.
    pub id: Option<i64>,
    /// The evaluation.
    pub evaluation: Evaluation,
    /// The guideline it was computed under.
    pub guideline: Arc<Guideline>,
    /// The organisation it was computed for.
    pub org: Arc<Organisation>,
    /// Warnings.
    pub warnings: Vec<Warning>,
    /// Findings opened or found again when the evaluation was frozen.
    pub raised: Option<crate::pdca::Raised>,
    /// The corrective actions checked against the data after the freeze.
    pub checked: Option<crate::pdca::check::CheckReport>,
}

/// The result of `verify`.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Evaluation id.
    pub id: i64,
    /// Whether the recomputed bytes equal the frozen ones.
    pub equal: bool,
    /// The input fingerprint frozen.
    pub frozen_input_fingerprint: String,
    /// The input fingerprint recomputed.
    pub recomputed_input_fingerprint: String,
    /// Where they first differ (a JSON path and both values), when they differ.
    pub first_difference: Option<String>,
}

/// A frozen evaluation read back.
#[derive(Debug, Clone)]
pub struct FrozenEvaluation {
    /// Header: id, scope, period, fingerprints, watermark, who and when.
    pub info: EvaluationInfo,
    /// The evaluation, typed (shared with readers who see all of it).
    pub evaluation: Arc<Evaluation>,
    /// The exact bytes frozen.
    pub json: String,
}

/// The built-in guideline, parsed once per process (it is in the binary) and shared:
/// the request paths read it without a copy.
///
/// # Errors
/// An input error if the built-in guideline does not load (a build defect).
pub(crate) fn builtin_guideline() -> Result<&'static Guideline> {
    static BUILTIN: std::sync::OnceLock<std::result::Result<Guideline, String>> =
        std::sync::OnceLock::new();
    BUILTIN
        .get_or_init(|| {
            guideline::load(guideline::DEFAULT_NAME, guideline::DEFAULT_TOML)
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::input("error.guideline.invalid").detail(e.clone()))
}

/// The built-in guideline's fingerprint, computed once.
///
/// # Errors
/// As [`builtin_guideline`].
pub(crate) fn builtin_fingerprint() -> Result<&'static str> {
    static FINGERPRINT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let g = builtin_guideline()?;
    Ok(FINGERPRINT.get_or_init(|| g.fingerprint()).as_str())
}

impl Workspace {
    /// Loads a guideline choice, validating it.
    ///
    /// # Errors
    /// An input error with every located problem.
    pub async fn guideline(&self, choice: &GuidelineChoice) -> Result<(Guideline, String)> {
        if matches!(choice, GuidelineChoice::Builtin) {
            return Ok((
                builtin_guideline()?.clone(),
                guideline::DEFAULT_TOML.to_string(),
            ));
        }
        let (name, text) = match choice {
            GuidelineChoice::Builtin => (
                guideline::DEFAULT_NAME.to_string(),
                guideline::DEFAULT_TOML.to_string(),
            ),
            GuidelineChoice::Text { name, text } => (name.clone(), text.clone()),
            GuidelineChoice::Stored(fp) => {
                let text = self
                    .store
                    .guideline_text(fp)
                    .await
                    .map_err(|e| self.store_error(&e))?
                    .ok_or_else(|| Error::not_found("error.guideline.not_stored").arg("fp", fp))?;
                (format!("<stored guideline {}>", short(fp)), text)
            }
        };
        // A stored version must still load and be the one its fingerprint names: a text
        // changed inside the database is damage, not the user's input, and would change
        // targets and figures without a word.
        let stored = match choice {
            GuidelineChoice::Stored(fp) => Some(fp),
            _ => None,
        };
        let damaged = |why: yardstick_core::vocab::Text| {
            Error::new(ErrorKind::Damaged, "error.store_damaged").detail_localised(why)
        };
        let g = guideline::load(&name, &text).map_err(|e| match stored {
            Some(fp) => damaged(in_both(|l| {
                yardstick_core::t!(
                    l,
                    "error.damaged.guideline_unloadable",
                    fingerprint = fp,
                    problems = e.render(l)
                )
            })),
            None => {
                Error::input("error.guideline.invalid").detail_localised(in_both(|l| e.render(l)))
            }
        })?;
        if let Some(fp) = stored
            && g.fingerprint() != *fp
        {
            return Err(damaged(in_both(|l| {
                yardstick_core::t!(
                    l,
                    "error.damaged.guideline_hash",
                    fingerprint = fp,
                    hash = g.fingerprint()
                )
            })));
        }
        Ok((g, text))
    }

    /// Computes and evaluates a period, and freezes the result when asked.
    ///
    /// # Errors
    /// Input errors for an unknown scope or an invalid guideline; damaged-data errors
    /// when a stored file does not match the manifest; store failures.
    pub async fn evaluate(
        &self,
        actor: &Actor,
        req: EvaluateRequest,
        cancel: &Cancel,
    ) -> Result<Evaluated> {
        let (g, text) = self.guideline(&req.guideline).await?;
        let (org, org_fp) = self.current_org().await?;
        let resolved = resolve_scope(&org, req.scope.as_deref());
        let asked = match actor {
            Actor::System => resolved?,
            // A user is told "not found", naming what they asked for, for a scope that
            // does not exist as for one outside their grants: the input error's ids
            // "like it" and the difference between the two answers would tell them
            // which nodes and sites exist outside their grants.
            Actor::User(_) => {
                let typed = req.scope.as_deref().map(str::trim);
                let not_found = |id: &str| {
                    Error::not_found("error.scope.not_found").arg("id", typed.unwrap_or(id))
                };
                let id = resolved.map_err(|_| not_found(""))?;
                if !req.freeze && !actor.visible(&org).any(&id) {
                    return Err(not_found(&id));
                }
                id
            }
        };
        if req.freeze {
            actor.require_freeze(&org, &asked)?;
        } else {
            actor.require_visible(&org, &asked)?;
        }
        // Fairness: a user's view is computed over the whole organisation (every peer
        // group whole), then cut to what they may see; the command line evaluates the
        // scope it names.
        let scope = match actor {
            Actor::System => asked.clone(),
            Actor::User(_) => resolve_scope(&org, None)?,
        };
        let watermark = self
            .store
            .max_batch_id()
            .await
            .map_err(|e| self.store_error(&e))?;
        let manifest = self.manifest(watermark).await?;
        let g = Arc::new(g);
        let org = Arc::new(org);
        let audits = self.counted_audits(&g, &req.period, None).await?;
        let cluster_manifest = manifest.clone();
        let (evaluation, warnings) = compute_and_evaluate(
            self,
            &g,
            &org,
            &scope,
            &req.period,
            req.engine,
            manifest,
            audits.clone(),
            cancel,
        )
        .await?;
        let id = if req.freeze {
            let json = serde_json::to_string(&evaluation)
                .map_err(|e| Error::internal("error.internal.json").detail(e.to_string()))?;
            let new = NewEvaluation {
                scope: evaluation.scope.clone(),
                period: evaluation.period.label.clone(),
                guideline_fingerprint: g.fingerprint(),
                org_fingerprint: org_fp,
                input_fingerprint: evaluation.input_fingerprint.clone(),
                batch_watermark: watermark,
                engine: req.engine.as_str().to_string(),
                frozen_by: actor.login().map(str::to_string),
                result_json: json,
            };
            Some(self.freeze(actor, &g, text, new).await?)
        } else {
            None
        };
        // A frozen evaluation raises its findings (shortfalls, failed items of the
        // counted audits, trends over the frozen periods before).
        let raised = match id {
            Some(id) => {
                let clusters = match g.pdca_rule().cluster.as_ref() {
                    Some(c) => {
                        self.complaint_counts(&req.period, c.days, cluster_manifest, cancel)
                            .await?
                    }
                    None => yardstick_core::pdca::ClusterCounts::default(),
                };
                Some(
                    self.raise_for_evaluation(actor, id, &evaluation, &g, &org, &audits, &clusters)
                        .await?,
                )
            }
            None => None,
        };
        // ... and checks the actions in Check against it (and escalates late ones).
        let checked = match id {
            Some(_) => Some(self.run_checks(actor, Utc::now().date_naive()).await?),
            None => None,
        };
        let evaluation = restrict(evaluation, &actor.visible(&org), &org, &asked);
        Ok(Evaluated {
            id,
            evaluation,
            guideline: g,
            org,
            warnings,
            raised,
            checked,
        })
    }

    /// Stores the guideline text and the evaluation, and logs who froze it, as a task of
    /// its own: a caller that goes away meanwhile cannot leave an evaluation frozen that
    /// the activity log does not show.
    async fn freeze(
        &self,
        actor: &Actor,
        g: &Guideline,
        text: String,
        new: NewEvaluation,
    ) -> Result<i64> {
        let (ws, actor) = (self.clone(), actor.clone());
        let (fp, id_text, version) = (
            new.guideline_fingerprint.clone(),
            g.id.clone(),
            g.version.clone(),
        );
        tokio::spawn(async move {
            ws.store
                .put_guideline(&fp, &id_text, &version, &text, Utc::now())
                .await
                .map_err(|e| ws.store_error(&e))?;
            let id = ws
                .store
                .save_evaluation(&new, Utc::now())
                .await
                .map_err(|e| ws.store_error(&e))?;
            ws.log(
                &actor,
                Activity::new("evaluation.freeze")
                    .object(&id.to_string())
                    .detail(serde_json::json!({
                        "period": new.period,
                        "scope": new.scope,
                        "input_fingerprint": new.input_fingerprint,
                    })),
            )
            .await?;
            Ok(id)
        })
        .await
        .map_err(|e| Error::internal("error.internal.worker_panicked").detail(e.to_string()))?
    }

    /// Frozen evaluations, newest first: those the actor may see some of (see
    /// [`Workspace::frozen_evaluation`]).
    ///
    /// # Errors
    /// Store failures.
    pub async fn evaluations(&self, actor: &Actor) -> Result<Vec<EvaluationInfo>> {
        let all = self
            .store
            .evaluations()
            .await
            .map_err(|e| self.store_error(&e))?;
        if matches!(actor, Actor::System) {
            return Ok(all);
        }
        // Each under the organisation it was made for, read once per version.
        let mut orgs: BTreeMap<Option<String>, Organisation> = BTreeMap::new();
        let mut out = Vec::with_capacity(all.len());
        for info in all {
            if !orgs.contains_key(&info.org_fingerprint) {
                let org = self.organisation_for(&info).await?;
                orgs.insert(info.org_fingerprint.clone(), org);
            }
            if let Some(org) = orgs.get(&info.org_fingerprint)
                && sees_any(&actor.visible(org), org, &info.scope)
            {
                out.push(info);
            }
        }
        Ok(out)
    }

    /// One frozen evaluation, typed, with its exact bytes. A user who may see only part
    /// of it (their grants' sites and nodes) gets that part, cut as a fresh evaluation
    /// is (ranks as frozen), and its bytes; one who may see none of it is told it does
    /// not exist.
    ///
    /// # Errors
    /// Not found; damaged when the stored JSON no longer reads as an evaluation.
    pub async fn frozen_evaluation(&self, actor: &Actor, id: i64) -> Result<FrozenEvaluation> {
        let frozen = self.stored_evaluation(id).await?;
        let Some((visible, org)) = self.frozen_view(actor, &frozen.info).await? else {
            return Ok((*frozen).clone());
        };
        let part = restrict_ref(&frozen.evaluation, &visible, &org, &frozen.info.scope);
        let json = serde_json::to_string(&part)
            .map_err(|e| Error::internal("error.internal.json").detail(e.to_string()))?;
        Ok(FrozenEvaluation {
            info: frozen.info.clone(),
            evaluation: Arc::new(part),
            json,
        })
    }

    /// A frozen evaluation whole, whoever asks; kept parsed once read (a frozen
    /// evaluation never changes).
    pub(crate) async fn stored_evaluation(&self, id: i64) -> Result<Arc<FrozenEvaluation>> {
        if let Some(f) = self.memo.frozen(id) {
            return Ok(f);
        }
        // One read at a time: fifty readers of a period just frozen would otherwise each
        // parse its JSON (tens of megabytes for thousands of sites) at once.
        let _one_at_a_time = self.memo.loading.lock().await;
        if let Some(f) = self.memo.frozen(id) {
            return Ok(f);
        }
        let stored = self
            .store
            .evaluation(id)
            .await
            .map_err(|e| self.store_error(&e))?
            .ok_or_else(|| Error::not_found("error.evaluation.not_found").arg("id", id))?;
        let evaluation: Evaluation = serde_json::from_str(&stored.result_json).map_err(|e| {
            Error::new(ErrorKind::Damaged, "error.evaluation.unreadable")
                .arg("id", id)
                .detail(e.to_string())
        })?;
        let f = Arc::new(FrozenEvaluation {
            info: stored.info,
            evaluation: Arc::new(evaluation),
            json: stored.result_json,
        });
        self.memo.keep_frozen(id, f.clone());
        Ok(f)
    }

    /// What of a frozen evaluation an actor may see: `None` for all of it (the command
    /// line, administrators, regulators), else the sites and nodes visible to them in
    /// the organisation it was made for.
    ///
    /// # Errors
    /// Not found when they may see none of it (no existence leak).
    async fn frozen_view(
        &self,
        actor: &Actor,
        info: &EvaluationInfo,
    ) -> Result<Option<(Visible, Organisation)>> {
        if matches!(actor, Actor::System) {
            return Ok(None);
        }
        let org = self.organisation_for(info).await?;
        match actor.visible(&org) {
            Visible::All => Ok(None),
            visible if sees_any(&visible, &org, &info.scope) => Ok(Some((visible, org))),
            _ => Err(Error::not_found("error.evaluation.not_found").arg("id", info.id)),
        }
    }

    /// Recomputes a frozen evaluation from the stored guideline, the stored organisation
    /// version and the records as they stood when it was frozen, and compares the bytes
    /// (all of them, whoever asks; a user who sees part of the evaluation is told where
    /// their part differs, never another site's figures).
    ///
    /// # Errors
    /// Not found (also for a user who may see none of it); an input error for an
    /// evaluation frozen before its provenance was recorded; damaged-data errors from
    /// the records.
    pub async fn verify_evaluation(
        &self,
        actor: &Actor,
        id: i64,
        cancel: &Cancel,
    ) -> Result<Verification> {
        let frozen = self.stored_evaluation(id).await?;
        let view = self.frozen_view(actor, &frozen.info).await?;
        let info = &frozen.info;
        // Evaluations frozen before provenance was recorded have neither an organisation
        // version nor a watermark. One with an organisation version and no watermark was
        // frozen when no batch was committed: it read no records, and neither does its
        // recomputation.
        let Some(org_fp) = &info.org_fingerprint else {
            return Err(Error::input("error.evaluation.no_provenance").arg("id", id));
        };
        let (g, _) = self
            .guideline(&GuidelineChoice::Stored(info.guideline_fingerprint.clone()))
            .await?;
        let org = self
            .store
            .org_version(org_fp)
            .await
            .map_err(|e| self.store_error(&e))?
            .ok_or_else(|| {
                Error::new(ErrorKind::Damaged, "error.evaluation.org_missing").arg("id", id)
            })?;
        let period = frozen.evaluation.period.clone();
        let engine = Engine::parse(&info.engine).unwrap_or_default();
        let manifest = match info.batch_watermark {
            Some(watermark) => self.manifest(Some(watermark)).await?,
            None => Manifest::default(),
        };
        let (g, org) = (Arc::new(g), Arc::new(org));
        // Exactly the audits the evaluation counted: signed audits never change, and the
        // rule over them alone selects them all again (audits signed since do not count).
        let counted: Vec<i64> = frozen
            .evaluation
            .sites
            .iter()
            .flat_map(|s| s.audits.iter().map(|a| a.id))
            .collect();
        let audits = if counted.is_empty() {
            Vec::new()
        } else {
            self.counted_audits(&g, &period, Some(counted)).await?
        };
        let (recomputed, _) = compute_and_evaluate(
            self,
            &g,
            &org,
            &info.scope,
            &period,
            engine,
            manifest,
            audits,
            cancel,
        )
        .await?;
        let json = serde_json::to_string(&recomputed)
            .map_err(|e| Error::internal("error.internal.json").detail(e.to_string()))?;
        let equal = json == frozen.json;
        let recomputed_input_fingerprint = recomputed.input_fingerprint.clone();
        let first_difference = match (equal, view) {
            (true, _) => None,
            (false, None) => Some(first_difference(&frozen.json, &json)),
            (false, Some((visible, org))) => {
                let part = |ev: Evaluation| {
                    serde_json::to_string(&restrict(ev, &visible, &org, &info.scope))
                        .map_err(|e| Error::internal("error.internal.json").detail(e.to_string()))
                };
                Some(first_difference(
                    &part((*frozen.evaluation).clone())?,
                    &part(recomputed)?,
                ))
            }
        };
        Ok(Verification {
            id,
            equal,
            frozen_input_fingerprint: info.input_fingerprint.clone(),
            recomputed_input_fingerprint,
            first_difference,
        })
    }

    /// The organisation a frozen evaluation was made for (the current one for
    /// evaluations frozen before organisation versions were kept).
    ///
    /// # Errors
    /// Store failures; an input error when no organisation is loaded.
    pub async fn organisation_for(&self, info: &EvaluationInfo) -> Result<Organisation> {
        Ok((*self.organisation_for_arc(info).await?).clone())
    }

    /// [`Workspace::organisation_for`], shared.
    pub(crate) async fn organisation_for_arc(
        &self,
        info: &EvaluationInfo,
    ) -> Result<Arc<Organisation>> {
        if let Some(fp) = &info.org_fingerprint
            && let Some(org) = self.org_version_arc(fp).await?
        {
            return Ok(org);
        }
        Ok(self.current_org_arc().await?.0)
    }

    /// The current organisation and its fingerprint.
    pub(crate) async fn current_org(&self) -> Result<(Organisation, String)> {
        let (org, fp) = self.current_org_arc().await?;
        Ok(((*org).clone(), fp))
    }
}

/// Computes the states off the runtime, then evaluates in core.
#[allow(
    clippy::too_many_arguments,
    reason = "the evaluation's inputs, each needed"
)]
async fn compute_and_evaluate(
    ws: &Workspace,
    g: &Arc<Guideline>,
    org: &Arc<Organisation>,
    scope: &str,
    period: &Period,
    engine: Engine,
    manifest: Manifest,
    audits: Vec<evaluate::AuditAnswer>,
    cancel: &Cancel,
) -> Result<(Evaluation, Vec<Warning>)> {
    type Run = fn(
        &yardstick_engine::layout::DataDir,
        &Manifest,
        &Guideline,
        &Organisation,
        &Period,
    ) -> std::result::Result<Computed, compute::ComputeError>;
    let run: Run = match engine {
        Engine::Columnar => compute::compute,
        Engine::Reference => compute::compute_reference,
        #[cfg(feature = "datafusion")]
        Engine::DataFusion => compute::compute_datafusion,
        #[cfg(not(feature = "datafusion"))]
        Engine::DataFusion => return Err(Error::input("error.engine.no_datafusion")),
    };
    let dir = ws.dir.clone();
    let (g2, org2, p2) = (g.clone(), org.clone(), period.clone());
    let computed: Computed = blocking(cancel, move |_| run(&dir, &manifest, &g2, &org2, &p2))
        .await?
        .map_err(|e| crate::compute_error(&e))?;
    let warnings = computed
        .row_problems
        .iter()
        .map(|(problem, rows)| Warning::RowsLeftOut {
            problem: problem.clone(),
            rows: *rows,
        })
        .collect();
    let inputs = Inputs {
        guideline: g,
        org,
        scope: scope.to_string(),
        period: period.clone(),
        states: computed.merged(),
        users: computed.users.clone(),
        audits,
    };
    let ev = evaluate::evaluate(&inputs)
        .map_err(|e| Error::input("error.evaluate.failed").detail(e.to_string()))?;
    Ok((ev, warnings))
}

/// What of an evaluation a reader keeps: the sites and nodes they see under `scope`
/// (everything, when they see all and ask for the evaluation's own scope).
struct Cut<'a> {
    whole: bool,
    visible: &'a Visible,
    sites: std::collections::BTreeSet<&'a str>,
    nodes: std::collections::BTreeSet<&'a str>,
}

impl<'a> Cut<'a> {
    fn new(ev_scope: &str, visible: &'a Visible, org: &'a Organisation, scope: &str) -> Cut<'a> {
        let whole = matches!(visible, Visible::All) && scope == ev_scope;
        let (sites, nodes) = if whole {
            Default::default()
        } else {
            (
                org.sites_under(scope)
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect(),
                org.nodes_under(scope)
                    .iter()
                    .map(|n| n.id.as_str())
                    .collect(),
            )
        };
        Cut {
            whole,
            visible,
            sites,
            nodes,
        }
    }

    fn site(&self, id: &str) -> bool {
        self.whole || (self.visible.site(id) && self.sites.contains(id))
    }

    fn node(&self, id: &str) -> bool {
        self.whole || (self.visible.node(id) && self.nodes.contains(id))
    }
}

/// An evaluation cut to what an actor sees and to the subtree of `scope`: sites and
/// nodes outside are removed; ranks and peer counts stay as computed over the whole.
#[must_use]
pub fn restrict(
    mut ev: Evaluation,
    visible: &Visible,
    org: &Organisation,
    scope: &str,
) -> Evaluation {
    let cut = Cut::new(&ev.scope, visible, org, scope);
    if !cut.whole {
        ev.sites.retain(|s| cut.site(&s.site));
        ev.nodes.retain(|n| cut.node(&n.node));
    }
    ev
}

/// [`restrict`] of a shared evaluation: only the sites and nodes kept are copied.
#[must_use]
pub fn restrict_ref(
    ev: &Evaluation,
    visible: &Visible,
    org: &Organisation,
    scope: &str,
) -> Evaluation {
    let cut = Cut::new(&ev.scope, visible, org, scope);
    Evaluation {
        guideline_id: ev.guideline_id.clone(),
        guideline_version: ev.guideline_version.clone(),
        guideline_fingerprint: ev.guideline_fingerprint.clone(),
        input_fingerprint: ev.input_fingerprint.clone(),
        scope: ev.scope.clone(),
        period: ev.period.clone(),
        sites: ev
            .sites
            .iter()
            .filter(|s| cut.site(&s.site))
            .cloned()
            .collect(),
        nodes: ev
            .nodes
            .iter()
            .filter(|n| cut.node(&n.node))
            .cloned()
            .collect(),
    }
}

/// The node or site a scope names: an id, or a name in either language; the root when
/// none is given.
///
/// # Errors
/// An input error listing close ids when nothing matches, or the matches when a name is
/// ambiguous.
pub fn resolve_scope(org: &Organisation, scope: Option<&str>) -> Result<String> {
    let Some(s) = scope.map(str::trim) else {
        return org
            .nodes
            .first()
            .map(|n| n.id.clone())
            .ok_or_else(|| Error::input("error.org.none"));
    };
    if org.contains(s) {
        return Ok(s.to_string());
    }
    let mut by_name: Vec<String> = org
        .nodes
        .iter()
        .filter(|n| n.name.zh == s || n.name.en.eq_ignore_ascii_case(s))
        .map(|n| n.id.clone())
        .chain(
            org.sites
                .iter()
                .filter(|x| x.name.zh == s || x.name.en.eq_ignore_ascii_case(s))
                .map(|x| x.id.clone()),
        )
        .collect();
    by_name.dedup();
    match by_name.len() {
        1 => Ok(by_name.remove(0)),
        0 => {
            let lower = s.to_lowercase();
            let close: Vec<String> = org
                .nodes
                .iter()
                .map(|n| n.id.clone())
                .chain(org.sites.iter().map(|x| x.id.clone()))
                .filter(|id| id.to_lowercase().contains(&lower))
                .take(8)
                .collect();
            let hint = if close.is_empty() {
                org.nodes
                    .iter()
                    .take(8)
                    .map(|n| n.id.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                close.join(", ")
            };
            Err(Error::input("error.scope.unknown")
                .arg("scope", s)
                .arg("ids", hint))
        }
        _ => Err(Error::input("error.scope.ambiguous")
            .arg("scope", s)
            .arg("ids", by_name.join(", "))),
    }
}

fn short(fp: &str) -> &str {
    fp.get(..12).unwrap_or(fp)
}

/// Whether any site or node under `scope` is visible.
fn sees_any(visible: &Visible, org: &Organisation, scope: &str) -> bool {
    match visible {
        Visible::All => true,
        _ => {
            org.sites_under(scope).iter().any(|s| visible.site(&s.id))
                || org.nodes_under(scope).iter().any(|n| visible.node(&n.id))
        }
    }
}

/// Where two JSON texts of an evaluation first differ, as a path and both values.
fn first_difference(a: &str, b: &str) -> String {
    let (Ok(x), Ok(y)) = (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) else {
        return "the frozen text is not JSON".to_string();
    };
    diff_value("$", &x, &y).unwrap_or_else(|| "same values, different bytes".to_string())
}

fn diff_value(path: &str, a: &serde_json::Value, b: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => diff_value(&format!("{path}.{k}"), p, q),
                (p, q) => Some(format!("{path}.{k}: {} → {}", show(p), show(q))),
            })
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path}: {} → {} entries", x.len(), y.len()));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| diff_value(&format!("{path}[{i}]"), p, q))
        }
        _ if a == b => None,
        _ => Some(format!("{path}: {a} → {b}")),
    }
}

fn show(v: Option<&serde_json::Value>) -> String {
    v.map_or_else(|| "(absent)".to_string(), ToString::to_string)
}

/// Rows left out per indicator, for tables.
#[must_use]
pub fn rows_left_out(warnings: &[Warning]) -> BTreeMap<String, u64> {
    warnings
        .iter()
        .map(|Warning::RowsLeftOut { problem, rows }| (problem.clone(), *rows))
        .collect()
}

impl Workspace {
    /// The measure states of a period under a guideline, without evaluating (benchmarks,
    /// diagnostics): the manifest read now, the records read off the runtime.
    ///
    /// # Errors
    /// Damaged-data errors from the records; store failures.
    pub async fn compute_states(
        &self,
        _actor: &Actor,
        g: &Arc<Guideline>,
        period: &Period,
        cancel: &Cancel,
    ) -> Result<Computed> {
        let org = Arc::new(self.require_org().await?);
        let watermark = self
            .store
            .max_batch_id()
            .await
            .map_err(|e| self.store_error(&e))?;
        let manifest = self.manifest(watermark).await?;
        let dir = self.dir.clone();
        let (g2, p2) = (g.clone(), period.clone());
        blocking(cancel, move |_| {
            compute::compute(&dir, &manifest, &g2, &org, &p2)
        })
        .await?
        .map_err(|e| crate::compute_error(&e))
    }
}
