//! Finding shortfalls in what an evaluation, its counted audits, its history and the
//! complaints of its period show. Each detector returns [`Detected`] values in a fixed
//! order (site, then the guideline's order); [`super::reconcile`] matches them with the
//! open findings.
//!
//! | source | when | severity |
//! |---|---|---|
//! | hard limit | a rated line is worse than its target's hard limit | critical |
//! | indicator floor | a rated line is worse than its floor (and within the hard limit) | major |
//! | audit item | a veto item with a failed answer | critical |
//! | audit item | an item scoring below `item_fail_below` | minor |
//! | complaint cluster | `complaints` or more of one class at one site within `days` days | major |
//! | trend | a rated line worse in each of the last `trend_falls` periods | minor |

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::{ClusterRule, Detected, Evidence, FindingSource, PdcaRule, Severity};
use crate::audit::answer_text;
use crate::audit::score::site_audit;
use crate::evaluate::{AuditAnswer, Evaluation, LineResult, LineStatus, breaches};
use crate::guideline::{Direction, Guideline};
use crate::org::Organisation;

/// Complaints per (site, class) and local day.
pub type ClusterCounts = BTreeMap<(String, String), BTreeMap<NaiveDate, u64>>;

/// The subject of an indicator line: its id, with the stratum after `|` when it has one.
fn line_subject(l: &LineResult) -> String {
    if l.stratum.is_empty() {
        l.indicator.clone()
    } else {
        format!("{}|{}", l.indicator, l.stratum)
    }
}

/// Hard-limit breaches and lines below their floor, from a frozen evaluation.
#[must_use]
pub fn detect_evaluation(g: &Guideline, ev: &Evaluation, evaluation: Option<i64>) -> Vec<Detected> {
    let mut out = Vec::new();
    for s in &ev.sites {
        for l in s.lines.iter().filter(|l| l.status == LineStatus::Rated) {
            let (Some(value), Some(floor), Some(goal), Some(ind)) =
                (l.value, l.floor, l.goal, g.indicator(&l.indicator))
            else {
                continue;
            };
            let source = if l.hard_limit_breached {
                (FindingSource::HardLimit, Severity::Critical)
            } else if breaches(ind.direction, value, floor) {
                (FindingSource::IndicatorFloor, Severity::Major)
            } else {
                continue;
            };
            out.push(Detected {
                site: s.site.clone(),
                source: source.0,
                subject: line_subject(l),
                severity: source.1,
                clause: ind.clause.clone(),
                indicator: Some(l.indicator.clone()),
                item: None,
                on: ev.period.to,
                period: ev.period.label.clone(),
                evidence: Evidence::Indicator {
                    evaluation,
                    period: ev.period.label.clone(),
                    stratum: l.stratum.clone(),
                    value,
                    floor,
                    goal,
                    hard_limit: l.hard_limit,
                    sample: l.sample,
                },
            });
        }
    }
    out
}

/// Failed checklist items in `answers` (one signed audit's, or the answers an
/// evaluation counted), dated `on` and seen in `period`.
#[must_use]
pub fn detect_items(
    g: &Guideline,
    org: &Organisation,
    rule: &PdcaRule,
    answers: &[AuditAnswer],
    on: NaiveDate,
    period: &str,
) -> Vec<Detected> {
    let sites: BTreeSet<&str> = answers.iter().map(|a| a.site.as_str()).collect();
    let mut out = Vec::new();
    for site in sites.into_iter().filter_map(|s| org.site(s)) {
        let scored = site_audit(g, site, answers);
        for clause in g.clauses.iter().filter(|c| c.scenes.contains(&site.scene)) {
            for item in clause
                .items
                .iter()
                .filter(|i| i.scenes.contains(&site.scene))
            {
                let veto = scored.vetoes.contains(&item.id);
                let score = scored.items.get(&item.id).copied();
                let failed = score.is_some_and(|s| s < rule.item_fail_below);
                if !(veto || failed) {
                    continue;
                }
                let given: Vec<(i64, String)> = answers
                    .iter()
                    .filter(|a| a.site == site.id && a.item == item.id)
                    .map(|a| (a.source.as_ref().map_or(0, |s| s.id), answer_text(a.answer)))
                    .collect();
                out.push(Detected {
                    site: site.id.clone(),
                    source: FindingSource::AuditItem,
                    subject: item.id.clone(),
                    severity: if veto {
                        Severity::Critical
                    } else {
                        Severity::Minor
                    },
                    clause: Some(clause.id.clone()),
                    indicator: None,
                    item: Some(item.id.clone()),
                    on,
                    period: period.to_string(),
                    evidence: Evidence::Item {
                        answers: given,
                        score: score.unwrap_or(0.0),
                    },
                });
            }
        }
    }
    out
}

/// Lines worse in each of the last `falls` periods: `history` holds the evaluations of
/// consecutive periods, oldest first, the current one last; a line must be rated in
/// `falls + 1` of them, the latest ones, to be judged.
#[must_use]
pub fn detect_trends(g: &Guideline, history: &[&Evaluation], falls: u32) -> Vec<Detected> {
    let n = usize::try_from(falls).unwrap_or(usize::MAX);
    let Some(current) = history.last() else {
        return Vec::new();
    };
    if falls == 0 || history.len() < n + 1 {
        return Vec::new();
    }
    let window = &history[history.len() - n - 1..];
    let mut out = Vec::new();
    for s in &current.sites {
        for l in s.lines.iter().filter(|l| l.status == LineStatus::Rated) {
            let Some(ind) = g.indicator(&l.indicator) else {
                continue;
            };
            let values: Option<Vec<(String, f64)>> = window
                .iter()
                .map(|ev| {
                    let site = ev.sites.iter().find(|x| x.site == s.site)?;
                    let line = site.lines.iter().find(|x| {
                        x.indicator == l.indicator
                            && x.stratum == l.stratum
                            && x.status == LineStatus::Rated
                    })?;
                    Some((ev.period.label.clone(), line.value?))
                })
                .collect();
            let Some(values) = values else {
                continue;
            };
            let worse = |a: f64, b: f64| match ind.direction {
                Direction::HigherBetter => b < a,
                Direction::LowerBetter => b > a,
            };
            if !values.windows(2).all(|w| worse(w[0].1, w[1].1)) {
                continue;
            }
            out.push(Detected {
                site: s.site.clone(),
                source: FindingSource::Trend,
                subject: line_subject(l),
                severity: Severity::Minor,
                clause: ind.clause.clone(),
                indicator: Some(l.indicator.clone()),
                item: None,
                on: current.period.to,
                period: current.period.label.clone(),
                evidence: Evidence::Trend {
                    stratum: l.stratum.clone(),
                    values,
                },
            });
        }
    }
    out
}

/// Complaint clusters among the days `from..=to`: for each site and class, the window
/// of `days` days ending inside the range with the most complaints (the earliest such
/// window), when it holds at least `complaints`. Counts before `from` are used by the
/// windows that reach back over it.
#[must_use]
pub fn detect_clusters(
    rule: &ClusterRule,
    counts: &ClusterCounts,
    from: NaiveDate,
    to: NaiveDate,
    period: &str,
) -> Vec<Detected> {
    let span = u64::from(rule.days.max(1)) - 1;
    let mut out = Vec::new();
    for ((site, class), days) in counts {
        let mut best: Option<(u64, NaiveDate)> = None;
        let mut end = from;
        while end <= to {
            let start = end - chrono::Days::new(span);
            let n: u64 = days.range(start..=end).map(|(_, c)| c).sum();
            if best.is_none_or(|(b, _)| n > b) {
                best = Some((n, end));
            }
            end = end + chrono::Days::new(1);
        }
        let Some((count, last)) = best else {
            continue;
        };
        if count < u64::from(rule.complaints) {
            continue;
        }
        let first = last - chrono::Days::new(span);
        out.push(Detected {
            site: site.clone(),
            source: FindingSource::ComplaintCluster,
            subject: class.clone(),
            severity: Severity::Major,
            clause: rule.clause.clone(),
            indicator: None,
            item: None,
            on: last,
            period: period.to_string(),
            evidence: Evidence::Complaints {
                class: class.clone(),
                count,
                from: first,
                to: last,
            },
        });
    }
    out
}

/// A guideline of three indicators that count the complaints of each class per site and
/// day — what the complaint-cluster rule reads, computed by the same engine as any
/// indicator. Not a guideline anyone evaluates under.
pub const COMPLAINT_COUNTS_TOML: &str = r#"
[guideline]
id = "yardstick-complaint-counts"
version = "1"
name_zh = "投诉分类日计数"
name_en = "Complaints per class and day"

[scoring]
management_points = 500
results_points = 500
min_sample = 1
[[scoring.level]]
id = "L1"
name_zh = "一"
name_en = "one"
min_score = 0

[[dimension]]
id = "complaints"
name_zh = "投诉"
name_en = "Complaints"
weight = 1

[[clause]]
id = "C"
dimension = "complaints"
scenes = ["hall", "call_centre", "field_centre"]
title_zh = "投诉"
title_en = "Complaints"
requirement_zh = "计数"
requirement_en = "Counts"
[[clause.item]]
id = "C-1"
text_zh = "计数"
text_en = "Counts"
method = "pass_fail"

[[indicator]]
id = "user_service"
name_zh = "用户服务类投诉"
name_en = "User-service complaints"
scenes = ["hall", "call_centre", "field_centre"]
kind = "complaint"
filter = "class = 'user_service'"
measure = { type = "count" }
unit = "complaints"
direction = "lower_better"
weight = 0

[[indicator]]
id = "network_quality"
name_zh = "网络质量类投诉"
name_en = "Network-quality complaints"
scenes = ["hall", "call_centre", "field_centre"]
kind = "complaint"
filter = "class = 'network_quality'"
measure = { type = "count" }
unit = "complaints"
direction = "lower_better"
weight = 0

[[indicator]]
id = "billing"
name_zh = "收费争议类投诉"
name_en = "Billing complaints"
scenes = ["hall", "call_centre", "field_centre"]
kind = "complaint"
filter = "class = 'billing'"
measure = { type = "count" }
unit = "complaints"
direction = "lower_better"
weight = 0

[[target]]
indicator = "billing"
floor = 10
goal = 0
"#;

/// The complaint-count guideline ([`COMPLAINT_COUNTS_TOML`]).
///
/// # Errors
/// Only if the text above were invalid, which a test rules out.
pub fn complaint_counts_guideline() -> Result<Guideline, crate::diag::LoadError> {
    crate::guideline::load("<complaint counts>", COMPLAINT_COUNTS_TOML)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_complaint_count_guideline_loads_with_one_indicator_per_class() {
        let g = super::complaint_counts_guideline().expect("loads");
        let ids: Vec<&str> = g.indicators.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["user_service", "network_quality", "billing"]);
    }
}
