//! The mapping file's loader: TOML → validated [`Mapping`], every problem located.
//!
//! Each table (`[source]`, `[defaults]`, every filter, record and field) is read on its
//! own, so that one malformed entry does not hide the problems of the others; values are
//! `Spanned`, so each message points at the key or value it is about.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::{
    Addend, ClockChange, Column, Condition, FieldMap, Filter, IdScope, Loc, Mapping, RecordMap,
    Source, TimeFormat, TimeSpec, Unit, ValueMap, Zone,
};
use crate::diag::{Collector, LoadError, bad_value, line_col};
use crate::records::{FieldDef, FieldType, RecordKind};

type S<T> = Spanned<T>;

const TOP_KEYS: [&str; 4] = ["source", "defaults", "filter", "record"];
const RECORD_KEYS: [&str; 4] = ["kind", "id_scope", "filter", "fields"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    #[serde(default)]
    encoding: Option<S<String>>,
    #[serde(default)]
    sheet: Option<S<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    #[serde(default)]
    zone: Option<S<String>>,
    #[serde(default)]
    clock_change: Option<S<String>>,
    #[serde(default)]
    format: Option<S<String>>,
    #[serde(default)]
    null: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    name: S<String>,
    column: S<String>,
    #[serde(default, rename = "in")]
    is_in: Option<Vec<String>>,
    #[serde(default)]
    not_in: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    column: S<String>,
    #[serde(default, rename = "in")]
    is_in: Option<Vec<String>>,
    #[serde(default)]
    not_in: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAddend {
    #[serde(default)]
    field: Option<S<String>>,
    #[serde(default)]
    column: Option<S<String>>,
    #[serde(default)]
    unit: Option<S<String>>,
    #[serde(default)]
    null: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    column: Option<S<String>>,
    #[serde(default)]
    columns: Option<S<Vec<S<String>>>>,
    #[serde(default)]
    join: Option<S<String>>,
    #[serde(default)]
    value: Option<S<String>>,
    #[serde(default)]
    from: Option<S<String>>,
    #[serde(default)]
    plus: Option<S<RawAddend>>,
    #[serde(default)]
    when: Option<S<RawCondition>>,
    #[serde(default)]
    null: Vec<String>,
    #[serde(default)]
    map: Option<S<BTreeMap<String, S<String>>>>,
    #[serde(default)]
    format: Option<S<String>>,
    #[serde(default)]
    zone: Option<S<String>>,
    #[serde(default)]
    clock_change: Option<S<String>>,
    #[serde(default)]
    unit: Option<S<String>>,
}

/// Time settings of `[defaults]`, each already checked.
struct Defaults {
    zone: Zone,
    clock_change: ClockChange,
    format: TimeFormat,
    null: Vec<String>,
}

struct Cx<'s> {
    src: &'s str,
    out: Collector<'s>,
}

pub(super) fn load(file: &str, src: &str) -> Result<Mapping, LoadError> {
    let mut cx = Cx {
        src,
        out: Collector::new(src),
    };
    let m = cx.load(file);
    cx.out.finish(file, m)
}

impl Cx<'_> {
    fn err(&mut self, span: Range<usize>, path: impl Into<String>, message: impl Into<String>) {
        self.out.err(span, path, message);
    }

    fn loc(&self, span: &Range<usize>) -> Loc {
        let (line, col) = line_col(self.src, span.start);
        Loc { line, col }
    }

    fn column(&self, s: &S<String>) -> Column {
        Column {
            name: s.get_ref().trim().to_string(),
            loc: self.loc(&s.span()),
        }
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
                self.err(at, path, e.message().trim().to_string());
                None
            }
        }
    }

    /// The elements of an array of tables, each read on its own.
    fn array<T: for<'de> Deserialize<'de>>(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        path: &str,
    ) -> Vec<S<T>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.err(
                value.span(),
                path,
                format!("expected an array of tables [[{path}]]"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let span = item.span();
            if let Some(v) = self.de::<T>(item.clone(), &format!("{path}[{i}]")) {
                out.push(Spanned::new(span, v));
            }
        }
        out
    }

    fn load(&mut self, file: &str) -> Option<Mapping> {
        let doc = match DeTable::parse(self.src) {
            Ok(d) => d,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                self.err(span, "(file)", format!("not valid TOML: {}", e.message()));
                return None;
            }
        };
        let doc = doc.into_inner();
        for (key, _) in &doc {
            if !TOP_KEYS.contains(&key.get_ref().as_ref()) {
                self.err(
                    key.span(),
                    key.get_ref().to_string(),
                    format!("unknown key; expected one of: {}", TOP_KEYS.join(", ")),
                );
            }
        }
        let source: Option<RawSource> =
            doc.get("source").and_then(|v| self.de(v.clone(), "source"));
        let raw_defaults: RawDefaults = doc
            .get("defaults")
            .and_then(|v| self.de(v.clone(), "defaults"))
            .unwrap_or_default();
        let defaults = self.defaults(&raw_defaults);
        let filters: Vec<S<RawFilter>> = doc
            .get("filter")
            .map(|v| self.array(v, "filter"))
            .unwrap_or_default();
        let filters = self.filters(&filters, "filter");
        let Some(records) = doc.get("record") else {
            self.err(
                0..0,
                "record",
                "missing [[record]]: a mapping makes records of at least one kind",
            );
            return None;
        };
        let DeValue::Array(items) = records.get_ref() else {
            self.err(
                records.span(),
                "record",
                "expected an array of tables [[record]]",
            );
            return None;
        };
        let mut out = Vec::new();
        let mut kinds = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(r) = self.record(i, item, &defaults) {
                if !kinds.insert(r.kind) {
                    self.err(
                        item.span(),
                        format!("record[{i}]"),
                        format!(
                            "a second record of kind `{}`: a mapping makes at most one record of each kind from a row",
                            r.kind.as_str()
                        ),
                    );
                }
                out.push(r);
            }
        }
        let source = source.unwrap_or(RawSource {
            encoding: None,
            sheet: None,
        });
        Some(Mapping {
            file: file.to_string(),
            fingerprint: crate::fingerprint::of_bytes(self.src.as_bytes()),
            encoding: source.encoding.map(Spanned::into_inner),
            sheet: source.sheet.map(Spanned::into_inner),
            filters,
            records: out,
        })
    }

    fn defaults(&mut self, d: &RawDefaults) -> Defaults {
        let zone = d
            .zone
            .as_ref()
            .and_then(|z| self.zone(z, "defaults.zone"))
            .unwrap_or(Zone::Site);
        let clock_change = d
            .clock_change
            .as_ref()
            .and_then(|c| self.clock_change(c, "defaults.clock_change"))
            .unwrap_or_default();
        let format = d
            .format
            .as_ref()
            .and_then(|f| self.format(f, "defaults.format"))
            .unwrap_or(TimeFormat::Canonical);
        Defaults {
            zone,
            clock_change,
            format,
            null: d.null.clone(),
        }
    }

    fn zone(&mut self, z: &S<String>, path: &str) -> Option<Zone> {
        Zone::parse(z.get_ref())
            .map_err(|e| self.err(z.span(), path, e))
            .ok()
    }

    fn format(&mut self, f: &S<String>, path: &str) -> Option<TimeFormat> {
        TimeFormat::parse(f.get_ref())
            .map_err(|e| self.err(f.span(), path, e))
            .ok()
    }

    fn clock_change(&mut self, c: &S<String>, path: &str) -> Option<ClockChange> {
        let found = ClockChange::ALL
            .iter()
            .find(|(n, _)| *n == c.get_ref().as_str())
            .map(|(_, p)| *p);
        if found.is_none() {
            let names: Vec<&str> = ClockChange::ALL.iter().map(|(n, _)| *n).collect();
            self.err(
                c.span(),
                path,
                bad_value("clock_change", c.get_ref(), &names),
            );
        }
        found
    }

    fn unit(&mut self, u: &S<String>, path: &str) -> Option<Unit> {
        let found = Unit::ALL
            .iter()
            .find(|(n, _)| *n == u.get_ref().as_str())
            .map(|(_, x)| *x);
        if found.is_none() {
            let names: Vec<&str> = Unit::ALL.iter().map(|(n, _)| *n).collect();
            self.err(u.span(), path, bad_value("unit", u.get_ref(), &names));
        }
        found
    }

    fn condition(
        &mut self,
        span: Range<usize>,
        column: &S<String>,
        is_in: Option<&Vec<String>>,
        not_in: Option<&Vec<String>>,
        path: &str,
    ) -> Option<Condition> {
        if column.get_ref().trim().is_empty() {
            self.err(column.span(), format!("{path}.column"), "must not be empty");
        }
        let (values, is) = match (is_in, not_in) {
            (Some(v), None) => (v, true),
            (None, Some(v)) => (v, false),
            _ => {
                self.err(
                    span,
                    path,
                    "give exactly one of `in = [...]` or `not_in = [...]`",
                );
                return None;
            }
        };
        Some(Condition {
            column: self.column(column),
            values: values.iter().map(|v| v.trim().to_string()).collect(),
            is_in: is,
        })
    }

    fn filters(&mut self, raw: &[S<RawFilter>], path: &str) -> Vec<Filter> {
        let mut names = BTreeSet::new();
        let mut out = Vec::new();
        for (i, f) in raw.iter().enumerate() {
            let span = f.span();
            let f = f.get_ref();
            let p = format!("{path}[{i}]");
            let name = f.name.get_ref().trim();
            if name.is_empty() {
                self.err(f.name.span(), format!("{p}.name"), "must not be empty");
            } else if !names.insert(name.to_string()) {
                self.err(
                    f.name.span(),
                    format!("{p}.name"),
                    format!("filter name `{name}` used twice: rows are counted by it"),
                );
            }
            if let Some(when) =
                self.condition(span, &f.column, f.is_in.as_ref(), f.not_in.as_ref(), &p)
            {
                out.push(Filter {
                    name: name.to_string(),
                    when,
                });
            }
        }
        out
    }

    fn record(
        &mut self,
        i: usize,
        item: &Spanned<DeValue<'_>>,
        defaults: &Defaults,
    ) -> Option<RecordMap> {
        let path = format!("record[{i}]");
        let DeValue::Table(table) = item.get_ref() else {
            self.err(item.span(), &path, "expected a table [[record]]");
            return None;
        };
        for (key, _) in table {
            if !RECORD_KEYS.contains(&key.get_ref().as_ref()) {
                self.err(
                    key.span(),
                    format!("{path}.{}", key.get_ref()),
                    format!("unknown key; expected one of: {}", RECORD_KEYS.join(", ")),
                );
            }
        }
        let Some(kind_v) = table.get("kind") else {
            self.err(item.span(), &path, "missing `kind`");
            return None;
        };
        let kind_s: S<String> = self.de(kind_v.clone(), &format!("{path}.kind"))?;
        let Some(kind) = RecordKind::parse(kind_s.get_ref()) else {
            let kinds: Vec<&str> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
            self.err(
                kind_s.span(),
                format!("{path}.kind"),
                bad_value("record kind", kind_s.get_ref(), &kinds),
            );
            return None;
        };
        let path = format!("record[{i}] ({})", kind.as_str());
        let id_scope = match table.get("id_scope") {
            None => IdScope::Forever,
            Some(v) => {
                let s: Option<S<String>> = self.de(v.clone(), &format!("{path}.id_scope"));
                self.id_scope(s.as_ref(), kind, &path)
            }
        };
        let filters: Vec<S<RawFilter>> = table
            .get("filter")
            .map(|v| self.array(v, &format!("{path}.filter")))
            .unwrap_or_default();
        let filters = self.filters(&filters, &format!("{path}.filter"));
        let (fields, declared) = match table.get("fields") {
            Some(v) => self.fields(v, kind, &path, defaults),
            None => {
                self.err(item.span(), &path, "missing [record.fields]");
                (Vec::new(), BTreeSet::new())
            }
        };
        let fields = self.order(fields, &declared, kind, &path, &item.span());
        Some(RecordMap {
            kind,
            loc: self.loc(&item.span()),
            id_scope,
            filters,
            fields,
        })
    }

    fn id_scope(&mut self, s: Option<&S<String>>, kind: RecordKind, path: &str) -> IdScope {
        let Some(s) = s else {
            return IdScope::Forever;
        };
        match s.get_ref().as_str() {
            "forever" => IdScope::Forever,
            "day" if matches!(kind, RecordKind::SubscriberBase | RecordKind::AgentInterval) => {
                self.err(
                    s.span(),
                    format!("{path}.id_scope"),
                    format!("`{}` records have no id", kind.as_str()),
                );
                IdScope::Forever
            }
            "day" => IdScope::Day,
            other => {
                self.err(
                    s.span(),
                    format!("{path}.id_scope"),
                    bad_value("id_scope", other, &["forever", "day"]),
                );
                IdScope::Forever
            }
        }
    }

    /// Every field of `[record.fields]`, each read on its own.
    fn fields(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        kind: RecordKind,
        path: &str,
        defaults: &Defaults,
    ) -> (Vec<(FieldMap, Range<usize>)>, BTreeSet<String>) {
        let mut declared = BTreeSet::new();
        let DeValue::Table(table) = value.get_ref() else {
            self.err(value.span(), format!("{path}.fields"), "expected a table");
            return (Vec::new(), declared);
        };
        let mut out = Vec::new();
        for (key, v) in table {
            let name = key.get_ref().to_string();
            declared.insert(name.clone());
            let p = format!("{path}.fields.{name}");
            let Some(def) = kind.field(&name).filter(|f| !f.derived) else {
                let names: Vec<&str> = kind
                    .fields()
                    .iter()
                    .filter(|f| !f.derived)
                    .map(|f| f.name)
                    .collect();
                let what = if kind.field(&name).is_some() {
                    format!("`{name}` is derived by Yardstick and cannot be mapped")
                } else {
                    bad_value(&format!("field of `{}`", kind.as_str()), &name, &names)
                };
                self.err(key.span(), &p, what);
                continue;
            };
            let Some(rule) = self.de::<RawRule>(v.clone(), &p) else {
                continue;
            };
            if let Some(f) = self.field(def, &rule, &v.span(), &p, defaults) {
                out.push((f, key.span()));
            }
        }
        (out, declared)
    }

    #[allow(
        clippy::too_many_lines,
        reason = "one check after the other, in file order"
    )]
    fn field(
        &mut self,
        def: &'static FieldDef,
        r: &RawRule,
        span: &Range<usize>,
        p: &str,
        defaults: &Defaults,
    ) -> Option<FieldMap> {
        let given = [
            r.column.is_some(),
            r.columns.is_some(),
            r.value.is_some(),
            r.from.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if given != 1 {
            self.err(
                span.clone(),
                p,
                "give exactly one source: `column`, `columns`, `value` or `from` (with `plus`)",
            );
            return None;
        }
        let mut ok = true;
        if let Some(j) = &r.join
            && r.columns.is_none()
        {
            self.err(j.span(), format!("{p}.join"), "`join` goes with `columns`");
            ok = false;
        }
        if let Some(pl) = &r.plus
            && r.from.is_none()
        {
            self.err(pl.span(), format!("{p}.plus"), "`plus` goes with `from`");
            ok = false;
        }
        let source = if let Some(c) = &r.column {
            Source::Column(self.column(c))
        } else if let Some(cs) = &r.columns {
            if cs.get_ref().len() < 2 {
                self.err(
                    cs.span(),
                    format!("{p}.columns"),
                    "name at least two columns (or use `column`)",
                );
                ok = false;
            }
            Source::Columns {
                columns: cs.get_ref().iter().map(|c| self.column(c)).collect(),
                join: r.join.as_ref().map_or(" ", |j| j.get_ref()).to_string(),
            }
        } else if let Some(v) = &r.value {
            Source::Value(v.get_ref().clone())
        } else {
            let from = r.from.as_ref()?;
            if def.ty != FieldType::Timestamp {
                self.err(
                    from.span(),
                    format!("{p}.from"),
                    format!(
                        "`from` computes an instant, but `{}` is a {}",
                        def.name,
                        def.ty.name()
                    ),
                );
                ok = false;
            }
            let Some(plus) = &r.plus else {
                self.err(span.clone(), p, "`from` needs `plus`: the duration added");
                return None;
            };
            let a = plus.get_ref();
            let addend = match (&a.field, &a.column) {
                (Some(f), None) => {
                    if a.unit.is_some() {
                        self.err(
                            plus.span(),
                            format!("{p}.plus"),
                            "a field is in seconds already: drop `unit`",
                        );
                        ok = false;
                    }
                    Addend::Field(f.get_ref().clone())
                }
                (None, Some(c)) => Addend::Column {
                    column: self.column(c),
                    unit: match &a.unit {
                        Some(u) => self
                            .unit(u, &format!("{p}.plus.unit"))
                            .unwrap_or(Unit::Seconds),
                        None => Unit::Seconds,
                    },
                    null: a.null.iter().map(|v| v.trim().to_string()).collect(),
                },
                _ => {
                    self.err(
                        plus.span(),
                        format!("{p}.plus"),
                        "give exactly one of `field` or `column`",
                    );
                    return None;
                }
            };
            Source::Plus {
                from: from.get_ref().clone(),
                plus: addend,
            }
        };
        let computed = matches!(source, Source::Plus { .. });
        let when = r.when.as_ref().and_then(|w| {
            let c = w.get_ref();
            self.condition(
                w.span(),
                &c.column,
                c.is_in.as_ref(),
                c.not_in.as_ref(),
                &format!("{p}.when"),
            )
        });
        let is_time = def.ty == FieldType::Timestamp;
        for (given, key) in [
            (r.format.as_ref(), "format"),
            (r.zone.as_ref(), "zone"),
            (r.clock_change.as_ref(), "clock_change"),
        ] {
            if let Some(g) = given
                && (!is_time || computed)
            {
                let why = if computed {
                    format!("`{key}` does not apply to a computed instant")
                } else {
                    format!(
                        "`{key}` applies to instants, and `{}` is a {}",
                        def.name,
                        def.ty.name()
                    )
                };
                self.err(g.span(), format!("{p}.{key}"), why);
                ok = false;
            }
        }
        let time = (is_time && !computed).then(|| TimeSpec {
            format: r
                .format
                .as_ref()
                .and_then(|f| self.format(f, &format!("{p}.format")))
                .unwrap_or_else(|| defaults.format.clone()),
            zone: r
                .zone
                .as_ref()
                .and_then(|z| self.zone(z, &format!("{p}.zone")))
                .unwrap_or(defaults.zone),
            clock_change: r
                .clock_change
                .as_ref()
                .and_then(|c| self.clock_change(c, &format!("{p}.clock_change")))
                .unwrap_or(defaults.clock_change),
        });
        let numeric = matches!(def.ty, FieldType::Float | FieldType::Int);
        let unit = match &r.unit {
            Some(u) if !numeric || computed => {
                self.err(
                    u.span(),
                    format!("{p}.unit"),
                    format!(
                        "`unit` applies to numbers, and `{}` is a {}",
                        def.name,
                        def.ty.name()
                    ),
                );
                ok = false;
                None
            }
            Some(u) => self.unit(u, &format!("{p}.unit")),
            None => None,
        };
        let map = match &r.map {
            Some(m) if computed => {
                self.err(
                    m.span(),
                    format!("{p}.map"),
                    "`map` does not apply to a computed instant",
                );
                ok = false;
                ValueMap::default()
            }
            Some(m) => self.value_map(def, m, &format!("{p}.map")),
            None => ValueMap::default(),
        };
        if let Source::Value(v) = &source {
            self.check_value(
                def,
                v,
                r.value.as_ref().map_or(0..0, Spanned::span),
                &format!("{p}.value"),
            );
        }
        let mut null: Vec<String> = defaults.null.iter().map(|v| v.trim().to_string()).collect();
        null.extend(r.null.iter().map(|v| v.trim().to_string()));
        ok.then(|| FieldMap {
            field: def.name,
            loc: self.loc(span),
            source,
            when,
            null,
            map,
            time,
            unit,
        })
    }

    /// A canonical value given in the file (a map's value, a constant) checked against
    /// the field's type where the type is closed (enumerations, booleans).
    fn check_value(&mut self, def: &FieldDef, v: &str, span: Range<usize>, path: &str) {
        let v = v.trim();
        if v.is_empty() {
            return;
        }
        match def.ty {
            FieldType::Enum(values) if !values.contains(&v) => {
                self.err(
                    span,
                    path,
                    bad_value(&format!("value of {}", def.name), v, values),
                );
            }
            FieldType::Bool
                if !["true", "false", "1", "0", "yes", "no"]
                    .contains(&v.to_ascii_lowercase().as_str()) =>
            {
                self.err(
                    span,
                    path,
                    format!("`{v}` is not a boolean; expected true or false"),
                );
            }
            _ => {}
        }
    }

    fn value_map(
        &mut self,
        def: &FieldDef,
        m: &S<BTreeMap<String, S<String>>>,
        path: &str,
    ) -> ValueMap {
        let mut out = ValueMap::default();
        for (k, v) in m.get_ref() {
            self.check_value(def, v.get_ref(), v.span(), &format!("{path}.{k}"));
            let value = v.get_ref().trim().to_string();
            match k.strip_suffix('*') {
                Some(prefix) => out.prefixes.push((prefix.to_string(), value)),
                None => {
                    out.exact.insert(k.trim().to_string(), value);
                }
            }
        }
        // Longest pattern first: the most specific wins.
        out.prefixes
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        out
    }

    /// The fields in an order where each comes after those it is computed from; every
    /// required field of the kind mapped; references resolved and free of cycles.
    fn order(
        &mut self,
        fields: Vec<(FieldMap, Range<usize>)>,
        declared: &BTreeSet<String>,
        kind: RecordKind,
        path: &str,
        span: &Range<usize>,
    ) -> Vec<FieldMap> {
        for def in kind.fields().iter().filter(|f| f.required) {
            if !declared.contains(def.name) {
                self.err(
                    span.clone(),
                    format!("{path}.fields"),
                    format!(
                        "required field `{}` of `{}` is not mapped",
                        def.name,
                        kind.as_str()
                    ),
                );
            }
        }
        // Declared fields count as mapped here even when their own entry has errors, so
        // that a reference to them is judged by their type alone.
        let types: BTreeMap<&str, FieldType> = declared
            .iter()
            .filter_map(|f| kind.field(f).map(|d| (d.name, d.ty)))
            .collect();
        for (f, key) in &fields {
            if let Source::Plus { from, plus } = &f.source {
                let p = format!("{path}.fields.{}", f.field);
                match types.get(from.as_str()) {
                    Some(FieldType::Timestamp) => {}
                    Some(t) => self.err(
                        key.clone(),
                        format!("{p}.from"),
                        format!("`{from}` is a {}, not an instant", t.name()),
                    ),
                    None => self.err(
                        key.clone(),
                        format!("{p}.from"),
                        format!("`{from}` is not a mapped field of this record"),
                    ),
                }
                if let Addend::Field(a) = plus {
                    match types.get(a.as_str()) {
                        Some(FieldType::Float | FieldType::Int) => {}
                        Some(t) => self.err(
                            key.clone(),
                            format!("{p}.plus"),
                            format!("`{a}` is a {}, not a number of seconds", t.name()),
                        ),
                        None => self.err(
                            key.clone(),
                            format!("{p}.plus"),
                            format!("`{a}` is not a mapped field of this record"),
                        ),
                    }
                }
            }
        }
        // Depth-first order; a field met again while it is being placed is on a cycle.
        let by_name: BTreeMap<&str, usize> = fields
            .iter()
            .enumerate()
            .map(|(i, (f, _))| (f.field, i))
            .collect();
        let mut state = vec![0u8; fields.len()];
        let mut order = Vec::with_capacity(fields.len());
        for start in 0..fields.len() {
            self.visit(start, &fields, &by_name, &mut state, &mut order, path);
        }
        let mut slots: Vec<Option<FieldMap>> = fields.into_iter().map(|(f, _)| Some(f)).collect();
        order
            .into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take))
            .collect()
    }

    fn visit(
        &mut self,
        i: usize,
        fields: &[(FieldMap, Range<usize>)],
        by_name: &BTreeMap<&str, usize>,
        state: &mut [u8],
        order: &mut Vec<usize>,
        path: &str,
    ) {
        // A stack of (field, next dependency) bounded by the number of fields: each is
        // pushed once (state 1) and finished once (state 2).
        let mut stack = vec![(i, 0usize)];
        if state[i] != 0 {
            return;
        }
        state[i] = 1;
        while let Some((at, next)) = stack.pop() {
            let deps = fields[at].0.depends_on();
            if let Some(dep) = deps.get(next) {
                stack.push((at, next + 1));
                let Some(&j) = by_name.get(dep) else {
                    continue;
                };
                match state[j] {
                    0 => {
                        state[j] = 1;
                        stack.push((j, 0));
                    }
                    1 => {
                        let (f, key) = &fields[at];
                        self.err(
                            key.clone(),
                            format!("{path}.fields.{}", f.field),
                            format!(
                                "`{}` is computed from `{dep}`, which is computed from it: a cycle",
                                f.field
                            ),
                        );
                    }
                    _ => {}
                }
            } else {
                state[at] = 2;
                order.push(at);
            }
        }
    }
}
