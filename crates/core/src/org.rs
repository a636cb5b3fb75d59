//! The organisation tree: operator → province → city → site, with validation.
//!
//! An organisation is loaded from TOML (`[[node]]` and `[[site]]` tables; see
//! `docs/organisation-format.md`). Validation checks unique ids, that every parent exists
//! and sits one level up (operator → province → city → site), that the tree has one
//! root, and that scenes, area classes, tiers and time zones are valid; every problem is
//! reported, located, at once.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::calendar::{BusinessCalendar, CalendarConfig, CalendarError};
use crate::diag::{Collector, LoadError, toml_problem};
use crate::i18n::Msg;
use crate::vocab::{AreaClass, Scene, Text, Tier};

/// Level of a non-site node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeLevel {
    /// The operator (root).
    Operator,
    /// A province (省公司).
    Province,
    /// A city (市公司).
    City,
}

impl NodeLevel {
    /// The catalogue key of "an operator", "a province", "a city", for the organisation
    /// file's messages.
    fn a_level(self) -> &'static str {
        match self {
            NodeLevel::Operator => "org_file.a_level.operator",
            NodeLevel::Province => "org_file.a_level.province",
            NodeLevel::City => "org_file.a_level.city",
        }
    }

    fn parse(s: &str) -> Option<NodeLevel> {
        match s {
            "operator" => Some(NodeLevel::Operator),
            "province" => Some(NodeLevel::Province),
            "city" => Some(NodeLevel::City),
            _ => None,
        }
    }
}

/// An organisation node above sites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Unique id.
    pub id: String,
    /// Parent id (`None` for the operator).
    pub parent: Option<String>,
    /// Level.
    pub level: NodeLevel,
    /// Name.
    pub name: Text,
}

/// A front-line service site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// Unique id.
    pub id: String,
    /// City node id.
    pub parent: String,
    /// Name.
    pub name: Text,
    /// Scene.
    pub scene: Scene,
    /// Area class.
    pub area: AreaClass,
    /// Tier.
    pub tier: Tier,
    /// Time zone (IANA), parsed once when the organisation is loaded: a site with an
    /// unknown zone never exists as a value.
    #[serde(with = "tz_name")]
    pub tz: chrono_tz::Tz,
    /// Business calendar id (opening hours); `None` = the scene's default.
    pub calendar: Option<String>,
    /// Explicit peer group; `None` = derived from scene, tier and area class.
    pub peer_group: Option<String>,
}

impl Site {
    /// The peer group used for ranking: explicit, or `scene/tier/area` with the
    /// two-level area class, so that urban sites are ranked among urban sites.
    #[must_use]
    pub fn peer_group(&self) -> String {
        self.peer_group.clone().unwrap_or_else(|| {
            format!(
                "{}/{}/{}",
                self.scene.as_str(),
                self.tier.as_str(),
                self.area.two_level().as_str()
            )
        })
    }
}

/// A validated organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    /// Nodes, operator first, in file order otherwise.
    pub nodes: Vec<Node>,
    /// Sites in file order.
    pub sites: Vec<Site>,
    /// Business calendars (opening hours, holiday hours, closures) by id.
    #[serde(default)]
    pub calendars: BTreeMap<String, CalendarConfig>,
}

/// Default time zone of sites.
pub const DEFAULT_TZ: &str = "Asia/Shanghai";

impl Organisation {
    /// Parses and validates an organisation file. `file` only labels messages.
    ///
    /// # Errors
    /// Every problem found, located.
    pub fn from_toml(file: &str, src: &str) -> Result<Organisation, LoadError> {
        let mut out = Collector::new(src);
        let org = parse(src, &mut out);
        out.finish(file, org)
    }

    /// The site with this id.
    #[must_use]
    pub fn site(&self, id: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.id == id)
    }

    /// The node with this id.
    #[must_use]
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The business calendar of a site: its own, or the default of its scene's opening
    /// hours when it names none (China mainland holidays, the site's time zone).
    ///
    /// # Errors
    /// Only if the holiday data cannot be loaded (validated calendars always build).
    pub fn calendar_of(&self, site: &Site) -> Result<BusinessCalendar, CalendarError> {
        let mut cfg = site
            .calendar
            .as_ref()
            .and_then(|c| self.calendars.get(c))
            .cloned()
            .unwrap_or_default();
        if site.calendar.is_none() {
            cfg.tz = site.tz.name().to_string();
        }
        BusinessCalendar::try_from(cfg)
    }

    /// Whether `id` names a node or a site.
    #[must_use]
    pub fn contains(&self, id: &str) -> bool {
        self.node(id).is_some() || self.site(id).is_some()
    }

    /// Ids from the site or node up to the root, itself first.
    #[must_use]
    pub fn ancestors(&self, id: &str) -> Vec<String> {
        let mut out = vec![id.to_string()];
        let mut parent = self
            .site(id)
            .map(|s| s.parent.clone())
            .or_else(|| self.node(id).and_then(|n| n.parent.clone()));
        // The tree was validated acyclic; the bound guards against misuse anyway.
        while let Some(p) = parent.filter(|_| out.len() <= self.nodes.len() + 1) {
            out.push(p.clone());
            parent = self.node(&p).and_then(|n| n.parent.clone());
        }
        out
    }

    /// Sites at or under a node (or the site itself), in file order.
    #[must_use]
    pub fn sites_under(&self, id: &str) -> Vec<&Site> {
        let below = self.node_ids_under(id);
        self.sites
            .iter()
            .filter(|s| s.id == id || below.contains(s.parent.as_str()))
            .collect()
    }

    /// Nodes at or under a node, in file order.
    #[must_use]
    pub fn nodes_under(&self, id: &str) -> Vec<&Node> {
        let below = self.node_ids_under(id);
        self.nodes
            .iter()
            .filter(|n| below.contains(n.id.as_str()))
            .collect()
    }

    /// Ids of the node and every node under it, found by walking the nodes once per
    /// level (the tree has at most three node levels), so that a roll-up over thousands
    /// of sites stays linear.
    fn node_ids_under(&self, id: &str) -> BTreeSet<&str> {
        let mut below: BTreeSet<&str> = self
            .nodes
            .iter()
            .filter(|n| n.id == id)
            .map(|n| n.id.as_str())
            .collect();
        // The tree was validated acyclic and has at most three node levels; the bound
        // guards against misuse anyway.
        for _ in 0..=self.nodes.len().min(8) {
            let before = below.len();
            for n in &self.nodes {
                if n.parent.as_deref().is_some_and(|p| below.contains(p)) {
                    below.insert(n.id.as_str());
                }
            }
            if below.len() == before {
                break;
            }
        }
        below
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrg {
    #[serde(default)]
    node: Vec<Spanned<RawNode>>,
    #[serde(default)]
    site: Vec<Spanned<RawSite>>,
    #[serde(default)]
    calendar: BTreeMap<String, Spanned<CalendarConfig>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    id: Spanned<String>,
    #[serde(default)]
    parent: Option<Spanned<String>>,
    level: Spanned<String>,
    name_zh: String,
    #[serde(default)]
    name_en: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    id: Spanned<String>,
    parent: Spanned<String>,
    name_zh: String,
    #[serde(default)]
    name_en: Option<String>,
    scene: Spanned<String>,
    area: Spanned<String>,
    #[serde(default)]
    tier: Option<Spanned<String>>,
    #[serde(default)]
    tz: Option<Spanned<String>>,
    #[serde(default)]
    calendar: Option<Spanned<String>>,
    #[serde(default)]
    peer_group: Option<String>,
}

fn parse(src: &str, out: &mut Collector<'_>) -> Option<Organisation> {
    let raw: RawOrg = match toml::from_str(src) {
        Ok(r) => r,
        Err(e) => {
            out.err_msg(
                e.span().unwrap_or(0..0),
                Msg::new("diag.path.file"),
                toml_problem(e.message()),
            );
            return None;
        }
    };
    let mut ids = BTreeSet::new();
    let mut levels: BTreeMap<String, NodeLevel> = BTreeMap::new();
    for n in &raw.node {
        let n = n.get_ref();
        if !ids.insert(n.id.get_ref().clone()) {
            out.err_msg(
                n.id.span(),
                node_path(n.id.get_ref(), None),
                Msg::new("org_file.duplicate_id"),
            );
        }
        match NodeLevel::parse(n.level.get_ref()) {
            Some(l) => {
                levels.insert(n.id.get_ref().clone(), l);
            }
            None => out.err_msg(
                n.level.span(),
                node_path(n.id.get_ref(), Some("level")),
                bad_value(
                    "org_file.unknown_level",
                    n.level.get_ref(),
                    &["operator", "province", "city"],
                ),
            ),
        }
    }
    let nodes = nodes(&raw.node, &levels, out);
    let sites: Vec<Site> = raw
        .site
        .iter()
        .filter_map(|s| site(s.get_ref(), &mut ids, &levels, out))
        .collect();
    for (id, cal) in &raw.calendar {
        if let Err(e) = BusinessCalendar::try_from(cal.get_ref().clone()) {
            out.err_msg(
                cal.span(),
                Msg::new("org_file.path.calendar").arg("id", id),
                e.msg(),
            );
        }
    }
    for s in &raw.site {
        let s = s.get_ref();
        if let Some(c) = &s.calendar
            && !raw.calendar.contains_key(c.get_ref())
        {
            let known: Vec<&str> = raw.calendar.keys().map(String::as_str).collect();
            let message = if known.is_empty() {
                Msg::new("org_file.unknown_calendar_none")
            } else {
                Msg::new("org_file.unknown_calendar").arg("defined", known.join(", "))
            };
            out.err_msg(
                c.span(),
                site_path(s.id.get_ref(), Some("calendar")),
                message.arg("calendar", c.get_ref()),
            );
        }
    }
    if raw.node.is_empty() {
        out.err_msg(
            0..0,
            Msg::new("org_file.path.nodes"),
            Msg::new("org_file.no_nodes"),
        );
    }
    let calendars = raw
        .calendar
        .into_iter()
        .map(|(k, v)| (k, v.into_inner()))
        .collect();
    Some(Organisation {
        nodes,
        sites,
        calendars,
    })
}

/// "node ID" or "node ID.KEY", where a problem of a `[[node]]` entry is.
fn node_path(id: &str, key: Option<&str>) -> Msg {
    match key {
        None => Msg::new("org_file.path.node").arg("id", id),
        Some(key) => Msg::new("org_file.path.node_key")
            .arg("id", id)
            .arg("key", key),
    }
}

/// "site ID" or "site ID.KEY", where a problem of a `[[site]]` entry is.
fn site_path(id: &str, key: Option<&str>) -> Msg {
    match key {
        None => Msg::new("org_file.path.site").arg("id", id),
        Some(key) => Msg::new("org_file.path.site_key")
            .arg("id", id)
            .arg("key", key),
    }
}

/// "unknown X `found`; expected one of: a, b, c" (`key` words the X).
fn bad_value(key: &'static str, found: &str, valid: &[&str]) -> Msg {
    Msg::new(key)
        .arg("found", found)
        .arg("valid", valid.join(", "))
}

fn nodes(
    raw: &[Spanned<RawNode>],
    levels: &BTreeMap<String, NodeLevel>,
    out: &mut Collector<'_>,
) -> Vec<Node> {
    let mut result = Vec::new();
    let mut roots = 0;
    for n in raw {
        let n = n.get_ref();
        let id = n.id.get_ref();
        let level = levels.get(n.id.get_ref()).copied();
        let expected_parent = match level {
            Some(NodeLevel::Operator) => None,
            Some(NodeLevel::Province) => Some(NodeLevel::Operator),
            Some(NodeLevel::City) => Some(NodeLevel::Province),
            None => continue,
        };
        match (&n.parent, expected_parent) {
            (None, None) => roots += 1,
            (Some(p), None) => out.err_msg(
                p.span(),
                node_path(id, Some("parent")),
                Msg::new("org_file.operator_parent"),
            ),
            (None, Some(want)) => out.err_msg(
                n.id.span(),
                node_path(id, Some("parent")),
                Msg::new("org_file.missing_parent").arg_text("level", want.a_level()),
            ),
            (Some(p), Some(want)) => match levels.get(p.get_ref()) {
                Some(l) if *l == want => {}
                Some(l) => out.err_msg(
                    p.span(),
                    node_path(id, Some("parent")),
                    Msg::new("org_file.wrong_parent")
                        .arg("parent", p.get_ref())
                        .arg_text("level", l.a_level())
                        .arg_text("want", want.a_level()),
                ),
                None => out.err_msg(
                    p.span(),
                    node_path(id, Some("parent")),
                    Msg::new("org_file.unknown_parent").arg("parent", p.get_ref()),
                ),
            },
        }
        let name_en = n.name_en.clone().unwrap_or_else(|| n.name_zh.clone());
        result.push(Node {
            id: n.id.get_ref().clone(),
            parent: n.parent.as_ref().map(|p| p.get_ref().clone()),
            level: level.unwrap_or(NodeLevel::City),
            name: Text::new(&n.name_zh, name_en),
        });
    }
    if roots > 1 {
        out.err_msg(
            0..0,
            Msg::new("org_file.path.nodes"),
            Msg::new("org_file.roots").arg("roots", roots),
        );
    }
    result.sort_by_key(|n| n.level != NodeLevel::Operator);
    result
}

fn site(
    s: &RawSite,
    ids: &mut BTreeSet<String>,
    levels: &BTreeMap<String, NodeLevel>,
    out: &mut Collector<'_>,
) -> Option<Site> {
    let id = s.id.get_ref();
    if id.trim().is_empty() {
        out.err_msg(
            s.id.span(),
            site_path(id, None),
            Msg::new("org_file.empty_id"),
        );
    }
    if !ids.insert(id.clone()) {
        out.err_msg(
            s.id.span(),
            site_path(id, None),
            Msg::new("org_file.duplicate_id"),
        );
    }
    match levels.get(s.parent.get_ref()) {
        Some(NodeLevel::City) => {}
        Some(l) => out.err_msg(
            s.parent.span(),
            site_path(id, Some("parent")),
            Msg::new("org_file.site_parent")
                .arg("parent", s.parent.get_ref())
                .arg_text("level", l.a_level()),
        ),
        None => out.err_msg(
            s.parent.span(),
            site_path(id, Some("parent")),
            Msg::new("org_file.unknown_parent").arg("parent", s.parent.get_ref()),
        ),
    }
    let scene = Scene::parse(s.scene.get_ref());
    if scene.is_none() {
        out.err_msg(
            s.scene.span(),
            site_path(id, Some("scene")),
            bad_value(
                "org_file.unknown_scene",
                s.scene.get_ref(),
                &["hall", "call_centre", "field_centre"],
            ),
        );
    }
    let area = AreaClass::parse(s.area.get_ref());
    if area.is_none() {
        let names: Vec<_> = AreaClass::ALL.iter().map(|a| a.as_str()).collect();
        out.err_msg(
            s.area.span(),
            site_path(id, Some("area")),
            bad_value("org_file.unknown_area", s.area.get_ref(), &names),
        );
    }
    let tier = match &s.tier {
        None => Some(Tier::Standard),
        Some(t) => {
            let v = Tier::parse(t.get_ref());
            if v.is_none() {
                out.err_msg(
                    t.span(),
                    site_path(id, Some("tier")),
                    bad_value(
                        "org_file.unknown_tier",
                        t.get_ref(),
                        &["flagship", "standard", "small"],
                    ),
                );
            }
            v
        }
    };
    let tz_name =
        s.tz.as_ref()
            .map_or(DEFAULT_TZ.to_string(), |t| t.get_ref().clone());
    let tz = tz_name.parse::<chrono_tz::Tz>();
    if tz.is_err() {
        let span = s.tz.as_ref().map_or(s.id.span(), Spanned::span);
        out.err_msg(
            span,
            site_path(id, Some("tz")),
            Msg::new("org_file.unknown_tz").arg("tz", &tz_name),
        );
    }
    Some(Site {
        id: s.id.get_ref().clone(),
        parent: s.parent.get_ref().clone(),
        name: Text::new(
            &s.name_zh,
            s.name_en.clone().unwrap_or_else(|| s.name_zh.clone()),
        ),
        scene: scene?,
        area: area?,
        tier: tier?,
        tz: tz.ok()?,
        calendar: s.calendar.as_ref().map(|c| c.get_ref().clone()),
        peer_group: s.peer_group.clone(),
    })
}

/// A time zone written as its IANA name (`Asia/Shanghai`), read back through the same
/// parser as the organisation file, so a stored organisation cannot hold an unknown zone.
mod tz_name {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(tz: &chrono_tz::Tz, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(tz.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<chrono_tz::Tz, D::Error> {
        let name = String::deserialize(d)?;
        name.parse()
            .map_err(|_| serde::de::Error::custom(format!("unknown time zone `{name}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Lang;

    const GOOD: &str = r#"
[[node]]
id = "op"
level = "operator"
name_zh = "示例运营商"
name_en = "Example operator"

[[node]]
id = "gd"
parent = "op"
level = "province"
name_zh = "广东"

[[node]]
id = "gz"
parent = "gd"
level = "city"
name_zh = "广州"

[[site]]
id = "gz-h1"
parent = "gz"
name_zh = "天河营业厅"
scene = "hall"
area = "urban"
tier = "flagship"

[[site]]
id = "gz-f1"
parent = "gz"
name_zh = "从化装维中心"
scene = "field_centre"
area = "minor_rural"
"#;

    #[test]
    fn loads_a_tree_and_walks_it() {
        let org = Organisation::from_toml("org.toml", GOOD).expect("valid");
        assert_eq!(org.ancestors("gz-h1"), ["gz-h1", "gz", "gd", "op"]);
        assert_eq!(org.sites_under("gd").len(), 2);
        assert_eq!(org.sites_under("gz-f1").len(), 1);
        let f1 = org.site("gz-f1").expect("site");
        assert_eq!((f1.tier, f1.tz.name()), (Tier::Standard, "Asia/Shanghai"));
        assert_eq!(f1.peer_group(), "field_centre/standard/rural");
    }

    #[test]
    fn reports_every_problem_with_its_line() {
        let bad = GOOD
            .replace(
                "parent = \"gd\"\nlevel = \"city\"",
                "parent = \"nowhere\"\nlevel = \"city\"",
            )
            .replace("scene = \"hall\"", "scene = \"shop\"")
            .replace(
                "area = \"minor_rural\"",
                "area = \"minor_rural\"\ntz = \"Mars/Base\"",
            );
        let err = Organisation::from_toml("org.toml", &bad).expect_err("invalid");
        let text = err.to_string();
        assert_eq!(err.diagnostics.len(), 3, "{text}");
        // GOOD starts with an empty line; the city's `parent = "nowhere"` is line 16 and its
        // value's opening quote is column 10 (after `parent = `).
        assert!(
            text.contains("org.toml:16:10: node gz.parent: unknown parent `nowhere`"),
            "{text}"
        );
        assert!(text.contains("unknown scene `shop`"), "{text}");
        assert!(text.contains("unknown time zone `Mars/Base`"), "{text}");
    }

    #[test]
    fn problems_read_in_either_language() {
        let bad = GOOD
            .replace(
                "parent = \"gd\"\nlevel = \"city\"",
                "parent = \"nowhere\"\nlevel = \"city\"",
            )
            .replace("scene = \"hall\"", "scene = \"shop\"");
        let err = Organisation::from_toml("org.toml", &bad).expect_err("invalid");
        assert_eq!(err.render(Lang::En), err.to_string());
        let zh = err.render(Lang::Zh);
        assert!(
            zh.contains("org.toml:16:10: 节点 gz.parent: 未知的上级 `nowhere`"),
            "{zh}"
        );
        assert!(
            zh.contains(
                "站点 gz-h1.scene: 未知场景 `shop`；应为以下之一：hall, call_centre, field_centre"
            ),
            "{zh}"
        );
        assert!(zh.ends_with("org.toml 中有 2 个错误"), "{zh}");
        let two_roots =
            format!("{GOOD}\n[[node]]\nid = \"op2\"\nlevel = \"operator\"\nname_zh = \"二\"\n");
        let err = Organisation::from_toml("org.toml", &two_roots).expect_err("invalid");
        assert!(
            err.to_string()
                .contains("2 operators found; the tree must have exactly one root")
        );
        assert!(
            err.render(Lang::Zh)
                .contains("节点: 发现 2 个运营商；组织树必须有且只有一个根"),
            "{}",
            err.render(Lang::Zh)
        );
        let syntax =
            Organisation::from_toml("org.toml", "[[node]]\nid = \"op\"\n").expect_err("invalid");
        assert!(
            syntax
                .render(Lang::Zh)
                .contains("（文件）: 缺少字段 `level`"),
            "{}",
            syntax.render(Lang::Zh)
        );
    }

    #[test]
    fn calendars_are_validated_and_referenced() {
        let with_cal = format!(
            "{GOOD}calendar = \"hall-std\"\n\n[calendar.hall-std]\nholiday_hours = [\"10:00-16:00\"]\n[calendar.hall-std.weekly]\nmon = [\"08:30-12:00\", \"13:30-18:00\"]\n"
        );
        let org = Organisation::from_toml("org.toml", &with_cal).expect("valid");
        let f1 = org.site("gz-f1").expect("site");
        assert_eq!(f1.calendar.as_deref(), Some("hall-std"));
        let cal = org.calendar_of(f1).expect("calendar");
        // Monday 2026-11-30 is an ordinary working day: 3.5 h + 4.5 h = 8 h open.
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        let open: i64 = cal
            .open_intervals(day)
            .iter()
            .map(|(a, b)| (*b - *a).num_minutes())
            .sum();
        assert_eq!(open, 8 * 60);
        let bad = with_cal
            .replace("calendar = \"hall-std\"", "calendar = \"nope\"")
            .replace("13:30-18:00", "11:30-18:00");
        let err = Organisation::from_toml("org.toml", &bad).expect_err("invalid");
        let text = err.to_string();
        assert_eq!(err.diagnostics.len(), 2, "{text}");
        assert!(
            text.contains("unknown calendar `nope`; defined: hall-std"),
            "{text}"
        );
        assert!(text.contains("calendar hall-std"), "{text}");
    }

    #[test]
    fn duplicate_ids_and_misplaced_sites_are_errors() {
        let bad = format!(
            "{GOOD}\n[[site]]\nid = \"gz-h1\"\nparent = \"gd\"\nname_zh = \"x\"\nscene = \"hall\"\narea = \"urban\"\n"
        );
        let err = Organisation::from_toml("org.toml", &bad).expect_err("invalid");
        let text = err.to_string();
        assert!(text.contains("site gz-h1: duplicate id"), "{text}");
        assert!(text.contains("sites belong to a city"), "{text}");
    }
}
