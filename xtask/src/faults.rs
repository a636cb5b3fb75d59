//! `cargo xtask faults`: the fault-injection campaign. It drives the real `yardstick`
//! binary on real files and, for as long as it is given, injures a data directory in
//! randomly chosen ways and checks that the product either tells the truth or says
//! that it cannot:
//!
//! - an import killed (SIGKILL) at a random moment leaves no partial batch; `verify`
//!   names what it left, `repair` removes exactly that, and importing again gives the
//!   same figures as an uninterrupted run;
//! - an import under a file size limit fails with an error, and the directory recovers
//!   the same way;
//! - a stored record file with a flipped byte, truncated, removed or swapped with
//!   another: `verify --hash` exits 4, and `evaluate` exits 4 or gives exactly the
//!   figures of the intact directory — never other figures with exit 0;
//! - an emptied metadata database: exit 4, never a fresh start.
//!
//! Every run prints its seed; `--seed S` replays a campaign. On a violation the
//! working directory is kept and named.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The demo month every scenario evaluates.
const PERIOD: &str = "2026-10";

/// A small deterministic generator (xorshift64*): the campaign needs no crate for it,
/// and a seed replays it exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// An index into something of `n` items (n > 0).
    fn index(&mut self, n: usize) -> usize {
        let n64 = u64::try_from(n).unwrap_or(u64::MAX);
        usize::try_from(self.below(n64)).unwrap_or(0)
    }
}

struct Options {
    seconds: u64,
    seed: u64,
    release: bool,
    /// Only the scenarios whose name holds this text.
    only: Option<String>,
}

fn options(args: &[String]) -> Result<Options> {
    let mut o = Options {
        seconds: 300,
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs() ^ u64::from(d.subsec_nanos()))
            | 1,
        release: false,
        only: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> Result<u64> {
            it.next()
                .with_context(|| format!("{name} needs a value"))?
                .parse()
                .with_context(|| format!("{name} needs a number"))
        };
        match a.as_str() {
            "--seconds" => o.seconds = value("--seconds")?,
            "--seed" => o.seed = value("--seed")?.max(1),
            "--release" => o.release = true,
            "--only" => o.only = Some(it.next().context("--only needs a scenario's name")?.clone()),
            other => bail!(
                "unknown argument `{other}`; usage: cargo xtask faults [--seconds N] [--seed S] [--release] [--only TEXT]"
            ),
        }
    }
    Ok(o)
}

/// One way of injuring a data directory, and what it saw.
type Scenario = fn(&mut Campaign, &mut Rng) -> Result<String>;

/// What a scenario saw, for the summary table.
#[derive(Default)]
struct Tally {
    runs: u64,
    outcomes: BTreeMap<String, u64>,
}

struct Campaign {
    bin: PathBuf,
    work: PathBuf,
    input: PathBuf,
    /// Initialised with the organisation, no records.
    empty: PathBuf,
    /// Every kind imported, intact.
    reference: PathBuf,
    kinds: Vec<String>,
    /// The intact evaluation, without its input fingerprint.
    figures: serde_json::Value,
    /// How long the slowest kind took to import, to pick kill moments within it.
    slowest: Duration,
    /// Live rows per kind in the intact directory (`records stats`).
    rows: BTreeMap<String, u64>,
    /// A second work-order file for `--replace`: the first half of the rows, with
    /// their end times moved; and the figures of the intact directory after it.
    replacement: PathBuf,
    replaced: Option<(serde_json::Value, BTreeMap<String, u64>)>,
    counter: u64,
}

/// Runs the campaign.
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let o = options(args)?;
    let mut build = vec!["build", "-p", "yardstick"];
    if o.release {
        build.push("--release");
    }
    crate::run(root, "cargo", &build)?;
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let bin = target
        .join(if o.release { "release" } else { "debug" })
        .join("yardstick");
    let work = std::env::temp_dir().join(format!("yardstick-faults-{}", o.seed));
    if work.exists() {
        fs::remove_dir_all(&work).with_context(|| format!("cannot clear {}", work.display()))?;
    }
    fs::create_dir_all(&work)?;
    println!(
        "fault injection: seed {} (replay with --seed {}), {} s, work in {}",
        o.seed,
        o.seed,
        o.seconds,
        work.display()
    );
    let mut c = Campaign::prepare(bin, work.clone())?;
    let mut rng = Rng(o.seed);
    let mut tallies: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let all: [(&'static str, Scenario); 12] = [
        ("kill an import", Campaign::kill_import),
        ("kill a replacing import", Campaign::kill_replace),
        ("kill an evaluation and freeze", Campaign::kill_evaluate),
        ("two imports at once", Campaign::concurrent_imports),
        ("close the output pipe", Campaign::closed_pipe),
        ("file size limit on an import", Campaign::size_limit),
        ("flip a byte of a record file", Campaign::flip_byte),
        ("truncate a record file", Campaign::truncate_file),
        ("remove a record file", Campaign::remove_file),
        ("swap two record files", Campaign::swap_files),
        ("empty the metadata database", Campaign::empty_database),
        ("damage the metadata database", Campaign::damage_database),
    ];
    let scenarios: Vec<(&'static str, Scenario)> = all
        .into_iter()
        .filter(|(name, _)| o.only.as_deref().is_none_or(|t| name.contains(t)))
        .collect();
    if scenarios.is_empty() {
        bail!("no scenario's name holds `{}`", o.only.unwrap_or_default());
    }
    let started = Instant::now();
    let budget = Duration::from_secs(o.seconds);
    let mut round = 0usize;
    let mut failure = None;
    // Every scenario runs at least once, then they take turns while time is left.
    while round < scenarios.len() || started.elapsed() < budget {
        let (name, scenario) = scenarios[round % scenarios.len()];
        round += 1;
        match scenario(&mut c, &mut rng) {
            Ok(outcome) => {
                let t = tallies.entry(name).or_default();
                t.runs += 1;
                *t.outcomes.entry(outcome).or_default() += 1;
            }
            Err(e) => {
                failure = Some(format!("{name}: {e:#}"));
                break;
            }
        }
    }
    println!();
    println!("{:<32} {:>5}  outcomes", "scenario", "runs");
    for (name, t) in &tallies {
        let outcomes: Vec<String> = t
            .outcomes
            .iter()
            .map(|(k, v)| format!("{k} ×{v}"))
            .collect();
        println!("{name:<32} {:>5}  {}", t.runs, outcomes.join(", "));
    }
    println!(
        "{round} run(s) in {:.0} s, seed {}",
        started.elapsed().as_secs_f64(),
        o.seed
    );
    if let Some(f) = failure {
        bail!(
            "VIOLATION (seed {}): {f}\nthe working directory is kept: {}",
            o.seed,
            work.display()
        );
    }
    let refused: u64 = tallies
        .values()
        .flat_map(|t| t.outcomes.iter())
        .filter(|(k, _)| k.contains("refused"))
        .map(|(_, v)| v)
        .sum();
    println!(
        "faults injected {}, refused with an error {refused}, rows lost 0 (every recovery compares the live rows of each kind and the figures)",
        tallies.values().map(|t| t.runs).sum::<u64>()
    );
    fs::remove_dir_all(&work).ok();
    println!("no violation");
    Ok(())
}

impl Campaign {
    fn prepare(bin: PathBuf, work: PathBuf) -> Result<Campaign> {
        let input = work.join("input");
        let y = |args: &[&str]| -> Result<Output> { yardstick(&bin, None, args) };
        expect_code(
            &y(&[
                "demo",
                "generate",
                "--seed",
                "7",
                "--days",
                "31",
                "--end",
                "2026-10-31",
                "--out",
                &input.to_string_lossy(),
            ])?,
            0,
            "demo generate",
        )?;
        let mut kinds: Vec<String> = fs::read_dir(&input)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        kinds.sort();
        let empty = work.join("empty");
        expect_code(
            &yardstick(&bin, None, &["init", &empty.to_string_lossy()])?,
            0,
            "init",
        )?;
        expect_code(
            &yardstick(
                &bin,
                Some(&empty),
                &["org", "import", &input.join("org.toml").to_string_lossy()],
            )?,
            0,
            "org import",
        )?;
        let reference = work.join("reference");
        copy_dir(&empty, &reference)?;
        let mut slowest = Duration::ZERO;
        for k in &kinds {
            let t = Instant::now();
            let file = input.join(format!("{k}.csv"));
            expect_code(
                &yardstick(
                    &bin,
                    Some(&reference),
                    &["ingest", k, &file.to_string_lossy()],
                )?,
                0,
                &format!("ingest {k}"),
            )?;
            slowest = slowest.max(t.elapsed());
        }
        let out = yardstick(
            &bin,
            Some(&reference),
            &["evaluate", "--period", PERIOD, "--format", "json"],
        )?;
        expect_code(&out, 0, "evaluate")?;
        let figures = figures(&out.stdout)?;
        let rows = live_rows(&yardstick(&bin, Some(&reference), &["records", "stats"])?)?;
        let replacement = work.join("replacement.csv");
        let orders = fs::read_to_string(input.join("work_order.csv"))?;
        let lines: Vec<&str> = orders.lines().collect();
        let half = lines.len() / 2;
        fs::write(
            &replacement,
            format!("{}\n", lines[..half.max(2)].join("\n")),
        )?;
        println!(
            "reference: {} kinds imported, slowest {:.1} s; evaluation of {PERIOD} taken",
            kinds.len(),
            slowest.as_secs_f64()
        );
        Ok(Campaign {
            bin,
            work,
            input,
            empty,
            reference,
            kinds,
            figures,
            slowest,
            rows,
            replacement,
            replaced: None,
            counter: 0,
        })
    }

    fn fresh(&mut self, from: &Path) -> Result<PathBuf> {
        self.counter += 1;
        let dir = self.work.join(format!("run-{}", self.counter));
        copy_dir(from, &dir)?;
        Ok(dir)
    }

    fn done(dir: &Path) {
        fs::remove_dir_all(dir).ok();
    }

    fn y(&self, dir: &Path, args: &[&str]) -> Result<Output> {
        yardstick(&self.bin, Some(dir), args)
    }

    fn kind_file(&self, kind: &str) -> String {
        self.input
            .join(format!("{kind}.csv"))
            .to_string_lossy()
            .into_owned()
    }

    /// After an interrupted import: `verify` exits 0 naming any leftovers, `repair`
    /// removes them, `verify` then finds everything in order; every kind imported
    /// again gives the intact figures.
    fn recovers(&self, dir: &Path) -> Result<()> {
        expect_code(&self.y(dir, &["verify"])?, 0, "verify after the fault")?;
        expect_code(&self.y(dir, &["repair"])?, 0, "repair")?;
        let v = self.y(dir, &["verify"])?;
        expect_code(&v, 0, "verify after repair")?;
        if !String::from_utf8_lossy(&v.stdout).contains("everything matches the manifest") {
            bail!(
                "verify after repair does not find everything in order:\n{}",
                String::from_utf8_lossy(&v.stdout)
            );
        }
        for k in &self.kinds {
            expect_code(
                &self.y(dir, &["ingest", k, &self.kind_file(k)])?,
                0,
                &format!("ingest {k} after recovery"),
            )?;
        }
        let out = self.y(dir, &["evaluate", "--period", PERIOD, "--format", "json"])?;
        expect_code(&out, 0, "evaluate after recovery")?;
        if figures(&out.stdout)? != self.figures {
            bail!("after recovery the evaluation differs from the intact one");
        }
        self.same_rows(dir, &self.rows)
    }

    /// No row lost or doubled: the live rows of every kind as in `want`.
    fn same_rows(&self, dir: &Path, want: &BTreeMap<String, u64>) -> Result<()> {
        let got = live_rows(&self.y(dir, &["records", "stats"])?)?;
        if &got != want {
            bail!("live rows per kind {got:?}, expected {want:?}");
        }
        Ok(())
    }

    /// Runs `args` in `dir`, kills it (SIGKILL) after `after`; whether it had ended first.
    fn kill_after(&self, dir: &Path, args: &[&str], after: Duration) -> Result<bool> {
        let mut child: Child = command(&self.bin, Some(dir), args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start yardstick")?;
        std::thread::sleep(after);
        let finished = child.try_wait()?.is_some();
        child.kill().ok();
        child.wait()?;
        Ok(finished)
    }

    fn kill_import(&mut self, rng: &mut Rng) -> Result<String> {
        let dir = self.fresh(&self.empty.clone())?;
        // The two largest kinds take long enough to be killed in the middle.
        let kind = if rng.below(2) == 0 {
            "hall_ticket"
        } else {
            "contact"
        };
        let file = self.kind_file(kind);
        let limit = u64::try_from(self.slowest.as_millis()).unwrap_or(u64::MAX / 2) * 6 / 5;
        let after = Duration::from_millis(rng.below(limit.max(1)));
        let finished = self.kill_after(&dir, &["ingest", kind, &file], after)?;
        self.recovers(&dir)?;
        Self::done(&dir);
        Ok(if finished {
            "finished before the kill".into()
        } else {
            "killed, recovered".into()
        })
    }

    fn size_limit(&mut self, rng: &mut Rng) -> Result<String> {
        let dir = self.fresh(&self.empty.clone())?;
        let kind = "hall_ticket";
        let file = self.kind_file(kind);
        // 1 KiB blocks: from 4 KiB to 4 MiB, below the kind's stored size.
        let blocks = 4 + rng.below(4096);
        let out = Command::new("sh")
            .arg("-c")
            .arg("ulimit -f \"$0\"; shift; exec \"$@\"")
            .arg(blocks.to_string())
            .arg("placeholder")
            .arg(&self.bin)
            .arg("--lang")
            .arg("en")
            .arg("--data-dir")
            .arg(&dir)
            .args(["ingest", kind, &file])
            .output()
            .context("cannot run sh")?;
        let code = out.status.code();
        let outcome = match code {
            Some(0) => "under the limit".to_string(),
            Some(1) => {
                let err = String::from_utf8_lossy(&out.stderr);
                if err.lines().count() > 6 || err.contains("panicked") {
                    bail!("a write failure should be said once, in words:\n{err}");
                }
                "refused with exit 1".to_string()
            }
            other => bail!(
                "ingest under a {blocks} KiB file size limit exited {other:?}:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ),
        };
        self.recovers(&dir)?;
        Self::done(&dir);
        Ok(outcome)
    }

    /// The intact directory with the replacement imported, once: its figures and rows.
    fn replaced(&mut self) -> Result<(serde_json::Value, BTreeMap<String, u64>)> {
        if let Some(r) = &self.replaced {
            return Ok(r.clone());
        }
        let dir = self.fresh(&self.reference.clone())?;
        let file = self.replacement.to_string_lossy().into_owned();
        let out = self.y(&dir, &["ingest", "work_order", &file, "--replace"])?;
        expect_code(&out, 0, "ingest --replace")?;
        let ev = self.y(&dir, &["evaluate", "--period", PERIOD, "--format", "json"])?;
        expect_code(&ev, 0, "evaluate after --replace")?;
        let r = (
            figures(&ev.stdout)?,
            live_rows(&self.y(&dir, &["records", "stats"])?)?,
        );
        Self::done(&dir);
        self.replaced = Some(r.clone());
        Ok(r)
    }

    fn kill_replace(&mut self, rng: &mut Rng) -> Result<String> {
        let (want_figures, want_rows) = self.replaced()?;
        let dir = self.fresh(&self.reference.clone())?;
        let file = self.replacement.to_string_lossy().into_owned();
        let after = Duration::from_millis(rng.below(2_000));
        let finished =
            self.kill_after(&dir, &["ingest", "work_order", &file, "--replace"], after)?;
        // Either the replacement is in, whole, or nothing of it: then it goes in now.
        expect_code(&self.y(&dir, &["verify"])?, 0, "verify after the kill")?;
        expect_code(&self.y(&dir, &["repair"])?, 0, "repair")?;
        let again = self.y(&dir, &["ingest", "work_order", &file, "--replace"])?;
        expect_code(&again, 0, "ingest --replace again")?;
        let ev = self.y(&dir, &["evaluate", "--period", PERIOD, "--format", "json"])?;
        expect_code(&ev, 0, "evaluate")?;
        if figures(&ev.stdout)? != want_figures {
            bail!("after a killed --replace and a rerun, the figures differ");
        }
        self.same_rows(&dir, &want_rows)?;
        Self::done(&dir);
        Ok(if finished {
            "finished before the kill".into()
        } else {
            "killed, recovered".into()
        })
    }

    fn kill_evaluate(&mut self, rng: &mut Rng) -> Result<String> {
        let dir = self.fresh(&self.reference.clone())?;
        let after = Duration::from_millis(rng.below(3_000));
        let finished = self.kill_after(&dir, &["evaluate", "--period", PERIOD], after)?;
        // Every evaluation it left is whole: it verifies against the records.
        let list = self.y(&dir, &["evaluation", "list"])?;
        expect_code(&list, 0, "evaluation list")?;
        let ids: Vec<String> = String::from_utf8_lossy(&list.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_string)
            .collect();
        for id in &ids {
            expect_code(
                &self.y(&dir, &["evaluation", "verify", id])?,
                0,
                &format!("evaluation verify {id} after the kill"),
            )?;
        }
        let ev = self.y(&dir, &["evaluate", "--period", PERIOD, "--format", "json"])?;
        expect_code(&ev, 0, "evaluate after the kill")?;
        if figures(&ev.stdout)? != self.figures {
            bail!("after a killed evaluation, evaluating again gives other figures");
        }
        Self::done(&dir);
        Ok(match (finished, ids.len()) {
            (true, _) => "finished before the kill".into(),
            (false, 0) => "killed before the freeze".into(),
            (false, _) => "killed, frozen whole".into(),
        })
    }

    fn concurrent_imports(&mut self, rng: &mut Rng) -> Result<String> {
        let dir = self.fresh(&self.empty.clone())?;
        let (a, b) = if rng.below(2) == 0 {
            ("hall_ticket", "contact")
        } else {
            ("contact", "hall_ticket")
        };
        let spawn = |kind: &str| {
            command(
                &self.bin,
                Some(&dir),
                &["ingest", kind, &self.kind_file(kind)],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot start yardstick")
        };
        let first = spawn(a)?;
        std::thread::sleep(Duration::from_millis(rng.below(500)));
        let second = spawn(b)?;
        for (kind, child) in [(a, first), (b, second)] {
            let out = child.wait_with_output()?;
            expect_code(&out, 0, &format!("concurrent ingest {kind}"))?;
        }
        self.recovers(&dir)?;
        Self::done(&dir);
        Ok("both committed".into())
    }

    fn closed_pipe(&mut self, rng: &mut Rng) -> Result<String> {
        let bytes = 1 + rng.below(4_000);
        let out = Command::new("bash")
            .arg("-c")
            .arg("set -o pipefail; \"$0\" --lang en --data-dir \"$1\" evaluate --period \"$2\" --format json | head -c \"$3\" > /dev/null")
            .arg(&self.bin)
            .arg(&self.reference)
            .arg(PERIOD)
            .arg(bytes.to_string())
            .output()
            .context("cannot run bash")?;
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(0) || err.contains("panicked") {
            bail!(
                "evaluate into a pipe closed after {bytes} bytes: exit {:?}\n{err}",
                out.status.code()
            );
        }
        Ok("quiet, exit 0".into())
    }

    /// A record file of the intact directory, chosen at random.
    fn record_file(&self, dir: &Path, rng: &mut Rng) -> Result<PathBuf> {
        let mut files = Vec::new();
        walk(&dir.join("records"), &mut files)?;
        files.retain(|f| f.extension().is_some_and(|x| x == "parquet"));
        files.sort();
        if files.is_empty() {
            bail!("no record file under {}", dir.display());
        }
        Ok(files[rng.index(files.len())].clone())
    }

    /// Damaged stored records: `verify --hash` must say so (exit 4), and `evaluate`
    /// must refuse (exit 4) or give exactly the intact figures.
    fn damaged_records(&self, dir: &Path, what: &str) -> Result<String> {
        let v = self.y(dir, &["verify", "--hash"])?;
        expect_code(&v, 4, &format!("verify --hash after {what}"))?;
        let out = self.y(dir, &["evaluate", "--period", PERIOD, "--format", "json"])?;
        match out.status.code() {
            Some(4) => Ok("evaluate refused (exit 4)".into()),
            Some(0) if figures(&out.stdout)? == self.figures => {
                Ok("evaluate unaffected: the same figures".into())
            }
            Some(0) => bail!("after {what}, evaluate exits 0 with figures that differ"),
            other => bail!(
                "after {what}, evaluate exits {other:?} (expected 4):\n{}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    fn flip_byte(&mut self, rng: &mut Rng) -> Result<String> {
        let dir = self.fresh(&self.reference.clone())?;
        let file = self.record_file(&dir, rng)?;
        let mut bytes = fs::read(&file)?;
        let at = rng.index(bytes.len());
        bytes[at] ^= 1 << rng.below(8);
        fs::write(&file, bytes)?;
        let r = self.damaged_records(&dir, "flipping a byte")?;
        Self::done(&dir);
        Ok(r)
    }

    fn truncate_file(&mut self, rng: &mut Rng) -> Result<String> {
        let dir = self.fresh(&self.reference.clone())?;
        let file = self.record_file(&dir, rng)?;
        let len = fs::metadata(&file)?.len();
        let f = fs::OpenOptions::new().write(true).open(&file)?;
        f.set_len(rng.below(len))?;
        drop(f);
        let r = self.damaged_records(&dir, "truncating a file")?;
        Self::done(&dir);
        Ok(r)
    }

    fn remove_file(&mut self, rng: &mut Rng) -> Result<String> {
        let dir = self.fresh(&self.reference.clone())?;
        let file = self.record_file(&dir, rng)?;
        fs::remove_file(&file)?;
        let r = self.damaged_records(&dir, "removing a file")?;
        Self::done(&dir);
        Ok(r)
    }

    fn swap_files(&mut self, rng: &mut Rng) -> Result<String> {
        let dir = self.fresh(&self.reference.clone())?;
        let a = self.record_file(&dir, rng)?;
        let mut b = self.record_file(&dir, rng)?;
        for _ in 0..8 {
            if b != a {
                break;
            }
            b = self.record_file(&dir, rng)?;
        }
        if a == b {
            Self::done(&dir);
            return Ok("one file only: skipped".into());
        }
        let tmp = dir.join("swap.tmp");
        fs::rename(&a, &tmp)?;
        fs::rename(&b, &a)?;
        fs::rename(&tmp, &b)?;
        let r = self.damaged_records(&dir, "swapping two files")?;
        Self::done(&dir);
        Ok(r)
    }

    /// A damaged metadata database: whatever a command says, it must not be other
    /// figures with exit 0.
    fn database_checked(&self, dir: &Path, what: &str) -> Result<String> {
        let out = self.y(dir, &["evaluate", "--period", PERIOD, "--format", "json"])?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("panicked") {
            bail!("after {what}, evaluate panicked:\n{stderr}");
        }
        match out.status.code() {
            Some(0) if figures(&out.stdout)? == self.figures => {
                Ok("evaluate unaffected: the same figures".into())
            }
            Some(0) => bail!("after {what}, evaluate exits 0 with figures that differ"),
            Some(code @ (1 | 2 | 4)) => Ok(format!("evaluate refused (exit {code})")),
            other => bail!("after {what}, evaluate exits {other:?}:\n{stderr}"),
        }
    }

    fn damage_database(&mut self, rng: &mut Rng) -> Result<String> {
        let dir = self.fresh(&self.reference.clone())?;
        let db = dir.join("meta.sqlite");
        let mut bytes = fs::read(&db).context("the metadata database")?;
        // Several bytes past SQLite's 100-byte header, where the pages are.
        for _ in 0..1 + rng.below(8) {
            let at = 100 + rng.index(bytes.len() - 100);
            bytes[at] = rng.next().to_le_bytes()[0];
        }
        fs::write(&db, bytes)?;
        let r = self.database_checked(&dir, "damaging the metadata database")?;
        // Damage is said as damage (exit 4), not as the user's input or an internal
        // error: SQLite's "malformed", a value that no longer decodes, an organisation
        // or guideline that no longer matches its fingerprint.
        if r.contains("exit 1") || r.contains("exit 2") {
            bail!("a damaged metadata database must be exit 4 or unaffected, got: {r}");
        }
        Self::done(&dir);
        Ok(r)
    }

    fn empty_database(&mut self, _rng: &mut Rng) -> Result<String> {
        let dir = self.fresh(&self.reference.clone())?;
        fs::write(dir.join("meta.sqlite"), b"")?;
        let r = self.database_checked(&dir, "emptying the metadata database")?;
        // Emptied next to stored records, it is damage: said, never re-created.
        if !r.contains("exit 4") {
            bail!("an emptied metadata database beside records must be exit 4, got: {r}");
        }
        let v = self.y(&dir, &["verify"])?;
        expect_code(&v, 4, "verify with an emptied metadata database")?;
        Self::done(&dir);
        Ok(r)
    }
}

fn command(bin: &Path, dir: Option<&Path>, args: &[&str]) -> Command {
    let mut c = Command::new(bin);
    c.args(["--lang", "en"]);
    if let Some(d) = dir {
        c.arg("--data-dir").arg(d);
    }
    c.args(args);
    c.env_remove("YARDSTICK_DATA_DIR")
        .env_remove("YARDSTICK_DATABASE_URL");
    c
}

fn yardstick(bin: &Path, dir: Option<&Path>, args: &[&str]) -> Result<Output> {
    command(bin, dir, args)
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))
}

fn expect_code(out: &Output, code: i32, what: &str) -> Result<()> {
    if out.status.code() == Some(code) {
        return Ok(());
    }
    bail!(
        "{what}: exit {:?}, expected {code}\nstdout: {}\nstderr: {}",
        out.status.code(),
        tail(&out.stdout),
        tail(&out.stderr)
    )
}

fn tail(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// The evaluation's figures: the JSON without the input fingerprint (batch numbers
/// differ after a recovery; the records and figures must not).
fn figures(stdout: &[u8]) -> Result<serde_json::Value> {
    let mut v: serde_json::Value =
        serde_json::from_slice(stdout).context("the evaluation is not JSON")?;
    if let Some(o) = v.as_object_mut() {
        o.remove("input_fingerprint");
    }
    Ok(v)
}

/// Live rows per kind from `records stats` (English table: kind, stored, superseded).
fn live_rows(out: &Output) -> Result<BTreeMap<String, u64>> {
    expect_code(out, 0, "records stats")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .context("records stats printed nothing")?
        .split_whitespace()
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .with_context(|| format!("no `{name}` column in records stats"))
    };
    let (kind, stored, superseded) = (col("kind")?, col("stored")?, col("superseded")?);
    let mut rows = BTreeMap::new();
    for line in lines {
        let cells: Vec<&str> = line.split_whitespace().collect();
        let number = |i: usize| cells.get(i).and_then(|c| c.parse::<u64>().ok());
        if let (Some(k), Some(s), Some(x)) = (cells.get(kind), number(stored), number(superseded)) {
            *rows.entry((*k).to_string()).or_default() += s - x.min(s);
        }
    }
    Ok(rows)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for e in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for e in fs::read_dir(from)? {
        let e = e?;
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            fs::copy(&src, &dst)
                .with_context(|| format!("cannot copy {} to {}", src.display(), dst.display()))?;
        }
    }
    Ok(())
}
