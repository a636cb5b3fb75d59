//! Loading a guideline: TOML text → validated [`Guideline`], or every error found.
//!
//! Errors are located (line, column, key path) and say what was expected. All entries
//! are checked even after an error, so one run reports every mistake; nothing is
//! half-loaded: the result is either a complete guideline or the list of errors.
//!
//! This module holds the entry point, the validation context and the checks every
//! section shares; the sections are checked in `clauses` (dimensions, clauses, items),
//! `indicators` (indicators and their measures), `targets`, `scoring` (levels, red
//! lines), `planning` and `rules` (`[audits]`, `[pdca]`).

use std::collections::BTreeSet;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::model::Guideline;
use super::raw::{RawClause, RawDimension, RawHeader, RawIndicator, RawScoring, RawTarget, S};
use crate::diag::{Collector, LoadError, bad_value, toml_problem, toml_syntax};
use crate::i18n::Msg;
use crate::vocab::{Scene, Text};

mod clauses;
mod indicators;
mod planning;
mod rules;
mod scoring;
mod targets;

/// Parses and validates a guideline. `file` only labels the messages.
///
/// # Errors
/// Returns every problem found, located, when the text is not a valid guideline.
pub fn load(file: &str, src: &str) -> Result<Guideline, LoadError> {
    let mut cx = Cx {
        src,
        out: Collector::new(src),
        unparsed_ids: BTreeSet::new(),
    };
    let guideline = cx.load();
    cx.out.finish(file, guideline)
}

/// Validation context: the source (for line numbers) and the errors collected so far.
struct Cx<'s> {
    src: &'s str,
    out: Collector<'s>,
    /// Ids of entries that could not even be deserialised (their errors are reported).
    unparsed_ids: BTreeSet<String>,
}

/// Known top-level keys.
const TOP_KEYS: &[&str] = &[
    "guideline",
    "scoring",
    "dimension",
    "clause",
    "indicator",
    "target",
    "planning",
    "audits",
    "pdca",
];

impl Cx<'_> {
    /// Records a problem at a key path as written in the file.
    fn err(&mut self, span: Range<usize>, path: impl Into<String>, message: Msg) {
        self.out.err_at(span, path, message);
    }

    fn load(&mut self) -> Option<Guideline> {
        let doc = match DeTable::parse(self.src) {
            Ok(d) => d,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                self.out
                    .err_msg(span, Msg::new("diag.path.file"), toml_syntax(e.message()));
                return None;
            }
        };
        let doc = doc.into_inner();
        for (key, _) in &doc {
            if !TOP_KEYS.contains(&key.get_ref().as_ref()) {
                self.err(
                    key.span(),
                    key.get_ref().to_string(),
                    Msg::new("guideline_file.unknown_top_key").arg("valid", TOP_KEYS.join(", ")),
                );
            }
        }
        let header: Option<RawHeader> = self.one(&doc, "guideline");
        let scoring: Option<RawScoring> = self.one(&doc, "scoring");
        let dims: Vec<(usize, S<RawDimension>)> = self.many(&doc, "dimension");
        let clauses: Vec<(usize, S<RawClause>)> = self.many(&doc, "clause");
        let indicators: Vec<(usize, S<RawIndicator>)> = self.many(&doc, "indicator");
        let targets: Vec<(usize, S<RawTarget>)> = self.many(&doc, "target");
        // `[planning]` is optional: without it plans follow `Planning::built_in`.
        let planning = doc.get("planning").map(|v| self.raw_planning(v));

        let dimensions = self.dimensions(&dims);
        let clauses = self.clauses(&clauses, &dimensions);
        // Ids of every indicator entry, valid or not: references to an indicator that has
        // its own errors are not reported again.
        let mut declared: BTreeSet<String> = indicators
            .iter()
            .map(|(_, i)| i.get_ref().id.get_ref().clone())
            .collect();
        declared.extend(self.unparsed_ids.iter().cloned());
        let indicators = self.indicators(&indicators, &clauses);
        let targets = self.targets(&targets, &indicators, &declared);
        let scoring = scoring.and_then(|s| self.scoring(&s, &indicators, &declared));
        let planning = planning.map(|p| self.planning(&p, &indicators, &declared));
        // `[audits]` and `[pdca]` are optional: without them the built-in rules apply.
        let audits = doc.get("audits").and_then(|v| self.audits(v));
        let pdca = doc.get("pdca").and_then(|v| self.pdca(v, &clauses));
        let header = header?;
        self.nonempty(&header.id, "guideline.id");
        self.nonempty(&header.version, "guideline.version");
        Some(Guideline {
            id: header.id.into_inner(),
            version: header.version.into_inner(),
            name: Text::new(header.name_zh, header.name_en),
            source: header.source,
            dimensions,
            clauses,
            indicators,
            targets,
            scoring: scoring?,
            planning,
            audits,
            pdca,
        })
    }

    /// Deserialises one required table.
    fn one<T: for<'de> Deserialize<'de>>(&mut self, doc: &DeTable<'_>, key: &str) -> Option<T> {
        let Some(value) = doc.get(key) else {
            self.err(
                0..0,
                key,
                Msg::new("guideline_file.missing_table").arg("key", key),
            );
            return None;
        };
        self.de(value.clone(), key)
    }

    /// Deserialises every element of an array of tables, each on its own.
    fn many<T: for<'de> Deserialize<'de>>(
        &mut self,
        doc: &DeTable<'_>,
        key: &str,
    ) -> Vec<(usize, S<T>)> {
        let Some(value) = doc.get(key) else {
            self.err(
                0..0,
                key,
                Msg::new("guideline_file.missing_array").arg("key", key),
            );
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.err(
                value.span(),
                key,
                Msg::new("file_check.array_of_tables").arg("key", key),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let span = item.span();
            if let Some(v) = self.de::<T>(item.clone(), &format!("{key}[{i}]")) {
                out.push((i, Spanned::new(span, v)));
            } else if let Some(id) = item
                .get_ref()
                .as_table()
                .and_then(|t| t.get("id"))
                .and_then(|v| v.get_ref().as_str())
            {
                self.unparsed_ids.insert(id.to_string());
            }
        }
        out
    }

    fn de<T: for<'de> Deserialize<'de>>(
        &mut self,
        value: Spanned<DeValue<'_>>,
        path: &str,
    ) -> Option<T> {
        let span = value.span();
        match T::deserialize(ValueDeserializer::from(value)) {
            Ok(v) => Some(v),
            Err(e) => {
                let at = e.span().unwrap_or(span);
                self.err(at, path, toml_problem(e.message()));
                None
            }
        }
    }

    /// One of a closed list of values named by `name`, or an error listing them all
    /// (and `ok` cleared). Absent stays absent.
    fn choice<T: Copy>(
        &mut self,
        s: Option<&S<String>>,
        path: &str,
        what: &'static str,
        all: &[T],
        name: fn(T) -> &'static str,
        ok: &mut bool,
    ) -> Option<T> {
        let s = s?;
        let found = all
            .iter()
            .copied()
            .find(|v| name(*v) == s.get_ref().as_str());
        if found.is_none() {
            let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
            self.err(s.span(), path, bad_value(what, s.get_ref(), &names));
            *ok = false;
        }
        found
    }

    fn nonempty(&mut self, s: &S<String>, path: &str) {
        if s.get_ref().trim().is_empty() {
            self.err(s.span(), path, Msg::new("file_check.empty"));
        }
    }

    fn positive(&mut self, x: &S<f64>, path: &str, allow_zero: bool) -> f64 {
        let v = *x.get_ref();
        let ok = v.is_finite() && (v > 0.0 || (allow_zero && v == 0.0));
        if !ok {
            let key = if allow_zero {
                "guideline_file.not_non_negative"
            } else {
                "guideline_file.not_positive"
            };
            self.err(x.span(), path, Msg::new(key).arg("found", v));
        }
        v
    }

    fn unique(&mut self, seen: &mut BTreeSet<String>, id: &S<String>, path: &str) {
        self.nonempty(id, path);
        if !seen.insert(id.get_ref().clone()) {
            self.err(
                id.span(),
                path,
                Msg::new("guideline_file.duplicate_id").arg("id", id.get_ref()),
            );
        }
    }

    fn scenes(&mut self, list: &[S<String>], path: &str) -> Vec<Scene> {
        let mut out = Vec::new();
        for s in list {
            match Scene::parse(s.get_ref()) {
                Some(sc) if !out.contains(&sc) => out.push(sc),
                Some(_) => self.err(
                    s.span(),
                    path,
                    Msg::new("guideline_file.scene_twice").arg("scene", s.get_ref()),
                ),
                None => self.err(
                    s.span(),
                    path,
                    bad_value("file_check.what.scene", s.get_ref(), &scene_names()),
                ),
            }
        }
        out
    }
}

fn scene_names() -> Vec<&'static str> {
    Scene::ALL.iter().map(|s| s.as_str()).collect()
}
