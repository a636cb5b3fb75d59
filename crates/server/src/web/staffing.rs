//! `GET /plan/staffing`: the staffing calculator — a queue's inputs in a form, the fewest
//! agents that meet the service target (Erlang C, or Erlang A with a mean patience) and
//! how they perform, and the service level against the number of agents around that
//! answer as a chart with its data. The same use case as `yardstick plan staffing` and
//! `POST /api/v1/plan/staffing`; computation only, for every signed-in reader.

use axum::extract::Query;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};
use yardstick_app::plan::{StaffingPlan, StaffingProblem, plan_staffing};
use yardstick_core::queueing::Shrinkage;
use yardstick_core::vocab::Lang;

use super::format::{num, pct};
use super::{Pair, Reader, WebError, charts, text};

/// The form's fields as typed (an empty field is not given).
#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct StaffingParams {
    #[serde(default)]
    arrivals_per_h: String,
    #[serde(default)]
    aht_s: String,
    #[serde(default)]
    answer_within_s: String,
    #[serde(default)]
    sl_target: String,
    #[serde(default)]
    shrinkage: String,
    #[serde(default)]
    patience_s: String,
}

/// Agents shown on each side of the answer in the service-level curve.
const AROUND: u32 = 5;

/// A number field: `None` when empty; an error in the reader's words when not a number.
fn number(lang: Lang, label: &str, v: &str) -> Result<Option<f64>, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<f64>().map(Some).map_err(|_| {
        yardstick_core::t!(lang, "web.staffing.not_a_number", field = label, value = v)
    })
}

/// The problem the form states, or what is wrong with it.
fn problem(lang: Lang, f: &StaffingParams) -> Result<StaffingProblem, String> {
    let label = |key: &str| text(lang, key);
    let shrinkage = match f.shrinkage.trim() {
        "" => None,
        s => Some(
            s.parse::<Shrinkage>()
                .map_err(|e| format!("{}: {}", label("web.staffing.shrinkage"), e.message(lang)))?,
        ),
    };
    Ok(StaffingProblem {
        arrivals_per_h: number(lang, &label("web.staffing.arrivals"), &f.arrivals_per_h)?,
        aht_s: number(lang, &label("web.staffing.aht"), &f.aht_s)?,
        answer_within_s: number(lang, &label("web.staffing.within"), &f.answer_within_s)?,
        sl_target: number(lang, &label("web.staffing.sl_target"), &f.sl_target)?,
        shrinkage,
        patience_s: number(lang, &label("web.staffing.patience"), &f.patience_s)?,
        ..StaffingProblem::default()
    })
}

/// The answer's lines, in the words of `yardstick plan staffing`.
fn lines(lang: Lang, p: &StaffingPlan) -> Vec<Pair> {
    let t = num(p.asked.answer_within_s, 0);
    let mut out = vec![
        Pair {
            k: text(lang, "plan.staffing.model"),
            v: p.asked.patience_s.map_or_else(
                || "Erlang C".to_string(),
                |s| yardstick_core::t!(lang, "plan.staffing.erlang_a", patience = num(s, 0)),
            ),
        },
        Pair {
            k: text(lang, "plan.staffing.traffic"),
            v: num(p.traffic_erlangs, 2),
        },
        Pair {
            k: text(lang, "plan.staffing.agents_needed"),
            v: p.agents.to_string(),
        },
        Pair {
            k: yardstick_core::t!(
                lang,
                "plan.staffing.scheduled",
                shrinkage = p.asked.shrinkage
            ),
            v: p.agents_scheduled.to_string(),
        },
        Pair {
            k: text(lang, "plan.staffing.p_wait"),
            v: pct(Some(p.p_wait)),
        },
        Pair {
            k: yardstick_core::t!(lang, "plan.staffing.service_level", t = t.clone()),
            v: pct(Some(p.service_level)),
        },
        Pair {
            k: text(lang, "plan.staffing.asa"),
            v: p.asa_s.map_or_else(
                || text(lang, "plan.staffing.unstable"),
                |s| format!("{} s", num(s, 1)),
            ),
        },
        Pair {
            k: text(lang, "plan.staffing.occupancy"),
            v: pct(Some(p.occupancy)),
        },
    ];
    if let Some(a) = p.p_abandon {
        out.push(Pair {
            k: text(lang, "plan.staffing.p_abandon"),
            v: pct(Some(a)),
        });
    }
    out
}

/// `GET /plan/staffing`.
pub(crate) async fn staffing(
    reader: Reader,
    Query(f): Query<StaffingParams>,
) -> Result<Response, WebError> {
    let lang = reader.lang;
    let asked = !(f.arrivals_per_h.trim().is_empty() && f.aht_s.trim().is_empty());
    let mut error = None;
    let mut result: Vec<Pair> = Vec::new();
    let mut curve: Vec<(u32, String)> = Vec::new();
    let mut chart = String::new();
    if asked {
        match problem(lang, &f).and_then(|p| {
            plan_staffing(&p)
                .map(|plan| (p, plan))
                .map_err(|e| e.render(lang))
        }) {
            Err(e) => error = Some(e),
            Ok((p, plan)) => {
                result = lines(lang, &plan);
                // The service level with fewer and more agents than the answer.
                let from = plan.agents.saturating_sub(AROUND).max(1);
                let mut points = Vec::new();
                for n in from..=plan.agents + AROUND {
                    let at = StaffingProblem {
                        agents: Some(n),
                        ..p
                    };
                    let sl = plan_staffing(&at).ok().map(|q| q.service_level);
                    points.push((n.to_string(), sl.map(|s| s * 100.0)));
                    curve.push((n, pct(sl)));
                }
                let target = p.sl_target.unwrap_or(0.8) * 100.0;
                chart = charts::line(
                    &text(lang, "web.staffing.curve"),
                    &curve
                        .iter()
                        .map(|(n, sl)| format!("{n}: {sl}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                    &points,
                    Some(target),
                );
            }
        }
    }
    reader.page(
        "staffing.html",
        "staffing",
        context! {
            form => f,
            asked => asked,
            error => error,
            result => result,
            curve => curve,
            chart => minijinja::Value::from_safe_string(chart),
        },
    )
}
