//! `yardstick evaluate --engine`: the default binary refuses `datafusion` with exit code 2
//! and says how to get it; a binary built with `--features datafusion` prints exactly the
//! same evaluation from either engine (same states, so the same bytes).

mod common;

use std::path::PathBuf;

use common::{Env, s};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/fixtures/indicators")
}

/// A data directory holding the indicator fixtures of the engine's tests.
fn loaded() -> Env {
    let env = Env::empty();
    env.ok(&["init"]);
    env.ok(&["org", "import", s(&fixtures().join("org.toml"))]);
    for kind in [
        "hall_ticket",
        "contact",
        "work_order",
        "complaint",
        "survey",
    ] {
        env.ok(&["ingest", kind, s(&fixtures().join(format!("{kind}.csv")))]);
    }
    env
}

#[cfg(not(feature = "datafusion"))]
#[test]
fn the_default_binary_refuses_datafusion_and_says_how_to_get_it() {
    let env = loaded();
    let err = env
        .run(&["evaluate", "--period", "2026-03", "--engine", "datafusion"])
        .code(2)
        .stderr;
    assert!(err.contains("built without DataFusion"), "{err}");
    assert!(err.contains("--features datafusion"), "{err}");
    // The default engine evaluates the same data.
    let table = env.ok(&["evaluate", "--period", "2026-03"]);
    assert!(table.contains("hall-1"), "{table}");
}

#[cfg(feature = "datafusion")]
#[test]
fn both_engines_print_the_same_evaluation() {
    let env = loaded();
    let native = env.ok(&["evaluate", "--period", "2026-03", "--format", "json"]);
    let df = env.ok(&[
        "evaluate",
        "--period",
        "2026-03",
        "--format",
        "json",
        "--engine",
        "datafusion",
    ]);
    assert!(native.contains("\"hall-1\""), "{native}");
    assert_eq!(native, df);
}
