//! `yardstick user`, `token`, `activity` and `serve` as a person runs them: a user added
//! without a password gets a generated one printed once; a token is printed alone on
//! the last line and works against a served data directory; disabling the user stops
//! it; every change is in the activity log; SIGTERM stops the server cleanly.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const ORG: &str = r#"
[[node]]
id = "op"
level = "operator"
name_zh = "运营商"

[[node]]
id = "p1"
parent = "op"
level = "province"
name_zh = "省"

[[node]]
id = "c1"
parent = "p1"
level = "city"
name_zh = "市"

[[site]]
id = "h1"
parent = "c1"
name_zh = "营业厅"
scene = "hall"
area = "urban"
"#;

fn run(data: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yardstick"))
        .args(["--lang", "en", "--data-dir", data])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("written");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("waits");
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A plain HTTP/1.1 GET over a socket (the test needs no HTTP client crate).
fn http_get(port: u16, path: &str, token: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .expect("request sent");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("answer read");
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[test]
fn users_and_tokens_from_the_command_line_work_against_the_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8");
    let org = dir.path().join("org.toml");
    std::fs::write(&org, ORG).expect("org written");
    run(data, &["init"], None);
    run(data, &["org", "import", org.to_str().expect("utf-8")], None);

    // Without --password-stdin, a 16-character password is printed once.
    let added = stdout(&run(
        data,
        &["user", "add", "Li.Wei", "--role", "viewer", "--scope", "c1"],
        None,
    ));
    let password = added.lines().last().expect("password line").trim();
    assert_eq!(password.len(), 16, "{added}");
    assert!(added.contains("user li.wei added"), "{added}");
    run(
        data,
        &[
            "user",
            "add",
            "ops",
            "--role",
            "admin",
            "--scope",
            "op",
            "--password-stdin",
        ],
        Some("a long passphrase\n"),
    );
    run(
        data,
        &[
            "user",
            "grant",
            "li.wei",
            "--role",
            "evaluator",
            "--scope",
            "h1",
        ],
        None,
    );
    let list = stdout(&run(data, &["user", "list"], None));
    assert!(
        list.contains("viewer@c1, evaluator@h1") || list.contains("evaluator@h1, viewer@c1"),
        "{list}"
    );

    // The token alone on the last line.
    let created = stdout(&run(
        data,
        &[
            "token",
            "create",
            "li.wei",
            "--name",
            "etl",
            "--expires-days",
            "7",
        ],
        None,
    ));
    let token = created.lines().last().expect("token line").to_string();
    assert!(token.starts_with("ys_") && token.len() == 67, "{created}");
    assert!(stdout(&run(data, &["token", "list"], None)).contains("etl"));

    // Serve, call, disable, call again, stop.
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_yardstick"))
        .args([
            "--lang",
            "en",
            "--data-dir",
            data,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let sites = http_get(port, "/api/v1/sites", &token);
    assert!(sites.starts_with("HTTP/1.1 200"), "{sites}");
    assert!(sites.contains("\"id\":\"h1\""), "{sites}");
    run(data, &["user", "disable", "li.wei"], None);
    assert!(http_get(port, "/api/v1/sites", &token).starts_with("HTTP/1.1 401"));
    let pid = server.id().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("signal sent");
    let status = server.wait().expect("server ends");
    assert!(
        status.success(),
        "SIGTERM ends the server cleanly: {status:?}"
    );

    let log = stdout(&run(data, &["activity", "--limit", "100"], None));
    for action in ["user.add", "grant.add", "token.create", "user.disable"] {
        assert!(log.contains(action), "{action} missing:\n{log}");
    }
}
