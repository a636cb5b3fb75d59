//! Evaluation: achievement, clause/dimension/scene/total scores, red lines, maturity
//! levels and peer ranks, from merged measure states and audit answers.
//!
//! The model (DOMAIN.md §6.6, refined):
//! - An indicator line (indicator × record stratum) is *rated* when it has a target for
//!   the site and at least its minimum sample. Achievement a = clamp((x − floor) ÷
//!   (goal − floor), 0, 1); the same formula mirrors itself when lower is better because
//!   goal < floor then. Strata of one indicator share its weight equally.
//! - Results half = results_points × Σ w·a ÷ Σ w over rated lines.
//! - An item scores 1/0 (pass/fail), value/4 (0–4 scale) or points/max; N/A and
//!   unanswered items leave the denominator. Clause audit score = Σ w·s ÷ Σ w; dimension
//!   score = clause-weighted mean; management half = management_points × dimension-
//!   weighted mean over rated dimensions.
//! - Total (0–1000) = both halves when both are rated; when only one half is rated the
//!   total is that half scaled to the full range, and the coverage fields say so.
//! - Level = highest level whose min_score ≤ total, capped by every red line hit.
//! - Rank within the peer group by total, ties share a rank (1, 2, 2, 4); percentile =
//!   100 × peers strictly below ÷ (peers − 1), 100 for a group of one.
//! - Organisation nodes: indicator values from the merged states of all their sites
//!   (count-weighted); total = scene-weighted mean of their sites' totals per scene plus
//!   the cross-scene weight on the sites' cross-scene indicator scores.
//!
//! The result carries the guideline fingerprint and a fingerprint of all inputs; it is
//! built only from ordered collections, so the same inputs give the same bytes.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::audit::CountedAudit;
use crate::audit::score::site_audit;
use crate::guideline::{Direction, Guideline, Indicator, Measure, RedLineRule, Target};
use crate::measure::{Derived, MeasureState, Quantile, SlVariant, wilson_interval};
use crate::org::{Organisation, Site};
use crate::period::Period;
use crate::vocab::Scene;

/// Key of a merged measure state: one indicator line at one site.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StateKey {
    /// Site id.
    pub site: String,
    /// Indicator id.
    pub indicator: String,
    /// Record stratum ("" = all records; see `guideline::stratum_key`).
    pub stratum: String,
}

/// One auditor answer to one checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "answer", content = "value")]
pub enum Answer {
    /// Pass.
    Pass,
    /// Fail.
    Fail,
    /// 0–4 scale value.
    Scale(u8),
    /// Points earned.
    Points(f64),
    /// Not applicable.
    NotApplicable,
}

/// An answer at a site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditAnswer {
    /// Site audited.
    pub site: String,
    /// Checklist item id.
    pub item: String,
    /// Answer.
    pub answer: Answer,
    /// The counted audit it comes from, with its kind's weight; `None` for an answer
    /// given without one (weight 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<CountedAudit>,
}

/// Everything an evaluation reads.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    /// Guideline version.
    pub guideline: &'a Guideline,
    /// Organisation.
    pub org: &'a Organisation,
    /// Node or site evaluated (with everything under it).
    pub scope: String,
    /// Period.
    pub period: Period,
    /// Measure states merged over the period, per site and indicator line.
    pub states: BTreeMap<StateKey, MeasureState>,
    /// Users (or lines) served per site or node, for `rate_per` indicators.
    pub users: BTreeMap<String, u64>,
    /// Audit answers.
    pub audits: Vec<AuditAnswer>,
}

/// Why an indicator line has no achievement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// Rated: achievement computed.
    Rated,
    /// No records at all.
    NoData,
    /// Fewer records than the minimum sample.
    BelowMinSample,
    /// No target applies to this site.
    NoTarget,
    /// Weight 0: reported for information only.
    Unweighted,
    /// A rate indicator without a subscriber base for the scope.
    NoUsers,
}

/// One indicator line of one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineResult {
    /// Indicator id.
    pub indicator: String,
    /// Record stratum.
    pub stratum: String,
    /// Value in the indicator's unit.
    pub value: Option<f64>,
    /// Sample size (rows in the denominator).
    pub sample: u64,
    /// 95 % confidence interval where one can be given.
    pub ci95: Option<(f64, f64)>,
    /// Floor, goal and hard limit used.
    pub floor: Option<f64>,
    /// Goal.
    pub goal: Option<f64>,
    /// Hard limit.
    pub hard_limit: Option<f64>,
    /// Status.
    pub status: LineStatus,
    /// Achievement 0–1 when rated.
    pub achievement: Option<f64>,
    /// Weight of this line.
    pub weight: f64,
    /// Points earned in the results half.
    pub points: Option<f64>,
    /// Value is worse than the hard limit.
    pub hard_limit_breached: bool,
}

/// Score of one clause at one site (each part 0–1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartScore {
    /// Clause or dimension id.
    pub id: String,
    /// From checklist items.
    pub audit: Option<f64>,
    /// From the indicators that evidence it.
    pub evidence: Option<f64>,
    /// Mean of the parts present.
    pub combined: Option<f64>,
}

/// A half of the score (the management system from audits, the results from indicators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Half {
    /// Audited clauses.
    Management,
    /// Indicators.
    Results,
}

/// Why a site is not rated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum NotRated {
    /// A half that would enter the total had evidence for too small a share of its
    /// points: scaling it up would pass a guess off as a score.
    Coverage {
        /// Which half.
        half: Half,
        /// Share of its points with evidence (0–1).
        coverage: f64,
        /// The guideline's minimum (`scoring.min_coverage`).
        min: f64,
    },
}

impl NotRated {
    /// The reason in a language, e.g. "coverage of the results half 6 % < 50 %".
    #[must_use]
    pub fn render(&self, lang: crate::vocab::Lang) -> String {
        let pct = |x: f64| format!("{:.0}%", x * 100.0);
        match self {
            NotRated::Coverage {
                half,
                coverage,
                min,
            } => {
                let half = match half {
                    Half::Management => crate::i18n::text(lang, "evaluate.half.management"),
                    Half::Results => crate::i18n::text(lang, "evaluate.half.results"),
                };
                crate::t!(
                    lang,
                    "evaluate.not_rated_coverage",
                    half = half,
                    coverage = pct(*coverage),
                    min = pct(*min)
                )
            }
        }
    }
}

/// The evaluation of one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteResult {
    /// Site id.
    pub site: String,
    /// Scene.
    pub scene: Scene,
    /// Peer group.
    pub peer_group: String,
    /// Indicator lines.
    pub lines: Vec<LineResult>,
    /// Clause scores.
    pub clauses: Vec<PartScore>,
    /// Dimension scores.
    pub dimensions: Vec<PartScore>,
    /// Management half, points.
    pub management: Option<f64>,
    /// Results half, points.
    pub results: Option<f64>,
    /// Share of the management weight that was rated (0–1).
    pub management_coverage: f64,
    /// Share of the results weight that was rated (0–1).
    pub results_coverage: f64,
    /// Total 0–1000.
    pub total: Option<f64>,
    /// Score of the cross-scene indicators alone, 0–1000.
    pub cross_scene: Option<f64>,
    /// Why the site has no total, level or rank although it has some evidence (too
    /// little of it); `None` when rated or when nothing at all was measured.
    #[serde(default)]
    pub not_rated: Option<NotRated>,
    /// Level before red-line caps (rank 1–5).
    pub level_uncapped: Option<u8>,
    /// Level after caps.
    pub level: Option<u8>,
    /// Red lines hit.
    pub red_lines: Vec<String>,
    /// The audits whose answers counted (the management half's evidence), by kind;
    /// left out when none did, so evaluations without audits keep their bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audits: Vec<CountedAudit>,
    /// Rank in the peer group (1 = best).
    pub rank: Option<u32>,
    /// Rated sites in the peer group.
    pub peers: u32,
    /// Percentile in the peer group.
    pub percentile: Option<f64>,
}

/// Achievement below which a rated line counts among a site's weak indicators.
pub const WEAK_ACHIEVEMENT: f64 = 0.5;

impl SiteResult {
    /// The site's weakest indicator lines: rated lines whose achievement is below
    /// [`WEAK_ACHIEVEMENT`], lowest first (ties by indicator and stratum), at most `n`.
    /// The rule every summary (tables, pages, reports) uses to say what to look at first.
    #[must_use]
    pub fn weakest(&self, n: usize) -> Vec<&LineResult> {
        let mut lines: Vec<&LineResult> = self
            .lines
            .iter()
            .filter(|l| l.achievement.is_some_and(|a| a < WEAK_ACHIEVEMENT))
            .collect();
        lines.sort_by(|a, b| {
            a.achievement
                .unwrap_or(0.0)
                .total_cmp(&b.achievement.unwrap_or(0.0))
                .then_with(|| (&a.indicator, &a.stratum).cmp(&(&b.indicator, &b.stratum)))
        });
        lines.truncate(n);
        lines
    }
}

/// An indicator value of an organisation node from merged states.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeLine {
    /// Indicator id.
    pub indicator: String,
    /// Stratum.
    pub stratum: String,
    /// Value.
    pub value: Option<f64>,
    /// Sample.
    pub sample: u64,
}

/// The evaluation of one organisation node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeResult {
    /// Node id.
    pub node: String,
    /// Sites under it.
    pub sites: u32,
    /// Sites with a total.
    pub rated_sites: u32,
    /// Mean site total per scene.
    pub scene_scores: BTreeMap<String, f64>,
    /// Scene-weighted total 0–1000.
    pub total: Option<f64>,
    /// Level of the total.
    pub level: Option<u8>,
    /// Sites that hit at least one red line.
    pub sites_with_red_lines: u32,
    /// Count-weighted indicator values.
    pub lines: Vec<NodeLine>,
}

/// A complete, reproducible evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Guideline id.
    pub guideline_id: String,
    /// Guideline version.
    pub guideline_version: String,
    /// Fingerprint of the guideline content.
    pub guideline_fingerprint: String,
    /// Fingerprint of every input.
    pub input_fingerprint: String,
    /// Scope.
    pub scope: String,
    /// Period.
    pub period: Period,
    /// Sites in id order.
    pub sites: Vec<SiteResult>,
    /// Nodes in id order.
    pub nodes: Vec<NodeResult>,
}

/// Why an evaluation could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluateError {
    /// The scope names no node or site.
    #[error("unknown scope `{0}`: not a node or site of the organisation")]
    UnknownScope(String),
    /// The inputs could not be fingerprinted.
    #[error("cannot fingerprint the inputs: {0}")]
    Fingerprint(String),
}

/// The canonical form of the inputs that the input fingerprint hashes: maps with
/// structured keys become sorted lists of pairs.
#[derive(Serialize)]
struct Canonical<'a> {
    guideline: String,
    org: &'a Organisation,
    scope: &'a str,
    period: &'a Period,
    states: Vec<(&'a StateKey, &'a MeasureState)>,
    users: &'a BTreeMap<String, u64>,
    audits: Vec<&'a AuditAnswer>,
}

/// Fingerprint of every input of an evaluation.
///
/// # Errors
/// When the inputs cannot be serialised.
pub fn input_fingerprint(inputs: &Inputs<'_>) -> Result<String, EvaluateError> {
    let mut audits: Vec<&AuditAnswer> = inputs.audits.iter().collect();
    audits.sort_by(|a, b| {
        let id = |x: &AuditAnswer| x.source.as_ref().map_or(0, |s| s.id);
        (&a.site, &a.item, id(a)).cmp(&(&b.site, &b.item, id(b)))
    });
    let c = Canonical {
        guideline: inputs.guideline.fingerprint(),
        org: inputs.org,
        scope: &inputs.scope,
        period: &inputs.period,
        states: inputs.states.iter().collect(),
        users: &inputs.users,
        audits,
    };
    crate::fingerprint::of_json(&c).map_err(|e| EvaluateError::Fingerprint(e.to_string()))
}

/// Evaluates every site and node in the scope.
///
/// # Errors
/// When the scope is unknown.
pub fn evaluate(inputs: &Inputs<'_>) -> Result<Evaluation, EvaluateError> {
    let org = inputs.org;
    if !org.contains(&inputs.scope) {
        return Err(EvaluateError::UnknownScope(inputs.scope.clone()));
    }
    let g = inputs.guideline;
    let mut sites: Vec<SiteResult> = org
        .sites_under(&inputs.scope)
        .into_iter()
        .map(|s| evaluate_site(inputs, s))
        .collect();
    sites.sort_by(|a, b| a.site.cmp(&b.site));
    rank(&mut sites);
    let mut nodes: Vec<NodeResult> = org
        .nodes_under(&inputs.scope)
        .into_iter()
        .map(|n| evaluate_node(inputs, &n.id, &sites))
        .collect();
    nodes.sort_by(|a, b| a.node.cmp(&b.node));
    Ok(Evaluation {
        guideline_id: g.id.clone(),
        guideline_version: g.version.clone(),
        guideline_fingerprint: g.fingerprint(),
        input_fingerprint: input_fingerprint(inputs)?,
        scope: inputs.scope.clone(),
        period: inputs.period.clone(),
        sites,
        nodes,
    })
}

/// The value of an indicator from a merged state, in its unit, with the sample size and
/// a 95 % interval where one can be given. `users` feeds `rate_per` measures.
#[must_use]
pub fn indicator_value(
    ind: &Indicator,
    state: &MeasureState,
    users: Option<u64>,
) -> (Option<f64>, u64, Option<(f64, f64)>) {
    let scale = ind.scale;
    let scaled = |d: Derived| (d.value.map(|x| x * scale), d.n);
    let scaled_ci = |ci: Option<(f64, f64)>| ci.map(|(a, b)| (a * scale, b * scale));
    match &ind.measure {
        Measure::Ratio { .. } | Measure::ShareWithin { .. } => {
            let (v, n) = scaled(state.ratio());
            (v, n, scaled_ci(state.ratio_interval()))
        }
        Measure::Mean { .. } => {
            let d = state.mean();
            (d.value, d.n, state.mean_interval())
        }
        Measure::Percentile { q, .. } => {
            let d = Quantile::new(*q).map_or(
                Derived {
                    value: None,
                    n: state.values,
                },
                |q| state.percentile(q),
            );
            (d.value, d.n, None)
        }
        Measure::RatePer { per } => {
            // The sample of a rate is the population at risk: the users served.
            let d = users.and_then(|u| state.rate_per(u, *per).ok());
            (d.and_then(|d| d.value), users.unwrap_or(0), None)
        }
        Measure::Count => {
            #[allow(clippy::cast_precision_loss, reason = "counts are far below 2^53")]
            let n = state.n as f64;
            (Some(n), state.n, None)
        }
        Measure::RatioOfSums { .. } => {
            let (v, n) = scaled(state.ratio_of_sums());
            (v, n, None)
        }
        Measure::ServiceLevel(spec) => {
            let mut sl = state.sl.clone();
            if spec.include_ivr_contained {
                // Counted as offered and abandoned before the threshold, but not short.
                sl.abandoned_within += sl.ivr_contained;
            }
            let d = sl.service_level(spec.variant);
            let met = match spec.variant {
                SlVariant::EarlyAbandonsMet => {
                    sl.answered_within + sl.abandoned_within + sl.abandoned_short
                }
                _ => sl.answered_within,
            };
            let (v, n) = scaled(d);
            (v, n, scaled_ci(wilson_interval(met, n)))
        }
    }
}

/// Achievement of a value against a target, in [0, 1].
#[must_use]
pub fn achievement(value: f64, floor: f64, goal: f64) -> f64 {
    ((value - floor) / (goal - floor)).clamp(0.0, 1.0)
}

/// Whether a value is worse than a hard limit in the indicator's direction.
#[must_use]
pub fn breaches(direction: Direction, value: f64, hard_limit: f64) -> bool {
    match direction {
        Direction::HigherBetter => value < hard_limit,
        Direction::LowerBetter => value > hard_limit,
    }
}

fn users_for(inputs: &Inputs<'_>, id: &str) -> Option<u64> {
    inputs.users.get(id).copied()
}

fn site_lines(inputs: &Inputs<'_>, site: &Site) -> Vec<LineResult> {
    let g = inputs.guideline;
    let mut lines = Vec::new();
    for ind in g.indicators_for(site.scene) {
        let targets = g.targets_for(&ind.id, site.scene, site.area, site.tier);
        let strata: Vec<(String, Option<&Target>)> = if targets.is_empty() {
            vec![(String::new(), None)]
        } else {
            targets
                .iter()
                .map(|t| (t.selector.stratum(), Some(*t)))
                .collect()
        };
        #[allow(clippy::cast_precision_loss, reason = "a handful of strata")]
        let weight = ind.weight / strata.len() as f64;
        for (stratum, target) in strata {
            let key = StateKey {
                site: site.id.clone(),
                indicator: ind.id.clone(),
                stratum: stratum.clone(),
            };
            let state = inputs.states.get(&key).cloned().unwrap_or_default();
            lines.push(line(inputs, ind, site, stratum, target, &state, weight));
        }
    }
    lines
}

fn line(
    inputs: &Inputs<'_>,
    ind: &Indicator,
    site: &Site,
    stratum: String,
    target: Option<&Target>,
    state: &MeasureState,
    weight: f64,
) -> LineResult {
    let users = users_for(inputs, &site.id);
    let (value, sample, ci95) = indicator_value(ind, state, users);
    let min_sample = ind
        .min_sample
        .unwrap_or(inputs.guideline.scoring.min_sample);
    // A rate's population is its subscriber base: a period without any event at a site
    // with users is a rate of 0 (the best result), not missing data.
    let is_rate = matches!(ind.measure, Measure::RatePer { .. });
    let status = if is_rate && users.is_none() {
        LineStatus::NoUsers
    } else if state.n == 0 && !is_rate {
        LineStatus::NoData
    } else if target.is_none() {
        LineStatus::NoTarget
    } else if sample < min_sample || value.is_none() {
        LineStatus::BelowMinSample
    } else if weight <= 0.0 {
        LineStatus::Unweighted
    } else {
        LineStatus::Rated
    };
    let achievement = match (status, value, target) {
        (LineStatus::Rated, Some(v), Some(t)) => Some(achievement(v, t.floor, t.goal)),
        _ => None,
    };
    let hard_limit_breached = match (value, target.and_then(|t| t.hard_limit)) {
        (Some(v), Some(h)) => sample >= min_sample && breaches(ind.direction, v, h),
        _ => false,
    };
    LineResult {
        indicator: ind.id.clone(),
        stratum,
        value,
        sample,
        ci95,
        floor: target.map(|t| t.floor),
        goal: target.map(|t| t.goal),
        hard_limit: target.and_then(|t| t.hard_limit),
        status,
        achievement,
        weight,
        points: None,
        hard_limit_breached,
    }
}

/// Weighted mean of (weight, score) pairs; `None` when there is no weight.
fn weighted(pairs: impl IntoIterator<Item = (f64, f64)>) -> Option<f64> {
    let (sw, swx) = pairs
        .into_iter()
        .fold((0.0, 0.0), |(sw, swx), (w, x)| (sw + w, swx + w * x));
    (sw > 0.0).then(|| swx / sw)
}

fn evaluate_site(inputs: &Inputs<'_>, site: &Site) -> SiteResult {
    let g = inputs.guideline;
    let sc = &g.scoring;
    let mut lines = site_lines(inputs, site);
    let rated: Vec<&LineResult> = lines
        .iter()
        .filter(|l| l.status == LineStatus::Rated)
        .collect();
    // Folded from +0.0: the sum of no weights is 0, not the -0.0 `Sum` gives for an
    // empty iterator (which shows as a coverage of "-0%").
    let rated_weight: f64 = rated.iter().map(|l| l.weight).fold(0.0, |a, w| a + w);
    let all_weight: f64 = lines.iter().map(|l| l.weight).fold(0.0, |a, w| a + w);
    // Some evidence, though perhaps not enough to rate any line: records were measured.
    let measured = lines
        .iter()
        .any(|l| matches!(l.status, LineStatus::Rated | LineStatus::BelowMinSample));
    let results = weighted(
        rated
            .iter()
            .map(|l| (l.weight, l.achievement.unwrap_or(0.0))),
    )
    .map(|a| a * sc.results_points);
    if rated_weight > 0.0 {
        for l in &mut lines {
            l.points = l
                .achievement
                .map(|a| sc.results_points * l.weight / rated_weight * a);
        }
    }
    let cross = weighted(
        lines
            .iter()
            .filter(|l| is_cross(g, &l.indicator) && l.status == LineStatus::Rated)
            .map(|l| (l.weight, l.achievement.unwrap_or(0.0))),
    )
    .map(|a| a * sc.total_points());
    let audit = site_audit(g, site, &inputs.audits);
    let (clause_audit, vetoes, management_coverage) = (audit.clauses, audit.vetoes, audit.coverage);
    let audits = counted_of(inputs, &site.id);
    let (clauses, dimensions, management) =
        clause_and_dimension_scores(g, site, &lines, &clause_audit);
    let results_coverage = if all_weight > 0.0 {
        rated_weight / all_weight
    } else {
        0.0
    };
    let not_rated = too_little_evidence(
        sc.min_coverage,
        (management.is_some(), management_coverage),
        (results.is_some() || measured, results_coverage),
    );
    let total = match (management, results) {
        _ if not_rated.is_some() => None,
        (Some(m), Some(r)) => Some(m + r),
        (Some(m), None) if sc.management_points > 0.0 => {
            Some(m / sc.management_points * sc.total_points())
        }
        (None, Some(r)) if sc.results_points > 0.0 => {
            Some(r / sc.results_points * sc.total_points())
        }
        _ => None,
    };
    let red_lines = red_lines_hit(g, &lines, &vetoes);
    let level_uncapped = total.and_then(|t| {
        g.scoring
            .levels
            .iter()
            .rev()
            .find(|l| t >= l.min_score)
            .map(|l| l.rank)
    });
    let cap = g
        .scoring
        .red_lines
        .iter()
        .filter(|r| red_lines.contains(&r.id))
        .map(|r| r.cap_rank)
        .min();
    let level = level_uncapped.map(|l| cap.map_or(l, |c| l.min(c)));
    SiteResult {
        site: site.id.clone(),
        scene: site.scene,
        peer_group: site.peer_group(),
        lines,
        clauses,
        dimensions,
        management,
        results,
        management_coverage,
        results_coverage,
        total,
        cross_scene: cross,
        not_rated,
        level_uncapped,
        level,
        red_lines,
        audits,
        rank: None,
        peers: 0,
        percentile: None,
    }
}

/// The distinct audits a site's answers came from, ordered by kind then id.
fn counted_of(inputs: &Inputs<'_>, site: &str) -> Vec<CountedAudit> {
    let mut out: Vec<CountedAudit> = Vec::new();
    for s in inputs
        .audits
        .iter()
        .filter(|a| a.site == site)
        .filter_map(|a| a.source.as_ref())
    {
        if !out.iter().any(|c| c.id == s.id) {
            out.push(s.clone());
        }
    }
    out.sort_by_key(|a| (a.kind, a.id));
    out
}

/// Why a site with evidence is still not rated: a half that enters the total (it has a
/// score), or whose records were measured without rating any line, covers less than
/// `min` of its points. The results half is checked first, as
/// the one that usually lacks data.
fn too_little_evidence(
    min: f64,
    (management_scored, management_coverage): (bool, f64),
    (results_scored, results_coverage): (bool, f64),
) -> Option<NotRated> {
    if results_scored && results_coverage < min {
        return Some(NotRated::Coverage {
            half: Half::Results,
            coverage: results_coverage,
            min,
        });
    }
    if management_scored && management_coverage < min {
        return Some(NotRated::Coverage {
            half: Half::Management,
            coverage: management_coverage,
            min,
        });
    }
    None
}

fn is_cross(g: &Guideline, indicator: &str) -> bool {
    g.indicator(indicator)
        .is_some_and(|i| i.scenes.len() == Scene::ALL.len())
}

fn clause_and_dimension_scores(
    g: &Guideline,
    site: &Site,
    lines: &[LineResult],
    audit: &BTreeMap<String, f64>,
) -> (Vec<PartScore>, Vec<PartScore>, Option<f64>) {
    let evidence = |clause_ids: &BTreeSet<&str>| {
        weighted(
            lines
                .iter()
                .filter(|l| l.status == LineStatus::Rated)
                .filter(|l| {
                    g.indicator(&l.indicator)
                        .and_then(|i| i.clause.as_deref())
                        .is_some_and(|c| clause_ids.contains(c))
                })
                .map(|l| (l.weight, l.achievement.unwrap_or(0.0))),
        )
    };
    let combine = |a: Option<f64>, e: Option<f64>| match (a, e) {
        (Some(a), Some(e)) => Some(f64::midpoint(a, e)),
        (x, None) | (None, x) => x,
    };
    let applicable: Vec<_> = g
        .clauses
        .iter()
        .filter(|c| c.scenes.contains(&site.scene))
        .collect();
    let clauses: Vec<PartScore> = applicable
        .iter()
        .map(|c| {
            let a = audit.get(&c.id).copied();
            let e = evidence(&BTreeSet::from([c.id.as_str()]));
            PartScore {
                id: c.id.clone(),
                audit: a,
                evidence: e,
                combined: combine(a, e),
            }
        })
        .collect();
    let mut dimensions = Vec::new();
    let mut dim_pairs = Vec::new();
    for d in &g.dimensions {
        let in_dim: Vec<_> = applicable.iter().filter(|c| c.dimension == d.id).collect();
        let a = weighted(
            in_dim
                .iter()
                .filter_map(|c| audit.get(&c.id).map(|s| (c.weight, *s))),
        );
        let ids: BTreeSet<&str> = in_dim.iter().map(|c| c.id.as_str()).collect();
        let e = evidence(&ids);
        if let Some(a) = a {
            dim_pairs.push((d.weight, a));
        }
        dimensions.push(PartScore {
            id: d.id.clone(),
            audit: a,
            evidence: e,
            combined: combine(a, e),
        });
    }
    let management = weighted(dim_pairs).map(|s| s * g.scoring.management_points);
    (clauses, dimensions, management)
}

fn red_lines_hit(g: &Guideline, lines: &[LineResult], vetoes: &[String]) -> Vec<String> {
    g.scoring
        .red_lines
        .iter()
        .filter(|r| match &r.rule {
            RedLineRule::HardLimit { indicators } => lines
                .iter()
                .any(|l| l.hard_limit_breached && indicators.contains(&l.indicator)),
            RedLineRule::Veto => !vetoes.is_empty(),
        })
        .map(|r| r.id.clone())
        .collect()
}

/// Competition ranking within peer groups; totals compare exactly.
fn rank(sites: &mut [SiteResult]) {
    let mut groups: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for s in sites.iter() {
        if let Some(t) = s.total {
            groups.entry(s.peer_group.clone()).or_default().push(t);
        }
    }
    for s in sites.iter_mut() {
        let (Some(t), Some(peers)) = (s.total, groups.get(&s.peer_group)) else {
            continue;
        };
        let better = peers.iter().filter(|p| **p > t).count();
        let worse = peers.iter().filter(|p| **p < t).count();
        let n = peers.len();
        s.rank = Some(u32::try_from(better + 1).unwrap_or(u32::MAX));
        s.peers = u32::try_from(n).unwrap_or(u32::MAX);
        #[allow(clippy::cast_precision_loss, reason = "peer groups are far below 2^53")]
        let pct = if n > 1 {
            100.0 * worse as f64 / (n - 1) as f64
        } else {
            100.0
        };
        s.percentile = Some(pct);
    }
}

/// Count-weighted indicator values of a node: the merged states of every site under it
/// and of records attributed to the node itself or to nodes under it (complaints filed
/// against a city, say). A rate divides only the events of the places whose users are
/// known by those users (or by the node's own subscriber base when it has one), so
/// places without a subscriber base never inflate it.
fn node_lines(inputs: &Inputs<'_>, node: &str, under_sites: &BTreeSet<String>) -> Vec<NodeLine> {
    let g = inputs.guideline;
    let mut places: BTreeSet<String> = under_sites.clone();
    places.extend(inputs.org.nodes_under(node).iter().map(|n| n.id.clone()));
    let own_users = users_for(inputs, node);
    let with_users: BTreeSet<&String> = places
        .iter()
        .filter(|p| users_for(inputs, p).is_some())
        .collect();
    let rate_users: Option<u64> = own_users.or_else(|| {
        (!with_users.is_empty())
            .then(|| with_users.iter().filter_map(|p| users_for(inputs, p)).sum())
    });
    let mut merged: BTreeMap<(String, String), MeasureState> = BTreeMap::new();
    for (k, st) in inputs
        .states
        .iter()
        .filter(|(k, _)| places.contains(&k.site))
    {
        let is_rate = g
            .indicator(&k.indicator)
            .is_some_and(|i| matches!(i.measure, Measure::RatePer { .. }));
        if is_rate && own_users.is_none() && !with_users.contains(&k.site) {
            continue;
        }
        merged
            .entry((k.indicator.clone(), k.stratum.clone()))
            .or_default()
            .merge(st);
    }
    merged
        .iter()
        .filter_map(|((ind, stratum), st)| {
            let i = g.indicator(ind)?;
            let (value, sample, _) = indicator_value(i, st, rate_users);
            Some(NodeLine {
                indicator: ind.clone(),
                stratum: stratum.clone(),
                value,
                sample,
            })
        })
        .collect()
}

fn evaluate_node(inputs: &Inputs<'_>, node: &str, sites: &[SiteResult]) -> NodeResult {
    let g = inputs.guideline;
    let under: BTreeSet<String> = inputs
        .org
        .sites_under(node)
        .iter()
        .map(|s| s.id.clone())
        .collect();
    let mine: Vec<&SiteResult> = sites.iter().filter(|s| under.contains(&s.site)).collect();
    let mut scene_scores = BTreeMap::new();
    let mut pairs = Vec::new();
    for scene in Scene::ALL {
        let totals: Vec<f64> = mine
            .iter()
            .filter(|s| s.scene == scene)
            .filter_map(|s| s.total)
            .collect();
        if let Some(mean) = weighted(totals.iter().map(|t| (1.0, *t))) {
            scene_scores.insert(scene.as_str().to_string(), mean);
            pairs.push((
                g.scoring
                    .scene_weights
                    .get(scene.as_str())
                    .copied()
                    .unwrap_or(1.0),
                mean,
            ));
        }
    }
    if let Some(cross) = weighted(mine.iter().filter_map(|s| s.cross_scene).map(|c| (1.0, c))) {
        scene_scores.insert("cross".to_string(), cross);
        pairs.push((
            g.scoring.scene_weights.get("cross").copied().unwrap_or(0.0),
            cross,
        ));
    }
    let total = weighted(pairs);
    let level = total.and_then(|t| {
        g.scoring
            .levels
            .iter()
            .rev()
            .find(|l| t >= l.min_score)
            .map(|l| l.rank)
    });
    let lines = node_lines(inputs, node, &under);
    NodeResult {
        node: node.to_string(),
        sites: u32::try_from(under.len()).unwrap_or(u32::MAX),
        rated_sites: u32::try_from(mine.iter().filter(|s| s.total.is_some()).count())
            .unwrap_or(u32::MAX),
        scene_scores,
        total,
        level,
        sites_with_red_lines: u32::try_from(
            mine.iter().filter(|s| !s.red_lines.is_empty()).count(),
        )
        .unwrap_or(u32::MAX),
        lines,
    }
}
