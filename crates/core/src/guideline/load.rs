//! Loading a guideline: TOML text → validated [`Guideline`], or every error found.
//!
//! Errors are located (line, column, key path) and say what was expected. All entries
//! are checked even after an error, so one run reports every mistake; nothing is
//! half-loaded: the result is either a complete guideline or the list of errors.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::model::{
    Clause, Compiled, Dimension, Direction, FieldRule, Guideline, Indicator, Item, ItemMethod,
    Level, Measure, OptionValue, Planning, PlanningDefaults, QueueRule, RedLine, RedLineRule,
    ScoringModel, Selector, ServiceLevelSpec, Target, TimeUnit,
};
use super::raw::{
    RawClause, RawDimension, RawFieldRule, RawHeader, RawIndicator, RawItem, RawMeasure,
    RawPlanning, RawPlanningDefaults, RawQueueRule, RawRedLine, RawScoring, RawTarget, S,
};
use crate::diag::{Collector, LoadError, bad_value};
use crate::expr::{self, Type, Value};
use crate::measure::SlVariant;
use crate::records::{CUSTOMER_CLASSES, RecordKind};
use crate::vocab::{AreaClass, Scene, Text, Tier};

#[path = "load_rules.rs"]
mod rules;

/// Parses and validates a guideline. `file` only labels the messages.
///
/// # Errors
/// Returns every problem found, located, when the text is not a valid guideline.
pub fn load(file: &str, src: &str) -> Result<Guideline, LoadError> {
    let mut cx = Cx {
        src,
        out: Collector::new(src),
        unparsed_ids: BTreeSet::new(),
    };
    let guideline = cx.load();
    cx.out.finish(file, guideline)
}

/// Validation context: the source (for line numbers) and the errors collected so far.
struct Cx<'s> {
    src: &'s str,
    out: Collector<'s>,
    /// Ids of entries that could not even be deserialised (their errors are reported).
    unparsed_ids: BTreeSet<String>,
}

/// Known top-level keys.
const TOP_KEYS: &[&str] = &[
    "guideline",
    "scoring",
    "dimension",
    "clause",
    "indicator",
    "target",
    "planning",
    "audits",
    "pdca",
];

impl Cx<'_> {
    fn err(&mut self, span: Range<usize>, path: impl Into<String>, message: impl Into<String>) {
        self.out.err(span, path, message);
    }

    fn load(&mut self) -> Option<Guideline> {
        let doc = match DeTable::parse(self.src) {
            Ok(d) => d,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                self.err(span, "(file)", format!("not valid TOML: {}", e.message()));
                return None;
            }
        };
        let doc = doc.into_inner();
        for (key, _) in &doc {
            if !TOP_KEYS.contains(&key.get_ref().as_ref()) {
                self.err(
                    key.span(),
                    key.get_ref().to_string(),
                    format!(
                        "unknown top-level key; expected one of: {}",
                        TOP_KEYS.join(", ")
                    ),
                );
            }
        }
        let header: Option<RawHeader> = self.one(&doc, "guideline");
        let scoring: Option<RawScoring> = self.one(&doc, "scoring");
        let dims: Vec<(usize, S<RawDimension>)> = self.many(&doc, "dimension");
        let clauses: Vec<(usize, S<RawClause>)> = self.many(&doc, "clause");
        let indicators: Vec<(usize, S<RawIndicator>)> = self.many(&doc, "indicator");
        let targets: Vec<(usize, S<RawTarget>)> = self.many(&doc, "target");
        // `[planning]` is optional: without it plans follow `Planning::built_in`.
        let planning = doc.get("planning").map(|v| self.raw_planning(v));

        let dimensions = self.dimensions(&dims);
        let clauses = self.clauses(&clauses, &dimensions);
        // Ids of every indicator entry, valid or not: references to an indicator that has
        // its own errors are not reported again.
        let mut declared: BTreeSet<String> = indicators
            .iter()
            .map(|(_, i)| i.get_ref().id.get_ref().clone())
            .collect();
        declared.extend(self.unparsed_ids.iter().cloned());
        let indicators = self.indicators(&indicators, &clauses);
        let targets = self.targets(&targets, &indicators, &declared);
        let scoring = scoring.and_then(|s| self.scoring(&s, &indicators, &declared));
        let planning = planning.map(|p| self.planning(&p, &indicators, &declared));
        // `[audits]` and `[pdca]` are optional: without them the built-in rules apply.
        let audits = doc.get("audits").and_then(|v| self.audits(v));
        let pdca = doc.get("pdca").and_then(|v| self.pdca(v, &clauses));
        let header = header?;
        self.nonempty(&header.id, "guideline.id");
        self.nonempty(&header.version, "guideline.version");
        Some(Guideline {
            id: header.id.into_inner(),
            version: header.version.into_inner(),
            name: Text::new(header.name_zh, header.name_en),
            source: header.source,
            dimensions,
            clauses,
            indicators,
            targets,
            scoring: scoring?,
            planning,
            audits,
            pdca,
        })
    }

    /// Deserialises one required table.
    fn one<T: for<'de> Deserialize<'de>>(&mut self, doc: &DeTable<'_>, key: &str) -> Option<T> {
        let Some(value) = doc.get(key) else {
            self.err(0..0, key, format!("missing required table [{key}]"));
            return None;
        };
        self.de(value.clone(), key)
    }

    /// Deserialises every element of an array of tables, each on its own.
    fn many<T: for<'de> Deserialize<'de>>(
        &mut self,
        doc: &DeTable<'_>,
        key: &str,
    ) -> Vec<(usize, S<T>)> {
        let Some(value) = doc.get(key) else {
            self.err(0..0, key, format!("missing required array [[{key}]]"));
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.err(
                value.span(),
                key,
                format!("expected an array of tables [[{key}]]"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let span = item.span();
            if let Some(v) = self.de::<T>(item.clone(), &format!("{key}[{i}]")) {
                out.push((i, Spanned::new(span, v)));
            } else if let Some(id) = item
                .get_ref()
                .as_table()
                .and_then(|t| t.get("id"))
                .and_then(|v| v.get_ref().as_str())
            {
                self.unparsed_ids.insert(id.to_string());
            }
        }
        out
    }

    fn de<T: for<'de> Deserialize<'de>>(
        &mut self,
        value: Spanned<DeValue<'_>>,
        path: &str,
    ) -> Option<T> {
        let span = value.span();
        match T::deserialize(ValueDeserializer::from(value)) {
            Ok(v) => Some(v),
            Err(e) => {
                let at = e.span().unwrap_or(span);
                self.err(at, path, e.message().trim().to_string());
                None
            }
        }
    }

    /// One of a closed list of values named by `name`, or an error listing them all
    /// (and `ok` cleared). Absent stays absent.
    fn choice<T: Copy>(
        &mut self,
        s: Option<&S<String>>,
        path: &str,
        what: &str,
        all: &[T],
        name: fn(T) -> &'static str,
        ok: &mut bool,
    ) -> Option<T> {
        let s = s?;
        let found = all
            .iter()
            .copied()
            .find(|v| name(*v) == s.get_ref().as_str());
        if found.is_none() {
            let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
            self.err(s.span(), path, bad_value(what, s.get_ref(), &names));
            *ok = false;
        }
        found
    }

    fn nonempty(&mut self, s: &S<String>, path: &str) {
        if s.get_ref().trim().is_empty() {
            self.err(s.span(), path, "must not be empty");
        }
    }

    fn positive(&mut self, x: &S<f64>, path: &str, allow_zero: bool) -> f64 {
        let v = *x.get_ref();
        let ok = v.is_finite() && (v > 0.0 || (allow_zero && v == 0.0));
        if !ok {
            let want = if allow_zero {
                "a finite number ≥ 0"
            } else {
                "a finite number > 0"
            };
            self.err(x.span(), path, format!("expected {want}, found {v}"));
        }
        v
    }

    fn unique(&mut self, seen: &mut BTreeSet<String>, id: &S<String>, path: &str) {
        self.nonempty(id, path);
        if !seen.insert(id.get_ref().clone()) {
            self.err(id.span(), path, format!("duplicate id `{}`", id.get_ref()));
        }
    }

    fn scenes(&mut self, list: &[S<String>], path: &str) -> Vec<Scene> {
        let mut out = Vec::new();
        for s in list {
            match Scene::parse(s.get_ref()) {
                Some(sc) if !out.contains(&sc) => out.push(sc),
                Some(_) => self.err(
                    s.span(),
                    path,
                    format!("scene `{}` listed twice", s.get_ref()),
                ),
                None => self.err(
                    s.span(),
                    path,
                    bad_value("scene", s.get_ref(), &scene_names()),
                ),
            }
        }
        out
    }

    fn dimensions(&mut self, raw: &[(usize, S<RawDimension>)]) -> Vec<Dimension> {
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

    fn clauses(&mut self, raw: &[(usize, S<RawClause>)], dims: &[Dimension]) -> Vec<Clause> {
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
                    bad_value("dimension", c.dimension.get_ref(), &ids),
                );
            }
            let scenes = self.scenes(c.scenes.get_ref(), &format!("{path}.scenes"));
            if c.scenes.get_ref().is_empty() {
                self.err(
                    c.scenes.span(),
                    format!("{path}.scenes"),
                    "expected at least one scene",
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
                            format!("scene `{}` is not one of its clause's scenes", sc.as_str()),
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
                    "method `points` needs `max_points`",
                );
                ItemMethod::PassFail
            }
            ("pass_fail" | "scale_0_4", Some(m)) => {
                self.err(
                    m.span(),
                    format!("{path}.max_points"),
                    "`max_points` is only for method `points`",
                );
                ItemMethod::PassFail
            }
            (other, _) => {
                self.err(
                    it.method.span(),
                    format!("{path}.method"),
                    bad_value("method", other, &["pass_fail", "scale_0_4", "points"]),
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

    fn indicators(
        &mut self,
        raw: &[(usize, S<RawIndicator>)],
        clauses: &[Clause],
    ) -> Vec<Indicator> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, ind) in raw {
            let ind = ind.get_ref();
            let path = format!("indicator[{i}] ({})", ind.id.get_ref());
            self.unique(&mut seen, &ind.id, &format!("{path}.id"));
            if let Some(x) = self.indicator(ind, &path, clauses) {
                out.push(x);
            }
        }
        out
    }

    fn indicator(
        &mut self,
        ind: &RawIndicator,
        path: &str,
        clauses: &[Clause],
    ) -> Option<Indicator> {
        let scenes = self.scenes(ind.scenes.get_ref(), &format!("{path}.scenes"));
        if ind.scenes.get_ref().is_empty() {
            self.err(
                ind.scenes.span(),
                format!("{path}.scenes"),
                "expected at least one scene",
            );
        }
        let kind = RecordKind::parse(ind.kind.get_ref());
        if kind.is_none() {
            let kinds: Vec<_> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
            self.err(
                ind.kind.span(),
                format!("{path}.kind"),
                bad_value("record kind", ind.kind.get_ref(), &kinds),
            );
        }
        let direction = match ind.direction.get_ref().as_str() {
            "higher_better" => Some(Direction::HigherBetter),
            "lower_better" => Some(Direction::LowerBetter),
            other => {
                self.err(
                    ind.direction.span(),
                    format!("{path}.direction"),
                    bad_value("direction", other, &["higher_better", "lower_better"]),
                );
                None
            }
        };
        if let Some(c) = &ind.clause
            && !clauses.iter().any(|x| &x.id == c.get_ref())
        {
            self.err(
                c.span(),
                format!("{path}.clause"),
                format!("unknown clause `{}`", c.get_ref()),
            );
        }
        let options = self.options(ind, path);
        let params: BTreeMap<String, Value> = options
            .iter()
            .map(|(k, v)| (k.clone(), v.to_value()))
            .collect();
        let weight = self.positive(&ind.weight, &format!("{path}.weight"), true);
        let min_sample = match &ind.min_sample {
            Some(m) if *m.get_ref() < 0 => {
                self.err(
                    m.span(),
                    format!("{path}.min_sample"),
                    "expected an integer ≥ 0",
                );
                None
            }
            Some(m) => Some(m.get_ref().unsigned_abs()),
            None => None,
        };
        let kind = kind?;
        let filter = ind
            .filter
            .as_ref()
            .and_then(|f| self.expr(f, kind, &params, Type::Bool, &format!("{path}.filter")));
        let measure = self.measure(
            ind.measure.get_ref(),
            kind,
            &params,
            &options,
            &format!("{path}.measure"),
        )?;
        let scale = match &ind.scale {
            Some(s) if !is_ratio_like(&measure) => {
                self.err(s.span(), format!("{path}.scale"), "`scale` applies only to ratio, share_within, ratio_of_sums and service_level measures");
                1.0
            }
            Some(s) => self.positive(s, &format!("{path}.scale"), false),
            None => default_scale(&measure, &ind.unit),
        };
        Some(Indicator {
            id: ind.id.get_ref().clone(),
            name: Text::new(&ind.name_zh, &ind.name_en),
            scenes,
            kind,
            filter: if ind.filter.is_some() {
                Some(filter?)
            } else {
                None
            },
            measure,
            scale,
            unit: ind.unit.clone(),
            direction: direction?,
            options,
            clause: ind.clause.as_ref().map(|c| c.get_ref().clone()),
            weight,
            min_sample,
            note: ind.note.clone(),
        })
    }

    fn options(&mut self, ind: &RawIndicator, path: &str) -> BTreeMap<String, OptionValue> {
        let mut out = BTreeMap::new();
        for (k, v) in &ind.options {
            let value = match v.get_ref() {
                toml::Value::Integer(n) => {
                    #[allow(clippy::cast_precision_loss, reason = "option integers are small")]
                    let f = *n as f64;
                    OptionValue::Num(f)
                }
                toml::Value::Float(f) => OptionValue::Num(*f),
                toml::Value::String(s) => OptionValue::Str(s.clone()),
                toml::Value::Boolean(b) => OptionValue::Bool(*b),
                other => {
                    self.err(
                        v.span(),
                        format!("{path}.options.{k}"),
                        format!(
                            "expected a number, string or boolean, found {}",
                            other.type_str()
                        ),
                    );
                    continue;
                }
            };
            out.insert(k.clone(), value);
        }
        out
    }

    fn expr(
        &mut self,
        src: &S<String>,
        kind: RecordKind,
        params: &BTreeMap<String, Value>,
        want: Type,
        path: &str,
    ) -> Option<Compiled> {
        match expr::compile(src.get_ref(), kind, params, want) {
            Ok(e) => Some(Compiled {
                src: src.get_ref().clone(),
                expr: e,
            }),
            Err(errors) => {
                // The span of a TOML basic string starts at its opening quote.
                let base = src.span().start + 1;
                for e in errors {
                    self.err(
                        base + e.span.start..base + e.span.end,
                        path,
                        format!("{} (in `{}`)", e.message, src.get_ref()),
                    );
                }
                None
            }
        }
    }

    fn need<'a>(
        &mut self,
        field: &'a Option<S<String>>,
        ty: &str,
        name: &str,
        at: Range<usize>,
        path: &str,
    ) -> Option<&'a S<String>> {
        if field.is_none() {
            self.err(at, path, format!("measure type `{ty}` needs `{name}`"));
        }
        field.as_ref()
    }

    fn measure(
        &mut self,
        m: &RawMeasure,
        kind: RecordKind,
        params: &BTreeMap<String, Value>,
        options: &BTreeMap<String, OptionValue>,
        path: &str,
    ) -> Option<Measure> {
        let ty = m.ty.get_ref().as_str();
        let at = m.ty.span();
        let num = |cx: &mut Self, f: &Option<S<String>>, name: &str| {
            let src = cx.need(f, ty, name, at.clone(), &format!("{path}.{name}"))?;
            cx.expr(src, kind, params, Type::Num, &format!("{path}.{name}"))
        };
        let measure = match ty {
            "ratio" => {
                let src = self.need(
                    &m.condition,
                    ty,
                    "condition",
                    at.clone(),
                    &format!("{path}.condition"),
                )?;
                Measure::Ratio {
                    condition: self.expr(
                        src,
                        kind,
                        params,
                        Type::Bool,
                        &format!("{path}.condition"),
                    )?,
                }
            }
            "mean" => Measure::Mean {
                value: num(self, &m.value, "value")?,
            },
            "percentile" => {
                let value = num(self, &m.value, "value");
                let q = self.fraction(m.q.as_ref(), &at, &format!("{path}.q"))?;
                Measure::Percentile { value: value?, q }
            }
            "share_within" => {
                let value = num(self, &m.value, "value");
                let limit = match &m.limit {
                    Some(l) => self.positive(l, &format!("{path}.limit"), true),
                    None => {
                        self.err(
                            at.clone(),
                            format!("{path}.limit"),
                            "measure type `share_within` needs `limit`",
                        );
                        return None;
                    }
                };
                Measure::ShareWithin {
                    value: value?,
                    limit,
                }
            }
            "rate_per" => match &m.per {
                Some(p) => Measure::RatePer {
                    per: self.positive(p, &format!("{path}.per"), false),
                },
                None => {
                    self.err(
                        at,
                        format!("{path}.per"),
                        "measure type `rate_per` needs `per`",
                    );
                    return None;
                }
            },
            "count" => Measure::Count,
            "ratio_of_sums" => {
                let n = num(self, &m.numerator, "numerator");
                let d = num(self, &m.denominator, "denominator");
                Measure::RatioOfSums {
                    numerator: n?,
                    denominator: d?,
                }
            }
            "service_level" => {
                Measure::ServiceLevel(self.service_level(m, kind, params, options, path)?)
            }
            other => {
                let types = [
                    "ratio",
                    "mean",
                    "percentile",
                    "share_within",
                    "rate_per",
                    "count",
                    "ratio_of_sums",
                    "service_level",
                ];
                self.err(
                    at,
                    format!("{path}.type"),
                    bad_value("measure type", other, &types),
                );
                return None;
            }
        };
        Some(measure)
    }

    fn fraction(&mut self, q: Option<&S<f64>>, at: &Range<usize>, path: &str) -> Option<f64> {
        let Some(q) = q else {
            self.err(
                at.clone(),
                path,
                "measure type `percentile` needs `q` (0 < q ≤ 1)",
            );
            return None;
        };
        let v = *q.get_ref();
        if !(v > 0.0 && v <= 1.0) {
            self.err(q.span(), path, format!("expected 0 < q ≤ 1, found {v}"));
            return None;
        }
        Some(v)
    }

    fn service_level(
        &mut self,
        m: &RawMeasure,
        kind: RecordKind,
        params: &BTreeMap<String, Value>,
        options: &BTreeMap<String, OptionValue>,
        path: &str,
    ) -> Option<ServiceLevelSpec> {
        let at = m.ty.span();
        let cond = |cx: &mut Self, f: &Option<S<String>>, name: &str, want: Type| {
            let src = cx.need(
                f,
                "service_level",
                name,
                at.clone(),
                &format!("{path}.{name}"),
            )?;
            cx.expr(src, kind, params, want, &format!("{path}.{name}"))
        };
        let answered = cond(self, &m.answered, "answered", Type::Bool);
        let abandoned = cond(self, &m.abandoned, "abandoned", Type::Bool);
        let ivr = cond(self, &m.ivr_contained, "ivr_contained", Type::Bool);
        let wait = cond(self, &m.wait_s, "wait_s", Type::Num);
        let opt_num = |cx: &mut Self, name: &str, default: f64| match options.get(name) {
            None => Some(default),
            Some(OptionValue::Num(n)) if n.is_finite() && *n >= 0.0 => Some(*n),
            Some(other) => {
                cx.err(
                    at.clone(),
                    format!("{path}.options.{name}"),
                    format!("expected a number ≥ 0, found {other:?}"),
                );
                None
            }
        };
        let threshold_s = opt_num(self, "threshold_s", 20.0);
        let short_abandon_s = opt_num(self, "short_abandon_s", 5.0);
        let variant = match options.get("variant") {
            None => Some(SlVariant::EarlyAbandonsNeutral),
            Some(OptionValue::Str(s)) => match SlVariant::parse(s) {
                Some(v) => Some(v),
                None => {
                    self.err(
                        at.clone(),
                        format!("{path}.options.variant"),
                        bad_value("service-level variant", s, &SlVariant::NAMES),
                    );
                    None
                }
            },
            Some(other) => {
                self.err(
                    at.clone(),
                    format!("{path}.options.variant"),
                    format!("expected a variant name, found {other:?}"),
                );
                None
            }
        };
        if let (Some(t), Some(sa)) = (threshold_s, short_abandon_s)
            && sa > t
        {
            self.err(at.clone(), format!("{path}.options.short_abandon_s"), format!("the short-abandon threshold ({sa} s) must not exceed the answer-time threshold ({t} s)"));
        }
        let include_ivr_contained = matches!(
            options.get("include_ivr_contained"),
            Some(OptionValue::Bool(true))
        );
        Some(ServiceLevelSpec {
            answered: answered?,
            abandoned: abandoned?,
            ivr_contained: ivr?,
            wait_s: wait?,
            threshold_s: threshold_s?,
            short_abandon_s: short_abandon_s?,
            variant: variant?,
            include_ivr_contained,
        })
    }

    fn targets(
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
                    format!("unknown indicator `{}`", t.indicator.get_ref()),
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
                self.err(
                    span,
                    path.clone(),
                    "another target of this indicator has the same selector",
                );
            }
            let floor = *t.floor.get_ref();
            let goal = *t.goal.get_ref();
            let better = |a: f64, b: f64| match ind.direction {
                Direction::HigherBetter => a > b,
                Direction::LowerBetter => a < b,
            };
            if !floor.is_finite() || !goal.is_finite() || !better(goal, floor) {
                let want = match ind.direction {
                    Direction::HigherBetter => "goal > floor (higher is better)",
                    Direction::LowerBetter => "goal < floor (lower is better)",
                };
                self.err(
                    t.goal.span(),
                    format!("{path}.goal"),
                    format!("expected {want}; found floor {floor}, goal {goal}"),
                );
            }
            if let Some(h) = &t.hard_limit
                && !h.get_ref().is_finite()
            {
                self.err(
                    h.span(),
                    format!("{path}.hard_limit"),
                    format!("expected a finite number, found {}", h.get_ref()),
                );
            }
            if let Some(h) = &t.hard_limit
                && better(*h.get_ref(), floor)
            {
                self.err(
                    h.span(),
                    format!("{path}.hard_limit"),
                    format!(
                        "the hard limit {} must not be better than the floor {floor}",
                        h.get_ref()
                    ),
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
                    bad_value("scene", s.get_ref(), &scene_names()),
                ),
                Some(sc) if !ind.scenes.contains(&sc) => {
                    self.err(
                        s.span(),
                        format!("{path}.scene"),
                        format!(
                            "indicator `{}` is not scored for scene `{}`",
                            ind.id,
                            sc.as_str()
                        ),
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
            "area class",
            &AreaClass::ALL,
            |a| a.as_str(),
            &mut ok,
        );
        let tier = self.choice(
            t.tier.as_ref(),
            &format!("{path}.tier"),
            "tier",
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
                bad_value("customer class", c.get_ref(), CUSTOMER_CLASSES),
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
                    format!(
                        "record kind `{}` has no field `{name}` to select on",
                        ind.kind.as_str()
                    ),
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

    fn scoring(
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
                "management_points + results_points must be > 0",
            );
        }
        let min_sample = if *s.min_sample.get_ref() < 0 {
            self.err(
                s.min_sample.span(),
                "scoring.min_sample",
                "expected an integer ≥ 0",
            );
            0
        } else {
            s.min_sample.get_ref().unsigned_abs()
        };
        let min_coverage = match &s.min_coverage {
            None => super::model::DEFAULT_MIN_COVERAGE,
            Some(c) => {
                let v = *c.get_ref();
                if (0.0..=1.0).contains(&v) {
                    v
                } else {
                    self.err(
                        c.span(),
                        "scoring.min_coverage",
                        format!("expected a share between 0 and 1, found {v}"),
                    );
                    super::model::DEFAULT_MIN_COVERAGE
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
                    bad_value("scene", k, &names),
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
                "expected at least one [[scoring.level]]",
            );
        }
        for (i, l) in s.level.iter().enumerate() {
            let l = l.get_ref();
            let path = format!("scoring.level[{i}] ({})", l.id.get_ref());
            let min = *l.min_score.get_ref();
            let prev = out.last().map_or(f64::NEG_INFINITY, |p| p.min_score);
            if !(min.is_finite() && min > prev) {
                self.err(l.min_score.span(), format!("{path}.min_score"), format!("levels must be listed from lowest to highest with increasing min_score; found {min} after {prev}"));
            }
            if i == 0 && min != 0.0 {
                self.err(
                    l.min_score.span(),
                    format!("{path}.min_score"),
                    "the lowest level must start at 0",
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
                    bad_value("level", r.cap.get_ref(), &ids),
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
                                format!("unknown indicator `{}`", ind.get_ref()),
                            );
                        }
                    }
                    if r.indicators.is_empty() {
                        self.err(
                            r.when.span(),
                            format!("{path}.indicators"),
                            "`hard_limit` red lines need a list of indicators",
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
                        bad_value("red-line trigger", other, &["hard_limit", "veto"]),
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

    /// Reads `[planning]` sub-table by sub-table, reporting unknown keys.
    fn raw_planning(&mut self, value: &Spanned<DeValue<'_>>) -> RawPlanning {
        let mut raw = RawPlanning::default();
        let DeValue::Table(table) = value.get_ref() else {
            self.err(value.span(), "planning", "expected a table [planning]");
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
                        "planning table",
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
    fn planning(
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
                "expected at least one area class, e.g. { urban = \"urban_limit_h\" }",
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
                    bad_value("area class", class.get_ref(), &names),
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
                        format!("expected a fraction in (0, 1), found {x}"),
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
                    format!("unknown indicator `{}`", id.get_ref()),
                );
            }
            return None;
        };
        let kind = Planning::record_kind(scene);
        if ind.kind != kind {
            self.err(
                id.span(),
                path,
                format!(
                    "indicator `{}` is computed from `{}` records; a {} plan needs one computed from `{}` records",
                    ind.id,
                    ind.kind.as_str(),
                    scene.as_str(),
                    kind.as_str()
                ),
            );
            return None;
        }
        let want = match role {
            Role::ServiceLevel => Some((
                Direction::HigherBetter,
                "give the service-level target",
                "higher",
            )),
            Role::Abandonment => {
                Some((Direction::LowerBetter, "cap the abandonment rate", "lower"))
            }
            Role::TimeLimit => None,
        };
        if let Some((direction, what, better)) = want
            && !(is_ratio_like(&ind.measure) && ind.direction == direction)
        {
            self.err(
                id.span(),
                path,
                format!(
                    "indicator `{}` cannot {what}: that needs a share where {better} is better \
                     (a ratio, share_within, ratio_of_sums or service_level measure with direction {})",
                    ind.id,
                    match direction {
                        Direction::HigherBetter => "higher_better",
                        Direction::LowerBetter => "lower_better",
                    }
                ),
            );
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
                let listed = if known.is_empty() {
                    "it has no options".to_owned()
                } else {
                    format!("its options: {}", known.join(", "))
                };
                self.err(
                    name.span(),
                    path,
                    format!(
                        "indicator `{}` has no option `{name_text}`; {listed}",
                        ind.id
                    ),
                );
            }
            Some(OptionValue::Num(n)) if n.is_finite() && *n > 0.0 => {}
            Some(other) => {
                let found = match other {
                    OptionValue::Num(n) => n.to_string(),
                    OptionValue::Str(s) => format!("the text {s:?}"),
                    OptionValue::Bool(b) => format!("the flag {b}"),
                };
                self.err(
                    name.span(),
                    path,
                    format!(
                        "option `{name_text}` of indicator `{}` must be a number > 0, found {found}",
                        ind.id
                    ),
                );
            }
        }
    }

    fn time_unit(&mut self, s: &S<String>, path: &str) -> TimeUnit {
        let mut ok = true;
        self.choice(
            Some(s),
            path,
            "time unit",
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

/// Ratios are reported in percent unless the unit says per mille or the file sets `scale`.
/// Whether a measure yields a fraction that `scale` turns into %, ‰, ….
fn is_ratio_like(measure: &Measure) -> bool {
    matches!(
        measure,
        Measure::Ratio { .. }
            | Measure::ShareWithin { .. }
            | Measure::RatioOfSums { .. }
            | Measure::ServiceLevel(_)
    )
}

fn default_scale(measure: &Measure, unit: &str) -> f64 {
    match (is_ratio_like(measure), unit) {
        (true, "‰") => 1000.0,
        (true, "%") => 100.0,
        _ => 1.0,
    }
}

fn scene_names() -> Vec<&'static str> {
    Scene::ALL.iter().map(|s| s.as_str()).collect()
}
