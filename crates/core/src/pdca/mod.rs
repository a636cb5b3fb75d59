//! The improvement loop (PDCA, 实施改进): findings (不符合项) raised from evaluations,
//! audits, complaint clusters, trends or by hand; corrective actions (整改) that go
//! Plan → Do → Check → Act, checked by the data and escalated up the organisation tree
//! when late or ineffective; and the management review (管理评审) of a period.
//!
//! Everything here is pure: the application hands in evaluations, counted answers,
//! daily complaint counts, the stored findings and actions, and `today`; it gets back
//! what to open, update, verify and escalate, and writes it. The rule's numbers (due
//! days per severity, cluster size and window, trend length, periods to verify) are the
//! guideline's `[pdca]` section ([`PdcaRule`]).

mod action;
mod detect;
mod finding;
mod review;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use action::{
    Action, ActionError, ActionEvent, ActionState, EscalationReason, RootCause, Stage, Verdict,
    escalation_node, verdict,
};
pub use detect::{
    COMPLAINT_COUNTS_TOML, ClusterCounts, complaint_counts_guideline, detect_clusters,
    detect_evaluation, detect_items, detect_trends,
};
pub use finding::{
    Change, Detected, Evidence, Finding, FindingEvent, FindingEventKind, OpenFinding, reconcile,
};
pub use review::{ParetoRow, Review, ReviewAction, ReviewInputs, ReviewSite, review};

use crate::vocab::Lang;

/// How serious a finding is; sets its due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A legal must failed: a veto item, a hard limit breached.
    Critical,
    /// A target missed: an indicator below its floor, a complaint cluster.
    Major,
    /// A weakness: a failed checklist item, a falling trend.
    Minor,
}

impl Severity {
    /// Every severity, most serious first.
    pub const ALL: [Severity; 3] = [Severity::Critical, Severity::Major, Severity::Minor];

    /// Its name as stored and typed.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Major => "major",
            Severity::Minor => "minor",
        }
    }

    /// Parses a name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    /// Its name in a language.
    #[must_use]
    pub fn label(self, lang: Lang) -> &'static str {
        crate::i18n::text(
            lang,
            match self {
                Severity::Critical => "pdca.severity.critical",
                Severity::Major => "pdca.severity.major",
                Severity::Minor => "pdca.severity.minor",
            },
        )
    }
}

/// Where a finding comes from. With its site and subject it names the finding: one open
/// finding per (site, source, subject).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingSource {
    /// An indicator line below its floor (subject: the line).
    IndicatorFloor,
    /// An indicator line beyond its hard limit (subject: the line).
    HardLimit,
    /// A checklist item failed (subject: the item).
    AuditItem,
    /// N complaints of one class at one site within D days (subject: the class).
    ComplaintCluster,
    /// An indicator line worse three periods in a row (subject: the line).
    Trend,
    /// Raised by a person (subject: a short key they choose).
    Manual,
}

impl FindingSource {
    /// Every source.
    pub const ALL: [FindingSource; 6] = [
        FindingSource::IndicatorFloor,
        FindingSource::HardLimit,
        FindingSource::AuditItem,
        FindingSource::ComplaintCluster,
        FindingSource::Trend,
        FindingSource::Manual,
    ];

    /// Its name as stored and typed.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FindingSource::IndicatorFloor => "indicator_floor",
            FindingSource::HardLimit => "hard_limit",
            FindingSource::AuditItem => "audit_item",
            FindingSource::ComplaintCluster => "complaint_cluster",
            FindingSource::Trend => "trend",
            FindingSource::Manual => "manual",
        }
    }

    /// Parses a name.
    #[must_use]
    pub fn parse(s: &str) -> Option<FindingSource> {
        FindingSource::ALL
            .into_iter()
            .find(|x| x.as_str() == s.trim())
    }

    /// Its name in a language.
    #[must_use]
    pub fn label(self, lang: Lang) -> &'static str {
        crate::i18n::text(
            lang,
            match self {
                FindingSource::IndicatorFloor => "pdca.source.indicator_floor",
                FindingSource::HardLimit => "pdca.source.hard_limit",
                FindingSource::AuditItem => "pdca.source.audit_item",
                FindingSource::ComplaintCluster => "pdca.source.complaint_cluster",
                FindingSource::Trend => "pdca.source.trend",
                FindingSource::Manual => "pdca.source.manual",
            },
        )
    }
}

/// A complaint cluster: `complaints` or more complaints of one class at one site within
/// `days` consecutive days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterRule {
    /// Complaints.
    pub complaints: u32,
    /// Days of the window.
    pub days: u32,
    /// The clause a cluster's finding concerns, when the guideline names one.
    pub clause: Option<String>,
}

/// The guideline's improvement rules (`[pdca]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PdcaRule {
    /// Days from a finding's date to its due date, by severity.
    pub due_days: BTreeMap<Severity, u32>,
    /// An item scoring below this share (0–1) of its marks has failed.
    pub item_fail_below: f64,
    /// Complaint clusters; `None` raises none.
    pub cluster: Option<ClusterRule>,
    /// Consecutive periods an indicator must worsen for a trend finding (0: none).
    pub trend_falls: u32,
    /// Consecutive periods at or above the floor that verify an action as effective.
    pub verify_periods: u32,
    /// Days an overdue action waits before it escalates one level further.
    pub escalate_every_days: u32,
}

impl PdcaRule {
    /// The rules of a guideline without `[pdca]` (those of the built-in guideline).
    #[must_use]
    pub fn built_in() -> PdcaRule {
        PdcaRule {
            due_days: BTreeMap::from([
                (Severity::Critical, 7),
                (Severity::Major, 30),
                (Severity::Minor, 60),
            ]),
            item_fail_below: 0.5,
            cluster: Some(ClusterRule {
                complaints: 5,
                days: 7,
                clause: Some("IMP-02".into()),
            }),
            trend_falls: 3,
            verify_periods: 2,
            escalate_every_days: 14,
        }
    }

    /// Days to the due date of a finding of `severity` (30 when the rule names none).
    #[must_use]
    pub fn due_days(&self, severity: Severity) -> u32 {
        self.due_days.get(&severity).copied().unwrap_or(30)
    }
}
