//! DESIGN.md section 3: every bad input gets its documented answer, and the server keeps serving.

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Asserts a JSON error with `status` naming `field`.
fn refused(answer: &Answer, status: u16, field: Option<&str>) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert!(answer.headers["content-type"].to_str().unwrap().starts_with("application/json"), "{:?}", answer.headers);
    let json = answer.json();
    assert!(json["error"].as_str().is_some_and(|e| !e.is_empty()), "{json}");
    assert_eq!(json["field"].as_str(), field, "{json}");
}

#[tokio::test]
async fn malformed_queries_get_400_naming_the_field() {
    let server = TestServer::start(Config::default());
    let cases = [
        ("after=abc", "after"),
        ("after=-1", "after"),
        ("after=1.5", "after"),
        ("after=%zz", "after"),
        ("limit=-1", "limit"),
        ("limit=0", "limit"),
        ("limit=999999", "limit"),
        ("client=has%20space", "client"),
        ("client=", "client"),
        ("timeout_ms=70000", "timeout_ms"),
        ("timeout_ms=soon", "timeout_ms"),
    ];
    for endpoint in ["/poll", "/longpoll", "/sse", "/ws"] {
        for (query, field) in cases {
            if field == "timeout_ms" && endpoint != "/longpoll" {
                continue;
            }
            let answer = get(&server, &format!("{endpoint}?{query}")).await;
            refused(&answer, 400, Some(field));
        }
    }
    let last_event_id = request(&server, "GET", "/sse", &[("last-event-id", "banana")], "").await;
    refused(&last_event_id, 400, Some("Last-Event-ID"));
    assert_eq!(get(&server, "/poll").await.status, 200, "still serving");
}

#[tokio::test]
async fn cursor_from_the_future_is_a_conflict() {
    let server = TestServer::start(Config::default());
    publish(&server, "one").await;
    for endpoint in ["/poll", "/longpoll", "/sse", "/ws"] {
        let answer = get(&server, &format!("{endpoint}?after=99")).await;
        refused(&answer, 409, Some("after"));
        assert_eq!(answer.json()["head"], 1);
    }
}

#[tokio::test]
async fn bad_publishes_get_400_413_415() {
    let server = TestServer::start(Config::default());
    let json = [("content-type", "application/json")];
    refused(&request(&server, "POST", "/messages", &json, "{not json").await, 400, Some("body"));
    refused(&request(&server, "POST", "/messages", &json, r#"{"from":"ana"}"#).await, 400, Some("body"));
    refused(&request(&server, "POST", "/messages", &json, r#"{"body":42}"#).await, 400, Some("body"));
    refused(&request(&server, "POST", "/messages", &json, "").await, 400, Some("body"));
    let long_from = format!(r#"{{"body":"x","from":"{}"}}"#, "f".repeat(65));
    refused(&request(&server, "POST", "/messages", &json, &long_from).await, 400, Some("from"));
    let huge = format!(r#"{{"body":"{}"}}"#, "x".repeat(70 * 1024));
    refused(&request(&server, "POST", "/messages", &json, &huge).await, 413, Some("body"));
    refused(
        &request(&server, "POST", "/messages", &[("content-type", "text/plain")], r#"{"body":"x"}"#).await,
        415,
        Some("body"),
    );
    refused(&request(&server, "POST", "/messages", &[], r#"{"body":"x"}"#).await, 415, Some("body"));
    refused(&request(&server, "POST", "/messages?client=%3Cb%3E", &json, r#"{"body":"x"}"#).await, 400, Some("client"));
    // Nothing refused was published; the next good publish gets id 1.
    assert_eq!(publish(&server, "ok").await, 1);
}

#[tokio::test]
async fn oversized_body_declared_up_front_is_refused_without_reading_it() {
    let server = TestServer::start(Config::default());
    let req = format!(
        "POST /messages HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{{\"body\":\"",
        server.addr
    );
    let answer = raw(&server, req.as_bytes(), Duration::from_millis(500)).await;
    assert!(answer.starts_with(b"HTTP/1.1 413"), "{}", String::from_utf8_lossy(&answer));
}

#[tokio::test]
async fn wrong_methods_get_405_json() {
    let server = TestServer::start(Config::default());
    for (method, path) in
        [("POST", "/poll"), ("DELETE", "/messages"), ("GET", "/messages"), ("PUT", "/settings"), ("POST", "/ws")]
    {
        let answer = request(&server, method, path, &[], "").await;
        refused(&answer, 405, None);
    }
}

#[tokio::test]
async fn publish_rate_limit_answers_429() {
    let server = TestServer::start(Config { publish_per_client_per_s: 3, ..Config::default() });
    let json = [("content-type", "application/json")];
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(request(&server, "POST", "/messages?client=flood", &json, r#"{"body":"x"}"#).await.status);
    }
    assert_eq!(&statuses[..3], &[201, 201, 201]);
    assert!(statuses[3..].iter().all(|&s| s == 429), "{statuses:?}");
    let limited = request(&server, "POST", "/messages?client=flood", &json, r#"{"body":"x"}"#).await;
    assert!(limited.headers.contains_key("retry-after"));
    assert_eq!(
        request(&server, "POST", "/messages?client=calm", &json, r#"{"body":"x"}"#).await.status,
        201,
        "others unaffected"
    );
}

#[tokio::test]
async fn foreign_origins_are_refused_on_streams() {
    let server =
        TestServer::start(Config { allow_origins: vec!["https://school.example".into()], ..Config::default() });
    for path in ["/sse", "/ws"] {
        let answer = request(&server, "GET", path, &[("origin", "https://evil.example")], "").await;
        refused(&answer, 403, Some("Origin"));
    }
    assert!(ws_connect(&server, "/ws", &[("origin", "https://evil.example")]).await.is_err());
    assert!(ws_connect(&server, "/ws", &[("origin", "http://localhost:1234")]).await.is_ok());
    assert!(ws_connect(&server, "/ws", &[("origin", "https://school.example")]).await.is_ok());
    let same_host = format!("http://{}", server.addr);
    assert!(ws_connect(&server, "/ws", &[("origin", same_host.as_str())]).await.is_ok());
    assert!(ws_connect(&server, "/ws", &[]).await.is_ok(), "no Origin: not a browser, allowed");
}

/// Over the stream cap a new stream is refused at admission, not held: it gets 503 + Retry-After (a
/// held long-poll would get 200 at its timeout, a stream a 200 head), is counted as rejected, and is never
/// counted open.
#[tokio::test]
async fn over_capacity_gets_503_with_retry_after_instead_of_a_hold() {
    let server = TestServer::start(Config { max_streams: 1, ..Config::default() });
    let (_held, _) = ws_connect(&server, "/ws", &[]).await.unwrap();
    for (path, transport) in [("/sse", "sse"), ("/ws", "ws"), ("/longpoll?timeout_ms=5000", "longpoll")] {
        let answer = get(&server, path).await;
        refused(&answer, 503, None);
        assert!(answer.headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
        let stats = stats(&server).await;
        assert_eq!(stats["transports"][transport]["rejected"], 1, "{transport}");
        let open = if transport == "ws" { 1 } else { 0 };
        assert_eq!(stats["transports"][transport]["open_connections"], open, "{transport}: only the first is open");
    }
    assert_eq!(get(&server, "/poll").await.status, 200, "short polls still served");
}

#[tokio::test]
async fn echo_sessions_are_capped_per_server() {
    let (server, other) = (TestServer::start(Config::default()), TestServer::start(Config::default()));
    let mut held = Vec::new();
    for _ in 0..feedlab_server::config::MAX_ECHO_SESSIONS {
        held.push(ws_connect(&server, "/echo", &[]).await.unwrap());
    }
    let answer = get(&server, "/echo").await;
    refused(&answer, 503, None);
    assert!(answer.json()["error"].as_str().unwrap().contains("/echo sessions"), "{}", answer.body);
    assert!(ws_connect(&other, "/echo", &[]).await.is_ok(), "another server in the process has its own cap");
    held.clear();
    assert_eq!(wait_open(&server, "echo", 0, Duration::from_secs(5)).await, 0);
    assert!(ws_connect(&server, "/echo", &[]).await.is_ok(), "closed sessions give their slots back");
}

#[tokio::test]
async fn request_rate_cap_sheds_with_503() {
    let server = TestServer::start(Config { max_requests_per_s: 5, ..Config::default() });
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(get(&server, "/poll").await.status);
    }
    assert!(statuses.contains(&503), "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 5.min(statuses.len()), "{statuses:?}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get(&server, "/poll").await.status, 200, "recovers after the window");
}

async fn ws_close_code(server: &TestServer, send: WsMessage) -> Option<u16> {
    let (mut ws, _) = ws_connect(server, "/ws", &[]).await.unwrap();
    ws.send(send).await.unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("no close") {
            Some(Ok(WsMessage::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            _ => return None,
        }
    }
}

#[tokio::test]
async fn websocket_bad_frames_get_close_codes() {
    let server = TestServer::start(Config::default());
    assert_eq!(ws_close_code(&server, WsMessage::binary(vec![1, 2, 3])).await, Some(1003));
    let too_big = format!(r#"{{"type":"publish","body":"{}"}}"#, "x".repeat(70 * 1024));
    assert_eq!(ws_close_code(&server, WsMessage::text(too_big)).await, Some(1009));
    assert_eq!(get(&server, "/poll?after=0").await.json()["messages"], serde_json::json!([]), "nothing published");
}

#[tokio::test]
async fn websocket_invalid_utf8_gets_1007() {
    let server = TestServer::start(Config::default());
    // Raw frame: FIN + text, masked, 2 bytes 0xC3 0x28 (invalid UTF-8), mask key 0.
    let req = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(req.as_bytes()).await.unwrap();
    let head = read_until_quiet(&mut stream, Duration::from_millis(300)).await;
    assert!(head.starts_with(b"HTTP/1.1 101"));
    stream.write_all(&[0x81, 0x82, 0, 0, 0, 0, 0xC3, 0x28]).await.unwrap();
    let frames = read_until_quiet(&mut stream, Duration::from_millis(500)).await;
    assert_eq!(frames.first(), Some(&0x88), "{frames:02x?}");
    assert_eq!(u16::from_be_bytes([frames[2], frames[3]]), 1007);
}

#[tokio::test]
async fn websocket_unknown_message_type_gets_an_error_message_and_stays_open() {
    let server = TestServer::start(Config::default());
    let (mut ws, _) = ws_connect(&server, "/ws", &[]).await.unwrap();
    ws.send(WsMessage::text(r#"{"type":"dance"}"#)).await.unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap().unwrap().unwrap();
    let reply: serde_json::Value = serde_json::from_str(reply.to_text().unwrap()).unwrap();
    assert_eq!(reply["type"], "error");
    ws.send(WsMessage::text("not json at all")).await.unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap().unwrap().unwrap();
    assert!(reply.to_text().unwrap().contains("\"error\""));
    ws.send(WsMessage::text(r#"{"type":"publish","body":"still here"}"#)).await.unwrap();
    let message = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap().unwrap().unwrap();
    assert!(message.to_text().unwrap().contains("still here"));
    ws.close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame { code: CloseCode::Normal, reason: "".into() }))
        .await
        .unwrap();
}

#[tokio::test]
async fn invalid_handshakes_get_400_json() {
    let server = TestServer::start(Config::default());
    let no_key = request(
        &server,
        "GET",
        "/ws",
        &[("upgrade", "websocket"), ("connection", "upgrade"), ("sec-websocket-version", "13")],
        "",
    )
    .await;
    refused(&no_key, 400, Some("Upgrade"));
    let bad_version = request(
        &server,
        "GET",
        "/echo",
        &[
            ("upgrade", "websocket"),
            ("connection", "upgrade"),
            ("sec-websocket-version", "8"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
        "",
    )
    .await;
    refused(&bad_version, 400, Some("Upgrade"));
}

#[tokio::test]
async fn garbage_on_the_socket_gets_400_and_the_server_keeps_serving() {
    let server = TestServer::start(Config::default());
    for garbage in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"[..],
        b"GET\r\n\r\n",
        b"HELLO / HTTP/9.9\r\n\r\n",
        b"GET /poll HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    ] {
        let answer = raw(&server, garbage, Duration::from_millis(300)).await;
        assert!(answer.is_empty() || answer.starts_with(b"HTTP/1.1 4"), "{}", String::from_utf8_lossy(&answer));
    }
    assert_eq!(get(&server, "/poll").await.status, 200);
}

#[tokio::test]
async fn unknown_paths_get_404_json() {
    let server = TestServer::start(Config::default());
    refused(&get(&server, "/nope.html").await, 404, None);
    refused(&get(&server, "/results/nothing.svg").await, 404, None);
    refused(&get(&server, "/inspect").await, 400, Some("client"));
}

#[tokio::test]
async fn a_cursor_from_an_earlier_run_of_the_server_is_refused_by_epoch() {
    // Two runs of the server: the second has a different epoch and its own ids from 1.
    let before = TestServer::start(Config::default());
    for _ in 0..5 {
        publish(&before, "old").await;
    }
    let old_epoch = get(&before, "/poll?after=0").await.json()["epoch"].as_u64().unwrap();
    drop(before);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let after = TestServer::start(Config::default());
    for _ in 0..8 {
        publish(&after, "new").await;
    }
    // Without the epoch, after=3 would silently read the new feed's ids 4..8 as if they continued the old one.
    for endpoint in ["/poll", "/longpoll", "/sse", "/ws"] {
        let answer = get(&after, &format!("{endpoint}?after=3&epoch={old_epoch}")).await;
        refused(&answer, 409, Some("epoch"));
        assert_eq!(answer.json()["head"], 8);
        assert_ne!(answer.json()["epoch"].as_u64(), Some(old_epoch));
    }
    let current = get(&after, "/time").await.json()["epoch"].as_u64().unwrap();
    assert_eq!(get(&after, &format!("/poll?after=3&epoch={current}")).await.status, 200);
}

#[tokio::test]
async fn a_frame_declaring_a_gigabyte_is_refused_from_its_header_before_it_is_buffered() {
    use tokio::io::AsyncReadExt;
    let server = TestServer::start(Config::default());
    for path in ["/ws", "/echo"] {
        let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            server.addr
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        let head = read_until_quiet(&mut stream, Duration::from_millis(300)).await;
        assert!(head.starts_with(b"HTTP/1.1 101"), "{path}");
        // A masked binary frame declaring 1 GiB, followed by only 64 KiB of it: actix alone would wait for the
        // rest, buffering all of it; the guard answers from the header.
        let mut frame = vec![0x82, 0x80 | 127];
        frame.extend_from_slice(&(1u64 << 30).to_be_bytes());
        frame.extend_from_slice(&[0, 0, 0, 0]);
        frame.extend(std::iter::repeat_n(0u8, 64 * 1024));
        let _ = stream.write_all(&frame).await;
        let mut answer = Vec::new();
        let mut buf = [0u8; 256];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        while answer.len() < 4 && tokio::time::Instant::now() < deadline {
            match tokio::time::timeout(Duration::from_millis(500), stream.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buf[..n]),
                Ok(_) => break,
                Err(_) => {}
            }
        }
        assert_eq!(answer.first(), Some(&0x88), "{path}: expected a close frame, got {answer:02x?}");
        assert_eq!(u16::from_be_bytes([answer[2], answer[3]]), 1009, "{path}");
    }
}
