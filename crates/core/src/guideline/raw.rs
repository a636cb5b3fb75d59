//! Raw serde shapes of the guideline TOML file, before validation.
//!
//! Each top-level entry is deserialised on its own so that one malformed entry does not
//! hide the errors of the others; `Spanned` keeps byte offsets for located messages.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

pub(crate) type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHeader {
    pub id: S<String>,
    pub version: S<String>,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScoring {
    pub management_points: S<f64>,
    pub results_points: S<f64>,
    pub min_sample: S<i64>,
    #[serde(default)]
    pub min_coverage: Option<S<f64>>,
    #[serde(default)]
    pub scene_weights: BTreeMap<String, S<f64>>,
    #[serde(default)]
    pub level: Vec<S<RawLevel>>,
    #[serde(default)]
    pub red_line: Vec<S<RawRedLine>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLevel {
    pub id: S<String>,
    pub name_zh: String,
    pub name_en: String,
    pub min_score: S<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRedLine {
    pub id: S<String>,
    pub name_zh: String,
    pub name_en: String,
    pub when: S<String>,
    #[serde(default)]
    pub indicators: Vec<S<String>>,
    pub cap: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDimension {
    pub id: S<String>,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub group: Option<String>,
    pub weight: S<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawClause {
    pub id: S<String>,
    pub dimension: S<String>,
    pub scenes: S<Vec<S<String>>>,
    pub title_zh: String,
    pub title_en: String,
    #[serde(default)]
    pub requirement_zh: String,
    #[serde(default)]
    pub requirement_en: String,
    #[serde(default = "one")]
    pub weight: S<f64>,
    #[serde(default)]
    pub item: Vec<S<RawItem>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawItem {
    pub id: S<String>,
    #[serde(default)]
    pub scenes: Option<Vec<S<String>>>,
    pub text_zh: String,
    pub text_en: String,
    #[serde(default = "one")]
    pub weight: S<f64>,
    pub method: S<String>,
    #[serde(default)]
    pub max_points: Option<S<f64>>,
    #[serde(default)]
    pub na_allowed: bool,
    #[serde(default)]
    pub veto: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIndicator {
    pub id: S<String>,
    pub name_zh: String,
    pub name_en: String,
    pub scenes: S<Vec<S<String>>>,
    pub kind: S<String>,
    #[serde(default)]
    pub filter: Option<S<String>>,
    pub measure: S<RawMeasure>,
    #[serde(default)]
    pub scale: Option<S<f64>>,
    pub unit: String,
    pub direction: S<String>,
    #[serde(default)]
    pub options: BTreeMap<String, S<toml::Value>>,
    #[serde(default)]
    pub clause: Option<S<String>>,
    #[serde(default = "one")]
    pub weight: S<f64>,
    #[serde(default)]
    pub min_sample: Option<S<i64>>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMeasure {
    #[serde(rename = "type")]
    pub ty: S<String>,
    #[serde(default)]
    pub condition: Option<S<String>>,
    #[serde(default)]
    pub value: Option<S<String>>,
    #[serde(default)]
    pub q: Option<S<f64>>,
    #[serde(default)]
    pub limit: Option<S<f64>>,
    #[serde(default)]
    pub per: Option<S<f64>>,
    #[serde(default)]
    pub numerator: Option<S<String>>,
    #[serde(default)]
    pub denominator: Option<S<String>>,
    #[serde(default)]
    pub answered: Option<S<String>>,
    #[serde(default)]
    pub abandoned: Option<S<String>>,
    #[serde(default)]
    pub ivr_contained: Option<S<String>>,
    #[serde(default)]
    pub wait_s: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTarget {
    pub indicator: S<String>,
    #[serde(default)]
    pub scene: Option<S<String>>,
    #[serde(default)]
    pub area: Option<S<String>>,
    #[serde(default)]
    pub tier: Option<S<String>>,
    #[serde(default)]
    pub customer_class: Option<S<String>>,
    #[serde(default)]
    pub service: Option<S<String>>,
    pub floor: S<f64>,
    pub goal: S<f64>,
    #[serde(default)]
    pub hard_limit: Option<S<f64>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// `[planning]`: each sub-table is deserialised on its own (see `Cx::raw_planning`), so
/// a mistake in one does not hide the others; a missing or malformed one is `None`.
#[derive(Debug, Default)]
pub(crate) struct RawPlanning {
    pub hall: Option<RawQueueRule>,
    pub call_centre: Option<RawQueueRule>,
    pub field_centre: Option<RawFieldRule>,
    pub defaults: Option<RawPlanningDefaults>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawQueueRule {
    pub service_level: S<String>,
    pub threshold_option: S<String>,
    pub threshold_unit: S<String>,
    #[serde(default)]
    pub abandonment: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFieldRule {
    pub time_limit: S<String>,
    pub limit_unit: S<String>,
    pub limit_options: S<BTreeMap<S<String>, S<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPlanningDefaults {
    #[serde(default)]
    pub service_level: Option<S<f64>>,
    #[serde(default)]
    pub answer_within_s: Option<S<f64>>,
    #[serde(default)]
    pub limit_h: Option<S<f64>>,
}

fn one() -> S<f64> {
    Spanned::new(0..0, 1.0)
}
