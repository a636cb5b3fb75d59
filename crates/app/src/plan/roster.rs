//! Rosters: the staff rostered per interval of the planned week, read from CSV text
//! (`date,interval_start,staff`). Every bad row is reported at once, with its line and
//! what is wrong, so a roster is fixed in one go.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use yardstick_core::planning::IntervalLen;

use super::Week;
use crate::error::{Error, Message, Result};

/// A roster file's text and the name its messages use.
#[derive(Debug, Clone)]
pub struct RosterText {
    /// File name (labels messages).
    pub name: String,
    /// CSV text.
    pub text: String,
}

/// Staff rostered per (date, interval index of the day); intervals without an entry
/// have nobody rostered. Field centres have one interval a day, index 0.
pub type Roster = BTreeMap<(NaiveDate, usize), u32>;

/// How many bad rows an error lists; the rest are counted.
const ROWS_LISTED: usize = 20;

/// Reads a roster for `week` with `interval`s.
///
/// # Errors
/// An input error for a header other than `date,interval_start,staff`, or one listing
/// every bad row with its line: unreadable, not three cells, a date that is not one or
/// lies outside the week, a time that does not start an interval, a staff count that is
/// not a whole number ≥ 0, an interval given twice.
pub fn parse_roster(roster: &RosterText, week: &Week, interval: IntervalLen) -> Result<Roster> {
    let name = roster.name.as_str();
    let text = roster.text.strip_prefix('\u{feff}').unwrap_or(&roster.text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| {
            Error::input("error.plan.roster.unreadable_header")
                .arg("name", name)
                .detail(e.to_string())
        })?
        .iter()
        .map(str::to_lowercase)
        .collect();
    if header != ["date", "interval_start", "staff"] {
        return Err(Error::input("error.plan.roster.header")
            .arg("name", name)
            .arg("header", header.join(",")));
    }
    let mut out = Roster::new();
    let mut first_line: BTreeMap<(NaiveDate, usize), u64> = BTreeMap::new();
    let mut bad: Vec<Message> = Vec::new();
    for record in reader.records() {
        let (line, row) = match record {
            Ok(r) => (r.position().map_or(0, csv::Position::line), r),
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                bad.push(
                    Message::new("error.plan.roster.unreadable_row")
                        .arg("line", line)
                        .arg("reason", e),
                );
                continue;
            }
        };
        match roster_row(&row, week, interval) {
            Ok((key, staff)) => {
                if let Some(first) = first_line.get(&key) {
                    let twice = if interval == IntervalLen::DAY {
                        Message::new("error.plan.roster.day_twice")
                    } else {
                        Message::new("error.plan.roster.twice")
                            .arg("start", start_label(interval, key.1))
                    };
                    bad.push(
                        twice
                            .arg("line", line)
                            .arg("date", key.0)
                            .arg("first", first),
                    );
                } else {
                    first_line.insert(key, line);
                    out.insert(key, staff);
                }
            }
            Err(problem) => bad.push(problem.arg("line", line)),
        }
    }
    if bad.is_empty() {
        return Ok(out);
    }
    let mut e = Error::input("error.plan.roster.bad_rows")
        .arg("name", name)
        .arg("count", bad.len());
    let more = bad.len().saturating_sub(ROWS_LISTED);
    for m in bad.into_iter().take(ROWS_LISTED) {
        e = e.item(m);
    }
    if more > 0 {
        e = e.item(Message::new("error.plan.roster.more").arg("count", more));
    }
    Err(e)
}

/// One roster row: its (date, interval index) and staff, or what is wrong with it (the
/// caller adds the line).
fn roster_row(
    row: &csv::StringRecord,
    week: &Week,
    interval: IntervalLen,
) -> Result<((NaiveDate, usize), u32), Message> {
    if row.len() != 3 {
        return Err(Message::new("error.plan.roster.cells").arg("cells", row.len()));
    }
    let (date_text, start_text, staff_text) = (&row[0], &row[1], &row[2]);
    let date: NaiveDate = date_text
        .parse()
        .map_err(|_| Message::new("error.plan.roster.date").arg("value", date_text))?;
    if !week.contains(date) {
        return Err(Message::new("error.plan.roster.outside_week")
            .arg("date", date)
            .arg("week", week.label())
            .arg("from", week.monday())
            .arg("to", week.sunday()));
    }
    let index = if interval == IntervalLen::DAY && start_text.is_empty() {
        0
    } else {
        let time = NaiveTime::parse_from_str(start_text, "%H:%M")
            .map_err(|_| Message::new("error.plan.roster.time").arg("value", start_text))?;
        let index = interval.index_of(time);
        if interval.start_of(index) != Some(time) {
            return Err(if interval == IntervalLen::DAY {
                Message::new("error.plan.roster.per_day").arg("value", start_text)
            } else {
                Message::new("error.plan.roster.not_start")
                    .arg("value", start_text)
                    .arg("minutes", interval.minutes())
            });
        }
        index
    };
    let staff: u32 = staff_text
        .parse()
        .map_err(|_| Message::new("error.plan.roster.staff").arg("value", staff_text))?;
    Ok(((date, index), staff))
}

/// `09:30` for the start of an interval of the day.
pub(crate) fn start_label(interval: IntervalLen, index: usize) -> String {
    interval
        .start_of(index)
        .map_or_else(|| index.to_string(), |t| t.format("%H:%M").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use yardstick_core::vocab::Lang;

    fn week() -> Week {
        "2026-W45".parse().expect("a week")
    }

    fn roster(text: &str) -> RosterText {
        RosterText {
            name: "r.csv".into(),
            text: text.into(),
        }
    }

    #[test]
    fn rows_by_date_and_interval() {
        let r = parse_roster(
            &roster("date,interval_start,staff\n2026-11-02,09:30,3\n2026-11-08,23:30,1\n"),
            &week(),
            IntervalLen::MIN_30,
        )
        .expect("a good roster");
        let monday = week().monday();
        assert_eq!(r.get(&(monday, 19)), Some(&3));
        assert_eq!(r.get(&(week().sunday(), 47)), Some(&1));
        assert_eq!(r.len(), 2);
    }

    /// Every bad row is listed; past twenty, the rest are counted.
    #[test]
    fn every_bad_row_is_listed_up_to_twenty() {
        let rows: String = (0..25)
            .map(|i| format!("2026-11-02,09:{i:02},x\n"))
            .collect();
        let e = parse_roster(
            &roster(&format!("date,interval_start,staff\n{rows}")),
            &week(),
            IntervalLen::MIN_30,
        )
        .expect_err("bad rows");
        assert_eq!(e.items().len(), 21);
        let text = e.render(Lang::En);
        assert!(
            text.starts_with("roster r.csv: 25 bad row(s):\n  line 2: "),
            "{text}"
        );
        assert!(text.ends_with("\n  … and 5 more"), "{text}");
    }

    #[test]
    fn a_field_centre_day_given_twice() {
        let e = parse_roster(
            &roster("date,interval_start,staff\n2026-11-02,,2\n2026-11-02,00:00,3\n"),
            &week(),
            IntervalLen::DAY,
        )
        .expect_err("twice");
        assert!(
            e.render(Lang::En)
                .contains("line 3: 2026-11-02 appears twice (first on line 2)"),
            "{}",
            e.render(Lang::En)
        );
    }
}
