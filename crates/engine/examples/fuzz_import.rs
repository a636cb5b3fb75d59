//! A bounded randomized test of the importers, run by `cargo xtask fuzz --seconds N`
//! (not part of `cargo test`): seed inputs (a canonical CSV, a foreign CSV through a
//! mapping, the same in GB18030, an Asterisk queue_log) mutated at random — bytes
//! flipped, inserted (quotes, commas, pipes, line breaks, bytes invalid in UTF-8, halves
//! of Chinese characters), ranges deleted, lines repeated, the file cut short — and each
//! mutant imported. It checks that nothing panics, and that every import that reads the
//! file accounts for every row: stored + quarantined + not stored = read, the rows a
//! rule skipped among those not stored; `check_mapping` likewise (valid + quarantined +
//! skipped = read). A whole-file error is a fine outcome. A failing input is written to
//! `target/fuzz-failures/` and the run exits with status 1.
//!
//! Usage: `fuzz_import [--seconds N] [--seed S]`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use yardstick_core::mapping::Mapping;
use yardstick_core::org::Organisation;
use yardstick_core::records::RecordKind;
use yardstick_engine::import::{
    ImportContext, ImportOptions, ImportReport, Imported, InstantWindow, QueueLogSpec, SourceSpec,
    check_mapping, import_source,
};
use yardstick_engine::layout::DataDir;
use yardstick_engine::manifest::KindManifest;

const ORG: &str = r#"
[[node]]
id = "op"
level = "operator"
name_zh = "运营商"

[[node]]
id = "gd"
parent = "op"
level = "province"
name_zh = "广东"

[[node]]
id = "gz"
parent = "gd"
level = "city"
name_zh = "广州"

[[site]]
id = "h1"
parent = "gz"
name_zh = "营业厅"
scene = "hall"
area = "urban"
tz = "Asia/Shanghai"

[[site]]
id = "c1"
parent = "gz"
name_zh = "呼叫中心"
scene = "call_centre"
area = "urban"
"#;

const TICKETS: &str = "site_id,ticket_id,service_type,issued_at,called_at,service_start_at,service_end_at,outcome\n\
h1,T1,payment,2026-10-08 09:15:02,2026-10-08 09:20:00,2026-10-08 09:20:30,2026-10-08 09:25:00,served\n\
h1,T2,enquiry,2026-10-08T01:16:00Z,,,,left\n\
h1,\"T,3\",payment,2026-10-08 09:17:00,2026-10-08 09:21:00,,,no_show\n\
h1,T4,payment,2026-10-08 09:18:00,,,,served\n";

const MAP: &str = r#"
[defaults]
zone = "+08:00"
format = "%Y年%m月%d日 %H:%M:%S"

[[filter]]
name = "test"
column = "类型"
in = ["测试"]

[[record]]
kind = "contact"
id_scope = "day"

[record.fields]
site_id = { value = "c1" }
contact_id = { columns = ["线路", "流水号"], join = "/" }
channel = { value = "voice" }
queue_entry_at = { columns = ["日期", "进队"] }
answered_at = { from = "queue_entry_at", plus = { column = "等待", unit = "s", null = ["-"] } }
talk_s = { column = "通话", unit = "h:mm:ss", null = ["0:00:00"] }
end_at = { from = "answered_at", plus = { field = "talk_s" } }
abandoned_at = { columns = ["日期", "放弃"], null = ["-"] }
outcome = { column = "结果", map = { "已接通" = "answered", "放弃*" = "abandoned" } }
"#;

const MAPPED: &str = "线路,流水号,类型,日期,进队,等待,通话,放弃,结果\n\
A,1,普通,2026年10月8日,9:00:00,20,0:02:23,-,已接通\n\
A,2,普通,2026年10月8日,9:01:00,-,0:00:00,9:01:40,放弃(排队)\n\
B,1,测试,2026年10月8日,9:02:00,5,0:00:10,-,已接通\n\
B,2,普通,2026年10月8日,9:03:00,-,0:00:00,-,已接通\n";

const QUEUE_LOG: &str = "1760000000|1.1|support|NONE|ENTERQUEUE||138|1\n\
1760000010|1.1|support|SIP/101|CONNECT|10|x|3\n\
1760000070|1.1|support|SIP/101|COMPLETECALLER|10|60|1\n\
1760000005|1.2|support|NONE|ENTERQUEUE||139|2\n\
1760000030|1.2|support|NONE|ABANDON|1|2|25\n\
1760000300|NONE|NONE|SIP/101|PAUSE|lunch\n\
1760000400|1.4|support|NONE|ENTERQUEUE||140|1\n\
1760000500|1.2|support|NONE|ABANDON|1|2|25\n";

/// A seed input: how it is read and what it makes.
struct Seed {
    name: &'static str,
    file: &'static str,
    bytes: Vec<u8>,
    kind: RecordKind,
    spec: SourceSpec,
}

fn seeds() -> Vec<Seed> {
    let mapping =
        Arc::new(Mapping::from_toml("fuzz.toml", MAP).expect("the fuzz mapping is valid"));
    let mapped = || SourceSpec {
        mapping: Some(Arc::clone(&mapping)),
        ..SourceSpec::default()
    };
    let (gb, _, _) = encoding_rs::GB18030.encode(MAPPED);
    vec![
        Seed {
            name: "canonical CSV",
            file: "t.csv",
            bytes: TICKETS.as_bytes().to_vec(),
            kind: RecordKind::HallTicket,
            spec: SourceSpec::default(),
        },
        Seed {
            name: "mapped CSV (UTF-8)",
            file: "m.csv",
            bytes: MAPPED.as_bytes().to_vec(),
            kind: RecordKind::Contact,
            spec: mapped(),
        },
        Seed {
            name: "mapped CSV (GB18030)",
            file: "g.csv",
            bytes: gb.into_owned(),
            kind: RecordKind::Contact,
            spec: mapped(),
        },
        Seed {
            name: "queue_log",
            file: "queue_log",
            bytes: QUEUE_LOG.as_bytes().to_vec(),
            kind: RecordKind::Contact,
            spec: SourceSpec {
                queue_log: Some(Arc::new(QueueLogSpec {
                    site: Some("c1".into()),
                    queues: BTreeMap::new(),
                })),
                ..SourceSpec::default()
            },
        },
    ]
}

/// xorshift64*: enough randomness for mutations, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        usize::try_from(self.next() % (n as u64)).unwrap_or(0)
    }
}

const INTERESTING: &[&[u8]] = &[
    b",",
    b"\"",
    b"\n",
    b"\r\n",
    b"|",
    b"\xff",
    b"\xc8",
    b"\xe6\x97",
    b"",
    b"0:00:00",
    b"-",
    b"\xef\xbb\xbf",
    b"ENTERQUEUE",
    b"ABANDON",
    b"9999999999999",
    b"2026-02-30",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(b.len() + 1);
        match rng.below(6) {
            0 if !b.is_empty() => {
                let i = at.min(b.len() - 1);
                b[i] ^= 1 << rng.below(8);
            }
            1 => {
                let ins = INTERESTING[rng.below(INTERESTING.len())];
                b.splice(at..at, ins.iter().copied());
            }
            2 => {
                let end = (at + rng.below(12)).min(b.len());
                b.drain(at..end);
            }
            3 => {
                // Repeat a line.
                let lines: Vec<&[u8]> = b.split(|&c| c == b'\n').collect();
                let pick = lines[rng.below(lines.len())].to_vec();
                b.splice(at..at, pick.into_iter().chain(std::iter::once(b'\n')));
            }
            4 => b.truncate(at),
            _ => {}
        }
    }
    b
}

/// Imports one input; `Err` says what broke.
fn try_one(
    org: &Organisation,
    dir: &Path,
    seed: &Seed,
    bytes: &[u8],
) -> Result<&'static str, String> {
    let path = dir.join(seed.file);
    std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
    let data = DataDir::new(dir.join("data"));
    std::fs::create_dir_all(data.root()).map_err(|e| e.to_string())?;
    let manifest = KindManifest::default();
    let cx = ImportContext {
        dir: &data,
        org,
        manifest: &manifest,
        accept: InstantWindow::default(),
    };
    let cancel = AtomicBool::new(false);
    let imported = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        import_source(
            &cx,
            seed.kind,
            &path,
            &seed.spec,
            ImportOptions::default(),
            &|_| {},
            &cancel,
        )
    }))
    .map_err(|_| "the import panicked".to_string())?;
    let outcome = match imported {
        Err(_) => "whole-file error",
        Ok(Imported::Ready(p)) => {
            accounted(&p.report)?;
            p.discard();
            "imported"
        }
        Ok(Imported::Rejected(r)) => {
            accounted(&r)?;
            "rejected"
        }
        Ok(Imported::AlreadyStored { .. }) => return Err("already stored in an empty store".into()),
    };
    if seed.spec.mapping.is_some() {
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check_mapping(org, InstantWindow::default(), &path, &seed.spec, None, 3)
        }))
        .map_err(|_| "check_mapping panicked".to_string())?;
        if let Ok(kinds) = checked {
            for k in kinds {
                let skipped: u64 = k.ignored.values().sum();
                if k.rows_valid + k.rows_quarantined + skipped != k.rows_read {
                    return Err(format!("check_mapping does not add up: {k:?}"));
                }
            }
        }
    }
    Ok(outcome)
}

fn accounted(r: &ImportReport) -> Result<(), String> {
    let ignored: u64 = r.ignored.values().sum();
    if r.rows_stored + r.rows_quarantined + r.rows_not_stored != r.rows_read
        || ignored != r.rows_ignored
        || r.rows_ignored > r.rows_not_stored
    {
        return Err(format!("the accounting does not add up: {r:?}"));
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let seconds = value("--seconds").unwrap_or(30);
    let seed = value("--seed").unwrap_or(0x005E_ED0F_1A2D);
    let org =
        Organisation::from_toml("fuzz-org.toml", ORG).expect("the fuzz organisation is valid");
    let seeds = seeds();
    let mut rng = Rng(seed | 1);
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut runs: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut total = 0u64;
    // Quiet the panic hook: a panic is reported as a failure below.
    std::panic::set_hook(Box::new(|_| {}));
    while Instant::now() < until {
        let s = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, &s.bytes);
        let tmp = tempfile::tempdir().expect("temp dir");
        match try_one(&org, tmp.path(), s, &input) {
            Ok(outcome) => *runs.entry((s.name, outcome)).or_default() += 1,
            Err(what) => {
                let out =
                    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-failures");
                let _ = std::fs::create_dir_all(&out);
                let file = out.join(format!("{}-{total}", s.file));
                let _ = std::fs::write(&file, &input);
                eprintln!(
                    "FAILED on {} (input kept in {}): {what}",
                    s.name,
                    file.display()
                );
                std::process::exit(1);
            }
        }
        total += 1;
    }
    println!(
        "fuzz_import: {total} mutated inputs in {seconds} s (seed {seed:#x}), no panic, every row accounted for"
    );
    for ((name, outcome), n) in runs {
        println!("  {n:>7}  {name}: {outcome}");
    }
}
