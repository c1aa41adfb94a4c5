//! What the binary's tests share: the binary, a `feedlab serve` child on a free port, and plain HTTP/1.1
//! requests to it.
// Each test file uses a part of these.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub fn feedlab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_feedlab"))
}

/// Starts `feedlab serve` on a free port (unless `extra` gives `--addr`) and reads the address from its one
/// stdout line.
pub fn serve(extra: &[&str]) -> (Child, String) {
    let free_port: &[&str] = if extra.contains(&"--addr") { &[] } else { &["--addr", "127.0.0.1:0"] };
    let mut child = feedlab()
        .arg("serve")
        .args(free_port)
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

pub fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Sends one GET on a new connection (`Connection: close`: the answer ends with the connection) and returns
/// the socket, the answer still to be read. Reads give up
/// after [`HANG_GUARD`], so a server that never answers fails the test instead of hanging it.
pub fn send_get(addr: &str, path: &str) -> std::net::TcpStream {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(HANG_GUARD)).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    stream
}

/// Everything the server sends until it closes the connection.
pub fn read_all(mut stream: std::net::TcpStream) -> String {
    use std::io::Read;
    let mut out = Vec::new();
    stream
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("no end of answer ({e}): {}", String::from_utf8_lossy(&out)));
    String::from_utf8_lossy(&out).into_owned()
}

/// Open connections of `transport` by the server's own `/stats`.
pub fn open_connections(addr: &str, transport: &str) -> u64 {
    let answer = read_all(send_get(addr, "/stats"));
    let body = answer.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default();
    let stats: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"));
    stats["transports"][transport]["open_connections"].as_u64().unwrap()
}

/// Only for failures: how long a test waits for something that should already have happened.
pub const HANG_GUARD: Duration = Duration::from_secs(30);
