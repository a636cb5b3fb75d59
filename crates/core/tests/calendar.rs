//! Business calendars and SLA clocks, checked against values worked out by hand.
//!
//! Each case's comment shows the arithmetic. Tables are inline `insta` snapshots so a
//! change shows as a readable diff. The property tests at the end check the invariants
//! every clock must keep: never negative, non-decreasing in the end instant, additive
//! over a split point, and never increased by pauses.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use yardstick_core::calendar::{
    BusinessCalendar, CalendarConfig, ClockError, ClockInput, ClockOutcome, DataStatus,
    ExclusionReason, Limit, LimitCheck, MakeupDayHours, Measure, MeasureValue, OpenInterval, Span,
    business_time, calendar_days, check_limit, deadline_end_of_nth_working_day, elapsed,
    working_days,
};
use yardstick_core::vocab::AreaClass;

const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;
const LONDON: Tz = chrono_tz::Europe::London;

/// A business hall: Monday to Friday 08:30–12:00 and 13:30–18:00 (8 h), Saturday
/// 09:00–17:00 (8 h), Sunday closed; closed on public holidays; make-up days keep the
/// hours of their own weekday; mainland China holidays.
const HALL: &str = r#"
tz = "Asia/Shanghai"
[weekly]
mon = ["08:30-12:00", "13:30-18:00"]
tue = ["08:30-12:00", "13:30-18:00"]
wed = ["08:30-12:00", "13:30-18:00"]
thu = ["08:30-12:00", "13:30-18:00"]
fri = ["08:30-12:00", "13:30-18:00"]
sat = ["09:00-17:00"]
"#;

fn hall() -> BusinessCalendar {
    calendar(HALL)
}

fn calendar(toml: &str) -> BusinessCalendar {
    CalendarConfig::from_toml(toml)
        .and_then(BusinessCalendar::try_from)
        .expect("a valid test calendar")
}

/// A local wall-clock time `"YYYY-MM-DD HH:MM"` in `tz`, as UTC.
fn at(tz: Tz, local: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").expect("a test time");
    tz.from_local_datetime(&naive)
        .single()
        .expect("an unambiguous test time")
        .with_timezone(&Utc)
}

fn cst(local: &str) -> DateTime<Utc> {
    at(SHANGHAI, local)
}

fn utc(text: &str) -> DateTime<Utc> {
    at(chrono_tz::UTC, text)
}

fn span(tz: Tz, from: &str, to: &str) -> Span {
    (at(tz, from), at(tz, to))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid test date")
}

fn hm(d: TimeDelta) -> String {
    format!("{}h{:02}m", d.num_hours(), d.num_minutes() % 60)
}

/// One table row: elapsed, business time, calendar days, working days.
fn row(cal: &BusinessCalendar, name: &str, from: &str, to: &str, pauses: &[Span]) -> String {
    let (s, e) = (at(cal.tz(), from), at(cal.tz(), to));
    let el = elapsed(s, e, pauses).expect("elapsed");
    let bt = business_time(cal, s, e, pauses).expect("business time");
    let cd = calendar_days(cal, s, e, pauses).expect("calendar days");
    let wd = working_days(cal, s, e, pauses).expect("working days");
    format!(
        "{name:<20} | {:>7} | {:>8} | {cd:>8} | {wd:>9}\n",
        hm(el),
        hm(bt)
    )
}

const HEADER: &str = "case                 | elapsed | business | cal_days | work_days\n";

/// One line for a limit check: what was used, the deadline if any, met or missed.
fn limit_line(cal: &BusinessCalendar, name: &str, check: LimitCheck) -> String {
    let used = match check.used {
        MeasureValue::Duration(d) => hm(d),
        MeasureValue::Days(n) => format!("{n} d"),
    };
    let deadline = check.deadline.map_or_else(String::new, |t| {
        t.with_timezone(&cal.tz())
            .format("%Y-%m-%d %H:%M %:z")
            .to_string()
    });
    let verdict = if check.met { "met" } else { "missed" };
    format!("{name:<22} | {used:>7} | {deadline:<22} | {verdict}\n")
}

fn check(cal: &BusinessCalendar, s: &str, e: &str, pauses: &[Span], limit: Limit) -> LimitCheck {
    check_limit(cal, cst(s), cst(e), pauses, limit).expect("a valid clock")
}

/// Cases in a week without holidays (Monday 2025-03-10 to Monday 2025-03-17).
#[test]
fn check_ordinary_week() {
    let hall = hall();
    let mut t = String::from(HEADER);
    // Mon 10:00–15:00 = 5 h elapsed; open 10:00–12:00 (2 h) + 13:30–15:00 (1 h 30)
    // = 3 h 30; same day, so no day after the start day.
    t += &row(
        &hall,
        "lunch break",
        "2025-03-10 10:00",
        "2025-03-10 15:00",
        &[],
    );
    // Fri 16:00 → Mon 09:00 = 65 h. Fri 16:00–18:00 2 h + Sat 09:00–17:00 8 h + Sun 0
    // + Mon 08:30–09:00 0 h 30 = 10 h 30. Days after Friday: Sat, Sun, Mon = 3;
    // working days among them: Mon = 1.
    t += &row(
        &hall,
        "over a weekend",
        "2025-03-14 16:00",
        "2025-03-17 09:00",
        &[],
    );
    // Mon 17:00 → Tue 00:00 = 7 h, open 17:00–18:00 = 1 h. The clock never ran on
    // Tuesday, so it is not counted: 0 days.
    t += &row(
        &hall,
        "ends at midnight",
        "2025-03-10 17:00",
        "2025-03-11 00:00",
        &[],
    );
    // Mon 10:00 → Tue 10:00 with pauses Mon 09:00–11:00 (starts before the span),
    // Mon 10:30–14:00 (overlaps the first) and Tue 09:30–12:00 (runs past the end).
    // Their union inside the span: Mon 10:00–14:00 (4 h) + Tue 09:30–10:00 (0 h 30),
    // so elapsed = 24 h − 4 h 30 = 19 h 30. Open time: Mon 10:00–12:00 2 h + 13:30–18:00
    // 4 h 30 + Tue 08:30–10:00 1 h 30 = 8 h; open and paused: Mon 10:00–12:00 2 h +
    // 13:30–14:00 0 h 30 + Tue 09:30–10:00 0 h 30 = 3 h; business = 5 h. Tuesday ran
    // (00:00–09:30): 1 day, a working day.
    let pauses = [
        span(SHANGHAI, "2025-03-10 09:00", "2025-03-10 11:00"),
        span(SHANGHAI, "2025-03-10 10:30", "2025-03-10 14:00"),
        span(SHANGHAI, "2025-03-11 09:30", "2025-03-11 12:00"),
    ];
    t += &row(
        &hall,
        "overlapping pauses",
        "2025-03-10 10:00",
        "2025-03-11 10:00",
        &pauses,
    );
    // Mon 17:00 → Wed 09:00 (40 h) with all of Tuesday paused: running Mon 17:00–24:00
    // (7 h) + Wed 00:00–09:00 (9 h) = 16 h; business Mon 17:00–18:00 1 h + Wed
    // 08:30–09:00 0 h 30 = 1 h 30. Tuesday did not run, Wednesday did: 1 day.
    let tuesday = [span(SHANGHAI, "2025-03-11 00:00", "2025-03-12 00:00")];
    t += &row(
        &hall,
        "pause over a day",
        "2025-03-10 17:00",
        "2025-03-12 09:00",
        &tuesday,
    );
    insta::assert_snapshot!(t, @r"
    case                 | elapsed | business | cal_days | work_days
    lunch break          |   5h00m |    3h30m |        0 |         0
    over a weekend       |  65h00m |   10h30m |        3 |         1
    ends at midnight     |   7h00m |    1h00m |        0 |         0
    overlapping pauses   |  19h30m |    5h00m |        1 |         1
    pause over a day     |  16h00m |    1h30m |        1 |         1
    ");
}

/// Monday 2025-03-10 in Shanghai (UTC+8): 08:30–12:00 and 13:30–18:00 local are
/// 00:30–04:00 and 05:30–10:00 UTC; an interval contains its start, not its end.
#[test]
fn open_intervals_are_utc_and_half_open() {
    let hall = hall();
    assert_eq!(
        hall.open_intervals(day(2025, 3, 10)),
        vec![
            (utc("2025-03-10 00:30"), utc("2025-03-10 04:00")),
            (utc("2025-03-10 05:30"), utc("2025-03-10 10:00")),
        ]
    );
    assert!(hall.is_open_at(cst("2025-03-10 08:30")));
    assert!(hall.is_open_at(cst("2025-03-10 11:59")));
    assert!(!hall.is_open_at(cst("2025-03-10 12:00")), "lunch break");
    assert!(!hall.is_open_at(cst("2025-03-16 10:00")), "Sunday");
    assert!(
        hall.open_intervals(day(2025, 10, 6)).is_empty(),
        "public holiday"
    );
}

/// Closures and overnight intervals.
#[test]
fn check_closures_and_overnight() {
    // The hall, closed for works on Wednesday 2025-03-12.
    let closed_wed = calendar(&format!(
        "{HALL}\n[[closures]]\nfrom = \"2025-03-12\"\nto = \"2025-03-12\"\nreason = \"装修\"\n"
    ));
    // A night desk open 20:00–02:00 every day, closed on Saturday 2025-03-15.
    let night = calendar(
        r#"
        holidays = "none"
        [weekly]
        mon = ["20:00-02:00+1"]
        tue = ["20:00-02:00+1"]
        wed = ["20:00-02:00+1"]
        thu = ["20:00-02:00+1"]
        fri = ["20:00-02:00+1"]
        sat = ["20:00-02:00+1"]
        sun = ["20:00-02:00+1"]
        [[closures]]
        from = "2025-03-15"
        to = "2025-03-15"
        reason = "power works"
        "#,
    );
    let mut t = String::from(HEADER);
    // Tue 17:00 → Thu 09:00 = 40 h. Tue 17:00–18:00 1 h + Wed closed + Thu 08:30–09:00
    // 0 h 30 = 1 h 30. Wed and Thu are still working days (a closure is not a holiday).
    t += &row(
        &closed_wed,
        "closed Wednesday",
        "2025-03-11 17:00",
        "2025-03-13 09:00",
        &[],
    );
    // Thu 23:00 → Fri 21:00 = 22 h. Thursday's night 23:00–02:00 = 3 h + Friday's
    // 20:00–21:00 = 1 h: 4 h. One day after Thursday: Friday, a working day.
    t += &row(
        &night,
        "overnight",
        "2025-03-13 23:00",
        "2025-03-14 21:00",
        &[],
    );
    // Fri 22:00 → Sun 01:00 = 27 h. Friday's night is cut at Saturday 00:00 (closed):
    // 22:00–24:00 = 2 h. Saturday's night never opens, so Sun 00:00–01:00 is closed too.
    // Days after Friday: Sat, Sun = 2, neither a working day.
    t += &row(
        &night,
        "overnight into closure",
        "2025-03-14 22:00",
        "2025-03-16 01:00",
        &[],
    );
    insta::assert_snapshot!(t, @r"
    case                 | elapsed | business | cal_days | work_days
    closed Wednesday     |  40h00m |    1h30m |        2 |         2
    overnight            |  22h00m |    4h00m |        1 |         1
    overnight into closure |  27h00m |    2h00m |        2 |         0
    ");
}

/// A repair reported on Friday 2024-09-13, the day before a make-up Saturday (调休):
/// the 2024 notice makes Saturday 09-14 a working day and gives 中秋 off Sunday 09-15 to
/// Tuesday 09-17. Restored Wednesday 2024-09-18 10:00.
#[test]
fn repair_before_mid_autumn_2024_with_makeup_saturday() {
    let hall = hall();
    let (s, e) = ("2024-09-13 16:00", "2024-09-18 10:00");
    assert!(hall.is_working_day(day(2024, 9, 14)), "make-up Saturday");
    assert!(!hall.is_working_day(day(2024, 9, 16)), "中秋 Monday");
    let mut t = String::new();
    // Elapsed: Fri 16:00 → Wed 16:00 is 5 days = 120 h, less 6 h = 114 h; over the
    // 48 h urban limit of 电信条例 Art. 33 and the 72 h rural one.
    t += &limit_line(
        &hall,
        "CN Art. 33 urban 48 h",
        check(&hall, s, e, &[], Limit::repair_cn(AreaClass::Urban)),
    );
    t += &limit_line(
        &hall,
        "CN Art. 33 rural 72 h",
        check(&hall, s, e, &[], Limit::repair_cn(AreaClass::Rural)),
    );
    // Business time: Fri 16:00–18:00 2 h + make-up Sat with its own Saturday hours
    // 09:00–17:00 8 h + Sun–Tue holiday closed + Wed 08:30–10:00 1 h 30 = 11 h 30.
    t += &limit_line(
        &hall,
        "business ≤ 12 h",
        check(&hall, s, e, &[], Limit::BusinessTime(TimeDelta::hours(12))),
    );
    // Calendar days after Friday: Sat, Sun, Mon, Tue, Wed = 5.
    t += &limit_line(
        &hall,
        "calendar days ≤ 5",
        check(&hall, s, e, &[], Limit::CalendarDays(5)),
    );
    // Working days after Friday: Sat 14 (make-up) is the 1st, Wed 18 the 2nd. So "end of
    // next working day" is Saturday 24:00 = 2024-09-15 00:00 (missed), and "end of 2nd
    // working day" is Wednesday 24:00 = 2024-09-19 00:00 (met). Two working days used.
    t += &limit_line(
        &hall,
        "ACMA urban, WD 1",
        check(&hall, s, e, &[], Limit::repair_acma(AreaClass::Urban)),
    );
    t += &limit_line(
        &hall,
        "ACMA rural, WD 2",
        check(&hall, s, e, &[], Limit::repair_acma(AreaClass::MinorRural)),
    );
    insta::assert_snapshot!(t, @r"
    CN Art. 33 urban 48 h  | 114h00m |                        | missed
    CN Art. 33 rural 72 h  | 114h00m |                        | missed
    business ≤ 12 h        |  11h30m |                        | met
    calendar days ≤ 5      |     5 d |                        | met
    ACMA urban, WD 1       |     2 d | 2024-09-15 00:00 +08:00 | missed
    ACMA rural, WD 2       |     2 d | 2024-09-19 00:00 +08:00 | met
    ");

    // Open on holidays 10:00–16:00: Sun, Mon, Tue add 3 × 6 h = 18 h: 29 h 30.
    let open_holidays = hall
        .clone()
        .with_holiday_hours(Some(vec![
            OpenInterval::parse("10:00-16:00").expect("valid"),
        ]))
        .expect("valid");
    let bt = business_time(&open_holidays, cst(s), cst(e), &[]).expect("valid");
    assert_eq!(bt, TimeDelta::minutes(29 * 60 + 30));
    // Make-up days open 09:00–12:00 only: Saturday gives 3 h instead of 8 h: 6 h 30.
    let short_makeup = hall
        .clone()
        .with_makeup_day_hours(MakeupDayHours::Hours(vec![
            OpenInterval::parse("09:00-12:00").expect("valid"),
        ]))
        .expect("valid");
    let bt = business_time(&short_makeup, cst(s), cst(e), &[]).expect("valid");
    assert_eq!(bt, TimeDelta::minutes(6 * 60 + 30));
}

/// Friday 2025-09-26 before the 2025 National Day and Mid-Autumn period (Wed 10-01 to
/// Wed 10-08), whose make-up working days are Sunday 09-28 and Saturday 10-11.
/// Restored Thursday 2025-10-09 11:00.
#[test]
fn repair_before_national_day_2025_with_makeup_sunday() {
    let hall = hall();
    let (s, e) = ("2025-09-26 17:00", "2025-10-09 11:00");
    // Working days after Friday: Sun 28 (make-up) 1st, Mon 29 2nd, Tue 30 3rd, Oct 1–8
    // off, Thu Oct 9 4th. Deadlines are those days' 24:00.
    let deadlines: Vec<String> = (1..=4)
        .map(|n| {
            let d = deadline_end_of_nth_working_day(&hall, cst(s), n).expect("in range");
            d.with_timezone(&SHANGHAI).format("%m-%d %H:%M").to_string()
        })
        .collect();
    assert_eq!(
        deadlines,
        ["09-29 00:00", "09-30 00:00", "10-01 00:00", "10-10 00:00"]
    );

    let mut t = String::from(HEADER);
    // Elapsed: Fri 17:00 → Thu Oct 9 17:00 = 13 days = 312 h, less 6 h = 306 h. Business
    // (own-weekday hours on make-up days, so the make-up Sunday stays closed): Fri
    // 17:00–18:00 1 h + Sat 27 8 h + Sun 28 0 + Mon 29 8 h + Tue 30 8 h + Oct 1–8 0 +
    // Thu 08:30–11:00 2 h 30 = 27 h 30. Days after Friday: Sep 27 … Oct 9 = 13; working
    // days: Sun 28, Mon 29, Tue 30, Thu 9 = 4.
    t += &row(&hall, "own-weekday make-up", s, e, &[]);
    // The same site opening make-up days like a Monday: Sunday 28 adds 8 h = 35 h 30.
    let like_monday = hall
        .clone()
        .with_makeup_day_hours(MakeupDayHours::Like(chrono::Weekday::Mon))
        .expect("valid");
    t += &row(&like_monday, "make-up like Monday", s, e, &[]);
    // The customer was away all Monday 29: 24 h less elapsed (282 h), 8 h less business
    // (19 h 30), one day fewer (12) and one working day fewer (3).
    let monday = [span(SHANGHAI, "2025-09-29 00:00", "2025-09-30 00:00")];
    t += &row(&hall, "customer away Mon 29", s, e, &monday);
    insta::assert_snapshot!(t, @r"
    case                 | elapsed | business | cal_days | work_days
    own-weekday make-up  | 306h00m |   27h30m |       13 |         4
    make-up like Monday  | 306h00m |   35h30m |       13 |         4
    customer away Mon 29 | 282h00m |   19h30m |       12 |         3
    ");

    // With Monday 29 wholly paused, it is skipped: the 2nd working day becomes Tue 30
    // (deadline 10-01 00:00) and the 4th Fri Oct 10 (deadline 10-11 00:00).
    let wd2 = check(&hall, s, e, &monday, Limit::EndOfNthWorkingDay(2));
    assert_eq!(
        (wd2.met, wd2.deadline),
        (false, Some(cst("2025-10-01 00:00")))
    );
    let wd4 = check(&hall, s, e, &monday, Limit::EndOfNthWorkingDay(4));
    assert_eq!(
        (wd4.met, wd4.deadline),
        (true, Some(cst("2025-10-11 00:00")))
    );
}

/// Spring Festival 2026 (Sun 02-15 to Mon 02-23, make-up Sat 02-14 and Sat 02-28) and
/// 2027, whose notice is not loaded.
#[test]
fn deadlines_2026_spring_festival_and_2027_statutory_only() {
    let hall = hall();
    let start = cst("2026-02-13 15:00");
    // After Friday 02-13: Sat 02-14 (make-up) is the 1st working day, Tue 02-24 the 2nd,
    // Wed 02-25 the 3rd.
    let wd = |n| deadline_end_of_nth_working_day(&hall, start, n).expect("in range");
    assert_eq!(
        wd(0),
        cst("2026-02-14 00:00"),
        "n = 0 is the end of the start day"
    );
    assert_eq!(wd(1), cst("2026-02-15 00:00"));
    assert_eq!(wd(2), cst("2026-02-25 00:00"));
    assert_eq!(wd(3), cst("2026-02-26 00:00"));

    // 2027 is statutory only, and the API says so.
    let coverage = hall.holiday_coverage(day(2026, 12, 1), day(2027, 3, 1));
    assert_eq!(
        coverage,
        vec![
            (2026, Some(DataStatus::Official)),
            (2027, Some(DataStatus::StatutoryOnly))
        ]
    );
    // Statutory 2027 Spring Festival: 除夕 Fri 02-05 to 初三 Mon 02-08. From Thursday
    // 02-04 the next working day is Tuesday 02-09.
    let d = deadline_end_of_nth_working_day(&hall, cst("2027-02-04 10:00"), 1).expect("in range");
    assert_eq!(d, cst("2027-02-10 00:00"));
}

#[test]
fn exclusions_and_errors_are_values() {
    let hall = hall();
    let (s, e) = (cst("2025-03-10 10:00"), cst("2025-03-10 12:00"));
    // An excluded item yields its reason, whatever its times.
    let excluded = ClockInput {
        exclusion: Some(ExclusionReason::MassOutage),
        ..ClockInput::new(e, s)
    };
    assert_eq!(
        excluded.measure(&hall, Measure::BusinessTime),
        Ok(ClockOutcome::Excluded(ExclusionReason::MassOutage))
    );
    assert_eq!(
        excluded.check(&hall, Limit::repair_cn(AreaClass::Urban)),
        Ok(ClockOutcome::Excluded(ExclusionReason::MassOutage))
    );
    let measured = ClockInput::new(s, e).measure(&hall, Measure::BusinessTime);
    assert_eq!(
        measured,
        Ok(ClockOutcome::Measured(MeasureValue::Duration(
            TimeDelta::hours(2)
        )))
    );
    // End before start and a reversed pause are errors, not panics.
    assert_eq!(
        elapsed(e, s, &[]),
        Err(ClockError::EndBeforeStart { start: e, end: s })
    );
    assert!(matches!(
        working_days(&hall, e, s, &[]),
        Err(ClockError::EndBeforeStart { .. })
    ));
    let pauses = [(s, e), (e, s)];
    assert_eq!(
        business_time(&hall, s, e, &pauses),
        Err(ClockError::PauseReversed {
            index: 1,
            from: e,
            to: s
        })
    );
    let far = s + TimeDelta::days(4000);
    assert_eq!(
        calendar_days(&hall, s, far, &[]),
        Err(ClockError::SpanTooLong { days: 4000 })
    );
    assert_eq!(
        deadline_end_of_nth_working_day(&hall, s, 5000),
        Err(ClockError::DeadlineOutOfRange { n: 5000 })
    );
    // An empty span measures zero everywhere.
    assert_eq!(business_time(&hall, s, s, &[]), Ok(TimeDelta::zero()));
    assert_eq!(working_days(&hall, s, s, &[]), Ok(0));
}

/// London changes clocks on Sunday 2025-03-30 (01:00 GMT → 02:00 BST) and Sunday
/// 2025-10-26 (02:00 BST → 01:00 GMT). Hours are wall-clock hours.
#[test]
fn business_time_follows_local_time_across_a_clock_change() {
    let cal = calendar(
        r#"
        tz = "Europe/London"
        holidays = "none"
        [weekly]
        sat = ["09:00-17:00"]
        sun = ["09:00-17:00"]
        mon = ["09:00-17:00"]
        "#,
    );
    // Sunday 09:00–17:00 BST is 08:00–16:00 UTC.
    assert_eq!(
        cal.open_intervals(day(2025, 3, 30)),
        vec![(utc("2025-03-30 08:00"), utc("2025-03-30 16:00"))]
    );
    // Sat 12:00 UTC (12:00 GMT) → Mon 12:00 UTC (13:00 BST): Sat 12:00–17:00 5 h +
    // Sun 09:00–17:00 8 h + Mon 09:00–13:00 4 h = 17 h. Reading the hours as UTC
    // would give 5 + 8 + 3 = 16 h. Elapsed is 48 h; days after Saturday: 2.
    let (s, e) = (utc("2025-03-29 12:00"), utc("2025-03-31 12:00"));
    assert_eq!(business_time(&cal, s, e, &[]), Ok(TimeDelta::hours(17)));
    assert_eq!(elapsed(s, e, &[]), Ok(TimeDelta::hours(48)));
    assert_eq!(calendar_days(&cal, s, e, &[]), Ok(2));

    // Open all day on Sundays: the short Sunday has 23 h, the long one 25 h.
    let all_day = calendar(
        "tz = \"Europe/London\"\nholidays = \"none\"\n[weekly]\nsun = [\"00:00-24:00\"]\n",
    );
    let week =
        |from: &str, to: &str| business_time(&all_day, at(LONDON, from), at(LONDON, to), &[]);
    assert_eq!(
        week("2025-03-29 00:00", "2025-04-05 00:00"),
        Ok(TimeDelta::hours(23))
    );
    assert_eq!(
        week("2025-10-25 00:00", "2025-11-01 00:00"),
        Ok(TimeDelta::hours(25))
    );
    // A skipped local time maps to the jump: 00:30–01:30 on 2025-03-30 is 00:30–01:00
    // GMT, then the clocks read 02:00; 30 minutes of real time.
    let gap = calendar(
        "tz = \"Europe/London\"\nholidays = \"none\"\n[weekly]\nsun = [\"00:30-01:30\"]\n",
    );
    assert_eq!(
        gap.open_intervals(day(2025, 3, 30)),
        vec![(utc("2025-03-30 00:30"), utc("2025-03-30 01:00"))]
    );
    // The deadline "end of the next working day" is local 24:00 in BST: Tuesday
    // 2025-04-01 00:00 BST = 2025-03-31 23:00 UTC.
    let d = deadline_end_of_nth_working_day(&cal, utc("2025-03-28 10:00"), 1).expect("in range");
    assert_eq!(d, utc("2025-03-31 23:00"));
}

// ---- properties --------------------------------------------------------------------

/// A calendar with much that can go wrong at once: a lunch break, holiday hours with an
/// overnight interval into the next day, make-up days like Monday, a two-day closure,
/// and the 2025 National Day period with its make-up days inside the generated range.
fn busy_calendar() -> BusinessCalendar {
    let iv = |text| OpenInterval::parse(text).expect("valid");
    calendar(&format!(
        "{HALL}\n[[closures]]\nfrom = \"2025-10-14\"\nto = \"2025-10-15\"\nreason = \"works\"\n"
    ))
    .with_holiday_hours(Some(vec![iv("10:00-16:00"), iv("22:00-01:00+1")]))
    .and_then(|c| c.with_makeup_day_hours(MakeupDayHours::Like(chrono::Weekday::Mon)))
    .expect("valid")
}

/// London with a Saturday night interval running into Sunday, which crosses the clock
/// change of Sunday 2025-10-26 inside the generated range.
fn night_calendar() -> BusinessCalendar {
    calendar(
        "tz = \"Europe/London\"\nholidays = \"none\"\n[weekly]\nsat = [\"22:00-03:00+1\"]\nsun = [\"06:00-24:00\"]\nmon = [\"08:00-18:00\"]\n",
    )
}

/// Instants within 30 days of 2025-09-20 00:00 UTC (for Shanghai) or 2025-10-10 (for
/// London, across its October clock change), to the second.
fn instant(base: DateTime<Utc>) -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..30 * 86_400).prop_map(move |s| base + TimeDelta::seconds(s))
}

fn pauses(base: DateTime<Utc>) -> impl Strategy<Value = Vec<Span>> {
    let one = (-3 * 86_400i64..33 * 86_400, 0i64..4 * 86_400).prop_map(move |(off, len)| {
        (
            base + TimeDelta::seconds(off),
            base + TimeDelta::seconds(off + len),
        )
    });
    prop::collection::vec(one, 0..4)
}

/// Three ordered instants, pauses, and which calendar to use.
fn scenario() -> impl Strategy<Value = (bool, [DateTime<Utc>; 3], Vec<Span>)> {
    any::<bool>()
        .prop_flat_map(|london| {
            let base = if london {
                utc("2025-10-10 00:00")
            } else {
                utc("2025-09-20 00:00")
            };
            (
                Just(london),
                [instant(base), instant(base), instant(base)],
                pauses(base),
            )
        })
        .prop_map(|(london, mut t, p)| {
            t.sort();
            (london, t, p)
        })
}

fn all_measures(
    cal: &BusinessCalendar,
    s: DateTime<Utc>,
    e: DateTime<Utc>,
    p: &[Span],
) -> (TimeDelta, TimeDelta, u32, u32) {
    (
        elapsed(s, e, p).expect("ordered"),
        business_time(cal, s, e, p).expect("ordered"),
        calendar_days(cal, s, e, p).expect("ordered"),
        working_days(cal, s, e, p).expect("ordered"),
    )
}

proptest! {
    #[test]
    fn clocks_are_non_negative_monotone_and_additive((london, [a, b, c], p) in scenario()) {
        let cal = if london { night_calendar() } else { busy_calendar() };
        for pauses in [&[][..], &p[..]] {
            let ab = all_measures(&cal, a, b, pauses);
            let bc = all_measures(&cal, b, c, pauses);
            let ac = all_measures(&cal, a, c, pauses);
            prop_assert!(ac.0 >= TimeDelta::zero() && ac.1 >= TimeDelta::zero());
            prop_assert!(ac.1 <= ac.0, "business time never exceeds elapsed");
            // Non-decreasing in the end instant: (a, b) then (a, c) with b <= c.
            prop_assert!(ab.0 <= ac.0 && ab.1 <= ac.1 && ab.2 <= ac.2 && ab.3 <= ac.3);
            // Additive over the split point b.
            prop_assert_eq!(ac.0, ab.0 + bc.0);
            prop_assert_eq!(ac.1, ab.1 + bc.1);
        }
    }

    #[test]
    fn pauses_never_add_time((london, [a, _, c], p) in scenario()) {
        let cal = if london { night_calendar() } else { busy_calendar() };
        let with = all_measures(&cal, a, c, &p);
        let without = all_measures(&cal, a, c, &[]);
        prop_assert!(with.0 <= without.0 && with.1 <= without.1);
        prop_assert!(with.2 <= without.2 && with.3 <= without.3);
    }

    #[test]
    fn the_nth_working_day_deadline_uses_exactly_n_working_days(
        (london, [a, _, _], _) in scenario(),
        n in 0u32..12,
    ) {
        let cal = if london { night_calendar() } else { busy_calendar() };
        let deadline = deadline_end_of_nth_working_day(&cal, a, n).expect("in range");
        prop_assert_eq!(working_days(&cal, a, deadline, &[]), Ok(n));
        prop_assert!(deadline > a);
        let check = check_limit(&cal, a, deadline, &[], Limit::EndOfNthWorkingDay(n)).expect("valid");
        prop_assert!(check.met);
    }
}
