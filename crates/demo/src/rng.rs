//! A small deterministic pseudo-random generator and the sampling helpers the simulation needs.
//!
//! The demo must produce byte-identical files for the same seed on every platform and every
//! release, so it carries its own generator (xoshiro256**, seeded through SplitMix64) instead
//! of depending on a crate whose algorithms may change between versions. Every site draws from
//! its own stream, so adding a site or changing one site's model leaves the others untouched.

/// xoshiro256** state.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

/// One step of SplitMix64, used to expand a seed into a full generator state.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for one independent stream of a seed (streams are decorrelated by
    /// mixing the stream number through SplitMix64 before seeding).
    pub(crate) fn stream(seed: u64, stream: u64) -> Rng {
        let mut mix = seed ^ splitmix64(&mut stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        let s = [
            splitmix64(&mut mix),
            splitmix64(&mut mix),
            splitmix64(&mut mix),
            splitmix64(&mut mix),
        ];
        Rng { s }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    pub(crate) fn f64(&mut self) -> f64 {
        // 2^-53: the top 53 bits become the mantissa of an exactly representable value.
        const SCALE: f64 = 1.0 / 9_007_199_254_740_992.0;
        let bits = self.next_u64() >> 11;
        #[allow(
            clippy::cast_precision_loss,
            reason = "53 significant bits are exact in an f64"
        )]
        let v = bits as f64;
        v * SCALE
    }

    /// Uniform in [lo, hi).
    pub(crate) fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    /// Uniform integer in [0, n); 0 when n is 0. The modulo bias is below 2^-40 for the
    /// small ranges used here, far under anything a demo could show.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Uniform integer in [lo, hi] (inclusive).
    pub(crate) fn range_i64(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = hi.abs_diff(lo) + 1;
        lo.saturating_add_unsigned(self.below(span))
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Exponential with the given mean.
    pub(crate) fn exponential(&mut self, mean: f64) -> f64 {
        // 1 - u is in (0, 1], so the logarithm is finite.
        -mean * (1.0 - self.f64()).ln()
    }

    /// Standard normal by Box–Muller (one of the pair is discarded to keep the state simple).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.f64();
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Lognormal with the given mean and log-scale standard deviation `sigma`, so that
    /// service times can be specified by their mean as operators quote them.
    pub(crate) fn lognormal_mean(&mut self, mean: f64, sigma: f64) -> f64 {
        let mu = mean.ln() - sigma * sigma / 2.0;
        (mu + sigma * self.normal()).exp()
    }

    /// Poisson with mean `lambda`, exact: Knuth's product method applied to chunks of at
    /// most 30 so that `exp(-lambda)` never underflows.
    pub(crate) fn poisson(&mut self, lambda: f64) -> u32 {
        let mut remaining = lambda.max(0.0);
        let mut count = 0u32;
        // Each chunk consumes at most 30 of the mean; the bound keeps the loop finite even
        // for absurd inputs.
        for _ in 0..100_000 {
            if remaining <= 0.0 {
                break;
            }
            let chunk = remaining.min(30.0);
            remaining -= chunk;
            let limit = (-chunk).exp();
            let mut product = self.f64();
            while product > limit {
                count += 1;
                product *= self.f64();
            }
        }
        count
    }

    /// Index drawn with probability proportional to `weights` (0 when all are zero).
    pub(crate) fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// An opaque key: a prefix and 12 hex digits (48 random bits, so collisions among the
    /// demo's few million keys are vanishingly rare).
    pub(crate) fn key(&mut self, prefix: &str) -> String {
        format!("{prefix}{:012x}", self.next_u64() >> 16)
    }
}

/// Rounds a real number to the nearest whole number of seconds (or units), saturating at
/// the `i64` range; non-finite values become 0.
pub(crate) fn round_i64(x: f64) -> i64 {
    if !x.is_finite() {
        return 0;
    }
    let r = x.round().clamp(-9.0e18, 9.0e18);
    #[allow(
        clippy::cast_possible_truncation,
        reason = "clamped to the i64 range and rounded just above"
    )]
    let v = r as i64;
    v
}

/// Rounds a non-negative real number up to a count, saturating at `u32::MAX`.
pub(crate) fn ceil_u32(x: f64) -> u32 {
    u32::try_from(round_i64(x.ceil()).max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::stream(7, 1).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut s1 = Rng::stream(7, 1);
        let mut s2 = Rng::stream(7, 2);
        assert_ne!(s1.next_u64(), s2.next_u64());
    }

    #[test]
    fn sample_means_are_close_to_their_parameters() {
        let mut rng = Rng::stream(42, 0);
        let n = 20_000;
        let mean = |f: &mut dyn FnMut() -> f64| (0..n).map(|_| f()).sum::<f64>() / f64::from(n);
        let e = mean(&mut || rng.exponential(90.0));
        assert!((e - 90.0).abs() < 3.0, "exponential mean {e}");
        let l = mean(&mut || rng.lognormal_mean(240.0, 0.5));
        assert!((l - 240.0).abs() < 6.0, "lognormal mean {l}");
        let p = mean(&mut || f64::from(rng.poisson(75.0)));
        assert!((p - 75.0).abs() < 0.5, "poisson mean {p}");
        let q = mean(&mut || f64::from(rng.poisson(2.5)));
        assert!((q - 2.5).abs() < 0.08, "poisson mean {q}");
    }

    #[test]
    fn rounding_helpers_saturate() {
        assert_eq!(round_i64(f64::NAN), 0);
        assert_eq!(round_i64(2.5), 3);
        assert_eq!(ceil_u32(-3.0), 0);
        assert_eq!(ceil_u32(2.1), 3);
    }
}
