//! The staffing plan of a site: `GET /sites/{id}/plan?week=2026-W47` — the week's
//! demand forecast and the staff each interval (halls, call centres) or day (field
//! centres) needs to meet the guideline's targets, every input with where it came from,
//! and the plan's notes; the same use case as `yardstick plan site` and
//! `GET /api/v1/sites/{id}/plan`, so the same scope (the site's records: not for
//! regulators). A week the history cannot plan (too little of it) is said on the page,
//! with the week picker to choose another.

use std::collections::BTreeSet;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{Datelike, Days, Utc};
use minijinja::context;
use serde::{Deserialize, Serialize};
use yardstick_app::plan::{SitePlan, SitePlanRequest, Week, day_type_text, source_text};
use yardstick_app::{Cancel, ErrorKind};
use yardstick_core::vocab::Lang;

use super::format::num;
use super::view::site_name;
use super::{Pair, Reader, WebError, text};
use crate::AppState;

/// The week asked.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WeekQuery {
    week: Option<String>,
}

/// One column of the interval table: a day.
#[derive(Debug, Serialize)]
struct DayHead {
    date: String,
    day: String,
}

/// One row of the interval table: an interval start and, per day, agents and forecast.
#[derive(Debug, Serialize)]
struct IntervalRow {
    start: String,
    cells: Vec<Cell>,
}

#[derive(Debug, Serialize)]
struct Cell {
    agents: String,
    forecast: String,
    busy: bool,
}

/// One day of a field centre.
#[derive(Debug, Serialize)]
struct FieldDay {
    date: String,
    day: String,
    forecast: String,
    workload_h: String,
    required: u32,
    scheduled: u64,
}

/// The ISO week after today's, the default: the week a manager plans.
fn next_week() -> String {
    let d = Utc::now().date_naive() + Days::new(7);
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

fn pct(x: f64) -> String {
    format!("{}%", num(x * 100.0, 1))
}

/// The model's inputs as (what, value, source) pairs.
fn inputs(plan: &SitePlan, lang: Lang) -> Vec<Pair> {
    let mut out = Vec::new();
    let with = |v: String, s: &yardstick_core::planning::Source| match lang {
        Lang::Zh => format!("{v}（{}）", source_text(s, lang)),
        Lang::En => format!("{v} ({})", source_text(s, lang)),
    };
    if let Some(q) = &plan.queue {
        out.push(Pair {
            k: text(lang, "web.plan.model"),
            v: match q.model {
                "erlang_a" => "Erlang A".to_owned(),
                "erlang_c" => "Erlang C".to_owned(),
                other => other.replace('_', " "),
            },
        });
        out.push(Pair {
            k: text(lang, "web.plan.aht"),
            v: with(format!("{} s", num(q.aht_s, 1)), &q.aht_source),
        });
        if let Some(p) = q.patience_s {
            out.push(Pair {
                k: text(lang, "web.plan.patience"),
                v: with(format!("{} s", num(p, 1)), &q.patience_source),
            });
        }
        if let Some(sl) = q.sl_target {
            out.push(Pair {
                k: text(lang, "web.plan.sl_target"),
                v: with(
                    format!("{} / {} s", pct(sl), num(q.answer_within_s, 0)),
                    &q.sl_source,
                ),
            });
        }
        if let Some(b) = q.max_abandon {
            out.push(Pair {
                k: text(lang, "web.plan.max_abandon"),
                v: with(pct(b), &q.max_abandon_source),
            });
        }
        out.push(Pair {
            k: text(lang, "web.plan.forecast_total"),
            v: num(q.forecast_total, 1),
        });
        out.push(Pair {
            k: text(lang, "web.plan.staff_hours"),
            v: num(q.staff_hours, 1),
        });
    }
    if let Some(f) = &plan.field {
        out.push(Pair {
            k: text(lang, "web.plan.onsite"),
            v: with(format!("{} h", num(f.onsite_h, 2)), &f.onsite_source),
        });
        out.push(Pair {
            k: text(lang, "web.plan.limit"),
            v: with(format!("{} h", num(f.limit_h, 1)), &f.limit_source),
        });
        out.push(Pair {
            k: text(lang, "web.plan.crew"),
            v: format!("{} ({})", f.crew, pct(f.utilisation)),
        });
    }
    if let Some(w) = plan.wape {
        out.push(Pair {
            k: text(lang, "web.plan.wape"),
            v: pct(w),
        });
    }
    out
}

/// The interval table: the intervals of the day where any day has demand or staff, one
/// column per day.
fn interval_table(plan: &SitePlan, lang: Lang) -> (Vec<DayHead>, Vec<IntervalRow>) {
    let mut days: Vec<(chrono::NaiveDate, String)> = Vec::new();
    for i in &plan.intervals {
        if days.last().is_none_or(|(d, _)| *d != i.date) {
            days.push((i.date, day_type_text(i.day_type, lang).to_owned()));
        }
    }
    let busy: BTreeSet<&str> = plan
        .intervals
        .iter()
        .filter(|i| i.forecast > 0.0 || i.agents > 0)
        .map(|i| i.start.as_str())
        .collect();
    let rows = busy
        .iter()
        .map(|start| IntervalRow {
            start: (*start).to_owned(),
            cells: days
                .iter()
                .map(|(d, _)| {
                    match plan
                        .intervals
                        .iter()
                        .find(|i| i.date == *d && i.start == *start)
                    {
                        Some(i) => Cell {
                            agents: i.scheduled.to_string(),
                            forecast: num(i.forecast, 1),
                            busy: i.agents > 0,
                        },
                        None => Cell {
                            agents: "—".into(),
                            forecast: String::new(),
                            busy: false,
                        },
                    }
                })
                .collect(),
        })
        .collect();
    let heads = days
        .into_iter()
        .map(|(d, day)| DayHead {
            date: d.format("%m-%d").to_string(),
            day,
        })
        .collect();
    (heads, rows)
}

/// `GET /sites/{id}/plan`.
pub(crate) async fn plan(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    Query(q): Query<WeekQuery>,
) -> Result<Response, WebError> {
    let ws = &state.workspace;
    let actor = reader.actor();
    let lang = reader.lang;
    let site = ws.site_in_scope(actor, &id).await?;
    let week_text = q
        .week
        .as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map_or_else(next_week, str::to_owned);
    let planned = match week_text.parse::<Week>() {
        Ok(week) => {
            ws.plan_site(
                actor,
                SitePlanRequest::new(site.id.clone(), week),
                &Cancel::new(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    // What the reader can change (a week, more history) is said on the page; anything
    // else (not found, damaged data) is the error page.
    let (plan, problem) = match planned {
        Ok(p) => (Some(p), None),
        Err(e) if e.kind() == ErrorKind::Input => (None, Some(e.render(lang))),
        Err(e) => return Err(e.into()),
    };
    let (heads, rows) = plan
        .as_ref()
        .map(|p| interval_table(p, lang))
        .unwrap_or_default();
    let field_days: Vec<FieldDay> = plan
        .as_ref()
        .map(|p| {
            p.days
                .iter()
                .map(|d| FieldDay {
                    date: d.date.to_string(),
                    day: day_type_text(d.day_type, lang).to_owned(),
                    forecast: num(d.forecast, 1),
                    workload_h: num(d.workload_h, 1),
                    required: d.required,
                    scheduled: d.scheduled,
                })
                .collect()
        })
        .unwrap_or_default();
    reader.page(
        "plan.html",
        "overview",
        context! {
            id => site.id.clone(),
            name => site_name(&site, lang),
            week => week_text,
            problem => problem,
            range => plan.as_ref().map(|p| format!("{} – {}", p.from, p.to)),
            interval_min => plan.as_ref().map(|p| p.interval_min),
            inputs => plan.as_ref().map(|p| inputs(p, lang)).unwrap_or_default(),
            heads => heads,
            rows => rows,
            field_days => field_days,
            notes => plan.as_ref().map(|p| p.notes.iter().map(|n| n.text(lang)).collect::<Vec<_>>()).unwrap_or_default(),
        },
    )
}
