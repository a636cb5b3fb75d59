//! Project automation: `cargo xtask ci | tidy | bench | fuzz | docs`.
//!
//! - `tidy` enforces the invariants a reviewer would otherwise have to remember: core
//!   stays pure (no forbidden crates in its dependency closure, no clock, environment or
//!   file access in its source), the engine depends on no store, database or runtime,
//!   and every source file opens with a `//!` comment.
//! - `ci` runs fmt, clippy with `-D warnings`, the tests and tidy, stopping at the first
//!   failure.
//! - `bench` runs the benchmark binaries and prints their tables.
//! - `fuzz --seconds N` runs the importers' bounded randomized test (every row
//!   accounted for, no panic) for N seconds and prints what it ran.
//! - `docs` regenerates `docs/records.md` from core's record declarations.
//! - `faults` runs the fault-injection campaign against the real binary (`faults.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

mod faults;

fn main() -> Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    let root = root()?;
    match task.as_str() {
        "tidy" => tidy(&root),
        "ci" => ci(&root),
        "bench" => bench(&root, std::env::args().skip(2).collect()),
        "fuzz" => fuzz(&root, std::env::args().skip(2).collect()),
        "docs" => {
            let path = root.join("docs/records.md");
            std::fs::write(&path, yardstick_core::records::render_markdown())
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote {}", path.display());
            Ok(())
        }
        "faults" => faults::run(&root, &std::env::args().skip(2).collect::<Vec<_>>()),
        _ => bail!("usage: cargo xtask <tidy|ci|bench|fuzz|docs|faults>"),
    }
}

fn root() -> Result<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    dir.parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent directory")
}

fn run(root: &Path, program: &str, args: &[&str]) -> Result<()> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot start {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed with {status}", args.join(" "));
    }
    Ok(())
}

fn ci(root: &Path) -> Result<()> {
    run(root, "cargo", &["fmt", "--all", "--", "--check"])?;
    run(
        root,
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    run(root, "cargo", &["test", "--workspace"])?;
    tidy(root)
}

/// `cargo xtask fuzz [--seconds N] [--seed S]`: the importers' bounded randomized test
/// (`crates/engine/examples/fuzz_import.rs`), not part of `cargo test`.
fn fuzz(root: &Path, args: Vec<String>) -> Result<()> {
    let mut full = vec![
        "run",
        "--release",
        "-p",
        "yardstick-engine",
        "--example",
        "fuzz_import",
        "--",
    ];
    full.extend(args.iter().map(String::as_str));
    run(root, "cargo", &full)
}

fn bench(root: &Path, args: Vec<String>) -> Result<()> {
    // The server phase runs the real binary, built beside the benchmark's.
    if args.iter().any(|a| a == "--server" || a == "--server-only") {
        run(root, "cargo", &["build", "--release", "-p", "yardstick"])?;
    }
    let mut full = vec!["run", "--release", "-p", "yardstick-bench", "--"];
    full.extend(args.iter().map(String::as_str));
    run(root, "cargo", &full)
}

/// Crates that must never be in core's dependency closure.
const FORBIDDEN_IN_CORE: &[&str] = &[
    "tokio",
    "sqlx",
    "axum",
    "hyper",
    "datafusion",
    "arrow",
    "parquet",
    "reqwest",
    "rusqlite",
];

/// Source patterns that would make core impure.
const IMPURE_PATTERNS: &[&str] = &[
    "std::fs",
    "std::env",
    "std::net",
    "std::process",
    "Utc::now",
    "Local::now",
    "SystemTime",
    "Instant::now",
    "thread::sleep",
    "std::io::stdin",
    "println!",
    "eprintln!",
];

/// Crates that must never be in the default binary's dependency closure: `cargo run`
/// (the quickstart) must not build them. DataFusion lives in `crates/query`, outside
/// `default-members`, until an optional engine feature brings it in.
const FORBIDDEN_IN_DEFAULT_BUILD: &[&str] = &["datafusion", "yardstick-query"];

/// Crates that must never be in the engine's dependency closure (default features): the
/// engine is synchronous and knows no database; the application layer talks to the
/// store. (DataFusion, behind the engine's `datafusion` feature, brings its runtime.)
const FORBIDDEN_IN_ENGINE: &[&str] = &["yardstick-store", "sqlx", "tokio"];

/// The layering (core ← engine ← app ← cli / server; the store beside the engine, under
/// app): crates that a package may not name as a normal dependency of its own. The
/// interfaces reach records and metadata only through the application layer.
const FORBIDDEN_DIRECT: &[(&str, &[&str])] = &[
    (
        "yardstick-store",
        &[
            "yardstick-engine",
            "yardstick-app",
            "yardstick",
            "yardstick-server",
        ],
    ),
    (
        "yardstick-app",
        &["yardstick", "yardstick-server", "axum", "hyper"],
    ),
    ("yardstick", &["yardstick-engine", "yardstick-store"]),
    (
        "yardstick-server",
        &[
            "yardstick-engine",
            "yardstick-store",
            "yardstick",
            "sqlx",
            "parquet",
        ],
    ),
];

/// Names of a package's own normal dependencies (not theirs).
fn direct(root: &Path, package: &str) -> Result<Vec<String>> {
    let out = Command::new("cargo")
        .args([
            "tree", "-p", package, "-e", "normal", "--depth", "1", "--prefix", "none", "--format",
            "{p}",
        ])
        .current_dir(root)
        .output()
        .context("cannot run cargo tree")?;
    if !out.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().next().unwrap_or("").to_owned())
        .collect())
}

/// Names of the crates in the normal-dependency closure of a package.
fn closure(root: &Path, package: &str) -> Result<Vec<String>> {
    let out = Command::new("cargo")
        .args([
            "tree", "-p", package, "-e", "normal", "--prefix", "none", "--format", "{p}",
        ])
        .current_dir(root)
        .output()
        .context("cannot run cargo tree")?;
    if !out.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| line.split_whitespace().next().unwrap_or("").to_owned())
        .collect())
}

fn tidy(root: &Path) -> Result<()> {
    let mut problems = Vec::new();
    for name in closure(root, "yardstick-core")? {
        if FORBIDDEN_IN_CORE.contains(&name.as_str()) {
            problems.push(format!("core depends on `{name}`: core must stay free of runtimes, databases, HTTP and query engines"));
        }
    }
    for name in closure(root, "yardstick-engine")? {
        if FORBIDDEN_IN_ENGINE.contains(&name.as_str()) {
            problems.push(format!("the engine depends on `{name}`: the engine is synchronous and storage-agnostic (manifests come in as values; the application commits)"));
        }
    }
    for (package, forbidden) in FORBIDDEN_DIRECT {
        for name in direct(root, package)? {
            if forbidden.contains(&name.as_str()) {
                problems.push(format!("`{package}` depends on `{name}`: the layers are core ← engine ← app ← cli / server (the store under app); an interface reaches records and metadata only through the application layer"));
            }
        }
    }
    for name in closure(root, "yardstick")? {
        if FORBIDDEN_IN_DEFAULT_BUILD.contains(&name.as_str()) {
            problems.push(format!("the default binary depends on `{name}`: the quickstart build must not compile DataFusion (keep it behind an optional feature)"));
        }
    }
    let mut files = Vec::new();
    for dir in ["crates", "xtask"] {
        collect_rs(&root.join(dir), &mut files)?;
    }
    for file in &files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let rel = file
            .strip_prefix(root)
            .unwrap_or(file)
            .display()
            .to_string();
        if !text.trim_start().starts_with("//!") {
            problems.push(format!(
                "{rel}: does not start with a `//!` comment saying what the file is for"
            ));
        }
        if rel.starts_with("crates/core/src") {
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for pat in IMPURE_PATTERNS {
                    if code.contains(pat) {
                        problems.push(format!("{rel}:{}: `{pat}` in core (core takes time and data as arguments; no I/O)", n + 1));
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        println!(
            "tidy: ok ({} source files checked, core, engine and default-build dependency closures clean, the server reaches data only through the application layer)",
            files.len()
        );
        Ok(())
    } else {
        for p in &problems {
            eprintln!("tidy: {p}");
        }
        bail!("tidy found {} problem(s)", problems.len())
    }
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            collect_rs(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}
