//! Loading dimensions, clauses and their checklist items: ids unique, weights positive,
//! every clause under a known dimension, every item's scenes among its clause's, and
//! each item's scoring method.

use std::collections::BTreeSet;

use super::Cx;
use crate::diag::bad_value;
use crate::guideline::model::{Clause, Dimension, Item, ItemMethod};
use crate::guideline::raw::{RawClause, RawDimension, RawItem, S};
use crate::i18n::Msg;
use crate::vocab::{Scene, Text};

impl Cx<'_> {
    pub(super) fn dimensions(&mut self, raw: &[(usize, S<RawDimension>)]) -> Vec<Dimension> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, d) in raw {
            let d = d.get_ref();
            let path = format!("dimension[{i}] ({})", d.id.get_ref());
            self.unique(&mut seen, &d.id, &format!("{path}.id"));
            let weight = self.positive(&d.weight, &format!("{path}.weight"), false);
            out.push(Dimension {
                id: d.id.get_ref().clone(),
                name: Text::new(&d.name_zh, &d.name_en),
                group: d.group.clone(),
                weight,
            });
        }
        out
    }

    pub(super) fn clauses(
        &mut self,
        raw: &[(usize, S<RawClause>)],
        dims: &[Dimension],
    ) -> Vec<Clause> {
        let mut seen = BTreeSet::new();
        let mut seen_items = BTreeSet::new();
        let mut out = Vec::new();
        for (i, c) in raw {
            let c = c.get_ref();
            let path = format!("clause[{i}] ({})", c.id.get_ref());
            self.unique(&mut seen, &c.id, &format!("{path}.id"));
            if !dims.iter().any(|d| &d.id == c.dimension.get_ref()) {
                let ids: Vec<_> = dims.iter().map(|d| d.id.as_str()).collect();
                self.err(
                    c.dimension.span(),
                    format!("{path}.dimension"),
                    bad_value("file_check.what.dimension", c.dimension.get_ref(), &ids),
                );
            }
            let scenes = self.scenes(c.scenes.get_ref(), &format!("{path}.scenes"));
            if c.scenes.get_ref().is_empty() {
                self.err(
                    c.scenes.span(),
                    format!("{path}.scenes"),
                    Msg::new("guideline_file.no_scene"),
                );
            }
            let weight = self.positive(&c.weight, &format!("{path}.weight"), false);
            let items = c
                .item
                .iter()
                .enumerate()
                .map(|(j, it)| {
                    self.item(
                        it.get_ref(),
                        &format!("{path}.item[{j}]"),
                        &scenes,
                        &mut seen_items,
                    )
                })
                .collect();
            out.push(Clause {
                id: c.id.get_ref().clone(),
                dimension: c.dimension.get_ref().clone(),
                scenes,
                title: Text::new(&c.title_zh, &c.title_en),
                requirement: Text::new(&c.requirement_zh, &c.requirement_en),
                weight,
                items,
            });
        }
        out
    }

    fn item(
        &mut self,
        it: &RawItem,
        path: &str,
        clause_scenes: &[Scene],
        seen: &mut BTreeSet<String>,
    ) -> Item {
        let path = format!("{path} ({})", it.id.get_ref());
        self.unique(seen, &it.id, &format!("{path}.id"));
        let scenes = match &it.scenes {
            Some(list) => {
                let s = self.scenes(list, &format!("{path}.scenes"));
                for (sc, raw) in s.iter().zip(list) {
                    if !clause_scenes.contains(sc) {
                        self.err(
                            raw.span(),
                            format!("{path}.scenes"),
                            Msg::new("guideline_file.item_scene").arg("scene", sc.as_str()),
                        );
                    }
                }
                s
            }
            None => clause_scenes.to_vec(),
        };
        let weight = self.positive(&it.weight, &format!("{path}.weight"), false);
        let method = match (it.method.get_ref().as_str(), &it.max_points) {
            ("pass_fail", None) => ItemMethod::PassFail,
            ("scale_0_4", None) => ItemMethod::Scale0To4,
            ("points", Some(max)) => ItemMethod::Points {
                max: self.positive(max, &format!("{path}.max_points"), false),
            },
            ("points", None) => {
                self.err(
                    it.method.span(),
                    format!("{path}.max_points"),
                    Msg::new("guideline_file.points_need_max"),
                );
                ItemMethod::PassFail
            }
            ("pass_fail" | "scale_0_4", Some(m)) => {
                self.err(
                    m.span(),
                    format!("{path}.max_points"),
                    Msg::new("guideline_file.max_points_only"),
                );
                ItemMethod::PassFail
            }
            (other, _) => {
                self.err(
                    it.method.span(),
                    format!("{path}.method"),
                    bad_value(
                        "file_check.what.method",
                        other,
                        &["pass_fail", "scale_0_4", "points"],
                    ),
                );
                ItemMethod::PassFail
            }
        };
        Item {
            id: it.id.get_ref().clone(),
            scenes,
            text: Text::new(&it.text_zh, &it.text_en),
            weight,
            method,
            na_allowed: it.na_allowed,
            veto: it.veto,
        }
    }
}
