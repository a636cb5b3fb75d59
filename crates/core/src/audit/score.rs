//! How counted answers score the management half: item → clause (N/A out of the
//! denominator), and which veto items failed.
//!
//! - An answer scores 1/0 (pass/fail), value/4 (0–4 scale) or points/max ([`item_score`]).
//! - An item answered by several counted audits scores the mean of their scores weighted
//!   by the audits' kinds; answers that leave the denominator (N/A where allowed) are left
//!   out of that mean, and an item all of whose answers are N/A leaves its clause's
//!   denominator.
//! - Clause audit score = Σ item weight × item score ÷ Σ item weight over scored items.
//! - A veto item fails when any counted answer scores 0: a legal must seen failed by one
//!   audit is not outweighed by another's pass.
//! - Coverage = weight of answered items (N/A included) ÷ weight of every item of the
//!   site's checklist.

use std::collections::BTreeMap;

use crate::evaluate::{Answer, AuditAnswer};
use crate::guideline::{Guideline, ItemMethod};
use crate::org::Site;

/// Score of one answer in [0, 1]; `None` leaves the item out of the denominator.
///
/// N/A leaves the item out only where the guideline allows N/A; elsewhere it scores 0,
/// so a veto item cannot be dodged. A pass/fail answer on a graded item scores its
/// extremes (pass = full marks, fail = 0); a grade on a pass/fail item passes from 2 of
/// 4 up. Out-of-range grades are capped at 4, and points that are not a finite number
/// score 0.
#[must_use]
pub fn item_score(method: ItemMethod, na_allowed: bool, answer: Answer) -> Option<f64> {
    match (method, answer) {
        (_, Answer::NotApplicable) => (!na_allowed).then_some(0.0),
        (_, Answer::Pass) => Some(1.0),
        (_, Answer::Fail) => Some(0.0),
        (ItemMethod::Scale0To4, Answer::Scale(v)) => Some(f64::from(v.min(4)) / 4.0),
        (ItemMethod::PassFail, Answer::Scale(v)) => Some(if v >= 2 { 1.0 } else { 0.0 }),
        (ItemMethod::Points { max }, Answer::Points(p)) => Some(if p.is_finite() {
            (p / max).clamp(0.0, 1.0)
        } else {
            0.0
        }),
        (ItemMethod::PassFail | ItemMethod::Scale0To4, Answer::Points(_))
        | (ItemMethod::Points { .. }, Answer::Scale(_)) => None,
    }
}

/// The weight an answer carries: its audit kind's, or 1 for an answer given without a
/// counted audit.
fn answer_weight(a: &AuditAnswer) -> f64 {
    a.source.as_ref().map_or(1.0, |s| s.weight)
}

/// The management half's parts of one site.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteAudit {
    /// Clause audit scores (0–1) of clauses with at least one scored item.
    pub clauses: BTreeMap<String, f64>,
    /// Item scores (0–1) of the items with at least one scored answer.
    pub items: BTreeMap<String, f64>,
    /// Veto items failed.
    pub vetoes: Vec<String>,
    /// Share of the checklist's item weight that was answered.
    pub coverage: f64,
}

/// Scores the answers of one site.
#[must_use]
pub fn site_audit(g: &Guideline, site: &Site, answers: &[AuditAnswer]) -> SiteAudit {
    let mut by_item: BTreeMap<&str, Vec<(f64, Answer)>> = BTreeMap::new();
    for a in answers.iter().filter(|a| a.site == site.id) {
        by_item
            .entry(a.item.as_str())
            .or_default()
            .push((answer_weight(a), a.answer));
    }
    let mut out = SiteAudit::default();
    let (mut items_total, mut items_answered) = (0.0, 0.0);
    for clause in g.clauses.iter().filter(|c| c.scenes.contains(&site.scene)) {
        let mut pairs = Vec::new();
        for item in clause
            .items
            .iter()
            .filter(|i| i.scenes.contains(&site.scene))
        {
            items_total += item.weight;
            let Some(given) = by_item.get(item.id.as_str()) else {
                continue;
            };
            items_answered += item.weight;
            let scored: Vec<(f64, f64)> = given
                .iter()
                .filter_map(|(w, a)| item_score(item.method, item.na_allowed, *a).map(|s| (*w, s)))
                .collect();
            if item.veto && scored.iter().any(|(_, s)| *s <= 0.0) {
                out.vetoes.push(item.id.clone());
            }
            if let Some(s) = weighted(scored) {
                out.items.insert(item.id.clone(), s);
                pairs.push((item.weight, s));
            }
        }
        if let Some(s) = weighted(pairs) {
            out.clauses.insert(clause.id.clone(), s);
        }
    }
    out.coverage = if items_total > 0.0 {
        items_answered / items_total
    } else {
        0.0
    };
    out
}

/// Weighted mean of (weight, score) pairs; `None` when there is no weight.
fn weighted(pairs: impl IntoIterator<Item = (f64, f64)>) -> Option<f64> {
    let (sw, swx) = pairs
        .into_iter()
        .fold((0.0, 0.0), |(sw, swx), (w, x)| (sw + w, swx + w * x));
    (sw > 0.0).then(|| swx / sw)
}
