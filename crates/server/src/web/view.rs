//! What several pages share: the period a page shows (asked, else the newest frozen
//! evaluation's, else the last full month), and the words for levels, scenes, areas,
//! tiers, peer groups, line statuses and red lines in the reader's language.

use std::sync::Arc;

use chrono::Utc;
use yardstick_app::{Actor, Cancel, Workspace};
use yardstick_core::evaluate::{Evaluation, LineResult, LineStatus, SiteResult};
use yardstick_core::guideline::{Guideline, RedLineRule};
use yardstick_core::org::Site;
use yardstick_core::period::Period;
use yardstick_core::vocab::{AreaClass, Lang, Scene};

use super::format::{num, period_choices, previous_period};
use super::{WebError, text};

/// The period of a page and the picker's choices.
#[derive(Debug, Clone)]
pub(crate) struct PagePeriod {
    /// The period shown.
    pub period: Period,
    /// The period before it, when it has one.
    pub previous: Option<Period>,
    /// The picker's choices (the period shown among them).
    pub choices: Vec<String>,
}

/// The period a page shows: `asked`, else the newest frozen evaluation the reader sees,
/// else the last full month.
///
/// # Errors
/// An input error for a period that does not parse.
pub(crate) async fn page_period(
    ws: &Workspace,
    actor: &Actor,
    asked: Option<&str>,
) -> Result<PagePeriod, WebError> {
    let today = Utc::now().date_naive();
    let latest = ws
        .evaluations_for(actor)
        .await?
        .into_iter()
        .max_by_key(|e| e.id)
        .map(|e| e.period);
    let label = match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(a) => a.to_string(),
        None => latest
            .clone()
            .unwrap_or_else(|| Period::last_full_month(today).label),
    };
    let period = crate::api::period(&label)?;
    let previous = previous_period(&period.label).and_then(|p| Period::parse(&p).ok());
    let mut choices = period_choices(today.max(period.to));
    if !choices.contains(&period.label) {
        choices.insert(0, period.label.clone());
    }
    Ok(PagePeriod {
        period,
        previous,
        choices,
    })
}

/// The evaluation of a period for the reader (frozen or computed), under `scope`.
///
/// # Errors
/// As `evaluation_of_period`.
pub(crate) async fn evaluation(
    ws: &Workspace,
    actor: &Actor,
    period: &Period,
    scope: Option<&str>,
) -> Result<Arc<Evaluation>, WebError> {
    Ok(ws
        .evaluation_of_period_shared(actor, period, scope, &Cancel::new())
        .await?
        .evaluation)
}

/// The evaluation of the period before, when it can be had (a failure there only
/// leaves the change column empty).
pub(crate) async fn previous_evaluation(
    ws: &Workspace,
    actor: &Actor,
    p: &PagePeriod,
    scope: Option<&str>,
) -> Option<Arc<Evaluation>> {
    let prev = p.previous.as_ref()?;
    ws.evaluation_of_period_shared(actor, prev, scope, &Cancel::new())
        .await
        .ok()
        .map(|v| v.evaluation)
}

/// A level's name (`L3 规范级`), from the guideline.
pub(crate) fn level_name(g: &Guideline, rank: Option<u8>, lang: Lang) -> String {
    match rank {
        None => "—".into(),
        Some(r) => g.scoring.levels.iter().find(|l| l.rank == r).map_or_else(
            || format!("L{r}"),
            |l| format!("{} {}", l.id, l.name.get(lang)),
        ),
    }
}

/// A scene's label.
pub(crate) fn scene_label(s: Scene, lang: Lang) -> String {
    s.label(lang).to_string()
}

/// The words of a peer group: `hall/standard/urban` → "营业厅 · 标准 · 城镇".
pub(crate) fn peer_group_label(group: &str, lang: Lang) -> String {
    group
        .split('/')
        .map(|part| {
            if let Some(s) = Scene::parse(part) {
                s.label(lang).to_string()
            } else if let Some(a) = AreaClass::ALL.into_iter().find(|a| a.as_str() == part) {
                a.label(lang).to_string()
            } else if matches!(part, "flagship" | "standard" | "small") {
                text(lang, &format!("web.tier.{part}"))
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A site's name in the reader's language (the Chinese one when it has no English).
pub(crate) fn site_name(s: &Site, lang: Lang) -> String {
    let n = s.name.get(lang);
    if n.is_empty() {
        s.name.zh.clone()
    } else {
        n.to_string()
    }
}

/// An indicator's name.
pub(crate) fn indicator_name(g: &Guideline, id: &str, lang: Lang) -> String {
    g.indicator(id)
        .map_or_else(|| id.to_string(), |i| i.name.get(lang).to_string())
}

/// The unit of an indicator.
pub(crate) fn indicator_unit(g: &Guideline, id: &str) -> String {
    g.indicator(id).map(|i| i.unit.clone()).unwrap_or_default()
}

/// The words of a line status.
pub(crate) fn status_text(s: LineStatus, lang: Lang) -> String {
    let key = match s {
        LineStatus::Rated => "web.status.rated",
        LineStatus::NoData => "web.status.no_data",
        LineStatus::BelowMinSample => "web.status.below_min_sample",
        LineStatus::NoTarget => "web.status.no_target",
        LineStatus::Unweighted => "web.status.unweighted",
        LineStatus::NoUsers => "web.status.no_users",
    };
    text(lang, key)
}

/// The CSS class of an achievement in the heat map: five bands, `na` without one.
pub(crate) fn heat_class(a: Option<f64>) -> &'static str {
    match a {
        None => "na",
        Some(x) if x < 0.2 => "h0",
        Some(x) if x < 0.4 => "h1",
        Some(x) if x < 0.6 => "h2",
        Some(x) if x < 0.8 => "h3",
        Some(_) => "h4",
    }
}

/// The red lines a site hit, in words: which rule, and for a hard limit which
/// indicator was how far past it.
pub(crate) fn red_lines_in_words(g: &Guideline, s: &SiteResult, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    for id in &s.red_lines {
        let Some(rl) = g.scoring.red_lines.iter().find(|r| &r.id == id) else {
            out.push(id.clone());
            continue;
        };
        let name = rl.name.get(lang);
        let cap = format!("L{}", rl.cap_rank);
        match &rl.rule {
            RedLineRule::HardLimit { indicators } => {
                let breached: Vec<&LineResult> = s
                    .lines
                    .iter()
                    .filter(|l| l.hard_limit_breached && indicators.contains(&l.indicator))
                    .collect();
                if breached.is_empty() {
                    out.push(yardstick_core::t!(
                        lang,
                        "web.red_line.plain",
                        name = name,
                        cap = cap
                    ));
                }
                for l in breached {
                    let unit = indicator_unit(g, &l.indicator);
                    out.push(yardstick_core::t!(
                        lang,
                        "web.red_line.hard_limit",
                        name = name,
                        indicator =
                            format!("{} {}", l.indicator, indicator_name(g, &l.indicator, lang)),
                        value = format!(
                            "{} {unit}",
                            l.value.map_or_else(|| "—".into(), |v| num(v, 2))
                        ),
                        limit = format!(
                            "{} {unit}",
                            l.hard_limit.map_or_else(|| "—".into(), |v| num(v, 2))
                        ),
                        cap = cap
                    ));
                }
            }
            RedLineRule::Veto => {
                out.push(yardstick_core::t!(
                    lang,
                    "web.red_line.plain",
                    name = name,
                    cap = cap
                ));
            }
        }
    }
    out
}

/// The reason a site has no total, in words, when it has one.
pub(crate) fn not_rated_text(s: &SiteResult, lang: Lang) -> Option<String> {
    s.not_rated.as_ref().map(|r| r.render(lang))
}
