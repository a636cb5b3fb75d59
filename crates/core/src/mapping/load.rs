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
use crate::diag::{Collector, LoadError, bad_value, line_col, toml_problem, toml_syntax};
use crate::i18n::Msg;
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
    /// Records a problem at a key path as written in the file.
    fn err(&mut self, span: Range<usize>, path: impl Into<String>, message: Msg) {
        self.out.err_at(span, path, message);
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
                self.err(at, path, toml_problem(e.message()));
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
                Msg::new("file_check.array_of_tables").arg("key", path),
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
                    Msg::new("mapping_file.unknown_key").arg("valid", TOP_KEYS.join(", ")),
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
            self.err(0..0, "record", Msg::new("mapping_file.no_record"));
            return None;
        };
        let DeValue::Array(items) = records.get_ref() else {
            self.err(
                records.span(),
                "record",
                Msg::new("file_check.array_of_tables").arg("key", "record"),
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
                        Msg::new("mapping_file.second_record").arg("kind", r.kind.as_str()),
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
                bad_value("file_check.what.clock_change", c.get_ref(), &names),
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
            self.err(
                u.span(),
                path,
                bad_value("file_check.what.unit", u.get_ref(), &names),
            );
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
            self.err(
                column.span(),
                format!("{path}.column"),
                Msg::new("file_check.empty"),
            );
        }
        let (values, is) = match (is_in, not_in) {
            (Some(v), None) => (v, true),
            (None, Some(v)) => (v, false),
            _ => {
                self.err(span, path, Msg::new("mapping_file.in_or_not_in"));
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
                self.err(
                    f.name.span(),
                    format!("{p}.name"),
                    Msg::new("file_check.empty"),
                );
            } else if !names.insert(name.to_string()) {
                self.err(
                    f.name.span(),
                    format!("{p}.name"),
                    Msg::new("mapping_file.filter_twice").arg("name", name),
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
            self.err(
                item.span(),
                &path,
                Msg::new("mapping_file.record_not_table"),
            );
            return None;
        };
        for (key, _) in table {
            if !RECORD_KEYS.contains(&key.get_ref().as_ref()) {
                self.err(
                    key.span(),
                    format!("{path}.{}", key.get_ref()),
                    Msg::new("mapping_file.unknown_key").arg("valid", RECORD_KEYS.join(", ")),
                );
            }
        }
        let Some(kind_v) = table.get("kind") else {
            self.err(item.span(), &path, Msg::new("mapping_file.missing_kind"));
            return None;
        };
        let kind_s: S<String> = self.de(kind_v.clone(), &format!("{path}.kind"))?;
        let Some(kind) = RecordKind::parse(kind_s.get_ref()) else {
            let kinds: Vec<&str> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
            self.err(
                kind_s.span(),
                format!("{path}.kind"),
                bad_value("file_check.what.record_kind", kind_s.get_ref(), &kinds),
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
                self.err(item.span(), &path, Msg::new("mapping_file.missing_fields"));
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
                    Msg::new("mapping_file.no_id").arg("kind", kind.as_str()),
                );
                IdScope::Forever
            }
            "day" => IdScope::Day,
            other => {
                self.err(
                    s.span(),
                    format!("{path}.id_scope"),
                    bad_value("file_check.what.id_scope", other, &["forever", "day"]),
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
            self.err(
                value.span(),
                format!("{path}.fields"),
                Msg::new("mapping_file.not_table"),
            );
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
                    Msg::new("mapping_file.derived").arg("field", &name)
                } else {
                    Msg::new("mapping_file.unknown_field")
                        .arg("kind", kind.as_str())
                        .arg("found", &name)
                        .arg("valid", names.join(", "))
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
            self.err(span.clone(), p, Msg::new("mapping_file.one_source"));
            return None;
        }
        let mut ok = true;
        if let Some(j) = &r.join
            && r.columns.is_none()
        {
            self.err(
                j.span(),
                format!("{p}.join"),
                Msg::new("mapping_file.join_without_columns"),
            );
            ok = false;
        }
        if let Some(pl) = &r.plus
            && r.from.is_none()
        {
            self.err(
                pl.span(),
                format!("{p}.plus"),
                Msg::new("mapping_file.plus_without_from"),
            );
            ok = false;
        }
        let source = if let Some(c) = &r.column {
            Source::Column(self.column(c))
        } else if let Some(cs) = &r.columns {
            if cs.get_ref().len() < 2 {
                self.err(
                    cs.span(),
                    format!("{p}.columns"),
                    Msg::new("mapping_file.two_columns"),
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
                    Msg::new("mapping_file.from_not_instant")
                        .arg("field", def.name)
                        .arg_text("type", type_key(def.ty)),
                );
                ok = false;
            }
            let Some(plus) = &r.plus else {
                self.err(span.clone(), p, Msg::new("mapping_file.from_needs_plus"));
                return None;
            };
            let a = plus.get_ref();
            let addend = match (&a.field, &a.column) {
                (Some(f), None) => {
                    if a.unit.is_some() {
                        self.err(
                            plus.span(),
                            format!("{p}.plus"),
                            Msg::new("mapping_file.field_has_unit"),
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
                        Msg::new("mapping_file.field_or_column"),
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
                    Msg::new("mapping_file.computed").arg("key", key)
                } else {
                    Msg::new("mapping_file.time_key_not_instant")
                        .arg("key", key)
                        .arg("field", def.name)
                        .arg_text("type", type_key(def.ty))
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
                    Msg::new("mapping_file.unit_not_number")
                        .arg("field", def.name)
                        .arg_text("type", type_key(def.ty)),
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
                    Msg::new("mapping_file.computed").arg("key", "map"),
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
                    Msg::new("mapping_file.unknown_enum_value")
                        .arg("field", def.name)
                        .arg("found", v)
                        .arg("valid", values.join(", ")),
                );
            }
            FieldType::Bool
                if !["true", "false", "1", "0", "yes", "no"]
                    .contains(&v.to_ascii_lowercase().as_str()) =>
            {
                self.err(
                    span,
                    path,
                    Msg::new("mapping_file.not_bool").arg("value", v),
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
                    Msg::new("mapping_file.required")
                        .arg("field", def.name)
                        .arg("kind", kind.as_str()),
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
                        Msg::new("mapping_file.from_type")
                            .arg("field", from)
                            .arg_text("type", type_key(*t)),
                    ),
                    None => self.err(
                        key.clone(),
                        format!("{p}.from"),
                        Msg::new("mapping_file.not_mapped").arg("field", from),
                    ),
                }
                if let Addend::Field(a) = plus {
                    match types.get(a.as_str()) {
                        Some(FieldType::Float | FieldType::Int) => {}
                        Some(t) => self.err(
                            key.clone(),
                            format!("{p}.plus"),
                            Msg::new("mapping_file.plus_type")
                                .arg("field", a)
                                .arg_text("type", type_key(*t)),
                        ),
                        None => self.err(
                            key.clone(),
                            format!("{p}.plus"),
                            Msg::new("mapping_file.not_mapped").arg("field", a),
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
                            Msg::new("mapping_file.cycle")
                                .arg("field", f.field)
                                .arg("dep", dep),
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

/// The catalogue key of a field type's name in messages (`[file_check.type]`).
fn type_key(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Str => "file_check.type.string",
        FieldType::Enum(_) => "file_check.type.enum",
        FieldType::Timestamp => "file_check.type.timestamp",
        FieldType::Int => "file_check.type.integer",
        FieldType::Float => "file_check.type.number",
        FieldType::Bool => "file_check.type.boolean",
    }
}
