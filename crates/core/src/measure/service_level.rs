//! Raw contact counts for service level and the five ways of turning them into a rate.
//!
//! There is no single industry definition of service level: operators differ on whether
//! abandoned contacts count against the site, and on whether very short abandons (a
//! caller who hangs up after two seconds) count at all. Keeping the raw counts per
//! class lets every variant, and a later change of variant, be computed from the same
//! stored states (DOMAIN.md §3.7, indicator CC-02).

use serde::{Deserialize, Serialize};

use super::Derived;

/// How the engine classified one contact against threshold T and short-abandon
/// threshold S.
///
/// The classes are disjoint and assume S ≤ T, which the guideline validator should
/// enforce: a short abandon (before S) is then also an abandon within T.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlClass {
    /// Answered by an agent with a wait ≤ T.
    AnsweredWithin,
    /// Answered by an agent with a wait > T.
    AnsweredAfter,
    /// Abandoned in the agent queue before S.
    AbandonedShort,
    /// Abandoned in the agent queue at or after S and at or before T.
    AbandonedWithin,
    /// Abandoned in the agent queue after T.
    AbandonedAfter,
    /// Ended in the IVR or self-service without reaching the agent queue.
    IvrContained,
}

/// Contact counts per [`SlClass`]; merge by adding.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceLevelCounts {
    /// Answered with a wait ≤ T.
    pub answered_within: u64,
    /// Answered with a wait > T.
    pub answered_after: u64,
    /// Abandoned before S (S ≤ T).
    pub abandoned_short: u64,
    /// Abandoned at or after S and at or before T.
    pub abandoned_within: u64,
    /// Abandoned after T.
    pub abandoned_after: u64,
    /// Never reached the agent queue; in no denominator, counted for reporting only.
    pub ivr_contained: u64,
}

/// The five service-level formulas of DOMAIN.md §3.7.
///
/// With `ans` answered, `ab` abandoned in the agent queue, `≤T` meaning within the
/// threshold and `ab_short` the abandons before S:
///
/// | variant | serde name | formula |
/// |---|---|---|
/// | 1 | `early_abandons_met` | (ans≤T + ab≤T) / (ans + ab) |
/// | 2 | `answered_only` | ans≤T / ans |
/// | 3 | `pure` | ans≤T / (ans + ab) |
/// | 4 | `early_abandons_neutral` | ans≤T / (ans + ab>T) |
/// | 5 | `short_abandons_neutral` | ans≤T / (ans + ab − ab_short) |
///
/// `ab≤T` includes the short abandons. Contained IVR contacts are in no denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlVariant {
    /// 1: abandons within T count as met, so they cannot hurt the rate.
    EarlyAbandonsMet,
    /// 2: abandons are ignored entirely (not recommended; hides lost callers).
    AnsweredOnly,
    /// 3: every abandon counts as missed; the strictest.
    Pure,
    /// 4: abandons within T are removed from the denominator (CC-02's default).
    EarlyAbandonsNeutral,
    /// 5: like 3, but abandons shorter than S are removed from the denominator.
    ShortAbandonsNeutral,
}

impl SlVariant {
    /// All variants in the numbering of DOMAIN.md §3.7.
    pub const ALL: [SlVariant; 5] = [
        SlVariant::EarlyAbandonsMet,
        SlVariant::AnsweredOnly,
        SlVariant::Pure,
        SlVariant::EarlyAbandonsNeutral,
        SlVariant::ShortAbandonsNeutral,
    ];

    /// The variant's number (1–5) in DOMAIN.md §3.7.
    #[must_use]
    pub fn number(self) -> u8 {
        match self {
            SlVariant::EarlyAbandonsMet => 1,
            SlVariant::AnsweredOnly => 2,
            SlVariant::Pure => 3,
            SlVariant::EarlyAbandonsNeutral => 4,
            SlVariant::ShortAbandonsNeutral => 5,
        }
    }

    /// Serde names in the order of [`SlVariant::ALL`], for messages listing valid values.
    pub const NAMES: [&'static str; 5] = [
        "early_abandons_met",
        "answered_only",
        "pure",
        "early_abandons_neutral",
        "short_abandons_neutral",
    ];

    /// The serde name of the variant.
    #[must_use]
    pub fn name(self) -> &'static str {
        Self::NAMES[usize::from(self.number() - 1)]
    }

    /// Parses a serde name or a number `1`–`5`.
    #[must_use]
    pub fn parse(s: &str) -> Option<SlVariant> {
        SlVariant::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .or_else(|| s.parse::<u8>().ok().and_then(SlVariant::from_number))
    }

    /// The variant with the given number, if it is 1–5.
    #[must_use]
    pub fn from_number(number: u8) -> Option<SlVariant> {
        SlVariant::ALL.into_iter().find(|v| v.number() == number)
    }
}

impl ServiceLevelCounts {
    /// Counts one classified contact.
    pub fn record(&mut self, class: SlClass) {
        let slot = match class {
            SlClass::AnsweredWithin => &mut self.answered_within,
            SlClass::AnsweredAfter => &mut self.answered_after,
            SlClass::AbandonedShort => &mut self.abandoned_short,
            SlClass::AbandonedWithin => &mut self.abandoned_within,
            SlClass::AbandonedAfter => &mut self.abandoned_after,
            SlClass::IvrContained => &mut self.ivr_contained,
        };
        *slot = slot.saturating_add(1);
    }

    /// Adds the counts of `other`.
    pub fn merge(&mut self, other: &ServiceLevelCounts) {
        self.answered_within = self.answered_within.saturating_add(other.answered_within);
        self.answered_after = self.answered_after.saturating_add(other.answered_after);
        self.abandoned_short = self.abandoned_short.saturating_add(other.abandoned_short);
        self.abandoned_within = self.abandoned_within.saturating_add(other.abandoned_within);
        self.abandoned_after = self.abandoned_after.saturating_add(other.abandoned_after);
        self.ivr_contained = self.ivr_contained.saturating_add(other.ivr_contained);
    }

    /// Contacts answered by an agent.
    #[must_use]
    pub fn answered(&self) -> u64 {
        self.answered_within.saturating_add(self.answered_after)
    }

    /// Contacts abandoned in the agent queue, short ones included.
    #[must_use]
    pub fn abandoned(&self) -> u64 {
        self.abandoned_short
            .saturating_add(self.abandoned_within)
            .saturating_add(self.abandoned_after)
    }

    /// Contacts offered to the agent queue: answered plus abandoned.
    #[must_use]
    pub fn offered(&self) -> u64 {
        self.answered().saturating_add(self.abandoned())
    }

    /// All classified contacts, IVR-contained ones included.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.offered().saturating_add(self.ivr_contained)
    }

    /// Whether no contact was classified.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// The service level under `variant`, as a fraction in [0, 1], with its
    /// denominator as sample size; `None` when the denominator is zero.
    #[must_use]
    pub fn service_level(&self, variant: SlVariant) -> Derived {
        let abandoned_within_t = self.abandoned_short.saturating_add(self.abandoned_within);
        let (numerator, denominator) = match variant {
            SlVariant::EarlyAbandonsMet => (
                self.answered_within.saturating_add(abandoned_within_t),
                self.offered(),
            ),
            SlVariant::AnsweredOnly => (self.answered_within, self.answered()),
            SlVariant::Pure => (self.answered_within, self.offered()),
            SlVariant::EarlyAbandonsNeutral => (
                self.answered_within,
                self.answered().saturating_add(self.abandoned_after),
            ),
            SlVariant::ShortAbandonsNeutral => (
                self.answered_within,
                self.offered().saturating_sub(self.abandoned_short),
            ),
        };
        Derived::fraction(numerator, denominator)
    }
}
