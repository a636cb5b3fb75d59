//! `GET /overview`: the organisation in the reader's scope for a period — the tree with
//! each node's and site's total, level, coverage or why it is not rated, red lines and
//! change against the period before; the level distribution; the sites that moved most;
//! a heat map of sites × indicators coloured by achievement, filtered by scene and
//! sorted by a column. `GET /search?q=`: sites by id, name or pinyin initials.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State};
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};
use yardstick_core::evaluate::SiteResult;
use yardstick_core::org::Node;
use yardstick_core::vocab::{Lang, Scene};

use super::format::{change, num, pct, url_encode};
use super::view::{
    evaluation, heat_class, level_name, not_rated_text, page_period, previous_evaluation,
    red_lines_in_words, scene_label, site_name,
};
use super::{Reader, WebError, charts, pinyin, text};
use crate::AppState;

/// The overview's query.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OverviewQuery {
    period: Option<String>,
    scene: Option<String>,
    area: Option<String>,
    tier: Option<String>,
    city: Option<String>,
    sort: Option<String>,
    page: Option<usize>,
}

/// Above this many sites, the tree lists nodes only, each city a link to its sites: a
/// provincial or national reader's page stays a few hundred rows.
const TREE_SITES: usize = 200;
/// Rows of the heat map per page.
const HEAT_PAGE: usize = 100;

/// A row of the tree: a node or a site, indented by depth.
#[derive(Debug, Serialize)]
struct TreeRow {
    site: bool,
    id: String,
    name: String,
    depth: usize,
    what: String,
    total: String,
    level: String,
    coverage: String,
    not_rated: Option<String>,
    red_lines: Vec<String>,
    change: String,
    rank: String,
    /// A city whose sites are not listed here: its name links to them.
    city_link: bool,
}

/// A row of the heat map.
#[derive(Debug, Serialize)]
struct HeatRow {
    id: String,
    name: String,
    total: String,
    cells: Vec<HeatCell>,
}

#[derive(Debug, Serialize)]
struct HeatCell {
    indicator: String,
    text: String,
    class: &'static str,
    /// The site has a line for the indicator (rated or not): the cell links to it.
    link: bool,
}

#[derive(Debug, Serialize)]
struct Column {
    id: String,
    name: String,
    sorted: bool,
}

#[derive(Debug, Serialize)]
struct Mover {
    id: String,
    name: String,
    total: String,
    change: String,
}

/// `GET /overview`.
pub(crate) async fn overview(
    State(state): State<AppState>,
    reader: Reader,
    Query(q): Query<OverviewQuery>,
) -> Result<Response, WebError> {
    let ws = &state.workspace;
    let actor = reader.actor();
    let lang = reader.lang;
    let pp = page_period(ws, actor, q.period.as_deref()).await?;
    let org = ws.org_in_scope(actor).await?;
    let g = ws.guideline_in_force(actor).await?.guideline;
    let ev = evaluation(ws, actor, &pp.period, None).await?;
    let prev = previous_evaluation(ws, actor, &pp, None).await;

    let site_res: HashMap<&str, &SiteResult> =
        ev.sites.iter().map(|s| (s.site.as_str(), s)).collect();
    let prev_site: HashMap<&str, Option<f64>> = prev
        .as_ref()
        .map(|p| p.sites.iter().map(|s| (s.site.as_str(), s.total)).collect())
        .unwrap_or_default();
    let node_res: HashMap<&str, _> = ev.nodes.iter().map(|n| (n.node.as_str(), n)).collect();
    let prev_node: HashMap<&str, Option<f64>> = prev
        .as_ref()
        .map(|p| p.nodes.iter().map(|n| (n.node.as_str(), n.total)).collect())
        .unwrap_or_default();

    // The tree: nodes whose parent the reader does not see are roots; sites hang under
    // their city, or are roots when the reader sees no node above them.
    let node_ids: std::collections::HashSet<&str> =
        org.nodes.iter().map(|n| n.id.as_str()).collect();
    let mut children: BTreeMap<&str, Vec<&Node>> = BTreeMap::new();
    let mut roots: Vec<&Node> = Vec::new();
    for n in &org.nodes {
        match n.parent.as_deref() {
            Some(p) if node_ids.contains(p) => children.entry(p).or_default().push(n),
            _ => roots.push(n),
        }
    }
    let mut sites_of: BTreeMap<&str, Vec<&yardstick_core::org::Site>> = BTreeMap::new();
    let mut root_sites = Vec::new();
    for s in &org.sites {
        if node_ids.contains(s.parent.as_str()) {
            sites_of.entry(s.parent.as_str()).or_default().push(s);
        } else {
            root_sites.push(s);
        }
    }
    let site_row = |s: &yardstick_core::org::Site, depth: usize| -> TreeRow {
        let r = site_res.get(s.id.as_str());
        let total = r.and_then(|r| r.total);
        TreeRow {
            site: true,
            id: s.id.clone(),
            name: site_name(s, lang),
            depth,
            what: scene_label(s.scene, lang),
            total: total.map_or_else(|| "—".into(), |t| num(t, 1)),
            level: level_name(g, r.and_then(|r| r.level), lang),
            coverage: r.map_or_else(|| "—".into(), |r| pct(Some(r.results_coverage))),
            not_rated: r.and_then(|r| not_rated_text(r, lang)),
            red_lines: r
                .map(|r| red_lines_in_words(g, r, lang))
                .unwrap_or_default(),
            change: change(total, prev_site.get(s.id.as_str()).copied().flatten()),
            rank: r
                .and_then(|r| r.rank.map(|k| format!("{k}/{}", r.peers)))
                .unwrap_or_else(|| "—".into()),
            city_link: false,
        }
    };
    let city = q.city.as_deref().filter(|c| !c.is_empty());
    let list_all_sites = org.sites.len() <= TREE_SITES;
    let mut rows = Vec::new();
    let mut stack: Vec<(&Node, usize)> = roots.iter().rev().map(|n| (*n, 0)).collect();
    while let Some((n, depth)) = stack.pop() {
        let r = node_res.get(n.id.as_str());
        let total = r.and_then(|r| r.total);
        rows.push(TreeRow {
            site: false,
            id: n.id.clone(),
            name: {
                let s = n.name.get(lang);
                if s.is_empty() {
                    n.name.zh.clone()
                } else {
                    s.to_string()
                }
            },
            depth,
            what: text(lang, &format!("web.node_level.{}", node_level(n))),
            total: total.map_or_else(|| "—".into(), |t| num(t, 1)),
            level: level_name(g, r.and_then(|r| r.level), lang),
            coverage: r.map_or_else(
                || "—".into(),
                |r| {
                    yardstick_core::t!(
                        lang,
                        "web.overview.rated_of",
                        rated = r.rated_sites,
                        sites = r.sites
                    )
                },
            ),
            not_rated: None,
            red_lines: r
                .filter(|r| r.sites_with_red_lines > 0)
                .map(|r| {
                    vec![yardstick_core::t!(
                        lang,
                        "web.overview.sites_with_red_lines",
                        sites = r.sites_with_red_lines
                    )]
                })
                .unwrap_or_default(),
            change: change(total, prev_node.get(n.id.as_str()).copied().flatten()),
            rank: String::new(),
            city_link: !list_all_sites
                && city != Some(n.id.as_str())
                && sites_of.contains_key(n.id.as_str()),
        });
        if list_all_sites || city == Some(n.id.as_str()) {
            for s in sites_of.get(n.id.as_str()).into_iter().flatten() {
                rows.push(site_row(s, depth + 1));
            }
        }
        for c in children.get(n.id.as_str()).into_iter().flatten().rev() {
            stack.push((c, depth + 1));
        }
    }
    for s in root_sites {
        rows.push(site_row(s, 0));
    }

    // Level distribution over the sites the reader sees.
    let mut by_level: BTreeMap<u8, u64> = BTreeMap::new();
    let (mut not_rated, mut no_data) = (0u64, 0u64);
    for s in &org.sites {
        match site_res.get(s.id.as_str()) {
            Some(r) if r.level.is_some() => {
                *by_level.entry(r.level.unwrap_or(0)).or_default() += 1;
            }
            Some(r) if r.not_rated.is_some() => not_rated += 1,
            _ => no_data += 1,
        }
    }
    let mut dist: Vec<(String, u64)> = g
        .scoring
        .levels
        .iter()
        .map(|l| {
            (
                level_name(g, Some(l.rank), lang),
                by_level.get(&l.rank).copied().unwrap_or(0),
            )
        })
        .collect();
    dist.push((text(lang, "web.overview.not_rated"), not_rated));
    if no_data > 0 {
        dist.push((text(lang, "web.overview.no_data"), no_data));
    }
    let dist_chart = charts::bars(
        &text(lang, "web.overview.levels"),
        &dist
            .iter()
            .map(|(l, c)| format!("{l}: {c}"))
            .collect::<Vec<_>>()
            .join("; "),
        &dist,
    );

    // The sites that moved most against the period before.
    let mut movers: Vec<(f64, Mover)> = org
        .sites
        .iter()
        .filter_map(|s| {
            let now = site_res.get(s.id.as_str())?.total?;
            let before = (*prev_site.get(s.id.as_str())?)?;
            Some((
                now - before,
                Mover {
                    id: s.id.clone(),
                    name: site_name(s, lang),
                    total: num(now, 1),
                    change: change(Some(now), Some(before)),
                },
            ))
        })
        .collect();
    movers.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    let movers: Vec<Mover> = movers.into_iter().take(5).map(|m| m.1).collect();

    // The heat map.
    let scene = q.scene.as_deref().and_then(Scene::parse);
    let area = q.area.as_deref().filter(|a| !a.is_empty());
    let tier = q.tier.as_deref().filter(|t| !t.is_empty());
    let mut heat_sites: Vec<&yardstick_core::org::Site> = org
        .sites
        .iter()
        .filter(|s| scene.is_none_or(|sc| s.scene == sc))
        .filter(|s| area.is_none_or(|a| s.area.as_str() == a))
        .filter(|s| tier.is_none_or(|t| s.tier.as_str() == t))
        .filter(|s| city.is_none_or(|c| s.parent == c))
        .collect();
    // The filters' choices: what the reader's sites have.
    let mut areas: Vec<(String, String)> = Vec::new();
    let mut tiers: Vec<(String, String)> = Vec::new();
    for s in &org.sites {
        let a = (s.area.as_str().to_string(), s.area.label(lang).to_string());
        if !areas.contains(&a) {
            areas.push(a);
        }
        let t = (
            s.tier.as_str().to_string(),
            text(lang, &format!("web.tier.{}", s.tier.as_str())),
        );
        if !tiers.contains(&t) {
            tiers.push(t);
        }
    }
    let cities: Vec<(String, String)> = org
        .nodes
        .iter()
        .filter(|n| org.sites.iter().any(|s| s.parent == n.id))
        .map(|n| {
            let name = n.name.get(lang);
            (
                n.id.clone(),
                if name.is_empty() {
                    n.name.zh.clone()
                } else {
                    name.to_string()
                },
            )
        })
        .collect();
    let sort = q.sort.clone().unwrap_or_else(|| "total".into());
    let present: std::collections::HashSet<&str> = heat_sites
        .iter()
        .filter_map(|s| site_res.get(s.id.as_str()))
        .flat_map(|r| r.lines.iter().map(|l| l.indicator.as_str()))
        .collect();
    let columns: Vec<Column> = g
        .indicators
        .iter()
        .filter(|i| present.contains(i.id.as_str()))
        .filter(|i| scene.is_none_or(|sc| i.scenes.contains(&sc)))
        .map(|i| Column {
            id: i.id.clone(),
            name: i.name.get(lang).to_string(),
            sorted: sort == i.id,
        })
        .collect();
    let line_of = |site: &str, ind: &str| {
        site_res.get(site).and_then(|r| {
            r.lines
                .iter()
                .find(|l| l.indicator == ind && l.stratum.is_empty())
        })
    };
    let achievement = |site: &str, ind: &str| line_of(site, ind).and_then(|l| l.achievement);
    let total_of = |id: &str| site_res.get(id).and_then(|r| r.total);
    match sort.as_str() {
        "id" => heat_sites.sort_by(|a, b| a.id.cmp(&b.id)),
        "name" => heat_sites.sort_by_cached_key(|s| site_name(s, lang)),
        // Keys are worked out once per site, not at every comparison.
        "total" => {
            // Best first; sites without a total last.
            let mut keyed: Vec<(f64, &yardstick_core::org::Site)> = heat_sites
                .iter()
                .map(|s| (total_of(&s.id).unwrap_or(f64::NEG_INFINITY), *s))
                .collect();
            keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
            heat_sites = keyed.into_iter().map(|(_, s)| s).collect();
        }
        ind => {
            // Weakest first on the indicator; sites without it last.
            let mut keyed: Vec<(f64, &yardstick_core::org::Site)> = heat_sites
                .iter()
                .map(|s| (achievement(&s.id, ind).unwrap_or(f64::INFINITY), *s))
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
            heat_sites = keyed.into_iter().map(|(_, s)| s).collect();
        }
    }
    // One page of the sorted sites.
    let heat_total = heat_sites.len();
    let pages = heat_total.div_ceil(HEAT_PAGE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let from = (page - 1) * HEAT_PAGE;
    let heat: Vec<HeatRow> = heat_sites
        .iter()
        .skip(from)
        .take(HEAT_PAGE)
        .map(|s| HeatRow {
            id: s.id.clone(),
            name: site_name(s, lang),
            total: total_of(&s.id).map_or_else(|| "—".into(), |t| num(t, 1)),
            cells: columns
                .iter()
                .map(|c| {
                    let a = achievement(&s.id, &c.id);
                    HeatCell {
                        indicator: c.id.clone(),
                        text: pct(a),
                        class: heat_class(a),
                        link: line_of(&s.id, &c.id).is_some(),
                    }
                })
                .collect(),
        })
        .collect();
    let heat_range = yardstick_core::t!(
        lang,
        "web.overview.heat_page",
        from = (from + 1).min(heat_total),
        to = (from + heat.len()).min(heat_total),
        total = heat_total
    );
    let scenes: Vec<(String, String)> = Scene::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), s.label(lang).to_string()))
        .collect();
    let base_q = format!(
        "period={}&scene={}&area={}&tier={}&city={}",
        url_encode(&pp.period.label),
        url_encode(q.scene.as_deref().unwrap_or("")),
        url_encode(area.unwrap_or("")),
        url_encode(tier.unwrap_or("")),
        url_encode(city.unwrap_or(""))
    );
    reader.page(
        "overview.html",
        "overview",
        context! {
            period => pp.period.label.clone(),
            previous => pp.previous.as_ref().map(|p| p.label.clone()),
            choices => pp.choices,
            rows => rows,
            dist => dist,
            dist_chart => minijinja::Value::from_safe_string(dist_chart),
            movers => movers,
            columns => columns,
            heat => heat,
            heat_range => heat_range,
            page => page,
            pages => pages,
            sites_hidden => (!list_all_sites && city.is_none()).then_some(org.sites.len()),
            scene => q.scene.clone().unwrap_or_default(),
            scenes => scenes,
            area => area.unwrap_or(""),
            areas => areas,
            tier => tier.unwrap_or(""),
            tiers => tiers,
            city => city.unwrap_or(""),
            cities => cities,
            sort => sort,
            base_q => base_q,
        },
    )
}

fn node_level(n: &Node) -> String {
    match serde_json::to_value(n.level) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "node".into(),
    }
}

/// The search's query.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Debug, Serialize)]
struct Found {
    id: String,
    name_zh: String,
    name_en: String,
    scene: String,
}

/// `GET /search?q=`: the reader's sites whose id, name or pinyin initials match.
pub(crate) async fn search(
    State(state): State<AppState>,
    reader: Reader,
    Query(q): Query<SearchQuery>,
) -> Result<Response, WebError> {
    let org = state.workspace.org_in_scope(reader.actor()).await?;
    let lang: Lang = reader.lang;
    let found: Vec<Found> = org
        .sites
        .iter()
        .filter(|s| pinyin::site_matches(&s.id, &s.name.zh, &s.name.en, &q.q))
        .map(|s| Found {
            id: s.id.clone(),
            name_zh: s.name.zh.clone(),
            name_en: s.name.en.clone(),
            scene: scene_label(s.scene, lang),
        })
        .collect();
    reader.page(
        "search.html",
        "search",
        context! { q => q.q.clone(), found => found },
    )
}
