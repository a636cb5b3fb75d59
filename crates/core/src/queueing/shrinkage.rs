//! Shrinkage (the share of paid time not spent handling contacts) as an exact rational
//! number, so that scheduled staff = ⌈agents / (1 − shrinkage)⌉ has no floating-point
//! artefacts: 21 agents at 30 % shrinkage need 30 scheduled, not 31.
//!
//! In floating point 21 / (1 − 0.3) is 30.000000000000004, whose ceiling is 31; and
//! `1 − 0.3` is not 0.7 either. Parsing the decimal text into numerator and
//! denominator and dividing integers avoids both.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use super::error::{Domain, Input, QueueingError};

/// Largest number of decimal places accepted; 10⁻⁹ is far below any planning need and
/// keeps every product within 128-bit integers.
const MAX_DECIMALS: usize = 9;
/// Largest number of integer digits accepted (only "0" or a percentage below 100 can
/// be valid, but a clear message beats an overflow for "00000000000000000000.1").
const MAX_INTEGER_DIGITS: usize = 3;
/// What a valid shrinkage looks like, for error messages.
const EXPECTED: Domain = Domain::Shrinkage;

/// A shrinkage in [0, 1), held as a reduced fraction `numerator / denominator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shrinkage {
    numerator: u64,
    denominator: u64,
}

/// A shrinkage is reported as its value, a float such as 0.3; the exact fraction
/// stays inside for scheduling.
impl Serialize for Shrinkage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_f64())
    }
}

impl Shrinkage {
    /// No shrinkage: scheduled staff equals agents.
    pub const NONE: Self = Self {
        numerator: 0,
        denominator: 1,
    };

    /// Shrinkage `numerator / denominator`.
    ///
    /// # Errors
    ///
    /// [`QueueingError::InvalidInput`] unless 0 ≤ numerator < denominator.
    pub fn from_ratio(numerator: u64, denominator: u64) -> Result<Self, QueueingError> {
        if denominator == 0 || numerator >= denominator {
            return Err(QueueingError::InvalidInput {
                input: Input::Shrinkage,
                expected: EXPECTED,
                value: format!("{numerator}/{denominator}"),
            });
        }
        let divisor = gcd(numerator, denominator);
        Ok(Self {
            numerator: numerator / divisor,
            denominator: denominator / divisor,
        })
    }

    /// Shrinkage in basis points (1/100 of a percent): 3000 is 30 %.
    ///
    /// # Errors
    ///
    /// [`QueueingError::InvalidInput`] unless the basis points are below 10 000.
    pub fn from_basis_points(basis_points: u32) -> Result<Self, QueueingError> {
        Self::from_ratio(u64::from(basis_points), 10_000)
    }

    /// The numerator of the reduced fraction.
    #[must_use]
    pub const fn numerator(self) -> u64 {
        self.numerator
    }

    /// The denominator of the reduced fraction (at least 1).
    #[must_use]
    pub const fn denominator(self) -> u64 {
        self.denominator
    }

    /// The shrinkage as a float, for display only; never used to schedule.
    #[must_use]
    #[allow(
        clippy::cast_precision_loss,
        reason = "display value; the exact fraction is kept for arithmetic"
    )]
    pub fn as_f64(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }

    /// Staff to schedule so that `agents` are available: ⌈agents / (1 − shrinkage)⌉,
    /// computed exactly as ⌈agents · d / (d − n)⌉ in integers (saturating at
    /// `u64::MAX`, far beyond any real staffing).
    #[must_use]
    pub fn scheduled_agents(self, agents: u32) -> u64 {
        let available = u128::from(self.denominator - self.numerator);
        let wanted = u128::from(agents) * u128::from(self.denominator);
        u64::try_from(wanted.div_ceil(available)).unwrap_or(u64::MAX)
    }
}

impl Default for Shrinkage {
    fn default() -> Self {
        Self::NONE
    }
}

impl FromStr for Shrinkage {
    type Err = QueueingError;

    /// Parses "0.3", ".3", "0", "30%" or "12.5 %" exactly; exponents, signs and values
    /// of 1 or more are rejected.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || QueueingError::InvalidInput {
            input: Input::Shrinkage,
            expected: EXPECTED,
            value: format!("{text:?}"),
        };
        let trimmed = text.trim();
        let (number, percent) = match trimmed.strip_suffix('%') {
            Some(rest) => (rest.trim_end(), true),
            None => (trimmed, false),
        };
        let (integer, decimals) = number.split_once('.').unwrap_or((number, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if integer.is_empty() && decimals.is_empty()
            || !all_digits(integer)
            || !all_digits(decimals)
            || integer.len() > MAX_INTEGER_DIGITS
            || decimals.len() > MAX_DECIMALS
        {
            return Err(invalid());
        }
        // Both parts are short digit strings, so the parses and products cannot fail
        // or overflow; the fallbacks only keep the code free of panics.
        let parse = |s: &str| {
            if s.is_empty() {
                Ok(0)
            } else {
                s.parse::<u64>()
            }
        };
        let integer = parse(integer).map_err(|_| invalid())?;
        let fraction = parse(decimals).map_err(|_| invalid())?;
        let scale = 10_u64.pow(u32::try_from(decimals.len()).map_err(|_| invalid())?);
        let numerator = integer * scale + fraction;
        let denominator = if percent { scale * 100 } else { scale };
        Self::from_ratio(numerator, denominator).map_err(|_| invalid())
    }
}

impl fmt::Display for Shrinkage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_f64())
    }
}

/// Greatest common divisor by Euclid's algorithm (gcd(0, d) = d).
const fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let r = a % b;
        a = b;
        b = r;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Shrinkage {
        text.parse().expect("valid shrinkage")
    }

    #[test]
    fn parses_decimal_text_exactly() {
        assert_eq!(
            (parse("0.3").numerator(), parse("0.3").denominator()),
            (3, 10)
        );
        assert_eq!(parse(".30"), parse("0.3"));
        assert_eq!(parse("30%"), parse("0.3"));
        assert_eq!(
            parse(" 12.5 % "),
            Shrinkage::from_ratio(1, 8).expect("valid")
        );
        assert_eq!(parse("0"), Shrinkage::NONE);
        assert_eq!(
            Shrinkage::from_basis_points(3000).expect("valid"),
            parse("0.3")
        );
    }

    #[test]
    fn rejects_values_outside_the_unit_interval_and_odd_spellings() {
        for bad in [
            "1", "1.0", "100%", "-0.1", "0.3.1", "3e-1", "", ".", "%", "abc", "0,3",
        ] {
            let err = bad.parse::<Shrinkage>().expect_err(bad);
            assert_eq!(err.input(), Some(Input::Shrinkage), "{bad}");
        }
        assert!("0.1234567891".parse::<Shrinkage>().is_err());
    }

    #[test]
    fn schedules_without_float_artefacts() {
        // 21 / 0.7 = 30 exactly; the float version gives 30.000000000000004 → 31.
        assert_eq!(parse("0.3").scheduled_agents(21), 30);
        // 14 / 0.7 = 20 (the pyworkforce / R ErlangC documentation example).
        assert_eq!(parse("0.3").scheduled_agents(14), 20);
        assert_eq!(parse("0.3").scheduled_agents(22), 32); // 31.43 → 32
        assert_eq!(Shrinkage::NONE.scheduled_agents(17), 17);
        assert_eq!(parse("0").scheduled_agents(0), 0);
    }
}
