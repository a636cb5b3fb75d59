//! Staff from forecasts: the patience estimate, agents and counters per interval
//! through the queueing maths, and field technicians against the time limit, with
//! expected values worked out by hand in the comments.

use chrono::{Days, NaiveDate};
use yardstick_core::planning::{
    FieldParams, IntervalLen, MeanSample, PatienceSample, PlanningError, QueuePlan, SlBasis,
    field_check, field_plan, slack_days, staff_interval,
};
use yardstick_core::queueing::{Queue, Shrinkage, Targets};

fn close(what: &str, actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual}, expected {expected} ± {tolerance}"
    );
}

fn shrinkage(text: &str) -> Shrinkage {
    text.parse().expect("valid shrinkage")
}

fn plan(aht_s: f64, patience_s: Option<f64>, basis: SlBasis) -> QueuePlan {
    QueuePlan {
        aht_s,
        patience_s,
        targets: Targets {
            service_level: Some(0.8),
            ..Targets::answer_within(20.0)
        },
        basis,
        shrinkage: Shrinkage::NONE,
    }
}

/// Three answered contacts waited 10, 20 and 30 s, two abandoned after 40 and 60 s:
/// the exposure is 160 s for 2 abandons, so θ̂ = 80 s; the abandon rate is 2/5.
#[test]
fn patience_is_exposure_over_abandons() {
    let mut p = PatienceSample::default();
    for w in [10.0, 20.0, 30.0] {
        assert!(p.add(w, false));
    }
    for w in [40.0, 60.0] {
        assert!(p.add(w, true));
    }
    assert!(!p.add(-1.0, true), "a negative wait is refused");
    assert_eq!((p.queued, p.abandons), (5, 2));
    close("theta", p.mean_patience_s().expect("abandons"), 80.0, 1e-12);
    close(
        "abandon rate",
        p.abandon_rate().expect("queued"),
        0.4,
        1e-12,
    );
    let mut patient = PatienceSample::default();
    patient.add(30.0, false);
    assert_eq!(patient.mean_patience_s(), None, "no abandons: Erlang C");
    let mut m = MeanSample::default();
    assert!(m.add(100.0) && m.add(200.0) && !m.add(f64::NAN));
    assert_eq!(m.mean(), Some(150.0));
}

/// 100 contacts in a 30-minute interval are 200 per hour; with AHT 180 s that is the
/// R ErlangC README example (10 Erlangs): 14 agents for 80 % in 20 s, and 30 %
/// shrinkage makes ⌈14 / 0.7⌉ = 20 to schedule.
#[test]
fn call_centre_interval_matches_the_erlang_c_example() {
    let mut p = plan(180.0, None, SlBasis::ExclEarlyAbandons);
    p.shrinkage = shrinkage("0.3");
    let s = staff_interval(100.0, IntervalLen::MIN_30, &p).expect("staffed");
    close("rate", s.arrivals_per_h, 200.0, 1e-12);
    assert_eq!((s.agents, s.scheduled), (14, 20));
    close("service level", s.service_level, 0.888_35, 5e-6);
    assert_eq!(s.p_abandon, None);
}

#[test]
fn no_arrivals_need_no_staff() {
    let s = staff_interval(
        0.0,
        IntervalLen::MIN_15,
        &plan(180.0, Some(60.0), SlBasis::Offered),
    )
    .expect("staffed");
    assert_eq!((s.agents, s.scheduled), (0, 0));
}

/// With patience, the formula-4 basis (early abandons neutral) never needs more agents
/// than the stricter "over offered" basis, and its answer is the minimum: one agent
/// fewer misses 80 % on that basis. Hall counters use the same search with T = 15 min.
#[test]
fn formula_four_basis_is_the_exact_minimum() {
    for (arrivals, aht, patience, t) in [
        (100.0, 180.0, 120.0, 20.0),
        (40.0, 420.0, 1800.0, 900.0),
        (7.0, 300.0, 600.0, 900.0),
    ] {
        let mut offered = plan(aht, Some(patience), SlBasis::Offered);
        offered.targets.answer_within_s = t;
        let excl = QueuePlan {
            basis: SlBasis::ExclEarlyAbandons,
            ..offered
        };
        let a = staff_interval(arrivals, IntervalLen::MIN_30, &offered).expect("offered");
        let b = staff_interval(arrivals, IntervalLen::MIN_30, &excl).expect("formula 4");
        assert!(
            b.agents <= a.agents,
            "{arrivals}: {} > {}",
            b.agents,
            a.agents
        );
        assert!(b.service_level >= 0.8 - 1e-12);
        let queue = Queue::new(arrivals * 2.0, aht, Some(patience)).expect("queue");
        if b.agents > 1 {
            let fewer = queue.evaluate(b.agents - 1, t).expect("evaluated");
            let sl = fewer
                .abandonment
                .expect("Erlang A")
                .service_level_excl_early_abandons;
            assert!(
                sl < 0.8,
                "{arrivals}: {} agents would do ({sl})",
                b.agents - 1
            );
        }
    }
}

fn week(orders: [f64; 7]) -> Vec<(NaiveDate, f64)> {
    let monday: NaiveDate = "2030-01-07".parse().expect("valid date");
    orders
        .into_iter()
        .enumerate()
        .map(|(i, o)| (monday + Days::new(u64::try_from(i).expect("small")), o))
        .collect()
}

fn params(limit_h: f64) -> FieldParams {
    FieldParams {
        onsite_h: 1.0,
        travel_h: 0.5,
        productive_h: 6.0,
        limit_h,
    }
}

/// Ten orders a working day, none at weekends, 1.5 h each, 6 productive hours per
/// technician: 15 h a working day, a daily balance of ⌈2.5⌉ = 3.
///
/// With a 72 h limit (k = 2 days of carry-over) two technicians (12 h a day, 84 h a
/// week for 75 h) suffice: the steady-state backlog is 3, 6, 9, 12, 15, 3, 0 h, and for
/// every day d the backlog two days later is at most the work of the two days after d
/// (e.g. Thursday: Saturday's 3 ≤ Friday's 15 + Saturday's 0). One technician (42 h a
/// week) cannot keep up.
///
/// With a 48 h limit (k = 1) two are not enough: Friday's backlog of 15 h is within
/// Friday's own work, but Saturday's 3 h are Friday work still open at the end of
/// Saturday (3 > Saturday's 0). So three are needed.
#[test]
fn technicians_against_the_time_limit() {
    let orders = week([10.0, 10.0, 10.0, 10.0, 10.0, 0.0, 0.0]);
    let p72 = field_plan(&orders, &params(72.0), Shrinkage::NONE).expect("plan");
    assert_eq!(p72.slack_days, 2);
    assert_eq!(p72.crew, 2);
    let balance: Vec<u32> = p72.days.iter().map(|d| d.balance).collect();
    assert_eq!(balance, vec![3, 3, 3, 3, 3, 0, 0]);
    let backlog: Vec<f64> = p72.days.iter().map(|d| d.backlog_h).collect();
    for (got, want) in backlog.iter().zip([3.0, 6.0, 9.0, 12.0, 15.0, 3.0, 0.0]) {
        close("backlog", *got, want, 1e-9);
    }
    close("utilisation", p72.utilisation, 75.0 / 84.0, 1e-12);
    let p48 = field_plan(&orders, &params(48.0), shrinkage("25%")).expect("plan");
    assert_eq!(p48.slack_days, 1);
    assert_eq!(p48.crew, 3);
    assert_eq!(p48.scheduled, 4, "⌈3 / 0.75⌉");
}

/// A roster held against the same week: three a working day and none at weekends
/// clears every day; two every day is on time for 72 h but late on Friday for 48 h; one
/// every day is unstable.
#[test]
fn rosters_are_checked_day_by_day() {
    let work = [15.0, 15.0, 15.0, 15.0, 15.0, 0.0, 0.0];
    let cap = |c: [f64; 7]| c.map(|x| x * 6.0);
    let weekdays =
        field_check(&work, &cap([3.0, 3.0, 3.0, 3.0, 3.0, 0.0, 0.0]), 1).expect("same length");
    assert!(weekdays.on_time());
    let two = cap([2.0; 7]);
    assert!(field_check(&work, &two, 2).expect("checked").on_time());
    let late = field_check(&work, &two, 1).expect("checked");
    assert_eq!(
        late.late,
        vec![false, false, false, false, true, false, false]
    );
    let one = field_check(&work, &cap([1.0; 7]), 2).expect("checked");
    assert!(!one.stable && !one.on_time());
    assert!(matches!(
        field_check(&work, &two[..3], 1),
        Err(PlanningError::LengthMismatch {
            got: 3,
            expected: 7,
            ..
        })
    ));
}

#[test]
fn slack_days_by_limit() {
    assert_eq!(slack_days(12.0), 0);
    assert_eq!(slack_days(24.0), 0);
    assert_eq!(slack_days(47.9), 0);
    assert_eq!(slack_days(48.0), 1);
    assert_eq!(slack_days(72.0), 2);
    assert_eq!(slack_days(100.0), 3);
}

#[test]
fn bad_field_parameters_are_refused() {
    let orders = week([1.0; 7]);
    let mut p = params(48.0);
    p.productive_h = 0.0;
    assert!(matches!(
        field_plan(&orders, &p, Shrinkage::NONE),
        Err(PlanningError::InvalidParam {
            input: "productive_h",
            ..
        })
    ));
    let no_work = field_plan(&week([0.0; 7]), &params(48.0), Shrinkage::NONE).expect("plan");
    assert_eq!(no_work.crew, 0);
}
