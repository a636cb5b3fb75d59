//! Compiling one record kind: every indicator's filter and measure parts into one
//! [`Program`] (shared sub-expressions once), its strata as tests on field slots, and
//! where each field's values come from.

use std::collections::HashMap;

use yardstick_core::guideline::{Guideline, Indicator, Measure, ServiceLevelSpec};
use yardstick_core::records::RecordKind;

use crate::compute::strata_of;
use crate::derived::repeat_specs;
use crate::vector::Program;

/// Where a field's values come from.
#[derive(Debug, Clone, Copy)]
pub(in crate::compute) enum Source {
    /// A stored column (NULL when the file has no such column).
    Stored,
    /// A cross-row flag (index into the kind's repeat specs).
    Flag(usize),
    /// Complaint days open at the period end.
    OpenDays,
    /// The record's area class, or the site's.
    AreaClass,
    /// Legal working days from creation to completion.
    WorkingDays,
    /// Elapsed hours from creation to completion, pauses deducted.
    ElapsedH,
}

/// How the row-level reference (`Scan`'s row view) resolves a field name.
fn source_of(kind: RecordKind, field: &str) -> Source {
    if let Some(i) = repeat_specs(kind).iter().position(|s| s.field == field) {
        return Source::Flag(i);
    }
    match (kind, field) {
        (RecordKind::Complaint, "open_days") => Source::OpenDays,
        (_, "area_class") => Source::AreaClass,
        (RecordKind::WorkOrder, "working_days") => Source::WorkingDays,
        (RecordKind::WorkOrder, "elapsed_h") => Source::ElapsedH,
        _ => Source::Stored,
    }
}

/// The node indexes of one indicator's measure parts.
#[derive(Debug, Clone, Copy)]
pub(super) enum Part {
    Ratio(usize),
    Mean(usize),
    Percentile(usize),
    ShareWithin(usize, f64),
    Plain,
    RatioOfSums(usize, usize),
    Sl {
        ivr: usize,
        wait: usize,
        answered: usize,
        abandoned: usize,
        threshold: f64,
        short: f64,
    },
}

pub(super) struct Plan<'g> {
    pub(super) ind: &'g Indicator,
    pub(super) filter: Option<usize>,
    pub(super) part: Part,
    /// (line index, stratum index into `Kind::strata`) per stratum of the indicator.
    pub(super) lines: Vec<(usize, usize)>,
}

/// A stratum as conditions on field slots; `None` when it can never match.
type StratumTest = Option<Vec<(usize, String, bool)>>;

/// Everything compiled for one record kind.
pub(in crate::compute) struct Kind<'g> {
    pub(in crate::compute) program: Program,
    pub(in crate::compute) sources: Vec<Source>,
    pub(super) plans: Vec<Plan<'g>>,
    pub(super) strata: Vec<StratumTest>,
    /// Line index → (indicator position, stratum string).
    pub(super) line_names: Vec<(usize, String)>,
    /// Per field slot: a stored field the kind only tests for NULL (as CC-05 does with
    /// `customer_key`). When the repeat-flag pass reads it anyway, it records which rows
    /// have a value, and the main pass does not read it again (see `Shared::present`).
    pub(super) null_only: Vec<bool>,
}

pub(in crate::compute) fn compile<'g>(
    g: &Guideline,
    kind: RecordKind,
    indicators: &[&'g Indicator],
) -> Kind<'g> {
    let mut program = Program::default();
    let mut strata_index: HashMap<String, usize> = HashMap::new();
    let mut strata_src: Vec<String> = Vec::new();
    let mut plans = Vec::new();
    let mut line_names = Vec::new();
    for (i, ind) in indicators.iter().enumerate() {
        let filter = ind.filter.as_ref().map(|f| program.add(&f.expr));
        let part = match &ind.measure {
            Measure::Ratio { condition } => Part::Ratio(program.add(&condition.expr)),
            Measure::Mean { value } => Part::Mean(program.add(&value.expr)),
            Measure::Percentile { value, .. } => Part::Percentile(program.add(&value.expr)),
            Measure::ShareWithin { value, limit } => {
                Part::ShareWithin(program.add(&value.expr), *limit)
            }
            Measure::RatePer { .. } | Measure::Count => Part::Plain,
            Measure::RatioOfSums {
                numerator,
                denominator,
            } => Part::RatioOfSums(program.add(&numerator.expr), program.add(&denominator.expr)),
            Measure::ServiceLevel(spec) => sl_part(&mut program, spec),
        };
        let mut lines = Vec::new();
        for stratum in strata_of(g, &ind.id) {
            let next = strata_src.len();
            let s = *strata_index.entry(stratum.clone()).or_insert(next);
            if s == next {
                strata_src.push(stratum.clone());
            }
            lines.push((line_names.len(), s));
            line_names.push((i, stratum));
        }
        plans.push(Plan {
            ind,
            filter,
            part,
            lines,
        });
    }
    let strata: Vec<StratumTest> = strata_src
        .iter()
        .map(|s| stratum_test(&mut program, s))
        .collect();
    let sources: Vec<Source> = program
        .fields()
        .iter()
        .map(|f| source_of(kind, f))
        .collect();
    let roots: Vec<usize> = plans
        .iter()
        .flat_map(|p| p.filter.into_iter().chain(part_nodes(p.part)))
        .collect();
    let in_strata: Vec<usize> = strata
        .iter()
        .flatten()
        .flatten()
        .map(|(slot, _, _)| *slot)
        .collect();
    let null_only = program
        .null_tested_only(&roots)
        .into_iter()
        .enumerate()
        .map(|(slot, only)| {
            only && matches!(sources.get(slot), Some(Source::Stored)) && !in_strata.contains(&slot)
        })
        .collect();
    Kind {
        program,
        sources,
        plans,
        strata,
        line_names,
        null_only,
    }
}

/// The program nodes a measure part reads.
fn part_nodes(part: Part) -> Vec<usize> {
    match part {
        Part::Ratio(a) | Part::Mean(a) | Part::Percentile(a) | Part::ShareWithin(a, _) => vec![a],
        Part::Plain => Vec::new(),
        Part::RatioOfSums(a, b) => vec![a, b],
        Part::Sl {
            ivr,
            wait,
            answered,
            abandoned,
            ..
        } => vec![ivr, wait, answered, abandoned],
    }
}

fn sl_part(program: &mut Program, spec: &ServiceLevelSpec) -> Part {
    Part::Sl {
        ivr: program.add(&spec.ivr_contained.expr),
        wait: program.add(&spec.wait_s.expr),
        answered: program.add(&spec.answered.expr),
        abandoned: program.add(&spec.abandoned.expr),
        threshold: spec.threshold_s,
        short: spec.short_abandon_s,
    }
}

/// A stratum string (`""`, `customer_class=vip`, `a=x;b=y`) as tests on field slots,
/// with core's `in_stratum` rule: a missing customer class counts as `ordinary`.
fn stratum_test(program: &mut Program, stratum: &str) -> StratumTest {
    let mut parts = Vec::new();
    for part in stratum.split(';').filter(|p| !p.is_empty()) {
        let (field, want) = part.split_once('=')?;
        let null_matches = field == "customer_class" && want == "ordinary";
        parts.push((program.field_slot(field), want.to_string(), null_matches));
    }
    Some(parts)
}
