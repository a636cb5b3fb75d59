//! Findings (不符合项): what was found, where, how serious, by when it must be dealt
//! with, and its history. A finding is named by (site, source, subject); while one is
//! open, the same shortfall found again updates it (a `repeated` event with the new
//! period and evidence) instead of opening another ([`reconcile`]). History is appended,
//! never rewritten: a finding's events are its record.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{FindingSource, Severity};

/// What a finding rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Evidence {
    /// An indicator line of a frozen evaluation.
    Indicator {
        /// The frozen evaluation, when known.
        evaluation: Option<i64>,
        /// Period label.
        period: String,
        /// Record stratum ("" = all records).
        stratum: String,
        /// Value.
        value: f64,
        /// Floor of the target.
        floor: f64,
        /// Goal of the target.
        goal: f64,
        /// Hard limit, when the target has one.
        hard_limit: Option<f64>,
        /// Sample size.
        sample: u64,
    },
    /// Answers to a checklist item.
    Item {
        /// The audits and their answers, as written.
        answers: Vec<(i64, String)>,
        /// The item's score (0–1), weighted over the audits.
        score: f64,
    },
    /// Complaints of one class at one site.
    Complaints {
        /// Complaint class.
        class: String,
        /// How many in the window.
        count: u64,
        /// First day of the window.
        from: NaiveDate,
        /// Last day of the window.
        to: NaiveDate,
    },
    /// An indicator line over consecutive periods, oldest first.
    Trend {
        /// Record stratum.
        stratum: String,
        /// (period label, value), oldest first.
        values: Vec<(String, f64)>,
    },
    /// A person's note.
    Manual {
        /// What they saw.
        note: String,
    },
}

/// A shortfall found now, before it is matched with the open findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detected {
    /// Site.
    pub site: String,
    /// Source.
    pub source: FindingSource,
    /// Subject (indicator line, item, complaint class, a person's key).
    pub subject: String,
    /// Severity.
    pub severity: Severity,
    /// Clause it concerns.
    pub clause: Option<String>,
    /// Indicator it concerns.
    pub indicator: Option<String>,
    /// Checklist item it concerns.
    pub item: Option<String>,
    /// The day it is dated: a period's last day, an audit's day.
    pub on: NaiveDate,
    /// The period or audit day it was seen in (a label).
    pub period: String,
    /// What it rests on.
    pub evidence: Evidence,
}

/// The kind of an event in a finding's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingEventKind {
    /// Opened (automatically or by hand).
    Opened,
    /// Found again while open, with new evidence.
    Repeated,
    /// Closed: its action was verified effective, or a person closed it.
    Closed,
}

impl FindingEventKind {
    /// Its name as stored.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FindingEventKind::Opened => "opened",
            FindingEventKind::Repeated => "repeated",
            FindingEventKind::Closed => "closed",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<FindingEventKind> {
        match s {
            "opened" => Some(FindingEventKind::Opened),
            "repeated" => Some(FindingEventKind::Repeated),
            "closed" => Some(FindingEventKind::Closed),
            _ => None,
        }
    }
}

/// One event of a finding's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingEvent {
    /// Event id (increasing in the order events were appended).
    pub id: i64,
    /// What happened.
    pub kind: FindingEventKind,
    /// The day it is dated.
    pub on: NaiveDate,
    /// Period or audit day it was seen in.
    pub period: Option<String>,
    /// Evidence.
    pub evidence: Option<Evidence>,
    /// A note (why it was closed).
    pub note: Option<String>,
    /// Who (a login), when a person.
    pub actor: Option<String>,
    /// When it was recorded (RFC 3339).
    pub at: String,
}

/// A finding with its history, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Id.
    pub id: i64,
    /// Site.
    pub site: String,
    /// Source.
    pub source: FindingSource,
    /// Subject.
    pub subject: String,
    /// Severity.
    pub severity: Severity,
    /// Clause.
    pub clause: Option<String>,
    /// Indicator.
    pub indicator: Option<String>,
    /// Checklist item.
    pub item: Option<String>,
    /// The day it was first found.
    pub opened_on: NaiveDate,
    /// The day it is due.
    pub due_on: NaiveDate,
    /// A person's title (manual findings); empty for automatic ones, whose title comes
    /// from the guideline's names.
    pub title: String,
    /// The day it was closed.
    pub closed_on: Option<NaiveDate>,
    /// History, oldest first.
    pub events: Vec<FindingEvent>,
}

impl Finding {
    /// Whether it is still open.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.closed_on.is_none()
    }

    /// The latest evidence, and the period it was seen in.
    #[must_use]
    pub fn latest(&self) -> (Option<&str>, Option<&Evidence>) {
        self.events
            .iter()
            .rev()
            .find(|e| e.evidence.is_some())
            .map_or((None, None), |e| (e.period.as_deref(), e.evidence.as_ref()))
    }
}

/// What [`reconcile`] needs of an open finding.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenFinding {
    /// Id.
    pub id: i64,
    /// Site.
    pub site: String,
    /// Source.
    pub source: FindingSource,
    /// Subject.
    pub subject: String,
    /// Period of its latest evidence.
    pub last_period: Option<String>,
    /// Its latest evidence.
    pub last_evidence: Option<Evidence>,
}

impl From<&Finding> for OpenFinding {
    fn from(f: &Finding) -> OpenFinding {
        let (period, evidence) = f.latest();
        OpenFinding {
            id: f.id,
            site: f.site.clone(),
            source: f.source,
            subject: f.subject.clone(),
            last_period: period.map(str::to_string),
            last_evidence: evidence.cloned(),
        }
    }
}

/// What to write for a detected shortfall.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Open a new finding.
    Open(Detected),
    /// Append a `repeated` event to an open finding.
    Repeat {
        /// The open finding.
        id: i64,
        /// What was found again.
        detected: Detected,
    },
}

/// Matches what was detected with the open findings: a shortfall with an open finding
/// of the same (site, source, subject) repeats it, unless that finding's latest
/// evidence is the same period and evidence (the same evaluation frozen again); any
/// other opens a new finding. A key detected twice in one batch counts once (the
/// first). The order of the input is kept.
#[must_use]
pub fn reconcile(open: &[OpenFinding], detected: Vec<Detected>) -> Vec<Change> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for d in detected {
        if !seen.insert((d.site.clone(), d.source, d.subject.clone())) {
            continue;
        }
        match open
            .iter()
            .find(|f| f.site == d.site && f.source == d.source && f.subject == d.subject)
        {
            Some(f)
                if f.last_period.as_deref() == Some(d.period.as_str())
                    && f.last_evidence.as_ref() == Some(&d.evidence) => {}
            Some(f) => out.push(Change::Repeat {
                id: f.id,
                detected: d,
            }),
            None => out.push(Change::Open(d)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detected(site: &str, subject: &str, period: &str, value: f64) -> Detected {
        Detected {
            site: site.into(),
            source: FindingSource::IndicatorFloor,
            subject: subject.into(),
            severity: Severity::Major,
            clause: Some("PRO-03".into()),
            indicator: Some("IM-04".into()),
            item: None,
            on: NaiveDate::from_ymd_opt(2026, 10, 31).expect("day"),
            period: period.into(),
            evidence: Evidence::Indicator {
                evaluation: Some(1),
                period: period.into(),
                stratum: String::new(),
                value,
                floor: 90.0,
                goal: 98.0,
                hard_limit: None,
                sample: 120,
            },
        }
    }

    /// A repeat of an open finding updates it; the same evidence again changes nothing;
    /// another site or subject opens a new one.
    ///
    /// Open: finding 7 = (my-f02, indicator_floor, IM-04), last seen in 2026-09 at 81.5.
    /// Detected in 2026-10: my-f02 IM-04 at 79.0 → repeat 7; my-f01 IM-04 → new;
    /// my-f02 IM-05 → new; my-f02 IM-04 again in the same batch → ignored.
    /// Detected in 2026-09 again at 81.5 (September frozen twice) → nothing.
    #[test]
    fn a_repeat_updates_the_open_finding_instead_of_opening_another() {
        let open = vec![OpenFinding {
            id: 7,
            site: "my-f02".into(),
            source: FindingSource::IndicatorFloor,
            subject: "IM-04".into(),
            last_period: Some("2026-09".into()),
            last_evidence: Some(detected("my-f02", "IM-04", "2026-09", 81.5).evidence),
        }];
        let changes = reconcile(
            &open,
            vec![
                detected("my-f02", "IM-04", "2026-10", 79.0),
                detected("my-f01", "IM-04", "2026-10", 85.0),
                detected("my-f02", "IM-05", "2026-10", 30.0),
                detected("my-f02", "IM-04", "2026-10", 70.0),
            ],
        );
        let summary: Vec<(Option<i64>, &str, &str)> = changes
            .iter()
            .map(|c| match c {
                Change::Open(d) => (None, d.site.as_str(), d.subject.as_str()),
                Change::Repeat { id, detected } => {
                    (Some(*id), detected.site.as_str(), detected.subject.as_str())
                }
            })
            .collect();
        assert_eq!(
            summary,
            [
                (Some(7), "my-f02", "IM-04"),
                (None, "my-f01", "IM-04"),
                (None, "my-f02", "IM-05"),
            ]
        );
        assert_eq!(
            reconcile(&open, vec![detected("my-f02", "IM-04", "2026-09", 81.5)]),
            []
        );
    }
}
