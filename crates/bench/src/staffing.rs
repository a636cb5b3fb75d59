//! The staffing benchmark: many varied staffing problems (arrivals, handling times,
//! targets; half with a patience, so solved with Erlang A) through
//! `Queue::required_agents`.

use std::time::Instant;

use anyhow::Result;
use yardstick_core::queueing::{Queue, Targets};

use crate::synth::Rng;

/// Results of the staffing run.
#[derive(Debug, Clone, Copy, Default)]
pub struct StaffingRun {
    /// Problems posed.
    pub problems: u64,
    /// Problems with a patience (Erlang A).
    pub with_patience: u64,
    /// Problems solved (the others returned an error such as too many agents needed).
    pub solved: u64,
    /// Wall-clock seconds of all searches.
    pub total_s: f64,
    /// Seconds spent in the Erlang C half.
    pub erlang_c_s: f64,
    /// Seconds spent in the Erlang A half.
    pub erlang_a_s: f64,
    /// Sum of the agents found (a checksum that keeps the work observable).
    pub agents_sum: u64,
}

/// A deterministic problem set of `n` problems; odd ones have a patience.
fn problems(n: u64, seed: u64) -> Result<Vec<(Queue, Targets)>> {
    let mut rng = Rng::new(seed ^ 0x5747);
    let mut out = Vec::new();
    for i in 0..n {
        // Arrivals from 5 to 3000 an hour on a log scale: small halls to big call centres.
        let arrivals_per_h = 5.0 * 600f64.powf(rng.f64());
        let aht_s = 60.0 + 840.0 * rng.f64();
        let patience_s = (i % 2 == 1).then(|| 30.0 + 570.0 * rng.f64());
        let answer_within_s =
            [10.0, 15.0, 20.0, 30.0, 60.0][usize::try_from(rng.below(5)).unwrap_or(0)];
        let mut targets = Targets::answer_within(answer_within_s);
        targets.service_level = Some(0.7 + 0.25 * rng.f64());
        if rng.chance(0.3) {
            targets.asa_s = Some(10.0 + 50.0 * rng.f64());
        }
        if rng.chance(0.3) {
            targets.max_occupancy = Some(0.8 + 0.15 * rng.f64());
        }
        if patience_s.is_some() && rng.chance(0.5) {
            targets.max_abandon = Some(0.02 + 0.08 * rng.f64());
        }
        out.push((Queue::new(arrivals_per_h, aht_s, patience_s)?, targets));
    }
    Ok(out)
}

/// Solves `n` problems and times them.
///
/// # Errors
/// When the problem set cannot be built (it always can: inputs are in range).
pub fn run(n: u64, seed: u64) -> Result<StaffingRun> {
    let set = problems(n, seed)?;
    let mut out = StaffingRun {
        problems: n,
        ..StaffingRun::default()
    };
    let started = Instant::now();
    for (queue, targets) in &set {
        let one = Instant::now();
        let result = queue.required_agents(targets);
        let took = one.elapsed().as_secs_f64();
        if queue.patience_s().is_some() {
            out.with_patience += 1;
            out.erlang_a_s += took;
        } else {
            out.erlang_c_s += took;
        }
        if let Ok(p) = result {
            out.solved += 1;
            out.agents_sum += u64::from(p.agents);
        }
    }
    out.total_s = started.elapsed().as_secs_f64();
    Ok(out)
}
