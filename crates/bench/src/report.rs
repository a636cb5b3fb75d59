//! The benchmark report: one table row per measure (value, the target, whether
//! it is met) and the same numbers as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value, json};
use yardstick_core::records::RecordKind;

use crate::pg::{COMPUTED, Loaded};
use crate::server::ServerRun;
use crate::staffing::StaffingRun;

/// The targets.
const IMPORT_ROWS_PER_S: f64 = 1_000_000.0;
const EVALUATION_S: f64 = 3.0;
const PG_SPEEDUP: f64 = 5.0;
const IMPORT_PEAK_MIB: f64 = 512.0;
/// The server phase's targets.
const SERVER_P95_INDICATOR_MS: f64 = 20.0;
const SERVER_P95_EVALUATION_MS: f64 = 50.0;
/// Web pages under 20 people: the overview, a site page, a drill-down's first page (ms).
const WEB_P95_OVERVIEW_MS: f64 = 150.0;
const WEB_P95_SITE_MS: f64 = 50.0;
const WEB_P95_DRILL_MS: f64 = 100.0;
const SERVER_PEAK_MIB: f64 = 512.0;
const SERVER_BULK_RATIO: f64 = 0.8;
/// Peak memory may grow this much for twice the rows and still count as flat.
const FLAT_GROWTH: f64 = 1.1;

/// Whether a target is met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Met {
    Yes,
    No,
    /// No target, or it cannot be judged at this scale.
    NotApplicable,
}

impl Met {
    fn of(ok: bool) -> Met {
        if ok { Met::Yes } else { Met::No }
    }
    fn text(self) -> &'static str {
        match self {
            Met::Yes => "met",
            Met::No => "NOT met",
            Met::NotApplicable => "—",
        }
    }
}

struct Line {
    measure: String,
    value: String,
    target: String,
    met: Met,
    notes: String,
}

/// The report under construction.
pub struct Report {
    scale: f64,
    lines: Vec<Line>,
    /// Everything measured, as JSON.
    pub json: Value,
    import_peaks_mib: Vec<f64>,
}

fn f(v: &Value, key: &str) -> f64 {
    v.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

fn u(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// "; median of N runs (a, b, c s)" when the evaluation ran more than once, else "".
fn runs_note(e: &Value) -> String {
    let walls: Vec<f64> = e
        .get("runs_wall_s")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    if walls.len() < 2 {
        return String::new();
    }
    let list: Vec<String> = walls.iter().map(|w| format!("{w:.2}")).collect();
    format!("; median of {} runs ({} s)", walls.len(), list.join(", "))
}

/// Integer with thousands separators.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "rates and sizes are positive and far below 2^53"
)]
fn round(x: f64) -> u64 {
    x.max(0.0).round() as u64
}

#[allow(clippy::cast_precision_loss, reason = "KiB counts are far below 2^53")]
fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[allow(clippy::cast_precision_loss, reason = "row counts are far below 2^53")]
fn per_s(rows: u64, secs: f64) -> f64 {
    if secs > 0.0 { rows as f64 / secs } else { 0.0 }
}

impl Report {
    /// A report for a run at `scale` over `period`.
    #[must_use]
    pub fn new(scale: f64, period: &str, load: String) -> Report {
        Report {
            scale,
            lines: Vec::new(),
            json: json!({
                "scale": scale,
                "period": period,
                "load_average_start": load,
                "machine": machine(),
            }),
            import_peaks_mib: Vec::new(),
        }
    }

    fn set(&mut self, key: &str, v: Value) {
        if let Some(m) = self.json.as_object_mut() {
            m.insert(key.to_string(), v);
        }
    }

    fn line(&mut self, measure: String, value: String, target: &str, met: Met, notes: String) {
        self.lines.push(Line {
            measure,
            value,
            target: target.to_string(),
            met,
            notes,
        });
    }

    /// Records the data generation.
    pub fn generation(&mut self, rows: u64, bytes: u64, secs: f64) {
        #[allow(clippy::cast_precision_loss, reason = "file sizes are far below 2^53")]
        let gb = bytes as f64 / 1e9;
        self.line(
            "data generated (CSV)".into(),
            format!("{} rows, {gb:.2} GB", thousands(rows)),
            "",
            Met::NotApplicable,
            format!(
                "{secs:.1} s, {} rows/s",
                thousands(round(per_s(rows, secs)))
            ),
        );
        self.set(
            "generation",
            json!({"rows": rows, "bytes": bytes, "seconds": secs}),
        );
    }

    /// Records the import of each kind.
    pub fn imports(&mut self, imports: &[(RecordKind, u64, Value)]) {
        let mut all = Map::new();
        for (kind, rows, r) in imports {
            let rate = per_s(*rows, f(r, "wall_s"));
            let quarantined = u(r, "rows_quarantined");
            self.line(
                format!("import {}", kind.as_str()),
                format!("{} rows/s", thousands(round(rate))),
                "≥ 1,000,000 rows/s",
                Met::of(rate >= IMPORT_ROWS_PER_S),
                format!(
                    "{} rows in {:.1} s (CPU {:.1} s); {} quarantined{}",
                    thousands(*rows),
                    f(r, "wall_s"),
                    f(r, "cpu_s"),
                    thousands(quarantined),
                    runs_note(r)
                ),
            );
            let mut r = r.clone();
            if let Some(m) = r.as_object_mut() {
                m.insert("rows_per_s".into(), json!(rate));
            }
            all.insert(kind.as_str().to_string(), r);
        }
        for (kind, rows, r) in imports {
            // The highest of the runs when there were several.
            let peak = mib(u(r, "peak_kib_max").max(u(r, "peak_kib")));
            self.import_peaks_mib.push(peak);
            self.line(
                format!(
                    "import peak memory, {} ({} rows)",
                    kind.as_str(),
                    short(*rows)
                ),
                format!("{peak:.0} MiB"),
                "< 512 MiB",
                Met::of(peak < IMPORT_PEAK_MIB),
                "VmHWM of the import process (the highest of its runs)".into(),
            );
        }
        self.set("import", Value::Object(all));
    }

    /// Records the import of the file twice as large.
    pub fn double(&mut self, base_rows: u64, base: &Value, rows: u64, r: &Value) {
        let (a, b) = (mib(u(base, "peak_kib")), mib(u(r, "peak_kib")));
        let growth = if a > 0.0 { b / a } else { 0.0 };
        let flat = growth <= FLAT_GROWTH;
        let all_below =
            b < IMPORT_PEAK_MIB && self.import_peaks_mib.iter().all(|p| *p < IMPORT_PEAK_MIB);
        let rate = per_s(rows, f(r, "wall_s"));
        self.line(
            format!("import peak memory, contact ({} rows, 2×)", short(rows)),
            format!("{b:.0} MiB ({growth:.2}× the {} file)", short(base_rows)),
            "< 512 MiB for any size",
            Met::of(flat && all_below),
            format!(
                "{}; {} rows/s; {} quarantined",
                if flat { "flat" } else { "grows with the file" },
                thousands(round(rate)),
                thousands(u(r, "rows_quarantined"))
            ),
        );
        let mut r = r.clone();
        if let Some(m) = r.as_object_mut() {
            m.insert("rows".into(), json!(rows));
            m.insert("growth_vs_base".into(), json!(growth));
            m.insert("flat".into(), json!(flat));
        }
        self.set("import_double", r);
    }

    /// Records the import of a small file into a store that already holds `stored` rows
    /// of its kind.
    pub fn incremental(&mut self, stored: u64, rows: u64, r: &Value) {
        let rate = per_s(rows, f(r, "wall_s"));
        let peak = mib(u(r, "peak_kib"));
        self.line(
            format!(
                "import contact, {} rows into a store of {}",
                short(rows),
                short(stored)
            ),
            format!("{} rows/s; peak {peak:.0} MiB", thousands(round(rate))),
            "≥ 1,000,000 rows/s; < 512 MiB",
            Met::of(rate >= IMPORT_ROWS_PER_S && peak < IMPORT_PEAK_MIB),
            format!(
                "{:.1} s (CPU {:.1} s); {} quarantined",
                f(r, "wall_s"),
                f(r, "cpu_s"),
                thousands(u(r, "rows_quarantined"))
            ),
        );
        let mut r = r.clone();
        if let Some(m) = r.as_object_mut() {
            m.insert("rows".into(), json!(rows));
            m.insert("stored_before".into(), json!(stored));
            m.insert("rows_per_s".into(), json!(rate));
        }
        self.set("import_incremental", r);
    }

    /// Records the evaluation phase.
    pub fn evaluation(&mut self, e: &Value) {
        let wall = f(e, "wall_s");
        let scanned: u64 = e
            .get("rows_scanned")
            .and_then(Value::as_object)
            .map_or(0, |m| m.values().filter_map(Value::as_u64).sum());
        let met = if wall <= EVALUATION_S && self.scale >= 1.0 {
            Met::Yes
        } else if wall > EVALUATION_S && self.scale <= 1.0 {
            Met::No
        } else {
            Met::NotApplicable
        };
        self.line(
            "evaluation (compute + evaluate)".into(),
            format!("{wall:.2} s"),
            "≤ 3 s at 10 M + 2 M + 1 M rows",
            met,
            format!(
                "compute {:.2} s (CPU {:.1} s), evaluate {:.2} s; {} sites, {} with a total{}",
                f(e, "compute_s"),
                f(e, "cpu_compute_s"),
                f(e, "evaluate_s"),
                u(e, "sites"),
                u(e, "sites_with_total"),
                runs_note(e)
            ),
        );
        let problems: u64 = e
            .get("row_problems")
            .and_then(Value::as_object)
            .map_or(0, |m| m.values().filter_map(Value::as_u64).sum());
        self.line(
            "evaluation throughput".into(),
            format!("{} rows/s", thousands(round(per_s(scanned, wall)))),
            "",
            Met::NotApplicable,
            format!(
                "{} rows scanned; {} daily states; {} row problems",
                thousands(scanned),
                thousands(u(e, "daily_states")),
                thousands(problems)
            ),
        );
        self.line(
            "evaluation peak memory".into(),
            format!("{:.0} MiB", mib(u(e, "peak_kib"))),
            "",
            Met::NotApplicable,
            "VmHWM of the evaluation process".into(),
        );
        let mut e = e.clone();
        if let Some(m) = e.as_object_mut() {
            m.insert("rows_per_s".into(), json!(per_s(scanned, wall)));
        }
        self.set("evaluation", e);
    }

    /// Records the evaluation of one month inside the period.
    pub fn evaluation_month(&mut self, month: &str, e: &Value) {
        let scanned: u64 = e
            .get("rows_scanned")
            .and_then(Value::as_object)
            .map_or(0, |m| m.values().filter_map(Value::as_u64).sum());
        self.line(
            format!("evaluation, one month ({month})"),
            format!("{:.2} s", f(e, "wall_s")),
            "",
            Met::NotApplicable,
            format!(
                "compute {:.2} s (CPU {:.1} s); {} rows of the month among the store's, \
                 whose row groups outside it are skipped{}",
                f(e, "compute_s"),
                f(e, "cpu_compute_s"),
                thousands(scanned),
                runs_note(e)
            ),
        );
        self.set("evaluation_month", e.clone());
    }

    /// Records that the PostgreSQL comparison did not run.
    pub fn pg_skipped(&mut self, why: &str) {
        self.line(
            "PostgreSQL comparison".into(),
            why.into(),
            "≥ 5× faster",
            Met::NotApplicable,
            String::new(),
        );
        self.set("postgresql", json!({"skipped": why}));
    }

    /// Records the PostgreSQL comparison.
    pub fn pg(
        &mut self,
        loaded: &Loaded,
        runs: &[Vec<(String, f64)>],
        site_days: u64,
        check: &Check,
        eval: &Value,
    ) {
        let copy: f64 = loaded.copy_s.values().sum();
        self.line(
            "PostgreSQL load (COPY; not in the ratio)".into(),
            format!("{copy:.1} s"),
            "",
            Met::NotApplicable,
            format!(
                "{}; indexes + VACUUM ANALYZE {:.1} s",
                loaded
                    .copy_s
                    .iter()
                    .map(|(k, s)| format!("{k} {s:.1} s"))
                    .collect::<Vec<_>>()
                    .join(", "),
                loaded.index_analyze_s
            ),
        );
        let total = |r: &Vec<(String, f64)>| r.iter().map(|(_, s)| s).sum::<f64>();
        let first = runs.first().map_or(0.0, total);
        let warm = runs.last().map_or(0.0, total);
        self.line(
            "PostgreSQL measure-state queries".into(),
            format!("{warm:.2} s"),
            "",
            Met::NotApplicable,
            format!(
                "last of {} run(s) ({}); first run {first:.2} s; {} site-days",
                runs.len(),
                runs.last()
                    .map(|r| {
                        r.iter()
                            .map(|(k, s)| format!("{k} {s:.2} s"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default(),
                thousands(site_days)
            ),
        );
        let ys = f(eval, "wall_s");
        let ratio = if warm > 0.0 { ys / warm } else { 0.0 };
        let faster = if ratio < 1.0 {
            format!("Yardstick {:.1}× faster", 1.0 / ratio.max(1e-9))
        } else {
            format!("PostgreSQL {ratio:.1}× faster")
        };
        self.line(
            "Yardstick ÷ PostgreSQL time".into(),
            format!("{ratio:.2} ({faster})"),
            "≤ 0.20 (≥ 5× faster)",
            Met::of(ratio > 0.0 && ratio <= 1.0 / PG_SPEEDUP),
            format!("Yardstick computes every indicator; SQL: {COMPUTED}"),
        );
        self.line(
            "same measure states in both".into(),
            format!("{} of {} sums equal", check.equal, check.total),
            "all equal",
            Met::of(check.equal == check.total && check.total > 0),
            if check.differences.is_empty() {
                "totals over all site-days of n, hits, sums and service-level classes".into()
            } else {
                format!("differ: {}", check.differences.join("; "))
            },
        );
        self.set(
            "postgresql",
            json!({
                "copy_s": loaded.copy_s,
                "index_analyze_s": loaded.index_analyze_s,
                "runs": runs.iter().map(|r| r.iter().cloned().collect::<BTreeMap<_, _>>()).collect::<Vec<_>>(),
                "query_s_first": first,
                "query_s": warm,
                "yardstick_s": ys,
                "ratio_yardstick_over_pg": ratio,
                "site_days": site_days,
                "indicators": COMPUTED,
                "check": {"equal": check.equal, "total": check.total, "differences": check.differences},
            }),
        );
    }

    /// Records the imports and the evaluation run with the metadata in PostgreSQL, beside
    /// the same with SQLite (the default).
    pub fn metadata_backends(
        &mut self,
        sqlite: &[(RecordKind, u64, Value)],
        postgres: &[(RecordKind, u64, Value)],
        sqlite_eval: &Value,
        pg_eval: &Value,
    ) {
        let mut json = Map::new();
        for ((kind, rows, s), (_, _, p)) in sqlite.iter().zip(postgres) {
            let (rs, rp) = (per_s(*rows, f(s, "wall_s")), per_s(*rows, f(p, "wall_s")));
            self.line(
                format!(
                    "import {} rows/s: SQLite | PostgreSQL metadata",
                    kind.as_str()
                ),
                format!("{} | {}", thousands(round(rs)), thousands(round(rp))),
                "",
                Met::NotApplicable,
                format!(
                    "PostgreSQL ÷ SQLite time {:.3}; one PostgreSQL run against the SQLite median",
                    if f(s, "wall_s") > 0.0 {
                        f(p, "wall_s") / f(s, "wall_s")
                    } else {
                        0.0
                    }
                ),
            );
            json.insert(
                kind.as_str().to_string(),
                json!({"sqlite_rows_per_s": rs, "postgres_rows_per_s": rp}),
            );
        }
        let (es, ep) = (f(sqlite_eval, "wall_s"), f(pg_eval, "wall_s"));
        self.line(
            "evaluation s: SQLite | PostgreSQL metadata".into(),
            format!("{es:.2} | {ep:.2}"),
            "",
            Met::NotApplicable,
            "the records are the same Parquet files; only the manifest's database differs".into(),
        );
        json.insert(
            "evaluation".into(),
            json!({"sqlite_s": es, "postgres_s": ep}),
        );
        self.set("metadata_backends", Value::Object(json));
    }

    /// Records the staffing run.
    pub fn staffing(&mut self, s: &StaffingRun) {
        let rate = if s.total_s > 0.0 {
            per_s(s.problems, s.total_s)
        } else {
            0.0
        };
        self.line(
            "staffing (required_agents)".into(),
            format!("{} problems in {:.2} s", thousands(s.problems), s.total_s),
            "",
            Met::NotApplicable,
            format!(
                "{} problems/s; Erlang C half {:.2} s, Erlang A half ({} problems) {:.2} s; {} solved",
                thousands(round(rate)),
                s.erlang_c_s,
                thousands(s.with_patience),
                s.erlang_a_s,
                thousands(s.solved)
            ),
        );
        self.set(
            "staffing",
            json!({
                "problems": s.problems,
                "with_patience": s.with_patience,
                "solved": s.solved,
                "total_s": s.total_s,
                "erlang_c_s": s.erlang_c_s,
                "erlang_a_s": s.erlang_a_s,
                "problems_per_s": rate,
                "agents_sum": s.agents_sum,
            }),
        );
    }

    /// Records the server phase: each load's latency percentiles against its target,
    /// the server's memory, and the bulk import's rate against the command line's.
    pub fn server(&mut self, s: &ServerRun) {
        // The API's two loads, then the web app's three pages (issue 20's targets).
        let targets = [
            SERVER_P95_INDICATOR_MS,
            SERVER_P95_EVALUATION_MS,
            WEB_P95_OVERVIEW_MS,
            WEB_P95_SITE_MS,
            WEB_P95_DRILL_MS,
        ];
        let mut loads = Vec::new();
        for (l, target) in s.loads.iter().zip(targets) {
            let rate = if l.secs > 0.0 {
                per_s(l.ok, l.secs)
            } else {
                0.0
            };
            self.line(
                format!("server: {}", l.what),
                format!("p95 {:.1} ms", l.p95_ms),
                &format!("p95 < {target} ms, 0 errors"),
                Met::of(l.p95_ms < target && l.errors == 0 && l.ok > 0),
                format!(
                    "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} answered ({} /s), {} errors",
                    l.p50_ms,
                    l.p99_ms,
                    l.max_ms,
                    thousands(l.ok),
                    thousands(round(rate)),
                    l.errors
                ),
            );
            loads.push(json!({
                "what": l.what, "ok": l.ok, "errors": l.errors, "secs": l.secs,
                "p50_ms": l.p50_ms, "p95_ms": l.p95_ms, "p99_ms": l.p99_ms, "max_ms": l.max_ms,
            }));
        }
        let peak_mib = mib(s.peak_kib);
        self.line(
            "server: peak memory under the loads".into(),
            format!("{peak_mib:.0} MiB"),
            &format!("< {SERVER_PEAK_MIB:.0} MiB"),
            Met::of(s.peak_kib > 0 && peak_mib < SERVER_PEAK_MIB),
            format!(
                "{} sites, {} rows over a year, {} frozen",
                thousands(s.sites as u64),
                thousands(s.rows),
                s.month
            ),
        );
        let api = if s.bulk_api_s > 0.0 {
            per_s(s.bulk_rows, s.bulk_api_s)
        } else {
            0.0
        };
        let cli = if s.bulk_cli_s > 0.0 {
            per_s(s.bulk_rows, s.bulk_cli_s)
        } else {
            0.0
        };
        let ratio = if cli > 0.0 { api / cli } else { 0.0 };
        self.line(
            "server: POST /api/v1/records/contact".into(),
            format!("{:.0} % of the command line's rate", ratio * 100.0),
            &format!("≥ {:.0} %", SERVER_BULK_RATIO * 100.0),
            Met::of(ratio >= SERVER_BULK_RATIO),
            format!(
                "{} rows: API {:.2} s ({} rows/s), command line {:.2} s ({} rows/s); server peak {:.0} MiB",
                thousands(s.bulk_rows),
                s.bulk_api_s,
                thousands(round(api)),
                s.bulk_cli_s,
                thousands(round(cli)),
                mib(s.bulk_peak_kib)
            ),
        );
        self.set(
            "server",
            json!({
                "sites": s.sites, "rows": s.rows, "month": s.month, "loads": loads,
                "peak_kib": s.peak_kib, "bulk_rows": s.bulk_rows, "bulk_api_s": s.bulk_api_s,
                "bulk_cli_s": s.bulk_cli_s, "bulk_ratio": ratio, "bulk_peak_kib": s.bulk_peak_kib,
            }),
        );
    }

    /// Closes the report with the load average at the end.
    pub fn finish(&mut self, load: String) {
        let start = self
            .json
            .get("load_average_start")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        self.line(
            "machine load average (1, 5, 15 min)".into(),
            format!("start {start}; end {load}"),
            "",
            Met::NotApplicable,
            "other processes on the machine slow every figure above".into(),
        );
        self.set("load_average_end", json!(load));
    }

    /// The table as text.
    #[must_use]
    pub fn table(&self) -> String {
        let heads = ["measure", "value", "target", "met", "notes"];
        let cells: Vec<[&str; 5]> = self
            .lines
            .iter()
            .map(|l| {
                [
                    l.measure.as_str(),
                    l.value.as_str(),
                    if l.target.is_empty() {
                        "—"
                    } else {
                        l.target.as_str()
                    },
                    l.met.text(),
                    l.notes.as_str(),
                ]
            })
            .collect();
        let mut widths = heads.map(|h| h.chars().count());
        for row in &cells {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = format!(
            "\nYardstick benchmark — scale {} ({}), period {}\n\n",
            self.scale,
            scale_text(self.scale),
            self.json
                .get("period")
                .and_then(Value::as_str)
                .unwrap_or("")
        );
        let mut push = |row: [&str; 5]| {
            let mut line = String::new();
            for (i, (c, w)) in row.iter().zip(widths).enumerate() {
                if i == 4 {
                    line.push_str(c);
                } else {
                    let _ = write!(line, "{c}{}  ", " ".repeat(w - c.chars().count()));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        };
        push(heads);
        push(widths.map(|w| "─".repeat(w)).each_ref().map(String::as_str));
        for row in cells {
            push(row);
        }
        out
    }
}

fn scale_text(scale: f64) -> String {
    format!(
        "{} contacts, {} hall tickets, {} work orders",
        short(crate::rows_at(10_000_000.0, scale)),
        short(crate::rows_at(2_000_000.0, scale)),
        short(crate::rows_at(1_000_000.0, scale))
    )
}

/// Compact row count: 10 M, 2.5 M, 300 k.
fn short(n: u64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "display only")]
    let x = n as f64;
    if n >= 1_000_000 {
        format!("{} M", trim(x / 1e6))
    } else if n >= 1_000 {
        format!("{} k", trim(x / 1e3))
    } else {
        n.to_string()
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let mem_kib: u64 = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0);
    json!({"cpu": cpu, "cores": cores, "memory_gib": mib(mem_kib) / 1024.0})
}

/// Result of comparing PostgreSQL's sums with Yardstick's merged states.
#[derive(Debug, Clone, Default)]
pub struct Check {
    /// Sums compared.
    pub total: usize,
    /// Sums equal (counts exactly; value sums within the thousandth quantisation).
    pub equal: usize,
    /// The ones that differ.
    pub differences: Vec<String>,
}

/// Compares `"<indicator>|<field>"` sums from SQL with the evaluation's totals.
#[must_use]
pub fn compare(sums: &BTreeMap<String, f64>, totals: &Value) -> Check {
    let mut c = Check::default();
    for (name, pg) in sums {
        let Some((ind, field)) = name.split_once('|') else {
            continue;
        };
        let t = totals.get(ind);
        let n = t
            .and_then(|t| t.get("n"))
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let ys = match field.strip_prefix("sl") {
            Some(i) => t
                .and_then(|t| t.get("sl"))
                .and_then(|s| s.get(i.parse::<usize>().unwrap_or(usize::MAX)))
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
            None => t
                .and_then(|t| t.get(field))
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
        };
        // Counts must be equal; sums may differ by the quantisation of each value to
        // thousandths (at most half a thousandth per row) and float rounding.
        let tolerance = if field == "sum" {
            0.000_5 * n + 1e-9 * pg.abs()
        } else {
            0.5
        };
        c.total += 1;
        if (pg - ys).abs() <= tolerance {
            c.equal += 1;
        } else {
            c.differences
                .push(format!("{name}: PostgreSQL {pg} vs Yardstick {ys}"));
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_evaluation_runs_are_listed_and_one_is_not() {
        let e = json!({"runs_wall_s": [4.318, 3.9, 5.004]});
        assert_eq!(runs_note(&e), "; median of 3 runs (4.32, 3.90, 5.00 s)");
        assert_eq!(runs_note(&json!({"runs_wall_s": [4.3]})), "");
        assert_eq!(runs_note(&json!({})), "");
    }

    #[test]
    fn an_import_of_several_runs_shows_its_median_run_and_the_highest_peak() {
        // The median run: 2,000,000 rows in 1.6 s = 1,250,000 rows/s; its own peak is
        // 92 MiB (94,208 KiB), the highest of the three runs 97 MiB (99,328 KiB).
        let mut rep = Report::new(1.0, "2025-Q4", String::new());
        let r = json!({
            "wall_s": 1.6, "cpu_s": 3.0, "rows_quarantined": 0,
            "peak_kib": 94_208, "peak_kib_max": 99_328,
            "runs_wall_s": [1.7, 1.6, 1.5],
        });
        rep.imports(&[(RecordKind::HallTicket, 2_000_000, r)]);
        let table = rep.table();
        let line = |start: &str| {
            table
                .lines()
                .find(|l| l.starts_with(start))
                .unwrap_or_default()
                .to_string()
        };
        let rate = line("import hall_ticket ");
        assert!(rate.contains("1,250,000 rows/s"), "{rate}");
        assert!(
            rate.contains("median of 3 runs (1.70, 1.60, 1.50 s)"),
            "{rate}"
        );
        let peak = line("import peak memory, hall_ticket");
        assert!(peak.contains("97 MiB"), "{peak}");
    }
}
