//! Audit plans: a quality manager plans an audit of a site (its kind, its evaluator,
//! the window it is due in — a mystery-shopper visit to every hall each quarter, say).
//! A plan is done when an audit of its site and kind, dated within its window, is signed;
//! one not done by the end of its window is overdue. An evaluator sees its own
//! assignments first.

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use yardstick_core::audit::{AuditKind, SignedAudit};
use yardstick_store::{AuditFilter, NewPlan, PlanRow};

use crate::activity::Activity;
use crate::error::{Error, ErrorKind, Result};
use crate::scope::Actor;
use crate::workspace::Workspace;

/// A plan to record.
#[derive(Debug, Clone)]
pub struct NewPlanRequest {
    /// Site.
    pub site: String,
    /// Kind.
    pub kind: AuditKind,
    /// Evaluator's login.
    pub evaluator: String,
    /// First day of the window.
    pub due_from: NaiveDate,
    /// Last day of the window.
    pub due_to: NaiveDate,
    /// Note.
    pub note: String,
}

/// Where a plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum PlanStatus {
    /// Not done, its window not over.
    Open,
    /// Not done and its window is over.
    Overdue {
        /// Days since the window ended.
        days_late: i64,
    },
    /// Done by this signed audit.
    Done {
        /// The audit.
        audit: i64,
    },
}

/// A plan with its status.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    /// Id.
    pub id: i64,
    /// Site.
    pub site: String,
    /// Kind.
    pub kind: AuditKind,
    /// Evaluator.
    pub evaluator: String,
    /// Window.
    pub due_from: NaiveDate,
    /// Window's last day.
    pub due_to: NaiveDate,
    /// Note.
    pub note: String,
    /// Status on the day asked.
    pub status: PlanStatus,
    /// Whether it is assigned to the actor asking.
    pub mine: bool,
}

/// The status of a plan on `today`, given the signed audits of its site: done by the
/// first signed audit of its kind dated within its window (or naming the plan), else
/// overdue after its window, else open.
#[must_use]
pub fn plan_status(
    plan: (i64, AuditKind, NaiveDate, NaiveDate),
    audits: &[(Option<i64>, &SignedAudit)],
    today: NaiveDate,
) -> PlanStatus {
    let (id, kind, from, to) = plan;
    let done = audits
        .iter()
        .filter(|(named, a)| {
            *named == Some(id) || (a.kind == kind && from <= a.date && a.date <= to)
        })
        .map(|(_, a)| a.id)
        .min();
    match done {
        Some(audit) => PlanStatus::Done { audit },
        None if today > to => PlanStatus::Overdue {
            days_late: (today - to).num_days(),
        },
        None => PlanStatus::Open,
    }
}

fn day(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| Error::new(ErrorKind::Damaged, "error.audit.bad_stored_date").arg("date", s))
}

impl Workspace {
    /// Plans an audit.
    ///
    /// # Errors
    /// An unknown site; forbidden unless admin or a quality manager of the site; a
    /// window that ends before it starts.
    pub async fn plan_audit(&self, actor: &Actor, req: &NewPlanRequest) -> Result<PlanView> {
        let org = self.require_org().await?;
        if org.site(&req.site).is_none() {
            return Err(Error::input("error.site.unknown").arg("site", &req.site));
        }
        actor.require_quality(&org, &req.site)?;
        if req.due_to < req.due_from {
            return Err(Error::input("error.plan_audit.window")
                .arg("from", req.due_from)
                .arg("to", req.due_to));
        }
        let evaluator = crate::access::normalise_login(&req.evaluator)?;
        let id = self
            .store
            .create_plan(
                &NewPlan {
                    site: req.site.clone(),
                    kind: req.kind.as_str().to_string(),
                    evaluator: evaluator.clone(),
                    due_from: req.due_from.to_string(),
                    due_to: req.due_to.to_string(),
                    note: req.note.clone(),
                    created_by: actor.login().map(str::to_string),
                },
                Utc::now(),
            )
            .await
            .map_err(|e| crate::store_error(&e))?;
        self.log(
            actor,
            Activity::new("audit.plan")
                .object(&id.to_string())
                .detail(serde_json::json!({
                    "site": req.site, "kind": req.kind, "evaluator": evaluator,
                    "from": req.due_from, "to": req.due_to,
                })),
        )
        .await?;
        let today = Utc::now().date_naive();
        self.audit_plans(actor, today)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| Error::internal("error.store").detail("plan not read back"))
    }

    /// The plans the actor may see, with their status on `today`: its own assignments
    /// first, then overdue before open before done, then by the end of the window.
    ///
    /// # Errors
    /// Store failures.
    pub async fn audit_plans(&self, actor: &Actor, today: NaiveDate) -> Result<Vec<PlanView>> {
        let org = self.require_org().await?;
        let rows: Vec<PlanRow> = self
            .store
            .plans()
            .await
            .map_err(|e| crate::store_error(&e))?;
        let signed = self.signed_audits(AuditFilter::default()).await?;
        let named = self
            .store
            .audits(&AuditFilter {
                state: Some("signed".into()),
                ..AuditFilter::default()
            })
            .await
            .map_err(|e| crate::store_error(&e))?;
        let me = actor.login();
        let mut out = Vec::new();
        for r in rows
            .iter()
            .filter(|r| actor.may_read_audit(&org, &r.site, &r.evaluator))
        {
            let kind = AuditKind::parse(&r.kind).ok_or_else(|| {
                Error::new(ErrorKind::Damaged, "error.audit.bad_stored_kind").arg("kind", &r.kind)
            })?;
            let (from, to) = (day(&r.due_from)?, day(&r.due_to)?);
            let of_site: Vec<(Option<i64>, &SignedAudit)> = signed
                .iter()
                .filter(|a| a.site == r.site)
                .map(|a| {
                    (
                        named.iter().find(|n| n.id == a.id).and_then(|n| n.plan_id),
                        a,
                    )
                })
                .collect();
            out.push(PlanView {
                id: r.id,
                site: r.site.clone(),
                kind,
                evaluator: r.evaluator.clone(),
                due_from: from,
                due_to: to,
                note: r.note.clone(),
                status: plan_status((r.id, kind, from, to), &of_site, today),
                mine: me == Some(r.evaluator.as_str()),
            });
        }
        let rank = |s: &PlanStatus| match s {
            PlanStatus::Overdue { .. } => 0,
            PlanStatus::Open => 1,
            PlanStatus::Done { .. } => 2,
        };
        out.sort_by(|a, b| {
            b.mine
                .cmp(&a.mine)
                .then(rank(&a.status).cmp(&rank(&b.status)))
                .then(a.due_to.cmp(&b.due_to))
                .then(a.id.cmp(&b.id))
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn audit(id: i64, kind: AuditKind, date: &str) -> SignedAudit {
        SignedAudit {
            id,
            site: "h1".into(),
            kind,
            date: d(date),
            amends: None,
            answers: Vec::new(),
        }
    }

    /// A mystery-shopper plan for Q4 (1 Oct – 31 Dec): an on-site audit in the window
    /// does not do it, a mystery-shopper visit on 30 Sep is outside it; on 2 Jan it is
    /// two days late; a visit on 15 Nov does it.
    #[test]
    fn a_plan_is_done_by_a_signed_audit_of_its_kind_in_its_window() {
        let plan = (
            7,
            AuditKind::MysteryShopper,
            d("2026-10-01"),
            d("2026-12-31"),
        );
        let on_site = audit(1, AuditKind::OnSite, "2026-11-10");
        let early = audit(2, AuditKind::MysteryShopper, "2026-09-30");
        let visit = audit(3, AuditKind::MysteryShopper, "2026-11-15");
        let before = [(None, &on_site), (None, &early)];
        assert_eq!(
            plan_status(plan, &before, d("2026-12-31")),
            PlanStatus::Open
        );
        assert_eq!(
            plan_status(plan, &before, d("2027-01-02")),
            PlanStatus::Overdue { days_late: 2 }
        );
        let after = [(None, &on_site), (None, &early), (None, &visit)];
        assert_eq!(
            plan_status(plan, &after, d("2027-01-02")),
            PlanStatus::Done { audit: 3 }
        );
        // An audit that names the plan does it whatever its day.
        assert_eq!(
            plan_status(plan, &[(Some(7), &early)], d("2027-01-02")),
            PlanStatus::Done { audit: 2 }
        );
    }
}
