//! The planning policy: which targets, answer-time threshold and model inputs a site's
//! plan uses, and where each came from.
//!
//! Every input is taken, in this order, from what the user gave ([`Overrides`]), what
//! the history measured ([`Measured`]; handling time, patience, time on site) or the
//! guideline, and otherwise from a default. The guideline's `[planning]` section
//! ([`crate::guideline::Planning`]) says which indicators count:
//!
//! * **queues** (halls, call centres): the service-level target is the goal (or floor,
//!   by [`TargetLevel`]) of the scene's service-level indicator for the site's scene,
//!   area and tier (all-records stratum), divided by the indicator's scale (100 for
//!   `%`); the answer-time threshold T is the indicator's threshold option in its unit;
//!   the abandonment cap is the target of the abandonment indicator, applied only when
//!   the queue has a patience (Erlang A), since without one nobody abandons;
//! * **field centres**: the completion time limit is the time-limit indicator's option
//!   for the site's area class.
//!
//! A guideline without `[planning]` follows [`crate::guideline::Planning::built_in`]
//! (BH-02/BH-04, CC-02/CC-04, IM-04). When the guideline has no target or option for the
//! site, the section's defaults apply (built in: 80 % within 20 s, 48 h).
//!
//! A [`Source`] is data: it says which flag, measurement, indicator value or default an
//! input came from, and serialises as such (`"flag"`, `{"guideline": {"indicator":
//! "CC-02", "value": "goal"}}`); how it reads in Chinese or English is the caller's
//! business. The errors are values ([`PolicyError`]).

use serde::{Deserialize, Serialize};

use super::field::FieldParams;
use super::staff::{QueuePlan, SlBasis};
use crate::guideline::{Guideline, OptionValue};
use crate::org::Site;
use crate::queueing::{Input, Queue, QueueingError, Shrinkage, Targets};
use crate::vocab::Scene;

/// Which of a guideline target's two values to plan for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetLevel {
    /// The goal (full achievement).
    #[default]
    Goal,
    /// The floor (the least acceptable value).
    Floor,
}

impl TargetLevel {
    /// Both levels, the default first.
    pub const ALL: [TargetLevel; 2] = [TargetLevel::Goal, TargetLevel::Floor];

    /// Canonical spelling (`goal`, `floor`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TargetLevel::Goal => "goal",
            TargetLevel::Floor => "floor",
        }
    }

    /// Parses the canonical spelling.
    #[must_use]
    pub fn parse(s: &str) -> Option<TargetLevel> {
        TargetLevel::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Where a planning input came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Given by the user (a command-line flag, a form field).
    Flag,
    /// Measured in the site's history.
    History,
    /// A guideline indicator's target or option.
    Guideline {
        /// Indicator id.
        indicator: String,
        /// Which of its values.
        value: GuidelineValue,
    },
    /// A default of the guideline's `[planning]` section (or the built-in one).
    Default,
}

/// Which value of a guideline indicator an input came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GuidelineValue {
    /// The target's goal.
    Goal,
    /// The target's floor.
    Floor,
    /// An option of the indicator, by name.
    Option(String),
}

impl Source {
    /// The goal or floor of an indicator's target.
    #[must_use]
    pub fn target(indicator: &str, level: TargetLevel) -> Self {
        let value = match level {
            TargetLevel::Goal => GuidelineValue::Goal,
            TargetLevel::Floor => GuidelineValue::Floor,
        };
        Self::Guideline {
            indicator: indicator.to_owned(),
            value,
        }
    }

    /// An option of an indicator.
    #[must_use]
    pub fn option(indicator: &str, name: &str) -> Self {
        Self::Guideline {
            indicator: indicator.to_owned(),
            value: GuidelineValue::Option(name.to_owned()),
        }
    }
}

/// What the user gave instead of the history, the guideline or a default; `None` = not
/// given.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Overrides {
    /// Service-level target, a fraction in (0, 1).
    pub sl_target: Option<f64>,
    /// Answer-time threshold T in seconds.
    pub answer_within_s: Option<f64>,
    /// Cap on the share of contacts that abandon, in (0, 1).
    pub max_abandon: Option<f64>,
    /// Occupancy cap in (0, 1]; only ever given by the user.
    pub max_occupancy: Option<f64>,
    /// Mean handling time in seconds.
    pub aht_s: Option<f64>,
    /// Mean patience in seconds.
    pub patience_s: Option<f64>,
    /// Field centres: time on site per order, in hours.
    pub onsite_h: Option<f64>,
    /// Field centres: completion time limit in hours.
    pub limit_h: Option<f64>,
}

/// What the site's history measured; `None` = no evidence.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Measured {
    /// Mean handling time per contact or ticket, in seconds.
    pub handle_s: Option<f64>,
    /// Mean patience of queued contacts in seconds (`None` without abandons).
    pub patience_s: Option<f64>,
    /// Field centres: mean time on site per order, in seconds.
    pub onsite_s: Option<f64>,
}

/// One plan's inputs besides the guideline.
#[derive(Debug, Clone, Copy)]
pub struct PlanRequest<'a> {
    /// The site (its id for messages; scene, area and tier select the targets).
    pub site: &'a Site,
    /// Plan to the targets' goals or floors.
    pub level: TargetLevel,
    /// What the user gave.
    pub overrides: Overrides,
    /// What the history measured.
    pub measured: Measured,
    /// Queues: share of paid time not spent handling contacts.
    pub shrinkage: Shrinkage,
    /// Field centres: travel hours per order.
    pub travel_h: f64,
    /// Field centres: productive hours per technician per day.
    pub productive_h: f64,
}

/// The queue plan of a hall or call centre, with where each input came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueSetup {
    /// The site's scene.
    pub scene: Scene,
    /// Handling, patience, targets (service level on formula 4), shrinkage.
    pub plan: QueuePlan,
    /// Source of the mean handling time.
    pub aht: Source,
    /// Source of the patience (`History` also when the history shows no abandons and
    /// the plan is Erlang C).
    pub patience: Source,
    /// Source of the answer-time threshold T.
    pub answer_within: Source,
    /// Source of the service-level target.
    pub sl: Source,
    /// Source of the abandonment cap (`Default` when there is none).
    pub abandon: Source,
}

/// Where the field inputs that may come from the history or the guideline came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldSources {
    /// Source of the time on site.
    pub onsite: Source,
    /// Source of the completion time limit.
    pub limit: Source,
}

/// The technician model of a field centre, with where its inputs came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldSetup {
    /// On-site, travel and productive hours, and the time limit.
    pub params: FieldParams,
    /// Sources of the on-site time and the limit.
    pub sources: FieldSources,
}

/// A site's plan setup: a queue (hall, call centre) or a field crew.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(
    clippy::large_enum_variant,
    reason = "one value per plan, built once and moved once; boxing would only add noise"
)]
pub enum Setup {
    /// Hall or call centre.
    Queue(QueueSetup),
    /// Field centre.
    Field(FieldSetup),
}

/// Why a plan cannot be set up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A queue without a handling time: none given and none in the history.
    #[error("no handling times in the history of `{site}` ({})", handling_evidence(*.scene))]
    NoHandlingTimes {
        /// Site id.
        site: String,
        /// Its scene (says which records give handling times).
        scene: Scene,
    },
    /// A field centre without a time on site: none given and none in the history.
    #[error(
        "no on-site times in the history of `{site}` (completed orders with arrived_at, \
         at most 8 h on site)"
    )]
    NoOnsiteTimes {
        /// Site id.
        site: String,
    },
    /// An input or target the queueing maths refuses (a service-level target outside
    /// (0, 1), a negative handling time, …).
    #[error("{error}")]
    InvalidInput {
        /// What is wrong, naming the input.
        error: QueueingError,
        /// Where the input at fault came from, when it is one of the setup's inputs.
        from: Option<Source>,
    },
    /// A field centre asked for a queue plan, or a queue for a field plan.
    #[error("site `{site}` is a {}: it has no {wanted} plan", .scene.as_str())]
    WrongScene {
        /// Site id.
        site: String,
        /// Its scene.
        scene: Scene,
        /// The plan asked for (`queue`, `field`).
        wanted: &'static str,
    },
}

/// Which records give a queue's handling times, for the message.
fn handling_evidence(scene: Scene) -> &'static str {
    match scene {
        Scene::Hall => "served tickets with service_end_at",
        _ => "answered voice contacts with talk_s",
    }
}

/// The setup of any site: a queue for halls and call centres, a field crew for field
/// centres.
///
/// # Errors
/// As [`queue_setup`] and [`field_setup`].
pub fn site_setup(g: &Guideline, req: &PlanRequest<'_>) -> Result<Setup, PolicyError> {
    match req.site.scene {
        Scene::FieldCentre => field_setup(g, req).map(Setup::Field),
        Scene::Hall | Scene::CallCentre => queue_setup(g, req).map(Setup::Queue),
    }
}

/// The queue plan of a hall or call centre: handling time and patience from the user
/// or the history; T, the service-level target and the abandonment cap from the user,
/// the guideline or the defaults. The service level is planned on formula 4 (early
/// abandons neutral), the guideline's definition.
///
/// # Errors
/// [`PolicyError::NoHandlingTimes`] without a handling time;
/// [`PolicyError::InvalidInput`] when an input or target is outside its domain;
/// [`PolicyError::WrongScene`] for a field centre.
pub fn queue_setup(g: &Guideline, req: &PlanRequest<'_>) -> Result<QueueSetup, PolicyError> {
    let site = req.site;
    if site.scene == Scene::FieldCentre {
        return Err(PolicyError::WrongScene {
            site: site.id.clone(),
            scene: site.scene,
            wanted: "queue",
        });
    }
    let planning = g.planning();
    let rule = planning.queue_rule(site.scene);
    let defaults = planning.defaults;
    let given = &req.overrides;
    let (aht_s, aht) = match (given.aht_s, req.measured.handle_s) {
        (Some(a), _) => (a, Source::Flag),
        (None, Some(a)) if a > 0.0 => (a, Source::History),
        _ => {
            return Err(PolicyError::NoHandlingTimes {
                site: site.id.clone(),
                scene: site.scene,
            });
        }
    };
    let (patience_s, patience) = match (given.patience_s, req.measured.patience_s) {
        (Some(p), _) => (Some(p), Source::Flag),
        (None, Some(p)) => (Some(p), Source::History),
        (None, None) => (None, Source::History),
    };
    let (answer_within_s, answer_within) = match given.answer_within_s {
        Some(t) => (t, Source::Flag),
        None => rule
            .and_then(|r| {
                let t = numeric_option(g, &r.service_level, &r.threshold_option)?;
                Some((
                    r.threshold_unit.seconds(t),
                    Source::option(&r.service_level, &r.threshold_option),
                ))
            })
            .unwrap_or((defaults.answer_within_s, Source::Default)),
    };
    let (service_level, sl) = match given.sl_target {
        Some(p) => (p, Source::Flag),
        None => rule
            .and_then(|r| {
                let p = target_fraction(g, site, &r.service_level, req.level)?;
                Some((p, Source::target(&r.service_level, req.level)))
            })
            .unwrap_or((defaults.service_level, Source::Default)),
    };
    let (max_abandon, abandon) = match (given.max_abandon, patience_s) {
        (Some(b), _) => (Some(b), Source::Flag),
        (None, Some(_)) => rule
            .and_then(|r| r.abandonment.as_deref())
            .and_then(|id| {
                let b = target_fraction(g, site, id, req.level)?;
                Some((Some(b), Source::target(id, req.level)))
            })
            .unwrap_or((None, Source::Default)),
        (None, None) => (None, Source::Default),
    };
    let targets = Targets {
        answer_within_s,
        service_level: Some(service_level),
        asa_s: None,
        max_occupancy: given.max_occupancy,
        max_abandon,
    };
    let setup = QueueSetup {
        scene: site.scene,
        plan: QueuePlan {
            aht_s,
            patience_s,
            targets,
            basis: SlBasis::ExclEarlyAbandons,
            shrinkage: req.shrinkage,
        },
        aht,
        patience,
        answer_within,
        sl,
        abandon,
    };
    Queue::new(1.0, aht_s, patience_s)
        .and_then(|_| targets.validate(patience_s.is_some()))
        .map_err(|error| {
            let from = error.input().and_then(|input| setup.source_of(input));
            PolicyError::InvalidInput { error, from }
        })?;
    Ok(setup)
}

impl QueueSetup {
    /// Where an input of the queue came from, when it is one of the setup's.
    #[must_use]
    pub fn source_of(&self, input: Input) -> Option<Source> {
        match input {
            Input::AhtS => Some(self.aht.clone()),
            Input::PatienceS => Some(self.patience.clone()),
            Input::AnswerWithinS => Some(self.answer_within.clone()),
            Input::SlTarget => Some(self.sl.clone()),
            Input::MaxAbandon => Some(self.abandon.clone()),
            Input::MaxOccupancy => Some(Source::Flag),
            _ => None,
        }
    }
}

/// The technician model of a field centre: time on site from the user or the history,
/// the completion time limit from the user, the guideline's option for the site's area
/// class, or the default; travel and productive hours as given.
///
/// # Errors
/// [`PolicyError::NoOnsiteTimes`] without a time on site; [`PolicyError::WrongScene`]
/// for a hall or call centre. The parameters' ranges are checked by
/// [`super::field_plan`].
pub fn field_setup(g: &Guideline, req: &PlanRequest<'_>) -> Result<FieldSetup, PolicyError> {
    let site = req.site;
    if site.scene != Scene::FieldCentre {
        return Err(PolicyError::WrongScene {
            site: site.id.clone(),
            scene: site.scene,
            wanted: "field",
        });
    }
    let planning = g.planning();
    let (onsite_h, onsite) = match (req.overrides.onsite_h, req.measured.onsite_s) {
        (Some(h), _) => (h, Source::Flag),
        (None, Some(s)) => (s / 3600.0, Source::History),
        (None, None) => {
            return Err(PolicyError::NoOnsiteTimes {
                site: site.id.clone(),
            });
        }
    };
    let (limit_h, limit) = match req.overrides.limit_h {
        Some(h) => (h, Source::Flag),
        None => planning
            .field_centre
            .as_ref()
            .and_then(|r| {
                let option = r.limit_option(site.area)?;
                let value = numeric_option(g, &r.time_limit, option)?;
                Some((
                    r.limit_unit.hours(value),
                    Source::option(&r.time_limit, option),
                ))
            })
            .unwrap_or((planning.defaults.limit_h, Source::Default)),
    };
    Ok(FieldSetup {
        params: FieldParams {
            onsite_h,
            travel_h: req.travel_h,
            productive_h: req.productive_h,
            limit_h,
        },
        sources: FieldSources { onsite, limit },
    })
}

/// The goal or floor of an indicator's all-records target for the site, as a fraction
/// (the target ÷ the indicator's scale: 85 % → 0.85).
fn target_fraction(g: &Guideline, site: &Site, indicator: &str, level: TargetLevel) -> Option<f64> {
    let scale = g.indicator(indicator)?.scale;
    g.targets_for(indicator, site.scene, site.area, site.tier)
        .into_iter()
        .find(|t| t.selector.stratum().is_empty())
        .map(|t| match level {
            TargetLevel::Goal => t.goal / scale,
            TargetLevel::Floor => t.floor / scale,
        })
}

/// A numeric option of an indicator.
fn numeric_option(g: &Guideline, indicator: &str, name: &str) -> Option<f64> {
    match g.indicator(indicator)?.options.get(name)? {
        OptionValue::Num(n) => Some(*n),
        _ => None,
    }
}
