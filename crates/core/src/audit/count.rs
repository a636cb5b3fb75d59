//! Which signed audits count for a period, and with what weight: a rule of the guideline
//! (`[audits]`, `docs/guideline-format.md`).
//!
//! For each site and audit kind, the latest signed audit (by audit date, then id) dated
//! between `look_back_days` before the period's first day and its last day counts; a
//! correction replaces the version it amends (an amended audit never counts beside its
//! correction); a kind without weight does not count. Each counted audit brings its
//! answers with its kind's weight, and an item answered by several counted audits scores
//! their weighted mean (see [`super::score`]).
//!
//! Signed audits never change, so an evaluation that records the ids of the audits it
//! counted can be recomputed from exactly those: [`select`] over the counted audits alone
//! picks them all again.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::AuditKind;
use crate::evaluate::{Answer, AuditAnswer};
use crate::period::Period;

/// The guideline's rule for which audits count (`[audits]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRule {
    /// How many days before a period's first day an audit may be dated and still count.
    pub look_back_days: u32,
    /// Weight of each kind; a kind absent (or of weight 0) does not count.
    pub weights: BTreeMap<AuditKind, f64>,
}

impl AuditRule {
    /// The rule of a guideline without `[audits]`: half a year back; on-site inspections
    /// and third-party evaluations weigh 3, mystery shopping 2, self-assessment 1.
    #[must_use]
    pub fn built_in() -> AuditRule {
        AuditRule {
            look_back_days: 183,
            weights: BTreeMap::from([
                (AuditKind::OnSite, 3.0),
                (AuditKind::MysteryShopper, 2.0),
                (AuditKind::SelfAssessment, 1.0),
                (AuditKind::ThirdParty, 3.0),
            ]),
        }
    }

    /// The weight of a kind (0 when the rule does not count it).
    #[must_use]
    pub fn weight(&self, kind: AuditKind) -> f64 {
        self.weights.get(&kind).copied().unwrap_or(0.0)
    }

    /// The first day an audit may be dated and count for `period`.
    #[must_use]
    pub fn window_start(&self, period: &Period) -> NaiveDate {
        period.from - chrono::Days::new(u64::from(self.look_back_days))
    }
}

/// A signed audit as the rule sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedAudit {
    /// Id (increasing in the order audits were created).
    pub id: i64,
    /// Site audited.
    pub site: String,
    /// Kind.
    pub kind: AuditKind,
    /// The day of the audit.
    pub date: NaiveDate,
    /// The audit this one corrects, if any.
    pub amends: Option<i64>,
    /// Answers by item id.
    pub answers: Vec<(String, Answer)>,
}

/// An audit that counted in an evaluation: recorded with each site's result, so that
/// the evaluation names its evidence and can be recomputed from exactly these audits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountedAudit {
    /// Audit id.
    pub id: i64,
    /// Kind.
    pub kind: AuditKind,
    /// The day of the audit.
    pub date: NaiveDate,
    /// The kind's weight.
    pub weight: f64,
}

/// The audits that count for `period`: per site and kind, the latest signed audit in
/// the window that no other audit of the input amends. Ordered by site, then kind.
#[must_use]
pub fn select<'a>(
    rule: &AuditRule,
    period: &Period,
    audits: &'a [SignedAudit],
) -> Vec<&'a SignedAudit> {
    let amended: BTreeSet<i64> = audits.iter().filter_map(|a| a.amends).collect();
    let from = rule.window_start(period);
    let mut best: BTreeMap<(&str, AuditKind), &SignedAudit> = BTreeMap::new();
    for a in audits {
        let counts = !amended.contains(&a.id)
            && from <= a.date
            && a.date <= period.to
            && rule.weight(a.kind) > 0.0;
        if !counts {
            continue;
        }
        let slot = best.entry((a.site.as_str(), a.kind)).or_insert(a);
        if (a.date, a.id) > (slot.date, slot.id) {
            *slot = a;
        }
    }
    best.into_values().collect()
}

/// The answers of the selected audits, each carrying its audit and weight, for
/// `evaluate::Inputs::audits`.
#[must_use]
pub fn counted_answers(rule: &AuditRule, selected: &[&SignedAudit]) -> Vec<AuditAnswer> {
    selected
        .iter()
        .flat_map(|a| {
            let source = CountedAudit {
                id: a.id,
                kind: a.kind,
                date: a.date,
                weight: rule.weight(a.kind),
            };
            a.answers.iter().map(move |(item, answer)| AuditAnswer {
                site: a.site.clone(),
                item: item.clone(),
                answer: *answer,
                source: Some(source.clone()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn audit(id: i64, site: &str, kind: AuditKind, date: &str, amends: Option<i64>) -> SignedAudit {
        SignedAudit {
            id,
            site: site.into(),
            kind,
            date: day(date),
            amends,
            answers: vec![("PHI-01-A1".into(), Answer::Pass)],
        }
    }

    /// The rule over several audits, worked by hand. Period 2026-10 (1–31 October),
    /// look-back 183 days: the window starts 2026-10-01 − 183 days = 2026-04-01.
    ///
    /// | id | site | kind | date | counts? |
    /// |---|---|---|---|---|
    /// | 1 | h1 | on_site | 2026-03-31 | no: a day before the window |
    /// | 2 | h1 | on_site | 2026-05-10 | no: 4 is a later on-site audit |
    /// | 3 | h1 | self_assessment | 2026-09-01 | yes: the only self-assessment |
    /// | 4 | h1 | on_site | 2026-08-20 | no: 5 corrects it |
    /// | 5 | h1 | on_site | 2026-08-20 | yes: the correction of 4 |
    /// | 6 | h1 | mystery_shopper | 2026-11-02 | no: after the period |
    /// | 7 | h2 | on_site | 2026-10-31 | yes: the last day counts |
    /// | 8 | h2 | on_site | 2026-10-31 | yes over 7: same day, higher id |
    /// | 9 | h2 | third_party | 2026-06-01 | no: the rule gives third parties no weight |
    #[test]
    fn the_latest_signed_audit_of_each_kind_in_the_window_counts() {
        let rule = AuditRule {
            look_back_days: 183,
            weights: BTreeMap::from([
                (AuditKind::OnSite, 3.0),
                (AuditKind::SelfAssessment, 1.0),
                (AuditKind::MysteryShopper, 2.0),
            ]),
        };
        let period = Period::parse("2026-10").expect("period");
        assert_eq!(rule.window_start(&period), day("2026-04-01"));
        let audits = vec![
            audit(1, "h1", AuditKind::OnSite, "2026-03-31", None),
            audit(2, "h1", AuditKind::OnSite, "2026-05-10", None),
            audit(3, "h1", AuditKind::SelfAssessment, "2026-09-01", None),
            audit(4, "h1", AuditKind::OnSite, "2026-08-20", None),
            audit(5, "h1", AuditKind::OnSite, "2026-08-20", Some(4)),
            audit(6, "h1", AuditKind::MysteryShopper, "2026-11-02", None),
            audit(7, "h2", AuditKind::OnSite, "2026-10-31", None),
            audit(8, "h2", AuditKind::OnSite, "2026-10-31", None),
            audit(9, "h2", AuditKind::ThirdParty, "2026-06-01", None),
        ];
        let ids: Vec<i64> = select(&rule, &period, &audits)
            .iter()
            .map(|a| a.id)
            .collect();
        // Ordered by site, then kind (on_site before self_assessment).
        assert_eq!(ids, [5, 3, 8]);
        // Selecting again among the counted audits alone picks the same ones (what
        // `evaluation verify` relies on).
        let counted: Vec<SignedAudit> = audits
            .iter()
            .filter(|a| ids.contains(&a.id))
            .cloned()
            .collect();
        let again: Vec<i64> = select(&rule, &period, &counted)
            .iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(again, ids);
        let answers = counted_answers(&rule, &select(&rule, &period, &audits));
        let weights: Vec<(i64, f64)> = answers
            .iter()
            .map(|a| a.source.as_ref().map_or((0, 0.0), |s| (s.id, s.weight)))
            .collect();
        assert_eq!(weights, [(5, 3.0), (3, 1.0), (8, 3.0)]);
    }
}
