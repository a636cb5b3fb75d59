//! Published worked examples of Erlang B, C and A reproduced by `yardstick_core::queueing`,
//! independent cross-checks of the exact Erlang A method, and the typed input errors.
//!
//! Expected values are copied from the cited sources, with tolerances matching the
//! number of digits each source prints.

use yardstick_core::queueing::{
    Input, MAX_AGENTS, Performance, Queue, QueueingError, Shrinkage, Targets, erlang_b, erlang_c,
};

/// Asserts `actual` is within `tolerance` of `expected`, naming the quantity.
fn close(what: &str, actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual}, expected {expected} ± {tolerance}"
    );
}

fn queue(arrivals_per_h: f64, aht_s: f64, patience_s: Option<f64>) -> Queue {
    Queue::new(arrivals_per_h, aht_s, patience_s).expect("valid queue")
}

fn evaluate(queue: &Queue, agents: u32, answer_within_s: f64) -> Performance {
    queue
        .evaluate(agents, answer_within_s)
        .expect("valid staffing")
}

fn sl_target(level: f64, answer_within_s: f64) -> Targets {
    Targets {
        service_level: Some(level),
        ..Targets::answer_within(answer_within_s)
    }
}

// ---------------------------------------------------------------------------------------
// Erlang C
// ---------------------------------------------------------------------------------------

/// The classic example (100 calls per 30 minutes, AHT 180 s, 80 % within 20 s) as
/// printed by the R package ErlangC 0.1.0 README
/// (https://rdocumentation.org/packages/ErlangC/versions/0.1.0): with 14 agents
/// traffic 10, wait probability 0.1741319, service level 0.88835, ASA
/// 7.83593701177724 s, immediate answer 0.8258681, occupancy 0.7142857; and in its
/// `calculate_agents` process table, 11 agents give 0.6821182 and 0.3896138.
#[test]
fn erlang_c_r_package_erlangc_readme_example() {
    let q = queue(200.0, 180.0, None);
    close("traffic", q.traffic_erlangs(), 10.0, 1e-12);
    let p = evaluate(&q, 14, 20.0);
    close("p_wait(14)", p.p_wait, 0.174_131_9, 5e-8);
    close("immediate answer(14)", 1.0 - p.p_wait, 0.825_868_1, 5e-8);
    close("service level(14)", p.service_level, 0.888_35, 5e-6);
    close("asa_s(14)", p.asa_s, 7.835_937_011_777_24, 1e-9);
    close("occupancy(14)", p.occupancy, 0.714_285_7, 5e-8);
    let p = evaluate(&q, 11, 20.0);
    close("p_wait(11)", p.p_wait, 0.682_118_2, 5e-8);
    close("service level(11)", p.service_level, 0.389_613_8, 5e-8);
}

/// The same example in the pyworkforce 0.1.0 documentation
/// (its 0.1.0 package description): `ErlangC(transactions=100,
/// asa=20/60, aht=3, interval=30, max_occupancy=0.85, shrinkage=0.3)
/// .required_positions(service_level=0.8)` gives raw_positions 14, positions 20,
/// service_level 0.8883500191794669, occupancy 0.7142857142857143,
/// waiting_probability 0.1741319335950498. R ErlangC's `calculate_agents` with the
/// same inputs also returns 14 agents.
#[test]
fn erlang_c_pyworkforce_required_positions_example() {
    let q = queue(200.0, 180.0, None);
    let targets = Targets {
        max_occupancy: Some(0.85),
        ..sl_target(0.8, 20.0)
    };
    let p = q.required_agents(&targets).expect("feasible");
    assert_eq!(p.agents, 14);
    let shrinkage: Shrinkage = "0.3".parse().expect("valid shrinkage");
    assert_eq!(shrinkage.scheduled_agents(p.agents), 20);
    close(
        "service level",
        p.service_level,
        0.888_350_019_179_466_9,
        1e-12,
    );
    close("occupancy", p.occupancy, 0.714_285_714_285_714_3, 1e-15);
    close("p_wait", p.p_wait, 0.174_131_933_595_049_8, 1e-12);
}

/// The Erlang C calculator example of http://personal.telefonica.terra.es/web/vr/erlang/eng/mcerlc.htm:
/// 600 calls per hour of 120 s are 20 Erlangs; a delay-probability target of 15 %
/// needs 26 circuits with an average delay of 2.5 s/CCS, i.e. 1800 s in total or 3 s
/// per call; 30 circuits reduce the delay probability to 2.5 %; and 30 circuits at
/// 15 % delay could carry 23.6 Erlangs. (Its mean delay is rounded too coarsely,
/// to half a second per CCS, to be checked.)
#[test]
fn erlang_c_telefonica_calculator_example() {
    let q = queue(600.0, 120.0, None);
    close("traffic", q.traffic_erlangs(), 20.0, 1e-12);
    assert!(erlang_c(25, 20.0).expect("valid") > 0.15);
    assert!(erlang_c(26, 20.0).expect("valid") <= 0.15);
    close(
        "p_wait(30)",
        erlang_c(30, 20.0).expect("valid"),
        0.025,
        0.0005,
    );
    let capacity = solve_traffic(|a| erlang_c(30, a).expect("valid"), 0.15);
    close("traffic at 30 circuits, 15 %", capacity, 23.6, 0.05);
}

// ---------------------------------------------------------------------------------------
// Erlang B
// ---------------------------------------------------------------------------------------

/// Westbay Erlang calculator manual, "How much traffic can a trunk group handle?"
/// (https://erlang.com/calculatormanual/howmuchtrafficcanatrunkgrouphandle.htm): 15
/// lines at 1 % blocking carry 8.108 Erlangs.
#[test]
fn erlang_b_westbay_fifteen_lines_example() {
    let traffic = solve_traffic(|a| erlang_b(15, a).expect("valid"), 0.01);
    close("traffic at 15 lines, 1 %", traffic, 8.108, 0.0005);
}

/// Westbay Erlang calculator manual, call-minutes example
/// (https://erlang.com/calculatormanual/minutes_howmanylines.htm): 158.333 Erlangs
/// of busy-hour traffic at 3 % blocking need 168 lines.
#[test]
fn erlang_b_westbay_lines_needed_example() {
    let lines = (1..=MAX_AGENTS)
        .find(|&n| erlang_b(n, 158.333).expect("valid") <= 0.03)
        .expect("some staffing meets 3 %");
    assert_eq!(lines, 168);
}

/// Erlang B table in "Carrier Grade Voice over IP", 2nd ed., Appendix A
/// (https://www.globalspec.com/reference/55139/203279/appendix-a-table-of-erlang-b):
/// offered traffic, to one decimal, for 5–9 channels at 1 %, 2 % and 5 % blocking.
#[test]
fn erlang_b_carrier_grade_voip_table() {
    let table = [
        (5, [1.4, 1.7, 2.2]),
        (6, [1.9, 2.3, 3.0]),
        (7, [2.5, 2.9, 3.7]),
        (8, [3.1, 3.6, 4.5]),
        (9, [3.8, 4.3, 5.4]),
    ];
    for (channels, row) in table {
        for (blocking, expected) in [0.01, 0.02, 0.05].into_iter().zip(row) {
            let traffic = solve_traffic(|a| erlang_b(channels, a).expect("valid"), blocking);
            close(
                &format!("{channels} channels at {blocking}"),
                traffic,
                expected,
                0.05,
            );
        }
    }
}

/// The traffic at which an increasing probability function reaches `target`, by
/// bisection (used to read tables that list traffic for a given blocking or delay).
fn solve_traffic(probability: impl Fn(f64) -> f64, target: f64) -> f64 {
    let (mut low, mut high) = (0.0, 2000.0);
    for _ in 0..200 {
        let middle = 0.5 * (low + high);
        if probability(middle) < target {
            low = middle;
        } else {
            high = middle;
        }
    }
    0.5 * (low + high)
}

// ---------------------------------------------------------------------------------------
// Erlang A
// ---------------------------------------------------------------------------------------

/// pyworkforce's published Erlang A regression example
/// (rodrigo-arenas/pyworkforce, `pyworkforce/queuing/tests/test_abandonment.py`,
/// `test_erlanga_regression_metrics`): 100 transactions per 30 minutes, AHT 3 min,
/// patience 5 min, 14 positions, answer within 20 s give waiting probability 0.14526,
/// abandonment probability 0.013984, occupancy 0.704297, mean wait over all
/// transactions 0.069919 min (its `average_speed_of_answer`, E[Q]/λ) and service level
/// 0.916792 (answered within 20 s over offered).
#[test]
fn erlang_a_pyworkforce_regression_example() {
    let q = queue(200.0, 180.0, Some(300.0));
    let p = evaluate(&q, 14, 20.0);
    let ab = p.abandonment.expect("patience gives abandonment measures");
    close("p_wait", p.p_wait, 0.145_26, 5e-6);
    close("p_abandon", ab.p_abandon, 0.013_984, 5e-7);
    close("occupancy", p.occupancy, 0.704_297, 5e-7);
    close(
        "mean wait of all (min)",
        ab.mean_wait_all_s / 60.0,
        0.069_919,
        5e-7,
    );
    close("service level", p.service_level, 0.916_792, 5e-7);
}

/// Direct sums over the birth–death process and the tagged-customer chain, an
/// independent exact method for small queues, to check the integral method.
struct Reference {
    p_wait: f64,
    p_abandon: f64,
    mean_wait_all: f64,
    service_level: f64,
    abandon_before_t: f64,
    asa_answered: f64,
}

/// Reference measures for N agents, traffic A, abandonment ratio g = AHT/θ and answer
/// time t, all times in AHT units.
///
/// Stationary probabilities: π_n ∝ Aⁿ/n! up to N, then × A/(N + k·g) per place in
/// queue, summed until negligible. For a contact arriving with j waiting ahead, the
/// chain "places ahead" moves down at rate N + k·g and the contact abandons at rate g;
/// uniformisation gives the chance of being served / abandoning by t, and first-step
/// analysis the expected wait of served contacts.
fn reference(servers: u32, traffic: f64, g: f64, t: f64) -> Reference {
    let n = f64::from(servers);
    let mut weights = vec![1.0_f64];
    for k in 1..=servers {
        let last = weights[weights.len() - 1];
        weights.push(last * traffic / f64::from(k));
    }
    let mut j = 0.0;
    loop {
        j += 1.0;
        let last = weights[weights.len() - 1];
        let next = last * traffic / (n + j * g);
        weights.push(next);
        let total: f64 = weights.iter().sum();
        if next < 1e-18 * total && j > traffic {
            break;
        }
    }
    let total: f64 = weights.iter().sum();
    let pi: Vec<f64> = weights.iter().map(|w| w / total).collect();
    let queued = &pi[servers as usize..];
    let p_wait: f64 = queued.iter().sum();
    let queue_mean: f64 = queued.iter().enumerate().map(|(k, p)| k as f64 * p).sum();

    let ahead_max = queued.len();
    let rate = n + (ahead_max as f64 + 1.0) * g;
    let (served_by_t, gone_by_t) = uniformised_absorption(n, g, rate, t, ahead_max);
    let mut service_level: f64 = pi[..servers as usize].iter().sum();
    let mut abandon_before_t = 0.0;
    let mut answered_wait = 0.0;
    let mut p_answered: f64 = pi[..servers as usize].iter().sum();
    for (ahead, p) in queued.iter().enumerate() {
        service_level += p * served_by_t[ahead];
        abandon_before_t += p * gone_by_t[ahead];
        // P(served | ahead) = Π (N + i g)/(N + (i+1) g); the wait given served is the
        // sum of the mean holding times 1/(N + (i+1) g), i = 0..=ahead.
        let mut served = 1.0;
        let mut wait = 0.0;
        for i in 0..=ahead {
            let i = i as f64;
            served *= (n + i * g) / (n + (i + 1.0) * g);
            wait += 1.0 / (n + (i + 1.0) * g);
        }
        answered_wait += p * served * wait;
        p_answered += p * served;
    }
    Reference {
        p_wait,
        p_abandon: g * queue_mean / traffic,
        mean_wait_all: queue_mean / traffic,
        service_level,
        abandon_before_t,
        asa_answered: answered_wait / p_answered,
    }
}

/// For each number of places ahead, the probabilities of having been served and of
/// having abandoned by time t, by uniformisation at `rate`.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "the step count is a small positive number"
)]
fn uniformised_absorption(
    n: f64,
    g: f64,
    rate: f64,
    t: f64,
    states: usize,
) -> (Vec<f64>, Vec<f64>) {
    let mut served = vec![0.0; states];
    let mut gone = vec![0.0; states];
    let mut served_sum = vec![0.0; states];
    let mut gone_sum = vec![0.0; states];
    let mean = rate * t;
    let mut poisson = (-mean).exp();
    let steps = (mean + 12.0 * mean.sqrt() + 60.0) as usize;
    for step in 1..=steps {
        // served_m(k) = P(served within m jumps from k), by one step back in time.
        let next_served: Vec<f64> = (0..states)
            .map(|k| {
                let advance = (n + k as f64 * g) / rate;
                let stay = 1.0 - advance - g / rate;
                let ahead = if k == 0 { 1.0 } else { served[k - 1] };
                advance * ahead + stay * served[k]
            })
            .collect();
        let next_gone: Vec<f64> = (0..states)
            .map(|k| {
                let advance = (n + k as f64 * g) / rate;
                let stay = 1.0 - advance - g / rate;
                let ahead = if k == 0 { 0.0 } else { gone[k - 1] };
                g / rate + advance * ahead + stay * gone[k]
            })
            .collect();
        served = next_served;
        gone = next_gone;
        poisson *= mean / step as f64;
        // P(absorbed by t) = Σ_m Pois(m) · P(absorbed within m jumps).
        for k in 0..states {
            served_sum[k] += poisson * served[k];
            gone_sum[k] += poisson * gone[k];
        }
    }
    (served_sum, gone_sum)
}

#[test]
fn erlang_a_matches_direct_birth_death_sums() {
    // (agents, traffic, AHT/patience, T/AHT): under-, critically and over-loaded, and
    // patience shorter and longer than the handling time.
    let cases = [
        (14, 10.0, 0.6, 1.0 / 9.0),
        (5, 4.0, 1.0, 0.5),
        (8, 10.0, 2.0, 0.25),
        (20, 20.0, 0.25, 0.2),
        (3, 6.0, 0.5, 1.0),
        (30, 24.0, 4.0, 0.05),
    ];
    for (agents, traffic, g, t) in cases {
        let aht_s = 100.0;
        let q = queue(traffic * 36.0, aht_s, Some(aht_s / g));
        let p = evaluate(&q, agents, t * aht_s);
        let ab = p.abandonment.expect("patience");
        let r = reference(agents, traffic, g, t);
        let case = format!("N={agents} A={traffic} g={g} t={t}");
        close(&format!("{case} p_wait"), p.p_wait, r.p_wait, 1e-9);
        close(
            &format!("{case} p_abandon"),
            ab.p_abandon,
            r.p_abandon,
            1e-9,
        );
        close(
            &format!("{case} mean wait"),
            ab.mean_wait_all_s / aht_s,
            r.mean_wait_all,
            1e-9,
        );
        close(
            &format!("{case} service level"),
            p.service_level,
            r.service_level,
            1e-9,
        );
        close(
            &format!("{case} asa"),
            p.asa_s / aht_s,
            r.asa_answered,
            1e-9,
        );
        let p_answered = 1.0 - r.p_abandon;
        close(
            &format!("{case} service level over answered"),
            ab.service_level_answered,
            r.service_level / p_answered,
            1e-9,
        );
        close(
            &format!("{case} service level excl. early abandons"),
            ab.service_level_excl_early_abandons,
            r.service_level / (1.0 - r.abandon_before_t),
            1e-9,
        );
        close(
            &format!("{case} occupancy"),
            p.occupancy,
            traffic * p_answered / f64::from(agents),
            1e-9,
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// The same cross-check on random small queues, loads from 0.2 to 2 per agent.
    #[test]
    fn erlang_a_matches_direct_sums_on_random_small_queues(
        agents in 1_u32..25,
        load in 0.2..2.0_f64,
        g in 0.2..5.0_f64,
        t in 0.0..2.0_f64,
    ) {
        let traffic = load * f64::from(agents);
        let aht_s = 60.0;
        let p = evaluate(&queue(traffic * 60.0, aht_s, Some(aht_s / g)), agents, t * aht_s);
        let r = reference(agents, traffic, g, t);
        let ab = p.abandonment.expect("patience");
        proptest::prop_assert!((p.p_wait - r.p_wait).abs() < 1e-9);
        proptest::prop_assert!((ab.p_abandon - r.p_abandon).abs() < 1e-9);
        proptest::prop_assert!((p.service_level - r.service_level).abs() < 1e-9);
        proptest::prop_assert!((p.asa_s / aht_s - r.asa_answered).abs() < 1e-9);
    }
}

/// Erlang A tends to Erlang C as patience grows: the gap shrinks in proportion to
/// 1/θ (the first-order effect of abandonment) until it reaches rounding level.
#[test]
fn erlang_a_with_very_long_patience_is_erlang_c() {
    let erlang_c_queue = queue(200.0, 180.0, None);
    for agents in [11, 14, 20] {
        let c = evaluate(&erlang_c_queue, agents, 20.0);
        let gaps = |patience_s: f64| {
            let a = evaluate(&queue(200.0, 180.0, Some(patience_s)), agents, 20.0);
            [
                (a.p_wait - c.p_wait).abs(),
                (a.service_level - c.service_level).abs(),
                (a.asa_s / c.asa_s - 1.0).abs(),
                (a.occupancy - c.occupancy).abs(),
            ]
        };
        let (near, nearer) = (gaps(1e10), gaps(1e12));
        for (g10, g12) in near.iter().zip(nearer) {
            assert!(*g10 < 1e-6, "N={agents}: gap {g10} at θ = 1e10 s");
            assert!(g12 < 1e-8 && g12 <= g10 / 50.0, "N={agents}: {g10} → {g12}");
        }
    }
}

#[test]
fn erlang_a_stays_finite_at_the_extremes() {
    // 1000 Erlangs on 1 to 2000 agents, patience from a second to a year.
    for patience_s in [1.0, 60.0, 3.2e7] {
        let q = queue(36_000.0, 100.0, Some(patience_s));
        close("traffic", q.traffic_erlangs(), 1000.0, 1e-9);
        for agents in [1, 500, 999, 1000, 1001, 1100, 2000] {
            let p = evaluate(&q, agents, 20.0);
            let ab = p.abandonment.expect("patience");
            for (name, x) in [
                ("p_wait", p.p_wait),
                ("service_level", p.service_level),
                ("occupancy", p.occupancy),
                ("p_abandon", ab.p_abandon),
                ("sl answered", ab.service_level_answered),
                ("sl excl", ab.service_level_excl_early_abandons),
            ] {
                assert!(
                    (0.0..=1.0).contains(&x),
                    "{name} = {x} at N={agents}, θ={patience_s}"
                );
            }
            assert!(p.asa_s.is_finite() && p.asa_s >= 0.0, "asa {}", p.asa_s);
        }
    }
    // With one agent at most one Erlang is carried: 999 of 1000 contacts abandon.
    let one = evaluate(&queue(36_000.0, 100.0, Some(60.0)), 1, 20.0);
    close(
        "p_abandon(1)",
        one.abandonment.expect("patience").p_abandon,
        0.999,
        1e-9,
    );
}

// ---------------------------------------------------------------------------------------
// Search, shrinkage and errors
// ---------------------------------------------------------------------------------------

#[test]
fn staffing_search_respects_each_kind_of_target() {
    let q = queue(200.0, 180.0, None);
    // ASA ≤ 20 s: 13 agents give 17.1 s and 12 give 40.4 s (see the R example).
    let asa = Targets {
        asa_s: Some(20.0),
        ..Targets::answer_within(20.0)
    };
    assert_eq!(q.required_agents(&asa).expect("feasible").agents, 13);
    // An occupancy cap of 0.6 needs ⌈10/0.6⌉ = 17 agents even though 14 meet 80/20.
    let capped = Targets {
        max_occupancy: Some(0.6),
        ..sl_target(0.8, 20.0)
    };
    assert_eq!(q.required_agents(&capped).expect("feasible").agents, 17);
    // An abandonment cap binds when patience is short.
    let impatient = queue(200.0, 180.0, Some(30.0));
    let abandon = Targets {
        max_abandon: Some(0.01),
        ..Targets::answer_within(20.0)
    };
    let p = impatient.required_agents(&abandon).expect("feasible");
    let below = evaluate(&impatient, p.agents - 1, 20.0);
    assert!(p.abandonment.expect("patience").p_abandon <= 0.01);
    assert!(below.abandonment.expect("patience").p_abandon > 0.01);
}

#[test]
fn no_traffic_needs_no_agents() {
    let p = queue(0.0, 180.0, None)
        .required_agents(&sl_target(0.8, 20.0))
        .expect("feasible");
    assert_eq!(p.agents, 0);
    close("service level", p.service_level, 1.0, 0.0);
}

#[test]
fn unstable_erlang_c_is_reported_not_hidden() {
    let p = evaluate(&queue(200.0, 180.0, None), 10, 20.0);
    close("p_wait", p.p_wait, 1.0, 0.0);
    close("service level", p.service_level, 0.0, 0.0);
    assert!(p.asa_s.is_infinite());
    close("occupancy", p.occupancy, 1.0, 0.0);
}

#[test]
fn shrinkage_of_thirty_percent_turns_21_agents_into_30() {
    let shrinkage: Shrinkage = "0.3".parse().expect("valid");
    assert_eq!(shrinkage.scheduled_agents(21), 30);
    assert_eq!(
        "30%"
            .parse::<Shrinkage>()
            .expect("valid")
            .scheduled_agents(21),
        30
    );
    assert_eq!(
        Shrinkage::from_basis_points(3000)
            .expect("valid")
            .scheduled_agents(21),
        30
    );
}

/// Data-driven check of the error each bad input produces: the input it names and
/// whether it is invalid, impossible or too large.
#[test]
fn invalid_inputs_are_typed_errors_naming_the_input() {
    fn search(
        arrivals: f64,
        aht: f64,
        patience: Option<f64>,
        targets: Targets,
    ) -> Result<Performance, QueueingError> {
        Queue::new(arrivals, aht, patience)?.required_agents(&targets)
    }
    fn check(result: Result<Performance, QueueingError>, input: Option<Input>, kind: &str) {
        let err = result.expect_err("input is bad");
        assert_eq!(err.input(), input, "{err}");
        let actual = match err {
            QueueingError::InvalidInput { .. } => "invalid",
            QueueingError::ImpossibleTarget { .. } => "impossible",
            QueueingError::TooManyAgents { .. } => "too many",
            QueueingError::NoTarget => "no target",
            _ => "other",
        };
        assert_eq!(actual, kind, "{err}");
        assert!(!err.to_string().is_empty());
    }
    let sl = sl_target(0.8, 20.0);
    let with = |f: fn(&mut Targets)| {
        let mut t = sl;
        f(&mut t);
        t
    };
    check(
        search(-1.0, 180.0, None, sl),
        Some(Input::ArrivalsPerH),
        "invalid",
    );
    check(
        search(f64::NAN, 180.0, None, sl),
        Some(Input::ArrivalsPerH),
        "invalid",
    );
    check(search(200.0, 0.0, None, sl), Some(Input::AhtS), "invalid");
    check(search(200.0, -5.0, None, sl), Some(Input::AhtS), "invalid");
    check(
        search(200.0, 180.0, Some(0.0), sl),
        Some(Input::PatienceS),
        "invalid",
    );
    check(
        search(200.0, 180.0, None, with(|t| t.service_level = Some(1.0))),
        Some(Input::SlTarget),
        "invalid",
    );
    check(
        search(200.0, 180.0, None, with(|t| t.service_level = Some(0.0))),
        Some(Input::SlTarget),
        "invalid",
    );
    check(
        search(200.0, 180.0, None, with(|t| t.answer_within_s = -1.0)),
        Some(Input::AnswerWithinS),
        "invalid",
    );
    check(
        search(200.0, 180.0, None, with(|t| t.asa_s = Some(0.0))),
        Some(Input::AsaTargetS),
        "impossible",
    );
    check(
        search(200.0, 180.0, None, with(|t| t.asa_s = Some(-3.0))),
        Some(Input::AsaTargetS),
        "invalid",
    );
    check(
        search(200.0, 180.0, None, with(|t| t.max_occupancy = Some(0.0))),
        Some(Input::MaxOccupancy),
        "invalid",
    );
    check(
        search(200.0, 180.0, None, with(|t| t.max_occupancy = Some(1.5))),
        Some(Input::MaxOccupancy),
        "invalid",
    );
    check(
        search(200.0, 180.0, None, with(|t| t.max_abandon = Some(0.05))),
        Some(Input::MaxAbandon),
        "invalid",
    );
    check(
        search(
            200.0,
            180.0,
            Some(60.0),
            with(|t| t.max_abandon = Some(0.0)),
        ),
        Some(Input::MaxAbandon),
        "impossible",
    );
    check(
        search(
            200.0,
            180.0,
            Some(60.0),
            with(|t| t.max_abandon = Some(1.0)),
        ),
        Some(Input::MaxAbandon),
        "invalid",
    );
    check(
        search(200.0, 180.0, None, Targets::answer_within(20.0)),
        None,
        "no target",
    );
    // An occupancy cap of 0.1 % on 10 Erlangs needs 10 000 agents.
    check(
        search(200.0, 180.0, None, with(|t| t.max_occupancy = Some(0.001))),
        Some(Input::MaxOccupancy),
        "too many",
    );
    // 2500 Erlangs cannot be served by 2000 agents without abandonment.
    check(
        search(50_000.0, 180.0, None, sl),
        Some(Input::SlTarget),
        "too many",
    );
    check(
        queue(200.0, 180.0, None).evaluate(MAX_AGENTS + 1, 20.0),
        Some(Input::Agents),
        "invalid",
    );
    check(
        queue(200.0, 180.0, None).evaluate(0, 20.0),
        Some(Input::Agents),
        "invalid",
    );
    check(
        "1.2"
            .parse::<Shrinkage>()
            .map(|_| unreachable_performance()),
        Some(Input::Shrinkage),
        "invalid",
    );
}

/// Never called: gives the shrinkage parse result the type `check` expects.
fn unreachable_performance() -> Performance {
    evaluate(&queue(0.0, 1.0, None), 0, 0.0)
}
