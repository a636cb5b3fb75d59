//! Field mappings: how a foreign table (a CSV export, a spreadsheet) becomes records of
//! canonical kinds, declared in a TOML file (`docs/mapping-format.md`).
//!
//! This module holds the validated model and its loader ([`Mapping::from_toml`]), pure:
//! every problem of the file is reported at once, located (file:line:col), and a mapping
//! that loads is internally consistent (every field exists in its kind and is not
//! derived, every required field is mapped, every value a map gives to an enumeration is
//! one of its values, computed fields name fields that exist and hold no cycle, time
//! formats and zones parse). What cannot be known without the file (that the columns
//! exist) is checked by the engine when it opens one, naming each column's place in the
//! mapping. The engine executes the model row by row.

mod load;
mod time;

use std::collections::BTreeMap;

use chrono_tz::Tz;

use crate::records::RecordKind;

pub use time::{
    ClockChange, LocalResolution, Read as TimeRead, TimeFormat, Zone, excel_serial, resolve_local,
};

/// A place in the mapping file: 1-based line and column (characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Loc {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
}

/// A column of the source named in the mapping, with where it is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column's header text (compared trimmed).
    pub name: String,
    /// Where the mapping names it.
    pub loc: Loc,
}

/// A test of one column's cell (trimmed; an empty cell is `""`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The column tested.
    pub column: Column,
    /// The values it is tested against.
    pub values: Vec<String>,
    /// `in` (true: the cell is one of the values) or `not_in` (false).
    pub is_in: bool,
}

impl Condition {
    /// Whether the condition holds for a cell (its text, trimmed by the caller).
    #[must_use]
    pub fn holds(&self, cell: &str) -> bool {
        self.values.iter().any(|v| v == cell) == self.is_in
    }
}

/// A named rule that skips the rows its condition holds for: they are neither stored nor
/// quarantined, and are counted under the rule's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The name rows are counted under.
    pub name: String,
    /// Rows for which it holds are skipped.
    pub when: Condition,
}

/// Whether a record's id is unique forever, or only within a local day (systems that
/// restart ticket numbers every day): then the canonical id is the source id, `@` and
/// the local day of the record's anchor time at its site (`T0042@2026-10-08`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdScope {
    /// The source id is unique forever.
    #[default]
    Forever,
    /// The source id is unique within a local day.
    Day,
}

/// How a number read from the source becomes seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds.
    Millis,
    /// Seconds (the canonical unit).
    Seconds,
    /// Minutes.
    Minutes,
    /// Hours.
    Hours,
    /// `h:mm:ss` or `mm:ss` (hours may exceed 24; a fraction of a second is kept).
    Clock,
}

impl Unit {
    /// Every unit, by its name in the file.
    pub const ALL: [(&'static str, Unit); 5] = [
        ("ms", Unit::Millis),
        ("s", Unit::Seconds),
        ("min", Unit::Minutes),
        ("h", Unit::Hours),
        ("h:mm:ss", Unit::Clock),
    ];

    /// The unit's name in the file.
    #[must_use]
    pub fn name(self) -> &'static str {
        Unit::ALL
            .iter()
            .find(|(_, u)| *u == self)
            .map_or("s", |(n, _)| n)
    }

    /// Seconds in `text` of this unit; `None` when it is not such a number.
    #[must_use]
    pub fn seconds(self, text: &str) -> Option<f64> {
        let factor = match self {
            Unit::Millis => 0.001,
            Unit::Seconds => 1.0,
            Unit::Minutes => 60.0,
            Unit::Hours => 3600.0,
            Unit::Clock => return clock_seconds(text),
        };
        let x: f64 = text.parse().ok()?;
        x.is_finite().then_some(x * factor)
    }
}

/// Seconds of `h:mm:ss`, `mm:ss` (also `-h:mm:ss`); minutes and seconds below 60.
fn clock_seconds(text: &str) -> Option<f64> {
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, text),
    };
    let parts: Vec<&str> = body.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let whole = |p: &str| -> Option<f64> {
        p.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| p.parse::<f64>().ok())
            .flatten()
    };
    let last = parts[parts.len() - 1];
    let secs: f64 = {
        let (int, frac) = last.split_once('.').unwrap_or((last, ""));
        if int.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let s = whole(int)?;
        let f = if frac.is_empty() {
            0.0
        } else {
            format!("0.{frac}").parse::<f64>().ok()?
        };
        s + f
    };
    if secs >= 60.0 {
        return None;
    }
    let (h, m) = if parts.len() == 3 {
        (whole(parts[0])?, whole(parts[1])?)
    } else {
        (0.0, whole(parts[0])?)
    };
    if parts.len() == 3 && m >= 60.0 {
        return None;
    }
    Some(sign * (h * 3600.0 + m * 60.0 + secs))
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// One column's cell.
    Column(Column),
    /// Several columns' cells joined by a separator (a date and a time; id parts).
    Columns {
        /// The columns, in order.
        columns: Vec<Column>,
        /// What goes between two cells.
        join: String,
    },
    /// The same value on every record.
    Value(String),
    /// An instant field of the same record plus a duration.
    Plus {
        /// The instant field.
        from: String,
        /// The duration added.
        plus: Addend,
    },
}

/// The duration added to an instant.
#[derive(Debug, Clone, PartialEq)]
pub enum Addend {
    /// A number-of-seconds field of the same record.
    Field(String),
    /// A column read in a unit.
    Column {
        /// The column.
        column: Column,
        /// Its unit.
        unit: Unit,
        /// Cells meaning "no value" besides the empty one.
        null: Vec<String>,
    },
}

/// How values are read as instants.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSpec {
    /// The text's shape.
    pub format: TimeFormat,
    /// The zone local times are in.
    pub zone: Zone,
    /// What a local time that does not exist, or exists twice, becomes.
    pub clock_change: ClockChange,
}

/// A value map: cells (after null markers) to canonical values. A key ending in `*`
/// matches every cell starting with what precedes it (`*` alone: every other cell); an
/// exact key wins over a pattern, a longer pattern over a shorter one. An empty value
/// means NULL. Cells no key matches are kept as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValueMap {
    /// Exact keys.
    pub exact: BTreeMap<String, String>,
    /// Prefix patterns (without their `*`), longest first.
    pub prefixes: Vec<(String, String)>,
}

impl ValueMap {
    /// The value a cell maps to, when a key matches.
    #[must_use]
    pub fn get(&self, cell: &str) -> Option<&str> {
        if let Some(v) = self.exact.get(cell) {
            return Some(v);
        }
        self.prefixes
            .iter()
            .find(|(p, _)| cell.starts_with(p.as_str()))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the map has no key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.prefixes.is_empty()
    }
}

/// How one canonical field is made.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMap {
    /// The canonical field.
    pub field: &'static str,
    /// Where it is declared.
    pub loc: Loc,
    /// Its source.
    pub source: Source,
    /// When set, the field is set only on rows where it holds (NULL elsewhere).
    pub when: Option<Condition>,
    /// Cells meaning "no value" besides the empty one (`0:00:00`, `0`, `NULL`).
    pub null: Vec<String>,
    /// Values mapped to canonical ones.
    pub map: ValueMap,
    /// For an instant field: how its text is read.
    pub time: Option<TimeSpec>,
    /// For a number field: the unit its text is in (converted to seconds).
    pub unit: Option<Unit>,
}

impl FieldMap {
    /// The columns this field reads.
    #[must_use]
    pub fn columns(&self) -> Vec<&Column> {
        let mut out: Vec<&Column> = match &self.source {
            Source::Column(c) => vec![c],
            Source::Columns { columns, .. } => columns.iter().collect(),
            Source::Value(_) => Vec::new(),
            Source::Plus { plus, .. } => match plus {
                Addend::Column { column, .. } => vec![column],
                Addend::Field(_) => Vec::new(),
            },
        };
        out.extend(self.when.as_ref().map(|c| &c.column));
        out
    }

    /// The fields of the same record this field is computed from.
    #[must_use]
    pub fn depends_on(&self) -> Vec<&str> {
        match &self.source {
            Source::Plus { from, plus } => {
                let mut v = vec![from.as_str()];
                if let Addend::Field(f) = plus {
                    v.push(f.as_str());
                }
                v
            }
            _ => Vec::new(),
        }
    }
}

/// The records of one kind made from each source row.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordMap {
    /// The kind.
    pub kind: RecordKind,
    /// Where the record is declared.
    pub loc: Loc,
    /// Whether ids are unique forever or per local day.
    pub id_scope: IdScope,
    /// Rows that make no record of this kind (the mapping's own filters apply first).
    pub filters: Vec<Filter>,
    /// The fields, in an order where every field comes after those it is computed from.
    pub fields: Vec<FieldMap>,
}

impl RecordMap {
    /// The map of a field.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<&FieldMap> {
        self.fields.iter().find(|f| f.field == name)
    }
}

/// A validated field mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// The file name it was loaded from (for messages).
    pub file: String,
    /// SHA-256 of the mapping's text: a file imported through another mapping is
    /// another import.
    pub fingerprint: String,
    /// The source's text encoding, when the mapping names it (a label such as `gb18030`).
    pub encoding: Option<String>,
    /// The sheet of a workbook, when the mapping names it.
    pub sheet: Option<String>,
    /// Rows that make no record at all.
    pub filters: Vec<Filter>,
    /// The records made from each row, one per kind.
    pub records: Vec<RecordMap>,
}

impl Mapping {
    /// Parses and validates a mapping file. `file` only labels messages.
    ///
    /// # Errors
    /// Every problem found, located.
    pub fn from_toml(file: &str, src: &str) -> Result<Mapping, crate::diag::LoadError> {
        load::load(file, src)
    }

    /// The record of a kind, if the mapping makes it.
    #[must_use]
    pub fn record(&self, kind: RecordKind) -> Option<&RecordMap> {
        self.records.iter().find(|r| r.kind == kind)
    }

    /// The kinds the mapping makes, in file order.
    #[must_use]
    pub fn kinds(&self) -> Vec<RecordKind> {
        self.records.iter().map(|r| r.kind).collect()
    }
}

/// A named zone, or `None`.
#[must_use]
pub fn named_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

#[cfg(test)]
mod tests {
    use super::Unit;

    #[test]
    fn clock_durations_read_hours_minutes_and_seconds() {
        // 0:02:23 = 143 s; 1:00:00 = 3600 s; 12:05 (mm:ss) = 725 s; 26:00:00 = 93 600 s
        // (hours past a day); 0:00:01.5 = 1.5 s; -0:00:10 = -10 s.
        let s = |t| Unit::Clock.seconds(t);
        assert_eq!(s("0:02:23"), Some(143.0));
        assert_eq!(s("1:00:00"), Some(3600.0));
        assert_eq!(s("12:05"), Some(725.0));
        assert_eq!(s("26:00:00"), Some(93_600.0));
        assert_eq!(s("0:00:01.5"), Some(1.5));
        assert_eq!(s("-0:00:10"), Some(-10.0));
        for bad in [
            "", "5", "1:60:00", "0:00:60", "a:00:00", "1::00", "1:2:3:4", "0:00:1x",
        ] {
            assert_eq!(s(bad), None, "{bad}");
        }
        // Other units scale a number: 1.5 min = 90 s, 2 h = 7200 s, 250 ms = 0.25 s.
        assert_eq!(Unit::Minutes.seconds("1.5"), Some(90.0));
        assert_eq!(Unit::Hours.seconds("2"), Some(7200.0));
        assert_eq!(Unit::Millis.seconds("250"), Some(0.25));
        assert_eq!(Unit::Seconds.seconds("x"), None);
        assert_eq!(Unit::Seconds.seconds("inf"), None);
    }
}
