//! `yardstick evaluate --engine`: the default binary refuses `datafusion` with exit code 2
//! and says how to get it; a binary built with `--features datafusion` prints exactly the
//! same evaluation from either engine (same states, so the same bytes).

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/fixtures/indicators")
}

fn run(data: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yardstick"))
        .arg("--data-dir")
        .arg(data)
        .args(["--lang", "en"])
        .args(args)
        .output()
        .expect("yardstick runs")
}

fn ok(data: &std::path::Path, args: &[&str]) -> String {
    let out = run(data, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A data directory holding the indicator fixtures of the engine's tests.
fn loaded() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    ok(&data, &["init"]);
    let org = fixtures().join("org.toml");
    ok(&data, &["org", "import", org.to_str().expect("UTF-8 path")]);
    for kind in [
        "hall_ticket",
        "contact",
        "work_order",
        "complaint",
        "survey",
    ] {
        let file = fixtures().join(format!("{kind}.csv"));
        ok(&data, &["ingest", kind, file.to_str().expect("UTF-8 path")]);
    }
    (tmp, data)
}

#[cfg(not(feature = "datafusion"))]
#[test]
fn the_default_binary_refuses_datafusion_and_says_how_to_get_it() {
    let (_tmp, data) = loaded();
    let out = run(
        &data,
        &["evaluate", "--period", "2026-03", "--engine", "datafusion"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("built without DataFusion"), "{err}");
    assert!(err.contains("--features datafusion"), "{err}");
    // The default engine evaluates the same data.
    let table = ok(&data, &["evaluate", "--period", "2026-03"]);
    assert!(table.contains("hall-1"), "{table}");
}

#[cfg(feature = "datafusion")]
#[test]
fn both_engines_print_the_same_evaluation() {
    let (_tmp, data) = loaded();
    let native = ok(
        &data,
        &["evaluate", "--period", "2026-03", "--format", "json"],
    );
    let df = ok(
        &data,
        &[
            "evaluate",
            "--period",
            "2026-03",
            "--format",
            "json",
            "--engine",
            "datafusion",
        ],
    );
    assert!(native.contains("\"hall-1\""), "{native}");
    assert_eq!(native, df);
}
