//! Loading `[planning]`: which indicators and options set the targets of site plans
//! (queue rules for halls and call centres, time limits for field centres), each
//! checked against its scene's record kind and its role, and the defaults.

use std::collections::{BTreeMap, BTreeSet};

use toml::Spanned;
use toml::de::DeValue;

use super::Cx;
use super::indicators::is_ratio_like;
use crate::diag::bad_value;
use crate::guideline::model::{
    Direction, FieldRule, Indicator, OptionValue, Planning, PlanningDefaults, QueueRule, TimeUnit,
};
use crate::guideline::raw::{RawFieldRule, RawPlanning, RawPlanningDefaults, RawQueueRule, S};
use crate::i18n::Msg;
use crate::vocab::{AreaClass, Scene};

impl Cx<'_> {
    /// Reads `[planning]` sub-table by sub-table, reporting unknown keys.
    pub(super) fn raw_planning(&mut self, value: &Spanned<DeValue<'_>>) -> RawPlanning {
        let mut raw = RawPlanning::default();
        let DeValue::Table(table) = value.get_ref() else {
            self.err(
                value.span(),
                "planning",
                Msg::new("guideline_file.planning_not_table"),
            );
            return raw;
        };
        for (key, v) in table {
            let name = key.get_ref().as_ref();
            let path = format!("planning.{name}");
            match name {
                "hall" => raw.hall = self.de(v.clone(), &path),
                "call_centre" => raw.call_centre = self.de(v.clone(), &path),
                "field_centre" => raw.field_centre = self.de(v.clone(), &path),
                "defaults" => raw.defaults = self.de(v.clone(), &path),
                _ => self.err(
                    key.span(),
                    path,
                    bad_value(
                        "file_check.what.planning_table",
                        name,
                        &["hall", "call_centre", "field_centre", "defaults"],
                    ),
                ),
            }
        }
        raw
    }

    /// Validates `[planning]`: every indicator it names exists, is computed from the
    /// scene's record kind and has the shape its role needs; every option it names
    /// exists and is a number > 0; the defaults are in range.
    pub(super) fn planning(
        &mut self,
        raw: &RawPlanning,
        indicators: &[Indicator],
        declared: &BTreeSet<String>,
    ) -> Planning {
        let queue = |cx: &mut Self, rule: &Option<RawQueueRule>, scene: Scene| {
            rule.as_ref()
                .map(|r| cx.queue_rule(r, scene, indicators, declared))
        };
        let hall = queue(self, &raw.hall, Scene::Hall);
        let call_centre = queue(self, &raw.call_centre, Scene::CallCentre);
        let field_centre = raw
            .field_centre
            .as_ref()
            .map(|r| self.field_rule(r, indicators, declared));
        let defaults = match &raw.defaults {
            Some(d) => self.planning_defaults(d),
            None => PlanningDefaults::BUILT_IN,
        };
        Planning {
            hall,
            call_centre,
            field_centre,
            defaults,
        }
    }

    fn queue_rule(
        &mut self,
        r: &RawQueueRule,
        scene: Scene,
        indicators: &[Indicator],
        declared: &BTreeSet<String>,
    ) -> QueueRule {
        let path = format!("planning.{}", scene.as_str());
        let sl = self.plan_indicator(
            &r.service_level,
            &format!("{path}.service_level"),
            scene,
            Role::ServiceLevel,
            indicators,
            declared,
        );
        if let Some(ind) = sl {
            self.plan_option(
                ind,
                &r.threshold_option,
                &format!("{path}.threshold_option"),
            );
        }
        let unit = self.time_unit(&r.threshold_unit, &format!("{path}.threshold_unit"));
        if let Some(a) = &r.abandonment {
            self.plan_indicator(
                a,
                &format!("{path}.abandonment"),
                scene,
                Role::Abandonment,
                indicators,
                declared,
            );
        }
        QueueRule {
            service_level: r.service_level.get_ref().clone(),
            threshold_option: r.threshold_option.get_ref().clone(),
            threshold_unit: unit,
            abandonment: r.abandonment.as_ref().map(|a| a.get_ref().clone()),
        }
    }

    fn field_rule(
        &mut self,
        r: &RawFieldRule,
        indicators: &[Indicator],
        declared: &BTreeSet<String>,
    ) -> FieldRule {
        let path = "planning.field_centre";
        let ind = self.plan_indicator(
            &r.time_limit,
            &format!("{path}.time_limit"),
            Scene::FieldCentre,
            Role::TimeLimit,
            indicators,
            declared,
        );
        let unit = self.time_unit(&r.limit_unit, &format!("{path}.limit_unit"));
        if r.limit_options.get_ref().is_empty() {
            self.err(
                r.limit_options.span(),
                format!("{path}.limit_options"),
                Msg::new("guideline_file.no_area_class"),
            );
        }
        let mut limit_options = BTreeMap::new();
        for (class, option) in r.limit_options.get_ref() {
            let option_path = format!("{path}.limit_options.{}", class.get_ref());
            let Some(area) = AreaClass::parse(class.get_ref()) else {
                let names: Vec<&str> = AreaClass::ALL.iter().map(|a| a.as_str()).collect();
                self.err(
                    class.span(),
                    option_path,
                    bad_value("file_check.what.area_class", class.get_ref(), &names),
                );
                continue;
            };
            if let Some(ind) = ind {
                self.plan_option(ind, option, &option_path);
            }
            limit_options.insert(area, option.get_ref().clone());
        }
        FieldRule {
            time_limit: r.time_limit.get_ref().clone(),
            limit_unit: unit,
            limit_options,
        }
    }

    fn planning_defaults(&mut self, d: &RawPlanningDefaults) -> PlanningDefaults {
        let built_in = PlanningDefaults::BUILT_IN;
        let path = "planning.defaults";
        let service_level = d
            .service_level
            .as_ref()
            .map_or(built_in.service_level, |v| {
                let x = *v.get_ref();
                if !(x > 0.0 && x < 1.0) {
                    self.err(
                        v.span(),
                        format!("{path}.service_level"),
                        Msg::new("guideline_file.not_fraction").arg("found", x),
                    );
                }
                x
            });
        let answer_within_s = d
            .answer_within_s
            .as_ref()
            .map_or(built_in.answer_within_s, |v| {
                self.positive(v, &format!("{path}.answer_within_s"), false)
            });
        let limit_h = d.limit_h.as_ref().map_or(built_in.limit_h, |v| {
            self.positive(v, &format!("{path}.limit_h"), false)
        });
        PlanningDefaults {
            service_level,
            answer_within_s,
            limit_h,
        }
    }

    /// The indicator a planning rule names, when it exists and fits its role; `None`
    /// (with an error, unless the indicator has errors of its own) otherwise.
    fn plan_indicator<'i>(
        &mut self,
        id: &S<String>,
        path: &str,
        scene: Scene,
        role: Role,
        indicators: &'i [Indicator],
        declared: &BTreeSet<String>,
    ) -> Option<&'i Indicator> {
        let Some(ind) = indicators.iter().find(|x| &x.id == id.get_ref()) else {
            if !declared.contains(id.get_ref()) {
                self.err(
                    id.span(),
                    path,
                    Msg::new("guideline_file.unknown_indicator").arg("indicator", id.get_ref()),
                );
            }
            return None;
        };
        let kind = Planning::record_kind(scene);
        if ind.kind != kind {
            self.err(
                id.span(),
                path,
                Msg::new("guideline_file.plan_kind")
                    .arg("indicator", &ind.id)
                    .arg("kind", ind.kind.as_str())
                    .arg("scene", scene.as_str())
                    .arg("want", kind.as_str()),
            );
            return None;
        }
        let want = match role {
            Role::ServiceLevel => Some((
                Direction::HigherBetter,
                "guideline_file.plan_not_service_level",
            )),
            Role::Abandonment => Some((
                Direction::LowerBetter,
                "guideline_file.plan_not_abandonment",
            )),
            Role::TimeLimit => None,
        };
        if let Some((direction, key)) = want
            && !(is_ratio_like(&ind.measure) && ind.direction == direction)
        {
            self.err(id.span(), path, Msg::new(key).arg("indicator", &ind.id));
            return None;
        }
        Some(ind)
    }

    /// Checks that `ind` has a numeric option `name` > 0.
    fn plan_option(&mut self, ind: &Indicator, name: &S<String>, path: &str) {
        let name_text = name.get_ref();
        match ind.options.get(name_text) {
            None => {
                let known: Vec<&str> = ind.options.keys().map(String::as_str).collect();
                let msg = if known.is_empty() {
                    Msg::new("guideline_file.no_option_none")
                } else {
                    Msg::new("guideline_file.no_option").arg("options", known.join(", "))
                };
                self.err(
                    name.span(),
                    path,
                    msg.arg("indicator", &ind.id).arg("option", name_text),
                );
            }
            Some(OptionValue::Num(n)) if n.is_finite() && *n > 0.0 => {}
            Some(other) => {
                let msg = match other {
                    OptionValue::Num(n) => {
                        Msg::new("guideline_file.option_not_positive").arg("found", n)
                    }
                    OptionValue::Str(s) => Msg::new("guideline_file.option_not_positive_text")
                        .arg("found", format!("{s:?}")),
                    OptionValue::Bool(b) => {
                        Msg::new("guideline_file.option_not_positive_flag").arg("found", b)
                    }
                };
                self.err(
                    name.span(),
                    path,
                    msg.arg("option", name_text).arg("indicator", &ind.id),
                );
            }
        }
    }

    fn time_unit(&mut self, s: &S<String>, path: &str) -> TimeUnit {
        let mut ok = true;
        self.choice(
            Some(s),
            path,
            "file_check.what.time_unit",
            &TimeUnit::ALL,
            TimeUnit::as_str,
            &mut ok,
        )
        .unwrap_or(TimeUnit::S)
    }
}

/// What a `[planning]` rule uses an indicator for.
#[derive(Debug, Clone, Copy)]
enum Role {
    /// Its target is the service-level target.
    ServiceLevel,
    /// Its target caps the abandonment rate.
    Abandonment,
    /// Its options hold the completion time limits.
    TimeLimit,
}
