//! Erlang B and Erlang C: the blocking probability of M/M/N/N and the waiting
//! probability of M/M/N, computed with the stable recursion on the number of servers.

use super::error::{Domain, Input, QueueingError};

/// Erlang B: the probability that a contact offered `traffic_erlangs` of traffic finds
/// all `servers` busy when there is no queue (M/M/N/N).
///
/// Computed with the recursion B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)), whose terms
/// stay in [0, 1], so it neither overflows nor loses precision for thousands of
/// servers, unlike the textbook ratio of Aᴺ/N! to a sum of powers.
///
/// # Errors
///
/// [`QueueingError::InvalidInput`] when the traffic is negative or not finite.
pub fn erlang_b(servers: u32, traffic_erlangs: f64) -> Result<f64, QueueingError> {
    check_traffic(traffic_erlangs)?;
    Ok(erlang_b_unchecked(servers, traffic_erlangs))
}

/// Erlang C: the probability that a contact has to wait in an M/M/N queue.
///
/// Derived from Erlang B as C = N·B / (N − A·(1 − B)) for A < N. When A ≥ N the queue
/// is unstable (it grows without bound) and every contact waits, so C = 1.
///
/// # Errors
///
/// [`QueueingError::InvalidInput`] when the traffic is negative or not finite.
pub fn erlang_c(servers: u32, traffic_erlangs: f64) -> Result<f64, QueueingError> {
    check_traffic(traffic_erlangs)?;
    let b = erlang_b_unchecked(servers, traffic_erlangs);
    Ok(erlang_c_from_b(servers, traffic_erlangs, b))
}

/// Rejects traffic that is negative, NaN or infinite.
pub(crate) fn check_traffic(traffic_erlangs: f64) -> Result<(), QueueingError> {
    if traffic_erlangs.is_finite() && traffic_erlangs >= 0.0 {
        Ok(())
    } else {
        Err(QueueingError::invalid(
            Input::TrafficErlangs,
            Domain::FiniteNonNegative,
            traffic_erlangs,
        ))
    }
}

/// One step of the Erlang B recursion: B(n) from B(n−1).
///
/// The staffing search walks n upwards and calls this once per step, so the whole
/// search costs one recursion instead of one per candidate.
pub(crate) fn erlang_b_step(previous: f64, servers: u32, traffic_erlangs: f64) -> f64 {
    let carried = traffic_erlangs * previous;
    carried / (f64::from(servers) + carried)
}

/// Erlang B for validated traffic.
pub(crate) fn erlang_b_unchecked(servers: u32, traffic_erlangs: f64) -> f64 {
    (1..=servers).fold(1.0, |b, n| erlang_b_step(b, n, traffic_erlangs))
}

/// Erlang C from the Erlang B value of the same servers and traffic.
pub(crate) fn erlang_c_from_b(servers: u32, traffic_erlangs: f64, erlang_b: f64) -> f64 {
    let n = f64::from(servers);
    if traffic_erlangs >= n {
        return 1.0;
    }
    // The denominator is at least N − A > 0 because B ≥ 0, so the ratio is finite; the
    // clamp only removes rounding past 1 when A is within an ulp of N.
    (n * erlang_b / (n - traffic_erlangs * (1.0 - erlang_b))).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recursion_matches_the_closed_form_for_small_cases() {
        // B(2, 1) = (1/2) / (1 + 1 + 1/2) = 0.2 by the textbook formula A^N/N! / Σ A^k/k!.
        let b = erlang_b(2, 1.0).expect("valid traffic");
        assert!((b - 0.2).abs() < 1e-15, "B(2,1) = {b}");
        // C(2, 1) = 2·0.2 / (2 − 1·0.8) = 1/3.
        let c = erlang_c(2, 1.0).expect("valid traffic");
        assert!((c - 1.0 / 3.0).abs() < 1e-15, "C(2,1) = {c}");
    }

    #[test]
    fn no_servers_block_everything() {
        assert!((erlang_b(0, 3.0).expect("valid traffic") - 1.0).abs() < f64::EPSILON);
        assert!((erlang_c(0, 3.0).expect("valid traffic") - 1.0).abs() < f64::EPSILON);
    }

    #[test]
    fn rejects_bad_traffic() {
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let err = erlang_b(3, bad).expect_err("traffic is invalid");
            assert_eq!(err.input(), Some(Input::TrafficErlangs));
        }
    }
}
