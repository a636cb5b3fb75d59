//! Shared vocabulary of the domain: scenes, area classes, tiers and languages.
//!
//! These small enums appear in the organisation, in target selectors and in records,
//! so they live in one place with their canonical spellings (used in TOML, CSV and JSON).

use serde::{Deserialize, Serialize};

/// The three kinds of front-line service site the guideline covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scene {
    /// 营业厅 business hall.
    Hall,
    /// 呼叫中心 call centre.
    CallCentre,
    /// 装维中心 installation & maintenance centre.
    FieldCentre,
}

impl Scene {
    /// All scenes in canonical order.
    pub const ALL: [Scene; 3] = [Scene::Hall, Scene::CallCentre, Scene::FieldCentre];

    /// Canonical spelling used in files.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Scene::Hall => "hall",
            Scene::CallCentre => "call_centre",
            Scene::FieldCentre => "field_centre",
        }
    }

    /// Parses the canonical spelling.
    #[must_use]
    pub fn parse(s: &str) -> Option<Scene> {
        Scene::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Human name in the given language.
    #[must_use]
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Scene::Hall, Lang::Zh) => "营业厅",
            (Scene::CallCentre, Lang::Zh) => "呼叫中心",
            (Scene::FieldCentre, Lang::Zh) => "装维中心",
            (Scene::Hall, Lang::En) => "business hall",
            (Scene::CallCentre, Lang::En) => "call centre",
            (Scene::FieldCentre, Lang::En) => "field centre",
        }
    }
}

/// Area class of a site. Both the two-level Chinese scheme (城镇/农村) and the
/// four-level scheme (urban / major rural / minor rural / remote) are expressible:
/// `Rural` is the two-level value, the other three rural values refine it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaClass {
    /// 城镇 urban.
    Urban,
    /// 农村 rural (two-level scheme, not refined).
    Rural,
    /// Major rural (2 501–9 999 people in the ACMA scheme).
    MajorRural,
    /// Minor rural (201–2 500 people).
    MinorRural,
    /// Remote (≤ 200 people).
    Remote,
}

impl AreaClass {
    /// All area classes in canonical order.
    pub const ALL: [AreaClass; 5] = [
        AreaClass::Urban,
        AreaClass::Rural,
        AreaClass::MajorRural,
        AreaClass::MinorRural,
        AreaClass::Remote,
    ];

    /// Canonical spelling used in files.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AreaClass::Urban => "urban",
            AreaClass::Rural => "rural",
            AreaClass::MajorRural => "major_rural",
            AreaClass::MinorRural => "minor_rural",
            AreaClass::Remote => "remote",
        }
    }

    /// Parses the canonical spelling.
    #[must_use]
    pub fn parse(s: &str) -> Option<AreaClass> {
        AreaClass::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The two-level class (城镇/农村) this class belongs to.
    #[must_use]
    pub fn two_level(self) -> AreaClass {
        match self {
            AreaClass::Urban => AreaClass::Urban,
            _ => AreaClass::Rural,
        }
    }

    /// Whether a selector value matches a site's class: a selector `rural` matches every
    /// rural refinement, a refined selector matches only itself.
    #[must_use]
    pub fn selector_matches(selector: AreaClass, site: AreaClass) -> bool {
        selector == site || (selector == AreaClass::Rural && site.two_level() == AreaClass::Rural)
    }

    /// Human name in the given language.
    #[must_use]
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (AreaClass::Urban, Lang::Zh) => "城镇",
            (AreaClass::Rural, Lang::Zh) => "农村",
            (AreaClass::MajorRural, Lang::Zh) => "农村(大)",
            (AreaClass::MinorRural, Lang::Zh) => "农村(小)",
            (AreaClass::Remote, Lang::Zh) => "偏远",
            (AreaClass::Urban, Lang::En) => "urban",
            (AreaClass::Rural, Lang::En) => "rural",
            (AreaClass::MajorRural, Lang::En) => "major rural",
            (AreaClass::MinorRural, Lang::En) => "minor rural",
            (AreaClass::Remote, Lang::En) => "remote",
        }
    }
}

/// Size tier of a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// 旗舰 flagship.
    Flagship,
    /// 标准 standard.
    Standard,
    /// 小型 small.
    Small,
}

impl Tier {
    /// All tiers in canonical order.
    pub const ALL: [Tier; 3] = [Tier::Flagship, Tier::Standard, Tier::Small];

    /// Canonical spelling used in files.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Flagship => "flagship",
            Tier::Standard => "standard",
            Tier::Small => "small",
        }
    }

    /// Parses the canonical spelling.
    #[must_use]
    pub fn parse(s: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Language of user-facing text. Chinese is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// Simplified Chinese (default).
    #[default]
    Zh,
    /// English.
    En,
}

/// A text in both product languages.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Text {
    /// Chinese text.
    pub zh: String,
    /// English text.
    pub en: String,
}

impl Text {
    /// Builds a text from both languages.
    #[must_use]
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The text in one language.
    #[must_use]
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}
