//! Row-level semantics of indicators: how one record changes an indicator's measure state.
//!
//! This is the reference definition. The engine's reference path applies it to every
//! stored row; the columnar engine and the DataFusion path must produce identical states
//! (tests compare them).

use crate::expr::{self, Row, Value};
use crate::measure::{MeasureError, MeasureState, Row as Obs, SlClass};

use super::model::{Indicator, Measure, ServiceLevelSpec};

/// What happened to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// The row is outside the indicator's population (filter false or NULL).
    Filtered,
    /// The row was added to the state.
    Added,
    /// A service-level row that is neither answered, abandoned nor IVR-contained.
    Unclassified,
}

/// Adds one row to an indicator's state if it passes the filter.
///
/// # Errors
/// When a value cannot be recorded (not finite, or negative for a percentile); the state
/// is then unchanged.
pub fn observe(
    ind: &Indicator,
    row: &dyn Row,
    state: &mut MeasureState,
) -> Result<Observed, MeasureError> {
    if let Some(f) = &ind.filter
        && !expr::is_true(&expr::eval(&f.expr, row))
    {
        return Ok(Observed::Filtered);
    }
    let obs = match &ind.measure {
        Measure::Ratio { condition } => {
            Obs::new().with_hit(expr::is_true(&expr::eval(&condition.expr, row)))
        }
        Measure::Mean { value } => with_value(Obs::new(), num(&expr::eval(&value.expr, row))),
        Measure::Percentile { value, .. } => {
            with_value(Obs::new(), num(&expr::eval(&value.expr, row))).with_histogram()
        }
        Measure::ShareWithin { value, limit } => {
            let v = num(&expr::eval(&value.expr, row));
            Obs::new().with_hit(v.is_some_and(|v| v <= *limit))
        }
        Measure::RatePer { .. } | Measure::Count => Obs::new(),
        Measure::RatioOfSums {
            numerator,
            denominator,
        } => {
            // A row adds to the sums only when both sides are known, so Σ num ÷ Σ den
            // compares like with like.
            let n = num(&expr::eval(&numerator.expr, row));
            match (n, num(&expr::eval(&denominator.expr, row))) {
                (Some(n), Some(d)) => Obs::new().with_value(n).with_den(d),
                _ => Obs::new(),
            }
        }
        Measure::ServiceLevel(spec) => match classify(spec, row) {
            Some(class) => Obs::new().with_sl(class),
            None => return Ok(Observed::Unclassified),
        },
    };
    state.observe(&obs)?;
    Ok(Observed::Added)
}

fn with_value(o: Obs, v: Option<f64>) -> Obs {
    match v {
        Some(v) => o.with_value(v),
        None => o,
    }
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Num(x) => Some(*x),
        _ => None,
    }
}

/// Service-level class of a contact. A contact answered or abandoned without a known
/// wait is classed as after the threshold: the conservative choice, so missing data
/// never improves a service level.
#[must_use]
pub fn classify(spec: &ServiceLevelSpec, row: &dyn Row) -> Option<SlClass> {
    let yes = |c: &super::model::Compiled| expr::is_true(&expr::eval(&c.expr, row));
    sl_class(
        spec.threshold_s,
        spec.short_abandon_s,
        yes(&spec.ivr_contained),
        yes(&spec.answered),
        yes(&spec.abandoned),
        num(&expr::eval(&spec.wait_s.expr, row)),
    )
}

/// The service-level class from a contact's evaluated parts (whether its IVR-contained,
/// answered and abandoned conditions are TRUE, and its wait) and the spec's threshold
/// and short-abandon limit: the one rule every engine applies. `None` for a contact
/// that is none of the three.
#[must_use]
pub fn sl_class(
    threshold_s: f64,
    short_abandon_s: f64,
    ivr_contained: bool,
    answered: bool,
    abandoned: bool,
    wait_s: Option<f64>,
) -> Option<SlClass> {
    if ivr_contained {
        return Some(SlClass::IvrContained);
    }
    if answered {
        return Some(match wait_s {
            Some(w) if w <= threshold_s => SlClass::AnsweredWithin,
            _ => SlClass::AnsweredAfter,
        });
    }
    if abandoned {
        return Some(match wait_s {
            Some(w) if w < short_abandon_s => SlClass::AbandonedShort,
            Some(w) if w <= threshold_s => SlClass::AbandonedWithin,
            _ => SlClass::AbandonedAfter,
        });
    }
    None
}

/// Whether a row belongs to a record stratum (`""` = all rows; otherwise
/// `customer_class=vip`, `service=broadband` or both joined by `;`). A missing customer
/// class counts as `ordinary`, as the record documentation says.
#[must_use]
pub fn in_stratum(stratum: &str, row: &dyn Row) -> bool {
    stratum.split(';').filter(|p| !p.is_empty()).all(|part| {
        let Some((field, want)) = part.split_once('=') else {
            return false;
        };
        match row.get(field) {
            Value::Str(s) => s == want,
            Value::Null => field == "customer_class" && want == "ordinary",
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The class of each kind of contact under a 20-second threshold and a 5-second
    /// short-abandon limit, worked by hand from the guideline's definition: IVR-contained
    /// wins over everything; answered within 20 s (20 s included) or after; abandoned
    /// under 5 s is short, up to 20 s within, later (or unknown wait) after; answered and
    /// abandoned without a wait count as after (never flattering); none of the three is
    /// unclassified.
    #[test]
    fn service_level_classes_at_their_boundaries() {
        use SlClass::*;
        /// (IVR-contained, answered, abandoned, wait) → class.
        type Case = (bool, bool, bool, Option<f64>, Option<SlClass>);
        let cases: [Case; 12] = [
            (true, true, false, Some(3.0), Some(IvrContained)),
            (true, false, false, None, Some(IvrContained)),
            (false, true, false, Some(0.0), Some(AnsweredWithin)),
            (false, true, false, Some(20.0), Some(AnsweredWithin)),
            (false, true, false, Some(20.001), Some(AnsweredAfter)),
            (false, true, false, None, Some(AnsweredAfter)),
            (false, true, true, Some(4.0), Some(AnsweredWithin)),
            (false, false, true, Some(4.999), Some(AbandonedShort)),
            (false, false, true, Some(5.0), Some(AbandonedWithin)),
            (false, false, true, Some(20.0), Some(AbandonedWithin)),
            (false, false, true, Some(21.0), Some(AbandonedAfter)),
            (false, false, false, Some(1.0), None),
        ];
        for (ivr, answered, abandoned, wait, want) in cases {
            assert_eq!(
                sl_class(20.0, 5.0, ivr, answered, abandoned, wait),
                want,
                "ivr {ivr}, answered {answered}, abandoned {abandoned}, wait {wait:?}"
            );
        }
        assert_eq!(
            sl_class(20.0, 5.0, false, false, true, None),
            Some(AbandonedAfter)
        );
    }
}
