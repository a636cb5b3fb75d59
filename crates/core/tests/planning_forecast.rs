//! The demand forecast on synthetic series whose answer is known: a pure weekly pattern
//! is forecast exactly, a linear trend is recovered, holidays and make-up working days
//! get their profiles, a short history gets no trend, and WAPE is worked out by hand.
//!
//! Dates are in 2030 with a holiday set made for the test, so that no real holiday
//! notice changes the expected values. 2030-01-07 is a Monday.

use chrono::{Days, NaiveDate, NaiveTime};
use yardstick_core::calendar::{HolidaySet, HolidayYear};
use yardstick_core::planning::{
    DayType, ForecastOptions, History, IntervalLen, Note, PlanningError, backtest, fit, forecast,
    wape,
};

fn date(s: &str) -> NaiveDate {
    s.parse().expect("valid date")
}

fn close(what: &str, actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual}, expected {expected} ± {tolerance}"
    );
}

fn close_all(what: &str, actual: &[f64], expected: &[f64], tolerance: f64) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        close(&format!("{what}[{i}]"), *a, *e, tolerance);
    }
}

const MONDAY: &str = "2030-01-07";

/// The hourly pattern of the weekly tests (24 one-hour intervals): Mondays 12, 24, 24,
/// 12 from 09:00 (total 72); Tuesday to Friday 10, 20, 20, 10 (total 60); Saturdays 5,
/// 10, 5 from 10:00 (total 20); closed on Sundays.
fn weekly_hours(offset: u64) -> Vec<f64> {
    let mut day = vec![0.0; 24];
    let (start, values): (usize, &[f64]) = match offset % 7 {
        0 => (9, &[12.0, 24.0, 24.0, 12.0]),
        1..=4 => (9, &[10.0, 20.0, 20.0, 10.0]),
        5 => (10, &[5.0, 10.0, 5.0]),
        _ => (0, &[]),
    };
    day[start..start + values.len()].copy_from_slice(values);
    day
}

fn weekly_history(weeks: u64) -> History {
    let mut h = History::new(IntervalLen::MIN_60);
    for offset in 0..weeks * 7 {
        h.set_day(date(MONDAY) + Days::new(offset), weekly_hours(offset))
            .expect("valid day");
    }
    h
}

fn week_from(first: NaiveDate) -> Vec<NaiveDate> {
    (0..7).map(|i| first + Days::new(i)).collect()
}

/// A pure weekly pattern is forecast exactly. Four weeks have 24 days that can feed a
/// trend (Sundays have factor 0 and are left out), fewer than 28, so the level is flat:
/// with c = (72 + 4 × 60 + 20 + 0) / 7 = 332/7, the factors are mean/c (Monday
/// 72/c …), the level is c, and level × factor × profile gives back each day's counts.
#[test]
fn pure_weekly_pattern_is_forecast_exactly() {
    let history = weekly_history(4);
    let next = date("2030-02-04");
    let f = forecast(
        &history,
        &HolidaySet::empty(),
        &week_from(next),
        &ForecastOptions::default(),
    )
    .expect("forecast");
    for (i, day) in f.days.iter().enumerate() {
        let offset = u64::try_from(i).expect("small");
        close_all(
            &day.date.to_string(),
            &day.counts,
            &weekly_hours(offset),
            1e-9,
        );
    }
    close("level", f.model.level, 332.0 / 7.0, 1e-9);
    close(
        "Monday factor",
        f.model.types[&DayType::Mon].factor,
        72.0 * 7.0 / 332.0,
        1e-12,
    );
    close(
        "Sunday factor",
        f.model.types[&DayType::Sun].factor,
        0.0,
        0.0,
    );
    assert!(!f.model.trend_fitted);
    assert!(f.notes.contains(&Note::TrendOff {
        trend_days: 24,
        needed: 28
    }));
    // The backtest fits weeks 1–3 and forecasts week 4: the same pattern, so WAPE = 0.
    let b = f.backtest.expect("four weeks allow a backtest");
    assert_eq!(
        (b.from, b.to, b.days),
        (date("2030-01-28"), date("2030-02-03"), 7)
    );
    close("actual total", b.actual_total, 332.0, 1e-9);
    close(
        "WAPE",
        b.wape.expect("arrivals in the held-back week"),
        0.0,
        1e-12,
    );
}

/// Daily totals (100 + 2t) × F with t = 0 … 41 (six weeks from Monday 2030-01-07) and
/// weekday factors F = 1.2, 1.1, 1.0, 1.0, 1.1, 0.8, 0.8 (mean 1). Every day feeds the
/// trend (42 ≥ 28), and the true values are a fixed point of the fit: the level at the
/// origin (t = 41) is 100 + 2 × 41 = 182 and the slope 2 per day. The next Monday
/// (t = 42) is (100 + 84) × 1.2 = 220.8, the next Sunday (t = 48) (100 + 96) × 0.8 =
/// 156.8.
#[test]
fn linear_trend_is_recovered() {
    let factors = [1.2, 1.1, 1.0, 1.0, 1.1, 0.8, 0.8];
    let mut history = History::new(IntervalLen::DAY);
    for t in 0..42_u32 {
        let total = (100.0 + 2.0 * f64::from(t)) * factors[(t % 7) as usize];
        history
            .set_day(date(MONDAY) + Days::new(u64::from(t)), vec![total])
            .expect("valid day");
    }
    let model = fit(&history, &HolidaySet::empty(), &ForecastOptions::default()).expect("fit");
    assert!(model.trend_fitted);
    assert_eq!(model.trend_days, 42);
    close("level", model.level, 182.0, 1e-6);
    close("slope", model.slope_per_day, 2.0, 1e-8);
    for (k, f) in DayType::WEEK.iter().zip(factors) {
        close(k.as_str(), model.types[k].factor, f, 1e-9);
    }
    let next = week_from(date("2030-02-18"));
    let f = forecast(
        &history,
        &HolidaySet::empty(),
        &next,
        &ForecastOptions::default(),
    )
    .expect("forecast");
    close("next Monday", f.days[0].total, 220.8, 1e-6);
    close("next Sunday", f.days[6].total, 156.8, 1e-6);
    // The method is exact on this series, so the held-back week is forecast exactly.
    close(
        "WAPE",
        f.backtest.and_then(|b| b.wape).expect("WAPE"),
        0.0,
        1e-9,
    );
}

/// Three weeks of the same trending series: 21 days are too few for a trend, so the
/// slope is 0 and the note says why.
#[test]
fn short_history_gets_no_trend() {
    let mut history = History::new(IntervalLen::DAY);
    for t in 0..21_u32 {
        history
            .set_day(
                date(MONDAY) + Days::new(u64::from(t)),
                vec![100.0 + 2.0 * f64::from(t)],
            )
            .expect("valid day");
    }
    let model = fit(&history, &HolidaySet::empty(), &ForecastOptions::default()).expect("fit");
    assert!(!model.trend_fitted);
    close("slope", model.slope_per_day, 0.0, 0.0);
    assert_eq!(
        model.notes,
        vec![Note::TrendOff {
            trend_days: 21,
            needed: 28
        }]
    );
}

fn test_holidays() -> HolidaySet {
    let year = HolidayYear::from_toml(
        "test-2030.toml",
        r#"
year = 2030
status = "official"
source = "test notice"
makeup_workdays = ["2030-02-09"]

[[holiday]]
name_zh = "测试节一"
name_en = "Test day one"
from = "2030-01-21"
to = "2030-01-21"

[[holiday]]
name_zh = "测试节二"
name_en = "Test day two"
from = "2030-02-06"
to = "2030-02-06"
"#,
    )
    .expect("valid test holidays");
    let mut set = HolidaySet::empty();
    set.insert(year).expect("valid year");
    set
}

/// The weekly pattern of four weeks, but Monday 2030-01-21 is a public holiday with 8
/// arrivals at 10:00 and 8 at 14:00. With 23 trend days the level is flat at
/// c = 332/7 (the weekday means are unchanged: Mondays still average 72) and the holiday
/// factor is 16/c, so a holiday in the forecast week (Wednesday 2030-02-06) gets 16
/// arrivals with the holiday profile, not Wednesday's 60.
///
/// Saturday 2030-02-09 is a make-up working day: it gets the pooled Monday–Friday
/// factor (72 + 4 × 60) / 5 / c, i.e. 62.4 arrivals, and the pooled profile. Pooled
/// 09:00 counts are 3 Mondays × 12 + 16 other working days × 10 = 196 of 3 × 72 + 16 ×
/// 60 = 1176, a share of 1/6; 10:00 and 11:00 have 1/3 each and 12:00 1/6, so the
/// forecast is 10.4, 20.8, 20.8, 10.4.
#[test]
fn holidays_and_makeup_days_get_their_profiles() {
    let holidays = test_holidays();
    let mut history = weekly_history(4);
    let mut holiday = vec![0.0; 24];
    holiday[10] = 8.0;
    holiday[14] = 8.0;
    history
        .set_day(date("2030-01-21"), holiday.clone())
        .expect("valid day");
    let f = forecast(
        &history,
        &holidays,
        &week_from(date("2030-02-04")),
        &ForecastOptions::default(),
    )
    .expect("forecast");
    let wednesday = &f.days[2];
    assert_eq!(wednesday.day_type, DayType::Holiday);
    assert_eq!(wednesday.basis, vec![DayType::Holiday]);
    close_all("holiday", &wednesday.counts, &holiday, 1e-9);
    let saturday = &f.days[5];
    assert_eq!(saturday.day_type, DayType::MakeupWorkday);
    assert_eq!(saturday.basis, DayType::WORKDAYS.to_vec());
    close("make-up day total", saturday.total, 62.4, 1e-9);
    let mut expected = vec![0.0; 24];
    expected[9..13].copy_from_slice(&[10.4, 20.8, 20.8, 10.4]);
    close_all("make-up day", &saturday.counts, &expected, 1e-9);
    // The ordinary Monday of the forecast week is unaffected by the holiday Monday.
    close_all("Monday", &f.days[0].counts, &weekly_hours(0), 1e-9);
    assert_eq!(f.model.types[&DayType::Mon].days, 3);
}

/// Without a holiday in the history (two weeks, before the test holiday of 2030-01-21),
/// a holiday is forecast like a Sunday (closed here: zero arrivals), and the forecast
/// says so.
#[test]
fn holiday_without_history_falls_back_to_sunday() {
    let f = forecast(
        &weekly_history(2),
        &test_holidays(),
        &[date("2030-02-06")],
        &ForecastOptions::default(),
    )
    .expect("forecast");
    assert_eq!(f.days[0].basis, vec![DayType::Sun]);
    close("total", f.days[0].total, 0.0, 0.0);
    assert!(f.notes.contains(&Note::Fallback {
        day_type: DayType::Holiday,
        used: vec![DayType::Sun]
    }));
}

/// WAPE by hand: |10 − 12| + |0 − 1| + |30 − 27| = 6 over 10 + 0 + 30 = 40 is 0.15.
#[test]
fn wape_by_hand() {
    close(
        "WAPE",
        wape(&[10.0, 0.0, 30.0], &[12.0, 1.0, 27.0]).expect("defined"),
        0.15,
        1e-15,
    );
    assert_eq!(wape(&[0.0, 0.0], &[1.0, 2.0]), None);
    assert_eq!(wape(&[1.0], &[1.0, 2.0]), None);
}

/// Four weeks of 10 per working day and 4 per weekend day, then a fifth week with twice
/// that. The backtest fits the first four weeks (28 trend days, slope 0) and forecasts
/// the pattern for the fifth: Σ|2x − x| ÷ Σ 2x = 1/2.
#[test]
fn backtest_measures_a_doubled_week() {
    let mut history = History::new(IntervalLen::DAY);
    for offset in 0..35_u64 {
        let base = if offset % 7 < 5 { 10.0 } else { 4.0 };
        let count = if offset >= 28 { 2.0 * base } else { base };
        history
            .set_day(date(MONDAY) + Days::new(offset), vec![count])
            .expect("valid day");
    }
    let b =
        backtest(&history, &HolidaySet::empty(), &ForecastOptions::default()).expect("long enough");
    close("actual", b.actual_total, 2.0 * 58.0, 1e-12);
    close("error", b.abs_error_total, 58.0, 1e-9);
    close("WAPE", b.wape.expect("defined"), 0.5, 1e-9);
}

/// Thirteen days cannot hold back a week and still fit one: the forecast is made, the
/// backtest is missing and a note says why.
#[test]
fn no_backtest_below_two_weeks() {
    let mut history = History::new(IntervalLen::DAY);
    for offset in 0..13_u64 {
        history
            .set_day(date(MONDAY) + Days::new(offset), vec![5.0])
            .expect("valid day");
    }
    let f = forecast(
        &history,
        &HolidaySet::empty(),
        &[date("2030-01-20")],
        &ForecastOptions::default(),
    )
    .expect("forecast");
    assert!(f.backtest.is_none());
    assert!(f.notes.contains(&Note::NoBacktest {
        history_days: 13,
        needed: 14
    }));
    close("flat forecast", f.days[0].total, 5.0, 1e-12);
}

#[test]
fn bad_inputs_are_typed_errors() {
    assert_eq!(
        IntervalLen::from_minutes(20),
        Err(PlanningError::BadInterval(20))
    );
    let mut h = History::new(IntervalLen::MIN_30);
    assert!(matches!(
        h.set_day(date(MONDAY), vec![1.0; 24]),
        Err(PlanningError::WrongLength {
            got: 24,
            expected: 48,
            ..
        })
    ));
    let mut day = vec![0.0; 48];
    day[3] = -1.0;
    assert!(matches!(
        h.set_day(date(MONDAY), day),
        Err(PlanningError::BadCount { index: 3, .. })
    ));
    assert!(matches!(
        h.add(date(MONDAY), 48, 1.0),
        Err(PlanningError::BadIndex { index: 48, .. })
    ));
    for offset in 0..6 {
        h.ensure_day(date(MONDAY) + Days::new(offset));
    }
    assert_eq!(
        fit(&h, &HolidaySet::empty(), &ForecastOptions::default()),
        Err(PlanningError::TooLittleHistory { days: 6, needed: 7 })
    );
}

#[test]
fn interval_indexes_follow_the_wall_clock() {
    let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").expect("valid time");
    let half = IntervalLen::MIN_30;
    assert_eq!(half.per_day(), 48);
    assert_eq!(half.index_of(t("09:45")), 19);
    assert_eq!(half.start_of(19), Some(t("09:30")));
    assert_eq!(half.start_of(48), None);
    assert_eq!(IntervalLen::MIN_15.index_of(t("23:59")), 95);
    assert_eq!(IntervalLen::DAY.per_day(), 1);
    assert_eq!(IntervalLen::DAY.index_of(t("18:00")), 0);
}
