//! The server phase (`--server`): a synthetic organisation of about 2,000 sites with a
//! year of records, one month frozen, then the real `yardstick serve` on loopback under
//! a load of concurrent keep-alive connections for a while — an indicator of a site for
//! the frozen month, then the frozen month's evaluation at a city's scope — and a bulk
//! import over `POST /api/v1/records/contact` against the command line's import of the
//! same file. It reports latency percentiles, errors, requests per second and the
//! server's peak memory (VmHWM of its process).
//!
//! The load generator is a small HTTP/1.1 client over blocking sockets, one thread per
//! connection: the figures are the server's, not a client library's.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use yardstick_core::records::RecordKind;

use crate::synth::{self, Plan, Rng, SiteSpec};

/// What the phase runs with.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Sites of each scene in each of the 15 cities (45 gives 2,025 sites).
    pub per_city_scene: usize,
    /// Contacts, hall tickets and work orders of the year.
    pub rows: [u64; 3],
    /// Rows of the bulk import.
    pub bulk_rows: u64,
    /// Seconds of each load.
    pub seconds: u64,
    /// Concurrent connections of the API loads.
    pub connections: usize,
    /// Concurrent people (sessions) of the web loads.
    pub users: usize,
    /// Seed.
    pub seed: u64,
    /// Keep the served data directory (`--keep`).
    pub keep: bool,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            per_city_scene: 45,
            rows: [3_000_000, 1_000_000, 500_000],
            bulk_rows: 1_000_000,
            seconds: 60,
            connections: 50,
            users: 20,
            seed: 42,
            keep: false,
        }
    }
}

/// One load's figures.
#[derive(Debug, Clone, Default)]
pub struct Load {
    /// What was asked.
    pub what: String,
    /// Requests answered 200.
    pub ok: u64,
    /// Requests that failed (another status, a broken connection).
    pub errors: u64,
    /// Seconds the load ran.
    pub secs: f64,
    /// Latency percentiles, ms: 50, 95, 99, max.
    pub p50_ms: f64,
    /// 95th.
    pub p95_ms: f64,
    /// 99th.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

/// What the phase measured.
#[derive(Debug, Clone, Default)]
pub struct ServerRun {
    /// Sites of the organisation.
    pub sites: usize,
    /// Rows stored before the load.
    pub rows: u64,
    /// The month frozen.
    pub month: String,
    /// The loads.
    pub loads: Vec<Load>,
    /// The serving process's peak memory under the loads, KiB.
    pub peak_kib: u64,
    /// Bulk import: rows, seconds over the API, seconds by the command line.
    pub bulk_rows: u64,
    /// Seconds of `POST /api/v1/records/contact`.
    pub bulk_api_s: f64,
    /// Seconds of `yardstick ingest contact` of the same file.
    pub bulk_cli_s: f64,
    /// The importing server's peak memory, KiB.
    pub bulk_peak_kib: u64,
}

/// The benchmark user's password.
const PASSWORD: &str = "a long benchmark password";

/// The first day of the synthetic year and the month frozen in it.
const FIRST_DAY: (i32, u32, u32) = (2025, 1, 1);
const MONTH: &str = "2025-06";

/// Runs the phase with the `yardstick` binary `bin` in `work`.
///
/// # Errors
/// When generating, importing, serving or a request fails outright.
pub fn run(o: &ServerOptions, bin: &Path, work: &Path) -> Result<ServerRun> {
    let first =
        NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2).context("first day")?;
    let plan = wide(first, 365, o.seed, o.per_city_scene);
    std::fs::create_dir_all(work)?;
    let org = work.join("org-wide.toml");
    std::fs::write(&org, plan.org_toml())?;
    let data = work.join("served");
    let y = |dir: &Path, args: &[&str]| yardstick(bin, dir, args);
    y(&data, &["init"])?;
    y(&data, &["org", "import", &org.display().to_string()])?;
    let mut stored = 0;
    for (kind, rows) in [
        RecordKind::Contact,
        RecordKind::HallTicket,
        RecordKind::WorkOrder,
    ]
    .into_iter()
    .zip(o.rows)
    {
        let file = work.join(format!("wide-{}.csv", kind.as_str()));
        eprintln!("server phase: {rows} {} rows over a year…", kind.as_str());
        stored += synth::write_kind(&plan, kind, rows, &file)?.rows;
        y(
            &data,
            &["ingest", kind.as_str(), &file.display().to_string()],
        )?;
        std::fs::remove_file(&file).ok();
    }
    eprintln!("server phase: freezing {MONTH}…");
    y(&data, &["evaluate", "--period", MONTH, "--format", "json"])?;
    let token = admin_token(bin, &data)?;

    let mut server = Server::start(bin, &data)?;
    let sites: Vec<(String, &'static str)> = plan
        .sites
        .iter()
        .map(|s| {
            let indicator = match s.scene {
                "hall" => "BH-01",
                "call_centre" => "CC-02",
                _ => "IM-04",
            };
            (s.id.clone(), indicator)
        })
        .collect();
    let cities: Vec<String> = plan.cities.iter().map(|c| c.1.clone()).collect();
    let mut loads = Vec::new();
    eprintln!(
        "server phase: {} connections for {} s on a site's indicator…",
        o.connections, o.seconds
    );
    let machine = [Who::Token(token.clone())];
    loads.push(load(
        &server.addr,
        &machine,
        (o.connections, o.seconds),
        "GET /api/v1/sites/{id}/indicators/{indicator}?period=2025-06",
        &|i| {
            let (site, ind) = &sites[i % sites.len()];
            format!("/api/v1/sites/{site}/indicators/{ind}?period={MONTH}")
        },
    )?);
    eprintln!(
        "server phase: {} connections for {} s on a city's evaluation…",
        o.connections, o.seconds
    );
    loads.push(load(
        &server.addr,
        &machine,
        (o.connections, o.seconds),
        "GET /api/v1/evaluations?period=2025-06&scope={city}",
        &|i| {
            format!(
                "/api/v1/evaluations?period={MONTH}&scope={}",
                cities[i % cities.len()]
            )
        },
    )?);
    // The web app: people in browsers, each signed in with a session of their own.
    let people = (0..o.users)
        .map(|_| sign_in(&server.addr).map(Who::Session))
        .collect::<Result<Vec<_>>>()?;
    for (what, path) in [
        (
            "web: GET /overview?period=2025-06 (2,025 sites)",
            &(|_| format!("/overview?period={MONTH}")) as &(dyn Fn(usize) -> String + Sync),
        ),
        ("web: GET /sites/{id}?period=2025-06", &|i| {
            format!("/sites/{}?period={MONTH}", sites[i % sites.len()].0)
        }),
        (
            "web: GET /sites/{id}/indicators/{indicator}?period=2025-06 (first page)",
            &|i| {
                let (site, ind) = &sites[i % sites.len()];
                format!("/sites/{site}/indicators/{ind}?period={MONTH}")
            },
        ),
    ] {
        eprintln!(
            "server phase: {} people for {} s on {what}…",
            o.users, o.seconds
        );
        loads.push(load(
            &server.addr,
            &people,
            (o.users, o.seconds),
            what,
            path,
        )?);
    }
    let peak_kib = server.peak_kib();
    server.stop();

    // The bulk import: the same file into two fresh data directories, one by the
    // command line, one over the API.
    let file = work.join("bulk-contact.csv");
    let bulk_rows = synth::write_kind_ids(&plan, RecordKind::Contact, o.bulk_rows, 0, &file)?.rows;
    let cli_dir = work.join("bulk-cli");
    y(&cli_dir, &["init"])?;
    y(&cli_dir, &["org", "import", &org.display().to_string()])?;
    eprintln!("server phase: importing {bulk_rows} contacts by the command line…");
    let started = Instant::now();
    y(
        &cli_dir,
        &["ingest", "contact", &file.display().to_string()],
    )?;
    let bulk_cli_s = started.elapsed().as_secs_f64();
    let api_dir = work.join("bulk-api");
    y(&api_dir, &["init"])?;
    y(&api_dir, &["org", "import", &org.display().to_string()])?;
    let token = admin_token(bin, &api_dir)?;
    let mut server = Server::start(bin, &api_dir)?;
    eprintln!("server phase: importing them over the API…");
    let started = Instant::now();
    let status = post_file(&server.addr, &token, "/api/v1/records/contact", &file)?;
    let bulk_api_s = started.elapsed().as_secs_f64();
    let bulk_peak_kib = server.peak_kib();
    server.stop();
    if status != 201 {
        bail!("POST /api/v1/records/contact answered {status}, not 201");
    }
    for dir in [&cli_dir, &api_dir] {
        std::fs::remove_dir_all(dir).ok();
    }
    if !o.keep {
        std::fs::remove_dir_all(&data).ok();
    }
    std::fs::remove_file(&file).ok();
    Ok(ServerRun {
        sites: plan.sites.len(),
        rows: stored,
        month: MONTH.into(),
        loads,
        peak_kib,
        bulk_rows,
        bulk_api_s,
        bulk_cli_s,
        bulk_peak_kib,
    })
}

/// A wide organisation: the synthetic one's 15 cities with `per` sites of each scene in
/// each (45 gives 2,025 sites), over `days` days from `first_day`.
fn wide(first_day: NaiveDate, days: u32, seed: u64, per: usize) -> Plan {
    let mut plan = Plan::new(first_day, days, seed);
    let mut rng = Rng::new(seed ^ 0x5eed);
    let base = std::mem::take(&mut plan.sites);
    for k in 0..per.max(1) {
        for s in &base {
            plan.sites.push(SiteSpec {
                id: format!("{}{:02}", s.id, k + 1),
                name_zh: format!("{}{}号", s.name_zh, k + 1),
                size: 0.5 + rng.f64(),
                quality: rng.f64(),
                ..s.clone()
            });
        }
    }
    plan
}

/// Runs the binary on a data directory; fails with its standard error.
fn yardstick(bin: &Path, dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(bin)
        .arg("--data-dir")
        .arg(dir)
        .args(["--lang", "en"])
        .args(args)
        .env_remove("YARDSTICK_DATA_DIR")
        .env_remove("YARDSTICK_DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    // Exit 3: stored with some rows quarantined (the synthetic data has a few).
    if !matches!(out.status.code(), Some(0 | 3)) {
        bail!(
            "yardstick {args:?} failed ({:?}): {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// An admin of the whole organisation and a token of theirs, as an operator makes them.
fn admin_token(bin: &Path, dir: &Path) -> Result<String> {
    let mut add = Command::new(bin)
        .arg("--data-dir")
        .arg(dir)
        .args([
            "user",
            "add",
            "bench",
            "--role",
            "admin",
            "--scope",
            "op",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    add.stdin
        .take()
        .context("stdin")?
        .write_all(format!("{PASSWORD}\n").as_bytes())?;
    if !add.wait()?.success() {
        bail!("cannot add the benchmark's user");
    }
    let out = yardstick(bin, dir, &["token", "create", "bench", "--name", "bench"])?;
    out.lines()
        .last()
        .map(|l| l.trim().to_string())
        .context("no token printed")
}

/// A `yardstick serve` process on a free loopback port.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(bin: &Path, dir: &Path) -> Result<Server> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(bin)
            .arg("--data-dir")
            .arg(dir)
            .args(["serve", "--listen", &addr])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let mut s = Server { child, addr };
        for _ in 0..200 {
            if TcpStream::connect(&s.addr).is_ok() {
                return Ok(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        s.stop();
        bail!("the server did not listen on {}", s.addr)
    }

    /// Peak resident memory of the serving process (VmHWM), KiB.
    fn peak_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(0)
    }

    fn stop(&mut self) {
        // SIGTERM lets it shut down gracefully; kill if it lingers.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.stop();
        }
    }
}

/// Who asks: a machine with an API token (JSON), or a person in a browser with a session
/// cookie (`ys_session=…`, HTML pages).
enum Who {
    Token(String),
    Session(String),
}

/// One keep-alive connection.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn open(addr: &str) -> Result<Conn> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Conn {
            reader: BufReader::new(s.try_clone()?),
            writer: s,
        })
    }

    /// Sends a GET and reads the whole answer; returns its status and whether the
    /// server keeps the connection open.
    fn get(&mut self, path: &str, who: &Who) -> Result<(u16, bool)> {
        let (credential, accept) = match who {
            Who::Token(t) => (format!("Authorization: Bearer {t}"), "application/json"),
            Who::Session(c) => (format!("Cookie: {c}"), "text/html"),
        };
        write!(
            self.writer,
            "GET {path} HTTP/1.1\r\nHost: bench\r\n{credential}\r\nAccept: {accept}\r\n\r\n"
        )?;
        self.writer.flush()?;
        read_answer(&mut self.reader)
    }
}

/// Reads a status line, headers and the body (by length or in chunks).
fn read_answer(r: &mut impl BufRead) -> Result<(u16, bool)> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        bail!("connection closed");
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line {line:?}"))?;
    let mut length = None;
    let mut chunked = false;
    let mut keep = true;
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let h = line.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let v = v.trim();
            match k.to_ascii_lowercase().as_str() {
                "content-length" => length = v.parse::<u64>().ok(),
                "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
                "connection" => keep = !v.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
    }
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let n = u64::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)?;
            std::io::copy(&mut r.by_ref().take(n + 2), &mut std::io::sink())?;
            if n == 0 {
                break;
            }
        }
    } else if let Some(n) = length {
        std::io::copy(&mut r.by_ref().take(n), &mut std::io::sink())?;
    }
    Ok((status, keep))
}

/// `connections` threads for `seconds`, each on its own keep-alive connection as one of
/// `who` in turn, asking `path(i)` for request `i` until the time is up.
fn load(
    addr: &str,
    who: &[Who],
    (connections, seconds): (usize, u64),
    what: &str,
    path: &(dyn Fn(usize) -> String + Sync),
) -> Result<Load> {
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let results: Vec<(Vec<f64>, u64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..connections)
            .map(|c| {
                let who = &who[c % who.len()];
                s.spawn(move || {
                    let mut times = Vec::new();
                    let mut errors = 0u64;
                    let mut conn = Conn::open(addr).ok();
                    let mut i = c * 7919;
                    while Instant::now() < until {
                        i += 1;
                        let Some(k) = conn.as_mut() else {
                            errors += 1;
                            conn = Conn::open(addr).ok();
                            continue;
                        };
                        let t = Instant::now();
                        match k.get(&path(i), who) {
                            Ok((200, keep)) => {
                                times.push(t.elapsed().as_secs_f64() * 1000.0);
                                if !keep {
                                    conn = Conn::open(addr).ok();
                                }
                            }
                            Ok((_, keep)) => {
                                errors += 1;
                                if !keep {
                                    conn = Conn::open(addr).ok();
                                }
                            }
                            Err(_) => {
                                errors += 1;
                                conn = Conn::open(addr).ok();
                            }
                        }
                    }
                    (times, errors)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let secs = started.elapsed().as_secs_f64();
    let mut all: Vec<f64> = results
        .iter()
        .flat_map(|(t, _)| t.iter().copied())
        .collect();
    let errors = results.iter().map(|(_, e)| e).sum();
    all.sort_by(f64::total_cmp);
    let pick = |q: f64| -> f64 {
        if all.is_empty() {
            return f64::NAN;
        }
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index into a vector of latencies"
        )]
        let at = ((all.len() as f64 * q).ceil() as usize).clamp(1, all.len()) - 1;
        all[at]
    };
    Ok(Load {
        what: what.into(),
        ok: all.len() as u64,
        errors,
        secs,
        p50_ms: pick(0.50),
        p95_ms: pick(0.95),
        p99_ms: pick(0.99),
        max_ms: all.last().copied().unwrap_or(f64::NAN),
    })
}

/// Signs the benchmark's user in (`POST /api/v1/session`) and returns its session
/// cookie (`ys_session=…`).
fn sign_in(addr: &str) -> Result<String> {
    let body = format!(r#"{{"login":"bench","password":"{PASSWORD}"}}"#);
    let mut conn = Conn::open(addr)?;
    write!(
        conn.writer,
        "POST /api/v1/session HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    conn.writer.flush()?;
    let mut head = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if conn.reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            break;
        }
        head.push_str(&line);
    }
    if !(head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.1 201")) {
        bail!("signing in answered {}", head.lines().next().unwrap_or(""));
    }
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| v.trim().split(';').next())
        .find(|c| c.starts_with("ys_session="))
        .map(str::to_string)
        .context("signing in set no session cookie")
}

/// Sends a file as the body of a POST (streamed, with its length) and returns the
/// status.
fn post_file(addr: &str, token: &str, path: &str, file: &Path) -> Result<u16> {
    let len = std::fs::metadata(file)?.len();
    let mut conn = Conn::open(addr)?;
    conn.writer
        .set_write_timeout(Some(Duration::from_secs(3600)))?;
    conn.reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_secs(3600)))?;
    write!(
        conn.writer,
        "POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nContent-Type: text/csv\r\nContent-Length: {len}\r\n\r\n"
    )?;
    std::io::copy(&mut std::fs::File::open(file)?, &mut conn.writer)?;
    conn.writer.flush()?;
    Ok(read_answer(&mut conn.reader)?.0)
}

/// Where the `yardstick` binary of this build is: beside this one.
///
/// # Errors
/// When it is not there (build it with `cargo build --release -p yardstick`).
pub fn binary() -> Result<PathBuf> {
    let me = std::env::current_exe()?;
    let bin = me.parent().context("no directory")?.join("yardstick");
    if !bin.exists() {
        bail!(
            "{} is missing: the server phase runs the real binary (cargo build --release -p yardstick)",
            bin.display()
        );
    }
    Ok(bin)
}
