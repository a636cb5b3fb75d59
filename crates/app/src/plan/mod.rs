//! Planning: how many agents a queue needs ([`plan_staffing`], one problem or a batch
//! CSV) and a site's plan for a week from its stored records
//! ([`Workspace::plan_site`]: forecast, staff per interval or per day, the gap to a
//! roster), and the demand series they read ([`Workspace::site_series`]).
//!
//! What comes back is data: the plans serialise to the JSON contract of `plan
//! staffing` and `plan site`, notes are values ([`PlanNote`]), the site's name is in
//! both languages and every input's source is a `yardstick_core::planning::Source`; the
//! language is the caller's (the command line renders tables and prints the name and
//! the notes in its language, the server renders pages). Errors name the input at fault and where it came
//! from, with catalogue keys under `error.plan`.

mod roster;
mod site;
mod staffing;
mod text;

use chrono::{Days, NaiveDate, Weekday};
use yardstick_core::org::{Organisation, Site};
use yardstick_core::planning::IntervalLen;
use yardstick_engine::series::{SiteSeries, kind_of, site_series};

pub use roster::{Roster, RosterText, parse_roster};
pub use site::{
    DEFAULT_HISTORY_WEEKS, DEFAULT_INTERVAL_MIN, FieldSummary, PlanDay, PlanHistory, PlanInterval,
    PlanNote, QueueSummary, SitePlan, SitePlanRequest,
};
pub use staffing::{
    Asked, BATCH_COLUMNS, RowError, StaffingPlan, StaffingProblem, plan_staffing,
    plan_staffing_batch,
};
pub use text::{day_type_text, duration_text, source_text};

use crate::error::{Error, Result};
use crate::jobs::{Cancel, blocking};
use crate::scope::Actor;
use crate::workspace::Workspace;

/// An ISO week, Monday to Sunday, as `2026-W45` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Week {
    label_year: i32,
    number: u32,
    monday: NaiveDate,
}

impl std::str::FromStr for Week {
    type Err = Error;

    /// Parses `2026-W45` (or `2026-w45`, `2026W45`).
    fn from_str(text: &str) -> Result<Week> {
        let bad = || Error::input("error.plan.week").arg("value", format!("{text:?}"));
        let (year, week) = text.trim().split_once(['W', 'w']).ok_or_else(bad)?;
        let year: i32 = year
            .strip_suffix('-')
            .unwrap_or(year)
            .parse()
            .map_err(|_| bad())?;
        let number: u32 = week.parse().map_err(|_| bad())?;
        let monday = NaiveDate::from_isoywd_opt(year, number, Weekday::Mon).ok_or_else(|| {
            Error::input("error.plan.no_such_week")
                .arg("week", text)
                .arg("year", year)
                .arg("number", number)
        })?;
        Ok(Week {
            label_year: year,
            number,
            monday,
        })
    }
}

impl std::fmt::Display for Week {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

impl Week {
    /// `2026-W45`.
    #[must_use]
    pub fn label(&self) -> String {
        format!("{}-W{:02}", self.label_year, self.number)
    }

    /// Its Monday.
    #[must_use]
    pub fn monday(&self) -> NaiveDate {
        self.monday
    }

    /// Its Sunday.
    #[must_use]
    pub fn sunday(&self) -> NaiveDate {
        self.monday + Days::new(6)
    }

    /// Its seven dates, Monday first.
    #[must_use]
    pub fn dates(&self) -> Vec<NaiveDate> {
        (0..7).map(|i| self.monday + Days::new(i)).collect()
    }

    /// Whether a date falls in the week.
    #[must_use]
    pub fn contains(&self, date: NaiveDate) -> bool {
        date >= self.monday && date <= self.sunday()
    }
}

impl Workspace {
    /// The site and its demand series over `window` (inclusive), per `interval`.
    ///
    /// # Errors
    /// Not found for a site the actor cannot see; damaged-data errors from the records.
    pub async fn site_series(
        &self,
        actor: &Actor,
        site: &str,
        window: (NaiveDate, NaiveDate),
        interval: IntervalLen,
        cancel: &Cancel,
    ) -> Result<(Site, SiteSeries)> {
        let org = self.require_org().await?;
        let s = visible_site(actor, &org, site)?;
        let series = self.series_of(org, &s, window, interval, cancel).await?;
        Ok((s, series))
    }

    /// The series of a site already found visible, read off the runtime.
    pub(crate) async fn series_of(
        &self,
        org: Organisation,
        site: &Site,
        window: (NaiveDate, NaiveDate),
        interval: IntervalLen,
        cancel: &Cancel,
    ) -> Result<SiteSeries> {
        let manifest = self.kind_manifest(kind_of(site.scene), None).await?;
        let dir = self.dir.clone();
        let id = site.id.clone();
        blocking(cancel, move |_| {
            site_series(&dir, &manifest, &org, &id, window, interval)
        })
        .await?
        .map_err(|e| {
            Error::new(crate::ErrorKind::Damaged, "error.records.unreadable").detail(e.to_string())
        })
    }
}

/// The site `id` when the actor may read its records; otherwise not found, listing a few
/// of the sites the actor may see (never the others).
pub(crate) fn visible_site(actor: &Actor, org: &Organisation, id: &str) -> Result<Site> {
    let visible = actor.record_sites(org);
    match org.site(id) {
        Some(s) if visible.site(id) => Ok(s.clone()),
        _ => {
            let seen: Vec<&str> = org
                .sites
                .iter()
                .filter(|s| visible.site(&s.id))
                .map(|s| s.id.as_str())
                .collect();
            let shown = &seen[..seen.len().min(8)];
            let more = if seen.len() > shown.len() {
                ", …"
            } else {
                ""
            };
            Err(Error::not_found("error.site.unknown_list")
                .arg("site", id)
                .arg("sites", format!("{}{more}", shown.join(", "))))
        }
    }
}
