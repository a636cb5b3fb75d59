//! Audits (审核): kinds, the checklist of a site, answers and their checks, the state
//! machine an audit goes through, which signed audits count for a period, and how the
//! counted answers score the management half.
//!
//! An audit belongs to a site and a guideline version; its checklist is the clauses and
//! items of that version that apply to the site's scene ([`checklist`]). It is answered
//! item by item ([`parse_answer`], [`check_answer`]), submitted, then signed by its
//! evaluator; once signed it never changes (the database refuses), the site manager may
//! acknowledge or dispute it, and a correction is a new audit naming the one it amends
//! ([`state`]). Which signed audits count for an evaluation is a rule of the guideline
//! ([`AuditRule`], [`select`]); the answers of those audits, weighted by their kind, score
//! the clauses ([`score`]).

mod answer;
mod count;
pub mod score;
mod state;

use serde::{Deserialize, Serialize};

pub use answer::{
    AnswerProblem, allowed_answers, answer_label, answer_text, check_answer, parse_answer,
};
pub use count::{AuditRule, CountedAudit, SignedAudit, counted_answers, select};
pub use state::{AuditState, AuditStateError, AuditStep, Response, next_state};

use crate::guideline::{Clause, Guideline, Item};
use crate::vocab::{Lang, Scene};

/// The kind of an audit: who looks, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// On-site inspection (现场检查) by an evaluator.
    OnSite,
    /// Mystery shopper visit or test call (暗访, 神秘顾客).
    MysteryShopper,
    /// Self-assessment by the site (自查).
    SelfAssessment,
    /// Third-party evaluation (第三方评价).
    ThirdParty,
}

impl AuditKind {
    /// Every kind, in the order documents list them.
    pub const ALL: [AuditKind; 4] = [
        AuditKind::OnSite,
        AuditKind::MysteryShopper,
        AuditKind::SelfAssessment,
        AuditKind::ThirdParty,
    ];

    /// Its name as stored and typed (`on_site`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::OnSite => "on_site",
            AuditKind::MysteryShopper => "mystery_shopper",
            AuditKind::SelfAssessment => "self_assessment",
            AuditKind::ThirdParty => "third_party",
        }
    }

    /// Parses a kind's name.
    #[must_use]
    pub fn parse(s: &str) -> Option<AuditKind> {
        AuditKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// Its name in a language.
    #[must_use]
    pub fn label(self, lang: Lang) -> &'static str {
        crate::i18n::text(
            lang,
            match self {
                AuditKind::OnSite => "audit.kind.on_site",
                AuditKind::MysteryShopper => "audit.kind.mystery_shopper",
                AuditKind::SelfAssessment => "audit.kind.self_assessment",
                AuditKind::ThirdParty => "audit.kind.third_party",
            },
        )
    }
}

/// One line of a site's checklist: an item with its clause.
#[derive(Debug, Clone, Copy)]
pub struct ChecklistEntry<'g> {
    /// The clause.
    pub clause: &'g Clause,
    /// The item.
    pub item: &'g Item,
}

/// The checklist of a site of `scene`: every item that applies to the scene, clause by
/// clause, in the guideline's order.
#[must_use]
pub fn checklist(g: &Guideline, scene: Scene) -> Vec<ChecklistEntry<'_>> {
    g.clauses
        .iter()
        .filter(|c| c.scenes.contains(&scene))
        .flat_map(|clause| {
            clause
                .items
                .iter()
                .filter(move |i| i.scenes.contains(&scene))
                .map(move |item| ChecklistEntry { clause, item })
        })
        .collect()
}

/// The item with this id and its clause, when it is on the checklist of `scene`.
#[must_use]
pub fn checklist_item<'g>(g: &'g Guideline, scene: Scene, id: &str) -> Option<ChecklistEntry<'g>> {
    checklist(g, scene).into_iter().find(|e| e.item.id == id)
}
