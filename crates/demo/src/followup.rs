//! Complaints and survey answers that follow from the simulated tickets, contacts and
//! orders.
//!
//! The scene models decide *whether* a record draws a complaint or a survey answer and how
//! the customer felt (a latent satisfaction on the 1–5 scale, lowered by long waits,
//! unresolved issues or late repairs); this module turns that into rows with plausible
//! timings, so satisfaction and complaint rates are correlated with service as in real
//! data. Nothing is written that would happen after the end of the period.

use crate::DemoError;
use crate::csv_out::CsvFile;
use crate::rng::{Rng, round_i64};
use crate::time::{DAY_S, HOUR_S, MIN_S, Ts, day_of, push_compact_date};

/// Columns of `complaint.csv`.
pub(crate) const COMPLAINT_COLUMNS: &[&str] = &[
    "site_id",
    "complaint_id",
    "channel",
    "class",
    "received_at",
    "answered_at",
    "resolved_at",
    "appealed",
    "billing_error",
    "bill_id",
    "customer_key",
    "issue_key",
    "linked_record",
];

/// Columns of `survey.csv`.
pub(crate) const SURVEY_COLUMNS: &[&str] = &[
    "site_id",
    "survey_id",
    "scene",
    "linked_record",
    "answered_at",
    "csat",
    "nps",
    "text",
];

/// Complaint classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ComplaintClass {
    UserService,
    NetworkQuality,
    Billing,
}

impl ComplaintClass {
    fn as_str(self) -> &'static str {
        match self {
            ComplaintClass::UserService => "user_service",
            ComplaintClass::NetworkQuality => "network_quality",
            ComplaintClass::Billing => "billing",
        }
    }
}

/// What a scene model knows about a complaint it raises.
pub(crate) struct ComplaintSeed<'a> {
    pub class: ComplaintClass,
    /// When the cause happened (the complaint is received some hours later).
    pub at: Ts,
    pub customer_key: Option<&'a str>,
    pub linked_record: Option<&'a str>,
}

/// What a scene model knows about a survey answer it raises.
pub(crate) struct SurveySeed<'a> {
    pub scene: &'static str,
    /// The ticket, contact or order surveyed.
    pub linked: &'a str,
    /// When the answer was given.
    pub at: Ts,
    /// How satisfied the customer is on the 1–5 scale before answer noise.
    pub latent: f64,
    /// False for the short post-call IVR survey, which asks only for CSAT.
    pub ask_nps: bool,
}

/// Writers and counters for the follow-up records of all sites.
pub(crate) struct Followups {
    pub complaints: CsvFile,
    pub surveys: CsvFile,
    /// Start of the day after the period: nothing at or after it is known yet.
    pub cutoff: Ts,
    /// Share of complaints of the current site answered after 15 days.
    pub late_answer_p: f64,
    complaint_seq: u64,
    survey_seq: u64,
}

impl Followups {
    pub(crate) fn new(complaints: CsvFile, surveys: CsvFile, cutoff: Ts) -> Followups {
        Followups {
            complaints,
            surveys,
            cutoff,
            late_answer_p: 0.01,
            complaint_seq: 0,
            survey_seq: 0,
        }
    }

    /// Writes a complaint and, now and then, a repeat complaint about the same issue.
    pub(crate) fn complaint(
        &mut self,
        rng: &mut Rng,
        site: &str,
        seed: &ComplaintSeed<'_>,
    ) -> Result<(), DemoError> {
        let issue_key = rng.key("i");
        let bill_id = (seed.class == ComplaintClass::Billing).then(|| bill_id(rng, site, seed.at));
        let mut received = seed.at + round_i64(rng.exponential(8.0 * 3_600.0)) + 10 * MIN_S;
        // A few customers complain again about the same issue (bounded to two repeats).
        for _ in 0..3 {
            if received >= self.cutoff {
                break;
            }
            let answered_late =
                self.complaint_row(rng, site, seed, received, &issue_key, bill_id.as_deref())?;
            let again = if answered_late { 0.3 } else { 0.05 };
            if !rng.chance(again) {
                break;
            }
            received += round_i64(rng.uniform(2.0, 25.0) * 86_400.0);
        }
        Ok(())
    }

    /// Writes one complaint row; returns whether the answer came after 15 days.
    fn complaint_row(
        &mut self,
        rng: &mut Rng,
        site: &str,
        seed: &ComplaintSeed<'_>,
        received: Ts,
        issue_key: &str,
        bill_id: Option<&str>,
    ) -> Result<bool, DemoError> {
        self.complaint_seq += 1;
        // Most complaints get a substantive answer within a day or two; a few slip past the
        // 15-day limit after which the customer may appeal to the regulator (more at sites
        // whose managers are busy with a problem of their own).
        let late = rng.chance(self.late_answer_p);
        let answer_s = if late {
            rng.uniform(15.5, 24.0) * 86_400.0
        } else {
            rng.lognormal_mean(1.0 * 86_400.0, 0.9).min(14.0 * 86_400.0)
        };
        let answered = received + round_i64(answer_s);
        let resolved = answered + round_i64(rng.lognormal_mean(1.2 * 86_400.0, 1.0));
        let appealed = rng.chance(if late { 0.3 } else { 0.008 });
        let known = |t: Ts| (t < self.cutoff).then_some(t);
        let channel = ["hotline", "hotline", "online", "app", "hall"]
            [usize::try_from(rng.below(5)).unwrap_or(0)];
        let billing = seed.class == ComplaintClass::Billing;
        let f = &mut self.complaints;
        f.str(site)
            .str(&format!("{site}-CP{:06}", self.complaint_seq))
            .str(channel)
            .str(seed.class.as_str());
        f.ts(received)
            .opt_ts(known(answered))
            .opt_ts(known(resolved));
        f.bool(appealed && answered < self.cutoff)
            .opt_bool(billing.then(|| rng.chance(0.1)))
            .opt_str(bill_id);
        f.opt_str(seed.customer_key)
            .str(issue_key)
            .opt_str(seed.linked_record);
        f.end_row()?;
        Ok(late)
    }

    /// Writes a survey answer (unless it would be given after the period).
    pub(crate) fn survey(
        &mut self,
        rng: &mut Rng,
        site: &str,
        seed: &SurveySeed<'_>,
    ) -> Result<(), DemoError> {
        if seed.at >= self.cutoff {
            return Ok(());
        }
        self.survey_seq += 1;
        let noisy = seed.latent + 0.5 * rng.normal();
        let csat = round_i64(noisy.clamp(1.0, 5.0));
        let nps = round_i64((2.4 * noisy - 2.0 + 1.0 * rng.normal()).clamp(0.0, 10.0));
        let text = rng.chance(0.15).then(|| survey_text(rng, csat));
        let f = &mut self.surveys;
        f.str(site)
            .str(&format!("{site}-SV{:07}", self.survey_seq))
            .str(seed.scene)
            .str(seed.linked)
            .ts(seed.at);
        f.int(csat)
            .opt_int(seed.ask_nps.then_some(nps))
            .opt_str(text);
        f.end_row()
    }
}

/// A bill id for a billing complaint: the bill of the month of the event.
fn bill_id(rng: &mut Rng, site: &str, at: Ts) -> String {
    let mut s = format!("{site}-B");
    push_compact_date(&mut s, day_of(at));
    s.truncate(s.len() - 2);
    s.push('-');
    s.push_str(&format!("{:06}", rng.below(1_000_000)));
    s
}

/// A short free-text comment matching the score.
fn survey_text(rng: &mut Rng, csat: i64) -> &'static str {
    const GOOD: &[&str] = &[
        "服务很热情，办理很快",
        "师傅很专业，准时上门",
        "问题一次就解决了",
        "Very helpful, thank you",
    ];
    const MID: &[&str] = &[
        "还可以，等的时间有点长",
        "态度不错，但流程太复杂",
        "OK overall",
    ];
    const BAD: &[&str] = &[
        "排队太久了，没人管",
        "问题没有解决，还要再打电话",
        "上门超时，也没有提前通知",
        "Waited too long",
    ];
    let pool = match csat {
        4..=5 => GOOD,
        3 => MID,
        _ => BAD,
    };
    pool[usize::try_from(rng.below(pool.len() as u64)).unwrap_or(0)]
}

/// Latent satisfaction lowered by waiting beyond what customers accept: `excess` is the
/// wait beyond the tolerated part, `per` how much waiting costs one point, `cap` the most
/// it can cost.
pub(crate) fn wait_penalty(excess_s: i64, per_point_s: f64, cap: f64) -> f64 {
    #[allow(
        clippy::cast_precision_loss,
        reason = "waits are far below 2^52 seconds"
    )]
    let excess = excess_s.max(0) as f64;
    (excess / per_point_s).min(cap)
}

/// Hours as seconds (readability helper for the scene models).
pub(crate) fn hours(h: f64) -> i64 {
    round_i64(h * 3_600.0)
}

/// The answer time of a survey sent after an event: the same day for SMS surveys, or a
/// call-back one to three days later (for field visits), during office hours.
pub(crate) fn survey_time(rng: &mut Rng, event: Ts, callback: bool) -> Ts {
    if !callback {
        return event + round_i64(rng.exponential(40.0 * 60.0)) + 30;
    }
    let day = day_of(event) + rng.range_i64(1, 3);
    day * DAY_S + 9 * HOUR_S + rng.range_i64(0, 10 * HOUR_S)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalties_are_capped_and_ignore_negative_excess() {
        assert!((wait_penalty(-5, 60.0, 1.0)).abs() < 1e-12);
        assert!((wait_penalty(120, 60.0, 1.0) - 1.0).abs() < 1e-12);
        assert!((wait_penalty(60, 120.0, 1.0) - 0.5).abs() < 1e-12);
        assert_eq!(hours(1.5), 5_400);
    }
}
