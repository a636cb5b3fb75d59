//! The CLI tests' shared harness: the real binary run with arguments (its exit code,
//! standard output and standard error), a temporary data directory, and one small test
//! organisation with English names, so that English output holds no CJK character but
//! what the data brings.

#![allow(
    dead_code,
    reason = "each test binary uses the part of the harness it needs"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The test organisation: operator `op`, province `gd`, city `gz`, and one site per
/// scene, all urban and standard: hall `h1`, call centres `c1` and `c2`, field centre
/// `f1` (Asia/Shanghai, the default zone).
pub const ORG: &str = r#"
[[node]]
id = "op"
level = "operator"
name_zh = "测试运营商"
name_en = "Test operator"

[[node]]
id = "gd"
parent = "op"
level = "province"
name_zh = "广东"
name_en = "Guangdong"

[[node]]
id = "gz"
parent = "gd"
level = "city"
name_zh = "广州"
name_en = "Guangzhou"

[[site]]
id = "h1"
parent = "gz"
name_zh = "天河营业厅"
name_en = "Tianhe hall"
scene = "hall"
area = "urban"

[[site]]
id = "c1"
parent = "gz"
name_zh = "第一呼叫中心"
name_en = "First call centre"
scene = "call_centre"
area = "urban"

[[site]]
id = "c2"
parent = "gz"
name_zh = "第二呼叫中心"
name_en = "Second call centre"
scene = "call_centre"
area = "urban"

[[site]]
id = "f1"
parent = "gz"
name_zh = "天河装维中心"
name_en = "Tianhe field centre"
scene = "field_centre"
area = "urban"
"#;

/// The header of the small hall-ticket files of the tests.
pub const TICKETS: &str = "site_id,ticket_id,service_type,issued_at,called_at,outcome\n";

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Run {
    /// The command line, for messages.
    pub args: String,
    /// Exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// From a finished process.
    #[must_use]
    pub fn of(args: String, out: &Output) -> Run {
        Run {
            args,
            code: out.status.code(),
            stdout: text(&out.stdout),
            stderr: text(&out.stderr),
        }
    }

    /// Asserts the exit code; returns the run for more checks.
    #[track_caller]
    pub fn code(self, want: i32) -> Run {
        assert_eq!(
            self.code,
            Some(want),
            "{}\n--- stdout\n{}\n--- stderr\n{}",
            self.args,
            self.stdout,
            self.stderr
        );
        self
    }
}

/// The binary, with nothing set.
#[must_use]
pub fn yardstick() -> Command {
    Command::new(env!("CARGO_BIN_EXE_yardstick"))
}

/// Runs a prepared command to its end.
#[must_use]
pub fn run_cmd(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("yardstick runs");
    Run::of(format!("{cmd:?}"), &out)
}

/// A temporary folder holding a data directory (`data`, not created until `init`) and
/// the test's input files; removed at the end.
pub struct Env {
    /// The temporary folder.
    pub tmp: tempfile::TempDir,
    /// The data directory.
    pub data: PathBuf,
    /// `--lang` of every run.
    pub lang: &'static str,
}

impl Env {
    /// A temporary folder; the data directory is not created.
    #[must_use]
    pub fn empty() -> Env {
        let tmp = tempfile::tempdir().expect("temp dir");
        let data = tmp.path().join("data");
        Env {
            tmp,
            data,
            lang: "en",
        }
    }

    /// A data directory initialised with the test organisation ([`ORG`]).
    #[must_use]
    pub fn with_org() -> Env {
        let env = Env::empty();
        env.run(&["init"]).code(0);
        let org = env.write("org.toml", ORG);
        env.run(&["org", "import", s(&org)]).code(0);
        env
    }

    /// The same folder, run in another language.
    #[must_use]
    pub fn lang(mut self, lang: &'static str) -> Env {
        self.lang = lang;
        self
    }

    /// A path in the temporary folder.
    #[must_use]
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Writes a file into the temporary folder.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).expect("file written");
        p
    }

    /// The binary with `--data-dir` and `--lang` set.
    #[must_use]
    pub fn cmd(&self) -> Command {
        let mut c = yardstick();
        c.arg("--data-dir")
            .arg(&self.data)
            .args(["--lang", self.lang]);
        c
    }

    /// Runs the binary on the data directory.
    #[must_use]
    pub fn run(&self, args: &[&str]) -> Run {
        run_cmd(self.cmd().args(args))
    }

    /// Runs and expects exit code 0; returns standard output.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        self.run(args).code(0).stdout
    }

    /// `ingest KIND FILE [FLAGS]`.
    #[must_use]
    pub fn ingest(&self, kind: &str, file: &Path, flags: &[&str]) -> Run {
        let mut args = vec!["ingest", kind, s(file)];
        args.extend_from_slice(flags);
        self.run(&args)
    }

    /// Every file under a folder of the data directory, relative to the data directory
    /// with `/` separators, sorted.
    #[must_use]
    pub fn files_under(&self, sub: &str) -> Vec<String> {
        files_under(&self.data, sub)
    }
}

/// Every file under `root/sub`, relative to `root` with `/` separators, sorted.
#[must_use]
pub fn files_under(root: &Path, sub: &str) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten() {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("under the root");
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &root.join(sub), &mut out);
    out.sort();
    out
}

/// A path as the `&str` an argument list takes.
#[must_use]
pub fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Bytes as text.
#[must_use]
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Asserts that every part is in the text.
#[track_caller]
pub fn assert_contains(haystack: &str, parts: &[&str]) {
    for p in parts {
        assert!(haystack.contains(p), "`{p}` missing from:\n{haystack}");
    }
}

/// Asserts that a run ended without a panic or a backtrace.
#[track_caller]
pub fn assert_no_panic(r: &Run) {
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!r.stderr.contains(bad), "{}: {}", r.args, r.stderr);
    }
    assert_ne!(r.code, Some(101), "{}: {}", r.args, r.stderr);
}
