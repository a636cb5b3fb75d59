//! Loading indicators: record kind, direction, options, the filter and measure
//! expressions compiled against the kind's fields, the service-level options, and the
//! scale a ratio is reported in.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use super::Cx;
use crate::diag::bad_value;
use crate::expr::{self, Type, Value};
use crate::guideline::model::{
    Clause, Compiled, Direction, Indicator, Measure, OptionValue, ServiceLevelSpec,
};
use crate::guideline::raw::{RawIndicator, RawMeasure, S};
use crate::i18n::Msg;
use crate::measure::SlVariant;
use crate::records::RecordKind;
use crate::vocab::Text;

impl Cx<'_> {
    pub(super) fn indicators(
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
                Msg::new("guideline_file.no_scene"),
            );
        }
        let kind = RecordKind::parse(ind.kind.get_ref());
        if kind.is_none() {
            let kinds: Vec<_> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
            self.err(
                ind.kind.span(),
                format!("{path}.kind"),
                bad_value("file_check.what.record_kind", ind.kind.get_ref(), &kinds),
            );
        }
        let direction = match ind.direction.get_ref().as_str() {
            "higher_better" => Some(Direction::HigherBetter),
            "lower_better" => Some(Direction::LowerBetter),
            other => {
                self.err(
                    ind.direction.span(),
                    format!("{path}.direction"),
                    bad_value(
                        "file_check.what.direction",
                        other,
                        &["higher_better", "lower_better"],
                    ),
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
                Msg::new("guideline_file.unknown_clause").arg("clause", c.get_ref()),
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
                    Msg::new("guideline_file.not_count"),
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
                self.err(
                    s.span(),
                    format!("{path}.scale"),
                    Msg::new("guideline_file.scale_not_ratio"),
                );
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
                        Msg::new("guideline_file.option_type").arg("found", other.type_str()),
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
                        Msg::new("guideline_file.in_expression")
                            .arg_msg("problem", *e.msg)
                            .arg("expression", src.get_ref()),
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
            self.err(at, path, measure_needs(ty, name));
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
                            measure_needs("share_within", "limit"),
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
                    self.err(at, format!("{path}.per"), measure_needs("rate_per", "per"));
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
                    bad_value("file_check.what.measure_type", other, &types),
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
                Msg::new("guideline_file.percentile_needs_q"),
            );
            return None;
        };
        let v = *q.get_ref();
        if !(v > 0.0 && v <= 1.0) {
            self.err(
                q.span(),
                path,
                Msg::new("guideline_file.bad_q").arg("found", v),
            );
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
                    Msg::new("guideline_file.option_not_non_negative")
                        .arg("found", format!("{other:?}")),
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
                        bad_value("file_check.what.sl_variant", s, &SlVariant::NAMES),
                    );
                    None
                }
            },
            Some(other) => {
                self.err(
                    at.clone(),
                    format!("{path}.options.variant"),
                    Msg::new("guideline_file.variant_not_text").arg("found", format!("{other:?}")),
                );
                None
            }
        };
        if let (Some(t), Some(sa)) = (threshold_s, short_abandon_s)
            && sa > t
        {
            self.err(
                at.clone(),
                format!("{path}.options.short_abandon_s"),
                Msg::new("guideline_file.short_abandon")
                    .arg("short", sa)
                    .arg("threshold", t),
            );
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
}

/// "measure type `TY` needs `NAME`".
fn measure_needs(ty: &str, name: &str) -> Msg {
    Msg::new("guideline_file.measure_needs")
        .arg("type", ty)
        .arg("name", name)
}

/// Ratios are reported in percent unless the unit says per mille or the file sets `scale`.
/// Whether a measure yields a fraction that `scale` turns into %, ‰, ….
pub(super) fn is_ratio_like(measure: &Measure) -> bool {
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
