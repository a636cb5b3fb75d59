//! Public holidays and make-up working days (调休), per year, with the status of each
//! year's data.
//!
//! Mainland China's years are embedded from `crates/core/data/holidays/cn-YYYY.toml` at
//! compile time and parsed once, at first use. A year is `official` when its State
//! Council notice (国务院办公厅关于YYYY年部分节假日安排的通知) is loaded, with the whole
//! off periods and the make-up working days it announces; `statutory_only` when only the
//! statutory days of 《全国年节及纪念日放假办法》 are known and the notice is not. For
//! a year with no data at all every Monday to Friday is a working day. The product must
//! warn in both degraded cases: [`HolidaySet::coverage`] says which years they are. A
//! newer notice can replace a year at run time with [`HolidaySet::insert`].

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How complete a year's holiday data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataStatus {
    /// The official adjusted arrangement is loaded, make-up working days included.
    Official,
    /// Only the statutory holidays are loaded; the adjusted arrangement (and so every
    /// make-up working day and every bridging day off) is missing.
    StatutoryOnly,
}

/// Which holiday set a calendar follows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayRegion {
    /// Mainland China (the embedded data).
    #[default]
    ChinaMainland,
    /// No public holidays: every Monday to Friday is a working day.
    None,
}

/// The legal kind of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// Monday to Friday, no holiday.
    Workday,
    /// Saturday or Sunday, no holiday and no make-up.
    Weekend,
    /// Inside a public-holiday off period (weekend days inside it included).
    PublicHoliday,
    /// A weekend day declared a working day (调休上班).
    MakeupWorkday,
}

/// One off period, as the notice announces it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// Chinese name, e.g. `春节`.
    pub name_zh: String,
    /// English name, e.g. `Spring Festival`.
    pub name_en: String,
    /// First day off.
    pub from: NaiveDate,
    /// Last day off (inclusive).
    pub to: NaiveDate,
}

/// One year of holiday data: the content of one `cn-YYYY.toml` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayYear {
    /// The calendar year; every date in the file lies in it.
    pub year: i32,
    /// How complete the data is.
    pub status: DataStatus,
    /// Title of the source document.
    pub source: String,
    /// Document number, e.g. `国办发明电〔2024〕12号`.
    #[serde(default)]
    pub document: Option<String>,
    /// Date of the source document.
    #[serde(default)]
    pub published: Option<NaiveDate>,
    /// Weekend days declared working days.
    #[serde(default)]
    pub makeup_workdays: Vec<NaiveDate>,
    /// Off periods.
    #[serde(default, rename = "holiday")]
    pub holidays: Vec<Holiday>,
}

/// What is wrong with holiday data.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HolidayDataError {
    /// The file is not valid TOML of the expected shape.
    #[error("holiday data {file}: {message}")]
    Toml {
        /// Which file or text.
        file: String,
        /// The parser's message.
        message: String,
    },
    /// A date lies outside the year the data declares.
    #[error("holiday data for {year}: {what} {date} is not in {year}")]
    DateOutsideYear {
        /// Declared year.
        year: i32,
        /// Which field.
        what: String,
        /// The offending date.
        date: NaiveDate,
    },
    /// An off period ends before it starts.
    #[error("holiday data for {year}: {name} ends on {to}, before it starts on {from}")]
    RangeReversed {
        /// Declared year.
        year: i32,
        /// Holiday name.
        name: String,
        /// First day.
        from: NaiveDate,
        /// Last day.
        to: NaiveDate,
    },
    /// Two off periods share a day.
    #[error("holiday data for {year}: {first} and {second} overlap")]
    Overlap {
        /// Declared year.
        year: i32,
        /// Earlier holiday name.
        first: String,
        /// Later holiday name.
        second: String,
    },
    /// A make-up working day is not a Saturday or Sunday.
    #[error(
        "holiday data for {year}: make-up working day {date} is a {weekday}, not a weekend day"
    )]
    MakeupNotWeekend {
        /// Declared year.
        year: i32,
        /// The date.
        date: NaiveDate,
        /// Its weekday.
        weekday: Weekday,
    },
    /// A make-up working day lies inside an off period.
    #[error("holiday data for {year}: make-up working day {date} lies inside {name}")]
    MakeupInHoliday {
        /// Declared year.
        year: i32,
        /// The date.
        date: NaiveDate,
        /// The holiday it falls in.
        name: String,
    },
    /// Statutory-only data lists make-up working days, which only a notice can set.
    #[error("holiday data for {year}: status statutory_only cannot list make-up working days")]
    StatutoryWithMakeup {
        /// Declared year.
        year: i32,
    },
}

impl HolidayYear {
    /// Parses and validates one year from TOML text; `file` names it in errors.
    ///
    /// # Errors
    /// [`HolidayDataError`] naming the file and what is wrong.
    pub fn from_toml(file: &str, text: &str) -> Result<HolidayYear, HolidayDataError> {
        let year: HolidayYear = toml::from_str(text).map_err(|e| HolidayDataError::Toml {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        year.validate()?;
        Ok(year)
    }

    /// Checks dates are in the year, periods are ordered and disjoint, and make-up days
    /// are weekend days outside every period.
    ///
    /// # Errors
    /// The first [`HolidayDataError`] found.
    pub fn validate(&self) -> Result<(), HolidayDataError> {
        let year = self.year;
        let outside = |what: &str, date: NaiveDate| HolidayDataError::DateOutsideYear {
            year,
            what: what.to_owned(),
            date,
        };
        if self.status == DataStatus::StatutoryOnly && !self.makeup_workdays.is_empty() {
            return Err(HolidayDataError::StatutoryWithMakeup { year });
        }
        for h in &self.holidays {
            for date in [h.from, h.to] {
                if date.year() != year {
                    return Err(outside(&h.name_en, date));
                }
            }
            if h.to < h.from {
                return Err(HolidayDataError::RangeReversed {
                    year,
                    name: h.name_en.clone(),
                    from: h.from,
                    to: h.to,
                });
            }
        }
        self.validate_disjoint()?;
        for &date in &self.makeup_workdays {
            self.validate_makeup(date).map_err(|e| match e {
                HolidayDataError::DateOutsideYear { .. } => outside("make-up working day", date),
                other => other,
            })?;
        }
        Ok(())
    }

    /// The off period containing `date`, if any.
    #[must_use]
    pub fn holiday_on(&self, date: NaiveDate) -> Option<&Holiday> {
        self.holidays
            .iter()
            .find(|h| h.from <= date && date <= h.to)
    }

    fn validate_disjoint(&self) -> Result<(), HolidayDataError> {
        let mut sorted: Vec<&Holiday> = self.holidays.iter().collect();
        sorted.sort_by_key(|h| h.from);
        for pair in sorted.windows(2) {
            if pair[1].from <= pair[0].to {
                return Err(HolidayDataError::Overlap {
                    year: self.year,
                    first: pair[0].name_en.clone(),
                    second: pair[1].name_en.clone(),
                });
            }
        }
        Ok(())
    }

    fn validate_makeup(&self, date: NaiveDate) -> Result<(), HolidayDataError> {
        let year = self.year;
        if date.year() != year {
            return Err(HolidayDataError::DateOutsideYear {
                year,
                what: String::new(),
                date,
            });
        }
        if !is_weekend(date) {
            return Err(HolidayDataError::MakeupNotWeekend {
                year,
                date,
                weekday: date.weekday(),
            });
        }
        if let Some(h) = self.holiday_on(date) {
            return Err(HolidayDataError::MakeupInHoliday {
                year,
                date,
                name: h.name_en.clone(),
            });
        }
        Ok(())
    }
}

/// Holiday data for any number of years.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidaySet {
    years: BTreeMap<i32, HolidayYear>,
}

impl HolidaySet {
    /// A set with no holidays: every Monday to Friday is a working day.
    #[must_use]
    pub fn empty() -> HolidaySet {
        HolidaySet::default()
    }

    /// Mainland China, from the embedded data, parsed and validated at first use.
    ///
    /// # Errors
    /// [`HolidayDataError`] if the embedded data is invalid (a build defect that the
    /// crate's tests catch).
    pub fn china_mainland() -> Result<Arc<HolidaySet>, HolidayDataError> {
        static CHINA: OnceLock<Result<Arc<HolidaySet>, HolidayDataError>> = OnceLock::new();
        CHINA
            .get_or_init(|| parse_embedded(CHINA_FILES).map(Arc::new))
            .clone()
    }

    /// The set a region names.
    ///
    /// # Errors
    /// As [`HolidaySet::china_mainland`].
    pub fn for_region(region: HolidayRegion) -> Result<Arc<HolidaySet>, HolidayDataError> {
        match region {
            HolidayRegion::ChinaMainland => HolidaySet::china_mainland(),
            HolidayRegion::None => Ok(Arc::new(HolidaySet::empty())),
        }
    }

    /// Adds or replaces one year (for example an official notice replacing statutory-only
    /// data), returning the year it replaced.
    ///
    /// # Errors
    /// [`HolidayDataError`] if the year is invalid; the set is then unchanged.
    pub fn insert(&mut self, year: HolidayYear) -> Result<Option<HolidayYear>, HolidayDataError> {
        year.validate()?;
        Ok(self.years.insert(year.year, year))
    }

    /// The data of one year.
    #[must_use]
    pub fn year(&self, year: i32) -> Option<&HolidayYear> {
        self.years.get(&year)
    }

    /// All years, ascending.
    pub fn years(&self) -> impl Iterator<Item = &HolidayYear> {
        self.years.values()
    }

    /// Status of one year; `None` when the set has no data for it.
    #[must_use]
    pub fn status(&self, year: i32) -> Option<DataStatus> {
        self.years.get(&year).map(|y| y.status)
    }

    /// Each year from `from`'s to `to`'s with its status, so a caller can warn about
    /// `StatutoryOnly` and missing (`None`) years in a measured period.
    #[must_use]
    pub fn coverage(&self, from: NaiveDate, to: NaiveDate) -> Vec<(i32, Option<DataStatus>)> {
        (from.year()..=to.year())
            .map(|y| (y, self.status(y)))
            .collect()
    }

    /// The off period containing `date`, if any.
    #[must_use]
    pub fn holiday_on(&self, date: NaiveDate) -> Option<&Holiday> {
        self.years.get(&date.year())?.holiday_on(date)
    }

    /// Whether `date` is a make-up working day (调休上班).
    #[must_use]
    pub fn is_makeup_workday(&self, date: NaiveDate) -> bool {
        self.years
            .get(&date.year())
            .is_some_and(|y| y.makeup_workdays.contains(&date))
    }

    /// The legal kind of `date`.
    #[must_use]
    pub fn day_kind(&self, date: NaiveDate) -> DayKind {
        if self.holiday_on(date).is_some() {
            DayKind::PublicHoliday
        } else if self.is_makeup_workday(date) {
            DayKind::MakeupWorkday
        } else if is_weekend(date) {
            DayKind::Weekend
        } else {
            DayKind::Workday
        }
    }

    /// Whether `date` is a working day in the legal sense: Monday to Friday outside every
    /// off period, or a make-up working day.
    #[must_use]
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        matches!(
            self.day_kind(date),
            DayKind::Workday | DayKind::MakeupWorkday
        )
    }
}

/// The embedded mainland China files, by name.
const CHINA_FILES: &[(&str, &str)] = &[
    (
        "cn-2024.toml",
        include_str!("../../data/holidays/cn-2024.toml"),
    ),
    (
        "cn-2025.toml",
        include_str!("../../data/holidays/cn-2025.toml"),
    ),
    (
        "cn-2026.toml",
        include_str!("../../data/holidays/cn-2026.toml"),
    ),
    (
        "cn-2027.toml",
        include_str!("../../data/holidays/cn-2027.toml"),
    ),
];

fn parse_embedded(files: &[(&str, &str)]) -> Result<HolidaySet, HolidayDataError> {
    let mut set = HolidaySet::empty();
    for (file, text) in files {
        set.insert(HolidayYear::from_toml(file, text)?)?;
    }
    Ok(set)
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a valid test date")
    }

    fn china() -> Arc<HolidaySet> {
        HolidaySet::china_mainland().expect("embedded data is valid")
    }

    #[test]
    fn embedded_years_and_statuses() {
        let cn = china();
        let years: Vec<(i32, DataStatus)> = cn.years().map(|y| (y.year, y.status)).collect();
        assert_eq!(
            years,
            vec![
                (2024, DataStatus::Official),
                (2025, DataStatus::Official),
                (2026, DataStatus::Official),
                (2027, DataStatus::StatutoryOnly),
            ]
        );
        assert_eq!(
            cn.coverage(d(2026, 12, 1), d(2028, 1, 5)),
            vec![
                (2026, Some(DataStatus::Official)),
                (2027, Some(DataStatus::StatutoryOnly)),
                (2028, None)
            ]
        );
    }

    /// Day counts per year, counted by hand from the notices: days off in the announced
    /// periods (2024: 1+8+3+5+3+3+7 = 30; 2025: 1+8+3+5+3+8 = 28; 2026: 3+9+3+5+3+3+7 = 33)
    /// and make-up days (8, 5, 6). 2027 holds the 13 statutory days and no make-up day.
    #[test]
    fn embedded_day_counts() {
        let cn = china();
        for (year, off, makeup) in [(2024, 30, 8), (2025, 28, 5), (2026, 33, 6), (2027, 13, 0)] {
            let data = cn.year(year).expect("year present");
            let days: i64 = data
                .holidays
                .iter()
                .map(|h| (h.to - h.from).num_days() + 1)
                .sum();
            assert_eq!((days, data.makeup_workdays.len()), (off, makeup), "{year}");
        }
    }

    #[test]
    fn working_day_kinds() {
        let cn = china();
        // 2025-09-28 is a Sunday made a working day for the National Day period.
        assert_eq!(cn.day_kind(d(2025, 9, 28)), DayKind::MakeupWorkday);
        assert!(cn.is_working_day(d(2025, 9, 28)));
        // 2025-10-06 is a Monday inside the National Day and Mid-Autumn period.
        assert_eq!(cn.day_kind(d(2025, 10, 6)), DayKind::PublicHoliday);
        // 2025-05-31 is a Saturday inside the Dragon Boat period: a holiday, not a weekend.
        assert_eq!(cn.day_kind(d(2025, 5, 31)), DayKind::PublicHoliday);
        assert_eq!(cn.day_kind(d(2025, 10, 18)), DayKind::Weekend);
        assert_eq!(cn.day_kind(d(2025, 10, 20)), DayKind::Workday);
        // 2027 Spring Festival, statutory days only: 除夕 Friday 5 February is off.
        assert_eq!(
            cn.holiday_on(d(2027, 2, 5)).map(|h| h.name_zh.as_str()),
            Some("春节")
        );
        assert!(cn.is_working_day(d(2027, 2, 9)));
        // No data for 2030: plain weekdays.
        assert!(cn.is_working_day(d(2030, 1, 1)));
    }

    #[test]
    fn validation_names_the_problem() {
        let base = "year = 2025\nstatus = \"official\"\nsource = \"test\"\n";
        let cases = [
            (
                "makeup_workdays = [\"2025-01-27\"]\n",
                "is a Mon, not a weekend day",
            ),
            (
                "makeup_workdays = [\"2024-12-28\"]\n",
                "make-up working day 2024-12-28 is not in 2025",
            ),
            (
                "[[holiday]]\nname_zh = \"a\"\nname_en = \"A\"\nfrom = \"2025-02-02\"\nto = \"2025-02-01\"\n",
                "A ends on 2025-02-01, before it starts on 2025-02-02",
            ),
            ("colour = \"red\"\n", "unknown field"),
        ];
        for (extra, needle) in cases {
            let err = HolidayYear::from_toml("t.toml", &format!("{base}{extra}"))
                .expect_err(needle)
                .to_string();
            assert!(err.contains(needle), "{err}");
        }
        let statutory = "year = 2025\nstatus = \"statutory_only\"\nsource = \"t\"\nmakeup_workdays = [\"2025-01-26\"]\n";
        let err = HolidayYear::from_toml("t.toml", statutory).expect_err("statutory makeup");
        assert_eq!(err, HolidayDataError::StatutoryWithMakeup { year: 2025 });
    }

    #[test]
    fn insert_replaces_a_statutory_year() {
        let mut set = (*china()).clone();
        let official = HolidayYear {
            status: DataStatus::Official,
            makeup_workdays: vec![d(2027, 2, 20)],
            ..set.year(2027).expect("2027 present").clone()
        };
        let old = set.insert(official).expect("valid");
        assert_eq!(old.map(|y| y.status), Some(DataStatus::StatutoryOnly));
        assert_eq!(set.status(2027), Some(DataStatus::Official));
        assert!(set.is_working_day(d(2027, 2, 20)));
    }
}
