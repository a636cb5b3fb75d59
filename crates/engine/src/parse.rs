//! Parsing and checking one record: text cells → typed values, with every problem
//! named (field, value, what was expected).

use chrono::{DateTime, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use yardstick_core::records::{FieldDef, FieldType, RecordKind, Rule};

/// A parsed cell. Text borrows from the row it was read from, so parsing and checking
/// a row copy none of its text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field<'a> {
    /// An empty cell, or a field the row has no cell for.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number; integer and real fields are both numbers.
    Num(f64),
    /// Text (also the value of an enum field), trimmed.
    Str(&'a str),
    /// An instant as epoch milliseconds, UTC.
    Ts(i64),
}

/// Parses one cell. Empty text is NULL; text is trimmed.
///
/// # Errors
/// A message naming the field, the value and what was expected.
pub fn cell<'a>(field: &FieldDef, text: &'a str, tz: Option<Tz>) -> Result<Field<'a>, String> {
    let t = trim(text);
    if t.is_empty() {
        return Ok(Field::Null);
    }
    let name = field.name;
    match field.ty {
        FieldType::Str => Ok(Field::Str(t)),
        FieldType::Enum(values) => {
            if values.contains(&t) {
                Ok(Field::Str(t))
            } else {
                Err(format!("{name}: `{t}` is not one of {}", values.join(", ")))
            }
        }
        FieldType::Int => t
            .parse::<i64>()
            .map(|v| {
                #[allow(
                    clippy::cast_precision_loss,
                    reason = "record integers are small counts"
                )]
                let f = v as f64;
                Field::Num(f)
            })
            .map_err(|_| format!("{name}: `{t}` is not an integer")),
        FieldType::Float => match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Field::Num(v)),
            _ => Err(format!("{name}: `{t}` is not a finite number")),
        },
        FieldType::Bool => {
            let is = |words: &[&str]| words.iter().any(|w| t.eq_ignore_ascii_case(w));
            if is(&["true", "1", "yes", "y"]) {
                Ok(Field::Bool(true))
            } else if is(&["false", "0", "no", "n"]) {
                Ok(Field::Bool(false))
            } else {
                Err(format!("{name}: `{t}` is not a boolean (true/false)"))
            }
        }
        FieldType::Timestamp => timestamp(t, tz)
            .map(Field::Ts)
            .map_err(|e| format!("{name}: {e}")),
    }
}

/// Whether a byte may begin or end white space: ASCII blanks and controls, and any byte
/// of a multi-byte character (Unicode white space outside ASCII is such a character).
fn maybe_space(b: u8) -> bool {
    b <= b' ' || b >= 0x80
}

/// `text.trim()`, answering at once when neither end can be white space (almost every
/// cell).
#[must_use]
pub fn trim(text: &str) -> &str {
    match text.as_bytes() {
        [] => text,
        [first, .., last] | [first @ last] if !maybe_space(*first) && !maybe_space(*last) => text,
        _ => text.trim(),
    }
}

/// `text.trim_start()`, answering at once when the first byte cannot be white space.
#[must_use]
pub fn trim_start(text: &str) -> &str {
    match text.as_bytes().first() {
        Some(b) if !maybe_space(*b) => text,
        _ => text.trim_start(),
    }
}

/// Parses an instant: RFC 3339 with offset, or local `YYYY-MM-DD HH:MM:SS` (or with `T`,
/// optionally with a fraction of a second) in the site's time zone. Returns UTC
/// milliseconds.
///
/// # Errors
/// When the text is neither, or the local time does not exist or is ambiguous there.
pub fn timestamp(t: &str, tz: Option<Tz>) -> Result<i64, String> {
    if let Some(ms) = plain_rfc3339(t) {
        return Ok(ms);
    }
    // What `plain_local` reads has no offset, which RFC 3339 requires: the general
    // RFC 3339 parser would refuse it, so it need not be tried first.
    let local = match plain_local(t) {
        Some(local) => local,
        None if let Ok(dt) = DateTime::parse_from_rfc3339(t) => {
            return Ok(dt.timestamp_millis());
        }
        None => NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f"))
            .map_err(|_| {
                format!(
                    "`{t}` is not RFC 3339 (2026-10-08T09:15:02+08:00) or local YYYY-MM-DD HH:MM:SS"
                )
            })?,
    };
    let Some(tz) = tz else {
        return Err(format!(
            "`{t}` has no offset and the site's time zone is unknown"
        ));
    };
    if let Some(offset_s) = steady_offset(tz, local.date()) {
        return Ok(local.and_utc().timestamp_millis() - offset_s * 1000);
    }
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(dt) => Ok(dt.timestamp_millis()),
        chrono::LocalResult::Ambiguous(..) => Err(format!(
            "`{t}` is ambiguous in {tz} (clock change); give an offset"
        )),
        chrono::LocalResult::None => Err(format!("`{t}` does not exist in {tz} (clock change)")),
    }
}

/// Days `steady_offset` remembers per thread.
const STEADY_DAYS: usize = 4;

/// A remembered day: zone, day and its offset (or `None`, a day with a change).
type SteadyDay = Option<(Tz, chrono::NaiveDate, Option<i64>)>;

thread_local! {
    /// The last days `steady_offset` looked up, per thread, and the slot the next one
    /// replaces: rows of a file come in runs of one zone and day, and a few days
    /// remembered keep rows around midnight or of sites in two zones from looking the
    /// same days up again and again.
    static STEADY: std::cell::Cell<([SteadyDay; STEADY_DAYS], usize)> =
        const { std::cell::Cell::new(([None; STEADY_DAYS], 0)) };
}

/// The zone's UTC offset (seconds) through the whole local `day`, when it has one: its
/// first and last second each exist once, at the same offset. Only a change and its
/// reversal on the same day would hide from this; zones change offset a few times a
/// year at most, months apart. `None` for a day with a change: such times take the
/// general conversion, which names a time that is ambiguous or does not exist.
fn steady_offset(tz: Tz, day: chrono::NaiveDate) -> Option<i64> {
    let (mut days, next) = STEADY.get();
    if let Some((_, _, offset)) = days
        .iter()
        .flatten()
        .find(|(z, d, _)| *z == tz && *d == day)
    {
        return *offset;
    }
    let at = |h, m, s| {
        let local = day.and_hms_opt(h, m, s)?;
        match tz.from_local_datetime(&local) {
            chrono::LocalResult::Single(dt) => Some(local.and_utc().timestamp() - dt.timestamp()),
            _ => None,
        }
    };
    let offset = match (at(0, 0, 0), at(23, 59, 59)) {
        (Some(a), Some(z)) if a == z => Some(a),
        _ => None,
    };
    days[next % STEADY_DAYS] = Some((tz, day, offset));
    STEADY.set((days, (next + 1) % STEADY_DAYS));
    offset
}

/// A date and time read by `plain_date_time`.
struct Plain {
    date: chrono::NaiveDate,
    /// Days from 1970-01-01 to `date`.
    days: i64,
    /// Seconds into the day.
    secs: u32,
    nanos: u32,
}

impl Plain {
    fn naive(&self) -> Option<NaiveDateTime> {
        self.date.and_hms_nano_opt(
            self.secs / 3600,
            self.secs / 60 % 60,
            self.secs % 60,
            self.nanos,
        )
    }

    /// Milliseconds since 1970-01-01 00:00, as if the time were UTC (as chrono's
    /// `timestamp_millis`: the fraction is cut to whole milliseconds, never rounded).
    fn utc_ms(&self) -> i64 {
        self.days * 86_400_000 + i64::from(self.secs) * 1000 + i64::from(self.nanos / 1_000_000)
    }
}

/// Days from 0001-01-01 (day 1 in chrono's count) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;

thread_local! {
    /// The last date `date_of` read, per thread: its ten bytes, the date and its day
    /// number. Rows come in runs of one day and hold several instants each, so most
    /// dates are the one before.
    static LAST_DATE: std::cell::Cell<Option<([u8; 10], chrono::NaiveDate, i64)>> =
        const { std::cell::Cell::new(None) };
}

/// The date of the ten bytes `YYYY-MM-DD` (separators already checked) and its day
/// number from 1970-01-01; `None` for an impossible date.
fn date_of(b: [u8; 10]) -> Option<(chrono::NaiveDate, i64)> {
    if let Some((bytes, date, days)) = LAST_DATE.get()
        && bytes == b
    {
        return Some((date, days));
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(num(0, 4)?).ok()?;
    let date = chrono::NaiveDate::from_ymd_opt(year, num(5, 7)?, num(8, 10)?)?;
    let days = i64::from(chrono::Datelike::num_days_from_ce(&date)) - EPOCH_DAYS_FROM_CE;
    LAST_DATE.set(Some((b, date, days)));
    Some((date, days))
}

/// The date and time at the head of `b` in the fixed shape
/// `YYYY-MM-DD?HH:MM:SS[.f…]` (`?` is any byte `sep` accepts, the fraction one to nine
/// digits), with where the rest starts; `None` for any other shape and for an
/// impossible date or time (leap seconds included).
fn plain_date_time(b: &[u8], sep: impl Fn(u8) -> bool) -> Option<(Plain, usize)> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !sep(b[10]) {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let mut at = 19;
    let mut nanos = 0u32;
    if b.get(at) == Some(&b'.') {
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 9 {
            return None;
        }
        nanos = num(at + 1, at + 1 + digits)? * 10u32.pow(u32::try_from(9 - digits).ok()?);
        at += 1 + digits;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut ymd = [0u8; 10];
    ymd.copy_from_slice(&b[..10]);
    let (date, days) = date_of(ymd)?;
    let plain = Plain {
        date,
        days,
        secs: hour * 3600 + minute * 60 + second,
        nanos,
    };
    Some((plain, at))
}

/// The common shape of an RFC 3339 instant, read without the general parser:
/// `YYYY-MM-DDTHH:MM:SS`, an optional fraction of up to nine digits, then `Z` or
/// `±HH:MM`. Anything else (other shapes, out-of-range fields, leap seconds) is `None`
/// and left to the general parser, which gives the same instant for what this accepts.
fn plain_rfc3339(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    let (plain, at) = plain_date_time(b, |c| c == b'T')?;
    let offset_s: i32 = match &b[at..] {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digit = |c: &u8| c.is_ascii_digit().then(|| i32::from(c - b'0'));
            let (h, m) = (digit(h1)? * 10 + digit(h2)?, digit(m1)? * 10 + digit(m2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let s = h * 3600 + m * 60;
            if *sign == b'-' { -s } else { s }
        }
        _ => return None,
    };
    Some(plain.utc_ms() - i64::from(offset_s) * 1000)
}

/// The common shape of a local time, read without the general parser:
/// `YYYY-MM-DD HH:MM:SS` (or `T` between date and time), an optional fraction of up to
/// nine digits, and nothing after. Anything else is `None` and left to the general
/// parser, which gives the same local time for what this accepts.
fn plain_local(t: &str) -> Option<NaiveDateTime> {
    let b = t.as_bytes();
    let (plain, at) = plain_date_time(b, |c| c == b' ' || c == b'T')?;
    if at == b.len() { plain.naive() } else { None }
}

/// One rule a record breaks: a short code to count it under (bounded: it names fields,
/// never values) and a message saying what is wrong, with the values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Reason code, e.g. `time order: called_at is before issued_at`, `out of range: csat`.
    pub code: String,
    /// What is wrong, e.g. `csat: 7 is out of range (expected in 1..=5)`.
    pub message: String,
}

impl Violation {
    fn new(code: impl Into<String>, message: impl Into<String>) -> Violation {
        Violation {
            code: code.into(),
            message: message.into(),
        }
    }
}

/// Range and consistency rules beyond types: returns every violation's message.
#[must_use]
pub fn rules<'v>(kind: RecordKind, get: &dyn Fn(&str) -> Field<'v>) -> Vec<String> {
    violations(kind, get)
        .into_iter()
        .map(|v| v.message)
        .collect()
}

/// Range and consistency rules beyond types: returns every violation, with its code.
/// `get` gives a field's value by name ([`Field::Null`] when the row has none); values
/// are borrowed, so checking a row copies none of its text. To check many rows, compile
/// the rules once with [`Rules::new`].
#[must_use]
pub fn violations<'v>(kind: RecordKind, get: &dyn Fn(&str) -> Field<'v>) -> Vec<Violation> {
    let fields = kind.fields();
    let rules = Rules::new(kind, &|name| fields.iter().position(|f| f.name == name));
    rules.check(&|i| fields.get(i).map_or(Field::Null, |f| get(f.name)))
}

/// The rules of a kind (`RecordKind::rules`, declared in core) with their fields
/// resolved to positions once, so that checking a row looks no name up.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Time order: (earlier, later) positions and names.
    order: Vec<(usize, usize, &'static str, &'static str)>,
    /// Ranges: position, name, lowest, highest.
    ranges: Vec<(usize, &'static str, f64, Option<f64>)>,
    /// A field that a value of another needs: the other's position, name and value,
    /// then the needed field's position (if the kind has it: a missing field is always
    /// empty) and name.
    needs: Vec<(
        usize,
        &'static str,
        &'static str,
        Option<usize>,
        &'static str,
    )>,
    /// At most: positions and names of the number and of its limit.
    at_most: Vec<(usize, usize, &'static str, &'static str)>,
}

impl Rules {
    /// Compiles the rules of `kind`; `index_of` gives a field's position by name, `None`
    /// for a field rows never have (a rule on it can then never fire, or always sees
    /// it empty).
    #[must_use]
    pub fn new(kind: RecordKind, index_of: &dyn Fn(&str) -> Option<usize>) -> Rules {
        let mut rules = Rules {
            order: Vec::new(),
            ranges: Vec::new(),
            needs: Vec::new(),
            at_most: Vec::new(),
        };
        for rule in kind.rules() {
            match *rule {
                Rule::NotBefore(later, earlier) => {
                    if let (Some(a), Some(b)) = (index_of(earlier), index_of(later)) {
                        rules.order.push((a, b, earlier, later));
                    }
                }
                Rule::InRange(f, lo, hi) => {
                    if let Some(i) = index_of(f) {
                        rules.ranges.push((i, f, lo, hi));
                    }
                }
                Rule::NeedsWhen(field, value, needed) => {
                    if let Some(i) = index_of(field) {
                        rules
                            .needs
                            .push((i, field, value, index_of(needed), needed));
                    }
                }
                Rule::AtMost(f, limit) => {
                    if let (Some(a), Some(b)) = (index_of(f), index_of(limit)) {
                        rules.at_most.push((a, b, f, limit));
                    }
                }
            }
        }
        rules
    }

    /// Every violation of a row; `get` gives a field's value by position.
    #[must_use]
    pub fn check<'v>(&self, get: &dyn Fn(usize) -> Field<'v>) -> Vec<Violation> {
        let mut out = Vec::new();
        for &(a, b, an, bn) in &self.order {
            if let (Field::Ts(x), Field::Ts(y)) = (get(a), get(b))
                && y < x
            {
                out.push(Violation::new(
                    format!("time order: {bn} is before {an}"),
                    format!("{bn} ({}) is before {an} ({})", utc(y), utc(x)),
                ));
            }
        }
        for &(i, f, lo, hi) in &self.ranges {
            if let Field::Num(v) = get(i)
                && (v < lo || hi.is_some_and(|h| v > h))
            {
                let range = hi.map_or_else(|| format!("≥ {lo}"), |h| format!("in {lo}..={h}"));
                out.push(Violation::new(
                    format!("out of range: {f}"),
                    format!("{f}: {v} is out of range (expected {range})"),
                ));
            }
        }
        for &(i, field, value, needed_at, needed) in &self.needs {
            if matches!(get(i), Field::Str(s) if s == value)
                && matches!(needed_at.map_or(Field::Null, get), Field::Null)
            {
                let m = format!("{field} `{value}` needs {needed}");
                out.push(Violation::new(m.clone(), m));
            }
        }
        for &(a, b, an, bn) in &self.at_most {
            if let (Field::Num(x), Field::Num(y)) = (get(a), get(b))
                && x > y
            {
                out.push(Violation::new(
                    format!("{an} exceeds {bn}"),
                    format!("{an} ({x}) exceeds {bn} ({y})"),
                ));
            }
        }
        out
    }
}

/// An instant as RFC 3339 UTC text, for messages.
fn utc(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_offset_and_local_agree() {
        // 09:15:02 in Shanghai (UTC+8) is 01:15:02 UTC.
        let a = timestamp("2026-10-08T09:15:02+08:00", None).expect("rfc3339");
        let b = timestamp("2026-10-08 09:15:02", Some(chrono_tz::Asia::Shanghai)).expect("local");
        assert_eq!(a, b);
        assert_eq!(a, 1_791_422_102_000);
        assert!(timestamp("08/10/2026 09:15", Some(chrono_tz::Asia::Shanghai)).is_err());
        assert!(
            timestamp("2026-10-08 09:15:02", None)
                .expect_err("no tz")
                .contains("time zone")
        );
    }

    #[test]
    fn the_quick_rfc3339_reading_agrees_with_the_general_parser() {
        for t in [
            "2026-10-08T09:15:02+08:00",
            "2026-10-08T09:15:02.5-03:30",
            "2026-10-08T09:15:02.123456789Z",
            "1999-12-31T23:59:59.999+00:00",
            "2024-02-29T00:00:00-00:00",
        ] {
            let general = DateTime::parse_from_rfc3339(t)
                .expect("valid")
                .timestamp_millis();
            assert_eq!(plain_rfc3339(t), Some(general), "{t}");
        }
        // 09:15:02 at UTC+8 is 01:15:02 UTC; half a second later at UTC-3:30.
        assert_eq!(
            plain_rfc3339("2026-10-08T09:15:02+08:00"),
            Some(1_791_422_102_000)
        );
        assert_eq!(
            plain_rfc3339("2026-10-08T09:15:02.5-03:30"),
            Some(1_791_422_102_000 + (8 * 3600 + 3 * 3600 + 1800) * 1000 + 500)
        );
        // Left to the general parser: other shapes and impossible dates or times.
        for t in [
            "2026-10-08 09:15:02+08:00",
            "2026-10-08T09:15:02",
            "2026-02-30T09:15:02Z",
            "2026-10-08T24:00:00Z",
            "2026-10-08T09:15:60Z",
            "2026-10-08T09:15:02+24:00",
            "2026-10-08T09:15:02.Z",
            "2026-10-08T09:15:02z",
        ] {
            assert_eq!(plain_rfc3339(t), None, "{t}");
        }
    }

    #[test]
    fn the_quick_reading_agrees_with_the_general_parser_on_every_day_and_date() {
        // Every day from 1960-01-01 to 2100-12-31 (before and after 1970, leap years,
        // 2000 a leap year and 2100 not), read one after another and then each between
        // two readings of another day, so that the remembered last date never answers
        // for a different one.
        let mut day = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).expect("date");
        let last = chrono::NaiveDate::from_ymd_opt(2100, 12, 31).expect("date");
        let other = "1999-07-15T00:00:00Z";
        while day <= last {
            let t = format!("{}T12:34:56.789-03:30", day.format("%Y-%m-%d"));
            let general = DateTime::parse_from_rfc3339(&t)
                .expect("valid")
                .timestamp_millis();
            assert_eq!(plain_rfc3339(&t), Some(general), "{t}");
            // 1970 to 1999: 29 × 365 + 7 leap days = 10 592 days; to 15 July: 181 + 14.
            assert_eq!(plain_rfc3339(other), Some((10_592 + 195) * 86_400_000));
            assert_eq!(plain_rfc3339(&t), Some(general), "{t} again");
            day = day.succ_opt().expect("next day");
        }
        // Month 0 to 13 and day 0 to 32 of four years: the quick reading takes exactly
        // the dates that exist (30 February, 31 April, 29 February 1900 and 2023 do not).
        for year in [1900, 2000, 2023, 2024] {
            for month in 0..=13u32 {
                for d in 0..=32u32 {
                    let t = format!("{year:04}-{month:02}-{d:02}T00:00:00Z");
                    let exists = chrono::NaiveDate::from_ymd_opt(year, month, d).is_some();
                    assert_eq!(plain_rfc3339(&t).is_some(), exists, "{t}");
                    assert_eq!(plain_local(&t[..19]).is_some(), exists, "{t}");
                }
            }
        }
    }

    #[test]
    fn the_quick_local_reading_agrees_with_the_general_parser() {
        for t in [
            "2026-10-08 09:15:02",
            "2026-10-08T09:15:02",
            "2026-10-08 09:15:02.5",
            "2026-10-08 09:15:02.123456789",
            "2024-02-29 23:59:59.999",
            "1999-12-31 00:00:00",
        ] {
            let general = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f"))
                .expect("valid");
            assert_eq!(plain_local(t), Some(general), "{t}");
        }
        // 2026-10-08 09:15:02.5 local: day 20 734 after 1970-01-01 (2026-10-08), at
        // 9 h 15 min 2.5 s = 33 302.5 s into it.
        let ms = plain_local("2026-10-08 09:15:02.5")
            .expect("local")
            .and_utc()
            .timestamp_millis();
        assert_eq!(ms, 20_734 * 86_400_000 + 33_302_500);
        // Left to the general parser (which rejects or reads each as it always did):
        // offsets, other shapes, impossible dates and times, a trailing byte.
        for t in [
            "2026-10-08 09:15:02+08:00",
            "2026-10-08T09:15:02Z",
            "2026/10/08 09:15:02",
            "2026-10-8 09:15:02",
            "2026-10-08 9:15:02",
            "2026-02-30 09:15:02",
            "2026-10-08 24:00:00",
            "2026-10-08 09:15:60",
            "2026-10-08 09:15:02.",
            "2026-10-08 09:15:02.1234567890",
            "2026-10-08 09:15:02 ",
            "2026-10-08_09:15:02",
        ] {
            assert_eq!(plain_local(t), None, "{t}");
        }
        // Through `timestamp`: the site's zone applies (09:15:02.5 in Shanghai is
        // 01:15:02.5 UTC), and a local time without a zone is still an error.
        assert_eq!(
            timestamp("2026-10-08 09:15:02.5", Some(chrono_tz::Asia::Shanghai)),
            Ok(20_734 * 86_400_000 + 33_302_500 - 8 * 3_600_000)
        );
        assert!(timestamp("2026-10-08 09:15:02", None).is_err());
    }

    #[test]
    fn local_times_convert_as_the_zone_says_on_every_kind_of_day() {
        use chrono::{Duration, NaiveDate};
        // Every 15 minutes from 2026-03-06 to 2026-03-10 in New York (clocks forward
        // 02:00 → 03:00 on 8 March, so 02:00–02:59 does not exist) and from 2026-10-30
        // to 2026-11-03 (back 02:00 → 01:00 on 1 November, so 01:00–01:59 happens
        // twice), and in Shanghai (no change), in every order of days: the day memo
        // must give what the general conversion gives, and the same errors.
        let zones = [
            (chrono_tz::America::New_York, (2026, 3, 6)),
            (chrono_tz::America::New_York, (2026, 10, 30)),
            (chrono_tz::Asia::Shanghai, (2026, 3, 6)),
        ];
        let mut checked = 0;
        for (tz, (y, m, d)) in zones {
            let start = NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .expect("start");
            let mut times: Vec<_> = (0..4 * 24 * 4)
                .map(|q| start + Duration::minutes(15 * q))
                .collect();
            for pass in 0..2 {
                if pass == 1 {
                    times.reverse();
                }
                for local in &times {
                    let text = local.format("%Y-%m-%d %H:%M:%S").to_string();
                    let general = match tz.from_local_datetime(local) {
                        chrono::LocalResult::Single(dt) => Some(dt.timestamp_millis()),
                        _ => None,
                    };
                    assert_eq!(timestamp(&text, Some(tz)).ok(), general, "{tz} {text}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 3 * 2 * 384);
        // By hand: 2026-03-08 01:30 in New York is EST (UTC-5), 06:30 UTC; 03:30 the
        // same day is EDT (UTC-4), 07:30 UTC; 02:30 does not exist.
        let ny = Some(chrono_tz::America::New_York);
        let utc = |t: &str| {
            DateTime::parse_from_rfc3339(t)
                .expect("utc")
                .timestamp_millis()
        };
        assert_eq!(
            timestamp("2026-03-08 01:30:00", ny),
            Ok(utc("2026-03-08T06:30:00Z"))
        );
        assert_eq!(
            timestamp("2026-03-08 03:30:00", ny),
            Ok(utc("2026-03-08T07:30:00Z"))
        );
        assert!(
            timestamp("2026-03-08 02:30:00", ny)
                .expect_err("gap")
                .contains("does not exist")
        );
        assert!(
            timestamp("2026-11-01 01:30:00", ny)
                .expect_err("twice")
                .contains("ambiguous")
        );
        // The day memo does not outlive a change of zone: the same local time in
        // Shanghai (UTC+8) right after.
        assert_eq!(
            timestamp("2026-03-08 01:30:00", Some(chrono_tz::Asia::Shanghai)),
            Ok(utc("2026-03-07T17:30:00Z"))
        );
    }

    #[test]
    fn the_quick_trim_is_the_standard_trim() {
        // U+3000 (ideographic space) and U+00A0 (no-break space) are white space; a cell
        // starting or ending with a Chinese character is not.
        for t in [
            "",
            " ",
            "a",
            "ab",
            " a",
            "a ",
            "\ta\r",
            "\u{3000}营业厅\u{3000}",
            "营业厅",
            "\u{a0}x",
            "x\u{a0}",
            "中",
            " 中 ",
            "\u{1}a\u{7f}",
            "a\u{85}",
        ] {
            assert_eq!(trim(t), t.trim(), "{t:?}");
            assert_eq!(trim_start(t), t.trim_start(), "{t:?}");
        }
    }

    #[test]
    fn nonexistent_local_times_are_rejected() {
        // 2026-03-29 01:30 does not exist in London (clocks go from 01:00 to 02:00).
        let e = timestamp("2026-03-29 01:30:00", Some(chrono_tz::Europe::London)).expect_err("gap");
        assert!(e.contains("does not exist"), "{e}");
    }

    #[test]
    fn local_times_may_have_a_fraction_of_a_second() {
        let shanghai = Some(chrono_tz::Asia::Shanghai);
        let a = timestamp("2026-10-08 09:15:02.250", shanghai).expect("fraction");
        let b = timestamp("2026-10-08T09:15:02.25", shanghai).expect("fraction with T");
        assert_eq!((a, b), (1_791_422_102_250, 1_791_422_102_250));
    }

    #[test]
    fn violation_codes_name_fields_never_values() {
        fn row<'p>(pairs: &'p [(&str, Field<'p>)]) -> impl Fn(&str) -> Field<'p> {
            move |f| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == f)
                    .map_or(Field::Null, |(_, v)| *v)
            }
        }
        let agent_row = [
            ("busy_s", Field::Num(4000.0)),
            ("staffed_s", Field::Num(3600.0)),
            ("scheduled_s", Field::Num(-1.0)),
        ];
        let agent = row(&agent_row);
        let v = violations(RecordKind::AgentInterval, &agent);
        let codes: Vec<&str> = v.iter().map(|v| v.code.as_str()).collect();
        assert_eq!(
            codes,
            ["out of range: scheduled_s", "busy_s exceeds staffed_s"]
        );
        assert_eq!(v[1].message, "busy_s (4000) exceeds staffed_s (3600)");

        let ticket_row = [
            ("issued_at", Field::Ts(1_791_422_102_000)),
            ("called_at", Field::Ts(1_791_422_000_000)),
            ("outcome", Field::Str("served")),
        ];
        let ticket = row(&ticket_row);
        let v = violations(RecordKind::HallTicket, &ticket);
        assert_eq!(v[0].code, "time order: called_at is before issued_at");
        assert_eq!(
            v[0].message,
            "called_at (2026-10-08T01:13:20Z) is before issued_at (2026-10-08T01:15:02Z)"
        );
        assert_eq!(
            rules(RecordKind::HallTicket, &ticket),
            [v[0].message.clone()]
        );
    }
}
