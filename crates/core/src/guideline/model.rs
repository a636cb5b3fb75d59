//! The validated guideline model: what a loaded guideline version holds.
//!
//! Values of these types only come out of [`super::load`], which guarantees the
//! invariants documented on each type (ids unique, references resolved, expressions
//! type-checked against the record kind, weights positive, thresholds ordered).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::audit::AuditRule;
use crate::expr::{Expr, Value};
use crate::measure::SlVariant;
use crate::pdca::PdcaRule;
use crate::records::RecordKind;
use crate::vocab::{AreaClass, Scene, Text, Tier};

/// One guideline version.
#[derive(Debug, Clone, Serialize)]
pub struct Guideline {
    /// Stable id of the guideline family (e.g. `yardstick-default`).
    pub id: String,
    /// Version label (e.g. `2026.1`).
    pub version: String,
    /// Title.
    pub name: Text,
    /// Where the content comes from.
    pub source: String,
    /// Dimensions in file order.
    pub dimensions: Vec<Dimension>,
    /// Clauses in file order.
    pub clauses: Vec<Clause>,
    /// Indicators in file order.
    pub indicators: Vec<Indicator>,
    /// Targets in file order.
    pub targets: Vec<Target>,
    /// Scoring model.
    pub scoring: ScoringModel,
    /// How site plans take their targets from this guideline (`[planning]`); `None`
    /// when the file has no such section, which plans by [`Planning::built_in`]. Left
    /// out of the serialised form when absent, so a guideline without the section keeps
    /// the fingerprint it had before the section existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planning: Option<Planning>,
    /// Which signed audits count for a period, and their weights (`[audits]`); `None`
    /// when the file has no such section, which counts by [`AuditRule::built_in`]. Left
    /// out of the serialised form when absent, as `planning` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audits: Option<AuditRule>,
    /// The improvement loop's numbers (`[pdca]`); `None` = [`PdcaRule::built_in`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdca: Option<PdcaRule>,
}

impl Guideline {
    /// Looks up an indicator by id.
    #[must_use]
    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    /// Looks up a clause by id.
    #[must_use]
    pub fn clause(&self, id: &str) -> Option<&Clause> {
        self.clauses.iter().find(|c| c.id == id)
    }

    /// Looks up a dimension by id.
    #[must_use]
    pub fn dimension(&self, id: &str) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.id == id)
    }

    /// Indicators that apply to a scene.
    pub fn indicators_for(&self, scene: Scene) -> impl Iterator<Item = &Indicator> {
        self.indicators
            .iter()
            .filter(move |i| i.scenes.contains(&scene))
    }

    /// The audit-counting rule in force: the file's `[audits]`, or the built-in one.
    #[must_use]
    pub fn audit_rule(&self) -> Cow<'_, AuditRule> {
        self.audits
            .as_ref()
            .map_or_else(|| Cow::Owned(AuditRule::built_in()), Cow::Borrowed)
    }

    /// The improvement rules in force: the file's `[pdca]`, or the built-in ones.
    #[must_use]
    pub fn pdca_rule(&self) -> Cow<'_, PdcaRule> {
        self.pdca
            .as_ref()
            .map_or_else(|| Cow::Owned(PdcaRule::built_in()), Cow::Borrowed)
    }

    /// The planning rules in force: the file's `[planning]` section, or
    /// [`Planning::built_in`] when it has none.
    #[must_use]
    pub fn planning(&self) -> Cow<'_, Planning> {
        self.planning
            .as_ref()
            .map_or_else(|| Cow::Owned(Planning::built_in()), Cow::Borrowed)
    }
}

/// A dimension of the management framework (服务理念, 人, 设施, …).
#[derive(Debug, Clone, Serialize)]
pub struct Dimension {
    /// Id (e.g. `people`).
    pub id: String,
    /// Name.
    pub name: Text,
    /// Group the dimension belongs to (e.g. `key_control` for 人/设施/流程/环境).
    pub group: Option<String>,
    /// Weight within the management half of the score.
    pub weight: f64,
}

/// A requirement under a dimension, applicable to some scenes, checked by items.
#[derive(Debug, Clone, Serialize)]
pub struct Clause {
    /// Id (e.g. `PHI-01`).
    pub id: String,
    /// Dimension id.
    pub dimension: String,
    /// Scenes the clause applies to.
    pub scenes: Vec<Scene>,
    /// Short title.
    pub title: Text,
    /// The requirement.
    pub requirement: Text,
    /// Weight within its dimension.
    pub weight: f64,
    /// Checklist items.
    pub items: Vec<Item>,
}

/// How a checklist item is scored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum ItemMethod {
    /// Pass (1) or fail (0).
    PassFail,
    /// 0–4 scale, scored value/4.
    Scale0To4,
    /// Points out of `max`, scored value/max.
    Points {
        /// Maximum points.
        max: f64,
    },
}

/// One checklist item of a clause.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// Id, unique in the guideline.
    pub id: String,
    /// Scenes the item applies to (a subset of its clause's).
    pub scenes: Vec<Scene>,
    /// What the auditor checks.
    pub text: Text,
    /// Weight within the clause.
    pub weight: f64,
    /// Scoring method.
    pub method: ItemMethod,
    /// Whether "not applicable" is an allowed answer.
    pub na_allowed: bool,
    /// Whether failing the item is a veto (一票否决) red line.
    pub veto: bool,
}

/// Whether higher or lower values are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher is better (rates of success).
    HigherBetter,
    /// Lower is better (waits, error rates).
    LowerBetter,
}

/// A compiled expression with its source text.
#[derive(Debug, Clone, Serialize)]
pub struct Compiled {
    /// Source text as written in the guideline.
    pub src: String,
    /// Type-checked AST with parameters substituted.
    #[serde(skip)]
    pub expr: Expr,
}

/// How an indicator's value is derived from the filtered records.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Measure {
    /// Share of rows meeting `condition` (× `scale`).
    Ratio {
        /// Boolean expression.
        condition: Compiled,
    },
    /// Mean of `value`.
    Mean {
        /// Numeric expression.
        value: Compiled,
    },
    /// Percentile `q` (0 < q ≤ 1) of `value`.
    Percentile {
        /// Numeric expression.
        value: Compiled,
        /// Quantile.
        q: f64,
    },
    /// Share of rows whose `value` is at most `limit` (× `scale`).
    ShareWithin {
        /// Numeric expression.
        value: Compiled,
        /// Limit in the value's unit.
        limit: f64,
    },
    /// Rows per `per` users of the subscriber base.
    RatePer {
        /// Denominator multiplier (e.g. 1 000 000 for "per million users").
        per: f64,
    },
    /// Number of rows.
    Count,
    /// Σ numerator ÷ Σ denominator (× `scale`).
    RatioOfSums {
        /// Numeric expression summed on top.
        numerator: Compiled,
        /// Numeric expression summed below.
        denominator: Compiled,
    },
    /// Contact-centre service level with a formula variant.
    ServiceLevel(ServiceLevelSpec),
}

/// The classification a service-level indicator needs from each contact.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceLevelSpec {
    /// Contact was answered by an agent.
    pub answered: Compiled,
    /// Contact was abandoned in the agent queue.
    pub abandoned: Compiled,
    /// Contact ended in the IVR without reaching the agent queue.
    pub ivr_contained: Compiled,
    /// Wait in seconds before answer or abandon.
    pub wait_s: Compiled,
    /// Answer-time threshold T in seconds.
    pub threshold_s: f64,
    /// Short-abandon threshold S in seconds.
    pub short_abandon_s: f64,
    /// Formula variant.
    pub variant: SlVariant,
    /// Whether IVR-contained contacts count as offered (and abandoned before T).
    pub include_ivr_contained: bool,
}

/// One indicator.
#[derive(Debug, Clone, Serialize)]
pub struct Indicator {
    /// Id (e.g. `CC-02`).
    pub id: String,
    /// Name.
    pub name: Text,
    /// Scenes it is scored for.
    pub scenes: Vec<Scene>,
    /// Record kind it is computed from.
    pub kind: RecordKind,
    /// Row filter (the population).
    pub filter: Option<Compiled>,
    /// How the value is derived.
    pub measure: Measure,
    /// Multiplier applied to ratios (100 for %, 1000 for ‰).
    pub scale: f64,
    /// Unit label (e.g. `%`, `min`, `h`).
    pub unit: String,
    /// Better direction.
    pub direction: Direction,
    /// Options as written (referenced as `$name` in expressions).
    pub options: BTreeMap<String, OptionValue>,
    /// Clause it gives evidence for.
    pub clause: Option<String>,
    /// Weight within the results half.
    pub weight: f64,
    /// Minimum sample below which it is reported but not rated; `None` = the scoring
    /// model's default, `Some(0)` = no minimum.
    pub min_sample: Option<u64>,
    /// Notes on definition choices.
    pub note: Option<String>,
}

impl Indicator {
    /// What a drill-down lists per row: the expression's source and, when it is known,
    /// the unit its values are in — the indicator's own for a mean or a percentile,
    /// seconds for a service level's wait (its unit, `%`, is the share's, not the
    /// values'); unknown for a share within a limit or a ratio of sums, whose unit is
    /// not the values'.
    #[must_use]
    pub fn drilled_values(&self) -> Option<(&str, Option<&str>)> {
        let value = self.value_expr()?;
        let unit = match &self.measure {
            Measure::Mean { .. } | Measure::Percentile { .. } => Some(self.unit.as_str()),
            Measure::ServiceLevel(_) => Some("s"),
            _ => None,
        };
        Some((value.src.as_str(), unit))
    }

    /// The per-row numeric value of the measure, when it has one (mean, percentile,
    /// share within a limit, numerator of a ratio of sums, wait of a service level).
    #[must_use]
    pub fn value_expr(&self) -> Option<&Compiled> {
        match &self.measure {
            Measure::Mean { value }
            | Measure::Percentile { value, .. }
            | Measure::ShareWithin { value, .. } => Some(value),
            Measure::RatioOfSums { numerator, .. } => Some(numerator),
            Measure::ServiceLevel(spec) => Some(&spec.wait_s),
            Measure::Ratio { .. } | Measure::RatePer { .. } | Measure::Count => None,
        }
    }
}

/// An indicator option value (a copy of the expression-language value kinds that can
/// be written in TOML).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum OptionValue {
    /// Number.
    Num(f64),
    /// Text.
    Str(String),
    /// Flag.
    Bool(bool),
}

impl OptionValue {
    /// As an expression literal.
    #[must_use]
    pub fn to_value(&self) -> Value {
        match self {
            OptionValue::Num(n) => Value::Num(*n),
            OptionValue::Str(s) => Value::Str(s.clone()),
            OptionValue::Bool(b) => Value::Bool(*b),
        }
    }
}

/// Which sites and which records a target applies to. Absent fields match anything.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Selector {
    /// Site scene.
    pub scene: Option<Scene>,
    /// Site area class (`rural` matches every rural refinement).
    pub area: Option<AreaClass>,
    /// Site tier.
    pub tier: Option<Tier>,
    /// Record stratum: customer class.
    pub customer_class: Option<String>,
    /// Record stratum: service.
    pub service: Option<String>,
}

impl Selector {
    /// Number of site-level fields set (more specific targets win).
    #[must_use]
    pub fn specificity(&self) -> usize {
        usize::from(self.scene.is_some())
            + usize::from(self.area.is_some())
            + usize::from(self.tier.is_some())
    }

    /// The record stratum this selector names ("" = all records).
    #[must_use]
    pub fn stratum(&self) -> String {
        stratum_key(self.customer_class.as_deref(), self.service.as_deref())
    }
}

/// Canonical stratum key: "" for all records, else `customer_class=vip`,
/// `service=broadband` or both joined by `;`.
#[must_use]
pub fn stratum_key(customer_class: Option<&str>, service: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(c) = customer_class {
        parts.push(format!("customer_class={c}"));
    }
    if let Some(s) = service {
        parts.push(format!("service={s}"));
    }
    parts.join(";")
}

/// A differentiated target for one indicator.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// Indicator id.
    pub indicator: String,
    /// Where it applies.
    pub selector: Selector,
    /// Value at which achievement is 0.
    pub floor: f64,
    /// Value at which achievement is 1.
    pub goal: f64,
    /// Legal or regulatory limit: crossing it is a red-line breach.
    pub hard_limit: Option<f64>,
    /// Source or rationale.
    pub note: Option<String>,
}

/// A maturity level threshold.
#[derive(Debug, Clone, Serialize)]
pub struct Level {
    /// Id `L1`…`L5`.
    pub id: String,
    /// Rank 1…5.
    pub rank: u8,
    /// Name.
    pub name: Text,
    /// Lowest total score (0–1000) for this level.
    pub min_score: f64,
}

/// What triggers a red line.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "when")]
pub enum RedLineRule {
    /// One of the indicators is worse than its target's hard limit.
    HardLimit {
        /// Indicator ids.
        indicators: Vec<String>,
    },
    /// A veto checklist item was failed.
    Veto,
}

/// A red line (一票否决): caps the maturity level.
#[derive(Debug, Clone, Serialize)]
pub struct RedLine {
    /// Id.
    pub id: String,
    /// Name.
    pub name: Text,
    /// Trigger.
    pub rule: RedLineRule,
    /// Highest level reachable when hit (rank 1…5).
    pub cap_rank: u8,
}

/// How achievements and audits become scores.
#[derive(Debug, Clone, Serialize)]
pub struct ScoringModel {
    /// Points of the management (audit) half.
    pub management_points: f64,
    /// Points of the results (indicator) half.
    pub results_points: f64,
    /// Default minimum sample size.
    pub min_sample: u64,
    /// Share of a half's points (0–1) that must have evidence for a site to be rated:
    /// below it the site gets no total, level or rank ("not rated: coverage 6 %").
    /// Left out of the fingerprint when it is the default, so guidelines that do not
    /// set it keep theirs.
    #[serde(skip_serializing_if = "is_default_min_coverage")]
    pub min_coverage: f64,
    /// Weights of scenes when organisation nodes combine scenes, keyed by scene name;
    /// the key `cross` weighs the cross-scene indicators.
    pub scene_weights: BTreeMap<String, f64>,
    /// Levels ordered by rank.
    pub levels: Vec<Level>,
    /// Red lines.
    pub red_lines: Vec<RedLine>,
}

/// The default of `scoring.min_coverage`: half of a half's points. A site whose
/// indicators cover less than half of the results weight is judged on too few of them to
/// be ranked against peers judged on all.
pub const DEFAULT_MIN_COVERAGE: f64 = 0.5;

#[allow(clippy::float_cmp, reason = "the exact default, as written")]
fn is_default_min_coverage(v: &f64) -> bool {
    *v == DEFAULT_MIN_COVERAGE
}

impl ScoringModel {
    /// Total points available.
    #[must_use]
    pub fn total_points(&self) -> f64 {
        self.management_points + self.results_points
    }
}

/// How site plans (`plan site`) take their targets from the guideline: the
/// `[planning]` section (format in `docs/guideline-format.md`).
///
/// Values come out of [`super::load`]: when the file has the section, every indicator
/// it names exists, is computed from the scene's record kind
/// ([`Planning::record_kind`]) and has the right shape, and every option it names
/// exists and is a number > 0. [`Planning::built_in`] is the rule set of a file
/// without the section; its names are not checked against the file, so a guideline
/// lacking one of them plans with the defaults, as before the section existed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Planning {
    /// Business halls; `None` = the guideline gives halls no planning targets (the
    /// defaults apply).
    pub hall: Option<QueueRule>,
    /// Call centres; `None` as for halls.
    pub call_centre: Option<QueueRule>,
    /// Field centres; `None` = the default completion time limit applies.
    pub field_centre: Option<FieldRule>,
    /// Values used when the guideline gives no target.
    pub defaults: PlanningDefaults,
}

impl Planning {
    /// The rules of a guideline without `[planning]`: halls by BH-02 (threshold
    /// `wait_target_min`, minutes) and BH-04, call centres by CC-02 (`threshold_s`,
    /// seconds) and CC-04, field centres by IM-04's `urban_limit_h` / `rural_limit_h`
    /// (hours), with [`PlanningDefaults::BUILT_IN`].
    #[must_use]
    pub fn built_in() -> Planning {
        let queue = |sl: &str, option: &str, unit: TimeUnit, abandon: &str| QueueRule {
            service_level: sl.to_owned(),
            threshold_option: option.to_owned(),
            threshold_unit: unit,
            abandonment: Some(abandon.to_owned()),
        };
        Planning {
            hall: Some(queue("BH-02", "wait_target_min", TimeUnit::Min, "BH-04")),
            call_centre: Some(queue("CC-02", "threshold_s", TimeUnit::S, "CC-04")),
            field_centre: Some(FieldRule {
                time_limit: "IM-04".to_owned(),
                limit_unit: TimeUnit::H,
                limit_options: BTreeMap::from([
                    (AreaClass::Urban, "urban_limit_h".to_owned()),
                    (AreaClass::Rural, "rural_limit_h".to_owned()),
                ]),
            }),
            defaults: PlanningDefaults::BUILT_IN,
        }
    }

    /// The queue rule of a hall or call centre (`None` for field centres, or when the
    /// guideline gives the scene none).
    #[must_use]
    pub fn queue_rule(&self, scene: Scene) -> Option<&QueueRule> {
        match scene {
            Scene::Hall => self.hall.as_ref(),
            Scene::CallCentre => self.call_centre.as_ref(),
            Scene::FieldCentre => None,
        }
    }

    /// The record kind a scene's plan is built from, and that the indicators of its
    /// rule must be computed from: hall tickets, contacts, work orders.
    #[must_use]
    pub fn record_kind(scene: Scene) -> RecordKind {
        match scene {
            Scene::Hall => RecordKind::HallTicket,
            Scene::CallCentre => RecordKind::Contact,
            Scene::FieldCentre => RecordKind::WorkOrder,
        }
    }
}

/// Which indicators set the targets of a queue (hall or call centre).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueRule {
    /// Indicator whose target (goal or floor, ÷ its scale) is the service-level target:
    /// a share, higher is better.
    pub service_level: String,
    /// Option of that indicator holding the answer-time threshold T.
    pub threshold_option: String,
    /// Unit the option is written in.
    pub threshold_unit: TimeUnit,
    /// Indicator whose target (÷ its scale) caps the abandonment rate: a share, lower
    /// is better; `None` = no cap from the guideline.
    pub abandonment: Option<String>,
}

/// Which indicator options give a field centre's completion time limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldRule {
    /// Indicator holding the limits as options.
    pub time_limit: String,
    /// Unit the options are written in.
    pub limit_unit: TimeUnit,
    /// Option per area class; a site takes the option of its own class, else that of
    /// `rural` for a refined rural class (as target selectors match), else the default.
    pub limit_options: BTreeMap<AreaClass, String>,
}

impl FieldRule {
    /// The option that gives a site of area class `area` its limit.
    #[must_use]
    pub fn limit_option(&self, area: AreaClass) -> Option<&str> {
        self.limit_options
            .get(&area)
            .or_else(|| {
                self.limit_options
                    .iter()
                    .find(|(class, _)| AreaClass::selector_matches(**class, area))
                    .map(|(_, option)| option)
            })
            .map(String::as_str)
    }
}

/// Values a plan uses when the guideline gives no target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PlanningDefaults {
    /// Service-level target, a fraction in (0, 1).
    pub service_level: f64,
    /// Answer-time threshold T in seconds.
    pub answer_within_s: f64,
    /// Field centres' completion time limit in hours.
    pub limit_h: f64,
}

impl PlanningDefaults {
    /// 80 % within 20 s (the industry's 80/20) and the 48 h urban repair limit (电信条例
    /// Art. 33), the stricter of the two legal limits.
    pub const BUILT_IN: PlanningDefaults = PlanningDefaults {
        service_level: 0.8,
        answer_within_s: 20.0,
        limit_h: 48.0,
    };
}

/// The unit of a time option named by `[planning]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Seconds.
    S,
    /// Minutes.
    Min,
    /// Hours.
    H,
}

impl TimeUnit {
    /// Every unit, in the order of the file format's documentation.
    pub const ALL: [TimeUnit; 3] = [TimeUnit::S, TimeUnit::Min, TimeUnit::H];

    /// Spelling in the file.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::S => "s",
            TimeUnit::Min => "min",
            TimeUnit::H => "h",
        }
    }

    /// `value` of this unit in seconds.
    #[must_use]
    pub fn seconds(self, value: f64) -> f64 {
        match self {
            TimeUnit::S => value,
            TimeUnit::Min => value * 60.0,
            TimeUnit::H => value * 3600.0,
        }
    }

    /// `value` of this unit in hours.
    #[must_use]
    pub fn hours(self, value: f64) -> f64 {
        match self {
            TimeUnit::S => value / 3600.0,
            TimeUnit::Min => value / 60.0,
            TimeUnit::H => value,
        }
    }
}
