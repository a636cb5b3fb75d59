//! Loading `[scoring]`: the points of the management and results halves, sample and
//! coverage minimums, scene weights, the levels from lowest to highest, and the red
//! lines that cap the level.

use std::collections::{BTreeMap, BTreeSet};

use super::{Cx, scene_names};
use crate::diag::bad_value;
use crate::guideline::model::{Indicator, Level, RedLine, RedLineRule, ScoringModel};
use crate::guideline::raw::{RawRedLine, RawScoring, S};
use crate::i18n::Msg;
use crate::vocab::Text;

impl Cx<'_> {
    pub(super) fn scoring(
        &mut self,
        s: &RawScoring,
        indicators: &[Indicator],
        declared: &BTreeSet<String>,
    ) -> Option<ScoringModel> {
        let management_points =
            self.positive(&s.management_points, "scoring.management_points", true);
        let results_points = self.positive(&s.results_points, "scoring.results_points", true);
        if management_points + results_points <= 0.0 {
            self.err(
                s.management_points.span(),
                "scoring",
                Msg::new("guideline_file.no_points"),
            );
        }
        let min_sample = if *s.min_sample.get_ref() < 0 {
            self.err(
                s.min_sample.span(),
                "scoring.min_sample",
                Msg::new("guideline_file.not_count"),
            );
            0
        } else {
            s.min_sample.get_ref().unsigned_abs()
        };
        let min_coverage = match &s.min_coverage {
            None => crate::guideline::model::DEFAULT_MIN_COVERAGE,
            Some(c) => {
                let v = *c.get_ref();
                if (0.0..=1.0).contains(&v) {
                    v
                } else {
                    self.err(
                        c.span(),
                        "scoring.min_coverage",
                        Msg::new("guideline_file.not_share").arg("found", v),
                    );
                    crate::guideline::model::DEFAULT_MIN_COVERAGE
                }
            }
        };
        let mut scene_weights = BTreeMap::new();
        for (k, w) in &s.scene_weights {
            let mut names = scene_names();
            names.push("cross");
            if !names.contains(&k.as_str()) {
                self.err(
                    w.span(),
                    format!("scoring.scene_weights.{k}"),
                    bad_value("file_check.what.scene", k, &names),
                );
            }
            scene_weights.insert(
                k.clone(),
                self.positive(w, &format!("scoring.scene_weights.{k}"), true),
            );
        }
        let levels = self.levels(s);
        let red_lines = self.red_lines(&s.red_line, &levels, indicators, declared);
        Some(ScoringModel {
            management_points,
            results_points,
            min_sample,
            min_coverage,
            scene_weights,
            levels,
            red_lines,
        })
    }

    fn levels(&mut self, s: &RawScoring) -> Vec<Level> {
        let mut out: Vec<Level> = Vec::new();
        if s.level.is_empty() {
            self.err(
                s.min_sample.span(),
                "scoring.level",
                Msg::new("guideline_file.no_level"),
            );
        }
        for (i, l) in s.level.iter().enumerate() {
            let l = l.get_ref();
            let path = format!("scoring.level[{i}] ({})", l.id.get_ref());
            let min = *l.min_score.get_ref();
            let prev = out.last().map_or(f64::NEG_INFINITY, |p| p.min_score);
            if !(min.is_finite() && min > prev) {
                self.err(
                    l.min_score.span(),
                    format!("{path}.min_score"),
                    Msg::new("guideline_file.level_order")
                        .arg("found", min)
                        .arg("previous", prev),
                );
            }
            if i == 0 && min != 0.0 {
                self.err(
                    l.min_score.span(),
                    format!("{path}.min_score"),
                    Msg::new("guideline_file.lowest_level"),
                );
            }
            let rank = u8::try_from(i + 1).unwrap_or(u8::MAX);
            out.push(Level {
                id: l.id.get_ref().clone(),
                rank,
                name: Text::new(&l.name_zh, &l.name_en),
                min_score: min,
            });
        }
        out
    }

    fn red_lines(
        &mut self,
        raw: &[S<RawRedLine>],
        levels: &[Level],
        indicators: &[Indicator],
        declared: &BTreeSet<String>,
    ) -> Vec<RedLine> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, r) in raw.iter().enumerate() {
            let r = r.get_ref();
            let path = format!("scoring.red_line[{i}] ({})", r.id.get_ref());
            self.unique(&mut seen, &r.id, &format!("{path}.id"));
            let cap = levels
                .iter()
                .find(|l| &l.id == r.cap.get_ref())
                .map(|l| l.rank);
            if cap.is_none() {
                let ids: Vec<_> = levels.iter().map(|l| l.id.as_str()).collect();
                self.err(
                    r.cap.span(),
                    format!("{path}.cap"),
                    bad_value("file_check.what.level", r.cap.get_ref(), &ids),
                );
            }
            let rule = match r.when.get_ref().as_str() {
                "hard_limit" => {
                    for ind in &r.indicators {
                        if !indicators.iter().any(|x| &x.id == ind.get_ref())
                            && !declared.contains(ind.get_ref())
                        {
                            self.err(
                                ind.span(),
                                format!("{path}.indicators"),
                                Msg::new("guideline_file.unknown_indicator")
                                    .arg("indicator", ind.get_ref()),
                            );
                        }
                    }
                    if r.indicators.is_empty() {
                        self.err(
                            r.when.span(),
                            format!("{path}.indicators"),
                            Msg::new("guideline_file.hard_limit_needs_indicators"),
                        );
                    }
                    Some(RedLineRule::HardLimit {
                        indicators: r.indicators.iter().map(|x| x.get_ref().clone()).collect(),
                    })
                }
                "veto" => Some(RedLineRule::Veto),
                other => {
                    self.err(
                        r.when.span(),
                        format!("{path}.when"),
                        bad_value(
                            "file_check.what.red_line_trigger",
                            other,
                            &["hard_limit", "veto"],
                        ),
                    );
                    None
                }
            };
            if let (Some(rule), Some(cap_rank)) = (rule, cap) {
                out.push(RedLine {
                    id: r.id.get_ref().clone(),
                    name: Text::new(&r.name_zh, &r.name_en),
                    rule,
                    cap_rank,
                });
            }
        }
        out
    }
}
