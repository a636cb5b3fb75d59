//! The demo's audits and improvement loop, seeded by quickstart before it evaluates:
//! for every site a self-assessment a quarter before the evaluated month and an on-site
//! inspection in it, both signed,
//! their answers drawn from a level of care of the site's own (so the management half
//! tells sites apart) and failing where each weak site's story says (cd-h02 training,
//! hz-h02 staffing and capacity planning, nb-c01 the call-centre flows and its IVR,
//! my-f02 field dispatch and procedures). Failed items open findings as signing does;
//! then corrective actions in each state: one that the later inspection shows worked,
//! one that it shows did not (reopened and escalated), one left late in Plan (escalated
//! as overdue by the check), and one in Do.

use chrono::{Days, NaiveDate};
use yardstick_core::audit::AuditKind;
use yardstick_core::evaluate::Answer;
use yardstick_core::pdca::RootCause;
use yardstick_core::period::Period;

use crate::audit::{AnswerInput, ChecklistLine, NewAuditRequest};
use crate::error::Result;
use crate::evaluate::GuidelineChoice;
use crate::pdca::actions::NewActionRequest;
use crate::pdca::{FindingQuery, FindingView};
use crate::scope::Actor;
use crate::workspace::Workspace;

/// The evaluator login the demo's audits are assigned to (a demo user).
const EVALUATOR: &str = "evaluator-sc";

/// Clauses each weak site fails.
const WEAK: [(&str, &[&str]); 4] = [
    ("cd-h02", &["PEO-01"]),
    ("hz-h02", &["PEO-02", "PLN-02"]),
    ("nb-c01", &["PRO-02"]),
    ("my-f02", &["FAC-03", "PRO-03"]),
];

/// A number in [0, 1) from a text (FNV-1a, then the top 53 bits).
fn unit(text: &str) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    #[allow(clippy::cast_precision_loss, reason = "53 bits fit an f64 exactly")]
    let u = (h >> 11) as f64 / (1u64 << 53) as f64;
    u
}

/// A site's level of care, 0.3–0.9: how well its checklist is answered.
fn care(seed: u64, site: &str) -> f64 {
    0.3 + 0.6 * unit(&format!("{seed}/{site}"))
}

/// The answer of one item at one audit: veto items pass (a failed legal must would cap
/// the site at the lowest level, which is the red lines' story, not this one); the weak
/// clauses of a weak site fail; other items follow the site's care with some noise.
fn answer(line: &ChecklistLine, care: f64, weak: bool, noise: f64) -> Answer {
    let x = if line.veto {
        1.0
    } else if weak {
        0.1 * noise
    } else {
        // At least "partly in place" (half marks) but for one answer in 25: a careless
        // site scores low without failing item after item.
        let x = (care + 0.3 * (noise - 0.5)).clamp(0.0, 1.0);
        if noise < 0.04 { x } else { x.max(0.5) }
    };
    match (line.method, line.max_points) {
        ("scale_0_4", _) => {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "0–4 after rounding a value in [0, 4]"
            )]
            let v = (4.0 * x).round() as u8;
            Answer::Scale(v)
        }
        (_, Some(max)) => Answer::Points((max * x).round()),
        _ if x >= 0.5 => Answer::Pass,
        _ => Answer::Fail,
    }
}

/// What the demo's loop made.
#[derive(Debug, Clone, Default)]
pub struct DemoLoop {
    /// Audits signed.
    pub audits: usize,
    /// Corrective actions added.
    pub actions: usize,
}

fn day_before(p: &Period, days: u64) -> NaiveDate {
    p.from - Days::new(days)
}

fn day_in(p: &Period, days: u64) -> NaiveDate {
    (p.from + Days::new(days)).min(p.to)
}

impl Workspace {
    /// Signs the demo's audits of `period` and adds its corrective actions (see the
    /// module's documentation). Run by quickstart before it freezes the evaluation.
    ///
    /// # Errors
    /// Any failure of a use case.
    pub async fn seed_demo_loop(&self, period: &Period, seed: u64) -> Result<DemoLoop> {
        let sys = &Actor::System;
        let org = self.require_org().await?;
        let mut out = DemoLoop::default();
        let early = day_before(period, 80);
        let sites: Vec<String> = org.sites.iter().map(|s| s.id.clone()).collect();
        // The self-assessments of a quarter before first (their failed items open the
        // findings the actions below correct), then this month's visits.
        let mut rounds: Vec<(AuditKind, NaiveDate)> = vec![(AuditKind::SelfAssessment, early)];
        rounds.push((AuditKind::OnSite, day_in(period, 9)));
        let mut lines: std::collections::BTreeMap<String, Vec<ChecklistLine>> =
            std::collections::BTreeMap::new();
        for (i, (kind, date)) in rounds.iter().enumerate() {
            if i == 1 {
                let fixed = lines
                    .get("hz-h01")
                    .map_or_else(String::new, |l| fixed_item(l));
                out.actions += self.seed_demo_actions(period, &fixed).await?;
            }
            for site in &sites {
                if !lines.contains_key(site) {
                    let c = self.checklist(sys, site, &GuidelineChoice::Builtin).await?;
                    lines.insert(site.clone(), c.lines);
                }
                let weak: &[&str] = WEAK.iter().find(|(s, _)| s == site).map_or(&[], |(_, c)| c);
                let c = care(seed, site);
                let answers: Vec<AnswerInput> = lines[site]
                    .iter()
                    .map(|l| {
                        let noise = unit(&format!("{seed}/{site}/{}/{i}", l.item));
                        // The site that fixed its item: failed a quarter ago, passed now.
                        let fixed = site == "hz-h01" && l.item == fixed_item(&lines[site]);
                        let a = if fixed {
                            if i == 0 { Answer::Fail } else { Answer::Pass }
                        } else {
                            answer(l, c, weak.contains(&l.clause.as_str()), noise)
                        };
                        AnswerInput {
                            item: l.item.clone(),
                            answer: a,
                            comment: String::new(),
                        }
                    })
                    .collect();
                let req = NewAuditRequest {
                    site: site.clone(),
                    kind: *kind,
                    date: *date,
                    evaluator: EVALUATOR.into(),
                    guideline: GuidelineChoice::Builtin,
                    plan: None,
                };
                self.record_audit(sys, &req, &answers, true).await?;
                out.audits += 1;
            }
        }
        Ok(out)
    }

    /// The corrective actions of the demo, on the findings the self-assessments opened:
    /// hz-h01's fixed item (done before this month's inspection, which passes it), one
    /// of cd-h02's training items (done, but the inspection fails it again), one of
    /// hz-h02's planning items (due a week into the month and never started), one of
    /// my-f02's dispatch items (started).
    async fn seed_demo_actions(&self, period: &Period, fixed: &str) -> Result<usize> {
        let sys = &Actor::System;
        let today = period.to;
        let open = self
            .findings(
                sys,
                &FindingQuery {
                    open_only: true,
                    ..FindingQuery::default()
                },
                today,
            )
            .await?;
        let first = |site: &str, clause: Option<&str>| -> Option<FindingView> {
            open.iter()
                .filter(|f| f.finding.site == site)
                .filter(|f| match clause {
                    Some(c) => f.finding.clause.as_deref() == Some(c),
                    None => f.finding.item.as_deref() == Some(fixed),
                })
                .min_by_key(|f| f.finding.id)
                .cloned()
        };
        let planned = day_before(period, 70);
        let mut n = 0;
        let stories: [Story; 4] = [
            (
                "hz-h01",
                None,
                "sm-hz-h01",
                RootCause::Process,
                "the item had no owner → nobody checked it → it lapsed",
                "name an owner and add the item to the weekly checklist",
                2,
            ),
            (
                "cd-h02",
                Some("PEO-01"),
                "sm-cd-h02",
                RootCause::People,
                "many new staff → induction shortened → no refresher plan",
                "one induction session for the new staff",
                2,
            ),
            (
                "hz-h02",
                Some("PEO-02"),
                "sm-hz-h02",
                RootCause::Process,
                "evening peak not in the roster → roster built from day averages",
                "roster from the half-hourly forecast",
                0,
            ),
            (
                "my-f02",
                Some("FAC-03"),
                "sm-my-f02",
                RootCause::Facilities,
                "first-come dispatch → no time-limit priority in the tool",
                "dispatch by remaining time limit",
                1,
            ),
        ];
        for (site, clause, owner, cause, why, plan, steps) in stories {
            let Some(f) = first(site, clause) else {
                continue;
            };
            let due = if steps == 0 {
                day_in(period, 7)
            } else {
                day_in(period, 25)
            };
            let a = self
                .add_action(
                    sys,
                    &NewActionRequest {
                        finding: f.finding.id,
                        owner: owner.into(),
                        root_cause: cause,
                        five_whys: why.into(),
                        plan: plan.into(),
                        due: Some(due),
                        on: Some(planned),
                    },
                )
                .await?;
            let id = a.action.id;
            if steps >= 1 {
                self.start_action(sys, id, Some(planned + Days::new(3)))
                    .await?;
            }
            if steps >= 2 {
                self.done_action(sys, id, Some(planned + Days::new(30)))
                    .await?;
            }
            n += 1;
        }
        Ok(n)
    }
}

/// A demo action: site, the clause of the finding (`None`: hz-h01's fixed item), owner,
/// root cause, 5 whys, plan, and how far it went (0 planned, 1 started, 2 done).
type Story = (
    &'static str,
    Option<&'static str>,
    &'static str,
    RootCause,
    &'static str,
    &'static str,
    u8,
);

/// hz-h01's item that failed a quarter ago and passes now: its first pass/fail item
/// that is not a veto.
fn fixed_item(lines: &[ChecklistLine]) -> String {
    lines
        .iter()
        .find(|l| l.method == "pass_fail" && !l.veto)
        .map(|l| l.item.clone())
        .unwrap_or_default()
}
