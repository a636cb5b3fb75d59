//! Exact Erlang A (Palm's M/M/N+M queue: Poisson arrivals, exponential handling,
//! N agents, exponentially distributed patience of waiting contacts).
//!
//! # Model
//!
//! Time is measured in mean handling times (μ = 1), so the arrival rate equals the
//! offered traffic A and the abandonment rate of a waiting contact is g = AHT/θ for a
//! mean patience θ. The number of contacts present is a birth–death process with birth
//! rate A and death rate min(n, N) + max(n − N, 0)·g. Its stationary probabilities are
//! π_n ∝ Aⁿ/n! for n ≤ N (their ratio π_N / Σ_{n≤N} π_n is Erlang B, B(N, A)) and
//! π_{N+j} = π_N · Π_{k=1..j} A/(N + k·g) above N.
//!
//! # Offered wait
//!
//! By PASTA an arrival sees the stationary distribution. Arriving to N + j busy, its
//! *offered wait* V (the wait until an agent would take it, were it infinitely patient)
//! is a sum of independent exponentials with rates N + k·g, k = j, …, 0, because every
//! service completion and every abandonment ahead moves it up one place. Mixed over j,
//! V has an atom P(V = 0) = Σ_{n<N} π_n and the density
//!
//! f_V(x) = π_N · N · exp(φ(x)),   φ(x) = A·(1 − e^(−g·x))/g − N·x,   x > 0,
//!
//! (Baccelli and Hébuterne 1981; Mandelbaum and Zeltyn, "The M/M/n+G queue: summary
//! of performance measures"). Expanding exp(A(1 − e^(−gx))/g) in powers and
//! integrating term by term gives back Σ_j π_{N+j}, so the density is the birth–death
//! tail in integral form, and summing up to (A − N)/g terms is never needed.
//!
//! A contact with offered wait x is answered if its patience τ ~ Exp(g) exceeds x, which
//! happens with probability e^(−g·x); its actual wait is min(x, τ). Hence, with
//! J = ∫₀^∞ e^φ and the delay probability P(W > 0) = B·N·J / (1 − B + B·N·J):
//!
//! * P(abandon) = P(W>0) · ∫ (1 − e^(−gx)) e^φ / J;
//! * answered within T = P(W=0) + P(W>0) · ∫₀^T e^(−gx) e^φ / J (over offered);
//! * abandoned before T = P(W>0) · ∫ (1 − e^(−g·min(x,T))) e^φ / J;
//! * mean wait of answered = P(W>0) · ∫ x e^(−gx) e^φ / J / P(answered);
//! * mean wait of all = P(W>0) · ∫ (1 − e^(−gx))/g · e^φ / J (Little: E[Q]/λ).
//!
//! # Numerics and accuracy
//!
//! φ is concave, so e^φ is unimodal with its peak at x₀ = max(0, ln(A/N)/g). The
//! integrands are evaluated as e^(φ(x) − φ(x₀)), with φ(x) − φ(x₀) rewritten as
//! −(a₀/g)·h(g·d) − (N − a₀)·d, d = x − x₀, a₀ = min(A, N), h(u) = u + e^(−u) − 1 ≥ 0
//! (a Taylor series for small |u|), which has no cancellation and no overflow even when
//! φ(x₀) is 10¹². The peak factor enters P(W>0) only through logarithms. The range is
//! cut where e^(φ − φ(x₀)) < e^(−50); by concavity the tails beyond the cuts weigh less
//! than e^(−50) (≈ 2·10⁻²²) times the length of the cut range, relative to the peak.
//! The remaining integrals use adaptive Gauss–Kronrod (7–15) with breakpoints at the
//! peak and at T, to an estimated relative error of 10⁻¹¹ per integral (the
//! Gauss–Kronrod difference, itself a large overestimate on these smooth integrands).
//! Probabilities are therefore accurate to about 10⁻¹⁰ absolute; the tests check them
//! against direct sums of the birth–death series to 10⁻⁹.

use super::quadrature::{Piece, integrate};

/// Where the integrand has fallen below e^(−CUT) of its peak, the range is cut.
const CUT: f64 = 50.0;
/// Relative tolerance of each integral (estimated error, see the module docs).
const REL_TOL: f64 = 1e-11;
/// Piece budget of the adaptive quadrature; smooth cases need a few dozen.
const MAX_PIECES: usize = 400;
/// Bound on the doubling steps that bracket the cut points (2⁻¹⁰⁷⁴ to 2¹⁰²⁴).
const MAX_DOUBLINGS: usize = 2100;

/// The exact Erlang A performance measures, times in mean handling times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Measures {
    /// P(W > 0): an arrival finds all agents busy.
    pub p_wait: f64,
    /// Share of offered contacts that abandon.
    pub p_abandon: f64,
    /// Share of offered contacts that are answered (1 − `p_abandon`, computed apart).
    pub p_answered: f64,
    /// Answered within T, over offered.
    pub service_level: f64,
    /// Answered within T, over answered.
    pub service_level_answered: f64,
    /// Answered within T, over offered minus those abandoning before T.
    pub service_level_excl_early_abandons: f64,
    /// Mean wait of answered contacts.
    pub asa: f64,
    /// Mean wait of all offered contacts, abandoning ones up to their abandonment.
    pub mean_wait_all: f64,
}

/// Computes the Erlang A measures.
///
/// `servers` ≥ 1, `traffic` > 0 (Erlangs), `erlang_b` = B(servers, traffic),
/// `abandon_ratio` = AHT / mean patience > 0, `answer_within` = T / AHT ≥ 0.
pub(crate) fn measures(
    servers: u32,
    traffic: f64,
    erlang_b: f64,
    abandon_ratio: f64,
    answer_within: f64,
) -> Measures {
    if erlang_b <= 0.0 {
        // B underflowed: the probability of meeting a busy system is below 10⁻³⁰⁰.
        return Measures {
            p_wait: 0.0,
            p_abandon: 0.0,
            p_answered: 1.0,
            service_level: 1.0,
            service_level_answered: 1.0,
            service_level_excl_early_abandons: 1.0,
            asa: 0.0,
            mean_wait_all: 0.0,
        };
    }
    let shape = Shape::new(servers, traffic, abandon_ratio);
    let integrals = shape.integrals(answer_within);
    combine(&shape, &integrals, erlang_b, answer_within)
}

/// The log-concave density shape e^(φ(x) − φ(x₀)) of the offered wait.
struct Shape {
    /// N as a float.
    servers: f64,
    /// g = AHT / mean patience.
    g: f64,
    /// min(A, N).
    a0: f64,
    /// The peak x₀ of φ.
    peak: f64,
    /// φ(x₀) ≥ 0.
    log_peak: f64,
}

/// Integrals of e^(φ − φ(x₀)) times the weights of [`Shape::weights`], split at T.
struct Integrals {
    /// Over offered waits up to T.
    before: [f64; 5],
    /// Over offered waits beyond T.
    after: [f64; 5],
}

impl Shape {
    fn new(servers: u32, traffic: f64, g: f64) -> Self {
        let n = f64::from(servers);
        if traffic > n {
            let excess = traffic / n - 1.0;
            Self {
                servers: n,
                g,
                a0: n,
                peak: excess.ln_1p() / g,
                // φ(x₀) = N·(r − 1 − ln r)/g with r = A/N.
                log_peak: n * (excess - excess.ln_1p()) / g,
            }
        } else {
            Self {
                servers: n,
                g,
                a0: traffic,
                peak: 0.0,
                log_peak: 0.0,
            }
        }
    }

    /// φ(x₀ + d) − φ(x₀), which is ≤ 0.
    fn log_density(&self, d: f64) -> f64 {
        -(self.a0 / self.g) * h(self.g * d) - (self.servers - self.a0) * d
    }

    /// The integrand vector at x₀ + d: density × [1, e^(−gx), 1 − e^(−gx),
    /// x·e^(−gx), (1 − e^(−gx))/g].
    fn weights(&self, d: f64) -> [f64; 5] {
        let x = self.peak + d;
        let density = self.log_density(d).exp();
        let gone = -(-self.g * x).exp_m1();
        let stay = 1.0 - gone;
        [
            density,
            density * stay,
            density * gone,
            density * x * stay,
            density * gone / self.g,
        ]
    }

    /// The offset d > 0 right of the peak where the density has fallen below e^(−CUT).
    fn right_cut(&self) -> f64 {
        // |φ'| ≤ N right of the peak, so the density is still above e^(−CUT) at CUT/N:
        // doubling from there brackets the cut within a factor of two.
        let mut d = CUT / self.servers;
        for _ in 0..MAX_DOUBLINGS {
            if self.log_density(d) <= -CUT {
                break;
            }
            d *= 2.0;
        }
        d
    }

    /// The offset d ≤ 0 left of the peak where the density falls below e^(−CUT), or
    /// −x₀ (the offered wait 0) when it does not fall that far.
    fn left_cut(&self) -> f64 {
        if self.peak <= 0.0 || self.log_density(-self.peak) > -CUT {
            return -self.peak;
        }
        // Left of the peak φ' ≤ A − N, so the density is above e^(−CUT) at CUT/(A − N).
        let slope = self.a0 * (self.g * self.peak).exp_m1();
        let mut d = (CUT / slope).min(self.peak);
        for _ in 0..MAX_DOUBLINGS {
            if d >= self.peak || self.log_density(-d) <= -CUT {
                break;
            }
            d *= 2.0;
        }
        -d.min(self.peak)
    }

    /// Integrates the weights over the cut range, split at the peak and at T.
    fn integrals(&self, answer_within: f64) -> Integrals {
        let left = self.left_cut();
        let right = self.right_cut();
        let split = answer_within - self.peak;
        let mut breakpoints = vec![left];
        if left < 0.0 {
            breakpoints.push(0.0);
        }
        if split > left && split < right {
            breakpoints.push(split);
        }
        breakpoints.push(right);
        // A split at the peak duplicates the breakpoint 0; the quadrature skips the
        // resulting empty interval.
        breakpoints.sort_by(f64::total_cmp);
        let pieces = integrate(|d| self.weights(d), &breakpoints, REL_TOL, MAX_PIECES);
        let mut sums = Integrals {
            before: [0.0; 5],
            after: [0.0; 5],
        };
        for piece in &pieces {
            let side = if piece_before(piece, split) {
                &mut sums.before
            } else {
                &mut sums.after
            };
            for (sum, value) in side.iter_mut().zip(piece.value) {
                *sum += value;
            }
        }
        sums
    }
}

/// Whether a piece lies at offered waits up to T (pieces never straddle T).
fn piece_before(piece: &Piece<5>, split: f64) -> bool {
    piece.end <= split
}

/// Turns the integrals into the performance measures.
fn combine(shape: &Shape, integrals: &Integrals, erlang_b: f64, answer_within: f64) -> Measures {
    let total: [f64; 5] = std::array::from_fn(|c| integrals.before[c] + integrals.after[c]);
    let j = total[0];
    // ln((1 − B) / (B·N·J)) with J carrying the factor e^(φ(x₀)) in log form.
    let log_odds_no_wait =
        (-erlang_b).ln_1p() - erlang_b.ln() - shape.servers.ln() - shape.log_peak - j.ln();
    let (p_wait, p_no_wait) = logistic_pair(log_odds_no_wait);
    let answered_given_wait = total[1] / j;
    let p_abandon = p_wait * (total[2] / j);
    let p_answered = p_no_wait + p_wait * answered_given_wait;
    let service_level = p_no_wait + p_wait * (integrals.before[1] / j);
    let gone_by_t = -(-shape.g * answer_within).exp_m1();
    let early = p_wait * (integrals.before[2] + gone_by_t * integrals.after[0]) / j;
    let asa = p_wait * (total[3] / j) / p_answered;
    Measures {
        p_wait,
        p_abandon: p_abandon.clamp(0.0, 1.0),
        p_answered: p_answered.clamp(0.0, 1.0),
        service_level: service_level.clamp(0.0, 1.0),
        service_level_answered: (service_level / p_answered).clamp(0.0, 1.0),
        service_level_excl_early_abandons: (service_level / (1.0 - early)).clamp(0.0, 1.0),
        asa: asa.max(0.0),
        mean_wait_all: (p_wait * total[4] / j).max(0.0),
    }
}

/// Given ln(q/p) for complementary probabilities p + q = 1, returns (p, q) without
/// cancellation or overflow.
fn logistic_pair(log_odds: f64) -> (f64, f64) {
    if log_odds > 0.0 {
        let e = (-log_odds).exp();
        (e / (1.0 + e), 1.0 / (1.0 + e))
    } else {
        let e = log_odds.exp();
        (1.0 / (1.0 + e), e / (1.0 + e))
    }
}

/// h(u) = u + e^(−u) − 1 ≥ 0, by its Taylor series Σ_{k≥2} (−u)ᵏ/k! when |u| is small
/// (where the direct form cancels) and directly otherwise.
fn h(u: f64) -> f64 {
    if u.abs() < 0.1 {
        // Terms up to (−u)¹⁰/10!; the first omitted one is below 10⁻¹⁸ of the sum.
        let v = -u;
        let mut series = 1.0 / 3_628_800.0;
        for factorial in [362_880.0, 40_320.0, 5_040.0, 720.0, 120.0, 24.0, 6.0, 2.0] {
            series = 1.0 / factorial + v * series;
        }
        v * v * series
    } else {
        u + (-u).exp_m1()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Σ_{k=2..20} (−u)ᵏ/k!, a longer series than `h` uses.
    fn long_series(u: f64) -> f64 {
        let mut term = 1.0;
        let mut sum = 0.0;
        for k in 1..=20 {
            term *= -u / f64::from(k);
            if k >= 2 {
                sum += term;
            }
        }
        sum
    }

    #[test]
    fn h_is_accurate_on_both_sides_of_the_switch() {
        for u in [
            -0.099_999, -1e-3, -1e-7, 1e-7, 1e-3, 0.099_999, -0.1, 0.1, 0.5, -0.5,
        ] {
            let expected = long_series(u);
            let relative = (h(u) - expected).abs() / expected;
            assert!(
                relative < 1e-13,
                "u = {u}: h = {}, series = {expected}",
                h(u)
            );
        }
        assert!(h(0.0).abs() < f64::MIN_POSITIVE);
    }

    #[test]
    fn logistic_pair_sums_to_one() {
        for x in [-800.0, -3.0, 0.0, 2.5, 800.0] {
            let (p, q) = logistic_pair(x);
            assert!((p + q - 1.0).abs() < 1e-15);
            assert!(p.is_finite() && q.is_finite());
        }
    }
}
