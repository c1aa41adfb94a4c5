//! The bad-input corpus: malformed HTTP requests and WebSocket frames sent over raw TCP.
//!
//! Every case states the answer it must get. After the whole corpus the server still serves and its open
//! connections are back to 0. Frames are built by hand here on purpose: a conforming client library cannot
//! send an unmasked client frame or a reserved opcode.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What a case must get back.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// An HTTP response with this status.
    Status(u16),
    /// An HTTP response with any of these statuses (where the HTTP layer may legitimately pick either).
    OneOf(&'static [u16]),
    /// After a good handshake on `/ws`, a close frame with this code (or, for a few cases, just the end of the
    /// connection: see `CloseOrEnd`).
    Close(u16),
    /// A close frame with this code, or the connection ends without one (the codec refused the bytes outright).
    CloseOrEnd(u16),
    /// A text frame whose JSON has `"type":"error"`, and the connection stays open.
    ErrorMessage,
}

fn host(server: &TestServer) -> String {
    server.addr.to_string()
}

/// A WebSocket frame: `first` is FIN/RSV/opcode, payload masked with a zero key when `masked`.
fn frame(first: u8, masked: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(mask_bit | n as u8),
        n @ 126..=65_535 => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if masked {
        out.extend_from_slice(&[0, 0, 0, 0]);
    }
    out.extend_from_slice(payload);
    out
}

fn text(payload: &[u8]) -> Vec<u8> {
    frame(0x81, true, payload)
}

fn close_frame(payload: &[u8]) -> Vec<u8> {
    frame(0x88, true, payload)
}

fn upgrade(server: &TestServer, path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n",
        host(server)
    )
}

fn http_cases(server: &TestServer) -> Vec<(&'static str, Vec<u8>, Expect)> {
    let h = host(server);
    let get = |target: &str| format!("GET {target} HTTP/1.1\r\nHost: {h}\r\n\r\n").into_bytes();
    let post = |ctype: &str, body: &[u8]| {
        let mut req = format!(
            "POST /messages HTTP/1.1\r\nHost: {h}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(body);
        req
    };
    let mut cases: Vec<(&'static str, Vec<u8>, Expect)> = vec![
        // Request lines.
        // RFC 9112 2.2: a server should ignore empty lines before the request line.
        ("empty lines before the request", format!("\r\n\r\nGET /poll HTTP/1.1\r\nHost: {h}\r\n\r\n").into_bytes(), Expect::Status(200)),
        ("method only", b"GET\r\n\r\n".to_vec(), Expect::Status(400)),
        ("no version (HTTP/0.9 style)", b"GET /poll\r\n\r\n".to_vec(), Expect::Status(400)),
        ("unknown version", format!("GET /poll HTTP/9.9\r\nHost: {h}\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("extra token in request line", format!("GET /poll HTTP/1.1 extra\r\nHost: {h}\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("TLS ClientHello on the plain port", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(), Expect::Status(400)),
        ("binary noise", vec![0u8, 255, 1, 254, 13, 10, 13, 10], Expect::Status(400)),
        ("absolute-form target to another host", format!("GET http://evil.example/poll HTTP/1.1\r\nHost: {h}\r\n\r\n").into_bytes(), Expect::Status(200)),
        // Methods.
        ("unknown method", format!("BREW /poll HTTP/1.1\r\nHost: {h}\r\n\r\n").into_bytes(), Expect::Status(405)),
        ("lower-case method is another method", format!("get /poll HTTP/1.1\r\nHost: {h}\r\n\r\n").into_bytes(), Expect::Status(405)),
        ("POST to /poll", format!("POST /poll HTTP/1.1\r\nHost: {h}\r\nContent-Length: 0\r\n\r\n").into_bytes(), Expect::Status(405)),
        ("PUT to /messages", format!("PUT /messages HTTP/1.1\r\nHost: {h}\r\nContent-Length: 0\r\n\r\n").into_bytes(), Expect::Status(405)),
        ("DELETE /sse", format!("DELETE /sse HTTP/1.1\r\nHost: {h}\r\n\r\n").into_bytes(), Expect::Status(405)),
        ("OPTIONS /longpoll", format!("OPTIONS /longpoll HTTP/1.1\r\nHost: {h}\r\n\r\n").into_bytes(), Expect::Status(405)),
        ("HEAD /poll", format!("HEAD /poll HTTP/1.1\r\nHost: {h}\r\n\r\n").into_bytes(), Expect::Status(405)),
        ("GET /messages", get("/messages"), Expect::Status(405)),
        // Query strings and percent-encoding.
        ("after not a number", get("/poll?after=abc"), Expect::Status(400)),
        ("after negative", get("/poll?after=-5"), Expect::Status(400)),
        ("after overflows u64", get("/poll?after=18446744073709551616"), Expect::Status(400)),
        ("after as invalid UTF-8 escapes", get("/poll?after=%FF%FE"), Expect::Status(400)),
        ("lone percent", get("/poll?after=%"), Expect::Status(400)),
        ("truncated escape", get("/poll?after=1%2"), Expect::Status(400)),
        ("NUL in client id", get("/poll?client=a%00b"), Expect::Status(400)),
        ("client id too long", get(&format!("/poll?client={}", "a".repeat(65))), Expect::Status(400)),
        ("client id with markup", get("/sse?client=%3Cscript%3E"), Expect::Status(400)),
        ("limit zero", get("/longpoll?limit=0"), Expect::Status(400)),
        ("limit huge", get("/poll?limit=100000000"), Expect::Status(400)),
        ("timeout over a minute", get("/longpoll?timeout_ms=600000"), Expect::Status(400)),
        ("epoch not a number", get("/ws?epoch=now"), Expect::Status(400)),
        ("cursor ahead of the feed", get("/poll?after=1000000"), Expect::Status(409)),
        ("path traversal", get("/../../etc/passwd"), Expect::Status(404)),
        ("encoded traversal into results", get("/results/..%2F..%2Fetc%2Fpasswd"), Expect::Status(404)),
        // Headers.
        ("header without colon", format!("GET /poll HTTP/1.1\r\nHost: {h}\r\nNoColonHere\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("space before colon", format!("GET /poll HTTP/1.1\r\nHost : {h}\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("obsolete line folding", format!("GET /poll HTTP/1.1\r\nHost: {h}\r\nX-A: one\r\n two\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("non-token header name", format!("GET /poll HTTP/1.1\r\nHost: {h}\r\nX(A): 1\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("NUL in header value", format!("GET /poll HTTP/1.1\r\nHost: {h}\r\nX-A: a\0b\r\n\r\n").into_bytes(), Expect::Status(400)),
        // actix-http reads heads up to 128 KiB; past that the request is refused.
        ("header value over 128 KiB", format!("GET /poll HTTP/1.1\r\nHost: {h}\r\nX-Big: {}\r\n\r\n", "b".repeat(200_000)).into_bytes(), Expect::OneOf(&[400, 431])),
        ("too many headers", {
            let many: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
            format!("GET /poll HTTP/1.1\r\nHost: {h}\r\n{many}\r\n").into_bytes()
        }, Expect::OneOf(&[400, 431])),
        ("URL over 128 KiB", get(&format!("/poll?pad={}", "p".repeat(200_000))), Expect::OneOf(&[400, 414, 431])),
        ("bad Last-Event-ID", format!("GET /sse HTTP/1.1\r\nHost: {h}\r\nLast-Event-ID: yesterday\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("foreign Origin on SSE", format!("GET /sse HTTP/1.1\r\nHost: {h}\r\nOrigin: https://evil.example\r\n\r\n").into_bytes(), Expect::Status(403)),
        ("null Origin on SSE", format!("GET /sse HTTP/1.1\r\nHost: {h}\r\nOrigin: null\r\n\r\n").into_bytes(), Expect::Status(403)),
        // Bodies.
        ("content-length not a number", format!("POST /messages HTTP/1.1\r\nHost: {h}\r\nContent-Type: application/json\r\nContent-Length: ten\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("negative content-length", format!("POST /messages HTTP/1.1\r\nHost: {h}\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("content-length and chunked together", format!("POST /messages HTTP/1.1\r\nHost: {h}\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("two different content-lengths", format!("POST /messages HTTP/1.1\r\nHost: {h}\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{{}}").into_bytes(), Expect::Status(400)),
        ("bad chunk size", format!("POST /messages HTTP/1.1\r\nHost: {h}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("declared 10 MB body", format!("POST /messages HTTP/1.1\r\nHost: {h}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n").into_bytes(), Expect::Status(413)),
        ("chunked body over the limit", {
            let chunk = "x".repeat(70_000);
            format!("POST /messages HTTP/1.1\r\nHost: {h}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n", chunk.len()).into_bytes()
        }, Expect::Status(413)),
        ("publish as text/plain", post("text/plain", br#"{"body":"x"}"#), Expect::Status(415)),
        ("publish as form", post("application/x-www-form-urlencoded", b"body=x"), Expect::Status(415)),
        ("publish with invalid JSON", post("application/json", b"{body:"), Expect::Status(400)),
        ("publish JSON null", post("application/json", b"null"), Expect::Status(400)),
        ("publish JSON array", post("application/json", br#"["body"]"#), Expect::Status(400)),
        ("publish with body null", post("application/json", br#"{"body":null}"#), Expect::Status(400)),
        ("publish with invalid UTF-8", post("application/json", b"{\"body\":\"\xff\xfe\"}"), Expect::Status(400)),
        ("publish with a 65-char from", post("application/json", format!(r#"{{"body":"x","from":"{}"}}"#, "f".repeat(65)).as_bytes()), Expect::Status(400)),
        ("settings with a string rate", format!("POST /settings HTTP/1.1\r\nHost: {h}\r\nContent-Length: 21\r\n\r\n{{\"ticker_per_s\":\"ok\"}}").into_bytes(), Expect::Status(400)),
        ("settings with an unknown key", format!("POST /settings HTTP/1.1\r\nHost: {h}\r\nContent-Length: 12\r\n\r\n{{\"speed\":11}}").into_bytes(), Expect::Status(400)),
        // WebSocket handshakes.
        ("upgrade without Connection: upgrade", format!("GET /ws HTTP/1.1\r\nHost: {h}\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("old protocol version", format!("GET /ws HTTP/1.1\r\nHost: {h}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("no key", format!("GET /ws HTTP/1.1\r\nHost: {h}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("key that is not 16 base64 bytes", format!("GET /ws HTTP/1.1\r\nHost: {h}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: not-a-key\r\nSec-WebSocket-Version: 13\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("upgrade to h2c", format!("GET /ws HTTP/1.1\r\nHost: {h}\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n").into_bytes(), Expect::Status(400)),
        ("WebSocket upgrade with POST", format!("POST /ws HTTP/1.1\r\nHost: {h}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n").into_bytes(), Expect::Status(405)),
        ("foreign Origin on /ws", upgrade(server, "/ws", "Origin: https://evil.example\r\n").into_bytes(), Expect::Status(403)),
        ("upgrade with a bad cursor", upgrade(server, "/ws?after=x", "").into_bytes(), Expect::Status(400)),
    ];
    // Pipelined: two requests in one write get two answers (the first one is checked).
    cases.push(("two pipelined requests", [get("/poll"), get("/poll")].concat(), Expect::Status(200)));
    cases
}

fn frame_cases() -> Vec<(&'static str, Vec<u8>, Expect)> {
    let mut fragmented_bad_utf8 = frame(0x01, true, &[0xCE, 0xBA, 0xE1]);
    fragmented_bad_utf8.extend(frame(0x80, true, &[0xBD, 0xB9, 0xCF, 0x83, 0xFF]));
    let mut interleaved = frame(0x01, true, b"{\"type\":");
    interleaved.extend(text(b"{}"));
    vec![
        ("unmasked client frame", frame(0x81, false, b"{}"), Expect::CloseOrEnd(1002)),
        ("RSV1 without an extension", frame(0xC1, true, b"{}"), Expect::CloseOrEnd(1002)),
        ("RSV2 set", frame(0xA1, true, b"{}"), Expect::CloseOrEnd(1002)),
        ("RSV3 set", frame(0x91, true, b"{}"), Expect::CloseOrEnd(1002)),
        ("reserved data opcode 3", frame(0x83, true, b"{}"), Expect::CloseOrEnd(1002)),
        ("reserved control opcode 11", frame(0x8B, true, b""), Expect::CloseOrEnd(1002)),
        ("continuation with nothing to continue", frame(0x80, true, b"x"), Expect::CloseOrEnd(1002)),
        ("ping longer than 125 bytes", frame(0x89, true, &[b'p'; 126]), Expect::CloseOrEnd(1002)),
        ("fragmented ping", frame(0x09, true, b"p"), Expect::CloseOrEnd(1002)),
        ("new message inside a fragmented one", interleaved, Expect::CloseOrEnd(1002)),
        ("text over 64 KiB", text(&vec![b'x'; 70_000]), Expect::Close(1009)),
        (
            "length of 2^62 declared",
            {
                let mut f = vec![0x81, 0x80 | 127];
                f.extend_from_slice(&(1u64 << 62).to_be_bytes());
                f.extend_from_slice(&[0, 0, 0, 0]);
                f
            },
            Expect::CloseOrEnd(1009),
        ),
        ("invalid UTF-8 text", text(&[0xC3, 0x28]), Expect::Close(1007)),
        ("invalid UTF-8 across fragments", fragmented_bad_utf8, Expect::Close(1007)),
        ("binary frame on /ws", frame(0x82, true, &[1, 2, 3]), Expect::Close(1003)),
        ("text that is not JSON", text(b"hello?"), Expect::ErrorMessage),
        ("JSON of an unknown type", text(br#"{"type":"subscribe"}"#), Expect::ErrorMessage),
        ("publish without a body", text(br#"{"type":"publish"}"#), Expect::ErrorMessage),
        ("publish with a number body", text(br#"{"type":"publish","body":7}"#), Expect::ErrorMessage),
        ("close with a 1-byte payload", close_frame(&[3]), Expect::CloseOrEnd(1002)),
        ("close with reserved code 1005", close_frame(&1005u16.to_be_bytes()), Expect::CloseOrEnd(1002)),
        ("close with code 999", close_frame(&999u16.to_be_bytes()), Expect::CloseOrEnd(1002)),
    ]
}

/// Reads until the server closes or `quiet` passes without bytes.
async fn read_all(stream: &mut TcpStream, quiet: Duration) -> Vec<u8> {
    read_until_quiet(stream, quiet).await
}

fn status_of(answer: &[u8]) -> Option<u16> {
    let line = answer.split(|&b| b == b'\n').next()?;
    std::str::from_utf8(line).ok()?.split(' ').nth(1)?.parse().ok()
}

async fn run_http_case(server: &TestServer, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    // The server may answer (and close) before a huge request is fully written: that is fine.
    let _ = stream.write_all(bytes).await;
    read_all(&mut stream, Duration::from_millis(400)).await
}

/// The close code of the first close frame in `bytes`, if any.
fn close_code(bytes: &[u8]) -> Option<u16> {
    let mut i = 0;
    while i + 2 <= bytes.len() {
        let opcode = bytes[i] & 0x0F;
        let (len, header) = match bytes[i + 1] & 0x7F {
            126 => (u16::from_be_bytes([*bytes.get(i + 2)?, *bytes.get(i + 3)?]) as usize, 4),
            127 => return None,
            n => (n as usize, 2),
        };
        if opcode == 0x8 {
            return (len >= 2).then(|| u16::from_be_bytes([bytes[i + header], bytes[i + header + 1]]));
        }
        i += header + len;
    }
    None
}

async fn run_frame_case(server: &TestServer, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(upgrade(server, "/ws", "").as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "handshake refused");
        head.extend_from_slice(&buf[..n]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"));
    let _ = stream.write_all(bytes).await;
    read_all(&mut stream, Duration::from_millis(400)).await
}

#[tokio::test]
async fn every_case_of_the_corpus_gets_its_documented_answer() {
    let server = TestServer::start(Config { publish_per_client_per_s: 0, ..Config::default() });
    let http = http_cases(&server);
    let frames = frame_cases();
    assert!(http.len() + frames.len() >= 60, "corpus has {} cases", http.len() + frames.len());
    let mut failures = Vec::new();
    for (name, bytes, expect) in &http {
        let answer = run_http_case(&server, bytes).await;
        let status = status_of(&answer);
        let ok = match expect {
            Expect::Status(want) => status == Some(*want),
            Expect::OneOf(wants) => status.is_some_and(|s| wants.contains(&s)),
            _ => unreachable!(),
        };
        if !ok {
            failures.push(format!(
                "{name}: expected {expect:?}, got {:?}",
                String::from_utf8_lossy(&answer[..answer.len().min(200)])
            ));
        }
    }
    for (name, bytes, expect) in &frames {
        let answer = run_frame_case(&server, bytes).await;
        let code = close_code(&answer);
        let ok = match expect {
            Expect::Close(want) => code == Some(*want),
            Expect::CloseOrEnd(want) => code.is_none_or(|c| c == *want),
            Expect::ErrorMessage => {
                let text = String::from_utf8_lossy(&answer);
                code.is_none() && text.contains("\"type\":\"error\"")
            }
            _ => unreachable!(),
        };
        if !ok {
            failures.push(format!(
                "{name}: expected {expect:?}, got close {code:?} in {:02x?}",
                &answer[..answer.len().min(40)]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        http.len() + frames.len(),
        failures.join("\n")
    );

    // Still serving, nothing left open, nothing refused was published.
    assert_eq!(get(&server, "/poll").await.status, 200);
    for transport in ["poll", "longpoll", "sse", "ws", "echo"] {
        assert_eq!(wait_open(&server, transport, 0, Duration::from_secs(3)).await, 0, "{transport} open connections");
    }
    assert_eq!(get(&server, "/time").await.status, 200);
    assert_eq!(stats(&server).await["head"], 0, "no bad input was published");
}

#[tokio::test]
async fn half_open_and_reset_connections_end_their_tasks() {
    let server = TestServer::start(Config::default());
    // Half-open: the client shuts its sending side while a long-poll is held.
    let mut half = TcpStream::connect(server.addr).await.unwrap();
    half.write_all(format!("GET /longpoll?timeout_ms=30000 HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr).as_bytes())
        .await
        .unwrap();
    assert_eq!(wait_open(&server, "longpoll", 1, Duration::from_secs(5)).await, 1);
    half.shutdown().await.unwrap();
    assert_eq!(wait_open(&server, "longpoll", 0, Duration::from_secs(2)).await, 0, "half-closed long-poll ended");
    // Reset: SO_LINGER 0 makes close() send RST mid-stream.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    let mut reset = socket.connect(server.addr).await.unwrap();
    reset.write_all(upgrade(&server, "/ws", "").as_bytes()).await.unwrap();
    assert_eq!(wait_open(&server, "ws", 1, Duration::from_secs(5)).await, 1);
    socket2::SockRef::from(&reset).set_linger(Some(Duration::ZERO)).unwrap();
    drop(reset);
    assert_eq!(wait_open(&server, "ws", 0, Duration::from_secs(2)).await, 0, "reset WebSocket ended");
    assert_eq!(get(&server, "/poll").await.status, 200);
}

#[tokio::test]
async fn slowloris_trickle_is_timed_out_and_others_are_served_meanwhile() {
    let server = TestServer::start(Config::default());
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    let request = format!("GET /poll HTTP/1.1\r\nHost: {}\r\nX-Slow: ", server.addr);
    let trickle = async {
        for byte in request.bytes().chain(std::iter::repeat(b'z')) {
            if slow.write_all(&[byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            if started.elapsed() > Duration::from_secs(15) {
                break;
            }
        }
    };
    let others = async {
        for _ in 0..5 {
            assert_eq!(get(&server, "/poll").await.status, 200, "others served during the trickle");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::join!(trickle, others);
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), slow.read_to_end(&mut rest)).await;
    assert!(started.elapsed() < Duration::from_secs(15), "the trickling connection was cut off");
    assert!(rest.is_empty() || status_of(&rest) == Some(408), "{}", String::from_utf8_lossy(&rest));
}
