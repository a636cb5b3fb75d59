//! A site and what is behind its figures.
//!
//! - `GET /sites/{id}`: every indicator line (value, floor, goal, hard limit,
//!   achievement, points, sample, confidence interval), weakest first; the rank among
//!   peers with the peer group named; red lines in words; a link to the site's staffing plan
//!   (`web/plan.rs`).
//! - `GET /sites/{id}/indicators/{indicator}`: the definition, the line and its strata,
//!   the distribution, the daily trend, and the records behind the figure a page at a
//!   time (a reader who may not read records — a regulator — is told so).
//! - `…/records.csv`: every record behind the figure as CSV.
//! - `…/record?cursor=C&n=K`: one record (the K-th of the page at cursor C).

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};
use yardstick_app::ErrorKind;
use yardstick_core::evaluate::LineResult;
use yardstick_core::vocab::Lang;

use super::format::{change, num, opt, pct, url_encode};
use super::view::{
    evaluation, indicator_name, level_name, not_rated_text, page_period, peer_group_label,
    previous_evaluation, red_lines_in_words, scene_label, site_name, status_text,
};
use super::{Pair, Reader, WebError, charts, text};
use crate::AppState;
use crate::error::ApiError;

/// Rows per page of records.
const PAGE: usize = 50;

/// Most rows a CSV export holds.
const CSV_MAX_ROWS: usize = 200_000;

/// The period asked.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PeriodQuery {
    period: Option<String>,
}

#[derive(Debug, Serialize)]
struct LineRow {
    indicator: String,
    name: String,
    stratum: String,
    value: String,
    unit: String,
    floor: String,
    goal: String,
    hard_limit: String,
    achievement: String,
    heat: &'static str,
    points: String,
    sample: u64,
    ci: String,
    status: String,
    breached: bool,
}

fn line_row(g: &yardstick_core::guideline::Guideline, l: &LineResult, lang: Lang) -> LineRow {
    LineRow {
        indicator: l.indicator.clone(),
        name: indicator_name(g, &l.indicator, lang),
        stratum: l.stratum.clone(),
        value: opt(l.value, 2),
        unit: super::view::indicator_unit(g, &l.indicator),
        floor: opt(l.floor, 2),
        goal: opt(l.goal, 2),
        hard_limit: opt(l.hard_limit, 2),
        achievement: pct(l.achievement),
        heat: super::view::heat_class(l.achievement),
        points: opt(l.points, 1),
        sample: l.sample,
        ci: l.ci95.map_or_else(
            || "—".into(),
            |(a, b)| format!("{} – {}", num(a, 2), num(b, 2)),
        ),
        status: status_text(l.status, lang),
        breached: l.hard_limit_breached,
    }
}

/// `GET /sites/{id}`.
pub(crate) async fn site(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let ws = &state.workspace;
    let actor = reader.actor();
    let lang = reader.lang;
    let site = ws.site_in_scope(actor, &id).await?;
    let pp = page_period(ws, actor, q.period.as_deref()).await?;
    let g = ws.guideline_in_force(actor).await?.guideline;
    let ev = evaluation(ws, actor, &pp.period, Some(&id)).await?;
    let prev = previous_evaluation(ws, actor, &pp, Some(&id)).await;
    let r = ev.sites.iter().find(|s| s.site == id);
    let before = prev
        .as_ref()
        .and_then(|p| p.sites.iter().find(|s| s.site == id))
        .and_then(|s| s.total);
    // Weakest first: rated lines by achievement, then the lines without one.
    let mut lines: Vec<&LineResult> = r.map(|r| r.lines.iter().collect()).unwrap_or_default();
    lines.sort_by(|a, b| {
        a.achievement
            .unwrap_or(f64::INFINITY)
            .total_cmp(&b.achievement.unwrap_or(f64::INFINITY))
            .then_with(|| (&a.indicator, &a.stratum).cmp(&(&b.indicator, &b.stratum)))
    });
    let lines: Vec<LineRow> = lines.into_iter().map(|l| line_row(g, l, lang)).collect();
    let group = site.peer_group();
    let rank = r.and_then(|r| {
        r.rank.map(|k| {
            yardstick_core::t!(
                lang,
                "web.site.rank",
                rank = k,
                peers = r.peers,
                group = peer_group_label(&group, lang)
            )
        })
    });
    let facts = vec![
        Pair {
            k: text(lang, "web.site.id"),
            v: site.id.clone(),
        },
        Pair {
            k: text(lang, "web.site.scene"),
            v: scene_label(site.scene, lang),
        },
        Pair {
            k: text(lang, "web.site.area"),
            v: site.area.label(lang).to_string(),
        },
        Pair {
            k: text(lang, "web.site.tier"),
            v: text(lang, &format!("web.tier.{}", site.tier.as_str())),
        },
        Pair {
            k: text(lang, "web.site.peer_group"),
            v: peer_group_label(&group, lang),
        },
    ];
    reader.page(
        "site.html",
        "overview",
        context! {
            period => pp.period.label.clone(),
            choices => pp.choices,
            id => site.id.clone(),
            name => site_name(&site, lang),
            other_name => match lang { Lang::Zh => site.name.en.clone(), Lang::En => site.name.zh.clone() },
            facts => facts,
            total => r.and_then(|r| r.total).map(|t| num(t, 1)),
            level => level_name(g, r.and_then(|r| r.level), lang),
            coverage => r.map(|r| pct(Some(r.results_coverage))),
            not_rated => r.and_then(|r| not_rated_text(r, lang)),
            change => change(r.and_then(|r| r.total), before),
            previous => pp.previous.as_ref().map(|p| p.label.clone()),
            rank => rank,
            red_lines => r.map(|r| red_lines_in_words(g, r, lang)).unwrap_or_default(),
            lines => lines,
            period_q => url_encode(&pp.period.label),
        },
    )
}

/// The drill-down's query.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DrillQuery {
    period: Option<String>,
    cursor: Option<String>,
}

/// `GET /sites/{id}/indicators/{indicator}`.
pub(crate) async fn indicator(
    State(state): State<AppState>,
    reader: Reader,
    Path((id, ind)): Path<(String, String)>,
    Query(q): Query<DrillQuery>,
) -> Result<Response, WebError> {
    let ws = &state.workspace;
    let actor = reader.actor();
    let lang = reader.lang;
    let site = ws.site_in_scope(actor, &id).await?;
    let pp = page_period(ws, actor, q.period.as_deref()).await?;
    let gi = ws.guideline_in_force(actor).await?;
    let v = ws
        .site_indicator(actor, &id, &ind, &pp.period, &yardstick_app::Cancel::new())
        .await?;
    let def = &v.indicator;
    let mut definition = vec![
        Pair {
            k: text(lang, "web.drill.kind"),
            v: def.kind.as_str().to_string(),
        },
        Pair {
            k: text(lang, "web.drill.measure"),
            v: measure_text(&def.measure),
        },
    ];
    if let Some(f) = &def.filter {
        definition.push(Pair {
            k: text(lang, "web.drill.filter"),
            v: f.src.clone(),
        });
    }
    definition.extend([
        Pair {
            k: text(lang, "web.drill.unit"),
            v: def.unit.clone(),
        },
        Pair {
            k: text(lang, "web.drill.direction"),
            v: text(
                lang,
                match def.direction {
                    yardstick_core::guideline::Direction::HigherBetter => "web.drill.higher_better",
                    yardstick_core::guideline::Direction::LowerBetter => "web.drill.lower_better",
                },
            ),
        },
        Pair {
            k: text(lang, "web.drill.weight"),
            v: num(def.weight, 2),
        },
        Pair {
            k: text(lang, "web.drill.guideline"),
            v: format!(
                "{} {} ({})",
                gi.guideline.id,
                gi.guideline.version,
                gi.fingerprint.chars().take(12).collect::<String>()
            ),
        },
        Pair {
            k: text(lang, "web.drill.source"),
            v: text(
                lang,
                match v.status {
                    yardstick_app::published::Status::Frozen => "web.drill.frozen",
                    yardstick_app::published::Status::Provisional => "web.drill.provisional",
                },
            ),
        },
    ]);
    if let Some(note) = &def.note {
        definition.push(Pair {
            k: text(lang, "web.drill.note"),
            v: note.clone(),
        });
    }
    let g = &gi.guideline;
    let line = v.line.as_ref().map(|l| line_row(g, l, lang));
    let strata: Vec<LineRow> = v.strata.iter().map(|l| line_row(g, l, lang)).collect();
    let distribution: Vec<Pair> = v
        .distribution
        .as_ref()
        .map(|d| {
            [
                ("web.drill.population", Some(d.population as f64), 0),
                ("web.drill.values", Some(d.values as f64), 0),
                ("web.drill.mean", d.mean, 2),
                ("web.drill.p50", d.p50, 2),
                ("web.drill.p80", d.p80, 2),
                ("web.drill.p95", d.p95, 2),
                ("web.drill.min", d.min, 2),
                ("web.drill.max", d.max, 2),
            ]
            .into_iter()
            .filter(|(_, x, _)| x.is_some())
            .map(|(k, x, d)| Pair {
                k: text(lang, k),
                v: opt(x, d),
            })
            .collect()
        })
        .unwrap_or_default();
    let points: Vec<(String, Option<f64>)> = v
        .daily
        .iter()
        .map(|d| (d.day.to_string(), d.value))
        .collect();
    let daily: Vec<Pair> = v
        .daily
        .iter()
        .map(|d| Pair {
            k: d.day.to_string(),
            v: format!("{} (n = {})", opt(d.value, 2), d.sample),
        })
        .collect();
    let goal = v.line.as_ref().and_then(|l| l.goal);
    let chart = charts::line(
        &yardstick_core::t!(
            lang,
            "web.drill.trend_title",
            indicator = format!("{} {}", ind, def.name.get(lang))
        ),
        &text(lang, "web.drill.trend_desc"),
        &points,
        goal,
    );
    // The records behind the figure; a reader who may not read records sees why.
    let records = match ws
        .indicator_records(actor, &id, &ind, &pp.period, q.cursor.as_deref(), PAGE)
        .await
    {
        Ok(page) => Some(page),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let period_q = url_encode(&pp.period.label);
    let cursor_q = q.cursor.as_deref().map(url_encode).unwrap_or_default();
    let rows: Vec<Vec<String>> = records
        .as_ref()
        .map(|p| {
            p.rows
                .iter()
                .map(|r| r.iter().map(cell).collect())
                .collect()
        })
        .unwrap_or_default();
    reader.page(
        "indicator.html",
        "overview",
        context! {
            period => pp.period.label.clone(),
            choices => pp.choices,
            id => site.id.clone(),
            site_name => site_name(&site, lang),
            ind => ind.clone(),
            ind_name => def.name.get(lang).to_string(),
            definition => definition,
            line => line,
            strata => strata,
            distribution => distribution,
            chart => minijinja::Value::from_safe_string(chart),
            daily => daily,
            records_allowed => records.is_some(),
            fields => records.as_ref().map(|p| p.fields.clone()).unwrap_or_default(),
            rows => rows,
            population => records.as_ref().map_or(0, |p| p.population),
            next_cursor => records.as_ref().and_then(|p| p.next_cursor.clone()).map(|c| url_encode(&c)),
            cursor => cursor_q,
            paged => q.cursor.is_some(),
            period_q => period_q,
        },
    )
}

/// A value of a record as text.
fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The formula of a measure: its kind and its expressions as written.
fn measure_text(m: &yardstick_core::guideline::Measure) -> String {
    let Ok(serde_json::Value::Object(o)) = serde_json::to_value(m) else {
        return String::new();
    };
    let kind = o
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("")
        .to_string();
    let parts: Vec<String> = o
        .iter()
        .filter(|(k, _)| k.as_str() != "type")
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::Object(inner) => inner
                    .get("src")
                    .and_then(|s| s.as_str())
                    .map_or_else(|| v.to_string(), str::to_string),
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{k} = {v}")
        })
        .collect();
    if parts.is_empty() {
        kind
    } else {
        format!("{kind}: {}", parts.join("; "))
    }
}

/// `GET /sites/{id}/indicators/{indicator}/records.csv`: every record behind the figure.
pub(crate) async fn records_csv(
    State(state): State<AppState>,
    reader: Reader,
    Path((id, ind)): Path<(String, String)>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let ws = &state.workspace;
    let actor = reader.actor();
    let pp = page_period(ws, actor, q.period.as_deref()).await?;
    let internal = |e: &dyn std::fmt::Display| {
        WebError::from(yardstick_app::Error::internal("error.internal.csv").detail(e.to_string()))
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut cursor: Option<String> = None;
    let mut written = 0usize;
    loop {
        let page = ws
            .indicator_records(
                actor,
                &id,
                &ind,
                &pp.period,
                cursor.as_deref(),
                yardstick_app::indicator::MAX_PAGE,
            )
            .await?;
        if cursor.is_none() {
            w.write_record(&page.fields).map_err(|e| internal(&e))?;
        }
        for row in &page.rows {
            w.write_record(row.iter().map(cell))
                .map_err(|e| internal(&e))?;
        }
        written += page.rows.len();
        match page.next_cursor {
            Some(c) if written < CSV_MAX_ROWS => cursor = Some(c),
            _ => break,
        }
    }
    let bytes = w.into_inner().map_err(|e| internal(&e))?;
    let name = format!("{id}-{ind}-{}.csv", pp.period.label);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", name.replace('"', "")),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// One record's query: the page it is on and its place there.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RecordQuery {
    period: Option<String>,
    cursor: Option<String>,
    #[serde(default)]
    n: usize,
}

/// `GET /sites/{id}/indicators/{indicator}/record`: one record behind the figure.
pub(crate) async fn record(
    State(state): State<AppState>,
    reader: Reader,
    Path((id, ind)): Path<(String, String)>,
    Query(q): Query<RecordQuery>,
) -> Result<Response, WebError> {
    let ws = &state.workspace;
    let actor = reader.actor();
    let lang = reader.lang;
    let site = ws.site_in_scope(actor, &id).await?;
    let pp = page_period(ws, actor, q.period.as_deref()).await?;
    if q.n >= PAGE {
        return Err(ApiError::BadRequest(format!("n {}: 0–{}", q.n, PAGE - 1)).into());
    }
    let page = ws
        .indicator_records(actor, &id, &ind, &pp.period, q.cursor.as_deref(), q.n + 1)
        .await?;
    let row = page
        .rows
        .get(q.n)
        .ok_or_else(|| WebError::from(yardstick_app::Error::not_found("web.record.none")))?;
    let fields: Vec<Pair> = page
        .fields
        .iter()
        .zip(row)
        .map(|(k, v)| Pair {
            k: k.clone(),
            v: cell(v),
        })
        .collect();
    let g = ws.guideline_in_force(actor).await?.guideline;
    reader.page(
        "record.html",
        "overview",
        context! {
            period => pp.period.label.clone(),
            id => site.id.clone(),
            site_name => site_name(&site, lang),
            ind => ind.clone(),
            ind_name => indicator_name(g, &ind, lang),
            fields => fields,
            back => format!(
                "/sites/{}/indicators/{}?period={}{}",
                url_encode(&site.id),
                url_encode(&ind),
                url_encode(&pp.period.label),
                q.cursor.as_deref().map(|c| format!("&cursor={}", url_encode(c))).unwrap_or_default()
            ),
        },
    )
}
