//! Rendering evaluations for the terminal: the ranked summary table and CSV.

use std::collections::BTreeMap;

use yardstick_app::Error;
use yardstick_core::evaluate::{Evaluation, SiteResult};
use yardstick_core::guideline::Guideline;
use yardstick_core::org::Organisation;
use yardstick_core::t;
use yardstick_core::vocab::Lang;

use crate::table::{num, render};

/// How many weak indicators the summary names per site.
const WEAKEST_SHOWN: usize = 3;

/// A share 0–1 as a whole percentage.
fn pct(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// A site's coverage: the share of each half's points that had evidence.
fn coverage(s: &SiteResult, lang: Lang) -> String {
    let m = if s.management.is_some() || s.management_coverage > 0.0 {
        pct(s.management_coverage)
    } else {
        "—".to_string()
    };
    t!(
        lang,
        "evaluate.coverage_cell",
        results = pct(s.results_coverage),
        management = m
    )
}

/// The level or why there is none.
fn level(s: &SiteResult, lang: Lang) -> String {
    match (s.level, &s.not_rated) {
        (Some(l), _) => format!("L{l}"),
        (None, Some(reason)) => t!(lang, "evaluate.not_rated", reason = reason.render(lang)),
        (None, None) => "—".to_string(),
    }
}

/// A readable summary: every site ranked by total (best first), with its level, rank
/// in its peer group, coverage, red lines and weakest indicators, then the level
/// distribution and the red lines hit.
#[must_use]
pub fn evaluation_summary(
    ev: &Evaluation,
    org: &Organisation,
    g: &Guideline,
    lang: Lang,
) -> String {
    let mut sites: Vec<&SiteResult> = ev.sites.iter().collect();
    sites.sort_by(|a, b| {
        b.total
            .unwrap_or(-1.0)
            .total_cmp(&a.total.unwrap_or(-1.0))
            .then(a.site.cmp(&b.site))
    });
    let rows: Vec<Vec<String>> = sites
        .iter()
        .map(|s| {
            let name = org
                .site(&s.site)
                .map_or(String::new(), |x| x.name.get(lang).to_string());
            let weakest: Vec<String> = s
                .weakest(WEAKEST_SHOWN)
                .iter()
                .map(|l| {
                    let n = g.indicator(&l.indicator).map_or(l.indicator.clone(), |i| {
                        format!("{} {}", i.id, i.name.get(lang))
                    });
                    format!("{n}={}", num(l.value, 1))
                })
                .collect();
            vec![
                s.site.clone(),
                name,
                s.scene.label(lang).to_string(),
                num(s.total, 0),
                num(s.management, 0),
                num(s.results, 0),
                level(s, lang),
                s.rank.map_or("—".into(), |r| format!("{r}/{}", s.peers)),
                coverage(s, lang),
                s.red_lines.join(","),
                weakest.join("; "),
            ]
        })
        .collect();
    let fp = ev
        .input_fingerprint
        .get(..12)
        .unwrap_or(&ev.input_fingerprint);
    let mut out = format!(
        "{}\n",
        t!(
            lang,
            "evaluate.title",
            period = &ev.period.label,
            scope = &ev.scope,
            fp = fp
        )
    );
    out.push_str(&render(
        &[
            t!(lang, "evaluate.col.site"),
            t!(lang, "evaluate.col.name"),
            t!(lang, "evaluate.col.scene"),
            t!(lang, "evaluate.col.total"),
            t!(lang, "evaluate.col.management"),
            t!(lang, "evaluate.col.results"),
            t!(lang, "evaluate.col.level"),
            t!(lang, "evaluate.col.rank"),
            t!(lang, "evaluate.col.coverage"),
            t!(lang, "evaluate.col.red_lines"),
            t!(lang, "evaluate.col.weakest"),
        ],
        &rows,
    ));
    let mut levels = BTreeMap::<String, usize>::new();
    let mut red = BTreeMap::<String, usize>::new();
    for s in &ev.sites {
        *levels
            .entry(s.level.map_or("—".into(), |l| format!("L{l}")))
            .or_default() += 1;
        for r in &s.red_lines {
            *red.entry(r.clone()).or_default() += 1;
        }
    }
    let join = |m: &BTreeMap<String, usize>| {
        m.iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    out.push_str(&format!(
        "{}\n",
        t!(lang, "evaluate.levels", levels = join(&levels))
    ));
    let red_text = red
        .iter()
        .map(|(id, n)| {
            let name = g
                .scoring
                .red_lines
                .iter()
                .find(|r| &r.id == id)
                .map_or(id.clone(), |r| format!("{id} {}", r.name.get(lang)));
            format!("{name}: {n}")
        })
        .collect::<Vec<_>>()
        .join("; ");
    out.push_str(&format!(
        "{}\n",
        t!(
            lang,
            "evaluate.red_line_sites",
            red_lines = if red_text.is_empty() {
                "—".to_string()
            } else {
                red_text
            }
        )
    ));
    out
}

/// One CSV line per site.
///
/// # Errors
/// When the CSV writer fails (it writes to memory).
pub fn evaluation_csv(ev: &Evaluation) -> Result<String, Error> {
    let fail =
        |e: &dyn std::fmt::Display| Error::internal("error.internal.csv").detail(e.to_string());
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record([
        "site",
        "scene",
        "peer_group",
        "total",
        "level",
        "rank",
        "peers",
        "percentile",
        "management",
        "results",
        "management_coverage",
        "results_coverage",
        "not_rated",
        "red_lines",
    ])
    .map_err(|e| fail(&e))?;
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:.1}"));
    for s in &ev.sites {
        w.write_record([
            s.site.clone(),
            s.scene.as_str().to_string(),
            s.peer_group.clone(),
            opt(s.total),
            s.level.map_or(String::new(), |l| format!("L{l}")),
            s.rank.map_or(String::new(), |r| r.to_string()),
            s.peers.to_string(),
            opt(s.percentile),
            opt(s.management),
            opt(s.results),
            format!("{:.3}", s.management_coverage),
            format!("{:.3}", s.results_coverage),
            s.not_rated
                .as_ref()
                .map_or(String::new(), |r| r.render(Lang::En)),
            s.red_lines.join(";"),
        ])
        .map_err(|e| fail(&e))?;
    }
    let bytes = w.into_inner().map_err(|e| fail(&e))?;
    String::from_utf8(bytes).map_err(|e| fail(&e))
}
