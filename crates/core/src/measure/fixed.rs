//! Fixed-point quantisation of measured values, so that sums merge exactly.
//!
//! Floating-point addition is not associative: summing the same values per site and then
//! per region can give a different last digit than summing them in another order, and a
//! frozen evaluation would then not reproduce. Each value is therefore rounded to a
//! whole number of thousandths of its unit before it is summed, and sums are integers.

use super::MeasureError;

/// Fixed-point steps per unit: values are kept in thousandths ("milli").
pub const SCALE: i64 = 1000;

/// Largest magnitude a value may have.
///
/// At this bound a value is 10¹³ thousandths and its square 10²⁶ millionths, so an
/// `i128` sum of squares cannot overflow before about 1.7 × 10¹² rows. In seconds the
/// bound is over 300 years, in yuan ten billion, so real records never reach it.
pub const MAX_ABS_VALUE: f64 = 1e10;

/// Quantises a value to thousandths, rounding half away from zero.
///
/// The rounding applies to the `f64` product `value × 1000` (as `f64::round` does),
/// which is what a query engine computes with `round(value * 1000)`; the engine must
/// quantise each row the same way so that its sums match the ones built here.
///
/// # Errors
/// [`MeasureError::NotFinite`] for NaN or infinities and [`MeasureError::TooLarge`]
/// beyond [`MAX_ABS_VALUE`].
pub fn to_milli(value: f64) -> Result<i64, MeasureError> {
    to_milli_named(value, "value")
}

/// Converts a fixed-point sum back to units.
#[must_use]
pub fn from_milli(milli: i128) -> f64 {
    // The division is done in f64 because indicator values are reported as f64 anyway;
    // the exactness that matters is that of the integer sums, not of this last step.
    milli as f64 / 1000.0
}

/// Like [`to_milli`], naming the input in the error so callers can tell fields apart.
pub(crate) fn to_milli_named(value: f64, what: &'static str) -> Result<i64, MeasureError> {
    if !value.is_finite() {
        return Err(MeasureError::NotFinite { what, value });
    }
    if value.abs() > MAX_ABS_VALUE {
        return Err(MeasureError::TooLarge {
            what,
            value,
            max: MAX_ABS_VALUE,
        });
    }
    let scaled = (value * 1000.0).round();
    #[allow(
        clippy::cast_possible_truncation,
        reason = "the value is finite and at most 1e13 in magnitude after scaling, well inside i64"
    )]
    let milli = scaled as i64;
    Ok(milli)
}
