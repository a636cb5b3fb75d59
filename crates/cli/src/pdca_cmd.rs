//! `yardstick finding …` and `yardstick action …`: findings (不符合项) and corrective
//! actions (整改) through Plan → Do → Check → Act. Glue over `yardstick_app::pdca` only.

use chrono::{NaiveDate, Utc};
use clap::{Subcommand, ValueEnum};
use yardstick_app::pdca::actions::{ActionQuery, NewActionRequest};
use yardstick_app::pdca::{ActionView, FindingQuery, FindingView};
use yardstick_app::{Actor, Error};
use yardstick_core::pdca::{EscalationReason, RootCause, Severity};
use yardstick_core::t;
use yardstick_core::vocab::Lang;

use crate::Ctx;
use crate::audit_cmd::{Format, json};
use crate::data_cmd::open;
use crate::table::render;
use crate::{out, outln};

/// A root-cause category on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum CauseArg {
    /// People (人).
    People,
    /// Facilities (设施).
    Facilities,
    /// Process (流程).
    Process,
    /// Environment (环境).
    Environment,
    /// Information systems (信息系统).
    InformationSystems,
    /// External (外部).
    External,
}

impl From<CauseArg> for RootCause {
    fn from(c: CauseArg) -> RootCause {
        match c {
            CauseArg::People => RootCause::People,
            CauseArg::Facilities => RootCause::Facilities,
            CauseArg::Process => RootCause::Process,
            CauseArg::Environment => RootCause::Environment,
            CauseArg::InformationSystems => RootCause::InformationSystems,
            CauseArg::External => RootCause::External,
        }
    }
}

/// A severity on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SeverityArg {
    /// A legal must failed (veto item, hard limit).
    Critical,
    /// A target missed.
    Major,
    /// A failed item, a falling trend.
    Minor,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Critical => Severity::Critical,
            SeverityArg::Major => Severity::Major,
            SeverityArg::Minor => Severity::Minor,
        }
    }
}

/// `finding` subcommands.
#[derive(Subcommand)]
pub enum FindingCommand {
    /// Findings, newest first, with the stage of their latest action.
    ///
    /// Example: yardstick finding list --site cd-h02 --open
    List {
        /// Of this site.
        #[arg(long)]
        site: Option<String>,
        /// Open ones only.
        #[arg(long)]
        open: bool,
        /// Overdue ones only.
        #[arg(long)]
        overdue: bool,
        /// Of this severity.
        #[arg(long, value_enum)]
        severity: Option<SeverityArg>,
        /// The day "overdue" is judged on (default: today).
        #[arg(long)]
        today: Option<NaiveDate>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// One finding with its history and actions.
    ///
    /// Example: yardstick finding show 4
    Show {
        /// Finding id.
        id: i64,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

/// `action` subcommands.
#[derive(Subcommand)]
pub enum ActionCommand {
    /// Add a corrective action to an open finding (stage Plan).
    ///
    /// Example: yardstick action add --finding 4 --owner zhao.min --cause people
    /// --why "new staff not trained on the IVR changes" --plan "two training sessions"
    /// --due 2026-12-15
    Add {
        /// The finding it corrects.
        #[arg(long)]
        finding: i64,
        /// Owner's login.
        #[arg(long)]
        owner: String,
        /// Root-cause category.
        #[arg(long, value_enum)]
        cause: CauseArg,
        /// The root-cause analysis (5 whys).
        #[arg(long)]
        why: String,
        /// What will be done.
        #[arg(long)]
        plan: String,
        /// Due date (default: the finding's).
        #[arg(long)]
        due: Option<NaiveDate>,
        /// The day it is planned (default: today).
        #[arg(long)]
        on: Option<NaiveDate>,
    },
    /// Start the work (Plan → Do).
    Start {
        /// Action id.
        id: i64,
        /// The day (default: today).
        #[arg(long)]
        on: Option<NaiveDate>,
    },
    /// The work is done (Do → Check): the data decides whether it worked.
    Done {
        /// Action id.
        id: i64,
        /// The day (default: today).
        #[arg(long)]
        on: Option<NaiveDate>,
    },
    /// A person's verdict on an action in Check (for findings the data cannot judge).
    Verify {
        /// Action id.
        id: i64,
        /// It did not work: back to Plan, escalated.
        #[arg(long)]
        not_effective: bool,
        /// What the verdict rests on.
        #[arg(long)]
        note: String,
    },
    /// Judge the actions in Check by the data and escalate late ones (also done after
    /// every frozen evaluation).
    ///
    /// Example: yardstick action check --today 2026-11-20
    Check {
        /// The day (default: today).
        #[arg(long)]
        today: Option<NaiveDate>,
    },
    /// Corrective actions.
    List {
        /// Of this site.
        #[arg(long)]
        site: Option<String>,
        /// Late ones only.
        #[arg(long)]
        overdue: bool,
        /// The day "late" is judged on (default: today).
        #[arg(long)]
        today: Option<NaiveDate>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

fn today(d: Option<NaiveDate>) -> NaiveDate {
    d.unwrap_or_else(|| Utc::now().date_naive())
}

fn yes(lang: Lang, b: bool) -> String {
    if b {
        t!(lang, "common.yes").to_string()
    } else {
        String::new()
    }
}

fn finding_rows(lang: Lang, list: &[FindingView]) -> Vec<Vec<String>> {
    list.iter()
        .map(|f| {
            let x = &f.finding;
            vec![
                x.id.to_string(),
                x.site.clone(),
                x.source.label(lang).to_string(),
                x.severity.label(lang).to_string(),
                f.title.get(lang).to_string(),
                x.opened_on.to_string(),
                x.due_on.to_string(),
                x.closed_on.map(|d| d.to_string()).unwrap_or_default(),
                f.stage
                    .map(|s| s.label(lang).to_string())
                    .unwrap_or_default(),
                yes(lang, f.overdue),
            ]
        })
        .collect()
}

fn action_rows(lang: Lang, list: &[ActionView]) -> Vec<Vec<String>> {
    list.iter()
        .map(|a| {
            vec![
                a.action.id.to_string(),
                a.action.finding.to_string(),
                a.site.clone(),
                a.action.owner.clone(),
                a.action.root_cause.label(lang).to_string(),
                a.state.stage.label(lang).to_string(),
                a.state.due.to_string(),
                a.state.escalations.to_string(),
                yes(lang, a.overdue),
            ]
        })
        .collect()
}

fn action_header(lang: Lang) -> Vec<&'static str> {
    vec![
        t!(lang, "pdca.col.id"),
        t!(lang, "pdca.col.finding"),
        t!(lang, "pdca.col.site"),
        t!(lang, "pdca.col.owner"),
        t!(lang, "pdca.col.cause"),
        t!(lang, "pdca.col.stage"),
        t!(lang, "pdca.col.due"),
        t!(lang, "pdca.col.escalations"),
        t!(lang, "pdca.col.overdue"),
    ]
}

/// `yardstick finding …`.
pub async fn finding(ctx: &Ctx, cmd: FindingCommand) -> Result<u8, Error> {
    let lang = ctx.lang;
    let ws = open(ctx).await?;
    let me = Actor::System;
    let header = [
        t!(lang, "pdca.col.id"),
        t!(lang, "pdca.col.site"),
        t!(lang, "pdca.col.source"),
        t!(lang, "pdca.col.severity"),
        t!(lang, "pdca.col.title"),
        t!(lang, "pdca.col.opened"),
        t!(lang, "pdca.col.due"),
        t!(lang, "pdca.col.closed"),
        t!(lang, "pdca.col.stage"),
        t!(lang, "pdca.col.overdue"),
    ];
    match cmd {
        FindingCommand::List {
            site,
            open: open_only,
            overdue,
            severity,
            today: day,
            format,
        } => {
            let q = FindingQuery {
                site,
                open_only,
                overdue_only: overdue,
                severity: severity.map(Severity::from),
                ..FindingQuery::default()
            };
            let list = ws.findings(&me, &q, today(day)).await?;
            match format {
                Format::Json => outln!("{}", json(&list)?)?,
                Format::Table => out!("{}", render(&header, &finding_rows(lang, &list)))?,
            }
        }
        FindingCommand::Show { id, format } => {
            let f = ws.finding(&me, id, today(None)).await?;
            if matches!(format, Format::Json) {
                outln!("{}", json(&f)?)?;
                return Ok(0);
            }
            out!(
                "{}",
                render(&header, &finding_rows(lang, std::slice::from_ref(&f)))
            )?;
            for e in &f.finding.events {
                outln!(
                    "  {} {} {} {}",
                    e.on,
                    e.kind.as_str(),
                    e.period.as_deref().unwrap_or(""),
                    e.note.as_deref().unwrap_or("")
                )?;
            }
            if !f.actions.is_empty() {
                out!(
                    "{}",
                    render(&action_header(lang), &action_rows(lang, &f.actions))
                )?;
            }
        }
    }
    Ok(0)
}

/// `yardstick action …`.
pub async fn action(ctx: &Ctx, cmd: ActionCommand) -> Result<u8, Error> {
    let lang = ctx.lang;
    let ws = open(ctx).await?;
    let me = Actor::System;
    let moved = |a: &ActionView| {
        t!(
            lang,
            "pdca.action.moved",
            id = a.action.id,
            stage = a.state.stage.label(lang),
            due = a.state.due
        )
    };
    match cmd {
        ActionCommand::Add {
            finding,
            owner,
            cause,
            why,
            plan,
            due,
            on,
        } => {
            let a = ws
                .add_action(
                    &me,
                    &NewActionRequest {
                        finding,
                        owner,
                        root_cause: cause.into(),
                        five_whys: why,
                        plan,
                        due,
                        on,
                    },
                )
                .await?;
            outln!("{}", moved(&a))?;
        }
        ActionCommand::Start { id, on } => {
            outln!("{}", moved(&ws.start_action(&me, id, on).await?))?
        }
        ActionCommand::Done { id, on } => outln!("{}", moved(&ws.done_action(&me, id, on).await?))?,
        ActionCommand::Verify {
            id,
            not_effective,
            note,
        } => {
            let a = ws
                .verify_action(&me, id, !not_effective, &note, None)
                .await?;
            outln!("{}", moved(&a))?;
        }
        ActionCommand::Check { today: day } => {
            let r = ws.check_actions(&me, today(day)).await?;
            outln!(
                "{}",
                t!(
                    lang,
                    "pdca.check.summary",
                    verified = r.verified.len(),
                    escalated = r.escalated.len(),
                    closed = r.closed.len()
                )
            )?;
            for (id, effective, basis) in &r.verified {
                let line = if *effective {
                    t!(lang, "pdca.check.effective", id = id, basis = basis)
                } else {
                    t!(lang, "pdca.check.not_effective", id = id, basis = basis)
                };
                outln!("  {line}")?;
            }
            for (id, node, reason) in &r.escalated {
                outln!(
                    "  {}",
                    t!(
                        lang,
                        "pdca.check.escalated",
                        id = id,
                        node = node,
                        reason = match reason {
                            EscalationReason::Overdue => t!(lang, "pdca.reason.overdue"),
                            EscalationReason::Ineffective => t!(lang, "pdca.reason.ineffective"),
                        }
                    )
                )?;
            }
        }
        ActionCommand::List {
            site,
            overdue,
            today: day,
            format,
        } => {
            let q = ActionQuery {
                site,
                overdue_only: overdue,
                ..ActionQuery::default()
            };
            let list = ws.actions(&me, &q, today(day)).await?;
            match format {
                Format::Json => outln!("{}", json(&list)?)?,
                Format::Table => out!(
                    "{}",
                    render(&action_header(lang), &action_rows(lang, &list))
                )?,
            }
        }
    }
    Ok(0)
}
