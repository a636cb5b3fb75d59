//! Quickstart's flow through the application layer on each metadata backend: init, the
//! demo organisation, every demo record kind ingested, the last full month evaluated and
//! frozen, drill-down, records statistics and a site's demand series; the evaluation's
//! JSON is the same bytes on SQLite and PostgreSQL, and the frozen bytes read back are
//! the bytes computed. Then `quickstart` itself: every evaluation it freezes verifies.

mod common;

use std::sync::Arc;

use common::{TestWorkspace, demo_config, generate_demo, import_demo_org, ingest, request};
use yardstick_app::evaluate::GuidelineChoice;
use yardstick_app::ingest::IngestOutcome;
use yardstick_app::{Actor, Cancel, Quiet};
use yardstick_core::planning::IntervalLen;
use yardstick_core::records::RecordKind;
use yardstick_demo::{DemoSummary, RECORD_KINDS};
use yardstick_engine::import::ImportStatus;

/// What one backend's run of the flow gave, to compare across backends.
struct Outcome {
    evaluation_json: String,
    drilled: Vec<f64>,
    arrivals: u64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_flow_works_on_each_backend_with_the_same_bytes() {
    let demo_dir = tempfile::tempdir().expect("temp dir");
    let summary = generate_demo(demo_dir.path());
    let mut outcomes = Vec::new();
    for tw in common::workspaces().await {
        outcomes.push((tw.backend, flow(&tw, demo_dir.path(), &summary).await));
    }
    if let [(_, sqlite), (_, postgres)] = outcomes.as_slice() {
        assert!(
            sqlite.evaluation_json == postgres.evaluation_json,
            "the evaluation JSON differs between SQLite and PostgreSQL"
        );
        assert_eq!(sqlite.drilled, postgres.drilled);
        assert_eq!(sqlite.arrivals, postgres.arrivals);
    }
}

async fn flow(tw: &TestWorkspace, demo: &std::path::Path, summary: &DemoSummary) -> Outcome {
    let ws = &tw.ws;
    let system = Actor::System;
    import_demo_org(ws, demo).await;
    assert_eq!(
        ws.organisation(&system).await.expect("org").sites.len(),
        summary.sites
    );

    // Every kind: every row stored, none quarantined, batch ids increasing.
    let mut last_batch = 0;
    for kind in RECORD_KINDS {
        let k = RecordKind::parse(kind).expect("a record kind");
        let report = ingest(ws, k, &demo.join(format!("{kind}.csv")), false)
            .await
            .unwrap_or_else(|e| panic!("{tw:?}: ingest {kind}: {e}"));
        let rows = summary.rows(kind).expect("rows written");
        assert_eq!(report.status, ImportStatus::Committed, "{tw:?} {kind}");
        assert_eq!(IngestOutcome::of(&report), IngestOutcome::Stored);
        assert_eq!(
            (
                report.rows_read,
                report.rows_stored,
                report.rows_quarantined
            ),
            (rows, rows, 0),
            "{tw:?} {kind}"
        );
        let batch = report.batch.expect("a batch id");
        assert!(batch > last_batch, "{tw:?}: batch ids increase");
        last_batch = batch;
    }

    // Evaluate October and freeze it.
    let evaluated = common::evaluate(ws, &system, request("2026-10", None, true))
        .await
        .unwrap_or_else(|e| panic!("{tw:?}: evaluate: {e}"));
    let id = evaluated.id.expect("frozen");
    let ev = &evaluated.evaluation;
    assert_eq!(ev.sites.len(), summary.sites, "{tw:?}");
    assert_eq!(ev.scope, "yuanda", "{tw:?}: the whole organisation");
    // The weak sites rank in the bottom half of their peer groups (the demo's story).
    for site in ["hz-h02", "cd-h02", "nb-c01", "my-f02"] {
        let s = ev.sites.iter().find(|s| s.site == site).expect("site");
        let rank = s.rank.unwrap_or_else(|| panic!("{site} ranked"));
        assert!(
            2 * rank > s.peers,
            "{tw:?}: {site} ranks {rank}/{}",
            s.peers
        );
    }
    let json = serde_json::to_string(ev).expect("json");

    // Read back: the frozen bytes are the bytes computed, and they read back as the type.
    let frozen = ws.frozen_evaluation(&system, id).await.expect("frozen");
    assert!(frozen.json == json, "{tw:?}: frozen bytes differ");
    assert_eq!(&*frozen.evaluation, ev);
    let listed = ws.evaluations(&system).await.expect("list");
    assert_eq!(listed.len(), 1);
    let info = &listed[0];
    assert_eq!((info.id, info.period.as_str()), (id, "2026-10"));
    assert_eq!(info.batch_watermark, Some(last_batch), "{tw:?}");
    assert_eq!(info.guideline_fingerprint, ev.guideline_fingerprint);
    assert!(info.org_fingerprint.is_some());
    let verified = ws
        .verify_evaluation(&system, id, &Cancel::new())
        .await
        .expect("verify");
    assert!(verified.equal, "{tw:?}: {:?}", verified.first_difference);

    // Drill-down: the exact hours behind IM-05 (mean repair hours) at my-f02, whose
    // mean is the evaluation's figure (the evaluation sums in thousandths of an hour).
    let drilled = ws
        .drill(
            &system,
            common::period("2026-10"),
            "my-f02",
            "IM-05",
            &GuidelineChoice::Builtin,
            &Cancel::new(),
        )
        .await
        .expect("drill");
    assert!(!drilled.values.is_empty(), "{tw:?}");
    assert_eq!(drilled.population, drilled.values.len() as u64);
    assert!(drilled.values.is_sorted());
    let mean = drilled.mean().expect("a mean");
    let figure = common::line_value(ev, "my-f02", "IM-05");
    assert!(
        (mean - figure).abs() < 0.001,
        "{tw:?}: drill mean {mean} vs evaluation {figure}"
    );
    // Records statistics: seven batches, every row live.
    let stats = ws.record_stats(&system).await.expect("stats");
    assert_eq!(stats.batches.len(), RECORD_KINDS.len());
    for kind in RECORD_KINDS {
        let rows = stats.kinds.get(kind).expect("kind counted");
        let written = summary.rows(kind).expect("rows");
        assert_eq!(
            (rows.stored, rows.superseded, rows.live),
            (written, 0, written),
            "{tw:?} {kind}"
        );
    }

    // The demand series of my-f02 over October: every work order of the site is an
    // arrival or skipped with a reason, none lost.
    let (site, series) = ws
        .site_series(
            &system,
            "my-f02",
            (common::date(2026, 10, 1), common::date(2026, 10, 31)),
            IntervalLen::MIN_60,
            &Cancel::new(),
        )
        .await
        .expect("series");
    assert_eq!(site.id, "my-f02");
    let csv = std::fs::read_to_string(demo.join("work_order.csv")).expect("orders");
    let of_site = csv.lines().filter(|l| l.starts_with("my-f02,")).count() as u64;
    assert!(series.arrivals > 0);
    assert_eq!(
        series.arrivals + series.skipped.values().sum::<u64>(),
        of_site,
        "{tw:?}: {:?}",
        series.skipped
    );
    Outcome {
        evaluation_json: json,
        drilled: drilled.values,
        arrivals: series.arrivals,
    }
}

/// `quickstart` itself on each backend: every evaluation it freezes verifies equal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_evaluation_quickstart_freezes_verifies_equal() {
    for tw in common::workspaces().await {
        // Quickstart makes its own data directory: a fresh folder next to the harness's.
        let mut config = tw.config.clone();
        config.data_dir = tw.input().join("quickstart");
        // The last week of October: quickstart evaluates and freezes October.
        let done = yardstick_app::demo::quickstart(
            &config,
            demo_config(7),
            Arc::new(Quiet),
            &Cancel::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("{tw:?}: quickstart: {e}"));
        assert_eq!(done.reports.len(), RECORD_KINDS.len());
        let ws = &done.workspace;
        let frozen = ws.evaluations(&Actor::System).await.expect("list");
        assert!(!frozen.is_empty(), "{tw:?}: quickstart freezes");
        assert_eq!(frozen[0].id, done.evaluated.id.expect("frozen"));
        assert_eq!(frozen[0].period, "2026-10");
        for info in &frozen {
            let v = ws
                .verify_evaluation(&Actor::System, info.id, &Cancel::new())
                .await
                .expect("verify");
            assert!(v.equal, "{tw:?}: {} {:?}", info.id, v.first_difference);
            assert_eq!(v.recomputed_input_fingerprint, info.input_fingerprint);
        }
    }
}
