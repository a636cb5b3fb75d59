//! A record map compiled against a table's header, and the mapping of one row: filters,
//! then each field in the mapping's order (the site first, since local times may be in
//! its zone), each written as canonical text (instants as RFC 3339 UTC, durations as
//! seconds) into the row's cells, its problems into the row's cell errors with the
//! column named.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Timelike};
use chrono_tz::Tz;
use yardstick_core::i18n::Msg;
use yardstick_core::mapping::{
    Addend, Condition, FieldMap, IdScope, Mapping, Source, TimeSpec, Unit, Zone, resolve_local,
};
use yardstick_core::records::{FieldType, RecordKind};

use crate::import::check::{FastMap, local_day};
use crate::import::error::ImportError;
use crate::import::source::RawRow;
use crate::import::source::sheet::letters;
use crate::schema::{anchor_fields, id_field, stored_fields};

/// A column test, resolved to the column's place.
struct Test {
    col: usize,
    cond: Condition,
}

/// Where a compiled field's value comes from.
enum From {
    Column(usize),
    Columns(Vec<usize>, String),
    Value(String),
    Plus { from: usize, plus: Plus },
}

enum Plus {
    Field(usize),
    Column {
        col: usize,
        unit: Unit,
        null: Vec<String>,
    },
}

/// One field, compiled.
struct Step {
    /// The field's place among the kind's stored fields.
    out: usize,
    ty: FieldType,
    from: From,
    when: Option<Test>,
    null: Vec<String>,
    map: yardstick_core::mapping::ValueMap,
    time: Option<TimeSpec>,
    unit: Option<Unit>,
    /// How messages name the source: "column `Date` (C) + `Time` (D)".
    label: String,
}

/// A record map compiled against a header.
pub(in crate::import) struct Compiled {
    nfields: usize,
    filters: Vec<(Arc<str>, Test)>,
    /// The site's step first, then the others in the mapping's order.
    steps: Vec<Step>,
    site: Option<usize>,
    id: Option<usize>,
    id_scope: IdScope,
    anchors: Vec<usize>,
    zones: FastMap<String, Tz>,
    /// The header's named columns no part of the mapping reads.
    pub(in crate::import) unused: Vec<String>,
    // Per-row scratch, reused.
    text: String,
    instants: Vec<Option<i64>>,
    numbers: Vec<Option<f64>>,
    id_text: String,
}

impl Compiled {
    /// Compiles `mapping`'s record of `kind` against `header`.
    ///
    /// # Errors
    /// The mapping makes no record of the kind; columns it names are not in the header
    /// (every one listed with its place in the mapping).
    pub(in crate::import) fn new(
        path: &Path,
        mapping: &Mapping,
        kind: RecordKind,
        header: &[String],
        zones: &FastMap<String, Tz>,
        sheet: bool,
    ) -> Result<Compiled, ImportError> {
        let fail = |message: Msg| ImportError::Mapping {
            path: path.display().to_string(),
            message,
        };
        let Some(record) = mapping.record(kind) else {
            let kinds: Vec<&str> = mapping.kinds().iter().map(|k| k.as_str()).collect();
            return Err(fail(
                Msg::new("mapping_file.fit.no_kind")
                    .arg("file", &mapping.file)
                    .arg("kind", kind.as_str())
                    .arg("kinds", kinds.join(", ")),
            ));
        };
        let mut missing = Vec::new();
        let mut used = vec![false; header.len()];
        let mut col = |c: &yardstick_core::mapping::Column| -> usize {
            match header.iter().position(|h| h.trim() == c.name) {
                Some(i) => {
                    used[i] = true;
                    i
                }
                None => {
                    let at = format!(
                        "`{}` ({}:{}:{})",
                        c.name, mapping.file, c.loc.line, c.loc.col
                    );
                    if !missing.contains(&at) {
                        missing.push(at);
                    }
                    usize::MAX
                }
            }
        };
        let name_of = |i: usize| -> String {
            let h = header.get(i).map_or("", String::as_str);
            if sheet {
                format!("column {} `{h}`", letters(i))
            } else {
                format!("column `{h}`")
            }
        };
        let fields = stored_fields(kind);
        let index_of = |name: &str| fields.iter().position(|f| f.name == name);
        let mut filters = Vec::new();
        for f in mapping.filters.iter().chain(&record.filters) {
            let c = col(&f.when.column);
            filters.push((
                Arc::from(f.name.as_str()),
                Test {
                    col: c,
                    cond: f.when.clone(),
                },
            ));
        }
        let mut steps = Vec::new();
        for f in &record.fields {
            steps.push(compile_field(f, &fields, &index_of, &mut col, &name_of));
        }
        if !missing.is_empty() {
            let found: Vec<&str> = header
                .iter()
                .map(String::as_str)
                .filter(|h| !h.is_empty())
                .collect();
            return Err(fail(
                Msg::new("mapping_file.fit.missing_columns")
                    .arg("missing", missing.join(", "))
                    .arg("found", found.join(", ")),
            ));
        }
        // The site first: local times may be in its zone.
        let site_out = index_of("site_id");
        if let Some(at) = steps.iter().position(|s| Some(s.out) == site_out) {
            let s = steps.remove(at);
            steps.insert(0, s);
        }
        let unused = header
            .iter()
            .zip(&used)
            .filter(|(h, u)| !**u && !h.trim().is_empty())
            .map(|(h, _)| h.clone())
            .collect();
        Ok(Compiled {
            nfields: fields.len(),
            filters,
            steps,
            site: site_out,
            id: id_field(kind).and_then(index_of),
            id_scope: record.id_scope,
            anchors: anchor_fields(kind)
                .iter()
                .filter_map(|a| index_of(a))
                .collect(),
            zones: zones.clone(),
            unused,
            text: String::new(),
            instants: vec![None; fields.len()],
            numbers: vec![None; fields.len()],
            id_text: String::new(),
        })
    }

    /// Maps the table's row `src` into `row`: skipped by a filter, or the kind's cells
    /// (problems as cell errors).
    pub(in crate::import) fn apply(&mut self, src: &RawRow, row: &mut RawRow) {
        row.reset(src.origin, self.nfields, src.original(), 64);
        if let Some(shape) = &src.shape {
            row.shape = Some(shape.clone());
            return;
        }
        let cell = |c: usize| src.cells.get(c).map_or("", crate::parse::trim);
        for (name, t) in &self.filters {
            if t.cond.holds(cell(t.col)) {
                row.skip = Some(Arc::clone(name));
                return;
            }
        }
        self.instants.fill(None);
        self.numbers.fill(None);
        self.id_text.clear();
        let mut tz = chrono_tz::Asia::Shanghai;
        // The steps are taken out while they run, so each can write the scratch.
        let steps = std::mem::take(&mut self.steps);
        for step in &steps {
            self.text.clear();
            match self.value(step, src, tz) {
                Ok(false) => {}
                Ok(true) => {
                    if Some(step.out) == self.site {
                        tz = self.zones.get(self.text.as_str()).copied().unwrap_or(tz);
                    }
                    if Some(step.out) == self.id && self.id_scope == IdScope::Day {
                        self.id_text.push_str(&self.text);
                    } else {
                        row.cells.set(step.out, &self.text);
                    }
                }
                Err(e) => row.cell_errors.push((step.out, e)),
            }
        }
        self.steps = steps;
        if let Some(id) = self.id
            && !self.id_text.is_empty()
        {
            // Unique per local day: the day of the record's anchor at its site.
            if let Some(ms) = self.anchors.iter().find_map(|a| self.instants[*a]) {
                let day = local_day(ms, tz);
                let _ = write!(self.id_text, "@{day}");
            }
            row.cells.set(id, &self.id_text);
        }
    }

    /// The step's value into `self.text`: `Ok(false)` for NULL.
    fn value(&mut self, step: &Step, src: &RawRow, tz: Tz) -> Result<bool, String> {
        let cell = |c: usize| src.cells.get(c).map_or("", crate::parse::trim);
        let carried = |c: usize| {
            src.cell_errors
                .iter()
                .find(|(i, _)| *i == c)
                .map(|(_, e)| e.clone())
        };
        if let Some(w) = &step.when
            && !w.cond.holds(cell(w.col))
        {
            return Ok(false);
        }
        let is_null = |v: &str| v.is_empty() || step.null.iter().any(|n| n == v);
        match &step.from {
            From::Column(c) => {
                if let Some(e) = carried(*c) {
                    return Err(e);
                }
                let v = cell(*c);
                if is_null(v) {
                    return Ok(false);
                }
                self.text.push_str(v);
            }
            From::Columns(cs, join) => {
                for (k, c) in cs.iter().enumerate() {
                    if let Some(e) = carried(*c) {
                        return Err(e);
                    }
                    let v = cell(*c);
                    if is_null(v) {
                        return Ok(false);
                    }
                    if k > 0 {
                        self.text.push_str(join);
                    }
                    self.text.push_str(v);
                }
            }
            From::Value(v) => self.text.push_str(v),
            From::Plus { from, plus } => return self.plus(step, *from, plus, src),
        }
        if let Some(m) = step.map.get(&self.text) {
            let m = m.to_string();
            self.text.clear();
            if m.is_empty() {
                return Ok(false);
            }
            self.text.push_str(&m);
        }
        if let Some(t) = &step.time {
            let ms = self.instant(step, t, tz)?;
            self.instants[step.out] = Some(ms);
            self.text.clear();
            utc_text(ms, &mut self.text);
            return Ok(true);
        }
        if let Some(u) = step.unit {
            let Some(secs) = u.seconds(&self.text) else {
                return Err(format!(
                    "{}: `{}` is not a duration in {}",
                    step.label,
                    self.text,
                    u.name()
                ));
            };
            self.numbers[step.out] = Some(secs);
            self.text.clear();
            let _ = write!(self.text, "{secs}");
            return Ok(true);
        }
        if matches!(step.ty, FieldType::Float | FieldType::Int) {
            self.numbers[step.out] = self.text.parse().ok();
        }
        Ok(true)
    }

    fn instant(&self, step: &Step, t: &TimeSpec, tz: Tz) -> Result<i64, String> {
        let read = t
            .format
            .read(&self.text)
            .map_err(|e| format!("{}: {e}", step.label))?;
        match read {
            yardstick_core::mapping::TimeRead::Instant(ms) => Ok(ms),
            yardstick_core::mapping::TimeRead::Local(local) => {
                let (zone, fixed) = match t.zone {
                    Zone::Site => (tz, None),
                    Zone::Named(z) => (z, None),
                    Zone::Fixed(s) => (tz, Some(s)),
                };
                resolve_local(local, zone, fixed, t.clock_change)
                    .map(yardstick_core::mapping::LocalResolution::ms)
                    .map_err(|e| format!("{}: {e}", step.label))
            }
        }
    }

    /// An instant field plus a duration.
    fn plus(
        &mut self,
        step: &Step,
        from: usize,
        plus: &Plus,
        src: &RawRow,
    ) -> Result<bool, String> {
        let Some(at) = self.instants.get(from).copied().flatten() else {
            return Ok(false);
        };
        let secs = match plus {
            Plus::Field(f) => self.numbers.get(*f).copied().flatten(),
            Plus::Column { col, unit, null } => {
                let v = src.cells.get(*col).map_or("", crate::parse::trim);
                if v.is_empty() || null.iter().any(|n| n == v) {
                    None
                } else {
                    Some(unit.seconds(v).ok_or_else(|| {
                        format!("{}: `{v}` is not a duration in {}", step.label, unit.name())
                    })?)
                }
            }
        };
        let Some(secs) = secs else {
            return Ok(false);
        };
        #[allow(
            clippy::cast_possible_truncation,
            reason = "checked finite and bounded"
        )]
        let ms = at.saturating_add((secs * 1000.0).clamp(-1e15, 1e15).round() as i64);
        self.instants[step.out] = Some(ms);
        utc_text(ms, &mut self.text);
        Ok(true)
    }
}

fn compile_field(
    f: &FieldMap,
    fields: &[&'static yardstick_core::records::FieldDef],
    index_of: &dyn Fn(&str) -> Option<usize>,
    col: &mut dyn FnMut(&yardstick_core::mapping::Column) -> usize,
    name_of: &dyn Fn(usize) -> String,
) -> Step {
    let out = index_of(f.field).unwrap_or(usize::MAX);
    let ty = fields.get(out).map_or(FieldType::Str, |d| d.ty);
    let (from, label) = match &f.source {
        Source::Column(c) => {
            let i = col(c);
            (From::Column(i), name_of(i))
        }
        Source::Columns { columns, join } => {
            let is: Vec<usize> = columns.iter().map(&mut *col).collect();
            let label = is
                .iter()
                .map(|i| name_of(*i))
                .collect::<Vec<_>>()
                .join(" + ");
            (From::Columns(is, join.clone()), label)
        }
        Source::Value(v) => (From::Value(v.clone()), format!("value `{v}`")),
        Source::Plus { from, plus } => {
            let (p, label) = match plus {
                Addend::Field(a) => (
                    Plus::Field(index_of(a).unwrap_or(usize::MAX)),
                    format!("{from} + {a}"),
                ),
                Addend::Column { column, unit, null } => {
                    let i = col(column);
                    (
                        Plus::Column {
                            col: i,
                            unit: *unit,
                            null: null.clone(),
                        },
                        format!("{from} + {}", name_of(i)),
                    )
                }
            };
            (
                From::Plus {
                    from: index_of(from).unwrap_or(usize::MAX),
                    plus: p,
                },
                label,
            )
        }
    };
    let when = f.when.as_ref().map(|c| Test {
        col: col(&c.column),
        cond: c.clone(),
    });
    Step {
        out,
        ty,
        from,
        when,
        null: f.null.clone(),
        map: f.map.clone(),
        time: f.time.clone(),
        unit: f.unit,
        label,
    }
}

/// UTC milliseconds as RFC 3339 (`2026-10-08T01:15:02Z`, `.250` when there are
/// milliseconds), the shape the canonical parser reads fastest.
pub(in crate::import) fn utc_text(ms: i64, out: &mut String) {
    let Some(t) = DateTime::from_timestamp_millis(ms) else {
        return;
    };
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let milli = ms.rem_euclid(1000);
    if milli != 0 {
        let _ = write!(out, ".{milli:03}");
    }
    out.push('Z');
}
