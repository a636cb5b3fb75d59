//! Equivalence with core's reference semantics: for every record kind the default
//! guideline uses, pseudo-random prepared rows (NULLs, values on thresholds, rounding
//! edges, negative, too large and a few non-finite values) give exactly the states and
//! problems that `observe` row by row gives, for every indicator and stratum.

mod common;

use yardstick_core::guideline::{Indicator, default_guideline};
use yardstick_core::records::RecordKind;
use yardstick_query::{Options, kind_states, kind_states_with};

async fn compare_kind(kind: RecordKind, rows: usize, seed: u64, options: Options) {
    compare_kind_with(kind, rows, seed, options, &[]).await;
}

/// Compares for the indicators of `kind` with their default strata plus `extra`.
async fn compare_kind_with(
    kind: RecordKind,
    rows: usize,
    seed: u64,
    options: Options,
    extra: &[&str],
) {
    let g = default_guideline().expect("default guideline loads");
    let indicators: Vec<&Indicator> = g.indicators.iter().filter(|i| i.kind == kind).collect();
    assert!(!indicators.is_empty(), "no indicator of {}", kind.as_str());
    let strata: Vec<Vec<String>> = indicators
        .iter()
        .map(|i| {
            let mut s = common::strata_of(&g, &i.id);
            s.extend(extra.iter().map(|e| (*e).to_owned()));
            s
        })
        .collect();
    let batches = common::batches(kind, rows, seed, 3);
    let want = common::reference(&indicators, &strata, &batches);
    let got = kind_states_with(&options, &indicators, &strata, batches)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", kind.as_str()));
    common::assert_same(kind.as_str(), &got, &want, &indicators);
    // The data must exercise the states, not just agree on nothing.
    assert!(
        want.states.len() >= indicators.len(),
        "{}: only {} states",
        kind.as_str(),
        want.states.len()
    );
}

fn options(partitions: usize) -> Options {
    Options {
        target_partitions: partitions,
        ..Options::default()
    }
}

#[tokio::test]
async fn hall_tickets() {
    compare_kind(RecordKind::HallTicket, 400, 1, options(1)).await;
}

#[tokio::test]
async fn contacts() {
    compare_kind(RecordKind::Contact, 500, 2, options(2)).await;
}

#[tokio::test]
async fn work_orders() {
    compare_kind(RecordKind::WorkOrder, 1500, 3, options(3)).await;
}

#[tokio::test]
async fn complaints() {
    compare_kind(RecordKind::Complaint, 400, 4, options(2)).await;
}

#[tokio::test]
async fn surveys() {
    compare_kind(RecordKind::Survey, 300, 5, options(1)).await;
}

#[tokio::test]
async fn agent_intervals() {
    compare_kind(RecordKind::AgentInterval, 300, 6, options(2)).await;
}

#[tokio::test]
async fn several_seeds_for_every_kind() {
    for seed in 10..16 {
        for kind in [
            RecordKind::HallTicket,
            RecordKind::Contact,
            RecordKind::WorkOrder,
            RecordKind::Complaint,
            RecordKind::Survey,
            RecordKind::AgentInterval,
        ] {
            compare_kind(kind, 300, seed, options(2)).await;
        }
    }
}

#[tokio::test]
async fn strata_beyond_the_default_targets() {
    // A missing customer class is `ordinary`; kinds without the field see it missing on
    // every row; a part without `=` matches nothing.
    let extra = [
        "customer_class=ordinary",
        "customer_class=vip",
        "service=broadband",
        "customer_class=ordinary;service=mobile",
        "service=broadband;",
        "customer_class",
    ];
    for (seed, kind) in [
        RecordKind::HallTicket,
        RecordKind::Contact,
        RecordKind::WorkOrder,
        RecordKind::Complaint,
    ]
    .into_iter()
    .enumerate()
    {
        compare_kind_with(kind, 600, 40 + seed as u64, options(2), &extra).await;
    }
}

#[tokio::test]
async fn the_default_guideline_uses_these_kinds() {
    let g = default_guideline().expect("default guideline loads");
    for ind in &g.indicators {
        assert!(
            matches!(
                ind.kind,
                RecordKind::HallTicket
                    | RecordKind::Contact
                    | RecordKind::WorkOrder
                    | RecordKind::Complaint
                    | RecordKind::Survey
                    | RecordKind::AgentInterval
            ),
            "{} uses {}, which these tests do not generate",
            ind.id,
            ind.kind.as_str()
        );
    }
}

#[tokio::test]
async fn no_rows_and_no_indicators_give_nothing() {
    let g = default_guideline().expect("default guideline loads");
    let indicators: Vec<&Indicator> = g
        .indicators
        .iter()
        .filter(|i| i.kind == RecordKind::Survey)
        .collect();
    let strata: Vec<Vec<String>> = indicators.iter().map(|_| vec![String::new()]).collect();
    let empty = common::batches(RecordKind::Survey, 0, 1, 1);
    let got = kind_states(&indicators, &strata, empty)
        .await
        .expect("no rows is fine");
    assert!(got.states.is_empty() && got.problems.is_empty());
    let some = common::batches(RecordKind::Survey, 10, 1, 1);
    let got = kind_states(&[], &[], some)
        .await
        .expect("no indicators is fine");
    assert!(got.states.is_empty() && got.problems.is_empty());
}
