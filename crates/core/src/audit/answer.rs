//! Answers as people write them (a spreadsheet cell, a form field) and as the checklist
//! allows them: each item's method says which answers exist (pass/fail; 0–4; points up
//! to its maximum), and "not applicable" exists only where the item allows it.
//!
//! Written forms: `pass`, `fail`, `0`…`4`, a number of points, `n/a`; the Chinese
//! `通过`, `不通过`, `不适用` are read too, and case and surrounding spaces do not matter.
//! [`parse_answer`] reads a text for an item; [`check_answer`] checks a typed answer
//! (from an API) against the item, with the same rules.

use crate::evaluate::Answer;
use crate::guideline::{Item, ItemMethod};

/// Why an answer is not one the item allows.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnswerProblem {
    /// Nothing was written.
    #[error("no answer")]
    Empty,
    /// "Not applicable" on an item that does not allow it.
    #[error("not applicable is not allowed for this item")]
    NotApplicableRefused,
    /// A word the item's method does not know.
    #[error("`{given}` is not an answer of this item; allowed: {allowed}")]
    Unknown {
        /// What was written.
        given: String,
        /// The allowed answers, comma-separated.
        allowed: String,
    },
    /// A grade outside 0–4.
    #[error("{given} is outside the 0–4 scale")]
    ScaleOutOfRange {
        /// What was written.
        given: String,
    },
    /// Points below 0 or above the item's maximum, or not finite.
    #[error("{given} points is outside 0–{max}")]
    PointsOutOfRange {
        /// What was written.
        given: String,
        /// The item's maximum.
        max: f64,
    },
}

/// The answer `text` gives for `item`.
///
/// # Errors
/// The reason it is not an answer the item allows.
pub fn parse_answer(item: &Item, text: &str) -> Result<Answer, AnswerProblem> {
    let t = text.trim().to_lowercase();
    if t.is_empty() {
        return Err(AnswerProblem::Empty);
    }
    let unknown = || AnswerProblem::Unknown {
        given: text.trim().to_string(),
        allowed: allowed_answers(item).join(", "),
    };
    let answer = match t.as_str() {
        "n/a" | "na" | "不适用" => Answer::NotApplicable,
        "pass" | "通过" => Answer::Pass,
        "fail" | "不通过" => Answer::Fail,
        _ => match item.method {
            ItemMethod::PassFail => return Err(unknown()),
            ItemMethod::Scale0To4 => {
                let v: f64 = t.parse().map_err(|_| unknown())?;
                if !(0.0..=4.0).contains(&v) || v.fract() != 0.0 {
                    return Err(AnswerProblem::ScaleOutOfRange {
                        given: text.trim().to_string(),
                    });
                }
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "a whole number in 0..=4"
                )]
                Answer::Scale(v as u8)
            }
            ItemMethod::Points { .. } => Answer::Points(t.parse().map_err(|_| unknown())?),
        },
    };
    check_answer(item, answer)?;
    Ok(answer)
}

/// Checks a typed answer against the item: the method's answers only (pass and fail
/// are accepted on every method, as its extremes), a grade within 0–4, points within
/// 0 and the maximum, "not applicable" only where allowed.
///
/// # Errors
/// The reason the answer does not fit.
pub fn check_answer(item: &Item, answer: Answer) -> Result<(), AnswerProblem> {
    let unknown = |given: String| AnswerProblem::Unknown {
        given,
        allowed: allowed_answers(item).join(", "),
    };
    match (item.method, answer) {
        (_, Answer::NotApplicable) if !item.na_allowed => Err(AnswerProblem::NotApplicableRefused),
        (_, Answer::NotApplicable | Answer::Pass | Answer::Fail) => Ok(()),
        (ItemMethod::Scale0To4, Answer::Scale(v)) if v <= 4 => Ok(()),
        (ItemMethod::Scale0To4, Answer::Scale(v)) => Err(AnswerProblem::ScaleOutOfRange {
            given: v.to_string(),
        }),
        (ItemMethod::Points { max }, Answer::Points(p))
            if p.is_finite() && (0.0..=max).contains(&p) =>
        {
            Ok(())
        }
        (ItemMethod::Points { max }, Answer::Points(p)) => Err(AnswerProblem::PointsOutOfRange {
            given: number(p),
            max,
        }),
        (_, other) => Err(unknown(answer_text(other))),
    }
}

/// The answers an item allows, as written (the template's dropdown): `pass`, `fail`;
/// `0`…`4`; whole points from 0 to the maximum; then `n/a` where allowed.
#[must_use]
pub fn allowed_answers(item: &Item) -> Vec<String> {
    let mut out: Vec<String> = match item.method {
        ItemMethod::PassFail => vec!["pass".into(), "fail".into()],
        ItemMethod::Scale0To4 => (0..=4).map(|v| v.to_string()).collect(),
        ItemMethod::Points { max } => {
            // Points items have small whole maxima (1–15 in the built-in guideline); a
            // fractional or large maximum is typed rather than picked.
            if max.fract() == 0.0 && (1.0..=30.0).contains(&max) {
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "a whole number in 1..=30"
                )]
                let m = max as u32;
                (0..=m).map(|v| v.to_string()).collect()
            } else {
                Vec::new()
            }
        }
    };
    if item.na_allowed {
        out.push("n/a".into());
    }
    out
}

/// An answer as written (`pass`, `fail`, `3`, `7.5`, `n/a`).
#[must_use]
pub fn answer_text(answer: Answer) -> String {
    match answer {
        Answer::Pass => "pass".into(),
        Answer::Fail => "fail".into(),
        Answer::Scale(v) => v.to_string(),
        Answer::Points(p) => number(p),
        Answer::NotApplicable => "n/a".into(),
    }
}

/// An answer for people in a language: in Chinese the words the parser also accepts
/// (通过, 不通过, 不适用), in English as written; grades and points as numbers.
#[must_use]
pub fn answer_label(answer: Answer, lang: crate::vocab::Lang) -> String {
    let key = match answer {
        Answer::Pass => "audit.answer.pass",
        Answer::Fail => "audit.answer.fail",
        Answer::NotApplicable => "audit.answer.na",
        Answer::Scale(_) | Answer::Points(_) => return answer_text(answer),
    };
    crate::i18n::text(lang, key).to_string()
}

/// A number without a needless fraction (`7`, `7.5`).
fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{Scene, Text};

    fn item(method: ItemMethod, na_allowed: bool) -> Item {
        Item {
            id: "X-01-A1".into(),
            scenes: vec![Scene::Hall],
            text: Text::new("检查", "check"),
            weight: 1.0,
            method,
            na_allowed,
            veto: false,
        }
    }

    #[test]
    fn each_method_reads_its_answers_and_refuses_others() {
        let pf = item(ItemMethod::PassFail, false);
        assert_eq!(parse_answer(&pf, " Pass "), Ok(Answer::Pass));
        assert_eq!(parse_answer(&pf, "不通过"), Ok(Answer::Fail));
        assert_eq!(
            parse_answer(&pf, "3"),
            Err(AnswerProblem::Unknown {
                given: "3".into(),
                allowed: "pass, fail".into()
            })
        );
        assert_eq!(
            parse_answer(&pf, "n/a"),
            Err(AnswerProblem::NotApplicableRefused)
        );
        let scale = item(ItemMethod::Scale0To4, true);
        assert_eq!(parse_answer(&scale, "3"), Ok(Answer::Scale(3)));
        assert_eq!(parse_answer(&scale, "不适用"), Ok(Answer::NotApplicable));
        assert_eq!(
            parse_answer(&scale, "5"),
            Err(AnswerProblem::ScaleOutOfRange { given: "5".into() })
        );
        assert_eq!(
            parse_answer(&scale, "2.5"),
            Err(AnswerProblem::ScaleOutOfRange {
                given: "2.5".into()
            })
        );
        let points = item(ItemMethod::Points { max: 10.0 }, false);
        assert_eq!(parse_answer(&points, "7.5"), Ok(Answer::Points(7.5)));
        assert_eq!(
            parse_answer(&points, "11"),
            Err(AnswerProblem::PointsOutOfRange {
                given: "11".into(),
                max: 10.0
            })
        );
        assert_eq!(parse_answer(&points, ""), Err(AnswerProblem::Empty));
        assert!(matches!(
            parse_answer(&points, "lots"),
            Err(AnswerProblem::Unknown { .. })
        ));
    }

    #[test]
    fn typed_answers_follow_the_same_rules() {
        let pf = item(ItemMethod::PassFail, true);
        assert_eq!(check_answer(&pf, Answer::NotApplicable), Ok(()));
        assert!(check_answer(&pf, Answer::Scale(2)).is_err());
        let points = item(ItemMethod::Points { max: 5.0 }, false);
        assert!(check_answer(&points, Answer::Points(f64::NAN)).is_err());
        assert!(check_answer(&points, Answer::Points(-1.0)).is_err());
        assert_eq!(check_answer(&points, Answer::Fail), Ok(()));
    }

    #[test]
    fn the_dropdown_lists_what_parses() {
        let points = item(ItemMethod::Points { max: 3.0 }, true);
        assert_eq!(allowed_answers(&points), ["0", "1", "2", "3", "n/a"]);
        for a in allowed_answers(&points) {
            assert!(parse_answer(&points, &a).is_ok(), "{a}");
        }
        assert_eq!(answer_text(Answer::Points(7.0)), "7");
        assert_eq!(answer_text(Answer::Points(2.5)), "2.5");
    }
}
