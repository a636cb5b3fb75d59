//! Property tests of the queueing maths: ranges, monotonicity in the number of agents,
//! minimality of the staffing search, the Erlang A → Erlang C limit and exact shrinkage.

use proptest::prelude::*;
use yardstick_core::queueing::{
    MAX_AGENTS, Performance, Queue, Shrinkage, Targets, erlang_b, erlang_c,
};

/// Rounding slack for monotonicity: the measures are exact to about 1e-10 (Erlang A)
/// and to rounding (Erlang C).
const SLACK: f64 = 1e-9;

fn queue(traffic: f64, aht_s: f64, patience_s: Option<f64>) -> Queue {
    Queue::new(traffic * 3600.0 / aht_s, aht_s, patience_s).expect("valid queue")
}

fn evaluate(queue: &Queue, agents: u32, answer_within_s: f64) -> Performance {
    queue
        .evaluate(agents, answer_within_s)
        .expect("valid staffing")
}

fn in_unit_interval(x: f64) -> bool {
    (0.0..=1.0).contains(&x)
}

fn all_probabilities_in_range(p: &Performance) -> bool {
    let base = in_unit_interval(p.p_wait)
        && in_unit_interval(p.service_level)
        && in_unit_interval(p.occupancy)
        && !p.asa_s.is_nan()
        && p.asa_s >= 0.0;
    let abandonment = p.abandonment.is_none_or(|a| {
        in_unit_interval(a.p_abandon)
            && in_unit_interval(a.service_level_answered)
            && in_unit_interval(a.service_level_excl_early_abandons)
            && a.mean_wait_all_s.is_finite()
    });
    base && abandonment
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn erlang_b_is_a_probability_falling_with_servers(
        traffic in 0.0..1000.0_f64,
        servers in 0..MAX_AGENTS,
    ) {
        let b = erlang_b(servers, traffic).expect("valid");
        let b_next = erlang_b(servers + 1, traffic).expect("valid");
        prop_assert!(in_unit_interval(b) && in_unit_interval(b_next));
        prop_assert!(b_next <= b, "B({}) = {b_next} > B({servers}) = {b}", servers + 1);
    }

    #[test]
    fn erlang_c_is_at_least_erlang_b(traffic in 0.0..1000.0_f64, servers in 1..=MAX_AGENTS) {
        let b = erlang_b(servers, traffic).expect("valid");
        let c = erlang_c(servers, traffic).expect("valid");
        prop_assert!(in_unit_interval(c));
        prop_assert!(c >= b, "C = {c} < B = {b}");
    }

    #[test]
    fn erlang_c_service_level_rises_and_asa_falls_with_agents(
        traffic in 0.1..1000.0_f64,
        aht_s in 10.0..1200.0_f64,
        answer_within_s in 0.0..120.0_f64,
        extra in 0_u32..40,
    ) {
        let q = queue(traffic, aht_s, None);
        let first = float_agents(traffic).min(MAX_AGENTS - 41) + extra;
        let p = evaluate(&q, first, answer_within_s);
        let next = evaluate(&q, first + 1, answer_within_s);
        prop_assert!(all_probabilities_in_range(&p));
        prop_assert!(next.service_level >= p.service_level - SLACK);
        prop_assert!(next.asa_s <= p.asa_s * (1.0 + SLACK));
        prop_assert!(next.occupancy <= p.occupancy + SLACK);
    }

    #[test]
    fn erlang_a_measures_are_monotone_in_agents(
        traffic in 0.1..300.0_f64,
        aht_s in 30.0..900.0_f64,
        patience_over_aht in 0.05..20.0_f64,
        answer_within_s in 0.0..120.0_f64,
        fraction in 0.3..1.5_f64,
    ) {
        let q = queue(traffic, aht_s, Some(patience_over_aht * aht_s));
        let agents = float_agents(traffic * fraction).clamp(1, MAX_AGENTS - 1);
        let p = evaluate(&q, agents, answer_within_s);
        let next = evaluate(&q, agents + 1, answer_within_s);
        prop_assert!(all_probabilities_in_range(&p) && all_probabilities_in_range(&next));
        let (ab, ab_next) = (p.abandonment.expect("patience"), next.abandonment.expect("patience"));
        prop_assert!(next.service_level >= p.service_level - SLACK);
        prop_assert!(next.p_wait <= p.p_wait + SLACK);
        prop_assert!(ab_next.p_abandon <= ab.p_abandon + SLACK);
        prop_assert!(next.asa_s <= p.asa_s * (1.0 + SLACK) + SLACK);
        prop_assert!(next.occupancy <= p.occupancy + SLACK);
    }

    #[test]
    fn erlang_a_tends_to_erlang_c_as_patience_grows(
        traffic in 0.5..500.0_f64,
        aht_s in 30.0..900.0_f64,
        answer_within_s in 0.0..120.0_f64,
        spare in 1.0..40.0_f64,
    ) {
        let agents = float_agents(traffic + spare).min(MAX_AGENTS);
        let c = evaluate(&queue(traffic, aht_s, None), agents, answer_within_s);
        let a = evaluate(&queue(traffic, aht_s, Some(aht_s * 1e12)), agents, answer_within_s);
        prop_assert!((a.p_wait - c.p_wait).abs() < 1e-6, "{} vs {}", a.p_wait, c.p_wait);
        prop_assert!((a.service_level - c.service_level).abs() < 1e-6);
        prop_assert!((a.asa_s - c.asa_s).abs() <= 1e-6 * c.asa_s.max(1.0));
        prop_assert!((a.occupancy - c.occupancy).abs() < 1e-6);
    }

    #[test]
    fn no_nan_at_a_thousand_erlangs_on_up_to_two_thousand_agents(
        agents in 1..=MAX_AGENTS,
        patience_s in prop::option::of(1.0..1e7_f64),
        answer_within_s in 0.0..600.0_f64,
    ) {
        let p = evaluate(&queue(1000.0, 180.0, patience_s), agents, answer_within_s);
        prop_assert!(all_probabilities_in_range(&p), "{p:?}");
    }

    #[test]
    fn staffing_search_returns_the_minimum(
        traffic in 0.05..200.0_f64,
        aht_s in 30.0..900.0_f64,
        answer_within_s in 0.0..60.0_f64,
        level in prop::option::of(0.5..0.99_f64),
        asa_s in prop::option::of(1.0..120.0_f64),
        max_occupancy in prop::option::of(0.6..1.0_f64),
        patience_over_aht in prop::option::of(0.1..10.0_f64),
        max_abandon in 0.01..0.2_f64,
    ) {
        let patience_s = patience_over_aht.map(|r| r * aht_s);
        let q = queue(traffic, aht_s, patience_s);
        let targets = Targets {
            answer_within_s,
            // Keep at least one service target so that the search is well posed.
            service_level: if asa_s.is_none() { level.or(Some(0.8)) } else { level },
            asa_s,
            max_occupancy,
            max_abandon: patience_s.map(|_| max_abandon),
        };
        let found = q.required_agents(&targets).expect("feasible below 2000 agents");
        prop_assert!(targets.unmet(&found).is_none(), "result misses a target: {found:?}");
        prop_assert_eq!(&evaluate(&q, found.agents, answer_within_s), &found);
        // One agent fewer misses a target (0 agents cannot serve positive traffic).
        if found.agents > 1 {
            let fewer = evaluate(&q, found.agents - 1, answer_within_s);
            prop_assert!(targets.unmet(&fewer).is_some(), "{} agents suffice too", found.agents - 1);
        }
    }

    #[test]
    fn scheduled_staff_is_the_exact_ceiling(
        agents in 0..=MAX_AGENTS,
        basis_points in 0_u32..10_000,
    ) {
        // scheduled·(1 − s) ≥ agents > (scheduled − 1)·(1 − s), in integers:
        // scheduled·(10000 − bp) ≥ agents·10000 > (scheduled − 1)·(10000 − bp).
        let shrinkage = Shrinkage::from_basis_points(basis_points).expect("valid");
        let scheduled = u128::from(shrinkage.scheduled_agents(agents));
        let available = u128::from(10_000 - basis_points);
        let wanted = u128::from(agents) * 10_000;
        prop_assert!(scheduled * available >= wanted);
        prop_assert!(scheduled == 0 || (scheduled - 1) * available < wanted);
        // The decimal spelling parses to the same fraction.
        let text = format!("{}.{:04}", basis_points / 10_000, basis_points % 10_000);
        prop_assert_eq!(text.parse::<Shrinkage>().expect("valid"), shrinkage);
    }
}

/// ⌈x⌉ as a number of agents, for x in (0, 2000].
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "test inputs are positive and below 2000"
)]
fn float_agents(x: f64) -> u32 {
    x.ceil() as u32
}
