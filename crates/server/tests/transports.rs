//! Each transport against a real server on 127.0.0.1:0 with real clients.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

fn ids(answer: &serde_json::Value) -> Vec<u64> {
    answer["messages"].as_array().unwrap().iter().map(|m| m["id"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn poll_answers_at_once_with_cursor_and_empty_list() {
    let server = TestServer::start(Config::default());
    let first = get(&server, "/poll").await;
    assert_eq!(first.status, 200);
    let first = first.json();
    assert_eq!(
        (first["messages"].clone(), first["next"].clone(), first["gap"].clone()),
        (serde_json::json!([]), serde_json::json!(0), serde_json::Value::Null)
    );
    let epoch = first["epoch"].as_u64().expect("answers name the feed epoch");
    assert_eq!(get(&server, "/time").await.json()["epoch"].as_u64(), Some(epoch));
    let a = publish(&server, "one").await;
    let b = publish(&server, "two").await;
    assert_eq!((a, b), (1, 2));
    let answer = get(&server, "/poll?after=0").await.json();
    assert_eq!(ids(&answer), vec![1, 2]);
    assert_eq!(answer["next"], 2);
    assert_eq!(answer["messages"][1]["body"], "two");
    assert_eq!(answer["messages"][1]["kind"], "chat");
    assert!(answer["messages"][1]["ts"].as_u64().unwrap() > 1_700_000_000_000_000, "ts is in microseconds");
    let empty = get(&server, "/poll?after=2").await;
    assert_eq!(ids(&empty.json()), Vec::<u64>::new());
    let stats = stats(&server).await;
    assert_eq!(stats["transports"]["poll"]["requests"], 3);
    assert_eq!(stats["transports"]["poll"]["empty_responses"], 2);
    assert_eq!(stats["transports"]["poll"]["messages_delivered"], 2);
    assert_eq!(stats["transports"]["publish"]["requests"], 2);
}

#[tokio::test]
async fn limit_caps_a_poll_answer() {
    let server = TestServer::start(Config::default());
    for i in 0..5 {
        publish(&server, &i.to_string()).await;
    }
    let answer = get(&server, "/poll?after=1&limit=2").await.json();
    assert_eq!(ids(&answer), vec![2, 3]);
    assert_eq!(answer["next"], 3);
}

#[tokio::test]
async fn cursor_older_than_retention_gets_a_gap() {
    let server = TestServer::start(Config { retention: 3, ..Config::default() });
    for i in 0..10 {
        publish(&server, &i.to_string()).await;
    }
    let answer = get(&server, "/poll?after=2").await.json();
    assert_eq!(answer["gap"], serde_json::json!({"from": 3, "to": 7}));
    assert_eq!(ids(&answer), vec![8, 9, 10]);
    let longpoll = get(&server, "/longpoll?after=1&timeout_ms=5000").await.json();
    assert_eq!(longpoll["gap"], serde_json::json!({"from": 2, "to": 7}));
}

/// Each worker's copy of the feed (`fanout::hub`) holds no more than the feed: a poll after every publish
/// copies each message into the worker's mirror as it comes, and a cursor the feed has dropped still gets
/// the gap, not the copies.
#[tokio::test]
async fn a_workers_copy_keeps_no_more_than_the_retention() {
    let server = TestServer::start(Config { retention: 3, workers: 1, ..Config::default() });
    for i in 0..10 {
        publish(&server, &i.to_string()).await;
        assert_eq!(ids(&get(&server, &format!("/poll?after={i}")).await.json()), vec![i + 1]);
    }
    let answer = get(&server, "/poll?after=2").await.json();
    assert_eq!(answer["gap"], serde_json::json!({"from": 3, "to": 7}));
    assert_eq!(ids(&answer), vec![8, 9, 10]);
}

/// A held long-poll is answered by the publish itself: it is held (the server counts it open) and still
/// unanswered when the message is published, and its answer carries that message, which a long-poll
/// timing out would not (its answer is empty). How soon after the publish is the harness's to measure.
#[tokio::test]
async fn a_held_longpoll_is_answered_by_the_publish() {
    let server = TestServer::start(Config::default());
    let held = tokio::spawn({
        let server_ref = FakeRef(server.addr);
        async move { server_ref.get("/longpoll?after=0&timeout_ms=60000").await }
    });
    assert_eq!(wait_open(&server, "longpoll", 1, Duration::from_secs(5)).await, 1, "the long-poll is held");
    assert!(!held.is_finished(), "answered before anything was published");
    publish(&server, "wake up").await;
    let answer: serde_json::Value = serde_json::from_str(&held.await.unwrap()).unwrap();
    assert_eq!(ids(&answer), vec![1]);
    assert_eq!(answer["messages"][0]["body"], "wake up");
    let stats = stats(&server).await;
    assert_eq!(stats["transports"]["longpoll"]["empty_responses"], 0, "not answered by its timeout");
    assert_eq!(stats["transports"]["longpoll"]["messages_delivered"], 1);
}

/// A minimal GET through hyper for use inside spawned tasks (TestServer is not Clone).
struct FakeRef(std::net::SocketAddr);
impl FakeRef {
    async fn get(&self, path: &str) -> String {
        use http_body_util::{BodyExt, Empty};
        let stream = tokio::net::TcpStream::connect(self.0).await.unwrap();
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
        tokio::spawn(conn);
        let req =
            hyper::Request::get(path).header("host", self.0.to_string()).body(Empty::<bytes::Bytes>::new()).unwrap();
        let res = sender.send_request(req).await.unwrap();
        String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
    }
}

#[tokio::test]
async fn longpoll_times_out_empty() {
    let server = TestServer::start(Config::default());
    let started = Instant::now();
    let answer = get(&server, "/longpoll?timeout_ms=300").await;
    assert_eq!(answer.status, 200);
    let answer = answer.json();
    assert_eq!((answer["messages"].clone(), answer["next"].clone()), (serde_json::json!([]), serde_json::json!(0)));
    assert!(started.elapsed() >= Duration::from_millis(300), "held for the timeout");
    assert_eq!(stats(&server).await["transports"]["longpoll"]["empty_responses"], 1);
}

#[tokio::test]
async fn sse_streams_and_resumes_from_last_event_id() {
    let server = TestServer::start(Config::default());
    for i in 1..=3 {
        publish(&server, &format!("m{i}")).await;
    }
    let mut stream = open_sse(&server, "/sse?after=0", "").await;
    let events = sse_events(&mut stream, 3).await;
    assert_eq!(events.iter().map(|e| e.0).collect::<Vec<_>>(), vec![Some(1), Some(2), Some(3)]);
    drop(stream);
    for i in 4..=6 {
        publish(&server, &format!("m{i}")).await;
    }
    // Like EventSource: the original URL (after=0) plus Last-Event-ID, which must win.
    let mut stream = open_sse(&server, "/sse?after=0", "Last-Event-ID: 4\r\n").await;
    let events = sse_events(&mut stream, 2).await;
    assert_eq!(events.iter().map(|e| e.0).collect::<Vec<_>>(), vec![Some(5), Some(6)]);
    let body: serde_json::Value = serde_json::from_str(&events[0].1).unwrap();
    assert_eq!(body["body"], "m5");
}

#[tokio::test]
async fn websocket_handshake_examples_of_rfc6455_and_the_documents() {
    let server = TestServer::start(Config::default());
    for (key, accept) in [
        ("dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        ("x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk="),
    ] {
        let req = format!(
            "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, feedlab.v1\r\n\r\n",
            server.addr
        );
        let answer = raw(&server, req.as_bytes(), Duration::from_millis(300)).await;
        let head = String::from_utf8_lossy(head_of(&answer)).to_lowercase();
        assert!(head.starts_with("http/1.1 101 switching protocols\r\n"), "{head}");
        assert!(head.contains(&format!("sec-websocket-accept: {}\r\n", accept.to_lowercase())), "{head}");
        assert!(head.contains("sec-websocket-protocol: feedlab.v1\r\n"), "{head}");
        assert!(head.contains("upgrade: websocket\r\n"), "{head}");
    }
}

#[tokio::test]
async fn websocket_chat_reaches_the_other_three_transports() {
    let server = TestServer::start(Config::default());
    let (mut ws, response) =
        ws_connect(&server, "/ws?client=t1", &[("sec-websocket-protocol", "feedlab.v1")]).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "feedlab.v1");
    let mut sse = open_sse(&server, "/sse?after=0", "").await;
    let longpoll = tokio::spawn({
        let addr = server.addr;
        async move { FakeRef(addr).get("/longpoll?after=0&timeout_ms=10000").await }
    });
    wait_open(&server, "longpoll", 1, Duration::from_secs(5)).await;
    wait_open(&server, "sse", 1, Duration::from_secs(5)).await;

    ws.send(WsMessage::text(r#"{"type":"publish","body":"hello from ws","from":"ana"}"#)).await.unwrap();

    let frame = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap().unwrap().unwrap();
    let over_ws: serde_json::Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert_eq!(
        (over_ws["id"].as_u64(), over_ws["body"].as_str(), over_ws["from"].as_str()),
        (Some(1), Some("hello from ws"), Some("ana"))
    );

    let over_longpoll: serde_json::Value = serde_json::from_str(&longpoll.await.unwrap()).unwrap();
    assert_eq!(over_longpoll["messages"][0]["body"], "hello from ws");
    let over_sse = sse_events(&mut sse, 1).await;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&over_sse[0].1).unwrap()["body"], "hello from ws");
    let over_poll = get(&server, "/poll?after=0").await.json();
    assert_eq!(over_poll["messages"][0]["body"], "hello from ws");

    let stats = get(&server, "/stats?client=t1").await.json();
    let ws_stats = &stats["client"]["transports"]["ws"];
    assert_eq!(ws_stats["messages_delivered"], 1);
    // Delivery: one text frame out, 2 header bytes for a payload under 126 bytes.
    assert_eq!(ws_stats["framing_bytes"], 2);
    // The uploaded chat frame (masked: 2 + 4 header bytes) is publish traffic, counted apart.
    let publish_stats = &stats["client"]["transports"]["publish"];
    assert_eq!((publish_stats["frames"].as_u64(), publish_stats["framing_bytes"].as_u64()), (Some(1), Some(6)));
}

#[tokio::test]
async fn websocket_pings_and_closes_a_silent_client() {
    let config = Config {
        heartbeat: Duration::from_millis(100),
        client_timeout: Duration::from_millis(350),
        ..Config::default()
    };
    let server = TestServer::start(config);
    // A raw client that completes the handshake and then never answers: tungstenite would send pongs by itself.
    let req = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    let bytes = raw(&server, req.as_bytes(), Duration::from_secs(2)).await;
    let frames = &bytes[head_of(&bytes).len()..];
    // Server frames are unmasked: an empty ping is 0x89 0x00; the close is 0x88, a length, then the code.
    let pings = frames.windows(2).filter(|w| w == &[0x89, 0x00]).count();
    assert!(pings >= 2, "got {pings} pings in {frames:02x?}");
    let close = frames.windows(2).position(|w| w[0] == 0x88).expect("a close frame");
    let code = u16::from_be_bytes([frames[close + 2], frames[close + 3]]);
    assert_eq!(code, 1008);
}

#[tokio::test]
async fn clients_leaving_bring_open_connections_back_to_zero() {
    let server = TestServer::start(Config::default());
    // Long-poll: the client hangs up mid-hold.
    let mut held = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    held.write_all(format!("GET /longpoll?timeout_ms=30000 HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr).as_bytes())
        .await
        .unwrap();
    let sse = open_sse(&server, "/sse", "").await;
    let (ws, _) = ws_connect(&server, "/ws", &[]).await.unwrap();
    for transport in ["longpoll", "sse", "ws"] {
        assert_eq!(wait_open(&server, transport, 1, Duration::from_secs(5)).await, 1, "{transport} open");
    }
    drop(held);
    drop(sse);
    drop(ws);
    for transport in ["longpoll", "sse", "ws"] {
        assert_eq!(wait_open(&server, transport, 0, Duration::from_secs(2)).await, 0, "{transport} closed within 2 s");
    }
}

#[tokio::test]
async fn shutdown_closes_websockets_with_going_away() {
    let server = TestServer::start(Config::default());
    let (mut ws, _) = ws_connect(&server, "/ws", &[]).await.unwrap();
    wait_open(&server, "ws", 1, Duration::from_secs(5)).await;
    let stopper = std::thread::spawn(move || server.stop());
    let frame = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("no close within 5 s");
    match frame {
        Some(Ok(WsMessage::Close(Some(close)))) => assert_eq!(u16::from(close.code), 1001),
        other => panic!("expected close 1001, got {other:?}"),
    }
    stopper.join().unwrap();
}

#[tokio::test]
async fn echo_echoes_text_and_binary() {
    let server = TestServer::start(Config::default());
    let (mut ws, _) = ws_connect(&server, "/echo", &[]).await.unwrap();
    ws.send(WsMessage::text("héllo")).await.unwrap();
    ws.send(WsMessage::binary(vec![0u8, 1, 2, 255])).await.unwrap();
    let a = ws.next().await.unwrap().unwrap();
    let b = ws.next().await.unwrap().unwrap();
    assert_eq!(a, WsMessage::text("héllo"));
    assert_eq!(b, WsMessage::binary(vec![0u8, 1, 2, 255]));
}

#[tokio::test]
async fn instruments_answer() {
    let server = TestServer::start(Config { publish_token: Some("s3cret".into()), ..Config::default() });
    let time = get(&server, "/time").await.json()["us"].as_u64().unwrap();
    assert!(time.abs_diff(feedlab_feed::now_us()) < 5_000_000);

    get(&server, "/poll?client=pane-a").await;
    let metrics = get(&server, "/metrics").await;
    assert!(metrics.body.contains("feedlab_requests_total{transport=\"poll\"} 1"), "{}", metrics.body);

    let inspect = get(&server, "/inspect?client=pane-a").await.json();
    let seen = inspect["transports"]["poll"]["request"].as_str().unwrap();
    assert!(seen.starts_with("GET /poll?client=pane-a HTTP/1.1\r\n"), "{seen}");
    assert!(inspect["transports"]["poll"]["response"].as_str().unwrap().starts_with("HTTP/1.1 200 OK\r\n"));

    let settings = get(&server, "/settings").await.json();
    assert_eq!(settings["ticker_per_s"], 0.0);
    assert_eq!(settings["token_required"], true);
    let refused =
        request(&server, "POST", "/settings", &[("content-type", "application/json")], r#"{"ticker_per_s":5}"#).await;
    assert_eq!(refused.status, 401);
    let updated =
        request(&server, "POST", "/settings", &[("authorization", "Bearer s3cret")], r#"{"ticker_per_s":50}"#).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    // The ticker now publishes on its own.
    let answer = get(&server, "/longpoll?after=0&timeout_ms=5000").await.json();
    assert_eq!(answer["messages"][0]["kind"], "tick");
    let bad =
        request(&server, "POST", "/settings", &[("authorization", "Bearer s3cret")], r#"{"ticker_per_s":-3}"#).await;
    assert_eq!((bad.status, bad.json()["field"].as_str()), (400, Some("ticker_per_s")));
}

#[tokio::test]
async fn disabled_transport_answers_404_json() {
    let server = TestServer::start(Config { disabled: vec![Transport::Ws], ..Config::default() });
    let answer = get(&server, "/ws").await;
    assert_eq!(answer.status, 404);
    assert!(answer.json()["error"].as_str().unwrap().contains("disabled"));
    assert!(ws_connect(&server, "/ws", &[]).await.is_err());
    assert_eq!(get(&server, "/poll").await.status, 200);
}

#[tokio::test]
async fn page_is_served() {
    let server = TestServer::start(Config::default());
    let page = get(&server, "/").await;
    assert_eq!(page.status, 200);
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.body.to_lowercase().contains("<!doctype html>"));
    assert_eq!(get(&server, "/../Cargo.toml").await.status, 404);
    assert_eq!(get(&server, "/results/..%2fCargo.toml").await.status, 404);
}

/// `bytes` in lower-case hex, as `/inspect` gives frames.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads from `stream` until `buf` holds one whole WebSocket frame at its start; returns that frame.
async fn read_frame(stream: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> Vec<u8> {
    use feedlab_contract::rfc6455::Header;
    use tokio::io::AsyncReadExt;
    loop {
        if let Some(header) = Header::read(buf)
            && buf.len() as u64 >= header.frame_len()
        {
            return buf.drain(..header.frame_len() as usize).collect();
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await.unwrap().unwrap();
        assert!(n > 0, "connection closed before a whole frame");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A masked client frame (RFC 6455 5.3): FIN, `opcode`, MASK and a 7-bit length, the key, the payload XORed.
fn masked_frame(opcode: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    assert!(payload.len() <= 125);
    let mut frame = vec![0x80 | opcode, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&key);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    frame
}

#[tokio::test]
async fn inspect_shows_the_last_websocket_frames_each_way_as_on_the_wire() {
    use tokio::io::AsyncReadExt;
    let server = TestServer::start(Config::default());
    let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let handshake = format!(
        "GET /ws?client=pane-ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    socket.write_all(handshake.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let mut chunk = [0u8; 1024];
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "no 101");
        buf.extend_from_slice(&chunk[..n]);
    }
    let head_len = head_of(&buf).len();
    assert!(buf.starts_with(b"HTTP/1.1 101"));
    buf.drain(..head_len);
    let frames = |inspect: &serde_json::Value| inspect["transports"]["ws"]["frames"].clone();
    let inspect = get(&server, "/inspect?client=pane-ws").await.json();
    assert_eq!(frames(&inspect), serde_json::json!({"sent": null, "received": null}), "{inspect}");

    // A chat frame, masked as every client frame is: its header is 6 bytes.
    let chat = masked_frame(0x1, br#"{"type":"publish","body":"hi","from":"ana"}"#, [0x37, 0xfa, 0x21, 0x3d]);
    socket.write_all(&chat).await.unwrap();
    // It comes back through the feed as the server's frame: unmasked, 2 header bytes.
    let pushed = read_frame(&mut socket, &mut buf).await;
    assert_eq!(&pushed[..1], &[0x81]);
    assert_eq!(usize::from(pushed[1]), pushed.len() - 2, "7-bit length, no mask");
    let json: serde_json::Value = serde_json::from_slice(&pushed[2..]).unwrap();
    assert_eq!((json["body"].as_str(), json["from"].as_str()), (Some("hi"), Some("ana")));
    let inspect = get(&server, "/inspect?client=pane-ws").await.json();
    assert_eq!(frames(&inspect), serde_json::json!({"sent": hex(&pushed), "received": hex(&chat)}), "{inspect}");

    // Control frames are not kept: a ping and its pong leave both as they were.
    socket.write_all(&masked_frame(0x9, b"are you there", [1, 2, 3, 4])).await.unwrap();
    let pong = read_frame(&mut socket, &mut buf).await;
    assert_eq!(&pong[..2], &[0x8a, 13]);
    let inspect = get(&server, "/inspect?client=pane-ws").await.json();
    assert_eq!(frames(&inspect), serde_json::json!({"sent": hex(&pushed), "received": hex(&chat)}), "{inspect}");

    // A message published elsewhere is the next frame sent, byte for byte what this socket got.
    publish(&server, &"x".repeat(200)).await;
    let long = read_frame(&mut socket, &mut buf).await;
    assert_eq!(&long[..2], &[0x81, 126], "a 16-bit length follows");
    let inspect = get(&server, "/inspect?client=pane-ws").await.json();
    assert_eq!(frames(&inspect)["sent"], hex(&long), "{inspect}");
    // Only the WebSocket has frames.
    get(&server, "/poll?client=pane-ws").await;
    let inspect = get(&server, "/inspect?client=pane-ws").await.json();
    assert!(inspect["transports"]["poll"].get("frames").is_none(), "{inspect}");
}

/// One HTTP/1.1 GET on `socket`, read to the end of its body (content-length); returns the head.
async fn get_on(socket: &mut tokio::net::TcpStream, path: &str) -> String {
    use tokio::io::AsyncReadExt;
    socket.write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    loop {
        if bytes.windows(4).any(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(head_of(&bytes)).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length: "))
                .map_or(0, |n| n.trim().parse().unwrap());
            if bytes.len() >= head.len() + length {
                return head;
            }
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut chunk)).await.unwrap().unwrap();
        assert!(n > 0, "closed before the answer was whole");
        bytes.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test]
async fn close_flag_answers_connection_close_and_every_poll_then_opens_a_connection() {
    use tokio::io::AsyncReadExt;
    let server = TestServer::start(Config::default());
    // Keep-alive (HTTP/1.1's default): three polls on one connection, counted as one connection.
    let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    for _ in 0..3 {
        let head = get_on(&mut socket, "/poll?client=kept").await;
        assert!(head.starts_with("http/1.1 200") && !head.contains("connection: close"), "{head}");
    }
    // close=1: the answer says `connection: close`, and the server closes the socket after it.
    for path in
        ["/poll?client=short&close=1", "/poll?client=short&close=true", "/longpoll?client=short&timeout_ms=0&close=1"]
    {
        let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let head = get_on(&mut socket, path).await;
        assert!(head.starts_with("http/1.1 200") && head.contains("\r\nconnection: close\r\n"), "{path}: {head}");
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut rest)).await;
        assert!(matches!(closed, Ok(Ok(0))), "{path}: the server closed the connection");
    }
    let count = |stats: &serde_json::Value, transport: &str, name: &str| {
        stats["client"]["transports"][transport][name].as_u64().unwrap()
    };
    let kept = get(&server, "/stats?client=kept").await.json();
    assert_eq!((count(&kept, "poll", "requests"), count(&kept, "poll", "connections")), (3, 1), "{kept}");
    let short = get(&server, "/stats?client=short").await.json();
    assert_eq!((count(&short, "poll", "requests"), count(&short, "poll", "connections")), (2, 2), "{short}");
    assert_eq!(count(&short, "longpoll", "connections"), 1, "{short}");
    // close=0 is keep-alive, said out loud.
    let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    for _ in 0..2 {
        let head = get_on(&mut socket, "/poll?client=said&close=0").await;
        assert!(!head.contains("connection: close"), "{head}");
    }
}
