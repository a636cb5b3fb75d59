//! The management review (管理评审) of a period: each site's scores and their trend
//! over the previous periods, the findings by source and severity, the root causes of
//! the analysed findings as a Pareto table, the actions' effectiveness rate and the
//! overdue list, and the red lines hit. Computed from values; the application adds the
//! decisions recorded against it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use super::{Action, ActionState, Finding, RootCause, Stage};
use crate::evaluate::Evaluation;
use crate::period::Period;
use crate::vocab::Scene;

/// What a review reads.
#[derive(Debug, Clone)]
pub struct ReviewInputs<'a> {
    /// Node or site reviewed.
    pub scope: String,
    /// Sites under the scope.
    pub sites: BTreeSet<String>,
    /// Period.
    pub period: Period,
    /// The period's frozen evaluation, with its id.
    pub evaluation: Option<(i64, &'a Evaluation)>,
    /// Evaluations of the previous periods, oldest first (for trends).
    pub history: Vec<&'a Evaluation>,
    /// Findings of the scope's sites.
    pub findings: &'a [Finding],
    /// Their actions.
    pub actions: &'a [Action],
    /// The day the review is made (for the overdue list).
    pub today: NaiveDate,
}

/// A site's line in the review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewSite {
    /// Site.
    pub site: String,
    /// Scene.
    pub scene: Scene,
    /// Total 0–1000.
    pub total: Option<f64>,
    /// Management half.
    pub management: Option<f64>,
    /// Results half.
    pub results: Option<f64>,
    /// Level.
    pub level: Option<u8>,
    /// Rank in the peer group and its size.
    pub rank: Option<(u32, u32)>,
    /// Red lines hit.
    pub red_lines: Vec<String>,
    /// Totals of the previous periods and this one, oldest first.
    pub trend: Vec<(String, Option<f64>)>,
    /// Open findings.
    pub open_findings: u32,
}

/// An action in a list of the review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewAction {
    /// Action id.
    pub id: i64,
    /// Finding id.
    pub finding: i64,
    /// Site.
    pub site: String,
    /// Owner.
    pub owner: String,
    /// Stage.
    pub stage: Stage,
    /// Due date.
    pub due: NaiveDate,
    /// Days past due on the review's day.
    pub days_late: i64,
    /// Escalations so far.
    pub escalations: u32,
}

/// One row of the Pareto table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParetoRow {
    /// Root cause.
    pub cause: RootCause,
    /// Findings analysed to this cause.
    pub findings: u32,
    /// Share of the analysed findings (0–1).
    pub share: f64,
    /// Cumulative share down to this row.
    pub cumulative: f64,
}

/// The review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    /// Scope.
    pub scope: String,
    /// Period.
    pub period: Period,
    /// The frozen evaluation it rests on.
    pub evaluation: Option<i64>,
    /// Sites, by total (best first; unrated last), then id.
    pub sites: Vec<ReviewSite>,
    /// Open findings by source.
    pub open_by_source: BTreeMap<String, u32>,
    /// Open findings by severity.
    pub open_by_severity: BTreeMap<String, u32>,
    /// Findings opened during the period.
    pub opened_in_period: u32,
    /// Findings closed during the period.
    pub closed_in_period: u32,
    /// Root causes of the findings that have an action, most frequent first.
    pub pareto: Vec<ParetoRow>,
    /// Actions by stage.
    pub actions_by_stage: BTreeMap<String, u32>,
    /// Actions checked at least once.
    pub actions_verified: u32,
    /// Of those, the ones whose latest check found them effective.
    pub actions_effective: u32,
    /// effective ÷ verified; `None` when none was verified.
    pub effectiveness_rate: Option<f64>,
    /// Actions late in Plan or Do, most late first.
    pub overdue: Vec<ReviewAction>,
    /// Sites hitting red lines, with the lines.
    pub red_lines: Vec<(String, Vec<String>)>,
}

/// Builds the review.
#[must_use]
pub fn review(inp: &ReviewInputs<'_>) -> Review {
    let ev = inp.evaluation.map(|(_, e)| e);
    let findings: Vec<&Finding> = inp
        .findings
        .iter()
        .filter(|f| inp.sites.contains(&f.site))
        .collect();
    let finding_ids: BTreeSet<i64> = findings.iter().map(|f| f.id).collect();
    let actions: Vec<(&Action, ActionState)> = inp
        .actions
        .iter()
        .filter(|a| finding_ids.contains(&a.finding))
        .filter_map(|a| ActionState::fold(&a.events).ok().map(|s| (a, s)))
        .collect();
    let mut sites = review_sites(inp, ev, &findings);
    sites.sort_by(|a, b| {
        b.total
            .unwrap_or(-1.0)
            .total_cmp(&a.total.unwrap_or(-1.0))
            .then_with(|| a.site.cmp(&b.site))
    });
    let mut open_by_source = BTreeMap::new();
    let mut open_by_severity = BTreeMap::new();
    for f in findings.iter().filter(|f| f.is_open()) {
        *open_by_source
            .entry(f.source.as_str().to_string())
            .or_insert(0) += 1;
        *open_by_severity
            .entry(f.severity.as_str().to_string())
            .or_insert(0) += 1;
    }
    let within = |d: NaiveDate| inp.period.contains(d);
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let site_of = |finding: i64| {
        findings
            .iter()
            .find(|f| f.id == finding)
            .map_or(String::new(), |f| f.site.clone())
    };
    let mut overdue: Vec<ReviewAction> = actions
        .iter()
        .filter(|(_, s)| s.overdue(inp.today))
        .map(|(a, s)| ReviewAction {
            id: a.id,
            finding: a.finding,
            site: site_of(a.finding),
            owner: a.owner.clone(),
            stage: s.stage,
            due: s.due,
            days_late: (inp.today - s.due).num_days(),
            escalations: s.escalations,
        })
        .collect();
    overdue.sort_by(|a, b| b.days_late.cmp(&a.days_late).then(a.id.cmp(&b.id)));
    let verified: Vec<&ActionState> = actions
        .iter()
        .map(|(_, s)| s)
        .filter(|s| s.effective.is_some())
        .collect();
    let effective = verified
        .iter()
        .filter(|s| s.effective == Some(true))
        .count();
    let mut actions_by_stage = BTreeMap::new();
    for (_, s) in &actions {
        *actions_by_stage
            .entry(s.stage.as_str().to_string())
            .or_insert(0) += 1;
    }
    #[allow(clippy::cast_precision_loss, reason = "counts of actions")]
    let effectiveness_rate =
        (!verified.is_empty()).then(|| effective as f64 / verified.len() as f64);
    Review {
        scope: inp.scope.clone(),
        period: inp.period.clone(),
        evaluation: inp.evaluation.map(|(id, _)| id),
        red_lines: sites
            .iter()
            .filter(|s| !s.red_lines.is_empty())
            .map(|s| (s.site.clone(), s.red_lines.clone()))
            .collect(),
        sites,
        open_by_source,
        open_by_severity,
        opened_in_period: count(findings.iter().filter(|f| within(f.opened_on)).count()),
        closed_in_period: count(
            findings
                .iter()
                .filter(|f| f.closed_on.is_some_and(within))
                .count(),
        ),
        pareto: pareto(&findings, inp.actions),
        actions_by_stage,
        actions_verified: count(verified.len()),
        actions_effective: count(effective),
        effectiveness_rate,
        overdue,
    }
}

fn review_sites(
    inp: &ReviewInputs<'_>,
    ev: Option<&Evaluation>,
    findings: &[&Finding],
) -> Vec<ReviewSite> {
    let Some(ev) = ev else {
        return Vec::new();
    };
    ev.sites
        .iter()
        .filter(|s| inp.sites.contains(&s.site))
        .map(|s| {
            let mut trend: Vec<(String, Option<f64>)> = inp
                .history
                .iter()
                .map(|h| {
                    let t = h
                        .sites
                        .iter()
                        .find(|x| x.site == s.site)
                        .and_then(|x| x.total);
                    (h.period.label.clone(), t)
                })
                .collect();
            trend.push((ev.period.label.clone(), s.total));
            ReviewSite {
                site: s.site.clone(),
                scene: s.scene,
                total: s.total,
                management: s.management,
                results: s.results,
                level: s.level,
                rank: s.rank.map(|r| (r, s.peers)),
                red_lines: s.red_lines.clone(),
                trend,
                open_findings: u32::try_from(
                    findings
                        .iter()
                        .filter(|f| f.site == s.site && f.is_open())
                        .count(),
                )
                .unwrap_or(u32::MAX),
            }
        })
        .collect()
}

/// Root causes of the findings that have an action (the latest action of each), most
/// frequent first, ties in the categories' order.
fn pareto(findings: &[&Finding], actions: &[Action]) -> Vec<ParetoRow> {
    let mut by_cause: BTreeMap<RootCause, u32> = BTreeMap::new();
    for f in findings {
        if let Some(a) = actions
            .iter()
            .filter(|a| a.finding == f.id)
            .max_by_key(|a| a.id)
        {
            *by_cause.entry(a.root_cause).or_insert(0) += 1;
        }
    }
    let total: u32 = by_cause.values().sum();
    let mut rows: Vec<(RootCause, u32)> = by_cause.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut cumulative = 0;
    rows.into_iter()
        .map(|(cause, n)| {
            cumulative += n;
            ParetoRow {
                cause,
                findings: n,
                share: f64::from(n) / f64::from(total.max(1)),
                cumulative: f64::from(cumulative) / f64::from(total.max(1)),
            }
        })
        .collect()
}
