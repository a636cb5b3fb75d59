//! Checking one row: its cells typed by their fields (types, required fields,
//! enumerations), the kind's range and time-order rules, every instant inside the
//! plausible window, and the site known with a scene that fits the kind. A valid row
//! comes out typed, with its site, local day, anchor time and duplicate-id key; an
//! invalid one with every reason.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use yardstick_core::org::Organisation;
use yardstick_core::records::{FieldDef, RecordKind};

use super::source::RawRow;
use crate::parse::{self, Field};
use crate::schema::{anchor_fields, id_field, required_scene, stored_fields};

/// The instants a row may hold (UTC milliseconds, both ends included): a row with any
/// instant outside is quarantined. The caller chooses it (for instance from 2000 to a
/// week past today), so that a mistyped year is caught at import rather than
/// stretching a period's figures; the default (years 2000 to 9999) catches only
/// instants before 2000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstantWindow {
    /// The earliest plausible instant.
    pub from_ms: i64,
    /// The latest plausible instant.
    pub until_ms: i64,
}

impl InstantWindow {
    /// The UTC days `from ..= until`, whole.
    #[must_use]
    pub fn days(from: NaiveDate, until: NaiveDate) -> InstantWindow {
        let ms = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc().timestamp_millis();
        InstantWindow {
            from_ms: ms(from),
            until_ms: until
                .succ_opt()
                .map_or(i64::MAX, |next| ms(next).saturating_sub(1)),
        }
    }

    /// Whether `t` is inside.
    #[must_use]
    pub fn contains(&self, t: i64) -> bool {
        self.from_ms <= t && t <= self.until_ms
    }

    /// The window of instants that may lie ahead (deadlines, bookings): the same
    /// start, and [`AHEAD_DAYS`] more days at the end.
    #[must_use]
    pub fn ahead(&self) -> InstantWindow {
        InstantWindow {
            from_ms: self.from_ms,
            until_ms: self.until_ms.saturating_add(AHEAD_DAYS * DAY_MS),
        }
    }

    /// The reason given for an instant outside: `issued_at 2100-01-01T00:00:00Z is
    /// outside the plausible window 2000-01-01 .. 2026-12-08`.
    fn outside(&self, field: &str, t: i64) -> String {
        format!(
            "{field} {} is outside the plausible window {} .. {}",
            instant(t),
            bound(self.from_ms, 0),
            bound(self.until_ms, DAY_MS - 1),
        )
    }
}

impl Default for InstantWindow {
    /// The years 2000 to 9999.
    fn default() -> InstantWindow {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        InstantWindow::days(day(2000, 1, 1), day(9999, 12, 31))
    }
}

const DAY_MS: i64 = 86_400_000;

/// How far past the window a deadline or a booking may lie: a year and a day (an
/// appointment booked months ahead is ordinary; one in 2100 is a typing mistake).
pub const AHEAD_DAYS: i64 = 366;

/// An instant in RFC 3339, UTC (milliseconds only when there are any).
fn instant(t: i64) -> String {
    DateTime::from_timestamp_millis(t).map_or_else(
        || format!("{t} ms"),
        |d| d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    )
}

/// A bound of the window: its UTC day when it falls at `in_day` milliseconds into it
/// (the day's first or last millisecond), else the instant.
fn bound(t: i64, in_day: i64) -> String {
    match DateTime::from_timestamp_millis(t) {
        Some(d) if t.rem_euclid(DAY_MS) == in_day => d.date_naive().to_string(),
        _ => instant(t),
    }
}

/// A hash map for the short text keys looked up for every row (field names, site ids):
/// FNV-1a is several times quicker than the default hasher on them, and the keys come
/// from the organisation and the schema, not from the file.
pub(super) type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<crate::fnv::Fnv>>;

/// Everything needed to check rows against the organisation.
pub(super) struct Checker<'a> {
    pub(super) kind: RecordKind,
    pub(super) fields: Vec<&'static FieldDef>,
    /// The kind's rules, with field positions resolved.
    rules: parse::Rules,
    /// Positions of the anchor fields, in order of preference.
    anchors: Vec<usize>,
    /// Position of the id field (a text field), if the kind has one.
    id_index: Option<usize>,
    pub(super) site_index: usize,
    org: &'a Organisation,
    pub(super) tz: FastMap<String, Tz>,
    /// Sites by id with their time zones, so each row's lookup does not scan the
    /// organisation.
    sites: FastMap<&'a str, (&'a yardstick_core::org::Site, Tz)>,
    window: InstantWindow,
}

/// A typed cell of a valid row; text is a byte range of the row's cells text.
#[derive(Debug, Clone, Copy)]
pub(super) enum Typed {
    Null,
    Bool(bool),
    Num(f64),
    Str(usize, usize),
    Ts(i64),
}

impl Typed {
    /// The cell read in `text`, the row's cells text.
    fn field(self, text: &str) -> Field<'_> {
        match self {
            Typed::Null => Field::Null,
            Typed::Bool(b) => Field::Bool(b),
            Typed::Num(x) => Field::Num(x),
            Typed::Str(a, b) => text.get(a..b).map_or(Field::Null, Field::Str),
            Typed::Ts(t) => Field::Ts(t),
        }
    }
}

/// A valid row, typed.
pub(super) struct Valid {
    pub(super) values: Vec<Typed>,
    /// The trimmed site id: a byte range of the row's cells text.
    pub(super) site: (usize, usize),
    /// Local day of the row's anchor time at its site.
    pub(super) day: NaiveDate,
    /// The anchor time, UTC milliseconds.
    pub(super) anchor: i64,
    pub(super) key: Option<u128>,
}

/// A checked row: typed values, every reason it was rejected (code, message), or the
/// name of the rule that skips it on purpose.
pub(super) enum Checked {
    Valid(Valid),
    Invalid(Vec<(String, String)>),
    Skipped(std::sync::Arc<str>),
}

impl<'a> Checker<'a> {
    pub(super) fn new(
        kind: RecordKind,
        org: &'a Organisation,
        window: InstantWindow,
    ) -> Checker<'a> {
        let tz = org.sites.iter().map(|s| (s.id.clone(), s.tz)).collect();
        let fields = stored_fields(kind);
        let site_index = fields.iter().position(|f| f.name == "site_id").unwrap_or(0);
        let index_of = |name: &str| fields.iter().position(|f| f.name == name);
        Checker {
            kind,
            rules: parse::Rules::new(kind, &index_of),
            anchors: anchor_fields(kind)
                .iter()
                .filter_map(|f| index_of(f))
                .collect(),
            id_index: id_field(kind).and_then(index_of),
            fields,
            site_index,
            org,
            sites: org
                .sites
                .iter()
                .map(|s| (s.id.as_str(), (s, site_tz(&tz, &s.id))))
                .collect(),
            tz,
            window,
        }
    }

    pub(super) fn check(&self, row: &RawRow) -> Checked {
        self.check_reusing(row, None)
    }

    /// Checks a row, reusing the buffers of a spent check.
    pub(super) fn check_reusing(&self, row: &RawRow, spent: Option<Checked>) -> Checked {
        if let Some(rule) = &row.skip {
            return Checked::Skipped(std::sync::Arc::clone(rule));
        }
        if let Some(shape) = &row.shape {
            return Checked::Invalid(vec![("malformed row".into(), shape.clone())]);
        }
        let mut reasons: Vec<(String, String)> = Vec::new();
        let text = row.cells.text.as_str();
        let site_span = row
            .cells
            .span(self.site_index)
            .map_or((0, 0), trimmed(text));
        let site = text.get(site_span.0..site_span.1).unwrap_or("");
        // A row of an unknown site is rejected anyway; its local times are read in the
        // default zone so that the reasons name what is wrong, not the zone.
        let tz = self
            .site_check(site, &mut reasons)
            .unwrap_or(chrono_tz::Asia::Shanghai);
        let mut values = match spent {
            Some(Checked::Valid(v)) => v.values,
            _ => Vec::with_capacity(self.fields.len()),
        };
        values.clear();
        for (i, f) in self.fields.iter().enumerate().take(row.cells.len()) {
            let span = row.cells.span(i);
            let raw = span.and_then(|(a, b)| text.get(a..b)).unwrap_or("");
            let parsed = match row.cell_errors.iter().find(|(j, _)| *j == i) {
                Some((_, e)) => Err(e.clone()),
                None => parse::cell(f, raw, Some(tz)),
            };
            values.push(match parsed {
                Ok(Field::Null) => {
                    if f.required {
                        reasons.push((
                            format!("missing {}", f.name),
                            format!("{} is required", f.name),
                        ));
                    }
                    Typed::Null
                }
                Ok(Field::Str(t)) => {
                    // `t` is the trimmed cell, a slice of `text`: its range is its offset
                    // (should a parse ever return other text, the cell is trimmed again).
                    let a = (t.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
                    match a.checked_add(t.len()).filter(|z| *z <= text.len()) {
                        Some(z) => Typed::Str(a, z),
                        None => {
                            let (a, z) = span.map_or((0, 0), trimmed(text));
                            Typed::Str(a, z)
                        }
                    }
                }
                Ok(Field::Bool(b)) => Typed::Bool(b),
                Ok(Field::Num(x)) => Typed::Num(x),
                Ok(Field::Ts(t)) => {
                    let window = if f.ahead {
                        self.window.ahead()
                    } else {
                        self.window
                    };
                    if !window.contains(t) {
                        reasons
                            .push((format!("implausible {}", f.name), window.outside(f.name, t)));
                    }
                    Typed::Ts(t)
                }
                Err(e) => {
                    reasons.push((format!("invalid {}", f.name), e));
                    Typed::Null
                }
            });
        }
        let get = |i: usize| values.get(i).map_or(Field::Null, |v| v.field(text));
        for v in self.rules.check(&get) {
            reasons.push((v.code, v.message));
        }
        let anchor = self.anchors.iter().find_map(|i| match get(*i) {
            Field::Ts(t) => Some(t),
            _ => None,
        });
        if anchor.is_none() && reasons.is_empty() {
            reasons.push((
                "no timestamp".into(),
                format!("none of {} is set", anchor_fields(self.kind).join(", ")),
            ));
        }
        let Some(anchor) = anchor.filter(|_| reasons.is_empty()) else {
            return Checked::Invalid(reasons);
        };
        let key = self.id_index.and_then(|i| match get(i) {
            Field::Str(id) => Some(key(site, id)),
            _ => None,
        });
        Checked::Valid(Valid {
            values,
            day: local_day(anchor, tz),
            anchor,
            site: site_span,
            key,
        })
    }

    /// Checks the site; returns its time zone when it is known.
    fn site_check(&self, site: &str, reasons: &mut Vec<(String, String)>) -> Option<Tz> {
        if site.is_empty() {
            return None;
        }
        if let Some((s, tz)) = self.sites.get(site) {
            if let Some(want) = required_scene(self.kind)
                && s.scene != want
            {
                reasons.push((
                    "site scene does not fit kind".into(),
                    format!(
                        "site `{site}` is a {}, but `{}` records belong to a {}",
                        s.scene.as_str(),
                        self.kind.as_str(),
                        want.as_str()
                    ),
                ));
            }
            return Some(*tz);
        }
        if required_scene(self.kind).is_none() && self.org.node(site).is_some() {
            return Some(chrono_tz::Asia::Shanghai);
        }
        let what = match required_scene(self.kind) {
            Some(_) if self.org.node(site).is_some() => format!(
                "`{site}` is an organisation node, but `{}` records belong to a site",
                self.kind.as_str()
            ),
            _ => format!("site `{site}` is not in the organisation"),
        };
        reasons.push(("unknown site".into(), what));
        None
    }
}

/// The byte range of a cell's text without its leading and trailing white space, from
/// the cell's range in `text`.
fn trimmed(text: &str) -> impl Fn((usize, usize)) -> (usize, usize) + '_ {
    move |(a, b)| {
        let cell = text.get(a..b).unwrap_or("");
        let start = a + (cell.len() - parse::trim_start(cell).len());
        (start, start + parse::trim(cell).len())
    }
}

/// 128-bit key of (site, record id), for duplicate detection in bounded memory (kept in
/// the `.keys` index files, so its function is fixed: see `fnv`).
pub(super) fn key(site: &str, id: &str) -> u128 {
    crate::fnv::key128(site, id)
}

/// The local day of UTC milliseconds `ms` in zone `tz`.
pub(super) fn local_day(ms: i64, tz: Tz) -> NaiveDate {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&tz)
        .date_naive()
}

/// A site's time zone (China Standard Time for a node or an unknown site).
pub(super) fn site_tz(tz: &FastMap<String, Tz>, site: &str) -> Tz {
    tz.get(site).copied().unwrap_or(chrono_tz::Asia::Shanghai)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::source::{Cells, Origin};
    use crate::import::test_org;

    /// A valid hall ticket of h1 issued at `issued_at` (text of the file).
    fn ticket(issued_at: &str) -> RawRow {
        let fields = stored_fields(RecordKind::HallTicket);
        let mut cells = Cells::default();
        cells.reset(fields.len(), "", 64);
        for (name, value) in [
            ("site_id", "h1"),
            ("ticket_id", "T1"),
            ("service_type", "payment"),
            ("issued_at", issued_at),
            ("outcome", "left"),
        ] {
            let i = fields.iter().position(|f| f.name == name).expect("field");
            cells.set(i, value);
        }
        RawRow {
            origin: Origin::Line(2),
            cells,
            cell_errors: Vec::new(),
            shape: None,
            skip: None,
        }
    }

    fn reasons(c: &Checked) -> Vec<(String, String)> {
        match c {
            Checked::Valid(_) | Checked::Skipped(_) => Vec::new(),
            Checked::Invalid(r) => r.clone(),
        }
    }

    /// Deadlines and bookings may lie ahead of the import by a year and a day: the
    /// window 2000-01-01 ..= 2026-12-08 becomes 2000-01-01 ..= 2027-12-09 for them
    /// (2026-12-08 + 366 days = 2027-12-09: 2027 is not a leap year, so 365 days reach
    /// 2027-12-08 and one more 2027-12-09), its last millisecond 23:59:59.999 UTC.
    #[test]
    fn deadlines_and_bookings_may_lie_a_year_ahead() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("day");
        let window = InstantWindow::days(day(2000, 1, 1), day(2026, 12, 8));
        assert_eq!(
            window.ahead(),
            InstantWindow::days(day(2000, 1, 1), day(2027, 12, 9))
        );
        let fields = RecordKind::WorkOrder.fields();
        let ahead: Vec<&str> = fields.iter().filter(|f| f.ahead).map(|f| f.name).collect();
        assert_eq!(
            ahead,
            ["committed_by", "appointment_start", "appointment_end"]
        );
    }

    #[test]
    fn an_instant_outside_the_window_is_quarantined_with_the_window_named() {
        let org = test_org();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("day");
        // 2000-01-01 ..= 2026-12-08, whole UTC days: from 946 684 800 000 ms (2000-01-01
        // 00:00 UTC) to 1 796 774 399 999 ms (2026-12-08 23:59:59.999 UTC).
        let window = InstantWindow::days(day(2000, 1, 1), day(2026, 12, 8));
        assert_eq!(
            window,
            InstantWindow {
                from_ms: 946_684_800_000,
                until_ms: 1_796_774_399_999
            }
        );
        let checker = Checker::new(RecordKind::HallTicket, &org, window);
        // In 2100: outside. h1 is in Shanghai (UTC+8): 08:00 local is 00:00 UTC.
        let c = checker.check(&ticket("2100-01-01 08:00:00"));
        assert_eq!(
            reasons(&c),
            [(
                "implausible issued_at".to_string(),
                "issued_at 2100-01-01T00:00:00Z is outside the plausible window 2000-01-01 .. 2026-12-08"
                    .to_string()
            )]
        );
        // The window's last millisecond is inside, the next one outside: 2026-12-08
        // 23:59:59.999 UTC is 2026-12-09 07:59:59.999 in Shanghai.
        assert!(matches!(
            checker.check(&ticket("2026-12-09T07:59:59.999+08:00")),
            Checked::Valid(_)
        ));
        assert_eq!(
            reasons(&checker.check(&ticket("2026-12-09T08:00:00+08:00")))[0].1,
            "issued_at 2026-12-09T00:00:00Z is outside the plausible window 2000-01-01 .. 2026-12-08"
        );
        // The first millisecond is inside, the one before outside (1999-12-31 23:59:59.999
        // UTC, milliseconds shown).
        assert!(matches!(
            checker.check(&ticket("2000-01-01T00:00:00Z")),
            Checked::Valid(_)
        ));
        assert_eq!(
            reasons(&checker.check(&ticket("1999-12-31T23:59:59.999Z")))[0].1,
            "issued_at 1999-12-31T23:59:59.999Z is outside the plausible window 2000-01-01 .. 2026-12-08"
        );
        // The default window takes 2100 and refuses 1999.
        let open = Checker::new(RecordKind::HallTicket, &org, InstantWindow::default());
        assert!(matches!(
            open.check(&ticket("2100-01-01 08:00:00")),
            Checked::Valid(_)
        ));
        assert_eq!(
            reasons(&open.check(&ticket("1999-06-01T00:00:00Z")))[0].0,
            "implausible issued_at"
        );
        // A window not on day bounds names its instants.
        let odd = InstantWindow {
            from_ms: 946_684_800_500,
            until_ms: 1_796_774_399_000,
        };
        let c =
            Checker::new(RecordKind::HallTicket, &org, odd).check(&ticket("2100-01-01T00:00:00Z"));
        assert_eq!(
            reasons(&c)[0].1,
            "issued_at 2100-01-01T00:00:00Z is outside the plausible window \
             2000-01-01T00:00:00.500Z .. 2026-12-08T23:59:59Z"
        );
    }
}
