//! Local time as whole seconds, and its RFC 3339 rendering with the `+08:00` offset.
//!
//! Every demo site is in `Asia/Shanghai`, which has had no daylight-saving time since
//! 1991, so a local instant is simply seconds since 1970-01-01 00:00 local time and every
//! timestamp is written with the fixed offset `+08:00`. Integer arithmetic keeps the
//! simulation exact and the formatting fast (about a million rows are written).

use chrono::{Datelike, NaiveDate};

/// Local time in seconds since 1970-01-01T00:00:00+08:00.
pub(crate) type Ts = i64;

/// Seconds in a day.
pub(crate) const DAY_S: i64 = 86_400;
/// Seconds in an hour.
pub(crate) const HOUR_S: i64 = 3_600;
/// Seconds in a minute.
pub(crate) const MIN_S: i64 = 60;
/// Length of a planning interval (30 minutes), as in workforce management.
pub(crate) const SLOT_S: i64 = 1_800;

/// Day number (days since 1970-01-01) of a date.
pub(crate) fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - 719_163
}

/// The date of a day number; dates outside chrono's range fall back to the epoch, which
/// cannot happen for the demo's periods.
pub(crate) fn date_of(day: i64) -> NaiveDate {
    let ce = i32::try_from(day + 719_163).unwrap_or(719_163);
    NaiveDate::from_num_days_from_ce_opt(ce).unwrap_or_default()
}

/// Start of a day (local midnight).
pub(crate) fn day_start(day: i64) -> Ts {
    day * DAY_S
}

/// Day number of an instant.
pub(crate) fn day_of(ts: Ts) -> i64 {
    ts.div_euclid(DAY_S)
}

/// Seconds since local midnight.
pub(crate) fn second_of_day(ts: Ts) -> i64 {
    ts.rem_euclid(DAY_S)
}

/// Year, month and day of a day number (Howard Hinnant's `civil_from_days`), used by
/// the formatter so that no allocation or table lookup is needed per timestamp.
pub(crate) fn civil(day: i64) -> (i64, u32, u32) {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// Appends `YYYY-MM-DDTHH:MM:SS+08:00`.
pub(crate) fn push_rfc3339(out: &mut String, ts: Ts) {
    let (y, mo, d) = civil(day_of(ts));
    let sod = second_of_day(ts);
    let (h, mi, s) = (sod / HOUR_S, (sod % HOUR_S) / MIN_S, sod % MIN_S);
    push_padded(out, y, 4);
    out.push('-');
    push_padded(out, i64::from(mo), 2);
    out.push('-');
    push_padded(out, i64::from(d), 2);
    out.push('T');
    push_padded(out, h, 2);
    out.push(':');
    push_padded(out, mi, 2);
    out.push(':');
    push_padded(out, s, 2);
    out.push_str("+08:00");
}

/// Appends `YYYYMMDD`, used inside record ids.
pub(crate) fn push_compact_date(out: &mut String, day: i64) {
    let (y, mo, d) = civil(day);
    push_padded(out, y, 4);
    push_padded(out, i64::from(mo), 2);
    push_padded(out, i64::from(d), 2);
}

/// Appends the magnitude of a number zero-padded to at least `width` digits, without
/// allocating (this runs several million times per generation).
pub(crate) fn push_padded(out: &mut String, v: i64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut n = v.unsigned_abs();
    let mut len = 0;
    while n > 0 || len == 0 {
        // The remainder of a division by 10 always fits in a byte.
        digits[19 - len] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        len += 1;
    }
    for _ in len..width {
        out.push('0');
    }
    for d in &digits[20 - len..] {
        out.push(char::from(*d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rfc3339_with_the_china_offset() {
        let date = NaiveDate::from_ymd_opt(2026, 10, 8).expect("date");
        let ts = day_start(day_number(date)) + 9 * HOUR_S + 15 * MIN_S + 2;
        let mut s = String::new();
        push_rfc3339(&mut s, ts);
        assert_eq!(s, "2026-10-08T09:15:02+08:00");
        assert_eq!(date_of(day_number(date)), date);
        let mut n = String::new();
        push_padded(&mut n, 0, 1);
        push_padded(&mut n, 42, 5);
        push_padded(&mut n, 1_234_567, 2);
        assert_eq!(n, "0000421234567");
    }

    #[test]
    fn civil_agrees_with_chrono_over_decades() {
        let start = NaiveDate::from_ymd_opt(1999, 12, 25).expect("date");
        for i in 0..12_000 {
            let date = start + chrono::Days::new(i);
            let (y, m, d) = civil(day_number(date));
            assert_eq!(
                (y, m, d),
                (i64::from(date.year()), date.month(), date.day())
            );
        }
    }
}
