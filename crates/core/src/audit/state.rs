//! The life of an audit: draft → submitted → signed by its evaluator; then the site
//! manager acknowledges it or disputes it with a reason; a signed audit is corrected only
//! by a new audit that names it and says why. Pure: the application asks
//! [`next_state`] before it writes, and the database refuses any change to a signed
//! audit whatever the application asks.
//!
//! | step | from | to |
//! |---|---|---|
//! | answer | draft | draft |
//! | submit | draft with at least one answer | submitted |
//! | withdraw | submitted | draft (the evaluator takes it back to edit) |
//! | sign | submitted | signed |
//! | acknowledge | signed, no response yet | signed, acknowledged |
//! | dispute (reason) | signed, no response yet | signed, disputed |
//! | amend (reason) | signed | signed (a new draft names it) |

use serde::{Deserialize, Serialize};

/// Where an audit stands (what the database stores with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditState {
    /// Being answered.
    Draft,
    /// Handed in, waiting for the evaluator's signature.
    Submitted,
    /// Signed: immutable.
    Signed,
}

impl AuditState {
    /// Its name as stored.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AuditState::Draft => "draft",
            AuditState::Submitted => "submitted",
            AuditState::Signed => "signed",
        }
    }

    /// Its name for people.
    #[must_use]
    pub fn label(self, lang: crate::vocab::Lang) -> &'static str {
        crate::i18n::text(
            lang,
            match self {
                AuditState::Draft => "audit.state.draft",
                AuditState::Submitted => "audit.state.submitted",
                AuditState::Signed => "audit.state.signed",
            },
        )
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<AuditState> {
        [AuditState::Draft, AuditState::Submitted, AuditState::Signed]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// The site manager's answer to a signed audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// The site accepts the audit.
    Acknowledged,
    /// The site disputes it (with a reason, stored beside).
    Disputed,
}

impl Response {
    /// Its name as stored.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Response::Acknowledged => "acknowledged",
            Response::Disputed => "disputed",
        }
    }

    /// Its name for people.
    #[must_use]
    pub fn label(self, lang: crate::vocab::Lang) -> &'static str {
        crate::i18n::text(
            lang,
            match self {
                Response::Acknowledged => "audit.response_state.acknowledged",
                Response::Disputed => "audit.response_state.disputed",
            },
        )
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Response> {
        match s {
            "acknowledged" => Some(Response::Acknowledged),
            "disputed" => Some(Response::Disputed),
            _ => None,
        }
    }
}

/// What someone asks to do with an audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditStep {
    /// Record or change answers, comments, evidence.
    Answer,
    /// Hand it in.
    Submit,
    /// Take a submitted audit back to edit it.
    Withdraw,
    /// Sign it (the evaluator).
    Sign,
    /// Accept it (the site manager).
    Acknowledge,
    /// Dispute it (the site manager), with a reason.
    Dispute {
        /// Why.
        reason: String,
    },
    /// Correct it by a new version, with a reason.
    Amend {
        /// Why.
        reason: String,
    },
}

/// Why a step is not possible now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuditStateError {
    /// The audit is signed: it never changes; correct it by a new version.
    #[error("the audit is signed and cannot change; amend it to correct it")]
    Signed,
    /// Only a draft can be answered or submitted.
    #[error("only a draft can be answered or submitted")]
    NotDraft,
    /// Only a submitted audit can be signed or withdrawn.
    #[error("only a submitted audit can be signed or withdrawn")]
    NotSubmitted,
    /// Only a signed audit can be acknowledged, disputed or amended.
    #[error("only a signed audit can be acknowledged, disputed or amended")]
    NotSigned,
    /// The site has already responded.
    #[error("the site has already responded to this audit")]
    AlreadyResponded,
    /// A dispute or a correction needs a reason.
    #[error("a reason is required")]
    NoReason,
    /// An audit without any answer cannot be submitted.
    #[error("an audit without answers cannot be submitted")]
    NoAnswers,
}

/// The state and response after `step`, from `state` with `response` and `answers`
/// answers recorded.
///
/// # Errors
/// Why the step is not possible now.
pub fn next_state(
    state: AuditState,
    response: Option<Response>,
    answers: usize,
    step: &AuditStep,
) -> Result<(AuditState, Option<Response>), AuditStateError> {
    use AuditState::{Draft, Signed, Submitted};
    let reason_given = |r: &str| {
        if r.trim().is_empty() {
            Err(AuditStateError::NoReason)
        } else {
            Ok(())
        }
    };
    match (step, state) {
        (AuditStep::Answer | AuditStep::Submit | AuditStep::Withdraw, Signed) => {
            Err(AuditStateError::Signed)
        }
        (AuditStep::Sign, Signed) => Err(AuditStateError::Signed),
        (AuditStep::Answer, Draft) => Ok((Draft, None)),
        (AuditStep::Answer | AuditStep::Submit, Submitted) => Err(AuditStateError::NotDraft),
        (AuditStep::Submit, Draft) if answers == 0 => Err(AuditStateError::NoAnswers),
        (AuditStep::Submit, Draft) => Ok((Submitted, None)),
        (AuditStep::Withdraw, Submitted) => Ok((Draft, None)),
        (AuditStep::Withdraw | AuditStep::Sign, Draft) => Err(AuditStateError::NotSubmitted),
        (AuditStep::Sign, Submitted) => Ok((Signed, None)),
        (
            AuditStep::Acknowledge | AuditStep::Dispute { .. } | AuditStep::Amend { .. },
            Draft | Submitted,
        ) => Err(AuditStateError::NotSigned),
        (AuditStep::Acknowledge | AuditStep::Dispute { .. }, Signed) if response.is_some() => {
            Err(AuditStateError::AlreadyResponded)
        }
        (AuditStep::Acknowledge, Signed) => Ok((Signed, Some(Response::Acknowledged))),
        (AuditStep::Dispute { reason }, Signed) => {
            reason_given(reason)?;
            Ok((Signed, Some(Response::Disputed)))
        }
        (AuditStep::Amend { reason }, Signed) => {
            reason_given(reason)?;
            Ok((Signed, response))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AuditState::{Draft, Signed, Submitted};

    #[test]
    fn an_audit_goes_from_draft_to_signed_and_is_then_acknowledged_once() {
        assert_eq!(
            next_state(Draft, None, 0, &AuditStep::Answer),
            Ok((Draft, None))
        );
        assert_eq!(
            next_state(Draft, None, 0, &AuditStep::Submit),
            Err(AuditStateError::NoAnswers)
        );
        assert_eq!(
            next_state(Draft, None, 3, &AuditStep::Submit),
            Ok((Submitted, None))
        );
        assert_eq!(
            next_state(Submitted, None, 3, &AuditStep::Withdraw),
            Ok((Draft, None))
        );
        assert_eq!(
            next_state(Draft, None, 3, &AuditStep::Sign),
            Err(AuditStateError::NotSubmitted)
        );
        assert_eq!(
            next_state(Submitted, None, 3, &AuditStep::Sign),
            Ok((Signed, None))
        );
        assert_eq!(
            next_state(Signed, None, 3, &AuditStep::Acknowledge),
            Ok((Signed, Some(Response::Acknowledged)))
        );
        assert_eq!(
            next_state(
                Signed,
                Some(Response::Acknowledged),
                3,
                &AuditStep::Dispute {
                    reason: "late".into()
                }
            ),
            Err(AuditStateError::AlreadyResponded)
        );
    }

    #[test]
    fn a_signed_audit_takes_no_answer_and_a_dispute_needs_a_reason() {
        for step in [
            AuditStep::Answer,
            AuditStep::Submit,
            AuditStep::Withdraw,
            AuditStep::Sign,
        ] {
            assert_eq!(
                next_state(Signed, None, 3, &step),
                Err(AuditStateError::Signed),
                "{step:?}"
            );
        }
        assert_eq!(
            next_state(
                Signed,
                None,
                3,
                &AuditStep::Dispute {
                    reason: "  ".into()
                }
            ),
            Err(AuditStateError::NoReason)
        );
        assert_eq!(
            next_state(
                Signed,
                None,
                3,
                &AuditStep::Dispute {
                    reason: "wrong site".into()
                }
            ),
            Ok((Signed, Some(Response::Disputed)))
        );
        assert_eq!(
            next_state(
                Submitted,
                None,
                3,
                &AuditStep::Amend {
                    reason: "typo".into()
                }
            ),
            Err(AuditStateError::NotSigned)
        );
        assert_eq!(
            next_state(
                Signed,
                Some(Response::Disputed),
                3,
                &AuditStep::Amend {
                    reason: "typo".into()
                }
            ),
            Ok((Signed, Some(Response::Disputed)))
        );
    }
}
