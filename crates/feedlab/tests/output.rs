//! What a user reads from `feedlab bench` when its output goes to a file or a pipe (plain lines: no escape
//! codes, no module paths, warnings as `feedlab: warning: ...`), SIGTERM ending a bench with what it
//! measured as Ctrl-C does, and `feedlab run --help` describing the output modes.
//! (`feedlab run`'s own output is checked by tests/suite.rs, on its quick run.)

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Instant;

use common::{HANG_GUARD, feedlab, open_connections, serve, wait_exit};

/// Kills the child when dropped, so a failed test leaves no process behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A browser header fixture with one header name that is not valid HTTP: the harness skips it with a
/// warning on every request, a log line a user reads.
const FIXTURE_WITH_A_BAD_HEADER: &str = r#"{
  "chromium_version": "test",
  "captured": "2026-01-01",
  "request": "GET /poll HTTP/1.1\r\nHost: 127.0.0.1:1\r\nBad Name: x\r\n\r\n",
  "headers": [["Host", "127.0.0.1:1"], ["Bad Name", "x"]]
}"#;

#[test]
fn piped_bench_output_is_plain_lines_then_the_table() {
    let (server, url) = serve(&[]);
    let _server = Running(server);
    let dir = std::env::temp_dir().join(format!("feedlab-output-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = dir.join("fixture.json");
    std::fs::write(&fixture, FIXTURE_WITH_A_BAD_HEADER).unwrap();
    let args = ["bench", "--target", &url, "--transport", "poll", "--poll-interval", "200ms", "--duration", "1s"];
    let out = feedlab()
        .args(args)
        .args(["--drain", "1s", "--headers", "browser", "--browser-fixture", fixture.to_str().unwrap()])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{}\n{stderr}", out.status);
    assert!(stdout.starts_with("feedlab bench: poll x 1 clients"), "{stdout}");
    assert!(
        stderr.lines().any(|l| l.starts_with("feedlab: warning: skipping a header that is not valid HTTP")),
        "the warning, as a user reads it: {stderr}"
    );
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(!text.contains('\x1b'), "{name} holds escape codes: {text}");
        assert!(!text.contains("feedlab_"), "{name} names a module: {text}");
    }
}

#[test]
fn sigterm_ends_a_bench_with_what_it_measured() {
    let (server, url) = serve(&[]);
    let _server = Running(server);
    let addr = url.strip_prefix("http://").unwrap().to_owned();
    let bench = feedlab()
        .args(["bench", "--target", &url, "--transport", "sse", "--clients", "3", "--duration", "60s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut bench = Running(bench);
    // Its clients are connected, by the server's own counters: the run is under way.
    let deadline = Instant::now() + HANG_GUARD;
    while open_connections(&addr, "sse") < 3 {
        assert!(Instant::now() < deadline, "the bench never connected");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let killed = Command::new("kill").args(["-TERM", &bench.0.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = wait_exit(&mut bench.0, HANG_GUARD).expect("bench still running after SIGTERM");
    let read = |pipe: &mut dyn std::io::Read| {
        let mut s = String::new();
        pipe.read_to_string(&mut s).unwrap();
        s
    };
    let stdout = read(&mut bench.0.stdout.take().unwrap());
    let stderr = read(&mut bench.0.stderr.take().unwrap());
    // As after Ctrl-C: a normal exit with the partial result's table, not death by the signal.
    assert!(status.success(), "{status}\n{stderr}");
    assert!(stderr.contains("SIGTERM"), "{stderr}");
    assert!(
        stdout.starts_with("feedlab bench: sse x 3 clients") && stdout.contains("[CANCELLED: partial]"),
        "{stdout}"
    );
}

#[test]
fn run_help_describes_the_output() {
    let out = feedlab().args(["run", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for words in ["progress bar", "one plain line per finished step", "verdict", "README.md", "-v", "SIGTERM"] {
        assert!(help.contains(words), "`{words}` missing from feedlab run --help:\n{help}");
    }
}
