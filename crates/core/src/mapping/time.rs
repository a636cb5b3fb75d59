//! Instants in a mapping: the shapes times are written in (strftime-like patterns,
//! Excel serial days, epoch seconds or milliseconds, the canonical shapes), the zone a
//! local time is in, and what becomes of a local time that does not exist, or exists
//! twice, on a clock-change day.

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{
    DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone,
};
use chrono_tz::Tz;

use crate::i18n::Msg;

/// The shape of a time's text.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeFormat {
    /// RFC 3339 with an offset, or a local `YYYY-MM-DD HH:MM:SS` (`T` between, a
    /// fraction allowed), or a local date `YYYY-MM-DD` (midnight).
    Canonical,
    /// A strftime-like pattern (`%d/%m/%Y %H:%M:%S`, `%m/%d/%Y %I:%M:%S %p`), local.
    Pattern {
        /// The pattern as written.
        text: String,
        /// The pattern, compiled once.
        items: Vec<Item<'static>>,
    },
    /// Days since 1899-12-30 with the time as the fraction (Excel's 1900 date system),
    /// local.
    ExcelSerial,
    /// Seconds since 1970-01-01 UTC (a fraction allowed): an instant, whatever the zone.
    EpochSeconds,
    /// Milliseconds since 1970-01-01 UTC: an instant, whatever the zone.
    EpochMillis,
}

impl TimeFormat {
    /// Parses a format's name or pattern: `excel`, `epoch`, `epoch_ms`, `canonical`, or a
    /// pattern with at least one `%` directive.
    ///
    /// # Errors
    /// A pattern chrono cannot read, or text that is neither a name nor a pattern, as a
    /// catalogue message.
    pub fn parse(text: &str) -> Result<TimeFormat, Msg> {
        match text {
            "canonical" => return Ok(TimeFormat::Canonical),
            "excel" => return Ok(TimeFormat::ExcelSerial),
            "epoch" => return Ok(TimeFormat::EpochSeconds),
            "epoch_ms" => return Ok(TimeFormat::EpochMillis),
            _ => {}
        }
        if !text.contains('%') {
            return Err(Msg::new("mapping_file.unknown_format").arg("format", text));
        }
        let items = StrftimeItems::new(text)
            .parse_to_owned()
            .map_err(|_| Msg::new("mapping_file.bad_pattern").arg("format", text))?;
        Ok(TimeFormat::Pattern {
            text: text.to_string(),
            items,
        })
    }

    /// The format's name or pattern, for messages.
    #[must_use]
    pub fn label(&self) -> &str {
        match self {
            TimeFormat::Canonical => "canonical",
            TimeFormat::Pattern { text, .. } => text,
            TimeFormat::ExcelSerial => "excel",
            TimeFormat::EpochSeconds => "epoch",
            TimeFormat::EpochMillis => "epoch_ms",
        }
    }

    /// Reads `text` (trimmed, not empty): an instant in UTC milliseconds, or a local
    /// date and time for the zone to place.
    ///
    /// # Errors
    /// A message saying what was expected.
    pub fn read(&self, text: &str) -> Result<Read, String> {
        let bad = || format!("`{text}` is not a time of format {}", self.label());
        match self {
            TimeFormat::Canonical => canonical(text).ok_or_else(bad),
            TimeFormat::Pattern { items, .. } => match pattern(text, items) {
                Some(t) => Ok(Read::Local(t)),
                // A spreadsheet's date cells read as ISO text whatever the pattern.
                None => canonical(text).ok_or_else(bad),
            },
            TimeFormat::ExcelSerial => {
                let days: f64 = text.parse().map_err(|_| bad())?;
                excel_serial(days).map(Read::Local).ok_or_else(bad)
            }
            TimeFormat::EpochSeconds => {
                let s: f64 = text.parse().map_err(|_| bad())?;
                let ms = s * 1000.0;
                if !ms.is_finite() || ms.abs() > 1e17 {
                    return Err(bad());
                }
                #[allow(clippy::cast_possible_truncation, reason = "bounded above")]
                Ok(Read::Instant(ms.round() as i64))
            }
            TimeFormat::EpochMillis => text.parse::<i64>().map(Read::Instant).map_err(|_| bad()),
        }
    }
}

/// A time as read from text: an instant, or a local date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// UTC milliseconds.
    Instant(i64),
    /// A local date and time, for a zone to place.
    Local(NaiveDateTime),
}

/// The local date and time of `text` by compiled pattern items: a date and time, or a
/// date alone (midnight).
fn pattern(text: &str, items: &[Item<'static>]) -> Option<NaiveDateTime> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, items.iter()).ok()?;
    let date = parsed.to_naive_date().ok()?;
    match parsed.to_naive_time() {
        Ok(t) => Some(date.and_time(t)),
        Err(_) if parsed.hour_div_12.is_none() && parsed.minute.is_none() => {
            Some(date.and_time(chrono::NaiveTime::MIN))
        }
        Err(_) => None,
    }
}

/// RFC 3339 (an instant) or a local ISO date and time, or a date.
fn canonical(text: &str) -> Option<Read> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(Read::Instant(t.timestamp_millis()));
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, f) {
            return Some(Read::Local(t));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|d| Read::Local(d.and_time(chrono::NaiveTime::MIN)))
}

/// The local date and time of an Excel serial (1900 system: day 1 is 1900-01-01, and
/// the serials from 61 on count the 29 February 1900 Excel believes in, so day 0 is
/// 1899-12-30 for every date after February 1900), to the millisecond.
#[must_use]
pub fn excel_serial(days: f64) -> Option<NaiveDateTime> {
    // 2 958 466 is 10000-01-01, past Excel's last day.
    if !days.is_finite() || !(0.0..2_958_466.0).contains(&days) {
        return None;
    }
    let ms = (days * 86_400_000.0).round();
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_time(chrono::NaiveTime::MIN);
    #[allow(
        clippy::cast_possible_truncation,
        reason = "bounded by the range above"
    )]
    base.checked_add_signed(Duration::milliseconds(ms as i64))
}

/// The zone local times are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The zone of the record's site (from the organisation).
    Site,
    /// A named IANA zone.
    Named(Tz),
    /// A fixed offset from UTC, in seconds east.
    Fixed(i32),
}

impl Zone {
    /// Parses `site`, an IANA name (`Asia/Shanghai`, `UTC`) or a fixed offset (`+08:00`,
    /// `-05:00`).
    ///
    /// # Errors
    /// A catalogue message naming what was expected.
    pub fn parse(text: &str) -> Result<Zone, Msg> {
        if text == "site" {
            return Ok(Zone::Site);
        }
        if let Some(sign) = text.chars().next().filter(|c| *c == '+' || *c == '-') {
            let rest = &text[1..];
            let parts: Vec<&str> = rest.split(':').collect();
            let num = |p: &str| {
                (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| p.parse::<i32>().ok())
                    .flatten()
            };
            if let [h, m] = parts.as_slice()
                && let (Some(h), Some(m)) = (num(h), num(m))
                && h <= 14
                && m < 60
            {
                let s = h * 3600 + m * 60;
                return Ok(Zone::Fixed(if sign == '-' { -s } else { s }));
            }
            return Err(Msg::new("mapping_file.not_offset").arg("zone", text));
        }
        text.parse::<Tz>()
            .map(Zone::Named)
            .map_err(|_| Msg::new("mapping_file.unknown_zone").arg("zone", text))
    }
}

/// What a local time that does not exist (the hour skipped when clocks go forward) or
/// exists twice (the hour repeated when they go back) becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockChange {
    /// The row is quarantined, naming the time (the default: nothing is guessed).
    #[default]
    Refuse,
    /// The earlier of the two instants: for a repeated time its first occurrence; for a
    /// skipped one, the time read with the offset in force after the change.
    Earlier,
    /// The later of the two instants: for a repeated time its second occurrence; for a
    /// skipped one, the time read with the offset in force before the change.
    Later,
    /// A skipped time becomes the first instant after the gap (the moment of the
    /// change); a repeated time its first occurrence.
    ShiftForward,
}

impl ClockChange {
    /// Every policy, by its name in the file.
    pub const ALL: [(&'static str, ClockChange); 4] = [
        ("refuse", ClockChange::Refuse),
        ("earlier", ClockChange::Earlier),
        ("later", ClockChange::Later),
        ("shift_forward", ClockChange::ShiftForward),
    ];
}

/// How a local time was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalResolution {
    /// It exists once: UTC milliseconds.
    Single(i64),
    /// Placed by the policy on a clock-change day: UTC milliseconds.
    Resolved(i64),
}

impl LocalResolution {
    /// The instant, UTC milliseconds.
    #[must_use]
    pub fn ms(self) -> i64 {
        match self {
            LocalResolution::Single(t) | LocalResolution::Resolved(t) => t,
        }
    }
}

/// Places a local time in a zone (`tz`, or the fixed offset of `zone`) by `policy`.
///
/// # Errors
/// A time that does not exist or exists twice under [`ClockChange::Refuse`]; the message
/// names the time, the zone and the instants it could be.
pub fn resolve_local(
    t: NaiveDateTime,
    tz: Tz,
    fixed: Option<i32>,
    policy: ClockChange,
) -> Result<LocalResolution, String> {
    if let Some(secs) = fixed {
        let off = FixedOffset::east_opt(secs).ok_or("offset out of range")?;
        return match off.from_local_datetime(&t) {
            LocalResult::Single(d) => Ok(LocalResolution::Single(d.timestamp_millis())),
            _ => Err(format!("{t} is out of range")),
        };
    }
    match tz.from_local_datetime(&t) {
        LocalResult::Single(d) => Ok(LocalResolution::Single(d.timestamp_millis())),
        LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.timestamp_millis(), b.timestamp_millis());
            let (first, second) = (a.min(b), a.max(b));
            match policy {
                ClockChange::Refuse => Err(format!(
                    "local time {t} occurs twice in {} (clocks went back); set clock_change to earlier or later",
                    tz.name()
                )),
                ClockChange::Earlier | ClockChange::ShiftForward => {
                    Ok(LocalResolution::Resolved(first))
                }
                ClockChange::Later => Ok(LocalResolution::Resolved(second)),
            }
        }
        LocalResult::None => {
            // Read with the offsets in force a day before and a day after: no zone
            // changes offset twice within two days.
            let day = Duration::days(1);
            let offset_at =
                |utc: NaiveDateTime| tz.offset_from_utc_datetime(&utc).fix().local_minus_utc();
            let before = offset_at(t - day);
            let after = offset_at(t + day);
            let as_utc = |off: i32| (t - Duration::seconds(i64::from(off))).and_utc();
            let (x, y) = (as_utc(before), as_utc(after));
            let (lo, hi) = (x.min(y), x.max(y));
            match policy {
                ClockChange::Refuse => Err(format!(
                    "local time {t} does not exist in {} (clocks went forward); set clock_change to earlier, later or shift_forward",
                    tz.name()
                )),
                ClockChange::Earlier => Ok(LocalResolution::Resolved(lo.timestamp_millis())),
                ClockChange::Later => Ok(LocalResolution::Resolved(hi.timestamp_millis())),
                ClockChange::ShiftForward => {
                    // The change lies between the two readings: find its second.
                    let (mut a, mut b) = (lo.timestamp(), hi.timestamp());
                    let off = |s: i64| {
                        DateTime::from_timestamp(s, 0).map_or(0, |d| offset_at(d.naive_utc()))
                    };
                    let first = off(a);
                    // At most 64 halvings of a span under a day.
                    while b - a > 1 {
                        let mid = a + (b - a) / 2;
                        if off(mid) == first {
                            a = mid;
                        } else {
                            b = mid;
                        }
                    }
                    Ok(LocalResolution::Resolved(b * 1000))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("local time")
    }

    fn utc(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s)
            .expect("rfc 3339")
            .timestamp_millis()
    }

    #[test]
    fn skipped_and_repeated_local_times_follow_the_policy() {
        let ny: Tz = "America/New_York".parse().expect("zone");
        // 2018-03-11: New York's clocks went from 02:00 EST (-05:00) to 03:00 EDT
        // (-04:00), at 07:00 UTC. 02:43:56 does not exist. Read with the offset after
        // (-04:00) it is 06:43:56Z (earlier); with the one before (-05:00), 07:43:56Z
        // (later); shifted forward, the change itself: 07:00:00Z (03:00 EDT).
        let gap = local("2018-03-11 02:43:56");
        let r = |p| resolve_local(gap, ny, None, p).map(LocalResolution::ms);
        assert!(r(ClockChange::Refuse).is_err_and(|e| e.contains("does not exist")));
        assert_eq!(r(ClockChange::Earlier), Ok(utc("2018-03-11T06:43:56Z")));
        assert_eq!(r(ClockChange::Later), Ok(utc("2018-03-11T07:43:56Z")));
        assert_eq!(
            r(ClockChange::ShiftForward),
            Ok(utc("2018-03-11T07:00:00Z"))
        );
        // 2018-11-04: back from 02:00 EDT to 01:00 EST at 06:00 UTC; 01:30 occurs at
        // 05:30Z (EDT) and 06:30Z (EST).
        let twice = local("2018-11-04 01:30:00");
        let r = |p| resolve_local(twice, ny, None, p).map(LocalResolution::ms);
        assert!(r(ClockChange::Refuse).is_err_and(|e| e.contains("occurs twice")));
        assert_eq!(r(ClockChange::Earlier), Ok(utc("2018-11-04T05:30:00Z")));
        assert_eq!(
            r(ClockChange::ShiftForward),
            Ok(utc("2018-11-04T05:30:00Z"))
        );
        assert_eq!(r(ClockChange::Later), Ok(utc("2018-11-04T06:30:00Z")));
        // An ordinary time is single whatever the policy; a fixed offset never changes.
        assert_eq!(
            resolve_local(local("2018-03-12 02:43:56"), ny, None, ClockChange::Refuse),
            Ok(LocalResolution::Single(utc("2018-03-12T06:43:56Z")))
        );
        assert_eq!(
            resolve_local(gap, ny, Some(3 * 3600), ClockChange::Refuse),
            Ok(LocalResolution::Single(utc("2018-03-10T23:43:56Z")))
        );
    }

    #[test]
    fn formats_read_day_first_twelve_hour_serial_and_epoch_times() {
        let f = |p: &str| TimeFormat::parse(p).expect("format");
        let l = |s: &str| Ok(Read::Local(local(s)));
        // Day first, hour without a leading zero.
        assert_eq!(
            f("%d/%m/%Y %H:%M:%S").read("01/02/2021 9:12:58"),
            l("2021-02-01 09:12:58")
        );
        // Twelve-hour: 12:45:48 PM is 12:45:48, 12:05:00 AM is 00:05:00.
        let us = f("%m/%d/%Y %I:%M:%S %p");
        assert_eq!(us.read("04/12/2018 12:45:48 PM"), l("2018-04-12 12:45:48"));
        assert_eq!(us.read("04/12/2018 12:05:00 AM"), l("2018-04-12 00:05:00"));
        assert_eq!(us.read("04/12/2018 01:07:39 PM"), l("2018-04-12 13:07:39"));
        assert!(us.read("13/12/2018 01:07:39 PM").is_err());
        // A date alone is midnight.
        assert_eq!(f("%d.%m.%Y").read("08.10.2026"), l("2026-10-08 00:00:00"));
        // Excel: 45943.5 is 2025-10-13 12:00 (the value calamine's documentation gives);
        // 1 is 1899-12-31 in this count (Excel calls it 1900-01-01, but every serial
        // from 61 on, 1900-03-01, agrees with it).
        assert_eq!(f("excel").read("45943.5"), l("2025-10-13 12:00:00"));
        assert_eq!(f("excel").read("61"), l("1900-03-01 00:00:00"));
        assert!(f("excel").read("-1").is_err());
        // Epoch: 1 700 000 000 s is 2023-11-14T22:13:20Z.
        assert_eq!(
            f("epoch").read("1700000000"),
            Ok(Read::Instant(utc("2023-11-14T22:13:20Z")))
        );
        assert_eq!(
            f("epoch_ms").read("1700000000123"),
            Ok(Read::Instant(utc("2023-11-14T22:13:20.123Z")))
        );
        // Canonical: an instant with its offset, or a local time.
        assert_eq!(
            f("canonical").read("2026-10-08T09:15:02+08:00"),
            Ok(Read::Instant(utc("2026-10-08T01:15:02Z")))
        );
        assert_eq!(
            f("canonical").read("2026-10-08 09:15:02"),
            l("2026-10-08 09:15:02")
        );
        // A pattern also takes the ISO text of a spreadsheet's date cell.
        assert_eq!(
            f("%d/%m/%Y %H:%M:%S").read("2021-02-01 09:12:58"),
            l("2021-02-01 09:12:58")
        );
        assert!(TimeFormat::parse("dd/mm/yyyy").is_err());
        assert!(TimeFormat::parse("%Q").is_err());
    }

    #[test]
    fn zones_are_the_site_a_name_or_an_offset() {
        assert_eq!(Zone::parse("site"), Ok(Zone::Site));
        assert_eq!(Zone::parse("+08:00"), Ok(Zone::Fixed(28_800)));
        assert_eq!(Zone::parse("-05:30"), Ok(Zone::Fixed(-19_800)));
        assert_eq!(
            Zone::parse("Asia/Shanghai"),
            Ok(Zone::Named(chrono_tz::Asia::Shanghai))
        );
        assert!(Zone::parse("+8").is_err());
        assert!(Zone::parse("Mars/Olympus").is_err());
    }
}
