//! `feedlab serve` as a process: the listening line, SIGTERM within 5 s, a taken port as exit code 2.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn feedlab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_feedlab"))
}

/// Starts `feedlab serve` on a free port and reads the address from its one stdout line.
fn serve(extra: &[&str]) -> (Child, String) {
    let mut child = feedlab()
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("feedlab listening on ")
        .unwrap_or_else(|| panic!("unexpected line {line:?}"))
        .to_owned();
    (child, url)
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn sigterm_ends_the_server_within_5_seconds_even_with_open_streams() {
    let (mut child, url) = serve(&[]);
    let addr = url.strip_prefix("http://").unwrap().to_owned();
    // Hold a long-poll and an SSE stream open so shutdown has work to do.
    let mut held = Vec::new();
    for path in ["/longpoll?timeout_ms=60000", "/sse"] {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
        held.push(stream);
    }
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = wait_exit(&mut child, Duration::from_secs(5));
    let took = started.elapsed();
    if status.is_none() {
        let _ = child.kill();
    }
    let status = status.unwrap_or_else(|| panic!("still running {took:?} after SIGTERM"));
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_taken_port_is_a_one_line_error_with_exit_code_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = feedlab().args(["serve", "--addr", &addr]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("already in use") && stderr.contains(&addr), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_flags_are_refused_with_exit_code_2() {
    for args in [
        &["serve", "--ticker", "fast"][..],
        &["serve", "--disable", "pigeon"],
        &["serve", "--addr", "nowhere"],
        &["floor", "--pairs", "0"],
        &["floor", "--frames-per-send", "1,x"],
        &["floor", "--placement", "everywhere"],
    ] {
        let output = feedlab().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    }
}

#[test]
fn help_describes_every_subcommand() {
    let output = feedlab().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for word in ["serve", "bench", "floor", "run", "report"] {
        assert!(help.contains(word), "{help}");
    }
    let help_of =
        |cmd: &str| String::from_utf8_lossy(&feedlab().args([cmd, "--help"]).output().unwrap().stdout).into_owned();
    let floor_help = help_of("floor");
    for flag in ["--pairs", "--payload", "--frames-per-send", "--window", "--repeats", "--placement", "--json"] {
        assert!(floor_help.contains(flag), "{flag} missing from floor --help");
    }
    assert!(floor_help.contains("epoll"), "{floor_help}");
    let bench_help = help_of("bench");
    assert!(bench_help.contains("--server-pid") && bench_help.contains("us per connect"), "{bench_help}");
    let serve_help =
        String::from_utf8_lossy(&feedlab().args(["serve", "--help"]).output().unwrap().stdout).into_owned();
    for flag in ["--addr", "--ticker", "--allow-origin", "--disable", "--max-streams", "--publish-token"] {
        assert!(serve_help.contains(flag), "{flag} missing from serve --help");
    }
}
