//! Corrective actions (整改): who owns the fix, the root cause, the plan and the due
//! date, and the stages Plan → Do → Check → Act, as a list of events folded into a state.
//!
//! | event | from | to |
//! |---|---|---|
//! | planned (due) | — | Plan |
//! | started | Plan | Do |
//! | done | Do | Check |
//! | verified effective | Check | Act (standardise what worked) |
//! | verified not effective (new due) | Check | Plan (reopened: plan again) |
//! | standardised (note) | Act | Closed |
//! | replanned (new due) | Plan, Do | unchanged |
//! | escalated (node) | any but Closed | unchanged |
//!
//! Check is data-driven: once done, the finding's indicator must meet its floor for
//! `verify_periods` consecutive periods (or the next audit pass the failed item) —
//! [`verdict`] turns the outcomes of the periods after the action was done into
//! effective, not effective or not yet known. An action late in Plan or Do, or found not
//! effective, escalates to the quality manager of the next node up the organisation tree
//! ([`escalation_node`]); events are dated and never go back in time.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::org::Organisation;
use crate::vocab::Lang;

/// Root-cause category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RootCause {
    /// 人: skills, staffing, conduct.
    People,
    /// 设施: equipment, buildings, tools.
    Facilities,
    /// 流程: procedures, rules, flows.
    Process,
    /// 环境: the site's surroundings and conditions.
    Environment,
    /// 信息系统: systems and data.
    InformationSystems,
    /// 外部: suppliers, weather, third parties.
    External,
}

impl RootCause {
    /// Every category, in the guideline's order.
    pub const ALL: [RootCause; 6] = [
        RootCause::People,
        RootCause::Facilities,
        RootCause::Process,
        RootCause::Environment,
        RootCause::InformationSystems,
        RootCause::External,
    ];

    /// Its name as stored and typed.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RootCause::People => "people",
            RootCause::Facilities => "facilities",
            RootCause::Process => "process",
            RootCause::Environment => "environment",
            RootCause::InformationSystems => "information_systems",
            RootCause::External => "external",
        }
    }

    /// Parses a name.
    #[must_use]
    pub fn parse(s: &str) -> Option<RootCause> {
        RootCause::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    /// Its name in a language.
    #[must_use]
    pub fn label(self, lang: Lang) -> &'static str {
        crate::i18n::text(
            lang,
            match self {
                RootCause::People => "pdca.cause.people",
                RootCause::Facilities => "pdca.cause.facilities",
                RootCause::Process => "pdca.cause.process",
                RootCause::Environment => "pdca.cause.environment",
                RootCause::InformationSystems => "pdca.cause.information_systems",
                RootCause::External => "pdca.cause.external",
            },
        )
    }
}

/// A PDCA stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Planning the fix.
    Plan,
    /// Doing it.
    Do,
    /// Done; waiting for the data to say whether it worked.
    Check,
    /// It worked: standardising it.
    Act,
    /// Closed as effective.
    Closed,
}

impl Stage {
    /// Every stage in order.
    pub const ALL: [Stage; 5] = [
        Stage::Plan,
        Stage::Do,
        Stage::Check,
        Stage::Act,
        Stage::Closed,
    ];

    /// Its name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Plan => "plan",
            Stage::Do => "do",
            Stage::Check => "check",
            Stage::Act => "act",
            Stage::Closed => "closed",
        }
    }

    /// Parses a name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    /// Its name in a language.
    #[must_use]
    pub fn label(self, lang: Lang) -> &'static str {
        crate::i18n::text(
            lang,
            match self {
                Stage::Plan => "pdca.stage.plan",
                Stage::Do => "pdca.stage.do",
                Stage::Check => "pdca.stage.check",
                Stage::Act => "pdca.stage.act",
                Stage::Closed => "pdca.stage.closed",
            },
        )
    }
}

/// Why an action escalated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationReason {
    /// Past its due date in Plan or Do.
    Overdue,
    /// The check found it did not work.
    Ineffective,
}

/// One event of an action's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum ActionEvent {
    /// Created with a plan, due on `due`.
    Planned {
        /// Day.
        on: NaiveDate,
        /// Due date.
        due: NaiveDate,
    },
    /// Work began.
    Started {
        /// Day.
        on: NaiveDate,
    },
    /// Work finished: the check begins.
    Done {
        /// Day.
        on: NaiveDate,
    },
    /// The check's result.
    Verified {
        /// Day.
        on: NaiveDate,
        /// Whether it worked.
        effective: bool,
        /// What the verdict rests on (periods and values, or the re-audit).
        basis: String,
        /// The new due date when it did not work.
        due: Option<NaiveDate>,
    },
    /// What worked was made the standard: the action is closed.
    Standardised {
        /// Day.
        on: NaiveDate,
        /// What became the standard (procedure, script, training).
        note: String,
    },
    /// A new due date.
    Replanned {
        /// Day.
        on: NaiveDate,
        /// New due date.
        due: NaiveDate,
        /// Why.
        note: String,
    },
    /// Escalated to the quality manager(s) of a node.
    Escalated {
        /// Day.
        on: NaiveDate,
        /// The node escalated to.
        node: String,
        /// Why.
        reason: EscalationReason,
        /// The quality managers of that node, by login, when known.
        managers: Vec<String>,
    },
}

impl ActionEvent {
    /// The day of the event.
    #[must_use]
    pub fn on(&self) -> NaiveDate {
        match self {
            ActionEvent::Planned { on, .. }
            | ActionEvent::Started { on }
            | ActionEvent::Done { on }
            | ActionEvent::Verified { on, .. }
            | ActionEvent::Standardised { on, .. }
            | ActionEvent::Replanned { on, .. }
            | ActionEvent::Escalated { on, .. } => *on,
        }
    }

    /// Its name as stored (`planned`, `started`…).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            ActionEvent::Planned { .. } => "planned",
            ActionEvent::Started { .. } => "started",
            ActionEvent::Done { .. } => "done",
            ActionEvent::Verified { .. } => "verified",
            ActionEvent::Standardised { .. } => "standardised",
            ActionEvent::Replanned { .. } => "replanned",
            ActionEvent::Escalated { .. } => "escalated",
        }
    }
}

/// Why an event cannot follow the action's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// The first event must be `planned`, and only the first.
    #[error("an action starts with its plan, once")]
    NotPlanned,
    /// The event does not follow from the stage.
    #[error("`{event}` cannot follow stage {stage}")]
    WrongStage {
        /// Event name.
        event: &'static str,
        /// Current stage.
        stage: &'static str,
    },
    /// Events are dated in order.
    #[error("{on} is before the action's last event ({last})")]
    BeforePrevious {
        /// The event's day.
        on: NaiveDate,
        /// The last event's day.
        last: NaiveDate,
    },
}

/// Where an action stands, folded from its events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionState {
    /// Stage.
    pub stage: Stage,
    /// Due date.
    pub due: NaiveDate,
    /// When the work was done (while in Check, Act or Closed).
    pub done_on: Option<NaiveDate>,
    /// Times the check found it ineffective.
    pub reopened: u32,
    /// Times it escalated.
    pub escalations: u32,
    /// The last escalation's day.
    pub last_escalated: Option<NaiveDate>,
    /// The last check's result.
    pub effective: Option<bool>,
    /// The day of the last event.
    pub last_on: NaiveDate,
}

impl ActionState {
    /// The state after every event, in order.
    ///
    /// # Errors
    /// The first event that cannot follow.
    pub fn fold(events: &[ActionEvent]) -> Result<ActionState, ActionError> {
        let mut it = events.iter();
        let Some(ActionEvent::Planned { on, due }) = it.next() else {
            return Err(ActionError::NotPlanned);
        };
        let mut s = ActionState {
            stage: Stage::Plan,
            due: *due,
            done_on: None,
            reopened: 0,
            escalations: 0,
            last_escalated: None,
            effective: None,
            last_on: *on,
        };
        for e in it {
            s = s.apply(e)?;
        }
        Ok(s)
    }

    /// The state after one more event.
    ///
    /// # Errors
    /// When the event cannot follow the stage, or is dated before the last event.
    pub fn apply(&self, e: &ActionEvent) -> Result<ActionState, ActionError> {
        let on = e.on();
        if on < self.last_on {
            return Err(ActionError::BeforePrevious {
                on,
                last: self.last_on,
            });
        }
        let wrong = || ActionError::WrongStage {
            event: e.name(),
            stage: self.stage.as_str(),
        };
        let mut s = self.clone();
        s.last_on = on;
        match (e, self.stage) {
            (ActionEvent::Planned { .. }, _) => return Err(ActionError::NotPlanned),
            (ActionEvent::Started { .. }, Stage::Plan) => s.stage = Stage::Do,
            (ActionEvent::Done { on }, Stage::Do) => {
                s.stage = Stage::Check;
                s.done_on = Some(*on);
            }
            (
                ActionEvent::Verified {
                    effective: true, ..
                },
                Stage::Check,
            ) => {
                s.stage = Stage::Act;
                s.effective = Some(true);
            }
            (
                ActionEvent::Verified {
                    effective: false,
                    due,
                    ..
                },
                Stage::Check,
            ) => {
                s.stage = Stage::Plan;
                s.effective = Some(false);
                s.reopened += 1;
                s.done_on = None;
                if let Some(d) = due {
                    s.due = *d;
                }
            }
            (ActionEvent::Standardised { .. }, Stage::Act) => s.stage = Stage::Closed,
            (ActionEvent::Replanned { due, .. }, Stage::Plan | Stage::Do) => s.due = *due,
            (ActionEvent::Escalated { on, .. }, stage) if stage != Stage::Closed => {
                s.escalations += 1;
                s.last_escalated = Some(*on);
            }
            _ => return Err(wrong()),
        }
        Ok(s)
    }

    /// Whether it is late: still in Plan or Do after its due date.
    #[must_use]
    pub fn overdue(&self, today: NaiveDate) -> bool {
        matches!(self.stage, Stage::Plan | Stage::Do) && today > self.due
    }

    /// Whether an overdue action escalates (again) today: overdue, and not escalated in
    /// the last `every_days` days.
    #[must_use]
    pub fn escalation_due(&self, today: NaiveDate, every_days: u32) -> bool {
        self.overdue(today)
            && self
                .last_escalated
                .is_none_or(|d| today >= d + chrono::Days::new(u64::from(every_days)))
    }
}

/// An action as stored: what it is and its events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    /// Id.
    pub id: i64,
    /// The finding it corrects.
    pub finding: i64,
    /// Owner (a login).
    pub owner: String,
    /// Root-cause category.
    pub root_cause: RootCause,
    /// The 5-whys analysis.
    pub five_whys: String,
    /// What will be done.
    pub plan: String,
    /// Events, oldest first.
    pub events: Vec<ActionEvent>,
}

/// What the data says of an action that is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// It worked.
    Effective,
    /// It did not.
    NotEffective,
    /// Not enough periods yet.
    Pending,
}

/// The verdict from the outcomes (met the floor, or not) of the periods after the action
/// was done, in order: the first `n` must all be met; one that is not decides at once.
#[must_use]
pub fn verdict(outcomes: &[bool], n: u32) -> Verdict {
    let n = usize::try_from(n.max(1)).unwrap_or(usize::MAX);
    if outcomes.iter().take(n).any(|ok| !ok) {
        Verdict::NotEffective
    } else if outcomes.len() >= n {
        Verdict::Effective
    } else {
        Verdict::Pending
    }
}

/// The node an action of `site` escalates to on its `level`-th escalation (1 = the
/// site's parent, 2 = the one above…), the root at most; `None` for an unknown site.
#[must_use]
pub fn escalation_node(org: &Organisation, site: &str, level: u32) -> Option<String> {
    let up = org.ancestors(site);
    if up.len() < 2 || org.site(site).is_none() {
        return None;
    }
    let i = usize::try_from(level.max(1))
        .unwrap_or(usize::MAX)
        .min(up.len() - 1);
    up.get(i).cloned()
}
