//! Differences between two guideline versions, for review before a version is adopted.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::Guideline;

/// One difference between two guideline versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `added`, `removed` or `changed`.
    pub op: &'static str,
    /// What kind of entry (`dimension`, `clause`, `item`, `indicator`, `target`, `scoring`,
    /// `planning`).
    pub entry: &'static str,
    /// Id of the entry (targets: indicator and selector).
    pub id: String,
    /// For changes: the fields that differ, with old and new values.
    pub fields: Vec<(String, String, String)>,
}

/// Lists what was added, removed or changed from `old` to `new`, entry by entry.
#[must_use]
pub fn diff(old: &Guideline, new: &Guideline) -> Vec<Change> {
    let mut out = Vec::new();
    section(
        &mut out,
        "dimension",
        &keyed(&old.dimensions, |d| d.id.clone()),
        &keyed(&new.dimensions, |d| d.id.clone()),
    );
    let strip = |g: &Guideline| {
        g.clauses
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c.items.clear();
                c
            })
            .collect::<Vec<_>>()
    };
    section(
        &mut out,
        "clause",
        &keyed(&strip(old), |c| c.id.clone()),
        &keyed(&strip(new), |c| c.id.clone()),
    );
    let items = |g: &Guideline| {
        g.clauses
            .iter()
            .flat_map(|c| c.items.clone())
            .collect::<Vec<_>>()
    };
    section(
        &mut out,
        "item",
        &keyed(&items(old), |i| i.id.clone()),
        &keyed(&items(new), |i| i.id.clone()),
    );
    section(
        &mut out,
        "indicator",
        &keyed(&old.indicators, |i| i.id.clone()),
        &keyed(&new.indicators, |i| i.id.clone()),
    );
    let tkey = |t: &super::model::Target| format!("{} {}", t.indicator, to_json(&t.selector));
    section(
        &mut out,
        "target",
        &keyed(&old.targets, tkey),
        &keyed(&new.targets, tkey),
    );
    section(
        &mut out,
        "scoring",
        &keyed(std::slice::from_ref(&old.scoring), |_| "scoring".into()),
        &keyed(std::slice::from_ref(&new.scoring), |_| "scoring".into()),
    );
    // The section as written: a file that gains `[planning]` shows it as added, even
    // when it states the built-in rules.
    section(
        &mut out,
        "planning",
        &keyed(old.planning.as_slice(), |_| "planning".into()),
        &keyed(new.planning.as_slice(), |_| "planning".into()),
    );
    section(
        &mut out,
        "audits",
        &keyed(old.audits.as_slice(), |_| "audits".into()),
        &keyed(new.audits.as_slice(), |_| "audits".into()),
    );
    section(
        &mut out,
        "pdca",
        &keyed(old.pdca.as_slice(), |_| "pdca".into()),
        &keyed(new.pdca.as_slice(), |_| "pdca".into()),
    );
    out
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn keyed<T: Serialize>(
    list: &[T],
    key: impl Fn(&T) -> String,
) -> BTreeMap<String, serde_json::Value> {
    list.iter()
        .map(|x| (key(x), serde_json::to_value(x).unwrap_or_default()))
        .collect()
}

fn section(
    out: &mut Vec<Change>,
    entry: &'static str,
    old: &BTreeMap<String, serde_json::Value>,
    new: &BTreeMap<String, serde_json::Value>,
) {
    for (id, o) in old {
        match new.get(id) {
            None => out.push(Change {
                op: "removed",
                entry,
                id: id.clone(),
                fields: Vec::new(),
            }),
            Some(n) if n != o => {
                let mut fields = Vec::new();
                fields_diff("", o, n, &mut fields);
                out.push(Change {
                    op: "changed",
                    entry,
                    id: id.clone(),
                    fields,
                });
            }
            Some(_) => {}
        }
    }
    for id in new.keys().filter(|k| !old.contains_key(*k)) {
        out.push(Change {
            op: "added",
            entry,
            id: id.clone(),
            fields: Vec::new(),
        });
    }
}

/// Walks two JSON trees and records the leaf paths whose values differ.
fn fields_diff(
    path: &str,
    o: &serde_json::Value,
    n: &serde_json::Value,
    out: &mut Vec<(String, String, String)>,
) {
    use serde_json::Value as J;
    match (o, n) {
        (J::Object(a), J::Object(b)) => {
            let keys: std::collections::BTreeSet<_> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                fields_diff(
                    &p,
                    a.get(k).unwrap_or(&J::Null),
                    b.get(k).unwrap_or(&J::Null),
                    out,
                );
            }
        }
        _ if o != n => out.push((path.to_string(), o.to_string(), n.to_string())),
        _ => {}
    }
}
