//! Subscriber base per site and month, the denominator of rates "per million users".
//!
//! A hall's or field centre's users are the subscribers of its catchment, a call centre's
//! those of the customers it answers for; sizes follow tier and area, with a slow monthly
//! growth so that trends have something to show.

use chrono::{Datelike, NaiveDate};

use crate::DemoError;
use crate::csv_out::CsvFile;
use crate::rng::{Rng, round_i64};
use crate::sites::{Scene, SiteSpec, Tier};
use crate::time::{Ts, day_number, day_start};

/// Columns of `subscriber_base.csv`.
pub(crate) const BASE_COLUMNS: &[&str] = &["site_id", "period_start", "users", "bills"];

/// Writes one row per site and calendar month that overlaps the period.
pub(crate) fn write(
    f: &mut CsvFile,
    rng: &mut Rng,
    sites: &[SiteSpec],
    first: NaiveDate,
    last: NaiveDate,
) -> Result<(), DemoError> {
    let months = month_starts(first, last);
    for site in sites {
        let base = users(site) * rng.lognormal_mean(1.0, 0.15);
        for (i, month) in months.iter().enumerate() {
            #[allow(clippy::cast_precision_loss, reason = "a handful of months")]
            let growth = 1.003f64.powf(i as f64);
            let users = round_i64(base * growth);
            // Some users are on prepaid plans without a monthly bill.
            let bills = round_i64(base * growth * 0.86);
            f.str(site.id).ts(*month).int(users).int(bills).end_row()?;
        }
    }
    Ok(())
}

/// Typical users served, by scene, tier and area.
fn users(site: &SiteSpec) -> f64 {
    let tier = match site.tier {
        Tier::Flagship => 1.0,
        Tier::Standard => 0.45,
        Tier::Small => 0.15,
    };
    let scene = match site.scene {
        Scene::Hall => 400_000.0,
        Scene::CallCentre => 3_000_000.0,
        Scene::FieldCentre => 260_000.0,
    };
    scene * tier * site.area.demand_factor()
}

/// Local midnight of the first day of every month from `first`'s month to `last`'s.
fn month_starts(first: NaiveDate, last: NaiveDate) -> Vec<Ts> {
    let mut out = Vec::new();
    let mut d = first.with_day(1).unwrap_or(first);
    // A period is at most a few years long; the bound guards the loop.
    for _ in 0..1_200 {
        if d > last {
            break;
        }
        out.push(day_start(day_number(d)));
        match d.checked_add_months(chrono::Months::new(1)) {
            Some(next) => d = next,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_overlapping_a_period_are_listed() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        assert_eq!(month_starts(d(7, 15), d(10, 12)).len(), 4);
        assert_eq!(month_starts(d(10, 1), d(10, 1)).len(), 1);
    }
}
