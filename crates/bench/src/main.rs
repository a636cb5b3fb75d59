//! `yardstick-bench` (run by `cargo xtask bench [args]`): Yardstick's speed and memory
//! benchmarks. It generates synthetic records at scale, imports them, computes and
//! evaluates a period, compares the computation with PostgreSQL on the same files, and
//! solves staffing problems; then prints a table (measure, value, target, met) and
//! writes the same numbers as JSON to `target/bench/bench.json`.
//!
//! Measured phases run in child processes (this binary re-executed with `__phase`) so
//! that each peak memory figure belongs to that phase alone. Numbers are reported as
//! measured: the table shows the machine's load average, because other work on a small
//! machine slows every figure.

mod pg;
mod phase;
mod report;
mod server;
mod staffing;
mod synth;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::Datelike;
use serde_json::Value;
use yardstick_core::period::Period;
use yardstick_core::records::RecordKind;

use crate::report::Report;
use crate::synth::Plan;

/// Rows at scale 1 (the targets are stated for these).
const CONTACTS: f64 = 10_000_000.0;
const HALL_TICKETS: f64 = 2_000_000.0;
const WORK_ORDERS: f64 = 1_000_000.0;

const USAGE: &str = "\
usage: cargo xtask bench [--scale F] [--period P] [--seed N] [--staffing N] [--out DIR]
                         [--no-pg] [--pg-runs N] [--eval-runs N] [--no-double] [--keep]

  --scale F      rows relative to 10 M contacts + 2 M hall tickets + 1 M work orders (default 1)
  --period P     period the records cover (default 2025-Q4)
  --seed N       seed of the synthetic data (default 42)
  --staffing N   staffing problems to solve (default 10000)
  --out DIR      output directory (default <workspace>/target/bench)
  --no-pg        skip the PostgreSQL comparison
  --pg-runs N    times the SQL runs; the last run is reported (default 1)
  --eval-runs N  times the evaluation runs (at least 1); the run of median time is
                 reported (default 3)
  --import-runs N  times each file is imported (at least 1), each run but the last
                 into a throwaway data directory; the run of median time is reported,
                 with the highest peak memory of all (default 3)
  --no-double    skip the import of a file twice as large (memory flatness)
  --keep         keep the generated files and data directories
  --server       also run the server phase: about 2,000 sites with a year of records,
                 `yardstick serve` under 50 connections, a bulk import over the API
  --server-only  run the server phase alone
  --server-seconds N  seconds of each server load (default 60)
  --connections N     concurrent connections of the server's API loads (default 50)
  --users N           concurrent people (sessions) of the server's web loads (default 20)
  --server-scale F    rows of the server phase relative to 3 M contacts, 1 M hall
                      tickets, 0.5 M work orders and a 1 M-row bulk import (default 1)";

/// Command-line options.
#[derive(Debug, Clone)]
struct Options {
    scale: f64,
    period: String,
    seed: u64,
    staffing: u64,
    out: PathBuf,
    pg: bool,
    pg_runs: u32,
    eval_runs: u32,
    import_runs: u32,
    double: bool,
    keep: bool,
    server: bool,
    server_only: bool,
    server_opts: server::ServerOptions,
}

fn parse_args(args: &[String]) -> Result<Options> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The workspace root is two levels up; fall back to the crate directory if it moved.
    let root = manifest
        .ancestors()
        .nth(2)
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf);
    let mut o = Options {
        scale: 1.0,
        period: "2025-Q4".into(),
        seed: 42,
        staffing: 10_000,
        out: root.join("target/bench"),
        pg: true,
        pg_runs: 1,
        eval_runs: 3,
        import_runs: 3,
        double: true,
        keep: false,
        server: false,
        server_only: false,
        server_opts: server::ServerOptions::default(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .with_context(|| format!("{name} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--scale" => o.scale = value("--scale")?.parse().context("--scale is a number")?,
            "--period" => o.period = value("--period")?,
            "--seed" => o.seed = value("--seed")?.parse().context("--seed is an integer")?,
            "--staffing" => {
                o.staffing = value("--staffing")?
                    .parse()
                    .context("--staffing is an integer")?;
            }
            "--out" => o.out = PathBuf::from(value("--out")?),
            "--no-pg" => o.pg = false,
            "--pg-runs" => {
                o.pg_runs = value("--pg-runs")?
                    .parse()
                    .context("--pg-runs is an integer")?;
            }
            "--eval-runs" => {
                o.eval_runs = value("--eval-runs")?
                    .parse()
                    .context("--eval-runs is an integer")?;
            }
            "--import-runs" => {
                o.import_runs = value("--import-runs")?
                    .parse()
                    .context("--import-runs is an integer")?;
            }
            "--no-double" => o.double = false,
            "--keep" => o.keep = true,
            "--server" => o.server = true,
            "--server-only" => {
                o.server = true;
                o.server_only = true;
            }
            "--server-seconds" => {
                o.server_opts.seconds = value("--server-seconds")?
                    .parse()
                    .context("--server-seconds is an integer")?;
            }
            "--server-scale" => {
                let f: f64 = value("--server-scale")?
                    .parse()
                    .context("--server-scale is a number")?;
                if !(f.is_finite() && f > 0.0) {
                    bail!("--server-scale must be a positive number");
                }
                let d = server::ServerOptions::default();
                o.server_opts.rows = d.rows.map(|r| rows_at(r as f64, f));
                o.server_opts.bulk_rows = rows_at(d.bulk_rows as f64, f);
            }
            "--connections" => {
                o.server_opts.connections = value("--connections")?
                    .parse()
                    .context("--connections is an integer")?;
            }
            "--users" => {
                o.server_opts.users = value("--users")?.parse().context("--users is an integer")?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    if !(o.scale.is_finite() && o.scale > 0.0) {
        bail!("--scale must be a positive number");
    }
    Ok(o)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("__phase") {
        return phase::run_child(&args[1..]);
    }
    let opts = parse_args(&args)?;
    run(&opts)
}

/// Rows of a kind at a scale.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "row counts are positive and far below 2^53"
)]
fn rows_at(base: f64, scale: f64) -> u64 {
    (base * scale).round() as u64
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// One generated file.
struct DataFile {
    kind: RecordKind,
    path: PathBuf,
    rows: u64,
    bytes: u64,
}

fn run(o: &Options) -> Result<()> {
    let period = Period::parse(&o.period).map_err(|e| anyhow::anyhow!("{e}"))?;
    let days =
        u32::try_from((period.to - period.from).num_days() + 1).context("period too long")?;
    let work = o.out.join("data");
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("cannot clear {}", work.display()))?;
    }
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let mut rep = Report::new(o.scale, &period.label, load_average());
    eprintln!(
        "yardstick-bench: scale {} ({} days of {}), load average {}",
        o.scale,
        days,
        period.label,
        load_average()
    );

    if o.server_only {
        return server_phase(o, &work, rep);
    }
    let plan = Plan::new(period.from, days, o.seed);
    let org_file = work.join("org.toml");
    std::fs::write(&org_file, plan.org_toml()).context("cannot write the organisation")?;
    let files = generate(o, &plan, &work, &mut rep)?;

    let data = work.join("yardstick");
    phase::init_data_dir(&data, &org_file)?;
    let mut imports = Vec::new();
    for f in &files {
        eprintln!("importing {} ({} rows)…", f.kind.as_str(), f.rows);
        imports.push((f.kind, f.rows, import_runs(o, f, &work, &org_file, &data)?));
    }
    rep.imports(&imports);
    if o.double {
        double_import(o, &plan, &work, &org_file, &imports, &mut rep)?;
    }

    eprintln!("computing and evaluating {}…", period.label);
    // Evaluation times on a shared machine vary by a fifth from run to run: the run of
    // median time is reported, with every run's time.
    let runs = (0..o.eval_runs.max(1))
        .map(|_| phase::spawn(&["evaluate", &data.display().to_string(), &period.label]))
        .collect::<Result<Vec<_>>>()?;
    let eval = median_run(runs).context("no evaluation ran")?;
    rep.evaluation(&eval);
    // The common case: one month, with records of the months around it in the store.
    if let Some(month) = inner_month(&period) {
        eprintln!("computing and evaluating {month}…");
        let runs = (0..o.eval_runs.max(1))
            .map(|_| phase::spawn(&["evaluate", &data.display().to_string(), &month]))
            .collect::<Result<Vec<_>>>()?;
        rep.evaluation_month(&month, &median_run(runs).context("no evaluation ran")?);
    }

    if o.pg {
        postgres(
            &plan,
            &files,
            &period,
            &imports,
            &eval,
            o.pg_runs.max(1),
            &mut rep,
        )?;
    } else {
        rep.pg_skipped("skipped (--no-pg)");
    }

    if let Some(base) = files.iter().find(|f| f.kind == RecordKind::Contact) {
        incremental_import(&plan, &work, &data, base.rows, &mut rep)?;
    }

    eprintln!("staffing: {} problems…", o.staffing);
    let s = staffing::run(o.staffing, o.seed)?;
    rep.staffing(&s);
    if o.server {
        return server_phase(o, &work, rep);
    }
    finish(o, &work, rep)
}

/// The server phase, then the report.
fn server_phase(o: &Options, work: &Path, mut rep: Report) -> Result<()> {
    let bin = server::binary()?;
    let s = server::run(
        &server::ServerOptions {
            seed: o.seed,
            keep: o.keep,
            ..o.server_opts.clone()
        },
        &bin,
        &work.join("server"),
    )?;
    rep.server(&s);
    finish(o, work, rep)
}

/// Prints the table, writes the JSON, removes the work unless kept.
fn finish(o: &Options, work: &Path, mut rep: Report) -> Result<()> {
    rep.finish(load_average());
    print!("{}", rep.table());
    let json_path = o.out.join("bench.json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&rep.json)?)
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    println!("\nJSON: {}", json_path.display());
    if !o.keep {
        std::fs::remove_dir_all(work)
            .with_context(|| format!("cannot remove {}", work.display()))?;
    }
    Ok(())
}

/// The whole month after the period's first month (`YYYY-MM`), when the period ends
/// after that month: the records then cover days before and after it.
fn inner_month(period: &Period) -> Option<String> {
    let first = period
        .from
        .with_day(1)?
        .checked_add_months(chrono::Months::new(1))?;
    let last = first
        .checked_add_months(chrono::Months::new(1))?
        .pred_opt()?;
    (period.from < first && last < period.to).then(|| first.format("%Y-%m").to_string())
}

/// Writes the three files, two at a time (the machine has two cores).
fn generate(o: &Options, plan: &Plan, work: &Path, rep: &mut Report) -> Result<Vec<DataFile>> {
    let specs = [
        (RecordKind::Contact, rows_at(CONTACTS, o.scale)),
        (RecordKind::HallTicket, rows_at(HALL_TICKETS, o.scale)),
        (RecordKind::WorkOrder, rows_at(WORK_ORDERS, o.scale)),
    ];
    eprintln!(
        "generating {} contacts, {} hall tickets, {} work orders…",
        specs[0].1, specs[1].1, specs[2].1
    );
    let started = Instant::now();
    let path = |k: RecordKind| work.join(format!("{}.csv", k.as_str()));
    let (first, rest) = std::thread::scope(|s| {
        let a = s.spawn(|| synth::write_kind(plan, specs[0].0, specs[0].1, &path(specs[0].0)));
        let b = s.spawn(|| -> Result<Vec<synth::Written>> {
            specs[1..]
                .iter()
                .map(|(k, n)| synth::write_kind(plan, *k, *n, &path(*k)))
                .collect()
        });
        (a.join(), b.join())
    });
    let first = first.map_err(|_| anyhow::anyhow!("generator thread panicked"))??;
    let rest = rest.map_err(|_| anyhow::anyhow!("generator thread panicked"))??;
    let secs = started.elapsed().as_secs_f64();
    let out: Vec<DataFile> = specs
        .iter()
        .zip(std::iter::once(first).chain(rest))
        .map(|((k, _), w)| DataFile {
            kind: *k,
            path: path(*k),
            rows: w.rows,
            bytes: w.bytes,
        })
        .collect();
    let rows: u64 = out.iter().map(|f| f.rows).sum();
    let bytes: u64 = out.iter().map(|f| f.bytes).sum();
    rep.generation(rows, bytes, secs);
    // Written to disk before any import is timed: the system writing gigabytes back
    // in the background would slow the first import for reasons of its own.
    for f in &out {
        std::fs::File::open(&f.path)
            .and_then(|file| file.sync_all())
            .with_context(|| format!("cannot sync {}", f.path.display()))?;
    }
    Ok(out)
}

/// Imports a contact file twice as large into a fresh data directory, to show whether
/// import memory grows with the file.
fn double_import(
    o: &Options,
    plan: &Plan,
    work: &Path,
    org_file: &Path,
    imports: &[(RecordKind, u64, Value)],
    rep: &mut Report,
) -> Result<()> {
    let Some((_, base_rows, base)) = imports.iter().find(|(k, _, _)| *k == RecordKind::Contact)
    else {
        return Ok(());
    };
    let rows = base_rows * 2;
    let file = work.join("contact-2x.csv");
    eprintln!("generating and importing a contact file twice as large ({rows} rows)…");
    synth::write_kind(plan, RecordKind::Contact, rows, &file)?;
    let dir = work.join("yardstick-2x");
    phase::init_data_dir(&dir, org_file)?;
    let r = phase::spawn(&[
        "import",
        &dir.display().to_string(),
        RecordKind::Contact.as_str(),
        &file.display().to_string(),
    ])?;
    rep.double(*base_rows, base, rows, &r);
    if !o.keep {
        // The doubled copy is only for this measure; free the disk early.
        std::fs::remove_file(&file).ok();
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}

/// Imports a small contact file (1 % of the contacts, other ids) into the store that
/// already holds all of them: the daily case, where duplicate detection must consider
/// every stored row.
fn incremental_import(
    plan: &Plan,
    work: &Path,
    data: &Path,
    base_rows: u64,
    rep: &mut Report,
) -> Result<()> {
    let rows = (base_rows / 100).max(1_000);
    let file = work.join("contact-more.csv");
    eprintln!("importing {rows} more contacts into the store of {base_rows}…");
    synth::write_kind_ids(plan, RecordKind::Contact, rows, 1_000_000_000_000, &file)?;
    let r = phase::spawn(&[
        "import",
        &data.display().to_string(),
        RecordKind::Contact.as_str(),
        &file.display().to_string(),
    ])?;
    rep.incremental(base_rows, rows, &r);
    Ok(())
}

/// Imports a generated file `--import-runs` times: into throwaway data directories, then
/// into `data`. Import times on a shared machine vary by a fifth from run to run, like
/// evaluation times: the run of median time is reported with every run's time, and
/// with the highest peak memory of all runs as `peak_kib_max` (the memory target is a
/// bound).
fn import_runs(
    o: &Options,
    f: &DataFile,
    work: &Path,
    org_file: &Path,
    data: &Path,
) -> Result<Value> {
    let import_into = |dir: &Path| {
        phase::spawn(&[
            "import",
            &dir.display().to_string(),
            f.kind.as_str(),
            &f.path.display().to_string(),
        ])
    };
    let mut runs = Vec::new();
    for _ in 1..o.import_runs.max(1) {
        let scratch = work.join("import-run");
        phase::init_data_dir(&scratch, org_file)?;
        runs.push(import_into(&scratch)?);
        std::fs::remove_dir_all(&scratch)
            .with_context(|| format!("cannot remove {}", scratch.display()))?;
    }
    runs.push(import_into(data)?);
    let peak = runs
        .iter()
        .filter_map(|r| r.get("peak_kib").and_then(Value::as_u64))
        .max();
    let mut chosen = median_run(runs).context("no import ran")?;
    if let (Some(m), Some(peak)) = (chosen.as_object_mut(), peak) {
        m.insert("peak_kib_max".into(), serde_json::json!(peak));
    }
    Ok(chosen)
}

/// The run of median wall time (the lower of the two middle ones for an even count),
/// with `runs_wall_s` added: every run's wall time, in the order they ran.
fn median_run(runs: Vec<Value>) -> Option<Value> {
    let wall = |v: &Value| v.get("wall_s").and_then(Value::as_f64).unwrap_or(f64::NAN);
    let walls: Vec<f64> = runs.iter().map(wall).collect();
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|a, b| walls[*a].total_cmp(&walls[*b]));
    let pick = *order.get(runs.len().saturating_sub(1) / 2)?;
    let mut chosen = runs.into_iter().nth(pick)?;
    if let Some(m) = chosen.as_object_mut() {
        m.insert("runs_wall_s".into(), serde_json::json!(walls));
    }
    Some(chosen)
}

/// The same imports and evaluation with the metadata in PostgreSQL instead of the data
/// directory's SQLite file, once each, reported beside the SQLite figures.
fn metadata_on_postgres(
    server: &pg::Server,
    files: &[DataFile],
    period: &Period,
    imports: &[(RecordKind, u64, Value)],
    eval: &Value,
    rep: &mut Report,
) -> Result<()> {
    eprintln!("metadata in PostgreSQL: importing and evaluating again…");
    server.create_database("yardstick_meta")?;
    let url = server.database_url("yardstick_meta");
    let work = files
        .first()
        .and_then(|f| f.path.parent())
        .context("no generated file")?;
    let data = work.join("yardstick-pg-meta");
    phase::init_data_dir_on(&data, &work.join("org.toml"), Some(&url))?;
    let mut pg_imports = Vec::new();
    for f in files {
        let run = phase::spawn_on(
            &[
                "import",
                &data.display().to_string(),
                f.kind.as_str(),
                &f.path.display().to_string(),
            ],
            Some(&url),
        )?;
        pg_imports.push((f.kind, f.rows, run));
    }
    let pg_eval = phase::spawn_on(
        &["evaluate", &data.display().to_string(), &period.label],
        Some(&url),
    )?;
    rep.metadata_backends(imports, &pg_imports, eval, &pg_eval);
    std::fs::remove_dir_all(&data).with_context(|| format!("cannot remove {}", data.display()))?;
    Ok(())
}

fn postgres(
    plan: &Plan,
    files: &[DataFile],
    period: &Period,
    imports: &[(RecordKind, u64, Value)],
    eval: &Value,
    pg_runs: u32,
    rep: &mut Report,
) -> Result<()> {
    let Some(bins) = pg::find() else {
        rep.pg_skipped("skipped (PostgreSQL not installed)");
        return Ok(());
    };
    eprintln!("PostgreSQL: starting a throwaway server…");
    let server = pg::Server::start(&bins)?;
    let sites: Vec<(String, String, String)> = plan
        .sites
        .iter()
        .map(|s| {
            (
                s.id.clone(),
                "Asia/Shanghai".to_string(),
                s.area.to_string(),
            )
        })
        .collect();
    let to_load: Vec<(RecordKind, PathBuf, String)> = files
        .iter()
        .map(|f| (f.kind, f.path.clone(), synth::header(f.kind).to_string()))
        .collect();
    eprintln!("PostgreSQL: loading with COPY…");
    let loaded = pg::load(&server, &sites, &to_load)?;
    let queries = pg::queries(period);
    let mut runs = Vec::new();
    let mut outputs = Vec::new();
    for run_no in 0..pg_runs {
        eprintln!("PostgreSQL: measure-state queries, run {}…", run_no + 1);
        let mut times = Vec::new();
        outputs.clear();
        for (kind, sql) in &queries {
            let started = Instant::now();
            let out = server.psql(sql)?;
            times.push((kind.as_str().to_string(), started.elapsed().as_secs_f64()));
            outputs.push(out);
        }
        runs.push(times);
    }
    metadata_on_postgres(&server, files, period, imports, eval, rep)?;
    server.shutdown()?;
    let mut sums = std::collections::BTreeMap::new();
    let mut site_days = 0;
    for out in &outputs {
        let (s, n) = pg::column_sums(out);
        sums.extend(s);
        site_days += n;
    }
    let check = report::compare(&sums, eval.get("totals").unwrap_or(&Value::Null));
    rep.pg(&loaded, &runs, site_days, &check, eval);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_of_median_time_is_reported_with_every_time() {
        let run = |wall: f64, tag: &str| serde_json::json!({"wall_s": wall, "tag": tag});
        // Times 5.0, 3.0, 4.0: sorted 3.0 < 4.0 < 5.0, the middle one is the third run.
        let m = median_run(vec![run(5.0, "a"), run(3.0, "b"), run(4.0, "c")]).expect("a run");
        assert_eq!(m["tag"], "c");
        assert_eq!(m["runs_wall_s"], serde_json::json!([5.0, 3.0, 4.0]));
        // Four runs: 2.0 < 6.0 < 7.0 < 9.0, the lower middle one (6.0) is run "y".
        let m = median_run(vec![
            run(9.0, "w"),
            run(2.0, "x"),
            run(6.0, "y"),
            run(7.0, "z"),
        ])
        .expect("a run");
        assert_eq!(m["tag"], "y");
        assert_eq!(
            median_run(vec![run(1.5, "only")]).expect("a run")["tag"],
            "only"
        );
        assert!(median_run(Vec::new()).is_none());
    }

    #[test]
    fn the_inner_month_has_days_of_the_period_on_both_sides() {
        let month = |p: &str| inner_month(&Period::parse(p).expect("period"));
        // October to December: November has October before it and December after.
        assert_eq!(month("2025-Q4").as_deref(), Some("2025-11"));
        // 15 January to 10 March: February, whole, with days either side.
        assert_eq!(month("2026-01-15..2026-03-10").as_deref(), Some("2026-02"));
        // One month, or two, leave no month with days after it.
        assert_eq!(month("2025-10"), None);
        assert_eq!(month("2025-10-01..2025-11-30"), None);
    }

    /// Generated rows are valid: a small data set imports with nothing quarantined and
    /// no column ignored, and every indicator compared with PostgreSQL gets rows.
    #[test]
    fn generated_rows_import_cleanly_and_feed_the_indicators() -> Result<()> {
        let tmp = tempfile::tempdir()?;
        let first = chrono::NaiveDate::from_ymd_opt(2025, 10, 1).context("date")?;
        let plan = Plan::new(first, 3, 7);
        let org = tmp.path().join("org.toml");
        std::fs::write(&org, plan.org_toml())?;
        let data = tmp.path().join("data");
        phase::init_data_dir(&data, &org)?;
        for (kind, rows) in [
            (RecordKind::Contact, 4_000),
            (RecordKind::HallTicket, 2_000),
            (RecordKind::WorkOrder, 3_000),
        ] {
            let file = tmp.path().join(format!("{}.csv", kind.as_str()));
            let written = synth::write_kind(&plan, kind, rows, &file)?;
            assert_eq!(written.rows, rows);
            let r = phase::child_import(&data, kind.as_str(), &file)?;
            assert_eq!(r["rows_read"], rows, "{kind:?}");
            assert_eq!(r["rows_quarantined"], 0, "{kind:?}: {}", r["reasons"]);
            assert_eq!(r["ignored_columns"], serde_json::json!([]), "{kind:?}");
        }
        let e = phase::child_evaluate(&data, "2025-10-01..2025-10-03")?;
        for ind in phase::CHECKED {
            let n = e["totals"][*ind]["n"].as_u64().unwrap_or(0);
            assert!(n > 0, "{ind} has no rows");
        }
        assert_eq!(e["sites"], 45);
        Ok(())
    }
}
