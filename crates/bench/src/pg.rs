//! The PostgreSQL comparison: a throwaway server in a temporary directory (unix socket
//! only), the same CSV files loaded with `COPY`, and the same measure states per site and
//! local day computed in SQL, one scan per record kind with `FILTER` clauses and window
//! functions or `EXISTS` look-ups for the cross-row flags.
//!
//! `psql` runs through `std::process::Command`; nothing links to PostgreSQL. When the
//! benchmark runs as root (initdb refuses to), the server commands run as the
//! `postgres` user through `runuser`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use yardstick_core::period::Period;
use yardstick_core::records::{FieldType, RecordKind};
use yardstick_engine::schema::stored_fields;

/// Server settings: generous memory for the queries, no durability for the load (the
/// database is thrown away), parallel query as PostgreSQL ships it.
const SERVER_OPTS: &str = "-c listen_addresses='' -c shared_buffers=2GB -c work_mem=256MB \
     -c maintenance_work_mem=1GB -c fsync=off -c synchronous_commit=off \
     -c full_page_writes=off -c max_wal_size=16GB -c checkpoint_timeout=1h";

/// PostgreSQL's programs.
#[derive(Debug, Clone)]
pub struct Bins {
    initdb: PathBuf,
    pg_ctl: PathBuf,
    psql: PathBuf,
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Finds `initdb`, `pg_ctl` and `psql` on PATH or under `/usr/lib/postgresql/*/bin`.
#[must_use]
pub fn find() -> Option<Bins> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs.reverse();
    let find_one = |name: &str| {
        on_path(name).or_else(|| dirs.iter().map(|d| d.join(name)).find(|p| p.is_file()))
    };
    Some(Bins {
        initdb: find_one("initdb")?,
        pg_ctl: find_one("pg_ctl")?,
        psql: find_one("psql")?,
    })
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

fn run(cmd: &mut Command, what: &str) -> Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot start {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A running throwaway server; stopped (and its directory deleted) when dropped.
pub struct Server {
    bins: Bins,
    tmp: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
    running: bool,
}

impl Server {
    /// Initialises a cluster in a temporary directory and starts it on a free port,
    /// reachable only through a unix socket in that directory.
    ///
    /// # Errors
    /// When initdb or pg_ctl fail.
    pub fn start(bins: &Bins) -> Result<Server> {
        let tmp = tempfile::Builder::new()
            .prefix("yardstick-bench-pg")
            .tempdir()
            .context("cannot create a temporary directory")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .context("cannot find a free port")?;
        let as_postgres = is_root();
        let mut server = Server {
            bins: bins.clone(),
            tmp,
            port,
            as_postgres,
            running: false,
        };
        if as_postgres {
            run(
                Command::new("chown")
                    .arg("postgres:")
                    .arg(server.tmp.path()),
                "chown",
            )?;
        }
        let data = server.data_dir();
        run(
            server.server_cmd(&bins.initdb).arg("-D").arg(&data).args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]),
            "initdb",
        )?;
        let opts = format!(
            "-p {} -k {} {SERVER_OPTS}",
            server.port,
            server.tmp.path().display()
        );
        run(
            server
                .server_cmd(&bins.pg_ctl)
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(server.tmp.path().join("server.log"))
                .args(["-w", "-o", &opts, "start"]),
            "pg_ctl start",
        )?;
        server.running = true;
        Ok(server)
    }

    fn data_dir(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    fn server_cmd(&self, program: &Path) -> Command {
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        // The postgres user may not be allowed into the caller's working directory.
        c.current_dir(self.tmp.path());
        c
    }

    /// The URL of a database of this server for the metadata store (over its unix
    /// socket).
    #[must_use]
    pub fn database_url(&self, db: &str) -> String {
        format!(
            "postgres://postgres@localhost/{db}?host={}&port={}",
            self.tmp.path().display(),
            self.port
        )
    }

    /// Creates an empty database.
    ///
    /// # Errors
    /// When psql fails.
    pub fn create_database(&self, db: &str) -> Result<()> {
        self.psql(&format!("CREATE DATABASE {db};")).map(|_| ())
    }

    /// Runs SQL through psql and returns its unaligned, comma-separated output.
    ///
    /// # Errors
    /// When psql fails or the SQL has an error.
    pub fn psql(&self, sql: &str) -> Result<String> {
        run(
            Command::new(&self.bins.psql)
                .args([
                    "-X",
                    "-q",
                    "-A",
                    "-F",
                    ",",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-U",
                    "postgres",
                ])
                .arg("-h")
                .arg(self.tmp.path())
                .arg("-p")
                .arg(self.port.to_string())
                .args(["-d", "postgres", "-c", sql]),
            "psql",
        )
    }

    fn stop(&mut self) -> Result<()> {
        if self.running {
            self.running = false;
            run(
                self.server_cmd(&self.bins.pg_ctl)
                    .arg("-D")
                    .arg(self.data_dir())
                    .args(["-m", "fast", "-w", "stop"]),
                "pg_ctl stop",
            )?;
        }
        Ok(())
    }

    /// Stops the server; the directory is deleted when the value is dropped.
    ///
    /// # Errors
    /// When pg_ctl fails.
    pub fn shutdown(mut self) -> Result<()> {
        self.stop()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Best effort on an error path: a leaked server would hold memory and a port.
        let _ = self.stop();
    }
}

fn table(kind: RecordKind) -> &'static str {
    kind.as_str()
}

fn sql_type(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Str | FieldType::Enum(_) => "text",
        FieldType::Timestamp => "timestamptz",
        FieldType::Int => "bigint",
        FieldType::Float => "double precision",
        FieldType::Bool => "boolean",
    }
}

/// Load timings.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Seconds of `COPY` per kind.
    pub copy_s: BTreeMap<String, f64>,
    /// Seconds for indexes and `VACUUM ANALYZE`.
    pub index_analyze_s: f64,
}

/// Creates the tables, loads the files with `COPY` and prepares them (indexes for the
/// repeat look-ups, statistics). `files` are (kind, path, header).
///
/// # Errors
/// When SQL fails.
pub fn load(
    server: &Server,
    sites: &[(String, String, String)],
    files: &[(RecordKind, PathBuf, String)],
) -> Result<Loaded> {
    let mut out = Loaded::default();
    let values: Vec<String> = sites
        .iter()
        .map(|(id, tz, area)| format!("('{id}', '{tz}', '{area}')"))
        .collect();
    server.psql(&format!(
        "CREATE TABLE site (site_id text PRIMARY KEY, tz text NOT NULL, area text NOT NULL); INSERT INTO site VALUES {};",
        values.join(", ")
    ))?;
    for (kind, path, header) in files {
        let cols: Vec<String> = stored_fields(*kind)
            .iter()
            .map(|f| format!("{} {}", f.name, sql_type(f.ty)))
            .collect();
        server.psql(&format!(
            "CREATE TABLE {} ({});",
            table(*kind),
            cols.join(", ")
        ))?;
        let started = Instant::now();
        server.psql(&format!(
            "COPY {} ({header}) FROM '{}' WITH (FORMAT csv, HEADER true);",
            table(*kind),
            path.display()
        ))?;
        out.copy_s
            .insert(kind.as_str().to_string(), started.elapsed().as_secs_f64());
    }
    let started = Instant::now();
    server.psql(
        "CREATE INDEX wo_line ON work_order (line_key, created_at) WHERE kind = 'repair'; \
         CREATE INDEX wo_customer ON work_order (customer_key, kind, created_at);",
    )?;
    server.psql("VACUUM ANALYZE;")?;
    out.index_analyze_s = started.elapsed().as_secs_f64();
    Ok(out)
}

/// The measure-state queries per kind for a period.
#[must_use]
pub fn queries(period: &Period) -> Vec<(RecordKind, String)> {
    let range = format!(
        "day BETWEEN DATE '{}' AND DATE '{}'",
        period.from, period.to
    );
    vec![
        (RecordKind::HallTicket, HALL_SQL.replace("$RANGE", &range)),
        (RecordKind::Contact, CONTACT_SQL.replace("$RANGE", &range)),
        (
            RecordKind::WorkOrder,
            WORK_ORDER_SQL.replace("$RANGE", &range),
        ),
    ]
}

/// Indicators the SQL computes (all of the default guideline's indicators on these three
/// kinds except IM-02, whose working days need the legal holiday calendar).
pub const COMPUTED: &str = "BH-01 (2 strata)…BH-07, CC-01…CC-08, IM-01, IM-03…IM-09, IM-12";

const HALL_SQL: &str = r#"
WITH h AS (
  SELECT t.*, (t.issued_at AT TIME ZONE s.tz)::date AS day,
    extract(epoch FROM t.called_at - t.issued_at) / 60 AS wait_min,
    CASE WHEN t.customer_key IS NULL OR t.request_key IS NULL THEN 0 ELSE
      count(*) OVER (PARTITION BY t.customer_key, t.request_key ORDER BY t.issued_at
        RANGE BETWEEN interval '1 millisecond' FOLLOWING AND interval '7 days' FOLLOWING) END AS later_7d
  FROM hall_ticket t JOIN site s ON s.site_id = t.site_id
)
SELECT site_id, day,
  count(*) FILTER (WHERE called_at IS NOT NULL) AS "BH-01|n",
  coalesce(sum(wait_min) FILTER (WHERE called_at IS NOT NULL), 0) AS "BH-01|sum",
  count(*) FILTER (WHERE called_at IS NOT NULL AND customer_class = 'vip') AS "BH-01[customer_class=vip]|n",
  coalesce(sum(wait_min) FILTER (WHERE called_at IS NOT NULL AND customer_class = 'vip'), 0) AS "BH-01[customer_class=vip]|sum",
  count(*) FILTER (WHERE called_at IS NOT NULL OR (outcome = 'left' AND extract(epoch FROM left_at - issued_at) / 60 > 15)) AS "BH-02|n",
  count(*) FILTER (WHERE called_at IS NOT NULL AND wait_min <= 15) AS "BH-02|hits",
  count(*) FILTER (WHERE outcome IN ('served', 'transferred') AND called_at IS NOT NULL AND service_end_at IS NOT NULL) AS "BH-03|n",
  coalesce(sum(extract(epoch FROM service_end_at - called_at) / 60) FILTER (WHERE outcome IN ('served', 'transferred') AND called_at IS NOT NULL AND service_end_at IS NOT NULL), 0) AS "BH-03|sum",
  count(*) AS "BH-04|n",
  count(*) FILTER (WHERE outcome IN ('no_show', 'left')) AS "BH-04|hits",
  count(*) FILTER (WHERE settled_at IS NOT NULL AND done_at IS NOT NULL) AS "BH-05|n",
  count(*) FILTER (WHERE settled_at IS NOT NULL AND done_at IS NOT NULL AND extract(epoch FROM done_at - settled_at) / 3600 <= 24) AS "BH-05|hits",
  count(*) FILTER (WHERE outcome = 'served') AS "BH-06|n",
  count(*) FILTER (WHERE outcome = 'served' AND error_found) AS "BH-06|hits",
  count(*) FILTER (WHERE outcome = 'served' AND customer_key IS NOT NULL AND request_key IS NOT NULL) AS "BH-07|n",
  count(*) FILTER (WHERE outcome = 'served' AND customer_key IS NOT NULL AND request_key IS NOT NULL AND later_7d = 0) AS "BH-07|hits"
FROM h WHERE $RANGE
GROUP BY site_id, day ORDER BY site_id, day;
"#;

const CONTACT_SQL: &str = r#"
WITH c AS (
  SELECT t.site_id, t.channel, t.outcome, t.queue_entry_at, t.answered_at, t.abandoned_at,
    t.first_reply_at, t.talk_s, t.hold_s, t.acw_s, t.qa_score, t.customer_key, t.issue_class,
    (coalesce(t.queue_entry_at, t.ivr_entry_at, t.answered_at, t.abandoned_at, t.end_at) AT TIME ZONE s.tz)::date AS day,
    extract(epoch FROM coalesce(t.answered_at, t.abandoned_at) - t.queue_entry_at) AS wait_s,
    extract(epoch FROM t.abandoned_at - t.queue_entry_at) AS abandon_s,
    CASE WHEN t.customer_key IS NULL OR t.issue_class IS NULL THEN 0 ELSE
      count(*) OVER (PARTITION BY t.customer_key, t.issue_class
        ORDER BY coalesce(t.queue_entry_at, t.ivr_entry_at, t.answered_at, t.abandoned_at, t.end_at)
        RANGE BETWEEN interval '1 millisecond' FOLLOWING AND interval '7 days' FOLLOWING) END AS later_7d
  FROM contact t JOIN site s ON s.site_id = t.site_id
), q AS (
  SELECT c.*, (channel = 'voice' AND queue_entry_at IS NOT NULL AND outcome NOT IN ('ivr_only', 'overflowed')
      AND (outcome <> 'abandoned' OR abandon_s >= 5)) AS offered
  FROM c
)
SELECT site_id, day,
  count(*) FILTER (WHERE offered) AS "CC-01|n",
  count(*) FILTER (WHERE offered AND outcome IN ('answered', 'callback')) AS "CC-01|hits",
  count(*) FILTER (WHERE channel = 'voice' AND outcome = 'answered' AND wait_s <= 20) AS "CC-02|sl0",
  count(*) FILTER (WHERE channel = 'voice' AND outcome = 'answered' AND (wait_s IS NULL OR wait_s > 20)) AS "CC-02|sl1",
  count(*) FILTER (WHERE channel = 'voice' AND outcome = 'abandoned' AND wait_s < 5) AS "CC-02|sl2",
  count(*) FILTER (WHERE channel = 'voice' AND outcome = 'abandoned' AND wait_s >= 5 AND wait_s <= 20) AS "CC-02|sl3",
  count(*) FILTER (WHERE channel = 'voice' AND outcome = 'abandoned' AND (wait_s IS NULL OR wait_s > 20)) AS "CC-02|sl4",
  count(*) FILTER (WHERE channel = 'voice' AND outcome = 'ivr_only') AS "CC-02|sl5",
  count(*) FILTER (WHERE channel = 'voice' AND outcome = 'answered' AND queue_entry_at IS NOT NULL AND answered_at IS NOT NULL) AS "CC-03|n",
  coalesce(sum(extract(epoch FROM answered_at - queue_entry_at)) FILTER (WHERE channel = 'voice' AND outcome = 'answered' AND queue_entry_at IS NOT NULL AND answered_at IS NOT NULL), 0) AS "CC-03|sum",
  count(*) FILTER (WHERE offered) AS "CC-04|n",
  count(*) FILTER (WHERE offered AND outcome = 'abandoned') AS "CC-04|hits",
  count(*) FILTER (WHERE outcome = 'answered' AND customer_key IS NOT NULL AND issue_class IS NOT NULL) AS "CC-05|n",
  count(*) FILTER (WHERE outcome = 'answered' AND customer_key IS NOT NULL AND issue_class IS NOT NULL AND later_7d = 0) AS "CC-05|hits",
  count(*) FILTER (WHERE outcome = 'answered' AND channel = 'voice') AS "CC-06|n",
  coalesce(sum(coalesce(talk_s, 0) + coalesce(hold_s, 0) + coalesce(acw_s, 0)) FILTER (WHERE outcome = 'answered' AND channel = 'voice'), 0) AS "CC-06|sum",
  count(*) FILTER (WHERE qa_score IS NOT NULL) AS "CC-07|n",
  count(*) FILTER (WHERE qa_score >= 80) AS "CC-07|hits",
  count(*) FILTER (WHERE channel = 'chat' AND queue_entry_at IS NOT NULL AND first_reply_at IS NOT NULL) AS "CC-08|n",
  coalesce(sum(extract(epoch FROM first_reply_at - queue_entry_at) / 60) FILTER (WHERE channel = 'chat' AND queue_entry_at IS NOT NULL AND first_reply_at IS NOT NULL), 0) AS "CC-08|sum"
FROM q WHERE $RANGE
GROUP BY site_id, day ORDER BY site_id, day;
"#;

const WORK_ORDER_SQL: &str = r#"
WITH w AS (
  SELECT t.*, (t.created_at AT TIME ZONE s.tz)::date AS day, coalesce(t.area_class, s.area) AS area_eff,
    greatest(0, (extract(epoch FROM t.completed_at - t.created_at) - coalesce(t.pause_s, 0)) / 3600) AS elapsed_h,
    (t.kind = 'repair' AND t.line_key IS NOT NULL AND t.completed_at IS NOT NULL AND EXISTS (
      SELECT 1 FROM work_order l WHERE l.kind = 'repair' AND l.line_key = t.line_key
        AND l.created_at > t.completed_at AND l.created_at <= t.completed_at + interval '30 days')) AS repeat_30d,
    (t.customer_key IS NOT NULL AND t.completed_at IS NOT NULL AND EXISTS (
      SELECT 1 FROM work_order l WHERE l.customer_key = t.customer_key AND l.kind = t.kind
        AND l.created_at > t.completed_at AND l.created_at <= t.completed_at + interval '30 days')) AS revisit_30d
  FROM work_order t JOIN site s ON s.site_id = t.site_id
), v AS (
  SELECT w.*, (kind = 'repair' AND status = 'completed' AND exclusion IS NULL
      AND (cause_class IS NULL OR cause_class NOT IN ('terminal', 'customer'))) AS valid_repair,
    (appointment_start IS NOT NULL AND appointment_end IS NOT NULL
      AND (status = 'completed' OR arrived_at IS NOT NULL OR cancelled_at IS NOT NULL)
      AND (cancelled_at IS NULL OR ((cancelled_by IS NULL OR cancelled_by = 'operator')
        AND extract(epoch FROM appointment_start - cancelled_at) / 3600 < 24))) AS due
  FROM w
)
SELECT site_id, day,
  count(*) FILTER (WHERE kind IN ('install', 'move') AND status = 'completed' AND committed_by IS NOT NULL AND exclusion IS NULL) AS "IM-01|n",
  count(*) FILTER (WHERE kind IN ('install', 'move') AND status = 'completed' AND committed_by IS NOT NULL AND exclusion IS NULL
    AND extract(epoch FROM completed_at - committed_by) / 3600 <= coalesce(pause_s, 0) / 3600) AS "IM-01|hits",
  count(*) FILTER (WHERE kind IN ('install', 'move') AND status = 'completed' AND appointment_start IS NOT NULL AND exclusion IS NULL
    AND (cancelled_by IS NULL OR cancelled_by = 'operator')) AS "IM-03|n",
  count(*) FILTER (WHERE kind IN ('install', 'move') AND status = 'completed' AND appointment_start IS NOT NULL AND exclusion IS NULL
    AND (cancelled_by IS NULL OR cancelled_by = 'operator') AND extract(epoch FROM completed_at - appointment_start) / 3600 <= 24) AS "IM-03|hits",
  count(*) FILTER (WHERE valid_repair) AS "IM-04|n",
  count(*) FILTER (WHERE valid_repair AND (elapsed_h <= 48 OR (area_eff <> 'urban' AND elapsed_h <= 72))) AS "IM-04|hits",
  count(*) FILTER (WHERE valid_repair) AS "IM-05|n",
  coalesce(sum(elapsed_h) FILTER (WHERE valid_repair), 0) AS "IM-05|sum",
  count(*) FILTER (WHERE kind = 'repair' AND status <> 'cancelled' AND (cause_class IS NULL OR cause_class NOT IN ('terminal', 'customer'))
    AND (exclusion IS NULL OR exclusion NOT IN ('terminal_fault', 'customer_side'))) AS "IM-06|n",
  count(*) FILTER (WHERE kind = 'repair' AND status = 'completed' AND line_key IS NOT NULL AND (cause_class IS NULL OR cause_class NOT IN ('terminal', 'customer'))) AS "IM-07|n",
  count(*) FILTER (WHERE kind = 'repair' AND status = 'completed' AND line_key IS NOT NULL AND (cause_class IS NULL OR cause_class NOT IN ('terminal', 'customer')) AND repeat_30d) AS "IM-07|hits",
  count(*) FILTER (WHERE status = 'completed' AND visit_count >= 1 AND customer_key IS NOT NULL) AS "IM-08|n",
  count(*) FILTER (WHERE status = 'completed' AND visit_count >= 1 AND customer_key IS NOT NULL AND visit_count = 1 AND NOT revisit_30d) AS "IM-08|hits",
  count(*) FILTER (WHERE due) AS "IM-09|n",
  count(*) FILTER (WHERE due AND cancelled_at IS NULL AND arrived_at BETWEEN appointment_start AND appointment_end) AS "IM-09|hits",
  count(*) FILTER (WHERE compensation_due) AS "IM-12|n",
  count(*) FILTER (WHERE compensation_due AND compensation_paid) AS "IM-12|hits"
FROM v WHERE $RANGE
GROUP BY site_id, day ORDER BY site_id, day;
"#;

/// Sums every `"<indicator>|<field>"` column of a query's output over its rows
/// (site-days); returns the sums and the number of rows.
#[must_use]
pub fn column_sums(output: &str) -> (BTreeMap<String, f64>, u64) {
    let mut lines = output.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return (BTreeMap::new(), 0);
    };
    let names: Vec<&str> = header.split(',').collect();
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    let mut rows = 0u64;
    for line in lines {
        // psql prints a "(N rows)" footer only in aligned mode; skip anything else odd.
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != names.len() {
            continue;
        }
        rows += 1;
        for (name, cell) in names.iter().zip(&cells) {
            if name.contains('|') {
                *sums.entry((*name).to_string()).or_default() += cell.parse::<f64>().unwrap_or(0.0);
            }
        }
    }
    (sums, rows)
}
