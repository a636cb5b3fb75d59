//! The demo organisation: a fictional operator with two provinces, six cities and 41 sites,
//! and its rendering as the organisation TOML that core loads.
//!
//! Provinces and cities are real place names; the operator and the sites are fictional.
//! Four sites carry a deliberate, explainable weakness (`Quirk`); every other site is
//! modelled the same way and differs only by size, area and chance.

use std::fmt::Write as _;

/// Scene of a site (spelled as in `yardstick-core`'s vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scene {
    Hall,
    CallCentre,
    FieldCentre,
}

impl Scene {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scene::Hall => "hall",
            Scene::CallCentre => "call_centre",
            Scene::FieldCentre => "field_centre",
        }
    }
}

/// Area class of a site or premises (two-level `Rural` and the four-level classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Area {
    Urban,
    Rural,
    MajorRural,
    MinorRural,
    Remote,
}

impl Area {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Area::Urban => "urban",
            Area::Rural => "rural",
            Area::MajorRural => "major_rural",
            Area::MinorRural => "minor_rural",
            Area::Remote => "remote",
        }
    }

    /// Demand relative to an urban site of the same tier (fewer people per site).
    pub(crate) fn demand_factor(self) -> f64 {
        match self {
            Area::Urban => 1.0,
            Area::MajorRural => 0.8,
            Area::Rural => 0.7,
            Area::MinorRural => 0.6,
            Area::Remote => 0.35,
        }
    }
}

/// Size tier of a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    Flagship,
    Standard,
    Small,
}

impl Tier {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Tier::Flagship => "flagship",
            Tier::Standard => "standard",
            Tier::Small => "small",
        }
    }
}

/// A deliberate weakness of a demo site, so that evaluations have something to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quirk {
    /// Nothing wrong beyond natural variation.
    None,
    /// A hall whose roster sends half the counters home at 17:00, before the after-work
    /// peak.
    EveningGap,
    /// A hall with new, under-trained staff: transaction errors and poor surveys.
    ErrorProne,
    /// A call centre whose queue message tells callers that all agents are busy (so many
    /// hang up within seconds) and which is rostered below the Erlang C requirement.
    ShortAbandon,
    /// A rural field centre with too few technicians and first-come-first-served dispatch.
    RepairBacklog,
}

/// One site of the demo organisation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SiteSpec {
    pub id: &'static str,
    pub city: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub scene: Scene,
    pub area: Area,
    pub tier: Tier,
    pub quirk: Quirk,
}

/// A node above the sites: (id, parent, level, zh, en).
type NodeSpec = (
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
);

const NODES: &[NodeSpec] = &[
    ("yuanda", None, "operator", "远达通信", "Yuanda Telecom"),
    (
        "zj",
        Some("yuanda"),
        "province",
        "浙江分公司",
        "Zhejiang branch",
    ),
    (
        "sc",
        Some("yuanda"),
        "province",
        "四川分公司",
        "Sichuan branch",
    ),
    ("zj-hz", Some("zj"), "city", "杭州分公司", "Hangzhou"),
    ("zj-nb", Some("zj"), "city", "宁波分公司", "Ningbo"),
    ("zj-ls", Some("zj"), "city", "丽水分公司", "Lishui"),
    ("sc-cd", Some("sc"), "city", "成都分公司", "Chengdu"),
    ("sc-my", Some("sc"), "city", "绵阳分公司", "Mianyang"),
    ("sc-gz", Some("sc"), "city", "甘孜分公司", "Garzê (Ganzi)"),
];

const fn site(
    id: &'static str,
    city: &'static str,
    zh: &'static str,
    en: &'static str,
    scene: Scene,
    area: Area,
    tier: Tier,
) -> SiteSpec {
    SiteSpec {
        id,
        city,
        zh,
        en,
        scene,
        area,
        tier,
        quirk: Quirk::None,
    }
}

const fn quirky(s: SiteSpec, quirk: Quirk) -> SiteSpec {
    SiteSpec { quirk, ..s }
}

use Area::{MajorRural, MinorRural, Remote, Rural, Urban};
use Scene::{CallCentre, FieldCentre, Hall};
use Tier::{Flagship, Small, Standard};

/// All sites in file order: halls, call centres, field centres, city by city.
pub(crate) const SITES: &[SiteSpec] = &[
    site(
        "hz-h01",
        "zj-hz",
        "杭州武林广场旗舰营业厅",
        "Hangzhou Wulin Square Flagship Hall",
        Hall,
        Urban,
        Flagship,
    ),
    quirky(
        site(
            "hz-h02",
            "zj-hz",
            "杭州文三路营业厅",
            "Hangzhou Wensan Road Hall",
            Hall,
            Urban,
            Standard,
        ),
        Quirk::EveningGap,
    ),
    site(
        "hz-h03",
        "zj-hz",
        "杭州滨江营业厅",
        "Hangzhou Binjiang Hall",
        Hall,
        Urban,
        Standard,
    ),
    site(
        "hz-h04",
        "zj-hz",
        "淳安千岛湖营业厅",
        "Chun'an Qiandao Lake Hall",
        Hall,
        MajorRural,
        Small,
    ),
    site(
        "nb-h01",
        "zj-nb",
        "宁波天一广场旗舰营业厅",
        "Ningbo Tianyi Square Flagship Hall",
        Hall,
        Urban,
        Flagship,
    ),
    site(
        "nb-h02",
        "zj-nb",
        "宁波江北营业厅",
        "Ningbo Jiangbei Hall",
        Hall,
        Urban,
        Standard,
    ),
    site(
        "nb-h03",
        "zj-nb",
        "象山石浦营业厅",
        "Xiangshan Shipu Hall",
        Hall,
        MinorRural,
        Small,
    ),
    site(
        "ls-h01",
        "zj-ls",
        "丽水中山街营业厅",
        "Lishui Zhongshan Street Hall",
        Hall,
        Urban,
        Standard,
    ),
    site(
        "ls-h02",
        "zj-ls",
        "遂昌营业厅",
        "Suichang Hall",
        Hall,
        Rural,
        Small,
    ),
    site(
        "cd-h01",
        "sc-cd",
        "成都春熙路旗舰营业厅",
        "Chengdu Chunxi Road Flagship Hall",
        Hall,
        Urban,
        Flagship,
    ),
    quirky(
        site(
            "cd-h02",
            "sc-cd",
            "成都高新营业厅",
            "Chengdu Hi-Tech Zone Hall",
            Hall,
            Urban,
            Standard,
        ),
        Quirk::ErrorProne,
    ),
    site(
        "cd-h03",
        "sc-cd",
        "成都双流营业厅",
        "Chengdu Shuangliu Hall",
        Hall,
        Urban,
        Standard,
    ),
    site(
        "cd-h04",
        "sc-cd",
        "郫都营业厅",
        "Pidu Hall",
        Hall,
        MajorRural,
        Standard,
    ),
    site(
        "my-h01",
        "sc-my",
        "绵阳涪城营业厅",
        "Mianyang Fucheng Hall",
        Hall,
        Urban,
        Standard,
    ),
    site(
        "my-h02",
        "sc-my",
        "江油营业厅",
        "Jiangyou Hall",
        Hall,
        MajorRural,
        Small,
    ),
    site(
        "gz-h01",
        "sc-gz",
        "康定营业厅",
        "Kangding Hall",
        Hall,
        Rural,
        Standard,
    ),
    site(
        "gz-h02",
        "sc-gz",
        "理塘营业厅",
        "Litang Hall",
        Hall,
        Remote,
        Small,
    ),
    site(
        "hz-c01",
        "zj-hz",
        "杭州客户服务中心",
        "Hangzhou Customer Service Centre",
        CallCentre,
        Urban,
        Flagship,
    ),
    quirky(
        site(
            "nb-c01",
            "zj-nb",
            "宁波客户服务中心",
            "Ningbo Customer Service Centre",
            CallCentre,
            Urban,
            Standard,
        ),
        Quirk::ShortAbandon,
    ),
    site(
        "ls-c01",
        "zj-ls",
        "丽水客服分中心",
        "Lishui Customer Service Sub-centre",
        CallCentre,
        Urban,
        Small,
    ),
    site(
        "cd-c01",
        "sc-cd",
        "成都客户服务中心",
        "Chengdu Customer Service Centre",
        CallCentre,
        Urban,
        Flagship,
    ),
    site(
        "my-c01",
        "sc-my",
        "绵阳客户服务中心",
        "Mianyang Customer Service Centre",
        CallCentre,
        Urban,
        Standard,
    ),
    site(
        "gz-c01",
        "sc-gz",
        "甘孜藏汉双语客服组",
        "Garzê Tibetan–Chinese Bilingual Helpdesk",
        CallCentre,
        Rural,
        Small,
    ),
    site(
        "hz-f01",
        "zj-hz",
        "杭州上城装维中心",
        "Hangzhou Shangcheng Field Centre",
        FieldCentre,
        Urban,
        Flagship,
    ),
    site(
        "hz-f02",
        "zj-hz",
        "杭州余杭装维中心",
        "Hangzhou Yuhang Field Centre",
        FieldCentre,
        Urban,
        Standard,
    ),
    site(
        "hz-f03",
        "zj-hz",
        "淳安装维中心",
        "Chun'an Field Centre",
        FieldCentre,
        MinorRural,
        Standard,
    ),
    site(
        "nb-f01",
        "zj-nb",
        "宁波鄞州装维中心",
        "Ningbo Yinzhou Field Centre",
        FieldCentre,
        Urban,
        Standard,
    ),
    site(
        "nb-f02",
        "zj-nb",
        "宁海装维中心",
        "Ninghai Field Centre",
        FieldCentre,
        MajorRural,
        Standard,
    ),
    site(
        "nb-f03",
        "zj-nb",
        "象山装维中心",
        "Xiangshan Field Centre",
        FieldCentre,
        MinorRural,
        Small,
    ),
    site(
        "ls-f01",
        "zj-ls",
        "丽水莲都装维中心",
        "Lishui Liandu Field Centre",
        FieldCentre,
        Urban,
        Standard,
    ),
    site(
        "ls-f02",
        "zj-ls",
        "龙泉装维中心",
        "Longquan Field Centre",
        FieldCentre,
        MajorRural,
        Small,
    ),
    site(
        "ls-f03",
        "zj-ls",
        "景宁装维中心",
        "Jingning Field Centre",
        FieldCentre,
        Remote,
        Small,
    ),
    site(
        "cd-f01",
        "sc-cd",
        "成都锦江装维中心",
        "Chengdu Jinjiang Field Centre",
        FieldCentre,
        Urban,
        Flagship,
    ),
    site(
        "cd-f02",
        "sc-cd",
        "成都温江装维中心",
        "Chengdu Wenjiang Field Centre",
        FieldCentre,
        Urban,
        Standard,
    ),
    site(
        "cd-f03",
        "sc-cd",
        "大邑装维中心",
        "Dayi Field Centre",
        FieldCentre,
        MajorRural,
        Standard,
    ),
    site(
        "my-f01",
        "sc-my",
        "绵阳涪城装维中心",
        "Mianyang Fucheng Field Centre",
        FieldCentre,
        Urban,
        Standard,
    ),
    quirky(
        site(
            "my-f02",
            "sc-my",
            "北川装维中心",
            "Beichuan Field Centre",
            FieldCentre,
            MinorRural,
            Standard,
        ),
        Quirk::RepairBacklog,
    ),
    site(
        "my-f03",
        "sc-my",
        "平武装维中心",
        "Pingwu Field Centre",
        FieldCentre,
        Remote,
        Small,
    ),
    site(
        "gz-f01",
        "sc-gz",
        "康定装维中心",
        "Kangding Field Centre",
        FieldCentre,
        Rural,
        Standard,
    ),
    site(
        "gz-f02",
        "sc-gz",
        "稻城装维中心",
        "Daocheng Field Centre",
        FieldCentre,
        Remote,
        Small,
    ),
    site(
        "gz-f03",
        "sc-gz",
        "色达装维中心",
        "Sêrtar (Seda) Field Centre",
        FieldCentre,
        Remote,
        Small,
    ),
];

/// The city whose field centres suffer a declared mass outage (a typhoon cuts a trunk
/// fibre) part-way through the period; the repairs it causes carry `exclusion = mass_outage`.
pub(crate) const MASS_OUTAGE_CITY: &str = "zj-nb";

/// The organisation as TOML in the format `yardstick-core` loads (`[[node]]`, `[[site]]`).
pub(crate) fn org_toml() -> String {
    let mut s = String::from(
        "# Demo organisation generated by `yardstick demo generate`.\n# The operator and its sites are fictional; provinces and cities are real places.\n",
    );
    for (id, parent, level, zh, en) in NODES {
        let _ = write!(s, "\n[[node]]\nid = \"{id}\"\n");
        if let Some(p) = parent {
            let _ = writeln!(s, "parent = \"{p}\"");
        }
        let _ = write!(
            s,
            "level = \"{level}\"\nname_zh = \"{zh}\"\nname_en = \"{}\"\n",
            escape(en)
        );
    }
    for site in SITES {
        let _ = write!(
            s,
            "\n[[site]]\nid = \"{}\"\nparent = \"{}\"\nname_zh = \"{}\"\nname_en = \"{}\"\nscene = \"{}\"\narea = \"{}\"\ntier = \"{}\"\ntz = \"Asia/Shanghai\"\n",
            site.id,
            site.city,
            site.zh,
            escape(site.en),
            site.scene.as_str(),
            site.area.as_str(),
            site.tier.as_str()
        );
    }
    s
}

/// Escapes a TOML basic string.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_parents_are_cities() {
        let mut ids: Vec<&str> = SITES
            .iter()
            .map(|s| s.id)
            .chain(NODES.iter().map(|n| n.0))
            .collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
        for s in SITES {
            assert!(
                NODES
                    .iter()
                    .any(|(id, _, level, _, _)| *id == s.city && *level == "city"),
                "{}",
                s.id
            );
        }
    }

    #[test]
    fn the_mix_covers_every_scene_area_and_tier() {
        let count = |f: &dyn Fn(&SiteSpec) -> bool| SITES.iter().filter(|s| f(s)).count();
        assert!(SITES.len() >= 40);
        assert_eq!(count(&|s| s.scene == Scene::CallCentre), 6);
        for area in [Urban, Rural, MajorRural, MinorRural, Remote] {
            assert!(count(&|s| s.area == area) > 0, "{area:?}");
        }
        for tier in [Flagship, Standard, Small] {
            assert!(count(&|s| s.tier == tier) > 0, "{tier:?}");
        }
        assert_eq!(count(&|s| s.quirk != Quirk::None), 4);
    }
}
