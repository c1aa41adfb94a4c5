//! `feedlab serve` as a process: the listening line, SIGTERM ending open streams, a taken port as exit code 2.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{HANG_GUARD, feedlab, open_connections, read_all, send_get, serve, wait_exit};

/// SIGTERM with a held long-poll and an open SSE stream: each is ended the way DESIGN.md promises (the
/// long-poll answered, empty; the event stream finished with its last chunk) and then the process exits
/// with success. How quickly is not asserted here: the shutdown's budget is `SHUTDOWN_GRACE`, a constant.
#[test]
fn sigterm_ends_open_streams_then_exits_cleanly() {
    let (mut child, url) = serve(&[]);
    let addr = url.strip_prefix("http://").unwrap().to_owned();
    let longpoll = send_get(&addr, "/longpoll?timeout_ms=60000");
    let sse = send_get(&addr, "/sse");
    // Open by the server's own counters, not after a guessed sleep.
    let deadline = Instant::now() + HANG_GUARD;
    while (open_connections(&addr, "longpoll"), open_connections(&addr, "sse")) != (1, 1) {
        assert!(Instant::now() < deadline, "the streams never opened");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());

    let longpoll = read_all(longpoll);
    assert!(longpoll.starts_with("HTTP/1.1 200"), "{longpoll}");
    assert!(longpoll.contains(r#""messages":[]"#), "answered empty by the shutdown: {longpoll}");
    let sse = read_all(sse);
    assert!(sse.starts_with("HTTP/1.1 200") && sse.contains("text/event-stream"), "{sse}");
    assert!(sse.ends_with("\r\n0\r\n\r\n"), "the stream ends with its last chunk, not a cut: {sse:?}");
    let status = wait_exit(&mut child, HANG_GUARD);
    if status.is_none() {
        let _ = child.kill();
    }
    let status = status.expect("still running after its streams ended");
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
fn a_bad_feed_url_is_named_with_exit_code_2() {
    for bad in ["http://127.0.0.1:6379", "redis://127.0.0.1:notaport", "mongo"] {
        let output = feedlab().args(["serve", "--addr", "127.0.0.1:0", "--feed", bad]).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(bad) && stderr.contains("--feed"), "the error names the flag and the URL: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// Two processes on one port with `--reuse-port`: both start and print the same listening line.
#[test]
fn reuse_port_lets_two_processes_listen_on_one_port() {
    let (mut first, url) = serve(&["--reuse-port"]);
    let addr = url.strip_prefix("http://").unwrap().to_owned();
    let (mut second, second_url) = serve(&["--reuse-port", "--addr", &addr]);
    assert_eq!(second_url, url);
    // Without the flag the port is taken, as before.
    let output = feedlab().args(["serve", "--addr", &addr]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    for child in [&mut first, &mut second] {
        let _ = child.kill();
        let _ = child.wait();
    }
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
    for flag in [
        "--addr",
        "--ticker",
        "--allow-origin",
        "--disable",
        "--max-streams",
        "--publish-token",
        "--feed",
        "--feed-key",
        "--reuse-port",
    ] {
        assert!(serve_help.contains(flag), "{flag} missing from serve --help");
    }
}
