//! Loading targets: each names a known indicator, selects sites and records by scene,
//! area class, tier, customer class or service, and sets a goal better than its floor
//! (and a hard limit not better than the floor).

use std::collections::BTreeSet;

use super::{Cx, scene_names};
use crate::diag::bad_value;
use crate::guideline::model::{Direction, Indicator, Selector, Target};
use crate::guideline::raw::{RawTarget, S};
use crate::i18n::Msg;
use crate::records::CUSTOMER_CLASSES;
use crate::vocab::{AreaClass, Scene, Tier};

impl Cx<'_> {
    pub(super) fn targets(
        &mut self,
        raw: &[(usize, S<RawTarget>)],
        indicators: &[Indicator],
        declared: &BTreeSet<String>,
    ) -> Vec<Target> {
        let mut out: Vec<Target> = Vec::new();
        for (i, t) in raw {
            let span = t.span();
            let t = t.get_ref();
            let path = format!("target[{i}] ({})", t.indicator.get_ref());
            let Some(ind) = indicators.iter().find(|x| &x.id == t.indicator.get_ref()) else {
                if declared.contains(t.indicator.get_ref()) {
                    continue;
                }
                self.err(
                    t.indicator.span(),
                    format!("{path}.indicator"),
                    Msg::new("guideline_file.unknown_indicator")
                        .arg("indicator", t.indicator.get_ref()),
                );
                continue;
            };
            let Some(selector) = self.selector(t, ind, &path) else {
                continue;
            };
            if out
                .iter()
                .any(|o| o.indicator == ind.id && o.selector == selector)
            {
                self.err(span, path.clone(), Msg::new("guideline_file.same_selector"));
            }
            let floor = *t.floor.get_ref();
            let goal = *t.goal.get_ref();
            let better = |a: f64, b: f64| match ind.direction {
                Direction::HigherBetter => a > b,
                Direction::LowerBetter => a < b,
            };
            if !floor.is_finite() || !goal.is_finite() || !better(goal, floor) {
                let key = match ind.direction {
                    Direction::HigherBetter => "guideline_file.goal_above_floor",
                    Direction::LowerBetter => "guideline_file.goal_below_floor",
                };
                self.err(
                    t.goal.span(),
                    format!("{path}.goal"),
                    Msg::new(key).arg("floor", floor).arg("goal", goal),
                );
            }
            if let Some(h) = &t.hard_limit
                && !h.get_ref().is_finite()
            {
                self.err(
                    h.span(),
                    format!("{path}.hard_limit"),
                    Msg::new("guideline_file.not_finite").arg("found", h.get_ref()),
                );
            }
            if let Some(h) = &t.hard_limit
                && better(*h.get_ref(), floor)
            {
                self.err(
                    h.span(),
                    format!("{path}.hard_limit"),
                    Msg::new("guideline_file.hard_limit_better")
                        .arg("limit", h.get_ref())
                        .arg("floor", floor),
                );
            }
            out.push(Target {
                indicator: ind.id.clone(),
                selector,
                floor,
                goal,
                hard_limit: t.hard_limit.as_ref().map(|h| *h.get_ref()),
                note: t.note.clone(),
            });
        }
        out
    }

    fn selector(&mut self, t: &RawTarget, ind: &Indicator, path: &str) -> Option<Selector> {
        let mut ok = true;
        let scene = t.scene.as_ref().and_then(|s| {
            let v = Scene::parse(s.get_ref());
            match v {
                None => self.err(
                    s.span(),
                    format!("{path}.scene"),
                    bad_value("file_check.what.scene", s.get_ref(), &scene_names()),
                ),
                Some(sc) if !ind.scenes.contains(&sc) => {
                    self.err(
                        s.span(),
                        format!("{path}.scene"),
                        Msg::new("guideline_file.target_scene")
                            .arg("indicator", &ind.id)
                            .arg("scene", sc.as_str()),
                    );
                }
                Some(_) => {}
            }
            ok &= v.is_some();
            v
        });
        let area = self.choice(
            t.area.as_ref(),
            &format!("{path}.area"),
            "file_check.what.area_class",
            &AreaClass::ALL,
            |a| a.as_str(),
            &mut ok,
        );
        let tier = self.choice(
            t.tier.as_ref(),
            &format!("{path}.tier"),
            "file_check.what.tier",
            &Tier::ALL,
            |x| x.as_str(),
            &mut ok,
        );
        if let Some(c) = &t.customer_class
            && !CUSTOMER_CLASSES.contains(&c.get_ref().as_str())
        {
            self.err(
                c.span(),
                format!("{path}.customer_class"),
                bad_value(
                    "file_check.what.customer_class",
                    c.get_ref(),
                    CUSTOMER_CLASSES,
                ),
            );
            ok = false;
        }
        for (name, field) in [
            ("customer_class", &t.customer_class),
            ("service", &t.service),
        ] {
            if let Some(f) = field
                && ind.kind.field(name).is_none()
                && !(name == "service" && ind.kind.field("service_type").is_some())
            {
                self.err(
                    f.span(),
                    format!("{path}.{name}"),
                    Msg::new("guideline_file.no_select_field")
                        .arg("kind", ind.kind.as_str())
                        .arg("field", name),
                );
                ok = false;
            }
        }
        ok.then(|| Selector {
            scene,
            area,
            tier,
            customer_class: t.customer_class.as_ref().map(|c| c.get_ref().clone()),
            service: t.service.as_ref().map(|c| c.get_ref().clone()),
        })
    }
}
