//! Plans in words: a plan's notes and day types in a language, from the one catalogue,
//! shared by the command line's tables and JSON and the server's answers.

use yardstick_core::planning::{DayType, GuidelineValue, Source};
use yardstick_core::t;
use yardstick_core::vocab::Lang;

use super::PlanNote;

/// A day type in a language.
#[must_use]
pub fn day_type_text(day_type: DayType, lang: Lang) -> &'static str {
    match day_type {
        DayType::Mon => t!(lang, "plan.day.mon"),
        DayType::Tue => t!(lang, "plan.day.tue"),
        DayType::Wed => t!(lang, "plan.day.wed"),
        DayType::Thu => t!(lang, "plan.day.thu"),
        DayType::Fri => t!(lang, "plan.day.fri"),
        DayType::Sat => t!(lang, "plan.day.sat"),
        DayType::Sun => t!(lang, "plan.day.sun"),
        DayType::Holiday => t!(lang, "plan.day.holiday"),
        DayType::MakeupWorkday => t!(lang, "plan.day.makeup_workday"),
    }
}

impl PlanNote {
    /// The note in a language.
    #[must_use]
    pub fn text(&self, lang: Lang) -> String {
        match self {
            PlanNote::TrendOff { trend_days, needed } => t!(
                lang,
                "plan.note.trend_off",
                trend_days = trend_days,
                needed = needed
            ),
            PlanNote::TrendNotPositive => t!(lang, "plan.note.trend_not_positive").to_owned(),
            PlanNote::Fallback { day_type, used } => {
                let used: Vec<&str> = used.iter().map(|d| day_type_text(*d, lang)).collect();
                t!(
                    lang,
                    "plan.note.fallback",
                    day_type = day_type_text(*day_type, lang),
                    used = used.join(t!(lang, "plan.list_separator"))
                )
            }
            PlanNote::NoBacktest {
                history_days,
                needed,
            } => t!(
                lang,
                "plan.note.no_backtest",
                history_days = history_days,
                needed = needed
            ),
            PlanNote::StatutoryHolidaysOnly { year } => {
                t!(lang, "plan.note.statutory_holidays_only", year = year)
            }
            PlanNote::NoHolidayData { year } => {
                t!(lang, "plan.note.no_holiday_data", year = year)
            }
            PlanNote::PlannedPerDay => t!(lang, "plan.note.planned_per_day").to_owned(),
        }
    }
}

/// Where a planning input came from, in words.
#[must_use]
pub fn source_text(source: &Source, lang: Lang) -> String {
    match source {
        Source::Flag => t!(lang, "plan.source.flag").to_owned(),
        Source::History => t!(lang, "plan.source.history").to_owned(),
        Source::Default => t!(lang, "plan.source.default").to_owned(),
        Source::Guideline { indicator, value } => match value {
            GuidelineValue::Goal => t!(lang, "plan.source.goal", indicator = indicator),
            GuidelineValue::Floor => t!(lang, "plan.source.floor", indicator = indicator),
            GuidelineValue::Option(name) => {
                t!(
                    lang,
                    "plan.source.option",
                    indicator = indicator,
                    option = name
                )
            }
        },
    }
}

/// A duration for people: whole minutes as minutes, anything else in seconds.
#[must_use]
pub fn duration_text(seconds: f64, lang: Lang) -> String {
    if seconds >= 60.0 && (seconds % 60.0).abs() < 1e-9 {
        t!(
            lang,
            "plan.minutes",
            value = format!("{:.0}", seconds / 60.0)
        )
    } else {
        t!(lang, "plan.seconds", value = seconds)
    }
}
