//! Globally adaptive Gauss–Kronrod (7–15) quadrature of vector-valued integrands over
//! finite intervals, used by the exact Erlang A computation.
//!
//! Each piece is integrated with the 15-point Kronrod rule; the difference to the
//! embedded 7-point Gauss rule is the error estimate. The piece with the largest
//! relative error is halved until every component meets the relative tolerance or the
//! piece budget is spent. The Gauss–Kronrod difference overestimates the true error of
//! the Kronrod result by orders of magnitude on smooth integrands, so the tolerance is
//! a conservative bound.

/// Abscissae of the 15-point Kronrod rule on [−1, 1], non-negative half, largest first;
/// the odd-indexed ones (and 0) are the 7-point Gauss nodes. Standard published values
/// (Piessens et al., QUADPACK, 1983); the tests check the exactness of both rules.
#[allow(
    clippy::excessive_precision,
    reason = "published digits kept verbatim so they can be compared with the source"
)]
const NODES: [f64; 8] = [
    0.991_455_371_120_812_639_206_854_697_526_329,
    0.949_107_912_342_758_524_526_189_684_047_851,
    0.864_864_423_359_769_072_789_712_788_640_926,
    0.741_531_185_599_394_439_863_864_773_280_788,
    0.586_087_235_467_691_130_294_144_845_693_013,
    0.405_845_151_377_397_166_906_606_412_076_961,
    0.207_784_955_007_898_467_600_689_403_773_245,
    0.0,
];

/// Weights of the 15-point Kronrod rule, matching [`NODES`].
#[allow(
    clippy::excessive_precision,
    reason = "published digits kept verbatim so they can be compared with the source"
)]
const KRONROD_WEIGHTS: [f64; 8] = [
    0.022_935_322_010_529_224_963_732_008_058_970,
    0.063_092_092_629_978_553_290_700_663_189_204,
    0.104_790_010_322_250_183_839_876_322_541_518,
    0.140_653_259_715_525_918_745_189_590_510_238,
    0.169_004_726_639_267_902_826_583_426_598_550,
    0.190_350_578_064_785_409_913_256_402_421_014,
    0.204_432_940_075_298_892_414_161_999_234_649,
    0.209_482_141_084_727_828_012_999_174_891_714,
];

/// Weights of the 7-point Gauss rule for the nodes `NODES[1]`, `NODES[3]`, `NODES[5]`
/// and `NODES[7]` (= 0).
#[allow(
    clippy::excessive_precision,
    reason = "published digits kept verbatim so they can be compared with the source"
)]
const GAUSS_WEIGHTS: [f64; 4] = [
    0.129_484_966_168_869_693_270_611_432_679_082,
    0.279_705_391_489_276_667_901_467_771_423_780,
    0.381_830_050_505_118_944_950_369_775_488_975,
    0.417_959_183_673_469_387_755_102_040_816_327,
];

/// One piece of the integration range with its Kronrod estimate and error bound.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece<const K: usize> {
    /// Left end.
    pub start: f64,
    /// Right end.
    pub end: f64,
    /// Kronrod estimate of the integral of each component over the piece.
    pub value: [f64; K],
    /// Estimated absolute error of each component.
    pub error: [f64; K],
}

/// Integrates `f` over the consecutive intervals between sorted `breakpoints`.
///
/// Returns the final pieces (so that callers can sum sub-ranges that end at a
/// breakpoint) once, for every component, the summed error estimate is at most
/// `rel_tol` times the absolute total, or `max_pieces` pieces exist.
pub(crate) fn integrate<const K: usize>(
    f: impl Fn(f64) -> [f64; K],
    breakpoints: &[f64],
    rel_tol: f64,
    max_pieces: usize,
) -> Vec<Piece<K>> {
    let mut pieces: Vec<Piece<K>> = breakpoints
        .windows(2)
        .filter(|w| w[1] > w[0])
        .map(|w| kronrod(&f, w[0], w[1]))
        .collect();
    while pieces.len() < max_pieces {
        let (total, error) = totals(&pieces);
        let converged = (0..K).all(|c| error[c] <= rel_tol * total[c].abs());
        if converged {
            break;
        }
        let Some(worst) = worst_piece(&pieces, &total) else {
            break;
        };
        let piece = pieces.swap_remove(worst);
        let middle = 0.5 * (piece.start + piece.end);
        // A piece too narrow to split in floating point cannot improve further.
        if middle <= piece.start || middle >= piece.end {
            pieces.push(piece);
            break;
        }
        pieces.push(kronrod(&f, piece.start, middle));
        pieces.push(kronrod(&f, middle, piece.end));
    }
    pieces
}

/// Sums values and error estimates over all pieces.
fn totals<const K: usize>(pieces: &[Piece<K>]) -> ([f64; K], [f64; K]) {
    let mut total = [0.0; K];
    let mut error = [0.0; K];
    for piece in pieces {
        for c in 0..K {
            total[c] += piece.value[c];
            error[c] += piece.error[c];
        }
    }
    (total, error)
}

/// The index of the piece whose error, relative to the component totals, is largest.
fn worst_piece<const K: usize>(pieces: &[Piece<K>], total: &[f64; K]) -> Option<usize> {
    let relative = |piece: &Piece<K>| {
        (0..K)
            .map(|c| piece.error[c] / total[c].abs().max(f64::MIN_POSITIVE))
            .fold(0.0_f64, f64::max)
    };
    pieces
        .iter()
        .enumerate()
        .map(|(i, p)| (i, relative(p)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// Applies the 15-point Kronrod and embedded 7-point Gauss rules to one interval.
fn kronrod<const K: usize>(f: &impl Fn(f64) -> [f64; K], start: f64, end: f64) -> Piece<K> {
    let centre = 0.5 * (start + end);
    let half = 0.5 * (end - start);
    let mut kron = [0.0; K];
    let mut gauss = [0.0; K];
    let mid = f(centre);
    for c in 0..K {
        kron[c] = KRONROD_WEIGHTS[7] * mid[c];
        gauss[c] = GAUSS_WEIGHTS[3] * mid[c];
    }
    for (j, &node) in NODES.iter().enumerate().take(7) {
        let left = f(centre - half * node);
        let right = f(centre + half * node);
        for c in 0..K {
            let pair = left[c] + right[c];
            kron[c] += KRONROD_WEIGHTS[j] * pair;
            if j % 2 == 1 {
                gauss[c] += GAUSS_WEIGHTS[j / 2] * pair;
            }
        }
    }
    let mut value = [0.0; K];
    let mut error = [0.0; K];
    for c in 0..K {
        value[c] = kron[c] * half;
        error[c] = ((kron[c] - gauss[c]) * half).abs();
    }
    Piece {
        start,
        end,
        value,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ∫₋₁¹ xᵏ dx, which is 0 for odd k and 2/(k+1) for even k.
    fn monomial_integral(k: i32) -> f64 {
        if k % 2 == 1 {
            0.0
        } else {
            2.0 / f64::from(k + 1)
        }
    }

    #[test]
    fn kronrod_is_exact_to_degree_22_and_gauss_to_degree_13() {
        // A mistyped node or weight breaks exactness for some degree, so this checks
        // the constants: the Kronrod rule integrates polynomials up to degree 3·7+1 = 22
        // exactly, the Gauss rule up to 2·7−1 = 13 (its error then is the K−G gap).
        for k in 0..=22 {
            let piece = kronrod(&|x: f64| [x.powi(k)], -1.0, 1.0);
            let exact = monomial_integral(k);
            assert!(
                (piece.value[0] - exact).abs() < 1e-14,
                "Kronrod degree {k}: {} vs {exact}",
                piece.value[0]
            );
            if k <= 13 {
                assert!(
                    piece.error[0] < 1e-14,
                    "Gauss degree {k}: gap {}",
                    piece.error[0]
                );
            }
        }
    }

    #[test]
    fn adaptive_integration_of_a_peaked_function() {
        // ∫₀¹⁰⁰ e^(−x) dx = 1 − e^(−100); the mass sits in a small part of the range, so
        // this needs several subdivisions near 0.
        let pieces = integrate(
            |x: f64| [(-x).exp(), x * (-x).exp()],
            &[0.0, 100.0],
            1e-12,
            500,
        );
        let (total, _) = totals(&pieces);
        assert!(
            (total[0] - (1.0 - (-100.0_f64).exp())).abs() < 1e-13,
            "{}",
            total[0]
        );
        // ∫₀¹⁰⁰ x e^(−x) dx = 1 − 101 e^(−100).
        assert!((total[1] - 1.0).abs() < 1e-13, "{}", total[1]);
    }
}
