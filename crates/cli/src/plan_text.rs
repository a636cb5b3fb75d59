//! Plans as text for the terminal, every word from the message catalogue: the two-column
//! table of `plan staffing`, and the report of `plan site` (header, queue or field
//! model, the interval or day table, totals, the verdict on a roster, notes).

use yardstick_app::plan::{SitePlan, StaffingPlan, day_type_text, duration_text, source_text};
use yardstick_core::planning::IntervalLen;
use yardstick_core::t;
use yardstick_core::vocab::{Lang, Scene};

use crate::table::{render, width};

/// A probability as a percentage with two decimals.
fn percent(p: f64) -> String {
    format!("{:.2}%", 100.0 * p)
}

/// A shrinkage as a short percentage ("30%", "12.5%").
fn percent_text(shrinkage: f64) -> String {
    let text = format!("{:.4}", 100.0 * shrinkage);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// An aligned two-column table of a staffing plan.
#[must_use]
pub fn staffing_table(plan: &StaffingPlan, lang: Lang) -> String {
    let rows = staffing_rows(plan, lang);
    let label_width = rows.iter().map(|(l, _)| width(l)).max().unwrap_or(0);
    let mut text = String::new();
    for (label, value) in rows {
        text.push_str(&label);
        text.push_str(&" ".repeat(label_width - width(&label) + 2));
        text.push_str(&value);
        text.push('\n');
    }
    text.trim_end().to_owned()
}

/// The (label, value) rows of the staffing table.
fn staffing_rows(plan: &StaffingPlan, lang: Lang) -> Vec<(String, String)> {
    let asked = &plan.asked;
    let t = asked.answer_within_s;
    let model = match asked.patience_s {
        None => "Erlang C".to_owned(),
        Some(q) => t!(lang, "plan.staffing.erlang_a", patience = q),
    };
    let agents = if asked.searched {
        t!(lang, "plan.staffing.agents_needed")
    } else {
        t!(lang, "plan.staffing.agents_given")
    };
    let asa = plan.asa_s.map_or_else(
        || t!(lang, "plan.staffing.unstable").to_owned(),
        |s| t!(lang, "plan.seconds", value = format!("{s:.1}")),
    );
    let mut rows = vec![
        (t!(lang, "plan.staffing.model").to_owned(), model),
        (
            t!(lang, "plan.staffing.traffic").to_owned(),
            format!("{:.3}", plan.traffic_erlangs),
        ),
        (agents.to_owned(), plan.agents.to_string()),
        (
            t!(
                lang,
                "plan.staffing.scheduled",
                shrinkage = percent_text(asked.shrinkage.as_f64())
            ),
            plan.agents_scheduled.to_string(),
        ),
        (
            t!(lang, "plan.staffing.p_wait").to_owned(),
            percent(plan.p_wait),
        ),
        (
            t!(lang, "plan.staffing.service_level", t = t),
            percent(plan.service_level),
        ),
        (t!(lang, "plan.staffing.asa").to_owned(), asa),
        (
            t!(lang, "plan.staffing.occupancy").to_owned(),
            percent(plan.occupancy),
        ),
    ];
    if let (Some(p_abandon), Some(answered), Some(excl)) = (
        plan.p_abandon,
        plan.service_level_answered,
        plan.service_level_excl_early_abandons,
    ) {
        rows.push((
            t!(lang, "plan.staffing.p_abandon").to_owned(),
            percent(p_abandon),
        ));
        rows.push((
            t!(lang, "plan.staffing.sl_answered", t = t),
            percent(answered),
        ));
        rows.push((t!(lang, "plan.staffing.sl_excl", t = t), percent(excl)));
    }
    rows
}

/// `—` for a missing value.
fn or_dash(value: Option<String>, lang: Lang) -> String {
    value.unwrap_or_else(|| t!(lang, "common.none").to_owned())
}

/// The report of `plan site`.
#[must_use]
pub fn site_text(plan: &SitePlan, lang: Lang) -> String {
    let mut out = header(plan, lang);
    if plan.field.is_some() {
        out.push_str(&field_text(plan, lang));
    } else {
        out.push_str(&queue_text(plan, lang));
    }
    out
}

/// Title, history, model and accuracy lines.
fn header(p: &SitePlan, lang: Lang) -> String {
    let unit = if p.interval_min == IntervalLen::DAY.minutes() {
        t!(lang, "plan.site.per_day").to_owned()
    } else {
        t!(lang, "plan.site.intervals", minutes = p.interval_min)
    };
    let m = &p.model;
    let trend = if m.trend_fitted {
        format!("{:+.2}", m.slope_per_day)
    } else {
        "0".to_owned()
    };
    let wape = or_dash(
        p.backtest.as_ref().map(|b| {
            t!(
                lang,
                "plan.site.held_back",
                wape = or_dash(b.wape.map(percent), lang),
                from = b.from,
                to = b.to
            )
        }),
        lang,
    );
    let day = |d: Option<chrono::NaiveDate>| d.map_or_else(String::new, |d| d.to_string());
    let mut out = t!(
        lang,
        "plan.site.title",
        site = p.site,
        name = p.name.get(lang),
        scene = p.scene.label(lang),
        week = p.week,
        from = p.from,
        to = p.to,
        unit = unit
    );
    out.push('\n');
    out.push_str(&t!(
        lang,
        "plan.site.history",
        from = day(p.history.from),
        to = day(p.history.to),
        days = p.history.days,
        arrivals = p.history.arrivals
    ));
    out.push('\n');
    out.push_str(&t!(
        lang,
        "plan.site.model",
        level = format!("{:.1}", m.level),
        trend = trend,
        wape = wape
    ));
    out.push('\n');
    out
}

/// The queue lines, the interval table, the week's totals and the notes.
fn queue_text(p: &SitePlan, lang: Lang) -> String {
    let Some(q) = &p.queue else {
        return String::new();
    };
    let hall = p.scene == Scene::Hall;
    let patience = q.patience_s.map_or_else(
        || t!(lang, "plan.queue.no_abandons").to_owned(),
        |s| {
            t!(
                lang,
                "plan.queue.patience",
                patience = format!("{s:.0}"),
                source = source_text(&q.patience_source, lang)
            )
        },
    );
    let t = duration_text(q.answer_within_s, lang);
    let abandon = q.max_abandon.map_or_else(String::new, |cap| {
        let what = if hall {
            t!(lang, "plan.queue.abandon_hall")
        } else {
            t!(lang, "plan.queue.abandon")
        };
        t!(
            lang,
            "plan.queue.abandon_cap",
            what = what,
            cap = percent(cap),
            source = source_text(&q.max_abandon_source, lang)
        )
    });
    let (aht, sl_text) = if hall {
        (
            t!(lang, "plan.queue.aht_hall"),
            t!(lang, "plan.queue.sl_hall", t = t),
        )
    } else {
        (t!(lang, "plan.queue.aht"), t!(lang, "plan.queue.sl", t = t))
    };
    let mut out = t!(
        lang,
        "plan.queue.model_line",
        aht = aht,
        aht_s = format!("{:.1}", q.aht_s),
        source = source_text(&q.aht_source, lang),
        patience = patience
    );
    out.push('\n');
    out.push_str(&t!(
        lang,
        "plan.queue.targets_line",
        sl_text = sl_text,
        sl = or_dash(q.sl_target.map(percent), lang),
        sl_source = source_text(&q.sl_source, lang),
        t_source = source_text(&q.answer_within_source, lang),
        abandon = abandon,
        shrinkage = percent_text(q.shrinkage)
    ));
    out.push_str("\n\n");
    out.push_str(&interval_table(p, lang));
    out.push_str(&t!(
        lang,
        "plan.queue.totals",
        total = format!("{:.0}", q.forecast_total),
        hours = format!("{:.1}", q.staff_hours)
    ));
    if let (Some(r), Some(n)) = (q.rostered_hours, q.short_intervals) {
        out.push_str(&t!(
            lang,
            "plan.queue.rostered",
            hours = format!("{r:.1}"),
            short = n
        ));
    }
    out.push('\n');
    out.push_str(&notes_text(p, lang));
    out
}

/// A gap, signed.
fn gap_text(gap: Option<i64>, lang: Lang) -> String {
    or_dash(gap.map(|g| format!("{g:+}")), lang)
}

/// The interval table; intervals with no forecast, no staff and no roster are left out
/// so that closed hours do not fill the screen (the JSON has every interval).
fn interval_table(p: &SitePlan, lang: Lang) -> String {
    let with_roster = p.intervals.iter().any(|r| r.roster.is_some());
    let mut header = vec![
        t!(lang, "plan.col.date"),
        t!(lang, "plan.col.day"),
        t!(lang, "plan.col.start"),
        t!(lang, "plan.col.forecast"),
        t!(lang, "plan.col.required"),
        t!(lang, "plan.col.to_schedule"),
    ];
    if with_roster {
        header.extend([t!(lang, "plan.col.rostered"), t!(lang, "plan.col.gap")]);
    }
    header.extend([
        t!(lang, "plan.col.service_level"),
        t!(lang, "plan.col.abandon"),
    ]);
    let rows: Vec<Vec<String>> = p
        .intervals
        .iter()
        .filter(|r| r.forecast >= 0.005 || r.scheduled > 0 || r.roster.is_some_and(|s| s > 0))
        .map(|r| {
            let mut row = vec![
                r.date.to_string(),
                day_type_text(r.day_type, lang).to_owned(),
                r.start.clone(),
                format!("{:.1}", r.forecast),
                r.agents.to_string(),
                r.scheduled.to_string(),
            ];
            if with_roster {
                row.push(or_dash(r.roster.map(|s| s.to_string()), lang));
                row.push(gap_text(r.gap, lang));
            }
            row.push(percent(r.service_level));
            row.push(or_dash(r.p_abandon.map(percent), lang));
            row
        })
        .collect();
    render(&header, &rows)
}

/// The field lines, the day table, the crew, the verdict on the roster and the notes.
fn field_text(p: &SitePlan, lang: Lang) -> String {
    let Some(f) = &p.field else {
        return String::new();
    };
    let mut out = t!(
        lang,
        "plan.field.model_line",
        onsite = format!("{:.0}", f.onsite_h * 60.0),
        onsite_source = source_text(&f.onsite_source, lang),
        travel = format!("{:.0}", f.travel_h * 60.0),
        productive = format!("{:.1}", f.productive_h),
        limit = format!("{:.0}", f.limit_h),
        limit_source = source_text(&f.limit_source, lang),
        slack = f.slack_days
    );
    out.push_str("\n\n");
    out.push_str(&day_table(p, lang));
    out.push_str(&t!(
        lang,
        "plan.field.crew",
        crew = f.crew,
        scheduled = f.scheduled,
        shrinkage = percent_text(f.shrinkage),
        slack = f.slack_days,
        utilisation = percent(f.utilisation)
    ));
    out.push('\n');
    match f.roster_on_time {
        Some(true) => {
            out.push_str(t!(lang, "plan.field.on_time"));
            out.push('\n');
        }
        Some(false) => {
            let late: Vec<String> = p
                .days
                .iter()
                .filter(|d| d.late_with_roster == Some(true))
                .map(|d| d.date.to_string())
                .collect();
            out.push_str(&t!(
                lang,
                "plan.field.late",
                days = late.join(t!(lang, "plan.list_separator"))
            ));
            out.push('\n');
        }
        None => {}
    }
    out.push_str(&notes_text(p, lang));
    out
}

/// Technicians per day.
fn day_table(p: &SitePlan, lang: Lang) -> String {
    let with_roster = p.days.iter().any(|d| d.roster.is_some());
    let mut header = vec![
        t!(lang, "plan.col.date"),
        t!(lang, "plan.col.day"),
        t!(lang, "plan.col.forecast_orders"),
        t!(lang, "plan.col.workload"),
        t!(lang, "plan.col.required_same_day"),
        t!(lang, "plan.col.to_schedule"),
    ];
    if with_roster {
        header.extend([
            t!(lang, "plan.col.rostered"),
            t!(lang, "plan.col.gap"),
            t!(lang, "plan.col.on_time"),
        ]);
    }
    let rows: Vec<Vec<String>> = p
        .days
        .iter()
        .map(|d| {
            let mut row = vec![
                d.date.to_string(),
                day_type_text(d.day_type, lang).to_owned(),
                format!("{:.1}", d.forecast),
                format!("{:.1}", d.workload_h),
                d.required.to_string(),
                d.scheduled.to_string(),
            ];
            if with_roster {
                row.push(or_dash(d.roster.map(|s| s.to_string()), lang));
                row.push(gap_text(d.gap, lang));
                row.push(
                    match d.late_with_roster {
                        Some(false) => t!(lang, "common.yes"),
                        Some(true) => t!(lang, "common.no"),
                        None => t!(lang, "common.none"),
                    }
                    .to_owned(),
                );
            }
            row
        })
        .collect();
    render(&header, &rows)
}

/// The notes, one per line under a title; nothing without notes.
fn notes_text(p: &SitePlan, lang: Lang) -> String {
    if p.notes.is_empty() {
        return String::new();
    }
    let mut out = t!(lang, "plan.notes").to_owned();
    out.push('\n');
    for n in &p.notes {
        out.push_str("  - ");
        out.push_str(&n.text(lang));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use yardstick_core::queueing::Shrinkage;

    use super::*;

    #[test]
    fn chinese_labels_count_two_columns_per_character() {
        assert_eq!(width("坐席数"), 6);
        assert_eq!(width("话务量（Erlang）"), 6 + 2 + 6 + 2);
        assert_eq!(width("Agents"), 6);
    }

    #[test]
    fn shrinkage_percent_is_short() {
        let parse = |s: &str| s.parse::<Shrinkage>().expect("valid").as_f64();
        assert_eq!(percent_text(parse("0.3")), "30%");
        assert_eq!(percent_text(parse("0.125")), "12.5%");
        assert_eq!(percent_text(Shrinkage::NONE.as_f64()), "0%");
    }
}
