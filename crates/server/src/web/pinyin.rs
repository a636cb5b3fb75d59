//! Site search by pinyin initials: `bczw` finds 北川装维中心, `hzws` finds 杭州文三路营业厅.
//!
//! The initials of each character come from a data file compiled into the binary
//! (`crates/server/data/pinyin-initials.txt`: one line per initial with the characters
//! whose syllable starts with it; a character with two readings is on both lines). It
//! holds the characters that site and place names use, not the whole language: a name
//! with a character missing from it is still found by id, by its Chinese name and by its
//! English name, and by the initials of the rest of the name up to that character.

use std::collections::HashMap;
use std::sync::OnceLock;

const DATA: &str = include_str!("../../data/pinyin-initials.txt");

fn table() -> &'static HashMap<char, Vec<char>> {
    static TABLE: OnceLock<HashMap<char, Vec<char>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map: HashMap<char, Vec<char>> = HashMap::new();
        for line in DATA.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut chars = line.chars();
            let Some(letter) = chars.next() else { continue };
            for c in chars.filter(|c| !c.is_whitespace()) {
                let e = map.entry(c).or_default();
                if !e.contains(&letter) {
                    e.push(letter);
                }
            }
        }
        map
    })
}

/// The letters each character of `name` may start with: a Latin letter or digit stands
/// for itself, a character without a known reading for nothing a query can match.
fn initials(name: &str) -> Vec<Vec<char>> {
    let t = table();
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                vec![c.to_ascii_lowercase()]
            } else {
                t.get(&c).cloned().unwrap_or_default()
            }
        })
        .collect()
}

/// Whether `query` (lower-case letters) spells the initials of a run of characters of
/// `name` (`bczw` matches 北川装维中心 at its start, `zw` in its middle).
#[must_use]
pub fn initials_match(name: &str, query: &str) -> bool {
    let q: Vec<char> = query.chars().map(|c| c.to_ascii_lowercase()).collect();
    if q.is_empty() || !q.iter().all(char::is_ascii_alphanumeric) {
        return false;
    }
    let seq = initials(name);
    if seq.len() < q.len() {
        return false;
    }
    (0..=seq.len() - q.len()).any(|start| {
        q.iter()
            .enumerate()
            .all(|(k, c)| seq[start + k].contains(c))
    })
}

/// Whether a site matches a search: its id or English name contains the query (case
/// ignored), its Chinese name contains it, or the query spells initials of its Chinese
/// name.
#[must_use]
pub fn site_matches(id: &str, name_zh: &str, name_en: &str, query: &str) -> bool {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return false;
    }
    id.to_lowercase().contains(&q)
        || name_en.to_lowercase().contains(&q)
        || name_zh.contains(query.trim())
        || initials_match(name_zh, &q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_the_demo_names() {
        assert!(initials_match("北川装维中心", "bczw"));
        assert!(initials_match("北川装维中心", "bczwzx"));
        assert!(initials_match("北川装维中心", "zwzx"));
        assert!(initials_match("杭州文三路营业厅", "hzws"));
        assert!(initials_match("杭州文三路营业厅", "HZWSLYYT"));
        assert!(!initials_match("北川装维中心", "bcz w"));
        assert!(!initials_match("北川装维中心", "hzws"));
        assert!(!initials_match("北川装维中心", "bczwzxx"));
        assert!(!initials_match("北川装维中心", ""));
        // Two readings: 重庆 is chongqing, 长沙 changsha; both are found either way.
        assert!(initials_match("重庆营业厅", "cq"));
        assert!(initials_match("重庆营业厅", "zq"));
    }

    #[test]
    fn every_character_of_the_table_has_a_letter() {
        assert!(table().len() > 300, "{}", table().len());
        for (c, letters) in table() {
            assert!(!letters.is_empty(), "{c}");
            assert!(
                letters.iter().all(char::is_ascii_lowercase),
                "{c}: {letters:?}"
            );
        }
    }

    #[test]
    fn sites_by_id_name_or_initials() {
        let (id, zh, en) = ("my-f02", "北川装维中心", "Beichuan Field Centre");
        assert!(site_matches(id, zh, en, "bczw"));
        assert!(site_matches(id, zh, en, "MY-F0"));
        assert!(site_matches(id, zh, en, "北川"));
        assert!(site_matches(id, zh, en, "beichuan"));
        assert!(!site_matches(id, zh, en, "杭州"));
        assert!(!site_matches(id, zh, en, "  "));
    }
}
