//! Loading the `[audits]` and `[pdca]` sections: which audits count for a period and
//! with what weight, and the numbers of the improvement loop. Both are optional; a key
//! left out of a section present takes the built-in value.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeValue;

use super::Cx;
use crate::audit::{AuditKind, AuditRule};
use crate::diag::bad_value;
use crate::guideline::model::Clause;
use crate::i18n::Msg;
use crate::pdca::{ClusterRule, PdcaRule, Severity};

type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAudits {
    look_back_days: S<i64>,
    kinds: S<BTreeMap<S<String>, S<f64>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPdca {
    #[serde(default)]
    due_days: Option<S<BTreeMap<S<String>, S<i64>>>>,
    #[serde(default)]
    item_fail_below: Option<S<f64>>,
    #[serde(default)]
    cluster_complaints: Option<S<i64>>,
    #[serde(default)]
    cluster_days: Option<S<i64>>,
    #[serde(default)]
    cluster_clause: Option<S<String>>,
    #[serde(default)]
    trend_falls: Option<S<i64>>,
    #[serde(default)]
    verify_periods: Option<S<i64>>,
    #[serde(default)]
    escalate_every_days: Option<S<i64>>,
}

impl Cx<'_> {
    /// A whole number within `lo..=hi`, or an error (and `lo`).
    fn count_in(&mut self, x: &S<i64>, path: &str, lo: i64, hi: i64) -> u32 {
        let v = *x.get_ref();
        if (lo..=hi).contains(&v) {
            u32::try_from(v).unwrap_or(0)
        } else {
            self.err(
                x.span(),
                path,
                Msg::new("guideline_file.not_whole_in")
                    .arg("lo", lo)
                    .arg("hi", hi)
                    .arg("found", v),
            );
            u32::try_from(lo).unwrap_or(0)
        }
    }

    /// Validates `[audits]`.
    pub(super) fn audits(&mut self, value: &Spanned<DeValue<'_>>) -> Option<AuditRule> {
        let raw: RawAudits = self.de(value.clone(), "audits")?;
        let look_back_days = self.count_in(&raw.look_back_days, "audits.look_back_days", 0, 3660);
        let mut weights = BTreeMap::new();
        for (k, w) in raw.kinds.get_ref() {
            let path = format!("audits.kinds.{}", k.get_ref());
            let Some(kind) = AuditKind::parse(k.get_ref()) else {
                let names: Vec<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
                self.err(
                    k.span(),
                    &path,
                    bad_value("file_check.what.audit_kind", k.get_ref(), &names),
                );
                continue;
            };
            let v = self.positive(w, &path, true);
            weights.insert(kind, v);
        }
        if !weights.values().any(|w| *w > 0.0) {
            self.err(
                raw.kinds.span(),
                "audits.kinds",
                Msg::new("guideline_file.no_audit_weight"),
            );
        }
        Some(AuditRule {
            look_back_days,
            weights,
        })
    }

    /// Validates `[pdca]`.
    pub(super) fn pdca(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        clauses: &[Clause],
    ) -> Option<PdcaRule> {
        let raw: RawPdca = self.de(value.clone(), "pdca")?;
        let mut rule = PdcaRule::built_in();
        if let Some(days) = &raw.due_days {
            for (k, d) in days.get_ref() {
                let path = format!("pdca.due_days.{}", k.get_ref());
                match Severity::parse(k.get_ref()) {
                    Some(s) => {
                        let n = self.count_in(d, &path, 1, 3650);
                        rule.due_days.insert(s, n);
                    }
                    None => {
                        let names: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
                        self.err(
                            k.span(),
                            &path,
                            bad_value("file_check.what.severity", k.get_ref(), &names),
                        );
                    }
                }
            }
        }
        if let Some(x) = &raw.item_fail_below {
            let v = *x.get_ref();
            if v.is_finite() && v > 0.0 && v <= 1.0 {
                rule.item_fail_below = v;
            } else {
                self.err(
                    x.span(),
                    "pdca.item_fail_below",
                    Msg::new("guideline_file.not_share_above_zero").arg("found", v),
                );
            }
        }
        let complaints = raw
            .cluster_complaints
            .as_ref()
            .map(|x| self.count_in(x, "pdca.cluster_complaints", 0, 100_000));
        let days = raw
            .cluster_days
            .as_ref()
            .map(|x| self.count_in(x, "pdca.cluster_days", 1, 366));
        let clause = raw.cluster_clause.as_ref().and_then(|c| {
            if clauses.iter().any(|x| &x.id == c.get_ref()) {
                Some(c.get_ref().clone())
            } else {
                self.err(
                    c.span(),
                    "pdca.cluster_clause",
                    Msg::new("guideline_file.unknown_clause").arg("clause", c.get_ref()),
                );
                None
            }
        });
        if let Some(built_in) = rule.cluster.clone() {
            let complaints = complaints.unwrap_or(built_in.complaints);
            rule.cluster = (complaints > 0).then(|| ClusterRule {
                complaints,
                days: days.unwrap_or(built_in.days),
                clause: clause.or(built_in.clause),
            });
        }
        if let Some(x) = &raw.trend_falls {
            rule.trend_falls = self.count_in(x, "pdca.trend_falls", 0, 24);
        }
        if let Some(x) = &raw.verify_periods {
            rule.verify_periods = self.count_in(x, "pdca.verify_periods", 1, 24);
        }
        if let Some(x) = &raw.escalate_every_days {
            rule.escalate_every_days = self.count_in(x, "pdca.escalate_every_days", 1, 365);
        }
        Some(rule)
    }
}
