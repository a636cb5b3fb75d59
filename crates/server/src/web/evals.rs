//! Frozen evaluations: `GET /evaluations` (those the reader sees part of, newest
//! first), `GET /evaluations/{id}` (provenance — guideline version and fingerprint,
//! input fingerprint, organisation version, batch watermark, who froze it and when — and
//! the sites' results the reader sees), `POST /evaluations/{id}/verify` (recompute from
//! the stored inputs and compare, shown on the detail page).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};
use yardstick_app::Cancel;
use yardstick_app::evaluate::Verification;

use super::format::num;
use super::view::level_name;
use super::{Pair, Reader, WebError, text};
use crate::AppState;

#[derive(Debug, Serialize)]
struct EvalRow {
    id: i64,
    period: String,
    scope: String,
    frozen_by: String,
    created_at: String,
    engine: String,
}

/// `GET /evaluations`.
pub(crate) async fn list(
    State(state): State<AppState>,
    reader: Reader,
) -> Result<Response, WebError> {
    let mut all = state.workspace.evaluations_for(reader.actor()).await?;
    all.sort_by_key(|e| std::cmp::Reverse(e.id));
    let rows: Vec<EvalRow> = all
        .into_iter()
        .map(|e| EvalRow {
            id: e.id,
            period: e.period,
            scope: e.scope,
            frozen_by: e.frozen_by.unwrap_or_else(|| "—".into()),
            created_at: e.created_at,
            engine: e.engine,
        })
        .collect();
    reader.page("evaluations.html", "evaluations", context! { rows => rows })
}

#[derive(Debug, Serialize)]
struct SiteRow {
    id: String,
    total: String,
    level: String,
    rank: String,
    red_lines: usize,
}

async fn detail_page(
    state: &AppState,
    reader: &Reader,
    id: i64,
    verification: Option<Verification>,
) -> Result<Response, WebError> {
    let ws = &state.workspace;
    let actor = reader.actor();
    let lang = reader.lang;
    let view = ws.evaluation_for(actor, id).await?;
    let info = ws
        .evaluations_for(actor)
        .await?
        .into_iter()
        .find(|e| e.id == id);
    let g = ws.guideline_in_force(actor).await?.guideline;
    let ev = &view.evaluation;
    let mut provenance = vec![
        Pair {
            k: text(lang, "web.eval.period"),
            v: ev.period.label.clone(),
        },
        Pair {
            k: text(lang, "web.eval.scope"),
            v: ev.scope.clone(),
        },
        Pair {
            k: text(lang, "web.eval.guideline"),
            v: format!("{} {}", ev.guideline_id, ev.guideline_version),
        },
        Pair {
            k: text(lang, "web.eval.guideline_fp"),
            v: ev.guideline_fingerprint.clone(),
        },
        Pair {
            k: text(lang, "web.eval.input_fp"),
            v: ev.input_fingerprint.clone(),
        },
    ];
    if let Some(i) = &info {
        provenance.extend([
            Pair {
                k: text(lang, "web.eval.org_fp"),
                v: i.org_fingerprint.clone().unwrap_or_else(|| "—".into()),
            },
            Pair {
                k: text(lang, "web.eval.watermark"),
                v: i.batch_watermark
                    .map_or_else(|| "—".into(), |w| w.to_string()),
            },
            Pair {
                k: text(lang, "web.eval.frozen_by"),
                v: i.frozen_by.clone().unwrap_or_else(|| "—".into()),
            },
            Pair {
                k: text(lang, "web.eval.frozen_at"),
                v: i.created_at.clone(),
            },
            Pair {
                k: text(lang, "web.eval.engine"),
                v: i.engine.clone(),
            },
        ]);
    }
    let mut sites: Vec<SiteRow> = ev
        .sites
        .iter()
        .map(|s| SiteRow {
            id: s.site.clone(),
            total: s.total.map_or_else(|| "—".into(), |t| num(t, 1)),
            level: level_name(g, s.level, lang),
            rank: s
                .rank
                .map_or_else(|| "—".into(), |r| format!("{r}/{}", s.peers)),
            red_lines: s.red_lines.len(),
        })
        .collect();
    sites.sort_by(|a, b| a.id.cmp(&b.id));
    let verified = verification.map(|v| {
        context! {
            equal => v.equal,
            frozen => v.frozen_input_fingerprint,
            recomputed => v.recomputed_input_fingerprint,
            difference => v.first_difference,
        }
    });
    reader.page(
        "evaluation.html",
        "evaluations",
        context! {
            id => id,
            period => ev.period.label.clone(),
            provenance => provenance,
            sites => sites,
            verified => verified,
        },
    )
}

/// `GET /evaluations/{id}`.
pub(crate) async fn detail(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    detail_page(&state, &reader, id, None).await
}

/// The verify form.
#[derive(Debug, Deserialize)]
pub(crate) struct VerifyForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /evaluations/{id}/verify`: recomputes and compares; the detail page says how
/// it went.
pub(crate) async fn verify(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<i64>,
    Form(f): Form<VerifyForm>,
) -> Result<Response, WebError> {
    reader.check_csrf(&f.csrf)?;
    let v = state
        .workspace
        .verify_evaluation(reader.actor(), id, &Cancel::new())
        .await?;
    detail_page(&state, &reader, id, Some(v)).await
}
