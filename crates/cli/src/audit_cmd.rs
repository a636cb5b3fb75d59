//! `yardstick audit …`: the Excel template and its import, audits listed, shown and
//! signed, audit plans. Glue over `yardstick_app::audit` only.

use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand, ValueEnum};
use yardstick_app::audit::excel::{ImportAudit, template_bytes, template_written};
use yardstick_app::audit::plans::{NewPlanRequest, PlanStatus};
use yardstick_app::audit::{AuditQuery, AuditView};
use yardstick_app::{Actor, Error};
use yardstick_core::audit::{AuditKind, AuditState, answer_label};
use yardstick_core::t;

use crate::Ctx;
use crate::data_cmd::open;
use crate::eval_cmd::guideline_choice;
use crate::table::render;
use crate::{out, outln};

/// An audit kind on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum KindArg {
    /// On-site inspection (现场检查).
    OnSite,
    /// Mystery shopper / test call (暗访).
    MysteryShopper,
    /// Self-assessment (自查).
    SelfAssessment,
    /// Third-party evaluation (第三方评价).
    ThirdParty,
}

impl From<KindArg> for AuditKind {
    fn from(k: KindArg) -> AuditKind {
        match k {
            KindArg::OnSite => AuditKind::OnSite,
            KindArg::MysteryShopper => AuditKind::MysteryShopper,
            KindArg::SelfAssessment => AuditKind::SelfAssessment,
            KindArg::ThirdParty => AuditKind::ThirdParty,
        }
    }
}

/// An audit state on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StateArg {
    /// Being answered.
    Draft,
    /// Submitted, waiting for the evaluator's signature.
    Submitted,
    /// Signed (immutable).
    Signed,
}

/// Output format of lists and pages.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum Format {
    /// A table.
    #[default]
    Table,
    /// JSON.
    Json,
}

/// `audit` subcommands.
#[derive(Subcommand)]
pub enum AuditCommand {
    /// Write a site's checklist as an Excel template to fill in (answer column with
    /// dropdowns, N/A and veto marked).
    ///
    /// Example: yardstick audit template --site cd-h02 --kind on_site > cd-h02.xlsx
    Template {
        /// Site id.
        #[arg(long)]
        site: String,
        /// Audit kind.
        #[arg(long, value_enum)]
        kind: KindArg,
        /// Guideline file (default: the built-in guideline).
        #[arg(long)]
        guideline: Option<PathBuf>,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Record an audit from a filled template; every problem is reported by sheet, row
    /// and column, and nothing is stored when any answer is invalid.
    ///
    /// Example: yardstick audit import cd-h02.xlsx --site cd-h02 --kind on_site
    /// --evaluator wang.fang --date 2026-10-14 --sign
    Import {
        /// The filled template (.xlsx).
        file: PathBuf,
        /// Site id (must match the template's).
        #[arg(long)]
        site: String,
        /// Audit kind (must match the template's).
        #[arg(long, value_enum)]
        kind: KindArg,
        /// The evaluator's login.
        #[arg(long)]
        evaluator: String,
        /// The day of the audit (YYYY-MM-DD).
        #[arg(long)]
        date: NaiveDate,
        /// Submit and sign it at once (a signed audit never changes).
        #[arg(long)]
        sign: bool,
    },
    /// Audits, newest first.
    ///
    /// Example: yardstick audit list --site cd-h02
    List {
        /// Of this site.
        #[arg(long)]
        site: Option<String>,
        /// Of this evaluator.
        #[arg(long)]
        evaluator: Option<String>,
        /// In this state.
        #[arg(long, value_enum)]
        state: Option<StateArg>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// One audit with its answers and what is left to answer.
    ///
    /// Example: yardstick audit show 12
    Show {
        /// Audit id.
        id: i64,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Sign an audit (a draft is submitted first). A signed audit never changes.
    ///
    /// Example: yardstick audit sign 12
    Sign {
        /// Audit id.
        id: i64,
    },
    /// Audit plans: which site gets which kind of audit by whom, in which window.
    #[command(subcommand)]
    Plan(PlanCommand),
}

/// `audit plan` subcommands.
#[derive(Subcommand)]
pub enum PlanCommand {
    /// Plan an audit.
    ///
    /// Example: yardstick audit plan add --site hz-h02 --kind mystery_shopper
    /// --evaluator wang.fang --from 2026-10-01 --to 2026-12-31
    Add(PlanArgs),
    /// Plans with their status on a day (open, overdue, done by which audit).
    ///
    /// Example: yardstick audit plan list --today 2026-11-01
    List {
        /// The day the status is for (default: today).
        #[arg(long)]
        today: Option<NaiveDate>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

/// `audit plan add` arguments.
#[derive(Args)]
pub struct PlanArgs {
    /// Site id.
    #[arg(long)]
    site: String,
    /// Audit kind.
    #[arg(long, value_enum)]
    kind: KindArg,
    /// The evaluator's login.
    #[arg(long)]
    evaluator: String,
    /// First day of the window.
    #[arg(long)]
    from: NaiveDate,
    /// Last day of the window.
    #[arg(long)]
    to: NaiveDate,
    /// A note.
    #[arg(long, default_value = "")]
    note: String,
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> Result<String, Error> {
    serde_json::to_string_pretty(v)
        .map_err(|e| Error::internal("error.internal.json").detail(e.to_string()))
}

fn read_file(path: &PathBuf) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| {
        Error::input("error.audit.import.unreadable")
            .arg("file", path.display())
            .detail(e.to_string())
    })
}

/// `yardstick audit …`.
pub async fn run(ctx: &Ctx, cmd: AuditCommand) -> Result<u8, Error> {
    let lang = ctx.lang;
    let ws = open(ctx).await?;
    let me = Actor::System;
    match cmd {
        AuditCommand::Template {
            site,
            kind,
            guideline,
            out,
        } => {
            let choice = guideline_choice(guideline.as_ref())?;
            let c = ws.checklist(&me, &site, &choice).await?;
            let kind = AuditKind::from(kind);
            let bytes = template_bytes(&c, kind)?;
            match out {
                Some(path) => std::fs::write(&path, &bytes).map_err(|e| {
                    Error::input("error.audit.template.write")
                        .detail(format!("{}: {e}", path.display()))
                })?,
                None => crate::out::write_bytes(&bytes)?,
            }
            eprintln!("{}", template_written(lang, &c.site, kind, c.lines.len()));
        }
        AuditCommand::Import {
            file,
            site,
            kind,
            evaluator,
            date,
            sign,
        } => {
            let bytes = read_file(&file)?;
            let h = ws
                .import_audit(
                    &me,
                    &ImportAudit {
                        file_name: file.display().to_string(),
                        bytes,
                        site,
                        kind: kind.into(),
                        evaluator,
                        date,
                        sign,
                    },
                )
                .await?;
            outln!(
                "{}",
                t!(
                    lang,
                    "audit.imported",
                    id = h.id,
                    site = &h.site,
                    answers = h.answered,
                    state = h.state.label(lang)
                )
            )?;
        }
        AuditCommand::List {
            site,
            evaluator,
            state,
            format,
        } => {
            let q = AuditQuery {
                site,
                evaluator,
                state: state.map(|s| match s {
                    StateArg::Draft => AuditState::Draft,
                    StateArg::Submitted => AuditState::Submitted,
                    StateArg::Signed => AuditState::Signed,
                }),
            };
            let list = ws.audits(&me, &q).await?;
            if matches!(format, Format::Json) {
                outln!("{}", json(&list)?)?;
                return Ok(0);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|h| {
                    vec![
                        h.id.to_string(),
                        h.site.clone(),
                        h.kind.label(lang).to_string(),
                        h.date.to_string(),
                        h.evaluator.clone(),
                        h.state.label(lang).to_string(),
                        h.response
                            .map(|r| r.label(lang).to_string())
                            .unwrap_or_default(),
                        h.answered.to_string(),
                        h.amends
                            .as_ref()
                            .map(|(id, _)| id.to_string())
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            out!(
                "{}",
                render(
                    &[
                        t!(lang, "audit.col.id"),
                        t!(lang, "audit.col.site"),
                        t!(lang, "audit.col.kind"),
                        t!(lang, "audit.col.date"),
                        t!(lang, "audit.col.evaluator"),
                        t!(lang, "audit.col.state"),
                        t!(lang, "audit.col.response"),
                        t!(lang, "audit.col.answers"),
                        t!(lang, "audit.col.amends"),
                    ],
                    &rows
                )
            )?;
        }
        AuditCommand::Show { id, format } => {
            let v = ws.audit(&me, id).await?;
            if matches!(format, Format::Json) {
                outln!("{}", json(&v)?)?;
            } else {
                show(ctx, &v)?;
            }
        }
        AuditCommand::Sign { id } => {
            let v = ws.audit(&me, id).await?;
            if v.header.state == AuditState::Draft {
                ws.submit_audit(&me, id).await?;
            }
            let h = ws.sign_audit(&me, id).await?;
            outln!("{}", t!(lang, "audit.signed", id = h.id, site = &h.site))?;
        }
        AuditCommand::Plan(PlanCommand::Add(a)) => {
            let p = ws
                .plan_audit(
                    &me,
                    &NewPlanRequest {
                        site: a.site,
                        kind: a.kind.into(),
                        evaluator: a.evaluator,
                        due_from: a.from,
                        due_to: a.to,
                        note: a.note,
                    },
                )
                .await?;
            outln!(
                "{}",
                t!(lang, "audit.plan.added", id = p.id, site = &p.site)
            )?;
        }
        AuditCommand::Plan(PlanCommand::List { today, format }) => {
            let today = today.unwrap_or_else(|| Utc::now().date_naive());
            let plans = ws.audit_plans(&me, today).await?;
            if matches!(format, Format::Json) {
                outln!("{}", json(&plans)?)?;
                return Ok(0);
            }
            let rows: Vec<Vec<String>> = plans
                .iter()
                .map(|p| {
                    let status = match p.status {
                        PlanStatus::Open => t!(lang, "audit.plan.open").to_string(),
                        PlanStatus::Overdue { days_late } => {
                            t!(lang, "audit.plan.overdue", days = days_late)
                        }
                        PlanStatus::Done { audit } => t!(lang, "audit.plan.done", audit = audit),
                    };
                    vec![
                        p.id.to_string(),
                        p.site.clone(),
                        p.kind.label(lang).to_string(),
                        p.evaluator.clone(),
                        format!("{} – {}", p.due_from, p.due_to),
                        status,
                    ]
                })
                .collect();
            out!(
                "{}",
                render(
                    &[
                        t!(lang, "audit.col.id"),
                        t!(lang, "audit.col.site"),
                        t!(lang, "audit.col.kind"),
                        t!(lang, "audit.col.evaluator"),
                        t!(lang, "audit.col.window"),
                        t!(lang, "audit.col.status"),
                    ],
                    &rows
                )
            )?;
        }
    }
    Ok(0)
}

fn show(ctx: &Ctx, v: &AuditView) -> Result<(), Error> {
    let lang = ctx.lang;
    let h = &v.header;
    outln!(
        "{}",
        t!(
            lang,
            "audit.heading",
            id = h.id,
            site = &h.site,
            kind = h.kind.label(lang),
            date = h.date,
            evaluator = &h.evaluator,
            state = h.state.label(lang)
        )
    )?;
    if let Some((id, reason)) = &h.amends {
        outln!("{}", t!(lang, "audit.amends", id = id, reason = reason))?;
    }
    if let Some(r) = h.response {
        outln!(
            "{}",
            t!(
                lang,
                "audit.response",
                response = r.label(lang),
                reason = h.response_reason.as_deref().unwrap_or("")
            )
        )?;
    }
    let rows: Vec<Vec<String>> = v
        .answers
        .iter()
        .map(|a| {
            vec![
                a.clause.clone().unwrap_or_default(),
                a.item.clone(),
                answer_label(a.answer, lang),
                a.comment.clone(),
            ]
        })
        .collect();
    out!(
        "{}",
        render(
            &[
                t!(lang, "audit.template.col.clause"),
                t!(lang, "audit.template.col.item"),
                t!(lang, "audit.template.col.answer"),
                t!(lang, "audit.template.col.comment"),
            ],
            &rows
        )
    )?;
    outln!(
        "{}",
        t!(
            lang,
            "audit.progress",
            answered = v.answers.len(),
            items = v.items,
            evidence = v.evidence.len()
        )
    )?;
    if !v.missing.is_empty() {
        outln!(
            "{}",
            t!(lang, "audit.missing", items = v.missing.join(", "))
        )?;
    }
    Ok(())
}
