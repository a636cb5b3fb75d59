//! The guideline as data: model, TOML parser and validator, the built-in default, diff.
//!
//! A guideline version is one human-editable TOML file (format in
//! `docs/guideline-format.md`). [`load`] turns it into a validated [`Guideline`] or
//! reports every located error; [`default_guideline`] is the bundled bilingual default
//! implementing DOMAIN.md §4–§6; [`Planning`] says which indicators set the targets of
//! site plans; [`diff`] compares two versions; [`Guideline::fingerprint`]
//! identifies a version by content.

mod diff;
mod load;
mod model;
mod observe;
mod raw;

pub use crate::diag::{Diagnostic, LoadError};
pub use diff::{Change, diff};
pub use load::load;
pub use model::{
    Clause, Compiled, Dimension, Direction, FieldRule, Guideline, Indicator, Item, ItemMethod,
    Level, Measure, OptionValue, Planning, PlanningDefaults, QueueRule, RedLine, RedLineRule,
    ScoringModel, Selector, ServiceLevelSpec, Target, TimeUnit, stratum_key,
};
pub use observe::{Observed, classify, in_stratum, observe, sl_class};

/// Source text of the built-in default guideline.
pub const DEFAULT_TOML: &str = include_str!("../../data/guideline/default.toml");

/// File name used in messages about the built-in default.
pub const DEFAULT_NAME: &str = "<built-in default guideline>";

/// The built-in default guideline.
///
/// # Errors
/// Only if the bundled file is invalid, which the test suite rules out.
pub fn default_guideline() -> Result<Guideline, LoadError> {
    load(DEFAULT_NAME, DEFAULT_TOML)
}

impl Guideline {
    /// SHA-256 of the canonical JSON form of the validated model: two files that differ
    /// only in comments or layout have the same fingerprint.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        // The model holds only strings, numbers, lists and string-keyed maps, so it always
        // serialises; the test suite checks the default guideline's fingerprint.
        crate::fingerprint::of_json(self).unwrap_or_default()
    }

    /// Targets of one indicator that match a site, most specific first, grouped by
    /// record stratum: for each stratum the single best match.
    #[must_use]
    pub fn targets_for(
        &self,
        indicator: &str,
        scene: crate::vocab::Scene,
        area: crate::vocab::AreaClass,
        tier: crate::vocab::Tier,
    ) -> Vec<&Target> {
        let mut best: std::collections::BTreeMap<String, &Target> =
            std::collections::BTreeMap::new();
        for t in self.targets.iter().filter(|t| t.indicator == indicator) {
            let s = &t.selector;
            let matches = s.scene.is_none_or(|x| x == scene)
                && s.area
                    .is_none_or(|x| crate::vocab::AreaClass::selector_matches(x, area))
                && s.tier.is_none_or(|x| x == tier);
            if !matches {
                continue;
            }
            let key = s.stratum();
            let better = best.get(&key).is_none_or(|b| {
                // A refined area selector (e.g. `remote`) beats the two-level `rural`.
                let refined =
                    |x: &Selector| x.area.is_some_and(|a| a != crate::vocab::AreaClass::Rural);
                (s.specificity(), refined(s)) > (b.selector.specificity(), refined(&b.selector))
            });
            if better {
                best.insert(key, t);
            }
        }
        best.into_values().collect()
    }
}
